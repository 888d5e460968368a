/* ra/scep.c: ra-server's SCEP service (RFC 8894): GetCACaps, GetCACert, PKIOperation (PKCSReq, RenewalReq, CertPoll) */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "enrol.h"
#include "scep.h"
#include "scep_msg.h"

/*
 * /scep, /scep/{profile} and /cgi-bin/pkiclient.exe (RFC 8894 §4.1: the
 * operation in the query, PKIOperation's message as a POST body or as
 * base64 in message=).  A profile is served when it says scep = yes;
 * without one in the path, [scep] default_profile.
 *
 * The RA certificate ([scep] ra_cert, ra_key: RSA, issued by our CA) is
 * what clients envelope their requests to and what signs our CertReps
 * (§2.1, §4.2); GetCACert gives it with the CA chain.  Without it SCEP
 * is not served.
 *
 * Who may enrol (§2.3): PKCSReq with a challengePassword that is a
 * one-time RA secret (`ca-tool scep challenge --profile P`: an RA token
 * named "scep@NAME" for that one profile, used up by the write that
 * issues or stores the request); RenewalReq signed with a certificate of
 * our CA, good in our store, of the same profile and subject.
 *
 * The profile's scep_approval says whether a request is issued at once
 * (auto: on the worker, or by ca-signer with [signer] socket, as for
 * EST) or waits for the officers (officer: stored as a pending RA
 * request whose submitter is "scep:TRANSACTIONID", answered PENDING; the
 * client polls with CertPoll, §3.3.3, or sends the request again).
 *
 * Every request, answer and failure leaves one audit entry "scep.OP"
 * with protocol=scep and the transaction id; an issuance's entry is
 * written in the transaction that stores the certificate.
 */

#define SCEP_PATH "/scep"
#define SCEP_CGI "/cgi-bin/pkiclient.exe"
#define CHALLENGE_PREFIX "scep@"
#define SUBMITTER_PREFIX "scep:"

static const char *const scep_keys[] = {
	"default_profile", "ra_cert", "ra_key", "ra_key_pass_file", "time_skew", "legacy_des",
	"http_listen", NULL
};

static struct {
	int on;                        /* [scep] ra_cert is set */
	const char *default_profile;   /* borrowed from the configuration */
	long time_skew;                /* seconds a signingTime may be off (badTime) */
	OSSL_LIB_CTX *legacy;          /* legacy_des: default and legacy providers, NULL: none */
	OSSL_PROVIDER *prov[2];        /* those two */
	X509 *ra_cert;
	EVP_PKEY *ra_key;
	STACK_OF(X509) *roots;         /* the CA chain's self-signed end */
	STACK_OF(X509) *inter;         /* the rest */
	unsigned char *cacert;         /* GetCACert's answer: the RA certificate and the chain */
	size_t cacert_len;
} scep;

/* One SCEP request as it is handled. */
typedef struct sctx {
	worker *w;
	hreq *rq;
	hresp *rs;
	const char *op;                /* the operation, for the audit */
	const gp_profile *prof;
	char profile[GP_RA_MAX_NAME + 1];
	char actor[200];               /* "scep:TID", else "addr:ADDR" */
	scep_msg m;
	gp_ra_token *tok;              /* PKCSReq: the challenge */
	gp_cert_info *renewed;         /* RenewalReq: the certificate renewed */
	int audited;
	char result[1200];             /* the audit's result=... */
} sctx;

/* ------------------------------------------------------------ answers */

static void
set_result(sctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_result(sctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->result, sizeof(c->result), fmt, ap);
	va_end(ap);
}

static int
set_body(sctx *c, unsigned status, const char *ctype, const void *data, size_t len)
{
	free(c->rs->body);
	c->rs->len = 0;
	if ((c->rs->body = malloc(len + 1)) == NULL) {
		c->rs->status = 500;
		c->rs->ctype = "text/plain; charset=utf-8";
		return -1;
	}
	memcpy(c->rs->body, data, len);
	c->rs->body[len] = '\0';
	c->rs->len = len;
	c->rs->status = status;
	c->rs->ctype = ctype;
	return 0;
}

static int
reply_text(sctx *c, unsigned status, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A text/plain HTTP error, for what cannot be answered with a CertRep
 * (§4.3: no pkiMessage to answer). */
static int
reply_text(sctx *c, unsigned status, const char *result, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(text) - 2)
		n = (int)sizeof(text) - 2;
	text[n] = '\n';
	set_body(c, status, "text/plain; charset=utf-8", text, (size_t)n + 1);
	text[n] = '\0';
	set_result(c, "%s reason=%.1000s", result, text);
	return -1;
}

