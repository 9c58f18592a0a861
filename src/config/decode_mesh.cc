// The mesh config: ConfigMap `istio` in `istio-system`, whose data.mesh is MeshConfig as YAML
// text. Istio reads that text as proto JSON, so integers may be written as strings ("9000").
// Portcullis uses a handful of its fields; the others produce a Warning that they are ignored.
#include <algorithm>
#include <limits>
#include <set>

#include "config/decoders.h"
#include "config/validators.h"

namespace portcullis::config::internal {
namespace {

// Where the text of a data.mesh value starts in the file, so that lines inside it are reported
// as lines of the file. Exact for literal block scalars (`mesh: |`), the form Istio's own
// manifests use. NOTE: for folded (`>`) and quoted multi-line values the line numbers are
// approximate, because YAML joins or re-flows their lines.
TextOrigin originOfScalar(const std::string& file, std::string_view file_text,
                          const YAML::Node& key, const YAML::Node& value) {
  TextOrigin origin{file, 0, 0};
  YAML::Mark mark = value.Mark();
  if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= file_text.size()) {
    return origin;
  }
  char indicator = file_text[mark.pos];
  if (indicator != '|' && indicator != '>') {
    bool quoted = indicator == '"' || indicator == '\'';
    origin.first_line = mark.line;
    origin.column_offset = mark.column + (quoted ? 1 : 0);
    return origin;
  }
  size_t line_end = file_text.find('\n', mark.pos);
  if (line_end == std::string_view::npos) {
    return origin;
  }
  origin.first_line = mark.line + 1;
  // An explicit indentation indicator ("|2") counts from the indentation of the key's line.
  std::string_view header = file_text.substr(mark.pos + 1, line_end - mark.pos - 1);
  for (char c : header) {
    if (c >= '1' && c <= '9') {
      origin.column_offset = key.Mark().column + (c - '0');
      return origin;
    }
    if (c == '#' || c == ' ') {
      break;
    }
  }
  // Otherwise the first non-empty line sets the indentation.
  size_t position = line_end + 1;
  while (position < file_text.size()) {
    size_t next = file_text.find('\n', position);
    std::string_view line = file_text.substr(
        position, next == std::string_view::npos ? std::string_view::npos : next - position);
    size_t indent = line.find_first_not_of(' ');
    if (indent != std::string_view::npos) {
      origin.column_offset = static_cast<int>(indent);
      return origin;
    }
    if (next == std::string_view::npos) {
      break;
    }
    position = next + 1;
  }
  return origin;
}

struct Normalization {
  std::string_view name;
  PathNormalization value;
};

constexpr Normalization kNormalizations[] = {
    {"NONE", PathNormalization::None},
    {"BASE", PathNormalization::Base},
    {"DEFAULT", PathNormalization::Base},
    {"MERGE_SLASHES", PathNormalization::MergeSlashes},
    {"DECODE_AND_MERGE_SLASHES", PathNormalization::DecodeAndMergeSlashes},
};

void decodePathNormalization(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                             MeshConfig& mesh) {
  MapReader reader(ctx, node, path);
  YAML::Node value = reader.take("normalization");
  std::string name;
  if (reader.readString("normalization", name) && !name.empty()) {
    bool known = false;
    for (const Normalization& entry : kNormalizations) {
      if (entry.name == name) {
        mesh.path_normalization = entry.value;
        known = true;
      }
    }
    if (!known) {
      ctx.error(value, reader.pathOf("normalization"),
                "invalid normalization " + quote(name) +
                    "; accepted: NONE, BASE, DEFAULT, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES");
    }
  }
  reader.finish();
}

void decodeDefaultConfig(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                         MeshConfig& mesh) {
  MapReader reader(ctx, node, path);
  YAML::Node topology = reader.take("gatewayTopology");
  MapReader topology_reader(ctx, topology, reader.pathOf("gatewayTopology"));
  topology_reader.readUint32("numTrustedProxies", 0, std::numeric_limits<uint32_t>::max(),
                             mesh.num_trusted_proxies);
  topology_reader.finishIgnoringUnknown();
  reader.finishIgnoringUnknown();
}

void checkStatusOnError(DecodeContext& ctx, MapReader& reader, uint32_t& out) {
  YAML::Node node = reader.take("statusOnError");
  std::string text;
  if (!reader.readString("statusOnError", text) || text.empty()) {
    return;
  }
  bool digits = text.size() <= 6 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  int64_t code = digits ? std::stoll(text) : -1;
  if (!isEnvoyStatusCode(code)) {
    ctx.error(node, reader.pathOf("statusOnError"),
              "invalid statusOnError " + quote(text) +
                  "; use an HTTP status code such as \"403\" or \"503\"");
    return;
  }
  out = static_cast<uint32_t>(code);
}

void checkService(DecodeContext& ctx, MapReader& reader, std::string& out) {
  YAML::Node node = reader.take("service");
  reader.readString("service", out);
  if (!reader.isMap()) {
    return;
  }
  if (std::string problem = validateProviderService(out); !problem.empty()) {
    ctx.error(reader.has("service") ? node : reader.node(), reader.pathOf("service"), problem);
  }
}

void checkPort(DecodeContext& ctx, MapReader& reader, uint32_t& out) {
  if (reader.readUint32("port", 0, 65535, out) && reader.isMap() && out == 0) {
    ctx.error(reader.keyNode("port"), reader.pathOf("port"),
              "port is required and must be in the range 1-65535");
  }
}

ExtAuthzRequestBody decodeRequestBody(DecodeContext& ctx, const YAML::Node& node,
                                      const std::string& path) {
  ExtAuthzRequestBody body;
  MapReader reader(ctx, node, path);
  reader.readUint32("maxRequestBytes", 0, std::numeric_limits<uint32_t>::max(),
                    body.max_request_bytes);
  reader.readBool("allowPartialMessage", body.allow_partial_message);
  reader.readBool("packAsBytes", body.pack_as_bytes);
  reader.finish();
  return body;
}

// The header lists of envoyExtAuthzHttp hold exact names, "prefix*" or "*suffix". istiod
// rejects a lone "*", which would match every header.
void checkHeaderPatterns(DecodeContext& ctx, MapReader& reader, const std::string& key,
                         const std::vector<std::string>& patterns) {
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string_view name = patterns[i];
    if (name.size() > 1 && name.front() == '*') {
      name.remove_prefix(1);
    } else if (name.size() > 1 && name.back() == '*') {
      name.remove_suffix(1);
    }
    if (name == "*" || !isHttpToken(name)) {
      ctx.error(reader.keyNode(key), reader.pathOf(key) + "[" + std::to_string(i) + "]",
                "invalid header pattern " + quote(patterns[i]) +
                    "; use a header name, \"prefix*\" or \"*suffix\" (a lone \"*\" is not "
                    "accepted)");
    }
  }
}

