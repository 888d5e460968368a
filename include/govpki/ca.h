/* govpki/ca.h: the certification authority: hierarchy, issuance, revocation, CRLs */
#ifndef GOVPKI_CA_H
#define GOVPKI_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <govpki/config.h>
#include <govpki/export.h>
#include <govpki/mem.h>
#include <govpki/key.h>
#include <govpki/profile.h>
#include <govpki/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A govpki home: its configuration, profiles and store.  With no
 * configuration file the built-in profiles apply and the store and keys
 * live in home (default: $GOVPKI_HOME, else the current folder):
 * home/govpki.db and home/keys/NAME.key.  The file's [govpki] section may
 * set home, store and keys.
 */
typedef struct gp_ctx gp_ctx;

#define GP_CTX_READONLY 0x1     /* open the store read-only */
#define GP_CTX_EXISTING 0x2     /* read-write, but create neither home nor store:
                                 * a missing store is GP_E_NOTFOUND */
#define GP_CTX_NO_SIGNER 0x4    /* the CA keys in process even with [signer] socket
                                 * (ca-signer itself opens them so) */

GP_EXPORT int gp_ctx_open(gp_ctx **out, const char *config_path, const char *home, int flags);
/* Where gp_ctx_open would find the home and the store, without opening or
 * creating anything: home as given, else the configuration's [govpki]
 * home, else $GOVPKI_HOME, else "."; the store URI resolved against it
 * (gp_store_uri_resolve).  Both freed with gp_free. */
GP_EXPORT int gp_ctx_locate(char **home_out, char **store_uri, const char *config_path,
    const char *home);
GP_EXPORT void gp_ctx_free(gp_ctx *ctx);

/* Every check gp_ctx_open makes of a configuration, without a home or a
 * store: known sections, the keys of [govpki], [crl], [pkcs11] and every
 * [ca.NAME], the [crl] values, and every profile.  GP_E_CONFIG names the
 * file and line of the first fault (what `ca-tool config check` reports;
 * the daemons check their own sections when they start). */
GP_EXPORT int gp_config_check(const gp_config *cfg);
GP_EXPORT gp_store *gp_ctx_store(gp_ctx *ctx);              /* borrowed */
/* The store's URI as opened: [govpki] store resolved against the home. */
GP_EXPORT const char *gp_ctx_store_uri(const gp_ctx *ctx);
GP_EXPORT const gp_profiles *gp_ctx_profiles(gp_ctx *ctx);  /* borrowed */
GP_EXPORT const gp_config *gp_ctx_config(gp_ctx *ctx);      /* borrowed */
GP_EXPORT const char *gp_ctx_home(gp_ctx *ctx);

/*
 * The signer of a context (govpki/signer.h, docs/signer.md): when one is
 * set, the CA keys are ca-signer's.  gp_ctx_open sets one of its own
 * (connected at its first use) when the configuration has [signer]
 * socket, unless GP_CTX_NO_SIGNER.  gp_ca_open on this context then
 * opens a CA's certificate and record without its key (nothing asks for
 * a passphrase), the RA's issuance (gp_ra_approve*, gp_ra_recover) asks
 * the signer to issue each approved request, gp_ca_crl asks it for the
 * CRL (sign-crl), and whatever else would sign in process
 * (gp_ca_issue_prepare) fails with GP_E_STATE.  s is borrowed: it
 * outlives the context and every CA opened on it; set it before the first
 * gp_ca_open (it replaces the context's own).  NULL: in-process keys.
 */
struct gp_signer;
GP_EXPORT void gp_ctx_set_signer(gp_ctx *ctx, struct gp_signer *s);
/* The signer set on ctx, or NULL (borrowed). */
GP_EXPORT struct gp_signer *gp_ctx_signer0(const gp_ctx *ctx);

/* Set size with GP_CA_PARAMS_INIT (docs/api.md):
 *   gp_ca_params p = GP_CA_PARAMS_INIT; */
