/* svs/svs_fetch.c: svs-server's revocation data: CRLs fetched from their distribution points (libcurl) and OCSP answers, cached */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <govpki/error.h>
#include <govpki/mem.h>
#include <govpki/verify.h>
#include <govpki/x509util.h>

#include "svs_fetch.h"

#define MAX_CRL (1 << 20)        /* bytes of a CRL fetched */
#define MAX_ENTRIES 4096         /* CRL URLs and OCSP answers kept, each */
#define FETCH_TIMEOUT 5L

struct crl_entry {
	char *url;
	X509_CRL *crl;               /* NULL: the last fetch failed */
	int64_t fetched, expires;    /* unix */
	unsigned long long fetches, failures;
	char error[128];
};

struct ocsp_entry {
	unsigned char key[32];       /* SHA-256 of url, NUL, request */
	char *url;
	unsigned char *der;
	size_t len;
	int64_t fetched, expires;
};

struct svs_cache {
	pthread_mutex_t mu;
	long crl_max, ocsp_max;
	struct crl_entry *crls;
	size_t ncrls;
	struct ocsp_entry *ocsp;
	size_t nocsp;
	unsigned long long ocsp_hits, ocsp_fetches, ocsp_failures;
};

int
svs_cache_new(svs_cache **out, long crl_max, long ocsp_max)
{
	svs_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return -1;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return -1;
	}
	c->crl_max = crl_max;
	c->ocsp_max = ocsp_max;
	*out = c;
	return 0;
}

void
svs_cache_free(svs_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ncrls; i++) {
		free(c->crls[i].url);
		X509_CRL_free(c->crls[i].crl);
	}
	for (size_t i = 0; i < c->nocsp; i++) {
		free(c->ocsp[i].url);
		free(c->ocsp[i].der);
	}
	free(c->crls);
	free(c->ocsp);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct buf {
	unsigned char *p;
	size_t len;
	int too_big;
};

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t k = size * n;
	unsigned char *np;

	if (b->len + k > MAX_CRL) {
		b->too_big = 1;
		return 0;     /* ends the transfer */
	}
	if ((np = realloc(b->p, b->len + k)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, k);
	b->len += k;
	return k;
}

/* GET url (http:// only): the CRL, or NULL with why. */
static X509_CRL *
fetch_crl(const char *url, char *why, size_t whylen)
{
	CURL *h = curl_easy_init();
	struct buf b = { NULL, 0, 0 };
	X509_CRL *crl = NULL;
	long code = 0;
	CURLcode rc;

	if (h == NULL) {
		snprintf(why, whylen, "libcurl: cannot start a transfer");
		return NULL;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, FETCH_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, FETCH_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "govpki-svs");
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (b.too_big)
		snprintf(why, whylen, "more than %d bytes", MAX_CRL);
	else if (rc != CURLE_OK)
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
	else if (code != 200)
		snprintf(why, whylen, "HTTP status %ld", code);
	else {
		const unsigned char *q = b.p;

		/* RFC 5280 §4.2.1.13: a DER CRL over HTTP (RFC 2585 §3); PEM too */
		if ((crl = d2i_X509_CRL(NULL, &q, (long)b.len)) == NULL) {
			BIO *m = BIO_new_mem_buf(b.p, (int)b.len);

			if (m != NULL)
				crl = PEM_read_bio_X509_CRL(m, NULL, NULL, NULL);
			BIO_free(m);
		}
		if (crl == NULL)
			snprintf(why, whylen, "not a CRL (DER or PEM)");
	}
	ERR_clear_error();
	free(b.p);
	return crl;
}

static json_t *
time_str(const ASN1_TIME *t)
{
	int64_t v;
	char s[32];
	struct tm tm;
	time_t tt;

	if (t == NULL || gp_time_from_asn1(&v, t) != 0) {
		gp_error_clear();
		return json_null();
	}
	tt = (time_t)v;
	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(s);
}

