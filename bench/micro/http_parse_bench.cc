// HTTP/1.1 request header parsing with Beast's request_parser, set up as the proxy session
// sets it up (buffer_body, a 60 KiB header limit, no body limit): a fresh parser per request,
// the whole header in one buffer.
#include <string>

#include <benchmark/benchmark.h>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "fixtures.h"

namespace portcullis::bench {
namespace {

namespace http = boost::beast::http;

void BM_ParseRequestHeader(benchmark::State& state, bool with_token) {
  const std::string request =
      rawRequest(with_token ? makeTokenFixture("RS256").token : std::string());
  for (auto _ : state) {
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(60 * 1024);
    parser.body_limit(boost::none);
    boost::beast::error_code ec;
    const size_t used = parser.put(boost::asio::buffer(request), ec);
    benchmark::DoNotOptimize(used);
    if (ec || !parser.is_header_done()) {
      state.SkipWithError("the request did not parse");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
  state.SetLabel(std::to_string(request.size()) + "-byte header");
}

BENCHMARK_CAPTURE(BM_ParseRequestHeader, WithBearerToken, true);
BENCHMARK_CAPTURE(BM_ParseRequestHeader, WithoutToken, false);

}  // namespace
}  // namespace portcullis::bench
