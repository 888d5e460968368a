/* tests/unit/test_store.c: the store interface and its SQLite backend */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <govpki/error.h>
#include <govpki/store.h>

#include "store_sqlite_int.h"

struct fx {
	char dir[64];
	char path[128];
	gp_store *s;
	int64_t ca;             /* id of CA "root" */
};

static void
fx_path(const struct fx *f, char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", f->dir, name);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fx_path(f, f->path, sizeof(f->path), "store.db");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = {
		"store.db", "store.db-wal", "store.db-shm", "store.db-journal",
		"other.db", "other.db-wal", "other.db-shm", "other.db-journal",
		"junk", "empty",
	};
	struct fx *f = *state;
	char p[160];
	size_t i;

	gp_store_close(f->s);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fx_path(f, p, sizeof(p), names[i]);
		unlink(p);
	}
	fx_path(f, p, sizeof(p), "sub");
	rmdir(p);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

/* A fixture with an open store and one CA named "root". */
static int
setup_ca(void **state)
{
	struct fx *f;
	gp_ca_info ca = { .name = "root", .key_uri = "/keys/root.pem", .key_type = "ec-p256" };

	setup(state);
	f = *state;
	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_CREATE), 0);
	assert_int_equal(gp_store_ca_add(f->s, &ca), 0);
	f->ca = ca.id;
	return 0;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static int
msg_has(const char *needle)
{
	if (strstr(gp_error_last(), needle) != NULL)
		return 1;
	print_error("message '%s' lacks '%s'\n", gp_error_last(), needle);
	return 0;
}

/* A certificate record with a distinct serial, fingerprint and DER per n. */
static void
fake_cert(gp_cert_info *c, int64_t ca_id, unsigned n)
{
	static unsigned char der[64][48];

	memset(c, 0, sizeof(*c));
	c->ca_id = ca_id;
	c->serial[0] = 0x7f;
	c->serial[1] = (unsigned char)(n >> 8);
	c->serial[2] = (unsigned char)n;
	c->serial_len = 3;
	c->subject = "CN=test";
	c->not_before = 1000;
	c->not_after = 2000;
	c->profile = "tls-server";
	c->reason = GP_REASON_NONE;
	c->issued_at = 1500;
	c->fingerprint[0] = (unsigned char)(ca_id);
	c->fingerprint[1] = (unsigned char)(n >> 8);
	c->fingerprint[2] = (unsigned char)n;
	memset(der[n % 64], (int)n, sizeof(der[0]));
	c->der = der[n % 64];
	c->der_len = sizeof(der[0]);
}

static int64_t
add_cert(gp_store *s, int64_t ca_id, unsigned n)
{
	gp_cert_info c;

	fake_cert(&c, ca_id, n);
	assert_int_equal(gp_store_cert_add(s, &c), 0);
	assert_true(c.id > 0);
	return c.id;
}

static int
set_status(gp_store *s, int64_t ca_id, unsigned n, int status, const char *entry,
    int64_t *rev)
{
	gp_cert_info c;

	fake_cert(&c, ca_id, n);
	return gp_store_cert_set_status(s, ca_id, c.serial, c.serial_len, status,
	    status == GP_STATUS_GOOD ? 0 : 1234,
	    status == GP_STATUS_GOOD ? GP_REASON_NONE :
	    status == GP_STATUS_HOLD ? GP_REASON_CERTIFICATE_HOLD : GP_REASON_KEY_COMPROMISE,
	    (const unsigned char *)entry, entry ? strlen(entry) : 0, rev);
}

/* Collects blobs as a comma-separated string. */
struct collect {
	char buf[1024];
	int n;
	int stop_after;         /* 0: never */
};

static int
collect_blob(void *arg, const unsigned char *buf, size_t len)
{
	struct collect *c = arg;
	size_t used = strlen(c->buf);

	snprintf(c->buf + used, sizeof(c->buf) - used, "%s%.*s", c->n ? "," : "",
	    (int)len, (const char *)buf);
	c->n++;
	return c->stop_after && c->n >= c->stop_after ? 42 : 0;
}

/* Creating a store gives schema 1 in WAL mode with revision 0; it reopens
 * read-write and read-only with its contents. */
static void
test_open_create_reopen(void **state)
{
	struct fx *f = *state;
	char *v = NULL;
	int64_t rev = -1;
	gp_ca_info ca = { .name = "root", .key_uri = "k", .key_type = "ec-p256" };
	gp_ca_info *got = NULL;
	char uri[160];

	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_CREATE), 0);
	assert_int_equal(gp_store_revision(f->s, &rev), 0);
	assert_int_equal(rev, 0);
	assert_int_equal(gp_store_meta_get(f->s, "creator", &v), 0);
	assert_non_null(strstr(v, "govpki"));
	gp_free(v);
	assert_int_equal(gp_store_ca_add(f->s, &ca), 0);
	gp_store_close(f->s);
	f->s = NULL;
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_journal_mode"
	    " WHERE journal_mode = 'wal'"), 1);

	/* plain reopen, then the sqlite: URI form, then read-only */
	assert_int_equal(gp_store_open(&f->s, f->path, 0), 0);
	assert_int_equal(gp_store_ca_get(f->s, "root", &got), 0);
	assert_string_equal(got->name, "root");
	gp_ca_info_free(got);
	gp_store_close(f->s);
	snprintf(uri, sizeof(uri), "sqlite:%s", f->path);
	assert_int_equal(gp_store_open(&f->s, uri, 0), 0);
	gp_store_close(f->s);
	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_READONLY), 0);
	assert_int_equal(gp_store_ca_get(f->s, "root", &got), 0);
	gp_ca_info_free(got);
	/* CREATE on an existing store just opens it */
	gp_store_close(f->s);
	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_CREATE), 0);
	assert_int_equal(gp_store_ca_get(f->s, "root", &got), 0);
	gp_ca_info_free(got);
}

/* Bad arguments to open are refused without touching the disk. */
static void
test_open_bad_args(void **state)
{
	struct fx *f = *state;
	gp_store *s = (gp_store *)&s;

	assert_int_equal(gp_store_open(NULL, f->path, GP_STORE_CREATE), GP_E_INVALID);
	assert_int_equal(gp_store_open(&s, NULL, GP_STORE_CREATE), GP_E_INVALID);
	assert_null(s);
	assert_int_equal(gp_store_open(&s, "", GP_STORE_CREATE), GP_E_INVALID);
	assert_int_equal(gp_store_open(&s, f->path, 0x80), GP_E_INVALID);
	assert_int_equal(gp_store_open(&s, "sqlite:", GP_STORE_CREATE), GP_E_INVALID);
	assert_int_equal(gp_store_open(&s, "postgres://db.example/pki", GP_STORE_CREATE),
	    GP_E_INVALID);
	assert_true(msg_has("unsupported store backend"));
	assert_int_equal(gp_store_open(&s, f->dir, GP_STORE_CREATE), GP_E_INVALID);
	assert_true(msg_has("folder"));
	assert_null(s);
	assert_int_equal(access(f->path, F_OK), -1);
	gp_store_close(NULL);
}

