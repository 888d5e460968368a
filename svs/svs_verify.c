/* svs/svs_verify.c: POST /api/v1/verify/certificate, answered from the verification engine (govpki/verify.h) */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <govpki/error.h>
#include <govpki/x509util.h>

#include "svs_server.h"

/* The rules the engine applies (docs/verification.md, "Rules"), in its
 * names; those marked 1 are the path rules of RFC 5280 §6 (rules "path"). */
static const struct { const char *rule; int path; const char *source; } rules[] = {
	{ "path", 1, "RFC 5280 §6.1" },
	{ "signature", 1, "RFC 5280 §6.1.3 (a)(1)" },
	{ "validity", 1, "RFC 5280 §6.1.3 (a)(2)" },
	{ "revocation", 1, "RFC 5280 §6.1.3 (a)(3), §6.3" },
	{ "crl", 1, "RFC 5280 §6.3.3" },
	{ "name-constraints", 1, "RFC 5280 §6.1.3 (b), (c), §4.2.1.10" },
	{ "policy", 1, "RFC 5280 §6.1.3 (d)-(f), §6.1.4, §6.1.5" },
	{ "basic-constraints", 1, "RFC 5280 §6.1.4 (k)-(m), §4.2.1.9" },
	{ "key-usage", 1, "RFC 5280 §6.1.4 (n), §4.2.1.3" },
	{ "critical-extension", 1, "RFC 5280 §6.1.4 (o)" },
	{ "v1-ca", 0, "RFC 5280 §4.1.2.1" },
	{ "serial", 0, "RFC 5280 §4.1.2.2" },
	{ "aki", 0, "RFC 5280 §4.2.1.1" },
	{ "ski", 0, "RFC 5280 §4.2.1.2" },
	{ "san", 0, "RFC 5280 §4.2.1.6" },
	{ "key-strength", 0, "govpki, RFC 5480 §2.1.1" },
	{ "purpose", 0, "RFC 5280 §4.2.1.12" },
	{ "name", 0, "RFC 9525 §6" },
};

static json_t *
time_json(const ASN1_TIME *t)
{
	int64_t v;
	char buf[32];
	struct tm tm;
	time_t tt;

	if (t == NULL || gp_time_from_asn1(&v, t) != 0) {
		gp_error_clear();
		return json_null();
	}
	tt = (time_t)v;
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
name_json(const X509_NAME *n)
{
	char *s = NULL;
	json_t *j;

	if (gp_name_to_string(&s, n) != 0) {
		gp_error_clear();
		return json_string("");
	}
	j = json_string(s);
	gp_free(s);
	return j != NULL ? j : json_string("");
}

static json_t *
cert_json(X509 *x)
{
	unsigned char fp[32];
	char hex[65], serial[2 * 20 + 3] = "";
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	char *h = bn != NULL ? BN_bn2hex(bn) : NULL;

	if (h != NULL)
		snprintf(serial, sizeof(serial), "%s", h);
	OPENSSL_free(h);
	BN_free(bn);
	hex[0] = '\0';
	if (gp_x509_fingerprint(x, fp) == 0)
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", fp[i]);
	gp_error_clear();
	return json_pack("{s:o, s:o, s:s, s:o, s:o, s:s}", "subject", name_json(X509_get_subject_name(x)),
	    "issuer", name_json(X509_get_issuer_name(x)), "serial", serial,
	    "not_before", time_json(X509_get0_notBefore(x)), "not_after", time_json(X509_get0_notAfter(x)),
	    "sha256", hex);
}

/*
 * The path OpenSSL builds from leaf through untrusted to one of anchors at
 * time at, for the answer (the engine judged it; this only shows it): as
 * far as it goes when no path is complete.
 */
static json_t *
chain_json(X509 *leaf, STACK_OF(X509) *anchors, STACK_OF(X509) *untrusted, int64_t at)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	json_t *arr = json_array();
	STACK_OF(X509) *ch;

	if (st == NULL || sc == NULL || arr == NULL)
		goto out;
	for (int i = 0; i < sk_X509_num(anchors); i++)
		X509_STORE_add_cert(st, sk_X509_value(anchors, i));
	if (X509_STORE_CTX_init(sc, st, leaf, untrusted) != 1)
		goto out;
	X509_STORE_CTX_set_time(sc, 0, (time_t)(at != 0 ? at : time(NULL)));
	(void)X509_verify_cert(sc);
	if ((ch = X509_STORE_CTX_get0_chain(sc)) != NULL)
		for (int i = 0; i < sk_X509_num(ch); i++)
			json_array_append_new(arr, cert_json(sk_X509_value(ch, i)));
out:
	ERR_clear_error();
	X509_STORE_CTX_free(sc);
	X509_STORE_free(st);
	return arr;
}