/* The CRL of url: from the cache while current, else fetched; described in info. */
static X509_CRL *
crl_of(svs_cache *c, const char *url, json_t *info)
{
	int64_t now = (int64_t)time(NULL), nu = 0, fetched;
	struct crl_entry *e = NULL;
	X509_CRL *crl = NULL, *old = NULL;
	char why[128] = "";
	int cached = 0;

	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->ncrls; i++)
		if (strcmp(c->crls[i].url, url) == 0)
			e = &c->crls[i];
	if (e != NULL && e->crl != NULL && now < e->expires) {
		crl = e->crl;
		X509_CRL_up_ref(crl);
		fetched = e->fetched;
		cached = 1;
	}
	pthread_mutex_unlock(&c->mu);
	if (!cached) {
		/* fetched without the lock: a slow distribution point holds up
		 * only the requests that need it */
		crl = fetch_crl(url, why, sizeof(why));
		fetched = now;
		if (crl != NULL && X509_CRL_get0_nextUpdate(crl) != NULL &&
		    gp_time_from_asn1(&nu, X509_CRL_get0_nextUpdate(crl)) != 0)
			nu = 0;
		gp_error_clear();
		pthread_mutex_lock(&c->mu);
		e = NULL;
		for (size_t i = 0; i < c->ncrls; i++)
			if (strcmp(c->crls[i].url, url) == 0)
				e = &c->crls[i];
		if (e == NULL && c->ncrls < MAX_ENTRIES) {
			struct crl_entry *nv = realloc(c->crls, (c->ncrls + 1) * sizeof(*nv));
			char *u = strdup(url);

			if (nv != NULL)
				c->crls = nv;
			if (nv != NULL && u != NULL) {
				e = &c->crls[c->ncrls++];
				memset(e, 0, sizeof(*e));
				e->url = u;
			} else
				free(u);
		}
		if (e != NULL) {
			e->fetches++;
			if (crl != NULL) {
				old = e->crl;
				e->crl = crl;
				X509_CRL_up_ref(crl);
				e->fetched = now;
				/* until nextUpdate, and never longer than the bound */
				e->expires = now + c->crl_max;
				if (nu > 0 && nu < e->expires)
					e->expires = nu;
				e->error[0] = '\0';
			} else {
				e->failures++;
				snprintf(e->error, sizeof(e->error), "%s", why);
			}
		}
		pthread_mutex_unlock(&c->mu);
		X509_CRL_free(old);
	}
	if (crl == NULL)
		json_array_append_new(info, json_pack("{s:s, s:s}", "url", url, "error", why));
	else {
		char *iss = NULL;

		if (gp_name_to_string(&iss, X509_CRL_get_issuer(crl)) != 0)
			gp_error_clear();
		json_array_append_new(info, json_pack("{s:s, s:s, s:o, s:o, s:I, s:b}", "url", url,
		    "issuer", iss != NULL ? iss : "", "this_update", time_str(X509_CRL_get0_lastUpdate(crl)),
		    "next_update", time_str(X509_CRL_get0_nextUpdate(crl)),
		    "age_seconds", (json_int_t)(now - fetched), "cached", cached));
		gp_free(iss);
	}
	return crl;
}

int
svs_cache_crls(svs_cache *c, STACK_OF(X509) *certs, STACK_OF(X509_CRL) *crls, json_t *info)
{
	char *seen[64];
	size_t nseen = 0;
	int added = 0;

	for (int i = 0; i < sk_X509_num(certs); i++) {
		STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(sk_X509_value(certs, i),
		    NID_crl_distribution_points, NULL, NULL);

		for (int k = 0; k < sk_DIST_POINT_num(dps); k++) {
			DIST_POINT *dp = sk_DIST_POINT_value(dps, k);
			GENERAL_NAMES *gns;

			if (dp->distpoint == NULL || dp->distpoint->type != 0)
				continue;
			gns = dp->distpoint->name.fullname;
			for (int g = 0; g < sk_GENERAL_NAME_num(gns); g++) {
				GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, g);
				const char *u;
				size_t s;
				X509_CRL *crl;

				if (gn->type != GEN_URI)
					continue;
				u = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
				if ((size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier) != strlen(u) ||
				    strncmp(u, "http://", 7) != 0)
					continue;
				for (s = 0; s < nseen && strcmp(seen[s], u) != 0; s++)
					;
				if (s < nseen || nseen == sizeof(seen) / sizeof(seen[0]))
					continue;
				if ((seen[nseen] = strdup(u)) == NULL)
					continue;
				nseen++;
				if ((crl = crl_of(c, u, info)) != NULL) {
					if (sk_X509_CRL_push(crls, crl))
						added++;
					else
						X509_CRL_free(crl);
				}
			}
		}
		sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	}
	ERR_clear_error();
	for (size_t s = 0; s < nseen; s++)
		free(seen[s]);
	return added;
}

