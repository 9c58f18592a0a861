// Token signing, key generation and JWK thumbprints (jwt/sign.h). Every token minted here is
// checked by the verifier of jwt/jwks.h, and the deterministic algorithms are checked against
// published signatures: Istio's demo token (RS256), RFC 7515 A.1 (HS256) and RFC 8037 A.4
// (EdDSA).
#include "jwt/sign.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jwt/base64url.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "test_util.h"

namespace portcullis::jwt {
namespace {

const std::vector<std::string> kAllAlgorithms = {
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512",
};

// One generated key per key type, shared by the tests: RSA generation is slow.
const SigningKey& keyFor(std::string_view alg) {
  static std::map<KeyType, SigningKey> keys;
  const KeyType type = keyTypeForAlgorithm(alg).value();
  auto it = keys.find(type);
  if (it == keys.end()) {
    SigningKey key;
    std::string error;
    if (!generateSigningKey(alg, key, error)) {
      throw std::runtime_error("cannot generate a key for " + std::string(alg) + ": " + error);
    }
    it = keys.emplace(type, std::move(key)).first;
  }
  return it->second;
}

boost::json::object headerFor(std::string_view alg, std::string_view kid = "test-key") {
  boost::json::object header;
  header["alg"] = alg;
  if (!kid.empty()) {
    header["kid"] = kid;
  }
  header["typ"] = "JWT";
  return header;
}

boost::json::object samplePayload() {
  boost::json::object payload;
  payload["iss"] = "https://issuer.example";
  payload["sub"] = "alice";
  payload["iat"] = 1700000000;
  payload["exp"] = 1700003600;
  return payload;
}

// A key set with the public key of `key`, labelled with `kid` and `alg` when not empty.
std::shared_ptr<const Jwks> jwksFor(const SigningKey& key, std::string_view kid = "test-key",
                                    std::string_view alg = {}) {
  boost::json::object jwk;
  std::string error;
  if (!publicJwk(key, jwk, error)) {
    throw std::runtime_error("publicJwk failed: " + error);
  }
  if (!kid.empty()) {
    jwk["kid"] = kid;
  }
  if (!alg.empty()) {
    jwk["alg"] = alg;
  }
  return testing::jwksOfKey(jwk);
}

std::string mint(std::string_view alg, const SigningKey& key) {
  std::string token;
  std::string error;
  if (!signJwt(headerFor(alg), samplePayload(), key, token, error)) {
    throw std::runtime_error("signJwt failed for " + std::string(alg) + ": " + error);
  }
  return token;
}

Status verifyToken(std::string_view token, const Jwks& jwks) {
  Jwt jwt;
  const Status parsed = parseJwt(token, jwt);
  if (parsed != Status::Ok) {
    return parsed;
  }
  return verifySignature(jwt, jwks);
}

const boost::json::object& rfcExample(std::string_view id) {
  static const boost::json::value examples = testing::readJson("rfc/examples.json");
  for (const auto& example : examples.at("examples").as_array()) {
    if (example.at("id").as_string() == id) {
      return example.as_object();
    }
  }
  throw std::runtime_error("no RFC example " + std::string(id));
}

std::string signingInputOf(std::string_view token) {
  return std::string(token.substr(0, token.rfind('.')));
}

std::string signatureSegmentOf(std::string_view token) {
  return std::string(token.substr(token.rfind('.') + 1));
}

TEST(SignTest, EveryAlgorithmVerifies) {
  for (const std::string& alg : kAllAlgorithms) {
    SCOPED_TRACE(alg);
    const SigningKey& key = keyFor(alg);
    const std::string token = mint(alg, key);
    EXPECT_EQ(verifyToken(token, *jwksFor(key, "test-key", alg)), Status::Ok);
  }
}

TEST(SignTest, VerifiesWithoutKidOrAlg) {
  for (const std::string& alg : kAllAlgorithms) {
    SCOPED_TRACE(alg);
    const SigningKey& key = keyFor(alg);
    EXPECT_EQ(verifyToken(mint(alg, key), *jwksFor(key, "", "")), Status::Ok);
  }
}

TEST(SignTest, ParsedClaimsMatch) {
  const std::string token = mint("ES256", keyFor("ES256"));
  Jwt jwt;
  ASSERT_EQ(parseJwt(token, jwt), Status::Ok);
  EXPECT_EQ(jwt.alg, "ES256");
  EXPECT_EQ(jwt.kid, "test-key");
  EXPECT_EQ(jwt.typ, "JWT");
  EXPECT_EQ(jwt.iss, "https://issuer.example");
  EXPECT_EQ(jwt.sub, "alice");
  EXPECT_EQ(jwt.iat, 1700000000u);
  EXPECT_EQ(jwt.exp, 1700003600u);
}

TEST(SignTest, EcdsaSignatureHasRawLength) {
  const std::map<std::string, size_t> expected = {{"ES256", 64}, {"ES384", 96}, {"ES512", 132}};
  for (const auto& [alg, length] : expected) {
    SCOPED_TRACE(alg);
    // DER signatures vary in length with the leading zeros of r and s; the raw form does not.
    std::set<size_t> lengths;
    for (int i = 0; i < 32; ++i) {
      std::string signature;
      std::string error;
      ASSERT_TRUE(signJws(alg, keyFor(alg), "input " + std::to_string(i), signature, error))
          << error;
      lengths.insert(signature.size());
    }
    EXPECT_EQ(lengths, std::set<size_t>{length});
  }
}

TEST(SignTest, FlippedSignatureBitFails) {
  for (const std::string& alg : kAllAlgorithms) {
    SCOPED_TRACE(alg);
    const SigningKey& key = keyFor(alg);
    const std::string token = mint(alg, key);
    std::string signature;
    ASSERT_TRUE(base64UrlDecode(signatureSegmentOf(token), signature));
    signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x01);
    const std::string tampered = signingInputOf(token) + "." + base64UrlEncode(signature);
    EXPECT_EQ(verifyToken(tampered, *jwksFor(key)), Status::JwtVerificationFail);
  }
}

TEST(SignTest, ChangedPayloadFails) {
  for (const std::string& alg : kAllAlgorithms) {
    SCOPED_TRACE(alg);
    const SigningKey& key = keyFor(alg);
    const std::string token = mint(alg, key);
    boost::json::object payload = samplePayload();
    payload["sub"] = "mallory";
    const std::string tampered = base64UrlEncode(boost::json::serialize(headerFor(alg))) + "." +
                                 base64UrlEncode(boost::json::serialize(payload)) + "." +
                                 signatureSegmentOf(token);
    EXPECT_EQ(verifyToken(tampered, *jwksFor(key)), Status::JwtVerificationFail);
  }
}

TEST(SignTest, OtherKeyFails) {
  for (const std::string_view alg : {"RS256", "ES256", "EdDSA", "HS256"}) {
    SCOPED_TRACE(alg);
    SigningKey other;
    std::string error;
    ASSERT_TRUE(generateSigningKey(alg, other, error)) << error;
    EXPECT_EQ(verifyToken(mint(alg, keyFor(alg)), *jwksFor(other)), Status::JwtVerificationFail);
  }
}

TEST(SignTest, KeyMustFitAlgorithm) {
  std::string signature;
  std::string error;
  EXPECT_FALSE(signJws("ES256", keyFor("ES384"), "input", signature, error));
  EXPECT_EQ(error, "ES256 needs an EC P-256 key, but the key is EC P-384");
  EXPECT_FALSE(signJws("RS256", keyFor("ES256"), "input", signature, error));
  EXPECT_FALSE(signJws("HS256", keyFor("RS256"), "input", signature, error));
  EXPECT_FALSE(signJws("EdDSA", keyFor("HS256"), "input", signature, error));
}

TEST(SignTest, UnknownAlgorithmFails) {
  std::string signature;
  std::string error;
  EXPECT_FALSE(signJws("none", keyFor("HS256"), "input", signature, error));
  EXPECT_NE(error.find("unknown algorithm \"none\""), std::string::npos) << error;
}

TEST(SignTest, HeaderWithoutAlgFails) {
  boost::json::object header;
  header["typ"] = "JWT";
  std::string token;
  std::string error;
  EXPECT_FALSE(signJwt(header, samplePayload(), keyFor("HS256"), token, error));
  EXPECT_EQ(error, "the header has no \"alg\" string");
}

TEST(SignTest, EmptyHmacSecretFails) {
  std::string signature;
  std::string error;
  EXPECT_FALSE(signJws("HS256", hmacSigningKey(""), "input", signature, error));
  EXPECT_EQ(error, "the HMAC secret is empty");
}

// RSASSA-PKCS1-v1_5 is deterministic, so re-signing the signing input of Istio's demo token
// with the published key must give the published signature.
TEST(SignTest, Rs256MatchesIstioDemoToken) {
  SigningKey key;
  std::string error;
  ASSERT_TRUE(readPrivateKeyPem(testing::readFile(testing::vectorPath("istio-samples/key.pem")),
                                key, error))
      << error;
  std::string token = testing::readFile(testing::vectorPath("istio-samples/demo.jwt"));
  token.erase(token.find_last_not_of(" \n\r\t") + 1);
  std::string signature;
  ASSERT_TRUE(signJws("RS256", key, signingInputOf(token), signature, error)) << error;
  EXPECT_EQ(base64UrlEncode(signature), signatureSegmentOf(token));
}

TEST(SignTest, Hs256MatchesRfc7515) {
  const boost::json::object& example = rfcExample("RFC7515-A.1");
  std::string secret;
  ASSERT_TRUE(base64UrlDecode(example.at("key_private_jwk").at("k").as_string().c_str(), secret));
  const std::string token(example.at("compact").as_string());
  std::string signature;
  std::string error;
  ASSERT_TRUE(signJws("HS256", hmacSigningKey(secret), signingInputOf(token), signature, error))
      << error;
  EXPECT_EQ(base64UrlEncode(signature), signatureSegmentOf(token));
}

TEST(SignTest, EdDsaMatchesRfc8037) {
  const boost::json::object& example = rfcExample("RFC8037-A.4");
  std::string seed;
  ASSERT_TRUE(base64UrlDecode(example.at("key_private_jwk").at("d").as_string().c_str(), seed));
  SigningKey key;
  key.type = KeyType::Ed25519;
  key.private_key.reset(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytesOf(seed), seed.size()));
  ASSERT_NE(key.private_key, nullptr);
  const std::string token(example.at("compact").as_string());
  std::string signature;
  std::string error;
  ASSERT_TRUE(signJws("EdDSA", key, signingInputOf(token), signature, error)) << error;
  EXPECT_EQ(base64UrlEncode(signature), signatureSegmentOf(token));
}

