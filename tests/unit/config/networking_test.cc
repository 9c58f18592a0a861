// Gateway, VirtualService, ServiceEntry and WorkloadEntry of networking.istio.io: decoding of
// every field and the checks Istio's validation applies.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace portcullis::config {
namespace {

using testing::dump;
using testing::errors;
using testing::load;
using testing::warnings;

// Wraps spec lines (already indented by two spaces) in a networking.istio.io/v1 object named
// "web" in namespace "ns". The first spec line is line 5 of the file.
LoadResult loadSpec(std::string_view kind, std::string_view spec) {
  if (!spec.empty() && spec.front() == '\n') {
    spec.remove_prefix(1);
  }
  return load("apiVersion: networking.istio.io/v1\nkind: " + std::string(kind) +
              "\nmetadata: {name: web, namespace: ns}\nspec:\n" + std::string(spec));
}

LoadResult gateway(std::string_view spec) {
  return loadSpec("Gateway", spec);
}
LoadResult virtualService(std::string_view spec) {
  return loadSpec("VirtualService", spec);
}
LoadResult serviceEntry(std::string_view spec) {
  return loadSpec("ServiceEntry", spec);
}
LoadResult workloadEntry(std::string_view spec) {
  return loadSpec("WorkloadEntry", spec);
}

// A Gateway with one server whose `port` and `hosts` lines are given.
LoadResult gatewayServer(std::string_view server_lines) {
  return gateway("  servers:\n  - " + std::string(server_lines));
}

// ---------------------------------------------------------------------------------------------
// Gateway

TEST(IstioGateway, DecodesServers) {
  LoadResult result = gateway(R"(
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: http}
    hosts: ["*", "ns/a.example.com", "./b.example.com", "*/*.example.com"]
  - port: {number: 8080, name: http-alt, protocol: HTTP2}
    hosts: ["c.example.com"]
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.gateways.size(), 1u);
  const IstioGateway& gw = result.resources.gateways[0];
  EXPECT_EQ(gw.selector.at("istio"), "ingressgateway");
  ASSERT_EQ(gw.servers.size(), 2u);
  EXPECT_EQ(gw.servers[0].port, 80u);
  EXPECT_EQ(gw.servers[0].port_name, "http");
  EXPECT_EQ(gw.servers[0].protocol, "HTTP");
  EXPECT_EQ(gw.servers[0].hosts.size(), 4u);
  EXPECT_EQ(gw.servers[0].location.line, 8);
  EXPECT_EQ(gw.servers[1].protocol, "HTTP2");
}

TEST(IstioGateway, RequiresServers) {
  LoadResult result = gateway("  servers: []\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers");
  EXPECT_EQ(error.location.line, 5);
}

TEST(IstioGateway, RequiresHosts) {
  LoadResult result = gatewayServer("port: {number: 80, name: http, protocol: HTTP}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].hosts");
}

TEST(IstioGateway, RejectsShortHostName) {
  LoadResult result =
      gatewayServer("port: {number: 80, name: http, protocol: HTTP}\n    hosts: [web]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].hosts[0]");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_NE(error.message.find("short name"), std::string::npos);
}

