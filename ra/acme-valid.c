/* ra/acme-valid.c: ACME challenge validation off the request threads: a bounded pool, http-01 (RFC 8555 §8.3), dns-01 (§8.4) and tls-alpn-01 (RFC 8737) */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "acme_jws.h"

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	acme_job *head, *tail;
	size_t n;
	int stop;
	pthread_t *tids;
	size_t ntids;
	const acme_settings *set;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0, NULL, 0, NULL };

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Milliseconds left before deadline (at least 0). */
static int
left_ms(double deadline)
{
	double l = deadline - mono();

	return l <= 0 ? 0 : (int)(l * 1000) + 1;
}

/* Connects to host:port (a name or an address) before deadline. */
static int
connect_to(const char *host, long port, double deadline, char *err, size_t errlen)
{
	struct addrinfo hints, *ai = NULL, *a;
	char ps[16];
	int fd = -1, g;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%ld", port);
	if ((g = getaddrinfo(host, ps, &hints, &ai)) != 0) {
		snprintf(err, errlen, "cannot resolve %.200s: %s", host, gai_strerror(g));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		struct pollfd p;
		int so = 0;
		socklen_t sl = sizeof(so);

		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, left_ms(deadline)) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0)
				break;
			errno = so ? so : ETIMEDOUT;
		}
		snprintf(err, errlen, "cannot connect to %.200s port %ld: %s", host, port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* §8.3: GET http://{identifier}/.well-known/acme-challenge/{token} must
 * answer 200 with the key authorization (trailing white space ignored).
 * Redirects are not followed. */
static int
http01(const acme_settings *set, const acme_job *job, const char **type, char *err, size_t errlen)
{
	double deadline = mono() + (double)set->validation_timeout;
	char req[1024], hosthdr[300], buf[8192 + 1];
	size_t len = 0, off = 0, n;
	const char *target = set->validation_host ? set->validation_host : job->value;
	char *body, *end;
	int fd, r = -1, code;

	*type = "connection";
	if ((fd = connect_to(target, set->http01_port, deadline, err, errlen)) < 0)
		return -1;
	if (job->id_type == GP_ACME_ID_IP && strchr(job->value, ':') != NULL)
		snprintf(hosthdr, sizeof(hosthdr), "[%s]", job->value);
	else
		snprintf(hosthdr, sizeof(hosthdr), "%s", job->value);
	if (set->http01_port != 80) {
		size_t hl = strlen(hosthdr);

		snprintf(hosthdr + hl, sizeof(hosthdr) - hl, ":%ld", set->http01_port);
	}
	n = (size_t)snprintf(req, sizeof(req), "GET /.well-known/acme-challenge/%s HTTP/1.1\r\n"
	    "Host: %s\r\nUser-Agent: govpki-acme\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	    job->token, hosthdr);
	while (off < n) {
		struct pollfd p = { fd, POLLOUT, 0 };
		ssize_t w;

		if (poll(&p, 1, left_ms(deadline)) != 1) {
			snprintf(err, errlen, "timeout sending the request to %.200s", target);
			goto out;
		}
		if ((w = send(fd, req + off, n - off, MSG_NOSIGNAL)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(err, errlen, "sending to %.200s: %s", target, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t rd;

		if (len == sizeof(buf) - 1)
			break;           /* enough: a longer answer is wrong anyway */
		if (poll(&p, 1, left_ms(deadline)) != 1) {
			snprintf(err, errlen, "timeout reading the answer of %.200s", target);
			goto out;
		}
		if ((rd = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(err, errlen, "reading from %.200s: %s", target, strerror(errno));
			goto out;
		}
		if (rd == 0)
			break;
		len += (size_t)rd;
	}
	buf[len] = '\0';
	*type = "incorrectResponse";
	if (sscanf(buf, "HTTP/1.%*[01] %d", &code) != 1 || (body = strstr(buf, "\r\n\r\n")) == NULL) {
		snprintf(err, errlen, "%.200s did not answer HTTP", target);
		goto out;
	}
	if (code != 200) {
		*type = "unauthorized";
		snprintf(err, errlen, "%.200s answered HTTP %d for the challenge", hosthdr, code);
		goto out;
	}
	/* a chunked answer is not expected from an ACME client's responder;
	 * Content-Length or the end of the connection delimit the body */
	body += 4;
	end = body + strlen(body);
	while (end > body && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	*end = '\0';
	if (strcmp(body, job->keyauth) != 0) {
		*type = "unauthorized";
		snprintf(err, errlen, "the key authorization from %.200s is not the expected one "
		    "(got '%.80s')", hosthdr, body);
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

/* §8.4: a TXT record at _acme-challenge.{identifier} holds
 * base64url(SHA-256(key authorization)).  The resolver is [acme]
 * resolver, else the system's. */
static int
dns01(const acme_settings *set, const acme_job *job, const char **type, char *err, size_t errlen)
{
	struct __res_state rs;
	unsigned char ans[8192], h[32];
	char qname[300], *want = NULL;
	ns_msg msg;
	int n, r = -1, found = 0;

	*type = "dns";
	if (EVP_Digest(job->keyauth, strlen(job->keyauth), h, NULL, EVP_sha256(), NULL) != 1 ||
	    acme_b64u_encode(&want, h, sizeof(h)) != 0) {
		*type = "serverInternal";
		snprintf(err, errlen, "cannot hash the key authorization");
		return -1;
	}
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0) {
		snprintf(err, errlen, "cannot start the resolver");
		goto out;
	}
	rs.retrans = (int)set->validation_timeout;
	rs.retry = 1;
	if (set->resolver != NULL) {
		char host[64];
		const char *colon = strrchr(set->resolver, ':');
		long port = 53;
		struct sockaddr_in sa;

		snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - set->resolver) :
		    (int)strlen(set->resolver), set->resolver);
		if (colon != NULL)
			port = strtol(colon + 1, NULL, 10);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || port < 1 || port > 65535) {
			snprintf(err, errlen, "[acme] resolver '%.64s' is not IPv4:PORT", set->resolver);
			res_nclose(&rs);
			goto out;
		}
		rs.nsaddr_list[0] = sa;
		rs.nscount = 1;
	}
	snprintf(qname, sizeof(qname), "_acme-challenge.%s", job->value);
	n = res_nquery(&rs, qname, ns_c_in, ns_t_txt, ans, sizeof(ans));
	res_nclose(&rs);
	if (n < 0) {
		snprintf(err, errlen, "no TXT record for %.200s", qname);
		goto out;
	}
	if (ns_initparse(ans, n, &msg) != 0) {
		snprintf(err, errlen, "malformed DNS answer for %.200s", qname);
		goto out;
	}
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && !found; i++) {
		ns_rr rr;
		const unsigned char *d;
		size_t dl, k = 0;
		char txt[512];
		size_t tl = 0;

		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0 || ns_rr_type(rr) != ns_t_txt)
			continue;
		d = ns_rr_rdata(rr);
		dl = ns_rr_rdlen(rr);
		/* a TXT record is character-strings; they are joined */
		while (k < dl) {
			size_t sl = d[k++];

			if (k + sl > dl || tl + sl >= sizeof(txt))
				break;
			memcpy(txt + tl, d + k, sl);
			tl += sl;
			k += sl;
		}
		txt[tl] = '\0';
		found = strcmp(txt, want) == 0;
	}
	if (!found) {
		*type = "unauthorized";
		snprintf(err, errlen, "no TXT record at %.200s holds the expected digest", qname);
		goto out;
	}
	r = 0;
out:
	free(want);
	return r;
}

/* RFC 8737 §3, §6.1: id-pe-acmeIdentifier, and the ALPN protocol
 * "acme-tls/1" (a length byte, then the name: the wire form of
 * SSL_set_alpn_protos) */
#define ACME_ID_OID "1.3.6.1.5.5.7.1.31"
static const unsigned char acme_alpn[] = "\x0a" "acme-tls/1";

/* The SNI host name for an identifier: the name itself, or for an IP
 * address its reverse-mapping name (RFC 8738 §6: SNI carries no
 * addresses), "4.3.2.1.in-addr.arpa" or the 32 nibbles ".ip6.arpa". */
static int
sni_name(const acme_job *job, char *out, size_t outlen)
{
	unsigned char a[16];
	size_t o = 0;

	if (job->id_type != GP_ACME_ID_IP) {
		snprintf(out, outlen, "%s", job->value);
		return 0;
	}
	if (inet_pton(AF_INET, job->value, a) == 1) {
		snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, job->value, a) != 1 || outlen < 16 * 4 + sizeof("ip6.arpa"))
		return -1;
	for (int i = 15; i >= 0; i--)
		o += (size_t)snprintf(out + o, outlen - o, "%x.%x.", a[i] & 0xf, a[i] >> 4);
	snprintf(out + o, outlen - o, "ip6.arpa");
	return 0;
}

/* The reason of the last OpenSSL error of this thread, or what. */
static const char *
ossl_reason(const char *what)
{
	const char *s = ERR_reason_error_string(ERR_peek_last_error());

	return s != NULL ? s : what;
}

/* RFC 8737 §3: the validation certificate is self-signed, its
 * subjectAltName holds exactly the identifier (a dNSName, or for an IP
 * identifier an iPAddress, RFC 8738 §6), and it carries a critical
 * id-pe-acmeIdentifier extension whose value is the DER of an OCTET
 * STRING holding SHA-256(key authorization). */
static int
alpn_cert_check(X509 *x, const acme_job *job, char *err, size_t errlen)
{
	unsigned char h[32], want[2 + 32], ip[16];
	GENERAL_NAMES *san = NULL;
	const GENERAL_NAME *gn;
	ASN1_OBJECT *oid = NULL;
	const ASN1_OCTET_STRING *v;
	X509_EXTENSION *ext;                 /* borrowed from x */
	EVP_PKEY *pk;                        /* borrowed from x */
	int crit = 0, i, iplen = 0, r = -1;

	if (EVP_Digest(job->keyauth, strlen(job->keyauth), h, NULL, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "cannot hash the key authorization");
		goto out;
	}
	want[0] = V_ASN1_OCTET_STRING;
	want[1] = sizeof(h);
	memcpy(want + 2, h, sizeof(h));
	if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0 ||
	    (pk = X509_get0_pubkey(x)) == NULL || X509_verify(x, pk) != 1) {
		snprintf(err, errlen, "the certificate is not self-signed");
		goto out;
	}
	if ((san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL)) == NULL) {
		snprintf(err, errlen, crit == -1 ? "the certificate has no subjectAltName" :
		    "the certificate's subjectAltName is malformed or repeated");
		goto out;
	}
	if (sk_GENERAL_NAME_num(san) != 1) {
		snprintf(err, errlen, "the subjectAltName has %d names, not only %.200s",
		    sk_GENERAL_NAME_num(san), job->value);
		goto out;
	}
	gn = sk_GENERAL_NAME_value(san, 0);
	if (job->id_type == GP_ACME_ID_IP) {
		if (inet_pton(AF_INET, job->value, ip) == 1)
			iplen = 4;
		else if (inet_pton(AF_INET6, job->value, ip) == 1)
			iplen = 16;
		if (gn->type != GEN_IPADD || ASN1_STRING_length(gn->d.iPAddress) != iplen ||
		    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), ip, (size_t)iplen) != 0) {
			snprintf(err, errlen, "the subjectAltName is not the iPAddress %.200s", job->value);
			goto out;
		}
	} else if (gn->type != GEN_DNS ||
	    (size_t)ASN1_STRING_length(gn->d.dNSName) != strlen(job->value) ||
	    strncasecmp((const char *)ASN1_STRING_get0_data(gn->d.dNSName), job->value,
	    strlen(job->value)) != 0) {
		snprintf(err, errlen, "the subjectAltName is not the dNSName %.200s", job->value);
		goto out;
	}
	if ((oid = OBJ_txt2obj(ACME_ID_OID, 1)) == NULL) {
		snprintf(err, errlen, "cannot make the acmeIdentifier OID");
		goto out;
	}
	if ((i = X509_get_ext_by_OBJ(x, oid, -1)) < 0) {
		snprintf(err, errlen, "the certificate has no acmeIdentifier extension (%s)", ACME_ID_OID);
		goto out;
	}
	if (X509_get_ext_by_OBJ(x, oid, i) >= 0) {
		snprintf(err, errlen, "the certificate has two acmeIdentifier extensions");
		goto out;
	}
	ext = X509_get_ext(x, i);
	if (!X509_EXTENSION_get_critical(ext)) {
		snprintf(err, errlen, "the acmeIdentifier extension is not critical (RFC 8737 §3)");
		goto out;
	}
	v = X509_EXTENSION_get_data(ext);
	if (ASN1_STRING_length(v) != (int)sizeof(want) || ASN1_STRING_get0_data(v)[0] != want[0] ||
	    ASN1_STRING_get0_data(v)[1] != want[1]) {
		snprintf(err, errlen, "the acmeIdentifier extension is not an OCTET STRING of 32 bytes");
		goto out;
	}
	if (memcmp(ASN1_STRING_get0_data(v), want, sizeof(want)) != 0) {
		snprintf(err, errlen, "the acmeIdentifier extension is not the SHA-256 of the key authorization");
		goto out;
	}
	r = 0;
