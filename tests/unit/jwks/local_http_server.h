// A tiny HTTP/1.1 server on 127.0.0.1 with an ephemeral port, running on its own thread, for
// tests of the JWKS client. Each connection carries one request. A handler chooses the
// response, or keeps the connection open without a response to test timeouts.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace portcullis::jwks::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;

using ServerRequest = http::request<http::string_body>;
using ServerResponse = http::response<http::string_body>;

// A response with `status` and `body`, typed as JSON.
inline ServerResponse respond(unsigned status, std::string body,
                              std::string content_type = "application/json") {
  ServerResponse response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, content_type);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

// A redirect to `location`, or without a Location header when it is empty.
inline ServerResponse redirect(unsigned status, std::string location) {
  ServerResponse response = respond(status, "", "text/plain");
  if (!location.empty()) {
    response.set(http::field::location, location);
  }
  return response;
}

class LocalHttpServer {
 public:
  // Returns the response for a request, or nullopt to leave the client waiting until the
  // server stops.
  using Handler = std::function<std::optional<ServerResponse>(const ServerRequest&)>;

  explicit LocalHttpServer(Handler handler)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        port_(acceptor_.local_endpoint().port()),
        handler_(std::move(handler)) {
    asio::co_spawn(io_, acceptLoop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~LocalHttpServer() {
    io_.stop();
    thread_.join();
  }

  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  uint16_t port() const { return port_; }

  // "http://127.0.0.1:<port><path>".
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }

  // Every request received so far, in arrival order.
  std::vector<ServerRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  asio::awaitable<void> acceptLoop() {
    while (true) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        co_return;
      }
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(asio::ip::tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    ServerRequest request;
    auto [read_ec, read] =
        co_await http::async_read(socket, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (read_ec) {
      co_return;
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    std::optional<ServerResponse> response = handler_(request);
    if (!response) {
      held_.push_back(std::move(socket));  // no response, closed when the server stops
      co_return;
    }
    response->keep_alive(false);
    co_await http::async_write(socket, *response, asio::as_tuple(asio::use_awaitable));
    boost::system::error_code ec;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_;
  Handler handler_;
  std::vector<asio::ip::tcp::socket> held_;  // touched only on the server thread
  mutable std::mutex mutex_;
  std::vector<ServerRequest> requests_;
  std::thread thread_;
};

}  // namespace portcullis::jwks::testing
