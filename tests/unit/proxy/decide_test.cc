// proxy::decide(): the order of an Istio ingress gateway's stages (connection-manager checks
// and normalization, CUSTOM authorization, JWT authentication, DENY/ALLOW, routing) and the
// local replies each stage gives.
#include <string>

#include <gtest/gtest.h>

#include "pipeline_test_util.h"

namespace portcullis::proxy::testing {
namespace {

using Action = config::AuthorizationPolicy::Action;

config::JwtRule expiringDemoRule() {
  return ruleOf(kDemoIssuer, demoJwksText());
}

TEST(Decide, ForwardsMatchingRequest) {
  Gateway gateway;
  Request request = get("/headers");
  const Outcome outcome = gateway.decide(request);
  EXPECT_FALSE(outcome.reply.has_value());
  ASSERT_NE(outcome.forward.cluster, nullptr);
  EXPECT_EQ(outcome.forward.cluster->name, "outbound|8000||httpbin.default.svc.cluster.local");
  ASSERT_NE(outcome.forward.route, nullptr);
}

TEST(Decide, LowerCaseMethodIsBadRequest) {
  Gateway gateway;
  Request request = get("/headers");
  request.method = "get";
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 400u);
  EXPECT_EQ(outcome.reply->body, "Bad Request");
  EXPECT_EQ(outcome.reply->details, "invalid_method");
}

TEST(Decide, EmptyMethodIsBadRequest) {
  Gateway gateway;
  Request request = get("/headers");
  request.method = "";
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 400u);
}

TEST(Decide, ExtensionMethodAccepted) {
  Gateway gateway;
  Request request = get("/headers");
  request.method = "PROPFIND";
  EXPECT_FALSE(gateway.decide(request).reply.has_value());
}

TEST(Decide, MissingHostIsBadRequest) {
  Gateway gateway;
  Request request = get("/headers");
  request.headers.erase(boost::beast::http::field::host);
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 400u);
  EXPECT_EQ(outcome.reply->details, "missing_host_header");
}

TEST(Decide, EncodedNulIsBadRequest) {
  Gateway gateway;
  Request request = get("/headers%00");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 400u);
  EXPECT_EQ(outcome.reply->details, "path_normalization_failed");
}

TEST(Decide, NormalizesTargetInPlace) {
  Gateway gateway;
  Request request = get("/public/../status/%32%30%30?x=..%2F");
  gateway.decide(request);
  EXPECT_EQ(request.target, "/status/200?x=..%2F");
}

TEST(Decide, UsesMeshNormalization) {
  Gateway gateway;
  gateway.snapshot().mesh.path_normalization = config::PathNormalization::DecodeAndMergeSlashes;
  Request request = get("/public%2F..%2Fprivate");
  gateway.decide(request);
  EXPECT_EQ(request.target, "/private");
}

TEST(Decide, RoutesOnNormalizedPath) {
  Gateway gateway;
  gateway.addHost("api.example.com", {routeTo(Gateway::kOther, {pathPrefix("/private")})});
  Request request = get("/public/../private/data", "api.example.com");
  const Outcome outcome = gateway.decide(request);
  ASSERT_NE(outcome.forward.cluster, nullptr);
  EXPECT_EQ(outcome.forward.cluster->name, "outbound|80||other.default.svc.cluster.local");
}

TEST(Decide, RemoteIpIsPeerByDefault) {
  Gateway gateway;
  Request request = get("/headers");
  request.headers.set("x-forwarded-for", "1.2.3.4");
  EXPECT_EQ(gateway.decide(request).remote_ip.to_string(), "10.0.0.9");
}

TEST(Decide, RemoteIpFromTrustedHops) {
  Gateway gateway;
  gateway.snapshot().mesh.num_trusted_proxies = 2;
  Request request = get("/headers");
  request.headers.set("x-forwarded-for", "56.5.6.7, 72.9.5.6, 98.1.2.3");
  EXPECT_EQ(gateway.decide(request).remote_ip.to_string(), "72.9.5.6");
}

