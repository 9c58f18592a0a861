// The check request built for a client request, and what each kind of provider response means.
#include "extauthz/check.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace portcullis::extauthz {
namespace {

namespace http = boost::beast::http;

// The value of `name` in `headers`, or "<absent>".
std::string valueOf(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) {
      return value;
    }
  }
  return "<absent>";
}

config::ExtAuthzHttpProvider sampleProvider() {
  config::ExtAuthzHttpProvider provider;
  provider.service = "ext-authz.foo.svc.cluster.local";
  provider.port = 8000;
  provider.include_request_headers_in_check = {"x-ext-authz"};
  return provider;
}

http::fields clientHeaders() {
  http::fields headers;
  headers.set(http::field::host, "www.example.com");
  headers.set(http::field::user_agent, "curl/8.0");
  headers.set(http::field::authorization, "Bearer abc");
  headers.set(http::field::content_length, "12");
  headers.insert("X-Ext-Authz", "allow");
  return headers;
}

CheckResponse answer(unsigned status, HeaderList headers = {}, std::string body = {}) {
  CheckResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

TEST(HeaderListed, ExactNameIgnoresCase) {
  EXPECT_TRUE(headerListed({"X-Ext-Authz"}, "x-ext-authz"));
}

TEST(HeaderListed, ExactNameIsNotAPrefix) {
  EXPECT_FALSE(headerListed({"x-ext"}, "x-ext-authz"));
}

TEST(HeaderListed, TrailingStarIsAPrefix) {
  EXPECT_TRUE(headerListed({"x-ext-authz-*"}, "x-ext-authz-check-result"));
}

TEST(HeaderListed, LeadingStarIsASuffix) {
  EXPECT_TRUE(headerListed({"*-result"}, "x-ext-authz-check-result"));
}

TEST(HeaderListed, SuffixPatternRejectsOtherEndings) {
  EXPECT_FALSE(headerListed({"*-result"}, "x-ext-authz-check"));
}

TEST(HeaderListed, EmptyListMatchesNothing) {
  EXPECT_FALSE(headerListed({}, "x-ext-authz"));
}

TEST(BuildCheckRequest, KeepsMethod) {
  EXPECT_EQ(buildCheckRequest(sampleProvider(), "POST", "/headers", clientHeaders()).method,
            "POST");
}

TEST(BuildCheckRequest, PathPrefixComesFirst) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.path_prefix = "/check";
  EXPECT_EQ(buildCheckRequest(provider, "GET", "/headers?a=1", clientHeaders()).target,
            "/check/headers?a=1");
}

TEST(BuildCheckRequest, CarriesHost) {
  const CheckRequest check = buildCheckRequest(sampleProvider(), "GET", "/", clientHeaders());
  EXPECT_EQ(valueOf(check.headers, "host"), "www.example.com");
}

TEST(BuildCheckRequest, CarriesAuthorization) {
  const CheckRequest check = buildCheckRequest(sampleProvider(), "GET", "/", clientHeaders());
  EXPECT_EQ(valueOf(check.headers, "authorization"), "Bearer abc");
}

TEST(BuildCheckRequest, CarriesListedHeaderWithLowerCaseName) {
  const CheckRequest check = buildCheckRequest(sampleProvider(), "GET", "/", clientHeaders());
  EXPECT_EQ(valueOf(check.headers, "x-ext-authz"), "allow");
}

TEST(BuildCheckRequest, LeavesOutUnlistedHeaders) {
  const CheckRequest check = buildCheckRequest(sampleProvider(), "GET", "/", clientHeaders());
  EXPECT_EQ(valueOf(check.headers, "user-agent"), "<absent>");
}

TEST(BuildCheckRequest, NeverCopiesTheClientContentLength) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.include_request_headers_in_check = {"content-length"};
  const CheckRequest check = buildCheckRequest(provider, "GET", "/", clientHeaders());
  EXPECT_EQ(valueOf(check.headers, "content-length"), "<absent>");
}

