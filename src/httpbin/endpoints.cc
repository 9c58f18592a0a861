#include "httpbin/endpoints.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <random>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/serialize.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "httpbin/form.h"
#include "httpbin/request_json.h"
#include "httpbin/text.h"

namespace portcullis::httpbin {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// httpbin caps /delay at 10 seconds and /bytes at 100 KiB.
constexpr double kMaxDelaySeconds = 10.0;
constexpr std::size_t kMaxRandomBytes = 100 * 1024;

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kHtmlType = "text/html; charset=utf-8";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";

constexpr RequestField kGetFields =
    RequestField::Args | RequestField::Headers | RequestField::Origin | RequestField::Url;
constexpr RequestField kBodyFields =
    kGetFields | RequestField::Data | RequestField::Files | RequestField::Form | RequestField::Json;
// httpbin 0.7.0's /delay adds data, files and form to /get's fields, but not json.
constexpr RequestField kDelayFields =
    kGetFields | RequestField::Data | RequestField::Files | RequestField::Form;

constexpr std::string_view kIndexText =
    "Portcullis httpbin: an HTTP request and response service compatible with httpbin.\n"
    "\n"
    "GET  /get                  the request's args, headers, origin and url\n"
    "GET  /headers              the request headers\n"
    "GET  /ip                   the client address\n"
    "GET  /user-agent           the User-Agent header\n"
    "GET  /uuid                 a random UUID (version 4)\n"
    "ANY  /anything[/{path}]    the request with its method and body\n"
    "POST /post, PUT /put, PATCH /patch, DELETE /delete\n"
    "                           the request with its body\n"
    "ANY  /status/{codes}       that status code, or one picked at random from\n"
    "                           \"code:weight,code:weight\"\n"
    "GET  /delay/{seconds}      the request, after a wait of at most 10 seconds\n"
    "GET  /bytes/{n}            n random bytes (at most 102400), ?seed=N for a fixed sequence\n"
    "GET  /response-headers     a response with the query's names and values as headers\n";

constexpr std::string_view kGetAllow = "GET, HEAD, OPTIONS";
constexpr std::string_view kAnyAllow = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE";

std::string_view allowHeader(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::Anything:
    case Endpoint::Status:
      return kAnyAllow;
    case Endpoint::Post:
      return "OPTIONS, POST";
    case Endpoint::Put:
      return "OPTIONS, PUT";
    case Endpoint::Patch:
      return "OPTIONS, PATCH";
    case Endpoint::Delete:
      return "DELETE, OPTIONS";
    case Endpoint::ResponseHeaders:
      return "GET, HEAD, OPTIONS, POST";
    case Endpoint::Index:
    case Endpoint::Get:
    case Endpoint::Headers:
    case Endpoint::Ip:
    case Endpoint::UserAgent:
    case Endpoint::Uuid:
    case Endpoint::Delay:
    case Endpoint::Bytes:
      return kGetAllow;
  }
  return kGetAllow;
}

Response makeResponse(http::status status, std::string_view content_type, std::string body) {
  Response response{status, 11};
  if (!content_type.empty()) {
    response.set(http::field::content_type, content_type);
  }
  response.body() = std::move(body);
  return response;
}

Response jsonResponse(const json::object& object) {
  std::string body = json::serialize(object);
  body.push_back('\n');
  return makeResponse(http::status::ok, kJsonType, std::move(body));
}

Response textResponse(http::status status, std::string_view text) {
  return makeResponse(status, kTextType, std::string(text));
}

Response htmlError(http::status status, std::string_view message) {
  std::string title = std::to_string(static_cast<unsigned>(status));
  title.push_back(' ');
  title.append(http::obsolete_reason(status));
  std::string body = "<!doctype html>\n<title>" + title + "</title>\n<h1>" + title + "</h1>\n<p>";
  body.append(message);
  body.append("</p>\n");
  return makeResponse(status, kHtmlType, std::move(body));
}

