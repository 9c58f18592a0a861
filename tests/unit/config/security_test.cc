// RequestAuthentication and AuthorizationPolicy: decoding of every field and each rule Istio's
// validation applies (field path and line of every Error).
#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace portcullis::config {
namespace {

using testing::dump;
using testing::errors;
using testing::load;
using testing::warnings;

// Wraps spec lines (already indented by two spaces) in an object of `kind`. The first spec line
// is line 5 of the file.
LoadResult loadSpec(std::string_view kind, std::string_view spec, std::string_view meta = "") {
  if (!spec.empty() && spec.front() == '\n') {
    spec.remove_prefix(1);
  }
  std::string yaml = "apiVersion: security.istio.io/v1\nkind: " + std::string(kind) +
                     "\nmetadata: {name: p, namespace: istio-system" + std::string(meta) +
                     "}\nspec:\n" + std::string(spec);
  return load(yaml);
}

LoadResult policy(std::string_view spec, std::string_view meta = "") {
  return loadSpec("AuthorizationPolicy", spec, meta);
}

LoadResult authentication(std::string_view spec) {
  return loadSpec("RequestAuthentication", spec);
}

// ---------------------------------------------------------------------------------------------
// AuthorizationPolicy decoding

TEST(AuthorizationPolicy, DecodesEveryField) {
  LoadResult result = policy(R"(
  selector:
    matchLabels: {istio: ingressgateway}
  action: DENY
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/a/sa/b"]
        notPrincipals: ["p2"]
        requestPrincipals: ["iss/sub"]
        notRequestPrincipals: ["*"]
        namespaces: ["a"]
        notNamespaces: ["b"]
        ipBlocks: ["10.0.0.0/8"]
        notIpBlocks: ["10.1.0.0/16"]
        remoteIpBlocks: ["192.168.0.1"]
        notRemoteIpBlocks: ["::1"]
        trustDomains: ["td"]
        notTrustDomains: ["other"]
    - source:
        serviceAccounts: ["ns/sa"]
        notServiceAccounts: ["sa2"]
    to:
    - operation:
        hosts: ["a.example.com"]
        notHosts: ["b.example.com"]
        ports: ["8080"]
        notPorts: ["9090"]
        methods: ["GET"]
        notMethods: ["DELETE"]
        paths: ["/api/*"]
        notPaths: ["/api/admin"]
    when:
    - key: request.auth.claims[groups]
      values: ["admin"]
      notValues: ["guest"]
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u);
  const AuthorizationPolicy& ap = result.resources.authorization_policies[0];
  EXPECT_EQ(ap.action, AuthorizationPolicy::Action::Deny);
  ASSERT_TRUE(ap.target.selector.has_value());
  EXPECT_EQ(ap.target.selector->at("istio"), "ingressgateway");
  EXPECT_TRUE(ap.has_rules);
  ASSERT_EQ(ap.rules.size(), 1u);
  const Rule& rule = ap.rules[0];
  EXPECT_EQ(rule.location.line, 9);
  ASSERT_EQ(rule.from.size(), 2u);
  const Source& source = rule.from[0];
  EXPECT_EQ(source.principals, std::vector<std::string>{"cluster.local/ns/a/sa/b"});
  EXPECT_EQ(source.not_principals, std::vector<std::string>{"p2"});
  EXPECT_EQ(source.request_principals, std::vector<std::string>{"iss/sub"});
  EXPECT_EQ(source.not_request_principals, std::vector<std::string>{"*"});
  EXPECT_EQ(source.namespaces, std::vector<std::string>{"a"});
  EXPECT_EQ(source.not_namespaces, std::vector<std::string>{"b"});
  EXPECT_EQ(source.ip_blocks, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(source.not_ip_blocks, std::vector<std::string>{"10.1.0.0/16"});
  EXPECT_EQ(source.remote_ip_blocks, std::vector<std::string>{"192.168.0.1"});
  EXPECT_EQ(source.not_remote_ip_blocks, std::vector<std::string>{"::1"});
  EXPECT_EQ(source.trust_domains, std::vector<std::string>{"td"});
  EXPECT_EQ(source.not_trust_domains, std::vector<std::string>{"other"});
  EXPECT_EQ(source.location.line, 11);
  EXPECT_EQ(rule.from[1].service_accounts, std::vector<std::string>{"ns/sa"});
  EXPECT_EQ(rule.from[1].not_service_accounts, std::vector<std::string>{"sa2"});
  ASSERT_EQ(rule.to.size(), 1u);
  const Operation& operation = rule.to[0];
  EXPECT_EQ(operation.hosts, std::vector<std::string>{"a.example.com"});
  EXPECT_EQ(operation.not_hosts, std::vector<std::string>{"b.example.com"});
  EXPECT_EQ(operation.ports, std::vector<std::string>{"8080"});
  EXPECT_EQ(operation.not_ports, std::vector<std::string>{"9090"});
  EXPECT_EQ(operation.methods, std::vector<std::string>{"GET"});
  EXPECT_EQ(operation.not_methods, std::vector<std::string>{"DELETE"});
  EXPECT_EQ(operation.paths, std::vector<std::string>{"/api/*"});
  EXPECT_EQ(operation.not_paths, std::vector<std::string>{"/api/admin"});
  ASSERT_EQ(rule.when.size(), 1u);
  EXPECT_EQ(rule.when[0].key, "request.auth.claims[groups]");
  EXPECT_EQ(rule.when[0].values, std::vector<std::string>{"admin"});
  EXPECT_EQ(rule.when[0].not_values, std::vector<std::string>{"guest"});
}

TEST(AuthorizationPolicy, DefaultsToAllowWithoutRules) {
  LoadResult result = policy("  {}\n");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  const AuthorizationPolicy& ap = result.resources.authorization_policies[0];
  EXPECT_EQ(ap.action, AuthorizationPolicy::Action::Allow);
  EXPECT_FALSE(ap.has_rules);
  EXPECT_FALSE(ap.target.selector.has_value());
  EXPECT_FALSE(ap.dry_run);
}

TEST(AuthorizationPolicy, MarksEmptyRuleListAsPresent) {
  LoadResult result = policy("  rules: []\n");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  EXPECT_TRUE(result.resources.authorization_policies[0].has_rules);
  EXPECT_TRUE(result.resources.authorization_policies[0].rules.empty());
}

TEST(AuthorizationPolicy, ReadsCustomProvider) {
  LoadResult result = policy(R"(
  action: CUSTOM
  provider: {name: my-authz}
  rules: [{}]
)");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies[0].action, AuthorizationPolicy::Action::Custom);
  EXPECT_EQ(result.resources.authorization_policies[0].provider, "my-authz");
}

TEST(AuthorizationPolicy, ReadsAuditAction) {
  LoadResult result = policy("  action: AUDIT\n  rules: [{}]\n");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies[0].action, AuthorizationPolicy::Action::Audit);
}

TEST(AuthorizationPolicy, ReadsTargetRefs) {
  LoadResult result = policy(R"(
  targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: one}
  targetRefs:
  - {kind: Gateway, group: gateway.networking.k8s.io, name: two}
)");
  // targetRef and targetRefs together are rejected; each ref is still decoded.
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.targetRefs");
}

