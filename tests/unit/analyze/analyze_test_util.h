// Helpers for the analysis tests: load YAML text with an Istio Gateway for the default ingress
// gateway in front of it, run the analyses, and pick out findings by code.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "analyze/analyze.h"
#include "analyze/context.h"

namespace portcullis::analyze::testing {

// Gateway foo/gw for the default ingress gateway on port 80.
inline constexpr std::string_view kIngressGateway = R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: foo
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
)";

// Istio's public demo key set, for jwtRules.
inline std::string demoJwks() {
  std::ifstream file(PORTCULLIS_SOURCE_DIR "/samples/istio/jwks.json");
  std::stringstream text;
  text << file.rdbuf();
  std::string jwks = text.str();
  while (!jwks.empty() && (jwks.back() == '\n' || jwks.back() == ' ')) {
    jwks.pop_back();
  }
  EXPECT_FALSE(jwks.empty()) << "cannot read samples/istio/jwks.json";
  return jwks;
}

// The default ingress gateway: istio-system, istio=ingressgateway, port 80 listening on 8080.
inline snapshot::BuildOptions ingressOptions() {
  snapshot::BuildOptions options;
  options.workload.ns = "istio-system";
  options.workload.labels = {{"istio", "ingressgateway"}, {"app", "istio-ingressgateway"}};
  options.port_map = {{80, 8080}, {443, 8443}};
  return options;
}

// A RequestAuthentication in istio-system for the ingress gateway with one jwtRule for
// `issuer`, with `extra` appended to the rule (indented as its other fields).
inline std::string requestAuthentication(std::string_view name, std::string_view issuer,
                                         std::string_view extra = "") {
  return "---\napiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata:\n"
         "  name: " +
         std::string(name) +
         "\n  namespace: istio-system\nspec:\n"
         "  selector:\n    matchLabels:\n      istio: ingressgateway\n  jwtRules:\n"
         "  - issuer: \"" +
         std::string(issuer) + "\"\n    jwks: '" + demoJwks() + "'\n" + std::string(extra);
}

// Loads kIngressGateway followed by the documents of `yaml` as "test.yaml", so the first line
// of `yaml` is line 13. Fails the test on any load diagnostic.
inline config::LoadResult loadWithGateway(std::string_view yaml) {
  std::string text(kIngressGateway.substr(1));
  if (yaml.starts_with('\n')) {
    yaml.remove_prefix(1);
  }
  if (!yaml.starts_with("---")) {
    text += "---\n";
  }
  text += yaml;
  config::LoadResult loaded = config::loadString(text, "test.yaml");
  for (const auto& diagnostic : loaded.diagnostics) {
    ADD_FAILURE() << "unexpected load diagnostic: " << diagnostic.format();
  }
  return loaded;
}

inline std::vector<Finding> analyzeWithGateway(
    std::string_view yaml, const snapshot::BuildOptions& options = ingressOptions()) {
  config::LoadResult loaded = loadWithGateway(yaml);
  return analyze(loaded.resources, options);
}

inline std::vector<Finding> withCode(const std::vector<Finding>& findings, std::string_view code) {
  std::vector<Finding> out;
  for (const auto& finding : findings) {
    if (finding.code == code) {
      out.push_back(finding);
    }
  }
  return out;
}

// Every finding, one per line with its code and hint, for failure messages.
inline std::string dump(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& finding : findings) {
    out += finding.diagnostic.format() + " [" + finding.code + "] hint: " + finding.hint + "\n";
  }
  return out.empty() ? "(no findings)\n" : out;
}

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace portcullis::analyze::testing

// Asserts that `findings` has exactly one finding with `code` and binds it to `name`.
#define PORTCULLIS_ONLY_FINDING(name, findings, code)                                 \
  const auto name##_all = ::portcullis::analyze::testing::withCode(findings, code);   \
  ASSERT_EQ(name##_all.size(), 1u) << ::portcullis::analyze::testing::dump(findings); \
  const ::portcullis::analyze::Finding& name = name##_all.front()
