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

// Never throws. The whole exchange, connecting included, must finish within `timeout`;
// otherwise the response has status 0 and `error` "timed out". `request` must outlive the call.
boost::asio::awaitable<CheckResponse> send(upstream::Pool& pool, const snapshot::Endpoint& endpoint,
                                           std::chrono::milliseconds timeout,
                                           const CheckRequest& request);

}  // namespace portcullis::extauthz
