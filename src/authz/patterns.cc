#include "authz/patterns.h"

#include <charconv>
#include <cstring>

namespace portcullis::authz {
namespace {

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = lowerAscii(c);
  }
  return out;
}

// RFC 3986 pchar without percent-decoding: unreserved, '%', sub-delims except '*', ':' and '@'.
// Envoy's URI template operators match exactly this set; '*' is left out because it is the
// operator character.
bool isTemplateChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return c != '\0' && std::strchr("-._~%!$&'()+,;:@=", c) != nullptr;
}

constexpr std::string_view kOneSegment = "{*}";
constexpr std::string_view kAnySegments = "{**}";

}  // namespace

// ---------------------------------------------------------------------------------------------
// StringPattern

StringPattern StringPattern::parse(std::string_view value, Wildcard wildcard, bool ignore_case) {
  std::string text = ignore_case ? lowerAscii(value) : std::string(value);
  if (value == "*") {
    Kind kind = wildcard == Wildcard::Present ? Kind::Present : Kind::NonEmpty;
    return StringPattern(kind, "", ignore_case);
  }
  if (value.starts_with('*')) {
    return StringPattern(Kind::Suffix, text.substr(1), ignore_case);
  }
  if (value.ends_with('*')) {
    text.pop_back();
    return StringPattern(Kind::Prefix, std::move(text), ignore_case);
  }
  return StringPattern(Kind::Exact, std::move(text), ignore_case);
}

StringPattern StringPattern::exact(std::string_view text) {
  return StringPattern(Kind::Exact, std::string(text), false);
}

StringPattern StringPattern::prefix(std::string_view text) {
  return StringPattern(Kind::Prefix, std::string(text), false);
}

StringPattern StringPattern::suffix(std::string_view text) {
  return StringPattern(Kind::Suffix, std::string(text), false);
}

StringPattern StringPattern::nonEmpty() {
  return StringPattern(Kind::NonEmpty, "", false);
}

StringPattern StringPattern::glob(std::string_view value) {
  return StringPattern(Kind::Glob, std::string(value), false);
}

namespace {

// Whether `text` matches `pattern`, where each '*' of the pattern matches any run of
// characters. Greedy with one backtrack point: at most text size times pattern size steps.
bool globMatches(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

}  // namespace

bool StringPattern::equalChars(std::string_view a, std::string_view b) const {
  if (a.size() != b.size()) {
    return false;
  }
  if (!ignore_case_) {
    return a == b;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != b[i]) {
      return false;
    }
  }
  return true;
}

bool StringPattern::matches(std::string_view text) const {
  switch (kind_) {
    case Kind::Exact:
      return equalChars(text, text_);
    case Kind::Prefix:
      return text.size() >= text_.size() && equalChars(text.substr(0, text_.size()), text_);
    case Kind::Suffix:
      return text.size() >= text_.size() &&
             equalChars(text.substr(text.size() - text_.size()), text_);
    case Kind::Present:
      return true;
    case Kind::NonEmpty:
      return !text.empty();
    case Kind::Glob:
      return globMatches(text_, text);
  }
  return false;
}

