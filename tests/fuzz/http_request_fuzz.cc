// HTTP/1.1 requests as a gateway connection handles them (src/proxy/session.cc): Beast's
// request_parser with the gateway's default limits reads each header, the gateway's own limit
// checks run, then proxy::decide() runs path normalization, JWT authentication, authorization
// and routing on a fixed snapshot built from the YAML below. Bodies are read through a small
// buffer_body window, and the connection goes on to the next request while keep-alive allows.
//
// The first input byte sets how many bytes each simulated socket read delivers (0: the whole
// input at once); the rest is the byte stream a client sends. Besides memory errors it checks:
// - the decision does not change with a trace or a warm token cache;
// - a local reply, and the request header sent upstream, serialize to a message that parses
//   again with the same number of header lines, so no input can inject a header.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "authn/token_cache.h"
#include "fuzz_util.h"
#include "jwks/key_source.h"
#include "proxy/pipeline.h"
#include "proxy/server.h"
#include "snapshot/snapshot.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace proxy = portcullis::proxy;
namespace snapshot = portcullis::snapshot;
namespace config = portcullis::config;
namespace jwks = portcullis::jwks;

// After the iat and before the exp of the seed tokens.
constexpr uint64_t kNow = 1700000000;
// Requests handled per input; more pipelined requests add little.
constexpr int kMaxRequests = 4;
constexpr size_t kBodyWindowBytes = 64;

// ${DEMO_JWKS} and ${TEST_JWKS} are replaced by the Istio demo key set and the key set of
// Istio's test tokens, which sign most seed tokens.
constexpr std::string_view kGatewayYaml = R"yaml(
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |-
    pathNormalization:
      normalization: MERGE_SLASHES
    defaultConfig:
      gatewayTopology:
        numTrustedProxies: 1
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gateway, namespace: istio-system}
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: routes, namespace: istio-system}
spec:
  hosts: ["www.example.com", "*.example.org", "api.example.com"]
  gateways: ["gateway"]
  http:
  - match:
    - uri: {exact: /ip}
      method: {exact: GET}
    - uri: {regex: "/status/[0-9]{3}"}
    route:
    - destination: {host: httpbin.foo.svc.cluster.local, port: {number: 8000}}
  - match:
    - headers:
        "@request.auth.claims.groups": {exact: group-1}
      uri: {prefix: /claims}
    - queryParams:
        debug: {exact: "1"}
    route:
    - destination: {host: other.foo.svc.cluster.local, port: {number: 80}}
  - match:
    - uri: {prefix: /api/}
      ignoreUriCase: true
    rewrite: {uri: /, authority: backend.example.com}
    timeout: 3s
    headers:
      request:
        set: {x-gateway: portcullis}
        add: {x-added: one}
        remove: [x-internal]
      response:
        set: {x-served-by: portcullis}
    route:
    - destination: {host: httpbin.foo.svc.cluster.local, port: {number: 8000}}
      weight: 70
    - destination: {host: other.foo.svc.cluster.local, port: {number: 80}}
      weight: 30
  - match:
    - withoutHeaders:
        x-route: {exact: b}
    route:
    - destination: {host: httpbin.foo.svc.cluster.local, port: {number: 8000}}
  - route:
    - destination: {host: empty.foo.svc.cluster.local, port: {number: 80}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: foo}
spec:
  hosts: [httpbin.foo.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 8000, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: other, namespace: foo}
spec:
  hosts: [other.foo.svc.cluster.local]
  location: MESH_INTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints: [{address: other.example.net}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: testing@secure.istio.io
    jwks: '${DEMO_JWKS}'
    outputPayloadToHeader: x-jwt-payload
  - issuer: test-issuer-1@istio.io
    jwks: '${TEST_JWKS}'
    fromHeaders:
    - {name: authorization, prefix: "Bearer "}
    - {name: x-jwt-token, prefix: "Value "}
    fromParams: [access_token, token]
    fromCookies: [session-jwt]
    forwardOriginalToken: true
    outputClaimToHeaders:
    - {header: x-jwt-sub, claim: sub}
    - {header: x-jwt-groups, claim: groups}
  - issuer: test-issuer-2@istio.io
    jwks: '${TEST_JWKS}'
    audiences: [foo, "https://bar/"]
    spaceDelimitedClaims: [custom_scope]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: istio-system}
