// snapshot::build(): listeners from Istio Gateways and Gateway API Gateways, virtual hosts and
// routes from VirtualServices and HTTPRoutes, clusters from ServiceEntries, and the security
// policies attached to each listener's workload. Resources are built by hand, not loaded.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "snapshot/snapshot.h"
#include "snapshot_test_util.h"

namespace portcullis::snapshot::testing {
namespace {

using config::Diagnostic;

constexpr std::string_view kHttpbin = "httpbin.default.svc.cluster.local";

// The istio.io httpbin example: Gateway istio-system/httpbin-gateway on port 80 for
// httpbin.example.com, a VirtualService routing to httpbin:8000 and a ServiceEntry for it.
config::ResourceSet httpbinExample() {
  config::ResourceSet resources;
  resources.gateways.push_back(
      istioGateway("httpbin-gateway", {server(80, {"httpbin.example.com"})}));
  resources.virtual_services.push_back(virtualService("default", "httpbin", {"httpbin.example.com"},
                                                      {"istio-system/httpbin-gateway"},
                                                      {routeTo(std::string(kHttpbin))}));
  resources.service_entries.push_back(serviceEntry(std::string(kHttpbin), 8000, "127.0.0.1", 8080));
  return resources;
}

BuildResult buildWith(const config::ResourceSet& resources,
                      const BuildOptions& options = ingressOptions()) {
  RecordingKeys keys;
  return build(resources, options, keys);
}

bool hasDiagnostic(const BuildResult& result, Diagnostic::Severity severity,
                   std::string_view text) {
  return std::any_of(result.diagnostics.begin(), result.diagnostics.end(), [&](const auto& d) {
    return d.severity == severity && d.message.find(text) != std::string::npos;
  });
}

std::vector<std::string> domainsOf(const Listener& listener) {
  std::vector<std::string> domains;
  for (const auto& vhost : listener.virtual_hosts) {
    domains.insert(domains.end(), vhost.domains.begin(), vhost.domains.end());
  }
  std::sort(domains.begin(), domains.end());
  return domains;
}

const Cluster& clusterOf(const Snapshot& snapshot, const Route& route, size_t i = 0) {
  return snapshot.clusters.at(route.clusters.at(i).cluster);
}

TEST(BuildIstio, GatewayBecomesListener) {
  const BuildResult result = buildWith(httpbinExample());
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->listeners.size(), 1u);
  const Listener& listener = result.snapshot->listeners[0];
  EXPECT_EQ(listener.gateway_port, 80u);
  EXPECT_EQ(listener.listen_port, 80);
  EXPECT_EQ(listener.protocol, "HTTP");
  EXPECT_EQ(listener.workload.ns, "istio-system");
  EXPECT_EQ(listener.origins, std::vector<std::string>{"Gateway istio-system/httpbin-gateway"});
}

TEST(BuildIstio, VirtualServiceBecomesRoute) {
  const BuildResult result = buildWith(httpbinExample());
  ASSERT_NE(result.snapshot, nullptr);
  const Listener& listener = result.snapshot->listeners.at(0);
  ASSERT_EQ(listener.virtual_hosts.size(), 1u);
  EXPECT_EQ(listener.virtual_hosts[0].domains, std::vector<std::string>{"httpbin.example.com"});
  ASSERT_EQ(listener.virtual_hosts[0].routes.size(), 1u);
  const Route& route = listener.virtual_hosts[0].routes[0];
  EXPECT_EQ(route.origin, "VirtualService default/httpbin http[0]");
  EXPECT_TRUE(route.matches.empty());
}

TEST(BuildIstio, ServiceEntryBecomesCluster) {
  const BuildResult result = buildWith(httpbinExample());
  ASSERT_NE(result.snapshot, nullptr);
  const Route& route = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0);
  const Cluster& cluster = clusterOf(*result.snapshot, route);
  EXPECT_EQ(cluster.name, "outbound|8000||httpbin.default.svc.cluster.local");
  ASSERT_EQ(cluster.endpoints.size(), 1u);
  EXPECT_EQ(cluster.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(cluster.endpoints[0].port, 8080);
}

TEST(BuildIstio, EndpointDefaultsToServicePort) {
  config::ResourceSet resources = httpbinExample();
  resources.service_entries[0] = serviceEntry(std::string(kHttpbin), 8000, "10.1.1.1");
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Cluster& cluster = result.snapshot->clusters.at(0);
  ASSERT_EQ(cluster.endpoints.size(), 1u);
  EXPECT_EQ(cluster.endpoints[0].port, 8000);
}

TEST(BuildIstio, EndpointUsesTargetPort) {
  config::ResourceSet resources = httpbinExample();
  resources.service_entries[0] = serviceEntry(std::string(kHttpbin), 8000, "10.1.1.1");
  resources.service_entries[0].ports[0].target_port = 9000;
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->clusters.at(0).endpoints.at(0).port, 9000);
}

