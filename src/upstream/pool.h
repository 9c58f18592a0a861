// Upstream HTTP/1.1 connections of one worker, kept open between requests. Not thread-safe:
// each worker owns one pool and uses it from its own thread only.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "snapshot/snapshot.h"

namespace portcullis::upstream {

struct Connection {
  explicit Connection(const boost::asio::any_io_executor& executor) : stream(executor) {}

  boost::beast::tcp_stream stream;
  boost::beast::flat_buffer buffer;  // bytes read past the previous response
  std::string key;                   // "host:port" of the endpoint
  bool reused = false;               // served an earlier request
};
using ConnectionPtr = std::unique_ptr<Connection>;

// Idle connections kept per endpoint; more are closed when released.
inline constexpr size_t kMaxIdlePerEndpoint = 128;

class Pool {
 public:
  explicit Pool(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // An idle connection to `endpoint`, or a new one connected within `timeout`. On failure
  // returns null and sets `error` to the reason ("connection refused", "timed out", ...).
  // With `check_idle`, an idle connection is first probed (one non-blocking recv) for a close
  // by the upstream; callers that can resend a failed request skip the probe and retry instead.
  boost::asio::awaitable<ConnectionPtr> acquire(const snapshot::Endpoint& endpoint,
                                                std::chrono::milliseconds timeout,
                                                bool check_idle, std::string& error);

  // A new connection to `endpoint`, connected within `timeout`, never an idle one. On failure
  // returns null and sets `error`.
  boost::asio::awaitable<ConnectionPtr> connect(const snapshot::Endpoint& endpoint,
                                                std::chrono::milliseconds timeout,
                                                std::string& error);

  // Returns a connection whose last response was read completely and that may be reused.
  void release(ConnectionPtr connection);

  // Closes every idle connection.
  void clear() { idle_.clear(); }

 private:
  boost::asio::any_io_executor executor_;
  std::unordered_map<std::string, std::vector<ConnectionPtr>> idle_;
};

}  // namespace portcullis::upstream
