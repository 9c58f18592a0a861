// Routing helpers: StringMatcher kinds, virtual-host selection by Host header (exact domain,
// then the longest wildcard suffix, then "*"), and listener lookup by port.
#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "snapshot/snapshot.h"

namespace portcullis::snapshot {
namespace {

StringMatcher matcher(StringMatcher::Kind kind, std::string value, bool ignore_case = false) {
  StringMatcher out;
  out.kind = kind;
  out.value = std::move(value);
  out.ignore_case = ignore_case;
  if (kind == StringMatcher::Kind::Regex) {
    auto flags = std::regex::ECMAScript;
    if (ignore_case) {
      flags |= std::regex::icase;
    }
    out.regex = std::make_shared<const std::regex>(out.value, flags);
  }
  return out;
}

using Kind = StringMatcher::Kind;

TEST(StringMatcher, Exact) {
  const StringMatcher m = matcher(Kind::Exact, "/headers");
  EXPECT_TRUE(m.matches("/headers"));
  EXPECT_FALSE(m.matches("/headers/"));
  EXPECT_FALSE(m.matches("/Headers"));
  EXPECT_FALSE(m.matches(""));
}

TEST(StringMatcher, ExactIgnoringCase) {
  const StringMatcher m = matcher(Kind::Exact, "/Headers", true);
  EXPECT_TRUE(m.matches("/hEADERS"));
  EXPECT_FALSE(m.matches("/headers2"));
}

TEST(StringMatcher, Prefix) {
  const StringMatcher m = matcher(Kind::Prefix, "/status");
  EXPECT_TRUE(m.matches("/status"));
  EXPECT_TRUE(m.matches("/status/200"));
  EXPECT_TRUE(m.matches("/statusx"));
  EXPECT_FALSE(m.matches("/Status/200"));
  EXPECT_FALSE(m.matches("/stat"));
}

TEST(StringMatcher, PrefixIgnoringCase) {
  const StringMatcher m = matcher(Kind::Prefix, "/status", true);
  EXPECT_TRUE(m.matches("/STATUS/200"));
  EXPECT_FALSE(m.matches("/STAT"));
}

TEST(StringMatcher, EmptyPrefixMatchesAll) {
  EXPECT_TRUE(matcher(Kind::Prefix, "").matches(""));
  EXPECT_TRUE(matcher(Kind::Prefix, "").matches("/anything"));
}

TEST(StringMatcher, RegexMatchesWholeInput) {
  // Envoy's safe_regex matches the whole value, not a substring.
  const StringMatcher m = matcher(Kind::Regex, "/ip[0-9]+");
  EXPECT_TRUE(m.matches("/ip42"));
  EXPECT_FALSE(m.matches("/ip42/x"));
  EXPECT_FALSE(m.matches("x/ip42"));
}

TEST(StringMatcher, RegexIgnoringCase) {
  EXPECT_TRUE(matcher(Kind::Regex, "/a+", true).matches("/AAA"));
}

TEST(StringMatcher, RegexWithoutCompiledPatternNeverMatches) {
  StringMatcher m;
  m.kind = Kind::Regex;
  m.value = ".*";
  EXPECT_FALSE(m.matches("anything"));
}

TEST(StringMatcher, PresentMatchesAnything) {
  EXPECT_TRUE(matcher(Kind::Present, "").matches(""));
  EXPECT_TRUE(matcher(Kind::Present, "").matches("value"));
}

// A listener with one virtual host per domain, each holding one route whose origin names the
// domain, so tests can see which host was picked.
Listener listenerWith(std::initializer_list<std::string> domains) {
  Listener listener;
  for (const auto& domain : domains) {
    VirtualHost vhost;
    vhost.domains = {domain};
    Route route;
    route.origin = domain;
    vhost.routes.push_back(route);
    listener.virtual_hosts.push_back(vhost);
  }
  return listener;
}

std::string picked(const Listener& listener, std::string_view host) {
  const VirtualHost* vhost = listener.findVirtualHost(host);
  return vhost ? vhost->routes.front().origin : "<none>";
}

TEST(FindVirtualHost, ExactDomain) {
  const Listener listener = listenerWith({"*", "*.example.com", "api.example.com"});
  EXPECT_EQ(picked(listener, "api.example.com"), "api.example.com");
}

TEST(FindVirtualHost, ExactBeatsWildcardWhateverTheOrder) {
  const Listener listener = listenerWith({"api.example.com", "*.example.com", "*"});
  EXPECT_EQ(picked(listener, "api.example.com"), "api.example.com");
}

TEST(FindVirtualHost, LongestWildcardSuffixWins) {
  const Listener listener = listenerWith({"*.com", "*.example.com", "*.api.example.com"});
  EXPECT_EQ(picked(listener, "v1.api.example.com"), "*.api.example.com");
  EXPECT_EQ(picked(listener, "www.example.com"), "*.example.com");
  EXPECT_EQ(picked(listener, "other.com"), "*.com");
}

TEST(FindVirtualHost, WildcardNeedsNonEmptyLabel) {
  const Listener listener = listenerWith({"*.example.com"});
  EXPECT_EQ(picked(listener, "example.com"), "<none>");
  EXPECT_EQ(picked(listener, ".example.com"), "<none>");
}

TEST(FindVirtualHost, StarIsFallback) {
  const Listener listener = listenerWith({"api.example.com", "*"});
  EXPECT_EQ(picked(listener, "unknown.test"), "*");
}

TEST(FindVirtualHost, NoMatch) {
  const Listener listener = listenerWith({"api.example.com"});
  EXPECT_EQ(picked(listener, "web.example.com"), "<none>");
  EXPECT_EQ(picked(listener, ""), "<none>");
}

TEST(FindVirtualHost, IgnoresPort) {
  const Listener listener = listenerWith({"api.example.com"});
  EXPECT_EQ(picked(listener, "api.example.com:8080"), "api.example.com");
}

TEST(FindVirtualHost, IgnoresCase) {
  const Listener listener = listenerWith({"api.example.com", "*.example.org"});
  EXPECT_EQ(picked(listener, "API.Example.COM"), "api.example.com");
  EXPECT_EQ(picked(listener, "WWW.EXAMPLE.ORG"), "*.example.org");
}

TEST(FindVirtualHost, BracketedIpv6) {
  const Listener listener = listenerWith({"[::1]"});
  EXPECT_EQ(picked(listener, "[::1]:8080"), "[::1]");
  EXPECT_EQ(picked(listener, "[::1]"), "[::1]");
}

TEST(FindVirtualHost, HostWithSeveralDomains) {
  Listener listener;
  VirtualHost vhost;
  vhost.domains = {"a.example.com", "b.example.com"};
  listener.virtual_hosts.push_back(vhost);
  EXPECT_EQ(listener.findVirtualHost("b.example.com"), &listener.virtual_hosts[0]);
}

TEST(FindListener, ByListenPort) {
  Snapshot snapshot;
  snapshot.listeners.resize(2);
  snapshot.listeners[0].listen_port = 8080;
  snapshot.listeners[1].listen_port = 8443;
  EXPECT_EQ(snapshot.findListener(8443), &snapshot.listeners[1]);
  EXPECT_EQ(snapshot.findListener(8080), &snapshot.listeners[0]);
  EXPECT_EQ(snapshot.findListener(80), nullptr);
}

}  // namespace
}  // namespace portcullis::snapshot
