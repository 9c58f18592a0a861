// Counters of the data plane. Each worker thread owns one Counters block and is its only
// writer, so an increment is a relaxed load and store on the thread's own cache lines with no
// locked instruction; the admin endpoint sums the blocks when it is scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::stats {

enum class Counter : size_t {
  DownstreamConnections,
  DownstreamConnectionsRefused,  // over the connection limit
  DownstreamAcceptErrors,
  DownstreamRequests,
  Responses1xx,
  Responses2xx,
  Responses3xx,
  Responses4xx,
  Responses5xx,
  JwtVerified,      // a token was verified and its identity used
  JwtRejected,      // 401 or 403 from authentication
  JwtCorsBypassed,  // a CORS preflight skipped authentication
  TokenCacheHits,
  TokenCacheMisses,
  RbacDenied,       // 403 from a DENY policy or a missing ALLOW match
  RouteNotFound,
  UpstreamConnectFailures,
  UpstreamTimeouts,
  UpstreamResets,
  UpstreamProtocolErrors,
  KeyRefetchesRequested,  // early JWKS fetches caused by an unknown kid
  ExtAuthzAllowed,        // ext_authz checks with a 200 response
  ExtAuthzDenied,         // ext_authz checks with a denial response
  ExtAuthzErrors,         // ext_authz checks that failed (1xx, 5xx, no response, timeout)
  ExtAuthzFailedOpen,     // failed ext_authz checks whose request went on (failOpen)
  kCount,
};

inline constexpr size_t kCounterCount = static_cast<size_t>(Counter::kCount);

// Prometheus metric name of a counter, without the "portcullis_" prefix and "_total" suffix.
std::string_view counterName(Counter counter);
// One-line help text of a counter.
std::string_view counterHelp(Counter counter);

class alignas(64) Counters {
 public:
  // Only the owning thread calls add().
  void add(Counter counter, uint64_t amount = 1) {
    auto& value = values_[static_cast<size_t>(counter)];
    value.store(value.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
  // Any thread may read.
  uint64_t get(Counter counter) const {
    return values_[static_cast<size_t>(counter)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, kCounterCount> values_{};
};

}  // namespace portcullis::stats
