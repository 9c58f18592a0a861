// `portcullis token verify|decode|mint|keygen`.
//
// `verify` runs the gateway's own check. It compiles a RequestAuthentication jwtRule with the
// given issuer and audiences into an authn::Authenticator, and authenticates a request that
// carries the token in "Authorization: Bearer". So it returns the Status, and the 401 or 403,
// that `serve` and `check` give for the same token, rule and key set.
#include "cli/token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "authn/authenticator.h"
#include "config/resources.h"
#include "jwks/fetch.h"
#include "jwt/base64url.h"
#include "jwt/json_parse.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/sign.h"
#include "jwt/status.h"

namespace portcullis::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Exit statuses of every `token` subcommand.
constexpr int kExitOk = 0;        // verify: valid; decode, mint, keygen: done
constexpr int kExitRejected = 1;  // verify: rejected; decode: not a JWT; mint, keygen: failed
constexpr int kExitUsage = 2;     // bad flags, unreadable files, unfetchable URLs

// Characters the gateway takes as part of a bearer token: base64url (RFC 4648 section 5) and
// '.'. authn::Authenticator stops reading a header token at the first other character.
constexpr std::string_view kBearerTokenChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

constexpr std::string_view kWhitespace = " \t\n\v\f\r";

constexpr std::string_view kAlgorithmList =
    "RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256, HS384 or HS512";

struct VerifyOptions {
  std::string jwks;  // file path or http(s) URL
  std::string issuer;
  std::vector<std::string> audiences;
  long long now = -1;  // seconds since the epoch; -1: the clock
  uint64_t skew = jwt::kClockSkewSeconds;
  std::string output = "text";
  std::string token;
};

struct DecodeOptions {
  std::string token;
};

struct MintOptions {
  std::string key_path;
  std::string key_hex;
  std::string alg = "RS256";
  std::string kid;
  bool no_kid = false;
  std::string issuer;
  std::string subject;
  std::vector<std::string> audiences;
  std::vector<std::string> claims;  // NAME=VALUE
  std::string claims_json;
  long long lifetime = 3600;
  std::optional<long long> nbf_offset;
  long long now = -1;
};

struct KeygenOptions {
  std::string alg = "ES256";
  std::string key_out;
  std::string jwks_out;
  std::string kid;
  int rsa_bits = 2048;
  bool force = false;
};

// --- Input ---------------------------------------------------------------------------------

bool readFile(const std::string& path, std::string& out, std::string& error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream text;
  text << file.rdbuf();
  out = text.str();
  return true;
}

std::string_view trimWhitespace(std::string_view text) {
  const size_t start = text.find_first_not_of(kWhitespace);
  if (start == std::string_view::npos) {
    return {};
  }
  const size_t end = text.find_last_not_of(kWhitespace);
  return text.substr(start, end - start + 1);
}

// Reads the TOKEN argument: the token itself, or "-" for standard input. Surrounding
// whitespace is removed. An empty token and control characters inside it are usage errors.
bool readTokenArgument(const std::string& argument, std::string& token, std::string& error) {
  std::string text = argument;
  if (argument == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  token = std::string(trimWhitespace(text));
  if (token.empty()) {
    error = argument == "-" ? "standard input contains no token" : "the token is empty";
    return false;
  }
  for (size_t i = 0; i < token.size(); ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c < 0x20 || c == 0x7f) {
      error = "the token contains a control character at offset " + std::to_string(i) +
              " (a line break?); pass one token";
      return false;
    }
  }
  return true;
}

uint64_t nowOrClock(long long now) {
  return now >= 0 ? static_cast<uint64_t>(now) : static_cast<uint64_t>(std::time(nullptr));
}

// Returns the part of `token` that the gateway reads from "Authorization: Bearer <token>":
// from the first bearer token character on, up to the next character that is not one.
std::string_view bearerTokenOf(std::string_view token) {
  const size_t start = token.find_first_of(kBearerTokenChars);
  if (start == std::string_view::npos) {
    return token;
  }
  const size_t end = token.find_first_not_of(kBearerTokenChars, start);
  return end == std::string_view::npos ? token.substr(start) : token.substr(start, end - start);
}

