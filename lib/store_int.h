/* lib/store_int.h: the store backend interface (a table of functions) */
#ifndef GP_STORE_INT_H
#define GP_STORE_INT_H

#include <govpki/store.h>

/*
 * A backend fills one of these; lib/store.c dispatches every public
 * gp_store_* call to it.  Each function has the contract of the public
 * function of the same name in govpki/store.h.  A backend's own handle
 * embeds struct gp_store as its first member.
 */
/*
 * The streams a store is dumped to and restored from (lib/backup.c keeps
 * them in a backup).  A write function takes all n bytes or fails; a read
 * function gives up to cap bytes in *got, 0 at the end.  Both return 0 or
 * a negative GP_E_* with gp_error_set.
 */
typedef int (*gp_store_write_fn)(void *arg, const unsigned char *p, size_t n);
typedef int (*gp_store_read_fn)(void *arg, unsigned char *p, size_t cap, size_t *got);

/* Modules' own store functions (RA workflow, seals, pre-signed OCSP
 * responses) sit in sub-tables defined in lib/store_<module>_int.h. */
struct gp_store_ra_ops;
struct gp_store_seal_ops;
struct gp_store_ocsp_ops;
struct gp_store_acme_ops;
struct gp_store_kmc_ops;

/*
 * The kinds of rows the audit log accounts for (lib/audit.c names the entry
 * of each): each row is written in one transaction with its entry and
 * never deleted, so a row without its entry means entries were cut off
 * the end of the log.
 */
enum {
	GP_AUDIT_OBJ_CA,                /* a CA */
	GP_AUDIT_OBJ_CERT,              /* a certificate other than a sub-CA's own (the
	                                 * CA's entry records that one) */
	GP_AUDIT_OBJ_REVOKED,           /* a revoked certificate */
	GP_AUDIT_OBJ_HELD,              /* a certificate on hold */
	GP_AUDIT_OBJ_CRL,               /* a CRL */
	GP_AUDIT_OBJ_SEAL,              /* a registered seal */
	GP_AUDIT_OBJ_SEAL_REVOKED,      /* a revoked seal */
	GP_AUDIT_OBJ_RA_REQUEST,        /* an RA request */
	GP_AUDIT_OBJ_RA_OFFICER,        /* an RA officer */
	GP_AUDIT_OBJ_RA_TOKEN,          /* an RA applicant token */
	GP_AUDIT_OBJ_KMC_KEY,           /* a key escrowed by the KMC */
	GP_AUDIT_OBJ_KMC_OFFICER,       /* a KMC recovery officer */
	GP_AUDIT_OBJ_KMC_RECOVERY,      /* a key recovery request */
	GP_AUDIT_OBJ__N
};

