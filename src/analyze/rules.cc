// Analysis of AuthorizationPolicy rules that can never match at a gateway, or whose negated
// fields hold for every request. Peer identities need mTLS, which external clients do not use.
// Request principals and claims need a RequestAuthentication with a matching issuer. `ports`
// compare the port the gateway listens on.
#include <algorithm>

#include "analyze/context.h"
#include "authz/patterns.h"

namespace portcullis::analyze {
namespace {

using Action = config::AuthorizationPolicy::Action;

constexpr std::string_view kPeerIdentityHint =
    "clients of an ingress gateway connect without an mTLS certificate, so peer identities "
    "exist only between sidecars. To match end users, use requestPrincipals or "
    "request.auth.claims with a RequestAuthentication, or remoteIpBlocks for client addresses";

// One field of a rule that never matches, or whose negation always holds.
struct FieldFinding {
  std::string field;  // "spec.rules[0].from[1].source.principals"
  config::SourceLocation location;
  std::string_view code;
  std::string problem;  // why, without the consequence for the rule
  std::string hint;
  enum class Effect { NeverMatches, SomeValuesNeverMatch, AlwaysHolds } effect;
};

// Dead parts of one rule's `from`, `to` and `when` lists, found by the analysis.
struct RuleShape {
  std::vector<bool> dead_from;  // per entry: some field of it never matches
  std::vector<bool> dead_to;
  bool dead_when = false;
};

std::string actionVerb(Action action) {
  switch (action) {
    case Action::Allow:
      return "allows nothing";
    case Action::Deny:
      return "denies nothing";
    case Action::Audit:
      return "audits nothing";
    case Action::Custom:
      return "sends no request to its provider";
  }
  return "has no effect";
}

std::string actionOfAll(Action action) {
  switch (action) {
    case Action::Allow:
      return "this ALLOW rule allows every request that its other fields match";
    case Action::Deny:
      return "this DENY rule denies every request that its other fields match";
    case Action::Audit:
      return "this AUDIT rule audits every request that its other fields match";
    case Action::Custom:
      return "this CUSTOM rule sends every request that its other fields match to its provider";
  }
  return {};
}

bool allOf(const std::vector<bool>& flags) {
  return !flags.empty() && std::all_of(flags.begin(), flags.end(), [](bool flag) { return flag; });
}

// The issuers of the jwtRules attached to one workload.
struct WorkloadIssuers {
  const ServedWorkload* served = nullptr;
  std::vector<std::string> issuers;  // an empty issuer accepts tokens of any issuer
};

class RuleAnalyzer {
 public:
  RuleAnalyzer(Context& context, const config::AuthorizationPolicy& policy,
               std::vector<const ServedWorkload*> workloads)
      : context_(context), policy_(policy), workloads_(std::move(workloads)) {
    for (const ServedWorkload* served : workloads_) {
      WorkloadIssuers entry{served, {}};
      for (const auto& applied : context_.jwtRulesFor(served->workload)) {
        entry.issuers.push_back(applied.rule->issuer);
      }
      issuers_.push_back(std::move(entry));
    }
  }

  void run() {
    for (size_t i = 0; i < policy_.rules.size(); ++i) {
      analyzeRule(i, policy_.rules[i]);
    }
  }

 private:
  void analyzeRule(size_t index, const config::Rule& rule) {
    const std::string base = "spec.rules[" + std::to_string(index) + "]";
    std::vector<FieldFinding> findings;
    RuleShape shape;
    for (size_t j = 0; j < rule.from.size(); ++j) {
      const size_t before = findings.size();
      checkSource(base + ".from[" + std::to_string(j) + "].source", rule.from[j], findings);
      shape.dead_from.push_back(anyNeverMatches(findings, before));
    }
    for (size_t j = 0; j < rule.to.size(); ++j) {
      const size_t before = findings.size();
      checkOperation(base + ".to[" + std::to_string(j) + "].operation", rule.to[j], findings);
      shape.dead_to.push_back(anyNeverMatches(findings, before));
    }
    for (size_t j = 0; j < rule.when.size(); ++j) {
      const size_t before = findings.size();
      checkCondition(base + ".when[" + std::to_string(j) + "]", rule.when[j], findings);
      shape.dead_when = shape.dead_when || anyNeverMatches(findings, before);
    }
    const bool rule_dead = allOf(shape.dead_from) || allOf(shape.dead_to) || shape.dead_when;
    for (auto& finding : findings) {
      context_.warn(finding.location, objectName(policy_.meta), finding.field, finding.code,
                    finding.problem + consequence(index, finding, rule_dead),
                    std::move(finding.hint));
    }
  }

