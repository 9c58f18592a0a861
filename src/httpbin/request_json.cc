#include "httpbin/request_json.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "httpbin/form.h"
#include "httpbin/text.h"

namespace portcullis::httpbin {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// Headers that httpbin removes from its "headers" object unless the query has show_env,
// because hosting providers add them. Sorted for binary search.
constexpr std::array<std::string_view, 15> kEnvironmentHeaders = {
    "Connect-Time",         "Total-Route-Time",         "Via",
    "X-Forwarded-For",      "X-Forwarded-Port",         "X-Forwarded-Proto",
    "X-Forwarded-Protocol", "X-Forwarded-Ssl",          "X-Heroku-Dynos-In-Use",
    "X-Heroku-Queue-Depth", "X-Heroku-Queue-Wait-Time", "X-Real-Ip",
    "X-Request-Id",         "X-Request-Start",          "X-Varnish",
};

bool isEnvironmentHeader(std::string_view title_case_name) {
  return std::binary_search(kEnvironmentHeaders.begin(), kEnvironmentHeaders.end(),
                            title_case_name);
}

// Groups fields by name in httpbin's form: a name seen once maps to its value, a repeated name
// to the list of its values.
json::object groupFields(const FieldList& fields) {
  std::map<std::string_view, std::vector<std::string_view>> grouped;
  for (const auto& [name, value] : fields) {
    grouped[name].push_back(value);
  }

  json::object object;
  object.reserve(grouped.size());
  for (const auto& [name, values] : grouped) {
    if (values.size() == 1) {
      object.emplace(name, values.front());
    } else {
      object.emplace(name, json::array(values.begin(), values.end()));
    }
  }
  return object;
}

// Returns text that is valid UTF-8 unchanged, and other bytes as an RFC 2397 data URL in
// Base64, as httpbin reports binary bodies and files.
json::string jsonSafe(std::string_view bytes, std::string_view content_type) {
  if (isValidUtf8(bytes)) {
    return json::string(bytes);
  }
  json::string url = "data:";
  url.append(content_type);
  url.append(";base64,");
  url.append(base64Encode(bytes));
  return url;
}

// Builds httpbin's "url": the scheme (X-Forwarded-Proto, X-Forwarded-Protocol or
// X-Forwarded-Ssl when present), the Host header without the scheme's default port, then the
// target's path and query escaped as Werkzeug escapes them.
std::string requestUrl(const Request& request, const HeaderMap& headers) {
  std::string scheme = "http";
  const auto proto = headers.find("X-Forwarded-Proto");
  const auto protocol = headers.find("X-Forwarded-Protocol");
  if (proto && !proto->empty()) {
    scheme = *proto;
  } else if (protocol && !protocol->empty()) {
    scheme = *protocol;
  } else if (headers.find("X-Forwarded-Ssl") == std::optional<std::string_view>("on")) {
    scheme = "https";
  }

  std::string host;
  if (const auto host_header = headers.find("Host")) {
    host = *host_header;
  } else {
    host = formatEndpoint(request.local_endpoint);
  }
  // Werkzeug drops the scheme's default port. Gunicorn takes the scheme from
  // X-Forwarded-Proto when the peer is on loopback, so that is the scheme that counts here.
  if (boost::beast::iequals(scheme, "http") && host.ends_with(":80")) {
    host.resize(host.size() - 3);
  } else if (boost::beast::iequals(scheme, "https") && host.ends_with(":443")) {
    host.resize(host.size() - 4);
  }

  std::string url = scheme + "://" + host;
  url.append(iriPath(request.target.path));
  if (!request.target.query.empty()) {
    url.push_back('?');
    url.append(iriQuery(request.target.query));
  }
  return repairUtf8(url);
}

std::string requestOrigin(const Request& request, const HeaderMap& headers) {
  // Debian's httpbin 0.7.0 reports X-Forwarded-For as it arrives, without checking the peer.
  if (const auto forwarded_for = headers.find("X-Forwarded-For")) {
    return std::string(*forwarded_for);
  }
  return request.client_address.to_string();
}

struct BodyFields {
  json::value data;
  json::object files;
  json::object form;
  json::value json;
};

// Decodes the body as Flask does: a form content type fills "form" (and "files" for multipart)
// and leaves "data" empty. Any other body goes to "data", and to "json" when it parses as JSON.
BodyFields decodeBody(std::string_view body, std::string_view content_type) {
  BodyFields fields;
  fields.data = "";
  const std::string_view media_type = mediaType(content_type);

  if (boost::beast::iequals(media_type, "application/x-www-form-urlencoded") ||
      boost::beast::iequals(media_type, "application/x-url-encoded")) {
    fields.form = groupFields(parseUrlEncoded(body));
    return fields;
  }

  if (boost::beast::iequals(media_type, "multipart/form-data")) {
    const auto boundary = headerParameter(content_type, "boundary");
    const auto multipart = parseMultipart(body, boundary.value_or(""));
    if (!multipart) {
      return fields;
    }
    fields.form = groupFields(multipart->fields);
    // httpbin reports the first file of each name.
    std::map<std::string_view, json::string> files;
    for (const auto& file : multipart->files) {
      const std::string_view file_type = file.content_type.empty()
                                             ? std::string_view("application/octet-stream")
                                             : std::string_view(file.content_type);
      files.try_emplace(file.name, jsonSafe(file.content, file_type));
    }
    for (auto& [name, content] : files) {
      fields.files.emplace(name, std::move(content));
    }
    return fields;
  }

  fields.data = jsonSafe(body, "application/octet-stream");
  // NOTE: Boost.JSON 1.81 turns integers beyond 64 bits into doubles and rejects NaN and
  // Infinity. Python's json module keeps such integers exact and accepts both, so httpbin's
  // "json" differs for those bodies.
  boost::system::error_code error;
  json::value parsed = json::parse(body, error);
  if (!error) {
    fields.json = std::move(parsed);
  }
  return fields;
}

}  // namespace

