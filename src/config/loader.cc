#include "config/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/decode_context.h"
#include "config/decoders.h"

namespace portcullis::config {

std::string Diagnostic::format() const {
  std::string out = location.file;
  if (location.line > 0) {
    out += ":" + std::to_string(location.line);
    if (location.column > 0) {
      out += ":" + std::to_string(location.column);
    }
  }
  switch (severity) {
    case Severity::Error:
      out += ": error: ";
      break;
    case Severity::Warning:
      out += ": warning: ";
      break;
    case Severity::Info:
      out += ": info: ";
      break;
  }
  if (!object.empty()) {
    out += object + ": ";
  }
  if (!field.empty()) {
    out += field + ": ";
  }
  out += message;
  return out;
}

bool LoadResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& diagnostic) {
    return diagnostic.severity == Diagnostic::Severity::Error;
  });
}

namespace {

using internal::DecodeContext;
using internal::MapReader;

enum class Kind {
  IstioGateway,
  VirtualService,
  ServiceEntry,
  WorkloadEntry,
  K8sGateway,
  HttpRoute,
  RequestAuthentication,
  AuthorizationPolicy,
  ConfigMap,
};

// Every kind Portcullis reads, at every version its API group serves.
struct KindInfo {
  std::string_view group;  // "" for the core group (ConfigMap)
  std::string_view name;
  std::vector<std::string_view> versions;
  Kind kind;
};

const std::vector<KindInfo>& knownKinds() {
  static const std::vector<KindInfo> kinds = {
      {"networking.istio.io", "Gateway", {"v1", "v1beta1", "v1alpha3"}, Kind::IstioGateway},
      {"networking.istio.io",
       "VirtualService",
       {"v1", "v1beta1", "v1alpha3"},
       Kind::VirtualService},
      {"networking.istio.io", "ServiceEntry", {"v1", "v1beta1", "v1alpha3"}, Kind::ServiceEntry},
      {"networking.istio.io", "WorkloadEntry", {"v1", "v1beta1", "v1alpha3"}, Kind::WorkloadEntry},
      {"security.istio.io",
       "RequestAuthentication",
       {"v1", "v1beta1"},
       Kind::RequestAuthentication},
      {"security.istio.io", "AuthorizationPolicy", {"v1", "v1beta1"}, Kind::AuthorizationPolicy},
      {"gateway.networking.k8s.io", "Gateway", {"v1", "v1beta1"}, Kind::K8sGateway},
      {"gateway.networking.k8s.io", "HTTPRoute", {"v1", "v1beta1"}, Kind::HttpRoute},
      {"", "ConfigMap", {"v1"}, Kind::ConfigMap},
  };
  return kinds;
}

std::string apiVersionOf(std::string_view group, std::string_view version) {
  if (group.empty()) {
    return std::string(version);
  }
  return std::string(group) + "/" + std::string(version);
}

std::string scalarOr(const YAML::Node& node, std::string fallback) {
  if (node.IsScalar() && !node.Scalar().empty()) {
    return node.Scalar();
  }
  return fallback;
}

// "Deployment foo/bar", or "Namespace foo" for an object without a namespace.
std::string describeObject(const std::string& kind, const YAML::Node& node) {
  YAML::Node metadata = internal::lookup(node, "metadata");
  std::string name = scalarOr(internal::lookup(metadata, "name"), "(no name)");
  YAML::Node ns = internal::lookup(metadata, "namespace");
  if (ns.IsScalar() && !ns.Scalar().empty()) {
    return kind + " " + ns.Scalar() + "/" + name;
  }
  return kind + " " + name;
}

// Records where the last document started; the parse itself builds nothing.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start;
};

