#include "jwt/audience.h"

#include <gtest/gtest.h>

namespace portcullis::jwt {
namespace {

TEST(NormalizeAudienceTest, StripsSchemeAndSlash) {
  EXPECT_EQ(normalizeAudience("http://foo"), "foo");
  EXPECT_EQ(normalizeAudience("https://foo"), "foo");
  EXPECT_EQ(normalizeAudience("foo/"), "foo");
  EXPECT_EQ(normalizeAudience("https://foo/"), "foo");
  EXPECT_EQ(normalizeAudience("foo"), "foo");
}

TEST(NormalizeAudienceTest, StripsOnlyOnce) {
  EXPECT_EQ(normalizeAudience("http://https://foo"), "https://foo");
  EXPECT_EQ(normalizeAudience("foo//"), "foo/");
  EXPECT_EQ(normalizeAudience("https://foo/bar/"), "foo/bar");
}

TEST(NormalizeAudienceTest, KeepsOtherSchemesAndCase) {
  EXPECT_EQ(normalizeAudience("HTTPS://foo"), "HTTPS://foo");
  EXPECT_EQ(normalizeAudience("spiffe://foo/"), "spiffe://foo");
  EXPECT_EQ(normalizeAudience("Foo"), "Foo");
}

TEST(NormalizeAudienceTest, EdgeCases) {
  EXPECT_EQ(normalizeAudience(""), "");
  EXPECT_EQ(normalizeAudience("/"), "");
  EXPECT_EQ(normalizeAudience("http://"), "");
  EXPECT_EQ(normalizeAudience("https:///"), "");
}

TEST(AudienceCheckerTest, EmptyListAllowsAll) {
  const AudienceChecker checker({});
  EXPECT_TRUE(checker.empty());
  EXPECT_TRUE(checker.allows({}));
  EXPECT_TRUE(checker.allows({"foo", "bar"}));
}

TEST(AudienceCheckerTest, AnyMatch) {
  const AudienceChecker checker({"bar", "quux", "foo"});
  EXPECT_TRUE(checker.allows({"quux"}));
  EXPECT_TRUE(checker.allows({"baz", "quux"}));
  EXPECT_FALSE(checker.allows({"baz"}));
}

TEST(AudienceCheckerTest, MissingAudienceFails) {
  const AudienceChecker checker({"aud2", "aud3"});
  EXPECT_FALSE(checker.empty());
  EXPECT_FALSE(checker.allows({}));
}

TEST(AudienceCheckerTest, NormalizesBothSides) {
  EXPECT_TRUE(AudienceChecker({"https://example_service/"}).allows({"example_service"}));
  EXPECT_TRUE(AudienceChecker({"example_service"}).allows({"http://example_service/"}));
  EXPECT_TRUE(AudienceChecker({"http://example_service"}).allows({"https://example_service"}));
}

TEST(AudienceCheckerTest, ExactOtherwise) {
  EXPECT_FALSE(AudienceChecker({"foo"}).allows({"Foo"}));
  EXPECT_FALSE(AudienceChecker({"foo"}).allows({"foo.com"}));
  EXPECT_FALSE(AudienceChecker({"foo"}).allows({"ftp://foo"}));
}

TEST(AudienceCheckerTest, EmptyStringAudience) {
  const AudienceChecker checker({"bar", ""});
  EXPECT_TRUE(checker.allows({""}));
  EXPECT_TRUE(checker.allows({"https:///"}));
  EXPECT_FALSE(AudienceChecker({"bar"}).allows({""}));
}

TEST(AudienceCheckerTest, OneShotHelper) {
  EXPECT_TRUE(audiencesAllowed({"a"}, {"https://a/"}));
  EXPECT_FALSE(audiencesAllowed({"a"}, {"b"}));
  EXPECT_TRUE(audiencesAllowed({}, {}));
}

}  // namespace
}  // namespace portcullis::jwt