/* When the OCSP response der stops being current: its first
 * SingleResponse's nextUpdate (RFC 6960 §4.2.2.1), at most max seconds
 * from now; 0 when it is not a successful response worth keeping. */
static int64_t
ocsp_expiry(const unsigned char *der, size_t len, int64_t now, long max)
{
	const unsigned char *q = der;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &q, (long)len);
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *nu = NULL;
	int64_t exp = 0, t;

	if (r == NULL || OCSP_response_status(r) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(r)) == NULL || OCSP_resp_count(bs) < 1)
		goto out;
	OCSP_single_get0_status(OCSP_resp_get0(bs, 0), NULL, NULL, NULL, &nu);
	exp = now + max;
	if (nu != NULL && gp_time_from_asn1(&t, nu) == 0 && t < exp)
		exp = t;
	/* without nextUpdate, no newer answer is promised (RFC 6960 §4.2.2.1):
	 * kept for the bound only */
out:
	gp_error_clear();
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	return exp > now ? exp : 0;
}

int
svs_ocsp_fetch(unsigned char **resp, size_t *resp_len, void *arg, const char *url,
    const unsigned char *req, size_t req_len, int timeout)
{
	svs_ocsp_use *use = arg;
	svs_cache *c = use->cache;
	unsigned char key[32];
	int64_t now = (int64_t)time(NULL), exp;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int kl = 0;
	int r;

	*resp = NULL;
	*resp_len = 0;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, url, strlen(url) + 1) != 1 || EVP_DigestUpdate(md, req, req_len) != 1 ||
	    EVP_DigestFinal_ex(md, key, &kl) != 1) {
		EVP_MD_CTX_free(md);
		ERR_clear_error();
		/* no key: asked without the cache */
		return gp_verify_http_fetch(resp, resp_len, NULL, url, req, req_len, timeout);
	}
	EVP_MD_CTX_free(md);
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nocsp; i++) {
		struct ocsp_entry *e = &c->ocsp[i];

		if (memcmp(e->key, key, sizeof(key)) == 0 && now < e->expires &&
		    (*resp = OPENSSL_malloc(e->len)) != NULL) {
			memcpy(*resp, e->der, e->len);
			*resp_len = e->len;
			c->ocsp_hits++;
			use->hits++;
			if (use->oldest == 0 || e->fetched < use->oldest)
				use->oldest = e->fetched;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
	}
	c->ocsp_fetches++;
	pthread_mutex_unlock(&c->mu);
	use->fetches++;
	if ((r = gp_verify_http_fetch(resp, resp_len, NULL, url, req, req_len, timeout)) != 0) {
		pthread_mutex_lock(&c->mu);
		c->ocsp_failures++;
		pthread_mutex_unlock(&c->mu);
		use->failures++;
		return r;
	}
	if (use->oldest == 0)
		use->oldest = now;
	if ((exp = ocsp_expiry(*resp, *resp_len, now, c->ocsp_max)) == 0)
		return 0;
	pthread_mutex_lock(&c->mu);
	{
		struct ocsp_entry *e = NULL;

		for (size_t i = 0; i < c->nocsp; i++)
			if (memcmp(c->ocsp[i].key, key, sizeof(key)) == 0)
				e = &c->ocsp[i];
		/* full: the entry that expires first makes room */
		if (e == NULL && c->nocsp == MAX_ENTRIES) {
			e = &c->ocsp[0];
			for (size_t i = 1; i < c->nocsp; i++)
				if (c->ocsp[i].expires < e->expires)
					e = &c->ocsp[i];
		}
		if (e == NULL) {
			struct ocsp_entry *nv = realloc(c->ocsp, (c->nocsp + 1) * sizeof(*nv));

			if (nv != NULL) {
				c->ocsp = nv;
				e = &c->ocsp[c->nocsp++];
				memset(e, 0, sizeof(*e));
			}
		}
		if (e != NULL) {
			unsigned char *d = malloc(*resp_len);
			char *u = strdup(url);

			if (d != NULL && u != NULL) {
				free(e->der);
				free(e->url);
				memcpy(d, *resp, *resp_len);
				memcpy(e->key, key, sizeof(key));
				e->der = d;
				e->len = *resp_len;
				e->url = u;
				e->fetched = now;
				e->expires = exp;
			} else {
				free(d);
				free(u);
			}
		}
	}
	pthread_mutex_unlock(&c->mu);
	return 0;
}

