// A small HTTP/1.1 client for key sets and discovery documents: http and https URLs,
// redirects, a deadline and a body size limit.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

namespace portcullis::jwks {

struct FetchResult {
  bool ok = false;       // a 200 response was received in full
  unsigned status = 0;   // HTTP status of the last response, 0 when none arrived
  std::string body;
  std::string error;     // why it failed, for logs: "connection refused", "timed out", ...
};

struct FetchOptions {
  std::chrono::milliseconds timeout{5000};  // the whole exchange, redirects included
  size_t max_body_bytes = 4 * 1024 * 1024;
  int max_redirects = 5;
};

// TLS settings for https URLs: the system trust store (OpenSSL's default paths, which honour
// the SSL_CERT_FILE and SSL_CERT_DIR environment variables) and peer verification.
boost::asio::ssl::context makeClientTlsContext();

// GETs `url`. Never throws. Takes a view, not a string: GCC 12 may destroy a temporary that
// is passed by value into a co_await expression twice.
boost::asio::awaitable<FetchResult> fetch(std::string_view url, const FetchOptions& options,
                                          boost::asio::ssl::context& tls);

}  // namespace portcullis::jwks