TEST(BuildIstio, DnsServiceEntryWithoutEndpointsUsesHost) {
  config::ResourceSet resources = httpbinExample();
  resources.service_entries[0].endpoints.clear();
  resources.service_entries[0].resolution = config::ServiceEntry::Resolution::Dns;
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Cluster& cluster = result.snapshot->clusters.at(0);
  ASSERT_EQ(cluster.endpoints.size(), 1u);
  EXPECT_EQ(cluster.endpoints[0].host, kHttpbin);
  EXPECT_EQ(cluster.endpoints[0].port, 8000);
}

TEST(BuildIstio, PortMapSetsListenPort) {
  const BuildResult result = buildWith(httpbinExample(), ingressOptions({{80, 8080}}));
  ASSERT_NE(result.snapshot, nullptr);
  const Listener& listener = result.snapshot->listeners.at(0);
  EXPECT_EQ(listener.gateway_port, 80u);
  EXPECT_EQ(listener.listen_port, 8080);
  EXPECT_EQ(result.snapshot->findListener(8080), &listener);
}

TEST(BuildIstio, GatewayForOtherWorkloadIgnored) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].selector = {{"istio", "egressgateway"}};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.empty());
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Info, "selects other workloads"));
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Warning, "no Gateway selects"));
}

TEST(BuildIstio, UnsupportedProtocolSkipped) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].servers[0].protocol = "HTTPS";
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.empty());
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Warning, "protocol HTTPS"));
}

TEST(BuildIstio, TwoGatewaysShareOnePort) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways.push_back(istioGateway("second", {server(80, {"other.example.com"})}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->listeners.size(), 1u);
  EXPECT_EQ(result.snapshot->listeners[0].origins.size(), 2u);
}

TEST(BuildIstio, BareGatewayNameMeansVirtualServiceNamespace) {
  // "httpbin-gateway" in a VirtualService of default names default/httpbin-gateway.
  config::ResourceSet resources = httpbinExample();
  resources.virtual_services[0].gateways = {"httpbin-gateway"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.at(0).virtual_hosts.empty());
}

TEST(BuildIstio, BareGatewayNameInGatewayNamespace) {
  config::ResourceSet resources = httpbinExample();
  resources.virtual_services[0].meta.ns = "istio-system";
  resources.virtual_services[0].gateways = {"httpbin-gateway"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->listeners.at(0).virtual_hosts.size(), 1u);
}

TEST(BuildIstio, VirtualServiceWithoutGatewaysNotBound) {
  config::ResourceSet resources = httpbinExample();
  resources.virtual_services[0].gateways.clear();  // means "mesh"
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.at(0).virtual_hosts.empty());
}

TEST(BuildIstio, ServerHostNamespaceRestrictsVirtualServices) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].servers[0].hosts = {"prod/httpbin.example.com"};
  {
    const BuildResult result = buildWith(resources);
    ASSERT_NE(result.snapshot, nullptr);
    EXPECT_TRUE(result.snapshot->listeners.at(0).virtual_hosts.empty());
  }
  resources.virtual_services[0].meta.ns = "prod";
  {
    const BuildResult result = buildWith(resources);
    ASSERT_NE(result.snapshot, nullptr);
    EXPECT_EQ(domainsOf(result.snapshot->listeners.at(0)),
              std::vector<std::string>{"httpbin.example.com"});
  }
}

