/* govpki/ocsp.h: OCSP responses (RFC 6960): request parsing, signing, pre-signed cache */
#ifndef GOVPKI_OCSP_H
#define GOVPKI_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include <govpki/ca.h>
#include <govpki/config.h>
#include <govpki/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A responder answers OCSP requests for the CAs it serves, from the store
 * (one read-only connection per calling thread, opened on first use) and a
 * cache of pre-signed responses to nonce-less requests.  Every gp_ocsp_*
 * call on a responder is thread-safe except gp_ocsp_responder_free.
 */
typedef struct gp_ocsp_responder gp_ocsp_responder;

/* One encoded OCSPResponse with what HTTP needs to serve it.  Immutable and
 * reference-counted: every gp_ocsp_resp handed out is released with
 * gp_ocsp_resp_free, and stays valid after its responder is freed. */
typedef struct gp_ocsp_resp gp_ocsp_resp;

/* RFC 6960 §4.2.1 OCSPResponseStatus (4 is not used). */
enum {
	GP_OCSP_SUCCESSFUL = 0,
	GP_OCSP_MALFORMED = 1,
	GP_OCSP_INTERNAL_ERROR = 2,
	GP_OCSP_TRY_LATER = 3,
	GP_OCSP_SIG_REQUIRED = 5,
	GP_OCSP_UNAUTHORIZED = 6
};

/* The [ocsp] section of the configuration, every key with its default.
 * Strings are borrowed from the gp_config they were read from. */
typedef struct gp_ocsp_settings {
	const char *listen;       /* "127.0.0.1:8080" */
	const char *path;         /* URL prefix of requests, "/" */
	const char *cas;          /* CA names, separated by commas or spaces; NULL: all */
	const char *signer_cert;  /* delegated responder certificate file, or NULL */
	const char *signer_key;   /* its encrypted key file, or NULL */
	const char *pass_file;    /* passphrase file, or NULL */
	long threads;             /* worker threads; 0: one per core */
	long next_update;         /* next_update_seconds: nextUpdate - thisUpdate, 3600 */
	long refresh;             /* refresh_seconds: store revision polling, 5 */
	long max_request;         /* max_request_bytes: 10000 */
	long max_singles;         /* single requests in one request, 100 */
	long cache_entries;       /* pre-signed responses kept, 100000 (0: no cache) */
	long timeout;             /* timeout_seconds: idle HTTP connections, 30 */
	long max_connections;     /* open at once; past it the longest idle is closed, 1024 */
	long max_per_client;      /* max_connections_per_client: from one address, 64 */
	long drain;               /* drain_seconds: how long SIGTERM waits, 10 */
	int presigned;            /* presigned = yes: serve the store's pre-signed
	                             responses (gp_ocsp_presign), hold no key */
	int sign_with;            /* GP_OCSP_SIGN_*: sign_with = auto | delegate | ca */
	int roots;                /* roots = yes: ocsp-responder's default CAs
	                             include the roots (default: the CAs with a
	                             parent only) */
} gp_ocsp_settings;

/* [ocsp] sign_with: which key signs a CA's responses. */
enum {
	GP_OCSP_SIGN_AUTO = 0,    /* its installed delegate (gp_ocsp_delegate_paths)
	                             where there is one, else the CA's own key */
	GP_OCSP_SIGN_DELEGATE = 1, /* its installed delegate; a CA without one
	                             is an error: no CA key is ever loaded */
	GP_OCSP_SIGN_CA = 2       /* the CA's own key (installed delegates ignored) */
};

/* Fills *out from cfg's [ocsp] section (cfg may be NULL: all defaults).
 * GP_E_CONFIG names the file, line and key of an unknown key or a bad
 * value (gp_config_check_keys). */
GP_EXPORT int gp_ocsp_settings_load(gp_ocsp_settings *out, const gp_config *cfg);

/* Set size with GP_OCSP_PARAMS_INIT (docs/api.md):
 *   gp_ocsp_params p = GP_OCSP_PARAMS_INIT; */
typedef struct gp_ocsp_params {
	size_t size;              /* sizeof(gp_ocsp_params) of the caller's headers */
	const gp_ocsp_settings *settings; /* NULL: the defaults */
	const char *const *cas;   /* names of the CAs to serve; NULL or ncas 0: all */
	size_t ncas;
	const char *signer_cert;  /* a delegated responder (ocsp-signer profile):
	                             PEM (one or more: the one valid longest is
	                             used) or DER, re-read near its end */
	const char *signer_key;   /* and its key (gp_key_load URI); both or neither */
	const char *pass;         /* passphrase of the CA keys and the signer key */
	size_t passlen;
} gp_ocsp_params;
#define GP_OCSP_PARAMS_INIT { sizeof(gp_ocsp_params), NULL, NULL, 0, NULL, NULL, NULL, 0 }

