// The mesh config read from ConfigMap istio-system/istio (key mesh): decoding, defaults and
// positions of problems inside the embedded YAML text.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace portcullis::config {
namespace {

using testing::dump;
using testing::errors;
using testing::load;
using testing::warnings;

// Wraps mesh lines (indented by four spaces) in the ConfigMap; the first mesh line is line 7.
LoadResult mesh(std::string_view lines) {
  if (!lines.empty() && lines.front() == '\n') {
    lines.remove_prefix(1);
  }
  return load(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
      "data:\n  meshNetworks: \"networks: {}\"\n  mesh: |-\n" +
      std::string(lines));
}

TEST(MeshConfig, UsesDefaultsWithoutConfigMap) {
  LoadResult result = load("");
  EXPECT_FALSE(result.resources.mesh.present);
  EXPECT_EQ(result.resources.mesh.root_namespace, "istio-system");
  EXPECT_EQ(result.resources.mesh.path_normalization, PathNormalization::Base);
  EXPECT_EQ(result.resources.mesh.num_trusted_proxies, 0u);
}

TEST(MeshConfig, DecodesUsedFields) {
  LoadResult result = mesh(R"(
    rootNamespace: mesh-root
    pathNormalization:
      normalization: MERGE_SLASHES
    defaultConfig:
      gatewayTopology:
        numTrustedProxies: 2
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  EXPECT_TRUE(result.resources.mesh.present);
  EXPECT_EQ(result.resources.mesh.root_namespace, "mesh-root");
  EXPECT_EQ(result.resources.mesh.path_normalization, PathNormalization::MergeSlashes);
  EXPECT_EQ(result.resources.mesh.num_trusted_proxies, 2u);
  EXPECT_EQ(result.resources.mesh.location.line, 1);
}

TEST(MeshConfig, ReadsEveryNormalization) {
  for (auto [name, value] :
       {std::pair{"NONE", PathNormalization::None}, std::pair{"BASE", PathNormalization::Base},
        std::pair{"DEFAULT", PathNormalization::Base},
        std::pair{"MERGE_SLASHES", PathNormalization::MergeSlashes},
        std::pair{"DECODE_AND_MERGE_SLASHES", PathNormalization::DecodeAndMergeSlashes}}) {
    LoadResult result =
        mesh("    pathNormalization:\n      normalization: " + std::string(name) + "\n");
    ASSERT_TRUE(result.ok()) << dump(result);
    EXPECT_EQ(result.resources.mesh.path_normalization, value) << name;
  }
}

TEST(MeshConfig, ReportsErrorLine) {
  LoadResult result = mesh(R"(
    rootNamespace: istio-system
    pathNormalization:
      normalization: SQUASH
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.object, "ConfigMap istio-system/istio");
  EXPECT_EQ(error.field, "data.mesh.pathNormalization.normalization");
  EXPECT_EQ(error.location.line, 9);
  EXPECT_EQ(error.location.column, 22);
  EXPECT_FALSE(result.resources.mesh.present);
}

TEST(MeshConfig, ReportsSyntaxErrorLine) {
  LoadResult result = mesh(R"(
    rootNamespace: istio-system
    extensionProviders: [
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh");
  EXPECT_GE(error.location.line, 8);
  EXPECT_NE(error.message.find("invalid YAML"), std::string::npos);
}

TEST(MeshConfig, WarnsOnUnusedFields) {
  LoadResult result = mesh(R"(
    accessLogFile: /dev/stdout
    defaultConfig:
      holdApplicationUntilProxyStarts: true
      gatewayTopology:
        numTrustedProxies: 1
        forwardClientCertDetails: SANITIZE
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  std::vector<Diagnostic> found = warnings(result);
  ASSERT_EQ(found.size(), 3u) << dump(result);
  EXPECT_EQ(found[0].field, "data.mesh.accessLogFile");
  EXPECT_EQ(found[0].location.line, 7);
  EXPECT_EQ(found[0].location.column, 5);
  EXPECT_EQ(found[1].field, "data.mesh.defaultConfig.holdApplicationUntilProxyStarts");
  EXPECT_EQ(found[2].field, "data.mesh.defaultConfig.gatewayTopology.forwardClientCertDetails");
  EXPECT_EQ(result.resources.mesh.num_trusted_proxies, 1u);
}

TEST(MeshConfig, AcceptsIntegersWrittenAsStrings) {
  LoadResult result = mesh(R"(
    defaultConfig:
      gatewayTopology:
        numTrustedProxies: "3"
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.foo.svc.cluster.local, port: "8000"}
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  EXPECT_EQ(result.resources.mesh.num_trusted_proxies, 3u);
  EXPECT_EQ(result.resources.mesh.extension_providers[0].ext_authz_http->port, 8000u);
}

TEST(MeshConfig, DecodesHttpProvider) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: "local-ext-authz-http"
      envoyExtAuthzHttp:
        service: "foo/ext-authz.local"
        port: 9002
        timeout: 1s
        pathPrefix: /check
        failOpen: true
        statusOnError: "503"
        includeRequestHeadersInCheck: ["x-ext-authz"]
        includeAdditionalHeadersInCheck:
          x-b: second
          x-a: first
        includeRequestBodyInCheck: {maxRequestBytes: 1024, allowPartialMessage: true,
                                    packAsBytes: true}
        headersToUpstreamOnAllow: ["x-ext-authz-*"]
        headersToDownstreamOnAllow: ["set-cookie"]
        headersToDownstreamOnDeny: ["x-ext-authz-*"]
        clearRouteCache: true
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.mesh.extension_providers.size(), 1u);
  const ExtensionProvider& provider = result.resources.mesh.extension_providers[0];
  EXPECT_EQ(provider.name, "local-ext-authz-http");
  EXPECT_EQ(provider.location.line, 8);
  EXPECT_FALSE(provider.ext_authz_grpc);
  ASSERT_TRUE(provider.ext_authz_http.has_value());
  const ExtAuthzHttpProvider& http = *provider.ext_authz_http;
  EXPECT_EQ(http.service, "foo/ext-authz.local");
  EXPECT_EQ(http.port, 9002u);
  EXPECT_EQ(http.timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(http.path_prefix, "/check");
  EXPECT_TRUE(http.fail_open);
  EXPECT_EQ(http.status_on_error, 503u);
  EXPECT_EQ(http.include_request_headers_in_check, std::vector<std::string>{"x-ext-authz"});
  ASSERT_EQ(http.include_additional_headers_in_check.size(), 2u);
  EXPECT_EQ(http.include_additional_headers_in_check[0].first, "x-b");
  ASSERT_TRUE(http.include_request_body_in_check.has_value());
  EXPECT_EQ(http.include_request_body_in_check->max_request_bytes, 1024u);
  EXPECT_TRUE(http.include_request_body_in_check->allow_partial_message);
  EXPECT_TRUE(http.include_request_body_in_check->pack_as_bytes);
  EXPECT_EQ(http.headers_to_upstream_on_allow, std::vector<std::string>{"x-ext-authz-*"});
  EXPECT_EQ(http.headers_to_downstream_on_allow, std::vector<std::string>{"set-cookie"});
  EXPECT_EQ(http.headers_to_downstream_on_deny, std::vector<std::string>{"x-ext-authz-*"});
  EXPECT_TRUE(http.clear_route_cache);
}

TEST(MeshConfig, UsesHttpProviderDefaults) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80}
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  const ExtAuthzHttpProvider& http = *result.resources.mesh.extension_providers[0].ext_authz_http;
  EXPECT_EQ(http.timeout, std::chrono::milliseconds(600000));
  EXPECT_EQ(http.status_on_error, 403u);
  EXPECT_FALSE(http.fail_open);
  EXPECT_TRUE(http.headers_to_downstream_on_deny.empty());
  EXPECT_FALSE(http.include_request_body_in_check.has_value());
}

TEST(MeshConfig, RejectsLoneStarHeaderPattern) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80, includeRequestHeadersInCheck: ["*"]}
)");
  EXPECT_FALSE(result.ok());
}

