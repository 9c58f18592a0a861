// Wycheproof (C2SP/wycheproof) vectors: the JWS, JWK and JWS-in-JWCrypto files through the
// token parser and verifySignature(), and the primitive ECDSA (P1363 form), RSA PKCS#1 v1.5,
// RSA-PSS and Ed25519 files through verifySignature() with keys built from the vectors' key
// material. Where Portcullis deliberately returns another result than a vector expects,
// kDifferences names the vector and the reason, and the test asserts Portcullis's result.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "test_util.h"

namespace portcullis::jwt {
namespace {

using testing::hexDecode;
using testing::stringOf;

// Vectors whose "result" Portcullis deliberately does not follow, by file and tcId.
struct Difference {
  const char* file;  // under wycheproof/testvectors_v1 (the v0 copies are identical)
  int tc_id;
  const char* reason;
};

constexpr Difference kDifferences[] = {
    // Compact JWS with an empty payload segment: jwt_verify_lib requires three non-empty
    // segments, so these valid signatures are rejected with JwtBadFormat.
    {"json_web_signature_test.json", 259, "empty payload segment"},
    {"json_web_signature_test.json", 264, "empty payload segment"},
    {"json_web_signature_test.json", 268, "empty payload segment"},
    {"json_web_signature_test.json", 272, "empty payload segment"},
    {"json_web_signature_test.json", 320, "empty payload segment"},
    {"json_web_signature_test.json", 325, "empty payload segment"},
    // RFC 7520 keys labelled "alg": "ES521", which names no algorithm: like jwt_verify_lib,
    // Portcullis rejects the key (JwksECKeyAlgNotCompatibleWithCrv), so nothing verifies.
    {"json_web_signature_test.json", 347, "EC key with alg ES521"},
    {"json_web_signature_test.json", 351, "EC key with alg ES521"},
    // "use": "enc" and "key_ops" are ignored, as jwt_verify_lib ignores them.
    {"json_web_signature_test.json", 353, "key use enc ignored"},
    {"json_web_signature_test.json", 354, "key use enc ignored"},
    {"json_web_signature_test.json", 355, "key_ops ignored"},
    {"json_web_signature_test.json", 356, "key_ops ignored"},
    // absl's base64url decoder, used by jwt_verify_lib, skips whitespace inside a segment, and
    // the MAC covers the segments as received; these tokens then verify.
    {"json_web_signature_test.json", 360, "whitespace skipped in base64url"},
    {"json_web_signature_test.json", 365, "whitespace skipped in base64url"},
    {"json_web_signature_test.json", 368, "whitespace skipped in base64url"},
    // The key's alg (PS256) differs from the token's (PS384), so the key is not selected, as
    // under jwt_verify_lib (JwksKidAlgMismatch).
    {"json_web_signature_test.json", 346, "key alg PS256, token alg PS384"},
    {"json_web_signature_test.json", 350, "key alg PS256, token alg PS384"},
    // The vector text is byte for byte the valid token of tcId 357: the padding the comment
    // describes is absent from the file.
    {"json_web_signature_test.json", 367, "same bytes as a valid vector"},
    {"json_web_signature_test.json", 370, "same bytes as a valid vector"},
    // absl's decoder drops the unused low bits of the last base64url character, so "AB"
    // reads as one zero byte. The MAC covers the text as received, so it verifies.
    {"json_web_signature_test.json", 375, "unused base64url bits dropped"},
    // A '?' inside a segment is not base64url; Portcullis rejects the token.
    {"json_web_signature_test.json", 372, "'?' is not base64url"},
    {"json_web_signature_test.json", 373, "'?' is not base64url"},
    // Key sets that mix key types, repeat a kid, or contain a key with the ROCA weakness are
    // accepted, as jwt_verify_lib accepts them. Only each key's own material is checked.
    {"json_web_key_test.json", 1, "mixed key set accepted"},
    {"json_web_key_test.json", 4, "duplicate kid accepted"},
    {"json_web_key_test.json", 7, "ROCA key not detected"},
    // HMAC keys shorter than the hash, which RFC 7518 section 3.2 forbids producers to use,
    // are accepted, as jwt_verify_lib accepts them.
    {"json_web_key_test.json", 10, "short HMAC key accepted"},
    {"json_web_key_test.json", 11, "short HMAC key accepted"},
    {"json_web_key_test.json", 12, "short HMAC key accepted"},
    {"json_web_key_test.json", 21, "key use enc ignored"},
    {"json_web_crypto_test.json", 46, "ROCA key not detected"},
    {"json_web_crypto_test.json", 47, "mixed key set accepted"},
};

const Difference* findDifference(std::string_view file, int tc_id) {
  for (const Difference& difference : kDifferences) {
    if (file == difference.file && tc_id == difference.tc_id) {
      return &difference;
    }
  }
  return nullptr;
}

boost::json::object vectorFile(std::string_view version, std::string_view file) {
  return testing::readJson(std::string("wycheproof/") + std::string(version) + "/" +
                           std::string(file))
      .as_object();
}

// Outcome counts of one file, for a closing check that each file ran.
struct Tally {
  size_t run = 0;
  size_t differences = 0;
  size_t skipped = 0;
};

// Checks Portcullis's result `accepted` against the vector's expected result.
void expectResult(std::string_view file, const boost::json::object& test, bool accepted,
                  Tally& tally) {
  const int tc_id = static_cast<int>(test.at("tcId").as_int64());
  const std::string result = stringOf(test.at("result"));
  ++tally.run;
  if (result == "acceptable") {
    // A strict verifier may go either way; Portcullis's choice is not pinned here.
    return;
  }
  const bool valid = result == "valid";
  if (const Difference* difference = findDifference(file, tc_id)) {
    ++tally.differences;
    EXPECT_EQ(accepted, !valid) << file << " tcId " << tc_id << " (" << difference->reason << ")";
    return;
  }
  EXPECT_EQ(accepted, valid) << file << " tcId " << tc_id << ": " << stringOf(test.at("comment"));
}

// The key set of a JWS vector group: a JWK or a JWK set in "private" (private members are
// ignored).
std::shared_ptr<const Jwks> groupKeys(const boost::json::object& group) {
  const boost::json::value& keys = group.at("private");
  if (keys.as_object().contains("keys")) {
    return Jwks::parse(boost::json::serialize(keys));
  }
  return testing::jwksOfKey(keys);
}

// A JWS vector is accepted when it parses as compact JWS and its signature verifies. JSON
// serializations (objects) are never accepted.
bool acceptsJws(const boost::json::value& jws, const Jwks& jwks) {
  if (!jws.is_string()) {
    return false;
  }
  Jwt parsed;
  return parseJws(stringOf(jws), parsed) == Status::Ok &&
         verifySignature(parsed, jwks) == Status::Ok;
}

Tally runJwsFile(std::string_view version, std::string_view file) {
  Tally tally;
  const boost::json::object data = vectorFile(version, file);
  for (const boost::json::value& group_value : data.at("testGroups").as_array()) {
    const boost::json::object& group = group_value.as_object();
    if (stringOf(group.at("type")) != "JsonWebSignature" &&
        stringOf(group.at("type")) != "JsonWebKey" &&
        !(stringOf(group.at("type")) == "JsonWebCrypto" &&
          group.at("tests").as_array().at(0).as_object().contains("jws"))) {
      tally.skipped += group.at("tests").as_array().size();
      continue;
    }
    const auto jwks = groupKeys(group);
    for (const boost::json::value& test_value : group.at("tests").as_array()) {
      const boost::json::object& test = test_value.as_object();
      expectResult(file, test, acceptsJws(test.at("jws"), *jwks), tally);
    }
  }
  return tally;
}

class WycheproofJoseTest : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(WycheproofJoseTest, Vectors) {
  const auto [version, file] = GetParam();
  const Tally tally = runJwsFile(version, file);
  EXPECT_GT(tally.run, 0u);
  if (std::string_view(file) == "json_web_crypto_test.json") {
    EXPECT_EQ(tally.run, 49u);      // the JWS groups
    EXPECT_EQ(tally.skipped, 34u);  // the JWE groups
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, WycheproofJoseTest,
    ::testing::Values(std::make_pair("testvectors_v1", "json_web_signature_test.json"),
                      std::make_pair("testvectors_v1", "json_web_key_test.json"),
                      std::make_pair("testvectors_v1", "json_web_crypto_test.json"),
                      std::make_pair("testvectors_v0", "json_web_signature_test.json"),
                      std::make_pair("testvectors_v0", "json_web_key_test.json"),
                      std::make_pair("testvectors_v0", "json_web_crypto_test.json")),
    [](const auto& info) {
      std::string name = std::string(info.param.first) + "_" + info.param.second;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
          c = '_';
        }
      }
      return name;
    });

// Primitive vectors: a message and a signature checked by verifySignature() as the signature
// of a token whose signing input is the message.
bool verifiesPrimitive(const Jwks& jwks, std::string_view alg, const boost::json::object& test) {
  Jwt jwt;
  jwt.alg = alg;
  jwt.signing_input = hexDecode(stringOf(test.at("msg")));
  jwt.signature = hexDecode(stringOf(test.at("sig")));
  return verifySignature(jwt, jwks) == Status::Ok;
}

// The JOSE algorithm for a hash and a curve ("" for RSA), or nothing when JOSE has none.
std::optional<std::string> joseAlgorithm(std::string_view family, std::string_view sha) {
  const std::map<std::string_view, std::string_view> suffix = {
      {"SHA-256", "256"}, {"SHA-384", "384"}, {"SHA-512", "512"}};
  const auto found = suffix.find(sha);
  if (found == suffix.end()) {
    return std::nullopt;
  }
  return std::string(family) + std::string(found->second);
}

std::string_view curveOfJwk(const boost::json::value& jwk) {
  const boost::json::string& crv = jwk.at("crv").as_string();
  return std::string_view(crv.data(), crv.size());
}

// ES256 is P-256 with SHA-256, ES384 P-384 with SHA-384, ES512 P-521 with SHA-512.
bool curveFitsHash(std::string_view crv, std::string_view sha) {
  return (crv == "P-256" && sha == "SHA-256") || (crv == "P-384" && sha == "SHA-384") ||
         (crv == "P-521" && sha == "SHA-512");
}

// The group's key as a JWK: as given, or built from the hex coordinates for the groups that
// give none (their keys have special values of x).
boost::json::value ecJwkOf(const boost::json::object& group, std::string_view jwk_field) {
  if (const boost::json::value* jwk = group.if_contains(jwk_field)) {
    return *jwk;
  }
  const boost::json::object& key = group.at("publicKey").as_object();
  const std::string curve = stringOf(key.at("curve"));
  const char* crv = "P-521";
  if (curve == "secp256r1") {
    crv = "P-256";
  } else if (curve == "secp384r1") {
    crv = "P-384";
  }
  return boost::json::object{{"kty", "EC"},
                             {"crv", crv},
                             {"x", base64UrlEncode(hexDecode(stringOf(key.at("wx"))))},
                             {"y", base64UrlEncode(hexDecode(stringOf(key.at("wy"))))}};
}

void runEcdsaFile(std::string_view version, std::string_view file, std::string_view jwk_field,
                  Tally& tally) {
  const boost::json::object data = vectorFile(version, file);
  for (const boost::json::value& group_value : data.at("testGroups").as_array()) {
    const boost::json::object& group = group_value.as_object();
    const boost::json::value jwk = ecJwkOf(group, jwk_field);
    const std::string sha = stringOf(group.at("sha"));
    const std::string_view crv = curveOfJwk(jwk);
    const auto jwks = testing::jwksOfKey(jwk);
    if (crv != "P-256" && crv != "P-384" && crv != "P-521") {
      // secp256k1 ("P-256K") has no JWS algorithm in RFC 7518; the key is refused.
      EXPECT_EQ(jwks->status(), Status::JwksECKeyAlgOrCrvUnsupported) << file << " " << crv;
      tally.skipped += group.at("tests").as_array().size();
      continue;
    }
    ASSERT_EQ(jwks->status(), Status::Ok) << file << " " << crv;
    std::string alg = "ES512";
    if (crv == "P-256") {
      alg = "ES256";
    } else if (crv == "P-384") {
      alg = "ES384";
    }
    for (const boost::json::value& test_value : group.at("tests").as_array()) {
      const boost::json::object& test = test_value.as_object();
      const bool accepted = verifiesPrimitive(*jwks, alg, test);
      if (!curveFitsHash(crv, sha)) {
        // A curve paired with another hash than JOSE's: no JWS algorithm describes the
        // signature, and Portcullis never accepts it.
        EXPECT_FALSE(accepted) << file << " tcId " << test.at("tcId").as_int64();
        ++tally.skipped;
        continue;
      }
      expectResult(file, test, accepted, tally);
    }
  }
}

TEST(WycheproofPrimitiveTest, EcdsaP1363) {
  for (const char* file :
       {"ecdsa_secp256r1_sha256_p1363_test.json", "ecdsa_secp384r1_sha384_p1363_test.json",
        "ecdsa_secp521r1_sha512_p1363_test.json"}) {
    Tally tally;
    runEcdsaFile("testvectors_v1", file, "publicKeyJwk", tally);
    EXPECT_GT(tally.run, 250u) << file;
  }
}

TEST(WycheproofPrimitiveTest, EcdsaWebCrypto) {
  Tally tally;
  runEcdsaFile("testvectors_v0", "ecdsa_webcrypto_test.json", "jwk", tally);
  EXPECT_GT(tally.run, 300u);
  EXPECT_GT(tally.skipped, 0u);
}

TEST(WycheproofPrimitiveTest, Ed25519) {
  Tally tally;
  const boost::json::object data = vectorFile("testvectors_v1", "ed25519_test.json");
  for (const boost::json::value& group_value : data.at("testGroups").as_array()) {
    const boost::json::object& group = group_value.as_object();
    const auto jwks = testing::jwksOfKey(group.at("publicKeyJwk"));
    ASSERT_EQ(jwks->status(), Status::Ok);
    for (const boost::json::value& test_value : group.at("tests").as_array()) {
      const boost::json::object& test = test_value.as_object();
      expectResult("ed25519_test.json", test, verifiesPrimitive(*jwks, "EdDSA", test), tally);
    }
  }
  EXPECT_EQ(tally.run, 151u);
}

TEST(WycheproofPrimitiveTest, RsaPkcs1) {
  for (const char* file :
       {"rsa_signature_2048_sha256_test.json", "rsa_signature_2048_sha384_test.json",
        "rsa_signature_2048_sha512_test.json", "rsa_signature_3072_sha256_test.json",
        "rsa_signature_3072_sha384_test.json", "rsa_signature_3072_sha512_test.json",
        "rsa_signature_4096_sha256_test.json", "rsa_signature_4096_sha384_test.json",
        "rsa_signature_4096_sha512_test.json"}) {
    Tally tally;
    const boost::json::object data = vectorFile("testvectors_v1", file);
    for (const boost::json::value& group_value : data.at("testGroups").as_array()) {
      const boost::json::object& group = group_value.as_object();
      const auto alg = joseAlgorithm("RS", stringOf(group.at("sha")));
      ASSERT_TRUE(alg.has_value()) << file;
      const auto jwks = testing::jwksOfKey(group.at("keyJwk"));
      ASSERT_EQ(jwks->status(), Status::Ok) << file;
      for (const boost::json::value& test_value : group.at("tests").as_array()) {
        const boost::json::object& test = test_value.as_object();
        expectResult(file, test, verifiesPrimitive(*jwks, *alg, test), tally);
      }
    }
    EXPECT_GT(tally.run, 250u) << file;
  }
}

// The JWK of an RSA key given as hex modulus and exponent.
boost::json::object rsaJwkFromHex(const boost::json::value& public_key) {
  return boost::json::object{
      {"kty", "RSA"},
      {"n", base64UrlEncode(hexDecode(stringOf(public_key.at("modulus"))))},
      {"e", base64UrlEncode(hexDecode(stringOf(public_key.at("publicExponent"))))}};
}

size_t hashSize(std::string_view sha) {
  if (sha == "SHA-256") {
    return 32;
  }
  if (sha == "SHA-384") {
    return 48;
  }
  if (sha == "SHA-512") {
    return 64;
  }
  return 0;
}

void runPssFile(std::string_view file, Tally& tally) {
  const boost::json::object data = vectorFile("testvectors_v1", file);
  for (const boost::json::value& group_value : data.at("testGroups").as_array()) {
    const boost::json::object& group = group_value.as_object();
    const std::string sha = stringOf(group.at("sha"));
    const auto alg = joseAlgorithm("PS", sha);
    if (!alg.has_value()) {
      // SHA-1 and SHA-224 have no PS* algorithm.
      tally.skipped += group.at("tests").as_array().size();
      continue;
    }
    const auto jwks = testing::jwksOfKey(rsaJwkFromHex(group.at("publicKey")));
    ASSERT_EQ(jwks->status(), Status::Ok) << file;
    const bool jose_parameters = stringOf(group.at("mgfSha")) == sha &&
                                 static_cast<size_t>(group.at("sLen").as_int64()) == hashSize(sha);
    for (const boost::json::value& test_value : group.at("tests").as_array()) {
      const boost::json::object& test = test_value.as_object();
      const bool accepted = verifiesPrimitive(*jwks, *alg, test);
      if (!jose_parameters) {
        // Another MGF1 hash or salt length than RFC 7518 section 3.5 fixes for the alg:
        // Portcullis refuses these signatures, valid as they are for their parameters.
        // jwt_verify_lib accepts any salt length.
        EXPECT_FALSE(accepted) << file << " tcId " << test.at("tcId").as_int64();
        ++tally.skipped;
        continue;
      }
      expectResult(file, test, accepted, tally);
    }
  }
}

TEST(WycheproofPrimitiveTest, RsaPss) {
  for (const char* file :
       {"rsa_pss_2048_sha256_mgf1_32_test.json", "rsa_pss_2048_sha384_mgf1_48_test.json",
        "rsa_pss_3072_sha256_mgf1_32_test.json", "rsa_pss_4096_sha256_mgf1_32_test.json",
        "rsa_pss_4096_sha384_mgf1_48_test.json", "rsa_pss_4096_sha512_mgf1_64_test.json"}) {
    Tally tally;
    runPssFile(file, tally);
    EXPECT_GT(tally.run, 100u) << file;
    EXPECT_EQ(tally.skipped, 0u) << file;
  }
}

TEST(WycheproofPrimitiveTest, RsaPssOtherParameters) {
  Tally tally;
  runPssFile("rsa_pss_misc_test.json", tally);
  EXPECT_EQ(tally.run + tally.skipped, 150u);
  EXPECT_GT(tally.run, 0u);
}

// The same key through PEM: the PSS and PKCS#1 files carry each key as a PEM public key too.
TEST(WycheproofPrimitiveTest, PemKeysMatchJwkKeys) {
  const boost::json::object file =
      vectorFile("testvectors_v1", "rsa_signature_2048_sha256_test.json");
  const boost::json::object& group = file.at("testGroups").as_array().at(0).as_object();
  const auto pem = Jwks::parse(stringOf(group.at("publicKeyPem")), Jwks::Format::Pem);
  ASSERT_EQ(pem->status(), Status::Ok);
  Tally tally;
  for (const boost::json::value& test_value : group.at("tests").as_array()) {
    const boost::json::object& test = test_value.as_object();
    expectResult("rsa_signature_2048_sha256_test.json", test,
                 verifiesPrimitive(*pem, "RS256", test), tally);
  }
  EXPECT_GT(tally.run, 0u);
}

}  // namespace
}  // namespace portcullis::jwt