/* The CertRep (§3.3.2) of c's request: pkiStatus status, failInfo and its
 * text on FAILURE, the certificate on SUCCESS. */
static int
reply_rep(sctx *c, int status, int failinfo, X509 *cert, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
reply_rep(sctx *c, int status, int failinfo, X509 *cert, const char *fmt, ...)
{
	STACK_OF(X509) *certs = NULL;
	unsigned char *der = NULL;
	size_t len = 0;
	char text[900] = "";
	va_list ap;
	int r;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	if (cert != NULL && ((certs = sk_X509_new_null()) == NULL || sk_X509_push(certs, cert) <= 0)) {
		sk_X509_free(certs);
		return reply_text(c, 500, "failed", "out of memory");
	}
	r = scep_certrep(&der, &len, &c->m, status, failinfo, text, certs, scep.ra_cert,
	    scep.ra_key);
	sk_X509_free(certs);
	if (r != 0)
		return reply_text(c, 500, "failed", "cannot make the CertRep");
	r = set_body(c, 200, "application/x-pki-message", der, len);
	OPENSSL_free(der);
	if (status == SCEP_FAILURE)
		set_result(c, "refused failInfo=%s reason=%.900s", scep_fail_name(failinfo), text);
	else if (status == SCEP_PENDING)
		set_result(c, "pending %.900s", text);
	return status == SCEP_SUCCESS && r == 0 ? 0 : -1;
}

/* -------------------------------------------------------------- writes */

static void
write_init(struct enrol_write *x, const sctx *c, const char *result)
{
	char signer[2 * GP_SERIAL_MAX + 16] = "-";
	unsigned char sn[GP_SERIAL_MAX];
	size_t snlen = 0;

	memset(x, 0, sizeof(*x));
	x->actor = c->actor;
	snprintf(x->action, sizeof(x->action), "scep.%s", c->op);
	snprintf(x->object, sizeof(x->object), "profile:%s", c->profile[0] ? c->profile : "-");
	/* who signed: a self-signed certificate, or the serial of one */
	if (c->m.signer != NULL && X509_check_issued(c->m.signer, c->m.signer) == X509_V_OK)
		snprintf(signer, sizeof(signer), "self-signed");
	else if (c->m.signer != NULL && gp_serial_from_asn1(sn, &snlen,
	    X509_get0_serialNumber(c->m.signer)) == 0)
		enrol_hex(signer, sn, snlen);
	snprintf(x->detail, sizeof(x->detail), "protocol=scep method=%.16s status=%u "
	    "transaction=%.128s signer=%s addr=%s result=%.1200s", c->rq->method, c->rs->status ?
	    c->rs->status : 200, c->m.tid[0] ? c->m.tid : "-", signer, c->rq->addr, result);
}

/* The reason a write failed. */
static const char *
write_error(const struct enrol_write *x)
{
	return x->used ? "the challenge password was used already (it is good once)" :
	    ra_error_last();
}

/* The audit entry of an answer that wrote nothing else. */
static void
audit_answer(sctx *c)
{
	struct enrol_write x;

	if (c->audited)
		return;
	c->audited = 1;
	write_init(&x, c, c->result[0] ? c->result : "ok");
	if (enrol_write(&x) != 0)
		fprintf(stderr, "ra-server: scep: cannot audit %s %s: %s\n", c->rq->method, c->rq->url,
		    ra_error_last());
}

/* ------------------------------------------------------------ requests */

/* The latest request of this transaction (submitter "scep:TID"): 0
 * (pv->id 0: none), or -1 with the answer. */
static int
prev_request(sctx *c, struct enrol_prev *pv, const unsigned char *der, size_t len)
{
	if (enrol_prev(c->w->ra, pv, c->profile, c->actor, der, len, 0) != 0)
		return reply_text(c, 500, "failed", "reading the requests: %s", gp_error_last());
	return 0;
}

/* Answers with what became of request pv (§3.3.3: PENDING while the
 * officers decide, SUCCESS with the certificate once issued). */
static int
reply_prev(sctx *c, const struct enrol_prev *pv)
{
	gp_cert_info *ci = NULL;
	X509 *x = NULL;
	char sn[2 * GP_SERIAL_MAX + 1];
	int r;

	switch (pv->status) {
	case GP_RA_PENDING:
	case GP_RA_APPROVED:
		return reply_rep(c, SCEP_PENDING, SCEP_FAIL_NONE, NULL, "request=%lld waits for the "
		    "officers", (long long)pv->id);
	case GP_RA_ISSUED:
		enrol_hex(sn, pv->serial, pv->serial_len);
		if (pv->serial_len == 0 || gp_store_cert_get(gp_ctx_store(c->w->ctx),
		    gp_ca_id(c->w->ca), pv->serial, pv->serial_len, &ci) != 0 ||
		    gp_cert_parse(&x, ci->der, ci->der_len) != 0) {
			gp_cert_info_free(ci);
			return reply_text(c, 500, "failed", "request %lld: its certificate is not in the "
			    "store", (long long)pv->id);
		}
		r = reply_rep(c, SCEP_SUCCESS, SCEP_FAIL_NONE, x, NULL);
		if (r == 0)
			set_result(c, "issued request=%lld serial=%s", (long long)pv->id, sn);
		X509_free(x);
		gp_cert_info_free(ci);
		return r;
	default:
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "request %lld was %s: %s",
		    (long long)pv->id, gp_ra_status_name(pv->status), pv->reason);
	}
}

