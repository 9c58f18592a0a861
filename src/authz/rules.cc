#include "authz/rules.h"

#include <optional>
#include <string_view>

#include "authz/attribute_value.h"

namespace portcullis::authz {
namespace {

// Rewrites serviceAccounts values "<namespace>/<name>" to "<namespace>/sa/<name>", the form
// they take inside a peer principal. A value without a namespace names a service account of
// the policy's own namespace, `policy_ns`.
std::vector<std::string> toPrincipalServiceAccounts(const std::vector<std::string>& values,
                                                    std::string_view policy_ns) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const auto& value : values) {
    const size_t slash = value.find('/');
    out.push_back(slash == std::string::npos
                      ? std::string(policy_ns) + "/sa/" + value
                      : value.substr(0, slash) + "/sa/" + value.substr(slash + 1));
  }
  return out;
}

constexpr std::string_view kNoPeerIdentity =
    "no mTLS peer identity (clients of a gateway present none)";
constexpr std::string_view kNoSni = "the connection has no TLS SNI";
constexpr std::string_view kUnavailable = "Envoy filter metadata is not available at this gateway";

constexpr std::string_view kHeaderKey = "request.headers";
constexpr std::string_view kClaimsKey = "request.auth.claims";
constexpr std::string_view kExperimentalKey = "experimental.envoy.filters.";

// ---------------------------------------------------------------------------------------------
// Compilation

// Parses the bracketed part of `request.auth.claims[a][b]` into {"a", "b"}, as istiod reads it.
// Text that is not a plain run of `[name]` groups is one claim name when the whole text is in
// brackets: "[a[b]]" names the claim "a[b]". Dots are part of names.
std::optional<std::vector<std::string>> parseClaimPath(std::string_view brackets) {
  std::vector<std::string> names;
  size_t begin = 0;
  while (begin < brackets.size()) {
    size_t end = std::string_view::npos;
    if (brackets[begin] == '[') {
      for (size_t i = begin + 1; i < brackets.size() && brackets[i] != '['; ++i) {
        if (brackets[i] == ']') {
          end = i;
          break;
        }
      }
    }
    if (end == std::string_view::npos) {
      if (brackets.size() >= 2 && brackets.front() == '[' && brackets.back() == ']') {
        return std::vector<std::string>{std::string(brackets.substr(1, brackets.size() - 2))};
      }
      return std::nullopt;
    }
    names.emplace_back(brackets.substr(begin + 1, end - begin - 1));
    begin = end + 1;
  }
  if (names.empty()) {
    return std::nullopt;
  }
  return names;
}

// Parses the "[name]" of `request.headers[name]` into the lower-cased header name.
std::optional<std::string> parseHeaderName(std::string_view brackets) {
  if (brackets.size() < 3 || brackets.front() != '[' || brackets.back() != ']') {
    return std::nullopt;
  }
  std::string name(brackets.substr(1, brackets.size() - 2));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return name;
}

// Compiler of the values of one field or condition key into patterns.
struct ValueParser {
  enum class Kind { String, Path, Cidr, Port, Principal, Invalid };
  Kind kind = Kind::String;
  StringPattern::Wildcard wildcard = StringPattern::Wildcard::NonEmpty;
  bool ignore_case = false;
  bool glob = false;  // an inner '*' matches any run of characters (namespaces)
  std::string_view invalid_reason;  // Kind::Invalid: why every value of the key fails

  // Returns the pattern of `value`, or nullopt with `problem` saying why it is invalid.
  std::optional<ValuePattern> parse(std::string_view value, std::string* problem) const {
    switch (kind) {
      case Kind::String:
        if (glob && value.size() > 2 &&
            value.substr(1, value.size() - 2).find('*') != std::string_view::npos) {
          return StringPattern::glob(value);
        }
        return StringPattern::parse(value, wildcard, ignore_case);
      case Kind::Path:
        if (!PathTemplate::isTemplate(value)) {
          return StringPattern::parse(value, StringPattern::Wildcard::NonEmpty);
        }
        if (auto parsed = PathTemplate::parse(value)) {
          return *std::move(parsed);
        }
        *problem = "invalid path template";
        return std::nullopt;
      case Kind::Cidr:
        if (auto parsed = CidrRange::parse(value)) {
          return *parsed;
        }
        *problem = "invalid IP address or CIDR range";
        return std::nullopt;
      case Kind::Port:
        if (auto parsed = parsePort(value)) {
          return *parsed;
        }
        *problem = "invalid port";
        return std::nullopt;
      case Kind::Principal:
        return PrincipalPattern::parse(value);
      case Kind::Invalid:
        *problem = std::string(invalid_reason);
        return std::nullopt;
    }
    return std::nullopt;
  }
};

