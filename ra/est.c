/* ra/est.c: ra-server's EST service (RFC 7030): cacerts, simpleenroll, simplereenroll, csrattrs */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "enrol.h"
#include "est.h"

/*
 * /.well-known/est/{op} and /.well-known/est/{profile}/{op} (RFC 7030
 * §3.2.2: the optional label names one of our profiles; without one,
 * [est] default_profile).  A profile is served when it says est = yes.
 *
 * Who may enrol (§3.2.3, §3.3.2): the holder of an enrolment secret
 * (HTTP Basic, RFC 7617; the secret is an RA token named "est@USER",
 * limited to one profile, made by `ca-tool est secret create`), or the
 * holder of a TLS client certificate of our CA that is good in our store
 * and was issued under the same profile.  simplereenroll (§4.2.2) takes
 * only the certificate being renewed, and a CSR with its very subject
 * and subjectAltName.
 *
 * The profile's est_approval says whether a request is issued at once
 * (auto: signed on the worker, stored by the writer thread with its audit
 * entry in one write) or waits for the officers (officer: stored as a
 * pending RA request, answered 202 with Retry-After, §4.2.3; the client
 * sends the same request again, and once the officers have issued it,
 * gets the certificate).
 *
 * Every request, answer and failure leaves one audit entry "est.OP"
 * with protocol=est, the HTTP status and the result; an issuance's entry
 * is written in the transaction that stores the certificate.
 */

#define EST_PREFIX "/.well-known/est/"
#define EST_REALM "govpki-est"
#define SECRET_PREFIX "est@"

enum { OP_CACERTS, OP_SIMPLEENROLL, OP_SIMPLEREENROLL, OP_CSRATTRS, OP_SERVERKEYGEN, OP_FULLCMC,
	OP__N };
static const char *const op_names[OP__N] = {
	"cacerts", "simpleenroll", "simplereenroll", "csrattrs", "serverkeygen", "fullcmc",
};

static const char *const est_keys[] = { "default_profile", "retry_after", NULL };

static struct {
	const char *default_profile;   /* borrowed from the configuration */
	long retry_after;              /* seconds (§4.2.3) */
	char *cacerts;                 /* base64 of the certs-only PKCS#7 of the chain */
	size_t cacerts_len;
	STACK_OF(X509) *roots;         /* the chain's self-signed end */
	STACK_OF(X509) *inter;         /* the rest */
} est;

/* One EST request as it is handled. */
typedef struct ectx {
	worker *w;
	hreq *rq;
	hresp *rs;
	int op;                        /* OP_*, -1: none */
	const gp_profile *prof;
	char profile[GP_RA_MAX_NAME + 1];
	char actor[200];               /* the principal's name, else "addr:ADDR" */
	char user[GP_RA_MAX_NAME + 1]; /* the Basic user name, "" */
	gp_ra_token *tok;
	gp_ra_principal *p;
	X509 *client;                  /* the verified client certificate */
	gp_cert_info *client_ci;       /* its row in the store */
	long retry;                    /* Retry-After of the answer, 0: none */
	int basic;                     /* WWW-Authenticate: Basic on a 401 */
	int b64;                       /* Content-Transfer-Encoding: base64 */
	int audited;
	char result[1200];             /* the audit's result=... */
} ectx;

/* ------------------------------------------------------------ answers */

/* A text/plain answer (§4.2.3: a human-readable error), what the audit
 * records as its result. */
