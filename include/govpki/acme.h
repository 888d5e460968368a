/* govpki/acme.h: the store of the ACME server (RFC 8555): accounts, orders, authorizations, EAB keys */
#ifndef GOVPKI_ACME_H
#define GOVPKI_ACME_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <govpki/export.h>
#include <govpki/mem.h>
#include <govpki/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ra-server's ACME directories (ra/acme*.c, docs/acme.md) keep their
 * state here: the protocol itself (JWS, JSON, HTTP) stays in the daemon.
 * Status numbers are stored; their names are RFC 8555 §7.1.6's.
 */
enum {
	GP_ACME_PENDING = 0,
	GP_ACME_READY = 1,         /* orders */
	GP_ACME_PROCESSING = 2,    /* orders, challenges */
	GP_ACME_VALID = 3,
	GP_ACME_INVALID = 4,
	GP_ACME_DEACTIVATED = 5,   /* accounts, authorizations */
	GP_ACME_REVOKED = 6,       /* accounts (by the server), authorizations */
	GP_ACME_EXPIRED = 7,       /* authorizations */
	GP_ACME__NSTATUS
};
GP_EXPORT const char *gp_acme_status_name(int status);

/* Identifier and challenge types. */
enum { GP_ACME_ID_DNS = 0, GP_ACME_ID_IP = 1 };
enum { GP_ACME_HTTP01 = 0, GP_ACME_DNS01 = 1, GP_ACME_TLSALPN01 = 2, GP_ACME__NCHALL };

#define GP_ACME_MAX_JWK 4096     /* bytes of an account key's JWK */
#define GP_ACME_MAX_IDS 100      /* identifiers per order */
#define GP_ACME_TOKEN_LEN 43     /* base64url of 32 random bytes */

typedef struct gp_acme_account {
	int64_t id;
	char *profile;             /* the directory it was made in */
	unsigned char thumb[32];   /* JWK thumbprint (RFC 7638), SHA-256 */
	char *jwk;                 /* the public key as JWK JSON text */
	int status;                /* VALID, DEACTIVATED, REVOKED */
	char *contact;             /* JSON array text, or NULL */
	char *eab_kid;             /* the EAB key it was bound with, or NULL */
	int64_t created;
	char *client;              /* who made it (rate limits): its address, an IPv6
	                              client by its /64; NULL: not known */
} gp_acme_account;

typedef struct gp_acme_order {
	int64_t id;
	int64_t account;
	char *profile;
	int status;                /* PENDING, READY, PROCESSING, VALID, INVALID */
	int64_t created, expires;
	char *identifiers;         /* "dns:a.example,ip:192.0.2.1", as ordered */
	char *error;               /* problem document (JSON text) once invalid, or NULL */
	unsigned char serial[GP_SERIAL_MAX];  /* the certificate, once valid */
	size_t serial_len;
	int64_t ra_request;        /* the officers' request (acme_approval = officer), 0: none */
} gp_acme_order;

typedef struct gp_acme_authz {
	int64_t id;
	int64_t order_id;
	int64_t account;
	int id_type;               /* GP_ACME_ID_* */
	char *value;               /* the identifier ("*." taken off a wildcard) */
	int wildcard;
	int status;                /* PENDING, VALID, INVALID, DEACTIVATED, EXPIRED */
	int64_t expires;
	char token[GP_ACME_TOKEN_LEN + 1];  /* shared by its challenges */
	int chall;                 /* the challenge that was tried (GP_ACME_*01), -1: none */
	int chall_status;          /* its status: PENDING, PROCESSING, VALID, INVALID */
	int64_t validated;         /* when it became valid, 0 */
	char *error;               /* problem document (JSON text) of a failed challenge */
} gp_acme_authz;

/* An external account binding key (RFC 8555 §7.3.4). */
typedef struct gp_acme_eab {
	char *kid;
	char *profile;
	unsigned char key[32];     /* SHA-256 of the MAC key shown (HS256 keys with it,
	                              RFC 2104 §2: the key is longer than 64 bytes); zeros once used */
	int64_t created;
	int64_t used_by;           /* the account bound with it, 0: unused */
} gp_acme_eab;

GP_EXPORT void gp_acme_account_free(gp_acme_account *a);
GP_EXPORT void gp_acme_order_free(gp_acme_order *o);
GP_EXPORT void gp_acme_authz_free(gp_acme_authz *z);
GP_EXPORT void gp_acme_eab_free(gp_acme_eab *e);   /* wipes the key */

