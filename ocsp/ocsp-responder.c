/* ocsp/ocsp-responder.c: the OCSP responder daemon (HTTP on libmicrohttpd, RFC 6960 Appendix A, RFC 9919) */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include <govpki/govpki.h>

#include "daemon.h"
#include "daemon_conns.h"
#include "daemon_files.h"
#include "daemon_http.h"
#include "daemon_log.h"

#define MAX_CAS 64
#define DISCARD_MAX (64u << 20)   /* bytes read past the limit before cutting off */

typedef struct opts {
	const char *config;
	const char *home;
	const char *listen;
	const char *pass_file;
	const char *cas[MAX_CAS];
	size_t ncas;
	const char *signer_cert;
	const char *signer_key;
	const char *port_file;
	const char *access_log;         /* --access-log, over [daemon] */
	const char *access_log_format;
	const char *publish_dir;        /* --publish-dir, over [daemon] */
	int presigned;
} opts;

/* What a configuration (re)load produces; swapped whole on SIGHUP. */
typedef struct live {
	gp_ctx *ctx;
	gp_ocsp_settings set;   /* strings borrowed from ctx's configuration */
	gp_ocsp_responder *r;
	daemon_settings ds;     /* [daemon]; strings borrowed from ctx's configuration */
	daemon_files *files;    /* the publish folder, or NULL */
	const char *cas[MAX_CAS];   /* the CAs answered for (in cas_buf, opts or list) */
	size_t ncas;
	char *cas_buf;
	char **names;               /* the default CAs (gp_ocsp_default_cas) */
	size_t nnames;
	atomic_long refs;
} live;

static pthread_rwlock_t live_lock = PTHREAD_RWLOCK_INITIALIZER;
static live *current;

static daemon_conns *conns;
static daemon_log *access_log;
/* /healthz reads the store through the configuration's connection, which
 * nothing else uses once the responder is built; one reader at a time */
static pthread_mutex_t health_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv;
static int stopping;

/* ---- metrics (atomics only: the hot path takes no lock for them) -------- */

