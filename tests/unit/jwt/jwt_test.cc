#include "jwt/jwt.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "test_util.h"

namespace portcullis::jwt {
namespace {

using testing::rawToken;

constexpr std::string_view kHeader = R"({"alg":"RS256","typ":"JWT"})";

Status parse(std::string_view token) {
  Jwt jwt;
  return parseJwt(token, jwt);
}

Status parsePayload(std::string_view payload_json) {
  return parse(rawToken(kHeader, payload_json));
}

Status parseHeader(std::string_view header_json) {
  return parse(rawToken(header_json, "{}"));
}

TEST(ParseJwtTest, FillsFields) {
  const std::string token = rawToken(
      R"({"alg":"ES256","kid":"k1","typ":"JWT","x":1})",
      R"({"iss":"i","sub":"s","jti":"j","aud":["a","b"],"iat":1,"nbf":2,"exp":3,"c":{"d":true}})",
      "c2ln");
  Jwt jwt;
  ASSERT_EQ(parseJwt(token, jwt), Status::Ok);
  EXPECT_EQ(jwt.alg, "ES256");
  EXPECT_EQ(jwt.kid, "k1");
  EXPECT_EQ(jwt.typ, "JWT");
  EXPECT_EQ(jwt.header.at("x").as_int64(), 1);
  EXPECT_EQ(jwt.iss, "i");
  EXPECT_EQ(jwt.sub, "s");
  EXPECT_EQ(jwt.jti, "j");
  EXPECT_EQ(jwt.audiences, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(jwt.iat, 1u);
  EXPECT_EQ(jwt.nbf, 2u);
  EXPECT_EQ(jwt.exp, 3u);
  EXPECT_TRUE(jwt.payload.at("c").at("d").as_bool());
  EXPECT_EQ(jwt.signature, "sig");
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.rfind('.');
  EXPECT_EQ(jwt.header_b64, token.substr(0, first_dot));
  EXPECT_EQ(jwt.payload_b64, token.substr(first_dot + 1, second_dot - first_dot - 1));
  EXPECT_EQ(jwt.signing_input, token.substr(0, second_dot));
}

TEST(ParseJwtTest, AbsentClaimsStayEmpty) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(kHeader, "{}"), jwt), Status::Ok);
  EXPECT_TRUE(jwt.kid.empty());
  EXPECT_TRUE(jwt.iss.empty());
  EXPECT_TRUE(jwt.audiences.empty());
  EXPECT_EQ(jwt.iat, 0u);
  EXPECT_EQ(jwt.nbf, 0u);
  EXPECT_EQ(jwt.exp, 0u);
}

TEST(ParseJwtTest, SingleAudienceString) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(kHeader, R"({"aud":"only"})"), jwt), Status::Ok);
  EXPECT_EQ(jwt.audiences, std::vector<std::string>{"only"});
}

TEST(ParseJwtTest, EmptyAudienceList) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(kHeader, R"({"aud":[]})"), jwt), Status::Ok);
  EXPECT_TRUE(jwt.audiences.empty());
}

TEST(ParseJwtTest, BadFormat) {
  const std::string good = rawToken(kHeader, "{}");
  EXPECT_EQ(parse(""), Status::JwtBadFormat);
  EXPECT_EQ(parse("abc"), Status::JwtBadFormat);
  EXPECT_EQ(parse("a.b"), Status::JwtBadFormat);
  EXPECT_EQ(parse(good + ".x"), Status::JwtBadFormat);
  EXPECT_EQ(parse(good + "."), Status::JwtBadFormat);
}

// Two dots with an empty segment: jwt_verify_lib drops empty parts and then counts fewer than 3.
TEST(ParseJwtTest, EmptySegmentIsBadFormat) {
  const std::string header = base64UrlEncode(kHeader);
  const std::string payload = base64UrlEncode("{}");
  EXPECT_EQ(parse("." + payload + ".c2ln"), Status::JwtBadFormat);
  EXPECT_EQ(parse(header + "..c2ln"), Status::JwtBadFormat);
  EXPECT_EQ(parse(header + "." + payload + "."), Status::JwtBadFormat);
  EXPECT_EQ(parse(".."), Status::JwtBadFormat);
}

TEST(ParseJwtTest, HeaderBadBase64) {
  EXPECT_EQ(parse("eyJhbGciOiJSUzI1NiJ9+.e30.c2ln"), Status::JwtHeaderParseErrorBadBase64);
  EXPECT_EQ(parse("a.e30.c2ln"), Status::JwtHeaderParseErrorBadBase64);
}

