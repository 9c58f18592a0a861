// Value patterns of AuthorizationPolicy fields, compiled once per configuration snapshot so
// that matching a request only compares bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace portcullis::authz {

// One string value of a policy: "abc" exact, "abc*" prefix, "*abc" suffix, "*" wildcard. A
// leading `*` is tested before a trailing one, and a `*` anywhere else is a literal character.
class StringPattern {
 public:
  enum class Kind { Exact, Prefix, Suffix, Present, NonEmpty, Glob };

  // Compiled form of a lone "*". Istio turns it into a header presence check for hosts, methods
  // and request.headers, where an empty header still matches. Every other field gets the regex
  // ".+", which needs a non-empty value.
  enum class Wildcard { Present, NonEmpty };

  static StringPattern parse(std::string_view value, Wildcard wildcard, bool ignore_case = false);
  static StringPattern exact(std::string_view text);
  static StringPattern prefix(std::string_view text);
  static StringPattern suffix(std::string_view text);
  static StringPattern nonEmpty();
  // Every '*' of `value` matches any run of characters, as istiod compiles `namespaces` values
  // into the regex ".*/ns/<value>/.*" with each '*' turned into ".*".
  static StringPattern glob(std::string_view value);

  bool matches(std::string_view text) const;

  // Matches the value that `pieces` form when joined with ',' (Envoy joins repeated header
  // lines this way before matching), without building that string.
  bool matchesJoined(std::span<const std::string_view> pieces) const;

  Kind kind() const { return kind_; }
  const std::string& text() const { return text_; }

 private:
  StringPattern(Kind kind, std::string text, bool ignore_case)
      : kind_(kind), text_(std::move(text)), ignore_case_(ignore_case) {}

  bool equalChars(std::string_view a, std::string_view b) const;

  Kind kind_;
  std::string text_;  // lower-cased when ignore_case_ is set
  bool ignore_case_;
};

// A `paths` value with `{*}` (one non-empty segment) or `{**}` (any text, slashes included,
// possibly empty) operators, matched like Envoy's URI templates: an operator only matches RFC
// 3986 pchar characters other than `*`, and literal text must match exactly.
class PathTemplate {
 public:
  static bool isTemplate(std::string_view value);

  // Returns nullopt for a template that Istio or Envoy would reject: no leading '/', an empty
  // segment, an operator after `{**}`, or a literal character outside that set, such as a bare
  // `*` or a brace that is not part of an operator.
  static std::optional<PathTemplate> parse(std::string_view value);

  bool matches(std::string_view path) const;

 private:
  struct Token {
    enum class Kind { Literal, OneSegment, AnySegments };
    Kind kind;
    std::string literal;
  };

  bool matchFrom(size_t token_index, std::string_view rest) const;

  std::vector<Token> tokens_;
};

// An IPv4 or IPv6 address range: "10.0.0.0/8", "2001:db8::/32", or a single address.
class CidrRange {
 public:
  // Returns nullopt for text that is neither an address nor an address with a prefix length
  // in range. Host bits below the prefix are ignored, as Envoy masks them.
  static std::optional<CidrRange> parse(std::string_view value);

  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as the IPv4 address it carries.
  bool contains(const boost::asio::ip::address& address) const;

 private:
  bool v6_ = false;
  std::array<uint8_t, 16> bytes_{};
  unsigned prefix_length_ = 0;
};

// Parses a decimal port 0-65535 ("080" is 80, as Go's strconv.ParseUint reads it).
std::optional<uint16_t> parsePort(std::string_view value);

// A `requestPrincipals` value split at its last '/' into issuer and subject patterns.
struct PrincipalPattern {
  StringPattern issuer = StringPattern::nonEmpty();
  StringPattern subject = StringPattern::nonEmpty();

  static PrincipalPattern parse(std::string_view value);
  bool matches(std::string_view iss, std::string_view sub) const;
};

}  // namespace portcullis::authz
