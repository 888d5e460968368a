/* lib/csr.h: PKCS#10 requests parsed and verified on the issuance hot path */
#ifndef GP_CSR_H
#define GP_CSR_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

/*
 * A CSR (RFC 2986) parsed with OpenSSL's ASN.1 templates, keeping the
 * certificationRequestInfo's DER for the signature check and the
 * SubjectPublicKeyInfo as algorithm + bits.  The public key is imported
 * straight into its key manager (EVP_PKEY_fromdata): OpenSSL 3.0's
 * d2i_X509_REQ builds a decoder chain for every key it reads, which cost
 * more than verifying and signing together (docs/PERFORMANCE.md).
 * Keys of types we do not import directly go through d2i_PUBKEY.
 */
typedef struct gp_csr gp_csr;

/* Parses PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST") or DER.
 * GP_E_PARSE "not a CSR (PEM or DER)" for anything else, trailing bytes
 * included.  *out is freed with gp_csr_free. */
int gp_csr_parse(gp_csr **out, const unsigned char *buf, size_t len);
void gp_csr_free(gp_csr *csr);

/* Verifies the CSR's own signature (SM2: SM3 with the default
 * distinguishing ID).  GP_E_VERIFY when it does not verify. */
int gp_csr_verify(gp_csr *csr);

/* The signature algorithm (borrowed). */
const X509_ALGOR *gp_csr_sig_alg0(const gp_csr *csr);

/* The public key (borrowed, valid while csr lives). */
EVP_PKEY *gp_csr_pubkey0(const gp_csr *csr);

/* The subject (borrowed). */
const X509_NAME *gp_csr_subject0(const gp_csr *csr);

/* The subjectAltName of the extensionRequest attribute, or NULL
 * (GENERAL_NAMES_free).  GP_E_PARSE for a malformed one. */
int gp_csr_sans(GENERAL_NAMES **out, const gp_csr *csr);

/* gp_pubkey_hash of the CSR's key, read from its SubjectPublicKeyInfo
 * bits where they are the canonical form already (an uncompressed EC
 * point, an Ed25519 key): a hash instead of OpenSSL's parameter export,
 * which costs as much as a tenth of an issuance.  Other keys go through
 * gp_pubkey_hash. */
int gp_csr_key_hash(unsigned char out[32], const gp_csr *csr);

/* Sets cert's SubjectPublicKeyInfo to the CSR's, bit for bit. */
int gp_csr_copy_spki(X509 *cert, const gp_csr *csr);

#endif
