// JWT parsing and signature verification through src/jwt, one algorithm per benchmark. The
// verify rows are the figures to set beside `openssl speed` for the same primitive.
#include <map>
#include <string>

#include <benchmark/benchmark.h>

#include "fixtures.h"
#include "jwt/jwt.h"

namespace portcullis::bench {
namespace {

// One fixture per algorithm, made on first use, so a filtered run generates no keys for the
// algorithms it skips.
const TokenFixture& fixtureFor(const std::string& alg) {
  static std::map<std::string, TokenFixture> fixtures;
  auto it = fixtures.find(alg);
  if (it == fixtures.end()) {
    it = fixtures.emplace(alg, makeTokenFixture(alg)).first;
  }
  return it->second;
}

void BM_JwtParse(benchmark::State& state, const std::string& alg) {
  const TokenFixture& fixture = fixtureFor(alg);
  for (auto _ : state) {
    jwt::Jwt parsed;
    const jwt::Status status = jwt::parseJwt(fixture.token, parsed);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetLabel(std::to_string(fixture.token.size()) + "-byte token");
}

void BM_JwtVerify(benchmark::State& state, const std::string& alg) {
  const TokenFixture& fixture = fixtureFor(alg);
  jwt::Jwt parsed;
  if (jwt::parseJwt(fixture.token, parsed) != jwt::Status::Ok) {
    state.SkipWithError("the fixture token does not parse");
    return;
  }
  for (auto _ : state) {
    const jwt::Status status = jwt::verifySignature(parsed, *fixture.jwks);
    benchmark::DoNotOptimize(status);
  }
  if (jwt::verifySignature(parsed, *fixture.jwks) != jwt::Status::Ok) {
    state.SkipWithError("the fixture token does not verify");
  }
}

// Parse and verify together: the work for a token the cache has not seen.
void BM_JwtParseAndVerify(benchmark::State& state, const std::string& alg) {
  const TokenFixture& fixture = fixtureFor(alg);
  for (auto _ : state) {
    jwt::Jwt parsed;
    jwt::Status status = jwt::parseJwt(fixture.token, parsed);
    if (status == jwt::Status::Ok) {
      status = jwt::verifySignature(parsed, *fixture.jwks);
    }
    benchmark::DoNotOptimize(status);
  }
}

BENCHMARK_CAPTURE(BM_JwtParse, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(BM_JwtParse, ES256, std::string("ES256"));

BENCHMARK_CAPTURE(BM_JwtVerify, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(BM_JwtVerify, RS384, std::string("RS384"));
BENCHMARK_CAPTURE(BM_JwtVerify, RS512, std::string("RS512"));
BENCHMARK_CAPTURE(BM_JwtVerify, PS256, std::string("PS256"));
BENCHMARK_CAPTURE(BM_JwtVerify, ES256, std::string("ES256"));
BENCHMARK_CAPTURE(BM_JwtVerify, ES384, std::string("ES384"));
BENCHMARK_CAPTURE(BM_JwtVerify, ES512, std::string("ES512"));
BENCHMARK_CAPTURE(BM_JwtVerify, EdDSA, std::string("EdDSA"));
BENCHMARK_CAPTURE(BM_JwtVerify, HS256, std::string("HS256"));

BENCHMARK_CAPTURE(BM_JwtParseAndVerify, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(BM_JwtParseAndVerify, ES256, std::string("ES256"));

}  // namespace
}  // namespace portcullis::bench
