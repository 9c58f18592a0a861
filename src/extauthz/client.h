// Sends one check request to an ext_authz provider over HTTP/1.1 and reads its response, on the
// caller's worker and through its connection pool.
#pragma once

#include <chrono>

#include <boost/asio/awaitable.hpp>

#include "extauthz/check.h"
#include "snapshot/snapshot.h"
#include "upstream/pool.h"

namespace portcullis::extauthz {

// The maximum body size of a provider's response. A longer body makes the check fail.
inline constexpr size_t kMaxResponseBodyBytes = 1024 * 1024;
// The maximum header size of a provider's response, the gateway's limit for upstream responses.
// Session cookies of login providers are often several kilobytes.
inline constexpr size_t kMaxResponseHeaderBytes = 60 * 1024;

// Never throws. Connecting must finish within `connect_timeout` and the whole exchange within
// `timeout`, or the response has status 0 and `error` "timed out". Resolving a DNS name is not
// bounded by either. `request` must outlive the call.
boost::asio::awaitable<CheckResponse> send(upstream::Pool& pool, const snapshot::Endpoint& endpoint,
                                           std::chrono::milliseconds connect_timeout,
                                           std::chrono::milliseconds timeout,
                                           const CheckRequest& request);

}  // namespace portcullis::extauthz