out:
	ASN1_OBJECT_free(oid);
	GENERAL_NAMES_free(san);
	return r;
}

/* RFC 8737 §3: a TLS handshake (1.2 or later, §4) with the identifier's
 * port 443 ([acme] tlsalpn01_port), SNI the identifier, offering only the
 * ALPN protocol acme-tls/1; the server must choose it and present the
 * validation certificate (alpn_cert_check).  The certificate is not
 * verified against any trust anchor: it is self-signed by design. */
static int
tlsalpn01(const acme_settings *set, const acme_job *job, const char **type, char *err, size_t errlen)
{
	double deadline = mono() + (double)set->validation_timeout;
	const char *target = set->validation_host ? set->validation_host : job->value;
	const unsigned char *proto = NULL;
	unsigned int plen = 0;
	char sni[300];
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *x;                             /* borrowed from ssl */
	int fd, rc, r = -1;

	*type = "serverInternal";
	if (sni_name(job, sni, sizeof(sni)) != 0) {
		snprintf(err, errlen, "'%.200s' is not an IP address", job->value);
		return -1;
	}
	*type = "connection";
	if ((fd = connect_to(target, set->tlsalpn01_port, deadline, err, errlen)) < 0)
		return -1;
	ERR_clear_error();
	*type = "serverInternal";
	/* SSL_set_alpn_protos returns 0 on success */
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, sni) != 1 ||
	    SSL_set_alpn_protos(ssl, acme_alpn, sizeof(acme_alpn) - 1) != 0) {
		snprintf(err, errlen, "cannot set up TLS: %s", ossl_reason("out of memory"));
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	*type = "tls";
	while ((rc = SSL_connect(ssl)) != 1) {
		struct pollfd p = { fd, 0, 0 };
		int e = SSL_get_error(ssl, rc);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			p.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			if ((rc = poll(&p, 1, left_ms(deadline))) == 1 || (rc < 0 && errno == EINTR))
				continue;
			snprintf(err, errlen, "timeout in the TLS handshake with %.200s port %ld",
			    target, set->tlsalpn01_port);
		} else if (e == SSL_ERROR_SSL) {
			snprintf(err, errlen, "TLS handshake with %.200s port %ld failed: %s", target,
			    set->tlsalpn01_port, ossl_reason("TLS error"));
		} else {
			snprintf(err, errlen, "%.200s port %ld closed the connection in the TLS handshake",
			    target, set->tlsalpn01_port);
		}
		goto out;
	}
	SSL_get0_alpn_selected(ssl, &proto, &plen);
	if (plen != sizeof(acme_alpn) - 2 || memcmp(proto, acme_alpn + 1, plen) != 0) {
		snprintf(err, errlen, "the TLS server did not negotiate the ALPN protocol acme-tls/1 "
		    "(RFC 8737 §3)");
		goto out;
	}
	*type = "unauthorized";
	if ((x = SSL_get0_peer_certificate(ssl)) == NULL) {
		snprintf(err, errlen, "the TLS server sent no certificate");
		goto out;
	}
	if (alpn_cert_check(x, job, err, errlen) != 0)
		goto out;
	r = 0;
