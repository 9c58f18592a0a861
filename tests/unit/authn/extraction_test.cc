// Where tokens are found, following Envoy's jwt_authn extractor. A header prefix is searched
// anywhere in the value, case-sensitively, and the token is the run of token characters after
// it (the whole value when there is none). A query parameter gives its first URL-decoded
// value, and a cookie its value.
#include <gtest/gtest.h>

#include "authn/authenticator.h"
#include "authn_test_util.h"

namespace portcullis::authn::testing {
namespace {

using jwt::Status;

config::JwtRule withHeader(std::string name, std::string prefix) {
  config::JwtRule rule = demoRule();
  rule.from_headers.push_back(config::JwtHeader{std::move(name), std::move(prefix)});
  return rule;
}

config::JwtRule withParam(std::string name) {
  config::JwtRule rule = demoRule();
  rule.from_params.push_back(std::move(name));
  return rule;
}

config::JwtRule withCookie(std::string name) {
  config::JwtRule rule = demoRule();
  rule.from_cookies.push_back(std::move(name));
  return rule;
}

// The status and whether an identity was set, for one request.
struct Seen {
  Status status;
  bool identified;
};

Seen see(const Gateway& gateway, boost::beast::http::fields headers,
         std::string target = "/headers") {
  const AuthnRun run = gateway.send(std::move(headers), std::move(target));
  return Seen{run.result.status, run.result.identity != nullptr};
}

TEST(HeaderExtraction, BearerPrefix) {
  Gateway gateway({demoRule()});
  const Seen seen = see(gateway, headersOf({{"Authorization", "Bearer " + demoToken()}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(HeaderExtraction, PrefixFoundAnywhereInValue) {
  Gateway gateway({withHeader("x-jwt", "Token ")});
  const Seen seen = see(gateway, headersOf({{"x-jwt", "realm=api, Token " + demoToken()}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(HeaderExtraction, PrefixIsCaseSensitive) {
  Gateway gateway({withHeader("x-jwt", "Token ")});
  const Seen seen = see(gateway, headersOf({{"x-jwt", "token " + demoToken()}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_FALSE(seen.identified);
}

TEST(HeaderExtraction, SkipsNonTokenCharactersAfterPrefix) {
  Gateway gateway({demoRule()});
  const Seen seen = see(gateway, headersOf({{"Authorization", "Bearer  \"" + demoToken() + "\""}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(HeaderExtraction, TokenEndsAtNonTokenCharacter) {
  Gateway gateway({demoRule()});
  const Seen seen =
      see(gateway, headersOf({{"Authorization", "Bearer " + demoToken() + ", extra=1"}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(HeaderExtraction, ValueWithoutTokenCharactersUsedWhole) {
  // Envoy's example: prefix "Value " and value "Value ###" yield the token "Value ###".
  Gateway gateway({withHeader("x-jwt-token", "Value ")});
  const Seen seen = see(gateway, headersOf({{"x-jwt-token", "Value ###"}}));
  EXPECT_EQ(seen.status, Status::JwtBadFormat);
}

TEST(HeaderExtraction, NoPrefixTakesTokenFromStart) {
  Gateway gateway({withHeader("x-jwt-assertion", "")});
  const Seen seen = see(gateway, headersOf({{"x-jwt-assertion", demoToken()}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(HeaderExtraction, NoPrefixUsesWholeValue) {
  // Envoy looks for token characters only after a prefix. Without one the whole value is the
  // token, so the quotes stay and the header segment is not base64url.
  Gateway gateway({withHeader("x-jwt-assertion", "")});
  const Seen seen = see(gateway, headersOf({{"x-jwt-assertion", "\"" + demoToken() + "\""}}));
  EXPECT_EQ(seen.status, Status::JwtHeaderParseErrorBadBase64);
}

TEST(HeaderExtraction, HeaderNameIsCaseInsensitive) {
  Gateway gateway({withHeader("X-JWT-Assertion", "")});
  const Seen seen = see(gateway, headersOf({{"x-jwt-assertion", demoToken()}}));
  EXPECT_TRUE(seen.identified);
}

TEST(HeaderExtraction, GarbageInSecondLineRejected) {
  // NOTE: Envoy joins repeated header lines with ',' before extracting, where Portcullis reads
  // each line as its own token. Both reject this request, with different statuses, so only
  // the rejection is checked.
  Gateway gateway({withHeader("x-jwt-assertion", "")});
  const Seen seen =
      see(gateway, headersOf({{"x-jwt-assertion", demoToken()}, {"x-jwt-assertion", "garbage"}}));
  EXPECT_NE(seen.status, Status::Ok);
}

TEST(HeaderExtraction, LineWithoutPrefixIsSkipped) {
  Gateway gateway({withHeader("x-jwt", "Token ")});
  const Seen seen =
      see(gateway, headersOf({{"x-jwt", "garbage"}, {"x-jwt", "Token " + demoToken()}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(QueryExtraction, DefaultParameter) {
  Gateway gateway({demoRule()});
  const Seen seen = see(gateway, {}, "/headers?access_token=" + demoToken());
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(QueryExtraction, FirstValueIsUsed) {
  Gateway gateway({demoRule()});
  const Seen seen = see(gateway, {}, "/headers?access_token=" + demoToken() + "&access_token=x");
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(QueryExtraction, LaterValueIsIgnored) {
  Gateway gateway({demoRule()});
  const Seen seen = see(gateway, {}, "/headers?access_token=x&access_token=" + demoToken());
  EXPECT_EQ(seen.status, Status::JwtBadFormat);
}

TEST(QueryExtraction, ValueIsUrlDecoded) {
  std::string encoded = demoToken();
  for (size_t at = encoded.find('.'); at != std::string::npos; at = encoded.find('.', at)) {
    encoded.replace(at, 1, "%2E");
  }
  Gateway gateway({demoRule()});
  const Seen seen = see(gateway, {}, "/headers?access_token=" + encoded);
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(QueryExtraction, NameMustMatchWhole) {
  Gateway gateway({demoRule()});
  const std::string token = withBadSignature(demoToken());
  EXPECT_FALSE(see(gateway, {}, "/headers?xaccess_token=" + token).identified);
  EXPECT_EQ(see(gateway, {}, "/headers?xaccess_token=" + token).status, Status::Ok);
  EXPECT_EQ(see(gateway, {}, "/headers?access_token_x=" + token).status, Status::Ok);
}

TEST(QueryExtraction, PathIsNotSearched) {
  Gateway gateway({demoRule()});
  EXPECT_EQ(see(gateway, {}, "/access_token=garbage").status, Status::Ok);
}

TEST(QueryExtraction, ConfiguredParameterReplacesDefaults) {
  Gateway gateway({withParam("token")});
  const std::string bad = withBadSignature(demoToken());
  EXPECT_TRUE(see(gateway, {}, "/headers?token=" + demoToken()).identified);
  // access_token and Authorization are no longer token locations.
  EXPECT_EQ(see(gateway, {}, "/headers?access_token=" + bad).status, Status::Ok);
  EXPECT_EQ(see(gateway, headersOf({{"Authorization", "Bearer " + bad}})).status, Status::Ok);
}

TEST(CookieExtraction, NamedCookie) {
  Gateway gateway({withCookie("session")});
  const Seen seen = see(gateway, headersOf({{"Cookie", "theme=dark; session=" + demoToken()}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(CookieExtraction, QuotedValue) {
  Gateway gateway({withCookie("session")});
  const Seen seen = see(gateway, headersOf({{"Cookie", "session=\"" + demoToken() + "\""}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_TRUE(seen.identified);
}

TEST(CookieExtraction, NameMustMatchWhole) {
  Gateway gateway({withCookie("session")});
  const Seen seen = see(gateway, headersOf({{"Cookie", "xsession=garbage; sessions=garbage"}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_FALSE(seen.identified);
}

TEST(CookieExtraction, SearchesEveryCookieLine) {
  Gateway gateway({withCookie("session")});
  const Seen seen =
      see(gateway, headersOf({{"Cookie", "theme=dark"}, {"Cookie", "session=" + demoToken()}}));
  EXPECT_TRUE(seen.identified);
}

TEST(CookieExtraction, InvalidCookieTokenRejected) {
  Gateway gateway({withCookie("session")});
  const Seen seen = see(gateway, headersOf({{"Cookie", "session=garbage"}}));
  EXPECT_EQ(seen.status, Status::JwtBadFormat);
}

TEST(CookieExtraction, CookieRuleIgnoresBearer) {
  Gateway gateway({withCookie("session")});
  const Seen seen =
      see(gateway, headersOf({{"Authorization", "Bearer " + withBadSignature(demoToken())}}));
  EXPECT_EQ(seen.status, Status::Ok);
  EXPECT_FALSE(seen.identified);
}

}  // namespace
}  // namespace portcullis::authn::testing
