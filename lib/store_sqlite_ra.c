/* lib/store_sqlite_ra.c: the SQLite part of the RA workflow: requests, approvals, officers, API tokens */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_int.h"
#include "store_sqlite_int.h"
#include "store_ra_int.h"
#include "util.h"

/*
 * Schema part "ra", version 1.  Kinds and states are the GP_RA_* numbers
 * of govpki/ra.h (CHECKed).  A request's approvals are rows of
 * ra_approval, one per officer (the primary key makes approving twice
 * impossible even under concurrent writers).  Tokens keep only the
 * SHA-256 of the token.
 */
static const char ra_v1[] =
	"CREATE TABLE ra_request ("
	" id INTEGER PRIMARY KEY,"
	" kind INTEGER NOT NULL CHECK (kind IN (0, 1)),"
	" status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 5),"
	" ca TEXT NOT NULL,"
	" profile TEXT,"
	" subject TEXT,"
	" sans TEXT,"
	" contact_name TEXT,"
	" contact_email TEXT,"
	" contact_phone TEXT,"
	" submitter TEXT NOT NULL,"
	" submitted INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" approvals_needed INTEGER NOT NULL,"
	" revoke_reason INTEGER NOT NULL DEFAULT -1,"
	" reason TEXT,"
	" serial BLOB,"
	" csr BLOB);"
	"CREATE INDEX ra_request_status ON ra_request(status);"
	"CREATE INDEX ra_request_submitter ON ra_request(submitter);"
	"CREATE TABLE ra_approval ("
	" request_id INTEGER NOT NULL REFERENCES ra_request(id),"
	" officer TEXT NOT NULL,"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY (request_id, officer)) WITHOUT ROWID;"
	"CREATE TABLE ra_officer ("
	" name TEXT PRIMARY KEY,"
	" role INTEGER NOT NULL CHECK (role IN (0, 1, 2)),"
	" ca_id INTEGER NOT NULL REFERENCES ca(id),"
	" serial BLOB NOT NULL,"
	" fingerprint BLOB NOT NULL UNIQUE,"
	" subject TEXT NOT NULL,"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE ra_token ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" hash BLOB NOT NULL UNIQUE,"
	" profiles TEXT NOT NULL,"
	" expires INTEGER NOT NULL,"
	" revoked INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL);";

/*
 * Version 2: an approval keeps the officer's comment; the proofs of
 * possession used, so that a challenge serves once (issue 21.6), kept
 * until they expire.
 */
static const char ra_v2[] =
	"ALTER TABLE ra_approval ADD COLUMN comment TEXT;"
	"CREATE TABLE ra_challenge_used ("
	" challenge TEXT PRIMARY KEY,"
	" expires INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX ra_challenge_expires ON ra_challenge_used(expires);";

static const char *const ra_migrations[] = { ra_v1, ra_v2 };

/* Every request, officer and token is made with its entry (ra/ra.c:
 * ra.submit, ra.officer.add, ra.token.create), naming it "request:ID",
 * "officer:NAME", "token:ID"; rowids follow the order they were made. */
static const struct sq_audit_sql ra_audit[] = {
	{ GP_AUDIT_OBJ_RA_REQUEST, "SELECT count(*) FROM ra_request",
	  "SELECT 'request:' || id, NULL FROM ra_request ORDER BY id DESC LIMIT 1 OFFSET ?2",
	  "SELECT 'request:' || id, NULL FROM ra_request WHERE 'request:' || id NOT IN "
	  SQ_LOGGED " ORDER BY id LIMIT 1" },
	{ GP_AUDIT_OBJ_RA_OFFICER, "SELECT count(*) FROM ra_officer",
	  "SELECT 'officer:' || name, NULL FROM ra_officer ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
	  "SELECT 'officer:' || name, NULL FROM ra_officer WHERE 'officer:' || name NOT IN "
	  SQ_LOGGED " ORDER BY rowid LIMIT 1" },
	{ GP_AUDIT_OBJ_RA_TOKEN, "SELECT count(*) FROM ra_token",
	  "SELECT 'token:' || id, NULL FROM ra_token ORDER BY id DESC LIMIT 1 OFFSET ?2",
	  "SELECT 'token:' || id, NULL FROM ra_token WHERE 'token:' || id NOT IN "
	  SQ_LOGGED " ORDER BY id LIMIT 1" },
};

