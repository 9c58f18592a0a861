#include "authn/authenticator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cinttypes>
#include <cstdio>

#include <boost/container/small_vector.hpp>
#include <boost/json/value.hpp>

#include "http/headers.h"

namespace portcullis::authn {
namespace {

namespace http = boost::beast::http;
using jwt::Status;

// Whether `c` can appear in a JWT: the base64url alphabet (RFC 4648 section 5) plus '.'.
bool isTokenChar(char c) {
  static constexpr auto kTable = [] {
    std::array<bool, 256> table{};
    for (char t : std::string_view(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")) {
      table[static_cast<unsigned char>(t)] = true;
    }
    return table;
  }();
  return kTable[static_cast<unsigned char>(c)];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Envoy's header extraction: after the prefix, skip characters that cannot start a token and
// take the run of token characters that follows. With no token character at all, the whole
// value is the token (it then fails to parse, which is the intended 401).
std::string_view tokenAfter(std::string_view value, size_t after) {
  size_t start = after;
  while (start < value.size() && !isTokenChar(value[start])) {
    ++start;
  }
  if (start >= value.size()) {
    return value;
  }
  size_t end = start;
  while (end < value.size() && isTokenChar(value[end])) {
    ++end;
  }
  return value.substr(start, end - start);
}

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

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Calls `visit(name, raw_value)` for each "name=value" pair of the query of `target`.
template <typename Visitor>
void forEachQueryParam(std::string_view target, Visitor visit) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) {
    return;
  }
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    visit(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
}

// Removes every occurrence of query parameter `name`, keeping the others as received.
void removeQueryParam(std::string& target, std::string_view name) {
  const size_t question = target.find('?');
  if (question == std::string::npos) {
    return;
  }
  std::string kept;
  forEachQueryParam(target, [&](std::string_view key, std::string_view value) {
    if (percentDecode(key) == name) {
      return;
    }
    kept += kept.empty() ? "" : "&";
    kept.append(key);
    if (value.data() != nullptr) {
      kept += "=";
      kept.append(value);
    }
  });
  target.resize(question);
  if (!kept.empty()) {
    target += "?" + kept;
  }
}

std::optional<std::string_view> cookieValue(const http::fields& headers, std::string_view name) {
  for (const auto& field : portcullis::http::fieldsNamed(headers, http::field::cookie)) {
    std::string_view rest = field.value();
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') {
        pair.remove_prefix(1);
      }
      const size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        std::string_view value = pair.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        return value;
      }
    }
  }
  return std::nullopt;
}

bool needsDecoding(std::string_view s) {
  return s.find_first_of("%+") != std::string_view::npos;
}

// A token found at one of a provider's locations. The text is a view into the request, or
// into `decoded` for a query parameter that had percent-escapes.
struct FoundToken {
  enum class Kind { Header, Param, Cookie };

  FoundToken(std::string_view raw, Kind k, std::string_view where)
      : view(raw), kind(k), location(where) {}

  std::string_view text() const { return owns_text ? std::string_view(decoded) : view; }

  std::string_view view;
  std::string decoded;
  bool owns_text = false;
  Kind kind = Kind::Header;
  std::string_view location;  // the provider's header, parameter or cookie name
};

// Most requests carry one token; two fit without allocating.
using FoundTokens = boost::container::small_vector<FoundToken, 2>;

FoundTokens extractTokens(const Provider& provider, const http::fields& headers,
                          std::string_view target) {
  FoundTokens tokens;
  for (const auto& location : provider.from_headers) {
    for (const auto& field : portcullis::http::fieldsNamed(headers, location.name)) {
      std::string_view value = field.value();
      if (!location.prefix.empty()) {
        // Envoy looks for the prefix anywhere in the value, case-sensitively. Without a
        // prefix it takes the whole value.
        const size_t at = value.find(location.prefix);
        if (at == std::string_view::npos) {
          continue;
        }
        value = tokenAfter(value, at + location.prefix.size());
      }
      tokens.emplace_back(value, FoundToken::Kind::Header, location.name);
    }
  }
  for (const auto& param : provider.from_params) {
    bool found = false;
    forEachQueryParam(target, [&](std::string_view key, std::string_view value) {
      if (found || (needsDecoding(key) ? percentDecode(key) != param : key != param)) {
        return;
      }
      found = true;  // the first value of a repeated parameter is the one used
      auto& token = tokens.emplace_back(value, FoundToken::Kind::Param, param);
      if (needsDecoding(value)) {
        token.decoded = percentDecode(value);
        token.owns_text = true;
      }
    });
  }
  for (const auto& cookie : provider.from_cookies) {
    if (auto value = cookieValue(headers, cookie)) {
      tokens.emplace_back(*value, FoundToken::Kind::Cookie, cookie);
    }
  }
  return tokens;
}

std::string describeLocation(const FoundToken& token) {
  switch (token.kind) {
    case FoundToken::Kind::Header:
      return "header " + lower(token.location);
    case FoundToken::Kind::Param:
      return "query parameter " + std::string(token.location);
    case FoundToken::Kind::Cookie:
      return "cookie " + std::string(token.location);
  }
  return {};
}