static int
est_reply(ectx *c, unsigned status, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
est_reply(ectx *c, unsigned status, const char *result, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	free(c->rs->body);
	c->rs->body = NULL;
	c->rs->len = 0;
	if ((c->rs->body = malloc(strlen(text) + 2)) != NULL) {
		c->rs->len = (size_t)snprintf(c->rs->body, strlen(text) + 2, "%s\n", text);
	}
	c->rs->status = status;
	c->rs->ctype = "text/plain; charset=utf-8";
	snprintf(c->result, sizeof(c->result), "%s reason=%.1000s", result, text);
	return -1;
}

/* A body to send as is (copied). */
static int
est_body(ectx *c, unsigned status, const char *ctype, const char *data, size_t len)
{
	free(c->rs->body);
	if ((c->rs->body = malloc(len + 1)) == NULL)
		return est_reply(c, 500, "failed", "out of memory");
	memcpy(c->rs->body, data, len);
	c->rs->body[len] = '\0';
	c->rs->len = len;
	c->rs->status = status;
	c->rs->ctype = ctype;
	return 0;
}

/* The answer's own headers, as ra-http.c adds them ("Name: value\n"). */
static void
est_headers(ectx *c)
{
	char h[256], ra[48] = "";
	int n;

	/* §4.2.3: a 202 (or a 503, RFC 9110 §10.2.3) says when to send the
	 * request again */
	if (c->retry > 0 && (c->rs->status == 202 || c->rs->status == 503))
		snprintf(ra, sizeof(ra), "Retry-After: %ld\n", c->retry);
	n = snprintf(h, sizeof(h), "%s%s%s", c->b64 ? "Content-Transfer-Encoding: base64\n" : "",
	    c->rs->status == 401 && c->basic ? "WWW-Authenticate: Basic realm=\"" EST_REALM "\"\n" : "",
	    ra);
	if (n > 0 && (c->rs->headers = malloc((size_t)n + 1)) != NULL)
		memcpy(c->rs->headers, h, (size_t)n + 1);
}

/* ------------------------------------------------------------- base64 */

/*
 * Decodes base64 (RFC 4648 §4, broken into lines as RFC 2045 §6.8 does)
 * with OpenSSL's EVP decoder; only the alphabet, "=" and white space may
 * appear.  *out malloc'ed.  -1 for anything else.
 */
static int
b64_decode(unsigned char **out, size_t *outlen, const char *s, size_t n)
{
	EVP_ENCODE_CTX *e = NULL;
	unsigned char *buf = NULL;
	int a = 0, b = 0, r = -1;

	*out = NULL;
	*outlen = 0;
	if (n == 0 || n > (size_t)GP_RA_MAX_CSR * 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '+' || ch == '/' || ch == '=' || ch == ' ' || ch == '\t' || ch == '\r' ||
		    ch == '\n'))
			return -1;
	}
	if ((e = EVP_ENCODE_CTX_new()) == NULL || (buf = malloc(n + 1)) == NULL)
		goto out;
	EVP_DecodeInit(e);
	if (EVP_DecodeUpdate(e, buf, &a, (const unsigned char *)s, (int)n) < 0 ||
	    EVP_DecodeFinal(e, buf + a, &b) != 1 || a + b == 0)
		goto out;
	*out = buf;
	*outlen = (size_t)(a + b);
	buf = NULL;
	r = 0;
out:
	EVP_ENCODE_CTX_free(e);
	free(buf);
	return r;
}

/*
 * The base64 of a certs-only PKCS#7 SignedData (RFC 7030 §4.1.3 and
 * §4.2.3, RFC 5751 §3.2.2: no signer, no content, the certificates),
 * built and encoded by OpenSSL.  *out malloc'ed.
 */
static int
p7_certs_b64(char **out, size_t *outlen, STACK_OF(X509) *certs)
{
	PKCS7 *p7 = NULL;
	BIO *mem = NULL, *b64 = NULL;
	char *data;
	long n;
	int r = -1;

	*out = NULL;
	*outlen = 0;
	if ((p7 = PKCS7_sign(NULL, NULL, certs, NULL, PKCS7_DETACHED | PKCS7_PARTIAL)) == NULL ||
	    (mem = BIO_new(BIO_s_mem())) == NULL || (b64 = BIO_new(BIO_f_base64())) == NULL)
		goto out;
	BIO_push(b64, mem);
	if (i2d_PKCS7_bio(b64, p7) != 1 || BIO_flush(b64) != 1 ||
	    (n = BIO_get_mem_data(mem, &data)) <= 0 || (*out = malloc((size_t)n)) == NULL)
		goto out;
	memcpy(*out, data, (size_t)n);
	*outlen = (size_t)n;
	r = 0;
out:
	if (b64 != NULL)
		BIO_free_all(b64);
	else
		BIO_free(mem);
	PKCS7_free(p7);
	return r;
}

