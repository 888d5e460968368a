/* ra/acme.c: ra-server's ACME server (RFC 8555): directory, nonces, accounts, orders, authorizations, finalize, certificates, revocation */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "acme_jws.h"

/*
 * Every directory is /acme/{profile}/ for a profile with acme = yes.
 * Requests are JWS-signed POSTs (RFC 8555 §6.2), answered with JSON or
 * problem documents (§6.7) carrying a fresh Replay-Nonce.  Reads use the
 * worker's own connection; every write goes to ra-server's writer thread
 * (ra_write), in a savepoint of its group, so no answer leaves before its
 * commit.  Validations run on a pool of their own (acme-valid.c), whose
 * results come back through acme_valid_done.
 */

#define ACME_ERR "urn:ietf:params:acme:error:"

static acme_settings aset;
static int acme_running;
static char *chain_pem;          /* the issuing CA's chain (PEM), read at start */
static size_t chain_len;

static const char *const acme_keys[] = {
	"base_url", "http01_port", "tlsalpn01_port", "resolver", "validation_host",
	"validation_threads", "validation_timeout", "validation_queue", "order_ttl",
	"retry_after", "eab_required", "orders_per_hour", "accounts_per_hour", NULL
};

static const char *const chall_names[GP_ACME__NCHALL] = { "http-01", "dns-01", "tls-alpn-01" };

/* --------------------------------------------------------------- nonces */

/*
 * A nonce is a 64-bit counter and a 64-bit tag (HMAC-SHA256 of the
 * counter under a key drawn at start, cut), base64url.  It is good once,
 * while its counter is among the last NONCE_WINDOW issued: a bitmap of
 * that window says which were used (RFC 8555 §6.5).  A restart draws a
 * new key, so no earlier nonce is good.
 */
#define NONCE_WINDOW (1u << 20)

static struct {
	pthread_mutex_t mu;
	EVP_MAC_CTX *mac;            /* keyed template, duplicated per use */
	uint64_t next;
	unsigned char *used;         /* NONCE_WINDOW bits */
} nonces = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, NULL };

static int
nonce_tag(unsigned char tag[8], uint64_t c)
{
	unsigned char in[8], out[32];
	size_t ol = 0;
	EVP_MAC_CTX *m = EVP_MAC_CTX_dup(nonces.mac);
	int r = -1;

	for (int i = 0; i < 8; i++)
		in[i] = (unsigned char)(c >> (56 - 8 * i));
	if (m != NULL && EVP_MAC_init(m, NULL, 0, NULL) == 1 && EVP_MAC_update(m, in, 8) == 1 &&
	    EVP_MAC_final(m, out, &ol, sizeof(out)) == 1 && ol >= 8) {
		memcpy(tag, out, 8);
		r = 0;
	}
	EVP_MAC_CTX_free(m);
	return r;
}

static int
nonce_new(char out[32])
{
	unsigned char raw[16];
	uint64_t c;
	char *s = NULL;

	pthread_mutex_lock(&nonces.mu);
	c = nonces.next++;
	nonces.used[(c % NONCE_WINDOW) / 8] &= (unsigned char)~(1u << (c % 8));
	pthread_mutex_unlock(&nonces.mu);
	for (int i = 0; i < 8; i++)
		raw[i] = (unsigned char)(c >> (56 - 8 * i));
	if (nonce_tag(raw + 8, c) != 0 || acme_b64u_encode(&s, raw, sizeof(raw)) != 0)
		return -1;
	snprintf(out, 32, "%s", s);
	free(s);
	return 0;
}

/* 0 when nonce was issued by this process, is in the window and unused
 * (it is used now), -1 otherwise. */
static int
nonce_redeem(const char *nonce)
{
	unsigned char *raw = NULL, tag[8];
	size_t n = 0;
	uint64_t c = 0;
	int r = -1;

	if (nonce == NULL || strlen(nonce) != 22 || acme_b64u_decode(&raw, &n, nonce, 22) != 0 ||
	    n != 16)
		goto out;
	for (int i = 0; i < 8; i++)
		c = c << 8 | raw[i];
	if (nonce_tag(tag, c) != 0 || CRYPTO_memcmp(tag, raw + 8, 8) != 0)
		goto out;
	pthread_mutex_lock(&nonces.mu);
	if (c < nonces.next && nonces.next - c <= NONCE_WINDOW &&
	    !(nonces.used[(c % NONCE_WINDOW) / 8] & (1u << (c % 8)))) {
		nonces.used[(c % NONCE_WINDOW) / 8] |= (unsigned char)(1u << (c % 8));
		r = 0;
	}
	pthread_mutex_unlock(&nonces.mu);
out:
	free(raw);
	return r;
}

