// Keys, tokens and requests shared by the micro-benchmarks. Everything is generated in the
// process at start-up, so the benchmarks need no files.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jwt/jwks.h"
#include "jwt/sign.h"

namespace portcullis::bench {

inline constexpr std::string_view kIssuer = "https://issuer.bench.example";

// A signing key, the JWKS text with its public half, and one token signed with it.
struct TokenFixture {
  std::string alg;
  std::string kid;
  jwt::SigningKey key;
  std::string jwks_text;  // {"keys": [{... "kid": kid, "alg": alg}]}
  std::shared_ptr<const jwt::Jwks> jwks;
  std::string token;
};

// Generates a key for `alg` and signs a token shaped like a typical access token: iss, sub,
// aud, iat, exp one day ahead, a scope string and a groups list. Aborts on failure, since a
// benchmark without its fixture measures nothing.
TokenFixture makeTokenFixture(std::string_view alg);

// Signs another token with the fixture's key; `subject` makes it distinct.
std::string mintToken(const TokenFixture& fixture, std::string_view subject);

// Seconds since the epoch.
uint64_t nowSeconds();

// A browser-like HTTP/1.1 GET request: request line, Host, ten common headers and, unless
// `token` is empty, "Authorization: Bearer <token>", ending with the empty line.
std::string rawRequest(std::string_view token);

}  // namespace portcullis::bench
