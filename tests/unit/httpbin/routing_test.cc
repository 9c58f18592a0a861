#include <gtest/gtest.h>

#include "httpbin/endpoints.h"

namespace portcullis::httpbin {
namespace {

namespace http = boost::beast::http;

TEST(FindRoute, ExactPaths) {
  const struct {
    std::string_view path;
    Endpoint endpoint;
  } cases[] = {
      {"/", Endpoint::Index},
      {"/get", Endpoint::Get},
      {"/headers", Endpoint::Headers},
      {"/ip", Endpoint::Ip},
      {"/user-agent", Endpoint::UserAgent},
      {"/uuid", Endpoint::Uuid},
      {"/anything", Endpoint::Anything},
      {"/post", Endpoint::Post},
      {"/put", Endpoint::Put},
      {"/patch", Endpoint::Patch},
      {"/delete", Endpoint::Delete},
      {"/response-headers", Endpoint::ResponseHeaders},
  };
  for (const auto& c : cases) {
    const auto route = findRoute(c.path);
    ASSERT_TRUE(route.has_value()) << c.path;
    EXPECT_EQ(route->endpoint, c.endpoint) << c.path;
  }
}

TEST(FindRoute, ParameterPaths) {
  EXPECT_EQ(findRoute("/anything/a/b")->endpoint, Endpoint::Anything);
  EXPECT_EQ(findRoute("/status/418")->parameter, "418");
  EXPECT_EQ(findRoute("/status/200,201")->endpoint, Endpoint::Status);
  EXPECT_EQ(findRoute("/delay/0.5")->parameter, "0.5");
  EXPECT_EQ(findRoute("/bytes/007")->parameter, "007");
}

TEST(FindRoute, UnknownPaths) {
  for (const std::string_view path : {"", "/nope", "/get/", "/anything/", "/status/", "/status/1/2",
                                      "/delay/", "/bytes/-1", "/bytes/abc", "/GET"}) {
    EXPECT_FALSE(findRoute(path).has_value()) << path;
  }
}

TEST(AllowsMethod, MethodRestrictedEndpoints) {
  EXPECT_TRUE(allowsMethod(Endpoint::Post, http::verb::post));
  EXPECT_FALSE(allowsMethod(Endpoint::Post, http::verb::get));
  EXPECT_TRUE(allowsMethod(Endpoint::Delete, http::verb::delete_));
  EXPECT_FALSE(allowsMethod(Endpoint::Delete, http::verb::post));
  EXPECT_TRUE(allowsMethod(Endpoint::Get, http::verb::head));
  EXPECT_FALSE(allowsMethod(Endpoint::Get, http::verb::post));
  EXPECT_TRUE(allowsMethod(Endpoint::ResponseHeaders, http::verb::post));
  EXPECT_FALSE(allowsMethod(Endpoint::Delay, http::verb::post));
}

TEST(AllowsMethod, AnyMethodEndpoints) {
  for (const auto method : {http::verb::get, http::verb::post, http::verb::propfind,
                            http::verb::unknown, http::verb::trace}) {
    EXPECT_TRUE(allowsMethod(Endpoint::Anything, method));
    EXPECT_TRUE(allowsMethod(Endpoint::Status, method));
  }
}

TEST(AllowsMethod, OptionsEverywhere) {
  EXPECT_TRUE(allowsMethod(Endpoint::Post, http::verb::options));
  EXPECT_TRUE(allowsMethod(Endpoint::Uuid, http::verb::options));
}

TEST(EchoesBody, OnlyEchoingEndpoints) {
  EXPECT_TRUE(echoesBody(Route{Endpoint::Post, {}}, http::verb::post));
  EXPECT_TRUE(echoesBody(Route{Endpoint::Anything, {}}, http::verb::get));
  EXPECT_FALSE(echoesBody(Route{Endpoint::Post, {}}, http::verb::get));
  EXPECT_FALSE(echoesBody(Route{Endpoint::Anything, {}}, http::verb::options));
  EXPECT_FALSE(echoesBody(Route{Endpoint::Status, "200"}, http::verb::post));
  EXPECT_FALSE(echoesBody(Route{Endpoint::Get, {}}, http::verb::get));
}

TEST(ResponseDelay, ParsesAndCaps) {
  using std::chrono::milliseconds;
  EXPECT_EQ(responseDelay(Route{Endpoint::Delay, "0.5"}), milliseconds(500));
  EXPECT_EQ(responseDelay(Route{Endpoint::Delay, "1e-1"}), milliseconds(100));
  EXPECT_EQ(responseDelay(Route{Endpoint::Delay, "+2"}), milliseconds(2000));
  EXPECT_EQ(responseDelay(Route{Endpoint::Delay, "60"}), milliseconds(10000));
  EXPECT_EQ(responseDelay(Route{Endpoint::Delay, "inf"}), milliseconds(10000));
}

TEST(ResponseDelay, RejectsInvalid) {
  for (const std::string_view text : {"abc", "-1", "nan", "1s", ""}) {
    EXPECT_FALSE(responseDelay(Route{Endpoint::Delay, std::string(text)}).has_value()) << text;
  }
  EXPECT_FALSE(responseDelay(Route{Endpoint::Get, {}}).has_value());
}

TEST(SplitTarget, OriginForm) {
  const Target target = splitTarget("/get?a=1&b=2");
  EXPECT_EQ(target.path, "/get");
  EXPECT_EQ(target.query, "a=1&b=2");
}

TEST(SplitTarget, AbsoluteForm) {
  const Target target = splitTarget("http://example.com:8080/anything/x?q=1");
  EXPECT_EQ(target.path, "/anything/x");
  EXPECT_EQ(target.query, "q=1");
  EXPECT_EQ(splitTarget("http://example.com").path, "/");
}

TEST(SplitTarget, SchemeLikeTextInQuery) {
  const Target target = splitTarget("/get?u=http://x/y");
  EXPECT_EQ(target.path, "/get");
  EXPECT_EQ(target.query, "u=http://x/y");
}

}  // namespace
}  // namespace portcullis::httpbin