/* A missing store needs GP_STORE_CREATE; read-only never creates; a
 * missing folder is an I/O error. */
static void
test_open_missing(void **state)
{
	struct fx *f = *state;
	char p[160];

	assert_int_equal(gp_store_open(&f->s, f->path, 0), GP_E_NOTFOUND);
	assert_true(msg_has("does not exist"));
	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_READONLY), GP_E_NOTFOUND);
	assert_int_equal(gp_store_open(&f->s, f->path,
	    GP_STORE_READONLY | GP_STORE_CREATE), GP_E_NOTFOUND);
	assert_null(f->s);
	assert_int_equal(access(f->path, F_OK), -1);
	fx_path(f, p, sizeof(p), "sub/store.db");
	assert_int_equal(gp_store_open(&f->s, p, GP_STORE_CREATE), GP_E_IO);
	assert_null(f->s);
	/* created: readable by its owner only, whatever the umask, and so
	 * are its -wal and -shm files */
	{
		struct stat st;
		mode_t old = umask(022);
		char side[200];

		assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_CREATE), 0);
		umask(old);
		assert_int_equal(stat(f->path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		snprintf(side, sizeof(side), "%s-wal", f->path);
		assert_int_equal(stat(side, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		gp_store_close(f->s);
		f->s = NULL;
	}
}

/* A store whose schema is newer than this build is refused, read-write
 * and read-only, and left as it was. */
static void
test_open_newer_schema(void **state)
{
	struct fx *f = *state;

	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_CREATE), 0);
	gp_store_close(f->s);
	f->s = NULL;
	raw_exec(f->path, "PRAGMA user_version = 99");
	assert_int_equal(gp_store_open(&f->s, f->path, 0), GP_E_VERSION);
	assert_true(msg_has("newer govpki"));
	assert_true(msg_has("schema 99, this build knows 2"));
	assert_null(f->s);
	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_READONLY), GP_E_VERSION);
	assert_int_equal(gp_store_open(&f->s, f->path, GP_STORE_CREATE), GP_E_VERSION);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 99);
}

/* Files that are not govpki stores: random bytes, text, a foreign SQLite
 * database; an empty file opened read-only. */
static void
test_open_not_a_database(void **state)
{
	struct fx *f = *state;
	unsigned char junk[4096];
	char p[160], e[160];
	size_t i;

	fx_path(f, p, sizeof(p), "junk");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 7 + 3);
	write_file(p, junk, sizeof(junk));
	assert_int_equal(gp_store_open(&f->s, p, 0), GP_E_STORE);
	assert_true(msg_has("not an SQLite database"));
	assert_int_equal(gp_store_open(&f->s, p, GP_STORE_READONLY), GP_E_STORE);
	assert_int_equal(gp_store_open(&f->s, p, GP_STORE_CREATE), GP_E_STORE);
	assert_null(f->s);

	write_file(p, "-----BEGIN CERTIFICATE-----\nnot a database at all, "
	    "just some text that is long enough to hold a header\n", 100);
	assert_int_equal(gp_store_open(&f->s, p, 0), GP_E_STORE);

	fx_path(f, p, sizeof(p), "other.db");
	raw_exec(p, "CREATE TABLE t(x); INSERT INTO t VALUES (1)");
	assert_int_equal(gp_store_open(&f->s, p, 0), GP_E_STORE);
	assert_true(msg_has("not a govpki store"));
	assert_int_equal(raw_int(p, "SELECT count(*) FROM t"), 1);

	fx_path(f, e, sizeof(e), "empty");
	write_file(e, "", 0);
	assert_int_equal(gp_store_open(&f->s, e, GP_STORE_READONLY), GP_E_STORE);
	assert_null(f->s);
}