TEST(IstioGateway, RejectsPartialWildcard) {
  LoadResult result = gatewayServer(
      "port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*foo.example.com\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_NE(error.message.find("partial wildcard"), std::string::npos);
}

TEST(IstioGateway, RejectsBadHostNamespace) {
  LoadResult result = gatewayServer(
      "port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"bad_ns/a.example.com\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].hosts[0]");
}

TEST(IstioGateway, AcceptsIpHost) {
  LoadResult result =
      gatewayServer("port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"10.0.0.1\"]\n");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(IstioGateway, RejectsPortOutOfRange) {
  LoadResult result =
      gatewayServer("port: {number: 70000, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].port.number");
  EXPECT_EQ(error.location.line, 6);
  EXPECT_EQ(error.location.column, 20);
  EXPECT_NE(error.message.find("70000"), std::string::npos);
}

TEST(IstioGateway, RejectsPortZero) {
  LoadResult result =
      gatewayServer("port: {number: 0, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].port.number");
}

TEST(IstioGateway, RejectsStringPort) {
  LoadResult result =
      gatewayServer("port: {number: \"80\", name: http, protocol: HTTP}\n    hosts: [\"*\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].port.number");
  EXPECT_NE(error.message.find("expected an integer, found the string \"80\""), std::string::npos);
}

TEST(IstioGateway, RejectsUnknownProtocol) {
  LoadResult result =
      gatewayServer("port: {number: 80, name: http, protocol: HTTP3}\n    hosts: [\"*\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].port.protocol");
  EXPECT_NE(error.message.find("accepted: HTTP, HTTPS"), std::string::npos);
}

TEST(IstioGateway, RequiresPortName) {
  LoadResult result = gatewayServer("port: {number: 80, protocol: HTTP}\n    hosts: [\"*\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].port.name");
}

TEST(IstioGateway, RejectsDuplicatePortNames) {
  LoadResult result = gateway(R"(
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 81, name: http, protocol: HTTP}
    hosts: ["*"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[1].port.name");
  EXPECT_EQ(error.location.line, 8);
}

TEST(IstioGateway, RejectsTargetPort) {
  LoadResult result = gatewayServer(
      "port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}\n    hosts: [\"*\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].port.targetPort");
}

TEST(IstioGateway, RequiresTlsForHttps) {
  LoadResult result =
      gatewayServer("port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"*\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].tls");
}

TEST(IstioGateway, WarnsThatTlsIsIgnored) {
  LoadResult result = gatewayServer(
      "port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"*\"]\n"
      "    tls: {mode: SIMPLE, credentialName: cert}\n");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
  EXPECT_EQ(warnings(result)[0].field, "spec.servers[0].tls");
  EXPECT_EQ(warnings(result)[0].message, "field tls is not supported by Portcullis and is ignored");
  EXPECT_EQ(warnings(result)[0].location.line, 8);
}

TEST(IstioGateway, AllowsHttpsRedirectOnHttp) {
  LoadResult result = gatewayServer(
      "port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n"
      "    tls: {httpsRedirect: true}\n");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(IstioGateway, RejectsCertificatesOnHttp) {
  LoadResult result = gatewayServer(
      "port: {number: 80, name: http, protocol: HTTP}\n    hosts: [\"*\"]\n"
      "    tls: {mode: SIMPLE, credentialName: cert}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.servers[0].tls");
}

TEST(IstioGateway, RejectsDottedName) {
  LoadResult result = load(R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: my.gateway, namespace: ns}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "metadata.name");
  EXPECT_EQ(error.location.line, 3);
}

// ---------------------------------------------------------------------------------------------
// VirtualService

TEST(VirtualService, DecodesEveryField) {
  LoadResult result = virtualService(R"(
  hosts: ["www.example.com", "*.api.example.com"]
  gateways: ["istio-system/public", "private"]
  http:
  - name: main
    match:
    - name: m1
      uri: {prefix: /api}
      scheme: {exact: https}
      method: {regex: "GET|HEAD"}
      authority: {exact: www.example.com}
      headers:
        X-User: {exact: alice}
        x-present: {}
        "@request.auth.claims.Group": {exact: admins}
      withoutHeaders:
        x-debug: {}
      queryParams:
        version: {regex: "v[0-9]+"}
      port: 8080
      gateways: ["istio-system/public"]
      ignoreUriCase: true
    route:
    - destination:
        host: api.ns.svc.cluster.local
        port: {number: 8000}
        subset: v1
      weight: 90
    - destination: {host: api-canary.ns.svc.cluster.local}
      weight: 10
    rewrite: {uri: /v2, authority: api.internal}
    timeout: 1.5s
    headers:
      request:
        set: {x-forwarded-app: web}
        add: {x-trace: "1"}
        remove: [x-internal]
      response:
        remove: [server]
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.virtual_services.size(), 1u);
  const VirtualService& vs = result.resources.virtual_services[0];
  EXPECT_EQ(vs.hosts.size(), 2u);
  EXPECT_EQ(vs.gateways, (std::vector<std::string>{"istio-system/public", "private"}));
  ASSERT_EQ(vs.http.size(), 1u);
  const HttpRoute& route = vs.http[0];
  EXPECT_EQ(route.name, "main");
  EXPECT_EQ(route.location.line, 8);
  ASSERT_EQ(route.match.size(), 1u);
  const HttpMatchRequest& match = route.match[0];
  EXPECT_EQ(match.name, "m1");
  ASSERT_TRUE(match.uri.has_value());
  EXPECT_EQ(match.uri->kind, StringMatch::Kind::Prefix);
  EXPECT_EQ(match.uri->value, "/api");
  EXPECT_EQ(match.scheme->value, "https");
  EXPECT_EQ(match.method->kind, StringMatch::Kind::Regex);
  EXPECT_EQ(match.authority->value, "www.example.com");
  ASSERT_EQ(match.headers.size(), 3u);
  EXPECT_EQ(match.headers[0].first, "x-user");
  EXPECT_EQ(match.headers[0].second.value, "alice");
  EXPECT_EQ(match.headers[1].second.kind, StringMatch::Kind::Present);
  EXPECT_EQ(match.headers[2].first, "@request.auth.claims.Group");
  ASSERT_EQ(match.without_headers.size(), 1u);
  EXPECT_EQ(match.without_headers[0].second.kind, StringMatch::Kind::Present);
  ASSERT_EQ(match.query_params.size(), 1u);
  EXPECT_EQ(match.query_params[0].first, "version");
  EXPECT_EQ(match.port, 8080u);
  EXPECT_EQ(match.gateways, std::vector<std::string>{"istio-system/public"});
  EXPECT_TRUE(match.ignore_uri_case);
  ASSERT_EQ(route.route.size(), 2u);
  EXPECT_EQ(route.route[0].destination.host, "api.ns.svc.cluster.local");
  EXPECT_EQ(route.route[0].destination.port, 8000u);
  EXPECT_EQ(route.route[0].destination.subset, "v1");
  EXPECT_EQ(route.route[0].weight, 90);
  EXPECT_FALSE(route.route[1].destination.port.has_value());
  ASSERT_TRUE(route.rewrite.has_value());
  EXPECT_EQ(route.rewrite->uri, "/v2");
  EXPECT_EQ(route.rewrite->authority, "api.internal");
  EXPECT_EQ(route.timeout, std::chrono::milliseconds(1500));
  ASSERT_EQ(route.request_headers.set.size(), 1u);
  EXPECT_EQ(route.request_headers.set[0].first, "x-forwarded-app");
  EXPECT_EQ(route.request_headers.add[0].second, "1");
  EXPECT_EQ(route.request_headers.remove, std::vector<std::string>{"x-internal"});
  EXPECT_EQ(route.response_headers.remove, std::vector<std::string>{"server"});
}

TEST(VirtualService, ConvertsDurations) {
  for (auto [text, millis] :
       {std::pair{"5s", 5000}, std::pair{"100ms", 100}, std::pair{"1m", 60000},
        std::pair{"1h", 3600000}, std::pair{"1.5s", 1500}, std::pair{"1m30s", 90000}}) {
    LoadResult result = virtualService(
        "  hosts: [\"*\"]\n  gateways: [gw]\n  http:\n  - route: [{destination: {host: "
        "a.example.com}}]\n    timeout: " +
        std::string(text) + "\n");
    ASSERT_EQ(result.resources.virtual_services.size(), 1u) << dump(result);
    EXPECT_EQ(result.resources.virtual_services[0].http[0].timeout,
              std::chrono::milliseconds(millis))
        << text;
  }
}

TEST(VirtualService, RejectsBadDurations) {
  for (std::string text : {"5", "5 s", "1.0005s", "0s", "-1s", "5d", "\"\""}) {
    LoadResult result = virtualService(
        "  hosts: [\"*\"]\n  gateways: [gw]\n  http:\n  - route: [{destination: {host: "
        "a.example.com}}]\n    timeout: " +
        text + "\n");
    PORTCULLIS_ONLY_ERROR(error, result);
    EXPECT_EQ(error.field, "spec.http[0].timeout") << text;
    EXPECT_EQ(error.location.line, 9) << text;
  }
}

TEST(VirtualService, RejectsClaimRoutingWithoutGateway) {
  LoadResult result = virtualService(R"(
  hosts: ["web.ns.svc.cluster.local"]
  http:
  - match:
    - headers:
        "@request.auth.claims.group": {exact: a}
    route: [{destination: {host: web.ns.svc.cluster.local}}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].match[0].headers[@request.auth.claims.group]");
  EXPECT_EQ(error.location.line, 9);
}

TEST(VirtualService, RequiresHosts) {
  LoadResult result =
      virtualService("  gateways: [gw]\n  http:\n  - route: [{destination: {host: a.b.c}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hosts");
}

TEST(VirtualService, RejectsWildcardHostForMesh) {
  LoadResult result =
      virtualService("  hosts: [\"*\"]\n  http:\n  - route: [{destination: {host: a.b.c}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hosts[0]");
  EXPECT_EQ(error.location.line, 5);
}

TEST(VirtualService, RejectsDuplicateHosts) {
  LoadResult result = virtualService(
      "  hosts: [\"*.example.com\", \"a.example.com\"]\n  gateways: [gw]\n  http:\n"
      "  - route: [{destination: {host: a.b.c}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hosts[1]");
}

TEST(VirtualService, RejectsInvalidHost) {
  LoadResult result = virtualService(
      "  hosts: [\"bad_host.example.com\"]\n  gateways: [gw]\n  http:\n"
      "  - route: [{destination: {host: a.b.c}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hosts[0]");
}

TEST(VirtualService, RejectsInvalidGatewayReference) {
  LoadResult result = virtualService(
      "  hosts: [\"*\"]\n  gateways: [\"ns/\"]\n  http:\n"
      "  - route: [{destination: {host: a.b.c}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.gateways[0]");
}

TEST(VirtualService, RequiresRoutes) {
  LoadResult result = virtualService("  hosts: [\"*\"]\n  gateways: [gw]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http");
}

TEST(VirtualService, RejectsInvalidRegex) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - match:
    - uri: {regex: "/api/(v1"}
    route: [{destination: {host: a.b.c}}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].match[0].uri.regex");
  EXPECT_EQ(error.location.line, 9);
  EXPECT_EQ(error.location.column, 20);
}

TEST(VirtualService, RejectsTwoMatchTypes) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - match:
    - uri: {prefix: /a, exact: /b}
    route: [{destination: {host: a.b.c}}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].match[0].uri");
}

TEST(VirtualService, RejectsEmptyPrefix) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - match:
    - uri: {prefix: ""}
    route: [{destination: {host: a.b.c}}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].match[0].uri.prefix");
}

TEST(VirtualService, RequiresDestinationHost) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - destination: {port: {number: 80}}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].route[0].destination.host");
  EXPECT_EQ(error.location.line, 9);
}

