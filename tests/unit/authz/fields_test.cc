// Every source and operation field, with its `not` form, and every `when` key, each checked
// through an ALLOW policy made of one rule: the request is allowed exactly when the rule matches.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::authz::testing {
namespace {

struct MatchCase {
  std::string name;
  config::Rule rule;
  TestRequest request;
  bool matches;
};

void expectCases(const std::vector<MatchCase>& cases) {
  for (const MatchCase& c : cases) {
    std::string explanation;
    EXPECT_EQ(ruleMatches(c.rule, c.request, &explanation), c.matches) << c.name << "\n"
                                                                       << explanation;
  }
}

config::Rule hosts(std::vector<std::string> values, std::vector<std::string> not_values = {}) {
  config::Operation operation;
  operation.hosts = std::move(values);
  operation.not_hosts = std::move(not_values);
  return toOperation(operation);
}

config::Rule methods(std::vector<std::string> values, std::vector<std::string> not_values = {}) {
  config::Operation operation;
  operation.methods = std::move(values);
  operation.not_methods = std::move(not_values);
  return toOperation(operation);
}

config::Rule pathRule(std::vector<std::string> values, std::vector<std::string> not_values = {}) {
  config::Operation operation = paths(std::move(values));
  operation.not_paths = std::move(not_values);
  return toOperation(operation);
}

config::Rule ports(std::vector<std::string> values, std::vector<std::string> not_values = {}) {
  config::Operation operation;
  operation.ports = std::move(values);
  operation.not_ports = std::move(not_values);
  return toOperation(operation);
}

TestRequest request() {
  return TestRequest();
}

TEST(OperationFieldsTest, Hosts) {
  expectCases({
      {"exact", hosts({"www.example.com"}), request(), true},
      {"other host", hosts({"api.example.com"}), request(), false},
      {"request host case", hosts({"www.example.com"}), request().withHost("WWW.Example.COM"),
       true},
      {"policy host case", hosts({"WWW.EXAMPLE.COM"}), request(), true},
      {"port sent", hosts({"www.example.com"}), request().withHost("www.example.com:8080"), false},
      {"port listed", hosts({"www.example.com:*"}), request().withHost("www.example.com:8080"),
       true},
      {"suffix", hosts({"*.example.com"}), request().withHost("A.Example.com"), true},
      {"prefix", hosts({"prefix.example.*"}), request().withHost("prefix.example.org"), true},
      {"wildcard", hosts({"*"}), request(), true},
      {"any of list", hosts({"a.example.com", "www.example.com"}), request(), true},
      {"notHosts hit", hosts({}, {"www.example.com"}), request(), false},
      {"notHosts miss", hosts({}, {"api.example.com"}), request(), true},
      {"hosts and notHosts", hosts({"*.example.com"}, {"www.*"}), request(), false},
  });
}

TEST(OperationFieldsTest, Methods) {
  expectCases({
      {"exact", methods({"GET"}), request(), true},
      {"case sensitive", methods({"get"}), request(), false},
      {"any of list", methods({"POST", "GET"}), request(), true},
      {"prefix", methods({"P*"}), request().withMethod("PUT"), true},
      {"notMethods hit", methods({}, {"DELETE"}), request().withMethod("DELETE"), false},
      {"notMethods miss", methods({}, {"DELETE"}), request(), true},
  });
}

TEST(OperationFieldsTest, Paths) {
  expectCases({
      {"exact", pathRule({"/exact"}), request().withPath("/exact"), true},
      {"exact longer", pathRule({"/exact"}), request().withPath("/exact/x"), false},
      {"prefix", pathRule({"/public*"}), request().withPath("/public/a"), true},
      {"suffix", pathRule({"*/info"}), request().withPath("/v1/info"), true},
      {"wildcard", pathRule({"*"}), request().withPath("/anything"), true},
      {"literal star", pathRule({"/a*b"}), request().withPath("/a*b"), true},
      {"literal star other", pathRule({"/a*b"}), request().withPath("/axb"), false},
      {"case sensitive", pathRule({"/Admin"}), request().withPath("/admin"), false},
      {"template one", pathRule({"/foo/{*}/bar"}), request().withPath("/foo/x/bar"), true},
      {"template one no slash", pathRule({"/foo/{*}/bar"}), request().withPath("/foo/x/y/bar"),
       false},
      {"template any", pathRule({"/foo/{**}"}), request().withPath("/foo/x/y"), true},
      {"notPaths hit", pathRule({"/api/*"}, {"/api/admin*"}), request().withPath("/api/admin/x"),
       false},
      {"notPaths miss", pathRule({"/api/*"}, {"/api/admin*"}), request().withPath("/api/users"),
       true},
      {"notPaths template", pathRule({}, {"/a/{*}"}), request().withPath("/a/b"), false},
  });
}

TEST(OperationFieldsTest, Ports) {
  expectCases({
      {"listener port", ports({"8080"}), request(), true},
      {"service port", ports({"80"}), request(), false},
      {"leading zero", ports({"08080"}), request(), true},
      {"notPorts hit", ports({}, {"8080"}), request(), false},
      {"notPorts miss", ports({}, {"80"}), request(), true},
  });
}

TEST(OperationFieldsTest, FieldsAndEntries) {
  config::Operation both = paths({"/public*"});
  both.methods = {"GET"};
  config::Rule two_operations = toOperation(paths({"/a"}));
  two_operations.to.push_back(paths({"/b"}));
  expectCases({
      {"fields AND", toOperation(both), request().withPath("/public/x"), true},
      {"fields AND fails", toOperation(both), request().withPath("/public/x").withMethod("POST"),
       false},
      {"entries OR first", two_operations, request().withPath("/a"), true},
      {"entries OR second", two_operations, request().withPath("/b"), true},
      {"entries OR none", two_operations, request().withPath("/c"), false},
  });
}

config::Rule source(config::Source value) {
  return fromSource(std::move(value));
}

TEST(SourceFieldsTest, PeerIdentityFields) {
  // A gateway's external clients have no mTLS identity: positive values never match and
  // negative values always match.
  config::Source principals;
  principals.principals = {"*"};
  config::Source not_principals;
  not_principals.not_principals = {"cluster.local/ns/foo/sa/bar"};
  config::Source namespaces;
  namespaces.namespaces = {"*"};
  config::Source not_namespaces;
  not_namespaces.not_namespaces = {"foo"};
  config::Source accounts;
  accounts.service_accounts = {"foo/bar"};
  config::Source not_accounts;
  not_accounts.not_service_accounts = {"foo/bar"};
  config::Source domains;
  domains.trust_domains = {"cluster.local"};
  config::Source not_domains;
  not_domains.not_trust_domains = {"cluster.local"};
  TestRequest with_token = request().withToken(kTokenIssuer1);
  expectCases({
      {"principals", source(principals), with_token, false},
      {"notPrincipals", source(not_principals), with_token, true},
      {"namespaces", source(namespaces), with_token, false},
      {"notNamespaces", source(not_namespaces), with_token, true},
      {"serviceAccounts", source(accounts), with_token, false},
      {"notServiceAccounts", source(not_accounts), with_token, true},
      {"trustDomains", source(domains), with_token, false},
      {"notTrustDomains", source(not_domains), with_token, true},
  });
}

TEST(SourceFieldsTest, RequestPrincipals) {
  config::Source exact;
  exact.request_principals = {"test-issuer-1@istio.io/sub-1"};
  config::Source any;
  any.request_principals = {"*"};
  config::Source not_exact;
  not_exact.not_request_principals = {"test-issuer-1@istio.io/sub-1"};
  config::Source not_any;
  not_any.not_request_principals = {"*"};
  config::Source both;
  both.request_principals = {"*"};
  both.not_request_principals = {"test-issuer-2@istio.io/*"};
  expectCases({
      {"exact", source(exact), request().withToken(kTokenIssuer1), true},
      {"exact other", source(exact), request().withToken(kTokenIssuer2), false},
      {"exact no token", source(exact), request(), false},
      {"any", source(any), request().withToken(kTokenIssuer2), true},
      {"any no token", source(any), request(), false},
      {"any without sub", source(any), request().withToken(kTokenNoSub), false},
      {"not exact other", source(not_exact), request().withToken(kTokenIssuer2), true},
      {"not exact same", source(not_exact), request().withToken(kTokenIssuer1), false},
      {"not exact no token", source(not_exact), request(), true},
      {"not any no token", source(not_any), request(), true},
      {"not any without sub", source(not_any), request().withToken(kTokenNoSub), true},
      {"not any token", source(not_any), request().withToken(kTokenIssuer1), false},
      {"both apply", source(both), request().withToken(kTokenIssuer2), false},
      {"both apply other", source(both), request().withToken(kTokenIssuer1), true},
  });
}

TEST(SourceFieldsTest, IpBlocks) {
  config::Source single;
  single.ip_blocks = {"127.0.0.1"};
  config::Source cidr;
  cidr.ip_blocks = {"10.0.0.0/8", "5.6.7.0/24"};
  config::Source v6;
  v6.ip_blocks = {"2001:db8::/32"};
  config::Source not_blocks;
  not_blocks.not_ip_blocks = {"127.0.0.0/8"};
  expectCases({
      {"single", source(single), request(), true},
      {"single other", source(single), request().withSourceIp("127.0.0.2"), false},
      {"cidr", source(cidr), request().withSourceIp("5.6.7.8"), true},
      {"cidr other", source(cidr), request().withSourceIp("5.6.8.1"), false},
      {"ipv6", source(v6), request().withSourceIp("2001:db8::7"), true},
      {"ipv6 vs ipv4", source(v6), request(), false},
      {"ipv4-mapped peer", source(cidr), request().withSourceIp("::ffff:10.2.3.4"), true},
      {"remote ip ignored", source(single),
       request().withSourceIp("10.0.0.1").withRemoteIp("127.0.0.1"), false},
      {"notIpBlocks hit", source(not_blocks), request(), false},
      {"notIpBlocks miss", source(not_blocks), request().withSourceIp("10.1.1.1"), true},
  });
}

TEST(SourceFieldsTest, RemoteIpBlocks) {
  config::Source blocks;
  blocks.remote_ip_blocks = {"172.17.72.46", "192.168.4.0/23"};
  config::Source not_blocks;
  not_blocks.not_remote_ip_blocks = {"172.23.240.0/22"};
  expectCases({
      {"in block", source(blocks), request().withRemoteIp("192.168.5.233"), true},
      {"outside", source(blocks), request().withRemoteIp("10.4.5.6"), false},
      {"source ip ignored", source(blocks),
       request().withSourceIp("172.17.72.46").withRemoteIp("10.4.5.6"), false},
      {"notRemoteIpBlocks hit", source(not_blocks), request().withRemoteIp("172.23.242.188"),
       false},
      {"notRemoteIpBlocks miss", source(not_blocks), request(), true},
  });
}

TEST(SourceFieldsTest, FieldsAndEntries) {
  config::Source both;
  both.request_principals = {"*"};
  both.ip_blocks = {"127.0.0.1"};
  config::Source by_ip;
  by_ip.ip_blocks = {"10.0.0.1"};
  config::Rule two_sources = source(both);
  two_sources.from.push_back(by_ip);
  expectCases({
      {"fields AND", source(both), request().withToken(kTokenIssuer1), true},
      {"fields AND fails", source(both), request(), false},
      {"entries OR second", two_sources, request().withSourceIp("10.0.0.1"), true},
      {"entries OR none", two_sources, request().withSourceIp("10.0.0.2"), false},
  });
}

TEST(ConditionKeysTest, RequestHeaders) {
  expectCases({
      {"value", when(condition("request.headers[x-user]", {"alice"})),
       request().withHeader("x-user", "alice"), true},
      {"name case", when(condition("request.headers[X-User]", {"alice"})),
       request().withHeader("x-uSER", "alice"), true},
      {"value case", when(condition("request.headers[x-user]", {"alice"})),
       request().withHeader("x-user", "Alice"), false},
      {"prefix", when(condition("request.headers[x-user]", {"bad*"})),
       request().withHeader("x-user", "bad-guy"), true},
      {"present", when(condition("request.headers[x-user]", {"*"})),
       request().withHeader("x-user", ""), true},
      {"absent", when(condition("request.headers[x-user]", {"*"})), request(), false},
      {"joined lines", when(condition("request.headers[x-user]", {"good,bad"})),
       request().withHeader("x-user", "good").withHeader("x-user", "bad"), true},
      {"joined prefix", when(condition("request.headers[x-user]", {"bad*"})),
       request().withHeader("x-user", "good").withHeader("x-user", "bad"), false},
      {"notValues absent", when(condition("request.headers[x-token]", {}, {"admin"})), request(),
       true},
      {"notValues hit", when(condition("request.headers[x-token]", {}, {"admin"})),
       request().withHeader("x-token", "admin"), false},
      {"notValues present", when(condition("request.headers[x-must]", {}, {"*"})), request(), true},
      {"authority", when(condition("request.headers[:authority]", {"www.*"})), request(), true},
      {"method", when(condition("request.headers[:method]", {"GET"})), request(), true},
  });
}

TEST(ConditionKeysTest, Addresses) {
  expectCases({
      {"source.ip", when(condition("source.ip", {"127.0.0.0/8"})), request(), true},
      {"source.ip other", when(condition("source.ip", {"10.0.0.0/8"})), request(), false},
      {"source.ip not", when(condition("source.ip", {}, {"127.0.0.1"})), request(), false},
      {"remote.ip", when(condition("remote.ip", {"10.242.5.7", "10.124.99.0/24"})),
       request().withRemoteIp("10.124.99.3"), true},
      {"remote.ip other", when(condition("remote.ip", {"10.242.5.7"})), request(), false},
      {"remote.ip not", when(condition("remote.ip", {}, {"10.0.0.0/8"})), request(), true},
      {"destination.ip", when(condition("destination.ip", {"::1"})),
       request().withDestinationIp("::1"), true},
      {"destination.ip other", when(condition("destination.ip", {"::1"})), request(), false},
      {"destination.ip not", when(condition("destination.ip", {}, {"127.0.0.1"})), request(),
       false},
  });
}

TEST(ConditionKeysTest, PortAndSni) {
  expectCases({
      {"destination.port", when(condition("destination.port", {"8080"})), request(), true},
      {"destination.port other", when(condition("destination.port", {"80"})), request(), false},
      {"destination.port not", when(condition("destination.port", {}, {"8080"})), request(), false},
      {"sni", when(condition("connection.sni", {"*.example.com"})),
       request().withSni("www.example.com"), true},
      {"sni plain HTTP", when(condition("connection.sni", {"*"})), request(), false},
      {"sni not plain HTTP", when(condition("connection.sni", {}, {"*"})), request(), true},
      {"sni not", when(condition("connection.sni", {}, {"www.*"})),
       request().withSni("www.example.com"), false},
  });
}

TEST(ConditionKeysTest, PeerIdentityKeys) {
  std::vector<MatchCase> cases;
  for (const char* key :
       {"source.namespace", "source.principal", "source.serviceAccount", "source.trustDomain"}) {
    cases.push_back({std::string(key) + " values", when(condition(key, {"*"})), request(), false});
    cases.push_back(
        {std::string(key) + " notValues", when(condition(key, {}, {"foo"})), request(), true});
  }
  expectCases(cases);
}

TEST(ConditionKeysTest, ExperimentalKeys) {
  const std::string key = "experimental.envoy.filters.network.mysql_proxy[db.table]";
  expectCases({
      {"values", when(condition(key, {"[update]"})), request(), false},
      {"notValues", when(condition(key, {}, {"[update]"})), request(), true},
  });
}

TEST(ConditionKeysTest, RequestAuthPrincipal) {
  expectCases({
      {"values", when(condition("request.auth.principal", {"test-issuer-1@istio.io/sub-1"})),
       request().withToken(kTokenIssuer1), true},
      {"values other", when(condition("request.auth.principal", {"test-issuer-1@istio.io/*"})),
       request().withToken(kTokenIssuer2), false},
      {"values no token", when(condition("request.auth.principal", {"*"})), request(), false},
      {"notValues no token", when(condition("request.auth.principal", {}, {"*"})), request(), true},
      {"notValues hit", when(condition("request.auth.principal", {}, {"*/sub-2"})),
       request().withToken(kTokenIssuer2), false},
  });
}

TEST(ConditionKeysTest, AudiencesAndPresenter) {
  expectCases({
      {"aud string", when(condition("request.auth.audiences", {"foo"})),
       request().withToken(kTokenIssuer1WithAud), true},
      {"aud list", when(condition("request.auth.audiences", {"buzz"})),
       request().withToken(kTokenIssuer1WithAudList), true},
      {"aud prefix", when(condition("request.auth.audiences", {"bu*"})),
       request().withToken(kTokenIssuer1WithAudList), true},
      {"aud raw", when(condition("request.auth.audiences", {"foo"})),
       request().withToken(kTokenAudHttpsSlash), false},
      {"aud absent", when(condition("request.auth.audiences", {"*"})),
       request().withToken(kTokenIssuer1), false},
      {"aud not absent", when(condition("request.auth.audiences", {}, {"foo"})),
       request().withToken(kTokenIssuer1), true},
      {"aud not hit", when(condition("request.auth.audiences", {}, {"buzz"})),
       request().withToken(kTokenIssuer1WithAudList), false},
      {"azp", when(condition("request.auth.presenter", {"bar"})),
       request().withToken(kTokenIssuer1WithAzp), true},
      {"azp absent", when(condition("request.auth.presenter", {"bar"})),
       request().withToken(kTokenIssuer1), false},
      {"azp no token", when(condition("request.auth.presenter", {}, {"bar"})), request(), true},
  });
}

TEST(ConditionKeysTest, Claims) {
  expectCases({
      {"string", when(condition("request.auth.claims[iss]", {"test-issuer-1@istio.io"})),
       request().withToken(kTokenIssuer1), true},
      {"list element", when(condition("request.auth.claims[groups]", {"group-1"})),
       request().withToken(kTokenIssuer1), true},
      {"list other", when(condition("request.auth.claims[groups]", {"group-2"})),
       request().withToken(kTokenIssuer1), false},
      {"wildcard", when(condition("request.auth.claims[groups]", {"*"})),
       request().withToken(kTokenIssuer1), true},
      {"nested list", when(condition("request.auth.claims[nested][key1]", {"valueB"})),
       request().withToken(kTokenIssuer1WithNestedClaims1), true},
      {"nested twice", when(condition("request.auth.claims[nested][nested-2][key1]", {"valueA"})),
       request().withToken(kTokenIssuer1WithNestedClaims1), true},
      {"nested string", when(condition("request.auth.claims[nested][key2]", {"valueC"})),
       request().withToken(kTokenIssuer1WithNestedClaims2), true},
      {"nested missing", when(condition("request.auth.claims[nested][key9]", {"*"})),
       request().withToken(kTokenIssuer1WithNestedClaims2), false},
      {"nested through string", when(condition("request.auth.claims[sub][x]", {"*"})),
       request().withToken(kTokenIssuer1), false},
      {"dot is part of name", when(condition("request.auth.claims[nested.key2]", {"valueC"})),
       request().withToken(kTokenIssuer1WithNestedClaims2), false},
      {"name with @ and /",
       when(condition("request.auth.claims[test-issuer-1@istio.io/simple]", {"valueC"})),
       request().withToken(kTokenIssuer1WithCollisionResistantName), true},
      {"object value", when(condition("request.auth.claims[nested]", {"*"})),
       request().withToken(kTokenIssuer1WithNestedClaims1), false},
      {"boolean value", when(condition("request.auth.claims[admin]", {"true"})),
       request().withToken(kTokenBoolNumClaims), false},
      {"number value", when(condition("request.auth.claims[level]", {"5"})),
       request().withToken(kTokenBoolNumClaims), false},
      {"string next to others", when(condition("request.auth.claims[role]", {"adm*"})),
       request().withToken(kTokenBoolNumClaims), true},
      {"scope split", when(condition("request.auth.claims[scope]", {"read"})),
       request().withToken(kTokenIssuer2WithSpaceDelimitedScope), true},
      {"scope whole", when(condition("request.auth.claims[scope]", {"write read"})),
       request().withToken(kTokenIssuer2WithSpaceDelimitedScope), false},
      {"permission split", when(condition("request.auth.claims[permission]", {"write"})),
       request().withToken(kTokenIssuer2WithSpaceDelimitedPermission), true},
      {"custom claim not split", when(condition("request.auth.claims[custom_scope]", {"admin"})),
       request().withToken(kTokenIssuer2WithCustomScope), false},
      {"custom claim split", when(condition("request.auth.claims[custom_scope]", {"admin"})),
       request().withToken(kTokenIssuer2WithCustomScope).withSpaceDelimitedClaims({"custom_scope"}),
       true},
      {"notValues no token", when(condition("request.auth.claims[groups]", {}, {"group-1"})),
       request(), true},
      {"notValues list hit", when(condition("request.auth.claims[groups]", {}, {"group-1"})),
       request().withToken(kTokenIssuer1), false},
      {"notValues list miss", when(condition("request.auth.claims[groups]", {}, {"group-1"})),
       request().withToken(kTokenIssuer2), true},
      {"notValues claim absent", when(condition("request.auth.claims[groups]", {}, {"x"})),
       request().withToken(kTokenIssuer1WithAud), true},
  });
}

// Envoy splits only top-level claims; a nested "scope" stays one string.
TEST(ConditionKeysTest, NestedScopeNotSplit) {
  constexpr std::string_view kPayload =
      R"({"iss":"i","sub":"s","scope":"a b","inner":{"scope":"a b"}})";
  expectCases({
      {"top level", when(condition("request.auth.claims[scope]", {"b"})),
       request().withToken(kPayload), true},
      {"nested", when(condition("request.auth.claims[inner][scope]", {"b"})),
       request().withToken(kPayload), false},
      {"nested whole", when(condition("request.auth.claims[inner][scope]", {"a b"})),
       request().withToken(kPayload), true},
  });
}

// A space-delimited claim without any token stays the string it was.
TEST(ConditionKeysTest, BlankScopeKeptWhole) {
  constexpr std::string_view kPayload = R"({"iss":"i","sub":"s","scope":" "})";
  expectCases({
      {"wildcard", when(condition("request.auth.claims[scope]", {"*"})),
       request().withToken(kPayload), true},
  });
}

TEST(ConditionKeysTest, ConditionsAnd) {
  config::Rule rule = when(condition("request.auth.claims[scope]", {"write:orders"}));
  rule.when.push_back(condition("request.auth.claims[org][tier]", {"gold"}));
  expectCases({
      {"both", rule, request().withToken(kTokenScopeWithUrlIssuer), true},
      {"one", rule, request().withToken(kTokenIssuer2WithSpaceDelimitedScope), false},
  });
}

TEST(RuleStructureTest, FromToWhenAnd) {
  config::Rule rule;
  config::Source source;
  source.request_principals = {"*"};
  rule.from.push_back(source);
  rule.to.push_back(paths({"/x"}));
  rule.when.push_back(condition("request.headers[x-a]", {"1"}));
  TestRequest all = request().withToken(kTokenIssuer1).withPath("/x").withHeader("x-a", "1");
  TestRequest no_token = request().withPath("/x").withHeader("x-a", "1");
  TestRequest other_path = request().withToken(kTokenIssuer1).withPath("/y").withHeader("x-a", "1");
  TestRequest no_header = request().withToken(kTokenIssuer1).withPath("/x");
  expectCases({
      {"all", rule, all, true},
      {"from fails", rule, no_token, false},
      {"to fails", rule, other_path, false},
      {"when fails", rule, no_header, false},
      {"empty rule", config::Rule(), request(), true},
  });
}

}  // namespace
}  // namespace portcullis::authz::testing
