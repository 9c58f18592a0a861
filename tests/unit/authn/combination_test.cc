// How the outcomes of several JWT providers combine. istiod gives Envoy the requirement
// requires_any[P0, allow_missing] for one provider and requires_any[P0, ..., Pn-1,
// requires_all[any[P0, allow_missing], ...]] for several. One test per consequence: token-less
// requests pass, one bad token fails its provider, any accepting provider lets the request
// through, and the reported error prefers a real verification error over "issuer not
// configured" over "missing".
#include <gtest/gtest.h>

#include "authn/authenticator.h"
#include "authn_test_util.h"

namespace portcullis::authn::testing {
namespace {

using jwt::Status;

constexpr std::string_view kIssuerA = "https://a.example.com";
constexpr std::string_view kIssuerB = "https://b.example.com";
constexpr std::string_view kIssuerC = "https://c.example.com";  // configured nowhere

config::JwtRule demoKeyRule(std::string_view issuer) {
  return ruleOf(issuer, demoJwksText());
}

config::JwtRule headerRule(std::string_view issuer, std::string header) {
  config::JwtRule rule = demoKeyRule(issuer);
  rule.from_headers.push_back(config::JwtHeader{std::move(header), ""});
  return rule;
}

boost::json::object expiredClaims() {
  return {{"exp", kNow - 3600}, {"iat", kNow - 7200}};
}

TEST(Combination, NoTokenPasses) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.send({});
  EXPECT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity, nullptr);
  EXPECT_EQ(run.result.provider, nullptr);
  EXPECT_TRUE(run.result.tokens.empty());
}

TEST(Combination, TokenAtUnlistedLocationPasses) {
  Gateway gateway({headerRule(kDemoIssuer, "x-jwt-assertion")});
  const AuthnRun run = gateway.sendBearer(withBadSignature(demoToken()));
  EXPECT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity, nullptr);
  EXPECT_TRUE(run.hasHeader("authorization"));
}

TEST(Combination, ValidTokenSetsIdentity) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.sendBearer(demoToken());
  ASSERT_EQ(run.result.status, Status::Ok);
  ASSERT_NE(run.result.identity, nullptr);
  EXPECT_EQ(run.result.identity->iss, kDemoIssuer);
  EXPECT_EQ(run.result.identity->sub, "testing@secure.istio.io");
  ASSERT_NE(run.result.provider, nullptr);
  EXPECT_EQ(run.result.provider->issuer, kDemoIssuer);
}

TEST(Combination, UnconfiguredIssuerRejected) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.sendBearer(istioTestToken("TokenIssuer1"));
  EXPECT_EQ(run.result.status, Status::JwtUnknownIssuer);
  EXPECT_EQ(httpStatusFor(run.result.status), 401u);
  EXPECT_EQ(run.result.identity, nullptr);
}

TEST(Combination, ExpiredTokenRejected) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  const AuthnRun run = gateway.sendBearer(istioTestToken("TokenExpired"));
  EXPECT_EQ(run.result.status, Status::JwtExpired);
  EXPECT_EQ(httpStatusFor(run.result.status), 401u);
}

TEST(Combination, BadSignatureRejected) {
  Gateway gateway({demoRule()});
  EXPECT_EQ(gateway.sendBearer(withBadSignature(demoToken())).result.status,
            Status::JwtVerificationFail);
}

TEST(Combination, MalformedTokenRejected) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  EXPECT_EQ(gateway.sendBearer(istioTestToken("TokenInvalid")).result.status, Status::JwtBadFormat);
}

TEST(Combination, AudienceMismatchForbidden) {
  config::JwtRule rule = istioTestRule(kTestIssuer1);
  rule.audiences = {"bar"};
  Gateway gateway({rule});
  const AuthnRun run = gateway.sendBearer(istioTestToken("TokenIssuer1WithAud"));
  EXPECT_EQ(run.result.status, Status::JwtAudienceNotAllowed);
  EXPECT_EQ(httpStatusFor(run.result.status), 403u);
}

TEST(Combination, TokenWithoutAudienceForbidden) {
  config::JwtRule rule = istioTestRule(kTestIssuer1);
  rule.audiences = {"foo"};
  Gateway gateway({rule});
  EXPECT_EQ(gateway.sendBearer(istioTestToken("TokenIssuer1")).result.status,
            Status::JwtAudienceNotAllowed);
}

TEST(Combination, ListedAudiencePasses) {
  config::JwtRule rule = istioTestRule(kTestIssuer1);
  rule.audiences = {"bar", "foo"};
  Gateway gateway({rule});
  EXPECT_EQ(gateway.sendBearer(istioTestToken("TokenIssuer1WithAud")).result.status, Status::Ok);
  EXPECT_EQ(gateway.sendBearer(istioTestToken("TokenIssuer1WithAudList")).result.status,
            Status::Ok);
}