/*
 * Builds a responder for the CAs of ctx's store: loads their certificates,
 * precomputes issuerNameHash and issuerKeyHash for SHA-1, SHA-256 and SM3,
 * and loads the signing keys: the delegated signer of p for the CA that
 * issued it (checked: issued by that CA, id-kp-OCSPSigning, key matches);
 * for the others, as settings->sign_with says, the delegate installed for
 * the CA (gp_ocsp_delegate_paths: its key decrypted with pass, the same
 * checks; the CA's key is then not loaded at all) or the CA's own key.  nextUpdate never runs past the signer
 * certificate's notAfter, and once that has passed the answers are tryLater
 * (RFC 6960 §2.3) until a renewal is found (see gp_ocsp_refresh).
 * ctx is only read during the call; the
 * responder keeps the store's path and opens its own connections.
 * With settings->presigned no key is loaded (pass, signer_cert and
 * signer_key are ignored): the answers are the responses gp_ocsp_presign
 * wrote into the store, or tryLater (RFC 6960 §2.3) where the store has
 * none still valid.  *out is freed with gp_ocsp_responder_free.
 * GP_E_INVALID when p->size is not that of a gp_ocsp_params.
 */
GP_EXPORT int gp_ocsp_responder_new(gp_ocsp_responder **out, gp_ctx *ctx,
    const gp_ocsp_params *p);

/* Frees the responder, its cache and its store connections.  No other
 * call on r may be running.  Responses handed out stay valid. */
GP_EXPORT void gp_ocsp_responder_free(gp_ocsp_responder *r);

#define GP_OCSP_HIT 0x1           /* answered from the cache */

/*
 * Answers the DER OCSPRequest req.  On 0, *out is an OCSPResponse to send
 * whatever the request was: malformedRequest for garbage, a bad nonce
 * (RFC 9654 §2.1) or too many single requests; unauthorized for an issuer
 * or hash algorithm not served; internalError when the store or signing
 * failed; else a signed BasicOCSPResponse.  A nonce-less request for one
 * certificate is answered from (and stored in) the cache; get_key, when not
 * NULL, is the GET path it came from, remembered so that gp_ocsp_lookup
 * finds it next time.  *flags (may be NULL) gets GP_OCSP_HIT.
 * Returns < 0 only for bad arguments or when no response could be built.
 * Release *out with gp_ocsp_resp_free.
 */
GP_EXPORT int gp_ocsp_respond(gp_ocsp_resp **out, unsigned *flags,
    gp_ocsp_responder *r, const unsigned char *req, size_t len,
    const char *get_key, size_t get_keylen);

/* The cached response for a GET path seen before (see gp_ocsp_respond):
 * no parsing, no allocation.  GP_E_NOTFOUND (without a message) on a miss.
 * Release *out with gp_ocsp_resp_free. */
GP_EXPORT int gp_ocsp_lookup(gp_ocsp_resp **out, gp_ocsp_responder *r,
    const char *get_key, size_t get_keylen);

/*
 * One round of the background refresher, for one thread at a time: when
 * the store's revision moved, drops the cached responses of the
 * certificates whose status changed (gp_store_cert_changed); re-signs
 * cached responses that were used and are past half their validity at now
 * (0: the current time) and those dropped; forgets unused old ones.
 * When a delegated signer has less than next_update_seconds left, reads
 * its certificate file again and switches to a certificate there for the
 * same key, issued by the same CA, valid at now and longer than the
 * current one (a renewal with a new key needs a new responder).
 * *resigned (may be NULL) gets the number of responses signed.
 */
GP_EXPORT int gp_ocsp_refresh(size_t *resigned, gp_ocsp_responder *r, int64_t now);

/*
 * 1 when a delegate installed for a CA r serves (gp_ocsp_delegate_paths)
 * appeared, went or was replaced since r was built or since the last call
 * that said 1 (each change is reported once), else 0.  A new delegate
 * has a new key: the caller builds a new responder (ocsp-responder
 * reloads).  For the refresher thread: one caller at a time.
 */
GP_EXPORT int gp_ocsp_delegates_changed(gp_ocsp_responder *r);

/* 0 when r can sign for every CA it serves at now (0: the current time);
 * GP_E_STATE naming the CA when its signer certificate is expired or not
 * yet valid (its answers are tryLater).  A responder of pre-signed
 * responses holds no key: always 0. */
