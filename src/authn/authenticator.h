// RequestAuthentication at the gateway: finds tokens at each rule's locations, verifies them
// against the rule's keys, combines the per-rule outcomes the way istiod's generated Envoy
// jwt_authn configuration does, and edits the request (token stripping, output headers).
// Pure computation: keys are passed in, nothing here does I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http/fields.hpp>

#include "config/resources.h"
#include "jwt/audience.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/status.h"
#include "authn/token_cache.h"

namespace portcullis::authn {

// One jwtRule, ready to use. Providers are ordered by issuer, as istiod orders them.
struct Provider {
  std::string issuer;
  std::vector<std::string> audiences;
  jwt::AudienceChecker audience_checker{{}};  // built from `audiences`
  std::vector<config::JwtHeader> from_headers;  // defaults filled in: Authorization "Bearer "
  std::vector<std::string> from_params;         // defaults filled in: access_token
  std::vector<std::string> from_cookies;
  bool forward_original_token = false;
  std::string output_payload_to_header;
  std::vector<config::ClaimToHeader> output_claim_to_headers;
  std::vector<std::string> space_delimited_claims;
  uint64_t clock_skew_seconds = jwt::kClockSkewSeconds;  // tolerance for exp and nbf
  size_t key_slot = 0;  // index into the key sets passed to authenticate()
  std::string origin;   // "namespace/name jwtRules[i]" for logs and traces
};

// The key sets of the providers, indexed by Provider::key_slot. A null entry means no key set
// has loaded yet; tokens of that provider then fail with JwtVerificationFail, as under Istio
// 1.21 and later, where istiod substitutes a key that verifies nothing.
using KeySets = std::vector<std::shared_ptr<const jwt::Jwks>>;

// What happened to one token, for traces.
struct TokenOutcome {
  std::string provider;  // Provider::origin
  std::string location;  // "header authorization", "query access_token", "cookie session"
  jwt::Status status = jwt::Status::Ok;
};

struct Result {
  // Ok: the request may continue (with or without identity). Otherwise the status whose
  // message is the 401 body (403 for JwtAudienceNotAllowed).
  jwt::Status status = jwt::Status::Ok;
  std::shared_ptr<const jwt::Jwt> identity;  // the verified token, null if none
  const Provider* provider = nullptr;        // the provider that verified it
  bool cors_bypassed = false;  // a CORS preflight, let through without authentication
  std::vector<TokenOutcome> tokens;  // filled only when a trace was requested
  // Key slots of providers that failed with JwksKidAlgMismatch: their key sets may be stale.
  std::vector<size_t> unknown_kid_slots;
};

// HTTP status for a failed authentication: 403 for audience failures, 401 otherwise.
unsigned httpStatusFor(jwt::Status status);

class Authenticator {
 public:
  explicit Authenticator(std::vector<Provider> providers);

  // Builds providers from the jwtRules of the applicable RequestAuthentications. `rules` pairs
  // each rule with its policy's "namespace/name"; key_slot is the rule's index in `rules`.
  // `clock_skew_seconds` is the exp and nbf tolerance of every provider. The gateway keeps
  // Envoy's default, which istiod does not change; `portcullis token verify --skew` sets it.
  static std::shared_ptr<const Authenticator> compile(
      const std::vector<std::pair<std::string, const config::JwtRule*>>& rules,
      uint64_t clock_skew_seconds = jwt::kClockSkewSeconds);

  const std::vector<Provider>& providers() const { return providers_; }
  bool empty() const { return providers_.empty(); }

  // Authenticates one request. `headers` and `target` (path with query) are edited in place:
  // output headers are first removed from the client's request (even without a token); on
  // success the token's location is stripped unless forwardOriginalToken is set, and the
  // payload and claim headers are added. An OPTIONS request (`is_options`) with Origin and
  // Access-Control-Request-Method is a CORS preflight and skips authentication, as Envoy's
  // bypass_cors_preflight does. `now` is seconds since the epoch. `cache`, when given,
  // remembers parsed tokens and signature outcomes across requests of one worker. With
  // `trace`, Result::tokens lists every token examined.
  Result authenticate(boost::beast::http::fields& headers, std::string& target, bool is_options,
                      const KeySets& keys, uint64_t now, TokenCache* cache = nullptr,
                      bool trace = false) const;

 private:
  static void addOutputHeaders(boost::beast::http::fields& headers, const Provider& provider,
                               const jwt::Jwt& token);

  std::vector<Provider> providers_;
  std::vector<std::string> output_headers_;  // every header named in an output setting
};

}  // namespace portcullis::authn
