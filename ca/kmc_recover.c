/* ca/kmc_recover.c: key recovery: recovery officers, M-of-N approvals, delivery to a named certificate */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <govpki/audit.h>
#include <govpki/config.h>
#include <govpki/kmc.h>
#include <govpki/x509util.h>

#include "ca_int.h"
#include "error_int.h"
#include "kmc_int.h"
#include "store_kmc_int.h"
#include "util.h"

#define STATEMENT_LABEL "govpki kmc recovery approval v1"

/* the keys of [kmc] (docs/kmc.md) */
static const char *const kmc_keys[] = { "recovery_approvals", NULL };

/* A refusal is audited in a transaction of its own, and the caller still
 * gets the refusal's message and code. */
static int
refuse(gp_store *s, const char *actor, int64_t id, int code, const char *detail)
{
	char msg[512], object[48];

	snprintf(msg, sizeof(msg), "%s", gp_error_last());
	snprintf(object, sizeof(object), "recovery:%lld", (long long)id);
	(void)gp_audit_append(s, actor ? actor : "ca-tool", GP_AUDIT_KMC_RECOVERY_REFUSE, object, detail);
	return gp_err(code, "%s", msg);
}

static int
cert_der(unsigned char **out, size_t *outlen, X509 *x)
{
	unsigned char *der = NULL;
	int n;

	*out = NULL;
	if ((n = i2d_X509(x, &der)) <= 0)
		return gp_err_ossl(GP_E_CRYPTO, "kmc: encoding a certificate");
	if ((*out = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	memcpy(*out, der, (size_t)n);
	*outlen = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

int
gp_kmc_officer_add(struct gp_ctx *ctx, const char *name, X509 *cert, const char *actor)
{
	gp_kmc_officer o;
	gp_store *s;
	char object[160];
	int r;

	memset(&o, 0, sizeof(o));
	if (ctx == NULL || cert == NULL)
		return gp_err(GP_E_INVALID, "kmc officer add: a home and a certificate are required");
	if (name == NULL || *name == '\0' || strlen(name) > 128 || strchr(name, ':') != NULL)
		return gp_err(GP_E_INVALID, "kmc officer add: a name of 1 to 128 characters, without ':'");
	if (X509_get0_pubkey(cert) == NULL)
		return gp_err_ossl(GP_E_INVALID, "kmc officer add: the certificate's key cannot be read");
	s = gp_ctx_store(ctx);
	o.name = (char *)name;
	o.role = (char *)GP_KMC_ROLE_RECOVERY;
	o.created = gp_now();
	if ((r = gp_x509_fingerprint(cert, o.fingerprint)) != 0 ||
	    (r = cert_der(&o.cert, &o.cert_len, cert)) != 0)
		goto out;
	snprintf(object, sizeof(object), "kmc-officer:%s", name);
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	if ((r = gp_store_kmc_officer_add(s, &o)) != 0 ||
	    (r = gp_audit_append(s, actor ? actor : "ca-tool", GP_AUDIT_KMC_OFFICER_ADD, object,
	    "role=" GP_KMC_ROLE_RECOVERY)) != 0) {
		gp_store_rollback(s);
		goto out;
	}
	r = gp_store_commit(s);
out:
	free(o.cert);
	return r;
}

int
gp_kmc_officer_list(struct gp_ctx *ctx, gp_kmc_officer_cb cb, void *arg)
{
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "kmc officer list: no home");
	return gp_store_kmc_officer_list(gp_ctx_store(ctx), cb, arg);
}

/* How many enabled recovery officers there are (N). */
static int
count_cb(void *arg, const gp_kmc_officer *o)
{
	if (o->enabled)
		(*(int *)arg)++;
	return 0;
}

int
gp_kmc_recovery_request(int64_t *id, struct gp_ctx *ctx, const char *kid, X509 *recipient,
    const char *requester, const char *reason)
{
	gp_kmc_recovery rec;
	gp_kmc_key_info *k = NULL;
	EVP_PKEY *rpub;
	gp_store *s;
	long m = 2;
	int n = 0, r;
	char object[48], detail[256];

	memset(&rec, 0, sizeof(rec));
	if (id != NULL)
		*id = 0;
	if (ctx == NULL || kid == NULL || recipient == NULL || requester == NULL)
		return gp_err(GP_E_INVALID, "kmc recover: a key, a recipient certificate and a "
		    "requester are required");
	if (reason != NULL && strlen(reason) > 1024)
		return gp_err(GP_E_INVALID, "kmc recover: the reason is longer than 1024 characters");
	s = gp_ctx_store(ctx);
	if ((r = gp_config_check_keys(gp_ctx_config(ctx), "kmc", kmc_keys)) != 0 ||
	    (r = gp_config_long(&m, gp_ctx_config(ctx), "kmc", "recovery_approvals", 2, 2, 16)) != 0)
		return r;
	if ((r = gp_store_kmc_get(s, kid, &k)) != 0)
		return r;
	if ((rpub = X509_get0_pubkey(recipient)) == NULL) {
		r = gp_err_ossl(GP_E_INVALID, "kmc recover: the recipient certificate's key cannot be read");
		goto out;
	}
	/* refuse now what could never be delivered */
	if (strcmp(k->type, "sm2") == 0 ? !gp_key_is_sm2(rpub) :
	    !(EVP_PKEY_is_a(rpub, "RSA") || EVP_PKEY_is_a(rpub, "EC"))) {
		r = gp_err(GP_E_POLICY, "kmc recover: a %s key is delivered to %s recipients only",
		    k->type, strcmp(k->type, "sm2") == 0 ? "SM2" : "RSA or EC");
		goto out;
	}
	if ((r = gp_store_kmc_officer_list(s, count_cb, &n)) != 0)
		goto out;
	if (n < m) {
		r = gp_err(GP_E_STATE, "kmc recover: %ld approvals are needed ([kmc] recovery_approvals) "
		    "and only %d recovery officers are enabled", m, n);
		goto out;
	}
	rec.kid = k->kid;
	rec.requester = (char *)requester;
	rec.reason = (char *)reason;
	rec.needed = (int)m;
	rec.created = gp_now();
	if ((r = cert_der(&rec.recipient, &rec.recipient_len, recipient)) != 0)
		goto out;
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	if ((r = gp_store_kmc_recovery_add(s, &rec)) != 0) {
		gp_store_rollback(s);
		goto out;
	}
	snprintf(object, sizeof(object), "recovery:%lld", (long long)rec.id);
	snprintf(detail, sizeof(detail), "kid=%s requester=%.128s needs=%d of %d", k->kid, requester,
	    rec.needed, n);
	if ((r = gp_audit_append(s, requester, GP_AUDIT_KMC_RECOVERY_REQUEST, object, detail)) != 0) {
		gp_store_rollback(s);
		goto out;
	}
	if ((r = gp_store_commit(s)) != 0)
		goto out;
	if (id != NULL)
		*id = rec.id;
out:
	free(rec.recipient);
	gp_kmc_key_info_free(k);
	return r;
}

int
gp_kmc_recovery_get(gp_kmc_recovery **out, struct gp_ctx *ctx, int64_t id)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "kmc recover: no output");
	*out = NULL;
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "kmc recover: no home");
	return gp_store_kmc_recovery_get(gp_ctx_store(ctx), id, out);
}

