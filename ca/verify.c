/* ca/verify.c: path validation, OpenSSL's X509_verify_cert with RFC 5280's inputs and govpki's own rules */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <govpki/verify.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "profile_int.h"
#include "util.h"
#include "verify_int.h"

/* Pairs of objects whose check succeeded once: (certificate, issuer) for
 * a signature, (CRL, issuer, scope) for a CRL.  The objects belong to the
 * verifier, so a pointer names the same object for its whole life. */
struct seen {
	const void *a, *b;
	unsigned long c;
};

struct seen_set {
	struct seen *v;
	size_t n, cap;
};

#define SEEN_MAX 4096   /* bounded: past it, checks are simply redone */
#define NOCRL_MAX 128   /* depths remembered for OCSP: max_depth is at most 100 */

struct gp_verifier {
	X509_STORE *store;
	STACK_OF(X509) *untrusted;
	STACK_OF(X509_CRL) *crls;
	STACK_OF(X509_CRL) *deltas;      /* borrowed from crls */
	STACK_OF(X509_CRL) *baseless;    /* deltas given without their base CRL */
	STACK_OF(ASN1_OBJECT) *policies;
	X509_STORE_CTX *ctx;
	X509_STORE_CTX_check_crl_fn default_check_crl;
	gp_verify_opts o;
	time_t at;
	struct seen_set sig, crl, ocsp;  /* ocsp: (CA certificate, issuer) answered good */
	/* the check in progress */
	int errors, err, err_depth, unknown;
	X509 *err_cert;
	unsigned char nocrl[NOCRL_MAX];  /* with OCSP: depths no CRL covered */
	gp_ocsp_answer waived;           /* the first check soft-fail waived */
	int waived_depth;
	X509 *waived_cert;
};

/* ---- caches ----------------------------------------------------------- */

static int
seen_has(const struct seen_set *s, const void *a, const void *b, unsigned long c)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].a == a && s->v[i].b == b && s->v[i].c == c)
			return 1;
	return 0;
}

static void
seen_add(struct seen_set *s, const void *a, const void *b, unsigned long c)
{
	struct seen *nv;

	if (s->n >= SEEN_MAX)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		if ((nv = realloc(s->v, cap * sizeof(*nv))) == NULL)
			return;         /* not remembered: checked again next time */
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n].a = a;
	s->v[s->n].b = b;
	s->v[s->n].c = c;
	s->n++;
}

/* ---- what OpenSSL calls back ----------------------------------------- */

static int
cb_fail(X509_STORE_CTX *ctx, X509 *x, int depth, int err)
{
	X509_STORE_CTX_verify_cb cb = X509_STORE_CTX_get_verify_cb(ctx);

	X509_STORE_CTX_set_error_depth(ctx, depth);
	X509_STORE_CTX_set_current_cert(ctx, x);
	X509_STORE_CTX_set_error(ctx, err);
	return cb(0, ctx);
}

/*
 * The verifier of ctx.  OpenSSL checks the path of a CRL signed by another
 * key than the certificate's issuer in a nested X509_STORE_CTX
 * (check_crl_path) that inherits the callbacks but not the app data: the
 * verifier is that of the outermost context.
 */
static gp_verifier *
ctx_verifier(X509_STORE_CTX *ctx)
{
	gp_verifier *v = NULL;

	for (; ctx != NULL && (v = X509_STORE_CTX_get_app_data(ctx)) == NULL;
	    ctx = X509_STORE_CTX_get0_parent_ctx(ctx))
		;
	return v;
}

/*
 * RFC 5280 §6.3.3 (f): "obtain and validate the certification path for the
 * issuer of the complete CRL", from the same trust anchor.  OpenSSL does it
 * in a nested context (check_crl_path, x509_vfy.c) whose target is the CRL
 * issuer's certificate, and refuses to nest again: in the nested context a
 * CRL whose issuer is not on the path being validated is always a
 * X509_V_ERR_CRL_PATH_VALIDATION_ERROR, without any check made.
 *
 * One such CRL is legitimate (PKITS 4.14.30): an indirect CRL (§5.2.5) that
 * covers every certificate its CA issued, the CRL issuer's own among them,
 * so the CRL issuer's status comes from the CRL it signed itself.  The path
 * OpenSSL would validate again is then exactly the one the nested context
 * is validating, and every part of it is still checked there or on return:
 * the signatures, validity, basic constraints and policies of that path,
 * the CRL's scope, time and signature with that key (check_crl), whether
 * the CRL lists the CRL issuer's certificate (cert_crl, right after), and
 * that the path ends at the target's trust anchor (check_crl_chain).  Only
 * the repetition is waived; this is true when err is that repetition: a
 * nested context, its target certificate (depth 0) checked against a CRL
 * issued by that same certificate.
 */
static int
crl_issuer_is_target(X509_STORE_CTX *ctx, int err, int depth)
{
	X509 *target = X509_STORE_CTX_get0_cert(ctx);
	X509 *crl_issuer = X509_STORE_CTX_get0_current_issuer(ctx);

	return err == X509_V_ERR_CRL_PATH_VALIDATION_ERROR &&
	    X509_STORE_CTX_get0_parent_ctx(ctx) != NULL && depth == 0 &&
	    X509_STORE_CTX_get0_current_crl(ctx) != NULL && target != NULL &&
	    crl_issuer != NULL && X509_STORE_CTX_get_current_cert(ctx) == target &&
	    X509_cmp(crl_issuer, target) == 0;
}

/*
 * The verdict callback: SM2 CRL signatures first (lib/x509util.c), then
 * the revocation policy; the first failure is kept for the result.
 */
static int
v_cb(int ok, X509_STORE_CTX *ctx)
{
	gp_verifier *v = ctx_verifier(ctx);
	int err, depth;

	ok = gp_x509_sm2_verify_cb(ok, ctx);
	if (ok)
		return ok;
	err = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	/* strict-mode findings that check_cert_rules makes too, from the
	 * anchor down, so that a CA's missing SKI is named before the AKI
	 * its leaf therefore lacks (RFC 5280 §4.2.1.1, §4.2.1.2) */
	if (v->o.rules == GP_RULES_ALL && (err == X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER ||
	    err == X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER ||
	    err == X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL ||
	    err == X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL))
		return 1;
	if (crl_issuer_is_target(ctx, err, depth))
		return 1;       /* RFC 5280 §6.3.3 (f), checked in this context */
	if (err == X509_V_ERR_UNABLE_TO_GET_CRL) {
		/* RFC 5280 §6.1.1 (d): the trust anchor is an input, trusted
		 * as given; its own status is not part of the path */
		if (depth == sk_X509_num(X509_STORE_CTX_get0_chain(ctx)) - 1)
			return 1;
		/* with OCSP the status may still come from a responder:
		 * check_ocsp decides (not in the nested check of a CRL's path) */
		if (v->o.ocsp != NULL && X509_STORE_CTX_get0_parent_ctx(ctx) == NULL &&
		    depth >= 0 && depth < NOCRL_MAX) {
			v->nocrl[depth] = 1;
			return 1;
		}
		if (v->o.revocation == GP_REVOCATION_PREFER) {
			v->unknown++;
			return 1;
		}
	}
	v->errors++;
	if (v->err == 0) {
		v->err = err;
		v->err_depth = depth;
		v->err_cert = X509_STORE_CTX_get_current_cert(ctx);
	}
	return 0;
}

/* X509_cmp_time against the verifier's time, as OpenSSL's own check. */
static int
check_time(X509_STORE_CTX *ctx, gp_verifier *v, X509 *x, int depth)
{
	int i = X509_cmp_time(X509_get0_notBefore(x), &v->at);

	if (i == 0 && !cb_fail(ctx, x, depth, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD))
		return 0;
	if (i > 0 && !cb_fail(ctx, x, depth, X509_V_ERR_CERT_NOT_YET_VALID))
		return 0;
	i = X509_cmp_time(X509_get0_notAfter(x), &v->at);
	if (i == 0 && !cb_fail(ctx, x, depth, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD))
		return 0;
	if (i < 0 && !cb_fail(ctx, x, depth, X509_V_ERR_CERT_HAS_EXPIRED))
		return 0;
	return 1;
}

/*
 * OpenSSL's signature and validity step (its internal_verify, RFC 5280
 * §6.1.3 (a)(1) and (a)(2)), with one difference: the signature of a CA
 * certificate by its issuer that verified once is not verified again for
 * the next leaf.  A self-signed anchor's own signature is not checked
 * (§6.1.1 (d): the anchor is an input), as in OpenSSL.
 */
