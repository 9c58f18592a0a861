// One client connection of the httpbin server.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "httpbin/endpoints.h"

namespace portcullis::httpbin {

struct ConnectionSettings {
  std::chrono::steady_clock::duration idle_timeout;
  std::size_t max_echo_body_bytes;
};

// Serves the requests of one connection in order (keep-alive and pipelining). Each body is read
// into memory for the endpoints that echo it, and discarded while it streams in for the others.
class Connection {
 public:
  Connection(boost::asio::ip::tcp::socket socket, const ConnectionSettings& settings);

  // Serves requests until the client closes the connection, a request ends keep-alive
  // ("Connection: close" or HTTP/1.0), an error or timeout occurs, or close() is called.
  boost::asio::awaitable<void> run();

  // Closes the socket and cancels a pending /delay wait, so run() ends soon after. Must be
  // called on the thread that runs the connection's io_context.
  void close();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

  enum class BodyOutcome {
    Complete,
    // The echoed body exceeded the limit and was discarded, so the connection stays usable.
    TooLarge,
    // The body was announced larger than the limit with "Expect: 100-continue" and not read.
    // The connection closes after the 413.
    RejectedUnread,
    Failed,
  };

  // Reads one request and writes its response. Returns whether the connection stays open.
  boost::asio::awaitable<bool> serveRequest();

  // Reads the rest of the body after the header, into `echo_body` (up to the echo limit) or,
  // when it is null, into a scratch buffer that is overwritten.
  boost::asio::awaitable<BodyOutcome> readBody(Parser& parser, std::string* echo_body);

  boost::asio::awaitable<bool> writeResponse(Response& response, bool header_only);

  boost::asio::awaitable<bool> wait(std::chrono::nanoseconds duration);

  // Reads and drops input after the send side is shut down, until the client closes or a
  // time or byte bound is reached.
  boost::asio::awaitable<void> drainBeforeClose();

  boost::beast::tcp_stream stream_;
  boost::asio::steady_timer delay_timer_;
  boost::beast::flat_buffer buffer_;
  // Scratch space for discarded bodies, allocated at the first body a connection discards.
  std::unique_ptr<char[]> discard_buffer_;
  ConnectionSettings settings_;
  boost::asio::ip::address client_address_;
  boost::asio::ip::tcp::endpoint local_endpoint_;
  bool closed_ = false;
  // Set when the last response written announced that the connection closes.
  bool sent_final_response_ = false;
};

}  // namespace portcullis::httpbin
