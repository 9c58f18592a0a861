#include "jwt/jwks.h"

#include <string>

#include <gtest/gtest.h>

#include "jwt/key_builder.h"
#include "test_util.h"

namespace portcullis::jwt {
namespace {

using testing::jwksText;
using testing::pemOfPublicKey;
using testing::publicJwk;

// A valid P-256 point (jwt_verify_lib's test key).
constexpr std::string_view kP256X = "EB54wykhS7YJFD6RYJNnwbWEz3cI7CF5bCDTXlrwI5k";
constexpr std::string_view kP256Y = "92bCBTvMFQ8lKbS2MbgjT3YfmYo6HnPEE2tsAqWUJw8";
constexpr std::string_view kEd25519X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

Status statusOf(std::string_view text, Jwks::Format format = Jwks::Format::Jwks) {
  return Jwks::parse(text, format)->status();
}

// Status of a set holding the single JWK `key_json`.
Status keyStatus(std::string_view key_json) {
  return statusOf(std::string(R"({"keys":[)") + std::string(key_json) + "]}");
}

std::string ecKey(std::string_view extra) {
  return std::string(R"({"kty":"EC","x":")") + std::string(kP256X) + R"(","y":")" +
         std::string(kP256Y) + "\"" + std::string(extra) + "}";
}

const EVP_PKEY* rsaTestKey() {
  static const EvpPkeyPtr key = testing::generateRsaKey();
  return key.get();
}

std::string rsaMember(const char* name) {
  return boost::json::serialize(publicJwk(rsaTestKey()).at(name));
}

TEST(JwksParseTest, DocumentStatuses) {
  EXPECT_EQ(statusOf(""), Status::JwksParseError);
  EXPECT_EQ(statusOf("{"), Status::JwksParseError);
  EXPECT_EQ(statusOf("[]"), Status::JwksParseError);
  EXPECT_EQ(statusOf("{}"), Status::JwksNoKeys);
  EXPECT_EQ(statusOf(R"({"kid1":"pubkey1"})"), Status::JwksNoKeys);
  EXPECT_EQ(statusOf(R"({"keys":{}})"), Status::JwksBadKeys);
  EXPECT_EQ(statusOf(R"({"keys":"x"})"), Status::JwksBadKeys);
  EXPECT_EQ(statusOf(R"({"keys":[]})"), Status::JwksNoValidKeys);
}

// Members of "keys" that are not objects are skipped without a status.
TEST(JwksParseTest, NonObjectKeysIgnored) {
  const auto jwks = Jwks::parse(R"({"keys":[1,"x",null,[]]})");
  EXPECT_EQ(jwks->status(), Status::JwksNoValidKeys);
  EXPECT_TRUE(jwks->skipped().empty());
}

TEST(JwksParseTest, KtyStatuses) {
  EXPECT_EQ(keyStatus(R"({"kid":"a"})"), Status::JwksMissingKty);
  EXPECT_EQ(keyStatus(R"({"kty":1})"), Status::JwksBadKty);
  EXPECT_EQ(keyStatus(R"({"kty":"DSA"})"), Status::JwksNotImplementedKty);
  EXPECT_EQ(keyStatus(R"({"kty":"ec"})"), Status::JwksNotImplementedKty);
}

TEST(JwksParseTest, RsaKey) {
  const auto jwks = Jwks::parse(jwksText({publicJwk(rsaTestKey(), "r1", "RS256")}));
  ASSERT_EQ(jwks->status(), Status::Ok);
  ASSERT_EQ(jwks->keys().size(), 1u);
  const Jwk& key = jwks->keys()[0];
  EXPECT_EQ(key.kid, "r1");
  EXPECT_EQ(key.alg, "RS256");
  EXPECT_EQ(key.kty, "RSA");
  EXPECT_EQ(key.type, KeyType::Rsa);
  EXPECT_NE(key.public_key, nullptr);
}

TEST(JwksParseTest, RsaStatuses) {
  const std::string n = rsaMember("n");
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","alg":"ES256","n":)" + n + R"(,"e":"AQAB"})"),
            Status::JwksRSAKeyBadAlg);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","alg":"R","n":)" + n + R"(,"e":"AQAB"})"),
            Status::JwksRSAKeyBadAlg);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","e":"AQAB"})"), Status::JwksRSAKeyMissingN);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":1,"e":"AQAB"})"), Status::JwksRSAKeyBadN);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":)" + n + "}"), Status::JwksRSAKeyMissingE);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":)" + n + R"(,"e":65537})"), Status::JwksRSAKeyBadE);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":"!!","e":"AQAB"})"), Status::JwksRsaParseError);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":)" + n + R"(,"e":"+"})"), Status::JwksRsaParseError);
}

