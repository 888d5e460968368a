/* seal/seal_int.h: what the seal module's files share */
#ifndef GP_SEAL_INT_H
#define GP_SEAL_INT_H

#include <stdint.h>

#include <govpki/seal.h>

#include "seal_asn1.h"

#define OID_SM2_WITH_SM3 "1.2.156.10197.1.501"
#define OID_SM3 "1.2.156.10197.1.401"
#define OID_SM2 "1.2.156.10197.1.301"
#define OID_SM2_SIGN "1.2.156.10197.1.301.1"
#define OID_GM_DATA "1.2.156.10197.6.1.4.2.1"
#define OID_GM_SIGNED "1.2.156.10197.6.1.4.2.2"

struct gp_seal {
	int version;               /* header version */
	SESEAL4 *s4;               /* version 4 or 5 */
	SESEAL1 *s1;               /* version 1 or 2 */
	/* views into s4 or s1 (borrowed) */
	SES_HEADER *header;
	ASN1_IA5STRING *es_id;
	SES_PICTURE *picture;
	ASN1_OCTET_STRING *cert_os;
	ASN1_OBJECT *alg;
	ASN1_BIT_STRING *sig;
	/* decoded copies */
	char *id, *vid, *name, *image_type, alg_txt[80];
	int type, cert_list_type;
	int64_t created, start, end;
	long width, height;
	STACK_OF(ASN1_OCTET_STRING) *certs;   /* certListType 1 (owned copy for v4; v1 borrowed) */
	STACK_OF(CERT_DIGEST_OBJ) *digests;   /* certListType 2 */
	X509 *maker;
	unsigned char *der;        /* the seal as received */
	size_t der_len;
	unsigned char *info_der;   /* SES_SealInfo as received */
	size_t info_len;
};

/* Builds a gp_seal from decoded structures (takes s4 or s1). */
int gp_seal_from_asn1(gp_seal **out, SESEAL4 *s4, SESEAL1 *s1);

/* Signature algorithms: the OID a key signs with, and verification of a
 * signature by OID (SM2: SM3 and the default ID, the value DER or raw
 * r || s: *raw, may be NULL, is 1 for the latter). */
int gp_seal_alg_for_key(ASN1_OBJECT **out, const EVP_PKEY *key);
int gp_seal_sig_check(EVP_PKEY *pub, const ASN1_OBJECT *alg, const unsigned char *sig,
    size_t siglen, const unsigned char *tbs, size_t tbslen, int *raw);
int gp_seal_md_for_key(const EVP_MD **md, const EVP_PKEY *key);

/* A certificate's chain at time at, then its revocation by crls (may be NULL). */
int gp_seal_chain_check(X509 *x, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crls, int64_t at);

/* Verification results */
int gp_vres_new(gp_verify_result **out);
int gp_vres_add(gp_verify_result *r, const char *name, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void gp_vres_set_facts(gp_verify_result *r, const char *seal_id, int64_t t, int64_t ts_time);
/* The time the checks are made at and its GP_TIME_* source. */
void gp_vres_set_checked(gp_verify_result *r, int64_t at, int source);

/* Seconds an HTTP exchange (TSA, OCSP) may take, retries of a refused
 * connection included: $GOVPKI_HTTP_TIMEOUT (1..300), else 20. */
int gp_seal_http_timeout(void);

/* Time conversions */
int gp_asn1_time_to_unix(int64_t *out, const ASN1_TIME *t);
/* Copies the digits of s (length n) to out (at least strlen(form) + 1
 * bytes, NUL-terminated) when s has the shape of form: 'd' a digit, any
 * other character itself.  0, or -1 when s is not of that form. */
int gp_seal_time_digits(char *out, const char *s, size_t n, const char *form);
/* "YYYYMMDDHHMMSSZ" through ASN1_TIME_set_string_X509 (which checks the
 * calendar) into a Unix time; GP_E_INVALID for an impossible time. */
int gp_seal_time_from_digits(int64_t *out, const char *ymdhms_z);

/* OpenSSL's BIO, ASN1_STRING and attribute calls take int lengths: *out
 * gets len, or GP_E_INVALID ("WHAT is larger than INT_MAX bytes") when it
 * does not fit, rather than a length cut to its low bits. */
int gp_seal_int_len(int *out, size_t len, const char *what);

/* Collects the first line of the current error message (for a step reason). */
const char *gp_seal_errmsg(void);

#endif