TEST(AuthorizationPolicy, ReadsSingleTargetRefs) {
  LoadResult result = policy(R"(
  targetRefs:
  - {kind: Gateway, group: gateway.networking.k8s.io, name: gw}
  - {kind: Service, name: web}
)");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  const WorkloadTarget& target = result.resources.authorization_policies[0].target;
  ASSERT_EQ(target.target_refs.size(), 2u);
  EXPECT_EQ(target.target_refs[0].group, "gateway.networking.k8s.io");
  EXPECT_EQ(target.target_refs[0].kind, "Gateway");
  EXPECT_EQ(target.target_refs[0].name, "gw");
  EXPECT_EQ(target.target_refs[1].group, "");
  EXPECT_EQ(target.target_refs[1].kind, "Service");
}

// ---------------------------------------------------------------------------------------------
// AuthorizationPolicy validation, one rule per test

TEST(AuthorizationPolicy, RejectsUnknownConditionKey) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: request.auth.claim[groups]
      values: ["g"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0].key");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_EQ(error.location.column, 12);
  EXPECT_NE(error.message.find("unknown attribute \"request.auth.claim[groups]\""),
            std::string::npos);
  EXPECT_NE(error.message.find("request.auth.claims[<name>]"), std::string::npos);
}

TEST(AuthorizationPolicy, AcceptsEveryDocumentedConditionKey) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - {key: "request.headers[x-token]", values: ["a"]}
    - {key: source.ip, values: ["10.0.0.1", "10.0.0.0/8"]}
    - {key: remote.ip, values: ["::1"]}
    - {key: source.namespace, values: ["ns"]}
    - {key: source.principal, values: ["p"]}
    - {key: source.serviceAccount, values: ["ns/sa"]}
    - {key: source.trustDomain, values: ["td"]}
    - {key: request.auth.principal, values: ["iss/sub"]}
    - {key: request.auth.audiences, values: ["aud"]}
    - {key: request.auth.presenter, values: ["azp"]}
    - {key: "request.auth.claims[groups]", values: ["g"]}
    - {key: "request.auth.claims[nested][key][deep]", values: ["v"]}
    - {key: "request.auth.claims[a.b]", values: ["v"]}
    - {key: destination.ip, values: ["10.0.0.2"]}
    - {key: destination.port, values: ["8080"]}
    - {key: connection.sni, values: ["a.example.com"]}
    - {key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: ["[select]"]}
)");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(AuthorizationPolicy, RejectsMalformedClaimKey) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: "request.auth.claims[a]x[b]"
      values: ["v"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0].key");
}