static int
v_verify(X509_STORE_CTX *ctx)
{
	gp_verifier *v = ctx_verifier(ctx);
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	X509_STORE_CTX_verify_cb cb = X509_STORE_CTX_get_verify_cb(ctx);
	int n = sk_X509_num(chain) - 1;
	X509 *xi = sk_X509_value(chain, n), *xs;
	EVP_PKEY *pk;

	if (X509_check_issued(xi, xi) == X509_V_OK) {
		xs = xi;
	} else {
		if (n <= 0)
			return cb_fail(ctx, xi, 0, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
		n--;
		xs = sk_X509_value(chain, n);
	}
	while (n >= 0) {
		if (xs != xi && !seen_has(&v->sig, xs, xi, 0)) {
			if ((pk = X509_get0_pubkey(xi)) == NULL) {
				if (!cb_fail(ctx, xi, n + 1, X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY))
					return 0;
			} else if (X509_verify(xs, pk) <= 0) {
				if (!cb_fail(ctx, xs, n, X509_V_ERR_CERT_SIGNATURE_FAILURE))
					return 0;
			} else if (n > 0) {
				seen_add(&v->sig, xs, xi, 0);   /* both the verifier's */
			}
		}
		if (!check_time(ctx, v, xs, n))
			return 0;
		X509_STORE_CTX_set_current_cert(ctx, xs);
		X509_STORE_CTX_set_error_depth(ctx, n);
		if (!cb(1, ctx))
			return 0;
		if (--n >= 0) {
			xi = xs;
			xs = sk_X509_value(chain, n);
		}
	}
	return 1;
}

/*
 * OpenSSL's CRL check (signature, time, issuer, scope: RFC 5280 §6.3.3),
 * remembered when it passed without a complaint for this CRL, CRL issuer
 * and kind of certificate (CA or not, and its issuer name), which is all it
 * depends on besides the verifier's fixed time and flags.
 */
static int
v_check_crl(X509_STORE_CTX *ctx, X509_CRL *crl)
{
	gp_verifier *v = ctx_verifier(ctx);
	X509 *issuer = X509_STORE_CTX_get0_current_issuer(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	unsigned long scope = 0;
	int ok, errs = v->errors;

	if (x != NULL)
		scope = (X509_issuer_name_hash(x) << 1) |
		    ((X509_get_extension_flags(x) & EXFLAG_CA) ? 1u : 0u);
	if (issuer != NULL && x != NULL && seen_has(&v->crl, crl, issuer, scope))
		return 1;
	ok = v->default_check_crl(ctx, crl);
	/* not remembered from a nested context (a CRL issuer's own path,
	 * RFC 5280 §6.3.3 (f)): there the CRL's own issuer path is not
	 * checked (crl_issuer_is_target), and an outer check of the same CRL
	 * must not skip it */
	if (ok == 1 && v->errors == errs && issuer != NULL && x != NULL &&
	    X509_STORE_CTX_get0_parent_ctx(ctx) == NULL)
		seen_add(&v->crl, crl, issuer, scope);
	return ok;
}

/* ---- results ------------------------------------------------------------ */

static void
res_set(gp_verdict *res, int depth, X509 *x, const char *rule, const char *source,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
res_set(gp_verdict *res, int depth, X509 *x, const char *rule, const char *source,
    const char *fmt, ...)
{
	va_list ap;

	if (res->rule[0] != '\0')       /* the first failure is the answer */
		return;
	res->valid = 0;
	res->depth = depth;
	res->subject[0] = '\0';
	if (x != NULL) {
		char *s = NULL;

		if (gp_name_print(&s, X509_get_subject_name(x)) == 0 && s != NULL)
			snprintf(res->subject, sizeof(res->subject), "%s", s);
		free(s);
	}
	snprintf(res->rule, sizeof(res->rule), "%s", rule);
	snprintf(res->source, sizeof(res->source), "%s", source);
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* OpenSSL's verdicts, named by the step of RFC 5280 that makes them. */
static const struct {
	int err;
	const char *rule, *source;
} ossl_rules[] = {
	{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, "path", "RFC 5280 §6.1" },
	{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "path", "RFC 5280 §6.1" },
	{ X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, "path", "RFC 5280 §6.1" },
	{ X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "path", "RFC 5280 §6.1" },
	{ X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "path", "RFC 5280 §6.1" },
	{ X509_V_ERR_CERT_CHAIN_TOO_LONG, "path-length", "RFC 5280 §6.1 (max depth)" },
	{ X509_V_ERR_CERT_SIGNATURE_FAILURE, "signature", "RFC 5280 §6.1.3 (a)(1)" },
	{ X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, "signature", "RFC 5280 §6.1.3 (a)(1)" },
	{ X509_V_ERR_CERT_NOT_YET_VALID, "validity", "RFC 5280 §6.1.3 (a)(2)" },
	{ X509_V_ERR_CERT_HAS_EXPIRED, "validity", "RFC 5280 §6.1.3 (a)(2)" },
	{ X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, "validity", "RFC 5280 §4.1.2.5" },
	{ X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, "validity", "RFC 5280 §4.1.2.5" },
	{ X509_V_ERR_CERT_REVOKED, "revocation", "RFC 5280 §6.1.3 (a)(3), §6.3" },
	{ X509_V_ERR_UNABLE_TO_GET_CRL, "revocation", "RFC 5280 §6.3 (--revocation require)" },
	{ X509_V_ERR_CRL_SIGNATURE_FAILURE, "crl", "RFC 5280 §6.3.3 (f), (g)" },
	{ X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, "crl", "RFC 5280 §6.3.3 (g)" },
	{ X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, "crl", "RFC 5280 §6.3.3 (f)" },
	{ X509_V_ERR_CRL_NOT_YET_VALID, "crl", "RFC 5280 §5.1.2.4" },
	{ X509_V_ERR_CRL_HAS_EXPIRED, "crl", "RFC 5280 §5.1.2.5, §6.3.3 (a)" },
	{ X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, "crl", "RFC 5280 §5.1.2.4" },
	{ X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, "crl", "RFC 5280 §5.1.2.5" },
	{ X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, "crl", "RFC 5280 §6.3.3 (f), §4.2.1.3" },
	{ X509_V_ERR_DIFFERENT_CRL_SCOPE, "crl", "RFC 5280 §6.3.3 (b)" },
	{ X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION, "crl", "RFC 5280 §5.2" },
	{ X509_V_ERR_CRL_PATH_VALIDATION_ERROR, "crl", "RFC 5280 §6.3.3 (f)" },
	{ X509_V_ERR_INVALID_CA, "basic-constraints", "RFC 5280 §6.1.4 (k)" },
	{ X509_V_ERR_PATH_LENGTH_EXCEEDED, "basic-constraints", "RFC 5280 §6.1.4 (l), (m)" },
	{ X509_V_ERR_CA_BCONS_NOT_CRITICAL, "basic-constraints", "RFC 5280 §4.2.1.9" },
	{ X509_V_ERR_KEYUSAGE_NO_CERTSIGN, "key-usage", "RFC 5280 §6.1.4 (n)" },
	{ X509_V_ERR_CA_CERT_MISSING_KEY_USAGE, "key-usage", "RFC 5280 §4.2.1.3" },
	{ X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, "critical-extension", "RFC 5280 §6.1.4 (o), §4.2" },
	{ X509_V_ERR_PERMITTED_VIOLATION, "name-constraints", "RFC 5280 §6.1.3 (b), §4.2.1.10" },
	{ X509_V_ERR_EXCLUDED_VIOLATION, "name-constraints", "RFC 5280 §6.1.3 (c), §4.2.1.10" },
	{ X509_V_ERR_SUBTREE_MINMAX, "name-constraints", "RFC 5280 §4.2.1.10" },
	{ X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, "name-constraints", "RFC 5280 §4.2.1.10" },
	{ X509_V_ERR_UNSUPPORTED_NAME_SYNTAX, "name-constraints", "RFC 5280 §4.2.1.10" },
	{ X509_V_ERR_NO_EXPLICIT_POLICY, "policy", "RFC 5280 §6.1.5 (g), §6.1.3 (f)" },
	{ X509_V_ERR_INVALID_POLICY_EXTENSION, "policy", "RFC 5280 §4.2.1.4, §4.2.1.5, §6.1.4 (a)" },
	{ X509_V_ERR_INVALID_EXTENSION, "extension", "RFC 5280 §4.2" },
	{ X509_V_ERR_AKID_SKID_MISMATCH, "path", "RFC 5280 §4.2.1.1" },
	{ X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER, "aki", "RFC 5280 §4.2.1.1" },
	{ X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER, "ski", "RFC 5280 §4.2.1.2" },
	{ X509_V_ERR_EMPTY_SUBJECT_ALT_NAME, "san", "RFC 5280 §4.2.1.6" },
	{ X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL, "san", "RFC 5280 §4.2.1.6" },
	{ X509_V_ERR_SUBJECT_NAME_EMPTY, "subject", "RFC 5280 §4.1.2.6" },
	{ X509_V_ERR_ISSUER_NAME_EMPTY, "issuer", "RFC 5280 §4.1.2.4" },
	{ X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL, "aki", "RFC 5280 §4.2.1.1" },
	{ X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL, "ski", "RFC 5280 §4.2.1.2" },
	{ X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH, "signature", "RFC 5280 §4.1.1.2" },
	{ X509_V_ERR_EC_KEY_EXPLICIT_PARAMS, "key-strength", "RFC 5480 §2.1.1" },
	{ X509_V_ERR_CA_KEY_TOO_SMALL, "key-strength", "govpki (issuance minimums)" },
	{ X509_V_ERR_EE_KEY_TOO_SMALL, "key-strength", "govpki (issuance minimums)" },
	{ X509_V_ERR_CA_MD_TOO_WEAK, "signature", "govpki (issuance minimums)" },
};

static void
res_from_ossl(gp_verdict *res, gp_verifier *v)
{
	const char *rule = "openssl", *source = "RFC 5280 §6.1";

	for (size_t i = 0; i < sizeof(ossl_rules) / sizeof(ossl_rules[0]); i++)
		if (ossl_rules[i].err == v->err) {
			rule = ossl_rules[i].rule;
			source = ossl_rules[i].source;
			break;
		}
	/* OpenSSL's strict mode calls a certificate that is not a CA but
	 * asserts keyCertSign an "invalid CA": the rule is §4.2.1.3's */
	if (v->err == X509_V_ERR_INVALID_CA && v->err_cert != NULL &&
	    !(X509_get_extension_flags(v->err_cert) & EXFLAG_CA) &&
	    (X509_get_extension_flags(v->err_cert) & EXFLAG_KUSAGE) &&
	    (X509_get_key_usage(v->err_cert) & KU_KEY_CERT_SIGN)) {
		rule = "key-usage";
		source = "RFC 5280 §4.2.1.3";
	}
	/* and a version 1 certificate, which has no basicConstraints, in a CA's place */
	if (v->err == X509_V_ERR_INVALID_CA && v->err_cert != NULL &&
	    X509_get_version(v->err_cert) != X509_VERSION_3) {
		rule = "v1-ca";
		source = "RFC 5280 §4.1.2.1, §6.1.4 (k)";
	}
	res_set(res, v->err_cert != NULL ? v->err_depth : -1, v->err_cert, rule, source,
	    "%s", X509_verify_cert_error_string(v->err));
}

/* ---- govpki's rules on each certificate of the path ----------------------- */

static int
ext_critical(const X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static int
email_ok(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	return at != NULL && at > s && memchr(at + 1, '@', len - (size_t)(at - s) - 1) == NULL &&
	    gp_dns_name_ok(at + 1, len - (size_t)(at - s) - 1, 0);
}

/* RFC 5280 §4.2.1.6: names of the types we can read must be well formed. */
static int
check_sans(gp_verdict *res, X509 *x, int depth)
{
	GENERAL_NAMES *gens;
	int i, crit, ok = 1;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit >= 0) {
		res_set(res, depth, x, "san", "RFC 5280 §4.2.1.6", "the subjectAltName extension is malformed");
		return 0;
	}
	if (X509_NAME_entry_count(X509_get_subject_name(x)) == 0 &&
	    (gens == NULL || sk_GENERAL_NAME_num(gens) == 0 || crit != 1)) {
		res_set(res, depth, x, "san", "RFC 5280 §4.2.1.6",
		    "an empty subject needs a critical subjectAltName");
		ok = 0;
	}
	for (i = 0; ok && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s;

		switch (g->type) {
		case GEN_DNS:
			s = g->d.dNSName;
			if (!gp_dns_name_ok((const char *)s->data, (size_t)s->length, depth == 0)) {
				res_set(res, depth, x, "san", "RFC 5280 §4.2.1.6",
				    "malformed dNSName '%.*s'", s->length > 100 ? 100 : s->length, s->data);
				ok = 0;
			}
			break;
		case GEN_EMAIL:
			s = g->d.rfc822Name;
			if (!email_ok((const char *)s->data, (size_t)s->length)) {
				res_set(res, depth, x, "san", "RFC 5280 §4.2.1.6",
				    "malformed rfc822Name '%.*s'", s->length > 100 ? 100 : s->length, s->data);
				ok = 0;
			}
			break;
		case GEN_IPADD:
			s = g->d.iPAddress;
			if (s->length != 4 && s->length != 16) {
				res_set(res, depth, x, "san", "RFC 5280 §4.2.1.6",
				    "an iPAddress of %d octets (4 or 16)", s->length);
				ok = 0;
			}
			break;
		default:
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

static int
check_key(gp_verdict *res, const gp_verifier *v, X509 *x, int depth)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64];
	size_t glen = 0;
	int bits;

	if (pk == NULL) {
		res_set(res, depth, x, "key-strength", "RFC 5280 §4.1.2.7", "the public key cannot be read");
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) {
		bits = EVP_PKEY_get_bits(pk);
		if (bits < v->o.rsa_min_bits) {
			res_set(res, depth, x, "key-strength", "govpki (issuance minimums)",
			    "an RSA key of %d bits (at least %d)", bits, v->o.rsa_min_bits);
			return 0;
		}
		return 1;
	}
	if (EVP_PKEY_is_a(pk, "ED25519") || EVP_PKEY_is_a(pk, "ED448"))
		return 1;
	if (EVP_PKEY_is_a(pk, "EC") || EVP_PKEY_is_a(pk, "SM2")) {
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), &glen) != 1) {
			ERR_clear_error();
			/* RFC 5480 §2.1.1: namedCurve only */
			res_set(res, depth, x, "key-strength", "RFC 5480 §2.1.1",
			    "an EC key with explicit parameters");
			return 0;
		}
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "secp521r1") == 0 || strcmp(group, "SM2") == 0)
			return 1;
		res_set(res, depth, x, "key-strength", "govpki (issuance minimums)",
		    "an EC key on %s (P-256, P-384, P-521 or SM2)", group);
		return 0;
	}
	res_set(res, depth, x, "key-strength", "govpki (issuance minimums)",
	    "a %s key (RSA, EC, Ed25519, Ed448 or SM2; no DSA)", EVP_PKEY_get0_type_name(pk));
	return 0;
}

