// Runs Authenticator::authenticate on hand-built requests: rules in, the edited request and
// the Result out. Traces are always requested, so Result::tokens lists every token examined.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>

#include "authn/authenticator.h"
#include "test_tokens.h"

namespace portcullis::authn::testing {

using namespace portcullis::testing;  // NOLINT(google-build-using-namespace): test helpers

// The request as authentication left it, and the result.
struct AuthnRun {
  Result result;
  boost::beast::http::fields headers;
  std::string target;

  bool hasHeader(std::string_view name) const { return headers.find(name) != headers.end(); }
  std::string header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string("<absent>") : std::string(it->value());
  }
};

// The applicable jwtRules of one listener, compiled once. Key sets are parsed from each rule's
// inline `jwks` and indexed by rule position, as the snapshot builder does.
class Gateway {
 public:
  explicit Gateway(std::vector<config::JwtRule> rules) : rules_(std::move(rules)) {
    std::vector<std::pair<std::string, const config::JwtRule*>> refs;
    for (size_t i = 0; i < rules_.size(); ++i) {
      refs.emplace_back("istio-system/jwt-example jwtRules[" + std::to_string(i) + "]", &rules_[i]);
      keys_.push_back(rules_[i].jwks.empty() ? nullptr : jwt::Jwks::parse(rules_[i].jwks));
    }
    authenticator_ = Authenticator::compile(refs);
  }

  const Authenticator& authenticator() const { return *authenticator_; }
  KeySets& keys() { return keys_; }

  // Requests sent afterwards go through `cache` (null: no cache).
  void useCache(TokenCache* cache) { cache_ = cache; }

  AuthnRun send(boost::beast::http::fields headers, std::string target = "/headers",
                bool is_options = false, uint64_t now = kNow) const {
    AuthnRun run;
    run.headers = std::move(headers);
    run.target = std::move(target);
    run.result = authenticator_->authenticate(run.headers, run.target, is_options, keys_, now,
                                              cache_, /*trace=*/true);
    return run;
  }

  // A GET with `Authorization: Bearer <token>`.
  AuthnRun sendBearer(const std::string& token, std::string target = "/headers") const {
    return send(bearer(token), std::move(target));
  }

  static boost::beast::http::fields bearer(const std::string& token) {
    boost::beast::http::fields headers;
    headers.set("Authorization", "Bearer " + token);
    return headers;
  }

 private:
  std::vector<config::JwtRule> rules_;
  KeySets keys_;
  std::shared_ptr<const Authenticator> authenticator_;
  TokenCache* cache_ = nullptr;
};

// A rule of the demo issuer with the demo key set.
inline config::JwtRule demoRule() {
  return ruleOf(kDemoIssuer, demoJwksText());
}

// A rule of an Istio integration-test issuer with that key set.
inline config::JwtRule istioTestRule(std::string_view issuer) {
  return ruleOf(issuer, istioTestJwksText());
}

inline boost::beast::http::fields headersOf(
    std::initializer_list<std::pair<std::string_view, std::string>> lines) {
  boost::beast::http::fields headers;
  for (const auto& [name, value] : lines) {
    headers.insert(name, value);
  }
  return headers;
}

}  // namespace portcullis::authn::testing
