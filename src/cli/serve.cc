// `portcullis serve`: loads the manifests, serves them, reloads them when they change.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "admin/server.h"
#include "cli/cli.h"
#include "cli/demo.h"
#include "config/loader.h"
#include "jwks/registry.h"
#include "proxy/server.h"
#include "snapshot/store.h"

namespace portcullis::cli {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto kReloadPollInterval = std::chrono::seconds(2);

// A cheap summary of the configuration files on disk: names, sizes and modification times.
// Reload happens when it changes.
std::string fingerprint(const std::vector<std::string>& paths) {
  std::string out;
  auto add_file = [&out](const std::filesystem::path& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) == 0) {
      out += file.string() + ":" + std::to_string(info.st_size) + ":" +
             std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec) +
             "\n";
    } else {
      out += file.string() + ":missing\n";
    }
  };
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        const auto extension = entry.path().extension();
        if (extension == ".yaml" || extension == ".yml") {
          files.push_back(entry.path());
        }
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        add_file(file);
      }
    } else {
      add_file(path);
    }
  }
  return out;
}

class Gateway {
 public:
  Gateway(const ServeOptions& options, const snapshot::BuildOptions& build_options)
      : options_(options),
        build_options_(build_options),
        registry_(control_io_, [this] { store_.keysChanged(); }),
        signals_(control_io_, SIGINT, SIGTERM, SIGHUP),
        reload_timer_(control_io_) {}

  int run() {
    std::optional<config::LoadResult> loaded = load();
    if (!loaded) {
      return 1;
    }
    snapshot::BuildResult built = snapshot::build(loaded->resources, build_options_, registry_);
    printDiagnostics(built.diagnostics);
    if (!built.snapshot) {
      spdlog::error("the configuration has errors; nothing is served");
      return 1;
    }
    store_.publish(built.snapshot);

    proxy::ServerOptions server_options;
    server_options.bind = options_.bind;
    server_options.limits = options_.limits;
    server_options.workers =
        options_.workers != 0 ? options_.workers : std::max(1u, std::thread::hardware_concurrency());
    server_ = std::make_unique<proxy::Server>(server_options, store_);
    tcp::endpoint admin_endpoint;
    std::string error;
    if (!admin::parseHostPort(options_.admin, admin_endpoint, error)) {
      spdlog::error("--admin: {}", error);
      return 1;
    }
    try {
      server_->syncListeners(*built.snapshot);
      admin_ = std::make_unique<admin::Server>(
          control_io_, admin_endpoint,
          [this](std::string_view method, std::string_view target) {
            return adminRequest(method, target);
          });
    } catch (const std::system_error& e) {
      spdlog::error("{}: {}", e.what(), e.code().message());
      return 1;
    }
    server_->start();
    admin_->start();
    listening_ = true;
    logListeners(*built.snapshot, server_options.workers);
    if (demo_) {
      demo_->printInstructions(*built.snapshot);
    }

    fingerprint_ = fingerprint(options_.gateway.config_paths);
    waitForSignal();
    scheduleReloadPoll();
    control_io_.run();

    spdlog::info("stopping");
    server_->stop();
    return 0;
  }

 private:
  std::optional<config::LoadResult> load() {
    config::LoadResult loaded;
    if (options_.gateway.config_paths.empty()) {
      demo_.emplace();
      loaded = config::loadString(demo_->manifests(), "built-in demo");
    } else {
      loaded = config::loadPaths(options_.gateway.config_paths);
    }
    printDiagnostics(loaded.diagnostics);
    if (!loaded.ok()) {
      spdlog::error("the configuration has errors; nothing is served");
      return std::nullopt;
    }
    return loaded;
  }

  void reload(const char* why) {
    if (options_.gateway.config_paths.empty()) {
      return;  // the built-in demo has no files to reread
    }
    spdlog::info("reloading the configuration: {}", why);
    config::LoadResult loaded = config::loadPaths(options_.gateway.config_paths);
    printDiagnostics(loaded.diagnostics);
    if (!loaded.ok()) {
      spdlog::error("configuration reload rejected; the previous configuration keeps serving");
      return;
    }
    snapshot::BuildResult built = snapshot::build(loaded.resources, build_options_, registry_);
    printDiagnostics(built.diagnostics);
    if (!built.snapshot) {
      spdlog::error("configuration reload rejected; the previous configuration keeps serving");
      return;
    }
    try {
      server_->syncListeners(*built.snapshot);
    } catch (const std::system_error& e) {
      spdlog::error("configuration reload rejected: {}: {}; the previous configuration keeps "
                    "serving",
                    e.what(), e.code().message());
      return;
    }
    store_.publish(built.snapshot);
    registry_.collect();
    logListeners(*built.snapshot, server_->options().workers);
    spdlog::info("configuration version {} is serving", built.snapshot->version);
  }

