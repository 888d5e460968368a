/* govpki/verify.h: certificate path validation (RFC 5280 §6) with govpki's own rules */
#ifndef GOVPKI_VERIFY_H
#define GOVPKI_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <govpki/export.h>

/*
 * One verifier holds the trust anchors, the untrusted certificates that
 * paths may be built through, the CRLs and the options; it then checks any
 * number of certificates.  OpenSSL's X509_verify_cert builds the path and
 * checks signatures, validity, basic constraints, name constraints,
 * policies (RFC 5280 §6.1) and CRLs (§6.3, full, delta and indirect, by
 * reason and distribution point); govpki adds the rules OpenSSL does not
 * check (docs/verification.md lists every rule with its source).  A
 * signature that verified once (a CA certificate, a CRL) is not checked
 * again for the next certificate.  Not thread-safe: one verifier per
 * thread.
 */
typedef struct gp_verifier gp_verifier;

typedef enum gp_purpose {
	GP_PURPOSE_ANY = 0,
	GP_PURPOSE_TLS_SERVER,
	GP_PURPOSE_TLS_CLIENT,
	GP_PURPOSE_EMAIL,
	GP_PURPOSE_CODE_SIGNING,
	GP_PURPOSE_OCSP,
	GP_PURPOSE_TIMESTAMP
} gp_purpose;

typedef enum gp_revocation {
	GP_REVOCATION_PREFER = 0,   /* check where a CRL is given; none is "unknown", not a failure */
	GP_REVOCATION_REQUIRE,      /* every certificate below the anchor needs a CRL */
	GP_REVOCATION_NONE          /* no revocation check */
} gp_revocation;

typedef enum gp_rules {
	GP_RULES_ALL = 0,           /* RFC 5280 §6 and the certificate rules of §4 and govpki */
	GP_RULES_PATH               /* only RFC 5280 §6 path validation and §6.3 CRLs (PKITS) */
} gp_rules;

typedef enum gp_ocsp_nonce {
	GP_OCSP_NONCE_SEND = 0,     /* send one; a response that carries another is refused,
	                             * one without (pre-signed, RFC 5019 §2.1) is accepted */
	GP_OCSP_NONCE_REQUIRE,      /* send one; the response must echo it (RFC 8954) */
	GP_OCSP_NONCE_NONE          /* send none */
} gp_ocsp_nonce;

/*
 * How an OCSP request reaches its responder: POST req (DER, req_len
 * bytes) to url and set *resp to the DER of the answer (allocated with
 * OPENSSL_malloc; the library frees it with gp_free) and *resp_len.  0, or
 * a negative GP_E_* with a message (gp_err) when no answer came: the
 * verdict is then "ocsp-unreachable".  timeout is in seconds.
 */
typedef int (*gp_verify_fetch_fn)(unsigned char **resp, size_t *resp_len, void *arg,
    const char *url, const unsigned char *req, size_t req_len, int timeout);

/* The default fetch: an HTTP/1.0 POST (RFC 6960 Appendix A.1) through
 * libcrypto's HTTP client (OSSL_HTTP_transfer), http:// only, at most
 * 1 MiB of answer, of type application/ocsp-response; arg is unused. */
GP_EXPORT int gp_verify_http_fetch(unsigned char **resp, size_t *resp_len, void *arg,
    const char *url, const unsigned char *req, size_t req_len, int timeout);

/* Set size with GP_VERIFY_OPTS_INIT (docs/api.md):
 *   gp_verify_opts o = GP_VERIFY_OPTS_INIT;
 * every other field's default is 0 / NULL. */
typedef struct gp_verify_opts {
	size_t size;                /* sizeof(gp_verify_opts) of the caller's headers */
	int64_t at;                 /* validate as of this time (unix); 0: now */
	gp_purpose purpose;
	const char *name;           /* DNS name, IP address or e-mail to match (RFC 9525); NULL: none */
	gp_revocation revocation;
	gp_rules rules;
	/* RFC 5280 §6.1.1 (c), (e), (f), (g) */
	const char *const *policies;/* initial-policy-set, dotted OIDs, NULL-terminated; NULL: anyPolicy */
	int explicit_policy;
	int inhibit_policy_mapping;
	int inhibit_any_policy;
	int rsa_min_bits;           /* 0: 2048 (as issuance) */
	int max_depth;              /* intermediates at most; 0: 32 */
	/* OCSP (RFC 6960); fields added after max_depth read as 0 (off) for
	 * callers built with the first version of this struct */
	const char *ocsp;           /* NULL: no OCSP; "aia": every certificate below the
	                             * anchor that names a responder (RFC 5280 §4.2.2.1);
	                             * an http:// URL: that responder, for the leaf */
	int ocsp_soft_fail;         /* 1: a responder that cannot be reached or answers
	                             * an error leaves the status unknown, reported in
	                             * the verdict, instead of making it invalid */
	gp_ocsp_nonce ocsp_nonce;
	int ocsp_leeway;            /* seconds of clock skew on thisUpdate/nextUpdate; 0: 300 */
	int ocsp_max_age;           /* a response without nextUpdate is current this many
	                             * seconds after its thisUpdate; 0: 300 */
	int ocsp_timeout;           /* seconds for one exchange; 0: 10 */
	gp_verify_fetch_fn ocsp_fetch; /* NULL: gp_verify_http_fetch */
	void *ocsp_fetch_arg;
} gp_verify_opts;