/*
 * Store functions (lib/store_acme.c dispatches them to the backend).
 * Records in **out are freed by their _free function.  State changes are
 * compare-and-set: GP_E_STATE when the row is not in status from,
 * GP_E_NOTFOUND when there is no such row.
 */
/* Sets a->id; GP_E_EXISTS when an account of that key (thumbprint) exists. */
GP_EXPORT int gp_store_acme_account_add(gp_store *s, gp_acme_account *a);
/* By id (thumb NULL) or by key thumbprint (id 0). */
GP_EXPORT int gp_store_acme_account_get(gp_store *s, int64_t id, const unsigned char *thumb,
    gp_acme_account **out);
/* Changes status (from -> to), and contact and the key when not NULL. */
GP_EXPORT int gp_store_acme_account_update(gp_store *s, int64_t id, int from, int to,
    const char *contact, const char *jwk, const unsigned char *thumb);
/* What a deactivated account had pending (RFC 8555 §7.3.6): its pending
 * authorizations become deactivated, its pending and ready orders
 * invalid; *nauthz and *norders (either may be NULL) say how many. */
GP_EXPORT int gp_store_acme_account_cancel(gp_store *s, int64_t id, int64_t *nauthz,
    int64_t *norders);
/* The rate limits' counts (ra/acme.c): the accounts made by client, and
 * the orders of account, created at since or later; *first: the creation
 * time of the earliest of them (0: none). */
GP_EXPORT int gp_store_acme_account_count(gp_store *s, const char *client, int64_t since,
    int64_t *n, int64_t *first);
GP_EXPORT int gp_store_acme_order_count(gp_store *s, int64_t account, int64_t since,
    int64_t *n, int64_t *first);

/* Adds the order and its n authorizations (o->id and each z[i].id and
 * order_id set), all or nothing. */
GP_EXPORT int gp_store_acme_order_add(gp_store *s, gp_acme_order *o, gp_acme_authz *z, size_t n);
GP_EXPORT int gp_store_acme_order_get(gp_store *s, int64_t id, gp_acme_order **out);
/* The ids of the order's authorizations in order (*ids: gp_free). */
GP_EXPORT int gp_store_acme_order_authzs(gp_store *s, int64_t order_id, int64_t **ids, size_t *n);
/* Moves an order from -> to, setting error, serial and ra_request where
 * given (NULL, 0: unchanged). */
GP_EXPORT int gp_store_acme_order_set(gp_store *s, int64_t id, int from, int to,
    const char *error, const unsigned char *serial, size_t serial_len, int64_t ra_request);
/* The order that got the certificate serial (GP_E_NOTFOUND: not through ACME). */
GP_EXPORT int gp_store_acme_order_by_serial(gp_store *s, const unsigned char *serial,
    size_t serial_len, gp_acme_order **out);

GP_EXPORT int gp_store_acme_authz_get(gp_store *s, int64_t id, gp_acme_authz **out);
/* Moves an authorization from -> to with the tried challenge's type and
 * status, its error (or NULL) and the validation time (0: unchanged). */
GP_EXPORT int gp_store_acme_authz_set(gp_store *s, int64_t id, int from, int to, int chall,
    int chall_status, const char *error, int64_t validated);

/* GP_E_EXISTS for a kid taken. */
GP_EXPORT int gp_store_acme_eab_add(gp_store *s, const gp_acme_eab *e);
GP_EXPORT int gp_store_acme_eab_get(gp_store *s, const char *kid, gp_acme_eab **out);
/* Marks the key used by account and wipes it (GP_E_STATE: used already). */
GP_EXPORT int gp_store_acme_eab_use(gp_store *s, const char *kid, int64_t account);

/*
 * Names as an order and a CSR are compared (RFC 8555 §7.4: the CSR asks
 * for exactly the order's identifiers), by ra-server at finalize and again
 * by ca-signer before it signs (ra/acme-names.c).  A list is "dns:a,ip:b":
 * DNS names in lower case, IP addresses in canonical text.
 */
/* The canonical text of IP address s into out: 4 or 16 (its length), 0
 * when s is not an address (RFC 8738 §3). */
GP_EXPORT int gp_acme_ip_canon(char *out, size_t len, const char *s);
/* Sorts a comma-separated list in place, dropping duplicates. */
GP_EXPORT void gp_acme_names_sort(char *list);
/* The names req asks for (its DNS and IP subjectAltNames and each CN),
 * sorted; -1 with the reason in err for a CSR naming anything else or
 * nothing.  *out: free(). */
GP_EXPORT int gp_acme_csr_names(char **out, X509_REQ *req, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