// Header and claims of a token, decoded without any check of their contents: each part is
// present when its segment is base64url of a JSON object.
struct DecodedToken {
  std::optional<json::object> header;
  std::optional<json::object> claims;
  std::string error;  // why a part is missing
};

std::optional<json::object> decodeSegment(std::string_view segment, std::string_view name,
                                          std::string& error) {
  std::string text;
  if (!jwt::base64UrlDecode(segment, text)) {
    error = "the " + std::string(name) + " segment is not base64url";
    return std::nullopt;
  }
  json::object object;
  if (!jwt::parseJsonObject(text, object)) {
    error = "the " + std::string(name) + " segment is not a JSON object";
    return std::nullopt;
  }
  return object;
}

DecodedToken decodeToken(std::string_view token) {
  DecodedToken decoded;
  const size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) {
    decoded.error = "the token has no '.': a JWT has three segments";
    return decoded;
  }
  const size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) {
    decoded.error = "the token has one '.': a JWT has three segments";
    return decoded;
  }
  decoded.header = decodeSegment(token.substr(0, first_dot), "header", decoded.error);
  if (decoded.header) {
    decoded.claims = decodeSegment(token.substr(first_dot + 1, second_dot - first_dot - 1),
                                   "payload", decoded.error);
  }
  return decoded;
}

// --- verify --------------------------------------------------------------------------------

bool isUrl(std::string_view text) {
  return text.starts_with("http://") || text.starts_with("https://");
}

bool fetchUrl(const std::string& url, std::string& body, std::string& error) {
  asio::io_context io;
  asio::ssl::context tls = jwks::makeClientTlsContext();
  // The coroutine keeps a reference to `fetch_options`, so it must outlive io.run().
  const jwks::FetchOptions fetch_options;
  jwks::FetchResult result;
  result.error = "the fetch did not finish";
  asio::co_spawn(io, jwks::fetch(url, fetch_options, tls),
                 [&result](std::exception_ptr failure, jwks::FetchResult fetched) {
                   if (!failure) {
                     result = std::move(fetched);
                   }
                 });
  io.run();
  if (!result.ok) {
    error = "cannot fetch " + url + ": " + result.error;
    return false;
  }
  body = std::move(result.body);
  return true;
}

void warnSkippedKeys(const jwt::Jwks& keys, const std::string& source) {
  for (const auto& skipped : keys.skipped()) {
    std::cerr << "portcullis token verify: warning: key kid=\"" << skipped.kid << "\" of " << source
              << " skipped: " << jwt::statusMessage(skipped.status) << "\n";
  }
}

// Loads --jwks the way the gateway loads a jwtRule's keys. A file is used like an inline
// `jwks`: its parse status, if not Ok, is what every token gets. A URL is used like a
// `jwksUri`: an unusable key set is never published, so `out` stays null and tokens fail with
// JwtVerificationFail. Returns false when the file cannot be read or the URL cannot be fetched.
bool loadKeySet(const std::string& source, std::shared_ptr<const jwt::Jwks>& out,
                std::string& error) {
  std::string text;
  const bool url = isUrl(source);
  if (url ? !fetchUrl(source, text, error) : !readFile(source, text, error)) {
    return false;
  }
  auto keys = jwt::Jwks::parse(text);
  warnSkippedKeys(*keys, source);
  if (keys->status() == jwt::Status::Ok) {
    out = std::move(keys);
    return true;
  }
  std::cerr << "portcullis token verify: warning: " << source
            << " contains no usable key: " << jwt::statusMessage(keys->status()) << "\n";
  if (url) {
    std::cerr << "portcullis token verify: warning: the gateway keeps no key set for a jwksUri "
                 "that serves this, so its tokens fail with JwtVerificationFail\n";
    out = nullptr;
  } else {
    out = std::move(keys);
  }
  return true;
}