struct gp_store_ops {
	const char *name;
	void (*close)(gp_store *s);
	int (*begin)(gp_store *s);
	int (*commit)(gp_store *s);
	int (*rollback)(gp_store *s);
	int (*revision)(gp_store *s, int64_t *out);
	int (*ca_add)(gp_store *s, gp_ca_info *ca);
	int (*ca_get)(gp_store *s, const char *name, int64_t id, gp_ca_info **out);
	int (*ca_list)(gp_store *s, gp_ca_info ***out, size_t *n);
	int (*cert_add)(gp_store *s, gp_cert_info *cert);
	int (*cert_get)(gp_store *s, int64_t ca_id, const unsigned char *serial,
	    size_t serial_len, gp_cert_info **out);
	int (*cert_status)(gp_store *s, int64_t ca_id, const unsigned char *serial,
	    size_t serial_len, int *status, int64_t *revoked_at, int *reason);
	int (*cert_set_status)(gp_store *s, int64_t ca_id,
	    const unsigned char *serial, size_t serial_len, int status,
	    int64_t revoked_at, int reason, const unsigned char *entry,
	    size_t entry_len, int64_t *revision);
	int (*cert_list)(gp_store *s, const gp_cert_filter *f, gp_cert_cb cb, void *arg);
	int (*cert_count)(gp_store *s, int64_t ca_id, int64_t *out);
	int (*cert_changed)(gp_store *s, int64_t since_rev, gp_cert_cb cb, void *arg);
	int (*crl_entries)(gp_store *s, int64_t ca_id, int64_t since_rev,
	    gp_blob_cb cb, void *arg);
	int (*crl_next_number)(gp_store *s, int64_t ca_id, int64_t *out);
	int (*crl_add)(gp_store *s, gp_crl_info *crl);
	int (*crl_latest)(gp_store *s, int64_t ca_id, int delta, int with_der, gp_crl_info **out);
	int (*audit_insert)(gp_store *s, const gp_audit_row *row);
	int (*audit_last)(gp_store *s, int64_t *seq, unsigned char hash[32]);
	/* *bad_seq: the seq of a malformed row that stopped the walk, else 0 */
	int (*audit_list)(gp_store *s, int64_t from_seq, gp_audit_cb cb, void *arg,
	    int64_t *bad_seq);
	/* the contracts of the lib-internal gp_store_* functions below */
	int (*read_begin)(gp_store *s, int *own);
	void (*read_end)(gp_store *s, int own);
	int (*audit_objects)(gp_store *s, int64_t counts[GP_AUDIT_OBJ__N]);
	int (*audit_unlogged)(gp_store *s, int kind, const char *action, int64_t missing,
	    char **object, char **ca);
	int (*key_block_add)(gp_store *s, const gp_key_block *kb);
	int (*key_block_get)(gp_store *s, const unsigned char hash[32], gp_key_block *out);
	int (*meta_get)(gp_store *s, const char *key, char **out);   /* *out malloc'ed */
	int (*meta_set)(gp_store *s, const char *key, const char *value);
	const struct gp_store_ra_ops *ra;
	const struct gp_store_seal_ops *seal;
	const struct gp_store_ocsp_ops *ocsp;
	const struct gp_store_acme_ops *acme;
	const struct gp_store_kmc_ops *kmc;
	/* gp_store_dump's contract */
	int (*dump)(gp_store *s, gp_store_write_fn wr, void *arg);
};

struct gp_store {
	const struct gp_store_ops *ops;
	int flags;
};

/*
 * Lib-internal store functions (lib/store.c dispatches them like the
 * public ones), for what lib/audit.c reads to verify the log.
 */

/* gp_store_audit_list, and on a malformed row (GP_E_VERIFY) *bad_seq gets
 * its seq; 0 otherwise. */
int gp_store_audit_walk(gp_store *s, int64_t from_seq, gp_audit_cb cb, void *arg,
    int64_t *bad_seq);
/* Opens a read snapshot, so that several reads see the store at one point
 * in time while writers go on; inside the caller's transaction that one
 * serves and *own is 0.  gp_store_read_end(s, own) ends what was opened. */
int gp_store_read_begin(gp_store *s, int *own);
void gp_store_read_end(gp_store *s, int own);
/* counts[k]: how many rows of kind GP_AUDIT_OBJ_k the store holds (0 for
 * the kinds of a module whose tables the store does not have yet). */
int gp_store_audit_objects(gp_store *s, int64_t counts[GP_AUDIT_OBJ__N]);
/*
 * The first row of kind (in the order rows were made) for which the log
 * holds no entry with the given action and the row's object, the string
 * that entry names it by (a CA's name, a serial in lowercase hex,
 * "CA/crl/NUMBER", a seal id, "request:ID", "officer:NAME", "token:ID").
 * *object gets it and *ca the name of the CA the row belongs to (NULL when
 * none); both NULL when every row has its entry.  The caller frees both.
 * missing: how many rows lack their entry if the log was cut at its end
 * (rows minus entries), or 0 when unknown.  With it the row is found in
 * well under a second; without it (or when rows were added behind the
 * log's back instead) by a set difference over the whole log: seconds on
 * millions of entries.
 */
