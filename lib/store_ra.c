/* lib/store_ra.c: the RA part of the store interface: checks arguments, dispatches to the backend */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error_int.h"
#include "store_ra_int.h"
#include "util.h"

/* Like lib/store.c: arguments are checked and outputs cleared here, so
 * backends may assume valid arguments. */
#define CHECK(s, cond) do { \
	if ((s) == NULL || (s)->ops == NULL || (s)->ops->ra == NULL || \
	    (s)->ops->ra->req_add == NULL) \
		return gp_err(GP_E_INVALID, "%s: no store with an RA part", __func__); \
	if (!(cond)) \
		return gp_err(GP_E_INVALID, "%s: bad arguments", __func__); \
} while (0)

#define CHECK_WRITABLE(s) do { \
	if ((s)->flags & GP_STORE_READONLY) \
		return gp_err(GP_E_READONLY, "%s: the store was opened read-only", __func__); \
} while (0)

static int
status_ok(int st)
{
	return st >= 0 && st < GP_RA__NSTATUS;
}

int
gp_store_ra_req_add(gp_store *s, gp_ra_request *req)
{
	CHECK(s, req != NULL && req->ca != NULL && req->submitter != NULL &&
	    (req->kind == GP_RA_ISSUE || req->kind == GP_RA_REVOKE) &&
	    status_ok(req->status) && req->serial_len <= GP_SERIAL_MAX);
	CHECK_WRITABLE(s);
	return s->ops->ra->req_add(s, req);
}

int
gp_store_ra_req_get(gp_store *s, int64_t id, gp_ra_request **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, out != NULL);
	return s->ops->ra->req_get(s, id, out);
}

int
gp_store_ra_req_list(gp_store *s, const gp_ra_filter *f, gp_ra_request_cb cb, void *arg)
{
	CHECK(s, f != NULL && cb != NULL && f->limit >= 0 &&
	    (f->status == -1 || status_ok(f->status)));
	return s->ops->ra->req_list(s, f, cb, arg);
}

int
gp_store_ra_req_set_status(gp_store *s, int64_t id, int from, int to, const char *reason,
    const unsigned char *serial, size_t serial_len, int64_t when)
{
	CHECK(s, status_ok(from) && status_ok(to) && serial_len <= GP_SERIAL_MAX &&
	    (serial != NULL || serial_len == 0));
	CHECK_WRITABLE(s);
	return s->ops->ra->req_set_status(s, id, from, to, reason, serial, serial_len, when);
}

int
gp_store_ra_savepoint(gp_store *s, int what)
{
	CHECK(s, what == GP_RA_SP_BEGIN || what == GP_RA_SP_RELEASE || what == GP_RA_SP_UNDO);
	CHECK_WRITABLE(s);
	if (s->ops->ra->savepoint == NULL)
		return gp_err(GP_E_STATE, "the store has no savepoints");
	return s->ops->ra->savepoint(s, what);
}

int
gp_store_ra_req_count(gp_store *s, int64_t counts[GP_RA__NSTATUS])
{
	CHECK(s, counts != NULL);
	memset(counts, 0, GP_RA__NSTATUS * sizeof(counts[0]));
	return s->ops->ra->req_count(s, counts);
}

int
gp_store_ra_approval_add(gp_store *s, int64_t req_id, const char *officer, const char *comment,
    int64_t when, int *count)
{
	if (count != NULL)
		*count = 0;
	CHECK(s, officer != NULL && count != NULL);
	CHECK_WRITABLE(s);
	return s->ops->ra->approval_add(s, req_id, officer, comment, when, count);
}

int
gp_store_ra_challenge_use(gp_store *s, const char *challenge, int64_t expires, int64_t now)
{
	CHECK(s, challenge != NULL && *challenge != '\0');
	CHECK_WRITABLE(s);
	return s->ops->ra->challenge_use(s, challenge, expires, now);
}

int
gp_store_ra_officer_add(gp_store *s, const gp_ra_officer *o)
{
	CHECK(s, o != NULL && o->name != NULL && o->subject != NULL &&
	    o->serial_len > 0 && o->serial_len <= GP_SERIAL_MAX);
	CHECK_WRITABLE(s);
	return s->ops->ra->officer_add(s, o);
}

int
gp_store_ra_officer_get(gp_store *s, const char *name, const unsigned char *fingerprint,
    gp_ra_officer **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, out != NULL && (name == NULL) != (fingerprint == NULL));
	return s->ops->ra->officer_get(s, name, fingerprint, out);
}

int
gp_store_ra_officer_set_enabled(gp_store *s, const char *name, int enabled)
{
	CHECK(s, name != NULL);
	CHECK_WRITABLE(s);
	return s->ops->ra->officer_set_enabled(s, name, enabled);
}

int
gp_store_ra_officer_list(gp_store *s, gp_ra_officer_cb cb, void *arg)
{
	CHECK(s, cb != NULL);
	return s->ops->ra->officer_list(s, cb, arg);
}

