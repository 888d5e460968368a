/* lib/store_sqlite.c: the SQLite store backend (WAL, versioned schema, cached statements) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <sqlite3.h>

#include <govpki/x509util.h>

#include "error_int.h"
#include "store_int.h"
#include "store_sqlite_int.h"
#include "util.h"

/* The schema version this build writes (PRAGMA user_version). */
#define SQ_SCHEMA_VERSION 2

/*
 * Schema version 1.  Column order puts the small columns read by the hot
 * paths (status, CRL entry) before the certificate's DER, so that reading
 * them never walks a large row's overflow pages.
 */
static const char schema_v1[] =
	"CREATE TABLE ca ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" parent_id INTEGER REFERENCES ca(id),"
	" key_uri TEXT NOT NULL,"
	" key_type TEXT NOT NULL,"
	" cert_der BLOB,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE cert ("
	" id INTEGER PRIMARY KEY,"
	" ca_id INTEGER NOT NULL REFERENCES ca(id),"
	" serial BLOB NOT NULL,"
	" status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),"
	" revoked_at INTEGER NOT NULL DEFAULT 0,"
	" reason INTEGER NOT NULL DEFAULT -1,"
	" status_rev INTEGER NOT NULL DEFAULT 0,"
	" crl_entry BLOB,"
	" subject TEXT NOT NULL,"
	" sans TEXT,"
	" not_before INTEGER NOT NULL,"
	" not_after INTEGER NOT NULL,"
	" profile TEXT,"
	" issued_at INTEGER NOT NULL,"
	" fingerprint BLOB NOT NULL UNIQUE,"
	" der BLOB NOT NULL,"
	" UNIQUE (ca_id, serial));"
	/*
	 * full CRL: ca_id = ? AND status > 0; delta CRL: ca_id = ? AND
	 * status_rev > ?.  Both indexes carry the CRL entry, so a CRL is one
	 * scan of an index and never touches the table (ten times faster for
	 * a million entries than looking each row up).
	 */
	"CREATE INDEX cert_ca_status ON cert(ca_id, status, crl_entry);"
	"CREATE INDEX cert_ca_status_rev ON cert(ca_id, status_rev, crl_entry);"
	/* listing: ca_id = ? in id order (the rowid ends every index), expiry */
	"CREATE INDEX cert_ca ON cert(ca_id);"
	"CREATE INDEX cert_status_rev ON cert(status_rev) WHERE status_rev > 0;"
	"CREATE INDEX cert_not_after ON cert(not_after);"
	"CREATE TABLE crl ("
	" id INTEGER PRIMARY KEY,"
	" ca_id INTEGER NOT NULL REFERENCES ca(id),"
	" number INTEGER NOT NULL,"
	" is_delta INTEGER NOT NULL DEFAULT 0,"
	" base_number INTEGER NOT NULL DEFAULT 0,"
	" this_update INTEGER NOT NULL,"
	" next_update INTEGER NOT NULL,"
	" revision INTEGER NOT NULL,"
	" der BLOB NOT NULL,"
	" UNIQUE (ca_id, number));"
	"CREATE INDEX crl_latest ON crl(ca_id, is_delta, number);"
	"CREATE TABLE audit ("
	" seq INTEGER PRIMARY KEY,"
	" time INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT,"
	" detail TEXT,"
	" prev_hash BLOB NOT NULL,"
	" hash BLOB NOT NULL);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value);"
	"INSERT INTO meta (key, value) VALUES ('revision', 0);"
	"INSERT INTO meta (key, value) VALUES ('creator', '" PACKAGE_STRING "');";

/*
 * Schema version 2: the keys never to be certified again (issue 21.3),
 * by gp_pubkey_hash, looked up once per issuance by its primary key.
 * backfill_key_block fills it from what the store held before.
 */
static const char schema_v2[] =
	"CREATE TABLE key_block ("
	" hash BLOB PRIMARY KEY,"
	" why INTEGER NOT NULL CHECK (why IN (1, 2)),"
	" ca_id INTEGER NOT NULL REFERENCES ca(id),"
	" serial BLOB,"
	" at INTEGER NOT NULL) WITHOUT ROWID;";

/* migrations[v] takes a store from schema v to v + 1, then runs
 * migration_fill[v] (NULL: nothing) in the same transaction. */
static const char *const migrations[SQ_SCHEMA_VERSION] = {
	schema_v1,
	schema_v2,
};
static int backfill_key_block(sq_store *s);
static int (*const migration_fill[SQ_SCHEMA_VERSION])(sq_store *s) = {
	NULL,
	backfill_key_block,
};



#define CA_COLS "id, name, parent_id, key_uri, key_type, cert_der, created"
#define CERT_COLS "id, ca_id, serial, subject, sans, not_before, not_after, profile," \
	" status, revoked_at, reason, status_rev, issued_at, fingerprint, der"
#define CRL_COLS "id, ca_id, number, is_delta, base_number, this_update," \
	" next_update, revision, der"
#define AUDIT_COLS "seq, time, actor, action, object, detail, prev_hash, hash"

