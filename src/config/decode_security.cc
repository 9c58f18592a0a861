// RequestAuthentication and AuthorizationPolicy (security.istio.io), with the checks of Istio's
// ValidateRequestAuthentication and ValidateAuthorizationPolicy.
#include <algorithm>
#include <tuple>

#include "config/decoders.h"
#include "config/validators.h"

namespace portcullis::config::internal {
namespace {

constexpr std::string_view kDryRunAnnotation = "istio.io/dry-run";

// ---------------------------------------------------------------------------------------------
// RequestAuthentication

void decodeJwtHeaders(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                      std::vector<JwtHeader>& out) {
  forEachItem(ctx, node, path, [&](const YAML::Node& item, const std::string& item_path, size_t) {
    JwtHeader header;
    MapReader reader(ctx, item, item_path);
    reader.readString("name", header.name);
    reader.readString("prefix", header.prefix);
    reader.finish();
    if (reader.isMap() && header.name.empty()) {
      ctx.error(reader.keyNode("name"), reader.pathOf("name"),
                "fromHeaders name must not be empty");
    }
    out.push_back(std::move(header));
  });
}

void decodeClaimToHeaders(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                          std::vector<ClaimToHeader>& out) {
  forEachItem(ctx, node, path, [&](const YAML::Node& item, const std::string& item_path, size_t) {
    ClaimToHeader mapping;
    MapReader reader(ctx, item, item_path);
    reader.readString("header", mapping.header);
    reader.readString("claim", mapping.claim);
    reader.finish();
    if (!reader.isMap()) {
      return;
    }
    if (mapping.header.empty() || mapping.claim.empty()) {
      ctx.error(item, item_path, "outputClaimToHeaders needs a non-empty header and claim");
    } else if (!isStrictHeaderName(mapping.header)) {
      ctx.error(
          reader.take("header"), reader.pathOf("header"),
          "invalid header name " + quote(mapping.header) + "; use letters, digits and '-' only");
    }
    out.push_back(std::move(mapping));
  });
}

// Reads a list of strings that must not contain empty entries.
void readLocations(DecodeContext& ctx, MapReader& reader, std::string_view key,
                   std::string_view what, std::vector<std::string>& out) {
  YAML::Node node = reader.take(key);
  if (!readStringList(ctx, node, reader.pathOf(key), out)) {
    return;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].empty()) {
      ctx.error(node[i], indexPath(reader.pathOf(key), i),
                std::string(what) + " must not be empty");
    }
  }
}

JwtRule decodeJwtRule(DecodeContext& ctx, const YAML::Node& node, const std::string& path) {
  JwtRule rule;
  rule.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  reader.readString("issuer", rule.issuer);
  readLocations(ctx, reader, "audiences", "audience", rule.audiences);

  YAML::Node jwks_uri = reader.take("jwksUri");
  if (readString(ctx, jwks_uri, reader.pathOf("jwksUri"), rule.jwks_uri) &&
      !rule.jwks_uri.empty()) {
    if (std::string problem = validateJwksUri(rule.jwks_uri); !problem.empty()) {
      ctx.error(jwks_uri, reader.pathOf("jwksUri"), problem);
    }
  }
  YAML::Node jwks = reader.take("jwks");
  if (readString(ctx, jwks, reader.pathOf("jwks"), rule.jwks) && !rule.jwks.empty()) {
    bool has_private_key = false;
    if (std::string problem = validateJwks(rule.jwks, &has_private_key); !problem.empty()) {
      ctx.error(jwks, reader.pathOf("jwks"), problem);
    } else if (has_private_key) {
      ctx.warning(jwks, reader.pathOf("jwks"),
                  "jwks contains private key material; publish only the public keys");
    }
  }

  decodeJwtHeaders(ctx, reader.take("fromHeaders"), reader.pathOf("fromHeaders"),
                   rule.from_headers);
  readLocations(ctx, reader, "fromParams", "query parameter name", rule.from_params);
  readLocations(ctx, reader, "fromCookies", "cookie name", rule.from_cookies);

  YAML::Node payload_header = reader.take("outputPayloadToHeader");
  if (readString(ctx, payload_header, reader.pathOf("outputPayloadToHeader"),
                 rule.output_payload_to_header) &&
      !rule.output_payload_to_header.empty() && !isHttpToken(rule.output_payload_to_header)) {
    // Istio does not check this name, but Envoy rejects a header name that is not an HTTP token.
    ctx.error(payload_header, reader.pathOf("outputPayloadToHeader"),
              "invalid header name " + quote(rule.output_payload_to_header));
  }
  decodeClaimToHeaders(ctx, reader.take("outputClaimToHeaders"),
                       reader.pathOf("outputClaimToHeaders"), rule.output_claim_to_headers);
  reader.readBool("forwardOriginalToken", rule.forward_original_token);
  reader.readDuration("timeout", rule.timeout);
  readLocations(ctx, reader, "spaceDelimitedClaims", "claim name", rule.space_delimited_claims);
  reader.finish();

  if (reader.isMap() && rule.issuer.empty() && rule.jwks_uri.empty()) {
    ctx.error(node, path, "issuer or jwksUri must be set");
  }
  return rule;
}

