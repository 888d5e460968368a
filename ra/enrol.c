/* ra/enrol.c: what ra-server's enrolment protocols share (EST, SCEP): writes, earlier requests, the CA chain */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "enrol.h"

void
enrol_hex(char *out, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* Appends " NAME=V" to x's detail. */
static void
append(struct enrol_write *x, const char *name, long long v)
{
	size_t dl = strlen(x->detail);

	snprintf(x->detail + dl, sizeof(x->detail) - dl, " %s=%lld", name, v);
}

static int
do_enrol_write(gp_ra *ra, void *arg)
{
	struct enrol_write *x = arg;
	gp_store *s = gp_ctx_store(ra_srv->writer.ctx);
	gp_ra_request *req = NULL;
	gp_ra_token *t = NULL;
	char sn[2 * GP_SERIAL_MAX + 1];
	size_t dl;
	int r, r2;

	if ((r = gp_store_ra_savepoint(s, GP_RA_SP_BEGIN)) != 0)
		return r;
	/* a one-time secret is good once: read again here, where the writes
	 * of all workers are one after the other */
	if (x->use != NULL) {
		if ((r = gp_store_ra_token_get(s, x->use->hash, &t)) == 0 && t->revoked) {
			x->used = 1;
			r = GP_E_DENIED;
		}
		if (r == 0 && (r = gp_store_ra_token_revoke(s, t->id)) == 0)
			append(x, "challenge", (long long)t->id);
	}
	if (r == 0 && x->prep != NULL && (r = gp_ca_issue_store(ra_srv->writer.ca, x->prep)) == 0 &&
	    (r = gp_serial_from_asn1(x->serial, &x->serial_len,
	    X509_get0_serialNumber(gp_issue_prep_cert0(x->prep)))) == 0) {
		enrol_hex(sn, x->serial, x->serial_len);
		dl = strlen(x->detail);
		snprintf(x->detail + dl, sizeof(x->detail) - dl, " serial=%s", sn);
	}
	if (r == 0 && x->sub != NULL && (r = gp_ra_submit_store(ra, &req, x->sub)) == 0) {
		x->req_id = req->id;
		append(x, "request", (long long)req->id);
	}
	if (r == 0)
		r = gp_audit_append(s, x->actor, x->action, x->object, x->detail);
	r2 = gp_store_ra_savepoint(s, r == 0 ? GP_RA_SP_RELEASE : GP_RA_SP_UNDO);
	gp_ra_request_free(req);
	gp_ra_token_free(t);
	return r != 0 ? r : r2;
}

int
enrol_write(struct enrol_write *x)
{
	return ra_write_call(do_enrol_write, x, 1);
}

static int
prev_cb(void *arg, const gp_ra_request *q)
{
	struct enrol_prev *x = arg;
	int same;

	if (q->kind != GP_RA_ISSUE)
		return 0;
	same = x->der == NULL || (q->csr_len == x->len && memcmp(q->csr, x->der, x->len) == 0);
	if (x->match_csr && !same)
		return 0;
	x->id = q->id;
	x->status = q->status;
	x->same_csr = same;
	x->serial_len = q->serial_len <= sizeof(x->serial) ? q->serial_len : 0;
	memcpy(x->serial, q->serial, x->serial_len);
	snprintf(x->reason, sizeof(x->reason), "%s", q->reason ? q->reason : "");
	return 0;
}

int
enrol_prev(gp_ra *ra, struct enrol_prev *pv, const char *profile, const char *submitter,
    const unsigned char *der, size_t len, int match_csr)
{
	gp_ra_filter f;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.profile = profile;
	f.submitter = submitter;
	memset(pv, 0, sizeof(*pv));
	pv->der = der;
	pv->len = len;
	pv->match_csr = match_csr;
	return gp_ra_request_list(ra, &f, prev_cb, pv);
}

int
enrol_chain(STACK_OF(X509) **all, STACK_OF(X509) **roots, STACK_OF(X509) **inter,
    gp_ctx *ctx, const char *ca)
{
	BIO *b = NULL;
	X509 *x;
	char *pem = NULL;
	size_t plen = 0;
	int r = -1;

	*all = *roots = *inter = NULL;
	if (gp_ca_chain_pem(&pem, &plen, ctx, ca) != 0)
		return -1;
	if ((b = BIO_new_mem_buf(pem, (int)plen)) == NULL || (*all = sk_X509_new_null()) == NULL ||
	    (*roots = sk_X509_new_null()) == NULL || (*inter = sk_X509_new_null()) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		/* the root is the self-issued end; the others are intermediates */
		STACK_OF(X509) *to = X509_check_issued(x, x) == X509_V_OK ? *roots : *inter;

		if (sk_X509_push(*all, x) <= 0) {
			X509_free(x);
			goto out;
		}
		if (X509_up_ref(x) != 1)
			goto out;
		if (sk_X509_push(to, x) <= 0) {
			X509_free(x);
			goto out;
		}
	}
	ERR_clear_error();    /* the end of the PEM text */
	if (sk_X509_num(*roots) > 0)
		r = 0;
out:
	if (r != 0) {
		sk_X509_pop_free(*all, X509_free);
		sk_X509_pop_free(*roots, X509_free);
		sk_X509_pop_free(*inter, X509_free);
		*all = *roots = *inter = NULL;
	}
	BIO_free(b);
	gp_free(pem);
	return r;
}
