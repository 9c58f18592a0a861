#include "jwt/jwt.h"

#include <algorithm>
#include <array>
#include <limits>

#include "jwt/base64url.h"
#include "jwt/json_parse.h"

namespace portcullis::jwt {
namespace {

constexpr std::array<std::string_view, 13> kSupportedAlgorithms = {
    "ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "RS256",
    "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA",
};

// 2^64 as a double: the first value that does not fit in uint64_t.
constexpr double kTwoTo64 = 18446744073709551616.0;

struct Segments {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

// Splits a compact serialization. jwt_verify_lib requires exactly two dots and then splits with
// empty parts dropped, so the result is three non-empty segments: "a..b" and "a.b." fail.
bool splitSegments(std::string_view token, Segments& out) {
  if (std::count(token.begin(), token.end(), '.') != 2) {
    return false;
  }
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.find('.', first_dot + 1);
  out.header = token.substr(0, first_dot);
  out.payload = token.substr(first_dot + 1, second_dot - first_dot - 1);
  out.signature = token.substr(second_dot + 1);
  return !out.header.empty() && !out.payload.empty() && !out.signature.empty();
}

// Steps shared by parseJwt() and parseJws(): the header segment and its members.
Status parseHeader(std::string_view header_b64, Jwt& out) {
  std::string header_json;
  if (!base64UrlDecode(header_b64, header_json)) {
    return Status::JwtHeaderParseErrorBadBase64;
  }
  if (!parseJsonObject(header_json, out.header)) {
    return Status::JwtHeaderParseErrorBadJson;
  }

  std::string_view text;
  if (getString(out.header, "alg", text) != FieldResult::Ok) {
    return Status::JwtHeaderBadAlg;
  }
  if (std::find(kSupportedAlgorithms.begin(), kSupportedAlgorithms.end(), text) ==
      kSupportedAlgorithms.end()) {
    return Status::JwtHeaderNotImplementedAlg;
  }
  out.alg = text;

  switch (getString(out.header, "kid", text)) {
    case FieldResult::Ok:
      out.kid = text;
      break;
    case FieldResult::Missing:
      break;
    case FieldResult::WrongType:
      return Status::JwtHeaderBadKid;
  }

  // RFC 7515 section 4.1.11: a recipient must reject a JWS whose "crit" lists an extension it
  // does not understand, and Portcullis understands none, so any "crit" (even a malformed one)
  // rejects the token. jwt_verify_lib ignores "crit" and has no status for it, so the token
  // gets the status jwt_verify_lib gives a header that requests a feature it does not
  // implement.
  if (out.header.contains("crit")) {
    return Status::JwtHeaderNotImplementedAlg;
  }

  // "typ" is informational (RFC 7519 section 5.1): kept when it is a string, never checked.
  if (getString(out.header, "typ", text) == FieldResult::Ok) {
    out.typ = text;
  }
  return Status::Ok;
}

// Reads a NumericDate claim the way jwt_verify_lib does: the JSON number is taken as a double
// (protobuf stores every number so), must lie in [0, 2^64), and loses its fraction.
Status readNumericDate(const boost::json::object& payload, std::string_view name, uint64_t& out,
                       Status not_a_number, Status out_of_range) {
  const boost::json::value* value = payload.if_contains(name);
  if (value == nullptr) {
    return Status::Ok;
  }
  double number = 0;
  if (value->is_int64()) {
    number = static_cast<double>(value->get_int64());
  } else if (value->is_uint64()) {
    number = static_cast<double>(value->get_uint64());
  } else if (value->is_double()) {
    number = value->get_double();
  } else {
    return not_a_number;
  }
  if (!(number >= 0) || number >= kTwoTo64) {
    return out_of_range;
  }
  out = static_cast<uint64_t>(number);
  return Status::Ok;
}

Status readStringClaim(const boost::json::object& payload, std::string_view name, std::string& out,
                       Status wrong_type) {
  std::string_view text;
  switch (getString(payload, name, text)) {
    case FieldResult::Ok:
      out = text;
      return Status::Ok;
    case FieldResult::Missing:
      return Status::Ok;
    case FieldResult::WrongType:
      return wrong_type;
  }
  return wrong_type;
}

// "aud" is a string or a list of strings (RFC 7519 section 4.1.3).
Status readAudiences(const boost::json::object& payload, std::vector<std::string>& out) {
  const boost::json::value* value = payload.if_contains("aud");
  if (value == nullptr) {
    return Status::Ok;
  }
  if (const boost::json::string* single = value->if_string()) {
    out.emplace_back(single->data(), single->size());
    return Status::Ok;
  }
  const boost::json::array* list = value->if_array();
  if (list == nullptr) {
    return Status::JwtPayloadParseErrorAudNotString;
  }
  out.reserve(list->size());
  for (const boost::json::value& item : *list) {
    const boost::json::string* text = item.if_string();
    if (text == nullptr) {
      return Status::JwtPayloadParseErrorAudNotString;
    }
    out.emplace_back(text->data(), text->size());
  }
  return Status::Ok;
}

// The registered claims, in jwt_verify_lib's order.
Status readClaims(Jwt& out) {
  const boost::json::object& payload = out.payload;
  Status status =
      readStringClaim(payload, "iss", out.iss, Status::JwtPayloadParseErrorIssNotString);
  if (status != Status::Ok) {
    return status;
  }

  status = readStringClaim(payload, "sub", out.sub, Status::JwtPayloadParseErrorSubNotString);
  if (status != Status::Ok) {
    return status;
  }

  status = readNumericDate(payload, "iat", out.iat, Status::JwtPayloadParseErrorIatNotInteger,
                           Status::JwtPayloadParseErrorIatOutOfRange);
  if (status != Status::Ok) {
    return status;
  }

  status = readNumericDate(payload, "nbf", out.nbf, Status::JwtPayloadParseErrorNbfNotInteger,
                           Status::JwtPayloadParseErrorNbfOutOfRange);
  if (status != Status::Ok) {
    return status;
  }

  status = readNumericDate(payload, "exp", out.exp, Status::JwtPayloadParseErrorExpNotInteger,
                           Status::JwtPayloadParseErrorExpOutOfRange);
  if (status != Status::Ok) {
    return status;
  }

  status = readStringClaim(payload, "jti", out.jti, Status::JwtPayloadParseErrorJtiNotString);
  if (status != Status::Ok) {
    return status;
  }
  return readAudiences(payload, out.audiences);
}

// Parses everything but the payload's JSON: shared by parseJwt() (with `payload_is_json`) and
// parseJws() (without).
Status parseCompact(std::string_view token, Jwt& out, bool payload_is_json) {
  out = Jwt{};
  Segments segments;
  if (!splitSegments(token, segments)) {
    return Status::JwtBadFormat;
  }

  Status status = parseHeader(segments.header, out);
  if (status != Status::Ok) {
    return status;
  }

  std::string payload_bytes;
  if (!base64UrlDecode(segments.payload, payload_bytes)) {
    return Status::JwtPayloadParseErrorBadBase64;
  }
  if (payload_is_json) {
    if (!parseJsonObject(payload_bytes, out.payload)) {
      return Status::JwtPayloadParseErrorBadJson;
    }
    status = readClaims(out);
    if (status != Status::Ok) {
      return status;
    }
  }

  if (!base64UrlDecode(segments.signature, out.signature)) {
    return Status::JwtSignatureParseErrorBadBase64;
  }

  out.header_b64 = segments.header;
  out.payload_b64 = segments.payload;
  out.signing_input.reserve(segments.header.size() + 1 + segments.payload.size());
  out.signing_input.append(segments.header).append(1, '.').append(segments.payload);
  return Status::Ok;
}

// a + b, or the largest uint64_t when the sum does not fit.
uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

}  // namespace

Status parseJwt(std::string_view token, Jwt& out) {
  return parseCompact(token, out, true);
}

Status parseJws(std::string_view token, Jwt& out) {
  return parseCompact(token, out, false);
}

Status verifyTime(const Jwt& jwt, uint64_t now, uint64_t skew) {
  // jwt_verify_lib adds without overflow checks, so there an exp within `skew` seconds of 2^64
  // wraps around and reads as expired. The sums saturate here instead; no real clock or
  // token comes near that range.
  if (saturatingAdd(now, skew) < jwt.nbf) {
    return Status::JwtNotYetValid;
  }
  if (jwt.exp != 0 && now > saturatingAdd(jwt.exp, skew)) {
    return Status::JwtExpired;
  }
  return Status::Ok;
}

}  // namespace portcullis::jwt
