// Which security policies apply to a gateway workload, following istiod's rules for gateways.
#include <cstdlib>
#include <string>
#include <string_view>

#include "snapshot/snapshot.h"

namespace portcullis::snapshot {
namespace {

constexpr std::string_view kGatewayApiGroup = "gateway.networking.k8s.io";

bool labelsContain(const config::Labels& labels, const config::Labels& selector) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

// istiod's feature flag ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY (default true), read from
// the environment as istiod reads it. When it is "false", Gateway API gateways take no
// policy that selects workloads by label, only targetRefs and namespace-wide ones.
bool selectorPoliciesReachGatewayApi() {
  static const bool enabled = [] {
    const char* value = std::getenv("ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY");
    return value == nullptr || std::string_view(value) != "false";
  }();
  return enabled;
}

}  // namespace

std::string Workload::describe() const {
  std::string out = "workload in namespace " + ns + " with labels {";
  bool first = true;
  for (const auto& [key, value] : labels) {
    out += (first ? "" : ", ") + key + ": " + value;
    first = false;
  }
  out += "}";
  return out;
}

bool policyApplies(const config::WorkloadTarget& target, const std::string& policy_ns,
                   const Workload& workload, const std::string& root_namespace) {
  // Candidates are the policies of the root namespace and of the workload's own namespace.
  if (policy_ns != root_namespace && policy_ns != workload.ns) {
    return false;
  }
  if (!target.target_refs.empty()) {
    // Istio gateways ignore targetRef policies. A Gateway API gateway takes those in its own
    // namespace that name it.
    if (workload.k8s_gateway_name.empty() || policy_ns != workload.ns) {
      return false;
    }
    for (const auto& ref : target.target_refs) {
      if (ref.group == kGatewayApiGroup && ref.kind == "Gateway" &&
          ref.name == workload.k8s_gateway_name && (ref.ns.empty() || ref.ns == workload.ns)) {
        return true;
      }
    }
    return false;
  }
  // No selector: every workload in the namespace (the whole mesh for the root namespace).
  if (!target.selector.has_value()) {
    return true;
  }
  // istiod applies selector-based policies to Gateway API gateways too, unless its flag
  // ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is false.
  if (!workload.k8s_gateway_name.empty() && !selectorPoliciesReachGatewayApi()) {
    return false;
  }
  return labelsContain(workload.labels, *target.selector);
}

std::optional<PortMap> parsePortMap(std::string_view text, std::string& error) {
  PortMap map;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t eq = item.find('=');
    unsigned long from = 0;
    unsigned long to = 0;
    try {
      if (eq == std::string_view::npos) {
        throw std::invalid_argument("missing '='");
      }
      size_t used = 0;
      const std::string from_text(item.substr(0, eq));
      const std::string to_text(item.substr(eq + 1));
      from = std::stoul(from_text, &used);
      if (used != from_text.size()) {
        throw std::invalid_argument("trailing characters");
      }
      to = std::stoul(to_text, &used);
      if (used != to_text.size()) {
        throw std::invalid_argument("trailing characters");
      }
    } catch (const std::exception&) {
      error = "invalid port mapping \"" + std::string(item) +
              "\": expected GATEWAY_PORT=LISTEN_PORT, for example 80=8080";
      return std::nullopt;
    }
    if (from == 0 || from > 65535 || to == 0 || to > 65535) {
      error = "invalid port mapping \"" + std::string(item) + "\": ports must be 1-65535";
      return std::nullopt;
    }
    map[static_cast<uint32_t>(from)] = static_cast<uint16_t>(to);
  }
  return map;
}

std::optional<config::Labels> parseLabels(std::string_view text, std::string& error) {
  config::Labels labels;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      error = "invalid label \"" + std::string(item) + "\": expected KEY=VALUE";
      return std::nullopt;
    }
    labels[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
  }
  return labels;
}

}  // namespace portcullis::snapshot
