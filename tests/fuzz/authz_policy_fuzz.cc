// Authorization policy compilation and matching (authz/engine.h) with random policies: the
// input is YAML, loaded like a manifest, and every AuthorizationPolicy that loads without error
// is compiled into one engine. That engine then decides a few fixed requests, with and without
// a trace, and the two decisions must agree.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <spdlog/spdlog.h>

#include "authz/attributes.h"
#include "authz/engine.h"
#include "config/loader.h"
#include "fuzz_util.h"
#include "jwt/json_parse.h"
#include "jwt/jwt.h"

namespace {

namespace authz = portcullis::authz;
namespace config = portcullis::config;
namespace jwt = portcullis::jwt;

// The payload of the token that the authenticated requests carry.
constexpr std::string_view kClaims = R"json({
  "iss": "test-issuer-1@istio.io", "sub": "sub-1", "azp": "web-client",
  "aud": ["api.example.com", "https://foo/"], "groups": ["group-1", "admin"],
  "scope": "read:orders write:orders", "custom_scope": "a b", "admin": true, "level": 5,
  "org": {"name": "acme", "tier": "gold", "teams": ["x", "y"]}
})json";

struct FixedRequest {
  boost::beast::http::fields headers;
  authz::RequestAttributes attributes;
};

struct Fixture {
  jwt::Jwt token;
  std::vector<std::string> space_delimited_claims{"custom_scope"};
  authz::Identity identity;
  std::vector<FixedRequest> requests;
};

const Fixture& fixture() {
  static const Fixture* instance = [] {
    auto* out = new Fixture;
    PORTCULLIS_FUZZ_CHECK(jwt::parseJsonObject(kClaims, out->token.payload), "bad claims");
    out->token.iss = "test-issuer-1@istio.io";
    out->token.sub = "sub-1";
    out->token.audiences = {"api.example.com", "https://foo/"};
    out->identity.jwt = &out->token;
    out->identity.space_delimited_claims = &out->space_delimited_claims;

    // Requests keep views into their own header containers, so reserve before filling.
    out->requests.resize(3);
    auto& authenticated = out->requests[0];
    authenticated.headers.insert("x-user", "alice");
    authenticated.headers.insert("x-user", "bob");
    authenticated.headers.insert("authorization", "Bearer abc.def.ghi");
    authenticated.attributes.method = "GET";
    authenticated.attributes.host = "www.example.com";
    authenticated.attributes.path = "/store/a/b/cart";
    authenticated.attributes.source_ip = boost::asio::ip::make_address("10.0.0.9");
    authenticated.attributes.remote_ip = boost::asio::ip::make_address("192.168.5.233");
    authenticated.attributes.destination_ip = boost::asio::ip::make_address("10.0.0.1");
    authenticated.attributes.destination_port = 8080;
    authenticated.attributes.sni = "www.example.com";
    authenticated.attributes.identity = &out->identity;

    auto& anonymous = out->requests[1];
    anonymous.headers.insert("x-forwarded-for", "203.0.113.7, 198.51.100.1");
    anonymous.attributes.method = "POST";
    anonymous.attributes.host = "API.example.org:8080";
    anonymous.attributes.path = "/admin/users/../x";
    anonymous.attributes.source_ip = boost::asio::ip::make_address("2001:db8::1");
    anonymous.attributes.remote_ip = boost::asio::ip::make_address("203.0.113.7");
    anonymous.attributes.destination_ip = boost::asio::ip::make_address("::1");
    anonymous.attributes.destination_port = 80;

    auto& empty = out->requests[2];
    empty.attributes.method = "OPTIONS";
    empty.attributes.host = "";
    empty.attributes.path = "/";

    for (auto& request : out->requests) {
      request.attributes.headers = &request.headers;
    }
    return out;
  }();
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  (void)fixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const config::LoadResult loaded = config::loadString(yaml, "policy.yaml");
  std::vector<const config::AuthorizationPolicy*> policies;
  for (const auto& policy : loaded.resources.authorization_policies) {
    policies.push_back(&policy);
  }
  if (policies.empty()) {
    return 0;
  }

  const auto engine = authz::Engine::compile(policies);
  for (const FixedRequest& request : fixture().requests) {
    authz::Trace trace;
    const authz::CustomMatch custom = engine->matchCustom(request.attributes, nullptr);
    const authz::CustomMatch custom_traced = engine->matchCustom(request.attributes, &trace);
    PORTCULLIS_FUZZ_CHECK(custom.matched == custom_traced.matched, "tracing changed CUSTOM");

    const authz::Decision plain = engine->evaluate(request.attributes, nullptr);
    const authz::Decision traced = engine->evaluate(request.attributes, &trace);
    PORTCULLIS_FUZZ_CHECK(plain.allowed == traced.allowed, "tracing changed the decision");
    PORTCULLIS_FUZZ_CHECK(plain.policy == traced.policy, "tracing changed the deciding policy");
    PORTCULLIS_FUZZ_CHECK(plain.rule == traced.rule, "tracing changed the deciding rule");
    PORTCULLIS_FUZZ_CHECK(plain.audit == traced.audit, "tracing changed the audit flag");
  }
  return 0;
}
