// Builders for authorization tests: policies written as C++ structs, requests with hand-built
// identities, and helpers that compile and evaluate them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/json/parse.hpp>

#include "authz/attributes.h"
#include "authz/engine.h"
#include "config/resources.h"
#include "jwt/jwt.h"

namespace portcullis::authz::testing {

using Action = config::AuthorizationPolicy::Action;

// Payloads of the Istio integration-test tokens (istio/istio, tests/common/jwt/jwt_token.go),
// decoded. Authorization only reads the verified payload, so the signatures do not matter here.
inline constexpr std::string_view kTokenIssuer1 =
    R"({"exp":4715782722,"groups":["group-1"],"iat":1562182722,"iss":"test-issuer-1@istio.io","sub":"sub-1"})";
inline constexpr std::string_view kTokenIssuer2 =
    R"({"exp":4715782783,"groups":["group-2"],"iat":1562182783,"iss":"test-issuer-2@istio.io","sub":"sub-2"})";
inline constexpr std::string_view kTokenIssuer1WithAud =
    R"({"aud":"foo","exp":4732994801,"iat":1579394801,"iss":"test-issuer-1@istio.io","sub":"sub-1"})";
inline constexpr std::string_view kTokenIssuer1WithAudList =
    R"({"aud":["foo","buzz"],"exp":4868725993,"iat":1715125993,"iss":"test-issuer-1@istio.io","sub":"sub-1"})";
inline constexpr std::string_view kTokenIssuer1WithAzp =
    R"({"azp":"bar","exp":4734125453,"iat":1580525453,"iss":"test-issuer-1@istio.io","sub":"sub-1"})";
inline constexpr std::string_view kTokenIssuer1WithNestedClaims1 =
    R"({"exp":4757607896,"iat":1604007896,"iss":"test-issuer-1@istio.io","nested":{"key1":["valueA","valueB"],"nested-2":{"key1":["valueA","valueB"]}},"sub":"sub-1"})";
inline constexpr std::string_view kTokenIssuer1WithNestedClaims2 =
    R"({"exp":4757608018,"iat":1604008018,"iss":"test-issuer-1@istio.io","nested":{"key2":"valueC","nested-2":{"key2":"valueC"}},"sub":"sub-1"})";
inline constexpr std::string_view kTokenIssuer1WithCollisionResistantName =
    R"({"exp":4837231657,"iat":1683631657,"iss":"test-issuer-1@istio.io","sub":"sub-1","test-issuer-1@istio.io/nested":{"key1":"valueC","nested-2":{"key1":"valueC"}},"test-issuer-1@istio.io/simple":"valueC"})";
inline constexpr std::string_view kTokenIssuer2WithSpaceDelimitedScope =
    R"({"exp":4906854242,"iat":1753254242,"iss":"test-issuer-2@istio.io","scope":"write read","sub":"sub-2"})";
inline constexpr std::string_view kTokenIssuer2WithSpaceDelimitedPermission =
    R"({"exp":4730732495,"iat":1577132495,"iss":"test-issuer-2@istio.io","permission":"read write","sub":"sub-2"})";
inline constexpr std::string_view kTokenIssuer2WithCustomScope =
    R"({"custom_scope":"admin user","exp":4908009267,"iat":1754409267,"iss":"test-issuer-2@istio.io","sub":"sub-2"})";

// Payloads of tokens signed with the same Istio test key, each with one unusual claim.
inline constexpr std::string_view kTokenNoSub =
    R"({"exp":4732994801,"iat":1579394801,"iss":"test-issuer-1@istio.io"})";
inline constexpr std::string_view kTokenSubWithSlash =
    R"({"exp":4732994801,"iat":1579394801,"iss":"test-issuer-1@istio.io","sub":"team/alice"})";
inline constexpr std::string_view kTokenBoolNumClaims =
    R"({"admin":true,"exp":4732994801,"iat":1579394801,"iss":"test-issuer-1@istio.io","level":5,"role":"admin","sub":"sub-1"})";
inline constexpr std::string_view kTokenAudHttpsSlash =
    R"({"aud":"https://foo/","exp":4732994801,"iat":1579394801,"iss":"test-issuer-1@istio.io","sub":"sub-1"})";
inline constexpr std::string_view kTokenScopeWithUrlIssuer =
    R"({"exp":4732994801,"iat":1579394801,"iss":"https://issuer.example.com","org":{"name":"acme","tier":"gold"},"roles":["viewer","editor"],"scope":"read:orders write:orders","sub":"user-42"})";

// Builds a verified token from its payload JSON, as JWT authentication would leave it.
inline jwt::Jwt jwtFromPayload(std::string_view payload_json) {
  jwt::Jwt token;
  token.alg = "RS256";
  token.payload = boost::json::parse(payload_json).as_object();
  if (auto it = token.payload.find("iss"); it != token.payload.end() && it->value().is_string()) {
    token.iss = std::string(it->value().get_string());
  }
  if (auto it = token.payload.find("sub"); it != token.payload.end() && it->value().is_string()) {
    token.sub = std::string(it->value().get_string());
  }
  if (auto it = token.payload.find("aud"); it != token.payload.end()) {
    if (it->value().is_string()) {
      token.audiences.emplace_back(it->value().get_string());
    } else if (it->value().is_array()) {
      for (const auto& element : it->value().get_array()) {
        if (element.is_string()) {
          token.audiences.emplace_back(element.get_string());
        }
      }
    }
  }
  return token;
}

// A request with owned storage; attributes() returns views into it, so keep it alive.
struct TestRequest {
  std::string method = "GET";
  std::string host = "www.example.com";
  std::string path = "/";
  boost::beast::http::fields headers;
  boost::asio::ip::address source_ip = boost::asio::ip::make_address("127.0.0.1");
  boost::asio::ip::address remote_ip = boost::asio::ip::make_address("127.0.0.1");
  boost::asio::ip::address destination_ip = boost::asio::ip::make_address("127.0.0.1");
  uint16_t destination_port = 8080;
  std::string sni;
  std::optional<jwt::Jwt> jwt;
  std::vector<std::string> space_delimited_claims;
  Identity identity;

