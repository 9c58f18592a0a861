#include "authz/attribute_value.h"

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace portcullis::authz {
namespace {

constexpr std::string_view kNoJwt = "no verified JWT";
constexpr std::string_view kNoPrincipal = "no verified JWT (request has no principal)";
constexpr std::string_view kNoIssuer = "the JWT has no string iss claim (request has no principal)";
constexpr std::string_view kNoSubject =
    "the JWT has no string sub claim (request has no principal)";
constexpr std::string_view kNoClaim = "the JWT has no such claim";
constexpr std::string_view kNoHeader = "the request has no such header";
constexpr std::string_view kNoAuthority = "the request has no :authority";

// Envoy's jwt_authn splits these top-level claims on spaces before authorization reads them;
// Istio always lists "scope" and "permission" and adds RequestAuthentication's
// spaceDelimitedClaims.
bool isSpaceDelimited(std::string_view claim, const Identity& identity) {
  if (claim == "scope" || claim == "permission") {
    return true;
  }
  if (identity.space_delimited_claims == nullptr) {
    return false;
  }
  const std::vector<std::string>& extra = *identity.space_delimited_claims;
  return std::find(extra.begin(), extra.end(), claim) != extra.end();
}

const jwt::Jwt* verifiedJwt(const RequestAttributes& request) {
  return request.identity == nullptr ? nullptr : request.identity->jwt;
}

// A space-delimited string matches when one of its non-empty tokens matches. Envoy leaves a
// string without any token (empty or only spaces) as it is.
bool matchesTokens(const StringPattern& pattern, std::string_view text) {
  bool any_token = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (end > start) {
      any_token = true;
      if (pattern.matches(text.substr(start, end - start))) {
        return true;
      }
    }
    start = end + 1;
  }
  return !any_token && pattern.matches(text);
}

bool matchesJson(const StringPattern& pattern, const boost::json::value& json, bool split) {
  if (const boost::json::string* text = json.if_string()) {
    std::string_view view(text->data(), text->size());
    return split ? matchesTokens(pattern, view) : pattern.matches(view);
  }
  if (const boost::json::array* list = json.if_array()) {
    for (const boost::json::value& element : *list) {
      if (const boost::json::string* text = element.if_string()) {
        if (pattern.matches(std::string_view(text->data(), text->size()))) {
          return true;
        }
      }
    }
  }
  return false;
}

std::string_view stringClaim(const boost::json::object& payload, std::string_view name,
                             bool* found) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->value().is_string()) {
    *found = false;
    return {};
  }
  *found = true;
  const boost::json::string& text = it->value().get_string();
  return std::string_view(text.data(), text.size());
}

}  // namespace

void HeaderLines::add(std::string_view line) {
  if (count_ < kInline) {
    inline_[count_] = line;
  } else {
    if (overflow_.empty()) {
      overflow_.assign(inline_.begin(), inline_.end());
    }
    overflow_.push_back(line);
  }
  ++count_;
}

std::span<const std::string_view> HeaderLines::view() const {
  if (!overflow_.empty()) {
    return overflow_;
  }
  return std::span<const std::string_view>(inline_.data(), count_);
}

AttributeValue AttributeValue::absent(std::string_view reason) {
  AttributeValue value;
  value.absent_reason = reason;
  return value;
}

AttributeValue AttributeValue::ofText(std::string_view text) {
  AttributeValue value;
  value.kind = Kind::Text;
  value.text = text;
  return value;
}

AttributeValue AttributeValue::ofAddress(const boost::asio::ip::address& address) {
  AttributeValue value;
  value.kind = Kind::Address;
  value.address = address;
  return value;
}

AttributeValue AttributeValue::ofPort(uint16_t port) {
  AttributeValue value;
  value.kind = Kind::Port;
  value.port = port;
  return value;
}

AttributeValue hostValue(const RequestAttributes& request) {
  if (request.host.empty()) {
    return AttributeValue::absent(kNoAuthority);
  }
  return AttributeValue::ofText(request.host);
}

