// Gateway, VirtualService, ServiceEntry and WorkloadEntry (networking.istio.io), with the
// checks of Istio's ValidateGateway, ValidateVirtualService, ValidateServiceEntry and
// ValidateWorkloadEntry.
#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include "config/decoders.h"
#include "config/validators.h"

namespace portcullis::config::internal {
namespace {

std::string upper(std::string_view value) {
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string lower(std::string_view value) {
  std::string out(value);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Istio's protocol names, compared without case.
constexpr std::string_view kProtocols[] = {"HTTP",     "HTTPS",      "HTTP2", "GRPC",
                                           "GRPC-WEB", "HTTP_PROXY", "TCP",   "UDP",
                                           "TLS",      "MONGO",      "REDIS", "MYSQL"};
constexpr std::string_view kProtocolList =
    "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, UDP, TLS, MONGO, REDIS, MYSQL";

bool isKnownProtocol(std::string_view protocol) {
  std::string name = upper(protocol);
  return std::find(std::begin(kProtocols), std::end(kProtocols), name) != std::end(kProtocols);
}

bool isHttpProtocol(std::string_view protocol) {
  std::string name = upper(protocol);
  return name == "HTTP" || name == "HTTP2" || name == "GRPC" || name == "GRPC-WEB" ||
         name == "HTTP_PROXY";
}

bool isTlsProtocol(std::string_view protocol) {
  std::string name = upper(protocol);
  return name == "HTTPS" || name == "TLS";
}

// Istio's host.Name.Matches: two hosts overlap when they are equal or a wildcard covers the
// other.
bool hostsOverlap(std::string_view a, std::string_view b) {
  bool a_wildcard = a.starts_with("*");
  bool b_wildcard = b.starts_with("*");
  if (a_wildcard && b_wildcard) {
    std::string_view a_rest = a.substr(1);
    std::string_view b_rest = b.substr(1);
    return a_rest.size() < b_rest.size() ? b_rest.ends_with(a_rest) : a_rest.ends_with(b_rest);
  }
  if (a_wildcard) {
    return b.ends_with(a.substr(1));
  }
  if (b_wildcard) {
    return a.ends_with(b.substr(1));
  }
  return a == b;
}

// ---------------------------------------------------------------------------------------------
// Gateway

// TLS settings are not implemented, but Istio's rules on when they must be present still apply,
// so a manifest Istio rejects is rejected here too.
void checkServerTls(DecodeContext& ctx, const YAML::Node& server, MapReader& reader,
                    const std::string& protocol) {
  YAML::Node tls = reader.take("tls");
  bool has_tls = !isAbsent(tls);
  if (isTlsProtocol(protocol) && !has_tls) {
    ctx.error(server, reader.pathOf("tls"),
              "server with protocol " + protocol + " must have tls settings");
  } else if (!isTlsProtocol(protocol) && has_tls) {
    bool redirect_only = tls.IsMap() && tls.size() == 1 && !lookup(tls, "httpsRedirect").IsNull();
    if (!isHttpProtocol(protocol) || !redirect_only) {
      ctx.error(reader.keyNode("tls"), reader.pathOf("tls"),
                "server with protocol " + protocol +
                    " cannot have tls settings other than httpsRedirect");
    }
  }
}

GatewayServer decodeServer(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                           std::set<std::string>& port_names) {
  GatewayServer server;
  server.location = ctx.locate(node);
  MapReader reader(ctx, node, path);

  YAML::Node hosts = reader.take("hosts");
  if (reader.readStringList("hosts", server.hosts)) {
    if (reader.isMap() && server.hosts.empty()) {
      ctx.error(reader.keyNode("hosts"), reader.pathOf("hosts"),
                "server must have at least one host, such as \"*\" or \"example.com\"");
    }
    for (size_t i = 0; i < server.hosts.size(); ++i) {
      if (std::string problem = validateGatewayServerHost(server.hosts[i]); !problem.empty()) {
        ctx.error(hosts[i], indexPath(reader.pathOf("hosts"), i), problem);
      }
    }
  }

  YAML::Node port = reader.take("port");
  bool has_port = port.IsDefined() && !port.IsNull();
  MapReader port_reader(ctx, port, reader.pathOf("port"));
  bool number_read = port_reader.readUint32("number", 0, 65535, server.port);
  port_reader.readString("protocol", server.protocol);
  port_reader.readString("name", server.port_name);
  uint32_t target_port = 0;
  port_reader.readUint32("targetPort", 0, 65535, target_port);
  port_reader.finish();
  if (reader.isMap() && !has_port) {
    ctx.error(node, reader.pathOf("port"), "port is required");
  } else if (port_reader.isMap() && has_port) {
    if (number_read && server.port == 0) {
      ctx.error(port_reader.keyNode("number"), port_reader.pathOf("number"),
                "port number must be in the range 1-65535");
    }
    if (!isKnownProtocol(server.protocol)) {
      ctx.error(port_reader.keyNode("protocol"), port_reader.pathOf("protocol"),
                "invalid protocol " + quote(server.protocol) +
                    "; accepted: " + std::string(kProtocolList));
    }
    if (server.port_name.empty()) {
      ctx.error(port_reader.keyNode("name"), port_reader.pathOf("name"), "port name is required");
    } else if (!port_names.insert(server.port_name).second) {
      ctx.error(port_reader.take("name"), port_reader.pathOf("name"),
                "duplicate port name " + quote(server.port_name) +
                    "; port names must be unique across servers");
    }
    if (target_port != 0) {
      ctx.error(port_reader.take("targetPort"), port_reader.pathOf("targetPort"),
                "targetPort has no effect on Gateways; remove it");
    }
  }
  server.protocol = upper(server.protocol);

  if (has_port && isKnownProtocol(server.protocol)) {
    checkServerTls(ctx, node, reader, server.protocol);
  }
  reader.unsupported({"tls", "bind", "defaultEndpoint"});
  reader.ignore({"name"});
  reader.finish();
  return server;
}

// ---------------------------------------------------------------------------------------------
// VirtualService

bool isJwtClaimRouteKey(std::string_view name) {
  return name.starts_with("@request.auth.claims.") || name.starts_with("@request.auth.claims[");
}

// An Istio StringMatch: exactly one of exact, prefix and regex. `{}` means "present" where the
// API gives it that meaning (headers, withoutHeaders, queryParams) and "anything" elsewhere.
std::optional<StringMatch> decodeStringMatch(DecodeContext& ctx, const YAML::Node& node,
                                             const std::string& path, bool empty_is_presence) {
  MapReader reader(ctx, node, path);
  StringMatch match;
  int set = 0;
  for (auto [key, kind] : {std::pair{"exact", StringMatch::Kind::Exact},
                           std::pair{"prefix", StringMatch::Kind::Prefix},
                           std::pair{"regex", StringMatch::Kind::Regex}}) {
    YAML::Node value = reader.take(key);
    if (!value.IsDefined() || value.IsNull()) {
      continue;
    }
    ++set;
    match.kind = kind;
    readString(ctx, value, reader.pathOf(key), match.value);
  }
  reader.finish();
  if (!reader.isMap()) {
    return std::nullopt;
  }
  if (set > 1) {
    ctx.error(node, path, "set only one of exact, prefix and regex");
    return std::nullopt;
  }
  if (set == 0) {
    if (empty_is_presence) {
      return StringMatch{StringMatch::Kind::Present, ""};
    }
    return std::nullopt;
  }
  if (match.kind == StringMatch::Kind::Prefix && match.value.empty()) {
    ctx.error(reader.keyNode("prefix"), reader.pathOf("prefix"), "prefix must not be empty");
  }
  if (match.kind == StringMatch::Kind::Regex) {
    if (std::string problem = validateRegex(match.value); !problem.empty()) {
      ctx.error(reader.take("regex"), reader.pathOf("regex"), problem);
    }
  }
  return match;
}

// headers, withoutHeaders and queryParams: maps from a name to a StringMatch.
void decodeMatchMap(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                    bool header_names, std::vector<std::pair<std::string, StringMatch>>& out) {
  if (!node.IsDefined() || node.IsNull()) {
    return;
  }
  if (!node.IsMap()) {
    ctx.error(node, path,
              "expected a map from names to string matches, found " + describeNode(node));
    return;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string name;
    if (!readString(ctx, it->first, path, name)) {
      continue;
    }
    std::string entry_path = path + "[" + name + "]";
    if (!seen.insert(name).second) {
      ctx.error(it->first, entry_path, "duplicate name " + quote(name));
      continue;
    }
    if (header_names) {
      if (isJwtClaimRouteKey(name)) {
        // Claim names keep their case; only real header names are lower-cased.
      } else if (!isHttpToken(name)) {
        ctx.error(it->first, entry_path, "invalid header name " + quote(name));
      } else {
        name = lower(name);
      }
    }
    if (it->second.IsNull()) {
      ctx.error(it->first, entry_path, "match must not be null; use {} to match presence");
      continue;
    }
    std::optional<StringMatch> match = decodeStringMatch(ctx, it->second, entry_path, true);
    if (match) {
      out.emplace_back(std::move(name), std::move(*match));
    }
  }
}

void checkGatewayReferences(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                            const std::vector<std::string>& gateways) {
  for (size_t i = 0; i < gateways.size(); ++i) {
    if (std::string problem = validateGatewayReference(gateways[i]); !problem.empty()) {
      ctx.error(node[i], indexPath(path, i), problem);
    }
  }
}

HttpMatchRequest decodeMatchRequest(DecodeContext& ctx, const YAML::Node& node,
                                    const std::string& path, bool bound_to_gateway) {
  HttpMatchRequest match;
  MapReader reader(ctx, node, path);
  reader.readString("name", match.name);
  match.uri = decodeStringMatch(ctx, reader.take("uri"), reader.pathOf("uri"), false);
  match.scheme = decodeStringMatch(ctx, reader.take("scheme"), reader.pathOf("scheme"), false);
  match.method = decodeStringMatch(ctx, reader.take("method"), reader.pathOf("method"), false);
  match.authority =
      decodeStringMatch(ctx, reader.take("authority"), reader.pathOf("authority"), false);
  for (auto [key, target] : {std::pair{"headers", &match.headers},
                             std::pair{"withoutHeaders", &match.without_headers}}) {
    decodeMatchMap(ctx, reader.take(key), reader.pathOf(key), true, *target);
    for (const auto& [name, unused] : *target) {
      if (isJwtClaimRouteKey(name) && !bound_to_gateway) {
        ctx.error(lookup(reader.take(key), name), reader.pathOf(key) + "[" + name + "]",
                  "JWT claim based routing (" + name +
                      ") is only supported for VirtualServices bound to a gateway");
      }
    }
  }
  decodeMatchMap(ctx, reader.take("queryParams"), reader.pathOf("queryParams"), false,
                 match.query_params);
  YAML::Node port = reader.take("port");
  uint32_t port_number = 0;
  if (reader.readUint32("port", 0, 65535, port_number) && port.IsDefined() && !port.IsNull()) {
    if (port_number == 0) {
      ctx.error(port, reader.pathOf("port"), "port must be in the range 1-65535");
    } else {
      match.port = port_number;
    }
  }
  YAML::Node gateways = reader.take("gateways");
  if (reader.readStringList("gateways", match.gateways)) {
    checkGatewayReferences(ctx, gateways, reader.pathOf("gateways"), match.gateways);
  }
  reader.readBool("ignoreUriCase", match.ignore_uri_case);
  reader.unsupported({"sourceLabels", "sourceNamespace", "statPrefix"});
  reader.finish();
  return match;
}

Destination decodeDestination(DecodeContext& ctx, const YAML::Node& node, const std::string& path) {
  Destination destination;
  MapReader reader(ctx, node, path);
  YAML::Node host = reader.take("host");
  reader.readString("host", destination.host);
  YAML::Node subset = reader.take("subset");
  reader.readString("subset", destination.subset);

  YAML::Node port = reader.take("port");
  if (port.IsDefined() && !port.IsNull()) {
    MapReader port_reader(ctx, port, reader.pathOf("port"));
    uint32_t number = 0;
    if (port_reader.readUint32("number", 0, 65535, number)) {
      if (number == 0) {
        ctx.error(port_reader.keyNode("number"), port_reader.pathOf("number"),
                  "port number must be in the range 1-65535");
      } else {
        destination.port = number;
      }
    }
    port_reader.finish();
  }
  reader.finish();
  if (!reader.isMap()) {
    return destination;
  }

  if (destination.host.empty()) {
    ctx.error(reader.keyNode("host"), reader.pathOf("host"), "destination host is required");
  } else if (destination.host == "*") {
    ctx.error(host, reader.pathOf("host"), "destination host \"*\" is not allowed");
  } else if (std::string problem = validateWildcardDomain(destination.host); !problem.empty()) {
    ctx.error(host, reader.pathOf("host"), problem);
  }
  if (!destination.subset.empty() && !isIstioDnsLabel(destination.subset)) {
    ctx.error(subset, reader.pathOf("subset"),
              "invalid subset name " + quote(destination.subset) + "; use an RFC 1123 label");
  }
  return destination;
}

HttpRouteDestination decodeRouteDestination(DecodeContext& ctx, const YAML::Node& node,
                                            const std::string& path) {
  HttpRouteDestination route;
  MapReader reader(ctx, node, path);
  YAML::Node destination = reader.take("destination");
  if (reader.isMap() && (!destination.IsDefined() || destination.IsNull())) {
    ctx.error(node, reader.pathOf("destination"), "destination is required");
  } else {
    route.destination = decodeDestination(ctx, destination, reader.pathOf("destination"));
  }
  int64_t weight = 0;
  if (readInteger(ctx, reader.take("weight"), reader.pathOf("weight"), 0,
                  std::numeric_limits<int32_t>::max(), weight)) {
    route.weight = static_cast<int32_t>(weight);
  }
  reader.unsupported({"headers"});
  reader.finish();
  return route;
}

std::optional<HttpRewrite> decodeRewrite(DecodeContext& ctx, const YAML::Node& rewrite,
                                         const std::string& path) {
  if (isAbsent(rewrite)) {
    return std::nullopt;
  }
  MapReader reader(ctx, rewrite, path);
  HttpRewrite value;
  if (reader.has("uri")) {
    value.uri.emplace();
    reader.readString("uri", *value.uri);
  }
  if (reader.has("authority")) {
    value.authority.emplace();
    reader.readString("authority", *value.authority);
  }
  reader.take("uri");
  reader.take("authority");
  reader.unsupported({"uriRegexRewrite"});
  reader.finish();
  if (reader.isMap() && !value.uri && !value.authority && !reader.has("uriRegexRewrite")) {
    ctx.error(rewrite, path, "rewrite must set uri or authority");
  }
  if (value.uri && reader.has("uriRegexRewrite")) {
    ctx.error(rewrite, path, "rewrite cannot set both uri and uriRegexRewrite");
  }
  return value;
}

HttpRoute decodeHttpRoute(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                          bool bound_to_gateway) {
  HttpRoute route;
  route.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  reader.readString("name", route.name);
  forEachItem(ctx, reader.take("match"), reader.pathOf("match"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                route.match.push_back(decodeMatchRequest(ctx, item, item_path, bound_to_gateway));
              });
  YAML::Node destinations = reader.take("route");
  int64_t total_weight = 0;
  forEachItem(ctx, destinations, reader.pathOf("route"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                route.route.push_back(decodeRouteDestination(ctx, item, item_path));
                total_weight += route.route.back().weight;
              });
  if (route.route.size() > 1 && total_weight == 0) {
    ctx.error(destinations, reader.pathOf("route"),
              "total destination weight is 0; give at least one destination a weight");
  }

  route.rewrite = decodeRewrite(ctx, reader.take("rewrite"), reader.pathOf("rewrite"));

  YAML::Node timeout = reader.take("timeout");
  if (timeout.IsDefined() && !timeout.IsNull()) {
    std::chrono::milliseconds value{0};
    if (readDuration(ctx, timeout, reader.pathOf("timeout"), value)) {
      route.timeout = value;
    }
  }
  decodeHeaders(ctx, reader.take("headers"), reader.pathOf("headers"), route.request_headers,
                route.response_headers);
  reader.unsupported({"redirect", "directResponse", "delegate", "retries", "fault", "mirror",
                      "mirrors", "mirrorPercentage", "mirrorPercent", "mirror_percent",
                      "corsPolicy"});
  reader.finish();
  if (!reader.isMap()) {
    return route;
  }

  bool redirect = reader.has("redirect");
  if (redirect && !route.route.empty()) {
    ctx.error(node, path, "an HTTP route cannot have both route and redirect");
  }
  if (redirect && route.rewrite) {
    ctx.error(node, path, "an HTTP route cannot have both rewrite and redirect");
  }
  if (!redirect && route.route.empty() && !reader.has("directResponse") &&
      !reader.has("delegate")) {
    ctx.error(node, reader.pathOf("route"), "an HTTP route needs route (or redirect)");
  }
  return route;
}

// ---------------------------------------------------------------------------------------------
// ServiceEntry and WorkloadEntry

const std::map<std::string_view, ServiceEntry::Resolution> kResolutions = {
    {"NONE", ServiceEntry::Resolution::None},
    {"STATIC", ServiceEntry::Resolution::Static},
    {"DNS", ServiceEntry::Resolution::Dns},
    {"DNS_ROUND_ROBIN", ServiceEntry::Resolution::DnsRoundRobin},
};

std::string validateUnixPath(std::string_view path) {
  if (path.empty()) {
    return "unix address must not be empty";
  }
  if (path.starts_with("@")) {
    return "";  // abstract socket
  }
  if (!path.starts_with("/") || path.ends_with("/")) {
    return "unix address " + quote(path) + " is not an absolute path to a file";
  }
  return "";
}

WorkloadEndpoint decodeEndpoint(DecodeContext& ctx, const YAML::Node& node,
                                const std::string& path) {
  WorkloadEndpoint endpoint;
  MapReader reader(ctx, node, path);
  reader.readString("address", endpoint.address);
  YAML::Node ports = reader.take("ports");
  if (ports.IsDefined() && !ports.IsNull() && !ports.IsMap()) {
    ctx.error(ports, reader.pathOf("ports"),
              "expected a map from port names to port numbers, found " + describeNode(ports));
  } else if (ports.IsMap()) {
    for (auto it = ports.begin(); it != ports.end(); ++it) {
      std::string name;
      if (!readString(ctx, it->first, reader.pathOf("ports"), name)) {
        continue;
      }
      uint32_t number = 0;
      std::string entry_path = reader.pathOf("ports") + "[" + name + "]";
      if (readUint32(ctx, it->second, entry_path, 1, 65535, number)) {
        endpoint.ports[name] = number;
      }
    }
  }
  if (reader.readStringMap("labels", endpoint.labels)) {
    checkLabels(ctx, reader.take("labels"), reader.pathOf("labels"), endpoint.labels);
  }
  reader.readString("network", endpoint.network);
  reader.readString("locality", endpoint.locality);
  reader.readUint32("weight", 0, std::numeric_limits<uint32_t>::max(), endpoint.weight);
  reader.readString("serviceAccount", endpoint.service_account);
  reader.finish();
  return endpoint;
}

// Checks an endpoint with the rules of Istio's validateWorkloadEntry. `service_ports` is null
// for a WorkloadEntry object. For a ServiceEntry endpoint it lists the ServiceEntry's port names.
void checkEndpoint(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                   const WorkloadEndpoint& endpoint, const std::set<std::string>* service_ports,
                   bool allow_hostname) {
  YAML::Node address = lookup(node, "address");
  std::string address_path = joinPath(path, "address");
  bool unix_socket = endpoint.address.starts_with("unix://");
  if (endpoint.address.empty()) {
    if (endpoint.network.empty()) {
      ctx.error(node, address_path, "address is required");
    } else {
      ctx.warning(
          node, address_path,
          "address is not set; the endpoint is reached through network " + endpoint.network);
    }
  } else if (unix_socket) {
    if (std::string problem = validateUnixPath(endpoint.address.substr(7)); !problem.empty()) {
      ctx.error(address, address_path, problem);
    }
    if (!endpoint.ports.empty()) {
      ctx.error(lookup(node, "ports"), joinPath(path, "ports"),
                "unix endpoint " + endpoint.address + " must not list ports");
    }
  } else if (!parseIpAddress(endpoint.address)) {
    if (!allow_hostname) {
      ctx.error(address, address_path,
                "endpoint address " + quote(endpoint.address) +
                    " is not a valid IP address (resolution STATIC needs IP addresses)");
    } else if (!validateFqdn(endpoint.address).empty()) {
      ctx.error(address, address_path,
                "endpoint address " + quote(endpoint.address) +
                    " is not a valid host name or IP address");
    }
  }
  for (const auto& [name, number] : endpoint.ports) {
    std::string port_path = joinPath(path, "ports") + "[" + name + "]";
    if (service_ports != nullptr && service_ports->count(name) == 0) {
      ctx.error(lookup(lookup(node, "ports"), name), port_path,
                "endpoint port " + quote(name) + " is not a port name of the ServiceEntry");
    }
    if (!isIstioDnsLabel(name)) {
      ctx.error(lookup(lookup(node, "ports"), name), port_path,
                "invalid port name " + quote(name) + "; use an RFC 1123 label");
    }
  }
  if (unix_socket && service_ports != nullptr && service_ports->size() != 1) {
    ctx.error(node, path, "a unix endpoint needs a ServiceEntry with exactly one port");
  }
}

// addresses: IP addresses or CIDR blocks. Returns true when one of them is a CIDR block.
bool decodeAddresses(DecodeContext& ctx, MapReader& spec, ServiceEntry& entry) {
  YAML::Node addresses = spec.take("addresses");
  bool has_cidr = false;
  if (spec.readStringList("addresses", entry.addresses)) {
    for (size_t i = 0; i < entry.addresses.size(); ++i) {
      has_cidr = has_cidr || entry.addresses[i].find('/') != std::string::npos;
      if (std::string problem = validateIpOrCidr(entry.addresses[i]); !problem.empty()) {
        ctx.error(addresses[i], indexPath(spec.pathOf("addresses"), i), problem);
      }
    }
  }
  return has_cidr;
}

// ports: numbers and names unique, names RFC 1123 labels. Returns the port names.
std::set<std::string> decodeServicePorts(DecodeContext& ctx, MapReader& spec, ServiceEntry& entry) {
  std::set<std::string> port_names;
  std::set<uint32_t> port_numbers;
  forEachItem(ctx, spec.take("ports"), spec.pathOf("ports"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                ServiceEntryPort port;
                MapReader reader(ctx, item, item_path);
                bool number_read = reader.readUint32("number", 0, 65535, port.number);
                YAML::Node protocol = reader.take("protocol");
                reader.readString("protocol", port.protocol);
                YAML::Node name = reader.take("name");
                reader.readString("name", port.name);
                reader.readUint32("targetPort", 0, 65535, port.target_port);
                reader.finish();
                if (!reader.isMap()) {
                  return;
                }
                if (number_read && port.number == 0) {
                  ctx.error(reader.keyNode("number"), reader.pathOf("number"),
                            "port number must be in the range 1-65535");
                } else if (!port_numbers.insert(port.number).second) {
                  ctx.error(reader.take("number"), reader.pathOf("number"),
                            "port " + std::to_string(port.number) + " is already defined");
                }
                if (!isIstioDnsLabel(port.name)) {
                  ctx.error(reader.keyNode("name"), reader.pathOf("name"),
                            "invalid port name " + quote(port.name) +
                                "; use an RFC 1123 label such as \"http\"");
                } else if (!port_names.insert(port.name).second) {
                  ctx.error(name, reader.pathOf("name"),
                            "port name " + quote(port.name) + " is already defined");
                }
                if (!port.protocol.empty() && !isKnownProtocol(port.protocol)) {
                  ctx.error(protocol, reader.pathOf("protocol"),
                            "invalid protocol " + quote(port.protocol) +
                                "; accepted: " + std::string(kProtocolList));
                }
                port.protocol = upper(port.protocol);
                entry.ports.push_back(std::move(port));
              });
  return port_names;
}

// location and resolution. Returns the resolution as written, for messages.
std::string decodeLocationAndResolution(DecodeContext& ctx, MapReader& spec, ServiceEntry& entry) {
  YAML::Node location = spec.take("location");
  if (spec.readString("location", entry.location) && !entry.location.empty() &&
      entry.location != "MESH_EXTERNAL" && entry.location != "MESH_INTERNAL") {
    ctx.error(
        location, spec.pathOf("location"),
        "invalid location " + quote(entry.location) + "; accepted: MESH_EXTERNAL, MESH_INTERNAL");
  }

  YAML::Node resolution = spec.take("resolution");
  std::string resolution_name;
  if (spec.readString("resolution", resolution_name) && !resolution_name.empty()) {
    auto found = kResolutions.find(resolution_name);
    if (found == kResolutions.end()) {
      ctx.error(resolution, spec.pathOf("resolution"),
                "invalid resolution " + quote(resolution_name) +
                    "; accepted: NONE, STATIC, DNS, DNS_ROUND_ROBIN");
    } else {
      entry.resolution = found->second;
    }
  }
  return resolution_name;
}

void decodeWorkloadSelector(DecodeContext& ctx, MapReader& spec, ServiceEntry& entry) {
  YAML::Node selector = spec.take("workloadSelector");
  if (!selector.IsDefined() || selector.IsNull()) {
    return;
  }
  MapReader reader(ctx, selector, spec.pathOf("workloadSelector"));
  Labels labels;
  bool labels_read = reader.readStringMap("labels", labels);
  if (labels_read) {
    checkLabels(ctx, reader.take("labels"), reader.pathOf("labels"), labels);
  }
  reader.finish();
  if (labels_read && reader.isMap() && labels.empty()) {
    ctx.warning(selector, spec.pathOf("workloadSelector"),
                "workload selector has no labels, so it selects every workload in the "
                "namespace");
  }
  entry.workload_selector = std::move(labels);
}

void checkExportTo(DecodeContext& ctx, MapReader& spec, ServiceEntry& entry) {
  YAML::Node export_to = spec.take("exportTo");
  if (!spec.readStringList("exportTo", entry.export_to)) {
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < entry.export_to.size(); ++i) {
    const std::string& value = entry.export_to[i];
    std::string item_path = indexPath(spec.pathOf("exportTo"), i);
    if (value != "." && value != "*" && value != "~" && !isDns1123Label(value)) {
      ctx.error(export_to[i], item_path,
                "invalid exportTo " + quote(value) + "; use \".\", \"*\", \"~\" or a namespace");
    } else if (!seen.insert(value == "." ? entry.meta.ns : value).second) {
      ctx.error(export_to[i], item_path, "duplicate exportTo entry " + quote(value));
    }
  }
  if (entry.export_to.size() > 1 && (seen.count("*") != 0 || seen.count("~") != 0)) {
    ctx.error(export_to, spec.pathOf("exportTo"),
              "\"*\" and \"~\" cannot be combined with other exportTo entries");
  }
}

// The rules that depend on the resolution: which endpoints are allowed and what hosts need.
void checkResolutionRules(DecodeContext& ctx, MapReader& spec, const ServiceEntry& entry,
                          const std::set<std::string>& port_names,
                          const std::string& resolution_name) {
  YAML::Node hosts = spec.take("hosts");
  YAML::Node endpoints = spec.take("endpoints");
  bool dns = entry.resolution == ServiceEntry::Resolution::Dns ||
             entry.resolution == ServiceEntry::Resolution::DnsRoundRobin;
  if (entry.resolution == ServiceEntry::Resolution::None && !entry.endpoints.empty()) {
    ctx.error(endpoints, spec.pathOf("endpoints"),
              "resolution NONE takes no endpoints; use STATIC or DNS");
  }
  if (dns && entry.endpoints.empty()) {
    for (size_t i = 0; i < entry.hosts.size(); ++i) {
      if (!validateFqdn(entry.hosts[i]).empty()) {
        ctx.error(hosts[i], indexPath(spec.pathOf("hosts"), i),
                  "hosts must be fully qualified names without wildcards when resolution " +
                      resolution_name + " has no endpoints");
      }
    }
  }
  if (entry.resolution == ServiceEntry::Resolution::DnsRoundRobin && entry.endpoints.size() > 1) {
    ctx.error(endpoints, spec.pathOf("endpoints"),
              "resolution DNS_ROUND_ROBIN takes at most one endpoint");
  }
  if (entry.resolution != ServiceEntry::Resolution::None) {
    for (size_t i = 0; i < entry.endpoints.size(); ++i) {
      checkEndpoint(ctx, endpoints[i], indexPath(spec.pathOf("endpoints"), i), entry.endpoints[i],
                    &port_names, /*allow_hostname=*/dns);
    }
  }
  if (entry.resolution != ServiceEntry::Resolution::None && entry.hosts.size() > 1) {
    for (const ServiceEntryPort& port : entry.ports) {
      if (!isHttpProtocol(port.protocol) && !isTlsProtocol(port.protocol)) {
        ctx.error(hosts, spec.pathOf("hosts"),
                  "several hosts need HTTP or TLS ports, but port " + std::to_string(port.number) +
                      " uses " + (port.protocol.empty() ? "no protocol" : port.protocol));
        break;
      }
    }
  }
}

}  // namespace

IstioGateway decodeIstioGateway(DecodeContext& ctx, MapReader& root, ObjectMeta meta) {
  IstioGateway gateway;
  gateway.meta = std::move(meta);
  if (!gateway.meta.name.empty() && !isIstioDnsLabel(gateway.meta.name)) {
    ctx.error(lookup(lookup(root.node(), "metadata"), "name"), "metadata.name",
              "invalid Gateway name " + quote(gateway.meta.name) +
                  "; a Gateway name must be an RFC 1123 label (no dots)");
  }
  MapReader spec(ctx, root.take("spec"), "spec");
  spec.readStringMap("selector", gateway.selector);
  YAML::Node servers = spec.take("servers");
  std::set<std::string> port_names;
  forEachItem(ctx, servers, spec.pathOf("servers"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                gateway.servers.push_back(decodeServer(ctx, item, item_path, port_names));
              });
  spec.finish();
  if (spec.isMap() && gateway.servers.empty() && (servers.IsNull() || servers.IsSequence())) {
    ctx.error(spec.keyNode("servers"), spec.pathOf("servers"),
              "a Gateway must have at least one server");
  }
  return gateway;
}

VirtualService decodeVirtualService(DecodeContext& ctx, MapReader& root, ObjectMeta meta) {
  VirtualService service;
  service.meta = std::move(meta);
  MapReader spec(ctx, root.take("spec"), "spec");

  YAML::Node gateways = spec.take("gateways");
  if (spec.readStringList("gateways", service.gateways)) {
    checkGatewayReferences(ctx, gateways, spec.pathOf("gateways"), service.gateways);
  }
  bool bound_to_gateway =
      !service.gateways.empty() &&
      std::find(service.gateways.begin(), service.gateways.end(), "mesh") == service.gateways.end();

  YAML::Node hosts = spec.take("hosts");
  bool hosts_read = spec.readStringList("hosts", service.hosts);
  bool hosts_valid = hosts_read;
  for (size_t i = 0; i < service.hosts.size(); ++i) {
    const std::string& host = service.hosts[i];
    std::string host_path = indexPath(spec.pathOf("hosts"), i);
    std::string problem = validateWildcardDomain(host);
    if (!problem.empty() && !parseIpAddress(host)) {
      ctx.error(hosts[i], host_path, problem);
      hosts_valid = false;
    } else if (problem.empty() && !bound_to_gateway && host == "*") {
      ctx.error(hosts[i], host_path,
                "wildcard host \"*\" is not allowed for a VirtualService bound to the mesh; "
                "list a gateway in spec.gateways");
      hosts_valid = false;
    }
  }
  if (hosts_valid) {
    for (size_t i = 0; i < service.hosts.size(); ++i) {
      for (size_t j = i + 1; j < service.hosts.size(); ++j) {
        if (hostsOverlap(service.hosts[i], service.hosts[j])) {
          ctx.error(hosts[j], indexPath(spec.pathOf("hosts"), j),
                    "duplicate hosts in VirtualService: " + service.hosts[i] + " and " +
                        service.hosts[j]);
        }
      }
    }
  }
  if (spec.isMap() && hosts_read && service.hosts.empty()) {
    // Istio reads a VirtualService without hosts as a delegate; Portcullis has no delegates.
    ctx.error(spec.keyNode("hosts"), spec.pathOf("hosts"),
              "at least one host is required (delegate VirtualServices are not supported)");
  }

  forEachItem(ctx, spec.take("http"), spec.pathOf("http"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                service.http.push_back(decodeHttpRoute(ctx, item, item_path, bound_to_gateway));
              });
  spec.unsupported({"tls", "tcp", "exportTo"});
  spec.finish();
  if (spec.isMap() && service.http.empty() && !spec.has("tls") && !spec.has("tcp")) {
    ctx.error(spec.node(), spec.pathOf("http"), "http, tcp or tls routes must be provided");
  }
  return service;
}

ServiceEntry decodeServiceEntry(DecodeContext& ctx, MapReader& root, ObjectMeta meta) {
  ServiceEntry entry;
  entry.meta = std::move(meta);
  MapReader spec(ctx, root.take("spec"), "spec");

  YAML::Node hosts = spec.take("hosts");
  if (spec.readStringList("hosts", entry.hosts) && spec.isMap() && entry.hosts.empty()) {
    ctx.error(spec.keyNode("hosts"), spec.pathOf("hosts"),
              "a ServiceEntry must have at least one host");
  }
  for (size_t i = 0; i < entry.hosts.size(); ++i) {
    std::string problem = entry.hosts[i] == "*" ? "host \"*\" is not allowed in a ServiceEntry"
                                                : validateWildcardDomain(entry.hosts[i]);
    if (!problem.empty()) {
      ctx.error(hosts[i], indexPath(spec.pathOf("hosts"), i), problem);
    }
  }

  bool has_cidr = decodeAddresses(ctx, spec, entry);
  std::set<std::string> port_names = decodeServicePorts(ctx, spec, entry);
  std::string resolution_name = decodeLocationAndResolution(ctx, spec, entry);
  if (has_cidr && entry.resolution != ServiceEntry::Resolution::None &&
      entry.resolution != ServiceEntry::Resolution::Static) {
    ctx.error(spec.take("addresses"), spec.pathOf("addresses"),
              "CIDR addresses are allowed only with resolution NONE or STATIC");
  }

  decodeWorkloadSelector(ctx, spec, entry);
  YAML::Node endpoints = spec.take("endpoints");
  forEachItem(ctx, endpoints, spec.pathOf("endpoints"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                entry.endpoints.push_back(decodeEndpoint(ctx, item, item_path));
              });
  if (entry.workload_selector && endpoints.IsDefined() && !endpoints.IsNull()) {
    ctx.error(endpoints, spec.pathOf("endpoints"),
              "only one of workloadSelector and endpoints can be set");
  }

  checkExportTo(ctx, spec, entry);
  spec.unsupported({"subjectAltNames"});
  spec.finish();
  if (spec.isMap()) {
    checkResolutionRules(ctx, spec, entry, port_names, resolution_name);
  }
  return entry;
}

WorkloadEntry decodeWorkloadEntry(DecodeContext& ctx, MapReader& root, ObjectMeta meta) {
  WorkloadEntry entry;
  entry.meta = std::move(meta);
  YAML::Node spec = root.take("spec");
  entry.endpoint = decodeEndpoint(ctx, spec, "spec");
  if (spec.IsMap() || spec.IsNull()) {
    checkEndpoint(ctx, spec, "spec", entry.endpoint, nullptr, /*allow_hostname=*/true);
  }
  return entry;
}

}  // namespace portcullis::config::internal