  TestRequest& withPath(std::string value) {
    path = std::move(value);
    return *this;
  }
  TestRequest& withMethod(std::string value) {
    method = std::move(value);
    return *this;
  }
  TestRequest& withHost(std::string value) {
    host = std::move(value);
    return *this;
  }
  TestRequest& withHeader(std::string_view name, std::string_view value) {
    headers.insert(name, value);
    return *this;
  }
  TestRequest& withToken(std::string_view payload_json) {
    jwt = jwtFromPayload(payload_json);
    return *this;
  }
  TestRequest& withSpaceDelimitedClaims(std::vector<std::string> claims) {
    space_delimited_claims = std::move(claims);
    return *this;
  }
  TestRequest& withSourceIp(std::string_view address) {
    source_ip = boost::asio::ip::make_address(address);
    return *this;
  }
  TestRequest& withRemoteIp(std::string_view address) {
    remote_ip = boost::asio::ip::make_address(address);
    return *this;
  }
  TestRequest& withDestinationIp(std::string_view address) {
    destination_ip = boost::asio::ip::make_address(address);
    return *this;
  }
  TestRequest& withDestinationPort(uint16_t port) {
    destination_port = port;
    return *this;
  }
  TestRequest& withSni(std::string value) {
    sni = std::move(value);
    return *this;
  }