/* The challengePassword of the CSR (RFC 2985 §5.4.1, RFC 8894 §2.3). */
static int
challenge_of(X509_REQ *req, char *out, size_t size)
{
	int i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
	X509_ATTRIBUTE *a = i >= 0 ? X509_REQ_get_attr(req, i) : NULL;
	ASN1_TYPE *t = a != NULL && X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) :
	    NULL;
	int n;

	out[0] = '\0';
	if (t == NULL || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING &&
	    t->type != V_ASN1_IA5STRING && t->type != V_ASN1_T61STRING))
		return -1;
	n = ASN1_STRING_length(t->value.asn1_string);
	if (n <= 0 || (size_t)n >= size)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(t->value.asn1_string), (size_t)n);
	out[n] = '\0';
	return memchr(out, '\0', (size_t)n) != NULL ? -1 : 0;
}

/* PKCSReq (§3.3.1): the challenge is a one-time secret of this profile. */
static int
auth_challenge(sctx *c, X509_REQ *req)
{
	char pw[256];
	int r;

	if (challenge_of(req, pw, sizeof(pw)) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "the CSR has no "
		    "challengePassword (RFC 8894 2.3): ask for one with ca-tool scep challenge");
	if ((r = gp_ra_token_auth(c->w->ra, &c->tok, pw)) != 0) {
		/* a challenge used up is a revoked token: say so */
		gp_ra_token *t = NULL;
		unsigned char h[32];
		char err[300];
		int used;

		snprintf(err, sizeof(err), "%s", gp_error_last());
		SHA256((const unsigned char *)pw, strlen(pw), h);
		OPENSSL_cleanse(pw, sizeof(pw));
		used = gp_store_ra_token_get(gp_ctx_store(c->w->ctx), h, &t) == 0 && t->revoked &&
		    strncmp(t->name, CHALLENGE_PREFIX, strlen(CHALLENGE_PREFIX)) == 0;
		gp_ra_token_free(t);
		if (used)
			return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "the challenge "
			    "password was used already (it is good once) or revoked");
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "challenge password: %s",
		    err);
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	if (strncmp(c->tok->name, CHALLENGE_PREFIX, strlen(CHALLENGE_PREFIX)) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "challenge password: token "
		    "%lld is not a SCEP challenge", (long long)c->tok->id);
	if (strcmp(c->tok->profiles, c->profile) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "challenge password: token "
		    "%lld is for profile %s, not %s", (long long)c->tok->id, c->tok->profiles,
		    c->profile);
	return 0;
}

/* RenewalReq (§3.3.1.2): signed with a certificate of ours that is good
 * now, was issued under this profile, and names the CSR's subject. */