TEST(ThumbprintTest, Rfc7638Example) {
  const boost::json::value vector = testing::readJson("rfc7638/thumbprint.json");
  std::string thumbprint;
  std::string error;
  ASSERT_TRUE(jwkThumbprint(vector.at("jwk").as_object(), thumbprint, error)) << error;
  EXPECT_EQ(thumbprint, vector.at("thumbprint").as_string());
}

TEST(ThumbprintTest, Rfc8037Example) {
  const boost::json::object& example = rfcExample("RFC8037-A.4");
  std::string thumbprint;
  std::string error;
  ASSERT_TRUE(jwkThumbprint(example.at("key_public_jwk").as_object(), thumbprint, error)) << error;
  EXPECT_EQ(thumbprint, example.at("key_thumbprint_rfc7638").as_string());
}

TEST(ThumbprintTest, IgnoresOptionalMembers) {
  const boost::json::value vector = testing::readJson("rfc7638/thumbprint.json");
  boost::json::object bare;
  for (const char* name : {"kty", "n", "e"}) {
    bare[name] = vector.at("jwk").at(name);
  }
  std::string with_optional;
  std::string without_optional;
  std::string error;
  ASSERT_TRUE(jwkThumbprint(vector.at("jwk").as_object(), with_optional, error)) << error;
  ASSERT_TRUE(jwkThumbprint(bare, without_optional, error)) << error;
  EXPECT_EQ(with_optional, without_optional);
}

