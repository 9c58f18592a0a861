// RequestAuthentication through authn::Authenticator: a token found in the per-worker
// TokenCache (the keep-alive case of the load tests) against the same token without a cache.
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/beast/http/fields.hpp>

#include "authn/authenticator.h"
#include "authn/token_cache.h"
#include "fixtures.h"

namespace portcullis::bench {
namespace {

namespace http = boost::beast::http;

struct AuthnSetup {
  TokenFixture fixture;
  config::JwtRule rule;
  std::shared_ptr<const authn::Authenticator> authenticator;
  authn::KeySets keys;
  http::fields headers;
};

// One jwtRule with an inline JWKS. forwardOriginalToken keeps the Authorization header in
// place, so the same headers serve every iteration without a copy.
AuthnSetup makeSetup(const std::string& alg) {
  AuthnSetup setup;
  setup.fixture = makeTokenFixture(alg);
  setup.rule.issuer = std::string(kIssuer);
  setup.rule.jwks = setup.fixture.jwks_text;
  setup.rule.forward_original_token = true;
  setup.authenticator = authn::Authenticator::compile({{"bench/jwt", &setup.rule}});
  setup.keys = {setup.fixture.jwks};
  setup.headers.set(http::field::host, "svc7.bench.example");
  setup.headers.set(http::field::accept, "application/json");
  setup.headers.set(http::field::authorization, "Bearer " + setup.fixture.token);
  return setup;
}

// Runs one request outside the timed loop, so a fixture that does not verify is reported
// instead of being timed.
bool verifiesOnce(AuthnSetup& setup, authn::TokenCache* cache) {
  std::string target = "/api/svc7/items/42";
  const authn::Result result = setup.authenticator->authenticate(setup.headers, target, false,
                                                                 setup.keys, nowSeconds(), cache);
  return result.status == jwt::Status::Ok && result.identity != nullptr;
}

void BM_AuthenticateCached(benchmark::State& state, const std::string& alg) {
  AuthnSetup setup = makeSetup(alg);
  authn::TokenCache cache;
  if (!verifiesOnce(setup, &cache)) {
    state.SkipWithError("the token does not verify");
    return;
  }
  std::string target = "/api/svc7/items/42";
  const uint64_t now = nowSeconds();
  for (auto _ : state) {
    authn::Result result =
        setup.authenticator->authenticate(setup.headers, target, false, setup.keys, now, &cache);
    benchmark::DoNotOptimize(result);
  }
  if (static_cast<benchmark::IterationCount>(cache.hits()) < state.iterations()) {
    state.SkipWithError("the token was not served from the cache");
  }
}

void BM_AuthenticateUncached(benchmark::State& state, const std::string& alg) {
  AuthnSetup setup = makeSetup(alg);
  if (!verifiesOnce(setup, nullptr)) {
    state.SkipWithError("the token does not verify");
    return;
  }
  std::string target = "/api/svc7/items/42";
  const uint64_t now = nowSeconds();
  for (auto _ : state) {
    authn::Result result =
        setup.authenticator->authenticate(setup.headers, target, false, setup.keys, now, nullptr);
    benchmark::DoNotOptimize(result);
  }
}

BENCHMARK_CAPTURE(BM_AuthenticateCached, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(BM_AuthenticateCached, ES256, std::string("ES256"));
BENCHMARK_CAPTURE(BM_AuthenticateUncached, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(BM_AuthenticateUncached, ES256, std::string("ES256"));

}  // namespace
}  // namespace portcullis::bench
