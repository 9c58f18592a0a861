// Connection handling: keep-alive, request bodies and their limits, timeouts and shutdown.
#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "test_client.h"

namespace portcullis::httpbin::testing {
namespace {

using HttpbinConnection = ServerTest;

constexpr std::size_t kMiB = 1024 * 1024;

// Reads a size field such as "VmHWM:  1234 kB" from /proc/self/status, in bytes.
std::size_t procStatusBytes(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::stoull(line.substr(field.size() + 1)) * 1024;
    }
  }
  return 0;
}

// Resets the process's peak resident set size (VmHWM) to the current one. Linux 4.0 and later.
bool resetPeakMemory() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return clear_refs.good();
}

// Sends `total` bytes to `target` as a chunked body of 1 MiB chunks and returns the response.
ClientResponse uploadChunked(TestClient& client, std::string_view target, std::size_t total) {
  client.sendRaw("POST " + std::string(target) +
                 " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(kMiB, 'x');
  for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
    client.sendRaw("100000\r\n");
    client.sendRaw(chunk);
    client.sendRaw("\r\n");
  }
  client.sendRaw("0\r\n\r\n");
  return client.receive();
}

TEST_F(HttpbinConnection, KeepAlive) {
  TestClient client(endpoint());
  for (const std::string_view target : {"/get", "/ip", "/status/204", "/uuid", "/nope"}) {
    const ClientResponse response = client.get(target);
    EXPECT_TRUE(response.keep_alive()) << target;
  }
  EXPECT_EQ(
      client.roundTrip(makeRequest(http::verb::post, "/post", "a", "text/plain")).result_int(),
      200);
  EXPECT_EQ(client.get("/headers").result_int(), 200);
}