static const char *const sql_text[ST__N] = {
	[ST_REVISION] = "SELECT value FROM meta WHERE key = 'revision'",
	[ST_REV_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'revision'",
	[ST_CA_ADD] = "INSERT INTO ca (name, parent_id, key_uri, key_type, cert_der, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_CA_BY_NAME] = "SELECT " CA_COLS " FROM ca WHERE name = ?1",
	[ST_CA_BY_ID] = "SELECT " CA_COLS " FROM ca WHERE id = ?1",
	[ST_CA_LIST] = "SELECT " CA_COLS " FROM ca ORDER BY id",
	[ST_CERT_ADD] = "INSERT INTO cert (ca_id, serial, subject, sans, not_before,"
	    " not_after, profile, issued_at, fingerprint, der)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_CERT_GET] = "SELECT " CERT_COLS " FROM cert WHERE ca_id = ?1 AND serial = ?2",
	[ST_CERT_STATUS] = "SELECT status, revoked_at, reason FROM cert"
	    " WHERE ca_id = ?1 AND serial = ?2",
	[ST_CERT_SET_STATUS] = "UPDATE cert SET status = ?3, revoked_at = ?4, reason = ?5,"
	    " crl_entry = ?6, status_rev = ?7 WHERE ca_id = ?1 AND serial = ?2",
	[ST_COUNT_ALL] = "SELECT count(*) FROM cert",
	[ST_COUNT_CA] = "SELECT count(*) FROM cert WHERE ca_id = ?1",
	[ST_CRL_MAX] = "SELECT max(number) FROM crl WHERE ca_id = ?1",
	[ST_CRL_ADD] = "INSERT INTO crl (ca_id, number, is_delta, base_number,"
	    " this_update, next_update, revision, der)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CRL_LATEST] = "SELECT " CRL_COLS " FROM crl WHERE ca_id = ?1 AND is_delta = ?2"
	    " ORDER BY number DESC LIMIT 1",
	[ST_AUDIT_INSERT] = "INSERT INTO audit (" AUDIT_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
	[ST_KEY_BLOCK_ADD] = "INSERT INTO key_block (hash, why, ca_id, serial, at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (hash) DO NOTHING",
	[ST_KEY_BLOCK_GET] = "SELECT why, ca_id, serial, at FROM key_block WHERE hash = ?1",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

/* The parts of the schema that other modules own (store_sqlite_int.h). */
static const struct sq_part *const parts[] = {
	&sq_part_ra,
	&sq_part_seal,
	&sq_part_ocsp,
	&sq_part_acme,
	&sq_part_kmc,
};




/* Maps an SQLite result code to a GP_E_* code with a message.  Call it
 * before resetting the statement, so that sqlite3_errmsg() still holds
 * the reason. */
int
sq_fail(sq_store *s, int rc, const char *what)
{
	const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return gp_err(GP_E_BUSY, "%s: store is locked by another writer (%s)",
		    what, s->path);
	case SQLITE_NOMEM:
		return gp_err(GP_E_NOMEM, "%s: out of memory", what);
	case SQLITE_READONLY:
		return gp_err(GP_E_READONLY, "%s: store %s is read-only: %s", what,
		    s->path, msg);
	case SQLITE_NOTADB:
		return gp_err(GP_E_STORE, "%s: %s is not a govpki store "
		    "(not an SQLite database)", what, s->path);
	case SQLITE_CORRUPT:
		return gp_err(GP_E_STORE, "%s: store %s is corrupt: %s", what, s->path, msg);
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		return gp_err(GP_E_IO, "%s: store %s: %s", what, s->path, msg);
	default:
		return gp_err(GP_E_STORE, "%s: store %s: %s", what, s->path, msg);
	}
}

int
sq_exec(sq_store *s, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return sq_fail(s, rc, what);
	return 0;
}

/* Borrows the cached statement id, prepared on first use; the caller
 * resets it (stmt_reset) when done. */
static int
stmt_get(sq_store *s, int id, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	if (s->st[id] == NULL) {
		rc = sqlite3_prepare_v3(s->db, sql_text[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(s, rc, "preparing a statement");
	}
	*out = s->st[id];
	return 0;
}

/* Ends the use of a statement: releases its read snapshot and bindings. */
static void
stmt_reset(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* A transaction around a multi-statement write: BEGIN IMMEDIATE when the
 * caller has none open, else a savepoint inside the caller's. */
int
tx_enter(sq_store *s, int *mode)
{
	int r;

	*mode = TX_NONE;
	if (sqlite3_get_autocommit(s->db)) {
		if ((r = sq_exec(s, "BEGIN IMMEDIATE", "starting a transaction")) != 0)
			return r;
		*mode = TX_OWN;
	} else {
		if ((r = sq_exec(s, "SAVEPOINT gp_sp", "starting a savepoint")) != 0)
			return r;
		*mode = TX_SAVEPOINT;
	}
	return 0;
}

/* Commits (r == 0) or undoes (r != 0) what tx_enter opened; returns r, or
 * the commit's error.  All statements must have been reset. */
int
tx_leave(sq_store *s, int mode, int r)
{
	if (mode == TX_NONE)
		return r;
	if (r == 0) {
		r = sq_exec(s, mode == TX_OWN ? "COMMIT" : "RELEASE gp_sp",
		    "committing");
		if (r == 0)
			return 0;
	}
	/* keep the first error's message: no sq_fail here */
	if (mode == TX_OWN) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	} else {
		sqlite3_exec(s->db, "ROLLBACK TO gp_sp; RELEASE gp_sp", NULL, NULL, NULL);
	}
	return r;
}

int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(st, i) :
	    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static int
bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len)
{
	if (v == NULL)
		return sqlite3_bind_null(st, i);
	if (len > INT_MAX)
		return SQLITE_TOOBIG;
	/* a non-NULL empty blob stays a zero-length blob, not NULL */
	return sqlite3_bind_blob(st, i, len ? v : "", (int)len, SQLITE_STATIC);
}

int
bind_blob_n(sqlite3_stmt *st, int i, const void *v, size_t len)
{
	if (v == NULL || len == 0)
		return sqlite3_bind_null(st, i);
	if (len > INT_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_blob(st, i, v, (int)len, SQLITE_STATIC);
}

int
dup_blob(unsigned char **out, size_t *outlen, sqlite3_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	*out = NULL;
	*outlen = 0;
	if (p == NULL || n <= 0)
		return 0;
	if ((*out = malloc((size_t)n)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memcpy(*out, p, (size_t)n);
	*outlen = (size_t)n;
	return 0;
}

int
dup_text(char **out, sqlite3_stmt *st, int col)
{
	return gp_strdup(out, (const char *)sqlite3_column_text(st, col));
}

size_t
copy_fixed(unsigned char *out, size_t max, sqlite3_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	memset(out, 0, max);
	if (n > max)
		n = max;
	if (p != NULL)
		memcpy(out, p, n);
	return n;
}

/* ---- open, schema, close ------------------------------------------------ */

/* Runs sql (no parameters) and reads the first column of its first row
 * (0 when there is no row, or NULL). */
static int
query_int(sq_store *s, const char *sql, int64_t *out, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	*out = 0;
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* "file:" URI of path with immutable=1 (RFC 3986 escapes for % ? #). */
static int
immutable_uri(char **out, const char *path)
{
	size_t n = strlen(path), i, j = 0;
	char *u;

	*out = NULL;
	if ((u = malloc(3 * n + 32)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	j = (size_t)sprintf(u, "file:");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c == '%' || c == '?' || c == '#')
			j += (size_t)sprintf(u + j, "%%%02X", c);
		else
			u[j++] = (char)c;
	}
	strcpy(u + j, "?immutable=1");
	*out = u;
	return 0;
}

int
sq_prep_once(sq_store *s, sqlite3_stmt **st, const char *sql, const char *what)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return sq_fail(s, rc, what);
	}
	return 0;
}

int
sq_prep(sq_store *s, sqlite3_stmt **st, const char *sql, const char *what)
{
	sq_cached *free_slot = NULL;
	int i, rc;

	*st = NULL;
	for (i = 0; i < SQ_CACHE; i++) {
		sq_cached *c = &s->cache[i];

		if (c->sql == sql) {
			if (c->busy)    /* nested use of the same statement */
				return sq_prep_once(s, st, sql, what);
			c->busy = 1;
			*st = c->st;
			return 0;
		}
		if (c->sql == NULL && free_slot == NULL)
			free_slot = c;
	}
	if (free_slot == NULL)
		return sq_prep_once(s, st, sql, what);
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK) {
		*st = NULL;
		return sq_fail(s, rc, what);
	}
	free_slot->sql = sql;
	free_slot->st = *st;
	free_slot->busy = 1;
	return 0;
}

void
sq_done(sq_store *s, sqlite3_stmt *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < SQ_CACHE; i++) {
		if (s->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			s->cache[i].busy = 0;
			return;
		}
	}
	sqlite3_finalize(st);
}

int
sq_each_row(sq_store *s, sqlite3_stmt *st, sq_row_fn row, void *arg, const char *what)
{
	int rc, r;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row(arg, st)) != 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, what);
}

static void
sq_disconnect(sq_store *s)
{
	int i;

	for (i = 0; i < ST__N; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	for (i = 0; i < SQ_CACHE; i++) {
		sqlite3_finalize(s->cache[i].st);
		memset(&s->cache[i], 0, sizeof(s->cache[i]));
	}
	if (s->db != NULL) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(s->db);
		s->db = NULL;
	}
}

/* Opens the connection and reads the schema version (which also proves
 * the file is an SQLite database). */
static int
sq_connect(sq_store *s, const char *name, int oflags, int64_t *version)
{
	int64_t ntables;
	int rc, r;

	*version = 0;
	rc = sqlite3_open_v2(name, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = sq_fail(s, rc, "opening the store");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, gp_store_busy_timeout_ms());
	/* reading the schema fails with SQLITE_NOTADB on a foreign file */
	if ((r = query_int(s, "SELECT count(*) FROM sqlite_master", &ntables,
	    "opening the store")) != 0 ||
	    (r = query_int(s, "PRAGMA user_version", version, "opening the store")) != 0)
		goto out;
	if (*version == 0 && ntables > 0) {
		r = gp_err(GP_E_STORE, "%s is an SQLite database but not a govpki store",
		    s->path);
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		sq_disconnect(s);
	return r;
}

/* Brings the schema from its version to SQ_SCHEMA_VERSION, in one
 * transaction, re-reading the version under the write lock (another
 * process may have migrated meanwhile). */
static int
sq_migrate(sq_store *s)
{
	char sql[64];
	int64_t v;
	int r, mode = TX_NONE;

	if ((r = tx_enter(s, &mode)) != 0)
		return r;
	if ((r = query_int(s, "PRAGMA user_version", &v, "opening the store")) != 0)
		goto out;
	if (v > SQ_SCHEMA_VERSION) {
		r = gp_err(GP_E_VERSION, "store %s was written by a newer govpki "
		    "(schema %lld, this build knows %d)", s->path, (long long)v,
		    SQ_SCHEMA_VERSION);
		goto out;
	}
	for (; v < SQ_SCHEMA_VERSION; v++) {
		if ((r = sq_exec(s, migrations[v], "migrating the store schema")) != 0 ||
		    (migration_fill[v] != NULL && (r = migration_fill[v](s)) != 0))
			goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SQ_SCHEMA_VERSION);
	r = sq_exec(s, sql, "migrating the store schema");
out:
	return tx_leave(s, mode, r);
}

/* Brings each module's part of the schema to its version, kept in meta as
 * "schema.NAME", each in one transaction. */
static int
sq_migrate_parts(sq_store *s)
{
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const struct sq_part *p = parts[i];
		char key[64], *val = NULL, num[24];
		long v = 0;
		int r, mode = TX_NONE;

		if (p->nmigrations == 0)
			continue;
		snprintf(key, sizeof(key), "schema.%s", p->name);
		/* a current part needs no write lock: read its version first,
		 * so that opening never waits for (or blocks) another writer */
		r = sq_ops.meta_get(&s->base, key, &val);
		if (r == 0 && strtol(val, NULL, 10) == p->nmigrations) {
			free(val);
			continue;
		}
		free(val);
		val = NULL;
		gp_error_clear();
		if ((r = tx_enter(s, &mode)) != 0)
			return r;
		r = sq_ops.meta_get(&s->base, key, &val);
		if (r == GP_E_NOTFOUND)
			r = 0;
		else if (r == 0)
			v = strtol(val, NULL, 10);
		free(val);
		if (r == 0 && v > p->nmigrations)
			r = gp_err(GP_E_VERSION, "store %s was written by a newer govpki "
			    "(%s schema %ld, this build knows %d)", s->path, p->name, v,
			    p->nmigrations);
		for (; r == 0 && v < p->nmigrations; v++)
			r = sq_exec(s, p->migrations[v], "migrating the store schema");
		if (r == 0) {
			snprintf(num, sizeof(num), "%ld", v);
			r = sq_ops.meta_set(&s->base, key, num);
		}
		if ((r = tx_leave(s, mode, r)) != 0)
			return r;
	}
	return 0;
}

int
sq_open(gp_store **out, const char *path, int flags)
{
	sq_store *s = NULL;
	struct stat sb;
	struct statvfs fs;
	char *uri = NULL;
	int64_t version = 0;
	int r, fd, oflags, ro = (flags & GP_STORE_READONLY) != 0;

	if (out == NULL || path == NULL || *path == '\0')
		return gp_err(GP_E_INVALID, "sqlite store: no path or output");
	*out = NULL;
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT)
			return gp_err(GP_E_IO, "store %s: %s", path, strerror(errno));
		if (!(flags & GP_STORE_CREATE) || ro)
			return gp_err(GP_E_NOTFOUND, "store %s does not exist", path);
		/*
		 * A new store is readable by its owner only: it holds RA
		 * requests (applicants' names and addresses), officers and token
		 * hashes.  SQLite would create it 0644 (less the umask); its
		 * -wal and -shm files take the mode of the database file.
		 */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
			close(fd);
	} else if (S_ISDIR(sb.st_mode)) {
		return gp_err(GP_E_INVALID, "store %s is a folder, not a file", path);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	s->base.ops = &sq_ops;
	s->base.flags = flags;
	if ((r = gp_strdup(&s->path, path)) != 0)
		goto out;

	oflags = SQLITE_OPEN_NOMUTEX;	/* one connection per thread */
	if (ro)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE |
		    ((flags & GP_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	r = sq_connect(s, path, oflags, &version);
	if (r != 0 && ro && (r == GP_E_IO || r == GP_E_READONLY)) {
		/*
		 * Reading a WAL database needs its -shm file, which SQLite
		 * creates in the store's folder.  On a read-only file system
		 * nobody can write the store, so reading it as immutable is
		 * exact; a folder that is merely not writable for us may have
		 * a writer, and is refused with advice.
		 */
		if (statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY)) {
			if ((r = immutable_uri(&uri, path)) != 0)
				goto out;
			r = sq_connect(s, uri, oflags | SQLITE_OPEN_URI, &version);
		} else {
			char why[256];

			snprintf(why, sizeof(why), "%s", gp_error_last());
			r = gp_err(r, "cannot read store %s: SQLite must create %s-shm "
			    "beside it to read a WAL-mode database, and the folder is "
			    "not writable for this user (the store file itself may "
			    "stay read-only): %s", path, path, why);
		}
	}
	if (r != 0)
		goto out;

	if (version > SQ_SCHEMA_VERSION) {
		r = gp_err(GP_E_VERSION, "store %s was written by a newer govpki "
		    "(schema %lld, this build knows %d)", path, (long long)version,
		    SQ_SCHEMA_VERSION);
		goto out;
	}
	if ((r = sq_exec(s, "PRAGMA foreign_keys = ON", "opening the store")) != 0 ||
	    (r = sq_exec(s, "PRAGMA synchronous = FULL", "opening the store")) != 0)
		goto out;
	if (ro) {
		if (version < SQ_SCHEMA_VERSION) {
			r = version == 0 ?
			    gp_err(GP_E_STORE, "%s is empty, not a govpki store", path) :
			    gp_err(GP_E_READONLY, "store %s has schema %lld and needs an "
			    "upgrade to %d: open it read-write once", path,
			    (long long)version, SQ_SCHEMA_VERSION);
			goto out;
		}
	} else {
		/* WAL is remembered by the file; readers need not set it */
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);

		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *jm = (const char *)sqlite3_column_text(st, 0);

			if (jm == NULL || strcmp(jm, "wal") != 0)
				r = gp_err(GP_E_STORE, "store %s: cannot switch to WAL "
				    "mode (journal mode is %s)", path, jm ? jm : "?");
		} else {
			r = sq_fail(s, rc, "setting WAL mode");
		}
		sqlite3_finalize(st);
		if (r != 0)
			goto out;
		if (version < SQ_SCHEMA_VERSION && (r = sq_migrate(s)) != 0)
			goto out;
		if ((r = sq_migrate_parts(s)) != 0)
			goto out;
	}
	*out = &s->base;
	s = NULL;
	r = 0;
