/* ca/lint_int.h: lint of certificates and CRLs before they are signed, inside the library */
#ifndef GP_LINT_INT_H
#define GP_LINT_INT_H

#include <openssl/x509v3.h>

#include <govpki/store.h>

#include "profile_int.h"

/*
 * Every certificate and CRL the library signs goes through these rules
 * (ca/lint.c, docs/lint.md): the to-be-signed part first (GP_LINT_TBS,
 * before the CA key signs anything), then what signing set, the signature
 * algorithm (GP_LINT_SIGNED, before the result is stored or returned).
 * A rule has an id, the section of RFC 5280 or of the CA/Browser Forum
 * Baseline Requirements it comes from, and a check.
 */
enum { GP_LINT_TBS = 1, GP_LINT_SIGNED = 2 };
enum { GP_LINT_CERT = 1, GP_LINT_CRL = 2 };

typedef struct gp_lint_rule {
	const char *id;            /* "serial-positive" */
	const char *source;        /* "RFC 5280 4.1.2.2" */
	const char *what;          /* one line: what the rule asks */
	int kind;                  /* GP_LINT_CERT or GP_LINT_CRL */
	int phase;                 /* GP_LINT_TBS or GP_LINT_SIGNED */
} gp_lint_rule;

/* Rule i in the order they run (borrowed from a static table); NULL past
 * the last. */
const gp_lint_rule *gp_lint_rule_at(size_t i);

/* What the certificate rules compare the certificate with. */
typedef struct gp_lint_cert_ctx {
	const gp_profile *profile; /* NULL: no rule of the profile runs */
	X509 *issuer;              /* the issuer's certificate; NULL or the
	                            * certificate itself: self-signed */
	EVP_PKEY *issuer_key;      /* the signing key (GP_LINT_SIGNED) */
	EVP_PKEY *subject_key;     /* the certificate's key as parsed from the
	                            * same SubjectPublicKeyInfo bits; NULL: read
	                            * from cert (OpenSSL 3.0 decodes it again) */
} gp_lint_cert_ctx;

/*
 * Runs the certificate rules of phase over cert.  0 when all pass;
 * GP_E_POLICY when one fails, the first, with the message
 * "lint: rule ID (SOURCE): why"; GP_E_INVALID for a NULL argument.
 * Reads cert only: nothing is cached in it.
 */
int gp_lint_cert(X509 *cert, const gp_lint_cert_ctx *lc, int phase);

/* A CRL's parts as the CRL rules read them: ca/crl.c builds its
 * TBSCertList with a template of its own (and OpenSSL has no accessor for
 * an X509_CRL's inner AlgorithmIdentifier).  Everything borrowed. */
typedef struct gp_lint_crl_parts {
	const ASN1_INTEGER *version;        /* NULL: v1 */
	const X509_ALGOR *tbs_sig_alg;      /* TBSCertList.signature */
	const X509_ALGOR *sig_alg;          /* CertificateList.signatureAlgorithm */
	const ASN1_TIME *this_update;
	const ASN1_TIME *next_update;       /* NULL: absent */
	const STACK_OF(X509_EXTENSION) *exts;
	EVP_PKEY *issuer_key;               /* the signing key (GP_LINT_SIGNED) */
} gp_lint_crl_parts;

/* The CRL rules of phase over v; results as gp_lint_cert. */
int gp_lint_crl(const gp_lint_crl_parts *v, int phase);

/*
 * After a lint refusal r, whose message is msg: appends an audit entry
 * (GP_AUDIT_LINT_REFUSE, actor, object, "context: msg") in the caller's
 * transaction or, with none open, its own.  Returns r with msg as the
 * error message, or the audit's error when the entry cannot be written.
 */
int gp_lint_audit(gp_store *st, const char *actor, const char *object, const char *context,
    int r, const char *msg);

#endif
