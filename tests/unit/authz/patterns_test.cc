#include "authz/patterns.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace portcullis::authz {
namespace {

using Wildcard = StringPattern::Wildcard;

struct StringCase {
  std::string pattern;
  std::string text;
  bool matches;
};

TEST(StringPatternTest, Forms) {
  const std::vector<StringCase> cases = {
      {"abc", "abc", true},
      {"abc", "abcd", false},
      {"abc", "ABC", false},
      {"abc*", "abc", true},
      {"abc*", "abcdef", true},
      {"abc*", "xabc", false},
      {"*abc", "abc", true},
      {"*abc", "xyzabc", true},
      {"*abc", "abcx", false},
      {"*", "x", true},
      {"*", "", false},
      // A `*` that is neither first nor last is a literal character.
      {"a*c", "a*c", true},
      {"a*c", "abc", false},
      // A leading `*` wins: "*abc*" is the suffix "abc*", with a literal `*`.
      {"*abc*", "xabc*", true},
      {"*abc*", "xabcd", false},
      {"**", "a*", true},
      {"**", "ab", false},
  };
  for (const StringCase& c : cases) {
    StringPattern pattern = StringPattern::parse(c.pattern, Wildcard::NonEmpty);
    EXPECT_EQ(pattern.matches(c.text), c.matches) << c.pattern << " vs " << c.text;
  }
}

TEST(StringPatternTest, PresentWildcardMatchesEmpty) {
  EXPECT_TRUE(StringPattern::parse("*", Wildcard::Present).matches(""));
  EXPECT_FALSE(StringPattern::parse("*", Wildcard::NonEmpty).matches(""));
}

TEST(StringPatternTest, IgnoreCase) {
  StringPattern exact = StringPattern::parse("WWW.Example.com", Wildcard::Present, true);
  EXPECT_TRUE(exact.matches("www.example.COM"));
  EXPECT_FALSE(exact.matches("www.example.com:80"));
  StringPattern suffix = StringPattern::parse("*.Example.com", Wildcard::Present, true);
  EXPECT_TRUE(suffix.matches("A.EXAMPLE.COM"));
  StringPattern prefix = StringPattern::parse("Prefix.*", Wildcard::Present, true);
  EXPECT_TRUE(prefix.matches("prefix.example.org"));
}

struct JoinedCase {
  std::string pattern;
  std::vector<std::string_view> lines;
  bool matches;
};

TEST(StringPatternTest, JoinedLines) {
  const std::vector<JoinedCase> cases = {
      {"good,bad", {"good", "bad"}, true},
      {"good,bad", {"good", "ba"}, false},
      {"good,ba", {"good", "bad"}, false},
      {"good", {"good", "bad"}, false},
      {"bad*", {"good", "bad"}, false},
      {"bad*", {"bad", "good"}, true},
      {"go*", {"go", "od"}, true},
      {"good,b*", {"good", "bad"}, true},
      {"good,bad,x*", {"good", "bad"}, false},
      {"*,bad", {"good", "bad"}, true},
      {"*d,bad", {"good", "bad"}, true},
      {"*od,b", {"good", "bad"}, false},
      {"*ood,bad", {"g", "ood", "bad"}, true},
      {"*x,ood,bad", {"g", "ood", "bad"}, false},
      {"*g,ood,bad", {"g", "ood", "bad"}, true},
      {"a,,c", {"a", "", "c"}, true},
      {"*", {"", ""}, true},
      {"x", {}, false},
  };
  for (const JoinedCase& c : cases) {
    StringPattern pattern = StringPattern::parse(c.pattern, Wildcard::Present);
    EXPECT_EQ(pattern.matchesJoined(c.lines), c.matches) << c.pattern;
  }
}

struct TemplateCase {
  std::string pattern;
  std::string path;
  bool matches;
};

TEST(PathTemplateTest, Matching) {
  const std::vector<TemplateCase> cases = {
      {"/allow/admin/{**}", "/allow/admin/", true},
      {"/allow/admin/{**}", "/allow/admin/x/y", true},
      {"/allow/admin/{**}", "/allow/admin", false},
      {"/foo/{*}/bar/{**}", "/foo/buzz/bar/bat/fuzz.txt", true},
      {"/foo/{*}/bar/{**}", "/foo/a/b/bar/x", false},
      {"/foo/{*}/bar/{**}", "/foo//bar/x", false},
      {"/store/{**}/cart", "/store//cart", true},
      {"/store/{**}/cart", "/store/a/b/cart", true},
      {"/store/{**}/cart", "/store/cart", false},
      {"/{*}", "/abc", true},
      {"/{*}", "/", false},
      {"/{*}", "/a/b", false},
      {"/{*}/x", "/a%20b/x", true},
      {"/{*}", "/a b", false},
      {"/{**}", "/a*b", false},
      {"/files/{**}.txt", "/files/a/b.txt", true},
      {"/files/{**}.txt", "/files/a/b.txtx", false},
  };
  for (const TemplateCase& c : cases) {
    auto pattern = PathTemplate::parse(c.pattern);
    ASSERT_TRUE(pattern.has_value()) << c.pattern;
    EXPECT_EQ(pattern->matches(c.path), c.matches) << c.pattern << " vs " << c.path;
  }
}

TEST(PathTemplateTest, Detection) {
  EXPECT_TRUE(PathTemplate::isTemplate("/a/{*}"));
  EXPECT_TRUE(PathTemplate::isTemplate("/a/{**}"));
  EXPECT_FALSE(PathTemplate::isTemplate("/a/*"));
  EXPECT_FALSE(PathTemplate::isTemplate("/a/{x}"));
}

TEST(PathTemplateTest, InvalidTemplates) {
  for (const char* value :
       {"/{**}/{*}", "/{**}/{**}", "/a*/{*}", "/{x}/{*}", "a/{*}", "/a//{*}", "/a b/{*}"}) {
    EXPECT_FALSE(PathTemplate::parse(value).has_value()) << value;
  }
}

struct CidrCase {
  std::string range;
  std::string address;
  bool contains;
};

TEST(CidrRangeTest, Contains) {
  const std::vector<CidrCase> cases = {
      {"127.0.0.1", "127.0.0.1", true},
      {"127.0.0.1", "127.0.0.2", false},
      {"192.168.4.0/23", "192.168.5.233", true},
      {"192.168.4.0/23", "192.168.6.1", false},
      {"192.168.5.7/23", "192.168.4.1", true},  // host bits are masked
      {"10.124.99.0/24", "10.124.99.255", true},
      {"0.0.0.0/0", "8.8.8.8", true},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},  // IPv4-mapped peer compares as IPv4
      {"10.0.0.0/8", "::1", false},
      {"2001:db8::/32", "2001:db8:1::5", true},
      {"2001:db8::/32", "2001:db9::5", false},
      {"2001:db8::1", "2001:db8::1", true},
      {"::/0", "10.0.0.1", false},
      {"2001:db8::/33", "2001:db8:8000::1", false},
      {"2001:db8::/33", "2001:db8:7fff::1", true},
  };
  for (const CidrCase& c : cases) {
    auto range = CidrRange::parse(c.range);
    ASSERT_TRUE(range.has_value()) << c.range;
    EXPECT_EQ(range->contains(boost::asio::ip::make_address(c.address)), c.contains)
        << c.range << " vs " << c.address;
  }
}