/* Every write on a read-only store is GP_E_READONLY; reads work. */
static void
test_readonly_refuses_writes(void **state)
{
	struct fx *f = *state;
	gp_store *ro = NULL;
	gp_ca_info ca = { .name = "sub", .key_uri = "k", .key_type = "ec-p256" };
	gp_cert_info c;
	gp_crl_info crl = { .ca_id = f->ca, .number = 1, .der = (unsigned char *)"x",
	    .der_len = 1 };
	gp_audit_row row = { .seq = 1, .actor = "a", .action = "b" };
	int64_t rev = -1, n = -1;
	int st = -1;

	add_cert(f->s, f->ca, 1);
	assert_int_equal(gp_store_open(&ro, f->path, GP_STORE_READONLY), 0);
	fake_cert(&c, f->ca, 2);
	assert_int_equal(gp_store_ca_add(ro, &ca), GP_E_READONLY);
	assert_true(msg_has("read-only"));
	assert_int_equal(gp_store_cert_add(ro, &c), GP_E_READONLY);
	fake_cert(&c, f->ca, 1);
	assert_int_equal(gp_store_cert_set_status(ro, f->ca, c.serial, c.serial_len,
	    GP_STATUS_REVOKED, 1, 1, (const unsigned char *)"e", 1, &rev), GP_E_READONLY);
	assert_int_equal(gp_store_crl_add(ro, &crl), GP_E_READONLY);
	assert_int_equal(gp_store_audit_insert(ro, &row), GP_E_READONLY);
	assert_int_equal(gp_store_meta_set(ro, "k", "v"), GP_E_READONLY);
	assert_int_equal(gp_store_begin(ro), GP_E_READONLY);
	assert_int_equal(gp_store_rollback(ro), 0);
	/* reads */
	assert_int_equal(gp_store_cert_status(ro, f->ca, c.serial, c.serial_len, &st,
	    NULL, NULL), 0);
	assert_int_equal(st, GP_STATUS_GOOD);
	assert_int_equal(gp_store_cert_count(ro, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gp_store_revision(ro, &rev), 0);
	assert_int_equal(rev, 0);
	gp_store_close(ro);
}

/* Every public call refuses a NULL store instead of crashing. */
static void
test_null_store(void **state)
{
	unsigned char ser[1] = { 1 }, h[32];
	int64_t v;
	int st;
	char *m;
	gp_ca_info *ca, **list;
	size_t n;
	gp_cert_info *c;
	gp_crl_info *crl;
	gp_cert_filter fl = GP_CERT_FILTER_INIT;

	(void)state;
	assert_int_equal(gp_store_begin(NULL), GP_E_INVALID);
	assert_int_equal(gp_store_commit(NULL), GP_E_INVALID);
	assert_int_equal(gp_store_rollback(NULL), GP_E_INVALID);
	assert_int_equal(gp_store_revision(NULL, &v), GP_E_INVALID);
	assert_int_equal(gp_store_ca_add(NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_ca_get(NULL, "x", &ca), GP_E_INVALID);
	assert_null(ca);
	assert_int_equal(gp_store_ca_get_id(NULL, 1, &ca), GP_E_INVALID);
	assert_int_equal(gp_store_ca_list(NULL, &list, &n), GP_E_INVALID);
	assert_null(list);
	assert_int_equal(gp_store_cert_add(NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_cert_get(NULL, 1, ser, 1, &c), GP_E_INVALID);
	assert_null(c);
	assert_int_equal(gp_store_cert_status(NULL, 1, ser, 1, &st, NULL, NULL),
	    GP_E_INVALID);
	assert_int_equal(gp_store_cert_set_status(NULL, 1, ser, 1, 0, 0, -1, NULL, 0,
	    NULL), GP_E_INVALID);
	assert_int_equal(gp_store_cert_list(NULL, &fl, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_cert_count(NULL, 0, &v), GP_E_INVALID);
	assert_int_equal(gp_store_crl_entries(NULL, 1, 0, collect_blob, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_crl_next_number(NULL, 1, &v), GP_E_INVALID);
	assert_int_equal(gp_store_crl_add(NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_crl_latest(NULL, 1, 0, &crl), GP_E_INVALID);
	assert_null(crl);
	assert_int_equal(gp_store_audit_insert(NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_audit_last(NULL, &v, h), GP_E_INVALID);
	assert_int_equal(gp_store_audit_list(NULL, 1, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_audit_walk(NULL, 1, NULL, NULL, &v), GP_E_INVALID);
	assert_int_equal(gp_store_read_begin(NULL, &st), GP_E_INVALID);
	gp_store_read_end(NULL, 1);
	assert_int_equal(gp_store_audit_objects(NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_audit_unlogged(NULL, 0, "a", 0, &m, &m), GP_E_INVALID);
	assert_int_equal(gp_store_meta_get(NULL, "k", &m), GP_E_INVALID);
	assert_null(m);
	assert_int_equal(gp_store_meta_set(NULL, "k", "v"), GP_E_INVALID);
	gp_ca_info_free(NULL);
	gp_ca_info_list_free(NULL, 3);
	gp_cert_info_free(NULL);
	gp_crl_info_free(NULL);
}

/* CAs: add, get by name and id, list in id order, duplicate name, unknown
 * parent, missing fields. */
static void
test_ca(void **state)
{
	struct fx *f = *state;
	unsigned char der[3] = { 0x30, 0x01, 0x00 };
	gp_ca_info sub = { .name = "sub", .parent_id = f->ca, .key_uri = "pkcs11:token=x",
	    .key_type = "sm2", .cert_der = der, .cert_len = sizeof(der), .created = 77 };
	gp_ca_info dup = { .name = "root", .key_uri = "k", .key_type = "t" };
	gp_ca_info orphan = { .name = "orphan", .parent_id = 999, .key_uri = "k",
	    .key_type = "t" };
	gp_ca_info bad = { .name = NULL, .key_uri = "k", .key_type = "t" };
	gp_ca_info *got = NULL, **list = NULL;
	size_t n = 0;

	assert_int_equal(gp_store_ca_add(f->s, &sub), 0);
	assert_true(sub.id > f->ca);
	assert_int_equal(gp_store_ca_get(f->s, "sub", &got), 0);
	assert_int_equal(got->id, sub.id);
	assert_int_equal(got->parent_id, f->ca);
	assert_string_equal(got->key_uri, "pkcs11:token=x");
	assert_string_equal(got->key_type, "sm2");
	assert_int_equal(got->cert_len, 3);
	assert_memory_equal(got->cert_der, der, 3);
	assert_int_equal(got->created, 77);
	gp_ca_info_free(got);
	assert_int_equal(gp_store_ca_get_id(f->s, f->ca, &got), 0);
	assert_string_equal(got->name, "root");
	assert_int_equal(got->parent_id, 0);
	assert_null(got->cert_der);
	assert_true(got->created > 0);  /* filled in when 0 */
	gp_ca_info_free(got);

	assert_int_equal(gp_store_ca_list(f->s, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0]->name, "root");
	assert_string_equal(list[1]->name, "sub");
	gp_ca_info_list_free(list, n);

	assert_int_equal(gp_store_ca_add(f->s, &dup), GP_E_EXISTS);
	assert_true(msg_has("'root' already exists"));
	assert_int_equal(gp_store_ca_add(f->s, &orphan), GP_E_NOTFOUND);
	assert_int_equal(gp_store_ca_add(f->s, &bad), GP_E_INVALID);
	assert_int_equal(gp_store_ca_add(f->s, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_ca_get(f->s, "nope", &got), GP_E_NOTFOUND);
	assert_true(msg_has("'nope'"));
	assert_null(got);
	assert_int_equal(gp_store_ca_get(f->s, NULL, &got), GP_E_INVALID);
	assert_int_equal(gp_store_ca_get(f->s, "root", NULL), GP_E_INVALID);
	assert_int_equal(gp_store_ca_get_id(f->s, 999, &got), GP_E_NOTFOUND);
	assert_int_equal(gp_store_ca_get_id(f->s, 0, &got), GP_E_NOTFOUND);
	assert_int_equal(gp_store_ca_list(f->s, NULL, &n), GP_E_INVALID);
}

/* Certificates: add and read back every field; status of a fresh one. */
static void
test_cert_add_get(void **state)
{
	struct fx *f = *state;
	gp_cert_info c, *got = NULL;
	int st = -1, reason = 0;
	int64_t at = -1, n = 0;

	fake_cert(&c, f->ca, 5);
	c.sans = "DNS:a.example, IP:10.0.0.1";
	c.reason = GP_REASON_UNSPECIFIED;   /* ignored: a new certificate is good */
	assert_int_equal(gp_store_cert_add(f->s, &c), 0);
	assert_int_equal(gp_store_cert_get(f->s, f->ca, c.serial, c.serial_len, &got), 0);
	assert_int_equal(got->id, c.id);
	assert_int_equal(got->ca_id, f->ca);
	assert_int_equal(got->serial_len, 3);
	assert_memory_equal(got->serial, c.serial, 3);
	assert_string_equal(got->subject, "CN=test");
	assert_string_equal(got->sans, "DNS:a.example, IP:10.0.0.1");
	assert_string_equal(got->profile, "tls-server");
	assert_int_equal(got->not_before, 1000);
	assert_int_equal(got->not_after, 2000);
	assert_int_equal(got->issued_at, 1500);
	assert_int_equal(got->status, GP_STATUS_GOOD);
	assert_int_equal(got->reason, GP_REASON_NONE);
	assert_int_equal(got->revoked_at, 0);
	assert_int_equal(got->status_rev, 0);
	assert_memory_equal(got->fingerprint, c.fingerprint, 32);
	assert_int_equal(got->der_len, c.der_len);
	assert_memory_equal(got->der, c.der, c.der_len);
	gp_cert_info_free(got);

	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, c.serial_len, &st,
	    &at, &reason), 0);
	assert_int_equal(st, GP_STATUS_GOOD);
	assert_int_equal(at, 0);
	assert_int_equal(reason, GP_REASON_NONE);
	assert_int_equal(gp_store_cert_count(f->s, f->ca, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gp_store_cert_count(f->s, 999, &n), 0);
	assert_int_equal(n, 0);
}

/* A serial taken for a CA is GP_E_EXISTS naming it in hex; the same serial
 * under another CA is fine; the same certificate twice is refused. */
static void
test_cert_duplicate(void **state)
{
	struct fx *f = *state;
	gp_ca_info ca2 = { .name = "two", .key_uri = "k", .key_type = "t" };
	gp_cert_info c;

	add_cert(f->s, f->ca, 0x0102);
	fake_cert(&c, f->ca, 0x0102);
	c.fingerprint[31] = 1;
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_EXISTS);
	assert_true(msg_has("serial 7f0102"));
	fake_cert(&c, f->ca, 0x0103);
	c.fingerprint[2] = 0x02;   /* the fingerprint of 0x0102 */
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_EXISTS);
	assert_true(msg_has("fingerprint"));

	assert_int_equal(gp_store_ca_add(f->s, &ca2), 0);
	add_cert(f->s, ca2.id, 0x0102);
}

/* Unknown serials and bad certificate input. */
static void
test_cert_bad(void **state)
{
	struct fx *f = *state;
	gp_cert_info c, *got = (gp_cert_info *)&got;
	unsigned char big[21] = { 0 };
	int st = -1;
	int64_t rev = -1;

	fake_cert(&c, f->ca, 9);
	assert_int_equal(gp_store_cert_get(f->s, f->ca, c.serial, c.serial_len, &got),
	    GP_E_NOTFOUND);
	assert_true(msg_has("7f0009"));
	assert_null(got);
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, c.serial_len, &st,
	    NULL, NULL), GP_E_NOTFOUND);
	assert_int_equal(set_status(f->s, f->ca, 9, GP_STATUS_REVOKED, "e", &rev),
	    GP_E_NOTFOUND);
	assert_int_equal(rev, 0);
	assert_int_equal(gp_store_revision(f->s, &rev), 0);
	assert_int_equal(rev, 0);  /* the bump was undone */

	assert_int_equal(gp_store_cert_get(f->s, f->ca, big, 21, &got), GP_E_INVALID);
	assert_int_equal(gp_store_cert_get(f->s, f->ca, big, 0, &got), GP_E_INVALID);
	assert_int_equal(gp_store_cert_get(f->s, f->ca, NULL, 3, &got), GP_E_INVALID);
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, 3, NULL, NULL, NULL),
	    GP_E_INVALID);
	c.serial_len = 21;
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_INVALID);
	fake_cert(&c, f->ca, 9);
	c.subject = NULL;
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_INVALID);
	fake_cert(&c, f->ca, 9);
	c.der = NULL;
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_INVALID);
	fake_cert(&c, f->ca, 9);
	c.status = GP_STATUS_REVOKED;
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_INVALID);
	fake_cert(&c, f->ca, 9);
	c.status = 7;
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_INVALID);
	fake_cert(&c, 999, 9);
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_NOTFOUND);
	assert_int_equal(gp_store_cert_add(f->s, NULL), GP_E_INVALID);

	/* status and reason out of range; revoked without a CRL entry */
	add_cert(f->s, f->ca, 9);
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c.serial, c.serial_len, 3,
	    1, 1, (const unsigned char *)"e", 1, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c.serial, c.serial_len, 1,
	    1, 7, (const unsigned char *)"e", 1, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c.serial, c.serial_len, 1,
	    1, 11, (const unsigned char *)"e", 1, NULL), GP_E_INVALID);
	assert_int_equal(set_status(f->s, f->ca, 9, GP_STATUS_REVOKED, NULL, NULL),
	    GP_E_INVALID);
	assert_true(msg_has("CRL entry"));
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, c.serial_len, &st,
	    NULL, NULL), 0);
	assert_int_equal(st, GP_STATUS_GOOD);
}

