// How authentication edits the request it lets through. After success the token's location is
// removed unless forwardOriginalToken is set: a whole header or a query parameter, never a
// cookie. Headers named in output settings are first removed from the client's request, and
// the payload and claim headers are added after success.
#include <gtest/gtest.h>

#include "authn/authenticator.h"
#include "authn_test_util.h"

namespace portcullis::authn::testing {
namespace {

using jwt::Status;

// The second segment of a compact token.
std::string payloadSegment(const std::string& token) {
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  return token.substr(first + 1, second - first - 1);
}

config::JwtRule claimRule(std::vector<config::ClaimToHeader> claims) {
  config::JwtRule rule = demoRule();
  rule.output_claim_to_headers = std::move(claims);
  return rule;
}

TEST(TokenStripping, RemovesAuthorizationHeader) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.sendBearer(demoToken());
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_FALSE(run.hasHeader("authorization"));
}

TEST(TokenStripping, RemovesWholeCustomHeader) {
  config::JwtRule rule = demoRule();
  rule.from_headers.push_back(config::JwtHeader{"x-jwt", "Token "});
  Gateway gateway({rule});
  const AuthnRun run = gateway.send(headersOf({{"x-jwt", "realm=api, Token " + demoToken()}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_FALSE(run.hasHeader("x-jwt"));
}

TEST(TokenStripping, RemovesQueryParameterOnly) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.send({}, "/get?a=1&access_token=" + demoToken() + "&b=2");
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.target, "/get?a=1&b=2");
}

TEST(TokenStripping, DropsEmptyQuery) {
  Gateway gateway({demoRule()});
  const AuthnRun run = gateway.send({}, "/get?access_token=" + demoToken());
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.target, "/get");
}

TEST(TokenStripping, KeepsOtherParametersAsReceived) {
  Gateway gateway({demoRule()});
  const AuthnRun run =
      gateway.send({}, "/get?flag&access_token=" + demoToken() + "&empty=&q=a%20b");
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.target, "/get?flag&empty=&q=a%20b");
}

TEST(TokenStripping, RemovesBothLocationsOfOneProvider) {
  Gateway gateway({demoRule()});
  const AuthnRun run =
      gateway.send(Gateway::bearer(demoToken()), "/get?access_token=" + demoToken() + "&keep=1");
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_FALSE(run.hasHeader("authorization"));
  EXPECT_EQ(run.target, "/get?keep=1");
}

TEST(TokenStripping, NeverRemovesCookie) {
  config::JwtRule rule = demoRule();
  rule.from_cookies.push_back("session");
  Gateway gateway({rule});
  const std::string cookie = "theme=dark; session=" + demoToken();
  const AuthnRun run = gateway.send(headersOf({{"Cookie", cookie}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.header("cookie"), cookie);
}

TEST(TokenStripping, ForwardOriginalTokenKeepsHeader) {
  config::JwtRule rule = demoRule();
  rule.forward_original_token = true;
  Gateway gateway({rule});
  const AuthnRun run = gateway.sendBearer(demoToken());
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.header("authorization"), "Bearer " + demoToken());
}

TEST(TokenStripping, ForwardOriginalTokenKeepsQuery) {
  config::JwtRule rule = demoRule();
  rule.forward_original_token = true;
  Gateway gateway({rule});
  const std::string target = "/get?access_token=" + demoToken();
  const AuthnRun run = gateway.send({}, target);
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.target, target);
}

TEST(TokenStripping, TokenlessRequestUnchanged) {
  Gateway gateway({demoRule()});
  const AuthnRun run =
      gateway.send(headersOf({{"Authorization", "Basic Zm9vOmJhcg=="}}), "/get?a=1");
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.header("authorization"), "Basic Zm9vOmJhcg==");
  EXPECT_EQ(run.target, "/get?a=1");
}

TEST(OutputHeaders, PayloadHeaderCarriesPayloadSegment) {
  config::JwtRule rule = demoRule();
  rule.output_payload_to_header = "x-jwt-payload";
  Gateway gateway({rule});
  const AuthnRun run = gateway.sendBearer(demoToken());
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.header("x-jwt-payload"), payloadSegment(demoToken()));
  EXPECT_EQ(run.header("x-jwt-payload").find('='), std::string::npos);
}

