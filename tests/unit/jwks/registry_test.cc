// Key sources: InlineKeySource, and the Registry that hands out one source per distinct inline
// key set or remote URI. Remote sources fetch from a local HTTP server on 127.0.0.1.
#include "jwks/registry.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "../authn/test_tokens.h"
#include "jwks/key_source.h"
#include "local_http_server.h"

namespace portcullis::jwks::testing {
namespace {

using portcullis::testing::demoJwksText;
using portcullis::testing::kDemoKid;

constexpr std::string_view kOrigin = "istio-system/jwt-example jwtRules[0]";

config::JwtRule inlineRule(std::string jwks, std::string issuer = "testing@secure.istio.io") {
  config::JwtRule rule;
  rule.issuer = std::move(issuer);
  rule.jwks = std::move(jwks);
  return rule;
}

config::JwtRule remoteRule(std::string jwks_uri, std::string issuer = "https://a.example.com") {
  config::JwtRule rule;
  rule.issuer = std::move(issuer);
  rule.jwks_uri = std::move(jwks_uri);
  rule.timeout = std::chrono::milliseconds(2000);
  return rule;
}

// Runs `io` until `done` returns true or 10 seconds pass, and returns whether it did.
bool runUntil(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(InlineKeySource, ParsesKeySet) {
  InlineKeySource source(demoJwksText(), std::string(kOrigin));
  const auto keys = source.current();
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->status(), jwt::Status::Ok);
  ASSERT_EQ(keys->keys().size(), 1u);
  EXPECT_EQ(keys->keys()[0].kid, kDemoKid);
}

TEST(InlineKeySource, AttemptedAtOnce) {
  InlineKeySource source(demoJwksText(), std::string(kOrigin));
  EXPECT_TRUE(source.attempted());
}

TEST(InlineKeySource, DescribesOrigin) {
  InlineKeySource source(demoJwksText(), std::string(kOrigin));
  EXPECT_EQ(source.describe(), "inline JWKS of istio-system/jwt-example jwtRules[0]");
  EXPECT_EQ(source.text(), demoJwksText());
}

TEST(InlineKeySource, UnusableKeySetKeepsItsStatus) {
  InlineKeySource source(R"({"keys":[]})", std::string(kOrigin));
  ASSERT_NE(source.current(), nullptr);
  EXPECT_EQ(source.current()->status(), jwt::Status::JwksNoValidKeys);
}

TEST(InlineKeySource, InvalidJsonKeepsItsStatus) {
  InlineKeySource source("{not json", std::string(kOrigin));
  ASSERT_NE(source.current(), nullptr);
  EXPECT_EQ(source.current()->status(), jwt::Status::JwksParseError);
}

TEST(Registry, InlineRuleGivesInlineSource) {
  asio::io_context io;
  Registry registry(io, nullptr);
  const auto source = registry.sourceFor(inlineRule(demoJwksText()), std::string(kOrigin));
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->describe(), "inline JWKS of istio-system/jwt-example jwtRules[0]");
  ASSERT_NE(source->current(), nullptr);
  EXPECT_EQ(source->current()->keys().at(0).kid, kDemoKid);
}

TEST(Registry, SameInlineTextShared) {
  asio::io_context io;
  Registry registry(io, nullptr);
  const auto first = registry.sourceFor(inlineRule(demoJwksText()), "ns/a jwtRules[0]");
  const auto second = registry.sourceFor(inlineRule(demoJwksText(), "https://other.example.com"),
                                         "ns/b jwtRules[1]");
  EXPECT_EQ(first, second);
}

TEST(Registry, DifferentInlineTextSeparate) {
  asio::io_context io;
  Registry registry(io, nullptr);
  const auto first = registry.sourceFor(inlineRule(demoJwksText()), std::string(kOrigin));
  const auto second = registry.sourceFor(inlineRule(R"({"keys":[]})"), std::string(kOrigin));
  EXPECT_NE(first, second);
}

TEST(Registry, InlineWinsOverJwksUri) {
  asio::io_context io;
  Registry registry(io, nullptr);
  config::JwtRule rule = inlineRule(demoJwksText());
  rule.jwks_uri = "http://127.0.0.1:1/never-fetched";
  const auto source = registry.sourceFor(rule, std::string(kOrigin));
  EXPECT_TRUE(source->describe().starts_with("inline JWKS"));
  EXPECT_EQ(io.poll(), 0u);  // nothing was scheduled
}

TEST(Registry, AllAttemptedWithInlineSources) {
  asio::io_context io;
  Registry registry(io, nullptr);
  EXPECT_TRUE(registry.allAttempted());
  registry.sourceFor(inlineRule(demoJwksText()), std::string(kOrigin));
  EXPECT_TRUE(registry.allAttempted());
}

TEST(Registry, CollectDropsUnusedSources) {
  asio::io_context io;
  Registry registry(io, nullptr);
  std::weak_ptr<KeySource> weak =
      registry.sourceFor(inlineRule(demoJwksText()), std::string(kOrigin));
  EXPECT_FALSE(weak.expired());  // the registry still owns it
  registry.collect();
  EXPECT_TRUE(weak.expired());
}

TEST(Registry, CollectKeepsUsedSources) {
  asio::io_context io;
  Registry registry(io, nullptr);
  const auto held = registry.sourceFor(inlineRule(demoJwksText()), std::string(kOrigin));
  registry.collect();
  EXPECT_EQ(registry.sourceFor(inlineRule(demoJwksText()), std::string(kOrigin)), held);
}

// A remote source with a server, a registry and a count of on_change calls. Members are
// declared so that the registry goes before the io_context it posts to.
struct RemoteFixture {
  explicit RemoteFixture(LocalHttpServer::Handler handler, RemoteOptions options = {})
      : server(std::move(handler)),
        registry(
            io, [this] { ++changes; }, options) {}

