/* svs/svs-server.c: the signature verification service: an HTTPS JSON API (libmicrohttpd) for the network's applications */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <govpki/govpki.h>

#include "daemon.h"
#include "daemon_conns.h"
#include "daemon_http.h"
#include "daemon_log.h"
#include "svs_req.h"
#include "svs_server.h"

#define PROG "svs-server"
#define API "/api/v1"

static svs_server srv;

enum route_id { R_VERIFY_CERT = 0, R_VERIFY_SIG, R_SIGN_DATA };

/* The routes, for dispatch and for --print-routes (tests/openapi.sh). */
static const struct route {
	const char *method, *path;
	enum route_id id;
	const char *scope;          /* "verify" */
} routes[] = {
	{ "POST", API "/verify/certificate", R_VERIFY_CERT, "verify" },
	{ "POST", API "/verify/signature", R_VERIFY_SIG, "verify" },
	{ "POST", API "/sign/data", R_SIGN_DATA, "sign:KEY" },
};

/* One request in progress. */
struct req {
	const struct route *route;
	const svs_app *app;
	char *type;                 /* Content-Type */
	unsigned char *body;
	size_t len, cap;
	int too_big;
};

static enum MHD_Result
send_json(struct MHD_Connection *c, unsigned code, const char *type, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t n;

	if (s == NULL)
		return MHD_NO;
	n = strlen(s);
	if ((r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_UNAUTHORIZED)
		/* RFC 6750 §3 */
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"svs\"");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	ret = daemon_queue(c, code, r, n);
	MHD_destroy_response(r);
	return ret;
}

/* An error as application/problem+json (RFC 9457 §3). */
static enum MHD_Result
send_problem(struct MHD_Connection *c, const svs_problem *p)
{
	char type[96];
	json_t *j;
	enum MHD_Result ret;

	snprintf(type, sizeof(type), "urn:govpki:svs:%s", p->slug);
	j = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", p->title, "status", (int)p->status,
	    "detail", p->detail);
	if (j == NULL)
		return MHD_NO;
	ret = send_json(c, p->status, "application/problem+json", j);
	json_decref(j);
	return ret;
}

static enum MHD_Result
problem(struct MHD_Connection *c, unsigned status, const char *slug, const char *title,
    const char *detail)
{
	svs_problem p = { status, slug, title, "" };

	snprintf(p.detail, sizeof(p.detail), "%s", detail);
	return send_problem(c, &p);
}

