// The workloads a configuration serves, and validation end to end: loader, build and analyses
// together.
#include <gtest/gtest.h>

#include "analyze_test_util.h"

namespace portcullis::analyze::testing {
namespace {

using Severity = config::Diagnostic::Severity;

TEST(ServedWorkloads, IstioGatewayPortsMapped) {
  const config::LoadResult loaded = loadWithGateway("");
  const auto served = servedWorkloads(loaded.resources, ingressOptions());
  ASSERT_EQ(served.size(), 1u);
  EXPECT_EQ(served[0].workload.ns, "istio-system");
  EXPECT_EQ(served[0].gateway_ports, std::vector<uint32_t>{80});
  EXPECT_EQ(served[0].listen_ports, std::vector<uint16_t>{8080});
}

TEST(ServedWorkloads, GatewayApiGatewayAdded) {
  const config::LoadResult loaded = loadWithGateway(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: api
  namespace: apps
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 8000
    protocol: HTTP
)");
  const auto served = servedWorkloads(loaded.resources, ingressOptions());
  ASSERT_EQ(served.size(), 2u);
  EXPECT_EQ(served[1].workload.ns, "apps");
  EXPECT_EQ(served[1].workload.k8s_gateway_name, "api");
  EXPECT_EQ(served[1].listen_ports, std::vector<uint16_t>{8000});
}

TEST(ServedWorkloads, UnselectedGatewayLeftOut) {
  snapshot::BuildOptions options = ingressOptions();
  options.workload.labels = {{"istio", "egressgateway"}};
  const config::LoadResult loaded = loadWithGateway("");
  EXPECT_TRUE(servedWorkloads(loaded.resources, options).empty());
}

TEST(ValidateLoaded, CleanConfigurationHasNoFindings) {
  const Report report = validateLoaded(loadWithGateway(""), ingressOptions());
  EXPECT_TRUE(report.analyzed);
  EXPECT_FALSE(report.hasErrors());
  EXPECT_EQ(report.count(Severity::Warning), 0u);
}

TEST(ValidateLoaded, LoadErrorsSkipAnalyses) {
  config::LoadResult loaded = config::loadString(R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: bad
  namespace: istio-system
spec:
  action: PERMIT
)",
                                                 "bad.yaml");
  const Report report = validateLoaded(std::move(loaded), ingressOptions());
  EXPECT_FALSE(report.analyzed);
  EXPECT_TRUE(report.hasErrors());
  ASSERT_FALSE(report.findings.empty());
  EXPECT_EQ(report.findings[0].diagnostic.location.file, "bad.yaml");
  EXPECT_EQ(report.findings[0].diagnostic.location.line, 7);
}

TEST(ValidateLoaded, BuildWarningKept) {
  // A destination without ServiceEntry is the build's finding.
  const Report report = validateLoaded(loadWithGateway(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: foo
spec:
  hosts: ["*"]
  gateways: ["gw"]
  http:
  - route:
    - destination:
        host: web.example
)"),
                                       ingressOptions());
  ASSERT_EQ(report.count(Severity::Warning), 1u);
  EXPECT_TRUE(report.findings[0].code.empty());
  EXPECT_TRUE(contains(report.findings[0].diagnostic.message, "no ServiceEntry"));
}

TEST(ValidateLoaded, FindingsSortedByLine) {
  const Report report =
      validateLoaded(loadWithGateway(requestAuthentication("first", "issuer-a") +
                                     requestAuthentication("second", "issuer-b") + R"(---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
)"),
                     ingressOptions());
  ASSERT_EQ(report.findings.size(), 2u);
  EXPECT_LT(report.findings[0].diagnostic.location.line,
            report.findings[1].diagnostic.location.line);
  EXPECT_EQ(report.findings[0].code, kSharedTokenLocation);
}

}  // namespace
}  // namespace portcullis::analyze::testing
