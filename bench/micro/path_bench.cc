// Request path normalization (src/http/path.h) in the mesh config's default mode (Base) and
// in the strictest one, on a clean path and on one that needs every rewrite.
#include <string>

#include <benchmark/benchmark.h>

#include "http/path.h"

namespace portcullis::bench {
namespace {

using config::PathNormalization;

void BM_NormalizeTarget(benchmark::State& state, std::string target, PathNormalization mode) {
  std::string out;
  for (auto _ : state) {
    const http::PathStatus status = http::normalizeTarget(target, mode, out);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(out);
  }
}

const std::string kClean = "/api/svc7/items/42?expand=owner&page=2";
const std::string kMessy = "/api//svc7/./items/%7Euser/../42%2Fdetails%41?expand=owner";

BENCHMARK_CAPTURE(BM_NormalizeTarget, CleanBase, kClean, PathNormalization::Base);
BENCHMARK_CAPTURE(BM_NormalizeTarget, CleanDecodeAndMerge, kClean,
                  PathNormalization::DecodeAndMergeSlashes);
BENCHMARK_CAPTURE(BM_NormalizeTarget, MessyBase, kMessy, PathNormalization::Base);
BENCHMARK_CAPTURE(BM_NormalizeTarget, MessyDecodeAndMerge, kMessy,
                  PathNormalization::DecodeAndMergeSlashes);

}  // namespace
}  // namespace portcullis::bench