out:
	free(uri);
	if (s != NULL) {
		sq_disconnect(s);
		free(s->path);
		free(s);
	}
	return r;
}

static void
sq_close(gp_store *gs)
{
	sq_store *s = SQ(gs);

	sq_disconnect(s);
	free(s->path);
	free(s);
}

/* ---- transactions, revision --------------------------------------------- */

static int
sq_begin(gp_store *gs)
{
	sq_store *s = SQ(gs);

	if (!sqlite3_get_autocommit(s->db))
		return gp_err(GP_E_STATE, "a transaction is already open "
		    "(transactions do not nest)");
	return sq_exec(s, "BEGIN IMMEDIATE", "starting a transaction");
}

/* A failed COMMIT is rolled back: the store never keeps half a change. */
static int
sq_commit(gp_store *gs)
{
	sq_store *s = SQ(gs);
	int r;

	if (sqlite3_get_autocommit(s->db))
		return gp_err(GP_E_STATE, "commit: no transaction is open");
	if ((r = sq_exec(s, "COMMIT", "committing")) != 0 &&
	    !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int
sq_rollback(gp_store *gs)
{
	sq_store *s = SQ(gs);

	if (sqlite3_get_autocommit(s->db))
		return 0;
	return sq_exec(s, "ROLLBACK", "rolling back");
}

static int
sq_revision(gp_store *gs, int64_t *out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	*out = 0;
	if ((r = stmt_get(s, ST_REVISION, &st)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ?
		    gp_err(GP_E_STORE, "store %s has no revision counter", s->path) :
		    sq_fail(s, rc, "reading the revision");
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/* ---- CAs ----------------------------------------------------------------- */

static int
sq_ca_add(gp_store *gs, gp_ca_info *ca)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if (ca->created == 0)
		ca->created = gp_now();
	if ((r = stmt_get(s, ST_CA_ADD, &st)) != 0)
		goto out;
	if ((rc = bind_text(st, 1, ca->name)) != SQLITE_OK ||
	    (rc = ca->parent_id ? sqlite3_bind_int64(st, 2, ca->parent_id) :
	    sqlite3_bind_null(st, 2)) != SQLITE_OK ||
	    (rc = bind_text(st, 3, ca->key_uri)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, ca->key_type)) != SQLITE_OK ||
	    (rc = bind_blob(st, 5, ca->cert_der, ca->cert_len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, ca->created)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_UNIQUE)
			r = gp_err(GP_E_EXISTS, "a CA named '%s' already exists", ca->name);
		else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			r = gp_err(GP_E_NOTFOUND, "CA '%s': no parent CA with id %lld",
			    ca->name, (long long)ca->parent_id);
		else
			r = sq_fail(s, rc, "adding a CA");
		goto out;
	}
	ca->id = sqlite3_last_insert_rowid(s->db);
	r = 0;
out:
	stmt_reset(st);
	return r;
}

static int
ca_from_row(gp_ca_info **out, sqlite3_stmt *st)
{
	gp_ca_info *ca;
	int r;

	*out = NULL;
	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	ca->id = sqlite3_column_int64(st, 0);
	ca->parent_id = sqlite3_column_int64(st, 2);    /* NULL reads as 0 */
	ca->created = sqlite3_column_int64(st, 6);
	if ((r = dup_text(&ca->name, st, 1)) != 0 ||
	    (r = dup_text(&ca->key_uri, st, 3)) != 0 ||
	    (r = dup_text(&ca->key_type, st, 4)) != 0 ||
	    (r = dup_blob(&ca->cert_der, &ca->cert_len, st, 5)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
out:
	gp_ca_info_free(ca);
	return r;
}

/* By name when name is not NULL, else by id. */
static int
sq_ca_get(gp_store *gs, const char *name, int64_t id, gp_ca_info **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	*out = NULL;
	if ((r = stmt_get(s, name ? ST_CA_BY_NAME : ST_CA_BY_ID, &st)) != 0)
		goto out;
	rc = name ? bind_text(st, 1, name) : sqlite3_bind_int64(st, 1, id);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			r = sq_fail(s, rc, "reading a CA");
		else if (name)
			r = gp_err(GP_E_NOTFOUND, "no CA named '%s'", name);
		else
			r = gp_err(GP_E_NOTFOUND, "no CA with id %lld", (long long)id);
		goto out;
	}
	r = ca_from_row(out, st);
out:
	stmt_reset(st);
	return r;
}

/* The CAs read so far by sq_ca_list. */
struct ca_gather {
	gp_ca_info **list;
	size_t len, cap;
};

/* sq_each_row's row function of sq_ca_list: appends a copy of the row. */
static int
ca_row(void *arg, sqlite3_stmt *st)
{
	struct ca_gather *g = arg;
	gp_ca_info **nl;
	int r;

	if (g->len == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 8;
		if ((nl = realloc(g->list, g->cap * sizeof(*nl))) == NULL)
			return gp_err(GP_E_NOMEM, "out of memory");
		g->list = nl;
	}
	if ((r = ca_from_row(&g->list[g->len], st)) != 0)
		return r;
	g->len++;
	return 0;
}

static int
sq_ca_list(gp_store *gs, gp_ca_info ***out, size_t *n)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct ca_gather g = { NULL, 0, 0 };
	int r;

	*out = NULL;
	*n = 0;
	if ((r = stmt_get(s, ST_CA_LIST, &st)) != 0 ||
	    (r = sq_each_row(s, st, ca_row, &g, "listing CAs")) != 0)
		goto out;
	*out = g.list;
	*n = g.len;
	g.list = NULL;
	r = 0;
out:
	stmt_reset(st);
	gp_ca_info_list_free(g.list, g.len);
	return r;
}

/* ---- certificates -------------------------------------------------------- */

/* A certificate is added good: its status changes only through
 * cert_set_status, which also stores the CRL entry and bumps the revision. */
static int
sq_cert_add(gp_store *gs, gp_cert_info *cert)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	char hex[2 * GP_SERIAL_MAX + 1];
	int rc, r;

	if (cert->status != GP_STATUS_GOOD)
		return gp_err(GP_E_INVALID, "a new certificate must be good; "
		    "revoke it afterwards with gp_store_cert_set_status");
	if (cert->issued_at == 0)
		cert->issued_at = gp_now();
	if ((r = stmt_get(s, ST_CERT_ADD, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, cert->ca_id)) != SQLITE_OK ||
	    (rc = bind_blob(st, 2, cert->serial, cert->serial_len)) != SQLITE_OK ||
	    (rc = bind_text(st, 3, cert->subject)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, cert->sans)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, cert->not_before)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, cert->not_after)) != SQLITE_OK ||
	    (rc = bind_text(st, 7, cert->profile)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 8, cert->issued_at)) != SQLITE_OK ||
	    (rc = bind_blob(st, 9, cert->fingerprint, sizeof(cert->fingerprint))) != SQLITE_OK ||
	    (rc = bind_blob(st, 10, cert->der, cert->der_len)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		gp_hex_encode(hex, cert->serial, cert->serial_len);
		if (rc == SQLITE_CONSTRAINT_UNIQUE &&
		    strstr(sqlite3_errmsg(s->db), "fingerprint") != NULL)
			r = gp_err(GP_E_EXISTS, "certificate with serial %s is already "
			    "stored (same fingerprint)", hex);
		else if (rc == SQLITE_CONSTRAINT_UNIQUE)
			r = gp_err(GP_E_EXISTS, "serial %s is already taken for CA %lld",
			    hex, (long long)cert->ca_id);
		else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			r = gp_err(GP_E_NOTFOUND, "certificate %s: no CA with id %lld",
			    hex, (long long)cert->ca_id);
		else
			r = sq_fail(s, rc, "adding a certificate");
		goto out;
	}
	cert->id = sqlite3_last_insert_rowid(s->db);
	cert->status_rev = 0;
	cert->revoked_at = 0;
	cert->reason = GP_REASON_NONE;
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/* Fills c with pointers into the current row of a CERT_COLS statement:
 * valid until the statement steps or resets. */