TEST(MeshConfig, AcceptsPrefixHeaderPattern) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80, headersToUpstreamOnAllow: ["x-*"]}
)");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(MeshConfig, RejectsLineBreakInAdditionalHeader) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp:
        service: authz.local
        port: 80
        includeAdditionalHeadersInCheck: {x-a: "one\r\nx-b: two"}
)");
  EXPECT_FALSE(result.ok());
}

TEST(MeshConfig, RejectsSpaceInPathPrefix) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80, pathPrefix: "/check me"}
)");
  EXPECT_FALSE(result.ok());
}

TEST(MeshConfig, ReadsDeprecatedIncludeHeadersInCheck) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp:
        service: authz.local
        port: 80
        includeHeadersInCheck: ["cookie"]
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  EXPECT_EQ(
      result.resources.mesh.extension_providers[0].ext_authz_http->include_request_headers_in_check,
      std::vector<std::string>{"cookie"});
}

TEST(MeshConfig, MarksGrpcProvider) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: "sample-ext-authz-grpc"
      envoyExtAuthzGrpc:
        service: "ext-authz.foo.svc.cluster.local"
        port: "9000"
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.mesh.extension_providers.size(), 1u);
  EXPECT_TRUE(result.resources.mesh.extension_providers[0].ext_authz_grpc);
  EXPECT_FALSE(result.resources.mesh.extension_providers[0].ext_authz_http.has_value());
  ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
  EXPECT_EQ(warnings(result)[0].field, "data.mesh.extensionProviders[0].envoyExtAuthzGrpc");
}

