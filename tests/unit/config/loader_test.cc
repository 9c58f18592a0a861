// Reading files and documents: multi-document YAML, List expansion, syntax errors, kinds and
// versions, duplicates, load order and the diagnostic format.
#include "config/loader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config_test_util.h"

namespace portcullis::config {
namespace {

using testing::dump;
using testing::errors;
using testing::load;
using testing::warnings;

constexpr std::string_view kPolicyPair = R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: first
  namespace: istio-system
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: second
  namespace: istio-system
spec: {}
)";

TEST(Loader, ReadsEveryDocumentOfAFile) {
  LoadResult result = load(kPolicyPair);
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.authorization_policies.size(), 2u);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.name, "first");
  EXPECT_EQ(result.resources.authorization_policies[1].meta.name, "second");
}

TEST(Loader, RecordsDocumentLocationAndOrder) {
  LoadResult result = load(kPolicyPair);
  ASSERT_EQ(result.resources.authorization_policies.size(), 2u) << dump(result);
  const ObjectMeta& second = result.resources.authorization_policies[1].meta;
  EXPECT_EQ(second.location.file, "test.yaml");
  EXPECT_EQ(second.location.line, 8);
  EXPECT_EQ(second.location.column, 1);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.order, 0);
  EXPECT_EQ(second.order, 1);
  EXPECT_EQ(second.api_version, "security.istio.io/v1");
  EXPECT_EQ(second.kind, "AuthorizationPolicy");
}

TEST(Loader, IgnoresEmptyDocuments) {
  LoadResult result = load(R"(
---
---
# only a comment
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: ns}
---
)");
  EXPECT_TRUE(result.diagnostics.empty()) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies.size(), 1u);
}

TEST(Loader, ExpandsListItems) {
  LoadResult result = load(R"(
apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: security.istio.io/v1
  kind: AuthorizationPolicy
  metadata: {name: a, namespace: ns}
- apiVersion: security.istio.io/v1beta1
  kind: RequestAuthentication
  metadata: {name: b, namespace: ns}
  spec:
    jwtRules:
    - issuer: https://issuer.example.com
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u);
  ASSERT_EQ(result.resources.request_authentications.size(), 1u);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.location.line, 6);
  EXPECT_EQ(result.resources.request_authentications[0].meta.location.line, 9);
  EXPECT_EQ(result.resources.request_authentications[0].meta.order, 1);
}

TEST(Loader, SyntaxErrorDropsFile) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: ns}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: b
   namespace: ns
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.location.file, "test.yaml");
  // The colon after the over-indented "namespace" key.
  EXPECT_EQ(error.location.line, 9);
  EXPECT_EQ(error.location.column, 13);
  EXPECT_NE(error.message.find("invalid YAML"), std::string::npos) << error.message;
  EXPECT_TRUE(result.resources.authorization_policies.empty());
  EXPECT_EQ(result.diagnostics.size(), 1u) << dump(result);
}

TEST(Loader, UnclosedFlowListIsSyntaxError) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: ns}
spec:
  rules:
  - to:
    - operation:
        paths: ["/a", "/b"
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_GT(error.location.line, 0);
  EXPECT_TRUE(error.field.empty());
}

TEST(Loader, SkipsUnknownKindWithInfo) {
  LoadResult result = load(R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bar
  namespace: foo
spec:
  anything: goes
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result);
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::Info);
  EXPECT_EQ(result.diagnostics[0].message,
            "skipping Deployment foo/bar: kind not used by Portcullis");
  EXPECT_EQ(result.diagnostics[0].location.line, 1);
}

TEST(Loader, SkipsIstioOperatorWithMeshHint) {
  LoadResult result = load(R"(
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  meshConfig: {}
)");
  ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result);
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::Info);
  EXPECT_NE(result.diagnostics[0].message.find("ConfigMap istio-system/istio"), std::string::npos);
}

TEST(Loader, SkipsOtherConfigMapsWithInfo) {
  LoadResult result = load(R"(
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
data:
  anything: "x"
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result);
  EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::Info);
  EXPECT_NE(result.diagnostics[0].message.find("skipping ConfigMap default/settings"),
            std::string::npos);
  EXPECT_FALSE(result.resources.mesh.present);
}

TEST(Loader, RejectsKnownKindAtUnknownVersion) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v2
kind: AuthorizationPolicy
metadata: {name: a, namespace: ns}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "apiVersion");
  EXPECT_EQ(error.location.line, 1);
  EXPECT_EQ(error.location.column, 13);
  EXPECT_NE(error.message.find("security.istio.io/v2"), std::string::npos);
  EXPECT_NE(error.message.find("accepted: security.istio.io/v1, security.istio.io/v1beta1"),
            std::string::npos)
      << error.message;
}