TEST(VirtualService, RejectsZeroTotalWeight) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - destination: {host: a.b.c}
    - destination: {host: d.e.f}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].route");
}

TEST(VirtualService, RequiresRouteOrRedirect) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /}}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].route");
}

TEST(VirtualService, AcceptsRedirectWithWarning) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - redirect: {uri: /new}
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
  EXPECT_EQ(warnings(result)[0].field, "spec.http[0].redirect");
}

TEST(VirtualService, WarnsOnEveryUnsupportedRouteField) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: a.b.c}}]
    retries: {attempts: 3}
    fault: {abort: {httpStatus: 500}}
    mirror: {host: m.b.c}
    corsPolicy: {allowOrigins: [{exact: "https://a"}]}
  tcp:
  - route: [{destination: {host: a.b.c}}]
  tls:
  - match: [{sniHosts: [a.b.c]}]
    route: [{destination: {host: a.b.c}}]
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  std::vector<Diagnostic> found = warnings(result);
  ASSERT_EQ(found.size(), 6u) << dump(result);
  EXPECT_EQ(found[0].field, "spec.http[0].retries");
  EXPECT_EQ(found[0].message, "field retries is not supported by Portcullis and is ignored");
  EXPECT_EQ(found[0].location.line, 9);
  EXPECT_EQ(found[1].field, "spec.http[0].fault");
  EXPECT_EQ(found[2].field, "spec.http[0].mirror");
  EXPECT_EQ(found[3].field, "spec.http[0].corsPolicy");
  EXPECT_EQ(found[4].field, "spec.tcp");
  EXPECT_EQ(found[5].field, "spec.tls");
}

