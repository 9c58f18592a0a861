// Decisions across policies: empty forms, DENY over ALLOW, dry-run, AUDIT, CUSTOM, values that
// cannot be compiled, and the trace.
#include "authz/engine.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace portcullis::authz::testing {
namespace {

config::Rule pathRule(std::vector<std::string> values) {
  return toOperation(paths(values));
}

config::Rule ipRule(std::vector<std::string> blocks) {
  config::Source source;
  source.ip_blocks = std::move(blocks);
  return fromSource(source);
}

TEST(EngineTest, NoPoliciesAllows) {
  auto engine = compileAll({});
  EXPECT_TRUE(engine->empty());
  TestRequest request;
  Decision decision = engine->evaluate(request.attributes(), nullptr);
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.policy, "");
}

TEST(EngineTest, AllowWithoutRulesKeyDeniesAll) {
  OwnedDecision decision = decide({makePolicyWithoutRules("allow-nothing", Action::Allow)}, {});
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.policy, "");
}

TEST(EngineTest, AllowWithEmptyRulesDeniesAll) {
  OwnedDecision decision = decide({makePolicy("allow-nothing", Action::Allow, {})}, {});
  EXPECT_FALSE(decision.allowed);
}

TEST(EngineTest, AllowWithEmptyRuleAllowsAll) {
  OwnedDecision decision = decide({makePolicy("allow-all", Action::Allow, {config::Rule()})}, {});
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.policy, "istio-system/allow-all");
  EXPECT_EQ(decision.rule, 0);
}

TEST(EngineTest, AnyAllowPolicySuffices) {
  OwnedDecision decision = decide({makePolicyWithoutRules("allow-nothing", Action::Allow),
                                   makePolicy("allow-all", Action::Allow, {config::Rule()})},
                                  {});
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.policy, "istio-system/allow-all");
}

TEST(EngineTest, AllowRulesOr) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("paths", Action::Allow, {pathRule({"/a"}), pathRule({"/b"})})};
  OwnedDecision second = decide(policies, TestRequest().withPath("/b"));
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.rule, 1);
  EXPECT_FALSE(decide(policies, TestRequest().withPath("/c")).allowed);
}

TEST(EngineTest, DenyWithoutRulesNeverMatches) {
  EXPECT_TRUE(decide({makePolicyWithoutRules("deny", Action::Deny)}, {}).allowed);
  EXPECT_TRUE(decide({makePolicy("deny", Action::Deny, {})}, {}).allowed);
}

TEST(EngineTest, DenyWithEmptyRuleDeniesAll) {
  OwnedDecision decision = decide({makePolicy("deny-all", Action::Deny, {config::Rule()})}, {});
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.policy, "istio-system/deny-all");
  EXPECT_EQ(decision.rule, 0);
}

TEST(EngineTest, DenyBeatsAllow) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("allow-all", Action::Allow, {config::Rule()}),
      makePolicy("deny-admin", Action::Deny, {pathRule({"/admin*"})})};
  OwnedDecision denied = decide(policies, TestRequest().withPath("/admin/x"));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.policy, "istio-system/deny-admin");
  EXPECT_TRUE(decide(policies, TestRequest().withPath("/public")).allowed);
}

TEST(EngineTest, FirstMatchingDenyNamed) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("deny-a", Action::Deny, {pathRule({"/x"})}),
      makePolicy("deny-b", Action::Deny, {config::Rule()})};
  EXPECT_EQ(decide(policies, TestRequest().withPath("/x")).policy, "istio-system/deny-a");
  EXPECT_EQ(decide(policies, TestRequest().withPath("/y")).policy, "istio-system/deny-b");
}

TEST(EngineTest, DryRunDenyHasNoEffect) {
  OwnedDecision decision =
      decide({dryRun(makePolicy("deny-all", Action::Deny, {config::Rule()}))}, {});
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.policy, "");
}

TEST(EngineTest, DryRunAllowDoesNotCount) {
  EXPECT_TRUE(decide({dryRun(makePolicyWithoutRules("allow-nothing", Action::Allow))}, {}).allowed);
  // A matching dry-run ALLOW does not rescue a request that an enforced ALLOW does not allow.
  std::vector<config::AuthorizationPolicy> policies = {
      dryRun(makePolicy("allow-all", Action::Allow, {config::Rule()})),
      makePolicy("allow-x", Action::Allow, {pathRule({"/x"})})};
  EXPECT_FALSE(decide(policies, TestRequest().withPath("/y")).allowed);
  EXPECT_TRUE(decide(policies, TestRequest().withPath("/x")).allowed);
}