static int
nonce_init(void)
{
	unsigned char key[32], start[8];
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	int r = -1;

	if ((nonces.used = calloc(NONCE_WINDOW / 8, 1)) == NULL ||
	    RAND_bytes(key, sizeof(key)) != 1 || RAND_bytes(start, sizeof(start)) != 1 ||
	    (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (nonces.mac = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(nonces.mac, key, sizeof(key), params) != 1)
		goto out;
	/* a random start in [0, 2^62): nonces of an earlier run are not ours */
	for (int i = 0; i < 8; i++)
		nonces.next = nonces.next << 8 | start[i];
	nonces.next >>= 2;
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_MAC_free(mac);
	return r;
}

/* ------------------------------------------------------------ requests */

/* One ACME request being answered. */
typedef struct actx {
	worker *w;
	hreq *rq;
	hresp *rs;
	char profile[65];
	const gp_profile *prof;
	int officer;               /* acme_approval = officer */
	char base[256];            /* "https://host:port" */
	char dir[400];             /* base "/acme/" profile */
	char url[1024];            /* this request's URL */
	const char *rest;          /* the path after /acme/{profile}/ */
	acme_jws jws;
	gp_acme_account *acct;     /* the signer (kid), or NULL */
	EVP_PKEY *key;             /* the key that signed */
	char actor[64];            /* "acme:account:N" */
} actx;

/* Appends a header line to the response. */
static void
add_header(hresp *rs, const char *name, const char *fmt, ...)
{
	char v[1200];
	size_t old = rs->headers ? strlen(rs->headers) : 0, n;
	char *b;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	n = strlen(name) + 2 + strlen(v) + 1;
	if ((b = realloc(rs->headers, old + n + 1)) == NULL)
		return;
	snprintf(b + old, n + 1, "%s: %s\n", name, v);
	rs->headers = b;
}

/* A problem document of RFC 8555 §6.7 (type without its prefix), with
 * subproblems (taken; may be NULL) and, for badSignatureAlgorithm, the
 * algorithms accepted. */
static void
aproblem_sub(actx *c, unsigned status, const char *type, json_t *subs, const char *fmt, ...)
{
	char detail[1024], t[128];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(t, sizeof(t), ACME_ERR "%s", type);
	j = json_pack("{s:s, s:s, s:i}", "type", t, "detail", detail, "status", (int)status);
	if (j != NULL && subs != NULL)
		json_object_set(j, "subproblems", subs);
	if (j != NULL && strcmp(type, "badSignatureAlgorithm") == 0)
		json_object_set_new(j, "algorithms", json_pack("[s,s,s,s]", "ES256", "ES384", "RS256",
		    "EdDSA"));
	json_decref(subs);
	reply_json(c->rs, status, j);
	c->rs->ctype = "application/problem+json";
}

#define aproblem(c, status, type, ...) aproblem_sub(c, status, type, NULL, __VA_ARGS__)

static unsigned
type_status(const char *type)
{
	if (strcmp(type, "unauthorized") == 0 || strcmp(type, "orderNotReady") == 0)
		return 403;
	if (strcmp(type, "serverInternal") == 0)
		return 500;
	if (strcmp(type, "rateLimited") == 0)
		return 429;
	return 400;
}

static void
iso(char out[32], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

/* A store failure as a problem. */
static void
store_problem(actx *c, int r, const char *what)
{
	if (r == GP_E_BUSY)
		aproblem(c, 503, "serverInternal", "%s: the store is busy", what);
	else
		aproblem(c, 500, "serverInternal", "%s: %s", what, ra_error_last());
}

/*
 * Rate limits (docs/acme.md): at most limit rows counted by count_fn in
 * the hour before now.  Counted on the writer's connection just before the
 * insert, so requests racing each other cannot pass together, and a
 * refused request stores nothing.  GP_E_DENIED with *retry the seconds
 * until the earliest counted row leaves the hour.
 */
#define RATE_WINDOW 3600

static int
rate_check(int64_t n, int64_t first, long limit, int64_t now, int64_t *retry)
{
	if (limit <= 0 || n < limit)
		return 0;
	*retry = first + RATE_WINDOW - now;
	if (*retry < 1)
		*retry = 1;
	return GP_E_DENIED;
}

/* RFC 8555 §6.6: 429 rateLimited with Retry-After. */
static void
rate_problem(actx *c, int64_t retry, const char *fmt, long limit)
{
	add_header(c->rs, "Retry-After", "%lld", (long long)retry);
	aproblem(c, 429, "rateLimited", fmt, limit, (long long)retry);
}

/* ------------------------------------------------------ writer thread */

/* A write on the writer's connection, in a savepoint of its group. */
typedef int (*store_fn)(gp_ra *ra, gp_store *s, void *arg);

struct wt {
	store_fn fn;
	void *arg;
};

static int
wt_run(gp_ra *ra, void *arg)
{
	struct wt *t = arg;
	gp_store *s = gp_ctx_store(ra_srv->writer.ctx);
	int r, r2;

	if ((r = gp_store_ra_savepoint(s, GP_RA_SP_BEGIN)) != 0)
		return r;
	r = t->fn(ra, s, t->arg);
	r2 = gp_store_ra_savepoint(s, r == 0 ? GP_RA_SP_RELEASE : GP_RA_SP_UNDO);
	return r != 0 ? r : r2;
}

static int
write_store(store_fn fn, void *arg)
{
	struct wt t = { fn, arg };

	return ra_write_call(wt_run, &t, 1);
}

/* --------------------------------------------------------- identifiers */

/* A DNS identifier: LDH labels of 1-63, at most 253 bytes, at least two
 * labels, not all-numeric at the end; "*." in front only as the whole
 * leftmost label.  Lower-cased in place. */
static int
dns_ok(char *s, int *wildcard)
{
	size_t n = strlen(s), lab = 0;
	char *p = s;
	int dots = 0, alpha_last = 0;

	*wildcard = 0;
	if (n > 2 && s[0] == '*' && s[1] == '.') {
		*wildcard = 1;
		p = s + 2;
	}
	if (strlen(p) == 0 || strlen(p) > 253)
		return 0;
	for (char *q = p; *q; q++) {
		unsigned char ch = (unsigned char)*q;

		*q = (char)tolower(ch);
		if (ch == '.') {
			if (lab == 0 || q[-1] == '-')
				return 0;
			lab = 0;
			dots++;
			alpha_last = 0;
			continue;
		}
		if (!isalnum(ch) && ch != '-')
			return 0;
		if (lab == 0 && ch == '-')
			return 0;
		if (++lab > 63)
			return 0;
		if (isalpha(ch) || ch == '-')
			alpha_last = 1;
	}
	return lab > 0 && p[strlen(p) - 1] != '-' && dots >= 1 && alpha_last;
}

static json_t *
ids_json(const char *ids)
{
	json_t *a = json_array();
	char *copy = strdup(ids ? ids : ""), *save = NULL;

	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_pack("{s:s, s:s}", "type",
		    strncmp(t, "ip:", 3) == 0 ? "ip" : "dns", "value", strchr(t, ':') + 1));
	free(copy);
	return a;
}

/* ------------------------------------------------------------ objects */

static void
acct_url(char *out, size_t len, const actx *c, int64_t id)
{
	snprintf(out, len, "%s/acct/%lld", c->dir, (long long)id);
}

static json_t *
account_json(const gp_acme_account *a)
{
	json_t *j = json_pack("{s:s}", "status", gp_acme_status_name(a->status));
	json_t *ct = a->contact ? json_loads(a->contact, 0, NULL) : NULL;

	json_object_set_new(j, "contact", ct ? ct : json_array());
	if (a->eab_kid)
		json_object_set_new(j, "externalAccountBinding", json_pack("{s:s}", "kid", a->eab_kid));
	return j;
}

/* An order's status as seen now: a pending or ready order past its
 * expiry is invalid (RFC 8555 §7.1.6). */
static int
order_status(const gp_acme_order *o)
{
	if ((o->status == GP_ACME_PENDING || o->status == GP_ACME_READY) && now_s() >= o->expires)
		return GP_ACME_INVALID;
	return o->status;
}

static int
authz_status(const gp_acme_authz *z)
{
	if (z->status == GP_ACME_PENDING && now_s() >= z->expires)
		return GP_ACME_EXPIRED;
	return z->status;
}

static json_t *
order_json(actx *c, const gp_acme_order *o)
{
	char t[32], u[600];
	int64_t *ids = NULL;
	size_t n = 0;
	json_t *j, *az = json_array();
	int st = order_status(o);

	iso(t, o->expires);
	if (gp_store_acme_order_authzs(gp_ctx_store(c->w->ctx), o->id, &ids, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			snprintf(u, sizeof(u), "%s/authz/%lld", c->dir, (long long)ids[i]);
			json_array_append_new(az, json_string(u));
		}
	gp_free(ids);
	snprintf(u, sizeof(u), "%s/order/%lld/finalize", c->dir, (long long)o->id);
	j = json_pack("{s:s, s:s, s:o, s:o, s:s}", "status", gp_acme_status_name(st), "expires", t,
	    "identifiers", ids_json(o->identifiers), "authorizations", az, "finalize", u);
	if (st == GP_ACME_VALID) {
		snprintf(u, sizeof(u), "%s/cert/%lld", c->dir, (long long)o->id);
		json_object_set_new(j, "certificate", json_string(u));
	}
	if (st == GP_ACME_INVALID) {
		json_t *e = o->error ? json_loads(o->error, 0, NULL) : NULL;

		if (e == NULL)
			e = json_pack("{s:s, s:s, s:i}", "type", ACME_ERR "malformed", "detail",
			    now_s() >= o->expires ? "the order expired" : "the order failed", "status", 403);
		json_object_set_new(j, "error", e);
	}
	return j;
}

static json_t *
chall_json(actx *c, const gp_acme_authz *z, int type)
{
	char u[600], t[32];
	int st = GP_ACME_PENDING;
	json_t *j;

	if (z->chall == type)
		st = z->chall_status;
	snprintf(u, sizeof(u), "%s/chall/%lld/%s", c->dir, (long long)z->id, chall_names[type]);
	j = json_pack("{s:s, s:s, s:s, s:s}", "type", chall_names[type], "url", u, "token", z->token,
	    "status", gp_acme_status_name(st));
	if (st == GP_ACME_VALID && z->validated > 0) {
		iso(t, z->validated);
		json_object_set_new(j, "validated", json_string(t));
	}
	if (st == GP_ACME_INVALID && z->error != NULL) {
		json_t *e = json_loads(z->error, 0, NULL);

		if (e != NULL)
			json_object_set_new(j, "error", e);
	}
	return j;
}

/* The challenges an identifier gets: http-01 and tls-alpn-01 for IP
 * addresses (RFC 8738 §7: no dns-01), only dns-01 for a wildcard. */
static int
chall_offered(const gp_acme_authz *z, int type)
{
	if (z->wildcard)
		return type == GP_ACME_DNS01;
	if (z->id_type == GP_ACME_ID_IP)
		return type != GP_ACME_DNS01;
	return 1;
}

static json_t *
authz_json(actx *c, const gp_acme_authz *z)
{
	char t[32];
	json_t *j, *ch = json_array();

	iso(t, z->expires);
	for (int i = 0; i < GP_ACME__NCHALL; i++)
		if (chall_offered(z, i) && (authz_status(z) == GP_ACME_PENDING || z->chall == i))
			json_array_append_new(ch, chall_json(c, z, i));
	j = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "status",
	    gp_acme_status_name(authz_status(z)), "expires", t, "identifier", "type",
	    z->id_type == GP_ACME_ID_IP ? "ip" : "dns", "value", z->value, "challenges", ch);
	if (z->wildcard)
		json_object_set_new(j, "wildcard", json_true());
	return j;
}

/* --------------------------------------------------------------- JWS */

/* Parses and checks the request's JWS (RFC 8555 §6.2-6.5): its form, the
 * nonce, the url, the key (jwk where allow_jwk, else kid naming a valid
 * account) and the signature.  0, or -1 with the problem in c->rs. */
static int
check_jws(actx *c, int allow_jwk)
{
	char err[512], want[600];
	const char *t, *ct;
	int64_t id;
	char *end;
	int r;

	ct = MHD_lookup_connection_value(c->rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct == NULL || strncasecmp(ct, "application/jose+json", 21) != 0 ||
	    (ct[21] != '\0' && ct[21] != ';' && ct[21] != ' ')) {
		aproblem(c, 415, "malformed", "Content-Type must be application/jose+json, not '%.64s'",
		    ct ? ct : "(none)");
		return -1;
	}
	if (c->rq->body_len == 0) {
		aproblem(c, 400, "malformed", "a JWS body is required");
		return -1;
	}
	if ((t = acme_jws_parse(&c->jws, c->rq->body, c->rq->body_len, err, sizeof(err))) != NULL) {
		aproblem(c, type_status(t), t, "%s", err);
		return -1;
	}
	/* §6.4: the url header is this request's URL */
	if (strcmp(c->jws.url, c->url) != 0) {
		aproblem(c, 401, "unauthorized", "the JWS url '%.200s' is not this request's URL "
		    "'%.200s'", c->jws.url, c->url);
		c->rs->status = 403;
		return -1;
	}
	if (c->jws.jwk != NULL) {
		if (!allow_jwk) {
			aproblem(c, 400, "malformed", "this request must be signed with an account (kid), "
			    "not a jwk");
			return -1;
		}
		if ((t = acme_jwk_key(&c->key, c->jws.jwk, err, sizeof(err))) != NULL) {
			aproblem(c, type_status(t), t, "%s", err);
			return -1;
		}
	} else {
		snprintf(want, sizeof(want), "%s/acct/", c->dir);
		if (strncmp(c->jws.kid, want, strlen(want)) != 0 ||
		    !isdigit((unsigned char)c->jws.kid[strlen(want)]) ||
		    (errno = 0, id = strtoll(c->jws.kid + strlen(want), &end, 10), *end != '\0') ||
		    errno != 0 || id <= 0) {
			aproblem(c, 400, "accountDoesNotExist", "kid '%.200s' is not an account URL of "
			    "this directory", c->jws.kid);
			return -1;
		}
		if ((r = gp_store_acme_account_get(gp_ctx_store(c->w->ctx), id, NULL, &c->acct)) != 0) {
			if (r == GP_E_NOTFOUND)
				aproblem(c, 400, "accountDoesNotExist", "no account %lld", (long long)id);
			else
				store_problem(c, r, "reading the account");
			return -1;
		}
		{
			json_t *jwk = json_loads(c->acct->jwk, 0, NULL);

			t = jwk ? acme_jwk_key(&c->key, jwk, err, sizeof(err)) : "serverInternal";
			json_decref(jwk);
			if (t != NULL) {
				aproblem(c, 500, "serverInternal", "the account's key cannot be read");
				return -1;
			}
		}
		snprintf(c->actor, sizeof(c->actor), "acme:account:%lld", (long long)c->acct->id);
	}
	if ((t = acme_jws_verify(&c->jws, c->key, err, sizeof(err))) != NULL) {
		aproblem(c, type_status(t), t, "%s", err);
		return -1;
	}
	/* §6.5: the nonce, once, after the signature (a forged request does
	 * not use up the client's nonce) */
	if (nonce_redeem(c->jws.nonce) != 0) {
		aproblem(c, 400, "badNonce", "the nonce is missing, unknown, expired or used");
		return -1;
	}
	/* §7.3.6: nothing signed by a deactivated (or revoked) account is
	 * accepted any more */
	if (c->acct != NULL && c->acct->status != GP_ACME_VALID) {
		aproblem(c, 401, "unauthorized", "account %lld is %s", (long long)c->acct->id,
		    gp_acme_status_name(c->acct->status));
		return -1;
	}
	return 0;
}

/* A POST-as-GET (RFC 8555 §6.3) has an empty payload. */
static int
need_empty(actx *c)
{
	if (c->jws.payload_len != 0) {
		aproblem(c, 400, "malformed", "this resource takes POST-as-GET (an empty payload)");
		return -1;
	}
	return 0;
}

static int
need_payload(actx *c)
{
	if (c->jws.payload == NULL) {
		aproblem(c, 400, "malformed", "this request needs a JSON object payload");
		return -1;
	}
	return 0;
}

/* Payload members: only the names listed, each of its JSON type. */
static int
payload_fields(actx *c, json_t *obj, const char *const *names, const int *types)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		size_t i;

		for (i = 0; names[i] && strcmp(names[i], k) != 0; i++)
			;
		if (names[i] == NULL)
			continue;        /* RFC 8555 §7.1: unknown fields are ignored */
		if ((int)json_typeof(v) != types[i] &&
		    !(types[i] == JSON_TRUE && json_is_boolean(v))) {
			aproblem(c, 400, "malformed", "'%s' has the wrong JSON type", k);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ handlers */

static void
h_directory(actx *c)
{
	char u[5][600];
	json_t *j;

	snprintf(u[0], sizeof(u[0]), "%s/new-nonce", c->dir);
	snprintf(u[1], sizeof(u[1]), "%s/new-account", c->dir);
	snprintf(u[2], sizeof(u[2]), "%s/new-order", c->dir);
	snprintf(u[3], sizeof(u[3]), "%s/revoke-cert", c->dir);
	snprintf(u[4], sizeof(u[4]), "%s/key-change", c->dir);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:b, s:[s]}}", "newNonce", u[0], "newAccount",
	    u[1], "newOrder", u[2], "revokeCert", u[3], "keyChange", u[4], "meta",
	    "externalAccountRequired", aset.eab_required, "profiles", c->profile);
	reply_json(c->rs, 200, j);
}

