#include "jwt/sign.h"

#include <array>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "jwt/base64url.h"
#include "jwt/key_builder.h"
#include "jwt/openssl_util.h"

namespace portcullis::jwt {
namespace {

enum class Scheme { RsaPkcs1, RsaPss, Ecdsa, EdDsa, Hmac };

struct SigningAlgorithm {
  std::string_view name;
  Scheme scheme;
  const char* digest;  // OpenSSL digest name; null for EdDSA, which hashes internally
  size_t digest_size;  // bytes of digest output; 0 for EdDSA
  KeyType key_type;
};

constexpr std::array<SigningAlgorithm, 13> kSigningAlgorithms = {{
    {"RS256", Scheme::RsaPkcs1, "SHA256", 32, KeyType::Rsa},
    {"RS384", Scheme::RsaPkcs1, "SHA384", 48, KeyType::Rsa},
    {"RS512", Scheme::RsaPkcs1, "SHA512", 64, KeyType::Rsa},
    {"PS256", Scheme::RsaPss, "SHA256", 32, KeyType::Rsa},
    {"PS384", Scheme::RsaPss, "SHA384", 48, KeyType::Rsa},
    {"PS512", Scheme::RsaPss, "SHA512", 64, KeyType::Rsa},
    {"ES256", Scheme::Ecdsa, "SHA256", 32, KeyType::EcP256},
    {"ES384", Scheme::Ecdsa, "SHA384", 48, KeyType::EcP384},
    {"ES512", Scheme::Ecdsa, "SHA512", 64, KeyType::EcP521},
    {"EdDSA", Scheme::EdDsa, nullptr, 0, KeyType::Ed25519},
    {"HS256", Scheme::Hmac, "SHA256", 32, KeyType::Hmac},
    {"HS384", Scheme::Hmac, "SHA384", 48, KeyType::Hmac},
    {"HS512", Scheme::Hmac, "SHA512", 64, KeyType::Hmac},
}};

const SigningAlgorithm* findSigningAlgorithm(std::string_view name) {
  for (const SigningAlgorithm& algorithm : kSigningAlgorithms) {
    if (algorithm.name == name) {
      return &algorithm;
    }
  }
  return nullptr;
}

// The JWK "crv" and the OpenSSL group name of each EC key type.
struct Curve {
  KeyType type;
  const char* jwk_name;
  const char* openssl_name;
};

constexpr std::array<Curve, 3> kCurves = {{
    {KeyType::EcP256, "P-256", "prime256v1"},
    {KeyType::EcP384, "P-384", "secp384r1"},
    {KeyType::EcP521, "P-521", "secp521r1"},
}};

const Curve* findCurve(KeyType type) {
  for (const Curve& curve : kCurves) {
    if (curve.type == type) {
      return &curve;
    }
  }
  return nullptr;
}

// Returns `context` followed by the text of OpenSSL's most recent error, and empties OpenSSL's
// error queue.
std::string opensslError(std::string_view context) {
  std::string message(context);
  const unsigned long code = ERR_peek_last_error();
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    message += ": ";
    message += text;
  }
  ERR_clear_error();
  return message;
}

std::string bytesToString(const unsigned char* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The EC key type of `key`'s group, or nullopt for curves JWS does not use.
std::optional<KeyType> ecKeyType(const EVP_PKEY* key) {
  char group[64];
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // OpenSSL names the NIST curves by their X9.62 and SEC 2 names.
  const int nid = OBJ_txt2nid(group);
  switch (nid) {
    case NID_X9_62_prime256v1:
      return KeyType::EcP256;
    case NID_secp384r1:
      return KeyType::EcP384;
    case NID_secp521r1:
      return KeyType::EcP521;
    default:
      return std::nullopt;
  }
}

bool bigNumParam(const EVP_PKEY* key, const char* name, BigNumPtr& out) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) {
    ERR_clear_error();
    return false;
  }
  out.reset(value);
  return true;
}

// Big-endian bytes of `value` without leading zeros, as RFC 7518 section 6.3.1 requires for n and
// e, or left-padded with zeros to `size` bytes when `size` is not 0 (EC coordinates, section
// 6.2.1.2).
std::string bigNumBytes(const BIGNUM* value, size_t size = 0) {
  const size_t length = size != 0 ? size : static_cast<size_t>(BN_num_bytes(value));
  std::vector<unsigned char> bytes(length);
  if (BN_bn2binpad(value, bytes.data(), static_cast<int>(length)) < 0) {
    ERR_clear_error();
    return {};
  }
  return bytesToString(bytes.data(), bytes.size());
}

