#include "httpbin/text.h"

#include <cstddef>
#include <cstdint>

namespace portcullis::httpbin {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool isAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char toAsciiUpper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

char toAsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Returns the length of the valid UTF-8 sequence that starts at `bytes[pos]`, or 0 when it is
// invalid. In that case `*invalid_length` is set to the length of the maximal subpart to replace
// (Unicode 15, section 3.9, "U+FFFD Substitution of Maximal Subparts").
std::size_t utf8SequenceLength(std::string_view bytes, std::size_t pos,
                               std::size_t* invalid_length) {
  const auto lead = static_cast<unsigned char>(bytes[pos]);
  *invalid_length = 1;
  if (lead < 0x80) {
    return 1;
  }

  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) {
      second_min = 0xA0;  // Rejects overlong forms.
    } else if (lead == 0xED) {
      second_max = 0x9F;  // Rejects UTF-16 surrogates.
    }
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) {
      second_min = 0x90;  // Rejects overlong forms.
    } else if (lead == 0xF4) {
      second_max = 0x8F;  // Rejects code points above U+10FFFF.
    }
  } else {
    return 0;
  }

  for (std::size_t i = 1; i < length; ++i) {
    if (pos + i >= bytes.size()) {
      return 0;
    }
    const auto byte = static_cast<unsigned char>(bytes[pos + i]);
    const unsigned char min = i == 1 ? second_min : 0x80;
    const unsigned char max = i == 1 ? second_max : 0xBF;
    if (byte < min || byte > max) {
      return 0;
    }
    *invalid_length = i + 1;
  }
  return length;
}

// Werkzeug's "always safe" URL bytes: RFC 3986 unreserved characters and the sub-delimiters
// other than "&" and "=".
bool isAlwaysSafeUrlByte(unsigned char byte) {
  constexpr std::string_view kSafeSymbols = "-._~$!'()*+,;";
  return (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') ||
         (byte >= 'A' && byte <= 'Z') ||
         (byte != 0 && kSafeSymbols.find(static_cast<char>(byte)) != std::string_view::npos);
}

void appendEscaped(std::string& out, unsigned char byte) {
  constexpr std::string_view kHexDigits = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kHexDigits[byte >> 4]);
  out.push_back(kHexDigits[byte & 0x0F]);
}

// Decodes the %XX escapes whose byte is always safe or non-ASCII, keeping the others as written,
// then escapes the bytes of each invalid UTF-8 subsequence, as Werkzeug 2.2's uri_to_iri does
// for one URL component.
std::string uriToIri(std::string_view uri) {
  std::string bytes;
  bytes.reserve(uri.size());
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      const int high = hexValue(uri[i + 1]);
      const int low = hexValue(uri[i + 2]);
      if (high >= 0 && low >= 0) {
        const auto byte = static_cast<unsigned char>(high * 16 + low);
        if (byte >= 0x80 || isAlwaysSafeUrlByte(byte)) {
          bytes.push_back(static_cast<char>(byte));
          i += 2;
          continue;
        }
      }
    }
    bytes.push_back(uri[i]);
  }

  std::string iri;
  iri.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t invalid_length = 0;
    const std::size_t length = utf8SequenceLength(bytes, pos, &invalid_length);
    if (length == 0) {
      for (std::size_t i = 0; i < invalid_length; ++i) {
        appendEscaped(iri, static_cast<unsigned char>(bytes[pos + i]));
      }
      pos += invalid_length;
    } else {
      iri.append(bytes, pos, length);
      pos += length;
    }
  }
  return iri;
}

}  // namespace

std::string iriPath(std::string_view raw_path) {
  // Escaping everything but safe and non-ASCII bytes, then decoding the escapes of safe and
  // non-ASCII bytes, leaves safe and non-ASCII bytes as they are.
  const std::string decoded = repairUtf8(percentDecode(raw_path, false));
  std::string path;
  path.reserve(decoded.size());
  for (const char c : decoded) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || byte == '/' || byte == ':' || isAlwaysSafeUrlByte(byte)) {
      path.push_back(c);
    } else {
      appendEscaped(path, byte);
    }
  }
  return path;
}

std::string iriQuery(std::string_view raw_query) {
  constexpr std::string_view kQuerySafe = ":&%=+$!*'(),";
  std::string quoted;
  quoted.reserve(raw_query.size());
  for (const char c : raw_query) {
    const auto byte = static_cast<unsigned char>(c);
    if (isAlwaysSafeUrlByte(byte) || (byte != 0 && kQuerySafe.find(c) != std::string_view::npos)) {
      quoted.push_back(c);
    } else {
      appendEscaped(quoted, byte);
    }
  }
  return uriToIri(quoted);
}

std::string percentDecode(std::string_view text, bool plus_as_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_as_space) {
      decoded.push_back(' ');
      continue;
    }
    if (c == '%' && i + 2 < text.size()) {
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    decoded.push_back(c);
  }
  return decoded;
}

bool isValidUtf8(std::string_view bytes) {
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    std::size_t invalid_length = 0;
    const std::size_t length = utf8SequenceLength(bytes, pos, &invalid_length);
    if (length == 0) {
      return false;
    }
    pos += length;
  }
  return true;
}

std::string repairUtf8(std::string_view bytes) {
  std::string repaired;
  repaired.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t invalid_length = 0;
    const std::size_t length = utf8SequenceLength(bytes, pos, &invalid_length);
    if (length == 0) {
      repaired.append(kReplacementCharacter);
      pos += invalid_length;
    } else {
      repaired.append(bytes.substr(pos, length));
      pos += length;
    }
  }
  return repaired;
}

std::string latin1ToUtf8(std::string_view bytes) {
  std::string converted;
  converted.reserve(bytes.size());
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      converted.push_back(c);
    } else {
      converted.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      converted.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  return converted;
}

std::string base64Encode(std::string_view bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
    encoded.push_back(kAlphabet[(group >> 18) & 0x3F]);
    encoded.push_back(kAlphabet[(group >> 12) & 0x3F]);
    encoded.push_back(kAlphabet[(group >> 6) & 0x3F]);
    encoded.push_back(kAlphabet[group & 0x3F]);
  }

  const std::size_t remaining = bytes.size() - i;
  if (remaining == 1) {
    const std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    encoded.push_back(kAlphabet[(group >> 18) & 0x3F]);
    encoded.push_back(kAlphabet[(group >> 12) & 0x3F]);
    encoded.append("==");
  } else if (remaining == 2) {
    const std::uint32_t group = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8);
    encoded.push_back(kAlphabet[(group >> 18) & 0x3F]);
    encoded.push_back(kAlphabet[(group >> 12) & 0x3F]);
    encoded.push_back(kAlphabet[(group >> 6) & 0x3F]);
    encoded.push_back('=');
  }
  return encoded;
}

std::string titleCaseHeaderName(std::string_view name) {
  std::string title;
  title.reserve(name.size());
  bool after_letter = false;
  for (const char c : name) {
    if (c == '_') {
      title.push_back('-');
      after_letter = false;
      continue;
    }
    if (isAsciiLetter(c)) {
      title.push_back(after_letter ? toAsciiLower(c) : toAsciiUpper(c));
      after_letter = true;
      continue;
    }
    title.push_back(c);
    after_letter = false;
  }
  return title;
}

std::string_view trimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace portcullis::httpbin
