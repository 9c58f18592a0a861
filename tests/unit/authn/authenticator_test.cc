// Authenticator::compile (default locations, issuer order, key slots), the CORS preflight
// bypass, key-set outcomes, the order of checks and the clock skew.
#include "authn/authenticator.h"

#include <gtest/gtest.h>

#include "authn_test_util.h"

namespace portcullis::authn::testing {
namespace {

using jwt::Status;

std::shared_ptr<const Authenticator> compileRules(const std::vector<config::JwtRule>& rules) {
  std::vector<std::pair<std::string, const config::JwtRule*>> refs;
  for (size_t i = 0; i < rules.size(); ++i) {
    refs.emplace_back("ns/policy-" + std::to_string(i), &rules[i]);
  }
  return Authenticator::compile(refs);
}

TEST(Compile, DefaultLocationsWhenNoneListed) {
  const auto authenticator = compileRules({demoRule()});
  const Provider& provider = authenticator->providers().at(0);
  ASSERT_EQ(provider.from_headers.size(), 1u);
  EXPECT_EQ(provider.from_headers[0].name, "Authorization");
  EXPECT_EQ(provider.from_headers[0].prefix, "Bearer ");
  EXPECT_EQ(provider.from_params, std::vector<std::string>{"access_token"});
  EXPECT_TRUE(provider.from_cookies.empty());
}

TEST(Compile, NoDefaultsWhenAnyLocationListed) {
  config::JwtRule rule = demoRule();
  rule.from_cookies = {"session"};
  const auto authenticator = compileRules({rule});
  const Provider& provider = authenticator->providers().at(0);
  EXPECT_TRUE(provider.from_headers.empty());
  EXPECT_TRUE(provider.from_params.empty());
  EXPECT_EQ(provider.from_cookies, std::vector<std::string>{"session"});
}

TEST(Compile, CopiesRuleSettings) {
  config::JwtRule rule = demoRule();
  rule.audiences = {"a", "b"};
  rule.forward_original_token = true;
  rule.output_payload_to_header = "x-payload";
  rule.output_claim_to_headers = {{"x-sub", "sub"}};
  rule.space_delimited_claims = {"roles"};
  const auto authenticator = compileRules({rule});
  const Provider& provider = authenticator->providers().at(0);
  EXPECT_EQ(provider.issuer, kDemoIssuer);
  EXPECT_EQ(provider.audiences, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(provider.forward_original_token);
  EXPECT_EQ(provider.output_payload_to_header, "x-payload");
  ASSERT_EQ(provider.output_claim_to_headers.size(), 1u);
  EXPECT_EQ(provider.output_claim_to_headers[0].header, "x-sub");
  EXPECT_EQ(provider.space_delimited_claims, std::vector<std::string>{"roles"});
  EXPECT_EQ(provider.origin, "ns/policy-0");
}

TEST(Compile, SortsProvidersByIssuer) {
  const auto authenticator =
      compileRules({ruleOf("https://b.example.com", ""), ruleOf("https://a.example.com", ""),
                    ruleOf("https://c.example.com", "")});
  const auto& providers = authenticator->providers();
  ASSERT_EQ(providers.size(), 3u);
  EXPECT_EQ(providers[0].issuer, "https://a.example.com");
  EXPECT_EQ(providers[1].issuer, "https://b.example.com");
  EXPECT_EQ(providers[2].issuer, "https://c.example.com");
}

TEST(Compile, KeySlotIsRulePosition) {
  const auto authenticator =
      compileRules({ruleOf("https://b.example.com", ""), ruleOf("https://a.example.com", "")});
  const auto& providers = authenticator->providers();
  EXPECT_EQ(providers[0].key_slot, 1u);
  EXPECT_EQ(providers[0].origin, "ns/policy-1");
  EXPECT_EQ(providers[1].key_slot, 0u);
  EXPECT_EQ(providers[1].origin, "ns/policy-0");
}

TEST(Compile, SameIssuerKeepsRuleOrder) {
  const auto authenticator = compileRules(
      {ruleOf("https://a.example.com", "one"), ruleOf("https://a.example.com", "two")});
  const auto& providers = authenticator->providers();
  EXPECT_EQ(providers[0].key_slot, 0u);
  EXPECT_EQ(providers[1].key_slot, 1u);
}

TEST(Compile, KeySetsFollowKeySlots) {
  // Sorting puts test-issuer-1 first although its key set is in slot 1.
  Gateway gateway({demoRule(), istioTestRule(kTestIssuer1)});
  EXPECT_EQ(gateway.authenticator().providers()[0].issuer, kTestIssuer1);
  EXPECT_EQ(gateway.sendBearer(demoToken()).result.status, Status::Ok);
  EXPECT_EQ(gateway.sendBearer(istioTestToken("TokenIssuer1")).result.status, Status::Ok);
}

TEST(Compile, NoRulesLetsEverythingThrough) {
  Gateway gateway({});
  EXPECT_TRUE(gateway.authenticator().empty());
  const AuthnRun run = gateway.send(headersOf({{"Authorization", "Bearer garbage"}}));
  EXPECT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.header("authorization"), "Bearer garbage");
}

TEST(HttpStatusFor, AudienceIsForbidden) {
  EXPECT_EQ(httpStatusFor(Status::JwtAudienceNotAllowed), 403u);
}

TEST(HttpStatusFor, OtherFailuresAreUnauthorized) {
  for (Status status : {Status::JwtMissed, Status::JwtExpired, Status::JwtNotYetValid,
                        Status::JwtBadFormat, Status::JwtUnknownIssuer, Status::JwtVerificationFail,
                        Status::JwksKidAlgMismatch, Status::JwksNoValidKeys}) {
    EXPECT_EQ(httpStatusFor(status), 401u) << jwt::statusName(status);
  }
}

// An OPTIONS request with the given CORS headers and an expired token.
AuthnRun preflight(const Gateway& gateway, bool is_options, std::string origin,
                   std::string request_method) {
  boost::beast::http::fields headers = Gateway::bearer(istioTestToken("TokenExpired"));
  if (!origin.empty()) {
    headers.set("Origin", origin);
  }
  if (!request_method.empty()) {
    headers.set("Access-Control-Request-Method", request_method);
  }
  return gateway.send(std::move(headers), "/headers", is_options);
}

TEST(CorsPreflight, SkipsAuthentication) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  const AuthnRun run = preflight(gateway, true, "https://app.example.com", "GET");
  EXPECT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity, nullptr);
  EXPECT_TRUE(run.result.tokens.empty());
  EXPECT_TRUE(run.hasHeader("authorization"));
}