int
gp_kmc_recovery_statement(unsigned char **out, size_t *outlen, const gp_kmc_recovery *rec)
{
	unsigned char h[32];
	char hex[65], *buf;
	int n;

	if (out == NULL || outlen == NULL || rec == NULL || rec->kid == NULL || rec->requester == NULL ||
	    rec->recipient == NULL)
		return gp_err(GP_E_INVALID, "kmc recover: no request");
	*out = NULL;
	if (EVP_Digest(rec->recipient, rec->recipient_len, h, NULL, EVP_sha256(), NULL) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "kmc recover: SHA-256 failed");
	gp_hex_encode(hex, h, sizeof(h));
	n = snprintf(NULL, 0, "%s\nid=%lld\nkid=%s\nrequester=%s\nrecipient-sha256=%s\n",
	    STATEMENT_LABEL, (long long)rec->id, rec->kid, rec->requester, hex);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(buf, (size_t)n + 1, "%s\nid=%lld\nkid=%s\nrequester=%s\nrecipient-sha256=%s\n",
	    STATEMENT_LABEL, (long long)rec->id, rec->kid, rec->requester, hex);
	*out = (unsigned char *)buf;
	*outlen = (size_t)n;
	return 0;
}

/* sig over st verifies with the officer's registered certificate. */
static int
officer_sig_ok(const gp_kmc_officer *o, const unsigned char *st, size_t stlen,
    const unsigned char *sig, size_t siglen)
{
	const unsigned char *p = o->cert;
	EVP_MD_CTX *mc = NULL;
	EVP_PKEY *pub;
	X509 *x = NULL;
	const char *md;
	int ok = 0;

	if ((x = d2i_X509(NULL, &p, (long)o->cert_len)) == NULL || (pub = X509_get0_pubkey(x)) == NULL)
		goto out;
	md = gp_key_is_sm2(pub) ? "SM3" : EVP_PKEY_is_a(pub, "ED25519") ? NULL :
	    (EVP_PKEY_is_a(pub, "EC") && EVP_PKEY_get_bits(pub) == 384) ? "SHA384" : "SHA256";
	if (gp_verify_ctx_new(&mc, pub, md) != 0)
		goto out;
	ok = EVP_DigestVerify(mc, sig, siglen, st, stlen) == 1;
out:
	gp_error_clear();
	ERR_clear_error();
	EVP_MD_CTX_free(mc);
	X509_free(x);
	return ok;
}

