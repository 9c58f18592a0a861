#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "test_util.h"

namespace portcullis::jwt {
namespace {

using testing::jwksText;
using testing::makeToken;
using testing::publicJwk;
using testing::signWith;

struct TestKeys {
  EvpPkeyPtr rsa = testing::generateRsaKey();
  EvpPkeyPtr other_rsa = testing::generateRsaKey();
  EvpPkeyPtr p256 = testing::generateEcKey("P-256");
  EvpPkeyPtr p384 = testing::generateEcKey("P-384");
  EvpPkeyPtr p521 = testing::generateEcKey("P-521");
  EvpPkeyPtr ed25519 = testing::generateEd25519Key();
};

const TestKeys& keys() {
  static const TestKeys instance;
  return instance;
}

EVP_PKEY* keyFor(std::string_view alg) {
  const TestKeys& k = keys();
  if (alg.starts_with("RS") || alg.starts_with("PS"))
    return k.rsa.get();
  if (alg == "ES256")
    return k.p256.get();
  if (alg == "ES384")
    return k.p384.get();
  if (alg == "ES512")
    return k.p521.get();
  return k.ed25519.get();
}

// A parsed token for `alg`, signed with the matching test key (or `secret` for HS*).
Jwt signedJwt(std::string_view alg, std::string_view kid = {}, EVP_PKEY* key = nullptr,
              std::string_view secret = "0123456789abcdef0123456789abcdef") {
  boost::json::object header{{"alg", alg}};
  if (!kid.empty()) {
    header["kid"] = kid;
  }
  const boost::json::object payload{{"iss", "issuer"}, {"sub", "subject"}};
  EVP_PKEY* signing_key = key != nullptr ? key : keyFor(alg);
  const std::string token = makeToken(header, payload, [&](const std::string& input) {
    return alg.starts_with("HS") ? testing::hmacWith(secret, alg, input)
                                 : signWith(signing_key, alg, input);
  });
  Jwt jwt;
  EXPECT_EQ(parseJwt(token, jwt), Status::Ok);
  return jwt;
}

std::shared_ptr<const Jwks> setOf(std::initializer_list<boost::json::object> jwks) {
  auto set = Jwks::parse(jwksText(jwks));
  EXPECT_EQ(set->status(), Status::Ok);
  return set;
}

boost::json::object octJwk(std::string_view secret, std::string_view kid = {},
                           std::string_view alg = {}) {
  boost::json::object jwk{{"kty", "oct"}, {"k", base64UrlEncode(secret)}};
  if (!kid.empty())
    jwk["kid"] = kid;
  if (!alg.empty())
    jwk["alg"] = alg;
  return jwk;
}

TEST(VerifySignatureTest, EveryAlgorithm) {
  for (const char* alg :
       {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}) {
    const auto jwks = setOf({publicJwk(keyFor(alg))});
    EXPECT_EQ(verifySignature(signedJwt(alg), *jwks), Status::Ok) << alg;
  }
  for (const char* alg : {"HS256", "HS384", "HS512"}) {
    const auto jwks = setOf({octJwk("0123456789abcdef0123456789abcdef")});
    EXPECT_EQ(verifySignature(signedJwt(alg), *jwks), Status::Ok) << alg;
  }
}

TEST(VerifySignatureTest, WrongKeyFails) {
  const auto jwks = setOf({publicJwk(keys().other_rsa.get())});
  EXPECT_EQ(verifySignature(signedJwt("RS256"), *jwks), Status::JwtVerificationFail);
}

TEST(VerifySignatureTest, ModifiedPayloadFails) {
  const auto jwks = setOf({publicJwk(keys().rsa.get())});
  Jwt jwt = signedJwt("RS256");
  jwt.signing_input.back() ^= 1;
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail);
}

TEST(VerifySignatureTest, HmacWrongSecretFails) {
  const auto jwks = setOf({octJwk("another secret")});
  EXPECT_EQ(verifySignature(signedJwt("HS256"), *jwks), Status::JwtVerificationFail);
}

TEST(VerifySignatureTest, HmacTruncatedMacFails) {
  const auto jwks = setOf({octJwk("0123456789abcdef0123456789abcdef")});
  Jwt jwt = signedJwt("HS256");
  jwt.signature.pop_back();
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail);
}

