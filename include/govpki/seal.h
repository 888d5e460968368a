/* govpki/seal.h: electronic seals (GB/T 38540-2020, GM/T 0031-2014), CAdES signatures, RFC 3161 time-stamps */
#ifndef GOVPKI_SEAL_H
#define GOVPKI_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <govpki/export.h>
#include <govpki/mem.h>
#include <govpki/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ seals */

/* GB/T 38540-2020 §7.2 SES_ESPropertyInfo.type */
enum { GP_SEAL_OFFICIAL = 1, GP_SEAL_PERSONAL = 2 };
/* SES_ESPropertyInfo.certListType */
enum { GP_SEAL_CERTS = 1, GP_SEAL_DIGESTS = 2 };

#define GP_SEAL_MAX (16 * 1024 * 1024)  /* largest seal or signature file we read */

/* Set size with GP_SEAL_PARAMS_INIT (docs/api.md):
 *   gp_seal_params p = GP_SEAL_PARAMS_INIT;
 * type defaults to GP_SEAL_OFFICIAL, cert_list_type to GP_SEAL_CERTS, every
 * other field to 0 / NULL. */
typedef struct gp_seal_params {
	size_t size;               /* sizeof(gp_seal_params) of the caller's headers */
	const char *id;            /* esID (IA5String, 1..128 printable ASCII) */
	int type;                  /* GP_SEAL_OFFICIAL or GP_SEAL_PERSONAL */
	const char *name;          /* UTF-8 */
	const char *vid;           /* vendor id for the header; NULL: "govpki" */
	int cert_list_type;        /* GP_SEAL_CERTS or GP_SEAL_DIGESTS (SM3 or SHA-256 digests) */
	X509 *const *holders;      /* the certificates allowed to use the seal */
	size_t nholders;
	int64_t created;           /* 0: now */
	int64_t valid_start;       /* 0: created */
	int64_t valid_end;         /* > valid_start */
	const char *image_type;    /* "PNG" "JPG" "GIF" "BMP" "SVG" (case-insensitive; "JPEG" = "JPG") */
	const unsigned char *image;
	size_t image_len;
	long width_mm, height_mm;  /* 1..1000 */
	const char *maker_oid;     /* the seal-signer mark the maker needs; NULL: GP_OID_SEAL_MAKER */
} gp_seal_params;
#define GP_SEAL_PARAMS_INIT { sizeof(gp_seal_params), NULL, GP_SEAL_OFFICIAL, NULL, NULL, \
	GP_SEAL_CERTS, NULL, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, NULL }

/* 0 when maker carries oid (NULL: GP_OID_SEAL_MAKER) in its extended key
 * usage or its certificate policies: a certificate of the seal-signer
 * profile; GP_E_POLICY (message naming the OID) when not. */
GP_EXPORT int gp_seal_maker_check(X509 *maker, const char *oid);

/* Parses a time as the seal tools take it: "YYYY-MM-DD" (00:00 UTC),
 * "YYYY-MM-DDTHH:MM:SSZ", "YYYYMMDDHHMMSSZ" or "@SECONDS" (Unix time).
 * Dates are checked by OpenSSL's ASN1_TIME parsing: 31 April, 29 February
 * of a common year or 24:00 are GP_E_INVALID, never moved to another day.
 * The same as gp_time_parse(out, s, GP_TIME_TEXT) (govpki/x509util.h),
 * which new code calls. */
GP_EXPORT int gp_seal_time_parse(int64_t *out, const char *s);

/* Checks that image starts with the magic bytes of type ("PNG", ...; SVG:
 * an XML document whose root element is <svg>).  GP_E_INVALID names what
 * was found. */
GP_EXPORT int gp_seal_image_check(const char *type, const unsigned char *image, size_t len);

