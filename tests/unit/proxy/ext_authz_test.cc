// CUSTOM authorization in the pipeline: decide() stops for a check, resume() goes on with the
// provider's response. The responses are built here; tests/e2e/test_ext_authz.py sends real checks.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline_test_util.h"

namespace portcullis::proxy::testing {
namespace {

using Action = config::AuthorizationPolicy::Action;
namespace http = boost::beast::http;

constexpr std::string_view kCheckRequestId = "3c5b1d6e-0f0a-4c1e-9d8b-7f6a5e4d3c2b";

// The Gateway of pipeline_test_util.h with provider "ext-authz" (cluster 3, one endpoint) and a
// CUSTOM policy that sends /ext* to it.
class ExtAuthzGateway {
 public:
  ExtAuthzGateway() {
    snapshot::Snapshot& snapshot = gateway_.snapshot();
    snapshot.clusters.push_back(snapshot::Cluster{"outbound|9002||ext-authz.local",
                                                  {snapshot::Endpoint{"127.0.0.1", 9002}}});
    snapshot::ExtAuthzProvider provider;
    provider.name = "ext-authz";
    provider.http.service = "ext-authz.local";
    provider.http.port = 9002;
    provider.http.include_request_headers_in_check = {"x-ext-authz"};
    provider.cluster = snapshot.clusters.size() - 1;
    snapshot.ext_authz_providers.push_back(std::move(provider));
    gateway_.listener().custom.provider = 0;
    config::AuthorizationPolicy custom = policy("ext-authz", Action::Custom, {toPaths({"/ext*"})});
    custom.provider = "ext-authz";
    gateway_.setPolicies({custom});
  }

  Gateway& gateway() { return gateway_; }
  config::ExtAuthzHttpProvider& provider() {
    return gateway_.snapshot().ext_authz_providers[0].http;
  }

  Outcome process(Request& request) {
    DecideOptions options;
    options.now = kNow;
    return proxy::process(gateway_.snapshot(), gateway_.listener(), keys_, request, options,
                          std::string(kCheckRequestId));
  }

  void resume(Request& request, const extauthz::CheckResponse& response, Outcome& outcome) {
    DecideOptions options;
    options.now = kNow;
    proxy::resume(gateway_.snapshot(), gateway_.listener(), keys_, request, options,
                  std::string(kCheckRequestId), response, outcome);
  }

 private:
  Gateway gateway_;
  authn::KeySets keys_;
};

extauthz::CheckResponse answer(unsigned status, extauthz::HeaderList headers = {},
                               std::string body = {}) {
  extauthz::CheckResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

extauthz::CheckResponse noAnswer() {
  extauthz::CheckResponse response;
  response.error = "connection refused";
  return response;
}

TEST(ExtAuthzDecide, MatchingRequestStopsForACheck) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  const Outcome outcome = gateway.process(request);
  EXPECT_TRUE(outcome.ext_authz.has_value());
}

TEST(ExtAuthzDecide, StoppedRequestHasNoReply) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  EXPECT_FALSE(gateway.process(request).reply.has_value());
}

TEST(ExtAuthzDecide, StoppedRequestIsNotRouted) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  EXPECT_EQ(gateway.process(request).forward.route, nullptr);
}

TEST(ExtAuthzDecide, CheckGoesToTheProviderEndpoint) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  const Outcome outcome = gateway.process(request);
  ASSERT_TRUE(outcome.ext_authz.has_value());
  ASSERT_NE(outcome.ext_authz->endpoint, nullptr);
  EXPECT_EQ(outcome.ext_authz->endpoint->port, 9002);
}

TEST(ExtAuthzDecide, CheckCarriesTheNormalizedPath) {
  ExtAuthzGateway gateway;
  Request request = get("/x/../ext/a");
  const Outcome outcome = gateway.process(request);
  ASSERT_TRUE(outcome.ext_authz.has_value());
  EXPECT_EQ(outcome.ext_authz->request.target, "/ext/a");
}

TEST(ExtAuthzDecide, DefaultTimeoutIsIstios) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  const Outcome outcome = gateway.process(request);
  ASSERT_TRUE(outcome.ext_authz.has_value());
  EXPECT_EQ(outcome.ext_authz->timeout, std::chrono::seconds(600));
}

TEST(ExtAuthzDecide, OtherPathsNeedNoCheck) {
  ExtAuthzGateway gateway;
  Request request = get("/headers");
  const Outcome outcome = gateway.process(request);
  EXPECT_FALSE(outcome.ext_authz.has_value());
}

TEST(ExtAuthzDecide, CheckComesBeforeJwt) {
  ExtAuthzGateway gateway;
  gateway.gateway().setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  Request request = withBearer(get("/ext/a"), istioTestToken("TokenExpired"));
  const Outcome outcome = gateway.process(request);
  EXPECT_TRUE(outcome.ext_authz.has_value());
}

TEST(ExtAuthzResume, AllowForwards) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200), outcome);
  EXPECT_FALSE(outcome.reply.has_value());
  EXPECT_NE(outcome.forward.endpoint, nullptr);
}

TEST(ExtAuthzResume, AllowPreparesTheUpstreamRequest) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200), outcome);
  EXPECT_EQ(request.headers["x-request-id"], kCheckRequestId);
}

