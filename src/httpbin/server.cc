#include "httpbin/server.h"

#include <sys/socket.h>

#include <bit>
#include <cerrno>
#include <csignal>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "httpbin/connection.h"
#include "httpbin/endpoints.h"

namespace portcullis::httpbin {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Pause after a failed accept (for example EMFILE when out of file descriptors), so the loop
// does not spin while the condition lasts.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

[[noreturn]] void throwListenError(const boost::system::error_code& error, std::string_view step,
                                   const tcp::endpoint& endpoint) {
  throw std::system_error(std::error_code(error), "httpbin: failed to " + std::string(step) +
                                                      " a listening socket on " +
                                                      formatEndpoint(endpoint));
}

void logCoroutineFailure(std::exception_ptr failure, std::string_view coroutine_name) {
  if (!failure) {
    return;
  }
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    spdlog::error("httpbin: {} ended with an exception: {}", coroutine_name, error.what());
  } catch (...) {
    spdlog::error("httpbin: {} ended with an unknown exception", coroutine_name);
  }
}

}  // namespace

struct ServerState {
  ServerState(asio::io_context& io_context, const Options& server_options)
      : io(io_context), options(server_options), acceptor(io_context) {}

  asio::io_context& io;
  Options options;
  tcp::acceptor acceptor;
  tcp::endpoint local_endpoint;
  // Touched only on the io_context's thread.
  bool stopped = false;
  std::unordered_set<Connection*> connections;

  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    boost::system::error_code error;
    acceptor.close(error);
    for (Connection* connection : connections) {
      connection->close();
    }
  }
};

namespace {

// Keeps a connection in the server's set while its coroutine frame exists, so stop() can close
// it. The frame keeps the state alive, so this is safe even when the io_context is destroyed
// with the coroutine suspended.
class ConnectionRegistration {
 public:
  ConnectionRegistration(std::unordered_set<Connection*>& connections, Connection* connection)
      : connections_(connections), connection_(connection) {
    connections_.insert(connection_);
  }
  ~ConnectionRegistration() { connections_.erase(connection_); }
  ConnectionRegistration(const ConnectionRegistration&) = delete;
  ConnectionRegistration& operator=(const ConnectionRegistration&) = delete;

 private:
  std::unordered_set<Connection*>& connections_;
  Connection* connection_;
};

asio::awaitable<void> serveConnection(std::shared_ptr<ServerState> state, tcp::socket socket) {
  Connection connection(std::move(socket), ConnectionSettings{state->options.idle_timeout,
                                                              state->options.max_echo_body_bytes});
  if (state->stopped) {
    connection.close();
    co_return;
  }
  const ConnectionRegistration registration(state->connections, &connection);
  co_await connection.run();
}

asio::awaitable<void> acceptConnections(std::shared_ptr<ServerState> state) {
  std::uint64_t consecutive_failures = 0;
  for (;;) {
    auto [error, socket] = co_await state->acceptor.async_accept(kUseTuple);
    if (state->stopped || error == asio::error::operation_aborted) {
      co_return;
    }
    if (error) {
      // Logs the 1st, 2nd, 4th, 8th... failure in a row, so a lasting condition does not flood.
      ++consecutive_failures;
      if (std::has_single_bit(consecutive_failures)) {
        spdlog::warn("httpbin: accept on {} failed ({} in a row): {}",
                     formatEndpoint(state->local_endpoint), consecutive_failures, error.message());
      }
      asio::steady_timer timer(state->io, kAcceptRetryDelay);
      co_await timer.async_wait(kUseTuple);
      continue;
    }
    consecutive_failures = 0;
    asio::co_spawn(state->io, serveConnection(state, std::move(socket)),
                   [](std::exception_ptr failure) { logCoroutineFailure(failure, "connection"); });
  }
}

}  // namespace

Server::Server(asio::io_context& io, const Options& options)
    : state_(std::make_shared<ServerState>(io, options)) {
  tcp::acceptor& acceptor = state_->acceptor;
  boost::system::error_code error;
  acceptor.open(options.listen.protocol(), error);
  if (error) {
    throwListenError(error, "open", options.listen);
  }
  acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (error) {
    throwListenError(error, "set SO_REUSEADDR on", options.listen);
  }
  if (options.reuse_port) {
    const int enable = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &enable, sizeof enable) !=
        0) {
      throwListenError(boost::system::error_code(errno, boost::system::system_category()),
                       "set SO_REUSEPORT on", options.listen);
    }
  }
  acceptor.bind(options.listen, error);
  if (error) {
    throwListenError(error, "bind", options.listen);
  }
  acceptor.listen(tcp::acceptor::max_listen_connections, error);
  if (error) {
    throwListenError(error, "listen on", options.listen);
  }
  state_->local_endpoint = acceptor.local_endpoint(error);
  if (error) {
    throwListenError(error, "read the address of", options.listen);
  }
}

Server::~Server() {
  stop();
}

tcp::endpoint Server::localEndpoint() const {
  return state_->local_endpoint;
}

void Server::start() {
  asio::co_spawn(state_->io, acceptConnections(state_),
                 [](std::exception_ptr failure) { logCoroutineFailure(failure, "accept loop"); });
}

void Server::stop() {
  asio::dispatch(state_->io, [state = state_] { state->stop(); });
}

int runStandalone(const Options& options, int threads) {
  if (threads < 1) {
    spdlog::error("httpbin: invalid thread count {}: expected 1 or more", threads);
    return 2;
  }

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
  }
  // Installed before any port is bound, so a signal sent once the port accepts connections is
  // handled.
  asio::signal_set signals(*contexts.front(), SIGINT, SIGTERM);

  std::vector<std::unique_ptr<Server>> servers;
  Options server_options = options;
  server_options.reuse_port = true;
  try {
    for (auto& context : contexts) {
      servers.push_back(std::make_unique<Server>(*context, server_options));
      // With port 0, the first server picks the port and the others share it.
      server_options.listen = servers.front()->localEndpoint();
    }
  } catch (const std::system_error& error) {
    spdlog::error("{}", error.what());
    return 1;
  }

  signals.async_wait([&servers](const boost::system::error_code& error, int signal_number) {
    if (error) {
      return;
    }
    spdlog::info("httpbin: received signal {}, stopping", signal_number);
    for (auto& server : servers) {
      server->stop();
    }
  });
  for (auto& server : servers) {
    server->start();
  }
  spdlog::info("httpbin: listening on {} with {} thread(s)",
               formatEndpoint(servers.front()->localEndpoint()), threads);

  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < contexts.size(); ++i) {
    workers.emplace_back([&context = *contexts[i]] { context.run(); });
  }
  contexts.front()->run();
  for (auto& worker : workers) {
    worker.join();
  }
  spdlog::info("httpbin: stopped");
  return 0;
}

}  // namespace portcullis::httpbin