TEST(Combination, BasicSchemeCountsAsNoToken) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.send(headersOf({{"Authorization", "Basic dXNlcjpwYXNzd29yZA=="}}));
  EXPECT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity, nullptr);
  EXPECT_EQ(run.header("authorization"), "Basic dXNlcjpwYXNzd29yZA==");
}

TEST(Combination, LowerCaseBearerCountsAsNoToken) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.send(headersOf({{"Authorization", "bearer " + demoToken()}}));
  EXPECT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity, nullptr);
  EXPECT_TRUE(run.hasHeader("authorization"));
}

TEST(Combination, BearerWithoutTokenCountsAsNoToken) {
  // HTTP/1 parsing trims trailing whitespace, so "Bearer " arrives as "Bearer".
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.send(headersOf({{"Authorization", "Bearer"}}));
  EXPECT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity, nullptr);
}

TEST(Combination, InvalidSecondTokenRejects) {
  // Istio's integration test invalid-token-set: every token a provider finds must verify.
  Gateway gateway({istioTestRule(kTestIssuer1)});
  const AuthnRun run = gateway.send(Gateway::bearer(istioTestToken("TokenIssuer1")),
                                    "/headers?access_token=" + istioTestToken("TokenInvalid"));
  EXPECT_EQ(run.result.status, Status::JwtBadFormat);
  EXPECT_EQ(run.result.identity, nullptr);
}

TEST(Combination, InvalidFirstTokenRejects) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  const AuthnRun run = gateway.send(Gateway::bearer(istioTestToken("TokenInvalid")),
                                    "/headers?access_token=" + istioTestToken("TokenIssuer1"));
  EXPECT_EQ(run.result.status, Status::JwtBadFormat);
}

TEST(Combination, TwoValidTokensOfSameIssuerPass) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  const AuthnRun run =
      gateway.send(Gateway::bearer(istioTestToken("TokenIssuer1")),
                   "/headers?access_token=" + istioTestToken("TokenIssuer1WithAud"));
  EXPECT_EQ(run.result.status, Status::Ok);
  ASSERT_NE(run.result.identity, nullptr);
  EXPECT_EQ(run.result.tokens.size(), 2u);
}

TEST(Combination, TokensOfTwoIssuersAtSharedLocationsRejected) {
  // Each provider extracts both tokens, and the other issuer's token is unknown to it.
  Gateway gateway({istioTestRule(kTestIssuer1), istioTestRule(kTestIssuer2)});
  const AuthnRun run = gateway.send(Gateway::bearer(istioTestToken("TokenIssuer1")),
                                    "/headers?access_token=" + istioTestToken("TokenIssuer2"));
  EXPECT_EQ(run.result.status, Status::JwtUnknownIssuer);
}

TEST(Combination, EitherIssuerAlonePasses) {
  Gateway gateway({istioTestRule(kTestIssuer1), istioTestRule(kTestIssuer2)});
  const AuthnRun first = gateway.sendBearer(istioTestToken("TokenIssuer1"));
  ASSERT_EQ(first.result.status, Status::Ok);
  EXPECT_EQ(first.result.identity->iss, kTestIssuer1);
  const AuthnRun second = gateway.sendBearer(istioTestToken("TokenIssuer2"));
  ASSERT_EQ(second.result.status, Status::Ok);
  EXPECT_EQ(second.result.identity->iss, kTestIssuer2);
}

TEST(Combination, SameIssuerRulesWithDifferentAudiences) {
  // Istio's integration test verify-policies-are-combined: any one rule may accept.
  config::JwtRule rejecting = istioTestRule(kTestIssuer1);
  rejecting.audiences = {"bar"};
  config::JwtRule accepting = istioTestRule(kTestIssuer1);
  accepting.audiences = {"foo"};
  Gateway gateway({rejecting, accepting});
  const AuthnRun run = gateway.sendBearer(istioTestToken("TokenIssuer1WithAud"));
  ASSERT_EQ(run.result.status, Status::Ok);
  ASSERT_NE(run.result.provider, nullptr);
  EXPECT_EQ(run.result.provider->audiences, std::vector<std::string>{"foo"});
}

TEST(Combination, SameIssuerRulesWithDifferentKeySets) {
  Gateway gateway({ruleOf(kTestIssuer1, demoJwksText()), istioTestRule(kTestIssuer1)});
  const AuthnRun run = gateway.sendBearer(istioTestToken("TokenIssuer1"));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.provider->key_slot, 1u);
}

TEST(Combination, SameIssuerRulesAllRejecting) {
  config::JwtRule first = istioTestRule(kTestIssuer1);
  first.audiences = {"bar"};
  config::JwtRule second = istioTestRule(kTestIssuer1);
  second.audiences = {"baz"};
  Gateway gateway({first, second});
  EXPECT_EQ(gateway.sendBearer(istioTestToken("TokenIssuer1WithAud")).result.status,
            Status::JwtAudienceNotAllowed);
}