TEST(ParseJwtTest, HeaderBadJson) {
  EXPECT_EQ(parseHeader(R"({"alg":"RS256")"), Status::JwtHeaderParseErrorBadJson);
  EXPECT_EQ(parseHeader(R"(["alg","RS256"])"), Status::JwtHeaderParseErrorBadJson);
  EXPECT_EQ(parseHeader(R"("RS256")"), Status::JwtHeaderParseErrorBadJson);
  EXPECT_EQ(parseHeader(" "), Status::JwtHeaderParseErrorBadJson);
  EXPECT_EQ(parseHeader("{\"alg\":\"RS256\"} x"), Status::JwtHeaderParseErrorBadJson);
}

TEST(ParseJwtTest, HeaderInvalidUtf8) {
  EXPECT_EQ(parseHeader("{\"alg\":\"RS256\",\"x\":\"\xff\"}"), Status::JwtHeaderParseErrorBadJson);
}

TEST(ParseJwtTest, HeaderBadAlg) {
  EXPECT_EQ(parseHeader(R"({"typ":"JWT"})"), Status::JwtHeaderBadAlg);
  EXPECT_EQ(parseHeader(R"({"alg":256})"), Status::JwtHeaderBadAlg);
  EXPECT_EQ(parseHeader(R"({"alg":null})"), Status::JwtHeaderBadAlg);
  EXPECT_EQ(parseHeader(R"({"alg":["RS256"]})"), Status::JwtHeaderBadAlg);
}

TEST(ParseJwtTest, HeaderNotImplementedAlg) {
  EXPECT_EQ(parseHeader(R"({"alg":"none"})"), Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseHeader(R"({"alg":"rs256"})"), Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseHeader(R"({"alg":"ES256K"})"), Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseHeader(R"({"alg":"Ed25519"})"), Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseHeader(R"({"alg":""})"), Status::JwtHeaderNotImplementedAlg);
}

TEST(ParseJwtTest, EverySupportedAlg) {
  for (const char* alg : {"ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "RS256", "RS384",
                          "RS512", "PS256", "PS384", "PS512", "EdDSA"}) {
    EXPECT_EQ(parseHeader(std::string(R"({"alg":")") + alg + "\"}"), Status::Ok) << alg;
  }
}

TEST(ParseJwtTest, HeaderBadKid) {
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","kid":1})"), Status::JwtHeaderBadKid);
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","kid":null})"), Status::JwtHeaderBadKid);
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","kid":{}})"), Status::JwtHeaderBadKid);
}

// The alg check comes before the kid check.
TEST(ParseJwtTest, AlgCheckedBeforeKid) {
  EXPECT_EQ(parseHeader(R"({"alg":"none","kid":1})"), Status::JwtHeaderNotImplementedAlg);
}

// jwt_verify_lib ignores "crit"; Portcullis rejects any "crit" (RFC 7515 section 4.1.11) with
// the status jwt_verify_lib gives a header asking for something it does not implement.
TEST(ParseJwtTest, CritRejected) {
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","crit":["exp"],"exp":1})"),
            Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","crit":["b64"],"b64":false})"),
            Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","crit":[]})"), Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","crit":"x"})"), Status::JwtHeaderNotImplementedAlg);
}

// The crit check follows the kid check, so a bad kid is reported first.
TEST(ParseJwtTest, KidCheckedBeforeCrit) {
  EXPECT_EQ(parseHeader(R"({"alg":"RS256","kid":7,"crit":["x"]})"), Status::JwtHeaderBadKid);
}

TEST(ParseJwtTest, TypNotStringIgnored) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(R"({"alg":"RS256","typ":5})", "{}"), jwt), Status::Ok);
  EXPECT_TRUE(jwt.typ.empty());
}

TEST(ParseJwtTest, PayloadBadBase64) {
  const std::string header = base64UrlEncode(kHeader);
  EXPECT_EQ(parse(header + ".e30+.c2ln"), Status::JwtPayloadParseErrorBadBase64);
  EXPECT_EQ(parse(header + ".e.c2ln"), Status::JwtPayloadParseErrorBadBase64);
}

TEST(ParseJwtTest, PayloadBadJson) {
  EXPECT_EQ(parsePayload("this is not a json"), Status::JwtPayloadParseErrorBadJson);
  EXPECT_EQ(parsePayload("[1,2]"), Status::JwtPayloadParseErrorBadJson);
  EXPECT_EQ(parsePayload("42"), Status::JwtPayloadParseErrorBadJson);
  EXPECT_EQ(parsePayload("null"), Status::JwtPayloadParseErrorBadJson);
}