static int
auth_renewal(sctx *c, X509_REQ *req)
{
	unsigned char sn[GP_SERIAL_MAX], fp[32];
	char hx[2 * GP_SERIAL_MAX + 1];
	size_t snlen = 0;

	if (gp_verify_chain(c->m.signer, scep.roots, scep.inter, NULL, 0, GP_PURPOSE_ANY) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "RenewalReq: the signer's "
		    "certificate: %s", gp_error_last());
	if (gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(c->m.signer)) != 0 ||
	    gp_x509_fingerprint(c->m.signer, fp) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "RenewalReq: %s",
		    gp_error_last());
	enrol_hex(hx, sn, snlen);
	if (gp_store_cert_get(gp_ctx_store(c->w->ctx), gp_ca_id(c->w->ca), sn, snlen,
	    &c->renewed) != 0 || memcmp(c->renewed->fingerprint, fp, 32) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "RenewalReq: certificate %s "
		    "is not one of %s's", hx, gp_ca_name(c->w->ca));
	if (c->renewed->status != GP_STATUS_GOOD)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "RenewalReq: certificate %s "
		    "is %s", hx, c->renewed->status == GP_STATUS_HOLD ? "on hold" : "revoked");
	if (c->renewed->profile == NULL || strcmp(c->renewed->profile, c->profile) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "RenewalReq: certificate %s "
		    "was issued under profile %s, not %s", hx, c->renewed->profile ?
		    c->renewed->profile : "?", c->profile);
	if (X509_NAME_cmp(X509_REQ_get_subject_name(req), X509_get_subject_name(c->m.signer)) != 0)
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "RenewalReq: the CSR's "
		    "subject is not that of certificate %s", hx);
	return 0;
}

/* scep_approval = auto: signed here, stored with the challenge used up
 * and the audit entry by the writer, answered after the commit. */
static int
enrol_auto(sctx *c, const unsigned char *der, size_t len)
{
	gp_issue_req ir = GP_ISSUE_REQ_INIT;
	gp_issue_prep *prep = NULL;
	struct enrol_write x;
	int r;

	ir.csr = der;
	ir.csr_len = len;
	ir.profile = c->profile;
	ir.actor = c->actor;
	if ((r = gp_ca_issue_prepare(&prep, c->w->ca, &ir)) != 0) {
		if (r == GP_E_STATE)
			return reply_text(c, 503, "failed", "%s", gp_error_last());
		return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "%s", gp_error_last());
	}
	write_init(&x, c, "issued");
	x.use = c->tok;
	x.prep = prep;
	if ((r = enrol_write(&x)) != 0) {
		if (r == GP_E_POLICY || r == GP_E_DENIED)
			reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "%s", write_error(&x));
		else
			reply_text(c, r == GP_E_BUSY ? 503 : 500, "failed", "%s", write_error(&x));
		gp_issue_prep_free(prep);
		return -1;
	}
	c->audited = 1;
	__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	r = reply_rep(c, SCEP_SUCCESS, SCEP_FAIL_NONE, gp_issue_prep_cert0(prep), NULL);
	gp_issue_prep_free(prep);
	return r;
}

/* scep_approval = auto with ca-signer: the challenge is used up first
 * (so that it cannot be used twice while the signer works), then the
 * request is stored and the signer issues it (issue-auto-request). */
static int
enrol_signer(sctx *c, const gp_ra_submission *sub)
{
	struct enrol_write x;
	X509 *cert = NULL;
	int64_t id = 0;
	int r;

	if (c->tok != NULL) {
		const char *op = c->op;

		c->op = "challenge";
		write_init(&x, c, "used");
		c->op = op;
		x.use = c->tok;
		if ((r = enrol_write(&x)) != 0)
			return r == GP_E_DENIED ? reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "%s",
			    write_error(&x)) : reply_text(c, r == GP_E_BUSY ? 503 : 500, "failed", "%s",
			    write_error(&x));
	}
	if ((r = ra_issue_auto(&cert, &id, sub, GP_RA_AUTO_SCEP, 0)) != 0) {
		if (r == GP_E_POLICY || r == GP_E_DENIED)
			return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "%s", ra_error_last());
		return reply_text(c, r == GP_E_IO || r == GP_E_BUSY ? 503 : 500, "failed",
		    "cannot issue now: %s", ra_error_last());
	}
	__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	r = reply_rep(c, SCEP_SUCCESS, SCEP_FAIL_NONE, cert, NULL);
	if (r == 0)
		set_result(c, "issued request=%lld by=ca-signer", (long long)id);
	X509_free(cert);
	return r;
}

/* scep_approval = officer: stored as pending with the challenge used up,
 * answered PENDING (§3.3.2). */
