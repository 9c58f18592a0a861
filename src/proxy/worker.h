// One data-plane thread's state. Everything here is used from the worker's own thread only,
// except `ports`, which belongs to the thread that calls Server::syncListeners.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/server.h"
#include "snapshot/store.h"
#include "upstream/pool.h"

namespace portcullis::proxy {

class Worker {
 public:
  Worker(const snapshot::Store& store, const ServerOptions& options);

  boost::asio::awaitable<void> acceptLoop(std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor,
                                          uint16_t port);

  const ServerOptions& options() const { return options_; }

  boost::asio::io_context io;
  snapshot::View view;
  upstream::Pool pool;
  std::map<uint16_t, std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptors;
  std::set<uint16_t> ports;  // owned by the Server's caller thread
  uint64_t next_endpoint = 0;  // round-robin position over cluster endpoints

 private:
  const ServerOptions& options_;
};

}  // namespace portcullis::proxy
