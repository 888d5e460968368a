/* lib/store_sqlite_int.h: what the SQLite backend shares with its module parts (lib/store_sqlite_*.c) */
#ifndef GP_STORE_SQLITE_INT_H
#define GP_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store_int.h"

/* Statements kept prepared for the life of the handle. */
enum {
	ST_REVISION,
	ST_REV_BUMP,
	ST_CA_ADD,
	ST_CA_BY_NAME,
	ST_CA_BY_ID,
	ST_CA_LIST,
	ST_CERT_ADD,
	ST_CERT_GET,
	ST_CERT_STATUS,
	ST_CERT_SET_STATUS,
	ST_COUNT_ALL,
	ST_COUNT_CA,
	ST_CRL_MAX,
	ST_CRL_ADD,
	ST_CRL_LATEST,
	ST_AUDIT_INSERT,
	ST_AUDIT_LAST,
	ST_KEY_BLOCK_ADD,
	ST_KEY_BLOCK_GET,
	ST_META_GET,
	ST_META_SET,
	ST__N
};

/* Statements of the module parts, prepared on first use (sq_prep). */
#define SQ_CACHE 96

typedef struct sq_cached {
	const char *sql;        /* the string constant's address is the key */
	sqlite3_stmt *st;
	int busy;
} sq_cached;

typedef struct sq_store {
	struct gp_store base;   /* first: a gp_store * is a sq_store * */
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST__N];
	sq_cached cache[SQ_CACHE];
} sq_store;

static inline sq_store *
SQ(gp_store *s)
{
	return (sq_store *)s;
}

/* How a multi-statement write is wrapped (tx_enter/tx_leave). */
enum { TX_NONE, TX_OWN, TX_SAVEPOINT };

/* Maps an SQLite result code to a GP_E_* code with a message (call it
 * before resetting the statement). */
int sq_fail(sq_store *s, int rc, const char *what);
/* Runs SQL without results. */
int sq_exec(sq_store *s, const char *sql, const char *what);
/* BEGIN IMMEDIATE when no transaction is open, else a savepoint; tx_leave
 * commits (r == 0) or rolls back, and returns r or the commit's failure. */
int tx_enter(sq_store *s, int *mode);
int tx_leave(sq_store *s, int mode, int r);
/*
 * Borrows a prepared statement for sql, a string constant whose address
 * is the key: prepared on first use and kept until the connection closes.
 * sq_done() ends every use (reset, bindings cleared); a statement that
 * could not be cached (already in use by a caller up the stack, or the
 * cache full) is finalised there instead.  SQL built at run time goes
 * through sq_prep_once(), never cached.
 */
int sq_prep(sq_store *s, sqlite3_stmt **st, const char *sql, const char *what);
int sq_prep_once(sq_store *s, sqlite3_stmt **st, const char *sql, const char *what);
void sq_done(sq_store *s, sqlite3_stmt *st);
/* Binds text (NULL binds NULL). */
int bind_text(sqlite3_stmt *st, int i, const char *v);
/* Binds a blob, NULL or empty binding NULL (module parts: optional serials, keys). */
int bind_blob_n(sqlite3_stmt *st, int i, const void *v, size_t len);
/* Copies a text column (NULL stays NULL); the caller frees *out. */
int dup_text(char **out, sqlite3_stmt *st, int col);
/* Copies a blob column (NULL or empty: *out NULL, *outlen 0); the caller
 * frees *out. */
int dup_blob(unsigned char **out, size_t *outlen, sqlite3_stmt *st, int col);
/* Copies a blob column into a fixed array, zero-filling what it lacks and
 * cutting what does not fit; returns the length copied (at most max). */
size_t copy_fixed(unsigned char *out, size_t max, sqlite3_stmt *st, int col);

/*
 * Walks the rows of st (prepared and bound by the caller): row(arg, st)
 * reads each row, whose columns are valid only during that call.  A
 * non-zero return from row stops the walk and is returned as it is; a
 * failing step is reported with what (sq_fail).  Returns 0 after the last
 * row.  The caller still ends the statement's use (sq_done, stmt_reset).
 */
typedef int (*sq_row_fn)(void *arg, sqlite3_stmt *st);
int sq_each_row(sq_store *s, sqlite3_stmt *st, sq_row_fn row, void *arg, const char *what);

/*
 * How to check one kind of row against the audit log (store_int.h,
 * GP_AUDIT_OBJ_*).  Each query answers (the object the row's entry names
 * it by, its CA's name or NULL).
 * count: one number, the rows of the kind (cheap: an index where there
 * are many).
 * newest: ?2 = n, the row made n rows before the newest (n = 0: the
 * newest), in the order their entries were appended; NULL when the order
 * cannot be read from the rows.
 * unlogged: ?1 the action of the rows' entry, the first row whose entry is
 * not in the log: a set difference with SQ_LOGGED, read once into a
 * temporary index and probed per row (seconds on a million rows).
 */
struct sq_audit_sql {
	int kind;
	const char *count;
	const char *newest;
	const char *unlogged;
};
#define SQ_LOGGED "(SELECT object FROM audit WHERE action = ?1 AND object IS NOT NULL)"

/*
 * A module's part of the schema (RA, seals, OCSP): its own tables with its
 * own version in meta ("schema.NAME"), migrated after the core schema on
 * every read-write open.  migrations[v] takes the part from v to v + 1.
 * audit: the part's rows that the audit log records.
 */
struct sq_part {
	const char *name;
	int nmigrations;
	const char *const *migrations;
	const struct sq_audit_sql *audit;
	size_t naudit;
};

/* The backend's entry points (lib/store_sqlite.c: sq_open; the stream and
 * file ones in lib/store_sqlite_file.c). */
int sq_open(gp_store **out, const char *path, int flags);
int sq_dump(gp_store *s, gp_store_write_fn wr, void *arg);
extern const struct gp_store_backend gp_store_sqlite_backend;

extern const struct gp_store_ops sq_ops;
extern const struct sq_part sq_part_ra, sq_part_seal, sq_part_ocsp, sq_part_acme, sq_part_kmc;
extern const struct gp_store_ra_ops sq_ra_ops;
extern const struct gp_store_seal_ops sq_seal_ops;
extern const struct gp_store_ocsp_ops sq_ocsp_ops;
extern const struct gp_store_acme_ops sq_acme_ops;
extern const struct gp_store_kmc_ops sq_kmc_ops;

#endif
