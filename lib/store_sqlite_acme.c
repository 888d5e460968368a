/* lib/store_sqlite_acme.c: the SQLite part of the ACME server: accounts, orders, authorizations, EAB keys */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_int.h"
#include "store_sqlite_int.h"
#include "store_acme_int.h"
#include "util.h"

/*
 * Schema part "acme", version 1.  Statuses are the GP_ACME_* numbers of
 * govpki/acme.h (CHECKed).  An authorization belongs to one order (no
 * reuse across orders), and its challenges share its token, so they are
 * columns of it: the type tried, its status, its error.  An account key
 * is unique by its RFC 7638 thumbprint; EAB keys keep SHA-256 of the MAC
 * key handed out (which, the key being longer than SHA-256's block,
 * is what HMAC keys with: RFC 2104 §2).
 */
static const char acme_v1[] =
	"CREATE TABLE acme_account ("
	" id INTEGER PRIMARY KEY,"
	" profile TEXT NOT NULL,"
	" thumb BLOB NOT NULL UNIQUE,"
	" jwk TEXT NOT NULL,"
	" status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 7),"
	" contact TEXT,"
	" eab_kid TEXT,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE acme_order ("
	" id INTEGER PRIMARY KEY,"
	" account INTEGER NOT NULL REFERENCES acme_account(id),"
	" profile TEXT NOT NULL,"
	" status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 7),"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" identifiers TEXT NOT NULL,"
	" error TEXT,"
	" serial BLOB,"
	" ra_request INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX acme_order_serial ON acme_order(serial) WHERE serial IS NOT NULL;"
	"CREATE TABLE acme_authz ("
	" id INTEGER PRIMARY KEY,"
	" order_id INTEGER NOT NULL REFERENCES acme_order(id),"
	" account INTEGER NOT NULL REFERENCES acme_account(id),"
	" id_type INTEGER NOT NULL CHECK (id_type IN (0, 1)),"
	" value TEXT NOT NULL,"
	" wildcard INTEGER NOT NULL,"
	" status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 7),"
	" expires INTEGER NOT NULL,"
	" token TEXT NOT NULL,"
	" chall INTEGER NOT NULL DEFAULT -1,"
	" chall_status INTEGER NOT NULL DEFAULT 0,"
	" validated INTEGER NOT NULL DEFAULT 0,"
	" error TEXT);"
	"CREATE INDEX acme_authz_order ON acme_authz(order_id);"
	"CREATE TABLE acme_eab ("
	" kid TEXT PRIMARY KEY,"
	" profile TEXT NOT NULL,"
	" key_hash BLOB NOT NULL,"
	" created INTEGER NOT NULL,"
	" used_by INTEGER NOT NULL DEFAULT 0);";

/* Version 2: an account's authorizations by status (account_cancel). */
static const char acme_v2[] =
	"CREATE INDEX acme_authz_account ON acme_authz(account, status);";

/* Version 3: the rate limits: who made an account, and the indexes that
 * count accounts by it and orders by account. */
static const char acme_v3[] =
	"ALTER TABLE acme_account ADD COLUMN client TEXT;"
	"CREATE INDEX acme_account_client ON acme_account(client, created)"
	" WHERE client IS NOT NULL;"
	"CREATE INDEX acme_order_account ON acme_order(account, created);";

static const char *const acme_migrations[] = { acme_v1, acme_v2, acme_v3 };

const struct sq_part sq_part_acme = { "acme", 3, acme_migrations, NULL, 0 };

#define ACCOUNT_COLS "id, profile, thumb, jwk, status, contact, eab_kid, created, client"
#define ORDER_COLS "id, account, profile, status, created, expires, identifiers, error," \
	" serial, ra_request"
#define AUTHZ_COLS "id, order_id, account, id_type, value, wildcard, status, expires," \
	" token, chall, chall_status, validated, error"

/* Steps a bound write; GP_E_EXISTS for a UNIQUE or PRIMARY KEY conflict. */
static int
step_write(sq_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE ||
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		return gp_err(GP_E_EXISTS, "%s: already there", what);
	return sq_fail(s, rc, what);
}

/* After a compare-and-set UPDATE that changed nothing: GP_E_NOTFOUND when
 * the row is absent, GP_E_STATE when it is in another state. */
static int
cas_miss(sq_store *s, const char *exists_sql, int64_t id, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, exists_sql, what)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = gp_err(GP_E_STATE, "%s %lld: not in the expected state", what, (long long)id);
	else if (rc == SQLITE_DONE)
		r = gp_err(GP_E_NOTFOUND, "%s %lld: no such row", what, (long long)id);
	else
		r = sq_fail(s, rc, what);
	sq_done(s, st);
	return r;
}

