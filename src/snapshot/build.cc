// Compiles a ResourceSet into a Snapshot: listeners from Istio and Gateway API gateways, their
// routes from VirtualServices and HTTPRoutes, clusters from ServiceEntries, and the security
// policies that apply to each listener's workload.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>

#include "snapshot/snapshot.h"

namespace portcullis::snapshot {
namespace {

using config::Diagnostic;

constexpr std::string_view kGatewayNameLabel = "gateway.networking.k8s.io/gateway-name";
constexpr std::string_view kIstioGatewayNameLabel = "istio.io/gateway-name";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The hostname both patterns accept, if any: "*" and "*.suffix" wildcards.
std::optional<std::string> intersectHosts(const std::string& a_in, const std::string& b_in) {
  const std::string a = lower(a_in);
  const std::string b = lower(b_in);
  if (a == "*") {
    return b;
  }
  if (b == "*") {
    return a;
  }
  const bool a_wild = a.starts_with("*.");
  const bool b_wild = b.starts_with("*.");
  if (a_wild && b_wild) {
    if (endsWith(a, b.substr(1))) {
      return a;
    }
    if (endsWith(b, a.substr(1))) {
      return b;
    }
    return std::nullopt;
  }
  if (a_wild) {
    return endsWith(b, a.substr(1)) ? std::optional(b) : std::nullopt;
  }
  if (b_wild) {
    return endsWith(a, b.substr(1)) ? std::optional(a) : std::nullopt;
  }
  return a == b ? std::optional(a) : std::nullopt;
}

std::string objectName(const config::ObjectMeta& meta) {
  return meta.kind + " " + meta.ns + "/" + meta.name;
}

bool labelsContain(const config::Labels& labels, const config::Labels& selector) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

StringMatcher compileStringMatch(const config::StringMatch& match, bool ignore_case) {
  StringMatcher out;
  out.value = match.value;
  out.ignore_case = ignore_case;
  switch (match.kind) {
    case config::StringMatch::Kind::Exact:
      out.kind = StringMatcher::Kind::Exact;
      break;
    case config::StringMatch::Kind::Prefix:
      out.kind = StringMatcher::Kind::Prefix;
      break;
    case config::StringMatch::Kind::Regex: {
      out.kind = StringMatcher::Kind::Regex;
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (ignore_case) {
        flags |= std::regex::icase;
      }
      // The loader has compiled every regex once already, so this cannot throw.
      out.regex = std::make_shared<const std::regex>(match.value, flags);
      break;
    }
    case config::StringMatch::Kind::Present:
      out.kind = StringMatcher::Kind::Present;
      break;
  }
  return out;
}

// Splits "@request.auth.claims.a.b" or "@request.auth.claims[a][b]" into {"a", "b"}.
std::vector<std::string> claimPath(std::string_view key) {
  constexpr std::string_view kPrefix = "@request.auth.claims";
  std::string_view rest = key.substr(kPrefix.size());
  std::vector<std::string> path;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty()) {
      const size_t dot = rest.find('.');
      path.emplace_back(rest.substr(0, dot));
      rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    }
    return path;
  }
  while (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      break;
    }
    path.emplace_back(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  }
  return path;
}

class Builder {
 public:
  Builder(const config::ResourceSet& resources, const BuildOptions& options,
          jwks::KeySourceProvider& keys)
      : resources_(resources), options_(options), keys_(keys) {}

  BuildResult run() {
    snapshot_->mesh = resources_.mesh;
    addIstioGateways();
    addK8sGateways();
    attachSecurity();
    if (snapshot_->listeners.empty()) {
      note(Diagnostic::Severity::Warning, {}, "", "",
           "no Gateway selects this gateway (" + options_.workload.describe() +
               "), so no port is served");
    }
    BuildResult result;
    const bool failed = std::any_of(diagnostics_.begin(), diagnostics_.end(), [](const auto& d) {
      return d.severity == Diagnostic::Severity::Error;
    });
    if (!failed) {
      static std::atomic<uint64_t> next_version{1};
      snapshot_->version = next_version++;
      result.snapshot = std::move(snapshot_);
    }
    result.diagnostics = std::move(diagnostics_);
    return result;
  }

 private:
  void note(Diagnostic::Severity severity, const config::SourceLocation& location,
            std::string object, std::string field, std::string message) {
    diagnostics_.push_back(Diagnostic{severity, location, std::move(object), std::move(field),
                                      std::move(message)});
  }