typedef struct gp_ca_params {
	size_t size;               /* sizeof(gp_ca_params) of the caller's headers */
	const char *name;          /* [A-Za-z0-9_.-]{1,64} */
	const char *parent;        /* NULL: a self-signed root */
	const char *subject;       /* "/C=CN/O=Example/CN=Root CA" */
	gp_key_type key_type;
	const char *key_uri;       /* an existing key; NULL: generate HOME/keys/NAME.key */
	const char *profile;       /* NULL: "root-ca" for a root, "sub-ca" otherwise */
	int days;                  /* 0: the profile's maximum */
	const char *pass;          /* the new (or existing) key's passphrase */
	size_t passlen;
	const char *parent_pass;   /* the parent key's passphrase (NULL: same as pass) */
	size_t parent_passlen;
	const char *actor;         /* for the audit log; NULL: "ca-tool" */
	const char *base_url;      /* where this CA publishes (CRL DP, AIA of what it
	                            * issues); NULL: none ([ca.NAME] base_url may set it) */
	const char *policy;        /* policy OID of what it issues; NULL: none */
} gp_ca_params;
#define GP_CA_PARAMS_INIT { sizeof(gp_ca_params), NULL, NULL, NULL, (gp_key_type)0, NULL, NULL, \
	0, NULL, 0, NULL, 0, NULL, NULL, NULL }

/* Creates a CA (key, certificate, store row, audit entry) in one
 * transaction.  On failure nothing is left: no row, no key file.
 * GP_E_INVALID when p->size is not that of a gp_ca_params. */
GP_EXPORT int gp_ca_create(gp_ctx *ctx, const gp_ca_params *p);

/* An opened CA with its signing key. */
typedef struct gp_ca gp_ca;

GP_EXPORT int gp_ca_open(gp_ca **out, gp_ctx *ctx, const char *name,
    const char *pass, size_t passlen);
GP_EXPORT void gp_ca_free(gp_ca *ca);
GP_EXPORT X509 *gp_ca_cert0(const gp_ca *ca);       /* borrowed */
GP_EXPORT int64_t gp_ca_id(const gp_ca *ca);
GP_EXPORT const char *gp_ca_name(const gp_ca *ca);

/* The chain of a CA (its certificate first, the root last) as PEM,
 * NUL-terminated (not counted in *outlen); *out is freed with gp_free. */
GP_EXPORT int gp_ca_chain_pem(char **out, size_t *outlen, gp_ctx *ctx, const char *name);

/* Set size with GP_ISSUE_REQ_INIT (docs/api.md):
 *   gp_issue_req req = GP_ISSUE_REQ_INIT; */
typedef struct gp_issue_req {
	size_t size;               /* sizeof(gp_issue_req) of the caller's headers */
	const unsigned char *csr;  /* PEM or DER */
	size_t csr_len;
	const char *profile;
	const char *subject;       /* the vetted subject overriding the CSR's, or NULL */
	const char *sans;          /* "DNS:a,IP:b" overriding the CSR's SANs, or NULL */
	int days;                  /* 0: the profile's maximum */
	const char *actor;         /* for the audit log; NULL: "ca-tool" */
	int cross;                 /* 1: a cross-certificate (sign-ca --cross): the CSR's key
	                            * may be that of a CA of this store whose subject the
	                            * request names; a CA profile only */
} gp_issue_req;
#define GP_ISSUE_REQ_INIT { sizeof(gp_issue_req), NULL, 0, NULL, NULL, NULL, 0, NULL, 0 }

/* 0 when ca may issue certificates of profile now: the profile exists
 * (GP_E_NOTFOUND), a CA profile fits ca's pathLenConstraint (RFC 5280
 * §4.2.1.9; GP_E_POLICY), and ca's own certificate is not revoked or on
 * hold (GP_E_STATE).  What every issuance checks, for callers (the RA)
 * that must refuse a request before anyone vets it. */
GP_EXPORT int gp_ca_may_issue(gp_ca *ca, const char *profile);

