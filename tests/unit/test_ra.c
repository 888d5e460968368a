/* tests/unit/test_ra.c: the RA workflow: submissions, approvals and dual control, rejections, recovery, tokens, officers, challenges */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include <govpki/govpki.h>

#include "testutil.h"

#define PW "unit-test-pass"

typedef struct fx {
	char *dir;
	gp_ctx *ctx;
	gp_ca *ca;
	gp_ra *ra;
	EVP_PKEY *key;
	unsigned char *csr;
	size_t csr_len;
} fx;

static int
setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	gp_ca_params p;
	unsigned char k[32] = { 1, 2, 3 };

	f->dir = tu_tmpdir();
	assert_int_equal(gp_ctx_open(&f->ctx, NULL, f->dir, 0), 0);
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "root";
	p.subject = "/C=CN/O=Example/CN=Root";
	p.key_type = GP_KEY_EC_P256;
	p.pass = PW;
	p.passlen = strlen(PW);
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	p.name = "issuing";
	p.parent = "root";
	p.subject = "/C=CN/O=Example/CN=Issuing";
	p.profile = "root-ca";  /* no path length: sub-CAs may be issued under it */
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&f->ca, f->ctx, "issuing", PW, strlen(PW)), 0);
	assert_int_equal(gp_ra_new(&f->ra, f->ctx, f->ca), 0);
	assert_int_equal(gp_ra_set_challenge_key(f->ra, k, 300), 0);
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->csr = tu_csr(&f->csr_len, f->key, "Example", "www.example.gov.cn", "DNS:www.example.gov.cn");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;

	gp_ra_free(f->ra);
	gp_ca_free(f->ca);
	gp_ctx_free(f->ctx);
	EVP_PKEY_free(f->key);
	free(f->csr);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static gp_ra_submission
sub_of(fx *f, const char *profile)
{
	gp_ra_submission s;

	memset(&s, 0, sizeof(s));
	s.profile = profile;
	s.csr = f->csr;
	s.csr_len = f->csr_len;
	s.submitter = "token:1";
	s.contact_email = "a@example.gov.cn";
	return s;
}

static int64_t
audit_rows(fx *f)
{
	int64_t seq;
	unsigned char h[32];

	assert_int_equal(gp_store_audit_last(gp_ctx_store(f->ctx), &seq, h), 0);
	return seq;
}

/* Submit, approve once (tls-server needs one officer): issued with a serial
 * that is in the store; the approver is recorded. */
static void
test_submit_approve_issue(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_request *q = NULL;
	gp_cert_info *ci = NULL;
	int64_t id;
	int fin;

	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_true(id > 0);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(q->status, GP_RA_PENDING);
	assert_int_equal(q->approvals_needed, 1);
	assert_string_equal(q->contact_email, "a@example.gov.cn");
	gp_ra_request_free(q);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(q->status, GP_RA_ISSUED);
	assert_int_equal(q->napprovers, 1);
	assert_string_equal(q->approvers[0], "alice");
	assert_true(q->serial_len > 0);
	assert_int_equal(gp_store_cert_get(gp_ctx_store(f->ctx), gp_ca_id(f->ca), q->serial,
	    q->serial_len, &ci), 0);
	assert_string_equal(ci->profile, "tls-server");
	gp_cert_info_free(ci);
	gp_ra_request_free(q);
	/* approving again, by anyone, is a state conflict */
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "bob", NULL), GP_E_STATE);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), GP_E_STATE);
}

/* sub-ca needs two distinct officers; the submitter cannot approve; the
 * same officer twice is GP_E_EXISTS. */
static void
test_dual_control(void **state)
{
	fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t len;
	unsigned char *csr = tu_csr(&len, k, "Example", "Dept CA", NULL);
	gp_ra_submission s = sub_of(f, "sub-ca");
	int64_t id;
	int fin;

	s.csr = csr;
	s.csr_len = len;
	s.submitter = "officer:alice";
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), GP_E_POLICY);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "bob", NULL), 0);
	assert_int_equal(fin, GP_RA_PENDING);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "bob", NULL), GP_E_EXISTS);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "carol", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	free(csr);
	EVP_PKEY_free(k);
}

static const gp_profile *
prof(fx *f, const char *name)
{
	const gp_profile *p = gp_profiles_get(gp_ctx_profiles(f->ctx), name);

	assert_non_null(p);
	return p;
}

/* Issue 21.1: the root-ca profile (a CA without a path length) needs two
 * officers too, and so does a request stored with one approval needed
 * (an older configuration, an edited row). */
static void
test_ca_dual_control(void **state)
{
	fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t len;
	unsigned char *csr = tu_csr(&len, k, "Example", "Any CA", NULL);
	gp_ra_submission s = sub_of(f, "root-ca");
	gp_ra_request q, *got = NULL;
	int64_t id;
	int fin;

	s.csr = csr;
	s.csr_len = len;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_request_get(f->ra, id, &got), 0);
	assert_int_equal(got->approvals_needed, 2);
	gp_ra_request_free(got);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), 0);
	assert_int_equal(fin, GP_RA_PENDING);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "bob", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);

	/* a row that says one approval: the profile's two still apply */
	memset(&q, 0, sizeof(q));
	q.kind = GP_RA_ISSUE;
	q.status = GP_RA_PENDING;
	q.ca = "issuing";
	q.profile = "sub-ca";
	q.csr = csr;
	q.csr_len = len;
	q.submitter = "token:1";
	q.submitted = q.updated = (int64_t)time(NULL);
	q.approvals_needed = 1;
	q.revoke_reason = GP_REASON_NONE;
	assert_int_equal(gp_store_ra_req_add(gp_ctx_store(f->ctx), &q), 0);
	assert_int_equal(gp_ra_request_get(f->ra, q.id, &got), 0);
	assert_int_equal(got->approvals_needed, 2);
	gp_ra_request_free(got);
	assert_int_equal(gp_ra_approve(f->ra, &fin, q.id, "alice", NULL), 0);
	assert_int_equal(fin, GP_RA_PENDING);
	assert_int_equal(gp_ra_approve(f->ra, &fin, q.id, "bob", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	free(csr);
	EVP_PKEY_free(k);
}

/* Issue 21.1: a "*" token gets every end-entity profile but no CA
 * profile; naming one gives it. */
static void
test_token_star(void **state)
{
	fx *f = *state;
	char *tok = NULL;
	gp_ra_token *t = NULL;
	int64_t id;

	assert_int_equal(gp_ra_token_create(f->ra, &tok, &id, "all", "*",
	    (int64_t)time(NULL) + 3600, "test"), 0);
	assert_int_equal(gp_ra_token_auth(f->ra, &t, tok), 0);
	assert_true(gp_ra_token_allows(t, prof(f, "tls-server")));
	assert_true(gp_ra_token_allows(t, prof(f, "seal-signer")));
	assert_false(gp_ra_token_allows(t, prof(f, "root-ca")));
	assert_false(gp_ra_token_allows(t, prof(f, "sub-ca")));
	gp_ra_token_free(t);
	t = NULL;
	gp_pass_free(tok, strlen(tok));
	assert_int_equal(gp_ra_token_create(f->ra, &tok, &id, "ca", "person,sub-ca",
	    (int64_t)time(NULL) + 3600, "test"), 0);
	assert_int_equal(gp_ra_token_auth(f->ra, &t, tok), 0);
	assert_true(gp_ra_token_allows(t, prof(f, "sub-ca")));
	assert_false(gp_ra_token_allows(t, prof(f, "root-ca")));
	gp_ra_token_free(t);
	gp_pass_free(tok, strlen(tok));
}

/* Issue 21.1: an RA refuses at submission what its CA may not issue: a
 * CA profile under a CA with pathLenConstraint 0, any CA profile whose
 * path length does not fit, an unknown profile.  Nothing is stored. */
static void
test_submit_unissuable(void **state)
{
	fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t len;
	unsigned char *csr = tu_csr(&len, k, "Example", "Below CA", NULL);
	gp_ca_params p;
	gp_ca *dept = NULL;
	gp_ra *ra = NULL;
	gp_ra_submission s = sub_of(f, "sub-ca");
	int64_t id, rows, counts[GP_RA__NSTATUS];

	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "dept";
	p.parent = "issuing";
	p.subject = "/C=CN/O=Example/CN=Dept";
	p.key_type = GP_KEY_EC_P256;
	p.profile = "sub-ca";           /* pathLenConstraint 0 */
	p.pass = PW;
	p.passlen = strlen(PW);
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&dept, f->ctx, "dept", PW, strlen(PW)), 0);
	assert_int_equal(gp_ra_new(&ra, f->ctx, dept), 0);
	rows = audit_rows(f);
	s.csr = csr;
	s.csr_len = len;
	assert_int_equal(gp_ra_submit(ra, &id, &s), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "pathLenConstraint 0"));
	assert_int_equal(gp_ra_submit_check(ra, &s), GP_E_POLICY);
	s.profile = "root-ca";
	assert_int_equal(gp_ra_submit(ra, &id, &s), GP_E_POLICY);
	s.profile = "nosuch";
	assert_int_equal(gp_ra_submit(ra, &id, &s), GP_E_NOTFOUND);
	assert_int_equal(gp_ca_may_issue(dept, "nosuch"), GP_E_NOTFOUND);
	assert_int_equal(gp_ca_may_issue(dept, "sub-ca"), GP_E_POLICY);
	assert_int_equal(gp_ca_may_issue(dept, "tls-server"), 0);
	assert_int_equal(gp_ca_may_issue(NULL, "tls-server"), GP_E_INVALID);
	/* the end-entity profiles still go */
	s = sub_of(f, "tls-server");
	assert_int_equal(gp_ra_submit(ra, &id, &s), 0);
	assert_int_equal(gp_ra_count(ra, counts), 0);
	assert_int_equal(counts[GP_RA_PENDING], 1);
	assert_int_equal(audit_rows(f), rows + 1);
	gp_ra_free(ra);
	gp_ca_free(dept);
	free(csr);
	EVP_PKEY_free(k);
}