// Istio's demo key set uses the thumbprint of its key as the kid.
TEST(ThumbprintTest, IstioDemoKeyMatchesKid) {
  SigningKey key;
  std::string error;
  ASSERT_TRUE(readPrivateKeyPem(testing::readFile(testing::vectorPath("istio-samples/key.pem")),
                                key, error))
      << error;
  std::string thumbprint;
  ASSERT_TRUE(jwkThumbprint(key, thumbprint, error)) << error;
  const boost::json::value jwks = testing::readJson("istio-samples/jwks.json");
  EXPECT_EQ(thumbprint, jwks.at("keys").at(0).at("kid").as_string());
}

TEST(ThumbprintTest, MissingMemberFails) {
  boost::json::object jwk;
  jwk["kty"] = "EC";
  jwk["crv"] = "P-256";
  jwk["x"] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
  std::string thumbprint;
  std::string error;
  EXPECT_FALSE(jwkThumbprint(jwk, thumbprint, error));
  EXPECT_EQ(error, "the JWK has no \"y\" string");
}

TEST(ThumbprintTest, UnknownKtyFails) {
  boost::json::object jwk;
  jwk["kty"] = "XYZ";
  std::string thumbprint;
  std::string error;
  EXPECT_FALSE(jwkThumbprint(jwk, thumbprint, error));
  EXPECT_FALSE(error.empty());
}

