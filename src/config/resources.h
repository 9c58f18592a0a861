// Typed forms of the Kubernetes-style manifests Portcullis reads. The loader (loader.h) fills
// these from YAML after checking every field; later stages never see raw YAML.
//
// Field names follow the Kubernetes/Istio field names in lowerCamelCase turned into snake_case.
// A field that the manifest may omit and whose absence differs from its empty value is an
// std::optional or carries a `has_` flag.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace portcullis::config {

// Where a YAML node starts. Lines and columns are 1-based, as editors show them.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

using Labels = std::map<std::string, std::string>;

struct ObjectMeta {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string ns;  // metadata.namespace; "default" when the manifest omits it
  Labels labels;
  Labels annotations;
  SourceLocation location;  // the document's first line
  // Position of the document in load order (files in the given order, folders sorted by
  // name, documents in file order). Stands in for Kubernetes creation time.
  int64_t order = 0;
};

// ---------------------------------------------------------------------------------------------
// networking.istio.io

struct GatewayServer {
  uint32_t port = 0;
  std::string port_name;
  std::string protocol;  // upper-cased: HTTP, HTTPS, HTTP2, GRPC, TCP, TLS
  std::vector<std::string> hosts;  // "*", "host", "ns/host", "*/host", "./host"
  SourceLocation location;
};

struct IstioGateway {
  ObjectMeta meta;
  Labels selector;
  std::vector<GatewayServer> servers;
};

// networking.istio.io StringMatch: exactly one of exact, prefix or regex. An empty match `{}`
// under headers, withoutHeaders or queryParams is Kind::Present: the header or parameter exists
// (withoutHeaders then requires it to be absent).
struct StringMatch {
  enum class Kind { Exact, Prefix, Regex, Present };
  Kind kind = Kind::Exact;
  std::string value;
};

struct HttpMatchRequest {
  std::string name;
  std::optional<StringMatch> uri;
  std::optional<StringMatch> scheme;
  std::optional<StringMatch> method;
  std::optional<StringMatch> authority;
  // Header name (lower-cased) to match. A name starting with "@request.auth.claims" matches a
  // verified JWT claim instead of a header.
  std::vector<std::pair<std::string, StringMatch>> headers;
  std::vector<std::pair<std::string, StringMatch>> without_headers;
  std::vector<std::pair<std::string, StringMatch>> query_params;
  std::optional<uint32_t> port;
  std::vector<std::string> gateways;
  bool ignore_uri_case = false;
};

struct Destination {
  std::string host;
  std::optional<uint32_t> port;
  std::string subset;
};

struct HttpRouteDestination {
  Destination destination;
  int32_t weight = 0;
};

struct HttpRewrite {
  std::optional<std::string> uri;
  std::optional<std::string> authority;
};

struct HeaderOperations {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
};

struct HttpRoute {
  std::string name;
  std::vector<HttpMatchRequest> match;
  std::vector<HttpRouteDestination> route;
  std::optional<HttpRewrite> rewrite;
  std::optional<std::chrono::milliseconds> timeout;
  HeaderOperations request_headers;
  HeaderOperations response_headers;
  SourceLocation location;
};

struct VirtualService {
  ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;  // "name", "ns/name" or "mesh"; empty means "mesh"
  std::vector<HttpRoute> http;
};

struct ServiceEntryPort {
  uint32_t number = 0;
  std::string name;
  std::string protocol;
  uint32_t target_port = 0;  // 0 when not set
};

struct WorkloadEndpoint {
  std::string address;  // IP address, host name (DNS resolution) or unix:// path
  std::map<std::string, uint32_t> ports;  // port name -> endpoint port
  Labels labels;
  std::string network;
  std::string locality;
  uint32_t weight = 0;
  std::string service_account;
};

