#include "jwt/audience.h"

#include <algorithm>

namespace portcullis::jwt {

std::string_view normalizeAudience(std::string_view audience) {
  if (audience.starts_with("http://")) {
    audience.remove_prefix(7);
  } else if (audience.starts_with("https://")) {
    audience.remove_prefix(8);
  }
  if (audience.ends_with('/')) {
    audience.remove_suffix(1);
  }
  return audience;
}

AudienceChecker::AudienceChecker(const std::vector<std::string>& allowed) {
  for (const std::string& audience : allowed) {
    std::string normalized(normalizeAudience(audience));
    if (std::find(allowed_.begin(), allowed_.end(), normalized) == allowed_.end()) {
      allowed_.push_back(std::move(normalized));
    }
  }
}

bool AudienceChecker::allows(const std::vector<std::string>& token_audiences) const {
  if (allowed_.empty()) {
    return true;
  }
  for (const std::string& audience : token_audiences) {
    const std::string_view normalized = normalizeAudience(audience);
    if (std::find(allowed_.begin(), allowed_.end(), normalized) != allowed_.end()) {
      return true;
    }
  }
  return false;
}

bool audiencesAllowed(const std::vector<std::string>& allowed,
                      const std::vector<std::string>& token_audiences) {
  return AudienceChecker(allowed).allows(token_audiences);
}

}  // namespace portcullis::jwt
