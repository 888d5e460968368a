/* ra/ra_server.h: what the parts of ra-server share: settings, workers, requests, the endpoint table */
#ifndef GP_RA_SERVER_H
#define GP_RA_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>

#include <govpki/govpki.h>

#include "daemon_conns.h"
#include "daemon_http.h"

/* The request target and header sizes ra-server answers 414 and 431 past
 * (RFC 9112 §3: at least 8000 octets of request line should be taken),
 * inside libmicrohttpd's connection memory (RA_CONN_MEMORY), which
 * answers larger requests itself, not as problem+json. */
#define RA_MAX_TARGET 8192
#define RA_MAX_HEADERS 32768
#define RA_CONN_MEMORY (64 * 1024)

/* [ra] settings, each with its default (docs/ra-server.8). */
typedef struct ra_settings {
	const char *listen;        /* "127.0.0.1:8443" */
	const char *ca;            /* the CA that issues */
	const char *officer_ca;    /* the CA whose chain officer certificates verify to (default: ca) */
	const char *tls_cert;      /* PEM: server certificate (and chain) */
	const char *tls_key;       /* encrypted PEM key (gp_key_load) */
	const char *tls_key_pass_file;  /* its passphrase (default: the CA's) */
	const char *tls_priorities;     /* GnuTLS priority string: TLS 1.2 and 1.3 */
	int plain_http;            /* HTTP without TLS, 127.0.0.1 only */
	long threads;              /* thread pool size */
	long max_body;             /* bytes */
	long max_string;           /* bytes per JSON string */
	long max_depth;            /* JSON nesting */
	long max_page;             /* page size limit */
	long rate_limit;           /* requests per second per client, 0: off */
	long rate_burst;
	long challenge_ttl;        /* seconds */
	long max_connections;      /* open at once; past it the longest idle is closed */
	long max_per_client;       /* max_connections_per_client: from one address */
	long timeout;              /* timeout_seconds: a silent connection is closed */
	long refused_audit;        /* refused_audit_seconds: one audit entry per client */
	const char *console_dir;   /* the console's files (default GP_CONSOLE_DIR) */
	const char *ocsp_url;      /* the OCSP responder whose /healthz GET /api/v1/ca shows, NULL: none */
} ra_settings;

/* Roles, in the order of the authorisation table's columns. */
enum { ROLE_ANONYMOUS, ROLE_APPLICANT, ROLE_OFFICER, ROLE_ADMIN, ROLE_AUDITOR, ROLE__N };
extern const char *const ra_role_names[ROLE__N];

/* Who is calling. */
typedef struct principal {
	int role;
	char name[200];            /* "token:ID" or "officer:NAME" or "" */
	char officer[GP_RA_MAX_NAME + 1];
	gp_ra_token *token;        /* applicants */
	gp_ra_principal *p;        /* what the library's checks take; NULL: anonymous */
} principal;

/* One thread pool worker's own connection, CA and RA. */
typedef struct worker {
	gp_ctx *ctx;
	gp_ca *ca;
	gp_ra *ra;
	X509 *leaf;                /* the last officer certificate parsed, */
	unsigned char *leaf_der;   /* and its DER */
	size_t leaf_len;
} worker;

/* One HTTP request being handled. */
typedef struct hreq {
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	char *body;                /* NUL-terminated */
	size_t body_len;
	int too_large;
	int scep_only;             /* on [scep] http_listen: only SCEP is served */
	int ep;                    /* endpoint index, -1: none */
	char param[256];           /* the {id}/{serial}/{name} of the path */
	char addr[64];             /* the client's address */
	char client[72];           /* its name for the limits: "a:ADDR", "a:PREFIX/64" */
	principal who;
	double t0;
	int counted;
} hreq;

/* The response a handler builds. */
typedef struct hresp {
	unsigned status;
	const char *ctype;
	char *body;                /* malloc'ed */
	size_t len;
	char location[128];
	const char *allow;
	char *headers;             /* malloc'ed "Name: value\n" lines added as they are (ACME) */
} hresp;

typedef int (*handler_fn)(worker *w, hreq *rq, hresp *rs);

/* The authorisation table: one row per endpoint, one flag per role. */
typedef struct endpoint {
	const char *method;
	const char *path;          /* "/api/v1/requests/{id}/approve" */
	handler_fn fn;
	unsigned roles;            /* bit (1 << ROLE_*) per role allowed */
	int body;                  /* 0: none, 1: optional JSON, 2: required JSON */
	const char *note;          /* for the docs */
} endpoint;

