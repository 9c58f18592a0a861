// Helpers for the loader tests: load YAML text written in a raw string literal, pick out
// diagnostics, and print them when an assertion fails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace portcullis::config::testing {

inline constexpr const char* kTestFile = "test.yaml";

// Loads `yaml` as the file "test.yaml". A leading newline is dropped so that line 1 is the first
// line after R"(.
inline LoadResult load(std::string_view yaml) {
  if (!yaml.empty() && yaml.front() == '\n') {
    yaml.remove_prefix(1);
  }
  return loadString(yaml, kTestFile);
}

inline std::vector<Diagnostic> withSeverity(const LoadResult& result,
                                            Diagnostic::Severity severity) {
  std::vector<Diagnostic> out;
  for (const Diagnostic& diagnostic : result.diagnostics) {
    if (diagnostic.severity == severity) {
      out.push_back(diagnostic);
    }
  }
  return out;
}

inline std::vector<Diagnostic> errors(const LoadResult& result) {
  return withSeverity(result, Diagnostic::Severity::Error);
}

inline std::vector<Diagnostic> warnings(const LoadResult& result) {
  return withSeverity(result, Diagnostic::Severity::Warning);
}

// Every diagnostic, one per line, for failure messages.
inline std::string dump(const LoadResult& result) {
  std::string out;
  for (const Diagnostic& diagnostic : result.diagnostics) {
    out += diagnostic.format() + "\n";
  }
  return out.empty() ? "(no diagnostics)\n" : out;
}

}  // namespace portcullis::config::testing

// Asserts that `result` has exactly one Error and binds it to `name`.
#define PORTCULLIS_ONLY_ERROR(name, result)                                           \
  const auto name##_errors = ::portcullis::config::testing::errors(result);           \
  ASSERT_EQ(name##_errors.size(), 1u) << ::portcullis::config::testing::dump(result); \
  const ::portcullis::config::Diagnostic& name = name##_errors.front()