TEST(Combination, OtherProviderLocationIgnored) {
  // Rule A reads header x-a, rule B the default locations. A's valid token lets the request
  // through, and the garbage in Authorization is neither checked nor removed.
  Gateway gateway({headerRule(kIssuerA, "x-a"), demoKeyRule(kIssuerB)});
  const AuthnRun run = gateway.send(
      headersOf({{"x-a", tokenOf(kIssuerA)}, {"Authorization", "Bearer not-a-token"}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity->iss, kIssuerA);
  EXPECT_EQ(run.header("authorization"), "Bearer not-a-token");
  EXPECT_FALSE(run.hasHeader("x-a"));
}

TEST(Combination, EarlierProviderFailureIgnoredWhenLaterAccepts) {
  // Providers run in issuer order: A (default locations) fails on the garbage, then B (header
  // x-b) accepts, which satisfies requires_any.
  Gateway gateway({headerRule(kIssuerB, "x-b"), demoKeyRule(kIssuerA)});
  const AuthnRun run = gateway.send(
      headersOf({{"x-b", tokenOf(kIssuerB)}, {"Authorization", "Bearer not-a-token"}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity->iss, kIssuerB);
  EXPECT_EQ(run.header("authorization"), "Bearer not-a-token");
}

TEST(Combination, TokenAtOtherProviderLocationIsUnknownIssuer) {
  Gateway gateway({headerRule(kIssuerA, "x-a"), demoKeyRule(kIssuerB)});
  EXPECT_EQ(gateway.sendBearer(tokenOf(kIssuerA)).result.status, Status::JwtUnknownIssuer);
}

TEST(Combination, UnknownIssuerBeatsMissing) {
  // A finds C's token (unknown issuer), B finds nothing.
  Gateway gateway({demoKeyRule(kIssuerA), headerRule(kIssuerB, "x-b")});
  EXPECT_EQ(gateway.sendBearer(tokenOf(kIssuerC)).result.status, Status::JwtUnknownIssuer);
}

TEST(Combination, RealErrorBeatsEarlierUnknownIssuer) {
  // A reports the unknown issuer first and B the expiry. The expiry is reported.
  Gateway gateway({demoKeyRule(kIssuerA), demoKeyRule(kIssuerB)});
  EXPECT_EQ(gateway.sendBearer(tokenOf(kIssuerB, expiredClaims())).result.status,
            Status::JwtExpired);
}

TEST(Combination, RealErrorBeatsLaterUnknownIssuer) {
  Gateway gateway({demoKeyRule(kIssuerA), demoKeyRule(kIssuerB)});
  EXPECT_EQ(gateway.sendBearer(tokenOf(kIssuerA, expiredClaims())).result.status,
            Status::JwtExpired);
}

TEST(Combination, AllOfBranchErrorReportedLast) {
  // A fails with an expiry and B with a bad signature. The requires_all branch fails with A's
  // error and, being the last child, decides what is reported.
  Gateway gateway({headerRule(kIssuerA, "x-a"), headerRule(kIssuerB, "x-b")});
  const AuthnRun run = gateway.send(headersOf(
      {{"x-a", tokenOf(kIssuerA, expiredClaims())}, {"x-b", withBadSignature(tokenOf(kIssuerB))}}));
  EXPECT_EQ(run.result.status, Status::JwtExpired);
}

TEST(Combination, MissingAtOneProviderDoesNotBlockOther) {
  Gateway gateway({headerRule(kIssuerA, "x-a"), headerRule(kIssuerB, "x-b")});
  const AuthnRun run = gateway.send(headersOf({{"x-b", tokenOf(kIssuerB)}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity->iss, kIssuerB);
}

TEST(Combination, EmptyIssuerAcceptsAnyIssuer) {
  Gateway gateway({demoKeyRule("")});
  const AuthnRun run = gateway.sendBearer(tokenOf(kIssuerC));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.result.identity->iss, kIssuerC);
}

TEST(Combination, TraceListsEveryToken) {
  Gateway gateway({istioTestRule(kTestIssuer1)});
  const AuthnRun run = gateway.send(Gateway::bearer(istioTestToken("TokenIssuer1")),
                                    "/headers?access_token=" + istioTestToken("TokenInvalid"));
  ASSERT_EQ(run.result.tokens.size(), 2u);
  EXPECT_EQ(run.result.tokens[0].location, "header authorization");
  EXPECT_EQ(run.result.tokens[0].status, Status::Ok);
  EXPECT_EQ(run.result.tokens[0].provider, "istio-system/jwt-example jwtRules[0]");
  EXPECT_TRUE(run.result.tokens[1].location.starts_with("query"));
  EXPECT_NE(run.result.tokens[1].location.find("access_token"), std::string::npos);
  EXPECT_EQ(run.result.tokens[1].status, Status::JwtBadFormat);
}

}  // namespace
}  // namespace portcullis::authn::testing
