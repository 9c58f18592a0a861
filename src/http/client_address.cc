#include "http/client_address.h"

#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>

#include "http/headers.h"

namespace portcullis::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

boost::asio::ip::address unmapped(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool parseIp(std::string_view text, boost::asio::ip::address& out) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return false;
  }
  out = unmapped(address);
  return true;
}

boost::asio::ip::address trustedClientAddress(const boost::beast::http::fields& headers,
                                              const boost::asio::ip::address& peer,
                                              uint32_t num_trusted_proxies) {
  if (num_trusted_proxies == 0) {
    return peer;
  }
  std::vector<std::string_view> entries;
  for (const auto& field : http::fieldsNamed(headers, "x-forwarded-for")) {
    std::string_view value = field.value();
    while (!value.empty()) {
      const size_t comma = value.find(',');
      entries.push_back(trim(value.substr(0, comma)));
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    }
  }
  if (entries.size() < num_trusted_proxies) {
    return peer;
  }
  boost::asio::ip::address address;
  if (!parseIp(entries[entries.size() - num_trusted_proxies], address)) {
    return peer;
  }
  return address;
}

}  // namespace portcullis::http