/* The CRLs used, with their times and where each came from. */
static json_t *
crls_json(STACK_OF(X509_CRL) *crls, size_t napp, size_t nreq, json_t *fetched)
{
	json_t *arr = json_array();

	for (int i = 0; arr != NULL && i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *c = sk_X509_CRL_value(crls, i);

		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:s}",
		    "issuer", name_json(X509_CRL_get_issuer(c)),
		    "this_update", time_json(X509_CRL_get0_lastUpdate(c)),
		    "next_update", time_json(X509_CRL_get0_nextUpdate(c)),
		    "origin", (size_t)i < napp ? "configured" : (size_t)i < napp + nreq ? "request" : "fetched"));
	}
	(void)fetched;
	return arr;
}

int
svs_verify_certificate(json_t **out, const svs_server *s, const svs_app *app,
    const svs_cert_req *req, svs_problem *p)
{
	STACK_OF(X509) *untrusted = sk_X509_dup(app->untrusted);
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();   /* references, each */
	gp_verify_opts vo = GP_VERIFY_OPTS_INIT;
	gp_verifier *v = NULL;
	gp_verdict res;
	json_t *j = NULL, *checks, *rev, *fetched = json_array();
	svs_ocsp_use use = { s->cache, 0, 0, 0, 0 };
	int rc, ret = -1;
	size_t napp_crls = (size_t)sk_X509_CRL_num(app->crls);

	*out = NULL;
	if (untrusted == NULL || crls == NULL || fetched == NULL)
		goto nomem;
	for (int i = 0; i < sk_X509_num(req->chain); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(req->chain, i)))
			goto nomem;
	for (int i = 0; i < sk_X509_CRL_num(app->crls) + sk_X509_CRL_num(req->crls); i++) {
		X509_CRL *c = i < sk_X509_CRL_num(app->crls) ? sk_X509_CRL_value(app->crls, i) :
		    sk_X509_CRL_value(req->crls, i - sk_X509_CRL_num(app->crls));

		if (!sk_X509_CRL_push(crls, c))
			goto nomem;
		X509_CRL_up_ref(c);
	}
	vo.at = req->at;
	vo.purpose = req->purpose;
	vo.name = req->name;
	vo.rules = req->rules;
	vo.policies = (const char *const *)req->policies;
	vo.explicit_policy = req->explicit_policy;
	vo.inhibit_policy_mapping = req->inhibit_policy_mapping;
	vo.inhibit_any_policy = req->inhibit_any_policy;
	/* the application's policy, unless the request asks for more (an
	 * application that requires revocation is not relaxed by its request) */
	vo.revocation = app->revocation;
	if (req->revocation_given && (app->revocation != GP_REVOCATION_REQUIRE ||
	    req->revocation == GP_REVOCATION_REQUIRE))
		vo.revocation = req->revocation;
	if (vo.revocation != GP_REVOCATION_NONE && app->fetch_crls && s->cache != NULL) {
		/* the CRLs the leaf and the certificates a path may take name
		 * (RFC 5280 §4.2.1.13), from the cache or fetched now */
		STACK_OF(X509) *cands = sk_X509_dup(untrusted);

		if (cands == NULL || !sk_X509_unshift(cands, req->cert)) {
			sk_X509_free(cands);
			goto nomem;
		}
		svs_cache_crls(s->cache, cands, crls, fetched);
		sk_X509_free(cands);
	}
	if (vo.revocation != GP_REVOCATION_NONE && app->ocsp != NULL) {
		vo.ocsp = app->ocsp;
		if (s->cache != NULL) {
			/* cached answers: the same question in the same bytes, so no
			 * nonce (RFC 5019 §2.1 answers carry none either) */
			vo.ocsp_fetch = svs_ocsp_fetch;
			vo.ocsp_fetch_arg = &use;
			vo.ocsp_nonce = GP_OCSP_NONCE_NONE;
		}
	}
	if (gp_verifier_new(&v, app->anchors, untrusted, crls, &vo) != 0) {
		snprintf(p->detail, sizeof(p->detail), "%s", gp_error_last());
		p->status = 400;
		p->slug = "bad-request";
		p->title = "Cannot verify";
		gp_error_clear();
		goto out;
	}
	rc = gp_verifier_check(v, req->cert, &res);
	if (rc != 0 && rc != GP_E_VERIFY) {
		snprintf(p->detail, sizeof(p->detail), "%s", gp_error_last());
		p->status = 500;
		p->slug = "internal";
		p->title = "Cannot verify";
		gp_error_clear();
		goto out;
	}
	gp_error_clear();
	if ((checks = json_array()) == NULL)
		goto nomem;
	/* the engine stops at the first rule broken: that one is "fail" with
	 * its reason; the others are not reported on ("not-reported"); all
	 * passed when the certificate is valid */
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const char *st;
		json_t *c;

		if (vo.rules == GP_RULES_PATH && !rules[i].path)
			continue;
		if (strcmp(rules[i].rule, "purpose") == 0 && vo.purpose == GP_PURPOSE_ANY)
			continue;
		if (strcmp(rules[i].rule, "name") == 0 && vo.name == NULL)
			continue;
		if (!res.valid && strcmp(res.rule, rules[i].rule) == 0)
			continue;  /* below, with its reason */
		if (strcmp(rules[i].rule, "revocation") == 0 && vo.revocation == GP_REVOCATION_NONE)
			st = "skipped";
		else if (strcmp(rules[i].rule, "revocation") == 0 && res.valid && res.revocation_unknown > 0)
			st = "unknown";
		else
			st = res.valid ? "pass" : "not-reported";
		c = json_pack("{s:s, s:s, s:s}", "rule", rules[i].rule, "result", st, "source", rules[i].source);
		json_array_append_new(checks, c);
	}
	if (res.rule[0] != '\0') {
		json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "rule", res.rule,
		    "result", res.valid ? "waived" : "fail", "source", res.source, "reason", res.reason,
		    "depth", res.depth, "subject", res.subject);

		json_array_insert_new(checks, 0, c);
	}
	if (vo.revocation == GP_REVOCATION_NONE)
		rev = json_pack("{s:s}", "status", "not-checked");
	else {
		const char *status;

		if (res.valid)
			status = res.revocation_unknown > 0 ? "unknown" : "good";
		else if (strcmp(res.rule, "revocation") == 0)
			status = strstr(res.reason, "revoked") != NULL ? "revoked" : "unknown";
		else if (strncmp(res.rule, "ocsp", 4) == 0 || strcmp(res.rule, "crl") == 0)
			status = "unknown";
		else
			status = "not-determined";
		json_t *oc = vo.ocsp == NULL ? json_pack("{s:s}", "responder", "off") :
		    json_pack("{s:s, s:i, s:i, s:i, s:I}", "responder", vo.ocsp, "cache_hits", use.hits,
		    "fetches", use.fetches, "failures", use.failures,
		    "age_seconds", (json_int_t)(use.oldest != 0 ? (int64_t)time(NULL) - use.oldest : 0));

		rev = json_pack("{s:s, s:i, s:o, s:O, s:o}", "status", status,
		    "unknown_count", res.valid ? res.revocation_unknown : 0,
		    "crls", crls_json(crls, napp_crls, (size_t)sk_X509_CRL_num(req->crls), fetched),
		    "fetched", fetched, "ocsp", oc);
	}
	j = json_pack("{s:b, s:s, s:i, s:o, s:o, s:o}", "valid", res.valid,
	    "application", app->name, "chain_length", res.chain_len, "checks", checks,
	    "chain", chain_json(req->cert, app->anchors, untrusted, vo.at), "revocation", rev);
	if (j == NULL)
		goto nomem;
	*out = j;
	ret = 0;
	goto out;
nomem:
	p->status = 500;
	p->slug = "internal";
	p->title = "Internal error";
	snprintf(p->detail, sizeof(p->detail), "out of memory");
out:
	gp_verifier_free(v);
	sk_X509_free(untrusted);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	json_decref(fetched);
	return ret;
}
