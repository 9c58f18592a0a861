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

// The kind of key material a Jwk holds, taken from the key itself when it is built (for PEM
// keys from the DER structure, not from "kty" or "crv"). It decides which token algorithms the
// key can verify: RS*/PS* need Rsa, ES256/384/512 need EcP256/EcP384/EcP521, EdDSA needs
// Ed25519 and HS* need Hmac.
enum class KeyType { Rsa, EcP256, EcP384, EcP521, Ed25519, Hmac };

struct Jwk {
  std::string kid;  // empty when the key has none
  std::string alg;  // empty when the key has none
  std::string kty;  // RSA, EC, oct, OKP
  std::string crv;  // EC and OKP curves: P-256, P-384, P-521, Ed25519
  std::string use;
  KeyType type = KeyType::Rsa;
  EvpPkeyPtr public_key;    // RSA, EC and OKP keys
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
  // lists the others in skipped(). status() is not Ok only when no key is usable. It is then the
  // Status jwt_verify_lib gives for that text: the first invalid key's, JwksNoValidKeys for an
  // empty "keys" list, or JwksParseError, JwksNoKeys or JwksBadKeys for the document itself.
  //
  // Format::Jwks accepts {"keys": [...]} and, as jwt_verify_lib does, a JSON object that maps
  // each kid to an X.509 certificate in PEM (the format of Google's service account keys).
  // Format::Pem accepts one "PUBLIC KEY" block (SubjectPublicKeyInfo) that contains an RSA, EC
  // (P-256, P-384, P-521) or Ed25519 key. That key has no kid and no alg.
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

// Assembles a Jwks from several sources, for key sets that are not a single JWKS or PEM text
// (a PEM key with a kid and alg, keys merged from two documents, keys edited in tests).
// build() gives the set the status rule of Jwks::parse: Ok when it contains a key, otherwise
// the first failure recorded by an add call, or JwksNoValidKeys when there was none.
class JwksBuilder {
 public:
  JwksBuilder();

  // Adds the valid keys of a JWKS document (see Jwks::parse) and records the invalid ones as
  // skipped. Returns Ok when at least one key was added, else the status a set made of this
  // document alone would have.
  Status addJwks(std::string_view json);

  // Adds the key of a PEM "PUBLIC KEY" block with the given kid and alg, as jwt_verify_lib's
  // createFromPem does. alg only selects the key by name in verifySignature() and does not
  // change which algorithms the key material fits. crv names an EC key's own curve (where
  // jwt_verify_lib derives it from alg). On failure nothing is added, the error is listed in
  // skipped() and returned.
  Status addPem(std::string_view pem, std::string_view kid = {}, std::string_view alg = {});

  // Adds a key built elsewhere. `key.public_key` or `key.hmac_secret` must match `key.type`.
  void addKey(Jwk key);

  // The keys added so far, editable until build().
  std::vector<Jwk>& keys() { return jwks_->keys_; }

  // Returns the set and leaves the builder empty.
  std::shared_ptr<const Jwks> build();

 private:
  void recordFailure(Status status);

  std::shared_ptr<Jwks> jwks_;
  Status first_failure_ = Status::Ok;
};

// Checks the signature of `jwt` against the keys of `jwks` with jwt_verify_lib's selection
// rule: a key is skipped when both it and the token have a kid and they differ, or when the key
// has an alg different from the token's. JwksKidAlgMismatch when no key is left,
// JwtVerificationFail when keys were tried and none verified.
//
// Each remaining key is tried with the token's algorithm only if its key material fits that
// algorithm (see KeyType): an HS token never verifies against an RSA or EC key, ES384 needs a
// P-384 key, and so on. A key that does not fit still counts as tried, so the result is
// JwtVerificationFail, as under jwt_verify_lib. For EdDSA a signature that is not 64 bytes
// returns JwtEd25519SignatureWrongLength at the first Ed25519 key tried.
//
// The set is only read, so several threads may verify against one Jwks at once.
Status verifySignature(const Jwt& jwt, const Jwks& jwks);

}  // namespace portcullis::jwt