TEST(EngineTest, DryRunPoliciesTraced) {
  Trace trace;
  decide({dryRun(makePolicy("deny-headers", Action::Deny, {pathRule({"/headers"})}))},
         TestRequest().withPath("/headers"), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_TRUE(trace.entries[0].dry_run);
  EXPECT_TRUE(trace.entries[0].matched);
  EXPECT_NE(trace.entries[0].detail.find("dry-run: no effect"), std::string::npos)
      << trace.entries[0].detail;
  EXPECT_TRUE(trace.entries[1].matched);
}

TEST(EngineTest, AuditMarksOnly) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("audit", Action::Audit, {pathRule({"/audited"})}),
      makePolicy("allow-all", Action::Allow, {config::Rule()})};
  OwnedDecision audited = decide(policies, TestRequest().withPath("/audited"));
  EXPECT_TRUE(audited.allowed);
  EXPECT_TRUE(audited.audit);
  EXPECT_EQ(audited.policy, "istio-system/allow-all");
  EXPECT_FALSE(decide(policies, TestRequest().withPath("/other")).audit);
}

TEST(EngineTest, AuditAloneAllows) {
  OwnedDecision decision = decide({makePolicy("audit", Action::Audit, {config::Rule()})}, {});
  EXPECT_TRUE(decision.allowed);
  EXPECT_TRUE(decision.audit);
}

TEST(EngineTest, DryRunAuditDoesNotMark) {
  OwnedDecision decision =
      decide({dryRun(makePolicy("audit", Action::Audit, {config::Rule()}))}, {});
  EXPECT_FALSE(decision.audit);
}

TEST(EngineTest, AuditWithoutRulesNeverMatches) {
  EXPECT_FALSE(decide({makePolicyWithoutRules("audit", Action::Audit)}, {}).audit);
}

TEST(CustomTest, FirstMatchingPolicyReported) {
  std::vector<config::AuthorizationPolicy> policies = {
      withProvider(makePolicy("ext-a", Action::Custom, {pathRule({"/headers"})}), "provider-a"),
      withProvider(makePolicy("ext-b", Action::Custom, {pathRule({"/ip"}), pathRule({"/x*"})}),
                   "provider-b")};
  auto engine = compileAll(policies);
  TestRequest headers = TestRequest().withPath("/headers");
  CustomMatch first = engine->matchCustom(headers.attributes(), nullptr);
  EXPECT_TRUE(first.matched);
  EXPECT_EQ(first.provider, "provider-a");
  EXPECT_EQ(first.policy, "istio-system/ext-a");
  EXPECT_EQ(first.rule, 0);

  TestRequest x = TestRequest().withPath("/xyz");
  CustomMatch second = engine->matchCustom(x.attributes(), nullptr);
  EXPECT_TRUE(second.matched);
  EXPECT_EQ(second.provider, "provider-b");
  EXPECT_EQ(second.rule, 1);

  TestRequest other = TestRequest().withPath("/other");
  EXPECT_FALSE(engine->matchCustom(other.attributes(), nullptr).matched);
}

TEST(CustomTest, DryRunStillMatches) {
  auto engine = compileAll({dryRun(
      withProvider(makePolicy("ext", Action::Custom, {pathRule({"/headers"})}), "provider"))});
  TestRequest request = TestRequest().withPath("/headers");
  CustomMatch match = engine->matchCustom(request.attributes(), nullptr);
  EXPECT_TRUE(match.matched);
  EXPECT_EQ(match.provider, "provider");
}

TEST(CustomTest, WithoutRulesNeverMatches) {
  auto engine =
      compileAll({withProvider(makePolicyWithoutRules("ext", Action::Custom), "provider")});
  TestRequest request;
  EXPECT_FALSE(engine->matchCustom(request.attributes(), nullptr).matched);
}

TEST(CustomTest, NotPartOfDecision) {
  auto engine =
      compileAll({withProvider(makePolicy("ext", Action::Custom, {config::Rule()}), "provider")});
  EXPECT_FALSE(engine->empty());
  TestRequest request;
  Trace trace;
  EXPECT_TRUE(engine->evaluate(request.attributes(), &trace).allowed);
  EXPECT_TRUE(trace.entries.empty()) << traceText(trace);
}

// Values that validation should have rejected are handled as istiod generates them: an ALLOW
// rule containing one disappears, DENY and AUDIT lose only that value.
TEST(InvalidValuesTest, AllowRuleDropped) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("allow", Action::Allow, {ipRule({"127.0.0.1", "not-an-ip"}), pathRule({"/ok"})})};
  EXPECT_FALSE(decide(policies, TestRequest()).allowed);
  EXPECT_TRUE(decide(policies, TestRequest().withPath("/ok")).allowed);
}