#define GP_VERIFY_OPTS_INIT { sizeof(gp_verify_opts), 0, GP_PURPOSE_ANY, NULL, \
	GP_REVOCATION_PREFER, GP_RULES_ALL, NULL, 0, 0, 0, 0, 0, \
	NULL, 0, GP_OCSP_NONCE_SEND, 0, 0, 0, NULL, NULL }

/* The answer for one certificate (seal.h's gp_verify_result is another
 * thing: the steps of a seal or signature verification). */
typedef struct gp_verdict {
	int valid;                  /* 1: the certificate validates */
	int depth;                  /* the certificate the verdict is about: 0 the leaf; -1 the path as a whole */
	char subject[256];          /* its subject (RFC 2253), "" if none */
	char rule[40];              /* e.g. "name-constraints"; "" when valid (but see below) */
	char source[64];            /* e.g. "RFC 5280 §4.2.1.10" */
	char reason[320];           /* what was wrong, for a person */
	int chain_len;              /* certificates in the validated path, the anchor included */
	int revocation_unknown;     /* certificates whose status neither a CRL nor OCSP gave
	                             * (--revocation prefer, or OCSP soft-fail) */
} gp_verdict;
/* When valid is 1, rule is "" unless a check was waived: then rule, source
 * and reason name it (an OCSP responder that could not be reached, with
 * ocsp_soft_fail), and revocation_unknown counts it. */

/*
 * A verifier over anchors (at least one), untrusted (may be NULL) and crls
 * (may be NULL); the certificates and CRLs are referenced, so the caller may
 * free its stacks.  opts NULL: the defaults; otherwise its size must be set
 * by GP_VERIFY_OPTS_INIT (GP_E_INVALID for a size no version had).  CRLs must be as decoded from DER (d2i or PEM): OpenSSL
 * reads a CRL's issuingDistributionPoint and deltaCRLIndicator only then.
 * GP_E_INVALID for a bad option.  A delta CRL whose base CRL (RFC 5280
 * §5.2.4) is not among crls is not used, and not ignored either: every
 * certificate of a path whose issuer issued it is invalid (rule
 * revocation).  GP_E_VERIFY for a malformed deltaCRLIndicator.
 */
GP_EXPORT int gp_verifier_new(gp_verifier **out, STACK_OF(X509) *anchors,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, const gp_verify_opts *opts);

/*
 * Validates cert. 0 when it is valid, GP_E_VERIFY when it is not (res says
 * why), another GP_E_* when it could not be checked (res->valid 0).
 */
GP_EXPORT int gp_verifier_check(gp_verifier *v, X509 *cert, gp_verdict *res);

GP_EXPORT void gp_verifier_free(gp_verifier *v);

/*
 * One certificate through the engine in one call, for the library's own
 * checks (the seal and CAdES verifiers, the RA's officer and EST client
 * certificates), so that they judge a chain as `ca-tool verify` does:
 * every rule (GP_RULES_ALL), for purpose, at time at (0: now), and with
 * crls non-NULL, each certificate of the path needs one
 * (GP_REVOCATION_REQUIRE), else revocation is not checked.  0 when valid;
 * GP_E_VERIFY with the verdict's rule, source, reason and certificate as
 * the error message; another GP_E_* when it could not be checked.
 */
GP_EXPORT int gp_verify_chain(X509 *leaf, STACK_OF(X509) *anchors, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crls, int64_t at, gp_purpose purpose);

/* Names for the command line: "tls-server", ... / "require", ... */
GP_EXPORT int gp_purpose_from_name(gp_purpose *out, const char *name);
GP_EXPORT int gp_revocation_from_name(gp_revocation *out, const char *name);

#endif
