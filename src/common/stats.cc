#include "common/stats.h"

namespace portcullis::stats {

std::string_view counterName(Counter counter) {
  switch (counter) {
    case Counter::DownstreamConnections:
      return "downstream_connections";
    case Counter::DownstreamConnectionsRefused:
      return "downstream_connections_refused";
    case Counter::DownstreamAcceptErrors:
      return "downstream_accept_errors";
    case Counter::DownstreamRequests:
      return "downstream_requests";
    case Counter::Responses1xx:
      return "responses_1xx";
    case Counter::Responses2xx:
      return "responses_2xx";
    case Counter::Responses3xx:
      return "responses_3xx";
    case Counter::Responses4xx:
      return "responses_4xx";
    case Counter::Responses5xx:
      return "responses_5xx";
    case Counter::JwtVerified:
      return "jwt_verified";
    case Counter::JwtRejected:
      return "jwt_rejected";
    case Counter::JwtCorsBypassed:
      return "jwt_cors_preflight_bypassed";
    case Counter::TokenCacheHits:
      return "token_cache_hits";
    case Counter::TokenCacheMisses:
      return "token_cache_misses";
    case Counter::RbacDenied:
      return "rbac_denied";
    case Counter::RouteNotFound:
      return "route_not_found";
    case Counter::UpstreamConnectFailures:
      return "upstream_connect_failures";
    case Counter::UpstreamTimeouts:
      return "upstream_timeouts";
    case Counter::UpstreamResets:
      return "upstream_resets";
    case Counter::UpstreamProtocolErrors:
      return "upstream_protocol_errors";
    case Counter::KeyRefetchesRequested:
      return "jwks_refetches_requested";
    case Counter::ExtAuthzAllowed:
      return "ext_authz_allowed";
    case Counter::ExtAuthzDenied:
      return "ext_authz_denied";
    case Counter::ExtAuthzErrors:
      return "ext_authz_errors";
    case Counter::ExtAuthzFailedOpen:
      return "ext_authz_failed_open";
    case Counter::kCount:
      break;
  }
  return "unknown";
}

std::string_view counterHelp(Counter counter) {
  switch (counter) {
    case Counter::DownstreamConnections:
      return "Client connections accepted.";
    case Counter::DownstreamConnectionsRefused:
      return "Client connections closed at once because the connection limit was reached.";
    case Counter::DownstreamAcceptErrors:
      return "Failed accept calls (for example, out of file descriptors).";
    case Counter::DownstreamRequests:
      return "Client requests whose header was read.";
    case Counter::Responses1xx:
    case Counter::Responses2xx:
    case Counter::Responses3xx:
    case Counter::Responses4xx:
    case Counter::Responses5xx:
      return "Responses sent to clients, by status class.";
    case Counter::JwtVerified:
      return "Requests whose JWT was verified.";
    case Counter::JwtRejected:
      return "Requests rejected by JWT authentication (401, or 403 for audiences).";
    case Counter::JwtCorsBypassed:
      return "CORS preflight requests that skipped JWT authentication.";
    case Counter::TokenCacheHits:
      return "Tokens found in the verified-token cache.";
    case Counter::TokenCacheMisses:
      return "Tokens parsed because the cache did not hold them.";
    case Counter::RbacDenied:
      return "Requests denied by authorization policies.";
    case Counter::RouteNotFound:
      return "Requests no route matched (404).";
    case Counter::UpstreamConnectFailures:
      return "Upstream connections that could not be opened (503).";
    case Counter::UpstreamTimeouts:
      return "Upstream requests that timed out (504).";
    case Counter::UpstreamResets:
      return "Upstream connections closed before the response header (503).";
    case Counter::UpstreamProtocolErrors:
      return "Upstream responses that were not valid HTTP/1.1 (502).";
    case Counter::KeyRefetchesRequested:
      return "Early JWKS fetches requested by tokens naming an unknown key id.";
    case Counter::ExtAuthzAllowed:
      return "External authorization checks the provider allowed (200).";
    case Counter::ExtAuthzDenied:
      return "External authorization checks the provider denied (a status other than 200 or 5xx).";
    case Counter::ExtAuthzErrors:
      return "External authorization checks that failed: 1xx, 5xx, no response or timeout.";
    case Counter::ExtAuthzFailedOpen:
      return "Failed external authorization checks whose request went on because of failOpen.";
    case Counter::kCount:
      break;
  }
  return "";
}

}  // namespace portcullis::stats