  std::string consequence(size_t index, const FieldFinding& finding, bool rule_dead) const {
    const std::string rule = "rule " + std::to_string(index);
    switch (finding.effect) {
      case FieldFinding::Effect::NeverMatches:
        if (rule_dead) {
          return ", so " + rule + " never matches and " + actionVerb(policy_.action);
        }
        return ", so this entry never matches; " + rule + " can still match through its other " +
               (finding.field.find(".from[") != std::string::npos ? "sources" : "operations");
      case FieldFinding::Effect::SomeValuesNeverMatch:
        return "; " + rule + " can still match through its other values";
      case FieldFinding::Effect::AlwaysHolds:
        return "; " + actionOfAll(policy_.action);
    }
    return {};
  }

  static bool anyNeverMatches(const std::vector<FieldFinding>& findings, size_t from) {
    return std::any_of(findings.begin() + static_cast<std::ptrdiff_t>(from), findings.end(),
                       [](const FieldFinding& finding) {
                         return finding.effect == FieldFinding::Effect::NeverMatches;
                       });
  }

  // -------------------------------------------------------------------------------------------
  // Fields

  void checkSource(const std::string& path, const config::Source& source,
                   std::vector<FieldFinding>& out) {
    struct PeerField {
      std::string_view name;
      std::string_view not_name;
      const std::vector<std::string>& values;
      const std::vector<std::string>& not_values;
    };
    const PeerField peer_fields[] = {
        {"principals", "notPrincipals", source.principals, source.not_principals},
        {"namespaces", "notNamespaces", source.namespaces, source.not_namespaces},
        {"serviceAccounts", "notServiceAccounts", source.service_accounts,
         source.not_service_accounts},
        {"trustDomains", "notTrustDomains", source.trust_domains, source.not_trust_domains},
    };
    for (const auto& field : peer_fields) {
      checkPeerIdentity(path + "." + std::string(field.name),
                        path + "." + std::string(field.not_name), source.location, field.values,
                        field.not_values, out);
    }
    checkRequestPrincipals(path + ".requestPrincipals", path + ".notRequestPrincipals",
                           source.location, source.request_principals,
                           source.not_request_principals, out);
  }

  void checkOperation(const std::string& path, const config::Operation& operation,
                      std::vector<FieldFinding>& out) {
    checkPorts(path + ".ports", operation.location, operation.ports, out);
  }

  void checkCondition(const std::string& path, const config::Condition& condition,
                      std::vector<FieldFinding>& out) {
    const std::string& key = condition.key;
    const std::string field = path + " " + key;
    const std::string not_field = field + " notValues";
    if (key == "source.principal" || key == "source.namespace" || key == "source.serviceAccount" ||
        key == "source.trustDomain") {
      checkPeerIdentity(field, not_field, condition.location, condition.values,
                        condition.not_values, out);
    } else if (key == "connection.sni" && !condition.values.empty()) {
      out.push_back(
          FieldFinding{field, condition.location, kSniNeverPresent,
                       "Portcullis serves plain HTTP only, so connections carry no TLS server name",
                       "match the requested host with to.operation.hosts instead",
                       FieldFinding::Effect::NeverMatches});
    } else if (key == "request.auth.principal") {
      checkRequestPrincipals(field, not_field, condition.location, condition.values,
                             condition.not_values, out);
    } else if (key.starts_with("request.auth.")) {
      checkClaims(field, not_field, condition.location, condition.values, condition.not_values,
                  out);
    } else if (key == "destination.port") {
      checkPorts(field, condition.location, condition.values, out);
    }
  }