static void
h_new_nonce(actx *c)
{
	/* RFC 8555 §7.2: 200 to HEAD, 204 to GET, the nonce in the header */
	free(c->rs->body);
	c->rs->body = NULL;
	c->rs->len = 0;
	c->rs->ctype = "text/plain";
	c->rs->status = strcmp(c->rq->method, "HEAD") == 0 ? 200 : 204;
}

struct acct_add {
	gp_acme_account a;
	const char *eab_kid;
	const char *actor_dir;
	int64_t retry;             /* out: rate limited, seconds to wait */
};

static int
do_account_add(gp_ra *ra, gp_store *s, void *arg)
{
	struct acct_add *x = arg;
	char obj[64], actor[64];
	int64_t n = 0, first = 0;
	int r;

	(void)ra;
	if (aset.accounts_per_hour > 0 &&
	    ((r = gp_store_acme_account_count(s, x->a.client, x->a.created - RATE_WINDOW + 1, &n,
	    &first)) != 0 ||
	    (r = rate_check(n, first, aset.accounts_per_hour, x->a.created, &x->retry)) != 0))
		return r;
	if ((r = gp_store_acme_account_add(s, &x->a)) != 0)
		return r;
	if (x->eab_kid != NULL && (r = gp_store_acme_eab_use(s, x->eab_kid, x->a.id)) != 0)
		return r;
	snprintf(obj, sizeof(obj), "acme-account:%lld", (long long)x->a.id);
	snprintf(actor, sizeof(actor), "acme:account:%lld", (long long)x->a.id);
	return gp_audit_append(s, actor, "acme.account.new", obj, x->actor_dir);
}

/* Contact URLs: mailto: only (RFC 8555 §7.3), one address each, no
 * hfields, at most 8. */
static int
check_contact(actx *c, json_t *ct)
{
	size_t i;
	json_t *v;

	if (json_array_size(ct) > 8) {
		aproblem(c, 400, "invalidContact", "at most 8 contact URLs");
		return -1;
	}
	json_array_foreach(ct, i, v) {
		const char *s = json_string_value(v), *at;

		if (s == NULL) {
			aproblem(c, 400, "invalidContact", "contact[%zu] is not a string", i);
			return -1;
		}
		if (strncasecmp(s, "mailto:", 7) != 0) {
			aproblem(c, 400, "unsupportedContact", "only mailto: contacts are supported, "
			    "not '%.64s'", s);
			return -1;
		}
		at = strchr(s + 7, '@');
		if (strlen(s) > 254 || at == NULL || at == s + 7 || at[1] == '\0' ||
		    strpbrk(s + 7, ",?&<> \t\r\n\"") != NULL || strchr(at + 1, '@') != NULL) {
			aproblem(c, 400, "invalidContact", "contact '%.64s' is not one mail address", s);
			return -1;
		}
	}
	return 0;
}

/* RFC 8555 §7.3.4: the binding is a JWS (HS256, kid: the EAB key id, url:
 * newAccount's URL) over the account's JWK, MAC'd with the key. */
static int
check_eab(actx *c, json_t *eab, const unsigned char thumb[32], char **kid_out)
{
	acme_jws inner;
	char err[512], *s = NULL;
	gp_acme_eab *e = NULL;
	unsigned char th[32];
	const char *t;
	int r = -1;

	*kid_out = NULL;
	s = json_dumps(eab, JSON_COMPACT);
	t = s ? acme_jws_parse(&inner, s, strlen(s), err, sizeof(err)) : "malformed";
	if (t != NULL) {
		aproblem(c, 400, "malformed", "externalAccountBinding: %s", s ? err : "unreadable");
		goto out;
	}
	if (inner.kid == NULL || inner.nonce != NULL || strcmp(inner.url, c->url) != 0 ||
	    strcmp(inner.alg, "HS256") != 0 || inner.payload == NULL) {
		aproblem(c, 400, "malformed", "externalAccountBinding must be HS256 with a kid, this "
		    "URL and no nonce, over the account key");
		goto out;
	}
	if (acme_jwk_thumbprint(NULL, th, inner.payload) != 0 || memcmp(th, thumb, 32) != 0) {
		aproblem(c, 400, "malformed", "externalAccountBinding does not sign the account key");
		goto out;
	}
	if ((r = gp_store_acme_eab_get(gp_ctx_store(c->w->ctx), inner.kid, &e)) != 0 ||
	    e->used_by != 0 || strcmp(e->profile, c->profile) != 0 ||
	    acme_jws_verify_hs256(&inner, e->key, sizeof(e->key)) != 0) {
		aproblem(c, 403, "unauthorized", "externalAccountBinding: key '%.64s' is unknown, used, "
		    "for another profile, or the MAC is wrong", inner.kid);
		r = -1;
		goto out;
	}
	if ((*kid_out = strdup(inner.kid)) == NULL) {
		aproblem(c, 500, "serverInternal", "out of memory");
		goto out;
	}
	r = 0;
out:
	gp_acme_eab_free(e);
	acme_jws_clear(&inner);
	free(s);
	return r;
}

static void
h_new_account(actx *c)
{
	static const char *const names[] = { "contact", "termsOfServiceAgreed", "onlyReturnExisting",
		"externalAccountBinding", NULL };
	static const int types[] = { JSON_ARRAY, JSON_TRUE, JSON_TRUE, JSON_OBJECT };
	struct acct_add x;
	gp_acme_account *old = NULL;
	unsigned char thumb[32];
	char *canon = NULL, *contact = NULL, *kid = NULL, u[600], dirnote[100];
	json_t *ct, *eab;
	int r;

	memset(&x, 0, sizeof(x));
	if (check_jws(c, 1) != 0 || need_payload(c) != 0 ||
	    payload_fields(c, c->jws.payload, names, types) != 0)
		goto out;
	if (c->jws.jwk == NULL) {
		aproblem(c, 400, "malformed", "newAccount is signed with a jwk, not a kid");
		goto out;
	}
	if (acme_jwk_thumbprint(&canon, thumb, c->jws.jwk) != 0) {
		aproblem(c, 400, "badPublicKey", "the JWK lacks its required members");
		goto out;
	}
	r = gp_store_acme_account_get(gp_ctx_store(c->w->ctx), 0, thumb, &old);
	if (r == 0 && old->status != GP_ACME_VALID) {
		/* §7.3.6: a deactivated account's key is refused, here too */
		aproblem(c, 401, "unauthorized", "account %lld is %s", (long long)old->id,
		    gp_acme_status_name(old->status));
		goto out;
	}
	if (r == 0) {
		/* §7.3.1: the existing account, 200 with its URL */
		acct_url(u, sizeof(u), c, old->id);
		add_header(c->rs, "Location", "%s", u);
		reply_json(c->rs, 200, account_json(old));
		goto out;
	}
	if (r != GP_E_NOTFOUND) {
		store_problem(c, r, "reading accounts");
		goto out;
	}
	if (json_is_true(json_object_get(c->jws.payload, "onlyReturnExisting"))) {
		aproblem(c, 400, "accountDoesNotExist", "no account has this key");
		goto out;
	}
	if ((ct = json_object_get(c->jws.payload, "contact")) != NULL) {
		if (check_contact(c, ct) != 0)
			goto out;
		contact = json_dumps(ct, JSON_COMPACT);
	}
	eab = json_object_get(c->jws.payload, "externalAccountBinding");
	if (eab == NULL && aset.eab_required) {
		aproblem(c, 400, "externalAccountRequired", "this server binds new accounts to an "
		    "external account key (ca-tool acme eab create)");
		goto out;
	}
	if (eab != NULL && check_eab(c, eab, thumb, &kid) != 0)
		goto out;
	x.a.profile = c->profile;
	memcpy(x.a.thumb, thumb, 32);
	x.a.jwk = canon;
	x.a.status = GP_ACME_VALID;
	x.a.contact = contact;
	x.a.eab_kid = kid;
	x.a.created = now_s();
	ra_client_addr(c->rq->conn, c->rq->addr, sizeof(c->rq->addr), c->rq->client,
	    sizeof(c->rq->client));
	x.a.client = c->rq->client + 2;   /* "a:" off */
	x.eab_kid = kid;
	snprintf(dirnote, sizeof(dirnote), "directory=%s%s%s", c->profile, kid ? " eab=" : "",
	    kid ? kid : "");
	x.actor_dir = dirnote;
	if ((r = write_store(do_account_add, &x)) != 0) {
		if (r == GP_E_DENIED && x.retry > 0)
			rate_problem(c, x.retry, "at most %ld new accounts an hour from one address; "
			    "retry in %lld s", aset.accounts_per_hour);
		else if (r == GP_E_EXISTS)
			aproblem(c, 409, "malformed", "an account with this key was just made; retry");
		else if (r == GP_E_STATE)
			aproblem(c, 403, "unauthorized", "the external account key is used already");
		else
			store_problem(c, r, "creating the account");
		goto out;
	}
	acct_url(u, sizeof(u), c, x.a.id);
	add_header(c->rs, "Location", "%s", u);
	reply_json(c->rs, 201, account_json(&x.a));
out:
	gp_acme_account_free(old);
	free(canon);
	free(contact);
	free(kid);
}

