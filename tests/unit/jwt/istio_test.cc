// Istio's demo tokens and key set (istio/istio security/tools/jwt/samples) and the tokens of
// its end-to-end tests (tests/common/jwt), which a gateway configured like Istio must accept.
// Also jwt_verify_lib's fuzzer seeds, which are valid token and key set pairs.
#include <string>

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "test_util.h"

namespace portcullis::jwt {
namespace {

using testing::readFile;
using testing::stringOf;
using testing::vectorPath;

std::string tokenFile(std::string_view name) {
  std::string token = readFile(vectorPath(std::string("istio-samples/") + std::string(name)));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
    token.pop_back();
  }
  return token;
}

std::shared_ptr<const Jwks> sampleKeys() {
  return Jwks::parse(readFile(vectorPath("istio-samples/jwks.json")));
}

TEST(IstioSamplesTest, KeySet) {
  const auto jwks = sampleKeys();
  ASSERT_EQ(jwks->status(), Status::Ok);
  ASSERT_EQ(jwks->keys().size(), 1u);
  EXPECT_EQ(jwks->keys()[0].kid, "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ");
  EXPECT_EQ(jwks->keys()[0].type, KeyType::Rsa);
}

TEST(IstioSamplesTest, DemoToken) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(tokenFile("demo.jwt"), jwt), Status::Ok);
  EXPECT_EQ(jwt.alg, "RS256");
  EXPECT_EQ(jwt.kid, "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ");
  EXPECT_EQ(jwt.iss, "testing@secure.istio.io");
  EXPECT_EQ(jwt.sub, "testing@secure.istio.io");
  EXPECT_EQ(jwt.exp, 4685989700u);
  EXPECT_EQ(stringOf(jwt.payload.at("foo")), "bar");
  EXPECT_EQ(verifyTime(jwt, testing::wallClock()), Status::Ok);
  EXPECT_EQ(verifySignature(jwt, *sampleKeys()), Status::Ok);
}

TEST(IstioSamplesTest, GroupsScopeToken) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(tokenFile("groups-scope.jwt"), jwt), Status::Ok);
  EXPECT_EQ(jwt.exp, 3537391104u);
  EXPECT_EQ(jwt.payload.at("groups").as_array().size(), 2u);
  EXPECT_EQ(jwt.payload.at("scope").as_array().size(), 2u);
  EXPECT_EQ(verifyTime(jwt, testing::wallClock()), Status::Ok);
  EXPECT_EQ(verifySignature(jwt, *sampleKeys()), Status::Ok);
}

// Istio's docs mint short-lived demo tokens with key.pem; one minted here verifies too.
TEST(IstioSamplesTest, MintedToken) {
  const std::string pem = readFile(vectorPath("istio-samples/key.pem"));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(key, nullptr);
  const uint64_t now = testing::wallClock();
  const boost::json::object header{
      {"alg", "RS256"}, {"kid", "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ"}, {"typ", "JWT"}};
  const boost::json::object payload{{"iss", "testing@secure.istio.io"},
                                    {"sub", "testing@secure.istio.io"},
                                    {"iat", now},
                                    {"exp", now + 600}};
  const std::string token = testing::makeToken(header, payload, [&](const std::string& input) {
    return testing::signWith(key.get(), "RS256", input);
  });
  Jwt jwt;
  ASSERT_EQ(parseJwt(token, jwt), Status::Ok);
  EXPECT_EQ(verifyTime(jwt, now), Status::Ok);
  EXPECT_EQ(verifyTime(jwt, now + 661), Status::JwtExpired);
  EXPECT_EQ(verifySignature(jwt, *sampleKeys()), Status::Ok);
}

// A sample token checked against the other key set of Istio's tests fails on kid.
TEST(IstioSamplesTest, OtherKeySetDoesNotMatch) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(tokenFile("demo.jwt"), jwt), Status::Ok);
  const auto other = Jwks::parse(readFile(vectorPath("istio-tests/jwks.json")));
  EXPECT_EQ(verifySignature(jwt, *other), Status::JwksKidAlgMismatch);
}

