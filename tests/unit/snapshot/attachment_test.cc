// Which RequestAuthentication and AuthorizationPolicy objects apply to a gateway workload, by
// istiod's rules. Candidates come from the root namespace and the workload's namespace. Istio
// gateways match by label selector and ignore targetRef policies. Gateway API gateways match
// by targetRef or, without one, by selector. Also the --port-map and --labels parsers.
#include <string>

#include <gtest/gtest.h>

#include "snapshot/snapshot.h"

namespace portcullis::snapshot {
namespace {

constexpr std::string_view kRoot = "istio-system";
constexpr std::string_view kGatewayGroup = "gateway.networking.k8s.io";

// The default Istio ingress gateway.
Workload ingressGateway() {
  Workload workload;
  workload.ns = "istio-system";
  workload.labels = {{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}};
  return workload;
}

// A Gateway API gateway named `name` in namespace `ns`, labelled as Istio deploys it.
Workload k8sGateway(std::string ns, std::string name) {
  Workload workload;
  workload.ns = std::move(ns);
  workload.labels = {{"gateway.networking.k8s.io/gateway-name", name}};
  workload.k8s_gateway_name = std::move(name);
  return workload;
}

config::WorkloadTarget noTarget() {
  return {};
}

config::WorkloadTarget selector(config::Labels labels) {
  config::WorkloadTarget target;
  target.selector = std::move(labels);
  return target;
}

config::WorkloadTarget targetRef(std::string name, std::string ns = "",
                                 std::string kind = "Gateway",
                                 std::string group = std::string(kGatewayGroup)) {
  config::WorkloadTarget target;
  target.target_refs.push_back(config::PolicyTargetReference{std::move(group), std::move(kind),
                                                             std::move(name), std::move(ns)});
  return target;
}

bool applies(const config::WorkloadTarget& target, std::string_view policy_ns,
             const Workload& workload, std::string_view root = kRoot) {
  return policyApplies(target, std::string(policy_ns), workload, std::string(root));
}

TEST(PolicyApplies, RootNamespaceWithoutSelector) {
  EXPECT_TRUE(applies(noTarget(), "istio-system", ingressGateway()));
  EXPECT_TRUE(applies(noTarget(), "istio-system", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, WorkloadNamespaceWithoutSelector) {
  EXPECT_TRUE(applies(noTarget(), "apps", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, OtherNamespaceNever) {
  // A policy in foo with the ingress selector does not reach the gateway in istio-system.
  EXPECT_FALSE(applies(noTarget(), "foo", ingressGateway()));
  EXPECT_FALSE(applies(selector({{"istio", "ingressgateway"}}), "foo", ingressGateway()));
}

TEST(PolicyApplies, SelectorSubsetMatches) {
  EXPECT_TRUE(applies(selector({{"istio", "ingressgateway"}}), "istio-system", ingressGateway()));
  EXPECT_TRUE(applies(selector({{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}}),
                      "istio-system", ingressGateway()));
}

TEST(PolicyApplies, SelectorWithOtherValueFails) {
  EXPECT_FALSE(applies(selector({{"istio", "egressgateway"}}), "istio-system", ingressGateway()));
}

TEST(PolicyApplies, SelectorWithExtraLabelFails) {
  EXPECT_FALSE(applies(selector({{"istio", "ingressgateway"}, {"version", "v1"}}), "istio-system",
                       ingressGateway()));
}

TEST(PolicyApplies, EmptySelectorMatchesAll) {
  EXPECT_TRUE(applies(selector({}), "istio-system", ingressGateway()));
}

TEST(PolicyApplies, CustomRootNamespace) {
  EXPECT_TRUE(applies(noTarget(), "mesh-root", ingressGateway(), "mesh-root"));
  EXPECT_FALSE(applies(noTarget(), "istio-system", k8sGateway("apps", "gw"), "mesh-root"));
}

TEST(PolicyApplies, IstioGatewayIgnoresTargetRefs) {
  EXPECT_FALSE(applies(targetRef("ingress"), "istio-system", ingressGateway()));
}

TEST(PolicyApplies, TargetRefNamesGateway) {
  EXPECT_TRUE(applies(targetRef("gw"), "apps", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, TargetRefWithOwnNamespace) {
  EXPECT_TRUE(applies(targetRef("gw", "apps"), "apps", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, TargetRefWithOtherNamespace) {
  EXPECT_FALSE(applies(targetRef("gw", "other"), "apps", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, TargetRefFromRootNamespace) {
  // targetRef policies apply only from the gateway's own namespace.
  EXPECT_FALSE(applies(targetRef("gw", "apps"), "istio-system", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, TargetRefWithOtherName) {
  EXPECT_FALSE(applies(targetRef("other-gw"), "apps", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, TargetRefWithOtherKind) {
  EXPECT_FALSE(applies(targetRef("gw", "", "GatewayClass"), "apps", k8sGateway("apps", "gw")));
  EXPECT_FALSE(applies(targetRef("gw", "", "Service", ""), "apps", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, TargetRefWithOtherGroup) {
  EXPECT_FALSE(applies(targetRef("gw", "", "Gateway", "networking.istio.io"), "apps",
                       k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, AnyOfSeveralTargetRefs) {
  config::WorkloadTarget target = targetRef("other-gw");
  target.target_refs.push_back(
      config::PolicyTargetReference{std::string(kGatewayGroup), "Gateway", "gw", ""});
  EXPECT_TRUE(applies(target, "apps", k8sGateway("apps", "gw")));
}

TEST(PolicyApplies, K8sGatewayFallsBackToSelector) {
  const Workload workload = k8sGateway("apps", "gw");
  EXPECT_TRUE(
      applies(selector({{"gateway.networking.k8s.io/gateway-name", "gw"}}), "apps", workload));
  EXPECT_FALSE(applies(selector({{"istio", "ingressgateway"}}), "apps", workload));
}

TEST(WorkloadDescribe, NamesNamespaceAndLabels) {
  EXPECT_EQ(ingressGateway().describe(),
            "workload in namespace istio-system with labels {app: istio-ingressgateway, istio: "
            "ingressgateway}");
}

TEST(ParsePortMap, Pairs) {
  std::string error;
  const auto map = parsePortMap("80=8080,443=8443", error);
  ASSERT_TRUE(map.has_value()) << error;
  EXPECT_EQ(*map, (PortMap{{80, 8080}, {443, 8443}}));
}

TEST(ParsePortMap, EmptyText) {
  std::string error;
  const auto map = parsePortMap("", error);
  ASSERT_TRUE(map.has_value());
  EXPECT_TRUE(map->empty());
}

TEST(ParsePortMap, LaterEntryWins) {
  std::string error;
  const auto map = parsePortMap("80=8080,80=9090", error);
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->at(80), 9090);
}

TEST(ParsePortMap, RejectsMalformedItems) {
  for (std::string_view text :
       {"80", "80=", "=8080", "x=8080", "80=8080x", "80:8080", "80=8080,,443=8443", "80=0x50"}) {
    std::string error;
    EXPECT_FALSE(parsePortMap(text, error).has_value()) << text;
    EXPECT_NE(error.find("expected GATEWAY_PORT=LISTEN_PORT"), std::string::npos) << text;
  }
}

TEST(ParsePortMap, RejectsPortsOutOfRange) {
  for (std::string_view text : {"0=8080", "80=0", "65536=80", "80=65536", "80=-1"}) {
    std::string error;
    EXPECT_FALSE(parsePortMap(text, error).has_value()) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(ParsePortMap, ErrorNamesItem) {
  std::string error;
  ASSERT_FALSE(parsePortMap("80=8080,443=http", error).has_value());
  EXPECT_NE(error.find("\"443=http\""), std::string::npos) << error;
}

TEST(ParseLabels, Pairs) {
  std::string error;
  const auto labels = parseLabels("istio=ingressgateway,app=istio-ingressgateway", error);
  ASSERT_TRUE(labels.has_value()) << error;
  EXPECT_EQ(*labels,
            (config::Labels{{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}}));
}

TEST(ParseLabels, EmptyValueAllowed) {
  std::string error;
  const auto labels = parseLabels("canary=", error);
  ASSERT_TRUE(labels.has_value());
  EXPECT_EQ(labels->at("canary"), "");
}

TEST(ParseLabels, ValueMayContainEquals) {
  std::string error;
  const auto labels = parseLabels("k=v=w", error);
  ASSERT_TRUE(labels.has_value());
  EXPECT_EQ(labels->at("k"), "v=w");
}

TEST(ParseLabels, KeyMayContainSlash) {
  std::string error;
  const auto labels = parseLabels("gateway.networking.k8s.io/gateway-name=gw", error);
  ASSERT_TRUE(labels.has_value());
  EXPECT_EQ(labels->at("gateway.networking.k8s.io/gateway-name"), "gw");
}

TEST(ParseLabels, EmptyText) {
  std::string error;
  const auto labels = parseLabels("", error);
  ASSERT_TRUE(labels.has_value());
  EXPECT_TRUE(labels->empty());
}

TEST(ParseLabels, RejectsMissingKeyOrEquals) {
  for (std::string_view text : {"istio", "=ingressgateway", "a=b,,c=d"}) {
    std::string error;
    EXPECT_FALSE(parseLabels(text, error).has_value()) << text;
    EXPECT_NE(error.find("expected KEY=VALUE"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace portcullis::snapshot
