// The compiled, immutable form of one configuration: listeners with their security stages and
// routes, and the upstream clusters routes point at. Built on the control thread, then shared
// read-only by every worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "authn/authenticator.h"
#include "authz/engine.h"
#include "config/loader.h"
#include "config/resources.h"
#include "jwks/key_source.h"

namespace portcullis::snapshot {

// The gateway as Istio sees it: a workload with a namespace and labels. Gateway API gateways
// are workloads of their own, named by the Gateway object.
struct Workload {
  std::string ns;
  config::Labels labels;
  std::string k8s_gateway_name;  // set for Gateway API gateways

  std::string describe() const;
};

struct Endpoint {
  std::string host;  // IP literal, or a DNS name resolved at connect time
  uint16_t port = 0;
  // Index into Snapshot::workloads of the workload behind this endpoint, -1 for a plain
  // backend. A workload is an endpoint with labels (ServiceEntry endpoint or WorkloadEntry);
  // its policies are enforced after the gateway's, as its sidecar would in a mesh.
  int workload = -1;
};

// An envoyExtAuthzHttp extension provider and the cluster it calls.
struct ExtAuthzProvider {
  std::string name;
  config::ExtAuthzHttpProvider http;
  size_t cluster = 0;  // index into Snapshot::clusters
};

// The outcome of a request that matches a CUSTOM rule of a workload's policies.
struct CustomAction {
  int provider = -1;  // index into Snapshot::ext_authz_providers; -1: the request is denied
  // With provider -1, why: istiod turns the CUSTOM rules of a provider it cannot use into
  // DENY rules.
  std::string denial;
};

// A workload behind a route and the policies that select it.
struct DestinationWorkload {
  Workload workload;
  std::string origin;  // "WorkloadEntry foo/httpbin-v1", "ServiceEntry foo/httpbin endpoint 0"
  std::shared_ptr<const authn::Authenticator> authn;
  std::vector<std::shared_ptr<jwks::KeySource>> key_sources;  // by Provider::key_slot
  std::shared_ptr<const authz::Engine> authz;
  CustomAction custom;

  bool enforces() const {
    return (authn && !authn->empty()) || (authz && !authz->empty());
  }
};

struct Cluster {
  std::string name;  // Istio's form: outbound|<port>||<host>
  std::vector<Endpoint> endpoints;
};


struct StringMatcher {
  enum class Kind { Exact, Prefix, Regex, Present };
  Kind kind = Kind::Exact;
  std::string value;
  std::shared_ptr<const std::regex> regex;
  bool ignore_case = false;

  bool matches(std::string_view input) const;
};

struct HeaderMatcher {
  std::string name;  // lower-case header name
  std::vector<std::string> claim_path;  // set: match a verified JWT claim instead of a header
  StringMatcher matcher;
  bool invert = false;  // withoutHeaders
};

struct RouteMatch {
  std::optional<StringMatcher> path;
  std::optional<StringMatcher> method;
  std::optional<StringMatcher> authority;
  std::optional<StringMatcher> scheme;
  std::vector<HeaderMatcher> headers;
  std::vector<std::pair<std::string, StringMatcher>> query_params;
  std::optional<uint32_t> port;  // gateway port
};

struct WeightedCluster {
  size_t cluster = 0;  // index into Snapshot::clusters
  uint32_t weight = 1;
};

struct Route {
  std::vector<RouteMatch> matches;  // any may match; empty matches everything
  std::vector<WeightedCluster> clusters;
  std::optional<std::string> rewrite_prefix;  // replaces the matched path prefix
  std::optional<std::string> rewrite_authority;
  std::chrono::milliseconds timeout{0};  // 0: no overall limit
  config::HeaderOperations request_headers;
  config::HeaderOperations response_headers;
  std::string origin;  // "VirtualService foo/httpbin http[0]"
};

struct VirtualHost {
  std::vector<std::string> domains;  // lower-case: "example.com", "*.example.com", "*"
  std::vector<Route> routes;
};

struct Listener {
  uint32_t gateway_port = 0;
  uint16_t listen_port = 0;
  std::string protocol;
  Workload workload;
  // The gateway's mTLS identity as destination workloads see it,
  // "cluster.local/ns/<namespace>/sa/<service account>".
  std::string principal;
  std::shared_ptr<const authn::Authenticator> authn;
  std::vector<std::shared_ptr<jwks::KeySource>> key_sources;  // by Provider::key_slot
  std::shared_ptr<const authz::Engine> authz;
  CustomAction custom;
  std::vector<VirtualHost> virtual_hosts;
  std::vector<std::string> origins;  // gateway objects that declared this port

  // The virtual host for `host` (port ignored), most specific domain first.
  const VirtualHost* findVirtualHost(std::string_view host) const;
};

struct Snapshot {
  uint64_t version = 0;
  std::vector<Listener> listeners;
  std::vector<Cluster> clusters;
  std::vector<DestinationWorkload> workloads;
  std::vector<ExtAuthzProvider> ext_authz_providers;
  config::MeshConfig mesh;

  const Listener* findListener(uint16_t listen_port) const;
};

// Gateway port -> port to listen on.
using PortMap = std::map<uint32_t, uint16_t>;

struct BuildOptions {
  Workload workload;  // identity of this process for Istio Gateway objects
  PortMap port_map;
};

struct BuildResult {
  std::shared_ptr<const Snapshot> snapshot;  // null when an error prevents serving
  std::vector<config::Diagnostic> diagnostics;
};

BuildResult build(const config::ResourceSet& resources, const BuildOptions& options,
                  jwks::KeySourceProvider& keys);

// Policy attachment: whether a RequestAuthentication or AuthorizationPolicy in namespace
// `policy_ns` with `target` applies to `workload`, given the mesh root namespace.
bool policyApplies(const config::WorkloadTarget& target, const std::string& policy_ns,
                   const Workload& workload, const std::string& root_namespace);

// Parses "80=8080,443=8443".
std::optional<PortMap> parsePortMap(std::string_view text, std::string& error);

// Parses "k=v,k2=v2".
std::optional<config::Labels> parseLabels(std::string_view text, std::string& error);

}  // namespace portcullis::snapshot