  void checkPeerIdentity(const std::string& field, const std::string& not_field,
                         const config::SourceLocation& location,
                         const std::vector<std::string>& values,
                         const std::vector<std::string>& not_values,
                         std::vector<FieldFinding>& out) {
    if (!values.empty()) {
      out.push_back(FieldFinding{field, location, kPeerIdentityNeverPresent,
                                 "needs the client's mTLS peer identity, which external "
                                 "clients of a gateway never present",
                                 std::string(kPeerIdentityHint),
                                 FieldFinding::Effect::NeverMatches});
    } else if (!not_values.empty()) {
      out.push_back(FieldFinding{not_field, location, kPeerIdentityNeverPresent,
                                 "external clients of a gateway present no mTLS peer identity, "
                                 "so the negation of " +
                                     quotedList(not_values) + " holds for every request",
                                 std::string(kPeerIdentityHint),
                                 FieldFinding::Effect::AlwaysHolds});
    }
  }

  // The workloads of this policy that no RequestAuthentication attaches to, described.
  std::string workloadsWithoutJwt() const {
    std::string out;
    for (const auto& entry : issuers_) {
      if (entry.issuers.empty()) {
        out += (out.empty() ? "" : "; ") + entry.served->workload.describe();
      }
    }
    return out;
  }

  bool anyJwtRule() const {
    return std::any_of(issuers_.begin(), issuers_.end(),
                       [](const WorkloadIssuers& entry) { return !entry.issuers.empty(); });
  }

  std::string noJwtHint() const {
    const snapshot::Workload& workload = workloads_.front()->workload;
    return "add a RequestAuthentication with a jwtRule for the issuer, in namespace " +
           context_.rootNamespace() +
           (workload.ns != context_.rootNamespace() ? " or " + workload.ns : "") +
           ", whose selector the gateway's labels " + labelsText(workload.labels) + " match";
  }

  // Adds a finding when no request can carry a verified JWT; returns whether it did.
  bool checkJwtPresent(const std::string& field, const std::string& not_field,
                       const config::SourceLocation& location,
                       const std::vector<std::string>& values,
                       const std::vector<std::string>& not_values, std::vector<FieldFinding>& out) {
    if (anyJwtRule()) {
      return false;
    }
    const std::string why = "no RequestAuthentication applies to the " + workloadsWithoutJwt() +
                            ", and without one no request carries a verified JWT";
    if (!values.empty()) {
      out.push_back(FieldFinding{field, location, kNoRequestAuthentication,
                                 why + " that any of " + quotedList(values) + " could match",
                                 noJwtHint(), FieldFinding::Effect::NeverMatches});
    } else if (!not_values.empty()) {
      out.push_back(FieldFinding{
          not_field, location, kNoRequestAuthentication,
          why + ", so the negation of " + quotedList(not_values) + " holds for every request",
          noJwtHint(), FieldFinding::Effect::AlwaysHolds});
    }
    return true;
  }

  // Whether a request principal pattern can match a token of some configured issuer.
  bool principalIssuerConfigured(const std::string& value) const {
    const authz::PrincipalPattern pattern = authz::PrincipalPattern::parse(value);
    for (const auto& entry : issuers_) {
      for (const auto& issuer : entry.issuers) {
        if (issuer.empty() || pattern.issuer.matches(issuer)) {
          return true;
        }
      }
    }
    return false;
  }

  std::string configuredIssuers() const {
    std::vector<std::string> issuers;
    for (const auto& entry : issuers_) {
      for (const auto& issuer : entry.issuers) {
        if (std::find(issuers.begin(), issuers.end(), issuer) == issuers.end()) {
          issuers.push_back(issuer);
        }
      }
    }
    return quotedList(issuers);
  }

