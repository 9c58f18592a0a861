// Signing of JWTs and generation of signing keys, for the `portcullis token` tools: every
// algorithm that verifySignature() checks, with OpenSSL 3's EVP interface. Also the JWK
// thumbprint of RFC 7638, which the tools use as the default key id.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "jwt/jwks.h"

namespace portcullis::jwt {

// A key that signs tokens: a private key, or the shared secret of an HMAC algorithm.
struct SigningKey {
  KeyType type = KeyType::Rsa;
  EvpPkeyPtr private_key;   // Rsa, EcP256, EcP384, EcP521 and Ed25519 keys
  std::string hmac_secret;  // Hmac keys
};

// The key type that signs `alg` (RS256 to PS512: Rsa, ES256: EcP256, ES384: EcP384, ES512:
// EcP521, EdDSA: Ed25519, HS256 to HS512: Hmac), or nullopt when `alg` is not one of these.
std::optional<KeyType> keyTypeForAlgorithm(std::string_view alg);

// A short name of a key type for messages: "RSA", "EC P-256", "Ed25519", "HMAC".
std::string_view keyTypeName(KeyType type);

// Reads the first private key in `pem`: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or
// SEC1 ("EC PRIVATE KEY"). Encrypted keys are rejected, since no passphrase can be given. On
// failure returns false and sets `error`. RSA-PSS-only keys and EC curves other than P-256,
// P-384 and P-521 are rejected too.
bool readPrivateKeyPem(std::string_view pem, SigningKey& out, std::string& error);

// A key of type Hmac with `secret` as the shared secret.
SigningKey hmacSigningKey(std::string secret);

// Generates a key for `alg`: an RSA key of `rsa_bits` bits with e = 65537 for RS* and PS*, a
// key on the curve of ES256, ES384 or ES512, an Ed25519 key for EdDSA, and for HS* a random
// secret as long as the hash output, the minimum of RFC 7518 section 3.2. Returns false and
// sets `error` for an unknown `alg`, fewer than 2048 RSA bits (RFC 7518 section 3.3) or a
// failure inside OpenSSL.
bool generateSigningKey(std::string_view alg, SigningKey& out, std::string& error,
                        int rsa_bits = 2048);

// The private key in PKCS#8 PEM ("PRIVATE KEY"). Empty for Hmac keys and on failure.
std::string privateKeyPem(const SigningKey& key);

// The public JWK of `key` with only its required members (RFC 7518 section 6): {kty, n, e}
// for RSA, {kty, crv, x, y} for EC, {kty, crv, x} for Ed25519 (RFC 8037) and {kty, k} for
// HMAC, where k is the secret itself. Returns false and sets `error` if OpenSSL cannot export
// the key.
bool publicJwk(const SigningKey& key, boost::json::object& out, std::string& error);

// Computes the JWK thumbprint of RFC 7638 with SHA-256, in base64url without padding. The
// digest covers a JSON object without whitespace made of the required members of `jwk`, in
// this order: e, kty, n for RSA; crv, kty, x, y for EC; crv, kty, x for OKP; k, kty for oct.
// Other members, such as kid and alg, do not count. Returns false and sets `error` when kty
// is missing or unknown, or a required member is missing or not a string.
bool jwkThumbprint(const boost::json::object& jwk, std::string& out, std::string& error);

// The thumbprint of publicJwk(key).
bool jwkThumbprint(const SigningKey& key, std::string& out, std::string& error);

// Signs `signing_input` with `alg`. The signature is in JWS form (RFC 7518 section 3): for
// ES256, ES384 and ES512 the raw r || s, each padded to the curve's coordinate size, and for
// PS* a PSS salt as long as the hash. Returns false and sets `error` when `alg` is unknown,
// when `key` does not fit `alg` (see keyTypeForAlgorithm) or when OpenSSL fails.
bool signJws(std::string_view alg, const SigningKey& key, std::string_view signing_input,
             std::string& signature, std::string& error);

// Builds a compact JWS: base64url(header) "." base64url(payload) "." base64url(signature),
// signed with the algorithm named by the header's "alg" member (see signJws). Members keep
// their order. Returns false and sets `error` when "alg" is missing or signing fails.
bool signJwt(const boost::json::object& header, const boost::json::object& payload,
             const SigningKey& key, std::string& token, std::string& error);

}  // namespace portcullis::jwt
