/* tests/unit/test_store_conformance.c: what every store backend must do, through the store interface only */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <govpki/audit.h>
#include <govpki/error.h>
#include <govpki/ra.h>
#include <govpki/store.h>

#include "store_int.h"

/*
 * Every case speaks to the store through lib/store.c (the public gp_store_*
 * calls and the lib-internal dump and restore), never SQL, so that each
 * backend runs the same cases: GOVPKI_TEST_STORE names the backend
 * ("sqlite" when unset); a backend that is not local takes its locations
 * from GOVPKI_TEST_STORE_URI, a URI prefix to which each case adds a
 * name of its own (issue 19: PostgreSQL).
 */

struct fx {
	char dir[64];           /* a local backend's locations live here */
	char uri[2][512];       /* two stores: the one under test, a restore target */
	gp_store *s;
	int64_t ca;             /* id of CA "root" */
};

/* Location n of the backend under test. */
static void
fx_uri(struct fx *f, int n)
{
	const char *be = getenv("GOVPKI_TEST_STORE");
	const char *prefix = getenv("GOVPKI_TEST_STORE_URI");
	char dir[sizeof(f->dir)];

	memcpy(dir, f->dir, sizeof(dir));
	if (be == NULL || *be == '\0')
		be = "sqlite";
	if (prefix != NULL && *prefix != '\0')
		snprintf(f->uri[n], sizeof(f->uri[n]), "%s%s_%d", prefix, dir + 5, n);
	else
		snprintf(f->uri[n], sizeof(f->uri[n]), "%s:%s/store%d", be, dir, n);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	gp_ca_info ca = { .name = "root", .key_uri = "/keys/root.pem", .key_type = "ec-p256" };

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_conf.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fx_uri(f, 0);
	fx_uri(f, 1);
	assert_int_equal(gp_store_open(&f->s, f->uri[0], GP_STORE_CREATE), 0);
	assert_int_equal(gp_store_ca_add(f->s, &ca), 0);
	assert_true(ca.id > 0);
	f->ca = ca.id;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int there = 1;

	gp_store_close(f->s);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(gp_store_remove(f->uri[i]), 0);
		assert_int_equal(gp_store_exists(&there, f->uri[i]), 0);
		assert_int_equal(there, 0);
	}
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

/* A certificate record with serial {tag, n >> 8, n} (no DER parsing in
 * the store: any bytes do). */
static void
cert_make(gp_cert_info *c, unsigned char *der, int64_t ca, unsigned char tag, int n)
{
	memset(c, 0, sizeof(*c));
	c->ca_id = ca;
	c->serial[0] = tag;
	c->serial[1] = (unsigned char)(n >> 8);
	c->serial[2] = (unsigned char)n;
	c->serial_len = 3;
	c->subject = "CN=conformance";
	c->not_before = 1700000000;
	c->not_after = 1800000000;
	c->profile = "tls-server";
	c->issued_at = 1700000000;
	c->reason = GP_REASON_NONE;
	memset(der, 0, 8);
	der[0] = 0x30;
	der[1] = tag;
	der[2] = (unsigned char)(n >> 8);
	der[3] = (unsigned char)n;
	memcpy(c->fingerprint, der, 4);
	c->fingerprint[31] = 0x5a;
	c->der = der;
	c->der_len = 8;
}