/* Each status change bumps the revision, records it on the certificate,
 * and stores the CRL entry; a change inside a transaction that is rolled
 * back leaves both untouched. */
static void
test_set_status_revision(void **state)
{
	struct fx *f = *state;
	gp_cert_info c, *got = NULL;
	int64_t rev = 0, at = 0;
	int st = -1, reason = -2;

	add_cert(f->s, f->ca, 1);
	add_cert(f->s, f->ca, 2);
	fake_cert(&c, f->ca, 1);
	assert_int_equal(set_status(f->s, f->ca, 1, GP_STATUS_REVOKED, "r1", &rev), 0);
	assert_int_equal(rev, 1);
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, c.serial_len, &st,
	    &at, &reason), 0);
	assert_int_equal(st, GP_STATUS_REVOKED);
	assert_int_equal(at, 1234);
	assert_int_equal(reason, GP_REASON_KEY_COMPROMISE);
	assert_int_equal(set_status(f->s, f->ca, 2, GP_STATUS_HOLD, "h2", NULL), 0);
	assert_int_equal(gp_store_revision(f->s, &rev), 0);
	assert_int_equal(rev, 2);
	assert_int_equal(gp_store_cert_get(f->s, f->ca, c.serial, c.serial_len, &got), 0);
	assert_int_equal(got->status_rev, 1);
	gp_cert_info_free(got);

	/* inside a transaction: a savepoint; rollback undoes status and bump */
	assert_int_equal(gp_store_begin(f->s), 0);
	assert_int_equal(set_status(f->s, f->ca, 2, GP_STATUS_GOOD, "rm2", &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(set_status(f->s, f->ca, 77, GP_STATUS_REVOKED, "x", NULL),
	    GP_E_NOTFOUND);
	assert_int_equal(gp_store_revision(f->s, &rev), 0);
	assert_int_equal(rev, 3);  /* the failed change rolled back to its savepoint only */
	assert_int_equal(gp_store_rollback(f->s), 0);
	assert_int_equal(gp_store_revision(f->s, &rev), 0);
	assert_int_equal(rev, 2);
	fake_cert(&c, f->ca, 2);
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, c.serial_len, &st,
	    NULL, NULL), 0);
	assert_int_equal(st, GP_STATUS_HOLD);
}

/* Full CRL entries: every not-good certificate of the CA; delta: every
 * status change after the revision, releases from hold included. */
