#include "jwks/fetch.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace portcullis::jwks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

using Clock = std::chrono::steady_clock;

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // path and query
};

bool parseTarget(std::string_view url, Target& out, std::string& error) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    error = "invalid URL";
    return false;
  }
  const auto scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https") {
    error = "unsupported scheme \"" + std::string(scheme) + "\" (http or https)";
    return false;
  }
  out.tls = scheme == "https";
  out.host = std::string(parsed->host_address());  // IPv6 without brackets
  out.port = parsed->has_port() ? std::string(parsed->port()) : (out.tls ? "443" : "80");
  out.path = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) {
    out.path += "?" + std::string(parsed->encoded_query());
  }
  return true;
}

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) {
    return "timed out";
  }
  return ec.message();
}

template <typename Stream>
asio::awaitable<FetchResult> exchange(Stream& stream, const Target& target,
                                      const FetchOptions& options) {
  FetchResult result;
  http::request<http::empty_body> request{http::verb::get, target.path, 11};
  const bool default_port = target.port == (target.tls ? "443" : "80");
  const bool ipv6 = target.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + target.host + "]" : target.host;
  request.set(http::field::host, default_port ? host : host + ":" + target.port);
  request.set(http::field::user_agent, "portcullis");
  request.set(http::field::accept, "application/json");
  request.keep_alive(false);
  auto [write_ec, written] = co_await http::async_write(stream, request, kTuple);
  if (write_ec) {
    result.error = "sending the request failed: " + describe(write_ec);
    co_return result;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (read_ec == http::error::body_limit) {
    result.error = "response body is larger than " + std::to_string(options.max_body_bytes) +
                   " bytes";
    co_return result;
  }
  if (read_ec) {
    result.error = "reading the response failed: " + describe(read_ec);
    co_return result;
  }
  auto& response = parser.get();
  result.status = response.result_int();
  if (response.result_int() >= 300 && response.result_int() < 400) {
    result.body = std::string(response[http::field::location]);  // caller follows it
    co_return result;
  }
  result.body = std::move(response.body());
  result.ok = result.status == 200;
  if (!result.ok) {
    result.error = "HTTP status " + std::to_string(result.status);
  }
  co_return result;
}

asio::awaitable<FetchResult> fetchOnce(const Target& target, Clock::time_point deadline,
                                       const FetchOptions& options, asio::ssl::context& tls) {
  FetchResult result;
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(target.host, target.port, kTuple);
  if (resolve_ec) {
    result.error = "resolving " + target.host + " failed: " + describe(resolve_ec);
    co_return result;
  }
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(deadline);
  auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kTuple);
  if (connect_ec) {
    result.error = "connecting to " + target.host + ":" + target.port + " failed: " +
                   describe(connect_ec);
    co_return result;
  }
  if (!target.tls) {
    co_return co_await exchange(tcp_stream, target, options);
  }
  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), tls);
  if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), target.host.c_str())) {
    result.error = "setting the TLS server name failed";
    co_return result;
  }
  tls_stream.set_verify_callback(asio::ssl::host_name_verification(target.host));
  auto [handshake_ec] =
      co_await tls_stream.async_handshake(asio::ssl::stream_base::client, kTuple);
  if (handshake_ec) {
    result.error = "TLS handshake with " + target.host + " failed: " + describe(handshake_ec);
    co_return result;
  }
  co_return co_await exchange(tls_stream, target, options);
}

}  // namespace

asio::ssl::context makeClientTlsContext() {
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.set_default_verify_paths();
  context.set_verify_mode(asio::ssl::verify_peer);
  return context;
}

asio::awaitable<FetchResult> fetch(std::string_view url_view, const FetchOptions& options,
                                   asio::ssl::context& tls) {
  std::string url(url_view);
  const auto deadline = Clock::now() + options.timeout;
  FetchResult result;
  for (int redirects = 0;; ++redirects) {
    Target target;
    if (!parseTarget(url, target, result.error)) {
      co_return result;
    }
    result = co_await fetchOnce(target, deadline, options, tls);
    if (result.ok || result.status < 300 || result.status >= 400) {
      co_return result;
    }
    if (redirects == options.max_redirects || result.body.empty()) {
      result.error = "HTTP status " + std::to_string(result.status) +
                     (result.body.empty() ? " without Location" : ": too many redirects");
      result.body.clear();
      co_return result;
    }
    // Resolve a relative Location against the current URL.
    auto base = boost::urls::parse_uri(url);
    auto location = boost::urls::parse_uri_reference(result.body);
    if (!base || !location) {
      result.error = "invalid redirect location";
      co_return result;
    }
    boost::urls::url resolved;
    if (!boost::urls::resolve(*base, *location, resolved)) {
      result.error = "invalid redirect location";
      co_return result;
    }
    url = std::string(resolved.buffer());
  }
}

}  // namespace portcullis::jwks
