// Single-value checks: names, hosts, IP blocks, ports, Go booleans and durations, header names,
// regexes, path templates and condition keys.
#include "config/validators.h"

#include <gtest/gtest.h>

namespace portcullis::config::internal {
namespace {

TEST(Dns1123, Label) {
  EXPECT_TRUE(isDns1123Label("istio-system"));
  EXPECT_TRUE(isDns1123Label("a1"));
  EXPECT_FALSE(isDns1123Label("Istio"));
  EXPECT_FALSE(isDns1123Label("-a"));
  EXPECT_FALSE(isDns1123Label("a-"));
  EXPECT_FALSE(isDns1123Label("a.b"));
  EXPECT_FALSE(isDns1123Label(""));
  EXPECT_FALSE(isDns1123Label(std::string(64, 'a')));
}

TEST(Dns1123, Subdomain) {
  EXPECT_TRUE(isDns1123Subdomain("a.b-c.d"));
  EXPECT_FALSE(isDns1123Subdomain("a..b"));
  EXPECT_FALSE(isDns1123Subdomain("a_b"));
  EXPECT_FALSE(isDns1123Subdomain(std::string(254, 'a')));
}

TEST(WildcardDomain, AcceptsIstioForms) {
  for (const char* domain : {"*", "*.example.com", "example.com", "example.com.", "Web.Example",
                             "*foo.example.com", "httpbin.foo.svc.cluster.local"}) {
    EXPECT_EQ(validateWildcardDomain(domain), "") << domain;
  }
}

TEST(WildcardDomain, RejectsBadForms) {
  for (const char* domain :
       {"", "a..b", "a.*.b", "bad_host.example.com", "example.123", "-a.example.com"}) {
    EXPECT_NE(validateWildcardDomain(domain), "") << domain;
  }
}

TEST(GatewayServerHost, Forms) {
  for (const char* host : {"*", "a.example.com", "*.example.com", "ns/a.example.com",
                           "*/a.example.com", "./a.example.com", "10.0.0.1", "ns/*"}) {
    EXPECT_EQ(validateGatewayServerHost(host), "") << host;
  }
  for (const char* host : {"web", "a*.example.com", "/a.example.com", "ns/", "Bad_NS/a.b.c"}) {
    EXPECT_NE(validateGatewayServerHost(host), "") << host;
  }
}

TEST(GatewayReference, Forms) {
  EXPECT_EQ(validateGatewayReference("mesh"), "");
  EXPECT_EQ(validateGatewayReference("httpbin-gateway"), "");
  EXPECT_EQ(validateGatewayReference("istio-system/gw"), "");
  EXPECT_NE(validateGatewayReference("ns/"), "");
  EXPECT_NE(validateGatewayReference("ns/a.b"), "");
}

TEST(IpAddress, FollowsGoNetip) {
  for (const char* ip : {"1.2.3.4", "0.0.0.0", "::1", "fe80::1%eth0", "::ffff:1.2.3.4"}) {
    EXPECT_TRUE(parseIpAddress(ip)) << ip;
  }
  for (const char* ip : {"01.2.3.4", "1.2.3", "256.0.0.1", "1.2.3.4 ", "fe80::1%", "abc", ""}) {
    EXPECT_FALSE(parseIpAddress(ip)) << ip;
  }
}

TEST(Cidr, FollowsGoNetip) {
  for (const char* cidr : {"10.0.0.0/8", "192.168.1.1/24", "0.0.0.0/0", "::/0", "2001:db8::/32"}) {
    EXPECT_TRUE(parseCidr(cidr)) << cidr;
  }
  for (const char* cidr : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "::/129", "fe80::1%eth0/64",
                           "10.0.0/8", "10.0.0.0/-1"}) {
    EXPECT_FALSE(parseCidr(cidr)) << cidr;
  }
}

TEST(IpOrCidr, WordsErrorsLikeIstio) {
  EXPECT_EQ(validateIpOrCidr("10.0.0.1"), "");
  EXPECT_EQ(validateIpOrCidr("300.1.1.1").rfind("bad IP address (300.1.1.1)", 0), 0u);
  EXPECT_EQ(validateIpOrCidr("1.2.3.4/40").rfind("bad CIDR range (1.2.3.4/40)", 0), 0u);
}

TEST(PortString, DecimalRange) {
  EXPECT_EQ(parsePortString("0"), 0u);
  EXPECT_EQ(parsePortString("8080"), 8080u);
  EXPECT_EQ(parsePortString("080"), 80u);
  EXPECT_EQ(parsePortString("65535"), 65535u);
  EXPECT_FALSE(parsePortString("65536"));
  EXPECT_FALSE(parsePortString("-1"));
  EXPECT_FALSE(parsePortString("+80"));
  EXPECT_FALSE(parsePortString("http"));
  EXPECT_FALSE(parsePortString(""));
}

TEST(GoBool, AcceptsExactlyTwelveSpellings) {
  for (const char* value : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_EQ(parseGoBool(value), true) << value;
  }
  for (const char* value : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_EQ(parseGoBool(value), false) << value;
  }
  for (const char* value : {"yes", "no", "tRUE", "on", "", " true"}) {
    EXPECT_FALSE(parseGoBool(value).has_value()) << value;
  }
}

TEST(GoDuration, Parses) {
  EXPECT_EQ(parseGoDuration("5s"), 5000000000);
  EXPECT_EQ(parseGoDuration("1.5s"), 1500000000);
  EXPECT_EQ(parseGoDuration("100ms"), 100000000);
  EXPECT_EQ(parseGoDuration("1m"), 60000000000);
  EXPECT_EQ(parseGoDuration("1h30m"), 5400000000000);
  EXPECT_EQ(parseGoDuration(".5s"), 500000000);
  EXPECT_EQ(parseGoDuration("1us"), 1000);
  EXPECT_EQ(parseGoDuration("1\xC2\xB5s"), 1000);
  EXPECT_EQ(parseGoDuration("0"), 0);
  EXPECT_EQ(parseGoDuration("-2s"), -2000000000);
}

TEST(GoDuration, Rejects) {
  for (const char* text : {"", "5", "s", ".s", "5 s", "5d", "1.5", "--1s", "9999999999999h"}) {
    EXPECT_FALSE(parseGoDuration(text).has_value()) << text;
  }
}

TEST(GatewayApiDuration, FollowsGep2257) {
  EXPECT_EQ(parseGatewayApiDuration("10s"), 10000000000);
  EXPECT_EQ(parseGatewayApiDuration("1h2m3s4ms"), 3723004000000);
  EXPECT_EQ(parseGatewayApiDuration("0s"), 0);
  EXPECT_FALSE(parseGatewayApiDuration("1.5s"));
  EXPECT_FALSE(parseGatewayApiDuration("123456s"));
  EXPECT_FALSE(parseGatewayApiDuration("1s1s1s1s1s"));
  EXPECT_FALSE(parseGatewayApiDuration("1us"));
  EXPECT_FALSE(parseGatewayApiDuration(""));
}

TEST(HeaderName, TokenAndStrict) {
  EXPECT_TRUE(isHttpToken("x-custom_header.v1"));
  EXPECT_FALSE(isHttpToken("bad header"));
  EXPECT_FALSE(isHttpToken(""));
  EXPECT_TRUE(isStrictHeaderName("x-jwt-sub"));
  EXPECT_FALSE(isStrictHeaderName("x_jwt"));
}

TEST(Regex, CompilesWithEcmaScript) {
  EXPECT_EQ(validateRegex("/api/v[0-9]+"), "");
  EXPECT_NE(validateRegex("(unclosed"), "");
  EXPECT_NE(validateRegex("[a-"), "");
  EXPECT_NE(validateRegex(""), "");
  EXPECT_NE(validateRegex(std::string(1025, 'a')), "");
}

TEST(PathTemplate, AllowsOnlyWholeSegmentOperators) {
  for (const char* path : {"/a/{*}/b", "/a/{**}", "/store/{**}/cart", "/plain*", "*/info"}) {
    EXPECT_EQ(validatePathTemplate(path), "") << path;
  }
  for (const char* path :
       {"/a/{*}/{name}", "/a/{name=*}/{**}", "/a/{*}/*", "/{**}/b*/", "/a/{}/{*}"}) {
    EXPECT_NE(validatePathTemplate(path), "") << path;
  }
}

TEST(ConditionKey, ClassifiesValues) {
  ConditionValues values = ConditionValues::Any;
  EXPECT_EQ(validateConditionKey("source.ip", values), "");
  EXPECT_EQ(values, ConditionValues::IpBlocks);
  EXPECT_EQ(validateConditionKey("destination.port", values), "");
  EXPECT_EQ(values, ConditionValues::Ports);
  EXPECT_EQ(validateConditionKey("request.auth.claims[a][b]", values), "");
  EXPECT_EQ(values, ConditionValues::Any);
}

TEST(ConditionKey, RejectsMalformedKeys) {
  ConditionValues values = ConditionValues::Any;
  for (const char* key :
       {"request.auth.claim[groups]", "request.headers", "request.headers[a][b]",
        "request.auth.claims", "request.auth.claims[]", "request.auth.claims[a]b",
        "experimental.envoy.filters.x", "source.ips", "destination.labels[app]"}) {
    EXPECT_NE(validateConditionKey(key, values), "") << key;
  }
}

TEST(Labels, KeysAndValues) {
  EXPECT_EQ(validateLabelKey("app"), "");
  EXPECT_EQ(validateLabelKey("gateway.networking.k8s.io/gateway-name"), "");
  EXPECT_NE(validateLabelKey("Bad.Prefix/app"), "");
  EXPECT_NE(validateLabelKey("a b"), "");
  EXPECT_EQ(validateLabelValue(""), "");
  EXPECT_EQ(validateLabelValue("v1.2_3"), "");
  EXPECT_NE(validateLabelValue("-v"), "");
}

TEST(Jwks, ParsesSetsAndSingleKeys) {
  bool has_private_key = false;
  EXPECT_EQ(validateJwks(R"({"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]})", &has_private_key), "");
  EXPECT_FALSE(has_private_key);
  EXPECT_EQ(validateJwks(R"({"kty":"oct","k":"c2VjcmV0"})", &has_private_key), "");
  EXPECT_EQ(validateJwks(R"({"keys":[{"kty":"EC","d":"x"}]})", &has_private_key), "");
  EXPECT_TRUE(has_private_key);
  EXPECT_NE(validateJwks(R"({"keys":[{"kty":"XYZ"}]})", &has_private_key), "");
  EXPECT_NE(validateJwks(R"({"keys":{}})", &has_private_key), "");
  EXPECT_NE(validateJwks("[]", &has_private_key), "");
  EXPECT_NE(validateJwks("{", &has_private_key), "");
}

