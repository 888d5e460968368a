/* ca/issue.c: certificates from CSRs, one at a time or in parallel batches */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <govpki/audit.h>
#include <govpki/signer.h>
#include <govpki/x509util.h>

#include "ca_int.h"
#include "csr.h"
#include "error_int.h"
#include "lint_int.h"
#include "util.h"

/* A certificate built and signed but not yet stored. */
typedef struct built {
	X509 *cert;
	gp_cert_info info;
	unsigned char keyhash[32];     /* gp_pubkey_hash of its key */
	int rc;
	int lint_refused;              /* rc is the lint's refusal, to be audited */
	char msg[512];
} built;

static void
built_clear(built *b)
{
	X509_free(b->cert);
	free(b->info.subject);
	free(b->info.sans);
	free(b->info.profile);
	free(b->info.der);
	memset(b, 0, sizeof(*b));
}

/*
 * RFC 5280 §4.2.1.10: every name of a certificate below a CA with
 * nameConstraints (an offline root's sign-ca for an issuing CA, an
 * outside CA's limits) lies in its permitted and outside its excluded
 * subtrees; relying parties refuse the path otherwise, so the CA does not
 * issue it (checked on the signed certificate, which is then dropped).  The subject's CN is judged as a host name where it looks
 * like one, as OpenSSL's verifier does.
 */
static int
within_name_constraints(gp_ca *ca, X509 *cert)
{
	NAME_CONSTRAINTS *nc;
	X509 *copy;
	int crit = 0, rc;

	if ((nc = X509_get_ext_d2i(ca->cert, NID_name_constraints, &crit, NULL)) == NULL) {
		ERR_clear_error();
		return crit == -2 ? gp_err(GP_E_STATE, "CA %s: its nameConstraints appear twice",
		    ca->info->name) : 0;
	}
	/* OpenSSL reads the names from its cache of the extensions
	 * (x->altname), made once and not by NAME_CONSTRAINTS_check: a copy
	 * decoded from the signed DER, its cache made now, has them all */
	if ((copy = X509_dup(cert)) == NULL) {
		NAME_CONSTRAINTS_free(nc);
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	}
	(void)X509_get_extension_flags(copy);    /* makes the cache */
	rc = NAME_CONSTRAINTS_check(copy, nc);
	if (rc == X509_V_OK)
		rc = NAME_CONSTRAINTS_check_CN(copy, nc);
	X509_free(copy);
	NAME_CONSTRAINTS_free(nc);
	if (rc != X509_V_OK)
		return gp_err(GP_E_POLICY, "a name is outside CA %s's nameConstraints (RFC 5280 "
		    "4.2.1.10): %s", ca->info->name, X509_verify_cert_error_string(rc));
	return 0;
}

/*
 * Builds and signs one certificate from req under profile p: everything
 * but storing it.  The lint (ca/lint.c) runs over the to-be-signed
 * certificate before the CA key signs it and over the signature algorithm
 * after; a refusal sets b->lint_refused, and the caller audits it
 * (lint_audit) where it may write.  Thread-safe: touches only ca's key and
 * certificate, read-only.  On failure b->rc and b->msg say why.
 */
