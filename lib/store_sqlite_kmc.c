/* lib/store_sqlite_kmc.c: the SQLite part of the key management centre: escrowed encryption keys */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error_int.h"
#include "store_sqlite_int.h"
#include "store_kmc_int.h"

/*
 * Schema part "kmc", version 1: one row per escrowed key pair.  kid is
 * the record's id (random, 32 hex digits); wrapped is the private key as
 * ca/kmc.c sealed it under the storage key (AES-256-GCM, the record's id,
 * type, public key and certificate link as additional data), so an edited
 * or swapped row fails its tag and is never used.  (ca_id, serial) is the
 * encryption certificate, sign_serial the signing certificate of the
 * pair, both NULL for a key not certified (yet).
 */
static const char kmc_v1[] =
	"CREATE TABLE kmc_key ("
	" id INTEGER PRIMARY KEY,"
	" kid TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" holder TEXT,"
	" ca_id INTEGER REFERENCES ca(id),"
	" serial BLOB,"
	" sign_serial BLOB,"
	" pub BLOB NOT NULL,"
	" wrapped BLOB NOT NULL);"
	"CREATE UNIQUE INDEX kmc_key_cert ON kmc_key(ca_id, serial) WHERE serial IS NOT NULL;"
	"CREATE INDEX kmc_key_sign ON kmc_key(ca_id, sign_serial) WHERE sign_serial IS NOT NULL;";

/*
 * Version 2: key recovery (issue 17.4).  kmc_officer: the officers of role
 * recovery-officer with their certificates (an approval is a signature
 * checked against it); kmc_recovery: a request to deliver an escrowed
 * key to the recipient certificate, needing `needed` approvals of
 * distinct enabled officers (kmc_approval's key makes a second approval
 * of one officer the same row); status 0 pending, 1 delivered.
 */
static const char kmc_v2[] =
	"CREATE TABLE kmc_officer ("
	" name TEXT PRIMARY KEY,"
	" role TEXT NOT NULL CHECK (role = 'recovery-officer'),"
	" fingerprint BLOB NOT NULL UNIQUE,"
	" cert BLOB NOT NULL,"
	" enabled INTEGER NOT NULL DEFAULT 1,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE kmc_recovery ("
	" id INTEGER PRIMARY KEY,"
	" kid TEXT NOT NULL REFERENCES kmc_key(kid),"
	" requester TEXT NOT NULL,"
	" recipient BLOB NOT NULL,"
	" reason TEXT,"
	" needed INTEGER NOT NULL CHECK (needed >= 2),"
	" status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1)),"
	" created INTEGER NOT NULL);"
	"CREATE TABLE kmc_approval ("
	" recovery_id INTEGER NOT NULL REFERENCES kmc_recovery(id),"
	" officer TEXT NOT NULL REFERENCES kmc_officer(name),"
	" time INTEGER NOT NULL,"
	" PRIMARY KEY (recovery_id, officer)) WITHOUT ROWID;";

static const char *const kmc_migrations[] = { kmc_v1, kmc_v2 };

/* Every record is made with a kmc.escrow entry naming "kmc:KID" (ca/kmc.c). */
static const struct sq_audit_sql kmc_audit[] = {
	{ GP_AUDIT_OBJ_KMC_KEY, "SELECT count(*) FROM kmc_key",
	  "SELECT 'kmc:' || kid, NULL FROM kmc_key ORDER BY id DESC LIMIT 1 OFFSET ?2",
	  "SELECT 'kmc:' || kid, NULL FROM kmc_key WHERE 'kmc:' || kid NOT IN " SQ_LOGGED
	  " ORDER BY id LIMIT 1" },
	/* kmc.officer.add per officer, kmc.recover.request per request */
	{ GP_AUDIT_OBJ_KMC_OFFICER, "SELECT count(*) FROM kmc_officer",
	  "SELECT 'kmc-officer:' || name, NULL FROM kmc_officer ORDER BY created DESC, rowid DESC LIMIT 1 OFFSET ?2",
	  "SELECT 'kmc-officer:' || name, NULL FROM kmc_officer WHERE 'kmc-officer:' || name NOT IN " SQ_LOGGED
	  " ORDER BY rowid LIMIT 1" },
	{ GP_AUDIT_OBJ_KMC_RECOVERY, "SELECT count(*) FROM kmc_recovery",
	  "SELECT 'recovery:' || id, NULL FROM kmc_recovery ORDER BY id DESC LIMIT 1 OFFSET ?2",
	  "SELECT 'recovery:' || id, NULL FROM kmc_recovery WHERE 'recovery:' || id NOT IN " SQ_LOGGED
	  " ORDER BY id LIMIT 1" },
};

