// A small HTTP/1.1 server compatible with httpbin (https://httpbin.org), used as the demo's
// upstream, in end-to-end tests and as the benchmark backend. It logs nothing per request or per
// connection, so a client's malformed request, reset or timeout just ends that connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace portcullis::httpbin {

struct ServerState;

// Maximum size of a request's start line and header fields. A larger header gets 431.
inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
// Maximum request body that the echoing endpoints (/anything, /post, /put, /patch, /delete,
// /delay) read into memory. A larger body gets 413. Other endpoints discard bodies of any size.
inline constexpr std::size_t kMaxEchoBodyBytes = 64 * 1024 * 1024;
// Time a connection may take for each read or write before the server closes it, which is also
// how long an idle keep-alive connection stays open.
inline constexpr std::chrono::seconds kIdleTimeout{60};

struct Options {
  boost::asio::ip::tcp::endpoint listen;
  // Sets SO_REUSEPORT on the listening socket so that several servers, one per thread, can
  // accept on the same port.
  bool reuse_port = false;
  std::chrono::steady_clock::duration idle_timeout = kIdleTimeout;
  std::size_t max_echo_body_bytes = kMaxEchoBodyBytes;
};

// Serves httpbin's endpoints on one io_context. Connections run as coroutines with no strand,
// so the io_context must be run by one thread at a time. start() and stop() may be called from
// any thread.
class Server {
 public:
  // Binds and listens on options.listen (port 0 picks an ephemeral port). Throws
  // std::system_error naming the address when the socket cannot be opened, bound or listened on.
  Server(boost::asio::io_context& io, const Options& options);
  // Stops the server, as stop() does.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Returns the bound address, with the actual port when options.listen had port 0.
  boost::asio::ip::tcp::endpoint localEndpoint() const;

  // Starts accepting. Each connection runs as a coroutine on the io_context.
  void start();

  // Stops accepting, closes every open connection and cancels pending /delay waits. Takes
  // effect on the io_context's thread; io_context::run() returns once all coroutines end.
  void stop();

 private:
  std::shared_ptr<ServerState> state_;
};

// Runs `threads` servers, each with its own io_context, thread and SO_REUSEPORT listener on
// options.listen, until SIGINT or SIGTERM. Returns 0 after a signal, 1 when binding fails and
// 2 when `threads` is less than 1.
int runStandalone(const Options& options, int threads);

}  // namespace portcullis::httpbin