void printVerifyText(const json::object& result) {
  std::cout << "valid: " << (result.at("valid").as_bool() ? "true" : "false") << "\n";
  std::cout << "status: " << result.at("status").as_string().c_str() << "\n";
  std::cout << "message: " << result.at("message").as_string().c_str() << "\n";
  if (const json::value* http_status = result.if_contains("http_status")) {
    std::cout << "http status: " << json::serialize(*http_status) << "\n";
  }
  if (const json::value* header = result.if_contains("header")) {
    std::cout << "header: " << json::serialize(*header) << "\n";
  }
  if (const json::value* claims = result.if_contains("claims")) {
    std::cout << "claims: " << json::serialize(*claims) << "\n";
  }
}

int runVerify(const VerifyOptions& options) {
  std::string error;
  std::string token;
  if (!readTokenArgument(options.token, token, error)) {
    std::cerr << "portcullis token verify: " << error << "\n";
    return kExitUsage;
  }
  if (options.jwks.empty()) {
    std::cerr << "portcullis token verify: --jwks is required, because the gateway never "
                 "accepts a token without checking its signature; use `portcullis token "
                 "decode` to read a token without verifying it\n";
    return kExitUsage;
  }
  std::shared_ptr<const jwt::Jwks> keys;
  if (!loadKeySet(options.jwks, keys, error)) {
    std::cerr << "portcullis token verify: --jwks: " << error << "\n";
    return kExitUsage;
  }
  const std::string_view bearer = bearerTokenOf(token);
  if (bearer != token) {
    std::cerr << "portcullis token verify: note: the gateway reads a bearer token only up to "
                 "the first character outside base64url and '.', so it checks \""
              << bearer << "\"\n";
  }

  config::JwtRule rule;
  rule.issuer = options.issuer;
  rule.audiences = options.audiences;
  rule.from_headers.push_back(config::JwtHeader{"Authorization", "Bearer "});
  const std::vector<std::pair<std::string, const config::JwtRule*>> rules = {
      {"portcullis token verify", &rule}};
  const auto authenticator = authn::Authenticator::compile(rules, options.skew);

  boost::beast::http::fields headers;
  headers.set(boost::beast::http::field::authorization, "Bearer " + token);
  std::string target = "/";
  const authn::KeySets key_sets = {keys};
  const authn::Result outcome = authenticator->authenticate(headers, target, /*is_options=*/false,
                                                            key_sets, nowOrClock(options.now));
  // A request with a token either verifies it (identity set) or fails; Ok without an identity
  // would mean the token was not found, which the header above rules out.
  const jwt::Status status = outcome.status == jwt::Status::Ok && !outcome.identity
                                 ? jwt::Status::JwtMissed
                                 : outcome.status;

  json::object result;
  result["valid"] = status == jwt::Status::Ok;
  result["status"] = jwt::statusName(status);
  result["message"] = jwt::statusMessage(status);
  if (status != jwt::Status::Ok) {
    result["http_status"] = authn::httpStatusFor(status);
  }
  const DecodedToken decoded = decodeToken(bearer);
  if (decoded.header) {
    result["header"] = *decoded.header;
  }
  if (decoded.claims) {
    result["claims"] = *decoded.claims;
  }
  if (options.output == "json") {
    std::cout << json::serialize(result) << "\n";
  } else {
    printVerifyText(result);
  }
  return status == jwt::Status::Ok ? kExitOk : kExitRejected;
}

// --- decode --------------------------------------------------------------------------------

int runDecode(const DecodeOptions& options) {
  std::string error;
  std::string token;
  if (!readTokenArgument(options.token, token, error)) {
    std::cerr << "portcullis token decode: " << error << "\n";
    return kExitUsage;
  }
  const DecodedToken decoded = decodeToken(token);
  if (!decoded.header || !decoded.claims) {
    std::cerr << "portcullis token decode: not a JWT: " << decoded.error << "\n";
    return kExitRejected;
  }
  json::object result;
  result["verified"] = false;
  result["header"] = *decoded.header;
  result["claims"] = *decoded.claims;
  std::cout << json::serialize(result) << "\n";
  std::cerr << "portcullis token decode: note: not verified: neither the signature nor the "
               "time, issuer and audience claims were checked\n";
  return kExitOk;
}