static void
test_crl_entries(void **state)
{
	struct fx *f = *state;
	gp_ca_info ca2 = { .name = "two", .key_uri = "k", .key_type = "t" };
	struct collect col;
	unsigned i;

	assert_int_equal(gp_store_ca_add(f->s, &ca2), 0);
	for (i = 1; i <= 5; i++)
		add_cert(f->s, f->ca, i);
	add_cert(f->s, ca2.id, 1);
	assert_int_equal(set_status(f->s, ca2.id, 1, GP_STATUS_REVOKED, "other", NULL), 0);
	assert_int_equal(set_status(f->s, f->ca, 1, GP_STATUS_REVOKED, "e1", NULL), 0);
	assert_int_equal(set_status(f->s, f->ca, 2, GP_STATUS_REVOKED, "e2", NULL), 0);
	assert_int_equal(set_status(f->s, f->ca, 3, GP_STATUS_HOLD, "h3", NULL), 0);
	/* revisions: other=1, e1=2, e2=3, h3=4 */

	memset(&col, 0, sizeof(col));
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, collect_blob, &col), 0);
	assert_string_equal(col.buf, "e1,e2,h3");
	memset(&col, 0, sizeof(col));
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 3, collect_blob, &col), 0);
	assert_string_equal(col.buf, "h3");

	/* release from hold: out of the full CRL, into the delta */
	assert_int_equal(set_status(f->s, f->ca, 3, GP_STATUS_GOOD, "rm3", NULL), 0);
	memset(&col, 0, sizeof(col));
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, collect_blob, &col), 0);
	assert_string_equal(col.buf, "e1,e2");
	memset(&col, 0, sizeof(col));
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 3, collect_blob, &col), 0);
	assert_string_equal(col.buf, "rm3");
	memset(&col, 0, sizeof(col));
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 5, collect_blob, &col), 0);
	assert_int_equal(col.n, 0);
	memset(&col, 0, sizeof(col));
	assert_int_equal(gp_store_crl_entries(f->s, ca2.id, 0, collect_blob, &col), 0);
	assert_string_equal(col.buf, "other");

	/* the callback's non-zero value stops the walk and is returned */
	memset(&col, 0, sizeof(col));
	col.stop_after = 1;
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, collect_blob, &col), 42);
	assert_int_equal(col.n, 1);
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, -1, collect_blob, &col),
	    GP_E_INVALID);

	/* a revoked certificate without an entry (written behind the store's
	 * back) fails the full CRL rather than vanishing from it */
	raw_exec(f->path, "UPDATE cert SET status = 1 WHERE id = 5");
	memset(&col, 0, sizeof(col));
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, collect_blob, &col),
	    GP_E_STORE);
	assert_true(msg_has("no CRL entry"));
}

/* CRL numbers: 1 first, then max + 1 per CA; a number that does not grow
 * is refused; latest full and delta are kept apart. */
