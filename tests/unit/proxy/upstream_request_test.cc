// What the upstream receives: hop-by-hop headers removed, X-Forwarded-For extended with the
// TCP peer (Envoy with use_remote_address), x-forwarded-proto and x-request-id set, and the
// route's rewrites and header operations applied. Also request ids and upstream failure
// replies.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "pipeline_test_util.h"

namespace portcullis::proxy::testing {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kRequestId = "8f14e45f-ceea-467a-9af0-2f1b2a3c4d5e";

std::string valueOf(const http::fields& headers, std::string_view name) {
  auto it = headers.find(name);
  return it == headers.end() ? std::string("<absent>") : std::string(it->value());
}

// Prepares `request` as if it had been routed by `route` (none: no route).
// Prepares `request` as forwarded by `route`, selected by its first match (as decide() records
// the match that selected a route).
void prepare(Request& request, const snapshot::Route* route = nullptr) {
  Outcome outcome;
  outcome.forward.route = route;
  if (route && !route->matches.empty()) {
    outcome.forward.match = &route->matches.front();
  }
  prepareUpstreamRequest(request, outcome, std::string(kRequestId));
}

TEST(RemoveHopByHop, StandardHeaders) {
  http::fields headers;
  for (std::string_view name :
       {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade"}) {
    headers.set(name, "x");
  }
  headers.set("Accept", "*/*");
  removeHopByHopHeaders(headers);
  for (std::string_view name :
       {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"}) {
    EXPECT_EQ(headers.count(name), 0u) << name;
  }
  EXPECT_EQ(valueOf(headers, "accept"), "*/*");
}

TEST(RemoveHopByHop, HeadersNamedInConnection) {
  http::fields headers;
  headers.set("Connection", "close, X-Session-Hint ,x-trace");
  headers.set("X-Session-Hint", "1");
  headers.set("X-Trace", "2");
  headers.set("X-Kept", "3");
  removeHopByHopHeaders(headers);
  EXPECT_EQ(headers.count("x-session-hint"), 0u);
  EXPECT_EQ(headers.count("x-trace"), 0u);
  EXPECT_EQ(valueOf(headers, "x-kept"), "3");
}

TEST(RemoveHopByHop, EveryConnectionLine) {
  http::fields headers;
  headers.insert("Connection", "x-one");
  headers.insert("Connection", "x-two");
  headers.set("x-one", "1");
  headers.set("x-two", "2");
  removeHopByHopHeaders(headers);
  EXPECT_EQ(headers.count("x-one"), 0u);
  EXPECT_EQ(headers.count("x-two"), 0u);
}

TEST(RemoveHopByHop, TransferEncodingLeftToSerializer) {
  http::fields headers;
  headers.set("Connection", "transfer-encoding");
  headers.set("Transfer-Encoding", "chunked");
  removeHopByHopHeaders(headers);
  EXPECT_EQ(valueOf(headers, "transfer-encoding"), "chunked");
}

TEST(PrepareUpstream, SetsForwardedForToPeer) {
  Request request = get("/headers");
  prepare(request);
  EXPECT_EQ(valueOf(request.headers, "x-forwarded-for"), "10.0.0.9");
}

TEST(PrepareUpstream, AppendsPeerToForwardedFor) {
  Request request = get("/headers");
  request.headers.set("X-Forwarded-For", "203.0.113.7");
  prepare(request);
  EXPECT_EQ(valueOf(request.headers, "x-forwarded-for"), "203.0.113.7,10.0.0.9");
}

TEST(PrepareUpstream, JoinsForwardedForLines) {
  Request request = get("/headers");
  request.headers.insert("X-Forwarded-For", "203.0.113.7");
  request.headers.insert("X-Forwarded-For", "198.51.100.2");
  prepare(request);
  EXPECT_EQ(request.headers.count("x-forwarded-for"), 1u);
  EXPECT_EQ(valueOf(request.headers, "x-forwarded-for"), "203.0.113.7,198.51.100.2,10.0.0.9");
}

TEST(PrepareUpstream, AppendsPeerNotTrustedAddress) {
  Request request = get("/headers");
  request.headers.set("X-Forwarded-For", "56.5.6.7, 72.9.5.6");
  Outcome outcome;
  outcome.remote_ip = boost::asio::ip::make_address("72.9.5.6");
  prepareUpstreamRequest(request, outcome, std::string(kRequestId));
  EXPECT_EQ(valueOf(request.headers, "x-forwarded-for"), "56.5.6.7, 72.9.5.6,10.0.0.9");
}

TEST(PrepareUpstream, OverridesForwardedProto) {
  Request request = get("/headers");
  request.headers.set("X-Forwarded-Proto", "https");
  prepare(request);
  EXPECT_EQ(valueOf(request.headers, "x-forwarded-proto"), "http");
  EXPECT_EQ(request.headers.count("x-forwarded-proto"), 1u);
}

TEST(PrepareUpstream, SetsRequestId) {
  Request request = get("/headers");
  request.headers.set("X-Request-Id", "client-chosen");
  prepare(request);
  EXPECT_EQ(valueOf(request.headers, "x-request-id"), kRequestId);
  EXPECT_EQ(request.headers.count("x-request-id"), 1u);
}

TEST(PrepareUpstream, RemovesExpectAndHopByHop) {
  Request request = get("/headers");
  request.headers.set("Expect", "100-continue");
  request.headers.set("Connection", "keep-alive");
  request.headers.set("Upgrade", "websocket");
  prepare(request);
  EXPECT_EQ(request.headers.count("expect"), 0u);
  EXPECT_EQ(request.headers.count("connection"), 0u);
  EXPECT_EQ(request.headers.count("upgrade"), 0u);
}

TEST(PrepareUpstream, KeepsEndToEndHeaders) {
  Request request = get("/headers");
  request.headers.set("Accept", "application/json");
  request.headers.set("User-Agent", "curl/8.0");
  prepare(request);
  EXPECT_EQ(valueOf(request.headers, "accept"), "application/json");
  EXPECT_EQ(valueOf(request.headers, "user-agent"), "curl/8.0");
  EXPECT_EQ(valueOf(request.headers, "host"), "httpbin.example.com");
}

TEST(PrepareUpstream, RewritesMatchedPrefix) {
  snapshot::Route route = routeTo(Gateway::kHttpbin, {pathPrefix("/api")});
  route.rewrite_prefix = "/v1";
  Request request = get("/api/users?page=2");
  prepare(request, &route);
  EXPECT_EQ(request.target, "/v1/users?page=2");
}

TEST(PrepareUpstream, RewriteToRoot) {
  snapshot::Route route = routeTo(Gateway::kHttpbin, {pathPrefix("/api/")});
  route.rewrite_prefix = "/";
  Request request = get("/api/users");
  prepare(request, &route);
  EXPECT_EQ(request.target, "/users");
}

TEST(PrepareUpstream, RewriteAfterCaseInsensitivePrefix) {
  // ignoreUriCase makes the prefix match case-insensitive, and Envoy's prefix_rewrite then
  // replaces as many characters as the prefix has, whatever their case.
  snapshot::RouteMatch match;
  match.path = prefix("/api", true);
  snapshot::Route route = routeTo(Gateway::kHttpbin, {match});
  route.rewrite_prefix = "/v1";
  Request request = get("/API/users");
  prepare(request, &route);
  EXPECT_EQ(request.target, "/v1/users");
}

TEST(PrepareUpstream, RewriteOfExactMatchReplacesPath) {
  snapshot::RouteMatch match;
  match.path = exact("/old");
  snapshot::Route route = routeTo(Gateway::kHttpbin, {match});
  route.rewrite_prefix = "/new";
  Request request = get("/old?x=1");
  prepare(request, &route);
  EXPECT_EQ(request.target, "/new?x=1");
}

TEST(PrepareUpstream, RewritesAuthority) {
  snapshot::Route route = routeTo(Gateway::kHttpbin);
  route.rewrite_authority = "backend.internal";
  Request request = get("/headers");
  prepare(request, &route);
  EXPECT_EQ(valueOf(request.headers, "host"), "backend.internal");
  EXPECT_EQ(request.target, "/headers");
}

TEST(PrepareUpstream, AppliesHeaderOperations) {
  snapshot::Route route = routeTo(Gateway::kHttpbin);
  route.request_headers.remove = {"x-remove-me"};
  route.request_headers.set = {{"x-set", "new"}};
  route.request_headers.add = {{"x-add", "second"}};
  Request request = get("/headers");
  request.headers.set("X-Remove-Me", "1");
  request.headers.set("X-Set", "old");
  request.headers.set("X-Add", "first");
  prepare(request, &route);
  EXPECT_EQ(request.headers.count("x-remove-me"), 0u);
  EXPECT_EQ(valueOf(request.headers, "x-set"), "new");
  EXPECT_EQ(request.headers.count("x-set"), 1u);
  EXPECT_EQ(request.headers.count("x-add"), 2u);
}

TEST(PrepareUpstream, RouteWithoutRewriteKeepsTarget) {
  snapshot::Route route = routeTo(Gateway::kHttpbin, {pathPrefix("/api")});
  Request request = get("/api/users?x=1");
  prepare(request, &route);
  EXPECT_EQ(request.target, "/api/users?x=1");
}

TEST(NewRequestId, IsVersion4Uuid) {
  const std::string id = newRequestId();
  ASSERT_EQ(id.size(), 36u);
  for (size_t i : {8u, 13u, 18u, 23u}) {
    EXPECT_EQ(id[i], '-') << id;
  }
  EXPECT_EQ(id[14], '4') << id;
  EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      continue;
    }
    EXPECT_NE(std::string_view("0123456789abcdef").find(id[i]), std::string_view::npos) << id;
  }
}

TEST(NewRequestId, Unique) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.insert(newRequestId());
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(UpstreamFailureReply, StatusBodyAndDetails) {
  const LocalReply reply = upstreamFailureReply(503, "upstream connect error");
  EXPECT_EQ(reply.status, 503u);
  EXPECT_EQ(reply.body, "upstream connect error");
  EXPECT_EQ(reply.details, "upstream connect error");
  EXPECT_TRUE(reply.headers.empty());
}

}  // namespace
}  // namespace portcullis::proxy::testing
