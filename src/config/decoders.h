// Decoders from YAML objects to the typed resources of resources.h. The loader has already
// taken apiVersion and kind from `root`; each decoder takes spec (or data) from it and reports
// every problem through the context. The loader keeps an object only if its context recorded no
// Error.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/decode_context.h"
#include "config/resources.h"

namespace portcullis::config::internal {

// metadata: name (required), namespace ("default" when absent), labels and annotations.
// Server-set fields (uid, resourceVersion, managedFields, ...) are accepted silently.
ObjectMeta decodeMetadata(DecodeContext& ctx, MapReader& root);

// spec.selector.matchLabels and spec.targetRef / spec.targetRefs of security policies.
WorkloadTarget decodeWorkloadTarget(DecodeContext& ctx, MapReader& spec);

// Reports label keys and values that Kubernetes would reject.
void checkLabels(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                 const Labels& labels);

// A YAML map of strings kept in document order, for header names and values.
bool readStringPairs(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                     std::vector<std::pair<std::string, std::string>>& out);

// A VirtualService `headers` block: {request: {set, add, remove}, response: {...}}.
void decodeHeaders(DecodeContext& ctx, const YAML::Node& node, const std::string& path,
                   HeaderOperations& request, HeaderOperations& response);

IstioGateway decodeIstioGateway(DecodeContext& ctx, MapReader& root, ObjectMeta meta);
VirtualService decodeVirtualService(DecodeContext& ctx, MapReader& root, ObjectMeta meta);
ServiceEntry decodeServiceEntry(DecodeContext& ctx, MapReader& root, ObjectMeta meta);
WorkloadEntry decodeWorkloadEntry(DecodeContext& ctx, MapReader& root, ObjectMeta meta);

K8sGateway decodeK8sGateway(DecodeContext& ctx, MapReader& root, ObjectMeta meta);
K8sHttpRoute decodeHttpRoute(DecodeContext& ctx, MapReader& root, ObjectMeta meta);

RequestAuthentication decodeRequestAuthentication(DecodeContext& ctx, MapReader& root,
                                                  ObjectMeta meta);
AuthorizationPolicy decodeAuthorizationPolicy(DecodeContext& ctx, MapReader& root, ObjectMeta meta);

// ConfigMap istio-system/istio: parses the YAML text of data.mesh. `file_text` is the whole file,
// used to map lines inside the block scalar back to lines of the file.
MeshConfig decodeMeshConfigMap(DecodeContext& ctx, MapReader& root, std::string_view file_text);

}  // namespace portcullis::config::internal
