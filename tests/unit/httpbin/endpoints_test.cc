// Each endpoint over a real connection, checked against the shapes of Debian 12's httpbin 0.7.0.
#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <string>

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "test_client.h"

namespace portcullis::httpbin::testing {
namespace {

using HttpbinEndpoint = ServerTest;

const json::object& objectAt(const json::value& value, std::string_view key) {
  return value.as_object().at(key).as_object();
}

TEST_F(HttpbinEndpoint, GetArgs) {
  const ClientResponse response = get("/get?a=1&a=2&b=x+y&c");
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  const json::value body = parseJson(response);
  const json::object& args = objectAt(body, "args");
  EXPECT_EQ(args.at("a"), json::array({"1", "2"}));
  EXPECT_EQ(args.at("b"), "x y");
  EXPECT_EQ(args.at("c"), "");
}

TEST_F(HttpbinEndpoint, GetShape) {
  const json::value body = parseJson(get("/get?q=1"));
  const json::object& object = body.as_object();
  EXPECT_EQ(object.size(), 4u);
  EXPECT_EQ(object.at("origin"), "127.0.0.1");
  EXPECT_EQ(object.at("url"), "http://httpbin.test/get?q=1");
  EXPECT_TRUE(object.at("headers").is_object());
}

TEST_F(HttpbinEndpoint, GetHeaderNames) {
  ClientRequest request = makeRequest(http::verb::get, "/get");
  request.insert("x-jwt-sub", "alice");
  request.insert("x-multi", "1");
  request.insert("X-Multi", "2");
  request.insert("x_under", "u");
  const json::value body = parseJson(roundTrip(request));
  const json::object& headers = objectAt(body, "headers");
  EXPECT_EQ(headers.at("X-Jwt-Sub"), "alice");
  EXPECT_EQ(headers.at("X-Multi"), "1,2");
  EXPECT_EQ(headers.at("X-Under"), "u");
  EXPECT_EQ(headers.at("User-Agent"), json::value(kTestUserAgent));
  EXPECT_EQ(headers.at("Host"), json::value(kTestHost));
}

TEST_F(HttpbinEndpoint, GetRejectsPost) {
  const ClientResponse response = roundTrip(makeRequest(http::verb::post, "/get", "x"));
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[http::field::allow], "GET, HEAD, OPTIONS");
}

TEST_F(HttpbinEndpoint, UrlDropsDefaultPort) {
  ClientRequest request = makeRequest(http::verb::get, "/get");
  request.set(http::field::host, "example.com:80");
  EXPECT_EQ(parseJson(roundTrip(request)).at("url"), "http://example.com/get");
  request.set(http::field::host, "example.com:8080");
  EXPECT_EQ(parseJson(roundTrip(request)).at("url"), "http://example.com:8080/get");
}

TEST_F(HttpbinEndpoint, UrlUsesForwardedProto) {
  ClientRequest request = makeRequest(http::verb::get, "/get");
  request.set("X-Forwarded-Proto", "https");
  EXPECT_EQ(parseJson(roundTrip(request)).at("url"), "https://httpbin.test/get");
}

TEST_F(HttpbinEndpoint, UrlEscaping) {
  const json::value body = parseJson(get("/anything/a%20b%41@?u=/x&c=%C3%A9"));
  EXPECT_EQ(body.at("url"), "http://httpbin.test/anything/a%20bA%40?u=%2Fx&c=\xC3\xA9");
}

TEST_F(HttpbinEndpoint, UrlHttpsDropsPort443) {
  ClientRequest request = makeRequest(http::verb::get, "/get");
  request.set(http::field::host, "example.com:443");
  request.set("X-Forwarded-Proto", "https");
  EXPECT_EQ(parseJson(roundTrip(request)).at("url"), "https://example.com/get");
}

TEST_F(HttpbinEndpoint, UrlWithoutHost) {
  TestClient client(endpoint());
  client.sendRaw("GET /get HTTP/1.0\r\n\r\n");
  const json::value body = parseJson(client.receive());
  const std::string url = "http://127.0.0.1:" + std::to_string(endpoint().port()) + "/get";
  EXPECT_EQ(body.at("url"), json::value(url));
  EXPECT_TRUE(body.at("headers").as_object().empty());
}

TEST_F(HttpbinEndpoint, HeadersHidesForwardingHeaders) {
  ClientRequest request = makeRequest(http::verb::get, "/headers");
  request.set("X-Forwarded-For", "10.0.0.1");
  request.set("X-Request-Id", "r-1");
  request.set("X-Envoy-Attempt-Count", "1");
  const json::value body = parseJson(roundTrip(request));
  const json::object& headers = objectAt(body, "headers");
  EXPECT_FALSE(headers.contains("X-Forwarded-For"));
  EXPECT_FALSE(headers.contains("X-Request-Id"));
  EXPECT_EQ(headers.at("X-Envoy-Attempt-Count"), "1");
  EXPECT_EQ(body.as_object().size(), 1u);
}

TEST_F(HttpbinEndpoint, HeadersShowEnv) {
  ClientRequest request = makeRequest(http::verb::get, "/headers?show_env=1");
  request.set("X-Forwarded-For", "10.0.0.1");
  const json::value body = parseJson(roundTrip(request));
  EXPECT_EQ(objectAt(body, "headers").at("X-Forwarded-For"), "10.0.0.1");
}

TEST_F(HttpbinEndpoint, HeadersLatin1Values) {
  ClientRequest request = makeRequest(http::verb::get, "/headers");
  request.set("X-Name", "\xC3\xA9");
  const json::value body = parseJson(roundTrip(request));
  // A WSGI server decodes header bytes as Latin-1, so UTF-8 "é" comes back as "Ã©".
  EXPECT_EQ(objectAt(body, "headers").at("X-Name"), "\xC3\x83\xC2\xA9");
}

TEST_F(HttpbinEndpoint, IpIsPeerAddress) {
  const json::value body = parseJson(get("/ip"));
  EXPECT_EQ(body, json::object({{"origin", "127.0.0.1"}}));
}

TEST_F(HttpbinEndpoint, IpUsesForwardedFor) {
  ClientRequest request = makeRequest(http::verb::get, "/ip");
  request.insert("X-Forwarded-For", "203.0.113.7, 10.0.0.1");
  request.insert("X-Forwarded-For", "10.0.0.2");
  EXPECT_EQ(parseJson(roundTrip(request)).at("origin"), "203.0.113.7, 10.0.0.1,10.0.0.2");
}

TEST_F(HttpbinEndpoint, UserAgent) {
  EXPECT_EQ(parseJson(get("/user-agent")), json::object({{"user-agent", kTestUserAgent}}));
}

TEST_F(HttpbinEndpoint, UserAgentMissing) {
  ClientRequest request = makeRequest(http::verb::get, "/user-agent");
  request.erase(http::field::user_agent);
  EXPECT_TRUE(parseJson(roundTrip(request)).at("user-agent").is_null());
}

TEST_F(HttpbinEndpoint, UuidVersion4) {
  const json::value first = parseJson(get("/uuid"));
  const json::value second = parseJson(get("/uuid"));
  const std::string uuid(first.at("uuid").as_string());
  const std::regex version4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(uuid, version4)) << uuid;
  EXPECT_NE(first, second);
}

