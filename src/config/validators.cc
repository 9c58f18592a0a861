#include "config/validators.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <regex>
#include <vector>

#include <boost/json.hpp>

namespace portcullis::config::internal {
namespace {

bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}
bool isUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlnum(char c) {
  return isLower(c) || isUpper(c) || isDigit(c);
}

std::string quoted(std::string_view value) {
  std::string out = "\"";
  out.append(value);
  out += '"';
  return out;
}

std::vector<std::string_view> split(std::string_view value, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = value.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(value.substr(start));
      return parts;
    }
    parts.push_back(value.substr(start, end - start));
    start = end + 1;
  }
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, where `alnum` decides which characters count as [a-z0-9].
template <class CharTest>
bool isLabelShape(std::string_view value, CharTest alnum) {
  if (value.empty()) {
    return false;
  }
  if (!alnum(value.front()) || !alnum(value.back())) {
    return false;
  }
  return std::all_of(value.begin(), value.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool isLowerAlnum(char c) {
  return isLower(c) || isDigit(c);
}

// Istio's wildcard label: "*", or a label optionally prefixed by "*" or "*-".
bool isIstioWildcardLabel(std::string_view value) {
  if (value.size() > 63) {
    return false;
  }
  if (value == "*") {
    return true;
  }
  if (value.starts_with("*-")) {
    value.remove_prefix(2);
  } else if (value.starts_with("*")) {
    value.remove_prefix(1);
  }
  return isIstioDnsLabel(value);
}

std::string checkDomainLength(std::string_view domain) {
  if (domain.size() > 255) {
    return "domain name " + quoted(domain) + " is too long (at most 255 characters)";
  }
  if (domain.empty()) {
    return "empty domain name is not allowed";
  }
  return "";
}

bool isAllDigits(std::string_view value) {
  if (value.starts_with("+") || value.starts_with("-")) {
    value.remove_prefix(1);
  }
  return !value.empty() && std::all_of(value.begin(), value.end(), isDigit);
}

// Istio's ValidateDNS1123Labels: the top-level domain must not be numeric, every label must be a
// DNS label, and one trailing dot is allowed ("istio.io.").
std::string validateDnsLabels(std::string_view whole, std::string_view domain) {
  std::vector<std::string_view> labels = split(domain, '.');
  if (isAllDigits(labels.back())) {
    return "domain name " + quoted(whole) + " is invalid: the top-level domain " +
           quoted(labels.back()) + " is numeric";
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i + 1 == labels.size() && labels[i].empty()) {
      return "";
    }
    if (!isIstioDnsLabel(labels[i])) {
      return "domain name " + quoted(whole) + " is invalid: label " + quoted(labels[i]) +
             " is not an RFC 1123 label (letters, digits and '-', at most 63 characters)";
    }
  }
  return "";
}

std::string validateWildcardDomainWithin(std::string_view whole, std::string_view domain) {
  if (std::string error = checkDomainLength(domain); !error.empty()) {
    return error;
  }
  size_t dot = domain.find('.');
  std::string_view first = domain.substr(0, dot);
  if (!isIstioWildcardLabel(first)) {
    return "domain name " + quoted(whole) + " is invalid: label " + quoted(first) +
           " is not an RFC 1123 label or a wildcard";
  }
  if (dot == std::string_view::npos) {
    return "";
  }
  return validateDnsLabels(whole, domain.substr(dot + 1));
}

// The host part of a Gateway server host or of a namespaced service reference.
std::string validateHostPart(std::string_view host, bool allow_ip) {
  if (host != "*" && host.find('.') == std::string_view::npos) {
    return "host " + quoted(host) + " is a short name; use a fully qualified domain name or \"*\"";
  }
  if (std::string error = validateWildcardDomain(host); !error.empty()) {
    if (!allow_ip || !parseIpAddress(host)) {
      return error;
    }
  }
  if (host.find('*') != std::string_view::npos && host.size() != 1 && !host.starts_with("*.")) {
    return "partial wildcard " + quoted(host) + " is not allowed; only a leading \"*.\" is";
  }
  return "";
}

}  // namespace

bool isDns1123Label(std::string_view value) {
  return value.size() <= 63 && isLabelShape(value, isLowerAlnum);
}

bool isDns1123Subdomain(std::string_view value) {
  if (value.empty() || value.size() > 253) {
    return false;
  }
  for (std::string_view label : split(value, '.')) {
    if (!isLabelShape(label, isLowerAlnum)) {
      return false;
    }
  }
  return true;
}

bool isIstioDnsLabel(std::string_view value) {
  return value.size() <= 63 && isLabelShape(value, isAlnum);
}