  uint16_t listenPortFor(uint32_t gateway_port) const {
    auto it = options_.port_map.find(gateway_port);
    return it != options_.port_map.end() ? it->second : static_cast<uint16_t>(gateway_port);
  }

  // The listener for a gateway port, created on first use. Null when the port is taken by a
  // different workload, which this process cannot serve on one socket.
  Listener* listenerFor(uint32_t gateway_port, const std::string& protocol,
                        const Workload& workload, const std::string& origin,
                        const config::SourceLocation& location) {
    const uint16_t listen_port = listenPortFor(gateway_port);
    for (auto& listener : snapshot_->listeners) {
      if (listener.listen_port != listen_port) {
        continue;
      }
      if (listener.workload.ns != workload.ns || listener.workload.labels != workload.labels) {
        note(Diagnostic::Severity::Error, location, origin, "",
             "port " + std::to_string(gateway_port) + " (listening on " +
                 std::to_string(listen_port) + ") is already used by " +
                 listener.origins.front() + " for another gateway workload; give one of them "
                 "another port");
        return nullptr;
      }
      if (std::find(listener.origins.begin(), listener.origins.end(), origin) ==
          listener.origins.end()) {
        listener.origins.push_back(origin);
      }
      return &listener;
    }
    Listener listener;
    listener.gateway_port = gateway_port;
    listener.listen_port = listen_port;
    listener.protocol = protocol;
    listener.workload = workload;
    // The service accounts Istio gives its ingress gateway and Gateway API deployments.
    // NOTE: the trust domain is the mesh default; meshConfig.trustDomain is not read yet.
    listener.principal = "cluster.local/ns/" + workload.ns + "/sa/" +
                         (workload.k8s_gateway_name.empty()
                              ? std::string("istio-ingressgateway-service-account")
                              : workload.k8s_gateway_name + "-istio");
    listener.origins.push_back(origin);
    snapshot_->listeners.push_back(std::move(listener));
    return &snapshot_->listeners.back();
  }

  static VirtualHost& virtualHostFor(Listener& listener, const std::string& domain) {
    for (auto& vhost : listener.virtual_hosts) {
      if (vhost.domains.front() == domain) {
        return vhost;
      }
    }
    listener.virtual_hosts.push_back(VirtualHost{{domain}, {}});
    return listener.virtual_hosts.back();
  }

  // ------------------------------------------------------------------------------------------
  // Clusters

  const config::ServiceEntry* findServiceEntry(const std::string& host) const {
    const config::ServiceEntry* wildcard = nullptr;
    for (const auto& entry : resources_.service_entries) {
      for (const auto& candidate : entry.hosts) {
        if (lower(candidate) == lower(host)) {
          return &entry;
        }
        if (!wildcard && candidate.starts_with("*") && intersectHosts(candidate, host)) {
          wildcard = &entry;
        }
      }
    }
    return wildcard;
  }

  // The index in Snapshot::workloads of the workload (namespace, labels), added on first use.
  int workloadFor(const std::string& ns, const config::Labels& labels, std::string origin) {
    for (size_t i = 0; i < snapshot_->workloads.size(); ++i) {
      const auto& known = snapshot_->workloads[i].workload;
      if (known.ns == ns && known.labels == labels) {
        return static_cast<int>(i);
      }
    }
    DestinationWorkload workload;
    workload.workload.ns = ns;
    workload.workload.labels = labels;
    workload.origin = std::move(origin);
    snapshot_->workloads.push_back(std::move(workload));
    return static_cast<int>(snapshot_->workloads.size() - 1);
  }

