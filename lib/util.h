/* lib/util.h: small helpers shared inside the library (hex, files, time) */
#ifndef GP_UTIL_H
#define GP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Lower-case hex of buf into out (2*len+1 bytes, NUL-terminated). */
void gp_hex_encode(char *out, const unsigned char *buf, size_t len);

/* Parses hex (upper or lower case, optional ':' separators, optional
 * leading "0x") into out of at most outmax bytes; *outlen gets the length.
 * GP_E_INVALID names the bad input. */
int gp_hex_decode(unsigned char *out, size_t outmax, size_t *outlen, const char *hex);

/* Reads a whole file (at most maxlen bytes; larger is GP_E_INVALID) into a
 * malloc'ed buffer the caller frees.  A NUL is appended (not counted). */
int gp_file_read(unsigned char **out, size_t *outlen, const char *path, size_t maxlen);

/* Writes a file atomically: a temporary file in the same folder, fsync,
 * rename over path.  mode is the new file's permission (e.g. 0600). */
int gp_file_write_atomic(const char *path, const void *buf, size_t len, int mode);

/* Writes a file that must not exist yet (O_EXCL), fsynced. */
int gp_file_write_new(const char *path, const void *buf, size_t len, int mode);

/*
 * A caller's parameter struct (docs/api.md): its first member is size_t
 * size, which the GP_*_INIT macro of the headers the caller was built
 * with sets to their sizeof.  Copies it into dst (the library's own
 * version, dst_size bytes), zero-filling what an older, smaller struct
 * does not have, so that a field added later reads as its default (0 or
 * NULL).  GP_E_INVALID naming what when src is NULL or its size is below
 * min_size (the struct's first version: a zero or garbage size) or above
 * dst_size (headers newer than this library).
 */
int gp_params_in(void *dst, size_t dst_size, const void *src, size_t min_size, const char *what);

/* The end of member m of struct type t: a min_size for gp_params_in. */
#define GP_PARAMS_END(t, m) (offsetof(t, m) + sizeof(((t *)0)->m))

/* The 4 bytes at p as a big-endian number, and v written so. */
uint32_t gp_get_be32(const unsigned char *p);
void gp_put_be32(unsigned char *p, uint32_t v);

/* Seconds since the epoch, now. */
int64_t gp_now(void);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void gp_time_iso(char out[21], int64_t t);

/* SHA-256 over tag and the n parts, each as a 4-byte big-endian length
 * and its bytes: the form of gp_pubkey_hash (govpki/x509util.h), shared
 * with the CSR parser's fast path (gp_csr_key_hash). */
int gp_key_hash_parts(unsigned char out[32], const char *tag, const unsigned char *const part[],
    const size_t len[], size_t n);

/* strdup that records GP_E_NOMEM; NULL in gives NULL out with rc 0. */
int gp_strdup(char **out, const char *s);
/* The same with OPENSSL_strdup: for a string the API returns (gp_free). */
int gp_ostrdup(char **out, const char *s);

/* gp_name_to_string (govpki/x509util.h) malloc'ed, for the strings of
 * records that their _free functions free() (gp_cert_info.subject, ...)
 * and for messages inside the library. */
struct X509_name_st;
int gp_name_print(char **out, const struct X509_name_st *name);

/* An X509_STORE_CTX verify callback that accepts an SM2-with-SM3 CRL
 * signature OpenSSL 3.0 could not check without the SM2 ID (lib/x509util.c);
 * every other verdict passes through. */
struct x509_store_ctx_st;
int gp_x509_sm2_verify_cb(int ok, struct x509_store_ctx_st *ctx);

#endif
