#include "analyze/context.h"

#include <algorithm>

namespace portcullis::analyze {
namespace {

constexpr std::string_view kGatewayNameLabel = "gateway.networking.k8s.io/gateway-name";
constexpr std::string_view kIstioGatewayNameLabel = "istio.io/gateway-name";

bool servesProtocol(const std::string& protocol) {
  // The protocols snapshot::build() makes listeners for; it skips the others with a warning.
  return protocol == "HTTP" || protocol == "HTTP2" || protocol == "GRPC";
}

void addPort(ServedWorkload& served, uint32_t gateway_port, const snapshot::PortMap& port_map) {
  if (std::find(served.gateway_ports.begin(), served.gateway_ports.end(), gateway_port) !=
      served.gateway_ports.end()) {
    return;
  }
  auto mapped = port_map.find(gateway_port);
  served.gateway_ports.push_back(gateway_port);
  served.listen_ports.push_back(mapped != port_map.end() ? mapped->second
                                                         : static_cast<uint16_t>(gateway_port));
}

std::vector<snapshot::Workload> destinationWorkloads(const config::ResourceSet& resources) {
  std::vector<snapshot::Workload> destinations;
  auto add = [&destinations](const std::string& ns, const config::Labels& labels) {
    snapshot::Workload workload;
    workload.ns = ns;
    workload.labels = labels;
    destinations.push_back(std::move(workload));
  };
  for (const auto& entry : resources.service_entries) {
    for (const auto& endpoint : entry.endpoints) {
      if (!endpoint.labels.empty()) {
        add(entry.meta.ns, endpoint.labels);
      }
    }
    if (!entry.workload_selector) {
      continue;
    }
    for (const auto& workload_entry : resources.workload_entries) {
      if (workload_entry.meta.ns == entry.meta.ns &&
          labelsContain(workload_entry.endpoint.labels, *entry.workload_selector)) {
        add(workload_entry.meta.ns, workload_entry.endpoint.labels);
      }
    }
  }
  return destinations;
}

}  // namespace

std::vector<ServedWorkload> servedWorkloads(const config::ResourceSet& resources,
                                            const snapshot::BuildOptions& options) {
  std::vector<ServedWorkload> served;

  ServedWorkload istio;
  istio.workload = options.workload;
  for (const auto& gateway : resources.gateways) {
    if (!labelsContain(options.workload.labels, gateway.selector)) {
      continue;
    }
    for (const auto& server : gateway.servers) {
      if (servesProtocol(server.protocol)) {
        addPort(istio, server.port, options.port_map);
      }
    }
  }
  if (!istio.gateway_ports.empty()) {
    served.push_back(std::move(istio));
  }

  for (const auto& gateway : resources.k8s_gateways) {
    ServedWorkload k8s;
    k8s.workload.ns = gateway.meta.ns;
    k8s.workload.labels[std::string(kGatewayNameLabel)] = gateway.meta.name;
    k8s.workload.labels[std::string(kIstioGatewayNameLabel)] = gateway.meta.name;
    k8s.workload.k8s_gateway_name = gateway.meta.name;
    for (const auto& listener : gateway.listeners) {
      if (listener.protocol == "HTTP") {
        addPort(k8s, listener.port, options.port_map);
      }
    }
    if (!k8s.gateway_ports.empty()) {
      served.push_back(std::move(k8s));
    }
  }
  return served;
}

Context::Context(const config::ResourceSet& resources, const snapshot::BuildOptions& options)
    : resources_(resources),
      options_(options),
      served_(servedWorkloads(resources, options)),
      destinations_(destinationWorkloads(resources)) {}

std::vector<const ServedWorkload*> Context::attachedWorkloads(const config::WorkloadTarget& target,
                                                              const std::string& ns) const {
  std::vector<const ServedWorkload*> attached;
  for (const auto& served : served_) {
    if (snapshot::policyApplies(target, ns, served.workload, rootNamespace())) {
      attached.push_back(&served);
    }
  }
  return attached;
}

bool Context::attachesToDestination(const config::WorkloadTarget& target,
                                    const std::string& ns) const {
  return std::any_of(destinations_.begin(), destinations_.end(), [&](const auto& workload) {
    return snapshot::policyApplies(target, ns, workload, rootNamespace());
  });
}

std::vector<AppliedJwtRule> Context::jwtRulesFor(const snapshot::Workload& workload) const {
  std::vector<AppliedJwtRule> rules;
  for (const auto& policy : resources_.request_authentications) {
    if (!snapshot::policyApplies(policy.target, policy.meta.ns, workload, rootNamespace())) {
      continue;
    }
    for (size_t i = 0; i < policy.jwt_rules.size(); ++i) {
      rules.push_back(AppliedJwtRule{&policy, i, &policy.jwt_rules[i]});
    }
  }
  return rules;
}

void Context::warn(const config::SourceLocation& location, std::string object, std::string field,
                   std::string_view code, std::string message, std::string hint) {
  auto key = std::make_tuple(std::string(code), object, field, location.file, location.line,
                             location.column);
  if (!seen_.insert(std::move(key)).second) {
    return;
  }
  Finding finding;
  finding.diagnostic = config::Diagnostic{config::Diagnostic::Severity::Warning, location,
                                          std::move(object), std::move(field), std::move(message)};
  finding.code = std::string(code);
  finding.hint = std::move(hint);
  findings_.push_back(std::move(finding));
}

std::string objectName(const config::ObjectMeta& meta) {
  return meta.kind + " " + meta.ns + "/" + meta.name;
}

std::string labelsText(const config::Labels& labels) {
  std::string out = "{";
  for (const auto& [key, value] : labels) {
    out += (out.size() > 1 ? ", " : "") + key + ": " + value;
  }
  return out + "}";
}

std::string labelsFlag(const config::Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    out += (out.empty() ? "" : ",") + key + "=" + value;
  }
  return out;
}

bool labelsContain(const config::Labels& labels, const config::Labels& selector) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& entry) {
    auto found = labels.find(entry.first);
    return found != labels.end() && found->second == entry.second;
  });
}

std::string where(const config::SourceLocation& location) {
  if (location.line <= 0) {
    return location.file;
  }
  return location.file + ":" + std::to_string(location.line);
}

std::string quotedList(const std::vector<std::string>& texts) {
  std::string out = "[";
  for (const auto& text : texts) {
    out += (out.size() > 1 ? ", \"" : "\"") + text + "\"";
  }
  return out + "]";
}

}  // namespace portcullis::analyze