/*
 * Makes a version 4 seal (GB/T 38540-2020 §7.1): the maker (a seal-signer
 * certificate and its key) signs DER(SES_SealInfo) (sm2withSM3 with the
 * default ID for SM2, else the key's usual algorithm).  *der is freed
 * with gp_free.  p's size must be set by GP_SEAL_PARAMS_INIT (GP_E_INVALID
 * otherwise).
 */
GP_EXPORT int gp_seal_make(unsigned char **der, size_t *len, const gp_seal_params *p,
    X509 *maker, EVP_PKEY *maker_key);

/* A decoded seal (version 4 or 5, or version 1/2 of GM/T 0031-2014). */
typedef struct gp_seal gp_seal;

/* Decodes a seal (DER; trailing bytes are GP_E_PARSE).  Nothing is
 * verified.  *out is freed with gp_seal_free. */
GP_EXPORT int gp_seal_parse(gp_seal **out, const unsigned char *der, size_t len);
GP_EXPORT void gp_seal_free(gp_seal *seal);

/* Fields of a decoded seal; strings and buffers are borrowed from seal. */
GP_EXPORT int gp_seal_version(const gp_seal *seal);            /* header version: 1, 2, 4, 5 */
GP_EXPORT const char *gp_seal_id(const gp_seal *seal);
GP_EXPORT const char *gp_seal_vid(const gp_seal *seal);
GP_EXPORT const char *gp_seal_name(const gp_seal *seal);
GP_EXPORT int gp_seal_type(const gp_seal *seal);
GP_EXPORT int gp_seal_cert_list_type(const gp_seal *seal);
GP_EXPORT size_t gp_seal_holder_count(const gp_seal *seal);
/* created, valid_start, valid_end as Unix times (any may be NULL; 0 for
 * a NULL seal): an accessor that cannot fail */
GP_EXPORT void gp_seal_times(int64_t *created, int64_t *start, int64_t *end, const gp_seal *seal);
GP_EXPORT const char *gp_seal_image_type(const gp_seal *seal);
GP_EXPORT const unsigned char *gp_seal_image(const gp_seal *seal, size_t *len, long *width_mm, long *height_mm);
GP_EXPORT X509 *gp_seal_maker0(const gp_seal *seal);           /* borrowed; NULL if undecodable */
GP_EXPORT const char *gp_seal_sig_alg(const gp_seal *seal);     /* the OID in dotted form */
/* The DER of the seal as received (borrowed). */
GP_EXPORT const unsigned char *gp_seal_der(const gp_seal *seal, size_t *len);
/* 1 when x is in the seal's holder list (itself, or its digest). */
GP_EXPORT int gp_seal_has_holder(const gp_seal *seal, X509 *x);

/* -------------------------------------------------- seal signatures */

/* A time-stamp source: gets the DER of a TimeStampReq, returns the DER of
 * a TimeStampResp (allocated with OPENSSL_malloc: the library frees it
 * with gp_free) or a GP_E_* code.  gp_tsa_http_cb
 * posts to the URL in arg; gp_tsa_local_cb answers with a gp_tsa. */
typedef int (*gp_ts_cb)(void *arg, const unsigned char *req, size_t reqlen,
    unsigned char **resp, size_t *resplen);

/* Set size with GP_SEAL_SIGN_PARAMS_INIT (docs/api.md):
 *   gp_seal_sign_params sp = GP_SEAL_SIGN_PARAMS_INIT;
 * every other field's default is 0 / NULL. */
typedef struct gp_seal_sign_params {
	size_t size;               /* sizeof(gp_seal_sign_params) of the caller's headers */
	const unsigned char *seal; /* the seal DER: version 4 or 5 (the signature takes its version); v1/v2 seals are refused */
	size_t seal_len;
	X509 *signer;              /* must be in the seal's holder list */
	EVP_PKEY *signer_key;
	const unsigned char *doc;  /* the document, or ... */
	size_t doc_len;
	const unsigned char *hash; /* ... its hash (SM3 for SM2 signers, SHA-256 otherwise) */
	size_t hash_len;
	const char *property;      /* propertyInfo: document name or location (IA5) */
	int64_t time;              /* timeInfo; 0: now */
	gp_ts_cb ts_cb;            /* NULL: no time-stamp */
	void *ts_arg;
	gp_store *store;           /* the seal register and the CAs' certificates; NULL: not checked */
} gp_seal_sign_params;
#define GP_SEAL_SIGN_PARAMS_INIT { sizeof(gp_seal_sign_params), NULL, 0, NULL, NULL, NULL, 0, \
	NULL, 0, NULL, 0, NULL, NULL, NULL }