out:
	if (ssl != NULL)
		(void)SSL_shutdown(ssl);   /* a courtesy close_notify: its answer is not awaited */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	close(fd);
	return r;
}

int
acme_validate(const acme_settings *set, const acme_job *job, const char **type, char *err,
    size_t errlen)
{
	switch (job->chall) {
	case GP_ACME_HTTP01:
		return http01(set, job, type, err, errlen);
	case GP_ACME_DNS01:
		return dns01(set, job, type, err, errlen);
	case GP_ACME_TLSALPN01:
		return tlsalpn01(set, job, type, err, errlen);
	default:
		*type = "serverInternal";
		snprintf(err, errlen, "this challenge type is not validated here");
		return -1;
	}
}

static void *
pool_main(void *arg)
{
	(void)arg;
	for (;;) {
		acme_job *j;
		const char *type = NULL;
		char err[600] = "";
		int ok;

		pthread_mutex_lock(&pool.mu);
		while (pool.head == NULL && !pool.stop)
			pthread_cond_wait(&pool.cv, &pool.mu);
		if (pool.head == NULL) {
			pthread_mutex_unlock(&pool.mu);
			return NULL;
		}
		j = pool.head;
		pool.head = j->next;
		if (pool.head == NULL)
			pool.tail = NULL;
		pool.n--;
		pthread_mutex_unlock(&pool.mu);
		ok = acme_validate(pool.set, j, &type, err, sizeof(err)) == 0;
		acme_valid_done(j, ok, type, err);
		free(j);
	}
}

