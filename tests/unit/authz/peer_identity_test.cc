// The source fields and conditions that read the mTLS peer identity. They are checked with the
// gateway's principal as peer, as a destination workload's policies get it, and without a peer,
// as the gateway's own policies run. istiod matches them against the peer's SPIFFE URI
// "spiffe://<trust domain>/ns/<namespace>/sa/<service account>" (istio/istio,
// pilot/pkg/security/authz/model/generator.go):
// - principals and source.principal: a string pattern on the whole identity;
// - namespaces and source.namespace: the regex ".*/ns/<value>/.*", each '*' turned into ".*";
// - serviceAccounts and source.serviceAccount: "<namespace>/<name>", or "<name>" of the
//   policy's namespace.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::authz::testing {
namespace {

constexpr std::string_view kGatewayPrincipal =
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

struct PeerCase {
  std::string name;
  config::Rule rule;
  bool matches;
};

// Whether an ALLOW policy in namespace `policy_ns` made of `rule` allows a request whose mTLS
// peer is `principal`, empty for no peer. `explanation` receives the trace.
bool allowsPeer(const config::Rule& rule, std::string_view principal, std::string_view policy_ns,
                std::string* explanation) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("peer-under-test", Action::Allow, {rule})};
  policies[0].meta.ns = std::string(policy_ns);
  const std::shared_ptr<const Engine> engine = compileAll(policies);
  TestRequest request;
  RequestAttributes attributes = request.attributes();
  attributes.peer_principal = principal;
  Trace trace;
  const Decision decision = engine->evaluate(attributes, &trace);
  *explanation = traceText(trace);
  return decision.allowed;
}

void expectPeerCases(std::string_view principal, const std::vector<PeerCase>& cases,
                     std::string_view policy_ns = "foo") {
  for (const PeerCase& c : cases) {
    std::string explanation;
    EXPECT_EQ(allowsPeer(c.rule, principal, policy_ns, &explanation), c.matches)
        << c.name << " (peer \"" << principal << "\")\n"
        << explanation;
  }
}

config::Rule principals(std::vector<std::string> values,
                        std::vector<std::string> not_values = {}) {
  config::Source source;
  source.principals = std::move(values);
  source.not_principals = std::move(not_values);
  return fromSource(source);
}

config::Rule namespaces(std::vector<std::string> values,
                        std::vector<std::string> not_values = {}) {
  config::Source source;
  source.namespaces = std::move(values);
  source.not_namespaces = std::move(not_values);
  return fromSource(source);
}

config::Rule serviceAccounts(std::vector<std::string> values,
                             std::vector<std::string> not_values = {}) {
  config::Source source;
  source.service_accounts = std::move(values);
  source.not_service_accounts = std::move(not_values);
  return fromSource(source);
}

config::Rule trustDomains(std::vector<std::string> values,
                          std::vector<std::string> not_values = {}) {
  config::Source source;
  source.trust_domains = std::move(values);
  source.not_trust_domains = std::move(not_values);
  return fromSource(source);
}

TEST(PeerPrincipal, Principals) {
  expectPeerCases(kGatewayPrincipal,
                  {
                      {"exact", principals({std::string(kGatewayPrincipal)}), true},
                      {"other", principals({"cluster.local/ns/foo/sa/sleep"}), false},
                      {"any", principals({"*"}), true},
                      {"prefix", principals({"cluster.local/ns/istio-system/*"}), true},
                      {"other prefix", principals({"cluster.local/ns/foo/*"}), false},
                      {"suffix", principals({"*/sa/istio-ingressgateway-service-account"}), true},
                      {"other suffix", principals({"*/sa/sleep"}), false},
                      {"without trust domain", principals({"ns/istio-system/sa/"
                                                           "istio-ingressgateway-service-account"}),
                       false},
                      {"any of list", principals({"a/ns/b/sa/c", std::string(kGatewayPrincipal)}),
                       true},
                      {"notPrincipals hit", principals({}, {std::string(kGatewayPrincipal)}),
                       false},
                      {"notPrincipals miss", principals({}, {"cluster.local/ns/foo/sa/sleep"}),
                       true},
                  });
}

TEST(PeerPrincipal, Namespaces) {
  expectPeerCases(kGatewayPrincipal, {
                                         {"exact", namespaces({"istio-system"}), true},
                                         {"other", namespaces({"foo"}), false},
                                         {"any", namespaces({"*"}), true},
                                         {"prefix", namespaces({"istio-*"}), true},
                                         {"suffix", namespaces({"*-system"}), true},
                                         {"other prefix", namespaces({"kube-*"}), false},
                                         {"part only", namespaces({"istio"}), false},
                                         {"notNamespaces hit", namespaces({}, {"istio-system"}),
                                          false},
                                         {"notNamespaces miss", namespaces({}, {"foo"}), true},
                                     });
}

TEST(PeerPrincipal, NamespaceInnerWildcard) {
  // istiod turns every '*' of a namespaces value into the regex ".*", not only a leading or
  // trailing one.
  expectPeerCases(kGatewayPrincipal, {{"inner", namespaces({"istio*system"}), true}});
}

TEST(PeerPrincipal, ServiceAccounts) {
  expectPeerCases(
      kGatewayPrincipal,
      {
          {"namespace and name", serviceAccounts({"istio-system/istio-ingressgateway-service-account"}),
           true},
          {"other namespace", serviceAccounts({"foo/istio-ingressgateway-service-account"}), false},
          {"other name", serviceAccounts({"istio-system/sleep"}), false},
          {"name prefix only", serviceAccounts({"istio-system/istio-ingressgateway"}), false},
          {"notServiceAccounts hit",
           serviceAccounts({}, {"istio-system/istio-ingressgateway-service-account"}), false},
          {"notServiceAccounts miss", serviceAccounts({}, {"foo/sleep"}), true},
      });
}

