// Builders for snapshot tests: configuration objects written as C++ structs (independent of
// the YAML loader) and a KeySourceProvider that records what the builder asked for.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/resources.h"
#include "jwks/key_source.h"
#include "snapshot/snapshot.h"

namespace portcullis::snapshot::testing {

inline config::ObjectMeta meta(std::string kind, std::string ns, std::string name,
                               int64_t order = 0) {
  config::ObjectMeta out;
  out.kind = std::move(kind);
  out.ns = std::move(ns);
  out.name = std::move(name);
  out.order = order;
  return out;
}

// The default Istio ingress gateway workload.
inline Workload ingressWorkload() {
  Workload workload;
  workload.ns = "istio-system";
  workload.labels = {{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}};
  return workload;
}

inline BuildOptions ingressOptions(PortMap port_map = {}) {
  return BuildOptions{ingressWorkload(), std::move(port_map)};
}

inline config::GatewayServer server(uint32_t port, std::vector<std::string> hosts,
                                    std::string protocol = "HTTP") {
  config::GatewayServer out;
  out.port = port;
  out.protocol = std::move(protocol);
  out.hosts = std::move(hosts);
  return out;
}

// Gateway istio-system/<name> selecting the ingress gateway.
inline config::IstioGateway istioGateway(std::string name,
                                         std::vector<config::GatewayServer> servers,
                                         config::Labels selector = {{"istio", "ingressgateway"}}) {
  config::IstioGateway out;
  out.meta = meta("Gateway", "istio-system", std::move(name));
  out.selector = std::move(selector);
  out.servers = std::move(servers);
  return out;
}

inline config::HttpRoute routeTo(std::string host, std::optional<uint32_t> port = 8000) {
  config::HttpRoute route;
  config::HttpRouteDestination destination;
  destination.destination.host = std::move(host);
  destination.destination.port = port;
  route.route.push_back(destination);
  return route;
}

inline config::VirtualService virtualService(std::string ns, std::string name,
                                             std::vector<std::string> hosts,
                                             std::vector<std::string> gateways,
                                             std::vector<config::HttpRoute> http) {
  config::VirtualService out;
  out.meta = meta("VirtualService", std::move(ns), std::move(name));
  out.hosts = std::move(hosts);
  out.gateways = std::move(gateways);
  out.http = std::move(http);
  return out;
}

// A STATIC ServiceEntry for `host` with one port named http and one endpoint.
inline config::ServiceEntry serviceEntry(std::string host, uint32_t port,
                                         std::string address = "127.0.0.1",
                                         uint32_t endpoint_port = 0) {
  config::ServiceEntry out;
  out.meta = meta("ServiceEntry", "default", "se-" + host);
  out.hosts = {std::move(host)};
  out.ports.push_back(config::ServiceEntryPort{port, "http", "HTTP", 0});
  out.resolution = config::ServiceEntry::Resolution::Static;
  config::WorkloadEndpoint endpoint;
  endpoint.address = std::move(address);
  if (endpoint_port != 0) {
    endpoint.ports["http"] = endpoint_port;
  }
  out.endpoints.push_back(endpoint);
  return out;
}

inline config::K8sGateway k8sGateway(std::string ns, std::string name,
                                     std::vector<config::GatewayListener> listeners) {
  config::K8sGateway out;
  out.meta = meta("Gateway", std::move(ns), std::move(name));
  out.gateway_class_name = "istio";
  out.listeners = std::move(listeners);
  return out;
}

inline config::GatewayListener k8sListener(std::string name, uint32_t port,
                                           std::string hostname = "") {
  config::GatewayListener out;
  out.name = std::move(name);
  out.port = port;
  out.protocol = "HTTP";
  out.hostname = std::move(hostname);
  return out;
}

inline config::HttpPathMatch pathMatch(config::HttpPathMatch::Type type, std::string value) {
  config::HttpPathMatch out;
  out.type = type;
  out.value = std::move(value);
  return out;
}

inline config::HttpRouteRule k8sRule(std::vector<config::HttpPathMatch> paths,
                                     std::string service = "httpbin", uint32_t port = 8000) {
  config::HttpRouteRule rule;
  for (auto& path : paths) {
    config::HttpRouteMatch match;
    match.path = std::move(path);
    rule.matches.push_back(std::move(match));
  }
  config::BackendRef backend;
  backend.name = std::move(service);
  backend.port = port;
  rule.backend_refs.push_back(backend);
  return rule;
}

inline config::K8sHttpRoute httpRoute(std::string ns, std::string name, std::string gateway,
                                      std::vector<config::HttpRouteRule> rules, int64_t order = 0) {
  config::K8sHttpRoute out;
  out.meta = meta("HTTPRoute", std::move(ns), std::move(name), order);
  config::ParentReference parent;
  parent.name = std::move(gateway);
  out.parent_refs.push_back(parent);
  out.rules = std::move(rules);
  return out;
}

inline config::RequestAuthentication requestAuthentication(std::string ns, std::string name,
                                                           config::WorkloadTarget target,
                                                           std::vector<config::JwtRule> rules) {
  config::RequestAuthentication out;
  out.meta = meta("RequestAuthentication", std::move(ns), std::move(name));
  out.target = std::move(target);
  out.jwt_rules = std::move(rules);
  return out;
}

inline config::WorkloadTarget selectIngress() {
  config::WorkloadTarget target;
  target.selector = config::Labels{{"istio", "ingressgateway"}};
  return target;
}

inline config::JwtRule jwtRule(std::string issuer) {
  config::JwtRule rule;
  rule.issuer = std::move(issuer);
  rule.jwks = R"({"keys":[]})";
  return rule;
}

// A KeySource whose key set the test sets directly.
class ManualKeySource : public jwks::KeySource {
 public:
  explicit ManualKeySource(std::string name = "manual") : name_(std::move(name)) {}
  std::string describe() const override { return name_; }
  void set(std::shared_ptr<const jwt::Jwks> keys) { publish(std::move(keys)); }

 private:
  std::string name_;
};

// Hands out one ManualKeySource per request and records the rule's issuer and the origin.
class RecordingKeys : public jwks::KeySourceProvider {
 public:
  struct Call {
    std::string issuer;
    std::string origin;
    std::shared_ptr<ManualKeySource> source;
  };

  std::shared_ptr<jwks::KeySource> sourceFor(const config::JwtRule& rule,
                                             const std::string& origin) override {
    auto source = std::make_shared<ManualKeySource>(rule.issuer + " for " + origin);
    calls.push_back(Call{rule.issuer, origin, source});
    return source;
  }

  std::vector<Call> calls;
};

}  // namespace portcullis::snapshot::testing
