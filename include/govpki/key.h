/* govpki/key.h: key generation, encrypted key files, passphrases */
#ifndef GOVPKI_KEY_H
#define GOVPKI_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#include <govpki/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gp_key_type {
	GP_KEY_RSA2048,
	GP_KEY_RSA3072,
	GP_KEY_RSA4096,
	GP_KEY_EC_P256,
	GP_KEY_EC_P384,
	GP_KEY_ED25519,
	GP_KEY_SM2,
	GP_KEY__COUNT
} gp_key_type;

/* "rsa2048" | "rsa3072" | "rsa4096" | "ec-p256" | "ec-p384" | "ed25519" | "sm2" */
GP_EXPORT int gp_key_type_from_name(gp_key_type *out, const char *name);
GP_EXPORT const char *gp_key_type_name(gp_key_type type);

/* Classifies a public or private key.  RSA keys of other sizes >= 2048
 * map to the next smaller listed size class only for reporting; the exact
 * size is in *bits.  GP_E_POLICY for keys we never accept: RSA below 2048
 * bits, EC keys with explicit parameters or other curves, DSA, ... */
GP_EXPORT int gp_key_classify(const EVP_PKEY *pkey, gp_key_type *type, int *bits);

/* Generates a key pair.  *out is freed with EVP_PKEY_free. */
GP_EXPORT int gp_key_generate(EVP_PKEY **out, gp_key_type type);

/* Writes the private key as encrypted PKCS#8 PEM (AES-256-CBC, PBKDF2 or
 * scrypt) to path, which must not exist yet, mode 0600.  An empty
 * passphrase is GP_E_PASSPHRASE: keys never touch disk unencrypted. */
GP_EXPORT int gp_key_save(const char *path, EVP_PKEY *pkey, const char *pass, size_t passlen);

/* Loads a private key named by uri: a file path (or file: URI) to an
 * encrypted PEM.  pkcs11: URIs are GP_E_INVALID until HSM support lands.
 * A wrong passphrase is GP_E_PASSPHRASE. *out is freed with EVP_PKEY_free. */
GP_EXPORT int gp_key_load(EVP_PKEY **out, const char *uri, const char *pass, size_t passlen);

/* 1 when pkey is an SM2 key (sign with SM3 and the distinguishing ID). */
GP_EXPORT int gp_key_is_sm2(const EVP_PKEY *pkey);

/* The default SM2 distinguishing ID (GM/T 0009). */
#define GP_SM2_DEFAULT_ID "1234567812345678"

/*
 * Passphrases: from a file (first line, without its newline), else the
 * environment variable GOVPKI_PASSPHRASE, else a prompt on the terminal
 * (no echo) when stdin is a terminal; else GP_E_PASSPHRASE.
 * *out is NUL-terminated; free it with gp_pass_free, which wipes it.
 */
GP_EXPORT int gp_pass_get(char **out, size_t *outlen, const char *pass_file,
    const char *prompt);
GP_EXPORT void gp_pass_free(char *pass, size_t len);

#ifdef __cplusplus
}
#endif
#endif
