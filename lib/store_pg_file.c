/* lib/store_pg_file.c: the PostgreSQL backend's database side: connections, dump (COPY), restore, remove */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "error_int.h"
#include "store_pg_int.h"
#include "util.h"

/*
 * A store is a database (and the schema its search_path names first),
 * given by a libpq connection URI: "postgresql://[USER@]HOST[:PORT]/DATABASE
 * [?PARAMS]" (libpq's "Connection URIs"; a Unix socket folder as the host
 * percent-encoded, "postgresql://%2Frun%2Fpostgresql/govpki").  The store
 * URI is that URI itself: the location gp_store_open hands over is what
 * follows "postgresql:".  Creating, finding and dropping a store's
 * database go through the server's maintenance database, postgres.
 */
#define PG_MAINTENANCE_DB "postgres"

#define DUMP_MAGIC "GOVPKI-PGDUMP 1"

/* The libpq connection string of location, and the database it names. */
static int
conninfo_of(char **conninfo, char **dbname, const char *location)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, *ci;
	size_t n = strlen(location) + sizeof("postgresql:");
	int r = 0;

	*conninfo = NULL;
	if (dbname != NULL)
		*dbname = NULL;
	if (strncmp(location, "//", 2) != 0)
		return gp_err(GP_E_INVALID, "store URI postgresql:%s: a PostgreSQL store is "
		    "postgresql://HOST/DATABASE", location);
	if ((ci = malloc(n)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(ci, n, "postgresql:%s", location);
	if ((opts = PQconninfoParse(ci, &err)) == NULL) {
		char m[256];

		snprintf(m, sizeof(m), "%s", err != NULL ? err : "out of memory");
		m[strcspn(m, "\n")] = '\0';
		PQfreemem(err);
		free(ci);
		return gp_err(GP_E_INVALID, "store URI postgresql:%s: %s", location, m);
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0)
			break;
	if (o->keyword == NULL || o->val == NULL || *o->val == '\0')
		r = gp_err(GP_E_INVALID, "store URI postgresql:%s names no database "
		    "(postgresql://HOST/DATABASE)", location);
	else if (dbname != NULL)
		r = gp_strdup(dbname, o->val);
	PQconninfoFree(opts);
	if (r != 0) {
		free(ci);
		return r;
	}
	*conninfo = ci;
	return 0;
}

/* Opens conn to the maintenance database of the server that location names. */
static int
connect_maintenance(PGconn **out, const char *conninfo, const char *location)
{
	const char *const keys[] = { "dbname", "dbname", "fallback_application_name", NULL };
	const char *const vals[] = { conninfo, PG_MAINTENANCE_DB, "govpki", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	*out = NULL;
	if (PQstatus(c) != CONNECTION_OK) {
		int r = gp_err(GP_E_IO, "store postgresql:%s: cannot connect to the server: %s",
		    location, pg_conn_error(c));

		PQfinish(c);
		return r;
	}
	*out = c;
	return 0;
}

/* *out: 1 when the server of m has a database db. */
static int
db_exists(PGconn *m, const char *db, int *out)
{
	const char *v[1] = { db };
	PGresult *res = PQexecParams(m, "SELECT 1 FROM pg_database WHERE datname = $1",
	    1, NULL, v, NULL, NULL, 0);
	int r = 0;

	*out = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = gp_err(GP_E_STORE, "looking up database %s: %s", db, pg_conn_error(m));
	else
		*out = PQntuples(res) > 0;
	PQclear(res);
	return r;
}

/* Runs "VERB DATABASE <db> TAIL" on the maintenance connection m. */
static int
db_command(PGconn *m, const char *verb, const char *db, const char *tail, const char *ok_state)
{
	char *q = PQescapeIdentifier(m, db, strlen(db)), *sql = NULL;
	PGresult *res = NULL;
	const char *state;
	size_t n;
	int r = 0;

	if (q == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	n = strlen(verb) + strlen(q) + strlen(tail) + 16;
	if ((sql = malloc(n)) == NULL) {
		PQfreemem(q);
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	snprintf(sql, n, "%s DATABASE %s%s", verb, q, tail);
	res = PQexec(m, sql);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    (ok_state == NULL || state == NULL || strcmp(state, ok_state) != 0))
		r = gp_err(GP_E_STORE, "%s database %s: %s", verb, db, pg_conn_error(m));
	PQclear(res);
	free(sql);
	PQfreemem(q);
	return r;
}

int
pg_connect(PGconn **out, const char *location, int maintenance, char **dbname)
{
	const char *const keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { NULL, "govpki", NULL };
	PGconn *c = NULL, *m = NULL;
	char *ci = NULL, *db = NULL;
	int r, there = 1;

	*out = NULL;
	if (dbname != NULL)
		*dbname = NULL;
	if ((r = conninfo_of(&ci, &db, location)) != 0)
		return r;
	if (maintenance) {
		r = connect_maintenance(out, ci, location);
		goto out;
	}
	vals[0] = ci;
	c = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(c) == CONNECTION_OK) {
		*out = c;
		c = NULL;
		r = 0;
		goto out;
	}
	/* no such database, or another failure: the server says which */
	r = gp_err(GP_E_IO, "store postgresql:%s: cannot connect: %s", location,
	    pg_conn_error(c));
	if (connect_maintenance(&m, ci, location) == 0 && db_exists(m, db, &there) == 0 &&
	    !there)
		r = gp_err(GP_E_NOTFOUND, "store postgresql:%s does not exist (no database %s)",
		    location, db);
out:
	if ((r == 0 || r == GP_E_NOTFOUND) && dbname != NULL) {
		*dbname = db;
		db = NULL;
	}
	PQfinish(c);
	PQfinish(m);
	free(ci);
	free(db);
	return r;
}

/* Calls fn(m, db, arg) with m a connection to the maintenance database
 * of location's server and db the database location names. */
static int
with_maintenance(const char *location, int (*fn)(PGconn *m, const char *db, void *arg),
    void *arg)
{
	PGconn *m = NULL;
	char *ci = NULL, *db = NULL;
	int r;

	if ((r = conninfo_of(&ci, &db, location)) != 0)
		return r;
	if ((r = connect_maintenance(&m, ci, location)) == 0)
		r = fn(m, db, arg);
	PQfinish(m);
	free(ci);
	free(db);
	return r;
}

static int
create_fn(PGconn *m, const char *db, void *arg)
{
	(void)arg;
	return db_command(m, "CREATE", db, "", "42P04");        /* duplicate_database */
}

static int
exists_fn(PGconn *m, const char *db, void *arg)
{
	return db_exists(m, db, arg);
}

/* WITH (FORCE) ends connections left open (the contract wants none). */
static int
drop_fn(PGconn *m, const char *db, void *arg)
{
	(void)arg;
	return db_command(m, "DROP", db, " WITH (FORCE)", "3D000");     /* invalid_catalog_name */
}

int
pg_create_db(const char *location)
{
	return with_maintenance(location, create_fn, NULL);
}

int
pg_exists(const char *location, int *out)
{
	*out = 0;
	return with_maintenance(location, exists_fn, out);
}

/* Drops the store's database. */
int
pg_remove(const char *location)
{
	return with_maintenance(location, drop_fn, NULL);
}

/* ---- dump -------------------------------------------------------------------- */

static int
put(gp_store_write_fn wr, void *arg, const char *text)
{
	return wr(arg, (const unsigned char *)text, strlen(text));
}

/* Streams table t in COPY's text format, in the order of its key. */
static int
dump_table(pg_store *s, const struct pg_table *t, gp_store_write_fn wr, void *arg)
{
	char sql[512], head[96];
	PGresult *res;
	char *buf = NULL;
	int n, r;

	snprintf(sql, sizeof(sql), "COPY (SELECT %s FROM %s ORDER BY %s) TO STDOUT",
	    t->cols, t->name, t->order);
	snprintf(head, sizeof(head), "table %s\n", t->name);
	if ((r = put(wr, arg, head)) != 0)
		return r;
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		r = gp_err(GP_E_STORE, "dump: copying table %s of %s: %s", t->name, s->where,
		    pg_conn_error(s->conn));
		PQclear(res);
		return r;
	}
	PQclear(res);
	/* the copy must be read to its end, even after a failed write */
	while ((n = PQgetCopyData(s->conn, &buf, 0)) > 0) {
		if (r == 0)
			r = wr(arg, (const unsigned char *)buf, (size_t)n);
		PQfreemem(buf);
		buf = NULL;
	}
	while ((res = PQgetResult(s->conn)) != NULL) {
		if (r == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			r = gp_err(GP_E_STORE, "dump: copying table %s of %s: %s", t->name,
			    s->where, pg_conn_error(s->conn));
		PQclear(res);
	}
	if (r == 0 && n == -2)
		r = gp_err(GP_E_STORE, "dump: copying table %s of %s: %s", t->name, s->where,
		    pg_conn_error(s->conn));
	return r != 0 ? r : put(wr, arg, "\\.\n");
}

/*
 * The dump: a line "GOVPKI-PGDUMP 1", a line "schema PART N" per part of
 * the schema (struct pg_part), then per table
 * "table NAME" and its rows as COPY writes them in its text format, up to
 * a line "\.", and a last line "end".  It is made inside one REPEATABLE
 * READ transaction (the caller's read snapshot if one is open), so it is
 * the store at one instant while other connections go on writing.
 */
int
pg_dump(gp_store *gs, gp_store_write_fn wr, void *arg)
{
	pg_store *s = PG(gs);
	char head[64];
	int own = 0, r;

	if (s->tx == PG_TX_WRITE)
		return gp_err(GP_E_STATE, "dump: a write transaction is open on this store "
		    "connection");
	if (s->tx == PG_TX_NONE) {
		if ((r = pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		    "dump")) != 0)
			return r;
		own = 1;
	}
	r = put(wr, arg, DUMP_MAGIC "\n");
	for (size_t i = 0; r == 0 && i < pg_nparts; i++) {
		snprintf(head, sizeof(head), "schema %s %d\n", pg_parts[i]->name, pg_parts[i]->n);
		r = put(wr, arg, head);
	}
	for (size_t i = 0; r == 0 && i < pg_ntables; i++)
		r = dump_table(s, &pg_tables[i], wr, arg);
	if (r == 0)
		r = put(wr, arg, "end\n");
	if (own)
		PQclear(PQexec(s->conn, r == 0 ? "COMMIT" : "ROLLBACK"));
	return r;
}

/* ---- restore ------------------------------------------------------------------ */

/* The dump's stream, read in lines (a line holds a whole row: a CRL's
 * DER of many MiB is one line). */
struct lines {
	gp_store_read_fn rd;
	void *arg;
	unsigned char buf[64 * 1024];
	size_t pos, len;
	int eof;
	char *line;             /* the current line with its '\n' */
	size_t n, cap;
};

/* The next line in l->line (l->n bytes, its '\n' included); at the end
 * of the stream l->n is 0.  A last line without '\n' is malformed. */
static int
next_line(struct lines *l)
{
	int r;

	l->n = 0;
	for (;;) {
		if (l->pos == l->len) {
			if (l->eof)
				break;
			l->pos = 0;
			if ((r = l->rd(l->arg, l->buf, sizeof(l->buf), &l->len)) != 0)
				return r;
			if (l->len == 0) {
				l->eof = 1;
				break;
			}
		}
		if (l->n + 2 > l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 4096;
			char *p = realloc(l->line, cap);

			if (p == NULL)
				return gp_err(GP_E_NOMEM, "out of memory");
			l->line = p;
			l->cap = cap;
		}
		l->line[l->n++] = (char)l->buf[l->pos++];
		if (l->line[l->n - 1] == '\n') {
			l->line[l->n] = '\0';
			return 0;
		}
	}
	if (l->n > 0)
		return gp_err(GP_E_PARSE, "restore: the dump ends inside a line");
	return 0;
}

/* Whether the current line is exactly text and its '\n'. */
static int
line_is(const struct lines *l, const char *text)
{
	size_t n = strlen(text);

	return l->n == n + 1 && memcmp(l->line, text, n) == 0 && l->line[n] == '\n';
}

/* Feeds the rows of table t up to the line "\." to COPY ... FROM STDIN. */
static int
restore_table(pg_store *s, struct lines *l, const struct pg_table *t)
{
	char sql[512];
	PGresult *res;
	int r = 0, done = 0;

	snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN", t->name, t->cols);
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = gp_err(GP_E_STORE, "restore: table %s: %s", t->name, pg_conn_error(s->conn));
		PQclear(res);
		return r;
	}
	PQclear(res);
	while (r == 0 && (r = next_line(l)) == 0) {
		if (l->n == 0) {
			r = gp_err(GP_E_PARSE, "restore: the dump ends inside table %s", t->name);
			break;
		}
		if (line_is(l, "\\.")) {
			done = 1;
			break;
		}
		if (PQputCopyData(s->conn, l->line, (int)l->n) != 1)
			r = gp_err(GP_E_STORE, "restore: table %s: %s", t->name,
			    pg_conn_error(s->conn));
	}
	PQputCopyEnd(s->conn, done && r == 0 ? NULL : "the dump is not complete");
	while ((res = PQgetResult(s->conn)) != NULL) {
		if (r == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			/* data that does not parse, or breaks a constraint */
			r = gp_err(st != NULL && (st[0] == '2' && (st[1] == '2' || st[1] == '3')) ?
			    GP_E_PARSE : GP_E_STORE, "restore: table %s: %s", t->name,
			    pg_conn_error(s->conn));
		}
		PQclear(res);
	}
	return r;
}

