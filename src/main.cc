// The `portcullis` program: an Istio-compatible ingress gateway and its tools.
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/cli.h"
#include "cli/token.h"
#include "cli/validate.h"
#include "httpbin/server.h"

namespace {

void addGatewayOptions(CLI::App& command, portcullis::cli::GatewayOptions& options,
                       bool config_required) {
  auto* config = command.add_option("--config", options.config_paths,
                                    "YAML file or folder of *.yaml/*.yml manifests (repeatable)");
  if (config_required) {
    config->required();
  }
  command.add_option("--port-map", options.port_map,
                     "gateway port to listen port, GW=LISTEN[,GW=LISTEN...]")
      ->capture_default_str();
  command.add_option("--namespace", options.ns, "namespace of the gateway workload")
      ->capture_default_str();
  command.add_option("--labels", options.labels, "labels of the gateway workload, K=V[,K=V...]")
      ->capture_default_str();
}

// Flags for the data plane's limits, in the units operators think in (KiB, seconds).
void addLimitOptions(CLI::App& command, portcullis::proxy::Limits& limits) {
  const size_t header_kib = limits.max_request_header_bytes / 1024;
  const size_t target_kib = limits.max_request_target_bytes / 1024;
  const double header_timeout_s = limits.request_header_timeout.count() / 1000.0;
  const double idle_timeout_s = limits.idle_timeout.count() / 1000.0;
  const double connect_timeout_s = limits.connect_timeout.count() / 1000.0;
  auto seconds = [](double value) {
    return std::chrono::milliseconds(static_cast<int64_t>(value * 1000));
  };
  command
      .add_option_function<size_t>(
          "--max-request-headers-kb",
          [&limits](size_t kib) { limits.max_request_header_bytes = kib * 1024; },
          "request line and headers, in KiB; larger requests get 431")
      ->default_val(header_kib)
      ->check(CLI::Range(1, 8192));
  command
      .add_option("--max-request-headers-count", limits.max_request_headers,
                  "header lines per request; more get 431")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  command
      .add_option_function<size_t>(
          "--max-request-target-kb",
          [&limits](size_t kib) { limits.max_request_target_bytes = kib * 1024; },
          "request target (path and query), in KiB; longer requests get 414")
      ->default_val(target_kib)
      ->check(CLI::Range(1, 8192));
  command
      .add_option_function<double>(
          "--request-header-timeout",
          [&limits, seconds](double s) { limits.request_header_timeout = seconds(s); },
          "seconds a client has to send a complete request header, idle keep-alive included")
      ->default_val(header_timeout_s)
      ->check(CLI::PositiveNumber);
  command
      .add_option_function<double>(
          "--idle-timeout", [&limits, seconds](double s) { limits.idle_timeout = seconds(s); },
          "seconds a body transfer may stall, in either direction, before the connection closes")
      ->default_val(idle_timeout_s)
      ->check(CLI::PositiveNumber);
  command
      .add_option_function<double>(
          "--upstream-connect-timeout",
          [&limits, seconds](double s) { limits.connect_timeout = seconds(s); },
          "seconds to open an upstream or ext_authz provider connection before answering 503 or failing the check")
      ->default_val(connect_timeout_s)
      ->check(CLI::PositiveNumber);
  command
      .add_option("--max-connections", limits.max_connections,
                  "open client connections over all workers; more are closed on accept")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

bool setLogLevel(const std::string& name) {
  const auto level = spdlog::level::from_str(name);
  if (level == spdlog::level::off && name != "off") {
    std::cerr << "portcullis: --log-level \"" << name
              << "\" is not one of trace, debug, info, warn, error, critical, off\n";
    return false;
  }
  spdlog::set_level(level);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("portcullis");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);

  CLI::App app{"Portcullis: an ingress gateway that authenticates JWTs and authorizes requests "
               "with Istio's RequestAuthentication and AuthorizationPolicy"};
  app.set_version_flag("--version", PORTCULLIS_VERSION);
  app.require_subcommand(1);

  portcullis::cli::ServeOptions serve;
  auto* serve_command = app.add_subcommand(
      "serve", "run the gateway (without --config: the built-in demo)");
  addGatewayOptions(*serve_command, serve.gateway, false);
  serve_command->add_option("--bind", serve.bind, "address the gateway ports listen on")
      ->capture_default_str();
  serve_command->add_option("--admin", serve.admin, "admin address, ADDR:PORT")
      ->capture_default_str();
  serve_command->add_option("--workers", serve.workers,
                            "worker threads, each with its own event loop (0: one per core)")
      ->capture_default_str();
  serve_command->add_option("--log-level", serve.log_level,
                            "trace, debug, info, warn, error or off")
      ->capture_default_str();
  addLimitOptions(*serve_command, serve.limits);

  portcullis::cli::CheckOptions check;
  auto* check_command = app.add_subcommand(
      "check", "evaluate one request offline and explain the decision");
  addGatewayOptions(*check_command, check.gateway, true);
  check_command->add_option("--request", check.request, "'METHOD URL' of the request")
      ->required();
  check_command->add_option("-H,--header", check.headers, "request header 'Name: value'");
  check_command->add_option("--peer", check.peer, "client IP address as the gateway sees it")
      ->capture_default_str();
  check_command->add_option("--now", check.now, "clock, in seconds since the epoch");
  check_command->add_option("--output", check.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  portcullis::cli::ValidateOptions validate;
  auto* validate_command = app.add_subcommand(
      "validate", "report errors and warnings of a configuration, like istioctl analyze");
  addGatewayOptions(*validate_command, validate.gateway, true);
  validate_command->add_option("--output", validate.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  std::string httpbin_listen;
  unsigned httpbin_workers = 1;
  auto* httpbin_command =
      app.add_subcommand("httpbin", "run the built-in httpbin-compatible upstream");
  httpbin_command->add_option("--listen", httpbin_listen, "ADDR:PORT")->required();
  httpbin_command->add_option("--workers", httpbin_workers, "threads")->capture_default_str();

  const portcullis::cli::TokenCommand token_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*serve_command) {
    if (!setLogLevel(serve.log_level)) {
      return 2;
    }
    return portcullis::cli::runServe(serve);
  }
  if (*check_command) {
    return portcullis::cli::runCheck(check);
  }
  if (*validate_command) {
    return portcullis::cli::runValidate(validate);
  }
  if (token_command.selected()) {
    return token_command.run();
  }
  if (*httpbin_command) {
    portcullis::httpbin::Options options;
    std::string error;
    if (!portcullis::cli::parseListenAddress(httpbin_listen, options.listen, error)) {
      std::cerr << "portcullis httpbin: --listen: " << error << "\n";
      return 2;
    }
    return portcullis::httpbin::runStandalone(options, std::max(1u, httpbin_workers));
  }
  return 2;
}
