// JSON Web Key Sets (RFC 7517) and PEM public keys, parsed into OpenSSL keys ready to verify.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "jwt/jwt.h"
#include "jwt/status.h"

namespace portcullis::jwt {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

struct Jwk {
  std::string kid;  // empty when the key has none
  std::string alg;  // empty when the key has none
  std::string kty;  // RSA, EC, oct, OKP
  std::string crv;  // EC and OKP curves: P-256, P-384, P-521, Ed25519
  std::string use;
  EvpPkeyPtr public_key;  // RSA, EC and OKP keys
  std::string hmac_secret;  // oct keys
};

// A key that was left out of the set, and why.
struct SkippedKey {
  std::string kid;
  Status status = Status::Ok;
};

class Jwks {
 public:
  enum class Format { Jwks, Pem };

  // Parses `text`. Never null. A set in which some keys are invalid keeps the valid ones and
  // lists the others in skipped(); status() is not Ok only when no key is usable.
  static std::shared_ptr<const Jwks> parse(std::string_view text, Format format = Format::Jwks);

  Status status() const { return status_; }
  const std::vector<Jwk>& keys() const { return keys_; }
  const std::vector<SkippedKey>& skipped() const { return skipped_; }

 private:
  Status status_ = Status::Ok;
  std::vector<Jwk> keys_;
  std::vector<SkippedKey> skipped_;
  friend class JwksBuilder;
};

// Checks the signature of `jwt` against the keys of `jwks` with jwt_verify_lib's selection
// rule: a key is skipped when both it and the token have a kid and they differ, or when the key
// has an alg different from the token's. JwksKidAlgMismatch when no key is left,
// JwtVerificationFail when keys were tried and none verified.
Status verifySignature(const Jwt& jwt, const Jwks& jwks);

}  // namespace portcullis::jwt