TEST(Loader, ListsBothGatewayGroupsForUnknownGatewayVersion) {
  LoadResult result = load(R"(
apiVersion: example.com/v1
kind: Gateway
metadata: {name: a, namespace: ns}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_NE(error.message.find("networking.istio.io/v1alpha3"), std::string::npos);
  EXPECT_NE(error.message.find("gateway.networking.k8s.io/v1beta1"), std::string::npos);
}

struct VersionCase {
  std::string api_version;
  std::string kind;
  std::string spec;
};

class ServedVersion : public ::testing::TestWithParam<VersionCase> {};

TEST_P(ServedVersion, Loads) {
  const VersionCase& param = GetParam();
  std::string yaml = "apiVersion: " + param.api_version + "\nkind: " + param.kind +
                     "\nmetadata: {name: sample, namespace: ns}\nspec: " + param.spec + "\n";
  LoadResult result = load(yaml);
  EXPECT_TRUE(result.ok()) << dump(result);
  EXPECT_TRUE(errors(result).empty());
  EXPECT_TRUE(warnings(result).empty()) << dump(result);
  const ResourceSet& set = result.resources;
  size_t total = set.gateways.size() + set.virtual_services.size() + set.service_entries.size() +
                 set.workload_entries.size() + set.k8s_gateways.size() + set.http_routes.size() +
                 set.request_authentications.size() + set.authorization_policies.size();
  EXPECT_EQ(total, 1u);
}

constexpr const char* kIstioGatewaySpec =
    "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}";
constexpr const char* kVirtualServiceSpec =
    "{hosts: ['*'], gateways: [gw], http: [{route: [{destination: {host: a.example.com}}]}]}";
constexpr const char* kServiceEntrySpec =
    "{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], "
    "resolution: DNS}";
constexpr const char* kWorkloadEntrySpec = "{address: 10.0.0.1}";
constexpr const char* kRequestAuthenticationSpec = "{jwtRules: [{issuer: iss}]}";
constexpr const char* kAuthorizationPolicySpec = "{}";
constexpr const char* kK8sGatewaySpec =
    "{gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}";
constexpr const char* kHttpRouteSpec = "{parentRefs: [{name: gw}]}";

INSTANTIATE_TEST_SUITE_P(
    Loader, ServedVersion,
    ::testing::Values(
        VersionCase{"networking.istio.io/v1", "Gateway", kIstioGatewaySpec},
        VersionCase{"networking.istio.io/v1beta1", "Gateway", kIstioGatewaySpec},
        VersionCase{"networking.istio.io/v1alpha3", "Gateway", kIstioGatewaySpec},
        VersionCase{"networking.istio.io/v1", "VirtualService", kVirtualServiceSpec},
        VersionCase{"networking.istio.io/v1beta1", "VirtualService", kVirtualServiceSpec},
        VersionCase{"networking.istio.io/v1alpha3", "VirtualService", kVirtualServiceSpec},
        VersionCase{"networking.istio.io/v1", "ServiceEntry", kServiceEntrySpec},
        VersionCase{"networking.istio.io/v1beta1", "ServiceEntry", kServiceEntrySpec},
        VersionCase{"networking.istio.io/v1alpha3", "ServiceEntry", kServiceEntrySpec},
        VersionCase{"networking.istio.io/v1", "WorkloadEntry", kWorkloadEntrySpec},
        VersionCase{"networking.istio.io/v1beta1", "WorkloadEntry", kWorkloadEntrySpec},
        VersionCase{"networking.istio.io/v1alpha3", "WorkloadEntry", kWorkloadEntrySpec},
        VersionCase{"security.istio.io/v1", "RequestAuthentication", kRequestAuthenticationSpec},
        VersionCase{"security.istio.io/v1beta1", "RequestAuthentication",
                    kRequestAuthenticationSpec},
        VersionCase{"security.istio.io/v1", "AuthorizationPolicy", kAuthorizationPolicySpec},
        VersionCase{"security.istio.io/v1beta1", "AuthorizationPolicy", kAuthorizationPolicySpec},
        VersionCase{"gateway.networking.k8s.io/v1", "Gateway", kK8sGatewaySpec},
        VersionCase{"gateway.networking.k8s.io/v1beta1", "Gateway", kK8sGatewaySpec},
        VersionCase{"gateway.networking.k8s.io/v1", "HTTPRoute", kHttpRouteSpec},
        VersionCase{"gateway.networking.k8s.io/v1beta1", "HTTPRoute", kHttpRouteSpec}));

TEST(Loader, NamespaceDefaultsToDefault) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
)");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.ns, "default");
}

