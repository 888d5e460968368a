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

/* Classifies a public or private key into *type and *bits.  RSA keys of other sizes >= 2048
 * map to the next smaller listed size class only for reporting; the exact
 * size is in *bits.  GP_E_POLICY for keys we never accept: RSA below 2048
 * bits, EC keys with explicit parameters or other curves, DSA, ... */
GP_EXPORT int gp_key_classify(gp_key_type *type, int *bits, const EVP_PKEY *pkey);

/* Generates a key pair.  *out is freed with EVP_PKEY_free. */
GP_EXPORT int gp_key_generate(EVP_PKEY **out, gp_key_type type);

/* Writes the private key as encrypted PKCS#8 PEM (AES-256-CBC, PBKDF2 or
 * scrypt) to path, which must not exist yet, mode 0600.  An empty
 * passphrase is GP_E_PASSPHRASE: keys never touch disk unencrypted. */
GP_EXPORT int gp_key_save(const char *path, EVP_PKEY *pkey, const char *pass, size_t passlen);

/* Loads a private key named by uri: a file path (or file: URI) to an
 * encrypted PEM, or a pkcs11: URI (RFC 7512) of a key in an HSM (see
 * gp_key_p11_configure below; pass is then the PIN's last fallback).
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
/* The same for a passphrase that will encrypt a new key: at the terminal
 * it is asked twice, and two different answers are GP_E_PASSPHRASE. */
GP_EXPORT int gp_pass_get_new(char **out, size_t *outlen, const char *pass_file,
    const char *prompt);
GP_EXPORT void gp_pass_free(char *pass, size_t len);

/*
 * Keys in HSMs (PKCS#11 through libp11).  A key is named by an RFC 7512
 * URI, "pkcs11:token=CA%20HSM;object=root-2025" (§2.3 path attributes
 * token, manufacturer, model, serial, slot-id, object, id, type=private;
 * §2.4 query attributes module-path, pin-source, pin-value).  gp_key_load
 * accepts such a URI wherever it accepts a key file and returns an
 * EVP_PKEY that signs inside the token.
 *
 * The module: the URI's module-path, else $GOVPKI_PKCS11_MODULE, else
 * [pkcs11] module of the configuration.  The PIN: the URI's pin-source
 * (a file) or pin-value, else the file of gp_key_p11_set_pin_file (a
 * program's --pin-file), else $GOVPKI_PIN, else the file named by
 * [pkcs11] pin_file, else the passphrase given to gp_key_load; a token
 * already logged in by this process needs none.  A module is loaded once
 * per process and stays loaded (keys borrow its sessions); libp11 keeps a
 * pool of sessions per token, so threads sign in parallel with one key.
 */
struct gp_config;

/* Remembers [pkcs11] module and pin_file of cfg (copied) for the keys
 * loaded later in this process; cfg NULL or without [pkcs11] forgets
 * them.  GP_E_CONFIG names the file and line of an unknown key. */
GP_EXPORT int gp_key_p11_configure(const struct gp_config *cfg);

/* Remembers path (copied; NULL forgets it) as the PIN file of the keys
 * loaded later in this process, before $GOVPKI_PIN and [pkcs11] pin_file:
 * what a program's --pin-file option names.  The file is read when a
 * token needs a login (its first line is the PIN). */
GP_EXPORT int gp_key_p11_set_pin_file(const char *path);

/* A key pair in a token, as gp_key_p11_generate and gp_key_p11_list
 * report it.  Every string is owned by the record. */
typedef struct gp_p11_key_info {
	char *label;            /* CKA_LABEL */
	char *id_hex;           /* CKA_ID, lower-case hex */
	char *uri;              /* pkcs11:token=...;object=...;id=... (no PIN, no module) */
	char *token;            /* the token's label */
	const char *kind;       /* "rsa" or "ec" (static) */
	int bits;               /* RSA modulus or EC field size */
	int sensitive;          /* CKA_SENSITIVE */
	int extractable;        /* CKA_EXTRACTABLE */
	int always_sensitive;   /* CKA_ALWAYS_SENSITIVE */
	int never_extractable;  /* CKA_NEVER_EXTRACTABLE */
	int has_public;         /* a public key object with the same CKA_ID exists */
} gp_p11_key_info;

/*
 * Generates a key pair of type (RSA 2048-4096, EC P-256/P-384; others are
 * GP_E_INVALID) inside the token named by token_uri (a PKCS#11 URI naming
 * a token; object/id are not allowed), labelled label (which must not be
 * taken: GP_E_EXISTS), with CKA_SENSITIVE true, CKA_EXTRACTABLE false,
 * CKA_PRIVATE and CKA_TOKEN true, a random 16-byte CKA_ID shared by both
 * halves.  The attributes are read back and checked.  pin may be NULL
 * (then the usual PIN sources apply).  *out: gp_p11_key_info_free.
 */
GP_EXPORT int gp_key_p11_generate(gp_p11_key_info **out, const char *token_uri,
    const char *label, gp_key_type type, const char *pin, size_t pinlen);

/* The private keys of the token named by token_uri (logged in: private
 * objects are visible only then).  *out is a malloc'ed array of *n
 * records: gp_p11_key_info_list_free. */
GP_EXPORT int gp_key_p11_list(gp_p11_key_info ***out, size_t *n,
    const char *token_uri, const char *pin, size_t pinlen);
GP_EXPORT void gp_p11_key_info_free(gp_p11_key_info *k);
GP_EXPORT void gp_p11_key_info_list_free(gp_p11_key_info **list, size_t n);

/* Unloads every module this process loaded.  Every EVP_PKEY loaded from
 * a pkcs11: URI must have been freed before; for tests and tidy exits. */
GP_EXPORT void gp_key_p11_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
