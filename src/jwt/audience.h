// The audience check of Envoy's jwt_authn (jwt_verify_lib's CheckAudience): a token passes when
// any of its "aud" values equals any configured audience after both are normalized.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace portcullis::jwt {

// Strips one leading "http://" or "https://" and then one trailing '/', so "https://foo/",
// "http://foo" and "foo/" all become "foo". Case is kept: the comparison is exact otherwise.
std::string_view normalizeAudience(std::string_view audience);

class AudienceChecker {
 public:
  // `allowed` is a rule's configured audience list. An empty list allows every token, with
  // or without "aud".
  explicit AudienceChecker(const std::vector<std::string>& allowed);

  // True when the list is empty or one of `token_audiences` matches after normalization. A
  // token without "aud" fails a non-empty list.
  bool allows(const std::vector<std::string>& token_audiences) const;

  bool empty() const { return allowed_.empty(); }

 private:
  // Normalized, duplicates removed. A linear scan beats hashing for the few audiences a rule
  // lists.
  std::vector<std::string> allowed_;
};

// One-shot form of AudienceChecker(allowed).allows(token_audiences).
bool audiencesAllowed(const std::vector<std::string>& allowed,
                      const std::vector<std::string>& token_audiences);

}  // namespace portcullis::jwt
