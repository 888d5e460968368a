/* seal/sign.c: SES_Signature: signing documents with a seal and verifying every step */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <govpki/key.h>
#include <govpki/verify.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "seal_int.h"
#include "util.h"

int
gp_seal_doc_hash(unsigned char *out, size_t *outlen, const EVP_PKEY *key,
    const unsigned char *doc, size_t len)
{
	const EVP_MD *md;
	unsigned int n = 0;
	int r;

	*outlen = 0;
	if (key == NULL || (doc == NULL && len))
		return gp_err(GP_E_INVALID, "gp_seal_doc_hash: NULL argument");
	if ((r = gp_seal_md_for_key(&md, key)) != 0)
		return r;
	if (EVP_Digest(doc, len, out, &n, md, NULL) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "cannot hash the document");
	*outlen = n;
	return 0;
}

static int
bits_set(ASN1_BIT_STRING *bs, const unsigned char *d, size_t n)
{
	int len, r;

	if ((r = gp_seal_int_len(&len, n, "a BIT STRING value")) != 0)
		return r;
	if (ASN1_BIT_STRING_set(bs, (unsigned char *)d, len) != 1)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	/* keep every byte: 0 unused bits, no trimming of trailing zeros */
	bs->flags &= ~0x07;
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return 0;
}

/* The signer's certificate at the signing time t: a signature whose
 * verification would fail step 3 of GB/T 38540-2020 §8.2 (the signer's
 * certificate within its validity at the signing time) is not made. */
static int
signer_validity(X509 *signer, int64_t t)
{
	int64_t nb = 0, na = 0;
	char a[21], b[21], w[21];
	int r;

	if ((r = gp_time_from_asn1(&nb, X509_get0_notBefore(signer))) != 0 ||
	    (r = gp_time_from_asn1(&na, X509_get0_notAfter(signer))) != 0)
		return gp_err_ctx(r, "the signer's certificate validity");
	gp_time_iso(a, nb);
	gp_time_iso(b, na);
	gp_time_iso(w, t);
	if (t < nb)
		return gp_err(GP_E_POLICY, "the signer's certificate is not yet valid at %s (valid from %s)", w, a);
	if (t > na)
		return gp_err(GP_E_POLICY, "the signer's certificate expired at %s (signing at %s)", b, w);
	return 0;
}

/* The signer's certificate in the store: when a CA of the store issued
 * this very certificate (same serial and fingerprint), it must be good
 * there (revoked or on hold: refused).  A certificate the store never
 * issued is for the verifier's CRL or OCSP check. */
static int
signer_status(gp_store *st, X509 *signer)
{
	gp_ca_info **cas = NULL;
	gp_cert_info *ci = NULL;
	unsigned char sn[GP_SERIAL_MAX], fp[32];
	size_t snlen = 0, n = 0;
	int r;

	if ((r = gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(signer))) != 0 ||
	    (r = gp_x509_fingerprint(signer, fp)) != 0 ||
	    (r = gp_store_ca_list(st, &cas, &n)) != 0)
		return gp_err_ctx(r, "the signer's certificate status");
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		int g = gp_store_cert_get(st, cas[i]->id, sn, snlen, &ci);
		if (g == GP_E_NOTFOUND)
			continue;
		if (g != 0) {
			r = gp_err_ctx(g, "the signer's certificate status");
			break;
		}
		if (memcmp(ci->fingerprint, fp, 32) == 0 && ci->status != GP_STATUS_GOOD) {
			char w[21];
			gp_time_iso(w, ci->revoked_at);
			r = gp_err(GP_E_POLICY, "the signer's certificate is %s in the store since %s (CA %s)",
			    ci->status == GP_STATUS_HOLD ? "on hold" : "revoked", w, cas[i]->name);
		}
		gp_cert_info_free(ci);
		ci = NULL;
	}
	if (r == 0)
		gp_error_clear();     /* the CAs that never issued it */
	gp_ca_info_list_free(cas, n);
	return r;
}

/* The seal in the register (GB/T 38540-2020 §8.2 step 7: verifiers refuse
 * a seal that is not registered or is revoked): the very seal (same DER),
 * and good. */
static int
seal_status(gp_store *st, const gp_seal *seal)
{
	gp_seal_info *info = NULL;
	int r;

	r = gp_store_seal_get(st, seal->id, &info);
	if (r == GP_E_NOTFOUND)
		return gp_err(GP_E_POLICY, "seal %s is not in the seal register", seal->id);
	if (r != 0)
		return gp_err_ctx(r, "the seal register");
	if (info->der_len != seal->der_len || memcmp(info->der, seal->der, seal->der_len) != 0)
		r = gp_err(GP_E_POLICY, "seal %s differs from the registered seal", seal->id);
	else if (info->status == GP_SEAL_STATUS_REVOKED) {
		char w[21];
		gp_time_iso(w, info->revoked_at);
		r = gp_err(GP_E_POLICY, "seal %s was revoked at %s (%s)", seal->id, w,
		    info->reason ? info->reason : "no reason");
	}
	gp_seal_info_free(info);
	return r;
}

/* GB/T 38540-2020 §8.1: TBS_Sign { version, eseal, timeInfo, dataHash,
 * propertyInfo }, signed by the holder; the version is the seal's (4, or 5
 * for a GM/T 0031-2025 seal: verifiers check that they match, step 1); the
 * optional time-stamp covers the signature value. */