static void
test_crl_numbers(void **state)
{
	struct fx *f = *state;
	unsigned char der[] = "crl";
	gp_crl_info c1 = { .ca_id = f->ca, .number = 1, .this_update = 10,
	    .next_update = 20, .revision = 5, .der = der, .der_len = 3 };
	gp_crl_info d2 = { .ca_id = f->ca, .number = 2, .is_delta = 1, .base_number = 1,
	    .der = der, .der_len = 3 };
	gp_crl_info again = c1, bad = c1;
	gp_crl_info *got = NULL;
	int64_t n = 0;

	assert_int_equal(gp_store_crl_next_number(f->s, f->ca, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gp_store_crl_latest(f->s, f->ca, 0, &got), GP_E_NOTFOUND);
	assert_int_equal(gp_store_crl_add(f->s, &c1), 0);
	assert_true(c1.id > 0);
	assert_int_equal(gp_store_crl_next_number(f->s, f->ca, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(gp_store_crl_add(f->s, &d2), 0);
	assert_int_equal(gp_store_crl_add(f->s, &again), GP_E_EXISTS);
	again.number = 2;
	assert_int_equal(gp_store_crl_add(f->s, &again), GP_E_EXISTS);
	assert_true(msg_has("not above"));
	assert_int_equal(gp_store_crl_next_number(f->s, f->ca, &n), 0);
	assert_int_equal(n, 3);

	assert_int_equal(gp_store_crl_latest(f->s, f->ca, 0, &got), 0);
	assert_int_equal(got->number, 1);
	assert_int_equal(got->is_delta, 0);
	assert_int_equal(got->this_update, 10);
	assert_int_equal(got->next_update, 20);
	assert_int_equal(got->revision, 5);
	assert_int_equal(got->der_len, 3);
	assert_memory_equal(got->der, "crl", 3);
	gp_crl_info_free(got);
	assert_int_equal(gp_store_crl_latest(f->s, f->ca, 1, &got), 0);
	assert_int_equal(got->number, 2);
	assert_int_equal(got->base_number, 1);
	gp_crl_info_free(got);
	got = NULL;

	assert_int_equal(gp_store_crl_next_number(f->s, 999, &n), 0);
	assert_int_equal(n, 1);
	bad.ca_id = 999;
	assert_int_equal(gp_store_crl_add(f->s, &bad), GP_E_NOTFOUND);
	bad = c1;
	bad.der = NULL;
	assert_int_equal(gp_store_crl_add(f->s, &bad), GP_E_INVALID);
	bad = d2;
	bad.number = 9;
	bad.base_number = 0;
	assert_int_equal(gp_store_crl_add(f->s, &bad), GP_E_INVALID);
	assert_int_equal(gp_store_crl_latest(f->s, f->ca, 0, NULL), GP_E_INVALID);
}

/* A rolled-back transaction leaves nothing; a committed one stays; begin
 * does not nest; commit needs a transaction; rollback without one is
 * harmless. */
static void
test_transactions(void **state)
{
	struct fx *f = *state;
	gp_ca_info ca = { .name = "tx", .key_uri = "k", .key_type = "t" };
	gp_ca_info *got = NULL;
	int64_t n = -1;

	assert_int_equal(gp_store_begin(f->s), 0);
	assert_int_equal(gp_store_begin(f->s), GP_E_STATE);
	assert_int_equal(gp_store_ca_add(f->s, &ca), 0);
	add_cert(f->s, ca.id, 1);
	assert_int_equal(set_status(f->s, ca.id, 1, GP_STATUS_REVOKED, "e", NULL), 0);
	assert_int_equal(gp_store_rollback(f->s), 0);
	assert_int_equal(gp_store_ca_get(f->s, "tx", &got), GP_E_NOTFOUND);
	assert_int_equal(gp_store_cert_count(f->s, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gp_store_revision(f->s, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(gp_store_commit(f->s), GP_E_STATE);
	assert_int_equal(gp_store_rollback(f->s), 0);
	assert_int_equal(gp_store_begin(f->s), 0);
	assert_int_equal(gp_store_ca_add(f->s, &ca), 0);
	assert_int_equal(gp_store_commit(f->s), 0);
	gp_store_close(f->s);
	assert_int_equal(gp_store_open(&f->s, f->path, 0), 0);
	assert_int_equal(gp_store_ca_get(f->s, "tx", &got), 0);
	gp_ca_info_free(got);

	/* closing with a transaction open rolls it back */
	assert_int_equal(gp_store_begin(f->s), 0);
	add_cert(f->s, ca.id, 2);
	gp_store_close(f->s);
	assert_int_equal(gp_store_open(&f->s, f->path, 0), 0);
	assert_int_equal(gp_store_cert_count(f->s, 0, &n), 0);
	assert_int_equal(n, 0);
}

/* While one connection holds BEGIN IMMEDIATE, another gets GP_E_BUSY for
 * writes after its (short) busy timeout, and can still read. */
static void
test_busy(void **state)
{
	struct fx *f = *state;
	gp_store *s2 = NULL;
	gp_ca_info ca = { .name = "b", .key_uri = "k", .key_type = "t" };
	int64_t rev = -1;

	assert_int_equal(setenv("GOVPKI_BUSY_TIMEOUT_MS", "50", 1), 0);
	add_cert(f->s, f->ca, 1);
	assert_int_equal(gp_store_begin(f->s), 0);
	/* opening needs no write lock once the schema is current */
	assert_int_equal(gp_store_open(&s2, f->path, 0), 0);
	assert_int_equal(gp_store_begin(s2), GP_E_BUSY);
	assert_true(msg_has("store is locked by another writer"));
	assert_int_equal(gp_store_ca_add(s2, &ca), GP_E_BUSY);
	assert_int_equal(set_status(s2, f->ca, 1, GP_STATUS_REVOKED, "e", NULL), GP_E_BUSY);
	assert_int_equal(gp_store_revision(s2, &rev), 0);
	assert_int_equal(rev, 0);
	assert_int_equal(set_status(f->s, f->ca, 1, GP_STATUS_REVOKED, "e", NULL), 0);
	assert_int_equal(gp_store_commit(f->s), 0);
	assert_int_equal(gp_store_begin(s2), 0);
	assert_int_equal(gp_store_revision(s2, &rev), 0);
	assert_int_equal(rev, 1);
	assert_int_equal(gp_store_commit(s2), 0);
	gp_store_close(s2);
	unsetenv("GOVPKI_BUSY_TIMEOUT_MS");
}

struct ids {
	int64_t id[64];
	int n;
	int stop_at;
};

static int
collect_id(void *arg, const gp_cert_info *c)
{
	struct ids *x = arg;

	x->id[x->n++] = c->id;
	return x->stop_at && x->n >= x->stop_at ? 7 : 0;
}

static int
list(gp_store *s, const gp_cert_filter *fl, struct ids *x)
{
	memset(x, 0, sizeof(*x));
	return gp_store_cert_list(s, fl, collect_id, x);
}

/* Listing filters by CA, status, profile, subject substring (literal, not
 * a LIKE pattern) and expiry, in id order, with a cursor and a limit. */
static void
test_cert_list(void **state)
{
	struct fx *f = *state;
	gp_ca_info ca2 = { .name = "two", .key_uri = "k", .key_type = "t" };
	gp_cert_filter fl;
	gp_cert_info c;
	struct ids x;
	int64_t id[10], after = 0;
	int i, seen = 0;

	assert_int_equal(gp_store_ca_add(f->s, &ca2), 0);
	for (i = 0; i < 10; i++) {
		fake_cert(&c, i < 6 ? f->ca : ca2.id, (unsigned)i);
		c.profile = i % 2 ? "tls-client" : "tls-server";
		c.subject = i == 4 ? "CN=100% sure,O=City" : "CN=x,O=City";
		c.not_after = 1000 + i;
		assert_int_equal(gp_store_cert_add(f->s, &c), 0);
		id[i] = c.id;
	}
	assert_int_equal(set_status(f->s, f->ca, 2, GP_STATUS_REVOKED, "e", NULL), 0);

	fl = (gp_cert_filter)GP_CERT_FILTER_INIT;
	fl.status = -1;
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(x.id[i], id[i]);
	fl.ca_id = ca2.id;
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 4);
	assert_int_equal(x.id[0], id[6]);
	fl.ca_id = f->ca;
	fl.status = GP_STATUS_REVOKED;
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.id[0], id[2]);
	fl.status = GP_STATUS_GOOD;
	fl.profile = "tls-client";
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 3);   /* 1, 3, 5 */
	fl = (gp_cert_filter)GP_CERT_FILTER_INIT;
	fl.status = -1;
	fl.subject_like = "100%";
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.id[0], id[4]);
	fl.subject_like = "%";
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 1);
	fl.subject_like = NULL;
	fl.profile = "x' OR '1'='1";
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 0);
	fl.profile = NULL;
	fl.expires_before = 1003;
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 3);
	fl.expires_after = 1001;    /* 1001 <= not_after < 1003 */
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.id[0], id[1]);
	fl.expires_before = 0;      /* not_after >= 1001 */
	assert_int_equal(list(f->s, &fl, &x), 0);
	assert_int_equal(x.n, 9);
	fl.expires_after = 0;

	/* cursor paging, 3 at a time, sees every certificate once in order */
	fl = (gp_cert_filter)GP_CERT_FILTER_INIT;
	fl.status = -1;
	fl.limit = 3;
	do {
		fl.after_id = after;
		assert_int_equal(list(f->s, &fl, &x), 0);
		assert_true(x.n <= 3);
		for (i = 0; i < x.n; i++)
			assert_int_equal(x.id[i], id[seen++]);
		if (x.n > 0)
			after = x.id[x.n - 1];
	} while (x.n == 3);
	assert_int_equal(seen, 10);

	/* the callback stops the walk with its value */
	fl.limit = 0;
	fl.after_id = 0;
	memset(&x, 0, sizeof(x));
	x.stop_at = 2;
	assert_int_equal(gp_store_cert_list(f->s, &fl, collect_id, &x), 7);
	assert_int_equal(x.n, 2);
	fl.limit = -1;
	assert_int_equal(gp_store_cert_list(f->s, &fl, collect_id, &x), GP_E_INVALID);
	assert_int_equal(gp_store_cert_list(f->s, NULL, collect_id, &x), GP_E_INVALID);
	assert_int_equal(gp_store_cert_list(f->s, &fl, NULL, &x), GP_E_INVALID);

	/* the filter's size (docs/api.md): GP_CERT_FILTER_INIT lists every
	 * certificate; zero (a filter zeroed by hand), garbage or larger than
	 * the library's is refused before the backend runs; a struct that
	 * ends at its last field is served */
	{
		const size_t sizes[] = { 0, 1, offsetof(gp_cert_filter, limit),
			sizeof(gp_cert_filter) + 1, (size_t)-1 };
		gp_cert_filter all = GP_CERT_FILTER_INIT;

		assert_int_equal(all.status, -1);
		memset(&x, 0, sizeof(x));
		assert_int_equal(gp_store_cert_list(f->s, &all, collect_id, &x), 0);
		assert_true(x.n > 0);
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			all.size = sizes[k];
			memset(&x, 0, sizeof(x));
			assert_int_equal(gp_store_cert_list(f->s, &all, collect_id, &x), GP_E_INVALID);
			assert_non_null(strstr(gp_error_last(), "GP_..._INIT"));
			assert_int_equal(x.n, 0);
		}
		all.size = offsetof(gp_cert_filter, limit) + sizeof(all.limit);
		assert_int_equal(gp_store_cert_list(f->s, &all, collect_id, &x), 0);
		assert_true(x.n > 0);
	}
}

/* Settings: set, overwrite, read; unknown key; the revision key is the
 * store's own. */