enum {
	OUT_SUCCESSFUL, OUT_MALFORMED, OUT_INTERNAL, OUT_TRYLATER, OUT_UNAUTHORIZED,
	OUT_NOT_MODIFIED, OUT_HTTP_400, OUT_HTTP_404, OUT_HTTP_405, OUT_HTTP_413,
	OUT_HTTP_414, OUT_HTTP_415, OUT_HTTP_500, OUT_FILE, OUT__N
};
static const char *const out_names[OUT__N] = {
	"successful", "malformedRequest", "internalError", "tryLater", "unauthorized",
	"not_modified", "http_400", "http_404", "http_405", "http_413", "http_414",
	"http_415", "http_500", "published_file"
};
static const double buckets[] = { 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
	0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static atomic_ullong m_out[OUT__N];
static atomic_ullong m_get, m_post, m_hits, m_misses;
static atomic_ullong m_bucket[NBUCKETS + 1];
static atomic_ullong m_sum_ns, m_count;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
observe(int outcome, uint64_t t0)
{
	uint64_t d = now_ns() - t0;
	double s = (double)d / 1e9;
	size_t i;

	atomic_fetch_add_explicit(&m_out[outcome], 1, memory_order_relaxed);
	for (i = 0; i < NBUCKETS && s > buckets[i]; i++)
		;
	atomic_fetch_add_explicit(&m_bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m_sum_ns, d, memory_order_relaxed);
	atomic_fetch_add_explicit(&m_count, 1, memory_order_relaxed);
}

/* ---- the live configuration --------------------------------------------- */

static void
live_put(live *l)
{
	if (l == NULL || atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	gp_ocsp_responder_free(l->r);
	daemon_files_free(l->files);
	gp_ctx_free(l->ctx);
	free(l->cas_buf);
	gp_ocsp_names_free(l->names, l->nnames);
	free(l);
}

static live *
live_get(void)
{
	live *l;

	pthread_rwlock_rdlock(&live_lock);
	l = current;
	atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
	pthread_rwlock_unlock(&live_lock);
	return l;
}

/* The CAs answered for when none are named (gp_ocsp_default_cas). */
static int
default_cas(live *l)
{
	size_t i;
	int r;

	if ((r = gp_ocsp_default_cas(&l->names, &l->nnames, l->ctx, &l->set)) != 0)
		return r;
	for (i = 0; i < l->nnames && l->names[i] != NULL; i++) {
		if (l->ncas == MAX_CAS) {
			fprintf(stderr, "ocsp-responder: more than %d CAs: answering for the "
			    "first %d; name them with --ca or [ocsp] ca\n", MAX_CAS, MAX_CAS);
			break;
		}
		l->cas[l->ncas++] = l->names[i];
	}
	return 0;
}

static int
live_new(live **out, const opts *o, char **pass, size_t *passlen)
{
	live *l;
	gp_ocsp_params p;
	const char *pf, *dir;
	char *tok, *save = NULL, err[512];
	int r;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return GP_E_NOMEM;
	atomic_init(&l->refs, 1);
	if ((r = gp_ctx_open(&l->ctx, o->config, o->home, GP_CTX_READONLY)) != 0 ||
	    (r = gp_ocsp_settings_load(&l->set, gp_ctx_config(l->ctx))) != 0)
		goto out;
	if (daemon_settings_load(&l->ds, gp_ctx_config(l->ctx), err, sizeof(err)) != 0) {
		fprintf(stderr, "ocsp-responder: %s\n", err);
		r = GP_E_CONFIG;
		goto out;
	}
	dir = o->publish_dir != NULL ? o->publish_dir : l->ds.publish_dir;
	if (dir != NULL && strcmp(dir, "off") != 0 && daemon_files_new(&l->files, dir) != 0) {
		fprintf(stderr, "ocsp-responder: publish folder %s: %s\n", dir, strerror(errno));
		r = GP_E_CONFIG;
		goto out;
	}
	if (o->presigned)
		l->set.presigned = 1;
	/* the passphrase: read again from its file on a reload (keys may have
	 * been re-encrypted), kept from the first read otherwise; a replica
	 * of pre-signed responses holds no key and needs none, nor one whose
	 * CA keys are ca-signer's ([signer] socket) */
	pf = o->pass_file != NULL ? o->pass_file : l->set.pass_file;
	if (!l->set.presigned && gp_ctx_signer0(l->ctx) == NULL && (*pass == NULL || pf != NULL)) {
		char *np = NULL;
		size_t nl = 0;

		if ((r = gp_pass_get(&np, &nl, pf, "Key passphrase: ")) != 0)
			goto out;
		gp_pass_free(*pass, *passlen);
		*pass = np;
		*passlen = nl;
	}
	p = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	p.settings = &l->set;
	if (o->ncas > 0) {
		memcpy(l->cas, o->cas, o->ncas * sizeof(o->cas[0]));
		l->ncas = o->ncas;
	} else if (l->set.cas != NULL) {
		if ((l->cas_buf = strdup(l->set.cas)) == NULL) {
			r = GP_E_NOMEM;
			goto out;
		}
		for (tok = strtok_r(l->cas_buf, ", \t", &save); tok != NULL && l->ncas < MAX_CAS;
		    tok = strtok_r(NULL, ", \t", &save))
			l->cas[l->ncas++] = tok;
	} else if ((r = default_cas(l)) != 0)
		goto out;
	p.cas = l->ncas > 0 ? l->cas : NULL;
	p.ncas = l->ncas;
	p.signer_cert = o->signer_cert != NULL ? o->signer_cert : l->set.signer_cert;
	p.signer_key = o->signer_key != NULL ? o->signer_key : l->set.signer_key;
	p.pass = *pass;
	p.passlen = *passlen;
	if ((r = gp_ocsp_responder_new(&l->r, l->ctx, &p)) != 0)
		goto out;
	*out = l;
	l = NULL;
out:
	live_put(l);
	return r;
}

/* ---- HTTP --------------------------------------------------------------- */

typedef struct post {
	uint64_t t0;
	unsigned char *buf;
	size_t len, cap, max;
	size_t discarded;
	int too_big;
} post;

static void
resp_release(void *cls)
{
	gp_ocsp_resp_free(cls);
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned code, const char *text, int outcome, uint64_t t0)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
	ret = daemon_queue(c, code, resp, strlen(text));
	MHD_destroy_response(resp);
	if (outcome >= 0)
		observe(outcome, t0);
	return ret;
}

/* 1 when the client holds x already: its ETag, or its Last-Modified
 * (thisUpdate, RFC 5019 §6.2) with If-Modified-Since. */
static int
not_modified(struct MHD_Connection *c, const gp_ocsp_resp *x)
{
	return daemon_http_not_modified(c, gp_ocsp_resp_etag(x), gp_ocsp_resp_this_update(x));
}

/* Queues x (whose reference it takes) as application/ocsp-response; for a
 * cacheable one with the RFC 9919 caching headers, or 304 when the client
 * already holds it. */
static enum MHD_Result
send_ocsp(struct MHD_Connection *c, gp_ocsp_resp *x, int get, uint64_t t0)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const unsigned char *der;
	size_t len;
	char cc[96];
	unsigned code = MHD_HTTP_OK;
	int outcome, cacheable = gp_ocsp_resp_cacheable(x);
	long long age;

	switch (gp_ocsp_resp_status(x)) {
	case GP_OCSP_SUCCESSFUL: outcome = OUT_SUCCESSFUL; break;
	case GP_OCSP_MALFORMED: outcome = OUT_MALFORMED; break;
	case GP_OCSP_TRY_LATER: outcome = OUT_TRYLATER; break;
	case GP_OCSP_UNAUTHORIZED: outcome = OUT_UNAUTHORIZED; break;
	default: outcome = OUT_INTERNAL; break;
	}
	der = gp_ocsp_resp_der(x, &len);
	if (cacheable && get && not_modified(c, x)) {
		code = MHD_HTTP_NOT_MODIFIED;
		outcome = OUT_NOT_MODIFIED;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		/* the response borrows the DER and drops our reference when
		 * MHD is done with it: no copy */
		resp = MHD_create_response_from_buffer_with_free_callback_cls(len,
		    (void *)der, resp_release, gp_ocsp_resp_ref(x));
		if (resp == NULL)
			gp_ocsp_resp_free(x);   /* the reference just taken */
	}
	if (resp == NULL) {
		gp_ocsp_resp_free(x);
		return MHD_NO;
	}
	/* x stays valid until MHD_destroy_response below: we still hold it */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/ocsp-response");
	if (cacheable) {
		/* RFC 9919 §6.2 (RFC 5019 §6.2): cacheable until nextUpdate */
		age = (long long)gp_ocsp_resp_next_update(x) - (long long)time(NULL);
		if (age < 0)
			age = 0;
		snprintf(cc, sizeof(cc), "max-age=%lld, public, no-transform, must-revalidate", age);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED,
		    gp_ocsp_resp_last_modified(x));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, gp_ocsp_resp_expires(x));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, gp_ocsp_resp_etag(x));
	} else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	ret = daemon_queue(c, code, resp, code == MHD_HTTP_OK ? len : 0);
	MHD_destroy_response(resp);
	gp_ocsp_resp_free(x);
	observe(outcome, t0);
	return ret;
}