TEST(CorsPreflight, NeedsRequestMethodHeader) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  EXPECT_EQ(preflight(gateway, true, "https://app.example.com", "").result.status,
            Status::JwtExpired);
}

TEST(CorsPreflight, NeedsOriginHeader) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  EXPECT_EQ(preflight(gateway, true, "", "GET").result.status, Status::JwtExpired);
}

TEST(CorsPreflight, NeedsOptionsMethod) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  EXPECT_EQ(preflight(gateway, false, "https://app.example.com", "GET").result.status,
            Status::JwtExpired);
}

TEST(CorsPreflight, PlainOptionsIsAuthenticated) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  const AuthnRun run = gateway.send(Gateway::bearer(istioTestToken("TokenExpired")), "/", true);
  EXPECT_EQ(run.result.status, Status::JwtExpired);
}

TEST(Keys, MissingKeySetFailsVerification) {
  // Before a remote key set loads, Istio 1.21 and later verify against a key that matches no
  // token.
  Gateway gateway({demoRule()});
  gateway.keys()[0] = nullptr;
  EXPECT_EQ(gateway.sendBearer(demoToken()).result.status, Status::JwtVerificationFail);
}

TEST(Keys, MissingKeySetStillLetsTokenlessThrough) {
  Gateway gateway({demoRule()});
  gateway.keys()[0] = nullptr;
  EXPECT_EQ(gateway.send({}).result.status, Status::Ok);
}

