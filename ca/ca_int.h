/* ca/ca_int.h: the CA context and opened CA, inside the library */
#ifndef GP_CA_INT_H
#define GP_CA_INT_H

#include <openssl/x509v3.h>

#include <govpki/ca.h>

#include "profile_int.h"

struct gp_ctx {
	gp_config *cfg;
	gp_profiles *profiles;
	gp_store *store;
	char *home;            /* absolute or as given */
	char *keys_dir;        /* where generated CA keys go */
	char *store_uri;       /* the store's URI, resolved against home */
	long crl_hours;        /* full CRL nextUpdate - thisUpdate */
	long delta_hours;      /* delta CRL nextUpdate - thisUpdate */
	const char *delta_url; /* [crl] delta_url: where delta CRLs are, "%s" = CA name; borrowed from cfg */
	struct gp_signer *signer; /* borrowed, or NULL: CAs open without their keys */
	struct gp_signer *own_signer; /* the one of [signer] socket, owned */
};

struct gp_ca {
	gp_ctx *ctx;           /* borrowed */
	gp_ca_info *info;
	X509 *cert;
	EVP_PKEY *key;         /* NULL: the key is ca-signer's (gp_ctx_set_signer) */
	gp_issuer_defaults dflt; /* what its certificates point to ([ca.NAME]) */
};

/* GP_E_STATE, saying so, when ca was opened without its key (the key is
 * ca-signer's: gp_ctx_set_signer); checked before anything is signed. */
int gp_ca_need_key(const gp_ca *ca);

/* Fills d from [ca.NAME] and the store (see ca/ca.c); all NULL when the CA
 * has neither.  gp_issuer_defaults_clear frees its contents. */
int gp_ca_defaults_load(gp_issuer_defaults *d, gp_ctx *ctx, const char *name);
void gp_issuer_defaults_clear(gp_issuer_defaults *d);

/* Records ca's crl_shards in the store (inside the caller's transaction)
 * the first time a sharded certificate or CRL is made; 0 when there is
 * nothing to record. */
int gp_ca_crl_shards_record(gp_ca *ca);

/* 1 when name is a CA name: 1 to 64 of A-Z a-z 0-9 . _ - */
int gp_ca_name_valid(const char *name);

/* keys/NAME.key under the home (the folder made): absolute, and as the
 * store keeps it (relative to the home when under it); both malloc'ed. */
int gp_ca_new_key_path(gp_ctx *ctx, const char *name, char **abs, char **rel);

/* A new CA's key: p->key_uri loaded (*keyrel its copy, *keyabs NULL), or
 * a new p->key_type key for keys/NAME.key (*keyabs, *keyrel as
 * gp_ca_new_key_path; not written yet, and GP_E_EXISTS when the file is
 * there).  The caller frees all three, on failure too. */
int gp_ca_key_obtain(EVP_PKEY **key, char **keyabs, char **keyrel, gp_ctx *ctx,
    const gp_ca_params *p);

/* Frees what gp_ca_cert_info filled, and zeroes it. */
void gp_ca_cert_info_clear(gp_cert_info *info);

/* Resolves a key file name relative to the home (malloc'ed). */
int gp_ctx_path(gp_ctx *ctx, const char *name, char **out);

/* Sets a certificate's validity: now .. now + days - 1 s (both ends count,
 * RFC 5280 §4.1.2.5), never past the issuer's
 * notAfter (issuer NULL: no cap).  days must be within the profile. */
int gp_ca_set_validity(X509 *cert, const X509 *issuer, const gp_profile *p, int days);

/* A fresh random serial set on cert; the content bytes are copied to serial. */
int gp_ca_set_serial(X509 *cert, unsigned char serial[16]);

/* GP_E_STATE when ca's own certificate is revoked or on hold (read from
 * its parent's certificates; a root is always active). */
int gp_ca_check_active(gp_ca *ca);

/* GP_E_POLICY when a certificate of profile p under ca would break ca's
 * pathLenConstraint (RFC 5280 §4.2.1.9); 0 for end-entity profiles. */
int gp_ca_check_path_len(gp_ca *ca, const gp_profile *p);

/* GP_E_POLICY, with the reason, when st blocks the key of hash
 * (gp_pubkey_hash): compromised, or a CA's own key (gp_ca_check_key). */
int gp_ca_key_refused(gp_store *st, const unsigned char hash[32]);

/* Fills info (borrowing nothing: strings and der are allocated) from cert. */
int gp_ca_cert_info(gp_cert_info *info, X509 *cert, int64_t ca_id,
    const char *profile, const GENERAL_NAMES *sans);

#endif
