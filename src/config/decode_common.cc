#include <strings.h>

#include <algorithm>

#include "config/decoders.h"
#include "config/validators.h"

namespace portcullis::config::internal {

ObjectMeta decodeMetadata(DecodeContext& ctx, MapReader& root) {
  ObjectMeta meta;
  YAML::Node node = root.take("metadata");
  MapReader metadata(ctx, node, "metadata");

  YAML::Node name = metadata.take("name");
  if (readString(ctx, name, "metadata.name", meta.name) && meta.name.empty()) {
    ctx.error(metadata.keyNode("name"), "metadata.name", "name is required");
  } else if (!meta.name.empty() && !isDns1123Subdomain(meta.name)) {
    ctx.error(name, "metadata.name",
              "invalid name " + quote(meta.name) +
                  ": use at most 253 lower-case letters, digits, '-' and '.', starting and "
                  "ending with a letter or digit");
  }

  YAML::Node ns = metadata.take("namespace");
  if (readString(ctx, ns, "metadata.namespace", meta.ns) && !meta.ns.empty() &&
      !isDns1123Label(meta.ns)) {
    ctx.error(ns, "metadata.namespace",
              "invalid namespace " + quote(meta.ns) +
                  ": use at most 63 lower-case letters, digits and '-', starting and ending with "
                  "a letter or digit");
  }
  if (meta.ns.empty()) {
    meta.ns = "default";
  }

  if (metadata.readStringMap("labels", meta.labels)) {
    checkLabels(ctx, metadata.take("labels"), "metadata.labels", meta.labels);
  }
  if (metadata.readStringMap("annotations", meta.annotations)) {
    for (const auto& [key, value] : meta.annotations) {
      std::string problem = validateLabelKey(key);
      if (!problem.empty()) {
        ctx.error(lookupKey(metadata.take("annotations"), key), "metadata.annotations[" + key + "]",
                  "invalid annotation key: " + problem);
      }
    }
  }

  // Fields the API server sets. They appear in the output of `kubectl get -o yaml`.
  metadata.ignore({"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
                   "generateName", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
                   "ownerReferences", "finalizers"});
  metadata.finish();
  return meta;
}

void checkLabels(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                 const Labels& labels) {
  for (const auto& [key, value] : labels) {
    std::string entry_path = path + "[" + key + "]";
    if (std::string problem = validateLabelKey(key); !problem.empty()) {
      ctx.error(lookupKey(node, key), entry_path, problem);
    }
    if (std::string problem = validateLabelValue(value); !problem.empty()) {
      ctx.error(lookup(node, key), entry_path, problem);
    }
  }
}

bool readStringPairs(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                     std::vector<std::pair<std::string, std::string>>& out) {
  Labels unique;
  if (!readStringMap(ctx, node, path, unique)) {
    return false;
  }
  out.clear();
  if (!node.IsMap()) {
    return true;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string& key = it->first.Scalar();
    auto found = unique.find(key);
    if (found != unique.end()) {
      out.emplace_back(key, found->second);
      unique.erase(found);
    }
  }
  return true;
}

namespace {

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The rules Istio applies to header operations: names must be set and must not be pseudo
// headers or Host, except that requests may set ":authority" or "host" to rewrite the authority.
void checkHeaderOperationName(DecodeContext& ctx, const YAML::Node& at, const std::string& path,
                              std::string_view name, bool authority_allowed) {
  if (name.empty()) {
    ctx.error(at, path, "header name must not be empty");
    return;
  }
  bool authority = equalsIgnoringCase(name, ":authority") || equalsIgnoringCase(name, "host");
  if (authority && authority_allowed) {
    return;
  }
  if (equalsIgnoringCase(name, "host")) {
    ctx.error(at, path, "header " + quote(name) + " cannot be changed here");
  } else if (name.starts_with(":")) {
    ctx.error(at, path, "header " + quote(name) + " is a pseudo header and cannot be changed");
  }
}

void checkHeaderValue(DecodeContext& ctx, const YAML::Node& at, const std::string& path,
                      std::string_view value) {
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
      ctx.error(at, path, "header value " + quote(value) + " contains a control character");
      return;
    }
  }
}

void decodeHeaderOperations(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                            bool is_request, HeaderOperations& out) {
  MapReader reader(ctx, node, path);
  for (std::string_view operation : {"set", "add"}) {
    YAML::Node pairs = reader.take(operation);
    std::vector<std::pair<std::string, std::string>>& target =
        operation == "set" ? out.set : out.add;
    if (!readStringPairs(ctx, pairs, reader.pathOf(operation), target)) {
      continue;
    }
    for (const auto& [name, value] : target) {
      std::string entry_path = reader.pathOf(operation) + "[" + name + "]";
      checkHeaderOperationName(ctx, lookup(pairs, name), entry_path, name, is_request);
      checkHeaderValue(ctx, lookup(pairs, name), entry_path, value);
    }
  }
  YAML::Node remove = reader.take("remove");
  if (readStringList(ctx, remove, reader.pathOf("remove"), out.remove)) {
    for (size_t i = 0; i < out.remove.size(); ++i) {
      checkHeaderOperationName(ctx, remove[i], indexPath(reader.pathOf("remove"), i), out.remove[i],
                               /*authority_allowed=*/false);
    }
  }
  reader.finish();
}