const struct sq_part sq_part_ra = { "ra", 2, ra_migrations, ra_audit,
	sizeof(ra_audit) / sizeof(ra_audit[0]) };


/* Borrowed views of the current row of a RA_REQ_COLS, RA_OFFICER_COLS or
 * RA_TOKEN_COLS statement (valid until the next step). */
static void
req_borrow(gp_ra_request *r, sqlite3_stmt *st)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->kind = sqlite3_column_int(st, 1);
	r->status = sqlite3_column_int(st, 2);
	r->ca = (char *)sqlite3_column_text(st, 3);
	r->profile = (char *)sqlite3_column_text(st, 4);
	r->subject = (char *)sqlite3_column_text(st, 5);
	r->sans = (char *)sqlite3_column_text(st, 6);
	r->contact_name = (char *)sqlite3_column_text(st, 7);
	r->contact_email = (char *)sqlite3_column_text(st, 8);
	r->contact_phone = (char *)sqlite3_column_text(st, 9);
	r->submitter = (char *)sqlite3_column_text(st, 10);
	r->submitted = sqlite3_column_int64(st, 11);
	r->updated = sqlite3_column_int64(st, 12);
	r->approvals_needed = sqlite3_column_int(st, 13);
	r->revoke_reason = sqlite3_column_int(st, 14);
	r->reason = (char *)sqlite3_column_text(st, 15);
	r->serial_len = copy_fixed(r->serial, sizeof(r->serial), st, 16);
	r->csr = (unsigned char *)sqlite3_column_blob(st, 17);
	r->csr_len = (size_t)sqlite3_column_bytes(st, 17);
}

static void
officer_borrow(gp_ra_officer *o, sqlite3_stmt *st)
{
	memset(o, 0, sizeof(*o));
	o->name = (char *)sqlite3_column_text(st, 0);
	o->role = sqlite3_column_int(st, 1);
	o->ca_id = sqlite3_column_int64(st, 2);
	o->serial_len = copy_fixed(o->serial, sizeof(o->serial), st, 3);
	copy_fixed(o->fingerprint, sizeof(o->fingerprint), st, 4);
	o->subject = (char *)sqlite3_column_text(st, 5);
	o->enabled = sqlite3_column_int(st, 6);
	o->created = sqlite3_column_int64(st, 7);
}

static void
token_borrow(gp_ra_token *t, sqlite3_stmt *st)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	t->name = (char *)sqlite3_column_text(st, 1);
	copy_fixed(t->hash, sizeof(t->hash), st, 2);
	t->profiles = (char *)sqlite3_column_text(st, 3);
	t->expires = sqlite3_column_int64(st, 4);
	t->revoked = sqlite3_column_int(st, 5);
	t->created = sqlite3_column_int64(st, 6);
}

/*
 * What an RA list hands its rows to (ra_row, for sq_each_row): the
 * caller's callback, the one of the list's type (the others are NULL),
 * and its argument.
 */
struct ra_walk {
	gp_ra_request_cb req;
	gp_ra_officer_cb officer;
	gp_ra_token_cb token;
	void *arg;
};

/* Borrows the row as the list's type (valid only during the callback)
 * and hands it to the callback. */
static int
ra_row(void *arg, sqlite3_stmt *st)
{
	const struct ra_walk *w = arg;
	gp_ra_request q;
	gp_ra_officer o;
	gp_ra_token t;

	if (w->req != NULL) {
		req_borrow(&q, st);
		return w->req(w->arg, &q);
	}
	if (w->officer != NULL) {
		officer_borrow(&o, st);
		return w->officer(w->arg, &o);
	}
	token_borrow(&t, st);
	return w->token(w->arg, &t);
}

