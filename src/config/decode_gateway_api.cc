// Gateway and HTTPRoute (gateway.networking.k8s.io). The checks follow the OpenAPI and CEL rules
// of the Gateway API CRDs, which the Kubernetes API server enforces on `kubectl apply`.
#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "config/decoders.h"
#include "config/validators.h"

namespace portcullis::config::internal {
namespace {

constexpr std::string_view kListenerProtocols[] = {"HTTP", "HTTPS", "TLS", "TCP", "UDP"};
constexpr std::string_view kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                         "CONNECT", "OPTIONS", "TRACE", "PATCH"};

template <size_t N>
bool contains(const std::string_view (&list)[N], std::string_view value) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

std::string lower(std::string_view value) {
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isPresent(const YAML::Node& node) {
  return node.IsDefined() && !node.IsNull();
}

// ---------------------------------------------------------------------------------------------
// Gateway

GatewayListener decodeListener(DecodeContext& ctx, const YAML::Node& node,
                               const std::string& path) {
  GatewayListener listener;
  listener.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  YAML::Node name = reader.take("name");
  reader.readString("name", listener.name);
  YAML::Node hostname = reader.take("hostname");
  reader.readString("hostname", listener.hostname);
  bool port_read = reader.readUint32("port", 0, 65535, listener.port);
  YAML::Node protocol = reader.take("protocol");
  reader.readString("protocol", listener.protocol);
  bool has_tls = reader.has("tls");
  reader.unsupported({"tls", "allowedRoutes"});
  reader.finish();
  if (!reader.isMap()) {
    return listener;
  }
  if (listener.name.empty()) {
    ctx.error(reader.keyNode("name"), reader.pathOf("name"), "listener name is required");
  } else if (!isDns1123Subdomain(listener.name)) {
    ctx.error(name, reader.pathOf("name"),
              "invalid listener name " + quote(listener.name) +
                  "; use lower-case letters, digits, '-' and '.'");
  }
  if (!listener.hostname.empty()) {
    if (std::string problem = validateGatewayApiHostname(listener.hostname); !problem.empty()) {
      ctx.error(hostname, reader.pathOf("hostname"), problem);
    }
  }
  if (port_read && listener.port == 0) {
    ctx.error(reader.keyNode("port"), reader.pathOf("port"),
              "listener port is required and must be in the range 1-65535");
  }
  if (!contains(kListenerProtocols, listener.protocol)) {
    ctx.error(reader.keyNode("protocol"), reader.pathOf("protocol"),
              "unsupported protocol " + quote(listener.protocol) +
                  "; accepted: HTTP, HTTPS, TLS, TCP, UDP");
    return listener;
  }
  bool needs_tls = listener.protocol == "HTTPS" || listener.protocol == "TLS";
  if (needs_tls && !has_tls) {
    ctx.error(node, reader.pathOf("tls"),
              "tls must be specified for protocol " + listener.protocol);
  }
  if (!needs_tls && has_tls) {
    ctx.error(reader.keyNode("tls"), reader.pathOf("tls"),
              "tls must not be specified for protocol " + listener.protocol);
  }
  bool layer4 = listener.protocol == "TCP" || listener.protocol == "UDP";
  if (layer4 && !listener.hostname.empty()) {
    ctx.error(hostname, reader.pathOf("hostname"),
              "hostname must not be specified for protocol " + listener.protocol);
  }
  return listener;
}

// ---------------------------------------------------------------------------------------------
// HTTPRoute

ParentReference decodeParentRef(DecodeContext& ctx, const YAML::Node& node,
                                const std::string& path) {
  ParentReference ref;
  MapReader reader(ctx, node, path);
  reader.readString("group", ref.group);
  reader.readString("kind", ref.kind);
  reader.readString("namespace", ref.ns);
  reader.readString("name", ref.name);
  reader.readString("sectionName", ref.section_name);
  YAML::Node port = reader.take("port");
  uint32_t number = 0;
  if (reader.readUint32("port", 1, 65535, number) && isPresent(port)) {
    ref.port = number;
  }
  reader.finish();
  if (reader.isMap() && ref.name.empty()) {
    ctx.error(reader.keyNode("name"), reader.pathOf("name"), "parentRef name is required");
  }
  return ref;
}

// Path values of type Exact and PathPrefix must be absolute and already normalized.
std::string validateRoutePath(std::string_view value) {
  if (!value.starts_with("/")) {
    return "path " + quote(value) + " must be absolute and start with '/'";
  }
  for (std::string_view bad : {"//", "/./", "/../", "%2f", "%2F", "#"}) {
    if (value.find(bad) != std::string_view::npos) {
      return "path " + quote(value) + " must not contain " + quote(bad);
    }
  }
  if (value.ends_with("/..") || value.ends_with("/.")) {
    return "path " + quote(value) + " must not end with '/..' or '/.'";
  }
  return "";
}

std::optional<HttpPathMatch> decodePathMatch(DecodeContext& ctx, const YAML::Node& node,
                                             const std::string& path) {
  if (!isPresent(node)) {
    return std::nullopt;
  }
  HttpPathMatch match;
  MapReader reader(ctx, node, path);
  YAML::Node type = reader.take("type");
  std::string type_name = "PathPrefix";
  reader.readString("type", type_name);
  YAML::Node value = reader.take("value");
  reader.readString("value", match.value);
  reader.finish();
  if (type_name == "Exact") {
    match.type = HttpPathMatch::Type::Exact;
  } else if (type_name == "PathPrefix") {
    match.type = HttpPathMatch::Type::PathPrefix;
  } else if (type_name == "RegularExpression") {
    match.type = HttpPathMatch::Type::RegularExpression;
  } else {
    ctx.error(type, reader.pathOf("type"),
              "invalid path match type " + quote(type_name) +
                  "; accepted: Exact, PathPrefix, RegularExpression");
    return match;
  }
  std::string problem = match.type == HttpPathMatch::Type::RegularExpression
                            ? validateRegex(match.value)
                            : validateRoutePath(match.value);
  if (!problem.empty()) {
    ctx.error(isPresent(value) ? value : node, reader.pathOf("value"), problem);
  }
  return match;
}

// headers and queryParams entries: {type, name, value}, names unique within the list.
void decodeValueMatches(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                        bool header_names, std::vector<HttpHeaderMatch>& out) {
  std::set<std::string> names;
  forEachItem(ctx, node, path, [&](const YAML::Node& item, const std::string& item_path, size_t) {
    HttpHeaderMatch match;
    MapReader reader(ctx, item, item_path);
    YAML::Node type = reader.take("type");
    std::string type_name = "Exact";
    reader.readString("type", type_name);
    YAML::Node name = reader.take("name");
    reader.readString("name", match.name);
    YAML::Node value = reader.take("value");
    reader.readString("value", match.value);
    reader.finish();
    if (!reader.isMap()) {
      return;
    }

    if (type_name == "Exact") {
      match.type = HttpHeaderMatch::Type::Exact;
    } else if (type_name == "RegularExpression") {
      match.type = HttpHeaderMatch::Type::RegularExpression;
      if (std::string problem = validateRegex(match.value); !problem.empty()) {
        ctx.error(isPresent(value) ? value : item, reader.pathOf("value"), problem);
      }
    } else {
      ctx.error(type, reader.pathOf("type"),
                "invalid match type " + quote(type_name) + "; accepted: Exact, RegularExpression");
    }

    if (match.name.empty()) {
      ctx.error(reader.keyNode("name"), reader.pathOf("name"), "name is required");
      return;
    }
    if (!isHttpToken(match.name)) {
      ctx.error(name, reader.pathOf("name"), "invalid name " + quote(match.name));
    }

    // Header names compare without case, and query parameter names compare exactly.
    std::string key = header_names ? lower(match.name) : match.name;
    if (!names.insert(key).second) {
      ctx.error(name, reader.pathOf("name"),
                "duplicate name " + quote(match.name) + "; each name may appear once");
    }
    if (header_names) {
      match.name = key;
    }
    out.push_back(std::move(match));
  });
}

HttpRouteMatch decodeRouteMatch(DecodeContext& ctx, const YAML::Node& node,
                                const std::string& path) {
  HttpRouteMatch match;
  MapReader reader(ctx, node, path);
  match.path = decodePathMatch(ctx, reader.take("path"), reader.pathOf("path"));
  decodeValueMatches(ctx, reader.take("headers"), reader.pathOf("headers"), true, match.headers);
  decodeValueMatches(ctx, reader.take("queryParams"), reader.pathOf("queryParams"), false,
                     match.query_params);
  YAML::Node method = reader.take("method");
  std::string method_name;
  if (reader.readString("method", method_name) && isPresent(method)) {
    if (!contains(kMethods, method_name)) {
      ctx.error(method, reader.pathOf("method"),
                "invalid method " + quote(method_name) +
                    "; accepted: GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH");
    } else {
      match.method = method_name;
    }
  }
  reader.finish();
  if (reader.isMap() && !match.path) {
    match.path = HttpPathMatch{};  // the API default: PathPrefix "/"
  }
  return match;
}

// {set: [{name, value}], add: [{name, value}], remove: [name]} of a header modifier filter.
void decodeHeaderModifier(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                          HeaderOperations& out) {
  MapReader reader(ctx, node, path);
  for (std::string_view operation : {"set", "add"}) {
    auto& target = operation == "set" ? out.set : out.add;
    std::set<std::string> names;
    forEachItem(ctx, reader.take(operation), reader.pathOf(operation),
                [&](const YAML::Node& item, const std::string& item_path, size_t) {
                  MapReader entry(ctx, item, item_path);
                  std::string name;
                  std::string value;
                  YAML::Node name_node = entry.take("name");
                  entry.readString("name", name);
                  entry.readString("value", value);
                  entry.finish();
                  if (!entry.isMap()) {
                    return;
                  }
                  if (!isHttpToken(name)) {
                    ctx.error(isPresent(name_node) ? name_node : item, entry.pathOf("name"),
                              "invalid header name " + quote(name));
                    return;
                  }
                  if (!names.insert(lower(name)).second) {
                    ctx.error(name_node, entry.pathOf("name"),
                              "duplicate header name " + quote(name));
                    return;
                  }
                  target.emplace_back(std::move(name), std::move(value));
                });
  }
  YAML::Node remove = reader.take("remove");
  if (reader.readStringList("remove", out.remove)) {
    for (size_t i = 0; i < out.remove.size(); ++i) {
      if (!isHttpToken(out.remove[i])) {
        ctx.error(remove[i], indexPath(reader.pathOf("remove"), i),
                  "invalid header name " + quote(out.remove[i]));
      }
    }
  }
  reader.finish();
}

// Filter types and the field that carries each one's settings.
constexpr std::pair<std::string_view, std::string_view> kFilterFields[] = {
    {"RequestHeaderModifier", "requestHeaderModifier"},
    {"ResponseHeaderModifier", "responseHeaderModifier"},
    {"RequestRedirect", "requestRedirect"},
    {"URLRewrite", "urlRewrite"},
    {"RequestMirror", "requestMirror"},
    {"CORS", "cors"},
    {"ExtensionRef", "extensionRef"},
};

void decodeFilter(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                  HttpRouteRule& rule) {
  MapReader reader(ctx, node, path);
  YAML::Node type = reader.take("type");
  std::string type_name;
  reader.readString("type", type_name);
  std::string_view expected_field;
  for (const auto& [filter_type, field] : kFilterFields) {
    reader.take(field);
    if (filter_type == type_name) {
      expected_field = field;
    }
  }
  reader.finish();
  if (!reader.isMap()) {
    return;
  }
  if (expected_field.empty()) {
    ctx.error(isPresent(type) ? type : node, reader.pathOf("type"),
              "invalid filter type " + quote(type_name) +
                  "; accepted: RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, "
                  "URLRewrite, RequestMirror, CORS, ExtensionRef");
    return;
  }
  for (const auto& [filter_type, field] : kFilterFields) {
    if (field != expected_field && reader.has(field)) {
      ctx.error(reader.keyNode(field), reader.pathOf(field),
                std::string(field) + " must not be set for filter type " + type_name);
    }
  }
  if (!reader.has(expected_field)) {
    ctx.error(node, reader.pathOf(expected_field),
              std::string(expected_field) + " must be set for filter type " + type_name);
    return;
  }
  YAML::Node settings = reader.take(expected_field);
  if (type_name == "RequestHeaderModifier") {
    decodeHeaderModifier(ctx, settings, reader.pathOf(expected_field), rule.request_headers);
  } else if (type_name == "ResponseHeaderModifier") {
    decodeHeaderModifier(ctx, settings, reader.pathOf(expected_field), rule.response_headers);
  } else {
    ctx.warning(type, reader.pathOf("type"),
                "filter type " + type_name + " is not supported by Portcullis and is ignored");
  }
}

BackendRef decodeBackendRef(DecodeContext& ctx, const YAML::Node& node, const std::string& path) {
  BackendRef ref;
  MapReader reader(ctx, node, path);
  reader.readString("group", ref.group);
  YAML::Node kind = reader.take("kind");
  reader.readString("kind", ref.kind);
  reader.readString("name", ref.name);
  reader.readString("namespace", ref.ns);
  YAML::Node port = reader.take("port");
  uint32_t number = 0;
  if (reader.readUint32("port", 1, 65535, number) && isPresent(port)) {
    ref.port = number;
  }
  int64_t weight = 1;
  if (readInteger(ctx, reader.take("weight"), reader.pathOf("weight"), 0, 1000000, weight)) {
    ref.weight = static_cast<int32_t>(weight);
  }
  reader.unsupported({"filters"});
  reader.finish();
  if (!reader.isMap()) {
    return ref;
  }

  if (ref.name.empty()) {
    ctx.error(reader.keyNode("name"), reader.pathOf("name"), "backendRef name is required");
  }

  bool service = ref.group.empty() && ref.kind == "Service";
  bool hostname = ref.group == "networking.istio.io" && ref.kind == "Hostname";
  if (service && !ref.port) {
    ctx.error(node, reader.pathOf("port"), "port is required for a Service backend");
  }
  if (!service && !hostname) {
    ctx.warning(isPresent(kind) ? kind : node, reader.pathOf("kind"),
                "backend " + quote(ref.group + "/" + ref.kind) +
                    " is not supported by Portcullis; use a Service (group \"\") or a "
                    "networking.istio.io Hostname");
  }
  return ref;
}

// timeouts.request in the Gateway API duration format. backendRequest is not implemented.
std::optional<std::chrono::milliseconds> decodeTimeouts(DecodeContext& ctx,
                                                        const YAML::Node& timeouts,
                                                        const std::string& path) {
  if (!isPresent(timeouts)) {
    return std::nullopt;
  }
  std::optional<std::chrono::milliseconds> request_timeout;
  MapReader reader(ctx, timeouts, path);
  YAML::Node request = reader.take("request");
  std::string text;
  if (reader.readString("request", text) && isPresent(request)) {
    std::optional<int64_t> nanoseconds = parseGatewayApiDuration(text);
    if (!nanoseconds) {
      ctx.error(request, reader.pathOf("request"),
                "invalid duration " + quote(text) +
                    "; use 1-5 digits followed by h, m, s or ms, up to four times "
                    "(such as 10s or 1m30s)");
    } else {
      request_timeout = std::chrono::milliseconds(*nanoseconds / 1000000);
    }
  }
  reader.unsupported({"backendRequest"});
  reader.finish();
  return request_timeout;
}

HttpRouteRule decodeRouteRule(DecodeContext& ctx, const YAML::Node& node, const std::string& path) {
  HttpRouteRule rule;
  rule.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  forEachItem(ctx, reader.take("matches"), reader.pathOf("matches"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                rule.matches.push_back(decodeRouteMatch(ctx, item, item_path));
              });
  forEachItem(ctx, reader.take("filters"), reader.pathOf("filters"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                decodeFilter(ctx, item, item_path, rule);
              });
  forEachItem(ctx, reader.take("backendRefs"), reader.pathOf("backendRefs"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                rule.backend_refs.push_back(decodeBackendRef(ctx, item, item_path));
              });
  rule.request_timeout = decodeTimeouts(ctx, reader.take("timeouts"), reader.pathOf("timeouts"));
  reader.ignore({"name"});
  reader.unsupported({"retry", "sessionPersistence"});
  reader.finish();
  return rule;
}

}  // namespace

K8sGateway decodeK8sGateway(DecodeContext& ctx, MapReader& root, ObjectMeta meta) {
  K8sGateway gateway;
  gateway.meta = std::move(meta);
  MapReader spec(ctx, root.take("spec"), "spec");
  spec.readString("gatewayClassName", gateway.gateway_class_name);
  YAML::Node listeners = spec.take("listeners");
  forEachItem(ctx, listeners, spec.pathOf("listeners"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                gateway.listeners.push_back(decodeListener(ctx, item, item_path));
              });
  spec.unsupported({"addresses", "infrastructure", "backendTLS", "allowedListeners"});
  spec.finish();
  if (!spec.isMap()) {
    return gateway;
  }

  if (gateway.gateway_class_name.empty()) {
    ctx.error(spec.keyNode("gatewayClassName"), spec.pathOf("gatewayClassName"),
              "gatewayClassName is required");
  }
  if (gateway.listeners.empty() && (isAbsent(listeners) || listeners.IsSequence())) {
    ctx.error(spec.keyNode("listeners"), spec.pathOf("listeners"),
              "a Gateway must have at least one listener");
  }
  if (gateway.listeners.size() > 64) {
    ctx.error(listeners, spec.pathOf("listeners"), "a Gateway may have at most 64 listeners");
  }

  // Listener names and the (port, protocol, hostname) of each listener must be unique.
  std::set<std::string> names;
  std::set<std::tuple<uint32_t, std::string, std::string>> bindings;
  for (size_t i = 0; i < gateway.listeners.size(); ++i) {
    const GatewayListener& listener = gateway.listeners[i];
    std::string item_path = indexPath(spec.pathOf("listeners"), i);
    if (!listener.name.empty() && !names.insert(listener.name).second) {
      ctx.error(listeners[i], joinPath(item_path, "name"),
                "duplicate listener name " + quote(listener.name));
    }
    if (!bindings.insert({listener.port, listener.protocol, listener.hostname}).second) {
      ctx.error(listeners[i], item_path,
                "another listener has the same port, protocol and hostname");
    }
  }
  return gateway;
}

K8sHttpRoute decodeHttpRoute(DecodeContext& ctx, MapReader& root, ObjectMeta meta) {
  K8sHttpRoute route;
  route.meta = std::move(meta);
  MapReader spec(ctx, root.take("spec"), "spec");
  forEachItem(ctx, spec.take("parentRefs"), spec.pathOf("parentRefs"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                route.parent_refs.push_back(decodeParentRef(ctx, item, item_path));
              });

  YAML::Node hostnames = spec.take("hostnames");
  if (spec.readStringList("hostnames", route.hostnames)) {
    for (size_t i = 0; i < route.hostnames.size(); ++i) {
      if (std::string problem = validateGatewayApiHostname(route.hostnames[i]); !problem.empty()) {
        ctx.error(hostnames[i], indexPath(spec.pathOf("hostnames"), i), problem);
      }
    }
    if (route.hostnames.size() > 16) {
      ctx.error(hostnames, spec.pathOf("hostnames"), "at most 16 hostnames are allowed");
    }
  }

  YAML::Node rules = spec.take("rules");
  forEachItem(ctx, rules, spec.pathOf("rules"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                route.rules.push_back(decodeRouteRule(ctx, item, item_path));
              });
  if (route.rules.size() > 16) {
    ctx.error(rules, spec.pathOf("rules"), "at most 16 rules are allowed");
  }
  if (!rules.IsDefined() || rules.IsNull()) {
    // The API server's default: one rule matching every path, with no backends.
    HttpRouteRule rule;
    rule.location = route.meta.location;
    route.rules.push_back(std::move(rule));
  }
  spec.finish();
  return route;
}

}  // namespace portcullis::config::internal
