// Key set parsing (jwt/jwks.h): the input is read as a JWKS document and as a PEM public key,
// through Jwks::parse and through JwksBuilder. Every key that parses is then used: one token
// per algorithm, taken from the jwt target's seed corpus, is verified against the set, so a
// fuzzed RSA modulus or EC point reaches OpenSSL's verification as a fetched key set would.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/status.h"

namespace {

namespace jwt = portcullis::jwt;

// One parsed token for each algorithm found among the seed tokens.
const std::vector<jwt::Jwt>& tokens() {
  static const std::vector<jwt::Jwt> by_algorithm = [] {
    std::map<std::string, jwt::Jwt> first;
    for (const auto& text : portcullis::fuzz::readFolder(PORTCULLIS_FUZZ_TOKENS_DIR)) {
      jwt::Jwt token;
      if (jwt::parseJwt(text, token) == jwt::Status::Ok && !first.count(token.alg)) {
        first.emplace(token.alg, std::move(token));
      }
    }
    std::vector<jwt::Jwt> out;
    for (auto& [alg, token] : first) {
      out.push_back(std::move(token));
    }
    return out;
  }();
  return by_algorithm;
}

// Checks the documented shape of a parsed set, then verifies every token against it.
void useKeys(const jwt::Jwks& set) {
  PORTCULLIS_FUZZ_CHECK(set.keys().empty() == (set.status() != jwt::Status::Ok),
                        "status() is not Ok although keys were kept, or the reverse");
  for (const jwt::Jwk& key : set.keys()) {
    if (key.type != jwt::KeyType::Hmac) {
      PORTCULLIS_FUZZ_CHECK(key.public_key != nullptr, "an asymmetric key has no key material");
    }
  }
  if (set.status() != jwt::Status::Ok) {
    (void)jwt::statusMessage(set.status());
    return;
  }
  for (const jwt::Jwt& token : tokens()) {
    (void)jwt::verifySignature(token, set);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  PORTCULLIS_FUZZ_CHECK(!tokens().empty(), "no parsable token in the jwt seeds");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  useKeys(*jwt::Jwks::parse(text, jwt::Jwks::Format::Jwks));
  useKeys(*jwt::Jwks::parse(text, jwt::Jwks::Format::Pem));

  // The builder path that jwksUri responses and PEM keys with a kid go through.
  jwt::JwksBuilder builder;
  builder.addJwks(text);
  builder.addPem(text, "fuzz-kid", "RS256");
  useKeys(*builder.build());
  return 0;
}