struct acct_upd {
	int64_t id;
	int to;
	const char *contact, *jwk, *actor;
	const unsigned char *thumb;
	const char *action;
};

static int
do_account_update(gp_ra *ra, gp_store *s, void *arg)
{
	struct acct_upd *x = arg;
	char obj[64], detail[96];
	int64_t na = 0, no = 0;
	int r;

	(void)ra;
	if ((r = gp_store_acme_account_update(s, x->id, GP_ACME_VALID, x->to, x->contact, x->jwk,
	    x->thumb)) != 0)
		return r;
	snprintf(obj, sizeof(obj), "acme-account:%lld", (long long)x->id);
	if (x->to != GP_ACME_DEACTIVATED)
		return gp_audit_append(s, x->actor, x->action, obj, NULL);
	/* §7.3.6: what the account had pending is cancelled with it */
	if ((r = gp_store_acme_account_cancel(s, x->id, &na, &no)) != 0)
		return r;
	snprintf(detail, sizeof(detail), "authorizations deactivated=%lld orders invalid=%lld",
	    (long long)na, (long long)no);
	return gp_audit_append(s, x->actor, x->action, obj, detail);
}

static void
h_account(actx *c, int64_t id)
{
	static const char *const names[] = { "contact", "status", NULL };
	static const int types[] = { JSON_ARRAY, JSON_STRING };
	struct acct_upd x;
	gp_acme_account *a = NULL;
	const char *st;
	char *contact = NULL, u[600];
	json_t *ct;
	int r;

	if (check_jws(c, 0) != 0)
		return;
	if (c->acct->id != id) {
		aproblem(c, 403, "unauthorized", "this is not your account");
		return;
	}
	acct_url(u, sizeof(u), c, id);
	add_header(c->rs, "Location", "%s", u);
	if (c->jws.payload == NULL || json_object_size(c->jws.payload) == 0) {
		reply_json(c->rs, 200, account_json(c->acct));
		return;
	}
	if (payload_fields(c, c->jws.payload, names, types) != 0)
		return;
	memset(&x, 0, sizeof(x));
	x.id = id;
	x.to = GP_ACME_VALID;
	x.actor = c->actor;
	x.action = "acme.account.update";
	if ((st = json_string_value(json_object_get(c->jws.payload, "status"))) != NULL) {
		/* §7.3.6: a client may only deactivate */
		if (strcmp(st, "deactivated") != 0) {
			aproblem(c, 400, "malformed", "status may only be set to deactivated");
			return;
		}
		x.to = GP_ACME_DEACTIVATED;
		x.action = "acme.account.deactivate";
	}
	if ((ct = json_object_get(c->jws.payload, "contact")) != NULL) {
		if (check_contact(c, ct) != 0)
			return;
		x.contact = contact = json_dumps(ct, JSON_COMPACT);
	}
	if ((r = write_store(do_account_update, &x)) != 0) {
		free(contact);
		if (r == GP_E_STATE)
			aproblem(c, 403, "unauthorized", "the account is no longer valid");
		else
			store_problem(c, r, "updating the account");
		return;
	}
	free(contact);
	if ((r = gp_store_acme_account_get(gp_ctx_store(c->w->ctx), id, NULL, &a)) != 0) {
		store_problem(c, r, "reading the account");
		return;
	}
	reply_json(c->rs, 200, account_json(a));
	gp_acme_account_free(a);
}

/* §7.3.5: the inner JWS, signed by the new key, names the account and
 * its old key. */
static void
h_key_change(actx *c)
{
	acme_jws in;
	EVP_PKEY *nk = NULL;
	gp_acme_account *other = NULL;
	unsigned char thumb[32], oldth[32];
	char err[512], *s = NULL, *canon = NULL, u[600];
	const char *t, *acct;
	struct acct_upd x;
	int r;

	memset(&in, 0, sizeof(in));
	if (check_jws(c, 0) != 0 || need_payload(c) != 0)
		return;
	s = json_dumps(c->jws.payload, JSON_COMPACT);
	if (s == NULL || (t = acme_jws_parse(&in, s, strlen(s), err, sizeof(err))) != NULL) {
		aproblem(c, 400, "malformed", "the inner JWS: %s", s ? err : "unreadable");
		goto out;
	}
	if (in.jwk == NULL || in.nonce != NULL || strcmp(in.url, c->jws.url) != 0) {
		aproblem(c, 400, "malformed", "the inner JWS needs a jwk, no nonce and the outer url");
		goto out;
	}
	if ((t = acme_jwk_key(&nk, in.jwk, err, sizeof(err))) != NULL ||
	    (t = acme_jws_verify(&in, nk, err, sizeof(err))) != NULL) {
		aproblem(c, type_status(t), t, "the inner JWS: %s", err);
		goto out;
	}
	acct = in.payload ? json_string_value(json_object_get(in.payload, "account")) : NULL;
	if (acct == NULL || strcmp(acct, c->jws.kid) != 0) {
		aproblem(c, 400, "malformed", "the inner payload's account is not the signer's");
		goto out;
	}
	if (acme_jwk_thumbprint(NULL, oldth, json_object_get(in.payload, "oldKey")) != 0 ||
	    memcmp(oldth, c->acct->thumb, 32) != 0) {
		aproblem(c, 400, "malformed", "the inner payload's oldKey is not the account's key");
		goto out;
	}
	if (acme_jwk_thumbprint(&canon, thumb, in.jwk) != 0) {
		aproblem(c, 400, "badPublicKey", "the new JWK lacks its required members");
		goto out;
	}
	/* the inner JWS is signed by the new key, not the account's own */
	if (memcmp(thumb, c->acct->thumb, 32) == 0) {
		aproblem(c, 400, "malformed", "the inner JWS is signed by the account's key, not a "
		    "new one");
		goto out;
	}
	if (gp_store_acme_account_get(gp_ctx_store(c->w->ctx), 0, thumb, &other) == 0) {
		acct_url(u, sizeof(u), c, other->id);
		add_header(c->rs, "Location", "%s", u);
		aproblem(c, 409, "malformed", "another account has that key already");
		goto out;
	}
	memset(&x, 0, sizeof(x));
	x.id = c->acct->id;
	x.to = GP_ACME_VALID;
	x.jwk = canon;
	x.thumb = thumb;
	x.actor = c->actor;
	x.action = "acme.account.keychange";
	if ((r = write_store(do_account_update, &x)) != 0) {
		if (r == GP_E_EXISTS)
			aproblem(c, 409, "malformed", "another account has that key already");
		else
			store_problem(c, r, "changing the key");
		goto out;
	}
	free(c->acct->jwk);
	c->acct->jwk = canon;
	canon = NULL;
	reply_json(c->rs, 200, account_json(c->acct));
out:
	gp_acme_account_free(other);
	EVP_PKEY_free(nk);
	acme_jws_clear(&in);
	free(s);
	free(canon);
}

struct order_add {
	gp_acme_order o;
	gp_acme_authz *z;
	size_t n;
	const char *actor;
	int64_t retry;             /* out: rate limited, seconds to wait */
};

static int
do_order_add(gp_ra *ra, gp_store *s, void *arg)
{
	struct order_add *x = arg;
	char obj[64];
	int64_t n = 0, first = 0;
	int r;

	(void)ra;
	if (aset.orders_per_hour > 0 &&
	    ((r = gp_store_acme_order_count(s, x->o.account, x->o.created - RATE_WINDOW + 1, &n,
	    &first)) != 0 ||
	    (r = rate_check(n, first, aset.orders_per_hour, x->o.created, &x->retry)) != 0))
		return r;
	if ((r = gp_store_acme_order_add(s, &x->o, x->z, x->n)) != 0)
		return r;
	snprintf(obj, sizeof(obj), "acme-order:%lld", (long long)x->o.id);
	return gp_audit_append(s, x->actor, "acme.order.new", obj, x->o.identifiers);
}

static int
token_new(char out[GP_ACME_TOKEN_LEN + 1])
{
	unsigned char b[32];
	char *s = NULL;

	if (RAND_bytes(b, sizeof(b)) != 1 || acme_b64u_encode(&s, b, sizeof(b)) != 0)
		return -1;
	snprintf(out, GP_ACME_TOKEN_LEN + 1, "%s", s);
	free(s);
	return 0;
}