/* The base64 of a GET path (RFC 6960 A.1, RFC 4648 §4) decoded by
 * OpenSSL into out (at least len / 4 * 3 + 3 bytes).  The path is
 * rewritten in place first: a ' ' is read as '+' (a '+' some client let a
 * form decoder turn into a space), and missing '=' padding is added (in
 * has room for 2 more bytes and its NUL).  Returns the length, or -1 for
 * anything that is not base64. */
static long
b64_decode(unsigned char *out, char *in, size_t len)
{
	EVP_ENCODE_CTX *ctx;
	int n = 0, m = 0, ok;
	size_t i;

	if (len % 4 == 1 || len > INT_MAX - 2)
		return -1;
	for (i = 0; i < len; i++)
		if (in[i] == ' ')
			in[i] = '+';
	while (len % 4 != 0)
		in[len++] = '=';
	in[len] = '\0';
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL)
		return -1;
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)in, (int)len) >= 0 &&
	    EVP_DecodeFinal(ctx, out + n, &m) >= 0;
	EVP_ENCODE_CTX_free(ctx);
	return ok ? (long)n + m : -1;
}

/* ---- /healthz ----------------------------------------------------------- */

static void
json_time(FILE *f, int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		fputs("null", f);
		return;
	}
	strftime(buf, sizeof(buf), "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
	fputs(buf, f);
}

/* What /healthz found: any check that fails makes it 503. */
typedef struct health {
	FILE *f;
	int64_t now;
	int ok;
	int first;
} health;

/* A CRL past its nextUpdate is one a relying party may no longer use
 * (RFC 5280 §5.1.2.5): the one who should publish the next has not. */
static void
health_crl(health *h, const char *key, const char *name, const char *type, int64_t number,
    int64_t this_update, int64_t next_update)
{
	int fresh = this_update > 0 && (next_update == 0 || next_update > h->now);

	if (!fresh)
		h->ok = 0;
	fprintf(h->f, "%s{\"%s\":", h->first ? "" : ",", key);
	h->first = 0;
	daemon_json_string(h->f, name);
	if (type != NULL)
		fprintf(h->f, ",\"type\":\"%s\",\"number\":%lld", type, (long long)number);
	fputs(",\"this_update\":", h->f);
	json_time(h->f, this_update);
	fputs(",\"next_update\":", h->f);
	json_time(h->f, next_update);
	fprintf(h->f, ",\"ok\":%s}", fresh ? "true" : "false");
}

static void
health_file(void *arg, const char *name, int64_t this_update, int64_t next_update)
{
	health_crl(arg, "file", name, NULL, 0, this_update, next_update);
}

