#include "extauthz/client.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace portcullis::extauthz {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) {
    return "timed out";
  }
  if (ec == http::error::body_limit) {
    return "the response body is larger than " + std::to_string(kMaxResponseBodyBytes) + " bytes";
  }
  if (ec == http::error::header_limit) {
    return "the response header is larger than " + std::to_string(kMaxResponseHeaderBytes) +
           " bytes";
  }
  return ec.message();
}

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

asio::awaitable<CheckResponse> send(upstream::Pool& pool, const snapshot::Endpoint& endpoint,
                                    std::chrono::milliseconds connect_timeout,
                                    std::chrono::milliseconds timeout,
                                    const CheckRequest& request) {
  CheckResponse response;
  http::request<http::empty_body> message;  // the check request on the wire
  message.method_string(request.method);
  message.target(request.target);
  message.version(11);
  for (const auto& [name, value] : request.headers) {
    message.insert(name, value);
  }
  message.set(http::field::content_length, "0");

  const auto deadline = Clock::now() + timeout;
  // A pooled connection that the provider closed while idle fails at once, so one new connection
  // is then tried.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds(0)) {
      response.error = "timed out";
      co_return response;
    }
    std::string error;
    const auto connect_within = std::min(left, connect_timeout);
    upstream::ConnectionPtr connection;
    if (attempt == 0) {
      connection = co_await pool.acquire(endpoint, connect_within, true, error);
    } else {
      connection = co_await pool.connect(endpoint, connect_within, error);
    }
    if (!connection) {
      response.error = error;
      co_return response;
    }
    const bool reused = connection->reused;
    connection->stream.expires_at(deadline);
    auto [write_ec, written] = co_await http::async_write(connection->stream, message, kTuple);
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBodyBytes);
    parser.header_limit(kMaxResponseHeaderBytes);
    parser.skip(request.method == "HEAD");  // a response to HEAD has no body
    boost::system::error_code ec = write_ec;
    if (!ec) {
      auto [read_ec, read] =
          co_await http::async_read(connection->stream, connection->buffer, parser, kTuple);
      ec = read_ec;
    }
    if (ec) {
      if (reused && ec != beast::error::timeout && !parser.got_some()) {
        continue;
      }
      response.error = describe(ec);
      co_return response;
    }
    auto& reply = parser.get();
    response.status = reply.result_int();
    for (const auto& field : reply) {
      response.headers.emplace_back(lowerAscii(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(reply.body());
    if (parser.keep_alive()) {
      pool.release(std::move(connection));
    }
    co_return response;
  }
  response.error = "the connection closed before a response";
  co_return response;
}

}  // namespace portcullis::extauthz