GP_EXPORT int gp_ocsp_health(gp_ocsp_responder *r, int64_t now);

typedef struct gp_ocsp_stats {
	int64_t revision;         /* store revision the cache reflects */
	uint64_t cached;          /* responses in the cache */
	uint64_t signed_total;    /* responses signed since start */
	uint64_t hits;            /* answered from the cache */
	uint64_t misses;          /* cacheable requests that had to be signed */
} gp_ocsp_stats;

GP_EXPORT int gp_ocsp_get_stats(const gp_ocsp_responder *r, gp_ocsp_stats *out);

/* Accessors of a response (all borrowed from x, valid while it is held). */
GP_EXPORT const unsigned char *gp_ocsp_resp_der(const gp_ocsp_resp *x, size_t *len);
GP_EXPORT int gp_ocsp_resp_status(const gp_ocsp_resp *x);       /* GP_OCSP_* */
/* 1 for a successful nonce-less response that HTTP caches may keep
 * (RFC 9919): then this_update, next_update, etag and the HTTP dates apply. */
GP_EXPORT int gp_ocsp_resp_cacheable(const gp_ocsp_resp *x);
GP_EXPORT int64_t gp_ocsp_resp_this_update(const gp_ocsp_resp *x);
GP_EXPORT int64_t gp_ocsp_resp_next_update(const gp_ocsp_resp *x);
GP_EXPORT const char *gp_ocsp_resp_etag(const gp_ocsp_resp *x);          /* "\"hex\"" */
GP_EXPORT const char *gp_ocsp_resp_last_modified(const gp_ocsp_resp *x); /* HTTP-date of thisUpdate */
GP_EXPORT const char *gp_ocsp_resp_expires(const gp_ocsp_resp *x);       /* HTTP-date of nextUpdate */

/* A new reference to x (x itself; NULL gives NULL). */
GP_EXPORT gp_ocsp_resp *gp_ocsp_resp_ref(gp_ocsp_resp *x);
/* Drops a reference; the last one frees.  NULL is accepted. */
GP_EXPORT void gp_ocsp_resp_free(gp_ocsp_resp *x);

/* ---- pre-signed responses for key-less replicas ---------------------------- */

/* What the store keeps for one certificate: a nonce-less response for a
 * SHA-1 CertID (RFC 5019) and one for a SHA-256 CertID (RFC 9919), signed
 * at this_update from the status as of revision. */
typedef struct gp_ocsp_presigned {
	int64_t ca_id;
	unsigned char serial[GP_SERIAL_MAX];
	size_t serial_len;
	unsigned char *der_sha1;  /* OCSPResponse DER */
	size_t der_sha1_len;
	unsigned char *der_sha256;
	size_t der_sha256_len;
	int64_t this_update;
	int64_t next_update;
	int64_t revision;         /* store revision the status was read at */
} gp_ocsp_presigned;

/* Frees p and its DER (NULL is accepted). */
GP_EXPORT void gp_ocsp_presigned_free(gp_ocsp_presigned *p);

/* Writes p (every field set; both DER present), replacing the row of the
 * same (ca_id, serial).  GP_E_READONLY on a read-only store. */
GP_EXPORT int gp_store_ocsp_put(gp_store *s, const gp_ocsp_presigned *p);

/* The row of (ca_id, serial) with both DER (with_der) or without them
 * (NULL pointers).  GP_E_NOTFOUND without a message when there is none.
 * *out is freed with gp_ocsp_presigned_free. */
GP_EXPORT int gp_store_ocsp_get(gp_ocsp_presigned **out, gp_store *s, int64_t ca_id,
    const unsigned char *serial, size_t serial_len, int with_der);

/* Records a presign run that wrote rows for CA ca_id: its time, the store
 * revision it read statuses at and how many rows it wrote.  Each run gets
 * a higher generation number, which replicas watch to drop what they hold
 * in memory. */
GP_EXPORT int gp_store_ocsp_run_add(gp_store *s, int64_t ca_id, int64_t at,
    int64_t revision, int64_t count);

/* The generation of the last run recorded (over all CAs; 0 when none). */
GP_EXPORT int gp_store_ocsp_generation(int64_t *out, gp_store *s);

typedef struct gp_ocsp_presign_stats {
	uint64_t certs;           /* certificates of the CA */
	uint64_t signed_certs;    /* (re)signed by this run: 2 responses each */
	uint64_t missing;         /* of which had none */
	uint64_t changed;         /* of which changed status since */
	uint64_t old;             /* of which were past half their validity */
} gp_ocsp_presign_stats;