TEST_F(HttpbinEndpoint, AnythingJsonBody) {
  const ClientResponse response =
      roundTrip(makeRequest(http::verb::patch, "/anything/foo/bar?q=1",
                            R"({"a":[1,2.5,"x"],"b":null})", "application/json"));
  ASSERT_EQ(response.result_int(), 200);
  const json::value body = parseJson(response);
  EXPECT_EQ(body.at("method"), "PATCH");
  EXPECT_EQ(body.at("url"), "http://httpbin.test/anything/foo/bar?q=1");
  EXPECT_EQ(body.at("data"), R"({"a":[1,2.5,"x"],"b":null})");
  EXPECT_EQ(body.at("json"), json::parse(R"({"a":[1,2.5,"x"],"b":null})"));
  EXPECT_EQ(body.at("form"), json::object());
  EXPECT_EQ(body.at("files"), json::object());
  EXPECT_EQ(objectAt(body, "args").at("q"), "1");
  EXPECT_EQ(objectAt(body, "headers").at("Content-Length"), "26");
}

TEST_F(HttpbinEndpoint, AnythingShape) {
  const json::value body = parseJson(get("/anything"));
  const std::set<std::string> expected = {"args", "data",   "files",  "form", "headers",
                                          "json", "method", "origin", "url"};
  std::set<std::string> keys;
  for (const auto& entry : body.as_object()) {
    keys.emplace(entry.key());
  }
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(body.at("data"), "");
  EXPECT_TRUE(body.at("json").is_null());
}