// The header is fully checked before the payload is decoded.
TEST(ParseJwtTest, HeaderCheckedBeforePayload) {
  EXPECT_EQ(parse(base64UrlEncode(R"({"alg":"none"})") + ".!!.c2ln"),
            Status::JwtHeaderNotImplementedAlg);
}

TEST(ParseJwtTest, IssNotString) {
  EXPECT_EQ(parsePayload(R"({"iss":true})"), Status::JwtPayloadParseErrorIssNotString);
  EXPECT_EQ(parsePayload(R"({"iss":null})"), Status::JwtPayloadParseErrorIssNotString);
}

TEST(ParseJwtTest, SubNotString) {
  EXPECT_EQ(parsePayload(R"({"sub":123456})"), Status::JwtPayloadParseErrorSubNotString);
}

TEST(ParseJwtTest, IatNotInteger) {
  EXPECT_EQ(parsePayload(R"({"iat":"123"})"), Status::JwtPayloadParseErrorIatNotInteger);
  EXPECT_EQ(parsePayload(R"({"iat":null})"), Status::JwtPayloadParseErrorIatNotInteger);
  EXPECT_EQ(parsePayload(R"({"iat":true})"), Status::JwtPayloadParseErrorIatNotInteger);
}

TEST(ParseJwtTest, IatOutOfRange) {
  EXPECT_EQ(parsePayload(R"({"iat":-1})"), Status::JwtPayloadParseErrorIatOutOfRange);
  EXPECT_EQ(parsePayload(R"({"iat":-0.5})"), Status::JwtPayloadParseErrorIatOutOfRange);
  EXPECT_EQ(parsePayload(R"({"iat":2.001e+206})"), Status::JwtPayloadParseErrorIatOutOfRange);
  EXPECT_EQ(parsePayload(R"({"iat":18446744073709551616})"),
            Status::JwtPayloadParseErrorIatOutOfRange);
}

TEST(ParseJwtTest, NbfNotInteger) {
  EXPECT_EQ(parsePayload(R"({"nbf":"1"})"), Status::JwtPayloadParseErrorNbfNotInteger);
}

TEST(ParseJwtTest, NbfOutOfRange) {
  EXPECT_EQ(parsePayload(R"({"nbf":-12345})"), Status::JwtPayloadParseErrorNbfOutOfRange);
}

TEST(ParseJwtTest, ExpNotInteger) {
  EXPECT_EQ(parsePayload(R"({"exp":[1]})"), Status::JwtPayloadParseErrorExpNotInteger);
}

TEST(ParseJwtTest, ExpOutOfRange) {
  EXPECT_EQ(parsePayload(R"({"exp":1e20})"), Status::JwtPayloadParseErrorExpOutOfRange);
}

// The largest uint64_t becomes 2^64 as a double, as in protobuf's Struct, and is out of range.
TEST(ParseJwtTest, ExpMaxUint64OutOfRange) {
  EXPECT_EQ(parsePayload(R"({"exp":18446744073709551615})"),
            Status::JwtPayloadParseErrorExpOutOfRange);
}

TEST(ParseJwtTest, NumericDatesTruncated) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(kHeader, R"({"iat":1234.5678,"nbf":0.9,"exp":1e3})"), jwt),
            Status::Ok);
  EXPECT_EQ(jwt.iat, 1234u);
  EXPECT_EQ(jwt.nbf, 0u);
  EXPECT_EQ(jwt.exp, 1000u);
}

TEST(ParseJwtTest, LargeNumericDate) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(kHeader, R"({"exp":9223372036854775808})"), jwt), Status::Ok);
  EXPECT_EQ(jwt.exp, 9223372036854775808u);
}

TEST(ParseJwtTest, JtiNotString) {
  EXPECT_EQ(parsePayload(R"({"jti":1234567})"), Status::JwtPayloadParseErrorJtiNotString);
}

TEST(ParseJwtTest, AudNotString) {
  EXPECT_EQ(parsePayload(R"({"aud":1234567})"), Status::JwtPayloadParseErrorAudNotString);
  EXPECT_EQ(parsePayload(R"({"aud":[1,2]})"), Status::JwtPayloadParseErrorAudNotString);
  EXPECT_EQ(parsePayload(R"({"aud":["a",null]})"), Status::JwtPayloadParseErrorAudNotString);
  EXPECT_EQ(parsePayload(R"({"aud":{"a":"b"}})"), Status::JwtPayloadParseErrorAudNotString);
  EXPECT_EQ(parsePayload(R"({"aud":null})"), Status::JwtPayloadParseErrorAudNotString);
}