// Key selection: a key with another kid is skipped only when the token has a kid too.
TEST(VerifySignatureTest, KidSelection) {
  const auto jwks = setOf({publicJwk(keys().rsa.get(), "a")});
  EXPECT_EQ(verifySignature(signedJwt("RS256", "a"), *jwks), Status::Ok);
  EXPECT_EQ(verifySignature(signedJwt("RS256", "b"), *jwks), Status::JwksKidAlgMismatch);
  EXPECT_EQ(verifySignature(signedJwt("RS256"), *jwks), Status::Ok);
  const auto no_kid = setOf({publicJwk(keys().rsa.get())});
  EXPECT_EQ(verifySignature(signedJwt("RS256", "b"), *no_kid), Status::Ok);
}

TEST(VerifySignatureTest, AlgSelection) {
  const auto jwks = setOf({publicJwk(keys().rsa.get(), "", "RS384")});
  EXPECT_EQ(verifySignature(signedJwt("RS256"), *jwks), Status::JwksKidAlgMismatch);
  EXPECT_EQ(verifySignature(signedJwt("RS384"), *jwks), Status::Ok);
}

TEST(VerifySignatureTest, TriesEveryCandidate) {
  const auto jwks = setOf({publicJwk(keys().other_rsa.get(), "x"), publicJwk(keys().p256.get()),
                           publicJwk(keys().rsa.get(), "x")});
  EXPECT_EQ(verifySignature(signedJwt("RS256", "x"), *jwks), Status::Ok);
}

TEST(VerifySignatureTest, EmptySet) {
  const Jwks empty;
  EXPECT_EQ(verifySignature(signedJwt("RS256"), empty), Status::JwksKidAlgMismatch);
}

// An HS token never verifies against an RSA key, even when the attacker uses the public key
// bytes as the HMAC secret (algorithm confusion). The key was selected, so the status is
// JwtVerificationFail, as under jwt_verify_lib.
TEST(VerifySignatureTest, HmacTokenAgainstRsaKey) {
  const std::string public_pem = testing::pemOfPublicKey(keys().rsa.get());
  const auto jwks = setOf({publicJwk(keys().rsa.get())});
  EXPECT_EQ(verifySignature(signedJwt("HS256", {}, nullptr, public_pem), *jwks),
            Status::JwtVerificationFail);
}

TEST(VerifySignatureTest, HmacTokenAgainstEcKey) {
  const auto jwks = setOf({publicJwk(keys().p256.get())});
  EXPECT_EQ(verifySignature(signedJwt("HS256"), *jwks), Status::JwtVerificationFail);
}

TEST(VerifySignatureTest, RsaTokenAgainstHmacKey) {
  const auto jwks = setOf({octJwk("0123456789abcdef0123456789abcdef")});
  EXPECT_EQ(verifySignature(signedJwt("RS256"), *jwks), Status::JwtVerificationFail);
}

// The curve must match the algorithm: jwt_verify_lib would hash an ES384 token with SHA-384
// and check it against a P-256 key; Portcullis refuses the pair.
TEST(VerifySignatureTest, CurveMustMatchAlgorithm) {
  const std::string input = "e30.e30";
  Jwt jwt;
  jwt.alg = "ES384";
  jwt.signing_input = input;
  // A P-256 signature over the SHA-384 digest, laid out as r || s.
  {
    EvpMdCtxPtr context(EVP_MD_CTX_new());
    ASSERT_EQ(EVP_DigestSignInit(context.get(), nullptr, EVP_sha384(), nullptr, keys().p256.get()),
              1);
    size_t size = 0;
    EVP_DigestSign(context.get(), nullptr, &size, bytesOf(input), input.size());
    std::string der(size, '\0');
    ASSERT_EQ(EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(der.data()), &size,
                             bytesOf(input), input.size()),
              1);
    const unsigned char* cursor = bytesOf(der);
    EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(size)));
    jwt.signature.assign(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(parsed.get()),
                 reinterpret_cast<unsigned char*>(jwt.signature.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(parsed.get()),
                 reinterpret_cast<unsigned char*>(jwt.signature.data() + 32), 32);
  }
  const auto jwks = setOf({publicJwk(keys().p256.get())});
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail);
}

