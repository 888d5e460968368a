/* govpki/store.h: the store of CAs, certificates, CRLs and the audit log */
#ifndef GOVPKI_STORE_H
#define GOVPKI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <govpki/export.h>
#include <govpki/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The store is an interface: gp_store_open() picks a backend from the URI
 * ("sqlite:PATH" or a plain path: SQLite; other schemes later) and every
 * call below dispatches through the backend's table of functions
 * (lib/store_int.h).  Only lib/store_*.c speak SQL.
 *
 * A gp_store is one connection: use it from one thread at a time; open one
 * per thread.  Writes outside gp_store_begin()/gp_store_commit() are each
 * their own transaction.  Records returned through **out are owned by the
 * caller and freed with their _free function.
 */
typedef struct gp_store gp_store;

#define GP_STORE_READONLY 0x1   /* open read-only; writes fail with GP_E_READONLY */
#define GP_STORE_CREATE   0x2   /* create the store (and its schema) if missing */

/* Certificate status (the status column). */
enum {
	GP_STATUS_GOOD = 0,
	GP_STATUS_REVOKED = 1,
	GP_STATUS_HOLD = 2      /* revoked with reason certificateHold: may be released */
};

/* RFC 5280 §5.3.1 CRLReason; GP_REASON_NONE when the entry has no reason. */
enum {
	GP_REASON_NONE = -1,
	GP_REASON_UNSPECIFIED = 0,
	GP_REASON_KEY_COMPROMISE = 1,
	GP_REASON_CA_COMPROMISE = 2,
	GP_REASON_AFFILIATION_CHANGED = 3,
	GP_REASON_SUPERSEDED = 4,
	GP_REASON_CESSATION = 5,
	GP_REASON_CERTIFICATE_HOLD = 6,
	/* 7 is not used */
	GP_REASON_REMOVE_FROM_CRL = 8,
	GP_REASON_PRIVILEGE_WITHDRAWN = 9,
	GP_REASON_AA_COMPROMISE = 10
};

#define GP_SERIAL_MAX 20        /* RFC 5280 §4.1.2.2: at most 20 octets */

typedef struct gp_ca_info {
	int64_t id;             /* set by gp_store_ca_add */
	char *name;             /* unique */
	int64_t parent_id;      /* 0 for a self-signed root */
	char *key_uri;          /* file path or pkcs11: URI */
	char *key_type;         /* "ec-p256", ... */
	unsigned char *cert_der;
	size_t cert_len;
	int64_t created;        /* unix time */
} gp_ca_info;

typedef struct gp_cert_info {
	int64_t id;             /* set by gp_store_cert_add */
	int64_t ca_id;
	unsigned char serial[GP_SERIAL_MAX]; /* big-endian, as in the DER INTEGER content */
	size_t serial_len;
	char *subject;          /* RFC 2253 form */
	char *sans;             /* "DNS:a.example, IP:10.0.0.1", may be NULL */
	int64_t not_before;
	int64_t not_after;
	char *profile;
	int status;             /* GP_STATUS_* */
	int64_t revoked_at;     /* 0 when good */
	int reason;             /* GP_REASON_*, GP_REASON_NONE when good */
	int64_t status_rev;     /* store revision of the last status change */
	int64_t issued_at;
	unsigned char fingerprint[32]; /* SHA-256 of der */
	unsigned char *der;
	size_t der_len;
} gp_cert_info;

typedef struct gp_crl_info {
	int64_t id;
	int64_t ca_id;
	int64_t number;         /* CRL number: one increasing sequence per CA, full and delta (RFC 5280 §5.2.4) */
	int is_delta;
	int64_t base_number;    /* a delta: the number of the full CRL it completes; else 0 */
	int64_t this_update;
	int64_t next_update;
	int64_t revision;       /* store revision the CRL reflects */
	unsigned char *der;
	size_t der_len;
} gp_crl_info;

typedef struct gp_audit_row {
	int64_t seq;            /* 1, 2, 3, ... */
	int64_t time;
	char *actor;
	char *action;
	char *object;
	char *detail;
	unsigned char prev_hash[32];
	unsigned char hash[32];
} gp_audit_row;

/* What gp_store_cert_list() returns; start from GP_CERT_FILTER_INIT (any
 * certificate, docs/api.md), then set what matters. */