/* A 200 answer with the certificate der as PKCS#7 (§4.2.3). */
static int
reply_cert(ectx *c, const unsigned char *der, size_t len)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *x = NULL;
	char *b = NULL;
	size_t blen = 0;
	int r;

	if (certs == NULL || gp_cert_parse(&x, der, len) != 0 || sk_X509_push(certs, x) <= 0) {
		X509_free(x);
		sk_X509_free(certs);
		return est_reply(c, 500, "failed", "cannot read the certificate");
	}
	r = p7_certs_b64(&b, &blen, certs);
	sk_X509_pop_free(certs, X509_free);
	if (r != 0)
		return est_reply(c, 500, "failed", "cannot encode the PKCS#7 answer");
	c->b64 = 1;
	r = est_body(c, 200, "application/pkcs7-mime; smime-type=certs-only", b, blen);
	free(b);
	return r;
}

/* -------------------------------------------------------------- writes */

/* Fills x's audit fields for c's answer (status, result). */
static void
write_init(struct enrol_write *x, const ectx *c, unsigned status, const char *result)
{
	memset(x, 0, sizeof(*x));
	x->actor = c->actor;
	snprintf(x->action, sizeof(x->action), "est.%s", c->op >= 0 ? op_names[c->op] : "request");
	snprintf(x->object, sizeof(x->object), "profile:%s", c->profile[0] ? c->profile : "-");
	snprintf(x->detail, sizeof(x->detail), "protocol=est method=%.16s status=%u%s%s addr=%s "
	    "result=%s", c->rq->method, status, c->user[0] ? " user=" : "", c->user, c->rq->addr,
	    result);
}

static int
est_write(struct enrol_write *x)
{
	return enrol_write(x);
}

/* The audit entry of an answer that wrote nothing else. */
static void
audit_answer(ectx *c)
{
	struct enrol_write x;

	if (c->audited)
		return;
	c->audited = 1;
	write_init(&x, c, c->rs->status, c->result[0] ? c->result : "ok");
	if (est_write(&x) != 0)
		fprintf(stderr, "ra-server: est: cannot audit %s %s: %s\n", c->rq->method, c->rq->url,
		    ra_error_last());
}

/* ------------------------------------------------------ authentication */

/* HTTP Basic (RFC 7617 §2) with an enrolment secret: user "NAME" and the
 * secret of the RA token "est:NAME". */
static int
auth_basic(ectx *c, const char *hdr)
{
	unsigned char *dec = NULL;
	size_t n = 0;
	char *colon, name[GP_RA_MAX_NAME + 8];
	int r = -1;

	c->basic = 1;
	if (strncasecmp(hdr, "Basic ", 6) != 0)
		return est_reply(c, 401, "refused", "use HTTP Basic with an enrolment secret");
	if (b64_decode(&dec, &n, hdr + 6, strlen(hdr + 6)) != 0 || n > 512 ||
	    memchr(dec, '\0', n) != NULL) {
		free(dec);
		return est_reply(c, 401, "refused", "malformed Basic credentials");
	}
	{
		char *s = realloc(dec, n + 1);

		if (s == NULL) {
			free(dec);
			return est_reply(c, 500, "failed", "out of memory");
		}
		dec = (unsigned char *)s;
		s[n] = '\0';
	}
	if ((colon = strchr((char *)dec, ':')) == NULL || colon == (char *)dec ||
	    (size_t)(colon - (char *)dec) > GP_RA_MAX_NAME) {
		est_reply(c, 401, "refused", "malformed Basic credentials (want USER:SECRET)");
		goto out;
	}
	*colon = '\0';
	snprintf(c->user, sizeof(c->user), "%s", (char *)dec);
	if (gp_ra_token_auth(c->w->ra, &c->tok, colon + 1) != 0) {
		est_reply(c, 401, "refused", "enrolment secret: %s", gp_error_last());
		goto out;
	}
	snprintf(name, sizeof(name), SECRET_PREFIX "%s", c->user);
	if (strcmp(c->tok->name, name) != 0) {
		est_reply(c, 401, "refused", "that is not the enrolment secret of %s", c->user);
		goto out;
	}
	if (gp_ra_principal_token(&c->p, c->tok) != 0) {
		est_reply(c, 500, "failed", "%s", gp_error_last());
		goto out;
	}
	snprintf(c->actor, sizeof(c->actor), "%s", gp_ra_principal_name(c->p));
	r = 0;
out:
	OPENSSL_cleanse(dec, n);
	free(dec);
	return r;
}