/* The bearer token of c's Authorization header (RFC 6750 §2.1), or NULL. */
static const char *
bearer(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

static enum MHD_Result
health(struct MHD_Connection *c)
{
	json_t *j = json_pack("{s:s, s:i}", "status", "ok", "applications", (int)srv.napps);
	enum MHD_Result ret;

	if (j == NULL)
		return MHD_NO;
	ret = send_json(c, MHD_HTTP_OK, "application/json", j);
	json_decref(j);
	return ret;
}

/* GET /metrics: the revocation cache (Prometheus text format 0.0.4). */
static enum MHD_Result
metrics(struct MHD_Connection *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (f == NULL)
		return MHD_NO;
	svs_cache_metrics(srv.cache, f);
	fprintf(f, "# TYPE svs_applications gauge\nsvs_applications %zu\n", srv.napps);
	if (fclose(f) != 0 || (r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = daemon_queue(c, MHD_HTTP_OK, r, len);
	MHD_destroy_response(r);
	return ret;
}

/* The request's first call: route, method, token, scope, type and size,
 * all before a byte of the body is read. */
static enum MHD_Result
start(struct MHD_Connection *c, const char *url, const char *method, const char *version, void **ctx)
{
	const struct route *rt = NULL;
	const svs_app *app;
	const char *why, *cl, *ct;
	int path_known = 0;
	struct req *rq;

	daemon_conn_busy(c, method, url, version);
	if ((why = daemon_request_check(c, url, version)) != NULL)
		return problem(c, MHD_HTTP_BAD_REQUEST, "bad-request", "Bad request", why);
	if (strcmp(url, "/healthz") == 0 && strcmp(method, MHD_HTTP_METHOD_GET) == 0)
		return health(c);
	if (strcmp(url, "/metrics") == 0 && strcmp(method, MHD_HTTP_METHOD_GET) == 0)
		return metrics(c);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, url) == 0) {
			path_known = 1;
			if (strcmp(routes[i].method, method) == 0)
				rt = &routes[i];
		}
	if (rt == NULL)
		return path_known ?
		    problem(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed",
		    "POST to this resource") :
		    problem(c, MHD_HTTP_NOT_FOUND, "not-found", "Not found", "no such resource");
	/* RFC 6750 §3.1: no token, or one we do not know: 401 */
	if ((app = svs_app_by_token(&srv, bearer(c))) == NULL)
		return problem(c, MHD_HTTP_UNAUTHORIZED, "unauthorized", "Unauthorized",
		    bearer(c) == NULL ? "send the application's token: Authorization: Bearer TOKEN" :
		    "the token is not one of an application here");
	if (strcmp(rt->scope, "verify") == 0 && !app->can_verify) {
		svs_audit(&srv, app->name, rt->path + strlen(API) + 1, "refused", "no verify scope");
		return problem(c, MHD_HTTP_FORBIDDEN, "forbidden", "Forbidden",
		    "the application's token has no verify scope");
	}
	if (rt->id == R_SIGN_DATA && !svs_type_is(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE), "application/json"))
		return problem(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
		    "Unsupported media type", "send application/json");
	/* a body announced larger than we take is refused before it is sent */
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || *end != '\0' || n > (unsigned long long)srv.set.max_body)
			return problem(c, MHD_HTTP_CONTENT_TOO_LARGE, "too-large", "Content too large",
			    "the body is larger than this service takes ([svs] max_body)");
	}
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!svs_type_is(ct, "application/json") && !svs_type_is(ct, "application/pkix-cert") &&
	    !svs_type_is(ct, "application/x-pem-file"))
		return problem(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
		    "Unsupported media type", "send application/json, application/pkix-cert or "
		    "application/x-pem-file");
	if ((rq = calloc(1, sizeof(*rq))) == NULL || (rq->type = strdup(ct)) == NULL) {
		free(rq);
		return MHD_NO;
	}
	rq->route = rt;
	rq->app = app;
	*ctx = rq;
	return MHD_YES;
}

static enum MHD_Result
finish(struct MHD_Connection *c, struct req *rq)
{
	svs_problem p = { 500, "internal", "Internal error", "" };
	svs_cert_req cr;
	svs_sig_req sr;
	json_t *j = NULL;
	enum MHD_Result ret;

	if (rq->too_big)
		return problem(c, MHD_HTTP_CONTENT_TOO_LARGE, "too-large", "Content too large",
		    "the body is larger than this service takes ([svs] max_body)");
	switch (rq->route->id) {
	case R_VERIFY_CERT:
		if (svs_cert_req_decode(&cr, rq->type, rq->body, rq->len, &srv.set.lim, &p) != 0)
			return send_problem(c, &p);
		if (svs_verify_certificate(&j, &srv, rq->app, &cr, &p) != 0) {
			svs_cert_req_clear(&cr);
			return send_problem(c, &p);
		}
		svs_cert_req_clear(&cr);
		break;
	case R_VERIFY_SIG:
		if (svs_sig_req_decode(&sr, rq->type, rq->body, rq->len, &srv.set.lim, &p) != 0)
			return send_problem(c, &p);
		if (svs_verify_signature(&j, &srv, rq->app, &sr, &p) != 0) {
			svs_sig_req_clear(&sr);
			return send_problem(c, &p);
		}
		svs_sig_req_clear(&sr);
		break;
	case R_SIGN_DATA:
		if (svs_sign_data(&j, &srv, rq->app, rq->body, rq->len, &p) != 0)
			return send_problem(c, &p);
		break;
	}
	/* every failed verification is audited, with the first reason */
	if (rq->route->id != R_SIGN_DATA && !json_is_true(json_object_get(j, "valid"))) {
		const char *why = json_string_value(json_object_get(j, "reason"));
		json_t *c0 = json_array_get(json_object_get(j, "checks"), 0);

		if (why == NULL && c0 != NULL)
			why = json_string_value(json_object_get(c0, "reason"));
		svs_audit(&srv, rq->app->name, rq->route->path + strlen(API) + 1, "invalid", why);
	}
	ret = send_json(c, MHD_HTTP_OK, "application/json", j);
	json_decref(j);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *size, void **ctx)
{
	struct req *rq = *ctx;

	(void)cls;
	if (rq == NULL)
		return start(c, url, method, version, ctx);
	if (*size != 0) {
		if (rq->too_big || rq->len + *size > (size_t)srv.set.max_body) {
			rq->too_big = 1;
		} else {
			if (rq->len + *size > rq->cap) {
				size_t cap = rq->cap ? rq->cap : 4096;
				unsigned char *nb;

				while (cap < rq->len + *size)
					cap *= 2;
				if ((nb = realloc(rq->body, cap)) == NULL)
					return MHD_NO;
				rq->body = nb;
				rq->cap = cap;
			}
			memcpy(rq->body + rq->len, data, *size);
			rq->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	return finish(c, rq);
}

static void
completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
	struct req *rq = *ctx;

	(void)cls; (void)t;
	daemon_conn_idle(c);
	if (rq != NULL) {
		free(rq->body);
		free(rq->type);
		free(rq);
	}
	*ctx = NULL;
}

static int
read_text(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0, k;

	*out = NULL;
	if (f == NULL)
		return -1;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > (1u << 22) || (nb = realloc(b, cap)) == NULL) {
				free(b);
				fclose(f);
				return -1;
			}
			b = nb;
		}
		k = fread(b + n, 1, 4096, f);
		n += k;
	} while (k > 0);
	fclose(f);
	b[n] = '\0';
	*out = b;
	return 0;
}

