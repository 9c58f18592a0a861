// The whole per-request decision, proxy::decide(): path normalization, JWT authentication with
// the token in the worker's TokenCache, an ALLOW policy that requires a request principal, and
// routing. The configuration is the one bench/run.sh gives the gateway in its RS256 and ES256
// targets. The request is copied on each iteration, as decide() edits it (the token header is
// stripped), and BM_RequestCopy measures that copy alone.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <boost/asio/ip/address.hpp>

#include "authn/token_cache.h"
#include "config/loader.h"
#include "fixtures.h"
#include "jwks/key_source.h"
#include "proxy/pipeline.h"
#include "snapshot/snapshot.h"

namespace portcullis::bench {
namespace {

namespace http = boost::beast::http;

constexpr uint16_t kListenPort = 8080;

// Key sources for inline JWKS only, which is all the benchmark configuration uses.
class InlineKeys : public jwks::KeySourceProvider {
 public:
  std::shared_ptr<jwks::KeySource> sourceFor(const config::JwtRule& rule,
                                             const std::string& origin) override {
    return std::make_shared<jwks::InlineKeySource>(rule.jwks, origin);
  }
};

std::string manifests(const TokenFixture& fixture) {
  return R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench, namespace: bench}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: upstream, namespace: bench}
spec:
  hosts: ["*"]
  gateways: [bench]
  http:
  - route:
    - destination: {host: upstream.bench.svc.cluster.local, port: {number: 80}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: upstream, namespace: bench}
spec:
  hosts: [upstream.bench.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules:
  - issuer: ")" +
         std::string(kIssuer) +
         R"("
    jwks: ')" +
         fixture.jwks_text +
         R"('
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: ALLOW
  rules:
  - from:
    - source: {requestPrincipals: ["*"]}
)";
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "pipeline benchmark: %s\n", message.c_str());
  std::abort();
}

struct PipelineSetup {
  TokenFixture fixture;
  InlineKeys key_provider;
  std::shared_ptr<const snapshot::Snapshot> snapshot;
  const snapshot::Listener* listener = nullptr;
  authn::KeySets keys;
  proxy::Request request;

  explicit PipelineSetup(const std::string& alg) : fixture(makeTokenFixture(alg)) {
    config::LoadResult loaded = config::loadString(manifests(fixture), "bench.yaml");
    if (!loaded.ok()) {
      fail("the configuration does not load: " + loaded.diagnostics.front().format());
    }
    snapshot::BuildOptions options;
    options.workload.ns = "istio-system";
    options.workload.labels = {{"istio", "ingressgateway"}};
    options.port_map = {{80, kListenPort}};
    snapshot::BuildResult built = snapshot::build(loaded.resources, options, key_provider);
    if (!built.snapshot) {
      fail("the snapshot does not build");
    }
    snapshot = built.snapshot;
    listener = snapshot->findListener(kListenPort);
    if (listener == nullptr) {
      fail("no listener on the benchmark port");
    }
    for (const auto& source : listener->key_sources) {
      keys.push_back(source->current());
    }

    request.method = "GET";
    request.target = "/api/svc7/items/42?expand=owner";
    request.headers.set(http::field::host, "svc7.bench.example");
    request.headers.set(http::field::user_agent, "wrk");
    request.headers.set(http::field::accept, "application/json");
    request.headers.set(http::field::authorization, "Bearer " + fixture.token);
    request.peer = boost::asio::ip::make_address("127.0.0.1");
    request.local = boost::asio::ip::make_address("127.0.0.1");
    request.local_port = kListenPort;
  }
};

void BM_DecideCachedToken(benchmark::State& state, const std::string& alg) {
  PipelineSetup setup(alg);
  authn::TokenCache cache;
  proxy::DecideOptions options;
  options.now = nowSeconds();
  options.token_cache = &cache;
  {
    proxy::Request request = setup.request;
    const proxy::Outcome outcome =
        proxy::decide(*setup.snapshot, *setup.listener, setup.keys, request, options);
    if (outcome.reply || outcome.forward.cluster == nullptr) {
      state.SkipWithError("the request is not forwarded");
      return;
    }
  }
  for (auto _ : state) {
    proxy::Request request = setup.request;
    proxy::Outcome outcome =
        proxy::decide(*setup.snapshot, *setup.listener, setup.keys, request, options);
    benchmark::DoNotOptimize(outcome);
  }
}

void BM_RequestCopy(benchmark::State& state) {
  PipelineSetup setup("ES256");
  for (auto _ : state) {
    proxy::Request request = setup.request;
    benchmark::DoNotOptimize(request);
  }
}

BENCHMARK_CAPTURE(BM_DecideCachedToken, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(BM_DecideCachedToken, ES256, std::string("ES256"));
BENCHMARK(BM_RequestCopy);

}  // namespace
}  // namespace portcullis::bench
