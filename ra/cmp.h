/* ra/cmp.h: ra-server's CMP service (RFC 4210/9480, RFC 9483, over HTTP RFC 6712): what ra-server calls */
#ifndef GP_CMP_SERVER_H
#define GP_CMP_SERVER_H

#include "ra_server.h"

/* cmp_start after the workers and the writer are open: reads [cmp] and
 * the issuing CA's chain (0, or -1 with a message on stderr); cmp_stop
 * frees what it read and the transactions still open. */
int cmp_start(server *s, gp_ctx *ctx);
void cmp_stop(void);
/* 1 for /.well-known/cmp and the URLs under it (RFC 9483 §6.1). */
int cmp_path(const char *url);
/* Answers a CMP request (rq->too_large honoured); every request is audited. */
void cmp_handle(worker *w, hreq *rq, hresp *rs);

#endif
