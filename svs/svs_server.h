/* svs/svs_server.h: what the parts of svs-server share (configuration, applications, answers) */
#ifndef SVS_SERVER_H
#define SVS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/x509.h>

#include <govpki/config.h>
#include <govpki/verify.h>

#include "svs_fetch.h"
#include "svs_req.h"

/* One application ([svs.app.NAME]): its token, scopes and trust. */
typedef struct svs_app {
	char *name;
	unsigned char token_hash[32];   /* SHA-256 of its bearer token */
	int can_verify;                 /* scope "verify" */
	char **sign_keys;               /* scopes "sign:KEY", NULL-terminated */
	STACK_OF(X509) *anchors;        /* trust */
	STACK_OF(X509) *untrusted;      /* untrusted */
	STACK_OF(X509_CRL) *crls;       /* crls */
	gp_revocation revocation;       /* revocation (default prefer) */
	char *ocsp;                     /* ocsp: NULL (off), "aia" or a URL */
	int fetch_crls;                 /* fetch_crls: CRLs from the distribution points */
} svs_app;

/* A key the service signs with for applications ([svs.key.NAME]). */
typedef struct svs_key {
	char *name;
	EVP_PKEY *key;
	X509 *cert;
} svs_key;

/* The [svs] settings. */
typedef struct svs_settings {
	const char *listen;
	const char *tls_cert, *tls_key, *tls_key_pass_file;
	long threads;
	long max_body;
	long max_connections, max_per_client, timeout;
	long crl_cache_max, ocsp_cache_max;
	const char *audit_log;          /* JSON lines of every sign and failed verification */
	svs_limits lim;
} svs_settings;

typedef struct svs_server {
	svs_settings set;
	svs_app *apps;
	size_t napps;
	svs_cache *cache;               /* CRLs fetched and OCSP answers */
	svs_key *keys;
	size_t nkeys;
	int audit_fd;                   /* -1: none */
} svs_server;

/* A line of the audit log (one write(2), O_APPEND): the time, the
 * application, what it did, and the outcome. */
void svs_audit(const svs_server *s, const char *app, const char *action, const char *outcome,
    const char *detail);

/* POST /api/v1/sign/data: the application's token must have the scope
 * sign:KEY of the key it names (403 otherwise). */
int svs_sign_data(json_t **out, const svs_server *s, const svs_app *app, const unsigned char *body,
    size_t len, svs_problem *p);

/* Loads [svs] and every [svs.app.NAME] of cfg into *s.  0, or -1 with the
 * message (naming the file and line) printed on stderr. */
int svs_config_load(svs_server *s, const gp_config *cfg);
void svs_server_clear(svs_server *s);

/* The application whose token is tok (SHA-256 compared in constant time
 * with every application's), or NULL. */
const svs_app *svs_app_by_token(const svs_server *s, const char *tok);

/* POST /api/v1/verify/certificate: the answer's JSON into *out (a new
 * reference), or -1 with *p. */
int svs_verify_certificate(json_t **out, const svs_server *s, const svs_app *app,
    const svs_cert_req *req, svs_problem *p);

/* POST /api/v1/verify/signature: likewise. */
int svs_verify_signature(json_t **out, const svs_server *s, const svs_app *app,
    const svs_sig_req *req, svs_problem *p);

#endif