  LocalHttpServer server;
  std::atomic<int> changes{0};
  asio::io_context io;
  Registry registry;
};

RemoteOptions fastRetries() {
  RemoteOptions options;
  options.refresh_interval = std::chrono::milliseconds(50);
  options.first_retry = std::chrono::milliseconds(50);
  options.max_retry = std::chrono::milliseconds(100);
  return options;
}

TEST(RemoteKeySource, FetchesKeySet) {
  RemoteFixture fixture([](const ServerRequest&) { return respond(200, demoJwksText()); });
  const auto source =
      fixture.registry.sourceFor(remoteRule(fixture.server.url("/jwks")), std::string(kOrigin));
  EXPECT_FALSE(fixture.registry.allAttempted());
  ASSERT_TRUE(runUntil(fixture.io, [&] { return source->attempted(); }));
  ASSERT_NE(source->current(), nullptr);
  EXPECT_EQ(source->current()->keys().at(0).kid, kDemoKid);
  EXPECT_GE(fixture.changes.load(), 1);
  EXPECT_TRUE(fixture.registry.allAttempted());
}

TEST(RemoteKeySource, DescribesUri) {
  RemoteFixture fixture([](const ServerRequest&) { return respond(200, demoJwksText()); });
  const std::string uri = fixture.server.url("/jwks");
  const auto source = fixture.registry.sourceFor(remoteRule(uri), std::string(kOrigin));
  EXPECT_EQ(source->describe(), "JWKS " + uri);
}

TEST(RemoteKeySource, FailedFetchLeavesNoKeys) {
  RemoteFixture fixture([](const ServerRequest&) { return respond(500, "oops"); });
  const auto source =
      fixture.registry.sourceFor(remoteRule(fixture.server.url("/jwks")), std::string(kOrigin));
  ASSERT_TRUE(runUntil(fixture.io, [&] { return source->attempted(); }));
  EXPECT_EQ(source->current(), nullptr);
  EXPECT_GE(fixture.changes.load(), 1);
}

TEST(RemoteKeySource, NonKeySetBodyRejected) {
  RemoteFixture fixture([](const ServerRequest&) { return respond(200, "<html>hello</html>"); });
  const auto source =
      fixture.registry.sourceFor(remoteRule(fixture.server.url("/jwks")), std::string(kOrigin));
  ASSERT_TRUE(runUntil(fixture.io, [&] { return source->attempted(); }));
  EXPECT_EQ(source->current(), nullptr);
}

TEST(RemoteKeySource, DiscoversJwksUri) {
  std::string jwks_uri;
  RemoteFixture fixture([&](const ServerRequest& request) {
    if (request.target() == "/issuer/.well-known/openid-configuration") {
      return respond(200, R"({"issuer":"x","jwks_uri":")" + jwks_uri + R"("})");
    }
    return respond(200, demoJwksText());
  });
  jwks_uri = fixture.server.url("/certs");
  // The issuer's trailing slash is dropped before the well-known path is appended.
  config::JwtRule rule = remoteRule("", fixture.server.url("/issuer/"));
  const auto source = fixture.registry.sourceFor(rule, std::string(kOrigin));
  EXPECT_TRUE(source->describe().starts_with("OIDC discovery"));
  ASSERT_TRUE(runUntil(fixture.io, [&] { return source->attempted(); }));
  ASSERT_NE(source->current(), nullptr);
  const auto requests = fixture.server.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].target(), "/issuer/.well-known/openid-configuration");
  EXPECT_EQ(requests[1].target(), "/certs");
}

