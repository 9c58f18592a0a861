// Builds OpenSSL public keys from JWK members, PEM public keys and X.509 certificates, with the
// statuses jwt_verify_lib gives for bad input. Keys are built with EVP_PKEY_fromdata, so no
// deprecated RSA or EC_KEY call is involved.
#pragma once

#include <cstddef>
#include <string_view>

#include "jwt/jwks.h"
#include "jwt/status.h"

namespace portcullis::jwt {

// Size in bytes of one coordinate of an EcP256, EcP384 or EcP521 key, which is also the size of
// r and of s in a JWS signature (RFC 7518 section 3.4); 0 for other key types.
size_t ecCoordinateSize(KeyType type);

// RSA key from the base64url members "n" and "e". JwksRsaParseError when either is not
// base64url, when e is not 3 or 65537 (jwt_verify_lib rejects other exponents when it loads
// the key), or when n fails the checks of rsaKeyIsUsable().
Status buildRsaKey(std::string_view n, std::string_view e, EvpPkeyPtr& out);

// EC key on the curve of `type` (EcP256, EcP384 or EcP521) from the base64url members "x" and
// "y". JwksEcXorYBadBase64 when either is not base64url; JwksEcParseError when a coordinate is
// longer than the curve's (after leading zero bytes, which are ignored) or the point is not on
// the curve.
Status buildEcKey(KeyType type, std::string_view x, std::string_view y, EvpPkeyPtr& out);

// Ed25519 key from the base64url member "x". JwksOKPXBadBase64 or JwksOKPXWrongLength.
Status buildEd25519Key(std::string_view x, EvpPkeyPtr& out);

// Key of the first "PUBLIC KEY" PEM block in `pem`; fills public_key, type, kty and, for
// Ed25519, crv. JwksBioAllocError, JwksPemBadBase64 when no such block parses (or an RSA key
// fails rsaKeyIsUsable()), JwksPemNotImplementedKty for other key types and curves,
// JwksPemGetRawEd25519Error.
Status parsePemPublicKey(std::string_view pem, Jwk& out);

// RSA key of the first certificate in `pem`. JwksX509BioWriteError, JwksX509ParseError, or
// JwksX509GetPubkeyError when the certificate contains no key, a key that is not RSA (as under
// jwt_verify_lib) or an RSA key that fails rsaKeyIsUsable().
Status parseX509Certificate(std::string_view pem, EvpPkeyPtr& out);

// The public key checks BoringSSL applies before every RSA verification: n odd and of 34 to
// 16384 bits, e odd and of 2 to 33 bits. Under jwt_verify_lib a key failing them loads and then
// never verifies; Portcullis rejects it when it loads instead.
bool rsaKeyIsUsable(const EVP_PKEY* key);

}  // namespace portcullis::jwt