/* The TLS client certificate: it must verify to our CA's root now (not
 * expired), be in our store as issued by our CA, and be good there (not
 * revoked, not on hold).  *present 0: the client sent none. */
static int
auth_cert(ectx *c, int *present)
{
	const gnutls_datum_t *peers;
	STACK_OF(X509) *inter = NULL;
	X509 *leaf = NULL;
	unsigned char sn[GP_SERIAL_MAX], fp[32];
	char hx[2 * GP_SERIAL_MAX + 1], name[64 + 2 * GP_SERIAL_MAX];
	size_t snlen = 0;
	unsigned n = 0;
	int r = -1;

	*present = 0;
	if ((peers = ra_peer_certs(c->rq->conn, &n)) == NULL || n == 0)
		return -1;
	*present = 1;
	if ((inter = sk_X509_dup(est.inter)) == NULL)
		return est_reply(c, 500, "failed", "out of memory");
	for (unsigned i = 0; i < n && i < 8; i++) {
		const unsigned char *p = peers[i].data;
		X509 *x = d2i_X509(NULL, &p, (long)peers[i].size);

		if (x == NULL) {
			est_reply(c, 401, "refused", "unreadable client certificate");
			goto out;
		}
		if (i == 0)
			leaf = x;
		else if (sk_X509_push(inter, x) <= 0) {
			X509_free(x);
			est_reply(c, 500, "failed", "out of memory");
			goto out;
		}
	}
	if (gp_verify_chain(leaf, est.roots, inter, NULL, 0, GP_PURPOSE_ANY) != 0) {
		est_reply(c, 401, "refused", "client certificate: %s", gp_error_last());
		goto out;
	}
	if (gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(leaf)) != 0 ||
	    gp_x509_fingerprint(leaf, fp) != 0) {
		est_reply(c, 401, "refused", "client certificate: %s", gp_error_last());
		goto out;
	}
	enrol_hex(hx, sn, snlen);
	if (gp_store_cert_get(gp_ctx_store(c->w->ctx), gp_ca_id(c->w->ca), sn, snlen,
	    &c->client_ci) != 0 || memcmp(c->client_ci->fingerprint, fp, 32) != 0) {
		est_reply(c, 401, "refused", "client certificate %s is not one of %s's", hx,
		    gp_ca_name(c->w->ca));
		goto out;
	}
	if (c->client_ci->status != GP_STATUS_GOOD) {
		est_reply(c, 401, "refused", "client certificate %s is %s", hx,
		    c->client_ci->status == GP_STATUS_HOLD ? "on hold" : "revoked");
		goto out;
	}
	snprintf(name, sizeof(name), "est:cert:%s", hx);
	snprintf(c->actor, sizeof(c->actor), "%s", name);
	/* a certificate enrols (and renews) in the profile it was issued under */
	if (c->client_ci->profile == NULL || strcmp(c->client_ci->profile, c->profile) != 0) {
		est_reply(c, 403, "refused", "client certificate %s was issued under profile %s, "
		    "not %s", hx, c->client_ci->profile ? c->client_ci->profile : "?", c->profile);
		goto out;
	}
	if (gp_ra_principal_applicant(&c->p, name, c->profile) != 0) {
		est_reply(c, 500, "failed", "%s", gp_error_last());
		goto out;
	}
	c->client = leaf;
	leaf = NULL;
	r = 0;
