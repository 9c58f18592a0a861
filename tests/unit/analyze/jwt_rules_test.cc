// jwtRules that interfere at one gateway: one issuer configured twice with other keys or
// locations, and different issuers reading tokens at the same places.
#include <gtest/gtest.h>

#include "analyze_test_util.h"

namespace portcullis::analyze::testing {
namespace {

TEST(OverlappingIssuer, OtherKeySetWarns) {
  const auto findings = analyzeWithGateway(requestAuthentication("first", "issuer-a") + R"(
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: second
  namespace: istio-system
spec:
  jwtRules:
  - issuer: issuer-a
    jwksUri: https://keys.example/jwks.json
)");
  PORTCULLIS_ONLY_FINDING(finding, findings, kOverlappingIssuer);
  EXPECT_EQ(finding.diagnostic.object, "RequestAuthentication istio-system/second");
  EXPECT_EQ(finding.diagnostic.field, "spec.jwtRules[0]");
  EXPECT_TRUE(contains(finding.diagnostic.message, "with another key set"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.diagnostic.message,
                       "RequestAuthentication istio-system/first jwtRules[0] (test.yaml:"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, "merge")) << finding.hint;
}

TEST(OverlappingIssuer, OtherLocationsWarn) {
  const auto findings = analyzeWithGateway(
      requestAuthentication("first", "issuer-a") +
      requestAuthentication("second", "issuer-a", "    fromHeaders:\n    - name: x-jwt\n"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kOverlappingIssuer);
  EXPECT_TRUE(contains(finding.diagnostic.message, "with other token locations"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.diagnostic.message, "and at header x-jwt"))
      << finding.diagnostic.message;
}

TEST(OverlappingIssuer, IdenticalRulesQuiet) {
  const auto findings = analyzeWithGateway(requestAuthentication("first", "issuer-a") +
                                           requestAuthentication("second", "issuer-a"));
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(SharedTokenLocation, DefaultLocationsWarn) {
  const auto findings = analyzeWithGateway(requestAuthentication("first", "issuer-a") +
                                           requestAuthentication("second", "issuer-b"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kSharedTokenLocation);
  EXPECT_EQ(finding.diagnostic.object, "RequestAuthentication istio-system/second");
  EXPECT_TRUE(
      contains(finding.diagnostic.message, "at header authorization, query parameter access_token"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.diagnostic.message, R"(401 "Jwt issuer is not configured")"))
      << finding.diagnostic.message;
  EXPECT_TRUE(contains(finding.hint, "fromHeaders")) << finding.hint;
}

TEST(SharedTokenLocation, SharedHeaderWarns) {
  // Two lines of one header can carry a token of each issuer.
  const auto findings = analyzeWithGateway(
      requestAuthentication("first", "issuer-a", "    fromHeaders:\n    - name: X-Token\n") +
      requestAuthentication("second", "issuer-b", "    fromHeaders:\n    - name: x-token\n"));
  PORTCULLIS_ONLY_FINDING(finding, findings, kSharedTokenLocation);
  EXPECT_TRUE(contains(finding.diagnostic.message, "in two x-token header lines"))
      << finding.diagnostic.message;
}

TEST(SharedTokenLocation, SeparateLocationsQuiet) {
  const auto findings = analyzeWithGateway(
      requestAuthentication("first", "issuer-a") +
      requestAuthentication("second", "issuer-b", "    fromHeaders:\n    - name: x-token\n"));
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(SharedTokenLocation, SharedParameterQuiet) {
  // A query parameter gives one token, its first value, so it cannot carry both issuers'.
  const auto findings =
      analyzeWithGateway(requestAuthentication("first", "issuer-a", "    fromParams: [token]\n") +
                         requestAuthentication("second", "issuer-b", "    fromParams: [token]\n"));
  EXPECT_TRUE(findings.empty()) << dump(findings);
}

}  // namespace
}  // namespace portcullis::analyze::testing