const struct sq_part sq_part_kmc = { "kmc", 2, kmc_migrations, kmc_audit,
	sizeof(kmc_audit) / sizeof(kmc_audit[0]) };

#define KMC_COLS "id, kid, type, created, holder, ca_id, serial, sign_serial, pub, wrapped"

static int
row_read(gp_kmc_key_info **out, sqlite3_stmt *st)
{
	gp_kmc_key_info *k;
	int r;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	k->id = sqlite3_column_int64(st, 0);
	k->created = sqlite3_column_int64(st, 3);
	k->ca_id = sqlite3_column_int64(st, 5);
	k->serial_len = copy_fixed(k->serial, sizeof(k->serial), st, 6);
	k->sign_serial_len = copy_fixed(k->sign_serial, sizeof(k->sign_serial), st, 7);
	if ((r = dup_text(&k->kid, st, 1)) != 0 || (r = dup_text(&k->type, st, 2)) != 0 ||
	    (r = dup_text(&k->holder, st, 4)) != 0 ||
	    (r = dup_blob(&k->pub, &k->pub_len, st, 8)) != 0 ||
	    (r = dup_blob(&k->wrapped, &k->wrapped_len, st, 9)) != 0)
		goto out;
	if (k->kid == NULL || k->type == NULL || k->pub == NULL || k->wrapped == NULL) {
		r = gp_err(GP_E_VERIFY, "escrow record %lld is damaged (a field is missing)",
		    (long long)k->id);
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	gp_kmc_key_info_free(k);
	return r;
}

static int
sq_kmc_add(gp_store *gs, gp_kmc_key_info *k)
{
	static const char what[] = "adding an escrow record";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO kmc_key (kid, type, created, holder, ca_id, serial,"
	    " sign_serial, pub, wrapped) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", what)) != 0)
		return r;
	if ((rc = bind_text(st, 1, k->kid)) != SQLITE_OK || (rc = bind_text(st, 2, k->type)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, k->holder)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 6, k->serial, k->serial_len)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 7, k->sign_serial, k->sign_serial_len)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 8, k->pub, k->pub_len)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 9, k->wrapped, k->wrapped_len)) != SQLITE_OK) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	sqlite3_bind_int64(st, 3, k->created);
	if (k->ca_id > 0)
		sqlite3_bind_int64(st, 5, k->ca_id);
	else
		sqlite3_bind_null(st, 5);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		r = gp_err(GP_E_EXISTS, "an escrow record with key id %s or for that certificate "
		    "exists already", k->kid);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	k->id = sqlite3_last_insert_rowid(s->db);
	r = 0;
out:
	sq_done(s, st);
	return r;
}

/* Steps st (bound) for one row into *out; GP_E_NOTFOUND with nf. */
static int
one_row(sq_store *s, sqlite3_stmt *st, gp_kmc_key_info **out, const char *nf)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return gp_err(GP_E_NOTFOUND, "%s", nf);
	if (rc != SQLITE_ROW)
		return sq_fail(s, rc, "reading an escrow record");
	return row_read(out, st);
}

static int
sq_kmc_get(gp_store *gs, const char *kid, gp_kmc_key_info **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	char nf[128];
	int rc, r;

	if ((r = sq_prep(s, &st, "SELECT " KMC_COLS " FROM kmc_key WHERE kid = ?1",
	    "reading an escrow record")) != 0)
		return r;
	if ((rc = bind_text(st, 1, kid)) != SQLITE_OK)
		r = sq_fail(s, rc, "reading an escrow record");
	else {
		snprintf(nf, sizeof(nf), "no escrowed key %s", kid);
		r = one_row(s, st, out, nf);
	}
	sq_done(s, st);
	return r;
}