AttributeValue headerValue(const RequestAttributes& request, std::string_view lower_name) {
  // The HTTP/1 codec keeps these outside the header map; Envoy's matchers see them as headers.
  if (lower_name == ":authority") {
    return hostValue(request);
  }
  if (lower_name == ":method") {
    return AttributeValue::ofText(request.method);
  }
  if (lower_name == ":path") {
    // NOTE: Envoy's `:path` still carries the query string, which RequestAttributes does not
    // keep, so a condition on `request.headers[:path]` is matched against the path alone.
    return AttributeValue::ofText(request.path);
  }
  if (request.headers == nullptr) {
    return AttributeValue::absent(kNoHeader);
  }
  AttributeValue value;
  value.kind = AttributeValue::Kind::HeaderLines;
  auto [first, last] = request.headers->equal_range(lower_name);
  for (auto it = first; it != last; ++it) {
    boost::beast::string_view line = it->value();
    value.lines.add(std::string_view(line.data(), line.size()));
  }
  if (value.lines.empty()) {
    return AttributeValue::absent(kNoHeader);
  }
  return value;
}

AttributeValue claimValue(const RequestAttributes& request, std::span<const std::string> path) {
  const jwt::Jwt* jwt = verifiedJwt(request);
  if (jwt == nullptr) {
    return AttributeValue::absent(kNoJwt);
  }
  const boost::json::object* object = &jwt->payload;
  const boost::json::value* claim = nullptr;
  for (size_t i = 0; i < path.size(); ++i) {
    if (object == nullptr) {
      return AttributeValue::absent(kNoClaim);  // an intermediate claim is not an object
    }
    auto it = object->find(path[i]);
    if (it == object->end()) {
      return AttributeValue::absent(kNoClaim);
    }
    claim = &it->value();
    object = claim->if_object();
  }
  if (claim == nullptr) {
    return AttributeValue::absent(kNoClaim);
  }
  AttributeValue value;
  value.kind = AttributeValue::Kind::Json;
  value.json = claim;
  value.split_on_spaces = path.size() == 1 && isSpaceDelimited(path[0], *request.identity);
  return value;
}

AttributeValue principalValue(const RequestAttributes& request) {
  const jwt::Jwt* jwt = verifiedJwt(request);
  if (jwt == nullptr) {
    return AttributeValue::absent(kNoPrincipal);
  }
  bool found = false;
  std::string_view issuer = stringClaim(jwt->payload, "iss", &found);
  if (!found) {
    return AttributeValue::absent(kNoIssuer);
  }
  std::string_view subject = stringClaim(jwt->payload, "sub", &found);
  if (!found) {
    return AttributeValue::absent(kNoSubject);
  }
  AttributeValue value;
  value.kind = AttributeValue::Kind::Principal;
  value.issuer = issuer;
  value.subject = subject;
  return value;
}

bool matchesString(const StringPattern& pattern, const AttributeValue& value) {
  switch (value.kind) {
    case AttributeValue::Kind::Text:
      return pattern.matches(value.text);
    case AttributeValue::Kind::HeaderLines:
      return pattern.matchesJoined(value.lines.view());
    case AttributeValue::Kind::Json:
      return matchesJson(pattern, *value.json, value.split_on_spaces);
    case AttributeValue::Kind::Absent:
    case AttributeValue::Kind::Address:
    case AttributeValue::Kind::Port:
    case AttributeValue::Kind::Principal:
      return false;
  }
  return false;
}

std::string quote(std::string_view text) {
  return boost::json::serialize(boost::json::string(text));
}

std::string describeValue(const AttributeValue& value) {
  switch (value.kind) {
    case AttributeValue::Kind::Absent:
      return std::string(value.absent_reason);
    case AttributeValue::Kind::Text:
      return quote(value.text);
    case AttributeValue::Kind::HeaderLines: {
      std::span<const std::string_view> lines = value.lines.view();
      std::string joined;
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) {
          joined += ',';
        }
        joined += lines[i];
      }
      return quote(joined);
    }
    case AttributeValue::Kind::Json: {
      std::string text = boost::json::serialize(*value.json);
      if (value.split_on_spaces && value.json->is_string()) {
        text += " (split on spaces)";
      } else if (!value.json->is_string() && !value.json->is_array()) {
        text += " (only strings and lists of strings can match)";
      }
      return text;
    }
    case AttributeValue::Kind::Address:
      return value.address.to_string();
    case AttributeValue::Kind::Port:
      return std::to_string(value.port);
    case AttributeValue::Kind::Principal:
      return quote(std::string(value.issuer) + "/" + std::string(value.subject));
  }
  return {};
}

}  // namespace portcullis::authz