TEST(VirtualService, RejectsUnknownRouteField) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - routes: [{destination: {host: a.b.c}}]
)");
  std::vector<Diagnostic> found = errors(result);
  ASSERT_FALSE(found.empty()) << dump(result);
  EXPECT_EQ(found[0].field, "spec.http[0].routes");
  EXPECT_EQ(found[0].location.line, 8);
  EXPECT_NE(found[0].message.find("accepted fields: name, match, route"), std::string::npos);
}

TEST(VirtualService, RejectsChangingHostInResponse) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: a.b.c}}]
    headers:
      response:
        set: {Host: x}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].headers.response.set[Host]");
}

TEST(VirtualService, RejectsEmptyRewrite) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: a.b.c}}]
    rewrite: {}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].rewrite");
}

TEST(VirtualService, RejectsBadHeaderName) {
  LoadResult result = virtualService(R"(
  hosts: ["*"]
  gateways: [gw]
  http:
  - match:
    - headers:
        "bad header": {exact: a}
    route: [{destination: {host: a.b.c}}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.http[0].match[0].headers[bad header]");
}

// ---------------------------------------------------------------------------------------------
// ServiceEntry

TEST(ServiceEntry, DecodesEveryField) {
  LoadResult result = serviceEntry(R"(
  hosts: ["api.example.com"]
  addresses: ["240.0.0.1"]
  ports:
  - {number: 443, name: https, protocol: tls, targetPort: 8443}
  location: MESH_EXTERNAL
  resolution: STATIC
  endpoints:
  - address: 10.0.0.1
    ports: {https: 9443}
    labels: {version: v1}
    network: net1
    locality: us-east/zone1
    weight: 3
    serviceAccount: api
  exportTo: [".", "other"]
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.service_entries.size(), 1u);
  const ServiceEntry& se = result.resources.service_entries[0];
  EXPECT_EQ(se.hosts, std::vector<std::string>{"api.example.com"});
  EXPECT_EQ(se.addresses, std::vector<std::string>{"240.0.0.1"});
  ASSERT_EQ(se.ports.size(), 1u);
  EXPECT_EQ(se.ports[0].number, 443u);
  EXPECT_EQ(se.ports[0].name, "https");
  EXPECT_EQ(se.ports[0].protocol, "TLS");
  EXPECT_EQ(se.ports[0].target_port, 8443u);
  EXPECT_EQ(se.location, "MESH_EXTERNAL");
  EXPECT_EQ(se.resolution, ServiceEntry::Resolution::Static);
  ASSERT_EQ(se.endpoints.size(), 1u);
  const WorkloadEndpoint& endpoint = se.endpoints[0];
  EXPECT_EQ(endpoint.address, "10.0.0.1");
  EXPECT_EQ(endpoint.ports.at("https"), 9443u);
  EXPECT_EQ(endpoint.labels.at("version"), "v1");
  EXPECT_EQ(endpoint.network, "net1");
  EXPECT_EQ(endpoint.locality, "us-east/zone1");
  EXPECT_EQ(endpoint.weight, 3u);
  EXPECT_EQ(endpoint.service_account, "api");
  EXPECT_EQ(se.export_to, (std::vector<std::string>{".", "other"}));
  EXPECT_FALSE(se.workload_selector.has_value());
}

TEST(ServiceEntry, ReadsWorkloadSelector) {
  LoadResult result = serviceEntry(R"(
  hosts: ["api.ns.svc.cluster.local"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  workloadSelector:
    labels: {app: api}
)");
  ASSERT_EQ(result.resources.service_entries.size(), 1u) << dump(result);
  ASSERT_TRUE(result.resources.service_entries[0].workload_selector.has_value());
  EXPECT_EQ(result.resources.service_entries[0].workload_selector->at("app"), "api");
}

TEST(ServiceEntry, RejectsUnknownResolution) {
  LoadResult result = serviceEntry(
      "  hosts: [a.example.com]\n  ports: [{number: 80, name: http}]\n  resolution: DYNAMIC\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.resolution");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_NE(error.message.find("NONE, STATIC, DNS, DNS_ROUND_ROBIN"), std::string::npos);
}

TEST(ServiceEntry, RejectsUnknownLocation) {
  LoadResult result = serviceEntry(
      "  hosts: [a.example.com]\n  ports: [{number: 80, name: http}]\n  location: OUTSIDE\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.location");
}

TEST(ServiceEntry, RejectsBadAddress) {
  LoadResult result = serviceEntry(
      "  hosts: [a.example.com]\n  addresses: [\"10.0.0.300\"]\n"
      "  ports: [{number: 80, name: http}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.addresses[0]");
}

TEST(ServiceEntry, RequiresIpEndpointsForStatic) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  ports: [{number: 80, name: http}]
  resolution: STATIC
  endpoints:
  - address: backend.example.com
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.endpoints[0].address");
  EXPECT_EQ(error.location.line, 9);
}

TEST(ServiceEntry, AllowsHostnameEndpointsForDns) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints:
  - address: backend.example.com
)");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(ServiceEntry, RejectsUndeclaredEndpointPort) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  ports: [{number: 80, name: http}]
  resolution: STATIC
  endpoints:
  - address: 10.0.0.1
    ports: {grpc: 9000}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.endpoints[0].ports[grpc]");
}