/* CA records: a name is unique, found by name and by id, listed. */
static void
ca_records(void **state)
{
	struct fx *f = *state;
	gp_ca_info dup = { .name = "root", .key_uri = "/k", .key_type = "ec-p256" };
	gp_ca_info sub = { .name = "sub", .key_uri = "/k2", .key_type = "rsa2048" };
	gp_ca_info *got = NULL, **list = NULL;
	size_t n = 0;

	assert_int_equal(gp_store_ca_add(f->s, &dup), GP_E_EXISTS);
	sub.parent_id = f->ca;
	assert_int_equal(gp_store_ca_add(f->s, &sub), 0);
	assert_int_equal(gp_store_ca_get(f->s, "sub", &got), 0);
	assert_int_equal(got->id, sub.id);
	assert_int_equal(got->parent_id, f->ca);
	assert_string_equal(got->key_type, "rsa2048");
	gp_ca_info_free(got);
	assert_int_equal(gp_store_ca_get_id(f->s, f->ca, &got), 0);
	assert_string_equal(got->name, "root");
	gp_ca_info_free(got);
	assert_int_equal(gp_store_ca_get(f->s, "nobody", &got), GP_E_NOTFOUND);
	assert_null(got);
	assert_int_equal(gp_store_ca_list(f->s, &list, &n), 0);
	assert_int_equal(n, 2);
	gp_ca_info_list_free(list, n);
}

/* Certificates: stored and read back byte for byte, a serial once per
 * issuer (another issuer may use it), an unknown serial GP_E_NOTFOUND. */
static void
certificates(void **state)
{
	struct fx *f = *state;
	gp_ca_info other = { .name = "other", .key_uri = "/k3", .key_type = "ed25519" };
	unsigned char der[8], der2[8];
	gp_cert_info c, c2, *got = NULL;
	int64_t count = 0;
	int status = -1, reason = 0;
	int64_t at = -1;

	cert_make(&c, der, f->ca, 0x11, 1);
	assert_int_equal(gp_store_cert_add(f->s, &c), 0);
	assert_true(c.id > 0);
	assert_int_equal(gp_store_cert_get(f->s, f->ca, c.serial, c.serial_len, &got), 0);
	assert_int_equal(got->der_len, 8);
	assert_memory_equal(got->der, der, 8);
	assert_string_equal(got->subject, "CN=conformance");
	assert_int_equal(got->not_after, 1800000000);
	assert_int_equal(got->status, GP_STATUS_GOOD);
	gp_cert_info_free(got);
	got = NULL;
	/* the same serial under the same CA: refused, nothing added */
	cert_make(&c2, der2, f->ca, 0x11, 1);
	der2[7] = 1;
	c2.fingerprint[30] = 1;
	assert_int_equal(gp_store_cert_add(f->s, &c2), GP_E_EXISTS);
	assert_int_equal(gp_store_cert_count(f->s, f->ca, &count), 0);
	assert_int_equal(count, 1);
	/* under another CA it is another certificate */
	assert_int_equal(gp_store_ca_add(f->s, &other), 0);
	c2.ca_id = other.id;
	assert_int_equal(gp_store_cert_add(f->s, &c2), 0);
	assert_int_equal(gp_store_cert_count(f->s, 0, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, c.serial_len,
	    &status, &at, &reason), 0);
	assert_int_equal(status, GP_STATUS_GOOD);
	c.serial[2] = 0x99;
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c.serial, c.serial_len,
	    &status, &at, &reason), GP_E_NOTFOUND);
	assert_int_equal(gp_store_cert_get(f->s, f->ca, c.serial, c.serial_len, &got),
	    GP_E_NOTFOUND);
	assert_null(got);
}