/* ------------------------------------------------------------ accounts */

static int
sq_account_add(gp_store *gs, gp_acme_account *a)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO acme_account (profile, thumb, jwk, status, contact,"
	    " eab_kid, created, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    "adding an ACME account")) != 0)
		goto out;
	if ((rc = bind_text(st, 1, a->profile)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 2, a->thumb, sizeof(a->thumb))) != SQLITE_OK ||
	    (rc = bind_text(st, 3, a->jwk)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 4, a->status)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, a->contact)) != SQLITE_OK ||
	    (rc = bind_text(st, 6, a->eab_kid)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, a->created)) != SQLITE_OK ||
	    (rc = bind_text(st, 8, a->client)) != SQLITE_OK) {
		r = sq_fail(s, rc, "adding an ACME account");
		goto out;
	}
	if ((r = step_write(s, st, "adding an ACME account")) != 0)
		goto out;
	a->id = sqlite3_last_insert_rowid(s->db);
out:
	sq_done(s, st);
	return r;
}

static int
account_row(void *arg, sqlite3_stmt *st)
{
	gp_acme_account **out = arg, *a;
	int r;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	a->id = sqlite3_column_int64(st, 0);
	copy_fixed(a->thumb, sizeof(a->thumb), st, 2);
	a->status = sqlite3_column_int(st, 4);
	a->created = sqlite3_column_int64(st, 7);
	if ((r = dup_text(&a->profile, st, 1)) != 0 || (r = dup_text(&a->jwk, st, 3)) != 0 ||
	    (r = dup_text(&a->contact, st, 5)) != 0 || (r = dup_text(&a->eab_kid, st, 6)) != 0 ||
	    (r = dup_text(&a->client, st, 8)) != 0) {
		gp_acme_account_free(a);
		return r;
	}
	*out = a;
	return 1;
}

/* Runs a one-row SELECT bound by the caller; GP_E_NOTFOUND naming what
 * when there is none.  row returns 1 once it took the row. */
static int
get_one(sq_store *s, sqlite3_stmt *st, sq_row_fn row, void *out, const char *what)
{
	int r = sq_each_row(s, st, row, out, what);

	if (r == 1)
		return 0;
	if (r == 0)
		return gp_err(GP_E_NOTFOUND, "%s: not found", what);
	return r;
}

static int
sq_account_get(gp_store *gs, int64_t id, const unsigned char *thumb, gp_acme_account **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	if (thumb != NULL) {
		if ((r = sq_prep(s, &st, "SELECT " ACCOUNT_COLS " FROM acme_account WHERE thumb = ?1",
		    "reading an ACME account")) != 0)
			return r;
		bind_blob_n(st, 1, thumb, 32);
	} else {
		if ((r = sq_prep(s, &st, "SELECT " ACCOUNT_COLS " FROM acme_account WHERE id = ?1",
		    "reading an ACME account")) != 0)
			return r;
		sqlite3_bind_int64(st, 1, id);
	}
	r = get_one(s, st, account_row, out, "ACME account");
	sq_done(s, st);
	return r;
}

static int
sq_account_update(gp_store *gs, int64_t id, int from, int to, const char *contact,
    const char *jwk, const unsigned char *thumb)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "UPDATE acme_account SET status = ?3,"
	    " contact = coalesce(?4, contact), jwk = coalesce(?5, jwk), thumb = coalesce(?6, thumb)"
	    " WHERE id = ?1 AND status = ?2", "updating an ACME account")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, from)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, to)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, contact)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, jwk)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 6, thumb, thumb ? 32 : 0)) != SQLITE_OK) {
		r = sq_fail(s, rc, "updating an ACME account");
		goto out;
	}
	if ((r = step_write(s, st, "updating an ACME account")) != 0)
		goto out;
	if (sqlite3_changes(s->db) == 0)
		r = cas_miss(s, "SELECT 1 FROM acme_account WHERE id = ?1", id, "ACME account");
out:
	sq_done(s, st);
	return r;
}

struct count {
	int64_t n, first;
};

static int
count_row(void *arg, sqlite3_stmt *st)
{
	struct count *c = arg;

	c->n = sqlite3_column_int64(st, 0);
	c->first = sqlite3_column_int64(st, 1);
	return 1;
}