/* Makes a SES_Signature (GB/T 38540-2020 §8.1).  The seal must be valid at
 * the signing time, the signer one of its holders and its certificate
 * within its validity at the signing time; with a store, the seal must be
 * registered there (the same DER) and not revoked, and the signer's
 * certificate, when a CA of the store issued it, not revoked or on hold
 * (GP_E_POLICY otherwise, with the reason).  p's size must be set by GP_SEAL_SIGN_PARAMS_INIT
 * (GP_E_INVALID otherwise).  *der is freed with gp_free. */
GP_EXPORT int gp_seal_sign(unsigned char **der, size_t *len, const gp_seal_sign_params *p);

/* Decodes a SES_Signature (either version) without verifying it: *seal
 * the embedded seal (gp_seal_free), *signer the signer's certificate
 * (X509_free), *time its timeInfo, *property its propertyInfo (gp_free);
 * any out-parameter may be NULL.  GP_E_PARSE for anything else. */
GP_EXPORT int gp_seal_sig_parse(gp_seal **seal, X509 **signer, int64_t *time, char **property,
    const unsigned char *der, size_t len);

/* The hash a signer of key type pkey uses over a document: SM3 for SM2,
 * SHA-256 otherwise.  out holds EVP_MAX_MD_SIZE bytes. */
GP_EXPORT int gp_seal_doc_hash(unsigned char *out, size_t *outlen, const EVP_PKEY *signer_key,
    const unsigned char *doc, size_t len);

/* ------------------------------------------------------ verification */

enum { GP_STEP_PASS = 0, GP_STEP_FAIL = 1, GP_STEP_SKIP = 2 };

typedef struct gp_verify_result gp_verify_result;

/* A revocation hook (OCSP, when configured), asked for each certificate
 * whose chain holds, with its issuer (found among the roots and
 * intermediates): 0 good, GP_E_VERIFY revoked or unknown (with a message),
 * another code: could not tell (the step fails too). */
typedef int (*gp_revocation_cb)(void *arg, X509 *cert, X509 *issuer, STACK_OF(X509) *roots,
    STACK_OF(X509) *untrusted);

/* gp_revocation_cb asking the OCSP responder at the http:// URL in arg (a
 * const char *; NULL: the certificate's AIA OCSP URL) over RFC 6960 §A.1
 * POST, with a nonce (RFC 9654); the response must be signed by the issuer
 * or a delegated responder it certified, be current (thisUpdate not in the
 * future, nextUpdate not past, 5 minutes of leeway) and say good. */
GP_EXPORT int gp_ocsp_http_cb(void *arg, X509 *cert, X509 *issuer, STACK_OF(X509) *roots,
    STACK_OF(X509) *untrusted);

/* A seal-status hook (a seal status service, when configured), asked
 * about the seal of a signature or a seal verified alone: 0 with *status
 * (GP_SEAL_STATUS_*) and, when revoked, *revoked_at and *reason (gp_free;
 * NULL when none given); GP_E_NOTFOUND when the service does not know the
 * seal, GP_E_VERIFY when the seal it knows under that id is another
 * (other bytes), another code: could not tell.  The step fails but for 0. */
typedef int (*gp_seal_status_cb)(void *arg, const gp_seal *seal, int *status,
    int64_t *revoked_at, char **reason);