static void
cert_borrow(gp_cert_info *c, sqlite3_stmt *st)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->ca_id = sqlite3_column_int64(st, 1);
	c->serial_len = copy_fixed(c->serial, sizeof(c->serial), st, 2);
	c->subject = (char *)sqlite3_column_text(st, 3);
	c->sans = (char *)sqlite3_column_text(st, 4);
	c->not_before = sqlite3_column_int64(st, 5);
	c->not_after = sqlite3_column_int64(st, 6);
	c->profile = (char *)sqlite3_column_text(st, 7);
	c->status = sqlite3_column_int(st, 8);
	c->revoked_at = sqlite3_column_int64(st, 9);
	c->reason = sqlite3_column_int(st, 10);
	c->status_rev = sqlite3_column_int64(st, 11);
	c->issued_at = sqlite3_column_int64(st, 12);
	copy_fixed(c->fingerprint, sizeof(c->fingerprint), st, 13);
	c->der = (unsigned char *)sqlite3_column_blob(st, 14);
	c->der_len = (size_t)sqlite3_column_bytes(st, 14);
}

static int
sq_cert_get(gp_store *gs, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, gp_cert_info **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	gp_cert_info b;
	int rc, r;

	*out = NULL;
	if ((r = stmt_get(s, ST_CERT_GET, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, ca_id)) != SQLITE_OK ||
	    (rc = bind_blob(st, 2, serial, serial_len)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? gp_store_not_issued(ca_id, serial, serial_len) :
		    sq_fail(s, rc, "reading a certificate");
		goto out;
	}
	cert_borrow(&b, st);
	r = gp_cert_info_dup(out, &b);
out:
	stmt_reset(st);
	return r;
}

static int
sq_cert_status(gp_store *gs, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, int *status, int64_t *revoked_at, int *reason)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = stmt_get(s, ST_CERT_STATUS, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, ca_id)) != SQLITE_OK ||
	    (rc = bind_blob(st, 2, serial, serial_len)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? gp_store_not_issued(ca_id, serial, serial_len) :
		    sq_fail(s, rc, "reading a certificate status");
		goto out;
	}
	*status = sqlite3_column_int(st, 0);
	*revoked_at = sqlite3_column_int64(st, 1);
	*reason = sqlite3_column_int(st, 2);
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/* The status change and the revision bump land together: in one
 * transaction of their own, or a savepoint inside the caller's. */