std::string validateWildcardDomain(std::string_view domain) {
  return validateWildcardDomainWithin(domain, domain);
}

std::string validateFqdn(std::string_view domain) {
  if (std::string error = checkDomainLength(domain); !error.empty()) {
    return error;
  }
  return validateDnsLabels(domain, domain);
}

std::string validateGatewayServerHost(std::string_view host) {
  size_t slash = host.find('/');
  if (slash == std::string_view::npos) {
    return validateHostPart(host, /*allow_ip=*/true);
  }
  std::string_view ns = host.substr(0, slash);
  std::string_view name = host.substr(slash + 1);
  if (ns.empty() || name.empty()) {
    return "host " + quoted(host) + " has an empty namespace or name; use \"namespace/host\"";
  }
  if (ns != "*" && ns != "." && !isIstioDnsLabel(ns)) {
    return "invalid namespace " + quoted(ns) + " in host " + quoted(host) +
           "; use \"*\", \".\" or a namespace name";
  }
  return validateHostPart(name, /*allow_ip=*/true);
}

std::string validateGatewayReference(std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    return validateFqdn(name);
  }
  std::string_view ns = name.substr(0, slash);
  std::string_view gateway = name.substr(slash + 1);
  if (ns.empty() || gateway.empty()) {
    return "gateway " + quoted(name) + " has an empty namespace or name";
  }
  if (!isIstioDnsLabel(ns)) {
    return "invalid namespace " + quoted(ns) + " in gateway " + quoted(name);
  }
  if (!isIstioDnsLabel(gateway)) {
    return "invalid gateway name " + quoted(gateway) + " in " + quoted(name);
  }
  return "";
}

std::string validateGatewayApiHostname(std::string_view hostname) {
  std::string_view rest = hostname;
  if (rest.starts_with("*.")) {
    rest.remove_prefix(2);
  }
  bool valid = !hostname.empty() && hostname.size() <= 253 && !rest.empty();
  if (valid) {
    for (std::string_view label : split(rest, '.')) {
      valid = valid && isLabelShape(label, isLowerAlnum);
    }
  }
  if (!valid) {
    return "invalid hostname " + quoted(hostname) +
           "; use lower-case RFC 1123 labels with an optional leading \"*.\"";
  }
  return "";
}

bool parseIpAddress(std::string_view value) {
  std::array<unsigned char, 16> buffer{};
  if (value.find(':') == std::string_view::npos) {
    std::string text(value);
    return inet_pton(AF_INET, text.c_str(), buffer.data()) == 1;
  }
  size_t percent = value.find('%');
  if (percent != std::string_view::npos) {
    if (percent + 1 == value.size()) {
      return false;  // "fe80::1%" has an empty zone
    }
    value = value.substr(0, percent);
  }
  std::string text(value);
  return inet_pton(AF_INET6, text.c_str(), buffer.data()) == 1;
}

bool parseCidr(std::string_view value) {
  size_t slash = value.rfind('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  std::string_view address = value.substr(0, slash);
  std::string_view bits = value.substr(slash + 1);
  if (address.find('%') != std::string_view::npos || !parseIpAddress(address)) {
    return false;
  }
  if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), isDigit)) {
    return false;
  }
  if (bits.size() > 1 && bits.front() == '0') {
    return false;
  }
  int length = std::stoi(std::string(bits));
  bool v6 = address.find(':') != std::string_view::npos;
  return length <= (v6 ? 128 : 32);
}

std::string validateIpOrCidr(std::string_view value) {
  if (value.find('/') != std::string_view::npos) {
    if (!parseCidr(value)) {
      return "bad CIDR range (" + std::string(value) + "); use an address and a prefix length " +
             "such as 10.0.0.0/16 or 2001:db8::/32";
    }
    return "";
  }
  if (!parseIpAddress(value)) {
    return "bad IP address (" + std::string(value) + "); use an IPv4 or IPv6 address or a CIDR " +
           "range";
  }
  return "";
}

std::optional<uint32_t> parsePortString(std::string_view value) {
  if (value.empty() || value.size() > 10 || !std::all_of(value.begin(), value.end(), isDigit)) {
    return std::nullopt;
  }
  uint64_t number = std::stoull(std::string(value));
  if (number > 65535) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(number);
}