// --- mint ----------------------------------------------------------------------------------

bool hexDecode(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) {
    return false;
  }
  auto nibble = [](char c) -> int {
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
  };
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) {
      return false;
    }
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return true;
}

// The signing key of `mint`: --key-hex or the --key file as an HMAC secret for HS*, else the
// --key file as a PEM private key.
bool loadSigningKey(const MintOptions& options, jwt::KeyType type, jwt::SigningKey& out,
                    std::string& error) {
  if (!options.key_hex.empty() && !options.key_path.empty()) {
    error = "give --key or --key-hex, not both";
    return false;
  }
  if (!options.key_hex.empty()) {
    std::string secret;
    if (type != jwt::KeyType::Hmac) {
      error = "--key-hex is an HMAC secret, so it only signs HS256, HS384 and HS512";
      return false;
    }
    if (!hexDecode(options.key_hex, secret) || secret.empty()) {
      error = "--key-hex is not a non-empty even-length hexadecimal string";
      return false;
    }
    out = jwt::hmacSigningKey(std::move(secret));
    return true;
  }
  if (options.key_path.empty()) {
    error = "--key is required (or --key-hex for HS256, HS384 and HS512)";
    return false;
  }
  std::string text;
  if (!readFile(options.key_path, text, error)) {
    return false;
  }
  if (type == jwt::KeyType::Hmac) {
    // The whole file, byte for byte: a trailing newline is part of the secret.
    if (text.empty()) {
      error = options.key_path + " is empty, and an HMAC secret needs at least one byte";
      return false;
    }
    out = jwt::hmacSigningKey(std::move(text));
    return true;
  }
  if (!jwt::readPrivateKeyPem(text, out, error)) {
    error = options.key_path + ": " + error;
    return false;
  }
  return true;
}

// Adds the --claim NAME=VALUE pairs to `payload`. A name given more than once becomes a list
// of its values, in order.
bool addClaimPairs(const std::vector<std::string>& pairs, json::object& payload,
                   std::string& error) {
  json::object claims;
  for (const std::string& pair : pairs) {
    const size_t equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      error = "--claim \"" + pair + "\" is not NAME=VALUE";
      return false;
    }
    const std::string name = pair.substr(0, equals);
    const std::string value = pair.substr(equals + 1);
    auto it = claims.find(name);
    if (it == claims.end()) {
      claims[name] = value;
    } else if (it->value().is_array()) {
      it->value().as_array().push_back(json::value(value));
    } else {
      it->value() = json::array{it->value(), json::value(value)};
    }
  }
  for (auto& [name, value] : claims) {
    payload[name] = std::move(value);
  }
  return true;
}

// Sets `out` to now + offset, which must lie in 0 to 2^63 - 1.
bool timeClaim(long long now, long long offset, std::string_view flag, long long& out,
               std::string& error) {
  if ((offset < 0 && now + offset < 0) || (offset > 0 && now > INT64_MAX - offset)) {
    error = std::string(flag) + " " + std::to_string(offset) + " puts the claim outside 0 to 2^63";
    return false;
  }
  out = now + offset;
  return true;
}