static int
sq_cert_set_status(gp_store *gs, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, int status, int64_t revoked_at, int reason,
    const unsigned char *entry, size_t entry_len, int64_t *revision)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int64_t rev = 0;
	int rc, r, mode = TX_NONE;

	if ((r = tx_enter(s, &mode)) != 0)
		return r;
	if ((r = stmt_get(s, ST_REV_BUMP, &st)) != 0)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "bumping the revision");
		goto out;
	}
	stmt_reset(st);
	st = NULL;
	if ((r = sq_revision(gs, &rev)) != 0 ||
	    (r = stmt_get(s, ST_CERT_SET_STATUS, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, ca_id)) != SQLITE_OK ||
	    (rc = bind_blob(st, 2, serial, serial_len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, status)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, revoked_at)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 5, reason)) != SQLITE_OK ||
	    (rc = bind_blob(st, 6, entry, entry_len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, rev)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "changing a certificate status");
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		r = gp_store_not_issued(ca_id, serial, serial_len);
		goto out;
	}
	r = 0;
out:
	stmt_reset(st);
	if ((r = tx_leave(s, mode, r)) == 0 && revision != NULL)
		*revision = rev;
	return r;
}

/*
 * What a list hands its rows to (the row functions below, for
 * sq_each_row): the caller's callback, of the list's type, and its
 * argument.  Rows reach the callback borrowed from SQLite (no allocation
 * per row), valid only during the call.
 */
struct walk {
	gp_cert_cb cert;
	gp_blob_cb crl_entry;
	gp_audit_cb audit;
	void *arg;
	int64_t ca_id;          /* crl_entry_row: the CA, for its message */
	int64_t *bad_seq;       /* audit_row: gets the seq of a malformed row */
};

/* Walks the rows of sql, prepared for this walk, with ?1 bound to v. */
static int
each_row_int64(sq_store *s, const char *sql, int64_t v, sq_row_fn row, void *arg,
    const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep_once(s, &st, sql, what)) != 0)
		return r;
	if ((rc = sqlite3_bind_int64(st, 1, v)) != SQLITE_OK)
		r = sq_fail(s, rc, what);
	else
		r = sq_each_row(s, st, row, arg, what);
	sq_done(s, st);
	return r;
}

/* sq_each_row's row function of the certificate lists. */
static int
cert_row(void *arg, sqlite3_stmt *st)
{
	const struct walk *w = arg;
	gp_cert_info c;

	cert_borrow(&c, st);
	return w->cert(w->arg, &c);
}

/*
 * The filter becomes SQL built only from constant fragments; every value
 * from the caller is a bound parameter.  Rows reach cb borrowed from
 * SQLite (no allocation per row): valid only during the call.
 */
static int
sq_cert_list(gp_store *gs, const gp_cert_filter *f, gp_cert_cb cb, void *arg)
{
	static const char what[] = "listing certificates";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct walk w = { .cert = cb, .arg = arg };
	char sql[512];
	int rc, r;

	snprintf(sql, sizeof(sql), "SELECT " CERT_COLS " FROM cert WHERE id > ?1%s%s%s%s%s%s"
	    " ORDER BY id LIMIT ?7",
	    f->ca_id ? " AND ca_id = ?2" : "",
	    f->status >= 0 ? " AND status = ?3" : "",
	    f->profile ? " AND profile = ?4" : "",
	    f->subject_like ? " AND instr(subject, ?5) > 0" : "",
	    f->expires_before ? " AND not_after < ?6" : "",
	    f->expires_after ? " AND not_after >= ?8" : "");
	if ((r = sq_prep_once(s, &st, sql, what)) != 0)
		return r;
	if ((rc = sqlite3_bind_int64(st, 1, f->after_id)) != SQLITE_OK ||
	    (f->ca_id && (rc = sqlite3_bind_int64(st, 2, f->ca_id)) != SQLITE_OK) ||
	    (f->status >= 0 && (rc = sqlite3_bind_int(st, 3, f->status)) != SQLITE_OK) ||
	    (f->profile && (rc = bind_text(st, 4, f->profile)) != SQLITE_OK) ||
	    (f->subject_like && (rc = bind_text(st, 5, f->subject_like)) != SQLITE_OK) ||
	    (f->expires_before &&
	    (rc = sqlite3_bind_int64(st, 6, f->expires_before)) != SQLITE_OK) ||
	    (rc = sqlite3_bind_int64(st, 7, f->limit > 0 ? f->limit : -1)) != SQLITE_OK ||
	    (f->expires_after &&
	    (rc = sqlite3_bind_int64(st, 8, f->expires_after)) != SQLITE_OK))
		r = sq_fail(s, rc, what);
	else
		r = sq_each_row(s, st, cert_row, &w, what);
	sq_done(s, st);
	return r;
}

/* Certificates whose status changed after since_rev, oldest change first
 * (the partial index holds only certificates that ever changed). */
static int
sq_cert_changed(gp_store *gs, int64_t since_rev, gp_cert_cb cb, void *arg)
{
	struct walk w = { .cert = cb, .arg = arg };

	return each_row_int64(SQ(gs), "SELECT " CERT_COLS " FROM cert"
	    " WHERE status_rev > ?1 AND status_rev > 0 ORDER BY status_rev", since_rev,
	    cert_row, &w, "listing changed certificates");
}

static int
sq_cert_count(gp_store *gs, int64_t ca_id, int64_t *out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	*out = 0;
	if ((r = stmt_get(s, ca_id ? ST_COUNT_CA : ST_COUNT_ALL, &st)) != 0)
		goto out;
	if ((ca_id && (rc = sqlite3_bind_int64(st, 1, ca_id)) != SQLITE_OK) ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = sq_fail(s, rc, "counting certificates");
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/* ---- CRLs ---------------------------------------------------------------- */

/* sq_each_row's row function of sq_crl_entries: the entry, borrowed; a
 * certificate not good without an entry is an error, not a skip. */
static int
crl_entry_row(void *arg, sqlite3_stmt *st)
{
	const struct walk *w = arg;
	const unsigned char *p = sqlite3_column_blob(st, 0);

	if (p == NULL)
		return gp_err(GP_E_STORE, "certificate id %lld of CA %lld is revoked "
		    "but has no CRL entry", (long long)sqlite3_column_int64(st, 1),
		    (long long)w->ca_id);
	return w->crl_entry(w->arg, p, (size_t)sqlite3_column_bytes(st, 0));
}

/*
 * One range scan of an index per call, and each entry goes to cb as a
 * pointer into SQLite's page cache: no allocation per row (a full CRL may
 * hold a million entries).  A full CRL must not lose a revoked certificate,
 * so a not-good certificate without an entry is an error, not a skip.
 */
static int
sq_crl_entries(gp_store *gs, int64_t ca_id, int64_t since_rev,
    gp_blob_cb cb, void *arg)
{
	static const char full_sql[] = "SELECT crl_entry, id FROM cert"
	    " WHERE ca_id = ?1 AND status > 0";
	static const char delta_sql[] = "SELECT crl_entry FROM cert"
	    " WHERE ca_id = ?1 AND status_rev > ?2 AND crl_entry IS NOT NULL";
	static const char what[] = "reading CRL entries";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct walk w = { .crl_entry = cb, .arg = arg, .ca_id = ca_id };
	int rc, r;

	if ((r = sq_prep_once(s, &st, since_rev ? delta_sql : full_sql, what)) != 0)
		return r;
	if ((rc = sqlite3_bind_int64(st, 1, ca_id)) != SQLITE_OK ||
	    (since_rev && (rc = sqlite3_bind_int64(st, 2, since_rev)) != SQLITE_OK))
		r = sq_fail(s, rc, what);
	else
		r = sq_each_row(s, st, crl_entry_row, &w, what);
	sq_done(s, st);
	return r;
}

static int
crl_max(sq_store *s, int64_t ca_id, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	*out = 0;
	if ((r = stmt_get(s, ST_CRL_MAX, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, ca_id)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = sq_fail(s, rc, "reading CRL numbers");
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);     /* NULL (no CRL) reads as 0 */
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/* RFC 5280 §5.2.3: CRL numbers increase monotonically per CA. */
static int
sq_crl_next_number(gp_store *gs, int64_t ca_id, int64_t *out)
{
	int64_t max;
	int r;

	*out = 0;
	if ((r = crl_max(SQ(gs), ca_id, &max)) != 0)
		return r;
	return gp_store_crl_number_after(ca_id, max, out);
}

static int
sq_crl_add(gp_store *gs, gp_crl_info *crl)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int64_t max;
	int rc, r, mode = TX_NONE;

	if ((r = tx_enter(s, &mode)) != 0)
		return r;
	if ((r = crl_max(s, crl->ca_id, &max)) != 0)
		goto out;
	if (crl->number <= max) {
		r = gp_err(GP_E_EXISTS, "CRL number %lld of CA %lld is not above the "
		    "last one (%lld)", (long long)crl->number, (long long)crl->ca_id,
		    (long long)max);
		goto out;
	}
	if ((r = stmt_get(s, ST_CRL_ADD, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, crl->ca_id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, crl->number)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, crl->is_delta != 0)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, crl->base_number)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, crl->this_update)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, crl->next_update)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, crl->revision)) != SQLITE_OK ||
	    (rc = bind_blob(st, 8, crl->der, crl->der_len)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			r = gp_err(GP_E_NOTFOUND, "CRL: no CA with id %lld",
			    (long long)crl->ca_id);
		else
			r = sq_fail(s, rc, "adding a CRL");
		goto out;
	}
	crl->id = sqlite3_last_insert_rowid(s->db);
	r = 0;
