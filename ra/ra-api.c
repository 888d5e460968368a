/* ra/ra-api.c: ra-server's endpoint handlers (JSON in, JSON/PEM/DER out) over the RA library */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ra_server.h"

/* ------------------------------------------------------------ helpers */

static void
hex(char *out, const unsigned char *b, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
iso(char out[32], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0) {
		out[0] = '\0';
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A request id: decimal 1..2^53. */
static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]) || strlen(s) > 16)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > (1LL << 53))
		return -1;
	*id = v;
	return 0;
}

/* A serial: 1..40 hex digits (RFC 5280 §4.1.2.2: at most 20 octets),
 * minimal as stored (a leading 00 only before a high bit). */
static int
parse_serial(const char *s, unsigned char *out, size_t *len)
{
	size_t n = s ? strlen(s) : 0, i, j = 0;
	unsigned char tmp[GP_SERIAL_MAX + 1];

	if (n == 0 || n > 2 * GP_SERIAL_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	i = 0;
	if (n % 2) {
		char b[2] = { s[0], 0 };

		tmp[j++] = (unsigned char)strtol(b, NULL, 16);
		i = 1;
	}
	for (; i < n; i += 2) {
		char b[3] = { s[i], s[i + 1], 0 };

		tmp[j++] = (unsigned char)strtol(b, NULL, 16);
	}
	/* strip leading zero octets unless the next has its top bit set */
	i = 0;
	while (j - i > 1 && tmp[i] == 0 && !(tmp[i + 1] & 0x80))
		i++;
	if (j - i > GP_SERIAL_MAX)
		return -1;
	memcpy(out, tmp + i, j - i);
	*len = j - i;
	return 0;
}

/* unix seconds, "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ", read by
 * gp_time_parse (OpenSSL's calendar: 2026-02-30 is refused, not moved to
 * 2 March); -1 with gp_error_last() saying why */
static int
parse_time(const char *s, int64_t *out)
{
	char at[34];

	if (strlen(s) > 32)
		return gp_time_parse(out, s, 0) == 0 ? 0 : -1;
	if (strchr(s, '-') == NULL) {
		snprintf(at, sizeof(at), "@%s", s);
		return gp_time_parse(out, at, GP_TIME_SECONDS) == 0 ? 0 : -1;
	}
	return gp_time_parse(out, s, GP_TIME_DATE | GP_TIME_DATETIME) == 0 ? 0 : -1;
}

/* ?limit= within 1..max_page (default 50 or max_page if smaller). */
static int
parse_limit(hreq *rq, hresp *rs, int64_t *limit)
{
	const char *l = query(rq, "limit");
	int64_t v;

	*limit = ra_srv->set.max_page < 50 ? ra_srv->set.max_page : 50;
	if (l == NULL)
		return 0;
	if (parse_id(l, &v) != 0 || v > ra_srv->set.max_page) {
		problem(rs, 400, "bad-parameter", "Bad query parameter",
		    "limit must be a number from 1 to %ld", ra_srv->set.max_page);
		return -1;
	}
	*limit = v;
	return 0;
}

static int
parse_cursor(hreq *rq, hresp *rs, int64_t *after)
{
	const char *c = query(rq, "cursor");

	*after = 0;
	if (c != NULL && parse_id(c, after) != 0) {
		problem(rs, 400, "bad-parameter", "Bad query parameter", "cursor is not one this server gave");
		return -1;
	}
	return 0;
}

/* A filter value: printable, at most max bytes. */
static int
check_filter(hresp *rs, const char *name, const char *v, size_t max)
{
	if (v == NULL)
		return 0;
	if (*v == '\0' || strlen(v) > max) {
		problem(rs, 400, "bad-parameter", "Bad query parameter", "%s must be 1 to %zu bytes",
		    name, max);
		return -1;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			problem(rs, 400, "bad-parameter", "Bad query parameter",
			    "%s contains a control character", name);
			return -1;
		}
	return 0;
}

/* What the other handler files (ra-view.c) share of these helpers
 * (ra_server.h). */
void
ra_hex(char *out, const unsigned char *b, size_t n)
{
	hex(out, b, n);
}

void
ra_iso(char out[32], int64_t t)
{
	iso(out, t);
}

int
ra_parse_time(const char *s, int64_t *out)
{
	return parse_time(s, out);
}

int
ra_parse_limit(hreq *rq, hresp *rs, int64_t *limit)
{
	return parse_limit(rq, rs, limit);
}

int
ra_parse_cursor(hreq *rq, hresp *rs, int64_t *after)
{
	return parse_cursor(rq, rs, after);
}

int
ra_check_filter(hresp *rs, const char *name, const char *v, size_t max)
{
	return check_filter(rs, name, v, max);
}

/* The answer to a check of the library that refused (GP_E_DENIED): 403
 * with the rule as the problem type, or 404 for another applicant's
 * request (not told apart from none); any other failure as reply_gp. */
static int
reply_denied(hresp *rs, int r, int rule, const char *what)
{
	if (r != GP_E_DENIED)
		return reply_gp(rs, r, what);
	if (rule == GP_RA_RULE_OTHERS)
		return problem(rs, 404, "not-found", "Not found", "%s", ra_error_last());
	return problem(rs, 403, gp_ra_rule_name(rule), "Forbidden", "%s", ra_error_last());
}

/* The principal the library's checks take: the endpoint table lets no
 * anonymous caller reach a handler that needs one, so this only guards. */
static const gp_ra_principal *
who_p(hreq *rq, hresp *rs)
{
	if (rq->who.p == NULL)
		problem(rs, 401, "unauthenticated", "Authentication required",
		    "this needs an API token or an officer certificate");
	return rq->who.p;
}

static json_t *
request_json(const gp_ra_request *q)
{
	char t1[32], t2[32], sn[2 * GP_SERIAL_MAX + 1];
	json_t *j, *a;

	iso(t1, q->submitted);
	iso(t2, q->updated);
	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
	    "id", (json_int_t)q->id, "kind", q->kind == GP_RA_ISSUE ? "issue" : "revoke",
	    "status", gp_ra_status_name(q->status), "ca", q->ca, "submitter", q->submitter,
	    "submitted", t1, "updated", t2, "approvals_needed", q->approvals_needed);
	if (j == NULL)
		return NULL;
	if (q->profile)
		json_object_set_new(j, "profile", json_string(q->profile));
	if (q->subject)
		json_object_set_new(j, "subject", json_string(q->subject));
	if (q->sans)
		json_object_set_new(j, "san", json_string(q->sans));
	if (q->contact_name || q->contact_email || q->contact_phone) {
		json_t *c = json_object();

		if (q->contact_name)
			json_object_set_new(c, "name", json_string(q->contact_name));
		if (q->contact_email)
			json_object_set_new(c, "email", json_string(q->contact_email));
		if (q->contact_phone)
			json_object_set_new(c, "phone", json_string(q->contact_phone));
		json_object_set_new(j, "contact", c);
	}
	if (q->reason)
		json_object_set_new(j, "reason", json_string(q->reason));
	/* the CSR itself, decoded, for the officers (issue 20.5): what the key
	 * really is and what names the CSR asks for, beside subject/san above,
	 * which may be given in the request body instead */
	if (q->kind == GP_RA_ISSUE && q->csr != NULL) {
		gp_ra_csr_summary cs;

		if (gp_ra_csr_summary_of(&cs, q->csr, q->csr_len) == 0) {
			json_t *c = json_pack("{s:s, s:s, s:i, s:s, s:b}", "subject", cs.subject,
			    "key_type", cs.key, "key_bits", cs.key_bits, "signature_algorithm",
			    cs.sig_alg, "signature_valid", cs.signature_ok);

			if (c != NULL && cs.sans != NULL)
				json_object_set_new(c, "san", json_string(cs.sans));
			if (c != NULL)
				json_object_set_new(j, "csr", c);
			gp_ra_csr_summary_clear(&cs);
		}
		gp_error_clear();
	}
	if (q->kind == GP_RA_REVOKE)
		json_object_set_new(j, "revocation_reason", json_string(gp_reason_name(q->revoke_reason)));
	if (q->serial_len > 0) {
		hex(sn, q->serial, q->serial_len);
		json_object_set_new(j, "serial", json_string(sn));
	}
	if (q->approvers != NULL) {
		json_t *cm = NULL;

		a = json_array();
		for (size_t i = 0; i < q->napprovers; i++) {
			json_array_append_new(a, json_string(q->approvers[i]));
			if (q->comments == NULL || q->comments[i] == NULL)
				continue;
			if (cm == NULL)
				cm = json_object();
			json_object_set_new(cm, q->approvers[i], json_string(q->comments[i]));
		}
		json_object_set_new(j, "approvals", a);
		/* each approving officer's comment, by officer */
		if (cm != NULL)
			json_object_set_new(j, "approval_comments", cm);
	}
	return j;
}