TEST(BuildIstio, DotNamespaceMeansGatewayNamespace) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].servers[0].hosts = {"./httpbin.example.com"};
  {
    const BuildResult result = buildWith(resources);  // VirtualService in default
    ASSERT_NE(result.snapshot, nullptr);
    EXPECT_TRUE(result.snapshot->listeners.at(0).virtual_hosts.empty());
  }
  resources.virtual_services[0].meta.ns = "istio-system";
  {
    const BuildResult result = buildWith(resources);
    ASSERT_NE(result.snapshot, nullptr);
    EXPECT_EQ(result.snapshot->listeners.at(0).virtual_hosts.size(), 1u);
  }
}

TEST(BuildIstio, StarNamespaceAllowsAll) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].servers[0].hosts = {"*/httpbin.example.com"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->listeners.at(0).virtual_hosts.size(), 1u);
}

TEST(BuildIstio, WildcardServerHostNarrowedToVirtualServiceHost) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].servers[0].hosts = {"*.example.com"};
  resources.virtual_services[0].hosts = {"a.example.com", "b.other.com"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(domainsOf(result.snapshot->listeners.at(0)), std::vector<std::string>{"a.example.com"});
}

TEST(BuildIstio, StarVirtualServiceHostNarrowedToServerHost) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].servers[0].hosts = {"*.example.com"};
  resources.virtual_services[0].hosts = {"*"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(domainsOf(result.snapshot->listeners.at(0)), std::vector<std::string>{"*.example.com"});
}

TEST(BuildIstio, DomainsAreLowerCase) {
  config::ResourceSet resources = httpbinExample();
  resources.gateways[0].servers[0].hosts = {"*"};
  resources.virtual_services[0].hosts = {"HTTPBIN.Example.com"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(domainsOf(result.snapshot->listeners.at(0)),
            std::vector<std::string>{"httpbin.example.com"});
}

TEST(BuildIstio, DisjointHostsWarn) {
  config::ResourceSet resources = httpbinExample();
  resources.virtual_services[0].hosts = {"other.example.com"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.at(0).virtual_hosts.empty());
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Warning, "no host of this"));
}

TEST(BuildIstio, MatchForOtherGatewaySkipsRoute) {
  config::ResourceSet resources = httpbinExample();
  config::HttpRoute mesh_only = routeTo(std::string(kHttpbin));
  config::HttpMatchRequest match;
  match.gateways = {"mesh"};
  mesh_only.match.push_back(match);
  resources.virtual_services[0].http.insert(resources.virtual_services[0].http.begin(), mesh_only);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const auto& routes = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes;
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].origin, "VirtualService default/httpbin http[1]");
}

TEST(BuildIstio, MatchForOtherPortSkipsRoute) {
  config::ResourceSet resources = httpbinExample();
  config::HttpMatchRequest match;
  match.port = 8080;
  resources.virtual_services[0].http[0].match.push_back(match);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.empty());
}

TEST(BuildIstio, RouteMatchCompiled) {
  config::ResourceSet resources = httpbinExample();
  config::HttpMatchRequest match;
  match.uri = config::StringMatch{config::StringMatch::Kind::Prefix, "/status"};
  match.ignore_uri_case = true;
  match.headers.emplace_back("X-Version",
                             config::StringMatch{config::StringMatch::Kind::Exact, "v2"});
  match.headers.emplace_back("@request.auth.claims.groups",
                             config::StringMatch{config::StringMatch::Kind::Exact, "group1"});
  resources.virtual_services[0].http[0].match.push_back(match);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Route& route = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0);
  ASSERT_EQ(route.matches.size(), 1u);
  const RouteMatch& compiled = route.matches[0];
  ASSERT_TRUE(compiled.path.has_value());
  EXPECT_TRUE(compiled.path->matches("/STATUS/418"));
  ASSERT_EQ(compiled.headers.size(), 2u);
  EXPECT_EQ(compiled.headers[0].name, "x-version");
  EXPECT_TRUE(compiled.headers[0].claim_path.empty());
  EXPECT_EQ(compiled.headers[1].claim_path, std::vector<std::string>{"groups"});
}

TEST(BuildIstio, BracketedClaimPath) {
  config::ResourceSet resources = httpbinExample();
  config::HttpMatchRequest match;
  match.headers.emplace_back("@request.auth.claims[foo.com/name][given]",
                             config::StringMatch{config::StringMatch::Kind::Exact, "x"});
  resources.virtual_services[0].http[0].match.push_back(match);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Route& route = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0);
  EXPECT_EQ(route.matches.at(0).headers.at(0).claim_path,
            (std::vector<std::string>{"foo.com/name", "given"}));
}