// jwt_verify_lib accepts only e = 3 or e = 65537 in a JWK.
TEST(JwksParseTest, RsaExponents) {
  const std::string n = rsaMember("n");
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":)" + n + R"(,"e":"Aw"})"), Status::Ok);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":)" + n + R"(,"e":"AAEAAQ"})"), Status::Ok);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":)" + n + R"(,"e":"AQ"})"), Status::JwksRsaParseError);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":)" + n + R"(,"e":"BQ"})"), Status::JwksRsaParseError);
}

// A modulus that BoringSSL would refuse to verify with (even, or empty) is rejected on load.
TEST(JwksParseTest, RsaUnusableModulus) {
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","n":"","e":"AQAB"})"), Status::JwksRsaParseError);
  EXPECT_EQ(
      keyStatus(R"({"kty":"RSA","n":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ","e":"AQAB"})"),
      Status::JwksRsaParseError);
}

// An RSA key may carry a PS* alg, and any alg starting with RS, as in jwt_verify_lib.
TEST(JwksParseTest, RsaAlgPrefixes) {
  const std::string n = rsaMember("n");
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","alg":"PS384","n":)" + n + R"(,"e":"AQAB"})"), Status::Ok);
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","alg":"RSA-OAEP","n":)" + n + R"(,"e":"AQAB"})"), Status::Ok);
}

TEST(JwksParseTest, EcKey) {
  const auto jwks =
      Jwks::parse(std::string(R"({"keys":[)") + ecKey(R"(,"crv":"P-256","kid":"e")") + "]}");
  ASSERT_EQ(jwks->status(), Status::Ok);
  const Jwk& key = jwks->keys()[0];
  EXPECT_EQ(key.kty, "EC");
  EXPECT_EQ(key.crv, "P-256");
  EXPECT_EQ(key.type, KeyType::EcP256);
  EXPECT_EQ(key.kid, "e");
}

// Without crv and alg the curve defaults to P-256; with alg only, alg names it.
TEST(JwksParseTest, EcCurveDefaults) {
  const auto no_crv = Jwks::parse(std::string(R"({"keys":[)") + ecKey("") + "]}");
  ASSERT_EQ(no_crv->status(), Status::Ok);
  EXPECT_EQ(no_crv->keys()[0].crv, "P-256");
  const auto alg_only =
      Jwks::parse(std::string(R"({"keys":[)") + ecKey(R"(,"alg":"ES256")") + "]}");
  ASSERT_EQ(alg_only->status(), Status::Ok);
  EXPECT_EQ(alg_only->keys()[0].crv, "P-256");
}