TEST(ServiceEntry, RejectsDuplicatePorts) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  ports:
  - {number: 80, name: http}
  - {number: 80, name: http}
)");
  std::vector<Diagnostic> found = errors(result);
  ASSERT_EQ(found.size(), 2u) << dump(result);
  EXPECT_EQ(found[0].field, "spec.ports[1].number");
  EXPECT_EQ(found[1].field, "spec.ports[1].name");
}

TEST(ServiceEntry, RejectsEndpointsWithResolutionNone) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  ports: [{number: 80, name: http}]
  endpoints: [{address: 10.0.0.1}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.endpoints");
}

TEST(ServiceEntry, RejectsSelectorWithEndpoints) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  ports: [{number: 80, name: http}]
  resolution: STATIC
  workloadSelector: {labels: {app: a}}
  endpoints: [{address: 10.0.0.1}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.endpoints");
}

TEST(ServiceEntry, RejectsWildcardHostForDnsWithoutEndpoints) {
  LoadResult result = serviceEntry(R"(
  hosts: ["*.example.com"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hosts[0]");
}

TEST(ServiceEntry, RejectsStarHost) {
  LoadResult result = serviceEntry("  hosts: [\"*\"]\n  ports: [{number: 80, name: http}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hosts[0]");
}

TEST(ServiceEntry, RejectsSeveralHostsWithTcpPort) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com, b.example.com]
  ports: [{number: 5432, name: db, protocol: TCP}]
  resolution: DNS
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hosts");
}