static void
h_new_order(actx *c)
{
	static const char *const names[] = { "identifiers", "notBefore", "notAfter", NULL };
	static const int types[] = { JSON_ARRAY, JSON_STRING, JSON_STRING };
	struct order_add x;
	json_t *ids, *v, *subs = NULL;
	size_t i, n, len = 0;
	char *list = NULL, u[600];
	int r;

	memset(&x, 0, sizeof(x));
	if (check_jws(c, 0) != 0 || need_payload(c) != 0 ||
	    payload_fields(c, c->jws.payload, names, types) != 0)
		return;
	if (json_object_get(c->jws.payload, "notBefore") || json_object_get(c->jws.payload, "notAfter")) {
		aproblem(c, 400, "malformed", "notBefore and notAfter are not supported: the profile "
		    "sets the validity");
		return;
	}
	ids = json_object_get(c->jws.payload, "identifiers");
	n = json_array_size(ids);
	if (n == 0) {
		aproblem(c, 400, "malformed", "an order needs identifiers");
		return;
	}
	if (n > GP_ACME_MAX_IDS) {
		aproblem(c, 400, "rejectedIdentifier", "at most %d identifiers in an order, not %zu",
		    GP_ACME_MAX_IDS, n);
		return;
	}
	if ((x.z = calloc(n, sizeof(*x.z))) == NULL || (list = calloc(n, 272)) == NULL) {
		aproblem(c, 500, "serverInternal", "out of memory");
		goto out;
	}
	subs = json_array();
	json_array_foreach(ids, i, v) {
		const char *type = json_string_value(json_object_get(v, "type"));
		const char *val = json_string_value(json_object_get(v, "value"));
		char buf[256], entry[272];
		int wild = 0, dup = 0, t;

		if (!json_is_object(v) || type == NULL || val == NULL || strlen(val) >= sizeof(buf)) {
			aproblem(c, 400, "malformed", "identifiers[%zu] needs a type and a value "
			    "(at most 255 bytes)", i);
			goto out;
		}
		snprintf(buf, sizeof(buf), "%s", val);
		if (strcmp(type, "dns") == 0) {
			t = GP_ACME_ID_DNS;
			if (!dns_ok(buf, &wild)) {
				json_array_append_new(subs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type",
				    ACME_ERR "rejectedIdentifier", "detail", "not a valid DNS name",
				    "identifier", "type", type, "value", val));
				continue;
			}
		} else if (strcmp(type, "ip") == 0) {
			t = GP_ACME_ID_IP;
			if (!gp_acme_ip_canon(buf, sizeof(buf), val)) {
				json_array_append_new(subs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type",
				    ACME_ERR "malformed", "detail", "not an IPv4 or IPv6 address",
				    "identifier", "type", type, "value", val));
				continue;
			}
		} else {
			aproblem(c, 400, "unsupportedIdentifier", "identifier type '%.16s' is not "
			    "supported (dns, ip)", type);
			goto out;
		}
		/* §7.4: what the profile cannot issue is refused now, not at finalize */
		if (!gp_profile_san_allowed(c->prof, t == GP_ACME_ID_DNS ? GEN_DNS : GEN_IPADD)) {
			json_array_append_new(subs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type",
			    ACME_ERR "rejectedIdentifier", "detail", "the profile does not allow this "
			    "identifier type", "identifier", "type", type, "value", val));
			continue;
		}
		/* the profile's name rules (allowed_dns, allowed_ip): a wildcard
		 * is checked as the name it stands for below */
		if (gp_profile_name_allowed(c->prof, t == GP_ACME_ID_DNS ? GEN_DNS : GEN_IPADD,
		    buf) != 0) {
			json_array_append_new(subs, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type",
			    ACME_ERR "rejectedIdentifier", "detail", gp_error_last(),
			    "identifier", "type", type, "value", val));
			continue;
		}
		snprintf(entry, sizeof(entry), "%s:%s", t == GP_ACME_ID_DNS ? "dns" : "ip", buf);
		for (size_t k = 0; k < x.n && !dup; k++)
			dup = x.z[k].id_type == t && x.z[k].wildcard == wild &&
			    strcmp(x.z[k].value, wild ? buf + 2 : buf) == 0;
		if (dup)
			continue;
		x.z[x.n].id_type = t;
		x.z[x.n].wildcard = wild;
		x.z[x.n].value = strdup(wild ? buf + 2 : buf);
		x.z[x.n].status = GP_ACME_PENDING;
		x.z[x.n].chall = -1;
		if (x.z[x.n].value == NULL || token_new(x.z[x.n].token) != 0) {
			aproblem(c, 500, "serverInternal", "out of memory");
			goto out;
		}
		if (x.n > 0)
			strcat(list, ",");
		strcat(list, entry);
		len += strlen(entry) + 1;
		x.n++;
	}
	if (json_array_size(subs) > 0) {
		aproblem_sub(c, 400, "rejectedIdentifier", subs, "%zu identifier(s) cannot be issued "
		    "in profile %s", json_array_size(subs), c->profile);
		subs = NULL;
		goto out;
	}
	x.o.account = c->acct->id;
	x.o.profile = c->profile;
	x.o.status = GP_ACME_PENDING;
	x.o.created = now_s();
	x.o.expires = x.o.created + aset.order_ttl;
	x.o.identifiers = list;
	for (i = 0; i < x.n; i++)
		x.z[i].expires = x.o.expires;
	x.actor = c->actor;
	if ((r = write_store(do_order_add, &x)) != 0) {
		if (r == GP_E_DENIED && x.retry > 0)
			rate_problem(c, x.retry, "at most %ld new orders an hour per account; retry in "
			    "%lld s", aset.orders_per_hour);
		else
			store_problem(c, r, "creating the order");
		goto out;
	}
	snprintf(u, sizeof(u), "%s/order/%lld", c->dir, (long long)x.o.id);
	add_header(c->rs, "Location", "%s", u);
	reply_json(c->rs, 201, order_json(c, &x.o));
	x.o.identifiers = NULL;
	x.o.profile = NULL;
out:
	json_decref(subs);
	for (i = 0; x.z != NULL && i < n; i++)
		free(x.z[i].value);
	free(x.z);
	free(list);
}

/* Reads order id of the signer: 0, or -1 with a problem. */
static int
get_order(actx *c, int64_t id, gp_acme_order **o)
{
	int r = gp_store_acme_order_get(gp_ctx_store(c->w->ctx), id, o);

	if (r == GP_E_NOTFOUND) {
		aproblem(c, 404, "malformed", "no order %lld", (long long)id);
		return -1;
	}
	if (r == 0 && (*o)->account != c->acct->id) {
		/* another account's: RFC 8555 6.7 unauthorized */
		gp_acme_order_free(*o);
		*o = NULL;
		aproblem(c, 403, "unauthorized", "order %lld is not this account's", (long long)id);
		return -1;
	}
	if (r != 0) {
		store_problem(c, r, "reading the order");
		return -1;
	}
	return 0;
}

struct order_set {
	int64_t id;
	int from, to;
	const char *error;
	const unsigned char *serial;
	size_t serial_len;
	int64_t ra_request;
	gp_issue_prep *prep;       /* issue it first */
	const gp_ra_submission *sub;  /* or submit it to the officers first */
	const char *actor;
};

static int
do_order_set(gp_ra *ra, gp_store *s, void *arg)
{
	struct order_set *x = arg;
	unsigned char sn[GP_SERIAL_MAX];
	size_t snlen = 0;
	gp_ra_request *req = NULL;
	char obj[64];
	int r;

	if (x->prep != NULL) {
		if ((r = gp_ca_issue_store(ra_srv->writer.ca, x->prep)) != 0)
			return r;
		if ((r = gp_serial_from_asn1(sn, &snlen,
		    X509_get0_serialNumber(gp_issue_prep_cert0(x->prep)))) != 0)
			return r;
		x->serial = sn;
		x->serial_len = snlen;
	}
	if (x->sub != NULL) {
		if ((r = gp_ra_submit_store(ra, &req, x->sub)) != 0)
			return r;
		x->ra_request = req->id;
		gp_ra_request_free(req);
	}
	if ((r = gp_store_acme_order_set(s, x->id, x->from, x->to, x->error, x->serial,
	    x->serial_len, x->ra_request)) != 0)
		return r;
	snprintf(obj, sizeof(obj), "acme-order:%lld", (long long)x->id);
	return gp_audit_append(s, x->actor, "acme.order.status", obj, gp_acme_status_name(x->to));
}

/* An order waiting for the officers follows its RA request: issued ->
 * valid with the request's serial, rejected or failed -> invalid. */
static void
follow_request(actx *c, gp_acme_order *o)
{
	gp_ra_request *q = NULL;
	struct order_set x;
	char *err = NULL;

	if (o->status != GP_ACME_PROCESSING || o->ra_request <= 0 ||
	    gp_ra_request_get(c->w->ra, o->ra_request, &q) != 0)
		return;
	memset(&x, 0, sizeof(x));
	x.id = o->id;
	x.from = GP_ACME_PROCESSING;
	x.actor = "acme";
	if (q->status == GP_RA_ISSUED && q->serial_len > 0) {
		x.to = GP_ACME_VALID;
		x.serial = q->serial;
		x.serial_len = q->serial_len;
	} else if (q->status == GP_RA_REJECTED || q->status == GP_RA_FAILED) {
		json_t *e = json_pack("{s:s, s:s, s:i}", "type", ACME_ERR "unauthorized", "detail",
		    q->reason ? q->reason : "refused by the officers", "status", 403);

		err = e ? json_dumps(e, JSON_COMPACT) : NULL;
		json_decref(e);
		x.to = GP_ACME_INVALID;
		x.error = err;
	} else {
		gp_ra_request_free(q);
		return;
	}
	if (write_store(do_order_set, &x) == 0) {
		o->status = x.to;
		if (x.serial_len > 0) {
			memcpy(o->serial, x.serial, x.serial_len);
			o->serial_len = x.serial_len;
		}
		if (err != NULL) {
			free(o->error);
			o->error = err;
			err = NULL;
		}
	}
	free(err);
	gp_ra_request_free(q);
}

static void
order_reply(actx *c, gp_acme_order *o, unsigned status)
{
	char u[600];

	snprintf(u, sizeof(u), "%s/order/%lld", c->dir, (long long)o->id);
	add_header(c->rs, "Location", "%s", u);
	/* §7.4: a client polls a processing order after Retry-After */
	if (order_status(o) == GP_ACME_PROCESSING)
		add_header(c->rs, "Retry-After", "%ld", aset.retry_after);
	reply_json(c->rs, status, order_json(c, o));
}

static void
h_order(actx *c, int64_t id)
{
	gp_acme_order *o = NULL;

	if (check_jws(c, 0) != 0 || need_empty(c) != 0 || get_order(c, id, &o) != 0)
		return;
	follow_request(c, o);
	order_reply(c, o, 200);
	gp_acme_order_free(o);
}

/* The names a CSR asks for (SANs, and its CN), as "dns:x" / "ip:y" in
 * a comma-separated list of sorted entries; -1 for a CSR naming something
 * else. */
/* The order's identifiers as the RA's SAN list ("DNS:a,IP:b") and as a
 * sorted "dns:a,ip:b" list comparable with gp_acme_csr_names (wildcards kept). */
static int
order_names(char **sans, char **sorted, const gp_acme_order *o)
{
	size_t n = strlen(o->identifiers);

	*sans = malloc(n + 1);
	*sorted = strdup(o->identifiers);
	if (*sans == NULL || *sorted == NULL)
		return -1;
	(*sans)[0] = '\0';
	{
		char *copy = strdup(o->identifiers), *save = NULL;

		if (copy == NULL)
			return -1;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if ((*sans)[0])
				strcat(*sans, ",");
			strcat(*sans, strncmp(t, "ip:", 3) == 0 ? "IP:" : "DNS:");
			strcat(*sans, strchr(t, ':') + 1);
		}
		free(copy);
	}
	gp_acme_names_sort(*sorted);
	return 0;
}

/* The subject we put in an ACME certificate: CN = the first DNS
 * identifier that fits (RFC 5280 ub-common-name 64), else the first IP
 * address; the CSR's subject is not vetted by ACME and so not used. */
static void
order_subject(char *out, size_t len, const gp_acme_order *o)
{
	const char *p = o->identifiers;

	out[0] = '\0';
	for (int pass = 0; pass < 2 && out[0] == '\0'; pass++) {
		const char *want = pass == 0 ? "dns:" : "ip:";

		for (p = o->identifiers; p && *p; ) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p), wl = strlen(want);

			if (strncmp(p, want, wl) == 0 && n - wl <= 64) {
				snprintf(out, len, "/CN=%.*s", (int)(n - wl), p + wl);
				break;
			}
			p = e ? e + 1 : NULL;
		}
	}
}