out:
	stmt_reset(st);
	return tx_leave(s, mode, r);
}

static int
sq_crl_latest(gp_store *gs, int64_t ca_id, int delta, int with_der, gp_crl_info **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL, *own = NULL;
	gp_crl_info *c = NULL;
	int rc, r;

	*out = NULL;
	if (!with_der) {
		/* without the DER column: a full CRL can be tens of MiB */
		if ((r = sq_prep_once(s, &own, "SELECT id, ca_id, number, is_delta,"
		    " base_number, this_update, next_update, revision FROM crl"
		    " WHERE ca_id = ?1 AND is_delta = ?2 ORDER BY number DESC LIMIT 1",
		    "reading a CRL")) != 0)
			goto out;
		st = own;
	} else if ((r = stmt_get(s, ST_CRL_LATEST, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, ca_id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, delta)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ?
		    gp_err(GP_E_NOTFOUND, "CA %lld has no %s CRL yet", (long long)ca_id,
		    delta ? "delta" : "full") :
		    sq_fail(s, rc, "reading a CRL");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	c->id = sqlite3_column_int64(st, 0);
	c->ca_id = sqlite3_column_int64(st, 1);
	c->number = sqlite3_column_int64(st, 2);
	c->is_delta = sqlite3_column_int(st, 3);
	c->base_number = sqlite3_column_int64(st, 4);
	c->this_update = sqlite3_column_int64(st, 5);
	c->next_update = sqlite3_column_int64(st, 6);
	c->revision = sqlite3_column_int64(st, 7);
	if (with_der && (r = dup_blob(&c->der, &c->der_len, st, 8)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	if (own != NULL)
		sqlite3_finalize(own);
	else
		stmt_reset(st);
	gp_crl_info_free(c);
	return r;
}

/* ---- audit rows ------------------------------------------------------------ */

static int
sq_audit_insert(gp_store *gs, const gp_audit_row *row)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = stmt_get(s, ST_AUDIT_INSERT, &st)) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, row->seq)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, row->time)) != SQLITE_OK ||
	    (rc = bind_text(st, 3, row->actor)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, row->action)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, row->object)) != SQLITE_OK ||
	    (rc = bind_text(st, 6, row->detail)) != SQLITE_OK ||
	    (rc = bind_blob(st, 7, row->prev_hash, sizeof(row->prev_hash))) != SQLITE_OK ||
	    (rc = bind_blob(st, 8, row->hash, sizeof(row->hash))) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			r = gp_err(GP_E_EXISTS, "audit entry %lld already exists "
			    "(another writer appended meanwhile)", (long long)row->seq);
		else
			r = sq_fail(s, rc, "appending to the audit log");
		goto out;
	}
	r = 0;
out:
	stmt_reset(st);
	return r;
}

static int
sq_audit_last(gp_store *gs, int64_t *seq, unsigned char hash[32])
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	*seq = 0;
	memset(hash, 0, 32);
	if ((r = stmt_get(s, ST_AUDIT_LAST, &st)) != 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		copy_fixed(hash, 32, st, 1);
	} else if (rc != SQLITE_DONE) {
		r = sq_fail(s, rc, "reading the audit log");
		goto out;
	}
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/*
 * Whether the current row of an AUDIT_COLS statement holds what
 * sq_audit_insert writes: seq and time integers, actor and action text,
 * object and detail text or NULL, text without a NUL byte inside, and
 * hashes of exactly 32 bytes.  An edit can store any type in any column
 * (SQLite keeps '12abc' in an INTEGER column as text), and reading it as
 * the declared type would convert it silently: a time read as its leading
 * digits, text cut at a NUL (the hash covers a field up to its length as
 * C text), a hash cut or padded to 32 bytes.  Such a row would verify
 * while it is not what was hashed, so it breaks the chain.
 */
static int
audit_row_check(sqlite3_stmt *st, int64_t seq)
{
	static const char *const col[] = {
		"seq", "time", "actor", "action", "object", "detail", "prev_hash", "hash"
	};
	static const char *const type[] = {
		[SQLITE_INTEGER] = "an integer", [SQLITE_FLOAT] = "a real number",
		[SQLITE_TEXT] = "text", [SQLITE_BLOB] = "a blob", [SQLITE_NULL] = "NULL"
	};
	const unsigned char *text;
	int i, t, want;

	for (i = 0; i < 8; i++) {
		want = i < 2 ? SQLITE_INTEGER : i < 6 ? SQLITE_TEXT : SQLITE_BLOB;
		t = sqlite3_column_type(st, i);
		if (t == SQLITE_NULL && (i == 4 || i == 5))
			continue;       /* object and detail may be NULL */
		if (t != want)
			return gp_err(GP_E_VERIFY, "audit chain broken at entry %lld: malformed "
			    "row (%s is %s, not %s)", (long long)seq, col[i],
			    t >= SQLITE_INTEGER && t <= SQLITE_NULL ? type[t] : "of unknown type",
			    type[want]);
		if (t == SQLITE_TEXT) {
			/* text first, then its length (sqlite3_column_bytes) */
			if ((text = sqlite3_column_text(st, i)) == NULL)
				return gp_err(GP_E_NOMEM, "out of memory");
			if (strlen((const char *)text) != (size_t)sqlite3_column_bytes(st, i))
				return gp_err(GP_E_VERIFY, "audit chain broken at entry %lld: "
				    "malformed row (%s holds a NUL byte)", (long long)seq, col[i]);
		} else if (t == SQLITE_BLOB && sqlite3_column_bytes(st, i) != 32) {
			return gp_err(GP_E_VERIFY, "audit chain broken at entry %lld: malformed "
			    "row (%s is %d bytes, not 32)", (long long)seq, col[i],
			    sqlite3_column_bytes(st, i));
		}
	}
	return 0;
}

/* sq_each_row's row function of sq_audit_list: a malformed row stops the
 * walk (audit_row_check) and its seq goes to *w->bad_seq. */