bool rsaJwk(const EVP_PKEY* key, boost::json::object& out, std::string& error) {
  BigNumPtr n;
  BigNumPtr e;
  if (!bigNumParam(key, OSSL_PKEY_PARAM_RSA_N, n) || !bigNumParam(key, OSSL_PKEY_PARAM_RSA_E, e)) {
    error = "cannot read the modulus and exponent of the RSA key";
    return false;
  }
  out["kty"] = "RSA";
  out["n"] = base64UrlEncode(bigNumBytes(n.get()));
  out["e"] = base64UrlEncode(bigNumBytes(e.get()));
  return true;
}

bool ecJwk(KeyType type, const EVP_PKEY* key, boost::json::object& out, std::string& error) {
  BigNumPtr x;
  BigNumPtr y;
  if (!bigNumParam(key, OSSL_PKEY_PARAM_EC_PUB_X, x) ||
      !bigNumParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, y)) {
    error = "cannot read the public point of the EC key";
    return false;
  }
  const size_t size = ecCoordinateSize(type);
  out["kty"] = "EC";
  out["crv"] = findCurve(type)->jwk_name;
  out["x"] = base64UrlEncode(bigNumBytes(x.get(), size));
  out["y"] = base64UrlEncode(bigNumBytes(y.get(), size));
  return true;
}

bool ed25519Jwk(const EVP_PKEY* key, boost::json::object& out, std::string& error) {
  std::array<unsigned char, 32> raw{};
  size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &length) != 1 || length != raw.size()) {
    error = opensslError("cannot read the Ed25519 public key");
    return false;
  }
  out["kty"] = "OKP";
  out["crv"] = "Ed25519";
  out["x"] = base64UrlEncode(bytesToString(raw.data(), length));
  return true;
}

// Converts the DER ECDSA-Sig-Value that OpenSSL produces into the JWS form: r and s as
// unsigned big-endian integers of `size` bytes each (RFC 7518 section 3.4).
bool ecdsaDerToRaw(std::string_view der, size_t size, std::string& out) {
  const unsigned char* cursor = bytesOf(der);
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (signature == nullptr) {
    ERR_clear_error();
    return false;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::vector<unsigned char> raw(2 * size);
  if (BN_bn2binpad(r, raw.data(), static_cast<int>(size)) < 0 ||
      BN_bn2binpad(s, raw.data() + size, static_cast<int>(size)) < 0) {
    ERR_clear_error();
    return false;
  }
  out = bytesToString(raw.data(), raw.size());
  return true;
}

bool signHmac(const SigningAlgorithm& algorithm, const SigningKey& key,
              std::string_view signing_input, std::string& out, std::string& error) {
  if (key.hmac_secret.empty()) {
    error = "the HMAC secret is empty";
    return false;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, algorithm.digest, nullptr, bytesOf(key.hmac_secret),
                key.hmac_secret.size(), bytesOf(signing_input), signing_input.size(), mac.data(),
                mac.size(), &length) == nullptr) {
    error = opensslError("HMAC failed");
    return false;
  }
  out = bytesToString(mac.data(), length);
  return true;
}

// RS*, PS*, ES* and EdDSA through EVP_DigestSign. ES* output is converted to r || s.
bool signWithPrivateKey(const SigningAlgorithm& algorithm, const SigningKey& key,
                        std::string_view signing_input, std::string& out, std::string& error) {
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;  // owned by `context`
  if (context == nullptr ||
      EVP_DigestSignInit_ex(context.get(), &key_context, algorithm.digest, nullptr, nullptr,
                            key.private_key.get(), nullptr) != 1) {
    error = opensslError("cannot start signing");
    return false;
  }
  if (algorithm.scheme == Scheme::RsaPss) {
    // RFC 7518 section 3.5: MGF1 with the same hash, and a salt as long as the hash.
    if (EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(key_context, algorithm.digest, nullptr) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, RSA_PSS_SALTLEN_DIGEST) != 1) {
      error = opensslError("cannot set RSA-PSS parameters");
      return false;
    }
  } else if (algorithm.scheme == Scheme::RsaPkcs1 &&
             EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) != 1) {
    error = opensslError("cannot set RSA PKCS#1 v1.5 padding");
    return false;
  }
  size_t length = 0;
  if (EVP_DigestSign(context.get(), nullptr, &length, bytesOf(signing_input),
                     signing_input.size()) != 1) {
    error = opensslError("signing failed");
    return false;
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(context.get(), signature.data(), &length, bytesOf(signing_input),
                     signing_input.size()) != 1) {
    error = opensslError("signing failed");
    return false;
  }
  const std::string produced = bytesToString(signature.data(), length);
  if (algorithm.scheme != Scheme::Ecdsa) {
    out = produced;
    return true;
  }
  if (!ecdsaDerToRaw(produced, ecCoordinateSize(algorithm.key_type), out)) {
    error = "cannot convert the ECDSA signature to r || s";
    return false;
  }
  return true;
}