/* -------------------------------------------------------------- public */

int
h_healthz(worker *w, hreq *rq, hresp *rs)
{
	int64_t rev;

	if (gp_store_revision(gp_ctx_store(w->ctx), &rev) != 0)
		return problem(rs, 503, "unavailable", "Unhealthy", "store: %s", ra_error_last());
	return reply_json(rs, 200, json_pack("{s:s, s:I}", "status", "ok", "revision", (json_int_t)rev));
}

/* gp_store_cert_list's callback that only counts */
static int
count_cert(void *arg, const gp_cert_info *c)
{
	(void)c;
	(*(int64_t *)arg)++;
	return 0;
}

int
h_metrics(worker *w, hreq *rq, hresp *rs)
{
	int64_t counts[GP_RA__NSTATUS];
	size_t cap = 65536, len = 0;
	char *b = malloc(cap);

	if (b == NULL)
		return problem(rs, 500, "internal", "Internal error", "out of memory");
#define OUT(...) do { \
	int n_ = snprintf(b + len, cap - len, __VA_ARGS__); \
	if (n_ > 0 && (size_t)n_ >= cap - len) { \
		char *nb_ = realloc(b, cap * 2 + (size_t)n_); \
		if (nb_ == NULL) { free(b); return problem(rs, 500, "internal", "Internal error", "out of memory"); } \
		b = nb_; cap = cap * 2 + (size_t)n_; \
		n_ = snprintf(b + len, cap - len, __VA_ARGS__); \
	} \
	if (n_ > 0) len += (size_t)n_; \
} while (0)
	OUT("# HELP ra_http_requests_total HTTP requests by endpoint and status.\n"
	    "# TYPE ra_http_requests_total counter\n");
	for (size_t e = 0; e <= ra_nendpoints; e++) {
		const char *m = e < ra_nendpoints ? ra_endpoints[e].method : "";
		const char *p = e < ra_nendpoints ? ra_endpoints[e].path : "unmatched";

		for (int c = 0; c < 500; c++) {
			unsigned long v = __atomic_load_n(&ra_srv->hits[e * 500 + c], __ATOMIC_RELAXED);

			if (v)
				OUT("ra_http_requests_total{method=\"%s\",path=\"%s\",code=\"%d\"} %lu\n",
				    m, p, c + 100, v);
		}
	}
	OUT("# HELP ra_http_request_duration_seconds Time from request to response.\n"
	    "# TYPE ra_http_request_duration_seconds histogram\n");
	for (size_t e = 0; e < ra_nendpoints; e++) {
		unsigned long total = ra_srv->lat_buckets[e * (NBUCKETS + 1) + NBUCKETS];

		if (total == 0)
			continue;
		for (int k = 0; k < NBUCKETS; k++)
			OUT("ra_http_request_duration_seconds_bucket{method=\"%s\",path=\"%s\",le=\"%g\"} %lu\n",
			    ra_endpoints[e].method, ra_endpoints[e].path, ra_buckets[k],
			    ra_srv->lat_buckets[e * (NBUCKETS + 1) + k]);
		OUT("ra_http_request_duration_seconds_bucket{method=\"%s\",path=\"%s\",le=\"+Inf\"} %lu\n"
		    "ra_http_request_duration_seconds_sum{method=\"%s\",path=\"%s\"} %.6f\n"
		    "ra_http_request_duration_seconds_count{method=\"%s\",path=\"%s\"} %lu\n",
		    ra_endpoints[e].method, ra_endpoints[e].path, total,
		    ra_endpoints[e].method, ra_endpoints[e].path, ra_srv->lat_sum[e],
		    ra_endpoints[e].method, ra_endpoints[e].path, total);
	}
	{
		/* issue 20.6: good certificates of the RA's CA that expire soon
		 * (not yet expired), by window: what renewal alerts watch */
		static const int days[] = { 7, 30 };
		int64_t now = (int64_t)time(NULL);

		OUT("# HELP ra_certificates_expiring Good certificates of the CA that expire within "
		    "the window (and have not expired).\n# TYPE ra_certificates_expiring gauge\n");
		for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
			gp_cert_filter f = GP_CERT_FILTER_INIT;
			int64_t n = 0;

			f.ca_id = gp_ca_id(w->ca);
			f.status = GP_STATUS_GOOD;
			f.expires_after = now;
			f.expires_before = now + (int64_t)days[d] * 86400;
			if (gp_store_cert_list(gp_ctx_store(w->ctx), &f, count_cert, &n) == 0)
				OUT("ra_certificates_expiring{ca=\"%s\",within=\"%dd\"} %lld\n",
				    gp_ca_name(w->ca), days[d], (long long)n);
		}
	}
	if (gp_ra_count(w->ra, counts) == 0) {
		OUT("# HELP ra_requests RA requests by status.\n# TYPE ra_requests gauge\n");
		for (int s = 0; s < GP_RA__NSTATUS; s++)
			OUT("ra_requests{status=\"%s\"} %lld\n", gp_ra_status_name(s), (long long)counts[s]);
	}
	OUT("# HELP ra_certificates_issued_total Certificates issued by this process.\n"
	    "# TYPE ra_certificates_issued_total counter\nra_certificates_issued_total %lu\n"
	    "# HELP ra_issuance_failed_total Approved requests that failed.\n"
	    "# TYPE ra_issuance_failed_total counter\nra_issuance_failed_total %lu\n"
	    "# HELP ra_auth_refused_total Refused logins.\n"
	    "# TYPE ra_auth_refused_total counter\nra_auth_refused_total %lu\n"
	    "# HELP ra_rate_limited_total Requests refused by the rate limit.\n"
	    "# TYPE ra_rate_limited_total counter\nra_rate_limited_total %lu\n"
	    "# HELP ra_write_groups_total Transactions of the writer thread (group commits).\n"
	    "# TYPE ra_write_groups_total counter\nra_write_groups_total %lu\n"
	    "# HELP ra_group_writes_total Writes committed in those groups.\n"
	    "# TYPE ra_group_writes_total counter\nra_group_writes_total %lu\n",
	    ra_srv->issued, ra_srv->failed, ra_srv->refused, ra_srv->limited,
	    __atomic_load_n(&ra_srv->groups, __ATOMIC_RELAXED),
	    __atomic_load_n(&ra_srv->group_writes, __ATOMIC_RELAXED));
	OUT("# HELP ra_connections HTTP connections open.\n"
	    "# TYPE ra_connections gauge\nra_connections %llu\n"
	    "# HELP ra_connections_closed_idle_total Idle connections closed to make room past "
	    "max_connections.\n"
	    "# TYPE ra_connections_closed_idle_total counter\nra_connections_closed_idle_total %llu\n",
	    daemon_conns_open(ra_srv->conns), daemon_conns_closed_idle(ra_srv->conns));