// Formats a claim the way Envoy's claim_to_headers does; nullopt for lists, objects and null.
std::optional<std::string> claimHeaderValue(const boost::json::value& value) {
  if (value.is_string()) {
    return std::string(value.get_string());
  }
  if (value.is_bool()) {
    return value.get_bool() ? "true" : "false";
  }
  if (value.is_int64()) {
    return std::to_string(value.get_int64());
  }
  if (value.is_uint64()) {
    return std::to_string(value.get_uint64());
  }
  if (value.is_double()) {
    const double d = value.get_double();
    char buffer[64];
    if (d == static_cast<double>(static_cast<int64_t>(d))) {
      std::snprintf(buffer, sizeof buffer, "%" PRId64, static_cast<int64_t>(d));
    } else {
      std::snprintf(buffer, sizeof buffer, "%f", d);
    }
    return std::string(buffer);
  }
  return std::nullopt;
}

const boost::json::value* findClaim(const boost::json::object& payload, std::string_view path) {
  const boost::json::object* object = &payload;
  while (true) {
    const size_t dot = path.find('.');
    const auto it = object->find(path.substr(0, dot));
    if (it == object->end()) {
      return nullptr;
    }
    if (dot == std::string_view::npos) {
      return &it->value();
    }
    if (!it->value().is_object()) {
      return nullptr;
    }
    object = &it->value().get_object();
    path = path.substr(dot + 1);
  }
}

bool isCorsPreflight(const http::fields& headers, bool is_options) {
  if (!is_options) {
    return false;
  }
  auto origin = headers.find(http::field::origin);
  auto method = headers.find(http::field::access_control_request_method);
  return origin != headers.end() && !origin->value().empty() && method != headers.end() &&
         !method->value().empty();
}

}  // namespace

unsigned httpStatusFor(jwt::Status status) {
  return status == Status::JwtAudienceNotAllowed ? 403 : 401;
}

Authenticator::Authenticator(std::vector<Provider> providers) : providers_(std::move(providers)) {
  for (const auto& provider : providers_) {
    if (!provider.output_payload_to_header.empty()) {
      output_headers_.push_back(lower(provider.output_payload_to_header));
    }
    for (const auto& claim : provider.output_claim_to_headers) {
      output_headers_.push_back(lower(claim.header));
    }
  }
  std::sort(output_headers_.begin(), output_headers_.end());
  output_headers_.erase(std::unique(output_headers_.begin(), output_headers_.end()),
                        output_headers_.end());
}

std::shared_ptr<const Authenticator> Authenticator::compile(
    const std::vector<std::pair<std::string, const config::JwtRule*>>& rules,
    uint64_t clock_skew_seconds) {
  std::vector<Provider> providers;
  for (size_t i = 0; i < rules.size(); ++i) {
    const config::JwtRule& rule = *rules[i].second;
    Provider provider;
    provider.issuer = rule.issuer;
    provider.audiences = rule.audiences;
    provider.audience_checker = jwt::AudienceChecker(rule.audiences);
    provider.from_headers = rule.from_headers;
    provider.from_params = rule.from_params;
    provider.from_cookies = rule.from_cookies;
    if (provider.from_headers.empty() && provider.from_params.empty() &&
        provider.from_cookies.empty()) {
      // Envoy's default locations when a provider names none.
      provider.from_headers.push_back(config::JwtHeader{"Authorization", "Bearer "});
      provider.from_params.push_back("access_token");
    }
    provider.forward_original_token = rule.forward_original_token;
    provider.output_payload_to_header = rule.output_payload_to_header;
    provider.output_claim_to_headers = rule.output_claim_to_headers;
    provider.space_delimited_claims = rule.space_delimited_claims;
    provider.clock_skew_seconds = clock_skew_seconds;
    provider.key_slot = i;
    provider.origin = rules[i].first;
    providers.push_back(std::move(provider));
  }
  // istiod names providers after their position in issuer order.
  std::stable_sort(providers.begin(), providers.end(),
                   [](const Provider& a, const Provider& b) { return a.issuer < b.issuer; });
  return std::make_shared<const Authenticator>(std::move(providers));
}

