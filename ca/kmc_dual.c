/* ca/kmc_dual.c: dual issuance (a signing and an encryption certificate, GM/T 0034) and pair revocation */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <govpki/audit.h>
#include <govpki/kmc.h>
#include <govpki/x509util.h>

#include "ca_int.h"
#include "error_int.h"
#include "kmc_int.h"
#include "store_kmc_int.h"
#include "util.h"

void
gp_kmc_dual_free(gp_kmc_dual *d)
{
	if (d == NULL)
		return;
	X509_free(d->sign_cert);
	X509_free(d->enc_cert);
	free(d->kid);
	OPENSSL_free(d->envelope);
	free(d);
}

/* The encryption key's type for a signing key: its own kind (SM2 pairs
 * with SM2, GM/T 0034), unless named. */
static int
enc_type_of(gp_key_type *out, const char *name, EVP_PKEY *sign_pub)
{
	int bits = 0, r;

	if (name != NULL) {
		if (gp_key_type_from_name(out, name) != 0)
			return gp_err(GP_E_INVALID, "kmc: unknown encryption key type '%s'", name);
		return gp_kmc_type_ok(*out);
	}
	if ((r = gp_key_classify(out, &bits, sign_pub)) != 0)
		return r;
	if (*out == GP_KEY_ED25519)
		return gp_err(GP_E_POLICY, "kmc: an Ed25519 signing key can receive no envelope: "
		    "the holder needs an SM2, EC or RSA signing key");
	return 0;
}

/* A CSR for the KMC's key: the signing CSR's subject and requested
 * extensions, signed by key (proof that the KMC holds it).  *out DER,
 * OPENSSL_free. */
static int
enc_csr(unsigned char **out, int *outlen, X509_REQ *sign_req, EVP_PKEY *key)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_REQ *req = NULL;
	int r;

	*out = NULL;
	if ((req = X509_REQ_new()) == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, X509_REQ_get_subject_name(sign_req)) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: building the encryption key's request");
		goto out;
	}
	if ((exts = X509_REQ_get_extensions(sign_req)) != NULL && sk_X509_EXTENSION_num(exts) > 0 &&
	    X509_REQ_add_extensions(req, exts) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: copying the requested extensions");
		goto out;
	}
	if ((r = gp_req_sign(req, key)) != 0)
		goto out;
	if ((*outlen = i2d_X509_REQ(req, out)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: encoding the encryption key's request");
		goto out;
	}
	r = 0;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return r;
}

/* The serial of x into buf (20 bytes); its length. */
static size_t
serial_of(unsigned char *buf, X509 *x)
{
	size_t n = 0;

	if (gp_serial_from_asn1(buf, &n, X509_get0_serialNumber(x)) != 0)
		return 0;
	return n;
}

