// Signature verification for JWS (RFC 7515) with the algorithms of RFC 7518 section 3 and
// EdDSA (RFC 8037), against keys already built by the key set parser.
#include <array>
#include <cstdint>
#include <string_view>

#include <openssl/rsa.h>

#include "jwt/jwks.h"
#include "jwt/key_builder.h"
#include "jwt/openssl_util.h"

namespace portcullis::jwt {
namespace {

constexpr size_t kEd25519SignatureSize = 64;

enum class Scheme { RsaPkcs1, RsaPss, Ecdsa, EdDsa, Hmac };
enum class Hash { Sha256, Sha384, Sha512, None };

struct Algorithm {
  std::string_view name;
  Scheme scheme;
  Hash hash;
  KeyType key_type;  // the only key type that can verify it
};

constexpr std::array<Algorithm, 13> kAlgorithms = {{
    {"RS256", Scheme::RsaPkcs1, Hash::Sha256, KeyType::Rsa},
    {"RS384", Scheme::RsaPkcs1, Hash::Sha384, KeyType::Rsa},
    {"RS512", Scheme::RsaPkcs1, Hash::Sha512, KeyType::Rsa},
    {"PS256", Scheme::RsaPss, Hash::Sha256, KeyType::Rsa},
    {"PS384", Scheme::RsaPss, Hash::Sha384, KeyType::Rsa},
    {"PS512", Scheme::RsaPss, Hash::Sha512, KeyType::Rsa},
    {"ES256", Scheme::Ecdsa, Hash::Sha256, KeyType::EcP256},
    {"ES384", Scheme::Ecdsa, Hash::Sha384, KeyType::EcP384},
    {"ES512", Scheme::Ecdsa, Hash::Sha512, KeyType::EcP521},
    {"EdDSA", Scheme::EdDsa, Hash::None, KeyType::Ed25519},
    {"HS256", Scheme::Hmac, Hash::Sha256, KeyType::Hmac},
    {"HS384", Scheme::Hmac, Hash::Sha384, KeyType::Hmac},
    {"HS512", Scheme::Hmac, Hash::Sha512, KeyType::Hmac},
}};

const Algorithm* findAlgorithm(std::string_view name) {
  for (const Algorithm& algorithm : kAlgorithms) {
    if (algorithm.name == name) {
      return &algorithm;
    }
  }
  return nullptr;
}

const char* hashName(Hash hash) {
  switch (hash) {
    case Hash::Sha256:
      return "SHA256";
    case Hash::Sha384:
      return "SHA384";
    case Hash::Sha512:
      return "SHA512";
    case Hash::None:
      return nullptr;
  }
  return nullptr;
}

EvpMdPtr fetchDigest(const char* name) {
  EvpMdPtr digest(EVP_MD_fetch(nullptr, name, nullptr));
  if (digest == nullptr) {
    ERR_clear_error();
  }
  return digest;
}

// The digests, fetched once. OpenSSL 3 looks up the implementation of a built-in digest such as
// EVP_sha256() again on every init (an implicit fetch), which an explicitly fetched one avoids.
const EVP_MD* digestFor(Hash hash) {
  static const std::array<EvpMdPtr, 3> digests = {
      fetchDigest("SHA256"),
      fetchDigest("SHA384"),
      fetchDigest("SHA512"),
  };
  switch (hash) {
    case Hash::Sha256:
      return digests[0].get();
    case Hash::Sha384:
      return digests[1].get();
    case Hash::Sha512:
      return digests[2].get();
    case Hash::None:
      return nullptr;
  }
  return nullptr;
}

const EVP_MAC* hmacMethod() {
  static const EvpMacPtr hmac = [] {
    EvpMacPtr fetched(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (fetched == nullptr) {
      ERR_clear_error();
    }
    return fetched;
  }();
  return hmac.get();
}

// Clears OpenSSL's error queue and reports a failed verification.
bool fail() {
  ERR_clear_error();
  return false;
}

// RS* (RSASSA-PKCS1-v1_5) and PS* (RSASSA-PSS with MGF1 over the same hash and a salt as long
// as the hash, RFC 7518 section 3.5). NOTE: jwt_verify_lib leaves the PSS salt length at
// BoringSSL's default, which recovers it from the signature, so it also accepts PS* signatures
// made with another salt length; Portcullis does not.
bool verifyRsa(const Algorithm& algorithm, EVP_PKEY* key, std::string_view signature,
               std::string_view signing_input) {
  // BoringSSL, and so jwt_verify_lib, wants exactly the modulus size. OpenSSL 3.0 checks that
  // for PKCS#1 v1.5 but takes a shorter PSS signature as if it had leading zero bytes.
  if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key))) {
    return false;
  }
  const EVP_MD* digest = digestFor(algorithm.hash);
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;  // owned by `context`
  if (digest == nullptr || context == nullptr ||
      EVP_DigestVerifyInit(context.get(), &key_context, digest, nullptr, key) != 1) {
    return fail();
  }
  if (algorithm.scheme == Scheme::RsaPss) {
    if (EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(key_context, digest) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return fail();
    }
  } else if (EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    return fail();
  }
  if (EVP_DigestVerify(context.get(), bytesOf(signature), signature.size(), bytesOf(signing_input),
                       signing_input.size()) != 1) {
    return fail();
  }
  return true;
}

// Writes `value` (unsigned, big-endian) as a DER INTEGER at `out` and returns the end.
unsigned char* writeDerInteger(std::string_view value, unsigned char* out) {
  while (value.size() > 1 && value.front() == '\0') {
    value.remove_prefix(1);
  }
  const bool needs_zero = (static_cast<unsigned char>(value.front()) & 0x80) != 0;
  *out++ = 0x02;
  *out++ = static_cast<unsigned char>(value.size() + (needs_zero ? 1 : 0));
  if (needs_zero) {
    *out++ = 0x00;
  }
  for (char c : value) {
    *out++ = static_cast<unsigned char>(c);
  }
  return out;
}