typedef struct gp_cert_filter {
	size_t size;            /* sizeof(gp_cert_filter) of the caller's headers */
	int64_t ca_id;          /* 0: any */
	int status;             /* -1: any (set it: 0 means GP_STATUS_GOOD) */
	const char *profile;    /* NULL: any */
	const char *subject_like; /* substring of subject, NULL: any */
	int64_t expires_before; /* 0: any */
	int64_t after_id;       /* cursor: only ids greater than this */
	int64_t limit;          /* 0: no limit */
	int64_t expires_after;  /* 0: any; else only not_after >= this */
} gp_cert_filter;
#define GP_CERT_FILTER_INIT { sizeof(gp_cert_filter), 0, -1, NULL, NULL, 0, 0, 0, 0 }

/* Callbacks return 0 to go on, anything else to stop (that value is returned). */
typedef int (*gp_cert_cb)(void *arg, const gp_cert_info *cert);
typedef int (*gp_blob_cb)(void *arg, const unsigned char *buf, size_t len);
typedef int (*gp_audit_cb)(void *arg, const gp_audit_row *row);

/* Opens (GP_STORE_CREATE: creates) the store at uri and migrates its schema
 * to the current version.  A store written by a newer govpki is refused with
 * GP_E_VERSION.  *out is freed with gp_store_close(). */
GP_EXPORT int gp_store_open(gp_store **out, const char *uri, int flags);

/* The store URI as a configuration gives it ([govpki] store), made
 * absolute: an SQLite path ("sqlite:PATH" or a plain PATH) relative to home
 * (NULL: as it is); the URI of another backend ("scheme://...") unchanged,
 * so that callers need not know the backends.  *out is freed with gp_free. */
GP_EXPORT int gp_store_uri_resolve(char **out, const char *home, const char *uri);
GP_EXPORT void gp_store_close(gp_store *s);

/* *out: 1 when something is where uri points (a store, or anything else
 * its backend would find in the way), 0 when nothing is.  A location that
 * cannot be checked is an error (GP_E_IO), not a 0. */
GP_EXPORT int gp_store_exists(int *out, const char *uri);

/* Removes the store uri names, with everything its backend keeps beside it
 * (SQLite: its -wal, -shm and -journal files).  Nothing there is no error.
 * No connection may be open on it, here or elsewhere. */
GP_EXPORT int gp_store_remove(const char *uri);

/* Transactions (not nested).  begin takes the write lock at once (SQLite:
 * BEGIN IMMEDIATE); a locked store waits for the busy timeout, then
 * GP_E_BUSY.  rollback is harmless when no transaction is open. */
GP_EXPORT int gp_store_begin(gp_store *s);
GP_EXPORT int gp_store_commit(gp_store *s);
GP_EXPORT int gp_store_rollback(gp_store *s);

/* The revision counter: grows with every certificate status change. Cheap. */
GP_EXPORT int gp_store_revision(gp_store *s, int64_t *out);

/* CAs */
GP_EXPORT int gp_store_ca_add(gp_store *s, gp_ca_info *ca);   /* sets ca->id; GP_E_EXISTS for a taken name */
GP_EXPORT int gp_store_ca_get(gp_store *s, const char *name, gp_ca_info **out);  /* GP_E_NOTFOUND */
GP_EXPORT int gp_store_ca_get_id(gp_store *s, int64_t id, gp_ca_info **out);
/* *out is a malloc'ed array of *n pointers; free with gp_ca_info_list_free */
GP_EXPORT int gp_store_ca_list(gp_store *s, gp_ca_info ***out, size_t *n);
GP_EXPORT void gp_ca_info_free(gp_ca_info *ca);
GP_EXPORT void gp_ca_info_list_free(gp_ca_info **list, size_t n);

/* Certificates.  add sets cert->id; a serial taken for that CA is GP_E_EXISTS. */
GP_EXPORT int gp_store_cert_add(gp_store *s, gp_cert_info *cert);
GP_EXPORT int gp_store_cert_get(gp_store *s, int64_t ca_id,
    const unsigned char *serial, size_t serial_len, gp_cert_info **out);
/* Status only, without allocating (the OCSP hot path).  GP_E_NOTFOUND for
 * a serial never issued by that CA. */
GP_EXPORT int gp_store_cert_status(gp_store *s, int64_t ca_id,
    const unsigned char *serial, size_t serial_len,
    int *status, int64_t *revoked_at, int *reason);
/* Changes the status, stores entry (the DER of the certificate's CRL entry:
 * a revokedCertificates element, or its removeFromCRL form after a release),
 * and bumps the revision counter; *revision gets the new value (may be NULL).
 * GP_E_NOTFOUND for an unknown serial. */
GP_EXPORT int gp_store_cert_set_status(gp_store *s, int64_t ca_id,
    const unsigned char *serial, size_t serial_len, int status,
    int64_t revoked_at, int reason, const unsigned char *entry,
    size_t entry_len, int64_t *revision);