out:
	X509_free(leaf);
	/* the chain's certificates are borrowed, the client's owned */
	for (int i = sk_X509_num(est.inter); i < sk_X509_num(inter); i++)
		X509_free(sk_X509_value(inter, i));
	sk_X509_free(inter);
	return r;
}

/* ------------------------------------------------------------ requests */

/* 1 when the subjectAltName extensions of a and b hold the same names
 * (none in both is the same). */
static int
same_sans(GENERAL_NAMES *a, GENERAL_NAMES *b)
{
	int na = sk_GENERAL_NAME_num(a), nb = sk_GENERAL_NAME_num(b);

	if (na < 0)
		na = 0;
	if (nb < 0)
		nb = 0;
	if (na != nb)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		GENERAL_NAMES *x = pass ? b : a, *y = pass ? a : b;

		for (int i = 0; i < na; i++) {
			int found = 0;

			for (int j = 0; j < na && !found; j++)
				found = GENERAL_NAME_cmp(sk_GENERAL_NAME_value(x, i),
				    sk_GENERAL_NAME_value(y, j)) == 0;
			if (!found)
				return 0;
		}
	}
	return 1;
}

/* RFC 7030 §4.2.2: the CSR of a re-enrolment carries the subject and the
 * subjectAltName of the certificate it renews, unchanged. */
static int
check_renewal(ectx *c, X509_REQ *req)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *cs = X509_get_ext_d2i(c->client, NID_subject_alt_name, NULL, NULL);
	GENERAL_NAMES *rs = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
	int same = same_sans(cs, rs);

	GENERAL_NAMES_free(cs);
	GENERAL_NAMES_free(rs);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (X509_NAME_cmp(X509_REQ_get_subject_name(req), X509_get_subject_name(c->client)) != 0)
		return est_reply(c, 400, "refused", "the CSR's subject is not that of the "
		    "certificate being renewed (RFC 7030 4.2.2)");
	if (!same)
		return est_reply(c, 400, "refused", "the CSR's subjectAltName is not that of the "
		    "certificate being renewed (RFC 7030 4.2.2)");
	return 0;
}

/* The request of c for CSR der, checked as the RA checks a submission
 * (gp_ra_submit_check): 0, or -1 with the answer (400). */
static int
submission(ectx *c, gp_ra_submission *sub, const unsigned char *der, size_t len)
{
	memset(sub, 0, sizeof(*sub));
	sub->profile = c->profile;
	sub->csr = der;
	sub->csr_len = len;
	sub->submitter = c->actor;
	if (gp_ra_submit_check(c->w->ra, sub) != 0)
		return est_reply(c, 400, "refused", "%s", gp_error_last());
	return 0;
}

/* est_approval = officer: the request again (§4.2.3: the client polls by
 * sending it anew) answers with what the officers made of it; a new one
 * is stored for them. */
static int
enrol_officer(ectx *c, const unsigned char *der, size_t len)
{
	struct enrol_prev pv;
	gp_ra_submission sub;
	struct enrol_write x;
	gp_cert_info *ci = NULL;
	char sn[2 * GP_SERIAL_MAX + 1];
	int r;

	if ((r = enrol_prev(c->w->ra, &pv, c->profile, c->actor, der, len, 1)) != 0)
		return est_reply(c, 500, "failed", "reading the requests: %s", gp_error_last());
	if (pv.id > 0) {
		c->retry = est.retry_after;
		switch (pv.status) {
		case GP_RA_PENDING:
		case GP_RA_APPROVED:
			return est_reply(c, 202, "pending", "request %lld waits for the officers; "
			    "send it again in %ld s", (long long)pv.id, est.retry_after);
		case GP_RA_ISSUED:
			enrol_hex(sn, pv.serial, pv.serial_len);
			if (pv.serial_len == 0 || gp_store_cert_get(gp_ctx_store(c->w->ctx),
			    gp_ca_id(c->w->ca), pv.serial, pv.serial_len, &ci) != 0)
				return est_reply(c, 500, "failed", "request %lld: its certificate is "
				    "not in the store", (long long)pv.id);
			r = reply_cert(c, ci->der, ci->der_len);
			gp_cert_info_free(ci);
			if (r == 0)
				snprintf(c->result, sizeof(c->result), "issued request=%lld serial=%s",
				    (long long)pv.id, sn);
			return r;
		default:
			return est_reply(c, 403, "refused", "request %lld was %s: %s", (long long)pv.id,
			    gp_ra_status_name(pv.status), pv.reason);
		}
	}
	if (submission(c, &sub, der, len) != 0)
		return -1;
	write_init(&x, c, 202, "pending");
	x.sub = &sub;
	if ((r = est_write(&x)) != 0)
		return est_reply(c, r == GP_E_BUSY ? 503 : 500, "failed", "storing the request: %s",
		    ra_error_last());
	c->audited = 1;
	c->retry = est.retry_after;
	est_reply(c, 202, "pending", "request %lld waits for the officers; send it again in %ld s",
	    (long long)x.req_id, est.retry_after);
	return 0;
}

