/* ra/ra-http.c: ra-server's HTTP layer: bodies and limits, authentication, the authorisation check, rate limits, problems, metrics */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme.h"
#include "cmp.h"
#include "scep.h"
#include "est.h"
#include "ra_server.h"

const double ra_buckets[NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
};

#define PROBLEM_BASE "urn:govpki:problem:"

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ replies */

int
problem(hresp *rs, unsigned status, const char *slug, const char *title, const char *fmt, ...)
{
	char detail[1024], type[128];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(type, sizeof(type), PROBLEM_BASE "%s", slug);
	/* RFC 9457 §3.1: type, title, status, detail */
	j = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title, "status",
	    (int)status, "detail", detail);
	free(rs->body);
	rs->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	rs->len = rs->body ? strlen(rs->body) : 0;
	rs->status = status;
	rs->ctype = "application/problem+json";
	json_decref(j);
	return 0;
}

int
reply_json(hresp *rs, unsigned status, json_t *j)
{
	free(rs->body);
	rs->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (rs->body == NULL)
		return problem(rs, 500, "internal", "Internal error", "cannot encode the response");
	rs->len = strlen(rs->body);
	rs->status = status;
	rs->ctype = "application/json";
	return 0;
}

int
reply_gp(hresp *rs, int rc, const char *what)
{
	const char *m = ra_error_last();

	switch (rc) {
	case GP_E_NOTFOUND:
		return problem(rs, 404, "not-found", "Not found", "%s: %s", what, m);
	case GP_E_STATE:
		return problem(rs, 409, "state-conflict", "Conflict with the current state", "%s: %s", what, m);
	case GP_E_EXISTS:
		return problem(rs, 409, "already-done", "Already done", "%s: %s", what, m);
	case GP_E_POLICY:
		return problem(rs, 400, "policy-violation", "The request breaks its profile", "%s: %s", what, m);
	case GP_E_PARSE:
	case GP_E_VERIFY:
		return problem(rs, 400, "invalid-csr", "Invalid CSR or data", "%s: %s", what, m);
	case GP_E_INVALID:
		return problem(rs, 400, "invalid-request", "Invalid request", "%s: %s", what, m);
	case GP_E_BUSY:
		return problem(rs, 503, "busy", "Store busy", "%s: %s", what, m);
	default:
		return problem(rs, 500, "internal", "Internal error", "%s: %s", what, m);
	}
}

/* --------------------------------------------------------- JSON input */

/* Nesting depth of a JSON text, counted before Jansson sees it so that a
 * deeply nested body is refused without recursing into it. */
static int
json_depth(const char *s, size_t n, long max, size_t *at)
{
	int depth = 0, in_str = 0, esc = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > max) {
				*at = i;
				return depth;
			}
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 0;
}

static int
long_string(json_t *j, long max, const char **key)
{
	const char *k;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_STRING:
		return json_string_length(j) > (size_t)max;
	case JSON_OBJECT:
		json_object_foreach(j, k, v) {
			if (strlen(k) > (size_t)max || long_string(v, max, key)) {
				if (*key == NULL)
					*key = k;
				return 1;
			}
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			if (long_string(v, max, key))
				return 1;
		return 0;
	default:
		return 0;
	}
}

int
parse_body(hreq *rq, hresp *rs, json_t **out)
{
	json_error_t err;
	json_t *j;
	size_t at = 0;
	const char *key = NULL;

	*out = NULL;
	if (rq->body_len == 0) {
		problem(rs, 400, "missing-body", "A JSON body is required", "send a JSON object");
		return -1;
	}
	if (json_depth(rq->body, rq->body_len, ra_srv->set.max_depth, &at)) {
		problem(rs, 400, "too-deep", "JSON nested too deeply",
		    "nesting deeper than %ld at byte %zu", ra_srv->set.max_depth, at);
		return -1;
	}
	j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		problem(rs, 400, "malformed-json", "Malformed JSON",
		    "line %d, column %d (byte %d): %s", err.line, err.column, err.position, err.text);
		return -1;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		problem(rs, 400, "wrong-type", "Wrong type", "the body must be a JSON object");
		return -1;
	}
	if (long_string(j, ra_srv->set.max_string, &key)) {
		/* key points into j: report before freeing it */
		problem(rs, 400, "string-too-long", "String too long",
		    "a string (in '%.64s') is longer than %ld bytes", key ? key : "?",
		    ra_srv->set.max_string);
		json_decref(j);
		return -1;
	}
	*out = j;
	return 0;
}