// Claims are checked in jwt_verify_lib's order: iss, sub, iat, nbf, exp, jti, aud.
TEST(ParseJwtTest, ClaimOrder) {
  EXPECT_EQ(parsePayload(R"({"aud":1,"jti":1,"exp":"x","nbf":"x","iat":"x","sub":1,"iss":1})"),
            Status::JwtPayloadParseErrorIssNotString);
  EXPECT_EQ(parsePayload(R"({"aud":1,"jti":1,"exp":"x","nbf":"x","iat":"x","sub":1})"),
            Status::JwtPayloadParseErrorSubNotString);
  EXPECT_EQ(parsePayload(R"({"aud":1,"jti":1,"exp":"x","nbf":"x","iat":"x"})"),
            Status::JwtPayloadParseErrorIatNotInteger);
  EXPECT_EQ(parsePayload(R"({"aud":1,"jti":1,"exp":"x","nbf":"x"})"),
            Status::JwtPayloadParseErrorNbfNotInteger);
  EXPECT_EQ(parsePayload(R"({"aud":1,"jti":1,"exp":"x"})"),
            Status::JwtPayloadParseErrorExpNotInteger);
  EXPECT_EQ(parsePayload(R"({"aud":1,"jti":1})"), Status::JwtPayloadParseErrorJtiNotString);
}

TEST(ParseJwtTest, SignatureBadBase64) {
  EXPECT_EQ(parse(rawToken(kHeader, "{}", "invalid-signature")),
            Status::JwtSignatureParseErrorBadBase64);
  EXPECT_EQ(parse(rawToken(kHeader, "{}", "c2ln+")), Status::JwtSignatureParseErrorBadBase64);
}

// Claims are checked before the signature segment is decoded.
TEST(ParseJwtTest, ClaimsCheckedBeforeSignature) {
  EXPECT_EQ(parse(rawToken(kHeader, R"({"aud":1})", "!!")),
            Status::JwtPayloadParseErrorAudNotString);
}

// Protobuf's JSON parser, under jwt_verify_lib, accepts a trailing comma; so does Portcullis.
TEST(ParseJwtTest, TrailingCommaAccepted) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(R"({"alg":"RS256",})", R"({"aud":["a",],})"), jwt), Status::Ok);
  EXPECT_EQ(jwt.audiences, std::vector<std::string>{"a"});
}

// A duplicate member keeps its last value (RFC 7515 section 5.2 allows this or rejection).
TEST(ParseJwtTest, DuplicateKeyKeepsLast) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(R"({"alg":"none","alg":"HS256"})", R"({"iss":"a","iss":"b"})"), jwt),
            Status::Ok);
  EXPECT_EQ(jwt.alg, "HS256");
  EXPECT_EQ(jwt.iss, "b");
}

TEST(ParseJwtTest, CommentsRejected) {
  EXPECT_EQ(parseHeader(R"({"alg":"RS256" /* c */})"), Status::JwtHeaderParseErrorBadJson);
}

TEST(ParseJwtTest, DeepNestingRejected) {
  std::string deep = R"({"alg":"RS256","x":)";
  for (int i = 0; i < 200; ++i) {
    deep += "[";
  }
  for (int i = 0; i < 200; ++i) {
    deep += "]";
  }
  deep += "}";
  EXPECT_EQ(parseHeader(deep), Status::JwtHeaderParseErrorBadJson);
}

TEST(ParseJwtTest, ModerateNestingAccepted) {
  std::string nested = "{\"a\":";
  for (int i = 0; i < 40; ++i) {
    nested += "{\"b\":";
  }
  nested += "1";
  for (int i = 0; i < 41; ++i) {
    nested += "}";
  }
  EXPECT_EQ(parsePayload(nested), Status::Ok);
}

// Whitespace inside a segment is skipped by the base64url decoder, as absl's is.
TEST(ParseJwtTest, WhitespaceInSegmentAccepted) {
  const std::string header = base64UrlEncode(kHeader);
  Jwt jwt;
  ASSERT_EQ(parseJwt(header.substr(0, 4) + " " + header.substr(4) + ".e30.c2ln", jwt), Status::Ok);
  EXPECT_EQ(jwt.alg, "RS256");
}