struct ServiceEntry {
  enum class Resolution { None, Static, Dns, DnsRoundRobin };
  ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<ServiceEntryPort> ports;
  std::string location;  // MESH_EXTERNAL or MESH_INTERNAL
  Resolution resolution = Resolution::None;
  std::vector<WorkloadEndpoint> endpoints;
  std::optional<Labels> workload_selector;
  std::vector<std::string> export_to;
};

struct WorkloadEntry {
  ObjectMeta meta;
  WorkloadEndpoint endpoint;
};

// ---------------------------------------------------------------------------------------------
// gateway.networking.k8s.io

struct GatewayListener {
  std::string name;
  std::string hostname;  // empty: any host
  uint32_t port = 0;
  std::string protocol;  // HTTP, HTTPS, TLS, TCP, UDP
  SourceLocation location;
};

struct K8sGateway {
  ObjectMeta meta;
  std::string gateway_class_name;
  std::vector<GatewayListener> listeners;
};

struct ParentReference {
  std::string group = "gateway.networking.k8s.io";
  std::string kind = "Gateway";
  std::string name;
  std::string ns;  // empty: the route's namespace
  std::string section_name;
  std::optional<uint32_t> port;
};

struct HttpPathMatch {
  enum class Type { Exact, PathPrefix, RegularExpression };
  Type type = Type::PathPrefix;
  std::string value = "/";
};

struct HttpHeaderMatch {
  enum class Type { Exact, RegularExpression };
  Type type = Type::Exact;
  std::string name;  // lower-cased
  std::string value;
};

struct HttpRouteMatch {
  std::optional<HttpPathMatch> path;
  std::vector<HttpHeaderMatch> headers;
  std::vector<HttpHeaderMatch> query_params;
  std::optional<std::string> method;
};

struct BackendRef {
  std::string group;  // "" for a core Service; "networking.istio.io" for Hostname
  std::string kind = "Service";  // Service or Hostname (Istio extension)
  std::string name;
  std::string ns;  // empty: the route's namespace
  std::optional<uint32_t> port;
  int32_t weight = 1;
};

struct HttpRouteRule {
  std::vector<HttpRouteMatch> matches;  // empty: one match of PathPrefix "/"
  std::vector<BackendRef> backend_refs;
  std::optional<std::chrono::milliseconds> request_timeout;
  HeaderOperations request_headers;
  HeaderOperations response_headers;
  SourceLocation location;
};

struct K8sHttpRoute {
  ObjectMeta meta;
  std::vector<ParentReference> parent_refs;
  std::vector<std::string> hostnames;
  std::vector<HttpRouteRule> rules;
};

// ---------------------------------------------------------------------------------------------
// security.istio.io

struct PolicyTargetReference {
  std::string group;
  std::string kind;
  std::string name;
  std::string ns;
};

// Policy attachment fields shared by RequestAuthentication and AuthorizationPolicy.
struct WorkloadTarget {
  std::optional<Labels> selector;  // spec.selector.matchLabels; set (maybe empty) if present
  std::vector<PolicyTargetReference> target_refs;  // targetRef and targetRefs together
};

struct JwtHeader {
  std::string name;  // as written; compare case-insensitively
  std::string prefix;
};

struct ClaimToHeader {
  std::string header;
  std::string claim;  // dotted path for nested claims
};

struct JwtRule {
  std::string issuer;
  std::vector<std::string> audiences;
  std::string jwks_uri;
  std::string jwks;  // inline JWKS text
  std::vector<JwtHeader> from_headers;
  std::vector<std::string> from_params;
  std::vector<std::string> from_cookies;
  std::string output_payload_to_header;
  std::vector<ClaimToHeader> output_claim_to_headers;
  bool forward_original_token = false;
  std::chrono::milliseconds timeout{5000};  // JWKS fetch timeout
  std::vector<std::string> space_delimited_claims;
  SourceLocation location;
};

struct RequestAuthentication {
  ObjectMeta meta;
  WorkloadTarget target;
  std::vector<JwtRule> jwt_rules;
};