TEST(JwksParseTest, EcStatuses) {
  EXPECT_EQ(keyStatus(ecKey(R"(,"alg":"RS256")")), Status::JwksECKeyBadAlg);
  EXPECT_EQ(keyStatus(ecKey(R"(,"crv":256)")), Status::JwksECKeyBadCrv);
  EXPECT_EQ(keyStatus(ecKey(R"(,"alg":"ES384","crv":"P-256")")),
            Status::JwksECKeyAlgNotCompatibleWithCrv);
  EXPECT_EQ(keyStatus(ecKey(R"(,"alg":"ES1024")")), Status::JwksECKeyAlgOrCrvUnsupported);
  EXPECT_EQ(keyStatus(ecKey(R"(,"crv":"secp256k1")")), Status::JwksECKeyAlgOrCrvUnsupported);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","y":"AA"})"), Status::JwksECKeyMissingX);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","x":1,"y":"AA"})"), Status::JwksECKeyBadX);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","x":"AA"})"), Status::JwksECKeyMissingY);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","x":"AA","y":[]})"), Status::JwksECKeyBadY);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","x":"A","y":"AA"})"), Status::JwksEcXorYBadBase64);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","x":"AA","y":"AA"})"), Status::JwksEcParseError);
}

// The point must be on the curve the key names.
TEST(JwksParseTest, EcPointOnWrongCurve) {
  EXPECT_EQ(keyStatus(ecKey(R"(,"crv":"P-384")")), Status::JwksEcParseError);
}

// Leading zero bytes in a coordinate are ignored; a longer coordinate is an error.
TEST(JwksParseTest, EcCoordinateLength) {
  std::string x;
  ASSERT_TRUE(base64UrlDecode(kP256X, x));
  const std::string padded = base64UrlEncode(std::string(2, '\0') + x);
  const std::string longer = base64UrlEncode(std::string(1, '\x01') + x);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","x":")" + padded + R"(","y":")" + std::string(kP256Y) + "\"}"),
            Status::Ok);
  EXPECT_EQ(keyStatus(R"({"kty":"EC","x":")" + longer + R"(","y":")" + std::string(kP256Y) + "\"}"),
            Status::JwksEcParseError);
}

TEST(JwksParseTest, OctKey) {
  const auto jwks = Jwks::parse(R"({"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS384"}]})");
  ASSERT_EQ(jwks->status(), Status::Ok);
  EXPECT_EQ(jwks->keys()[0].hmac_secret, "secret");
  EXPECT_EQ(jwks->keys()[0].type, KeyType::Hmac);
}

TEST(JwksParseTest, OctStatuses) {
  EXPECT_EQ(keyStatus(R"({"kty":"oct","alg":"A256GCM","k":"c2VjcmV0"})"),
            Status::JwksHMACKeyBadAlg);
  EXPECT_EQ(keyStatus(R"({"kty":"oct","alg":"HS"})"), Status::JwksHMACKeyBadAlg);
  EXPECT_EQ(keyStatus(R"({"kty":"oct"})"), Status::JwksHMACKeyMissingK);
  EXPECT_EQ(keyStatus(R"({"kty":"oct","k":{}})"), Status::JwksHMACKeyBadK);
  EXPECT_EQ(keyStatus(R"({"kty":"oct","k":"a+b"})"), Status::JwksOctBadBase64);
  EXPECT_EQ(keyStatus(R"({"kty":"oct","k":""})"), Status::JwksOctBadBase64);
}

TEST(JwksParseTest, OkpKey) {
  const auto jwks = Jwks::parse(std::string(R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":")") +
                                std::string(kEd25519X) + R"("}]})");
  ASSERT_EQ(jwks->status(), Status::Ok);
  EXPECT_EQ(jwks->keys()[0].type, KeyType::Ed25519);
  EXPECT_EQ(jwks->keys()[0].crv, "Ed25519");
}

TEST(JwksParseTest, OkpStatuses) {
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","alg":"ES256","crv":"Ed25519","x":"AA"})"),
            Status::JwksOKPKeyBadAlg);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","x":"AA"})"), Status::JwksOKPKeyMissingCrv);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","crv":1,"x":"AA"})"), Status::JwksOKPKeyBadCrv);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","crv":"X25519","x":"AA"})"),
            Status::JwksOKPKeyCrvUnsupported);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","crv":"Ed448","x":"AA"})"), Status::JwksOKPKeyCrvUnsupported);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","crv":"Ed25519"})"), Status::JwksOKPKeyMissingX);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","crv":"Ed25519","x":true})"), Status::JwksOKPKeyBadX);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","crv":"Ed25519","x":"!"})"), Status::JwksOKPXBadBase64);
  EXPECT_EQ(keyStatus(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})"), Status::JwksOKPXWrongLength);
}

