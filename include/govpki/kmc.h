/* govpki/kmc.h: the key management centre: encryption key pairs generated, escrowed and delivered (GM/T 0014, GM/T 0034) */
#ifndef GOVPKI_KMC_H
#define GOVPKI_KMC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <govpki/audit.h>
#include <govpki/export.h>
#include <govpki/key.h>
#include <govpki/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Chinese government PKI gives each holder two certificates: a signing
 * certificate whose key never leaves its holder, and an encryption
 * certificate whose key pair the KMC generates, escrows and can recover
 * (GM/T 0014 §5, GM/T 0034 §6).  Key hierarchy (docs/kmc.md):
 *
 *   passphrase --scrypt--> file key --AES-256-GCM--> storage key (32 bytes,
 *   KEYS/kmc-storage.key) --AES-256-GCM--> each escrowed private key (a
 *   row of the store, the row's key id, type, public key and certificate
 *   link as additional data, so an edited or swapped row is refused).
 *
 * An escrowed private key leaves the KMC only inside an envelope to a
 * named public key (gp_kmc_envelope): never in the clear.
 */
typedef struct gp_kmc gp_kmc;
/* the home (govpki/ca.h), named here so that this header, whose records
 * lib/ stores, stands on lib's headers alone */
struct gp_ctx;

/* The storage key's file, in the home's keys folder ([govpki] keys). */
#define GP_KMC_STORAGE_KEY_FILE "kmc-storage.key"

/* Audit actions of the KMC besides GP_AUDIT_KMC_ESCROW (govpki/audit.h),
 * which records a row of the store. */
#define GP_AUDIT_KMC_INIT        "kmc.init"
#define GP_AUDIT_KMC_DELIVER     "kmc.deliver"
#define GP_AUDIT_KMC_REFUSE      "kmc.refuse"

/* One escrowed key pair as the store holds it; every pointer is owned by
 * the record (gp_kmc_key_info_free wipes wrapped). */
typedef struct gp_kmc_key_info {
	int64_t id;
	char *kid;                      /* the record's id: 32 lower-case hex digits */
	char *type;                     /* gp_key_type_name: "sm2", "ec-p256", "rsa2048" */
	int64_t created;                /* unix time */
	char *holder;                   /* the certificates' subject, or NULL */
	int64_t ca_id;                  /* the CA of the certificates; 0: not certified */
	unsigned char serial[20];       /* the encryption certificate */
	size_t serial_len;              /* 0: none */
	unsigned char sign_serial[20];  /* the signing certificate of the pair */
	size_t sign_serial_len;         /* 0: none */
	unsigned char *pub;             /* SubjectPublicKeyInfo, DER */
	size_t pub_len;
	unsigned char *wrapped;         /* the private key under the storage key */
	size_t wrapped_len;
} gp_kmc_key_info;
GP_EXPORT void gp_kmc_key_info_free(gp_kmc_key_info *k);

/* A list's callback: k is valid during the call only; non-zero stops. */
typedef int (*gp_kmc_key_cb)(void *arg, const gp_kmc_key_info *k);

/*
 * Makes the KMC of ctx's home: a random 32-byte storage key, sealed under
 * pass (scrypt N=2^15, r=8, p=1, then AES-256-GCM; an empty passphrase is
 * GP_E_PASSPHRASE) in KEYS/kmc-storage.key (mode 0600), its check value
 * in the store, and a kmc.init entry.  GP_E_EXISTS when the file exists
 * or the store has a KMC already (a lost storage key file is restored
 * from a backup, never made anew: the escrowed keys need it).
 */
GP_EXPORT int gp_kmc_init(struct gp_ctx *ctx, const char *pass, size_t passlen, const char *actor);

/*
 * Opens the KMC of ctx (borrowed; it must outlive *out): reads the
 * storage key with pass.  GP_E_NOTFOUND: no KMC in this home (no check
 * value, or no storage key file: the message says which);
 * GP_E_PASSPHRASE: a wrong passphrase; GP_E_VERIFY: a damaged file or a
 * storage key that is not this store's.  *out: gp_kmc_free (wipes it).
 */
GP_EXPORT int gp_kmc_open(gp_kmc **out, struct gp_ctx *ctx, const char *pass, size_t passlen);
GP_EXPORT void gp_kmc_free(gp_kmc *kmc);

/* The key types the KMC generates: sm2, ec-p256, ec-p384, rsa2048..4096
 * (not Ed25519, which cannot encrypt).  GP_E_POLICY for the others. */
GP_EXPORT int gp_kmc_type_ok(gp_key_type type);

/*
 * Generates a key pair of type and escrows it, not certified (no link),
 * with a kmc.escrow entry, in one transaction.  holder (NULL allowed) is
 * kept with the record.  *out (gp_kmc_key_info_free) is the record, NULL
 * allowed.
 */
GP_EXPORT int gp_kmc_genkey(gp_kmc_key_info **out, gp_kmc *kmc, gp_key_type type,
    const char *holder, const char *actor);

/* Every escrowed key of ctx's store (needs no storage key; cb never sees
 * a private key in the clear). */
