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

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
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
	gp_audit_hash(&row, got);
	assert_memory_equal(got, want, 32);

	/* NULL and "" differ; so does every field */
	row.object = "";
	gp_audit_hash(&row, got);
	assert_memory_not_equal(got, want, 32);
	row.object = NULL;
	row.prev_hash[31] ^= 1;
	gp_audit_hash(&row, got);
	assert_memory_not_equal(got, want, 32);

	/* NULL row: a zero hash, no crash; NULL out: nothing */
	gp_audit_hash(NULL, got);
	memset(want, 0, 32);
	assert_memory_equal(got, want, 32);
	gp_audit_hash(&row, NULL);
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

	assert_int_equal(gp_audit_verify(f->s, &bad, &rows), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(bad, 0);
	append_n(f->s, 20);
	assert_int_equal(gp_audit_verify(f->s, &bad, &rows), 0);
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
	assert_int_equal(gp_audit_verify(f->s, NULL, NULL), 0);
}

/* Editing a row's field is caught at that row. */
static void
test_edited_row(void **state)
{
	struct fx *f = *state;
	int64_t bad = -1, rows = -1;

	append_n(f->s, 20);
	raw_exec(f->path, "UPDATE audit SET detail = 'nothing to see' WHERE seq = 17");
	assert_int_equal(gp_audit_verify(f->s, &bad, &rows), GP_E_VERIFY);
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
	assert_int_equal(gp_audit_verify(f->s, &bad, &rows), GP_E_VERIFY);
	assert_int_equal(bad, 18);
	assert_int_equal(rows, 16);
	assert_true(msg_has("audit chain broken at entry 18: previous entry missing (row deleted)"));

	raw_exec(f->path, "DELETE FROM audit WHERE seq = 1");
	assert_int_equal(gp_audit_verify(f->s, &bad, &rows), GP_E_VERIFY);
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
	gp_audit_hash(&row, row.hash);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", row.hash[i]);
	snprintf(sql, sizeof(sql), "UPDATE audit SET actor = 'mallory', detail = NULL,"
	    " hash = x'%s' WHERE seq = 5", hex);
	raw_exec(f->path, sql);
	assert_int_equal(gp_audit_verify(f->s, &bad, &rows), GP_E_VERIFY);
	assert_int_equal(bad, 6);
	assert_int_equal(rows, 5);
	assert_true(msg_has("entry 6"));

	/* a row slipped in below the chain */
	raw_exec(f->path, "UPDATE audit SET seq = 0 WHERE seq = 10");
	assert_int_equal(gp_audit_verify(f->s, &bad, &rows), GP_E_VERIFY);
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
	assert_int_equal(gp_audit_verify(f->s, NULL, &rows), 0);
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
	assert_int_equal(gp_audit_verify(NULL, &bad, &rows), GP_E_INVALID);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, 0);

	append_n(f->s, 3);
	assert_int_equal(gp_store_open(&ro, f->path, GP_STORE_READONLY), 0);
	assert_int_equal(gp_audit_append(ro, "a", "b", NULL, NULL), GP_E_READONLY);
	/* verifying needs only reading */
	assert_int_equal(gp_audit_verify(ro, &bad, &rows), 0);
	assert_int_equal(rows, 3);
	gp_store_close(ro);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