TEST(Decide, UnknownHostIsNotFound) {
  Gateway gateway;
  Request request = get("/headers", "nowhere.test");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 404u);
  EXPECT_EQ(outcome.reply->body, "");
  EXPECT_EQ(outcome.reply->details, "route_not_found");
}

TEST(Decide, UnmatchedPathIsNotFound) {
  Gateway gateway;
  gateway.addHost("api.example.com", {routeTo(Gateway::kOther, {pathPrefix("/api")})});
  Request request = get("/other", "api.example.com");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 404u);
}

TEST(Decide, ClusterWithoutEndpointsIsUnavailable) {
  Gateway gateway;
  gateway.addHost("empty.example.com", {routeTo(Gateway::kEmpty)});
  Request request = get("/", "empty.example.com");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 503u);
  EXPECT_EQ(outcome.reply->body, "no healthy upstream");
  EXPECT_EQ(outcome.reply->details, "no_healthy_upstream");
  EXPECT_NE(outcome.forward.route, nullptr);
}

TEST(Decide, RouteWithoutClusterIsUnavailable) {
  Gateway gateway;
  snapshot::Route route;
  route.origin = "no backend";
  gateway.addHost("bare.example.com", {route});
  Request request = get("/", "bare.example.com");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 503u);
}

TEST(Decide, RouteTimeoutCopied) {
  Gateway gateway;
  snapshot::Route route = routeTo(Gateway::kOther);
  route.timeout = std::chrono::milliseconds(2500);
  gateway.addHost("slow.example.com", {route});
  Request request = get("/", "slow.example.com");
  EXPECT_EQ(gateway.decide(request).forward.timeout, std::chrono::milliseconds(2500));
}

TEST(DecideAuthn, ExpiredTokenIsUnauthorized) {
  Gateway gateway;
  gateway.setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  Request request = withBearer(get("/headers"), istioTestToken("TokenExpired"));
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
  EXPECT_EQ(outcome.reply->body, "Jwt is expired");
  EXPECT_EQ(outcome.reply->details, "jwt_authn_access_denied{Jwt_is_expired}");
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"http://httpbin.example.com/headers\", error=\"invalid_token\"");
}

TEST(DecideAuthn, AudienceMismatchIsForbidden) {
  Gateway gateway;
  config::JwtRule rule = ruleOf(kTestIssuer1, istioTestJwksText());
  rule.audiences = {"bar"};
  gateway.setRules({rule});
  Request request = withBearer(get("/headers"), istioTestToken("TokenIssuer1WithAud"));
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
  EXPECT_EQ(outcome.reply->body, "Audiences in Jwt are not allowed");
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"http://httpbin.example.com/headers\", error=\"invalid_token\"");
}

TEST(DecideAuthn, UnknownIssuerMessage) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = withBearer(get("/headers"), istioTestToken("TokenIssuer1"));
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
  EXPECT_EQ(outcome.reply->body, "Jwt issuer is not configured");
}

TEST(DecideAuthn, RealmKeepsPortAndQuery) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request =
      withBearer(get("/headers?a=b&c=d", "httpbin.example.com:8080"), "bad.token.here");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"http://httpbin.example.com:8080/headers?a=b&c=d\", "
            "error=\"invalid_token\"");
}

TEST(DecideAuthn, RealmUsesScheme) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = withBearer(get("/headers"), "bad.token.here");
  request.scheme = "https";
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"https://httpbin.example.com/headers\", error=\"invalid_token\"");
}

TEST(DecideAuthn, RealmPathTruncatedTo256) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  const std::string target = "/" + std::string(299, 'p') + "?q=1";
  Request request = withBearer(get(target), "bad.token.here");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"http://httpbin.example.com" + target.substr(0, 256) +
                "\", error=\"invalid_token\"");
}

TEST(DecideAuthn, RealmPathOfExactly256Kept) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  const std::string target = "/" + std::string(255, 'p');
  Request request = withBearer(get(target), "bad.token.here");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"http://httpbin.example.com" + target + "\", error=\"invalid_token\"");
}