static const char *
type_name(int t)
{
	switch (t) {
	case JSON_STRING: return "a string";
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_INTEGER: return "an integer";
	default: return "?";
	}
}

int
check_fields(hresp *rs, json_t *obj, const char *where, const jfield *f)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		const jfield *x;

		for (x = f; x->name != NULL && strcmp(x->name, k) != 0; x++)
			;
		if (x->name == NULL) {
			problem(rs, 400, "unknown-field", "Unknown field",
			    "%s has no field '%.64s'", where, k);
			return -1;
		}
		if ((int)json_typeof(v) != x->type) {
			problem(rs, 400, "wrong-type", "Wrong type", "%s.%s must be %s", where, k,
			    type_name(x->type));
			return -1;
		}
	}
	for (; f->name != NULL; f++) {
		if (f->required && json_object_get(obj, f->name) == NULL) {
			problem(rs, 400, "missing-field", "Missing field", "%s needs '%s'", where, f->name);
			return -1;
		}
	}
	return 0;
}

/* --------------------------------------------------------------- query */

const char *
query(hreq *rq, const char *key)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct qcheck {
	const char *const *allowed;
	const char *bad;
};

static enum MHD_Result
qcheck_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct qcheck *q = cls;

	for (const char *const *a = q->allowed; *a; a++)
		if (strcmp(*a, key) == 0)
			return MHD_YES;
	q->bad = key;
	return MHD_NO;
}