TEST(BuildIstio, DottedNestedClaimPath) {
  config::ResourceSet resources = httpbinExample();
  config::HttpMatchRequest match;
  match.headers.emplace_back("@request.auth.claims.name.givenName",
                             config::StringMatch{config::StringMatch::Kind::Exact, "x"});
  resources.virtual_services[0].http[0].match.push_back(match);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Route& route = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0);
  EXPECT_EQ(route.matches.at(0).headers.at(0).claim_path,
            (std::vector<std::string>{"name", "givenName"}));
}

TEST(BuildIstio, WeightsKept) {
  config::ResourceSet resources = httpbinExample();
  config::HttpRoute& http = resources.virtual_services[0].http[0];
  http.route[0].weight = 80;
  config::HttpRouteDestination second;
  second.destination.host = "other.default.svc.cluster.local";
  second.destination.port = 8000;
  second.weight = 20;
  http.route.push_back(second);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Route& route = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0);
  ASSERT_EQ(route.clusters.size(), 2u);
  EXPECT_EQ(route.clusters[0].weight, 80u);
  EXPECT_EQ(route.clusters[1].weight, 20u);
  EXPECT_EQ(clusterOf(*result.snapshot, route, 1).name,
            "outbound|8000||other.default.svc.cluster.local");
}

TEST(BuildIstio, RewriteAndTimeoutKept) {
  config::ResourceSet resources = httpbinExample();
  config::HttpRoute& http = resources.virtual_services[0].http[0];
  http.rewrite = config::HttpRewrite{"/v2", "backend.example.com"};
  http.timeout = std::chrono::milliseconds(1500);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Route& route = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0);
  EXPECT_EQ(route.rewrite_prefix, "/v2");
  EXPECT_EQ(route.rewrite_authority, "backend.example.com");
  EXPECT_EQ(route.timeout, std::chrono::milliseconds(1500));
}

TEST(BuildIstio, UndeclaredHostWarnsAndHasNoEndpoints) {
  config::ResourceSet resources = httpbinExample();
  resources.service_entries.clear();
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->clusters.size(), 1u);
  EXPECT_TRUE(result.snapshot->clusters[0].endpoints.empty());
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Warning, "no ServiceEntry declares"));
}

TEST(BuildIstio, UndeclaredPortWarns) {
  config::ResourceSet resources = httpbinExample();
  resources.virtual_services[0].http[0].route[0].destination.port = 9999;
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->clusters.at(0).endpoints.empty());
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Warning, "has no port 9999"));
}

TEST(BuildIstio, SinglePortNeedsNoPortNumber) {
  config::ResourceSet resources = httpbinExample();
  resources.virtual_services[0].http[0].route[0].destination.port.reset();
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->clusters.at(0).name,
            "outbound|8000||httpbin.default.svc.cluster.local");
}

TEST(BuildIstio, AmbiguousPortIsError) {
  config::ResourceSet resources = httpbinExample();
  resources.service_entries[0].ports.push_back(config::ServiceEntryPort{9000, "admin", "HTTP", 0});
  resources.virtual_services[0].http[0].route[0].destination.port.reset();
  const BuildResult result = buildWith(resources);
  EXPECT_EQ(result.snapshot, nullptr);
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Error, "has several ports"));
}

TEST(BuildIstio, WildcardServiceEntryHost) {
  config::ResourceSet resources = httpbinExample();
  resources.service_entries[0].hosts = {"*.default.svc.cluster.local"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->clusters.at(0).endpoints.size(), 1u);
}

TEST(BuildIstio, SharedDestinationSharesCluster) {
  config::ResourceSet resources = httpbinExample();
  resources.virtual_services[0].http.push_back(routeTo(std::string(kHttpbin)));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->clusters.size(), 1u);
}

TEST(BuildIstio, MeshConfigCopied) {
  config::ResourceSet resources = httpbinExample();
  resources.mesh.num_trusted_proxies = 2;
  resources.mesh.path_normalization = config::PathNormalization::MergeSlashes;
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->mesh.num_trusted_proxies, 2u);
  EXPECT_EQ(result.snapshot->mesh.path_normalization, config::PathNormalization::MergeSlashes);
}