ValueParser stringParser(StringPattern::Wildcard wildcard, bool ignore_case = false) {
  ValueParser parser;
  parser.wildcard = wildcard;
  parser.ignore_case = ignore_case;
  return parser;
}

ValueParser parserOf(ValueParser::Kind kind) {
  ValueParser parser;
  parser.kind = kind;
  return parser;
}

class RuleCompiler {
 public:
  RuleCompiler(InvalidValues handling, std::string_view policy_ns, CompiledRule& rule)
      : handling_(handling), policy_ns_(policy_ns), rule_(rule) {}

  // Appends a clause for one field to `out`, unless no value of it is left to check.
  void addClause(std::vector<Clause>& out, Clause clause, const std::vector<std::string>& values,
                 const std::vector<std::string>& not_values, const ValueParser& parser) {
    compileValues(clause.label, values, parser, clause.values, clause.value_texts);
    compileValues(clause.not_label, not_values, parser, clause.not_values, clause.not_value_texts);
    if (!clause.values.empty() || !clause.not_values.empty()) {
      out.push_back(std::move(clause));
    }
  }

  void compileSource(size_t index, const config::Source& source) {
    Branch branch;
    branch.label = "from[" + std::to_string(index) + "]";
    std::string base = branch.label + ".source.";
    auto field = [&](Attribute attribute, std::string_view name, std::string_view not_name,
                     const std::vector<std::string>& values,
                     const std::vector<std::string>& not_values, const ValueParser& parser) {
      Clause clause;
      clause.attribute = attribute;
      clause.label = base + std::string(name);
      clause.not_label = base + std::string(not_name);
      addClause(branch.clauses, std::move(clause), values, not_values, parser);
    };
    auto peer = stringParser(StringPattern::Wildcard::NonEmpty);
    field(Attribute::PeerPrincipal, "principals", "notPrincipals", source.principals,
          source.not_principals, peer);
    field(Attribute::RequestPrincipal, "requestPrincipals", "notRequestPrincipals",
          source.request_principals, source.not_request_principals,
          parserOf(ValueParser::Kind::Principal));
    auto ns_parser = peer;
    ns_parser.glob = true;
    field(Attribute::PeerNamespace, "namespaces", "notNamespaces", source.namespaces,
          source.not_namespaces, ns_parser);
    field(Attribute::PeerServiceAccount, "serviceAccounts", "notServiceAccounts",
          toPrincipalServiceAccounts(source.service_accounts, policy_ns_),
          toPrincipalServiceAccounts(source.not_service_accounts, policy_ns_), peer);
    field(Attribute::PeerTrustDomain, "trustDomains", "notTrustDomains", source.trust_domains,
          source.not_trust_domains, peer);
    field(Attribute::SourceIp, "ipBlocks", "notIpBlocks", source.ip_blocks, source.not_ip_blocks,
          parserOf(ValueParser::Kind::Cidr));
    field(Attribute::RemoteIp, "remoteIpBlocks", "notRemoteIpBlocks", source.remote_ip_blocks,
          source.not_remote_ip_blocks, parserOf(ValueParser::Kind::Cidr));
    rule_.from.push_back(std::move(branch));
  }

  void compileOperation(size_t index, const config::Operation& operation) {
    Branch branch;
    branch.label = "to[" + std::to_string(index) + "]";
    std::string base = branch.label + ".operation.";
    auto field = [&](Attribute attribute, std::string_view name, std::string_view not_name,
                     const std::vector<std::string>& values,
                     const std::vector<std::string>& not_values, const ValueParser& parser) {
      Clause clause;
      clause.attribute = attribute;
      clause.label = base + std::string(name);
      clause.not_label = base + std::string(not_name);
      addClause(branch.clauses, std::move(clause), values, not_values, parser);
    };
    field(Attribute::Host, "hosts", "notHosts", operation.hosts, operation.not_hosts,
          stringParser(StringPattern::Wildcard::Present, /*ignore_case=*/true));
    field(Attribute::DestinationPort, "ports", "notPorts", operation.ports, operation.not_ports,
          parserOf(ValueParser::Kind::Port));
    field(Attribute::Method, "methods", "notMethods", operation.methods, operation.not_methods,
          stringParser(StringPattern::Wildcard::Present));
    field(Attribute::Path, "paths", "notPaths", operation.paths, operation.not_paths,
          parserOf(ValueParser::Kind::Path));
    rule_.to.push_back(std::move(branch));
  }