// kid, alg and use of another type than string are ignored, as jwt_verify_lib ignores them.
TEST(JwksParseTest, NonStringOptionalMembersIgnored) {
  const auto jwks =
      Jwks::parse(std::string(R"({"keys":[)") + ecKey(R"(,"kid":5,"alg":null,"use":[])") + "]}");
  ASSERT_EQ(jwks->status(), Status::Ok);
  EXPECT_TRUE(jwks->keys()[0].kid.empty());
  EXPECT_TRUE(jwks->keys()[0].alg.empty());
  EXPECT_TRUE(jwks->keys()[0].use.empty());
}

TEST(JwksParseTest, KeepsUse) {
  const auto jwks = Jwks::parse(std::string(R"({"keys":[)") + ecKey(R"(,"use":"sig")") + "]}");
  ASSERT_EQ(jwks->status(), Status::Ok);
  EXPECT_EQ(jwks->keys()[0].use, "sig");
}

TEST(JwksParseTest, InvalidKeySkipped) {
  const auto jwks =
      Jwks::parse(std::string(R"({"keys":[{"kty":"OKP","crv":"X25519","x":"AA","kid":"two"},)") +
                  ecKey(R"(,"kid":"three")") + "]}");
  ASSERT_EQ(jwks->status(), Status::Ok);
  ASSERT_EQ(jwks->keys().size(), 1u);
  EXPECT_EQ(jwks->keys()[0].kid, "three");
  ASSERT_EQ(jwks->skipped().size(), 1u);
  EXPECT_EQ(jwks->skipped()[0].kid, "two");
  EXPECT_EQ(jwks->skipped()[0].status, Status::JwksOKPKeyCrvUnsupported);
}

// With no valid key, the set takes the status of the first invalid one.
TEST(JwksParseTest, FirstFailureWins) {
  const auto jwks =
      Jwks::parse(R"({"keys":[{"kty":"oct","k":""},{"kty":"RSA"},{"kty":"EC","crv":"P-1024"}]})");
  EXPECT_EQ(jwks->status(), Status::JwksOctBadBase64);
  ASSERT_EQ(jwks->skipped().size(), 3u);
  EXPECT_EQ(jwks->skipped()[1].status, Status::JwksRSAKeyMissingN);
  EXPECT_EQ(jwks->skipped()[2].status, Status::JwksECKeyAlgOrCrvUnsupported);
}

// An "x5c" chain does not stand in for "n" and "e", as under jwt_verify_lib.
TEST(JwksParseTest, X5cIgnored) {
  EvpPkeyPtr key = testing::generateRsaKey();
  std::string certificate = testing::selfSignedCertificatePem(key.get());
  const size_t begin = certificate.find('\n') + 1;
  const size_t end = certificate.find("-----END");
  std::string der_base64 = certificate.substr(begin, end - begin);
  std::erase(der_base64, '\n');
  EXPECT_EQ(keyStatus(R"({"kty":"RSA","x5c":[")" + der_base64 + R"("]})"),
            Status::JwksRSAKeyMissingN);
}

TEST(JwksParseTest, PrivateMembersIgnored) {
  EXPECT_EQ(keyStatus(ecKey(R"(,"d":"yy49oPcINGK2ps0LmtxpB6UTEOiITghHBif6wDqmJ3c")")), Status::Ok);
}

TEST(JwksParseTest, TrailingCommaAccepted) {
  EXPECT_EQ(statusOf(std::string(R"({"keys":[)") + ecKey(",") + ",],}"), Status::Ok);
}