/* Issue 21.3: a key revoked for keyCompromise is refused at submission;
 * a request of that key already pending fails at its approval, with the
 * reason, and no certificate. */
static void
test_key_compromised(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_request *q = NULL;
	int64_t id, id2, n0, n1;
	int fin;

	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_int_equal(gp_ra_submit(f->ra, &id2, &s), 0);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", q->serial, q->serial_len,
	    GP_REASON_KEY_COMPROMISE, 0, "test"), 0);
	gp_ra_request_free(q);
	q = NULL;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "revoked for keyCompromise"));
	assert_int_equal(gp_store_cert_count(gp_ctx_store(f->ctx), 0, &n0), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id2, "alice", NULL), 0);
	assert_int_equal(fin, GP_RA_FAILED);
	assert_int_equal(gp_store_cert_count(gp_ctx_store(f->ctx), 0, &n1), 0);
	assert_int_equal(n1, n0);
	assert_int_equal(gp_ra_request_get(f->ra, id2, &q), 0);
	assert_int_equal(q->status, GP_RA_FAILED);
	assert_non_null(strstr(q->reason, "compromised"));
	gp_ra_request_free(q);
}

/* Rejection needs a reason; a rejected request cannot be approved or
 * rejected again. */
static void
test_reject(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_request *q = NULL;
	int64_t id;
	int fin;

	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_reject(f->ra, id, "bob", NULL), GP_E_INVALID);
	assert_int_equal(gp_ra_reject(f->ra, id, "bob", ""), GP_E_INVALID);
	assert_int_equal(gp_ra_reject(f->ra, id, "bob", "no"), 0);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(q->status, GP_RA_REJECTED);
	assert_string_equal(q->reason, "no");
	gp_ra_request_free(q);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), GP_E_STATE);
	assert_int_equal(gp_ra_reject(f->ra, id, "bob", "again"), GP_E_STATE);
	assert_int_equal(gp_ra_reject(f->ra, 9999, "bob", "x"), GP_E_NOTFOUND);
	assert_int_equal(gp_ra_approve(f->ra, &fin, 9999, "bob", NULL), GP_E_NOTFOUND);
}

/* Bad submissions are refused and store nothing (no request, no audit row). */
static void
test_submit_bad(void **state)
{
	fx *f = *state;
	gp_ra_submission s;
	int64_t id, rows = audit_rows(f);
	unsigned char junk[] = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
	char longs[2000];

	assert_int_equal(gp_ra_submit(NULL, &id, NULL), GP_E_INVALID);
	s = sub_of(f, "nope");
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_NOTFOUND);
	assert_int_equal(id, 0);
	s = sub_of(f, "tls-server");
	s.csr = junk;
	s.csr_len = sizeof(junk) - 1;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_PARSE);
	s = sub_of(f, "tls-server");
	s.csr_len = 0;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_INVALID);
	s = sub_of(f, "tls-server");
	s.sans = "email:a@b";             /* tls-server: DNS and IP only */
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_POLICY);
	s = sub_of(f, "tls-server");
	s.subject = "/CN=x/NOPE=y";
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_PARSE);
	s = sub_of(f, "tls-server");
	s.contact_email = "no-at";
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_INVALID);
	s = sub_of(f, "tls-server");
	s.contact_name = "a\nb";
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_INVALID);
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	s = sub_of(f, "tls-server");
	s.subject = longs;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_INVALID);
	s = sub_of(f, "tls-server");
	s.submitter = NULL;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), GP_E_INVALID);
	assert_int_equal(audit_rows(f), rows);
}

/* A request whose issuance fails ends failed with the reason; the call
 * itself succeeds (the approval stands). */
static void
test_failed_issuance(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_request *q = NULL;
	gp_ra *noca = NULL;
	int64_t id, n;
	int fin;

	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	/* an RA without a CA records the approval but cannot carry it out */
	assert_int_equal(gp_ra_new(&noca, f->ctx, NULL), 0);
	assert_int_equal(gp_ra_approve(noca, &fin, id, "alice", NULL), GP_E_STATE);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(q->status, GP_RA_APPROVED);
	gp_ra_request_free(q);
	/* recovery marks it failed */
	assert_int_equal(gp_ra_recover(f->ra, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(q->status, GP_RA_FAILED);
	assert_non_null(strstr(q->reason, "interrupted"));
	gp_ra_request_free(q);
	gp_ra_free(noca);
	assert_int_equal(gp_ra_recover(f->ra, &n), 0);
	assert_int_equal(n, 0);
}

static int
cb(void *arg, const gp_ra_request *q)
{
	(*(int *)arg)++;
	return q->id > 0 ? 0 : 1;
}

/* Listing with filters and a cursor; counts per state. */
static void
test_list_count(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_filter fl;
	int64_t id, counts[GP_RA__NSTATUS];
	int n = 0, fin;

	for (int i = 0; i < 3; i++)
		assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), 0);
	assert_int_equal(gp_ra_count(f->ra, counts), 0);
	assert_int_equal(counts[GP_RA_PENDING], 2);
	assert_int_equal(counts[GP_RA_ISSUED], 1);
	memset(&fl, 0, sizeof(fl));
	fl.status = GP_RA_PENDING;
	fl.limit = 1;
	assert_int_equal(gp_ra_request_list(f->ra, &fl, cb, &n), 0);
	assert_int_equal(n, 1);
	fl.status = 42;
	assert_int_equal(gp_ra_request_list(f->ra, &fl, cb, &n), GP_E_INVALID);
	fl.status = -1;
	fl.submitter = "token:1' OR '1'='1";
	n = 0;
	assert_int_equal(gp_ra_request_list(f->ra, &fl, cb, &n), 0);
	assert_int_equal(n, 0);
}

