// proxy::process() with a destination workload behind the route. Once the gateway's own stages
// pass and the request is prepared for the upstream, the workload's RequestAuthentication and
// AuthorizationPolicies run on it as httpbin's sidecar would, with the gateway as mTLS peer.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline_test_util.h"

namespace portcullis::proxy::testing {
namespace {

using Action = config::AuthorizationPolicy::Action;

constexpr std::string_view kGatewayPrincipal =
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
constexpr std::string_view kWorkloadOrigin = "ServiceEntry foo/httpbin endpoint 0";

// The Gateway of pipeline_test_util.h whose cluster "httpbin" has one endpoint, 127.0.0.1:8000,
// that is the workload foo/{app: httpbin, version: v1}. Cluster "other" stays a plain backend.
// Tests set the jwtRules and policies of the gateway and of the workload.
class MeshGateway {
 public:
  MeshGateway() {
    snapshot::DestinationWorkload workload;
    workload.workload.ns = "foo";
    workload.workload.labels = {{"app", "httpbin"}, {"version", "v1"}};
    workload.origin = std::string(kWorkloadOrigin);
    gateway_.snapshot().workloads.push_back(std::move(workload));
    gateway_.snapshot().clusters[Gateway::kHttpbin].endpoints[0].workload = 0;
    gateway_.listener().principal = std::string(kGatewayPrincipal);
    workload_keys_.resize(1);
    setWorkloadRules({});
    setWorkloadPolicies({});
  }

  Gateway& gateway() { return gateway_; }
  snapshot::Snapshot& snapshot() { return gateway_.snapshot(); }
  snapshot::DestinationWorkload& workload() { return gateway_.snapshot().workloads[0]; }

  // Replaces the gateway's jwtRules. Key sets come from each rule's inline jwks.
  void setGatewayRules(std::vector<config::JwtRule> rules) {
    gateway_rules_ = std::move(rules);
    gateway_.listener().authn = compileRules(gateway_rules_, "istio-system", gateway_keys_);
  }

  void setGatewayPolicies(std::vector<config::AuthorizationPolicy> policies) {
    gateway_.setPolicies(std::move(policies));
  }

  // Replaces the workload's jwtRules. Key sets come from each rule's inline jwks.
  void setWorkloadRules(std::vector<config::JwtRule> rules) {
    workload_rules_ = std::move(rules);
    workload().authn = compileRules(workload_rules_, "foo", workload_keys_[0]);
  }

  void setWorkloadPolicies(std::vector<config::AuthorizationPolicy> policies) {
    workload_policies_ = std::move(policies);
    std::vector<const config::AuthorizationPolicy*> pointers;
    for (const auto& p : workload_policies_) {
      pointers.push_back(&p);
    }
    workload().authz = authz::Engine::compile(pointers);
  }

  // The first ext_authz provider of the snapshot.
  config::ExtAuthzHttpProvider& mutableProvider() {
    return gateway_.snapshot().ext_authz_providers.at(0).http;
  }

  // Key sets of the workload's rules, by key slot, as the worker's View stores them.
  authn::KeySets& workloadKeys() { return workload_keys_[0]; }

  DecideOptions options(bool trace = false) const {
    DecideOptions out;
    out.now = kNow;
    out.trace = trace;
    out.workload_keys = &workload_keys_;
    return out;
  }

  Outcome process(Request& request, bool trace = false) const {
    return proxy::process(gateway_.snapshot(), gateway_.snapshot().listeners[0], gateway_keys_,
                          request, options(trace), "0f4a8b5e-3c1d-4e2f-9a7b-6c5d4e3f2a1b");
  }

 private:
  static std::shared_ptr<const authn::Authenticator> compileRules(
      const std::vector<config::JwtRule>& rules, const std::string& ns, authn::KeySets& keys) {
    std::vector<std::pair<std::string, const config::JwtRule*>> refs;
    keys.clear();
    for (size_t i = 0; i < rules.size(); ++i) {
      refs.emplace_back(ns + "/jwt-example jwtRules[" + std::to_string(i) + "]", &rules[i]);
      keys.push_back(jwt::Jwks::parse(rules[i].jwks));
    }
    return authn::Authenticator::compile(refs);
  }