TEST(JwksPemTest, RsaKey) {
  const auto jwks =
      Jwks::parse(pemOfPublicKey(const_cast<EVP_PKEY*>(rsaTestKey())), Jwks::Format::Pem);
  ASSERT_EQ(jwks->status(), Status::Ok);
  ASSERT_EQ(jwks->keys().size(), 1u);
  EXPECT_EQ(jwks->keys()[0].kty, "RSA");
  EXPECT_EQ(jwks->keys()[0].type, KeyType::Rsa);
  EXPECT_TRUE(jwks->keys()[0].kid.empty());
  EXPECT_TRUE(jwks->keys()[0].alg.empty());
}

TEST(JwksPemTest, EcKeys) {
  const struct {
    const char* curve;
    KeyType type;
    const char* crv;
  } cases[] = {{"P-256", KeyType::EcP256, "P-256"},
               {"P-384", KeyType::EcP384, "P-384"},
               {"P-521", KeyType::EcP521, "P-521"}};
  for (const auto& c : cases) {
    EvpPkeyPtr key = testing::generateEcKey(c.curve);
    const auto jwks = Jwks::parse(pemOfPublicKey(key.get()), Jwks::Format::Pem);
    ASSERT_EQ(jwks->status(), Status::Ok) << c.curve;
    EXPECT_EQ(jwks->keys()[0].type, c.type) << c.curve;
    EXPECT_EQ(jwks->keys()[0].crv, c.crv) << c.curve;
    EXPECT_EQ(jwks->keys()[0].kty, "EC") << c.curve;
  }
}

TEST(JwksPemTest, Ed25519Key) {
  EvpPkeyPtr key = testing::generateEd25519Key();
  const auto jwks = Jwks::parse(pemOfPublicKey(key.get()), Jwks::Format::Pem);
  ASSERT_EQ(jwks->status(), Status::Ok);
  EXPECT_EQ(jwks->keys()[0].type, KeyType::Ed25519);
  EXPECT_EQ(jwks->keys()[0].kty, "OKP");
  EXPECT_EQ(jwks->keys()[0].crv, "Ed25519");
}

TEST(JwksPemTest, BadInput) {
  EXPECT_EQ(statusOf("", Jwks::Format::Pem), Status::JwksPemBadBase64);
  EXPECT_EQ(statusOf("-----BEGIN PUBLIC KEY-----\nbad-pub-key\n-----END PUBLIC KEY-----\n",
                     Jwks::Format::Pem),
            Status::JwksPemBadBase64);
  EXPECT_EQ(
      statusOf("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", Jwks::Format::Pem),
      Status::JwksPemBadBase64);
}

// Only a "PUBLIC KEY" block counts; "RSA PUBLIC KEY" (PKCS#1) is not read.
TEST(JwksPemTest, OtherLabelsRejected) {
  std::string pem = pemOfPublicKey(const_cast<EVP_PKEY*>(rsaTestKey()));
  std::string relabelled = pem;
  relabelled.replace(relabelled.find("PUBLIC KEY"), 10, "RSA PUBLIC KEY");
  relabelled.replace(relabelled.rfind("PUBLIC KEY"), 10, "RSA PUBLIC KEY");
  EXPECT_EQ(statusOf(relabelled, Jwks::Format::Pem), Status::JwksPemBadBase64);
}

TEST(JwksPemTest, UnsupportedKeyTypes) {
  EvpPkeyPtr x25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  EXPECT_EQ(statusOf(pemOfPublicKey(x25519.get()), Jwks::Format::Pem),
            Status::JwksPemNotImplementedKty);
  EvpPkeyPtr secp256k1 = testing::generateEcKey("secp256k1");
  EXPECT_EQ(statusOf(pemOfPublicKey(secp256k1.get()), Jwks::Format::Pem),
            Status::JwksPemNotImplementedKty);
}