// Istio's allowed policy targets: a core Service, a ServiceEntry, a Gateway API Gateway or
// GatewayClass. Versions are not checked.
bool isAllowedTargetKind(std::string_view group, std::string_view kind) {
  if (group.empty() || group == "core") {
    return kind == "Service";
  }
  if (group == "networking.istio.io") {
    return kind == "ServiceEntry";
  }
  if (group == "gateway.networking.k8s.io") {
    return kind == "Gateway" || kind == "GatewayClass";
  }
  return false;
}

PolicyTargetReference decodeTargetReference(DecodeContext& ctx, const YAML::Node& node,
                                            const std::string& path) {
  PolicyTargetReference ref;
  MapReader reader(ctx, node, path);
  reader.readString("group", ref.group);
  reader.readString("kind", ref.kind);
  reader.readString("name", ref.name);
  reader.readString("namespace", ref.ns);
  reader.finish();
  if (!reader.isMap()) {
    return ref;
  }
  if (ref.name.empty()) {
    ctx.error(reader.keyNode("name"), reader.pathOf("name"), "targetRef name is required");
  }
  if (!ref.ns.empty()) {
    ctx.error(reader.keyNode("namespace"), reader.pathOf("namespace"),
              "targetRef namespace must not be set; references to other namespaces are not "
              "supported");
  }
  if (!isAllowedTargetKind(ref.group, ref.kind)) {
    ctx.error(node, path,
              "targetRef to " + quote(ref.group + "/" + ref.kind) +
                  " is not supported; use kind Service (group \"\"), ServiceEntry (group "
                  "networking.istio.io), or Gateway or GatewayClass (group "
                  "gateway.networking.k8s.io)");
  }
  return ref;
}

}  // namespace

void decodeHeaders(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                   HeaderOperations& request, HeaderOperations& response) {
  MapReader reader(ctx, node, path);
  decodeHeaderOperations(ctx, reader.take("request"), reader.pathOf("request"), true, request);
  decodeHeaderOperations(ctx, reader.take("response"), reader.pathOf("response"), false, response);
  reader.finish();
}

WorkloadTarget decodeWorkloadTarget(DecodeContext& ctx, MapReader& spec) {
  WorkloadTarget target;
  YAML::Node selector = spec.take("selector");
  if (selector.IsDefined() && !selector.IsNull()) {
    MapReader reader(ctx, selector, spec.pathOf("selector"));
    Labels labels;
    YAML::Node match_labels = reader.take("matchLabels");
    std::string labels_path = reader.pathOf("matchLabels");
    bool labels_read = readStringMap(ctx, match_labels, labels_path, labels);
    if (labels_read) {
      for (const auto& [key, value] : labels) {
        if (key.empty()) {
          ctx.error(match_labels, labels_path, "empty label key is not supported in a selector");
        }
        if (key.find('*') != std::string::npos || value.find('*') != std::string::npos) {
          ctx.error(lookup(match_labels, key), labels_path + "[" + key + "]",
                    "wildcard is not supported in a selector: " + quote(key + "=" + value));
        }
      }
    }
    reader.finish();
    if (labels_read && reader.isMap() && labels.empty()) {
      ctx.warning(selector, spec.pathOf("selector"),
                  "workload selector has no labels, so it selects every workload in the "
                  "namespace");
    }
    target.selector = std::move(labels);
  }
  YAML::Node single = spec.take("targetRef");
  if (single.IsDefined() && !single.IsNull()) {
    target.target_refs.push_back(decodeTargetReference(ctx, single, spec.pathOf("targetRef")));
  }
  YAML::Node list = spec.take("targetRefs");
  forEachItem(ctx, list, spec.pathOf("targetRefs"),
              [&](const YAML::Node& item, const std::string& item_path, size_t) {
                target.target_refs.push_back(decodeTargetReference(ctx, item, item_path));
              });
  int kinds_set = (target.selector ? 1 : 0) + (spec.has("targetRef") ? 1 : 0) +
                  (list.IsSequence() && list.size() > 0 ? 1 : 0);
  if (kinds_set > 1) {
    std::string key = list.IsSequence() && list.size() > 0 ? "targetRefs" : "targetRef";
    ctx.error(spec.keyNode(key), spec.pathOf(key),
              "selector, targetRef and targetRefs are mutually exclusive; set only one of them");
  }
  return target;
}

}  // namespace portcullis::config::internal
