// The malformed-manifest corpus: each file under tests/vectors/config/malformed has one mistake
// and a first line "# expect: LINE:COLUMN FIELD | TEXT" (FIELD "-" for none). Loading the file
// must give exactly that one Error.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "config_test_util.h"

namespace portcullis::config {
namespace {

using testing::dump;
using testing::errors;

const std::filesystem::path kCorpus =
    std::filesystem::path(PORTCULLIS_TEST_VECTORS) / "config" / "malformed";

struct Expectation {
  int line = 0;
  int column = 0;
  std::string field;
  std::string text;
};

// Parses "# expect: 12:5 spec.rules[0] | message part".
bool parseExpectation(const std::string& first_line, Expectation& out) {
  const std::string prefix = "# expect: ";
  if (first_line.rfind(prefix, 0) != 0) {
    return false;
  }
  std::istringstream stream(first_line.substr(prefix.size()));
  char colon = 0;
  stream >> out.line >> colon >> out.column >> out.field;
  if (colon != ':' || out.field.empty()) {
    return false;
  }
  if (out.field == "-") {
    out.field.clear();
  }
  size_t bar = first_line.find(" | ");
  if (bar == std::string::npos) {
    return false;
  }
  out.text = first_line.substr(bar + 3);
  return true;
}

std::vector<std::filesystem::path> corpusFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus)) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(MalformedCorpus, HasFiles) {
  EXPECT_GE(corpusFiles().size(), 30u) << kCorpus;
}

TEST(MalformedCorpus, EachFileGivesItsOneError) {
  for (const std::filesystem::path& path : corpusFiles()) {
    SCOPED_TRACE(path.filename().string());
    std::ifstream stream(path);
    std::string first_line;
    std::getline(stream, first_line);
    Expectation expected;
    ASSERT_TRUE(parseExpectation(first_line, expected)) << first_line;

    LoadResult result = loadPaths({path.string()});
    std::vector<Diagnostic> found = errors(result);
    ASSERT_EQ(found.size(), 1u) << dump(result);
    const Diagnostic& error = found.front();
    EXPECT_EQ(error.location.file, path.string());
    EXPECT_EQ(error.location.line, expected.line) << error.format();
    EXPECT_EQ(error.location.column, expected.column) << error.format();
    EXPECT_EQ(error.field, expected.field) << error.format();
    EXPECT_NE(error.message.find(expected.text), std::string::npos) << error.format();
  }
}

}  // namespace
}  // namespace portcullis::config