/* GP_E_POLICY (with the reason) when pub must never be certified: the
 * key of a certificate revoked for keyCompromise, or the key of a CA of
 * ctx's store (gp_store_key_block_get).  Every issuance checks it in the
 * transaction that stores the certificate; the RA checks it at submission
 * too. */
GP_EXPORT int gp_ca_check_key(gp_ctx *ctx, const EVP_PKEY *pub);

/* Issues one certificate: the CSR's signature is verified, the profile
 * enforced, the certificate signed and stored (status good) with an audit
 * entry in one transaction before *out is returned (X509_free).
 * GP_E_POLICY for a key gp_ca_check_key refuses (here, in gp_ca_issue_store
 * and for that request of a batch). */
GP_EXPORT int gp_ca_issue(X509 **out, gp_ca *ca, const gp_issue_req *req);

/*
 * gp_ca_issue in two halves, for callers that commit many writes in one
 * transaction (ra-server's writer thread):
 * gp_ca_issue_prepare verifies the CSR, enforces the profile, builds and
 * signs the certificate; it touches no store and may run on any thread
 * with its own gp_ca of the same CA (*out: gp_issue_prep_free).
 * gp_ca_issue_store stores a prepared certificate (status good) with its
 * audit entry inside the transaction the caller opened on ca's store
 * (gp_store_begin); ca must be the CA that prepared it (GP_E_INVALID
 * otherwise).  A serial already taken is drawn anew and re-signed.  The
 * certificate may be handed out only after the caller's commit.
 */
typedef struct gp_issue_prep gp_issue_prep;

GP_EXPORT int gp_ca_issue_prepare(gp_issue_prep **out, gp_ca *ca, const gp_issue_req *req);
GP_EXPORT int gp_ca_issue_store(gp_ca *ca, gp_issue_prep *prep);
/* The certificate of a prepared (after store: stored) issuance, borrowed. */
GP_EXPORT X509 *gp_issue_prep_cert0(const gp_issue_prep *prep);
GP_EXPORT void gp_issue_prep_free(gp_issue_prep *prep);

/* Called for each request of a batch, in order, after the certificate is
 * committed to the store (cert NULL and rc < 0 with msg for a refused
 * request).  Return non-zero to stop the batch. */
typedef int (*gp_issue_cb)(void *arg, size_t index, int rc, const char *msg, X509 *cert);

/* Issues n requests with up to threads signing threads (0: the number of
 * cores), committing in groups; each certificate is durable before cb
 * sees it.  A bad request does not stop the others.  Returns 0 when the
 * batch ran (check each rc), < 0 when it could not (GP_E_INVALID when the
 * elements of reqs do not all carry the size of one gp_issue_req). */
GP_EXPORT int gp_ca_issue_batch(gp_ca *ca, const gp_issue_req *reqs, size_t n,
    int threads, gp_issue_cb cb, void *arg);

/* Revokes a certificate of CA name (needs no key): reason one of
 * GP_REASON_* (certificateHold puts it on hold); revoking an already revoked
 * certificate again is harmless (0, unchanged); GP_REASON_REMOVE_FROM_CRL
 * releases a certificate on hold (GP_E_STATE if it is not on hold).
 * when 0: now.  GP_E_NOTFOUND for a serial the CA never issued. */
GP_EXPORT int gp_ca_revoke(gp_ctx *ctx, const char *ca_name,
    const unsigned char *serial, size_t serial_len, int reason, int64_t when,
    const char *actor);

/* "keyCompromise" -> GP_REASON_KEY_COMPROMISE, ... (RFC 5280 §5.3.1 names) */
GP_EXPORT int gp_reason_from_name(int *out, const char *name);
GP_EXPORT const char *gp_reason_name(int reason);

/* Makes, signs and stores the next CRL of ca: full (delta 0) or a delta
 * CRL against the latest full one (RFC 5280 §5.2.4; GP_E_STATE if there is
 * no full CRL yet).  *out (gp_crl_info_free) holds the DER. */
