#include "jwt/key_builder.h"

#include <array>
#include <string>

#include <openssl/pem.h>

#include "jwt/base64url.h"
#include "jwt/openssl_util.h"

namespace portcullis::jwt {
namespace {

constexpr size_t kEd25519KeySize = 32;
constexpr int kMaxRsaModulusBits = 16384;
constexpr int kMaxRsaExponentBits = 33;

struct CurveInfo {
  KeyType type;
  const char* group_name;  // OpenSSL's name of the curve
  size_t coordinate_size;
};

constexpr std::array<CurveInfo, 3> kCurves = {{
    {KeyType::EcP256, "prime256v1", 32},
    {KeyType::EcP384, "secp384r1", 48},
    {KeyType::EcP521, "secp521r1", 66},
}};

const CurveInfo* findCurve(KeyType type) {
  for (const CurveInfo& curve : kCurves) {
    if (curve.type == type) {
      return &curve;
    }
  }
  return nullptr;
}

const CurveInfo* findCurveByGroupName(std::string_view group_name) {
  for (const CurveInfo& curve : kCurves) {
    if (group_name == curve.group_name) {
      return &curve;
    }
  }
  return nullptr;
}

// Imports a public key of `key_type` ("RSA", "EC", "ED25519") from `params`.
EvpPkeyPtr publicKeyFromParams(const char* key_type, OSSL_PARAM* params) {
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  EVP_PKEY* key = nullptr;
  if (context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

// EVP_PKEY_public_check: for EC keys, the point is on the curve and in the right subgroup.
bool passesPublicCheck(EVP_PKEY* key) {
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (context == nullptr || EVP_PKEY_public_check(context.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

BigNumPtr bigNumFromBase64Url(std::string_view text) {
  std::string bytes;
  if (!base64UrlDecode(text, bytes)) {
    return nullptr;
  }
  BigNumPtr number(BN_bin2bn(bytesOf(bytes), static_cast<int>(bytes.size()), nullptr));
  if (number == nullptr) {
    ERR_clear_error();
  }
  return number;
}

// Reads an integer parameter of `key` ("n", "e") into a new BIGNUM.
BigNumPtr bigNumParam(const EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return BigNumPtr(value);
}

// Appends `coordinate` to `point`, left-padded with zeros to `size` bytes. False when it is
// longer than `size` once its leading zero bytes are dropped.
bool appendCoordinate(std::string_view coordinate, size_t size, std::string& point) {
  while (!coordinate.empty() && coordinate.front() == '\0') {
    coordinate.remove_prefix(1);
  }
  if (coordinate.size() > size) {
    return false;
  }
  point.append(size - coordinate.size(), '\0');
  point.append(coordinate);
  return true;
}

}  // namespace

size_t ecCoordinateSize(KeyType type) {
  const CurveInfo* curve = findCurve(type);
  return curve == nullptr ? 0 : curve->coordinate_size;
}

bool rsaKeyIsUsable(const EVP_PKEY* key) {
  BigNumPtr n = bigNumParam(key, OSSL_PKEY_PARAM_RSA_N);
  BigNumPtr e = bigNumParam(key, OSSL_PKEY_PARAM_RSA_E);
  if (n == nullptr || e == nullptr) {
    return false;
  }
  const int n_bits = BN_num_bits(n.get());
  const int e_bits = BN_num_bits(e.get());
  return BN_is_odd(n.get()) && n_bits > kMaxRsaExponentBits && n_bits <= kMaxRsaModulusBits &&
         BN_is_odd(e.get()) && e_bits >= 2 && e_bits <= kMaxRsaExponentBits;
}

Status buildRsaKey(std::string_view n_text, std::string_view e_text, EvpPkeyPtr& out) {
  BigNumPtr n = bigNumFromBase64Url(n_text);
  BigNumPtr e = bigNumFromBase64Url(e_text);
  if (n == nullptr || e == nullptr) {
    return Status::JwksRsaParseError;
  }
  if (!BN_is_word(e.get(), 3) && !BN_is_word(e.get(), 65537)) {
    return Status::JwksRsaParseError;
  }

  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    ERR_clear_error();
    return Status::JwksRsaParseError;
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  if (params == nullptr) {
    ERR_clear_error();
    return Status::JwksRsaParseError;
  }
  EvpPkeyPtr key = publicKeyFromParams("RSA", params.get());
  if (key == nullptr || !rsaKeyIsUsable(key.get())) {
    return Status::JwksRsaParseError;
  }
  out = std::move(key);
  return Status::Ok;
}

Status buildEcKey(KeyType type, std::string_view x_text, std::string_view y_text, EvpPkeyPtr& out) {
  const CurveInfo* curve = findCurve(type);
  if (curve == nullptr) {
    return Status::JwksEcCreateKeyFail;
  }
  std::string x;
  std::string y;
  if (!base64UrlDecode(x_text, x) || !base64UrlDecode(y_text, y)) {
    return Status::JwksEcXorYBadBase64;
  }

  // SEC 1 uncompressed point: 0x04 || X || Y, each coordinate at the curve's full size.
  std::string point(1, '\x04');
  point.reserve(1 + 2 * curve->coordinate_size);
  if (!appendCoordinate(x, curve->coordinate_size, point) ||
      !appendCoordinate(y, curve->coordinate_size, point)) {
    return Status::JwksEcParseError;
  }

  const std::array<OSSL_PARAM, 3> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(curve->group_name), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  EvpPkeyPtr key = publicKeyFromParams("EC", const_cast<OSSL_PARAM*>(params.data()));
  if (key == nullptr || !passesPublicCheck(key.get())) {
    return Status::JwksEcParseError;
  }
  out = std::move(key);
  return Status::Ok;
}

Status buildEd25519Key(std::string_view x_text, EvpPkeyPtr& out) {
  std::string x;
  if (!base64UrlDecode(x_text, x)) {
    return Status::JwksOKPXBadBase64;
  }
  if (x.size() != kEd25519KeySize) {
    return Status::JwksOKPXWrongLength;
  }
  const std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, x.data(), x.size()),
      OSSL_PARAM_construct_end(),
  };
  EvpPkeyPtr key = publicKeyFromParams("ED25519", const_cast<OSSL_PARAM*>(params.data()));
  if (key == nullptr) {
    // OpenSSL imports any 32 bytes; this status only covers an allocation failure.
    return Status::JwksOKPXWrongLength;
  }
  out = std::move(key);
  return Status::Ok;
}

Status parsePemPublicKey(std::string_view pem, Jwk& out) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    ERR_clear_error();
    return Status::JwksBioAllocError;
  }

  // Only a block labelled "PUBLIC KEY" is read, as BoringSSL's PEM_read_bio_PUBKEY does; blocks
  // with other labels before it are skipped.
  unsigned char* der_data = nullptr;
  long der_size = 0;
  if (PEM_bytes_read_bio(&der_data, &der_size, nullptr, PEM_STRING_PUBLIC, bio.get(), nullptr,
                         nullptr) != 1) {
    ERR_clear_error();
    return Status::JwksPemBadBase64;
  }
  OpensslBytesPtr der(der_data);
  const unsigned char* cursor = der.get();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &cursor, der_size));
  if (key == nullptr) {
    ERR_clear_error();
    return Status::JwksPemBadBase64;
  }

  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      if (!rsaKeyIsUsable(key.get())) {
        return Status::JwksPemBadBase64;
      }
      out.type = KeyType::Rsa;
      out.kty = "RSA";
      break;
    case EVP_PKEY_EC: {
      // BoringSSL, under jwt_verify_lib, parses P-224 keys as well but no JWS algorithm uses
      // that curve, so Portcullis reports it like any other curve it cannot use.
      char group_name[64] = {};
      size_t group_name_size = 0;
      if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name,
                                         sizeof(group_name), &group_name_size) != 1) {
        ERR_clear_error();
        return Status::JwksPemNotImplementedKty;
      }
      const CurveInfo* curve = findCurveByGroupName(group_name);
      if (curve == nullptr) {
        return Status::JwksPemNotImplementedKty;
      }
      if (!passesPublicCheck(key.get())) {
        return Status::JwksPemBadBase64;
      }
      out.type = curve->type;
      out.kty = "EC";
      break;
    }
    case EVP_PKEY_ED25519: {
      size_t raw_size = 0;
      if (EVP_PKEY_get_raw_public_key(key.get(), nullptr, &raw_size) != 1 ||
          raw_size != kEd25519KeySize) {
        ERR_clear_error();
        return Status::JwksPemGetRawEd25519Error;
      }
      out.type = KeyType::Ed25519;
      out.kty = "OKP";
      out.crv = "Ed25519";
      break;
    }
    default:
      return Status::JwksPemNotImplementedKty;
  }
  out.public_key = std::move(key);
  return Status::Ok;
}

Status parseX509Certificate(std::string_view pem, EvpPkeyPtr& out) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    ERR_clear_error();
    return Status::JwksX509BioWriteError;
  }
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (certificate == nullptr) {
    ERR_clear_error();
    return Status::JwksX509ParseError;
  }
  EvpPkeyPtr key(X509_get_pubkey(certificate.get()));
  if (key == nullptr) {
    ERR_clear_error();
    return Status::JwksX509GetPubkeyError;
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA || !rsaKeyIsUsable(key.get())) {
    return Status::JwksX509GetPubkeyError;
  }
  out = std::move(key);
  return Status::Ok;
}

}  // namespace portcullis::jwt
