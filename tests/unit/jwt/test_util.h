// Helpers for the JOSE tests: vector files, hex, and keys and tokens made on the fly with
// OpenSSL so that each signature test can state exactly what it signs.
#pragma once

#include <cstdint>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "jwt/base64url.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/openssl_util.h"

namespace portcullis::jwt::testing {

inline std::string vectorPath(std::string_view relative) {
  return std::string(PORTCULLIS_TEST_VECTORS) + "/jwt/" + std::string(relative);
}

inline std::string readFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot open test vector " + path);
  }
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

inline boost::json::value readJson(std::string_view relative) {
  return boost::json::parse(readFile(vectorPath(relative)));
}

inline std::string stringOf(const boost::json::value& value) {
  return std::string(value.as_string().data(), value.as_string().size());
}

inline std::string hexDecode(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    throw std::runtime_error("bad hex digit");
  };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

inline uint64_t wallClock() {
  return static_cast<uint64_t>(std::time(nullptr));
}

// Status by enumerator name, for vectors that name the expected Status.
inline Status statusFromName(std::string_view name) {
  for (int value = 0; value < 256; ++value) {
    const auto status = static_cast<Status>(value);
    if (statusName(status) == name) {
      return status;
    }
    if (statusName(status) == "Unknown") {
      break;
    }
  }
  throw std::runtime_error("unknown status name " + std::string(name));
}

// A Jwks holding exactly the keys of one JWK object, for vectors that give a single key.
inline std::shared_ptr<const Jwks> jwksOfKey(const boost::json::value& jwk) {
  boost::json::object document;
  document["keys"] = boost::json::array{jwk};
  return Jwks::parse(boost::json::serialize(document));
}

// Key generation and signing, for tokens the tests make themselves.

inline EvpPkeyPtr generateRsaKey(unsigned bits = 2048) {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

inline EvpPkeyPtr generateEcKey(const char* curve) {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

inline EvpPkeyPtr generateEd25519Key() {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

inline std::string bigNumParamBytes(const EVP_PKEY* key, const char* name, size_t size = 0) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) {
    throw std::runtime_error("missing key parameter");
  }
  BigNumPtr owned(value);
  const size_t length = size != 0 ? size : static_cast<size_t>(BN_num_bytes(value));
  std::string out(length, '\0');
  BN_bn2binpad(value, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(length));
  return out;
}

// The public JWK of `key` as a JSON object, with kid and alg when given.
inline boost::json::object publicJwk(const EVP_PKEY* key, std::string_view kid = {},
                                     std::string_view alg = {}) {
  boost::json::object jwk;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      jwk["kty"] = "RSA";
      jwk["n"] = base64UrlEncode(bigNumParamBytes(key, OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = base64UrlEncode(bigNumParamBytes(key, OSSL_PKEY_PARAM_RSA_E));
      break;
    case EVP_PKEY_EC: {
      const int bits = EVP_PKEY_get_bits(key);
      const size_t size = (static_cast<size_t>(bits) + 7) / 8;
      jwk["kty"] = "EC";
      if (bits == 256) {
        jwk["crv"] = "P-256";
      } else if (bits == 384) {
        jwk["crv"] = "P-384";
      } else {
        jwk["crv"] = "P-521";
      }
      jwk["x"] = base64UrlEncode(bigNumParamBytes(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
      jwk["y"] = base64UrlEncode(bigNumParamBytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
      break;
    }
    case EVP_PKEY_ED25519: {
      std::string raw(32, '\0');
      size_t size = raw.size();
      EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &size);
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = base64UrlEncode(raw);
      break;
    }
    default:
      throw std::runtime_error("unsupported test key");
  }
  if (!kid.empty()) {
    jwk["kid"] = kid;
  }
  if (!alg.empty()) {
    jwk["alg"] = alg;
  }
  return jwk;
}

inline std::string pemOfPublicKey(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// A self-signed certificate for `key` in PEM, for the kid-to-certificate key set format.
inline std::string selfSignedCertificatePem(EVP_PKEY* key) {
  X509Ptr certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 3600);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, bytesOf("portcullis test"), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  X509_set_pubkey(certificate.get(), key);
  const bool needs_digest = EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519;
  X509_sign(certificate.get(), key, needs_digest ? EVP_sha256() : nullptr);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), certificate.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

inline std::string jwksText(std::initializer_list<boost::json::object> keys) {
  boost::json::array list;
  for (const auto& key : keys) {
    list.push_back(key);
  }
  boost::json::object document;
  document["keys"] = std::move(list);
  return boost::json::serialize(document);
}

inline const EVP_MD* digestOfAlg(std::string_view alg) {
  if (alg.ends_with("384"))
    return EVP_sha384();
  if (alg.ends_with("512"))
    return EVP_sha512();
  return EVP_sha256();
}

// Signs `input` for `alg` with `key` and returns the JWS signature bytes. For PS* the salt is
// `pss_salt_length` bytes, or as long as the hash when it is negative. ES* signatures come
// back as r || s with each half `ec_coordinate_size` bytes.
inline std::string signWith(EVP_PKEY* key, std::string_view alg, std::string_view input,
                            int pss_salt_length = -1) {
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  const EVP_MD* digest = alg == "EdDSA" ? nullptr : digestOfAlg(alg);
  if (EVP_DigestSignInit(context.get(), &key_context, digest, nullptr, key) != 1) {
    throw std::runtime_error("sign init failed");
  }
  if (alg.starts_with("PS")) {
    EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_mgf1_md(key_context, digest);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(
        key_context, pss_salt_length < 0 ? RSA_PSS_SALTLEN_DIGEST : pss_salt_length);
  }
  size_t size = 0;
  EVP_DigestSign(context.get(), nullptr, &size, bytesOf(input), input.size());
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     bytesOf(input), input.size()) != 1) {
    throw std::runtime_error("sign failed");
  }
  signature.resize(size);
  if (!alg.starts_with("ES")) {
    return signature;
  }
  // DER ECDSA-Sig-Value to r || s.
  const unsigned char* cursor = bytesOf(signature);
  EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(signature.size())));
  const size_t half = (static_cast<size_t>(EVP_PKEY_get_bits(key)) + 7) / 8;
  std::string raw(2 * half, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(parsed.get()), reinterpret_cast<unsigned char*>(raw.data()),
               static_cast<int>(half));
  BN_bn2binpad(ECDSA_SIG_get0_s(parsed.get()), reinterpret_cast<unsigned char*>(raw.data() + half),
               static_cast<int>(half));
  return raw;
}

inline std::string hmacWith(std::string_view secret, std::string_view alg, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  HMAC(digestOfAlg(alg), secret.data(), static_cast<int>(secret.size()), bytesOf(input),
       input.size(), mac, &size);
  return std::string(reinterpret_cast<char*>(mac), size);
}

// A compact token with the given header and payload, signed by `sign(signing_input)`.
template <typename Signer>
std::string makeToken(const boost::json::object& header, const boost::json::object& payload,
                      Signer sign) {
  const std::string signing_input = base64UrlEncode(boost::json::serialize(header)) + "." +
                                    base64UrlEncode(boost::json::serialize(payload));
  return signing_input + "." + base64UrlEncode(sign(signing_input));
}

// Compact token from raw header and payload JSON text, with a given signature segment.
inline std::string rawToken(std::string_view header_json, std::string_view payload_json,
                            std::string_view signature_segment = "c2ln") {
  return base64UrlEncode(header_json) + "." + base64UrlEncode(payload_json) + "." +
         std::string(signature_segment);
}

}  // namespace portcullis::jwt::testing
