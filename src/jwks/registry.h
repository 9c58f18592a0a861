// Owns the key sources of the running configuration. Inline key sets are parsed once; remote
// ones (jwksUri, or OIDC discovery from the issuer) are fetched on the control thread's
// io_context, refreshed, retried with backoff after failures, and keep their last good key set
// when a refresh fails. Sources are shared by identical rules and survive reloads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "config/resources.h"
#include "jwks/key_source.h"

namespace portcullis::jwks {

struct RemoteOptions {
  std::chrono::milliseconds refresh_interval{20 * 60 * 1000};
  std::chrono::milliseconds first_retry{1000};
  std::chrono::milliseconds max_retry{60 * 1000};
  // Least time between two fetches caused by tokens with an unknown kid.
  std::chrono::milliseconds min_refetch_interval{30 * 1000};
};

class Registry : public KeySourceProvider {
 public:
  // `on_change` runs on the io_context's thread whenever a source publishes a new key set.
  Registry(boost::asio::io_context& io, std::function<void()> on_change,
           RemoteOptions options = {});
  ~Registry() override;

  std::shared_ptr<KeySource> sourceFor(const config::JwtRule& rule,
                                       const std::string& origin) override;

  // True when every source has finished its first load attempt.
  bool allAttempted() const;

  // Fetch counters of the remote sources in Prometheus text format. Control thread only.
  std::string prometheusText() const;

  // Drops sources no snapshot uses any more (those only the registry holds).
  void collect();

 private:
  boost::asio::io_context& io_;
  std::function<void()> on_change_;
  RemoteOptions options_;
  // Created on first need: loading the system trust store takes a while.
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::map<std::string, std::shared_ptr<KeySource>> sources_;  // by inline text or URI
};

}  // namespace portcullis::jwks
