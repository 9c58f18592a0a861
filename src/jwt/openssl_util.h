// Owning pointers for the OpenSSL objects the JOSE code creates, and a few helpers around them.
#pragma once

#include <memory>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

namespace portcullis::jwt {

template <typename T, void (*Free)(T*)>
struct OpensslDeleter {
  void operator()(T* object) const { Free(object); }
};

template <typename T, void (*Free)(T*)>
using OpensslPtr = std::unique_ptr<T, OpensslDeleter<T, Free>>;

using BigNumPtr = OpensslPtr<BIGNUM, BN_free>;
using BioPtr = OpensslPtr<BIO, BIO_free_all>;
using EcdsaSigPtr = OpensslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using EvpMacCtxPtr = OpensslPtr<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using EvpMacPtr = OpensslPtr<EVP_MAC, EVP_MAC_free>;
using EvpMdCtxPtr = OpensslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpMdPtr = OpensslPtr<EVP_MD, EVP_MD_free>;
using EvpPkeyCtxPtr = OpensslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using OsslParamBldPtr = OpensslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = OpensslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using X509Ptr = OpensslPtr<X509, X509_free>;

// Memory that OpenSSL allocated with OPENSSL_malloc, such as the DER from PEM_bytes_read_bio.
struct OpensslFreeDeleter {
  void operator()(unsigned char* data) const { OPENSSL_free(data); }
};
using OpensslBytesPtr = std::unique_ptr<unsigned char, OpensslFreeDeleter>;

inline const unsigned char* bytesOf(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace portcullis::jwt