spec:
  action: DENY
  rules:
  - from:
    - source: {notRequestPrincipals: ["*"]}
    to:
    - operation: {paths: ["/admin*", "/secret/{**}"]}
  - from:
    - source: {remoteIpBlocks: ["203.0.113.0/24"]}
  - when:
    - key: request.headers[x-user]
      values: ["bad*"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: istio-system}
spec:
  action: ALLOW
  rules:
  - from:
    - source: {requestPrincipals: ["*"]}
  - to:
    - operation:
        methods: [GET, HEAD, OPTIONS, POST]
        paths: ["/ip", "/headers", "/status/*", "/api/{**}", "/claims*", "/"]
  - when:
    - key: request.auth.claims[groups]
      values: [group-2]
)yaml";

class InlineKeys : public jwks::KeySourceProvider {
 public:
  std::shared_ptr<jwks::KeySource> sourceFor(const config::JwtRule& rule,
                                             const std::string& origin) override {
    return std::make_shared<jwks::InlineKeySource>(rule.jwks, origin);
  }
};

struct Gateway {
  std::shared_ptr<const snapshot::Snapshot> snapshot;
  const snapshot::Listener* listener = nullptr;
  portcullis::authn::KeySets keys;
  proxy::Limits limits;
};

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string oneLine(std::string text) {
  std::erase(text, '\n');
  return text;
}

const Gateway& gateway() {
  static const Gateway* instance = [] {
    const std::filesystem::path root = PORTCULLIS_SOURCE_DIR;
    std::string yaml = replaceAll(std::string(kGatewayYaml), "${DEMO_JWKS}",
                                  oneLine(portcullis::fuzz::readFile(
                                      root / "samples" / "istio" / "jwks.json")));
    yaml = replaceAll(std::move(yaml), "${TEST_JWKS}",
                      oneLine(portcullis::fuzz::readFile(
                          root / "tests" / "vectors" / "jwt" / "istio-tests" / "jwks.json")));
    const config::LoadResult loaded = portcullis::fuzz::loadFixedConfig(yaml, "gateway.yaml");

    snapshot::BuildOptions options;
    options.workload.ns = "istio-system";
    options.workload.labels = {{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}};
    options.port_map = {{80, 8080}};
    InlineKeys keys;
    auto* out = new Gateway;
    out->snapshot = snapshot::build(loaded.resources, options, keys).snapshot;
    PORTCULLIS_FUZZ_CHECK(out->snapshot != nullptr, "the fixed snapshot did not build");
    out->listener = out->snapshot->findListener(8080);
    PORTCULLIS_FUZZ_CHECK(out->listener != nullptr, "the fixed snapshot has no port 8080");
    for (const auto& source : out->listener->key_sources) {
      out->keys.push_back(source->current());
      PORTCULLIS_FUZZ_CHECK(out->keys.back() != nullptr, "an inline key set did not load");
    }
    return out;
  }();
  return *instance;
}

// The bytes a client sends, delivered `read_size` bytes per read as a socket would.
class Client {
 public:
  Client(std::string_view stream, size_t read_size) : stream_(stream), read_size_(read_size) {}

  // Moves the next read into `buffered`; false when the client has nothing more to send.
  bool read(std::string& buffered) {
    if (stream_.empty()) {
      return false;
    }
    const size_t n = read_size_ == 0 ? stream_.size() : std::min(read_size_, stream_.size());
    buffered.append(stream_.substr(0, n));
    stream_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view stream_;
  size_t read_size_;
};

using RequestParser = http::request_parser<http::buffer_body>;

// Feeds `parser` until `done` holds, reading from `client` when it needs more bytes.
template <typename Done>
boost::system::error_code feed(RequestParser& parser, std::string& buffered, Client& client,
                               Done done) {
  boost::system::error_code ec;
  while (!done()) {
    if (buffered.empty() && !client.read(buffered)) {
      return http::error::partial_message;
    }
    const size_t used = parser.put(boost::asio::buffer(buffered), ec);
    buffered.erase(0, used);
    if (ec == http::error::need_more) {
      if (!client.read(buffered)) {
        return http::error::partial_message;
      }
      ec = {};
      continue;
    }
    if (ec == http::error::need_buffer) {
      return {};  // the body window is full; the caller empties it
    }
    if (ec) {
      return ec;
    }
  }
  return {};
}

// Serializes `message`'s header and parses it again: the line count must not change.
template <bool isRequest>
void checkReparses(const http::header<isRequest, http::fields>& header, const char* what) {
  std::ostringstream out;
  out << header;
  const std::string text = out.str();
  http::parser<isRequest, http::empty_body> parser;
  parser.eager(false);
  parser.header_limit(1024 * 1024);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(text), ec);
  PORTCULLIS_FUZZ_CHECK(!ec && parser.is_header_done(), what);
  const auto& reparsed = parser.get();
  PORTCULLIS_FUZZ_CHECK(std::distance(reparsed.begin(), reparsed.end()) ==
                            std::distance(header.begin(), header.end()),
                        what);
}

