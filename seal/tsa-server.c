/* seal/tsa-server.c: an RFC 3161 time-stamp authority over HTTP (libmicrohttpd), and the seal status service */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <govpki/govpki.h>
#include <govpki/seal.h>

#include "daemon.h"
#include "daemon_conns.h"
#include "daemon_http.h"
#include "daemon_log.h"

#define MAX_REQ (64 * 1024)     /* a TimeStampReq is a few hundred bytes */

static gp_tsa *tsa;
/* the seal register (--home or --config): read-only, used by MHD's one
 * polling thread only; NULL: no seal status service */
static gp_ctx *ctx_reg;

#define SEAL_STATUS "/seal-status/"

struct conn {
	unsigned char buf[MAX_REQ];
	size_t len;
	int too_big;
};

static enum MHD_Result
send_buf(struct MHD_Connection *c, unsigned code, const char *type, const void *buf, size_t len,
    enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)buf, mode);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
		    strcmp(type, "application/json") == 0 ? "GET, HEAD" : "POST");
	ret = daemon_queue(c, code, r, len);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned code, const char *text)
{
	return send_buf(c, code, "text/plain", text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

/* A JSON error answer {"error": why} (why: a static phrase). */
static enum MHD_Result
send_json_error(struct MHD_Connection *c, unsigned code, const char *why)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "{\"error\":\"%s\"}", why);

	return send_buf(c, code, "application/json", buf, (size_t)n, MHD_RESPMEM_MUST_COPY);
}

/* GET /seal-status/ID: the seal's status in the register, as JSON
 * (gp_seal_status_json): 200 valid or revoked (with its time and reason),
 * 404 unknown, 400 a malformed id (not 1 to 128 printable ASCII
 * characters, once percent-decoded). */
static enum MHD_Result
seal_status(struct MHD_Connection *c, const char *method, const char *id)
{
	gp_seal_info *info = NULL;
	char *json = NULL;
	unsigned code;
	int r;
	enum MHD_Result ret;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET a seal status");
	if (ctx_reg == NULL)
		return send_json_error(c, MHD_HTTP_NOT_FOUND, "no seal register here (tsa-server --home)");
	if (gp_seal_id_check(id) != 0) {
		gp_error_clear();
		return send_json_error(c, MHD_HTTP_BAD_REQUEST, "a seal id is 1 to 128 printable ASCII characters");
	}
	r = gp_store_seal_get(gp_ctx_store(ctx_reg), id, &info);
	if (r == GP_E_NOTFOUND) {
		code = MHD_HTTP_NOT_FOUND;
		gp_error_clear();
	} else if (r != 0) {
		fprintf(stderr, "tsa-server: seal status %s: %s\n", id, gp_error_last());
		return send_json_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the seal register cannot be read");
	} else
		code = MHD_HTTP_OK;
	if (gp_seal_status_json(&json, id, info, 0) != 0) {
		gp_seal_info_free(info);
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot answer\n");
	}
	ret = send_buf(c, code, "application/json", json, strlen(json), MHD_RESPMEM_MUST_COPY);
	gp_free(json);
	gp_seal_info_free(info);
	return ret;
}


/* RFC 3161 §3.4: POST application/timestamp-query, answered with
 * application/timestamp-reply (a rejection TimeStampResp for bad DER). */
