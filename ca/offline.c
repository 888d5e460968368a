/* ca/offline.c: CAs whose key or parent is elsewhere: a CA's CSR, a CA certificate and CRLs made on another machine installed (an offline root) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <govpki/audit.h>
#include <govpki/key.h>
#include <govpki/verify.h>
#include <govpki/x509util.h>

#include "ca_int.h"
#include "error_int.h"
#include "util.h"

/* A CSR (RFC 2986) of key for subject, DER into *der (free()). */
static int
make_csr(unsigned char **der, size_t *len, EVP_PKEY *key, const X509_NAME *subject)
{
	X509_REQ *req = NULL;
	unsigned char *buf = NULL, *p;
	int n, r;

	*der = NULL;
	*len = 0;
	if ((req = X509_REQ_new()) == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, subject) != 1 || X509_REQ_set_pubkey(req, key) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot build the CSR");
		goto out;
	}
	if ((r = gp_req_sign(req, key)) != 0)
		goto out;
	if ((n = i2d_X509_REQ(req, NULL)) <= 0 || (buf = malloc((size_t)n)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode the CSR");
		goto out;
	}
	p = buf;
	i2d_X509_REQ(req, &p);
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	X509_REQ_free(req);
	return r;
}

int
gp_ca_csr(unsigned char **der, size_t *len, gp_ca *ca)
{
	int r;

	if (der == NULL || len == NULL || ca == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_csr: NULL argument");
	*der = NULL;
	*len = 0;
	if ((r = gp_ca_need_key(ca)) != 0)
		return r;
	return make_csr(der, len, ca->key, X509_get_subject_name(ca->cert));
}

int
gp_ca_csr_new(unsigned char **der, size_t *len, gp_ctx *ctx, const gp_ca_params *params)
{
	gp_ca_params pv;
	const gp_ca_params *p = &pv;
	gp_ca_info *existing = NULL;
	X509_NAME *subj = NULL;
	EVP_PKEY *key = NULL;
	char *keyabs = NULL, *keyrel = NULL;
	int r, written = 0;

	if (der == NULL || len == NULL || ctx == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_csr_new: NULL argument");
	*der = NULL;
	*len = 0;
	if ((r = gp_params_in(&pv, sizeof(pv), params, GP_PARAMS_END(gp_ca_params, policy),
	    "gp_ca_csr_new")) != 0)
		return r;
	if (!gp_ca_name_valid(p->name))
		return gp_err(GP_E_INVALID, "bad CA name '%s': use 1 to 64 of A-Z a-z 0-9 . _ -",
		    p->name ? p->name : "");
	if (p->subject == NULL)
		return gp_err(GP_E_INVALID, "CA %s: no subject given", p->name);
	r = gp_store_ca_get(ctx->store, p->name, &existing);
	gp_ca_info_free(existing);
	if (r == 0)
		return gp_err(GP_E_EXISTS, "a CA named '%s' exists already: its CSR is "
		    "ca-tool csr --ca %s", p->name, p->name);
	if (r != GP_E_NOTFOUND)
		return r;
	gp_error_clear();
	if ((r = gp_name_parse(&subj, p->subject)) != 0)
		goto out;
	if (X509_NAME_entry_count(subj) == 0) {
		r = gp_err(GP_E_INVALID, "CA %s: a CA needs a subject (RFC 5280 §4.1.2.6)", p->name);
		goto out;
	}
	if ((r = gp_ca_key_obtain(&key, &keyabs, &keyrel, ctx, p)) != 0) {
		if (r == GP_E_EXISTS)
			gp_err_ctx(r, "a CSR for a new key is made once (remove the file to start again)");
		goto out;
	}
	/* the key is not another CA's of this store, nor compromised */
	{
		unsigned char h[32];

		if ((r = gp_pubkey_hash(h, key)) != 0 || (r = gp_ca_key_refused(ctx->store, h)) != 0)
			goto out;
	}
	if ((r = make_csr(der, len, key, subj)) != 0)
		goto out;
	if (keyabs != NULL) {
		if ((r = gp_key_save(keyabs, key, p->pass, p->passlen)) != 0)
			goto out;
		written = 1;
	}
	r = 0;
out:
	if (r != 0) {
		if (written)
			unlink(keyabs);
		free(*der);
		*der = NULL;
		*len = 0;
	}
	free(keyabs);
	free(keyrel);
	EVP_PKEY_free(key);
	X509_NAME_free(subj);
	return r;
}

/* The CA of the store that issued cert (its subject is cert's issuer and
 * its key verifies cert's signature), or *out NULL. */
static int
find_issuer(gp_ca_info **out, gp_store *st, X509 *cert)
{
	gp_ca_info **cas = NULL;
	size_t n = 0, i;
	int r;

	*out = NULL;
	if ((r = gp_store_ca_list(st, &cas, &n)) != 0)
		return r;
	for (i = 0; i < n && *out == NULL; i++) {
		X509 *c = NULL;

		if (gp_cert_parse(&c, cas[i]->cert_der, cas[i]->cert_len) != 0 ||
		    gp_x509_prepare_sm2(c) != 0) {
			X509_free(c);
			r = gp_err(GP_E_STORE, "store: CA %s has a certificate that does not parse",
			    cas[i]->name);
			break;
		}
		if (X509_check_issued(c, cert) == X509_V_OK && X509_verify(cert, X509_get0_pubkey(c)) == 1) {
			*out = cas[i];
			cas[i] = NULL;
		}
		X509_free(c);
	}
	ERR_clear_error();
	gp_ca_info_list_free(cas, n);
	return r;
}

/* The certificates from info up to its root: the root into anchors, the
 * others into untrusted. */
static int
chain_of(STACK_OF(X509) *anchors, STACK_OF(X509) *untrusted, gp_store *st, const gp_ca_info *info)
{
	gp_ca_info *cur = NULL, *next;
	int64_t id = info->id;
	int r = 0, depth = 0;

	while (r == 0) {
		X509 *c = NULL;

		if ((r = gp_store_ca_get_id(st, id, &next)) != 0)
			break;
		gp_ca_info_free(cur);
		cur = next;
		if ((r = gp_cert_parse(&c, cur->cert_der, cur->cert_len)) != 0 ||
		    (r = gp_x509_prepare_sm2(c)) != 0) {
			X509_free(c);
			break;
		}
		if (!sk_X509_push(cur->parent_id == 0 ? anchors : untrusted, c)) {
			X509_free(c);
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			break;
		}
		if (cur->parent_id == 0)
			break;
		if (++depth > 32) {
			r = gp_err(GP_E_STORE, "store: the CA chain of %s does not end", info->name);
			break;
		}
		id = cur->parent_id;
	}
	gp_ca_info_free(cur);
	return r;
}

/*
 * The certificate must be one a CA signs with: RFC 5280 §4.2.1.9 cA TRUE,
 * §4.2.1.3 keyCertSign, and valid now.  A root signs itself; any other
 * is checked up to the store's root by the verification engine.
 */
static int
check_ca_cert(X509 *cert, gp_store *st, const gp_ca_info *parent)
{
	STACK_OF(X509) *anchors = NULL, *untrusted = NULL;
	int r;

	if (X509_check_ca(cert) != 1 || !(X509_get_extension_flags(cert) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN))
		return gp_err(GP_E_POLICY, "not a CA certificate: it needs basicConstraints cA "
		    "and keyUsage keyCertSign (RFC 5280 §4.2.1.9, §4.2.1.3)");
	if (parent == NULL) {
		if (X509_check_issued(cert, cert) != X509_V_OK ||
		    X509_verify(cert, X509_get0_pubkey(cert)) != 1) {
			ERR_clear_error();
			return gp_err(GP_E_NOTFOUND, "its issuer is not a CA of this store and it is "
			    "not a self-signed root: import the issuer's certificate first");
		}
		if (X509_cmp_time(X509_get0_notBefore(cert), NULL) >= 0 ||
		    X509_cmp_time(X509_get0_notAfter(cert), NULL) <= 0)
			return gp_err(GP_E_VERIFY, "the root certificate is not valid now");
		return 0;
	}
	if ((anchors = sk_X509_new_null()) == NULL || (untrusted = sk_X509_new_null()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = chain_of(anchors, untrusted, st, parent)) != 0)
		goto out;
	if ((r = gp_verify_chain(cert, anchors, untrusted, NULL, 0, GP_PURPOSE_ANY)) != 0)
		gp_err_ctx(r, "the certificate does not validate under CA %s", parent->name);
out:
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_pop_free(untrusted, X509_free);
	return r;
}

int
gp_ca_import(gp_ctx *ctx, const char *name, const unsigned char *der, size_t len,
    const char *key_uri, const char *pass, size_t passlen, const char *actor)
{
	gp_ca_info *existing = NULL, *parent = NULL, info;
	gp_cert_info cinfo;
	gp_key_block kb;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char *keyabs = NULL, *keyrel = NULL, *kp = NULL, *subject = NULL, detail[512], fp[65];
	unsigned char fpb[32];
	int r, in_tx = 0;

	memset(&info, 0, sizeof(info));
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&kb, 0, sizeof(kb));
	if (ctx == NULL || der == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_import: NULL argument");
	if (!gp_ca_name_valid(name))
		return gp_err(GP_E_INVALID, "bad CA name '%s': use 1 to 64 of A-Z a-z 0-9 . _ -",
		    name ? name : "");
	r = gp_store_ca_get(ctx->store, name, &existing);
	gp_ca_info_free(existing);
	if (r == 0)
		return gp_err(GP_E_EXISTS, "a CA named '%s' exists already", name);
	if (r != GP_E_NOTFOUND)
		return r;
	gp_error_clear();
	if ((r = gp_cert_parse(&cert, der, len)) != 0 || (r = gp_x509_prepare_sm2(cert)) != 0)
		goto out;
	if ((r = find_issuer(&parent, ctx->store, cert)) != 0 ||
	    (r = check_ca_cert(cert, ctx->store, parent)) != 0)
		goto out;
	/* its key: named, or the one `ca-tool csr` left at keys/NAME.key, or
	 * none here (an offline root, an outside CA): it then signs nothing */
	if (key_uri == NULL) {
		if ((r = gp_ca_new_key_path(ctx, name, &keyabs, &keyrel)) != 0)
			goto out;
		if (access(keyabs, F_OK) != 0) {
			free(keyrel);
			keyrel = NULL;
		}
	} else if ((r = gp_strdup(&keyrel, key_uri)) != 0) {
		goto out;
	}
	if (keyrel != NULL) {
		if ((r = gp_ctx_path(ctx, keyrel, &kp)) != 0 ||
		    (r = gp_key_load(&key, kp, pass, passlen)) != 0)
			goto out;
		if (X509_check_private_key(cert, key) != 1) {
			r = gp_err_ossl(GP_E_INVALID, "key %s does not match the certificate", kp);
			goto out;
		}
	}
	if ((r = gp_x509_key_hash(kb.hash, cert)) != 0 ||
	    (r = gp_ca_key_refused(ctx->store, kb.hash)) != 0 ||
	    (r = gp_x509_fingerprint(cert, fpb)) != 0)
		goto out;
	gp_hex_encode(fp, fpb, 32);
	info.name = (char *)name;
	info.parent_id = parent != NULL ? parent->id : 0;
	info.key_uri = keyrel != NULL ? keyrel : (char *)"";
	if (key != NULL) {
		gp_key_type kt;
		int bits;

		info.key_type = gp_key_classify(&kt, &bits, key) == 0 ?
		    (char *)gp_key_type_name(kt) : (char *)"unknown";
	} else {
		gp_key_type kt;
		int bits;

		info.key_type = gp_key_classify(&kt, &bits, X509_get0_pubkey(cert)) == 0 ?
		    (char *)gp_key_type_name(kt) : (char *)"unknown";
	}
	info.cert_der = (unsigned char *)der;
	info.cert_len = len;
	info.created = gp_now();
	if ((r = gp_store_begin(ctx->store)) != 0)
		goto out;
	in_tx = 1;
	if ((r = gp_store_ca_add(ctx->store, &info)) != 0)
		goto out;
	kb.why = GP_KEY_BLOCK_CA;
	kb.ca_id = info.id;
	kb.at = info.created;
	if ((r = gp_store_key_block_add(ctx->store, &kb)) != 0)
		goto out;
	/* as gp_ca_create records a sub-CA: a certificate of its parent */
	if (parent != NULL &&
	    ((r = gp_ca_cert_info(&cinfo, cert, parent->id, "imported", NULL)) != 0 ||
	    (r = gp_store_cert_add(ctx->store, &cinfo)) != 0))
		goto out;
	if ((r = gp_name_to_string(&subject, X509_get_subject_name(cert))) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "imported subject=%s parent=%s key=%s sha256=%s", subject,
	    parent != NULL ? parent->name : "(self-signed)", keyrel != NULL ? "here" : "elsewhere", fp);
	if ((r = gp_audit_append(ctx->store, actor ? actor : "ca-tool", GP_AUDIT_CA_CREATE, name,
	    detail)) != 0 ||
	    (r = gp_store_commit(ctx->store)) != 0)
		goto out;
	in_tx = 0;
	r = 0;
out:
	if (in_tx)
		gp_store_rollback(ctx->store);
	gp_ca_cert_info_clear(&cinfo);
	gp_ca_info_free(parent);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(keyabs);
	free(keyrel);
	free(kp);
	gp_free(subject);
	return r;
}

/* The revocations of crl applied to the certificates of CA info the store
 * knows (each through gp_ca_revoke: its own transaction and audit entry;
 * again is harmless), so that this store's OCSP answers and issuance
 * checks follow the CRL signed elsewhere. */
static int
apply_entries(gp_ctx *ctx, const gp_ca_info *info, X509_CRL *crl, const char *actor)
{
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
	int i, r;

	for (i = 0; i < sk_X509_REVOKED_num(rev); i++) {
		const X509_REVOKED *e = sk_X509_REVOKED_value(rev, i);
		const ASN1_INTEGER *sn = X509_REVOKED_get0_serialNumber(e);
		ASN1_ENUMERATED *code;
		int reason = GP_REASON_UNSPECIFIED, status, old;
		int64_t at = 0, when;
		struct tm tm;

		if (ASN1_STRING_length(sn) <= 0 || ASN1_STRING_length(sn) > GP_SERIAL_MAX ||
		    ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
			continue;
		if (gp_store_cert_status(ctx->store, info->id, ASN1_STRING_get0_data(sn),
		    (size_t)ASN1_STRING_length(sn), &status, &at, &old) != 0) {
			gp_error_clear();       /* not a certificate this store knows */
			continue;
		}
		/* RFC 5280 §5.3.1: the entry's reasonCode, absent is unspecified */
		if ((code = X509_REVOKED_get_ext_d2i(e, NID_crl_reason, NULL, NULL)) != NULL) {
			long v = ASN1_ENUMERATED_get(code);

			ASN1_ENUMERATED_free(code);
			if (v >= 0 && v <= GP_REASON_AA_COMPROMISE && v != 7 && v != GP_REASON_REMOVE_FROM_CRL)
				reason = (int)v;
		}
		when = 0;
		if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(e), &tm) == 1)
			when = (int64_t)timegm(&tm);
		if ((r = gp_ca_revoke(ctx, info->name, ASN1_STRING_get0_data(sn),
		    (size_t)ASN1_STRING_length(sn), reason, when, actor)) != 0)
			return r;
	}
	return 0;
}

int
gp_ca_crl_import(gp_crl_info **out, gp_ctx *ctx, const char *name, const unsigned char *der,
    size_t len, const char *actor)
{
	gp_ca_info *info = NULL;
	gp_crl_info *latest = NULL, *crl = NULL;
	X509 *cacert = NULL;
	X509_CRL *x = NULL;
	ASN1_INTEGER *num = NULL, *dind = NULL;
	const unsigned char *p = der;
	char object[96], detail[256];
	struct tm tm;
	int64_t n = 0;
	int r, in_tx = 0;

	if (out != NULL)
		*out = NULL;
	if (ctx == NULL || name == NULL || der == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_crl_import: NULL argument");
	if ((r = gp_store_ca_get(ctx->store, name, &info)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(r, "no CA named '%s'", name);
		goto out;
	}
	if ((x = d2i_X509_CRL(NULL, &p, (long)len)) == NULL || p != der + len) {
		r = gp_err_ossl(GP_E_PARSE, "not a DER CRL (RFC 5280 §5.1)");
		goto out;
	}
	if ((r = gp_cert_parse(&cacert, info->cert_der, info->cert_len)) != 0 ||
	    (r = gp_x509_prepare_sm2(cacert)) != 0)
		goto out;
	if (X509_NAME_cmp(X509_CRL_get_issuer(x), X509_get_subject_name(cacert)) != 0 ||
	    X509_CRL_verify(x, X509_get0_pubkey(cacert)) != 1) {
		r = gp_err_ossl(GP_E_VERIFY, "the CRL is not signed by CA %s", name);
		goto out;
	}
	/* a complete CRL with its number (RFC 5280 §5.2.3); deltas are made
	 * where the key is and not imported */
	num = X509_CRL_get_ext_d2i(x, NID_crl_number, NULL, NULL);
	dind = X509_CRL_get_ext_d2i(x, NID_delta_crl, NULL, NULL);
	if (num == NULL || ASN1_INTEGER_get_int64(&n, num) != 1 || n < 0) {
		r = gp_err(GP_E_POLICY, "the CRL has no cRLNumber (RFC 5280 §5.2.3)");
		goto out;
	}
	if (dind != NULL) {
		r = gp_err(GP_E_POLICY, "a delta CRL is not imported: import the full CRL");
		goto out;
	}
	if (X509_CRL_get0_nextUpdate(x) == NULL) {
		r = gp_err(GP_E_POLICY, "the CRL has no nextUpdate (RFC 5280 §5.1.2.5)");
		goto out;
	}
	if (X509_cmp_time(X509_CRL_get0_nextUpdate(x), NULL) <= 0) {
		r = gp_err(GP_E_STATE, "the CRL's nextUpdate has passed: sign a current one");
		goto out;
	}
	if ((r = gp_store_crl_latest_info(ctx->store, info->id, 0, &latest)) == 0 &&
	    n <= latest->number) {
		r = gp_err(GP_E_STATE, "CRL number %lld is not above the latest of CA %s (%lld): "
		    "CRL numbers only grow (RFC 5280 §5.2.3)", (long long)n, name,
		    (long long)latest->number);
		goto out;
	}
	if (r != 0 && r != GP_E_NOTFOUND)
		goto out;
	gp_error_clear();
	if ((r = apply_entries(ctx, info, x, actor)) != 0)
		goto out;
	if ((crl = calloc(1, sizeof(*crl))) == NULL || (crl->der = malloc(len)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(crl->der, der, len);
	crl->der_len = len;
	crl->ca_id = info->id;
	crl->number = n;
	if (ASN1_TIME_to_tm(X509_CRL_get0_lastUpdate(x), &tm) == 1)
		crl->this_update = (int64_t)timegm(&tm);
	if (ASN1_TIME_to_tm(X509_CRL_get0_nextUpdate(x), &tm) == 1)
		crl->next_update = (int64_t)timegm(&tm);
	if ((r = gp_store_begin(ctx->store)) != 0)
		goto out;
	in_tx = 1;
	snprintf(object, sizeof(object), "%s/crl/%lld", name, (long long)n);
	snprintf(detail, sizeof(detail), "ca=%s number=%lld type=full imported entries=%d", name,
	    (long long)n, sk_X509_REVOKED_num(X509_CRL_get_REVOKED(x)));
	if ((r = gp_store_revision(ctx->store, &crl->revision)) != 0 ||
	    (r = gp_store_crl_add(ctx->store, crl)) != 0 ||
	    (r = gp_audit_append(ctx->store, actor ? actor : "ca-tool", GP_AUDIT_CRL_PUBLISH, object,
	    detail)) != 0 ||
	    (r = gp_store_commit(ctx->store)) != 0)
		goto out;
	in_tx = 0;
	if (out != NULL) {
		*out = crl;
		crl = NULL;
	}
	r = 0;
out:
	if (in_tx)
		gp_store_rollback(ctx->store);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(dind);
	X509_CRL_free(x);
	X509_free(cacert);
	gp_crl_info_free(latest);
	gp_crl_info_free(crl);
	gp_ca_info_free(info);
	return r;
}
