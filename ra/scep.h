/* ra/scep.h: ra-server's SCEP service (RFC 8894): what ra-server calls */
#ifndef GP_SCEP_SERVER_H
#define GP_SCEP_SERVER_H

#include "ra_server.h"

/* scep_start after the workers and the writer are open: reads [scep],
 * the RA certificate and its key (passphrase: [scep] ra_key_pass_file,
 * else pass) and the issuing CA's chain (0, or -1 with a message on
 * stderr; without [scep] ra_cert SCEP is not served and 0 is returned);
 * scep_stop frees what it read. */
int scep_start(server *s, gp_ctx *ctx, const char *pass, size_t passlen);
void scep_stop(void);
/* 1 for /scep, the URLs under it and /cgi-bin/pkiclient.exe (RFC 8894 §4.1). */
int scep_path(const char *url);
/* Answers a SCEP request (rq->too_large honoured); every request, answer
 * and failure is audited. */
void scep_handle(worker *w, hreq *rq, hresp *rs);

#endif
