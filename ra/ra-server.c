/* ra/ra-server.c: the RA daemon: configuration, TLS, the worker pool, start and graceful stop */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <gnutls/gnutls.h>

#include <govpki/signer.h>

#include "acme.h"
#include "cmp.h"
#include "scep.h"
#include "est.h"
#include "daemon.h"
#include "daemon_log.h"
#include "ra_server.h"

server *ra_srv;

static const char usage_text[] =
	"usage: ra-server [--config FILE] [--home DIR] [--ca NAME] [--listen ADDR:PORT]\n"
	"                 [--port-file FILE] [--pass-file FILE] [--pin-file FILE] [--threads N]\n"
	"       ra-server --print-authz-table[=md|tsv]\n"
	"\n"
	"The registration authority's HTTPS JSON API (docs/ra-api.md). Settings come\n"
	"from the [ra] section of the configuration; the options override them.\n"
	"  --config FILE     govpki configuration (OpenSSL config syntax)\n"
	"  --home DIR        the govpki home (default $GOVPKI_HOME, else .)\n"
	"  --ca NAME         the CA that issues ([ra] ca)\n"
	"  --listen A:P      IPv4:PORT, [IPv6]:PORT or localhost:PORT ([ra] listen, default\n"
	"                    127.0.0.1:8443; port 0: any free)\n"
	"  --port-file FILE  write the port listened on to FILE once ready\n"
	"  --pass-file FILE  the CA key's passphrase (else GOVPKI_PASSPHRASE)\n"
	"  --pin-file FILE   PIN of a PKCS#11 CA key (else GOVPKI_PIN, else [pkcs11] pin_file)\n"
	"  --threads N       worker threads ([ra] threads, default 4)\n"
	"  --print-authz-table[=md|tsv]  print the authorisation table and exit\n"
	"  --help, --version\n"
	"SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0.\n";

static const char *const ra_keys[] = {
	"listen", "ca", "officer_ca", "tls_cert", "tls_key", "tls_key_pass_file", "tls_priorities",
	"plain_http",
	"threads", "max_body", "max_string", "max_depth", "max_page", "rate_limit", "rate_burst",
	"challenge_ttl", "max_connections", "max_connections_per_client", "timeout_seconds",
	"refused_audit_seconds", "console_dir", "ocsp_url", NULL
};

static int
fail(const char *what)
{
	fprintf(stderr, "ra-server: %s: %s\n", what, gp_error_last());
	return 1;
}

/* A priority string GnuTLS refuses is named here, with where it stops,
 * rather than as a daemon that cannot start. */
static int
check_priorities(const gp_config *cfg, const char *prio)
{
	gnutls_priority_t p;
	const char *at = NULL;

	if (gnutls_priority_init(&p, prio, &at) != GNUTLS_E_SUCCESS) {
		fprintf(stderr, "ra-server: %s:%d: tls_priorities in [ra]: GnuTLS does not "
		    "accept '%s' (at '%s')\n", gp_config_path(cfg) ? gp_config_path(cfg) : "",
		    gp_config_line(cfg, "ra", "tls_priorities"), prio, at ? at : "");
		return -1;
	}
	gnutls_priority_deinit(p);
	return 0;
}

