// One data-plane thread's state. Everything here is used from the worker's own thread only,
// except `ports`, which belongs to the thread that calls Server::syncListeners.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "authn/token_cache.h"
#include "common/stats.h"
#include "proxy/server.h"
#include "snapshot/store.h"
#include "upstream/pool.h"

namespace portcullis::proxy {

// Streaming buffers shared by the connections of one worker: a connection holds one only
// while it moves a body, so idle connections cost no buffer memory.
class BufferPool {
 public:
  explicit BufferPool(size_t buffer_bytes) : buffer_bytes_(buffer_bytes) {}

  // Holds one buffer for its lifetime: `std::optional<Lease> lease; lease.emplace(pool);`.
  class Lease {
   public:
    explicit Lease(BufferPool& pool) : pool_(pool), buffer_(pool.take()) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.free_.push_back(std::move(buffer_)); }
    char* data() const { return buffer_.get(); }

   private:
    BufferPool& pool_;
    std::unique_ptr<char[]> buffer_;
  };

 private:
  std::unique_ptr<char[]> take() {
    if (free_.empty()) {
      return std::make_unique<char[]>(buffer_bytes_);
    }
    auto buffer = std::move(free_.back());
    free_.pop_back();
    return buffer;
  }

  size_t buffer_bytes_;
  std::vector<std::unique_ptr<char[]>> free_;
};

// The io_context of a worker, which can destroy its pending handlers early: the coroutine
// frames of open connections refer to the worker's view, pools and buffers, so they must go
// before those members do.
class EventLoop : public boost::asio::io_context {
 public:
  using boost::asio::io_context::io_context;
  void destroyPending() { shutdown(); }
};

class Worker {
 public:
  Worker(const snapshot::Store& store, const ServerOptions& options,
         std::atomic<size_t>& open_connections);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { io.destroyPending(); }

  boost::asio::awaitable<void> acceptLoop(std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor,
                                          uint16_t port);

  const ServerOptions& options() const { return options_; }

  stats::Counters counters;  // before token_cache, which keeps a pointer to it
  EventLoop io;
  snapshot::View view;
  upstream::Pool pool;
  authn::TokenCache token_cache;
  BufferPool buffers;
  std::map<uint16_t, std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptors;
  std::set<uint16_t> ports;  // owned by the Server's caller thread
  uint64_t next_endpoint = 0;  // round-robin position over cluster endpoints
  // Failed ext_authz checks not yet reported by a warning, and when the last warning was logged.
  uint64_t check_failures_unlogged = 0;
  std::chrono::steady_clock::time_point last_check_warning{};
  std::atomic<size_t>& open_connections;  // shared by all workers; counts client connections

 private:
  const ServerOptions& options_;
};

}  // namespace portcullis::proxy
