// snapshot::build() and the workloads behind routes: ServiceEntry endpoints with labels and
// WorkloadEntries selected by a ServiceEntry become Snapshot::workloads, one per (namespace,
// labels), and collect the RequestAuthentication and AuthorizationPolicy objects that select
// them. Also the mTLS identity each listener presents to them.
#include <string>

#include <gtest/gtest.h>

#include "snapshot/snapshot.h"
#include "snapshot_test_util.h"

namespace portcullis::snapshot::testing {
namespace {

constexpr std::string_view kHttpbin = "httpbin.foo.svc.cluster.local";
const config::Labels kHttpbinLabels = {{"app", "httpbin"}, {"version", "v1"}};

config::WorkloadEndpoint endpoint(std::string address, config::Labels labels = {},
                                  uint32_t port = 0) {
  config::WorkloadEndpoint out;
  out.address = std::move(address);
  out.labels = std::move(labels);
  if (port != 0) {
    out.ports["http"] = port;
  }
  return out;
}

// ServiceEntry foo/httpbin for httpbin.foo.svc.cluster.local:8000 with `endpoints`.
config::ServiceEntry httpbinEntry(std::vector<config::WorkloadEndpoint> endpoints) {
  config::ServiceEntry entry = serviceEntry(std::string(kHttpbin), 8000);
  entry.meta = meta("ServiceEntry", "foo", "httpbin");
  entry.endpoints = std::move(endpoints);
  return entry;
}

// ServiceEntry foo/httpbin that takes its endpoints from WorkloadEntries matching `selector`.
config::ServiceEntry selectingEntry(config::Labels selector) {
  config::ServiceEntry entry = httpbinEntry({});
  entry.workload_selector = std::move(selector);
  return entry;
}

config::WorkloadEntry workloadEntry(std::string ns, std::string name, std::string address,
                                    config::Labels labels, uint32_t port = 0) {
  config::WorkloadEntry out;
  out.meta = meta("WorkloadEntry", std::move(ns), std::move(name));
  out.endpoint = endpoint(std::move(address), std::move(labels), port);
  return out;
}

// The istio.io httpbin example with httpbin in namespace foo: Gateway istio-system/httpbin-gateway
// on port 80 for every host, VirtualService foo/httpbin to httpbin:8000, and `entry`.
config::ResourceSet routedTo(config::ServiceEntry entry) {
  config::ResourceSet resources;
  resources.gateways.push_back(istioGateway("httpbin-gateway", {server(80, {"*"})}));
  resources.virtual_services.push_back(virtualService(
      "foo", "httpbin", {"*"}, {"istio-system/httpbin-gateway"}, {routeTo(std::string(kHttpbin))}));
  resources.service_entries.push_back(std::move(entry));
  return resources;
}

// The example with one endpoint 127.0.0.1:8080 labelled app: httpbin, version: v1.
config::ResourceSet labelledExample() {
  return routedTo(httpbinEntry({endpoint("127.0.0.1", kHttpbinLabels, 8080)}));
}

BuildResult buildWith(const config::ResourceSet& resources,
                      const BuildOptions& options = ingressOptions()) {
  RecordingKeys keys;
  return build(resources, options, keys);
}

const Cluster& httpbinCluster(const Snapshot& snapshot) {
  return snapshot.clusters.at(0);
}

config::WorkloadTarget selectorOf(config::Labels labels) {
  config::WorkloadTarget target;
  target.selector = std::move(labels);
  return target;
}

// A DENY policy with one empty rule, which matches every request.
config::AuthorizationPolicy denyAll(std::string ns, std::string name,
                                    config::WorkloadTarget target) {
  config::AuthorizationPolicy policy;
  policy.meta = meta("AuthorizationPolicy", std::move(ns), std::move(name));
  policy.target = std::move(target);
  policy.action = config::AuthorizationPolicy::Action::Deny;
  policy.has_rules = true;
  policy.rules.push_back(config::Rule{});
  return policy;
}

// Whether an AuthorizationPolicy reached the only workload of `result`.
bool workloadHasPolicies(const BuildResult& result) {
  const DestinationWorkload& workload = result.snapshot->workloads.at(0);
  return workload.authz && !workload.authz->empty();
}

// --- Workloads from endpoints ----------------------------------------------------------------

TEST(Workloads, EndpointWithLabelsIsWorkload) {
  const BuildResult result = buildWith(labelledExample());
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  const DestinationWorkload& workload = result.snapshot->workloads[0];
  EXPECT_EQ(workload.workload.ns, "foo");
  EXPECT_EQ(workload.workload.labels, kHttpbinLabels);
  EXPECT_TRUE(workload.workload.k8s_gateway_name.empty());
  EXPECT_EQ(workload.origin, "ServiceEntry foo/httpbin endpoint 0");
}

TEST(Workloads, EndpointPointsAtWorkload) {
  const BuildResult result = buildWith(labelledExample());
  ASSERT_NE(result.snapshot, nullptr);
  const Cluster& cluster = httpbinCluster(*result.snapshot);
  ASSERT_EQ(cluster.endpoints.size(), 1u);
  EXPECT_EQ(cluster.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(cluster.endpoints[0].port, 8080);
  EXPECT_EQ(cluster.endpoints[0].workload, 0);
}

TEST(Workloads, EndpointWithoutLabelsIsPlain) {
  const BuildResult result =
      buildWith(routedTo(httpbinEntry({endpoint("127.0.0.1", {}, 8080)})));
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->workloads.empty());
  ASSERT_EQ(httpbinCluster(*result.snapshot).endpoints.size(), 1u);
  EXPECT_EQ(httpbinCluster(*result.snapshot).endpoints[0].workload, -1);
}

TEST(Workloads, OriginNamesEndpointIndex) {
  const BuildResult result = buildWith(routedTo(httpbinEntry(
      {endpoint("10.0.0.1"), endpoint("10.0.0.2", {{"app", "httpbin"}, {"version", "v2"}})})));
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  EXPECT_EQ(result.snapshot->workloads[0].origin, "ServiceEntry foo/httpbin endpoint 1");
  const Cluster& cluster = httpbinCluster(*result.snapshot);
  ASSERT_EQ(cluster.endpoints.size(), 2u);
  EXPECT_EQ(cluster.endpoints[0].workload, -1);
  EXPECT_EQ(cluster.endpoints[1].workload, 0);
}

TEST(Workloads, UnroutedServiceEntryAddsNone) {
  config::ResourceSet resources = labelledExample();
  config::ServiceEntry unrouted =
      serviceEntry("ratings.foo.svc.cluster.local", 9080, "10.0.0.7");
  unrouted.meta = meta("ServiceEntry", "foo", "ratings");
  unrouted.endpoints[0].labels = {{"app", "ratings"}};
  resources.service_entries.push_back(unrouted);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  EXPECT_EQ(result.snapshot->workloads[0].workload.labels.at("app"), "httpbin");
}

// --- Workloads from WorkloadEntries ----------------------------------------------------------

TEST(Workloads, WorkloadEntrySelected) {
  config::ResourceSet resources = routedTo(selectingEntry({{"app", "httpbin"}}));
  resources.workload_entries.push_back(
      workloadEntry("foo", "httpbin-v1", "10.0.0.5", kHttpbinLabels, 9080));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  const DestinationWorkload& workload = result.snapshot->workloads[0];
  EXPECT_EQ(workload.workload.ns, "foo");
  EXPECT_EQ(workload.workload.labels, kHttpbinLabels);
  EXPECT_EQ(workload.origin, "WorkloadEntry foo/httpbin-v1");
  const Cluster& cluster = httpbinCluster(*result.snapshot);
  ASSERT_EQ(cluster.endpoints.size(), 1u);
  EXPECT_EQ(cluster.endpoints[0].host, "10.0.0.5");
  EXPECT_EQ(cluster.endpoints[0].port, 9080);
  EXPECT_EQ(cluster.endpoints[0].workload, 0);
}

TEST(Workloads, WorkloadEntryDefaultsToServicePort) {
  config::ResourceSet resources = routedTo(selectingEntry({{"app", "httpbin"}}));
  resources.workload_entries.push_back(
      workloadEntry("foo", "httpbin-v1", "10.0.0.5", kHttpbinLabels));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(httpbinCluster(*result.snapshot).endpoints.size(), 1u);
  EXPECT_EQ(httpbinCluster(*result.snapshot).endpoints[0].port, 8000);
}

TEST(Workloads, WorkloadEntryOfOtherNamespaceIgnored) {
  config::ResourceSet resources = routedTo(selectingEntry({{"app", "httpbin"}}));
  resources.workload_entries.push_back(
      workloadEntry("bar", "httpbin-v1", "10.0.0.5", kHttpbinLabels));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->workloads.empty());
  EXPECT_TRUE(httpbinCluster(*result.snapshot).endpoints.empty());
}

TEST(Workloads, WorkloadEntryNotSelectedIgnored) {
  config::ResourceSet resources = routedTo(selectingEntry({{"app", "httpbin"}}));
  resources.workload_entries.push_back(
      workloadEntry("foo", "ratings-v1", "10.0.0.6", {{"app", "ratings"}}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->workloads.empty());
  EXPECT_TRUE(httpbinCluster(*result.snapshot).endpoints.empty());
}

TEST(Workloads, EverySelectedWorkloadEntryIsEndpoint) {
  config::ResourceSet resources = routedTo(selectingEntry({{"app", "httpbin"}}));
  resources.workload_entries.push_back(
      workloadEntry("foo", "httpbin-v1", "10.0.0.5", kHttpbinLabels));
  resources.workload_entries.push_back(workloadEntry("foo", "httpbin-v2", "10.0.0.6",
                                                     {{"app", "httpbin"}, {"version", "v2"}}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->workloads.size(), 2u);
  const Cluster& cluster = httpbinCluster(*result.snapshot);
  ASSERT_EQ(cluster.endpoints.size(), 2u);
  EXPECT_EQ(cluster.endpoints[0].workload, 0);
  EXPECT_EQ(cluster.endpoints[1].workload, 1);
}

TEST(Workloads, WorkloadEntryMetadataLabelsSelect) {
  // istiod merges a WorkloadEntry's metadata.labels into its spec.labels, so a selector can
  // match labels written only under metadata.
  config::ResourceSet resources = routedTo(selectingEntry({{"app", "httpbin"}}));
  config::WorkloadEntry entry = workloadEntry("foo", "httpbin-v1", "10.0.0.5", {});
  entry.meta.labels = kHttpbinLabels;
  resources.workload_entries.push_back(entry);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  EXPECT_EQ(result.snapshot->workloads[0].workload.labels, kHttpbinLabels);
}

TEST(Workloads, WorkloadEntryMetadataLabelsWin) {
  // On a conflict between metadata.labels and spec.labels, istiod keeps the metadata value.
  config::ResourceSet resources = routedTo(selectingEntry({{"app", "httpbin"}}));
  config::WorkloadEntry entry = workloadEntry("foo", "httpbin-v1", "10.0.0.5", kHttpbinLabels);
  entry.meta.labels = {{"version", "v2"}};
  resources.workload_entries.push_back(entry);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  const config::Labels expected = {{"app", "httpbin"}, {"version", "v2"}};
  EXPECT_EQ(result.snapshot->workloads[0].workload.labels, expected);
}

// --- One workload per (namespace, labels) ----------------------------------------------------

TEST(Workloads, IdenticalLabelsShareWorkload) {
  const BuildResult result = buildWith(routedTo(httpbinEntry(
      {endpoint("10.0.0.1", kHttpbinLabels), endpoint("10.0.0.2", kHttpbinLabels)})));
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  EXPECT_EQ(result.snapshot->workloads[0].origin, "ServiceEntry foo/httpbin endpoint 0");
  const Cluster& cluster = httpbinCluster(*result.snapshot);
  ASSERT_EQ(cluster.endpoints.size(), 2u);
  EXPECT_EQ(cluster.endpoints[0].workload, 0);
  EXPECT_EQ(cluster.endpoints[1].workload, 0);
}

TEST(Workloads, OtherLabelsOtherWorkload) {
  const BuildResult result = buildWith(routedTo(
      httpbinEntry({endpoint("10.0.0.1", kHttpbinLabels),
                    endpoint("10.0.0.2", {{"app", "httpbin"}, {"version", "v2"}})})));
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 2u);
  EXPECT_EQ(result.snapshot->workloads[1].workload.labels.at("version"), "v2");
  const Cluster& cluster = httpbinCluster(*result.snapshot);
  ASSERT_EQ(cluster.endpoints.size(), 2u);
  EXPECT_EQ(cluster.endpoints[0].workload, 0);
  EXPECT_EQ(cluster.endpoints[1].workload, 1);
}

TEST(Workloads, SameLabelsInOtherNamespaceOtherWorkload) {
  config::ResourceSet resources = labelledExample();
  config::ServiceEntry other = serviceEntry("httpbin.bar.svc.cluster.local", 8000, "10.0.0.9");
  other.meta = meta("ServiceEntry", "bar", "httpbin");
  other.endpoints[0].labels = kHttpbinLabels;
  resources.service_entries.push_back(other);
  resources.virtual_services[0].http.insert(
      resources.virtual_services[0].http.begin(), routeTo("httpbin.bar.svc.cluster.local"));
  resources.virtual_services[0].http[0].match.push_back(config::HttpMatchRequest{});
  resources.virtual_services[0].http[0].match[0].uri =
      config::StringMatch{config::StringMatch::Kind::Prefix, "/bar"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 2u);
  EXPECT_EQ(result.snapshot->workloads[0].workload.ns, "bar");
  EXPECT_EQ(result.snapshot->workloads[1].workload.ns, "foo");
}

TEST(Workloads, ServicePortsShareWorkload) {
  // Two routes to two ports of one ServiceEntry: two clusters, one workload behind both.
  config::ServiceEntry entry = httpbinEntry({endpoint("10.0.0.1", kHttpbinLabels)});
  entry.ports.push_back(config::ServiceEntryPort{9000, "admin", "HTTP", 0});
  config::ResourceSet resources = routedTo(entry);
  config::HttpRoute admin = routeTo(std::string(kHttpbin), 9000);
  admin.match.push_back(config::HttpMatchRequest{});
  admin.match[0].uri = config::StringMatch{config::StringMatch::Kind::Prefix, "/admin"};
  resources.virtual_services[0].http.insert(resources.virtual_services[0].http.begin(), admin);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->clusters.size(), 2u);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  for (const Cluster& cluster : result.snapshot->clusters) {
    ASSERT_EQ(cluster.endpoints.size(), 1u) << cluster.name;
    EXPECT_EQ(cluster.endpoints[0].workload, 0) << cluster.name;
  }
}

// --- Policies that attach to workloads -------------------------------------------------------

TEST(WorkloadPolicies, NoneByDefault) {
  const BuildResult result = buildWith(labelledExample());
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->workloads.size(), 1u);
  EXPECT_FALSE(result.snapshot->workloads[0].enforces());
}