/* RFC 5280 §4 rules on the certificate at depth (0: the leaf) of a
 * path of n certificates (n - 1: the anchor). */
static int
check_cert_rules(gp_verdict *res, const gp_verifier *v, X509 *x, int depth, int n)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	uint32_t fl = X509_get_extension_flags(x);
	BASIC_CONSTRAINTS *bc;
	int crit, is_ca = (fl & EXFLAG_CA) != 0;

	(void)n;
	/* §4.1.2.2: a positive integer, at most 20 octets */
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER || ASN1_STRING_length(sn) == 0 ||
	    (ASN1_STRING_length(sn) == 1 && ASN1_STRING_get0_data(sn)[0] == 0)) {
		res_set(res, depth, x, "serial", "RFC 5280 §4.1.2.2", "the serial number is not positive");
		return 0;
	}
	/* the content octets of the INTEGER, a leading 00 included */
	if (ASN1_STRING_length(sn) + ((ASN1_STRING_get0_data(sn)[0] & 0x80) ? 1 : 0) > 20) {
		res_set(res, depth, x, "serial", "RFC 5280 §4.1.2.2", "the serial number is longer than 20 octets");
		return 0;
	}
	if (depth > 0) {
		/* §4.1.2.1 / §6.1.4 (k): a CA certificate is a v3 certificate with basicConstraints */
		if (X509_get_version(x) != X509_VERSION_3) {
			res_set(res, depth, x, "v1-ca", "RFC 5280 §4.1.2.1, §6.1.4 (k)",
			    "a version %ld certificate as a CA", X509_get_version(x) + 1);
			return 0;
		}
		/* §4.2.1.9: MUST appear as a critical extension in CA certificates */
		if (!(fl & EXFLAG_BCONS) || !is_ca || ext_critical(x, NID_basic_constraints) != 1) {
			res_set(res, depth, x, "basic-constraints", "RFC 5280 §4.2.1.9",
			    "a CA certificate needs a critical basicConstraints with cA TRUE");
			return 0;
		}
		/* §4.2.1.3: CA certificates MUST include keyUsage */
		if (!(fl & EXFLAG_KUSAGE) || !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN)) {
			res_set(res, depth, x, "key-usage", "RFC 5280 §4.2.1.3",
			    "a CA certificate needs keyUsage with keyCertSign");
			return 0;
		}
		/* §4.2.1.2: MUST appear in all conforming CA certificates, non-critical */
		if (X509_get0_subject_key_id(x) == NULL || ext_critical(x, NID_subject_key_identifier) == 1) {
			res_set(res, depth, x, "ski", "RFC 5280 §4.2.1.2",
			    "a CA certificate needs a non-critical subjectKeyIdentifier");
			return 0;
		}
	}
	/* §4.2.1.9: pathLenConstraint only with cA TRUE */
	if ((bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL)) != NULL) {
		int bad = bc->pathlen != NULL && !bc->ca;

		BASIC_CONSTRAINTS_free(bc);
		if (bad) {
			res_set(res, depth, x, "basic-constraints", "RFC 5280 §4.2.1.9",
			    "pathLenConstraint without cA TRUE");
			return 0;
		}
	}
	/* §4.2.1.3: keyCertSign only when cA is TRUE */
	if ((fl & EXFLAG_KUSAGE) && (X509_get_key_usage(x) & KU_KEY_CERT_SIGN) && !is_ca) {
		res_set(res, depth, x, "key-usage", "RFC 5280 §4.2.1.3",
		    "keyCertSign in a certificate that is not a CA (cA FALSE or no basicConstraints)");
		return 0;
	}
	/* §4.2.1.1: MUST be in every certificate but a self-signed one, with
	 * keyIdentifier, non-critical */
	if (!(fl & EXFLAG_SS) &&
	    (X509_get0_authority_key_id(x) == NULL || ext_critical(x, NID_authority_key_identifier) == 1)) {
		res_set(res, depth, x, "aki", "RFC 5280 §4.2.1.1",
		    "needs a non-critical authorityKeyIdentifier with keyIdentifier");
		return 0;
	}
	/* §4.2.1.10: name constraints MUST be used only in a CA certificate */
	if (!is_ca && ext_critical(x, NID_name_constraints) >= 0) {
		res_set(res, depth, x, "name-constraints", "RFC 5280 §4.2.1.10",
		    "nameConstraints in a certificate that is not a CA");
		return 0;
	}
	if (!check_sans(res, x, depth) || !check_key(res, v, x, depth))
		return 0;
	return 1;
}

