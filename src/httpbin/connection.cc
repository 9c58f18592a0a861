#include "httpbin/connection.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "httpbin/server.h"
#include "httpbin/text.h"

namespace portcullis::httpbin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The size of the scratch buffer for discarded bodies, and the first allocation for an echoed
// body, which then doubles as needed.
constexpr std::size_t kDiscardBufferBytes = 64 * 1024;
constexpr std::size_t kInitialEchoBytes = 64 * 1024;

// Bounds on reading a client's leftover input after the last response, before closing.
constexpr std::chrono::seconds kDrainTimeout{2};
constexpr std::size_t kMaxDrainBytes = 4 * 1024 * 1024;

// Returns the status to send when the request header could not be read, or nullopt when the
// connection just closes: at end of stream, on a timeout, on a reset.
std::optional<http::status> statusForReadError(const beast::error_code& error) {
  if (error == http::error::header_limit) {
    return http::status::request_header_fields_too_large;
  }
  if (error == http::error::end_of_stream || error == http::error::partial_message) {
    return std::nullopt;
  }
  if (error.category() == http::make_error_code(http::error::bad_method).category()) {
    return http::status::bad_request;
  }
  return std::nullopt;
}

bool expectsContinue(const http::request_header<>& header) {
  return header.version() >= 11 &&
         beast::iequals(trimWhitespace(header[http::field::expect]), "100-continue");
}

}  // namespace

Connection::Connection(tcp::socket socket, const ConnectionSettings& settings)
    : stream_(std::move(socket)), delay_timer_(stream_.get_executor()), settings_(settings) {}

asio::awaitable<void> Connection::run() {
  beast::error_code error;
  client_address_ = stream_.socket().remote_endpoint(error).address();
  if (!error) {
    local_endpoint_ = stream_.socket().local_endpoint(error);
  }
  if (error) {
    co_return;
  }
  // Responses go out in one write, but a 100 Continue and pipelined responses are small writes
  // that Nagle's algorithm would hold back.
  stream_.socket().set_option(tcp::no_delay(true), error);

  while (!closed_ && co_await serveRequest()) {
  }
  if (closed_) {
    co_return;
  }

  stream_.socket().shutdown(tcp::socket::shutdown_send, error);
  if (sent_final_response_) {
    co_await drainBeforeClose();
  }
  stream_.close();
}

asio::awaitable<void> Connection::drainBeforeClose() {
  // Closing a socket with unread input makes the kernel send a reset, and the client may then
  // lose the response that was just written. Reading until the client closes avoids that.
  if (!discard_buffer_) {
    discard_buffer_ = std::make_unique<char[]>(kDiscardBufferBytes);
  }
  stream_.expires_after(kDrainTimeout);
  std::size_t drained = 0;
  while (drained < kMaxDrainBytes) {
    const auto [error, read] = co_await stream_.async_read_some(
        asio::buffer(discard_buffer_.get(), kDiscardBufferBytes), kUseTuple);
    if (error) {
      break;
    }
    drained += read;
  }
}

void Connection::close() {
  closed_ = true;
  delay_timer_.cancel();
  beast::error_code error;
  stream_.socket().shutdown(tcp::socket::shutdown_both, error);
  stream_.close();
}

asio::awaitable<bool> Connection::serveRequest() {
  Parser parser;
  parser.header_limit(kMaxHeaderBytes);
  // Bodies are bounded by readBody, which discards what it does not echo.
  parser.body_limit(boost::none);

  stream_.expires_after(settings_.idle_timeout);
  const auto [read_error, header_bytes] =
      co_await http::async_read_header(stream_, buffer_, parser, kUseTuple);
  if (read_error) {
    if (const auto status = statusForReadError(read_error); status && !closed_) {
      Response response = rejectUnparsedRequest(*status);
      sent_final_response_ = co_await writeResponse(response, false);
    }
    co_return false;
  }

  const http::request_header<>& header = parser.get();
  const Target target = splitTarget(header.target());
  // Routing uses the decoded path, as Werkzeug does ("/g%65t" is /get).
  std::string decoded_path;
  std::string_view route_path = target.path;
  if (route_path.find('%') != std::string_view::npos) {
    decoded_path = percentDecode(route_path, false);
    route_path = decoded_path;
  }
  const std::optional<Route> route = findRoute(route_path);
  const bool echo = route && echoesBody(*route, header.method());

  std::string body;
  const BodyOutcome outcome = co_await readBody(parser, echo ? &body : nullptr);
  if (outcome == BodyOutcome::Failed) {
    co_return false;
  }

  const Request request{header, target, body, client_address_, local_endpoint_};
  Response response;
  if (outcome == BodyOutcome::TooLarge || outcome == BodyOutcome::RejectedUnread) {
    response = payloadTooLarge(request, settings_.max_echo_body_bytes);
  } else if (!route) {
    response = notFound(request);
  } else {
    if (const auto delay = responseDelay(*route); delay && header.method() != http::verb::options) {
      if (!co_await wait(*delay)) {
        co_return false;
      }
    }
    response = respond(*route, request);
  }

  const bool keep_alive = parser.keep_alive() && outcome != BodyOutcome::RejectedUnread;
  finishResponse(response, header, keep_alive);
  if (!co_await writeResponse(response, header.method() == http::verb::head)) {
    co_return false;
  }
  sent_final_response_ = !keep_alive;
  co_return keep_alive;
}