extern const endpoint ra_endpoints[];
extern const size_t ra_nendpoints;

/* A token bucket (ra-http.c), shared by the clients whose names hash to it. */
struct rate_slot {
	double tokens;
	double last;               /* 0: never used (full) */
};

/* A client's refused logins in its current audit interval (ra-http.c). */
struct refusal_slot {
	char client[72];           /* "": free */
	double start;              /* when its audited refusal was */
	unsigned long more;        /* refusals since, not audited one by one */
	char why[256];             /* the last one's reason */
};

/* A write handed to the writer thread (ra-writer.c). */
enum { WOP_SUBMIT, WOP_APPROVE, WOP_CALL };
typedef struct wop {
	int kind;                  /* WOP_* */
	int grouped;               /* may share the group's transaction */
	const gp_ra_submission *sub;   /* SUBMIT (checked) */
	gp_ra_request *req;        /* SUBMIT: the request as stored (the worker frees it) */
	gp_ra_approval *appr;      /* APPROVE (prepared) */
	int fin;                   /* APPROVE: the request's state afterwards */
	int (*fn)(gp_ra *ra, void *arg);  /* CALL: any write on the writer's RA */
	void *arg;
	int rc;                    /* the write's result, after its commit */
	char msg[1024];            /* its message when rc < 0 (or fin failed) */
	int done;
	pthread_cond_t cv;         /* its worker waits on it until done */
	struct wop *next;
} wop;

/* The server. */
typedef struct server {
	ra_settings set;
	gp_config *cfg;
	worker *workers;
	size_t nworkers;
	size_t next_worker;        /* atomic */
	worker writer;             /* the writer thread's own connection, CA and RA */
	pthread_t writer_tid;
	int writer_running;
	pthread_mutex_t wq_mu;     /* the queue of writes */
	pthread_cond_t wq_cv;      /* a write was queued */
	wop *wq_head, *wq_tail;
	int wq_stop;
	daemon_conns *conns;       /* the connection limits (daemon_conns.h) */
	pthread_mutex_t rate_mu;
	struct rate_slot *rates;
	size_t nrates;
	unsigned char rate_salt[16];   /* the key of the buckets' hash */
	pthread_mutex_t refusal_mu;
	struct refusal_slot *refusals;
	size_t nrefusals;
	long long sweep_at;        /* atomic: when ended intervals are swept next */
	unsigned long inflight;    /* atomic */
	/* metrics (atomics) */
	unsigned long *hits;       /* [ep][status code - 100] */
	double *lat_sum;
	unsigned long *lat_buckets;/* [ep][NBUCKETS] */
	unsigned long issued, failed, refused, limited;
	unsigned long groups, group_writes;
} server;

#define NBUCKETS 12
extern const double ra_buckets[NBUCKETS];
extern server *ra_srv;

/* ra-http.c */
enum MHD_Result ra_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload, size_t *upload_size,
    void **con_cls);
void ra_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe);
/* Writes the summaries of refused logins whose interval ended (all: every
 * one counted so far, at stop).  Needs the writer thread. */
void ra_refusals_flush(int all);
/* The certificates the TLS client sent (the leaf first; borrowed from the
 * session), or NULL with *n 0. */
const gnutls_datum_t *ra_peer_certs(struct MHD_Connection *conn, unsigned *n);
/* The client's address for the audit and its name for the limits. */
void ra_client_addr(struct MHD_Connection *conn, char *addr, size_t alen, char *key, size_t klen);
/* Fills rs with an application/problem+json body (RFC 9457): slug is the
 * stable last part of the type URI.  Returns 0 so handlers can `return`. */