namespace {

struct ProviderOutcome {
  Status status = Status::JwtMissed;
  std::shared_ptr<const jwt::Jwt> identity;
  FoundTokens tokens;
};

Status verifyToken(const Provider& provider, CachedToken& cached, const KeySets& keys,
                   uint64_t now) {
  const jwt::Jwt& token = *cached.jwt;
  // Cheap checks first, in Envoy's order: issuer, time, audience, then keys and signature.
  if (!provider.issuer.empty() && token.iss != provider.issuer) {
    return Status::JwtUnknownIssuer;
  }
  if (Status status = jwt::verifyTime(token, now, provider.clock_skew_seconds);
      status != Status::Ok) {
    return status;
  }
  if (!provider.audience_checker.allows(token.audiences)) {
    return Status::JwtAudienceNotAllowed;
  }
  const auto& key_set = provider.key_slot < keys.size() ? keys[provider.key_slot] : nullptr;
  if (!key_set) {
    // No key set has loaded for this provider. Istio (1.21 and later) substitutes a key that
    // verifies nothing, which yields this status.
    return Status::JwtVerificationFail;
  }
  if (key_set->status() != Status::Ok) {
    return key_set->status();
  }
  if (cached.verified_with == key_set) {
    return Status::Ok;
  }
  if (cached.rejected_by == key_set) {
    return cached.rejected_status;
  }
  const Status status = jwt::verifySignature(token, *key_set);
  if (status == Status::Ok) {
    cached.verified_with = key_set;
  } else {
    cached.rejected_by = key_set;
    cached.rejected_status = status;
  }
  return status;
}

// Verifies every token at the provider's locations; the first failure decides.
ProviderOutcome runProvider(const Provider& provider, const http::fields& headers,
                            std::string_view target, const KeySets& keys, uint64_t now,
                            TokenCache* cache, std::vector<TokenOutcome>* trace) {
  ProviderOutcome outcome;
  outcome.tokens = extractTokens(provider, headers, target);
  if (outcome.tokens.empty()) {
    return outcome;
  }
  for (const auto& found : outcome.tokens) {
    CachedToken uncached;
    CachedToken* cached = cache ? cache->slotFor(found.text()) : nullptr;
    if (!cached) {
      cached = &uncached;
    }
    if (!cached->jwt && cached->parse_status == Status::Ok) {
      auto token = std::make_shared<jwt::Jwt>();
      cached->parse_status = jwt::parseJwt(found.text(), *token);
      if (cached->parse_status == Status::Ok) {
        cached->jwt = std::move(token);
      }
    }
    const Status status = cached->parse_status != Status::Ok
                              ? cached->parse_status
                              : verifyToken(provider, *cached, keys, now);
    if (trace) {
      trace->push_back(TokenOutcome{provider.origin, describeLocation(found), status});
    }
    if (status != Status::Ok) {
      outcome.status = status;
      outcome.identity = nullptr;
      return outcome;
    }
    outcome.identity = cached->jwt;
  }
  outcome.status = Status::Ok;
  return outcome;
}

// Envoy's choice of the reported error when every alternative failed: a real verification
// error beats "issuer not configured", which beats "missing".
Status combineFailures(const std::vector<Status>& statuses) {
  Status chosen = Status::JwtMissed;
  for (Status status : statuses) {
    if ((status != Status::JwtMissed && status != Status::JwtUnknownIssuer) ||
        chosen == Status::JwtMissed) {
      chosen = status;
    }
  }
  return chosen;
}

}  // namespace

Result Authenticator::authenticate(http::fields& headers, std::string& target, bool is_options,
                                   const KeySets& keys, uint64_t now, TokenCache* cache,
                                   bool trace) const {
  Result result;
  if (providers_.empty()) {
    return result;
  }
  if (isCorsPreflight(headers, is_options)) {
    result.cors_bypassed = true;
    return result;
  }
  // Headers that carry verified data upstream must not come from the client.
  for (const auto& name : output_headers_) {
    headers.erase(name);
  }

  // istiod's requirement: any of the providers, or (for each provider: it or no token at its
  // locations). A provider that finds no token reports JwtMissed.
  std::vector<Status> statuses;
  for (const auto& provider : providers_) {
    ProviderOutcome outcome =
        runProvider(provider, headers, target, keys, now, cache, trace ? &result.tokens : nullptr);
    if (outcome.status == Status::Ok) {
      result.identity = std::move(outcome.identity);
      result.provider = &provider;
      if (!provider.forward_original_token) {
        for (const auto& token : outcome.tokens) {
          if (token.kind == FoundToken::Kind::Header) {
            headers.erase(token.location);
          } else if (token.kind == FoundToken::Kind::Param) {
            removeQueryParam(target, token.location);
          }  // cookies are never stripped
        }
      }
      addOutputHeaders(headers, provider, *result.identity);
      return result;
    }
    statuses.push_back(outcome.status);
    if (outcome.status == Status::JwksKidAlgMismatch) {
      result.unknown_kid_slots.push_back(provider.key_slot);
    }
  }

  // No provider accepted. The request passes only if no provider found a token; otherwise
  // the all-of branch fails with the first provider error.
  Status all_branch = Status::Ok;
  for (Status status : statuses) {
    if (status != Status::JwtMissed) {
      all_branch = status;
      break;
    }
  }
  if (all_branch == Status::Ok) {
    return result;
  }
  if (providers_.size() > 1) {
    statuses.push_back(all_branch);
  }
  result.status = combineFailures(statuses);
  return result;
}

void Authenticator::addOutputHeaders(http::fields& headers, const Provider& provider,
                                     const jwt::Jwt& token) {
  if (!provider.output_payload_to_header.empty()) {
    headers.insert(provider.output_payload_to_header, token.payload_b64);
  }
  for (const auto& claim : provider.output_claim_to_headers) {
    const boost::json::value* value = findClaim(token.payload, claim.claim);
    if (!value) {
      continue;
    }
    if (auto text = claimHeaderValue(*value)) {
      headers.insert(claim.header, *text);
    }
  }
}

}  // namespace portcullis::authn
