#include "authz/engine.h"

#include <utility>

#include "authz/rules.h"

namespace portcullis::authz {
namespace {

using Action = config::AuthorizationPolicy::Action;

std::string_view actionName(Action action) {
  switch (action) {
    case Action::Allow:
      return "ALLOW";
    case Action::Deny:
      return "DENY";
    case Action::Audit:
      return "AUDIT";
    case Action::Custom:
      return "CUSTOM";
  }
  return "ALLOW";
}

struct CompiledPolicy {
  std::string name;  // "namespace/name"
  Action action = Action::Allow;
  std::string provider;
  bool dry_run = false;
  std::vector<CompiledRule> rules;  // empty: the policy lists no rules and matches nothing
};

CompiledPolicy compilePolicy(const config::AuthorizationPolicy& policy) {
  CompiledPolicy compiled;
  compiled.name = policy.meta.ns + "/" + policy.meta.name;
  compiled.action = policy.action;
  compiled.provider = policy.provider;
  compiled.dry_run = policy.dry_run;
  InvalidValues handling =
      policy.action == Action::Allow ? InvalidValues::DropRule : InvalidValues::DropValue;
  compiled.rules.reserve(policy.rules.size());
  for (const config::Rule& rule : policy.rules) {
    compiled.rules.push_back(compileRule(rule, handling, policy.meta.ns));
  }
  return compiled;
}

// Summarizes a policy without rules for its trace entry.
std::string emptyPolicyDetail(const CompiledPolicy& policy) {
  if (policy.action == Action::Allow) {
    return "no rules: installed as allow-nothing, so it matches no request and, unless another "
           "ALLOW policy matches, the request is denied";
  }
  return "no rules: never matches";
}

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const std::vector<const config::AuthorizationPolicy*>& policies) {
    for (const config::AuthorizationPolicy* policy : policies) {
      CompiledPolicy compiled = compilePolicy(*policy);
      switch (compiled.action) {
        case Action::Allow:
          enforced_allow_exists_ = enforced_allow_exists_ || !compiled.dry_run;
          allow_.push_back(std::move(compiled));
          break;
        case Action::Deny:
          deny_.push_back(std::move(compiled));
          break;
        case Action::Audit:
          audit_.push_back(std::move(compiled));
          break;
        case Action::Custom:
          custom_.push_back(std::move(compiled));
          break;
      }
    }
  }

  CustomMatch matchCustom(const RequestAttributes& request, Trace* trace) const override {
    CustomMatch result;
    for (const CompiledPolicy& policy : custom_) {
      // Istio still calls the provider for a dry-run CUSTOM policy, so dry-run is not skipped.
      int rule = matchPolicy(policy, request, trace);
      if (rule >= 0 && (!result.matched || (result.dry_run && !policy.dry_run))) {
        result.matched = true;
        result.provider = policy.provider;
        result.policy = policy.name;
        result.rule = rule;
        result.dry_run = policy.dry_run;
        if (trace == nullptr && !policy.dry_run) {
          break;
        }
      }
    }
    return result;
  }

  Decision evaluate(const RequestAttributes& request, Trace* trace) const override {
    Decision decision;
    // AUDIT only marks the request for audit logging.
    for (const CompiledPolicy& policy : audit_) {
      if (!considered(policy, trace)) {
        continue;
      }
      if (matchPolicy(policy, request, trace) >= 0 && !policy.dry_run) {
        decision.audit = true;
      }
    }

    for (const CompiledPolicy& policy : deny_) {
      if (!considered(policy, trace)) {
        continue;
      }
      int rule = matchPolicy(policy, request, trace);
      if (rule >= 0 && !policy.dry_run && decision.allowed) {
        decision.allowed = false;
        decision.policy = policy.name;
        decision.rule = rule;
        if (trace == nullptr) {
          return decision;
        }
      }
    }
    if (!decision.allowed) {
      return decision;  // the ALLOW filter never runs after a DENY match
    }

    bool allow_matched = false;
    for (const CompiledPolicy& policy : allow_) {
      if (!considered(policy, trace)) {
        continue;
      }
      int rule = matchPolicy(policy, request, trace);
      if (rule >= 0 && !policy.dry_run && !allow_matched) {
        allow_matched = true;
        decision.policy = policy.name;
        decision.rule = rule;
        if (trace == nullptr) {
          break;
        }
      }
    }
    decision.allowed = !enforced_allow_exists_ || allow_matched;
    return decision;
  }

  bool empty() const override {
    return allow_.empty() && deny_.empty() && audit_.empty() && custom_.empty();
  }

 private:
  // Dry-run policies have no effect, so they are evaluated only to fill a trace.
  static bool considered(const CompiledPolicy& policy, const Trace* trace) {
    return trace != nullptr || !policy.dry_run;
  }

  // Returns the index of the first rule of `policy` that matches, or -1. With a trace, every
  // rule is evaluated and gets an entry, after one entry for the policy.
  static int matchPolicy(const CompiledPolicy& policy, const RequestAttributes& request,
                         Trace* trace) {
    if (trace == nullptr) {
      for (size_t i = 0; i < policy.rules.size(); ++i) {
        if (matchRule(policy.rules[i], request, nullptr)) {
          return static_cast<int>(i);
        }
      }
      return -1;
    }

    size_t policy_entry = trace->entries.size();
    trace->entries.push_back(entry(policy, -1));
    int first_match = -1;
    for (size_t i = 0; i < policy.rules.size(); ++i) {
      TraceEntry rule_entry = entry(policy, static_cast<int>(i));
      std::string explanation;
      rule_entry.matched = matchRule(policy.rules[i], request, &explanation);
      rule_entry.detail = "rule " + std::to_string(i) + ": " + explanation;
      if (rule_entry.matched && first_match < 0) {
        first_match = static_cast<int>(i);
      }
      trace->entries.push_back(std::move(rule_entry));
    }

    TraceEntry& summary = trace->entries[policy_entry];
    summary.matched = first_match >= 0;
    if (policy.rules.empty()) {
      summary.detail = emptyPolicyDetail(policy);
    } else if (first_match >= 0) {
      summary.detail = "matched by rule " + std::to_string(first_match);
    } else {
      summary.detail = "no rule matched";
    }
    if (policy.dry_run) {
      summary.detail += policy.action == Action::Custom
                            ? " (dry-run: Istio still sends matching requests to the provider)"
                            : " (dry-run: no effect on the decision)";
    }
    return first_match;
  }

  static TraceEntry entry(const CompiledPolicy& policy, int rule) {
    TraceEntry entry;
    entry.policy = policy.name;
    entry.action = std::string(actionName(policy.action));
    entry.rule = rule;
    entry.dry_run = policy.dry_run;
    return entry;
  }

  std::vector<CompiledPolicy> allow_;
  std::vector<CompiledPolicy> deny_;
  std::vector<CompiledPolicy> audit_;
  std::vector<CompiledPolicy> custom_;
  bool enforced_allow_exists_ = false;
};

}  // namespace

std::shared_ptr<const Engine> Engine::compile(
    const std::vector<const config::AuthorizationPolicy*>& policies) {
  return std::make_shared<const EngineImpl>(policies);
}

}  // namespace portcullis::authz