// Whether `value` can be sent as a header value or request target: no control characters
// (CR and LF would start a new line on the wire), and no spaces when `allow_space` is false.
bool isPrintable(std::string_view value, bool allow_space) {
  return std::all_of(value.begin(), value.end(), [&](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte > 0x20 || (allow_space && (byte == ' ' || byte == '\t'))) && byte != 0x7f;
  });
}

ExtAuthzHttpProvider decodeExtAuthzHttp(DecodeContext& ctx, const YAML::Node& node,
                                        const std::string& path) {
  ExtAuthzHttpProvider provider;
  MapReader reader(ctx, node, path);
  checkService(ctx, reader, provider.service);
  checkPort(ctx, reader, provider.port);
  reader.readDuration("timeout", provider.timeout);
  YAML::Node prefix = reader.take("pathPrefix");
  if (reader.readString("pathPrefix", provider.path_prefix) && !provider.path_prefix.empty() &&
      !provider.path_prefix.starts_with("/")) {
    ctx.error(prefix, reader.pathOf("pathPrefix"),
              "pathPrefix " + quote(provider.path_prefix) + " must start with '/'");
  } else if (!isPrintable(provider.path_prefix, false)) {
    ctx.error(prefix, reader.pathOf("pathPrefix"),
              "pathPrefix " + quote(provider.path_prefix) +
                  " contains a space or control character; percent-encode it");
  }
  reader.readBool("failOpen", provider.fail_open);
  checkStatusOnError(ctx, reader, provider.status_on_error);
  std::vector<std::string> deprecated_headers;
  reader.readStringList("includeRequestHeadersInCheck", provider.include_request_headers_in_check);
  reader.readStringList("includeHeadersInCheck", deprecated_headers);
  if (provider.include_request_headers_in_check.empty()) {
    provider.include_request_headers_in_check = std::move(deprecated_headers);
  }
  YAML::Node additional = reader.take("includeAdditionalHeadersInCheck");
  const std::string additional_path = reader.pathOf("includeAdditionalHeadersInCheck");
  readStringPairs(ctx, additional, additional_path, provider.include_additional_headers_in_check);
  for (const auto& [name, value] : provider.include_additional_headers_in_check) {
    if (!isHttpToken(name)) {
      ctx.error(additional, additional_path + "." + name,
                "invalid header name " + quote(name) + "; use letters, digits and '-'");
    } else if (!isPrintable(value, true)) {
      ctx.error(additional, additional_path + "." + name,
                "the value of header " + name + " contains a control character such as CR or LF");
    }
  }
  YAML::Node body = reader.take("includeRequestBodyInCheck");
  if (body.IsDefined() && !body.IsNull()) {
    provider.include_request_body_in_check =
        decodeRequestBody(ctx, body, reader.pathOf("includeRequestBodyInCheck"));
  }
  reader.readStringList("headersToUpstreamOnAllow", provider.headers_to_upstream_on_allow);
  reader.readStringList("headersToDownstreamOnAllow", provider.headers_to_downstream_on_allow);
  reader.readStringList("headersToDownstreamOnDeny", provider.headers_to_downstream_on_deny);
  checkHeaderPatterns(ctx, reader,
                      reader.has("includeRequestHeadersInCheck") ? "includeRequestHeadersInCheck"
                                                                 : "includeHeadersInCheck",
                      provider.include_request_headers_in_check);
  checkHeaderPatterns(ctx, reader, "headersToUpstreamOnAllow",
                      provider.headers_to_upstream_on_allow);
  checkHeaderPatterns(ctx, reader, "headersToDownstreamOnAllow",
                      provider.headers_to_downstream_on_allow);
  checkHeaderPatterns(ctx, reader, "headersToDownstreamOnDeny",
                      provider.headers_to_downstream_on_deny);
  reader.readBool("clearRouteCache", provider.clear_route_cache);
  reader.finish();
  return provider;
}

