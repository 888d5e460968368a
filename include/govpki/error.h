/* govpki/error.h: status codes and the per-thread error message */
#ifndef GOVPKI_ERROR_H
#define GOVPKI_ERROR_H

#include <govpki/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every library call returns 0 on success or one of these (negative). */
enum {
	GP_OK = 0,
	GP_E_INTERNAL = -1,   /* a bug or an unexpected library failure */
	GP_E_NOMEM = -2,      /* out of memory */
	GP_E_INVALID = -3,    /* a bad argument or bad input */
	GP_E_PARSE = -4,      /* malformed data (DER, PEM, config, names) */
	GP_E_CRYPTO = -5,     /* a cryptographic operation failed */
	GP_E_NOTFOUND = -6,   /* no such CA, certificate, profile, file */
	GP_E_EXISTS = -7,     /* already exists (CA name, serial) */
	GP_E_POLICY = -8,     /* the request breaks its profile */
	GP_E_STORE = -9,      /* the store failed */
	GP_E_BUSY = -10,      /* the store is locked by another writer */
	GP_E_IO = -11,        /* reading or writing a file failed */
	GP_E_PASSPHRASE = -12,/* wrong or missing passphrase */
	GP_E_VERSION = -13,   /* store schema of a newer version */
	GP_E_CONFIG = -14,    /* bad configuration */
	GP_E_STATE = -15,     /* not allowed in the current state */
	GP_E_READONLY = -16,  /* the store or a file is read-only */
	GP_E_VERIFY = -17,    /* a signature or chain did not verify */
	GP_E_DENIED = -18,    /* the principal may not do this (govpki/ra.h) */
	GP_E__LAST = -19
};

/* A short constant name for a code ("not found"); never NULL. */
GP_EXPORT const char *gp_strerror(int code);

/* The message of the last failure in this thread: what failed, with
 * OpenSSL's reason where there was one.  Never NULL; "" when none.
 * Valid until the next govpki call in this thread. */
GP_EXPORT const char *gp_error_last(void);

/* The code that went with gp_error_last(), 0 when none. */
GP_EXPORT int gp_error_last_code(void);

/* Forgets the last message of this thread. */
GP_EXPORT void gp_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