// ---------------------------------------------------------------------------------------------
// AuthorizationPolicy

struct ActionName {
  std::string_view name;
  AuthorizationPolicy::Action action;
};

constexpr ActionName kActions[] = {
    {"ALLOW", AuthorizationPolicy::Action::Allow},
    {"DENY", AuthorizationPolicy::Action::Deny},
    {"AUDIT", AuthorizationPolicy::Action::Audit},
    {"CUSTOM", AuthorizationPolicy::Action::Custom},
};

std::string_view actionName(AuthorizationPolicy::Action action) {
  for (const ActionName& entry : kActions) {
    if (entry.action == action) {
      return entry.name;
    }
  }
  return "ALLOW";
}

// The policy-wide facts that rule checks depend on.
struct PolicyScope {
  AuthorizationPolicy::Action action = AuthorizationPolicy::Action::Allow;
  bool custom() const { return action == AuthorizationPolicy::Action::Custom; }
};

enum class ValueKind { Plain, IpBlock, Port, PathPattern };

// Reads one list field of a source or operation and checks every value. Returns true when the
// field has a value, even one that could not be read, so that a type error is not reported
// again as an empty source or operation.
bool readRuleValues(DecodeContext& ctx, MapReader& reader, std::string_view key, ValueKind kind,
                    std::vector<std::string>& out) {
  YAML::Node node = reader.take(key);
  std::string path = reader.pathOf(key);
  bool present = reader.has(key) && !(node.IsSequence() && node.size() == 0);
  if (!readStringList(ctx, node, path, out)) {
    return present;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string& value = out[i];
    std::string item_path = indexPath(path, i);
    if (value.empty()) {
      ctx.error(node[i], item_path, "empty value is not allowed in " + std::string(key));
      continue;
    }
    std::string problem;
    switch (kind) {
      case ValueKind::Plain:
        break;
      case ValueKind::IpBlock:
        problem = validateIpOrCidr(value);
        break;
      case ValueKind::Port:
        if (!parsePortString(value)) {
          problem = "bad port (" + value + "); use a decimal port number 0-65535 as a string";
        }
        break;
      case ValueKind::PathPattern:
        problem = validatePathTemplate(value);
        break;
    }
    if (!problem.empty()) {
      ctx.error(node[i], item_path, problem);
    }
  }
  return present;
}

std::string upperFirst(std::string_view key) {
  std::string out(key);
  if (!out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  }
  return out;
}

void checkServiceAccounts(DecodeContext& ctx, MapReader& reader, std::string_view key,
                          const std::vector<std::string>& values) {
  YAML::Node node = reader.take(key);
  if (values.size() > 16) {
    ctx.error(node, reader.pathOf(key),
              std::to_string(values.size()) + " service accounts listed; at most 16 are allowed");
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& value = values[i];
    size_t slash = value.find('/');
    bool valid = !value.empty() && value.find('*') == std::string::npos &&
                 (slash == std::string::npos || (slash > 0 && slash + 1 < value.size() &&
                                                 value.find('/', slash + 1) == std::string::npos));
    if (!valid && !value.empty()) {
      ctx.error(node[i], indexPath(reader.pathOf(key), i),
                "invalid service account " + quote(value) +
                    "; use \"namespace/name\" or \"name\" without wildcards");
    }
  }
}