/* The TLS key, decrypted, as PEM in secure memory for GnuTLS to read once. */
static char *
key_pem(const char *uri, const char *pass, size_t passlen, size_t *len)
{
	EVP_PKEY *k = NULL;
	BIO *b = NULL;
	char *data, *p = NULL;
	long n;

	if (gp_key_load(&k, uri, pass, passlen) != 0) {
		fprintf(stderr, PROG ": TLS key: %s\n", gp_error_last());
		return NULL;
	}
	if ((b = BIO_new(BIO_s_secmem())) != NULL &&
	    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 && (p = OPENSSL_secure_malloc((size_t)n + 1)) != NULL) {
		memcpy(p, data, (size_t)n);
		p[n] = '\0';
		*len = (size_t)n + 1;
	} else
		fprintf(stderr, PROG ": cannot encode the TLS key for the TLS library\n");
	BIO_free(b);
	EVP_PKEY_free(k);
	return p;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: svs-server --config FILE [--listen HOST:PORT] [--port-file F]\n"
	    "                  [--pass-file F] [--access-log FILE|off] [--access-log-format clf|json]\n"
	    "       svs-server --print-routes\n\n"
	    "The signature verification service: an HTTPS JSON API for the network's\n"
	    "applications (docs/svs-api.yaml). POST /api/v1/verify/certificate validates a\n"
	    "certificate with the verification engine against the trust anchors of the\n"
	    "application whose bearer token came with it; CRLs are fetched from their\n"
	    "distribution points and OCSP answers cached (GET /metrics shows their age). Settings in [svs], applications in\n"
	    "[svs.app.NAME] of FILE (svs-server(8)).\n\n"
	    "  --config FILE       the configuration (OpenSSL syntax)\n"
	    "  --listen HOST:PORT  instead of [svs] listen (default 127.0.0.1:8643; port 0:\n"
	    "                      any free port)\n"
	    "  --port-file F       write the bound port to F once listening\n"
	    "  --pass-file F       the passphrase of the TLS key (else [svs]\n"
	    "                      tls_key_pass_file, else $GOVPKI_PASSPHRASE)\n"
	    "  --access-log FILE   a line per request (default: [daemon] access_log, off)\n"
	    "  --access-log-format clf|json\n"
	    "  --print-routes      print METHOD PATH of each API route and exit\n"
	    "  --help, --version\n"
	    "SIGTERM or SIGINT stops it. Exit codes: 0 stopped, 1 failure, 2 usage.\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' }, { "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'f' }, { "pass-file", required_argument, NULL, 'p' },
		{ "access-log", required_argument, NULL, 'L' },
		{ "access-log-format", required_argument, NULL, 'F' },
		{ "print-routes", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	const char *config = NULL, *listen_on = NULL, *port_file = NULL, *pass_file = NULL;
	const char *log_path = NULL, *log_format = NULL, *why;
	gp_config *cfg = NULL;
	daemon_log *alog = NULL;
	daemon_conns *conns = NULL;
	daemon_limits lim;
	struct MHD_OptionItem copts[DAEMON_CONNS_NOPTIONS], hopts[DAEMON_HTTP_NOPTIONS];
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	char *cert_pem = NULL, *kpem = NULL, *pass = NULL;
	size_t klen = 0, passlen = 0;
	sigset_t set;
	int c, sig, rc = 1;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'l': listen_on = optarg; break;
		case 'f': port_file = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'L': log_path = optarg; break;
		case 'F': log_format = optarg; break;
		case 'R':
			for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
				printf("%s %s\t%s\n", routes[i].method, routes[i].path, routes[i].scope);
			return 0;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " (govpki) %s\n", gp_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || config == NULL) {
		usage(stderr);
		return 2;
	}
	if (gp_config_load(&cfg, config) != 0) {
		fprintf(stderr, PROG ": %s\n", gp_error_last());
		return 1;
	}
	srv.audit_fd = -1;
	if (svs_config_load(&srv, cfg) != 0)
		goto out;
	if (srv.set.audit_log != NULL &&
	    (srv.audit_fd = open(srv.set.audit_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", srv.set.audit_log, strerror(errno));
		goto out;
	}
	/* before any thread: libcurl's global state (CRL fetches) */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    svs_cache_new(&srv.cache, srv.set.crl_cache_max, srv.set.ocsp_cache_max) != 0) {
		fprintf(stderr, PROG ": cannot set up the revocation cache\n");
		goto out;
	}
	if (listen_on == NULL)
		listen_on = srv.set.listen;
	if (daemon_parse_listen(&ss, &sslen, listen_on, 0, &why) != 0) {
		fprintf(stderr, PROG ": cannot listen on '%s': %s (want IPv4:PORT, [IPv6]:PORT "
		    "or localhost:PORT)\n", listen_on, why);
		rc = 2;
		goto out;
	}
	if (daemon_log_setup(&alog, cfg, log_path, log_format, PROG) != 0) {
		rc = 2;
		goto out;
	}
	if (read_text(srv.set.tls_cert, &cert_pem) != 0) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", srv.set.tls_cert, strerror(errno));
		goto out;
	}
	if (pass_file == NULL)
		pass_file = srv.set.tls_key_pass_file;
	/* an encrypted TLS key: its passphrase from the file or the environment */
	if ((pass_file != NULL || getenv("GOVPKI_PASSPHRASE") != NULL) &&
	    gp_pass_get(&pass, &passlen, pass_file, "Passphrase of the TLS key: ") != 0) {
		fprintf(stderr, PROG ": %s\n", gp_error_last());
		goto out;
	}
	if ((kpem = key_pem(srv.set.tls_key, pass, passlen, &klen)) == NULL)
		goto out;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	lim.max = (unsigned)srv.set.max_connections;
	lim.per_client = (unsigned)srv.set.max_per_client;
	lim.timeout = (unsigned)srv.set.timeout;
	if (daemon_conns_new(&conns, &lim, PROG) != 0) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	daemon_conns_set_log(conns, alog);
	daemon_conns_options(copts, conns);
	daemon_http_options(hopts);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    MHD_USE_TLS | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv.set.threads,
	    MHD_OPTION_ARRAY, copts,
	    MHD_OPTION_ARRAY, hopts,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_HTTPS_MEM_KEY, kpem,
	    MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_END);
	OPENSSL_cleanse(kpem, klen);
	OPENSSL_secure_free(kpem);
	kpem = NULL;
	if (d == NULL) {
		fprintf(stderr, PROG ": cannot start the HTTPS server on %s\n", listen_on);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (port_file != NULL && daemon_write_port_file(port_file, info ? info->port : 0) != 0) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", port_file, strerror(errno));
		goto out;
	}
	fprintf(stderr, PROG ": %zu application(s), https on port %u\n", srv.napps, info ? info->port : 0);
	while (sigwait(&set, &sig) != 0)
		;
	rc = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	daemon_conns_free(conns);
	daemon_log_free(alog);
	if (kpem != NULL) {
		OPENSSL_cleanse(kpem, klen);
		OPENSSL_secure_free(kpem);
	}
	gp_pass_free(pass, passlen);
	free(cert_pem);
	svs_cache_free(srv.cache);
	if (srv.audit_fd >= 0)
		close(srv.audit_fd);
	svs_server_clear(&srv);
	gp_config_free(cfg);
	curl_global_cleanup();
	return rc;
}