GP_EXPORT int gp_ca_crl(gp_crl_info **out, gp_ca *ca, int delta, const char *actor);

/* One CRL shard (docs/configuration.md, [ca.NAME] crl_shards). */
typedef struct gp_crl_shard {
	unsigned char *der;     /* the CertificateList */
	size_t der_len;
	char *url;              /* its issuingDistributionPoint: BASE/crl/NAME-K.crl */
	size_t entries;         /* revoked certificates on it */
} gp_crl_shard;

/*
 * CAs whose key or issuer is on another machine (ca/offline.c;
 * docs/key-ceremony.md, "An offline root").
 *
 * gp_ca_csr_new: the PKCS#10 request (RFC 2986; DER into *der, free())
 * for a CA that is not in the store yet: p->name, p->subject, and a new key
 * of p->key_type written encrypted under p->pass to keys/NAME.key (as
 * gp_ca_create would), or the existing p->key_uri.  Nothing is stored:
 * gp_ca_import installs the certificate the issuer makes from it.
 * gp_ca_csr: the request of an opened CA's own key and subject (renewal
 * by its issuer, a cross-certificate from another root).
 */
GP_EXPORT int gp_ca_csr_new(unsigned char **der, size_t *len, gp_ctx *ctx, const gp_ca_params *p);
GP_EXPORT int gp_ca_csr(unsigned char **der, size_t *len, gp_ca *ca);

/*
 * Installs CA certificate der (made elsewhere) as CA name: a self-signed
 * root, or a CA whose issuer is a CA of this store (found by name and
 * signature), validated up to the store's root by the verification engine;
 * it must be a CA certificate (cA, keyCertSign).  Its key is key_uri, else
 * keys/NAME.key when gp_ca_csr_new left one there (checked against the
 * certificate with pass), else none: the CA then signs nothing here
 * (gp_ca_open opens it without a key) and its CRLs come from
 * gp_ca_crl_import.  Audited as ca.create ("imported ...").
 */
GP_EXPORT int gp_ca_import(gp_ctx *ctx, const char *name, const unsigned char *der, size_t len,
    const char *key_uri, const char *pass, size_t passlen, const char *actor);

/*
 * Stores a full CRL of CA name signed elsewhere (an offline root), for
 * publishing and for the verifier: signed by the CA, with a cRLNumber
 * above the store's latest (RFC 5280 §5.2.3) and a nextUpdate not passed;
 * not a delta.  The revocations it lists are applied to the certificates
 * of the CA that the store holds.  *out (may be NULL) gets the stored CRL.
 */
GP_EXPORT int gp_ca_crl_import(gp_crl_info **out, gp_ctx *ctx, const char *name,
    const unsigned char *der, size_t len, const char *actor);

/* Retires CA name after a rollover (a new CA took its place): from now it
 * issues nothing (gp_ca_check_active says so, GP_E_STATE), while its CRLs
 * and OCSP answers for what it issued go on.  Audited as ca.retire. */
GP_EXPORT int gp_ca_retire(gp_ctx *ctx, const char *name, const char *actor);

/* Sharded CRLs (RFC 5280 §5.2.5): the next full CRL of ca, made and stored
 * as gp_ca_crl makes it, and from the same reading of the store one CRL per
 * shard ((*shards)[K] for shard K, *nshards of them), each with the full
 * CRL's number and times, the revoked certificates whose serial is K mod
 * N, and a critical issuingDistributionPoint naming the shard's URL: the
 * distribution point that certificates of crl_sharded profiles carry.
 * Shards are not stored: each run makes them again.  GP_E_STATE when ca
 * has no crl_shards.  Free with gp_crl_info_free and gp_crl_shards_free. */
GP_EXPORT int gp_ca_crl_shards(gp_crl_info **full, gp_crl_shard **shards, size_t *nshards,
    gp_ca *ca, const char *actor);
GP_EXPORT void gp_crl_shards_free(gp_crl_shard *shards, size_t n);

#ifdef __cplusplus
}
#endif
#endif