  void checkRequestPrincipals(const std::string& field, const std::string& not_field,
                              const config::SourceLocation& location,
                              const std::vector<std::string>& values,
                              const std::vector<std::string>& not_values,
                              std::vector<FieldFinding>& out) {
    if (checkJwtPresent(field, not_field, location, values, not_values, out) || values.empty()) {
      return;
    }
    std::vector<std::string> unmatched;
    for (const auto& value : values) {
      if (!principalIssuerConfigured(value)) {
        unmatched.push_back(value);
      }
    }
    if (unmatched.empty()) {
      return;
    }
    const bool all = unmatched.size() == values.size();
    out.push_back(FieldFinding{
        field, location, kIssuerNotConfigured,
        (all ? "no value of " + quotedList(values) + " can"
             : "the values " + quotedList(unmatched) + " cannot") +
            " match a token, because no jwtRule that applies to this gateway has a matching "
            "issuer (a principal is \"<iss>/<sub>\", split at the last '/')",
        "configured issuers: " + configuredIssuers() +
            "; correct the issuer part of the value or add a jwtRule for that issuer",
        all ? FieldFinding::Effect::NeverMatches : FieldFinding::Effect::SomeValuesNeverMatch});
  }

  void checkClaims(const std::string& field, const std::string& not_field,
                   const config::SourceLocation& location, const std::vector<std::string>& values,
                   const std::vector<std::string>& not_values, std::vector<FieldFinding>& out) {
    checkJwtPresent(field, not_field, location, values, not_values, out);
  }

  void checkPorts(const std::string& field, const config::SourceLocation& location,
                  const std::vector<std::string>& values, std::vector<FieldFinding>& out) {
    if (values.empty()) {
      return;
    }
    std::vector<std::string> unused;
    std::string advice;
    for (const auto& value : values) {
      const auto port = authz::parsePort(value);
      if (!port) {
        continue;  // the loader reports invalid ports
      }
      bool used = false;
      for (const ServedWorkload* served : workloads_) {
        const auto& ports = served->listen_ports;
        used = used || std::find(ports.begin(), ports.end(), *port) != ports.end();
        for (size_t i = 0; i < served->gateway_ports.size(); ++i) {
          if (served->gateway_ports[i] == *port && served->listen_ports[i] != *port) {
            advice += "; gateway port " + value + " listens on " +
                      std::to_string(served->listen_ports[i]) + ", so write \"" +
                      std::to_string(served->listen_ports[i]) + "\"";
          }
        }
      }
      if (!used) {
        unused.push_back(value);
      }
    }
    if (unused.empty()) {
      return;
    }
    std::string listening;
    for (const ServedWorkload* served : workloads_) {
      for (uint16_t port : served->listen_ports) {
        listening += (listening.empty() ? "" : ", ") + std::to_string(port);
      }
    }
    const bool all = unused.size() == values.size();
    out.push_back(FieldFinding{
        field, location, kPortNotServed,
        (all ? "no port of " + quotedList(unused) + " is"
             : "the ports " + quotedList(unused) + " are not") +
            " one the gateway listens on (" + listening + ")",
        "ports conditions compare the port the gateway listens on, after --port-map" + advice,
        all ? FieldFinding::Effect::NeverMatches : FieldFinding::Effect::SomeValuesNeverMatch});
  }

  Context& context_;
  const config::AuthorizationPolicy& policy_;
  std::vector<const ServedWorkload*> workloads_;
  std::vector<WorkloadIssuers> issuers_;
};

}  // namespace

void checkRules(Context& context) {
  for (const auto& policy : context.resources().authorization_policies) {
    auto workloads = context.attachedWorkloads(policy.target, policy.meta.ns);
    if (workloads.empty()) {
      continue;  // written for other workloads, where these fields may well match
    }
    if (context.attachesToDestination(policy.target, policy.meta.ns)) {
      // NOTE: the policy also runs at a workload behind a route, where the gateway is the
      // mTLS peer and other ports and RequestAuthentications apply. The analyses here cover
      // the gateway's side only, so they stay silent rather than report a rule as dead.
      continue;
    }
    RuleAnalyzer(context, policy, std::move(workloads)).run();
  }
}

}  // namespace portcullis::analyze
