// snapshot::build() and CUSTOM policies. The provider they name is looked up in the mesh
// config, and its service in the ServiceEntries. Where istiod could not use the provider, a
// match is denied instead.
#include <string>

#include <gtest/gtest.h>

#include "snapshot/snapshot.h"
#include "snapshot_test_util.h"

namespace portcullis::snapshot::testing {
namespace {

// Gateway on port 80 routing everything to httpbin, ServiceEntry ext-authz.local:9002 with one
// endpoint at 127.0.0.1:19002, and provider "http-authz" calling it.
config::ResourceSet withProvider() {
  config::ResourceSet resources;
  resources.gateways.push_back(istioGateway("gateway", {server(80, {"*"})}));
  resources.virtual_services.push_back(
      virtualService("default", "httpbin", {"*"}, {"istio-system/gateway"}, {routeTo("httpbin")}));
  resources.service_entries.push_back(serviceEntry("httpbin", 8000));
  config::ServiceEntry authz = serviceEntry("ext-authz.local", 9002, "127.0.0.1", 19002);
  authz.meta = meta("ServiceEntry", "istio-system", "ext-authz");
  resources.service_entries.push_back(authz);
  config::ExtensionProvider provider;
  provider.name = "http-authz";
  provider.ext_authz_http.emplace();
  provider.ext_authz_http->service = "ext-authz.local";
  provider.ext_authz_http->port = 9002;
  resources.mesh.extension_providers.push_back(provider);
  return resources;
}

config::AuthorizationPolicy customPolicy(std::string name, std::string provider) {
  config::AuthorizationPolicy policy;
  policy.meta = meta("AuthorizationPolicy", "istio-system", std::move(name));
  policy.action = config::AuthorizationPolicy::Action::Custom;
  policy.provider = std::move(provider);
  policy.has_rules = true;
  policy.rules.push_back(config::Rule{});
  return policy;
}

const Listener& onlyListener(const BuildResult& result) {
  return result.snapshot->listeners.at(0);
}

BuildResult buildProviders(const config::ResourceSet& resources) {
  RecordingKeys keys;
  return build(resources, ingressOptions(), keys);
}

bool hasWarningAbout(const BuildResult& result, std::string_view text) {
  for (const auto& diagnostic : result.diagnostics) {
    if (diagnostic.severity == config::Diagnostic::Severity::Warning &&
        diagnostic.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(ExtAuthzProviders, KnownProviderIsResolved) {
  config::ResourceSet resources = withProvider();
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  ASSERT_NE(result.snapshot, nullptr);
  EXPECT_EQ(onlyListener(result).custom.provider, 0);
}

TEST(ExtAuthzProviders, ProviderCallsTheServiceEntryEndpoint) {
  config::ResourceSet resources = withProvider();
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  ASSERT_EQ(result.snapshot->ext_authz_providers.size(), 1u);
  const Cluster& cluster =
      result.snapshot->clusters.at(result.snapshot->ext_authz_providers[0].cluster);
  ASSERT_EQ(cluster.endpoints.size(), 1u);
  EXPECT_EQ(cluster.endpoints[0].port, 19002);
}

TEST(ExtAuthzProviders, UnusedProviderIsNotResolved) {
  const BuildResult result = buildProviders(withProvider());
  EXPECT_TRUE(result.snapshot->ext_authz_providers.empty());
}

TEST(ExtAuthzProviders, UndefinedProviderDenies) {
  config::ResourceSet resources = withProvider();
  resources.authorization_policies.push_back(customPolicy("ext-authz", "no-such-provider"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, -1);
  EXPECT_NE(onlyListener(result).custom.denial.find("not defined"), std::string::npos);
}

TEST(ExtAuthzProviders, UndefinedProviderWarns) {
  config::ResourceSet resources = withProvider();
  resources.authorization_policies.push_back(customPolicy("ext-authz", "no-such-provider"));
  EXPECT_TRUE(hasWarningAbout(buildProviders(resources), "\"no-such-provider\" is not defined"));
}

TEST(ExtAuthzProviders, TwoProvidersWarn) {
  config::ResourceSet resources = withProvider();
  config::ExtensionProvider second = resources.mesh.extension_providers.front();
  second.name = "other-authz";
  resources.mesh.extension_providers.push_back(second);
  resources.authorization_policies.push_back(customPolicy("a", "http-authz"));
  resources.authorization_policies.push_back(customPolicy("b", "other-authz"));
  EXPECT_TRUE(hasWarningAbout(buildProviders(resources), "(http-authz, other-authz)"));
}

TEST(ExtAuthzProviders, TwoProvidersOnOneWorkloadDeny) {
  config::ResourceSet resources = withProvider();
  config::ExtensionProvider second = resources.mesh.extension_providers.front();
  second.name = "other-authz";
  resources.mesh.extension_providers.push_back(second);
  resources.authorization_policies.push_back(customPolicy("a", "http-authz"));
  resources.authorization_policies.push_back(customPolicy("b", "other-authz"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, -1);
  EXPECT_NE(onlyListener(result).custom.denial.find("several providers"), std::string::npos);
}

TEST(ExtAuthzProviders, GrpcProviderDenies) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front().ext_authz_http.reset();
  resources.mesh.extension_providers.front().ext_authz_grpc = true;
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, -1);
}

TEST(ExtAuthzProviders, UndeclaredServiceDeniesWithWarning) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front().ext_authz_http->service = "nowhere.local";
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, -1);
  EXPECT_TRUE(hasWarningAbout(result, "declared by no ServiceEntry"));
}

TEST(ExtAuthzProviders, UndeclaredPortMakesChecksFail) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front().ext_authz_http->port = 9003;
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  ASSERT_EQ(onlyListener(result).custom.provider, 0);
  const Cluster& cluster =
      result.snapshot->clusters.at(result.snapshot->ext_authz_providers[0].cluster);
  EXPECT_TRUE(cluster.endpoints.empty());
}

TEST(ExtAuthzProviders, UndeclaredPortWarns) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front().ext_authz_http->port = 9003;
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  EXPECT_TRUE(hasWarningAbout(buildProviders(resources), "has no port 9003"));
}

TEST(ExtAuthzProviders, HostInTwoNamespacesDenies) {
  config::ResourceSet resources = withProvider();
  config::ServiceEntry copy = resources.service_entries.back();
  copy.meta = meta("ServiceEntry", "foo", "ext-authz");
  resources.service_entries.push_back(copy);
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, -1);
  EXPECT_TRUE(hasWarningAbout(result, "several namespaces"));
}

TEST(ExtAuthzProviders, NamespacedServiceMustMatchTheNamespace) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front().ext_authz_http->service = "foo/ext-authz.local";
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, -1);
}

TEST(ExtAuthzProviders, NamespacedServiceResolvesInItsNamespace) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front().ext_authz_http->service =
      "istio-system/ext-authz.local";
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, 0);
}

// istiod looks the service up among the services of the mesh, where an address finds nothing.
TEST(ExtAuthzProviders, IpAddressServiceDenies) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front().ext_authz_http->service = "127.0.0.2";
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  const BuildResult result = buildProviders(resources);
  EXPECT_EQ(onlyListener(result).custom.provider, -1);
}

TEST(ExtAuthzProviders, RequestBodyInCheckWarns) {
  config::ResourceSet resources = withProvider();
  resources.mesh.extension_providers.front()
      .ext_authz_http->include_request_body_in_check.emplace();
  resources.authorization_policies.push_back(customPolicy("ext-authz", "http-authz"));
  EXPECT_TRUE(hasWarningAbout(buildProviders(resources), "request body"));
}

}  // namespace
}  // namespace portcullis::snapshot::testing
