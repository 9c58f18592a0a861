// A per-worker cache of parsed tokens and their signature outcomes, keyed by the token's
// bytes, so a token seen before costs a hash lookup instead of a parse and a signature check.
// Time, issuer and audience are still checked on every use, so a cached token is never
// accepted past its exp. A signature outcome is tied to the key set it was computed with: after
// a key rotation the token is verified again.
//
// Not thread-safe: each worker owns one cache.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/stats.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/status.h"

namespace portcullis::authn {

struct CachedToken {
  jwt::Status parse_status = jwt::Status::Ok;
  std::shared_ptr<const jwt::Jwt> jwt;  // set when parse_status is Ok
  // The key set the signature last verified with, and the last one it failed with. Holding
  // them keeps pointer comparison safe against reuse of freed addresses.
  std::shared_ptr<const jwt::Jwks> verified_with;
  std::shared_ptr<const jwt::Jwks> rejected_by;
  jwt::Status rejected_status = jwt::Status::Ok;
};

class TokenCache {
 public:
  // Holds at most `capacity` tokens (rounded up to a power of two). Tokens longer than
  // `max_token_bytes` are not cached. Hits and misses are added to `counters` when given.
  explicit TokenCache(size_t capacity = 4096, size_t max_token_bytes = 8192,
                      stats::Counters* counters = nullptr);

  // The entry for `token`, creating an empty one (parse_status Ok, jwt null) when absent and
  // replacing whatever shared its slot. Null when the token is too long to cache.
  CachedToken* slotFor(std::string_view token);

  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

 private:
  struct Slot {
    std::string token;
    CachedToken entry;
  };
  std::vector<Slot> slots_;
  size_t mask_;
  size_t max_token_bytes_;
  stats::Counters* counters_;
  size_t hits_ = 0;
  size_t misses_ = 0;
};

}  // namespace portcullis::authn
