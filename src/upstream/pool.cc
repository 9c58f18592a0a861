#include "upstream/pool.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace portcullis::upstream {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// True when the peer has not closed an idle connection and sent nothing unexpected on it:
// a non-blocking peek sees no data (EAGAIN).
bool stillOpen(Connection& connection) {
  if (connection.buffer.size() != 0) {
    return false;
  }
  auto& socket = connection.stream.socket();
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) {
    return "timed out";
  }
  return ec.message();
}

}  // namespace

asio::awaitable<ConnectionPtr> Pool::acquire(const snapshot::Endpoint& endpoint,
                                             std::chrono::milliseconds timeout, bool check_idle,
                                             std::string& error) {
  std::string key = endpoint.host + ":" + std::to_string(endpoint.port);
  if (auto it = idle_.find(key); it != idle_.end()) {
    auto& idle = it->second;
    while (!idle.empty()) {
      ConnectionPtr connection = std::move(idle.back());
      idle.pop_back();
      if (connection->buffer.size() == 0 && (!check_idle || stillOpen(*connection))) {
        connection->reused = true;
        co_return connection;
      }
    }
  }
  co_return co_await connect(endpoint, timeout, error);
}

asio::awaitable<ConnectionPtr> Pool::connect(const snapshot::Endpoint& endpoint,
                                             std::chrono::milliseconds timeout,
                                             std::string& error) {
  auto connection = std::make_unique<Connection>(executor_);
  connection->key = endpoint.host + ":" + std::to_string(endpoint.port);
  connection->stream.expires_after(timeout);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) {
    auto [connect_ec] =
        co_await connection->stream.async_connect(tcp::endpoint(address, endpoint.port), kTuple);
    ec = connect_ec;
  } else {
    tcp::resolver resolver(executor_);
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kTuple);
    if (resolve_ec) {
      error = "resolving " + endpoint.host + " failed: " + describe(resolve_ec);
      co_return nullptr;
    }
    auto [connect_ec, connected] = co_await connection->stream.async_connect(results, kTuple);
    ec = connect_ec;
  }
  if (ec) {
    error = describe(ec);
    co_return nullptr;
  }
  connection->stream.socket().set_option(tcp::no_delay(true), ec);
  connection->stream.expires_never();
  co_return connection;
}

void Pool::release(ConnectionPtr connection) {
  auto& idle = idle_[connection->key];
  if (idle.size() < kMaxIdlePerEndpoint) {
    connection->stream.expires_never();
    idle.push_back(std::move(connection));
  }
}

}  // namespace portcullis::upstream