  Gateway gateway_;
  std::vector<config::JwtRule> gateway_rules_;
  authn::KeySets gateway_keys_;
  std::vector<config::JwtRule> workload_rules_;
  std::vector<config::AuthorizationPolicy> workload_policies_;
  std::vector<authn::KeySets> workload_keys_;
};

// A policy of namespace foo that selects the workload.
config::AuthorizationPolicy workloadPolicy(std::string name, Action action,
                                           std::vector<config::Rule> rules) {
  config::AuthorizationPolicy out = policy(std::move(name), action, std::move(rules));
  out.meta.ns = "foo";
  out.target.selector = config::Labels{{"app", "httpbin"}};
  return out;
}

config::Rule fromSource(config::Source source) {
  config::Rule rule;
  rule.from.push_back(std::move(source));
  return rule;
}

config::Rule fromPrincipals(std::vector<std::string> principals) {
  config::Source source;
  source.principals = std::move(principals);
  return fromSource(std::move(source));
}

config::Rule fromIpBlocks(std::vector<std::string> blocks) {
  config::Source source;
  source.ip_blocks = std::move(blocks);
  return fromSource(std::move(source));
}

config::Rule fromRemoteIpBlocks(std::vector<std::string> blocks) {
  config::Source source;
  source.remote_ip_blocks = std::move(blocks);
  return fromSource(std::move(source));
}

config::Rule when(std::string key, std::vector<std::string> values) {
  config::Condition condition;
  condition.key = std::move(key);
  condition.values = std::move(values);
  config::Rule rule;
  rule.when.push_back(std::move(condition));
  return rule;
}

config::JwtRule demoRule() {
  return ruleOf(kDemoIssuer, demoJwksText());
}

bool hasNoteContaining(const Outcome& outcome, std::string_view text) {
  for (const auto& note : outcome.notes) {
    if (note.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string notesText(const Outcome& outcome) {
  std::string out;
  for (const auto& note : outcome.notes) {
    out += note + "\n";
  }
  return out;
}

// --- Authorization -------------------------------------------------------------------------

TEST(ProcessWorkload, WithoutPoliciesForwards) {
  MeshGateway mesh;
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_EQ(outcome.workload, nullptr);
  ASSERT_NE(outcome.forward.endpoint, nullptr);
  EXPECT_EQ(outcome.forward.endpoint->workload, 0);
}

TEST(ProcessWorkload, GatewayAllowsWorkloadDenies) {
  MeshGateway mesh;
  mesh.setGatewayPolicies({policy("allow-headers", Action::Allow, {toPaths({"/headers"})})});
  mesh.setWorkloadPolicies({workloadPolicy("deny-headers", Action::Deny, {toPaths({"/headers"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  EXPECT_TRUE(outcome.authz.allowed);
  EXPECT_FALSE(outcome.workload_authz.allowed);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
  EXPECT_EQ(outcome.reply->body, "RBAC: access denied");
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[foo/deny-headers]");
  EXPECT_EQ(outcome.workload, &mesh.snapshot().workloads[0]);
}

TEST(ProcessWorkload, UnmatchedAllowDenies) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy("allow-ip", Action::Allow, {toPaths({"/ip"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[none]");
}

TEST(ProcessWorkload, MatchedAllowForwards) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy("allow-ip", Action::Allow, {toPaths({"/ip"})})});
  Request request = get("/ip");
  const Outcome outcome = mesh.process(request);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_TRUE(outcome.workload_authz.allowed);
  EXPECT_EQ(outcome.workload_authz.policy, "foo/allow-ip");
}

TEST(ProcessWorkload, GatewayDenyComesFirst) {
  MeshGateway mesh;
  mesh.setGatewayPolicies({policy("deny-headers", Action::Deny, {toPaths({"/headers"})})});
  mesh.setWorkloadPolicies({workloadPolicy("deny-headers", Action::Deny, {toPaths({"/headers"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[istio-system/deny-headers]");
  EXPECT_EQ(outcome.workload, nullptr);
}

TEST(ProcessWorkload, GatewayRequestNotPrepared) {
  // A request that the gateway rejects itself is never prepared for the upstream.
  MeshGateway mesh;
  mesh.setGatewayPolicies({policy("deny-headers", Action::Deny, {toPaths({"/headers"})})});
  Request request = get("/headers");
  mesh.process(request);
  EXPECT_EQ(request.headers.count("x-request-id"), 0u);
}

TEST(ProcessWorkload, PlainEndpointSkipped) {
  MeshGateway mesh;
  mesh.gateway().addHost("other.example.com", {routeTo(Gateway::kOther)});
  mesh.setWorkloadPolicies({workloadPolicy("deny-all", Action::Deny, {config::Rule{}})});
  Request request = get("/headers", "other.example.com");
  const Outcome outcome = mesh.process(request);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_EQ(outcome.workload, nullptr);
}

TEST(ProcessWorkload, SeesRewrittenPath) {
  // The sidecar receives the request as the gateway forwards it, after the route's rewrite.
  MeshGateway mesh;
  snapshot::Route route = routeTo(Gateway::kHttpbin, {pathPrefix("/api/")});
  route.rewrite_prefix = "/";
  mesh.gateway().addHost("api.example.com", {route});
  mesh.setWorkloadPolicies({workloadPolicy("deny-headers", Action::Deny, {toPaths({"/headers"})})});
  Request request = get("/api/headers", "api.example.com");
  const Outcome outcome = mesh.process(request);
  EXPECT_EQ(request.target, "/headers");
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(ProcessWorkload, SeesForwardedHeaders) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy(
      "require-proto", Action::Allow, {when("request.headers[x-forwarded-proto]", {"http"})})});
  Request request = get("/headers");
  EXPECT_FALSE(mesh.process(request).reply.has_value());
}

// --- Source and destination as the sidecar sees them ---------------------------------------

TEST(ProcessWorkload, GatewayPrincipalAllowed) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy("allow-gateway", Action::Allow,
                                           {fromPrincipals({std::string(kGatewayPrincipal)})})});
  Request request = get("/headers");
  EXPECT_FALSE(mesh.process(request).reply.has_value());
}

TEST(ProcessWorkload, OtherPrincipalDenied) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy("allow-sleep", Action::Allow,
                                           {fromPrincipals({"cluster.local/ns/foo/sa/sleep"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(ProcessWorkload, GatewayNamespaceAllowed) {
  MeshGateway mesh;
  config::Source source;
  source.namespaces = {"istio-system"};
  mesh.setWorkloadPolicies(
      {workloadPolicy("allow-ingress", Action::Allow, {fromSource(std::move(source))})});
  Request request = get("/headers");
  EXPECT_FALSE(mesh.process(request).reply.has_value());
}

TEST(ProcessWorkload, SourceIpIsGateway) {
  // get() sends from 10.0.0.9 to the gateway at 10.0.0.1. The sidecar's peer is the gateway.
  MeshGateway mesh;
  mesh.setWorkloadPolicies(
      {workloadPolicy("allow-gateway-ip", Action::Allow, {fromIpBlocks({"10.0.0.1"})})});
  Request request = get("/headers");
  EXPECT_FALSE(mesh.process(request).reply.has_value());
}

TEST(ProcessWorkload, SourceIpIsNotClient) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies(
      {workloadPolicy("allow-client-ip", Action::Allow, {fromIpBlocks({"10.0.0.9"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(ProcessWorkload, RemoteIpIsAppendedClient) {
  // The gateway appends its TCP peer to X-Forwarded-For, and the sidecar trusts that last entry.
  MeshGateway mesh;
  mesh.setWorkloadPolicies(
      {workloadPolicy("allow-client", Action::Allow, {fromRemoteIpBlocks({"10.0.0.9"})})});
  Request request = get("/headers");
  request.headers.set("x-forwarded-for", "203.0.113.7");
  EXPECT_FALSE(mesh.process(request).reply.has_value());
}

TEST(ProcessWorkload, RemoteIpIgnoresEarlierEntries) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies(
      {workloadPolicy("allow-spoofed", Action::Allow, {fromRemoteIpBlocks({"203.0.113.7"})})});
  Request request = get("/headers");
  request.headers.set("x-forwarded-for", "203.0.113.7");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(ProcessWorkload, DestinationPortIsEndpointPort) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies(
      {workloadPolicy("allow-8000", Action::Allow, {when("destination.port", {"8000"})})});
  Request request = get("/headers");
  EXPECT_FALSE(mesh.process(request).reply.has_value());
}

TEST(ProcessWorkload, DestinationPortIsNotListenerPort) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies(
      {workloadPolicy("allow-8080", Action::Allow, {when("destination.port", {"8080"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

// --- Authentication ------------------------------------------------------------------------

TEST(ProcessWorkloadAuthn, BadTokenIsUnauthorized) {
  MeshGateway mesh;
  mesh.setWorkloadRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  Request request = withBearer(get("/headers"), istioTestToken("TokenExpired"));
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
  EXPECT_EQ(outcome.reply->body, "Jwt is expired");
  EXPECT_EQ(outcome.reply->details, "jwt_authn_access_denied{Jwt_is_expired}");
  EXPECT_EQ(outcome.workload, &mesh.snapshot().workloads[0]);
}

TEST(ProcessWorkloadAuthn, MalformedTokenIsUnauthorized) {
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  Request request = withBearer(get("/headers"), "invalidToken");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
  EXPECT_EQ(outcome.reply->body,
            "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
  EXPECT_EQ(replyHeader(*outcome.reply, "www-authenticate"),
            "Bearer realm=\"http://httpbin.example.com/headers\", error=\"invalid_token\"");
}

TEST(ProcessWorkloadAuthn, RejectionSkipsWorkloadPolicies) {
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  mesh.setWorkloadPolicies({workloadPolicy("deny-all", Action::Deny, {config::Rule{}})});
  Request request = withBearer(get("/headers"), "invalidToken");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
}

TEST(ProcessWorkloadAuthn, TokenlessRequestPasses) {
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_EQ(outcome.workload_authn.identity, nullptr);
}

TEST(ProcessWorkloadAuthn, VerifiedTokenStripped) {
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  Request request = withBearer(get("/headers"), demoToken());
  const Outcome outcome = mesh.process(request);
  EXPECT_FALSE(outcome.reply.has_value());
  ASSERT_NE(outcome.workload_authn.identity, nullptr);
  EXPECT_EQ(outcome.workload_authn.identity->sub, "testing@secure.istio.io");
  EXPECT_EQ(request.headers.count(boost::beast::http::field::authorization), 0u);
}

TEST(ProcessWorkloadAuthn, ForwardOriginalTokenKept) {
  MeshGateway mesh;
  config::JwtRule rule = demoRule();
  rule.forward_original_token = true;
  mesh.setWorkloadRules({rule});
  Request request = withBearer(get("/headers"), demoToken());
  mesh.process(request);
  EXPECT_EQ(request.headers[boost::beast::http::field::authorization], "Bearer " + demoToken());
}

TEST(ProcessWorkloadAuthn, ClaimHeaderAdded) {
  MeshGateway mesh;
  config::JwtRule rule = demoRule();
  rule.output_claim_to_headers.push_back(config::ClaimToHeader{"x-jwt-sub", "sub"});
  mesh.setWorkloadRules({rule});
  Request request = withBearer(get("/headers"), demoToken());
  mesh.process(request);
  EXPECT_EQ(request.headers["x-jwt-sub"], "testing@secure.istio.io");
}

TEST(ProcessWorkloadAuthn, GatewayAuthnLeavesTokenAlone) {
  // The gateway has no jwtRules of its own, so the token reaches the workload untouched.
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  Request request = withBearer(get("/headers"), demoToken());
  const Outcome outcome = mesh.process(request);
  EXPECT_EQ(outcome.authn.identity, nullptr);
  EXPECT_NE(outcome.workload_authn.identity, nullptr);
}

TEST(ProcessWorkloadAuthn, PolicySeesWorkloadIdentity) {
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  mesh.setWorkloadPolicies(
      {workloadPolicy("require-jwt", Action::Allow,
                      {fromRequestPrincipals({"testing@secure.istio.io/testing@secure.istio.io"})})});
  Request request = withBearer(get("/headers"), demoToken());
  EXPECT_FALSE(mesh.process(request).reply.has_value());
}

TEST(ProcessWorkloadAuthn, PolicyDeniesTokenless) {
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  mesh.setWorkloadPolicies(
      {workloadPolicy("require-jwt", Action::Allow, {fromRequestPrincipals({"*"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
  EXPECT_EQ(outcome.reply->details, "rbac_access_denied_matched_policy[none]");
}

TEST(ProcessWorkloadAuthn, TokenStrippedByGatewayNeverArrives) {
  // The gateway's own jwtRule verifies and strips the token, so the workload sees no principal.
  MeshGateway mesh;
  mesh.setGatewayRules({demoRule()});
  mesh.setWorkloadRules({demoRule()});
  mesh.setWorkloadPolicies(
      {workloadPolicy("require-jwt", Action::Allow, {fromRequestPrincipals({"*"})})});
  Request request = withBearer(get("/headers"), demoToken());
  const Outcome outcome = mesh.process(request);
  EXPECT_NE(outcome.authn.identity, nullptr);
  EXPECT_EQ(outcome.workload_authn.identity, nullptr);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(ProcessWorkloadAuthn, DecideAgainWithFreshKeys) {
  // Without a key set the workload's provider rejects the token. Once the keys arrive,
  // decideDestination() clears that reply and decides again.
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  const auto keys = mesh.workloadKeys();
  mesh.workloadKeys() = {nullptr};
  Request request = withBearer(get("/headers"), demoToken());
  Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);

  mesh.workloadKeys() = keys;
  decideDestination(mesh.snapshot(), mesh.snapshot().listeners[0], request, mesh.options(),
                    outcome);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_NE(outcome.workload_authn.identity, nullptr);
}

// --- Trace ---------------------------------------------------------------------------------

TEST(ProcessWorkloadTrace, NoteNamesWorkload) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy("allow-ip", Action::Allow, {toPaths({"/ip"})})});
  Request request = get("/ip");
  const Outcome outcome = mesh.process(request, true);
  EXPECT_TRUE(hasNoteContaining(outcome, kWorkloadOrigin)) << notesText(outcome);
  EXPECT_TRUE(hasNoteContaining(outcome, "app: httpbin")) << notesText(outcome);
}

TEST(ProcessWorkloadTrace, RejectionNoteNamesWorkload) {
  MeshGateway mesh;
  mesh.setWorkloadRules({demoRule()});
  Request request = withBearer(get("/headers"), "invalidToken");
  const Outcome outcome = mesh.process(request, true);
  EXPECT_TRUE(hasNoteContaining(outcome, "JWT rejected by " + std::string(kWorkloadOrigin)))
      << notesText(outcome);
}

TEST(ProcessWorkloadTrace, WorkloadPoliciesTraced) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy("deny-headers", Action::Deny, {toPaths({"/headers"})})});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request, true);
  ASSERT_NE(outcome.authz_trace, nullptr);
  bool found = false;
  for (const auto& entry : outcome.authz_trace->entries) {
    found = found || entry.policy == "foo/deny-headers";
  }
  EXPECT_TRUE(found);
}

TEST(ProcessWorkloadTrace, NoNoteWithoutTrace) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadPolicy("allow-ip", Action::Allow, {toPaths({"/ip"})})});
  Request request = get("/ip");
  EXPECT_TRUE(mesh.process(request).notes.empty());
}

// --- CUSTOM at the workload ----------------------------------------------------------------

// The mesh of MeshGateway with provider "ext-authz" (one endpoint) for the workload's CUSTOM
// policies.
void addWorkloadProvider(MeshGateway& mesh) {
  snapshot::Snapshot& snapshot = mesh.snapshot();
  snapshot.clusters.push_back(snapshot::Cluster{"outbound|9002||ext-authz.foo.svc.cluster.local",
                                                {snapshot::Endpoint{"127.0.0.1", 9002}}});
  snapshot::ExtAuthzProvider provider;
  provider.name = "ext-authz";
  provider.http.headers_to_upstream_on_allow = {"x-ext-authz-*"};
  provider.cluster = snapshot.clusters.size() - 1;
  snapshot.ext_authz_providers.push_back(std::move(provider));
  mesh.workload().custom.provider = 0;
}

config::AuthorizationPolicy workloadCustom() {
  config::AuthorizationPolicy custom =
      workloadPolicy("ext-authz", Action::Custom, {toPaths({"/headers"})});
  custom.provider = "ext-authz";
  return custom;
}

extauthz::CheckResponse providerStatus(unsigned status) {
  extauthz::CheckResponse response;
  response.status = status;
  if (status == 200) {
    response.headers = {{"x-ext-authz-check-result", "allowed"}};
  }
  return response;
}

void resumeWith(MeshGateway& mesh, Request& request, unsigned status, Outcome& outcome) {
  authn::KeySets keys;
  proxy::resume(mesh.snapshot(), mesh.snapshot().listeners[0], keys, request, mesh.options(),
                "0f4a8b5e-3c1d-4e2f-9a7b-6c5d4e3f2a1b", providerStatus(status), outcome);
}

TEST(ProcessWorkloadCustom, MatchStopsForACheckAtTheWorkload) {
  MeshGateway mesh;
  addWorkloadProvider(mesh);
  mesh.setWorkloadPolicies({workloadCustom()});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.ext_authz.has_value());
  EXPECT_TRUE(outcome.ext_authz->at_workload);
}

TEST(ProcessWorkloadCustom, CheckSeesTheForwardedRequest) {
  MeshGateway mesh;
  addWorkloadProvider(mesh);
  mesh.mutableProvider().include_request_headers_in_check = {"x-request-id"};
  mesh.setWorkloadPolicies({workloadCustom()});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.ext_authz.has_value());
  const auto& headers = outcome.ext_authz->request.headers;
  const bool has_id = std::any_of(headers.begin(), headers.end(), [](const auto& header) {
    return header.first == "x-request-id";
  });
  EXPECT_TRUE(has_id);
}

TEST(ProcessWorkloadCustom, AllowForwardsWithProviderHeader) {
  MeshGateway mesh;
  addWorkloadProvider(mesh);
  mesh.setWorkloadPolicies({workloadCustom()});
  Request request = get("/headers");
  Outcome outcome = mesh.process(request);
  resumeWith(mesh, request, 200, outcome);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_EQ(request.headers["x-ext-authz-check-result"], "allowed");
}

TEST(ProcessWorkloadCustom, DenialAnswersWithProviderStatus) {
  MeshGateway mesh;
  addWorkloadProvider(mesh);
  mesh.setWorkloadPolicies({workloadCustom()});
  Request request = get("/headers");
  Outcome outcome = mesh.process(request);
  resumeWith(mesh, request, 401, outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
}

TEST(ProcessWorkloadCustom, AllowStillRunsWorkloadDeny) {
  MeshGateway mesh;
  addWorkloadProvider(mesh);
  mesh.setWorkloadPolicies(
      {workloadCustom(), workloadPolicy("deny-headers", Action::Deny, {toPaths({"/headers"})})});
  Request request = get("/headers");
  Outcome outcome = mesh.process(request);
  resumeWith(mesh, request, 200, outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

TEST(ProcessWorkloadCustom, WithoutProviderDenies) {
  MeshGateway mesh;
  mesh.setWorkloadPolicies({workloadCustom()});
  Request request = get("/headers");
  const Outcome outcome = mesh.process(request);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 403u);
}

}  // namespace
}  // namespace portcullis::proxy::testing
