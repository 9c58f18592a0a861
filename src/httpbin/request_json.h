// The JSON description of a request that httpbin's endpoints return: args, data, files, form,
// headers, json, method, origin and url.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>
#include <boost/json/object.hpp>

#include "httpbin/endpoints.h"

namespace portcullis::httpbin {

// The fields of a request description, combined with "|".
enum class RequestField : std::uint16_t {
  Args = 1 << 0,
  Data = 1 << 1,
  Files = 1 << 2,
  Form = 1 << 3,
  Headers = 1 << 4,
  Json = 1 << 5,
  Method = 1 << 6,
  Origin = 1 << 7,
  Url = 1 << 8,
};

constexpr RequestField operator|(RequestField a, RequestField b) {
  return static_cast<RequestField>(static_cast<std::uint16_t>(a) | static_cast<std::uint16_t>(b));
}

constexpr bool hasField(RequestField set, RequestField field) {
  return (static_cast<std::uint16_t>(set) & static_cast<std::uint16_t>(field)) != 0;
}

// Request headers keyed by httpbin's spelling of the name ("X-Jwt-Sub"), with the values of
// repeated headers joined by "," in arrival order and converted from Latin-1 to UTF-8.
class HeaderMap {
 public:
  explicit HeaderMap(const boost::beast::http::fields& fields);

  // Returns the value of a header, looked up by httpbin's spelling of its name.
  std::optional<std::string_view> find(std::string_view title_case_name) const;

  // Builds httpbin's "headers" object. Unless `show_env` is set, it leaves out the headers that
  // httpbin hides as hosting details: X-Forwarded-For, X-Forwarded-Proto, X-Request-Id, Via
  // and others.
  boost::json::object toJson(bool show_env) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Builds the JSON object with the requested fields, with keys in alphabetical order as Flask
// sorts them.
boost::json::object describeRequest(const Request& request, RequestField fields);

}  // namespace portcullis::httpbin
