/* lib/store_sqlite_seal.c: the SQLite part of the electronic seals and their status */
#include "config.h"

#include <stdlib.h>

#include "error_int.h"
#include "store_sqlite_int.h"
#include "store_seal_int.h"

/* Schema part "seal", version 1: the seal register (GB/T 38540-2020 §8.2
 * asks verifiers whether a seal is still valid; this is where it is
 * answered).  es_id is unique; der is the seal as made. */
static const char seal_v1[] =
	"CREATE TABLE seal ("
	" id INTEGER PRIMARY KEY,"
	" es_id TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL,"
	" type INTEGER NOT NULL,"
	" version INTEGER NOT NULL,"
	" maker TEXT,"
	" created INTEGER NOT NULL,"
	" valid_start INTEGER NOT NULL,"
	" valid_end INTEGER NOT NULL,"
	" status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1)),"
	" revoked_at INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT,"
	" der BLOB NOT NULL);"
	"CREATE INDEX seal_status ON seal(status);";

static const char *const seal_migrations[] = { seal_v1 };

/* Every seal is registered with a seal.make entry and revoked once, with
 * a seal.revoke entry (seal/register.c), each naming its es_id.  The time
 * of a revocation may be given: it does not order the entries. */
static const struct sq_audit_sql seal_audit[] = {
	{ GP_AUDIT_OBJ_SEAL, "SELECT count(*) FROM seal",
	  "SELECT es_id, NULL FROM seal ORDER BY id DESC LIMIT 1 OFFSET ?2",
	  "SELECT es_id, NULL FROM seal WHERE es_id NOT IN " SQ_LOGGED " ORDER BY id LIMIT 1" },
	{ GP_AUDIT_OBJ_SEAL_REVOKED, "SELECT count(*) FROM seal WHERE status = 1", NULL,
	  "SELECT es_id, NULL FROM seal WHERE status = 1 AND es_id NOT IN " SQ_LOGGED
	  " ORDER BY revoked_at, id LIMIT 1" },
};

const struct sq_part sq_part_seal = { "seal", 1, seal_migrations, seal_audit,
	sizeof(seal_audit) / sizeof(seal_audit[0]) };

#define SEAL_COLS "id, es_id, name, type, version, maker, created, valid_start," \
	" valid_end, status, revoked_at, reason, der"

static int
row_read(gp_seal_info **out, sqlite3_stmt *st)
{
	gp_seal_info *i;
	int r;

	*out = NULL;
	if ((i = calloc(1, sizeof(*i))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	i->id = sqlite3_column_int64(st, 0);
	i->type = sqlite3_column_int(st, 3);
	i->version = sqlite3_column_int(st, 4);
	i->created = sqlite3_column_int64(st, 6);
	i->valid_start = sqlite3_column_int64(st, 7);
	i->valid_end = sqlite3_column_int64(st, 8);
	i->status = sqlite3_column_int(st, 9);
	i->revoked_at = sqlite3_column_int64(st, 10);
	if ((r = dup_text(&i->es_id, st, 1)) != 0 || (r = dup_text(&i->name, st, 2)) != 0 ||
	    (r = dup_text(&i->maker, st, 5)) != 0 || (r = dup_text(&i->reason, st, 11)) != 0 ||
	    (r = dup_blob(&i->der, &i->der_len, st, 12)) != 0)
		goto out;
	*out = i;
	i = NULL;
	r = 0;
out:
	gp_seal_info_free(i);
	return r;
}

static int
sq_seal_add(gp_store *gs, gp_seal_info *info)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO seal (es_id, name, type, version, maker, created,"
	    " valid_start, valid_end, status, revoked_at, reason, der)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0, NULL, ?9)", "adding a seal")) != 0)
		return r;
	if ((rc = bind_text(st, 1, info->es_id)) != SQLITE_OK || (rc = bind_text(st, 2, info->name)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, info->maker)) != SQLITE_OK) {
		r = sq_fail(s, rc, "adding a seal");
		goto out;
	}
	sqlite3_bind_int(st, 3, info->type);
	sqlite3_bind_int(st, 4, info->version);
	sqlite3_bind_int64(st, 6, info->created);
	sqlite3_bind_int64(st, 7, info->valid_start);
	sqlite3_bind_int64(st, 8, info->valid_end);
	sqlite3_bind_blob(st, 9, info->der, (int)info->der_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		r = gp_err(GP_E_EXISTS, "seal %s is already registered", info->es_id);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sq_fail(s, rc, "adding a seal");
		goto out;
	}
	info->id = sqlite3_last_insert_rowid(s->db);
	info->status = GP_SEAL_STATUS_GOOD;
	r = 0;
out:
	sq_done(s, st);
	return r;
}

static int
sq_seal_get(gp_store *gs, const char *es_id, gp_seal_info **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "SELECT " SEAL_COLS " FROM seal WHERE es_id = ?1", "reading a seal")) != 0)
		return r;
	if ((rc = bind_text(st, 1, es_id)) != SQLITE_OK) {
		r = sq_fail(s, rc, "reading a seal");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = gp_err(GP_E_NOTFOUND, "no seal %s in the register", es_id);
	else if (rc != SQLITE_ROW)
		r = sq_fail(s, rc, "reading a seal");
	else
		r = row_read(out, st);
out:
	sq_done(s, st);
	return r;
}

static int
sq_seal_set_status(gp_store *gs, const char *es_id, int status, int64_t when, const char *reason)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "UPDATE seal SET status = ?2, revoked_at = ?3, reason = ?4"
	    " WHERE es_id = ?1", "changing a seal's status")) != 0)
		return r;
	if ((rc = bind_text(st, 1, es_id)) != SQLITE_OK || (rc = bind_text(st, 4, reason)) != SQLITE_OK) {
		r = sq_fail(s, rc, "changing a seal's status");
		goto out;
	}
	sqlite3_bind_int(st, 2, status);
	sqlite3_bind_int64(st, 3, status == GP_SEAL_STATUS_GOOD ? 0 : when);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "changing a seal's status");
		goto out;
	}
	if (sqlite3_changes(s->db) == 0)
		r = gp_err(GP_E_NOTFOUND, "no seal %s in the register", es_id);
out:
	sq_done(s, st);
	return r;
}

/* A seal list's callback and its argument. */
struct seal_walk {
	gp_seal_cb cb;
	void *arg;
};

/* sq_each_row's row function of sq_seal_list: the callback gets a copy of
 * the row, freed after the call. */
static int
seal_row(void *arg, sqlite3_stmt *st)
{
	const struct seal_walk *w = arg;
	gp_seal_info *i;
	int r;

	if ((r = row_read(&i, st)) != 0)
		return r;
	r = w->cb(w->arg, i);
	gp_seal_info_free(i);
	return r;
}

static int
sq_seal_list(gp_store *gs, int status, gp_seal_cb cb, void *arg)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct seal_walk w = { cb, arg };
	int r;

	if ((r = sq_prep(s, &st, "SELECT " SEAL_COLS " FROM seal WHERE (?1 < 0 OR status = ?1)"
	    " ORDER BY id", "listing seals")) != 0)
		return r;
	sqlite3_bind_int(st, 1, status);
	r = sq_each_row(s, st, seal_row, &w, "listing seals");
	sq_done(s, st);
	return r;
}

const struct gp_store_seal_ops sq_seal_ops = {
	sq_seal_add,
	sq_seal_get,
	sq_seal_set_status,
	sq_seal_list,
};