// Builds the claims in this order, later sources replacing earlier ones: iss, sub, aud, iat,
// nbf and exp from their flags, then --claim pairs, then the members of --claims.
bool buildPayload(const MintOptions& options, long long now, json::object& payload,
                  std::string& error) {
  if (!options.issuer.empty()) {
    payload["iss"] = options.issuer;
  }
  if (!options.subject.empty()) {
    payload["sub"] = options.subject;
  }
  if (options.audiences.size() == 1) {
    payload["aud"] = options.audiences.front();
  } else if (options.audiences.size() > 1) {
    json::array audiences;
    for (const auto& audience : options.audiences) {
      audiences.push_back(json::value(audience));
    }
    payload["aud"] = std::move(audiences);
  }
  payload["iat"] = now;
  long long claim = 0;
  if (options.nbf_offset) {
    if (!timeClaim(now, *options.nbf_offset, "--nbf", claim, error)) {
      return false;
    }
    payload["nbf"] = claim;
  }
  if (options.lifetime != 0) {
    if (!timeClaim(now, options.lifetime, "--lifetime", claim, error)) {
      return false;
    }
    payload["exp"] = claim;
  }
  if (!addClaimPairs(options.claims, payload, error)) {
    return false;
  }
  if (!options.claims_json.empty()) {
    boost::system::error_code ec;
    json::value extra = json::parse(options.claims_json, ec);
    if (ec || !extra.is_object()) {
      error = "--claims is not a JSON object" + (ec ? ": " + ec.message() : std::string());
      return false;
    }
    for (auto& [name, value] : extra.as_object()) {
      payload[name] = std::move(value);
    }
  }
  return true;
}

int runMint(const MintOptions& options) {
  std::string error;
  const std::optional<jwt::KeyType> type = jwt::keyTypeForAlgorithm(options.alg);
  if (!type) {
    std::cerr << "portcullis token mint: --alg \"" << options.alg << "\" is not one of "
              << kAlgorithmList << "\n";
    return kExitUsage;
  }
  jwt::SigningKey key;
  if (!loadSigningKey(options, *type, key, error)) {
    std::cerr << "portcullis token mint: " << error << "\n";
    return kExitUsage;
  }
  if (key.type != *type) {
    std::cerr << "portcullis token mint: " << options.alg << " needs an " << jwt::keyTypeName(*type)
              << " key, but " << options.key_path << " contains an " << jwt::keyTypeName(key.type)
              << " key\n";
    return kExitUsage;
  }
  if (options.no_kid && !options.kid.empty()) {
    std::cerr << "portcullis token mint: give --kid or --no-kid, not both\n";
    return kExitUsage;
  }
  std::string kid = options.kid;
  if (kid.empty() && !options.no_kid && !jwt::jwkThumbprint(key, kid, error)) {
    std::cerr << "portcullis token mint: cannot compute the key's thumbprint: " << error << "\n";
    return kExitRejected;
  }

  const long long now = static_cast<long long>(nowOrClock(options.now));
  json::object payload;
  if (!buildPayload(options, now, payload, error)) {
    std::cerr << "portcullis token mint: " << error << "\n";
    return kExitUsage;
  }
  json::object header;
  header["alg"] = options.alg;
  if (!kid.empty()) {
    header["kid"] = kid;
  }
  header["typ"] = "JWT";
  std::string token;
  if (!jwt::signJwt(header, payload, key, token, error)) {
    std::cerr << "portcullis token mint: " << error << "\n";
    return kExitRejected;
  }
  std::cout << token << "\n";
  return kExitOk;
}

// --- keygen --------------------------------------------------------------------------------

// Writes `data` to `path` with permission bits `mode`. Without `replace`, an existing file is
// an error; with it, the file is truncated and its mode reset to `mode`.
bool writeFile(const std::string& path, std::string_view data, mode_t mode, bool replace,
               std::string& error) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    error = "cannot create " + path + ": " + std::strerror(errno) +
            (errno == EEXIST ? " (use --force to replace it)" : "");
    return false;
  }
  bool ok = ::fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    written += ok ? static_cast<size_t>(n) : 0;
  }
  if (!ok) {
    error = "cannot write " + path + ": " + std::strerror(errno);
  }
  if (::close(fd) != 0 && ok) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    ok = false;
  }
  return ok;
}

