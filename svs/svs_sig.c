/* svs/svs_sig.c: POST /api/v1/verify/signature: raw signatures, CMS/CAdES and GB/T 38540 seal signatures */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/mem.h>
#include <govpki/seal.h>

#include "svs_server.h"

static int
fail(svs_problem *p, unsigned status, const char *slug, const char *detail)
{
	p->status = status;
	p->slug = slug;
	p->title = status == 400 ? "Bad request" : "Cannot verify";
	snprintf(p->detail, sizeof(p->detail), "%s", detail);
	return -1;
}

static const char *
alg_name(svs_raw_alg a)
{
	switch (a) {
	case SVS_RAW_RSA_PKCS1: return "rsa-pkcs1";
	case SVS_RAW_RSA_PSS: return "rsa-pss";
	case SVS_RAW_ECDSA: return "ecdsa";
	case SVS_RAW_ED25519: return "ed25519";
	case SVS_RAW_SM2: return "sm2";
	default: return "auto";
	}
}

/*
 * A raw signature by the key of cert: over data (hashed with the digest,
 * none for Ed25519, RFC 8032 §5.1.6) or over a hash already made (not for
 * Ed25519; for SM2 the hash is e = SM3(Z || M), GM/T 0003.2 §6.1).  *ok 1
 * when it verifies.  -1 with *p for a request that cannot be checked.
 */
static int
raw_verify(int *ok, svs_raw_alg *alg_out, const char **md_out, const svs_sig_req *r, svs_problem *p)
{
	EVP_PKEY *pub = X509_get0_pubkey(r->cert.cert);     /* borrowed */
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	const EVP_MD *md = NULL;
	svs_raw_alg alg = r->alg;
	const char *mdn = r->digest[0] != '\0' ? r->digest : NULL;
	const char *id = r->sm2_id != NULL ? r->sm2_id : GP_SM2_DEFAULT_ID;
	int base, rc = -1, v;

	*ok = 0;
	if (pub == NULL)
		return fail(p, 400, "bad-certificate", "the certificate's key cannot be read");
	base = EVP_PKEY_get_base_id(pub);
	if (gp_key_is_sm2(pub))
		base = EVP_PKEY_SM2;
	if (alg == SVS_RAW_AUTO)
		alg = base == EVP_PKEY_RSA ? SVS_RAW_RSA_PKCS1 : base == EVP_PKEY_EC ? SVS_RAW_ECDSA :
		    base == EVP_PKEY_ED25519 ? SVS_RAW_ED25519 : base == EVP_PKEY_SM2 ? SVS_RAW_SM2 : SVS_RAW_AUTO;
	if (((alg == SVS_RAW_RSA_PKCS1 || alg == SVS_RAW_RSA_PSS) && base != EVP_PKEY_RSA) ||
	    (alg == SVS_RAW_ECDSA && base != EVP_PKEY_EC) ||
	    (alg == SVS_RAW_ED25519 && base != EVP_PKEY_ED25519) ||
	    (alg == SVS_RAW_SM2 && base != EVP_PKEY_SM2) || alg == SVS_RAW_AUTO)
		return fail(p, 400, "bad-algorithm", "the algorithm does not fit the certificate's key");
	*alg_out = alg;
	if (alg == SVS_RAW_ED25519) {
		if (r->has_hash || mdn != NULL)
			return fail(p, 400, "bad-algorithm", "Ed25519 signs the data itself (RFC 8032): "
			    "no 'hash', no 'digest'");
	} else {
		if (mdn == NULL)
			mdn = alg == SVS_RAW_SM2 ? "sm3" : "sha256";
		if (alg == SVS_RAW_SM2 && strcmp(mdn, "sm3") != 0)
			return fail(p, 400, "bad-algorithm", "SM2 signs with SM3 (GM/T 0003)");
		if ((md = EVP_get_digestbyname(mdn)) == NULL)
			return fail(p, 400, "bad-algorithm", "an unknown digest");
		if (r->has_hash && r->hash_len != (size_t)EVP_MD_get_size(md))
			return fail(p, 400, "bad-hash", "'hash' is not as long as the digest's output");
	}
	*md_out = mdn != NULL ? mdn : "none";
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL)) == NULL)
		goto out;
	if (r->has_hash) {
		if (EVP_PKEY_verify_init(pctx) != 1 ||
		    (alg != SVS_RAW_SM2 && EVP_PKEY_CTX_set_signature_md(pctx, md) != 1))
			goto out;
	} else {
		if ((mctx = EVP_MD_CTX_new()) == NULL)
			goto out;
		/* GM/T 0009 §8.1: Z depends on the signer's ID */
		if (alg == SVS_RAW_SM2 && EVP_PKEY_CTX_set1_id(pctx, id, strlen(id)) != 1)
			goto out;
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
		if (EVP_DigestVerifyInit(mctx, NULL, md, NULL, pub) != 1)
			goto out;
	}
	/* RFC 8017 §8.1: PSS, the salt length read from the signature */
	if (alg == SVS_RAW_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1))
		goto out;
	if (alg == SVS_RAW_RSA_PKCS1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (r->has_hash)
		v = EVP_PKEY_verify(pctx, r->sig, r->sig_len, r->hash, r->hash_len);
	else
		v = EVP_DigestVerify(mctx, r->sig, r->sig_len, r->data, r->data_len);
	*ok = v == 1;
	rc = 0;
out:
	ERR_clear_error();
	/* a context given with EVP_MD_CTX_set_pkey_ctx stays the caller's */
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	if (rc != 0)
		fail(p, 500, "internal", "the signature could not be checked");
	return rc;
}

