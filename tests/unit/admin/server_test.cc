// The admin endpoint: parsing of --admin addresses, and the server responding to real requests
// on 127.0.0.1 through its handler.
#include "admin/server.h"

#include <string>
#include <system_error>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace portcullis::admin {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using ::testing::HasSubstr;

struct Parsed {
  bool ok;
  tcp::endpoint endpoint;
  std::string error;
};

Parsed parse(std::string_view text) {
  Parsed parsed;
  parsed.ok = parseHostPort(text, parsed.endpoint, parsed.error);
  return parsed;
}

TEST(ParseHostPort, Ipv4) {
  const Parsed parsed = parse("127.0.0.1:15000");
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.endpoint.address().to_string(), "127.0.0.1");
  EXPECT_EQ(parsed.endpoint.port(), 15000);
}

TEST(ParseHostPort, BracketedIpv6) {
  const Parsed parsed = parse("[::1]:15000");
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_TRUE(parsed.endpoint.address().is_v6());
  EXPECT_EQ(parsed.endpoint.address().to_string(), "::1");
  EXPECT_EQ(parsed.endpoint.port(), 15000);
}

TEST(ParseHostPort, PortZeroAndMax) {
  EXPECT_EQ(parse("0.0.0.0:0").endpoint.port(), 0);
  EXPECT_TRUE(parse("0.0.0.0:0").ok);
  EXPECT_TRUE(parse("127.0.0.1:65535").ok);
}

TEST(ParseHostPort, MissingPort) {
  const Parsed parsed = parse("127.0.0.1");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.error, HasSubstr("expected ADDR:PORT"));
  EXPECT_THAT(parsed.error, HasSubstr("\"127.0.0.1\""));
}

TEST(ParseHostPort, Ipv6WithoutPort) {
  const Parsed parsed = parse("[::1]");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.error, HasSubstr("expected [IPV6]:PORT"));
}

TEST(ParseHostPort, HostNameRejected) {
  const Parsed parsed = parse("localhost:15000");
  EXPECT_FALSE(parsed.ok);
  EXPECT_THAT(parsed.error, HasSubstr("\"localhost\" is not an IP address"));
}

TEST(ParseHostPort, EmptyHostRejected) {
  EXPECT_FALSE(parse(":15000").ok);
  EXPECT_FALSE(parse("[]:15000").ok);
}

TEST(ParseHostPort, BadPortRejected) {
  for (std::string_view text : {"127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:x80",
                                "127.0.0.1:-1", "[::1]:99999"}) {
    const Parsed parsed = parse(text);
    EXPECT_FALSE(parsed.ok) << text;
    EXPECT_THAT(parsed.error, HasSubstr("port must be 0-65535")) << text;
  }
}

TEST(ParseHostPort, LeavesEndpointOnFailure) {
  tcp::endpoint endpoint(asio::ip::make_address("10.0.0.1"), 1234);
  std::string error;
  EXPECT_FALSE(parseHostPort("bogus", endpoint, error));
  EXPECT_EQ(endpoint.port(), 1234);
}

// An admin server on 127.0.0.1 with an ephemeral port, run on its own thread.
class RunningServer {
 public:
  explicit RunningServer(Handler handler)
      : server_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), std::move(handler)) {
    server_.start();
    endpoint_ = server_.localEndpoint();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~RunningServer() {
    io_.stop();
    thread_.join();
  }

  const tcp::endpoint& endpoint() const { return endpoint_; }

 private:
  asio::io_context io_;
  Server server_;
  tcp::endpoint endpoint_;
  std::thread thread_;
};

http::response<http::string_body> roundTrip(tcp::socket& socket, std::string_view target,
                                            bool keep_alive = false) {
  http::request<http::string_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.keep_alive(keep_alive);
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return response;
}

TEST(AdminServer, AnswersThroughHandler) {
  RunningServer running([](std::string_view method, std::string_view target) {
    Response response;
    response.body = std::string(method) + " " + std::string(target);
    return response;
  });
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(running.endpoint());
  const auto response = roundTrip(socket, "/ready?verbose=1");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "GET /ready?verbose=1");
  EXPECT_EQ(response[http::field::content_type], "text/plain");
  EXPECT_EQ(response[http::field::server], "portcullis");
}

TEST(AdminServer, UsesHandlerStatusAndType) {
  RunningServer running([](std::string_view, std::string_view) {
    return Response{503, "application/json", R"({"ready":false})"};
  });
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(running.endpoint());
  const auto response = roundTrip(socket, "/ready");
  EXPECT_EQ(response.result_int(), 503u);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response.body(), R"({"ready":false})");
}

TEST(AdminServer, KeepsConnectionAlive) {
  RunningServer running([](std::string_view, std::string_view target) {
    return Response{200, "text/plain", std::string(target)};
  });
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(running.endpoint());
  EXPECT_EQ(roundTrip(socket, "/first", true).body(), "/first");
  EXPECT_EQ(roundTrip(socket, "/second", true).body(), "/second");
}

TEST(AdminServer, BusyPortThrowsWithAddress) {
  asio::io_context io;
  tcp::acceptor taken(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const tcp::endpoint endpoint = taken.local_endpoint();
  try {
    Server server(io, endpoint, [](std::string_view, std::string_view) { return Response{}; });
    FAIL() << "binding a port in use succeeded";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(endpoint.port())));
  }
}

}  // namespace
}  // namespace portcullis::admin