TEST(JwksUri, NeedsHttpSchemeAndHost) {
  EXPECT_EQ(validateJwksUri("https://example.com/jwks.json"), "");
  EXPECT_EQ(validateJwksUri("HTTP://127.0.0.1:9/jwks"), "");
  EXPECT_NE(validateJwksUri("ftp://example.com/jwks"), "");
  EXPECT_NE(validateJwksUri("example.com/jwks"), "");
  EXPECT_NE(validateJwksUri("https:///jwks"), "");
  EXPECT_NE(validateJwksUri("https://exa mple.com/"), "");
}

TEST(ProviderService, Forms) {
  EXPECT_EQ(validateProviderService("ext-authz.foo.svc.cluster.local"), "");
  EXPECT_EQ(validateProviderService("foo/ext-authz.local"), "");
  EXPECT_EQ(validateProviderService("ext-authz"), "");
  EXPECT_EQ(validateProviderService("127.0.0.1"), "");
  EXPECT_NE(validateProviderService(""), "");
  EXPECT_NE(validateProviderService("foo/ext-authz"), "");
  EXPECT_NE(validateProviderService("bad_host!"), "");
}

TEST(StatusCode, EnvoyNames) {
  EXPECT_TRUE(isEnvoyStatusCode(403));
  EXPECT_TRUE(isEnvoyStatusCode(503));
  EXPECT_FALSE(isEnvoyStatusCode(299));
  EXPECT_FALSE(isEnvoyStatusCode(0));
}

}  // namespace
}  // namespace portcullis::config::internal
