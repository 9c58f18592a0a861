// One request attribute as a policy clause reads it, resolved from RequestAttributes without
// copying: views into the request, the verified JWT payload or the header map.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/json/value.hpp>

#include "authz/attributes.h"
#include "authz/patterns.h"

namespace portcullis::authz {

// The lines of one header, in request order. Up to kInline lines are held without allocating.
class HeaderLines {
 public:
  void add(std::string_view line);
  std::span<const std::string_view> view() const;
  bool empty() const { return count_ == 0; }

 private:
  static constexpr size_t kInline = 8;
  std::array<std::string_view, kInline> inline_{};
  size_t count_ = 0;
  std::vector<std::string_view> overflow_;  // all lines, once there are more than kInline
};

struct AttributeValue {
  enum class Kind { Absent, Text, HeaderLines, Json, Address, Port, Principal };

  Kind kind = Kind::Absent;
  std::string_view absent_reason;            // static text saying why the attribute is absent
  std::string_view text;                     // Text
  HeaderLines lines;                         // HeaderLines
  const boost::json::value* json = nullptr;  // Json: a claim of the verified JWT
  bool split_on_spaces = false;      // Json: a space-delimited claim, matched token by token
  boost::asio::ip::address address;  // Address
  uint16_t port = 0;                 // Port
  std::string_view issuer;           // Principal: the `iss` claim
  std::string_view subject;          // Principal: the `sub` claim

  static AttributeValue absent(std::string_view reason);
  static AttributeValue ofText(std::string_view text);
  static AttributeValue ofAddress(const boost::asio::ip::address& address);
  static AttributeValue ofPort(uint16_t port);
};

// The `:authority`, absent when the request has none.
AttributeValue hostValue(const RequestAttributes& request);

// The header `lower_name`, with `:authority`, `:method` and `:path` read from the request.
AttributeValue headerValue(const RequestAttributes& request, std::string_view lower_name);

// The claim at `path` (top level first) of the verified JWT payload.
AttributeValue claimValue(const RequestAttributes& request, std::span<const std::string> path);

// The `iss` and `sub` claims of the verified JWT; absent when either is missing or not a string.
AttributeValue principalValue(const RequestAttributes& request);

// Whether `pattern` matches a Text, HeaderLines or Json value. A JSON value matches when it is a
// matching string or an array with a matching string element; numbers, booleans and objects
// never match.
bool matchesString(const StringPattern& pattern, const AttributeValue& value);

// Describes `value` for a trace: a quoted string, JSON text, an address or a port, or the reason
// it is absent.
std::string describeValue(const AttributeValue& value);

// Quotes `text` as a JSON string.
std::string quote(std::string_view text);

}  // namespace portcullis::authz