/*
 * Finalize (acme_approval = auto) with ca-signer ([signer] socket): the
 * request is stored with the order processing, and the signer, which
 * reads the order and its authorizations from the store itself (RFC 8555
 * §7.4), issues it and marks the order valid.  A signer that cannot be
 * reached: 503 serverInternal with Retry-After (§6.7; RFC 9110 §10.2.3)
 * and nothing stored, the order still ready.  A refusal leaves the order
 * invalid (it follows its failed request).
 */
static void
finalize_by_signer(actx *c, gp_acme_order *o, const gp_ra_submission *sub)
{
	gp_acme_order *now = NULL;
	X509 *x = NULL;
	int64_t rid = 0;
	int r;

	r = ra_issue_auto(&x, &rid, sub, GP_RA_AUTO_ACME, o->id);
	X509_free(x);
	if (r == GP_E_IO || r == GP_E_BUSY) {
		add_header(c->rs, "Retry-After", "%ld", aset.retry_after);
		aproblem(c, 503, "serverInternal", "cannot issue now: %s", ra_error_last());
		return;
	}
	if (r != 0 && rid == 0) {
		if (r == GP_E_STATE)
			aproblem(c, 403, "orderNotReady", "order %lld changed meanwhile", (long long)o->id);
		else
			store_problem(c, r, "finalizing the order");
		return;
	}
	if (r != 0) {
		/* the signer refused: the order follows its failed request */
		if (gp_store_acme_order_get(gp_ctx_store(c->w->ctx), o->id, &now) == 0)
			follow_request(c, now);
		gp_acme_order_free(now);
		aproblem(c, r == GP_E_POLICY || r == GP_E_DENIED ? 403 : 500,
		    r == GP_E_POLICY || r == GP_E_DENIED ? "unauthorized" : "serverInternal", "%s",
		    ra_error_last());
		return;
	}
	__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	if ((r = gp_store_acme_order_get(gp_ctx_store(c->w->ctx), o->id, &now)) != 0) {
		store_problem(c, r, "reading the order");
		return;
	}
	order_reply(c, now, 200);
	gp_acme_order_free(now);
}

static void
h_finalize(actx *c, int64_t id)
{
	gp_acme_order *o = NULL;
	unsigned char *der = NULL;
	size_t derlen = 0;
	X509_REQ *req = NULL;
	char *names = NULL, *sans = NULL, *want = NULL, err[512], subj[80];
	const char *csr;
	gp_issue_prep *prep = NULL;
	gp_issue_req ir;
	gp_ra_submission sub;
	struct order_set x;
	int r;

	if (check_jws(c, 0) != 0 || need_payload(c) != 0 || get_order(c, id, &o) != 0)
		goto out;
	/* §7.4: finalize only a ready order */
	if (order_status(o) != GP_ACME_READY) {
		aproblem(c, 403, "orderNotReady", "order %lld is %s, not ready", (long long)id,
		    gp_acme_status_name(order_status(o)));
		goto out;
	}
	csr = json_string_value(json_object_get(c->jws.payload, "csr"));
	if (csr == NULL || acme_b64u_decode(&der, &derlen, csr, strlen(csr)) != 0 || derlen == 0 ||
	    derlen > GP_RA_MAX_CSR) {
		aproblem(c, 400, "malformed", "csr must be the base64url DER of a CSR");
		goto out;
	}
	if (gp_req_parse(&req, der, derlen) != 0) {
		aproblem(c, 400, "badCSR", "the CSR cannot be parsed: %s", gp_error_last());
		goto out;
	}
	if (gp_acme_csr_names(&names, req, err, sizeof(err)) != 0) {
		aproblem(c, 400, "badCSR", "%s", err);
		goto out;
	}
	if (order_names(&sans, &want, o) != 0) {
		aproblem(c, 500, "serverInternal", "out of memory");
		goto out;
	}
	if (strcmp(names, want) != 0) {
		aproblem(c, 400, "badCSR", "the CSR names %.300s, the order %.300s", names, want);
		goto out;
	}
	order_subject(subj, sizeof(subj), o);
	memset(&x, 0, sizeof(x));
	x.id = o->id;
	x.from = GP_ACME_READY;
	x.actor = c->actor;
	if (!c->officer && gp_ctx_signer0(c->w->ctx) == NULL) {
		/* issued now: the same signing and storing as an approved RA
		 * request, with the names the order validated */
		ir = (gp_issue_req)GP_ISSUE_REQ_INIT;
		ir.csr = der;
		ir.csr_len = derlen;
		ir.profile = c->profile;
		ir.subject = subj;
		ir.sans = sans;
		ir.actor = c->actor;
		if ((r = gp_ca_issue_prepare(&prep, c->w->ca, &ir)) != 0) {
			aproblem(c, 400, "badCSR", "%s", gp_error_last());
			goto out;
		}
		x.to = GP_ACME_VALID;
		x.prep = prep;
	} else {
		memset(&sub, 0, sizeof(sub));
		sub.profile = c->profile;
		sub.csr = der;
		sub.csr_len = derlen;
		sub.subject = subj;
		sub.sans = sans;
		sub.submitter = c->actor;
		if ((r = gp_ra_submit_check(c->w->ra, &sub)) != 0) {
			aproblem(c, 400, "badCSR", "%s", gp_error_last());
			goto out;
		}
		/* acme_approval = auto with ca-signer: the signer issues it */
		if (!c->officer) {
			finalize_by_signer(c, o, &sub);
			goto out;
		}
		x.to = GP_ACME_PROCESSING;
		x.sub = &sub;
	}
	if ((r = write_store(do_order_set, &x)) != 0) {
		if (r == GP_E_STATE)
			aproblem(c, 403, "orderNotReady", "order %lld changed meanwhile", (long long)id);
		else
			store_problem(c, r, "finalizing the order");
		goto out;
	}
	if (x.to == GP_ACME_VALID)
		__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	o->status = x.to;
	if (x.serial_len > 0 && x.serial_len <= sizeof(o->serial)) {
		memcpy(o->serial, x.serial, x.serial_len);
		o->serial_len = x.serial_len;
	}
	o->ra_request = x.ra_request;
	order_reply(c, o, 200);
out:
	gp_issue_prep_free(prep);
	X509_REQ_free(req);
	free(der);
	free(names);
	free(sans);
	free(want);
	gp_acme_order_free(o);
}