/* One "SELECT count(*), coalesce(min(created), 0) ..." bound by the caller. */
static int
count_run(sq_store *s, sqlite3_stmt *st, int64_t *n, int64_t *first, const char *what)
{
	struct count c = { 0, 0 };
	int r = sq_each_row(s, st, count_row, &c, what);

	sq_done(s, st);
	if (r < 0)
		return r;
	*n = c.n;
	*first = c.first;
	return 0;
}

static int
sq_account_count(gp_store *gs, const char *client, int64_t since, int64_t *n, int64_t *first)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_prep(s, &st, "SELECT count(*), coalesce(min(created), 0) FROM acme_account"
	    " WHERE client = ?1 AND created >= ?2", "counting ACME accounts")) != 0)
		return r;
	bind_text(st, 1, client);
	sqlite3_bind_int64(st, 2, since);
	return count_run(s, st, n, first, "counting ACME accounts");
}

static int
sq_order_count(gp_store *gs, int64_t account, int64_t since, int64_t *n, int64_t *first)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_prep(s, &st, "SELECT count(*), coalesce(min(created), 0) FROM acme_order"
	    " WHERE account = ?1 AND created >= ?2", "counting ACME orders")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, since);
	return count_run(s, st, n, first, "counting ACME orders");
}

static int
sq_account_cancel(gp_store *gs, int64_t id, int64_t *nauthz, int64_t *norders)
{
	/* authorizations pending (0) -> deactivated (5); orders pending (0)
	 * or ready (1) -> invalid (4): govpki/acme.h's numbers */
	static const char *const sql[2] = {
		"UPDATE acme_authz SET status = 5 WHERE account = ?1 AND status = 0",
		"UPDATE acme_order SET status = 4 WHERE account = ?1 AND status IN (0, 1)",
	};
	int64_t *n[2] = { nauthz, norders };
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r = 0, mode;

	if ((r = tx_enter(s, &mode)) != 0)
		return r;
	for (int i = 0; i < 2 && r == 0; i++) {
		if ((r = sq_prep(s, &st, sql[i], "cancelling an ACME account's work")) != 0)
			break;
		sqlite3_bind_int64(st, 1, id);
		if ((r = step_write(s, st, "cancelling an ACME account's work")) == 0)
			*n[i] = sqlite3_changes(s->db);
		sq_done(s, st);
		st = NULL;
	}
	return tx_leave(s, mode, r);
}

/* -------------------------------------------------------------- orders */

static int
sq_order_add(gp_store *gs, gp_acme_order *o, gp_acme_authz *z, size_t n)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r, mode;

	if ((r = tx_enter(s, &mode)) != 0)
		return r;
	if ((r = sq_prep(s, &st, "INSERT INTO acme_order (account, profile, status, created,"
	    " expires, identifiers) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "adding an ACME order")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, o->account)) != SQLITE_OK ||
	    (rc = bind_text(st, 2, o->profile)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, o->status)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, o->created)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 5, o->expires)) != SQLITE_OK ||
	    (rc = bind_text(st, 6, o->identifiers)) != SQLITE_OK) {
		r = sq_fail(s, rc, "adding an ACME order");
		goto out;
	}
	if ((r = step_write(s, st, "adding an ACME order")) != 0)
		goto out;
	o->id = sqlite3_last_insert_rowid(s->db);
	sq_done(s, st);
	st = NULL;
	if ((r = sq_prep(s, &st, "INSERT INTO acme_authz (order_id, account, id_type, value,"
	    " wildcard, status, expires, token) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    "adding an ACME authorization")) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		z[i].order_id = o->id;
		z[i].account = o->account;
		sqlite3_reset(st);
		if ((rc = sqlite3_bind_int64(st, 1, o->id)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 2, o->account)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 3, z[i].id_type)) != SQLITE_OK ||
		    (rc = bind_text(st, 4, z[i].value)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 5, z[i].wildcard)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int(st, 6, z[i].status)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(st, 7, z[i].expires)) != SQLITE_OK ||
		    (rc = bind_text(st, 8, z[i].token)) != SQLITE_OK) {
			r = sq_fail(s, rc, "adding an ACME authorization");
			goto out;
		}
		if ((r = step_write(s, st, "adding an ACME authorization")) != 0)
			goto out;
		z[i].id = sqlite3_last_insert_rowid(s->db);
	}
out:
	sq_done(s, st);
	return tx_leave(s, mode, r);
}

