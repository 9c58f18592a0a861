// Analysis of the jwtRules that apply to one gateway workload together. Istio turns each rule
// into its own Envoy JWT provider, and every provider checks each token found at its own
// locations. A token passes when one provider accepts it. A provider that finds another
// issuer's token fails, and the request fails when every provider does.
#include <algorithm>
#include <cctype>

#include "analyze/context.h"

namespace portcullis::analyze {
namespace {

struct TokenLocation {
  enum class Kind { Header, Param, Cookie };
  Kind kind = Kind::Header;
  std::string name;  // lower-cased for headers, whose names are case-insensitive

  bool operator==(const TokenLocation& other) const = default;
  auto operator<=>(const TokenLocation& other) const = default;

  std::string describe() const {
    switch (kind) {
      case Kind::Header:
        return "header " + name;
      case Kind::Param:
        return "query parameter " + name;
      case Kind::Cookie:
        return "cookie " + name;
    }
    return name;
  }
};

std::string lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// Returns the locations a rule reads tokens from, with Envoy's defaults when the rule names
// none: the Authorization header (prefix "Bearer ") and the access_token query parameter.
// Header prefixes are left out, because two rules reading one header both see every token in
// it.
std::vector<TokenLocation> locationsOf(const config::JwtRule& rule) {
  std::vector<TokenLocation> locations;
  for (const auto& header : rule.from_headers) {
    locations.push_back({TokenLocation::Kind::Header, lower(header.name)});
  }
  for (const auto& param : rule.from_params) {
    locations.push_back({TokenLocation::Kind::Param, param});
  }
  for (const auto& cookie : rule.from_cookies) {
    locations.push_back({TokenLocation::Kind::Cookie, cookie});
  }
  if (locations.empty()) {
    locations.push_back({TokenLocation::Kind::Header, "authorization"});
    locations.push_back({TokenLocation::Kind::Param, "access_token"});
  }
  std::sort(locations.begin(), locations.end());
  locations.erase(std::unique(locations.begin(), locations.end()), locations.end());
  return locations;
}

// Header locations compared with their prefixes, for deciding whether two rules read the same
// places the same way.
std::vector<std::string> exactLocationsOf(const config::JwtRule& rule) {
  std::vector<std::string> exact;
  for (const auto& header : rule.from_headers) {
    exact.push_back("header " + lower(header.name) + " prefix \"" + header.prefix + "\"");
  }
  for (const auto& location : locationsOf(rule)) {
    if (location.kind != TokenLocation::Kind::Header || rule.from_headers.empty()) {
      exact.push_back(location.describe());
    }
  }
  std::sort(exact.begin(), exact.end());
  return exact;
}

std::string describeAll(const std::vector<TokenLocation>& locations) {
  std::string out;
  for (const auto& location : locations) {
    out += (out.empty() ? "" : ", ") + location.describe();
  }
  return out;
}

std::string describeRule(const AppliedJwtRule& applied) {
  return objectName(applied.policy->meta) + " jwtRules[" + std::to_string(applied.index) + "] (" +
         where(applied.rule->location) + ")";
}

std::string ruleField(const AppliedJwtRule& applied) {
  return "spec.jwtRules[" + std::to_string(applied.index) + "]";
}

void checkSameIssuer(Context& context, const AppliedJwtRule& earlier, const AppliedJwtRule& later) {
  const config::JwtRule& a = *earlier.rule;
  const config::JwtRule& b = *later.rule;
  const bool other_keys = a.jwks != b.jwks || a.jwks_uri != b.jwks_uri;
  const bool other_locations = exactLocationsOf(a) != exactLocationsOf(b);
  if (!other_keys && !other_locations) {
    return;
  }
  std::string message = "issuer \"" + b.issuer + "\" is also configured by " +
                        describeRule(earlier) + " with " +
                        (other_keys && other_locations ? "another key set and other token "
                                                         "locations"
                         : other_keys                  ? "another key set"
                                                       : "other token locations") +
                        ". Istio keeps both rules as separate providers, and a token of this "
                        "issuer passes when either rule accepts it";
  if (other_keys) {
    message += ": a key of either key set can sign it";
  }
  if (other_locations) {
    message += std::string(other_keys ? ", and" : ":") + " it is read at " +
               describeAll(locationsOf(a)) + " and at " + describeAll(locationsOf(b));
  }
  context.warn(b.location, objectName(later.policy->meta), ruleField(later), kOverlappingIssuer,
               std::move(message),
               "merge the two into one jwtRule with the key set and locations this issuer's "
               "tokens use, unless both key sets are meant to sign its tokens");
}

// Whether a request can carry two tokens at `shared` locations: two of them, or one header
// sent twice. A query parameter or cookie gives one token only, its first value.
bool holdsTwoTokens(const std::vector<TokenLocation>& shared) {
  return shared.size() >= 2 ||
         (shared.size() == 1 && shared[0].kind == TokenLocation::Kind::Header);
}

void checkSharedLocations(Context& context, const std::vector<AppliedJwtRule>& rules,
                          size_t index) {
  const AppliedJwtRule& later = rules[index];
  const std::vector<TokenLocation> later_locations = locationsOf(*later.rule);
  std::string others;
  std::vector<TokenLocation> all_shared;
  for (size_t i = 0; i < index; ++i) {
    if (rules[i].rule->issuer == later.rule->issuer) {
      continue;
    }
    const std::vector<TokenLocation> earlier_locations = locationsOf(*rules[i].rule);
    std::vector<TokenLocation> shared;
    std::set_intersection(later_locations.begin(), later_locations.end(), earlier_locations.begin(),
                          earlier_locations.end(), std::back_inserter(shared));
    if (!holdsTwoTokens(shared)) {
      continue;
    }
    others += (others.empty() ? "" : "; ") + std::string("issuer \"") + rules[i].rule->issuer +
              "\" of " + describeRule(rules[i]) + " at " + describeAll(shared);
    for (const auto& location : shared) {
      if (std::find(all_shared.begin(), all_shared.end(), location) == all_shared.end()) {
        all_shared.push_back(location);
      }
    }
  }
  if (others.empty()) {
    return;
  }
  const std::string example =
      all_shared.size() >= 2
          ? "one at " + all_shared[0].describe() + " and one at " + all_shared[1].describe()
          : "in two " + all_shared[0].name + " header lines";
  context.warn(
      later.rule->location, objectName(later.policy->meta), ruleField(later), kSharedTokenLocation,
      "issuer \"" + later.rule->issuer +
          "\" reads tokens where other issuers' rules do: " + others +
          ". Each rule checks every token found at its locations, so one token passes through "
          "the rule of its issuer, but a request that carries tokens of two of these issuers (" +
          example +
          ") is rejected with 401 \"Jwt issuer is not configured\": every rule finds "
          "the other issuer's token and fails",
      "if clients may send tokens of several issuers at once, give each issuer its own "
      "location with fromHeaders or fromParams; otherwise nothing needs to change");
}

}  // namespace

void checkJwtRules(Context& context) {
  for (const auto& served : context.served()) {
    const std::vector<AppliedJwtRule> rules = context.jwtRulesFor(served.workload);
    for (size_t j = 0; j < rules.size(); ++j) {
      for (size_t i = 0; i < j; ++i) {
        if (rules[i].rule->issuer == rules[j].rule->issuer) {
          checkSameIssuer(context, rules[i], rules[j]);
        }
      }
      checkSharedLocations(context, rules, j);
    }
  }
}

}  // namespace portcullis::analyze
