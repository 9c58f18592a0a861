// The HTTP protocol of an envoyExtAuthzHttp provider, without I/O: which request the provider
// receives for a client request, and what its response means. Envoy's HTTP ext_authz client
// defines the behaviour, and docs/ext_authz.md describes it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>

#include "config/resources.h"

namespace portcullis::extauthz {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The check request sent to the provider. Headers hold Host; Content-Length is added on the
// wire.
struct CheckRequest {
  std::string method;
  std::string target;  // pathPrefix + the client's normalized path and query
  HeaderList headers;  // lower-case names
};

// The provider's response. `status` is 0 when no response arrived, and `error` then gives the
// reason.
struct CheckResponse {
  unsigned status = 0;
  HeaderList headers;  // lower-case names, in received order
  std::string body;
  std::string error;
};

enum class Verdict {
  Allow,  // 200: the request goes on to the next stage
  Deny,   // any other status from 200 to 499: the client gets the provider's response
  Error,  // a 1xx or 5xx, no response, or a timeout: failOpen decides
};

Verdict classify(const CheckResponse& response);

// Whether a lower-case header name matches one of Istio's header patterns: an exact name,
// "prefix*" or "*suffix", compared without regard to case.
bool headerListed(const std::vector<std::string>& patterns, std::string_view name);

// The check request for a client request: the method, the path with pathPrefix, Host,
// Authorization and the headers of includeRequestHeadersInCheck, then the fixed headers of
// includeAdditionalHeadersInCheck, which replace client headers of the same name. Repeated
// client headers are joined with ",". `forwarding` contains the headers the gateway sets before any
// policy stage: x-forwarded-for with the peer appended, x-forwarded-proto and x-request-id.
// Where one of them is listed, its value replaces the client's. Hop-by-hop headers and Expect are never sent.
CheckRequest buildCheckRequest(const config::ExtAuthzHttpProvider& provider,
                               std::string_view method, std::string_view target,
                               const boost::beast::http::fields& headers,
                               const HeaderList& forwarding = {});

// The provider's headers that reach the client with a denial: those of headersToDownstreamOnDeny
// plus WWW-Authenticate and Location when that list is not empty, otherwise all of them. Framing
// and connection headers, Date and Server are never copied, because the gateway sets its own.
HeaderList deniedResponseHeaders(const config::ExtAuthzHttpProvider& provider,
                                 const CheckResponse& response);

// On an allow: the provider's headers listed in `patterns` (headersToUpstreamOnAllow or
// headersToDownstreamOnAllow).
HeaderList allowedHeaders(const std::vector<std::string>& patterns, const CheckResponse& response);

// On an allow: the request headers that x-envoy-auth-headers-to-remove names, except Host,
// pseudo-headers and the headers that frame the request body.
std::vector<std::string> headersToRemove(const CheckResponse& response);

}  // namespace portcullis::extauthz