TEST(Loader, ReadsLabelsAndAnnotations) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: ns
  labels: {app: web, example.com/tier: "1"}
  annotations: {note: "free text: any value"}
)");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  const ObjectMeta& meta = result.resources.authorization_policies[0].meta;
  EXPECT_EQ(meta.labels.at("app"), "web");
  EXPECT_EQ(meta.labels.at("example.com/tier"), "1");
  EXPECT_EQ(meta.annotations.at("note"), "free text: any value");
}

TEST(Loader, AcceptsServerSetFieldsSilently) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: ns
  uid: 3f1c7d4e-0000-4000-8000-000000000000
  resourceVersion: "12345"
  generation: 3
  creationTimestamp: "2024-01-01T00:00:00Z"
  managedFields:
  - manager: kubectl
    operation: Update
status:
  validationMessages: []
)");
  EXPECT_TRUE(result.diagnostics.empty()) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies.size(), 1u);
}

TEST(Loader, RejectsUnknownTopLevelField) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: ns}
specs: {}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "specs");
  EXPECT_EQ(error.location.line, 4);
  EXPECT_EQ(error.message,
            "unknown field \"specs\"; accepted fields: apiVersion, kind, metadata, spec, status");
}

TEST(Loader, RejectsUnknownMetadataField) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  namespace: ns
  label: {app: web}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "metadata.label");
  EXPECT_EQ(error.location.line, 6);
  EXPECT_EQ(error.location.column, 3);
}

TEST(Loader, RequiresMetadataName) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  namespace: ns
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "metadata.name");
  EXPECT_EQ(error.location.line, 4);
}

TEST(Loader, RejectsInvalidName) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: Bad_Name, namespace: ns}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "metadata.name");
  EXPECT_NE(error.message.find("Bad_Name"), std::string::npos);
}

TEST(Loader, RejectsInvalidLabelKey) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: a
  labels:
    "bad key": x
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "metadata.labels[bad key]");
  EXPECT_EQ(error.location.line, 6);
}

TEST(Loader, RejectsDocumentThatIsNotAMap) {
  LoadResult result = load("- just\n- a list\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.location.line, 1);
  EXPECT_NE(error.message.find("found a list"), std::string::npos);
}

TEST(Loader, RequiresKindWhenApiVersionIsSet) {
  LoadResult result = load("apiVersion: v1\nmetadata: {name: a}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "kind");
}

TEST(Loader, WarnsOnDocumentWithoutKind) {
  LoadResult result = load("data:\n  mesh: |-\n    rootNamespace: x\n");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
  EXPECT_EQ(warnings(result)[0].location.line, 1);
}

TEST(Loader, RejectsDuplicateAtTheSecondObject) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: same, namespace: ns}
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: same, namespace: ns}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.location.line, 5);
  EXPECT_EQ(error.object, "AuthorizationPolicy ns/same");
  EXPECT_NE(error.message.find("already defined at test.yaml:1"), std::string::npos)
      << error.message;
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.api_version, "security.istio.io/v1");
}

TEST(Loader, SameNameElsewhereIsNotDuplicate) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: same, namespace: one}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: same, namespace: two}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: one}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: one}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
)");
  EXPECT_TRUE(result.ok()) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies.size(), 2u);
  EXPECT_EQ(result.resources.gateways.size(), 1u);
  EXPECT_EQ(result.resources.k8s_gateways.size(), 1u);
}

TEST(Loader, LeavesOutOnlyObjectsWithErrors) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: good, namespace: ns}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: bad, namespace: ns}
spec:
  action: REJECT
)");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.name, "good");
}

TEST(Loader, CollectsEveryErrorOfAnObject) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: bad, namespace: ns}
spec:
  action: REJECT
  rules:
  - from:
    - source:
        ipBlocks: ["10.0.0.0/40"]
    to:
    - operation:
        ports: ["http"]
    when:
    - key: request.auth.claim[groups]
      values: ["a"]
)");
  std::vector<Diagnostic> found = errors(result);
  ASSERT_EQ(found.size(), 4u) << dump(result);
  EXPECT_EQ(found[0].field, "spec.action");
  EXPECT_EQ(found[1].field, "spec.rules[0].from[0].source.ipBlocks[0]");
  EXPECT_EQ(found[2].field, "spec.rules[0].to[0].operation.ports[0]");
  EXPECT_EQ(found[3].field, "spec.rules[0].when[0].key");
}