GP_EXPORT int gp_kmc_list(struct gp_ctx *ctx, gp_kmc_key_cb cb, void *arg);

/* The record of the pair that serial (its encryption or its signing
 * certificate) of CA ca_name belongs to; GP_E_NOTFOUND for none.
 * *out: gp_kmc_key_info_free. */
GP_EXPORT int gp_kmc_find_cert(gp_kmc_key_info **out, struct gp_ctx *ctx, const char *ca_name,
    const unsigned char *serial, size_t serial_len);

/* ------------------------------------------------------------ envelopes */

/*
 * How an escrowed private key leaves the KMC (docs/kmc.md):
 * GP_KMC_ENVELOPE_SM2: GM/T 0009-2012 §7.4 SM2EnvelopedKey (DER): an SM4
 *   key under SM2 encryption to the recipient (SM2Cipher, C1 C3 C2), SM4-ECB
 *   over the 32-byte private key, and the public key; for an SM2 key to an
 *   SM2 recipient.
 * GP_KMC_ENVELOPE_CMS: CMS EnvelopedData (RFC 5652 §6, DER, AES-256-CBC)
 *   of the PKCS#8 PrivateKeyInfo, to an RSA or EC recipient.
 */
enum { GP_KMC_ENVELOPE_SM2 = 1, GP_KMC_ENVELOPE_CMS = 2 };

/*
 * The holder's side: opens an envelope (either format; *format, NULL
 * allowed, says which) with the recipient's private key (and, for CMS,
 * its certificate, NULL allowed).  GP_E_VERIFY when the envelope is not
 * for this key or what is inside is not a consistent key pair;
 * GP_E_PARSE when it is neither format.  *out: EVP_PKEY_free.
 */
GP_EXPORT int gp_kmc_envelope_open(EVP_PKEY **out, int *format, const unsigned char *der,
    size_t len, EVP_PKEY *recipient, X509 *recipient_cert);

/* ------------------------------------------------------------ dual issuance */

/* Set size with GP_KMC_DUAL_REQ_INIT (docs/api.md):
 *   gp_kmc_dual_req req = GP_KMC_DUAL_REQ_INIT; */
typedef struct gp_kmc_dual_req {
	size_t size;               /* sizeof(gp_kmc_dual_req) of the caller's headers */
	const unsigned char *csr;  /* the holder's signing CSR, PEM or DER */
	size_t csr_len;
	const char *sign_profile;  /* NULL: "person" (digitalSignature, nonRepudiation) */
	const char *enc_profile;   /* NULL: "person-encryption" */
	const char *enc_type;      /* gp_key_type_name; NULL: the signing key's kind */
	const char *subject;       /* the vetted subject of both, or NULL: the CSR's */
	int days;                  /* 0: each profile's maximum */
	const char *actor;         /* for the audit log; NULL: "ca-tool" */
} gp_kmc_dual_req;
#define GP_KMC_DUAL_REQ_INIT { sizeof(gp_kmc_dual_req), NULL, 0, NULL, NULL, NULL, NULL, 0, NULL }

/* What a dual issuance gives: every pointer owned by the record. */
typedef struct gp_kmc_dual {
	X509 *sign_cert;           /* for the holder's own key */
	X509 *enc_cert;            /* for the KMC's escrowed key */
	char *kid;                 /* the escrow record */
	unsigned char *envelope;   /* the encryption key, to sign_cert's key (DER) */
	size_t envelope_len;
	int envelope_format;       /* GP_KMC_ENVELOPE_SM2 or GP_KMC_ENVELOPE_CMS */
} gp_kmc_dual;
GP_EXPORT void gp_kmc_dual_free(gp_kmc_dual *d);

/*
 * GM/T 0034 dual issuance: the signing CSR (its signature and profile
 * checked as gp_ca_issue does) gives a signing certificate; the KMC
 * generates an encryption key pair of enc_type, certifies it under
 * enc_profile with the same subject and requested extensions, escrows
 * it linked to both certificates, and envelopes it to the signing
 * certificate's key.  One transaction: both certificates (cert.issue),
 * the record (kmc.escrow) and the delivery (kmc.deliver), or nothing.
 * ca (govpki/ca.h, opened with its key) must be of kmc's home.
 * *out: gp_kmc_dual_free.
 */
struct gp_ca;
GP_EXPORT int gp_kmc_issue_dual(gp_kmc_dual **out, gp_kmc *kmc, struct gp_ca *ca,
    const gp_kmc_dual_req *req);

/* Revokes both certificates of the pair that serial (either of them) of
 * CA ca_name belongs to, the encryption certificate first, each as
 * gp_ca_revoke does (reason GP_REASON_*, again harmless).  GP_E_NOTFOUND
 * for a certificate of no pair.  The escrowed key stays recoverable. */
GP_EXPORT int gp_kmc_revoke_pair(struct gp_ctx *ctx, const char *ca_name,
    const unsigned char *serial, size_t serial_len, int reason, const char *actor);

/* ------------------------------------------------------------ recovery */

