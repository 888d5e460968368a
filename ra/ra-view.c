/* ra/ra-view.c: the read-only views the officers' console needs: the caller, the audit trail, the CAs, the seal register */
#include "config.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ra_server.h"

/* ------------------------------------------------------------- the caller */

/*
 * GET /api/v1/me: who the credential is (the officer of the TLS client
 * certificate, or the API token) and, from the one authorisation table,
 * the endpoints its role may call: what the console offers, never what
 * protects (the dispatcher checks the same table at every call).
 */
int
h_me(worker *w, hreq *rq, hresp *rs)
{
	json_t *j, *acts = json_array();

	(void)w;
	if (acts == NULL)
		return problem(rs, 500, "internal", "Internal error", "out of memory");
	for (size_t i = 0; i < ra_nendpoints; i++) {
		if (!(ra_endpoints[i].roles & (1u << rq->who.role)))
			continue;
		json_array_append_new(acts, json_pack("{s:s, s:s}", "method", ra_endpoints[i].method,
		    "path", ra_endpoints[i].path));
	}
	j = json_pack("{s:s, s:s, s:s, s:o}", "principal", rq->who.name, "name",
	    rq->who.officer[0] ? rq->who.officer : rq->who.name, "role", ra_role_names[rq->who.role],
	    "actions", acts);
	return reply_json(rs, 200, j);
}

/* ------------------------------------------------------------ the audit */

struct audit_ctx {
	json_t *items;
	int64_t last, n, limit;
	const char *action, *actor, *object;
	int64_t since, until;
	int more;
	int desc;                  /* newest first: the page ends below bound */
	int64_t bound;             /* desc: only seqs below this, 0: any */
};

static int
audit_cb(void *arg, const gp_audit_row *row)
{
	struct audit_ctx *a = arg;
	char t[32], h[65], ph[65];

	if (!a->desc && row->seq <= a->last)
		return 0;
	if ((a->until != 0 && row->time >= a->until) || (a->desc && a->bound != 0 && row->seq >= a->bound))
		return 1;                /* seq order is time order: none later matches */
	if ((a->since != 0 && row->time < a->since) ||
	    (a->action != NULL && strncmp(row->action, a->action, strlen(a->action)) != 0) ||
	    (a->actor != NULL && strstr(row->actor, a->actor) == NULL) ||
	    (a->object != NULL && (row->object == NULL || strstr(row->object, a->object) == NULL)))
		return 0;
	if (!a->desc && a->n == a->limit) {
		a->more = 1;
		return 1;
	}
	ra_iso(t, row->time);
	ra_hex(h, row->hash, 32);
	ra_hex(ph, row->prev_hash, 32);
	json_array_append_new(a->items, json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s}",
	    "seq", (json_int_t)row->seq, "time", t, "actor", row->actor, "action", row->action,
	    "object", row->object, "detail", row->detail, "hash", h, "prev_hash", ph));
	/* newest first: the walk is oldest first, so only the last limit + 1
	 * matches are kept (one more than the page: there are older ones) */
	if (a->desc && json_array_size(a->items) > (size_t)a->limit + 1)
		json_array_remove(a->items, 0);
	a->last = row->seq;
	a->n++;
	return 0;
}

/* Turns the kept matches of a newest-first walk into its page. */
static void
audit_desc_page(struct audit_ctx *a)
{
	json_t *page = json_array();
	size_t n = json_array_size(a->items);

	if (page == NULL)
		return;
	a->more = n > (size_t)a->limit;
	for (size_t i = n; i > (a->more ? 1u : 0u); i--)
		json_array_append(page, json_array_get(a->items, i - 1));
	if (a->more)
		a->last = json_integer_value(json_object_get(json_array_get(page,
		    json_array_size(page) - 1), "seq"));
	json_decref(a->items);
	a->items = page;
}

/*
 * GET /api/v1/audit: the audit chain's entries in seq order from the
 * cursor (order=desc: newest first, below the cursor), filtered by action (a prefix: "ra." or "cert.revoke"), actor
 * and object (substrings), since and until (times), and the chain's
 * verification status (gp_audit_verify: every hash, and an entry for
 * every stored object) computed at this call.
 */
