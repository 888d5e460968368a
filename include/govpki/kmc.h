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

/* Unseals every escrowed key and checks it against its record (what a
 * restored KMC is checked with); *n: the records that held.  GP_E_VERIFY
 * naming the first record that fails (edited, swapped, another storage
 * key).  No key leaves. */
GP_EXPORT int gp_kmc_check(int64_t *n, gp_kmc *kmc);

#ifdef __cplusplus
}
#endif
#endif
