/* ra/est.h: ra-server's EST service (RFC 7030): what ra-server calls */
#ifndef GP_EST_SERVER_H
#define GP_EST_SERVER_H

#include "ra_server.h"

/* est_start after the workers and the writer are open: reads [est] and
 * the issuing CA's chain (0, or -1 with a message on stderr); est_stop
 * frees what it read. */
int est_start(server *s, gp_ctx *ctx);
void est_stop(void);
/* 1 for a URL under /.well-known/est/ (RFC 7030 §3.2.2). */
int est_path(const char *url);
/* Answers an EST request (rq->too_large honoured); every request, answer
 * and failure is audited. */
void est_handle(worker *w, hreq *rq, hresp *rs);

#endif