/* est_approval = auto: signed here, stored with its audit entry by the
 * writer, answered after the commit. */
static int
enrol_auto(ectx *c, const unsigned char *der, size_t len)
{
	gp_issue_req ir = GP_ISSUE_REQ_INIT;
	gp_issue_prep *prep = NULL;
	struct enrol_write x;
	unsigned char *cd = NULL;
	int r, n;

	ir.csr = der;
	ir.csr_len = len;
	ir.profile = c->profile;
	ir.actor = c->actor;
	if ((r = gp_ca_issue_prepare(&prep, c->w->ca, &ir)) != 0)
		return est_reply(c, r == GP_E_STATE ? 503 : 400, "refused", "%s", gp_error_last());
	write_init(&x, c, 200, "issued");
	x.prep = prep;
	if ((r = est_write(&x)) != 0) {
		est_reply(c, r == GP_E_POLICY ? 400 : r == GP_E_BUSY ? 503 : 500,
		    r == GP_E_POLICY ? "refused" : "failed", "%s", ra_error_last());
		goto out;
	}
	c->audited = 1;
	__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	if ((n = i2d_X509(gp_issue_prep_cert0(prep), &cd)) <= 0) {
		est_reply(c, 500, "failed", "cannot encode the certificate");
		goto out;
	}
	r = reply_cert(c, cd, (size_t)n);
out:
	OPENSSL_free(cd);
	gp_issue_prep_free(prep);
	return r;
}

/* est_approval = auto with ca-signer ([signer] socket): the request is
 * stored and the signer, which judges it from the store and its own
 * configuration, issues it (issue-auto-request).  A signer that cannot be
 * reached is a 503 with Retry-After (§4.2.3), with nothing stored. */
static int
enrol_signer(ectx *c, const unsigned char *der, size_t len)
{
	gp_ra_submission sub;
	X509 *x = NULL;
	unsigned char *cd = NULL;
	int64_t id = 0;
	int r, n;

	if (submission(c, &sub, der, len) != 0)
		return -1;
	if ((r = ra_issue_auto(&x, &id, &sub, GP_RA_AUTO_EST, 0)) != 0) {
		if (r == GP_E_IO || r == GP_E_BUSY) {
			c->retry = est.retry_after;
			return est_reply(c, 503, "failed", "cannot issue now: %s", ra_error_last());
		}
		return est_reply(c, r == GP_E_POLICY || r == GP_E_DENIED ? 403 : 500,
		    r == GP_E_POLICY || r == GP_E_DENIED ? "refused" : "failed", "%s",
		    ra_error_last());
	}
	__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	if ((n = i2d_X509(x, &cd)) <= 0) {
		X509_free(x);
		return est_reply(c, 500, "failed", "cannot encode the certificate");
	}
	r = reply_cert(c, cd, (size_t)n);
	if (r == 0)
		snprintf(c->result, sizeof(c->result), "issued request=%lld by=ca-signer",
		    (long long)id);
	OPENSSL_free(cd);
	X509_free(x);
	return r;
}

