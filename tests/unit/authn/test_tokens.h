// Tokens and key sets for the authentication tests: Istio's published test tokens read from the
// repository, and RS256 tokens with chosen claims signed here with Istio's demo private key
// (samples/istio/key.pem), which verify against samples/istio/jwks.json. The proxy tests include
// this header too.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config/resources.h"
#include "jwt/base64url.h"
#include "jwt/jwks.h"
#include "jwt/openssl_util.h"
#include "jwt/status.h"

namespace portcullis::jwt {

// Prints a Status by name in GoogleTest failure messages.
inline void PrintTo(Status status, std::ostream* out) {
  *out << statusName(status);
}

}  // namespace portcullis::jwt

namespace portcullis::testing {

// Issuer and key id of Istio's demo key set (samples/istio).
inline constexpr std::string_view kDemoIssuer = "testing@secure.istio.io";
inline constexpr std::string_view kDemoKid = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ";

// Issuers of Istio's integration-test tokens (tests/vectors/jwt/istio-tests).
inline constexpr std::string_view kTestIssuer1 = "test-issuer-1@istio.io";
inline constexpr std::string_view kTestIssuer2 = "test-issuer-2@istio.io";

// A fixed clock for token checks: 2023-11-14T22:13:20Z. Every Istio token used here expires
// after 2080, except TokenExpired (2019).
inline constexpr uint64_t kNow = 1700000000;

inline std::string readTextFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw std::runtime_error("cannot open test file " + path);
  }
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// A file of the repository, by path from its root.
inline std::string sourceFile(std::string_view relative) {
  return readTextFile(std::string(PORTCULLIS_SOURCE_DIR) + "/" + std::string(relative));
}

// A file under tests/vectors, by path from that folder.
inline std::string vectorFile(std::string_view relative) {
  return readTextFile(std::string(PORTCULLIS_TEST_VECTORS) + "/" + std::string(relative));
}

inline std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// Istio's demo token (sub and iss testing@secure.istio.io, valid until 2118).
inline std::string demoToken() {
  return trimmed(sourceFile("samples/istio/demo.jwt"));
}

// Istio's demo token with groups and scope claims (valid until 2082).
inline std::string groupsScopeToken() {
  return trimmed(sourceFile("samples/istio/groups-scope.jwt"));
}

inline std::string demoJwksText() {
  return sourceFile("samples/istio/jwks.json");
}

// The key set of Istio's integration-test tokens.
inline std::string istioTestJwksText() {
  return vectorFile("jwt/istio-tests/jwks.json");
}

// An integration-test token by its Go constant name, e.g. "TokenIssuer1" or "TokenExpired".
inline std::string istioTestToken(std::string_view name) {
  const boost::json::value document = boost::json::parse(vectorFile("jwt/istio-tests/tokens.json"));
  for (const auto& entry : document.at("tokens").as_array()) {
    if (entry.at("name").as_string() == name) {
      return std::string(entry.at("jwt").as_string());
    }
  }
  throw std::runtime_error("no Istio test token named " + std::string(name));
}

inline std::shared_ptr<const jwt::Jwks> demoJwks() {
  return jwt::Jwks::parse(demoJwksText());
}

inline std::shared_ptr<const jwt::Jwks> istioTestJwks() {
  return jwt::Jwks::parse(istioTestJwksText());
}

// Signs RS256 tokens with Istio's demo private key.
class DemoSigner {
 public:
  DemoSigner() {
    const std::string pem = sourceFile("samples/istio/key.pem");
    jwt::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key_) {
      throw std::runtime_error("cannot read samples/istio/key.pem");
    }
  }

  // Returns a token with `payload` as its claims and the header
  // {"alg":"RS256","kid":kid,"typ":"JWT"}, without "kid" when `kid` is empty.
  std::string sign(const boost::json::object& payload, std::string_view kid = kDemoKid) const {
    boost::json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
    if (!kid.empty()) {
      header["kid"] = kid;
    }
    const std::string signing_input = jwt::base64UrlEncode(boost::json::serialize(header)) + "." +
                                      jwt::base64UrlEncode(boost::json::serialize(payload));
    return signing_input + "." + jwt::base64UrlEncode(signatureOf(signing_input));
  }

 private:
  std::string signatureOf(std::string_view input) const {
    jwt::EvpMdCtxPtr context(EVP_MD_CTX_new());
    if (EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
      throw std::runtime_error("EVP_DigestSignInit failed");
    }
    size_t size = 0;
    if (EVP_DigestSign(context.get(), nullptr, &size, jwt::bytesOf(input), input.size()) != 1) {
      throw std::runtime_error("EVP_DigestSign failed to size the signature");
    }
    std::string signature(size, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       jwt::bytesOf(input), input.size()) != 1) {
      throw std::runtime_error("EVP_DigestSign failed");
    }
    signature.resize(size);
    return signature;
  }

  jwt::EvpPkeyPtr key_;
};

inline const DemoSigner& demoSigner() {
  static const DemoSigner signer;
  return signer;
}

// A token of `issuer` signed with the demo key, valid from kNow - 100 to kNow + 3600.
inline std::string tokenOf(std::string_view issuer, boost::json::object extra_claims = {}) {
  boost::json::object payload{
      {"iss", issuer}, {"sub", "user@example.com"}, {"iat", kNow - 100}, {"exp", kNow + 3600}};
  for (const auto& [name, value] : extra_claims) {
    payload[name] = value;
  }
  return demoSigner().sign(payload);
}

// Returns `token` with one signature character changed, so that the signature no longer
// verifies but the token still parses. The last character is left alone because its low bits
// are padding, which a strict decoder may check.
inline std::string withBadSignature(std::string token) {
  char& changed = token[token.size() - 10];
  changed = changed == 'A' ? 'B' : 'A';
  return token;
}

// A jwtRule of `issuer` with an inline key set and Envoy's default locations.
inline config::JwtRule ruleOf(std::string_view issuer, std::string jwks) {
  config::JwtRule rule;
  rule.issuer = std::string(issuer);
  rule.jwks = std::move(jwks);
  return rule;
}

}  // namespace portcullis::testing