TEST(BuildIstio, VersionsIncrease) {
  const BuildResult first = buildWith(httpbinExample());
  const BuildResult second = buildWith(httpbinExample());
  ASSERT_NE(first.snapshot, nullptr);
  ASSERT_NE(second.snapshot, nullptr);
  EXPECT_GT(second.snapshot->version, first.snapshot->version);
}

// A Gateway API gateway default/gw with one HTTP listener on port 80.
config::ResourceSet k8sExample(std::vector<config::HttpRouteRule> rules) {
  config::ResourceSet resources;
  resources.k8s_gateways.push_back(k8sGateway("default", "gw", {k8sListener("http", 80)}));
  resources.http_routes.push_back(httpRoute("default", "httpbin", "gw", std::move(rules)));
  resources.service_entries.push_back(serviceEntry(std::string(kHttpbin), 8000));
  return resources;
}

using PathType = config::HttpPathMatch::Type;

TEST(BuildGatewayApi, GatewayIsItsOwnWorkload) {
  const BuildResult result = buildWith(k8sExample({k8sRule({})}));
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->listeners.size(), 1u);
  const Workload& workload = result.snapshot->listeners[0].workload;
  EXPECT_EQ(workload.ns, "default");
  EXPECT_EQ(workload.k8s_gateway_name, "gw");
  EXPECT_EQ(workload.labels.at("gateway.networking.k8s.io/gateway-name"), "gw");
}

TEST(BuildGatewayApi, RouteToService) {
  const BuildResult result = buildWith(k8sExample({k8sRule({})}));
  ASSERT_NE(result.snapshot, nullptr);
  const Listener& listener = result.snapshot->listeners.at(0);
  EXPECT_EQ(domainsOf(listener), std::vector<std::string>{"*"});
  const Route& route = listener.virtual_hosts.at(0).routes.at(0);
  EXPECT_EQ(route.origin, "HTTPRoute default/httpbin rules[0]");
  EXPECT_EQ(clusterOf(*result.snapshot, route).name,
            "outbound|8000||httpbin.default.svc.cluster.local");
  ASSERT_EQ(route.matches.size(), 1u);
  EXPECT_TRUE(route.matches[0].path->matches("/anything"));
}

TEST(BuildGatewayApi, PathPrefixMatchesWholeSegments) {
  const BuildResult result =
      buildWith(k8sExample({k8sRule({pathMatch(PathType::PathPrefix, "/foo")})}));
  ASSERT_NE(result.snapshot, nullptr);
  const StringMatcher& path =
      *result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0).matches.at(0).path;
  EXPECT_TRUE(path.matches("/foo"));
  EXPECT_TRUE(path.matches("/foo/"));
  EXPECT_TRUE(path.matches("/foo/bar"));
  EXPECT_FALSE(path.matches("/foobar"));
  EXPECT_FALSE(path.matches("/fo"));
}

TEST(BuildGatewayApi, PathPrefixTrailingSlashIgnored) {
  const BuildResult result =
      buildWith(k8sExample({k8sRule({pathMatch(PathType::PathPrefix, "/foo/")})}));
  ASSERT_NE(result.snapshot, nullptr);
  const StringMatcher& path =
      *result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0).matches.at(0).path;
  EXPECT_TRUE(path.matches("/foo"));
  EXPECT_TRUE(path.matches("/foo/bar"));
}

TEST(BuildGatewayApi, PathPrefixEscapesRegexCharacters) {
  const BuildResult result =
      buildWith(k8sExample({k8sRule({pathMatch(PathType::PathPrefix, "/v1.0")})}));
  ASSERT_NE(result.snapshot, nullptr);
  const StringMatcher& path =
      *result.snapshot->listeners.at(0).virtual_hosts.at(0).routes.at(0).matches.at(0).path;
  EXPECT_TRUE(path.matches("/v1.0/items"));
  EXPECT_FALSE(path.matches("/v1x0/items"));
}

