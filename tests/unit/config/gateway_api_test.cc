// Gateway and HTTPRoute of gateway.networking.k8s.io: decoding, API defaults and the CRD rules.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace portcullis::config {
namespace {

using testing::dump;
using testing::errors;
using testing::load;
using testing::warnings;

// Wraps spec lines (already indented by two spaces); the first spec line is line 5.
LoadResult loadSpec(std::string_view kind, std::string_view spec) {
  if (!spec.empty() && spec.front() == '\n') {
    spec.remove_prefix(1);
  }
  return load("apiVersion: gateway.networking.k8s.io/v1\nkind: " + std::string(kind) +
              "\nmetadata: {name: gw, namespace: foo}\nspec:\n" + std::string(spec));
}

LoadResult gateway(std::string_view spec) {
  return loadSpec("Gateway", spec);
}
LoadResult route(std::string_view spec) {
  return loadSpec("HTTPRoute", spec);
}

// An HTTPRoute with one rule whose lines (indented by four spaces) are given; the rule's first
// line is line 7.
LoadResult routeRule(std::string_view rule_lines) {
  return route("  parentRefs: [{name: gw}]\n  rules:\n  - " + std::string(rule_lines));
}

TEST(K8sGateway, DecodesListeners) {
  LoadResult result = gateway(R"(
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    hostname: "*.example.com"
  - name: other
    port: 8080
    protocol: HTTP
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.k8s_gateways.size(), 1u);
  const K8sGateway& gw = result.resources.k8s_gateways[0];
  EXPECT_EQ(gw.gateway_class_name, "istio");
  ASSERT_EQ(gw.listeners.size(), 2u);
  EXPECT_EQ(gw.listeners[0].name, "http");
  EXPECT_EQ(gw.listeners[0].port, 80u);
  EXPECT_EQ(gw.listeners[0].protocol, "HTTP");
  EXPECT_EQ(gw.listeners[0].hostname, "*.example.com");
  EXPECT_EQ(gw.listeners[0].location.line, 7);
  EXPECT_EQ(gw.listeners[1].hostname, "");
}

TEST(K8sGateway, RequiresClassName) {
  LoadResult result = gateway("  listeners: [{name: http, port: 80, protocol: HTTP}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.gatewayClassName");
}

TEST(K8sGateway, RequiresListeners) {
  LoadResult result = gateway("  gatewayClassName: istio\n  listeners: []\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.listeners");
  EXPECT_EQ(error.location.line, 6);
}

TEST(K8sGateway, RejectsUnknownProtocol) {
  LoadResult result =
      gateway("  gatewayClassName: istio\n  listeners: [{name: a, port: 80, protocol: HTTP3}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.listeners[0].protocol");
}

TEST(K8sGateway, RequiresTlsForHttps) {
  LoadResult result =
      gateway("  gatewayClassName: istio\n  listeners: [{name: a, port: 443, protocol: HTTPS}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.listeners[0].tls");
}

TEST(K8sGateway, WarnsThatTlsIsIgnored) {
  LoadResult result = gateway(R"(
  gatewayClassName: istio
  listeners:
  - name: a
    port: 443
    protocol: HTTPS
    tls: {certificateRefs: [{name: cert}]}
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u);
  EXPECT_EQ(warnings(result)[0].field, "spec.listeners[0].tls");
}

TEST(K8sGateway, RejectsHostnameOnTcp) {
  LoadResult result = gateway(R"(
  gatewayClassName: istio
  listeners:
  - {name: a, port: 9000, protocol: TCP, hostname: a.example.com}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.listeners[0].hostname");
}

TEST(K8sGateway, RejectsDuplicateListenerName) {
  LoadResult result = gateway(R"(
  gatewayClassName: istio
  listeners:
  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}
  - {name: a, port: 81, protocol: HTTP}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.listeners[1].name");
  EXPECT_EQ(error.location.line, 8);
}

TEST(K8sGateway, RejectsSameBindingTwice) {
  LoadResult result = gateway(R"(
  gatewayClassName: istio
  listeners:
  - {name: a, port: 80, protocol: HTTP}
  - {name: b, port: 80, protocol: HTTP}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.listeners[1]");
}

TEST(K8sGateway, RejectsUpperCaseHostname) {
  LoadResult result = gateway(
      "  gatewayClassName: istio\n  listeners: [{name: a, port: 80, protocol: HTTP, hostname: "
      "A.example.com}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.listeners[0].hostname");
}

TEST(HttpRoute, DecodesEveryField) {
  LoadResult result = route(R"(
  parentRefs:
  - name: gw
    namespace: istio-ingress
    sectionName: http
    port: 80
  - {group: gateway.networking.k8s.io, kind: Gateway, name: other}
  hostnames: ["www.example.com", "*.api.example.com"]
  rules:
  - matches:
    - path: {type: Exact, value: /login}
      headers:
      - {name: X-Env, value: prod}
      - {type: RegularExpression, name: x-id, value: "[0-9]+"}
      queryParams:
      - {name: debug, value: "1"}
      method: POST
    - path: {value: /api}
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: x-a, value: "1"}]
        add: [{name: x-b, value: "2"}]
        remove: [x-c]
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        remove: [server]
    backendRefs:
    - {name: web, port: 8000, weight: 3}
    - {group: networking.istio.io, kind: Hostname, name: httpbin.foo.svc.cluster.local,
       port: 8000}
    timeouts: {request: 1m30s}
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.http_routes.size(), 1u);
  const K8sHttpRoute& hr = result.resources.http_routes[0];
  ASSERT_EQ(hr.parent_refs.size(), 2u);
  EXPECT_EQ(hr.parent_refs[0].group, "gateway.networking.k8s.io");
  EXPECT_EQ(hr.parent_refs[0].kind, "Gateway");
  EXPECT_EQ(hr.parent_refs[0].ns, "istio-ingress");
  EXPECT_EQ(hr.parent_refs[0].section_name, "http");
  EXPECT_EQ(hr.parent_refs[0].port, 80u);
  EXPECT_EQ(hr.parent_refs[1].name, "other");
  EXPECT_EQ(hr.hostnames.size(), 2u);
  ASSERT_EQ(hr.rules.size(), 1u);
  const HttpRouteRule& rule = hr.rules[0];
  EXPECT_EQ(rule.location.line, 13);
  ASSERT_EQ(rule.matches.size(), 2u);
  ASSERT_TRUE(rule.matches[0].path.has_value());
  EXPECT_EQ(rule.matches[0].path->type, HttpPathMatch::Type::Exact);
  EXPECT_EQ(rule.matches[0].path->value, "/login");
  ASSERT_EQ(rule.matches[0].headers.size(), 2u);
  EXPECT_EQ(rule.matches[0].headers[0].name, "x-env");
  EXPECT_EQ(rule.matches[0].headers[0].type, HttpHeaderMatch::Type::Exact);
  EXPECT_EQ(rule.matches[0].headers[1].type, HttpHeaderMatch::Type::RegularExpression);
  ASSERT_EQ(rule.matches[0].query_params.size(), 1u);
  EXPECT_EQ(rule.matches[0].query_params[0].value, "1");
  EXPECT_EQ(rule.matches[0].method, "POST");
  EXPECT_EQ(rule.matches[1].path->type, HttpPathMatch::Type::PathPrefix);
  ASSERT_EQ(rule.request_headers.set.size(), 1u);
  EXPECT_EQ(rule.request_headers.set[0], (std::pair<std::string, std::string>{"x-a", "1"}));
  EXPECT_EQ(rule.request_headers.add[0].first, "x-b");
  EXPECT_EQ(rule.request_headers.remove, std::vector<std::string>{"x-c"});
  EXPECT_EQ(rule.response_headers.remove, std::vector<std::string>{"server"});
  ASSERT_EQ(rule.backend_refs.size(), 2u);
  EXPECT_EQ(rule.backend_refs[0].group, "");
  EXPECT_EQ(rule.backend_refs[0].kind, "Service");
  EXPECT_EQ(rule.backend_refs[0].port, 8000u);
  EXPECT_EQ(rule.backend_refs[0].weight, 3);
  EXPECT_EQ(rule.backend_refs[1].kind, "Hostname");
  EXPECT_EQ(rule.backend_refs[1].weight, 1);
  EXPECT_EQ(rule.request_timeout, std::chrono::milliseconds(90000));
}

TEST(HttpRoute, DefaultsMatchToPrefixSlash) {
  LoadResult result = routeRule("matches: [{headers: [{name: a, value: b}]}]\n");
  ASSERT_EQ(result.resources.http_routes.size(), 1u) << dump(result);
  const HttpRouteMatch& match = result.resources.http_routes[0].rules[0].matches[0];
  ASSERT_TRUE(match.path.has_value());
  EXPECT_EQ(match.path->type, HttpPathMatch::Type::PathPrefix);
  EXPECT_EQ(match.path->value, "/");
}

TEST(HttpRoute, DefaultsToOneRuleWithoutRules) {
  LoadResult result = route("  parentRefs: [{name: gw}]\n");
  ASSERT_EQ(result.resources.http_routes.size(), 1u) << dump(result);
  ASSERT_EQ(result.resources.http_routes[0].rules.size(), 1u);
  EXPECT_TRUE(result.resources.http_routes[0].rules[0].matches.empty());
}

TEST(HttpRoute, RejectsRelativePath) {
  LoadResult result = routeRule("matches: [{path: {type: PathPrefix, value: api}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].matches[0].path.value");
  EXPECT_EQ(error.location.line, 7);
}

TEST(HttpRoute, RejectsDotSegmentsInPath) {
  LoadResult result = routeRule("matches: [{path: {type: Exact, value: /a/../b}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].matches[0].path.value");
}

TEST(HttpRoute, RejectsInvalidPathRegex) {
  LoadResult result = routeRule("matches: [{path: {type: RegularExpression, value: \"/a(\"}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].matches[0].path.value");
}

TEST(HttpRoute, RejectsInvalidHeaderRegex) {
  LoadResult result = routeRule(
      "matches:\n    - headers:\n      - {type: RegularExpression, name: x, value: \"[a\"}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].matches[0].headers[0].value");
  EXPECT_EQ(error.location.line, 9);
}

TEST(HttpRoute, RejectsUnknownPathType) {
  LoadResult result = routeRule("matches: [{path: {type: Prefix, value: /}}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].matches[0].path.type");
}

TEST(HttpRoute, RejectsDuplicateHeaderNames) {
  LoadResult result = routeRule(
      "matches:\n    - headers:\n      - {name: X-A, value: a}\n      - {name: x-a, value: b}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].matches[0].headers[1].name");
}

TEST(HttpRoute, RejectsUnknownMethod) {
  LoadResult result = routeRule("matches: [{method: FETCH}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].matches[0].method");
}

TEST(HttpRoute, RequiresPortForServiceBackend) {
  LoadResult result = routeRule("backendRefs: [{name: web}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].backendRefs[0].port");
}

TEST(HttpRoute, WarnsOnUnsupportedBackendKind) {
  LoadResult result = routeRule(
      "backendRefs: [{group: networking.istio.io, kind: ServiceEntry, name: se, port: 80}]\n");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u);
  EXPECT_EQ(warnings(result)[0].field, "spec.rules[0].backendRefs[0].kind");
}

