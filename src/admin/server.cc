#include "admin/server.h"

#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace portcullis::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kAdminTimeout = std::chrono::seconds(30);

}  // namespace

struct Server::State {
  State(asio::io_context& io_context, Handler h) : io(io_context), acceptor(io), handler(std::move(h)) {}
  asio::io_context& io;
  tcp::acceptor acceptor;
  Handler handler;
};

namespace {

asio::awaitable<void> serve(std::shared_ptr<Server::State> state, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> request;
    stream.expires_after(kAdminTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, request, kTuple);
    if (ec) {
      break;
    }
    Response result = state->handler(request.method_string(), request.target());
    http::response<http::string_body> response{static_cast<http::status>(result.status),
                                               request.version()};
    response.set(http::field::server, "portcullis");
    response.set(http::field::content_type, result.content_type);
    response.body() = std::move(result.body);
    response.prepare_payload();
    response.keep_alive(request.keep_alive());
    auto [write_ec, written] = co_await http::async_write(stream, response, kTuple);
    if (write_ec || !request.keep_alive()) {
      break;
    }
  }
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> acceptLoop(std::shared_ptr<Server::State> state) {
  while (state->acceptor.is_open()) {
    auto [ec, socket] = co_await state->acceptor.async_accept(kTuple);
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (!ec) {
      asio::co_spawn(state->io, serve(state, std::move(socket)), asio::detached);
    }
  }
}

}  // namespace

Server::Server(asio::io_context& io, const tcp::endpoint& endpoint, Handler handler)
    : state_(std::make_shared<State>(io, std::move(handler))) {
  try {
    state_->acceptor.open(endpoint.protocol());
    state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    state_->acceptor.bind(endpoint);
    state_->acceptor.listen();
  } catch (const boost::system::system_error& e) {
    throw std::system_error(e.code(), "cannot listen on admin address " +
                                          endpoint.address().to_string() + ":" +
                                          std::to_string(endpoint.port()));
  }
}

Server::~Server() {
  boost::system::error_code ec;
  state_->acceptor.close(ec);
}

void Server::start() { asio::co_spawn(state_->io, acceptLoop(state_), asio::detached); }

tcp::endpoint Server::localEndpoint() const { return state_->acceptor.local_endpoint(); }

bool parseHostPort(std::string_view text, tcp::endpoint& out, std::string& error) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      error = "invalid address \"" + std::string(text) + "\": expected [IPV6]:PORT";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "invalid address \"" + std::string(text) + "\": expected ADDR:PORT";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    error = "invalid address \"" + std::string(text) + "\": \"" + std::string(host) +
            "\" is not an IP address";
    return false;
  }
  unsigned long number = 0;
  try {
    size_t used = 0;
    number = std::stoul(std::string(port), &used);
    if (used != port.size() || number > 65535) {
      throw std::out_of_range("port");
    }
  } catch (const std::exception&) {
    error = "invalid address \"" + std::string(text) + "\": port must be 0-65535";
    return false;
  }
  out = tcp::endpoint(address, static_cast<uint16_t>(number));
  return true;
}

}  // namespace portcullis::admin
