// Manifest loading (config/loader.h loadString), then the snapshot build that turns loaded
// resources into listeners, routes, authenticators and policy engines, as a reload does.
// Remote key sets are replaced by sources without keys, so no input causes network I/O.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "config/loader.h"
#include "fuzz_util.h"
#include "jwks/key_source.h"
#include "snapshot/snapshot.h"

namespace {

namespace config = portcullis::config;
namespace snapshot = portcullis::snapshot;
namespace jwks = portcullis::jwks;

// A jwksUri source that never loads, as when the URI is unreachable.
class UnreachableKeySource : public jwks::KeySource {
 public:
  std::string describe() const override { return "unreachable jwksUri"; }
};

class OfflineKeys : public jwks::KeySourceProvider {
 public:
  std::shared_ptr<jwks::KeySource> sourceFor(const config::JwtRule& rule,
                                             const std::string& origin) override {
    if (!rule.jwks.empty()) {
      return std::make_shared<jwks::InlineKeySource>(rule.jwks, origin);
    }
    return std::make_shared<UnreachableKeySource>();
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  config::LoadResult loaded = config::loadString(yaml, "fuzz.yaml");
  for (const config::Diagnostic& diagnostic : loaded.diagnostics) {
    (void)diagnostic.format();
  }
  if (!loaded.ok()) {
    return 0;
  }

  snapshot::BuildOptions options;
  options.workload.ns = "istio-system";
  options.workload.labels = {{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}};
  options.port_map = {{80, 8080}, {443, 8443}};
  OfflineKeys keys;
  const snapshot::BuildResult built = snapshot::build(loaded.resources, options, keys);
  for (const config::Diagnostic& diagnostic : built.diagnostics) {
    (void)diagnostic.format();
  }
  return 0;
}
