#include <algorithm>
#include <cctype>

#include "snapshot/snapshot.h"

namespace portcullis::snapshot {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool istartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Whether `host` (lower-case, no port) is covered by `domain`: "*", "*.suffix" or exact.
int domainMatchRank(std::string_view domain, std::string_view host) {
  if (domain == "*") {
    return 1;
  }
  if (domain.size() > 1 && domain[0] == '*') {
    const std::string_view suffix = domain.substr(1);  // ".example.com"
    if (host.size() > suffix.size() && iequals(host.substr(host.size() - suffix.size()), suffix)) {
      return 2 + static_cast<int>(suffix.size());
    }
    return 0;
  }
  return iequals(domain, host) ? 1 << 20 : 0;
}

std::string_view stripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  const size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

}  // namespace

bool StringMatcher::matches(std::string_view input) const {
  switch (kind) {
    case Kind::Exact:
      return ignore_case ? iequals(input, value) : input == value;
    case Kind::Prefix:
      return ignore_case ? istartsWith(input, value) : input.starts_with(value);
    case Kind::Regex:
      return regex && std::regex_match(input.begin(), input.end(), *regex);
    case Kind::Present:
      return true;
  }
  return false;
}

const VirtualHost* Listener::findVirtualHost(std::string_view host) const {
  const std::string_view bare = stripPort(host);
  const VirtualHost* best = nullptr;
  int best_rank = 0;
  for (const auto& vhost : virtual_hosts) {
    for (const auto& domain : vhost.domains) {
      const int rank = domainMatchRank(domain, bare);
      if (rank > best_rank) {
        best_rank = rank;
        best = &vhost;
      }
    }
  }
  return best;
}

const Listener* Snapshot::findListener(uint16_t listen_port) const {
  for (const auto& listener : listeners) {
    if (listener.listen_port == listen_port) {
      return &listener;
    }
  }
  return nullptr;
}

}  // namespace portcullis::snapshot