/* ---- name constraints on every name (RFC 5280 §4.2.1.10) ------------------ */

static int
ends_with_ci(const char *s, size_t sl, const char *t, size_t tl)
{
	return sl >= tl && strncasecmp(s + sl - tl, t, tl) == 0;
}

/* dNSName: the base, or the base with labels added on the left. */
static int
dns_in(const char *n, size_t nl, const ASN1_STRING *b)
{
	const char *bs = (const char *)b->data;
	size_t bl = (size_t)b->length;

	if (bl == 0)
		return 1;
	if (bs[0] == '.')                /* ".example": below it only (as OpenSSL) */
		return ends_with_ci(n, nl, bs, bl) && nl > bl;
	if (nl == bl)
		return strncasecmp(n, bs, bl) == 0;
	return nl > bl && n[nl - bl - 1] == '.' && ends_with_ci(n, nl, bs, bl);
}

/* rfc822Name: a mailbox, all of a host, or any host below a domain. */
static int
email_in(const char *n, size_t nl, const ASN1_STRING *b)
{
	const char *bs = (const char *)b->data, *at = memchr(n, '@', nl);
	size_t bl = (size_t)b->length, hl;

	if (at == NULL)
		return 0;
	hl = nl - (size_t)(at - n) - 1;
	if (memchr(bs, '@', bl) != NULL) {
		const char *bat = memchr(bs, '@', bl);
		size_t blocal = (size_t)(bat - bs);

		return (size_t)(at - n) == blocal && memcmp(n, bs, blocal) == 0 &&
		    hl == bl - blocal - 1 && strncasecmp(at + 1, bat + 1, hl) == 0;
	}
	if (bl > 0 && bs[0] == '.')
		return ends_with_ci(at + 1, hl, bs, bl) && hl > bl;
	return hl == bl && strncasecmp(at + 1, bs, bl) == 0;
}

static int
ip_in(const ASN1_STRING *n, const ASN1_STRING *b)
{
	int i, len = n->length;

	if (b->length != 2 * len)
		return 0;
	for (i = 0; i < len; i++)
		if ((n->data[i] & b->data[len + i]) != (b->data[i] & b->data[len + i]))
			return 0;
	return 1;
}

static int
subtree_match(const GENERAL_SUBTREE *st, int type, const char *s, size_t sl, const ASN1_STRING *ip)
{
	const GENERAL_NAME *b = st->base;

	if (b->type != type)
		return 0;
	switch (type) {
	case GEN_DNS: return dns_in(s, sl, b->d.dNSName);
	case GEN_EMAIL: return email_in(s, sl, b->d.rfc822Name);
	case GEN_IPADD: return ip_in(ip, b->d.iPAddress);
	default: return 0;
	}
}

/* 1 when the name is allowed by nc: within a permitted subtree of its type
 * when there is one, in no excluded subtree. */
static int
nc_allows(const NAME_CONSTRAINTS *nc, int type, const char *s, size_t sl, const ASN1_STRING *ip)
{
	int i, any = 0, in = 0;

	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); i++)
		if (subtree_match(sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i), type, s, sl, ip))
			return 0;
	for (i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
		const GENERAL_SUBTREE *st = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);

		if (st->base->type != type)
			continue;
		any = 1;
		if (subtree_match(st, type, s, sl, ip))
			in = 1;
	}
	return !any || in;
}

/* A CN that reads as a host name: LDH labels with a dot (RFC 5280
 * §4.2.1.10 leaves legacy CN host names to the relying party; CA/B
 * requires them to be in the SAN too, so constraints must hold for them). */
static int
cn_is_dns(const unsigned char *s, int len)
{
	return len > 0 && memchr(s, '.', (size_t)len) != NULL && gp_dns_name_ok((const char *)s, (size_t)len, 1);
}

static int
check_names_against(gp_verdict *res, const NAME_CONSTRAINTS *nc, X509 *ca, int ca_depth,
    X509 *x, int depth)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	X509_NAME *subj = X509_get_subject_name(x);
	const char *what = NULL;
	char shown[128] = "";
	int i, ok = 1;

	(void)ca;
	for (i = 0; ok && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS && !nc_allows(nc, GEN_DNS, (const char *)g->d.dNSName->data,
		    (size_t)g->d.dNSName->length, NULL)) {
			what = "dNSName";
			snprintf(shown, sizeof(shown), "%.*s", g->d.dNSName->length > 100 ? 100 :
			    g->d.dNSName->length, g->d.dNSName->data);
			ok = 0;
		} else if (g->type == GEN_EMAIL && !nc_allows(nc, GEN_EMAIL,
		    (const char *)g->d.rfc822Name->data, (size_t)g->d.rfc822Name->length, NULL)) {
			what = "rfc822Name";
			snprintf(shown, sizeof(shown), "%.*s", g->d.rfc822Name->length > 100 ? 100 :
			    g->d.rfc822Name->length, g->d.rfc822Name->data);
			ok = 0;
		} else if (g->type == GEN_IPADD && (g->d.iPAddress->length == 4 ||
		    g->d.iPAddress->length == 16) && !nc_allows(nc, GEN_IPADD, NULL, 0, g->d.iPAddress)) {
			what = "iPAddress";
			ok = 0;
		}
	}
	/* the subject's emailAddress attributes are rfc822Names (§4.2.1.10) */
	for (i = -1; ok && (i = X509_NAME_get_index_by_NID(subj, NID_pkcs9_emailAddress, i)) >= 0;) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));

		if (!nc_allows(nc, GEN_EMAIL, (const char *)s->data, (size_t)s->length, NULL)) {
			what = "subject emailAddress";
			snprintf(shown, sizeof(shown), "%.*s", s->length > 100 ? 100 : s->length, s->data);
			ok = 0;
		}
	}
	/* the leaf's CN when it reads as a host name, SAN or no SAN */
	for (i = -1; ok && depth == 0 && (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));

		if (cn_is_dns(s->data, s->length) &&
		    !nc_allows(nc, GEN_DNS, (const char *)s->data, (size_t)s->length, NULL)) {
			what = "subject CN (as a DNS name)";
			snprintf(shown, sizeof(shown), "%.*s", s->length > 100 ? 100 : s->length, s->data);
			ok = 0;
		}
	}
	if (!ok)
		res_set(res, depth, x, "name-constraints", "RFC 5280 §4.2.1.10, §6.1.3 (b), (c)",
		    "%s %s is outside the name constraints of the CA at depth %d", what, shown, ca_depth);
	GENERAL_NAMES_free(gens);
	return ok;
}