TEST(MeshConfig, WarnsOnOtherProviderTypes) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: tracing
      zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
  EXPECT_EQ(warnings(result)[0].field, "data.mesh.extensionProviders[0].zipkin");
}

TEST(MeshConfig, RejectsBadProviderName) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: Ext_Authz
      envoyExtAuthzHttp: {service: authz.local, port: 80}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[0].name");
  EXPECT_EQ(error.location.line, 8);
  EXPECT_EQ(error.location.column, 13);
}

TEST(MeshConfig, RejectsDuplicateProviderName) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80}
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 81}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[1].name");
}

TEST(MeshConfig, RejectsProviderWithoutName) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - envoyExtAuthzHttp: {service: authz.local, port: 80}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[0].name");
}

TEST(MeshConfig, RejectsTwoProviderTypes) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80}
      envoyExtAuthzGrpc: {service: authz.local, port: 81}
)");
  std::vector<Diagnostic> found = errors(result);
  ASSERT_EQ(found.size(), 1u) << dump(result);
  EXPECT_EQ(found[0].field, "data.mesh.extensionProviders[0]");
}

TEST(MeshConfig, RejectsMissingPort) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[0].envoyExtAuthzHttp.port");
}

TEST(MeshConfig, RejectsBadService) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: "bad_host!", port: 80}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[0].envoyExtAuthzHttp.service");
}

TEST(MeshConfig, RejectsUnknownStatusOnError) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80, statusOnError: "299"}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[0].envoyExtAuthzHttp.statusOnError");
}

TEST(MeshConfig, RejectsPathPrefixWithoutSlash) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80, pathPrefix: check}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[0].envoyExtAuthzHttp.pathPrefix");
}

TEST(MeshConfig, RejectsUnknownHttpProviderField) {
  LoadResult result = mesh(R"(
    extensionProviders:
    - name: authz
      envoyExtAuthzHttp: {service: authz.local, port: 80, failClosed: true}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.extensionProviders[0].envoyExtAuthzHttp.failClosed");
}

TEST(MeshConfig, RejectsNegativeTrustedProxies) {
  LoadResult result = mesh(R"(
    defaultConfig:
      gatewayTopology:
        numTrustedProxies: -1
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh.defaultConfig.gatewayTopology.numTrustedProxies");
  EXPECT_EQ(error.location.line, 9);
}

TEST(MeshConfig, RejectsMeshThatIsNotAMap) {
  LoadResult result = mesh("    just text\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data.mesh");
}

TEST(MeshConfig, AcceptsConfigMapWithoutMeshKey) {
  LoadResult result = load(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
      "data: {meshNetworks: \"{}\"}\n");
  EXPECT_TRUE(result.ok()) << dump(result);
  EXPECT_TRUE(result.resources.mesh.present);
}

TEST(MeshConfig, RejectsNonStringData) {
  LoadResult result = load(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
      "data:\n  mesh:\n    rootNamespace: x\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "data[mesh]");
  EXPECT_EQ(error.location.line, 6);
}

TEST(MeshConfig, MapsLinesOfIndentedBlock) {
  LoadResult result = load(R"(
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |

        rootNamespace: Bad
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.location.line, 9);
  EXPECT_EQ(error.location.column, 24);
}

}  // namespace
}  // namespace portcullis::config