HeaderMap::HeaderMap(const http::fields& fields) {
  for (const auto& field : fields) {
    std::string value = latin1ToUtf8(field.value());
    auto [it, inserted] = values_.try_emplace(titleCaseHeaderName(field.name_string()), value);
    if (!inserted) {
      it->second.push_back(',');
      it->second.append(value);
    }
  }
}

std::optional<std::string_view> HeaderMap::find(std::string_view title_case_name) const {
  const auto it = values_.find(title_case_name);
  if (it == values_.end()) {
    return std::nullopt;
  }
  return it->second;
}

json::object HeaderMap::toJson(bool show_env) const {
  json::object object;
  object.reserve(values_.size());
  for (const auto& [name, value] : values_) {
    if (show_env || !isEnvironmentHeader(name)) {
      object.emplace(name, value);
    }
  }
  return object;
}

json::object describeRequest(const Request& request, RequestField fields) {
  const HeaderMap headers(request.header);
  const FieldList args = parseUrlEncoded(request.target.query);
  const bool wants_body =
      hasField(fields, RequestField::Data) || hasField(fields, RequestField::Files) ||
      hasField(fields, RequestField::Form) || hasField(fields, RequestField::Json);
  BodyFields body;
  if (wants_body) {
    body = decodeBody(request.body, request.header[http::field::content_type]);
  }

  json::object object;
  object.reserve(9);
  if (hasField(fields, RequestField::Args)) {
    object.emplace("args", groupFields(args));
  }
  if (hasField(fields, RequestField::Data)) {
    object.emplace("data", std::move(body.data));
  }
  if (hasField(fields, RequestField::Files)) {
    object.emplace("files", std::move(body.files));
  }
  if (hasField(fields, RequestField::Form)) {
    object.emplace("form", std::move(body.form));
  }
  if (hasField(fields, RequestField::Headers)) {
    const bool show_env = std::any_of(args.begin(), args.end(),
                                      [](const auto& arg) { return arg.first == "show_env"; });
    object.emplace("headers", headers.toJson(show_env));
  }
  if (hasField(fields, RequestField::Json)) {
    object.emplace("json", std::move(body.json));
  }
  if (hasField(fields, RequestField::Method)) {
    object.emplace("method", request.header.method_string());
  }
  if (hasField(fields, RequestField::Origin)) {
    object.emplace("origin", requestOrigin(request, headers));
  }
  if (hasField(fields, RequestField::Url)) {
    object.emplace("url", requestUrl(request, headers));
  }
  return object;
}

}  // namespace portcullis::httpbin