Source decodeSource(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                    const PolicyScope& scope) {
  Source source;
  source.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  struct Field {
    std::string_view key;
    ValueKind kind;
    std::vector<std::string>* out;
    bool identity;  // a peer or request identity, which CUSTOM policies cannot use
  };
  const Field fields[] = {
      {"principals", ValueKind::Plain, &source.principals, true},
      {"notPrincipals", ValueKind::Plain, &source.not_principals, true},
      {"requestPrincipals", ValueKind::Plain, &source.request_principals, true},
      {"notRequestPrincipals", ValueKind::Plain, &source.not_request_principals, true},
      {"namespaces", ValueKind::Plain, &source.namespaces, true},
      {"notNamespaces", ValueKind::Plain, &source.not_namespaces, true},
      {"serviceAccounts", ValueKind::Plain, &source.service_accounts, true},
      {"notServiceAccounts", ValueKind::Plain, &source.not_service_accounts, true},
      {"trustDomains", ValueKind::Plain, &source.trust_domains, true},
      {"notTrustDomains", ValueKind::Plain, &source.not_trust_domains, true},
      {"ipBlocks", ValueKind::IpBlock, &source.ip_blocks, false},
      {"notIpBlocks", ValueKind::IpBlock, &source.not_ip_blocks, false},
      {"remoteIpBlocks", ValueKind::IpBlock, &source.remote_ip_blocks, false},
      {"notRemoteIpBlocks", ValueKind::IpBlock, &source.not_remote_ip_blocks, false},
  };
  bool any_set = false;
  for (const Field& field : fields) {
    any_set = readRuleValues(ctx, reader, field.key, field.kind, *field.out) || any_set;
    if (scope.custom() && field.identity && !field.out->empty()) {
      ctx.error(reader.keyNode(field.key), reader.pathOf(field.key),
                "From." + upperFirst(field.key) + " is not supported with action CUSTOM" +
                    (field.out == &source.request_principals ||
                             field.out == &source.not_request_principals
                         ? " (CUSTOM runs before JWT validation, so no request identity exists)"
                         : ""));
    }
  }
  checkServiceAccounts(ctx, reader, "serviceAccounts", source.service_accounts);
  checkServiceAccounts(ctx, reader, "notServiceAccounts", source.not_service_accounts);
  any_set = any_set || reader.hasUnknownFields();
  reader.finish();
  if (!reader.isMap()) {
    return source;
  }
  bool peer_identity = !source.principals.empty() || !source.not_principals.empty() ||
                       !source.namespaces.empty() || !source.not_namespaces.empty();
  bool service_accounts = !source.service_accounts.empty() || !source.not_service_accounts.empty();
  if (peer_identity && service_accounts) {
    ctx.error(node, path,
              "serviceAccounts cannot be combined with principals or namespaces in one source");
  }
  if (!any_set) {
    ctx.error(node, path,
              "source must not be empty; set at least one field, or remove `from` to match "
              "every source");
  }
  return source;
}

Operation decodeOperation(DecodeContext& ctx, const YAML::Node& node, const std::string& path) {
  Operation operation;
  operation.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  bool any_set = false;
  const std::tuple<std::string_view, ValueKind, std::vector<std::string>*> fields[] = {
      {"hosts", ValueKind::Plain, &operation.hosts},
      {"notHosts", ValueKind::Plain, &operation.not_hosts},
      {"ports", ValueKind::Port, &operation.ports},
      {"notPorts", ValueKind::Port, &operation.not_ports},
      {"methods", ValueKind::Plain, &operation.methods},
      {"notMethods", ValueKind::Plain, &operation.not_methods},
      {"paths", ValueKind::PathPattern, &operation.paths},
      {"notPaths", ValueKind::PathPattern, &operation.not_paths},
  };
  for (const auto& [key, kind, out] : fields) {
    any_set = readRuleValues(ctx, reader, key, kind, *out) || any_set;
  }
  any_set = any_set || reader.hasUnknownFields();
  reader.finish();
  if (reader.isMap() && !any_set) {
    ctx.error(node, path,
              "operation must not be empty; set at least one field, or remove `to` to match "
              "every request");
  }
  return operation;
}

bool isCustomUnsupportedKey(std::string_view key) {
  return key == "source.namespace" || key == "source.principal" || key == "source.serviceAccount" ||
         key == "source.trustDomain" || key.starts_with("request.auth.");
}

