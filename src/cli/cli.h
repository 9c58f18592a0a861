// The subcommands of the `portcullis` program. Each returns the process exit status.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/server.h"
#include "snapshot/snapshot.h"

namespace portcullis::cli {

// Options shared by `serve` and `check`: what to load and who the gateway is.
struct GatewayOptions {
  std::vector<std::string> config_paths;
  std::string port_map = "80=8080,443=8443";
  std::string ns = "istio-system";
  std::string labels = "istio=ingressgateway,app=istio-ingressgateway";
};

struct ServeOptions {
  GatewayOptions gateway;
  std::string bind = "0.0.0.0";
  std::string admin = "127.0.0.1:15000";
  unsigned workers = 0;  // 0: one per core
  std::string log_level = "info";
  proxy::Limits limits;
};

struct CheckOptions {
  GatewayOptions gateway;
  std::string request;  // "METHOD URL"
  std::vector<std::string> headers;  // "Name: value"
  std::string peer = "127.0.0.1";
  long long now = -1;  // seconds since the epoch; -1: the clock
  std::string output = "text";
};

int runServe(const ServeOptions& options);
int runCheck(const CheckOptions& options);

// Parses the gateway identity and port map; on error prints it and returns false.
bool buildOptionsFrom(const GatewayOptions& options, snapshot::BuildOptions& out);

// Parses "ADDR:PORT" or "[V6]:PORT".
bool parseListenAddress(std::string_view text, boost::asio::ip::tcp::endpoint& out,
                        std::string& error);

// Prints load or build diagnostics: errors and warnings to stderr, info at debug level.
void printDiagnostics(const std::vector<config::Diagnostic>& diagnostics);

}  // namespace portcullis::cli