TEST(AuthorizationPolicy, RejectsEmptyBracketsInHeaderKey) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: "request.headers[]"
      values: ["v"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0].key");
}

TEST(AuthorizationPolicy, RejectsReplacedDestinationKeys) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - {key: destination.namespace, values: ["a"]}
    - {key: "destination.labels[app]", values: ["a"]}
    - {key: destination.user, values: ["a"]}
)");
  std::vector<Diagnostic> found = errors(result);
  ASSERT_EQ(found.size(), 3u) << dump(result);
  EXPECT_NE(found[0].message.find("metadata.namespace"), std::string::npos);
  EXPECT_NE(found[1].message.find("workload selector"), std::string::npos);
  EXPECT_NE(found[2].message.find("deprecated"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsEmptyConditionKey) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: ""
      values: ["v"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0].key");
  EXPECT_EQ(error.location.line, 7);
}

TEST(AuthorizationPolicy, RejectsConditionWithoutValues) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: request.headers[x-token]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0]");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_NE(error.message.find("values or notValues"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsBadConditionIp) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: source.ip
      notValues: ["10.0.0.1", "not-an-ip"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0].notValues[1]");
  EXPECT_EQ(error.location.line, 8);
  EXPECT_NE(error.message.find("bad IP address (not-an-ip)"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsBadConditionPort) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: destination.port
      values: ["65536"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0].values[0]");
}

TEST(AuthorizationPolicy, RejectsEmptyConditionValue) {
  LoadResult result = policy(R"(
  rules:
  - when:
    - key: request.headers[x]
      values: [""]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].when[0].values[0]");
}