// The gRPC provider is read and checked like Istio does, then only marked as present.
void decodeExtAuthzGrpc(DecodeContext& ctx, const YAML::Node& node, const std::string& path) {
  MapReader reader(ctx, node, path);
  std::string service;
  checkService(ctx, reader, service);
  uint32_t port = 0;
  checkPort(ctx, reader, port);
  std::chrono::milliseconds timeout{0};
  reader.readDuration("timeout", timeout);
  bool flag = false;
  reader.readBool("failOpen", flag);
  uint32_t status = 0;
  checkStatusOnError(ctx, reader, status);
  YAML::Node body = reader.take("includeRequestBodyInCheck");
  if (body.IsDefined() && !body.IsNull()) {
    decodeRequestBody(ctx, body, reader.pathOf("includeRequestBodyInCheck"));
  }
  reader.readBool("clearRouteCache", flag);
  reader.finish();
}

// Provider kinds of MeshConfig.ExtensionProvider that Portcullis does not implement.
constexpr std::string_view kOtherProviderKinds[] = {
    "zipkin",      "lightstep",     "datadog",    "stackdriver",        "opencensus",
    "skywalking",  "opentelemetry", "prometheus", "envoyFileAccessLog", "envoyHttpAls",
    "envoyTcpAls", "envoyOtelAls",  "sds"};