/* Walks the rows of sql, a string constant without parameters (sq_prep). */
static int
walk_all(sq_store *s, const char *sql, sq_row_fn row, void *arg, const char *what)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_prep(s, &st, sql, what)) == 0)
		r = sq_each_row(s, st, row, arg, what);
	sq_done(s, st);
	return r;
}

static int
sq_req_add(gp_store *gs, gp_ra_request *q)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO ra_request (kind, status, ca, profile, subject,"
	    " sans, contact_name, contact_email, contact_phone, submitter, submitted,"
	    " updated, approvals_needed, revoke_reason, reason, serial, csr) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
	    "adding an RA request")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int(st, 1, q->kind)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, q->status)) != SQLITE_OK ||
	    (rc = bind_text(st, 3, q->ca)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, q->profile)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, q->subject)) != SQLITE_OK ||
	    (rc = bind_text(st, 6, q->sans)) != SQLITE_OK ||
	    (rc = bind_text(st, 7, q->contact_name)) != SQLITE_OK ||
	    (rc = bind_text(st, 8, q->contact_email)) != SQLITE_OK ||
	    (rc = bind_text(st, 9, q->contact_phone)) != SQLITE_OK ||
	    (rc = bind_text(st, 10, q->submitter)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 11, q->submitted)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 12, q->updated)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 13, q->approvals_needed)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 14, q->revoke_reason)) != SQLITE_OK ||
	    (rc = bind_text(st, 15, q->reason)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 16, q->serial, q->serial_len)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 17, q->csr, q->csr_len)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "adding an RA request");
		goto out;
	}
	q->id = sqlite3_last_insert_rowid(s->db);
	r = 0;
out:
	sq_done(s, st);
	return r;
}

/* sq_req_get's row function: adds the approving officer and the
 * approval's comment to the request. */