  // Returns false when the key is unknown, which removes the whole rule.
  bool compileCondition(size_t index, const config::Condition& condition) {
    const std::string& key = condition.key;
    Clause clause;
    clause.label = "when[" + std::to_string(index) + "] " + key;
    clause.not_label = clause.label + " notValues";
    ValueParser parser = stringParser(StringPattern::Wildcard::NonEmpty);

    if (key.starts_with(kHeaderKey)) {
      clause.attribute = Attribute::Header;
      parser = stringParser(StringPattern::Wildcard::Present);
      if (auto name = parseHeaderName(std::string_view(key).substr(kHeaderKey.size()))) {
        clause.header_name = *std::move(name);
      } else {
        parser = invalidKey("invalid key, expected request.headers[<name>]");
      }
    } else if (key == "source.ip" || key == "remote.ip" || key == "destination.ip") {
      clause.attribute = key == "source.ip"   ? Attribute::SourceIp
                         : key == "remote.ip" ? Attribute::RemoteIp
                                              : Attribute::DestinationIp;
      parser = parserOf(ValueParser::Kind::Cidr);
    } else if (key == "destination.port") {
      clause.attribute = Attribute::DestinationPort;
      parser = parserOf(ValueParser::Kind::Port);
    } else if (key == "connection.sni") {
      clause.attribute = Attribute::Sni;
    } else if (key == "source.principal") {
      clause.attribute = Attribute::PeerPrincipal;
    } else if (key == "source.namespace") {
      clause.attribute = Attribute::PeerNamespace;
      parser.glob = true;
    } else if (key == "source.serviceAccount") {
      clause.attribute = Attribute::PeerServiceAccount;
    } else if (key == "source.trustDomain") {
      clause.attribute = Attribute::PeerTrustDomain;
    } else if (key == "request.auth.principal") {
      clause.attribute = Attribute::RequestPrincipal;
      parser = parserOf(ValueParser::Kind::Principal);
    } else if (key == "request.auth.audiences" || key == "request.auth.presenter") {
      clause.attribute = Attribute::Claim;
      clause.claim_path = {key == "request.auth.audiences" ? "aud" : "azp"};
    } else if (key.starts_with(kClaimsKey)) {
      clause.attribute = Attribute::Claim;
      if (auto path = parseClaimPath(std::string_view(key).substr(kClaimsKey.size()))) {
        clause.claim_path = *std::move(path);
      } else {
        parser = invalidKey("invalid key, expected request.auth.claims[<name>]...");
      }
    } else if (key.starts_with(kExperimentalKey)) {
      clause.attribute = Attribute::Unavailable;
      if (key.find('[') == std::string::npos) {
        parser = invalidKey("invalid key, expected experimental.envoy.filters.<filter>[<key>]");
      }
    } else {
      return false;
    }
    if (clause.attribute == Attribute::PeerServiceAccount) {
      addClause(rule_.when, std::move(clause),
                toPrincipalServiceAccounts(condition.values, policy_ns_),
                toPrincipalServiceAccounts(condition.not_values, policy_ns_), parser);
      return true;
    }
    addClause(rule_.when, std::move(clause), condition.values, condition.not_values, parser);
    return true;
  }

 private:
  static ValueParser invalidKey(std::string_view reason) {
    ValueParser parser;
    parser.kind = ValueParser::Kind::Invalid;
    parser.invalid_reason = reason;
    return parser;
  }

  void compileValues(const std::string& label, const std::vector<std::string>& values,
                     const ValueParser& parser, std::vector<ValuePattern>& patterns,
                     std::vector<std::string>& texts) {
    for (const std::string& value : values) {
      std::string problem;
      std::optional<ValuePattern> pattern = parser.parse(value, &problem);
      if (pattern) {
        patterns.push_back(*std::move(pattern));
        texts.push_back(value);
        continue;
      }
      std::string where = label + ": " + problem + " " + quote(value);
      if (handling_ == InvalidValues::DropRule) {
        if (rule_.installed) {
          rule_.installed = false;
          rule_.note = "not installed: " + where + " (Istio drops an ALLOW rule with a value " +
                       "it cannot compile)";
        }
      } else {
        rule_.note += rule_.note.empty() ? "ignored " : "; ignored ";
        rule_.note += where;
      }
    }
  }

  InvalidValues handling_;
  std::string_view policy_ns_;
  CompiledRule& rule_;
};