TEST(VerifySignatureTest, EcdsaWrongLengthFails) {
  const auto jwks = setOf({publicJwk(keys().p256.get())});
  Jwt jwt = signedJwt("ES256");
  ASSERT_EQ(jwt.signature.size(), 64u);
  Jwt longer = jwt;
  longer.signature.insert(0, 1, '\0');
  EXPECT_EQ(verifySignature(longer, *jwks), Status::JwtVerificationFail);
  Jwt shorter = jwt;
  shorter.signature.pop_back();
  EXPECT_EQ(verifySignature(shorter, *jwks), Status::JwtVerificationFail);
}

// A DER signature in place of r || s is refused.
TEST(VerifySignatureTest, EcdsaDerSignatureFails) {
  const auto jwks = setOf({publicJwk(keys().p256.get())});
  Jwt jwt = signedJwt("ES256");
  EcdsaSigPtr sig(ECDSA_SIG_new());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(bytesOf(jwt.signature), 32, nullptr),
                 BN_bin2bn(bytesOf(jwt.signature) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig.get(), &der);
  jwt.signature.assign(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail);
}

// r and s with leading zero bytes (and r's or s's high bit set) must still encode correctly.
TEST(VerifySignatureTest, EcdsaManySignatures) {
  const auto jwks = setOf({publicJwk(keys().p521.get())});
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(verifySignature(signedJwt("ES512"), *jwks), Status::Ok) << i;
  }
}

TEST(VerifySignatureTest, Ed25519WrongLength) {
  const auto jwks = setOf({publicJwk(keys().ed25519.get())});
  Jwt jwt = signedJwt("EdDSA");
  jwt.signature.pop_back();
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtEd25519SignatureWrongLength);
}

// The length check applies only at an Ed25519 key: with none selected, the status is the
// usual one.
TEST(VerifySignatureTest, Ed25519WrongLengthWithoutEdKey) {
  const auto jwks = setOf({publicJwk(keys().rsa.get())});
  Jwt jwt = signedJwt("EdDSA");
  jwt.signature.pop_back();
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail);
}

// jwt_verify_lib verifies an Ed25519 signature whatever the token's alg when the key has no
// alg, and returns JwtEd25519SignatureWrongLength for an RS256 signature; Portcullis skips the
// Ed25519 key for an RS256 token and goes on to the RSA key.
TEST(VerifySignatureTest, Ed25519KeyIgnoredForOtherAlgorithms) {
  const auto jwks = setOf({publicJwk(keys().ed25519.get()), publicJwk(keys().rsa.get())});
  EXPECT_EQ(verifySignature(signedJwt("RS256"), *jwks), Status::Ok);
}

// PS* signatures must use a salt as long as the hash (RFC 7518 section 3.5). jwt_verify_lib
// accepts any salt length.
TEST(VerifySignatureTest, PssSaltLength) {
  const auto jwks = setOf({publicJwk(keys().rsa.get())});
  for (int salt : {0, 20, 48}) {
    const boost::json::object header{{"alg", "PS256"}};
    const std::string token = makeToken(header, {}, [&](const std::string& input) {
      return signWith(keys().rsa.get(), "PS256", input, salt);
    });
    Jwt jwt;
    ASSERT_EQ(parseJwt(token, jwt), Status::Ok);
    EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail) << salt;
  }
}

TEST(VerifySignatureTest, PssTokenAsPkcs1Fails) {
  const auto jwks = setOf({publicJwk(keys().rsa.get())});
  Jwt jwt = signedJwt("PS256");
  jwt.alg = "RS256";
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail);
}