/*
 * Key recovery (GM/T 0014 §8): a request names an escrowed key and the
 * certificate the key is to be delivered to; M officers of role
 * recovery-officer (distinct, enabled, registered with their
 * certificates) approve it, each by signing the request's statement
 * (gp_kmc_recovery_statement) with their key; then the KMC delivers the
 * key enveloped to the recipient certificate, once.  M is [kmc]
 * recovery_approvals (default 2, at least 2: dual control), N the
 * enabled recovery officers; a request while N < M is refused.  Every
 * step is in the audit log (kmc.recover.request, kmc.recover.approve,
 * kmc.recover.refuse, kmc.recover).  A key whose certificates are revoked
 * is still recoverable: that is what escrow is for.
 */
#define GP_KMC_ROLE_RECOVERY "recovery-officer"
#define GP_AUDIT_KMC_RECOVERY_APPROVE "kmc.recover.approve"
#define GP_AUDIT_KMC_RECOVERY_REFUSE  "kmc.recover.refuse"
#define GP_AUDIT_KMC_RECOVER          "kmc.recover"

enum { GP_KMC_RECOVERY_PENDING = 0, GP_KMC_RECOVERY_DONE = 1 };

typedef struct gp_kmc_officer {
	char *name;
	char *role;                     /* GP_KMC_ROLE_RECOVERY */
	unsigned char fingerprint[32];  /* SHA-256 of the certificate's DER */
	unsigned char *cert;            /* DER */
	size_t cert_len;
	int enabled;
	int64_t created;
} gp_kmc_officer;
GP_EXPORT void gp_kmc_officer_free(gp_kmc_officer *o);
typedef int (*gp_kmc_officer_cb)(void *arg, const gp_kmc_officer *o);

typedef struct gp_kmc_recovery {
	int64_t id;
	char *kid;
	char *requester;
	unsigned char *recipient;       /* the recipient certificate, DER */
	size_t recipient_len;
	char *reason;                   /* or NULL */
	int needed;                     /* M when it was made */
	int approvals;                  /* of officers still enabled */
	int status;                     /* GP_KMC_RECOVERY_* */
	int64_t created;
} gp_kmc_recovery;
GP_EXPORT void gp_kmc_recovery_free(gp_kmc_recovery *rec);

/* Registers officer name (1..128 characters) of role recovery-officer
 * with cert (its key signs approvals), with a kmc.officer.add entry.
 * GP_E_EXISTS for a taken name or certificate. */
GP_EXPORT int gp_kmc_officer_add(struct gp_ctx *ctx, const char *name, X509 *cert,
    const char *actor);
GP_EXPORT int gp_kmc_officer_list(struct gp_ctx *ctx, gp_kmc_officer_cb cb, void *arg);

/* A recovery request for escrowed key kid to recipient (its certificate;
 * an SM2 key needs an SM2 recipient, else RSA or EC), by requester (a
 * name, who may not approve it), with a kmc.recover.request entry.
 * needs no storage key.  *id: the request. */
GP_EXPORT int gp_kmc_recovery_request(int64_t *id, struct gp_ctx *ctx, const char *kid,
    X509 *recipient, const char *requester, const char *reason);
GP_EXPORT int gp_kmc_recovery_get(gp_kmc_recovery **out, struct gp_ctx *ctx, int64_t id);

/* What an officer signs to approve rec (gp_sign_data with the officer's
 * key): "govpki kmc recovery approval v1", the request's id, key id,
 * requester and SHA-256 of the recipient certificate, a line each.
 * *out: gp_free. */
GP_EXPORT int gp_kmc_recovery_statement(unsigned char **out, size_t *outlen,
    const gp_kmc_recovery *rec);

/*
 * Officer approves request id with sig, its signature over the request's
 * statement, checked against its registered certificate.  GP_E_DENIED
 * (and a kmc.recover.refuse entry) for a name that is no enabled
 * recovery officer, a signature that does not verify, or the requester
 * approving its own request; GP_E_STATE for a request carried out.  A
 * second approval of one officer changes nothing (it counts once).
 * *count (NULL allowed): the approvals now.
 */
GP_EXPORT int gp_kmc_recovery_approve(int *count, struct gp_ctx *ctx, int64_t id,
    const char *officer, const unsigned char *sig, size_t siglen, const char *actor);

/*
 * Carries out request id once it has its approvals: the escrowed key,
 * unsealed and checked, enveloped to the recipient certificate (*out,
 * OPENSSL_free; *format GP_KMC_ENVELOPE_*), the request closed, a
 * kmc.recover entry.  GP_E_DENIED (and a kmc.recover.refuse entry) with
 * fewer than needed approvals; GP_E_STATE when carried out already;
 * GP_E_VERIFY for a damaged escrow record (nothing released).
 */
GP_EXPORT int gp_kmc_recover(unsigned char **out, size_t *outlen, int *format, gp_kmc *kmc,
    int64_t id, const char *actor);

/* Unseals every escrowed key and checks it against its record (what a
 * restored KMC is checked with); *n: the records that held.  GP_E_VERIFY
 * naming the first record that fails (edited, swapped, another storage
 * key).  No key leaves. */
GP_EXPORT int gp_kmc_check(int64_t *n, gp_kmc *kmc);

#ifdef __cplusplus
}
#endif
#endif