/* The tables of the dump, then "end"; sequences moved past what came. */
static int
restore_rows(pg_store *s, struct lines *l)
{
	char sql[256];
	size_t i;
	int r;

	/* the schema's own rows (revision, creator) come with the dump */
	if ((r = pg_exec(s, "DELETE FROM meta", "restore")) != 0)
		return r;
	for (;;) {
		if ((r = next_line(l)) != 0)
			return r;
		if (line_is(l, "end"))
			break;
		if (l->n < 7 || strncmp(l->line, "table ", 6) != 0)
			return gp_err(GP_E_PARSE, "restore: malformed dump (a line that "
			    "names no table)");
		l->line[l->n - 1] = '\0';
		for (i = 0; i < pg_ntables; i++)
			if (strcmp(pg_tables[i].name, l->line + 6) == 0)
				break;
		if (i == pg_ntables)
			return gp_err(GP_E_PARSE, "restore: the dump holds an unknown table");
		if ((r = restore_table(s, l, &pg_tables[i])) != 0)
			return r;
	}
	for (i = 0; i < pg_ntables; i++) {
		if (pg_tables[i].identity == NULL)
			continue;
		snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s', '%s'),"
		    " coalesce((SELECT max(%s) FROM %s), 0) + 1, false)", pg_tables[i].name,
		    pg_tables[i].identity, pg_tables[i].identity, pg_tables[i].name);
		if ((r = pg_exec(s, sql, "restore")) != 0)
			return r;
	}
	return 0;
}