TEST_F(HttpbinEndpoint, AnythingAnyMethod) {
  for (const std::string_view method : {"GET", "POST", "PUT", "DELETE", "TRACE", "PROPFIND"}) {
    ClientRequest request = makeRequest(http::verb::get, "/anything");
    request.method_string(method);
    const ClientResponse response = roundTrip(request);
    ASSERT_EQ(response.result_int(), 200) << method;
    EXPECT_EQ(parseJson(response).at("method"), json::value(method));
  }
}

TEST_F(HttpbinEndpoint, AnythingCustomMethod) {
  TestClient client(endpoint());
  client.sendRaw("BREW /anything HTTP/1.1\r\nHost: h\r\n\r\n");
  const ClientResponse response = client.receive();
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_EQ(parseJson(response).at("method"), "BREW");
}

TEST_F(HttpbinEndpoint, AnythingPlainTextJson) {
  // Like Flask, a body that parses as JSON fills "json" whatever its Content-Type.
  const json::value body =
      parseJson(roundTrip(makeRequest(http::verb::post, "/anything", "[1, 2]", "text/plain")));
  EXPECT_EQ(body.at("data"), "[1, 2]");
  EXPECT_EQ(body.at("json"), json::array({1, 2}));
}

TEST_F(HttpbinEndpoint, AnythingInvalidJson) {
  const json::value body = parseJson(
      roundTrip(makeRequest(http::verb::post, "/anything", R"({"a":1}{)", "application/json")));
  EXPECT_EQ(body.at("data"), R"({"a":1}{)");
  EXPECT_TRUE(body.at("json").is_null());
}

TEST_F(HttpbinEndpoint, AnythingUrlEncodedForm) {
  const json::value body = parseJson(roundTrip(makeRequest(
      http::verb::post, "/anything", "a=1&a=2&b=%20x", "application/x-www-form-urlencoded")));
  EXPECT_EQ(body.at("form"), json::object({{"a", json::array({"1", "2"})}, {"b", " x"}}));
  EXPECT_EQ(body.at("data"), "");
  EXPECT_TRUE(body.at("json").is_null());
}

TEST_F(HttpbinEndpoint, AnythingBinaryData) {
  const std::string binary(
      "\xFF\xFE\x00"
      "abc",
      6);
  const json::value body = parseJson(
      roundTrip(makeRequest(http::verb::put, "/anything", binary, "application/octet-stream")));
  EXPECT_EQ(body.at("data"), "data:application/octet-stream;base64,//4AYWJj");
  EXPECT_TRUE(body.at("json").is_null());
}