int runKeygen(const KeygenOptions& options) {
  std::string error;
  if (!jwt::keyTypeForAlgorithm(options.alg)) {
    std::cerr << "portcullis token keygen: --alg \"" << options.alg << "\" is not one of "
              << kAlgorithmList << "\n";
    return kExitUsage;
  }
  // Both files are checked before anything is written, so that a refused --jwks-out leaves no
  // new key file behind.
  for (const std::string* path : {&options.key_out, &options.jwks_out}) {
    if (!options.force && ::access(path->c_str(), F_OK) == 0) {
      std::cerr << "portcullis token keygen: " << *path
                << " already exists; use --force to replace it\n";
      return kExitUsage;
    }
  }
  jwt::SigningKey key;
  if (!jwt::generateSigningKey(options.alg, key, error, options.rsa_bits)) {
    std::cerr << "portcullis token keygen: " << error << "\n";
    return kExitRejected;
  }
  json::object jwk;
  std::string kid = options.kid;
  if (!jwt::publicJwk(key, jwk, error) || (kid.empty() && !jwt::jwkThumbprint(jwk, kid, error))) {
    std::cerr << "portcullis token keygen: " << error << "\n";
    return kExitRejected;
  }
  jwk["use"] = "sig";
  jwk["alg"] = options.alg;
  jwk["kid"] = kid;
  json::object jwks;
  jwks["keys"] = json::array{jwk};

  const bool hmac = key.type == jwt::KeyType::Hmac;
  // An HMAC key file is the raw secret, the form `token mint --key` reads for HS*.
  const std::string key_text = hmac ? key.hmac_secret : jwt::privateKeyPem(key);
  if (key_text.empty()) {
    std::cerr << "portcullis token keygen: cannot encode the private key as PEM\n";
    return kExitRejected;
  }
  if (!writeFile(options.key_out, key_text, 0600, options.force, error)) {
    std::cerr << "portcullis token keygen: --key-out: " << error << "\n";
    return kExitUsage;
  }
  // The JWK of an HMAC key is the secret itself, so its key set is private too.
  if (!writeFile(options.jwks_out, json::serialize(jwks) + "\n", hmac ? 0600 : 0644, options.force,
                 error)) {
    std::cerr << "portcullis token keygen: --jwks-out: " << error << "\n";
    return kExitUsage;
  }
  if (hmac) {
    std::cerr << "portcullis token keygen: note: " << options.jwks_out
              << " contains the HMAC secret; keep it as private as " << options.key_out << "\n";
  }
  std::cout << kid << "\n";
  return kExitOk;
}

}  // namespace

// --- Registration --------------------------------------------------------------------------

struct TokenCommand::Options {
  CLI::App* command = nullptr;
  CLI::App* verify_command = nullptr;
  CLI::App* decode_command = nullptr;
  CLI::App* mint_command = nullptr;
  CLI::App* keygen_command = nullptr;
  VerifyOptions verify;
  DecodeOptions decode;
  MintOptions mint;
  KeygenOptions keygen;
};