#undef OUT
	free(rs->body);
	rs->body = b;
	rs->len = len;
	rs->status = 200;
	rs->ctype = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}

int
h_challenge(worker *w, hreq *rq, hresp *rs)
{
	char *c = NULL;
	json_t *j;

	if (gp_ra_challenge_new(w->ra, &c) != 0)
		return reply_gp(rs, gp_error_last_code(), "challenge");
	j = json_pack("{s:s, s:I, s:s}", "challenge", c, "expires_in",
	    (json_int_t)ra_srv->set.challenge_ttl, "sign",
	    "govpki-revoke:<challenge>:<serial in lower-case hex>:<reason>");
	free(c);
	return reply_json(rs, 200, j);
}

/* ------------------------------------------------------------ requests */

/* ------------------------------------------- writes for the writer thread */


struct rejection {
	int64_t id;
	const char *officer, *reason;
};

static int
do_reject(gp_ra *ra, void *arg)
{
	const struct rejection *c = arg;

	return gp_ra_reject(ra, c->id, c->officer, c->reason);
}

struct proven {
	int *stored;
	const unsigned char *sn;
	size_t snlen;
	int reason;
	const char *challenge;
	const unsigned char *sig;
	size_t siglen;
};

static int
do_proven(gp_ra *ra, void *arg)
{
	const struct proven *c = arg;

	return gp_ra_revoke_proven(c->stored, ra, c->sn, c->snlen, c->reason, c->challenge,
	    c->sig, c->siglen);
}

struct revocation {
	int64_t *id;
	const unsigned char *sn;
	size_t snlen;
	int reason;
	const char *submitter;
};

static int
do_submit_revoke(gp_ra *ra, void *arg)
{
	const struct revocation *c = arg;

	return gp_ra_submit_revoke(ra, c->id, c->sn, c->snlen, c->reason, c->submitter);
}