struct Source {
  std::vector<std::string> principals, not_principals;
  std::vector<std::string> request_principals, not_request_principals;
  std::vector<std::string> namespaces, not_namespaces;
  std::vector<std::string> service_accounts, not_service_accounts;
  std::vector<std::string> trust_domains, not_trust_domains;
  std::vector<std::string> ip_blocks, not_ip_blocks;
  std::vector<std::string> remote_ip_blocks, not_remote_ip_blocks;
  SourceLocation location;
};

struct Operation {
  std::vector<std::string> hosts, not_hosts;
  std::vector<std::string> ports, not_ports;  // decimal strings, as in the API
  std::vector<std::string> methods, not_methods;
  std::vector<std::string> paths, not_paths;
  SourceLocation location;
};

struct Condition {
  std::string key;
  std::vector<std::string> values;
  std::vector<std::string> not_values;
  SourceLocation location;
};

struct Rule {
  std::vector<Source> from;  // each element is one `- source:` entry
  std::vector<Operation> to;  // each element is one `- operation:` entry
  std::vector<Condition> when;
  SourceLocation location;
};

struct AuthorizationPolicy {
  enum class Action { Allow, Deny, Audit, Custom };
  ObjectMeta meta;
  WorkloadTarget target;
  Action action = Action::Allow;
  std::string provider;  // spec.provider.name, CUSTOM only
  bool has_rules = false;  // spec.rules present, even when empty
  std::vector<Rule> rules;
  bool dry_run = false;  // annotation istio.io/dry-run parsed as a Go bool
};

// ---------------------------------------------------------------------------------------------
// Mesh config: ConfigMap `istio` in `istio-system`, key `mesh`.

enum class PathNormalization { None, Base, MergeSlashes, DecodeAndMergeSlashes };

// includeRequestBodyInCheck: buffer the request body into the check request.
struct ExtAuthzRequestBody {
  uint32_t max_request_bytes = 0;
  bool allow_partial_message = false;
  bool pack_as_bytes = false;
};

struct ExtAuthzHttpProvider {
  std::string service;  // "[ns/]host"
  uint32_t port = 0;
  std::chrono::milliseconds timeout{600000};
  std::string path_prefix;
  bool fail_open = false;
  uint32_t status_on_error = 403;
  // includeRequestHeadersInCheck, or the deprecated includeHeadersInCheck when only it is set.
  std::vector<std::string> include_request_headers_in_check;
  std::vector<std::pair<std::string, std::string>> include_additional_headers_in_check;
  std::optional<ExtAuthzRequestBody> include_request_body_in_check;
  std::vector<std::string> headers_to_upstream_on_allow;
  std::vector<std::string> headers_to_downstream_on_allow;
  std::vector<std::string> headers_to_downstream_on_deny;
  bool clear_route_cache = false;
};

struct ExtensionProvider {
  std::string name;
  std::optional<ExtAuthzHttpProvider> ext_authz_http;
  bool ext_authz_grpc = false;  // declared; not implemented
  SourceLocation location;
};

struct MeshConfig {
  bool present = false;  // false: defaults below, no ConfigMap was loaded
  std::string root_namespace = "istio-system";
  PathNormalization path_normalization = PathNormalization::Base;
  uint32_t num_trusted_proxies = 0;
  std::vector<ExtensionProvider> extension_providers;
  SourceLocation location;
};

// ---------------------------------------------------------------------------------------------

struct ResourceSet {
  std::vector<IstioGateway> gateways;
  std::vector<VirtualService> virtual_services;
  std::vector<ServiceEntry> service_entries;
  std::vector<WorkloadEntry> workload_entries;
  std::vector<K8sGateway> k8s_gateways;
  std::vector<K8sHttpRoute> http_routes;
  std::vector<RequestAuthentication> request_authentications;
  std::vector<AuthorizationPolicy> authorization_policies;
  MeshConfig mesh;
};

}  // namespace portcullis::config
