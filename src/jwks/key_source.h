// Where a JWT provider's keys come from: inline text, or a remote JWKS URI that is fetched,
// refreshed and kept across configuration reloads. Key sets are immutable once published;
// readers take a shared_ptr and never block writers for longer than a pointer copy.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "config/resources.h"
#include "jwt/jwks.h"

namespace portcullis::jwks {

class KeySource {
 public:
  virtual ~KeySource() = default;

  // The newest usable key set, or null when none has loaded yet.
  std::shared_ptr<const jwt::Jwks> current() const {
    std::lock_guard lock(mutex_);
    return keys_;
  }

  // True once the first load attempt finished, whatever its outcome.
  bool attempted() const { return attempted_.load(std::memory_order_acquire); }

  // Count of finished load attempts, successful or not.
  uint64_t attempts() const { return attempts_.load(std::memory_order_acquire); }

  // Asks for a fetch ahead of schedule because a token named a kid the current key set lacks,
  // as after a key rotation. Thread-safe. Returns false when this source cannot fetch
  // (inline key sets) or when it already fetched early within its minimum interval.
  virtual bool requestRefresh() { return false; }

  // "inline JWKS of istio-system/jwt-example" or the JWKS URI, for logs.
  virtual std::string describe() const = 0;

  // Remote fetches that published a key set, and those that failed.
  uint64_t fetchSuccesses() const { return fetch_successes_.load(std::memory_order_relaxed); }
  uint64_t fetchFailures() const { return fetch_failures_.load(std::memory_order_relaxed); }

 protected:
  // Publishes a new key set; `on_change` observers see it on their next read.
  void publish(std::shared_ptr<const jwt::Jwks> keys) {
    {
      std::lock_guard lock(mutex_);
      keys_ = std::move(keys);
    }
    markAttempted();
  }
  void countFetch(bool ok) {
    (ok ? fetch_successes_ : fetch_failures_).fetch_add(1, std::memory_order_relaxed);
  }
  void markAttempted() {
    attempted_.store(true, std::memory_order_release);
    attempts_.fetch_add(1, std::memory_order_acq_rel);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const jwt::Jwks> keys_;
  std::atomic<bool> attempted_{false};
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> fetch_successes_{0};
  std::atomic<uint64_t> fetch_failures_{0};
};

// A key set given in the manifest (`jwks`), parsed once.
class InlineKeySource : public KeySource {
 public:
  InlineKeySource(std::string text, std::string origin);
  std::string describe() const override { return "inline JWKS of " + origin_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string origin_;
};

// Supplies the key source of a JWT rule. The server's implementation keeps sources alive across
// reloads, so a reload does not refetch unchanged JWKS URIs.
class KeySourceProvider {
 public:
  virtual ~KeySourceProvider() = default;
  virtual std::shared_ptr<KeySource> sourceFor(const config::JwtRule& rule,
                                               const std::string& origin) = 0;
};

}  // namespace portcullis::jwks
