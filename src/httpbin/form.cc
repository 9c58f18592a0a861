#include "httpbin/form.h"

#include <cstddef>

#include <boost/beast/core/string.hpp>

#include "httpbin/text.h"

namespace portcullis::httpbin {
namespace {

constexpr std::string_view kCrlf = "\r\n";

// Splits `text` at the first `separator`; the separator goes to neither part.
std::pair<std::string_view, std::string_view> splitOnce(std::string_view text, char separator) {
  const std::size_t pos = text.find(separator);
  if (pos == std::string_view::npos) {
    return {text, {}};
  }
  return {text.substr(0, pos), text.substr(pos + 1)};
}

// Reads one parameter value at the start of `text`: a quoted string with backslash escapes, or
// a token that ends at ";". Advances `text` past the value.
std::string readParameterValue(std::string_view& text) {
  std::string value;
  if (text.empty() || text.front() != '"') {
    const std::size_t end = text.find(';');
    value = std::string(trimWhitespace(text.substr(0, end)));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
    return value;
  }

  std::size_t pos = 1;
  while (pos < text.size() && text[pos] != '"') {
    if (text[pos] == '\\' && pos + 1 < text.size()) {
      ++pos;
    }
    value.push_back(text[pos]);
    ++pos;
  }
  text = pos < text.size() ? text.substr(pos + 1) : std::string_view{};
  return value;
}

struct PartHeaders {
  std::optional<std::string> name;
  bool has_filename = false;
  std::string content_type;
};

PartHeaders parsePartHeaders(std::string_view block) {
  PartHeaders headers;
  while (!block.empty()) {
    const std::size_t end = block.find(kCrlf);
    const std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view{} : block.substr(end + kCrlf.size());

    const auto [field_name, field_value] = splitOnce(line, ':');
    const std::string_view value = trimWhitespace(field_value);
    if (boost::beast::iequals(trimWhitespace(field_name), "Content-Disposition")) {
      headers.name = headerParameter(value, "name");
      headers.has_filename = headerParameter(value, "filename").has_value() ||
                             headerParameter(value, "filename*").has_value();
    } else if (boost::beast::iequals(trimWhitespace(field_name), "Content-Type")) {
      headers.content_type = std::string(value);
    }
  }
  return headers;
}

}  // namespace

FieldList parseUrlEncoded(std::string_view text) {
  FieldList fields;
  while (!text.empty()) {
    const auto [pair, rest] = splitOnce(text, '&');
    text = rest;
    if (pair.empty()) {
      continue;
    }
    const auto [name, value] = splitOnce(pair, '=');
    fields.emplace_back(repairUtf8(percentDecode(name, true)),
                        repairUtf8(percentDecode(value, true)));
  }
  return fields;
}

std::string_view mediaType(std::string_view content_type) {
  return trimWhitespace(splitOnce(content_type, ';').first);
}

std::optional<std::string> headerParameter(std::string_view header_value, std::string_view name) {
  std::string_view rest = splitOnce(header_value, ';').second;
  while (!rest.empty()) {
    const std::size_t equals = rest.find('=');
    const std::size_t semicolon = rest.find(';');
    if (equals == std::string_view::npos) {
      return std::nullopt;
    }
    if (semicolon < equals) {
      // A parameter without a value, such as "form-data; x; name=a".
      rest = rest.substr(semicolon + 1);
      continue;
    }

    const std::string_view parameter_name = trimWhitespace(rest.substr(0, equals));
    rest = trimWhitespace(rest.substr(equals + 1));
    std::string value = readParameterValue(rest);
    if (boost::beast::iequals(parameter_name, name)) {
      return value;
    }
    rest = splitOnce(rest, ';').second;
  }
  return std::nullopt;
}

std::optional<MultipartForm> parseMultipart(std::string_view body, std::string_view boundary) {
  if (boundary.empty()) {
    return std::nullopt;
  }
  const std::string delimiter = "--" + std::string(boundary);
  const std::string inner_delimiter = std::string(kCrlf) + delimiter;

  // The first delimiter either starts the body or follows a preamble line.
  std::size_t pos = 0;
  if (body.substr(0, delimiter.size()) != delimiter) {
    pos = body.find(inner_delimiter);
    if (pos == std::string_view::npos) {
      return std::nullopt;
    }
    pos += kCrlf.size();
  }
  pos += delimiter.size();

  MultipartForm form;
  for (;;) {
    // "--" after a delimiter closes the body.
    if (body.substr(pos, 2) == "--") {
      return form;
    }
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) {
      ++pos;
    }
    if (body.substr(pos, kCrlf.size()) != kCrlf) {
      return std::nullopt;
    }
    pos += kCrlf.size();

    // Part headers end at an empty line. A part may have no headers at all.
    std::string_view header_block;
    if (body.substr(pos, kCrlf.size()) == kCrlf) {
      pos += kCrlf.size();
    } else {
      const std::size_t headers_end = body.find("\r\n\r\n", pos);
      if (headers_end == std::string_view::npos) {
        return std::nullopt;
      }
      header_block = body.substr(pos, headers_end - pos);
      pos = headers_end + 2 * kCrlf.size();
    }

    const std::size_t content_end = body.find(inner_delimiter, pos);
    if (content_end == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view content = body.substr(pos, content_end - pos);
    pos = content_end + inner_delimiter.size();

    PartHeaders headers = parsePartHeaders(header_block);
    if (!headers.name) {
      continue;
    }
    if (headers.has_filename) {
      form.files.push_back(
          MultipartFile{repairUtf8(*headers.name), std::move(headers.content_type), content});
    } else {
      form.fields.emplace_back(repairUtf8(*headers.name), repairUtf8(content));
    }
  }
}

}  // namespace portcullis::httpbin