static void
test_meta(void **state)
{
	struct fx *f = *state;
	char *v = NULL;

	assert_int_equal(gp_store_meta_set(f->s, "site", "city"), 0);
	assert_int_equal(gp_store_meta_set(f->s, "site", "town"), 0);
	assert_int_equal(gp_store_meta_get(f->s, "site", &v), 0);
	assert_string_equal(v, "town");
	gp_free(v);
	assert_int_equal(gp_store_meta_get(f->s, "nope", &v), GP_E_NOTFOUND);
	assert_null(v);
	assert_int_equal(gp_store_meta_set(f->s, "revision", "99"), GP_E_INVALID);
	assert_int_equal(gp_store_meta_get(f->s, "revision", &v), 0);
	assert_string_equal(v, "0");
	gp_free(v);
	assert_int_equal(gp_store_meta_set(f->s, NULL, "x"), GP_E_INVALID);
	assert_int_equal(gp_store_meta_set(f->s, "k", NULL), GP_E_INVALID);
	assert_int_equal(gp_store_meta_get(f->s, NULL, &v), GP_E_INVALID);
}

/* The module parts' statement cache: one prepared statement per SQL
 * constant, reused after sq_done; a nested use of the same SQL and SQL past
 * the cache's size get statements of their own; a prepare error is
 * reported; statements run correctly after reuse. */
static void
test_stmt_cache(void **state)
{
	static char sqls[SQ_CACHE + 4][24];
	struct fx *f = *state;
	sq_store *sq = (sq_store *)f->s;
	static const char one[] = "SELECT ?1 + 1";
	sqlite3_stmt *a, *b, *c, *many[SQ_CACHE + 4];
	int i;

	assert_int_equal(sq_prep(sq, &a, one, "t"), 0);
	assert_int_equal(sqlite3_bind_int(a, 1, 41), SQLITE_OK);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 42);
	/* nested: the cached one is busy, so a fresh one */
	assert_int_equal(sq_prep(sq, &b, one, "t"), 0);
	assert_ptr_not_equal(a, b);
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(b, 0), SQLITE_NULL);  /* NULL + 1 */
	sq_done(sq, b);
	sq_done(sq, a);
	/* reused, reset, bindings cleared */
	assert_int_equal(sq_prep(sq, &c, one, "t"), 0);
	assert_ptr_equal(a, c);
	assert_int_equal(sqlite3_step(c), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(c, 0), SQLITE_NULL);
	sq_done(sq, c);
	/* more distinct SQL than the cache holds: all work, none leak */
	for (i = 0; i < SQ_CACHE + 4; i++) {
		snprintf(sqls[i], sizeof(sqls[i]), "SELECT %d", i);
		assert_int_equal(sq_prep(sq, &many[i], sqls[i], "t"), 0);
		assert_int_equal(sqlite3_step(many[i]), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(many[i], 0), i);
	}
	for (i = 0; i < SQ_CACHE + 4; i++)
		sq_done(sq, many[i]);
	sq_done(sq, NULL);
	assert_int_equal(sq_prep(sq, &a, "SELECT FROM nowhere", "t"), GP_E_STORE);
	assert_null(a);
	sq_done(sq, a);
}

/* sq_each_row's row function for test_each_row: records each row's value
 * and returns stop_ret on the row whose value is stop_at. */
struct rows_seen {
	int n;
	int vals[8];
	int stop_at;
	int stop_ret;
};

static int
record_row(void *arg, sqlite3_stmt *st)
{
	struct rows_seen *seen = arg;
	int v = sqlite3_column_int(st, 0);

	if (seen->n < 8)
		seen->vals[seen->n] = v;
	seen->n++;
	return v == seen->stop_at ? seen->stop_ret : 0;
}

/* The row walk: every row in order, then 0; a row function's non-zero
 * return (positive or an error) stops the walk and comes back as it is;
 * an SQLite error in the middle of the walk (abs() overflowing on the
 * third row) comes back as GP_E_STORE with the caller's words and
 * SQLite's reason; the statement is usable again after sq_done. */
static void
test_each_row(void **state)
{
	static const char five[] = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL"
	    " SELECT x + 1 FROM n WHERE x < 5) SELECT x FROM n";
	static const char breaks[] = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL"
	    " SELECT x + 1 FROM n WHERE x < 5)"
	    " SELECT CASE WHEN x < 3 THEN x ELSE abs(x - x - 9223372036854775807 - 1) END"
	    " FROM n";
	struct fx *f = *state;
	sq_store *sq = (sq_store *)f->s;
	struct rows_seen seen = { .stop_at = -1 };
	sqlite3_stmt *st;

	assert_int_equal(sq_prep(sq, &st, five, "t"), 0);
	assert_int_equal(sq_each_row(sq, st, record_row, &seen, "walking"), 0);
	assert_int_equal(seen.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seen.vals[i], i + 1);
	sq_done(sq, st);

	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 2;
	seen.stop_ret = 7;
	assert_int_equal(sq_prep(sq, &st, five, "t"), 0);
	assert_int_equal(sq_each_row(sq, st, record_row, &seen, "walking"), 7);
	assert_int_equal(seen.n, 2);
	sq_done(sq, st);

	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 4;
	seen.stop_ret = GP_E_NOMEM;
	assert_int_equal(sq_prep(sq, &st, five, "t"), 0);
	assert_int_equal(sq_each_row(sq, st, record_row, &seen, "walking"), GP_E_NOMEM);
	assert_int_equal(seen.n, 4);
	sq_done(sq, st);

	memset(&seen, 0, sizeof(seen));
	seen.stop_at = -1;
	gp_error_clear();
	assert_int_equal(sq_prep(sq, &st, breaks, "t"), 0);
	assert_int_equal(sq_each_row(sq, st, record_row, &seen, "walking the test rows"),
	    GP_E_STORE);
	assert_int_equal(seen.n, 2);
	assert_true(msg_has("walking the test rows: "));
	assert_true(msg_has("integer overflow"));
	sq_done(sq, st);

	/* the walk left the cached statement reusable */
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = -1;
	assert_int_equal(sq_prep(sq, &st, five, "t"), 0);
	assert_int_equal(sq_each_row(sq, st, record_row, &seen, "walking"), 0);
	assert_int_equal(seen.n, 5);
	sq_done(sq, st);
}

/* Audit rows as stored: insert, last, list from a seq; a seq taken twice
 * is refused. */
static void
test_audit_rows(void **state)
{
	struct fx *f = *state;
	gp_audit_row r = { .seq = 1, .time = 5, .actor = "alice", .action = "ca.create" };
	unsigned char h[32];
	int64_t seq = -1;

	assert_int_equal(gp_store_audit_last(f->s, &seq, h), 0);
	assert_int_equal(seq, 0);
	memset(r.hash, 0xab, 32);
	assert_int_equal(gp_store_audit_insert(f->s, &r), 0);
	assert_int_equal(gp_store_audit_insert(f->s, &r), GP_E_EXISTS);
	r.seq = 2;
	r.object = "obj";
	memset(r.hash, 0xcd, 32);
	assert_int_equal(gp_store_audit_insert(f->s, &r), 0);
	assert_int_equal(gp_store_audit_last(f->s, &seq, h), 0);
	assert_int_equal(seq, 2);
	assert_memory_equal(h, r.hash, 32);
	r.actor = NULL;
	assert_int_equal(gp_store_audit_insert(f->s, &r), GP_E_INVALID);
	assert_int_equal(gp_store_audit_last(f->s, NULL, h), GP_E_INVALID);
}