namespace {

void addVerifyOptions(CLI::App& command, VerifyOptions& options) {
  command.add_option("--jwks", options.jwks,
                     "key set to verify with: a JWKS file, used like a jwtRule's inline jwks, or "
                     "an http(s) URL, fetched like its jwksUri (required)");
  command.add_option("--issuer", options.issuer,
                     "the jwtRule's issuer: the token's iss must equal it (default: not checked)");
  command
      .add_option("--audience", options.audiences,
                  "an audience of the jwtRule; repeat for several (default: any audience)")
      ->allow_extra_args(false);
  command.add_option("--now", options.now, "clock, in seconds since the epoch (default: now)")
      ->check(CLI::Range(0LL, std::numeric_limits<long long>::max()));
  command
      .add_option("--skew", options.skew,
                  "tolerance for exp and nbf, in seconds (the gateway uses Envoy's 60)")
      ->capture_default_str();
  command.add_option("--output", options.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command.add_option("token", options.token, "the JWT, or - to read it from standard input")
      ->required();
}

void addMintOptions(CLI::App& command, MintOptions& options) {
  command.add_option("--key", options.key_path,
                     "PEM private key (RSA, EC or Ed25519); for HS* a file whose bytes are the "
                     "secret");
  command.add_option("--key-hex", options.key_hex, "HMAC secret in hexadecimal, for HS*");
  command.add_option("--alg", options.alg, "signing algorithm: " + std::string(kAlgorithmList))
      ->capture_default_str();
  command.add_option("--kid", options.kid,
                     "key id in the header (default: the RFC 7638 thumbprint of the key)");
  command.add_flag("--no-kid", options.no_kid, "leave kid out of the header");

  command.add_option("--issuer", options.issuer, "iss claim");
  command.add_option("--subject", options.subject, "sub claim");
  command.add_option("--audience", options.audiences, "aud claim; repeat for a list of audiences")
      ->allow_extra_args(false);
  command
      .add_option("--claim", options.claims,
                  "string claim NAME=VALUE; repeat a NAME for a list of strings")
      ->allow_extra_args(false);
  command.add_option("--claims", options.claims_json,
                     "JSON object of further claims (numbers, lists, nested objects); its "
                     "members replace the claims set by other flags");

  command
      .add_option("--lifetime", options.lifetime,
                  "seconds from iat to exp; 0 leaves exp out, a negative value mints an "
                  "expired token")
      ->capture_default_str();
  command.add_option_function<long long>(
      "--nbf", [&options](const long long& offset) { options.nbf_offset = offset; },
      "sets nbf to now plus this many seconds (default: no nbf)");
  command.add_option("--now", options.now, "iat, in seconds since the epoch (default: now)")
      ->check(CLI::Range(0LL, std::numeric_limits<long long>::max()));
}

void addKeygenOptions(CLI::App& command, KeygenOptions& options) {
  command
      .add_option("--alg", options.alg, "algorithm the key is for: " + std::string(kAlgorithmList))
      ->capture_default_str();
  command
      .add_option("--key-out", options.key_out,
                  "file for the private key: PKCS#8 PEM, or the raw secret for HS* (mode 0600)")
      ->required();
  command
      .add_option("--jwks-out", options.jwks_out,
                  "file for the key set with the public key, its alg and kid")
      ->required();
  command.add_option("--kid", options.kid, "key id (default: the RFC 7638 thumbprint of the key)");
  // 2048 is the minimum of RFC 7518 section 3.3; the verifier accepts moduli up to 16384 bits.
  command.add_option("--bits", options.rsa_bits, "RSA modulus size in bits, for RS* and PS*")
      ->check(CLI::Range(2048, 16384))
      ->capture_default_str();
  command.add_flag("--force", options.force, "replace --key-out and --jwks-out if they exist");
}

}  // namespace

TokenCommand::TokenCommand(CLI::App& app) : options_(std::make_unique<Options>()) {
  Options& options = *options_;
  options.command = app.add_subcommand("token", "verify, decode and mint JWTs, generate keys");
  options.command->require_subcommand(1);

  options.verify_command = options.command->add_subcommand(
      "verify", "check a token as the gateway would for one jwtRule; exit 0 valid, 1 rejected");
  addVerifyOptions(*options.verify_command, options.verify);

  options.decode_command = options.command->add_subcommand(
      "decode", "print a token's header and claims as JSON without verifying anything");
  options.decode_command
      ->add_option("token", options.decode.token, "the JWT, or - to read it from standard input")
      ->required();

  options.mint_command =
      options.command->add_subcommand("mint", "sign a token for tests and print it");
  addMintOptions(*options.mint_command, options.mint);

  options.keygen_command = options.command->add_subcommand(
      "keygen", "generate a signing key and its JWKS; prints the kid");
  addKeygenOptions(*options.keygen_command, options.keygen);
}

TokenCommand::~TokenCommand() = default;

bool TokenCommand::selected() const {
  return options_->command->parsed();
}

int TokenCommand::run() const {
  const Options& options = *options_;
  if (options.verify_command->parsed()) {
    return runVerify(options.verify);
  }
  if (options.decode_command->parsed()) {
    return runDecode(options.decode);
  }
  if (options.mint_command->parsed()) {
    return runMint(options.mint);
  }
  if (options.keygen_command->parsed()) {
    return runKeygen(options.keygen);
  }
  return kExitUsage;
}

}  // namespace portcullis::cli
