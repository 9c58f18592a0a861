#include "httpbin/text.h"

#include <gtest/gtest.h>

namespace portcullis::httpbin {
namespace {

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(percentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(percentDecode("%c3%A9", false), "\xC3\xA9");
}

TEST(PercentDecode, PlusAsSpace) {
  EXPECT_EQ(percentDecode("1+2", true), "1 2");
  EXPECT_EQ(percentDecode("1+2", false), "1+2");
}

TEST(PercentDecode, KeepsMalformedEscapes) {
  EXPECT_EQ(percentDecode("%ZZ", false), "%ZZ");
  EXPECT_EQ(percentDecode("%4", false), "%4");
  EXPECT_EQ(percentDecode("%", false), "%");
  EXPECT_EQ(percentDecode("50%", false), "50%");
}

TEST(Utf8, AcceptsValidText) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain"));
  EXPECT_TRUE(isValidUtf8("\xC3\xA9"));          // U+00E9
  EXPECT_TRUE(isValidUtf8("\xE2\x82\xAC"));      // U+20AC
  EXPECT_TRUE(isValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8, RejectsInvalidBytes) {
  EXPECT_FALSE(isValidUtf8("\xFF"));
  EXPECT_FALSE(isValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong "/"
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("\x80"));              // lone continuation byte
}

TEST(Utf8, RepairsMaximalSubparts) {
  // Python: b"...".decode("utf-8", "replace") gives these replacements.
  EXPECT_EQ(repairUtf8("a\xFF"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(repairUtf8("\xE2\x82"
                       "A"),
            "\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(repairUtf8("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(repairUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(repairUtf8("\xC3\xA9"), "\xC3\xA9");
}

TEST(Latin1ToUtf8, ConvertsHighBytes) {
  EXPECT_EQ(latin1ToUtf8("abc"), "abc");
  EXPECT_EQ(latin1ToUtf8("\xE9"), "\xC3\xA9");
  EXPECT_EQ(latin1ToUtf8("\xC3\xA9"), "\xC3\x83\xC2\xA9");
}

TEST(Base64Encode, Rfc4648Vectors) {
  // RFC 4648, section 10.
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64Encode(std::string_view("\xFF\xFE\x00", 3)), "//4A");
}

TEST(TitleCaseHeaderName, MatchesPythonTitle) {
  EXPECT_EQ(titleCaseHeaderName("x-jwt-sub"), "X-Jwt-Sub");
  EXPECT_EQ(titleCaseHeaderName("USER-AGENT"), "User-Agent");
  EXPECT_EQ(titleCaseHeaderName("content-md5"), "Content-Md5");
  EXPECT_EQ(titleCaseHeaderName("x-b3-traceid"), "X-B3-Traceid");
  EXPECT_EQ(titleCaseHeaderName("x-b3traceid"), "X-B3Traceid");
  EXPECT_EQ(titleCaseHeaderName("x_under_score"), "X-Under-Score");
}

// Expected values were produced by Debian 12's httpbin 0.7.0 (Werkzeug 2.2.2, gunicorn 20.1).
TEST(IriPath, MatchesWerkzeug) {
  EXPECT_EQ(iriPath("/anything/plain"), "/anything/plain");
  EXPECT_EQ(iriPath("/anything/a%20bA%41%2f%3F%C3%A9%FF~$:@"),
            "/anything/a%20bAA/%3F\xC3\xA9\xEF\xBF\xBD~$:%40");
  EXPECT_EQ(iriPath("/anything/x'\"<>"), "/anything/x'%22%3C%3E");
  EXPECT_EQ(iriPath("/a%25b"), "/a%25b");
}

TEST(IriQuery, MatchesWerkzeug) {
  EXPECT_EQ(iriQuery("a=1&b=x+y"), "a=1&b=x+y");
  EXPECT_EQ(iriQuery("u=http://x/y?z"), "u=http:%2F%2Fx%2Fy%3Fz");
  EXPECT_EQ(iriQuery("a=%41&b=%2F&c=%C3%A9&d=%20&e=%ZZ&f=%c3%a9"),
            "a=A&b=%2F&c=\xC3\xA9&d=%20&e=%ZZ&f=\xC3\xA9");
  EXPECT_EQ(iriQuery("q=a\"b<c>|d^e`{}"), "q=a%22b%3Cc%3E%7Cd%5Ee%60%7B%7D");
  EXPECT_EQ(iriQuery("%FF"), "%FF");
  EXPECT_EQ(iriQuery("%2f"), "%2f");
}

TEST(TrimWhitespace, TrimsSpacesAndTabs) {
  EXPECT_EQ(trimWhitespace(" \ta b\t "), "a b");
  EXPECT_EQ(trimWhitespace("   "), "");
}

}  // namespace
}  // namespace portcullis::httpbin