/*
 * Signs with CA ca's key (or the delegated signer of p) a nonce-less
 * response for a SHA-1 and a SHA-256 CertID of every certificate of ca
 * that has none in the store yet, whose status changed after the revision
 * its response reflects, or whose response is past half its validity at
 * now (0: the current time), and writes them into ctx's store (in
 * transactions of a few hundred certificates).  settings gives
 * next_update_seconds (NULL: the default).  *stats (may be NULL) gets
 * what was done.  A revocation is seen by replicas after the next run.
 */
GP_EXPORT int gp_ocsp_presign(gp_ocsp_presign_stats *stats, gp_ctx *ctx, const char *ca,
    const gp_ocsp_params *p, int64_t now);

/*
 * ca-signer's side of sign-ocsp and presign (docs/signer.md): signs one
 * DER ResponseData (tbs, tbslen octets) with ca's own key only when it is
 * what ocsp-responder would build from st: the responderID is the CA's key
 * (byKey, RFC 6960 §4.2.2.3), producedAt and each thisUpdate are now
 * (within 300 s), each SingleResponse's CertID names this CA and its
 * status is the store's (with its revocation time and reason; unknown for
 * a serial the CA never issued), nextUpdate is at most max_validity
 * seconds after thisUpdate and not past the CA's notAfter, no
 * singleExtensions, and the only responseExtension is one non-critical
 * Nonce (§4.4.1, RFC 9654).  *sigpart (OPENSSL_free), *siglen octets: what
 * follows the ResponseData in a BasicOCSPResponse without certificates
 * (the signatureAlgorithm and the signature BIT STRING, §4.2.1).
 * GP_E_POLICY or GP_E_PARSE, saying which response and why, when refused.
 */
GP_EXPORT int gp_ocsp_sign_checked(unsigned char **sigpart, size_t *siglen, gp_ca *ca,
    gp_store *st, const unsigned char *tbs, size_t tbslen, int64_t now, int64_t max_validity);

/* ---- delegated responders (RFC 6960 §4.2.2.2) ------------------------------ */

/*
 * The CAs ocsp-responder answers for when none are named: every CA of
 * ctx's store with set->roots (set may be NULL: the defaults), else those
 * that are not self-signed roots, so that a root's key stays offline
 * unless asked for.  *n names in *names (gp_ocsp_names_free).
 * GP_E_NOTFOUND saying what to do when that leaves none.
 */
GP_EXPORT int gp_ocsp_default_cas(char ***names, size_t *n, gp_ctx *ctx,
    const gp_ocsp_settings *set);
GP_EXPORT void gp_ocsp_names_free(char **names, size_t n);

/* Where the delegate of CA ca_name is installed: DIR/NAME.crt (PEM) and
 * DIR/NAME.key (encrypted PKCS#8), DIR being [ocsp] delegate_dir of ctx's
 * configuration (default "ocsp" under the home).  Free both with free(). */
GP_EXPORT int gp_ocsp_delegate_paths(char **cert, char **key, gp_ctx *ctx,
    const char *ca_name);

/* Set size with GP_OCSP_DELEGATE_PARAMS_INIT (docs/api.md). */
typedef struct gp_ocsp_delegate_params {
	size_t size;              /* sizeof(gp_ocsp_delegate_params) */
	int days;                 /* validity; 0: the ocsp-signer profile's maximum */
	int key_type;             /* gp_key_type of the new key; -1: the CA's */
	const char *pass;         /* passphrase that encrypts the new key */
	size_t passlen;
	const char *actor;        /* for the audit log; NULL: "ca-tool" */
} gp_ocsp_delegate_params;
#define GP_OCSP_DELEGATE_PARAMS_INIT { sizeof(gp_ocsp_delegate_params), 0, -1, NULL, 0, NULL }

/*
 * Makes a new key and has CA ca issue it an ocsp-signer certificate
 * (id-kp-OCSPSigning and id-pkix-ocsp-nocheck, directly from ca: RFC 6960
 * §4.2.2.2, §4.2.2.2.1), stored and audited (cert.issue, then
 * "ocsp.signer" naming the files), and installs both where
 * gp_ocsp_delegate_paths says, each replaced by a rename (a renewal: new
 * key, new certificate).  Nothing is written when the key cannot be
 * made or the certificate not issued.  *out (may be NULL) gets the
 * certificate (X509_free).
 */
GP_EXPORT int gp_ocsp_delegate_issue(X509 **out, gp_ctx *ctx, gp_ca *ca,
    const gp_ocsp_delegate_params *p);

#ifdef __cplusplus
}
#endif
#endif