TEST(JwksX509Test, CertificateMap) {
  EvpPkeyPtr key = testing::generateRsaKey();
  boost::json::object document;
  document["kid-a"] = testing::selfSignedCertificatePem(key.get());
  const auto jwks = Jwks::parse(boost::json::serialize(document));
  ASSERT_EQ(jwks->status(), Status::Ok);
  ASSERT_EQ(jwks->keys().size(), 1u);
  EXPECT_EQ(jwks->keys()[0].kid, "kid-a");
  EXPECT_EQ(jwks->keys()[0].kty, "RSA");
  EXPECT_EQ(jwks->keys()[0].type, KeyType::Rsa);
}

// As under jwt_verify_lib, only RSA certificates are read from the map.
TEST(JwksX509Test, EcCertificateRejected) {
  EvpPkeyPtr key = testing::generateEcKey("P-256");
  boost::json::object document;
  document["kid-a"] = testing::selfSignedCertificatePem(key.get());
  EXPECT_EQ(statusOf(boost::json::serialize(document)), Status::JwksX509GetPubkeyError);
}

TEST(JwksX509Test, BadCertificate) {
  EXPECT_EQ(
      statusOf(R"({"kid1":"-----BEGIN CERTIFICATE-----\nwrong\n-----END CERTIFICATE-----\n"})"),
      Status::JwksX509ParseError);
}

// jwt_verify_lib fails the whole map on one bad certificate; Portcullis skips it.
TEST(JwksX509Test, BadCertificateSkipped) {
  EvpPkeyPtr key = testing::generateRsaKey();
  boost::json::object document;
  document["bad"] = "-----BEGIN CERTIFICATE-----\nwrong\n-----END CERTIFICATE-----\n";
  document["good"] = testing::selfSignedCertificatePem(key.get());
  const auto jwks = Jwks::parse(boost::json::serialize(document));
  ASSERT_EQ(jwks->status(), Status::Ok);
  ASSERT_EQ(jwks->keys().size(), 1u);
  EXPECT_EQ(jwks->keys()[0].kid, "good");
  ASSERT_EQ(jwks->skipped().size(), 1u);
  EXPECT_EQ(jwks->skipped()[0].kid, "bad");
  EXPECT_EQ(jwks->skipped()[0].status, Status::JwksX509ParseError);
}

TEST(JwksX509Test, NotAMap) {
  EXPECT_EQ(statusOf(R"({"kid1":"pubkey1","kid2":true})"), Status::JwksNoKeys);
  EXPECT_EQ(statusOf(R"({"":"-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"})"),
            Status::JwksNoKeys);
  EXPECT_EQ(statusOf(R"({"kid1":"-----BEGIN CERTIFICATE-----\nx"})"), Status::JwksNoKeys);
}

TEST(JwksBuilderTest, PemWithKidAndAlg) {
  EvpPkeyPtr key = testing::generateEcKey("P-256");
  JwksBuilder builder;
  ASSERT_EQ(builder.addPem(pemOfPublicKey(key.get()), "kid1", "ES256"), Status::Ok);
  const auto jwks = builder.build();
  ASSERT_EQ(jwks->status(), Status::Ok);
  EXPECT_EQ(jwks->keys()[0].kid, "kid1");
  EXPECT_EQ(jwks->keys()[0].alg, "ES256");
  EXPECT_EQ(jwks->keys()[0].crv, "P-256");
}

TEST(JwksBuilderTest, FailedAddKeepsSet) {
  EvpPkeyPtr key = testing::generateEcKey("P-256");
  JwksBuilder builder;
  ASSERT_EQ(builder.addPem(pemOfPublicKey(key.get()), "kid1", "ES256"), Status::Ok);
  EXPECT_EQ(builder.addPem("-----BEGIN PUBLIC KEY-----\nbad\n-----END PUBLIC KEY-----\n", "kid2"),
            Status::JwksPemBadBase64);
  const auto jwks = builder.build();
  EXPECT_EQ(jwks->status(), Status::Ok);
  EXPECT_EQ(jwks->keys().size(), 1u);
  ASSERT_EQ(jwks->skipped().size(), 1u);
  EXPECT_EQ(jwks->skipped()[0].kid, "kid2");
}