TEST_F(HttpbinConnection, Pipelining) {
  TestClient client(endpoint());
  client.sendRaw(
      "GET /status/201 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /status/202 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(client.receive().result_int(), 201);
  const ClientResponse post = client.receive();
  EXPECT_EQ(post.result_int(), 200);
  EXPECT_EQ(parseJson(post).at("data"), "abc");
  EXPECT_EQ(client.receive().result_int(), 202);
}

TEST_F(HttpbinConnection, ConnectionClose) {
  TestClient client(endpoint());
  ClientRequest request = makeRequest(http::verb::get, "/get");
  request.keep_alive(false);
  const ClientResponse response = client.roundTrip(request);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpbinConnection, Http10Closes) {
  TestClient client(endpoint());
  client.sendRaw("GET /get HTTP/1.0\r\nHost: h\r\n\r\n");
  const ClientResponse response = client.receive();
  EXPECT_EQ(response.version(), 10u);
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpbinConnection, ChunkedUpload) {
  TestClient client(endpoint());
  client.sendRaw(
      "POST /post HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n"
      "Transfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n"
      "1;ext=1\r\n \r\n"
      "6\r\nchunks\r\n"
      "0\r\n\r\n");
  const ClientResponse response = client.receive();
  ASSERT_EQ(response.result_int(), 200);
  const json::value body = parseJson(response);
  EXPECT_EQ(body.at("data"), "hello chunks");
  EXPECT_EQ(body.at("headers").at("Transfer-Encoding"), "chunked");
  EXPECT_EQ(client.get("/ip").result_int(), 200);
}

TEST_F(HttpbinConnection, ChunkedUploadFromBeast) {
  ClientRequest request = makeRequest(http::verb::put, "/put", {}, "application/json");
  request.body() = R"({"chunked":true})";
  request.chunked(true);
  const json::value body = parseJson(roundTrip(request));
  EXPECT_EQ(body.at("json"), json::object({{"chunked", true}}));
}

TEST_F(HttpbinConnection, LargeChunkedUploadDiscarded) {
  // 256 MiB to an endpoint that does not echo: the server discards it while it streams in.
  const bool measured = resetPeakMemory();
  const std::size_t resident_before = procStatusBytes("VmRSS");
  TestClient client(endpoint());
  const ClientResponse response = uploadChunked(client, "/status/200", 256 * kMiB);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_TRUE(response.keep_alive());
  if (measured) {
    // The client and server share this process. The client holds one 1 MiB chunk and the
    // server a 64 KiB scratch buffer, far below this bound.
    EXPECT_LT(procStatusBytes("VmHWM"), resident_before + 32 * kMiB);
  }
  EXPECT_EQ(client.get("/status/202").result_int(), 202);
}

TEST_F(HttpbinConnection, LargeContentLengthUploadDiscarded) {
  TestClient client(endpoint());
  constexpr std::size_t kTotal = 128 * kMiB;
  client.sendRaw("PUT /status/201 HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                 std::to_string(kTotal) + "\r\n\r\n");
  const std::string chunk(kMiB, 'y');
  for (std::size_t sent = 0; sent < kTotal; sent += chunk.size()) {
    client.sendRaw(chunk);
  }
  EXPECT_EQ(client.receive().result_int(), 201);
  EXPECT_EQ(client.get("/ip").result_int(), 200);
}

TEST_F(HttpbinConnection, LargeEchoedBody) {
  const std::string payload(8 * kMiB, 'z');
  const ClientResponse response =
      roundTrip(makeRequest(http::verb::post, "/anything", payload, "text/plain"));
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_EQ(parseJson(response).at("data").as_string().size(), payload.size());
}

TEST_F(HttpbinConnection, EchoBodyTooLarge) {
  Options options = loopbackOptions();
  options.max_echo_body_bytes = 1024;
  restartServer(options);

  TestClient client(endpoint());
  const ClientResponse response = client.roundTrip(
      makeRequest(http::verb::post, "/post", std::string(2048, 'a'), "text/plain"));
  EXPECT_EQ(response.result_int(), 413);
  // The body was read and discarded, so the connection stays usable.
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(
      client.roundTrip(makeRequest(http::verb::post, "/post", std::string(1024, 'a'), "text/plain"))
          .result_int(),
      200);
}

TEST_F(HttpbinConnection, ChunkedEchoBodyTooLarge) {
  Options options = loopbackOptions();
  options.max_echo_body_bytes = 1024;
  restartServer(options);

  TestClient client(endpoint());
  client.sendRaw(
      "POST /anything HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "400\r\n" +
      std::string(1024, 'a') +
      "\r\n"
      "1\r\nb\r\n"
      "0\r\n\r\n");
  EXPECT_EQ(client.receive().result_int(), 413);

  // Exactly the limit is accepted.
  client.sendRaw(
      "POST /anything HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "400\r\n" +
      std::string(1024, 'a') +
      "\r\n"
      "0\r\n\r\n");
  const ClientResponse response = client.receive();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(parseJson(response).at("data").as_string().size(), 1024u);
}

TEST_F(HttpbinConnection, ExpectContinue) {
  TestClient client(endpoint());
  client.sendRaw(
      "POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  const ClientResponse interim = client.receive();
  EXPECT_EQ(interim.result_int(), 100);
  client.sendRaw("hello");
  const ClientResponse response = client.receive();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(parseJson(response).at("data"), "hello");
}

TEST_F(HttpbinConnection, ExpectContinueTooLarge) {
  TestClient client(endpoint());
  client.sendRaw("POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                 std::to_string(kMaxEchoBodyBytes + 1) + "\r\nExpect: 100-continue\r\n\r\n");
  const ClientResponse response = client.receive();
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpbinConnection, HeaderTooLarge) {
  TestClient client(endpoint());
  client.sendRaw("GET /get HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(kMaxHeaderBytes, 'a') +
                 "\r\n\r\n");
  const ClientResponse response = client.receive();
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpbinConnection, HeaderBelowLimit) {
  ClientRequest request = makeRequest(http::verb::get, "/headers");
  request.set("X-Big", std::string(60 * 1024, 'a'));
  const ClientResponse response = roundTrip(request);
  EXPECT_EQ(response.result_int(), 200);
}

TEST_F(HttpbinConnection, MalformedRequest) {
  TestClient client(endpoint());
  client.sendRaw("NOT AN HTTP REQUEST\r\n\r\n");
  const ClientResponse response = client.receive();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpbinConnection, IdleTimeout) {
  Options options = loopbackOptions();
  options.idle_timeout = std::chrono::milliseconds(200);
  restartServer(options);

  TestClient client(endpoint());
  EXPECT_EQ(client.get("/get").result_int(), 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closedByServer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HttpbinConnection, StopClosesConnections) {
  TestClient idle(endpoint());
  EXPECT_EQ(idle.get("/get").result_int(), 200);
  TestClient delayed(endpoint());
  delayed.send(makeRequest(http::verb::get, "/delay/10"));
  // Lets the server read the /delay request before it stops.
  EXPECT_EQ(get("/ip").result_int(), 200);

  const auto start = std::chrono::steady_clock::now();
  stopServer();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(idle.closedByServer());
  EXPECT_TRUE(delayed.closedByServer());
}

TEST_F(HttpbinConnection, StopRefusesNewConnections) {
  const tcp::endpoint address = endpoint();
  stopServer();
  boost::asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code error;
  socket.connect(address, error);
  EXPECT_EQ(error, asio::error::connection_refused);
}

TEST(HttpbinServer, BindFailure) {
  asio::io_context io;
  const Server first(io, loopbackOptions());
  Options options = loopbackOptions();
  options.listen = first.localEndpoint();
  try {
    const Server second(io, options);
    FAIL() << "binding a port in use succeeded";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::address_in_use);
    const std::string address = "127.0.0.1:" + std::to_string(options.listen.port());
    EXPECT_NE(std::string(error.what()).find(address), std::string::npos) << error.what();
  }
}

TEST(HttpbinServer, Ipv6Loopback) {
  asio::io_context io;
  Options options;
  options.listen = tcp::endpoint(asio::ip::make_address("::1"), 0);
  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(io, options);
  } catch (const std::system_error& error) {
    GTEST_SKIP() << "no IPv6 loopback: " << error.what();
  }
  server->start();
  std::thread thread([&io] { io.run(); });
  const json::value body = parseJson(TestClient(server->localEndpoint()).get("/get"));
  server->stop();
  thread.join();
  EXPECT_EQ(body.at("origin"), "::1");
}

}  // namespace
}  // namespace portcullis::httpbin::testing