static void
h_cert(actx *c, int64_t id)
{
	gp_acme_order *o = NULL;
	gp_cert_info *ci = NULL;
	BIO *b = NULL;
	X509 *x = NULL;
	char *data;
	long n;
	int r;

	if (check_jws(c, 0) != 0 || need_empty(c) != 0 || get_order(c, id, &o) != 0)
		goto out;
	if (o->status != GP_ACME_VALID || o->serial_len == 0) {
		aproblem(c, 404, "malformed", "order %lld has no certificate", (long long)id);
		goto out;
	}
	if ((r = gp_store_cert_get(gp_ctx_store(c->w->ctx), gp_ca_id(c->w->ca), o->serial,
	    o->serial_len, &ci)) != 0) {
		store_problem(c, r, "reading the certificate");
		goto out;
	}
	/* §7.4.2: application/pem-certificate-chain, the leaf first */
	if (gp_cert_parse(&x, ci->der, ci->der_len) != 0 || (b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(b, x) != 1 || BIO_write(b, chain_pem, (int)chain_len) != (int)chain_len ||
	    (n = BIO_get_mem_data(b, &data)) <= 0) {
		aproblem(c, 500, "serverInternal", "cannot encode the chain");
		goto out;
	}
	free(c->rs->body);
	if ((c->rs->body = malloc((size_t)n)) == NULL) {
		aproblem(c, 500, "serverInternal", "out of memory");
		goto out;
	}
	memcpy(c->rs->body, data, (size_t)n);
	c->rs->len = (size_t)n;
	c->rs->status = 200;
	c->rs->ctype = "application/pem-certificate-chain";
out:
	BIO_free(b);
	X509_free(x);
	gp_cert_info_free(ci);
	gp_acme_order_free(o);
}

static int
get_authz(actx *c, int64_t id, gp_acme_authz **z)
{
	int r = gp_store_acme_authz_get(gp_ctx_store(c->w->ctx), id, z);

	if (r == GP_E_NOTFOUND) {
		aproblem(c, 404, "malformed", "no authorization %lld", (long long)id);
		return -1;
	}
	if (r == 0 && (*z)->account != c->acct->id) {
		/* another account's: RFC 8555 6.7 unauthorized */
		gp_acme_authz_free(*z);
		*z = NULL;
		aproblem(c, 403, "unauthorized", "authorization %lld is not this account's", (long long)id);
		return -1;
	}
	if (r != 0) {
		store_problem(c, r, "reading the authorization");
		return -1;
	}
	return 0;
}

struct authz_deact {
	int64_t id, order;
	const char *actor;
};

static int
do_authz_deactivate(gp_ra *ra, gp_store *s, void *arg)
{
	struct authz_deact *x = arg;
	gp_acme_authz *z = NULL;
	gp_acme_order *o = NULL;
	char obj[64];
	int r;

	(void)ra;
	if ((r = gp_store_acme_authz_get(s, x->id, &z)) != 0)
		return r;
	if ((r = gp_store_acme_authz_set(s, x->id, z->status, GP_ACME_DEACTIVATED, z->chall,
	    z->chall_status, NULL, 0)) != 0)
		goto out;
	/* its order can no longer become ready */
	if ((r = gp_store_acme_order_get(s, z->order_id, &o)) != 0)
		goto out;
	if ((o->status == GP_ACME_PENDING || o->status == GP_ACME_READY) &&
	    (r = gp_store_acme_order_set(s, o->id, o->status, GP_ACME_INVALID, NULL, NULL, 0, 0)) != 0)
		goto out;
	snprintf(obj, sizeof(obj), "acme-authz:%lld", (long long)x->id);
	r = gp_audit_append(s, x->actor, "acme.authz.deactivate", obj, NULL);
out:
	gp_acme_authz_free(z);
	gp_acme_order_free(o);
	return r;
}

static void
h_authz(actx *c, int64_t id)
{
	gp_acme_authz *z = NULL;
	char u[600];
	int r;

	if (check_jws(c, 0) != 0 || get_authz(c, id, &z) != 0)
		goto out;
	if (c->jws.payload != NULL && json_object_size(c->jws.payload) > 0) {
		const char *st = json_string_value(json_object_get(c->jws.payload, "status"));
		struct authz_deact x = { id, z->order_id, c->actor };

		/* §7.5.2: a client may deactivate a pending or valid authorization */
		if (st == NULL || strcmp(st, "deactivated") != 0) {
			aproblem(c, 400, "malformed", "an authorization may only be deactivated");
			goto out;
		}
		if (authz_status(z) != GP_ACME_PENDING && authz_status(z) != GP_ACME_VALID) {
			aproblem(c, 403, "unauthorized", "the authorization is %s",
			    gp_acme_status_name(authz_status(z)));
			goto out;
		}
		if ((r = write_store(do_authz_deactivate, &x)) != 0) {
			store_problem(c, r, "deactivating");
			goto out;
		}
		gp_acme_authz_free(z);
		z = NULL;
		if (get_authz(c, id, &z) != 0)
			goto out;
	}
	snprintf(u, sizeof(u), "%s/authz/%lld", c->dir, (long long)id);
	add_header(c->rs, "Location", "%s", u);
	reply_json(c->rs, 200, authz_json(c, z));
out:
	gp_acme_authz_free(z);
}

struct chall_start {
	int64_t id;
	int type;
	int started;               /* out: this request started the attempt */
	const char *actor;
};

static int
do_chall_start(gp_ra *ra, gp_store *s, void *arg)
{
	struct chall_start *x = arg;
	gp_acme_authz *z = NULL;
	char obj[64];
	int r;

	(void)ra;
	if ((r = gp_store_acme_authz_get(s, x->id, &z)) != 0)
		return r;
	/* one attempt per authorization: the first challenge tried decides */
	x->started = 0;
	if (z->status == GP_ACME_PENDING && z->chall == -1) {
		if ((r = gp_store_acme_authz_set(s, x->id, GP_ACME_PENDING, GP_ACME_PENDING, x->type,
		    GP_ACME_PROCESSING, NULL, 0)) != 0)
			goto out;
		snprintf(obj, sizeof(obj), "acme-authz:%lld", (long long)x->id);
		if ((r = gp_audit_append(s, x->actor, "acme.challenge.start", obj,
		    chall_names[x->type])) != 0)
			goto out;
		x->started = 1;
	}
out:
	gp_acme_authz_free(z);
	return r;
}

static void
h_chall(actx *c, int64_t id, const char *type_name)
{
	gp_acme_authz *z = NULL;
	struct chall_start x;
	acme_job job;
	char *tp = NULL, u[600];
	int type = -1, r;

	for (int i = 0; i < GP_ACME__NCHALL; i++)
		if (strcmp(type_name, chall_names[i]) == 0)
			type = i;
	if (check_jws(c, 0) != 0 || get_authz(c, id, &z) != 0)
		goto out;
	if (type < 0 || !chall_offered(z, type)) {
		aproblem(c, 404, "malformed", "authorization %lld has no %.16s challenge",
		    (long long)id, type_name);
		goto out;
	}
	if (c->jws.payload != NULL && authz_status(z) == GP_ACME_PENDING && z->chall == -1) {
		/* §7.5.1: the client says it is ready ({}); the attempt runs on
		 * the validation pool */
		memset(&x, 0, sizeof(x));
		x.id = id;
		x.type = type;
		x.actor = c->actor;
		if ((r = write_store(do_chall_start, &x)) != 0) {
			store_problem(c, r, "starting the challenge");
			goto out;
		}
		if (x.started) {
			memset(&job, 0, sizeof(job));
			job.authz = id;
			job.order = z->order_id;
			job.account = c->acct->id;
			job.chall = type;
			job.id_type = z->id_type;
			snprintf(job.value, sizeof(job.value), "%s", z->value);
			snprintf(job.token, sizeof(job.token), "%s", z->token);
			if (acme_b64u_encode(&tp, c->acct->thumb, 32) != 0) {
				aproblem(c, 500, "serverInternal", "out of memory");
				goto out;
			}
			/* §8.1: keyAuthorization = token || '.' || base64url(thumbprint) */
			snprintf(job.keyauth, sizeof(job.keyauth), "%s.%s", z->token, tp);
			if (acme_valid_queue(&job) != 0)
				acme_valid_done(&job, 0, "serverInternal", "the validation queue is full");
		}
		gp_acme_authz_free(z);
		z = NULL;
		if (get_authz(c, id, &z) != 0)
			goto out;
	}
	snprintf(u, sizeof(u), "%s/authz/%lld", c->dir, (long long)id);
	add_header(c->rs, "Link", "<%s>;rel=\"up\"", u);
	if (z->chall == type && z->chall_status == GP_ACME_PROCESSING)
		add_header(c->rs, "Retry-After", "%ld", aset.retry_after);
	reply_json(c->rs, 200, chall_json(c, z, type));
out:
	free(tp);
	gp_acme_authz_free(z);
}

/* ---------------------------------------------------- validation results */

struct valid_done {
	const acme_job *job;
	int ok;
	const char *error;
	char detail[700];
};

static int
do_valid_done(gp_ra *ra, gp_store *s, void *arg)
{
	struct valid_done *x = arg;
	const acme_job *j = x->job;
	int64_t *ids = NULL;
	size_t n = 0, valid = 0;
	char obj[64], actor[64];
	int r;

	(void)ra;
	r = gp_store_acme_authz_set(s, j->authz, GP_ACME_PENDING,
	    x->ok ? GP_ACME_VALID : GP_ACME_INVALID, j->chall,
	    x->ok ? GP_ACME_VALID : GP_ACME_INVALID, x->error, x->ok ? now_s() : 0);
	if (r != 0)
		return r;
	snprintf(obj, sizeof(obj), "acme-authz:%lld", (long long)j->authz);
	snprintf(actor, sizeof(actor), "acme:account:%lld", (long long)j->account);
	if ((r = gp_audit_append(s, actor, "acme.validate", obj, x->detail)) != 0)
		return r;
	if (!x->ok)
		return gp_store_acme_order_set(s, j->order, GP_ACME_PENDING, GP_ACME_INVALID, x->error,
		    NULL, 0, 0) == GP_E_STATE ? 0 : r;
	/* the order is ready once all its authorizations are valid */
	if ((r = gp_store_acme_order_authzs(s, j->order, &ids, &n)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		gp_acme_authz *z = NULL;

		if ((r = gp_store_acme_authz_get(s, ids[i], &z)) == 0 && z->status == GP_ACME_VALID)
			valid++;
		gp_acme_authz_free(z);
	}
	gp_free(ids);
	if (r == 0 && valid == n) {
		r = gp_store_acme_order_set(s, j->order, GP_ACME_PENDING, GP_ACME_READY, NULL, NULL,
		    0, 0);
		if (r == GP_E_STATE)
			r = 0;           /* deactivated or expired meanwhile */
	}
	return r;
}

void
acme_valid_done(const acme_job *job, int ok, const char *type, const char *detail)
{
	struct valid_done x;
	json_t *e = NULL;
	char *es = NULL;

	memset(&x, 0, sizeof(x));
	x.job = job;
	x.ok = ok;
	if (!ok) {
		char t[96];

		snprintf(t, sizeof(t), ACME_ERR "%s", type ? type : "unauthorized");
		e = json_pack("{s:s, s:s, s:i}", "type", t, "detail", detail ? detail : "", "status",
		    type_status(type ? type : "unauthorized"));
		es = e ? json_dumps(e, JSON_COMPACT) : NULL;
		x.error = es;
	}
	/* the audit entry names the attempt and its outcome */
	snprintf(x.detail, sizeof(x.detail), "%s %s:%s: %s%s%.500s", chall_names[job->chall],
	    job->id_type == GP_ACME_ID_IP ? "ip" : "dns", job->value, ok ? "valid" : "invalid",
	    ok ? "" : ": ", ok ? "" : (detail ? detail : ""));
	if (write_store(do_valid_done, &x) != 0)
		fprintf(stderr, "ra-server: acme: recording validation of authorization %lld: %s\n",
		    (long long)job->authz, ra_error_last());
	free(es);
	json_decref(e);
}

/* ------------------------------------------------------------ revocation */

struct revoke {
	const unsigned char *sn;
	size_t snlen;
	int reason;
	const char *actor;
};

static int
do_revoke(gp_ra *ra, void *arg)
{
	struct revoke *x = arg;

	(void)ra;
	return gp_ca_revoke(ra_srv->writer.ctx, gp_ca_name(ra_srv->writer.ca), x->sn, x->snlen,
	    x->reason, 0, x->actor);
}

/* §7.6: signed by the account that ordered the certificate, or by the
 * certificate's own key (jwk). */
static void
h_revoke_cert(actx *c)
{
	static const char *const names[] = { "certificate", "reason", NULL };
	static const int types[] = { JSON_STRING, JSON_INTEGER };
	const char *b64;
	unsigned char *der = NULL, sn[GP_SERIAL_MAX];
	size_t derlen = 0, snlen = 0;
	X509 *x = NULL;
	gp_cert_info *ci = NULL;
	gp_acme_order *o = NULL;
	struct revoke rv;
	json_t *rj;
	wop op;
	int reason = 0, r;

	if (check_jws(c, 1) != 0 || need_payload(c) != 0 ||
	    payload_fields(c, c->jws.payload, names, types) != 0)
		goto out;
	b64 = json_string_value(json_object_get(c->jws.payload, "certificate"));
	if (b64 == NULL || acme_b64u_decode(&der, &derlen, b64, strlen(b64)) != 0 ||
	    gp_cert_parse(&x, der, derlen) != 0) {
		aproblem(c, 400, "malformed", "certificate must be the base64url DER of a certificate");
		goto out;
	}
	if ((rj = json_object_get(c->jws.payload, "reason")) != NULL) {
		json_int_t v = json_integer_value(rj);

		/* RFC 5280 §5.3.1 codes a subscriber may give: not caCompromise,
		 * certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise */
		if (v != 0 && v != 1 && v != 3 && v != 4 && v != 5) {
			aproblem(c, 400, "badRevocationReason", "reason %lld is not accepted "
			    "(0, 1, 3, 4, 5)", (long long)v);
			goto out;
		}
		reason = (int)v;
	}
	if (gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(x)) != 0 ||
	    (r = gp_store_cert_get(gp_ctx_store(c->w->ctx), gp_ca_id(c->w->ca), sn, snlen, &ci)) != 0 ||
	    ci->der_len != derlen || memcmp(ci->der, der, derlen) != 0) {
		aproblem(c, 404, "malformed", "this server did not issue that certificate");
		goto out;
	}
	if (c->acct != NULL) {
		if (gp_store_acme_order_by_serial(gp_ctx_store(c->w->ctx), sn, snlen, &o) != 0 ||
		    o->account != c->acct->id) {
			aproblem(c, 403, "unauthorized", "this account did not order that certificate");
			goto out;
		}
		snprintf(c->actor, sizeof(c->actor), "acme:account:%lld", (long long)c->acct->id);
	} else {
		if (EVP_PKEY_eq(X509_get0_pubkey(x), c->key) != 1) {
			aproblem(c, 403, "unauthorized", "the JWS key is not the certificate's key");
			goto out;
		}
		snprintf(c->actor, sizeof(c->actor), "acme:certificate-key");
	}
	if (ci->status != GP_STATUS_GOOD) {
		aproblem(c, 400, "alreadyRevoked", "the certificate is revoked already");
		goto out;
	}
	rv.sn = sn;
	rv.snlen = snlen;
	rv.reason = reason;
	rv.actor = c->actor;
	memset(&op, 0, sizeof(op));
	op.kind = WOP_CALL;
	op.grouped = 0;            /* gp_ca_revoke commits on its own */
	op.fn = do_revoke;
	op.arg = &rv;
	if ((r = ra_write(&op)) != 0) {
		store_problem(c, r, "revoking");
		goto out;
	}
	free(c->rs->body);
	c->rs->body = NULL;
	c->rs->len = 0;
	c->rs->status = 200;
	c->rs->ctype = "text/plain";
out:
	gp_acme_order_free(o);
	gp_cert_info_free(ci);
	X509_free(x);
	free(der);
}

/* ------------------------------------------------------------- routing */

int
acme_path(const char *url)
{
	return strncmp(url, "/acme/", 6) == 0;
}

/* "N" of rest after prefix, with an optional suffix after it. */
static int
path_id(const char *rest, const char *prefix, const char *suffix, int64_t *id)
{
	size_t pl = strlen(prefix);
	char *end;
	long long v;

	if (strncmp(rest, prefix, pl) != 0 || !isdigit((unsigned char)rest[pl]))
		return 0;
	errno = 0;
	v = strtoll(rest + pl, &end, 10);
	if (errno != 0 || v <= 0 || strcmp(end, suffix) != 0)
		return 0;
	*id = v;
	return 1;
}

void
acme_handle(worker *w, hreq *rq, hresp *rs)
{
	actx c;
	const char *p = rq->url + 6, *slash, *host;
	char nonce[32], tn[16];
	int64_t id;
	size_t pl;
	int is_post = strcmp(rq->method, "POST") == 0, is_get = strcmp(rq->method, "GET") == 0;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.rq = rq;
	c.rs = rs;
	slash = strchr(p, '/');
	pl = slash ? (size_t)(slash - p) : strlen(p);
	if (pl == 0 || pl >= sizeof(c.profile)) {
		aproblem(&c, 404, "malformed", "no ACME directory here");
		goto done;
	}
	memcpy(c.profile, p, pl);
	c.profile[pl] = '\0';
	c.rest = slash ? slash + 1 : "";
	c.prof = gp_profiles_get(gp_ctx_profiles(w->ctx), c.profile);
	if (!acme_running || c.prof == NULL || !gp_profile_acme(c.prof, &c.officer)) {
		aproblem(&c, 404, "malformed", "no ACME directory for profile '%.64s'", c.profile);
		goto done;
	}
	if (aset.base_url != NULL)
		snprintf(c.base, sizeof(c.base), "%s", aset.base_url);
	else {
		const union MHD_ConnectionInfo *ci;

		host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
		ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_PROTOCOL);
		if (host == NULL || strlen(host) > 200 || strpbrk(host, "/\\ \"<>") != NULL) {
			aproblem(&c, 400, "malformed", "a Host header is required");
			goto done;
		}
		snprintf(c.base, sizeof(c.base), "%s://%s",
		    ci != NULL && ci->protocol != 0 ? "https" : "http", host);
	}
	snprintf(c.dir, sizeof(c.dir), "%s/acme/%s", c.base, c.profile);
	snprintf(c.url, sizeof(c.url), "%s%s", c.base, rq->url);
	if (rq->too_large) {
		aproblem(&c, 413, "malformed", "the body is larger than %ld bytes",
		    ra_srv->set.max_body);
		goto done;
	}
	if (strcmp(c.rest, "directory") == 0 && is_get)
		h_directory(&c);
	else if (strcmp(c.rest, "new-nonce") == 0 && (is_get || strcmp(rq->method, "HEAD") == 0))
		h_new_nonce(&c);
	else if (!is_post) {
		free((char *)rs->allow);
		rs->allow = strdup(strcmp(c.rest, "directory") == 0 ? "GET" :
		    strcmp(c.rest, "new-nonce") == 0 ? "GET, HEAD" : "POST");
		aproblem(&c, 405, "malformed", "%s is not allowed here", rq->method);
	} else if (strcmp(c.rest, "new-account") == 0)
		h_new_account(&c);
	else if (strcmp(c.rest, "new-order") == 0)
		h_new_order(&c);
	else if (strcmp(c.rest, "revoke-cert") == 0)
		h_revoke_cert(&c);
	else if (strcmp(c.rest, "key-change") == 0)
		h_key_change(&c);
	else if (path_id(c.rest, "acct/", "", &id))
		h_account(&c, id);
	else if (path_id(c.rest, "order/", "", &id))
		h_order(&c, id);
	else if (path_id(c.rest, "order/", "/finalize", &id))
		h_finalize(&c, id);
	else if (path_id(c.rest, "authz/", "", &id))
		h_authz(&c, id);
	else if (path_id(c.rest, "cert/", "", &id))
		h_cert(&c, id);
	else if (strncmp(c.rest, "chall/", 6) == 0 && strchr(c.rest + 6, '/') != NULL &&
	    strlen(strchr(c.rest + 6, '/') + 1) < sizeof(tn)) {
		snprintf(tn, sizeof(tn), "%s", strchr(c.rest + 6, '/') + 1);
		{
			char pre[32];
			size_t k = (size_t)(strchr(c.rest + 6, '/') - c.rest);

			if (k < sizeof(pre)) {
				memcpy(pre, c.rest, k);
				pre[k] = '\0';
				if (path_id(pre, "chall/", "", &id)) {
					h_chall(&c, id, tn);
					goto done;
				}
			}
		}
		aproblem(&c, 404, "malformed", "no such ACME resource");
	} else
		aproblem(&c, 404, "malformed", "no such ACME resource");
done:
	if (rs->status == 0)
		aproblem(&c, 500, "serverInternal", "no response");
	/* §6.5: a fresh nonce on every response; §7.1: the directory link */
	if (nonce_new(nonce) == 0)
		add_header(rs, "Replay-Nonce", "%s", nonce);
	if (c.dir[0])
		add_header(rs, "Link", "<%s/directory>;rel=\"index\"", c.dir);
	acme_jws_clear(&c.jws);
	gp_acme_account_free(c.acct);
	EVP_PKEY_free(c.key);
}