TEST(PeerPrincipal, ServiceAccountNameInPolicyNamespace) {
  // A value without a namespace names a service account of the policy's own namespace.
  expectPeerCases(kGatewayPrincipal,
                  {{"policy in istio-system",
                    serviceAccounts({"istio-ingressgateway-service-account"}), true}},
                  "istio-system");
  expectPeerCases(kGatewayPrincipal,
                  {{"policy in foo", serviceAccounts({"istio-ingressgateway-service-account"}),
                    false}},
                  "foo");
}

TEST(PeerPrincipal, TrustDomains) {
  expectPeerCases(kGatewayPrincipal, {
                                         {"exact", trustDomains({"cluster.local"}), true},
                                         {"other", trustDomains({"example.org"}), false},
                                         {"any", trustDomains({"*"}), true},
                                         {"suffix", trustDomains({"*.local"}), true},
                                         {"notTrustDomains hit", trustDomains({}, {"cluster.local"}),
                                          false},
                                         {"notTrustDomains miss", trustDomains({}, {"example.org"}),
                                          true},
                                     });
}

TEST(PeerPrincipal, OtherTrustDomain) {
  const std::string_view peer = "example.org/ns/istio-system/sa/istio-ingressgateway-service-account";
  expectPeerCases(peer, {
                            {"trustDomains", trustDomains({"example.org"}), true},
                            {"namespaces", namespaces({"istio-system"}), true},
                            {"serviceAccounts",
                             serviceAccounts({"istio-system/istio-ingressgateway-service-account"}),
                             true},
                            {"principals of cluster.local",
                             principals({std::string(kGatewayPrincipal)}), false},
                        });
}

TEST(PeerPrincipal, Conditions) {
  expectPeerCases(
      kGatewayPrincipal,
      {
          {"source.principal", when(condition("source.principal", {std::string(kGatewayPrincipal)})),
           true},
          {"source.principal other",
           when(condition("source.principal", {"cluster.local/ns/foo/sa/sleep"})), false},
          {"source.principal notValues",
           when(condition("source.principal", {}, {std::string(kGatewayPrincipal)})), false},
          {"source.namespace", when(condition("source.namespace", {"istio-system"})), true},
          {"source.namespace other", when(condition("source.namespace", {"foo"})), false},
          {"source.namespace notValues", when(condition("source.namespace", {}, {"foo"})), true},
          {"source.serviceAccount",
           when(condition("source.serviceAccount",
                          {"istio-system/istio-ingressgateway-service-account"})),
           true},
          {"source.serviceAccount other",
           when(condition("source.serviceAccount", {"istio-system/sleep"})), false},
          {"source.trustDomain", when(condition("source.trustDomain", {"cluster.local"})), true},
          {"source.trustDomain other", when(condition("source.trustDomain", {"example.org"})),
           false},
      });
}

TEST(PeerPrincipal, ServiceAccountConditionInPolicyNamespace) {
  expectPeerCases(kGatewayPrincipal,
                  {{"source.serviceAccount name",
                    when(condition("source.serviceAccount",
                                   {"istio-ingressgateway-service-account"})),
                    true}},
                  "istio-system");
}

TEST(PeerPrincipal, AbsentWithoutPeer) {
  // The gateway's own clients present no mTLS identity: every positive value fails and every
  // negative value matches.
  expectPeerCases("", {
                          {"principals", principals({"*"}), false},
                          {"notPrincipals", principals({}, {std::string(kGatewayPrincipal)}), true},
                          {"namespaces", namespaces({"*"}), false},
                          {"notNamespaces", namespaces({}, {"istio-system"}), true},
                          {"serviceAccounts",
                           serviceAccounts({"istio-system/istio-ingressgateway-service-account"}),
                           false},
                          {"notServiceAccounts", serviceAccounts({}, {"foo/sleep"}), true},
                          {"trustDomains", trustDomains({"*"}), false},
                          {"notTrustDomains", trustDomains({}, {"cluster.local"}), true},
                          {"source.principal", when(condition("source.principal", {"*"})), false},
                          {"source.namespace", when(condition("source.namespace", {"*"})), false},
                          {"source.serviceAccount",
                           when(condition("source.serviceAccount", {"foo/sleep"})), false},
                          {"source.trustDomain", when(condition("source.trustDomain", {"*"})),
                           false},
                          {"source.principal notValues",
                           when(condition("source.principal", {}, {"foo"})), true},
                      });
}

TEST(PeerPrincipal, AbsentExplained) {
  std::string explanation;
  EXPECT_FALSE(allowsPeer(principals({"*"}), "", "foo", &explanation));
  EXPECT_NE(explanation.find("no mTLS peer identity"), std::string::npos) << explanation;
}

TEST(PeerPrincipal, MatchExplained) {
  std::string explanation;
  EXPECT_FALSE(
      allowsPeer(principals({"cluster.local/ns/foo/sa/sleep"}), kGatewayPrincipal, "foo",
                 &explanation));
  EXPECT_NE(explanation.find(std::string(kGatewayPrincipal)), std::string::npos) << explanation;
}

}  // namespace
}  // namespace portcullis::authz::testing
