// Base64url (RFC 4648 section 5) with the decoding rules of absl::WebSafeBase64Unescape, which
// jwt_verify_lib applies to every token segment and to the JWK members n, e, x, y and k.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::jwt {

// Decodes `in` into `out` and returns false when `in` is not base64url. Accepted, as absl does:
// - the alphabet A-Z a-z 0-9 - _ (the standard alphabet's + and / are rejected);
// - ASCII whitespace (space, \t, \n, \v, \f, \r) anywhere, which is skipped;
// - no padding, or exactly the padding the length calls for, written with '=' or '.';
// - non-zero bits after the last full byte, which are dropped.
// Rejected: any other character, a lone trailing character (length 1 mod 4 without padding),
// padding that is neither absent nor exact, and data after padding. On failure `out` is empty.
bool base64UrlDecode(std::string_view in, std::string& out);

// Encodes `in` as base64url without padding, the form JWS uses (RFC 7515 section 2).
std::string base64UrlEncode(std::string_view in);

}  // namespace portcullis::jwt