TEST(Keys, ShortKeySetListFailsVerification) {
  Gateway gateway({demoRule()});
  gateway.keys().clear();
  EXPECT_EQ(gateway.sendBearer(demoToken()).result.status, Status::JwtVerificationFail);
}

TEST(Keys, UnusableKeySetReportsItsStatus) {
  Gateway gateway({ruleOf(kDemoIssuer, R"({"keys":[]})")});
  EXPECT_EQ(gateway.sendBearer(demoToken()).result.status, Status::JwksNoValidKeys);
}

TEST(Keys, UnknownKidIsKidMismatch) {
  boost::json::object payload{{"iss", kDemoIssuer}, {"exp", kNow + 60}};
  Gateway gateway({demoRule()});
  EXPECT_EQ(gateway.sendBearer(demoSigner().sign(payload, "another-kid")).result.status,
            Status::JwksKidAlgMismatch);
}

TEST(Keys, TokenWithoutKidTriesEveryKey) {
  boost::json::object payload{{"iss", kDemoIssuer}, {"exp", kNow + 60}};
  Gateway gateway({demoRule()});
  EXPECT_EQ(gateway.sendBearer(demoSigner().sign(payload, "")).result.status, Status::Ok);
}

TEST(CheckOrder, IssuerBeforeTime) {
  Gateway gateway({demoRule()});
  const std::string token = tokenOf("https://c.example.com", {{"exp", kNow - 3600}});
  EXPECT_EQ(gateway.sendBearer(token).result.status, Status::JwtUnknownIssuer);
}

TEST(CheckOrder, TimeBeforeSignature) {
  Gateway gateway({demoRule()});
  const std::string token = withBadSignature(tokenOf(kDemoIssuer, {{"exp", kNow - 3600}}));
  EXPECT_EQ(gateway.sendBearer(token).result.status, Status::JwtExpired);
}

TEST(CheckOrder, AudienceBeforeSignature) {
  config::JwtRule rule = demoRule();
  rule.audiences = {"expected"};
  Gateway gateway({rule});
  const std::string token = withBadSignature(tokenOf(kDemoIssuer, {{"aud", "other"}}));
  EXPECT_EQ(gateway.sendBearer(token).result.status, Status::JwtAudienceNotAllowed);
}

TEST(CheckOrder, TimeBeforeAudience) {
  config::JwtRule rule = demoRule();
  rule.audiences = {"expected"};
  Gateway gateway({rule});
  const std::string token = tokenOf(kDemoIssuer, {{"aud", "other"}, {"exp", kNow - 3600}});
  EXPECT_EQ(gateway.sendBearer(token).result.status, Status::JwtExpired);
}

Status statusWithClaims(boost::json::object claims) {
  Gateway gateway({demoRule()});
  return gateway.sendBearer(tokenOf(kDemoIssuer, std::move(claims))).result.status;
}

TEST(Clock, ExpiryToleratesSixtySeconds) {
  EXPECT_EQ(statusWithClaims({{"exp", kNow - 60}}), Status::Ok);
  EXPECT_EQ(statusWithClaims({{"exp", kNow - 61}}), Status::JwtExpired);
}

TEST(Clock, NotBeforeToleratesSixtySeconds) {
  EXPECT_EQ(statusWithClaims({{"nbf", kNow + 60}}), Status::Ok);
  EXPECT_EQ(statusWithClaims({{"nbf", kNow + 61}}), Status::JwtNotYetValid);
}

TEST(Clock, IssuedAtIsNotCompared) {
  EXPECT_EQ(statusWithClaims({{"iat", kNow + 86400}}), Status::Ok);
}

TEST(Clock, NoExpiryNeverExpires) {
  boost::json::object payload{{"iss", kDemoIssuer}, {"sub", "forever"}};
  Gateway gateway({demoRule()});
  EXPECT_EQ(gateway.sendBearer(demoSigner().sign(payload)).result.status, Status::Ok);
}

}  // namespace
}  // namespace portcullis::authn::testing