int
gp_kmc_recovery_approve(int *count, struct gp_ctx *ctx, int64_t id, const char *officer,
    const unsigned char *sig, size_t siglen, const char *actor)
{
	gp_kmc_recovery *rec = NULL, *now = NULL;
	gp_kmc_officer *o = NULL;
	unsigned char *st = NULL;
	size_t stlen = 0;
	gp_store *s;
	char object[48], detail[200];
	int r;

	if (count != NULL)
		*count = 0;
	if (ctx == NULL || officer == NULL || sig == NULL || siglen == 0)
		return gp_err(GP_E_INVALID, "kmc recover: an officer and a signature are required");
	s = gp_ctx_store(ctx);
	actor = actor ? actor : officer;
	if ((r = gp_store_kmc_recovery_get(s, id, &rec)) != 0)
		return r;
	snprintf(detail, sizeof(detail), "officer=%.128s", officer);
	if (rec->status != GP_KMC_RECOVERY_PENDING) {
		r = gp_err(GP_E_STATE, "key recovery request %lld was carried out already", (long long)id);
		goto out;
	}
	if ((r = gp_store_kmc_officer_get(s, officer, &o)) == GP_E_NOTFOUND ||
	    (r == 0 && (!o->enabled || strcmp(o->role, GP_KMC_ROLE_RECOVERY) != 0))) {
		gp_err(GP_E_DENIED, "%.128s is no enabled officer of role " GP_KMC_ROLE_RECOVERY
		    ": approval refused", officer);
		r = refuse(s, actor, id, GP_E_DENIED, detail);
		goto out;
	}
	if (r != 0)
		goto out;
	if (strcmp(rec->requester, officer) == 0) {
		gp_err(GP_E_DENIED, "%.128s asked for this recovery and may not approve it", officer);
		r = refuse(s, actor, id, GP_E_DENIED, detail);
		goto out;
	}
	if ((r = gp_kmc_recovery_statement(&st, &stlen, rec)) != 0)
		goto out;
	if (!officer_sig_ok(o, st, stlen, sig, siglen)) {
		gp_err(GP_E_DENIED, "the approval of %.128s does not verify with its registered "
		    "certificate: refused", officer);
		r = refuse(s, actor, id, GP_E_DENIED, detail);
		goto out;
	}
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	r = gp_store_kmc_approval_add(s, id, officer, gp_now());
	if (r == GP_E_EXISTS) {
		/* the same officer twice counts once: nothing to record */
		gp_store_rollback(s);
		r = 0;
	} else {
		snprintf(object, sizeof(object), "recovery:%lld", (long long)id);
		if (r != 0 || (r = gp_audit_append(s, actor, GP_AUDIT_KMC_RECOVERY_APPROVE, object,
		    detail)) != 0) {
			gp_store_rollback(s);
			goto out;
		}
		if ((r = gp_store_commit(s)) != 0)
			goto out;
	}
	if ((r = gp_store_kmc_recovery_get(s, id, &now)) != 0)
		goto out;
	if (count != NULL)
		*count = now->approvals;
out:
	gp_free(st);
	gp_kmc_officer_free(o);
	gp_kmc_recovery_free(rec);
	gp_kmc_recovery_free(now);
	return r;
}