std::optional<bool> parseGoBool(std::string_view value) {
  for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (value == yes) {
      return true;
    }
  }
  for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (value == no) {
      return false;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> parseGoDuration(std::string_view value) {
  // Follows the grammar of Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  bool negative = false;
  if (!value.empty() && (value.front() == '-' || value.front() == '+')) {
    negative = value.front() == '-';
    value.remove_prefix(1);
  }
  if (value == "0") {
    return 0;
  }
  if (value.empty()) {
    return std::nullopt;
  }
  uint64_t total = 0;
  while (!value.empty()) {
    if (value.front() != '.' && !isDigit(value.front())) {
      return std::nullopt;
    }
    uint64_t whole = 0;
    size_t digits = 0;
    while (digits < value.size() && isDigit(value[digits])) {
      if (whole > (kLimit - 1) / 10) {
        return std::nullopt;  // overflow
      }
      whole = whole * 10 + static_cast<uint64_t>(value[digits] - '0');
      if (whole > kLimit) {
        return std::nullopt;
      }
      ++digits;
    }
    value.remove_prefix(digits);
    bool has_fraction_digits = false;
    long double fraction = 0;
    long double scale = 1;
    if (!value.empty() && value.front() == '.') {
      value.remove_prefix(1);
      while (!value.empty() && isDigit(value.front())) {
        has_fraction_digits = true;
        if (scale < 1e18L) {
          fraction = fraction * 10 + (value.front() - '0');
          scale *= 10;
        }
        value.remove_prefix(1);
      }
    }
    if (digits == 0 && !has_fraction_digits) {
      return std::nullopt;  // "." or ".s"
    }
    size_t unit_length = 0;
    while (unit_length < value.size() && value[unit_length] != '.' &&
           !isDigit(value[unit_length])) {
      ++unit_length;
    }
    std::string_view unit = value.substr(0, unit_length);
    value.remove_prefix(unit_length);
    uint64_t unit_ns = 0;
    if (unit == "ns") {
      unit_ns = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      unit_ns = 1000;
    } else if (unit == "ms") {
      unit_ns = 1000000;
    } else if (unit == "s") {
      unit_ns = 1000000000;
    } else if (unit == "m") {
      unit_ns = 60ULL * 1000000000;
    } else if (unit == "h") {
      unit_ns = 3600ULL * 1000000000;
    } else {
      return std::nullopt;  // missing or unknown unit
    }
    if (whole > kLimit / unit_ns) {
      return std::nullopt;
    }
    uint64_t part = whole * unit_ns;
    if (fraction > 0) {
      part += static_cast<uint64_t>(fraction * (static_cast<long double>(unit_ns) / scale));
    }
    if (part > kLimit || total > kLimit - part) {
      return std::nullopt;
    }
    total += part;
  }
  if (negative) {
    return total == kLimit ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(total);
  }
  if (total >= kLimit) {
    return std::nullopt;
  }
  return static_cast<int64_t>(total);
}

std::optional<int64_t> parseGatewayApiDuration(std::string_view value) {
  int64_t total = 0;
  int groups = 0;
  while (!value.empty()) {
    if (++groups > 4) {
      return std::nullopt;
    }
    size_t digits = 0;
    while (digits < value.size() && isDigit(value[digits])) {
      ++digits;
    }
    if (digits == 0 || digits > 5) {
      return std::nullopt;
    }
    int64_t number = std::stoll(std::string(value.substr(0, digits)));
    value.remove_prefix(digits);
    int64_t unit_ns = 0;
    if (value.starts_with("ms")) {
      unit_ns = 1000000;
      value.remove_prefix(2);
    } else if (value.starts_with("h")) {
      unit_ns = 3600LL * 1000000000;
      value.remove_prefix(1);
    } else if (value.starts_with("m")) {
      unit_ns = 60LL * 1000000000;
      value.remove_prefix(1);
    } else if (value.starts_with("s")) {
      unit_ns = 1000000000;
      value.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    total += number * unit_ns;
  }
  if (groups == 0) {
    return std::nullopt;
  }
  return total;
}

bool isHttpToken(std::string_view value) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !value.empty() && std::all_of(value.begin(), value.end(), [&](char c) {
    return isAlnum(c) || kSymbols.find(c) != std::string_view::npos;
  });
}

bool isStrictHeaderName(std::string_view value) {
  return !value.empty() &&
         std::all_of(value.begin(), value.end(), [](char c) { return isAlnum(c) || c == '-'; });
}

std::string validateRegex(std::string_view regex) {
  if (regex.empty()) {
    return "regex must not be empty";
  }
  // Istio rejects longer expressions because Envoy limits the compiled RE2 program size.
  if (regex.size() > 1024) {
    return "regex is too long (" + std::to_string(regex.size()) +
           " characters); at most 1024 are allowed";
  }
  // NOTE: Envoy matches with RE2 and Istio checks the syntax with Go's regexp (also RE2 syntax).
  // std::regex ECMAScript is used here as the checker. The two differ in corners: RE2 has no
  // backreferences or lookaround, and ECMAScript has no (?i) flags, \A, \z or [[:alpha:]] inside
  // brackets, so some expressions pass here and fail in Envoy, or the reverse.
  try {
    std::regex compiled(regex.begin(), regex.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return "invalid regular expression " + quoted(regex) + ": " + error.what();
  }
  return "";
}

std::string validatePathTemplate(std::string_view path) {
  if (path.find("{*}") == std::string_view::npos && path.find("{**}") == std::string_view::npos) {
    return "";
  }
  // Templates may only use {*} and {**} as whole segments; named variables ({name},
  // {name=*}), empty braces and bare "*" or "**" segments are not supported.
  static const std::regex kUnsupported(R"(/\{\w+=\*\*?\}|\{\w*\}|/\*\*?|\*\*?/)");
  std::string text(path);
  if (std::regex_search(text, kUnsupported)) {
    return "invalid or unsupported path template " + quoted(path) +
           "; use {*} for one segment and {**} for any number of segments";
  }
  return "";
}

namespace {

// "[a][b]..." with one or more non-empty groups and nothing between them.
bool isBracketGroups(std::string_view value) {
  if (value.empty()) {
    return false;
  }
  while (!value.empty()) {
    if (value.front() != '[') {
      return false;
    }
    size_t close = value.find(']');
    if (close == std::string_view::npos || close == 1) {
      return false;
    }
    if (value.substr(1, close - 1).find('[') != std::string_view::npos) {
      return false;
    }
    value.remove_prefix(close + 1);
  }
  return true;
}

bool isSingleBracketGroup(std::string_view value) {
  return isBracketGroups(value) && value.find(']') + 1 == value.size();
}

constexpr std::string_view kAcceptedConditionKeys =
    "request.headers[<name>], source.ip, remote.ip, source.namespace, source.principal, "
    "source.serviceAccount, source.trustDomain, request.auth.principal, "
    "request.auth.audiences, request.auth.presenter, request.auth.claims[<name>]([<name>]...), "
    "destination.ip, destination.port, connection.sni, experimental.envoy.filters.<filter>[<key>]";

}  // namespace

std::string validateConditionKey(std::string_view key, ConditionValues& values) {
  values = ConditionValues::Any;
  constexpr std::string_view kHeaders = "request.headers";
  constexpr std::string_view kClaims = "request.auth.claims";
  constexpr std::string_view kExperimental = "experimental.envoy.filters.";

  if (key == "source.ip" || key == "remote.ip" || key == "destination.ip") {
    values = ConditionValues::IpBlocks;
    return "";
  }
  if (key == "destination.port") {
    values = ConditionValues::Ports;
    return "";
  }
  for (std::string_view plain :
       {"source.namespace", "source.principal", "source.serviceAccount", "source.trustDomain",
        "request.auth.principal", "request.auth.audiences", "request.auth.presenter",
        "connection.sni"}) {
    if (key == plain) {
      return "";
    }
  }

  // Keys with a name in brackets.
  if (key.starts_with(kHeaders) && key.size() > kHeaders.size() && key[kHeaders.size()] == '[') {
    if (isSingleBracketGroup(key.substr(kHeaders.size()))) {
      return "";
    }
    return "bad key " + quoted(key) + ": use request.headers[<header name>]";
  }
  if (key.starts_with(kClaims) && key.size() > kClaims.size() && key[kClaims.size()] == '[') {
    if (isBracketGroups(key.substr(kClaims.size()))) {
      return "";
    }
    return "bad key " + quoted(key) + ": use request.auth.claims[<claim>], with one more " +
           "[<claim>] for each level of a nested claim";
  }
  if (key.starts_with(kExperimental)) {
    size_t open = key.find('[');
    if (open != std::string_view::npos && open > kExperimental.size() && key.ends_with("]") &&
        open + 2 < key.size()) {
      return "";
    }
    return "bad key " + quoted(key) + ": use experimental.envoy.filters.<filter>[<key>]";
  }

  // Keys of older API versions.
  if (key == "destination.namespace") {
    return "attribute destination.namespace is replaced by metadata.namespace";
  }
  if (key.starts_with("destination.labels")) {
    return "attribute " + std::string(key) + " is replaced by the workload selector";
  }
  if (key == "destination.name" || key == "destination.user") {
    return "attribute " + std::string(key) + " is deprecated and only supported in v1alpha1";
  }
  return "unknown attribute " + quoted(key) +
         "; accepted keys: " + std::string(kAcceptedConditionKeys);
}

namespace {

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63 characters.
bool isQualifiedNamePart(std::string_view value) {
  if (value.empty() || value.size() > 63) {
    return false;
  }
  if (!isAlnum(value.front()) || !isAlnum(value.back())) {
    return false;
  }
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

}  // namespace

std::string validateLabelKey(std::string_view key) {
  std::string_view name = key;
  size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!isDns1123Subdomain(prefix)) {
      return "invalid label key " + quoted(key) +
             ": the prefix must be a lower-case DNS subdomain such as example.com";
    }
  }
  if (!isQualifiedNamePart(name)) {
    return "invalid label key " + quoted(key) +
           ": the name must be 1-63 characters of letters, digits, '-', '_' or '.', starting "
           "and ending with a letter or digit";
  }
  return "";
}

std::string validateLabelValue(std::string_view value) {
  if (value.empty() || isQualifiedNamePart(value)) {
    return "";
  }
  return "invalid label value " + quoted(value) +
         ": use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter "
         "or digit";
}

namespace {

std::string validateJwk(const boost::json::value& key, const std::string& where,
                        bool* has_private_key) {
  const boost::json::object* object = key.if_object();
  if (object == nullptr) {
    return where + " is not a JSON object";
  }
  for (std::string_view member : {"d", "p", "q"}) {
    if (object->contains(member)) {
      *has_private_key = true;
    }
  }
  const boost::json::value* kty = object->if_contains("kty");
  if (kty == nullptr || !kty->is_string()) {
    return where + " has no \"kty\" string";
  }
  std::string_view type = kty->get_string();
  if (type != "RSA" && type != "EC" && type != "oct" && type != "OKP") {
    return where + " has unsupported \"kty\" " + quoted(type) + "; use RSA, EC, oct or OKP";
  }
  return "";
}

}  // namespace

std::string validateJwks(std::string_view jwks, bool* has_private_key) {
  *has_private_key = false;
  boost::system::error_code error;
  boost::json::value document = boost::json::parse(jwks, error);
  if (error) {
    return "jwks is not valid JSON: " + error.message();
  }
  const boost::json::object* object = document.if_object();
  if (object == nullptr) {
    return "jwks must be a JSON object with a \"keys\" array";
  }
  const boost::json::value* keys = object->if_contains("keys");
  if (keys == nullptr) {
    return validateJwk(document, "jwks", has_private_key);
  }
  const boost::json::array* list = keys->if_array();
  if (list == nullptr) {
    return "jwks \"keys\" must be an array";
  }
  for (size_t i = 0; i < list->size(); ++i) {
    std::string problem = validateJwk((*list)[i], "jwks key " + std::to_string(i), has_private_key);
    if (!problem.empty()) {
      return problem;
    }
  }
  return "";
}

std::string validateJwksUri(std::string_view uri) {
  for (char c : uri) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ') {
      return "jwksUri " + quoted(uri) + " contains a space or control character";
    }
  }
  size_t colon = uri.find(':');
  std::string scheme(uri.substr(0, colon == std::string_view::npos ? 0 : colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return "jwksUri " + quoted(uri) + " has scheme " + quoted(scheme) + "; use http or https";
  }
  // Istio stops at the scheme check; an absolute URL also needs a host, or no fetch can work.
  std::string_view rest = uri.substr(colon + 1);
  if (!rest.starts_with("//") || rest.size() == 2 || rest[2] == '/') {
    return "jwksUri " + quoted(uri) + " has no host; use http(s)://host/path";
  }
  return "";
}

std::string validateProviderService(std::string_view service) {
  if (service.empty()) {
    return "service must not be empty";
  }
  size_t slash = service.find('/');
  if (slash == std::string_view::npos) {
    if (validateFqdn(service).empty() || parseIpAddress(service)) {
      return "";
    }
    return "invalid service " + quoted(service) +
           "; use a host name, \"namespace/host name\" or an IP address";
  }
  std::string_view ns = service.substr(0, slash);
  std::string_view host = service.substr(slash + 1);
  if (ns.empty() || host.empty()) {
    return "service " + quoted(service) + " has an empty namespace or host";
  }
  if (ns != "*" && ns != "." && ns != "~" && !isIstioDnsLabel(ns)) {
    return "invalid namespace " + quoted(ns) + " in service " + quoted(service);
  }
  return validateHostPart(host, /*allow_ip=*/false);
}

bool isEnvoyStatusCode(int64_t code) {
  static constexpr std::array<int, 56> kCodes = {
      100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
      400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421,
      422, 423, 424, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

}  // namespace portcullis::config::internal
