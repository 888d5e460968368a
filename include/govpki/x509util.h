/* govpki/x509util.h: names, serials, signing contexts (SM2 aware), chain checks */
#ifndef GOVPKI_X509UTIL_H
#define GOVPKI_X509UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <govpki/export.h>
#include <govpki/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Times given from outside (options, request parameters, HTTP headers),
 * in UTC.  gp_time_parse reads s in one of the forms named in forms and
 * puts its seconds since 1970 in *out:
 *   GP_TIME_DATE         "2026-03-01" (midnight)
 *   GP_TIME_DATETIME     "2026-03-01T12:00:00Z"
 *   GP_TIME_GENERALIZED  "20260301120000Z"
 *   GP_TIME_SECONDS      "@1772366400"
 *   GP_TIME_HTTP         an HTTP-date, RFC 9110 §5.6.7 (IMF-fixdate and
 *                        the obsolete RFC 850 and asctime forms)
 * The calendar is OpenSSL's (ASN1_TIME_set_string_X509): a day the month
 * does not have (2026-02-30), hour 24, a 60th second (RFC 5280 times have
 * no leap seconds), month 13 are GP_E_INVALID naming the input, never
 * moved to another day; so is anything else, or a form not allowed.
 */
enum {
	GP_TIME_DATE = 1 << 0,
	GP_TIME_DATETIME = 1 << 1,
	GP_TIME_GENERALIZED = 1 << 2,
	GP_TIME_SECONDS = 1 << 3,
	GP_TIME_HTTP = 1 << 4,
	/* the forms the programs' TIME arguments take */
	GP_TIME_TEXT = GP_TIME_DATE | GP_TIME_DATETIME | GP_TIME_GENERALIZED | GP_TIME_SECONDS
};
GP_EXPORT int gp_time_parse(int64_t *out, const char *s, unsigned forms);

/* Milliseconds of the monotonic clock (CLOCK_MONOTONIC_COARSE: a few ms of
 * resolution, no system call on Linux), for intervals, never for dates. */
GP_EXPORT int64_t gp_monotonic_ms(void);

/* The seconds since 1970 of an ASN1_TIME (UTCTime or GeneralizedTime),
 * by OpenSSL's calendar; GP_E_PARSE when t is NULL or malformed. */
GP_EXPORT int gp_time_from_asn1(int64_t *out, const ASN1_TIME *t);

/* Parses "/C=CN/O=Example/CN=Root CA" (OpenSSL's -subj form; '\' escapes
 * '/' and '\', UTF-8 values, MBSTRING_UTF8) into a new X509_NAME.
 * GP_E_PARSE names the bad attribute. */
GP_EXPORT int gp_name_parse(X509_NAME **out, const char *s);

/* The RFC 2253 form of name (UTF-8 kept); *out is freed with gp_free. */
GP_EXPORT int gp_name_to_string(char **out, const X509_NAME *name);

/* 16 bytes from the CSPRNG with the top bit cleared and not all zero:
 * a positive INTEGER of at most 128 bits (RFC 5280 §4.1.2.2). */
GP_EXPORT int gp_serial_random(unsigned char out[16]);

/* The DER content octets of an INTEGER serial (minimal: a leading zero
 * only as the sign byte) into out, which holds GP_SERIAL_MAX (20) bytes;
 * longer serials are GP_E_INVALID (RFC 5280 §4.1.2.2). */
GP_EXPORT int gp_serial_from_asn1(unsigned char *out, size_t *outlen, const ASN1_INTEGER *ai);

/*
 * A digest-sign context for pkey: SHA-256 for RSA and P-256, SHA-384 for
 * P-384, none for Ed25519, SM3 with the distinguishing ID
 * GP_SM2_DEFAULT_ID for SM2.  *out is freed with EVP_MD_CTX_free.
 */
GP_EXPORT int gp_sign_ctx_new(EVP_MD_CTX **out, EVP_PKEY *pkey);

/*
 * A digest-verify context for pub with md (NULL: none, as for Ed25519);
 * an SM2 key verifies with the distinguishing ID GP_SM2_DEFAULT_ID.
 * *out is freed with EVP_MD_CTX_free.
 */
