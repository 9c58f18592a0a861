// Gateway scenarios whose outcomes come from Istio's documentation, its integration tests and
// istiod's generation code, replayed against the engine. Each policy below is the C++ form of
// one AuthorizationPolicy manifest. Requests carry what the HTTP layer and JWT authentication
// pass to authorization: the normalized path without query, the trusted client address, and the
// verified token payload.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::authz::testing {
namespace {

using Policies = std::vector<config::AuthorizationPolicy>;

struct Scenario {
  std::string name;
  TestRequest request;
  bool allowed;
};

void expectScenarios(const Policies& policies, const std::vector<Scenario>& scenarios) {
  auto engine = compileAll(policies);
  for (const Scenario& scenario : scenarios) {
    TestRequest request = scenario.request;
    Trace trace;
    Decision decision = engine->evaluate(request.attributes(), &trace);
    EXPECT_EQ(decision.allowed, scenario.allowed) << scenario.name << "\n" << traceText(trace);
    // The decision must not depend on whether a trace is requested.
    EXPECT_EQ(engine->evaluate(request.attributes(), nullptr).allowed, scenario.allowed)
        << scenario.name;
  }
}

config::Source principals(std::vector<std::string> values) {
  config::Source source;
  source.request_principals = std::move(values);
  return source;
}

config::Rule pathAndPrincipal(std::string path, std::string principal) {
  config::Rule rule = toOperation(paths({std::move(path)}));
  rule.from.push_back(principals({std::move(principal)}));
  return rule;
}

config::Rule pathAndCondition(std::string path, config::Condition when_condition) {
  config::Rule rule = toOperation(paths({std::move(path)}));
  rule.when.push_back(std::move(when_condition));
  return rule;
}

// RequestAuthentication in the tests lists spaceDelimitedClaims ["custom_scope"] for this issuer.
TestRequest issuer2Token(std::string_view payload) {
  return TestRequest().withToken(payload).withSpaceDelimitedClaims({"custom_scope"});
}

// ---------------------------------------------------------------------------------------------
// Request principals

TEST(IstioCasesTest, AllowOnePrincipal) {
  expectScenarios({makePolicy("allow-sub1", Action::Allow,
                              {fromSource(principals({"test-issuer-1@istio.io/sub-1"}))})},
                  {
                      {"issuer 1 token", TestRequest().withToken(kTokenIssuer1), true},
                      {"issuer 2 token", TestRequest().withToken(kTokenIssuer2), false},
                  });
}

TEST(IstioCasesTest, AllowAnyPrincipal) {
  expectScenarios({makePolicy("allow-any-jwt", Action::Allow, {fromSource(principals({"*"}))})},
                  {
                      {"issuer 2 token", TestRequest().withToken(kTokenIssuer2), true},
                      {"token without sub", TestRequest().withToken(kTokenNoSub), false},
                  });
}

TEST(IstioCasesTest, NoPolicyAllowsTokenWithoutSub) {
  expectScenarios({}, {{"token without sub", TestRequest().withToken(kTokenNoSub), true}});
}

TEST(IstioCasesTest, PrincipalPatterns) {
  Policies policies = {makePolicy(
      "principal-patterns", Action::Allow,
      {pathAndPrincipal("/iss-only", "test-issuer-1@istio.io/*"),
       pathAndPrincipal("/iss-suffix", "*@istio.io/sub-2"), pathAndPrincipal("/sub-suffix", "*-1"),
       pathAndPrincipal("/slash-exact", "test-issuer-1@istio.io/team/alice"),
       pathAndPrincipal("/slash-prefix", "test-issuer-1@istio.io/team*"),
       pathAndPrincipal("/url-issuer", "https://issuer.example.com/user-42")})};
  expectScenarios(
      policies,
      {
          {"issuer prefix, issuer 1", TestRequest().withPath("/iss-only").withToken(kTokenIssuer1),
           true},
          {"issuer prefix, issuer 2", TestRequest().withPath("/iss-only").withToken(kTokenIssuer2),
           false},
          {"issuer suffix", TestRequest().withPath("/iss-suffix").withToken(kTokenIssuer2), true},
          {"subject suffix, issuer 2",
           TestRequest().withPath("/sub-suffix").withToken(kTokenIssuer2), false},
          {"subject suffix, issuer 1",
           TestRequest().withPath("/sub-suffix").withToken(kTokenIssuer1), true},
          {"subject with slash, exact",
           TestRequest().withPath("/slash-exact").withToken(kTokenSubWithSlash), false},
          {"subject with slash, prefix",
           TestRequest().withPath("/slash-prefix").withToken(kTokenSubWithSlash), true},
          {"URL issuer", TestRequest().withPath("/url-issuer").withToken(kTokenScopeWithUrlIssuer),
           true},
      });
}

// ---------------------------------------------------------------------------------------------
// Claims, audiences, presenter

config::AuthorizationPolicy claimsPolicy() {
  config::Rule token1 = pathAndPrincipal("/token1", "test-issuer-1@istio.io/sub-1");
  token1.to[0].methods = {"GET"};
  config::Rule token2 =
      pathAndCondition("/token2", condition("request.auth.claims[groups]", {"group-2"}));
  token2.to[0].methods = {"GET"};
  config::Rule token3 = toOperation(paths({"/token3"}));
  token3.to[0].methods = {"GET"};
  config::Source not_sub1;
  not_sub1.not_request_principals = {"test-issuer-1@istio.io/sub-1"};
  token3.from.push_back(not_sub1);
  config::Rule url_scope =
      pathAndCondition("/url-scope", condition("request.auth.claims[scope]", {"write:orders"}));
  url_scope.when.push_back(condition("request.auth.claims[org][tier]", {"gold"}));

  return makePolicy(
      "claims", Action::Allow,
      {token1, token2, token3,
       pathAndCondition("/scope", condition("request.auth.claims[scope]", {"append", "write"})),
       pathAndCondition("/permission",
                        condition("request.auth.claims[permission]", {"write", "append"})),
       pathAndCondition("/custom-scope-admin",
                        condition("request.auth.claims[custom_scope]", {"admin"})),
       pathAndCondition("/nested-key1", condition("request.auth.claims[nested][key1]", {"valueB"})),
       pathAndCondition("/nested-2-key1",
                        condition("request.auth.claims[nested][nested-2][key1]", {"valueA"})),
       pathAndCondition("/nested-dot", condition("request.auth.claims[nested.key2]", {"valueC"})),
       pathAndCondition("*/presenter", condition("request.auth.presenter", {"bar"})),
       pathAndCondition("*/audiences", condition("request.auth.audiences", {"foo"})),
       pathAndCondition("/bool-claim", condition("request.auth.claims[admin]", {"true"})),
       pathAndCondition("/string-claim", condition("request.auth.claims[role]", {"adm*"})),
       pathAndCondition(
           "/collision-name",
           condition("request.auth.claims[test-issuer-1@istio.io/simple]", {"valueC"})),
       url_scope});
}

TEST(IstioCasesTest, Claims) {
  expectScenarios(
      {claimsPolicy()},
      {
          {"list claim contains value", issuer2Token(kTokenIssuer2).withPath("/token2"), true},
          {"other principal", issuer2Token(kTokenIssuer2).withPath("/token3"), true},
          {"negative principal without token", TestRequest().withPath("/token3"), true},
          {"scope split on spaces",
           issuer2Token(kTokenIssuer2WithSpaceDelimitedScope).withPath("/scope"), true},
          {"permission split on spaces",
           issuer2Token(kTokenIssuer2WithSpaceDelimitedPermission).withPath("/permission"), true},
          {"space-delimited custom claim",
           issuer2Token(kTokenIssuer2WithCustomScope).withPath("/custom-scope-admin"), true},
          {"custom claim missing",
           TestRequest().withToken(kTokenIssuer1).withPath("/custom-scope-admin"), false},
          {"nested claim list",
           TestRequest().withToken(kTokenIssuer1WithNestedClaims1).withPath("/nested-key1"), true},
          {"nested claim two levels",
           TestRequest().withToken(kTokenIssuer1WithNestedClaims1).withPath("/nested-2-key1"),
           true},
          {"dot is not a separator",
           TestRequest().withToken(kTokenIssuer1WithNestedClaims2).withPath("/nested-dot"), false},
          {"presenter", TestRequest().withToken(kTokenIssuer1WithAzp).withPath("/x/presenter"),
           true},
          {"no presenter", TestRequest().withToken(kTokenIssuer1).withPath("/x/presenter"), false},
          {"audience string", TestRequest().withToken(kTokenIssuer1WithAud).withPath("/audiences"),
           true},
          {"audience list",
           TestRequest().withToken(kTokenIssuer1WithAudList).withPath("/audiences"), true},
          {"audience compared raw",
           TestRequest().withToken(kTokenAudHttpsSlash).withPath("/audiences"), false},
          {"boolean claim never matches",
           TestRequest().withToken(kTokenBoolNumClaims).withPath("/bool-claim"), false},
          {"string claim", TestRequest().withToken(kTokenBoolNumClaims).withPath("/string-claim"),
           true},
          {"claim name with @ and /",
           TestRequest()
               .withToken(kTokenIssuer1WithCollisionResistantName)
               .withPath("/collision-name"),
           true},
          {"URL issuer scope and nested claim",
           TestRequest().withToken(kTokenScopeWithUrlIssuer).withPath("/url-scope"), true},
          {"scope without nested claim",
           issuer2Token(kTokenIssuer2WithSpaceDelimitedScope).withPath("/url-scope"), false},
      });
}

// ---------------------------------------------------------------------------------------------
// Negative values, precedence, empty policies

TEST(IstioCasesTest, DenyClaimNotValues) {
  config::Rule rule = fromSource(principals({"*"}));
  rule.when.push_back(condition("request.auth.claims[groups]", {}, {"group-1"}));
  expectScenarios({makePolicy("deny-not-group1", Action::Deny, {rule})},
                  {
                      {"has group-1", TestRequest().withToken(kTokenIssuer1), true},
                      {"only group-2", TestRequest().withToken(kTokenIssuer2), false},
                      {"no token", TestRequest(), true},
                  });
}

TEST(IstioCasesTest, DenyOverridesAllow) {
  expectScenarios({makePolicy("allow-any-jwt", Action::Allow, {fromSource(principals({"*"}))}),
                   makePolicy("deny-sub2", Action::Deny,
                              {when(condition("request.auth.claims[sub]", {"sub-2"}))})},
                  {
                      {"sub-1", TestRequest().withToken(kTokenIssuer1), true},
                      {"sub-2", TestRequest().withToken(kTokenIssuer2), false},
                      {"no token", TestRequest(), false},
                  });
}

TEST(IstioCasesTest, AllowNothing) {
  expectScenarios({makePolicyWithoutRules("allow-nothing", Action::Allow)},
                  {{"any request", TestRequest(), false}});
}

TEST(IstioCasesTest, AllowNothingAndAllowAll) {
  expectScenarios({makePolicyWithoutRules("allow-nothing", Action::Allow),
                   makePolicy("allow-all", Action::Allow, {config::Rule()})},
                  {{"any request", TestRequest(), true}});
}

TEST(IstioCasesTest, DenyAll) {
  expectScenarios({makePolicy("deny-all", Action::Deny, {config::Rule()})},
                  {{"any request", TestRequest(), false}});
}

TEST(IstioCasesTest, DryRunPolicies) {
  expectScenarios(
      {dryRun(makePolicy("dry-run-deny", Action::Deny, {toOperation(paths({"/headers"}))})),
       dryRun(makePolicyWithoutRules("dry-run-allow-nothing", Action::Allow))},
      {
          {"other path", TestRequest().withPath("/other"), true},
          {"dry-run denied path", TestRequest().withPath("/headers"), true},
      });
}

TEST(IstioCasesTest, DenyGetUnlessAdmin) {
  config::Operation get;
  get.methods = {"GET"};
  config::Rule deny_get = toOperation(get);
  deny_get.when.push_back(condition("request.headers[x-token]", {}, {"admin"}));
  expectScenarios(
      {makePolicy("deny-method-get", Action::Deny, {deny_get}),
       makePolicy("allow-path-ip", Action::Allow, {toOperation(paths({"/ip"}))})},
      {
          {"GET as guest", TestRequest().withPath("/ip").withHeader("x-token", "guest"), false},
          {"GET without token header", TestRequest().withPath("/ip"), false},
          {"GET as admin", TestRequest().withPath("/ip").withHeader("x-token", "admin"), true},
          {"POST as guest",
           TestRequest().withMethod("POST").withPath("/ip").withHeader("x-token", "guest"), true},
      });
}

// ---------------------------------------------------------------------------------------------
// Hosts, paths, methods, ports

TEST(IstioCasesTest, DenyHosts) {
  config::Operation hosts;
  hosts.hosts = {"deny.example.com", "*.suffix.example.com", "prefix.example.*"};
  config::Operation internal;
  internal.hosts = {"internal.example.com"};
  config::Rule second = toOperation(internal);
  second.to.push_back(paths({"/private"}));
  expectScenarios(
      {makePolicy("deny-hosts", Action::Deny, {toOperation(hosts), second})},
      {
          {"exact host", TestRequest().withHost("deny.example.com"), false},
          {"suffix in other case", TestRequest().withHost("Deny.Suffix.Example.Com"), false},
          {"prefix", TestRequest().withHost("prefix.example.org"), false},
          {"unlisted host", TestRequest().withHost("www.example.com"), true},
          {"second operation entry", TestRequest().withHost("internal.example.com"), false},
          {"path of second entry", TestRequest().withPath("/private"), false},
          {"host with port", TestRequest().withHost("deny.example.com:8080"), true},
      });
}

TEST(IstioCasesTest, AllowExactHost) {
  config::Operation operation;
  operation.hosts = {"www.example.com"};
  expectScenarios({makePolicy("allow-www", Action::Allow, {toOperation(operation)})},
                  {
                      {"other case", TestRequest().withHost("WWW.Example.COM"), true},
                      {"with port", TestRequest().withHost("www.example.com:8080"), false},
                  });
}

TEST(IstioCasesTest, PathsAndMethods) {
  config::Operation get_public = paths({"/public*"});
  get_public.methods = {"GET"};
  config::Operation info = paths({"*/info"});
  info.methods = {"HEAD", "POST"};
  config::Operation api = paths({"/api/*"});
  api.not_paths = {"/api/admin*"};
  api.not_methods = {"DELETE"};
  expectScenarios(
      {makePolicy("paths", Action::Allow,
                  {toOperation(get_public), toOperation(info), toOperation(paths({"/exact"})),
                   toOperation(api)})},
      {
          {"prefix", TestRequest().withPath("/public/a"), true},
          // The HTTP layer strips "?next=/admin" before authorization.
          {"query removed", TestRequest().withPath("/public"), true},
          {"suffix", TestRequest().withMethod("HEAD").withPath("/v1/info"), true},
          {"notMethods", TestRequest().withMethod("DELETE").withPath("/api/users"), false},
          {"notPaths", TestRequest().withPath("/api/admin/x"), false},
          {"path normalized up", TestRequest().withPath("/private"), false},
          {"dot segment back inside", TestRequest().withPath("/public"), true},
      });
}

TEST(IstioCasesTest, MeshWideDenyOnNormalizedPath) {
  expectScenarios(
      {makePolicy("deny-admin-everywhere", Action::Deny, {toOperation(paths({"/admin*"}))})},
      {
          // "/%61dmin/x" is decoded to "/admin/x" by the default normalization.
          {"decoded unreserved", TestRequest().withPath("/admin/x"), false},
          // "%2F" is kept, so "/x%2F..%2Fadmin" forms no dot-segment.
          {"escaped slash kept", TestRequest().withPath("/x%2F..%2Fadmin"), true},
      });
}

TEST(IstioCasesTest, PathTemplates) {
  expectScenarios(
      {makePolicy(
          "templates", Action::Allow,
          {toOperation(paths({"/allow/admin/{**}", "/foo/{*}/bar/{**}", "/store/{**}/cart"}))})},
      {
          {"any segments needs the slash", TestRequest().withPath("/allow/admin"), false},
          {"one segment then any", TestRequest().withPath("/foo/buzz/bar/bat/fuzz.txt"), true},
          {"empty any segments", TestRequest().withPath("/store//cart"), true},
          {"missing slash", TestRequest().withPath("/store/cart"), false},
      });
}

TEST(IstioCasesTest, Ports) {
  config::Operation on_8080 = paths({"/deny-on-8080"});
  on_8080.ports = {"8080"};
  config::Operation on_80 = paths({"/deny-on-80"});
  on_80.ports = {"80"};
  expectScenarios({makePolicy("ports", Action::Deny, {toOperation(on_8080), toOperation(on_80)})},
                  {
                      {"listener port", TestRequest().withPath("/deny-on-8080"), false},
                      {"gateway port", TestRequest().withPath("/deny-on-80"), true},
                  });
}

// ---------------------------------------------------------------------------------------------
// Client addresses. The HTTP layer resolves remote.ip from X-Forwarded-For and
// numTrustedProxies; these requests carry its result.

config::AuthorizationPolicy remoteIpPolicy() {
  config::Source blocks;
  blocks.remote_ip_blocks = {"172.17.72.46", "192.168.4.0/23"};
  config::Operation blocks_host;
  blocks_host.hosts = {"remoteipblocks.example.com"};
  config::Rule first = fromSource(blocks);
  first.to.push_back(blocks_host);

  config::Source not_blocks;
  not_blocks.not_remote_ip_blocks = {"172.23.240.0/22"};
  config::Operation not_blocks_host;
  not_blocks_host.hosts = {"notremoteipblocks.example.com"};
  config::Rule second = fromSource(not_blocks);
  second.to.push_back(not_blocks_host);

  config::Operation attr_host;
  attr_host.hosts = {"remoteipattr.example.com"};
  config::Rule third = toOperation(attr_host);
  third.when.push_back(condition("remote.ip", {"10.242.5.7", "10.124.99.0/24"}));
  return makePolicy("remote-ip", Action::Deny, {first, second, third});
}

TEST(IstioCasesTest, RemoteIp) {
  expectScenarios(
      {remoteIpPolicy()},
      {
          {"inside remoteIpBlocks",
           TestRequest().withHost("remoteipblocks.example.com").withRemoteIp("192.168.5.233"),
           false},
          {"outside remoteIpBlocks",
           TestRequest().withHost("remoteipblocks.example.com").withRemoteIp("10.4.5.6"), true},
          {"inside notRemoteIpBlocks",
           TestRequest().withHost("notremoteipblocks.example.com").withRemoteIp("172.23.242.188"),
           true},
          {"remote.ip outside",
           TestRequest().withHost("remoteipattr.example.com").withRemoteIp("10.4.5.6"), true},
          {"forwarded address ignored, peer used",
           TestRequest().withHost("remoteipblocks.example.com"), true},
          {"peer outside notRemoteIpBlocks",
           TestRequest().withHost("notremoteipblocks.example.com"), false},
          {"second address from the right",
           TestRequest().withHost("remoteipattr.example.com").withRemoteIp("10.242.5.7"), false},
          {"too few forwarded addresses, peer used",
           TestRequest().withHost("remoteipattr.example.com"), true},
      });
}

TEST(IstioCasesTest, IpBlocksUsePeerAddress) {
  config::Source loopback;
  loopback.ip_blocks = {"127.0.0.1"};
  expectScenarios({makePolicy("allow-loopback", Action::Allow, {fromSource(loopback)})},
                  {{"other loopback address", TestRequest().withSourceIp("127.0.0.2"), false},
                   {"forwarded address ignored",
                    TestRequest().withSourceIp("127.0.0.2").withRemoteIp("127.0.0.1"), false}});
}

TEST(IstioCasesTest, IngressAllowIpBlocks) {
  config::Source listed;
  listed.ip_blocks = {"1.2.3.4", "5.6.7.0/24"};
  expectScenarios({makePolicy("ingress-policy", Action::Allow, {fromSource(listed)})},
                  {
                      {"unlisted client", TestRequest(), false},
                      {"listed block", TestRequest().withSourceIp("5.6.7.9"), true},
                  });
}

// ---------------------------------------------------------------------------------------------
// Header conditions

TEST(IstioCasesTest, HeaderConditions) {
  config::Rule needs_header = toOperation(paths({"/needs-header"}));
  needs_header.when.push_back(condition("request.headers[x-must-exist]", {}, {"*"}));
  config::Rule sees_authorization = toOperation(paths({"/authz-header-seen"}));
  sees_authorization.when.push_back(condition("request.headers[authorization]", {"*"}));
  expectScenarios(
      {makePolicy("header-conds", Action::Deny,
                  {when(condition("request.headers[X-User]", {"bad*"})), needs_header,
                   sees_authorization})},
      {
          {"prefix, name in other case", TestRequest().withHeader("X-User", "bad-guy"), false},
          {"good value", TestRequest().withHeader("x-user", "good"), true},
          {"good then bad", TestRequest().withHeader("x-user", "good").withHeader("x-user", "bad"),
           true},
          {"bad then good", TestRequest().withHeader("x-user", "bad").withHeader("x-user", "good"),
           false},
          {"required header missing", TestRequest().withPath("/needs-header"), false},
          {"required header present",
           TestRequest().withPath("/needs-header").withHeader("x-must-exist", ""), true},
          // JWT authentication removes a verified token's header before authorization runs.
          {"authorization header removed", TestRequest().withPath("/authz-header-seen"), true},
          {"authorization header kept",
           TestRequest().withPath("/authz-header-seen").withHeader("authorization", "Bearer x"),
           false},
      });
}

}  // namespace
}  // namespace portcullis::authz::testing