bool generateHmacSecret(size_t size, SigningKey& out, std::string& error) {
  std::vector<unsigned char> secret(size);
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    error = opensslError("cannot generate random bytes");
    return false;
  }
  out = hmacSigningKey(bytesToString(secret.data(), secret.size()));
  return true;
}

bool generateRsaKey(int bits, EvpPkeyPtr& out, std::string& error) {
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (context == nullptr || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), bits) != 1 ||
      EVP_PKEY_generate(context.get(), &key) != 1) {
    error = opensslError("RSA key generation failed");
    return false;
  }
  out.reset(key);
  return true;
}

bool generateEcKey(const Curve& curve, EvpPkeyPtr& out, std::string& error) {
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (context == nullptr || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(context.get(), curve.openssl_name) != 1 ||
      EVP_PKEY_generate(context.get(), &key) != 1) {
    error = opensslError(std::string("EC key generation on ") + curve.jwk_name + " failed");
    return false;
  }
  out.reset(key);
  return true;
}

bool generateEd25519Key(EvpPkeyPtr& out, std::string& error) {
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, "ED25519", nullptr));
  EVP_PKEY* key = nullptr;
  if (context == nullptr || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_generate(context.get(), &key) != 1) {
    error = opensslError("Ed25519 key generation failed");
    return false;
  }
  out.reset(key);
  return true;
}

// Refuses every passphrase request, so that an encrypted PEM fails instead of prompting.
int noPassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) {
  return -1;
}

}  // namespace

std::optional<KeyType> keyTypeForAlgorithm(std::string_view alg) {
  const SigningAlgorithm* algorithm = findSigningAlgorithm(alg);
  if (algorithm == nullptr) {
    return std::nullopt;
  }
  return algorithm->key_type;
}

std::string_view keyTypeName(KeyType type) {
  switch (type) {
    case KeyType::Rsa:
      return "RSA";
    case KeyType::EcP256:
      return "EC P-256";
    case KeyType::EcP384:
      return "EC P-384";
    case KeyType::EcP521:
      return "EC P-521";
    case KeyType::Ed25519:
      return "Ed25519";
    case KeyType::Hmac:
      return "HMAC";
  }
  return "unknown";
}

bool readPrivateKeyPem(std::string_view pem, SigningKey& out, std::string& error) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    error = opensslError("cannot allocate a memory BIO");
    return false;
  }
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (key == nullptr) {
    error = opensslError(
        "no unencrypted private key found (expected a PEM \"PRIVATE KEY\", \"RSA PRIVATE KEY\" "
        "or \"EC PRIVATE KEY\" block)");
    return false;
  }
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    out.type = KeyType::Rsa;
  } else if (EVP_PKEY_is_a(key.get(), "EC")) {
    const std::optional<KeyType> type = ecKeyType(key.get());
    if (!type) {
      error = "the EC key is not on P-256, P-384 or P-521, the curves of ES256, ES384 and ES512";
      return false;
    }
    out.type = *type;
  } else if (EVP_PKEY_is_a(key.get(), "ED25519")) {
    out.type = KeyType::Ed25519;
  } else {
    error = std::string("unsupported key type ") + EVP_PKEY_get0_type_name(key.get()) +
            " (expected RSA, EC or Ed25519)";
    return false;
  }
  out.private_key = std::move(key);
  out.hmac_secret.clear();
  return true;
}

SigningKey hmacSigningKey(std::string secret) {
  SigningKey key;
  key.type = KeyType::Hmac;
  key.hmac_secret = std::move(secret);
  return key;
}

bool generateSigningKey(std::string_view alg, SigningKey& out, std::string& error, int rsa_bits) {
  const SigningAlgorithm* algorithm = findSigningAlgorithm(alg);
  if (algorithm == nullptr) {
    error = "unknown algorithm \"" + std::string(alg) + "\"";
    return false;
  }
  SigningKey key;
  key.type = algorithm->key_type;
  bool generated = false;
  switch (algorithm->key_type) {
    case KeyType::Hmac:
      return generateHmacSecret(algorithm->digest_size, out, error);
    case KeyType::Rsa:
      if (rsa_bits < 2048) {
        error = "RSA keys for " + std::string(alg) + " need at least 2048 bits (RFC 7518), not " +
                std::to_string(rsa_bits);
        return false;
      }
      generated = generateRsaKey(rsa_bits, key.private_key, error);
      break;
    case KeyType::EcP256:
    case KeyType::EcP384:
    case KeyType::EcP521:
      generated = generateEcKey(*findCurve(algorithm->key_type), key.private_key, error);
      break;
    case KeyType::Ed25519:
      generated = generateEd25519Key(key.private_key, error);
      break;
  }
  if (generated) {
    out = std::move(key);
  }
  return generated;
}