ExtensionProvider decodeProvider(DecodeContext& ctx, const YAML::Node& node,
                                 const std::string& path, std::set<std::string>& names) {
  ExtensionProvider provider;
  provider.location = ctx.locate(node);
  MapReader reader(ctx, node, path);
  YAML::Node name = reader.take("name");
  reader.readString("name", provider.name);
  YAML::Node http = reader.take("envoyExtAuthzHttp");
  YAML::Node grpc = reader.take("envoyExtAuthzGrpc");
  int kinds =
      (http.IsDefined() && !http.IsNull() ? 1 : 0) + (grpc.IsDefined() && !grpc.IsNull() ? 1 : 0);
  for (std::string_view kind : kOtherProviderKinds) {
    kinds += reader.has(kind) ? 1 : 0;
    reader.take(kind);
  }
  if (http.IsDefined() && !http.IsNull()) {
    provider.ext_authz_http = decodeExtAuthzHttp(ctx, http, reader.pathOf("envoyExtAuthzHttp"));
  }
  if (grpc.IsDefined() && !grpc.IsNull()) {
    decodeExtAuthzGrpc(ctx, grpc, reader.pathOf("envoyExtAuthzGrpc"));
    provider.ext_authz_grpc = true;
    ctx.warning(reader.keyNode("envoyExtAuthzGrpc"), reader.pathOf("envoyExtAuthzGrpc"),
                "gRPC external authorization is not implemented by Portcullis; CUSTOM policies "
                "that name provider " +
                    quote(provider.name) + " cannot call it");
  }
  for (std::string_view kind : kOtherProviderKinds) {
    if (reader.has(kind)) {
      ctx.warning(
          reader.keyNode(kind), reader.pathOf(kind),
          "provider type " + std::string(kind) + " is not supported by Portcullis and is ignored");
    }
  }
  reader.finish();
  if (!reader.isMap()) {
    return provider;
  }
  // Istio requires a unique, non-empty name. Names are also used as Kubernetes-style labels
  // (lower-case letters, digits and '-', at most 63 characters).
  if (provider.name.empty()) {
    ctx.error(reader.keyNode("name"), reader.pathOf("name"), "provider name is required");
  } else if (!isDns1123Label(provider.name)) {
    ctx.error(name, reader.pathOf("name"),
              "invalid provider name " + quote(provider.name) +
                  "; use at most 63 lower-case letters, digits and '-', not starting or ending "
                  "with '-'");
  } else if (!names.insert(provider.name).second) {
    ctx.error(name, reader.pathOf("name"), "duplicate provider name " + quote(provider.name));
  }
  if (kinds == 0) {
    ctx.error(node, path, "provider type is missing; set envoyExtAuthzHttp");
  } else if (kinds > 1) {
    ctx.error(node, path, "a provider must have exactly one type");
  }
  return provider;
}

void decodeMeshText(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                    MeshConfig& mesh) {
  MapReader reader(ctx, node, path);
  YAML::Node root_namespace = reader.take("rootNamespace");
  if (reader.readString("rootNamespace", mesh.root_namespace) &&
      !isDns1123Label(mesh.root_namespace)) {
    ctx.error(root_namespace, reader.pathOf("rootNamespace"),
              "invalid rootNamespace " + quote(mesh.root_namespace) + "; use a namespace name");
  }
  decodePathNormalization(ctx, reader.take("pathNormalization"), reader.pathOf("pathNormalization"),
                          mesh);
  decodeDefaultConfig(ctx, reader.take("defaultConfig"), reader.pathOf("defaultConfig"), mesh);
  std::set<std::string> names;
  forEachItem(ctx, reader.take("extensionProviders"), reader.pathOf("extensionProviders"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                mesh.extension_providers.push_back(decodeProvider(ctx, item, item_path, names));
              });
  reader.finishIgnoringUnknown();
}

}  // namespace

MeshConfig decodeMeshConfigMap(DecodeContext& ctx, MapReader& root, std::string_view file_text) {
  MeshConfig mesh;
  mesh.present = true;
  mesh.location = ctx.locate(root.node());
  root.ignore({"binaryData", "immutable"});
  YAML::Node data = root.take("data");
  Labels values;
  if (!readStringMap(ctx, data, "data", values) || values.count("mesh") == 0) {
    return mesh;
  }

  YAML::Node key;
  YAML::Node value;
  for (auto it = data.begin(); it != data.end(); ++it) {
    if (it->first.Scalar() == "mesh") {
      key = it->first;
      value = it->second;
    }
  }
  // The mesh text gets its own context, so that its marks map to lines inside the block.
  DecodeContext mesh_ctx(originOfScalar(ctx.file(), file_text, key, value), ctx.sink());
  mesh_ctx.setObject(ctx.object());
  mesh_ctx.setFallback(ctx.locate(value));
  mesh_ctx.integers_as_strings = true;

  YAML::Node document;
  try {
    document = YAML::Load(values["mesh"]);
  } catch (const YAML::Exception& error) {
    mesh_ctx.report(Diagnostic::Severity::Error, mesh_ctx.locate(error.mark), "data.mesh",
                    "invalid YAML: " + error.msg);
  }
  if (mesh_ctx.errorCount() == 0) {
    decodeMeshText(mesh_ctx, document, "data.mesh", mesh);
  }
  ctx.addErrors(mesh_ctx.errorCount());
  return mesh;
}

}  // namespace portcullis::config::internal
