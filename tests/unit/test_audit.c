/* tests/unit/test_audit.c: the hash-chained audit log */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <govpki/audit.h>
#include <govpki/error.h>
#include <govpki/ra.h>
#include <govpki/seal.h>
#include <govpki/store.h>

struct fx {
	char dir[64];
	char path[128];
	gp_store *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_audit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_CREATE), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	struct fx *f = *state;
	char p[160];
	size_t i;

	gp_store_close(f->s);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

/* Runs sql on the store behind its back; it must change n rows (-1: any). */
static void
raw_exec_n(const char *path, const char *sql, int n)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	if (n >= 0)
		assert_int_equal(sqlite3_changes(db), n);
	sqlite3_close(db);
}

static void
raw_exec(const char *path, const char *sql)
{
	raw_exec_n(path, sql, 1);
}

static int
msg_has(const char *needle)
{
	if (strstr(gp_error_last(), needle) != NULL)
		return 1;
	print_error("message '%s' lacks '%s'\n", gp_error_last(), needle);
	return 0;
}

/* Appends n rows: actor "officer", action "cert.issue", object "obj<i>". */
static void
append_n(gp_store *s, int n)
{
	char obj[32];
	int i;

	for (i = 1; i <= n; i++) {
		snprintf(obj, sizeof(obj), "obj%d", i);
		assert_int_equal(gp_audit_append(s, "officer", "cert.issue", obj,
		    i % 3 ? "detail" : NULL), 0);
	}
}

struct rows {
	gp_audit_row r[32];
	int n;
};

static int
keep_row(void *arg, const gp_audit_row *row)
{
	struct rows *x = arg;

	if (x->n < 32) {
		x->r[x->n] = *row;
		x->r[x->n].actor = x->r[x->n].action = NULL;   /* borrowed */
		x->r[x->n].object = x->r[x->n].detail = NULL;
	}
	x->n++;
	return 0;
}

/* The hash follows the encoding of govpki/audit.h exactly: built here by
 * hand and hashed with SHA-256. */