/* Tokens: printed form, auth, scope, revoked, expired, malformed. */
static void
test_tokens(void **state)
{
	fx *f = *state;
	char *tok = NULL;
	gp_ra_token *t = NULL;
	int64_t id;

	assert_int_equal(gp_ra_token_create(f->ra, &tok, &id, "app", "tls-server,person",
	    (int64_t)time(NULL) + 3600, "test"), 0);
	assert_int_equal(strlen(tok), 68);
	assert_memory_equal(tok, "gpt_", 4);
	assert_int_equal(gp_ra_token_auth(f->ra, &t, tok), 0);
	assert_true(gp_ra_token_allows(t, prof(f, "person")));
	assert_true(gp_ra_token_allows(t, prof(f, "tls-server")));
	assert_false(gp_ra_token_allows(t, prof(f, "sub-ca")));
	assert_false(gp_ra_token_allows(t, NULL));
	gp_ra_token_free(t);
	t = NULL;
	assert_int_equal(gp_ra_token_auth(f->ra, &t, "gpt_00"), GP_E_VERIFY);
	tok[10] = tok[10] == 'a' ? 'b' : 'a';
	assert_int_equal(gp_ra_token_auth(f->ra, &t, tok), GP_E_VERIFY);
	tok[10] = 'g';
	assert_int_equal(gp_ra_token_auth(f->ra, &t, tok), GP_E_VERIFY);
	assert_null(t);
	gp_pass_free(tok, strlen(tok));
	assert_int_equal(gp_ra_token_create(f->ra, &tok, &id, "bad name!", "*",
	    (int64_t)time(NULL) + 3600, "test"), GP_E_INVALID);
	assert_int_equal(gp_ra_token_create(f->ra, &tok, &id, "x", "nope",
	    (int64_t)time(NULL) + 3600, "test"), GP_E_NOTFOUND);
	assert_int_equal(gp_ra_token_create(f->ra, &tok, &id, "x", "*", 1, "test"), GP_E_INVALID);
	assert_int_equal(gp_ra_token_create(f->ra, &tok, &id, "x", "*",
	    (int64_t)time(NULL) + 3600, "test"), 0);
	assert_int_equal(gp_ra_token_revoke(f->ra, id, "test"), 0);
	assert_int_equal(gp_ra_token_auth(f->ra, &t, tok), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "revoked"));
	assert_int_equal(gp_ra_token_revoke(f->ra, 999, "test"), GP_E_NOTFOUND);
	gp_pass_free(tok, strlen(tok));
}

static X509 *
der_copy(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509(x, &der);
	X509 *y;

	p = der;
	y = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
	OPENSSL_free(der);
	return y;
}

/* Officers: only certificates from the store's CAs; names checked; auth
 * refuses unregistered, disabled and revoked certificates. */
static void
test_officers(void **state)
{
	fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t len;
	unsigned char *csr = tu_csr(&len, k, "Example", "alice", NULL);
	gp_issue_req ir;
	X509 *cert = NULL, *other = NULL;
	gp_ra_officer *o = NULL;
	unsigned char sn[GP_SERIAL_MAX];
	size_t snlen;

	ir = (gp_issue_req)GP_ISSUE_REQ_INIT;
	ir.csr = csr;
	ir.csr_len = len;
	ir.profile = "tls-client";
	assert_int_equal(gp_ca_issue(&other, f->ca, &ir), 0);
	/* as a TLS peer sends it: from DER (a freshly signed X509 lacks the
	 * cached encoding OpenSSL's verifier expects) */
	cert = der_copy(other);
	X509_free(other);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "issuing", cert, NULL), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "not registered"));
	assert_int_equal(gp_ra_officer_add(f->ra, "al ice", GP_RA_ROLE_OFFICER, cert, "t"), GP_E_INVALID);
	assert_int_equal(gp_ra_officer_add(f->ra, "alice", 7, cert, "t"), GP_E_INVALID);
	assert_int_equal(gp_ra_officer_add(f->ra, "alice", GP_RA_ROLE_ADMIN, cert, "t"), 0);
	assert_int_equal(gp_ra_officer_add(f->ra, "alice2", GP_RA_ROLE_ADMIN, cert, "t"), GP_E_EXISTS);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "issuing", cert, NULL), 0);
	assert_string_equal(o->name, "alice");
	assert_int_equal(o->role, GP_RA_ROLE_ADMIN);
	gp_ra_officer_free(o);
	o = NULL;
	/* a self-made certificate that never came from the store */
	other = X509_dup(cert);
	X509_gmtime_adj(X509_getm_notBefore(other), -10);
	X509_sign(other, k, EVP_sha256());
	{
		X509 *o2 = der_copy(other);

		X509_free(other);
		other = o2;
	}
	assert_int_equal(gp_ra_officer_add(f->ra, "mallory", GP_RA_ROLE_OFFICER, other, "t"), GP_E_NOTFOUND);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "issuing", other, NULL), GP_E_VERIFY);
	assert_int_equal(gp_ra_officer_set_enabled(f->ra, "alice", 0, "t"), 0);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "issuing", cert, NULL), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "disabled"));
	assert_int_equal(gp_ra_officer_set_enabled(f->ra, "alice", 1, "t"), 0);
	assert_int_equal(gp_ra_officer_set_enabled(f->ra, "nobody", 1, "t"), GP_E_NOTFOUND);
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(cert)), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, snlen, GP_REASON_KEY_COMPROMISE, 0, "t"), 0);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "issuing", cert, NULL), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "revoked"));
	assert_null(o);
	X509_free(cert);
	X509_free(other);
	free(csr);
	EVP_PKEY_free(k);
}

/* A certificate issued through the RA for key; *q its request. */
static void
issued_for(fx *f, EVP_PKEY *key, const char *cn, gp_ra_request **q)
{
	size_t len;
	unsigned char *csr = tu_csr(&len, key, "Example", cn, NULL);
	char san[80];
	gp_ra_submission s = sub_of(f, "tls-server");
	int64_t id;
	int fin;

	snprintf(san, sizeof(san), "DNS:%s", cn);
	s.csr = csr;
	s.csr_len = len;
	s.sans = san;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_int_equal(gp_ra_request_get(f->ra, id, q), 0);
	free(csr);
}

/* A holder's proof: key signs "govpki-revoke:" challenge ":" serial ":" reason. */
static void
prove(unsigned char **sig, size_t *siglen, EVP_PKEY *key, const char *ch,
    const gp_ra_request *q, const char *reason)
{
	char msg[512], hex[41];

	for (size_t i = 0; i < q->serial_len; i++)
		sprintf(hex + 2 * i, "%02x", q->serial[i]);
	snprintf(msg, sizeof(msg), "govpki-revoke:%s:%s:%s", ch, hex, reason);
	assert_int_equal(gp_sign_data(sig, siglen, key, (unsigned char *)msg, strlen(msg)), 0);
}