int
check_query(hreq *rq, hresp *rs, const char *const *allowed)
{
	struct qcheck q = { allowed, NULL };

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, qcheck_cb, &q);
	if (q.bad != NULL) {
		problem(rs, 400, "unknown-parameter", "Unknown query parameter",
		    "unknown query parameter '%.64s'", q.bad);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ workers */

static __thread worker *tl_worker;

static worker *
get_worker(void)
{
	size_t i;

	if (tl_worker != NULL)
		return tl_worker;
	i = __atomic_fetch_add(&ra_srv->next_worker, 1, __ATOMIC_SEQ_CST);
	if (i >= ra_srv->nworkers)
		return NULL;
	tl_worker = &ra_srv->workers[i];
	return tl_worker;
}

/* --------------------------------------------------------- rate limits */

/*
 * Token buckets, one per client, in a table indexed by a keyed hash of
 * the client's name (the key is random per process, so a client cannot
 * pick whom it collides with).  A slot holds no name: clients that
 * collide share one bucket, and a client never gets a full bucket by
 * pushing another out of its slot.
 *
 * Before authentication a client is its address (rq->client); the only
 * thing known of it that it cannot choose per request.  Every request
 * takes a token from its address; one that authenticates gives it back
 * and takes one from its verified principal instead ("token:ID",
 * "officer:NAME").  An unverified Authorization header names no bucket.
 */
static struct rate_slot *
rate_slot(const char *id)
{
	unsigned char buf[16 + 256], h[32];
	unsigned int hl = 0;
	size_t n = strlen(id);
	uint64_t key;

	if (n > sizeof(buf) - sizeof(ra_srv->rate_salt))
		n = sizeof(buf) - sizeof(ra_srv->rate_salt);
	memcpy(buf, ra_srv->rate_salt, sizeof(ra_srv->rate_salt));
	memcpy(buf + sizeof(ra_srv->rate_salt), id, n);
	EVP_Digest(buf, sizeof(ra_srv->rate_salt) + n, h, &hl, EVP_sha256(), NULL);
	memcpy(&key, h, sizeof(key));
	return &ra_srv->rates[key % ra_srv->nrates];
}

/* Refills s to now (under rate_mu); a slot never used starts full. */
static void
rate_refill(struct rate_slot *s, double t)
{
	double burst = (double)ra_srv->set.rate_burst;

	if (s->last == 0)
		s->tokens = burst;
	else
		s->tokens += (t - s->last) * (double)ra_srv->set.rate_limit;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last = t;
}

/* Takes a token from id's bucket: 1, or 0 with *retry in seconds. */
static int
rate_take(const char *id, double *retry)
{
	struct rate_slot *s;
	int ok;

	if (ra_srv->set.rate_limit <= 0)
		return 1;
	s = rate_slot(id);
	pthread_mutex_lock(&ra_srv->rate_mu);
	rate_refill(s, now_mono());
	ok = s->tokens >= 1.0;
	if (ok)
		s->tokens -= 1.0;
	else
		*retry = (1.0 - s->tokens) / (double)ra_srv->set.rate_limit;
	pthread_mutex_unlock(&ra_srv->rate_mu);
	return ok;
}

/* Gives back the token rate_take took from id. */
static void
rate_give(const char *id)
{
	struct rate_slot *s;

	if (ra_srv->set.rate_limit <= 0)
		return;
	s = rate_slot(id);
	pthread_mutex_lock(&ra_srv->rate_mu);
	rate_refill(s, now_mono());
	s->tokens += 1.0;
	if (s->tokens > (double)ra_srv->set.rate_burst)
		s->tokens = (double)ra_srv->set.rate_burst;
	pthread_mutex_unlock(&ra_srv->rate_mu);
}

static int
rate_limited(hresp *rs, double retry)
{
	__atomic_fetch_add(&ra_srv->limited, 1, __ATOMIC_RELAXED);
	return problem(rs, 429, "rate-limited", "Too many requests",
	    "more than %ld requests per second; retry in %.1f s", ra_srv->set.rate_limit, retry);
}

/* ------------------------------------------------------ authentication */

const gnutls_datum_t *
ra_peer_certs(struct MHD_Connection *conn, unsigned *n)
{
	const union MHD_ConnectionInfo *ci;

	*n = 0;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return NULL;
	return gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, n);
}

/* The client's address for the audit ("192.0.2.1", "2001:db8::1") and its
 * name for the limits: the address, an IPv6 client by its /64 (RFC 4291
 * §2.5.4: the prefix a site or a host gets, all of whose addresses it can
 * use at will). */
void
ra_client_addr(struct MHD_Connection *conn, char *addr, size_t alen, char *key, size_t klen)
{
	const union MHD_ConnectionInfo *ci;
	struct in6_addr a6;
	char net[INET6_ADDRSTRLEN];

	snprintf(addr, alen, "?");
	snprintf(key, klen, "a:?");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
		    (socklen_t)alen);
		snprintf(key, klen, "a:%s", addr);
	} else if (ci->client_addr->sa_family == AF_INET6) {
		a6 = ((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr;
		inet_ntop(AF_INET6, &a6, addr, (socklen_t)alen);
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			snprintf(key, klen, "a:%s", addr);
			return;
		}
		memset(a6.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a6, net, sizeof(net));
		snprintf(key, klen, "a:%s/64", net);
	}
}

/* ------------------------------------------------ audit of refused logins */

/*
 * A client's first refused login in an interval of refused_audit_seconds
 * is audited at once; the others of the interval are counted, and their
 * count and last reason go into one entry once the interval is over:
 * folded into the client's next audited refusal, or on its own at the
 * next sweep (ra_refusals_flush: once an interval, and at stop).  So a
 * client adds at most one audit entry per interval however fast it fails,
 * and no refusal goes uncounted.  Every refusal is counted in the metrics
 * (ra_auth_refused_total).  A client that takes the slot of another
 * first writes out what that one had counted.
 */