GP_EXPORT int gp_verify_ctx_new(EVP_MD_CTX **out, EVP_PKEY *pub, const char *md);

/* Signs x (certificate), crl, or req with pkey through gp_sign_ctx_new. */
GP_EXPORT int gp_x509_sign(X509 *x, EVP_PKEY *pkey);
GP_EXPORT int gp_crl_sign(X509_CRL *crl, EVP_PKEY *pkey);
GP_EXPORT int gp_req_sign(X509_REQ *req, EVP_PKEY *pkey);

/* Signs tbs (DER) with pkey; *sig is freed with gp_free. */
GP_EXPORT int gp_sign_data(unsigned char **sig, size_t *siglen, EVP_PKEY *pkey,
    const unsigned char *tbs, size_t tbslen);

/* Verifies the CSR's own signature (SM2: with the distinguishing ID).
 * GP_E_VERIFY when it does not verify. */
GP_EXPORT int gp_req_verify(X509_REQ *req);

/* Reads a CSR from PEM or DER bytes.  GP_E_PARSE for anything else. */
GP_EXPORT int gp_req_parse(X509_REQ **out, const unsigned char *buf, size_t len);

/* Reads one certificate from PEM or DER bytes. */
GP_EXPORT int gp_cert_parse(X509 **out, const unsigned char *buf, size_t len);

/* Sets the SM2 distinguishing ID on a certificate signed with SM2 (no-op
 * for others), so that OpenSSL verifies its signature correctly: OpenSSL
 * 3.0 takes the ID from the certificate being verified, not its issuer. */
GP_EXPORT int gp_x509_prepare_sm2(X509 *x);

/*
 * Verifies leaf up to a trust anchor in roots through the untrusted
 * intermediates (both may be NULL), at time at (0: now), with the SM2
 * distinguishing ID set on every SM2 certificate of the chain (OpenSSL 3.0
 * reaches only the leaf by its command line; openssl issue 23471).  When
 * crls is non-NULL, each certificate's revocation is checked against it
 * (X509_V_FLAG_CRL_CHECK_ALL), delta CRLs completing their full CRL
 * (RFC 5280 §5.2.4); SM2 CRLs are checked with the default ID,
 * which OpenSSL 3.0 cannot do itself.  GP_E_VERIFY with OpenSSL's reason.
 */
GP_EXPORT int gp_chain_verify(X509 *leaf, STACK_OF(X509) *roots,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, int64_t at);

/* SHA-256 of a certificate's DER. */
GP_EXPORT int gp_x509_fingerprint(const X509 *x, unsigned char out[32]);

/*
 * The identity of a public key, for refusing a key that must never be
 * certified again (a compromised key, a CA's own key): SHA-256 over the
 * key itself in one canonical form, so that the same key sent with
 * another encoding of its SubjectPublicKeyInfo (a compressed EC point,
 * RSA under the RSASSA-PSS OID, needless parameters) has the same hash.
 * "RSA" n e; "EC:" group, affine x y (SM2 too, group "SM2"); "ED25519"
 * the raw key; any other type its DER SubjectPublicKeyInfo.  Numbers go
 * as a 4-byte big-endian length and their big-endian bytes.
 * gp_x509_key_hash: the same for cert's key, read anew from its
 * SubjectPublicKeyInfo (so a key held in an HSM is never asked).
 */
GP_EXPORT int gp_pubkey_hash(unsigned char out[32], const EVP_PKEY *pub);
GP_EXPORT int gp_x509_key_hash(unsigned char out[32], const X509 *cert);

/*
 * The seal-signer profile's mark, an extended key usage the built-in
 * seal-signer profile puts in its certificates: only a certificate with
 * this OID (or the one configured instead) in its extended key usage or
 * certificate policies may make a seal.  GB/T 38540 names no such OID; this
 * one is under the UUID arc 2.25 (ITU-T X.667), unique without registration.
 */
#define GP_OID_SEAL_MAKER "2.25.31198377360615329361521784009443517563"

#ifdef __cplusplus
}
#endif
#endif