static int
approver_row(void *arg, sqlite3_stmt *st)
{
	gp_ra_request *q = arg;
	char **a = realloc(q->approvers, (q->napprovers + 1) * sizeof(*a)), **c;
	int r;

	if (a == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	q->approvers = a;
	a[q->napprovers] = NULL;
	if ((c = realloc(q->comments, (q->napprovers + 1) * sizeof(*c))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	q->comments = c;
	c[q->napprovers] = NULL;
	if ((r = gp_strdup(&a[q->napprovers], (const char *)sqlite3_column_text(st, 0))) != 0 ||
	    (r = gp_strdup(&c[q->napprovers], (const char *)sqlite3_column_text(st, 1))) != 0) {
		free(a[q->napprovers]);
		return r;
	}
	q->napprovers++;
	return 0;
}

static int
sq_req_get(gp_store *gs, int64_t id, gp_ra_request **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	gp_ra_request b, *q = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "SELECT " RA_REQ_COLS " FROM ra_request WHERE id = ?1",
	    "reading an RA request")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? gp_err(GP_E_NOTFOUND, "no RA request %lld", (long long)id) :
		    sq_fail(s, rc, "reading an RA request");
		goto out;
	}
	req_borrow(&b, st);     /* no approvers yet: they come below */
	if ((r = gp_ra_request_dup(&q, &b)) != 0)
		goto out;
	sq_done(s, st);
	st = NULL;
	/* WITHOUT ROWID: same-second approvals come in officer order */
	if ((r = sq_prep(s, &st, "SELECT officer, comment FROM ra_approval WHERE request_id = ?1"
	    " ORDER BY time, officer", "reading approvals")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if ((r = sq_each_row(s, st, approver_row, q, "reading approvals")) != 0)
		goto out;
	*out = q;
	q = NULL;
	r = 0;
out:
	sq_done(s, st);
	gp_ra_request_free(q);
	return r;
}

static int
sq_req_list(gp_store *gs, const gp_ra_filter *f, gp_ra_request_cb cb, void *arg)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct ra_walk w = { .req = cb, .arg = arg };
	char sql[512];
	int rc, r;

	/* only fixed fragments are pasted; every value is a bound parameter */
	snprintf(sql, sizeof(sql), "SELECT " RA_REQ_COLS " FROM ra_request WHERE id > ?1%s%s%s%s"
	    " ORDER BY id LIMIT ?6",
	    f->status >= 0 ? " AND status = ?2" : "",
	    f->profile ? " AND profile = ?3" : "",
	    f->submitter ? " AND submitter = ?4" : "",
	    f->since ? " AND submitted >= ?5" : "");
	if ((r = sq_prep_once(s, &st, sql, "listing RA requests")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, f->after_id)) != SQLITE_OK ||
	    (f->status >= 0 && (rc = sqlite3_bind_int(st, 2, f->status)) != SQLITE_OK) ||
	    (f->profile && (rc = bind_text(st, 3, f->profile)) != SQLITE_OK) ||
	    (f->submitter && (rc = bind_text(st, 4, f->submitter)) != SQLITE_OK) ||
	    (f->since && (rc = sqlite3_bind_int64(st, 5, f->since)) != SQLITE_OK) ||
	    (rc = sqlite3_bind_int64(st, 6, f->limit > 0 ? f->limit : -1)) != SQLITE_OK) {
		r = sq_fail(s, rc, "listing RA requests");
		goto out;
	}
	r = sq_each_row(s, st, ra_row, &w, "listing RA requests");
out:
	sq_done(s, st);
	return r;
}

static int
sq_req_set_status(gp_store *gs, int64_t id, int from, int to, const char *reason,
    const unsigned char *serial, size_t serial_len, int64_t when)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	/* compare and set: the row changes only if it is still in from */
	if ((r = sq_prep(s, &st, "UPDATE ra_request SET status = ?3, updated = ?4,"
	    " reason = coalesce(?5, reason), serial = coalesce(?6, serial)"
	    " WHERE id = ?1 AND status = ?2", "updating an RA request")) != 0)
		goto out;
	if ((rc = sqlite3_bind_int64(st, 1, id)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, from)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 3, to)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, when)) != SQLITE_OK ||
	    (rc = bind_text(st, 5, reason)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 6, serial, serial_len)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "updating an RA request");
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		sq_done(s, st);
		st = NULL;
		if ((r = sq_prep(s, &st, "SELECT 1 FROM ra_request WHERE id = ?1",
		    "updating an RA request")) != 0)
			goto out;
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			r = gp_err(GP_E_STATE, "RA request %lld is not in the expected state",
			    (long long)id);
		else if (rc == SQLITE_DONE)
			r = gp_err(GP_E_NOTFOUND, "no RA request %lld", (long long)id);
		else
			r = sq_fail(s, rc, "updating an RA request");
		goto out;
	}
	r = 0;
out:
	sq_done(s, st);
	return r;
}

/* sq_req_count's row function: one status and its count. */
static int
status_count_row(void *arg, sqlite3_stmt *st)
{
	int64_t *counts = arg;
	int k = sqlite3_column_int(st, 0);

	if (k >= 0 && k < GP_RA__NSTATUS)
		counts[k] = sqlite3_column_int64(st, 1);
	return 0;
}

static int
sq_req_count(gp_store *gs, int64_t counts[GP_RA__NSTATUS])
{
	return walk_all(SQ(gs), "SELECT status, count(*) FROM ra_request GROUP BY status",
	    status_count_row, counts, "counting RA requests");
}

static int
sq_approval_add(gp_store *gs, int64_t req_id, const char *officer, const char *comment,
    int64_t when, int *count)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r, mode = TX_NONE;

	if ((r = tx_enter(s, &mode)) != 0)
		return r;
	if ((r = sq_prep(s, &st, "INSERT INTO ra_approval (request_id, officer, time, comment)"
	    " VALUES (?1, ?2, ?3, ?4)", "recording an approval")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, req_id);
	bind_text(st, 2, officer);
	sqlite3_bind_int64(st, 3, when);
	bind_text(st, 4, comment);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			r = gp_err(GP_E_EXISTS, "officer %s already approved request %lld",
			    officer, (long long)req_id);
		else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			r = gp_err(GP_E_NOTFOUND, "no RA request %lld", (long long)req_id);
		else
			r = sq_fail(s, rc, "recording an approval");
		goto out;
	}
	sq_done(s, st);
	st = NULL;
	if ((r = sq_prep(s, &st, "SELECT count(*) FROM ra_approval WHERE request_id = ?1",
	    "counting approvals")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, req_id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = sq_fail(s, rc, "counting approvals");
		goto out;
	}
	*count = sqlite3_column_int(st, 0);
	r = 0;
out:
	sq_done(s, st);
	return tx_leave(s, mode, r);
}