TEST(InvalidValuesTest, AllowPolicyWithOnlyDroppedRulesDeniesAll) {
  EXPECT_FALSE(decide({makePolicy("allow", Action::Allow, {ipRule({"1.2.3.4/99"})})}, TestRequest())
                   .allowed);
}

TEST(InvalidValuesTest, DenyValueDropped) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("deny", Action::Deny, {ipRule({"10.0.0.0/8", "bad"})})};
  EXPECT_FALSE(decide(policies, TestRequest().withSourceIp("10.1.1.1")).allowed);
  EXPECT_TRUE(decide(policies, TestRequest()).allowed);
}

TEST(InvalidValuesTest, DenyFieldDroppedWidens) {
  config::Operation operation = paths({"/admin*"});
  operation.ports = {"http"};
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("deny", Action::Deny, {toOperation(operation)})};
  // With its only port gone, the rule denies /admin* on every port.
  EXPECT_FALSE(decide(policies, TestRequest().withPath("/admin/x").withDestinationPort(9)).allowed);
  EXPECT_TRUE(decide(policies, TestRequest().withPath("/public")).allowed);
}

TEST(InvalidValuesTest, DenyNotValueDropped) {
  config::Source source;
  source.not_ip_blocks = {"999.1.1.1"};
  source.request_principals = {"*"};
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("deny", Action::Deny, {fromSource(source)})};
  EXPECT_FALSE(decide(policies, TestRequest().withToken(kTokenIssuer1)).allowed);
  EXPECT_TRUE(decide(policies, TestRequest()).allowed);
}

TEST(InvalidValuesTest, BadPathTemplate) {
  EXPECT_FALSE(decide({makePolicy("allow", Action::Allow, {pathRule({"/{**}/{*}"})})},
                      TestRequest().withPath("/a/b"))
                   .allowed);
  EXPECT_FALSE(decide({makePolicy("deny", Action::Deny, {pathRule({"/{**}/{*}", "/x"})})},
                      TestRequest().withPath("/x"))
                   .allowed);
}

TEST(InvalidValuesTest, BadConditionKeyFormat) {
  // A malformed key makes every value of the condition invalid.
  config::Rule rule = when(condition("request.headers", {"x"}));
  EXPECT_FALSE(decide({makePolicy("allow", Action::Allow, {rule})}, TestRequest()).allowed);
  EXPECT_FALSE(decide({makePolicy("deny", Action::Deny, {rule})}, TestRequest()).allowed);
}

TEST(InvalidValuesTest, UnknownKeyDropsRuleForEveryAction) {
  config::Rule rule = when(condition("request.auth.claim[groups]", {"group-1"}));
  EXPECT_FALSE(
      decide({makePolicy("allow", Action::Allow, {rule})}, TestRequest().withToken(kTokenIssuer1))
          .allowed);
  EXPECT_TRUE(
      decide({makePolicy("deny", Action::Deny, {rule})}, TestRequest().withToken(kTokenIssuer1))
          .allowed);
}

TEST(TraceTest, EntriesPerPolicyAndRule) {
  std::vector<config::AuthorizationPolicy> policies = {
      makePolicy("audit", Action::Audit, {config::Rule()}),
      makePolicy("deny", Action::Deny, {pathRule({"/admin*"}), pathRule({"/private"})}),
      makePolicy("allow", Action::Allow, {pathRule({"/public*", "/api/*"})})};
  Trace trace;
  OwnedDecision decision = decide(policies, TestRequest().withPath("/admin/x"), &trace);
  EXPECT_FALSE(decision.allowed);
  // AUDIT policy + rule, DENY policy + 2 rules; ALLOW is never reached after a DENY match.
  ASSERT_EQ(trace.entries.size(), 5u) << traceText(trace);
  EXPECT_EQ(trace.entries[0].action, "AUDIT");
  EXPECT_EQ(trace.entries[0].rule, -1);
  EXPECT_EQ(trace.entries[2].action, "DENY");
  EXPECT_EQ(trace.entries[2].policy, "istio-system/deny");
  EXPECT_TRUE(trace.entries[2].matched);
  EXPECT_EQ(trace.entries[2].detail, "matched by rule 0");
  EXPECT_EQ(trace.entries[3].rule, 0);
  EXPECT_EQ(trace.entries[3].detail,
            R"(rule 0: matched: to[0].operation.paths: "/admin/x" matches "/admin*")");
  EXPECT_FALSE(trace.entries[4].matched);
  EXPECT_EQ(trace.entries[4].detail,
            R"(rule 1: to[0].operation.paths: "/admin/x" does not match any of ["/private"])");
}

