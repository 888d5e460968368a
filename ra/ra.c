/* ra/ra.c: the RA workflow: submissions, approvals with dual control, rejections, officers, tokens, challenges */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <govpki/acme.h>
#include <govpki/audit.h>
#include <govpki/key.h>
#include <govpki/signer.h>
#include <govpki/verify.h>
#include <govpki/x509util.h>

#include "../ca/ca_lib.h"
#include "error_int.h"
#include "csr.h"
#include "ra_int.h"
#include "util.h"

static const char *const status_names[GP_RA__NSTATUS] = {
	"pending", "approved", "issued", "rejected", "failed", "revoked",
};
static const char *const role_names[] = { "officer", "admin", "auditor" };

const char *
gp_ra_status_name(int status)
{
	return status >= 0 && status < GP_RA__NSTATUS ? status_names[status] : "unknown";
}

int
gp_ra_status_from_name(int *out, const char *name)
{
	*out = -1;
	for (int i = 0; name != NULL && i < GP_RA__NSTATUS; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return gp_err(GP_E_INVALID, "unknown request status '%.64s' (pending, approved, "
	    "issued, rejected, failed, revoked)", name ? name : "");
}

const char *
gp_ra_role_name(int role)
{
	return role >= 0 && role < 3 ? role_names[role] : "unknown";
}

int
gp_ra_role_from_name(int *out, const char *name)
{
	*out = -1;
	for (int i = 0; name != NULL && i < 3; i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return gp_err(GP_E_INVALID, "unknown role '%.64s' (officer, admin, auditor)",
	    name ? name : "");
}

int
gp_ra_new(gp_ra **out, gp_ctx *ctx, gp_ca *ca)
{
	gp_ra *ra;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_new: no output");
	*out = NULL;
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_new: no context");
	if ((ra = calloc(1, sizeof(*ra))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	ra->ctx = ctx;
	ra->ca = ca;
	ra->cttl = 300;
	*out = ra;
	return 0;
}

void
gp_ra_free(gp_ra *ra)
{
	if (ra == NULL)
		return;
	OPENSSL_cleanse(ra->ckey, sizeof(ra->ckey));
	free(ra->trust_ca);
	free(ra);
}

int
gp_ra_set_challenge_key(gp_ra *ra, const unsigned char key[32], int64_t ttl)
{
	if (ra == NULL || key == NULL || ttl <= 0)
		return gp_err(GP_E_INVALID, "gp_ra_set_challenge_key: bad arguments");
	memcpy(ra->ckey, key, 32);
	ra->have_ckey = 1;
	ra->cttl = ttl;
	return 0;
}

/* ------------------------------------------------------------- checks */

/* Printable text without control characters, 1..max bytes (NULL is fine
 * when optional). */
static int
check_text(const char *what, const char *s, size_t max, int required)
{
	size_t n;

	if (s == NULL)
		return required ? gp_err(GP_E_INVALID, "%s is required", what) : 0;
	n = strlen(s);
	if (n == 0 && required)
		return gp_err(GP_E_INVALID, "%s is empty", what);
	if (n > max)
		return gp_err(GP_E_INVALID, "%s is longer than %zu bytes", what, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return gp_err(GP_E_INVALID, "%s contains a control character", what);
	return 0;
}

/* Officer and token names: [A-Za-z0-9_.@-]{1,128}. */
static int
check_name(const char *what, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > GP_RA_MAX_NAME)
		return gp_err(GP_E_INVALID, "%s must be 1 to %d characters", what, GP_RA_MAX_NAME);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.@-", s[i]) == NULL)
			return gp_err(GP_E_INVALID, "%s '%.64s' may hold only letters, digits and _ . @ -",
			    what, s);
	return 0;
}

static int
need_ca(gp_ra *ra)
{
	if (ra->ca == NULL)
		return gp_err(GP_E_STATE, "the RA has no CA opened to issue or revoke with");
	return 0;
}

/*
 * A write of the RA: its own transaction, or inside a group
 * (gp_ra_group_begin) a savepoint, so that a failed write undoes only
 * itself and the group commits the others.
 */
static int
w_begin(gp_ra *ra)
{
	gp_store *st = gp_ctx_store(ra->ctx);

	return ra->group ? gp_store_ra_savepoint(st, GP_RA_SP_BEGIN) : gp_store_begin(st);
}

static int
w_commit(gp_ra *ra)
{
	gp_store *st = gp_ctx_store(ra->ctx);

	return ra->group ? gp_store_ra_savepoint(st, GP_RA_SP_RELEASE) : gp_store_commit(st);
}

static void
w_rollback(gp_ra *ra)
{
	gp_store *st = gp_ctx_store(ra->ctx);

	if (ra->group)
		gp_store_ra_savepoint(st, GP_RA_SP_UNDO);
	else
		gp_store_rollback(st);
}

/* Runs the audit append and commit of a write begun by the caller; rolls
 * back on any failure. */
static int
audit_commit(gp_ra *ra, const char *actor, const char *action, const char *object,
    const char *detail)
{
	int r;

	if ((r = gp_audit_append(gp_ctx_store(ra->ctx), actor, action, object, detail)) != 0 ||
	    (r = w_commit(ra)) != 0)
		w_rollback(ra);
	return r;
}

int
gp_ra_group_begin(gp_ra *ra)
{
	int r;

	if (ra == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_group_begin: no RA");
	if (ra->group)
		return gp_err(GP_E_STATE, "a group is already open");
	if ((r = gp_store_begin(gp_ctx_store(ra->ctx))) != 0)
		return r;
	ra->group = 1;
	return 0;
}

int
gp_ra_group_commit(gp_ra *ra)
{
	if (ra == NULL || !ra->group)
		return gp_err(GP_E_STATE, "gp_ra_group_commit: no group is open");
	ra->group = 0;
	return gp_store_commit(gp_ctx_store(ra->ctx));
}

int
gp_ra_group_rollback(gp_ra *ra)
{
	if (ra == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_group_rollback: NULL argument");
	if (!ra->group)
		return gp_err(GP_E_STATE, "no write group is open");
	ra->group = 0;
	return gp_store_rollback(gp_ctx_store(ra->ctx));
}

/* ----------------------------------------------------------- requests */

/*
 * The approvals request q needs: the number it was stored with, but never
 * fewer than its profile asks for now (gp_profile_approvals: at least
 * GP_PROFILE_CA_APPROVALS for a CA profile), so that neither a request
 * stored under an older, laxer configuration nor an edited row issues a
 * CA certificate on one officer's word.  Revocation requests need one.
 */
static int
approvals_needed(gp_ra *ra, const gp_ra_request *q)
{
	const gp_profile *p;
	int n = q->approvals_needed > 0 ? q->approvals_needed : 1;

	if (q->kind == GP_RA_ISSUE && q->profile != NULL &&
	    (p = gp_profiles_get(gp_ctx_profiles(ra->ctx), q->profile)) != NULL &&
	    gp_profile_approvals(p) > n)
		n = gp_profile_approvals(p);
	return n;
}

/* The checks of a submission (everything but storing it); *prof gets
 * its profile. */
static int
submit_check(gp_ra *ra, const gp_ra_submission *sub, const gp_profile **prof)
{
	const gp_profile *p;
	gp_csr *csr = NULL;
	X509_NAME *subj = NULL;
	GENERAL_NAMES *sans = NULL;
	EVP_PKEY *pub;
	int r;

	*prof = NULL;
	if ((r = need_ca(ra)) != 0)
		return r;
	if ((r = check_text("submitter", sub->submitter, GP_RA_MAX_NAME + 16, 1)) != 0 ||
	    (r = check_text("profile", sub->profile, 64, 1)) != 0 ||
	    (r = check_text("subject", sub->subject, GP_RA_MAX_TEXT, 0)) != 0 ||
	    (r = check_text("SANs", sub->sans, GP_RA_MAX_TEXT, 0)) != 0 ||
	    (r = check_text("contact name", sub->contact_name, 256, 0)) != 0 ||
	    (r = check_text("contact email", sub->contact_email, 256, 0)) != 0 ||
	    (r = check_text("contact phone", sub->contact_phone, 64, 0)) != 0)
		return r;
	if (sub->contact_email != NULL && strchr(sub->contact_email, '@') == NULL)
		return gp_err(GP_E_INVALID, "contact email '%.64s' has no '@'", sub->contact_email);
	/* a profile this CA cannot or may not issue (unknown, a CA profile past
	 * its pathLenConstraint, ...) is refused now, not after the officers
	 * approved it */
	if ((r = gp_ca_may_issue(ra->ca, sub->profile)) != 0)
		return r;
	if ((p = gp_profiles_get(gp_ctx_profiles(ra->ctx), sub->profile)) == NULL)
		return gp_err(GP_E_NOTFOUND, "unknown profile '%.64s'", sub->profile);
	if (sub->csr == NULL || sub->csr_len == 0)
		return gp_err(GP_E_INVALID, "no CSR given");
	if (sub->csr_len > GP_RA_MAX_CSR)
		return gp_err(GP_E_INVALID, "CSR of %zu bytes (at most %d)", sub->csr_len, GP_RA_MAX_CSR);
	/* the checks gp_ca_issue will make again, so that a request an officer
	 * sees can be issued: the CSR's own signature (PKCS#10, RFC 2986 §3)
	 * and the profile */
	/* lib/csr.c: the hot-path parser issuance uses (no OpenSSL 3.0
	 * decoder chain per key) */
	if ((r = gp_csr_parse(&csr, sub->csr, sub->csr_len)) != 0 ||
	    (r = gp_csr_verify(csr)) != 0)
		goto out;
	pub = gp_csr_pubkey0(csr);     /* borrowed */
	if (sub->subject != NULL)
		r = gp_name_parse(&subj, sub->subject);
	else if ((subj = X509_NAME_dup(gp_csr_subject0(csr))) == NULL)
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
	if (r != 0)
		goto out;
	r = sub->sans != NULL ? gp_sans_parse(&sans, sub->sans) : gp_csr_sans(&sans, csr);
	if (r != 0 || (r = gp_profile_check(p, pub, subj, sans)) != 0 ||
	    (r = gp_ca_check_key(ra->ctx, pub)) != 0)
		goto out;
	*prof = p;
	r = 0;
out:
	gp_csr_free(csr);
	X509_NAME_free(subj);
	GENERAL_NAMES_free(sans);
	return r;
}

/* Stores a checked submission as pending with its audit entry; *id its
 * id, *out (when out is not NULL) a copy of the stored request.  With an
 * ACME order (order > 0), the order moves from ready to processing with
 * the request's id, in the same write. */
static int
submit_store(gp_ra *ra, int64_t *id, gp_ra_request **out, const gp_ra_submission *sub,
    const gp_profile *p, int64_t order)
{
	gp_store *st = gp_ctx_store(ra->ctx);
	gp_ra_request q;
	char obj[32], detail[1536];
	int r;

	memset(&q, 0, sizeof(q));
	q.kind = GP_RA_ISSUE;
	q.status = GP_RA_PENDING;
	q.ca = (char *)gp_ca_name(ra->ca);
	q.profile = (char *)sub->profile;
	q.csr = (unsigned char *)sub->csr;
	q.csr_len = sub->csr_len;
	q.subject = (char *)sub->subject;
	q.sans = (char *)sub->sans;
	q.contact_name = (char *)sub->contact_name;
	q.contact_email = (char *)sub->contact_email;
	q.contact_phone = (char *)sub->contact_phone;
	q.submitter = (char *)sub->submitter;
	q.submitted = q.updated = gp_now();
	q.approvals_needed = approvals_needed(ra, &q);
	q.revoke_reason = GP_REASON_NONE;
	if ((r = w_begin(ra)) != 0)
		return r;
	if ((r = gp_store_ra_req_add(st, &q)) != 0 ||
	    (order > 0 && (r = gp_store_acme_order_set(st, order, GP_ACME_READY,
	    GP_ACME_PROCESSING, NULL, NULL, 0, q.id)) != 0)) {
		w_rollback(ra);
		return r;
	}
	snprintf(obj, sizeof(obj), "request:%lld", (long long)q.id);
	snprintf(detail, sizeof(detail), "result=ok kind=issue ca=%s profile=%s approvals=%d subject=%s",
	    q.ca, q.profile, q.approvals_needed, sub->subject ? sub->subject : "(from CSR)");
	if ((r = audit_commit(ra, sub->submitter, GP_AUDIT_RA_SUBMIT, obj, detail)) != 0)
		return r;
	*id = q.id;
	/* stored: a failed copy only costs the caller a read */
	if (out != NULL && gp_ra_request_dup(out, &q) != 0)
		*out = NULL;
	return 0;
}

int
gp_ra_submit(gp_ra *ra, int64_t *id, const gp_ra_submission *sub)
{
	const gp_profile *p;
	int r;

	if (id != NULL)
		*id = 0;
	if (ra == NULL || id == NULL || sub == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_submit: bad arguments");
	if ((r = submit_check(ra, sub, &p)) != 0)
		return r;
	return submit_store(ra, id, NULL, sub, p, 0);
}

int
gp_ra_submit_check(gp_ra *ra, const gp_ra_submission *sub)
{
	const gp_profile *p;

	if (ra == NULL || sub == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_submit_check: bad arguments");
	return submit_check(ra, sub, &p);
}

int
gp_ra_submit_store(gp_ra *ra, gp_ra_request **out, const gp_ra_submission *sub)
{
	const gp_profile *p;
	int64_t id;
	int r;

	if (out != NULL)
		*out = NULL;
	if (ra == NULL || out == NULL || sub == NULL || sub->submitter == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_submit_store: bad arguments");
	if ((r = need_ca(ra)) != 0)
		return r;
	if ((p = gp_profiles_get(gp_ctx_profiles(ra->ctx), sub->profile)) == NULL)
		return gp_err(GP_E_NOTFOUND, "unknown profile '%.64s'", sub->profile);
	if ((r = submit_store(ra, &id, out, sub, p, 0)) != 0)
		return r;
	if (*out == NULL)
		return gp_ra_request_get(ra, id, out);
	return 0;
}

int
gp_ra_submit_revoke(gp_ra *ra, int64_t *id, const unsigned char *serial, size_t serial_len,
    int reason, const char *submitter)
{
	gp_store *st;
	gp_ra_request q;
	char obj[32], detail[256], hex[2 * GP_SERIAL_MAX + 1];
	int64_t at;
	int r, status, old;

	if (id != NULL)
		*id = 0;
	if (ra == NULL || id == NULL || serial == NULL || serial_len == 0 ||
	    serial_len > GP_SERIAL_MAX)
		return gp_err(GP_E_INVALID, "gp_ra_submit_revoke: bad arguments");
	if ((r = need_ca(ra)) != 0 ||
	    (r = check_text("submitter", submitter, GP_RA_MAX_NAME + 16, 1)) != 0)
		return r;
	if (reason < GP_REASON_UNSPECIFIED || reason > GP_REASON_AA_COMPROMISE || reason == 7 ||
	    reason == GP_REASON_REMOVE_FROM_CRL)
		return gp_err(GP_E_INVALID, "revocation reason %d cannot be requested", reason);
	st = gp_ctx_store(ra->ctx);
	gp_hex_encode(hex, serial, serial_len);
	if ((r = gp_store_cert_status(st, gp_ca_id(ra->ca), serial, serial_len, &status, &at,
	    &old)) != 0)
		return r == GP_E_NOTFOUND ? gp_err(r, "CA %s issued no certificate with serial %s",
		    gp_ca_name(ra->ca), hex) : r;
	if (status == GP_STATUS_REVOKED)
		return gp_err(GP_E_STATE, "certificate %s is already revoked", hex);
	memset(&q, 0, sizeof(q));
	q.kind = GP_RA_REVOKE;
	q.status = GP_RA_PENDING;
	q.ca = (char *)gp_ca_name(ra->ca);
	q.submitter = (char *)submitter;
	q.submitted = q.updated = gp_now();
	q.approvals_needed = 1;
	q.revoke_reason = reason;
	memcpy(q.serial, serial, serial_len);
	q.serial_len = serial_len;
	if ((r = w_begin(ra)) != 0)
		return r;
	if ((r = gp_store_ra_req_add(st, &q)) != 0) {
		w_rollback(ra);
		return r;
	}
	snprintf(obj, sizeof(obj), "request:%lld", (long long)q.id);
	snprintf(detail, sizeof(detail), "result=ok kind=revoke ca=%s serial=%s reason=%s",
	    q.ca, hex, gp_reason_name(reason));
	if ((r = audit_commit(ra, submitter, GP_AUDIT_RA_SUBMIT, obj, detail)) != 0)
		return r;
	*id = q.id;
	return 0;
}

int
gp_ra_request_get(gp_ra *ra, int64_t id, gp_ra_request **out)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if (ra == NULL || out == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_request_get: bad arguments");
	if ((r = gp_store_ra_req_get(gp_ctx_store(ra->ctx), id, out)) != 0)
		return r;
	(*out)->approvals_needed = approvals_needed(ra, *out);
	return 0;
}

int
gp_ra_request_list(gp_ra *ra, const gp_ra_filter *f, gp_ra_request_cb cb, void *arg)
{
	if (ra == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_request_list: no RA");
	return gp_store_ra_req_list(gp_ctx_store(ra->ctx), f, cb, arg);
}

int
gp_ra_count(gp_ra *ra, int64_t counts[GP_RA__NSTATUS])
{
	if (ra == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_count: no RA");
	return gp_store_ra_req_count(gp_ctx_store(ra->ctx), counts);
}

/* Ends an approved request inside the write the caller began: to (issued,
 * revoked, failed) with its audit entry. */
static int
finish_from(gp_ra *ra, const gp_ra_request *q, int from, int to, const char *reason,
    const unsigned char *serial, size_t serial_len, int64_t when)
{
	gp_store *st = gp_ctx_store(ra->ctx);
	char obj[32], detail[1024], hex[2 * GP_SERIAL_MAX + 1] = "";
	int r;

	if (serial_len > 0)
		gp_hex_encode(hex, serial, serial_len);
	snprintf(obj, sizeof(obj), "request:%lld", (long long)q->id);
	snprintf(detail, sizeof(detail), "result=%s serial=%s%s%.900s",
	    to == GP_RA_FAILED ? "failed" : "ok", hex[0] ? hex : "-",
	    reason ? " reason=" : "", reason ? reason : "");
	if ((r = gp_store_ra_req_set_status(st, q->id, from, to, reason, serial,
	    serial_len, when)) != 0)
		return r;
	return gp_audit_append(st, "ra", to == GP_RA_FAILED ? "ra.failed" :
	    to == GP_RA_ISSUED ? "ra.issued" : "ra.revoked", obj, detail);
}

/* The same from approved, the state every officer-approved request is
 * carried out from. */
static int
finish_in(gp_ra *ra, const gp_ra_request *q, int to, const char *reason,
    const unsigned char *serial, size_t serial_len, int64_t when)
{
	return finish_from(ra, q, GP_RA_APPROVED, to, reason, serial, serial_len, when);
}

/* The same in a write (transaction or savepoint) of its own. */
static int
finish(gp_ra *ra, const gp_ra_request *q, int to, const char *reason,
    const unsigned char *serial, size_t serial_len)
{
	int r;

	if ((r = w_begin(ra)) != 0)
		return r;
	if ((r = finish_in(ra, q, to, reason, serial, serial_len, gp_now())) != 0 ||
	    (r = w_commit(ra)) != 0)
		w_rollback(ra);
	return r;
}

/* Carries out an approved revocation request (gp_ca_revoke commits on its
 * own); the request ends revoked or failed.  Returns the final state in
 * *final; < 0 only when even the failure could not be recorded. */
static int
carry_out_revoke(gp_ra *ra, const gp_ra_request *q, int *final)
{
	char actor[48], reason[900];
	int r;

	snprintf(actor, sizeof(actor), "ra:request:%lld", (long long)q->id);
	if (strcmp(q->ca, gp_ca_name(ra->ca)) != 0) {
		r = gp_err(GP_E_STATE, "request is for CA %s, the RA serves %s", q->ca,
		    gp_ca_name(ra->ca));
	} else if ((r = gp_ca_revoke(ra->ctx, q->ca, q->serial, q->serial_len, q->revoke_reason,
	    0, actor)) == 0) {
		*final = GP_RA_REVOKED;
		return finish(ra, q, GP_RA_REVOKED, NULL, q->serial, q->serial_len);
	}
	snprintf(reason, sizeof(reason), "%s", gp_error_last());
	*final = GP_RA_FAILED;
	if ((r = finish(ra, q, GP_RA_FAILED, reason, NULL, 0)) != 0)
		return r;
	/* leave the reason readable: the approval itself succeeded */
	gp_err(GP_E_STATE, "%s", reason);
	return 0;
}

/* An approval checked and, when it completes an issue request, with the
 * certificate built and signed (gp_ra_approve_prepare). */
struct gp_ra_approval {
	gp_ra_request *q;             /* as read when prepared */
	char officer[GP_RA_MAX_NAME + 1];
	char *comment;                /* the officer's, or NULL */
	gp_issue_prep *prep;          /* NULL: not prepared, or failed (prep_rc) */
	int prep_rc;
	char prep_msg[900];
	unsigned char serial[GP_SERIAL_MAX];  /* of the certificate issued */
	size_t serial_len;
	int q_final;                  /* q is the request as _store left it */
	int by_signer;                /* the RA's context has a signer: ca-signer issues */
	int resend;                   /* q is approved already: only ask the signer again */
};

void
gp_ra_approval_free(gp_ra_approval *a)
{
	if (a == NULL)
		return;
	gp_ra_request_free(a->q);
	gp_issue_prep_free(a->prep);
	free(a->comment);
	free(a);
}

const gp_ra_request *
gp_ra_approval_request(const gp_ra_approval *a)
{
	return a != NULL && a->q_final ? a->q : NULL;
}

/* After the one approval that completed issue request a->q (committed at
 * when): a->q becomes what the store now holds, as gp_ra_request_get would
 * read it, so that it can be answered without a read. */
static void
approval_settle(gp_ra_approval *a, int fin, int64_t when)
{
	gp_ra_request *q = a->q;
	char **ap, **cm = NULL, *reason = NULL;

	/* not settled (the caller then reads it) unless everything copies */
	if ((ap = calloc(1, sizeof(*ap))) == NULL || (cm = calloc(1, sizeof(*cm))) == NULL) {
		free(ap);
		return;
	}
	if (gp_strdup(&ap[0], a->officer) != 0 || gp_strdup(&cm[0], a->comment) != 0 ||
	    (fin == GP_RA_FAILED && gp_strdup(&reason, a->prep_msg) != 0)) {
		free(ap[0]);
		free(ap);
		free(cm[0]);
		free(cm);
		return;
	}
	q->approvers = ap;
	q->comments = cm;
	q->napprovers = 1;
	q->status = fin;
	q->updated = when;
	if (fin == GP_RA_FAILED) {      /* the store's coalesce(reason, ...) */
		free(q->reason);
		q->reason = reason;
	} else {
		memcpy(q->serial, a->serial, a->serial_len);
		q->serial_len = a->serial_len;
	}
	a->q_final = 1;
}

int
gp_ra_approval_grouped(const gp_ra_approval *a)
{
	/* through the signer, the approval must be committed before the
	 * signer is asked (it reads the store): a write of its own */
	return a != NULL && a->q != NULL && a->q->kind == GP_RA_ISSUE && !a->by_signer;
}

/* Builds and signs the certificate of an issue request (no store). */
static void
prepare_cert(gp_ra *ra, gp_ra_approval *a, const char *who)
{
	gp_issue_req ir;
	char actor[160];

	if (who != NULL)
		snprintf(actor, sizeof(actor), "%.100s:request:%lld", who, (long long)a->q->id);
	else
		snprintf(actor, sizeof(actor), "ra:request:%lld", (long long)a->q->id);
	ir = (gp_issue_req)GP_ISSUE_REQ_INIT;
	ir.csr = a->q->csr;
	ir.csr_len = a->q->csr_len;
	ir.profile = a->q->profile;
	ir.subject = a->q->subject;
	ir.sans = a->q->sans;
	ir.actor = actor;
	if ((a->prep_rc = gp_ca_issue_prepare(&a->prep, ra->ca, &ir)) != 0)
		snprintf(a->prep_msg, sizeof(a->prep_msg), "%s", gp_error_last());
}

/*
 * GP_E_POLICY when revocation request q is aimed at officer's own
 * certificate: nobody decides (approves or rejects) the fate of their own
 * credential (issue 21.6).  An officer unknown to the store holds none.
 */
static int
own_certificate(gp_ra *ra, const gp_ra_request *q, const char *officer)
{
	gp_ra_officer *o = NULL;
	gp_ca_info *ca = NULL;
	int r, own;

	if (q->kind != GP_RA_REVOKE)
		return 0;
	if ((r = gp_store_ra_officer_get(gp_ctx_store(ra->ctx), officer, NULL, &o)) != 0) {
		if (r != GP_E_NOTFOUND)
			return r;
		gp_error_clear();
		return 0;
	}
	if ((r = gp_store_ca_get(gp_ctx_store(ra->ctx), q->ca, &ca)) != 0) {
		gp_ra_officer_free(o);
		return r;
	}
	own = o->ca_id == ca->id && o->serial_len == q->serial_len &&
	    memcmp(o->serial, q->serial, q->serial_len) == 0;
	gp_ca_info_free(ca);
	gp_ra_officer_free(o);
	return own ? gp_err(GP_E_POLICY, "request %lld would revoke officer %s's own "
	    "certificate: another officer decides it", (long long)q->id, officer) : 0;
}

int
gp_ra_approve_prepare(gp_ra_approval **out, gp_ra *ra, int64_t id, const char *officer,
    const char *comment)
{
	gp_ra_approval *a = NULL;
	gp_ra_request *q;
	char who[GP_RA_MAX_NAME + 16];
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || ra == NULL || officer == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_approve: bad arguments");
	if ((r = check_name("officer", officer)) != 0 ||
	    (r = check_text("comment", comment, GP_RA_MAX_TEXT, 0)) != 0)
		return r;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(a->officer, sizeof(a->officer), "%s", officer);
	if ((r = gp_strdup(&a->comment, comment)) != 0)
		goto out;
	if ((r = gp_store_ra_req_get(gp_ctx_store(ra->ctx), id, &a->q)) != 0)
		goto out;
	q = a->q;
	q->approvals_needed = approvals_needed(ra, q);
	a->by_signer = q->kind == GP_RA_ISSUE && gp_ctx_signer0(ra->ctx) != NULL;
	/* approved, not issued: the signer was not reached; approving again
	 * asks it again (it counts the approvals in the store itself) */
	a->resend = a->by_signer && q->status == GP_RA_APPROVED;
	if (q->status != GP_RA_PENDING && !a->resend) {
		r = gp_err(GP_E_STATE, "request %lld is %s, not pending", (long long)id,
		    gp_ra_status_name(q->status));
		goto out;
	}
	snprintf(who, sizeof(who), "officer:%s", officer);
	if (strcmp(q->submitter, who) == 0) {
		r = gp_err(GP_E_POLICY, "officer %s submitted request %lld and cannot approve it",
		    officer, (long long)id);
		goto out;
	}
	for (size_t i = 0; i < q->napprovers && !a->resend; i++) {
		if (strcmp(q->approvers[i], officer) == 0) {
			r = gp_err(GP_E_EXISTS, "officer %s already approved request %lld",
			    officer, (long long)id);
			goto out;
		}
	}
	if ((r = own_certificate(ra, q, officer)) != 0)
		goto out;
	/* the last approval needed: sign now, outside any transaction (the
	 * signer signs only once the approval is committed) */
	if (q->kind == GP_RA_ISSUE && !a->by_signer && ra->ca != NULL &&
	    strcmp(q->ca, gp_ca_name(ra->ca)) == 0 &&
	    q->napprovers + 1 >= (size_t)q->approvals_needed)
		prepare_cert(ra, a, NULL);
	*out = a;
	a = NULL;
	r = 0;
out:
	gp_ra_approval_free(a);
	return r;
}

/* Issues the approved request of a inside the write begun: the request
 * ends issued, or failed with the reason (*final).  < 0 only for a store
 * failure, which undoes the whole approval. */
static int
issue_in(gp_ra *ra, gp_ra_approval *a, int *final, int64_t when)
{
	const gp_ra_request *q = a->q;
	int r;

	if (strcmp(q->ca, gp_ca_name(ra->ca)) != 0) {
		snprintf(a->prep_msg, sizeof(a->prep_msg), "request is for CA %s, the RA serves %s",
		    q->ca, gp_ca_name(ra->ca));
		goto failed;
	}
	/* not prepared when another approval came in meanwhile */
	if (a->prep == NULL && a->prep_rc == 0)
		prepare_cert(ra, a, NULL);
	if (a->prep == NULL)
		goto failed;
	/* a key found compromised (or a CA's) since the submission: the
	 * request fails with the reason, the approval stands */
	if ((r = gp_ca_issue_store(ra->ca, a->prep)) == GP_E_POLICY) {
		snprintf(a->prep_msg, sizeof(a->prep_msg), "%s", gp_error_last());
		goto failed;
	}
	if (r != 0 ||
	    (r = gp_serial_from_asn1(a->serial, &a->serial_len,
	    X509_get0_serialNumber(gp_issue_prep_cert0(a->prep)))) != 0 ||
	    (r = finish_in(ra, q, GP_RA_ISSUED, NULL, a->serial, a->serial_len, when)) != 0)
		return r;
	*final = GP_RA_ISSUED;
	return 0;
failed:
	if ((r = finish_in(ra, q, GP_RA_FAILED, a->prep_msg, NULL, 0, when)) != 0)
		return r;
	*final = GP_RA_FAILED;
	return 0;
}

/*
 * Has ca-signer issue the approved request of a, committed as approved
 * before this call: the signer reads it from the store, counts its
 * approvals again, signs, and stores the certificate with the final state
 * itself (gp_ra_issue_approved in the signer).  *final: issued, or failed
 * when the signer failed it (profile, key, lint: 0 returned, the reason
 * readable, as in process).  A signer that cannot be reached, or that
 * refuses without touching the request, leaves it approved: its error is
 * returned, and the approval stands (approving again asks again).
 */
static int
issue_by_signer(gp_ra *ra, gp_ra_approval *a, int *final)
{
	gp_ra_request *now = NULL;
	X509 *x = NULL;
	char why[900];
	int r, st = -1;

	if ((r = gp_signer_issue_approved(&x, gp_ctx_signer0(ra->ctx), a->q->id)) == 0) {
		*final = GP_RA_ISSUED;
		/* issued and stored by the signer: a serial that does not read
		 * back only costs the caller a read of the request */
		if (gp_serial_from_asn1(a->serial, &a->serial_len, X509_get0_serialNumber(x)) != 0)
			a->serial_len = 0;
		X509_free(x);
		return 0;
	}
	snprintf(why, sizeof(why), "%s", gp_error_last());
	/* what the signer left in the store decides (a reply lost after the
	 * signer committed is an issued request, not an error) */
	if (gp_store_ra_req_get(gp_ctx_store(ra->ctx), a->q->id, &now) == 0)
		st = now->status;
	gp_ra_request_free(now);
	if (st == GP_RA_ISSUED || st == GP_RA_FAILED) {
		*final = st;
		snprintf(a->prep_msg, sizeof(a->prep_msg), "%s", why);
		if (st == GP_RA_FAILED)   /* readable; the approval itself succeeded */
			gp_err(GP_E_STATE, "%s", why);
		else
			gp_error_clear();
		return 0;
	}
	return gp_err(r, "request %lld is approved but not issued: %s (the approval stands; "
	    "approve it again once ca-signer answers)", (long long)a->q->id, why);
}

int
gp_ra_approve_store(gp_ra *ra, int *final, gp_ra_approval *a)
{
	gp_store *st;
	gp_ra_request *q;
	char who[GP_RA_MAX_NAME + 16], obj[32], detail[GP_RA_MAX_TEXT + 128];
	int r, count, fin = GP_RA_PENDING;
	int64_t now = gp_now();         /* one time for the whole write */

	if (final != NULL)
		*final = -1;
	if (ra == NULL || a == NULL || a->q == NULL || a->q_final)
		return gp_err(GP_E_INVALID, "gp_ra_approve_store: bad arguments");
	q = a->q;
	if (ra->group && !gp_ra_approval_grouped(a))
		return gp_err(GP_E_STATE, "approving revocation request %lld cannot join a group",
		    (long long)q->id);
	st = gp_ctx_store(ra->ctx);
	snprintf(who, sizeof(who), "officer:%s", a->officer);
	if (a->resend) {
		/* approved already (gp_ra_approve_prepare): nothing to record,
		 * the signer asked again */
		if ((r = issue_by_signer(ra, a, &fin)) == 0 && final != NULL)
			*final = fin;
		return r;
	}
	if ((r = w_begin(ra)) != 0)
		return r;
	/* the primary key refuses a second approval even from a racing writer,
	 * and the compare-and-set below a request rejected meanwhile */
	if ((r = gp_store_ra_approval_add(st, q->id, a->officer, a->comment, now, &count)) != 0 ||
	    (count >= q->approvals_needed &&
	    (r = gp_store_ra_req_set_status(st, q->id, GP_RA_PENDING, GP_RA_APPROVED, NULL, NULL, 0,
	    now)) != 0)) {
		w_rollback(ra);
		if (r == GP_E_STATE)
			r = gp_err(GP_E_STATE, "request %lld is no longer pending", (long long)q->id);
		return r;
	}
	snprintf(obj, sizeof(obj), "request:%lld", (long long)q->id);
	snprintf(detail, sizeof(detail), "result=ok approvals=%d/%d%s%s%s", count,
	    q->approvals_needed, count >= q->approvals_needed ? " status=approved" : "",
	    a->comment ? " comment=" : "", a->comment ? a->comment : "");
	if ((r = gp_audit_append(st, who, "ra.approve", obj, detail)) != 0)
		goto undo;
	if (count >= q->approvals_needed && a->by_signer) {
		/* committed approved first: that is what the signer reads */
		if ((r = w_commit(ra)) != 0)
			goto undo;
		q->status = GP_RA_APPROVED;
		if ((r = issue_by_signer(ra, a, &fin)) == 0 && final != NULL)
			*final = fin;
		return r;
	}
	if (count >= q->approvals_needed && ra->ca != NULL && q->kind == GP_RA_ISSUE) {
		/* approval, certificate and final state: one write */
		if ((r = issue_in(ra, a, &fin, now)) != 0)
			goto undo;
		if ((r = w_commit(ra)) != 0)
			goto undo;
		if (final != NULL)
			*final = fin;
		/* the approvers are known only when this one was the first */
		if (count == 1 && q->napprovers == 0)
			approval_settle(a, fin, now);
		if (fin == GP_RA_FAILED)  /* readable; the approval itself succeeded */
			gp_err(GP_E_STATE, "%s", a->prep_msg);
		return 0;
	}
	if ((r = w_commit(ra)) != 0)
		goto undo;
	if (count >= q->approvals_needed) {
		q->status = GP_RA_APPROVED;
		/* nobody to carry it out: say so; recover marks it failed */
		if (ra->ca == NULL)
			return need_ca(ra);
		if ((r = carry_out_revoke(ra, q, &fin)) != 0)
			return r;
	}
	if (final != NULL)
		*final = fin;
	return 0;
undo:
	w_rollback(ra);
	return r;
}

int
gp_ra_approve(gp_ra *ra, int *final, int64_t id, const char *officer, const char *comment)
{
	gp_ra_approval *a = NULL;
	int r;

	if (final != NULL)
		*final = -1;
	if ((r = gp_ra_approve_prepare(&a, ra, id, officer, comment)) == 0)
		r = gp_ra_approve_store(ra, final, a);
	gp_ra_approval_free(a);
	return r;
}

/*
 * The approvals of q that count: distinct officers registered in the
 * store, enabled, of role officer or admin (an auditor decides nothing),
 * none of them the submitter.  A row in ra_approval that names anyone
 * else (written by hand into the store) counts for nothing.
 */
static int
valid_approvals(gp_ra *ra, const gp_ra_request *q, int *count, char *why, size_t whylen)
{
	char who[GP_RA_MAX_NAME + 16];
	int r;

	*count = 0;
	why[0] = '\0';
	for (size_t i = 0; i < q->napprovers; i++) {
		gp_ra_officer *o = NULL;
		int dup = 0;

		for (size_t j = 0; j < i; j++)
			dup |= strcmp(q->approvers[j], q->approvers[i]) == 0;
		snprintf(who, sizeof(who), "officer:%s", q->approvers[i]);
		if (dup || strcmp(q->submitter, who) == 0) {
			snprintf(why, whylen, "; %.64s submitted it", q->approvers[i]);
			continue;
		}
		if ((r = gp_store_ra_officer_get(gp_ctx_store(ra->ctx), q->approvers[i], NULL, &o))
		    != 0) {
			if (r != GP_E_NOTFOUND)
				return r;
			gp_error_clear();
			snprintf(why, whylen, "; %.64s is not a registered officer", q->approvers[i]);
			continue;
		}
		if (!o->enabled || o->role == GP_RA_ROLE_AUDITOR)
			snprintf(why, whylen, "; officer %.64s is %s", o->name,
			    !o->enabled ? "disabled" : "an auditor");
		else
			(*count)++;
		gp_ra_officer_free(o);
	}
	return 0;
}

/*
 * Issue request id as the signer reads it: an issue request in state
 * want, of the RA's CA, for a known profile that is not a CA profile.
 * *q: gp_ra_request_free, *p borrowed.  Nothing written.
 */
static int
issue_request_get(gp_ra *ra, int64_t id, int want, gp_ra_request **q, const gp_profile **p)
{
	int r;

	*q = NULL;
	if ((r = need_ca(ra)) != 0)
		return r;
	if ((r = gp_store_ra_req_get(gp_ctx_store(ra->ctx), id, q)) != 0)
		return r;
	if ((*q)->kind != GP_RA_ISSUE)
		r = gp_err(GP_E_POLICY, "request %lld is a revocation request", (long long)id);
	else if ((*q)->status != want)
		r = gp_err(GP_E_STATE, "request %lld is %s, not %s", (long long)id,
		    gp_ra_status_name((*q)->status), gp_ra_status_name(want));
	else if (strcmp((*q)->ca, gp_ca_name(ra->ca)) != 0)
		r = gp_err(GP_E_DENIED, "request %lld is for CA %.64s, not %s", (long long)id,
		    (*q)->ca, gp_ca_name(ra->ca));
	else if ((*q)->profile == NULL ||
	    (*p = gp_profiles_get(gp_ctx_profiles(ra->ctx), (*q)->profile)) == NULL)
		r = gp_err(GP_E_NOTFOUND, "request %lld: unknown profile '%.64s'", (long long)id,
		    (*q)->profile ? (*q)->profile : "");
	/* a CA certificate is never issued on a request id alone
	 * (docs/signer.md: an admin's issue-batch, or ca-tool init) */
	else if (gp_profile_is_ca(*p))
		r = gp_err(GP_E_POLICY, "request %lld asks for a CA certificate (profile %s)",
		    (long long)id, (*q)->profile);
	if (r != 0) {
		gp_ra_request_free(*q);
		*q = NULL;
	}
	return r;
}

/*
 * Builds, lints and signs q's certificate outside the write; stores it
 * with the final states (compare-and-set from state from and, with an
 * ACME order, the order from processing to valid: issued once) in one.
 * A refusal of the CA (profile, key, lint) marks q failed with the reason
 * and returns that error.  *out: X509_free.
 */
static int
sign_and_store(X509 **out, gp_ra *ra, gp_ra_request *q, int from, int64_t order,
    const char *actor)
{
	gp_store *st = gp_ctx_store(ra->ctx);
	gp_ra_approval a;
	char obj[40];
	int r;

	memset(&a, 0, sizeof(a));
	a.q = q;
	prepare_cert(ra, &a, actor);
	if ((r = w_begin(ra)) != 0)
		goto out;
	if (a.prep == NULL || (r = gp_ca_issue_store(ra->ca, a.prep)) == GP_E_POLICY) {
		if (a.prep != NULL)
			snprintf(a.prep_msg, sizeof(a.prep_msg), "%s", gp_error_last());
		if ((r = finish_from(ra, q, from, GP_RA_FAILED, a.prep_msg, NULL, 0, gp_now())) != 0 ||
		    (r = w_commit(ra)) != 0) {
			w_rollback(ra);
			goto out;
		}
		r = gp_err(a.prep_rc != 0 ? a.prep_rc : GP_E_POLICY, "%s", a.prep_msg);
		goto out;
	}
	snprintf(obj, sizeof(obj), "acme-order:%lld", (long long)order);
	if (r != 0 ||
	    (r = gp_serial_from_asn1(a.serial, &a.serial_len,
	    X509_get0_serialNumber(gp_issue_prep_cert0(a.prep)))) != 0 ||
	    (r = finish_from(ra, q, from, GP_RA_ISSUED, NULL, a.serial, a.serial_len,
	    gp_now())) != 0 ||
	    (order > 0 && ((r = gp_store_acme_order_set(st, order, GP_ACME_PROCESSING,
	    GP_ACME_VALID, NULL, a.serial, a.serial_len, 0)) != 0 ||
	    (r = gp_audit_append(st, actor, "acme.order.status", obj, "valid")) != 0)) ||
	    (r = w_commit(ra)) != 0) {
		w_rollback(ra);
		if (r == GP_E_STATE)
			r = gp_err(GP_E_STATE, "request %lld is no longer %s", (long long)q->id,
			    gp_ra_status_name(from));
		goto out;
	}
	if (!X509_up_ref(gp_issue_prep_cert0(a.prep))) {
		r = gp_err_ossl(GP_E_INTERNAL, "reference counting");
		goto out;
	}
	*out = gp_issue_prep_cert0(a.prep);
	r = 0;
out:
	gp_issue_prep_free(a.prep);
	return r;
}

int
gp_ra_issue_approved(X509 **out, gp_ra *ra, int64_t id, const char *actor)
{
	gp_ra_request *q = NULL;
	const gp_profile *p = NULL;
	char why[160];
	int r, count, need;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || ra == NULL || actor == NULL || actor[0] == '\0')
		return gp_err(GP_E_INVALID, "gp_ra_issue_approved: bad arguments");
	if ((r = issue_request_get(ra, id, GP_RA_APPROVED, &q, &p)) != 0)
		return r;
	/* the profile's approvals as this process reads them, never fewer than
	 * the row says */
	need = approvals_needed(ra, q);
	if ((r = valid_approvals(ra, q, &count, why, sizeof(why))) != 0)
		goto out;
	if (count < need) {
		r = gp_err(GP_E_POLICY, "request %lld has %d valid approval%s of the %d its profile "
		    "%s needs%s", (long long)id, count, count == 1 ? "" : "s", need, q->profile, why);
		goto out;
	}
	r = sign_and_store(out, ra, q, GP_RA_APPROVED, 0, actor);
out:
	gp_ra_request_free(q);
	return r;
}

/* ------------------------------------------- issuance without officers */

static const char *const channel_names[] = { NULL, "est", "acme", "cmp", "scep" };

const char *
gp_ra_channel_name(int channel)
{
	return channel >= GP_RA_AUTO_EST && channel <= GP_RA_AUTO_SCEP ? channel_names[channel] :
	    NULL;
}

int
gp_ra_channel_from_name(int *out, const char *name)
{
	*out = 0;
	for (int i = GP_RA_AUTO_EST; name != NULL && i <= GP_RA_AUTO_SCEP; i++)
		if (strcmp(name, channel_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return gp_err(GP_E_INVALID, "unknown channel '%.32s' (est, acme, cmp or scep)",
	    name ? name : "");
}

/* GP_E_POLICY unless profile p is served over channel and issues there
 * without an officer ([profile.NAME] est/acme/cmp = yes and its
 * est_approval/acme_approval/cmp_approval/scep_approval = auto), as configured here. */
static int
auto_allowed(const gp_profile *p, int channel, int64_t id)
{
	int officer = 1, on = 0;
	const char *ch = gp_ra_channel_name(channel);

	if (channel == GP_RA_AUTO_EST)
		on = gp_profile_est(p, &officer);
	else if (channel == GP_RA_AUTO_ACME)
		on = gp_profile_acme(p, &officer);
	else if (channel == GP_RA_AUTO_CMP)
		on = gp_profile_cmp(p, &officer);
	else if (channel == GP_RA_AUTO_SCEP)
		on = gp_profile_scep(p, &officer);
	if (!on)
		return gp_err(GP_E_POLICY, "request %lld: profile %s is not served over %s",
		    (long long)id, gp_profile_name(p), ch ? ch : "?");
	if (officer)
		return gp_err(GP_E_POLICY, "request %lld: profile %s issues over %s only with an "
		    "officer's approval (%s_approval = officer)", (long long)id, gp_profile_name(p),
		    ch, ch);
	return 0;
}

/* Appends entry to the comma-separated list *l of capacity *cap. */
static int
list_add(char **l, size_t *cap, const char *entry)
{
	size_t n = *l != NULL ? strlen(*l) : 0, e = strlen(entry);

	if (n + e + 2 > *cap) {
		char *nl = realloc(*l, n + e + 64);

		if (nl == NULL)
			return gp_err(GP_E_NOMEM, "out of memory");
		if (*l == NULL)
			nl[0] = '\0';
		*l = nl;
		*cap = n + e + 64;
	}
	if (n > 0)
		strcat(*l, ",");
	strcat(*l, entry);
	return 0;
}

/* 1 when the comma-separated list has entry. */
static int
name_in_list(const char *list, const char *entry)
{
	size_t n = strlen(entry);

	for (const char *p = list; p != NULL && *p != '\0';) {
		const char *e = strchr(p, ',');
		size_t k = e != NULL ? (size_t)(e - p) : strlen(p);

		if (k == n && memcmp(p, entry, n) == 0)
			return 1;
		p = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

/* The names of the request's SAN list ("DNS:a,IP:b") as an ACME list
 * ("dns:a,ip:b", sorted); GP_E_POLICY for any other type. */
static int
sans_as_ids(char **out, const char *sans, int64_t id)
{
	char *copy = NULL, *save = NULL, *l = NULL, e[300];
	size_t cap = 0;
	int r = 0;

	*out = NULL;
	if (sans == NULL)
		return gp_err(GP_E_POLICY, "request %lld names no subjectAltName", (long long)id);
	if ((r = gp_strdup(&copy, sans)) != 0)
		return r;
	for (char *t = strtok_r(copy, ",", &save); t != NULL && r == 0;
	    t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (strncmp(t, "DNS:", 4) == 0) {
			snprintf(e, sizeof(e), "dns:%.250s", t + 4);
			for (char *p = e; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		} else if (strncmp(t, "IP:", 3) == 0) {
			snprintf(e, sizeof(e), "ip:%.250s", t + 3);
		} else {
			r = gp_err(GP_E_POLICY, "request %lld names '%.64s', which no ACME "
			    "authorization validates", (long long)id, t);
			break;
		}
		r = list_add(&l, &cap, e);
	}
	free(copy);
	if (r == 0 && l == NULL)
		r = gp_err(GP_E_POLICY, "request %lld names no subjectAltName", (long long)id);
	if (r != 0) {
		free(l);
		return r;
	}
	gp_acme_names_sort(l);
	*out = l;
	return 0;
}

/*
 * The ACME order behind request q (RFC 8555 §7.4), as the store holds it:
 * processing, for q (its ra_request) and q's profile, of the account that
 * submitted q, not expired; every one of its authorizations valid, not
 * expired, of that account, together covering exactly the order's
 * identifiers (§7.1.4, §7.5); the CSR asks for exactly those identifiers;
 * the request's subjectAltNames are those identifiers and its subject
 * (when it has one) is one of them.  GP_E_POLICY naming what is not so.
 */
static int
acme_order_ok(gp_ra *ra, const gp_ra_request *q, int64_t order)
{
	gp_store *st = gp_ctx_store(ra->ctx);
	gp_acme_order *o = NULL;
	int64_t *ids = NULL, now = gp_now();
	size_t n = 0, cap = 0;
	char *want = NULL, *got = NULL, *csrn = NULL, *have = NULL, err[256], who[64], e[300];
	X509_REQ *req = NULL;
	int r;

	if ((r = gp_store_acme_order_get(st, order, &o)) != 0)
		goto out;
	snprintf(who, sizeof(who), "acme:account:%lld", (long long)o->account);
	if (o->ra_request != q->id || o->status != GP_ACME_PROCESSING ||
	    o->profile == NULL || strcmp(o->profile, q->profile) != 0 ||
	    strcmp(q->submitter, who) != 0) {
		r = gp_err(GP_E_POLICY, "order %lld is %s for request %lld of %s, not processing "
		    "request %lld of %.64s", (long long)order, gp_acme_status_name(o->status),
		    (long long)o->ra_request, who, (long long)q->id, q->submitter);
		goto out;
	}
	if (o->expires <= now) {
		r = gp_err(GP_E_POLICY, "order %lld has expired", (long long)order);
		goto out;
	}
	if ((r = gp_strdup(&want, o->identifiers)) != 0)
		goto out;
	gp_acme_names_sort(want);
	if ((r = gp_store_acme_order_authzs(st, order, &ids, &n)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		gp_acme_authz *z = NULL;

		if ((r = gp_store_acme_authz_get(st, ids[i], &z)) != 0)
			goto out;
		if (z->status != GP_ACME_VALID || z->expires <= now || z->account != o->account) {
			r = gp_err(GP_E_POLICY, "authorization %lld of order %lld is %s%s",
			    (long long)z->id, (long long)order, gp_acme_status_name(z->status),
			    z->status == GP_ACME_VALID ? " but expired or another account's" : "");
			gp_acme_authz_free(z);
			goto out;
		}
		snprintf(e, sizeof(e), "%s:%s%.250s", z->id_type == GP_ACME_ID_IP ? "ip" : "dns",
		    z->wildcard ? "*." : "", z->value);
		gp_acme_authz_free(z);
		if ((r = list_add(&got, &cap, e)) != 0)
			goto out;
	}
	if (got != NULL)
		gp_acme_names_sort(got);
	if (got == NULL || strcmp(got, want) != 0) {
		r = gp_err(GP_E_POLICY, "the valid authorizations of order %lld cover %.300s, the "
		    "order %.300s", (long long)order, got ? got : "nothing", want);
		goto out;
	}
	if ((r = gp_req_parse(&req, q->csr, q->csr_len)) != 0)
		goto out;
	if (gp_acme_csr_names(&csrn, req, err, sizeof(err)) != 0) {
		r = gp_err(GP_E_POLICY, "request %lld: %s", (long long)q->id, err);
		goto out;
	}
	if (strcmp(csrn, want) != 0) {
		r = gp_err(GP_E_POLICY, "the CSR of request %lld names %.300s, order %lld %.300s",
		    (long long)q->id, csrn, (long long)order, want);
		goto out;
	}
	if ((r = sans_as_ids(&have, q->sans, q->id)) != 0)
		goto out;
	if (strcmp(have, want) != 0) {
		r = gp_err(GP_E_POLICY, "request %lld names %.300s, order %lld %.300s",
		    (long long)q->id, have, (long long)order, want);
		goto out;
	}
	if (q->subject != NULL) {
		char ip[64];
		const char *cn = strncmp(q->subject, "/CN=", 4) == 0 ? q->subject + 4 : NULL;

		if (cn != NULL && strchr(cn, '/') == NULL)
			snprintf(e, sizeof(e), "%s:%.250s", gp_acme_ip_canon(ip, sizeof(ip), cn) ?
			    "ip" : "dns", cn);
		if (cn == NULL || strchr(cn, '/') != NULL || !name_in_list(want, e)) {
			r = gp_err(GP_E_POLICY, "request %lld's subject %.128s is not one of the "
			    "order's identifiers", (long long)q->id, q->subject);
			goto out;
		}
	}
	r = 0;
out:
	X509_REQ_free(req);
	gp_free(ids);
	free(want);
	free(got);
	free(csrn);
	free(have);
	gp_acme_order_free(o);
	return r;
}

/* gp_store_ra_token_list's callback: the token of id *arg, copied. */
struct token_find {
	int64_t id;
	gp_ra_token *found;
};

static int
token_find_cb(void *arg, const gp_ra_token *t)
{
	struct token_find *f = arg;

	if (t->id != f->id || f->found != NULL)
		return 0;
	if ((f->found = calloc(1, sizeof(*f->found))) == NULL ||
	    gp_strdup(&f->found->name, t->name) != 0 ||
	    gp_strdup(&f->found->profiles, t->profiles ? t->profiles : "") != 0)
		return gp_err(GP_E_NOMEM, "out of memory");
	f->found->id = t->id;
	f->found->expires = t->expires;
	f->found->revoked = t->revoked;
	return 0;
}

/*
 * EST without an officer (RFC 7030 §3.2.3): what authenticated the
 * enrolment is the request's submitter, and the store holds its record,
 * which is read again here (in ca-signer, so that an RA cannot issue over
 * EST for a client that has no live credential): an enrolment secret
 * ("token:ID" of a token named "est@NAME") that is neither revoked nor
 * expired and allows the profile, or, for a re-enrolment (§4.2.2), the
 * client certificate "est:cert:SERIAL" of this CA, good, unexpired and of
 * the same profile.  The secret itself is not in the store (its hash
 * only), so it cannot be checked again.
 */
static int
est_source_ok(gp_ra *ra, const gp_ra_request *q, const gp_profile *p)
{
	gp_store *st = gp_ctx_store(ra->ctx);
	const char *sub = q->submitter != NULL ? q->submitter : "";
	char *end;
	int r;

	if (strncmp(sub, "token:", 6) == 0) {
		struct token_find f = { 0, NULL };
		long long tid;

		errno = 0;
		tid = strtoll(sub + 6, &end, 10);
		if (errno != 0 || end == sub + 6 || *end != '\0' || tid < 1)
			return gp_err(GP_E_POLICY, "request %lld: submitter %.64s is not an enrolment "
			    "secret", (long long)q->id, sub);
		f.id = tid;
		if ((r = gp_store_ra_token_list(st, token_find_cb, &f)) != 0) {
			gp_ra_token_free(f.found);
			return r;
		}
		if (f.found == NULL || strncmp(f.found->name, "est@", 4) != 0)
			r = gp_err(GP_E_POLICY, "request %lld: its submitter %.64s is no enrolment secret "
			    "in the store", (long long)q->id, sub);
		else if (f.found->revoked || f.found->expires <= gp_now())
			r = gp_err(GP_E_POLICY, "request %lld: enrolment secret %s is %s",
			    (long long)q->id, f.found->name, f.found->revoked ? "revoked" : "expired");
		else if (!gp_ra_token_allows(f.found, p))
			r = gp_err(GP_E_POLICY, "request %lld: enrolment secret %s does not allow "
			    "profile %s", (long long)q->id, f.found->name, gp_profile_name(p));
		gp_ra_token_free(f.found);
		return r;
	}
	if (strncmp(sub, "est:cert:", 9) == 0 && ra->ca != NULL) {
		unsigned char sn[GP_SERIAL_MAX];
		size_t n = strlen(sub + 9) / 2;
		gp_cert_info *ci = NULL;

		if (n < 1 || n > sizeof(sn) || strlen(sub + 9) != 2 * n)
			return gp_err(GP_E_POLICY, "request %lld: submitter %.64s names no serial",
			    (long long)q->id, sub);
		for (size_t i = 0; i < n; i++) {
			unsigned v;

			if (sscanf(sub + 9 + 2 * i, "%2x", &v) != 1)
				return gp_err(GP_E_POLICY, "request %lld: submitter %.64s names no serial",
				    (long long)q->id, sub);
			sn[i] = (unsigned char)v;
		}
		if ((r = gp_store_cert_get(st, gp_ca_id(ra->ca), sn, n, &ci)) != 0) {
			if (r == GP_E_NOTFOUND)
				r = gp_err(GP_E_POLICY, "request %lld: client certificate %s is not one of "
				    "CA %s's", (long long)q->id, sub + 9, gp_ca_name(ra->ca));
			return r;
		}
		if (ci->status != GP_STATUS_GOOD || ci->not_after < gp_now() || ci->profile == NULL ||
		    strcmp(ci->profile, gp_profile_name(p)) != 0)
			r = gp_err(GP_E_POLICY, "request %lld: client certificate %s is %s", (long long)q->id,
			    sub + 9, ci->status != GP_STATUS_GOOD ? "revoked or on hold" :
			    ci->not_after < gp_now() ? "expired" : "of another profile");
		gp_cert_info_free(ci);
		return r;
	}
	return gp_err(GP_E_POLICY, "request %lld was not submitted over EST (submitter %.64s)",
	    (long long)q->id, sub);
}

int
gp_ra_issue_auto(X509 **out, gp_ra *ra, int64_t id, int channel, int64_t order,
    const char *actor)
{
	gp_ra_request *q = NULL;
	const gp_profile *p = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || ra == NULL || actor == NULL || actor[0] == '\0' ||
	    gp_ra_channel_name(channel) == NULL || order < 0 ||
	    (order > 0) != (channel == GP_RA_AUTO_ACME))
		return gp_err(GP_E_INVALID, "gp_ra_issue_auto: bad arguments (an ACME order, and "
		    "only for ACME)");
	if ((r = issue_request_get(ra, id, GP_RA_PENDING, &q, &p)) != 0)
		return r;
	/* the profile as configured here lets this channel issue unseen */
	if ((r = auto_allowed(p, channel, id)) != 0)
		goto out;
	if (channel == GP_RA_AUTO_ACME) {
		if ((r = acme_order_ok(ra, q, order)) != 0)
			goto out;
	} else if (channel == GP_RA_AUTO_EST && (r = est_source_ok(ra, q, p)) != 0) {
		goto out;
	} else if (q->subject != NULL || q->sans != NULL) {
		/* EST and CMP certify what the CSR asks for, checked against the
		 * profile's name rules when it is built; names set apart from
		 * the CSR are for an officer to vet */
		r = gp_err(GP_E_POLICY, "request %lld sets its own subject or subjectAltNames, "
		    "which %s does not", (long long)id, gp_ra_channel_name(channel));
		goto out;
	}
	r = sign_and_store(out, ra, q, GP_RA_PENDING, order, actor);
out:
	gp_ra_request_free(q);
	return r;
}

int
gp_ra_submit_auto(X509 **out, int64_t *id, gp_ra *ra, const gp_ra_submission *sub,
    int channel, int64_t order)
{
	gp_signer *s;
	const gp_profile *p;
	gp_ra_request *now = NULL;
	gp_cert_info *ci = NULL;
	char why[900];
	int r, st = -1;

	if (out != NULL)
		*out = NULL;
	if (id != NULL)
		*id = 0;
	if (out == NULL || id == NULL || ra == NULL || sub == NULL || sub->submitter == NULL ||
	    gp_ra_channel_name(channel) == NULL || order < 0 ||
	    (order > 0) != (channel == GP_RA_AUTO_ACME))
		return gp_err(GP_E_INVALID, "gp_ra_submit_auto: bad arguments");
	if ((s = gp_ctx_signer0(ra->ctx)) == NULL)
		return gp_err(GP_E_STATE, "gp_ra_submit_auto: no ca-signer on this context ([signer] "
		    "socket): the CA issues in process");
	if (ra->group)
		return gp_err(GP_E_STATE, "gp_ra_submit_auto: the request must be committed before "
		    "ca-signer is asked: it cannot join a group");
	if ((r = need_ca(ra)) != 0)
		return r;
	if ((p = gp_profiles_get(gp_ctx_profiles(ra->ctx), sub->profile)) == NULL)
		return gp_err(GP_E_NOTFOUND, "unknown profile '%.64s'", sub->profile);
	/* a signer that does not answer: nothing is written */
	if ((r = gp_signer_health(s)) != 0)
		return r;
	if ((r = submit_store(ra, id, NULL, sub, p, order)) != 0)
		return r;
	if ((r = gp_signer_issue_auto(out, s, *id, gp_ra_channel_name(channel), order)) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", gp_error_last());
	/* what the signer left in the store decides (a reply lost after its
	 * commit is an issued request) */
	if (gp_store_ra_req_get(gp_ctx_store(ra->ctx), *id, &now) == 0)
		st = now->status;
	if (st == GP_RA_ISSUED && gp_store_cert_get(gp_ctx_store(ra->ctx), gp_ca_id(ra->ca),
	    now->serial, now->serial_len, &ci) == 0 && gp_cert_parse(out, ci->der,
	    ci->der_len) == 0) {
		gp_cert_info_free(ci);
		gp_ra_request_free(now);
		gp_error_clear();
		return 0;
	}
	gp_cert_info_free(ci);
	if (st == GP_RA_PENDING) {
		/* refused, or the signer lost meanwhile: the request fails with
		 * the reason, so that nobody mistakes it for one to approve (an
		 * ACME order follows it to invalid) */
		if (w_begin(ra) == 0 && (finish_from(ra, now, GP_RA_PENDING, GP_RA_FAILED, why,
		    NULL, 0, gp_now()) != 0 || w_commit(ra) != 0))
			w_rollback(ra);
	}
	gp_ra_request_free(now);
	return gp_err(r, "request %lld was not issued: %s", (long long)*id, why);
}

int
gp_ra_reject(gp_ra *ra, int64_t id, const char *officer, const char *reason)
{
	gp_store *st;
	char who[GP_RA_MAX_NAME + 16], obj[32], detail[GP_RA_MAX_TEXT + 32];
	int r;

	if (ra == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_reject: no RA");
	if ((r = check_name("officer", officer)) != 0 ||
	    (r = check_text("reason", reason, GP_RA_MAX_TEXT, 1)) != 0)
		return r;
	st = gp_ctx_store(ra->ctx);
	{
		gp_ra_request *q = NULL;

		/* the officer's own certificate: not theirs to decide */
		if ((r = gp_store_ra_req_get(st, id, &q)) == 0)
			r = own_certificate(ra, q, officer);
		gp_ra_request_free(q);
		if (r != 0)
			return r;
	}
	if ((r = w_begin(ra)) != 0)
		return r;
	if ((r = gp_store_ra_req_set_status(st, id, GP_RA_PENDING, GP_RA_REJECTED, reason, NULL,
	    0, gp_now())) != 0) {
		w_rollback(ra);
		if (r == GP_E_STATE) {
			gp_ra_request *q = NULL;

			if (gp_store_ra_req_get(st, id, &q) == 0)
				r = gp_err(GP_E_STATE, "request %lld is %s, not pending", (long long)id,
				    gp_ra_status_name(q->status));
			gp_ra_request_free(q);
		}
		return r;
	}
	snprintf(who, sizeof(who), "officer:%s", officer);
	snprintf(obj, sizeof(obj), "request:%lld", (long long)id);
	snprintf(detail, sizeof(detail), "result=ok reason=%s", reason);
	return audit_commit(ra, who, "ra.reject", obj, detail);
}

static int
collect_approved(void *arg, const gp_ra_request *q)
{
	int64_t **ids = arg;
	size_t n = (size_t)(*ids)[0];
	int64_t *p = realloc(*ids, (n + 2) * sizeof(int64_t));

	if (p == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	p[n + 1] = q->id;
	p[0] = (int64_t)(n + 1);
	*ids = p;
	return 0;
}

int
gp_ra_recover(gp_ra *ra, int64_t *count)
{
	gp_ra_filter f;
	int64_t *ids = NULL;
	int r;

	if (count != NULL)
		*count = 0;
	if (ra == NULL || count == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_recover: bad arguments");
	if ((ids = calloc(1, sizeof(int64_t))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memset(&f, 0, sizeof(f));
	f.status = GP_RA_APPROVED;
	if ((r = gp_store_ra_req_list(gp_ctx_store(ra->ctx), &f, collect_approved, &ids)) != 0)
		goto out;
	if (gp_ctx_signer0(ra->ctx) != NULL) {
		/* through the signer nothing was half-done: an approved request is
		 * one the signer did not issue yet, and it may now (it judges the
		 * approvals from the store); one it cannot take stays approved */
		for (int64_t i = 1; i <= ids[0]; i++) {
			X509 *x = NULL;

			if (gp_signer_issue_approved(&x, gp_ctx_signer0(ra->ctx), ids[i]) == 0)
				(*count)++;
			X509_free(x);
		}
		gp_error_clear();
		r = 0;
		goto out;
	}
	for (int64_t i = 1; i <= ids[0]; i++) {
		gp_ra_request q;
		char why[160];

		memset(&q, 0, sizeof(q));
		q.id = ids[i];
		snprintf(why, sizeof(why), "interrupted: the RA stopped while carrying out the "
		    "request; see the audit log for actor ra:request:%lld", (long long)q.id);
		if ((r = finish(ra, &q, GP_RA_FAILED, why, NULL, 0)) != 0)
			goto out;
		(*count)++;
	}
	r = 0;
out:
	free(ids);
	return r;
}

/* --------------------------------------------------------- challenges */

#define CH_PREFIX "v1."

static int
challenge_mac(const gp_ra *ra, const char *msg, size_t len, char hex[65])
{
	unsigned char mac[32];
	size_t maclen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, ra->ckey, sizeof(ra->ckey),
	    (const unsigned char *)msg, len, mac, sizeof(mac), &maclen) == NULL || maclen != 32)
		return gp_err_ossl(GP_E_CRYPTO, "cannot compute the challenge MAC");
	gp_hex_encode(hex, mac, 32);
	return 0;
}

/* "v1.<16 hex: issue time>.<32 hex: random>.<64 hex: HMAC-SHA256>": stateless,
 * so any worker with the same key checks any worker's challenge. */
int
gp_ra_challenge_new(gp_ra *ra, char **out)
{
	unsigned char rnd[16];
	char body[64], rhex[33], mac[65], *s;
	int r;

	if (out != NULL)
		*out = NULL;
	if (ra == NULL || out == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_challenge_new: bad arguments");
	if (!ra->have_ckey)
		return gp_err(GP_E_STATE, "no challenge key set");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "no random bytes");
	gp_hex_encode(rhex, rnd, sizeof(rnd));
	snprintf(body, sizeof(body), CH_PREFIX "%016llx.%s", (unsigned long long)gp_now(), rhex);
	if ((r = challenge_mac(ra, body, strlen(body), mac)) != 0)
		return r;
	if ((s = malloc(strlen(body) + 66)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	sprintf(s, "%s.%s", body, mac);
	*out = s;
	return 0;
}

/* Checks challenge c (this RA's MAC, not expired); *expires gets the
 * time it expires. */
static int
challenge_check(gp_ra *ra, const char *c, int64_t *expires)
{
	char mac[65];
	const char *dot;
	unsigned long long t;
	int r;

	if (!ra->have_ckey)
		return gp_err(GP_E_STATE, "no challenge key set");
	if (c == NULL || strlen(c) != 3 + 16 + 1 + 32 + 1 + 64 || strncmp(c, CH_PREFIX, 3) != 0 ||
	    (dot = strrchr(c, '.')) == NULL || dot - c != 3 + 16 + 1 + 32)
		return gp_err(GP_E_VERIFY, "malformed challenge");
	if ((r = challenge_mac(ra, c, (size_t)(dot - c), mac)) != 0)
		return r;
	if (CRYPTO_memcmp(mac, dot + 1, 64) != 0)
		return gp_err(GP_E_VERIFY, "challenge was not issued by this RA");
	if (sscanf(c + 3, "%16llx", &t) != 1)
		return gp_err(GP_E_VERIFY, "malformed challenge");
	if ((int64_t)t > gp_now() + 5 || (int64_t)t + ra->cttl < gp_now())
		return gp_err(GP_E_VERIFY, "challenge expired (valid %lld s); get a new one",
		    (long long)ra->cttl);
	*expires = (int64_t)t + ra->cttl;
	return 0;
}

/* Verifies sig over msg with pub: SM3 with the default distinguishing ID
 * for SM2 (GM/T 0009), none for Ed25519 (RFC 8032 PureEdDSA), SHA-256
 * for RSA (PKCS#1 v1.5) and ECDSA. */
static int
verify_sig(EVP_PKEY *pub, const unsigned char *msg, size_t len, const unsigned char *sig,
    size_t siglen)
{
	EVP_MD_CTX *mctx = NULL;
	const char *md = "SHA256";
	int r;

	if (gp_key_is_sm2(pub))
		md = "SM3";
	else if (EVP_PKEY_is_a(pub, "ED25519"))
		md = NULL;
	if ((r = gp_verify_ctx_new(&mctx, pub, md)) != 0)
		return gp_err_ctx(r, "cannot verify with the certificate's key");
	r = EVP_DigestVerify(mctx, sig, siglen, msg, len) == 1 ? 0 :
	    gp_err_ossl(GP_E_VERIFY, "the signature does not verify with the certificate's key");
	EVP_MD_CTX_free(mctx);
	return r;
}

/* Spends challenge c in a write of its own (it may serve once). */
static int
challenge_spend(gp_ra *ra, const char *c, int64_t expires)
{
	int r;

	if ((r = w_begin(ra)) != 0)
		return r;
	if ((r = gp_store_ra_challenge_use(gp_ctx_store(ra->ctx), c, expires, gp_now())) != 0) {
		w_rollback(ra);
		return r == GP_E_EXISTS ?
		    gp_err(GP_E_VERIFY, "the challenge was used already; get a new one") : r;
	}
	return w_commit(ra);
}

int
gp_ra_revoke_proven(int *stored_reason, gp_ra *ra, const unsigned char *serial,
    size_t serial_len, int reason, const char *challenge, const unsigned char *sig,
    size_t siglen)
{
	gp_cert_info *ci = NULL;
	X509 *cert = NULL;
	char hex[2 * GP_SERIAL_MAX + 1], *msg = NULL, actor[64];
	int64_t expires = 0, at;
	int r, status;

	if (stored_reason != NULL)
		*stored_reason = GP_REASON_NONE;
	if (ra == NULL || serial == NULL || serial_len == 0 || serial_len > GP_SERIAL_MAX ||
	    challenge == NULL || sig == NULL || siglen == 0)
		return gp_err(GP_E_INVALID, "gp_ra_revoke_proven: bad arguments");
	if ((r = need_ca(ra)) != 0)
		return r;
	/* RFC 5280 §5.3.1: cACompromise and aACompromise say the issuer's (an
	 * attribute authority's) key is compromised, which a holder cannot
	 * know; certificateHold and removeFromCRL are the CA's to decide */
	if (reason < GP_REASON_UNSPECIFIED || reason > GP_REASON_AA_COMPROMISE || reason == 7 ||
	    reason == GP_REASON_REMOVE_FROM_CRL || reason == GP_REASON_CERTIFICATE_HOLD ||
	    reason == GP_REASON_CA_COMPROMISE || reason == GP_REASON_AA_COMPROMISE)
		return gp_err(GP_E_INVALID, "a holder cannot ask for reason %s", gp_reason_name(reason));
	if ((r = challenge_check(ra, challenge, &expires)) != 0)
		return r;
	gp_hex_encode(hex, serial, serial_len);
	if ((r = gp_store_cert_get(gp_ctx_store(ra->ctx), gp_ca_id(ra->ca), serial, serial_len,
	    &ci)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(r, "CA %s issued no certificate with serial %s", gp_ca_name(ra->ca), hex);
		goto out;
	}
	if ((r = gp_cert_parse(&cert, ci->der, ci->der_len)) != 0)
		goto out;
	if ((msg = malloc(strlen(challenge) + sizeof(hex) + 64)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* the signature covers the reason too: a proof made for superseded
	 * cannot be replayed as keyCompromise (issue 21.6) */
	sprintf(msg, "govpki-revoke:%s:%s:%s", challenge, hex, gp_reason_name(reason));
	if ((r = verify_sig(X509_get0_pubkey(cert), (unsigned char *)msg, strlen(msg), sig,
	    siglen)) != 0 ||
	    (r = challenge_spend(ra, challenge, expires)) != 0)
		goto out;
	snprintf(actor, sizeof(actor), "holder:%s", hex);
	if ((r = gp_ca_revoke(ra->ctx, gp_ca_name(ra->ca), serial, serial_len, reason, 0,
	    actor)) != 0)
		goto out;
	/* what the store holds now: an earlier revocation may stand */
	if (stored_reason != NULL &&
	    (r = gp_store_cert_status(gp_ctx_store(ra->ctx), gp_ca_id(ra->ca), serial, serial_len,
	    &status, &at, stored_reason)) != 0)
		goto out;
	r = 0;
out:
	free(msg);
	X509_free(cert);
	gp_cert_info_free(ci);
	return r;
}

/* ----------------------------------------------------------- officers */

/* 1 when x carries extendedKeyUsage with id-kp-clientAuth (RFC 5280
 * §4.2.1.12): what a TLS client certificate is for. */
static int
client_auth(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
	    (X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
}

/* The store's CA that issued cert, and the certificate's serial there. */
static int
find_issuer(gp_ra *ra, X509 *cert, int64_t *ca_id, unsigned char *sn, size_t *snlen)
{
	gp_ca_info **cas = NULL;
	gp_cert_info *ci = NULL;
	unsigned char fp[32];
	size_t n = 0;
	int r;

	*ca_id = 0;
	if ((r = gp_serial_from_asn1(sn, snlen, X509_get0_serialNumber(cert))) != 0 ||
	    (r = gp_x509_fingerprint(cert, fp)) != 0 ||
	    (r = gp_store_ca_list(gp_ctx_store(ra->ctx), &cas, &n)) != 0)
		goto out;
	/* the very certificate the CA stored (same DER), not one that merely
	 * copies an issued certificate's issuer and serial */
	for (size_t i = 0; i < n && *ca_id == 0; i++) {
		if (gp_store_cert_get(gp_ctx_store(ra->ctx), cas[i]->id, sn, *snlen, &ci) == 0 &&
		    memcmp(ci->fingerprint, fp, 32) == 0)
			*ca_id = cas[i]->id;
		gp_cert_info_free(ci);
		ci = NULL;
	}
	gp_error_clear();
	r = *ca_id ? 0 : gp_err(GP_E_NOTFOUND, "the certificate was not issued by a CA of this store");
out:
	gp_ca_info_list_free(cas, n);
	return r;
}

int
gp_ra_officer_add(gp_ra *ra, const char *name, int role, X509 *cert, const char *actor)
{
	gp_ra_officer o;
	gp_store *st;
	char obj[GP_RA_MAX_NAME + 16], detail[1200], hex[2 * GP_SERIAL_MAX + 1];
	int r;

	if (ra == NULL || cert == NULL || actor == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_officer_add: bad arguments");
	if ((r = check_name("officer name", name)) != 0)
		return r;
	if (role < GP_RA_ROLE_OFFICER || role > GP_RA_ROLE_AUDITOR)
		return gp_err(GP_E_INVALID, "unknown role %d", role);
	memset(&o, 0, sizeof(o));
	o.name = (char *)name;
	o.role = role;
	o.enabled = 1;
	o.created = gp_now();
	st = gp_ctx_store(ra->ctx);
	/* an officer logs in with a TLS client certificate, never a CA's */
	if (X509_check_ca(cert) != 0) {
		r = gp_err(GP_E_POLICY, "a CA certificate cannot be an officer's (officer %s)", name);
		goto out;
	}
	if (!client_auth(cert)) {
		r = gp_err(GP_E_POLICY, "officer %s: the certificate has no extendedKeyUsage "
		    "clientAuth (RFC 5280 4.2.1.12), so it cannot log in", name);
		goto out;
	}
	if ((r = find_issuer(ra, cert, &o.ca_id, o.serial, &o.serial_len)) != 0 ||
	    (r = gp_x509_fingerprint(cert, o.fingerprint)) != 0 ||
	    (r = gp_name_print(&o.subject, X509_get_subject_name(cert))) != 0)
		goto out;
	if ((r = w_begin(ra)) != 0)
		goto out;
	if ((r = gp_store_ra_officer_add(st, &o)) != 0) {
		w_rollback(ra);
		goto out;
	}
	gp_hex_encode(hex, o.serial, o.serial_len);
	snprintf(obj, sizeof(obj), "officer:%s", name);
	snprintf(detail, sizeof(detail), "result=ok role=%s serial=%s subject=%.1000s",
	    gp_ra_role_name(role), hex, o.subject);
	r = audit_commit(ra, actor, GP_AUDIT_RA_OFFICER_ADD, obj, detail);
out:
	free(o.subject);
	return r;
}

int
gp_ra_officer_set_enabled(gp_ra *ra, const char *name, int enabled, const char *actor)
{
	gp_store *st;
	char obj[GP_RA_MAX_NAME + 16];
	int r;

	if (ra == NULL || name == NULL || actor == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_officer_set_enabled: bad arguments");
	st = gp_ctx_store(ra->ctx);
	if ((r = w_begin(ra)) != 0)
		return r;
	if ((r = gp_store_ra_officer_set_enabled(st, name, enabled)) != 0) {
		w_rollback(ra);
		return r;
	}
	snprintf(obj, sizeof(obj), "officer:%.128s", name);
	return audit_commit(ra, actor, enabled ? "ra.officer.enable" : "ra.officer.disable",
	    obj, "result=ok");
}

int
gp_ra_officer_list(gp_ra *ra, gp_ra_officer_cb cb, void *arg)
{
	if (ra == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_officer_list: no RA");
	return gp_store_ra_officer_list(gp_ctx_store(ra->ctx), cb, arg);
}

/* The officer CA's id, looked up once per name. */
static int
load_trust(gp_ra *ra, const char *officer_ca)
{
	gp_ca_info *info = NULL;
	int r;

	if (ra->trust_ca != NULL && strcmp(ra->trust_ca, officer_ca) == 0)
		return 0;
	free(ra->trust_ca);
	ra->trust_ca = NULL;
	ra->trust_ca_id = 0;
	memset(ra->cache, 0, sizeof(ra->cache));
	if ((r = gp_store_ca_get(gp_ctx_store(ra->ctx), officer_ca, &info)) != 0)
		return r;
	if ((r = gp_strdup(&ra->trust_ca, officer_ca)) == 0)
		ra->trust_ca_id = info->id;
	gp_ca_info_free(info);
	return r;
}

static int64_t
not_after(const X509 *x)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* The ancestry of CA ca_id (made once, kept in ra). */
static int
ancestry(gp_ra *ra, int64_t ca_id, const struct ra_ancestry **out)
{
	struct ra_ancestry *a;
	gp_ca_info *info = NULL;
	X509 *x = NULL;
	int64_t cur = ca_id;
	int r = 0;

	for (int i = 0; i < RA_ANCESTRY_CACHE; i++) {
		if (ra->anc[i].ca_id == ca_id) {
			*out = &ra->anc[i];
			return 0;
		}
	}
	a = &ra->anc[ra->anc_next++ % RA_ANCESTRY_CACHE];
	memset(a, 0, sizeof(*a));
	for (;;) {
		if ((r = gp_store_ca_get_id(gp_ctx_store(ra->ctx), cur, &info)) != 0)
			goto out;
		if (info->parent_id == 0)
			break;
		if (a->n == RA_ANCESTRY_MAX) {
			r = gp_err(GP_E_STATE, "CA %s: more than %d CAs above it", info->name,
			    RA_ANCESTRY_MAX);
			goto out;
		}
		if ((r = gp_cert_parse(&x, info->cert_der, info->cert_len)) != 0 ||
		    (r = gp_serial_from_asn1(a->up[a->n].sn, &a->up[a->n].snlen,
		    X509_get0_serialNumber(x))) != 0)
			goto out;
		a->up[a->n].parent = info->parent_id;
		snprintf(a->up[a->n].name, sizeof(a->up[a->n].name), "%s", info->name);
		a->n++;
		cur = info->parent_id;
		X509_free(x);
		x = NULL;
		gp_ca_info_free(info);
		info = NULL;
	}
	a->ca_id = ca_id;
	*out = a;
out:
	X509_free(x);
	gp_ca_info_free(info);
	return r;
}

/*
 * GP_E_VERIFY when a CA between the officer's certificate and the root is
 * revoked or on hold (RFC 5280 §6.1.3: every certificate of the path must
 * be good), read from the store at every login: a remembered chain does
 * not outlive the revocation of a CA in it (issue 11.5).
 */
static int
ancestry_good(gp_ra *ra, const gp_ra_officer *o)
{
	const struct ra_ancestry *a = NULL;
	int64_t at;
	int r, status, reason;

	if ((r = ancestry(ra, o->ca_id, &a)) != 0)
		return r;
	for (int i = 0; i < a->n; i++) {
		r = gp_store_cert_status(gp_ctx_store(ra->ctx), a->up[i].parent, a->up[i].sn,
		    a->up[i].snlen, &status, &at, &reason);
		if (r == GP_E_NOTFOUND) {      /* a CA made before sub-CAs were stored */
			gp_error_clear();
			continue;
		}
		if (r != 0)
			return r;
		if (status != GP_STATUS_GOOD)
			return gp_err(GP_E_VERIFY, "officer %s: CA %s above the certificate is %s",
			    o->name, a->up[i].name, status == GP_STATUS_HOLD ? "on hold" : "revoked");
	}
	return 0;
}

/*
 * The path of an officer's certificate, built from the store and never
 * from what the client sent: the CA that issued it (o->ca_id) must be the
 * officer CA or a CA below it, that CA's key must have signed the leaf, and
 * the path up to the root must verify (RFC 5280 §6.1: the relying party
 * chooses the anchor and the path).  With the client's intermediates, the
 * certificate of a sibling CA under the same root verified too.  *until:
 * the earliest notAfter on the path.
 */
static int
officer_path(gp_ra *ra, const gp_ra_officer *o, const char *officer_ca, X509 *leaf,
    int64_t *until)
{
	const struct ra_ancestry *a = NULL;
	const char *issuer = NULL;
	char *pem = NULL;
	size_t len;
	BIO *b = NULL;
	X509 *x;
	EVP_PKEY *key;
	STACK_OF(X509) *all = NULL, *root = NULL;
	int r;

	if ((r = ancestry(ra, o->ca_id, &a)) != 0)
		return r;
	if (o->ca_id == ra->trust_ca_id)
		issuer = officer_ca;
	for (int i = 0; issuer == NULL && i < a->n; i++)
		if (a->up[i].parent == ra->trust_ca_id)
			issuer = a->up[0].name;     /* up[0]: o->ca_id itself */
	if (issuer == NULL)
		return gp_err(GP_E_VERIFY, "officer %s: certificate is not of the officer CA %s "
		    "or a CA below it", o->name, officer_ca);
	if ((r = gp_ca_chain_pem(&pem, &len, ra->ctx, issuer)) != 0)
		goto out;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL || (all = sk_X509_new_null()) == NULL ||
	    (root = sk_X509_new_null()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(all, x) <= 0) {
			X509_free(x);
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
	ERR_clear_error();
	if (sk_X509_num(all) == 0) {
		r = gp_err(GP_E_STATE, "CA %s has no certificate", issuer);
		goto out;
	}
	/* the chain runs from the issuer up to the root (gp_ca_chain_pem) */
	x = sk_X509_value(all, 0);
	key = X509_get0_pubkey(x);
	if (X509_check_issued(x, leaf) != X509_V_OK || key == NULL || X509_verify(leaf, key) != 1) {
		ERR_clear_error();
		r = gp_err(GP_E_VERIFY, "officer %s: certificate was not signed by CA %s", o->name,
		    issuer);
		goto out;
	}
	sk_X509_push(root, sk_X509_pop(all));
	if ((r = gp_verify_chain(leaf, root, all, NULL, 0, GP_PURPOSE_ANY)) != 0) {
		r = gp_err_ctx(GP_E_VERIFY, "officer certificate: ");
		goto out;
	}
	*until = not_after(leaf);
	for (int i = 0; i <= sk_X509_num(all); i++) {
		int64_t t = not_after(i < sk_X509_num(all) ? sk_X509_value(all, i) :
		    sk_X509_value(root, 0));

		if (t < *until)
			*until = t;
	}
	r = 0;
out:
	sk_X509_pop_free(all, X509_free);
	sk_X509_pop_free(root, X509_free);
	BIO_free(b);
	gp_free(pem);
	return r;
}

int
gp_ra_officer_auth(gp_ra *ra, gp_ra_officer **out, const char *officer_ca, X509 *leaf,
    STACK_OF(X509) *untrusted)
{
	gp_ra_officer *o = NULL;
	unsigned char fp[32];
	int64_t now = gp_now(), at, until = 0;
	int r, status, reason, cached = 0;

	if (out != NULL)
		*out = NULL;
	if (ra == NULL || out == NULL || officer_ca == NULL || leaf == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_officer_auth: bad arguments");
	if ((r = gp_x509_fingerprint(leaf, fp)) != 0 || (r = load_trust(ra, officer_ca)) != 0)
		return r;
	/* a TLS client certificate: a server's or a CA's certificate is not
	 * an officer's login, even when it is registered */
	if (!client_auth(leaf))
		return gp_err(GP_E_VERIFY, "officer certificate has no extendedKeyUsage clientAuth "
		    "(RFC 5280 4.2.1.12)");
	/* outside its validity (RFC 5280 §6.1.3 (a)(2)): said first, whether
	 * registered or not, as the reason the officer can act on */
	time_t tnow = (time_t)now;

	if (X509_cmp_time(X509_get0_notAfter(leaf), &tnow) <= 0)
		return gp_err(GP_E_VERIFY, "officer certificate has expired");
	if (X509_cmp_time(X509_get0_notBefore(leaf), &tnow) >= 0)
		return gp_err(GP_E_VERIFY, "officer certificate is not yet valid");
	if ((r = gp_store_ra_officer_get(gp_ctx_store(ra->ctx), NULL, fp, &o)) != 0) {
		r = r == GP_E_NOTFOUND ?
		    gp_err(GP_E_VERIFY, "certificate is not registered to an officer "
		    "(ca-tool officer add)") : r;
		goto out;
	}
	(void)untrusted;        /* see officer_path */
	for (int i = 0; i < RA_CHAIN_CACHE; i++) {
		const struct ra_chain_ok *c = &ra->cache[i];

		if (c->until > now && memcmp(c->fp, fp, 32) == 0 && strcmp(c->ca, officer_ca) == 0)
			cached = 1;
	}
	if (!cached) {
		if ((r = officer_path(ra, o, officer_ca, leaf, &until)) != 0)
			goto out;
		/* remember it until the first certificate of the path expires */
		struct ra_chain_ok *c = &ra->cache[ra->cache_next++ % RA_CHAIN_CACHE];
		memcpy(c->fp, fp, 32);
		snprintf(c->ca, sizeof(c->ca), "%s", officer_ca);
		c->until = until;
	}
	if ((r = gp_store_cert_status(gp_ctx_store(ra->ctx), o->ca_id, o->serial, o->serial_len,
	    &status, &at, &reason)) != 0) {
		r = r == GP_E_NOTFOUND ? gp_err(GP_E_VERIFY, "officer %s: certificate not in the store",
		    o->name) : r;
		goto out;
	}
	if (status != GP_STATUS_GOOD) {
		r = gp_err(GP_E_VERIFY, "officer %s: certificate is %s", o->name,
		    status == GP_STATUS_HOLD ? "on hold" : "revoked");
		goto out;
	}
	if ((r = ancestry_good(ra, o)) != 0)
		goto out;
	if (!o->enabled) {
		r = gp_err(GP_E_VERIFY, "officer %s is disabled", o->name);
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	gp_ra_officer_free(o);
	return r;
}

int
gp_ra_audit_login_refused(gp_ra *ra, const char *who, const char *reason)
{
	char detail[600];
	int r;

	if (ra == NULL || who == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_audit_login_refused: bad arguments");
	snprintf(detail, sizeof(detail), "result=refused reason=%.500s", reason ? reason : "");
	if ((r = w_begin(ra)) != 0)
		return r;
	return audit_commit(ra, "ra", "ra.login", who, detail);
}

/* ------------------------------------------------------------- tokens */

#define TOKEN_PREFIX "gpt_"

static int
token_hash(const char *token, unsigned char out[32])
{
	unsigned int n = 0;

	if (EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return gp_err_ossl(GP_E_CRYPTO, "cannot hash the token");
	return 0;
}

int
gp_ra_csr_summary_of(gp_ra_csr_summary *out, const unsigned char *der, size_t len)
{
	gp_csr *csr = NULL;
	GENERAL_NAMES *sans = NULL;
	gp_key_type type;
	const ASN1_OBJECT *oid;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = gp_csr_parse(&csr, der, len)) != 0)
		return r;
	if ((r = gp_key_classify(&type, &out->key_bits, gp_csr_pubkey0(csr))) != 0 ||
	    (r = gp_name_to_string(&out->subject, gp_csr_subject0(csr))) != 0 ||
	    (r = gp_csr_sans(&sans, csr)) != 0 ||
	    (sans != NULL && (r = gp_sans_to_string(&out->sans, sans)) != 0))
		goto out;
	snprintf(out->key, sizeof(out->key), "%s", gp_key_type_name(type));
	X509_ALGOR_get0(&oid, NULL, NULL, gp_csr_sig_alg0(csr));
	/* the long name (sha256WithRSAEncryption, SM2-with-SM3), else the OID */
	if (OBJ_obj2nid(oid) != NID_undef)
		snprintf(out->sig_alg, sizeof(out->sig_alg), "%s", OBJ_nid2ln(OBJ_obj2nid(oid)));
	else
		OBJ_obj2txt(out->sig_alg, sizeof(out->sig_alg), oid, 1);
	out->signature_ok = gp_csr_verify(csr) == 0;
	gp_error_clear();
out:
	GENERAL_NAMES_free(sans);
	gp_csr_free(csr);
	if (r != 0)
		gp_ra_csr_summary_clear(out);
	return r;
}

void
gp_ra_csr_summary_clear(gp_ra_csr_summary *s)
{
	gp_free(s->subject);         /* gp_name_to_string's */
	free(s->sans);               /* gp_sans_to_string's: malloc */
	memset(s, 0, sizeof(*s));
}

int
gp_ra_token_create(gp_ra *ra, char **token, int64_t *id, const char *name,
    const char *profiles, int64_t expires, const char *actor)
{
	unsigned char rnd[32];
	gp_ra_token t;
	gp_store *st;
	char *tok = NULL, obj[32], detail[600], exp[21];
	int r;

	if (token != NULL)
		*token = NULL;
	if (id != NULL)
		*id = 0;
	if (ra == NULL || token == NULL || id == NULL || actor == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_token_create: bad arguments");
	if ((r = check_name("token name", name)) != 0 ||
	    (r = check_text("profiles", profiles, 512, 1)) != 0)
		return r;
	if (strcmp(profiles, "*") != 0) {
		char *dup = strdup(profiles), *save = NULL, *p;

		if (dup == NULL)
			return gp_err(GP_E_NOMEM, "out of memory");
		for (p = strtok_r(dup, ",", &save); p != NULL && r == 0; p = strtok_r(NULL, ",", &save))
			if (gp_profiles_get(gp_ctx_profiles(ra->ctx), p) == NULL)
				r = gp_err(GP_E_NOTFOUND, "unknown profile '%.64s'", p);
		free(dup);
		if (r != 0)
			return r;
	}
	if (expires <= gp_now())
		return gp_err(GP_E_INVALID, "the token's expiry is in the past");
	/* 256 bits from the CSPRNG; only SHA-256 of the string is stored */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "no random bytes");
	if ((tok = malloc(sizeof(TOKEN_PREFIX) + 64)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	strcpy(tok, TOKEN_PREFIX);
	gp_hex_encode(tok + strlen(TOKEN_PREFIX), rnd, sizeof(rnd));
	memset(&t, 0, sizeof(t));
	t.name = (char *)name;
	t.profiles = (char *)profiles;
	t.expires = expires;
	t.created = gp_now();
	st = gp_ctx_store(ra->ctx);
	if ((r = token_hash(tok, t.hash)) != 0 || (r = w_begin(ra)) != 0)
		goto out;
	if ((r = gp_store_ra_token_add(st, &t)) != 0) {
		w_rollback(ra);
		goto out;
	}
	gp_time_iso(exp, expires);
	snprintf(obj, sizeof(obj), "token:%lld", (long long)t.id);
	snprintf(detail, sizeof(detail), "result=ok name=%s profiles=%s expires=%s", name,
	    profiles, exp);
	if ((r = audit_commit(ra, actor, GP_AUDIT_RA_TOKEN_CREATE, obj, detail)) != 0)
		goto out;
	*token = tok;
	*id = t.id;
	tok = NULL;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (tok != NULL)
		gp_pass_free(tok, strlen(tok));
	return r;
}

int
gp_ra_token_revoke(gp_ra *ra, int64_t id, const char *actor)
{
	gp_store *st;
	char obj[32];
	int r;

	if (ra == NULL || actor == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_token_revoke: bad arguments");
	st = gp_ctx_store(ra->ctx);
	if ((r = w_begin(ra)) != 0)
		return r;
	if ((r = gp_store_ra_token_revoke(st, id)) != 0) {
		w_rollback(ra);
		return r;
	}
	snprintf(obj, sizeof(obj), "token:%lld", (long long)id);
	return audit_commit(ra, actor, "ra.token.revoke", obj, "result=ok");
}

int
gp_ra_token_list(gp_ra *ra, gp_ra_token_cb cb, void *arg)
{
	if (ra == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_token_list: no RA");
	return gp_store_ra_token_list(gp_ctx_store(ra->ctx), cb, arg);
}

int
gp_ra_token_auth(gp_ra *ra, gp_ra_token **out, const char *token)
{
	unsigned char h[32];
	gp_ra_token *t = NULL;
	size_t n;
	int r;

	if (out != NULL)
		*out = NULL;
	if (ra == NULL || out == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_token_auth: bad arguments");
	n = token ? strlen(token) : 0;
	if (n != strlen(TOKEN_PREFIX) + 64 || strncmp(token, TOKEN_PREFIX, 4) != 0)
		return gp_err(GP_E_VERIFY, "malformed API token");
	for (size_t i = 4; i < n; i++)
		if (!isxdigit((unsigned char)token[i]))
			return gp_err(GP_E_VERIFY, "malformed API token");
	if ((r = token_hash(token, h)) != 0)
		return r;
	if ((r = gp_store_ra_token_get(gp_ctx_store(ra->ctx), h, &t)) != 0)
		return r == GP_E_NOTFOUND ? gp_err(GP_E_VERIFY, "unknown API token") : r;
	if (t->revoked) {
		r = gp_err(GP_E_VERIFY, "API token %lld (%s) is revoked", (long long)t->id, t->name);
		goto out;
	}
	if (t->expires <= gp_now()) {
		r = gp_err(GP_E_VERIFY, "API token %lld (%s) has expired", (long long)t->id, t->name);
		goto out;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	gp_ra_token_free(t);
	return r;
}

/* 1 when the profile list ("a,b" or "*") takes prof. */
static int
profiles_allow(const char *list, const gp_profile *prof)
{
	const char *p, *profile;
	size_t n;

	if (list == NULL || prof == NULL)
		return 0;
	profile = gp_profile_name(prof);
	/* "*" is every end-entity profile: a token gets a CA profile only by
	 * naming it (issue 21.1) */
	if (strcmp(list, "*") == 0)
		return !gp_profile_is_ca(prof);
	n = strlen(profile);
	for (p = list; *p; ) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && strncmp(p, profile, n) == 0)
			return 1;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

int
gp_ra_token_allows(const gp_ra_token *t, const gp_profile *prof)
{
	return t != NULL && profiles_allow(t->profiles, prof);
}

/* --------------------------------------------------------- principals */

static const char *const rule_names[] = {
	"none", "forbidden", "profile-not-allowed", "own-request", "own-certificate",
	"not-your-certificate", "not-found",
};

const char *
gp_ra_rule_name(int rule)
{
	return rule >= 0 && rule <= GP_RA_RULE_OTHERS ? rule_names[rule] : "forbidden";
}

static int
principal_new(gp_ra_principal **out, int kind)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_principal: no output");
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	(*out)->kind = kind;
	return 0;
}

int
gp_ra_principal_officer(gp_ra_principal **out, const gp_ra_officer *o)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if (o == NULL || (r = check_name("officer", o->name)) != 0)
		return o == NULL ? gp_err(GP_E_INVALID, "gp_ra_principal_officer: no officer") : r;
	if (o->role < GP_RA_ROLE_OFFICER || o->role > GP_RA_ROLE_AUDITOR)
		return gp_err(GP_E_INVALID, "officer %s: unknown role %d", o->name, o->role);
	if ((r = principal_new(out, GP_RA_PRINCIPAL_OFFICER)) != 0)
		return r;
	snprintf((*out)->officer, sizeof((*out)->officer), "%s", o->name);
	snprintf((*out)->name, sizeof((*out)->name), "officer:%s", o->name);
	(*out)->role = o->role;
	return 0;
}

int
gp_ra_principal_applicant(gp_ra_principal **out, const char *name, const char *profiles)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if ((r = check_text("applicant name", name, GP_RA_MAX_NAME + 16, 1)) != 0 ||
	    (r = check_text("profiles", profiles, 512, 1)) != 0 ||
	    (r = principal_new(out, GP_RA_PRINCIPAL_TOKEN)) != 0)
		return r;
	snprintf((*out)->name, sizeof((*out)->name), "%s", name);
	if (((*out)->profiles = strdup(profiles)) == NULL) {
		gp_ra_principal_free(*out);
		*out = NULL;
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	return 0;
}

int
gp_ra_principal_token(gp_ra_principal **out, const gp_ra_token *t)
{
	char name[32];

	if (out != NULL)
		*out = NULL;
	if (t == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_principal_token: no token");
	/* the submitter name ra-server has always stored for a token */
	snprintf(name, sizeof(name), "token:%lld", (long long)t->id);
	return gp_ra_principal_applicant(out, name, t->profiles);
}

int
gp_ra_principal_holder(gp_ra_principal **out, const unsigned char *serial, size_t serial_len)
{
	char hex[2 * GP_SERIAL_MAX + 1];
	int r;

	if (out != NULL)
		*out = NULL;
	if (serial == NULL || serial_len == 0 || serial_len > GP_SERIAL_MAX)
		return gp_err(GP_E_INVALID, "gp_ra_principal_holder: bad serial");
	if ((r = principal_new(out, GP_RA_PRINCIPAL_HOLDER)) != 0)
		return r;
	memcpy((*out)->serial, serial, serial_len);
	(*out)->serial_len = serial_len;
	gp_hex_encode(hex, serial, serial_len);
	snprintf((*out)->name, sizeof((*out)->name), "holder:%s", hex);
	return 0;
}

int
gp_ra_principal_admin(gp_ra_principal **out, const char *actor)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if ((r = check_text("actor", actor, GP_RA_MAX_NAME + 16, 1)) != 0 ||
	    (r = principal_new(out, GP_RA_PRINCIPAL_ADMIN)) != 0)
		return r;
	snprintf((*out)->name, sizeof((*out)->name), "%s", actor);
	return 0;
}

void
gp_ra_principal_free(gp_ra_principal *p)
{
	if (p == NULL)
		return;
	free(p->profiles);
	free(p);
}

int
gp_ra_principal_kind(const gp_ra_principal *p)
{
	return p != NULL ? p->kind : 0;
}

const char *
gp_ra_principal_name(const gp_ra_principal *p)
{
	return p != NULL ? p->name : "";
}

/* GP_E_DENIED under rule, with the message. */
static int
deny(int *rule, int which, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
deny(int *rule, int which, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rule != NULL)
		*rule = which;
	return gp_err(GP_E_DENIED, "%s", msg);
}

/* The start of every check: arguments, *rule cleared. */
static int
may_begin(int *rule, gp_ra *ra, const gp_ra_principal *p, const char *what)
{
	if (rule != NULL)
		*rule = GP_RA_RULE_NONE;
	if (ra == NULL || p == NULL)
		return gp_err(GP_E_INVALID, "%s: bad arguments", what);
	return 0;
}

/* An officer who may act on requests: role officer or admin (auditors
 * read only). */
static int
acting_officer(const gp_ra_principal *p)
{
	return p->kind == GP_RA_PRINCIPAL_OFFICER &&
	    (p->role == GP_RA_ROLE_OFFICER || p->role == GP_RA_ROLE_ADMIN);
}

int
gp_ra_may_submit(int *rule, gp_ra *ra, const gp_ra_principal *p, const gp_profile *profile)
{
	int r;

	if ((r = may_begin(rule, ra, p, "gp_ra_may_submit")) != 0)
		return r;
	if (profile == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_may_submit: no profile");
	if (p->kind == GP_RA_PRINCIPAL_TOKEN)
		return profiles_allow(p->profiles, profile) ? 0 : deny(rule, GP_RA_RULE_SCOPE,
		    "%s may not request profile '%.64s' (allowed: %.200s)", p->name,
		    gp_profile_name(profile), p->profiles);
	if (acting_officer(p) || p->kind == GP_RA_PRINCIPAL_ADMIN)
		return 0;
	return deny(rule, GP_RA_RULE_ROLE, "%s may not submit requests", p->name);
}

int
gp_ra_may_read(int *rule, gp_ra *ra, const gp_ra_principal *p, const gp_ra_request *q)
{
	int r;

	if ((r = may_begin(rule, ra, p, "gp_ra_may_read")) != 0)
		return r;
	if (q == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_may_read: no request");
	if (p->kind == GP_RA_PRINCIPAL_OFFICER || p->kind == GP_RA_PRINCIPAL_ADMIN)
		return 0;
	if (p->kind == GP_RA_PRINCIPAL_TOKEN)
		return q->submitter != NULL && strcmp(q->submitter, p->name) == 0 ? 0 :
		    deny(rule, GP_RA_RULE_OTHERS, "no request %lld of yours", (long long)q->id);
	return deny(rule, GP_RA_RULE_ROLE, "%s may not read requests", p->name);
}

int
gp_ra_may_list(int *rule, gp_ra *ra, const gp_ra_principal *p, gp_ra_filter *f)
{
	int r;

	if ((r = may_begin(rule, ra, p, "gp_ra_may_list")) != 0)
		return r;
	if (f == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_may_list: no filter");
	if (p->kind == GP_RA_PRINCIPAL_OFFICER || p->kind == GP_RA_PRINCIPAL_ADMIN)
		return 0;
	if (p->kind != GP_RA_PRINCIPAL_TOKEN)
		return deny(rule, GP_RA_RULE_ROLE, "%s may not list requests", p->name);
	/* applicants see their own requests only */
	if (f->submitter != NULL && strcmp(f->submitter, p->name) != 0)
		return deny(rule, GP_RA_RULE_ROLE, "applicants list only their own requests "
		    "(submitter %s)", p->name);
	f->submitter = p->name;
	return 0;
}

int
gp_ra_may_decide(int *rule, gp_ra *ra, const gp_ra_principal *p, const gp_ra_request *q,
    int approve)
{
	int r;

	if ((r = may_begin(rule, ra, p, "gp_ra_may_decide")) != 0)
		return r;
	if (q == NULL)
		return gp_err(GP_E_INVALID, "gp_ra_may_decide: no request");
	if (!acting_officer(p))
		return deny(rule, GP_RA_RULE_ROLE, "%s may not %s requests", p->name,
		    approve ? "approve" : "reject");
	/* dual control: the submitter is not one of the approvers */
	if (approve && q->submitter != NULL && strcmp(q->submitter, p->name) == 0)
		return deny(rule, GP_RA_RULE_OWN_REQUEST, "officer %s submitted request %lld and "
		    "cannot approve it", p->officer, (long long)q->id);
	if ((r = own_certificate(ra, q, p->officer)) == GP_E_POLICY)
		return deny(rule, GP_RA_RULE_OWN_CERT, "%s", gp_error_last());
	return r;
}

/* 1 when the certificate sn was issued on one of submitter's requests. */
struct issued_to_ctx {
	const unsigned char *sn;
	size_t snlen;
	int found;
};

static int
issued_to_cb(void *arg, const gp_ra_request *q)
{
	struct issued_to_ctx *c = arg;

	if (q->kind == GP_RA_ISSUE && q->serial_len == c->snlen &&
	    memcmp(q->serial, c->sn, c->snlen) == 0) {
		c->found = 1;
		return 1;       /* stop */
	}
	return 0;
}

int
gp_ra_may_revoke(int *rule, gp_ra *ra, const gp_ra_principal *p, const unsigned char *serial,
    size_t serial_len)
{
	struct issued_to_ctx c = { serial, serial_len, 0 };
	char hex[2 * GP_SERIAL_MAX + 1];
	gp_ra_filter f;
	int r;

	if ((r = may_begin(rule, ra, p, "gp_ra_may_revoke")) != 0)
		return r;
	if (serial == NULL || serial_len == 0 || serial_len > GP_SERIAL_MAX)
		return gp_err(GP_E_INVALID, "gp_ra_may_revoke: bad serial");
	gp_hex_encode(hex, serial, serial_len);
	switch (p->kind) {
	case GP_RA_PRINCIPAL_ADMIN:
		return 0;
	case GP_RA_PRINCIPAL_OFFICER:
		return acting_officer(p) ? 0 : deny(rule, GP_RA_RULE_ROLE,
		    "%s may not ask for revocations", p->name);
	case GP_RA_PRINCIPAL_HOLDER:
		return p->serial_len == serial_len && memcmp(p->serial, serial, serial_len) == 0 ?
		    0 : deny(rule, GP_RA_RULE_NOT_OWNER, "%s holds another certificate than %s",
		    p->name, hex);
	case GP_RA_PRINCIPAL_TOKEN:
		memset(&f, 0, sizeof(f));
		f.status = GP_RA_ISSUED;
		f.submitter = p->name;
		if ((r = gp_store_ra_req_list(gp_ctx_store(ra->ctx), &f, issued_to_cb, &c)) < 0)
			return r;
		return c.found ? 0 : deny(rule, GP_RA_RULE_NOT_OWNER,
		    "certificate %s was not issued on a request of yours", hex);
	default:
		return gp_err(GP_E_INVALID, "gp_ra_may_revoke: unknown principal");
	}
}
