// The trusted client address of a request (Envoy's "remote address" with use_remote_address
// set, as Istio configures gateways).
#pragma once

#include <cstdint>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

namespace portcullis::http {

// With `num_trusted_proxies` N = 0 the TCP peer. With N > 0 the N-th address counted from the
// right of X-Forwarded-For (all header lines joined with ','), or the peer when the list has
// fewer than N entries or that entry is not an IP address.
boost::asio::ip::address trustedClientAddress(const boost::beast::http::fields& headers,
                                              const boost::asio::ip::address& peer,
                                              uint32_t num_trusted_proxies);

// Parses an IP address; an IPv4-mapped IPv6 address becomes IPv4.
bool parseIp(std::string_view text, boost::asio::ip::address& out);

// The peer address with IPv4-mapped IPv6 turned into IPv4.
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);

}  // namespace portcullis::http
