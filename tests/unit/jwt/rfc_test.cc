// The JWS examples of RFC 7515 appendix A, RFC 7520 section 4 and RFC 8037 appendix A.4
// (rfc/examples.json, with one-byte-changed negative copies), and the machine-readable RFC 7520
// cookbook files, run through the token and key set parsers and verifySignature().
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "test_util.h"

namespace portcullis::jwt {
namespace {

using testing::stringOf;

const boost::json::object& examplesFile() {
  static const boost::json::value file = testing::readJson("rfc/examples.json");
  return file.as_object();
}

// The key set for an example: its public JWK, or the private one for HMAC keys, which have no
// public form. A list of keys (RFC 7520 4.8) becomes a set of all of them. That set is taken
// from the private list because the public one leaves the HMAC key out, and private members
// are ignored.
std::shared_ptr<const Jwks> keysOf(const boost::json::object& example) {
  const boost::json::value* key = example.if_contains("key_public_jwk");
  if (key == nullptr || key->is_null() || key->is_array()) {
    key = &example.at("key_private_jwk");
  }
  boost::json::object document;
  document["keys"] = key->is_array() ? key->as_array() : boost::json::array{*key};
  const auto jwks = Jwks::parse(boost::json::serialize(document));
  EXPECT_EQ(jwks->status(), Status::Ok);
  return jwks;
}

Status verifyCompact(const std::string& compact, const Jwks& jwks) {
  Jwt jws;
  const Status parsed = parseJws(compact, jws);
  return parsed == Status::Ok ? verifySignature(jws, jwks) : parsed;
}

// Compact forms of the signatures of a JSON serialization whose header is all protected. A
// signature with an unprotected header has no compact form and is left out.
std::vector<std::string> compactFormsOf(const boost::json::value& json_serialization) {
  std::vector<std::string> forms;
  const boost::json::object& jws = json_serialization.as_object();
  const std::string payload = stringOf(jws.at("payload"));
  for (const boost::json::value& item : jws.at("signatures").as_array()) {
    const boost::json::object& signature = item.as_object();
    const boost::json::value* protected_header = signature.if_contains("protected");
    if (protected_header == nullptr) {
      continue;
    }
    forms.push_back(stringOf(*protected_header) + "." + payload + "." +
                    stringOf(signature.at("signature")));
  }
  return forms;
}

TEST(RfcExamplesTest, Counts) {
  EXPECT_EQ(examplesFile().at("examples").as_array().size(), 14u);
  EXPECT_EQ(examplesFile().at("derived_negative_examples").as_array().size(), 18u);
}

// Every compact example with a valid signature verifies against its key, whatever its payload.
TEST(RfcExamplesTest, SignaturesVerify) {
  size_t checked = 0;
  for (const boost::json::value& item : examplesFile().at("examples").as_array()) {
    const boost::json::object& example = item.as_object();
    const std::string id = stringOf(example.at("id"));
    const boost::json::value& compact = example.at("compact");
    if (compact.is_null() || !example.at("expected_signature_valid").as_bool() ||
        id == "RFC7520-4.5") {
      continue;
    }
    EXPECT_EQ(verifyCompact(stringOf(compact), *keysOf(example)), Status::Ok) << id;
    ++checked;
  }
  EXPECT_EQ(checked, 9u);
}

// RFC 7515 A.5 is an unsecured JWS ("alg": "none") with an empty signature segment. The
// segment check comes first, so jwt_verify_lib, and Portcullis, report a bad format; with any
// signature segment the "none" algorithm is refused.
TEST(RfcExamplesTest, UnsecuredRejected) {
  for (const boost::json::value& item : examplesFile().at("examples").as_array()) {
    const boost::json::object& example = item.as_object();
    if (stringOf(example.at("id")) != "RFC7515-A.5") {
      continue;
    }
    const std::string compact = stringOf(example.at("compact"));
    Jwt jwt;
    EXPECT_EQ(parseJwt(compact, jwt), Status::JwtBadFormat);
    EXPECT_EQ(parseJws(compact, jwt), Status::JwtBadFormat);
    EXPECT_EQ(parseJwt(compact + "c2ln", jwt), Status::JwtHeaderNotImplementedAlg);
  }
}

// RFC 7520 section 4.5 detaches the payload, leaving an empty segment. Like jwt_verify_lib,
// Portcullis rejects it as a bad format, and the reattached form verifies.
TEST(RfcExamplesTest, DetachedContent) {
  for (const boost::json::value& item : examplesFile().at("examples").as_array()) {
    const boost::json::object& example = item.as_object();
    if (stringOf(example.at("id")) != "RFC7520-4.5") {
      continue;
    }
    const auto jwks = keysOf(example);
    EXPECT_EQ(verifyCompact(stringOf(example.at("compact")), *jwks), Status::JwtBadFormat);
    EXPECT_EQ(verifyCompact(stringOf(example.at("compact_with_payload_reattached")), *jwks),
              Status::Ok);
  }
}

// Examples given only in JSON serialization: the signatures whose header is fully protected
// are turned into compact form and verified.
TEST(RfcExamplesTest, JsonSerializationSignatures) {
  size_t checked = 0;
  for (const boost::json::value& item : examplesFile().at("examples").as_array()) {
    const boost::json::object& example = item.as_object();
    const boost::json::value* json = example.if_contains("json_serialization");
    if (json == nullptr) {
      continue;
    }
    const auto jwks = keysOf(example);
    for (const std::string& compact : compactFormsOf(*json)) {
      EXPECT_EQ(verifyCompact(compact, *jwks), Status::Ok) << stringOf(example.at("id"));
      ++checked;
    }
  }
  // RFC 7520 4.6 (one), 4.8 (RS256 and HS256); 4.7 and the ES512 signature of 4.8 carry an
  // unprotected header.
  EXPECT_EQ(checked, 3u);
}

// As bearer tokens, JSON payloads parse and are expired (exp 1300819380, March 2011) but valid
// at a clock before that. Other payloads fail as jwt_verify_lib fails them.
TEST(RfcExamplesTest, AsJwt) {
  for (const boost::json::value& item : examplesFile().at("examples").as_array()) {
    const boost::json::object& example = item.as_object();
    const std::string id = stringOf(example.at("id"));
    const boost::json::value& compact = example.at("compact");
    if (compact.is_null() || id == "RFC7515-A.5" || id == "RFC7520-4.5") {
      continue;
    }
    Jwt jwt;
    const Status parsed = parseJwt(stringOf(compact), jwt);
    if (!example.at("payload_is_json").as_bool()) {
      EXPECT_EQ(parsed, Status::JwtPayloadParseErrorBadJson) << id;
      continue;
    }
    ASSERT_EQ(parsed, Status::Ok) << id;
    EXPECT_EQ(jwt.exp, 1300819380u) << id;
    EXPECT_EQ(jwt.iss, "joe") << id;
    EXPECT_EQ(verifyTime(jwt, testing::wallClock()), Status::JwtExpired) << id;
    EXPECT_EQ(verifyTime(jwt, 1300819380), Status::Ok) << id;
    EXPECT_EQ(verifySignature(jwt, *keysOf(example)), Status::Ok) << id;
  }
}

TEST(RfcExamplesTest, NegativeCopiesFail) {
  for (const boost::json::value& item : examplesFile().at("derived_negative_examples").as_array()) {
    const boost::json::object& example = item.as_object();
    EXPECT_EQ(verifyCompact(stringOf(example.at("compact")), *keysOf(example)),
              Status::JwtVerificationFail)
        << stringOf(example.at("id"));
  }
}

// The RFC 7520 cookbook files.

boost::json::object cookbook(std::string_view file) {
  return testing::readJson(std::string("rfc/ietf-jose-cookbook/") + std::string(file)).as_object();
}

std::shared_ptr<const Jwks> cookbookKeys(const boost::json::object& example) {
  boost::json::object holder;
  holder["key_public_jwk"] = nullptr;
  holder["key_private_jwk"] = example.at("input").at("key");
  return keysOf(holder);
}

TEST(RfcCookbookTest, CompactSignaturesVerify) {
  for (const char* file : {"jws/4_1.rsa_v15_signature.json", "jws/4_2.rsa-pss_signature.json",
                           "jws/4_3.ecdsa_signature.json",
                           "jws/4_4.hmac-sha2_integrity_protection.json", "curve25519/jws.json"}) {
    const boost::json::object example = cookbook(file);
    const std::string compact = stringOf(example.at("output").at("compact"));
    EXPECT_EQ(verifyCompact(compact, *cookbookKeys(example)), Status::Ok) << file;
    Jwt jwt;
    EXPECT_EQ(parseJwt(compact, jwt), Status::JwtPayloadParseErrorBadJson) << file;
  }
}

TEST(RfcCookbookTest, DetachedContent) {
  const boost::json::object example = cookbook("jws/4_5.signature_with_detached_content.json");
  const std::string compact = stringOf(example.at("output").at("compact"));
  const auto jwks = cookbookKeys(example);
  EXPECT_EQ(verifyCompact(compact, *jwks), Status::JwtBadFormat);
  const std::string payload = base64UrlEncode(stringOf(example.at("input").at("payload")));
  const size_t dots = compact.find("..");
  ASSERT_NE(dots, std::string::npos);
  const std::string reattached =
      compact.substr(0, dots) + "." + payload + "." + compact.substr(dots + 2);
  EXPECT_EQ(verifyCompact(reattached, *jwks), Status::Ok);
}

TEST(RfcCookbookTest, JsonOnlyExamples) {
  size_t checked = 0;
  for (const char* file :
       {"jws/4_6.protecting_specific_header_fields.json", "jws/4_7.protecting_content_only.json",
        "jws/4_8.multiple_signatures.json"}) {
    const boost::json::object example = cookbook(file);
    const auto jwks = cookbookKeys(example);
    for (const std::string& compact : compactFormsOf(example.at("output").at("json"))) {
      EXPECT_EQ(verifyCompact(compact, *jwks), Status::Ok) << file;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3u);
}

// The cookbook's keys load, private members ignored.
TEST(RfcCookbookTest, Keys) {
  const struct {
    const char* file;
    KeyType type;
  } cases[] = {{"jwk/3_1.ec_public_key.json", KeyType::EcP521},
               {"jwk/3_2.ec_private_key.json", KeyType::EcP521},
               {"jwk/3_3.rsa_public_key.json", KeyType::Rsa},
               {"jwk/3_4.rsa_private_key.json", KeyType::Rsa},
               {"jwk/3_5.symmetric_key_mac_computation.json", KeyType::Hmac}};
  for (const auto& c : cases) {
    const auto jwks =
        testing::jwksOfKey(testing::readJson(std::string("rfc/ietf-jose-cookbook/") + c.file));
    ASSERT_EQ(jwks->status(), Status::Ok) << c.file;
    ASSERT_EQ(jwks->keys().size(), 1u) << c.file;
    EXPECT_EQ(jwks->keys()[0].type, c.type) << c.file;
    EXPECT_FALSE(jwks->keys()[0].kid.empty()) << c.file;
  }
}

}  // namespace
}  // namespace portcullis::jwt
