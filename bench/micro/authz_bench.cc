// AuthorizationPolicy evaluation (authz::Engine) on policy sets of 10, 100 and 1,000 rules.
// The sets are shaped like those of a gateway that fronts many services. One DENY policy
// covers admin paths and debug headers. Then come per-service ALLOW rules on host, method,
// path prefix, request principal and a groups claim, ten rules to a policy.
#include <deque>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/json/array.hpp>

#include "authz/engine.h"
#include "config/resources.h"
#include "jwt/jwt.h"

namespace portcullis::bench {
namespace {

namespace http = boost::beast::http;
using Action = config::AuthorizationPolicy::Action;

constexpr int kRulesPerPolicy = 10;
constexpr int kDenyRules = 2;

std::string serviceHost(int service) {
  return "svc" + std::to_string(service) + ".bench.example";
}

config::AuthorizationPolicy denyPolicy() {
  config::AuthorizationPolicy policy;
  policy.meta.name = "deny-admin";
  policy.meta.ns = "istio-system";
  policy.action = Action::Deny;
  policy.has_rules = true;

  config::Rule admin;
  config::Operation admin_paths;
  admin_paths.paths = {"/admin/*", "/internal/*"};
  admin.to.push_back(admin_paths);
  config::Source outside;
  outside.not_remote_ip_blocks = {"10.0.0.0/8", "192.168.0.0/16"};
  admin.from.push_back(outside);
  policy.rules.push_back(admin);

  config::Rule debug;
  debug.when.push_back(config::Condition{"request.headers[x-debug]", {"1", "true"}, {}, {}});
  policy.rules.push_back(debug);
  return policy;
}

config::Rule serviceRule(int service) {
  config::Rule rule;
  config::Source source;
  source.request_principals = {"https://issuer.bench.example/*"};
  rule.from.push_back(source);
  config::Operation operation;
  operation.hosts = {serviceHost(service)};
  operation.methods = {"GET", "HEAD", "POST"};
  operation.paths = {"/api/svc" + std::to_string(service) + "/*"};
  rule.to.push_back(operation);
  rule.when.push_back(config::Condition{
      "request.auth.claims[groups]", {"team-" + std::to_string(service)}, {}, {}});
  return rule;
}

// `total_rules` rules: the DENY policy's two, then ALLOW rules for services 0, 1, 2...
std::deque<config::AuthorizationPolicy> makePolicies(int total_rules) {
  std::deque<config::AuthorizationPolicy> policies;
  policies.push_back(denyPolicy());
  const int services = total_rules - kDenyRules;
  for (int first = 0; first < services; first += kRulesPerPolicy) {
    config::AuthorizationPolicy policy;
    policy.meta.name = "allow-services-" + std::to_string(first / kRulesPerPolicy);
    policy.meta.ns = "istio-system";
    policy.meta.order = static_cast<int64_t>(policies.size());
    policy.action = Action::Allow;
    policy.has_rules = true;
    for (int service = first; service < services && service < first + kRulesPerPolicy; ++service) {
      policy.rules.push_back(serviceRule(service));
    }
    policies.push_back(std::move(policy));
  }
  return policies;
}

// A request for `service` from a member of its team, with a verified token.
struct RequestFixture {
  jwt::Jwt token;
  std::vector<std::string> space_delimited;
  authz::Identity identity;
  http::fields headers;
  std::string host;
  std::string path;
  authz::RequestAttributes attributes;

  explicit RequestFixture(int service) {
    token.iss = "https://issuer.bench.example";
    token.sub = "user-0001";
    token.payload["iss"] = token.iss;
    token.payload["sub"] = token.sub;
    token.payload["groups"] = boost::json::array{"staff", "team-" + std::to_string(service)};
    identity.jwt = &token;
    identity.space_delimited_claims = &space_delimited;
    host = serviceHost(service);
    path = "/api/svc" + std::to_string(service) + "/items/42";
    headers.set(http::field::host, host);
    headers.set(http::field::accept, "application/json");
    headers.set(http::field::user_agent, "bench/1.0");
    attributes.method = "GET";
    attributes.host = host;
    attributes.path = path;
    attributes.headers = &headers;
    attributes.source_ip = boost::asio::ip::make_address("127.0.0.1");
    attributes.remote_ip = boost::asio::ip::make_address("203.0.113.7");
    attributes.destination_ip = boost::asio::ip::make_address("127.0.0.1");
    attributes.destination_port = 8080;
    attributes.identity = &identity;
  }
};

std::shared_ptr<const authz::Engine> compileEngine(
    const std::deque<config::AuthorizationPolicy>& policies) {
  std::vector<const config::AuthorizationPolicy*> pointers;
  for (const auto& policy : policies) {
    pointers.push_back(&policy);
  }
  return authz::Engine::compile(pointers);
}

// The request matches the last ALLOW rule, so every rule before it is evaluated.
void BM_AuthzAllowLastRule(benchmark::State& state) {
  const int total_rules = static_cast<int>(state.range(0));
  const auto policies = makePolicies(total_rules);
  const auto engine = compileEngine(policies);
  const RequestFixture request(total_rules - kDenyRules - 1);
  if (!engine->evaluate(request.attributes, nullptr).allowed) {
    state.SkipWithError("the request is not allowed");
    return;
  }
  for (auto _ : state) {
    authz::Decision decision = engine->evaluate(request.attributes, nullptr);
    benchmark::DoNotOptimize(decision);
  }
  state.SetLabel(std::to_string(total_rules) + " rules");
}

// The request matches the first ALLOW rule: the common case when policies are ordered by
// traffic.
void BM_AuthzAllowFirstRule(benchmark::State& state) {
  const int total_rules = static_cast<int>(state.range(0));
  const auto policies = makePolicies(total_rules);
  const auto engine = compileEngine(policies);
  const RequestFixture request(0);
  if (!engine->evaluate(request.attributes, nullptr).allowed) {
    state.SkipWithError("the request is not allowed");
    return;
  }
  for (auto _ : state) {
    authz::Decision decision = engine->evaluate(request.attributes, nullptr);
    benchmark::DoNotOptimize(decision);
  }
}

// No rule matches: every rule is evaluated and the request is denied.
void BM_AuthzDenyNoMatch(benchmark::State& state) {
  const int total_rules = static_cast<int>(state.range(0));
  const auto policies = makePolicies(total_rules);
  const auto engine = compileEngine(policies);
  const RequestFixture request(total_rules + 5);
  if (engine->evaluate(request.attributes, nullptr).allowed) {
    state.SkipWithError("the request is allowed");
    return;
  }
  for (auto _ : state) {
    authz::Decision decision = engine->evaluate(request.attributes, nullptr);
    benchmark::DoNotOptimize(decision);
  }
}

BENCHMARK(BM_AuthzAllowLastRule)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_AuthzAllowFirstRule)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_AuthzDenyNoMatch)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace portcullis::bench
