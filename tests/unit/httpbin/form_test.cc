#include "httpbin/form.h"

#include <gtest/gtest.h>

namespace portcullis::httpbin {
namespace {

using Field = std::pair<std::string, std::string>;

TEST(ParseUrlEncoded, SplitsPairs) {
  const FieldList fields = parseUrlEncoded("a=1&b=x&a=2");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0], Field("a", "1"));
  EXPECT_EQ(fields[1], Field("b", "x"));
  EXPECT_EQ(fields[2], Field("a", "2"));
}

TEST(ParseUrlEncoded, WerkzeugEdgeCases) {
  // Empty pairs are skipped, a name alone has an empty value, ";" is no separator, and the
  // name may be empty.
  const FieldList fields = parseUrlEncoded("&b&&c=&=d&e=2;f=3");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[0], Field("b", ""));
  EXPECT_EQ(fields[1], Field("c", ""));
  EXPECT_EQ(fields[2], Field("", "d"));
  EXPECT_EQ(fields[3], Field("e", "2;f=3"));
}

TEST(ParseUrlEncoded, DecodesValues) {
  const FieldList fields = parseUrlEncoded("q=1+2%20%ZZ&n%C3%A9=%FF");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0], Field("q", "1 2 %ZZ"));
  EXPECT_EQ(fields[1], Field("n\xC3\xA9", "\xEF\xBF\xBD"));
}

TEST(MediaType, DropsParameters) {
  EXPECT_EQ(mediaType("text/plain; charset=utf-8"), "text/plain");
  EXPECT_EQ(mediaType(" Application/JSON "), "Application/JSON");
  EXPECT_EQ(mediaType(""), "");
}

TEST(HeaderParameter, FindsTokenAndQuotedValues) {
  EXPECT_EQ(headerParameter("multipart/form-data; boundary=abc", "boundary"), "abc");
  EXPECT_EQ(headerParameter("multipart/form-data; BOUNDARY=\"a b;c\"", "boundary"), "a b;c");
  EXPECT_EQ(headerParameter("form-data; name=\"f\"; filename=\"x\\\"y.txt\"", "filename"),
            "x\"y.txt");
  EXPECT_EQ(headerParameter("form-data; name=\"f\"", "filename"), std::nullopt);
  EXPECT_EQ(headerParameter("form-data; filename*=UTF-8''a.txt", "filename"), std::nullopt);
}

constexpr std::string_view kMultipartBody =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"k\"\r\n"
    "\r\n"
    "v\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "line1\r\nline2\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"k\"\r\n"
    "\r\n"
    "w\r\n"
    "--XyZ--\r\n";

TEST(ParseMultipart, SplitsFieldsAndFiles) {
  const auto form = parseMultipart(kMultipartBody, "XyZ");
  ASSERT_TRUE(form.has_value());
  ASSERT_EQ(form->fields.size(), 2u);
  EXPECT_EQ(form->fields[0], Field("k", "v"));
  EXPECT_EQ(form->fields[1], Field("k", "w"));
  ASSERT_EQ(form->files.size(), 1u);
  EXPECT_EQ(form->files[0].name, "f");
  EXPECT_EQ(form->files[0].content_type, "image/png");
  EXPECT_EQ(form->files[0].content, "line1\r\nline2");
}

TEST(ParseMultipart, EmptyFilenameIsFile) {
  const auto form = parseMultipart(
      "--b\r\nContent-Disposition: form-data; name=\"e\"; filename=\"\"\r\n\r\n\r\n--b--", "b");
  ASSERT_TRUE(form.has_value());
  EXPECT_TRUE(form->fields.empty());
  ASSERT_EQ(form->files.size(), 1u);
  EXPECT_EQ(form->files[0].content, "");
}

TEST(ParseMultipart, SkipsPartWithoutName) {
  const auto form = parseMultipart(
      "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--", "b");
  ASSERT_TRUE(form.has_value());
  EXPECT_TRUE(form->fields.empty());
  EXPECT_TRUE(form->files.empty());
}

TEST(ParseMultipart, RejectsMalformedBodies) {
  EXPECT_FALSE(parseMultipart("garbage", "b").has_value());
  EXPECT_FALSE(parseMultipart("--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv", "b")
                   .has_value());
  EXPECT_FALSE(parseMultipart(kMultipartBody, "").has_value());
  EXPECT_FALSE(parseMultipart("--b\r\nno header end", "b").has_value());
}

}  // namespace
}  // namespace portcullis::httpbin