int problem(hresp *rs, unsigned status, const char *slug, const char *title,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A JSON body (takes j). */
int reply_json(hresp *rs, unsigned status, json_t *j);
/* Maps a failed library call to a problem (status from the code). */
int reply_gp(hresp *rs, int rc, const char *what);
/* Parses the body as a JSON object within the limits; on failure fills rs
 * and returns -1. */
int parse_body(hreq *rq, hresp *rs, json_t **out);
/* The query argument key (NULL when absent). */
const char *query(hreq *rq, const char *key);
/* 400 unless every query argument is one of allowed (NULL-terminated). */
int check_query(hreq *rq, hresp *rs, const char *const *allowed);

/* The fields a JSON object may have: unknown ones are 400 unknown-field,
 * others of the wrong type 400 wrong-type, missing required ones 400
 * missing-field.  Returns 0, or -1 with rs filled. */
typedef struct jfield {
	const char *name;
	int type;                  /* JSON_STRING, JSON_OBJECT, JSON_ARRAY, JSON_INTEGER */
	int required;
} jfield;
int check_fields(hresp *rs, json_t *obj, const char *where, const jfield *f);

/* ra-writer.c.  ra_write queues op for the writer thread and returns once
 * its group is committed (or refused): op->rc, with its message for
 * ra_error_last() on this thread (which is gp_error_last() otherwise;
 * ra_error_reset() at each request). */
int ra_write(wop *op);
/* Runs fn(writer's RA, arg) in the writer thread (grouped: inside its
 * group's transaction) and returns its result once committed. */
int ra_write_call(int (*fn)(gp_ra *ra, void *arg), void *arg, int grouped);
/* Issuance without an officer through ca-signer ([signer] socket): sub
 * (checked by gp_ra_submit_check on the worker) stored and issued by the
 * signer in a write of its own on the writer (gp_ra_submit_auto).  *out:
 * X509_free, *id the request.  GP_E_IO: the signer cannot be reached, and
 * nothing was written. */
int ra_issue_auto(X509 **out, int64_t *id, const gp_ra_submission *sub, int channel,
    int64_t order);
const char *ra_error_last(void);
void ra_error_reset(void);
int ra_writer_start(server *s);
void ra_writer_stop(server *s);

/* ra-authz.c */
int ra_print_authz(FILE *f, const char *format);
/* Index of the endpoint for method and url, param filled; -1 and *path_ok
 * when only the method is wrong (405), -1 and !*path_ok (404). */
int ra_route(const char *method, const char *url, char *param, size_t plen, int *path_ok,
    char *allow, size_t allowlen);

/* ra-api.c: helpers the handler files share.  ra_hex writes 2n+1 bytes;
 * ra_iso "" for 0; ra_parse_time: unix seconds, YYYY-MM-DD or
 * YYYY-MM-DDTHH:MM:SSZ (-1, gp_error_last() why); ra_parse_limit and
 * ra_parse_cursor read ?limit= and ?cursor= (-1 with rs filled);
 * ra_check_filter: a printable value of 1..max bytes (-1 with rs filled). */
void ra_hex(char *out, const unsigned char *b, size_t n);
void ra_iso(char out[32], int64_t t);
int ra_parse_time(const char *s, int64_t *out);
int ra_parse_limit(hreq *rq, hresp *rs, int64_t *limit);
int ra_parse_cursor(hreq *rq, hresp *rs, int64_t *after);
int ra_check_filter(hresp *rs, const char *name, const char *v, size_t max);

/* ra-view.c: what the officers' console reads (docs/ra-api.md) */
int h_me(worker *w, hreq *rq, hresp *rs);
int h_audit(worker *w, hreq *rq, hresp *rs);
int h_ca_list(worker *w, hreq *rq, hresp *rs);
int h_seals(worker *w, hreq *rq, hresp *rs);
int h_seal_revoke(worker *w, hreq *rq, hresp *rs);

/* ra-console.c: the console's static files under /console/ ([ra]
 * console_dir), with their security headers; no credentials needed. */
int console_path(const char *url);
void console_handle(hreq *rq, hresp *rs);

/* ra-api.c: the handlers */
int h_healthz(worker *w, hreq *rq, hresp *rs);
int h_metrics(worker *w, hreq *rq, hresp *rs);
int h_challenge(worker *w, hreq *rq, hresp *rs);
int h_submit(worker *w, hreq *rq, hresp *rs);
int h_list_requests(worker *w, hreq *rq, hresp *rs);
int h_get_request(worker *w, hreq *rq, hresp *rs);
int h_approve(worker *w, hreq *rq, hresp *rs);
int h_reject(worker *w, hreq *rq, hresp *rs);
int h_get_cert(worker *w, hreq *rq, hresp *rs);
int h_list_certs(worker *w, hreq *rq, hresp *rs);
int h_revoke(worker *w, hreq *rq, hresp *rs);
int h_ca_chain(worker *w, hreq *rq, hresp *rs);
int h_ca_crl(worker *w, hreq *rq, hresp *rs);

#endif
