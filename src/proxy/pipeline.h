// The decision for one request: normalize, authenticate, authorize, route. The same code runs
// in `portcullis serve` for live traffic and in `portcullis check` offline, so both always give
// the same answer. No I/O happens here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include "authn/authenticator.h"
#include "authz/engine.h"
#include "extauthz/check.h"
#include "snapshot/snapshot.h"

namespace portcullis::proxy {

// A request as the gateway received it. The pipeline edits `target` and `headers` into what
// the upstream receives.
struct Request {
  std::string method;
  std::string target;  // request-target as received; normalized path and query afterwards
  boost::beast::http::fields headers;
  std::string scheme = "http";
  boost::asio::ip::address peer;   // TCP peer
  std::string peer_text;           // `peer` as text; computed when empty
  boost::asio::ip::address local;  // local address of the connection
  uint16_t local_port = 0;         // listener port
};

struct LocalReply {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides content-type/length
  std::string details;  // Envoy-style response code details for the access log
};

struct Forward {
  const snapshot::Route* route = nullptr;
  const snapshot::RouteMatch* match = nullptr;  // the match that selected the route, if any
  const snapshot::Cluster* cluster = nullptr;  // null: the route has no usable backend
  const snapshot::Endpoint* endpoint = nullptr;  // the endpoint of `cluster` to send to
  std::chrono::milliseconds timeout{0};
};

// A check request for an ext_authz provider, which the caller sends before calling resume().
struct ExtAuthzCall {
  const snapshot::ExtAuthzProvider* provider = nullptr;
  const snapshot::Endpoint* endpoint = nullptr;  // null: the provider's cluster has no endpoint
  extauthz::CheckRequest request;
  std::chrono::milliseconds timeout{0};
  bool at_workload = false;  // the destination workload's CUSTOM stage, not the gateway's
  std::string_view policy;   // "namespace/name" of the CUSTOM policy whose rule matched
};

// One check request and the provider's response, for the access log and `check --output`.
struct ExtAuthzExchange {
  std::string provider;
  std::string policy;
  bool at_workload = false;
  extauthz::CheckRequest request;
  extauthz::CheckResponse response;
  extauthz::Verdict verdict = extauthz::Verdict::Error;
};

// Everything the decision found, for the response, the access log and `check --output`.
struct Outcome {
  std::optional<LocalReply> reply;  // set: answer locally, do not forward
  // Set: the request is neither replied to nor forwarded yet. Send this check, then call
  // resume().
  std::optional<ExtAuthzCall> ext_authz;
  std::vector<ExtAuthzExchange> ext_authz_exchanges;  // completed checks, in order
  // Whether a CUSTOM stage's provider allowed the request (or it failed open), so that deciding
  // again after a key refetch does not ask it twice.
  bool gateway_custom_done = false;
  bool workload_custom_done = false;
  // A CUSTOM rule matched and the request was refused: by the provider, by its failure, or
  // because the workload has no provider that can be called.
  bool custom_refused = false;
  // Headers the provider sent for the client on an allow (headersToDownstreamOnAllow), added
  // to the upstream's response.
  extauthz::HeaderList response_headers;
  Forward forward;
  boost::asio::ip::address remote_ip;  // trusted client address
  authn::Result authn;
  authz::Decision authz;
  // The destination workload's stages, when the endpoint is a workload with policies.
  const snapshot::DestinationWorkload* workload = nullptr;
  authn::Result workload_authn;
  authz::Decision workload_authz;
  std::unique_ptr<authz::Trace> authz_trace;  // only when a trace was requested
  // Entries of authz_trace before this index are the gateway's; the workload's follow.
  size_t workload_trace_begin = 0;
  std::vector<std::string> notes;  // steps in words, only when a trace was requested
};

struct DecideOptions {
  uint64_t now = 0;  // seconds since the epoch, for exp and nbf
  bool trace = false;
  authn::TokenCache* token_cache = nullptr;  // the worker's cache, if any
  // Round-robin position over a cluster's endpoints (the worker's); null picks at random.
  uint64_t* endpoint_cursor = nullptr;
  // Key sets of Snapshot::workloads, by workload and key slot; null reads the key sources.
  const std::vector<authn::KeySets>* workload_keys = nullptr;
  // The gateway's CUSTOM stage already let this request through: deciding again after a key
  // refetch skips it.
  bool gateway_custom_done = false;
  // The x-request-id the upstream will receive; process() sets it. A check request carries it
  // when the provider lists x-request-id.
  std::string_view request_id;
};

// Runs the pipeline for `request` arriving on `listener`. `keys` holds the listener's key
// sets by Provider::key_slot.
Outcome decide(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
               const authn::KeySets& keys, Request& request, const DecideOptions& options);

// The whole pipeline as `serve` runs it: decide(), then for a forwarded request
// prepareUpstreamRequest() with `request_id` and, when the chosen endpoint is a workload with
// policies, that workload's authentication and authorization (its sidecar's stages), which
// may still answer locally.
Outcome process(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
                const authn::KeySets& keys, Request& request, const DecideOptions& options,
                const std::string& request_id);

// Continues process() where it stopped for outcome.ext_authz, with the provider's `response`.
// A denial or an error sets a local reply. An allow applies the provider's headers and runs the
// stages that follow, which may stop again for the destination workload's check.
void resume(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
            const authn::KeySets& keys, Request& request, const DecideOptions& options,
            const std::string& request_id, const extauthz::CheckResponse& response,
            Outcome& outcome);

// The destination workload stage of process(), for a request already prepared for the
// upstream: clears a previous verdict of that stage and decides again (used after fetching a
// workload's keys again).
void decideDestination(const snapshot::Snapshot& snapshot, const snapshot::Listener& listener,
                       Request& request, const DecideOptions& options, Outcome& outcome);

// Turns a forwarded request into what the upstream receives: hop-by-hop headers removed,
// x-forwarded-for, x-forwarded-proto and x-request-id set, the route's rewrites and header
// operations applied. Transfer-Encoding is left to the serializer.
void prepareUpstreamRequest(Request& request, const Outcome& outcome,
                            const std::string& request_id);

// Envoy's local reply for an upstream failure.
LocalReply upstreamFailureReply(unsigned status, std::string_view reason);

// A random UUID (version 4) for x-request-id.
std::string newRequestId();

// Removes the hop-by-hop headers of RFC 9110 section 7.6.1 and those named in Connection.
void removeHopByHopHeaders(boost::beast::http::fields& headers);

}  // namespace portcullis::proxy