static int
load_settings(ra_settings *s, const gp_config *cfg)
{
	int r;

	if ((r = gp_config_check_keys(cfg, "ra", ra_keys)) != 0)
		return r;
	s->listen = gp_config_str(cfg, "ra", "listen", "127.0.0.1:8443");
	s->ca = gp_config_str(cfg, "ra", "ca", NULL);
	s->officer_ca = gp_config_str(cfg, "ra", "officer_ca", NULL);
	s->tls_cert = gp_config_str(cfg, "ra", "tls_cert", NULL);
	s->tls_key = gp_config_str(cfg, "ra", "tls_key", NULL);
	s->tls_key_pass_file = gp_config_str(cfg, "ra", "tls_key_pass_file", NULL);
	/* the officers' console, installed by make install */
	s->console_dir = gp_config_str(cfg, "ra", "console_dir", GP_CONSOLE_DIR);
	s->ocsp_url = gp_config_str(cfg, "ra", "ocsp_url", NULL);
	/* RFC 8996: no TLS 1.0 or 1.1 */
	s->tls_priorities = gp_config_str(cfg, "ra", "tls_priorities",
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	if ((r = gp_config_bool(&s->plain_http, cfg, "ra", "plain_http", 0)) != 0 ||
	    (r = gp_config_long(&s->threads, cfg, "ra", "threads", 4, 1, 64)) != 0 ||
	    (r = gp_config_long(&s->max_body, cfg, "ra", "max_body", 65536, 1024, 16 << 20)) != 0 ||
	    (r = gp_config_long(&s->max_string, cfg, "ra", "max_string", 16384, 64, 1 << 20)) != 0 ||
	    (r = gp_config_long(&s->max_depth, cfg, "ra", "max_depth", 8, 2, 64)) != 0 ||
	    (r = gp_config_long(&s->max_page, cfg, "ra", "max_page", 500, 1, 10000)) != 0 ||
	    (r = gp_config_long(&s->rate_limit, cfg, "ra", "rate_limit", 100, 0, 1000000)) != 0 ||
	    (r = gp_config_long(&s->rate_burst, cfg, "ra", "rate_burst", 200, 1, 1000000)) != 0 ||
	    (r = gp_config_long(&s->challenge_ttl, cfg, "ra", "challenge_ttl", 300, 10, 86400)) != 0 ||
	    (r = gp_config_long(&s->max_connections, cfg, "ra",
	    "max_connections", DAEMON_MAX_CONNECTIONS,
	    DAEMON_MAX_CONNECTIONS_MIN, DAEMON_MAX_CONNECTIONS_MAX)) != 0 ||
	    (r = gp_config_long(&s->max_per_client, cfg, "ra",
	    "max_connections_per_client", DAEMON_MAX_CONNECTIONS_PER_CLIENT, 1,
	    DAEMON_MAX_CONNECTIONS_MAX)) != 0 ||
	    (r = gp_config_long(&s->timeout, cfg, "ra", "timeout_seconds",
	    DAEMON_TIMEOUT, 1, 3600)) != 0 ||
	    (r = gp_config_long(&s->refused_audit, cfg, "ra",
	    "refused_audit_seconds", 60, 1, 86400)) != 0)
		return r;
	return 0;
}

static int
read_text(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	*out = NULL;
	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1 << 20) ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return -1;
	}
	b[n] = '\0';
	fclose(f);
	*out = b;
	return 0;
}

/* Our encrypted key, decrypted with gp_key_load, as an unencrypted PEM in
 * secure memory for MHD (GnuTLS) to read once at start; wiped after. */
static int
tls_key_pem(char **out, size_t *outlen, const char *uri, const char *pass, size_t passlen)
{
	EVP_PKEY *k = NULL;
	BIO *b = NULL;
	char *data, *p;
	long n;
	int r = -1;

	*out = NULL;
	if (gp_key_load(&k, uri, pass, passlen) != 0)
		return fail("TLS key");
	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0 || (p = OPENSSL_secure_malloc((size_t)n + 1)) == NULL) {
		fprintf(stderr, "ra-server: cannot encode the TLS key for the TLS library\n");
		goto out;
	}
	memcpy(p, data, (size_t)n);
	p[n] = '\0';
	*out = p;
	*outlen = (size_t)n + 1;
	r = 0;
out:
	BIO_free(b);
	EVP_PKEY_free(k);
	return r;
}

/* With [signer] socket gp_ctx_open gives each context a signer handle of
 * its own (connected at its first use), so the CA opens without its key:
 * ca-signer issues (docs/signer.md). */