TEST(Loader, SortsDiagnosticsOfADocumentByLine) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: bad, namespace: ns}
spec:
  rules:
  - to:
    - operation:
        ports: ["x"]
  action: REJECT
)");
  std::vector<Diagnostic> found = errors(result);
  ASSERT_EQ(found.size(), 2u) << dump(result);
  EXPECT_LT(found[0].location.line, found[1].location.line);
}

TEST(Loader, RejectsDryRunAnnotationOnOtherIstioKinds) {
  LoadResult result = load(R"(
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: a
  namespace: ns
  annotations:
    istio.io/dry-run: "true"
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "metadata.annotations[istio.io/dry-run]");
  EXPECT_EQ(error.location.line, 7);
}

TEST(Diagnostic, FormatsLikeACompiler) {
  Diagnostic diagnostic{Diagnostic::Severity::Error, SourceLocation{"a.yaml", 3, 5},
                        "AuthorizationPolicy istio-system/x", "spec.action", "unknown action"};
  EXPECT_EQ(diagnostic.format(),
            "a.yaml:3:5: error: AuthorizationPolicy istio-system/x: spec.action: unknown action");
}

TEST(Diagnostic, FormatsWarningAndInfo) {
  Diagnostic warning{Diagnostic::Severity::Warning, SourceLocation{"a.yaml", 1, 2}, "", "f", "m"};
  Diagnostic info{Diagnostic::Severity::Info, SourceLocation{"a.yaml", 4, 1}, "", "", "m"};
  EXPECT_EQ(warning.format(), "a.yaml:1:2: warning: f: m");
  EXPECT_EQ(info.format(), "a.yaml:4:1: info: m");
}

TEST(Diagnostic, FormatsFileErrorWithoutLine) {
  Diagnostic diagnostic{Diagnostic::Severity::Error, SourceLocation{"missing.yaml", 0, 0}, "", "",
                        "cannot read"};
  EXPECT_EQ(diagnostic.format(), "missing.yaml: error: cannot read");
}

class LoaderFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              ("portcullis-config-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(folder_);
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::string write(const std::string& name, std::string_view text) {
    std::filesystem::path path = folder_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  static std::string policy(const std::string& name) {
    return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: " + name +
           ", namespace: ns}\n";
  }

  std::filesystem::path folder_;
};

TEST_F(LoaderFiles, ReadsFolderInNameOrder) {
  write("b.yaml", policy("from-b"));
  write("a.yml", policy("from-a"));
  write("c.txt", policy("from-c"));
  LoadResult result = loadPaths({folder_.string()});
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.files.size(), 2u);
  EXPECT_EQ(std::filesystem::path(result.files[0]).filename(), "a.yml");
  EXPECT_EQ(std::filesystem::path(result.files[1]).filename(), "b.yaml");
  ASSERT_EQ(result.resources.authorization_policies.size(), 2u);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.name, "from-a");
  EXPECT_EQ(result.resources.authorization_policies[1].meta.order, 1);
}

TEST_F(LoaderFiles, CountsOrderAcrossPaths) {
  std::string first = write("one.yaml", policy("p1") + "---\n" + policy("p2"));
  std::string second = write("two.yaml", policy("p3"));
  LoadResult result = loadPaths({second, first});
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.authorization_policies.size(), 3u);
  EXPECT_EQ(result.resources.authorization_policies[0].meta.name, "p3");
  EXPECT_EQ(result.resources.authorization_policies[2].meta.name, "p2");
  EXPECT_EQ(result.resources.authorization_policies[2].meta.order, 2);
  EXPECT_EQ(result.resources.authorization_policies[2].meta.location.file, first);
}

TEST_F(LoaderFiles, DetectsDuplicatesAcrossFiles) {
  write("a.yaml", policy("same"));
  std::string second = write("b.yaml", policy("same"));
  LoadResult result = loadPaths({folder_.string()});
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.location.file, second);
}

TEST_F(LoaderFiles, ReportsMissingPath) {
  std::string missing = (folder_ / "absent.yaml").string();
  LoadResult result = loadPaths({missing});
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.location.file, missing);
  EXPECT_TRUE(result.files.empty());
}

TEST_F(LoaderFiles, SyntaxErrorOnlyDropsItsFile) {
  write("a.yaml", "key: [unclosed\n");
  write("b.yaml", policy("kept"));
  LoadResult result = loadPaths({folder_.string()});
  EXPECT_EQ(errors(result).size(), 1u) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies.size(), 1u);
}

}  // namespace
}  // namespace portcullis::config