// Parses a whole string of decimal digits, with no sign.
template <typename Integer>
std::optional<Integer> parseDigits(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// Parses a decimal number the way Python's float() reads /delay's and /status's values:
// surrounding spaces and a leading "+" are allowed, and so are "inf" and exponents.
std::optional<double> parseNumber(std::string_view text) {
  text = trimWhitespace(text);
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::mt19937_64& randomEngine() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

// Parses one status code of /status. Codes from 100 to 199 are rejected although httpbin sends
// them, because a 1xx status is never a final response and the client would wait for another.
std::optional<unsigned> parseStatusCode(std::string_view text) {
  const auto code = parseDigits<unsigned>(trimWhitespace(text));
  if (!code || *code < 200 || *code > 999) {
    return std::nullopt;
  }
  return code;
}

// Picks the status code for /status/{codes}: one code, or a random pick from a comma-separated
// list. Each item may carry a weight, as in "200:0.9,503:0.1", and the weight defaults to 1.
std::optional<unsigned> chooseStatusCode(std::string_view codes) {
  if (codes.find(',') == std::string_view::npos) {
    return parseStatusCode(codes);
  }

  std::vector<std::pair<unsigned, double>> choices;
  double total_weight = 0;
  while (true) {
    const std::size_t comma = codes.find(',');
    const std::string_view choice = codes.substr(0, comma);
    const std::size_t colon = choice.find(':');
    const auto code = parseStatusCode(choice.substr(0, colon));
    const auto weight = colon == std::string_view::npos ? std::optional(1.0)
                                                        : parseNumber(choice.substr(colon + 1));
    if (!code || !weight || !std::isfinite(*weight) || *weight < 0) {
      return std::nullopt;
    }
    choices.emplace_back(*code, *weight);
    total_weight += *weight;
    if (comma == std::string_view::npos) {
      break;
    }
    codes.remove_prefix(comma + 1);
  }
  if (total_weight <= 0) {
    return std::nullopt;
  }

  double point = std::uniform_real_distribution<double>(0, total_weight)(randomEngine());
  unsigned last_weighted_code = 0;
  for (const auto& [code, weight] : choices) {
    if (point < weight) {
      return code;
    }
    point -= weight;
    if (weight > 0) {
      last_weighted_code = code;
    }
  }
  // Rounding in the subtractions can leave `point` just past the last weight.
  return last_weighted_code;
}

Response statusResponse(const Route& route) {
  const auto code = chooseStatusCode(route.parameter);
  if (!code) {
    return textResponse(http::status::bad_request, "Invalid status code");
  }

  Response response;
  response.result(*code);
  if (http::int_to_status(*code) == http::status::unknown) {
    // Beast would send "<unknown-status>" as the reason phrase.
    response.reason("UNKNOWN");
  }

  // The headers httpbin sets for the codes it special-cases, which replace its Content-Type.
  // Their bodies are not reproduced. The Proxy-Authenticate of a 407 is left out because gunicorn
  // drops it as a hop-by-hop header.
  switch (*code) {
    case 301:
    case 302:
    case 303:
    case 305:
    case 307:
      response.set(http::field::location, "/redirect/1");
      break;
    case 304:
    case 407:
      break;
    case 401:
      response.set(http::field::www_authenticate, "Basic realm=\"Fake Realm\"");
      break;
    case 418:
      response.set("x-more-info", "http://tools.ietf.org/html/rfc2324");
      break;
    default:
      response.set(http::field::content_type, kHtmlType);
      break;
  }
  return response;
}

Response bytesResponse(const Route& route, const Request& request) {
  const auto requested = parseDigits<std::uint64_t>(route.parameter);
  // findRoute only routes digits, so a failed parse means an overflow, capped like any large n.
  const std::size_t count =
      requested ? static_cast<std::size_t>(std::min<std::uint64_t>(*requested, kMaxRandomBytes))
                : kMaxRandomBytes;

  std::optional<std::int64_t> seed;
  for (const auto& [name, value] : parseUrlEncoded(request.target.query)) {
    if (boost::beast::iequals(name, "seed")) {
      std::int64_t parsed = 0;
      const std::string_view text = trimWhitespace(value);
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
      if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
        return textResponse(http::status::bad_request, "Invalid seed: expected an integer");
      }
      seed = parsed;
      break;
    }
  }

  // A seed gives a repeatable sequence, but not the bytes Python's random module gives httpbin.
  std::mt19937_64 seeded_engine;
  if (seed) {
    seeded_engine.seed(static_cast<std::uint64_t>(*seed));
  }
  std::mt19937_64& engine = seed ? seeded_engine : randomEngine();

  std::string bytes(count, '\0');
  for (std::size_t i = 0; i < count; i += 8) {
    const std::uint64_t word = engine();
    for (std::size_t j = 0; j < 8 && i + j < count; ++j) {
      bytes[i + j] = static_cast<char>((word >> (8 * j)) & 0xFF);
    }
  }
  return makeResponse(http::status::ok, "application/octet-stream", std::move(bytes));
}

// Checks a header name against the token grammar of RFC 9110, section 5.6.2.
bool isHeaderName(std::string_view name) {
  constexpr std::string_view kTokenSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kTokenSymbols.find(c) != std::string_view::npos;
  });
}