TEST(ExtAuthzResume, AllowThenJwtRejectsExpiredToken) {
  ExtAuthzGateway gateway;
  gateway.gateway().setRules({ruleOf(kTestIssuer1, istioTestJwksText())});
  Request request = withBearer(get("/ext/a"), istioTestToken("TokenExpired"));
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200), outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
}

TEST(ExtAuthzResume, AllowDoesNotBypassDeny) {
  ExtAuthzGateway gateway;
  config::AuthorizationPolicy custom = policy("ext-authz", Action::Custom, {toPaths({"/ext*"})});
  custom.provider = "ext-authz";
  gateway.gateway().setPolicies({custom, policy("deny-ext", Action::Deny, {toPaths({"/ext/a"})})});
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200), outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->body, "RBAC: access denied");
}

TEST(ExtAuthzResume, AllowSetsListedHeadersUpstream) {
  ExtAuthzGateway gateway;
  gateway.provider().headers_to_upstream_on_allow = {"x-ext-authz-*"};
  Request request = get("/ext/a");
  request.headers.set("x-ext-authz-check-result", "forged");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200, {{"x-ext-authz-check-result", "allowed"}}), outcome);
  EXPECT_EQ(request.headers["x-ext-authz-check-result"], "allowed");
}

TEST(ExtAuthzResume, AllowKeepsUnlistedHeadersFromUpstream) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200, {{"x-ext-authz-check-result", "allowed"}}), outcome);
  EXPECT_EQ(request.headers.count("x-ext-authz-check-result"), 0u);
}

TEST(ExtAuthzResume, AllowRemovesNamedHeaders) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  request.headers.set("x-session", "secret");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200, {{"x-envoy-auth-headers-to-remove", "x-session"}}), outcome);
  EXPECT_EQ(request.headers.count("x-session"), 0u);
}

TEST(ExtAuthzResume, AllowKeepsListedHeadersForTheClient) {
  ExtAuthzGateway gateway;
  gateway.provider().headers_to_downstream_on_allow = {"x-note"};
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200, {{"x-note", "checked"}}), outcome);
  EXPECT_EQ(outcome.response_headers, (extauthz::HeaderList{{"x-note", "checked"}}));
}

TEST(ExtAuthzResume, DenialKeepsTheProviderStatus) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(401, {}, "who are you"), outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->status, 401u);
}

TEST(ExtAuthzResume, DenialKeepsTheProviderBody) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(403, {}, "denied by the provider"), outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->body, "denied by the provider");
}

TEST(ExtAuthzResume, DenialCarriesProviderHeaders) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(302, {{"location", "https://login.example.com/"}}), outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(replyHeader(*outcome.reply, "location"), "https://login.example.com/");
}

TEST(ExtAuthzResume, ErrorAnswersStatusOnErrorWithoutBody) {
  ExtAuthzGateway gateway;
  gateway.provider().status_on_error = 503;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, noAnswer(), outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(std::make_pair(outcome.reply->status, outcome.reply->body),
            std::make_pair(503u, std::string()));
}

TEST(ExtAuthzResume, ServerErrorIsAnError) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(500, {}, "oops"), outcome);
  ASSERT_TRUE(outcome.reply.has_value());
  EXPECT_EQ(outcome.reply->details, "ext_authz_error");
}

TEST(ExtAuthzResume, FailOpenForwardsOnError) {
  ExtAuthzGateway gateway;
  gateway.provider().fail_open = true;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, noAnswer(), outcome);
  EXPECT_FALSE(outcome.reply.has_value());
}

TEST(ExtAuthzResume, FailOpenStillHonoursDenials) {
  ExtAuthzGateway gateway;
  gateway.provider().fail_open = true;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(403), outcome);
  EXPECT_TRUE(outcome.reply.has_value());
}

TEST(ExtAuthzResume, RecordsTheExchange) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  Outcome outcome = gateway.process(request);
  gateway.resume(request, answer(200), outcome);
  ASSERT_EQ(outcome.ext_authz_exchanges.size(), 1u);
  EXPECT_EQ(outcome.ext_authz_exchanges[0].verdict, extauthz::Verdict::Allow);
}

TEST(ExtAuthzDecide, DecidingAgainAfterAnAllowSkipsTheCheck) {
  ExtAuthzGateway gateway;
  Request request = get("/ext/a");
  DecideOptions options;
  options.now = kNow;
  options.gateway_custom_done = true;
  authn::KeySets keys;
  const Outcome outcome = proxy::decide(gateway.gateway().snapshot(), gateway.gateway().listener(),
                                        keys, request, options);
  EXPECT_FALSE(outcome.ext_authz.has_value());
}

TEST(ExtAuthzDecide, ProviderWithoutEndpointStillStops) {
  ExtAuthzGateway gateway;
  gateway.gateway().snapshot().clusters.back().endpoints.clear();
  Request request = get("/ext/a");
  const Outcome outcome = gateway.process(request);
  ASSERT_TRUE(outcome.ext_authz.has_value());
  EXPECT_EQ(outcome.ext_authz->endpoint, nullptr);
}

}  // namespace
}  // namespace portcullis::proxy::testing