int
h_submit(worker *w, hreq *rq, hresp *rs)
{
	static const jfield top[] = {
		{ "csr", JSON_STRING, 1 }, { "profile", JSON_STRING, 1 },
		{ "subject", JSON_STRING, 0 }, { "san", JSON_ARRAY, 0 },
		{ "contact", JSON_OBJECT, 0 }, { NULL, 0, 0 } };
	static const jfield contact[] = {
		{ "name", JSON_STRING, 0 }, { "email", JSON_STRING, 1 },
		{ "phone", JSON_STRING, 0 }, { NULL, 0, 0 } };
	json_t *j = NULL, *san, *c, *v;
	const gp_profile *prof;
	gp_ra_submission sub;
	wop op;
	char *sans = NULL;
	size_t i, sl = 0;
	int r, rule;

	memset(&op, 0, sizeof(op));
	if (parse_body(rq, rs, &j) != 0 || check_fields(rs, j, "request", top) != 0)
		goto out;
	memset(&sub, 0, sizeof(sub));
	sub.profile = json_string_value(json_object_get(j, "profile"));
	sub.csr = (const unsigned char *)json_string_value(json_object_get(j, "csr"));
	sub.csr_len = json_string_length(json_object_get(j, "csr"));
	sub.subject = json_string_value(json_object_get(j, "subject"));
	if ((c = json_object_get(j, "contact")) != NULL) {
		if (check_fields(rs, c, "contact", contact) != 0)
			goto out;
		sub.contact_name = json_string_value(json_object_get(c, "name"));
		sub.contact_email = json_string_value(json_object_get(c, "email"));
		sub.contact_phone = json_string_value(json_object_get(c, "phone"));
	}
	if ((san = json_object_get(j, "san")) != NULL) {
		if (json_array_size(san) == 0 || json_array_size(san) > 64) {
			problem(rs, 400, "bad-field", "Bad field", "san must list 1 to 64 names");
			goto out;
		}
		json_array_foreach(san, i, v) {
			if (!json_is_string(v)) {
				problem(rs, 400, "wrong-type", "Wrong type", "san[%zu] must be a string", i);
				goto out;
			}
			sl += json_string_length(v) + 1;
		}
		if ((sans = calloc(1, sl + 1)) == NULL) {
			problem(rs, 500, "internal", "Internal error", "out of memory");
			goto out;
		}
		json_array_foreach(san, i, v) {
			if (strchr(json_string_value(v), ',') != NULL) {
				problem(rs, 400, "bad-field", "Bad field", "san[%zu] contains a comma", i);
				goto out;
			}
			if (i)
				strcat(sans, ",");
			strcat(sans, json_string_value(v));
		}
		sub.sans = sans;
	}
	if ((prof = gp_profiles_get(gp_ctx_profiles(w->ctx), sub.profile)) == NULL) {
		problem(rs, 400, "unknown-profile", "Unknown profile", "unknown profile '%.64s'",
		    sub.profile);
		goto out;
	}
	/* a token within its profiles (gp_ra_may_submit) */
	if (who_p(rq, rs) == NULL)
		goto out;
	if ((r = gp_ra_may_submit(&rule, w->ra, rq->who.p, prof)) != 0) {
		reply_denied(rs, r, rule, "request refused");
		goto out;
	}
	/* what the CA is (its path length, its own revocation), before the CSR */
	if (gp_ca_may_issue(w->ca, sub.profile) != 0) {
		problem(rs, 400, "profile-not-issuable", "The CA cannot issue this profile", "%s",
		    ra_error_last());
		goto out;
	}
	sub.submitter = gp_ra_principal_name(rq->who.p);
	/* the CSR checks here, on this thread; the write in the writer's group */
	if ((r = gp_ra_submit_check(w->ra, &sub)) == 0) {
		op.kind = WOP_SUBMIT;
		op.grouped = 1;
		op.sub = &sub;
		r = ra_write(&op);
	}
	if (r != 0) {
		if (r == GP_E_NOTFOUND)
			problem(rs, 400, "unknown-profile", "Unknown profile", "%s", ra_error_last());
		else
			reply_gp(rs, r, "request refused");
		goto out;
	}
	/* answered from what was stored, not read back */
	snprintf(rs->location, sizeof(rs->location), "/api/v1/requests/%lld", (long long)op.req->id);
	reply_json(rs, 201, request_json(op.req));
out:
	gp_ra_request_free(op.req);
	free(sans);
	json_decref(j);
	return 0;
}

struct list_ctx {
	json_t *items;
	int64_t last, n, limit;
	int64_t before;            /* submitted before (unix time), 0: any */
	int64_t bound;             /* newest first: ids below this, 0: any */
	gp_ra_request **ring;      /* newest first: the last limit + 1 matches */
	int64_t seen;              /* ... and how many matched */
};

/* Newest first: the walk goes by increasing id, so the last limit + 1
 * matches below the bound are kept (one more than the page: older ones). */
static int
list_req_desc_cb(void *arg, const gp_ra_request *q)
{
	struct list_ctx *l = arg;
	size_t at = (size_t)(l->seen % (l->limit + 1));

	if (l->bound != 0 && q->id >= l->bound)
		return 1;
	if (l->before != 0 && q->submitted >= l->before)
		return 0;
	gp_ra_request_free(l->ring[at]);
	l->ring[at] = NULL;
	if (gp_ra_request_dup(&l->ring[at], q) != 0)
		return -1;
	l->seen++;
	return 0;
}

static int
list_req_cb(void *arg, const gp_ra_request *q)
{
	struct list_ctx *l = arg;

	if (l->before != 0 && q->submitted >= l->before)
		return 0;                /* newer than asked: not on the page */
	if (l->n == l->limit)
		return 1;                /* one more than the page: there is a next page */
	json_array_append_new(l->items, request_json(q));
	l->last = q->id;
	l->n++;
	return 0;
}

/* The filters of ?status, since, before, profile, submitter into f and l
 * (the applicant's own only: gp_ra_may_list); 0, or -1 with rs filled. */
