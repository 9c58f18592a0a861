// The data plane: one worker thread per core, each with its own io_context, its own accepting
// sockets (SO_REUSEPORT, so the kernel spreads connections), its connections and its upstream
// pool. Workers read configuration through a snapshot::View and share nothing mutable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "common/stats.h"
#include "snapshot/store.h"

namespace portcullis::proxy {

// Limits and timeouts of the data plane. Defaults follow Envoy's where Istio keeps them.
struct Limits {
  // Request line and headers together; larger: 431. Envoy's max_request_headers_kb is 60.
  size_t max_request_header_bytes = 60 * 1024;
  // Header lines of a request; more: 431. Envoy's max_request_headers_count is 100.
  size_t max_request_headers = 100;
  // Request target (path and query); longer: 414. The default never fires before the header
  // limit does, as in Envoy, which has no separate limit.
  size_t max_request_target_bytes = 60 * 1024;
  size_t max_response_header_bytes = 60 * 1024;  // larger from upstream: 502
  std::chrono::milliseconds request_header_timeout{60 * 1000};  // from first byte to full header
  std::chrono::milliseconds idle_timeout{300 * 1000};  // keep-alive and stalled transfers
  std::chrono::milliseconds connect_timeout{10 * 1000};  // Istio's default connectTimeout
  // Open client connections over all workers; more are closed as soon as they are accepted.
  size_t max_connections = 100000;
  size_t body_chunk_bytes = 64 * 1024;  // streaming buffer per direction
};

struct ServerOptions {
  std::string bind = "0.0.0.0";
  unsigned workers = 1;
  Limits limits;
};

class Worker;

class Server {
 public:
  Server(ServerOptions options, const snapshot::Store& store);
  ~Server();

  // Makes every worker listen on exactly the ports of `snapshot`: opens new ones, closes
  // removed ones. Throws std::system_error naming the address when a port cannot be bound.
  void syncListeners(const snapshot::Snapshot& snapshot);

  void start();  // runs the worker threads
  void stop();   // stops accepting and joins the workers

  const ServerOptions& options() const { return options_; }

  // Sum of a counter over every worker; any thread may call it.
  uint64_t total(stats::Counter counter) const;

 private:
  ServerOptions options_;
  const snapshot::Store& store_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> open_connections_{0};
  std::vector<std::thread> threads_;
};

}  // namespace portcullis::proxy