TEST(BuildGatewayApi, ExactBeforeLongerPrefixBeforeShorter) {
  const BuildResult result =
      buildWith(k8sExample({k8sRule({pathMatch(PathType::PathPrefix, "/")}),
                            k8sRule({pathMatch(PathType::PathPrefix, "/api")}),
                            k8sRule({pathMatch(PathType::Exact, "/api/v1")})}));
  ASSERT_NE(result.snapshot, nullptr);
  const auto& routes = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes;
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].origin, "HTTPRoute default/httpbin rules[2]");
  EXPECT_EQ(routes[1].origin, "HTTPRoute default/httpbin rules[1]");
  EXPECT_EQ(routes[2].origin, "HTTPRoute default/httpbin rules[0]");
}

TEST(BuildGatewayApi, OlderRouteFirstOnTie) {
  config::ResourceSet resources = k8sExample({k8sRule({pathMatch(PathType::PathPrefix, "/a")})});
  resources.http_routes[0].meta.order = 5;
  resources.http_routes.push_back(
      httpRoute("default", "older", "gw", {k8sRule({pathMatch(PathType::PathPrefix, "/b")})}, 1));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const auto& routes = result.snapshot->listeners.at(0).virtual_hosts.at(0).routes;
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].origin, "HTTPRoute default/older rules[0]");
}

TEST(BuildGatewayApi, RouteFromOtherNamespaceNotAttached) {
  config::ResourceSet resources = k8sExample({k8sRule({})});
  resources.http_routes[0].meta.ns = "other";
  resources.http_routes[0].parent_refs[0].ns = "default";
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.at(0).virtual_hosts.empty());
}

TEST(BuildGatewayApi, SectionNameSelectsListener) {
  config::ResourceSet resources = k8sExample({k8sRule({})});
  resources.k8s_gateways[0].listeners.push_back(k8sListener("alt", 8080));
  resources.http_routes[0].parent_refs[0].section_name = "alt";
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->listeners.size(), 2u);
  EXPECT_TRUE(result.snapshot->findListener(80)->virtual_hosts.empty());
  EXPECT_EQ(result.snapshot->findListener(8080)->virtual_hosts.size(), 1u);
}

TEST(BuildGatewayApi, HostnamesIntersectListenerHostname) {
  config::ResourceSet resources = k8sExample({k8sRule({})});
  resources.k8s_gateways[0].listeners[0].hostname = "*.example.com";
  resources.http_routes[0].hostnames = {"api.example.com", "api.other.com"};
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(domainsOf(result.snapshot->listeners.at(0)),
            std::vector<std::string>{"api.example.com"});
}

TEST(BuildGatewayApi, BackendInOtherNamespace) {
  config::ResourceSet resources = k8sExample({k8sRule({})});
  resources.http_routes[0].rules[0].backend_refs[0].ns = "backend";
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(result.snapshot->clusters.at(0).name,
            "outbound|8000||httpbin.backend.svc.cluster.local");
}

TEST(BuildGatewayApi, PortTakenByOtherWorkloadIsError) {
  config::ResourceSet resources = httpbinExample();
  config::ResourceSet k8s = k8sExample({k8sRule({})});
  resources.k8s_gateways = k8s.k8s_gateways;
  const BuildResult result = buildWith(resources);
  EXPECT_EQ(result.snapshot, nullptr);
  EXPECT_TRUE(hasDiagnostic(result, Diagnostic::Severity::Error, "already used by"));
}

TEST(BuildSecurity, RequestAuthenticationInRootNamespaceApplies) {
  config::ResourceSet resources = httpbinExample();
  resources.request_authentications.push_back(requestAuthentication(
      "istio-system", "jwt-example", selectIngress(), {jwtRule("testing@secure.istio.io")}));
  RecordingKeys keys;
  const BuildResult result = build(resources, ingressOptions(), keys);
  ASSERT_NE(result.snapshot, nullptr);
  const Listener& listener = result.snapshot->listeners.at(0);
  ASSERT_NE(listener.authn, nullptr);
  ASSERT_EQ(listener.authn->providers().size(), 1u);
  EXPECT_EQ(listener.authn->providers()[0].issuer, "testing@secure.istio.io");
  ASSERT_EQ(keys.calls.size(), 1u);
  EXPECT_EQ(keys.calls[0].origin, "istio-system/jwt-example jwtRules[0]");
  ASSERT_EQ(listener.key_sources.size(), 1u);
  EXPECT_EQ(listener.key_sources[0], keys.calls[0].source);
}