  RequestAttributes attributes() {
    RequestAttributes attributes;
    attributes.method = method;
    attributes.host = host;
    attributes.path = path;
    attributes.headers = &headers;
    attributes.source_ip = source_ip;
    attributes.remote_ip = remote_ip;
    attributes.destination_ip = destination_ip;
    attributes.destination_port = destination_port;
    attributes.sni = sni;
    if (jwt) {
      identity.jwt = &*jwt;
      identity.space_delimited_claims = &space_delimited_claims;
      attributes.identity = &identity;
    }
    return attributes;
  }
};

inline config::AuthorizationPolicy makePolicy(std::string name, Action action,
                                              std::vector<config::Rule> rules) {
  config::AuthorizationPolicy policy;
  policy.meta.kind = "AuthorizationPolicy";
  policy.meta.name = std::move(name);
  policy.meta.ns = "istio-system";
  policy.action = action;
  policy.has_rules = true;
  policy.rules = std::move(rules);
  return policy;
}

// A policy whose spec has no `rules` key at all.
inline config::AuthorizationPolicy makePolicyWithoutRules(std::string name, Action action) {
  config::AuthorizationPolicy policy = makePolicy(std::move(name), action, {});
  policy.has_rules = false;
  return policy;
}

inline config::AuthorizationPolicy dryRun(config::AuthorizationPolicy policy) {
  policy.meta.annotations["istio.io/dry-run"] = "true";
  policy.dry_run = true;
  return policy;
}

inline config::AuthorizationPolicy withProvider(config::AuthorizationPolicy policy,
                                                std::string provider) {
  policy.provider = std::move(provider);
  return policy;
}

inline config::Rule fromSource(config::Source source) {
  config::Rule rule;
  rule.from.push_back(std::move(source));
  return rule;
}

inline config::Rule toOperation(config::Operation operation) {
  config::Rule rule;
  rule.to.push_back(std::move(operation));
  return rule;
}

inline config::Rule when(config::Condition condition) {
  config::Rule rule;
  rule.when.push_back(std::move(condition));
  return rule;
}

inline config::Operation paths(std::vector<std::string> values) {
  config::Operation operation;
  operation.paths = std::move(values);
  return operation;
}

inline config::Condition condition(std::string key, std::vector<std::string> values,
                                   std::vector<std::string> not_values = {}) {
  config::Condition result;
  result.key = std::move(key);
  result.values = std::move(values);
  result.not_values = std::move(not_values);
  return result;
}

// Compiles `policies` in order, as the snapshot does for one workload.
inline std::shared_ptr<const Engine> compileAll(
    const std::vector<config::AuthorizationPolicy>& policies) {
  std::vector<const config::AuthorizationPolicy*> pointers;
  for (const config::AuthorizationPolicy& policy : policies) {
    pointers.push_back(&policy);
  }
  return Engine::compile(pointers);
}

// A Decision with its policy name copied out, so it outlives the engine that made it.
struct OwnedDecision {
  bool allowed = true;
  std::string policy;
  int rule = -1;
  bool audit = false;
};

inline OwnedDecision decide(const std::vector<config::AuthorizationPolicy>& policies,
                            TestRequest request, Trace* trace = nullptr) {
  std::shared_ptr<const Engine> engine = compileAll(policies);
  Decision decision = engine->evaluate(request.attributes(), trace);
  return {decision.allowed, std::string(decision.policy), decision.rule, decision.audit};
}

// Renders a trace one entry per line, for failure messages.
inline std::string traceText(const Trace& trace) {
  std::string out;
  for (const TraceEntry& entry : trace.entries) {
    out += entry.action + " " + entry.policy + (entry.rule >= 0 ? "" : " policy") +
           (entry.matched ? " [matched] " : " [no match] ") + entry.detail + "\n";
  }
  return out;
}

// Whether an ALLOW policy made of `rule` alone allows `request`, that is whether `rule` matches.
// `explanation` receives the trace, for failure messages.
inline bool ruleMatches(const config::Rule& rule, TestRequest request,
                        std::string* explanation = nullptr) {
  Trace trace;
  OwnedDecision decision =
      decide({makePolicy("rule-under-test", Action::Allow, {rule})}, std::move(request), &trace);
  if (explanation != nullptr) {
    *explanation = traceText(trace);
  }
  return decision.allowed;
}

}  // namespace portcullis::authz::testing