int
h_audit(worker *w, hreq *rq, hresp *rs)
{
	static const char *const allowed[] = { "action", "actor", "object", "since", "until",
		"order", "cursor", "limit", NULL };
	const char *order = query(rq, "order");
	struct audit_ctx a;
	const char *since = query(rq, "since"), *until = query(rq, "until");
	gp_store *st = gp_ctx_store(w->ctx);
	int64_t bad = 0, rows = 0, after = 0;
	json_t *j, *chain;
	int r;

	memset(&a, 0, sizeof(a));
	if (check_query(rq, rs, allowed) != 0 || ra_parse_limit(rq, rs, &a.limit) != 0 ||
	    ra_parse_cursor(rq, rs, &after) != 0)
		return 0;
	if (order != NULL && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter", "order must be asc or desc");
	a.desc = order != NULL && strcmp(order, "desc") == 0;
	/* oldest first the cursor is the last seq shown, newest first the
	 * first seq not shown (the walk starts at 1 then) */
	a.last = a.desc ? 0 : after;
	a.bound = a.desc ? after : 0;
	a.action = query(rq, "action");
	a.actor = query(rq, "actor");
	a.object = query(rq, "object");
	if (ra_check_filter(rs, "action", a.action, 64) != 0 ||
	    ra_check_filter(rs, "actor", a.actor, 256) != 0 ||
	    ra_check_filter(rs, "object", a.object, 256) != 0)
		return 0;
	if (since != NULL && ra_parse_time(since, &a.since) != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter",
		    "since must be unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: %s", gp_error_last());
	if (until != NULL && ra_parse_time(until, &a.until) != 0)
		return problem(rs, 400, "bad-parameter", "Bad query parameter",
		    "until must be unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: %s", gp_error_last());
	if ((a.items = json_array()) == NULL)
		return problem(rs, 500, "internal", "Internal error", "out of memory");
	r = gp_store_audit_list(st, a.desc ? 1 : after + 1, audit_cb, &a);
	if (r < 0) {
		json_decref(a.items);
		return reply_gp(rs, r, "audit");
	}
	if (a.desc)
		audit_desc_page(&a);
	/* the chain as a whole, whatever the page shows */
	r = gp_audit_verify(&bad, &rows, st);
	if (r == 0)
		chain = json_pack("{s:s, s:I}", "status", "verified", "entries", (json_int_t)rows);
	else if (r == GP_E_VERIFY)
		chain = json_pack("{s:s, s:I, s:I, s:s}", "status", "broken", "entries",
		    (json_int_t)rows, "bad_seq", (json_int_t)bad, "detail", ra_error_last());
	else
		chain = json_pack("{s:s, s:s}", "status", "error", "detail", ra_error_last());
	gp_error_clear();
	j = json_pack("{s:o, s:o}", "items", a.items, "chain", chain);
	if (a.more) {
		char cur[24];

		snprintf(cur, sizeof(cur), "%lld", (long long)a.last);
		json_object_set_new(j, "next_cursor", json_string(cur));
	} else {
		json_object_set_new(j, "next_cursor", json_null());
	}
	return reply_json(rs, 200, j);
}

/* ---------------------------------------------------------------- CAs */

/* A certificate's subject, SHA-256 fingerprint and validity (JSON); NULL
 * when the DER does not parse. */
static json_t *
cert_summary(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	unsigned char fp[32];
	char hfp[65], nb[32], na[32], *subj = NULL;
	int64_t t;
	json_t *j = NULL;

	if (x == NULL)
		return NULL;
	if (gp_x509_fingerprint(x, fp) == 0 && gp_name_to_string(&subj, X509_get_subject_name(x)) == 0) {
		ra_hex(hfp, fp, 32);
		nb[0] = na[0] = '\0';
		if (gp_time_from_asn1(&t, X509_get0_notBefore(x)) == 0)
			ra_iso(nb, t);
		if (gp_time_from_asn1(&t, X509_get0_notAfter(x)) == 0)
			ra_iso(na, t);
		j = json_pack("{s:s, s:s, s:s, s:s}", "subject", subj, "sha256", hfp,
		    "not_before", nb, "not_after", na);
	}
	gp_free(subj);
	X509_free(x);
	return j;
}

static json_t *
crl_json(gp_store *st, int64_t ca_id, int delta)
{
	gp_crl_info *c = NULL;
	char tu[32], nu[32];
	json_t *j;

	if (gp_store_crl_latest_info(st, ca_id, delta, &c) != 0) {
		gp_error_clear();
		return json_null();
	}
	ra_iso(tu, c->this_update);
	ra_iso(nu, c->next_update);
	j = json_pack("{s:I, s:s, s:s}", "number", (json_int_t)c->number, "this_update", tu,
	    "next_update", nu);
	gp_crl_info_free(c);
	return j;
}

/*
 * The OCSP responder's health ([ra] ocsp_url, http://HOST:PORT): its
 * GET /healthz (ocsp-responder(8): 200 and "status": "ok" when every CA's
 * key, signer and CRL is fine, 503 "fail" otherwise), read over plain
 * HTTP/1.0 within 2 seconds.  {"url", "status": "ok"|"fail"|"unreachable",
 * "http_status", "detail"}.
 */
static json_t *
ocsp_health(const char *url)
{
	char host[256], port[8], req[400], buf[16384], detail[300];
	const char *p, *colon, *body;
	size_t plen;
	struct addrinfo hints, *ai = NULL, *a;
	struct timeval tv = { 2, 0 };
	int fd = -1, code = 0;
	size_t got = 0;
	json_t *j;

	detail[0] = '\0';
	if (strncmp(url, "http://", 7) != 0 || (colon = strrchr(p = url + 7, ':')) == NULL ||
	    colon == p || (size_t)(colon - p) >= sizeof(host) ||
	    (plen = strspn(colon + 1, "0123456789")) == 0 || plen > 5 ||
	    (colon[1 + plen] != '\0' && strcmp(colon + 1 + plen, "/") != 0))
		return json_pack("{s:s, s:s, s:s}", "url", url, "status", "unreachable", "detail",
		    "ocsp_url must be http://HOST:PORT");
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	snprintf(port, sizeof(port), "%.*s", (int)plen, colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		snprintf(detail, sizeof(detail), "cannot resolve %s", host);
		goto unreachable;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol)) < 0)
			continue;
		/* a blocking socket with send and receive timeouts: bounded */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(detail, sizeof(detail), "cannot connect to %s:%s", host, port);
		goto unreachable;
	}
	snprintf(req, sizeof(req), "GET /healthz HTTP/1.0\r\nHost: %s:%s\r\nAccept: application/json\r\n\r\n",
	    host, port);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		close(fd);
		snprintf(detail, sizeof(detail), "cannot send to %s:%s", host, port);
		goto unreachable;
	}
	for (;;) {
		ssize_t k = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (k <= 0 || (got += (size_t)k) == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*c %d", &code) != 1) {
		snprintf(detail, sizeof(detail), "no HTTP answer from %s:%s", host, port);
		goto unreachable;
	}
	if ((body = strstr(buf, "\r\n\r\n")) != NULL) {
		json_t *h = json_loads(body + 4, 0, NULL);
		const char *st = json_string_value(json_object_get(h, "status"));

		j = json_pack("{s:s, s:s, s:i}", "url", url, "status",
		    code == 200 && st != NULL && strcmp(st, "ok") == 0 ? "ok" : "fail", "http_status", code);
		json_decref(h);
		return j;
	}
	snprintf(detail, sizeof(detail), "HTTP %d without a body", code);
unreachable:
	return json_pack("{s:s, s:s, s:s}", "url", url, "status", "unreachable", "detail", detail);
}