static int
sq_kmc_get_cert(gp_store *gs, int64_t ca_id, const unsigned char *serial, size_t serial_len,
    gp_kmc_key_info **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "SELECT " KMC_COLS " FROM kmc_key WHERE ca_id = ?1 AND"
	    " (serial = ?2 OR sign_serial = ?2) ORDER BY id LIMIT 1", "reading an escrow record")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, ca_id);
	if ((rc = bind_blob_n(st, 2, serial, serial_len)) != SQLITE_OK)
		r = sq_fail(s, rc, "reading an escrow record");
	else
		r = one_row(s, st, out, "no escrowed key for that certificate");
	sq_done(s, st);
	return r;
}

struct kmc_walk {
	gp_kmc_key_cb cb;
	void *arg;
};

static int
kmc_row(void *arg, sqlite3_stmt *st)
{
	const struct kmc_walk *w = arg;
	gp_kmc_key_info *k;
	int r;

	if ((r = row_read(&k, st)) != 0)
		return r;
	r = w->cb(w->arg, k);
	gp_kmc_key_info_free(k);
	return r;
}

static int
sq_kmc_list(gp_store *gs, gp_kmc_key_cb cb, void *arg)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct kmc_walk w = { cb, arg };
	int r;

	if ((r = sq_prep(s, &st, "SELECT " KMC_COLS " FROM kmc_key ORDER BY id",
	    "listing escrowed keys")) != 0)
		return r;
	r = sq_each_row(s, st, kmc_row, &w, "listing escrowed keys");
	sq_done(s, st);
	return r;
}

/* ------------------------------------------------------------ recovery officers */

#define OFFICER_COLS "name, role, fingerprint, cert, enabled, created"

static int
officer_read(gp_kmc_officer **out, sqlite3_stmt *st)
{
	gp_kmc_officer *o;
	int r;

	*out = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	copy_fixed(o->fingerprint, sizeof(o->fingerprint), st, 2);
	o->enabled = sqlite3_column_int(st, 4);
	o->created = sqlite3_column_int64(st, 5);
	if ((r = dup_text(&o->name, st, 0)) != 0 || (r = dup_text(&o->role, st, 1)) != 0 ||
	    (r = dup_blob(&o->cert, &o->cert_len, st, 3)) != 0) {
		gp_kmc_officer_free(o);
		return r;
	}
	*out = o;
	return 0;
}

static int
sq_officer_add(gp_store *gs, const gp_kmc_officer *o)
{
	static const char what[] = "adding a recovery officer";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO kmc_officer (name, role, fingerprint, cert, enabled, created)"
	    " VALUES (?1, ?2, ?3, ?4, 1, ?5)", what)) != 0)
		return r;
	if ((rc = bind_text(st, 1, o->name)) != SQLITE_OK || (rc = bind_text(st, 2, o->role)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 3, o->fingerprint, sizeof(o->fingerprint))) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 4, o->cert, o->cert_len)) != SQLITE_OK) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	sqlite3_bind_int64(st, 5, o->created);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		r = gp_err(GP_E_EXISTS, "recovery officer %s or that certificate is registered already", o->name);
	else if (rc != SQLITE_DONE)
		r = sq_fail(s, rc, what);
	else
		r = 0;
out:
	sq_done(s, st);
	return r;
}

static int
sq_officer_get(gp_store *gs, const char *name, gp_kmc_officer **out)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "SELECT " OFFICER_COLS " FROM kmc_officer WHERE name = ?1",
	    "reading a recovery officer")) != 0)
		return r;
	if ((rc = bind_text(st, 1, name)) != SQLITE_OK)
		r = sq_fail(s, rc, "reading a recovery officer");
	else if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		r = gp_err(GP_E_NOTFOUND, "no recovery officer %s", name);
	else if (rc != SQLITE_ROW)
		r = sq_fail(s, rc, "reading a recovery officer");
	else
		r = officer_read(out, st);
	sq_done(s, st);
	return r;
}

struct officer_walk {
	gp_kmc_officer_cb cb;
	void *arg;
};

static int
officer_row(void *arg, sqlite3_stmt *st)
{
	const struct officer_walk *w = arg;
	gp_kmc_officer *o;
	int r;

	if ((r = officer_read(&o, st)) != 0)
		return r;
	r = w->cb(w->arg, o);
	gp_kmc_officer_free(o);
	return r;
}

static int
sq_officer_list(gp_store *gs, gp_kmc_officer_cb cb, void *arg)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	struct officer_walk w = { cb, arg };
	int r;

	if ((r = sq_prep(s, &st, "SELECT " OFFICER_COLS " FROM kmc_officer ORDER BY name",
	    "listing recovery officers")) != 0)
		return r;
	r = sq_each_row(s, st, officer_row, &w, "listing recovery officers");
	sq_done(s, st);
	return r;
}