TEST(IstioTestsTest, Tokens) {
  const auto jwks = Jwks::parse(readFile(vectorPath("istio-tests/jwks.json")));
  ASSERT_EQ(jwks->status(), Status::Ok);
  const boost::json::value file = testing::readJson("istio-tests/tokens.json");
  size_t verified = 0;
  for (const boost::json::value& item : file.at("tokens").as_array()) {
    const boost::json::object& token = item.as_object();
    const std::string name = stringOf(token.at("name"));
    Jwt jwt;
    const Status parsed = parseJwt(stringOf(token.at("jwt")), jwt);
    if (name == "TokenInvalid") {
      EXPECT_EQ(parsed, Status::JwtBadFormat);
      continue;
    }
    ASSERT_EQ(parsed, Status::Ok) << name;
    const boost::json::object& payload = token.at("payload").as_object();
    EXPECT_EQ(jwt.iss, stringOf(payload.at("iss"))) << name;
    EXPECT_EQ(jwt.sub, stringOf(payload.at("sub"))) << name;
    EXPECT_EQ(jwt.exp, payload.at("exp").to_number<uint64_t>()) << name;
    EXPECT_EQ(jwt.payload, payload) << name;
    EXPECT_TRUE(token.at("signature_valid_with_jwks_json").as_bool()) << name;
    EXPECT_EQ(verifySignature(jwt, *jwks), Status::Ok) << name;
    const Status expected_time = name == "TokenExpired" ? Status::JwtExpired : Status::Ok;
    EXPECT_EQ(verifyTime(jwt, testing::wallClock()), expected_time) << name;
    ++verified;
  }
  EXPECT_EQ(verified, 13u);
}

TEST(IstioTestsTest, Audiences) {
  const boost::json::value file = testing::readJson("istio-tests/tokens.json");
  for (const boost::json::value& item : file.at("tokens").as_array()) {
    const std::string name = stringOf(item.at("name"));
    if (name != "TokenIssuer1WithAud" && name != "TokenIssuer1WithAudList") {
      continue;
    }
    Jwt jwt;
    ASSERT_EQ(parseJwt(stringOf(item.at("jwt")), jwt), Status::Ok);
    const std::vector<std::string> expected = name == "TokenIssuer1WithAud"
                                                  ? std::vector<std::string>{"foo"}
                                                  : std::vector<std::string>{"foo", "buzz"};
    EXPECT_EQ(jwt.audiences, expected) << name;
  }
}

// jwt_verify_lib's fuzzer seeds: `jwt: "..."` and `jwks: "..."` lines. A double-quoted value
// uses C escapes (\n is a newline). A single-quoted value is JSON text kept as written, so the
// JSON parser reads its \n escapes inside JSON strings.
std::string seedField(const std::string& text, std::string_view field) {
  const size_t start = text.find(std::string(field) + ": ");
  if (start == std::string::npos) {
    return {};
  }
  size_t i = start + field.size() + 2;
  const char quote = text[i++];
  std::string out;
  for (; i < text.size() && text[i] != quote; ++i) {
    if (quote == '"' && text[i] == '\\' && i + 1 < text.size()) {
      const char escaped = text[++i];
      out.push_back(escaped == 'n' ? '\n' : escaped);
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

TEST(FuzzSeedsTest, SeedsVerify) {
  for (const char* seed : {"jwks_ec.txt", "jwks_hmac.txt", "jwks_okp.txt", "jwks_pem.txt",
                           "jwks_rsa.txt", "jwks_x509.txt"}) {
    const std::string text =
        readFile(vectorPath(std::string("jwt_verify_lib/fuzz_corpus/") + seed));
    const std::string keys = seedField(text, "jwks");
    const auto format = keys.starts_with("-----BEGIN") ? Jwks::Format::Pem : Jwks::Format::Jwks;
    const auto jwks = Jwks::parse(keys, format);
    ASSERT_EQ(jwks->status(), Status::Ok) << seed;
    Jwt jwt;
    ASSERT_EQ(parseJwt(seedField(text, "jwt"), jwt), Status::Ok) << seed;
    EXPECT_EQ(verifySignature(jwt, *jwks), Status::Ok) << seed;
  }
}

}  // namespace
}  // namespace portcullis::jwt
