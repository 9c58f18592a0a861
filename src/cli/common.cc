#include <iostream>

#include <spdlog/spdlog.h>

#include "admin/server.h"
#include "cli/cli.h"

namespace portcullis::cli {

bool buildOptionsFrom(const GatewayOptions& options, snapshot::BuildOptions& out) {
  std::string error;
  auto port_map = snapshot::parsePortMap(options.port_map, error);
  if (!port_map) {
    std::cerr << "portcullis: --port-map: " << error << "\n";
    return false;
  }
  auto labels = snapshot::parseLabels(options.labels, error);
  if (!labels) {
    std::cerr << "portcullis: --labels: " << error << "\n";
    return false;
  }
  out.port_map = std::move(*port_map);
  out.workload.ns = options.ns;
  out.workload.labels = std::move(*labels);
  return true;
}

bool parseListenAddress(std::string_view text, boost::asio::ip::tcp::endpoint& out,
                        std::string& error) {
  return admin::parseHostPort(text, out, error);
}

void printDiagnostics(const std::vector<config::Diagnostic>& diagnostics) {
  for (const auto& diagnostic : diagnostics) {
    switch (diagnostic.severity) {
      case config::Diagnostic::Severity::Error:
        spdlog::error("{}", diagnostic.format());
        break;
      case config::Diagnostic::Severity::Warning:
        spdlog::warn("{}", diagnostic.format());
        break;
      case config::Diagnostic::Severity::Info:
        spdlog::info("{}", diagnostic.format());
        break;
    }
  }
}

}  // namespace portcullis::cli