static int
is_pkcs10(const char *ct)
{
	size_t n = strlen("application/pkcs10");

	while (ct != NULL && *ct == ' ')
		ct++;
	if (ct == NULL || strncasecmp(ct, "application/pkcs10", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* simpleenroll and simplereenroll (§4.2). */
static void
h_enroll(ectx *c)
{
	const char *auth = MHD_lookup_connection_value(c->rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *ct = MHD_lookup_connection_value(c->rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	unsigned char *der = NULL;
	size_t len = 0;
	X509_REQ *req = NULL;
	int present = 0, rule = 0, officer = 0;

	/* who: a renewal only by the certificate it renews (§4.2.2), a first
	 * enrolment by an enrolment secret or a certificate (§3.3.2) */
	if (c->op == OP_SIMPLEENROLL && auth != NULL) {
		if (auth_basic(c, auth) != 0)
			goto out;
	} else if (auth_cert(c, &present) != 0) {
		if (!present) {
			c->basic = c->op == OP_SIMPLEENROLL;
			est_reply(c, 401, "refused", c->op == OP_SIMPLEENROLL ?
			    "authenticate with an enrolment secret (HTTP Basic) or a client certificate" :
			    "re-enrolment needs the current certificate as TLS client certificate");
		}
		goto out;
	}
	if (!is_pkcs10(ct)) {
		est_reply(c, 415, "refused", "Content-Type must be application/pkcs10, not '%.64s'",
		    ct ? ct : "(none)");
		goto out;
	}
	if (b64_decode(&der, &len, c->rq->body ? c->rq->body : "", c->rq->body_len) != 0) {
		est_reply(c, 400, "refused", "the body is not base64 (RFC 7030 4.2.1)");
		goto out;
	}
	if (len > GP_RA_MAX_CSR || gp_req_parse(&req, der, len) != 0) {
		est_reply(c, 400, "refused", "the body is not a PKCS#10 request: %s", gp_error_last());
		goto out;
	}
	if (c->op == OP_SIMPLEREENROLL && check_renewal(c, req) != 0)
		goto out;
	if (gp_ra_may_submit(&rule, c->w->ra, c->p, c->prof) != 0) {
		est_reply(c, 403, "refused", "%s", gp_error_last());
		goto out;
	}
	gp_profile_est(c->prof, &officer);
	if (officer)
		enrol_officer(c, der, len);
	else if (gp_ctx_signer0(c->w->ctx) != NULL)
		enrol_signer(c, der, len);
	else
		enrol_auto(c, der, len);
out:
	X509_REQ_free(req);
	free(der);
}

/* csrattrs (§4.5): nothing to ask for beyond what the profile checks
 * (§4.5.2 allows 204 then). */
static void
h_csrattrs(ectx *c)
{
	est_body(c, 204, "application/csrattrs", "", 0);
	snprintf(c->result, sizeof(c->result), "ok");
}

/* ------------------------------------------------------------- routing */

int
est_path(const char *url)
{
	return strncmp(url, EST_PREFIX, strlen(EST_PREFIX)) == 0;
}

/* Reads /.well-known/est/[label/]op into c: 0, or -1 with the answer. */
static int
route(ectx *c)
{
	const char *rest = c->rq->url + strlen(EST_PREFIX), *slash = strchr(rest, '/');
	const char *opname = rest, *label = NULL;
	char lab[GP_RA_MAX_NAME + 1];
	int get;

	if (slash != NULL) {
		size_t n = (size_t)(slash - rest);

		if (n == 0 || n > GP_RA_MAX_NAME || strchr(slash + 1, '/') != NULL)
			return est_reply(c, 404, "refused", "no EST resource %.200s", c->rq->url);
		memcpy(lab, rest, n);
		lab[n] = '\0';
		label = lab;
		opname = slash + 1;
	}
	for (c->op = 0; c->op < OP__N && strcmp(op_names[c->op], opname) != 0; c->op++)
		;
	if (c->op == OP__N) {
		c->op = -1;
		return est_reply(c, 404, "refused", "no EST operation '%.64s' (RFC 7030 3.2.2)", opname);
	}
	if (label == NULL && est.default_profile == NULL)
		return est_reply(c, 404, "refused", "no default EST profile ([est] default_profile): "
		    "use /.well-known/est/PROFILE/%s", op_names[c->op]);
	snprintf(c->profile, sizeof(c->profile), "%s", label ? label : est.default_profile);
	c->prof = gp_profiles_get(gp_ctx_profiles(c->w->ctx), c->profile);
	if (c->prof == NULL || !gp_profile_est(c->prof, NULL))
		return est_reply(c, 404, "refused", "no profile '%.64s' is served over EST", c->profile);
	if (c->op == OP_SERVERKEYGEN || c->op == OP_FULLCMC)
		return est_reply(c, 501, "refused", "%s is not offered (RFC 7030 4.3, 4.4 are optional)",
		    op_names[c->op]);
	get = c->op == OP_CACERTS || c->op == OP_CSRATTRS;
	if (strcmp(c->rq->method, get ? "GET" : "POST") != 0) {
		c->rs->allow = strdup(get ? "GET" : "POST");
		return est_reply(c, 405, "refused", "%s takes %s", op_names[c->op], get ? "GET" : "POST");
	}
	if (c->rq->too_large)
		return est_reply(c, 413, "refused", "the body is larger than %ld bytes",
		    ra_srv->set.max_body);
	if (get && c->rq->body_len > 0)
		return est_reply(c, 400, "refused", "%s takes no body", op_names[c->op]);
	return 0;
}

void
est_handle(worker *w, hreq *rq, hresp *rs)
{
	ectx c;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.rq = rq;
	c.rs = rs;
	c.op = -1;
	ra_client_addr(rq->conn, rq->addr, sizeof(rq->addr), rq->client, sizeof(rq->client));
	snprintf(c.actor, sizeof(c.actor), "addr:%s", rq->addr);
	if (route(&c) == 0) {
		switch (c.op) {
		case OP_CACERTS:
			/* §4.1.3: the chain, with no authentication asked */
			c.b64 = 1;
			est_body(&c, 200, "application/pkcs7-mime", est.cacerts, est.cacerts_len);
			break;
		case OP_CSRATTRS:
			h_csrattrs(&c);
			break;
		default:
			h_enroll(&c);
			break;
		}
	}
	if (rs->status == 0)
		est_reply(&c, 500, "failed", "no answer");
	audit_answer(&c);
	est_headers(&c);
	gp_ra_principal_free(c.p);
	gp_ra_token_free(c.tok);
	X509_free(c.client);
	gp_cert_info_free(c.client_ci);
}

/* --------------------------------------------------------------- start */

int
est_start(server *s, gp_ctx *ctx)
{
	const gp_config *cfg = gp_ctx_config(ctx);
	STACK_OF(X509) *all = NULL;
	int r = -1;

	memset(&est, 0, sizeof(est));
	if (gp_config_check_keys(cfg, "est", est_keys) != 0 ||
	    gp_config_long(&est.retry_after, cfg, "est", "retry_after", 60, 1, 86400) != 0) {
		fprintf(stderr, "ra-server: configuration: %s\n", gp_error_last());
		return -1;
	}
	est.default_profile = gp_config_str(cfg, "est", "default_profile", NULL);
	if (enrol_chain(&all, &est.roots, &est.inter, ctx, s->set.ca) != 0) {
		fprintf(stderr, "ra-server: est: the CA chain: %s\n", gp_error_last());
		return -1;
	}
	if (p7_certs_b64(&est.cacerts, &est.cacerts_len, all) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "ra-server: est: cannot read the chain of CA %s\n", s->set.ca);
	sk_X509_pop_free(all, X509_free);
	return r;
}

void
est_stop(void)
{
	free(est.cacerts);
	sk_X509_pop_free(est.roots, X509_free);
	sk_X509_pop_free(est.inter, X509_free);
	memset(&est, 0, sizeof(est));
}
