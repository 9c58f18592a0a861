// A hand-built snapshot with one listener, for decide() tests: virtual hosts and routes are
// written as structs, and RequestAuthentication rules and AuthorizationPolicies are compiled
// the way the snapshot builder compiles them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "../authn/test_tokens.h"
#include "authn/authenticator.h"
#include "authz/engine.h"
#include "proxy/pipeline.h"
#include "snapshot/snapshot.h"

namespace portcullis::proxy::testing {

using namespace portcullis::testing;  // NOLINT(google-build-using-namespace): test helpers

inline snapshot::StringMatcher exact(std::string value) {
  snapshot::StringMatcher matcher;
  matcher.kind = snapshot::StringMatcher::Kind::Exact;
  matcher.value = std::move(value);
  return matcher;
}

inline snapshot::StringMatcher prefix(std::string value, bool ignore_case = false) {
  snapshot::StringMatcher matcher;
  matcher.kind = snapshot::StringMatcher::Kind::Prefix;
  matcher.value = std::move(value);
  matcher.ignore_case = ignore_case;
  return matcher;
}

// A route to cluster `cluster` with the given matches (none: matches everything).
inline snapshot::Route routeTo(size_t cluster, std::vector<snapshot::RouteMatch> matches = {},
                               std::string origin = "") {
  snapshot::Route route;
  route.matches = std::move(matches);
  route.clusters.push_back(snapshot::WeightedCluster{cluster, 1});
  route.origin = origin.empty() ? "route to cluster " + std::to_string(cluster) : origin;
  return route;
}

inline snapshot::RouteMatch pathPrefix(std::string value) {
  snapshot::RouteMatch match;
  match.path = prefix(std::move(value));
  return match;
}

// A policy in istio-system that applies to every workload of the mesh.
inline config::AuthorizationPolicy policy(std::string name,
                                          config::AuthorizationPolicy::Action action,
                                          std::vector<config::Rule> rules) {
  config::AuthorizationPolicy out;
  out.meta.kind = "AuthorizationPolicy";
  out.meta.ns = "istio-system";
  out.meta.name = std::move(name);
  out.action = action;
  out.has_rules = true;
  out.rules = std::move(rules);
  return out;
}

inline config::Rule toPaths(std::vector<std::string> paths) {
  config::Operation operation;
  operation.paths = std::move(paths);
  config::Rule rule;
  rule.to.push_back(std::move(operation));
  return rule;
}

inline config::Rule fromRequestPrincipals(std::vector<std::string> principals) {
  config::Source source;
  source.request_principals = std::move(principals);
  config::Rule rule;
  rule.from.push_back(std::move(source));
  return rule;
}

// Clusters, in this order: 0 "httpbin" with an endpoint, 1 "empty" without endpoints, 2
// "other" with an endpoint. Virtual host httpbin.example.com routes everything to cluster 0.
class Gateway {
 public:
  static constexpr size_t kHttpbin = 0;
  static constexpr size_t kEmpty = 1;
  static constexpr size_t kOther = 2;

  Gateway() {
    snapshot_.clusters = {
        snapshot::Cluster{"outbound|8000||httpbin.default.svc.cluster.local",
                          {snapshot::Endpoint{"127.0.0.1", 8000}}},
        snapshot::Cluster{"outbound|80||empty.default.svc.cluster.local", {}},
        snapshot::Cluster{"outbound|80||other.default.svc.cluster.local",
                          {snapshot::Endpoint{"127.0.0.1", 9000}}},
    };
    snapshot::Listener listener;
    listener.gateway_port = 80;
    listener.listen_port = 8080;
    listener.protocol = "HTTP";
    snapshot_.listeners.push_back(std::move(listener));
    addHost("httpbin.example.com", {routeTo(kHttpbin)});
    setRules({});
    setPolicies({});
  }

  snapshot::Snapshot& snapshot() { return snapshot_; }
  const snapshot::Snapshot& snapshot() const { return snapshot_; }
  snapshot::Listener& listener() { return snapshot_.listeners[0]; }

  void addHost(std::string domain, std::vector<snapshot::Route> routes) {
    listener().virtual_hosts.push_back(
        snapshot::VirtualHost{{std::move(domain)}, std::move(routes)});
  }

  // Replaces the listener's jwtRules. Key sets come from each rule's inline jwks.
  void setRules(std::vector<config::JwtRule> rules) {
    rules_ = std::move(rules);
    std::vector<std::pair<std::string, const config::JwtRule*>> refs;
    keys_.clear();
    for (size_t i = 0; i < rules_.size(); ++i) {
      refs.emplace_back("istio-system/jwt-example jwtRules[" + std::to_string(i) + "]", &rules_[i]);
      keys_.push_back(jwt::Jwks::parse(rules_[i].jwks));
    }
    listener().authn = authn::Authenticator::compile(refs);
  }

  void setPolicies(std::vector<config::AuthorizationPolicy> policies) {
    policies_ = std::move(policies);
    std::vector<const config::AuthorizationPolicy*> pointers;
    for (const auto& p : policies_) {
      pointers.push_back(&p);
    }
    listener().authz = authz::Engine::compile(pointers);
  }

  Outcome decide(Request& request, bool trace = false) const {
    DecideOptions options;
    options.now = kNow;
    options.trace = trace;
    return proxy::decide(snapshot_, snapshot_.listeners[0], keys_, request, options);
  }

 private:
  snapshot::Snapshot snapshot_;
  std::vector<config::JwtRule> rules_;
  std::vector<config::AuthorizationPolicy> policies_;
  authn::KeySets keys_;
};

// A GET for `target` on `host` from 10.0.0.9.
inline Request get(std::string target, std::string host = "httpbin.example.com") {
  Request request;
  request.method = "GET";
  request.target = std::move(target);
  request.headers.set(boost::beast::http::field::host, host);
  request.peer = boost::asio::ip::make_address("10.0.0.9");
  request.local = boost::asio::ip::make_address("10.0.0.1");
  request.local_port = 8080;
  return request;
}

inline Request withBearer(Request request, const std::string& token) {
  request.headers.set(boost::beast::http::field::authorization, "Bearer " + token);
  return request;
}

// The value of a local reply header, or "<absent>".
inline std::string replyHeader(const LocalReply& reply, std::string_view name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) {
      return value;
    }
  }
  return "<absent>";
}

}  // namespace portcullis::proxy::testing