static int
audit_row(void *arg, sqlite3_stmt *st)
{
	const struct walk *w = arg;
	gp_audit_row row;
	int r;

	memset(&row, 0, sizeof(row));
	row.seq = sqlite3_column_int64(st, 0);
	if ((r = audit_row_check(st, row.seq)) != 0) {
		if (r == GP_E_VERIFY)
			*w->bad_seq = row.seq;
		return r;
	}
	row.time = sqlite3_column_int64(st, 1);
	row.actor = (char *)sqlite3_column_text(st, 2);
	row.action = (char *)sqlite3_column_text(st, 3);
	row.object = (char *)sqlite3_column_text(st, 4);
	row.detail = (char *)sqlite3_column_text(st, 5);
	memcpy(row.prev_hash, sqlite3_column_blob(st, 6), sizeof(row.prev_hash));
	memcpy(row.hash, sqlite3_column_blob(st, 7), sizeof(row.hash));
	return w->audit(w->arg, &row);
}

/* Rows reach cb borrowed from SQLite: valid only during the call. */
static int
sq_audit_list(gp_store *gs, int64_t from_seq, gp_audit_cb cb, void *arg, int64_t *bad_seq)
{
	struct walk w = { .audit = cb, .arg = arg, .bad_seq = bad_seq };

	*bad_seq = 0;
	return each_row_int64(SQ(gs), "SELECT " AUDIT_COLS " FROM audit WHERE seq >= ?1"
	    " ORDER BY seq", from_seq, audit_row, &w, "reading the audit log");
}

/* A deferred transaction: its snapshot starts with the first read, and
 * writers go on meanwhile (WAL). */
static int
sq_read_begin(gp_store *gs, int *own)
{
	sq_store *s = SQ(gs);
	int r;

	*own = 0;
	if (!sqlite3_get_autocommit(s->db))
		return 0;
	if ((r = sq_exec(s, "BEGIN", "starting a read")) != 0)
		return r;
	*own = 1;
	return 0;
}

static void
sq_read_end(gp_store *gs, int own)
{
	sq_store *s = SQ(gs);

	if (own && !sqlite3_get_autocommit(s->db) &&
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK &&
	    !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * The rows of the core tables that the audit log accounts for.  A sub-CA's
 * own certificate is a row of its parent without a cert.issue entry (the
 * CA's ca.create records it): ca/ca.c adds one per CA with a parent (a CA
 * added without one only makes the count one short, never a false alarm).
 * Certificates are issued in id order, revoked in status_rev order (a
 * revoked certificate changes no more).
 */
#define SQ_NOT_SUBCA " NOT EXISTS (SELECT 1 FROM ca sub WHERE sub.parent_id = c.ca_id" \
	" AND sub.cert_der = c.der)"
#define SQ_CERT_OF "SELECT lower(hex(c.serial)), ca.name FROM cert c JOIN ca ON ca.id = c.ca_id"
static const struct sq_audit_sql core_audit[] = {
	{ GP_AUDIT_OBJ_CA, "SELECT count(*) FROM ca",
	  "SELECT name, NULL FROM ca ORDER BY id DESC LIMIT 1 OFFSET ?2",
	  "SELECT name, NULL FROM ca WHERE name NOT IN " SQ_LOGGED " ORDER BY id LIMIT 1" },
	{ GP_AUDIT_OBJ_CERT, "SELECT (SELECT count(*) FROM cert) -"
	  " (SELECT count(*) FROM ca WHERE parent_id IS NOT NULL)",
	  SQ_CERT_OF " WHERE" SQ_NOT_SUBCA " ORDER BY c.id DESC LIMIT 1 OFFSET ?2",
	  SQ_CERT_OF " WHERE lower(hex(c.serial)) NOT IN " SQ_LOGGED " AND" SQ_NOT_SUBCA
	  " ORDER BY c.id LIMIT 1" },
	{ GP_AUDIT_OBJ_REVOKED, "SELECT count(*) FROM cert WHERE status = 1",
	  SQ_CERT_OF " WHERE c.status_rev > 0 AND c.status = 1"
	  " ORDER BY c.status_rev DESC LIMIT 1 OFFSET ?2",
	  SQ_CERT_OF " WHERE c.status = 1 AND lower(hex(c.serial)) NOT IN " SQ_LOGGED
	  " ORDER BY c.status_rev LIMIT 1" },
	/* held, released and held again: no order of entries, a lookup */
	{ GP_AUDIT_OBJ_HELD, "SELECT count(*) FROM cert WHERE status = 2", NULL,
	  SQ_CERT_OF " WHERE c.status = 2 AND lower(hex(c.serial)) NOT IN " SQ_LOGGED
	  " ORDER BY c.status_rev LIMIT 1" },
	{ GP_AUDIT_OBJ_CRL, "SELECT count(*) FROM crl",
	  "SELECT ca.name || '/crl/' || crl.number, NULL FROM crl JOIN ca ON ca.id = crl.ca_id"
	  " ORDER BY crl.id DESC LIMIT 1 OFFSET ?2",
	  "SELECT ca.name || '/crl/' || crl.number, NULL FROM crl JOIN ca ON ca.id = crl.ca_id"
	  " WHERE ca.name || '/crl/' || crl.number NOT IN " SQ_LOGGED
	  " ORDER BY crl.id LIMIT 1" },
};

/* Calls fn for the core kinds and those of each module part whose tables
 * the store has (a store only ever opened read-only since the part came
 * may lack them). */
static int
audit_sql_each(sq_store *s, int (*fn)(sq_store *, const struct sq_audit_sql *, void *),
    void *arg)
{
	char key[64], *val = NULL;
	size_t i, j;
	int r;

	for (i = 0; i < sizeof(core_audit) / sizeof(core_audit[0]); i++)
		if ((r = fn(s, &core_audit[i], arg)) != 0)
			return r;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i]->naudit == 0)
			continue;
		snprintf(key, sizeof(key), "schema.%s", parts[i]->name);
		if ((r = sq_ops.meta_get(&s->base, key, &val)) == GP_E_NOTFOUND) {
			gp_error_clear();
			continue;
		}
		free(val);
		val = NULL;
		if (r != 0)
			return r;
		for (j = 0; j < parts[i]->naudit; j++)
			if ((r = fn(s, &parts[i]->audit[j], arg)) != 0)
				return r;
	}
	return 0;
}

static int
audit_count(sq_store *s, const struct sq_audit_sql *a, void *arg)
{
	int64_t *counts = arg;

	return query_int(s, a->count, &counts[a->kind], "counting what the audit log records");
}

static int
sq_audit_objects(gp_store *gs, int64_t counts[GP_AUDIT_OBJ__N])
{
	return audit_sql_each(SQ(gs), audit_count, counts);
}

/* What sq_audit_unlogged asks of audit_lookup, and gets. */
struct unlogged {
	int kind;
	const char *action;
	int64_t missing;
	char *object, *ca;
};

/* Runs one of a kind's queries with ?1 the action and ?2 n (each bound
 * when the query has it) and reads its row, if any, into u. */
static int
audit_row_of(sq_store *s, const char *sql, struct unlogged *u, int64_t n)
{
	static const char what[] = "looking up rows without their audit entry";
	sqlite3_stmt *st = NULL;
	int rc, r;

	free(u->object);
	free(u->ca);
	u->object = u->ca = NULL;
	if ((r = sq_prep_once(s, &st, sql, what)) != 0)
		return r;
	if ((sqlite3_bind_parameter_count(st) >= 1 &&
	    (rc = bind_text(st, 1, u->action)) != SQLITE_OK) ||
	    (sqlite3_bind_parameter_count(st) >= 2 &&
	    (rc = sqlite3_bind_int64(st, 2, n)) != SQLITE_OK) ||
	    ((rc = sqlite3_step(st)) != SQLITE_ROW && rc != SQLITE_DONE))
		r = sq_fail(s, rc, what);
	else if (rc == SQLITE_ROW && (r = dup_text(&u->object, st, 0)) == 0)
		r = dup_text(&u->ca, st, 1);
	sqlite3_finalize(st);
	return r;
}

