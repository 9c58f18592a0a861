// Authorization matching (authz/engine.h) of random requests against a fixed policy set that
// uses every source, operation and condition field. The input is text, one field per line:
//
//   method, host, path, source IP, remote IP, destination IP, destination port, SNI,
//   claims (a JSON object: the verified token's payload, or empty for no token),
//   then any number of "name: value" header lines.
//
// Missing lines are empty. Besides memory errors it checks that tracing does not change the
// decision, since dry-run policies are evaluated only when a trace is requested.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/json/object.hpp>
#include <spdlog/spdlog.h>

#include "authz/attributes.h"
#include "authz/engine.h"
#include "fuzz_util.h"
#include "jwt/json_parse.h"
#include "jwt/jwt.h"

namespace {

namespace authz = portcullis::authz;
namespace config = portcullis::config;
namespace jwt = portcullis::jwt;

constexpr std::string_view kPolicies = R"yaml(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-unauthenticated-admin
  namespace: istio-system
spec:
  action: DENY
  rules:
  - from:
    - source:
        notRequestPrincipals: ["*"]
    to:
    - operation:
        paths: ["/admin*", "/secret/{**}", "*/private"]
  - from:
    - source:
        ipBlocks: ["10.1.0.0/16", "2001:db8::/32", "203.0.113.7"]
        notRemoteIpBlocks: ["192.168.0.0/16"]
  - to:
    - operation:
        methods: ["DELETE", "PATCH"]
        notHosts: ["*.internal.example.com"]
    when:
    - key: request.auth.claims[groups]
      notValues: ["admin"]
  - when:
    - key: request.headers[x-user]
      values: ["bad*", "*evil", "exact-user"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: dry-run-deny-everything
  namespace: istio-system
  annotations:
    istio.io/dry-run: "true"
spec:
  action: DENY
  rules:
  - {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: audit-writes
  namespace: istio-system
spec:
  action: AUDIT
  rules:
  - to:
    - operation:
        methods: ["POST", "PUT"]
        notPaths: ["/health"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-known
  namespace: istio-system
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        requestPrincipals: ["test-issuer-1@istio.io/*", "*@secure.istio.io/*", "*/sub-2"]
  - to:
    - operation:
        hosts: ["www.example.com", "*.example.org", "api.example.com:8080"]
        ports: ["8080", "80"]
        methods: ["GET", "HEAD"]
        paths: ["/headers", "/ip", "/foo/{*}/bar/{**}", "/status/*", "/store/{**}/cart"]
  - when:
    - key: request.auth.claims[org][tier]
      values: ["gold"]
    - key: request.auth.audiences
      values: ["api*"]
  - when:
    - key: request.auth.presenter
      values: ["*"]
    - key: request.auth.principal
      notValues: ["*/blocked"]
    - key: request.auth.claims[scope]
      values: ["read:orders"]
  - when:
    - key: source.ip
      values: ["10.0.0.0/8"]
    - key: remote.ip
      notValues: ["127.0.0.1"]
    - key: destination.ip
      values: ["10.0.0.1", "::1"]
    - key: destination.port
      values: ["8080"]
    - key: connection.sni
      values: ["*.example.com"]
  - when:
    - key: request.headers[x-api-key]
      values: ["key-*"]
    - key: request.auth.claims[custom_scope]
      values: ["write"]
  - from:
    - source:
        principals: ["cluster.local/ns/foo/sa/bar"]
        namespaces: ["foo"]
    - source:
        remoteIpBlocks: ["192.168.5.0/24"]
        notIpBlocks: ["10.9.9.9"]
)yaml";

struct Fixture {
  config::LoadResult loaded;
  std::shared_ptr<const authz::Engine> engine;
  std::vector<std::string> space_delimited_claims{"custom_scope"};
};

const Fixture& fixture() {
  static const Fixture* instance = [] {
    auto* out = new Fixture{portcullis::fuzz::loadFixedConfig(kPolicies, "policies.yaml"), {}};
    std::vector<const config::AuthorizationPolicy*> policies;
    for (const auto& policy : out->loaded.resources.authorization_policies) {
      policies.push_back(&policy);
    }
    out->engine = authz::Engine::compile(policies);
    return out;
  }();
  return *instance;
}

// Splits the input into lines; the returned views point into `text`.
std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return lines;
}

boost::asio::ip::address parseAddress(std::string_view text) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(text), ec);
  return ec ? boost::asio::ip::address{} : address;
}

// Copies the registered claims out of `payload` as parseJwt() would.
void fillRegisteredClaims(jwt::Jwt& token) {
  std::string_view text;
  if (jwt::getString(token.payload, "iss", text) == jwt::FieldResult::Ok) {
    token.iss = text;
  }
  if (jwt::getString(token.payload, "sub", text) == jwt::FieldResult::Ok) {
    token.sub = text;
  }
  const auto* aud = token.payload.if_contains("aud");
  if (aud && aud->is_string()) {
    token.audiences.emplace_back(aud->get_string());
  } else if (aud && aud->is_array()) {
    for (const auto& item : aud->get_array()) {
      if (item.is_string()) {
        token.audiences.emplace_back(item.get_string());
      }
    }
  }
}

void checkSameDecision(const authz::Decision& plain, const authz::Decision& traced) {
  PORTCULLIS_FUZZ_CHECK(plain.allowed == traced.allowed, "tracing changed the decision");
  PORTCULLIS_FUZZ_CHECK(plain.policy == traced.policy, "tracing changed the deciding policy");
  PORTCULLIS_FUZZ_CHECK(plain.rule == traced.rule, "tracing changed the deciding rule");
  PORTCULLIS_FUZZ_CHECK(plain.audit == traced.audit, "tracing changed the audit flag");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  PORTCULLIS_FUZZ_CHECK(!fixture().engine->empty(), "the fixed policy set compiled to nothing");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string_view> lines =
      splitLines(std::string_view(reinterpret_cast<const char*>(data), size));
  constexpr size_t kFixedLines = 9;
  const size_t header_count = lines.size() > kFixedLines ? lines.size() - kFixedLines : 0;
  lines.resize(kFixedLines + header_count);

  boost::beast::http::fields headers;
  for (size_t i = kFixedLines; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
    headers.insert(line.substr(0, colon), value);
  }

  jwt::Jwt token;
  authz::Identity identity;
  identity.jwt = &token;
  identity.space_delimited_claims = &fixture().space_delimited_claims;
  const bool has_token = jwt::parseJsonObject(lines[8], token.payload);
  if (has_token) {
    fillRegisteredClaims(token);
  }

  uint16_t port = 0;
  for (char c : lines[6].substr(0, 5)) {
    port = static_cast<uint16_t>(port * 10 + (static_cast<unsigned char>(c) % 10));
  }

  authz::RequestAttributes request;
  request.method = lines[0];
  request.host = lines[1];
  request.path = lines[2];
  request.headers = &headers;
  request.source_ip = parseAddress(lines[3]);
  request.remote_ip = parseAddress(lines[4]);
  request.destination_ip = parseAddress(lines[5]);
  request.destination_port = port;
  request.sni = lines[7];
  request.identity = has_token ? &identity : nullptr;

  const authz::Engine& engine = *fixture().engine;
  authz::Trace trace;
  const authz::CustomMatch custom = engine.matchCustom(request, nullptr);
  const authz::CustomMatch custom_traced = engine.matchCustom(request, &trace);
  PORTCULLIS_FUZZ_CHECK(custom.matched == custom_traced.matched, "tracing changed CUSTOM");
  checkSameDecision(engine.evaluate(request, nullptr), engine.evaluate(request, &trace));
  return 0;
}