void checkConditionValues(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& values, ConditionValues kind) {
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& value = values[i];
    std::string problem;
    if (value.empty()) {
      problem = "empty value is not allowed";
    } else if (kind == ConditionValues::IpBlocks) {
      problem = validateIpOrCidr(value);
    } else if (kind == ConditionValues::Ports && !parsePortString(value)) {
      problem = "bad port (" + value + "); use a decimal port number 0-65535";
    }
    if (!problem.empty()) {
      ctx.error(node[i], indexPath(path, i), problem);
    }
  }
}

Condition decodeCondition(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                          const PolicyScope& scope) {
  Condition condition;
  condition.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  YAML::Node key = reader.take("key");
  readString(ctx, key, reader.pathOf("key"), condition.key);
  YAML::Node values = reader.take("values");
  YAML::Node not_values = reader.take("notValues");
  bool values_ok = readStringList(ctx, values, reader.pathOf("values"), condition.values);
  bool not_values_ok =
      readStringList(ctx, not_values, reader.pathOf("notValues"), condition.not_values);
  reader.finish();
  if (!reader.isMap()) {
    return condition;
  }
  if (condition.key.empty()) {
    ctx.error(reader.keyNode("key"), reader.pathOf("key"), "key must not be empty");
    return condition;
  }
  if (condition.values.empty() && condition.not_values.empty()) {
    ctx.error(node, path,
              "at least one of values or notValues must be set for key " + condition.key);
    return condition;
  }
  ConditionValues kind = ConditionValues::Any;
  if (std::string problem = validateConditionKey(condition.key, kind); !problem.empty()) {
    ctx.error(key, reader.pathOf("key"), problem);
  } else if (scope.custom() && isCustomUnsupportedKey(condition.key)) {
    ctx.error(key, reader.pathOf("key"),
              "condition key " + condition.key + " is not supported with action CUSTOM");
  }
  if (values_ok) {
    checkConditionValues(ctx, values, reader.pathOf("values"), condition.values, kind);
  }
  if (not_values_ok) {
    checkConditionValues(ctx, not_values, reader.pathOf("notValues"), condition.not_values, kind);
  }
  return condition;
}

// `from` and `to` are lists of single-key maps ({source: ...} or {operation: ...}).
template <class T, class Decode>
void decodeClauses(DecodeContext& ctx, MapReader& rule, std::string_view list_key,
                   std::string_view item_key, std::vector<T>& out, Decode decode) {
  YAML::Node list = rule.take(list_key);
  std::string path = rule.pathOf(list_key);
  if (list.IsSequence() && list.size() == 0) {
    ctx.error(list, path,
              std::string(list_key) + " must not be empty; remove it to match everything");
    return;
  }
  forEachItem(ctx, list, path, [&](const YAML::Node& item, const std::string& item_path, size_t) {
    MapReader clause(ctx, item, item_path);
    YAML::Node body = clause.take(item_key);
    clause.finish();
    if (!clause.isMap()) {
      return;
    }
    if (!body.IsDefined() || body.IsNull()) {
      ctx.error(item, joinPath(item_path, item_key),
                std::string(list_key) + "." + std::string(item_key) + " must be set");
      return;
    }
    out.push_back(decode(body, joinPath(item_path, item_key)));
  });
}

Rule decodeRule(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                const PolicyScope& scope) {
  Rule rule;
  rule.location = ctx.locate(node);
  if (node.IsNull()) {
    ctx.error(node, path, "rule must not be null; use {} for a rule that matches every request");
    return rule;
  }
  MapReader reader(ctx, node, path);
  decodeClauses(ctx, reader, "from", "source", rule.from,
                [&](const YAML::Node& body, const std::string& body_path) {
                  return decodeSource(ctx, body, body_path, scope);
                });
  decodeClauses(ctx, reader, "to", "operation", rule.to,
                [&](const YAML::Node& body, const std::string& body_path) {
                  return decodeOperation(ctx, body, body_path);
                });
  forEachItem(ctx, reader.take("when"), reader.pathOf("when"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                rule.when.push_back(decodeCondition(ctx, item, item_path, scope));
              });
  reader.finish();
  return rule;
}