TEST(BuildCheckRequest, JoinsRepeatedHeaders) {
  http::fields headers = clientHeaders();
  headers.insert("x-ext-authz", "second");
  const CheckRequest check = buildCheckRequest(sampleProvider(), "GET", "/", headers);
  EXPECT_EQ(valueOf(check.headers, "x-ext-authz"), "allow,second");
}

TEST(BuildCheckRequest, AdditionalHeaderReplacesClientValue) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.include_additional_headers_in_check = {{"X-Ext-Authz", "fixed"}};
  const CheckRequest check = buildCheckRequest(provider, "GET", "/", clientHeaders());
  EXPECT_EQ(valueOf(check.headers, "x-ext-authz"), "fixed");
}

TEST(BuildCheckRequest, AdditionalHeaderIsAddedWhenAbsent) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.include_additional_headers_in_check = {{"x-extra", "value"}};
  const CheckRequest check = buildCheckRequest(provider, "GET", "/", clientHeaders());
  EXPECT_EQ(valueOf(check.headers, "x-extra"), "value");
}

TEST(BuildCheckRequest, NeverSendsExpect) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.include_request_headers_in_check = {"*ect"};
  http::fields headers = clientHeaders();
  headers.set(http::field::expect, "100-continue");
  const CheckRequest check = buildCheckRequest(provider, "POST", "/", headers);
  EXPECT_EQ(valueOf(check.headers, "expect"), "<absent>");
}

TEST(BuildCheckRequest, NeverSendsTransferEncoding) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.include_request_headers_in_check = {"transfer-*"};
  http::fields headers = clientHeaders();
  headers.set(http::field::transfer_encoding, "chunked");
  const CheckRequest check = buildCheckRequest(provider, "POST", "/", headers);
  EXPECT_EQ(valueOf(check.headers, "transfer-encoding"), "<absent>");
}

TEST(BuildCheckRequest, ListedForwardingHeaderReplacesClients) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.include_request_headers_in_check = {"x-forwarded-*"};
  http::fields headers = clientHeaders();
  headers.set("x-forwarded-for", "6.6.6.6");
  const CheckRequest check =
      buildCheckRequest(provider, "GET", "/", headers, {{"x-forwarded-for", "6.6.6.6,10.0.0.9"}});
  EXPECT_EQ(valueOf(check.headers, "x-forwarded-for"), "6.6.6.6,10.0.0.9");
}

TEST(BuildCheckRequest, UnlistedForwardingHeaderIsLeftOut) {
  const CheckRequest check = buildCheckRequest(sampleProvider(), "GET", "/", clientHeaders(),
                                               {{"x-forwarded-proto", "http"}});
  EXPECT_EQ(valueOf(check.headers, "x-forwarded-proto"), "<absent>");
}

TEST(Classify, OkAllows) {
  EXPECT_EQ(classify(answer(200)), Verdict::Allow);
}

TEST(Classify, OtherSuccessDenies) {
  EXPECT_EQ(classify(answer(204)), Verdict::Deny);
}

TEST(Classify, RedirectDenies) {
  EXPECT_EQ(classify(answer(302)), Verdict::Deny);
}

TEST(Classify, ForbiddenDenies) {
  EXPECT_EQ(classify(answer(403)), Verdict::Deny);
}

TEST(Classify, InformationalIsAnError) {
  EXPECT_EQ(classify(answer(100)), Verdict::Error);
}

TEST(Classify, ServerErrorIsAnError) {
  EXPECT_EQ(classify(answer(503)), Verdict::Error);
}

TEST(Classify, NoResponseIsAnError) {
  CheckResponse response;
  response.error = "connection refused";
  EXPECT_EQ(classify(response), Verdict::Error);
}

TEST(DeniedResponseHeaders, WithoutListEveryHeaderGoes) {
  const CheckResponse response = answer(403, {{"x-reason", "no"}, {"set-cookie", "a=b"}});
  EXPECT_EQ(deniedResponseHeaders(sampleProvider(), response).size(), 2u);
}