/* seal-tool verify --json's shape: each step with its result and detail. */
static json_t *
steps_json(const gp_verify_result *res)
{
	json_t *steps = json_array();

	for (size_t i = 0; steps != NULL && i < gp_verify_result_count(res); i++) {
		const char *name = "", *detail = "";
		int st = GP_STEP_FAIL;

		gp_verify_result_step(res, i, &name, &st, &detail);
		json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "step", name, "result",
		    st == GP_STEP_PASS ? "pass" : st == GP_STEP_FAIL ? "fail" : "skip", "detail", detail));
	}
	return steps;
}

static void
set_time(json_t *j, const char *key, int64_t t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0)
		return;
	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(j, key, json_string(s));
}

static json_t *
result_json(const gp_verify_result *res, const char *object)
{
	json_t *j = json_pack("{s:b, s:s, s:o}", "valid", gp_verify_result_ok(res), "object", object,
	    "steps", steps_json(res));

	if (j == NULL)
		return NULL;
	if (gp_verify_result_seal_id(res) != NULL)
		json_object_set_new(j, "seal_id", json_string(gp_verify_result_seal_id(res)));
	set_time(j, "signing_time", gp_verify_result_time(res));
	set_time(j, "timestamp_time", gp_verify_result_ts_time(res));
	if (!gp_verify_result_ok(res) && gp_verify_result_reason(res) != NULL)
		json_object_set_new(j, "reason", json_string(gp_verify_result_reason(res)));
	return j;
}

/* The trust of app with the request's chain and CRLs (and, with
 * fetch_crls, the CRLs that certs name): stacks of references. */
static int
trust_for(STACK_OF(X509) **untrusted, STACK_OF(X509_CRL) **crls, const svs_server *s,
    const svs_app *app, const svs_sig_req *r, STACK_OF(X509) *certs)
{
	*untrusted = sk_X509_new_null();
	*crls = sk_X509_CRL_new_null();
	if (*untrusted == NULL || *crls == NULL)
		return -1;
	for (int i = 0; i < sk_X509_num(app->untrusted) + sk_X509_num(r->cert.chain); i++) {
		X509 *x = i < sk_X509_num(app->untrusted) ? sk_X509_value(app->untrusted, i) :
		    sk_X509_value(r->cert.chain, i - sk_X509_num(app->untrusted));

		if (!sk_X509_push(*untrusted, x))
			return -1;
		X509_up_ref(x);
	}
	for (int i = 0; i < sk_X509_CRL_num(app->crls) + sk_X509_CRL_num(r->cert.crls); i++) {
		X509_CRL *c = i < sk_X509_CRL_num(app->crls) ? sk_X509_CRL_value(app->crls, i) :
		    sk_X509_CRL_value(r->cert.crls, i - sk_X509_CRL_num(app->crls));

		if (!sk_X509_CRL_push(*crls, c))
			return -1;
		X509_CRL_up_ref(c);
	}
	if (app->fetch_crls && s->cache != NULL && certs != NULL) {
		json_t *info = json_array();
		STACK_OF(X509) *cands = sk_X509_dup(certs);     /* borrowed, each */

		for (int i = 0; cands != NULL && i < sk_X509_num(*untrusted); i++)
			if (!sk_X509_push(cands, sk_X509_value(*untrusted, i)))
				break;
		if (cands != NULL && info != NULL)
			svs_cache_crls(s->cache, cands, *crls, info);
		sk_X509_free(cands);
		json_decref(info);
	}
	return 0;
}

/* A CMS SignedData without data given: an attached one's content, and
 * the signature made detached (DER into *det, malloc'ed by OpenSSL). */
static int
cms_detach(unsigned char **det, int *detlen, unsigned char **content, size_t *clen,
    STACK_OF(X509) *certs, const unsigned char *sig, size_t siglen)
{
	const unsigned char *q = sig;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)siglen);
	ASN1_OCTET_STRING **pos;
	STACK_OF(X509) *in;
	int r = -1;

	*det = NULL;
	*content = NULL;
	if (cms == NULL)
		goto out;
	if ((in = CMS_get1_certs(cms)) != NULL) {
		for (int i = 0; i < sk_X509_num(in); i++)
			if (sk_X509_push(certs, sk_X509_value(in, i)))
				X509_up_ref(sk_X509_value(in, i));
		sk_X509_pop_free(in, X509_free);
	}
	if ((pos = CMS_get0_content(cms)) == NULL || *pos == NULL) {
		r = 1;    /* detached: no content */
		goto out;
	}
	*clen = (size_t)ASN1_STRING_length(*pos);
	if ((*content = malloc(*clen + 1)) == NULL)
		goto out;
	memcpy(*content, ASN1_STRING_get0_data(*pos), *clen);
	if (CMS_set_detached(cms, 1) != 1 || (*detlen = i2d_CMS_ContentInfo(cms, det)) <= 0) {
		free(*content);
		*content = NULL;
		goto out;
	}
	r = 0;