TEST(ThumbprintTest, HmacUsesSecret) {
  const SigningKey key = hmacSigningKey("secret");
  boost::json::object jwk;
  jwk["kty"] = "oct";
  jwk["k"] = base64UrlEncode("secret");
  std::string from_key;
  std::string from_jwk;
  std::string error;
  ASSERT_TRUE(jwkThumbprint(key, from_key, error)) << error;
  ASSERT_TRUE(jwkThumbprint(jwk, from_jwk, error)) << error;
  EXPECT_EQ(from_key, from_jwk);
}

// publicJwk() against the independent export in test_util.h.
TEST(PublicJwkTest, MatchesIndependentExport) {
  for (const std::string_view alg : {"RS256", "ES256", "ES384", "ES512", "EdDSA"}) {
    SCOPED_TRACE(alg);
    const SigningKey& key = keyFor(alg);
    boost::json::object jwk;
    std::string error;
    ASSERT_TRUE(publicJwk(key, jwk, error)) << error;
    EXPECT_EQ(jwk, testing::publicJwk(key.private_key.get()));
  }
}

TEST(PublicJwkTest, HmacContainsSecret) {
  boost::json::object jwk;
  std::string error;
  ASSERT_TRUE(publicJwk(hmacSigningKey("secret"), jwk, error)) << error;
  EXPECT_EQ(jwk.at("kty").as_string(), "oct");
  EXPECT_EQ(jwk.at("k").as_string(), base64UrlEncode("secret"));
}

TEST(GenerateTest, KeyTypeFollowsAlgorithm) {
  for (const std::string& alg : kAllAlgorithms) {
    SCOPED_TRACE(alg);
    EXPECT_EQ(keyFor(alg).type, keyTypeForAlgorithm(alg).value());
  }
}

TEST(GenerateTest, HmacSecretIsHashLength) {
  const std::map<std::string, size_t> expected = {{"HS256", 32}, {"HS384", 48}, {"HS512", 64}};
  for (const auto& [alg, length] : expected) {
    SCOPED_TRACE(alg);
    SigningKey key;
    std::string error;
    ASSERT_TRUE(generateSigningKey(alg, key, error)) << error;
    EXPECT_EQ(key.hmac_secret.size(), length);
  }
}

TEST(GenerateTest, RsaKeyHasRequestedBits) {
  SigningKey key;
  std::string error;
  ASSERT_TRUE(generateSigningKey("PS256", key, error, 3072)) << error;
  EXPECT_EQ(EVP_PKEY_get_bits(key.private_key.get()), 3072);
}

