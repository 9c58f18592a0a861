// Attachment analyses: Gateways that select another workload, policies that attach to no
// served gateway, and ALLOW policies without rules.
#include <gtest/gtest.h>

#include "analyze_test_util.h"

namespace portcullis::analyze::testing {
namespace {

constexpr std::string_view kEgressGateway = R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: egress
  namespace: foo
spec:
  selector:
    istio: egressgateway
  servers:
  - port: {number: 8081, name: http, protocol: HTTP}
    hosts: ["*"]
)";

TEST(GatewayNotSelected, OtherSelectorWarns) {
  const auto findings = analyzeWithGateway(kEgressGateway);
  PORTCULLIS_ONLY_FINDING(finding, findings, kGatewayNotSelected);
  EXPECT_EQ(finding.diagnostic.severity, config::Diagnostic::Severity::Warning);
  EXPECT_EQ(finding.diagnostic.object, "Gateway foo/egress");
  EXPECT_EQ(finding.diagnostic.field, "spec.selector");
  EXPECT_EQ(finding.diagnostic.location.file, "test.yaml");
  EXPECT_EQ(finding.diagnostic.location.line, 13);
  EXPECT_TRUE(contains(finding.diagnostic.message, "8081")) << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, "--labels istio=egressgateway")) << finding.hint;
}

TEST(GatewayNotSelected, MatchingSelectorQuiet) {
  const auto findings = analyzeWithGateway("");
  EXPECT_TRUE(withCode(findings, kGatewayNotSelected).empty()) << dump(findings);
}

TEST(GatewayNotSelected, ReplacesBuildNote) {
  config::LoadResult loaded = loadWithGateway(kEgressGateway);
  const Report report = validateLoaded(std::move(loaded), ingressOptions());
  size_t about_egress = 0;
  for (const auto& finding : report.findings) {
    if (finding.diagnostic.object == "Gateway foo/egress") {
      ++about_egress;
      EXPECT_EQ(finding.diagnostic.severity, config::Diagnostic::Severity::Warning);
    }
  }
  EXPECT_EQ(about_egress, 1u);
}

TEST(PolicyNotApplied, OtherNamespaceWarns) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: in-foo
  namespace: foo
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  rules:
  - {}
)");
  PORTCULLIS_ONLY_FINDING(finding, findings, kPolicyNotApplied);
  EXPECT_EQ(finding.diagnostic.object, "AuthorizationPolicy foo/in-foo");
  EXPECT_EQ(finding.diagnostic.field, "metadata.namespace");
  EXPECT_TRUE(contains(finding.diagnostic.message, "namespace foo is neither"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, "move it to namespace istio-system")) << finding.hint;
  EXPECT_TRUE(contains(finding.hint, "--namespace foo --labels istio=ingressgateway"))
      << finding.hint;
}

TEST(PolicyNotApplied, SelectorMismatchWarns) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: httpbin-only
  namespace: istio-system
spec:
  selector:
    matchLabels:
      app: httpbin
)");
  PORTCULLIS_ONLY_FINDING(finding, findings, kPolicyNotApplied);
  EXPECT_EQ(finding.diagnostic.field, "spec.selector");
  EXPECT_TRUE(contains(finding.diagnostic.message, "the selector {app: httpbin}"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, "{app: istio-ingressgateway, istio: ingressgateway}"))
      << finding.hint;
}

TEST(PolicyNotApplied, MissingTargetGatewayWarns) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: api
  namespace: apps
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: by-ref
  namespace: apps
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: web
  rules:
  - {}
)");
  PORTCULLIS_ONLY_FINDING(finding, findings, kPolicyNotApplied);
  EXPECT_EQ(finding.diagnostic.field, "spec.targetRefs");
  EXPECT_TRUE(contains(finding.diagnostic.message, "no entry of targetRefs names Gateway apps/api"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint,
                       "names Gateway apps/web, which this configuration does not "
                       "define (Gateway API Gateways: apps/api)"))
      << finding.hint;
}

TEST(PolicyNotApplied, TargetRefToExistingGatewayQuiet) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: api
  namespace: apps
spec:
  gatewayClassName: istio
  listeners:
  - name: http
    port: 80
    protocol: HTTP
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: by-ref
  namespace: apps
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: api
  rules:
  - {}
)");
  EXPECT_TRUE(withCode(findings, kPolicyNotApplied).empty()) << dump(findings);
}

TEST(PolicyNotApplied, DestinationWorkloadQuiet) {
  // The endpoint with labels app: httpbin is a workload whose policies Portcullis enforces
  // after the gateway's.
  const auto findings = analyzeWithGateway(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin
  namespace: foo
spec:
  hosts: ["httpbin.foo.svc.cluster.local"]
  ports:
  - {number: 8000, name: http, protocol: HTTP}
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    labels:
      app: httpbin
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  rules:
  - {}
)");
  EXPECT_TRUE(withCode(findings, kPolicyNotApplied).empty()) << dump(findings);
}

TEST(PolicyNotApplied, RootPolicyQuiet) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ingress
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  rules:
  - {}
)");
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(AllowNothing, EmptyAllowWarns) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
)");
  PORTCULLIS_ONLY_FINDING(finding, findings, kAllowNothing);
  EXPECT_EQ(finding.diagnostic.location.line, 13);
  EXPECT_TRUE(contains(finding.diagnostic.message, "matches no request"))
      << finding.diagnostic.message;
  // No other ALLOW policy applies, so the gateway denies everything.
  EXPECT_TRUE(contains(finding.diagnostic.message, "403")) << finding.diagnostic.message;
  EXPECT_TRUE(withCode(findings, kMeshWideAllowNothing).empty()) << dump(findings);
}

TEST(AllowNothing, OtherAllowNamed) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-get
  namespace: istio-system
spec:
  rules:
  - to:
    - operation:
        methods: ["GET"]
)");
  PORTCULLIS_ONLY_FINDING(finding, findings, kAllowNothing);
  EXPECT_FALSE(contains(finding.diagnostic.message, "403")) << finding.diagnostic.message;
}

TEST(AllowNothing, AllowAllQuiet) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-all
  namespace: istio-system
spec:
  rules:
  - {}
)");
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(AllowNothing, DryRunQuiet) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: istio-system
  annotations:
    istio.io/dry-run: "true"
spec:
  selector:
    matchLabels:
      istio: ingressgateway
)");
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(MeshWideAllowNothing, EmptySpecInRootWarns) {
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-by-default
  namespace: istio-system
spec: {}
)");
  PORTCULLIS_ONLY_FINDING(finding, findings, kMeshWideAllowNothing);
  EXPECT_EQ(finding.diagnostic.field, "spec");
  EXPECT_TRUE(contains(finding.diagnostic.message, "every request in the mesh"))
      << finding.diagnostic.message;
  EXPECT_TRUE(withCode(findings, kAllowNothing).empty()) << dump(findings);
}

TEST(MeshWideAllowNothing, EmptySpecElsewhereNotMeshWide) {
  // In the gateway's own namespace the policy covers that namespace only.
  snapshot::BuildOptions options = ingressOptions();
  options.workload.ns = "gateways";
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-by-default
  namespace: gateways
spec: {}
)",
                                           options);
  EXPECT_TRUE(withCode(findings, kMeshWideAllowNothing).empty()) << dump(findings);
  EXPECT_EQ(withCode(findings, kAllowNothing).size(), 1u) << dump(findings);
}

}  // namespace
}  // namespace portcullis::analyze::testing