int gp_store_audit_unlogged(gp_store *s, int kind, const char *action, int64_t missing,
    char **object, char **ca);

/*
 * Writes one consistent snapshot of the whole store to wr, while other
 * connections go on writing.  Inside a read snapshot of the caller
 * (gp_store_read_begin) the dump is of that snapshot, so what the caller
 * read there describes it; inside a write transaction it is refused
 * (GP_E_STATE): the dump would hold what is not committed.  The bytes are
 * the backend's own (struct gp_store_backend: dump_name, restore).
 */
int gp_store_dump(gp_store *s, gp_store_write_fn wr, void *arg);

/*
 * A backend, as gp_store_open finds it: a URI "SCHEME:LOCATION" goes to
 * the backend of that scheme, any other URI without "SCHEME://" to the
 * first one (the embedded default).  The list is lib/store_backends.c;
 * lib/store.c knows no backend by name.
 */
struct gp_store_backend {
	const char *scheme;     /* "sqlite" */
	int local;              /* 1: a location is a file path, and a relative one
	                         * is taken from the home (gp_store_uri_resolve) */
	/* the name of a dump in a backup, and of the store in a restored home */
	const char *dump_name;
	int (*open)(gp_store **out, const char *location, int flags);
	/* Makes a new store at location (GP_E_EXISTS if anything is there)
	 * from what the backend's dump wrote; a failure leaves nothing.  The
	 * store is brought to this build's schema when next opened. */
	int (*restore)(const char *location, gp_store_read_fn rd, void *arg);
	/* Removes the store at location with all that the backend keeps
	 * beside it; nothing there is no error.  No connection may be open. */
	int (*remove)(const char *location);
	/* *out: 1 when something is at location, else 0 */
	int (*exists)(const char *location, int *out);
};

/*
 * What every backend answers alike (lib/store.c), so that the backends
 * share the words and the rules, not copies of them.
 */
/* A copy of b with its own strings and DER; the caller frees *out
 * (gp_cert_info_free). */
int gp_cert_info_dup(gp_cert_info **out, const gp_cert_info *b);
/* How long a writer waits for another one's lock before GP_E_BUSY, in
 * milliseconds: GOVPKI_BUSY_TIMEOUT_MS, else GP_STORE_BUSY_TIMEOUT_MS. */
#define GP_STORE_BUSY_TIMEOUT_MS 5000
int gp_store_busy_timeout_ms(void);
/* GP_E_NOTFOUND with the message for a serial that CA ca_id never issued. */
int gp_store_not_issued(int64_t ca_id, const unsigned char *serial, size_t serial_len);
/* RFC 5280 §5.2.3: the CRL number after max, the highest a CA used (0
 * for none), or GP_E_STATE when the numbers are exhausted. */
int gp_store_crl_number_after(int64_t ca_id, int64_t max, int64_t *out);

/* The backends built in, ending with NULL (lib/store_backends.c). */
extern const struct gp_store_backend *const gp_store_backends[];

/* The schemes of the backends this build leaves out, with why, ending
 * with a NULL scheme: their URIs get that reason, not "unsupported". */
struct gp_store_absent {
	const char *scheme;
	const char *why;
};
extern const struct gp_store_absent gp_store_backends_absent[];

/* The backend that uri names and where (inside uri) its location starts.
 * GP_E_INVALID for another backend's URI or an empty location. */
int gp_store_backend_of(const struct gp_store_backend **out, const char **location,
    const char *uri);

/* The backend of that scheme (a store's ops->name), or NULL. */
const struct gp_store_backend *gp_store_backend_named(const char *scheme);

/* The restore of uri's backend (struct gp_store_backend) at uri's location. */
int gp_store_restore(const char *uri, gp_store_read_fn rd, void *arg);

#endif