static int
count_row(void *arg, const gp_audit_row *row)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

/* A row edited behind the store's back to hold what gp_store_audit_insert
 * never writes stops the walk at its seq, before it reaches the callback. */
static void
test_audit_malformed(void **state)
{
	struct fx *f = *state;
	gp_audit_row r = { .time = 5, .actor = "alice", .action = "x" };
	int64_t bad = -1;
	int n = 0;

	for (r.seq = 1; r.seq <= 3; r.seq++)
		assert_int_equal(gp_store_audit_insert(f->s, &r), 0);
	raw_exec(f->path, "UPDATE audit SET detail = 'a' || char(0) || 'b' WHERE seq = 2");
	assert_int_equal(gp_store_audit_walk(f->s, 1, count_row, &n, &bad), GP_E_VERIFY);
	assert_int_equal(n, 1);
	assert_int_equal(bad, 2);
	assert_true(msg_has("entry 2: malformed row (detail holds a NUL byte)"));
	n = 0;
	assert_int_equal(gp_store_audit_list(f->s, 1, count_row, &n), GP_E_VERIFY);
	assert_int_equal(n, 1);
	/* from beyond it, the walk goes on; a NULL bad_seq is refused */
	n = 0;
	assert_int_equal(gp_store_audit_walk(f->s, 3, count_row, &n, &bad), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bad, 0);
	assert_int_equal(gp_store_audit_walk(f->s, 1, count_row, &n, NULL), GP_E_INVALID);
}

/*
 * The counts of the rows the audit log accounts for, and the lookup of the
 * first row without its entry: by the number missing (the newest rows) or,
 * without it, by a set difference.  A read snapshot: its own outside a
 * transaction, the caller's inside one.
 */
static void
test_audit_objects(void **state)
{
	static const struct {
		int kind;
		const char *action;
		int64_t missing;        /* rows minus entries, 0: unknown */
		const char *obj, *ca;   /* what is found, NULL: nothing */
	} cases[] = {
		/* the sub-CA's certificate needs no cert.issue entry */
		{ GP_AUDIT_OBJ_CERT, "cert.issue", 0, "7f0002", "root" },
		/* two missing: the one before the newest */
		{ GP_AUDIT_OBJ_CERT, "cert.issue", 2, "7f0002", "root" },
		/* three: 7f0001, which is logged, so the set difference finds the row */
		{ GP_AUDIT_OBJ_CERT, "cert.issue", 3, "7f0002", "root" },
		{ GP_AUDIT_OBJ_CA, "ca.create", 1, "sub", NULL },
		/* every row logged: nothing */
		{ GP_AUDIT_OBJ_CRL, "crl.publish", 0, NULL, NULL },
	};
	struct fx *f = *state;
	gp_ca_info sub = { .name = "sub", .key_uri = "k", .key_type = "ec-p256" };
	gp_audit_row r = { .seq = 1, .time = 5, .actor = "alice", .action = "cert.issue",
		.object = "7f0001" };
	gp_cert_info c;
	int64_t counts[GP_AUDIT_OBJ__N];
	char *obj = NULL, *ca = NULL;
	size_t i;
	int own = -1;

	fake_cert(&c, f->ca, 50);               /* the sub-CA's own certificate */
	sub.parent_id = f->ca;
	sub.cert_der = c.der;
	sub.cert_len = c.der_len;
	assert_int_equal(gp_store_ca_add(f->s, &sub), 0);
	assert_int_equal(gp_store_cert_add(f->s, &c), 0);
	add_cert(f->s, f->ca, 1);
	add_cert(f->s, f->ca, 2);
	add_cert(f->s, f->ca, 3);
	assert_int_equal(set_status(f->s, f->ca, 2, GP_STATUS_REVOKED, "e", NULL), 0);
	assert_int_equal(set_status(f->s, f->ca, 3, GP_STATUS_HOLD, "e", NULL), 0);
	assert_int_equal(gp_store_audit_objects(f->s, counts), 0);
	assert_int_equal(counts[GP_AUDIT_OBJ_CA], 2);
	assert_int_equal(counts[GP_AUDIT_OBJ_CERT], 3);
	assert_int_equal(counts[GP_AUDIT_OBJ_REVOKED], 1);
	assert_int_equal(counts[GP_AUDIT_OBJ_HELD], 1);
	assert_int_equal(counts[GP_AUDIT_OBJ_CRL], 0);
	assert_int_equal(counts[GP_AUDIT_OBJ_SEAL], 0);
	assert_int_equal(counts[GP_AUDIT_OBJ_RA_REQUEST], 0);

	assert_int_equal(gp_store_audit_insert(f->s, &r), 0);      /* 7f0001 */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(gp_store_audit_unlogged(f->s, cases[i].kind, cases[i].action,
		    cases[i].missing, &obj, &ca), 0);
		if (cases[i].obj == NULL)
			assert_null(obj);
		else
			assert_string_equal(obj, cases[i].obj);
		if (cases[i].ca == NULL)
			assert_null(ca);
		else
			assert_string_equal(ca, cases[i].ca);
		free(obj);
		free(ca);
	}
	assert_int_equal(gp_store_audit_unlogged(f->s, GP_AUDIT_OBJ__N, "x", 0, &obj, &ca),
	    GP_E_INVALID);
	assert_int_equal(gp_store_audit_unlogged(f->s, 0, NULL, 0, &obj, &ca), GP_E_INVALID);

	assert_int_equal(gp_store_read_begin(f->s, &own), 0);
	assert_int_equal(own, 1);
	assert_int_equal(gp_store_read_begin(f->s, &own), 0);     /* inside it: joins */
	assert_int_equal(own, 0);
	gp_store_read_end(f->s, 0);
	gp_store_read_end(f->s, 1);
	assert_int_equal(gp_store_begin(f->s), 0);                /* none left open */
	assert_int_equal(gp_store_read_begin(f->s, &own), 0);
	assert_int_equal(own, 0);
	assert_int_equal(gp_store_rollback(f->s), 0);
	assert_int_equal(gp_store_read_begin(f->s, NULL), GP_E_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_refuses_writes, setup_ca, teardown),
		cmocka_unit_test(test_null_store),
		cmocka_unit_test_setup_teardown(test_ca, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_cert_add_get, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_cert_duplicate, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_cert_bad, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_set_status_revision, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_crl_entries, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_crl_numbers, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_cert_list, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_meta, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_stmt_cache, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_each_row, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_audit_rows, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_audit_malformed, setup_ca, teardown),
		cmocka_unit_test_setup_teardown(test_audit_objects, setup_ca, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
