#include "extauthz/check.h"

#include <algorithm>
#include <cctype>

#include <boost/beast/core/string.hpp>

namespace portcullis::extauthz {
namespace {

namespace http = boost::beast::http;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         boost::beast::iequals(text.substr(0, prefix.size()), prefix);
}

bool endsWithNoCase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         boost::beast::iequals(text.substr(text.size() - suffix.size()), suffix);
}

// Headers that describe one message or one connection; a copy would corrupt the framing.
bool isFramingHeader(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "content-length",   "transfer-encoding", "connection", "keep-alive",
      "proxy-connection", "upgrade",           "te",         "trailer"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](std::string_view known) { return boost::beast::iequals(name, known); });
}

void setHeader(HeaderList& headers, std::string name, std::string value) {
  for (auto& [known, known_value] : headers) {
    if (known == name) {
      known_value = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace

Verdict classify(const CheckResponse& response) {
  if (response.status == 200) {
    return Verdict::Allow;
  }
  // A 1xx is never a final response, so it counts as a failure.
  if (response.status < 200 || response.status >= 500) {
    return Verdict::Error;
  }
  return Verdict::Deny;
}

bool headerListed(const std::vector<std::string>& patterns, std::string_view name) {
  for (const std::string& pattern : patterns) {
    if (pattern.size() > 1 && pattern.front() == '*') {
      if (endsWithNoCase(name, std::string_view(pattern).substr(1))) {
        return true;
      }
    } else if (!pattern.empty() && pattern.back() == '*') {
      if (startsWithNoCase(name, std::string_view(pattern).substr(0, pattern.size() - 1))) {
        return true;
      }
    } else if (boost::beast::iequals(name, pattern)) {
      return true;
    }
  }
  return false;
}

CheckRequest buildCheckRequest(const config::ExtAuthzHttpProvider& provider,
                               std::string_view method, std::string_view target,
                               const http::fields& headers, const HeaderList& forwarding) {
  CheckRequest check;
  check.method = method;
  check.target = provider.path_prefix;
  check.target.append(target);
  const auto& listed = provider.include_request_headers_in_check;
  // Envoy always passes Host and Authorization besides the pseudo-headers. Content-Length is
  // its own (0 without a body), so the client's is never copied.
  for (const auto& field : headers) {
    const std::string name = lower(field.name_string());
    const bool always = name == "host" || name == "authorization";
    if (isFramingHeader(name) || name == "expect" || (!always && !headerListed(listed, name))) {
      continue;
    }
    const bool replaced = std::any_of(forwarding.begin(), forwarding.end(),
                                      [&](const auto& header) { return header.first == name; });
    if (replaced) {
      continue;
    }
    auto same = std::find_if(check.headers.begin(), check.headers.end(),
                             [&](const auto& known) { return known.first == name; });
    if (same != check.headers.end()) {
      same->second += ',';
      same->second.append(field.value());
    } else {
      check.headers.emplace_back(name, std::string(field.value()));
    }
  }
  for (const auto& [name, value] : forwarding) {
    if (headerListed(listed, name)) {
      setHeader(check.headers, name, value);
    }
  }
  for (const auto& [name, value] : provider.include_additional_headers_in_check) {
    setHeader(check.headers, lower(name), value);
  }
  return check;
}

HeaderList deniedResponseHeaders(const config::ExtAuthzHttpProvider& provider,
                                 const CheckResponse& response) {
  HeaderList out;
  for (const auto& [name, value] : response.headers) {
    if (isFramingHeader(name) || name == "host" || name == "date" || name == "server") {
      continue;
    }
    const bool listed = provider.headers_to_downstream_on_deny.empty() ||
                        name == "www-authenticate" || name == "location" ||
                        headerListed(provider.headers_to_downstream_on_deny, name);
    if (listed) {
      out.emplace_back(name, value);
    }
  }
  return out;
}

HeaderList allowedHeaders(const std::vector<std::string>& patterns, const CheckResponse& response) {
  HeaderList out;
  for (const auto& [name, value] : response.headers) {
    if (!isFramingHeader(name) && name != "host" && headerListed(patterns, name)) {
      out.emplace_back(name, value);
    }
  }
  return out;
}

std::vector<std::string> headersToRemove(const CheckResponse& response) {
  std::vector<std::string> names;
  for (const auto& [name, value] : response.headers) {
    if (name != "x-envoy-auth-headers-to-remove") {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
        item.remove_prefix(1);
      }
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
        item.remove_suffix(1);
      }
      // Envoy never lets the provider remove Host or a pseudo-header. Its codec frames the body
      // itself, but here the framing headers must stay or the upstream would misread the body.
      if (!item.empty() && item.front() != ':' && !boost::beast::iequals(item, "host") &&
          !isFramingHeader(item)) {
        names.push_back(lower(item));
      }
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return names;
}

}  // namespace portcullis::extauthz