static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *size, void **ctx)
{
	struct conn *cn = *ctx;
	const char *ct;
	unsigned char *resp = NULL;
	size_t rlen = 0;
	enum MHD_Result ret;

	(void)cls;
	if (cn == NULL) {
		const char *why;

		/* a request started: not closed to make room; logged at its end */
		daemon_conn_busy(c, method, url, version);
		if ((why = daemon_request_check(c, url, version)) != NULL)
			return send_text(c, MHD_HTTP_BAD_REQUEST, why);   /* a static phrase */
		if (strncmp(url, SEAL_STATUS, strlen(SEAL_STATUS)) == 0)
			return seal_status(c, method, url + strlen(SEAL_STATUS));
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST a time-stamp request\n");
		ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (ct == NULL || strncasecmp(ct, "application/timestamp-query", 27) != 0)
			return send_text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "want application/timestamp-query\n");
		if ((cn = calloc(1, sizeof(*cn))) == NULL)
			return MHD_NO;
		*ctx = cn;
		return MHD_YES;
	}
	if (*size != 0) {
		if (cn->len + *size > sizeof(cn->buf))
			cn->too_big = 1;
		else {
			memcpy(cn->buf + cn->len, data, *size);
			cn->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	if (cn->too_big)
		return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request too large\n");
	if (gp_tsa_respond(&resp, &rlen, tsa, cn->buf, cn->len) != 0) {
		fprintf(stderr, "tsa-server: %s\n", gp_error_last());
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot answer\n");
	}
	ret = send_buf(c, MHD_HTTP_OK, "application/timestamp-reply", resp, rlen, MHD_RESPMEM_MUST_COPY);
	gp_free(resp);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
	(void)cls; (void)t;
	daemon_conn_idle(c);
	free(*ctx);
	*ctx = NULL;
}

/* A decimal count of at least min, at most DAEMON_MAX_CONNECTIONS_MAX. */
static int
parse_count(unsigned *out, const char *s, unsigned min)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > DAEMON_MAX_CONNECTIONS_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
bad_count(const char *opt, unsigned min, unsigned max)
{
	fprintf(stderr, "tsa-server: %s takes a number from %u to %u\n", opt, min, max);
	return 2;
}

static X509 *
read_cert(const char *path, STACK_OF(X509) **rest)
{
	FILE *f = fopen(path, "r");
	X509 *x = NULL, *y;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (rest != NULL) {
		*rest = sk_X509_new_null();
		while ((y = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
			sk_X509_push(*rest, y);
	}
	ERR_clear_error();
	fclose(f);
	return x;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: tsa-server --cert F --key F [--chain F] [--pass-file F] [--policy OID]\n"
	    "                  [--listen HOST:PORT] [--port-file F] [--max-connections N]\n"
	    "                  [--max-connections-per-client N] [--timeout SECONDS]\n"
	    "                  [--access-log FILE|off] [--access-log-format clf|json]\n"
	    "                  [--home DIR | --config FILE]\n\n"
	    "An RFC 3161 time-stamp authority: answers POSTed application/timestamp-query\n"
	    "requests with application/timestamp-reply. With --home or --config it also\n"
	    "answers GET /seal-status/ID with the status of seal ID in that home's seal\n"
	    "register (JSON: valid, revoked with its time and reason; 404 unknown, 400 a\n"
	    "malformed id). The certificate must be of the\n"
	    "tsa-signer profile (critical extended key usage timeStamping), the key RSA or ECDSA\n"
	    "(encrypted PEM; passphrase from --pass-file or $GOVPKI_PASSPHRASE).\n\n"
	    "  --listen HOST:PORT  IPv4:PORT, [IPv6]:PORT or localhost:PORT (default\n"
	    "                      127.0.0.1:3180; port 0: any free port)\n"
	    "  --port-file F       write the bound port to F once listening\n"
	    "  --policy OID        the TSA policy (default 1.2.3.4.1)\n"
	    "  --chain F           certificates to add to each token (PEM)\n"
	    "  --max-connections N connections open at once; past it the one idle longest\n"
	    "                      is closed (default 1024)\n"
	    "  --max-connections-per-client N\n"
	    "                      connections from one client address (default 64)\n"
	    "  --timeout SECONDS   a silent connection is closed after it (default 30)\n"
	    "  --access-log FILE   a line per request to FILE (default off)\n"
	    "  --access-log-format clf|json  the Common Log Format (default) or JSON lines\n"
	    "  --home DIR, --config FILE  the govpki home whose seal register to answer from\n"
	    "  --help, --version\n"
	    "SIGTERM or SIGINT stops it. Exit codes: 0 stopped, 1 failure, 2 usage.\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cert", required_argument, NULL, 'c' }, { "key", required_argument, NULL, 'k' },
		{ "chain", required_argument, NULL, 'C' }, { "pass-file", required_argument, NULL, 'p' },
		{ "policy", required_argument, NULL, 'P' }, { "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "max-connections-per-client", required_argument, NULL, 'M' },
		{ "timeout", required_argument, NULL, 't' },
		{ "access-log", required_argument, NULL, 'L' },
		{ "access-log-format", required_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "home", required_argument, NULL, 'H' }, { "config", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 } };
	const char *certf = NULL, *keyf = NULL, *chainf = NULL, *pass_file = NULL, *policy = NULL;
	const char *listen_on = "127.0.0.1:3180", *port_file = NULL;
	const char *log_path = NULL, *log_format = NULL, *home = NULL, *config = NULL;
	daemon_log *alog = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *why;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	STACK_OF(X509) *chain = NULL, *extra = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char *pass = NULL;
	size_t passlen = 0;
	sigset_t set;
	int c, sig, rc = 1;
	daemon_limits lim = { DAEMON_MAX_CONNECTIONS, DAEMON_MAX_CONNECTIONS_PER_CLIENT,
	    DAEMON_TIMEOUT };
	daemon_conns *conns = NULL;
	struct MHD_OptionItem copts[DAEMON_CONNS_NOPTIONS], hopts[DAEMON_HTTP_NOPTIONS];

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': certf = optarg; break;
		case 'k': keyf = optarg; break;
		case 'C': chainf = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'P': policy = optarg; break;
		case 'l': listen_on = optarg; break;
		case 'f': port_file = optarg; break;
		case 'L': log_path = optarg; break;
		case 'F': log_format = optarg; break;
		case 'H': home = optarg; break;
		case 'g': config = optarg; break;
		case 'm':
			if (parse_count(&lim.max, optarg, DAEMON_MAX_CONNECTIONS_MIN) != 0)
				return bad_count("--max-connections", DAEMON_MAX_CONNECTIONS_MIN,
				    DAEMON_MAX_CONNECTIONS_MAX);
			break;
		case 'M':
			if (parse_count(&lim.per_client, optarg, 1) != 0)
				return bad_count("--max-connections-per-client", 1,
				    DAEMON_MAX_CONNECTIONS_MAX);
			break;
		case 't':
			if (parse_count(&lim.timeout, optarg, 1) != 0 || lim.timeout > 3600)
				return bad_count("--timeout", 1, 3600);
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("tsa-server (govpki) %s\n", gp_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || certf == NULL || keyf == NULL) {
		usage(stderr);
		return 2;
	}
	if (daemon_parse_listen(&ss, &sslen, listen_on, 0, &why) != 0) {
		fprintf(stderr, "tsa-server: cannot listen on '%s': %s (want IPv4:PORT, [IPv6]:PORT "
		    "or localhost:PORT)\n", listen_on, why);
		return 2;
	}
	/* no configuration file: the options only */
	if (daemon_log_setup(&alog, NULL, log_path, log_format, "tsa-server") != 0)
		return 2;
	if ((cert = read_cert(certf, &extra)) == NULL) {
		fprintf(stderr, "tsa-server: %s: no PEM certificate\n", certf);
		goto out;
	}
	if (chainf != NULL && (read_cert(chainf, &chain), chain) == NULL) {
		fprintf(stderr, "tsa-server: %s: no PEM certificates\n", chainf);
		goto out;
	}
	if ((home != NULL || config != NULL) && gp_ctx_open(&ctx_reg, config, home, GP_CTX_READONLY) != 0) {
		fprintf(stderr, "tsa-server: cannot open the govpki home: %s\n", gp_error_last());
		goto out;
	}
	if (gp_pass_get(&pass, &passlen, pass_file, "Passphrase of the TSA key: ") != 0 ||
	    gp_key_load(&key, keyf, pass, passlen) != 0 ||
	    gp_tsa_new(&tsa, cert, key, chain, policy) != 0) {
		fprintf(stderr, "tsa-server: %s\n", gp_error_last());
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* idle connections must not stop the service (daemon_conns.h); epoll
	 * (MHD_USE_AUTO), since select() stops at FD_SETSIZE connections */
	if (daemon_conns_new(&conns, &lim, "tsa-server") != 0) {
		fprintf(stderr, "tsa-server: out of memory\n");
		goto out;
	}
	daemon_conns_set_log(conns, alog);
	daemon_conns_options(copts, conns);
	daemon_http_options(hopts);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_ARRAY, copts,
	    MHD_OPTION_ARRAY, hopts,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "tsa-server: cannot start the HTTP server on %s\n", listen_on);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (port_file != NULL && daemon_write_port_file(port_file, info ? info->port : 0) != 0) {
		fprintf(stderr, "tsa-server: cannot write %s: %s\n", port_file, strerror(errno));
		goto out;
	}
	printf("tsa-server: listening on port %u\n", info ? info->port : 0);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	rc = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	daemon_conns_free(conns);
	daemon_log_free(alog);
	gp_tsa_free(tsa);
	gp_ctx_free(ctx_reg);
	gp_pass_free(pass, passlen);
	X509_free(cert);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(extra, X509_free);
	return rc;
}