static int
enrol_officer(sctx *c, const gp_ra_submission *sub)
{
	struct enrol_write x;
	int r;

	write_init(&x, c, "pending");
	x.use = c->tok;
	x.sub = sub;
	if ((r = enrol_write(&x)) != 0) {
		if (r == GP_E_DENIED || r == GP_E_POLICY)
			return reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "%s", write_error(&x));
		return reply_text(c, r == GP_E_BUSY ? 503 : 500, "failed", "storing the request: %s",
		    write_error(&x));
	}
	c->audited = 1;
	return reply_rep(c, SCEP_PENDING, SCEP_FAIL_NONE, NULL, "request=%lld waits for the "
	    "officers", (long long)x.req_id);
}

/* PKCSReq and RenewalReq (§3.3.1): the CSR of the pkcsPKIEnvelope. */
static void
h_enrol(sctx *c, const unsigned char *der, size_t len)
{
	X509_REQ *req = NULL;
	gp_ra_principal *p = NULL;
	gp_ra_submission sub;
	struct enrol_prev pv;
	int rule = 0, officer = 0, renew;

	if (len > GP_RA_MAX_CSR || gp_req_parse(&req, der, len) != 0) {
		reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "the pkcsPKIEnvelope does not "
		    "hold a PKCS#10 request: %s", gp_error_last());
		goto out;
	}
	/* the request again (§3.3.3 allows resending it): what became of it */
	if (prev_request(c, &pv, der, len) != 0)
		goto out;
	if (pv.id > 0) {
		if (!pv.same_csr)
			reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "transaction %s has request "
			    "%lld with another CSR", c->m.tid, (long long)pv.id);
		else
			reply_prev(c, &pv);
		goto out;
	}
	/* §2.3: a PKCSReq signed with a certificate of ours (certmonger
	 * renews so) is authenticated by it as a RenewalReq is; any other,
	 * by its challenge */
	renew = c->m.type == SCEP_RENEWALREQ ||
	    (X509_check_issued(c->m.signer, c->m.signer) != X509_V_OK &&
	    gp_verify_chain(c->m.signer, scep.roots, scep.inter, NULL, 0, GP_PURPOSE_ANY) == 0);
	if (renew ? auth_renewal(c, req) != 0 : auth_challenge(c, req) != 0)
		goto out;
	if (gp_ra_principal_applicant(&p, c->actor, c->profile) != 0 ||
	    gp_ra_may_submit(&rule, c->w->ra, p, c->prof) != 0) {
		reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "%s", gp_error_last());
		goto out;
	}
	memset(&sub, 0, sizeof(sub));
	sub.profile = c->profile;
	sub.csr = der;
	sub.csr_len = len;
	sub.submitter = c->actor;
	if (gp_ra_submit_check(c->w->ra, &sub) != 0) {
		reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "%s", gp_error_last());
		goto out;
	}
	gp_profile_scep(c->prof, &officer);
	if (officer)
		enrol_officer(c, &sub);
	else if (gp_ctx_signer0(c->w->ctx) != NULL)
		enrol_signer(c, &sub);
	else
		enrol_auto(c, der, len);
out:
	gp_ra_principal_free(p);
	X509_REQ_free(req);
}

/* CertPoll (§3.3.3, GetCertInitial before RFC 8894): the transaction's
 * request. */
static void
h_poll(sctx *c)
{
	struct enrol_prev pv;

	if (prev_request(c, &pv, NULL, 0) != 0)
		return;
	if (pv.id == 0) {
		reply_rep(c, SCEP_FAILURE, SCEP_BAD_CERT_ID, NULL, "no request of transaction %s "
		    "under profile %s", c->m.tid, c->profile);
		return;
	}
	reply_prev(c, &pv);
}

/* The submitter name of transaction tid: "scep:TID" when TID is short and
 * of the base64 and hex alphabet, else "scep:" and the SHA-256 of TID. */