// ---------------------------------------------------------------------------------------------
// Matching

// Explanation being built while a trace is requested.
struct Notes {
  std::string failure;
  std::string matched;

  void addMatched(const std::string& text) {
    if (!matched.empty()) {
      matched += "; ";
    }
    matched += text;
  }
};

// A part of the peer identity "<trust domain>/ns/<namespace>/sa/<service account>"; absent
// without an mTLS peer.
AttributeValue peerIdentityPart(Attribute part, std::string_view principal) {
  if (principal.empty()) {
    return AttributeValue::absent(kNoPeerIdentity);
  }
  const size_t ns_at = principal.find("/ns/");
  const size_t sa_at = principal.find("/sa/");
  if (part == Attribute::PeerPrincipal || ns_at == std::string_view::npos ||
      sa_at == std::string_view::npos || sa_at < ns_at) {
    return part == Attribute::PeerPrincipal ? AttributeValue::ofText(principal)
                                            : AttributeValue::absent(kNoPeerIdentity);
  }
  const std::string_view trust_domain = principal.substr(0, ns_at);
  const std::string_view ns = principal.substr(ns_at + 4, sa_at - ns_at - 4);
  switch (part) {
    case Attribute::PeerNamespace:
      return AttributeValue::ofText(ns);
    case Attribute::PeerServiceAccount:
      // "<namespace>/sa/<service account>"; policy values "<namespace>/<service account>" are
      // rewritten to this form when compiled (toPrincipalServiceAccounts).
      return AttributeValue::ofText(principal.substr(ns_at + 4));
    case Attribute::PeerTrustDomain:
      return AttributeValue::ofText(trust_domain);
    default:
      return AttributeValue::ofText(principal);
  }
}

AttributeValue resolve(const Clause& clause, const RequestAttributes& request) {
  switch (clause.attribute) {
    case Attribute::Host:
      return hostValue(request);
    case Attribute::Method:
      return AttributeValue::ofText(request.method);
    case Attribute::Path:
      return AttributeValue::ofText(request.path);
    case Attribute::DestinationPort:
      return AttributeValue::ofPort(request.destination_port);
    case Attribute::SourceIp:
      return AttributeValue::ofAddress(request.source_ip);
    case Attribute::RemoteIp:
      return AttributeValue::ofAddress(request.remote_ip);
    case Attribute::DestinationIp:
      return AttributeValue::ofAddress(request.destination_ip);
    case Attribute::Sni:
      return request.sni.empty() ? AttributeValue::absent(kNoSni)
                                 : AttributeValue::ofText(request.sni);
    case Attribute::RequestPrincipal:
      return principalValue(request);
    case Attribute::Claim:
      return claimValue(request, clause.claim_path);
    case Attribute::Header:
      return headerValue(request, clause.header_name);
    case Attribute::PeerPrincipal:
    case Attribute::PeerNamespace:
    case Attribute::PeerServiceAccount:
    case Attribute::PeerTrustDomain:
      return peerIdentityPart(clause.attribute, request.peer_principal);
    case Attribute::Unavailable:
      return AttributeValue::absent(kUnavailable);
  }
  return AttributeValue::absent(kUnavailable);
}

struct PatternVisitor {
  const AttributeValue& value;

  bool operator()(const StringPattern& pattern) const { return matchesString(pattern, value); }
  bool operator()(const PathTemplate& pattern) const {
    return value.kind == AttributeValue::Kind::Text && pattern.matches(value.text);
  }
  bool operator()(const CidrRange& range) const {
    return value.kind == AttributeValue::Kind::Address && range.contains(value.address);
  }
  bool operator()(uint16_t port) const {
    return value.kind == AttributeValue::Kind::Port && value.port == port;
  }
  bool operator()(const PrincipalPattern& pattern) const {
    return value.kind == AttributeValue::Kind::Principal &&
           pattern.matches(value.issuer, value.subject);
  }
};