asio::awaitable<Connection::BodyOutcome> Connection::readBody(Parser& parser,
                                                              std::string* echo_body) {
  if (parser.is_done()) {
    co_return BodyOutcome::Complete;
  }

  const http::request_header<>& header = parser.get();
  const bool expects_continue = expectsContinue(header);
  const std::size_t limit = settings_.max_echo_body_bytes;
  const auto content_length = parser.content_length();
  bool too_large = false;
  if (echo_body && content_length && *content_length > limit) {
    if (expects_continue) {
      co_return BodyOutcome::RejectedUnread;
    }
    too_large = true;
  }

  if (expects_continue) {
    http::response<http::empty_body> interim{http::status::continue_, header.version()};
    stream_.expires_after(settings_.idle_timeout);
    const auto [write_error, written] = co_await http::async_write(stream_, interim, kUseTuple);
    if (write_error) {
      co_return BodyOutcome::Failed;
    }
  }

  // Beast reads at most the buffer's free capacity (at least 512 bytes): give it room for
  // whole chunks while the body arrives.
  buffer_.reserve(kDiscardBufferBytes);

  // The echo buffer grows by doubling as bytes arrive, up to the Content-Length or else the
  // limit, so a large announced length reserves nothing before its bytes come. Bytes past the
  // limit, and all bytes of a discarded body, go to the scratch buffer.
  const std::size_t echo_capacity =
      content_length ? static_cast<std::size_t>(std::min<std::uint64_t>(*content_length, limit))
                     : limit;
  std::size_t used = 0;
  while (!parser.is_done()) {
    bool into_echo = echo_body && !too_large;
    if (into_echo && used == echo_body->size()) {
      if (used >= echo_capacity) {
        into_echo = false;
      } else {
        echo_body->resize(std::min(echo_capacity, std::max(used * 2, kInitialEchoBytes)));
      }
    }

    char* destination = nullptr;
    std::size_t capacity = 0;
    if (into_echo) {
      destination = echo_body->data() + used;
      capacity = echo_body->size() - used;
    } else {
      if (!discard_buffer_) {
        discard_buffer_ = std::make_unique<char[]>(kDiscardBufferBytes);
      }
      destination = discard_buffer_.get();
      capacity = kDiscardBufferBytes;
    }

    auto& body = parser.get().body();
    body.data = destination;
    body.size = capacity;
    stream_.expires_after(settings_.idle_timeout);
    auto [read_error, read_bytes] = co_await http::async_read(stream_, buffer_, parser, kUseTuple);
    if (read_error && read_error != http::error::need_buffer) {
      co_return BodyOutcome::Failed;
    }

    const std::size_t received = capacity - body.size;
    if (into_echo) {
      used += received;
    } else if (echo_body && received > 0) {
      too_large = true;
    }
  }

  if (echo_body) {
    echo_body->resize(too_large ? 0 : used);
  }
  co_return too_large ? BodyOutcome::TooLarge : BodyOutcome::Complete;
}

asio::awaitable<bool> Connection::writeResponse(Response& response, bool header_only) {
  stream_.expires_after(settings_.idle_timeout);
  if (header_only) {
    // A response to HEAD carries the Content-Length of the GET response but no body.
    http::response_serializer<http::string_body> serializer{response};
    const auto [error, written] = co_await http::async_write_header(stream_, serializer, kUseTuple);
    co_return !error;
  }
  const auto [error, written] = co_await http::async_write(stream_, response, kUseTuple);
  co_return !error;
}

asio::awaitable<bool> Connection::wait(std::chrono::nanoseconds duration) {
  delay_timer_.expires_after(duration);
  const auto [error] = co_await delay_timer_.async_wait(kUseTuple);
  co_return !error && !closed_;
}

}  // namespace portcullis::httpbin