// OpenSSL 3.0 takes a PSS signature shorter than the modulus (leading zero byte dropped), but
// BoringSSL, under jwt_verify_lib, does not, and neither does Portcullis.
TEST(VerifySignatureTest, RsaSignatureLengthMustMatchModulus) {
  const auto jwks = setOf({publicJwk(keys().rsa.get())});
  Jwt jwt = signedJwt("RS256");
  Jwt longer = jwt;
  longer.signature.insert(0, 1, '\0');
  EXPECT_EQ(verifySignature(longer, *jwks), Status::JwtVerificationFail);
  // Find a signature with a leading zero byte and drop it.
  for (int i = 0; i < 2000; ++i) {
    Jwt candidate = signedJwt("PS256");
    if (candidate.signature[0] != '\0') {
      continue;
    }
    candidate.signature.erase(0, 1);
    EXPECT_EQ(verifySignature(candidate, *jwks), Status::JwtVerificationFail);
    return;
  }
  GTEST_SKIP() << "no signature with a leading zero byte in 2000 tries";
}

TEST(VerifySignatureTest, UnknownAlgFails) {
  const auto jwks = setOf({publicJwk(keys().rsa.get())});
  Jwt jwt = signedJwt("RS256");
  jwt.alg = "RS1";
  EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail);
}

TEST(VerifySignatureTest, PemKeys) {
  for (const char* alg : {"RS256", "PS512", "ES256", "ES384", "ES512", "EdDSA"}) {
    const auto jwks = Jwks::parse(testing::pemOfPublicKey(keyFor(alg)), Jwks::Format::Pem);
    ASSERT_EQ(jwks->status(), Status::Ok) << alg;
    EXPECT_EQ(verifySignature(signedJwt(alg), *jwks), Status::Ok) << alg;
  }
}

TEST(VerifySignatureTest, CertificateKeys) {
  boost::json::object document;
  document["cert"] = testing::selfSignedCertificatePem(keys().rsa.get());
  const auto jwks = Jwks::parse(boost::json::serialize(document));
  ASSERT_EQ(jwks->status(), Status::Ok);
  EXPECT_EQ(verifySignature(signedJwt("RS256", "cert"), *jwks), Status::Ok);
  EXPECT_EQ(verifySignature(signedJwt("RS256", "other"), *jwks), Status::JwksKidAlgMismatch);
}

// One key set shared by threads that verify good and bad signatures at once.
TEST(VerifySignatureTest, ConcurrentUse) {
  const auto jwks =
      setOf({publicJwk(keys().rsa.get()), publicJwk(keys().p256.get()),
             publicJwk(keys().ed25519.get()), octJwk("0123456789abcdef0123456789abcdef")});
  std::vector<Jwt> good;
  for (const char* alg : {"RS256", "PS256", "ES256", "EdDSA", "HS256"}) {
    good.push_back(signedJwt(alg));
  }
  std::atomic<int> wrong_results{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        Jwt jwt = good[static_cast<size_t>(i + t) % good.size()];
        const bool tamper = (i % 3) == 0;
        if (tamper) {
          jwt.signature[0] ^= 1;
        }
        const Status expected = tamper ? Status::JwtVerificationFail : Status::Ok;
        if (verifySignature(jwt, *jwks) != expected) {
          ++wrong_results;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong_results.load(), 0);
}

TEST(VerifySignatureTest, LeavesErrorQueueEmpty) {
  const auto jwks = setOf(
      {publicJwk(keys().rsa.get()), publicJwk(keys().p256.get()), publicJwk(keys().ed25519.get())});
  for (const char* alg : {"RS256", "PS256", "ES256", "EdDSA"}) {
    Jwt jwt = signedJwt(alg);
    jwt.signature[jwt.signature.size() / 2] ^= 0x10;
    EXPECT_EQ(verifySignature(jwt, *jwks), Status::JwtVerificationFail) << alg;
    EXPECT_EQ(ERR_peek_error(), 0u) << alg;
  }
}

}  // namespace
}  // namespace portcullis::jwt