TEST_F(HttpbinEndpoint, PostMultipart) {
  const std::string multipart =
      "--B0undary\r\n"
      "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n"
      "Content-Type: image/png\r\n\r\n"
      "\xFF\xFE\r\n"
      "--B0undary\r\n"
      "Content-Disposition: form-data; name=\"f\"; filename=\"b.txt\"\r\n\r\n"
      "second\r\n"
      "--B0undary\r\n"
      "Content-Disposition: form-data; name=\"t\"; filename=\"t.txt\"\r\n\r\n"
      "text file\r\n"
      "--B0undary\r\n"
      "Content-Disposition: form-data; name=\"k\"\r\n\r\n"
      "v\r\n"
      "--B0undary\r\n"
      "Content-Disposition: form-data; name=\"k\"\r\n\r\n"
      "w\r\n"
      "--B0undary--\r\n";
  const json::value body = parseJson(roundTrip(
      makeRequest(http::verb::post, "/post", multipart, "multipart/form-data; boundary=B0undary")));
  // Like httpbin, only the first file of each name is reported.
  EXPECT_EQ(body.at("files"),
            json::object({{"f", "data:image/png;base64,//4="}, {"t", "text file"}}));
  EXPECT_EQ(body.at("form"), json::object({{"k", json::array({"v", "w"})}}));
  EXPECT_EQ(body.at("data"), "");
}

TEST_F(HttpbinEndpoint, MethodEndpoints) {
  const struct {
    http::verb method;
    std::string_view path;
  } cases[] = {
      {http::verb::post, "/post"},
      {http::verb::put, "/put"},
      {http::verb::patch, "/patch"},
      {http::verb::delete_, "/delete"},
  };
  for (const auto& c : cases) {
    const ClientResponse response =
        roundTrip(makeRequest(c.method, c.path, R"({"n":1})", "application/json"));
    ASSERT_EQ(response.result_int(), 200) << c.path;
    const json::value body = parseJson(response);
    EXPECT_EQ(body.at("json"), json::object({{"n", 1}})) << c.path;
    EXPECT_EQ(body.as_object().size(), 8u) << c.path;
    EXPECT_FALSE(body.as_object().contains("method")) << c.path;
  }
}

TEST_F(HttpbinEndpoint, MethodEndpointsReject) {
  const struct {
    http::verb method;
    std::string_view path;
    std::string_view allow;
  } cases[] = {
      {http::verb::get, "/post", "OPTIONS, POST"},
      {http::verb::post, "/put", "OPTIONS, PUT"},
      {http::verb::put, "/patch", "OPTIONS, PATCH"},
      {http::verb::get, "/delete", "DELETE, OPTIONS"},
      {http::verb::head, "/post", "OPTIONS, POST"},
  };
  for (const auto& c : cases) {
    const ClientResponse response = roundTrip(makeRequest(c.method, c.path));
    EXPECT_EQ(response.result_int(), 405) << c.path;
    EXPECT_EQ(response[http::field::allow], c.allow) << c.path;
  }
}

TEST_F(HttpbinEndpoint, StatusCodes) {
  for (const unsigned code : {200u, 201u, 400u, 403u, 418u, 500u, 503u, 599u, 999u}) {
    const ClientResponse response = get("/status/" + std::to_string(code));
    EXPECT_EQ(response.result_int(), code);
  }
}

TEST_F(HttpbinEndpoint, StatusAnyMethod) {
  EXPECT_EQ(roundTrip(makeRequest(http::verb::post, "/status/201", "x")).result_int(), 201);
  EXPECT_EQ(roundTrip(makeRequest(http::verb::delete_, "/status/202")).result_int(), 202);
  EXPECT_EQ(roundTrip(makeRequest(http::verb::put, "/status/403")).result_int(), 403);
}

TEST_F(HttpbinEndpoint, StatusNoContent) {
  TestClient client(endpoint());
  const ClientResponse response = client.get("/status/204");
  EXPECT_EQ(response.result_int(), 204);
  EXPECT_EQ(response.count(http::field::content_length), 0u);
  EXPECT_TRUE(response.body().empty());
  // The connection stays usable, so the 204 was framed without a body.
  EXPECT_EQ(client.get("/status/200").result_int(), 200);
}

