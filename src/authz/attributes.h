// What authorization policies can see of one request, after path normalization and JWT
// authentication. Views point into storage owned by the caller for the duration of a call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include "jwt/jwt.h"

namespace portcullis::authz {

// The verified JWT of a request, as `request.auth.*` attributes read it.
struct Identity {
  const jwt::Jwt* jwt = nullptr;
  // Claims whose string values are split on spaces before matching, in addition to the
  // always-split "scope" and "permission" (RequestAuthentication spaceDelimitedClaims).
  const std::vector<std::string>* space_delimited_claims = nullptr;
};

struct RequestAttributes {
  std::string_view method;
  std::string_view host;  // :authority as sent, port included when present
  std::string_view path;  // normalized path without query string and fragment
  const boost::beast::http::fields* headers = nullptr;  // after authentication changed them
  boost::asio::ip::address source_ip;       // TCP peer (source.ip, ipBlocks)
  boost::asio::ip::address remote_ip;       // trusted client address (remote.ip, remoteIpBlocks)
  boost::asio::ip::address destination_ip;  // local address of the connection
  uint16_t destination_port = 0;            // local (listener) port
  std::string_view sni;                     // TLS server name, empty on plain HTTP
  // mTLS identity of the peer, "<trust domain>/ns/<namespace>/sa/<service account>". Empty at
  // the gateway, whose clients present none; set when a destination workload's policies see
  // the gateway as their peer.
  std::string_view peer_principal;
  const Identity* identity = nullptr;       // null when no JWT was verified
};

}  // namespace portcullis::authz
