#include "jwks/registry.h"

#include <algorithm>
#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include "jwks/fetch.h"

namespace portcullis::jwks {
namespace {

namespace asio = boost::asio;

class RemoteKeySource : public KeySource, public std::enable_shared_from_this<RemoteKeySource> {
 public:
  RemoteKeySource(asio::io_context& io, asio::ssl::context& tls, std::string issuer,
                  std::string uri, std::chrono::milliseconds timeout, const RemoteOptions& options,
                  std::function<void()> on_change)
      : io_(io),
        tls_(tls),
        issuer_(std::move(issuer)),
        uri_(std::move(uri)),
        timeout_(timeout),
        options_(options),
        on_change_(std::move(on_change)) {}

  std::string describe() const override {
    return uri_.empty() ? "OIDC discovery for issuer " + issuer_ : "JWKS " + uri_;
  }

  void start() {
    asio::co_spawn(io_, run(weak_from_this()), asio::detached);
  }

  bool requestRefresh() override {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t last = last_refetch_ms_.load(std::memory_order_relaxed);
    if (last != 0 && now - last < options_.min_refetch_interval.count()) {
      return false;
    }
    if (!last_refetch_ms_.compare_exchange_strong(last, now)) {
      return false;  // another worker asked at the same moment
    }
    asio::co_spawn(io_, refreshOnDemand(weak_from_this()), asio::detached);
    return true;
  }

 private:
  static asio::awaitable<void> run(std::weak_ptr<RemoteKeySource> weak) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::chrono::milliseconds retry{0};
    while (true) {
      std::chrono::milliseconds wait{0};
      {
        auto self = weak.lock();
        if (!self) {
          co_return;
        }
        const bool ok = co_await self->refresh();
        if (ok) {
          retry = std::chrono::milliseconds{0};
          wait = self->options_.refresh_interval;
        } else {
          retry = retry.count() == 0 ? self->options_.first_retry
                                     : std::min(retry * 2, self->options_.max_retry);
          wait = retry;
        }
      }
      timer.expires_after(wait);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        co_return;
      }
    }
  }

  static asio::awaitable<void> refreshOnDemand(std::weak_ptr<RemoteKeySource> weak) {
    if (auto self = weak.lock()) {
      spdlog::info("issuer {}: a token named a key id missing from the key set; fetching it "
                   "again",
                   self->issuer_);
      co_await self->refresh();
    }
  }

  // Finds the JWKS URI through OIDC discovery: <issuer>/.well-known/openid-configuration.
  asio::awaitable<std::string> discover(std::string& error) {
    std::string base = issuer_;
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    const std::string url = base + "/.well-known/openid-configuration";
    FetchOptions options;
    options.timeout = timeout_;
    FetchResult result = co_await fetch(url, options, tls_);
    if (!result.ok) {
      error = "OIDC discovery at " + url + " failed: " + result.error;
      co_return std::string{};
    }
    boost::system::error_code ec;
    auto document = boost::json::parse(result.body, ec);
    if (ec || !document.is_object() || !document.as_object().contains("jwks_uri") ||
        !document.as_object().at("jwks_uri").is_string()) {
      error = "OIDC discovery document at " + url + " has no jwks_uri string";
      co_return std::string{};
    }
    co_return std::string(document.as_object().at("jwks_uri").get_string());
  }