static int
count_blob(void *arg, const unsigned char *buf, size_t len)
{
	(void)buf;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

static int
count_cert(void *arg, const gp_cert_info *c)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

/* Revocation: the status, time and reason come back, the revision grows,
 * the CRL entry is listed for a full and a delta CRL, a release from hold
 * stays in the delta. */
static void
revocation(void **state)
{
	struct fx *f = *state;
	unsigned char der[2][8], entry[3] = { 0x30, 0x01, 0x00 };
	gp_cert_info c[2];
	int64_t rev0 = -1, rev1 = 0, rev2 = 0, at = 0;
	int status = 0, reason = 0, n = 0;

	for (int i = 0; i < 2; i++) {
		cert_make(&c[i], der[i], f->ca, 0x22, i);
		assert_int_equal(gp_store_cert_add(f->s, &c[i]), 0);
	}
	assert_int_equal(gp_store_revision(f->s, &rev0), 0);
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c[0].serial, c[0].serial_len,
	    GP_STATUS_REVOKED, 1750000000, GP_REASON_KEY_COMPROMISE, entry, sizeof(entry),
	    &rev1), 0);
	assert_true(rev1 > rev0);
	assert_int_equal(gp_store_cert_status(f->s, f->ca, c[0].serial, c[0].serial_len,
	    &status, &at, &reason), 0);
	assert_int_equal(status, GP_STATUS_REVOKED);
	assert_int_equal(at, 1750000000);
	assert_int_equal(reason, GP_REASON_KEY_COMPROMISE);
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c[1].serial, c[1].serial_len,
	    GP_STATUS_HOLD, 1750000001, GP_REASON_CERTIFICATE_HOLD, entry, sizeof(entry),
	    &rev2), 0);
	assert_true(rev2 > rev1);
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, count_blob, &n), 0);
	assert_int_equal(n, 2);
	/* released: out of the full CRL, still in a delta after rev1 */
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c[1].serial, c[1].serial_len,
	    GP_STATUS_GOOD, 0, GP_REASON_NONE, entry, sizeof(entry), NULL), 0);
	n = 0;
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, count_blob, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, rev1, count_blob, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(gp_store_cert_changed(f->s, rev0, count_cert, &n), 0);
	assert_int_equal(n, 2);
	/* bad status, bad reason (RFC 5280 §5.3.1: 7 is unused), unknown serial */
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c[0].serial, c[0].serial_len,
	    7, 0, GP_REASON_NONE, NULL, 0, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c[0].serial, c[0].serial_len,
	    GP_STATUS_REVOKED, 0, 7, NULL, 0, NULL), GP_E_INVALID);
	c[0].serial[0] = 0x7f;
	assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c[0].serial, c[0].serial_len,
	    GP_STATUS_REVOKED, 1, GP_REASON_UNSPECIFIED, entry, sizeof(entry), NULL),
	    GP_E_NOTFOUND);
}

/* CRL numbers: one increasing sequence per CA (RFC 5280 §5.2.3), full and
 * delta together; a number that does not grow is refused. */
static void
crl_numbers(void **state)
{
	struct fx *f = *state;
	unsigned char der[4] = { 0x30, 0x02, 0x05, 0x00 };
	gp_crl_info crl = { .ca_id = f->ca, .this_update = 1, .next_update = 2,
		.der = der, .der_len = sizeof(der) };
	gp_crl_info *got = NULL;
	int64_t next = 0, first;

	assert_int_equal(gp_store_crl_next_number(f->s, f->ca, &next), 0);
	first = next;
	crl.number = next;
	assert_int_equal(gp_store_crl_add(f->s, &crl), 0);
	assert_int_equal(gp_store_crl_next_number(f->s, f->ca, &next), 0);
	assert_int_equal(next, first + 1);
	crl.number = next;
	crl.is_delta = 1;
	crl.base_number = first;
	assert_int_equal(gp_store_crl_add(f->s, &crl), 0);
	crl.number = first;
	assert_int_equal(gp_store_crl_add(f->s, &crl), GP_E_EXISTS);
	assert_int_equal(gp_store_crl_latest(f->s, f->ca, 0, &got), 0);
	assert_int_equal(got->number, first);
	assert_int_equal(got->der_len, sizeof(der));
	assert_memory_equal(got->der, der, sizeof(der));
	gp_crl_info_free(got);
	assert_int_equal(gp_store_crl_latest_info(f->s, f->ca, 1, &got), 0);
	assert_int_equal(got->number, first + 1);
	assert_int_equal(got->base_number, first);
	assert_null(got->der);
	gp_crl_info_free(got);
}

static int
audit_collect(void *arg, const gp_audit_row *row)
{
	int64_t *seqs = arg;

	seqs[++seqs[0]] = row->seq;
	return 0;
}

/* The audit chain: appended rows come back in seq order, linked, and the
 * chain verifies (the store's rows each have their entry); a seq taken is
 * refused. */