static int
build_cert(gp_ca *ca, const gp_profile *p, const gp_issue_req *req, built *b)
{
	gp_lint_cert_ctx lc;
	gp_csr *csr = NULL;
	X509_NAME *subj = NULL;
	GENERAL_NAMES *sans = NULL;
	EVP_PKEY *pub;
	unsigned char serial[16];
	int r;

	b->cert = NULL;
	b->lint_refused = 0;
	if ((r = gp_ca_need_key(ca)) != 0)
		goto out;
	if (req->csr == NULL || req->csr_len == 0) {
		r = gp_err(GP_E_INVALID, "empty CSR");
		goto out;
	}
	if ((r = gp_csr_parse(&csr, req->csr, req->csr_len)) != 0 ||
	    (r = gp_csr_verify(csr)) != 0)
		goto out;
	pub = gp_csr_pubkey0(csr);     /* borrowed */
	if (req->subject != NULL) {
		if ((r = gp_name_parse(&subj, req->subject)) != 0)
			goto out;
	} else if ((subj = X509_NAME_dup(gp_csr_subject0(csr))) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (req->sans != NULL)
		r = gp_sans_parse(&sans, req->sans);
	else
		r = gp_csr_sans(&sans, csr);
	if (r != 0 || (r = gp_profile_check(p, pub, subj, sans)) != 0 ||
	    (r = gp_csr_key_hash(b->keyhash, csr)) != 0)
		goto out;
	if (X509_NAME_entry_count(subj) == 0 && (sans == NULL || sk_GENERAL_NAME_num(sans) == 0)) {
		/* RFC 5280 §4.1.2.6: an empty subject needs a subjectAltName */
		r = gp_err(GP_E_POLICY, "profile %s: empty subject and no subjectAltName", p->name);
		goto out;
	}
	if ((b->cert = X509_new()) == NULL || X509_set_version(b->cert, 2) != 1 ||
	    X509_set_issuer_name(b->cert, X509_get_subject_name(ca->cert)) != 1 ||
	    X509_set_subject_name(b->cert, subj) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot build certificate");
		goto out;
	}
	if ((r = gp_csr_copy_spki(b->cert, csr)) != 0 ||
	    (r = gp_ca_set_serial(b->cert, serial)) != 0 ||
	    (r = gp_ca_set_validity(b->cert, ca->cert, p, req->days)) != 0 ||
	    (r = gp_profile_apply_key(p, b->cert, ca->cert, pub, sans)) != 0 ||
	    (r = gp_profile_apply_defaults(p, b->cert, &ca->dflt)) != 0)
		goto out;
	memset(&lc, 0, sizeof(lc));
	lc.profile = p;
	lc.issuer = ca->cert;
	lc.issuer_key = ca->key;
	lc.subject_key = pub;
	if ((r = gp_lint_cert(b->cert, &lc, GP_LINT_TBS)) != 0 ||
	    (r = gp_x509_sign(b->cert, ca->key)) != 0 ||
	    (r = gp_lint_cert(b->cert, &lc, GP_LINT_SIGNED)) != 0) {
		b->lint_refused = r == GP_E_POLICY;
		goto out;
	}
	if ((r = within_name_constraints(ca, b->cert)) != 0)
		goto out;
	if ((r = gp_ca_cert_info(&b->info, b->cert, ca->info->id, p->name, sans)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0) {
		X509_free(b->cert);
		b->cert = NULL;
		snprintf(b->msg, sizeof(b->msg), "%s", gp_error_last());
	}
	b->rc = r;
	gp_csr_free(csr);
	X509_NAME_free(subj);
	GENERAL_NAMES_free(sans);
	return r;
}

/* The audit entry of a certificate the lint refused (b->lint_refused):
 * returns b->rc with its message, or the audit's error. */
static int
lint_audit(gp_ca *ca, const gp_profile *p, const gp_issue_req *req, const built *b)
{
	char object[160], context[512];

	snprintf(object, sizeof(object), "%s/%s", ca->info->name, p->name);
	snprintf(context, sizeof(context), "ca=%s profile=%s subject=%s", ca->info->name,
	    p->name, req->subject ? req->subject : "(the CSR's)");
	return gp_lint_audit(ca->ctx->store, req->actor ? req->actor : "ca-tool", object,
	    context, b->rc, b->msg);
}

/*
 * GP_E_POLICY when the store blocks the key hash: the key of a certificate
 * revoked for keyCompromise (whoever holds it now may not be its owner),
 * or a CA's own key (a CA key certified for another subject would sign
 * as two parties).  One primary-key read; inside the storing transaction
 * it sees every revocation committed before.
 */
int
gp_ca_key_refused(gp_store *st, const unsigned char hash[32])
{
	gp_key_block kb;
	gp_ca_info *ca = NULL;
	char hex[2 * GP_SERIAL_MAX + 1];
	int r;

	if ((r = gp_store_key_block_get(st, hash, &kb)) == GP_E_NOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (gp_store_ca_get_id(st, kb.ca_id, &ca) != 0)
		gp_error_clear();
	if (kb.why == GP_KEY_BLOCK_CA) {
		r = gp_err(GP_E_POLICY, "the CSR carries the public key of CA %s: a CA's "
		    "key is never certified again", ca ? ca->name : "?");
	} else {
		gp_hex_encode(hex, kb.serial, kb.serial_len);
		r = gp_err(GP_E_POLICY, "the CSR's key is compromised: certificate %s of CA %s "
		    "was revoked for keyCompromise; make a new key", hex, ca ? ca->name : "?");
	}
	gp_ca_info_free(ca);
	return r;
}

int
gp_ca_check_key(gp_ctx *ctx, const EVP_PKEY *pub)
{
	unsigned char h[32];
	int r;

	if (ctx == NULL || pub == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_check_key: NULL argument");
	if ((r = gp_pubkey_hash(h, pub)) != 0)
		return r;
	return gp_ca_key_refused(ctx->store, h);
}

/*
 * gp_ca_key_refused for what b certifies; a cross-certificate (req->cross)
 * may certify the key of another CA of this store, a root rolled over to,
 * when it names that CA's own subject: the certificate then only links
 * the two roots' paths (RFC 4158 §1.5), it gives the key no new name.
 */
static int
key_refused_for(gp_ca *ca, const gp_profile *p, const gp_issue_req *req, built *b)
{
	gp_key_block kb;
	gp_ca_info *other = NULL;
	X509 *oc = NULL;
	int r, same;

	if (!req->cross)
		return gp_ca_key_refused(ca->ctx->store, b->keyhash);
	if (!p->is_ca)
		return gp_err(GP_E_POLICY, "a cross-certificate needs a CA profile, not %s", p->name);
	if ((r = gp_store_key_block_get(ca->ctx->store, b->keyhash, &kb)) == GP_E_NOTFOUND) {
		gp_error_clear();
		return 0;
	}
	if (r != 0)
		return r;
	if (kb.why != GP_KEY_BLOCK_CA)
		return gp_ca_key_refused(ca->ctx->store, b->keyhash);
	if (kb.ca_id == ca->info->id)
		return gp_err(GP_E_POLICY, "CA %s cannot cross-certify its own key", ca->info->name);
	if ((r = gp_store_ca_get_id(ca->ctx->store, kb.ca_id, &other)) != 0)
		return r;
	r = gp_cert_parse(&oc, other->cert_der, other->cert_len);
	same = r == 0 && X509_NAME_cmp(X509_get_subject_name(oc),
	    X509_get_subject_name(b->cert)) == 0;
	if (r == 0 && !same)
		r = gp_err(GP_E_POLICY, "the CSR carries the key of CA %s but another subject: a "
		    "cross-certificate names the CA as it names itself", other->name);
	X509_free(oc);
	gp_ca_info_free(other);
	return r;
}

/* Stores one built certificate with its audit entry (inside a transaction,
 * after gp_ca_check_active); GP_E_POLICY, nothing written, for a blocked
 * key (gp_ca_key_refused).  A serial already taken (a 2^-127 event) is drawn anew and re-signed. */
static int
store_cert(gp_ca *ca, const gp_profile *p, const gp_issue_req *req, built *b)
{
	char serial[2 * GP_SERIAL_MAX + 1], detail[1024];
	int r, tries = 0;

	if ((r = key_refused_for(ca, p, req, b)) != 0)
		return r;
	while ((r = gp_store_cert_add(ca->ctx->store, &b->info)) == GP_E_EXISTS && ++tries < 3) {
		built_clear(b);
		if ((r = build_cert(ca, p, req, b)) != 0)
			return b->lint_refused ? lint_audit(ca, p, req, b) : r;
	}
	if (r != 0 || (p->crl_sharded && (r = gp_ca_crl_shards_record(ca)) != 0))
		return r;
	gp_hex_encode(serial, b->info.serial, b->info.serial_len);
	snprintf(detail, sizeof(detail), "ca=%s serial=%s profile=%s subject=%s",
	    ca->info->name, serial, p->name, b->info.subject);
	return gp_audit_append(ca->ctx->store, req->actor ? req->actor : "ca-tool",
	    GP_AUDIT_CERT_ISSUE, serial, detail);
}

static int
lookup_profile(const gp_profile **out, gp_ca *ca, const char *name)
{
	if (name == NULL)
		return gp_err(GP_E_INVALID, "no profile given");
	if ((*out = gp_profiles_get(ca->ctx->profiles, name)) == NULL)
		return gp_err(GP_E_NOTFOUND, "unknown profile '%s'", name);
	return gp_ca_check_path_len(ca, *out);
}

int
gp_ca_may_issue(gp_ca *ca, const char *profile)
{
	const gp_profile *p;
	int r;

	if (ca == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_may_issue: no CA");
	if ((r = lookup_profile(&p, ca, profile)) != 0)
		return r;
	return gp_ca_check_active(ca);
}

/* The caller's request into *dst, the library's version of the struct
 * (gp_params_in: an older, smaller one is zero-filled; a bad size is
 * GP_E_INVALID). */
static int
req_in(gp_issue_req *dst, const void *src)
{
	return gp_params_in(dst, sizeof(*dst), src, GP_PARAMS_END(gp_issue_req, actor),
	    "issuance request");
}

/* ------------------------------------------------- through ca-signer */

#define SIGNER_CHUNK 256        /* CSRs per issue-batch request */
#define SIGNER_CSR_MAX 65536    /* the protocol's item bound */

/*
 * Requests [from, to) of reqs through ca-signer (issue-batch,
 * docs/signer.md): consecutive ones of one profile and validity go in one
 * request of at most SIGNER_CHUNK.  The signer issues each with
 * gp_ca_issue's checks and lint, stores and audits it; here each
 * certificate must be signed by ca.  A vetted subject or SANs, which
 * issue-batch does not carry, refuse that request (GP_E_STATE).  cb as
 * for gp_ca_issue_batch; a failure of a whole request is returned.
 */
static int
batch_by_signer(gp_ca *ca, const gp_issue_req *reqs, size_t n, gp_issue_cb cb, void *arg)
{
	const unsigned char *csrs[SIGNER_CHUNK];
	size_t lens[SIGNER_CHUNK], idx[SIGNER_CHUNK];
	X509 *certs[SIGNER_CHUNK];
	int rcs[SIGNER_CHUNK];
	char (*why)[256] = NULL;                /* [SIGNER_CHUNK]: not on the stack */
	EVP_PKEY *pk = X509_get0_pubkey(ca->cert);   /* borrowed */
	size_t at = 0;
	int r = 0, stop = 0;

	if ((why = malloc(SIGNER_CHUNK * sizeof(*why))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	while (at < n && !stop) {
		const gp_issue_req *q = &reqs[at];
		size_t k = 0;

		/* one that cannot go through the signer is answered alone */
		if (q->subject != NULL || q->sans != NULL || q->profile == NULL ||
		    q->csr_len > SIGNER_CSR_MAX) {
			r = gp_err(GP_E_STATE, "CA %s: its key is ca-signer's, whose issue-batch takes "
			    "a profile and a CSR of at most 64 KiB, without a vetted subject or SANs",
			    ca->info->name);
			stop = cb != NULL && cb(arg, at, r, gp_error_last(), NULL) != 0;
			gp_error_clear();
			r = 0;
			at++;
			continue;
		}
		while (at < n && k < SIGNER_CHUNK && reqs[at].subject == NULL && reqs[at].sans == NULL &&
		    reqs[at].profile != NULL && strcmp(reqs[at].profile, q->profile) == 0 &&
		    reqs[at].days == q->days && reqs[at].csr_len <= SIGNER_CSR_MAX) {
			csrs[k] = reqs[at].csr;
			lens[k] = reqs[at].csr_len;
			idx[k++] = at++;
		}
		if ((r = gp_signer_issue_batch(certs, rcs, why, ca->ctx->signer, ca->info->name,
		    q->profile, q->days, csrs, lens, k)) != 0)
			break;
		for (size_t i = 0; i < k; i++) {
			if (certs[i] != NULL && (pk == NULL || X509_verify(certs[i], pk) != 1 ||
			    X509_NAME_cmp(X509_get_issuer_name(certs[i]),
			    X509_get_subject_name(ca->cert)) != 0)) {
				X509_free(certs[i]);
				certs[i] = NULL;
				rcs[i] = gp_err_ossl(GP_E_VERIFY, "ca-signer's certificate is not CA %s's",
				    ca->info->name);
				snprintf(why[i], sizeof(why[i]), "%s", gp_error_last());
			}
			if (!stop && cb != NULL &&
			    cb(arg, idx[i], certs[i] != NULL ? 0 : rcs[i], certs[i] != NULL ? NULL : why[i],
			    certs[i]) != 0)
				stop = 1;
			X509_free(certs[i]);
		}
	}
	free(why);
	return r;
}

/* gp_ca_issue through ca-signer: a batch of one. */
struct one_out {
	X509 *cert;
	int rc;
	char msg[256];
};

static int
one_cb(void *arg, size_t index, int rc, const char *msg, X509 *cert)
{
	struct one_out *o = arg;

	(void)index;
	o->rc = rc;
	if (rc != 0)
		snprintf(o->msg, sizeof(o->msg), "%s", msg ? msg : "refused by ca-signer");
	else if (X509_up_ref(cert) == 1)
		o->cert = cert;
	else
		o->rc = gp_err_ossl(GP_E_INTERNAL, "reference counting");
	return 0;
}

int
gp_ca_issue(X509 **out, gp_ca *ca, const gp_issue_req *reqp)
{
	const gp_profile *p;
	gp_issue_req rv;
	const gp_issue_req *req = &rv;
	built b;
	int r;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	if (ca == NULL)
		return gp_err(GP_E_INVALID, "no CA or request");
	if ((r = req_in(&rv, reqp)) != 0)
		return r;
	if (ca->key == NULL && ca->ctx->signer != NULL) {
		struct one_out o;

		memset(&o, 0, sizeof(o));
		if ((r = batch_by_signer(ca, req, 1, one_cb, &o)) != 0)
			return r;
		if (o.rc != 0)
			return gp_err(o.rc, "%s", o.msg);
		*out = o.cert;
		return 0;
	}
	if ((r = lookup_profile(&p, ca, req->profile)) != 0)
		goto out;
	if ((r = build_cert(ca, p, req, &b)) != 0) {
		if (b.lint_refused)
			r = lint_audit(ca, p, req, &b);
		goto out;
	}
	if ((r = gp_store_begin(ca->ctx->store)) != 0)
		goto out;
	if ((r = gp_ca_check_active(ca)) != 0 ||
	    (r = store_cert(ca, p, req, &b)) != 0 ||
	    (r = gp_store_commit(ca->ctx->store)) != 0) {
		gp_store_rollback(ca->ctx->store);
		goto out;
	}
	*out = b.cert;
	b.cert = NULL;
out:
	built_clear(&b);
	return r;
}

/* ------------------------------------------------- prepare, then store */

struct gp_issue_prep {
	int64_t ca_id;
	gp_issue_req req;              /* points into the copies below */
	unsigned char *csr;
	char *profile, *subject, *sans, *actor;
	built b;
};

void
gp_issue_prep_free(gp_issue_prep *prep)
{
	if (prep == NULL)
		return;
	built_clear(&prep->b);
	free(prep->csr);
	free(prep->profile);
	free(prep->subject);
	free(prep->sans);
	free(prep->actor);
	free(prep);
}

static int
dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	return 0;
}

int
gp_ca_issue_prepare(gp_issue_prep **out, gp_ca *ca, const gp_issue_req *reqp)
{
	gp_issue_prep *p = NULL;
	const gp_profile *prof;
	gp_issue_req rv;
	const gp_issue_req *req = &rv;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || ca == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_issue_prepare: bad arguments");
	if ((r = req_in(&rv, reqp)) != 0)
		return r;
	if ((r = lookup_profile(&prof, ca, req->profile)) != 0)
		return r;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	p->ca_id = ca->info->id;
	p->req = *req;
	if (req->csr != NULL && req->csr_len > 0) {
		if ((p->csr = malloc(req->csr_len)) == NULL) {
			r = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(p->csr, req->csr, req->csr_len);
	}
	p->req.csr = p->csr;
	if ((r = dup_opt(&p->profile, req->profile)) != 0 ||
	    (r = dup_opt(&p->subject, req->subject)) != 0 ||
	    (r = dup_opt(&p->sans, req->sans)) != 0 ||
	    (r = dup_opt(&p->actor, req->actor)) != 0)
		goto out;
	p->req.profile = p->profile;
	p->req.subject = p->subject;
	p->req.sans = p->sans;
	p->req.actor = p->actor;
	if ((r = build_cert(ca, prof, &p->req, &p->b)) != 0) {
		if (p->b.lint_refused)
			r = lint_audit(ca, prof, &p->req, &p->b);
		goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	gp_issue_prep_free(p);
	return r;
}

int
gp_ca_issue_store(gp_ca *ca, gp_issue_prep *prep)
{
	const gp_profile *prof;
	int r;

	if (ca == NULL || prep == NULL || prep->b.cert == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_issue_store: bad arguments");
	if (prep->ca_id != ca->info->id)
		return gp_err(GP_E_INVALID, "gp_ca_issue_store: prepared by another CA");
	if ((r = lookup_profile(&prof, ca, prep->req.profile)) != 0 ||
	    (r = gp_ca_check_active(ca)) != 0)
		return r;
	return store_cert(ca, prof, &prep->req, &prep->b);
}

X509 *
gp_issue_prep_cert0(const gp_issue_prep *prep)
{
	return prep != NULL ? prep->b.cert : NULL;
}

/*
 * Batches.  Worker threads parse, check and sign requests in any order;
 * the calling thread stores them in request order, GROUP at a time in one
 * transaction (group commit), and only then hands each to the callback.
 * Workers stay at most WINDOW requests ahead so memory stays bounded.
 */
#define GROUP 512
#define WINDOW 4096

typedef struct batch {
	gp_ca *ca;
	const gp_profile **profiles;   /* per request, NULL when unknown */
	const gp_issue_req *reqs;
	size_t n;
	built *slots;                  /* WINDOW slots, request i in slot i % WINDOW */
	char *done;                    /* per slot: 1 when built */
	size_t next;                   /* next request to build */
	size_t stored;                 /* requests handed over so far */
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t built_cv;       /* a slot was built */
	pthread_cond_t room_cv;        /* the window moved on */
} batch;

static void *
worker(void *arg)
{
	batch *bt = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&bt->mu);
		while (!bt->stop && bt->next < bt->n && bt->next >= bt->stored + WINDOW)
			pthread_cond_wait(&bt->room_cv, &bt->mu);
		if (bt->stop || bt->next >= bt->n) {
			pthread_mutex_unlock(&bt->mu);
			return NULL;
		}
		i = bt->next++;
		pthread_mutex_unlock(&bt->mu);

		built *b = &bt->slots[i % WINDOW];
		if (bt->profiles[i] == NULL) {
			b->rc = gp_err(GP_E_NOTFOUND, "unknown profile '%s'",
			    bt->reqs[i].profile ? bt->reqs[i].profile : "(none)");
			snprintf(b->msg, sizeof(b->msg), "%s", gp_error_last());
		} else {
			build_cert(bt->ca, bt->profiles[i], &bt->reqs[i], b);
		}
		pthread_mutex_lock(&bt->mu);
		bt->done[i % WINDOW] = 1;
		pthread_cond_broadcast(&bt->built_cv);
		pthread_mutex_unlock(&bt->mu);
	}
}

/* Waits until request i is built. */
static built *
wait_built(batch *bt, size_t i)
{
	pthread_mutex_lock(&bt->mu);
	while (!bt->done[i % WINDOW])
		pthread_cond_wait(&bt->built_cv, &bt->mu);
	pthread_mutex_unlock(&bt->mu);
	return &bt->slots[i % WINDOW];
}

static int
is_built(batch *bt, size_t i)
{
	int d;

	pthread_mutex_lock(&bt->mu);
	d = bt->done[i % WINDOW];
	pthread_mutex_unlock(&bt->mu);
	return d;
}

/* Stores requests [from, to) in one transaction, then reports them. */
static int
commit_group(batch *bt, size_t from, size_t to, gp_issue_cb cb, void *arg)
{
	gp_store *st = bt->ca->ctx->store;
	size_t i;
	int r, stop = 0;

	if ((r = gp_store_begin(st)) != 0)
		return r;
	if ((r = gp_ca_check_active(bt->ca)) != 0) {
		gp_store_rollback(st);
		return r;
	}
	for (i = from; i < to; i++) {
		built *b = &bt->slots[i % WINDOW];

		if (b->rc != 0 && b->lint_refused) {
			/* a refusal is audited in the group's transaction */
			if ((r = lint_audit(bt->ca, bt->profiles[i], &bt->reqs[i], b)) != b->rc) {
				gp_store_rollback(st);
				return r;
			}
			b->lint_refused = 0;
			gp_error_clear();
		}
		if (b->rc != 0)
			continue;
		/* a blocked key refuses its request, not the group */
		if ((r = gp_ca_key_refused(st, b->keyhash)) == GP_E_POLICY) {
			b->rc = r;
			snprintf(b->msg, sizeof(b->msg), "%s", gp_error_last());
			X509_free(b->cert);
			b->cert = NULL;
			continue;
		}
		if (r != 0) {
			gp_store_rollback(st);
			return r;
		}
		/* a store failure fails the group: none of it is handed out */
		if ((r = store_cert(bt->ca, bt->profiles[i], &bt->reqs[i], b)) != 0) {
			gp_store_rollback(st);
			return r;
		}
	}
	if ((r = gp_store_commit(st)) != 0) {
		gp_store_rollback(st);
		return r;
	}
	/* durable now: hand each over in order, then free its slot */
	for (i = from; i < to; i++) {
		built *b = &bt->slots[i % WINDOW];

		if (!stop && cb != NULL && cb(arg, i, b->rc, b->rc ? b->msg : NULL, b->cert) != 0)
			stop = 1;
		built_clear(b);
		pthread_mutex_lock(&bt->mu);
		bt->done[i % WINDOW] = 0;
		bt->stored = i + 1;
		if (stop)
			bt->stop = 1;
		pthread_cond_broadcast(&bt->room_cv);
		pthread_mutex_unlock(&bt->mu);
	}
	return stop ? 1 : 0;
}

int
gp_ca_issue_batch(gp_ca *ca, const gp_issue_req *reqp, size_t n, int threads,
    gp_issue_cb cb, void *arg)
{
	batch bt;
	pthread_t *tids = NULL;
	gp_issue_req *reqs = NULL, first;
	int nt = 0, r = 0, i;
	size_t from = 0, at;

	if (ca == NULL || (reqp == NULL && n > 0))
		return gp_err(GP_E_INVALID, "no CA or requests");
	if (n == 0)
		return 0;
	memset(&bt, 0, sizeof(bt));
	/* the caller's array steps by the size of its struct (reqp[0].size),
	 * which every element shares */
	if ((r = req_in(&first, reqp)) != 0)
		return r;
	if ((reqs = calloc(n, sizeof(*reqs))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		const char *e = (const char *)reqp + k * first.size;

		if ((r = req_in(&reqs[k], e)) != 0 || reqs[k].size != first.size) {
			size_t got = reqs[k].size;

			free(reqs);
			return r != 0 ? r : gp_err(GP_E_INVALID, "issuance request %zu: size %zu, "
			    "not the %zu of the first", k, got, first.size);
		}
	}
	/* the key is ca-signer's: it issues (issue-batch) */
	if (ca->key == NULL && ca->ctx->signer != NULL) {
		r = batch_by_signer(ca, reqs, n, cb, arg);
		free(reqs);
		return r;
	}
	bt.ca = ca;
	bt.reqs = reqs;
	bt.n = n;
	if (threads <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		threads = c > 0 ? (int)c : 1;
	}
	if (threads > 64)
		threads = 64;
	if ((bt.profiles = calloc(n, sizeof(*bt.profiles))) == NULL ||
	    (bt.slots = calloc(WINDOW, sizeof(*bt.slots))) == NULL ||
	    (bt.done = calloc(WINDOW, 1)) == NULL ||
	    (tids = calloc((size_t)threads, sizeof(*tids))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		bt.profiles[k] = reqs[k].profile ? gp_profiles_get(ca->ctx->profiles, reqs[k].profile) : NULL;
	pthread_mutex_init(&bt.mu, NULL);
	pthread_cond_init(&bt.built_cv, NULL);
	pthread_cond_init(&bt.room_cv, NULL);
	for (i = 0; i < threads; i++) {
		if (pthread_create(&tids[i], NULL, worker, &bt) != 0)
			break;
		nt++;
	}
	if (nt == 0) {
		r = gp_err(GP_E_INTERNAL, "cannot start signing threads");
		goto join;
	}
	/* group commit: take what is built, in order, up to GROUP at a time;
	 * commit a smaller group when the next one is not ready yet */
	for (at = 0; at < n; at++) {
		size_t pending;

		wait_built(&bt, at);
		pending = at + 1 - from;
		if (pending >= GROUP || at + 1 == n ||
		    (pending >= GROUP / 16 && !is_built(&bt, at + 1))) {
			if ((r = commit_group(&bt, from, at + 1, cb, arg)) != 0)
				break;
			from = at + 1;
		}
	}
	if (r > 0)
		r = 0;          /* stopped by the callback */
join:
	pthread_mutex_lock(&bt.mu);
	bt.stop = 1;
	pthread_cond_broadcast(&bt.room_cv);
	pthread_mutex_unlock(&bt.mu);
	for (i = 0; i < nt; i++)
		pthread_join(tids[i], NULL);
	for (i = 0; i < WINDOW; i++)
		built_clear(&bt.slots[i]);
	pthread_mutex_destroy(&bt.mu);
	pthread_cond_destroy(&bt.built_cv);
	pthread_cond_destroy(&bt.room_cv);
out:
	free(bt.profiles);
	free(bt.slots);
	free(bt.done);
	free(tids);
	free(reqs);
	return r;
}