  void waitForSignal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) {
        return;
      }
      if (signal == SIGHUP) {
        // The files are read now, so the periodic check must not reload them a second time.
        fingerprint_ = fingerprint(options_.gateway.config_paths);
        reload("SIGHUP");
        waitForSignal();
        return;
      }
      control_io_.stop();
    });
  }

  void scheduleReloadPoll() {
    reload_timer_.expires_after(kReloadPollInterval);
    reload_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) {
        return;
      }
      std::string current = fingerprint(options_.gateway.config_paths);
      if (current != fingerprint_) {
        fingerprint_ = std::move(current);
        reload("a configuration file changed");
      }
      scheduleReloadPoll();
    });
  }

  admin::Response adminRequest(std::string_view method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/ready") {
      if (!listening_) {
        return {503, "text/plain", "not listening yet\n"};
      }
      if (!registry_.allAttempted()) {
        return {503, "text/plain", "waiting for the first fetch of every JWKS\n"};
      }
      return {200, "text/plain", "LIVE\n"};
    }
    if (path == "/stats/prometheus" || path == "/stats") {
      return {200, "text/plain; version=0.0.4", prometheusText()};
    }
    if (path == "/config_dump") {
      return {200, "text/plain", describeSnapshot(*store_.snapshot())};
    }
    return {404, "text/plain",
            "unknown admin path; try /ready, /stats/prometheus or /config_dump\n"};
  }

  std::string prometheusText() const {
    std::string out;
    for (size_t i = 0; i < stats::kCounterCount; ++i) {
      const auto counter = static_cast<stats::Counter>(i);
      const std::string name = "portcullis_" + std::string(stats::counterName(counter)) + "_total";
      out += "# HELP " + name + " " + std::string(stats::counterHelp(counter)) + "\n";
      out += "# TYPE " + name + " counter\n";
      out += name + " " + std::to_string(server_->total(counter)) + "\n";
    }
    out += registry_.prometheusText();
    return out;
  }

  static std::string describeSnapshot(const snapshot::Snapshot& snapshot) {
    std::string out = "configuration version " + std::to_string(snapshot.version) + "\n";
    for (const auto& listener : snapshot.listeners) {
      out += "listener " + std::to_string(listener.listen_port) + " (gateway port " +
             std::to_string(listener.gateway_port) + ") for " + listener.workload.describe() +
             "\n";
      if (listener.authn) {
        for (const auto& provider : listener.authn->providers()) {
          out += "  jwt issuer " + provider.issuer + " from " + provider.origin + "\n";
        }
      }
      for (const auto& vhost : listener.virtual_hosts) {
        out += "  host " + vhost.domains.front() + "\n";
        for (const auto& route : vhost.routes) {
          out += "    route " + route.origin + "\n";
        }
      }
    }
    for (const auto& cluster : snapshot.clusters) {
      out += "cluster " + cluster.name + ":";
      for (const auto& endpoint : cluster.endpoints) {
        out += " " + endpoint.host + ":" + std::to_string(endpoint.port);
      }
      out += "\n";
    }
    return out;
  }

  void logListeners(const snapshot::Snapshot& snapshot, unsigned workers) {
    for (const auto& listener : snapshot.listeners) {
      spdlog::info("listening on {}:{} for gateway port {} ({}), {} workers", options_.bind,
                   listener.listen_port, listener.gateway_port, listener.origins.front(),
                   workers);
    }
  }

  const ServeOptions& options_;
  const snapshot::BuildOptions& build_options_;
  asio::io_context control_io_{1};
  snapshot::Store store_;
  jwks::Registry registry_;
  asio::signal_set signals_;
  asio::steady_timer reload_timer_;
  std::unique_ptr<proxy::Server> server_;
  std::unique_ptr<admin::Server> admin_;
  std::optional<Demo> demo_;
  std::string fingerprint_;
  bool listening_ = false;
};

}  // namespace

int runServe(const ServeOptions& options) {
  snapshot::BuildOptions build_options;
  if (!buildOptionsFrom(options.gateway, build_options)) {
    return 2;
  }
  Gateway gateway(options, build_options);
  return gateway.run();
}

}  // namespace portcullis::cli
