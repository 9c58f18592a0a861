// Conformance with jwt_verify_lib's own unit tests (google/jwt_verify_lib at commit b59e8075),
// replayed from jwt_verify_lib/cases.json: every case at every stage, with the signature
// mutations the library's tests apply (each single-bit flip and each truncation).
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "jwt/audience.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "test_util.h"

namespace portcullis::jwt {
namespace {

using testing::statusFromName;
using testing::stringOf;

const boost::json::array& allCases() {
  static const boost::json::value cases = testing::readJson("jwt_verify_lib/cases.json");
  return cases.as_array();
}

std::string caseName(const boost::json::object& c) {
  return stringOf(c.at("name"));
}

std::string optionalString(const boost::json::object& c, std::string_view field) {
  const boost::json::value* value = c.if_contains(field);
  return value == nullptr || value->is_null() ? std::string() : stringOf(*value);
}

uint64_t toUint64(const boost::json::value& value) {
  return value.is_uint64() ? value.get_uint64() : static_cast<uint64_t>(value.as_int64());
}

// "now": null means the library read the wall clock.
uint64_t nowOf(const boost::json::value& now) {
  return now.is_null() ? testing::wallClock() : toUint64(now);
}

uint64_t clockSkewOf(const boost::json::object& c) {
  const boost::json::value* skew = c.if_contains("clock_skew");
  return skew == nullptr ? kClockSkewSeconds : toUint64(*skew);
}

// The "#2" case with stage jwks_add_pem that follows a "#1" case, if any.
const boost::json::object* addPemSibling(const boost::json::object& c) {
  const std::string name = caseName(c);
  if (!name.ends_with("#1")) {
    return nullptr;
  }
  const std::string sibling = name.substr(0, name.size() - 1) + "2";
  for (const boost::json::value& other : allCases()) {
    const boost::json::object& o = other.as_object();
    if (caseName(o) == sibling && stringOf(o.at("stage")) == "jwks_add_pem") {
      return &o;
    }
  }
  return nullptr;
}

// Builds the case's key set into `builder`: JWKS text, PEM text (optionally with the kid and
// alg the test passed to createFromPem), or nothing for EMPTY_OBJECT.
void addCaseKeys(const boost::json::object& c, JwksBuilder& builder) {
  const std::string type = optionalString(c, "jwks_type");
  const std::string text = optionalString(c, "jwks");
  if (type == "JWKS") {
    builder.addJwks(text);
  } else if (type == "PEM") {
    builder.addPem(text, optionalString(c, "jwks_pem_kid"), optionalString(c, "jwks_pem_alg"));
  }
}

// jwks_key_overrides: fields the test wrote into the parsed key objects. Portcullis takes the
// curve from the key material, so a "crv" override (even "P-512", which names no curve) only
// changes the label. An "alg" override changes which tokens select the key, as in the library.
void applyKeyOverrides(const boost::json::object& c, std::vector<Jwk>& keys) {
  const boost::json::value* overrides = c.if_contains("jwks_key_overrides");
  if (overrides == nullptr) {
    return;
  }
  for (const boost::json::value& item : overrides->as_array()) {
    const boost::json::object& o = item.as_object();
    Jwk& key = keys.at(static_cast<size_t>(o.at("key_index").as_int64()));
    const std::string field = stringOf(o.at("field"));
    const std::string value = stringOf(o.at("value"));
    if (field == "alg") {
      key.alg = value;
    } else if (field == "crv") {
      key.crv = value;
    } else {
      FAIL() << "unknown key override " << field;
    }
  }
}

std::shared_ptr<const Jwks> caseKeySet(const boost::json::object& c) {
  if (optionalString(c, "jwks_type") == "EMPTY_OBJECT") {
    return std::make_shared<Jwks>();
  }
  JwksBuilder builder;
  addCaseKeys(c, builder);
  applyKeyOverrides(c, builder.keys());
  return builder.build();
}

// expected_keys: {"->keys().size()": 2, "->keys()[0]->alg_": "RS256", "->keys().at(0)->kid_": ...}
void checkExpectedKeys(const boost::json::object& c, const Jwks& jwks) {
  const boost::json::value* expected = c.if_contains("expected_keys");
  if (expected == nullptr) {
    return;
  }
  for (const auto& entry : expected->as_object()) {
    const std::string path(entry.key());
    if (path == "->keys().size()") {
      EXPECT_EQ(jwks.keys().size(), static_cast<size_t>(entry.value().as_int64())) << path;
      continue;
    }
    const size_t digits = path.find_first_of("0123456789");
    const size_t index = std::stoul(path.substr(digits));
    const std::string field = path.substr(path.rfind("->") + 2);
    ASSERT_LT(index, jwks.keys().size()) << path;
    const Jwk& key = jwks.keys()[index];
    const std::string value = stringOf(entry.value());
    if (field == "alg_") {
      EXPECT_EQ(key.alg, value) << path;
    } else if (field == "kid_") {
      EXPECT_EQ(key.kid, value) << path;
    } else if (field == "kty_") {
      EXPECT_EQ(key.kty, value) << path;
    } else if (field == "crv_") {
      EXPECT_EQ(key.crv, value) << path;
    } else {
      ADD_FAILURE() << "unknown key field " << path;
    }
  }
}

void runJwksParse(const boost::json::object& c) {
  JwksBuilder builder;
  addCaseKeys(c, builder);
  // jwt_verify_lib's addKeyFromPem tests check the keys after the add of their "#2" half.
  if (const boost::json::object* sibling = addPemSibling(c)) {
    builder.addPem(optionalString(*sibling, "added_pem"), optionalString(*sibling, "added_kid"),
                   optionalString(*sibling, "added_alg"));
  }
  const auto jwks = builder.build();
  EXPECT_EQ(statusName(jwks->status()), stringOf(c.at("expected_status")));
  checkExpectedKeys(c, *jwks);
}

void runJwksAddPem(const boost::json::object& c) {
  JwksBuilder builder;
  addCaseKeys(c, builder);
  const Status added =
      builder.addPem(optionalString(c, "added_pem"), optionalString(c, "added_kid"),
                     optionalString(c, "added_alg"));
  EXPECT_EQ(statusName(added), stringOf(c.at("expected_status")));
  EXPECT_EQ(builder.build()->status(), Status::Ok);
}

void runJwtParse(const boost::json::object& c) {
  Jwt jwt;
  const Status status = parseJwt(stringOf(c.at("jwt")), jwt);
  EXPECT_EQ(statusName(status), stringOf(c.at("expected_status")));
  const boost::json::value* fields = c.if_contains("expected_fields");
  if (fields == nullptr) {
    return;
  }
  for (const auto& entry : fields->as_object()) {
    const std::string field(entry.key());
    const boost::json::value& value = entry.value();
    if (field == "alg")
      EXPECT_EQ(jwt.alg, stringOf(value));
    else if (field == "kid")
      EXPECT_EQ(jwt.kid, stringOf(value));
    else if (field == "iss")
      EXPECT_EQ(jwt.iss, stringOf(value));
    else if (field == "sub")
      EXPECT_EQ(jwt.sub, stringOf(value));
    else if (field == "jti")
      EXPECT_EQ(jwt.jti, stringOf(value));
    else if (field == "signature")
      EXPECT_EQ(jwt.signature, stringOf(value));
    else if (field == "iat")
      EXPECT_EQ(jwt.iat, toUint64(value));
    else if (field == "nbf")
      EXPECT_EQ(jwt.nbf, toUint64(value));
    else if (field == "exp")
      EXPECT_EQ(jwt.exp, toUint64(value));
    else if (field == "audiences") {
      std::vector<std::string> expected;
      for (const auto& audience : value.as_array()) {
        expected.push_back(stringOf(audience));
      }
      EXPECT_EQ(jwt.audiences, expected);
    } else {
      ADD_FAILURE() << "unknown field " << field;
    }
  }
}

void runTimeConstraint(const boost::json::object& c) {
  Jwt jwt;
  ASSERT_EQ(parseJwt(stringOf(c.at("jwt")), jwt), Status::Ok);
  if (const boost::json::value* overrides = c.if_contains("jwt_overrides")) {
    for (const boost::json::value& item : overrides->as_array()) {
      const std::string field = stringOf(item.at("field"));
      const uint64_t value = toUint64(item.at("value"));
      if (field == "nbf") {
        jwt.nbf = value;
      } else if (field == "exp") {
        jwt.exp = value;
      } else {
        FAIL() << "unknown override " << field;
      }
    }
  }
  EXPECT_EQ(statusName(verifyTime(jwt, nowOf(c.at("now")), clockSkewOf(c))),
            stringOf(c.at("expected_status")));
}

std::vector<std::string> stringList(const boost::json::value& list) {
  std::vector<std::string> out;
  for (const auto& item : list.as_array()) {
    out.push_back(stringOf(item));
  }
  return out;
}

void runCheckAudience(const boost::json::object& c) {
  const AudienceChecker checker(stringList(c.at("allowed_audiences")));
  const Status status = checker.allows(stringList(c.at("jwt_audiences")))
                            ? Status::Ok
                            : Status::JwtAudienceNotAllowed;
  EXPECT_EQ(statusName(status), stringOf(c.at("expected_status")));
}

// verifyJwt in jwt_verify_lib's order: audiences (when the test passes a list), time, keys.
Status verifyLikeLibrary(const Jwt& jwt, const Jwks& jwks, const boost::json::object& c,
                         uint64_t now) {
  if (const boost::json::value* allowed = c.if_contains("allowed_audiences")) {
    if (!AudienceChecker(stringList(*allowed)).allows(jwt.audiences)) {
      return Status::JwtAudienceNotAllowed;
    }
  }
  const Status time = verifyTime(jwt, now, clockSkewOf(c));
  if (time != Status::Ok) {
    return time;
  }
  return verifySignature(jwt, jwks);
}

void runMutations(const boost::json::object& c, const Jwt& jwt, const Jwks& jwks) {
  const boost::json::value* mutations = c.if_contains("signature_mutations");
  if (mutations == nullptr) {
    return;
  }
  for (const boost::json::value& item : mutations->as_array()) {
    const std::string mutation = stringOf(item.at("mutation"));
    const std::string expected = stringOf(item.at("expected_status"));
    const uint64_t now = nowOf(item.at("now"));
    const bool flips = mutation.find("bit flip") != std::string::npos;
    const bool truncations = mutation.find("truncation") != std::string::npos;
    ASSERT_TRUE(flips || truncations) << mutation;
    size_t failures = 0;
    if (flips) {
      for (size_t byte = 0; byte < jwt.signature.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
          Jwt mutated = jwt;
          mutated.signature[byte] = static_cast<char>(mutated.signature[byte] ^ (1 << bit));
          if (statusName(verifyLikeLibrary(mutated, jwks, c, now)) != expected && ++failures <= 3) {
            ADD_FAILURE() << "bit " << bit << " of byte " << byte << " flipped";
          }
        }
      }
    }
    if (truncations) {
      for (size_t length = 1; length < jwt.signature.size(); ++length) {
        Jwt mutated = jwt;
        mutated.signature.resize(length);
        if (statusName(verifyLikeLibrary(mutated, jwks, c, now)) != expected && ++failures <= 3) {
          ADD_FAILURE() << "truncated to " << length << " bytes";
        }
      }
    }
    EXPECT_EQ(failures, 0u) << mutation << ", expected " << expected;
  }
}

void runVerify(const boost::json::object& c) {
  const auto jwks = caseKeySet(c);
  EXPECT_EQ(statusName(jwks->status()), optionalString(c, "jwks_status"));
  Jwt jwt;
  ASSERT_EQ(parseJwt(stringOf(c.at("jwt")), jwt), Status::Ok);
  EXPECT_EQ(statusName(verifyLikeLibrary(jwt, *jwks, c, nowOf(c.at("now")))),
            stringOf(c.at("expected_status")));
  runMutations(c, jwt, *jwks);
}

TEST(JwtVerifyLibCasesTest, AllCasesKnown) {
  std::map<std::string, int> stages;
  size_t lenient_json = 0;
  for (const boost::json::value& item : allCases()) {
    ++stages[stringOf(item.at("stage"))];
    const boost::json::value* strict = item.as_object().if_contains("jwks_strict_json");
    if (strict != nullptr && !strict->as_bool()) {
      ++lenient_json;
    }
  }
  EXPECT_EQ(allCases().size(), 208u);
  EXPECT_EQ(stages.size(), 6u);
  // Key sets with a trailing comma, which protobuf's JSON parser and Portcullis accept. Each
  // of these cases also checks the status jwt_verify_lib reached past the comma.
  EXPECT_EQ(lenient_json, 16u);
}

class JwtVerifyLibCase : public ::testing::TestWithParam<size_t> {};

TEST_P(JwtVerifyLibCase, Matches) {
  const boost::json::object& c = allCases().at(GetParam()).as_object();
  SCOPED_TRACE(caseName(c));
  const std::string stage = stringOf(c.at("stage"));
  if (stage == "jwks_parse") {
    runJwksParse(c);
  } else if (stage == "jwks_add_pem") {
    runJwksAddPem(c);
  } else if (stage == "jwt_parse") {
    runJwtParse(c);
  } else if (stage == "time_constraint") {
    runTimeConstraint(c);
  } else if (stage == "check_audience") {
    runCheckAudience(c);
  } else if (stage == "verify") {
    runVerify(c);
  } else {
    FAIL() << "unknown stage " << stage;
  }
}

std::string testName(const ::testing::TestParamInfo<size_t>& info) {
  std::string name = caseName(allCases().at(info.param).as_object());
  name = name.substr(name.find(':') + 1);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return std::to_string(info.param) + "_" + name;
}

INSTANTIATE_TEST_SUITE_P(Cases, JwtVerifyLibCase, ::testing::Range<size_t>(0, allCases().size()),
                         testName);

}  // namespace
}  // namespace portcullis::jwt