TEST(AuthorizationPolicy, RejectsEmptyStringInEveryList) {
  for (std::string field :
       {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
        "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"}) {
    LoadResult result =
        policy("  rules:\n  - from:\n    - source:\n        " + field + ": [\"\"]\n");
    PORTCULLIS_ONLY_ERROR(error, result);
    EXPECT_EQ(error.field, "spec.rules[0].from[0].source." + field + "[0]");
    EXPECT_EQ(error.location.line, 8);
  }
  for (std::string field :
       {"hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"}) {
    LoadResult result =
        policy("  rules:\n  - to:\n    - operation:\n        " + field + ": [\"\"]\n");
    PORTCULLIS_ONLY_ERROR(error, result);
    EXPECT_EQ(error.field, "spec.rules[0].to[0].operation." + field + "[0]");
  }
}

TEST(AuthorizationPolicy, RejectsEmptyFromList) {
  LoadResult result = policy("  rules:\n  - from: []\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from");
  EXPECT_EQ(error.location.line, 6);
}

TEST(AuthorizationPolicy, RejectsEmptyToList) {
  LoadResult result = policy("  rules:\n  - to: []\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].to");
}

TEST(AuthorizationPolicy, RejectsEmptySource) {
  LoadResult result = policy(R"(
  rules:
  - from:
    - source: {}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from[0].source");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_EQ(error.location.column, 15);
}

TEST(AuthorizationPolicy, RejectsFromEntryWithoutSource) {
  LoadResult result = policy(R"(
  rules:
  - from:
    - {}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from[0].source");
}

TEST(AuthorizationPolicy, RejectsEmptyOperation) {
  LoadResult result = policy(R"(
  rules:
  - to:
    - operation: {}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].to[0].operation");
}

TEST(AuthorizationPolicy, RejectsBadIpBlock) {
  LoadResult result = policy(R"(
  rules:
  - from:
    - source:
        ipBlocks: ["1.2.3.4", "300.1.1.1"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from[0].source.ipBlocks[1]");
  EXPECT_EQ(error.location.line, 8);
  EXPECT_EQ(error.location.column, 31);
  EXPECT_NE(error.message.find("bad IP address (300.1.1.1)"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsBadCidr) {
  LoadResult result = policy(R"(
  rules:
  - from:
    - source:
        notRemoteIpBlocks: ["10.0.0.0/33"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from[0].source.notRemoteIpBlocks[0]");
  EXPECT_NE(error.message.find("bad CIDR range (10.0.0.0/33)"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsBadPort) {
  LoadResult result = policy(R"(
  rules:
  - to:
    - operation:
        notPorts: ["80", "http"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].to[0].operation.notPorts[1]");
  EXPECT_NE(error.message.find("bad port (http)"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsIntegerPort) {
  LoadResult result = policy(R"(
  rules:
  - to:
    - operation:
        ports: [8080]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].to[0].operation.ports[0]");
  EXPECT_NE(error.message.find("expected a string, found the integer 8080"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsBadPathTemplate) {
  LoadResult result = policy(R"(
  rules:
  - to:
    - operation:
        paths: ["/allow/{**}", "/foo/{*}/{bar}"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].to[0].operation.paths[1]");
}

TEST(AuthorizationPolicy, AcceptsPathTemplates) {
  LoadResult result = policy(R"(
  rules:
  - to:
    - operation:
        paths: ["/allow/admin/{**}", "/foo/{*}/bar/{**}", "/store/{**}/cart"]
)");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(AuthorizationPolicy, RejectsServiceAccountsWithPrincipals) {
  LoadResult result = policy(R"(
  rules:
  - from:
    - source:
        serviceAccounts: ["ns/sa"]
        namespaces: ["ns"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from[0].source");
  EXPECT_NE(error.message.find("serviceAccounts"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsWildcardServiceAccount) {
  LoadResult result = policy(R"(
  rules:
  - from:
    - source:
        serviceAccounts: ["ns/*"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from[0].source.serviceAccounts[0]");
}

TEST(AuthorizationPolicy, RejectsProviderOnAllow) {
  LoadResult result = policy(R"(
  action: ALLOW
  provider: {name: authz}
  rules: [{}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.provider");
  EXPECT_EQ(error.location.line, 6);
  EXPECT_NE(error.message.find("only allowed with action CUSTOM"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsCustomWithoutRules) {
  LoadResult result = policy(R"(
  action: CUSTOM
  provider: {name: authz}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules");
  EXPECT_NE(error.message.find("CUSTOM without rules"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsCustomWithoutProviderName) {
  LoadResult result = policy(R"(
  action: CUSTOM
  rules: [{}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.provider.name");
}

TEST(AuthorizationPolicy, RejectsIdentitySourcesWithCustom) {
  for (std::string field :
       {"principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
        "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains",
        "notTrustDomains"}) {
    LoadResult result = policy(
        "  action: CUSTOM\n  provider: {name: authz}\n  rules:\n"
        "  - from:\n    - source:\n        " +
        field + ": [\"x\"]\n");
    PORTCULLIS_ONLY_ERROR(error, result);
    EXPECT_EQ(error.field, "spec.rules[0].from[0].source." + field);
    EXPECT_EQ(error.location.line, 10);
    EXPECT_NE(error.message.find("not supported with action CUSTOM"), std::string::npos);
  }
}

TEST(AuthorizationPolicy, AcceptsIpBlocksWithCustom) {
  LoadResult result = policy(R"(
  action: CUSTOM
  provider: {name: authz}
  rules:
  - from:
    - source:
        ipBlocks: ["10.0.0.0/8"]
        remoteIpBlocks: ["1.2.3.4"]
    when:
    - key: request.headers[x-ext-authz]
      values: ["allow"]
)");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(AuthorizationPolicy, RejectsIdentityConditionsWithCustom) {
  for (std::string key :
       {"source.namespace", "source.principal", "source.serviceAccount", "source.trustDomain",
        "request.auth.principal", "request.auth.claims[iss]"}) {
    LoadResult result = policy(
        "  action: CUSTOM\n  provider: {name: authz}\n  rules:\n"
        "  - when:\n    - key: \"" +
        key + "\"\n      values: [\"x\"]\n");
    PORTCULLIS_ONLY_ERROR(error, result);
    EXPECT_EQ(error.field, "spec.rules[0].when[0].key");
    EXPECT_NE(error.message.find("not supported with action CUSTOM"), std::string::npos);
  }
}

TEST(AuthorizationPolicy, RejectsDenyWithoutRules) {
  LoadResult result = policy("  action: DENY\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules");
  EXPECT_NE(error.message.find("DENY without rules"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsSelectorWithTargetRefs) {
  LoadResult result = policy(R"(
  selector:
    matchLabels: {istio: ingressgateway}
  targetRefs:
  - {kind: Gateway, group: gateway.networking.k8s.io, name: gw}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.targetRefs");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_NE(error.message.find("mutually exclusive"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsSelectorWithTargetRef) {
  LoadResult result = policy(R"(
  selector:
    matchLabels: {istio: ingressgateway}
  targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: gw}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.targetRef");
}

TEST(AuthorizationPolicy, RejectsTargetRefNamespace) {
  LoadResult result = policy(R"(
  targetRefs:
  - {kind: Gateway, group: gateway.networking.k8s.io, name: gw, namespace: other}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.targetRefs[0].namespace");
}

TEST(AuthorizationPolicy, RejectsTargetRefKind) {
  LoadResult result = policy(R"(
  targetRefs:
  - {kind: Deployment, group: apps, name: web}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.targetRefs[0]");
  EXPECT_NE(error.message.find("apps/Deployment"), std::string::npos);
}

TEST(AuthorizationPolicy, RejectsTargetRefWithoutName) {
  LoadResult result = policy(R"(
  targetRefs:
  - {kind: Gateway, group: gateway.networking.k8s.io}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.targetRefs[0].name");
}

TEST(AuthorizationPolicy, WarnsOnSelectorWithoutLabels) {
  LoadResult result = policy("  selector: {}\n");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
  EXPECT_EQ(warnings(result)[0].field, "spec.selector");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u);
  EXPECT_TRUE(result.resources.authorization_policies[0].target.selector.has_value());
}

TEST(AuthorizationPolicy, RejectsWildcardInSelector) {
  LoadResult result = policy(R"(
  selector:
    matchLabels: {app: "web-*"}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.selector.matchLabels[app]");
}

TEST(AuthorizationPolicy, RejectsUnknownAction) {
  LoadResult result = policy("  action: REJECT\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.action");
  EXPECT_EQ(error.location.line, 5);
  EXPECT_EQ(error.location.column, 11);
  EXPECT_EQ(error.message, "unknown action \"REJECT\"; accepted: ALLOW, DENY, AUDIT, CUSTOM");
}

TEST(AuthorizationPolicy, RejectsLowerCaseAction) {
  LoadResult result = policy("  action: deny\n  rules: [{}]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.action");
}

TEST(AuthorizationPolicy, RejectsUnknownSourceField) {
  LoadResult result = policy(R"(
  rules:
  - from:
    - source:
        requestPrincipal: ["a/b"]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules[0].from[0].source.requestPrincipal");
  EXPECT_EQ(error.location.line, 8);
  EXPECT_NE(error.message.find("accepted fields: principals, notPrincipals, requestPrincipals"),
            std::string::npos)
      << error.message;
}

TEST(AuthorizationPolicy, RejectsMapWhereListExpected) {
  LoadResult result = policy(R"(
  rules:
    from: {}
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.rules");
  EXPECT_NE(error.message.find("expected a list, found a map"), std::string::npos);
}

struct DryRunCase {
  std::string value;
  bool dry_run;
};

class DryRunValue : public ::testing::TestWithParam<DryRunCase> {};

TEST_P(DryRunValue, ParsesLikeGo) {
  LoadResult result = policy("  action: DENY\n  rules: [{}]\n",
                             ", annotations: {istio.io/dry-run: \"" + GetParam().value + "\"}");
  ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
  EXPECT_EQ(result.resources.authorization_policies[0].dry_run, GetParam().dry_run);
  EXPECT_TRUE(warnings(result).empty()) << dump(result);
}

INSTANTIATE_TEST_SUITE_P(AuthorizationPolicy, DryRunValue,
                         ::testing::Values(DryRunCase{"1", true}, DryRunCase{"t", true},
                                           DryRunCase{"T", true}, DryRunCase{"TRUE", true},
                                           DryRunCase{"true", true}, DryRunCase{"True", true},
                                           DryRunCase{"0", false}, DryRunCase{"f", false},
                                           DryRunCase{"F", false}, DryRunCase{"FALSE", false},
                                           DryRunCase{"false", false}, DryRunCase{"False", false}));

TEST(AuthorizationPolicy, WarnsOnUnparsableDryRun) {
  for (std::string value : {"yes", "tRUE", "on", ""}) {
    LoadResult result = policy("  action: DENY\n  rules: [{}]\n",
                               ", annotations: {istio.io/dry-run: \"" + value + "\"}");
    ASSERT_EQ(result.resources.authorization_policies.size(), 1u) << dump(result);
    EXPECT_FALSE(result.resources.authorization_policies[0].dry_run) << value;
    ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
    EXPECT_EQ(warnings(result)[0].field, "metadata.annotations[istio.io/dry-run]");
    EXPECT_EQ(warnings(result)[0].location.line, 3);
  }
}

TEST(AuthorizationPolicy, RejectsDryRunOnCustom) {
  LoadResult result = policy("  action: CUSTOM\n  provider: {name: a}\n  rules: [{}]\n",
                             ", annotations: {istio.io/dry-run: \"true\"}");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "metadata.annotations[istio.io/dry-run]");
}

// ---------------------------------------------------------------------------------------------
// RequestAuthentication

TEST(RequestAuthentication, DecodesEveryField) {
  LoadResult result = authentication(R"(
  selector:
    matchLabels: {istio: ingressgateway}
  jwtRules:
  - issuer: "https://issuer.example.com"
    audiences: ["a", "b"]
    jwksUri: "https://issuer.example.com/jwks.json"
    jwks: '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc"}]}'
    fromHeaders:
    - name: x-jwt
      prefix: "Bearer "
    - name: x-other
    fromParams: ["token"]
    fromCookies: ["session"]
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders:
    - {header: x-sub, claim: sub}
    - {header: x-nested, claim: a.b}
    forwardOriginalToken: true
    timeout: 1.5s
    spaceDelimitedClaims: ["custom_scope"]
)");
  ASSERT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(result.resources.request_authentications.size(), 1u);
  const RequestAuthentication& ra = result.resources.request_authentications[0];
  ASSERT_TRUE(ra.target.selector.has_value());
  ASSERT_EQ(ra.jwt_rules.size(), 1u);
  const JwtRule& rule = ra.jwt_rules[0];
  EXPECT_EQ(rule.issuer, "https://issuer.example.com");
  EXPECT_EQ(rule.audiences, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rule.jwks_uri, "https://issuer.example.com/jwks.json");
  EXPECT_EQ(rule.jwks, R"({"keys":[{"kty":"RSA","e":"AQAB","n":"abc"}]})");
  ASSERT_EQ(rule.from_headers.size(), 2u);
  EXPECT_EQ(rule.from_headers[0].name, "x-jwt");
  EXPECT_EQ(rule.from_headers[0].prefix, "Bearer ");
  EXPECT_EQ(rule.from_headers[1].prefix, "");
  EXPECT_EQ(rule.from_params, std::vector<std::string>{"token"});
  EXPECT_EQ(rule.from_cookies, std::vector<std::string>{"session"});
  EXPECT_EQ(rule.output_payload_to_header, "x-jwt-payload");
  ASSERT_EQ(rule.output_claim_to_headers.size(), 2u);
  EXPECT_EQ(rule.output_claim_to_headers[1].header, "x-nested");
  EXPECT_EQ(rule.output_claim_to_headers[1].claim, "a.b");
  EXPECT_TRUE(rule.forward_original_token);
  EXPECT_EQ(rule.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(rule.space_delimited_claims, std::vector<std::string>{"custom_scope"});
  EXPECT_EQ(rule.location.line, 8);
}

TEST(RequestAuthentication, UsesDefaults) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: iss\n");
  ASSERT_EQ(result.resources.request_authentications.size(), 1u) << dump(result);
  const JwtRule& rule = result.resources.request_authentications[0].jwt_rules[0];
  EXPECT_EQ(rule.timeout, std::chrono::milliseconds(5000));
  EXPECT_FALSE(rule.forward_original_token);
  EXPECT_TRUE(rule.from_headers.empty());
}

TEST(RequestAuthentication, AcceptsJwksUriWithoutIssuer) {
  LoadResult result = authentication("  jwtRules:\n  - jwksUri: http://127.0.0.1:9/jwks\n");
  EXPECT_TRUE(result.ok()) << dump(result);
}

TEST(RequestAuthentication, RequiresIssuerOrJwksUri) {
  LoadResult result = authentication("  jwtRules:\n  - audiences: [a]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0]");
  EXPECT_EQ(error.location.line, 6);
  EXPECT_EQ(error.message, "issuer or jwksUri must be set");
}

TEST(RequestAuthentication, RejectsEmptyAudience) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    audiences: [a, \"\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].audiences[1]");
  EXPECT_EQ(error.location.line, 7);
}

TEST(RequestAuthentication, RejectsJwksUriScheme) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    jwksUri: ftp://a/b\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].jwksUri");
  EXPECT_NE(error.message.find("use http or https"), std::string::npos);
}

TEST(RequestAuthentication, RejectsUnparsableJwks) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    jwks: '{\"keys\": 5}'\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].jwks");
  EXPECT_EQ(error.location.line, 7);
}

TEST(RequestAuthentication, RejectsJwksThatIsNotJson) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    jwks: 'not json'\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_NE(error.message.find("not valid JSON"), std::string::npos);
}

TEST(RequestAuthentication, WarnsOnPrivateKeyInJwks) {
  LoadResult result = authentication(
      "  jwtRules:\n  - issuer: i\n    jwks: '{\"keys\":[{\"kty\":\"EC\",\"d\":\"x\"}]}'\n");
  EXPECT_TRUE(result.ok()) << dump(result);
  ASSERT_EQ(warnings(result).size(), 1u) << dump(result);
  EXPECT_EQ(warnings(result)[0].field, "spec.jwtRules[0].jwks");
}

TEST(RequestAuthentication, RejectsEmptyHeaderName) {
  LoadResult result =
      authentication("  jwtRules:\n  - issuer: i\n    fromHeaders:\n    - prefix: \"Bearer \"\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].fromHeaders[0].name");
  EXPECT_EQ(error.location.line, 8);
}

TEST(RequestAuthentication, RejectsEmptyParam) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    fromParams: [\"\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].fromParams[0]");
}

TEST(RequestAuthentication, RejectsEmptyCookie) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    fromCookies: [\"\"]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].fromCookies[0]");
}

TEST(RequestAuthentication, RejectsBadOutputHeaderName) {
  LoadResult result = authentication(
      "  jwtRules:\n  - issuer: i\n    outputClaimToHeaders:\n    - {header: \"x_sub\", "
      "claim: sub}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].outputClaimToHeaders[0].header");
}

TEST(RequestAuthentication, RejectsOutputClaimWithoutClaim) {
  LoadResult result = authentication(
      "  jwtRules:\n  - issuer: i\n    outputClaimToHeaders:\n    - {header: x-sub}\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].outputClaimToHeaders[0]");
}

TEST(RequestAuthentication, RejectsBadPayloadHeaderName) {
  LoadResult result =
      authentication("  jwtRules:\n  - issuer: i\n    outputPayloadToHeader: \"x payload\"\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].outputPayloadToHeader");
}

TEST(RequestAuthentication, RejectsBadTimeout) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    timeout: 5 seconds\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].timeout");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_EQ(error.location.column, 14);
}

TEST(RequestAuthentication, RejectsTimeoutBelowOneMillisecond) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    timeout: 500us\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_NE(error.message.find("at least 1ms"), std::string::npos);
}

TEST(RequestAuthentication, RejectsQuotedBoolean) {
  LoadResult result =
      authentication("  jwtRules:\n  - issuer: i\n    forwardOriginalToken: \"true\"\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].forwardOriginalToken");
  EXPECT_NE(error.message.find("expected true or false"), std::string::npos);
}

TEST(RequestAuthentication, RejectsUnknownRuleField) {
  LoadResult result = authentication("  jwtRules:\n  - issuer: i\n    issuers: [j]\n");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.jwtRules[0].issuers");
  EXPECT_EQ(error.location.line, 7);
  EXPECT_EQ(error.location.column, 5);
}

TEST(RequestAuthentication, RejectsSelectorWithTargetRefs) {
  LoadResult result = authentication(R"(
  selector: {matchLabels: {a: b}}
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]
  jwtRules: [{issuer: i}]
)");
  PORTCULLIS_ONLY_ERROR(error, result);
  EXPECT_EQ(error.field, "spec.targetRefs");
}

}  // namespace
}  // namespace portcullis::config
