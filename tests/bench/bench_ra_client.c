/* tests/bench/bench_ra_client.c: RA load in C: N client threads, each with
 * two HTTPS keep-alive connections (an API token, an officer's client
 * certificate), run submit -> approve -> fetch cycles.  Prints the same
 * JSON as ra_loadgen.py (counts, serials, wall time, per-endpoint
 * latencies).  A Python client on 2 cores spends more CPU per request
 * than the server; this one lets the server be measured.
 * With --est USER (and the enrolment secret as --token) each client runs
 * EST simpleenroll (RFC 7030 §4.2.1) over one keep-alive connection with
 * HTTP Basic instead, and reads each serial from the PKCS#7 answer.
 * Built by tests/bench/bench_ra.sh with cc and OpenSSL (no libcurl here). */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

static const char *host = "127.0.0.1", *cacert, *token, *ocert, *okey, *csr_dir;
static const char *profile = "tls-server";
static int port, nclients = 8, fetch;
static size_t n_max = 1000;
static char **bodies;
static size_t nbodies;
static const char *est_user;     /* --est: EST simpleenroll as this user */
static const char *body_type = "application/json";

enum { E_SUBMIT, E_APPROVE, E_FETCH, E__N };
static const char *ep_names[E__N] = { "submit", "approve", "fetch" };

typedef struct client {
	int idx;
	SSL_CTX *app_ctx, *off_ctx;
	double *lat[E__N];
	size_t nlat[E__N];
	char **serials;
	size_t nserials, issued, failed, other;
	size_t nerrors;
	char err[256];
} client;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static SSL *
tls_connect(SSL_CTX *ctx)
{
	struct sockaddr_in sin;
	int fd, one = 1;
	SSL *ssl;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return NULL;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, host, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
}

/* One request; *status and a malloc'ed body (NUL-terminated). */
static int
call(SSL *ssl, const char *method, const char *path, const char *hdrs, const char *body,
    int *status, char **out)
{
	char head[1024], *buf = NULL, *p;
	size_t cap = 65536, len = 0, blen = body ? strlen(body) : 0, need;
	long clen = -1;
	int n;

	*out = NULL;
	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%s%s"
	    "Content-Length: %zu\r\n\r\n", method, path, host, hdrs,
	    body ? "Content-Type: " : "", body ? body_type : "", body ? "\r\n" : "", blen);
	if (n < 0 || (size_t)n >= sizeof(head) || (buf = malloc(cap + 1)) == NULL)
		return -1;
	/* head and body in one TLS record and one write, as curl sends a
	 * small request: two would cost both sides a record and a syscall */
	if ((size_t)n + blen > cap) {
		free(buf);
		if ((buf = malloc((size_t)n + blen + 1)) == NULL)
			return -1;
		cap = (size_t)n + blen;
	}
	memcpy(buf, head, (size_t)n);
	if (blen)
		memcpy(buf + n, body, blen);
	if (SSL_write(ssl, buf, n + (int)blen) != n + (int)blen)
		goto fail;
	for (;;) {
		if (len == cap) {
			cap *= 2;
			if ((p = realloc(buf, cap + 1)) == NULL)
				goto fail;
			buf = p;
		}
		if ((n = SSL_read(ssl, buf + len, (int)(cap - len))) <= 0)
			goto fail;
		len += (size_t)n;
		buf[len] = '\0';
		if ((p = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (clen < 0) {
			char *c = strcasestr(buf, "\r\ncontent-length:");

			if (c == NULL || c > p)
				goto fail;
			clen = strtol(c + 17, NULL, 10);
			*status = atoi(buf + 9);
		}
		need = (size_t)(p + 4 - buf) + (size_t)clen;
		if (len >= need) {
			memmove(buf, p + 4, (size_t)clen);
			buf[clen] = '\0';
			*out = buf;
			return 0;
		}
	}
fail:
	free(buf);
	return -1;
}

/* The value of "key" in a flat JSON text: a number or a string, copied. */
static int
json_get(const char *j, const char *key, char *out, size_t max)
{
	char k[64];
	const char *p;
	size_t n = 0;

	snprintf(k, sizeof(k), "\"%s\"", key);
	if ((p = strstr(j, k)) == NULL)
		return -1;
	p += strlen(k);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p == '"')
		for (p++; *p && *p != '"' && n + 1 < max; )
			out[n++] = *p++;
	else
		while ((*p == '-' || (*p >= '0' && *p <= '9')) && n + 1 < max)
			out[n++] = *p++;
	out[n] = '\0';
	return n ? 0 : -1;
}