/*
 * GET /api/v1/ca: every CA of the store: its certificate (subject,
 * fingerprint, validity), the chain to its root as subjects and SHA-256
 * fingerprints (the CA first), its latest full and delta CRL (number,
 * thisUpdate, nextUpdate, RFC 5280 §5.1.2.4-5, §5.2.3), and whether it is
 * the CA this RA issues from; and the OCSP responder's health when [ra]
 * ocsp_url names it (null otherwise).
 */
int
h_ca_list(worker *w, hreq *rq, hresp *rs)
{
	gp_store *st = gp_ctx_store(w->ctx);
	gp_ca_info **cas = NULL;
	size_t n = 0;
	json_t *items;
	int r;

	if (check_query(rq, rs, (const char *const[]){ NULL }) != 0)
		return 0;
	if ((r = gp_store_ca_list(st, &cas, &n)) != 0)
		return reply_gp(rs, r, "CAs");
	if ((items = json_array()) == NULL) {
		gp_ca_info_list_free(cas, n);
		return problem(rs, 500, "internal", "Internal error", "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		json_t *c = cert_summary(cas[i]->cert_der, cas[i]->cert_len), *chain = json_array();
		const char *parent = NULL;
		int64_t up = cas[i]->id;

		if (c == NULL)
			c = json_object();
		/* up the parents, at most a depth no real hierarchy has */
		for (int d = 0; d < 16 && up != 0; d++) {
			const gp_ca_info *ca = NULL;

			for (size_t k = 0; k < n; k++)
				if (cas[k]->id == up)
					ca = cas[k];
			if (ca == NULL)
				break;
			json_array_append_new(chain, json_pack("{s:s, s:o*}", "name", ca->name,
			    "certificate", cert_summary(ca->cert_der, ca->cert_len)));
			if (d == 1)
				parent = ca->name;
			up = ca->parent_id;
		}
		json_object_set_new(c, "name", json_string(cas[i]->name));
		json_object_set_new(c, "key_type", json_string(cas[i]->key_type ? cas[i]->key_type : ""));
		json_object_set_new(c, "parent", parent ? json_string(parent) : json_null());
		json_object_set_new(c, "issuing", json_boolean(cas[i]->id == gp_ca_id(w->ca)));
		json_object_set_new(c, "chain", chain);
		json_object_set_new(c, "crl", crl_json(st, cas[i]->id, 0));
		json_object_set_new(c, "delta_crl", crl_json(st, cas[i]->id, 1));
		json_array_append_new(items, c);
	}
	gp_ca_info_list_free(cas, n);
	return reply_json(rs, 200, json_pack("{s:o, s:o}", "items", items, "ocsp",
	    ra_srv->set.ocsp_url ? ocsp_health(ra_srv->set.ocsp_url) : json_null()));
}

/* ------------------------------------------------------ the seal register */

struct seal_ctx {
	json_t *items;
	int64_t after, last, n, limit;
	int more;
};

static int
seal_cb(void *arg, const gp_seal_info *s)
{
	struct seal_ctx *l = arg;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char h[65], vs[32], ve[32], cr[32], ra[32];
	json_t *j;

	if (s->id <= l->after)
		return 0;
	if (l->n == l->limit) {
		l->more = 1;
		return 1;
	}
	h[0] = '\0';
	if (EVP_Digest(s->der, s->der_len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32)
		ra_hex(h, md, 32);
	ra_iso(vs, s->valid_start);
	ra_iso(ve, s->valid_end);
	ra_iso(cr, s->created);
	j = json_pack("{s:s, s:s?, s:i, s:i, s:s, s:s, s:s, s:s?, s:s, s:s}", "id", s->es_id,
	    "name", s->name, "type", s->type, "version", s->version, "valid_from", vs, "valid_to", ve,
	    "created", cr, "maker", s->maker,
	    "status", s->status == GP_SEAL_STATUS_REVOKED ? "revoked" : "good", "sha256", h);
	if (j != NULL && s->status == GP_SEAL_STATUS_REVOKED) {
		ra_iso(ra, s->revoked_at);
		json_object_set_new(j, "revoked_at", json_string(ra));
		json_object_set_new(j, "reason", s->reason ? json_string(s->reason) : json_null());
	}
	json_array_append_new(l->items, j);
	l->last = s->id;
	l->n++;
	return 0;
}

/* GET /api/v1/seals: the seal register (seal-tool register), by id, with
 * status good or revoked; ?status= filters. */
int
h_seals(worker *w, hreq *rq, hresp *rs)
{
	static const char *const allowed[] = { "status", "cursor", "limit", NULL };
	const char *sv = query(rq, "status");
	struct seal_ctx l;
	int status = -1, r;
	json_t *j;

	memset(&l, 0, sizeof(l));
	if (check_query(rq, rs, allowed) != 0 || ra_parse_limit(rq, rs, &l.limit) != 0 ||
	    ra_parse_cursor(rq, rs, &l.after) != 0)
		return 0;
	if (sv != NULL) {
		if (strcmp(sv, "good") == 0)
			status = GP_SEAL_STATUS_GOOD;
		else if (strcmp(sv, "revoked") == 0)
			status = GP_SEAL_STATUS_REVOKED;
		else
			return problem(rs, 400, "bad-parameter", "Bad query parameter",
			    "status must be good or revoked");
	}
	if ((l.items = json_array()) == NULL)
		return problem(rs, 500, "internal", "Internal error", "out of memory");
	r = gp_store_seal_list(gp_ctx_store(w->ctx), status, seal_cb, &l);
	if (r < 0) {
		json_decref(l.items);
		return reply_gp(rs, r, "seal register");
	}
	j = json_pack("{s:o}", "items", l.items);
	if (l.more) {
		char cur[24];

		snprintf(cur, sizeof(cur), "%lld", (long long)l.last);
		json_object_set_new(j, "next_cursor", json_string(cur));
	} else {
		json_object_set_new(j, "next_cursor", json_null());
	}
	return reply_json(rs, 200, j);
}

struct seal_revocation {
	const char *es_id, *reason, *actor;
};

/* on the writer thread: gp_seal_revoke commits on its own */
static int
do_seal_revoke(gp_ra *ra, void *arg)
{
	const struct seal_revocation *c = arg;

	(void)ra;
	return gp_seal_revoke(gp_ctx_store(ra_srv->writer.ctx), c->es_id, c->reason, 0, c->actor);
}

/*
 * POST /api/v1/seals/revoke {"id": esID, "reason": "..."}: revokes a seal
 * of the register at once, with its audit entry (seal.revoke, the admin as
 * actor), as ca-tool seal revoke does; the seal status service answers
 * revoked from then on.  The esID is in the body: it may hold a slash or
 * a space.  Revoking again is harmless (200, the seal as it was).
 */
int
h_seal_revoke(worker *w, hreq *rq, hresp *rs)
{
	static const jfield top[] = { { "id", JSON_STRING, 1 }, { "reason", JSON_STRING, 1 },
		{ NULL, 0, 0 } };
	struct seal_revocation c;
	struct seal_ctx l;
	gp_seal_info *si = NULL;
	json_t *j = NULL;
	int r;

	if (parse_body(rq, rs, &j) != 0 || check_fields(rs, j, "seal revocation", top) != 0)
		goto out;
	c.es_id = json_string_value(json_object_get(j, "id"));
	c.reason = json_string_value(json_object_get(j, "reason"));
	c.actor = rq->who.name;
	if (ra_check_filter(rs, "id", c.es_id, 256) != 0 || ra_check_filter(rs, "reason", c.reason,
	    GP_RA_MAX_TEXT) != 0) {
		goto out;
	}
	if ((r = gp_store_seal_get(gp_ctx_store(w->ctx), c.es_id, &si)) != 0) {
		reply_gp(rs, r, "seal");
		goto out;
	}
	gp_seal_info_free(si);
	si = NULL;
	if ((r = ra_write_call(do_seal_revoke, &c, 0)) != 0) {
		reply_gp(rs, r, "seal revocation");
		goto out;
	}
	if ((r = gp_store_seal_get(gp_ctx_store(w->ctx), c.es_id, &si)) != 0) {
		reply_gp(rs, r, "seal");
		goto out;
	}
	memset(&l, 0, sizeof(l));
	l.limit = 1;
	if ((l.items = json_array()) == NULL || seal_cb(&l, si) != 0 || json_array_size(l.items) != 1) {
		json_decref(l.items);
		problem(rs, 500, "internal", "Internal error", "cannot encode the seal");
		goto out;
	}
	reply_json(rs, 200, json_incref(json_array_get(l.items, 0)));
	json_decref(l.items);
out:
	gp_seal_info_free(si);
	json_decref(j);
	return 0;
}