static void
tid_actor(sctx *c)
{
	size_t n = strlen(c->m.tid);
	unsigned char h[32];
	char hx[65];

	if (n > 0 && n <= 64 && strspn(c->m.tid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=-_.") == n) {
		snprintf(c->actor, sizeof(c->actor), SUBMITTER_PREFIX "%s", c->m.tid);
		return;
	}
	SHA256((const unsigned char *)c->m.tid, n, h);
	enrol_hex(hx, h, sizeof(h));
	snprintf(c->actor, sizeof(c->actor), SUBMITTER_PREFIX "sha256-%s", hx);
}

/* base64 of message= (§4.3: GET with the pkiMessage in the query), with
 * the '+' that a query's decoding turns into ' ' put back. */
static int
b64_arg(unsigned char **out, size_t *outlen, const char *s)
{
	size_t n = strlen(s);
	char *t = malloc(n + 1);
	int len;

	*out = NULL;
	*outlen = 0;
	if (t == NULL || n == 0 || n > (size_t)ra_srv->set.max_body * 2) {
		free(t);
		return -1;
	}
	for (size_t i = 0, j = 0; i <= n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			t[j++] = s[i] == ' ' ? '+' : s[i];
	n = strlen(t);
	if ((*out = malloc(n / 4 * 3 + 3)) == NULL || n % 4 != 0 ||
	    (len = EVP_DecodeBlock(*out, (const unsigned char *)t, (int)n)) < 0) {
		free(t);
		free(*out);
		*out = NULL;
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zeros */
	while (n > 0 && t[n - 1] == '=') {
		n--;
		len--;
	}
	free(t);
	*outlen = (size_t)len;
	return 0;
}

/* PKIOperation (§3, §4.3). */
static void
h_pkioperation(sctx *c)
{
	unsigned char *dec = NULL, *inner = NULL;
	const unsigned char *der;
	size_t len, ilen = 0;
	char why[300];
	int fi;

	if (strcmp(c->rq->method, "POST") == 0) {
		der = (const unsigned char *)c->rq->body;
		len = c->rq->body_len;
	} else {
		const char *msg = query(c->rq, "message");

		if (msg == NULL || b64_arg(&dec, &len, msg) != 0) {
			reply_text(c, 400, "refused", "PKIOperation by GET needs message=BASE64 "
			    "(RFC 8894 4.3)");
			goto out;
		}
		der = dec;
	}
	fi = scep_msg_parse(&c->m, der, len, why, sizeof(why));
	if (c->m.tid[0] != '\0')
		tid_actor(c);
	if (fi != SCEP_FAIL_NONE) {
		if (c->m.signer == NULL || c->m.tid[0] == '\0')
			reply_text(c, 400, "refused", "%s", why);
		else
			reply_rep(c, SCEP_FAILURE, fi, NULL, "%s", why);
		goto out;
	}
	c->op = scep_type_name(c->m.type);
	if (c->m.type != SCEP_PKCSREQ && c->m.type != SCEP_RENEWALREQ &&
	    c->m.type != SCEP_CERTPOLL) {
		c->op = "pkioperation";
		reply_rep(c, SCEP_FAILURE, SCEP_BAD_REQUEST, NULL, "messageType %d is not offered "
		    "(PKCSReq, RenewalReq and CertPoll are)", c->m.type);
		goto out;
	}
	/* §3.2.1.4 badTime: a signingTime far from ours */
	if (c->m.signing_time != 0 && (c->m.signing_time > (int64_t)time(NULL) + scep.time_skew ||
	    c->m.signing_time < (int64_t)time(NULL) - scep.time_skew)) {
		reply_rep(c, SCEP_FAILURE, SCEP_BAD_TIME, NULL, "the signingTime is more than %ld s "
		    "from the server's time", scep.time_skew);
		goto out;
	}
	if ((fi = scep_msg_open(&c->m, scep.legacy, scep.ra_cert, scep.ra_key, &inner, &ilen, why,
	    sizeof(why))) != SCEP_FAIL_NONE) {
		reply_rep(c, SCEP_FAILURE, fi, NULL, "%s", why);
		goto out;
	}
	if (c->m.type == SCEP_CERTPOLL)
		h_poll(c);
	else
		h_enrol(c, inner, ilen);
out:
	free(inner);
	free(dec);
}

/* ------------------------------------------------------------- routing */

int
scep_path(const char *url)
{
	size_t n = strlen(SCEP_PATH);

	return strcmp(url, SCEP_CGI) == 0 ||
	    (strncmp(url, SCEP_PATH, n) == 0 && (url[n] == '\0' || url[n] == '/'));
}

/* Reads the profile of the URL into c: 0, or -1 with the answer. */
static int
route(sctx *c)
{
	const char *url = c->rq->url, *label = NULL;

	if (!scep.on)
		return reply_text(c, 404, "refused", "SCEP is not served here ([scep] ra_cert)");
	if (strncmp(url, SCEP_PATH "/", strlen(SCEP_PATH) + 1) == 0) {
		label = url + strlen(SCEP_PATH) + 1;
		if (*label == '\0' || strlen(label) > GP_RA_MAX_NAME || strchr(label, '/') != NULL)
			return reply_text(c, 404, "refused", "no SCEP resource %.200s", url);
	}
	if (label == NULL && scep.default_profile == NULL)
		return reply_text(c, 404, "refused", "no default SCEP profile ([scep] default_profile): "
		    "use /scep/PROFILE");
	snprintf(c->profile, sizeof(c->profile), "%s", label ? label : scep.default_profile);
	c->prof = gp_profiles_get(gp_ctx_profiles(c->w->ctx), c->profile);
	if (c->prof == NULL || !gp_profile_scep(c->prof, NULL))
		return reply_text(c, 404, "refused", "no profile '%.64s' is served over SCEP",
		    c->profile);
	return 0;
}

void
scep_handle(worker *w, hreq *rq, hresp *rs)
{
	const char *op;
	sctx c;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.rq = rq;
	c.rs = rs;
	c.op = "request";
	c.m.type = -1;
	ra_client_addr(rq->conn, rq->addr, sizeof(rq->addr), rq->client, sizeof(rq->client));
	snprintf(c.actor, sizeof(c.actor), "addr:%s", rq->addr);
	if (route(&c) != 0)
		goto out;
	op = query(rq, "operation");
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "POST") != 0) {
		rs->allow = strdup("GET, POST");
		reply_text(&c, 405, "refused", "SCEP takes GET and POST (RFC 8894 4.1)");
	} else if (op == NULL) {
		reply_text(&c, 400, "refused", "no operation= (RFC 8894 4.1)");
	} else if (strcmp(op, "PKIOperation") == 0) {
		c.op = "pkioperation";
		if (rq->too_large)
			reply_text(&c, 413, "refused", "the body is larger than %ld bytes",
			    ra_srv->set.max_body);
		else
			h_pkioperation(&c);
	} else if (strcmp(rq->method, "GET") != 0) {
		rs->allow = strdup("GET");
		reply_text(&c, 405, "refused", "%.32s takes GET (RFC 8894 4.1)", op);
	} else if (strcmp(op, "GetCACaps") == 0) {
		/* §3.5.2: one keyword a line; all of them true here (3DES opens
		 * with the default provider, CMS_verify takes the SHA-2 family).
		 * strongSwan 5.9's pki tests its flags as bit numbers, and finds
		 * SHA-256 and AES through the bit of SHA-384 */
		static const char caps[] = "AES\nDES3\nPOSTPKIOperation\nRenewal\nSHA-256\n"
		    "SHA-384\nSHA-512\nSCEPStandard\n";

		c.op = "getcacaps";
		set_body(&c, 200, "text/plain", caps, strlen(caps));
	} else if (strcmp(op, "GetCACert") == 0) {
		/* §4.2.1.2: the RA certificate and the CA chain, certs-only */
		c.op = "getcacert";
		set_body(&c, 200, "application/x-x509-ca-ra-cert", scep.cacert, scep.cacert_len);
	} else {
		reply_text(&c, 400, "refused", "no SCEP operation '%.32s' (GetCACaps, GetCACert, "
		    "PKIOperation)", op);
	}
out:
	if (rs->status == 0)
		reply_text(&c, 500, "failed", "no answer");
	audit_answer(&c);
	scep_msg_clear(&c.m);
	gp_ra_token_free(c.tok);
	gp_cert_info_free(c.renewed);
}

/* --------------------------------------------------------------- start */

int
scep_start(server *s, gp_ctx *ctx, const char *pass, size_t passlen)
{
	const gp_config *cfg = gp_ctx_config(ctx);
	const char *cert_file, *key_file, *pass_file;
	STACK_OF(X509) *all = NULL;
	BIO *b = NULL;
	char *kpass = NULL;
	size_t kpasslen = 0;
	int r = -1, legacy_des = 0;

	memset(&scep, 0, sizeof(scep));
	if (gp_config_check_keys(cfg, "scep", scep_keys) != 0 ||
	    gp_config_long(&scep.time_skew, cfg, "scep", "time_skew", 86400, 60, 31 * 86400) != 0) {
		fprintf(stderr, "ra-server: configuration: %s\n", gp_error_last());
		return -1;
	}
	if (gp_config_bool(&legacy_des, cfg, "scep", "legacy_des", 0) != 0) {
		fprintf(stderr, "ra-server: configuration: %s\n", gp_error_last());
		return -1;
	}
	/* single DES (56 bits), which some clients still envelope with
	 * (micromdm's scepclient of Debian 12 does): only in a library
	 * context of its own, so that nothing else of ra-server gets the
	 * legacy provider's algorithms */
	if (legacy_des && ((scep.legacy = OSSL_LIB_CTX_new()) == NULL ||
	    (scep.prov[0] = OSSL_PROVIDER_load(scep.legacy, "default")) == NULL ||
	    (scep.prov[1] = OSSL_PROVIDER_load(scep.legacy, "legacy")) == NULL)) {
		fprintf(stderr, "ra-server: scep: legacy_des: OpenSSL's legacy provider does not "
		    "load\n");
		return -1;
	}
	scep.default_profile = gp_config_str(cfg, "scep", "default_profile", NULL);
	cert_file = gp_config_str(cfg, "scep", "ra_cert", NULL);
	key_file = gp_config_str(cfg, "scep", "ra_key", NULL);
	pass_file = gp_config_str(cfg, "scep", "ra_key_pass_file", NULL);
	if (cert_file == NULL && key_file == NULL)
		return 0;
	if (cert_file == NULL || key_file == NULL) {
		fprintf(stderr, "ra-server: scep: set both [scep] ra_cert and ra_key\n");
		return -1;
	}
	if ((b = BIO_new_file(cert_file, "r")) == NULL ||
	    (scep.ra_cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "ra-server: scep: cannot read the RA certificate %s\n", cert_file);
		goto out;
	}
	BIO_free(b);
	b = NULL;
	if (pass_file != NULL && gp_pass_get(&kpass, &kpasslen, pass_file, NULL) != 0) {
		fprintf(stderr, "ra-server: scep: ra_key_pass_file: %s\n", gp_error_last());
		goto out;
	}
	if (gp_key_load(&scep.ra_key, key_file, kpass ? kpass : pass, kpass ? kpasslen : passlen)
	    != 0) {
		fprintf(stderr, "ra-server: scep: the RA key %s: %s\n", key_file, gp_error_last());
		goto out;
	}
	/* §2.1: clients envelope to the RA certificate with RSA key transport */
	if (EVP_PKEY_get_base_id(scep.ra_key) != EVP_PKEY_RSA ||
	    X509_check_private_key(scep.ra_cert, scep.ra_key) != 1) {
		fprintf(stderr, "ra-server: scep: the RA key must be the RSA key of %s\n", cert_file);
		goto out;
	}
	if (enrol_chain(&all, &scep.roots, &scep.inter, ctx, s->set.ca) != 0) {
		fprintf(stderr, "ra-server: scep: the CA chain: %s\n", gp_error_last());
		goto out;
	}
	/* GetCACert: the RA certificate first, then the chain */
	if (X509_up_ref(scep.ra_cert) != 1)
		goto out;
	if (sk_X509_unshift(all, scep.ra_cert) <= 0) {
		X509_free(scep.ra_cert);
		goto out;
	}
	if (gp_verify_chain(scep.ra_cert, scep.roots, scep.inter, NULL, 0, GP_PURPOSE_ANY) != 0) {
		fprintf(stderr, "ra-server: scep: the RA certificate %s: %s\n", cert_file,
		    gp_error_last());
		goto out;
	}
	if (scep_certs_only(&scep.cacert, &scep.cacert_len, all) != 0)
		goto out;
	scep.on = 1;
	r = 0;
out:
	if (r != 0 && !scep.on)
		fprintf(stderr, "ra-server: scep: cannot start the SCEP service\n");
	if (kpass != NULL)
		gp_pass_free(kpass, kpasslen);
	sk_X509_pop_free(all, X509_free);
	BIO_free(b);
	return r;
}

void
scep_stop(void)
{
	X509_free(scep.ra_cert);
	EVP_PKEY_free(scep.ra_key);
	sk_X509_pop_free(scep.roots, X509_free);
	sk_X509_pop_free(scep.inter, X509_free);
	OPENSSL_free(scep.cacert);
	for (int i = 1; i >= 0; i--)
		if (scep.prov[i] != NULL)
			OSSL_PROVIDER_unload(scep.prov[i]);
	OSSL_LIB_CTX_free(scep.legacy);
	memset(&scep, 0, sizeof(scep));
}