static int
check_name_constraints(gp_verdict *res, STACK_OF(X509) *chain)
{
	int n = sk_X509_num(chain), k, i, ok = 1;

	for (k = 1; ok && k < n; k++) {
		X509 *ca = sk_X509_value(chain, k);
		NAME_CONSTRAINTS *nc;
		int crit;

		if (ext_critical(ca, NID_name_constraints) < 0)
			continue;
		if ((nc = X509_get_ext_d2i(ca, NID_name_constraints, &crit, NULL)) == NULL) {
			res_set(res, k, ca, "name-constraints", "RFC 5280 §4.2.1.10",
			    "the nameConstraints extension is malformed");
			return 0;
		}
		for (i = 0; ok && i < k; i++) {
			X509 *x = sk_X509_value(chain, i);

			/* §6.1.3 (b): not applied to a self-issued intermediate */
			if (i > 0 && (X509_get_extension_flags(x) & EXFLAG_SI))
				continue;
			ok = check_names_against(res, nc, ca, k, x, i);
		}
		NAME_CONSTRAINTS_free(nc);
	}
	return ok;
}

/* ---- purpose and name ---------------------------------------------------- */

static const struct {
	gp_purpose p;
	const char *name;
	int nid;
	unsigned ku;       /* any of these bits, when keyUsage is present (RFC 5280 §4.2.1.12) */
} purposes[] = {
	{ GP_PURPOSE_ANY, "any", NID_undef, 0 },
	{ GP_PURPOSE_TLS_SERVER, "tls-server", NID_server_auth,
	  KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT },
	{ GP_PURPOSE_TLS_CLIENT, "tls-client", NID_client_auth, KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT },
	{ GP_PURPOSE_EMAIL, "email", NID_email_protect,
	  KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT },
	{ GP_PURPOSE_CODE_SIGNING, "code-signing", NID_code_sign, KU_DIGITAL_SIGNATURE },
	{ GP_PURPOSE_OCSP, "ocsp", NID_OCSP_sign, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION },
	{ GP_PURPOSE_TIMESTAMP, "timestamp", NID_time_stamp, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION },
};

int
gp_purpose_from_name(gp_purpose *out, const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(purposes) / sizeof(purposes[0]); i++)
		if (strcmp(purposes[i].name, name) == 0) {
			*out = purposes[i].p;
			return 0;
		}
	return gp_err(GP_E_INVALID, "unknown purpose '%s' (tls-server, tls-client, email, "
	    "code-signing, ocsp, timestamp, any)", name ? name : "");
}

int
gp_revocation_from_name(gp_revocation *out, const char *name)
{
	static const char *const names[] = { "prefer", "require", "none" };

	for (int i = 0; name != NULL && i < 3; i++)
		if (strcmp(names[i], name) == 0) {
			*out = (gp_revocation)i;
			return 0;
		}
	return gp_err(GP_E_INVALID, "unknown revocation policy '%s' (require, prefer, none)",
	    name ? name : "");
}

/* 1: EKU absent, or holding nid (or anyExtendedKeyUsage unless strict). */
static int
eku_has(X509 *x, int nid, int strict)
{
	EXTENDED_KEY_USAGE *eku;
	int i, crit, found = 0;

	if ((eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL)) == NULL)
		return crit < 0 && !strict ? 1 : 0;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		int n = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));

		if (n == nid || (!strict && n == NID_anyExtendedKeyUsage))
			found = 1;
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return found;
}

static int
check_purpose(gp_verdict *res, const gp_verifier *v, STACK_OF(X509) *chain)
{
	X509 *leaf = sk_X509_value(chain, 0);
	size_t k;
	int i;

	if (v->o.purpose == GP_PURPOSE_ANY)
		return 1;
	for (k = 0; purposes[k].p != v->o.purpose; k++)
		;
	/* RFC 6960 §4.2.2.2 (a responder names id-kp-OCSPSigning itself) and
	 * RFC 3161 §2.3 (one EKU, critical): no anyExtendedKeyUsage, no absence */
	if (v->o.purpose == GP_PURPOSE_TIMESTAMP) {
		EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, NULL, NULL);
		int good = eku != NULL && sk_ASN1_OBJECT_num(eku) == 1 &&
		    OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) == NID_time_stamp &&
		    ext_critical(leaf, NID_ext_key_usage) == 1;

		sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
		if (!good) {
			res_set(res, 0, leaf, "purpose", "RFC 3161 §2.3",
			    "a TSA certificate has exactly one, critical, extendedKeyUsage: timeStamping");
			return 0;
		}
	} else if (!eku_has(leaf, purposes[k].nid, v->o.purpose == GP_PURPOSE_OCSP)) {
		res_set(res, 0, leaf, "purpose", v->o.purpose == GP_PURPOSE_OCSP ?
		    "RFC 6960 §4.2.2.2" : "RFC 5280 §4.2.1.12",
		    "extendedKeyUsage does not allow %s", OBJ_nid2ln(purposes[k].nid));
		return 0;
	}
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(leaf) & purposes[k].ku)) {
		res_set(res, 0, leaf, "purpose", "RFC 5280 §4.2.1.12, §4.2.1.3",
		    "keyUsage has no bit that %s needs", purposes[k].name);
		return 0;
	}
	/* a CA that restricts its EKU restricts what it certifies (as
	 * OpenSSL's purpose check and CA/B BR §7.1.2 do) */
	for (i = 1; i < sk_X509_num(chain) - 1; i++) {
		X509 *ca = sk_X509_value(chain, i);

		if (!eku_has(ca, purposes[k].nid, 0)) {
			res_set(res, i, ca, "purpose", "RFC 5280 §4.2.1.12 (EKU in a CA)",
			    "the CA's extendedKeyUsage does not allow %s", OBJ_nid2ln(purposes[k].nid));
			return 0;
		}
	}
	return 1;
}

/* RFC 9525: DNS-ID and IP-ID from the subjectAltName only (no CN-ID),
 * a wildcard only as the whole left-most label. */
static int
check_name(gp_verdict *res, const gp_verifier *v, X509 *leaf)
{
	const char *name = v->o.name;
	unsigned char buf[16];
	int r;

	if (name == NULL)
		return 1;
	if (strchr(name, '@') != NULL)
		r = X509_check_email(leaf, name, 0, 0);
	else if (inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1)
		r = X509_check_ip_asc(leaf, name, 0);
	else
		r = X509_check_host(leaf, name, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
	ERR_clear_error();
	if (r == 1)
		return 1;
	res_set(res, 0, leaf, "name", strchr(name, '@') ? "RFC 5280 §4.2.1.6, RFC 8398" :
	    "RFC 9525 §6", "the certificate is not for %.200s", name);
	return 0;
}

/* ---- deltas without a link (RFC 5280 §5.2.4) -------------------------------- */

/* 1 when crl is from x's issuer iss (its name, and its signature by iss's
 * key, remembered once verified) and current at the verifier's time
 * (RFC 5280 §6.3.3 (a)); 0 otherwise. */
static int
crl_of_issuer(gp_verifier *v, X509_CRL *crl, X509 *x, X509 *iss)
{
	const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
	EVP_PKEY *pk;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(x)) != 0 ||
	    X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &v->at) > 0 ||
	    (nu != NULL && X509_cmp_time(nu, &v->at) < 0))
		return 0;
	if (seen_has(&v->crl, crl, iss, 0))
		return 1;
	if ((pk = X509_get0_pubkey(iss)) == NULL || X509_CRL_verify(crl, pk) <= 0) {
		ERR_clear_error();
		return 0;       /* not this issuer's */
	}
	seen_add(&v->crl, crl, iss, 0);
	return 1;
}