/* --------------------------------------------------------------- start */

int
acme_start(server *s, gp_ctx *ctx)
{
	const gp_config *cfg = gp_ctx_config(ctx);
	int r;

	memset(&aset, 0, sizeof(aset));
	if ((r = gp_config_check_keys(cfg, "acme", acme_keys)) != 0)
		goto bad;
	aset.base_url = gp_config_str(cfg, "acme", "base_url", NULL);
	aset.resolver = gp_config_str(cfg, "acme", "resolver", NULL);
	aset.validation_host = gp_config_str(cfg, "acme", "validation_host", NULL);
	if ((r = gp_config_long(&aset.http01_port, cfg, "acme", "http01_port", 80, 1, 65535)) != 0 ||
	    (r = gp_config_long(&aset.tlsalpn01_port, cfg, "acme",
	    "tlsalpn01_port", 443, 1, 65535)) != 0 ||
	    (r = gp_config_long(&aset.validation_threads, cfg, "acme",
	    "validation_threads", 4, 1, 64)) != 0 ||
	    (r = gp_config_long(&aset.validation_timeout, cfg, "acme",
	    "validation_timeout", 10, 1, 300)) != 0 ||
	    (r = gp_config_long(&aset.validation_queue, cfg, "acme",
	    "validation_queue", 1024, 1, 1000000)) != 0 ||
	    (r = gp_config_long(&aset.order_ttl, cfg, "acme", "order_ttl",
	    7 * 86400, 1, 90 * 86400)) != 0 ||
	    (r = gp_config_long(&aset.retry_after, cfg, "acme", "retry_after", 1, 0, 3600)) != 0 ||
	    (r = gp_config_bool(&aset.eab_required, cfg, "acme", "eab_required", 0)) != 0 ||
	    (r = gp_config_long(&aset.orders_per_hour, cfg, "acme", "orders_per_hour", 300, 0,
	    1000000)) != 0 ||
	    (r = gp_config_long(&aset.accounts_per_hour, cfg, "acme", "accounts_per_hour", 20, 0,
	    1000000)) != 0)
		goto bad;
	if (aset.base_url != NULL && (strncmp(aset.base_url, "https://", 8) != 0 &&
	    strncmp(aset.base_url, "http://", 7) != 0)) {
		fprintf(stderr, "ra-server: [acme] base_url must start with https:// or http://\n");
		return -1;
	}
	if (gp_ca_chain_pem(&chain_pem, &chain_len, ctx, s->set.ca) != 0) {
		fprintf(stderr, "ra-server: acme: the CA chain: %s\n", gp_error_last());
		return -1;
	}
	if (nonce_init() != 0) {
		fprintf(stderr, "ra-server: acme: cannot set up nonces\n");
		return -1;
	}
	if (acme_valid_start(&aset) != 0) {
		fprintf(stderr, "ra-server: acme: cannot start the validation threads\n");
		return -1;
	}
	acme_running = 1;
	return 0;
bad:
	fprintf(stderr, "ra-server: configuration: %s\n", gp_error_last());
	return -1;
}

void
acme_stop(void)
{
	if (acme_running)
		acme_valid_stop();
	acme_running = 0;
	gp_free(chain_pem);
	chain_pem = NULL;
	free(nonces.used);
	nonces.used = NULL;
	EVP_MAC_CTX_free(nonces.mac);
	nonces.mac = NULL;
}