static void
audit_chain(void **state)
{
	struct fx *f = *state;
	gp_audit_row row;
	unsigned char h[32];
	int64_t seq = -1, bad = -1, rows = 0, seqs[8] = { 0 };

	assert_int_equal(gp_audit_append(f->s, "test", GP_AUDIT_CA_CREATE, "root", NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gp_audit_append(f->s, "test", "login", "officer:a", "x"), 0);
	assert_int_equal(gp_store_audit_last(f->s, &seq, h), 0);
	assert_int_equal(seq, 4);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, 4);
	assert_int_equal(gp_store_audit_list(f->s, 2, audit_collect, seqs), 0);
	assert_int_equal(seqs[0], 3);
	assert_int_equal(seqs[1], 2);
	assert_int_equal(seqs[3], 4);
	memset(&row, 0, sizeof(row));
	row.seq = 4;
	row.actor = "test";
	row.action = "again";
	assert_int_equal(gp_store_audit_insert(f->s, &row), GP_E_EXISTS);
}

/* A growing buffer a dump is written to and a restore read from. */
struct mem {
	unsigned char *p;
	size_t len, cap, off;
};

static int
mem_write(void *arg, const unsigned char *p, size_t n)
{
	struct mem *m = arg;

	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		assert_non_null(m->p = realloc(m->p, m->cap));
	}
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

static int
mem_read(void *arg, unsigned char *p, size_t cap, size_t *got)
{
	struct mem *m = arg;
	size_t k = m->len - m->off < cap ? m->len - m->off : cap;

	/* small pieces: a backend must not expect whole pages */
	if (k > 1000)
		k = 1000;
	memcpy(p, m->p + m->off, k);
	m->off += k;
	*got = k;
	return 0;
}

/* Dump and restore: the restored store holds what the dump's snapshot
 * held (not a write made after the snapshot began, by another
 * connection), its audit chain verifies, and its CAs go on with their
 * CRL numbers; a dump inside a write transaction and a restore over a
 * store are refused, and a stream that is no dump leaves nothing. */
