// Shared state of the analyses: the resources, the gateway workloads they serve, policy
// attachment and the list of findings. Internal to the analyze module.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "analyze/analyze.h"

namespace portcullis::analyze {

// Stable names of the analyses, reported as Finding::code.
inline constexpr std::string_view kGatewayNotSelected = "GatewayNotSelected";
inline constexpr std::string_view kPolicyNotApplied = "PolicyNotApplied";
inline constexpr std::string_view kPeerIdentityNeverPresent = "PeerIdentityNeverPresent";
inline constexpr std::string_view kSniNeverPresent = "SniNeverPresent";
inline constexpr std::string_view kNoRequestAuthentication = "NoRequestAuthentication";
inline constexpr std::string_view kIssuerNotConfigured = "IssuerNotConfigured";
inline constexpr std::string_view kPortNotServed = "PortNotServed";
inline constexpr std::string_view kOverlappingIssuer = "OverlappingIssuer";
inline constexpr std::string_view kSharedTokenLocation = "SharedTokenLocation";
inline constexpr std::string_view kAllowNothing = "AllowNothing";
inline constexpr std::string_view kMeshWideAllowNothing = "MeshWideAllowNothing";

// A jwtRule of a RequestAuthentication that applies to a workload.
struct AppliedJwtRule {
  const config::RequestAuthentication* policy = nullptr;
  size_t index = 0;  // in spec.jwtRules
  const config::JwtRule* rule = nullptr;
};

class Context {
 public:
  Context(const config::ResourceSet& resources, const snapshot::BuildOptions& options);

  const config::ResourceSet& resources() const { return resources_; }
  const snapshot::BuildOptions& options() const { return options_; }
  const std::vector<ServedWorkload>& served() const { return served_; }
  const std::string& rootNamespace() const { return resources_.mesh.root_namespace; }

  // The served workloads that a policy in namespace `ns` with `target` attaches to.
  std::vector<const ServedWorkload*> attachedWorkloads(const config::WorkloadTarget& target,
                                                       const std::string& ns) const;

  // Whether such a policy attaches to a workload behind a route: a ServiceEntry endpoint with
  // labels, or a WorkloadEntry that a ServiceEntry's workloadSelector picks. Portcullis
  // enforces those policies after the gateway's, as the workload's sidecar would, and there
  // the gateway is an mTLS peer.
  bool attachesToDestination(const config::WorkloadTarget& target, const std::string& ns) const;

  // The jwtRules of every RequestAuthentication attached to `workload`, in load order.
  std::vector<AppliedJwtRule> jwtRulesFor(const snapshot::Workload& workload) const;

  // Records a Warning, once: a second finding with the same code, object, field and location
  // is dropped, as happens when two workloads share a policy.
  void warn(const config::SourceLocation& location, std::string object, std::string field,
            std::string_view code, std::string message, std::string hint);

  std::vector<Finding> takeFindings() { return std::move(findings_); }

 private:
  const config::ResourceSet& resources_;
  const snapshot::BuildOptions& options_;
  std::vector<ServedWorkload> served_;
  std::vector<snapshot::Workload> destinations_;
  std::vector<Finding> findings_;
  std::set<std::tuple<std::string, std::string, std::string, std::string, int, int>> seen_;
};

// The analyses, each in its own file.
void checkGatewaySelectors(Context& context);  // attachment.cc
void checkPolicyAttachment(Context& context);  // attachment.cc
void checkAllowNothing(Context& context);      // attachment.cc
void checkRules(Context& context);             // rules.cc
void checkJwtRules(Context& context);          // jwt_rules.cc

// "Kind namespace/name", as the snapshot build names objects.
std::string objectName(const config::ObjectMeta& meta);

// "{k: v, k2: v2}", as Workload::describe() prints labels.
std::string labelsText(const config::Labels& labels);

// "k=v,k2=v2", the form of --labels.
std::string labelsFlag(const config::Labels& labels);

// Whether every key and value of `selector` is in `labels`.
bool labelsContain(const config::Labels& labels, const config::Labels& selector);

// "file:line", or the file alone when the line is unknown.
std::string where(const config::SourceLocation& location);

// `texts` quoted, joined with ", " and bracketed: ["a", "b"].
std::string quotedList(const std::vector<std::string>& texts);

}  // namespace portcullis::analyze