static void
lat_add(client *c, int e, double dt)
{
	c->lat[e][c->nlat[e]++] = dt;
}

static void
error(client *c, const char *fmt, const char *what, int st)
{
	if (c->nerrors++ == 0)
		snprintf(c->err, sizeof(c->err), fmt, what, st);
}

/* The serial (hex) of the one certificate in a base64 certs-only PKCS#7. */
static int
p7_serial(const char *b64, char *out, size_t max)
{
	BIO *mem = BIO_new_mem_buf(b64, -1), *f = BIO_new(BIO_f_base64());
	PKCS7 *p7 = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int r = -1;

	if (mem == NULL || f == NULL) {
		BIO_free(mem);
		BIO_free(f);
		return -1;
	}
	BIO_push(f, mem);
	if ((p7 = d2i_PKCS7_bio(f, NULL)) != NULL && PKCS7_type_is_signed(p7) &&
	    sk_X509_num(p7->d.sign->cert) == 1 &&
	    (bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(sk_X509_value(p7->d.sign->cert, 0)),
	    NULL)) != NULL && (hex = BN_bn2hex(bn)) != NULL && strlen(hex) < max) {
		snprintf(out, max, "%s", hex);
		r = 0;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	PKCS7_free(p7);
	BIO_free_all(f);
	return r;
}

/* --est: simpleenroll cycles over one connection. */
static void *
run_est(void *arg)
{
	client *c = arg;
	SSL *ssl = tls_connect(c->app_ctx);
	char auth[400], cred[300], path[256], serial[80], *b = NULL;
	int st, n;
	double t0;

	n = snprintf(cred, sizeof(cred), "%s:%s", est_user, token);
	memcpy(auth, "Authorization: Basic ", 21);
	n = EVP_EncodeBlock((unsigned char *)auth + 21, (unsigned char *)cred, n);
	snprintf(auth + 21 + n, sizeof(auth) - 21 - (size_t)n, "\r\n");
	snprintf(path, sizeof(path), "/.well-known/est/%s/simpleenroll", profile);
	if (ssl == NULL) {
		error(c, "%s %d", "connect", 0);
		return NULL;
	}
	for (size_t i = (size_t)c->idx; i < nbodies; i += (size_t)nclients) {
		t0 = now();
		if (call(ssl, "POST", path, auth, bodies[i], &st, &b) != 0) {
			error(c, "%s %d", "simpleenroll connection", 0);
			break;
		}
		lat_add(c, E_SUBMIT, now() - t0);
		if (st != 200 || p7_serial(b, serial, sizeof(serial)) != 0) {
			error(c, "%s %d", "simpleenroll", st);
			c->failed++;
		} else {
			c->issued++;
			c->serials[c->nserials++] = strdup(serial);
		}
		free(b);
	}
	SSL_shutdown(ssl);
	close(SSL_get_fd(ssl));
	SSL_free(ssl);
	return NULL;
}

