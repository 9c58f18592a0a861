// Request-target normalization (http/path.h) in every mode of the mesh's pathNormalization.
// Besides memory errors, it checks the contract that authorization relies on: a normalized
// path starts with '/', has no "." or ".." segment and no '\', and the merging modes leave no
// "//". The query is passed through unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "http/path.h"

namespace {

using portcullis::config::PathNormalization;

bool hasDotSegment(std::string_view path) {
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") {
      return true;
    }
    start = end + 1;
  }
  return false;
}

void checkMode(std::string_view target, PathNormalization mode) {
  std::string out;
  const auto status = portcullis::http::normalizeTarget(target, mode, out);
  const std::string_view without_fragment = target.substr(0, target.find('#'));
  const size_t query_at = without_fragment.find('?');
  const std::string_view raw_path = without_fragment.substr(0, query_at);
  const std::string_view query =
      query_at == std::string_view::npos ? std::string_view{} : without_fragment.substr(query_at);

  if (raw_path.empty() || raw_path.front() != '/' ||
      raw_path.find('\0') != std::string_view::npos) {
    PORTCULLIS_FUZZ_CHECK(status == portcullis::http::PathStatus::Invalid,
                          "a path without a leading '/' or with NUL was accepted");
  }
  if (status != portcullis::http::PathStatus::Ok) {
    return;
  }

  const std::string_view path = portcullis::http::pathOf(out);
  PORTCULLIS_FUZZ_CHECK(!path.empty() && path.front() == '/', "normalized path lacks '/'");
  PORTCULLIS_FUZZ_CHECK(std::string_view(out).substr(path.size()) == query,
                        "the query changed");
  if (mode == PathNormalization::None) {
    PORTCULLIS_FUZZ_CHECK(path == raw_path, "mode None changed the path");
    return;
  }
  PORTCULLIS_FUZZ_CHECK(!hasDotSegment(path), "a dot segment survived normalization");
  PORTCULLIS_FUZZ_CHECK(path.find('\\') == std::string_view::npos, "a '\\' survived");
  if (mode == PathNormalization::MergeSlashes ||
      mode == PathNormalization::DecodeAndMergeSlashes) {
    PORTCULLIS_FUZZ_CHECK(path.find("//") == std::string_view::npos, "a '//' survived");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  for (auto mode : {PathNormalization::None, PathNormalization::Base,
                    PathNormalization::MergeSlashes, PathNormalization::DecodeAndMergeSlashes}) {
    checkMode(target, mode);
  }
  return 0;
}
