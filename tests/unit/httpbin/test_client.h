// A blocking HTTP/1.1 client and a fixture that runs the httpbin server on 127.0.0.1 with an
// ephemeral port, for tests that send real requests.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "httpbin/server.h"

namespace portcullis::httpbin::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using ClientRequest = http::request<http::string_body>;
using ClientResponse = http::response<http::string_body>;

inline constexpr std::string_view kTestHost = "httpbin.test";
inline constexpr std::string_view kTestUserAgent = "portcullis-test/1.0";

// Builds a request with Host and User-Agent, a Content-Type when one is given, and a
// Content-Length for a non-empty body or a POST or PUT.
inline ClientRequest makeRequest(http::verb method, std::string_view target, std::string body = {},
                                 std::string_view content_type = {}) {
  ClientRequest request{method, target, 11};
  request.set(http::field::host, kTestHost);
  request.set(http::field::user_agent, kTestUserAgent);
  if (!content_type.empty()) {
    request.set(http::field::content_type, content_type);
  }
  request.body() = std::move(body);
  if (!request.body().empty() || method == http::verb::post || method == http::verb::put) {
    request.prepare_payload();
  }
  return request;
}

// One client connection. Operations throw boost::system::system_error on failure, which
// GoogleTest reports as a failed test.
class TestClient {
 public:
  explicit TestClient(const tcp::endpoint& endpoint) : socket_(io_) { socket_.connect(endpoint); }

  void send(const ClientRequest& request) { http::write(socket_, request); }

  void sendRaw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // Reads one response. `head` marks the response to a HEAD request, which has no body.
  ClientResponse receive(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024 * 1024);
    parser.skip(head);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  ClientResponse roundTrip(const ClientRequest& request) {
    send(request);
    return receive(request.method() == http::verb::head);
  }

  ClientResponse get(std::string_view target) {
    return roundTrip(makeRequest(http::verb::get, target));
  }

  // Reports whether the server closed the connection: the next read ends the stream with no
  // more bytes.
  bool closedByServer() {
    if (buffer_.size() > 0) {
      return false;
    }
    char byte = 0;
    boost::system::error_code error;
    const std::size_t read = socket_.read_some(asio::buffer(&byte, 1), error);
    return read == 0 && (error == asio::error::eof || error == asio::error::connection_reset);
  }

  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

inline json::value parseJson(const ClientResponse& response) {
  boost::system::error_code error;
  json::value value = json::parse(response.body(), error);
  EXPECT_FALSE(error) << "response body is not JSON: " << response.body();
  return value;
}

inline Options loopbackOptions() {
  Options options;
  options.listen = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  return options;
}

// Runs a Server on its own io_context thread for the duration of each test.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { startServer(loopbackOptions()); }

  void TearDown() override { stopServer(); }

  void startServer(const Options& options) {
    server_ = std::make_unique<Server>(io_, options);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  // Stops the server and waits until every connection coroutine has ended.
  void stopServer() {
    if (!server_) {
      return;
    }
    server_->stop();
    thread_.join();
    server_.reset();
    io_.restart();
  }

  void restartServer(const Options& options) {
    stopServer();
    startServer(options);
  }

  tcp::endpoint endpoint() const { return server_->localEndpoint(); }

  ClientResponse get(std::string_view target) { return TestClient(endpoint()).get(target); }

  ClientResponse roundTrip(const ClientRequest& request) {
    return TestClient(endpoint()).roundTrip(request);
  }

  asio::io_context io_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace portcullis::httpbin::testing