  // With `workloads` false, endpoints stay plain backends whatever their labels.
  std::vector<Endpoint> endpointsOf(const config::ServiceEntry& entry,
                                    const config::ServiceEntryPort& port, const std::string& host,
                                    bool workloads = true) {
    std::vector<Endpoint> endpoints;
    const uint32_t default_port = port.target_port != 0 ? port.target_port : port.number;
    for (size_t i = 0; i < entry.endpoints.size(); ++i) {
      const auto& endpoint = entry.endpoints[i];
      auto it = endpoint.ports.find(port.name);
      const uint32_t target = it != endpoint.ports.end() ? it->second : default_port;
      Endpoint out{endpoint.address, static_cast<uint16_t>(target)};
      if (workloads && !endpoint.labels.empty()) {
        out.workload = workloadFor(entry.meta.ns, endpoint.labels,
                                   objectName(entry.meta) + " endpoint " + std::to_string(i));
      }
      endpoints.push_back(std::move(out));
    }
    if (entry.workload_selector) {
      // WorkloadEntries of the ServiceEntry's namespace whose labels the selector matches.
      // istiod merges metadata.labels into spec.labels, the metadata value winning a conflict.
      for (const auto& workload_entry : resources_.workload_entries) {
        config::Labels labels = workload_entry.endpoint.labels;
        for (const auto& [key, value] : workload_entry.meta.labels) {
          labels[key] = value;
        }
        if (workload_entry.meta.ns != entry.meta.ns ||
            !labelsContain(labels, *entry.workload_selector)) {
          continue;
        }
        const auto& endpoint = workload_entry.endpoint;
        auto it = endpoint.ports.find(port.name);
        const uint32_t target = it != endpoint.ports.end() ? it->second : default_port;
        Endpoint out{endpoint.address, static_cast<uint16_t>(target)};
        if (workloads) {
          out.workload =
              workloadFor(workload_entry.meta.ns, labels, objectName(workload_entry.meta));
        }
        endpoints.push_back(std::move(out));
      }
    }
    if (endpoints.empty() && (entry.resolution == config::ServiceEntry::Resolution::Dns ||
                              entry.resolution == config::ServiceEntry::Resolution::DnsRoundRobin)) {
      // DNS resolution without endpoints resolves the host itself.
      endpoints.push_back(Endpoint{host, static_cast<uint16_t>(default_port)});
    }
    return endpoints;
  }

  std::optional<size_t> clusterFor(const std::string& host, std::optional<uint32_t> port,
                                   const std::string& origin,
                                   const config::SourceLocation& location) {
    const config::ServiceEntry* entry = findServiceEntry(host);
    const config::ServiceEntryPort* entry_port = nullptr;
    if (entry) {
      for (const auto& candidate : entry->ports) {
        if (!port || candidate.number == *port) {
          entry_port = &candidate;
          if (port) {
            break;
          }
        }
      }
      if (!port && entry->ports.size() > 1) {
        note(Diagnostic::Severity::Error, location, origin, "destination.port",
             "destination " + host + " has several ports in " + objectName(entry->meta) +
                 "; set the port number to one of them");
        return std::nullopt;
      }
    }
    const uint32_t number = port.value_or(entry_port ? entry_port->number : 80);
    const std::string name = "outbound|" + std::to_string(number) + "||" + host;
    if (auto it = cluster_index_.find(name); it != cluster_index_.end()) {
      return it->second;
    }
    Cluster cluster;
    cluster.name = name;
    if (!entry) {
      note(Diagnostic::Severity::Warning, location, origin, "destination.host",
           "no ServiceEntry declares host " + host +
               ", so requests routed to it get 503; add a ServiceEntry with its endpoints");
    } else if (!entry_port) {
      note(Diagnostic::Severity::Warning, location, origin, "destination.port",
           objectName(entry->meta) + " has no port " + std::to_string(number) +
               ", so requests routed to it get 503");
    } else {
      cluster.endpoints = endpointsOf(*entry, *entry_port, host);
    }
    snapshot_->clusters.push_back(std::move(cluster));
    cluster_index_[name] = snapshot_->clusters.size() - 1;
    return snapshot_->clusters.size() - 1;
  }

  // ------------------------------------------------------------------------------------------
  // Istio Gateway + VirtualService

  // Whether `vs` may bind to server host `server_host` ("host", "ns/host", "*/host",
  // "./host") of a Gateway in `gateway_ns`; returns the host part when it may.
  static std::optional<std::string> serverHostFor(const std::string& server_host,
                                                  const std::string& gateway_ns,
                                                  const std::string& vs_ns) {
    const size_t slash = server_host.find('/');
    if (slash == std::string::npos) {
      return server_host;
    }
    const std::string ns = server_host.substr(0, slash);
    if (ns == "*" || ns == vs_ns || (ns == "." && gateway_ns == vs_ns)) {
      return server_host.substr(slash + 1);
    }
    return std::nullopt;
  }

