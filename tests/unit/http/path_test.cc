// Request path normalization in the four modes of Istio's mesh `pathNormalization`, checked
// against what Envoy's HTTP connection manager does with the matching settings.
#include "http/path.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace portcullis::http {
namespace {

using Mode = config::PathNormalization;

// The normalized target, or "<invalid>" when normalizeTarget rejects it.
std::string normalized(std::string_view target, Mode mode = Mode::Base) {
  std::string out = "<unset>";
  if (normalizeTarget(target, mode, out) != PathStatus::Ok) {
    return "<invalid>";
  }
  return out;
}

struct PathCase {
  std::string_view target;
  std::string_view expected;
};

TEST(NormalizeBase, DecodesUnreservedEscapes) {
  const PathCase cases[] = {
      {"/%41%42%43", "/ABC"},     {"/%61%62%63", "/abc"}, {"/%30%39", "/09"},
      {"/%2D%2E%5F%7E", "/-._~"}, {"/%7e", "/~"},         {"/a%5fb", "/a_b"},
      {"/tail%41", "/tailA"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(normalized(c.target), c.expected) << c.target;
  }
}

TEST(NormalizeBase, KeepsReservedEscapes) {
  // Only unreserved characters are decoded: slashes, spaces, '%' itself and non-ASCII bytes
  // stay escaped exactly as the client sent them.
  const std::string_view kept[] = {"/a%2Fb", "/a%5Cb", "/a%20b",   "/a%25b",
                                   "/a%3Fb", "/a%23b", "/a%C3%A9", "/a%40b"};
  for (const auto target : kept) {
    EXPECT_EQ(normalized(target), target);
  }
}

TEST(NormalizeBase, DecodesOnlyOnce) {
  EXPECT_EQ(normalized("/%252E%252E/secret"), "/%252E%252E/secret");
}

TEST(NormalizeBase, KeepsIncompleteEscapes) {
  EXPECT_EQ(normalized("/a%4"), "/a%4");
  EXPECT_EQ(normalized("/a%"), "/a%");
  EXPECT_EQ(normalized("/a%zz"), "/a%zz");
  EXPECT_EQ(normalized("/a%4g"), "/a%4g");
}

TEST(NormalizeBase, ResolvesDotSegments) {
  const PathCase cases[] = {
      {"/public/../private", "/private"},
      {"/public/./../private", "/private"},
      {"/public/../public", "/public"},
      {"/a/./b", "/a/b"},
      {"/a/b/..", "/a/"},
      {"/a/b/.", "/a/b/"},
      {"/a/b/../", "/a/"},
      {"/..", "/"},
      {"/.", "/"},
      {"/../../x", "/x"},
      {"/a/../../b", "/b"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(normalized(c.target), c.expected) << c.target;
  }
}

TEST(NormalizeBase, ResolvesEscapedDotSegments) {
  EXPECT_EQ(normalized("/public/%2E%2E/private"), "/private");
  EXPECT_EQ(normalized("/public/%2e%2e/private"), "/private");
  EXPECT_EQ(normalized("/public/.%2E/private"), "/private");
  EXPECT_EQ(normalized("/public/%2E/private"), "/public/private");
}

TEST(NormalizeBase, KeepsDotsInsideSegments) {
  EXPECT_EQ(normalized("/a/.../b"), "/a/.../b");
  EXPECT_EQ(normalized("/a/..b/c"), "/a/..b/c");
  EXPECT_EQ(normalized("/a/.hidden"), "/a/.hidden");
  EXPECT_EQ(normalized("/file.txt"), "/file.txt");
}

TEST(NormalizeBase, TurnsBackslashIntoSlash) {
  EXPECT_EQ(normalized("/a\\b"), "/a/b");
  EXPECT_EQ(normalized("/public\\..\\private"), "/private");
}

TEST(NormalizeBase, KeepsRepeatedSlashes) {
  EXPECT_EQ(normalized("/a//b"), "/a//b");
  EXPECT_EQ(normalized("//a"), "//a");
}

TEST(NormalizeBase, DoesNotDecodeEscapedSlashBeforeDots) {
  // Without DECODE_AND_MERGE_SLASHES, "%2F..%2F" is one segment, not a "..".
  EXPECT_EQ(normalized("/public%2F..%2Fprivate"), "/public%2F..%2Fprivate");
}

TEST(NormalizeBase, KeepsQueryAsReceived) {
  EXPECT_EQ(normalized("/a/../b?x=%41&y=../z"), "/b?x=%41&y=../z");
  EXPECT_EQ(normalized("/a?"), "/a?");
  EXPECT_EQ(normalized("/a?b\\c"), "/a?b\\c");
}

TEST(NormalizeBase, DropsFragment) {
  EXPECT_EQ(normalized("/a#frag"), "/a");
  EXPECT_EQ(normalized("/a?x=1#frag"), "/a?x=1");
}

TEST(NormalizeBase, RejectsEncodedNul) {
  EXPECT_EQ(normalized("/a%00b"), "<invalid>");
  EXPECT_EQ(normalized("/%00"), "<invalid>");
}

TEST(NormalizeBase, RejectsRawNul) {
  EXPECT_EQ(normalized(std::string_view("/a\0b", 4)), "<invalid>");
}

TEST(NormalizeBase, RejectsTargetWithoutLeadingSlash) {
  EXPECT_EQ(normalized(""), "<invalid>");
  EXPECT_EQ(normalized("a/b"), "<invalid>");
  EXPECT_EQ(normalized("*"), "<invalid>");
  EXPECT_EQ(normalized("?x=1"), "<invalid>");
  EXPECT_EQ(normalized("http://example.com/a"), "<invalid>");
}

TEST(NormalizeBase, LeavesOutputUntouchedOnFailure) {
  std::string out = "before";
  EXPECT_EQ(normalizeTarget("/a%00", Mode::Base, out), PathStatus::Invalid);
  EXPECT_EQ(out, "before");
}

TEST(NormalizeNone, KeepsPathAsReceived) {
  EXPECT_EQ(normalized("/a/../b", Mode::None), "/a/../b");
  EXPECT_EQ(normalized("/%41", Mode::None), "/%41");
  EXPECT_EQ(normalized("/a\\b", Mode::None), "/a\\b");
  EXPECT_EQ(normalized("/a//b", Mode::None), "/a//b");
}

TEST(NormalizeNone, StillRejectsNul) {
  EXPECT_EQ(normalized("/a%00", Mode::None), "<invalid>");
}

TEST(NormalizeNone, StillDropsFragment) {
  EXPECT_EQ(normalized("/a?q#f", Mode::None), "/a?q");
}

TEST(NormalizeMergeSlashes, MergesRuns) {
  EXPECT_EQ(normalized("//a///b//", Mode::MergeSlashes), "/a/b/");
  EXPECT_EQ(normalized("/a\\\\b", Mode::MergeSlashes), "/a/b");
}

TEST(NormalizeMergeSlashes, AlsoAppliesBase) {
  EXPECT_EQ(normalized("/a/%2E%2E//b/%41", Mode::MergeSlashes), "/b/A");
}

TEST(NormalizeMergeSlashes, KeepsEscapedSlashes) {
  EXPECT_EQ(normalized("/a%2F%2Fb", Mode::MergeSlashes), "/a%2F%2Fb");
}

TEST(NormalizeMergeSlashes, LeavesQueryUnmerged) {
  EXPECT_EQ(normalized("/a//b?x=//y", Mode::MergeSlashes), "/a/b?x=//y");
}

TEST(NormalizeDecodeAndMerge, DecodesEscapedSlashes) {
  EXPECT_EQ(normalized("/a%2Fb", Mode::DecodeAndMergeSlashes), "/a/b");
  EXPECT_EQ(normalized("/a%2fb", Mode::DecodeAndMergeSlashes), "/a/b");
  EXPECT_EQ(normalized("/a%5Cb", Mode::DecodeAndMergeSlashes), "/a/b");
  EXPECT_EQ(normalized("/a%5cb", Mode::DecodeAndMergeSlashes), "/a/b");
}

TEST(NormalizeDecodeAndMerge, DecodesSlashesBeforeDots) {
  EXPECT_EQ(normalized("/public%2F..%2Fprivate", Mode::DecodeAndMergeSlashes), "/private");
  EXPECT_EQ(normalized("/public%5C..%5Cprivate", Mode::DecodeAndMergeSlashes), "/private");
  EXPECT_EQ(normalized("/public%2F%2E%2E%2Fprivate", Mode::DecodeAndMergeSlashes), "/private");
}

TEST(NormalizeDecodeAndMerge, MergesDecodedSlashes) {
  EXPECT_EQ(normalized("/a%2F%2Fb", Mode::DecodeAndMergeSlashes), "/a/b");
  EXPECT_EQ(normalized("/a/%2F/b", Mode::DecodeAndMergeSlashes), "/a/b");
}

TEST(NormalizeDecodeAndMerge, DecodesOnlyOnce) {
  EXPECT_EQ(normalized("/a%252Fb", Mode::DecodeAndMergeSlashes), "/a%252Fb");
}

TEST(NormalizeDecodeAndMerge, KeepsOtherReservedEscapes) {
  EXPECT_EQ(normalized("/a%20b%3F", Mode::DecodeAndMergeSlashes), "/a%20b%3F");
}

TEST(PathOf, StopsAtQuery) {
  EXPECT_EQ(pathOf("/a/b?x=1"), "/a/b");
  EXPECT_EQ(pathOf("/a/b"), "/a/b");
  EXPECT_EQ(pathOf("/?"), "/");
}

}  // namespace
}  // namespace portcullis::http