// ES256/384/512: the JWS signature is r || s, each exactly the curve's coordinate size (RFC 7518
// section 3.4); OpenSSL takes the DER ECDSA-Sig-Value, built here without allocating.
// NOTE: jwt_verify_lib splits a signature of any length in halves, so it can accept r || s
// written without leading zero bytes; Portcullis requires the exact length.
bool verifyEcdsa(const Algorithm& algorithm, EVP_PKEY* key, std::string_view signature,
                 std::string_view signing_input) {
  const size_t coordinate_size = ecCoordinateSize(algorithm.key_type);
  if (coordinate_size == 0 || signature.size() != 2 * coordinate_size) {
    return false;
  }

  // SEQUENCE { INTEGER r, INTEGER s }: two integers of at most 67 bytes each fit in 141 bytes.
  std::array<unsigned char, 160> der;
  unsigned char* body = der.data() + 3;
  unsigned char* end = writeDerInteger(signature.substr(0, coordinate_size), body);
  end = writeDerInteger(signature.substr(coordinate_size), end);
  const size_t body_size = static_cast<size_t>(end - body);
  unsigned char* start = nullptr;
  if (body_size < 0x80) {
    start = body - 2;
    start[0] = 0x30;
    start[1] = static_cast<unsigned char>(body_size);
  } else {
    start = body - 3;
    start[0] = 0x30;
    start[1] = 0x81;
    start[2] = static_cast<unsigned char>(body_size);
  }

  const EVP_MD* digest = digestFor(algorithm.hash);
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  if (digest == nullptr || context == nullptr ||
      EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr, key) != 1 ||
      EVP_DigestVerify(context.get(), start, static_cast<size_t>(end - start),
                       bytesOf(signing_input), signing_input.size()) != 1) {
    return fail();
  }
  return true;
}

// EdDSA with an Ed25519 key (RFC 8037 section 3.1). The caller checked the signature size.
bool verifyEd25519(EVP_PKEY* key, std::string_view signature, std::string_view signing_input) {
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  if (context == nullptr ||
      EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestVerify(context.get(), bytesOf(signature), signature.size(), bytesOf(signing_input),
                       signing_input.size()) != 1) {
    return fail();
  }
  return true;
}

// HS256/384/512: the MAC is recomputed and compared in constant time.
bool verifyHmac(const Algorithm& algorithm, const std::string& secret, std::string_view signature,
                std::string_view signing_input) {
  const EVP_MAC* hmac = hmacMethod();
  EvpMacCtxPtr context(hmac == nullptr ? nullptr : EVP_MAC_CTX_new(const_cast<EVP_MAC*>(hmac)));
  if (context == nullptr) {
    return fail();
  }
  const std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>(hashName(algorithm.hash)), 0),
      OSSL_PARAM_construct_end(),
  };
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac;
  size_t mac_size = 0;
  if (EVP_MAC_init(context.get(), bytesOf(secret), secret.size(), params.data()) != 1 ||
      EVP_MAC_update(context.get(), bytesOf(signing_input), signing_input.size()) != 1 ||
      EVP_MAC_final(context.get(), mac.data(), &mac_size, mac.size()) != 1) {
    return fail();
  }
  return mac_size == signature.size() && CRYPTO_memcmp(mac.data(), signature.data(), mac_size) == 0;
}

bool verifyWithKey(const Algorithm& algorithm, const Jwk& key, const Jwt& jwt) {
  switch (algorithm.scheme) {
    case Scheme::RsaPkcs1:
    case Scheme::RsaPss:
      return key.public_key != nullptr &&
             verifyRsa(algorithm, key.public_key.get(), jwt.signature, jwt.signing_input);
    case Scheme::Ecdsa:
      return key.public_key != nullptr &&
             verifyEcdsa(algorithm, key.public_key.get(), jwt.signature, jwt.signing_input);
    case Scheme::EdDsa:
      return key.public_key != nullptr &&
             verifyEd25519(key.public_key.get(), jwt.signature, jwt.signing_input);
    case Scheme::Hmac:
      return verifyHmac(algorithm, key.hmac_secret, jwt.signature, jwt.signing_input);
  }
  return false;
}

}  // namespace

Status verifySignature(const Jwt& jwt, const Jwks& jwks) {
  const Algorithm* algorithm = findAlgorithm(jwt.alg);
  bool any_key_selected = false;
  for (const Jwk& key : jwks.keys()) {
    if (!jwt.kid.empty() && !key.kid.empty() && key.kid != jwt.kid) {
      continue;
    }
    if (!key.alg.empty() && key.alg != jwt.alg) {
      continue;
    }
    any_key_selected = true;

    // The key material decides which algorithm it can verify. jwt_verify_lib instead picks the
    // method from the key's kty and the hash from the token's alg, so there an ES384 token can
    // verify against a P-256 key, and any token against an Ed25519 key without alg.
    if (algorithm == nullptr || key.type != algorithm->key_type) {
      continue;
    }
    if (algorithm->scheme == Scheme::EdDsa && jwt.signature.size() != kEd25519SignatureSize) {
      return Status::JwtEd25519SignatureWrongLength;
    }
    if (verifyWithKey(*algorithm, key, jwt)) {
      return Status::Ok;
    }
  }
  return any_key_selected ? Status::JwtVerificationFail : Status::JwksKidAlgMismatch;
}

}  // namespace portcullis::jwt