int
gp_store_ra_token_add(gp_store *s, gp_ra_token *t)
{
	CHECK(s, t != NULL && t->name != NULL && t->profiles != NULL);
	CHECK_WRITABLE(s);
	return s->ops->ra->token_add(s, t);
}

int
gp_store_ra_token_get(gp_store *s, const unsigned char hash[32], gp_ra_token **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, hash != NULL && out != NULL);
	return s->ops->ra->token_get(s, hash, out);
}

int
gp_store_ra_token_revoke(gp_store *s, int64_t id)
{
	CHECK(s, 1);
	CHECK_WRITABLE(s);
	return s->ops->ra->token_revoke(s, id);
}

int
gp_store_ra_token_list(gp_store *s, gp_ra_token_cb cb, void *arg)
{
	CHECK(s, cb != NULL);
	return s->ops->ra->token_list(s, cb, arg);
}

/* The records' free functions live here, beside the store that makes them. */
void
gp_ra_request_free(gp_ra_request *q)
{
	if (q == NULL)
		return;
	free(q->ca);
	free(q->profile);
	free(q->csr);
	free(q->subject);
	free(q->sans);
	free(q->contact_name);
	free(q->contact_email);
	free(q->contact_phone);
	free(q->submitter);
	free(q->reason);
	for (size_t i = 0; i < q->napprovers; i++) {
		free(q->approvers[i]);
		if (q->comments != NULL)
			free(q->comments[i]);
	}
	free(q->approvers);
	free(q->comments);
	free(q);
}

int
gp_ra_request_dup(gp_ra_request **out, const gp_ra_request *b)
{
	gp_ra_request *r;
	int rc = 0;

	if (out == NULL || b == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_request_dup: bad arguments");
	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	*r = *b;
	r->ca = r->profile = r->subject = r->sans = NULL;
	r->contact_name = r->contact_email = r->contact_phone = NULL;
	r->submitter = r->reason = NULL;
	r->csr = NULL;
	r->approvers = r->comments = NULL;
	r->napprovers = 0;
	if ((rc = gp_strdup(&r->ca, b->ca)) != 0 ||
	    (rc = gp_strdup(&r->profile, b->profile)) != 0 ||
	    (rc = gp_strdup(&r->subject, b->subject)) != 0 ||
	    (rc = gp_strdup(&r->sans, b->sans)) != 0 ||
	    (rc = gp_strdup(&r->contact_name, b->contact_name)) != 0 ||
	    (rc = gp_strdup(&r->contact_email, b->contact_email)) != 0 ||
	    (rc = gp_strdup(&r->contact_phone, b->contact_phone)) != 0 ||
	    (rc = gp_strdup(&r->submitter, b->submitter)) != 0 ||
	    (rc = gp_strdup(&r->reason, b->reason)) != 0)
		goto out;
	if (b->csr != NULL && b->csr_len > 0) {
		if ((r->csr = malloc(b->csr_len)) == NULL) {
			rc = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(r->csr, b->csr, b->csr_len);
	}
	if (b->napprovers > 0) {
		if ((r->approvers = calloc(b->napprovers, sizeof(*r->approvers))) == NULL ||
		    (r->comments = calloc(b->napprovers, sizeof(*r->comments))) == NULL) {
			rc = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
		for (; r->napprovers < b->napprovers; r->napprovers++)
			if ((rc = gp_strdup(&r->approvers[r->napprovers],
			    b->approvers[r->napprovers])) != 0 ||
			    (b->comments != NULL && (rc = gp_strdup(&r->comments[r->napprovers],
			    b->comments[r->napprovers])) != 0))
				goto out;
	}
	*out = r;
	r = NULL;
out:
	gp_ra_request_free(r);
	return rc;
}

void
gp_ra_officer_free(gp_ra_officer *o)
{
	if (o == NULL)
		return;
	free(o->name);
	free(o->subject);
	free(o);
}

void
gp_ra_token_free(gp_ra_token *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->profiles);
	free(t);
}

int
gp_ra_officer_dup(gp_ra_officer **out, const gp_ra_officer *b)
{
	gp_ra_officer *o;
	int r;

	*out = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	*o = *b;
	o->name = o->subject = NULL;
	if ((r = gp_strdup(&o->name, b->name)) != 0 ||
	    (r = gp_strdup(&o->subject, b->subject)) != 0) {
		gp_ra_officer_free(o);
		return r;
	}
	*out = o;
	return 0;
}

int
gp_ra_token_dup(gp_ra_token **out, const gp_ra_token *b)
{
	gp_ra_token *t;
	int r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	*t = *b;
	t->name = t->profiles = NULL;
	if ((r = gp_strdup(&t->name, b->name)) != 0 ||
	    (r = gp_strdup(&t->profiles, b->profiles)) != 0) {
		gp_ra_token_free(t);
		return r;
	}
	*out = t;
	return 0;
}