/* *logged: whether the log holds an entry (action, object): one scan. */
static int
audit_logged(sq_store *s, const char *action, const char *object, int64_t *logged)
{
	static const char what[] = "looking up an audit entry";
	sqlite3_stmt *st = NULL;
	int rc, r;

	*logged = 0;
	if ((r = sq_prep_once(s, &st, "SELECT EXISTS (SELECT 1 FROM audit"
	    " WHERE action = ?1 AND object = ?2)", what)) != 0)
		return r;
	if ((rc = bind_text(st, 1, action)) != SQLITE_OK ||
	    (rc = bind_text(st, 2, object)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW)
		r = sq_fail(s, rc, what);
	else
		*logged = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

/*
 * A log cut at its end lacks the entries of the rows made last: with m
 * entries missing, the first of them is the row made m - 1 rows before the
 * newest, one lookup.  Whether that row's entry is indeed missing is one
 * scan of the log; if it is not (rows added behind the log's back rather
 * than entries cut off), the set difference finds the row.
 */
static int
audit_lookup(sq_store *s, const struct sq_audit_sql *a, void *arg)
{
	struct unlogged *u = arg;
	int64_t logged = 1;
	int r;

	if (a->kind != u->kind)
		return 0;
	if (u->missing > 0 && a->newest != NULL) {
		if ((r = audit_row_of(s, a->newest, u, u->missing - 1)) != 0)
			return r;
		if (u->object != NULL && (r = audit_logged(s, u->action, u->object, &logged)) != 0)
			return r;
		if (!logged)
			return 0;
	}
	return audit_row_of(s, a->unlogged, u, 0);
}

static int
sq_audit_unlogged(gp_store *gs, int kind, const char *action, int64_t missing,
    char **object, char **ca)
{
	struct unlogged u = { .kind = kind, .action = action, .missing = missing };
	int r;

	if ((r = audit_sql_each(SQ(gs), audit_lookup, &u)) != 0) {
		free(u.object);
		free(u.ca);
		return r;
	}
	*object = u.object;
	*ca = u.ca;
	return 0;
}

/* ---- meta ------------------------------------------------------------------ */

static int
sq_meta_get(gp_store *gs, const char *key, char **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	*out = NULL;
	if ((r = stmt_get(s, ST_META_GET, &st)) != 0)
		goto out;
	if ((rc = bind_text(st, 1, key)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ?
		    gp_err(GP_E_NOTFOUND, "no store setting '%s'", key) :
		    sq_fail(s, rc, "reading a store setting");
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		r = gp_strdup(out, "");
	else
		r = dup_text(out, st, 0);
out:
	stmt_reset(st);
	return r;
}

static int
sq_meta_set(gp_store *gs, const char *key, const char *value)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = stmt_get(s, ST_META_SET, &st)) != 0)
		goto out;
	if ((rc = bind_text(st, 1, key)) != SQLITE_OK ||
	    (rc = bind_text(st, 2, value)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "writing a store setting");
		goto out;
	}
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/* ---- blocked keys ---------------------------------------------------------- */

static int
sq_key_block_add(gp_store *gs, const gp_key_block *kb)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = stmt_get(s, ST_KEY_BLOCK_ADD, &st)) != 0)
		goto out;
	if ((rc = bind_blob(st, 1, kb->hash, sizeof(kb->hash))) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, kb->why)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, kb->ca_id)) != SQLITE_OK ||
	    (rc = kb->serial_len > 0 ? bind_blob(st, 4, kb->serial, kb->serial_len) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, kb->at)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = (rc & 0xff) == SQLITE_CONSTRAINT ?
		    gp_err(GP_E_NOTFOUND, "no CA with id %lld", (long long)kb->ca_id) :
		    sq_fail(s, rc, "recording a blocked key");
		goto out;
	}
	r = 0;
out:
	stmt_reset(st);
	return r;
}

static int
sq_key_block_get(gp_store *gs, const unsigned char hash[32], gp_key_block *out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = stmt_get(s, ST_KEY_BLOCK_GET, &st)) != 0)
		goto out;
	if ((rc = bind_blob(st, 1, hash, 32)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? GP_E_NOTFOUND : sq_fail(s, rc, "reading a blocked key");
		goto out;
	}
	memcpy(out->hash, hash, 32);
	out->why = sqlite3_column_int(st, 0);
	out->ca_id = sqlite3_column_int64(st, 1);
	out->serial_len = copy_fixed(out->serial, sizeof(out->serial), st, 2);
	out->at = sqlite3_column_int64(st, 3);
	r = 0;
out:
	stmt_reset(st);
	return r;
}

/* The key of the certificate der as gp_key_block wants it. */
static int
der_key_hash(unsigned char out[32], const unsigned char *der, int len)
{
	const unsigned char *p = der;
	X509 *x = der != NULL && len > 0 ? d2i_X509(NULL, &p, len) : NULL;
	int r;

	r = x != NULL ? gp_x509_key_hash(out, x) :
	    gp_err_ossl(GP_E_PARSE, "a stored certificate does not parse");
	X509_free(x);
	return r;
}

/* migration_fill of schema 2: every CA's key, and the key of every
 * certificate revoked for keyCompromise, from the rows the store holds. */
static int
backfill_key_block(sq_store *s)
{
	static const char *const sql[2] = {
		"SELECT id, NULL, cert_der, created FROM ca",
		"SELECT ca_id, serial, der, revoked_at FROM cert WHERE status = 1 AND reason = 1",
	};
	sqlite3_stmt *st = NULL;
	gp_key_block kb;
	int rc = SQLITE_OK, r = 0;

	for (int k = 0; k < 2 && r == 0; k++) {
		if ((r = sq_prep_once(s, &st, sql[k], "filling the blocked keys")) != 0)
			break;
		while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			memset(&kb, 0, sizeof(kb));
			kb.why = k == 0 ? GP_KEY_BLOCK_CA : GP_KEY_BLOCK_COMPROMISED;
			kb.ca_id = sqlite3_column_int64(st, 0);
			kb.serial_len = copy_fixed(kb.serial, sizeof(kb.serial), st, 1);
			kb.at = sqlite3_column_int64(st, 3);
			/* a CA row made before its certificate was kept has none */
			if (sqlite3_column_bytes(st, 2) == 0)
				continue;
			/* a row whose DER does not parse names no key a CSR could
			 * carry: skipped, not a reason to refuse the whole store */
			if (der_key_hash(kb.hash, sqlite3_column_blob(st, 2),
			    sqlite3_column_bytes(st, 2)) != 0) {
				gp_error_clear();
				continue;
			}
			r = sq_key_block_add(&s->base, &kb);
		}
		if (r == 0 && rc != SQLITE_DONE)
			r = sq_fail(s, rc, "filling the blocked keys");
		sq_done(s, st);
		st = NULL;
	}
	return r;
}

const struct gp_store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.revision = sq_revision,
	.ca_add = sq_ca_add,
	.ca_get = sq_ca_get,
	.ca_list = sq_ca_list,
	.cert_add = sq_cert_add,
	.cert_get = sq_cert_get,
	.cert_status = sq_cert_status,
	.cert_set_status = sq_cert_set_status,
	.cert_list = sq_cert_list,
	.cert_count = sq_cert_count,
	.cert_changed = sq_cert_changed,
	.ra = &sq_ra_ops,
	.seal = &sq_seal_ops,
	.ocsp = &sq_ocsp_ops,
	.acme = &sq_acme_ops,
	.kmc = &sq_kmc_ops,
	.crl_entries = sq_crl_entries,
	.crl_next_number = sq_crl_next_number,
	.crl_add = sq_crl_add,
	.crl_latest = sq_crl_latest,
	.audit_insert = sq_audit_insert,
	.audit_last = sq_audit_last,
	.audit_list = sq_audit_list,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.audit_objects = sq_audit_objects,
	.audit_unlogged = sq_audit_unlogged,
	.key_block_add = sq_key_block_add,
	.key_block_get = sq_key_block_get,
	.meta_get = sq_meta_get,
	.meta_set = sq_meta_set,
	.dump = sq_dump,
};