// istio.io/dry-run is read with Go's strconv.ParseBool. Istio's webhook allows it only with
// ALLOW and DENY; an unparsable value is reported here as a Warning and the policy is enforced,
// which is what istiod does with such a value at run time.
void checkDryRun(DecodeContext& ctx, MapReader& root, AuthorizationPolicy& policy) {
  auto found = policy.meta.annotations.find(std::string(kDryRunAnnotation));
  if (found == policy.meta.annotations.end()) {
    return;
  }
  YAML::Node at = lookup(lookup(lookup(root.node(), "metadata"), "annotations"), kDryRunAnnotation);
  std::string path = "metadata.annotations[" + std::string(kDryRunAnnotation) + "]";
  if (policy.action != AuthorizationPolicy::Action::Allow &&
      policy.action != AuthorizationPolicy::Action::Deny) {
    ctx.error(at, path,
              "annotation istio.io/dry-run is supported only with action ALLOW or DENY, found " +
                  std::string(actionName(policy.action)));
    return;
  }
  std::optional<bool> dry_run = parseGoBool(found->second);
  if (!dry_run) {
    ctx.warning(at, path,
                "invalid value " + quote(found->second) +
                    " for istio.io/dry-run; use true or false. The policy is enforced");
    return;
  }
  policy.dry_run = *dry_run;
}

}  // namespace

RequestAuthentication decodeRequestAuthentication(DecodeContext& ctx, MapReader& root,
                                                  ObjectMeta meta) {
  RequestAuthentication policy;
  policy.meta = std::move(meta);
  MapReader spec(ctx, root.take("spec"), "spec");
  policy.target = decodeWorkloadTarget(ctx, spec);
  forEachItem(ctx, spec.take("jwtRules"), spec.pathOf("jwtRules"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                policy.jwt_rules.push_back(decodeJwtRule(ctx, item, item_path));
              });
  spec.finish();
  return policy;
}

AuthorizationPolicy decodeAuthorizationPolicy(DecodeContext& ctx, MapReader& root,
                                              ObjectMeta meta) {
  AuthorizationPolicy policy;
  policy.meta = std::move(meta);
  MapReader spec(ctx, root.take("spec"), "spec");
  policy.target = decodeWorkloadTarget(ctx, spec);

  YAML::Node action = spec.take("action");
  std::string action_name;
  if (readString(ctx, action, spec.pathOf("action"), action_name) && !action_name.empty()) {
    auto found = std::find_if(std::begin(kActions), std::end(kActions),
                              [&](const ActionName& entry) { return entry.name == action_name; });
    if (found == std::end(kActions)) {
      ctx.error(action, spec.pathOf("action"),
                "unknown action " + quote(action_name) + "; accepted: ALLOW, DENY, AUDIT, CUSTOM");
    } else {
      policy.action = found->action;
    }
  }
  PolicyScope scope{policy.action};

  YAML::Node provider = spec.take("provider");
  bool has_provider = provider.IsDefined() && !provider.IsNull();
  if (has_provider) {
    MapReader reader(ctx, provider, spec.pathOf("provider"));
    reader.readString("name", policy.provider);
    reader.finish();
  }

  YAML::Node rules = spec.take("rules");
  policy.has_rules = rules.IsDefined() && !rules.IsNull();
  forEachItem(ctx, rules, spec.pathOf("rules"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                policy.rules.push_back(decodeRule(ctx, item, item_path, scope));
              });
  spec.finish();

  bool no_rules = policy.rules.empty();
  std::string_view name = actionName(policy.action);
  if (has_provider && !scope.custom()) {
    ctx.error(spec.keyNode("provider"), spec.pathOf("provider"),
              "provider is only allowed with action CUSTOM, found action " + std::string(name));
  }
  if ((scope.custom() || policy.action == AuthorizationPolicy::Action::Deny) && no_rules) {
    ctx.error(spec.node(), "spec.rules",
              "action " + std::string(name) +
                  " without rules never matches; add an empty rule {} to match every request");
  }
  if (scope.custom() && !no_rules && policy.provider.empty()) {
    ctx.error(spec.keyNode("provider"), "spec.provider.name",
              "provider.name must be set for action CUSTOM");
  }
  checkDryRun(ctx, root, policy);
  return policy;
}

}  // namespace portcullis::config::internal