struct refusal {
	const char *who, *why;
};

static int
do_refusal(gp_ra *ra, void *arg)
{
	const struct refusal *f = arg;

	return gp_ra_audit_login_refused(ra, f->who, f->why);
}

static void
audit_write(const char *who, const char *why)
{
	struct refusal f = { who, why };

	if (ra_write_call(do_refusal, &f, 1) != 0)
		fprintf(stderr, "ra-server: cannot audit a refused login of %s: %s\n", who,
		    ra_error_last());
}

/* What slot s counted, as of t (under refusal_mu); who: its client. */
static void
refusal_summary(char *sum, size_t slen, char *who, size_t wlen, const struct refusal_slot *s,
    double t)
{
	snprintf(sum, slen, "%lu more refused logins from %s in the %.0f s after the one "
	    "audited (the last: %.200s)", s->more, s->client + 2, t - s->start, s->why);
	snprintf(who, wlen, "addr:%s", s->client + 2);
}

static void
audit_refusal(const char *client, const char *who, const char *why)
{
	struct refusal_slot *s;
	char text[600], sum[400] = "", swho[80];
	double t = now_mono();
	int first = 0, other = 0;

	__atomic_fetch_add(&ra_srv->refused, 1, __ATOMIC_RELAXED);
	s = &ra_srv->refusals[(size_t)(rate_slot(client) - ra_srv->rates) % ra_srv->nrefusals];
	pthread_mutex_lock(&ra_srv->refusal_mu);
	if (s->client[0] != '\0' && strcmp(s->client, client) == 0 &&
	    t - s->start < (double)ra_srv->set.refused_audit) {
		s->more++;
		snprintf(s->why, sizeof(s->why), "%s", why);
	} else {
		if (s->client[0] != '\0' && s->more > 0) {
			refusal_summary(sum, sizeof(sum), swho, sizeof(swho), s, t);
			other = strcmp(s->client, client) != 0;
		}
		snprintf(s->client, sizeof(s->client), "%s", client);
		s->start = t;
		s->more = 0;
		s->why[0] = '\0';
		first = 1;
	}
	pthread_mutex_unlock(&ra_srv->refusal_mu);
	if (other)
		audit_write(swho, sum);
	if (first) {
		if (sum[0] != '\0' && !other)
			snprintf(text, sizeof(text), "%.250s; earlier: %s", why, sum);
		else
			snprintf(text, sizeof(text), "%s", why);
		audit_write(who, text);
	}
}

void
ra_refusals_flush(int all)
{
	double t = now_mono();

	for (size_t i = 0; ra_srv->refusals != NULL && i < ra_srv->nrefusals; i++) {
		struct refusal_slot *s = &ra_srv->refusals[i];
		char sum[400], who[80];
		int w = 0;

		pthread_mutex_lock(&ra_srv->refusal_mu);
		if (s->client[0] != '\0' && (all || t - s->start >= (double)ra_srv->set.refused_audit)) {
			if (s->more > 0) {
				refusal_summary(sum, sizeof(sum), who, sizeof(who), s, t);
				w = 1;
			}
			s->client[0] = '\0';
			s->more = 0;
		}
		pthread_mutex_unlock(&ra_srv->refusal_mu);
		if (w)
			audit_write(who, sum);
	}
}