  // One fetch; returns true when a usable key set was published.
  asio::awaitable<bool> refresh() {
    std::string error;
    std::string uri = uri_;
    if (uri.empty()) {
      uri = co_await discover(error);
    }
    if (!uri.empty()) {
      FetchOptions options;
      options.timeout = timeout_;
      FetchResult result = co_await fetch(uri, options, tls_);
      if (result.ok) {
        auto keys = jwt::Jwks::parse(result.body);
        for (const auto& skipped : keys->skipped()) {
          spdlog::warn("JWKS {} for issuer {}: key kid=\"{}\" skipped: {}", uri, issuer_,
                       skipped.kid, jwt::statusMessage(skipped.status));
        }
        if (keys->status() == jwt::Status::Ok) {
          report(true, "fetched " + std::to_string(keys->keys().size()) + " keys from " + uri);
          countFetch(true);
          publish(std::move(keys));
          if (on_change_) {
            on_change_();
          }
          co_return true;
        }
        error = "JWKS at " + uri + " is not usable: " +
                std::string(jwt::statusMessage(keys->status()));
      } else {
        error = "fetching JWKS " + uri + " failed: " + result.error;
      }
    }
    const bool had_keys = current() != nullptr;
    report(false, error + (had_keys ? "; the last good key set stays in use"
                                    : "; tokens of this issuer are rejected until a fetch "
                                      "succeeds"));
    countFetch(false);
    markAttempted();
    if (on_change_) {
      on_change_();
    }
    co_return false;
  }

  // Logs an outcome when it differs from the previous one, so a failing URI does not flood
  // the log.
  void report(bool ok, const std::string& message) {
    if (message == last_report_) {
      spdlog::debug("issuer {}: {}", issuer_, message);
      return;
    }
    last_report_ = message;
    if (ok) {
      spdlog::info("issuer {}: {}", issuer_, message);
    } else {
      spdlog::warn("issuer {}: {}", issuer_, message);
    }
  }

  asio::io_context& io_;
  asio::ssl::context& tls_;
  std::string issuer_;
  std::string uri_;
  std::chrono::milliseconds timeout_;
  RemoteOptions options_;
  std::function<void()> on_change_;
  std::string last_report_;
  std::atomic<int64_t> last_refetch_ms_{0};
};

}  // namespace

Registry::Registry(asio::io_context& io, std::function<void()> on_change, RemoteOptions options)
    : io_(io),
      on_change_(std::move(on_change)),
      options_(options) {}

Registry::~Registry() = default;

std::shared_ptr<KeySource> Registry::sourceFor(const config::JwtRule& rule,
                                               const std::string& origin) {
  // An inline key set wins over jwksUri, as in istiod.
  if (!rule.jwks.empty()) {
    const std::string key = "inline:" + rule.jwks;
    auto& source = sources_[key];
    if (!source) {
      source = std::make_shared<InlineKeySource>(rule.jwks, origin);
    }
    return source;
  }
  const std::string key = "remote:" + rule.issuer + "\n" + rule.jwks_uri + "\n" +
                          std::to_string(rule.timeout.count());
  auto& source = sources_[key];
  if (!source) {
    if (!tls_) {
      tls_ = std::make_unique<asio::ssl::context>(makeClientTlsContext());
    }
    auto remote = std::make_shared<RemoteKeySource>(io_, *tls_, rule.issuer, rule.jwks_uri,
                                                    rule.timeout, options_, on_change_);
    remote->start();
    source = remote;
  }
  return source;
}

bool Registry::allAttempted() const {
  return std::all_of(sources_.begin(), sources_.end(),
                     [](const auto& entry) { return entry.second->attempted(); });
}

std::string Registry::prometheusText() const {
  std::string out =
      "# HELP portcullis_jwks_fetches_total Remote JWKS fetches, by key source and result.\n"
      "# TYPE portcullis_jwks_fetches_total counter\n";
  for (const auto& [key, source] : sources_) {
    if (!key.starts_with("remote:")) {
      continue;
    }
    std::string label = source->describe();
    std::string escaped;
    for (char c : label) {
      if (c == '"' || c == '\\') {
        escaped += '\\';
      }
      escaped += c == '\n' ? ' ' : c;
    }
    out += "portcullis_jwks_fetches_total{source=\"" + escaped + "\",result=\"success\"} " +
           std::to_string(source->fetchSuccesses()) + "\n";
    out += "portcullis_jwks_fetches_total{source=\"" + escaped + "\",result=\"failure\"} " +
           std::to_string(source->fetchFailures()) + "\n";
  }
  return out;
}

void Registry::collect() {
  for (auto it = sources_.begin(); it != sources_.end();) {
    if (it->second.use_count() == 1) {
      it = sources_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace portcullis::jwks