// Returns where the parser stops making progress, if it does. yaml-cpp 0.7 loops forever in
// YAML::LoadAll on some invalid input, such as a document that starts with ','. Its parser then
// reports an empty document at the same position again and again, and LoadAll stores each one
// until memory runs out. Other syntax errors throw YAML::ParserException here as they would in
// LoadAll. Upstream tracks the loop as jbeder/yaml-cpp issue 1040.
std::optional<YAML::Mark> findStalledDocument(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  int previous = -1;
  while (parser.HandleNextDocument(starts)) {
    if (starts.start.pos == previous) {
      return starts.start;
    }
    previous = starts.start.pos;
  }
  return std::nullopt;
}

std::string formatLocation(const SourceLocation& location) {
  return location.file + ":" + std::to_string(location.line);
}

class Loader {
 public:
  void loadPath(const std::string& path);
  void loadText(std::string_view text, const std::string& file);
  LoadResult take() { return std::move(result_); }

 private:
  void loadFile(const std::string& path);
  void loadDocument(const YAML::Node& node, std::string_view text, const std::string& file,
                    bool in_list);
  void decodeObject(const YAML::Node& node, const KindInfo& info, const std::string& api_version,
                    int64_t order, std::string_view text, const std::string& file);
  void decodeSpec(DecodeContext& ctx, MapReader& root, Kind kind, ObjectMeta meta,
                  std::string_view text);
  void fail(const std::string& file, std::string message) {
    result_.diagnostics.push_back(Diagnostic{
        Diagnostic::Severity::Error, SourceLocation{file, 0, 0}, "", "", std::move(message)});
  }

  LoadResult result_;
  int64_t next_order_ = 0;
  // group/kind/namespace/name of every object read, with where it was first defined.
  std::map<std::string, SourceLocation> seen_;
};

void Loader::loadPath(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (error || !fs::exists(status)) {
    fail(path, "cannot read " + path + ": no such file or directory");
    return;
  }
  if (!fs::is_directory(status)) {
    loadFile(path);
    return;
  }
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
    std::string extension = entry.path().extension().string();
    if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml")) {
      files.push_back(entry.path());
    }
  }
  if (error) {
    fail(path, "cannot list folder " + path + ": " + error.message());
    return;
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  for (const fs::path& file : files) {
    loadFile(file.string());
  }
}

void Loader::loadFile(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    fail(path, "cannot read " + path + ": " + std::strerror(errno));
    return;
  }
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  result_.files.push_back(path);
  loadText(buffer.str(), path);
}

void Loader::loadText(std::string_view text, const std::string& file) {
  // A syntax error leaves the rest of the file unreadable, so none of it is used.
  auto reportSyntaxError = [&](const YAML::Mark& mark, const std::string& message) {
    SourceLocation location{file, mark.line + 1, mark.column + 1};
    if (mark.line < 0) {
      location = SourceLocation{file, 0, 0};
    }
    result_.diagnostics.push_back(
        Diagnostic{Diagnostic::Severity::Error, location, "", "", "invalid YAML: " + message});
  };
  std::vector<YAML::Node> documents;
  try {
    std::string copy(text);
    if (std::optional<YAML::Mark> stalled = findStalledDocument(copy)) {
      reportSyntaxError(*stalled,
                        "unexpected ','; a comma separates items only inside [...] or {...}");
      return;
    }
    documents = YAML::LoadAll(copy);
  } catch (const YAML::Exception& error) {
    reportSyntaxError(error.mark, error.msg);
    return;
  }
  for (const YAML::Node& document : documents) {
    size_t first = result_.diagnostics.size();
    loadDocument(document, text, file, /*in_list=*/false);
    // Decoders report in the order they read fields; readers expect the order of the file.
    std::stable_sort(result_.diagnostics.begin() + static_cast<std::ptrdiff_t>(first),
                     result_.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
                       return std::tie(a.location.line, a.location.column) <
                              std::tie(b.location.line, b.location.column);
                     });
  }
}