/* The sweep of ended intervals, by the first request after one ends. */
static void
refusals_sweep_due(void)
{
	long long now = (long long)now_mono();
	long long due = __atomic_load_n(&ra_srv->sweep_at, __ATOMIC_RELAXED);

	if (now < due || !__atomic_compare_exchange_n(&ra_srv->sweep_at, &due,
	    now + ra_srv->set.refused_audit, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	ra_refusals_flush(0);
}

/* Fills rq->who from a Bearer token or the TLS client certificate.
 * Returns 0, or -1 with a 401 in rs. */
static int
authenticate(worker *w, hreq *rq, hresp *rs)
{
	const char *auth = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization");
	const gnutls_datum_t *peers;
	unsigned n;
	char who[300], why[600];

	memset(&rq->who, 0, sizeof(rq->who));
	rq->who.role = ROLE_ANONYMOUS;
	if (auth != NULL) {
		gp_ra_token *t = NULL;

		if (strncasecmp(auth, "Bearer ", 7) != 0) {
			snprintf(who, sizeof(who), "addr:%s", rq->addr);
			audit_refusal(rq->client, who, "unsupported Authorization scheme");
			return problem(rs, 401, "unauthenticated", "Authentication failed",
			    "use 'Authorization: Bearer TOKEN'"), -1;
		}
		if (gp_ra_token_auth(w->ra, &t, auth + 7) != 0) {
			snprintf(why, sizeof(why), "%s", ra_error_last());
			snprintf(who, sizeof(who), "addr:%s", rq->addr);
			audit_refusal(rq->client, who, why);
			return problem(rs, 401, "invalid-token", "Authentication failed", "%s", why), -1;
		}
		if (strncmp(t->name, "est@", 4) == 0) {
			/* an EST enrolment secret (ra/est.c) is not an API token */
			snprintf(who, sizeof(who), "addr:%s", rq->addr);
			audit_refusal(rq->client, who, "an EST enrolment secret used as API token");
			gp_ra_token_free(t);
			return problem(rs, 401, "invalid-token", "Authentication failed",
			    "an EST enrolment secret is not an API token"), -1;
		}
		rq->who.role = ROLE_APPLICANT;
		rq->who.token = t;
		if (gp_ra_principal_token(&rq->who.p, t) != 0)
			return problem(rs, 500, "internal", "Internal error", "%s", ra_error_last()), -1;
		snprintf(rq->who.name, sizeof(rq->who.name), "%s", gp_ra_principal_name(rq->who.p));
		return 0;
	}
	peers = ra_peer_certs(rq->conn, &n);
	if (peers != NULL && n > 0) {
		STACK_OF(X509) *chain = sk_X509_new_null();
		X509 *leaf = NULL;
		gp_ra_officer *o = NULL;
		int r = -1;

		for (unsigned i = 0; i < n && i < 8 && chain != NULL; i++) {
			const unsigned char *p = peers[i].data;
			X509 *x;

			/* the same officer certificate on every request of a connection:
			 * parsed once per worker (OpenSSL 3.0 parses keys slowly); it is
			 * still verified (cached) and checked in the store each time */
			if (i == 0 && w->leaf != NULL && w->leaf_len == peers[0].size &&
			    memcmp(w->leaf_der, p, w->leaf_len) == 0 && X509_up_ref(w->leaf) == 1) {
				leaf = w->leaf;
				continue;
			}
			x = d2i_X509(NULL, &p, (long)peers[i].size);
			if (i == 0 && x != NULL && peers[0].size <= 16384) {
				unsigned char *der = malloc(peers[0].size);

				if (der != NULL && X509_up_ref(x) == 1) {
					memcpy(der, peers[0].data, peers[0].size);
					X509_free(w->leaf);
					free(w->leaf_der);
					w->leaf = x;
					w->leaf_der = der;
					w->leaf_len = peers[0].size;
				} else {
					free(der);
				}
			}

			if (x == NULL)
				break;
			if (i == 0)
				leaf = x;
			else
				sk_X509_push(chain, x);
		}
		if (leaf != NULL &&
		    gp_ra_officer_auth(w->ra, &o, ra_srv->set.officer_ca, leaf, chain) == 0 &&
		    gp_ra_principal_officer(&rq->who.p, o) == 0) {
			rq->who.role = o->role == GP_RA_ROLE_ADMIN ? ROLE_ADMIN :
			    o->role == GP_RA_ROLE_AUDITOR ? ROLE_AUDITOR : ROLE_OFFICER;
			snprintf(rq->who.officer, sizeof(rq->who.officer), "%s", o->name);
			snprintf(rq->who.name, sizeof(rq->who.name), "officer:%s", o->name);
			r = 0;
		} else {
			char *subj = NULL;

			snprintf(why, sizeof(why), "%s", leaf ? ra_error_last() : "unreadable client certificate");
			if (leaf != NULL)
				gp_name_to_string(&subj, X509_get_subject_name(leaf));
			snprintf(who, sizeof(who), "cert:%.200s", subj ? subj : "?");
			gp_free(subj);
			audit_refusal(rq->client, who, why);
			problem(rs, 401, "invalid-certificate", "Authentication failed", "%s", why);
		}
		gp_ra_officer_free(o);
		X509_free(leaf);
		sk_X509_pop_free(chain, X509_free);
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------ dispatch */

static int
is_json_ctype(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/*
 * A browser sends the officer's client certificate with any request to
 * this origin, also one that another site's page starts.  So what
 * changes state is refused when the browser says it comes from elsewhere
 * (Fetch Metadata's Sec-Fetch-Site, or an Origin that is not this one:
 * RFC 6454 §7) and when it carries a Content-Type a form can send, even
 * without a body (a form sends urlencoded, multipart or text/plain; only
 * a script can send application/json, and a cross-origin script needs a
 * CORS preflight, which this server never grants).  curl and other
 * clients send neither header.  0, or -1 with rs filled.
 */
static int
cross_site(hreq *rq, hresp *rs, const endpoint *ep)
{
	const char *sfs, *origin, *host, *ct;
	char self[300];

	if (strcmp(ep->method, "GET") == 0)
		return 0;
	sfs = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	if (sfs != NULL && strcmp(sfs, "same-origin") != 0 && strcmp(sfs, "none") != 0)
		return problem(rs, 403, "cross-site", "Cross-site request refused",
		    "%s %s from another site (Sec-Fetch-Site: %.32s)", ep->method, ep->path, sfs), -1;
	origin = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");
	host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (origin != NULL) {
		snprintf(self, sizeof(self), "%s://%.250s", ra_srv->set.plain_http ? "http" : "https",
		    host ? host : "");
		if (host == NULL || strcmp(origin, self) != 0)
			return problem(rs, 403, "cross-site", "Cross-site request refused",
			    "%s %s from origin %.128s", ep->method, ep->path, origin), -1;
	}
	ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL && !is_json_ctype(ct))
		return problem(rs, 415, "unsupported-media-type", "Unsupported media type",
		    "Content-Type must be application/json, not '%.64s'", ct), -1;
	return 0;
}

static void
handle(worker *w, hreq *rq, hresp *rs)
{
	char allow[64];
	int path_ok = 0;
	const endpoint *ep;
	double retry = 0;

	ra_error_reset();
	refusals_sweep_due();
	if (rq->scep_only && !scep_path(rq->url)) {
		problem(rs, 404, "not-found", "Not found", "only SCEP is served on this port "
		    "([scep] http_listen)");
		return;
	}
	if (acme_path(rq->url)) {
		/* RFC 8555: JWS-authenticated, its own errors (ra/acme.c) */
		acme_handle(w, rq, rs);
		return;
	}
	if (est_path(rq->url)) {
		/* RFC 7030: HTTP Basic or the client certificate, text errors (ra/est.c) */
		est_handle(w, rq, rs);
		return;
	}
	if (cmp_path(rq->url)) {
		/* RFC 6712: one PKIMessage per POST, CMP's own errors (ra/cmp.c) */
		cmp_handle(w, rq, rs);
		return;
	}
	if (console_path(rq->url)) {
		/* the officers' console: static files, no credentials (ra/ra-console.c) */
		console_handle(rq, rs);
		return;
	}
	if (scep_path(rq->url)) {
		/* RFC 8894: operation= in the query, CertReps with failInfo (ra/scep.c) */
		scep_handle(w, rq, rs);
		return;
	}
	rq->ep = ra_route(rq->method, rq->url, rq->param, sizeof(rq->param), &path_ok, allow,
	    sizeof(allow));
	if (rq->ep < 0) {
		if (path_ok) {
			rs->allow = strdup(allow);
			problem(rs, 405, "method-not-allowed", "Method not allowed",
			    "%s is not allowed here (allowed: %s)", rq->method, allow);
		} else {
			problem(rs, 404, "not-found", "Not found", "no endpoint %.200s", rq->url);
		}
		return;
	}
	ep = &ra_endpoints[rq->ep];
	if (rq->too_large) {
		problem(rs, 413, "body-too-large", "Body too large",
		    "the body is larger than %ld bytes", ra_srv->set.max_body);
		return;
	}
	/* before authentication the client is its address; once verified,
	 * its principal (rate_slot) */
	ra_client_addr(rq->conn, rq->addr, sizeof(rq->addr), rq->client, sizeof(rq->client));
	if (!rate_take(rq->client, &retry)) {
		rate_limited(rs, retry);
		return;
	}
	if (cross_site(rq, rs, ep) != 0)
		return;
	if (authenticate(w, rq, rs) != 0)
		return;
	if (rq->who.role != ROLE_ANONYMOUS) {
		rate_give(rq->client);
		if (!rate_take(rq->who.name, &retry)) {
			rate_limited(rs, retry);
			return;
		}
	}
	/* the authorisation table, and nothing else, says who may call what */
	if (!(ep->roles & (1u << rq->who.role))) {
		if (rq->who.role == ROLE_ANONYMOUS)
			problem(rs, 401, "unauthenticated", "Authentication required",
			    "%s %s needs an API token or an officer certificate", ep->method, ep->path);
		else
			problem(rs, 403, "forbidden", "Forbidden", "role %s may not call %s %s",
			    ra_role_names[rq->who.role], ep->method, ep->path);
		return;
	}
	if (rq->body_len > 0 || ep->body == 2) {
		const char *ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_TYPE);

		if (ep->body == 0) {
			problem(rs, 400, "unexpected-body", "Unexpected body", "%s %s takes no body",
			    ep->method, ep->path);
			return;
		}
		if (!is_json_ctype(ct)) {
			problem(rs, 415, "unsupported-media-type", "Unsupported media type",
			    "Content-Type must be application/json, not '%.64s'", ct ? ct : "(none)");
			return;
		}
	}
	ep->fn(w, rq, rs);
	if (rs->status == 0)
		problem(rs, 500, "internal", "Internal error", "no response");
}

static void
record(hreq *rq, unsigned status)
{
	double dt = now_mono() - rq->t0;
	size_t ep = rq->ep >= 0 ? (size_t)rq->ep : ra_nendpoints;

	if (status >= 100 && status < 600)
		__atomic_fetch_add(&ra_srv->hits[ep * 500 + (status - 100)], 1, __ATOMIC_RELAXED);
	for (int b = 0; b < NBUCKETS; b++)
		if (dt <= ra_buckets[b])
			__atomic_fetch_add(&ra_srv->lat_buckets[ep * (NBUCKETS + 1) + b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ra_srv->lat_buckets[ep * (NBUCKETS + 1) + NBUCKETS], 1, __ATOMIC_RELAXED);
	/* the sum is approximate under races: a double has no atomic add here */
	ra_srv->lat_sum[ep] += dt;
}

static enum MHD_Result
send_resp(hreq *rq, hresp *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char ra[32];

	r = MHD_create_response_from_buffer(rs->len, rs->body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(rs->body);
		free(rs->headers);
		free((char *)rs->allow);
		return MHD_NO;
	}
	rs->body = NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (rs->location[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rs->location);
	if (rs->allow) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
		free((char *)rs->allow);
	}
	if (rs->status == 429 && (rs->headers == NULL || strstr(rs->headers, "Retry-After:") == NULL)) {
		snprintf(ra, sizeof(ra), "%d", 1);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (rs->status == 401 && (rs->headers == NULL || strstr(rs->headers, "WWW-Authenticate:") == NULL))
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"govpki-ra\"");
	for (char *h = rs->headers, *nl, *colon; h != NULL && *h; h = nl + 1) {
		if ((nl = strchr(h, '\n')) == NULL || (colon = strchr(h, ':')) == NULL || colon > nl)
			break;
		*colon = *nl = '\0';
		MHD_add_response_header(r, h, colon + 2);
	}
	free(rs->headers);
	record(rq, rs->status);
	ret = daemon_queue(rq->conn, rs->status, r, rs->len);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
arg_len(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	*(size_t *)cls += strlen(key) + (value != NULL ? strlen(value) : 0) + 2;
	return MHD_YES;
}

/* A request that is refused before it is routed: 400 for what
 * daemon_request_check finds, 414 and 431 past RA_MAX_TARGET and
 * RA_MAX_HEADERS.  0 when it may go on. */
static int
early_refusal(hresp *rs, struct MHD_Connection *conn, const char *url, const char *version)
{
	const union MHD_ConnectionInfo *ci;
	const char *why;
	size_t target = strlen(url);

	if ((why = daemon_request_check(conn, url, version)) != NULL)
		return problem(rs, 400, "bad-request", "Bad request", "%s", why), -1;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, arg_len, &target);
	if (target > RA_MAX_TARGET)
		return problem(rs, 414, "uri-too-long", "Request target too long",
		    "the request target is longer than %d bytes", RA_MAX_TARGET), -1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci != NULL && ci->header_size > RA_MAX_HEADERS)
		return problem(rs, 431, "headers-too-large", "Request headers too large",
		    "the request header is larger than %d bytes", RA_MAX_HEADERS), -1;
	return 0;
}

enum MHD_Result
ra_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	hreq *rq = *con_cls;
	hresp rs;
	worker *w;

	if (rq == NULL) {
		const char *cl;

		/* a request started: not closed to make room; logged at its end */
		daemon_conn_busy(conn, method, url, version);
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->conn = conn;
		rq->method = method;
		rq->url = url;
		rq->ep = -1;
		rq->scep_only = cls != NULL;     /* the [scep] http_listen daemon's */
		rq->t0 = now_mono();
		*con_cls = rq;
		__atomic_fetch_add(&ra_srv->inflight, 1, __ATOMIC_SEQ_CST);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > (unsigned long long)ra_srv->set.max_body)
			rq->too_large = 1;
		/* answered now: libmicrohttpd then closes the connection */
		memset(&rs, 0, sizeof(rs));
		if (early_refusal(&rs, conn, url, version) != 0)
			return send_resp(rq, &rs);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* past the limit the rest is read and dropped, then 413 */
		if (!rq->too_large) {
			if (rq->body_len + *upload_size > (size_t)ra_srv->set.max_body) {
				rq->too_large = 1;
				free(rq->body);
				rq->body = NULL;
				rq->body_len = 0;
			} else {
				char *b = realloc(rq->body, rq->body_len + *upload_size + 1);

				if (b == NULL)
					return MHD_NO;
				memcpy(b + rq->body_len, upload, *upload_size);
				rq->body = b;
				rq->body_len += *upload_size;
				b[rq->body_len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&rs, 0, sizeof(rs));
	if ((w = get_worker()) == NULL)
		problem(&rs, 503, "unavailable", "Unavailable", "no worker context for this thread");
	else
		handle(w, rq, &rs);
	return send_resp(rq, &rs);
}

void
ra_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	hreq *rq = *con_cls;

	daemon_conn_idle(conn);
	if (rq == NULL)
		return;
	gp_ra_token_free(rq->who.token);
	gp_ra_principal_free(rq->who.p);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
	__atomic_fetch_sub(&ra_srv->inflight, 1, __ATOMIC_SEQ_CST);
}
