// The closed set of JWT and JWKS verification outcomes. Each value carries the message text that
// Envoy's jwt_authn filter (through google/jwt_verify_lib, src/status.cc) sends as the 401 body,
// so clients see the same words under Portcullis as under Istio.
#pragma once

#include <string_view>

namespace portcullis::jwt {

enum class Status {
  Ok,
  JwtMissed,
  JwtNotYetValid,
  JwtExpired,
  JwtBadFormat,
  JwtHeaderParseErrorBadBase64,
  JwtHeaderParseErrorBadJson,
  JwtHeaderBadAlg,
  JwtHeaderNotImplementedAlg,
  JwtHeaderBadKid,
  JwtPayloadParseErrorBadBase64,
  JwtEd25519SignatureWrongLength,
  JwtPayloadParseErrorBadJson,
  JwtPayloadParseErrorIssNotString,
  JwtPayloadParseErrorSubNotString,
  JwtPayloadParseErrorIatNotInteger,
  JwtPayloadParseErrorIatOutOfRange,
  JwtPayloadParseErrorNbfNotInteger,
  JwtPayloadParseErrorNbfOutOfRange,
  JwtPayloadParseErrorExpNotInteger,
  JwtPayloadParseErrorExpOutOfRange,
  JwtPayloadParseErrorJtiNotString,
  JwtPayloadParseErrorAudNotString,
  JwtSignatureParseErrorBadBase64,
  JwtUnknownIssuer,
  JwtAudienceNotAllowed,
  JwtVerificationFail,
  JwtMultipleTokens,
  JwksParseError,
  JwksNoKeys,
  JwksBadKeys,
  JwksNoValidKeys,
  JwksKidAlgMismatch,
  JwksRsaParseError,
  JwksEcCreateKeyFail,
  JwksEcXorYBadBase64,
  JwksEcParseError,
  JwksOctBadBase64,
  JwksOKPXBadBase64,
  JwksOKPXWrongLength,
  JwksFetchFail,
  JwksMissingKty,
  JwksBadKty,
  JwksNotImplementedKty,
  JwksRSAKeyBadAlg,
  JwksRSAKeyMissingN,
  JwksRSAKeyBadN,
  JwksRSAKeyMissingE,
  JwksRSAKeyBadE,
  JwksECKeyBadAlg,
  JwksECKeyBadCrv,
  JwksECKeyAlgOrCrvUnsupported,
  JwksECKeyAlgNotCompatibleWithCrv,
  JwksECKeyMissingX,
  JwksECKeyBadX,
  JwksECKeyMissingY,
  JwksECKeyBadY,
  JwksHMACKeyBadAlg,
  JwksHMACKeyMissingK,
  JwksHMACKeyBadK,
  JwksOKPKeyBadAlg,
  JwksOKPKeyMissingCrv,
  JwksOKPKeyBadCrv,
  JwksOKPKeyCrvUnsupported,
  JwksOKPKeyMissingX,
  JwksOKPKeyBadX,
  JwksX509BioWriteError,
  JwksX509ParseError,
  JwksX509GetPubkeyError,
  JwksPemNotImplementedKty,
  JwksPemBadBase64,
  JwksPemGetRawEd25519Error,
  JwksBioAllocError,
};

// jwt_verify_lib's message for `status` ("OK" for Status::Ok).
std::string_view statusMessage(Status status);

// The enumerator's name, for logs, JSON output and tests ("JwtExpired").
std::string_view statusName(Status status);

}  // namespace portcullis::jwt
