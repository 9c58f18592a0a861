// jwks::fetch() against a local HTTP server on 127.0.0.1: bodies, status codes, redirects,
// the body limit, the deadline and connection failures.
#include "jwks/fetch.h"

#include <chrono>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "local_http_server.h"

namespace portcullis::jwks::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kKeySet = R"({"keys":[]})";

FetchResult runFetch(const std::string& url, const FetchOptions& options = {}) {
  asio::io_context io;
  asio::ssl::context tls = makeClientTlsContext();
  auto result = asio::co_spawn(io, fetch(url, options, tls), asio::use_future);
  io.run();
  return result.get();
}

// A port on 127.0.0.1 with nothing listening: bound once to pick it, then released.
uint16_t closedPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

TEST(Fetch, ReturnsBody) {
  LocalHttpServer server([](const ServerRequest&) { return respond(200, std::string(kKeySet)); });
  const FetchResult result = runFetch(server.url("/keys"));
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.status, 200u);
  EXPECT_EQ(result.body, kKeySet);
  EXPECT_EQ(result.error, "");
}

TEST(Fetch, SendsGetWithHostAndAccept) {
  LocalHttpServer server([](const ServerRequest&) { return respond(200, "{}"); });
  runFetch(server.url("/.well-known/jwks.json?v=2"));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method(), http::verb::get);
  EXPECT_EQ(requests[0].target(), "/.well-known/jwks.json?v=2");
  EXPECT_EQ(requests[0][http::field::host], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0][http::field::accept], "application/json");
  EXPECT_EQ(requests[0].version(), 11u);
}

TEST(Fetch, EmptyPathBecomesSlash) {
  LocalHttpServer server([](const ServerRequest&) { return respond(200, "{}"); });
  runFetch(server.url(""));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target(), "/");
}

TEST(Fetch, ErrorStatusFails) {
  LocalHttpServer server([](const ServerRequest&) { return respond(404, "not found"); });
  const FetchResult result = runFetch(server.url("/keys"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status, 404u);
  EXPECT_EQ(result.error, "HTTP status 404");
}

TEST(Fetch, OtherSuccessStatusFails) {
  LocalHttpServer server([](const ServerRequest&) { return respond(204, ""); });
  const FetchResult result = runFetch(server.url("/keys"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status, 204u);
}

TEST(Fetch, FollowsRelativeRedirect) {
  LocalHttpServer server([](const ServerRequest& request) {
    return request.target() == "/old" ? redirect(302, "/new") : respond(200, "moved");
  });
  const FetchResult result = runFetch(server.url("/old"));
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.body, "moved");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].target(), "/new");
}

TEST(Fetch, FollowsAbsoluteRedirect) {
  LocalHttpServer target([](const ServerRequest&) { return respond(200, "there"); });
  const std::string location = target.url("/keys");
  LocalHttpServer origin([&](const ServerRequest&) { return redirect(301, location); });
  const FetchResult result = runFetch(origin.url("/keys"));
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.body, "there");
}

TEST(Fetch, RedirectWithoutLocationFails) {
  LocalHttpServer server([](const ServerRequest&) { return redirect(302, ""); });
  const FetchResult result = runFetch(server.url("/keys"));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status, 302u);
  EXPECT_THAT(result.error, HasSubstr("without Location"));
}

TEST(Fetch, StopsAfterMaxRedirects) {
  LocalHttpServer server([](const ServerRequest&) { return redirect(307, "/loop"); });
  FetchOptions options;
  options.max_redirects = 2;
  const FetchResult result = runFetch(server.url("/loop"), options);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("too many redirects"));
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(result.body, "");
}

TEST(Fetch, BodyLimit) {
  LocalHttpServer server([](const ServerRequest&) { return respond(200, std::string(100, 'x')); });
  FetchOptions options;
  options.max_body_bytes = 16;
  const FetchResult result = runFetch(server.url("/keys"), options);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("larger than 16 bytes"));
}

TEST(Fetch, BodyAtLimitAccepted) {
  LocalHttpServer server([](const ServerRequest&) { return respond(200, std::string(16, 'x')); });
  FetchOptions options;
  options.max_body_bytes = 16;
  EXPECT_TRUE(runFetch(server.url("/keys"), options).ok);
}

TEST(Fetch, TimesOut) {
  LocalHttpServer server([](const ServerRequest&) { return std::optional<ServerResponse>(); });
  FetchOptions options;
  options.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const FetchResult result = runFetch(server.url("/keys"), options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status, 0u);
  EXPECT_THAT(result.error, HasSubstr("timed out"));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(Fetch, ConnectionRefused) {
  const uint16_t port = closedPort();
  const FetchResult result = runFetch("http://127.0.0.1:" + std::to_string(port) + "/keys");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status, 0u);
  EXPECT_THAT(result.error, HasSubstr("connecting to 127.0.0.1:" + std::to_string(port)));
}

TEST(Fetch, TlsToPlainServerFails) {
  LocalHttpServer server([](const ServerRequest&) { return respond(200, "{}"); });
  FetchOptions options;
  options.timeout = std::chrono::seconds(5);
  const FetchResult result =
      runFetch("https://127.0.0.1:" + std::to_string(server.port()) + "/keys", options);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("TLS handshake"));
}

TEST(Fetch, InvalidUrl) {
  const FetchResult result = runFetch("not a url");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status, 0u);
  EXPECT_EQ(result.error, "invalid URL");
}

TEST(Fetch, RelativeUrlIsInvalid) {
  EXPECT_EQ(runFetch("/keys").error, "invalid URL");
}

TEST(Fetch, UnsupportedScheme) {
  const FetchResult result = runFetch("ftp://127.0.0.1/keys");
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("unsupported scheme \"ftp\""));
}

}  // namespace
}  // namespace portcullis::jwks::testing