TEST(OutputHeaders, ClientCopiesRemovedWithoutToken) {
  config::JwtRule rule = claimRule({{"x-jwt-sub", "sub"}});
  rule.output_payload_to_header = "x-jwt-payload";
  Gateway gateway({rule});
  const AuthnRun run =
      gateway.send(headersOf({{"X-Jwt-Payload", "forged"}, {"x-jwt-sub", "admin"}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_FALSE(run.hasHeader("x-jwt-payload"));
  EXPECT_FALSE(run.hasHeader("x-jwt-sub"));
}

TEST(OutputHeaders, ClientCopyReplacedOnSuccess) {
  Gateway gateway({claimRule({{"x-jwt-sub", "sub"}})});
  boost::beast::http::fields headers = Gateway::bearer(demoToken());
  headers.insert("x-jwt-sub", "admin");
  const AuthnRun run = gateway.send(std::move(headers));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.headers.count("x-jwt-sub"), 1u);
  EXPECT_EQ(run.header("x-jwt-sub"), "testing@secure.istio.io");
}

TEST(OutputHeaders, OtherProvidersHeadersAlsoRemoved) {
  config::JwtRule other = ruleOf("https://other.example.com", demoJwksText());
  other.output_payload_to_header = "x-other-payload";
  Gateway gateway({demoRule(), other});
  const AuthnRun run = gateway.send(headersOf({{"x-other-payload", "forged"}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_FALSE(run.hasHeader("x-other-payload"));
}

TEST(OutputHeaders, StringClaim) {
  Gateway gateway({claimRule({{"x-jwt-foo", "foo"}})});
  EXPECT_EQ(gateway.sendBearer(demoToken()).header("x-jwt-foo"), "bar");
}

TEST(OutputHeaders, NestedClaim) {
  config::JwtRule rule = istioTestRule(kTestIssuer1);
  rule.output_claim_to_headers = {{"x-key2", "nested.key2"}, {"x-deep", "nested.nested-2.key2"}};
  Gateway gateway({rule});
  const AuthnRun run = gateway.sendBearer(istioTestToken("TokenIssuer1WithNestedClaims2"));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.header("x-key2"), "valueC");
  EXPECT_EQ(run.header("x-deep"), "valueC");
}

TEST(OutputHeaders, IntegerClaim) {
  config::JwtRule rule = istioTestRule(kTestIssuer1);
  rule.output_claim_to_headers = {{"x-iat", "iat"}};
  Gateway gateway({rule});
  EXPECT_EQ(gateway.sendBearer(istioTestToken("TokenIssuer1")).header("x-iat"), "1562182722");
}

TEST(OutputHeaders, ScalarClaimFormats) {
  Gateway gateway({claimRule({{"x-true", "yes"},
                              {"x-false", "no"},
                              {"x-negative", "negative"},
                              {"x-fraction", "fraction"},
                              {"x-whole", "whole"}})});
  const AuthnRun run = gateway.sendBearer(
      tokenOf(kDemoIssuer,
              {{"yes", true}, {"no", false}, {"negative", -3}, {"fraction", 1.5}, {"whole", 2.0}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_EQ(run.header("x-true"), "true");
  EXPECT_EQ(run.header("x-false"), "false");
  EXPECT_EQ(run.header("x-negative"), "-3");
  EXPECT_EQ(run.header("x-fraction"), "1.500000");
  EXPECT_EQ(run.header("x-whole"), "2");
}

TEST(OutputHeaders, NonScalarClaimsOmitted) {
  Gateway gateway({claimRule({{"x-list", "groups"},
                              {"x-object", "org"},
                              {"x-null", "nothing"},
                              {"x-missing", "absent"},
                              {"x-through-string", "sub.inner"}})});
  const AuthnRun run =
      gateway.sendBearer(tokenOf(kDemoIssuer, {{"groups", boost::json::array{"a", "b"}},
                                               {"org", boost::json::object{{"name", "acme"}}},
                                               {"nothing", nullptr}}));
  ASSERT_EQ(run.result.status, Status::Ok);
  EXPECT_FALSE(run.hasHeader("x-list"));
  EXPECT_FALSE(run.hasHeader("x-object"));
  EXPECT_FALSE(run.hasHeader("x-null"));
  EXPECT_FALSE(run.hasHeader("x-missing"));
  EXPECT_FALSE(run.hasHeader("x-through-string"));
}

TEST(OutputHeaders, NotAddedOnFailure) {
  config::JwtRule rule = claimRule({{"x-jwt-sub", "sub"}});
  rule.output_payload_to_header = "x-jwt-payload";
  Gateway gateway({rule});
  const AuthnRun run = gateway.sendBearer(withBadSignature(demoToken()));
  ASSERT_EQ(run.result.status, Status::JwtVerificationFail);
  EXPECT_FALSE(run.hasHeader("x-jwt-sub"));
  EXPECT_FALSE(run.hasHeader("x-jwt-payload"));
}

}  // namespace
}  // namespace portcullis::authn::testing