/* gp_seal_status_cb asking the seal status service whose http:// URL
 * prefix is arg (a const char *, such as "http://tsa.example:3180/seal-status"):
 * GET PREFIX/ID, the id percent-encoded (RFC 3986 §2.1), answered with
 * gp_seal_status_json's JSON (tsa-server(8)); 404 is GP_E_NOTFOUND, an
 * answer for another id or whose sha256 is not the seal's is GP_E_VERIFY. */
GP_EXPORT int gp_seal_status_http_cb(void *arg, const gp_seal *seal, int *status,
    int64_t *revoked_at, char **reason);

/* Set size with GP_SEAL_VERIFY_PARAMS_INIT (docs/api.md):
 *   gp_seal_verify_params vp = GP_SEAL_VERIFY_PARAMS_INIT;
 * every other field's default is 0 / NULL. */
typedef struct gp_seal_verify_params {
	size_t size;                  /* sizeof(gp_seal_verify_params) of the caller's headers */
	STACK_OF(X509) *roots;        /* trust anchors (required) */
	STACK_OF(X509) *untrusted;    /* intermediates, may be NULL */
	STACK_OF(X509_CRL) *crls;     /* NULL: revocation by CRL not checked */
	gp_revocation_cb ocsp_cb;     /* NULL: no OCSP */
	void *ocsp_arg;
	gp_store *store;              /* NULL: the seal's status is not checked */
	STACK_OF(X509) *tsa_roots;    /* trust anchors of time-stamps; NULL: roots */
	int64_t at;                   /* 0: the signing time (or now for a seal alone);
	                               * else checked at this time, which the result
	                               * reports as asserted (GP_TIME_ASSERTED) unless
	                               * it is the time-stamp's */
	const unsigned char *doc;     /* the document, or its hash, or neither */
	size_t doc_len;
	const unsigned char *hash;
	size_t hash_len;
	const char *maker_oid;        /* the maker's mark (gp_seal_maker_check); NULL:
	                               * GP_OID_SEAL_MAKER; "none": not checked */
	gp_seal_status_cb status_cb;  /* the seal's status from a service (asked
	                               * instead of store when set); NULL: none */
	void *status_arg;
} gp_seal_verify_params;
#define GP_SEAL_VERIFY_PARAMS_INIT { sizeof(gp_seal_verify_params), NULL, NULL, NULL, NULL, NULL, \
	NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, NULL }

/*
 * Verifies a SES_Signature (any version) every step of GB/T 38540-2020
 * §8.2 / GM/T 0031-2014 §9.  Returns 0 when the checks ran; the result
 * (gp_verify_result_free) says whether they passed.  GP_E_PARSE when the
 * signature cannot be decoded (no result).  p's size must be set by
 * GP_SEAL_VERIFY_PARAMS_INIT (GP_E_INVALID otherwise).
 */
GP_EXPORT int gp_seal_sig_verify(gp_verify_result **out, const unsigned char *sig,
    size_t len, const gp_seal_verify_params *p);
/* Verifies a seal on its own: structure, maker, validity, status. */
GP_EXPORT int gp_seal_verify(gp_verify_result **out, const unsigned char *seal,
    size_t len, const gp_seal_verify_params *p);

GP_EXPORT void gp_verify_result_free(gp_verify_result *r);
/* 1 when no step failed. */
GP_EXPORT int gp_verify_result_ok(const gp_verify_result *r);
GP_EXPORT size_t gp_verify_result_count(const gp_verify_result *r);
/* Step i: its name, GP_STEP_* and a reason or detail (borrowed; "" if none). */
GP_EXPORT int gp_verify_result_step(const gp_verify_result *r, size_t i,
    const char **name, int *status, const char **detail);
/* The first failed step's name and reason (NULL when none failed). */
GP_EXPORT const char *gp_verify_result_reason(const gp_verify_result *r);
/* Facts found: the seal id, the signing time, the time-stamp's time (0 if none). */
GP_EXPORT const char *gp_verify_result_seal_id(const gp_verify_result *r);
GP_EXPORT int64_t gp_verify_result_time(const gp_verify_result *r);
GP_EXPORT int64_t gp_verify_result_ts_time(const gp_verify_result *r);