static int
sq_officer_add(gp_store *gs, const gp_ra_officer *o)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO ra_officer (" RA_OFFICER_COLS ") VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", "adding an officer")) != 0)
		goto out;
	if ((rc = bind_text(st, 1, o->name)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 2, o->role)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 3, o->ca_id)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 4, o->serial, o->serial_len)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 5, o->fingerprint, sizeof(o->fingerprint))) != SQLITE_OK ||
	    (rc = bind_text(st, 6, o->subject)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 7, o->enabled)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 8, o->created)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			r = gp_err(GP_E_EXISTS, "an officer named %s or with that certificate"
			    " is already registered", o->name);
		else
			r = sq_fail(s, rc, "adding an officer");
		goto out;
	}
	r = 0;
out:
	sq_done(s, st);
	return r;
}

static int
sq_officer_get(gp_store *gs, const char *name, const unsigned char *fp, gp_ra_officer **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	gp_ra_officer b;
	int rc, r;

	if ((r = sq_prep(s, &st, name != NULL ?
	    "SELECT " RA_OFFICER_COLS " FROM ra_officer WHERE name = ?1" :
	    "SELECT " RA_OFFICER_COLS " FROM ra_officer WHERE fingerprint = ?1",
	    "reading an officer")) != 0)
		goto out;
	if (name != NULL)
		bind_text(st, 1, name);
	else
		bind_blob_n(st, 1, fp, 32);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? gp_err(GP_E_NOTFOUND, "no officer %s%s",
		    name ? "named " : "with that certificate", name ? name : "") :
		    sq_fail(s, rc, "reading an officer");
		goto out;
	}
	officer_borrow(&b, st);
	r = gp_ra_officer_dup(out, &b);
out:
	sq_done(s, st);
	return r;
}

static int
sq_officer_set_enabled(gp_store *gs, const char *name, int enabled)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "UPDATE ra_officer SET enabled = ?2 WHERE name = ?1",
	    "changing an officer")) != 0)
		goto out;
	bind_text(st, 1, name);
	sqlite3_bind_int(st, 2, enabled ? 1 : 0);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "changing an officer");
		goto out;
	}
	r = sqlite3_changes(s->db) ? 0 : gp_err(GP_E_NOTFOUND, "no officer named %s", name);
out:
	sq_done(s, st);
	return r;
}

static int
sq_officer_list(gp_store *gs, gp_ra_officer_cb cb, void *arg)
{
	struct ra_walk w = { .officer = cb, .arg = arg };

	return walk_all(SQ(gs), "SELECT " RA_OFFICER_COLS " FROM ra_officer ORDER BY name",
	    ra_row, &w, "listing officers");
}

static int
sq_token_add(gp_store *gs, gp_ra_token *t)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO ra_token (name, hash, profiles, expires, revoked,"
	    " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "adding a token")) != 0)
		goto out;
	if ((rc = bind_text(st, 1, t->name)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 2, t->hash, sizeof(t->hash))) != SQLITE_OK ||
	    (rc = bind_text(st, 3, t->profiles)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 4, t->expires)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(st, 5, t->revoked)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 6, t->created)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = (rc & 0xff) == SQLITE_CONSTRAINT ?
		    gp_err(GP_E_EXISTS, "token already exists") : sq_fail(s, rc, "adding a token");
		goto out;
	}
	t->id = sqlite3_last_insert_rowid(s->db);
	r = 0;
out:
	sq_done(s, st);
	return r;
}