static void
dump_restore(void **state)
{
	struct fx *f = *state;
	struct mem m = { 0 }, junk = { 0 };
	unsigned char der[2][8], h[32], h2[32];
	gp_cert_info c[2], *got = NULL;
	gp_store *other = NULL, *r = NULL;
	int64_t seq = 0, seq2 = 0, bad = 0, rows = 0, next = 0, count = 0;
	int own = 0, there = 1;

	assert_int_equal(gp_audit_append(f->s, "test", GP_AUDIT_CA_CREATE, "root", NULL), 0);
	cert_make(&c[0], der[0], f->ca, 0x33, 0);
	assert_int_equal(gp_store_cert_add(f->s, &c[0]), 0);
	assert_int_equal(gp_audit_append(f->s, "test", GP_AUDIT_CERT_ISSUE, "330000", NULL), 0);
	assert_int_equal(gp_store_audit_last(f->s, &seq, h), 0);
	/* the snapshot starts with the first read; another connection writes after it */
	assert_int_equal(gp_store_read_begin(f->s, &own), 0);
	assert_int_equal(gp_store_cert_count(f->s, 0, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(gp_store_open(&other, f->uri[0], 0), 0);
	cert_make(&c[1], der[1], f->ca, 0x33, 1);
	assert_int_equal(gp_store_cert_add(other, &c[1]), 0);
	gp_store_close(other);
	assert_int_equal(gp_store_dump(f->s, mem_write, &m), 0);
	gp_store_read_end(f->s, own);
	assert_true(m.len > 0);

	assert_int_equal(gp_store_restore(f->uri[1], mem_read, &m), 0);
	m.off = 0;
	assert_int_equal(gp_store_restore(f->uri[1], mem_read, &m), GP_E_EXISTS);
	assert_int_equal(gp_store_open(&r, f->uri[1], 0), 0);
	assert_int_equal(gp_store_cert_count(r, 0, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(gp_store_cert_get(r, f->ca, c[0].serial, c[0].serial_len, &got), 0);
	assert_memory_equal(got->der, der[0], 8);
	gp_cert_info_free(got);
	assert_int_equal(gp_store_audit_last(r, &seq2, h2), 0);
	assert_int_equal(seq2, seq);
	assert_memory_equal(h2, h, 32);
	assert_int_equal(gp_audit_verify(&bad, &rows, r), 0);
	assert_int_equal(rows, seq);
	assert_int_equal(gp_store_crl_next_number(r, f->ca, &next), 0);
	assert_true(next >= 1);
	gp_store_close(r);

	/* a dump of uncommitted writes is refused */
	assert_int_equal(gp_store_begin(f->s), 0);
	m.len = m.off = 0;
	assert_int_equal(gp_store_dump(f->s, mem_write, &m), GP_E_STATE);
	assert_int_equal(gp_store_rollback(f->s), 0);
	assert_int_equal(gp_store_dump(NULL, mem_write, &m), GP_E_INVALID);
	assert_int_equal(gp_store_dump(f->s, NULL, &m), GP_E_INVALID);

	/* bytes that are no dump: refused, nothing left behind */
	assert_int_equal(gp_store_remove(f->uri[1]), 0);
	mem_write(&junk, (const unsigned char *)"not a dump of a store at all", 28);
	assert_int_equal(gp_store_restore(f->uri[1], mem_read, &junk), GP_E_PARSE);
	assert_int_equal(gp_store_exists(&there, f->uri[1]), 0);
	assert_int_equal(there, 0);
	junk.len = junk.off = 0;
	assert_int_equal(gp_store_restore(f->uri[1], mem_read, &junk), GP_E_PARSE);
	assert_int_equal(gp_store_exists(&there, f->uri[1]), 0);
	assert_int_equal(there, 0);
	free(junk.p);
	free(m.p);
}

/* exists and remove: a store is there until removed; removing nothing is
 * fine; bad URIs are GP_E_INVALID. */
static void
exists_remove(void **state)
{
	struct fx *f = *state;
	int there = 0;

	assert_int_equal(gp_store_exists(&there, f->uri[0]), 0);
	assert_int_equal(there, 1);
	assert_int_equal(gp_store_exists(&there, f->uri[1]), 0);
	assert_int_equal(there, 0);
	assert_int_equal(gp_store_remove(f->uri[1]), 0);
	assert_int_equal(gp_store_exists(NULL, f->uri[0]), GP_E_INVALID);
	assert_int_equal(gp_store_exists(&there, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_remove(NULL), GP_E_INVALID);
	assert_int_equal(gp_store_remove("nosuchbackend://x/y"), GP_E_INVALID);
	assert_int_equal(gp_store_restore(NULL, mem_read, NULL), GP_E_INVALID);
}

#define WRITERS 2
#define PER_WRITER 50

struct writer_arg {
	const char *uri;
	int64_t ca;
	int tag, failed;
};

/* One connection per thread (the contract of govpki/store.h), each
 * storing its own certificates, one transaction each, with its entry. */
static void *
writer(void *p)
{
	struct writer_arg *a = p;
	gp_store *s = NULL;
	unsigned char der[8];
	gp_cert_info c;
	char obj[16];

	if (gp_store_open(&s, a->uri, 0) != 0) {
		a->failed = -1;
		return NULL;
	}
	for (int i = 0; i < PER_WRITER; i++) {
		cert_make(&c, der, a->ca, (unsigned char)a->tag, i);
		snprintf(obj, sizeof(obj), "%02x%02x%02x", a->tag, i >> 8, i & 0xff);
		if (gp_store_begin(s) != 0 || gp_store_cert_add(s, &c) != 0 ||
		    gp_audit_append(s, "writer", GP_AUDIT_CERT_ISSUE, obj, NULL) != 0 ||
		    gp_store_commit(s) != 0) {
			gp_store_rollback(s);
			a->failed++;
		}
	}
	gp_store_close(s);
	return NULL;
}

/* Concurrent writers: every write lands (the backend waits for its lock
 * rather than failing), and the chain they appended to verifies. */
static void
concurrent_writers(void **state)
{
	struct fx *f = *state;
	struct writer_arg a[WRITERS];
	pthread_t t[WRITERS];
	int64_t count = 0, bad = -1, rows = 0;

	assert_int_equal(gp_audit_append(f->s, "test", GP_AUDIT_CA_CREATE, "root", NULL), 0);
	for (int i = 0; i < WRITERS; i++) {
		a[i] = (struct writer_arg){ f->uri[0], f->ca, 0x40 + i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, writer, &a[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].failed, 0);
	}
	assert_int_equal(gp_store_cert_count(f->s, f->ca, &count), 0);
	assert_int_equal(count, WRITERS * PER_WRITER);
	assert_int_equal(gp_audit_verify(&bad, &rows, f->s), 0);
	assert_int_equal(rows, 1 + WRITERS * PER_WRITER);
}

#define LONG_WALK 2100

struct long_walk {
	gp_store *s;
	int n, bad;
};

/* Counts the rows, and reads each one's status on the same connection
 * while the walk goes on. */
static int
long_walk_cert(void *arg, const gp_cert_info *c)
{
	struct long_walk *w = arg;
	int status = -1;

	if (gp_store_cert_status(w->s, c->ca_id, c->serial, c->serial_len, &status, NULL,
	    NULL) != 0 || status != GP_STATUS_REVOKED)
		w->bad++;
	w->n++;
	return 0;
}

/* Walks longer than a backend's batch (PostgreSQL: 1000 rows a fetch):
 * every row comes once, and the store answers other calls between rows. */
static void
long_walks(void **state)
{
	struct fx *f = *state;
	unsigned char der[8], entry[3] = { 0x30, 0x01, 0x00 };
	gp_cert_filter flt = { .size = sizeof(flt), .status = -1 };
	struct long_walk w = { .s = f->s };
	gp_cert_info c;
	int n = 0;

	assert_int_equal(gp_store_begin(f->s), 0);
	for (int i = 0; i < LONG_WALK; i++) {
		cert_make(&c, der, f->ca, 0x66, i);
		assert_int_equal(gp_store_cert_add(f->s, &c), 0);
		assert_int_equal(gp_store_cert_set_status(f->s, f->ca, c.serial, c.serial_len,
		    GP_STATUS_REVOKED, 1750000000, GP_REASON_UNSPECIFIED, entry, sizeof(entry),
		    NULL), 0);
	}
	assert_int_equal(gp_store_commit(f->s), 0);
	assert_int_equal(gp_store_cert_list(f->s, &flt, long_walk_cert, &w), 0);
	assert_int_equal(w.n, LONG_WALK);
	assert_int_equal(w.bad, 0);
	assert_int_equal(gp_store_crl_entries(f->s, f->ca, 0, count_blob, &n), 0);
	assert_int_equal(n, LONG_WALK);
	n = 0;
	assert_int_equal(gp_store_cert_changed(f->s, 0, count_cert, &n), 0);
	assert_int_equal(n, LONG_WALK);
}

#define RA_REQUESTS 40

struct approver_arg {
	const char *uri;
	const char *officer;
	const int64_t *ids;
	int counts[RA_REQUESTS];
	int failed;
	pthread_barrier_t *start;
};

/* One officer approving every request, on a connection of its own. */
static void *
approver(void *p)
{
	struct approver_arg *a = p;
	gp_store *s = NULL;

	if (gp_store_open(&s, a->uri, 0) != 0)
		a->failed = -1;
	pthread_barrier_wait(a->start);
	for (int i = 0; s != NULL && i < RA_REQUESTS; i++)
		if (gp_store_ra_approval_add(s, a->ids[i], a->officer, NULL, 1700000000,
		    &a->counts[i]) != 0)
			a->failed++;
	gp_store_close(s);
	return NULL;
}

/* Dual control under concurrent writers: two officers approving the same
 * requests at once on two connections (two RA nodes) are each counted
 * once, so that for every request exactly one of them sees the second
 * approval; the same officer twice is GP_E_EXISTS. */
static void
concurrent_approvals(void **state)
{
	struct fx *f = *state;
	struct approver_arg a[2];
	pthread_barrier_t start;
	pthread_t t[2];
	int64_t ids[RA_REQUESTS];
	int count = 0;

	for (int i = 0; i < RA_REQUESTS; i++) {
		gp_ra_request q = { .kind = GP_RA_ISSUE, .status = GP_RA_PENDING, .ca = "root",
			.profile = "sub-ca", .submitter = "token:t", .submitted = 1,
			.updated = 1, .approvals_needed = 2, .revoke_reason = GP_REASON_NONE };

		assert_int_equal(gp_store_ra_req_add(f->s, &q), 0);
		ids[i] = q.id;
	}
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (int i = 0; i < 2; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].uri = f->uri[0];
		a[i].officer = i ? "bob" : "alice";
		a[i].ids = ids;
		a[i].start = &start;
		assert_int_equal(pthread_create(&t[i], NULL, approver, &a[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].failed, 0);
	}
	pthread_barrier_destroy(&start);
	for (int i = 0; i < RA_REQUESTS; i++) {
		assert_true((a[0].counts[i] == 2) != (a[1].counts[i] == 2));
		assert_int_equal(a[0].counts[i] + a[1].counts[i], 3);
	}
	assert_int_equal(gp_store_ra_approval_add(f->s, ids[0], "alice", NULL, 1, &count),
	    GP_E_EXISTS);
}

/* Errors are GP_E_* with a message: a read-only store refuses writes, a
 * transaction does not nest, bad arguments are GP_E_INVALID. */
static void
errors(void **state)
{
	struct fx *f = *state;
	gp_store *ro = NULL;
	gp_ca_info ca = { .name = "x", .key_uri = "/k", .key_type = "ec-p256" };
	unsigned char der[8];
	gp_cert_info c;
	char *v = NULL;

	assert_int_equal(gp_store_open(&ro, f->uri[0], GP_STORE_READONLY), 0);
	assert_int_equal(gp_store_ca_add(ro, &ca), GP_E_READONLY);
	assert_non_null(gp_error_last());
	assert_true(*gp_error_last() != '\0');
	gp_store_close(ro);
	assert_int_equal(gp_store_open(&ro, f->uri[1], 0), GP_E_NOTFOUND);
	assert_null(ro);
	assert_int_equal(gp_store_begin(f->s), 0);
	assert_int_equal(gp_store_begin(f->s), GP_E_STATE);
	assert_int_equal(gp_store_rollback(f->s), 0);
	cert_make(&c, der, f->ca, 0x55, 0);
	c.serial_len = GP_SERIAL_MAX + 1;
	assert_int_equal(gp_store_cert_add(f->s, &c), GP_E_INVALID);
	c.serial_len = 3;
	c.ca_id = f->ca + 1000;
	assert_true(gp_store_cert_add(f->s, &c) < 0);
	assert_int_equal(gp_store_meta_get(f->s, "conformance.none", &v), GP_E_NOTFOUND);
	assert_int_equal(gp_store_meta_set(f->s, "conformance.k", "v"), 0);
	assert_int_equal(gp_store_meta_get(f->s, "conformance.k", &v), 0);
	assert_string_equal(v, "v");
	gp_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ca_records, setup, teardown),
		cmocka_unit_test_setup_teardown(certificates, setup, teardown),
		cmocka_unit_test_setup_teardown(revocation, setup, teardown),
		cmocka_unit_test_setup_teardown(crl_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(dump_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(exists_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_approvals, setup, teardown),
		cmocka_unit_test_setup_teardown(long_walks, setup, teardown),
		cmocka_unit_test_setup_teardown(errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