/* Where the time the checks were made at came from.  Only a time-stamp
 * proves a signing time: timeInfo is the signer's own claim, and a time
 * the verifier gives (gp_seal_verify_params.at, seal-tool's --at) is an
 * assertion, however the checks come out. */
enum {
	GP_TIME_NOW = 0,           /* the current time (a seal verified alone) */
	GP_TIME_SIGNER = 1,        /* the signature's timeInfo: claimed, not proven */
	GP_TIME_ASSERTED = 2,      /* given by the verifier (at): asserted, not proven */
	GP_TIME_STAMPED = 3        /* a time-stamp token that verified: proven */
};
/* The time every check was made at, and its GP_TIME_* source (0 and
 * GP_TIME_NOW for a NULL result).  *checked_at may be NULL. */
GP_EXPORT int gp_verify_result_time_source(int64_t *checked_at, const gp_verify_result *r);

/* ----------------------------------------------- the seal register */

enum { GP_SEAL_STATUS_GOOD = 0, GP_SEAL_STATUS_REVOKED = 1 };

typedef struct gp_seal_info {
	int64_t id;
	char *es_id;
	char *name;
	int type;
	int version;
	int64_t valid_start, valid_end, created;
	char *maker;               /* the maker certificate's subject (RFC 2253) */
	int status;
	int64_t revoked_at;
	char *reason;              /* NULL when good */
	unsigned char *der;
	size_t der_len;
} gp_seal_info;

typedef int (*gp_seal_cb)(void *arg, const gp_seal_info *seal);

/* The register as the store keeps it (lib/store_seal.c, SQL in
 * lib/store_sqlite_seal.c).  add sets info->id; GP_E_EXISTS for a taken
 * esID.  get: *out (gp_seal_info_free) or GP_E_NOTFOUND.  set_status:
 * GP_E_NOTFOUND for an unknown esID.  list: cb for each seal (status -1:
 * any) in id order; cb's non-zero return stops and is returned. */
GP_EXPORT int gp_store_seal_add(gp_store *s, gp_seal_info *info);
GP_EXPORT int gp_store_seal_get(gp_store *s, const char *es_id, gp_seal_info **out);
GP_EXPORT int gp_store_seal_set_status(gp_store *s, const char *es_id, int status,
    int64_t when, const char *reason);
GP_EXPORT int gp_store_seal_list(gp_store *s, int status, gp_seal_cb cb, void *arg);

/* Records a seal (status good) with an audit entry, in one transaction.
 * GP_E_EXISTS for a taken esID. */
GP_EXPORT int gp_seal_register(gp_store *s, const unsigned char *der, size_t len,
    const char *actor);
/* Revokes a registered seal with an audit entry (when 0: now); revoking
 * again is harmless (0, unchanged).  GP_E_NOTFOUND for an unknown esID. */
GP_EXPORT int gp_seal_revoke(gp_store *s, const char *es_id, const char *reason,
    int64_t when, const char *actor);
GP_EXPORT void gp_seal_info_free(gp_seal_info *info);

/* The answer of a seal status service for es_id (tsa-server(8)): with info
 * (the register's record) {"id", "status": "valid" or "revoked", "sha256"
 * (of the seal's DER, lower-case hex), "name", "valid_from", "valid_to",
 * "checked_at"} and, when revoked, "revoked_at" and "reason" (null when
 * none); without info {"id", "status": "unknown", "checked_at"}.  Times
 * are "YYYY-MM-DDTHH:MM:SSZ"; checked_at is now (0: the current time).
 * Compact JSON, non-ASCII escaped; *out freed with gp_free. */
GP_EXPORT int gp_seal_status_json(char **out, const char *es_id, const gp_seal_info *info,
    int64_t now);