bool isHeaderValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// Builds /response-headers: each query pair becomes a response header. The body is a JSON object
// of the response's headers, including its own Content-Length. Names are kept as given, and a
// repeated name maps to a list.
Response responseHeadersResponse(const Request& request) {
  const FieldList query_headers = parseUrlEncoded(request.target.query);
  for (const auto& [name, value] : query_headers) {
    if (!isHeaderName(name) || !isHeaderValue(value)) {
      return textResponse(http::status::bad_request,
                          "Invalid header in the query: a name must be an HTTP token and a value "
                          "must not contain CR, LF or NUL");
    }
    // A second length or a chunked coding from the query would break the response's framing.
    if (boost::beast::iequals(name, "Content-Length") ||
        boost::beast::iequals(name, "Transfer-Encoding")) {
      return textResponse(http::status::bad_request,
                          "Content-Length and Transfer-Encoding cannot be set through the query");
    }
  }

  // Flask keeps its own Content-Type and adds the query's headers after it, repeats included.
  FieldList all_headers = {{"Content-Type", std::string(kJsonType)}, {"Content-Length", ""}};
  all_headers.insert(all_headers.end(), query_headers.begin(), query_headers.end());

  // The body states its own length, so it is rebuilt until that length stops changing. The
  // number of digits grows at most twice, so this ends after a few rounds.
  std::string body;
  for (std::size_t length = 0;;) {
    all_headers[1].second = std::to_string(length);
    std::map<std::string_view, std::vector<std::string_view>> grouped;
    for (const auto& [name, unused] : all_headers) {
      if (grouped.contains(name)) {
        continue;
      }
      auto& values = grouped[name];
      for (const auto& [other_name, value] : all_headers) {
        if (boost::beast::iequals(name, other_name)) {
          values.push_back(value);
        }
      }
    }

    json::object object;
    for (const auto& [name, values] : grouped) {
      if (values.size() == 1) {
        object.emplace(name, values.front());
      } else {
        object.emplace(name, json::array(values.begin(), values.end()));
      }
    }
    body = json::serialize(object);
    body.push_back('\n');
    if (body.size() == length) {
      break;
    }
    length = body.size();
  }

  Response response = makeResponse(http::status::ok, kJsonType, std::move(body));
  for (const auto& [name, value] : query_headers) {
    response.insert(name, value);
  }
  return response;
}

Response userAgentResponse(const Request& request) {
  const HeaderMap headers(request.header);
  json::object object;
  const auto user_agent = headers.find("User-Agent");
  if (user_agent) {
    object.emplace("user-agent", *user_agent);
  } else {
    object.emplace("user-agent", nullptr);
  }
  return jsonResponse(object);
}

Response uuidResponse() {
  thread_local boost::uuids::random_generator generator;
  json::object object;
  object.emplace("uuid", boost::uuids::to_string(generator()));
  return jsonResponse(object);
}

Response ipResponse(const Request& request) {
  return jsonResponse(describeRequest(request, RequestField::Origin));
}

Response headersResponse(const Request& request) {
  return jsonResponse(describeRequest(request, RequestField::Headers));
}

Response optionsResponse(Endpoint endpoint) {
  Response response = makeResponse(http::status::ok, kHtmlType, {});
  response.set(http::field::allow, allowHeader(endpoint));
  return response;
}

Response methodNotAllowed(Endpoint endpoint) {
  Response response =
      htmlError(http::status::method_not_allowed, "This endpoint does not serve that method.");
  response.set(http::field::allow, allowHeader(endpoint));
  return response;
}