int
gp_kmc_issue_dual(gp_kmc_dual **out, gp_kmc *kmc, gp_ca *ca, const gp_kmc_dual_req *reqp)
{
	gp_kmc_dual_req rq;
	gp_issue_req sreq = GP_ISSUE_REQ_INIT, ereq = GP_ISSUE_REQ_INIT;
	gp_issue_prep *sprep = NULL, *eprep = NULL;
	gp_kmc_key_info *k = NULL;
	gp_kmc_dual *d = NULL;
	X509_REQ *sign_req = NULL;
	EVP_PKEY *key = NULL;
	gp_key_type type;
	gp_store *s;
	unsigned char *ecsr = NULL;
	char *holder = NULL, object[80], detail[256], hex[41];
	int ecsr_len = 0, r, in_tx = 0;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "kmc issue-dual: no output");
	*out = NULL;
	if (kmc == NULL || ca == NULL)
		return gp_err(GP_E_INVALID, "kmc issue-dual: no KMC or CA");
	if ((r = gp_params_in(&rq, sizeof(rq), reqp, GP_PARAMS_END(gp_kmc_dual_req, actor),
	    "gp_kmc_dual_req")) != 0)
		return r;
	if (rq.csr == NULL || rq.csr_len == 0)
		return gp_err(GP_E_INVALID, "kmc issue-dual: the holder's signing CSR is required");
	if (ca->ctx != kmc->ctx)
		return gp_err(GP_E_INVALID, "kmc issue-dual: the CA and the KMC are of different homes");
	s = gp_ctx_store(kmc->ctx);
	if ((r = gp_req_parse(&sign_req, rq.csr, rq.csr_len)) != 0)
		goto out;
	if ((r = enc_type_of(&type, rq.enc_type, X509_REQ_get0_pubkey(sign_req))) != 0)
		goto out;
	/* the signing certificate: the holder's own key (GM/T 0034 §6.1) */
	sreq.csr = rq.csr;
	sreq.csr_len = rq.csr_len;
	sreq.profile = rq.sign_profile ? rq.sign_profile : "person";
	sreq.subject = rq.subject;
	sreq.days = rq.days;
	sreq.actor = rq.actor;
	if ((r = gp_ca_issue_prepare(&sprep, ca, &sreq)) != 0)
		goto out;
	/* the encryption certificate: a key the KMC makes and escrows */
	if ((r = gp_key_generate(&key, type)) != 0 ||
	    (r = enc_csr(&ecsr, &ecsr_len, sign_req, key)) != 0)
		goto out;
	ereq.csr = ecsr;
	ereq.csr_len = (size_t)ecsr_len;
	ereq.profile = rq.enc_profile ? rq.enc_profile : "person-encryption";
	ereq.subject = rq.subject;
	ereq.days = rq.days;
	ereq.actor = rq.actor;
	if ((r = gp_ca_issue_prepare(&eprep, ca, &ereq)) != 0)
		goto out;
	if ((r = gp_name_to_string(&holder, X509_get_subject_name(gp_issue_prep_cert0(eprep)))) != 0 ||
	    (r = gp_kmc_record_new(&k, key, type, holder)) != 0)
		goto out;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* one transaction: both certificates, the escrow record (linked to
	 * both) and the delivery, or none of them */
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	in_tx = 1;
	if ((r = gp_ca_issue_store(ca, sprep)) != 0 || (r = gp_ca_issue_store(ca, eprep)) != 0)
		goto out;
	k->ca_id = gp_ca_id(ca);
	k->serial_len = serial_of(k->serial, gp_issue_prep_cert0(eprep));
	k->sign_serial_len = serial_of(k->sign_serial, gp_issue_prep_cert0(sprep));
	if (k->serial_len == 0 || k->sign_serial_len == 0) {
		r = gp_err(GP_E_INTERNAL, "kmc issue-dual: a certificate without a serial");
		goto out;
	}
	if ((r = gp_kmc_seal(k, kmc, key)) != 0 || (r = gp_kmc_record_store(kmc, k, rq.actor)) != 0)
		goto out;
	/* the certificates as stored, decoded afresh (a prepared one carries
	 * its key as copied bits only) */
	if ((d->sign_cert = X509_dup(gp_issue_prep_cert0(sprep))) == NULL ||
	    (d->enc_cert = X509_dup(gp_issue_prep_cert0(eprep))) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "kmc issue-dual: copying the certificates");
		goto out;
	}
	/* delivery: enveloped to the holder's signing key (GM/T 0014 §7) */
	if ((r = gp_kmc_envelope_make(&d->envelope, &d->envelope_len, &d->envelope_format, key,
	    d->sign_cert)) != 0)
		goto out;
	gp_hex_encode(hex, k->sign_serial, k->sign_serial_len);
	snprintf(object, sizeof(object), "kmc:%s", k->kid);
	snprintf(detail, sizeof(detail), "to=%s/%s format=%s", gp_ca_name(ca), hex,
	    d->envelope_format == GP_KMC_ENVELOPE_SM2 ? "sm2" : "cms");
	if ((r = gp_audit_append(s, rq.actor ? rq.actor : "ca-tool", GP_AUDIT_KMC_DELIVER, object,
	    detail)) != 0)
		goto out;
	in_tx = 0;
	if ((r = gp_store_commit(s)) != 0)
		goto out;
	if (gp_strdup(&d->kid, k->kid) != 0) {
		r = gp_err(GP_E_NOMEM, "out of memory (the pair is in the store: kmc list shows it)");
		goto out;
	}
	*out = d;
	d = NULL;
	r = 0;
out:
	if (in_tx)
		gp_store_rollback(s);
	gp_kmc_dual_free(d);
	gp_kmc_key_info_free(k);
	gp_issue_prep_free(sprep);
	gp_issue_prep_free(eprep);
	EVP_PKEY_free(key);
	OPENSSL_free(ecsr);
	X509_REQ_free(sign_req);
	gp_free(holder);
	return r;
}

int
gp_kmc_revoke_pair(struct gp_ctx *ctx, const char *ca_name, const unsigned char *serial,
    size_t serial_len, int reason, const char *actor)
{
	gp_kmc_key_info *k = NULL;
	int r;

	if ((r = gp_kmc_find_cert(&k, ctx, ca_name, serial, serial_len)) != 0)
		return r;
	/* the encryption certificate first: a holder left with a signing
	 * certificate only can still ask for a new pair */
	if ((r = gp_ca_revoke(ctx, ca_name, k->serial, k->serial_len, reason, 0, actor)) != 0 ||
	    (r = gp_ca_revoke(ctx, ca_name, k->sign_serial, k->sign_serial_len, reason, 0, actor)) != 0)
		goto out;
out:
	gp_kmc_key_info_free(k);
	return r;
}

int
gp_kmc_find_cert(gp_kmc_key_info **out, struct gp_ctx *ctx, const char *ca_name,
    const unsigned char *serial, size_t serial_len)
{
	gp_ca_info *ci = NULL;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "kmc: no output");
	*out = NULL;
	if (ctx == NULL || ca_name == NULL || serial == NULL || serial_len == 0 || serial_len > 20)
		return gp_err(GP_E_INVALID, "kmc: a CA and a serial are required");
	if ((r = gp_store_ca_get(ctx->store, ca_name, &ci)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(r, "no CA named '%s'", ca_name);
		return r;
	}
	if ((r = gp_store_kmc_get_cert(ctx->store, ci->id, serial, serial_len, out)) == GP_E_NOTFOUND)
		r = gp_err(r, "certificate is not one of a KMC pair of CA %s", ca_name);
	gp_ca_info_free(ci);
	return r;
}