TEST(RemoteKeySource, DiscoveryWithoutJwksUriFails) {
  RemoteFixture fixture([](const ServerRequest&) { return respond(200, R"({"issuer":"x"})"); });
  const auto source = fixture.registry.sourceFor(remoteRule("", fixture.server.url("/issuer")),
                                                 std::string(kOrigin));
  ASSERT_TRUE(runUntil(fixture.io, [&] { return source->attempted(); }));
  EXPECT_EQ(source->current(), nullptr);
  EXPECT_EQ(fixture.server.requests().size(), 1u);
}

TEST(RemoteKeySource, RetriesAfterFailure) {
  std::atomic<int> served{0};
  RemoteFixture fixture(
      [&](const ServerRequest&) {
        return ++served == 1 ? respond(503, "starting") : respond(200, demoJwksText());
      },
      fastRetries());
  const auto source =
      fixture.registry.sourceFor(remoteRule(fixture.server.url("/jwks")), std::string(kOrigin));
  ASSERT_TRUE(runUntil(fixture.io, [&] { return source->current() != nullptr; }));
  EXPECT_GE(served.load(), 2);
}

TEST(RemoteKeySource, RefreshFailureKeepsLastGoodKeys) {
  std::atomic<int> served{0};
  RemoteFixture fixture(
      [&](const ServerRequest&) {
        return ++served == 1 ? respond(200, demoJwksText()) : respond(500, "down");
      },
      fastRetries());
  const auto source =
      fixture.registry.sourceFor(remoteRule(fixture.server.url("/jwks")), std::string(kOrigin));
  ASSERT_TRUE(runUntil(fixture.io, [&] { return served.load() >= 3; }));
  ASSERT_NE(source->current(), nullptr);
  EXPECT_EQ(source->current()->keys().at(0).kid, kDemoKid);
}

TEST(RemoteKeySource, RefreshPublishesNewKeys) {
  std::atomic<int> served{0};
  RemoteFixture fixture(
      [&](const ServerRequest&) {
        return ++served == 1 ? respond(200, demoJwksText())
                             : respond(200, portcullis::testing::istioTestJwksText());
      },
      fastRetries());
  const auto source =
      fixture.registry.sourceFor(remoteRule(fixture.server.url("/jwks")), std::string(kOrigin));
  ASSERT_TRUE(runUntil(fixture.io, [&] {
    const auto keys = source->current();
    return keys && keys->keys().at(0).kid != kDemoKid;
  }));
  EXPECT_GE(fixture.changes.load(), 2);
}

TEST(RemoteKeySource, SameRuleShared) {
  RemoteFixture fixture([](const ServerRequest&) { return respond(200, demoJwksText()); });
  const std::string uri = fixture.server.url("/jwks");
  const auto first = fixture.registry.sourceFor(remoteRule(uri), "ns/a jwtRules[0]");
  const auto second = fixture.registry.sourceFor(remoteRule(uri), "ns/b jwtRules[0]");
  EXPECT_EQ(first, second);
}

TEST(RemoteKeySource, DifferentTimeoutSeparate) {
  RemoteFixture fixture([](const ServerRequest&) { return respond(200, demoJwksText()); });
  const std::string uri = fixture.server.url("/jwks");
  config::JwtRule slow = remoteRule(uri);
  slow.timeout = std::chrono::milliseconds(9000);
  EXPECT_NE(fixture.registry.sourceFor(remoteRule(uri), std::string(kOrigin)),
            fixture.registry.sourceFor(slow, std::string(kOrigin)));
}

}  // namespace
}  // namespace portcullis::jwks::testing
