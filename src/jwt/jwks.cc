#include "jwt/jwks.h"

#include <boost/json/object.hpp>

#include "jwt/base64url.h"
#include "jwt/json_parse.h"
#include "jwt/key_builder.h"

namespace portcullis::jwt {
namespace {

constexpr std::string_view kCertificatePrefix = "-----BEGIN CERTIFICATE-----\n";
constexpr std::string_view kCertificateSuffix = "\n-----END CERTIFICATE-----\n";

// Reads the string member `name` into `out`. A missing member, or one of another type, leaves
// `out` unchanged, as jwt_verify_lib treats kid, alg and use.
void readOptionalString(const boost::json::object& object, std::string_view name,
                        std::string& out) {
  std::string_view text;
  if (getString(object, name, text) == FieldResult::Ok) {
    out = text;
  }
}

// Reads a required string member: Ok, or `missing` / `wrong_type`.
Status readRequiredString(const boost::json::object& object, std::string_view name,
                          std::string_view& out, Status missing, Status wrong_type) {
  switch (getString(object, name, out)) {
    case FieldResult::Ok:
      return Status::Ok;
    case FieldResult::Missing:
      return missing;
    case FieldResult::WrongType:
      return wrong_type;
  }
  return wrong_type;
}

Status parseRsaJwk(const boost::json::object& object, Jwk& key) {
  if (!key.alg.empty() && !key.alg.starts_with("RS") && !key.alg.starts_with("PS")) {
    return Status::JwksRSAKeyBadAlg;
  }
  std::string_view n;
  Status status =
      readRequiredString(object, "n", n, Status::JwksRSAKeyMissingN, Status::JwksRSAKeyBadN);
  if (status != Status::Ok) {
    return status;
  }
  std::string_view e;
  status = readRequiredString(object, "e", e, Status::JwksRSAKeyMissingE, Status::JwksRSAKeyBadE);
  if (status != Status::Ok) {
    return status;
  }
  key.type = KeyType::Rsa;
  return buildRsaKey(n, e, key.public_key);
}

// The curve comes from "crv", else from "alg", else P-256 (RFC 7518 makes crv required, but
// jwt_verify_lib accepts keys without it). When both are given they must name the same curve.
Status parseEcJwk(const boost::json::object& object, Jwk& key) {
  if (!key.alg.empty() && !key.alg.starts_with("ES")) {
    return Status::JwksECKeyBadAlg;
  }
  std::string_view crv;
  if (getString(object, "crv", crv) == FieldResult::WrongType) {
    return Status::JwksECKeyBadCrv;
  }
  key.crv = crv;

  if (!key.alg.empty() && !key.crv.empty()) {
    const bool compatible = (key.alg == "ES256" && key.crv == "P-256") ||
                            (key.alg == "ES384" && key.crv == "P-384") ||
                            (key.alg == "ES512" && key.crv == "P-521");
    if (!compatible) {
      return Status::JwksECKeyAlgNotCompatibleWithCrv;
    }
  }
  if (key.alg == "ES256" || key.crv == "P-256" || (key.alg.empty() && key.crv.empty())) {
    key.type = KeyType::EcP256;
    key.crv = "P-256";
  } else if (key.alg == "ES384" || key.crv == "P-384") {
    key.type = KeyType::EcP384;
    key.crv = "P-384";
  } else if (key.alg == "ES512" || key.crv == "P-521") {
    key.type = KeyType::EcP521;
    key.crv = "P-521";
  } else {
    return Status::JwksECKeyAlgOrCrvUnsupported;
  }

  std::string_view x;
  Status status =
      readRequiredString(object, "x", x, Status::JwksECKeyMissingX, Status::JwksECKeyBadX);
  if (status != Status::Ok) {
    return status;
  }
  std::string_view y;
  status = readRequiredString(object, "y", y, Status::JwksECKeyMissingY, Status::JwksECKeyBadY);
  if (status != Status::Ok) {
    return status;
  }
  return buildEcKey(key.type, x, y, key.public_key);
}

Status parseOctJwk(const boost::json::object& object, Jwk& key) {
  if (!key.alg.empty() && key.alg != "HS256" && key.alg != "HS384" && key.alg != "HS512") {
    return Status::JwksHMACKeyBadAlg;
  }
  std::string_view k;
  const Status status =
      readRequiredString(object, "k", k, Status::JwksHMACKeyMissingK, Status::JwksHMACKeyBadK);
  if (status != Status::Ok) {
    return status;
  }
  if (!base64UrlDecode(k, key.hmac_secret) || key.hmac_secret.empty()) {
    return Status::JwksOctBadBase64;
  }
  key.type = KeyType::Hmac;
  return Status::Ok;
}

// RFC 8037 section 2: "crv" and "x" are required; Ed25519 is the only signing curve supported.
Status parseOkpJwk(const boost::json::object& object, Jwk& key) {
  if (!key.alg.empty() && key.alg != "EdDSA") {
    return Status::JwksOKPKeyBadAlg;
  }
  std::string_view crv;
  Status status = readRequiredString(object, "crv", crv, Status::JwksOKPKeyMissingCrv,
                                     Status::JwksOKPKeyBadCrv);
  if (status != Status::Ok) {
    return status;
  }
  key.crv = crv;
  if (key.crv != "Ed25519") {
    return Status::JwksOKPKeyCrvUnsupported;
  }
  std::string_view x;
  status = readRequiredString(object, "x", x, Status::JwksOKPKeyMissingX, Status::JwksOKPKeyBadX);
  if (status != Status::Ok) {
    return status;
  }
  key.type = KeyType::Ed25519;
  return buildEd25519Key(x, key.public_key);
}

// One member of "keys". Private members ("d", "p", ...) and "x5c", "key_ops" are ignored, as
// jwt_verify_lib ignores them.
Status parseJwk(const boost::json::object& object, Jwk& key) {
  std::string_view kty;
  const Status status =
      readRequiredString(object, "kty", kty, Status::JwksMissingKty, Status::JwksBadKty);
  if (status != Status::Ok) {
    return status;
  }
  key.kty = kty;
  readOptionalString(object, "kid", key.kid);
  readOptionalString(object, "alg", key.alg);
  readOptionalString(object, "use", key.use);

  if (key.kty == "EC") {
    return parseEcJwk(object, key);
  }
  if (key.kty == "RSA") {
    return parseRsaJwk(object, key);
  }
  if (key.kty == "oct") {
    return parseOctJwk(object, key);
  }
  if (key.kty == "OKP") {
    return parseOkpJwk(object, key);
  }
  return Status::JwksNotImplementedKty;
}

// A JSON object without "keys" is read as a map of kid to X.509 certificate when every member
// has a non-empty name and a string value framed exactly by the PEM certificate lines.
bool isCertificateMap(const boost::json::object& document) {
  if (document.empty()) {
    return false;
  }
  for (const auto& member : document) {
    const boost::json::string* value = member.value().if_string();
    if (member.key().empty() || value == nullptr) {
      return false;
    }
    const std::string_view text(value->data(), value->size());
    if (!text.starts_with(kCertificatePrefix) || !text.ends_with(kCertificateSuffix)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::shared_ptr<const Jwks> Jwks::parse(std::string_view text, Format format) {
  JwksBuilder builder;
  switch (format) {
    case Format::Jwks:
      builder.addJwks(text);
      break;
    case Format::Pem:
      builder.addPem(text);
      break;
  }
  return builder.build();
}

JwksBuilder::JwksBuilder() : jwks_(std::make_shared<Jwks>()) {}

void JwksBuilder::recordFailure(Status status) {
  if (first_failure_ == Status::Ok) {
    first_failure_ = status;
  }
}

Status JwksBuilder::addJwks(std::string_view json) {
  boost::json::object document;
  if (!parseJsonObject(json, document)) {
    recordFailure(Status::JwksParseError);
    return Status::JwksParseError;
  }

  size_t added = 0;
  Status first_failure = Status::Ok;
  auto addParsed = [&](Jwk key, Status status) {
    if (status == Status::Ok) {
      jwks_->keys_.push_back(std::move(key));
      ++added;
      return;
    }
    jwks_->skipped_.push_back(SkippedKey{key.kid, status});
    recordFailure(status);
    if (first_failure == Status::Ok) {
      first_failure = status;
    }
  };

  const boost::json::value* keys = document.if_contains("keys");
  if (keys == nullptr) {
    if (!isCertificateMap(document)) {
      recordFailure(Status::JwksNoKeys);
      return Status::JwksNoKeys;
    }
    // NOTE: jwt_verify_lib rejects the whole map when one certificate fails; Portcullis skips
    // that certificate like an invalid JWK.
    for (const auto& member : document) {
      Jwk key;
      key.kid = member.key();
      key.kty = "RSA";
      key.type = KeyType::Rsa;
      const boost::json::string& pem = member.value().get_string();
      const Status status =
          parseX509Certificate(std::string_view(pem.data(), pem.size()), key.public_key);
      addParsed(std::move(key), status);
    }
  } else if (const boost::json::array* list = keys->if_array()) {
    for (const boost::json::value& item : *list) {
      // jwt_verify_lib skips members that are not objects without recording a status.
      const boost::json::object* object = item.if_object();
      if (object == nullptr) {
        continue;
      }
      Jwk key;
      const Status status = parseJwk(*object, key);
      addParsed(std::move(key), status);
    }
  } else {
    recordFailure(Status::JwksBadKeys);
    return Status::JwksBadKeys;
  }

  if (added > 0) {
    return Status::Ok;
  }
  return first_failure != Status::Ok ? first_failure : Status::JwksNoValidKeys;
}

Status JwksBuilder::addPem(std::string_view pem, std::string_view kid, std::string_view alg) {
  Jwk key;
  key.kid = kid;
  key.alg = alg;
  const Status status = parsePemPublicKey(pem, key);
  if (status != Status::Ok) {
    jwks_->skipped_.push_back(SkippedKey{key.kid, status});
    recordFailure(status);
    return status;
  }
  // jwt_verify_lib names the curve after alg; crv here names the key's own curve, which is
  // the same for every key whose alg fits it.
  switch (key.type) {
    case KeyType::EcP256:
      key.crv = "P-256";
      break;
    case KeyType::EcP384:
      key.crv = "P-384";
      break;
    case KeyType::EcP521:
      key.crv = "P-521";
      break;
    case KeyType::Rsa:
    case KeyType::Ed25519:
    case KeyType::Hmac:
      break;
  }
  jwks_->keys_.push_back(std::move(key));
  return Status::Ok;
}

void JwksBuilder::addKey(Jwk key) {
  jwks_->keys_.push_back(std::move(key));
}

std::shared_ptr<const Jwks> JwksBuilder::build() {
  std::shared_ptr<Jwks> result = std::move(jwks_);
  if (result->keys_.empty()) {
    result->status_ = first_failure_ != Status::Ok ? first_failure_ : Status::JwksNoValidKeys;
  } else {
    result->status_ = Status::Ok;
  }
  jwks_ = std::make_shared<Jwks>();
  first_failure_ = Status::Ok;
  return result;
}

}  // namespace portcullis::jwt