TEST_F(HttpbinEndpoint, StatusSpecialHeaders) {
  const ClientResponse redirect = get("/status/302");
  EXPECT_EQ(redirect.result_int(), 302);
  EXPECT_EQ(redirect[http::field::location], "/redirect/1");
  const ClientResponse unauthorized = get("/status/401");
  EXPECT_EQ(unauthorized[http::field::www_authenticate], "Basic realm=\"Fake Realm\"");
  EXPECT_EQ(get("/status/418")["x-more-info"], "http://tools.ietf.org/html/rfc2324");
}

TEST_F(HttpbinEndpoint, StatusInvalid) {
  for (const std::string_view codes : {"abc", "99", "100", "1000", "-1", "200:x,201", "200,"}) {
    const ClientResponse response = get("/status/" + std::string(codes));
    EXPECT_EQ(response.result_int(), 400) << codes;
    EXPECT_EQ(response.body(), "Invalid status code") << codes;
  }
}

TEST_F(HttpbinEndpoint, StatusRandomChoice) {
  std::set<unsigned> seen;
  for (int i = 0; i < 40; ++i) {
    seen.insert(get("/status/200,201,202").result_int());
  }
  const std::set<unsigned> requested = {200, 201, 202};
  EXPECT_TRUE(std::includes(requested.begin(), requested.end(), seen.begin(), seen.end()));
  // Three codes with equal weight: 40 draws all landing on one code has probability 3^-39.
  EXPECT_GT(seen.size(), 1u);
}

TEST_F(HttpbinEndpoint, StatusWeights) {
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(get("/status/200:0,503:1").result_int(), 503);
  }
}

TEST_F(HttpbinEndpoint, DelayWaits) {
  const auto start = std::chrono::steady_clock::now();
  const ClientResponse response = get("/delay/0.3?x=1");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  const json::value body = parseJson(response);
  EXPECT_EQ(objectAt(body, "args").at("x"), "1");
  EXPECT_EQ(body.at("url"), "http://httpbin.test/delay/0.3?x=1");
  EXPECT_EQ(body.as_object().size(), 7u);
}

TEST_F(HttpbinEndpoint, DelayInvalid) {
  EXPECT_EQ(get("/delay/abc").result_int(), 400);
  EXPECT_EQ(get("/delay/-1").result_int(), 400);
}