TEST(HttpRoute, WarnsOnUnsupportedFilter) {
  LoadResult result = routeRule(R"(filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https}
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u);
  EXPECT_EQ(warnings(result)[0].field, "spec.rules[0].filters[0].type");
  EXPECT_EQ(warnings(result)[0].location.line, 8);
}

TEST(HttpRoute, RejectsFilterWithoutItsSettings) {
  LoadResult result = routeRule("filters: [{type: RequestHeaderModifier}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].filters[0].requestHeaderModifier");
}

TEST(HttpRoute, RejectsFilterWithOtherSettings) {
  LoadResult result = routeRule(
      "filters:\n    - type: RequestHeaderModifier\n      requestHeaderModifier: {remove: [a]}\n"
      "      urlRewrite: {hostname: a.example.com}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].filters[0].urlRewrite");
}

TEST(HttpRoute, RejectsFractionalRequestTimeout) {
  LoadResult result = routeRule("timeouts: {request: 1.5s}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].timeouts.request");
  EXPECT_EQ(error.location.line, 7);
}

TEST(HttpRoute, WarnsOnBackendRequestTimeout) {
  LoadResult result = routeRule("timeouts: {request: 10s, backendRequest: 5s}\n");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u);
  EXPECT_EQ(warnings(result)[0].field, "spec.rules[0].timeouts.backendRequest");
  EXPECT_EQ(result.resources.http_routes[0].rules[0].request_timeout,
            std::chrono::milliseconds(10000));
}

TEST(HttpRoute, RequiresParentRefName) {
  LoadResult result = route("  parentRefs: [{sectionName: http}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.parentRefs[0].name");
}

TEST(HttpRoute, RejectsInvalidHostname) {
  LoadResult result = route("  parentRefs: [{name: gw}]\n  hostnames: [\"a..example.com\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.hostnames[0]");
  EXPECT_EQ(error.location.line, 6);
}

}  // namespace
}  // namespace portcullis::config
