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
/* Modules' own store functions (RA workflow, seals, pre-signed OCSP
 * responses) sit in sub-tables defined in lib/store_<module>_int.h. */
struct gp_store_ra_ops;
struct gp_store_seal_ops;
struct gp_store_ocsp_ops;

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
	int (*audit_list)(gp_store *s, int64_t from_seq, gp_audit_cb cb, void *arg);
	int (*meta_get)(gp_store *s, const char *key, char **out);
	int (*meta_set)(gp_store *s, const char *key, const char *value);
	const struct gp_store_ra_ops *ra;
	const struct gp_store_seal_ops *seal;
	const struct gp_store_ocsp_ops *ocsp;
	/* a consistent online copy of the whole store into dest_path (must not exist) */
	int (*backup)(gp_store *s, const char *dest_path);
};

struct gp_store {
	const struct gp_store_ops *ops;
	int flags;
};

/* The SQLite backend: path is a file name.  Defined in lib/store_sqlite.c. */
int gp_store_sqlite_open(gp_store **out, const char *path, int flags);

#endif