TEST_F(HttpbinEndpoint, DelayDoesNotBlock) {
  TestClient delayed(endpoint());
  const auto start = std::chrono::steady_clock::now();
  delayed.send(makeRequest(http::verb::get, "/delay/1"));

  // The server runs on one thread, so this response proves the delay does not block it.
  const ClientResponse quick = get("/get");
  const auto quick_elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(quick.result_int(), 200);
  EXPECT_LT(quick_elapsed, std::chrono::milliseconds(500));

  const ClientResponse slow = delayed.receive();
  EXPECT_EQ(slow.result_int(), 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST_F(HttpbinEndpoint, BytesCount) {
  const ClientResponse response = get("/bytes/16");
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "application/octet-stream");
  EXPECT_EQ(response.body().size(), 16u);
  EXPECT_EQ(get("/bytes/0").body().size(), 0u);
}

TEST_F(HttpbinEndpoint, BytesCapped) {
  EXPECT_EQ(get("/bytes/200000").body().size(), 100u * 1024);
  EXPECT_EQ(get("/bytes/99999999999999999999999").body().size(), 100u * 1024);
}

TEST_F(HttpbinEndpoint, BytesSeed) {
  EXPECT_EQ(get("/bytes/64?seed=42").body(), get("/bytes/64?seed=42").body());
  EXPECT_NE(get("/bytes/64?seed=42").body(), get("/bytes/64?seed=43").body());
  EXPECT_EQ(get("/bytes/8?seed=x").result_int(), 400);
}

TEST_F(HttpbinEndpoint, BytesNotFound) {
  EXPECT_EQ(get("/bytes/-1").result_int(), 404);
}

TEST_F(HttpbinEndpoint, ResponseHeaders) {
  const ClientResponse response = get("/response-headers?X-A=1&X-A=2&freeform=x%20y");
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_EQ(response["freeform"], "x y");
  EXPECT_EQ(response.count("X-A"), 2u);
  const json::value body = parseJson(response);
  EXPECT_EQ(body.at("X-A"), json::array({"1", "2"}));
  EXPECT_EQ(body.at("freeform"), "x y");
  EXPECT_EQ(body.at("Content-Type"), "application/json");
  EXPECT_EQ(body.at("Content-Length"), json::value(std::to_string(response.body().size())));
}

TEST_F(HttpbinEndpoint, ResponseHeadersEmpty) {
  const ClientResponse response = get("/response-headers");
  const json::value body = parseJson(response);
  EXPECT_EQ(body, json::object({{"Content-Length", std::to_string(response.body().size())},
                                {"Content-Type", "application/json"}}));
}

TEST_F(HttpbinEndpoint, ResponseHeadersPost) {
  const ClientResponse response = roundTrip(makeRequest(http::verb::post, "/response-headers?a=b"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response["a"], "b");
  EXPECT_EQ(roundTrip(makeRequest(http::verb::put, "/response-headers")).result_int(), 405);
}

TEST_F(HttpbinEndpoint, ResponseHeadersInvalid) {
  EXPECT_EQ(get("/response-headers?bad%20name=1").result_int(), 400);
  EXPECT_EQ(get("/response-headers?X-A=a%0D%0Ab").result_int(), 400);
  EXPECT_EQ(get("/response-headers?Content-Length=5").result_int(), 400);
  EXPECT_EQ(get("/response-headers?transfer-encoding=chunked").result_int(), 400);
}

TEST_F(HttpbinEndpoint, Index) {
  const ClientResponse response = get("/");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "text/plain; charset=utf-8");
  EXPECT_NE(response.body().find("/anything"), std::string::npos);
}

TEST_F(HttpbinEndpoint, NotFound) {
  for (const std::string_view path : {"/nope", "/get/", "/anything/", "/status/", "/robots.txt"}) {
    EXPECT_EQ(get(path).result_int(), 404) << path;
  }
}

TEST_F(HttpbinEndpoint, PercentEncodedPath) {
  EXPECT_EQ(get("/g%65t").result_int(), 200);
  EXPECT_EQ(get("/status/%34%31%38").result_int(), 418);
}

TEST_F(HttpbinEndpoint, HeadHasNoBody) {
  TestClient client(endpoint());
  const ClientResponse head = client.roundTrip(makeRequest(http::verb::head, "/get"));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_TRUE(head.body().empty());
  EXPECT_GT(std::stoul(std::string(head[http::field::content_length])), 0u);
  // A body after the header would be read as the next response and fail to parse.
  EXPECT_EQ(client.get("/ip").result_int(), 200);
}

TEST_F(HttpbinEndpoint, OptionsPreflight) {
  ClientRequest request = makeRequest(http::verb::options, "/post");
  request.set(http::field::origin, "http://app.test");
  request.set(http::field::access_control_request_headers, "authorization");
  const ClientResponse response = roundTrip(request);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::allow], "OPTIONS, POST");
  EXPECT_EQ(response[http::field::access_control_allow_origin], "http://app.test");
  EXPECT_EQ(response[http::field::access_control_allow_headers], "authorization");
  EXPECT_EQ(response[http::field::access_control_max_age], "3600");
  EXPECT_TRUE(response.body().empty());
}

TEST_F(HttpbinEndpoint, CorsHeaders) {
  const ClientResponse response = get("/get");
  EXPECT_EQ(response[http::field::access_control_allow_origin], "*");
  EXPECT_EQ(response[http::field::access_control_allow_credentials], "true");
  EXPECT_FALSE(response[http::field::date].empty());
}

}  // namespace
}  // namespace portcullis::httpbin::testing
