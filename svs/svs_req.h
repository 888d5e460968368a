/* svs/svs_req.h: decoding svs-server's requests (JSON bodies, certificates in PEM, DER or base64) */
#ifndef SVS_REQ_H
#define SVS_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <govpki/verify.h>

/*
 * What is wrong with a request, for a problem+json answer (RFC 9457):
 * the HTTP status, a short type slug ("bad-certificate": the problem type
 * is "urn:govpki:svs:" SLUG) and a detail for a person.  The strings are
 * static or in detail[].
 */
typedef struct svs_problem {
	unsigned status;
	const char *slug;
	const char *title;
	char detail[256];
} svs_problem;

/* Limits on one request (the [svs] settings). */
typedef struct svs_limits {
	size_t max_chain;       /* certificates in "chain": 100 */
	size_t max_crls;        /* CRLs in "crls": 100 */
	size_t max_policies;    /* OIDs in "policies": 32 */
	size_t max_depth;       /* JSON nesting of a body: 8 */
} svs_limits;

#define SVS_LIMITS_INIT { 100, 100, 32, 8 }

/* A POST /api/v1/verify/certificate, decoded. */
typedef struct svs_cert_req {
	X509 *cert;
	STACK_OF(X509) *chain;        /* the "chain" certificates, never NULL once decoded */
	STACK_OF(X509_CRL) *crls;     /* the "crls", never NULL once decoded */
	gp_purpose purpose;
	char *name;                   /* NULL: none */
	int64_t at;                   /* 0: now */
	char **policies;              /* NULL-terminated; NULL: anyPolicy */
	int explicit_policy, inhibit_policy_mapping, inhibit_any_policy;
	gp_rules rules;
	int revocation_given;         /* 1: revocation says what the request wants */
	gp_revocation revocation;
} svs_cert_req;

/*
 * Decodes the body of a POST /verify/certificate into *out (zeroed first).
 * type is the request's Content-Type (NULL: none): application/json
 * (the fields of docs/svs-api.yaml), or application/pkix-cert (a DER
 * certificate, RFC 2585 §4.1) or application/x-pem-file (PEM) with the
 * defaults for everything else.  Returns 0, or -1 with *p filled (400 for
 * malformed input, 415 for another type) and *out empty.
 * Free with svs_cert_req_clear.
 */
int svs_cert_req_decode(svs_cert_req *out, const char *type, const unsigned char *body,
    size_t len, const svs_limits *lim, svs_problem *p);
void svs_cert_req_clear(svs_cert_req *r);

/* A POST /api/v1/verify/signature, decoded. */
typedef enum svs_sig_format { SVS_SIG_RAW = 0, SVS_SIG_CMS, SVS_SIG_SEAL } svs_sig_format;
typedef enum svs_raw_alg {
	SVS_RAW_AUTO = 0,           /* from the key: RSA PKCS#1 v1.5, ECDSA, Ed25519, SM2 */
	SVS_RAW_RSA_PKCS1, SVS_RAW_RSA_PSS, SVS_RAW_ECDSA, SVS_RAW_ED25519, SVS_RAW_SM2
} svs_raw_alg;

typedef struct svs_sig_req {
	svs_sig_format format;
	unsigned char *sig, *data, *hash;
	size_t sig_len, data_len, hash_len;
	int has_data, has_hash;
	svs_raw_alg alg;
	char digest[16];              /* "": the key's usual one */
	char *sm2_id;                 /* NULL: GP_SM2_DEFAULT_ID */
	char *maker_oid;              /* seals: NULL the default, "none" */
	svs_cert_req cert;            /* the signer's certificate (raw; cert.cert may be
	                               * NULL otherwise), chain, crls, time, purpose */
} svs_sig_req;

/* Decodes the JSON body of a POST /verify/signature (docs/svs-api.yaml)
 * into *out (zeroed first).  0, or -1 with *p and *out empty.  Free with
 * svs_sig_req_clear. */
int svs_sig_req_decode(svs_sig_req *out, const char *type, const unsigned char *body,
    size_t len, const svs_limits *lim, svs_problem *p);
void svs_sig_req_clear(svs_sig_req *r);

/*
 * A certificate or a CRL from a JSON string: PEM (one), or the base64 of
 * its DER (whitespace allowed).  Returns the object, or NULL.
 */
X509 *svs_cert_from_text(const char *s);
X509_CRL *svs_crl_from_text(const char *s);

/*
 * The bytes of a base64 string (RFC 4648 §4; whitespace between the
 * characters allowed), malloc'ed into *out (at least one byte allocated,
 * free with free) and *outlen.  Returns 0, or -1 for anything that is not
 * base64.
 */
int svs_base64_decode(unsigned char **out, size_t *outlen, const char *s);

/* 1 when a Content-Type header (NULL: none) names media type want (its
 * parameters, case and spaces aside). */
int svs_type_is(const char *type, const char *want);

#endif
