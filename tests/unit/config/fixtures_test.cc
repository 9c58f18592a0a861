// Every acceptance fixture under tests/vectors/config/yaml loads: the invalid ones give Errors
// naming the reason Istio gives, every other file gives no Error.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace portcullis::config {
namespace {

using testing::dump;
using testing::errors;

const std::filesystem::path kYamlRoot =
    std::filesystem::path(PORTCULLIS_TEST_VECTORS) / "config" / "yaml";

std::string readFile(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

// The istio.io ingress task writes $CLIENT_IP into its policies and substitutes the client's
// address before applying them; the literal placeholder is not an IP address.
LoadResult loadFixture(const std::filesystem::path& path) {
  std::string text = readFile(path);
  std::string placeholder = "$CLIENT_IP";
  for (size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at)) {
    text.replace(at, placeholder.size(), "203.0.113.7");
  }
  return loadString(text, path.string());
}

struct ExpectedError {
  std::string field;
  int line;
  std::string reason;
};

struct RejectedFile {
  std::string path;  // relative to kYamlRoot
  std::vector<ExpectedError> errors;
};

const std::vector<RejectedFile>& rejectedFiles() {
  static const std::vector<RejectedFile> files = {
      {"variants/invalid-2-unknown-condition-key.yaml",
       {{"spec.rules[0].when[0].key", 9, "unknown attribute \"request.auth.claim[groups]\""}}},
      {"variants/invalid-4-provider-on-allow.yaml",
       {{"spec.provider", 8, "provider is only allowed with action CUSTOM, found action ALLOW"}}},
      {"variants/invalid-5-custom-request-principals.yaml",
       {{"spec.rules[0].from[0].source.requestPrincipals", 12,
         "From.RequestPrincipals is not supported with action CUSTOM"}}},
      {"variants/invalid-6-bad-ip-and-port.yaml",
       {{"spec.rules[0].from[0].source.ipBlocks[0]", 10, "bad IP address (300.1.1.1)"},
        {"spec.rules[0].to[0].operation.ports[0]", 13, "bad port (http)"}}},
      {"variants/invalid-8-ra-no-issuer-empty-param.yaml",
       {{"spec.jwtRules[0]", 8, "issuer or jwksUri must be set"},
        {"spec.jwtRules[0].fromParams[0]", 8, "query parameter name must not be empty"}}},
      {"variants/ap-gateway-api-selector-and-targetrefs.yaml",
       {{"spec.targetRefs", 11, "mutually exclusive"}}},
      {"cases/invalid-policies.yaml",
       {{"spec.rules", 8, "action DENY without rules never matches"},
        {"spec.rules[0].when[0].key", 17, "unknown attribute \"request.auth.claim[groups]\""},
        {"spec.rules[0].from[0].source", 27, "source must not be empty"},
        {"spec.provider", 35, "provider is only allowed with action CUSTOM"},
        {"spec.rules[0].from[0].source.requestPrincipals", 49,
         "From.RequestPrincipals is not supported with action CUSTOM"},
        {"spec.rules[0].from[0].source.ipBlocks[0]", 59, "bad IP address (300.1.1.1)"},
        {"spec.rules[0].to[0].operation.ports[0]", 62, "bad port (http)"},
        {"spec.rules[0].when[0]", 71, "at least one of values or notValues must be set"},
        {"spec.jwtRules[0]", 79, "issuer or jwksUri must be set"},
        {"spec.jwtRules[0].fromParams[0]", 79, "query parameter name must not be empty"}}},
  };
  return files;
}

std::vector<std::filesystem::path> allFixtures() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kYamlRoot)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Fixtures, FolderIsPresent) {
  EXPECT_GE(allFixtures().size(), 70u) << kYamlRoot;
}

TEST(Fixtures, RejectedFilesGiveTheirReasons) {
  for (const RejectedFile& file : rejectedFiles()) {
    SCOPED_TRACE(file.path);
    LoadResult result = loadFixture(kYamlRoot / file.path);
    std::vector<Diagnostic> found = errors(result);
    ASSERT_EQ(found.size(), file.errors.size()) << dump(result);
    for (size_t i = 0; i < found.size(); ++i) {
      EXPECT_EQ(found[i].field, file.errors[i].field);
      EXPECT_EQ(found[i].location.line, file.errors[i].line);
      EXPECT_NE(found[i].message.find(file.errors[i].reason), std::string::npos)
          << found[i].message;
      EXPECT_EQ(found[i].location.file, (kYamlRoot / file.path).string());
    }
  }
}

TEST(Fixtures, InvalidPoliciesRejectsEveryDocument) {
  LoadResult result = loadFixture(kYamlRoot / "cases/invalid-policies.yaml");
  EXPECT_TRUE(result.resources.authorization_policies.empty()) << dump(result);
  EXPECT_TRUE(result.resources.request_authentications.empty());
  std::set<std::string> objects;
  for (const Diagnostic& error : errors(result)) {
    objects.insert(error.object);
  }
  EXPECT_EQ(objects.size(), 8u) << dump(result);
}