/*
 * Makes the database at location (GP_E_EXISTS if it is there), its schema
 * (the dump's, which must be this build's), and the dump's rows, in one transaction; the
 * database's own constraints check every row (the audit chain's links
 * among them).  A failure drops the database again.
 */
int
pg_restore(const char *location, gp_store_read_fn rd, void *arg)
{
	struct lines *l = NULL;
	gp_store *gs = NULL;
	pg_store *s;
	char *db = NULL, *ci = NULL;
	int r, there = 0, made = 0;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	l->rd = rd;
	l->arg = arg;
	if ((r = conninfo_of(&ci, &db, location)) != 0)
		goto out;
	if ((r = next_line(l)) != 0)
		goto out;
	if (!line_is(l, DUMP_MAGIC)) {
		r = gp_err(GP_E_PARSE, "restore: not a dump of a PostgreSQL govpki store");
		goto out;
	}
	/* the schema of this build only: the PostgreSQL backend came with
	 * these versions, and a later one restores its own dumps */
	for (size_t i = 0; i < pg_nparts; i++) {
		char want[64];

		snprintf(want, sizeof(want), "schema %s %d", pg_parts[i]->name, pg_parts[i]->n);
		if ((r = next_line(l)) != 0)
			goto out;
		if (line_is(l, want))
			continue;
		r = l->n > 7 && strncmp(l->line, "schema ", 7) == 0 ?
		    gp_err(GP_E_VERSION, "restore: the dump is of another schema than this "
		    "build's (%s): restore it with the govpki that made it", want) :
		    gp_err(GP_E_PARSE, "restore: malformed dump (no schema versions)");
		goto out;
	}
	if ((r = pg_exists(location, &there)) != 0)
		goto out;
	if (there) {
		r = gp_err(GP_E_EXISTS, "restore: store postgresql:%s already exists", location);
		goto out;
	}
	if ((r = pg_create_db(location)) != 0)
		goto out;
	made = 1;
	/* the connection of a store, without its schema: migrated by hand */
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	s->base.ops = &pg_ops;
	gs = &s->base;
	snprintf(s->where, sizeof(s->where), "postgresql database '%s'", db);
	if ((r = pg_connect(&s->conn, location, 0, NULL)) != 0 ||
	    (r = pg_exec(s, "SET client_min_messages = warning; BEGIN", "restore")) != 0)
		goto out;
	for (size_t i = 0; i < pg_nparts; i++)
		for (int v = 0; r == 0 && v < pg_parts[i]->n; v++)
			r = pg_exec(s, pg_parts[i]->migrations[v], "restore: making the schema");
	if (r == 0)
		r = restore_rows(s, l);
	if (r == 0 && (r = next_line(l)) == 0 && l->n != 0)
		r = gp_err(GP_E_PARSE, "restore: malformed dump (data after its end)");
	if (r == 0)
		r = pg_exec(s, "COMMIT", "restore");
out:
	if (gs != NULL)
		pg_ops.close(gs);
	if (r != 0 && made)
		(void)pg_remove(location);      /* the first failure is the one to tell */
	if (l != NULL)
		free(l->line);
	free(l);
	free(db);
	free(ci);
	return r;
}

const struct gp_store_backend gp_store_pg_backend = {
	.scheme = "postgresql",
	.local = 0,
	.dump_name = "govpki.pgdump",
	.open = pg_open,
	.restore = pg_restore,
	.remove = pg_remove,
	.exists = pg_exists,
};
