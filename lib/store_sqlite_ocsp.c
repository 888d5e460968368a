/* lib/store_sqlite_ocsp.c: the SQLite part of the pre-signed OCSP responses for read-only replicas */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error_int.h"
#include "store_sqlite_int.h"
#include "store_ocsp_int.h"

/*
 * Schema part "ocsp", version 1.  ocsp_presigned: one row per certificate
 * with a nonce-less response (RFC 6960 §4.2.1) for a SHA-1 and for a
 * SHA-256 CertID, keyed like cert (ca_id, serial); the key columns and the
 * times come before the DER so that the decision to re-sign reads no
 * overflow pages.  ocsp_presign_run: one row per presign run that wrote
 * something; its id is the generation replicas watch.
 */
static const char ocsp_v1[] =
	"CREATE TABLE ocsp_presigned ("
	" ca_id INTEGER NOT NULL REFERENCES ca(id),"
	" serial BLOB NOT NULL,"
	" this_update INTEGER NOT NULL,"
	" next_update INTEGER NOT NULL,"
	" revision INTEGER NOT NULL,"
	" der_sha1 BLOB NOT NULL,"
	" der_sha256 BLOB NOT NULL,"
	" PRIMARY KEY (ca_id, serial));"
	"CREATE TABLE ocsp_presign_run ("
	" id INTEGER PRIMARY KEY,"
	" ca_id INTEGER NOT NULL REFERENCES ca(id),"
	" at INTEGER NOT NULL,"
	" revision INTEGER NOT NULL,"
	" count INTEGER NOT NULL);";

static const char *const ocsp_migrations[] = { ocsp_v1 };

const struct sq_part sq_part_ocsp = { "ocsp", 1, ocsp_migrations, NULL, 0 };

static int
sq_ocsp_put(gp_store *gs, const gp_ocsp_presigned *p)
{
	static const char what[] = "storing a pre-signed OCSP response";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT OR REPLACE INTO ocsp_presigned (ca_id, serial,"
	    " this_update, next_update, revision, der_sha1, der_sha256)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", what)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, p->ca_id);
	sqlite3_bind_blob(st, 2, p->serial, (int)p->serial_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, p->this_update);
	sqlite3_bind_int64(st, 4, p->next_update);
	sqlite3_bind_int64(st, 5, p->revision);
	sqlite3_bind_blob(st, 6, p->der_sha1, (int)p->der_sha1_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, p->der_sha256, (int)p->der_sha256_len, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		r = sq_fail(s, rc, what);
	sq_done(s, st);
	return r;
}

static int
sq_ocsp_get(gp_ocsp_presigned **out, gp_store *gs, int64_t ca_id,
    const unsigned char *serial, size_t serial_len, int with_der)
{
	static const char what[] = "reading a pre-signed OCSP response";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	gp_ocsp_presigned *p = NULL;
	int rc, r;

	*out = NULL;
	if ((r = sq_prep(s, &st, with_der ?
	    "SELECT this_update, next_update, revision, der_sha1, der_sha256"
	    " FROM ocsp_presigned WHERE ca_id = ?1 AND serial = ?2" :
	    "SELECT this_update, next_update, revision"
	    " FROM ocsp_presigned WHERE ca_id = ?1 AND serial = ?2", what)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, ca_id);
	sqlite3_bind_blob(st, 2, serial, (int)serial_len, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = GP_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	p->ca_id = ca_id;
	memcpy(p->serial, serial, serial_len);
	p->serial_len = serial_len;
	p->this_update = sqlite3_column_int64(st, 0);
	p->next_update = sqlite3_column_int64(st, 1);
	p->revision = sqlite3_column_int64(st, 2);
	if (with_der && ((r = dup_blob(&p->der_sha1, &p->der_sha1_len, st, 3)) != 0 ||
	    (r = dup_blob(&p->der_sha256, &p->der_sha256_len, st, 4)) != 0))
		goto out;
	*out = p;
	p = NULL;
	r = 0;
out:
	sq_done(s, st);
	gp_ocsp_presigned_free(p);
	return r;
}

static int
sq_ocsp_run_add(gp_store *gs, int64_t ca_id, int64_t at, int64_t revision, int64_t count)
{
	static const char what[] = "recording a presign run";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO ocsp_presign_run (ca_id, at, revision, count)"
	    " VALUES (?1, ?2, ?3, ?4)", what)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, ca_id);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_int64(st, 3, revision);
	sqlite3_bind_int64(st, 4, count);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		r = sq_fail(s, rc, what);
	sq_done(s, st);
	return r;
}

static int
sq_ocsp_generation(int64_t *out, gp_store *gs)
{
	static const char what[] = "reading the presign generation";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	*out = 0;
	if ((r = sq_prep(s, &st, "SELECT coalesce(max(id), 0) FROM ocsp_presign_run", what)) != 0)
		return r;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		r = sq_fail(s, rc, what);
	sq_done(s, st);
	return r;
}

const struct gp_store_ocsp_ops sq_ocsp_ops = {
	sq_ocsp_put,
	sq_ocsp_get,
	sq_ocsp_run_add,
	sq_ocsp_generation
};