TEST(GenerateTest, RsaBelow2048BitsFails) {
  SigningKey key;
  std::string error;
  EXPECT_FALSE(generateSigningKey("RS256", key, error, 1024));
  EXPECT_NE(error.find("at least 2048 bits"), std::string::npos) << error;
}

TEST(GenerateTest, UnknownAlgorithmFails) {
  SigningKey key;
  std::string error;
  EXPECT_FALSE(generateSigningKey("ES256K", key, error));
  EXPECT_EQ(error, "unknown algorithm \"ES256K\"");
}

TEST(KeyPemTest, RoundTripKeepsKey) {
  for (const std::string_view alg : {"RS256", "ES256", "ES384", "ES512", "EdDSA"}) {
    SCOPED_TRACE(alg);
    const SigningKey& key = keyFor(alg);
    const std::string pem = privateKeyPem(key);
    EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----")) << pem;
    SigningKey read;
    std::string error;
    ASSERT_TRUE(readPrivateKeyPem(pem, read, error)) << error;
    EXPECT_EQ(read.type, key.type);
    EXPECT_EQ(EVP_PKEY_eq(read.private_key.get(), key.private_key.get()), 1);
  }
}

TEST(KeyPemTest, HmacKeyHasNoPem) {
  EXPECT_EQ(privateKeyPem(hmacSigningKey("secret")), "");
}

TEST(KeyPemTest, ReadsPkcs1Rsa) {
  const std::string pem = testing::readFile(testing::vectorPath("istio-samples/key.pem"));
  ASSERT_TRUE(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
  SigningKey key;
  std::string error;
  ASSERT_TRUE(readPrivateKeyPem(pem, key, error)) << error;
  EXPECT_EQ(key.type, KeyType::Rsa);
}

TEST(KeyPemTest, ReadsSec1Ec) {
  const SigningKey& key = keyFor("ES384");
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key.private_key.get(), nullptr, nullptr,
                                                 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  const std::string pem(data, static_cast<size_t>(size));
  ASSERT_TRUE(pem.starts_with("-----BEGIN EC PRIVATE KEY-----")) << pem;
  SigningKey read;
  std::string error;
  ASSERT_TRUE(readPrivateKeyPem(pem, read, error)) << error;
  EXPECT_EQ(read.type, KeyType::EcP384);
}

TEST(KeyPemTest, RejectsEncryptedKey) {
  const SigningKey& key = keyFor("ES256");
  BioPtr bio(BIO_new(BIO_s_mem()));
  const std::string passphrase = "passphrase";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.private_key.get(), EVP_aes_256_cbc(),
                                          passphrase.data(), static_cast<int>(passphrase.size()),
                                          nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  SigningKey read;
  std::string error;
  EXPECT_FALSE(readPrivateKeyPem(std::string(data, static_cast<size_t>(size)), read, error));
  EXPECT_NE(error.find("no unencrypted private key"), std::string::npos) << error;
}

TEST(KeyPemTest, RejectsPublicKey) {
  const std::string pem = testing::pemOfPublicKey(keyFor("ES256").private_key.get());
  SigningKey read;
  std::string error;
  EXPECT_FALSE(readPrivateKeyPem(pem, read, error));
  EXPECT_NE(error.find("no unencrypted private key"), std::string::npos) << error;
}

TEST(KeyPemTest, RejectsOtherCurve) {
  EvpPkeyPtr secp256k1 = testing::generateEcKey("secp256k1");
  ASSERT_NE(secp256k1, nullptr);
  SigningKey other;
  other.type = KeyType::EcP256;
  other.private_key = std::move(secp256k1);
  SigningKey read;
  std::string error;
  EXPECT_FALSE(readPrivateKeyPem(privateKeyPem(other), read, error));
  EXPECT_NE(error.find("not on P-256, P-384 or P-521"), std::string::npos) << error;
}

}  // namespace
}  // namespace portcullis::jwt