std::string privateKeyPem(const SigningKey& key) {
  if (key.private_key == nullptr) {
    return {};
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio.get(), key.private_key.get(), nullptr, nullptr,
                                                 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 ? std::string(data, static_cast<size_t>(length)) : std::string();
}

bool publicJwk(const SigningKey& key, boost::json::object& out, std::string& error) {
  out.clear();
  switch (key.type) {
    case KeyType::Hmac:
      out["kty"] = "oct";
      out["k"] = base64UrlEncode(key.hmac_secret);
      return true;
    case KeyType::Rsa:
      return rsaJwk(key.private_key.get(), out, error);
    case KeyType::EcP256:
    case KeyType::EcP384:
    case KeyType::EcP521:
      return ecJwk(key.type, key.private_key.get(), out, error);
    case KeyType::Ed25519:
      return ed25519Jwk(key.private_key.get(), out, error);
  }
  error = "unknown key type";
  return false;
}

bool jwkThumbprint(const boost::json::object& jwk, std::string& out, std::string& error) {
  const boost::json::value* kty = jwk.if_contains("kty");
  if (kty == nullptr || !kty->is_string()) {
    error = "the JWK has no \"kty\" string";
    return false;
  }
  // RFC 7638 section 3.2: the required members, sorted by name.
  std::vector<std::string_view> members;
  if (kty->get_string() == "RSA") {
    members = {"e", "kty", "n"};
  } else if (kty->get_string() == "EC") {
    members = {"crv", "kty", "x", "y"};
  } else if (kty->get_string() == "OKP") {
    members = {"crv", "kty", "x"};
  } else if (kty->get_string() == "oct") {
    members = {"k", "kty"};
  } else {
    error = "kty \"" + std::string(kty->get_string()) + "\" has no thumbprint members defined";
    return false;
  }
  std::string canonical = "{";
  for (std::string_view name : members) {
    const boost::json::value* value = jwk.if_contains(name);
    if (value == nullptr || !value->is_string()) {
      error = "the JWK has no \"" + std::string(name) + "\" string";
      return false;
    }
    if (canonical.size() > 1) {
      canonical += ",";
    }
    canonical += boost::json::serialize(boost::json::string(name));
    canonical += ":";
    canonical += boost::json::serialize(value->get_string());
  }
  canonical += "}";

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(canonical.data(), canonical.size(), digest.data(), &length, EVP_sha256(),
                 nullptr) != 1) {
    error = opensslError("SHA-256 failed");
    return false;
  }
  out = base64UrlEncode(bytesToString(digest.data(), length));
  return true;
}

bool jwkThumbprint(const SigningKey& key, std::string& out, std::string& error) {
  boost::json::object jwk;
  return publicJwk(key, jwk, error) && jwkThumbprint(jwk, out, error);
}

bool signJws(std::string_view alg, const SigningKey& key, std::string_view signing_input,
             std::string& signature, std::string& error) {
  const SigningAlgorithm* algorithm = findSigningAlgorithm(alg);
  if (algorithm == nullptr) {
    error = "unknown algorithm \"" + std::string(alg) +
            "\" (expected RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, "
            "HS256, HS384 or HS512)";
    return false;
  }
  if (key.type != algorithm->key_type) {
    error = std::string(alg) + " needs an " + std::string(keyTypeName(algorithm->key_type)) +
            " key, but the key is " + std::string(keyTypeName(key.type));
    return false;
  }
  if (algorithm->scheme == Scheme::Hmac) {
    return signHmac(*algorithm, key, signing_input, signature, error);
  }
  if (key.private_key == nullptr) {
    error = "the key has no private key";
    return false;
  }
  return signWithPrivateKey(*algorithm, key, signing_input, signature, error);
}

bool signJwt(const boost::json::object& header, const boost::json::object& payload,
             const SigningKey& key, std::string& token, std::string& error) {
  const boost::json::value* alg = header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    error = "the header has no \"alg\" string";
    return false;
  }
  const std::string signing_input = base64UrlEncode(boost::json::serialize(header)) + "." +
                                    base64UrlEncode(boost::json::serialize(payload));
  std::string signature;
  if (!signJws(alg->get_string(), key, signing_input, signature, error)) {
    return false;
  }
  token = signing_input + "." + base64UrlEncode(signature);
  return true;
}

}  // namespace portcullis::jwt
