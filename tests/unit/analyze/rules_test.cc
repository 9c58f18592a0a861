// Rules that can never match at a gateway: peer identities, TLS server names, request
// principals and claims without a RequestAuthentication or with an unknown issuer, and ports
// the gateway does not listen on.
#include <gtest/gtest.h>

#include "analyze_test_util.h"

namespace portcullis::analyze::testing {
namespace {

// An AuthorizationPolicy in istio-system for the ingress gateway with `action` and `rules`
// (YAML lines indented under `rules:`).
std::string policy(std::string_view action, std::string_view rules) {
  return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n"
         "  name: under-test\n  namespace: istio-system\nspec:\n  action: " +
         std::string(action) + "\n  selector:\n    matchLabels:\n      istio: ingressgateway\n" +
         "  rules:\n" + std::string(rules);
}

TEST(PeerIdentityNeverPresent, PrincipalsWarn) {
  const auto findings = analyzeWithGateway(policy("ALLOW", R"(
  - from:
    - source:
        principals: ["cluster.local/ns/foo/sa/client"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kPeerIdentityNeverPresent);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].from[0].source.principals");
  EXPECT_EQ(finding.diagnostic.location.line, 27);
  EXPECT_TRUE(contains(finding.diagnostic.message, "rule 0 never matches and allows nothing"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, "requestPrincipals")) << finding.hint;
}

TEST(PeerIdentityNeverPresent, OtherSourceStillMatches) {
  const auto findings = analyzeWithGateway(policy("ALLOW", R"(
  - from:
    - source:
        namespaces: ["foo"]
    - source:
        remoteIpBlocks: ["10.0.0.0/8"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kPeerIdentityNeverPresent);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].from[0].source.namespaces");
  EXPECT_TRUE(contains(finding.diagnostic.message, "can still match through its other sources"))
      << finding.diagnostic.message;
}

TEST(PeerIdentityNeverPresent, ConditionWarns) {
  const auto findings = analyzeWithGateway(policy("DENY", R"(
  - to:
    - operation:
        paths: ["/admin*"]
    when:
    - key: source.namespace
      values: ["foo"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kPeerIdentityNeverPresent);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].when[0] source.namespace");
  EXPECT_TRUE(contains(finding.diagnostic.message, "denies nothing")) << finding.diagnostic.message;
}

TEST(PeerIdentityNeverPresent, NegationAlwaysHolds) {
  const auto findings = analyzeWithGateway(policy("DENY", R"(
  - from:
    - source:
        notPrincipals: ["*"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kPeerIdentityNeverPresent);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].from[0].source.notPrincipals");
  EXPECT_TRUE(contains(finding.diagnostic.message, "denies every request"))
      << finding.diagnostic.message;
}

TEST(PeerIdentityNeverPresent, ClientAddressQuiet) {
  const auto findings = analyzeWithGateway(policy("ALLOW", R"(
  - from:
    - source:
        ipBlocks: ["127.0.0.1"]
        remoteIpBlocks: ["10.0.0.0/8"]
)"));
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(SniNeverPresent, ConditionWarns) {
  const auto findings = analyzeWithGateway(policy("ALLOW", R"(
  - when:
    - key: connection.sni
      values: ["api.example.com"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kSniNeverPresent);
  EXPECT_TRUE(contains(finding.hint, "hosts")) << finding.hint;
}

TEST(NoRequestAuthentication, RequestPrincipalsWarn) {
  const auto findings = analyzeWithGateway(policy("ALLOW", R"(
  - from:
    - source:
        requestPrincipals: ["*"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kNoRequestAuthentication);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].from[0].source.requestPrincipals");
  EXPECT_TRUE(contains(finding.diagnostic.message, "no RequestAuthentication applies"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, "add a RequestAuthentication")) << finding.hint;
}

TEST(NoRequestAuthentication, ClaimConditionWarns) {
  const auto findings = analyzeWithGateway(policy("ALLOW", R"(
  - when:
    - key: request.auth.claims[groups]
      values: ["admin"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kNoRequestAuthentication);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].when[0] request.auth.claims[groups]");
}

TEST(NoRequestAuthentication, RequireJwtDeniesEverything) {
  // The istio.io "require a JWT" DENY policy without a RequestAuthentication: every request
  // lacks a principal, so every request is denied.
  const auto findings = analyzeWithGateway(policy("DENY", R"(
  - from:
    - source:
        notRequestPrincipals: ["*"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kNoRequestAuthentication);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].from[0].source.notRequestPrincipals");
  EXPECT_TRUE(contains(finding.diagnostic.message, "holds for every request"))
      << finding.diagnostic.message;
}

TEST(NoRequestAuthentication, WithRequestAuthenticationQuiet) {
  const auto findings =
      analyzeWithGateway(requestAuthentication("jwt", "issuer-a") + "---\n" + policy("ALLOW", R"(
  - from:
    - source:
        requestPrincipals: ["*"]
    when:
    - key: request.auth.claims[groups]
      values: ["admin"]
)"));
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(IssuerNotConfigured, UnknownIssuerWarns) {
  const auto findings =
      analyzeWithGateway(requestAuthentication("jwt", "issuer-a") + "---\n" + policy("ALLOW", R"(
  - from:
    - source:
        requestPrincipals: ["issuer-b/*"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kIssuerNotConfigured);
  EXPECT_TRUE(contains(finding.diagnostic.message, "never matches")) << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, R"(["issuer-a"])")) << finding.hint;
}

TEST(IssuerNotConfigured, SomeValuesWarn) {
  const auto findings =
      analyzeWithGateway(requestAuthentication("jwt", "issuer-a") + "---\n" + policy("ALLOW", R"(
  - from:
    - source:
        requestPrincipals: ["issuer-a/alice", "issuer-b/bob"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kIssuerNotConfigured);
  EXPECT_TRUE(contains(finding.diagnostic.message, R"(the values ["issuer-b/bob"] cannot)"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.diagnostic.message, "can still match"))
      << finding.diagnostic.message;
}

TEST(IssuerNotConfigured, PatternsQuiet) {
  // A principal is split at its last '/': "https://issuer.example/*" names the URL issuer.
  const auto findings = analyzeWithGateway(requestAuthentication("jwt", "https://issuer.example") +
                                           "---\n" + policy("ALLOW", R"(
  - from:
    - source:
        requestPrincipals: ["https://issuer.example/*", "*.example/alice", "*"]
)"));
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(PortNotServed, GatewayPortWarns) {
  const auto findings = analyzeWithGateway(policy("DENY", R"(
  - to:
    - operation:
        ports: ["80"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kPortNotServed);
  EXPECT_EQ(finding.diagnostic.field, "spec.rules[0].to[0].operation.ports");
  EXPECT_TRUE(contains(finding.diagnostic.message, "(8080)")) << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.diagnostic.message, "denies nothing")) << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, R"(gateway port 80 listens on 8080, so write "8080")"))
      << finding.hint;
}

TEST(PortNotServed, DestinationPortConditionWarns) {
  const auto findings = analyzeWithGateway(policy("ALLOW", R"(
  - when:
    - key: destination.port
      values: ["9090", "8080"]
)"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kPortNotServed);
  EXPECT_TRUE(contains(finding.diagnostic.message, R"(the ports ["9090"] are not)"))
      << finding.diagnostic.message;
}

TEST(PortNotServed, ListenPortQuiet) {
  const auto findings = analyzeWithGateway(policy("DENY", R"(
  - to:
    - operation:
        ports: ["8080"]
)"));
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(PortNotServed, UnmappedPortQuiet) {
  snapshot::BuildOptions options = ingressOptions();
  options.port_map.clear();
  const auto findings = analyzeWithGateway(policy("DENY", R"(
  - to:
    - operation:
        ports: ["80"]
)"),
                                           options);
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(RuleAnalyses, DetachedPolicySkipped) {
  // Written for a sidecar, where peer identities exist: only the attachment is reported.
  const auto findings = analyzeWithGateway(R"(
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: sidecar
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/foo/sa/client"]
)");
  ASSERT_EQ(findings.size(), 1u) << dump(findings);
  EXPECT_EQ(findings.front().code, kPolicyNotApplied);
}

TEST(RuleAnalyses, DestinationPolicySkipped) {
  // A mesh-wide policy also runs at the labelled endpoint, where the gateway is the peer.
  const auto findings = analyzeWithGateway(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin
  namespace: istio-system
spec:
  hosts: ["httpbin.example"]
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
  name: from-gateway
  namespace: istio-system
spec:
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]
)");
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

}  // namespace
}  // namespace portcullis::analyze::testing