/* A Prometheus label value: '\', '"' and newline escaped. */
static void
label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void
svs_cache_metrics(svs_cache *c, FILE *f)
{
	int64_t now = (int64_t)time(NULL), oldest = 0;
	size_t current = 0;

	pthread_mutex_lock(&c->mu);
	fprintf(f, "# HELP svs_crl_cache_entries CRL distribution points known\n"
	    "# TYPE svs_crl_cache_entries gauge\nsvs_crl_cache_entries %zu\n", c->ncrls);
	fprintf(f, "# HELP svs_crl_age_seconds seconds since the CRL was fetched\n"
	    "# TYPE svs_crl_age_seconds gauge\n");
	for (size_t i = 0; i < c->ncrls; i++)
		if (c->crls[i].crl != NULL) {
			fputs("svs_crl_age_seconds{url=\"", f);
			label(f, c->crls[i].url);
			fprintf(f, "\"} %lld\n", (long long)(now - c->crls[i].fetched));
		}
	fprintf(f, "# HELP svs_crl_expires_seconds seconds until the cached CRL is fetched again\n"
	    "# TYPE svs_crl_expires_seconds gauge\n");
	for (size_t i = 0; i < c->ncrls; i++)
		if (c->crls[i].crl != NULL) {
			fputs("svs_crl_expires_seconds{url=\"", f);
			label(f, c->crls[i].url);
			fprintf(f, "\"} %lld\n", (long long)(c->crls[i].expires - now));
		}
	fprintf(f, "# HELP svs_crl_fetches_total CRL fetches by URL\n# TYPE svs_crl_fetches_total counter\n");
	for (size_t i = 0; i < c->ncrls; i++) {
		fputs("svs_crl_fetches_total{url=\"", f);
		label(f, c->crls[i].url);
		fprintf(f, "\"} %llu\n", c->crls[i].fetches);
	}
	fprintf(f, "# HELP svs_crl_fetch_failures_total failed CRL fetches by URL\n"
	    "# TYPE svs_crl_fetch_failures_total counter\n");
	for (size_t i = 0; i < c->ncrls; i++) {
		fputs("svs_crl_fetch_failures_total{url=\"", f);
		label(f, c->crls[i].url);
		fprintf(f, "\"} %llu\n", c->crls[i].failures);
	}
	for (size_t i = 0; i < c->nocsp; i++)
		if (now < c->ocsp[i].expires) {
			current++;
			if (oldest == 0 || c->ocsp[i].fetched < oldest)
				oldest = c->ocsp[i].fetched;
		}
	fprintf(f, "# HELP svs_ocsp_cache_entries OCSP answers cached and current\n"
	    "# TYPE svs_ocsp_cache_entries gauge\nsvs_ocsp_cache_entries %zu\n", current);
	fprintf(f, "# HELP svs_ocsp_age_seconds_max age of the oldest current OCSP answer\n"
	    "# TYPE svs_ocsp_age_seconds_max gauge\nsvs_ocsp_age_seconds_max %lld\n",
	    (long long)(oldest != 0 ? now - oldest : 0));
	fprintf(f, "# TYPE svs_ocsp_cache_hits_total counter\nsvs_ocsp_cache_hits_total %llu\n"
	    "# TYPE svs_ocsp_fetches_total counter\nsvs_ocsp_fetches_total %llu\n"
	    "# TYPE svs_ocsp_fetch_failures_total counter\nsvs_ocsp_fetch_failures_total %llu\n",
	    c->ocsp_hits, c->ocsp_fetches, c->ocsp_failures);
	pthread_mutex_unlock(&c->mu);
}