int
acme_valid_start(const acme_settings *set)
{
	pool.set = set;
	pool.stop = 0;
	if ((pool.tids = calloc((size_t)set->validation_threads, sizeof(*pool.tids))) == NULL)
		return -1;
	for (long i = 0; i < set->validation_threads; i++) {
		if (pthread_create(&pool.tids[i], NULL, pool_main, NULL) != 0)
			return -1;
		pool.ntids++;
	}
	return 0;
}

/* The attempts still queued are dropped: their challenges stay
 * processing, and the client's polling ends with the order's expiry. */
void
acme_valid_stop(void)
{
	pthread_mutex_lock(&pool.mu);
	pool.stop = 1;
	while (pool.head != NULL) {
		acme_job *j = pool.head;

		pool.head = j->next;
		free(j);
	}
	pool.tail = NULL;
	pool.n = 0;
	pthread_cond_broadcast(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	for (size_t i = 0; i < pool.ntids; i++)
		pthread_join(pool.tids[i], NULL);
	free(pool.tids);
	pool.tids = NULL;
	pool.ntids = 0;
}

int
acme_valid_queue(const acme_job *job)
{
	acme_job *j = malloc(sizeof(*j));

	if (j == NULL)
		return -1;
	*j = *job;
	j->next = NULL;
	pthread_mutex_lock(&pool.mu);
	if (pool.stop || pool.n >= (size_t)pool.set->validation_queue) {
		pthread_mutex_unlock(&pool.mu);
		free(j);
		return -1;
	}
	if (pool.tail != NULL)
		pool.tail->next = j;
	else
		pool.head = j;
	pool.tail = j;
	pool.n++;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);
	return 0;
}