TEST(TraceTest, PathMismatchDetail) {
  Trace trace;
  decide({makePolicy("allow", Action::Allow, {pathRule({"/public*", "/api/*"})})},
         TestRequest().withPath("/admin/x"), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(trace.entries[0].detail, "no rule matched");
  EXPECT_EQ(
      trace.entries[1].detail,
      R"(rule 0: to[0].operation.paths: "/admin/x" does not match any of ["/public*", "/api/*"])");
}

TEST(TraceTest, NoPrincipalDetail) {
  config::Source source;
  source.request_principals = {"*"};
  Trace trace;
  decide({makePolicy("allow", Action::Allow, {fromSource(source)})}, TestRequest(), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(trace.entries[1].detail,
            "rule 0: from[0].source.requestPrincipals: no verified JWT (request has no principal)");
}

TEST(TraceTest, NoSubDetail) {
  config::Source source;
  source.request_principals = {"*"};
  Trace trace;
  decide({makePolicy("allow", Action::Allow, {fromSource(source)})},
         TestRequest().withToken(kTokenNoSub), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(trace.entries[1].detail,
            "rule 0: from[0].source.requestPrincipals: the JWT has no string sub claim (request "
            "has no principal)");
}

TEST(TraceTest, NotValueDetail) {
  Trace trace;
  decide({makePolicy("allow", Action::Allow,
                     {when(condition("request.auth.claims[groups]", {}, {"group-1"}))})},
         TestRequest().withToken(kTokenIssuer1), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(
      trace.entries[1].detail,
      R"(rule 0: when[0] request.auth.claims[groups] notValues: ["group-1"] matches "group-1")");
}

TEST(TraceTest, EveryFromEntryExplained) {
  config::Source by_ip;
  by_ip.ip_blocks = {"10.0.0.0/8"};
  config::Source by_principal;
  by_principal.request_principals = {"*"};
  config::Rule rule = fromSource(by_ip);
  rule.from.push_back(by_principal);
  Trace trace;
  decide({makePolicy("allow", Action::Allow, {rule})}, TestRequest(), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(trace.entries[1].detail,
            R"(rule 0: from[0].source.ipBlocks: 127.0.0.1 does not match any of ["10.0.0.0/8"]; )"
            "from[1].source.requestPrincipals: no verified JWT (request has no principal)");
}

TEST(TraceTest, DroppedRuleExplained) {
  Trace trace;
  decide({makePolicy("allow", Action::Allow, {ipRule({"bad"})})}, TestRequest(), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(
      trace.entries[1].detail,
      R"(rule 0: not installed: from[0].source.ipBlocks: invalid IP address or CIDR range "bad")"
      " (Istio drops an ALLOW rule with a value it cannot compile)");
}

TEST(TraceTest, IgnoredValueNoted) {
  Trace trace;
  decide({makePolicy("deny", Action::Deny, {ipRule({"127.0.0.1", "bad"})})}, TestRequest(), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(trace.entries[1].detail,
            R"(rule 0: matched: from[0].source.ipBlocks: 127.0.0.1 matches "127.0.0.1" )"
            R"((ignored from[0].source.ipBlocks: invalid IP address or CIDR range "bad"))");
}

TEST(TraceTest, EmptyPoliciesExplained) {
  Trace trace;
  decide({makePolicyWithoutRules("allow-nothing", Action::Allow)}, TestRequest(), &trace);
  ASSERT_EQ(trace.entries.size(), 1u);
  EXPECT_FALSE(trace.entries[0].matched);
  EXPECT_NE(trace.entries[0].detail.find("allow-nothing"), std::string::npos);
}

TEST(TraceTest, CustomEntries) {
  auto engine = compileAll(
      {dryRun(withProvider(makePolicy("ext", Action::Custom, {pathRule({"/x"})}), "provider"))});
  TestRequest request = TestRequest().withPath("/x");
  Trace trace;
  engine->matchCustom(request.attributes(), &trace);
  ASSERT_EQ(trace.entries.size(), 2u);
  EXPECT_EQ(trace.entries[0].action, "CUSTOM");
  EXPECT_TRUE(trace.entries[0].dry_run);
  EXPECT_TRUE(trace.entries[1].matched);
}

}  // namespace
}  // namespace portcullis::authz::testing