/* OpenSSL looks for a delta CRL only when the certificate or its base CRL
 * has freshestCRL; a delta given without that link is still applied here:
 * a certificate it lists (other than removeFromCRL) is revoked. */
static int
check_deltas(gp_verdict *res, gp_verifier *v, STACK_OF(X509) *chain)
{
	int n = sk_X509_num(chain), i, j;

	for (i = 0; i < n - 1; i++) {
		X509 *x = sk_X509_value(chain, i), *iss = sk_X509_value(chain, i + 1);

		for (j = 0; j < sk_X509_CRL_num(v->deltas); j++) {
			X509_CRL *d = sk_X509_CRL_value(v->deltas, j);
			X509_REVOKED *rev = NULL;
			ASN1_ENUMERATED *reason;
			long rc = -1;

			if (X509_CRL_get0_by_cert(d, &rev, x) != 1 || !crl_of_issuer(v, d, x, iss))
				continue;
			if ((reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL)) != NULL) {
				rc = ASN1_ENUMERATED_get(reason);
				ASN1_ENUMERATED_free(reason);
			}
			if (rc == CRL_REASON_REMOVE_FROM_CRL)
				continue;
			res_set(res, i, x, "revocation", "RFC 5280 §5.2.4, §6.3.3",
			    "revoked (listed by a delta CRL)");
			return 0;
		}
	}
	return 1;
}

/* ---- OCSP (RFC 6960) ------------------------------------------------------- */

/*
 * RFC 6960 §4.2.2.2.1: a delegated responder's certificate without
 * id-pkix-ocsp-nocheck is checked for revocation like any other; here
 * against the CRLs given, those of the CA that issued it (the certificate's
 * issuer, §4.2.2.2), current at the verifier's time (RFC 5280 §6.3.3 (a)).
 * Not checking it by OCSP avoids asking the responder about itself.  Listed:
 * the answer is refused; no such CRL: unknown (--revocation prefer) or
 * refused (require).  1: no objection, 0: the verdict is set.
 */
static int
check_delegate(gp_verdict *res, gp_verifier *v, X509 *dlg, X509 *iss, int i, X509 *x)
{
	X509_REVOKED *rev;
	int found = 0;

	for (int k = 0; k < sk_X509_CRL_num(v->crls); k++) {
		X509_CRL *c = sk_X509_CRL_value(v->crls, k);

		if (!crl_of_issuer(v, c, dlg, iss))
			continue;
		found = 1;
		if (X509_CRL_get0_by_cert(c, &rev, dlg) == 1) {
			char *who = NULL;

			if (gp_name_to_string(&who, X509_get_subject_name(dlg)) != 0)
				gp_error_clear();
			res_set(res, i, x, "ocsp-signer", "RFC 6960 §4.2.2.2.1",
			    "the OCSP answer is signed by a delegated responder (%.120s) whose "
			    "certificate its CA's CRL lists as revoked", who ? who : "?");
			gp_free(who);
			return 0;
		}
	}
	if (found)
		return 1;
	if (v->o.revocation == GP_REVOCATION_REQUIRE) {
		res_set(res, i, x, "ocsp-signer", "RFC 6960 §4.2.2.2.1 (--revocation require)",
		    "the OCSP answer is signed by a delegated responder whose certificate has "
		    "no id-pkix-ocsp-nocheck and no CRL of its CA covers it");
		return 0;
	}
	v->unknown++;
	return 1;
}

/*
 * Every certificate below the anchor, from the anchor down, asks the
 * responders its AIA names (o.ocsp "aia", RFC 5280 §4.2.2.1: each until
 * one answers) or, for the leaf, the one URL given.  A certificate that no
 * CRL covered and no responder answered is "unknown" (--revocation
 * prefer) or invalid (require).  1: no objection, 0: the verdict is set,
 * or a negative GP_E_* when the check could not be made.
 */
static int
check_ocsp(gp_verdict *res, gp_verifier *v, STACK_OF(X509) *chain)
{
	int n = sk_X509_num(chain), aia = strcmp(v->o.ocsp, "aia") == 0, i, j, r;

	for (i = n - 2; i >= 0; i--) {
		X509 *x = sk_X509_value(chain, i), *iss = sk_X509_value(chain, i + 1);
		STACK_OF(OPENSSL_STRING) *urls = NULL;
		gp_ocsp_answer a;
		int asked = 0;

		if (i > 0 && seen_has(&v->ocsp, x, iss, 0))
			continue;
		if (aia)
			urls = X509_get1_ocsp(x);
		memset(&a, 0, sizeof(a));
		a.outcome = GP_OCSP_UNREACHABLE;
		for (j = 0; aia ? j < sk_OPENSSL_STRING_num(urls) : (i == 0 && j == 0); j++) {
			const char *url = aia ? sk_OPENSSL_STRING_value(urls, j) : v->o.ocsp;

			if ((r = gp_verify_ocsp_ask(&a, &v->o, v->at, url, x, iss)) != 0) {
				X509_email_free(urls);
				return r;
			}
			asked = 1;
			if (a.outcome != GP_OCSP_UNREACHABLE)
				break;
		}
		X509_email_free(urls);
		if (!asked) {
			int covered = i >= NOCRL_MAX || !v->nocrl[i];

			if (covered)
				continue;
			if (v->o.revocation == GP_REVOCATION_REQUIRE) {
				res_set(res, i, x, "revocation", "RFC 5280 §6.3 (--revocation require)",
				    "no CRL covers it and it names no OCSP responder");
				return 0;
			}
			v->unknown++;
			continue;
		}
		if (a.outcome == GP_OCSP_GOOD && a.delegate != NULL) {
			r = check_delegate(res, v, a.delegate, iss, i, x);
			X509_free(a.delegate);
			if (r <= 0)
				return r;
		}
		if (a.outcome == GP_OCSP_GOOD) {
			if (i > 0)
				seen_add(&v->ocsp, x, iss, 0);      /* both the verifier's */
			continue;
		}
		if (a.outcome == GP_OCSP_UNREACHABLE && v->o.ocsp_soft_fail) {
			/* soft-fail: unknown, and said so in the verdict */
			v->unknown++;
			if (v->waived.rule[0] == '\0') {
				v->waived = a;
				v->waived_depth = i;
				v->waived_cert = x;
			}
			continue;
		}
		res_set(res, i, x, a.rule, a.source, "%s", a.reason);
		return 0;
	}
	return 1;
}

/* ---- the verifier --------------------------------------------------------- */

int
gp_verify_chain(X509 *leaf, STACK_OF(X509) *anchors, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crls, int64_t at, gp_purpose purpose)
{
	gp_verify_opts o = GP_VERIFY_OPTS_INIT;
	gp_verifier *v = NULL;
	gp_verdict res;
	int r;

	if (leaf == NULL)
		return gp_err(GP_E_INVALID, "gp_verify_chain: no certificate");
	if (sk_X509_num(anchors) <= 0)
		return gp_err(GP_E_VERIFY, "certificate chain does not verify: no trust anchor given");
	o.at = at;
	o.purpose = purpose;
	o.revocation = crls != NULL ? GP_REVOCATION_REQUIRE : GP_REVOCATION_NONE;
	if ((r = gp_verifier_new(&v, anchors, untrusted, crls, &o)) != 0)
		return r;
	r = gp_verifier_check(v, leaf, &res);
	gp_verifier_free(v);
	if (r == GP_E_VERIFY)
		return gp_err(GP_E_VERIFY, "certificate chain does not verify: %s (%s): %s (depth %d%s%s)",
		    res.rule, res.source, res.reason, res.depth, res.subject[0] ? ", " : "",
		    res.subject);
	return r;
}

