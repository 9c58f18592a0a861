#include "proxy/server.h"

#include <set>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include "proxy/session.h"
#include "proxy/worker.h"

namespace portcullis::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
// Pause after a failed accept (out of file descriptors, say) before trying again.
constexpr auto kAcceptErrorPause = std::chrono::milliseconds(50);

}  // namespace

Worker::Worker(const snapshot::Store& store, const ServerOptions& options,
               std::atomic<size_t>& open)
    : io(1),
      view(store),
      pool(io.get_executor()),
      token_cache(4096, 8192, &counters),
      buffers(options.limits.body_chunk_bytes),
      open_connections(open),
      options_(options) {}

asio::awaitable<void> Worker::acceptLoop(std::shared_ptr<tcp::acceptor> acceptor,
                                         uint16_t port) {
  asio::steady_timer pause(io);
  boost::system::error_code last_accept_error;
  while (acceptor->is_open()) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      // Out of file descriptors and similar: log (once per burst), pause, keep accepting.
      counters.add(stats::Counter::DownstreamAcceptErrors);
      if (ec != last_accept_error) {
        spdlog::warn("accepting a connection on port {} failed: {}; retrying", port,
                     ec.message());
        last_accept_error = ec;
      }
      pause.expires_after(kAcceptErrorPause);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    last_accept_error = {};
    if (open_connections.fetch_add(1, std::memory_order_relaxed) >=
        options_.limits.max_connections) {
      open_connections.fetch_sub(1, std::memory_order_relaxed);
      counters.add(stats::Counter::DownstreamConnectionsRefused);
      boost::system::error_code close_ec;
      socket.close(close_ec);
      continue;
    }
    boost::system::error_code option_ec;
    socket.set_option(tcp::no_delay(true), option_ec);
    counters.add(stats::Counter::DownstreamConnections);
    asio::co_spawn(io, serveConnection(*this, std::move(socket), port), asio::detached);
  }
}

Server::Server(ServerOptions options, const snapshot::Store& store)
    : options_(std::move(options)), store_(store) {
  for (unsigned i = 0; i < std::max(1u, options_.workers); ++i) {
    workers_.push_back(std::make_unique<Worker>(store_, options_, open_connections_));
  }
}

Server::~Server() { stop(); }

void Server::syncListeners(const snapshot::Snapshot& snapshot) {
  std::set<uint16_t> wanted;
  for (const auto& listener : snapshot.listeners) {
    wanted.insert(listener.listen_port);
  }
  const auto address = asio::ip::make_address(options_.bind);
  for (auto& worker : workers_) {
    for (uint16_t port : wanted) {
      if (worker->ports.count(port) != 0) {
        continue;
      }
      // Bound here, on the caller's thread, so that a failure reaches the caller; accepting
      // then runs on the worker's thread.
      auto acceptor = std::make_shared<tcp::acceptor>(worker->io);
      const tcp::endpoint endpoint(address, port);
      try {
        acceptor->open(endpoint.protocol());
        acceptor->set_option(tcp::acceptor::reuse_address(true));
        acceptor->set_option(ReusePort(true));
        acceptor->bind(endpoint);
        acceptor->listen(asio::socket_base::max_listen_connections);
      } catch (const boost::system::system_error& e) {
        throw std::system_error(e.code(), "cannot listen on " + options_.bind + ":" +
                                              std::to_string(port));
      }
      worker->ports.insert(port);
      Worker* w = worker.get();
      asio::post(worker->io, [w, acceptor, port] {
        w->acceptors[port] = acceptor;
        asio::co_spawn(w->io, w->acceptLoop(acceptor, port), asio::detached);
      });
    }
    for (auto it = worker->ports.begin(); it != worker->ports.end();) {
      if (wanted.count(*it) != 0) {
        ++it;
        continue;
      }
      const uint16_t port = *it;
      it = worker->ports.erase(it);
      Worker* w = worker.get();
      asio::post(worker->io, [w, port] {
        if (auto found = w->acceptors.find(port); found != w->acceptors.end()) {
          boost::system::error_code ec;
          found->second->close(ec);
          w->acceptors.erase(found);
        }
      });
    }
  }
}

uint64_t Server::total(stats::Counter counter) const {
  uint64_t sum = 0;
  for (const auto& worker : workers_) {
    sum += worker->counters.get(counter);
  }
  return sum;
}

void Server::start() {
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    threads_.emplace_back([w] {
      auto guard = asio::make_work_guard(w->io);
      w->io.run();
    });
  }
}

void Server::stop() {
  for (auto& worker : workers_) {
    worker->io.stop();
  }
  for (auto& thread : threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  threads_.clear();
}

}  // namespace portcullis::proxy
