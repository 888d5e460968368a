/* govpki/mem.h: freeing the buffers the library returns */
#ifndef GOVPKI_MEM_H
#define GOVPKI_MEM_H

#include <govpki/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Frees a buffer a govpki call returned through a `char **` or `unsigned
 * char **` out-parameter: PEM, names, URIs, meta values, DER (seals,
 * signatures, CMS, time-stamps).  Every such buffer comes from one
 * allocator, OpenSSL's (OPENSSL_malloc, as the DER of i2d_* does, so that
 * none is copied on its way out), and gp_free is its free: OPENSSL_free.
 * NULL is accepted.  Records (gp_cert_info, ...) have their own _free
 * functions, and secrets (passphrases, RA tokens) gp_pass_free, which
 * wipes them.  A buffer a caller hands the library to keep (a gp_ts_cb's
 * response) is allocated with OPENSSL_malloc for the library to gp_free.
 */
GP_EXPORT void gp_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