bool StringPattern::matchesJoined(std::span<const std::string_view> pieces) const {
  if (pieces.size() == 1) {
    return matches(pieces[0]);
  }
  if (kind_ == Kind::Present || kind_ == Kind::NonEmpty) {
    // Two or more lines join to at least ",", which is never empty.
    return !pieces.empty();
  }
  if (kind_ == Kind::Glob) {
    std::string joined;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (i > 0) {
        joined += ',';
      }
      joined += pieces[i];
    }
    return globMatches(text_, joined);
  }
  size_t total = pieces.empty() ? 0 : pieces.size() - 1;
  for (std::string_view piece : pieces) {
    total += piece.size();
  }
  if (total < text_.size() || (kind_ == Kind::Exact && total != text_.size())) {
    return false;
  }

  // Compare the pattern against the joined value, starting at `start` in the joined value.
  size_t start = kind_ == Kind::Suffix ? total - text_.size() : 0;
  size_t position = 0;  // offset of the current piece in the joined value
  size_t compared = 0;  // pattern characters compared so far
  for (size_t i = 0; i < pieces.size() && compared < text_.size(); ++i) {
    std::string_view piece = pieces[i];
    if (i > 0) {
      // The ',' separator sits at `position`, then the piece follows it.
      if (position >= start) {
        if (text_[compared] != ',') {
          return false;
        }
        ++compared;
      }
      ++position;
    }
    size_t piece_end = position + piece.size();
    if (piece_end > start && compared < text_.size()) {
      size_t from = start > position ? start - position : 0;
      size_t count = std::min(piece.size() - from, text_.size() - compared);
      if (!equalChars(piece.substr(from, count), std::string_view(text_).substr(compared, count))) {
        return false;
      }
      compared += count;
    }
    position = piece_end;
  }
  return compared == text_.size();
}

// ---------------------------------------------------------------------------------------------
// PathTemplate

bool PathTemplate::isTemplate(std::string_view value) {
  return value.find(kOneSegment) != std::string_view::npos ||
         value.find(kAnySegments) != std::string_view::npos;
}

std::optional<PathTemplate> PathTemplate::parse(std::string_view value) {
  if (!value.starts_with('/')) {
    return std::nullopt;
  }
  PathTemplate result;
  bool seen_any_segments = false;
  std::string literal;
  auto flush_literal = [&] {
    if (!literal.empty()) {
      result.tokens_.push_back({Token::Kind::Literal, std::move(literal)});
      literal.clear();
    }
  };
  size_t i = 0;
  while (i < value.size()) {
    std::string_view rest = value.substr(i);
    if (rest.starts_with(kAnySegments) || rest.starts_with(kOneSegment)) {
      // Envoy rejects any operator after a `**` text glob.
      if (seen_any_segments) {
        return std::nullopt;
      }
      flush_literal();
      bool any = rest.starts_with(kAnySegments);
      seen_any_segments = any;
      result.tokens_.push_back({any ? Token::Kind::AnySegments : Token::Kind::OneSegment, ""});
      i += any ? kAnySegments.size() : kOneSegment.size();
      continue;
    }
    char c = value[i];
    if (c != '/' && !isTemplateChar(c)) {
      return std::nullopt;
    }
    if (c == '/' && !literal.empty() && literal.back() == '/') {
      return std::nullopt;  // Envoy rejects an empty segment in a template.
    }
    literal.push_back(c);
    ++i;
  }
  flush_literal();
  return result;
}

bool PathTemplate::matches(std::string_view path) const {
  return matchFrom(0, path);
}