static int
order_row(void *arg, sqlite3_stmt *st)
{
	gp_acme_order **out = arg, *o;
	int r;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	o->id = sqlite3_column_int64(st, 0);
	o->account = sqlite3_column_int64(st, 1);
	o->status = sqlite3_column_int(st, 3);
	o->created = sqlite3_column_int64(st, 4);
	o->expires = sqlite3_column_int64(st, 5);
	o->serial_len = copy_fixed(o->serial, sizeof(o->serial), st, 8);
	o->ra_request = sqlite3_column_int64(st, 9);
	if ((r = dup_text(&o->profile, st, 2)) != 0 || (r = dup_text(&o->identifiers, st, 6)) != 0 ||
	    (r = dup_text(&o->error, st, 7)) != 0) {
		gp_acme_order_free(o);
		return r;
	}
	*out = o;
	return 1;
}

static int
sq_order_get(gp_store *gs, int64_t id, gp_acme_order **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_prep(s, &st, "SELECT " ORDER_COLS " FROM acme_order WHERE id = ?1",
	    "reading an ACME order")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	r = get_one(s, st, order_row, out, "ACME order");
	sq_done(s, st);
	return r;
}

static int
sq_order_by_serial(gp_store *gs, const unsigned char *serial, size_t serial_len,
    gp_acme_order **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_prep(s, &st, "SELECT " ORDER_COLS " FROM acme_order WHERE serial = ?1"
	    " ORDER BY id LIMIT 1", "reading an ACME order")) != 0)
		return r;
	bind_blob_n(st, 1, serial, serial_len);
	r = get_one(s, st, order_row, out, "ACME order of that certificate");
	sq_done(s, st);
	return r;
}

struct idlist {
	int64_t *v;
	size_t n;
};

static int
id_row(void *arg, sqlite3_stmt *st)
{
	struct idlist *l = arg;
	int64_t *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (v == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	l->v = v;
	v[l->n++] = sqlite3_column_int64(st, 0);
	return 0;
}

static int
sq_order_authzs(gp_store *gs, int64_t order_id, int64_t **ids, size_t *n)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct idlist l = { NULL, 0 };
	int r;

	if ((r = sq_prep(s, &st, "SELECT id FROM acme_authz WHERE order_id = ?1 ORDER BY id",
	    "listing ACME authorizations")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, order_id);
	r = sq_each_row(s, st, id_row, &l, "listing ACME authorizations");
	sq_done(s, st);
	if (r != 0) {
		free(l.v);
		return r;
	}
	*ids = l.v;
	*n = l.n;
	return 0;
}

static int
sq_order_set(gp_store *gs, int64_t id, int from, int to, const char *error,
    const unsigned char *serial, size_t serial_len, int64_t ra_request)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "UPDATE acme_order SET status = ?3, error = coalesce(?4, error),"
	    " serial = coalesce(?5, serial), ra_request = CASE WHEN ?6 > 0 THEN ?6 ELSE ra_request END"
	    " WHERE id = ?1 AND status = ?2", "updating an ACME order")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, from)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, to)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, error)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 5, serial, serial_len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, ra_request)) != SQLITE_OK) {
		r = sq_fail(s, rc, "updating an ACME order");
		goto out;
	}
	if ((r = step_write(s, st, "updating an ACME order")) != 0)
		goto out;
	if (sqlite3_changes(s->db) == 0)
		r = cas_miss(s, "SELECT 1 FROM acme_order WHERE id = ?1", id, "ACME order");
out:
	sq_done(s, st);
	return r;
}

/* ------------------------------------------------------ authorizations */

static int
authz_row(void *arg, sqlite3_stmt *st)
{
	gp_acme_authz **out = arg, *z;
	const unsigned char *tok;
	int r;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	z->id = sqlite3_column_int64(st, 0);
	z->order_id = sqlite3_column_int64(st, 1);
	z->account = sqlite3_column_int64(st, 2);
	z->id_type = sqlite3_column_int(st, 3);
	z->wildcard = sqlite3_column_int(st, 5);
	z->status = sqlite3_column_int(st, 6);
	z->expires = sqlite3_column_int64(st, 7);
	if ((tok = sqlite3_column_text(st, 8)) != NULL)
		snprintf(z->token, sizeof(z->token), "%s", (const char *)tok);
	z->chall = sqlite3_column_int(st, 9);
	z->chall_status = sqlite3_column_int(st, 10);
	z->validated = sqlite3_column_int64(st, 11);
	if ((r = dup_text(&z->value, st, 4)) != 0 || (r = dup_text(&z->error, st, 12)) != 0) {
		gp_acme_authz_free(z);
		return r;
	}
	*out = z;
	return 1;
}

