// JWT compact serialization (RFC 7519, RFC 7515 section 7.1) parsed with the rules of
// jwt_verify_lib, so that the same token yields the same Status as under Envoy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "jwt/status.h"

namespace portcullis::jwt {

// Envoy's jwt_authn default clock skew for exp and nbf.
inline constexpr uint64_t kClockSkewSeconds = 60;

struct Jwt {
  // Header.
  std::string alg;
  std::string kid;
  std::string typ;
  boost::json::object header;

  // Payload. Registered claims are copied out; every claim stays in `payload`.
  std::string iss;
  std::string sub;
  std::string jti;
  std::vector<std::string> audiences;  // "aud" as string or list, in token order
  uint64_t iat = 0;                    // 0 when absent
  uint64_t nbf = 0;
  uint64_t exp = 0;
  boost::json::object payload;

  // Serialized parts.
  std::string header_b64;     // first segment as received
  std::string payload_b64;    // second segment as received (outputPayloadToHeader sends this)
  std::string signature;      // decoded third segment
  std::string signing_input;  // "<header_b64>.<payload_b64>"
};

// Parses `token`; on Status::Ok `out` contains the token. The signature is not checked here.
// The checks run in jwt_verify_lib's order and the first failure is returned:
//  1. exactly two dots and three non-empty segments, else JwtBadFormat;
//  2. header: base64url, a JSON object, "alg" a string naming a supported algorithm (ES256/384/512,
//     HS256/384/512, RS256/384/512, PS256/384/512, EdDSA; "none" is not), "kid" a string if
//     present, and no "crit" member (see jwt.cc);
//  3. payload: base64url and a JSON object; "iss", "sub" and "jti" strings; "iat", "nbf" and "exp"
//     numbers in [0, 2^64), fractions dropped; "aud" a string or a list of strings;
//  4. signature: base64url.
// Base64url follows base64UrlDecode() and JSON follows parseJsonObject(). On failure `out` is
// left partly filled and must not be used.
Status parseJwt(std::string_view token, Jwt& out);

// Parses a compact JWS whose payload need not be a JSON object (RFC 7515 section 7.1): steps 1,
// 2 and 4 of parseJwt(), with the payload only base64url-decoded. The claim fields and
// `payload` stay empty. For JWS test vectors and tools; gateway tokens go through parseJwt().
Status parseJws(std::string_view token, Jwt& out);

// nbf and exp against `now` (seconds since the epoch) with `skew` seconds of tolerance on each
// side: JwtNotYetValid when now + skew < nbf, JwtExpired when exp != 0 and now > exp + skew.
Status verifyTime(const Jwt& jwt, uint64_t now, uint64_t skew = kClockSkewSeconds);

}  // namespace portcullis::jwt
