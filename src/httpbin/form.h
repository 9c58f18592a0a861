// Parsers for the request data httpbin decodes: query strings, urlencoded form bodies and
// multipart/form-data bodies, with Werkzeug's rules for malformed input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::httpbin {

// Name and value pairs in the order they appear, with repeated names kept.
using FieldList = std::vector<std::pair<std::string, std::string>>;

// Parses application/x-www-form-urlencoded text (a query string or a form body). Pairs are
// separated by "&" and empty pairs are skipped. A pair without "=" has an empty value. Names and
// values are percent-decoded with "+" as a space, and invalid UTF-8 becomes U+FFFD.
FieldList parseUrlEncoded(std::string_view text);

// Returns the media type of a Content-Type value ("text/plain; charset=utf-8" gives
// "text/plain"), trimmed but with its case kept.
std::string_view mediaType(std::string_view content_type);

// Returns the value of parameter `name` (case-insensitive) in a header value with parameters,
// such as a Content-Type or a Content-Disposition, with quotes and escapes removed.
std::optional<std::string> headerParameter(std::string_view header_value, std::string_view name);

struct MultipartFile {
  std::string name;
  // Content-Type of the part, or empty when the part has none.
  std::string content_type;
  // Points into the body passed to parseMultipart.
  std::string_view content;
};

struct MultipartForm {
  // Parts without a filename. Names and values are decoded as UTF-8, invalid bytes becoming U+FFFD.
  FieldList fields;
  // Parts with a filename parameter, even an empty one.
  std::vector<MultipartFile> files;
};

// Parses a multipart/form-data body (RFC 7578) delimited by `boundary`. Returns nullopt when the
// boundary is empty, the first or closing delimiter is missing, or a part's header block has no
// end. Parts without a name are skipped.
std::optional<MultipartForm> parseMultipart(std::string_view body, std::string_view boundary);

}  // namespace portcullis::httpbin