out:
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	return r;
}

int
svs_verify_signature(json_t **out, const svs_server *s, const svs_app *app, const svs_sig_req *r,
    svs_problem *p)
{
	STACK_OF(X509) *untrusted = NULL, *certs = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = NULL;
	gp_verify_result *res = NULL;
	json_t *j = NULL, *cj = NULL;
	unsigned char *det = NULL, *content = NULL;
	size_t clen = 0;
	int detlen = 0, rc, ok, ret = -1;

	*out = NULL;
	if (certs == NULL)
		goto nomem;
	switch (r->format) {
	case SVS_SIG_RAW: {
		svs_raw_alg alg = r->alg;
		const char *md = "";

		if (raw_verify(&ok, &alg, &md, r, p) != 0)
			goto out;
		/* the signer's certificate as POST /verify/certificate judges it */
		if (svs_verify_certificate(&cj, s, app, &r->cert, p) != 0)
			goto out;
		j = json_pack("{s:b, s:s, s:{s:b, s:s, s:s, s:s}, s:O}", "valid",
		    ok && json_is_true(json_object_get(cj, "valid")), "format", "raw",
		    "signature", "valid", ok, "algorithm", alg_name(alg), "digest", md,
		    "over", r->has_hash ? "hash" : "data", "certificate", cj);
		break;
	}
	case SVS_SIG_CMS: {
		const unsigned char *sig = r->sig, *data = r->data;
		size_t siglen = r->sig_len, dlen = r->data_len;

		rc = cms_detach(&det, &detlen, &content, &clen, certs, r->sig, r->sig_len);
		if (!r->has_data) {
			if (rc != 0)
				fail(p, 400, rc == 1 ? "bad-request" : "bad-signature", rc == 1 ?
				    "a detached signature: give the 'data'" :
				    "not a CMS SignedData with its content: give the 'data' of a detached one");
			if (rc != 0)
				goto out;
			sig = det;
			siglen = (size_t)detlen;
			data = content;
			dlen = clen;
		}
		if (trust_for(&untrusted, &crls, s, app, r, certs) != 0)
			goto nomem;
		rc = gp_cades_verify(&res, sig, siglen, data, dlen, app->anchors, untrusted,
		    sk_X509_CRL_num(crls) > 0 ? crls : NULL, NULL);
		if (rc == GP_E_PARSE || res == NULL) {
			fail(p, 400, "bad-signature", gp_error_last());
			gp_error_clear();
			goto out;
		}
		gp_error_clear();
		j = result_json(res, "cms");
		if (j != NULL) {
			json_object_set_new(j, "format", json_string("cms"));
			json_object_set_new(j, "attached", json_boolean(!r->has_data));
		}
		break;
	}
	case SVS_SIG_SEAL: {
		gp_seal_verify_params vp = GP_SEAL_VERIFY_PARAMS_INIT;
		const char *what = "signature";

		if (trust_for(&untrusted, &crls, s, app, r, NULL) != 0)
			goto nomem;
		vp.roots = app->anchors;
		vp.untrusted = untrusted;
		vp.crls = sk_X509_CRL_num(crls) > 0 ? crls : NULL;
		vp.at = r->cert.at;
		vp.maker_oid = r->maker_oid;
		if (r->has_data) {
			vp.doc = r->data;
			vp.doc_len = r->data_len;
		} else if (r->has_hash) {
			vp.hash = r->hash;
			vp.hash_len = r->hash_len;
		}
		rc = gp_seal_sig_verify(&res, r->sig, r->sig_len, &vp);
		if (rc == GP_E_PARSE) {
			/* as seal-tool verify: not a signature, a seal on its own? */
			gp_error_clear();
			what = "seal";
			rc = gp_seal_verify(&res, r->sig, r->sig_len, &vp);
		}
		if (rc != 0 || res == NULL) {
			fail(p, rc == GP_E_PARSE ? 400 : 500, rc == GP_E_PARSE ? "bad-signature" : "internal",
			    rc == GP_E_PARSE ? "neither a seal signature nor a seal" : gp_error_last());
			gp_error_clear();
			goto out;
		}
		j = result_json(res, what);
		if (j != NULL)
			json_object_set_new(j, "format", json_string("seal"));
		break;
	}
	}
	if (j == NULL)
		goto nomem;
	json_object_set_new(j, "application", json_string(app->name));
	*out = j;
	ret = 0;
	goto out;
nomem:
	fail(p, 500, "internal", "out of memory");
out:
	json_decref(cj);
	gp_verify_result_free(res);
	OPENSSL_free(det);
	free(content);
	sk_X509_pop_free(untrusted, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	sk_X509_pop_free(certs, X509_free);
	return ret;
}