/* The latest full and delta CRL in the store of each CA answered for. */
static int
health_store_crls(health *h, live *l, gp_store *st)
{
	gp_ca_info **list = NULL;
	gp_crl_info *ci;
	size_t n = 0, i, k;
	int r, d, want;

	if ((r = gp_store_ca_list(st, &list, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		for (want = l->ncas == 0, k = 0; k < l->ncas; k++)
			want |= strcmp(l->cas[k], list[i]->name) == 0;
		for (d = 0; want && d < 2; d++) {
			if ((r = gp_store_crl_latest_info(st, list[i]->id, d, &ci)) == GP_E_NOTFOUND)
				continue;   /* none made: nothing to grow stale */
			if (r != 0)
				goto out;
			health_crl(h, "ca", list[i]->name, d ? "delta" : "full", ci->number,
			    ci->this_update, ci->next_update);
			gp_crl_info_free(ci);
		}
	}
	r = 0;
out:
	gp_error_clear();
	gp_ca_info_list_free(list, n);
	return r;
}

/*
 * /healthz: a JSON object, 200 when every check passes, else 503:
 *   store   the store answers (its revision counter is read);
 *   keys    every CA answered for has a usable signer (its key loaded, the
 *           signer certificate not expired: else every answer is tryLater);
 *   crls    the latest full and delta CRL in the store of each CA answered
 *           for, and each CRL of the publish folder, not past nextUpdate.
 */
static enum MHD_Result
send_health(struct MHD_Connection *c, live *l, uint64_t t0)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	health h;
	char *buf = NULL;
	size_t len = 0;
	int64_t rev = 0;
	int store_ok, keys_ok;
	unsigned code;

	if ((h.f = open_memstream(&buf, &len)) == NULL)
		return MHD_NO;
	h.now = (int64_t)time(NULL);
	h.ok = 1;
	h.first = 1;
	fputs("{\"store\":{", h.f);
	pthread_mutex_lock(&health_mu);
	store_ok = gp_store_revision(gp_ctx_store(l->ctx), &rev) == 0;
	if (store_ok)
		fprintf(h.f, "\"ok\":true,\"revision\":%lld}", (long long)rev);
	else {
		fputs("\"ok\":false,\"error\":", h.f);
		daemon_json_string(h.f, gp_error_last());
		fputs("}", h.f);
	}
	keys_ok = gp_ocsp_health(l->r, 0) == 0;
	fprintf(h.f, ",\"keys\":{\"ok\":%s", keys_ok ? "true" : "false");
	if (!keys_ok) {
		fputs(",\"error\":", h.f);
		daemon_json_string(h.f, gp_error_last());
	}
	fputs("},\"crls\":[", h.f);
	if (store_ok && health_store_crls(&h, l, gp_ctx_store(l->ctx)) != 0)
		store_ok = 0;
	pthread_mutex_unlock(&health_mu);
	if (l->files != NULL && daemon_files_crls(l->files, health_file, &h) < 0)
		h.ok = 0;   /* the folder has no crl/ */
	h.ok = h.ok && store_ok && keys_ok;
	fprintf(h.f, "],\"status\":\"%s\"}\n", h.ok ? "ok" : "fail");
	if (fclose(h.f) != 0) {
		free(buf);
		return MHD_NO;
	}
	if ((resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(buf);
		return MHD_NO;
	}
	code = h.ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = daemon_queue(c, code, resp, len);
	MHD_destroy_response(resp);
	(void)t0;
	return ret;
}

static enum MHD_Result
send_metrics(struct MHD_Connection *c, live *l, uint64_t t0)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	gp_ocsp_stats st;
	char *buf = NULL;
	size_t len = 0, i;
	unsigned long long cum = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)t0;
	if (f == NULL)
		return MHD_NO;
	gp_ocsp_get_stats(l->r, &st);
	fprintf(f, "# HELP govpki_ocsp_requests_total Requests answered, by outcome.\n"
	    "# TYPE govpki_ocsp_requests_total counter\n");
	for (i = 0; i < OUT__N; i++)
		fprintf(f, "govpki_ocsp_requests_total{outcome=\"%s\"} %llu\n", out_names[i],
		    (unsigned long long)atomic_load(&m_out[i]));
	fprintf(f, "# HELP govpki_ocsp_http_requests_total OCSP requests by HTTP method.\n"
	    "# TYPE govpki_ocsp_http_requests_total counter\n"
	    "govpki_ocsp_http_requests_total{method=\"GET\"} %llu\n"
	    "govpki_ocsp_http_requests_total{method=\"POST\"} %llu\n",
	    (unsigned long long)atomic_load(&m_get), (unsigned long long)atomic_load(&m_post));
	fprintf(f, "# HELP govpki_ocsp_cache_hits_total Answers served pre-signed.\n"
	    "# TYPE govpki_ocsp_cache_hits_total counter\n"
	    "govpki_ocsp_cache_hits_total %llu\n"
	    "# HELP govpki_ocsp_cache_misses_total Cacheable requests that were signed.\n"
	    "# TYPE govpki_ocsp_cache_misses_total counter\n"
	    "govpki_ocsp_cache_misses_total %llu\n"
	    "# HELP govpki_ocsp_signed_total Responses signed by this configuration.\n"
	    "# TYPE govpki_ocsp_signed_total counter\n"
	    "govpki_ocsp_signed_total %llu\n"
	    "# HELP govpki_ocsp_cache_entries Pre-signed responses held.\n"
	    "# TYPE govpki_ocsp_cache_entries gauge\n"
	    "govpki_ocsp_cache_entries %llu\n"
	    "# HELP govpki_ocsp_store_revision Store revision the cache reflects.\n"
	    "# TYPE govpki_ocsp_store_revision gauge\n"
	    "govpki_ocsp_store_revision %lld\n",
	    (unsigned long long)atomic_load(&m_hits), (unsigned long long)atomic_load(&m_misses),
	    (unsigned long long)st.signed_total, (unsigned long long)st.cached,
	    (long long)st.revision);
	fprintf(f, "# HELP govpki_ocsp_connections HTTP connections open.\n"
	    "# TYPE govpki_ocsp_connections gauge\n"
	    "govpki_ocsp_connections %llu\n"
	    "# HELP govpki_ocsp_connections_closed_idle_total Idle connections closed to make "
	    "room past max_connections.\n"
	    "# TYPE govpki_ocsp_connections_closed_idle_total counter\n"
	    "govpki_ocsp_connections_closed_idle_total %llu\n",
	    daemon_conns_open(conns), daemon_conns_closed_idle(conns));
	fprintf(f, "# HELP govpki_ocsp_request_duration_seconds Time to answer a request.\n"
	    "# TYPE govpki_ocsp_request_duration_seconds histogram\n");
	for (i = 0; i <= NBUCKETS; i++) {
		cum += atomic_load(&m_bucket[i]);
		if (i < NBUCKETS)
			fprintf(f, "govpki_ocsp_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			    buckets[i], cum);
		else
			fprintf(f, "govpki_ocsp_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	}
	fprintf(f, "govpki_ocsp_request_duration_seconds_sum %.9f\n"
	    "govpki_ocsp_request_duration_seconds_count %llu\n",
	    (double)atomic_load(&m_sum_ns) / 1e9, (unsigned long long)atomic_load(&m_count));
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	if ((resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; version=0.0.4");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = daemon_queue(c, MHD_HTTP_OK, resp, len);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
answer(struct MHD_Connection *c, live *l, const unsigned char *der, size_t len,
    const char *key, size_t keylen, int get, uint64_t t0)
{
	gp_ocsp_resp *x = NULL;
	unsigned flags = 0;

	if (gp_ocsp_respond(&x, &flags, l->r, der, len, key, keylen) != 0) {
		fprintf(stderr, "ocsp-responder: %s\n", gp_error_last());
		return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n",
		    OUT_HTTP_500, t0);
	}
	if (flags & GP_OCSP_HIT)
		atomic_fetch_add_explicit(&m_hits, 1, memory_order_relaxed);
	else if (gp_ocsp_resp_cacheable(x))
		atomic_fetch_add_explicit(&m_misses, 1, memory_order_relaxed);
	return send_ocsp(c, x, get, t0);
}

/*
 * The request part of a path under the prefix, or NULL (404).  Under the
 * default prefix "/" the path may also start with "/ocsp": that is the URL
 * a CA with a base_url puts into the AIA of what it issues (BASE/ocsp,
 * gp_ca_defaults_load), so that a responder run at BASE answers it without
 * more configuration.  It is unambiguous: the base64 of a DER OCSPRequest
 * (a SEQUENCE) starts with "M", never with "ocsp".
 */
static const char *
under_prefix(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 1) {
		if (strncmp(url, "/ocsp", 5) == 0 && (url[5] == '/' || url[5] == '\0'))
			return url + 5;
		return url;
	}
	if (strncmp(url, prefix, n) != 0 || (url[n] != '/' && url[n] != '\0'))
		return NULL;
	return url + n;
}

/* RFC 6960 Appendix A.1: GET {url}/{url-encoding of base-64 encoding of
 * the DER encoding of the OCSPRequest}; RFC 9919 §5. */
static enum MHD_Result
do_get(struct MHD_Connection *c, const char *url, uint64_t t0)
{
	live *l = live_get();
	gp_ocsp_resp *x = NULL;
	const char *rest;
	char *copy = NULL, *b64 = NULL;
	unsigned char *der = NULL;
	size_t klen;
	long dlen;
	enum MHD_Result ret;

	atomic_fetch_add_explicit(&m_get, 1, memory_order_relaxed);
	if ((rest = under_prefix(url, l->set.path)) == NULL) {
		ret = send_text(c, MHD_HTTP_NOT_FOUND, "not found\n", OUT_HTTP_404, t0);
		goto out;
	}
	/* a doubled slash (a base URL ending in '/') is not part of the
	 * request: DER starts with 0x30, so base64 never starts with '/' */
	while (*rest == '/')
		rest++;
	klen = strlen(rest);
	if (klen == 0) {
		ret = send_text(c, MHD_HTTP_BAD_REQUEST, "no OCSP request in the path\n",
		    OUT_HTTP_400, t0);
		goto out;
	}
	/* MHD unescapes the path; a '%' left over was escaped twice */
	if (strchr(rest, '%') != NULL) {
		if ((copy = strdup(rest)) == NULL) {
			ret = MHD_NO;
			goto out;
		}
		klen = MHD_http_unescape(copy);
		rest = copy;
	}
	if (klen > ((size_t)l->set.max_request + 2) / 3 * 4 + 4) {
		ret = send_text(c, MHD_HTTP_URI_TOO_LONG, "request too long\n", OUT_HTTP_414, t0);
		goto out;
	}
	/* the hot path: a GET seen before is a table lookup */
	if (gp_ocsp_lookup(&x, l->r, rest, klen) == 0) {
		atomic_fetch_add_explicit(&m_hits, 1, memory_order_relaxed);
		ret = send_ocsp(c, x, 1, t0);
		goto out;
	}
	/* the decoder pads and rewrites a copy; the cache key stays the path */
	if ((b64 = malloc(klen + 3)) == NULL || (der = malloc(klen / 4 * 3 + 3)) == NULL) {
		ret = MHD_NO;
		goto out;
	}
	memcpy(b64, rest, klen);
	if ((dlen = b64_decode(der, b64, klen)) <= 0) {
		ret = send_text(c, MHD_HTTP_BAD_REQUEST, "the path is not a base64 OCSP request\n",
		    OUT_HTTP_400, t0);
		goto out;
	}
	ret = answer(c, l, der, (size_t)dlen, rest, klen, 1, t0);
out:
	free(der);
	free(b64);
	free(copy);
	live_put(l);
	return ret;
}

/* 1 when the Content-Type is application/ocsp-request (RFC 6960 A.1). */
static int
ocsp_content_type(struct MHD_Connection *c)
{
	static const char want[] = "application/ocsp-request";
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = sizeof(want) - 1;

	return ct != NULL && strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static char get_marker;

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	post *q = *con_cls != &get_marker ? *con_cls : NULL;
	live *l;
	const char *cl;
	enum MHD_Result ret;

	(void)cls;
	if (*con_cls == NULL) {
		const char *why;

		/* a request started: not closed to make room; logged at its end */
		daemon_conn_busy(c, method, url, version);
		/* why is a static phrase: it can be the body */
		if ((why = daemon_request_check(c, url, version)) != NULL)
			return send_text(c, MHD_HTTP_BAD_REQUEST, why, OUT_HTTP_400, now_ns());
	}
	/* GET and HEAD are answered in the second round: a response queued
	 * in the first one makes MHD close the connection (no keep-alive) */
	if (q == NULL && *con_cls != &get_marker && (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)) {
		*con_cls = &get_marker;
		return MHD_YES;
	}
	if (q == NULL || *con_cls == &get_marker) {
		uint64_t t0 = now_ns();
		int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

		*con_cls = NULL;

		if (!is_post && strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
			    OUT_HTTP_405, t0);
		if (!is_post && strcmp(url, "/healthz") == 0) {
			l = live_get();
			ret = send_health(c, l, t0);
			live_put(l);
			return ret;
		}
		if (!is_post && daemon_files_claims(url)) {
			unsigned code;

			l = live_get();
			ret = daemon_files_answer(l->files, c, url, "ocsp-responder", &code);
			live_put(l);
			observe(code == MHD_HTTP_OK ? OUT_FILE : code == MHD_HTTP_NOT_MODIFIED ?
			    OUT_NOT_MODIFIED : code == MHD_HTTP_BAD_REQUEST ? OUT_HTTP_400 :
			    code == MHD_HTTP_NOT_FOUND ? OUT_HTTP_404 : OUT_HTTP_500, t0);
			return ret;
		}
		if (!is_post && strcmp(url, "/metrics") == 0) {
			l = live_get();
			ret = send_metrics(c, l, t0);
			live_put(l);
			return ret;
		}
		if (!is_post)
			return do_get(c, url, t0);
		atomic_fetch_add_explicit(&m_post, 1, memory_order_relaxed);
		l = live_get();
		{
			const char *rest = under_prefix(url, l->set.path);
			long max = l->set.max_request;

			live_put(l);
			if (rest == NULL || (rest[0] != '\0' && strcmp(rest, "/") != 0))
				return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n", OUT_HTTP_404, t0);
			if (!ocsp_content_type(c))
				return send_text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				    "Content-Type must be application/ocsp-request\n", OUT_HTTP_415, t0);
			cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			    MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (cl != NULL && strtoull(cl, NULL, 10) > (unsigned long long)max)
				return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE,
				    "request too large\n", OUT_HTTP_413, t0);
			if ((q = calloc(1, sizeof(*q))) == NULL)
				return MHD_NO;
			q->t0 = t0;
			q->max = (size_t)max;
			*con_cls = q;
			return MHD_YES;
		}
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (q->too_big || q->len + n > q->max) {
			/* chunked past the limit: MHD cannot answer in the middle of
			 * an upload, so the rest is read and dropped (413 at the end);
			 * a sender that does not stop is cut off */
			q->too_big = 1;
			q->discarded += n;
			return q->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (q->len + n > q->cap) {
			size_t cap = q->cap ? q->cap : 1024;
			unsigned char *nb;

			while (cap < q->len + n)
				cap *= 2;
			if (cap > q->max)
				cap = q->max;
			if ((nb = realloc(q->buf, cap)) == NULL)
				return MHD_NO;
			q->buf = nb;
			q->cap = cap;
		}
		memcpy(q->buf + q->len, upload, n);
		q->len += n;
		return MHD_YES;
	}
	if (q->too_big)
		return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request too large\n",
		    OUT_HTTP_413, q->t0);
	l = live_get();
	ret = answer(c, l, q->buf, q->len, NULL, 0, 0, q->t0);
	live_put(l);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	post *q = *con_cls;

	(void)cls;
	(void)toe;
	daemon_conn_idle(c);
	if (q != NULL && *con_cls != &get_marker) {
		free(q->buf);
		free(q);
		*con_cls = NULL;
	}
}

/* ---- the refresher ------------------------------------------------------ */

static void *
refresher(void *arg)
{
	struct timespec ts;
	live *l;
	size_t n;

	(void)arg;
	pthread_mutex_lock(&stop_mu);
	while (!stopping) {
		l = live_get();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += l->set.refresh;
		while (!stopping && pthread_cond_timedwait(&stop_cv, &stop_mu, &ts) != ETIMEDOUT)
			;
		if (stopping) {
			live_put(l);
			break;
		}
		pthread_mutex_unlock(&stop_mu);
		if (gp_ocsp_refresh(&n, l->r, 0) != 0)
			fprintf(stderr, "ocsp-responder: refresh: %s\n", gp_error_last());
		/* a delegate renewed by `ca-tool ocsp signer` has a new key: reload
		 * as SIGHUP does (a failed reload keeps what is loaded) */
		if (gp_ocsp_delegates_changed(l->r)) {
			fprintf(stderr, "ocsp-responder: an OCSP signer was installed or "
			    "renewed: reloading\n");
			kill(getpid(), SIGHUP);
		}
		live_put(l);
		pthread_mutex_lock(&stop_mu);
	}
	pthread_mutex_unlock(&stop_mu);
	return NULL;
}

/* ---- main --------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f, "usage: ocsp-responder [OPTIONS]\n\n"
	    "Answers OCSP requests (RFC 6960, RFC 9919) for the CAs of a govpki store.\n\n"
	    "  --config FILE       configuration file ([govpki] and [ocsp] sections)\n"
	    "  --home DIR          govpki home: the store is DIR/govpki.db (default\n"
	    "                      $GOVPKI_HOME, else .); opened read-only\n"
	    "  --listen ADDR:PORT  where to listen: IPv4:PORT, [IPv6]:PORT, localhost:PORT,\n"
	    "                      or :PORT for every IPv4 address (default [ocsp] listen,\n"
	    "                      127.0.0.1:8080; port 0 picks a free port)\n"
	    "  --port-file FILE    write the bound port to FILE once listening\n"
	    "  --pass-file FILE    key passphrase from FILE (else GOVPKI_PASSPHRASE, else\n"
	    "                      a prompt)\n"
	    "  --pin-file FILE     PIN of PKCS#11 tokens from FILE (else GOVPKI_PIN, else\n"
	    "                      [pkcs11] pin_file)\n"
	    "  --ca NAME           answer for CA NAME (repeatable; default: every CA\n"
	    "                      but the roots, or every CA with [ocsp] roots = yes)\n"
	    "  --signer-cert FILE  a delegated responder certificate (ocsp-signer profile)\n"
	    "  --signer-key FILE   its encrypted key\n"
	    "  --presigned         serve the responses `ca-tool ocsp presign` wrote into\n"
	    "                      the store, with no key ([ocsp] presigned = yes)\n"
	    "  --publish-dir DIR   serve DIR/ca/NAME.crt and DIR/crl/NAME.crl (what\n"
	    "                      `ca-tool crl --publish DIR` writes) at /ca/ and /crl/\n"
	    "                      ([daemon] publish_dir; off: none)\n"
	    "  --access-log FILE   a line per request to FILE ([daemon] access_log; off:\n"
	    "                      none, the default)\n"
	    "  --access-log-format clf|json  ([daemon] access_log_format, clf)\n"
	    "  --help, --version\n\n"
	    "Signals: SIGHUP reloads the configuration and keys and reopens the access log,\n"
	    "SIGTERM drains and exits.\n"
	    "Paths: POST / and GET /BASE64 (under [ocsp] path), GET /ca/NAME.crt,\n"
	    "GET /crl/NAME.crl, GET /healthz (JSON), GET /metrics.\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "home", required_argument, NULL, 'H' },
		{ "listen", required_argument, NULL, 'l' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "pin-file", required_argument, NULL, 'i' },
		{ "ca", required_argument, NULL, 'a' },
		{ "signer-cert", required_argument, NULL, 's' },
		{ "signer-key", required_argument, NULL, 'k' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "presigned", no_argument, NULL, 'S' },
		{ "publish-dir", required_argument, NULL, 'D' },
		{ "access-log", required_argument, NULL, 'L' },
		{ "access-log-format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	opts o;
	live *l = NULL, *nl;
	char *pass = NULL;
	size_t passlen = 0;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	const char *listen_at, *why;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem copts[DAEMON_CONNS_NOPTIONS], hopts[DAEMON_HTTP_NOPTIONS];
	daemon_limits lim;
	pthread_condattr_t ca;
	pthread_t rt;
	sigset_t set;
	unsigned flags, port, threads;
	size_t pool;
	long nproc;
	int c, sig, rc = 1, rt_ok = 0;
	uint64_t deadline;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'H': o.home = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'p': o.pass_file = optarg; break;
		case 'i':
			if (gp_key_p11_set_pin_file(optarg) != 0) {
				fprintf(stderr, "ocsp-responder: --pin-file: %s\n", gp_error_last());
				return 1;
			}
			break;
		case 's': o.signer_cert = optarg; break;
		case 'k': o.signer_key = optarg; break;
		case 'P': o.port_file = optarg; break;
		case 'S': o.presigned = 1; break;
		case 'D': o.publish_dir = optarg; break;
		case 'L': o.access_log = optarg; break;
		case 'F': o.access_log_format = optarg; break;
		case 'a':
			if (o.ncas == MAX_CAS) {
				fprintf(stderr, "ocsp-responder: at most %d --ca\n", MAX_CAS);
				return 2;
			}
			o.cas[o.ncas++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ocsp-responder (govpki) %s\n", gp_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ocsp-responder: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if ((o.signer_cert == NULL) != (o.signer_key == NULL)) {
		fprintf(stderr, "ocsp-responder: --signer-cert and --signer-key go together\n");
		return 2;
	}
	/* signals are taken by sigwait in this thread only */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (live_new(&l, &o, &pass, &passlen) != 0) {
		fprintf(stderr, "ocsp-responder: %s\n", gp_error_last());
		goto out;
	}
	current = l;
	if (daemon_log_setup(&access_log, gp_ctx_config(l->ctx), o.access_log,
	    o.access_log_format, "ocsp-responder") != 0)
		goto out;
	listen_at = o.listen ? o.listen : l->set.listen;
	if (daemon_parse_listen(&ss, &sslen, listen_at, DAEMON_LISTEN_ANY_HOST, &why) != 0) {
		fprintf(stderr, "ocsp-responder: cannot listen on '%s': %s (want IPv4:PORT, "
		    "[IPv6]:PORT, localhost:PORT or :PORT)\n", listen_at, why);
		goto out;
	}
	nproc = sysconf(_SC_NPROCESSORS_ONLN);
	threads = l->set.threads > 0 ? (unsigned)l->set.threads : (unsigned)(nproc > 0 ? nproc : 1);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO |
	    MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	/* libmicrohttpd zeroes a connection's memory pool after each request
	 * (7% of the cached-GET path at 64 KiB): size it for the longest GET
	 * path the configuration accepts, the base64 of max_request_bytes with
	 * its '/', '+' and '=' percent-escaped (RFC 6960 A.1), plus headers */
	pool = ((size_t)l->set.max_request + 2) / 3 * 4 * 5 / 4 + 4096;
	if (pool < 16 * 1024)
		pool = 16 * 1024;
	/* idle connections must not stop the service (daemon_conns.h); the
	 * limits are read at start, a SIGHUP does not change them */
	lim.max = (unsigned)l->set.max_connections;
	lim.per_client = (unsigned)l->set.max_per_client;
	lim.timeout = (unsigned)l->set.timeout;
	if (daemon_conns_new(&conns, &lim, "ocsp-responder") != 0) {
		fprintf(stderr, "ocsp-responder: out of memory\n");
		goto out;
	}
	daemon_conns_set_log(conns, access_log);
	daemon_conns_options(copts, conns);
	daemon_http_options(hopts);
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_ARRAY, copts,
	    MHD_OPTION_ARRAY, hopts,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "ocsp-responder: cannot start the HTTP server on %s\n", listen_at);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info != NULL ? info->port : 0;
	if (o.port_file != NULL && daemon_write_port_file(o.port_file, port) != 0) {
		fprintf(stderr, "ocsp-responder: cannot write %s: %s\n", o.port_file, strerror(errno));
		goto out;
	}
	printf("ocsp-responder: listening on port %u with %u threads\n", port, threads);
	fflush(stdout);

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&stop_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&rt, NULL, refresher, NULL) != 0) {
		fprintf(stderr, "ocsp-responder: cannot start the refresher\n");
		goto out;
	}
	rt_ok = 1;

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		if (daemon_log_reopen(access_log) != 0)
			fprintf(stderr, "ocsp-responder: cannot reopen the access log, keeping the "
			    "old file: %s\n", strerror(errno));
		if (live_new(&nl, &o, &pass, &passlen) != 0) {
			fprintf(stderr, "ocsp-responder: reload failed, keeping the old "
			    "configuration: %s\n", gp_error_last());
			continue;
		}
		pthread_rwlock_wrlock(&live_lock);
		l = current;
		current = nl;
		pthread_rwlock_unlock(&live_lock);
		live_put(l);
		l = NULL;
		fprintf(stderr, "ocsp-responder: configuration and keys reloaded\n");
	}
	/* SIGTERM: stop accepting, let the connections finish, then stop */
	fprintf(stderr, "ocsp-responder: draining\n");
	MHD_quiesce_daemon(d);
	deadline = now_ns() + (uint64_t)current->set.drain * 1000000000u;
	while (now_ns() < deadline) {
		struct timespec nap = { 0, 20 * 1000 * 1000 };

		info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (info == NULL || info->num_connections == 0)
			break;
		nanosleep(&nap, NULL);
	}
	rc = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	if (rt_ok) {
		pthread_mutex_lock(&stop_mu);
		stopping = 1;
		pthread_cond_broadcast(&stop_cv);
		pthread_mutex_unlock(&stop_mu);
		pthread_join(rt, NULL);
	}
	daemon_conns_free(conns);
	daemon_log_free(access_log);
	live_put(current);
	gp_pass_free(pass, passlen);
	return rc;
}