TEST(WorkloadPolicies, SelectorAttaches) {
  config::ResourceSet resources = labelledExample();
  resources.authorization_policies.push_back(
      denyAll("foo", "deny-httpbin", selectorOf({{"app", "httpbin"}})));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(workloadHasPolicies(result));
  EXPECT_TRUE(result.snapshot->workloads[0].enforces());
}

TEST(WorkloadPolicies, SelectorAttachesToWorkloadOnly) {
  config::ResourceSet resources = labelledExample();
  resources.authorization_policies.push_back(
      denyAll("foo", "deny-httpbin", selectorOf({{"app", "httpbin"}})));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_NE(result.snapshot->listeners.at(0).authz, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.at(0).authz->empty());
}

TEST(WorkloadPolicies, OtherSelectorIgnored) {
  config::ResourceSet resources = labelledExample();
  resources.authorization_policies.push_back(
      denyAll("foo", "deny-v2", selectorOf({{"app", "httpbin"}, {"version", "v2"}})));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_FALSE(workloadHasPolicies(result));
}

TEST(WorkloadPolicies, NamespaceWithoutSelectorAttaches) {
  config::ResourceSet resources = labelledExample();
  resources.authorization_policies.push_back(denyAll("foo", "deny-all", {}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(workloadHasPolicies(result));
  EXPECT_TRUE(result.snapshot->listeners.at(0).authz->empty());
}

TEST(WorkloadPolicies, OtherNamespaceIgnored) {
  config::ResourceSet resources = labelledExample();
  resources.authorization_policies.push_back(denyAll("bar", "deny-all", {}));
  resources.authorization_policies.push_back(
      denyAll("bar", "deny-httpbin", selectorOf({{"app", "httpbin"}})));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_FALSE(workloadHasPolicies(result));
}

TEST(WorkloadPolicies, RootNamespaceWithoutSelectorAttaches) {
  // A policy in the root namespace without selector applies to the whole mesh: the gateway and
  // every workload.
  config::ResourceSet resources = labelledExample();
  resources.authorization_policies.push_back(denyAll("istio-system", "deny-all", {}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(workloadHasPolicies(result));
  EXPECT_FALSE(result.snapshot->listeners.at(0).authz->empty());
}

TEST(WorkloadPolicies, RootNamespaceSelectorAttaches) {
  config::ResourceSet resources = labelledExample();
  resources.authorization_policies.push_back(
      denyAll("istio-system", "deny-httpbin", selectorOf({{"app", "httpbin"}})));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(workloadHasPolicies(result));
}

TEST(WorkloadPolicies, MeshRootNamespaceFollowsMeshConfig) {
  config::ResourceSet resources = labelledExample();
  resources.mesh.root_namespace = "istio-config";
  resources.authorization_policies.push_back(denyAll("istio-config", "deny-all", {}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(workloadHasPolicies(result));
}

TEST(WorkloadPolicies, TargetRefsIgnored) {
  // A destination workload is not a Gateway API gateway, so targetRefs never name it, whatever
  // they point at.
  config::ResourceSet resources = labelledExample();
  config::WorkloadTarget to_service;
  to_service.target_refs.push_back(config::PolicyTargetReference{"", "Service", "httpbin", ""});
  resources.authorization_policies.push_back(denyAll("foo", "deny-service", to_service));
  config::WorkloadTarget to_gateway;
  to_gateway.target_refs.push_back(
      config::PolicyTargetReference{"gateway.networking.k8s.io", "Gateway", "httpbin", ""});
  resources.authorization_policies.push_back(denyAll("foo", "deny-gateway", to_gateway));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_FALSE(workloadHasPolicies(result));
}

TEST(WorkloadPolicies, RequestAuthenticationAttaches) {
  config::ResourceSet resources = labelledExample();
  resources.request_authentications.push_back(
      requestAuthentication("foo", "jwt-example", selectorOf({{"app", "httpbin"}}),
                            {jwtRule("testing@secure.istio.io")}));
  RecordingKeys keys;
  const BuildResult result = build(resources, ingressOptions(), keys);
  ASSERT_NE(result.snapshot, nullptr);
  const DestinationWorkload& workload = result.snapshot->workloads.at(0);
  ASSERT_NE(workload.authn, nullptr);
  ASSERT_EQ(workload.authn->providers().size(), 1u);
  EXPECT_EQ(workload.authn->providers()[0].issuer, "testing@secure.istio.io");
  EXPECT_TRUE(workload.enforces());
  ASSERT_EQ(keys.calls.size(), 1u);
  EXPECT_EQ(keys.calls[0].origin, "foo/jwt-example jwtRules[0]");
  ASSERT_EQ(workload.key_sources.size(), 1u);
  EXPECT_EQ(workload.key_sources[0], keys.calls[0].source);
  EXPECT_TRUE(result.snapshot->listeners.at(0).authn->empty());
}

TEST(WorkloadPolicies, PoliciesKeepCreationOrder) {
  // The engine names the first matching DENY policy, so the order decides the 403 details.
  config::ResourceSet resources = labelledExample();
  config::AuthorizationPolicy later = denyAll("foo", "later", {});
  later.meta.order = 2;
  config::AuthorizationPolicy earlier = denyAll("foo", "earlier", {});
  earlier.meta.order = 1;
  resources.authorization_policies = {later, earlier};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_TRUE(workloadHasPolicies(result));
  authz::RequestAttributes attributes;
  const authz::Decision decision =
      result.snapshot->workloads[0].authz->evaluate(attributes, nullptr);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.policy, "foo/earlier");
}

// --- The gateway's identity towards workloads ------------------------------------------------

TEST(GatewayPrincipal, IstioGatewayServiceAccount) {
  const BuildResult result = buildWith(labelledExample());
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->listeners.at(0).principal,
            "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
}

TEST(GatewayPrincipal, FollowsGatewayNamespace) {
  BuildOptions options = ingressOptions();
  options.workload.ns = "ingress";
  const BuildResult result = buildWith(labelledExample(), options);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->listeners.size(), 1u);
  EXPECT_EQ(result.snapshot->listeners[0].principal,
            "cluster.local/ns/ingress/sa/istio-ingressgateway-service-account");
}

TEST(GatewayPrincipal, GatewayApiServiceAccount) {
  // Istio deploys a Gateway API gateway with the service account <name>-<gatewayClassName>.
  config::ResourceSet resources;
  resources.k8s_gateways.push_back(k8sGateway("apps", "gw", {k8sListener("http", 8080)}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Listener* listener = result.snapshot->findListener(8080);
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(listener->principal, "cluster.local/ns/apps/sa/gw-istio");
}

}  // namespace
}  // namespace portcullis::snapshot::testing
