// Route selection inside decide(): the first matching route wins. Covers path, method, scheme,
// authority, header, query parameter and port conditions, routing on verified JWT claims, and
// weighted clusters.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "pipeline_test_util.h"

namespace portcullis::proxy::testing {
namespace {

constexpr std::string_view kHost = "routes.example.com";

// The cluster a request to kHost is forwarded to, or "<reply N>" for a local reply.
std::string routed(const Gateway& gateway, Request request) {
  const Outcome outcome = gateway.decide(request);
  if (outcome.reply) {
    return "<reply " + std::to_string(outcome.reply->status) + ">";
  }
  return outcome.forward.route->origin;
}

Request to(std::string target) {
  return get(std::move(target), std::string(kHost));
}

snapshot::HeaderMatcher header(std::string name, std::string value, bool invert = false) {
  snapshot::HeaderMatcher matcher;
  matcher.name = std::move(name);
  matcher.matcher = exact(std::move(value));
  matcher.invert = invert;
  return matcher;
}

snapshot::HeaderMatcher claim(std::vector<std::string> path, std::string value) {
  snapshot::HeaderMatcher matcher;
  matcher.name = "@request.auth.claims";
  matcher.claim_path = std::move(path);
  matcher.matcher = exact(std::move(value));
  return matcher;
}

// kHost with a conditional route to "other" first and a catch-all "fallback" second.
Gateway gatewayWith(snapshot::RouteMatch match) {
  Gateway gateway;
  gateway.addHost(std::string(kHost), {routeTo(Gateway::kOther, {std::move(match)}, "matched"),
                                       routeTo(Gateway::kHttpbin, {}, "fallback")});
  return gateway;
}

TEST(Routing, FirstMatchingRouteWins) {
  Gateway gateway;
  gateway.addHost(std::string(kHost), {routeTo(Gateway::kOther, {pathPrefix("/a")}, "first"),
                                       routeTo(Gateway::kOther, {pathPrefix("/ab")}, "second")});
  EXPECT_EQ(routed(gateway, to("/abc")), "first");
}

TEST(Routing, AnyMatchOfRouteSuffices) {
  Gateway gateway;
  gateway.addHost(std::string(kHost),
                  {routeTo(Gateway::kOther, {pathPrefix("/a"), pathPrefix("/b")}, "either")});
  EXPECT_EQ(routed(gateway, to("/b/1")), "either");
  EXPECT_EQ(routed(gateway, to("/c")), "<reply 404>");
}

TEST(Routing, PathIgnoresQuery) {
  snapshot::RouteMatch match;
  match.path = exact("/status");
  Gateway gateway = gatewayWith(match);
  EXPECT_EQ(routed(gateway, to("/status?code=200")), "matched");
}

TEST(Routing, Method) {
  snapshot::RouteMatch match;
  match.method = exact("POST");
  Gateway gateway = gatewayWith(match);
  Request post = to("/");
  post.method = "POST";
  EXPECT_EQ(routed(gateway, post), "matched");
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(Routing, Scheme) {
  snapshot::RouteMatch match;
  match.scheme = exact("https");
  Gateway gateway = gatewayWith(match);
  Request secure = to("/");
  secure.scheme = "https";
  EXPECT_EQ(routed(gateway, secure), "matched");
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(Routing, Authority) {
  snapshot::RouteMatch match;
  match.authority = prefix("routes.example.com:8");
  Gateway gateway = gatewayWith(match);
  EXPECT_EQ(routed(gateway, get("/", "routes.example.com:8080")), "matched");
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(Routing, Header) {
  snapshot::RouteMatch match;
  match.headers.push_back(header("x-version", "v2"));
  Gateway gateway = gatewayWith(match);
  Request v2 = to("/");
  v2.headers.set("X-Version", "v2");
  EXPECT_EQ(routed(gateway, v2), "matched");
  Request v1 = to("/");
  v1.headers.set("X-Version", "v1");
  EXPECT_EQ(routed(gateway, v1), "fallback");
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(Routing, RepeatedHeaderJoinedWithComma) {
  snapshot::RouteMatch match;
  match.headers.push_back(header("x-tag", "a,b"));
  Gateway gateway = gatewayWith(match);
  Request request = to("/");
  request.headers.insert("x-tag", "a");
  request.headers.insert("x-tag", "b");
  EXPECT_EQ(routed(gateway, request), "matched");
}

TEST(Routing, WithoutHeader) {
  snapshot::RouteMatch match;
  match.headers.push_back(header("x-debug", "1", true));
  Gateway gateway = gatewayWith(match);
  EXPECT_EQ(routed(gateway, to("/")), "matched");
  Request debug = to("/");
  debug.headers.set("x-debug", "1");
  EXPECT_EQ(routed(gateway, debug), "fallback");
}

TEST(Routing, PresentHeader) {
  snapshot::RouteMatch match;
  snapshot::HeaderMatcher present;
  present.name = "x-canary";
  present.matcher.kind = snapshot::StringMatcher::Kind::Present;
  match.headers.push_back(present);
  Gateway gateway = gatewayWith(match);
  Request canary = to("/");
  canary.headers.set("x-canary", "");
  EXPECT_EQ(routed(gateway, canary), "matched");
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(Routing, QueryParameter) {
  snapshot::RouteMatch match;
  match.query_params.emplace_back("debug", exact("true"));
  Gateway gateway = gatewayWith(match);
  EXPECT_EQ(routed(gateway, to("/?a=1&debug=true")), "matched");
  EXPECT_EQ(routed(gateway, to("/?debug=false")), "fallback");
  EXPECT_EQ(routed(gateway, to("/?xdebug=true")), "fallback");
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(Routing, GatewayPort) {
  snapshot::RouteMatch match;
  match.port = 80;
  Gateway gateway = gatewayWith(match);
  EXPECT_EQ(routed(gateway, to("/")), "matched");
  gateway.listener().gateway_port = 8080;
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(ClaimRouting, MatchesVerifiedClaim) {
  snapshot::RouteMatch match;
  match.headers.push_back(claim({"sub"}, "testing@secure.istio.io"));
  Gateway gateway = gatewayWith(match);
  gateway.setRules({ruleOf(kDemoIssuer, demoJwksText())});
  EXPECT_EQ(routed(gateway, withBearer(to("/"), demoToken())), "matched");
}

TEST(ClaimRouting, TokenlessFallsThrough) {
  snapshot::RouteMatch match;
  match.headers.push_back(claim({"sub"}, "testing@secure.istio.io"));
  Gateway gateway = gatewayWith(match);
  gateway.setRules({ruleOf(kDemoIssuer, demoJwksText())});
  EXPECT_EQ(routed(gateway, to("/")), "fallback");
}

TEST(ClaimRouting, UnverifiedTokenIgnored) {
  // Without a RequestAuthentication no token is verified, so claims never match.
  snapshot::RouteMatch match;
  match.headers.push_back(claim({"sub"}, "testing@secure.istio.io"));
  Gateway gateway = gatewayWith(match);
  EXPECT_EQ(routed(gateway, withBearer(to("/"), demoToken())), "fallback");
}

TEST(ClaimRouting, ClientHeaderNamedLikeClaimIgnored) {
  snapshot::RouteMatch match;
  match.headers.push_back(claim({"sub"}, "admin"));
  Gateway gateway = gatewayWith(match);
  Request request = to("/");
  request.headers.set("@request.auth.claims.sub", "admin");
  EXPECT_EQ(routed(gateway, request), "fallback");
}

TEST(ClaimRouting, AnyListElement) {
  snapshot::RouteMatch match;
  match.headers.push_back(claim({"groups"}, "group2"));
  Gateway gateway = gatewayWith(match);
  gateway.setRules({ruleOf(kDemoIssuer, demoJwksText())});
  EXPECT_EQ(routed(gateway, withBearer(to("/"), groupsScopeToken())), "matched");
}

TEST(ClaimRouting, NestedClaim) {
  snapshot::RouteMatch match;
  match.headers.push_back(claim({"nested", "nested-2", "key2"}, "valueC"));
  Gateway gateway = gatewayWith(match);
  gateway.setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  EXPECT_EQ(routed(gateway, withBearer(to("/"), istioTestToken("TokenIssuer1WithNestedClaims2"))),
            "matched");
}

TEST(ClaimRouting, MissingClaimFallsThrough) {
  snapshot::RouteMatch match;
  match.headers.push_back(claim({"nested", "absent"}, "valueC"));
  Gateway gateway = gatewayWith(match);
  gateway.setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  EXPECT_EQ(routed(gateway, withBearer(to("/"), istioTestToken("TokenIssuer1WithNestedClaims2"))),
            "fallback");
}

TEST(ClaimRouting, WithoutClaimInverts) {
  snapshot::RouteMatch match;
  snapshot::HeaderMatcher not_admin = claim({"sub"}, "admin");
  not_admin.invert = true;
  match.headers.push_back(not_admin);
  Gateway gateway = gatewayWith(match);
  gateway.setRules({ruleOf(kDemoIssuer, demoJwksText())});
  EXPECT_EQ(routed(gateway, withBearer(to("/"), demoToken())), "matched");
}

TEST(WeightedClusters, ZeroWeightNeverPicked) {
  Gateway gateway;
  snapshot::Route route;
  route.origin = "split";
  route.clusters = {snapshot::WeightedCluster{Gateway::kOther, 0},
                    snapshot::WeightedCluster{Gateway::kHttpbin, 100}};
  gateway.addHost(std::string(kHost), {route});
  for (int i = 0; i < 50; ++i) {
    Request request = to("/");
    const Outcome outcome = gateway.decide(request);
    ASSERT_NE(outcome.forward.cluster, nullptr);
    EXPECT_EQ(outcome.forward.cluster->name, "outbound|8000||httpbin.default.svc.cluster.local");
  }
}

TEST(WeightedClusters, EvenSplitReachesBoth) {
  Gateway gateway;
  snapshot::Route route;
  route.origin = "split";
  route.clusters = {snapshot::WeightedCluster{Gateway::kOther, 50},
                    snapshot::WeightedCluster{Gateway::kHttpbin, 50}};
  gateway.addHost(std::string(kHost), {route});
  std::set<std::string> seen;
  for (int i = 0; i < 200 && seen.size() < 2; ++i) {
    Request request = to("/");
    seen.insert(gateway.decide(request).forward.cluster->name);
  }
  EXPECT_EQ(seen.size(), 2u);
}

TEST(WeightedClusters, AllZeroPicksFirst) {
  Gateway gateway;
  snapshot::Route route;
  route.origin = "split";
  route.clusters = {snapshot::WeightedCluster{Gateway::kOther, 0},
                    snapshot::WeightedCluster{Gateway::kHttpbin, 0}};
  gateway.addHost(std::string(kHost), {route});
  Request request = to("/");
  EXPECT_EQ(gateway.decide(request).forward.cluster->name,
            "outbound|80||other.default.svc.cluster.local");
}

}  // namespace
}  // namespace portcullis::proxy::testing