// Formats the current time as an HTTP date (RFC 9110, section 5.6.7), once per second per thread.
std::string_view httpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char cached_text[64] = {};
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm parts{};
    gmtime_r(&now, &parts);
    std::strftime(cached_text, sizeof cached_text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
    cached_second = now;
  }
  return cached_text;
}

}  // namespace

std::optional<Route> findRoute(std::string_view path) {
  static const std::map<std::string_view, Endpoint, std::less<>> kExactPaths = {
      {"/", Endpoint::Index},
      {"/get", Endpoint::Get},
      {"/headers", Endpoint::Headers},
      {"/ip", Endpoint::Ip},
      {"/user-agent", Endpoint::UserAgent},
      {"/uuid", Endpoint::Uuid},
      {"/anything", Endpoint::Anything},
      {"/post", Endpoint::Post},
      {"/put", Endpoint::Put},
      {"/patch", Endpoint::Patch},
      {"/delete", Endpoint::Delete},
      {"/response-headers", Endpoint::ResponseHeaders},
  };
  if (const auto it = kExactPaths.find(path); it != kExactPaths.end()) {
    return Route{it->second, {}};
  }

  // "/anything/{anything}" takes the rest of the path, slashes included.
  constexpr std::string_view kAnythingPrefix = "/anything/";
  if (path.starts_with(kAnythingPrefix) && path.size() > kAnythingPrefix.size()) {
    return Route{Endpoint::Anything, {}};
  }

  // The others take one non-empty segment.
  struct Prefix {
    std::string_view text;
    Endpoint endpoint;
  };
  static constexpr Prefix kSegmentPrefixes[] = {
      {"/status/", Endpoint::Status},
      {"/delay/", Endpoint::Delay},
      {"/bytes/", Endpoint::Bytes},
  };
  for (const auto& prefix : kSegmentPrefixes) {
    if (!path.starts_with(prefix.text)) {
      continue;
    }
    const std::string_view segment = path.substr(prefix.text.size());
    if (segment.empty() || segment.find('/') != std::string_view::npos) {
      return std::nullopt;
    }
    // /bytes/{n} is an unsigned integer route: anything else is not found.
    if (prefix.endpoint == Endpoint::Bytes &&
        !std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return Route{prefix.endpoint, std::string(segment)};
  }
  return std::nullopt;
}

bool allowsMethod(Endpoint endpoint, http::verb method) {
  if (method == http::verb::options) {
    return true;
  }
  switch (endpoint) {
    case Endpoint::Anything:
    case Endpoint::Status:
      return true;
    case Endpoint::Post:
      return method == http::verb::post;
    case Endpoint::Put:
      return method == http::verb::put;
    case Endpoint::Patch:
      return method == http::verb::patch;
    case Endpoint::Delete:
      return method == http::verb::delete_;
    case Endpoint::ResponseHeaders:
      return method == http::verb::get || method == http::verb::head || method == http::verb::post;
    case Endpoint::Index:
    case Endpoint::Get:
    case Endpoint::Headers:
    case Endpoint::Ip:
    case Endpoint::UserAgent:
    case Endpoint::Uuid:
    case Endpoint::Delay:
    case Endpoint::Bytes:
      return method == http::verb::get || method == http::verb::head;
  }
  return false;
}

bool echoesBody(const Route& route, http::verb method) {
  if (method == http::verb::options || !allowsMethod(route.endpoint, method)) {
    return false;
  }
  switch (route.endpoint) {
    case Endpoint::Anything:
    case Endpoint::Post:
    case Endpoint::Put:
    case Endpoint::Patch:
    case Endpoint::Delete:
    case Endpoint::Delay:
      return true;
    default:
      return false;
  }
}

std::optional<std::chrono::nanoseconds> responseDelay(const Route& route) {
  if (route.endpoint != Endpoint::Delay) {
    return std::nullopt;
  }
  const auto seconds = parseNumber(route.parameter);
  if (!seconds || std::isnan(*seconds) || *seconds < 0) {
    return std::nullopt;
  }
  const double capped = std::min(*seconds, kMaxDelaySeconds);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(capped));
}

std::string formatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

