#include "fixtures.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace portcullis::bench {
namespace {

[[noreturn]] void fail(std::string_view what, std::string_view error) {
  std::fprintf(stderr, "micro-benchmark fixture: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(error.size()), error.data());
  std::abort();
}

}  // namespace

uint64_t nowSeconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

TokenFixture makeTokenFixture(std::string_view alg) {
  TokenFixture fixture;
  fixture.alg = std::string(alg);
  fixture.kid = "bench-" + fixture.alg;
  std::string error;
  if (!jwt::generateSigningKey(alg, fixture.key, error)) {
    fail("generating a key for " + fixture.alg, error);
  }
  boost::json::object jwk;
  if (!jwt::publicJwk(fixture.key, jwk, error)) {
    fail("exporting the public key for " + fixture.alg, error);
  }
  jwk["kid"] = fixture.kid;
  jwk["alg"] = fixture.alg;
  boost::json::object set;
  set["keys"] = boost::json::array{jwk};
  fixture.jwks_text = boost::json::serialize(set);
  fixture.jwks = jwt::Jwks::parse(fixture.jwks_text);
  if (fixture.jwks->status() != jwt::Status::Ok) {
    fail("parsing the JWKS for " + fixture.alg, jwt::statusMessage(fixture.jwks->status()));
  }
  fixture.token = mintToken(fixture, "user-0001");
  return fixture;
}

std::string mintToken(const TokenFixture& fixture, std::string_view subject) {
  const uint64_t now = nowSeconds();
  boost::json::object header{{"alg", fixture.alg}, {"typ", "JWT"}, {"kid", fixture.kid}};
  boost::json::object payload{
      {"iss", kIssuer},
      {"sub", subject},
      {"aud", "api.bench.example"},
      {"iat", now},
      {"exp", now + 86400},
      {"scope", "read:items write:items"},
      {"groups", boost::json::array{"team-7", "staff"}},
  };
  std::string token;
  std::string error;
  if (!jwt::signJwt(header, payload, fixture.key, token, error)) {
    fail("signing a token with " + fixture.alg, error);
  }
  return token;
}

std::string rawRequest(std::string_view token) {
  std::string request =
      "GET /api/svc7/items/42?expand=owner HTTP/1.1\r\n"
      "Host: svc7.bench.example\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
      "Accept: application/json, text/plain, */*\r\n"
      "Accept-Language: en-GB,en;q=0.7\r\n"
      "Accept-Encoding: gzip, deflate, br\r\n"
      "Referer: https://app.bench.example/items\r\n"
      "Origin: https://app.bench.example\r\n"
      "X-Request-Id: 6f1c2d1e-3f1b-4c55-9a3e-6f0b8f0f2a11\r\n"
      "X-Forwarded-For: 203.0.113.7\r\n"
      "Cookie: theme=dark; session_hint=abc123\r\n"
      "Connection: keep-alive\r\n";
  if (!token.empty()) {
    request.append("Authorization: Bearer ");
    request.append(token);
    request.append("\r\n");
  }
  request.append("\r\n");
  return request;
}

}  // namespace portcullis::bench