TEST(Fixtures, EveryOtherFileLoadsWithoutError) {
  std::set<std::filesystem::path> rejected;
  for (const RejectedFile& file : rejectedFiles()) {
    rejected.insert(kYamlRoot / file.path);
  }
  for (const std::filesystem::path& path : allFixtures()) {
    if (rejected.count(path) != 0) {
      continue;
    }
    SCOPED_TRACE(path.string());
    LoadResult result = loadFixture(path);
    EXPECT_TRUE(result.ok()) << dump(result);
    EXPECT_TRUE(errors(result).empty());
  }
}

TEST(Fixtures, ClientIpPlaceholderIsNotAnAddress) {
  std::filesystem::path path = kYamlRoot / "istio-io/authz-ingress-05-deny-ipBlocks.yaml";
  LoadResult result = loadString(readFile(path), path.string());
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_NE(error.message.find("bad IP address ($CLIENT_IP)"), std::string::npos);
}

TEST(Fixtures, BaseIstioGatewayDecodes) {
  LoadResult result = loadFixture(kYamlRoot / "cases/base-istio-gateway.yaml");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.gateways.size(), 1u);
  EXPECT_EQ(result.resources.gateways[0].meta.ns, "foo");
  EXPECT_EQ(result.resources.gateways[0].servers[0].port, 80u);
  ASSERT_EQ(result.resources.virtual_services.size(), 1u);
  const HttpRouteDestination& destination = result.resources.virtual_services[0].http[0].route[0];
  EXPECT_EQ(destination.destination.host, "httpbin.foo.svc.cluster.local");
  EXPECT_EQ(destination.destination.port, 8000u);
  ASSERT_EQ(result.resources.service_entries.size(), 1u);
  EXPECT_EQ(result.resources.service_entries[0].endpoints[0].address, "127.0.0.1");
  EXPECT_EQ(result.resources.service_entries[0].meta.order, 2);
}

TEST(Fixtures, MeshExtAuthzDecodes) {
  LoadResult result = loadFixture(kYamlRoot / "variants/mesh-extauthz.yaml");
  ASSERT_TRUE(result.ok()) << dump(result);
  const MeshConfig& mesh = result.resources.mesh;
  EXPECT_TRUE(mesh.present);
  ASSERT_EQ(mesh.extension_providers.size(), 4u);
  const ExtensionProvider& first = mesh.extension_providers[0];
  EXPECT_EQ(first.name, "local-ext-authz-http");
  EXPECT_EQ(first.location.line, 10);
  ASSERT_TRUE(first.ext_authz_http.has_value());
  EXPECT_EQ(first.ext_authz_http->port, 9002u);
  ASSERT_EQ(first.ext_authz_http->include_additional_headers_in_check.size(), 1u);
  EXPECT_EQ(first.ext_authz_http->include_additional_headers_in_check[0].second,
            "additional-header-new-value");
  EXPECT_TRUE(mesh.extension_providers[2].ext_authz_http->fail_open);
  EXPECT_EQ(mesh.extension_providers[3].ext_authz_http->status_on_error, 503u);
  EXPECT_EQ(mesh.extension_providers[3].ext_authz_http->timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(result.resources.service_entries.size(), 1u);
}

TEST(Fixtures, MeshTrustedProxiesDecode) {
  for (uint32_t count : {0u, 1u, 2u}) {
    LoadResult result =
        loadFixture(kYamlRoot / ("variants/mesh-ntp-" + std::to_string(count) + ".yaml"));
    ASSERT_TRUE(result.ok()) << dump(result);
    EXPECT_EQ(result.resources.mesh.num_trusted_proxies, count);
  }
}

TEST(Fixtures, DryRunPoliciesDecode) {
  LoadResult result = loadFixture(kYamlRoot / "cases/ap-dry-run.yaml");
  ASSERT_EQ(result.resources.authorization_policies.size(), 2u) << dump(result);
  EXPECT_TRUE(result.resources.authorization_policies[0].dry_run);
  EXPECT_TRUE(result.resources.authorization_policies[1].dry_run);
  EXPECT_FALSE(result.resources.authorization_policies[1].has_rules);
}

TEST(Fixtures, GatewayApiRouteDecodes) {
  LoadResult result = loadFixture(kYamlRoot / "cases/base-gateway-api.yaml");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.http_routes.size(), 1u);
  const BackendRef& backend = result.resources.http_routes[0].rules[0].backend_refs[0];
  EXPECT_EQ(backend.group, "networking.istio.io");
  EXPECT_EQ(backend.kind, "Hostname");
  EXPECT_EQ(backend.port, 8000u);
  EXPECT_EQ(result.resources.http_routes[0].parent_refs[0].name, "gw");
}

}  // namespace
}  // namespace portcullis::config