Target splitTarget(std::string_view target) {
  // Absolute form: drop "scheme://authority".
  if (const std::size_t scheme_end = target.find("://");
      scheme_end != std::string_view::npos && !target.starts_with('/')) {
    const std::size_t path_start = target.find_first_of("/?", scheme_end + 3);
    target = path_start == std::string_view::npos ? std::string_view{} : target.substr(path_start);
  }

  Target split;
  const std::size_t question = target.find('?');
  split.path = target.substr(0, question);
  if (question != std::string_view::npos) {
    split.query = target.substr(question + 1);
  }
  if (split.path.empty()) {
    split.path = "/";
  }
  return split;
}

Response respond(const Route& route, const Request& request) {
  const http::verb method = request.header.method();
  if (method == http::verb::options) {
    return optionsResponse(route.endpoint);
  }
  if (!allowsMethod(route.endpoint, method)) {
    return methodNotAllowed(route.endpoint);
  }

  switch (route.endpoint) {
    case Endpoint::Index:
      return makeResponse(http::status::ok, kTextType, std::string(kIndexText));
    case Endpoint::Get:
      return jsonResponse(describeRequest(request, kGetFields));
    case Endpoint::Headers:
      return headersResponse(request);
    case Endpoint::Ip:
      return ipResponse(request);
    case Endpoint::UserAgent:
      return userAgentResponse(request);
    case Endpoint::Uuid:
      return uuidResponse();
    case Endpoint::Anything:
      return jsonResponse(describeRequest(request, kBodyFields | RequestField::Method));
    case Endpoint::Post:
    case Endpoint::Put:
    case Endpoint::Patch:
    case Endpoint::Delete:
      return jsonResponse(describeRequest(request, kBodyFields));
    case Endpoint::Status:
      return statusResponse(route);
    case Endpoint::Delay:
      if (!responseDelay(route)) {
        // httpbin fails with a 500 here because Python raises. A 400 with a reason is clearer.
        return textResponse(http::status::bad_request,
                            "Invalid delay: expected a non-negative number of seconds");
      }
      return jsonResponse(describeRequest(request, kDelayFields));
    case Endpoint::Bytes:
      return bytesResponse(route, request);
    case Endpoint::ResponseHeaders:
      return responseHeadersResponse(request);
  }
  return notFound(request);
}

Response notFound(const Request& request) {
  return htmlError(http::status::not_found, "No endpoint serves this path.");
}

Response payloadTooLarge(const Request& request, std::size_t limit) {
  const std::string message = "Request body exceeds the limit of " + std::to_string(limit) +
                              " bytes for endpoints that echo it\n";
  return textResponse(http::status::payload_too_large, message);
}

Response rejectUnparsedRequest(http::status status) {
  Response response = status == http::status::request_header_fields_too_large
                          ? textResponse(status, "Request header too large\n")
                          : textResponse(status, "Malformed HTTP/1.1 request\n");
  response.keep_alive(false);
  response.set(http::field::date, httpDate());
  response.content_length(response.body().size());
  return response;
}

void finishResponse(Response& response, const http::request_header<>& request, bool keep_alive) {
  response.version(request.version());
  response.keep_alive(keep_alive);
  response.set(http::field::date, httpDate());

  const auto origin = request.find(http::field::origin);
  response.set(http::field::access_control_allow_origin,
               origin == request.end() ? boost::beast::string_view("*") : origin->value());
  response.set(http::field::access_control_allow_credentials, "true");
  if (request.method() == http::verb::options) {
    response.set(http::field::access_control_allow_methods,
                 "GET, POST, PUT, DELETE, PATCH, OPTIONS");
    response.set(http::field::access_control_max_age, "3600");
    const auto requested_headers = request.find(http::field::access_control_request_headers);
    if (requested_headers != request.end()) {
      response.set(http::field::access_control_allow_headers, requested_headers->value());
    }
  }

  // A 1xx, 204 or 304 response has no body and no Content-Length (RFC 9110, section 8.6).
  const unsigned code = response.result_int();
  if (code < 200 || code == 204 || code == 304) {
    response.body().clear();
    response.content_length(boost::none);
  } else {
    response.content_length(response.body().size());
  }
}

}  // namespace portcullis::httpbin