static void *
run(void *arg)
{
	client *c = arg;
	SSL *app = tls_connect(c->app_ctx), *off = tls_connect(c->off_ctx);
	char auth[200], path[256], id[32], status[32], serial[80], *b = NULL;
	int st;
	double t0;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
	if (app == NULL || off == NULL) {
		error(c, "%s %d", "connect", 0);
		goto out;
	}
	for (size_t i = (size_t)c->idx; i < nbodies; i += (size_t)nclients) {
		t0 = now();
		if (call(app, "POST", "/api/v1/requests", auth, bodies[i], &st, &b) != 0) {
			error(c, "%s %d", "submit connection", 0);
			goto out;
		}
		lat_add(c, E_SUBMIT, now() - t0);
		if (st != 201 || json_get(b, "id", id, sizeof(id)) != 0) {
			error(c, "%s %d", "submit", st);
			free(b);
			continue;
		}
		free(b);
		snprintf(path, sizeof(path), "/api/v1/requests/%s/approve", id);
		t0 = now();
		if (call(off, "POST", path, "", NULL, &st, &b) != 0) {
			error(c, "%s %d", "approve connection", 0);
			goto out;
		}
		lat_add(c, E_APPROVE, now() - t0);
		if (st != 200 || json_get(b, "status", status, sizeof(status)) != 0) {
			error(c, "%s %d", "approve", st);
			free(b);
			continue;
		}
		if (strcmp(status, "issued") != 0) {
			if (strcmp(status, "failed") == 0)
				c->failed++;
			else
				c->other++;
			free(b);
			continue;
		}
		c->issued++;
		if (json_get(b, "serial", serial, sizeof(serial)) != 0) {
			error(c, "%s %d", "approve without serial", st);
			free(b);
			continue;
		}
		free(b);
		c->serials[c->nserials++] = strdup(serial);
		if (!fetch)
			continue;
		snprintf(path, sizeof(path), "/api/v1/certificates/%s", serial);
		t0 = now();
		if (call(app, "GET", path, auth, NULL, &st, &b) != 0) {
			error(c, "%s %d", "fetch connection", 0);
			goto out;
		}
		lat_add(c, E_FETCH, now() - t0);
		if (st != 200 || strstr(b, "BEGIN CERTIFICATE") == NULL)
			error(c, "%s %d", "fetch", st);
		free(b);
	}
out:
	if (app != NULL) {
		SSL_shutdown(app);
		close(SSL_get_fd(app));
		SSL_free(app);
	}
	if (off != NULL) {
		SSL_shutdown(off);
		close(SSL_get_fd(off));
		SSL_free(off);
	}
	return NULL;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_s(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static double
pct(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* A CSR file as the JSON body of a submission. */
static char *
make_body(const char *path)
{
	FILE *f = fopen(path, "rb");
	char pem[8192], *out;
	size_t n, o = 0;

	if (f == NULL)
		return NULL;
	n = fread(pem, 1, sizeof(pem) - 1, f);
	fclose(f);
	pem[n] = '\0';
	if (est_user != NULL) {
		/* RFC 7030 §4.2.1: the base64 of the DER, which is a PEM's body */
		char *b = strstr(pem, "-----\n"), *e = strstr(pem, "\n-----END");

		if (b == NULL || e == NULL || e < b)
			return NULL;
		*e = '\0';
		return strdup(b + 6);
	}
	if ((out = malloc(2 * n + 128)) == NULL)
		return NULL;
	o += (size_t)sprintf(out, "{\"csr\": \"");
	for (size_t i = 0; i < n; i++) {
		if (pem[i] == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (pem[i] != '\r') {
			out[o++] = pem[i];
		}
	}
	sprintf(out + o, "\", \"profile\": \"%s\"}", profile);
	return out;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	client *cs;
	pthread_t *tids;
	char **names = NULL;
	size_t nnames = 0, cap = 0, dup = 0, issued = 0, failed = 0, other = 0, nerr = 0;
	struct dirent *de;
	DIR *d;
	double t0, wall;
	const char *first_err = "";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--fetch") == 0) { fetch = 1; continue; }
		if (strcmp(a, "--est") == 0 && v != NULL) {
			est_user = v;
			body_type = "application/pkcs10";
			ep_names[E_SUBMIT] = "simpleenroll";
			i++;
			continue;
		}
		if (v == NULL) { fprintf(stderr, "%s needs a value\n", a); return 2; }
		i++;
		if (strcmp(a, "--host") == 0) host = v;
		else if (strcmp(a, "--port") == 0) port = atoi(v);
		else if (strcmp(a, "--cacert") == 0) cacert = v;
		else if (strcmp(a, "--token") == 0) token = v;
		else if (strcmp(a, "--cert") == 0) ocert = v;
		else if (strcmp(a, "--key") == 0) okey = v;
		else if (strcmp(a, "--csr-dir") == 0) csr_dir = v;
		else if (strcmp(a, "--n") == 0) n_max = (size_t)atol(v);
		else if (strcmp(a, "--clients") == 0) nclients = atoi(v);
		else if (strcmp(a, "--profile") == 0) profile = v;
		else { fprintf(stderr, "unknown option %s\n", a); return 2; }
	}
	if (!port || !cacert || !token || (est_user == NULL && (!ocert || !okey)) || !csr_dir ||
	    nclients < 1) {
		fprintf(stderr, "usage: bench_ra_client --port P --cacert F --token T --cert F --key F "
		    "--csr-dir D [--n N] [--clients C] [--profile P] [--fetch]\n"
		    "       bench_ra_client --est USER --port P --cacert F --token SECRET "
		    "--csr-dir D [--n N] [--clients C] [--profile P]\n");
		return 2;
	}
	if ((d = opendir(csr_dir)) == NULL) {
		perror(csr_dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (nnames == cap && (names = realloc(names, (cap = cap ? 2 * cap : 1024) * sizeof(*names))) == NULL)
			return 1;
		names[nnames++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nnames, sizeof(*names), cmp_name);
	nbodies = nnames < n_max ? nnames : n_max;
	bodies = calloc(nbodies + 1, sizeof(*bodies));
	for (size_t i = 0; i < nbodies; i++) {
		char p[4096];

		snprintf(p, sizeof(p), "%s/%s", csr_dir, names[i]);
		if ((bodies[i] = make_body(p)) == NULL) {
			fprintf(stderr, "cannot read %s\n", p);
			return 1;
		}
	}
	cs = calloc((size_t)nclients, sizeof(*cs));
	tids = calloc((size_t)nclients, sizeof(*tids));
	for (int i = 0; i < nclients; i++) {
		client *c = &cs[i];
		size_t per = nbodies / (size_t)nclients + 1;

		c->idx = i;
		c->app_ctx = SSL_CTX_new(TLS_client_method());
		c->off_ctx = SSL_CTX_new(TLS_client_method());
		if (SSL_CTX_load_verify_locations(c->app_ctx, cacert, NULL) != 1 ||
		    SSL_CTX_load_verify_locations(c->off_ctx, cacert, NULL) != 1 ||
		    (est_user == NULL && (SSL_CTX_use_certificate_chain_file(c->off_ctx, ocert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(c->off_ctx, okey, SSL_FILETYPE_PEM) != 1))) {
			ERR_print_errors_fp(stderr);
			return 1;
		}
		SSL_CTX_set_verify(c->app_ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_verify(c->off_ctx, SSL_VERIFY_PEER, NULL);
		for (int e = 0; e < E__N; e++)
			c->lat[e] = calloc(per, sizeof(double));
		c->serials = calloc(per, sizeof(char *));
	}
	t0 = now();
	for (int i = 0; i < nclients; i++)
		pthread_create(&tids[i], NULL, est_user != NULL ? run_est : run, &cs[i]);
	for (int i = 0; i < nclients; i++)
		pthread_join(tids[i], NULL);
	wall = now() - t0;

	/* aggregate */
	double *all[E__N];
	size_t nall[E__N] = { 0 };
	char **serials = calloc(nbodies + 1, sizeof(char *));
	size_t ns = 0;

	for (int e = 0; e < E__N; e++)
		all[e] = calloc(nbodies + 1, sizeof(double));
	for (int i = 0; i < nclients; i++) {
		client *c = &cs[i];

		for (int e = 0; e < E__N; e++)
			for (size_t k = 0; k < c->nlat[e]; k++)
				all[e][nall[e]++] = c->lat[e][k];
		for (size_t k = 0; k < c->nserials; k++)
			serials[ns++] = c->serials[k];
		issued += c->issued;
		failed += c->failed;
		other += c->other;
		if (c->nerrors && !nerr)
			first_err = c->err;
		nerr += c->nerrors;
	}
	qsort(serials, ns, sizeof(char *), cmp_s);
	for (size_t k = 1; k < ns; k++)
		if (strcmp(serials[k], serials[k - 1]) == 0)
			dup++;
	printf("{\"n\": %zu, \"clients\": %d, \"wall\": %.4f, \"issued_per_s\": %.2f, "
	    "\"statuses\": {\"issued\": %zu, \"failed\": %zu, \"other\": %zu}, "
	    "\"duplicate_serials\": %zu, \"nerrors\": %zu, \"errors\": [\"%s\"], \"serials\": [",
	    nbodies, nclients, wall, wall > 0 ? (double)ns / wall : 0, issued, failed, other, dup,
	    nerr, first_err);
	for (size_t k = 0; k < ns; k++)
		printf("%s\"%s\"", k ? ", " : "", serials[k]);
	printf("], \"latency_ms\": {");
	for (int e = 0; e < E__N; e++) {
		qsort(all[e], nall[e], sizeof(double), cmp_d);
		printf("%s\"%s\": {\"p50\": %.3f, \"p99\": %.3f, \"n\": %zu}", e ? ", " : "",
		    ep_names[e], pct(all[e], nall[e], 50) * 1000, pct(all[e], nall[e], 99) * 1000,
		    nall[e]);
	}
	printf("}}\n");
	return nerr ? 1 : 0;
}