void checkLocalReply(const proxy::LocalReply& reply) {
  http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
  response.set(http::field::server, "portcullis");
  if (!reply.body.empty()) {
    response.set(http::field::content_type, "text/plain");
  }
  for (const auto& [name, value] : reply.headers) {
    response.set(name, value);
  }
  response.body() = reply.body;
  response.prepare_payload();
  checkReparses(response.base(), "a local reply does not parse again unchanged");
}

void checkUpstreamRequest(const proxy::Request& request) {
  http::request<http::empty_body> upstream;
  static_cast<http::fields&>(upstream) = request.headers;
  upstream.method_string(request.method);
  upstream.target(request.target);
  upstream.version(11);
  checkReparses(upstream.base(), "the upstream request header does not parse again unchanged");
}

void checkSameOutcome(const proxy::Outcome& first, const proxy::Outcome& other,
                      const char* what) {
  PORTCULLIS_FUZZ_CHECK(first.reply.has_value() == other.reply.has_value(), what);
  if (first.reply) {
    PORTCULLIS_FUZZ_CHECK(first.reply->status == other.reply->status, what);
    PORTCULLIS_FUZZ_CHECK(first.reply->body == other.reply->body, what);
  }
  PORTCULLIS_FUZZ_CHECK(first.forward.route == other.forward.route, what);
}

// Decides `request` as session.cc does and checks the result. Returns false when the
// connection closes after this request.
bool handle(proxy::Request request, RequestParser& parser, portcullis::authn::TokenCache& cache) {
  const Gateway& gw = gateway();
  proxy::DecideOptions options;
  options.now = kNow;

  proxy::Request cold = request;
  const proxy::Outcome plain = proxy::decide(*gw.snapshot, *gw.listener, gw.keys, cold, options);
  options.token_cache = &cache;
  options.trace = true;
  proxy::Request traced_request = request;
  const proxy::Outcome traced =
      proxy::decide(*gw.snapshot, *gw.listener, gw.keys, traced_request, options);
  options.trace = false;
  const proxy::Outcome outcome =
      proxy::decide(*gw.snapshot, *gw.listener, gw.keys, request, options);
  checkSameOutcome(plain, traced, "a trace changed the decision");
  checkSameOutcome(plain, outcome, "the token cache changed the decision");

  if (outcome.reply) {
    checkLocalReply(*outcome.reply);
    return parser.keep_alive() && parser.is_done() && outcome.reply->status != 400;
  }
  proxy::prepareUpstreamRequest(request, outcome, "00000000-0000-4000-8000-000000000000");
  checkUpstreamRequest(request);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  (void)gateway();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const Gateway& gw = gateway();
  Client client(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), data[0]);
  std::string buffered;
  portcullis::authn::TokenCache cache(16);
  char body_window[kBodyWindowBytes];

  for (int i = 0; i < kMaxRequests; ++i) {
    RequestParser parser;
    parser.header_limit(static_cast<uint32_t>(gw.limits.max_request_header_bytes));
    parser.body_limit(boost::none);
    if (feed(parser, buffered, client, [&] { return parser.is_header_done(); })) {
      return 0;  // the gateway replies 400 or 431, or the client went away
    }

    auto& message = parser.get();
    if (message.target().size() > gw.limits.max_request_target_bytes ||
        static_cast<size_t>(std::distance(message.begin(), message.end())) >
            gw.limits.max_request_headers) {
      return 0;  // 414 or 431, then the connection closes
    }
    proxy::Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.peer = boost::asio::ip::make_address("10.0.0.9");
    request.local = boost::asio::ip::make_address("10.0.0.1");
    request.local_port = 8080;
    request.headers = static_cast<const http::fields&>(message);
    if (!handle(std::move(request), parser, cache)) {
      return 0;
    }

    // The body streams upstream through a fixed window, as in sendRequest().
    while (!parser.is_done()) {
      message.body().data = body_window;
      message.body().size = sizeof body_window;
      if (feed(parser, buffered, client, [&] {
            return parser.is_done() || message.body().size == 0;
          })) {
        return 0;
      }
    }
    if (!parser.keep_alive()) {
      return 0;
    }
  }
  return 0;
}