static int
open_worker(worker *w, const char *config, const char *home,
    const char *ca, const char *pass, size_t passlen, const unsigned char ckey[32], long ttl)
{
	if (gp_ctx_open(&w->ctx, config, home, 0) != 0)
		return fail("opening the govpki home");
	if (gp_ca_open(&w->ca, w->ctx, ca, pass, passlen) != 0)
		return fail("opening the CA");
	if (gp_ra_new(&w->ra, w->ctx, w->ca) != 0 || gp_ra_set_challenge_key(w->ra, ckey, ttl) != 0)
		return fail("RA");
	return 0;
}

static void
close_worker(worker *w)
{
	X509_free(w->leaf);
	free(w->leaf_der);
	gp_ra_free(w->ra);
	gp_ca_free(w->ca);
	gp_ctx_free(w->ctx);
	memset(w, 0, sizeof(*w));
}

enum {
	O_CONFIG = 256, O_HOME, O_CA, O_LISTEN, O_PORT_FILE, O_PASS_FILE, O_PIN_FILE, O_THREADS,
	O_AUTHZ, O_HELP
};

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "home", required_argument, NULL, O_HOME },
		{ "ca", required_argument, NULL, O_CA },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "port-file", required_argument, NULL, O_PORT_FILE },
		{ "pass-file", required_argument, NULL, O_PASS_FILE },
		{ "pin-file", required_argument, NULL, O_PIN_FILE },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "print-authz-table", optional_argument, NULL, O_AUTHZ },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = NULL, *home = NULL, *ca = NULL, *listen_at = NULL, *port_file = NULL;
	const char *pass_file = NULL, *signer_sock, *scep_listen;
	long threads = 0;
	server srv;
	gp_ctx *ctx0 = NULL;
	char *pass = NULL, *tpass = NULL, *key_pem = NULL, *cert_pem = NULL, *trust_pem = NULL;
	size_t passlen = 0, tpasslen = 0, key_len = 0, trust_len = 0;
	unsigned char ckey[32];
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *why;
	struct MHD_Daemon *d = NULL, *d_scep = NULL;
	sigset_t sigs;
	int c, sig, rc = 1;
	unsigned int flags;
	int64_t recovered = 0;
	daemon_limits lim;
	struct MHD_OptionItem copts[DAEMON_CONNS_NOPTIONS], hopts[DAEMON_HTTP_NOPTIONS];
	daemon_log *alog = NULL;

	memset(&srv, 0, sizeof(srv));
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_CONFIG: config = optarg; break;
		case O_HOME: home = optarg; break;
		case O_CA: ca = optarg; break;
		case O_LISTEN: listen_at = optarg; break;
		case O_PORT_FILE: port_file = optarg; break;
		case O_PASS_FILE: pass_file = optarg; break;
		case O_PIN_FILE:
			if (gp_key_p11_set_pin_file(optarg) != 0) {
				fprintf(stderr, "ra-server: --pin-file: %s\n", gp_error_last());
				return 1;
			}
			break;
		case O_THREADS: {
			char *end;

			threads = strtol(optarg, &end, 10);
			if (*end != '\0' || threads < 1 || threads > 64) {
				fprintf(stderr, "ra-server: --threads must be 1 to 64\n");
				return 2;
			}
			break;
		}
		case O_AUTHZ:
			if (ra_print_authz(stdout, optarg) != 0) {
				fprintf(stderr, "ra-server: --print-authz-table=md or =tsv\n");
				return 2;
			}
			return 0;
		case 'h':
		case O_HELP: fputs(usage_text, stdout); return 0;
		case 'V': printf("ra-server (govpki) %s\n", gp_version()); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ra-server: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	ra_srv = &srv;
	/* SIGTERM and SIGINT are taken by sigwait in the main thread only:
	 * block them before any thread starts (threads inherit the mask) */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&srv.rate_mu, NULL);
	pthread_mutex_init(&srv.refusal_mu, NULL);
	if (gp_ctx_open(&ctx0, config, home, 0) != 0) {
		rc = fail("opening the govpki home");
		goto out;
	}
	if (load_settings(&srv.set, gp_ctx_config(ctx0)) != 0) {
		rc = fail("configuration");
		goto out;
	}
	if (check_priorities(gp_ctx_config(ctx0), srv.set.tls_priorities) != 0)
		goto out;
	/* [daemon] access_log (daemon_log.h) */
	if (daemon_log_setup(&alog, gp_ctx_config(ctx0), NULL, NULL, "ra-server") != 0)
		goto out;
	if (ca != NULL)
		srv.set.ca = ca;
	if (listen_at != NULL)
		srv.set.listen = listen_at;
	if (threads > 0)
		srv.set.threads = threads;
	if (srv.set.ca == NULL) {
		fprintf(stderr, "ra-server: no CA: give --ca NAME or [ra] ca\n");
		goto out;
	}
	if (srv.set.officer_ca == NULL)
		srv.set.officer_ca = srv.set.ca;
	if (daemon_parse_listen(&ss, &sslen, srv.set.listen, 0, &why) != 0) {
		fprintf(stderr, "ra-server: bad listen address '%s': %s (want IPv4:PORT, "
		    "[IPv6]:PORT or localhost:PORT)\n", srv.set.listen, why);
		rc = 2;
		goto out;
	}
	if (srv.set.tls_cert == NULL || srv.set.tls_key == NULL) {
		/* plain HTTP: only when the configuration asks and only on loopback */
		if (!srv.set.plain_http) {
			fprintf(stderr, "ra-server: no TLS: set [ra] tls_cert and tls_key "
			    "(or plain_http = yes for 127.0.0.1)\n");
			goto out;
		}
		if (ss.ss_family != AF_INET ||
		    ((struct sockaddr_in *)&ss)->sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
			fprintf(stderr, "ra-server: plain HTTP is allowed on 127.0.0.1 only, not on '%s'\n",
			    srv.set.listen);
			goto out;
		}
	}
	/* [signer] socket: the CA key is ca-signer's; no CA passphrase is read
	 * (one given is still the TLS key's, when tls_key_pass_file is not) */
	signer_sock = gp_config_str(gp_ctx_config(ctx0), "signer", "socket", NULL);
	if ((signer_sock == NULL || (srv.set.tls_key != NULL && srv.set.tls_key_pass_file == NULL &&
	    (pass_file != NULL || getenv("GOVPKI_PASSPHRASE") != NULL))) &&
	    gp_pass_get(&pass, &passlen, pass_file, "CA key passphrase: ") != 0) {
		rc = fail("passphrase");
		goto out;
	}
	if (RAND_bytes(ckey, sizeof(ckey)) != 1 ||
	    RAND_bytes(srv.rate_salt, sizeof(srv.rate_salt)) != 1) {
		fprintf(stderr, "ra-server: no random bytes\n");
		goto out;
	}
	/* one context, CA and RA per worker thread: a gp_store is one connection */
	srv.nworkers = (size_t)srv.set.threads;
	/* [scep] http_listen has a thread pool of its own, with its workers */
	scep_listen = gp_config_str(gp_ctx_config(ctx0), "scep", "http_listen", NULL);
	if (scep_listen != NULL)
		srv.nworkers *= 2;
	srv.workers = calloc(srv.nworkers, sizeof(*srv.workers));
	srv.nrates = 16384;
	srv.rates = calloc(srv.nrates, sizeof(*srv.rates));
	srv.nrefusals = 1024;
	srv.refusals = calloc(srv.nrefusals, sizeof(*srv.refusals));
	srv.hits = calloc((ra_nendpoints + 1) * 500, sizeof(*srv.hits));
	srv.lat_sum = calloc(ra_nendpoints + 1, sizeof(*srv.lat_sum));
	srv.lat_buckets = calloc((ra_nendpoints + 1) * (NBUCKETS + 1), sizeof(*srv.lat_buckets));
	if (srv.workers == NULL || srv.rates == NULL || srv.refusals == NULL || srv.hits == NULL || srv.lat_sum == NULL ||
	    srv.lat_buckets == NULL) {
		fprintf(stderr, "ra-server: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < srv.nworkers; i++)
		if (open_worker(&srv.workers[i], config, home, srv.set.ca,
		    pass, passlen, ckey, srv.set.challenge_ttl) != 0)
			goto out;
	/* the writer thread: one connection that commits the workers' writes
	 * in groups (ra-writer.c) */
	if (open_worker(&srv.writer, config, home,
	    srv.set.ca, pass, passlen, ckey, srv.set.challenge_ttl) != 0)
		goto out;
	/* the signer answers the writer's uid now, or the RA does not start */
	if (signer_sock != NULL && gp_signer_health(gp_ctx_signer0(srv.writer.ctx)) != 0) {
		rc = fail("[signer] socket");
		goto out;
	}
	OPENSSL_cleanse(ckey, sizeof(ckey));
	/* requests a stopped server left half-done are marked failed */
	if (gp_ra_recover(srv.workers[0].ra, &recovered) != 0) {
		rc = fail("recovering interrupted requests");
		goto out;
	}
	if (recovered > 0)
		fprintf(stderr, signer_sock != NULL ?
		    "ra-server: %lld approved request(s) issued by ca-signer\n" :
		    "ra-server: %lld interrupted request(s) marked failed\n", (long long)recovered);
	if (ra_writer_start(&srv) != 0) {
		fprintf(stderr, "ra-server: cannot start the writer thread\n");
		goto out;
	}
	if (acme_start(&srv, ctx0) != 0 || est_start(&srv, ctx0) != 0 ||
	    cmp_start(&srv, ctx0) != 0 || scep_start(&srv, ctx0, pass, passlen) != 0)
		goto out;

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	if (srv.set.tls_cert != NULL && srv.set.tls_key != NULL) {
		char *chain = NULL;
		size_t chain_len = 0;

		if (srv.set.tls_key_pass_file != NULL &&
		    gp_pass_get(&tpass, &tpasslen, srv.set.tls_key_pass_file, NULL) != 0) {
			rc = fail("TLS key passphrase");
			goto out;
		}
		if (read_text(srv.set.tls_cert, &cert_pem) != 0) {
			fprintf(stderr, "ra-server: cannot read %s: %s\n", srv.set.tls_cert, strerror(errno));
			goto out;
		}
		if (tls_key_pem(&key_pem, &key_len, srv.set.tls_key, tpass ? tpass : pass,
		    tpass ? tpasslen : passlen) != 0)
			goto out;
		/* client certificates are asked for (not required) and checked by
		 * us with OpenSSL; the trust list only names the acceptable CAs */
		if (gp_ca_chain_pem(&chain, &chain_len, ctx0, srv.set.officer_ca) != 0) {
			rc = fail("officer CA");
			goto out;
		}
		trust_pem = chain;
		trust_len = chain_len;
		flags |= MHD_USE_TLS;
	}
	/* idle connections must not stop the service (daemon_conns.h) */
	lim.max = (unsigned)srv.set.max_connections;
	lim.per_client = (unsigned)srv.set.max_per_client;
	lim.timeout = (unsigned)srv.set.timeout;
	if (daemon_conns_new(&srv.conns, &lim, "ra-server") != 0) {
		fprintf(stderr, "ra-server: out of memory\n");
		goto out;
	}
	daemon_conns_set_log(srv.conns, alog);
	daemon_conns_options(copts, srv.conns);
	daemon_http_options(hopts);
	d = MHD_start_daemon(flags, 0, NULL, NULL, ra_access, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv.set.threads,
	    MHD_OPTION_ARRAY, copts,
	    MHD_OPTION_ARRAY, hopts,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RA_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, ra_completed, NULL,
	    (flags & MHD_USE_TLS) ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, key_pem,
	    MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_HTTPS_MEM_TRUST, trust_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, srv.set.tls_priorities,
	    MHD_OPTION_END);
	if (key_pem != NULL) {
		OPENSSL_cleanse(key_pem, key_len);
		OPENSSL_secure_free(key_pem);
		key_pem = NULL;
	}
	(void)trust_len;
	if (d == NULL) {
		fprintf(stderr, "ra-server: cannot listen on %s\n", srv.set.listen);
		goto out;
	}
	if (port_file != NULL) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

		if (di == NULL || daemon_write_port_file(port_file, di->port) != 0) {
			fprintf(stderr, "ra-server: cannot write %s: %s\n", port_file,
			    di == NULL ? "no bound port" : strerror(errno));
			goto out;
		}
	}
	fprintf(stderr, "ra-server: serving CA %s on %s (%s, %ld threads)\n", srv.set.ca,
	    srv.set.listen, (flags & MHD_USE_TLS) ? "https" : "http", srv.set.threads);
	/* [scep] http_listen: SCEP alone over plain HTTP (RFC 8894 §4.1: its
	 * messages protect themselves; routers and MDM clients use http://) */
	if (scep_listen != NULL) {
		struct sockaddr_storage hs;
		socklen_t hslen;

		if (daemon_parse_listen(&hs, &hslen, scep_listen, 0, &why) != 0) {
			fprintf(stderr, "ra-server: bad [scep] http_listen '%s': %s\n", scep_listen, why);
			rc = 2;
			goto out;
		}
		d_scep = MHD_start_daemon((flags & ~(unsigned)(MHD_USE_TLS | MHD_USE_IPv6)) |
		    (hs.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, ra_access,
		    (void *)scep_listen,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&hs,
		    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv.set.threads,
		    MHD_OPTION_ARRAY, copts,
		    MHD_OPTION_ARRAY, hopts,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RA_CONN_MEMORY,
		    MHD_OPTION_NOTIFY_COMPLETED, ra_completed, NULL,
		    MHD_OPTION_END);
		if (d_scep == NULL) {
			fprintf(stderr, "ra-server: cannot listen on [scep] http_listen %s\n", scep_listen);
			goto out;
		}
		fprintf(stderr, "ra-server: serving SCEP on %s (http)\n", scep_listen);
	}
	if (sigwait(&sigs, &sig) != 0)
		goto out;
	/* stop accepting, let the requests in flight finish (bounded), stop */
	MHD_quiesce_daemon(d);
	if (d_scep != NULL)
		MHD_quiesce_daemon(d_scep);
	for (int i = 0; i < 3000 && __atomic_load_n(&srv.inflight, __ATOMIC_SEQ_CST) > 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "ra-server: stopping (signal %d)\n", sig);
	rc = 0;
out:
	if (d_scep != NULL)
		MHD_stop_daemon(d_scep);
	if (d != NULL)
		MHD_stop_daemon(d);
	/* the handlers and the ACME validations are done: the refusals counted
	 * go into the audit, the writer commits what is queued and ends */
	acme_stop();
	est_stop();
	cmp_stop();
	scep_stop();
	if (srv.writer_running)
		ra_refusals_flush(1);
	ra_writer_stop(&srv);
	close_worker(&srv.writer);
	for (size_t i = 0; srv.workers != NULL && i < srv.nworkers; i++)
		close_worker(&srv.workers[i]);
	free(srv.workers);
	free(srv.rates);
	free(srv.refusals);
	free(srv.hits);
	free(srv.lat_sum);
	free(srv.lat_buckets);
	daemon_conns_free(srv.conns);
	daemon_log_free(alog);
	free(cert_pem);
	gp_free(trust_pem);    /* gp_ca_chain_pem's */
	if (key_pem != NULL) {
		OPENSSL_cleanse(key_pem, key_len);
		OPENSSL_secure_free(key_pem);
	}
	gp_pass_free(pass, passlen);
	gp_pass_free(tpass, tpasslen);
	gp_ctx_free(ctx0);
	return rc;
}