// Returns the index of the first pattern that matches `value`, or -1.
int firstMatch(const std::vector<ValuePattern>& patterns, const AttributeValue& value) {
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (std::visit(PatternVisitor{value}, patterns[i])) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string quoteList(const std::vector<std::string>& texts) {
  std::string out = "[";
  for (size_t i = 0; i < texts.size(); ++i) {
    out += i == 0 ? "" : ", ";
    out += quote(texts[i]);
  }
  return out + "]";
}

bool matchClause(const Clause& clause, const RequestAttributes& request, Notes* notes) {
  AttributeValue value = resolve(clause, request);
  bool absent = value.kind == AttributeValue::Kind::Absent;
  if (!clause.values.empty()) {
    int hit = firstMatch(clause.values, value);
    if (hit < 0) {
      if (notes != nullptr) {
        notes->failure = clause.label + ": " + describeValue(value);
        if (!absent) {
          notes->failure += " does not match any of " + quoteList(clause.value_texts);
        }
      }
      return false;
    }
    if (notes != nullptr) {
      notes->addMatched(clause.label + ": " + describeValue(value) + " matches " +
                        quote(clause.value_texts[hit]));
    }
  }
  if (!clause.not_values.empty()) {
    int hit = firstMatch(clause.not_values, value);
    if (hit >= 0) {
      if (notes != nullptr) {
        notes->failure = clause.not_label + ": " + describeValue(value) + " matches " +
                         quote(clause.not_value_texts[hit]);
      }
      return false;
    }
    if (notes != nullptr) {
      std::string text = clause.not_label + ": " + describeValue(value);
      text += absent ? ", so none of " + quoteList(clause.not_value_texts) + " can match"
                     : " matches none of " + quoteList(clause.not_value_texts);
      notes->addMatched(text);
    }
  }
  return true;
}

bool matchBranch(const Branch& branch, const RequestAttributes& request, Notes* notes) {
  for (const Clause& clause : branch.clauses) {
    if (!matchClause(clause, request, notes)) {
      return false;
    }
  }
  if (notes != nullptr && branch.clauses.empty()) {
    notes->addMatched(branch.label + ": no field left to check, matches every request");
  }
  return true;
}

// A request matches a `from` or `to` list when it matches one of its entries.
bool matchBranches(const std::vector<Branch>& branches, const RequestAttributes& request,
                   Notes* notes) {
  std::string failures;
  for (const Branch& branch : branches) {
    Notes branch_notes;
    if (matchBranch(branch, request, notes != nullptr ? &branch_notes : nullptr)) {
      if (notes != nullptr) {
        notes->addMatched(branch_notes.matched);
      }
      return true;
    }
    if (notes != nullptr) {
      failures += failures.empty() ? "" : "; ";
      failures += branch_notes.failure;
    }
  }
  if (notes != nullptr) {
    notes->failure = std::move(failures);
  }
  return false;
}

bool matchConditions(const std::vector<Clause>& conditions, const RequestAttributes& request,
                     Notes* notes) {
  for (const Clause& condition : conditions) {
    if (!matchClause(condition, request, notes)) {
      return false;
    }
  }
  return true;
}

}  // namespace

CompiledRule compileRule(const config::Rule& rule, InvalidValues handling,
                         std::string_view policy_ns) {
  CompiledRule compiled;
  RuleCompiler compiler(handling, policy_ns, compiled);
  for (size_t i = 0; i < rule.from.size(); ++i) {
    compiler.compileSource(i, rule.from[i]);
  }
  for (size_t i = 0; i < rule.to.size(); ++i) {
    compiler.compileOperation(i, rule.to[i]);
  }
  for (size_t i = 0; i < rule.when.size(); ++i) {
    if (!compiler.compileCondition(i, rule.when[i])) {
      CompiledRule dropped;
      dropped.installed = false;
      dropped.note = "not installed: when[" + std::to_string(i) + "]: unknown key " +
                     quote(rule.when[i].key) + " (Istio drops a rule with an unknown key)";
      return dropped;
    }
  }
  return compiled;
}

bool matchRule(const CompiledRule& rule, const RequestAttributes& request,
               std::string* explanation) {
  if (!rule.installed) {
    if (explanation != nullptr) {
      *explanation = rule.note;
    }
    return false;
  }
  Notes notes;
  Notes* notes_or_null = explanation != nullptr ? &notes : nullptr;
  bool matched = (rule.from.empty() || matchBranches(rule.from, request, notes_or_null)) &&
                 (rule.to.empty() || matchBranches(rule.to, request, notes_or_null)) &&
                 matchConditions(rule.when, request, notes_or_null);
  if (explanation == nullptr) {
    return matched;
  }
  if (!matched) {
    *explanation = std::move(notes.failure);
  } else if (notes.matched.empty()) {
    *explanation = "matched: the rule sets no from, to or when, so it matches every request";
  } else {
    *explanation = "matched: " + notes.matched;
  }
  if (!rule.note.empty()) {
    *explanation += " (" + rule.note + ")";
  }
  return matched;
}

}  // namespace portcullis::authz
