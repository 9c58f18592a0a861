// httpbin's endpoints as plain functions from a parsed request to a response, with no I/O: the
// connection code reads the request, waits for /delay and writes what these functions return.
// JSON shapes and status codes follow httpbin 0.7.0 as packaged in Debian 12 (python3-httpbin).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

namespace portcullis::httpbin {

enum class Endpoint {
  Index,            // /
  Get,              // /get
  Headers,          // /headers
  Ip,               // /ip
  UserAgent,        // /user-agent
  Uuid,             // /uuid
  Anything,         // /anything and /anything/{anything}
  Post,             // /post
  Put,              // /put
  Patch,            // /patch
  Delete,           // /delete
  Status,           // /status/{codes}
  Delay,            // /delay/{seconds}
  Bytes,            // /bytes/{n}
  ResponseHeaders,  // /response-headers
};

struct Route {
  Endpoint endpoint = Endpoint::Index;
  // The path segment an endpoint takes: {codes}, {seconds} or {n}. Empty for the others.
  std::string parameter;
};

// Finds the endpoint for a percent-decoded request path. Returns nullopt for an unknown path
// (404), including "/anything/" and paths with a trailing "/", which httpbin does not route.
std::optional<Route> findRoute(std::string_view path);

// Reports whether `endpoint` serves `method` instead of returning 405. OPTIONS is served on
// every endpoint, and HEAD wherever GET is.
bool allowsMethod(Endpoint endpoint, boost::beast::http::verb method);

// Reports whether the response echoes the request body (data, form, files, json), so the
// connection must read the body into memory instead of discarding it.
bool echoesBody(const Route& route, boost::beast::http::verb method);

// Returns how long /delay waits before it responds: the requested seconds capped at 10, as in
// httpbin. Returns nullopt for other endpoints and for an invalid value, which respond at once.
std::optional<std::chrono::nanoseconds> responseDelay(const Route& route);

struct Target {
  std::string_view path;
  std::string_view query;
};

// Formats an address and port as in a URL authority: "127.0.0.1:80" or "[::1]:80".
std::string formatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint);

// Splits a request target into path and query. For an absolute-form target
// ("http://host/path?q"), the scheme and authority are dropped.
Target splitTarget(std::string_view target);

// A request as the endpoints see it. All views must outlive the call that receives it.
struct Request {
  const boost::beast::http::request_header<>& header;
  Target target;
  // The body when echoesBody() is true, empty otherwise.
  std::string_view body;
  boost::asio::ip::address client_address;
  // The server's address, used for the "url" field when the request has no Host header.
  boost::asio::ip::tcp::endpoint local_endpoint;
};

using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Builds the response for a routed request, including 405 for a method the endpoint does not
// serve and the automatic OPTIONS response.
Response respond(const Route& route, const Request& request);

// Builds the 404 response for a path no endpoint serves.
Response notFound(const Request& request);

// Builds the 413 response for an echoed body larger than `limit` bytes.
Response payloadTooLarge(const Request& request, std::size_t limit);

// Builds a response for a request that could not be parsed: 400 for a malformed request, 431
// when the header exceeds the limit. The connection closes after it.
Response rejectUnparsedRequest(boost::beast::http::status status);

// Adds what every response carries: HTTP version, keep-alive, Content-Length, Date and httpbin's
// CORS headers (Access-Control-Allow-Origin echoes the Origin header, "*" without one).
void finishResponse(Response& response, const boost::beast::http::request_header<>& request,
                    bool keep_alive);

}  // namespace portcullis::httpbin