TEST(DecideAuthn, RealmUsesNormalizedPath) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = withBearer(get("/x/../headers"), "bad.token.here");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"http://httpbin.example.com/headers\", error=\"invalid_token\"");
}

TEST(DecideAuthn, ContentTypeIsNotAnExtraHeader) {
  // The reply carries www-authenticate only, because the writer adds content-type and length.
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = withBearer(get("/headers"), "bad.token.here");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->headers.size(), 1u);
}

TEST(DecideAuthn, BadTokenToUnknownHostIsUnauthorized) {
  // Authentication runs per listener, before routing.
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = withBearer(get("/headers", "nowhere.test"), "bad.token.here");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
}

TEST(DecideAuthn, ValidTokenForwardedWithoutAuthorization) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = withBearer(get("/headers"), demoToken());
  const Outcome outcome = gateway.decide(request);
  EXPECT_FALSE(outcome.reply.has_value());
  ASSERT_NE(outcome.authn.identity, nullptr);
  EXPECT_EQ(outcome.authn.identity->sub, "testing@secure.istio.io");
  EXPECT_EQ(request.headers.count(boost::beast::http::field::authorization), 0u);
}

TEST(DecideAuthn, QueryTokenStrippedFromTarget) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = get("/headers?access_token=" + demoToken() + "&x=1");
  gateway.decide(request);
  EXPECT_EQ(request.target, "/headers?x=1");
}

TEST(DecideAuthn, TokenlessRequestPasses) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  Request request = get("/headers");
  const Outcome outcome = gateway.decide(request);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_EQ(outcome.authn.identity, nullptr);
}

TEST(DecideAuthn, CorsPreflightSkipsJwt) {
  Gateway gateway;
  gateway.setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  Request request = withBearer(get("/headers"), istioTestToken("TokenExpired"));
  request.method = "OPTIONS";
  request.headers.set("Origin", "https://app.example.com");
  request.headers.set("Access-Control-Request-Method", "GET");
  EXPECT_FALSE(gateway.decide(request).reply.has_value());
}

TEST(DecideAuthz, DenyPolicyIsForbidden) {
  Gateway gateway;
  gateway.setPolicies({policy("deny-admin", Action::Deny, {toPaths({"/admin*"})})});
  Request request = get("/admin/users");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
  EXPECT_EQ(outcome.reply->body, "RBAC: access denied");
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[istio-system/deny-admin]");
}

TEST(DecideAuthz, DenyPolicySeesNormalizedPath) {
  Gateway gateway;
  gateway.setPolicies({policy("deny-admin", Action::Deny, {toPaths({"/admin*"})})});
  Request request = get("/public/../admin");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(DecideAuthz, UnmatchedAllowIsForbidden) {
  Gateway gateway;
  gateway.setPolicies({policy("allow-public", Action::Allow, {toPaths({"/public*"})})});
  Request request = get("/private");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[none]");
}

TEST(DecideAuthz, MatchedAllowForwards) {
  Gateway gateway;
  gateway.setPolicies({policy("allow-public", Action::Allow, {toPaths({"/public*"})})});
  Request request = get("/public/page");
  const Outcome outcome = gateway.decide(request);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_TRUE(outcome.authz.allowed);
}

TEST(DecideAuthz, RequirePrincipalAllowsValidToken) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  gateway.setPolicies(
      {policy("require-jwt", Action::Allow,
              {fromRequestPrincipals({"testing@secure.istio.io/testing@secure.istio.io"})})});
  Request request = withBearer(get("/headers"), demoToken());
  EXPECT_FALSE(gateway.decide(request).reply.has_value());
}