TEST(DeniedResponseHeaders, FramingHeadersNeverGo) {
  const CheckResponse response =
      answer(403, {{"content-length", "5"}, {"connection", "close"}, {"x-reason", "no"}});
  EXPECT_EQ(deniedResponseHeaders(sampleProvider(), response), (HeaderList{{"x-reason", "no"}}));
}

TEST(DeniedResponseHeaders, DateAndServerNeverGo) {
  const CheckResponse response =
      answer(403, {{"date", "Fri, 04 Dec 2026 00:00:00 GMT"}, {"server", "authz"}});
  EXPECT_TRUE(deniedResponseHeaders(sampleProvider(), response).empty());
}

TEST(DeniedResponseHeaders, EmptyListCountsAsUnset) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.headers_to_downstream_on_deny = {};
  const CheckResponse response = answer(403, {{"x-reason", "no"}});
  EXPECT_EQ(deniedResponseHeaders(provider, response).size(), 1u);
}

TEST(DeniedResponseHeaders, ListKeepsOnlyListedHeaders) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.headers_to_downstream_on_deny = {"x-ext-authz-*"};
  const CheckResponse response =
      answer(403, {{"x-ext-authz-check-result", "denied"}, {"content-type", "text/plain"}});
  EXPECT_EQ(deniedResponseHeaders(provider, response),
            (HeaderList{{"x-ext-authz-check-result", "denied"}}));
}

TEST(DeniedResponseHeaders, ListAlwaysKeepsLocation) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.headers_to_downstream_on_deny = {"x-ext-authz-*"};
  const CheckResponse response = answer(302, {{"location", "https://login.example.com/"}});
  EXPECT_EQ(valueOf(deniedResponseHeaders(provider, response), "location"),
            "https://login.example.com/");
}

TEST(DeniedResponseHeaders, ListAlwaysKeepsWwwAuthenticate) {
  config::ExtAuthzHttpProvider provider = sampleProvider();
  provider.headers_to_downstream_on_deny = {"x-ext-authz-*"};
  const CheckResponse response = answer(401, {{"www-authenticate", "Basic"}});
  EXPECT_EQ(valueOf(deniedResponseHeaders(provider, response), "www-authenticate"), "Basic");
}

TEST(AllowedHeaders, KeepsListedHeaders) {
  const CheckResponse response =
      answer(200, {{"x-ext-authz-check-result", "allowed"}, {"x-other", "1"}});
  EXPECT_EQ(allowedHeaders({"x-ext-authz-*"}, response),
            (HeaderList{{"x-ext-authz-check-result", "allowed"}}));
}

TEST(AllowedHeaders, EmptyListKeepsNothing) {
  EXPECT_TRUE(allowedHeaders({}, answer(200, {{"x-ext-authz-check-result", "allowed"}})).empty());
}

TEST(HeadersToRemove, SplitsTheList) {
  const CheckResponse response = answer(200, {{"x-envoy-auth-headers-to-remove", "X-A, x-b"}});
  EXPECT_EQ(headersToRemove(response), (std::vector<std::string>{"x-a", "x-b"}));
}

TEST(HeadersToRemove, NeverRemovesBodyFraming) {
  const CheckResponse response =
      answer(200, {{"x-envoy-auth-headers-to-remove", "content-length,Transfer-Encoding,x-a"}});
  EXPECT_EQ(headersToRemove(response), (std::vector<std::string>{"x-a"}));
}

TEST(HeadersToRemove, NeverRemovesHostOrPseudoHeaders) {
  const CheckResponse response =
      answer(200, {{"x-envoy-auth-headers-to-remove", "host,:path,x-a"}});
  EXPECT_EQ(headersToRemove(response), (std::vector<std::string>{"x-a"}));
}

}  // namespace
}  // namespace portcullis::extauthz
