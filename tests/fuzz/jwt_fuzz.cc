// JWT parsing and verification (jwt/jwt.h, jwt/jwks.h, jwt/audience.h): the input is a token
// in compact serialization. It is parsed as a JWT and as a JWS; a parsed JWT then goes through
// the gateway's checks in Envoy's order (time, audience, signature) against one key set that
// merges every key set of the jwks target's seed corpus. Seed tokens whose key is among those
// seeds therefore verify, and mutations of them reach every branch of signature checking.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "jwt/audience.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/status.h"

namespace {

namespace jwt = portcullis::jwt;

// 2023-11-14T22:13:20Z: after the iat and before the exp of the seed tokens.
constexpr uint64_t kNow = 1700000000;

const jwt::Jwks& keys() {
  static const std::shared_ptr<const jwt::Jwks> merged = [] {
    jwt::JwksBuilder builder;
    for (const auto& text : portcullis::fuzz::readFolder(PORTCULLIS_FUZZ_KEYS_DIR)) {
      if (text.find("-----BEGIN") != std::string::npos) {
        builder.addPem(text);
      } else {
        builder.addJwks(text);
      }
    }
    return builder.build();
  }();
  return *merged;
}

const jwt::AudienceChecker& audiences() {
  static const jwt::AudienceChecker checker(
      {"example_service", "http://example_service1", "https://example_service2/"});
  return checker;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  PORTCULLIS_FUZZ_CHECK(keys().status() == jwt::Status::Ok, "no usable key in the jwks seeds");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);

  jwt::Jwt jws;
  const jwt::Status jws_status = jwt::parseJws(token, jws);
  if (jws_status == jwt::Status::Ok) {
    PORTCULLIS_FUZZ_CHECK(jws.signing_input == jws.header_b64 + "." + jws.payload_b64,
                          "the signing input is not header.payload");
  }

  jwt::Jwt parsed;
  const jwt::Status parse_status = jwt::parseJwt(token, parsed);
  if (parse_status != jwt::Status::Ok) {
    (void)jwt::statusMessage(parse_status);
    return 0;
  }
  // parseJws() runs a subset of parseJwt()'s checks.
  PORTCULLIS_FUZZ_CHECK(jws_status == jwt::Status::Ok, "a valid JWT is not a valid JWS");
  PORTCULLIS_FUZZ_CHECK(!parsed.alg.empty(), "a parsed token has no alg");

  const jwt::Status time_status = jwt::verifyTime(parsed, kNow);
  if (time_status == jwt::Status::Ok) {
    PORTCULLIS_FUZZ_CHECK(parsed.exp == 0 || kNow - jwt::kClockSkewSeconds <= parsed.exp,
                          "an expired token passed the time check");
  }
  (void)audiences().allows(parsed.audiences);
  const jwt::Status signature = jwt::verifySignature(parsed, keys());
  (void)jwt::statusName(signature);
  return 0;
}