int
gp_kmc_recover(unsigned char **out, size_t *outlen, int *format, gp_kmc *kmc, int64_t id,
    const char *actor)
{
	gp_kmc_recovery *rec = NULL;
	gp_kmc_key_info *k = NULL;
	EVP_PKEY *key = NULL;
	X509 *rcert = NULL;
	unsigned char *env = NULL;
	const unsigned char *p;
	size_t envlen = 0;
	gp_store *s;
	char object[48], detail[256];
	int r, fmt = 0, in_tx = 0;

	if (out == NULL || outlen == NULL)
		return gp_err(GP_E_INVALID, "kmc recover: no output");
	*out = NULL;
	if (kmc == NULL)
		return gp_err(GP_E_INVALID, "kmc recover: no KMC");
	s = gp_ctx_store(kmc->ctx);
	actor = actor ? actor : "ca-tool";
	if ((r = gp_store_kmc_recovery_get(s, id, &rec)) != 0)
		return r;
	snprintf(object, sizeof(object), "recovery:%lld", (long long)id);
	if (rec->status != GP_KMC_RECOVERY_PENDING) {
		r = gp_err(GP_E_STATE, "key recovery request %lld was carried out already", (long long)id);
		goto out;
	}
	if (rec->approvals < rec->needed) {
		gp_err(GP_E_DENIED, "key recovery request %lld has %d of the %d approvals it needs: "
		    "nothing released", (long long)id, rec->approvals, rec->needed);
		snprintf(detail, sizeof(detail), "approvals=%d needed=%d", rec->approvals, rec->needed);
		r = refuse(s, actor, id, GP_E_DENIED, detail);
		goto out;
	}
	p = rec->recipient;
	if ((rcert = d2i_X509(NULL, &p, (long)rec->recipient_len)) == NULL) {
		r = gp_err_ossl(GP_E_VERIFY, "kmc recover: the request's recipient certificate is damaged");
		goto out;
	}
	if ((r = gp_store_kmc_get(s, rec->kid, &k)) != 0 || (r = gp_kmc_unseal(&key, kmc, k)) != 0)
		goto out;
	if ((r = gp_kmc_envelope_make(&env, &envlen, &fmt, key, rcert)) != 0)
		goto out;
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	in_tx = 1;
	snprintf(detail, sizeof(detail), "kid=%s approvals=%d format=%s", rec->kid, rec->approvals,
	    fmt == GP_KMC_ENVELOPE_SM2 ? "sm2" : "cms");
	if ((r = gp_store_kmc_recovery_done(s, id)) != 0 ||
	    (r = gp_audit_append(s, actor, GP_AUDIT_KMC_RECOVER, object, detail)) != 0)
		goto out;
	in_tx = 0;
	if ((r = gp_store_commit(s)) != 0)
		goto out;
	*out = env;
	*outlen = envlen;
	env = NULL;
	if (format != NULL)
		*format = fmt;
out:
	if (in_tx)
		gp_store_rollback(s);
	OPENSSL_free(env);
	EVP_PKEY_free(key);
	X509_free(rcert);
	gp_kmc_key_info_free(k);
	gp_kmc_recovery_free(rec);
	return r;
}