void
gp_verifier_free(gp_verifier *v)
{
	if (v == NULL)
		return;
	X509_STORE_CTX_free(v->ctx);
	X509_STORE_free(v->store);
	sk_X509_pop_free(v->untrusted, X509_free);
	sk_X509_CRL_pop_free(v->crls, X509_CRL_free);
	sk_X509_CRL_free(v->deltas);
	sk_X509_CRL_pop_free(v->baseless, X509_CRL_free);
	sk_ASN1_OBJECT_pop_free(v->policies, ASN1_OBJECT_free);
	free(v->sig.v);
	free(v->crl.v);
	free(v->ocsp.v);
	free((char *)v->o.name);
	free((char *)v->o.ocsp);
	free(v);
}

static int
prepare_certs(STACK_OF(X509) **out, STACK_OF(X509) *in)
{
	int i, r;

	if ((*out = sk_X509_new_null()) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	for (i = 0; i < sk_X509_num(in); i++) {
		X509 *x = sk_X509_value(in, i);

		if ((r = gp_x509_prepare_sm2(x)) != 0)
			return r;
		if (!X509_up_ref(x))
			return gp_err_ossl(GP_E_INTERNAL, "X509_up_ref");
		if (!sk_X509_push(*out, x)) {
			X509_free(x);
			return gp_err(GP_E_NOMEM, "out of memory");
		}
	}
	return 0;
}

/* RFC 5280 §5.2.4: a delta CRL completes a full CRL whose cRLNumber is at
 * least its BaseCRLNumber, from the same issuer; without one it is refused. */
static int
check_delta_bases(gp_verifier *v)
{
	int i, j;

	for (i = 0; i < sk_X509_CRL_num(v->crls); i++) {
		X509_CRL *d = sk_X509_CRL_value(v->crls, i);
		ASN1_INTEGER *base, *num;
		int found = 0, crit;

		if ((base = X509_CRL_get_ext_d2i(d, NID_delta_crl, &crit, NULL)) == NULL) {
			if (crit >= 0)
				return gp_err(GP_E_VERIFY, "a CRL has a malformed deltaCRLIndicator (RFC 5280 §5.2.4)");
			continue;
		}
		for (j = 0; !found && j < sk_X509_CRL_num(v->crls); j++) {
			X509_CRL *f = sk_X509_CRL_value(v->crls, j);

			if (f == d || X509_CRL_get_ext_by_NID(f, NID_delta_crl, -1) >= 0 ||
			    X509_NAME_cmp(X509_CRL_get_issuer(f), X509_CRL_get_issuer(d)) != 0)
				continue;
			if ((num = X509_CRL_get_ext_d2i(f, NID_crl_number, NULL, NULL)) != NULL) {
				found = ASN1_INTEGER_cmp(num, base) >= 0;
				ASN1_INTEGER_free(num);
			}
		}
		ASN1_INTEGER_free(base);
		if (!found) {
			/* not given to OpenSSL, which could not use it either;
			 * the certificates of its issuer are refused (check_baseless) */
			if (!sk_X509_CRL_push(v->baseless, d))
				return gp_err(GP_E_NOMEM, "out of memory");
			(void)sk_X509_CRL_delete(v->crls, i--);
			continue;
		}
		if (!sk_X509_CRL_push(v->deltas, d))
			return gp_err(GP_E_NOMEM, "out of memory");
	}
	return 0;
}

/*
 * RFC 5280 §5.2.4: a delta CRL only completes its base CRL.  One given
 * without its base says nothing usable, and is not ignored either: a
 * certificate of the path whose issuer issued it gets an invalid verdict,
 * per certificate (NIST PKITS 4.15.1, 4.15.10).  ossl_err is OpenSSL's
 * CRL error for x when there was one.  1: none applies, 0: the verdict is set.
 */
static int
baseless_refuse(gp_verdict *res, gp_verifier *v, X509 *x, int depth, const char *ossl_err)
{
	for (int j = 0; j < sk_X509_CRL_num(v->baseless); j++) {
		X509_CRL *d = sk_X509_CRL_value(v->baseless, j);
		ASN1_INTEGER *base;
		long b;

		if (X509_NAME_cmp(X509_CRL_get_issuer(d), X509_get_issuer_name(x)) != 0)
			continue;
		base = X509_CRL_get_ext_d2i(d, NID_delta_crl, NULL, NULL);
		b = base != NULL ? ASN1_INTEGER_get(base) : -1;
		ASN1_INTEGER_free(base);
		res_set(res, depth, x, "revocation", "RFC 5280 §5.2.4, §6.3.3",
		    "%s%sa delta CRL of its issuer (BaseCRLNumber %ld) is given without its base CRL "
		    "(number %ld or later): the status cannot be known from it", ossl_err ? ossl_err : "",
		    ossl_err ? "; " : "", b, b);
		return 0;
	}
	return 1;
}

static int
check_baseless(gp_verdict *res, gp_verifier *v, STACK_OF(X509) *chain)
{
	for (int i = sk_X509_num(chain) - 2; i >= 0; i--)
		if (!baseless_refuse(res, v, sk_X509_value(chain, i), i, NULL))
			return 0;
	return 1;
}

/* The OCSP options checked, their defaults filled in. */
static int
ocsp_opts(gp_verify_opts *o)
{
	if (o->ocsp == NULL)
		return 0;
	if (strcmp(o->ocsp, "aia") != 0 && strncasecmp(o->ocsp, "http://", 7) != 0)
		return gp_err(GP_E_INVALID, "OCSP: '%.200s' is neither \"aia\" nor an http:// URL", o->ocsp);
	if (o->revocation == GP_REVOCATION_NONE)
		return gp_err(GP_E_INVALID, "OCSP is a revocation check: not with revocation none");
	if (o->ocsp_nonce < GP_OCSP_NONCE_SEND || o->ocsp_nonce > GP_OCSP_NONCE_NONE ||
	    o->ocsp_leeway < 0 || o->ocsp_max_age < 0 || o->ocsp_timeout < 0)
		return gp_err(GP_E_INVALID, "OCSP: bad nonce mode, leeway, max age or timeout");
	if (o->ocsp_leeway == 0)
		o->ocsp_leeway = 300;
	if (o->ocsp_max_age == 0)
		o->ocsp_max_age = 300;
	if (o->ocsp_timeout == 0)
		o->ocsp_timeout = 10;
	if (o->ocsp_fetch == NULL)
		o->ocsp_fetch = gp_verify_http_fetch;
	return 0;
}

int
gp_verifier_new(gp_verifier **out, STACK_OF(X509) *anchors, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crls, const gp_verify_opts *opts)
{
	gp_verifier *v = NULL;
	X509_STORE *tmp = NULL;
	X509_STORE_CTX *tctx = NULL;
	const char *name, *ocsp;
	const char *const *pols;
	int i, r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_verifier_new: NULL argument");
	*out = NULL;
	if (sk_X509_num(anchors) <= 0)
		return gp_err(GP_E_INVALID, "no trust anchor given");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	/* docs/api.md: a caller's struct of another (older) size is read
	 * as far as it goes, a size no version had is refused */
	if (opts != NULL && (r = gp_params_in(&v->o, sizeof(v->o), opts,
	    GP_PARAMS_END(gp_verify_opts, max_depth), "gp_verifier_new")) != 0)
		goto out;
	v->o.size = sizeof(v->o);
	name = v->o.name;
	pols = v->o.policies;
	ocsp = v->o.ocsp;
	v->o.name = NULL;
	v->o.ocsp = NULL;
	if (name != NULL && (r = gp_strdup((char **)&v->o.name, name)) != 0)
		goto out;
	if (ocsp != NULL && (r = gp_strdup((char **)&v->o.ocsp, ocsp)) != 0)
		goto out;
	v->o.policies = NULL;
	if (v->o.rsa_min_bits <= 0)
		v->o.rsa_min_bits = 2048;
	if (v->o.max_depth <= 0)
		v->o.max_depth = 32;
	if (v->o.purpose < GP_PURPOSE_ANY || v->o.purpose > GP_PURPOSE_TIMESTAMP ||
	    v->o.revocation < GP_REVOCATION_PREFER || v->o.revocation > GP_REVOCATION_NONE) {
		r = gp_err(GP_E_INVALID, "gp_verifier_new: bad purpose or revocation policy");
		goto out;
	}
	if ((r = ocsp_opts(&v->o)) != 0)
		goto out;
	v->at = v->o.at != 0 ? (time_t)v->o.at : time(NULL);
	if ((v->store = X509_STORE_new()) == NULL || (v->ctx = X509_STORE_CTX_new()) == NULL ||
	    (v->crls = sk_X509_CRL_new_null()) == NULL || (v->deltas = sk_X509_CRL_new_null()) == NULL ||
	    (v->baseless = sk_X509_CRL_new_null()) == NULL ||
	    (v->policies = sk_ASN1_OBJECT_new_null()) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sk_X509_num(anchors); i++) {
		X509 *a = sk_X509_value(anchors, i);

		if ((r = gp_x509_prepare_sm2(a)) != 0)
			goto out;
		if (X509_STORE_add_cert(v->store, a) != 1) {
			r = gp_err_ossl(GP_E_INTERNAL, "cannot add a trust anchor");
			goto out;
		}
	}
	if ((r = prepare_certs(&v->untrusted, untrusted)) != 0)
		goto out;
	for (i = 0; i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *c = sk_X509_CRL_value(crls, i);

		if (!X509_CRL_up_ref(c) || !sk_X509_CRL_push(v->crls, c)) {
			r = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((r = check_delta_bases(v)) != 0)
		goto out;
	for (i = 0; pols != NULL && pols[i] != NULL; i++) {
		ASN1_OBJECT *o = OBJ_txt2obj(pols[i], 1);

		if (o == NULL || !sk_ASN1_OBJECT_push(v->policies, o)) {
			ASN1_OBJECT_free(o);
			ERR_clear_error();
			r = gp_err(GP_E_INVALID, "'%.100s' is not a policy OID", pols[i]);
			goto out;
		}
	}
	/* RFC 5280 §6.1.1 (c): no initial-policy-set given is {anyPolicy};
	 * OpenSSL would take an empty set as a user-constrained one that no
	 * policy meets, and refuse every path that requires explicit policy */
	if (sk_ASN1_OBJECT_num(v->policies) == 0) {
		ASN1_OBJECT *any = OBJ_nid2obj(NID_any_policy);

		if (any == NULL || !sk_ASN1_OBJECT_push(v->policies, OBJ_dup(any))) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	/* OpenSSL's own CRL check, which v_check_crl wraps */
	if ((tmp = X509_STORE_new()) == NULL || (tctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(tctx, tmp, NULL, NULL) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	v->default_check_crl = X509_STORE_CTX_get_check_crl(tctx);
	X509_STORE_set_check_crl(v->store, v_check_crl);
	X509_STORE_set_verify(v->store, v_verify);
	X509_STORE_set_verify_cb(v->store, v_cb);
	*out = v;
	v = NULL;
	r = 0;
out:
	X509_STORE_CTX_free(tctx);
	X509_STORE_free(tmp);
	gp_verifier_free(v);
	return r;
}

/* The flags and inputs of RFC 5280 §6.1.1 on a fresh context. */
static int
ctx_setup(gp_verifier *v, X509 *cert)
{
	X509_VERIFY_PARAM *param;
	unsigned long flags = X509_V_FLAG_POLICY_CHECK | X509_V_FLAG_USE_CHECK_TIME;
	STACK_OF(ASN1_OBJECT) *pol = NULL;

	if (X509_STORE_CTX_init(v->ctx, v->store, cert, v->untrusted) != 1)
		return gp_err_ossl(GP_E_INTERNAL, "cannot set up chain verification");
	X509_STORE_CTX_set_app_data(v->ctx, v);
	param = X509_STORE_CTX_get0_param(v->ctx);     /* borrowed */
	if (v->o.rules == GP_RULES_ALL)
		flags |= X509_V_FLAG_X509_STRICT;
	if (v->o.explicit_policy)
		flags |= X509_V_FLAG_EXPLICIT_POLICY;
	if (v->o.inhibit_policy_mapping)
		flags |= X509_V_FLAG_INHIBIT_MAP;
	if (v->o.inhibit_any_policy)
		flags |= X509_V_FLAG_INHIBIT_ANY;
	if (v->o.revocation != GP_REVOCATION_NONE) {
		X509_STORE_CTX_set0_crls(v->ctx, v->crls);
		/* RFC 5280 §6.3: every certificate of the path; deltas,
		 * indirect CRLs, reasons and distribution points need the
		 * extended support, else OpenSSL may take a delta for a full CRL */
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
		    X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS;
	}
	X509_VERIFY_PARAM_set_flags(param, flags);
	X509_VERIFY_PARAM_set_time(param, v->at);
	X509_VERIFY_PARAM_set_depth(param, v->o.max_depth);
	if (sk_ASN1_OBJECT_num(v->policies) > 0) {
		if ((pol = sk_ASN1_OBJECT_deep_copy(v->policies, OBJ_dup, ASN1_OBJECT_free)) == NULL ||
		    X509_VERIFY_PARAM_set1_policies(param, pol) != 1) {
			sk_ASN1_OBJECT_pop_free(pol, ASN1_OBJECT_free);
			return gp_err_ossl(GP_E_NOMEM, "out of memory");
		}
		sk_ASN1_OBJECT_pop_free(pol, ASN1_OBJECT_free);
	}
	return 0;
}

int
gp_verifier_check(gp_verifier *v, X509 *cert, gp_verdict *res)
{
	STACK_OF(X509) *chain;
	int r, i, n;

	if (res == NULL)
		return gp_err(GP_E_INVALID, "gp_verifier_check: NULL argument");
	memset(res, 0, sizeof(*res));
	res->depth = -1;
	if (v == NULL || cert == NULL)
		return gp_err(GP_E_INVALID, "gp_verifier_check: NULL argument");
	if ((r = gp_x509_prepare_sm2(cert)) != 0)
		return r;
	v->errors = v->err = v->unknown = 0;
	v->err_depth = -1;
	v->err_cert = NULL;
	memset(v->nocrl, 0, sizeof(v->nocrl));
	memset(&v->waived, 0, sizeof(v->waived));
	v->waived_cert = NULL;
	if ((r = ctx_setup(v, cert)) != 0)
		goto out;
	if (X509_verify_cert(v->ctx) != 1) {
		ERR_clear_error();
		if (v->err == 0) {
			v->err = X509_STORE_CTX_get_error(v->ctx);
			v->err_depth = X509_STORE_CTX_get_error_depth(v->ctx);
			v->err_cert = X509_STORE_CTX_get_current_cert(v->ctx);
		}
		/* a CRL problem of a certificate whose issuer gave only a delta */
		if (v->o.revocation != GP_REVOCATION_NONE && v->err_cert != NULL &&
		    (v->err == X509_V_ERR_UNABLE_TO_GET_CRL || v->err == X509_V_ERR_CRL_HAS_EXPIRED ||
		    v->err == X509_V_ERR_CRL_NOT_YET_VALID) &&
		    !baseless_refuse(res, v, v->err_cert, v->err_depth,
		    X509_verify_cert_error_string(v->err)))
			goto verdict;
		res_from_ossl(res, v);
		goto verdict;
	}
	chain = X509_STORE_CTX_get0_chain(v->ctx);   /* borrowed until the next init */
	n = sk_X509_num(chain);
	res->chain_len = n;
	/* from the anchor down, the order of RFC 5280 §6.1: a broken CA is
	 * named before the certificates it issued */
	for (i = n - 1; v->o.rules == GP_RULES_ALL && i >= 0; i--)
		if (!check_cert_rules(res, v, sk_X509_value(chain, i), i, n))
			goto verdict;
	if (!check_name_constraints(res, chain) ||
	    (v->o.revocation != GP_REVOCATION_NONE && (!check_deltas(res, v, chain) ||
	    !check_baseless(res, v, chain))) ||
	    !check_purpose(res, v, chain) ||
	    !check_name(res, v, sk_X509_value(chain, 0)))
		goto verdict;
	/* last: it asks the network, and only about a path that holds */
	if (v->o.ocsp != NULL && (r = check_ocsp(res, v, chain)) != 1) {
		if (r < 0)
			goto out;
		goto verdict;
	}
	res->valid = 1;
	if (v->waived.rule[0] != '\0') {
		res_set(res, v->waived_depth, v->waived_cert, v->waived.rule, v->waived.source,
		    "not checked (soft-fail): %s", v->waived.reason);
		res->valid = 1;
	}
verdict:
	res->revocation_unknown = v->unknown;
	r = res->valid ? 0 : gp_err(GP_E_VERIFY, "%s (%s, %s): %s", res->reason, res->rule,
	    res->source, res->subject);
out:
	X509_STORE_CTX_cleanup(v->ctx);
	return r;
}