static int
list_filters(worker *w, hreq *rq, hresp *rs, gp_ra_filter *f, struct list_ctx *l)
{
	const char *st = query(rq, "status"), *since = query(rq, "since"), *before = query(rq, "before");
	int r, rule;

	if (st != NULL && gp_ra_status_from_name(&f->status, st) != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter", "%s", ra_error_last()), -1;
	if (since != NULL && parse_time(since, &f->since) != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter",
		    "since must be unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: %s", gp_error_last()), -1;
	if (before != NULL && parse_time(before, &l->before) != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter",
		    "before must be unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: %s", gp_error_last()), -1;
	f->profile = query(rq, "profile");
	f->submitter = query(rq, "submitter");
	if (check_filter(rs, "profile", f->profile, 64) != 0 ||
	    check_filter(rs, "submitter", f->submitter, 200) != 0 || who_p(rq, rs) == NULL)
		return -1;
	if ((r = gp_ra_may_list(&rule, w->ra, rq->who.p, f)) != 0)
		return reply_denied(rs, r, rule, "listing requests"), -1;
	return 0;
}

/* GET /api/v1/requests?order=desc: newest first, the cursor the lowest id
 * shown (the next page lists ids below it). */
static int
list_requests_desc(worker *w, hreq *rq, hresp *rs, struct list_ctx *l)
{
	gp_ra_filter f;
	json_t *j;
	int64_t n;
	int r;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	if (parse_limit(rq, rs, &l->limit) != 0 || parse_cursor(rq, rs, &l->bound) != 0 ||
	    list_filters(w, rq, rs, &f, l) != 0)
		return 0;
	if ((l->ring = calloc((size_t)l->limit + 1, sizeof(*l->ring))) == NULL ||
	    (l->items = json_array()) == NULL) {
		free(l->ring);
		return problem(rs, 500, "internal", "Internal error", "out of memory");
	}
	r = gp_ra_request_list(w->ra, &f, list_req_desc_cb, l);
	n = l->seen < l->limit ? l->seen : l->limit;
	for (int64_t i = 0; r >= 0 && i < n; i++) {
		/* the newest is the last one kept */
		const gp_ra_request *q = l->ring[(size_t)((l->seen - 1 - i) % (l->limit + 1))];

		json_array_append_new(l->items, request_json(q));
		l->last = q->id;
	}
	for (int64_t i = 0; i <= l->limit; i++)
		gp_ra_request_free(l->ring[i]);
	free(l->ring);
	if (r < 0) {
		json_decref(l->items);
		return reply_gp(rs, r, "listing requests");
	}
	j = json_pack("{s:o}", "items", l->items);
	if (l->seen > l->limit) {
		char cur[24];

		snprintf(cur, sizeof(cur), "%lld", (long long)l->last);
		json_object_set_new(j, "next_cursor", json_string(cur));
	} else {
		json_object_set_new(j, "next_cursor", json_null());
	}
	return reply_json(rs, 200, j);
}

int
h_list_requests(worker *w, hreq *rq, hresp *rs)
{
	static const char *const allowed[] = { "status", "profile", "submitter", "since", "before",
		"order", "cursor", "limit", NULL };
	const char *order = query(rq, "order");
	struct list_ctx l;
	gp_ra_filter f;
	json_t *j;
	int r;

	memset(&l, 0, sizeof(l));
	if (check_query(rq, rs, allowed) != 0)
		return 0;
	if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter", "order must be asc or desc");
	if (order != NULL && strcmp(order, "desc") == 0)
		return list_requests_desc(w, rq, rs, &l);

	memset(&f, 0, sizeof(f));
	f.status = -1;
	if (parse_limit(rq, rs, &l.limit) != 0 || parse_cursor(rq, rs, &f.after_id) != 0 ||
	    list_filters(w, rq, rs, &f, &l) != 0)
		return 0;
	/* older than a time (the queue's age filter): the store has no such
	 * filter, so the page is cut here from an unlimited walk */
	f.limit = l.before != 0 ? 0 : l.limit + 1;
	l.items = json_array();
	r = gp_ra_request_list(w->ra, &f, list_req_cb, &l);
	if (r < 0) {
		json_decref(l.items);
		return reply_gp(rs, r, "listing requests");
	}
	j = json_pack("{s:o}", "items", l.items);
	if (r > 0) {
		char cur[24];

		snprintf(cur, sizeof(cur), "%lld", (long long)l.last);
		json_object_set_new(j, "next_cursor", json_string(cur));
	} else {
		json_object_set_new(j, "next_cursor", json_null());
	}
	return reply_json(rs, 200, j);
}

/* Loads the request of the path; applicants only their own (others: 404,
 * so as not to tell which ids exist: gp_ra_may_read). */
static int
load_request(worker *w, hreq *rq, hresp *rs, gp_ra_request **q)
{
	int64_t id;
	int r, rule;

	*q = NULL;
	if (parse_id(rq->param, &id) != 0) {
		problem(rs, 404, "not-found", "Not found", "no request '%.64s'", rq->param);
		return -1;
	}
	if ((r = gp_ra_request_get(w->ra, id, q)) != 0) {
		reply_gp(rs, r, "request");
		return -1;
	}
	if (who_p(rq, rs) == NULL || (r = gp_ra_may_read(&rule, w->ra, rq->who.p, *q)) != 0) {
		if (rq->who.p != NULL)
			reply_denied(rs, r, rule, "request");
		gp_ra_request_free(*q);
		*q = NULL;
		return -1;
	}
	return 0;
}

static json_t *
check_json(const char *name, int pass, const char *detail)
{
	return json_pack("{s:s, s:s, s:s}", "check", name, "result", pass ? "pass" : "fail",
	    "detail", detail);
}

/* What an officer reads before approving a pending issue request: each
 * check of the submission made again now, with pass or fail and why (the
 * CSR's own signature, RFC 2986 §3; the CA may issue the profile; the
 * profile's rules and the key's standing, gp_ra_submit_check).  A
 * request passed them when it was stored; a key found compromised or a
 * CA revoked since shows here as a fail. */
static json_t *
request_checks(worker *w, const gp_ra_request *q)
{
	json_t *a = json_array();
	gp_ra_csr_summary cs;
	gp_ra_submission sub;
	char msg[600];

	if (a == NULL)
		return NULL;
	if (gp_ra_csr_summary_of(&cs, q->csr, q->csr_len) == 0) {
		json_array_append_new(a, check_json("csr-signature", cs.signature_ok,
		    cs.signature_ok ? "the CSR's signature verifies with its key" :
		    "the CSR's signature does not verify"));
		gp_ra_csr_summary_clear(&cs);
	} else {
		snprintf(msg, sizeof(msg), "the CSR does not parse: %s", gp_error_last());
		json_array_append_new(a, check_json("csr-signature", 0, msg));
	}
	if (gp_profiles_get(gp_ctx_profiles(w->ctx), q->profile ? q->profile : "") == NULL) {
		snprintf(msg, sizeof(msg), "unknown profile '%.64s'", q->profile ? q->profile : "");
		json_array_append_new(a, check_json("profile-issuable", 0, msg));
	} else if (gp_ca_may_issue(w->ca, q->profile) != 0) {
		snprintf(msg, sizeof(msg), "%s", gp_error_last());
		json_array_append_new(a, check_json("profile-issuable", 0, msg));
	} else {
		snprintf(msg, sizeof(msg), "CA %s may issue profile %s", gp_ca_name(w->ca), q->profile);
		json_array_append_new(a, check_json("profile-issuable", 1, msg));
	}
	memset(&sub, 0, sizeof(sub));
	sub.profile = q->profile;
	sub.csr = q->csr;
	sub.csr_len = q->csr_len;
	sub.subject = q->subject;
	sub.sans = q->sans;
	sub.contact_name = q->contact_name;
	sub.contact_email = q->contact_email;
	sub.contact_phone = q->contact_phone;
	sub.submitter = q->submitter;
	if (q->profile != NULL && gp_ra_submit_check(w->ra, &sub) == 0) {
		snprintf(msg, sizeof(msg), "subject, names, key and extensions meet profile %s",
		    q->profile);
		json_array_append_new(a, check_json("profile-policy", 1, msg));
	} else {
		snprintf(msg, sizeof(msg), "%s", gp_error_last());
		json_array_append_new(a, check_json("profile-policy", 0, msg));
	}
	gp_error_clear();
	return a;
}

int
h_get_request(worker *w, hreq *rq, hresp *rs)
{
	gp_ra_request *q;

	json_t *j;

	if (load_request(w, rq, rs, &q) != 0)
		return 0;
	j = request_json(q);
	if (j != NULL && q->kind == GP_RA_ISSUE && q->status == GP_RA_PENDING)
		json_object_set_new(j, "checks", request_checks(w, q));
	reply_json(rs, 200, j);
	gp_ra_request_free(q);
	return 0;
}

/* The officer may decide request id (gp_ra_may_decide: role, own request,
 * own certificate); 0, or -1 with rs filled. */
static int
may_decide(worker *w, hreq *rq, hresp *rs, int64_t id, int approve)
{
	gp_ra_request *q = NULL;
	int r, rule;

	if (who_p(rq, rs) == NULL)
		return -1;
	if ((r = gp_ra_request_get(w->ra, id, &q)) == 0)
		r = gp_ra_may_decide(&rule, w->ra, rq->who.p, q, approve);
	gp_ra_request_free(q);
	if (r != 0) {
		reply_denied(rs, r, rule, approve ? "approve" : "reject");
		return -1;
	}
	return 0;
}

int
h_approve(worker *w, hreq *rq, hresp *rs)
{
	static const jfield top[] = { { "comment", JSON_STRING, 0 }, { NULL, 0, 0 } };
	gp_ra_approval *appr = NULL;
	wop op;
	gp_ra_request *q = NULL;
	json_t *j = NULL;
	int64_t id;
	int r, fin = -1;

	if (rq->body_len > 0 && (parse_body(rq, rs, &j) != 0 || check_fields(rs, j, "approval", top) != 0))
		goto out;
	if (parse_id(rq->param, &id) != 0) {
		problem(rs, 404, "not-found", "Not found", "no request '%.64s'", rq->param);
		goto out;
	}
	if (may_decide(w, rq, rs, id, 1) != 0)
		goto out;
	/* checks and the certificate's signature here, on this thread; the
	 * approval, certificate and final state in the writer's group */
	if ((r = gp_ra_approve_prepare(&appr, w->ra, id, rq->who.officer,
	    json_string_value(json_object_get(j, "comment")))) == 0) {
		memset(&op, 0, sizeof(op));
		op.kind = WOP_APPROVE;
		op.grouped = gp_ra_approval_grouped(appr);
		op.appr = appr;
		r = ra_write(&op);
		fin = op.fin;
	}
	if (r != 0) {
		/* the library's own checks by name (gp_ra_may_decide passed) */
		if (r == GP_E_POLICY)
			problem(rs, 403, "forbidden", "Forbidden", "%s", ra_error_last());
		else if (r == GP_E_EXISTS)
			problem(rs, 409, "already-approved", "Already approved", "%s", ra_error_last());
		else if (r == GP_E_STATE)
			problem(rs, 409, "not-pending", "Request not pending", "%s", ra_error_last());
		else
			reply_gp(rs, r, "approve");
		goto out;
	}
	if (fin == GP_RA_ISSUED)
		__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	else if (fin == GP_RA_FAILED)
		__atomic_fetch_add(&ra_srv->failed, 1, __ATOMIC_RELAXED);
	/* the first approval that completed the request is answered from what
	 * was written; otherwise the request is read back */
	if (gp_ra_approval_request(appr) != NULL) {
		reply_json(rs, 200, request_json(gp_ra_approval_request(appr)));
		goto out;
	}
	if (gp_ra_request_get(w->ra, id, &q) != 0) {
		reply_gp(rs, gp_error_last_code(), "approve");
		goto out;
	}
	reply_json(rs, 200, request_json(q));
out:
	gp_ra_approval_free(appr);
	gp_ra_request_free(q);
	json_decref(j);
	return 0;
}

int
h_reject(worker *w, hreq *rq, hresp *rs)
{
	static const jfield top[] = { { "reason", JSON_STRING, 1 }, { NULL, 0, 0 } };
	gp_ra_request *q = NULL;
	json_t *j = NULL;
	int64_t id;
	int r;

	if (parse_body(rq, rs, &j) != 0 || check_fields(rs, j, "rejection", top) != 0)
		goto out;
	if (parse_id(rq->param, &id) != 0) {
		problem(rs, 404, "not-found", "Not found", "no request '%.64s'", rq->param);
		goto out;
	}
	if (may_decide(w, rq, rs, id, 0) != 0)
		goto out;
	{
		struct rejection c = { id, rq->who.officer,
		    json_string_value(json_object_get(j, "reason")) };

		r = ra_write_call(do_reject, &c, 1);
	}
	if (r != 0) {
		if (r == GP_E_STATE)
			problem(rs, 409, "not-pending", "Request not pending", "%s", ra_error_last());
		else if (r == GP_E_POLICY)
			problem(rs, 403, "own-certificate", "Forbidden", "%s", ra_error_last());
		else
			reply_gp(rs, r, "reject");
		goto out;
	}
	if (gp_ra_request_get(w->ra, id, &q) != 0) {
		reply_gp(rs, gp_error_last_code(), "reject");
		goto out;
	}
	reply_json(rs, 200, request_json(q));
out:
	gp_ra_request_free(q);
	json_decref(j);
	return 0;
}

/* -------------------------------------------------------- certificates */

static const char *
status_str(int s)
{
	return s == GP_STATUS_GOOD ? "good" : s == GP_STATUS_REVOKED ? "revoked" : "hold";
}

/* The PEM text of a certificate's DER, as stored (malloc'ed; NULL on
 * failure): no parse, the store holds what the CA signed. */
static char *
pem_of_der(const unsigned char *der, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b != NULL && len <= LONG_MAX &&
	    PEM_write_bio(b, PEM_STRING_X509, "", der, (long)len) > 0 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

static json_t *
cert_json(const gp_cert_info *c, int with_pem)
{
	char sn[2 * GP_SERIAL_MAX + 1], fp[65], nb[32], na[32], ra[32];
	json_t *j;

	hex(sn, c->serial, c->serial_len);
	hex(fp, c->fingerprint, 32);
	iso(nb, c->not_before);
	iso(na, c->not_after);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "serial", sn, "subject", c->subject,
	    "not_before", nb, "not_after", na, "profile", c->profile ? c->profile : "",
	    "status", status_str(c->status), "sha256", fp);
	if (j == NULL)
		return NULL;
	if (c->sans)
		json_object_set_new(j, "san", json_string(c->sans));
	if (c->status != GP_STATUS_GOOD) {
		iso(ra, c->revoked_at);
		json_object_set_new(j, "revoked_at", json_string(ra));
		json_object_set_new(j, "reason", json_string(gp_reason_name(c->reason)));
	}
	if (with_pem) {
		char *pem = pem_of_der(c->der, c->der_len);

		if (pem != NULL)
			json_object_set_new(j, "pem", json_string(pem));
		free(pem);
	}
	return j;
}

int
h_get_cert(worker *w, hreq *rq, hresp *rs)
{
	const char *accept = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Accept");
	unsigned char sn[GP_SERIAL_MAX];
	size_t snlen;
	gp_cert_info *c = NULL;
	int r, want = 0;      /* 0 JSON, 1 PEM, 2 DER */

	if (parse_serial(rq->param, sn, &snlen) != 0)
		return problem(rs, 404, "not-found", "Not found", "no certificate '%.64s'", rq->param);
	if (accept != NULL && strstr(accept, "application/pkix-cert") != NULL)
		want = 2;
	else if (accept != NULL && (strstr(accept, "application/pem-certificate-chain") != NULL ||
	    strstr(accept, "application/x-pem-file") != NULL))
		want = 1;
	else if (accept != NULL && strstr(accept, "application/json") == NULL &&
	    strstr(accept, "*/*") == NULL && strstr(accept, "application/*") == NULL)
		return problem(rs, 406, "not-acceptable", "Not acceptable",
		    "offered: application/json, application/pem-certificate-chain, application/pkix-cert");
	if ((r = gp_store_cert_get(gp_ctx_store(w->ctx), gp_ca_id(w->ca), sn, snlen, &c)) != 0)
		return reply_gp(rs, r, "certificate");
	if (want == 0) {
		reply_json(rs, 200, cert_json(c, 1));
	} else if (want == 2) {
		rs->body = malloc(c->der_len);
		if (rs->body == NULL) {
			gp_cert_info_free(c);
			return problem(rs, 500, "internal", "Internal error", "out of memory");
		}
		memcpy(rs->body, c->der, c->der_len);
		rs->len = c->der_len;
		rs->status = 200;
		rs->ctype = "application/pkix-cert";
	} else {
		/* a chain, as its media type says (RFC 8555 §9.1, as ACME serves
		 * it): the leaf first, then the issuing CA's chain to the root */
		char *leaf = pem_of_der(c->der, c->der_len), *chain = NULL;
		size_t llen = 0, clen = 0;

		gp_cert_info_free(c);
		if (leaf == NULL)
			return problem(rs, 500, "internal", "Internal error", "cannot encode PEM");
		if ((r = gp_ca_chain_pem(&chain, &clen, w->ctx, gp_ca_name(w->ca))) != 0) {
			free(leaf);
			return reply_gp(rs, r, "CA chain");
		}
		llen = strlen(leaf);
		/* the body is libmicrohttpd's to free() */
		rs->body = malloc(llen + clen + 1);
		if (rs->body != NULL) {
			memcpy(rs->body, leaf, llen);
			memcpy(rs->body + llen, chain, clen + 1);
		}
		free(leaf);
		gp_free(chain);
		if (rs->body == NULL)
			return problem(rs, 500, "internal", "Internal error", "out of memory");
		rs->len = llen + clen;
		rs->status = 200;
		rs->ctype = "application/pem-certificate-chain";
		return 0;
	}
	gp_cert_info_free(c);
	return 0;
}

struct cert_list_ctx {
	json_t *items;
	int64_t last, n, limit;
	const char *san;           /* a substring of the SANs, NULL: any */
};

static int
list_cert_cb(void *arg, const gp_cert_info *c)
{
	struct cert_list_ctx *l = arg;

	if (l->san != NULL && (c->sans == NULL || strstr(c->sans, l->san) == NULL))
		return 0;                /* not on the page */
	if (l->n == l->limit)
		return 1;
	json_array_append_new(l->items, cert_json(c, 0));
	l->last = c->id;
	l->n++;
	return 0;
}

int
h_list_certs(worker *w, hreq *rq, hresp *rs)
{
	static const char *const allowed[] = { "subject", "san", "status", "profile", "expires_before",
		"expires_after", "cursor", "limit", NULL };
	const char *st = query(rq, "status"), *eb = query(rq, "expires_before"),
	    *ea = query(rq, "expires_after");
	struct cert_list_ctx l = { NULL, 0, 0, 0, NULL };
	gp_cert_filter f;
	json_t *j;
	int r;

	f = (gp_cert_filter)GP_CERT_FILTER_INIT;
	f.status = -1;
	f.ca_id = gp_ca_id(w->ca);
	if (check_query(rq, rs, allowed) != 0 || parse_limit(rq, rs, &l.limit) != 0 ||
	    parse_cursor(rq, rs, &f.after_id) != 0)
		return 0;
	if (st != NULL) {
		if (strcmp(st, "good") == 0)
			f.status = GP_STATUS_GOOD;
		else if (strcmp(st, "revoked") == 0)
			f.status = GP_STATUS_REVOKED;
		else if (strcmp(st, "hold") == 0)
			f.status = GP_STATUS_HOLD;
		else
			return problem(rs, 400, "bad-parameter", "Bad query parameter",
			    "status must be good, revoked or hold");
	}
	if (eb != NULL && parse_time(eb, &f.expires_before) != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter",
		    "expires_before must be unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: %s",
		    gp_error_last());
	if (ea != NULL && parse_time(ea, &f.expires_after) != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter",
		    "expires_after must be unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: %s",
		    gp_error_last());
	f.profile = query(rq, "profile");
	f.subject_like = query(rq, "subject");
	l.san = query(rq, "san");
	if (check_filter(rs, "profile", f.profile, 64) != 0 ||
	    check_filter(rs, "subject", f.subject_like, 256) != 0 ||
	    check_filter(rs, "san", l.san, 256) != 0)
		return 0;
	/* the store has no SAN filter: the page is cut here from an unlimited walk */
	f.limit = l.san != NULL ? 0 : l.limit + 1;
	l.items = json_array();
	r = gp_store_cert_list(gp_ctx_store(w->ctx), &f, list_cert_cb, &l);
	if (r < 0) {
		json_decref(l.items);
		return reply_gp(rs, r, "listing certificates");
	}
	j = json_pack("{s:o}", "items", l.items);
	if (r > 0) {
		char cur[24];

		snprintf(cur, sizeof(cur), "%lld", (long long)l.last);
		json_object_set_new(j, "next_cursor", json_string(cur));
	} else {
		json_object_set_new(j, "next_cursor", json_null());
	}
	return reply_json(rs, 200, j);
}

int
h_revoke(worker *w, hreq *rq, hresp *rs)
{
	static const jfield top[] = {
		{ "reason", JSON_STRING, 1 }, { "challenge", JSON_STRING, 0 },
		{ "signature", JSON_STRING, 0 }, { NULL, 0, 0 } };
	unsigned char sn[GP_SERIAL_MAX], *sig = NULL;
	size_t snlen;
	json_t *j = NULL;
	const char *ch, *sg;
	int reason, r, rule, stored = GP_REASON_NONE;
	int64_t id;

	if (parse_body(rq, rs, &j) != 0 || check_fields(rs, j, "revocation", top) != 0)
		goto out;
	if (parse_serial(rq->param, sn, &snlen) != 0) {
		problem(rs, 404, "not-found", "Not found", "no certificate '%.64s'", rq->param);
		goto out;
	}
	if (gp_reason_from_name(&reason, json_string_value(json_object_get(j, "reason"))) != 0) {
		problem(rs, 400, "bad-field", "Bad field", "%s", ra_error_last());
		goto out;
	}
	ch = json_string_value(json_object_get(j, "challenge"));
	sg = json_string_value(json_object_get(j, "signature"));
	if ((ch == NULL) != (sg == NULL)) {
		problem(rs, 400, "missing-field", "Missing field",
		    "challenge and signature go together");
		goto out;
	}
	if (ch != NULL) {
		/* the holder proves possession of the key: revoked at once */
		size_t sl = strlen(sg), n;
		int dl;

		if ((sig = malloc(sl + 3)) == NULL ||
		    (dl = EVP_DecodeBlock(sig, (const unsigned char *)sg, (int)sl)) < 0 || sl % 4) {
			problem(rs, 400, "bad-field", "Bad field", "signature must be base64");
			goto out;
		}
		n = (size_t)dl;
		if (sl >= 1 && sg[sl - 1] == '=')
			n--;
		if (sl >= 2 && sg[sl - 2] == '=')
			n--;
		{
			struct proven c = { &stored, sn, snlen, reason, ch, sig, n };

			/* gp_ca_revoke commits on its own: not in a group */
			r = ra_write_call(do_proven, &c, 0);
		}
		if (r == GP_E_VERIFY) {
			problem(rs, 401, "proof-failed", "Proof of possession failed", "%s", ra_error_last());
			goto out;
		}
		if (r != 0) {
			reply_gp(rs, r, "revoke");
			goto out;
		}
		/* the reason the store holds: an earlier revocation may stand */
		hex((char *)rq->param, sn, snlen);
		reply_json(rs, 200, json_pack("{s:s, s:s, s:s}", "serial", rq->param, "status", "revoked",
		    "reason", gp_reason_name(stored)));
		goto out;
	}
	if (rq->who.role == ROLE_ANONYMOUS) {
		problem(rs, 401, "unauthenticated", "Authentication required",
		    "without a proof of possession (challenge, signature) a revocation needs credentials");
		goto out;
	}
	/* an application asks only for the certificates issued on its own
	 * requests (as an ACME account revokes what it ordered, RFC 8555 §7.6);
	 * officers vet every revocation request either way */
	if ((r = gp_ra_may_revoke(&rule, w->ra, rq->who.p, sn, snlen)) != 0) {
		reply_denied(rs, r, rule, "revoke");
		goto out;
	}
	{
		struct revocation c = { &id, sn, snlen, reason, gp_ra_principal_name(rq->who.p) };

		r = ra_write_call(do_submit_revoke, &c, 1);
	}
	if (r != 0) {
		if (r == GP_E_STATE)
			problem(rs, 409, "already-revoked", "Already revoked", "%s", ra_error_last());
		else
			reply_gp(rs, r, "revoke");
		goto out;
	}
	snprintf(rs->location, sizeof(rs->location), "/api/v1/requests/%lld", (long long)id);
	{
		gp_ra_request *q = NULL;

		if (gp_ra_request_get(w->ra, id, &q) == 0)
			reply_json(rs, 201, request_json(q));
		else
			reply_gp(rs, gp_error_last_code(), "revoke");
		gp_ra_request_free(q);
	}
out:
	free(sig);
	json_decref(j);
	return 0;
}

/* ---------------------------------------------------------------- CAs */

static int
ca_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return 0;
	return 1;
}