TEST(DecideAuthz, RequirePrincipalDeniesTokenless) {
  Gateway gateway;
  gateway.setRules({expiringDemoRule()});
  gateway.setPolicies({policy("require-jwt", Action::Allow, {fromRequestPrincipals({"*"})})});
  Request request = get("/headers");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(DecideAuthz, JwtCheckedBeforeDeny) {
  Gateway gateway;
  gateway.setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  gateway.setPolicies({policy("deny-all", Action::Deny, {config::Rule{}})});
  Request request = withBearer(get("/headers"), istioTestToken("TokenExpired"));
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
}

TEST(DecideAuthz, CorsPreflightStillAuthorized) {
  Gateway gateway;
  gateway.setPolicies({policy("deny-all", Action::Deny, {config::Rule{}})});
  Request request = get("/headers");
  request.method = "OPTIONS";
  request.headers.set("Origin", "https://app.example.com");
  request.headers.set("Access-Control-Request-Method", "GET");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(DecideAuthz, DenyBeforeRouting) {
  Gateway gateway;
  gateway.setPolicies({policy("deny-all", Action::Deny, {config::Rule{}})});
  Request request = get("/headers", "nowhere.test");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

// A provider name the workload cannot use makes istiod turn the CUSTOM rules into DENY rules.
TEST(DecideAuthz, CustomPolicyDeniesWithoutProvider) {
  Gateway gateway;
  config::AuthorizationPolicy custom = policy("ext-authz", Action::Custom, {toPaths({"/ext*"})});
  custom.provider = "sample-ext-authz";
  gateway.setPolicies({custom});
  Request request = get("/ext/check");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[istio-system/ext-authz]");
}

// istiod builds the DENY rules of an unusable provider from enforced policies only.
TEST(DecideAuthz, DryRunCustomWithoutProviderDeniesNothing) {
  Gateway gateway;
  config::AuthorizationPolicy custom = policy("ext-authz", Action::Custom, {toPaths({"/ext*"})});
  custom.provider = "sample-ext-authz";
  custom.dry_run = true;
  gateway.setPolicies({custom});
  Request request = get("/ext/check");
  EXPECT_FALSE(gateway.decide(request).reply.has_value());
}

TEST(DecideAuthz, EnforcedCustomMatchWinsOverDryRun) {
  Gateway gateway;
  config::AuthorizationPolicy dry = policy("dry", Action::Custom, {toPaths({"/ext*"})});
  dry.provider = "sample-ext-authz";
  dry.dry_run = true;
  config::AuthorizationPolicy enforced = policy("enforced", Action::Custom, {toPaths({"/ext*"})});
  enforced.provider = "sample-ext-authz";
  gateway.setPolicies({dry, enforced});
  Request request = get("/ext/check");
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[istio-system/enforced]");
}

TEST(DecideAuthz, CustomDenialWithoutProviderRunsBeforeJwt) {
  Gateway gateway;
  gateway.setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  config::AuthorizationPolicy custom = policy("ext-authz", Action::Custom, {toPaths({"/ext*"})});
  custom.provider = "sample-ext-authz";
  gateway.setPolicies({custom});
  Request request = withBearer(get("/ext/check"), istioTestToken("TokenExpired"));
  const Outcome outcome = gateway.decide(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_TRUE(outcome.custom_refused);
}

TEST(DecideAuthz, CustomPolicyNotMatchingPasses) {
  Gateway gateway;
  config::AuthorizationPolicy custom = policy("ext-authz", Action::Custom, {toPaths({"/ext*"})});
  custom.provider = "sample-ext-authz";
  gateway.setPolicies({custom});
  Request request = get("/headers");
  EXPECT_FALSE(gateway.decide(request).reply.has_value());
}

TEST(DecideTrace, NotesOnlyWhenRequested) {
  Gateway gateway;
  Request quiet = get("/a/../headers");
  const Outcome without = gateway.decide(quiet);
  EXPECT_TRUE(without.notes.empty());
  EXPECT_EQ(without.authz_trace, nullptr);

  Request traced = get("/a/../headers");
  const Outcome with = gateway.decide(traced, true);
  EXPECT_FALSE(with.notes.empty());
  EXPECT_NE(with.authz_trace, nullptr);
}

}  // namespace
}  // namespace portcullis::proxy::testing