TEST(ServiceEntry, RejectsCidrWithDnsResolution) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  addresses: ["10.0.0.0/24"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.addresses");
}

TEST(ServiceEntry, WarnsOnSubjectAltNames) {
  LoadResult result = serviceEntry(R"(
  hosts: [a.example.com]
  ports: [{number: 443, name: https, protocol: TLS}]
  resolution: DNS
  subjectAltNames: ["spiffe://a"]
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u);
  EXPECT_EQ(warnings(result)[0].field, "spec.subjectAltNames");
}

// ---------------------------------------------------------------------------------------------
// WorkloadEntry

TEST(WorkloadEntry, DecodesEveryField) {
  LoadResult result = workloadEntry(R"(
  address: vm1.example.com
  ports: {http: 8080}
  labels: {app: vm}
  network: net1
  locality: region/zone
  weight: 2
  serviceAccount: vm-sa
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.workload_entries.size(), 1u);
  const WorkloadEndpoint& endpoint = result.resources.workload_entries[0].endpoint;
  EXPECT_EQ(endpoint.address, "vm1.example.com");
  EXPECT_EQ(endpoint.ports.at("http"), 8080u);
  EXPECT_EQ(endpoint.labels.at("app"), "vm");
  EXPECT_EQ(endpoint.network, "net1");
  EXPECT_EQ(endpoint.locality, "region/zone");
  EXPECT_EQ(endpoint.weight, 2u);
  EXPECT_EQ(endpoint.service_account, "vm-sa");
}

TEST(WorkloadEntry, RequiresAddress) {
  LoadResult result = workloadEntry("  labels: {app: vm}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.address");
}

TEST(WorkloadEntry, RejectsBadAddress) {
  LoadResult result = workloadEntry("  address: bad_host\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.address");
  EXPECT_EQ(error.location.line, 5);
  EXPECT_EQ(error.location.column, 12);
}

TEST(WorkloadEntry, RejectsPortsOnUnixAddress) {
  LoadResult result = workloadEntry("  address: unix:///var/run/app.sock\n  ports: {http: 80}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.ports");
}

TEST(WorkloadEntry, RejectsPortOutOfRange) {
  LoadResult result = workloadEntry("  address: 10.0.0.1\n  ports: {http: 0}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.ports[http]");
}

}  // namespace
}  // namespace portcullis::config
