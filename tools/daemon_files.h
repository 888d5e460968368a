/* tools/daemon_files.h: the CA certificates and CRLs a daemon serves from the publish folder */
#ifndef GP_DAEMON_FILES_H
#define GP_DAEMON_FILES_H

#include <stdint.h>
#include <stdio.h>

#include <microhttpd.h>

/*
 * The publish folder ([daemon] publish_dir), as `ca-tool crl --publish DIR`
 * writes it, laid out like the URLs a CA's base_url puts in what it issues
 * (ca/ca.c gp_ca_defaults_load):
 *   DIR/ca/NAME.crt    BASE/ca/NAME.crt, the CA certificate (DER), caIssuers
 *   DIR/crl/NAME.crl   BASE/crl/NAME.crl, its full CRL (DER), the CRL DP;
 *                      a delta CRL beside it under the name of [crl] delta_url
 * Files are replaced by rename(2), never rewritten in place: each request
 * opens the file it serves, so a new CRL is served as soon as it is renamed
 * in.  Each version of a file is read, checked (a certificate or a CRL that
 * OpenSSL parses) and hashed once, and kept while its inode, size and mtime
 * stay the same.
 */
typedef struct daemon_files daemon_files;

/* Opens dir.  Returns 0, or -1 with errno set (the folder cannot be
 * opened).  Free with daemon_files_free (NULL is fine). */
int daemon_files_new(daemon_files **out, const char *dir);
void daemon_files_free(daemon_files *f);

/* 1 when url names the publish area: "/ca/..." or "/crl/...".  No OCSP GET
 * collides with it: the base64 of a DER OCSPRequest (a SEQUENCE, 0x30)
 * starts with 'M' (RFC 6960 A.1). */
int daemon_files_claims(const char *url);

/*
 * Answers a GET or HEAD of url (daemon_files_claims) on c from f (NULL:
 * no publish folder, 404):
 *   200 with the file, Content-Type application/pkix-cert (RFC 2585 §4.1)
 *       or application/pkix-crl (RFC 2585 §4.2), a strong ETag (the
 *       SHA-256 of the file), Last-Modified (a CRL's thisUpdate, else the
 *       file's mtime) and Cache-Control max-age: a CRL's until its
 *       nextUpdate (0 once past it), a certificate's an hour;
 *   304 when If-None-Match names the ETag or If-Modified-Since is not
 *       before Last-Modified (RFC 9110 §13.1);
 *   400 for a name that is not NAME.crt / NAME.crl with NAME of letters,
 *       digits, '-', '_' and '.' not starting with '.' (so no "..", no
 *       '/', no NUL);
 *   404 for a name that is not there; 500 for a file that is not a
 *       certificate or a CRL (said on stderr, naming prog).
 * *code receives the status queued.
 */
enum MHD_Result daemon_files_answer(daemon_files *f, struct MHD_Connection *c, const char *url,
    const char *prog, unsigned *code);

/*
 * For /healthz: calls cb for each DIR/crl/ *.crl with its name, thisUpdate
 * and nextUpdate (0: none, or -1 and -1 for a file that is not a CRL).
 * Returns the number of files seen, or -1 when the folder cannot be read.
 */
int daemon_files_crls(daemon_files *f,
    void (*cb)(void *arg, const char *name, int64_t this_update, int64_t next_update), void *arg);

#endif