int
gp_seal_sign(unsigned char **der, size_t *len, const gp_seal_sign_params *params)
{
	gp_seal_sign_params pv;
	const gp_seal_sign_params *p = &pv;
	gp_seal *seal = NULL;
	SES_SIGNATURE4 *sig = NULL;
	const unsigned char *q;
	unsigned char hash[EVP_MAX_MD_SIZE], *tbs = NULL, *sv = NULL, *cert = NULL, *tok = NULL, *buf = NULL;
	size_t hashlen = 0, svlen = 0, toklen = 0;
	const EVP_MD *md;
	int64_t t;
	int n, r;

	if (der != NULL)
		*der = NULL;
	if (len != NULL)
		*len = 0;
	if (der == NULL || len == NULL || params == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_sign: NULL argument");
	/* the caller's struct as this library's version (docs/api.md) */
	if ((r = gp_params_in(&pv, sizeof(pv), params, GP_PARAMS_END(gp_seal_sign_params, ts_arg),
	    "gp_seal_sign")) != 0)
		return r;
	if (p->signer == NULL || p->signer_key == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_sign: no signer or no key");
	if ((r = gp_seal_parse(&seal, p->seal, p->seal_len)) != 0)
		return r;
	if (seal->s4 == NULL) {
		r = gp_err(GP_E_INVALID, "version %d seals (GM/T 0031-2014) are read, not signed with; "
		    "make a version 4 seal", seal->version);
		goto out;
	}
	if (X509_check_private_key(p->signer, p->signer_key) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "the signer's key does not belong to its certificate");
		goto out;
	}
	if (!gp_seal_has_holder(seal, p->signer)) {
		r = gp_err(GP_E_POLICY, "the signer is not one of the holders of seal %s", seal->id);
		goto out;
	}
	t = p->time ? p->time : gp_now();
	if (t < seal->start || t > seal->end) {
		char a[21], b[21];
		gp_time_iso(a, seal->start);
		gp_time_iso(b, seal->end);
		r = gp_err(GP_E_POLICY, "seal %s is valid from %s to %s only", seal->id, a, b);
		goto out;
	}
	if ((r = signer_validity(p->signer, t)) != 0)
		goto out;
	if (p->store != NULL && ((r = seal_status(p->store, seal)) != 0 ||
	    (r = signer_status(p->store, p->signer)) != 0))
		goto out;
	if ((r = gp_seal_md_for_key(&md, p->signer_key)) != 0)
		goto out;
	if (p->hash != NULL) {
		if (p->hash_len != (size_t)EVP_MD_get_size(md)) {
			r = gp_err(GP_E_INVALID, "the hash has %zu bytes; %s needs %d", p->hash_len,
			    EVP_MD_get0_name(md), EVP_MD_get_size(md));
			goto out;
		}
		memcpy(hash, p->hash, p->hash_len);
		hashlen = p->hash_len;
	} else if ((r = gp_seal_doc_hash(hash, &hashlen, p->signer_key, p->doc, p->doc_len)) != 0)
		goto out;
	if ((sig = SES_SIGNATURE4_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* the seal exactly as received, its encoding kept */
	SESEAL4_free(sig->tbs->eseal);
	q = seal->der;
	if ((sig->tbs->eseal = d2i_SESEAL4(NULL, &q, (long)seal->der_len)) == NULL) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot embed the seal");
		goto out;
	}
	ASN1_TIME_free(sig->tbs->time);
	if ((sig->tbs->time = ASN1_GENERALIZEDTIME_set(NULL, (time_t)t)) == NULL ||
	    ASN1_INTEGER_set(sig->tbs->version, seal->version) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "cannot encode the signing time");
		goto out;
	}
	if ((r = bits_set(sig->tbs->data_hash, hash, hashlen)) != 0)
		goto out;
	{
		const char *prop = p->property ? p->property : "";
		for (const char *c = prop; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
				r = gp_err(GP_E_INVALID, "the property info must be printable ASCII (IA5String)");
				goto out;
			}
		if (strlen(prop) > 4096 || ASN1_STRING_set(sig->tbs->property, prop, -1) != 1) {
			r = gp_err(GP_E_INVALID, "the property info is too long (4096 at most)");
			goto out;
		}
	}
	if ((n = i2d_X509(p->signer, &cert)) <= 0 || ASN1_OCTET_STRING_set(sig->cert, cert, n) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "cannot encode the signer's certificate");
		goto out;
	}
	ASN1_OBJECT_free(sig->alg);
	if ((r = gp_seal_alg_for_key(&sig->alg, p->signer_key)) != 0)
		goto out;
	if ((n = i2d_TBS_SIGN4(sig->tbs, &tbs)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode TBS_Sign");
		goto out;
	}
	if ((r = gp_sign_data(&sv, &svlen, p->signer_key, tbs, (size_t)n)) != 0 ||
	    (r = bits_set(sig->sig, sv, svlen)) != 0)
		goto out;
	if (p->ts_cb != NULL) {
		/* the time-stamp covers the signature value (§8.1 timeStamp) */
		if ((r = gp_ts_stamp(&tok, &toklen, gp_key_is_sm2(p->signer_key) ? "SM3" : "SHA256",
		    sv, svlen, p->ts_cb, p->ts_arg)) != 0) {
			r = gp_err_ctx(r, "time-stamp");
			goto out;
		}
		if ((sig->ts = ASN1_BIT_STRING_new()) == NULL) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
		if ((r = bits_set(sig->ts, tok, toklen)) != 0)
			goto out;
	}
	if ((n = i2d_SES_SIGNATURE4(sig, &buf)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode SES_Signature");
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	r = 0;
out:
	gp_seal_free(seal);
	SES_SIGNATURE4_free(sig);
	OPENSSL_free(tbs);
	OPENSSL_free(sv);
	OPENSSL_free(cert);
	OPENSSL_free(tok);
	OPENSSL_free(buf);
	return r;
}

/* ------------------------------------------------------- verification */

static int
x509_from_os(X509 **out, const ASN1_OCTET_STRING *os)
{
	const unsigned char *p = ASN1_STRING_get0_data(os);
	int n = ASN1_STRING_length(os);

	if ((*out = d2i_X509(NULL, &p, n)) == NULL || p != ASN1_STRING_get0_data(os) + n) {
		X509_free(*out);
		*out = NULL;
		return gp_err_ossl(GP_E_PARSE, "the certificate does not decode");
	}
	return 0;
}

/*
 * The chain at time at (the signing time), then revocation by the CRLs at
 * the time they speak for (their latest thisUpdate, when later than at):
 * a CRL issued after the signature is "not yet valid" at the signing time,
 * yet it is the one that knows of revocations.  Any revocation fails.
 */
int
gp_seal_chain_check(X509 *x, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crls, int64_t at)
{
	int64_t rt = at, t;
	char tb[21];
	int r;

	if ((r = gp_verify_chain(x, roots, untrusted, NULL, at, GP_PURPOSE_ANY)) != 0 || crls == NULL)
		return r;
	for (int i = 0; i < sk_X509_CRL_num(crls); i++)
		if (gp_asn1_time_to_unix(&t, X509_CRL_get0_lastUpdate(sk_X509_CRL_value(crls, i))) == 0 && t > rt)
			rt = t;
	if ((r = gp_verify_chain(x, roots, untrusted, crls, rt, GP_PURPOSE_ANY)) != 0) {
		gp_time_iso(tb, rt);
		return gp_err_ctx(r, "revocation (CRLs as of %s)", tb);
	}
	return 0;
}

/* Runs a chain check and records it as step name. */
static int
step_chain(gp_verify_result *res, const char *name, X509 *x, const gp_seal_verify_params *p,
    int64_t at)
{
	char *subj = NULL;
	int r;

	/* RFC 2253 with UTF-8 as it is (Chinese names readable, not \xE5 escapes) */
	if (gp_name_print(&subj, X509_get_subject_name(x)) != 0)
		subj = NULL;
	r = gp_seal_chain_check(x, p->roots, p->untrusted, p->crls, at);
	if (r == 0 && p->ocsp_cb != NULL) {
		/* the OCSP hook: asked after the chain holds, with the issuer */
		X509 *issuer = NULL;
		for (int i = 0; issuer == NULL && i < sk_X509_num(p->untrusted); i++)
			if (X509_check_issued(sk_X509_value(p->untrusted, i), x) == X509_V_OK)
				issuer = sk_X509_value(p->untrusted, i);
		for (int i = 0; issuer == NULL && i < sk_X509_num(p->roots); i++)
			if (X509_check_issued(sk_X509_value(p->roots, i), x) == X509_V_OK)
				issuer = sk_X509_value(p->roots, i);
		if (issuer == NULL)
			r = gp_err(GP_E_VERIFY, "OCSP: the issuer is not among the certificates given");
		else if ((r = p->ocsp_cb(p->ocsp_arg, x, issuer, p->roots, p->untrusted)) != 0)
			r = gp_err_ctx(r, "OCSP");
	}
	if (r == 0)
		r = gp_vres_add(res, name, GP_STEP_PASS, "%s: chains to a trust anchor%s%s", subj ? subj : "?",
		    p->crls ? ", not revoked (CRL)" : "", p->ocsp_cb ? ", good (OCSP)" :
		    p->crls ? "" : "; revocation not checked (no CRL or OCSP given)");
	else
		r = gp_vres_add(res, name, GP_STEP_FAIL, "%s: %s", subj ? subj : "?", gp_error_last());
	free(subj);
	return r;
}

/* The maker's authority: its certificate is of the seal-signer profile
 * (gp_seal_maker_check), so that a person's certificate cannot make a seal
 * that verifies as official. */
static int
step_authority(gp_verify_result *res, X509 *maker, const char *oid)
{
	if (oid != NULL && strcmp(oid, "none") == 0)
		return gp_vres_add(res, "seal-authority", GP_STEP_SKIP,
		    "not checked: the maker's profile is not asked for (maker OID none)");
	if (gp_seal_maker_check(maker, oid) == 0)
		return gp_vres_add(res, "seal-authority", GP_STEP_PASS,
		    "the maker is a seal signer (%s)", oid ? oid : GP_OID_SEAL_MAKER);
	return gp_vres_add(res, "seal-authority", GP_STEP_FAIL, "%s", gp_error_last());
}

/* how a step names an SM2 value read as r || s (gp_seal_sig_check) */
#define RAW_NOTE " (the SM2 value as raw r || s, not DER)"

/* The maker's signature (§8.2 step 6).  Version 4: over DER(SES_SealInfo)
 * as written by real implementations, else the SEQUENCE { SES_SealInfo,
 * cert, signAlgID } form; version 1/2: the latter (seal-asn1.md). */
static int
step_seal_sig(gp_verify_result *res, const gp_seal *seal)
{
	SES_SEAL_TBS *t = NULL;
	unsigned char *alt = NULL;
	EVP_PKEY *pub = X509_get0_pubkey(seal->maker);     /* borrowed */
	const unsigned char *sv = ASN1_STRING_get0_data(seal->sig);
	size_t svlen = (size_t)ASN1_STRING_length(seal->sig);
	int n, r, raw = 0;

	if (pub == NULL)
		return gp_vres_add(res, "seal-signature", GP_STEP_FAIL, "the maker's public key does not decode");
	if (seal->s4 != NULL && gp_seal_sig_check(pub, seal->alg, sv, svlen, seal->info_der, seal->info_len, &raw) == 0)
		return gp_vres_add(res, "seal-signature", GP_STEP_PASS, "%s over SES_SealInfo%s", seal->alg_txt,
		    raw ? RAW_NOTE : "");
	if ((t = SES_SEAL_TBS_new()) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	/* SEQUENCE { SES_SealInfo (the bytes as received), cert, alg } */
	{
		const unsigned char *q = seal->info_der;
		ASN1_TYPE_free(t->info);
		t->info = d2i_ASN1_TYPE(NULL, &q, (long)seal->info_len);
	}
	ASN1_OBJECT_free(t->alg);
	t->alg = OBJ_dup(seal->alg);
	if (t->info == NULL || t->alg == NULL ||
	    ASN1_STRING_copy(t->cert, seal->cert_os) != 1 || (n = i2d_SES_SEAL_TBS(t, &alt)) <= 0) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode the signed form of the seal");
		goto out;
	}
	if ((r = gp_seal_sig_check(pub, seal->alg, sv, svlen, alt, (size_t)n, &raw)) == 0)
		r = gp_vres_add(res, "seal-signature", GP_STEP_PASS,
		    "%s over SEQUENCE { SES_SealInfo, cert, signAlgID }%s", seal->alg_txt, raw ? RAW_NOTE : "");
	else if (r == GP_E_VERIFY || r == GP_E_CRYPTO)
		r = gp_vres_add(res, "seal-signature", GP_STEP_FAIL, "%s", gp_error_last());
out:
	SES_SEAL_TBS_free(t);
	OPENSSL_free(alt);
	return r;
}

/* how a step names the time the checks are made at, by its GP_TIME_* source */
static const char *
time_note(int source)
{
	switch (source) {
	case GP_TIME_STAMPED: return "the signing time the time-stamp proves";
	case GP_TIME_ASSERTED: return "the time asserted by the verifier (not proven)";
	case GP_TIME_SIGNER: return "the signer's timeInfo (claimed, not proven)";
	default: return "now";
	}
}

/* Steps 6-7 for a decoded seal at time at, whose GP_TIME_* source is
 * source; sig: the seal of a signature (else a seal verified alone). */
static int
seal_steps(gp_verify_result *res, const gp_seal *seal, const gp_seal_verify_params *p, int64_t at,
    int source, int sig)
{
	gp_seal_info *info = NULL;
	char a[21], b[21], w[21], *reason = NULL;
	const char *where;
	int64_t revoked_at = 0;
	int r, g, st;

	if ((r = step_seal_sig(res, seal)) != 0 ||
	    (r = step_chain(res, "seal-maker", seal->maker, p, at)) != 0 ||
	    (r = step_authority(res, seal->maker, p->maker_oid)) != 0)
		return r;
	/* GM/T 0031-2025 (version 5): a time-stamp over the maker's signature */
	if (seal->s4 != NULL && seal->s4->ts != NULL) {
		int64_t tt = 0;
		if (gp_ts_verify(&tt, ASN1_STRING_get0_data(seal->s4->ts), (size_t)ASN1_STRING_length(seal->s4->ts),
		    ASN1_STRING_get0_data(seal->sig), (size_t)ASN1_STRING_length(seal->sig),
		    p->tsa_roots ? p->tsa_roots : p->roots, p->untrusted) == 0) {
			gp_time_iso(w, tt);
			r = gp_vres_add(res, "seal-time-stamp", GP_STEP_PASS, "the seal was time-stamped at %s", w);
		} else
			r = gp_vres_add(res, "seal-time-stamp", GP_STEP_FAIL, "%s", gp_error_last());
		if (r != 0)
			return r;
	}
	gp_time_iso(a, seal->start);
	gp_time_iso(b, seal->end);
	gp_time_iso(w, at);
	if (at < seal->start)
		r = gp_vres_add(res, "seal-validity", GP_STEP_FAIL, "the seal is not yet valid at %s (from %s)", w, a);
	else if (at > seal->end)
		r = gp_vres_add(res, "seal-validity", GP_STEP_FAIL, "the seal expired at %s (checked at %s)", b, w);
	else
		r = gp_vres_add(res, "seal-validity", GP_STEP_PASS, "valid from %s to %s, checked at %s", a, b, w);
	if (r != 0)
		return r;
	if (p->status_cb != NULL) {
		/* a seal status service (asked instead of the store) */
		st = GP_SEAL_STATUS_GOOD;
		g = p->status_cb(p->status_arg, seal, &st, &revoked_at, &reason);
		where = "the seal status service";
		if (g == GP_E_NOTFOUND || g == GP_E_VERIFY)
			return gp_vres_add(res, "seal-status", GP_STEP_FAIL, "%s", gp_error_last());
		if (g != 0)
			return gp_vres_add(res, "seal-status", GP_STEP_FAIL, "the seal status service cannot tell: %s",
			    gp_error_last());
	} else if (p->store == NULL)
		return gp_vres_add(res, "seal-status", GP_STEP_SKIP, "no seal register given");
	else {
		g = gp_store_seal_get(p->store, seal->id, &info);
		if (g == GP_E_NOTFOUND)
			return gp_vres_add(res, "seal-status", GP_STEP_FAIL, "seal %s is not in the seal register", seal->id);
		if (g != 0)
			return gp_vres_add(res, "seal-status", GP_STEP_FAIL, "the register cannot be read: %s", gp_error_last());
		if (info->der_len != seal->der_len || memcmp(info->der, seal->der, seal->der_len) != 0) {
			gp_seal_info_free(info);
			return gp_vres_add(res, "seal-status", GP_STEP_FAIL, "seal %s differs from the registered seal", seal->id);
		}
		st = info->status;
		revoked_at = info->revoked_at;
		/* (the store's strings are malloc's; the hook's gp_free's) */
		if (info->reason != NULL && (reason = OPENSSL_strdup(info->reason)) == NULL) {
			gp_seal_info_free(info);
			return gp_err(GP_E_NOMEM, "out of memory");
		}
		gp_seal_info_free(info);
		where = "the register";
	}
	if (st == GP_SEAL_STATUS_REVOKED && revoked_at <= at) {
		gp_time_iso(a, revoked_at);
		r = gp_vres_add(res, "seal-status", GP_STEP_FAIL, "seal %s was revoked at %s (%s)", seal->id, a,
		    reason ? reason : "no reason");
	} else if (st == GP_SEAL_STATUS_REVOKED && sig && source != GP_TIME_STAMPED) {
		/* a signature made before the revocation counts only when a
		 * time-stamp proves when it was made: timeInfo is the signer's
		 * own claim, and a time the verifier asserts (--at) proves
		 * nothing about when the signer signed (a signer holding a
		 * revoked seal can write any timeInfo) */
		gp_time_iso(a, revoked_at);
		r = gp_vres_add(res, "seal-status", GP_STEP_FAIL, "seal %s was revoked at %s (%s); checked at %s, "
		    "and only a time-stamp proves a signature older than the revocation", seal->id, a,
		    reason ? reason : "no reason", time_note(source));
	} else if (st == GP_SEAL_STATUS_REVOKED) {
		gp_time_iso(a, revoked_at);
		r = gp_vres_add(res, "seal-status", GP_STEP_PASS, "seal %s was revoked at %s, after %s",
		    seal->id, a, time_note(source));
	} else
		r = gp_vres_add(res, "seal-status", GP_STEP_PASS, "seal %s is good in %s", seal->id, where);
	OPENSSL_free(reason);
	return r;
}

/* GB/T 38540-2020 §7.2.6: an extension marked critical that we do not
 * know makes the structure unusable. */
static int
critical_ext(const STACK_OF(SES_EXTDATA) *ext, char *oid, size_t len)
{
	for (int i = 0; i < sk_SES_EXTDATA_num(ext); i++)
		if (sk_SES_EXTDATA_value(ext, i)->critical > 0) {
			OBJ_obj2txt(oid, (int)len, sk_SES_EXTDATA_value(ext, i)->id, 1);
			return 1;
		}
	return 0;
}

/* The caller's verification parameters as this library's version
 * (docs/api.md), into pv; what names the caller. */
static int
verify_params_in(gp_seal_verify_params *pv, const gp_seal_verify_params *params, const char *what)
{
	int r;

	if ((r = gp_params_in(pv, sizeof(*pv), params, GP_PARAMS_END(gp_seal_verify_params, maker_oid),
	    what)) != 0)
		return r;
	if (pv->roots == NULL)
		return gp_err(GP_E_INVALID, "%s: verification needs trust anchors", what);
	return 0;
}

int
gp_seal_verify(gp_verify_result **out, const unsigned char *der, size_t len,
    const gp_seal_verify_params *params)
{
	gp_seal_verify_params pv;
	const gp_seal_verify_params *p = &pv;
	gp_verify_result *res = NULL;
	gp_seal *seal = NULL;
	int64_t at;
	char oid[80];
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_verify: NULL argument");
	*out = NULL;
	if ((r = verify_params_in(&pv, params, "gp_seal_verify")) != 0)
		return r;
	if ((r = gp_seal_parse(&seal, der, len)) != 0)
		return r;
	if ((r = gp_vres_new(&res)) != 0)
		goto out;
	at = p->at ? p->at : gp_now();
	gp_vres_set_facts(res, seal->id, at, 0);
	gp_vres_set_checked(res, at, p->at ? GP_TIME_ASSERTED : GP_TIME_NOW);
	if (critical_ext(seal->s4 ? seal->s4->info->ext : seal->s1->info->ext, oid, sizeof(oid)))
		r = gp_vres_add(res, "structure", GP_STEP_FAIL, "unknown critical extension %s", oid);
	else
		r = gp_vres_add(res, "structure", GP_STEP_PASS, "seal %s, version %d", seal->id, seal->version);
	if (r != 0 || (r = seal_steps(res, seal, p, at, p->at ? GP_TIME_ASSERTED : GP_TIME_NOW, 0)) != 0)
		goto out;
	*out = res;
	res = NULL;
out:
	gp_verify_result_free(res);
	gp_seal_free(seal);
	return r;
}

/* A decoded signature of either version, with views. */
struct dsig {
	SES_SIGNATURE4 *s4;
	SES_SIGNATURE1 *s1;
	gp_seal *seal;
	X509 *signer;
	ASN1_OBJECT *alg;            /* borrowed */
	ASN1_BIT_STRING *sig, *hash; /* borrowed */
	const unsigned char *tok;    /* time-stamp token, borrowed */
	size_t toklen;
	unsigned char *tbs;
	size_t tbslen;
	int64_t time;
	int version;
	char timefmt[64];
};

static void
dsig_clear(struct dsig *d)
{
	SES_SIGNATURE4_free(d->s4);
	SES_SIGNATURE1_free(d->s1);
	gp_seal_free(d->seal);
	X509_free(d->signer);
	OPENSSL_free(d->tbs);
}

/* GM/T 0031-2014 §9.1 timeInfo BIT STRING: a time-stamp token, the DER of a
 * UTCTime (or GeneralizedTime), or a time's text: a UTCTime or
 * GeneralizedTime string, or ofdrw's "YYYY-MM-DD HH:MM:SS".  Every form
 * goes through OpenSSL's time parsing, which refuses impossible dates. */
static int
v1_time(struct dsig *d, const ASN1_BIT_STRING *ti)
{
	const unsigned char *p = ASN1_STRING_get0_data(ti);
	int n = ASN1_STRING_length(ti);
	PKCS7 *tok = NULL;
	ASN1_TIME *at;
	char txt[32], digits[24];

	if ((tok = d2i_PKCS7(NULL, &p, n)) != NULL) {
		TS_TST_INFO *tst = PKCS7_to_TS_TST_INFO(tok);
		int r = tst ? gp_asn1_time_to_unix(&d->time, TS_TST_INFO_get_time(tst))
		    : gp_err_ossl(GP_E_PARSE, "timeInfo is not a time-stamp token");
		TS_TST_INFO_free(tst);
		PKCS7_free(tok);
		if (r == 0) {
			d->tok = ASN1_STRING_get0_data(ti);
			d->toklen = (size_t)n;
		}
		return r;
	}
	ERR_clear_error();
	p = ASN1_STRING_get0_data(ti);
	if ((at = d2i_ASN1_TIME(NULL, &p, n)) != NULL) {
		int r = p == ASN1_STRING_get0_data(ti) + n ? gp_asn1_time_to_unix(&d->time, at) :
		    gp_err(GP_E_PARSE, "bytes after timeInfo's time");
		ASN1_TIME_free(at);
		return r;
	}
	ERR_clear_error();
	if (n > 0 && n < (int)sizeof(txt)) {
		ASN1_TIME *t;
		int ok;
		memcpy(txt, ASN1_STRING_get0_data(ti), (size_t)n);
		txt[n] = '\0';
		/* ofdrw (SESV1Container) writes "YYYY-MM-DD HH:MM:SS"; it names
		 * no zone, and GM/T 0031-2014 §9.1 calls the field a UTCTime,
		 * so it is read as UTC */
		if (gp_seal_time_digits(digits, txt, (size_t)n, "dddd-dd-dd dd:dd:dd") == 0) {
			strcat(digits, "Z");
			return gp_seal_time_from_digits(&d->time, digits) == 0 ? 0 :
			    gp_err(GP_E_PARSE, "timeInfo '%s' is no such time", txt);
		}
		t = ASN1_TIME_new();
		ok = t != NULL && ASN1_TIME_set_string_X509(t, txt) == 1 && gp_asn1_time_to_unix(&d->time, t) == 0;
		ASN1_TIME_free(t);
		if (ok)
			return 0;
	}
	return gp_err(GP_E_PARSE, "timeInfo is neither a time-stamp token nor a time");
}

static int
dsig_decode(struct dsig *d, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	int n, r;

	memset(d, 0, sizeof(*d));
	if (der == NULL || len == 0)
		return gp_err(GP_E_PARSE, "the signature is empty");
	if (len > GP_SEAL_MAX)
		return gp_err(GP_E_PARSE, "the signature is larger than %d bytes", GP_SEAL_MAX);
	if ((d->s4 = d2i_SES_SIGNATURE4(NULL, &p, (long)len)) != NULL) {
		SESEAL4 *e;
		if (p != der + len)
			return gp_err(GP_E_PARSE, "%zu bytes after the signature", len - (size_t)(p - der));
		if ((r = x509_from_os(&d->signer, d->s4->cert)) != 0)
			return gp_err_ctx(r, "the signer's certificate");
		e = d->s4->tbs->eseal;
		d->s4->tbs->eseal = NULL;      /* moved into the gp_seal */
		if ((r = gp_seal_from_asn1(&d->seal, e, NULL)) != 0)
			return gp_err_ctx(r, "the embedded seal");
		d->alg = d->s4->alg;
		d->sig = d->s4->sig;
		d->hash = d->s4->tbs->data_hash;
		if (d->s4->ts != NULL) {
			d->tok = ASN1_STRING_get0_data(d->s4->ts);
			d->toklen = (size_t)ASN1_STRING_length(d->s4->ts);
		}
		if ((r = gp_asn1_time_to_unix(&d->time, d->s4->tbs->time)) != 0)
			return gp_err_ctx(r, "timeInfo");
		/* re-embed for encoding: the bytes as received */
		p = d->seal->der;
		d->s4->tbs->eseal = d2i_SESEAL4(NULL, &p, (long)d->seal->der_len);
		if (d->s4->tbs->eseal == NULL)
			return gp_err_ossl(GP_E_INTERNAL, "cannot re-read the seal");
		if ((n = i2d_TBS_SIGN4(d->s4->tbs, &d->tbs)) <= 0)
			return gp_err_ossl(GP_E_INTERNAL, "cannot encode TBS_Sign");
		d->tbslen = (size_t)n;
		{
			long v;
			int64_t v64;
			v = ASN1_INTEGER_get_int64(&v64, d->s4->tbs->version) == 1 ? (long)v64 : -1;
			d->version = (int)v;
		}
		return 0;
	}
	ERR_clear_error();
	p = der;
	if ((d->s1 = d2i_SES_SIGNATURE1(NULL, &p, (long)len)) != NULL) {
		SESEAL1 *e;
		int64_t v64;
		if (p != der + len)
			return gp_err(GP_E_PARSE, "%zu bytes after the signature", len - (size_t)(p - der));
		if ((r = x509_from_os(&d->signer, d->s1->tbs->cert)) != 0)
			return gp_err_ctx(r, "the signer's certificate");
		if ((n = i2d_TBS_SIGN1(d->s1->tbs, &d->tbs)) <= 0)
			return gp_err_ossl(GP_E_INTERNAL, "cannot encode TBS_Sign");
		d->tbslen = (size_t)n;
		e = d->s1->tbs->eseal;
		d->s1->tbs->eseal = NULL;
		if ((r = gp_seal_from_asn1(&d->seal, NULL, e)) != 0)
			return gp_err_ctx(r, "the embedded seal");
		d->alg = d->s1->tbs->alg;
		d->sig = d->s1->sig;
		d->hash = d->s1->tbs->data_hash;
		d->version = ASN1_INTEGER_get_int64(&v64, d->s1->tbs->version) == 1 ? (int)v64 : -1;
		if ((r = v1_time(d, d->s1->tbs->time)) != 0)
			return r;
		return 0;
	}
	return gp_err_ossl(GP_E_PARSE, "not a GB/T 38540 or GM/T 0031 seal signature");
}

int
gp_seal_sig_parse(gp_seal **seal, X509 **signer, int64_t *time, char **property,
    const unsigned char *der, size_t len)
{
	struct dsig d;
	const ASN1_IA5STRING *pi;
	int r;

	if (seal != NULL)
		*seal = NULL;
	if (signer != NULL)
		*signer = NULL;
	if (time != NULL)
		*time = 0;
	if (property != NULL)
		*property = NULL;
	if ((r = dsig_decode(&d, der, len)) != 0)
		goto out;
	pi = d.s4 ? d.s4->tbs->property : d.s1->tbs->property;
	if (property != NULL) {
		if ((*property = OPENSSL_malloc((size_t)ASN1_STRING_length(pi) + 1)) == NULL) {
			r = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(*property, ASN1_STRING_get0_data(pi), (size_t)ASN1_STRING_length(pi));
		(*property)[ASN1_STRING_length(pi)] = '\0';
	}
	if (time != NULL)
		*time = d.time;
	if (seal != NULL) {
		*seal = d.seal;
		d.seal = NULL;
	}
	if (signer != NULL) {
		*signer = d.signer;
		d.signer = NULL;
	}
	r = 0;
out:
	dsig_clear(&d);
	return r;
}

int
gp_seal_sig_verify(gp_verify_result **out, const unsigned char *der, size_t len,
    const gp_seal_verify_params *params)
{
	gp_seal_verify_params pv;
	const gp_seal_verify_params *p = &pv;
	gp_verify_result *res = NULL;
	struct dsig d;
	EVP_PKEY *pub;
	unsigned char h[EVP_MAX_MD_SIZE];
	size_t hlen = 0;
	int64_t at, ts_time = 0;
	char tbuf[21], tbuf2[80];
	int r, raw = 0, source;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_sig_verify: NULL argument");
	*out = NULL;
	if ((r = verify_params_in(&pv, params, "gp_seal_sig_verify")) != 0)
		return r;
	if ((r = dsig_decode(&d, der, len)) != 0)
		goto out;
	if ((r = gp_vres_new(&res)) != 0)
		goto out;
	/* 1. the structure; TBS_Sign's version is the seal's (§8.2 a) */
	if (critical_ext(d.s4 ? d.s4->tbs->ext : d.s1->tbs->ext, tbuf2, sizeof(tbuf2)) ||
	    critical_ext(d.seal->s4 ? d.seal->s4->info->ext : d.seal->s1->info->ext, tbuf2, sizeof(tbuf2)))
		r = gp_vres_add(res, "structure", GP_STEP_FAIL, "unknown critical extension %s", tbuf2);
	else if (d.version == d.seal->version || (d.s1 != NULL && d.version >= 1 && d.version <= 2 &&
	    d.seal->version <= 2))
		r = gp_vres_add(res, "structure", GP_STEP_PASS, "SES_Signature version %d, seal %s version %d",
		    d.version, d.seal->id, d.seal->version);
	else
		r = gp_vres_add(res, "structure", GP_STEP_FAIL, "the signature's version %d differs from the seal's %d",
		    d.version, d.seal->version);
	if (r != 0)
		goto out;
	/* 2. the signer's signature over DER(TBS_Sign) as received */
	pub = X509_get0_pubkey(d.signer);           /* borrowed */
	if (pub == NULL)
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "the signer's public key does not decode");
	else if (gp_seal_sig_check(pub, d.alg, ASN1_STRING_get0_data(d.sig),
	    (size_t)ASN1_STRING_length(d.sig), d.tbs, d.tbslen, &raw) == 0) {
		char oid[80];
		OBJ_obj2txt(oid, sizeof(oid), d.alg, 1);
		r = gp_vres_add(res, "signature", GP_STEP_PASS, "%s over TBS_Sign%s", oid, raw ? RAW_NOTE : "");
	} else
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "%s", gp_error_last());
	if (r != 0)
		goto out;
	/* 4. the time-stamp covers the signature value (v4), or is timeInfo (v1) */
	if (d.tok != NULL) {
		const unsigned char *data = ASN1_STRING_get0_data(d.sig);
		size_t dlen = (size_t)ASN1_STRING_length(d.sig);
		STACK_OF(X509) *tr = p->tsa_roots ? p->tsa_roots : p->roots;
		if (d.s1 != NULL) {
			/* GM/T 0031-2014: timeInfo's token is over the document hash */
			data = ASN1_STRING_get0_data(d.hash);
			dlen = (size_t)ASN1_STRING_length(d.hash);
		}
		if ((r = gp_ts_verify(&ts_time, d.tok, d.toklen, data, dlen, tr, p->untrusted)) == 0) {
			gp_time_iso(tbuf, ts_time);
			r = gp_vres_add(res, "time-stamp", GP_STEP_PASS, "RFC 3161 token of %s", tbuf);
		} else {
			ts_time = 0;    /* a token that does not verify proves no time */
			r = gp_vres_add(res, "time-stamp", GP_STEP_FAIL, "%s", gp_error_last());
		}
	} else
		r = gp_vres_add(res, "time-stamp", GP_STEP_SKIP, "no time-stamp");
	if (r != 0)
		goto out;
	/* the time every check is made at: --at, else the time-stamp's, else
	 * timeInfo; proven only when it is the time-stamp's */
	if (p->at != 0 && p->at != ts_time) {
		at = p->at;
		source = GP_TIME_ASSERTED;
	} else if (ts_time != 0) {
		at = ts_time;
		source = GP_TIME_STAMPED;
	} else {
		at = d.time;
		source = GP_TIME_SIGNER;
	}
	gp_vres_set_facts(res, d.seal->id, d.time, ts_time);
	gp_vres_set_checked(res, at, source);
	/* 3. the signer's chain at that time */
	if ((r = step_chain(res, "signer", d.signer, p, at)) != 0)
		goto out;
	/* 5. the document */
	if (p->doc != NULL || p->hash != NULL) {
		const unsigned char *want = ASN1_STRING_get0_data(d.hash);
		size_t wlen = (size_t)ASN1_STRING_length(d.hash);
		if (p->hash != NULL) {
			memcpy(h, p->hash, p->hash_len < sizeof(h) ? p->hash_len : sizeof(h));
			hlen = p->hash_len < sizeof(h) ? p->hash_len : sizeof(h);
		} else if (pub == NULL || (r = gp_seal_doc_hash(h, &hlen, pub, p->doc, p->doc_len)) != 0) {
			r = gp_vres_add(res, "document", GP_STEP_FAIL, "cannot hash the document");
			goto steps;
		}
		if (hlen == wlen && memcmp(h, want, hlen) == 0)
			r = gp_vres_add(res, "document", GP_STEP_PASS, "the %s hash matches",
			    p->hash ? "given" : "document's");
		else
			r = gp_vres_add(res, "document", GP_STEP_FAIL, "the %s hash differs from dataHash",
			    p->hash ? "given" : "document's");
	} else
		r = gp_vres_add(res, "document", GP_STEP_SKIP, "not checked: no document or hash given");
steps:
	if (r != 0)
		goto out;
	/* 6-7. the seal at the signing time */
	if ((r = seal_steps(res, d.seal, p, at, source, 1)) != 0)
		goto out;
	/* 8. the signer is one of the seal's holders */
	if (gp_seal_has_holder(d.seal, d.signer))
		r = gp_vres_add(res, "holder", GP_STEP_PASS, "the signer is in the seal's %s list",
		    d.seal->cert_list_type == GP_SEAL_CERTS ? "certificate" : "digest");
	else
		r = gp_vres_add(res, "holder", GP_STEP_FAIL, "the signer is not one of the seal's holders");
	if (r != 0)
		goto out;
	*out = res;
	res = NULL;
out:
	gp_verify_result_free(res);
	dsig_clear(&d);
	return r;
}