static int
sq_authz_get(gp_store *gs, int64_t id, gp_acme_authz **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_prep(s, &st, "SELECT " AUTHZ_COLS " FROM acme_authz WHERE id = ?1",
	    "reading an ACME authorization")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	r = get_one(s, st, authz_row, out, "ACME authorization");
	sq_done(s, st);
	return r;
}

static int
sq_authz_set(gp_store *gs, int64_t id, int from, int to, int chall, int chall_status,
    const char *error, int64_t validated)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "UPDATE acme_authz SET status = ?3, chall = ?4, chall_status = ?5,"
	    " error = coalesce(?6, error), validated = CASE WHEN ?7 > 0 THEN ?7 ELSE validated END"
	    " WHERE id = ?1 AND status = ?2", "updating an ACME authorization")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, from)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, to)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 4, chall)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 5, chall_status)) != SQLITE_OK ||
	    (rc = bind_text(st, 6, error)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 7, validated)) != SQLITE_OK) {
		r = sq_fail(s, rc, "updating an ACME authorization");
		goto out;
	}
	if ((r = step_write(s, st, "updating an ACME authorization")) != 0)
		goto out;
	if (sqlite3_changes(s->db) == 0)
		r = cas_miss(s, "SELECT 1 FROM acme_authz WHERE id = ?1", id, "ACME authorization");
out:
	sq_done(s, st);
	return r;
}

/* ------------------------------------------------------------ EAB keys */

static int
sq_eab_add(gp_store *gs, const gp_acme_eab *e)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO acme_eab (kid, profile, key_hash, created)"
	    " VALUES (?1, ?2, ?3, ?4)", "adding an EAB key")) != 0)
		goto out;
	if ((rc = bind_text(st, 1, e->kid)) != SQLITE_OK ||
	    (rc = bind_text(st, 2, e->profile)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 3, e->key, sizeof(e->key))) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, e->created)) != SQLITE_OK) {
		r = sq_fail(s, rc, "adding an EAB key");
		goto out;
	}
	r = step_write(s, st, "adding an EAB key");
out:
	sq_done(s, st);
	return r;
}

static int
eab_row(void *arg, sqlite3_stmt *st)
{
	gp_acme_eab **out = arg, *e;
	int r;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	copy_fixed(e->key, sizeof(e->key), st, 2);
	e->created = sqlite3_column_int64(st, 3);
	e->used_by = sqlite3_column_int64(st, 4);
	if ((r = dup_text(&e->kid, st, 0)) != 0 || (r = dup_text(&e->profile, st, 1)) != 0) {
		gp_acme_eab_free(e);
		return r;
	}
	*out = e;
	return 1;
}

static int
sq_eab_get(gp_store *gs, const char *kid, gp_acme_eab **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_prep(s, &st, "SELECT kid, profile, key_hash, created, used_by FROM acme_eab"
	    " WHERE kid = ?1", "reading an EAB key")) != 0)
		return r;
	bind_text(st, 1, kid);
	r = get_one(s, st, eab_row, out, "EAB key");
	sq_done(s, st);
	return r;
}

static int
sq_eab_use(gp_store *gs, const char *kid, int64_t account)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int r;

	/* spent once: the MAC key is wiped, a used binding needs it no more */
	if ((r = sq_prep(s, &st, "UPDATE acme_eab SET used_by = ?2, key_hash = zeroblob(32)"
	    " WHERE kid = ?1 AND used_by = 0",
	    "using an EAB key")) != 0)
		return r;
	bind_text(st, 1, kid);
	sqlite3_bind_int64(st, 2, account);
	if ((r = step_write(s, st, "using an EAB key")) == 0 && sqlite3_changes(s->db) == 0)
		r = gp_err(GP_E_STATE, "EAB key '%.64s' is unknown or bound already", kid);
	sq_done(s, st);
	return r;
}

const struct gp_store_acme_ops sq_acme_ops = {
	.account_add = sq_account_add,
	.account_get = sq_account_get,
	.account_update = sq_account_update,
	.account_cancel = sq_account_cancel,
	.account_count = sq_account_count,
	.order_count = sq_order_count,
	.order_add = sq_order_add,
	.order_get = sq_order_get,
	.order_authzs = sq_order_authzs,
	.order_set = sq_order_set,
	.order_by_serial = sq_order_by_serial,
	.authz_get = sq_authz_get,
	.authz_set = sq_authz_set,
	.eab_add = sq_eab_add,
	.eab_get = sq_eab_get,
	.eab_use = sq_eab_use,
};
