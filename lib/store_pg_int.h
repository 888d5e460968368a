/* lib/store_pg_int.h: what the PostgreSQL backend shares with its parts (lib/store_pg*.c) */
#ifndef GP_STORE_PG_INT_H
#define GP_STORE_PG_INT_H

#include <libpq-fe.h>

#include "store_int.h"

/* Parameters of one statement, bound as PostgreSQL's binary values
 * (integers as int8, blobs as bytea) or text. */
#define PG_MAXP 24

typedef struct pg_params {
	int n;
	Oid type[PG_MAXP];
	const char *val[PG_MAXP];
	int len[PG_MAXP];
	int fmt[PG_MAXP];
	unsigned char num[PG_MAXP][8];
} pg_params;

/* Statements prepared on first use, named by the address of their SQL (a
 * string constant) and kept for the life of the connection. */
#define PG_CACHE 128

/* What the connection is inside of. */
enum { PG_TX_NONE, PG_TX_WRITE, PG_TX_READ };

typedef struct pg_store {
	struct gp_store base;   /* first: a gp_store * is a pg_store * */
	PGconn *conn;
	char where[256];        /* the store for messages: database and host, no password */
	int tx;                 /* PG_TX_*: gp_store_begin or gp_store_read_begin */
	const char *prepared[PG_CACHE];
	int nprepared;
	unsigned cursors;       /* cursors declared, for their names */
	char sqlstate[6];       /* of the last failed statement, "" when none */
	char constraint[64];    /* the constraint it broke, "" when none */
} pg_store;

static inline pg_store *
PG(gp_store *s)
{
	return (pg_store *)s;
}

void pg_p_i64(pg_params *p, int64_t v);
void pg_p_text(pg_params *p, const char *v);   /* NULL binds NULL */
void pg_p_blob(pg_params *p, const void *v, size_t len); /* NULL binds NULL */
/* Binds one value per letter of types: 'i' an int64_t, 't' a const char *,
 * 'b' a const void * and its size_t length (cast each argument to its type:
 * the arguments are variadic). */
void pg_bind(pg_params *p, const char *types, ...);

/*
 * Runs the prepared statement of sql with p (NULL: none); *res gets the
 * result of a statement that returned rows or none (the caller PQclears
 * it; res NULL: cleared here).  A failure is a GP_E_* with gp_error_set
 * naming what, s->sqlstate and s->constraint say why: unique_violation is
 * GP_E_EXISTS, foreign_key_violation GP_E_NOTFOUND, a serialization or
 * lock failure GP_E_BUSY, a read-only transaction GP_E_READONLY.
 * pg_write is the same for a write: inside the caller's transaction it
 * runs under a savepoint, so that a failed write leaves the caller's
 * transaction usable (PostgreSQL aborts a transaction at its first error).
 */
int pg_run(pg_store *s, const char *sql, const pg_params *p, PGresult **res,
    const char *what);
int pg_write(pg_store *s, const char *sql, const pg_params *p, PGresult **res,
    const char *what);
/* Walks the rows of sql (a SELECT) with p: row(arg, res, i) reads row i of
 * res, valid during the call; a non-zero return stops the walk and is
 * returned.  Through a held cursor, a batch at a time (lib/store_pg.c). */
typedef int (*pg_row_fn)(void *arg, const PGresult *res, int row);
int pg_walk(pg_store *s, const char *sql, const pg_params *p, pg_row_fn row, void *arg,
    const char *what);
/* Runs SQL text without parameters or results (several statements). */
int pg_exec(pg_store *s, const char *sql, const char *what);

/* The values of a binary result: NULL reads as 0, NULL, a zero length. */
int64_t pg_i64(const PGresult *res, int row, int col);
const char *pg_text(const PGresult *res, int row, int col);
const unsigned char *pg_blob(const PGresult *res, int row, int col, size_t *len);
/* A malloc'ed copy of p (NULL or empty: *out NULL, *outlen 0). */
int pg_blob_dup(unsigned char **out, size_t *outlen, const unsigned char *p, size_t n);
/* A copy into a fixed array, zero-filled; returns the length (at most max). */
size_t pg_fixed(unsigned char *out, size_t max, const PGresult *res, int row, int col);

/* A write of several statements in one transaction: one of its own
 * (BEGIN, the writers' lock) or a savepoint inside the caller's.
 * pg_tx_leave commits (r == 0) or undoes, and returns r or the commit's
 * failure. */
enum { PG_TXM_NONE, PG_TXM_OWN, PG_TXM_SAVEPOINT };
int pg_tx_enter(pg_store *s, int *mode);
int pg_tx_leave(pg_store *s, int mode, int r);

/*
 * A table that a dump copies, in an order that satisfies its references
 * (lib/store_pg_file.c): its name, its columns as COPY lists them (no
 * generated column), and its identity column (NULL for none), whose
 * sequence a restore moves past the restored rows.
 */
struct pg_table {
	const char *name;
	const char *cols;
	const char *order;
	const char *identity;
};

/*
 * A part of the schema: the core's tables, or a module's (seals, OCSP),
 * at version n, the meta row "schema.NAME"; migrations[v] takes the part
 * from v to v + 1.  pg_parts lists them, the core first.
 */
struct pg_part {
	const char *name;
	int n;
	const char *const *migrations;
};
#define PG_SCHEMA_VERSION 2     /* of the core */
extern const struct pg_part *const pg_parts[];
extern const size_t pg_nparts;
extern const struct pg_part pg_part_seal, pg_part_ocsp, pg_part_ra;
extern const struct gp_store_ra_ops pg_ra_ops;
extern const struct gp_store_seal_ops pg_seal_ops;
extern const struct gp_store_ocsp_ops pg_ocsp_ops;
extern const struct pg_table pg_tables[];
extern const size_t pg_ntables;

/* Connections: to the store's own database, and to the server's
 * maintenance database (postgres) beside it, for creating, finding and
 * dropping a store's database.  *dbname (malloc'ed) is the database the
 * location names. */
int pg_connect(PGconn **out, const char *location, int maintenance, char **dbname);
/* Creates the database that location names (an existing one is no
 * failure: another node may have made it meanwhile). */
int pg_create_db(const char *location);
/* A message of conn's failure, for gp_err. */
const char *pg_conn_error(PGconn *conn);

int pg_dump(gp_store *s, gp_store_write_fn wr, void *arg);
int pg_restore(const char *location, gp_store_read_fn rd, void *arg);
int pg_remove(const char *location);
int pg_exists(const char *location, int *out);
int pg_open(gp_store **out, const char *location, int flags);
extern const struct gp_store_backend gp_store_pg_backend;
extern const struct gp_store_ops pg_ops;

#endif
