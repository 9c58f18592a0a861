// Analyses of attachment: Gateways that select another workload, policies that attach to no
// gateway served here, and ALLOW policies without rules, which deny what they attach to.
#include <algorithm>

#include "analyze/context.h"

namespace portcullis::analyze {
namespace {

constexpr std::string_view kGatewayApiGroup = "gateway.networking.k8s.io";

// Returns why a policy does not attach to `workload`, following snapshot::policyApplies(), or
// an empty string when it attaches.
std::string detachmentReason(const Context& context, const config::ObjectMeta& meta,
                             const config::WorkloadTarget& target,
                             const snapshot::Workload& workload) {
  const std::string& root = context.rootNamespace();
  if (meta.ns != root && meta.ns != workload.ns) {
    return "namespace " + meta.ns + " is neither the root namespace " + root +
           " nor the gateway's namespace " + workload.ns;
  }
  if (!target.target_refs.empty()) {
    if (workload.k8s_gateway_name.empty()) {
      return "Istio gateways ignore policies with targetRefs";
    }
    if (meta.ns != workload.ns) {
      return "a policy with targetRefs must be in the namespace of its Gateway, " + workload.ns;
    }
    return "no entry of targetRefs names Gateway " + workload.ns + "/" + workload.k8s_gateway_name;
  }
  if (target.selector && !labelsContain(workload.labels, *target.selector)) {
    return "the selector " + labelsText(*target.selector) + " does not match its labels " +
           labelsText(workload.labels);
  }
  return {};
}

const config::K8sGateway* findK8sGateway(const config::ResourceSet& resources,
                                         const std::string& ns, const std::string& name) {
  for (const auto& gateway : resources.k8s_gateways) {
    if (gateway.meta.ns == ns && gateway.meta.name == name) {
      return &gateway;
    }
  }
  return nullptr;
}

// Returns the changes that attach a policy with targetRefs: a Gateway that exists, in the
// policy's namespace.
std::string targetRefsHint(const Context& context, const config::ObjectMeta& meta,
                           const config::WorkloadTarget& target) {
  std::vector<std::string> steps;
  for (size_t i = 0; i < target.target_refs.size(); ++i) {
    const auto& ref = target.target_refs[i];
    const std::string field = "targetRefs[" + std::to_string(i) + "]";
    if (ref.group != kGatewayApiGroup || ref.kind != "Gateway") {
      steps.push_back(field + " has kind " + ref.kind + ", which attaches to waypoints only; " +
                      "name a Gateway of group gateway.networking.k8s.io");
      continue;
    }
    const std::string ns = ref.ns.empty() ? meta.ns : ref.ns;
    if (findK8sGateway(context.resources(), ns, ref.name) == nullptr) {
      std::string known;
      for (const auto& gateway : context.resources().k8s_gateways) {
        known += (known.empty() ? "" : ", ") + gateway.meta.ns + "/" + gateway.meta.name;
      }
      steps.push_back(
          field + " names Gateway " + ns + "/" + ref.name +
          ", which this configuration does not define (" +
          (known.empty() ? "it defines no Gateway API Gateway" : "Gateway API Gateways: " + known) +
          ")");
    } else if (ns != meta.ns) {
      steps.push_back("move the policy to namespace " + ns + ", where Gateway " + ref.name + " is");
    }
  }
  for (const auto& served : context.served()) {
    if (served.workload.k8s_gateway_name.empty()) {
      steps.push_back("to attach it to the Istio gateway, replace targetRefs with " +
                      std::string("spec.selector.matchLabels ") +
                      labelsText(served.workload.labels) + " in namespace " + served.workload.ns +
                      " or " + context.rootNamespace());
      break;
    }
  }
  std::string hint;
  for (const auto& step : steps) {
    hint += (hint.empty() ? "" : "; ") + step;
  }
  return hint;
}

// Returns the changes that attach a selector policy to the first served workload, and the flags
// that make Portcullis serve the workload the policy was written for.
std::string selectorHint(const Context& context, const config::ObjectMeta& meta,
                         const config::WorkloadTarget& target) {
  const snapshot::Workload& workload = context.served().front().workload;
  const std::string& root = context.rootNamespace();
  std::string hint = "to attach it to the gateway workload in namespace " + workload.ns + ", ";
  std::vector<std::string> steps;
  if (meta.ns != root && meta.ns != workload.ns) {
    steps.push_back("move it to namespace " + workload.ns +
                    (workload.ns != root ? " or " + root : ""));
  }
  if (target.selector && !labelsContain(workload.labels, *target.selector)) {
    steps.push_back("select a subset of the gateway's labels " + labelsText(workload.labels));
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    hint += (i == 0 ? "" : " and ") + steps[i];
  }
  if (meta.ns != root || target.selector) {
    hint += ". If it is written for another gateway, run portcullis as that gateway:";
    if (meta.ns != root) {
      hint += " --namespace " + meta.ns;
    }
    if (target.selector && !target.selector->empty()) {
      hint += " --labels " + labelsFlag(*target.selector);
    }
    hint += ". A policy for sidecars has no effect on a gateway";
  }
  return hint;
}

void checkAttachment(Context& context, const config::ObjectMeta& meta,
                     const config::WorkloadTarget& target) {
  if (!context.attachedWorkloads(target, meta.ns).empty() ||
      context.attachesToDestination(target, meta.ns)) {
    return;
  }
  std::string reasons;
  bool namespace_matches = meta.ns == context.rootNamespace();
  for (const auto& served : context.served()) {
    reasons += std::string(reasons.empty() ? "" : "; ") + "for the " + served.workload.describe() +
               ", " + detachmentReason(context, meta, target, served.workload);
    namespace_matches = namespace_matches || meta.ns == served.workload.ns;
  }
  const bool by_refs = !target.target_refs.empty();
  const std::string field = !namespace_matches ? "metadata.namespace"
                            : by_refs          ? "spec.targetRefs"
                                               : "spec.selector";
  context.warn(
      meta.location, objectName(meta), field, kPolicyNotApplied,
      "applies to no gateway workload this configuration serves, so Portcullis ignores "
      "it: " +
          reasons,
      by_refs ? targetRefsHint(context, meta, target) : selectorHint(context, meta, target));
}

// Whether an enforced ALLOW policy with rules, other than `except`, attaches to `workload`.
bool otherAllowAttaches(const Context& context, const config::AuthorizationPolicy& except,
                        const snapshot::Workload& workload) {
  for (const auto& policy : context.resources().authorization_policies) {
    if (&policy == &except || policy.action != config::AuthorizationPolicy::Action::Allow ||
        policy.dry_run || policy.rules.empty()) {
      continue;
    }
    if (snapshot::policyApplies(policy.target, policy.meta.ns, workload, context.rootNamespace())) {
      return true;
    }
  }
  return false;
}

}  // namespace

void checkGatewaySelectors(Context& context) {
  const config::Labels& labels = context.options().workload.labels;
  for (const auto& gateway : context.resources().gateways) {
    if (labelsContain(labels, gateway.selector)) {
      continue;
    }
    std::string ports;
    for (const auto& server : gateway.servers) {
      ports += (ports.empty() ? "" : ", ") + std::to_string(server.port);
    }
    context.warn(gateway.meta.location, objectName(gateway.meta), "spec.selector",
                 kGatewayNotSelected,
                 "the selector " + labelsText(gateway.selector) +
                     " does not match the labels of this gateway " + labelsText(labels) +
                     ", so its servers (ports " + ports + ") are not served",
                 "to serve it, run portcullis with --labels " + labelsFlag(gateway.selector) +
                     ", or change spec.selector to labels this gateway has");
  }
}

void checkPolicyAttachment(Context& context) {
  if (context.served().empty()) {
    return;  // the build already reports that no Gateway selects this gateway
  }
  for (const auto& policy : context.resources().request_authentications) {
    checkAttachment(context, policy.meta, policy.target);
  }
  for (const auto& policy : context.resources().authorization_policies) {
    checkAttachment(context, policy.meta, policy.target);
  }
}

void checkAllowNothing(Context& context) {
  for (const auto& policy : context.resources().authorization_policies) {
    if (policy.action != config::AuthorizationPolicy::Action::Allow || !policy.rules.empty() ||
        policy.dry_run) {
      continue;
    }
    const auto attached = context.attachedWorkloads(policy.target, policy.meta.ns);
    if (attached.empty()) {
      continue;
    }
    std::string unguarded;
    for (const ServedWorkload* served : attached) {
      if (!otherAllowAttaches(context, policy, served->workload)) {
        unguarded += (unguarded.empty() ? "" : "; ") + served->workload.describe();
      }
    }
    const std::string consequence =
        unguarded.empty() ? ""
                          : ". No other ALLOW policy with rules applies to the " + unguarded +
                                ", so it answers every request with 403 \"RBAC: access denied\"";

    const bool mesh_wide = policy.meta.ns == context.rootNamespace() && !policy.target.selector &&
                           policy.target.target_refs.empty();
    if (mesh_wide) {
      context.warn(policy.meta.location, objectName(policy.meta), "spec", kMeshWideAllowNothing,
                   "an ALLOW policy without rules and without a selector in the root namespace " +
                       context.rootNamespace() +
                       " applies to every workload of the mesh and matches no request: every "
                       "request in the mesh, at gateways and sidecars alike, is denied unless "
                       "another ALLOW policy matches it" +
                       consequence,
                   "if denying by default is not intended, delete the policy or give it a "
                   "selector and rules; if it is, add an ALLOW policy for each service that "
                   "must stay reachable");
      continue;
    }
    context.warn(policy.meta.location, objectName(policy.meta), "spec.rules", kAllowNothing,
                 "an ALLOW policy without rules matches no request, so it denies every request "
                 "that no other ALLOW policy allows" +
                     consequence,
                 "add rules that match the requests to allow, or delete the policy if denying "
                 "by default is not intended");
  }
}

}  // namespace portcullis::analyze