/* A certificate of profile under ca for a fresh key, as a TLS peer sends
 * it (from DER). */
static X509 *
cert_of(gp_ca *ca, const char *profile, const char *cn, const char *san)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t len;
	unsigned char *csr = tu_csr(&len, k, "Example", cn, san);
	gp_issue_req ir = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = profile };
	X509 *c = NULL, *d;

	if (gp_ca_issue(&c, ca, &ir) != 0)
		fail_msg("issue: %s", gp_error_last());
	d = der_copy(c);
	X509_free(c);
	free(csr);
	EVP_PKEY_free(k);
	return d;
}

/* Issue 21.6: an officer's certificate is a TLS client's (clientAuth),
 * never a CA's, at registration and at every login. */
static void
test_officer_cert_kind(void **state)
{
	fx *f = *state;
	X509 *srv = cert_of(f->ca, "tls-server", "srv.example.cn", "DNS:srv.example.cn");
	X509 *ca = der_copy(gp_ca_cert0(f->ca));
	gp_ra_officer o, *got = NULL;

	assert_int_equal(gp_ra_officer_add(f->ra, "srv", GP_RA_ROLE_OFFICER, srv, "t"), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "clientAuth"));
	assert_int_equal(gp_ra_officer_add(f->ra, "ca", GP_RA_ROLE_ADMIN, ca, "t"), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "CA certificate"));
	/* one registered before the rule (written to the store directly) */
	memset(&o, 0, sizeof(o));
	o.name = "old";
	o.role = GP_RA_ROLE_OFFICER;
	o.ca_id = gp_ca_id(f->ca);
	assert_int_equal(gp_serial_from_asn1(o.serial, &o.serial_len, X509_get0_serialNumber(srv)), 0);
	assert_int_equal(gp_x509_fingerprint(srv, o.fingerprint), 0);
	o.subject = "CN=srv.example.cn";
	o.enabled = 1;
	assert_int_equal(gp_store_ra_officer_add(gp_ctx_store(f->ctx), &o), 0);
	assert_int_equal(gp_ra_officer_auth(f->ra, &got, "issuing", srv, NULL), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "clientAuth"));
	assert_null(got);
	X509_free(srv);
	X509_free(ca);
}

/* Issue 11.5: a remembered officer login ends when a CA above the
 * officer's certificate is revoked (or put on hold). */
static void
test_officer_ca_revoked(void **state)
{
	fx *f = *state;
	gp_ca_params p;
	gp_ca *dept = NULL;
	gp_ra_officer *o = NULL;
	X509 *cert;
	unsigned char sn[GP_SERIAL_MAX];
	size_t snlen;

	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "dept";
	p.parent = "issuing";
	p.subject = "/C=CN/O=Example/CN=Dept";
	p.key_type = GP_KEY_EC_P256;
	p.profile = "sub-ca";
	p.pass = PW;
	p.passlen = strlen(PW);
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&dept, f->ctx, "dept", PW, strlen(PW)), 0);
	cert = cert_of(dept, "tls-client", "dora", NULL);
	assert_int_equal(gp_ra_officer_add(f->ra, "dora", GP_RA_ROLE_OFFICER, cert, "t"), 0);
	/* twice: the second login comes from the chain remembered */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(gp_ra_officer_auth(f->ra, &o, "dept", cert, NULL), 0);
		gp_ra_officer_free(o);
		o = NULL;
	}
	/* an officer of dept is one of the CA above it too */
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "issuing", cert, NULL), 0);
	gp_ra_officer_free(o);
	o = NULL;
	/* nor is an officer of a sibling CA one of dept, even when the client
	 * sends the sibling's certificate along: the path is dept's own */
	{
		gp_ca *sib = NULL;
		X509 *scert;
		STACK_OF(X509) *sent = sk_X509_new_null();

		p.name = "dept2";
		p.subject = "/C=CN/O=Example/CN=Dept 2";
		assert_int_equal(gp_ca_create(f->ctx, &p), 0);
		assert_int_equal(gp_ca_open(&sib, f->ctx, "dept2", PW, strlen(PW)), 0);
		scert = cert_of(sib, "tls-client", "sid", NULL);
		assert_int_equal(gp_ra_officer_add(f->ra, "sid", GP_RA_ROLE_OFFICER, scert, "t"), 0);
		assert_int_equal(gp_ra_officer_auth(f->ra, &o, "dept2", scert, NULL), 0);
		gp_ra_officer_free(o);
		o = NULL;
		sk_X509_push(sent, gp_ca_cert0(sib));
		assert_int_equal(gp_ra_officer_auth(f->ra, &o, "dept", scert, sent), GP_E_VERIFY);
		assert_non_null(strstr(gp_error_last(), "not of the officer CA dept or a CA below"));
		assert_null(o);
		sk_X509_free(sent);
		X509_free(scert);
		gp_ca_free(sib);
	}
	/* the CA between the officer and the root on hold, then revoked */
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(gp_ca_cert0(dept))), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, snlen, GP_REASON_CERTIFICATE_HOLD, 0,
	    "t"), 0);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "dept", cert, NULL), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "CA dept above the certificate is on hold"));
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, snlen, GP_REASON_REMOVE_FROM_CRL, 0,
	    "t"), 0);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "dept", cert, NULL), 0);
	gp_ra_officer_free(o);
	o = NULL;
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, snlen, GP_REASON_CA_COMPROMISE, 0,
	    "t"), 0);
	assert_int_equal(gp_ra_officer_auth(f->ra, &o, "dept", cert, NULL), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "CA dept above the certificate is revoked"));
	assert_null(o);
	X509_free(cert);
	gp_ca_free(dept);
}

/* Issue 21.6: an approval keeps its comment; an officer decides neither
 * way on a revocation of their own certificate, another officer does. */
static void
test_comment_own_certificate(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "sub-ca");
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t len;
	unsigned char *csr = tu_csr(&len, k, "Example", "Commented CA", NULL), sn[GP_SERIAL_MAX];
	char longc[GP_RA_MAX_TEXT + 2];
	gp_ra_request *q = NULL;
	X509 *cert = cert_of(f->ca, "tls-client", "alice", NULL);
	size_t snlen;
	int64_t id;
	int fin;

	s.csr = csr;
	s.csr_len = len;
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	memset(longc, 'c', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0';
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", longc), GP_E_INVALID);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", "a\nb"), GP_E_INVALID);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", "identity seen, ID 1234"), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "bob", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(q->napprovers, 2);
	for (size_t i = 0; i < 2; i++) {
		if (strcmp(q->approvers[i], "alice") == 0)
			assert_string_equal(q->comments[i], "identity seen, ID 1234");
		else
			assert_null(q->comments[i]);
	}
	gp_ra_request_free(q);
	q = NULL;

	assert_int_equal(gp_ra_officer_add(f->ra, "alice", GP_RA_ROLE_OFFICER, cert, "t"), 0);
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(cert)), 0);
	assert_int_equal(gp_ra_submit_revoke(f->ra, &id, sn, snlen, GP_REASON_SUPERSEDED,
	    "officer:bob"), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "own certificate"));
	assert_int_equal(gp_ra_reject(f->ra, id, "alice", "keep it"), GP_E_POLICY);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(q->status, GP_RA_PENDING);
	assert_int_equal(q->napprovers, 0);
	gp_ra_request_free(q);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "carol", NULL), 0);
	assert_int_equal(fin, GP_RA_REVOKED);
	X509_free(cert);
	free(csr);
	EVP_PKEY_free(k);
}