  static bool virtualServiceBinds(const config::VirtualService& vs,
                                  const config::IstioGateway& gateway) {
    for (const auto& ref : vs.gateways) {
      const size_t slash = ref.find('/');
      const std::string ns = slash == std::string::npos ? vs.meta.ns : ref.substr(0, slash);
      const std::string name = slash == std::string::npos ? ref : ref.substr(slash + 1);
      if (ns == gateway.meta.ns && name == gateway.meta.name) {
        return true;
      }
    }
    return false;
  }

  static bool matchNamesGateway(const config::HttpMatchRequest& match,
                                const config::IstioGateway& gateway, const std::string& vs_ns) {
    if (match.gateways.empty()) {
      return true;
    }
    for (const auto& ref : match.gateways) {
      const size_t slash = ref.find('/');
      const std::string ns = slash == std::string::npos ? vs_ns : ref.substr(0, slash);
      const std::string name = slash == std::string::npos ? ref : ref.substr(slash + 1);
      if (ns == gateway.meta.ns && name == gateway.meta.name) {
        return true;
      }
    }
    return false;
  }

  RouteMatch compileMatch(const config::HttpMatchRequest& match) {
    RouteMatch out;
    if (match.uri) {
      out.path = compileStringMatch(*match.uri, match.ignore_uri_case);
    }
    if (match.method) {
      out.method = compileStringMatch(*match.method, false);
    }
    if (match.authority) {
      out.authority = compileStringMatch(*match.authority, false);
    }
    if (match.scheme) {
      out.scheme = compileStringMatch(*match.scheme, false);
    }
    auto add_headers = [&](const auto& headers, bool invert) {
      for (const auto& [name, value] : headers) {
        HeaderMatcher header;
        header.name = lower(name);
        header.invert = invert;
        header.matcher = compileStringMatch(value, false);
        if (header.name.starts_with("@request.auth.claims")) {
          header.claim_path = claimPath(name);
        }
        out.headers.push_back(std::move(header));
      }
    };
    add_headers(match.headers, false);
    add_headers(match.without_headers, true);
    for (const auto& [name, value] : match.query_params) {
      out.query_params.emplace_back(name, compileStringMatch(value, false));
    }
    out.port = match.port;
    return out;
  }

  std::optional<Route> compileVirtualServiceRoute(const config::VirtualService& vs, size_t index,
                                                  const config::IstioGateway& gateway,
                                                  uint32_t server_port) {
    const config::HttpRoute& http = vs.http[index];
    Route route;
    route.origin = objectName(vs.meta) + " http[" + std::to_string(index) + "]";
    for (const auto& match : http.match) {
      if (!matchNamesGateway(match, gateway, vs.meta.ns)) {
        continue;
      }
      if (match.port && *match.port != server_port) {
        continue;
      }
      route.matches.push_back(compileMatch(match));
    }
    if (!http.match.empty() && route.matches.empty()) {
      return std::nullopt;  // every match is for another gateway or port
    }
    for (size_t i = 0; i < http.route.size(); ++i) {
      const auto& destination = http.route[i].destination;
      auto cluster = clusterFor(destination.host, destination.port, route.origin, http.location);
      if (!cluster) {
        continue;
      }
      const uint32_t weight = http.route.size() == 1 ? 1 : std::max(http.route[i].weight, 0);
      route.clusters.push_back(WeightedCluster{*cluster, weight});
    }
    if (http.rewrite) {
      route.rewrite_prefix = http.rewrite->uri;
      route.rewrite_authority = http.rewrite->authority;
    }
    route.timeout = http.timeout.value_or(std::chrono::milliseconds{0});
    route.request_headers = http.request_headers;
    route.response_headers = http.response_headers;
    return route;
  }

  void addIstioGateways() {
    for (const auto& gateway : resources_.gateways) {
      const std::string origin = objectName(gateway.meta);
      if (!labelsContain(options_.workload.labels, gateway.selector)) {
        note(Diagnostic::Severity::Info, gateway.meta.location, origin, "spec.selector",
             "selects other workloads than this gateway (" + options_.workload.describe() +
                 "); ignored. Start with --labels to serve it");
        continue;
      }
      for (const auto& server : gateway.servers) {
        if (server.protocol != "HTTP" && server.protocol != "HTTP2" && server.protocol != "GRPC") {
          note(Diagnostic::Severity::Warning, server.location, origin, "spec.servers.port",
               "protocol " + server.protocol + " on port " + std::to_string(server.port) +
                   " is not supported by Portcullis yet (HTTP only); the server is skipped");
          continue;
        }
        Listener* listener =
            listenerFor(server.port, server.protocol, options_.workload, origin, server.location);
        if (!listener) {
          continue;
        }
        bindVirtualServices(*listener, gateway, server);
      }
    }
  }