/* Calls cb for each matching certificate, in id order. */
/* GP_E_INVALID when f->size is not that of a gp_cert_filter. */
GP_EXPORT int gp_store_cert_list(gp_store *s, const gp_cert_filter *f,
    gp_cert_cb cb, void *arg);
/* Calls cb for every certificate (of any CA) whose status changed after
 * revision since_rev, in status_rev order: how the OCSP responder learns
 * of revocations without re-reading everything. */
GP_EXPORT int gp_store_cert_changed(gp_store *s, int64_t since_rev,
    gp_cert_cb cb, void *arg);
/* Number of certificates of a CA (0: all CAs). */
GP_EXPORT int gp_store_cert_count(gp_store *s, int64_t ca_id, int64_t *out);
GP_EXPORT void gp_cert_info_free(gp_cert_info *cert);

/* CRL entries of a CA, as stored by gp_store_cert_set_status.
 * since_rev == 0: the entries of all certificates not good (a full CRL);
 * since_rev > 0: the entries of all certificates whose status changed
 * after that revision (a delta CRL), including releases from hold. */
GP_EXPORT int gp_store_crl_entries(gp_store *s, int64_t ca_id, int64_t since_rev,
    gp_blob_cb cb, void *arg);

/* CRLs */
GP_EXPORT int gp_store_crl_next_number(gp_store *s, int64_t ca_id, int64_t *out);
GP_EXPORT int gp_store_crl_add(gp_store *s, gp_crl_info *crl);  /* sets id; number must grow: GP_E_EXISTS */
/* The latest full (delta == 0) or delta (delta == 1) CRL; GP_E_NOTFOUND if none. */
GP_EXPORT int gp_store_crl_latest(gp_store *s, int64_t ca_id, int delta, gp_crl_info **out);
/* The same without the DER (der NULL, der_len 0): what a delta CRL needs
 * of its base, without reading a full CRL of tens of MiB. */
GP_EXPORT int gp_store_crl_latest_info(gp_store *s, int64_t ca_id, int delta, gp_crl_info **out);
GP_EXPORT void gp_crl_info_free(gp_crl_info *crl);

/* Audit rows (the chain itself is computed by govpki/audit.h). */
GP_EXPORT int gp_store_audit_insert(gp_store *s, const gp_audit_row *row);
/* The last row's seq and hash; seq 0 and a zero hash on an empty log. */
GP_EXPORT int gp_store_audit_last(gp_store *s, int64_t *seq, unsigned char hash[32]);
/* Calls cb for each row from from_seq on, in seq order.  A row whose columns
 * are not what gp_store_audit_insert writes (integers, text without a NUL
 * byte, NULL only for object and detail, 32-byte hashes: an edit of the
 * store) is not passed on: the walk stops there with GP_E_VERIFY and a
 * message naming its seq. */
GP_EXPORT int gp_store_audit_list(gp_store *s, int64_t from_seq, gp_audit_cb cb, void *arg);

/*
 * Keys that may never be certified again (issue 21.3), named by
 * gp_pubkey_hash (govpki/x509util.h): the key of a certificate revoked
 * for keyCompromise, and every CA's own key.  A key once blocked stays
 * blocked; the first reason recorded stands.
 */
enum {
	GP_KEY_BLOCK_COMPROMISED = 1,   /* certificate serial of CA ca_id revoked keyCompromise */
	GP_KEY_BLOCK_CA = 2             /* the key of CA ca_id */
};

typedef struct gp_key_block {
	unsigned char hash[32];
	int why;                /* GP_KEY_BLOCK_* */
	int64_t ca_id;
	unsigned char serial[GP_SERIAL_MAX];  /* COMPROMISED: the revoked certificate */
	size_t serial_len;      /* 0 for a CA key */
	int64_t at;             /* unix time it was recorded */
} gp_key_block;

/* Records kb (kb->hash names the key); a key blocked already keeps its
 * record (0). */
GP_EXPORT int gp_store_key_block_add(gp_store *s, const gp_key_block *kb);
/* The record of the key hash into *out (no allocation: the issuance
 * path); GP_E_NOTFOUND, without a message, when the key is not blocked
 * (the answer of nearly every call). */
GP_EXPORT int gp_store_key_block_get(gp_store *s, const unsigned char hash[32],
    gp_key_block *out);

/* A key/value table for small settings (e.g. the schema's creator). */
/* *out (gp_free) the value of key; GP_E_NOTFOUND when it has none. */
GP_EXPORT int gp_store_meta_get(gp_store *s, const char *key, char **out);
GP_EXPORT int gp_store_meta_set(gp_store *s, const char *key, const char *value);

#ifdef __cplusplus
}
#endif
#endif