/* Proof of possession: the right key over a fresh challenge revokes; a
 * wrong key, a forged challenge or another RA's challenge does not. */
static void
test_revoke_proven(void **state)
{
	fx *f = *state;
	gp_ra_request *q = NULL;
	gp_ra *other = NULL;
	EVP_PKEY *wrong = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char k2[32] = { 9 }, *sig = NULL;
	char *ch = NULL;
	size_t siglen;
	int64_t id, at;
	int st, reason, stored;

	issued_for(f, f->key, "h.example.cn", &q);
	assert_int_equal(gp_ra_challenge_new(f->ra, &ch), 0);
	prove(&sig, &siglen, wrong, ch, q, "keyCompromise");
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q->serial, q->serial_len,
	    GP_REASON_KEY_COMPROMISE, ch, sig, siglen), GP_E_VERIFY);
	gp_free(sig);
	prove(&sig, &siglen, f->key, ch, q, "keyCompromise");
	/* another RA key: not our challenge */
	assert_int_equal(gp_ra_new(&other, f->ctx, f->ca), 0);
	assert_int_equal(gp_ra_set_challenge_key(other, k2, 300), 0);
	assert_int_equal(gp_ra_revoke_proven(NULL, other, q->serial, q->serial_len,
	    GP_REASON_KEY_COMPROMISE, ch, sig, siglen), GP_E_VERIFY);
	assert_int_equal(gp_ra_revoke_proven(NULL, f->ra, q->serial, q->serial_len,
	    GP_REASON_KEY_COMPROMISE, "v1.garbage", sig, siglen), GP_E_VERIFY);
	assert_int_equal(gp_ra_revoke_proven(NULL, f->ra, q->serial, q->serial_len,
	    GP_REASON_CERTIFICATE_HOLD, ch, sig, siglen), GP_E_INVALID);
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q->serial, q->serial_len,
	    GP_REASON_KEY_COMPROMISE, ch, sig, siglen), 0);
	assert_int_equal(stored, GP_REASON_KEY_COMPROMISE);
	assert_int_equal(gp_store_cert_status(gp_ctx_store(f->ctx), gp_ca_id(f->ca), q->serial,
	    q->serial_len, &st, &at, &reason), 0);
	assert_int_equal(st, GP_STATUS_REVOKED);
	assert_int_equal(reason, GP_REASON_KEY_COMPROMISE);
	/* a revocation request for it now: already revoked */
	assert_int_equal(gp_ra_submit_revoke(f->ra, &id, q->serial, q->serial_len,
	    GP_REASON_SUPERSEDED, "token:1"), GP_E_STATE);
	gp_free(sig);
	free(ch);
	gp_ra_free(other);
	gp_ra_request_free(q);
	EVP_PKEY_free(wrong);
}

/* Issue 21.6 (and 11.5): the proof covers the reason (one made for
 * superseded is no proof of keyCompromise), a challenge serves once, a
 * holder cannot claim cACompromise or aACompromise, and the answer is the
 * reason the store holds. */
static void
test_revoke_proven_lows(void **state)
{
	fx *f = *state;
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	gp_ra_request *q1 = NULL, *q2 = NULL;
	unsigned char *sig = NULL;
	char *ch = NULL;
	size_t siglen;
	int stored;

	issued_for(f, k1, "one.example.cn", &q1);
	issued_for(f, k2, "two.example.cn", &q2);
	assert_int_equal(gp_ra_challenge_new(f->ra, &ch), 0);
	prove(&sig, &siglen, k1, ch, q1, "superseded");
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q1->serial, q1->serial_len,
	    GP_REASON_KEY_COMPROMISE, ch, sig, siglen), GP_E_VERIFY);
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q1->serial, q1->serial_len,
	    GP_REASON_CA_COMPROMISE, ch, sig, siglen), GP_E_INVALID);
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q1->serial, q1->serial_len,
	    GP_REASON_AA_COMPROMISE, ch, sig, siglen), GP_E_INVALID);
	/* the refusals did not spend it; the proof for what it says does */
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q1->serial, q1->serial_len,
	    GP_REASON_SUPERSEDED, ch, sig, siglen), 0);
	assert_int_equal(stored, GP_REASON_SUPERSEDED);
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q1->serial, q1->serial_len,
	    GP_REASON_SUPERSEDED, ch, sig, siglen), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "used already"));
	gp_free(sig);
	/* spent for every certificate, by every RA of the store */
	prove(&sig, &siglen, k2, ch, q2, "superseded");
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q2->serial, q2->serial_len,
	    GP_REASON_SUPERSEDED, ch, sig, siglen), GP_E_VERIFY);
	gp_free(sig);
	free(ch);
	/* revoked for keyCompromise already: a later superseded proof
	 * succeeds and says what stands */
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", q2->serial, q2->serial_len,
	    GP_REASON_KEY_COMPROMISE, 0, "test"), 0);
	assert_int_equal(gp_ra_challenge_new(f->ra, &ch), 0);
	prove(&sig, &siglen, k2, ch, q2, "superseded");
	assert_int_equal(gp_ra_revoke_proven(&stored, f->ra, q2->serial, q2->serial_len,
	    GP_REASON_SUPERSEDED, ch, sig, siglen), 0);
	assert_int_equal(stored, GP_REASON_KEY_COMPROMISE);
	gp_free(sig);
	free(ch);
	gp_ra_request_free(q1);
	gp_ra_request_free(q2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

/* A revocation request carried out by an officer's approval. */
static void
test_revoke_request(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_request *q = NULL;
	unsigned char bogus[3] = { 1, 2, 3 };
	int64_t id, rid;
	int fin;

	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), 0);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(gp_ra_submit_revoke(f->ra, &rid, bogus, 3, GP_REASON_SUPERSEDED, "token:1"),
	    GP_E_NOTFOUND);
	assert_int_equal(gp_ra_submit_revoke(f->ra, &rid, q->serial, q->serial_len,
	    GP_REASON_REMOVE_FROM_CRL, "token:1"), GP_E_INVALID);
	assert_int_equal(gp_ra_submit_revoke(f->ra, &rid, q->serial, q->serial_len,
	    GP_REASON_SUPERSEDED, "token:1"), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, rid, "bob", NULL), 0);
	assert_int_equal(fin, GP_RA_REVOKED);
	gp_ra_request_free(q);
}