/* ------------------------------------------------------------ recoveries */

static int
sq_recovery_add(gp_store *gs, gp_kmc_recovery *rec)
{
	static const char what[] = "adding a key recovery request";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO kmc_recovery (kid, requester, recipient, reason, needed,"
	    " status, created) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)", what)) != 0)
		return r;
	if ((rc = bind_text(st, 1, rec->kid)) != SQLITE_OK || (rc = bind_text(st, 2, rec->requester)) != SQLITE_OK ||
	    (rc = bind_blob_n(st, 3, rec->recipient, rec->recipient_len)) != SQLITE_OK ||
	    (rc = bind_text(st, 4, rec->reason)) != SQLITE_OK) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	sqlite3_bind_int(st, 5, rec->needed);
	sqlite3_bind_int64(st, 6, rec->created);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	rec->id = sqlite3_last_insert_rowid(s->db);
	r = 0;
out:
	sq_done(s, st);
	return r;
}

static int
sq_recovery_get(gp_store *gs, int64_t id, gp_kmc_recovery **out)
{
	static const char what[] = "reading a key recovery request";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	gp_kmc_recovery *rec = NULL;
	int rc, r;

	*out = NULL;
	/* approvals: of officers still enabled (a disabled one counts no more) */
	if ((r = sq_prep(s, &st, "SELECT id, kid, requester, recipient, reason, needed, status, created,"
	    " (SELECT count(*) FROM kmc_approval a JOIN kmc_officer o ON o.name = a.officer"
	    "  WHERE a.recovery_id = kmc_recovery.id AND o.enabled = 1)"
	    " FROM kmc_recovery WHERE id = ?1", what)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		r = gp_err(GP_E_NOTFOUND, "no key recovery request %lld", (long long)id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = sq_fail(s, rc, what);
		goto out;
	}
	if ((rec = calloc(1, sizeof(*rec))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	rec->id = sqlite3_column_int64(st, 0);
	rec->needed = sqlite3_column_int(st, 5);
	rec->status = sqlite3_column_int(st, 6);
	rec->created = sqlite3_column_int64(st, 7);
	rec->approvals = sqlite3_column_int(st, 8);
	if ((r = dup_text(&rec->kid, st, 1)) != 0 || (r = dup_text(&rec->requester, st, 2)) != 0 ||
	    (r = dup_blob(&rec->recipient, &rec->recipient_len, st, 3)) != 0 ||
	    (r = dup_text(&rec->reason, st, 4)) != 0)
		goto out;
	*out = rec;
	rec = NULL;
	r = 0;
out:
	gp_kmc_recovery_free(rec);
	sq_done(s, st);
	return r;
}

static int
sq_approval_add(gp_store *gs, int64_t id, const char *officer, int64_t when)
{
	static const char what[] = "recording an approval";
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "INSERT INTO kmc_approval (recovery_id, officer, time) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (recovery_id, officer) DO NOTHING", what)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 3, when);
	if ((rc = bind_text(st, 2, officer)) != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_DONE)
		r = sq_fail(s, rc, what);
	else
		r = sqlite3_changes(s->db) == 0 ? GP_E_EXISTS : 0;
	sq_done(s, st);
	return r;
}

static int
sq_recovery_done(gp_store *gs, int64_t id)
{
	sq_store *s = SQ(gs);
	sqlite3_stmt *st = NULL;
	int rc, r;

	if ((r = sq_prep(s, &st, "UPDATE kmc_recovery SET status = 1 WHERE id = ?1 AND status = 0",
	    "closing a key recovery request")) != 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		r = sq_fail(s, rc, "closing a key recovery request");
	else if (sqlite3_changes(s->db) == 0)
		r = gp_err(GP_E_STATE, "key recovery request %lld was carried out already", (long long)id);
	sq_done(s, st);
	return r;
}

const struct gp_store_kmc_ops sq_kmc_ops = {
	sq_kmc_add,
	sq_kmc_get,
	sq_kmc_get_cert,
	sq_kmc_list,
	sq_officer_add,
	sq_officer_get,
	sq_officer_list,
	sq_recovery_add,
	sq_recovery_get,
	sq_approval_add,
	sq_recovery_done,
};