void Loader::loadDocument(const YAML::Node& node, std::string_view text, const std::string& file,
                          bool in_list) {
  if (!node.IsDefined() || node.IsNull()) {
    return;  // an empty document, such as a trailing "---"
  }
  DecodeContext ctx({file, 0, 0}, result_.diagnostics);
  ctx.setFallback(ctx.locate(node));
  if (!node.IsMap()) {
    ctx.error(node, "",
              "expected a Kubernetes object (a map with apiVersion and kind), found " +
                  internal::describeNode(node));
    return;
  }
  YAML::Node api_version_node = internal::lookup(node, "apiVersion");
  YAML::Node kind_node = internal::lookup(node, "kind");
  std::string api_version;
  std::string kind;
  internal::readString(ctx, api_version_node, "apiVersion", api_version);
  internal::readString(ctx, kind_node, "kind", kind);
  if (ctx.errorCount() > 0) {
    return;
  }
  if (kind == "List" && api_version == "v1") {
    // `kubectl get -o yaml` prints several objects as one List. Its items are never Lists, and
    // refusing them also stops a List that contains itself through a YAML alias.
    if (in_list) {
      ctx.error(node, "", "a List inside a List is not supported");
      return;
    }
    MapReader list(ctx, node, "");
    list.take("apiVersion");
    list.take("kind");
    list.ignore({"metadata"});
    YAML::Node items = list.take("items");
    list.finish();
    internal::forEachItem(ctx, items, "items",
                          [&](const YAML::Node& item, const std::string&, size_t) {
                            loadDocument(item, text, file, /*in_list=*/true);
                          });
    return;
  }
  int64_t order = next_order_++;
  if (kind.empty() && api_version.empty()) {
    ctx.warning(node, "",
                "document has no apiVersion and kind, so it is not a Kubernetes object; skipped");
    return;
  }
  if (kind.empty()) {
    ctx.error(node, "kind", "kind is required");
    return;
  }
  if (api_version.empty()) {
    ctx.error(node, "apiVersion", "apiVersion is required for kind " + kind);
    return;
  }

  std::vector<const KindInfo*> candidates;
  for (const KindInfo& info : knownKinds()) {
    if (info.name == kind) {
      candidates.push_back(&info);
    }
  }
  if (candidates.empty()) {
    std::string hint;
    if (kind == "IstioOperator") {
      hint = "; mesh settings are read from ConfigMap istio-system/istio (key mesh)";
    }
    ctx.info(node, "",
             "skipping " + describeObject(kind, node) + ": kind not used by Portcullis" + hint);
    return;
  }
  size_t slash = api_version.rfind('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  std::string accepted;
  for (const KindInfo* info : candidates) {
    for (std::string_view served : info->versions) {
      if (info->group == group && served == version) {
        decodeObject(node, *info, api_version, order, text, file);
        return;
      }
      accepted += (accepted.empty() ? "" : ", ") + apiVersionOf(info->group, served);
    }
  }
  ctx.setObject(describeObject(kind, node));
  ctx.error(api_version_node, "apiVersion",
            "apiVersion " + internal::quote(api_version) + " is not served for kind " + kind +
                "; accepted: " + accepted);
}

void Loader::decodeObject(const YAML::Node& node, const KindInfo& info,
                          const std::string& api_version, int64_t order, std::string_view text,
                          const std::string& file) {
  DecodeContext ctx({file, 0, 0}, result_.diagnostics);
  SourceLocation location = ctx.locate(node);
  ctx.setFallback(location);
  std::string kind(info.name);
  if (info.kind == Kind::ConfigMap) {
    // Only the mesh config is read; other ConfigMaps are not checked at all.
    YAML::Node metadata = internal::lookup(node, "metadata");
    std::string name = scalarOr(internal::lookup(metadata, "name"), "");
    std::string ns = scalarOr(internal::lookup(metadata, "namespace"), "default");
    if (name != "istio" || ns != "istio-system") {
      ctx.info(node, "",
               "skipping " + describeObject(kind, node) +
                   ": only ConfigMap istio-system/istio (key mesh) is read");
      return;
    }
  }
  ctx.setObject(describeObject(kind, node));
  MapReader root(ctx, node, "");
  root.take("apiVersion");
  root.take("kind");
  ObjectMeta meta = internal::decodeMetadata(ctx, root);
  meta.api_version = api_version;
  meta.kind = kind;
  meta.location = location;
  meta.order = order;
  std::string object = kind + " " + meta.ns + "/" + meta.name;
  ctx.setObject(object);

  if (!meta.name.empty()) {
    std::string key = std::string(info.group) + "/" + kind + "/" + meta.ns + "/" + meta.name;
    auto [first, inserted] = seen_.emplace(key, location);
    if (!inserted) {
      ctx.error(node, "",
                "duplicate object: " + object + " is already defined at " +
                    formatLocation(first->second) +
                    "; each kind, namespace and name may appear only once");
    }
  }
  bool istio_group = info.group.ends_with("istio.io");
  if (istio_group && info.kind != Kind::AuthorizationPolicy &&
      meta.annotations.count("istio.io/dry-run") != 0) {
    YAML::Node annotations = internal::lookup(internal::lookup(node, "metadata"), "annotations");
    ctx.error(internal::lookup(annotations, "istio.io/dry-run"),
              "metadata.annotations[istio.io/dry-run]",
              "annotation istio.io/dry-run is supported only on AuthorizationPolicy; remove it");
  }

  decodeSpec(ctx, root, info.kind, std::move(meta), text);
}

// Decodes the rest of the object (spec, or data for the mesh ConfigMap) and keeps it when its
// context recorded no Error.
void Loader::decodeSpec(DecodeContext& ctx, MapReader& root, Kind kind, ObjectMeta meta,
                        std::string_view text) {
  ResourceSet& resources = result_.resources;
  auto keep = [&](auto&& object_value, auto& list) {
    root.ignore({"status"});
    root.finish();
    if (ctx.errorCount() == 0) {
      list.push_back(std::move(object_value));
    }
  };
  switch (kind) {
    case Kind::IstioGateway:
      keep(internal::decodeIstioGateway(ctx, root, std::move(meta)), resources.gateways);
      break;
    case Kind::VirtualService:
      keep(internal::decodeVirtualService(ctx, root, std::move(meta)), resources.virtual_services);
      break;
    case Kind::ServiceEntry:
      keep(internal::decodeServiceEntry(ctx, root, std::move(meta)), resources.service_entries);
      break;
    case Kind::WorkloadEntry:
      keep(internal::decodeWorkloadEntry(ctx, root, std::move(meta)), resources.workload_entries);
      break;
    case Kind::K8sGateway:
      keep(internal::decodeK8sGateway(ctx, root, std::move(meta)), resources.k8s_gateways);
      break;
    case Kind::HttpRoute:
      keep(internal::decodeHttpRoute(ctx, root, std::move(meta)), resources.http_routes);
      break;
    case Kind::RequestAuthentication:
      keep(internal::decodeRequestAuthentication(ctx, root, std::move(meta)),
           resources.request_authentications);
      break;
    case Kind::AuthorizationPolicy:
      keep(internal::decodeAuthorizationPolicy(ctx, root, std::move(meta)),
           resources.authorization_policies);
      break;
    case Kind::ConfigMap: {
      MeshConfig mesh = internal::decodeMeshConfigMap(ctx, root, text);
      root.finish();
      if (ctx.errorCount() == 0) {
        resources.mesh = std::move(mesh);
      }
      break;
    }
  }
}

}  // namespace

LoadResult loadPaths(const std::vector<std::string>& paths) {
  Loader loader;
  for (const std::string& path : paths) {
    loader.loadPath(path);
  }
  return loader.take();
}

LoadResult loadString(std::string_view yaml, const std::string& file_name) {
  Loader loader;
  loader.loadText(yaml, file_name);
  return loader.take();
}

}  // namespace portcullis::config