/* The store dispatch refuses NULLs and bad states. */
static void
test_store_args(void **state)
{
	fx *f = *state;
	gp_store *st = gp_ctx_store(f->ctx);
	gp_ra_request *q = (gp_ra_request *)1;
	gp_ra_token *t = (gp_ra_token *)1;
	unsigned char h[32] = { 0 };
	int n = 5;

	assert_int_equal(gp_store_ra_req_get(NULL, 1, &q), GP_E_INVALID);
	assert_null(q);
	assert_int_equal(gp_store_ra_req_add(st, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_ra_req_set_status(st, 1, 0, 99, NULL, NULL, 0, 0), GP_E_INVALID);
	assert_int_equal(gp_store_ra_approval_add(st, 1, NULL, NULL, 0, &n), GP_E_INVALID);
	assert_int_equal(n, 0);
	assert_int_equal(gp_store_ra_approval_add(st, 12345, "x", NULL, 0, &n), GP_E_NOTFOUND);
	assert_int_equal(gp_store_ra_token_get(st, h, &t), GP_E_NOTFOUND);
	assert_null(t);
	assert_int_equal(gp_store_ra_officer_get(st, "a", h, NULL), GP_E_INVALID);
	gp_ra_request_free(NULL);
	gp_ra_token_free(NULL);
	gp_ra_officer_free(NULL);
	gp_ra_free(NULL);
	assert_string_equal(gp_ra_status_name(99), "unknown");
	assert_int_equal(gp_ra_status_from_name(&n, "pending'--"), GP_E_INVALID);
}

/* Group commit as ra-server's writer does it: checks and signing on one
 * gp_ra, the writes on another (its own connection) in one group, where a
 * refused write (the same approval twice) undoes only itself; nothing is
 * visible before the commit; a rolled-back group leaves nothing; the
 * audit chain verifies. */
static void
test_group(void **state)
{
	fx *f = *state;
	gp_ctx *c2 = NULL;
	gp_ca *ca2 = NULL;
	gp_ra *w = NULL;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_approval *a1 = NULL, *a2 = NULL, *a3 = NULL;
	gp_ra_request *q = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL;
	int64_t id1, id2, id3, bad = -1, rows = 0, before[GP_RA__NSTATUS], after[GP_RA__NSTATUS];
	int fin;

	assert_int_equal(gp_ctx_open(&c2, NULL, f->dir, 0), 0);
	assert_int_equal(gp_ca_open(&ca2, c2, "issuing", PW, strlen(PW)), 0);
	assert_int_equal(gp_ra_new(&w, c2, ca2), 0);
	assert_int_equal(gp_ra_submit_check(f->ra, &s), 0);
	assert_int_equal(gp_ra_group_commit(w), GP_E_STATE);
	assert_int_equal(gp_ra_group_begin(w), 0);
	assert_int_equal(gp_ra_group_begin(w), GP_E_STATE);
	assert_int_equal(gp_ra_submit_store(w, &r1, &s), 0);
	assert_int_equal(gp_ra_submit_store(w, &r2, &s), 0);
	id1 = r1->id;
	id2 = r2->id;
	/* not committed: the other connection does not see it */
	assert_int_equal(gp_ra_request_get(f->ra, id1, &q), GP_E_NOTFOUND);
	assert_int_equal(gp_ra_group_commit(w), 0);

	assert_int_equal(gp_ra_approve_prepare(&a1, f->ra, id1, "alice", NULL), 0);
	assert_int_equal(gp_ra_approve_prepare(&a2, f->ra, id1, "alice", NULL), 0);
	assert_int_equal(gp_ra_approve_prepare(&a3, f->ra, id2, "bob", NULL), 0);
	assert_int_equal(gp_ra_approval_grouped(a1), 1);
	assert_int_equal(gp_ra_group_begin(w), 0);
	assert_int_equal(gp_ra_approve_store(w, &fin, a1), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_true(gp_ra_approve_store(w, &fin, a2) < 0);
	assert_int_equal(gp_ra_approve_store(w, &fin, a3), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_int_equal(gp_ra_request_get(f->ra, id1, &q), 0);
	assert_int_equal(q->status, GP_RA_PENDING);
	gp_ra_request_free(q);
	assert_int_equal(gp_ra_group_commit(w), 0);
	assert_int_equal(gp_ra_request_get(f->ra, id1, &q), 0);
	assert_int_equal(q->status, GP_RA_ISSUED);
	assert_int_equal(q->napprovers, 1);
	assert_true(q->serial_len > 0);
	gp_ra_request_free(q);
	assert_int_equal(gp_ra_request_get(f->ra, id2, &q), 0);
	assert_int_equal(q->status, GP_RA_ISSUED);
	gp_ra_request_free(q);

	/* a dropped group leaves nothing */
	assert_int_equal(gp_ra_count(f->ra, before), 0);
	assert_int_equal(gp_ra_group_begin(w), 0);
	assert_int_equal(gp_ra_submit_store(w, &r3, &s), 0);
	id3 = r3->id;
	assert_true(id3 > id2);
	assert_int_equal(gp_ra_group_rollback(w), 0);
	assert_int_equal(gp_ra_count(f->ra, after), 0);
	/* a second rollback has no group to drop, and says so */
	assert_int_equal(gp_ra_group_rollback(w), GP_E_STATE);
	assert_int_equal(gp_ra_group_rollback(NULL), GP_E_INVALID);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(gp_audit_verify(&bad, &rows, gp_ctx_store(f->ctx)), 0);
	assert_true(rows > 0);
	gp_ra_approval_free(a1);
	gp_ra_approval_free(a2);
	gp_ra_approval_free(a3);
	gp_ra_request_free(r1);
	gp_ra_request_free(r2);
	gp_ra_request_free(r3);
	gp_ra_free(w);
	gp_ca_free(ca2);
	gp_ctx_free(c2);
}

/* v (what a write reports) equals what reading the request gives. */
static void
assert_same_request(const gp_ra_request *v, gp_ra *ra)
{
	gp_ra_request *q = NULL;

	assert_non_null(v);
	assert_int_equal(gp_ra_request_get(ra, v->id, &q), 0);
	assert_int_equal(v->kind, q->kind);
	assert_int_equal(v->status, q->status);
	assert_string_equal(v->ca, q->ca);
	assert_string_equal(v->profile, q->profile);
	assert_true((v->subject == NULL) == (q->subject == NULL));
	assert_true((v->sans == NULL) == (q->sans == NULL));
	assert_true((v->contact_email == NULL) == (q->contact_email == NULL));
	if (q->contact_email != NULL)
		assert_string_equal(v->contact_email, q->contact_email);
	assert_string_equal(v->submitter, q->submitter);
	assert_int_equal(v->submitted, q->submitted);
	assert_int_equal(v->updated, q->updated);
	assert_int_equal(v->approvals_needed, q->approvals_needed);
	assert_int_equal(v->revoke_reason, q->revoke_reason);
	assert_true((v->reason == NULL) == (q->reason == NULL));
	if (q->reason != NULL)
		assert_string_equal(v->reason, q->reason);
	assert_int_equal(v->serial_len, q->serial_len);
	assert_memory_equal(v->serial, q->serial, q->serial_len);
	assert_int_equal(v->csr_len, q->csr_len);
	assert_memory_equal(v->csr, q->csr, q->csr_len);
	assert_int_equal(v->napprovers, q->napprovers);
	for (size_t i = 0; i < q->napprovers; i++)
		assert_string_equal(v->approvers[i], q->approvers[i]);
	gp_ra_request_free(q);
}

/* ra-server answers a submission and the approval that completes it from
 * what was written (gp_ra_submit_store's copy, gp_ra_approval_request):
 * each equals the request read back, issued or failed; an approval that
 * was not the first (dual control) reports nothing to answer from; a
 * deep copy keeps everything. */
static void
test_answer_views(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_request *r = NULL, *d = NULL;
	gp_ra_approval *a = NULL;
	gp_ca *root = NULL;
	gp_ra *other = NULL;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *csr;
	size_t len;
	int fin;

	/* submitted, then issued */
	assert_int_equal(gp_ra_submit_check(f->ra, &s), 0);
	assert_int_equal(gp_ra_submit_store(f->ra, &r, &s), 0);
	assert_int_equal(r->status, GP_RA_PENDING);
	assert_same_request(r, f->ra);
	assert_int_equal(gp_ra_approve_prepare(&a, f->ra, r->id, "alice", NULL), 0);
	assert_null(gp_ra_approval_request(a));    /* not before the write */
	assert_int_equal(gp_ra_approve_store(f->ra, &fin, a), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_non_null(gp_ra_approval_request(a));
	assert_int_equal(gp_ra_approval_request(a)->status, GP_RA_ISSUED);
	assert_true(gp_ra_approval_request(a)->serial_len > 0);
	assert_same_request(gp_ra_approval_request(a), f->ra);
	assert_int_equal(gp_ra_request_dup(&d, gp_ra_approval_request(a)), 0);
	assert_same_request(d, f->ra);
	/* a settled approval is not stored twice */
	assert_int_equal(gp_ra_approve_store(f->ra, &fin, a), GP_E_INVALID);
	gp_ra_request_free(d);
	gp_ra_approval_free(a);
	gp_ra_request_free(r);
	r = NULL;

	/* approved on an RA of another CA: failed, with the reason */
	assert_int_equal(gp_ra_submit_store(f->ra, &r, &s), 0);
	assert_int_equal(gp_ca_open(&root, f->ctx, "root", PW, strlen(PW)), 0);
	assert_int_equal(gp_ra_new(&other, f->ctx, root), 0);
	assert_int_equal(gp_ra_approve_prepare(&a, other, r->id, "alice", NULL), 0);
	assert_int_equal(gp_ra_approve_store(other, &fin, a), 0);
	assert_int_equal(fin, GP_RA_FAILED);
	assert_non_null(gp_ra_approval_request(a));
	assert_non_null(strstr(gp_ra_approval_request(a)->reason, "the RA serves root"));
	assert_same_request(gp_ra_approval_request(a), f->ra);
	gp_ra_approval_free(a);
	gp_ra_request_free(r);
	r = NULL;

	/* dual control: the completing approval was not the first */
	csr = tu_csr(&len, k, "Example", "Dept CA", NULL);
	s = sub_of(f, "sub-ca");
	s.csr = csr;
	s.csr_len = len;
	assert_int_equal(gp_ra_submit_store(f->ra, &r, &s), 0);
	assert_int_equal(r->approvals_needed, 2);
	assert_same_request(r, f->ra);
	assert_int_equal(gp_ra_approve(f->ra, &fin, r->id, "bob", NULL), 0);
	assert_int_equal(gp_ra_approve_prepare(&a, f->ra, r->id, "carol", NULL), 0);
	assert_int_equal(gp_ra_approve_store(f->ra, &fin, a), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_null(gp_ra_approval_request(a));
	gp_ra_approval_free(a);
	gp_ra_request_free(r);

	assert_int_equal(gp_ra_submit_store(f->ra, NULL, &s), GP_E_INVALID);
	assert_int_equal(gp_ra_request_dup(NULL, NULL), GP_E_INVALID);
	assert_null(gp_ra_approval_request(NULL));
	gp_ra_free(other);
	gp_ca_free(root);
	free(csr);
	EVP_PKEY_free(k);
}

/* A principal of each kind, for the checks below (freed by the caller). */
static gp_ra_principal *
officer_p(const char *name, int role)
{
	gp_ra_officer o;
	gp_ra_principal *p = NULL;

	memset(&o, 0, sizeof(o));
	o.name = (char *)name;
	o.role = role;
	assert_int_equal(gp_ra_principal_officer(&p, &o), 0);
	return p;
}

static gp_ra_principal *
token_p(int64_t id, const char *profiles)
{
	gp_ra_token t;
	gp_ra_principal *p = NULL;

	memset(&t, 0, sizeof(t));
	t.id = id;
	t.profiles = (char *)profiles;
	assert_int_equal(gp_ra_principal_token(&p, &t), 0);
	return p;
}

/* The object-level checks of gp_ra_may_*: each principal kind against
 * each rule, with the rule named on a refusal.  Each rule has a row that
 * only it refuses. */
static void
test_principal_checks(void **state)
{
	fx *f = *state;
	gp_ra_submission s = sub_of(f, "tls-server");
	gp_ra_principal *tok1 = token_p(1, "tls-server"), *tok2 = token_p(2, "*");
	gp_ra_principal *tca = token_p(3, "person,sub-ca");
	gp_ra_principal *off = officer_p("bob", GP_RA_ROLE_OFFICER);
	gp_ra_principal *adm = officer_p("dora", GP_RA_ROLE_ADMIN);
	gp_ra_principal *aud = officer_p("eve", GP_RA_ROLE_AUDITOR);
	gp_ra_principal *alice = officer_p("alice", GP_RA_ROLE_OFFICER);
	gp_ra_principal *root = NULL, *hold = NULL, *other = NULL, *app = NULL;
	X509 *cert = cert_of(f->ca, "tls-client", "alice", NULL);
	unsigned char sn[GP_SERIAL_MAX], asn[GP_SERIAL_MAX];
	size_t snlen, asnlen;
	gp_ra_request *q = NULL, *rq = NULL;
	gp_ra_filter fl;
	int64_t id, rid;
	int fin, rule;

	assert_int_equal(gp_ra_principal_admin(&root, "admin:root"), 0);
	assert_int_equal(gp_ra_principal_applicant(&app, "acme:account:7", "tls-server"), 0);
	assert_int_equal(gp_ra_principal_kind(tok1), GP_RA_PRINCIPAL_TOKEN);
	assert_int_equal(gp_ra_principal_kind(off), GP_RA_PRINCIPAL_OFFICER);
	assert_int_equal(gp_ra_principal_kind(root), GP_RA_PRINCIPAL_ADMIN);
	assert_string_equal(gp_ra_principal_name(tok1), "token:1");
	assert_string_equal(gp_ra_principal_name(off), "officer:bob");
	assert_string_equal(gp_ra_principal_name(app), "acme:account:7");
	assert_string_equal(gp_ra_principal_name(root), "admin:root");

	/* token:1's request, issued */
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_approve(f->ra, &fin, id, "alice", NULL), 0);
	assert_int_equal(fin, GP_RA_ISSUED);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	memcpy(sn, q->serial, q->serial_len);
	snlen = q->serial_len;
	assert_int_equal(gp_ra_principal_holder(&hold, sn, snlen), 0);
	assert_int_equal(gp_ra_principal_kind(hold), GP_RA_PRINCIPAL_HOLDER);
	assert_int_equal(strncmp(gp_ra_principal_name(hold), "holder:", 7), 0);

	/* submit: a token within its profiles only; "*" not a CA profile */
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, tok1, prof(f, "tls-server")), 0);
	assert_int_equal(rule, GP_RA_RULE_NONE);
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, tok1, prof(f, "person")), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_SCOPE);
	assert_string_equal(gp_ra_rule_name(rule), "profile-not-allowed");
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, tok2, prof(f, "sub-ca")), GP_E_DENIED);
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, tca, prof(f, "sub-ca")), 0);
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, app, prof(f, "person")), GP_E_DENIED);
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, off, prof(f, "person")), 0);
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, root, prof(f, "person")), 0);
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, aud, prof(f, "person")), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_ROLE);
	assert_int_equal(gp_ra_may_submit(&rule, f->ra, hold, prof(f, "person")), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_ROLE);
	assert_int_equal(gp_ra_may_submit(NULL, f->ra, NULL, prof(f, "person")), GP_E_INVALID);

	/* read: an applicant its own requests; another's reads as none */
	assert_int_equal(gp_ra_may_read(&rule, f->ra, tok1, q), 0);
	assert_int_equal(gp_ra_may_read(&rule, f->ra, tok2, q), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_OTHERS);
	assert_string_equal(gp_ra_rule_name(rule), "not-found");
	assert_int_equal(gp_ra_may_read(&rule, f->ra, aud, q), 0);
	assert_int_equal(gp_ra_may_read(&rule, f->ra, root, q), 0);
	assert_int_equal(gp_ra_may_read(&rule, f->ra, hold, q), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_ROLE);

	/* list: an applicant's filter is narrowed to itself; another's refused */
	memset(&fl, 0, sizeof(fl));
	fl.status = -1;
	assert_int_equal(gp_ra_may_list(&rule, f->ra, tok2, &fl), 0);
	assert_string_equal(fl.submitter, "token:2");
	fl.submitter = "token:1";
	assert_int_equal(gp_ra_may_list(&rule, f->ra, tok2, &fl), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_ROLE);
	fl.submitter = "token:1";
	assert_int_equal(gp_ra_may_list(&rule, f->ra, aud, &fl), 0);
	assert_string_equal(fl.submitter, "token:1");
	fl.submitter = NULL;
	assert_int_equal(gp_ra_may_list(&rule, f->ra, off, &fl), 0);
	assert_null(fl.submitter);
	assert_int_equal(gp_ra_may_list(&rule, f->ra, hold, &fl), GP_E_DENIED);

	/* revoke: the holder of that certificate, the token it was issued to */
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, tok1, sn, snlen), 0);
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, tok2, sn, snlen), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_NOT_OWNER);
	assert_string_equal(gp_ra_rule_name(rule), "not-your-certificate");
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, hold, sn, snlen), 0);
	assert_int_equal(gp_serial_from_asn1(asn, &asnlen, X509_get0_serialNumber(cert)), 0);
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, hold, asn, asnlen), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_NOT_OWNER);
	assert_int_equal(gp_ra_principal_holder(&other, asn, asnlen), 0);
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, other, sn, snlen), GP_E_DENIED);
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, off, sn, snlen), 0);
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, adm, sn, snlen), 0);
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, root, sn, snlen), 0);
	assert_int_equal(gp_ra_may_revoke(&rule, f->ra, aud, sn, snlen), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_ROLE);

	/* decide: officers of role officer or admin; never their own request */
	gp_ra_request_free(q);
	s.submitter = "officer:bob";
	assert_int_equal(gp_ra_submit(f->ra, &id, &s), 0);
	assert_int_equal(gp_ra_request_get(f->ra, id, &q), 0);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, adm, q, 1), 0);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, off, q, 1), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_OWN_REQUEST);
	assert_string_equal(gp_ra_rule_name(rule), "own-request");
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, off, q, 0), 0);   /* may withdraw it */
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, aud, q, 1), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_ROLE);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, aud, q, 0), GP_E_DENIED);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, tok1, q, 1), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_ROLE);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, root, q, 1), GP_E_DENIED);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, hold, q, 0), GP_E_DENIED);

	/* nor either decision on a revocation of their own certificate */
	assert_int_equal(gp_ra_officer_add(f->ra, "alice", GP_RA_ROLE_OFFICER, cert, "t"), 0);
	assert_int_equal(gp_ra_submit_revoke(f->ra, &rid, asn, asnlen, GP_REASON_SUPERSEDED,
	    "officer:bob"), 0);
	assert_int_equal(gp_ra_request_get(f->ra, rid, &rq), 0);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, alice, rq, 1), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_OWN_CERT);
	assert_string_equal(gp_ra_rule_name(rule), "own-certificate");
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, alice, rq, 0), GP_E_DENIED);
	assert_int_equal(rule, GP_RA_RULE_OWN_CERT);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, adm, rq, 1), 0);
	assert_int_equal(gp_ra_may_decide(&rule, f->ra, alice, q, 1), 0);

	/* bad principals */
	gp_ra_principal_free(other);
	assert_int_equal(gp_ra_principal_admin(&other, ""), GP_E_INVALID);
	assert_null(other);
	assert_int_equal(gp_ra_principal_holder(&other, sn, 0), GP_E_INVALID);
	assert_int_equal(gp_ra_principal_officer(&other, NULL), GP_E_INVALID);
	assert_int_equal(gp_ra_principal_kind(NULL), 0);
	gp_ra_principal_free(NULL);

	gp_ra_request_free(q);
	gp_ra_request_free(rq);
	X509_free(cert);
	gp_ra_principal_free(tok1);
	gp_ra_principal_free(tok2);
	gp_ra_principal_free(tca);
	gp_ra_principal_free(off);
	gp_ra_principal_free(adm);
	gp_ra_principal_free(aud);
	gp_ra_principal_free(alice);
	gp_ra_principal_free(root);
	gp_ra_principal_free(hold);
	gp_ra_principal_free(app);
}

