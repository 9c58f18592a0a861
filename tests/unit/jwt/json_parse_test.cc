#include "jwt/json_parse.h"

#include <string>

#include <gtest/gtest.h>

namespace portcullis::jwt {
namespace {

TEST(ParseJsonObjectTest, Object) {
  boost::json::object out;
  ASSERT_TRUE(parseJsonObject(R"({"a":1,"b":[true,null]})", out));
  EXPECT_EQ(out.at("a").as_int64(), 1);
  EXPECT_TRUE(out.at("b").at(1).is_null());
}

TEST(ParseJsonObjectTest, NotAnObject) {
  boost::json::object out;
  EXPECT_FALSE(parseJsonObject("[]", out));
  EXPECT_FALSE(parseJsonObject("1", out));
  EXPECT_FALSE(parseJsonObject("", out));
  EXPECT_FALSE(parseJsonObject("{} {}", out));
}

TEST(ParseJsonObjectTest, TrailingCommas) {
  boost::json::object out;
  ASSERT_TRUE(parseJsonObject(R"({"a":[1,2,],})", out));
  EXPECT_EQ(out.at("a").as_array().size(), 2u);
  EXPECT_FALSE(parseJsonObject(R"({"a":1,,})", out));
  EXPECT_FALSE(parseJsonObject(R"({,})", out));
}

TEST(ParseJsonObjectTest, DuplicateKeepsLast) {
  boost::json::object out;
  ASSERT_TRUE(parseJsonObject(R"({"a":1,"a":2})", out));
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(out.at("a").as_int64(), 2);
}

TEST(ParseJsonObjectTest, DepthLimit) {
  const auto nested = [](size_t depth) {
    return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  boost::json::object out;
  EXPECT_TRUE(parseJsonObject(nested(kMaxJsonDepth), out));
  EXPECT_FALSE(parseJsonObject(nested(kMaxJsonDepth + 1), out));
}

TEST(ParseJsonObjectTest, RejectsControlCharacterInString) {
  boost::json::object out;
  EXPECT_FALSE(parseJsonObject("{\"a\":\"x\ny\"}", out));
}

TEST(GetStringTest, Results) {
  boost::json::object object;
  ASSERT_TRUE(parseJsonObject(R"({"s":"text","n":1,"z":null})", object));
  std::string_view out = "unchanged";
  EXPECT_EQ(getString(object, "missing", out), FieldResult::Missing);
  EXPECT_EQ(out, "unchanged");
  EXPECT_EQ(getString(object, "n", out), FieldResult::WrongType);
  EXPECT_EQ(getString(object, "z", out), FieldResult::WrongType);
  EXPECT_EQ(out, "unchanged");
  EXPECT_EQ(getString(object, "s", out), FieldResult::Ok);
  EXPECT_EQ(out, "text");
}

}  // namespace
}  // namespace portcullis::jwt
