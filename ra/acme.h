/* ra/acme.h: ra-server's ACME server (RFC 8555): what ra-server calls, and what the ACME files share */
#ifndef GP_ACME_SERVER_H
#define GP_ACME_SERVER_H

#include "ra_server.h"

/* ra-server calls these: acme_start after the workers and the writer are
 * open (reads [acme], starts the validation threads; 0 or -1 with a
 * message on stderr), acme_stop before the writer stops. */
int acme_start(server *s, gp_ctx *ctx);
void acme_stop(void);
/* 1 for a URL under /acme/. */
int acme_path(const char *url);
/* Answers an ACME request (rq->too_large honoured). */
void acme_handle(worker *w, hreq *rq, hresp *rs);

/* [acme] settings (docs/acme.md). */
typedef struct acme_settings {
	const char *base_url;      /* "https://ra.example:8443", NULL: from the Host header */
	long http01_port;          /* where http-01 connects (80) */
	long tlsalpn01_port;       /* where tls-alpn-01 connects (443) */
	const char *resolver;      /* dns-01's resolver "ADDR[:PORT]", NULL: the system's */
	const char *validation_host;  /* test knob: connect here instead of the identifier */
	long validation_threads;   /* the pool (4) */
	long validation_timeout;   /* seconds per attempt (10) */
	long validation_queue;     /* pending attempts before rateLimited (1024) */
	long order_ttl;            /* seconds an order and its authorizations live (7 days) */
	long retry_after;          /* Retry-After on processing orders and challenges (1) */
	int eab_required;          /* new accounts need an external account binding */
	long orders_per_hour;      /* new orders an account may make an hour (300), 0: any */
	long accounts_per_hour;    /* new accounts one client may make an hour (20), 0: any */
} acme_settings;

/* One validation attempt, handed to the pool (acme-valid.c). */
typedef struct acme_job {
	int64_t authz, order, account;
	int chall;                 /* GP_ACME_*01 */
	int id_type;
	char value[256];           /* the identifier */
	char token[GP_ACME_TOKEN_LEN + 1];
	char keyauth[GP_ACME_TOKEN_LEN + 1 + 44];  /* token "." thumbprint */
	struct acme_job *next;
} acme_job;

/* acme-valid.c */
int acme_valid_start(const acme_settings *set);
void acme_valid_stop(void);
/* Queues a copy of job; -1 when the queue is full. */
int acme_valid_queue(const acme_job *job);
/* Runs one attempt (on a pool thread): 0 valid, or -1 with the ACME error
 * type ("connection", "incorrectResponse", "dns", "tls", "unauthorized")
 * in *type and a detail in err. */
int acme_validate(const acme_settings *set, const acme_job *job, const char **type, char *err,
    size_t errlen);
/* acme.c: records an attempt's outcome (the pool calls it). */
void acme_valid_done(const acme_job *job, int ok, const char *type, const char *detail);

#endif
