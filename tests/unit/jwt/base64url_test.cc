#include "jwt/base64url.h"

#include <string>

#include <gtest/gtest.h>

namespace portcullis::jwt {
namespace {

std::string decodeOrFail(std::string_view text) {
  std::string out;
  EXPECT_TRUE(base64UrlDecode(text, out)) << text;
  return out;
}

bool rejects(std::string_view text) {
  std::string out = "unchanged";
  const bool ok = base64UrlDecode(text, out);
  EXPECT_TRUE(ok || out.empty()) << "output kept after failure for " << text;
  return !ok;
}

TEST(Base64UrlTest, DecodesUnpadded) {
  EXPECT_EQ(decodeOrFail(""), "");
  EXPECT_EQ(decodeOrFail("Zg"), "f");
  EXPECT_EQ(decodeOrFail("Zm8"), "fo");
  EXPECT_EQ(decodeOrFail("Zm9v"), "foo");
  EXPECT_EQ(decodeOrFail("Zm9vYg"), "foob");
}

TEST(Base64UrlTest, DecodesUrlAlphabet) {
  EXPECT_EQ(decodeOrFail("-_8"), std::string("\xfb\xff", 2));
  EXPECT_EQ(decodeOrFail("AAEC"), std::string("\x00\x01\x02", 3));
}

TEST(Base64UrlTest, RejectsStandardAlphabet) {
  EXPECT_TRUE(rejects("+_8"));
  EXPECT_TRUE(rejects("-/8"));
}

TEST(Base64UrlTest, AcceptsExactPadding) {
  EXPECT_EQ(decodeOrFail("Zg=="), "f");
  EXPECT_EQ(decodeOrFail("Zm8="), "fo");
}

// absl accepts '.' as a padding character too.
TEST(Base64UrlTest, AcceptsDotPadding) {
  EXPECT_EQ(decodeOrFail("Zg.."), "f");
  EXPECT_EQ(decodeOrFail("Zm8."), "fo");
}

TEST(Base64UrlTest, RejectsWrongPadding) {
  EXPECT_TRUE(rejects("Zg="));
  EXPECT_TRUE(rejects("Zg==="));
  EXPECT_TRUE(rejects("Zm8=="));
  EXPECT_TRUE(rejects("Zm9v="));
  EXPECT_TRUE(rejects("===="));
}

TEST(Base64UrlTest, RejectsDataAfterPadding) {
  EXPECT_TRUE(rejects("Zg==Zg"));
  EXPECT_TRUE(rejects("Zm8=A"));
}

TEST(Base64UrlTest, RejectsLoneTrailingCharacter) {
  EXPECT_TRUE(rejects("A"));
  EXPECT_TRUE(rejects("Zm9vY"));
  EXPECT_TRUE(rejects("invalid-signature"));
}

TEST(Base64UrlTest, SkipsWhitespace) {
  EXPECT_EQ(decodeOrFail(" Zm\n9v "), "foo");
  EXPECT_EQ(decodeOrFail("Zg\t=\r="), "f");
  EXPECT_EQ(decodeOrFail("\v\f"), "");
}

TEST(Base64UrlTest, RejectsOtherCharacters) {
  EXPECT_TRUE(rejects("Zm9v?"));
  EXPECT_TRUE(rejects("Zm#9v"));
  EXPECT_TRUE(rejects(std::string_view("Zm\0v", 4)));
  EXPECT_TRUE(rejects("Zm9\xc3\xa9"));
}

// The unused low bits of the last character are dropped, not checked: "Zh" and "Zg" are
// both "f".
TEST(Base64UrlTest, IgnoresUnusedBits) {
  EXPECT_EQ(decodeOrFail("Zh"), "f");
  EXPECT_EQ(decodeOrFail("Zm9"), "fo");
  EXPECT_EQ(decodeOrFail("Zm-"), "fo");
}

TEST(Base64UrlTest, EncodesWithoutPadding) {
  EXPECT_EQ(base64UrlEncode(""), "");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Base64UrlTest, RoundTripsAllBytes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
  }
  for (size_t length = 0; length <= bytes.size(); ++length) {
    const std::string input = bytes.substr(bytes.size() - length);
    std::string decoded;
    ASSERT_TRUE(base64UrlDecode(base64UrlEncode(input), decoded)) << length;
    EXPECT_EQ(decoded, input) << length;
  }
}

}  // namespace
}  // namespace portcullis::jwt