  void bindVirtualServices(Listener& listener, const config::IstioGateway& gateway,
                           const config::GatewayServer& server) {
    for (const auto& vs : resources_.virtual_services) {
      if (!virtualServiceBinds(vs, gateway)) {
        continue;
      }
      std::set<std::string> domains;
      for (const auto& server_host : server.hosts) {
        auto host = serverHostFor(server_host, gateway.meta.ns, vs.meta.ns);
        if (!host) {
          continue;
        }
        for (const auto& vs_host : vs.hosts) {
          if (auto domain = intersectHosts(*host, vs_host)) {
            domains.insert(*domain);
          }
        }
      }
      if (domains.empty()) {
        note(Diagnostic::Severity::Warning, vs.meta.location, objectName(vs.meta), "spec.hosts",
             "no host of this VirtualService is served by " + objectName(gateway.meta) +
                 " port " + std::to_string(server.port) + "; no route is added");
        continue;
      }
      std::vector<Route> routes;
      for (size_t i = 0; i < vs.http.size(); ++i) {
        if (auto route = compileVirtualServiceRoute(vs, i, gateway, server.port)) {
          routes.push_back(std::move(*route));
        }
      }
      for (const auto& domain : domains) {
        auto& vhost = virtualHostFor(listener, domain);
        vhost.routes.insert(vhost.routes.end(), routes.begin(), routes.end());
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Gateway API Gateway + HTTPRoute

  struct RankedRoute {
    Route route;
    int64_t order = 0;
    size_t rule = 0;
  };

  static Workload k8sWorkload(const config::K8sGateway& gateway) {
    Workload workload;
    workload.ns = gateway.meta.ns;
    workload.labels[std::string(kGatewayNameLabel)] = gateway.meta.name;
    workload.labels[std::string(kIstioGatewayNameLabel)] = gateway.meta.name;
    workload.k8s_gateway_name = gateway.meta.name;
    return workload;
  }

  static bool routeAttaches(const config::K8sHttpRoute& route, const config::K8sGateway& gateway,
                            const config::GatewayListener& listener) {
    // Listeners admit routes of their own namespace only (allowedRoutes defaults to Same).
    if (route.meta.ns != gateway.meta.ns) {
      return false;
    }
    for (const auto& ref : route.parent_refs) {
      const std::string ns = ref.ns.empty() ? route.meta.ns : ref.ns;
      if (ref.group != "gateway.networking.k8s.io" || ref.kind != "Gateway" ||
          ref.name != gateway.meta.name || ns != gateway.meta.ns) {
        continue;
      }
      if (!ref.section_name.empty() && ref.section_name != listener.name) {
        continue;
      }
      if (ref.port && *ref.port != listener.port) {
        continue;
      }
      return true;
    }
    return false;
  }

  std::string backendHost(const config::BackendRef& ref, const std::string& route_ns) const {
    if (ref.kind == "Hostname" || ref.kind == "ServiceEntry") {
      return ref.name;
    }
    const std::string ns = ref.ns.empty() ? route_ns : ref.ns;
    return ref.name + "." + ns + ".svc.cluster.local";
  }

  RouteMatch compileK8sMatch(const config::HttpRouteMatch& match) {
    RouteMatch out;
    const config::HttpPathMatch path = match.path.value_or(config::HttpPathMatch{});
    StringMatcher matcher;
    matcher.value = path.value;
    switch (path.type) {
      case config::HttpPathMatch::Type::Exact:
        matcher.kind = StringMatcher::Kind::Exact;
        break;
      case config::HttpPathMatch::Type::PathPrefix:
        // Gateway API prefixes match whole segments: "/foo" matches "/foo" and "/foo/bar",
        // not "/foobar".
        if (path.value == "/") {
          matcher.kind = StringMatcher::Kind::Prefix;
        } else {
          std::string prefix = path.value;
          while (prefix.size() > 1 && prefix.back() == '/') {
            prefix.pop_back();
          }
          matcher.kind = StringMatcher::Kind::Regex;
          std::string escaped;
          for (char c : prefix) {
            if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) {
              escaped.push_back('\\');
            }
            escaped.push_back(c);
          }
          matcher.value = prefix;
          matcher.regex = std::make_shared<const std::regex>(escaped + "(/.*)?",
                                                             std::regex::ECMAScript);
        }
        break;
      case config::HttpPathMatch::Type::RegularExpression:
        matcher.kind = StringMatcher::Kind::Regex;
        matcher.regex = std::make_shared<const std::regex>(path.value, std::regex::ECMAScript);
        break;
    }
    out.path = std::move(matcher);
    for (const auto& header : match.headers) {
      HeaderMatcher h;
      h.name = lower(header.name);
      h.matcher.value = header.value;
      if (header.type == config::HttpHeaderMatch::Type::RegularExpression) {
        h.matcher.kind = StringMatcher::Kind::Regex;
        h.matcher.regex = std::make_shared<const std::regex>(header.value, std::regex::ECMAScript);
      }
      out.headers.push_back(std::move(h));
    }
    for (const auto& param : match.query_params) {
      StringMatcher m;
      m.value = param.value;
      if (param.type == config::HttpHeaderMatch::Type::RegularExpression) {
        m.kind = StringMatcher::Kind::Regex;
        m.regex = std::make_shared<const std::regex>(param.value, std::regex::ECMAScript);
      }
      out.query_params.emplace_back(param.name, std::move(m));
    }
    if (match.method) {
      StringMatcher m;
      m.value = *match.method;
      out.method = std::move(m);
    }
    return out;
  }

  // Gateway API precedence: exact path, then longer prefix, then method, header and query
  // matches, then the older route, then rule order.
  static bool precedes(const RankedRoute& a, const RankedRoute& b) {
    auto key = [](const RankedRoute& r) {
      const RouteMatch& m = r.route.matches.front();
      const int exact = m.path && m.path->kind == StringMatcher::Kind::Exact ? 1 : 0;
      const int prefix_length =
          m.path && m.path->kind != StringMatcher::Kind::Exact ? int(m.path->value.size()) : 0;
      return std::make_tuple(-exact, -prefix_length, m.method ? 0 : 1, -int(m.headers.size()),
                             -int(m.query_params.size()), r.order, r.rule);
    };
    return key(a) < key(b);
  }

  void addK8sGateways() {
    for (const auto& gateway : resources_.k8s_gateways) {
      const std::string origin = objectName(gateway.meta);
      const Workload workload = k8sWorkload(gateway);
      for (const auto& gw_listener : gateway.listeners) {
        if (gw_listener.protocol != "HTTP") {
          note(Diagnostic::Severity::Warning, gw_listener.location, origin, "spec.listeners",
               "protocol " + gw_listener.protocol + " of listener " + gw_listener.name +
                   " is not supported by Portcullis yet (HTTP only); the listener is skipped");
          continue;
        }
        Listener* listener = listenerFor(gw_listener.port, gw_listener.protocol, workload, origin,
                                         gw_listener.location);
        if (!listener) {
          continue;
        }
        bindHttpRoutes(*listener, gateway, gw_listener);
      }
    }
  }

  void bindHttpRoutes(Listener& listener, const config::K8sGateway& gateway,
                      const config::GatewayListener& gw_listener) {
    std::map<std::string, std::vector<RankedRoute>> by_domain;
    for (const auto& http_route : resources_.http_routes) {
      if (!routeAttaches(http_route, gateway, gw_listener)) {
        continue;
      }
      const std::string listener_host = gw_listener.hostname.empty() ? "*" : gw_listener.hostname;
      std::set<std::string> domains;
      if (http_route.hostnames.empty()) {
        domains.insert(lower(listener_host));
      }
      for (const auto& hostname : http_route.hostnames) {
        if (auto domain = intersectHosts(listener_host, hostname)) {
          domains.insert(*domain);
        }
      }
      for (size_t r = 0; r < http_route.rules.size(); ++r) {
        const auto& rule = http_route.rules[r];
        Route base;
        base.origin = objectName(http_route.meta) + " rules[" + std::to_string(r) + "]";
        for (const auto& ref : rule.backend_refs) {
          auto cluster = clusterFor(backendHost(ref, http_route.meta.ns), ref.port, base.origin,
                                    rule.location);
          if (cluster) {
            base.clusters.push_back(
                WeightedCluster{*cluster, static_cast<uint32_t>(std::max(ref.weight, 0))});
          }
        }
        base.timeout = rule.request_timeout.value_or(std::chrono::milliseconds{0});
        base.request_headers = rule.request_headers;
        base.response_headers = rule.response_headers;
        std::vector<config::HttpRouteMatch> matches = rule.matches;
        if (matches.empty()) {
          matches.emplace_back();
        }
        for (const auto& match : matches) {
          RankedRoute ranked{base, http_route.meta.order, r};
          ranked.route.matches.push_back(compileK8sMatch(match));
          for (const auto& domain : domains) {
            by_domain[domain].push_back(ranked);
          }
        }
      }
    }
    for (auto& [domain, ranked] : by_domain) {
      std::stable_sort(ranked.begin(), ranked.end(), precedes);
      auto& vhost = virtualHostFor(listener, domain);
      for (auto& r : ranked) {
        vhost.routes.push_back(std::move(r.route));
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Security

  // The RequestAuthentication rules and AuthorizationPolicies that apply to `workload`,
  // compiled; key sources in the order of the providers' key slots.
  void compileSecurity(const Workload& workload,
                       std::shared_ptr<const authn::Authenticator>& authn,
                       std::vector<std::shared_ptr<jwks::KeySource>>& key_sources,
                       std::shared_ptr<const authz::Engine>& authz, CustomAction& custom) {
    const std::string& root = resources_.mesh.root_namespace;
    std::vector<std::pair<std::string, const config::JwtRule*>> rules;
    for (const auto& ra : resources_.request_authentications) {
      if (!policyApplies(ra.target, ra.meta.ns, workload, root)) {
        continue;
      }
      for (size_t i = 0; i < ra.jwt_rules.size(); ++i) {
        rules.emplace_back(
            ra.meta.ns + "/" + ra.meta.name + " jwtRules[" + std::to_string(i) + "]",
            &ra.jwt_rules[i]);
      }
    }
    authn = authn::Authenticator::compile(rules);
    key_sources.clear();
    for (const auto& [origin, rule] : rules) {
      key_sources.push_back(keys_.sourceFor(*rule, origin));
    }

    std::vector<const config::AuthorizationPolicy*> policies;
    for (const auto& policy : resources_.authorization_policies) {
      if (policyApplies(policy.target, policy.meta.ns, workload, root)) {
        policies.push_back(&policy);
      }
    }
    std::sort(policies.begin(), policies.end(),
              [](const auto* a, const auto* b) { return a->meta.order < b->meta.order; });
    authz = authz::Engine::compile(policies);
    custom = customActionFor(policies);
  }

  // Resolves what a match of the CUSTOM policies among `policies` leads to: the one provider
  // they name, or a denial where istiod would turn their rules into DENY rules.
  CustomAction customActionFor(const std::vector<const config::AuthorizationPolicy*>& policies) {
    CustomAction action;
    std::vector<const config::AuthorizationPolicy*> custom;  // the first policy of each provider
    for (const config::AuthorizationPolicy* policy : policies) {
      if (policy->action == config::AuthorizationPolicy::Action::Custom &&
          std::none_of(custom.begin(), custom.end(), [&](const auto* known) {
            return known->provider == policy->provider;
          })) {
        custom.push_back(policy);
      }
    }
    if (custom.empty()) {
      return action;
    }
    if (custom.size() > 1) {
      std::string listed;
      for (const auto* policy : custom) {
        listed += (listed.empty() ? "" : ", ") + policy->provider;
      }
      action.denial = "the CUSTOM policies of this workload name several providers (" + listed +
                      "); Istio allows one per workload and denies what their rules match";
      if (several_providers_warned_.insert(listed).second) {
        note(Diagnostic::Severity::Warning, custom[1]->meta.location, objectName(custom[1]->meta),
             "spec.provider.name", action.denial);
      }
      return action;
    }
    auto [it, added] = providers_.try_emplace(custom.front()->provider);
    if (added) {
      it->second = resolveProvider(*custom.front());
    }
    return it->second;
  }

  // The extension provider that `policy` names, with its cluster, added to the snapshot.
  CustomAction resolveProvider(const config::AuthorizationPolicy& policy) {
    CustomAction action;
    const std::string& name = policy.provider;
    const auto& providers = resources_.mesh.extension_providers;
    auto found = std::find_if(providers.begin(), providers.end(),
                              [&](const auto& provider) { return provider.name == name; });
    if (found == providers.end()) {
      action.denial = "provider \"" + name +
                      "\" is not defined in meshConfig.extensionProviders, so istiod denies what "
                      "the CUSTOM rules match";
      note(Diagnostic::Severity::Warning, policy.meta.location, objectName(policy.meta),
           "spec.provider.name", action.denial);
      return action;
    }

    if (!found->ext_authz_http) {
      action.denial = "provider \"" + name +
                      "\" is not an envoyExtAuthzHttp provider, the only kind Portcullis can "
                      "call, so what the CUSTOM rules match is denied";
      return action;
    }

    const config::ExtAuthzHttpProvider& http = *found->ext_authz_http;
    const std::string origin = "extension provider " + name;
    const std::string field = "envoyExtAuthzHttp.service";
    const size_t slash = http.service.find('/');
    const std::string ns = slash == std::string::npos ? "" : http.service.substr(0, slash);
    const std::string host =
        slash == std::string::npos ? http.service : http.service.substr(slash + 1);
    // istiod looks the service up by host among the services of the mesh, here the
    // ServiceEntries: an IP address finds nothing, and a host declared in several namespaces
    // needs the namespace.
    std::vector<const config::ServiceEntry*> entries;
    for (const auto& candidate : resources_.service_entries) {
      const bool declares = std::any_of(
          candidate.hosts.begin(), candidate.hosts.end(),
          [&](const std::string& candidate_host) { return lower(candidate_host) == lower(host); });
      if (declares && (ns.empty() || candidate.meta.ns == ns)) {
        entries.push_back(&candidate);
      }
    }
    if (entries.size() != 1) {
      action.denial = entries.empty()
                          ? "service " + http.service + " of provider \"" + name +
                                "\" is declared by no ServiceEntry"
                          : "service " + http.service + " of provider \"" + name +
                                "\" is declared in several namespaces; write it as "
                                "namespace/" + host;
      note(Diagnostic::Severity::Warning, found->location, origin, field,
           action.denial + ", so istiod cannot use the provider and denies what the CUSTOM "
                           "rules that name it match");
      return action;
    }

    const config::ServiceEntry& entry = *entries.front();
    Cluster cluster;
    cluster.name = "outbound|" + std::to_string(http.port) + "||" + host;
    const auto port = std::find_if(entry.ports.begin(), entry.ports.end(),
                                   [&](const auto& candidate) { return candidate.number == http.port; });
    if (port == entry.ports.end()) {
      // istiod does not check the port. Envoy then has no such cluster, so every check fails.
      note(Diagnostic::Severity::Warning, found->location, origin, "envoyExtAuthzHttp.port",
           objectName(entry.meta) + " has no port " + std::to_string(http.port) +
               ", so every check of provider \"" + name +
               "\" fails and failOpen or statusOnError decides");
    } else {
      // The provider's own policies are not enforced on check requests.
      cluster.endpoints = endpointsOf(entry, *port, host, false);
    }

    if (http.include_request_body_in_check) {
      note(Diagnostic::Severity::Warning, found->location, origin,
           "envoyExtAuthzHttp.includeRequestBodyInCheck",
           "Portcullis does not send the request body to the provider yet; the check request "
           "has no body");
    }
    snapshot_->clusters.push_back(std::move(cluster));
    snapshot_->ext_authz_providers.push_back(
        ExtAuthzProvider{name, http, snapshot_->clusters.size() - 1});
    action.provider = static_cast<int>(snapshot_->ext_authz_providers.size() - 1);
    return action;
  }

  void attachSecurity() {
    for (auto& listener : snapshot_->listeners) {
      compileSecurity(listener.workload, listener.authn, listener.key_sources, listener.authz,
                      listener.custom);
    }
    for (auto& workload : snapshot_->workloads) {
      compileSecurity(workload.workload, workload.authn, workload.key_sources, workload.authz,
                      workload.custom);
    }
  }

  const config::ResourceSet& resources_;
  const BuildOptions& options_;
  jwks::KeySourceProvider& keys_;
  std::shared_ptr<Snapshot> snapshot_ = std::make_shared<Snapshot>();
  std::vector<Diagnostic> diagnostics_;
  std::map<std::string, size_t> cluster_index_;
  std::map<std::string, CustomAction> providers_;  // resolved extension providers, by name
  std::set<std::string> several_providers_warned_;  // provider lists already warned about
};

}  // namespace

BuildResult build(const config::ResourceSet& resources, const BuildOptions& options,
                  jwks::KeySourceProvider& keys) {
  return Builder(resources, options, keys).run();
}

}  // namespace portcullis::snapshot