static void
test_hash_encoding(void **state)
{
	static const unsigned char want_prefix[] = {
		0, 0, 0, 0, 0, 0, 0, 7,                 /* seq */
		0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00,     /* time */
		0, 0, 0, 1, 'a',                        /* actor */
		0, 0, 0, 2, 'b', 'c',                   /* action */
		0xff, 0xff, 0xff, 0xff,                 /* object: NULL */
		0, 0, 0, 0,                             /* detail: "" */
	};
	unsigned char buf[sizeof(want_prefix) + 32], want[32], got[32];
	unsigned int len = 0;
	gp_audit_row row;

	(void)state;
	memset(&row, 0, sizeof(row));
	row.seq = 7;
	row.time = 0x6553f100;
	row.actor = "a";
	row.action = "bc";
	row.object = NULL;
	row.detail = "";
	memset(row.prev_hash, 0x5a, 32);
	memcpy(buf, want_prefix, sizeof(want_prefix));
	memset(buf + sizeof(want_prefix), 0x5a, 32);
	assert_int_equal(EVP_Digest(buf, sizeof(buf), want, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(gp_audit_hash(got, &row), 0);
	assert_memory_equal(got, want, 32);

	/* NULL and "" differ; so does every field */
	row.object = "";
	assert_int_equal(gp_audit_hash(got, &row), 0);
	assert_memory_not_equal(got, want, 32);
	row.object = NULL;
	row.prev_hash[31] ^= 1;
	assert_int_equal(gp_audit_hash(got, &row), 0);
	assert_memory_not_equal(got, want, 32);

	/* a failure is a status, not a hash that looks computed: NULL row
	 * (a zero hash), NULL out */
	assert_int_equal(gp_audit_hash(got, NULL), GP_E_INVALID);
	memset(want, 0, 32);
	assert_memory_equal(got, want, 32);
	assert_int_equal(gp_audit_hash(NULL, &row), GP_E_INVALID);
}

/* Appended rows form a chain from seq 1 with a zero first prev_hash, and
 * verify. */
static void
test_append_verify(void **state)
{
	struct fx *f = *state;
	unsigned char zero[32] = { 0 }, h[32];
	struct rows x;
	int64_t bad = -1, rows = -1;
	int i;

	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(bad, 0);
	append_n(f->s, 20);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, 20);

	memset(&x, 0, sizeof(x));
	assert_int_equal(gp_store_audit_list(f->s, 1, keep_row, &x), 0);
	assert_int_equal(x.n, 20);
	assert_int_equal(x.r[0].seq, 1);
	assert_memory_equal(x.r[0].prev_hash, zero, 32);
	for (i = 1; i < 20; i++) {
		assert_int_equal(x.r[i].seq, i + 1);
		assert_memory_equal(x.r[i].prev_hash, x.r[i - 1].hash, 32);
		assert_true(x.r[i].time > 0);
	}
	assert_int_equal(gp_store_audit_last(f->s, &rows, h), 0);
	assert_int_equal(rows, 20);
	assert_memory_equal(h, x.r[19].hash, 32);
	/* out-params are optional */
	assert_int_equal(gp_audit_verify(NULL, NULL, f->s), 0);
}

/* Editing a row's field is caught at that row. */
static void
test_edited_row(void **state)
{
	struct fx *f = *state;
	int64_t bad = -1, rows = -1;

	append_n(f->s, 20);
	raw_exec(f->path, "UPDATE audit SET detail = 'nothing to see' WHERE seq = 17");
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(bad, 17);
	assert_int_equal(rows, 16);
	assert_true(msg_has("audit chain broken at entry 17: hash does not match (row edited)"));
}

/* Deleting a row is caught at the row after it; deleting the first row is
 * caught too. */
static void
test_deleted_row(void **state)
{
	struct fx *f = *state;
	int64_t bad = -1, rows = -1;

	append_n(f->s, 20);
	raw_exec(f->path, "DELETE FROM audit WHERE seq = 17");
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(bad, 18);
	assert_int_equal(rows, 16);
	assert_true(msg_has("audit chain broken at entry 18: previous entry missing (row deleted)"));

	raw_exec(f->path, "DELETE FROM audit WHERE seq = 1");
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(bad, 2);
	assert_int_equal(rows, 0);
}

/* A row rewritten with a freshly computed hash still breaks the link of
 * the row after it; a renumbered row (filling a gap) breaks its own link. */
static void
test_rehashed_row(void **state)
{
	struct fx *f = *state;
	struct rows x;
	gp_audit_row row;
	char sql[256], hex[65];
	int64_t bad = -1, rows = -1;
	int i;

	append_n(f->s, 10);
	memset(&x, 0, sizeof(x));
	assert_int_equal(gp_store_audit_list(f->s, 5, keep_row, &x), 0);
	row = x.r[0];
	row.actor = "mallory";
	row.action = "cert.issue";
	row.object = "obj5";
	row.detail = NULL;
	assert_int_equal(gp_audit_hash(row.hash, &row), 0);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", row.hash[i]);
	snprintf(sql, sizeof(sql), "UPDATE audit SET actor = 'mallory', detail = NULL,"
	    " hash = x'%s' WHERE seq = 5", hex);
	raw_exec(f->path, sql);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(bad, 6);
	assert_int_equal(rows, 5);
	assert_true(msg_has("entry 6"));

	/* a row slipped in below the chain */
	raw_exec(f->path, "UPDATE audit SET seq = 0 WHERE seq = 10");
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(bad, 0);
	assert_true(msg_has("entry 0"));
}

/* A row appended inside the caller's transaction goes away with its
 * rollback; the next append reuses the seq. */
static void
test_append_in_transaction(void **state)
{
	struct fx *f = *state;
	unsigned char h[32];
	int64_t seq = -1, rows = -1;

	append_n(f->s, 2);
	assert_int_equal(gp_store_begin(f->s), 0);
	assert_int_equal(gp_audit_append(f->s, "officer", "cert.revoke", NULL, NULL), 0);
	assert_int_equal(gp_store_audit_last(f->s, &seq, h), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(gp_store_rollback(f->s), 0);
	assert_int_equal(gp_store_audit_last(f->s, &seq, h), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(gp_audit_append(f->s, "officer", "cert.revoke", NULL, NULL), 0);
	assert_int_equal(gp_audit_verify(NULL, &rows, f->s), 0);
	assert_int_equal(rows, 3);
	/* append outside a transaction leaves none open */
	assert_int_equal(gp_store_commit(f->s), GP_E_STATE);
}

/* Bad input: no store, no actor or action; a read-only store. */
static void
test_append_bad(void **state)
{
	struct fx *f = *state;
	gp_store *ro = NULL;
	int64_t bad = -1, rows = -1;

	assert_int_equal(gp_audit_append(NULL, "a", "b", NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_audit_append(f->s, NULL, "b", NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_audit_append(f->s, "a", NULL, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_audit_append(f->s, "", "b", NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_audit_verify(&bad, &rows, NULL), GP_E_INVALID);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, 0);

	append_n(f->s, 3);
	assert_int_equal(gp_store_open(&ro, f->path, GP_STORE_READONLY), 0);
	assert_int_equal(gp_audit_append(ro, "a", "b", NULL, NULL), GP_E_READONLY);
	/* verifying needs only reading */
	assert_int_equal(gp_audit_verify(&bad, &rows, ro), 0);
	assert_int_equal(rows, 3);
	gp_store_close(ro);
}

/* ---- the log against the store's state -------------------------------- */

/*
 * A store as ca/, seal/ and ra/ leave it: each row written with the entry
 * they append, in this order (seq in brackets):
 *   [1] ca.create root  [2] ca.create sub (its certificate a row of root)
 *   [3..7] cert.issue 7f0001..7f0005 by sub
 *   [8] cert.hold 7f0004  [9] cert.release 7f0004
 *   [10] cert.hold 7f0005  [11] cert.revoke 7f0005 (revoked while held)
 *   [12] seal.make ES-1  [13] seal.revoke ES-1
 *   [14] ra.token.create token:1  [15] ra.submit request:1
 *   [16] cert.revoke 7f0002  [17] cert.hold 7f0003  [18] crl.publish sub/crl/1
 */
#define STATE_ROWS 18

struct state {
	int64_t root, sub;
};

static int64_t
put_ca(gp_store *s, const char *name, int64_t parent, unsigned char der_byte)
{
	static unsigned char der[2][40];
	gp_ca_info ca;

	memset(&ca, 0, sizeof(ca));
	memset(der[der_byte & 1], der_byte, sizeof(der[0]));
	ca.name = (char *)name;
	ca.parent_id = parent;
	ca.key_uri = "keys/x.key";
	ca.key_type = "ec-p256";
	ca.cert_der = der[der_byte & 1];
	ca.cert_len = sizeof(der[0]);
	assert_int_equal(gp_store_ca_add(s, &ca), 0);
	return ca.id;
}

/* Certificate n of CA ca_id: serial 7f 00 n, DER of n (der: NULL) or der. */
static void
fake_cert(gp_cert_info *c, int64_t ca_id, unsigned n, const unsigned char *der,
    size_t der_len)
{
	static unsigned char own[40];

	memset(c, 0, sizeof(*c));
	c->ca_id = ca_id;
	c->serial[0] = 0x7f;
	c->serial[1] = 0;
	c->serial[2] = (unsigned char)n;
	c->serial_len = 3;
	c->subject = "CN=test";
	c->not_before = 1000;
	c->not_after = 2000;
	c->issued_at = 1500;
	c->fingerprint[0] = (unsigned char)n;
	c->fingerprint[1] = (unsigned char)ca_id;
	memset(own, (int)n, sizeof(own));
	c->der = der ? (unsigned char *)der : own;
	c->der_len = der ? der_len : sizeof(own);
}

/* Certificate n of ca_id, with its cert.issue entry when logged. */
static void
put_cert(gp_store *s, int64_t ca_id, unsigned n, int logged)
{
	gp_cert_info c;
	char hex[16];

	fake_cert(&c, ca_id, n, NULL, 0);
	assert_int_equal(gp_store_cert_add(s, &c), 0);
	snprintf(hex, sizeof(hex), "7f00%02x", n);
	if (logged)
		assert_int_equal(gp_audit_append(s, "officer", "cert.issue", hex, "ca=sub"), 0);
}

/* Sets certificate n's status, with the entry ca/revoke.c appends. */
static void
put_status(gp_store *s, int64_t ca_id, unsigned n, int status, const char *action)
{
	unsigned char serial[3] = { 0x7f, 0, (unsigned char)n };
	char hex[16];

	assert_int_equal(gp_store_cert_set_status(s, ca_id, serial, 3, status,
	    status == GP_STATUS_GOOD ? 0 : 1234,
	    status == GP_STATUS_GOOD ? GP_REASON_NONE :
	    status == GP_STATUS_HOLD ? GP_REASON_CERTIFICATE_HOLD : GP_REASON_SUPERSEDED,
	    (const unsigned char *)"entry", 5, NULL), 0);
	snprintf(hex, sizeof(hex), "7f00%02x", n);
	assert_int_equal(gp_audit_append(s, "officer", action, hex, NULL), 0);
}

static void
put_seal(gp_store *s, const char *es_id, int logged)
{
	gp_seal_info si;

	memset(&si, 0, sizeof(si));
	si.es_id = (char *)es_id;
	si.name = "seal";
	si.type = 1;
	si.version = 4;
	si.der = (unsigned char *)"der";
	si.der_len = 3;
	assert_int_equal(gp_store_seal_add(s, &si), 0);
	if (logged)
		assert_int_equal(gp_audit_append(s, "seal-tool", "seal.make", es_id, NULL), 0);
}

static void
build_state(gp_store *s, struct state *st)
{
	gp_cert_info c;
	gp_crl_info crl;
	gp_ra_token t;
	gp_ra_request q;
	unsigned n;

	st->root = put_ca(s, "root", 0, 1);
	assert_int_equal(gp_audit_append(s, "officer", "ca.create", "root", NULL), 0);
	/* ca/ca.c: the sub-CA's certificate is a row of its parent, and the
	 * ca.create entry records both */
	assert_int_equal(gp_store_begin(s), 0);
	st->sub = put_ca(s, "sub", st->root, 2);
	memset(&c, 0, sizeof(c));
	{
		static unsigned char der[40];

		memset(der, 2, sizeof(der));
		fake_cert(&c, st->root, 99, der, sizeof(der));
	}
	assert_int_equal(gp_store_cert_add(s, &c), 0);
	assert_int_equal(gp_audit_append(s, "officer", "ca.create", "sub", NULL), 0);
	assert_int_equal(gp_store_commit(s), 0);
	for (n = 1; n <= 5; n++)
		put_cert(s, st->sub, n, 1);
	put_status(s, st->sub, 4, GP_STATUS_HOLD, "cert.hold");
	put_status(s, st->sub, 4, GP_STATUS_GOOD, "cert.release");
	put_status(s, st->sub, 5, GP_STATUS_HOLD, "cert.hold");
	put_status(s, st->sub, 5, GP_STATUS_REVOKED, "cert.revoke");
	put_seal(s, "ES-1", 1);
	assert_int_equal(gp_store_seal_set_status(s, "ES-1", GP_SEAL_STATUS_REVOKED, 5, "lost"), 0);
	assert_int_equal(gp_audit_append(s, "officer", "seal.revoke", "ES-1", "lost"), 0);
	memset(&t, 0, sizeof(t));
	t.name = "applicants";
	t.profiles = "*";
	t.expires = 4000000000;
	assert_int_equal(gp_store_ra_token_add(s, &t), 0);
	assert_int_equal(gp_audit_append(s, "admin", "ra.token.create", "token:1", NULL), 0);
	memset(&q, 0, sizeof(q));
	q.kind = GP_RA_ISSUE;
	q.status = GP_RA_PENDING;
	q.ca = "sub";
	q.submitter = "token:applicants";
	q.approvals_needed = 1;
	q.revoke_reason = GP_REASON_NONE;
	assert_int_equal(gp_store_ra_req_add(s, &q), 0);
	assert_int_equal(gp_audit_append(s, "token:applicants", "ra.submit", "request:1", NULL), 0);
	put_status(s, st->sub, 2, GP_STATUS_REVOKED, "cert.revoke");
	put_status(s, st->sub, 3, GP_STATUS_HOLD, "cert.hold");
	memset(&crl, 0, sizeof(crl));
	crl.ca_id = st->sub;
	crl.number = 1;
	crl.this_update = 1;
	crl.next_update = 2;
	crl.der = (unsigned char *)"crl";
	crl.der_len = 3;
	assert_int_equal(gp_store_crl_add(s, &crl), 0);
	assert_int_equal(gp_audit_append(s, "officer", "crl.publish", "sub/crl/1", NULL), 0);
}

/* A store with CAs, a sub-CA, certificates issued, revoked, held, released
 * and held then revoked, a CRL, a revoked seal, an RA token and request
 * verifies: every row has its entry.  So it does from inside the caller's
 * transaction, and read-only. */
static void
test_state_intact(void **state)
{
	struct fx *f = *state;
	struct state st;
	gp_store *ro = NULL;
	int64_t bad = -1, rows = -1;

	build_state(f->s, &st);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, STATE_ROWS);
	assert_int_equal(gp_store_begin(f->s), 0);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	assert_int_equal(gp_store_commit(f->s), 0);
	assert_int_equal(gp_store_open(&ro, f->path, GP_STORE_READONLY), 0);
	assert_int_equal(gp_audit_verify(&bad, &rows, ro), 0);
	assert_int_equal(rows, STATE_ROWS);
	gp_store_close(ro);
}

/* Entries cut off the end leave a valid chain; the rows they recorded
 * remain and name what is missing.  *bad_seq is the first entry gone. */
static void
test_tail_deleted(void **state)
{
	static const struct {
		int keep;               /* entries left: seq 1..keep */
		const char *msg;
	} cases[] = {
		{ 17, "audit log incomplete after entry 17: CRL sub/crl/1 has no crl.publish entry" },
		{ 16, "certificate on hold 7f0003 (issuer 'sub') has no cert.hold entry" },
		{ 15, "revoked certificate 7f0002 (issuer 'sub') has no cert.revoke entry" },
		{ 10, "revoked certificate 7f0005 (issuer 'sub') has no cert.revoke entry" },
		{ 6, "certificate 7f0005 (issuer 'sub') has no cert.issue entry: entries "
		  "were deleted from the end of the log" },
		{ 1, "CA sub has no ca.create entry" },
	};
	struct fx *f = *state;
	struct state st;
	char sql[64];
	int64_t bad = -1, rows = -1;
	size_t i;

	build_state(f->s, &st);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE seq > %d", cases[i].keep);
		raw_exec_n(f->path, sql, -1);
		assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
		assert_int_equal(rows, cases[i].keep);
		assert_int_equal(bad, cases[i].keep + 1);
		assert_true(msg_has(cases[i].msg));
	}
}

/* An empty log while the store holds CAs: all entries were deleted. */
static void
test_all_deleted(void **state)
{
	struct fx *f = *state;
	struct state st;
	int64_t bad = -1, rows = -1;

	build_state(f->s, &st);
	raw_exec_n(f->path, "DELETE FROM audit", STATE_ROWS);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(rows, 0);
	assert_int_equal(bad, 1);
	assert_true(msg_has("audit log is empty: CA root has no ca.create entry"));
}

/* Rows added behind the log's back are named too, also when newer rows
 * have their entries (the lookup is then a set difference). */
static void
test_row_unlogged(void **state)
{
	struct fx *f = *state;
	struct state st;
	int64_t bad = -1, rows = -1;

	build_state(f->s, &st);
	put_cert(f->s, st.sub, 6, 0);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(bad, STATE_ROWS + 1);
	assert_true(msg_has("certificate 7f0006 (issuer 'sub') has no cert.issue entry"));
	put_cert(f->s, st.sub, 7, 1);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_true(msg_has("certificate 7f0006 (issuer 'sub') has no cert.issue entry"));
	assert_int_equal(rows, STATE_ROWS + 1);
}

/* A revocation raised to keyCompromise writes a second cert.revoke entry
 * for the same certificate ("was=" in its detail): it does not stand in
 * for another certificate's entry cut off the end. */
static void
test_revocation_raised(void **state)
{
	struct fx *f = *state;
	struct state st;
	unsigned char serial[3] = { 0x7f, 0, 5 };
	int64_t bad = -1, rows = -1;

	build_state(f->s, &st);
	assert_int_equal(gp_store_cert_set_status(f->s, st.sub, serial, 3, GP_STATUS_REVOKED,
	    1234, GP_REASON_KEY_COMPROMISE, (const unsigned char *)"entry", 5, NULL), 0);
	assert_int_equal(gp_audit_append(f->s, "officer", "cert.revoke", "7f0005",
	    "ca=sub serial=7f0005 reason=keyCompromise was=superseded"), 0);
	put_status(f->s, st.sub, 1, GP_STATUS_REVOKED, "cert.revoke");
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	assert_int_equal(rows, STATE_ROWS + 2);
	raw_exec(f->path, "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)");
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_int_equal(bad, STATE_ROWS + 2);
	assert_true(msg_has("revoked certificate 7f0001 (issuer 'sub') has no cert.revoke entry"));
}

/* The kinds of the seal and RA parts: a seal or an RA token without its
 * entry. */
static void
test_module_rows_unlogged(void **state)
{
	struct fx *f = *state;
	struct state st;
	gp_ra_token t;
	int64_t bad = -1, rows = -1;

	build_state(f->s, &st);
	put_seal(f->s, "ES-2", 0);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_true(msg_has("seal ES-2 has no seal.make entry"));
	assert_int_equal(gp_audit_append(f->s, "seal-tool", "seal.make", "ES-2", NULL), 0);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	memset(&t, 0, sizeof(t));
	t.name = "more";
	t.hash[0] = 1;
	t.profiles = "*";
	t.expires = 4000000000;
	assert_int_equal(gp_store_ra_token_add(f->s, &t), 0);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
	assert_true(msg_has("RA token:2 has no ra.token.create entry"));
}

/*
 * A row edited to hold what reading would convert (a time with trailing
 * text, text with a NUL byte and more after it, a hash one byte longer or
 * shorter, text stored as a blob) breaks the chain at that row: read as
 * the declared type it would still match its hash.
 */
static void
test_malformed_row(void **state)
{
	static const struct {
		const char *sql;
		const char *msg;
	} cases[] = {
		{ "UPDATE audit SET time = CAST(time AS TEXT) || 'abc' WHERE seq = 5",
		  "malformed row (time is text, not an integer)" },
		{ "UPDATE audit SET time = time + 0.5 WHERE seq = 5",
		  "malformed row (time is a real number, not an integer)" },
		{ "UPDATE audit SET detail = detail || char(0) || 'and more' WHERE seq = 5",
		  "malformed row (detail holds a NUL byte)" },
		{ "UPDATE audit SET object = object || char(0) WHERE seq = 5",
		  "malformed row (object holds a NUL byte)" },
		{ "UPDATE audit SET hash = CAST(hash || x'00' AS BLOB) WHERE seq = 5",
		  "malformed row (hash is 33 bytes, not 32)" },
		{ "UPDATE audit SET hash = hash || x'00' WHERE seq = 5",  /* || makes text */
		  "malformed row (hash is text, not a blob)" },
		{ "UPDATE audit SET prev_hash = substr(prev_hash, 1, 31) WHERE seq = 5",
		  "malformed row (prev_hash is 31 bytes, not 32)" },
		{ "UPDATE audit SET hash = hex(hash) WHERE seq = 5",
		  "malformed row (hash is text, not a blob)" },
		{ "UPDATE audit SET actor = CAST(actor AS BLOB) WHERE seq = 5",
		  "malformed row (actor is a blob, not text)" },
		{ "UPDATE audit SET action = NULL WHERE seq = 5", NULL },  /* NOT NULL refuses */
	};
	struct fx *f = *state;
	int64_t bad = -1, rows = -1;
	size_t i;

	append_n(f->s, 8);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sqlite3 *db = NULL;

		if (cases[i].msg == NULL) {
			assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
			assert_int_not_equal(sqlite3_exec(db, cases[i].sql, NULL, NULL, NULL),
			    SQLITE_OK);
			sqlite3_close(db);
			continue;
		}
		raw_exec_n(f->path, "CREATE TABLE saved AS SELECT * FROM audit WHERE seq = 5", -1);
		raw_exec(f->path, cases[i].sql);
		assert_int_equal(gp_audit_verify(&bad, &rows, f->s), GP_E_VERIFY);
		assert_int_equal(bad, 5);
		assert_int_equal(rows, 4);
		assert_true(msg_has("audit chain broken at entry 5: "));
		assert_true(msg_has(cases[i].msg));
		/* the row as it was verifies again */
		raw_exec(f->path, "DELETE FROM audit WHERE seq = 5");
		raw_exec(f->path, "INSERT INTO audit SELECT * FROM saved");
		raw_exec_n(f->path, "DROP TABLE saved", -1);
		assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_encoding),
		cmocka_unit_test_setup_teardown(test_append_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehashed_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_in_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_unlogged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_raised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_rows_unlogged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_row, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