/* gp_ra_csr_summary_of: what the officers are shown of a CSR (issue 20.5) */
static void
test_csr_summary(void **state)
{
	fx *f = *state;
	gp_ra_csr_summary cs;
	unsigned char *bad;
	EVP_PKEY *weak;
	size_t len;

	assert_int_equal(gp_ra_csr_summary_of(&cs, f->csr, f->csr_len), 0);
	assert_string_equal(cs.key, "ec-p256");
	assert_int_equal(cs.key_bits, 256);
	assert_string_equal(cs.sig_alg, "ecdsa-with-SHA256");
	assert_int_equal(cs.signature_ok, 1);
	assert_non_null(strstr(cs.subject, "CN=www.example.gov.cn"));
	assert_string_equal(cs.sans, "DNS:www.example.gov.cn");
	gp_ra_csr_summary_clear(&cs);
	assert_null(cs.subject);

	/* DER, with a flipped bit in the signature's last octet (the end of
	 * ECDSA's s): still decoded, but not valid */
	{
		BIO *b = BIO_new_mem_buf(f->csr, (int)f->csr_len);
		X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
		unsigned char *der = NULL;
		int n;

		assert_non_null(req);
		n = i2d_X509_REQ(req, &der);
		assert_true(n > 0);
		der[n - 1] ^= 0x01;
		assert_int_equal(gp_ra_csr_summary_of(&cs, der, (size_t)n), 0);
		assert_string_equal(cs.key, "ec-p256");
		assert_int_equal(cs.signature_ok, 0);
		gp_ra_csr_summary_clear(&cs);
		/* not a CSR: an error, nothing left in the summary */
		assert_int_equal(gp_ra_csr_summary_of(&cs, der, 10), GP_E_PARSE);
		assert_null(cs.subject);
		assert_null(cs.sans);
		OPENSSL_free(der);
		X509_REQ_free(req);
		BIO_free(b);
	}

	/* a key that no profile takes */
	weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(weak);
	bad = tu_csr(&len, weak, "Example", "weak.example.gov.cn", NULL);
	assert_int_equal(gp_ra_csr_summary_of(&cs, bad, len), GP_E_POLICY);
	assert_null(cs.subject);
	free(bad);
	EVP_PKEY_free(weak);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_submit_approve_issue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dual_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_dual_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_star, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_unissuable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_compromised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_issuance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_views, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_officers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_proven, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_proven_lows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_officer_cert_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_officer_ca_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_comment_own_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_principal_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csr_summary, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
