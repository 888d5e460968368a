/* ca/kmc_int.h: what the key management centre's files (ca/kmc*.c) share */
#ifndef GP_KMC_INT_H
#define GP_KMC_INT_H

#include <govpki/ca.h>
#include <govpki/kmc.h>

struct gp_kmc {
	gp_ctx *ctx;                    /* borrowed */
	unsigned char key[32];          /* the storage key (wiped by gp_kmc_free) */
};

/*
 * The private key of record k, unsealed and checked: GP_E_VERIFY, with
 * nothing returned, when the record fails its GCM tag (edited, swapped
 * between rows, sealed under another storage key) or the key inside does
 * not match the record's public key.  Never handed to a caller outside
 * the KMC in the clear: only envelopes leave.  *out: EVP_PKEY_free.
 */
int gp_kmc_unseal(EVP_PKEY **out, gp_kmc *kmc, const gp_kmc_key_info *k);

/* Seals pkey into k (k->kid, type, pub, ca_id, serials set first: they
 * are the additional data); k->wrapped is malloc'ed. */
int gp_kmc_seal(gp_kmc_key_info *k, gp_kmc *kmc, EVP_PKEY *pkey);

/* A new record for pkey: a random kid, type, created now, pub, holder
 * (copied; NULL allowed).  Not sealed, not stored. */
int gp_kmc_record_new(gp_kmc_key_info **out, EVP_PKEY *pkey, gp_key_type type,
    const char *holder);

/* Stores k with its kmc.escrow entry inside the caller's transaction. */
int gp_kmc_record_store(gp_kmc *kmc, gp_kmc_key_info *k, const char *actor);

/* An envelope of key to the recipient certificate's key: SM2EnvelopedKey
 * for an SM2 key to an SM2 recipient, else CMS EnvelopedData to an RSA or
 * EC recipient (GP_E_POLICY for the rest).  *out: OPENSSL_free. */
int gp_kmc_envelope_make(unsigned char **out, size_t *outlen, int *format, EVP_PKEY *key,
    X509 *recipient);

#endif
