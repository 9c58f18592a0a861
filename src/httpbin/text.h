// Byte and text conversions that httpbin's JSON output needs: URL decoding, UTF-8 checks and
// repair, Latin-1 to UTF-8, Base64, and the header-name spelling a WSGI server produces.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::httpbin {

// Decodes %XX escapes, and "+" as a space when `plus_as_space` is set. A "%" that is not
// followed by two hex digits stays as it is, as in Werkzeug's URL decoder. The result may be
// invalid UTF-8.
std::string percentDecode(std::string_view text, bool plus_as_space);

// Checks `bytes` against the UTF-8 rules of RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF.
bool isValidUtf8(std::string_view bytes);

// Replaces each maximal invalid UTF-8 subsequence with U+FFFD, the way Python's "replace" error
// handler decodes bytes.
std::string repairUtf8(std::string_view bytes);

// Converts Latin-1 bytes to UTF-8. WSGI servers decode header bytes as Latin-1, so httpbin echoes
// a UTF-8 header value as mojibake ("é" becomes "Ã©") and this reproduces it.
std::string latin1ToUtf8(std::string_view bytes);

// Rebuilds the path of a request URL the way Werkzeug 2.2 reports it in request.url: decoded,
// then with every byte outside the unreserved characters, "$!'()*+,;", "/" and ":" escaped
// as %XX. Non-ASCII text stays unescaped (an IRI), and invalid UTF-8 becomes U+FFFD.
// "/a%2fb%41@" gives "/a/bA%40".
std::string iriPath(std::string_view raw_path);

// Rebuilds the query of a request URL the way Werkzeug 2.2 reports it: bytes outside the
// unreserved characters and ":&%=+$!*'()," are escaped, then escapes of unreserved
// characters, of "$!'()*+,;" and of valid UTF-8 text are decoded. "u=/x?%41%C3%A9%2F" gives
// "u=%2Fx%3FAé%2F".
std::string iriQuery(std::string_view raw_query);

// Encodes with the standard alphabet of RFC 4648 section 4, with padding.
std::string base64Encode(std::string_view bytes);

// Spells a request header name the way httpbin shows it. WSGI turns "-" into "_" in the CGI
// variable and Werkzeug turns it back and applies Python's str.title(), so "x-jwt-sub" and
// "X_JWT_SUB" both become "X-Jwt-Sub" and "x-b3-traceid" becomes "X-B3-Traceid".
std::string titleCaseHeaderName(std::string_view name);

// Removes spaces and horizontal tabs at both ends.
std::string_view trimWhitespace(std::string_view text);

}  // namespace portcullis::httpbin