static int
sq_token_get(gp_store *gs, const unsigned char hash[32], gp_ra_token **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	gp_ra_token b;
	int rc, r;

	if ((r = sq_prep(s, &st, "SELECT " RA_TOKEN_COLS " FROM ra_token WHERE hash = ?1",
	    "reading a token")) != 0)
		goto out;
	bind_blob_n(st, 1, hash, 32);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? gp_err(GP_E_NOTFOUND, "unknown token") :
		    sq_fail(s, rc, "reading a token");
		goto out;
	}
	token_borrow(&b, st);
	r = gp_ra_token_dup(out, &b);
out:
	sq_done(s, st);
	return r;
}

static int
sq_token_revoke(gp_store *gs, int64_t id)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "UPDATE ra_token SET revoked = 1 WHERE id = ?1",
	    "revoking a token")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "revoking a token");
		goto out;
	}
	r = sqlite3_changes(s->db) ? 0 : gp_err(GP_E_NOTFOUND, "no token %lld", (long long)id);
out:
	sq_done(s, st);
	return r;
}

static int
sq_token_list(gp_store *gs, gp_ra_token_cb cb, void *arg)
{
	struct ra_walk w = { .token = cb, .arg = arg };

	return walk_all(SQ(gs), "SELECT " RA_TOKEN_COLS " FROM ra_token ORDER BY id",
	    ra_row, &w, "listing tokens");
}

/* Spends a challenge: forgets those expired before now, then records
 * this one; GP_E_EXISTS when it was spent already. */
static int
sq_challenge_use(gp_store *gs, const char *challenge, int64_t expires, int64_t now)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r, mode = TX_NONE;

	if ((r = tx_enter(s, &mode)) != 0)
		return r;
	if ((r = sq_prep(s, &st, "DELETE FROM ra_challenge_used WHERE expires < ?1",
	    "forgetting expired challenges")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, "forgetting expired challenges");
		goto out;
	}
	sq_done(s, st);
	st = NULL;
	if ((r = sq_prep(s, &st, "INSERT INTO ra_challenge_used (challenge, expires)"
	    " VALUES (?1, ?2)", "spending a challenge")) != 0)
		goto out;
	bind_text(st, 1, challenge);
	sqlite3_bind_int64(st, 2, expires);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = rc == SQLITE_CONSTRAINT_PRIMARYKEY ?
		    gp_err(GP_E_EXISTS, "the challenge was used already") :
		    sq_fail(s, rc, "spending a challenge");
		goto out;
	}
	r = 0;
out:
	sq_done(s, st);
	return tx_leave(s, mode, r);
}

/* One RA write inside a caller's transaction that a failure undoes alone. */
static int
sq_savepoint(gp_store *gs, int what)
{
	sq_store *s = SQ(gs);

	if (sqlite3_get_autocommit(s->db))
		return gp_err(GP_E_STATE, "savepoint: no transaction is open");
	switch (what) {
	case GP_RA_SP_BEGIN:
		return sq_exec(s, "SAVEPOINT gp_ra_op", "starting a savepoint");
	case GP_RA_SP_RELEASE:
		return sq_exec(s, "RELEASE gp_ra_op", "releasing a savepoint");
	default:
		return sq_exec(s, "ROLLBACK TO gp_ra_op; RELEASE gp_ra_op", "undoing a savepoint");
	}
}

const struct gp_store_ra_ops sq_ra_ops = {
	.req_add = sq_req_add,
	.req_get = sq_req_get,
	.req_list = sq_req_list,
	.req_set_status = sq_req_set_status,
	.req_count = sq_req_count,
	.approval_add = sq_approval_add,
	.officer_add = sq_officer_add,
	.officer_get = sq_officer_get,
	.officer_set_enabled = sq_officer_set_enabled,
	.officer_list = sq_officer_list,
	.token_add = sq_token_add,
	.token_get = sq_token_get,
	.token_revoke = sq_token_revoke,
	.token_list = sq_token_list,
	.savepoint = sq_savepoint,
	.challenge_use = sq_challenge_use,
};