/* 0 when es_id can be a seal id (esID: 1 to 128 printable ASCII
 * characters), else GP_E_INVALID saying why. */
GP_EXPORT int gp_seal_id_check(const char *es_id);

/* ------------------------------------------------ RFC 3161 time-stamps */

typedef struct gp_tsa gp_tsa;

/* A time-stamp authority with a tsa-signer certificate (id-kp-timeStamping,
 * critical: RFC 3161 §2.3) and its key (RSA, ECDSA, Ed25519), policy an
 * OID in dotted form (NULL: "1.2.3.4.1").  chain: extra certificates to
 * include (may be NULL).  Borrows nothing; *out freed with gp_tsa_free. */
GP_EXPORT int gp_tsa_new(gp_tsa **out, X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
    const char *policy);
GP_EXPORT void gp_tsa_free(gp_tsa *tsa);
/* Answers a TimeStampReq (DER) with a TimeStampResp (DER, gp_free).
 * A malformed request gets a rejection response (status 2), not an error. */
GP_EXPORT int gp_tsa_respond(unsigned char **resp, size_t *resplen, gp_tsa *tsa,
    const unsigned char *req, size_t reqlen);
/* gp_ts_cb for a gp_tsa (arg); *resp: gp_free. */
GP_EXPORT int gp_tsa_local_cb(void *arg, const unsigned char *req, size_t reqlen,
    unsigned char **resp, size_t *resplen);
/* gp_ts_cb posting to the http:// URL in arg (a const char *); *resp: gp_free. */
GP_EXPORT int gp_tsa_http_cb(void *arg, const unsigned char *req, size_t reqlen,
    unsigned char **resp, size_t *resplen);

/* Gets a time-stamp token over data (hashed with md, a name such as
 * "SHA256") from cb: a request with a nonce, the response checked for
 * status, imprint and nonce.  *token: DER of the TimeStampToken
 * (ContentInfo), gp_free. */
GP_EXPORT int gp_ts_stamp(unsigned char **token, size_t *toklen, const char *md,
    const unsigned char *data, size_t len, gp_ts_cb cb, void *arg);

/* Verifies a TimeStampToken over data against roots: signature, TSA
 * certificate (timeStamping EKU) and imprint.  *gen_time (may be NULL)
 * gets the token's time.  GP_E_VERIFY with the reason. */
GP_EXPORT int gp_ts_verify(int64_t *gen_time, const unsigned char *token, size_t toklen,
    const unsigned char *data, size_t len, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted);

/* ---------------------------------------------------------- CAdES */

/*
 * A detached CAdES-B-B signature (ETSI EN 319 122-1 §5.2: content-type,
 * message-digest, signing-time, signing-certificate-v2) over data as DER
 * CMS SignedData (RFC 5652).  RSA, ECDSA and Ed25519 go through OpenSSL's
 * CMS; SM2 follows GM/T 0010-2012 (its OIDs, SM3, the default ID) with our
 * own templates.  With ts_cb the signature gets a signature time-stamp
 * (CAdES-B-T, EN 319 122-1 §5.3).  chain (may be NULL) is included.
 * *der is freed with gp_free.
 */
GP_EXPORT int gp_cades_sign(unsigned char **der, size_t *len, X509 *signer, EVP_PKEY *key,
    STACK_OF(X509) *chain, const unsigned char *data, size_t datalen,
    gp_ts_cb ts_cb, void *ts_arg);

/* Verifies a detached CAdES signature over data against roots (with crls
 * when given), the signing-certificate-v2 binding and, when present, the
 * signature time-stamp (tsa_roots, NULL: roots).  *result (may be NULL) gets
 * the steps.  0 when all passed, GP_E_VERIFY when one failed, GP_E_PARSE
 * for something that is not a SignedData. */
GP_EXPORT int gp_cades_verify(gp_verify_result **result, const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t datalen, STACK_OF(X509) *roots,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, STACK_OF(X509) *tsa_roots);

#ifdef __cplusplus
}
#endif
#endif