TEST(CidrRangeTest, InvalidRanges) {
  for (const char* value : {"", "1.2.3", "1.2.3.4/33", "2001:db8::/129", "1.2.3.4/", "1.2.3.4/08",
                            "1.2.3.4/+8", "abc", "fe80::1%eth0", "1.2.3.4/x"}) {
    EXPECT_FALSE(CidrRange::parse(value).has_value()) << value;
  }
}

TEST(ParsePortTest, Values) {
  EXPECT_EQ(parsePort("8080"), 8080);
  EXPECT_EQ(parsePort("0"), 0);
  EXPECT_EQ(parsePort("65535"), 65535);
  EXPECT_EQ(parsePort("080"), 80);
  EXPECT_FALSE(parsePort("65536").has_value());
  EXPECT_FALSE(parsePort("").has_value());
  EXPECT_FALSE(parsePort("-1").has_value());
  EXPECT_FALSE(parsePort("+80").has_value());
  EXPECT_FALSE(parsePort("80a").has_value());
}

struct PrincipalCase {
  std::string pattern;
  std::string iss;
  std::string sub;
  bool matches;
};

// Every requestPrincipals form Istio compiles into an iss matcher and a sub matcher.
TEST(PrincipalPatternTest, Forms) {
  const std::vector<PrincipalCase> cases = {
      {"*", "iss", "sub", true},
      {"*", "", "sub", false},
      {"*", "iss", "", false},
      {"*-1", "any-issuer", "sub-1", true},
      {"*-1", "any-issuer", "sub-2", false},
      {"*@istio.io/sub-2", "test-issuer-2@istio.io", "sub-2", true},
      {"*@istio.io/sub-2", "test-issuer-2@example.com", "sub-2", false},
      {"*@istio.io/sub-2", "test-issuer-2@istio.io", "sub-22", false},
      {"*/sub-2", "anything", "sub-2", true},
      {"*/sub-2", "", "sub-2", false},
      {"test-issuer*", "test-issuer-1@istio.io", "x", true},
      {"test-issuer*", "other", "x", false},
      {"test-issuer*", "test-issuer-1@istio.io", "", false},
      {"iss/sub*", "iss", "sub-1", true},
      {"iss/sub*", "iss2", "sub-1", false},
      {"iss/*", "iss", "anyone", true},
      {"iss/*", "iss", "", false},
      {"iss/sub", "iss", "sub", true},
      {"iss/sub", "iss", "sub2", false},
      {"iss", "iss", "sub", false},  // no '/': the subject must be empty
      {"iss", "iss", "", true},
      // A leading `*` is tested first, so a trailing one is literal.
      {"*ss/sub*", "iss", "sub*", true},
      {"*ss/sub*", "iss", "sub1", false},
      {"i*s/sub", "i*s", "sub", true},
      {"i*s/sub", "iss", "sub", false},
      // The value splits at the last '/', so a subject containing '/' never matches exactly.
      {"iss/team/alice", "iss", "team/alice", false},
      {"iss/team*", "iss", "team/alice", true},
      {"https://accounts.google.com/1234", "https://accounts.google.com", "1234", true},
  };
  for (const PrincipalCase& c : cases) {
    PrincipalPattern pattern = PrincipalPattern::parse(c.pattern);
    EXPECT_EQ(pattern.matches(c.iss, c.sub), c.matches)
        << c.pattern << " vs iss=" << c.iss << " sub=" << c.sub;
  }
}

}  // namespace
}  // namespace portcullis::authz