int
h_ca_chain(worker *w, hreq *rq, hresp *rs)
{
	char *pem = NULL;
	size_t len;
	int r;

	if (!ca_name_ok(rq->param))
		return problem(rs, 404, "not-found", "Not found", "no CA '%.64s'", rq->param);
	if ((r = gp_ca_chain_pem(&pem, &len, w->ctx, rq->param)) != 0)
		return reply_gp(rs, r, "CA chain");
	/* the body is libmicrohttpd's to free(); the chain is gp_free'd */
	rs->body = strdup(pem);
	gp_free(pem);
	if (rs->body == NULL)
		return problem(rs, 500, "internal", "Internal error", "out of memory");
	rs->len = len;
	rs->status = 200;
	rs->ctype = "application/pem-certificate-chain";
	return 0;
}

int
h_ca_crl(worker *w, hreq *rq, hresp *rs)
{
	gp_ca_info *ca = NULL;
	gp_crl_info *crl = NULL;
	int r;

	if (!ca_name_ok(rq->param))
		return problem(rs, 404, "not-found", "Not found", "no CA '%.64s'", rq->param);
	if ((r = gp_store_ca_get(gp_ctx_store(w->ctx), rq->param, &ca)) != 0)
		return reply_gp(rs, r, "CA");
	r = gp_store_crl_latest(gp_ctx_store(w->ctx), ca->id, 0, &crl);
	gp_ca_info_free(ca);
	if (r != 0)
		return reply_gp(rs, r, "CRL");
	rs->body = (char *)crl->der;
	rs->len = crl->der_len;
	crl->der = NULL;
	gp_crl_info_free(crl);
	rs->status = 200;
	rs->ctype = "application/pkix-crl";
	return 0;
}