TEST(BuildSecurity, RequestAuthenticationInOtherNamespaceIgnored) {
  config::ResourceSet resources = httpbinExample();
  resources.request_authentications.push_back(requestAuthentication(
      "foo", "jwt-example", selectIngress(), {jwtRule("testing@secure.istio.io")}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Listener& listener = result.snapshot->listeners.at(0);
  ASSERT_NE(listener.authn, nullptr);
  EXPECT_TRUE(listener.authn->empty());
  EXPECT_TRUE(listener.key_sources.empty());
}

TEST(BuildSecurity, RulesOfAllPoliciesUnioned) {
  config::ResourceSet resources = httpbinExample();
  resources.request_authentications.push_back(requestAuthentication(
      "istio-system", "first", selectIngress(), {jwtRule("https://b.example.com")}));
  resources.request_authentications.push_back(
      requestAuthentication("istio-system", "second", {},
                            {jwtRule("https://a.example.com"), jwtRule("https://b.example.com")}));
  RecordingKeys keys;
  const BuildResult result = build(resources, ingressOptions(), keys);
  ASSERT_NE(result.snapshot, nullptr);
  const Listener& listener = result.snapshot->listeners.at(0);
  ASSERT_EQ(listener.authn->providers().size(), 3u);
  ASSERT_EQ(listener.key_sources.size(), 3u);
  // Providers are in issuer order, and each key slot points at the source of its own rule.
  for (const auto& provider : listener.authn->providers()) {
    ASSERT_LT(provider.key_slot, keys.calls.size());
    EXPECT_EQ(keys.calls[provider.key_slot].issuer, provider.issuer);
    EXPECT_EQ(keys.calls[provider.key_slot].origin, provider.origin);
    EXPECT_EQ(listener.key_sources[provider.key_slot], keys.calls[provider.key_slot].source);
  }
  EXPECT_EQ(listener.authn->providers()[0].issuer, "https://a.example.com");
}

TEST(BuildSecurity, TargetRefPolicyReachesGatewayApiListenerOnly) {
  config::ResourceSet resources = httpbinExample();
  resources.http_routes = k8sExample({}).http_routes;
  resources.k8s_gateways.push_back(k8sGateway("default", "gw", {k8sListener("http", 8080)}));
  config::WorkloadTarget target;
  target.target_refs.push_back(
      config::PolicyTargetReference{"gateway.networking.k8s.io", "Gateway", "gw", ""});
  resources.request_authentications.push_back(
      requestAuthentication("default", "jwt", target, {jwtRule("https://a.example.com")}));
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_EQ(result.snapshot->listeners.size(), 2u);
  EXPECT_TRUE(result.snapshot->findListener(80)->authn->empty());
  EXPECT_EQ(result.snapshot->findListener(8080)->authn->providers().size(), 1u);
}

TEST(BuildSecurity, AuthorizationPolicyAttached) {
  config::ResourceSet resources = httpbinExample();
  config::AuthorizationPolicy deny;
  deny.meta = meta("AuthorizationPolicy", "istio-system", "deny-all");
  deny.target = selectIngress();
  deny.action = config::AuthorizationPolicy::Action::Deny;
  deny.has_rules = true;
  deny.rules.push_back(config::Rule{});
  resources.authorization_policies.push_back(deny);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  const Listener& listener = result.snapshot->listeners.at(0);
  ASSERT_NE(listener.authz, nullptr);
  EXPECT_FALSE(listener.authz->empty());
}

TEST(BuildSecurity, AuthorizationPolicyOfOtherWorkloadIgnored) {
  config::ResourceSet resources = httpbinExample();
  config::AuthorizationPolicy deny;
  deny.meta = meta("AuthorizationPolicy", "istio-system", "deny-egress");
  deny.target.selector = config::Labels{{"istio", "egressgateway"}};
  deny.action = config::AuthorizationPolicy::Action::Deny;
  deny.has_rules = true;
  deny.rules.push_back(config::Rule{});
  resources.authorization_policies.push_back(deny);
  const BuildResult result = buildWith(resources);
  ASSERT_NE(result.snapshot, nullptr);
  ASSERT_NE(result.snapshot->listeners.at(0).authz, nullptr);
  EXPECT_TRUE(result.snapshot->listeners.at(0).authz->empty());
}

}  // namespace
}  // namespace portcullis::snapshot::testing
