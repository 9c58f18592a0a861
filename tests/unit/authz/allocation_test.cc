// Checks that evaluating a request without a trace allocates nothing, by counting calls to the
// global operator new while the engine runs.
// GCC pairs the replaced operator delete with `new` expressions it inlines and warns that free()
// does not match them. The pair is consistent because the replaced operator new uses malloc().
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <atomic>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "test_support.h"

namespace {

std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  void* memory = std::malloc(size == 0 ? 1 : size);
  if (memory == nullptr) {
    throw std::bad_alloc();
  }
  return memory;
}

void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace portcullis::authz::testing {
namespace {

std::vector<config::AuthorizationPolicy> busyPolicies() {
  config::Source deny_source;
  deny_source.ip_blocks = {"10.0.0.0/8", "2001:db8::/32"};
  deny_source.not_request_principals = {"*"};

  config::Rule allow_rule;
  config::Source allow_source;
  allow_source.request_principals = {"test-issuer-1@istio.io/*", "*@example.com/admin"};
  allow_rule.from.push_back(allow_source);
  config::Operation operation = paths({"/api/{*}/items/{**}", "/public*"});
  operation.hosts = {"*.example.com"};
  operation.methods = {"GET", "POST"};
  operation.ports = {"8080"};
  allow_rule.to.push_back(operation);
  allow_rule.when.push_back(condition("request.headers[x-user]", {"good*"}));
  allow_rule.when.push_back(condition("request.auth.claims[groups]", {"group-1"}));
  allow_rule.when.push_back(condition("request.auth.claims[scope]", {}, {"admin"}));
  allow_rule.when.push_back(condition("remote.ip", {"127.0.0.0/8"}));

  return {makePolicy("audit", Action::Audit, {toOperation(paths({"/audited"}))}),
          makePolicy("deny", Action::Deny, {fromSource(deny_source)}),
          dryRun(makePolicy("dry-run-deny", Action::Deny, {config::Rule()})),
          makePolicy("allow", Action::Allow, {toOperation(paths({"/other"})), allow_rule})};
}

TEST(AllocationTest, EvaluateWithoutTrace) {
  auto engine = compileAll(busyPolicies());
  TestRequest request = TestRequest()
                            .withHost("www.example.com")
                            .withPath("/api/v1/items/a/b")
                            .withHeader("x-user", "good")
                            .withHeader("x-user", "also-good")
                            .withToken(kTokenIssuer1);
  RequestAttributes attributes = request.attributes();

  allocations = 0;
  counting = true;
  Decision decision = engine->evaluate(attributes, nullptr);
  counting = false;

  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(allocations.load(), 0);
}

// Shows that the counter counts the engine's allocations: a trace builds strings.
TEST(AllocationTest, TraceAllocates) {
  auto engine = compileAll(busyPolicies());
  TestRequest request = TestRequest().withPath("/other");
  RequestAttributes attributes = request.attributes();
  Trace trace;
  trace.entries.reserve(16);

  allocations = 0;
  counting = true;
  engine->evaluate(attributes, &trace);
  counting = false;

  EXPECT_GT(allocations.load(), 0);
}

TEST(AllocationTest, DeniedWithoutTrace) {
  auto engine = compileAll(busyPolicies());
  TestRequest request = TestRequest().withSourceIp("10.1.2.3").withPath("/api/v1/items/x");
  RequestAttributes attributes = request.attributes();

  allocations = 0;
  counting = true;
  Decision decision = engine->evaluate(attributes, nullptr);
  counting = false;

  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(allocations.load(), 0);
}

TEST(AllocationTest, MatchCustomWithoutTrace) {
  auto engine = compileAll({withProvider(
      makePolicy("ext", Action::Custom, {toOperation(paths({"/headers"}))}), "provider")});
  TestRequest request = TestRequest().withPath("/ip");
  RequestAttributes attributes = request.attributes();

  allocations = 0;
  counting = true;
  CustomMatch match = engine->matchCustom(attributes, nullptr);
  counting = false;

  EXPECT_FALSE(match.matched);
  EXPECT_EQ(allocations.load(), 0);
}

}  // namespace
}  // namespace portcullis::authz::testing