TEST(ParseJwtTest, PaddedSegmentsAccepted) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(base64UrlEncode(kHeader) + ".e30=.c2lnbg==", jwt), Status::Ok);
  EXPECT_EQ(jwt.signature, "sign");
}

TEST(ParseJwsTest, AcceptsNonJsonPayload) {
  Jwt jws;
  ASSERT_EQ(parseJws(rawToken(R"({"alg":"HS256","kid":"k"})", "Payload"), jws), Status::Ok);
  EXPECT_EQ(jws.alg, "HS256");
  EXPECT_EQ(jws.kid, "k");
  EXPECT_TRUE(jws.payload.empty());
  EXPECT_EQ(jws.signature, "sig");
}

TEST(ParseJwsTest, ChecksHeaderAndSegments) {
  Jwt jws;
  EXPECT_EQ(parseJws("a.b", jws), Status::JwtBadFormat);
  EXPECT_EQ(parseJws(rawToken(R"({"alg":"none"})", "x"), jws), Status::JwtHeaderNotImplementedAlg);
  EXPECT_EQ(parseJws(base64UrlEncode(R"({"alg":"HS256"})") + ".e+.c2ln", jws),
            Status::JwtPayloadParseErrorBadBase64);
  EXPECT_EQ(parseJws(rawToken(R"({"alg":"HS256"})", "x", "c+"), jws),
            Status::JwtSignatureParseErrorBadBase64);
}

TEST(ParseJwtTest, ReusedOutputIsReset) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(rawToken(R"({"alg":"RS256","kid":"a"})", R"({"aud":"x","exp":5})"), jwt),
            Status::Ok);
  ASSERT_EQ(parseJwt(rawToken(kHeader, "{}"), jwt), Status::Ok);
  EXPECT_TRUE(jwt.kid.empty());
  EXPECT_TRUE(jwt.audiences.empty());
  EXPECT_EQ(jwt.exp, 0u);
}

Jwt timedJwt(uint64_t nbf, uint64_t exp) {
  Jwt jwt;
  jwt.nbf = nbf;
  jwt.exp = exp;
  return jwt;
}

TEST(VerifyTimeTest, WithinWindow) {
  EXPECT_EQ(verifyTime(timedJwt(100, 200), 150), Status::Ok);
}

TEST(VerifyTimeTest, NotYetValidBoundary) {
  EXPECT_EQ(verifyTime(timedJwt(1000, 0), 940), Status::Ok);
  EXPECT_EQ(verifyTime(timedJwt(1000, 0), 939), Status::JwtNotYetValid);
}

TEST(VerifyTimeTest, ExpiredBoundary) {
  EXPECT_EQ(verifyTime(timedJwt(0, 1000), 1060), Status::Ok);
  EXPECT_EQ(verifyTime(timedJwt(0, 1000), 1061), Status::JwtExpired);
}

TEST(VerifyTimeTest, CustomSkew) {
  EXPECT_EQ(verifyTime(timedJwt(0, 1000), 1011, 10), Status::JwtExpired);
  EXPECT_EQ(verifyTime(timedJwt(0, 1000), 1010, 10), Status::Ok);
  EXPECT_EQ(verifyTime(timedJwt(1000, 0), 989, 10), Status::JwtNotYetValid);
  EXPECT_EQ(verifyTime(timedJwt(1000, 0), 1000, 0), Status::Ok);
}

TEST(VerifyTimeTest, NoExpNeverExpires) {
  EXPECT_EQ(verifyTime(timedJwt(0, 0), std::numeric_limits<uint64_t>::max()), Status::Ok);
}

// nbf is checked first: a token both not yet valid and expired is reported as not yet valid.
TEST(VerifyTimeTest, NbfBeforeExp) {
  EXPECT_EQ(verifyTime(timedJwt(5000, 100), 1000), Status::JwtNotYetValid);
}

// jwt_verify_lib computes exp + skew in uint64_t, which wraps for an exp within the skew of
// 2^64 and reads as expired; Portcullis saturates the sum instead.
TEST(VerifyTimeTest, SumsSaturate) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(verifyTime(timedJwt(0, max - 10), 2000000000), Status::Ok);
  EXPECT_EQ(verifyTime(timedJwt(max, 0), max - 60), Status::Ok);
  EXPECT_EQ(verifyTime(timedJwt(max, 0), 1000), Status::JwtNotYetValid);
}

}  // namespace
}  // namespace portcullis::jwt