bool PathTemplate::matchFrom(size_t token_index, std::string_view rest) const {
  if (token_index == tokens_.size()) {
    return rest.empty();
  }
  const Token& token = tokens_[token_index];
  if (token.kind == Token::Kind::Literal) {
    return rest.starts_with(token.literal) &&
           matchFrom(token_index + 1, rest.substr(token.literal.size()));
  }
  // An operator consumes a run of allowed characters; try every length, longest first.
  bool one_segment = token.kind == Token::Kind::OneSegment;
  auto allowed = [one_segment](char c) {
    return isTemplateChar(c) || (!one_segment && c == '/');
  };
  size_t run = 0;
  while (run < rest.size() && allowed(rest[run])) {
    ++run;
  }
  size_t min_length = one_segment ? 1 : 0;
  for (size_t length = run + 1; length-- > min_length;) {
    if (matchFrom(token_index + 1, rest.substr(length))) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// CidrRange

std::optional<CidrRange> CidrRange::parse(std::string_view value) {
  std::string_view address_text = value;
  std::optional<unsigned> prefix_length;
  if (size_t slash = value.find('/'); slash != std::string_view::npos) {
    address_text = value.substr(0, slash);
    std::string_view digits = value.substr(slash + 1);
    // Go's netip.ParsePrefix, which Istio uses, rejects signs and leading zeros.
    if (digits.empty() || digits.size() > 3 || (digits.size() > 1 && digits[0] == '0')) {
      return std::nullopt;
    }
    unsigned parsed = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (error != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    prefix_length = parsed;
  }
  if (address_text.find('%') != std::string_view::npos) {
    return std::nullopt;  // a zone index has no meaning in a policy
  }
  boost::system::error_code error;
  boost::asio::ip::address address = boost::asio::ip::make_address(address_text, error);
  if (error) {
    return std::nullopt;
  }

  CidrRange range;
  range.v6_ = address.is_v6();
  unsigned max_length = range.v6_ ? 128 : 32;
  range.prefix_length_ = prefix_length.value_or(max_length);
  if (range.prefix_length_ > max_length) {
    return std::nullopt;
  }
  if (range.v6_) {
    range.bytes_ = address.to_v6().to_bytes();
  } else {
    auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), range.bytes_.begin());
  }
  return range;
}

bool CidrRange::contains(const boost::asio::ip::address& address) const {
  std::array<uint8_t, 16> bytes{};
  bool v6 = address.is_v6();
  if (v6 && address.to_v6().is_v4_mapped()) {
    v6 = false;
    auto mapped = address.to_v6().to_bytes();
    std::copy(mapped.begin() + 12, mapped.end(), bytes.begin());
  } else if (v6) {
    bytes = address.to_v6().to_bytes();
  } else {
    auto v4 = address.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), bytes.begin());
  }
  if (v6 != v6_) {
    return false;
  }
  unsigned full_bytes = prefix_length_ / 8;
  for (unsigned i = 0; i < full_bytes; ++i) {
    if (bytes[i] != bytes_[i]) {
      return false;
    }
  }
  unsigned rest_bits = prefix_length_ % 8;
  if (rest_bits == 0) {
    return true;
  }
  auto mask = static_cast<uint8_t>(0xff << (8 - rest_bits));
  return (bytes[full_bytes] & mask) == (bytes_[full_bytes] & mask);
}

// ---------------------------------------------------------------------------------------------
// Ports and principals

std::optional<uint16_t> parsePort(std::string_view value) {
  if (value.empty()) {
    return std::nullopt;
  }
  uint64_t parsed = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (error != std::errc() || end != value.data() + value.size() || parsed > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(parsed);
}

PrincipalPattern PrincipalPattern::parse(std::string_view value) {
  // Istio compiles each form into one matcher on the `iss` claim and one on `sub`.
  size_t slash = value.rfind('/');
  bool has_slash = slash != std::string_view::npos;
  std::string_view iss = has_slash ? value.substr(0, slash) : value;
  std::string_view sub = has_slash ? value.substr(slash + 1) : std::string_view();

  PrincipalPattern pattern;
  if (value == "*") {
    return pattern;
  }
  if (value.starts_with('*')) {
    if (!has_slash) {
      pattern.subject = StringPattern::suffix(value.substr(1));
      return pattern;
    }
    if (iss != "*") {
      pattern.issuer = StringPattern::suffix(iss.substr(1));
    }
    pattern.subject = StringPattern::exact(sub);
    return pattern;
  }
  if (value.ends_with('*')) {
    if (!has_slash) {
      pattern.issuer = StringPattern::prefix(value.substr(0, value.size() - 1));
      return pattern;
    }
    pattern.issuer = StringPattern::exact(iss);
    if (sub != "*") {
      pattern.subject = StringPattern::prefix(sub.substr(0, sub.size() - 1));
    }
    return pattern;
  }
  pattern.issuer = StringPattern::exact(iss);
  pattern.subject = StringPattern::exact(sub);
  return pattern;
}

bool PrincipalPattern::matches(std::string_view iss, std::string_view sub) const {
  return issuer.matches(iss) && subject.matches(sub);
}

}  // namespace portcullis::authz