TEST(JwksBuilderTest, MergesDocuments) {
  JwksBuilder builder;
  EXPECT_EQ(builder.addJwks(std::string(R"({"keys":[)") + ecKey(R"(,"kid":"a")") + "]}"),
            Status::Ok);
  EXPECT_EQ(builder.addJwks("{}"), Status::JwksNoKeys);
  EXPECT_EQ(builder.addJwks(std::string(R"({"keys":[)") + ecKey(R"(,"kid":"b")") + "]}"),
            Status::Ok);
  const auto jwks = builder.build();
  ASSERT_EQ(jwks->status(), Status::Ok);
  ASSERT_EQ(jwks->keys().size(), 2u);
  EXPECT_EQ(jwks->keys()[1].kid, "b");
}

TEST(JwksBuilderTest, EmptyBuild) {
  JwksBuilder builder;
  EXPECT_EQ(builder.build()->status(), Status::JwksNoValidKeys);
}

TEST(JwksBuilderTest, FirstFailureAcrossDocuments) {
  JwksBuilder builder;
  EXPECT_EQ(builder.addJwks("nope"), Status::JwksParseError);
  EXPECT_EQ(builder.addJwks(R"({"keys":[{"kty":"RSA"}]})"), Status::JwksRSAKeyMissingN);
  EXPECT_EQ(builder.build()->status(), Status::JwksParseError);
}

TEST(JwksBuilderTest, BuildResetsBuilder) {
  JwksBuilder builder;
  EXPECT_EQ(builder.addJwks(std::string(R"({"keys":[)") + ecKey("") + "]}"), Status::Ok);
  EXPECT_EQ(builder.build()->keys().size(), 1u);
  const auto second = builder.build();
  EXPECT_TRUE(second->keys().empty());
  EXPECT_EQ(second->status(), Status::JwksNoValidKeys);
}

TEST(JwksBuilderTest, KeysEditable) {
  JwksBuilder builder;
  ASSERT_EQ(builder.addJwks(std::string(R"({"keys":[)") + ecKey("") + "]}"), Status::Ok);
  builder.keys()[0].alg = "ES256";
  EXPECT_EQ(builder.build()->keys()[0].alg, "ES256");
}

TEST(JwksDefaultTest, EmptyObject) {
  const Jwks jwks;
  EXPECT_EQ(jwks.status(), Status::Ok);
  EXPECT_TRUE(jwks.keys().empty());
}

TEST(KeyBuilderTest, EcCreateKeyFail) {
  EvpPkeyPtr key;
  EXPECT_EQ(buildEcKey(KeyType::Rsa, kP256X, kP256Y, key), Status::JwksEcCreateKeyFail);
  EXPECT_EQ(key, nullptr);
}

TEST(KeyBuilderTest, CoordinateSizes) {
  EXPECT_EQ(ecCoordinateSize(KeyType::EcP256), 32u);
  EXPECT_EQ(ecCoordinateSize(KeyType::EcP384), 48u);
  EXPECT_EQ(ecCoordinateSize(KeyType::EcP521), 66u);
  EXPECT_EQ(ecCoordinateSize(KeyType::Rsa), 0u);
}

TEST(KeyBuilderTest, LeavesErrorQueueEmpty) {
  EvpPkeyPtr key;
  EXPECT_EQ(buildEcKey(KeyType::EcP256, "AA", "AA", key), Status::JwksEcParseError);
  EXPECT_EQ(ERR_peek_error(), 0u);
  Jwk jwk;
  EXPECT_EQ(parsePemPublicKey("garbage", jwk), Status::JwksPemBadBase64);
  EXPECT_EQ(ERR_peek_error(), 0u);
  EXPECT_EQ(parseX509Certificate("garbage", key), Status::JwksX509ParseError);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace portcullis::jwt
