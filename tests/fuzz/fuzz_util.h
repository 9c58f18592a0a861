// Helpers shared by the libFuzzer targets of this folder.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace portcullis::fuzz {

// Stops the run with `message` when `condition` is false. libFuzzer records the input as a
// crash, so a broken invariant is reported like a memory error.
#define PORTCULLIS_FUZZ_CHECK(condition, message)                                       \
  do {                                                                                  \
    if (!(condition)) {                                                                 \
      std::fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n", __FILE__, __LINE__, \
                   #condition, message);                                                \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The contents of every regular file in `folder`, in name order.
inline std::vector<std::string> readFolder(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.is_regular_file()) {
      paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> contents;
  for (const auto& path : paths) {
    contents.push_back(readFile(path));
  }
  return contents;
}

// Loads a manifest embedded in a target. The target's fixed configuration must be valid, so
// any error diagnostic stops the process before fuzzing starts.
inline config::LoadResult loadFixedConfig(std::string_view yaml, const char* name) {
  config::LoadResult loaded = config::loadString(yaml, name);
  if (!loaded.ok()) {
    for (const auto& diagnostic : loaded.diagnostics) {
      std::fprintf(stderr, "%s\n", diagnostic.format().c_str());
    }
    std::fprintf(stderr, "the fixed configuration of the fuzz target has errors\n");
    std::abort();
  }
  return loaded;
}

}  // namespace portcullis::fuzz
