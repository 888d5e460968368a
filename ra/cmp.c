/* ra/cmp.c: ra-server's CMP service (RFC 4210/9480, Lightweight CMP RFC 9483) over HTTP (RFC 6712) */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <govpki/cmp.h>

#include "cmp.h"

/*
 * POST /.well-known/cmp and /.well-known/cmp/p/{profile} (RFC 9483 §6.1;
 * RFC 6712 §3: Content-Type application/pkixcmp, one DER PKIMessage per
 * request, answered 200 with one PKIMessage, also for CMP errors).
 *
 * OpenSSL's CMP server (OSSL_CMP_SRV_process_request) does the message
 * layer: the header, the MAC (RFC 4210 §5.1.3.1), nonces and transaction
 * ids, the proof of possession, certConf/pkiConf and implicit confirm
 * (§5.1.1.1).  The decisions stay ours, in its callbacks: which secret
 * (the senderKID names a secret of `ca-tool cmp secret create`, which
 * names the profile; govpki/cmp.h), whether the profile is served over
 * CMP (cmp = yes), the profile's checks and the issuance with its audit
 * entry in one write, as for EST (ra/est.c).
 *
 * A transaction lives from its first message to its certConf (or
 * confirm_seconds) in a small table, since OpenSSL's server keeps the
 * transaction id and nonces in its context between the two HTTP requests.
 *
 * Every request leaves an audit entry "cmp.TYPE" with protocol=cmp, the
 * transaction id, the senderKID and the result; an issuance's entry is
 * written in the transaction that stores the certificate.
 */

#define CMP_PREFIX "/.well-known/cmp"
#define TXN_SLOTS 256

/* PKIBody choices (RFC 4210 §5.1.2) that OpenSSL 3.0 does not name publicly */
#define BODY_RR 11
#define BODY_GENM 21
#define BODY_ERROR 23
#define BODY_CERTCONF 24
#define BODY_POLLREQ 25

static const char *const cmp_keys[] = { "confirm_seconds", NULL };

/* One transaction (the custom context of its OSSL_CMP_SRV_CTX). */
typedef struct txn {
	struct cctx *c;                /* the HTTP request being handled */
	char profile[GP_RA_MAX_NAME + 1];
	char kid[80];
	X509 *issued;                  /* the certificate it issued, for certConf */
	char serial[2 * GP_SERIAL_MAX + 1];
} txn;

/* One HTTP request as it is handled. */
typedef struct cctx {
	worker *w;
	hreq *rq;
	hresp *rs;
	const char *label;             /* the profile of the URL, NULL: the secret's */
	char lab[GP_RA_MAX_NAME + 1];
	char type[16];                 /* the request's body type */
	char tid[80];                  /* its transaction id, hex */
	char kid[80];
	char actor[200];
	int audited;
	char result[1200];
} cctx;

static struct {
	long confirm_seconds;
	STACK_OF(X509) *chain;         /* the issuing CA's chain, for extraCerts */
	pthread_mutex_t mu;
	struct slot {
		unsigned char tid[64];
		int tidlen;                /* 0: free */
		int64_t expires;
		OSSL_CMP_SRV_CTX *srv;
	} slots[TXN_SLOTS];
} cmp;

static void txn_free_srv(OSSL_CMP_SRV_CTX *srv);

/* ------------------------------------------------------------ answers */

static void
reply_text(cctx *c, unsigned status, const char *result, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A text/plain answer for what is not a PKIMessage (RFC 6712 §3.3 leaves
 * HTTP errors for those). */
static void
reply_text(cctx *c, unsigned status, const char *result, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	free(c->rs->body);
	c->rs->len = 0;
	if ((c->rs->body = malloc(strlen(text) + 2)) != NULL) {
		n = snprintf(c->rs->body, strlen(text) + 2, "%s\n", text);
		c->rs->len = (size_t)n;
	}
	c->rs->status = status;
	c->rs->ctype = "text/plain; charset=utf-8";
	snprintf(c->result, sizeof(c->result), "%s reason=%.1000s", result, text);
}

static void
set_result(cctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_result(cctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->result, sizeof(c->result), fmt, ap);
	va_end(ap);
}

static void
hex(char *out, size_t size, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * i] = '\0';
}

/* -------------------------------------------------------------- writes */

/* An issued certificate and its audit entry, or only the audit entry of
 * an answer, in one savepoint of the writer's group. */
struct cmp_write {
	gp_issue_prep *prep;
	const char *actor;
	char action[32];
	char object[GP_RA_MAX_NAME + 16];
	char detail[1800];
	char serial[2 * GP_SERIAL_MAX + 1];   /* out */
};

static int
do_cmp_write(gp_ra *ra, void *arg)
{
	struct cmp_write *x = arg;
	gp_store *s = gp_ctx_store(ra_srv->writer.ctx);
	unsigned char sn[GP_SERIAL_MAX];
	size_t snlen = 0, dl = strlen(x->detail);
	int r, r2;

	(void)ra;
	if ((r = gp_store_ra_savepoint(s, GP_RA_SP_BEGIN)) != 0)
		return r;
	if (x->prep != NULL && (r = gp_ca_issue_store(ra_srv->writer.ca, x->prep)) == 0 &&
	    (r = gp_serial_from_asn1(sn, &snlen,
	    X509_get0_serialNumber(gp_issue_prep_cert0(x->prep)))) == 0) {
		hex(x->serial, sizeof(x->serial), sn, snlen);
		snprintf(x->detail + dl, sizeof(x->detail) - dl, " serial=%s", x->serial);
	}
	if (r == 0)
		r = gp_audit_append(s, x->actor, x->action, x->object, x->detail);
	r2 = gp_store_ra_savepoint(s, r == 0 ? GP_RA_SP_RELEASE : GP_RA_SP_UNDO);
	return r != 0 ? r : r2;
}

static void
write_init(struct cmp_write *x, const cctx *c, const char *profile, const char *result)
{
	memset(x, 0, sizeof(*x));
	x->actor = c->actor;
	snprintf(x->action, sizeof(x->action), "cmp.%s", c->type[0] ? c->type : "request");
	snprintf(x->object, sizeof(x->object), "profile:%s", profile && profile[0] ? profile : "-");
	snprintf(x->detail, sizeof(x->detail), "protocol=cmp transaction=%s kid=%s addr=%s "
	    "result=%.1500s", c->tid[0] ? c->tid : "-", c->kid[0] ? c->kid : "-", c->rq->addr,
	    result);
}

static int
cmp_write(struct cmp_write *x)
{
	return ra_write_call(do_cmp_write, x, 1);
}

/* ------------------------------------------------------------ callbacks */

static OSSL_CMP_PKISI *
refuse(cctx *c, int failbit, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A rejection with PKIFailureInfo bit failbit (RFC 4210 §5.2.3) and the
 * reason as its statusString; the audit says the same. */
static OSSL_CMP_PKISI *
refuse(cctx *c, int failbit, const char *fmt, ...)
{
	char text[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	set_result(c, "refused reason=%s", text);
	return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, 1 << failbit, text);
}

/* cmp_approval = auto with ca-signer ([signer] socket): the request is
 * stored and the signer, which judges it from the store and its own
 * configuration, issues it (issue-auto-request); the audit entry of the
 * answer is written after it. */
static OSSL_CMP_PKISI *
issue_by_signer(cctx *c, txn *t, const unsigned char *der, size_t len, X509 **certOut,
    STACK_OF(X509) **chainOut)
{
	gp_ra_submission sub;
	X509 *x = NULL;
	int64_t id = 0;
	int r;

	memset(&sub, 0, sizeof(sub));
	sub.profile = t->profile;
	sub.csr = der;
	sub.csr_len = len;
	sub.submitter = c->actor;
	if ((r = gp_ra_submit_check(c->w->ra, &sub)) != 0)
		return refuse(c, OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "%s", gp_error_last());
	if ((r = ra_issue_auto(&x, &id, &sub, GP_RA_AUTO_CMP, 0)) != 0)
		return refuse(c, r == GP_E_POLICY || r == GP_E_DENIED ?
		    OSSL_CMP_PKIFAILUREINFO_badCertTemplate : OSSL_CMP_PKIFAILUREINFO_systemUnavail,
		    "%s", ra_error_last());
	__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	hex(t->serial, sizeof(t->serial), ASN1_STRING_get0_data(X509_get0_serialNumber(x)),
	    (size_t)ASN1_STRING_length(X509_get0_serialNumber(x)));
	set_result(c, "issued request=%lld serial=%s by=ca-signer", (long long)id, t->serial);
	t->issued = x;
	if ((*certOut = X509_dup(t->issued)) == NULL ||
	    (*chainOut = X509_chain_up_ref(cmp.chain)) == NULL) {
		X509_free(*certOut);
		*certOut = NULL;
		return refuse(c, OSSL_CMP_PKIFAILUREINFO_systemFailure, "out of memory");
	}
	return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
}

/* ir, cr, kur (CRMF) and p10cr: through the profile, issued at once
 * (cmp_approval = auto) with the audit entry in the same write. */
static OSSL_CMP_PKISI *
cb_cert_request(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId,
    const OSSL_CRMF_MSG *crm, const X509_REQ *p10cr, X509 **certOut,
    STACK_OF(X509) **chainOut, STACK_OF(X509) **caPubs)
{
	txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	cctx *c = t->c;
	const gp_profile *prof;
	gp_issue_req ir = GP_ISSUE_REQ_INIT;
	gp_issue_prep *prep = NULL;
	struct cmp_write x;
	unsigned char *der = NULL;
	OSSL_CMP_PKISI *si = NULL;
	int n, r, officer = 0;

	(void)certReqId;
	(void)caPubs;
	*certOut = NULL;
	*chainOut = NULL;
	prof = gp_profiles_get(gp_ctx_profiles(c->w->ctx), t->profile);
	if (prof == NULL || !gp_profile_cmp(prof, &officer))
		return refuse(c, OSSL_CMP_PKIFAILUREINFO_notAuthorized, "profile %s is not served "
		    "over CMP", t->profile);
	if (officer)
		return refuse(c, OSSL_CMP_PKIFAILUREINFO_notAuthorized, "profile %s waits for "
		    "officers (cmp_approval = officer), which CMP does not offer yet", t->profile);
	if (OSSL_CMP_MSG_get_bodytype(req) != OSSL_CMP_P10CR || p10cr == NULL) {
		(void)crm;
		return refuse(c, OSSL_CMP_PKIFAILUREINFO_badRequest, "only p10cr is offered yet");
	}
	if ((n = i2d_X509_REQ(p10cr, &der)) <= 0)
		return refuse(c, OSSL_CMP_PKIFAILUREINFO_badDataFormat, "cannot encode the CSR");
	if (gp_ctx_signer0(c->w->ctx) != NULL) {
		si = issue_by_signer(c, t, der, (size_t)n, certOut, chainOut);
		goto out;
	}
	ir.csr = der;
	ir.csr_len = (size_t)n;
	ir.profile = t->profile;
	ir.actor = c->actor;
	if ((r = gp_ca_issue_prepare(&prep, c->w->ca, &ir)) != 0) {
		si = refuse(c, OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "%s", gp_error_last());
		goto out;
	}
	write_init(&x, c, t->profile, "issued");
	x.prep = prep;
	if ((r = cmp_write(&x)) != 0) {
		si = refuse(c, r == GP_E_POLICY ? OSSL_CMP_PKIFAILUREINFO_badCertTemplate :
		    OSSL_CMP_PKIFAILUREINFO_systemFailure, "%s", ra_error_last());
		goto out;
	}
	c->audited = 1;
	__atomic_fetch_add(&ra_srv->issued, 1, __ATOMIC_RELAXED);
	snprintf(t->serial, sizeof(t->serial), "%s", x.serial);
	set_result(c, "issued serial=%s", x.serial);
	if ((t->issued = X509_dup(gp_issue_prep_cert0(prep))) == NULL ||
	    (*certOut = X509_dup(t->issued)) == NULL ||
	    (*chainOut = X509_chain_up_ref(cmp.chain)) == NULL) {
		X509_free(*certOut);
		*certOut = NULL;
		si = refuse(c, OSSL_CMP_PKIFAILUREINFO_systemFailure, "out of memory");
		goto out;
	}
	si = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
out:
	OPENSSL_free(der);
	gp_issue_prep_free(prep);
	return si;
}

/* certConf (RFC 4210 §5.3.18): the hash is of the certificate issued in
 * this transaction; a rejection by the client is audited. */
static int
cb_cert_conf(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int certReqId,
    const ASN1_OCTET_STRING *certHash, const OSSL_CMP_PKISI *si)
{
	txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	ASN1_OCTET_STRING *h = NULL;
	char st[256] = "";
	int ok;

	(void)req;
	(void)certReqId;
	if (t->issued == NULL || (h = X509_digest_sig(t->issued, NULL, NULL)) == NULL ||
	    certHash == NULL || ASN1_OCTET_STRING_cmp(h, certHash) != 0) {
		ASN1_OCTET_STRING_free(h);
		set_result(t->c, "refused reason=certConf: the hash is not that of the certificate "
		    "issued in this transaction");
		ERR_raise_data(ERR_LIB_CMP, CMP_R_CERTHASH_UNMATCHED, "certHash");
		return 0;
	}
	ASN1_OCTET_STRING_free(h);
	/* OpenSSL 3.0 has no getter of the status: its text says it */
	ok = si == NULL || (OSSL_CMP_snprint_PKIStatusInfo(si, st, sizeof(st)) != NULL &&
	    strstr(st, "rejection") == NULL);
	set_result(t->c, "%s serial=%s", ok ? "confirmed" : "rejected-by-client", t->serial);
	return 1;
}

/* error (§5.3.21) from the client: audited, answered with pkiConf. */
static void
cb_error(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, const OSSL_CMP_PKISI *statusInfo,
    const ASN1_INTEGER *errorCode, const OSSL_CMP_PKIFREETEXT *errorDetails)
{
	txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	char buf[256];

	(void)req;
	(void)errorCode;
	(void)errorDetails;
	set_result(t->c, "client-error %s", statusInfo != NULL ?
	    OSSL_CMP_snprint_PKIStatusInfo(statusInfo, buf, sizeof(buf)) : "-");
}

static int
quiet_log(const char *func, const char *file, int line, OSSL_CMP_severity level,
    const char *msg)
{
	(void)func;
	(void)file;
	(void)line;
	(void)level;
	(void)msg;
	return 1;
}

/* --------------------------------------------------------- transactions */

static void
txn_free_srv(OSSL_CMP_SRV_CTX *srv)
{
	txn *t;

	if (srv == NULL)
		return;
	t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	OSSL_CMP_SRV_CTX_free(srv);
	if (t != NULL) {
		X509_free(t->issued);
		free(t);
	}
}

/* A new server context for a transaction with secret (NULL: none known;
 * errors then go unprotected, RFC 4210 §5.1.3.4 allows no better). */
static OSSL_CMP_SRV_CTX *
txn_new(const char *profile, const char *kid, const char *secret)
{
	OSSL_CMP_SRV_CTX *srv = NULL;
	OSSL_CMP_CTX *cc;
	txn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	snprintf(t->profile, sizeof(t->profile), "%s", profile ? profile : "");
	snprintf(t->kid, sizeof(t->kid), "%s", kid ? kid : "");
	if ((srv = OSSL_CMP_SRV_CTX_new(NULL, NULL)) == NULL ||
	    OSSL_CMP_SRV_CTX_init(srv, t, cb_cert_request, NULL, NULL, cb_error, cb_cert_conf,
	    NULL) != 1) {
		OSSL_CMP_SRV_CTX_free(srv);
		free(t);
		return NULL;
	}
	cc = OSSL_CMP_SRV_CTX_get0_cmp_ctx(srv);
	if (OSSL_CMP_CTX_set_log_cb(cc, quiet_log) != 1 ||
	    OSSL_CMP_SRV_CTX_set_accept_unprotected(srv, 0) != 1 ||
	    OSSL_CMP_SRV_CTX_set_grant_implicit_confirm(srv, 1) != 1 ||
	    OSSL_CMP_SRV_CTX_set_send_unprotected_errors(srv, secret == NULL) != 1 ||
	    (secret != NULL && (OSSL_CMP_CTX_set1_secretValue(cc, (const unsigned char *)secret,
	    (int)strlen(secret)) != 1 || OSSL_CMP_CTX_set1_referenceValue(cc,
	    (const unsigned char *)kid, (int)strlen(kid)) != 1)) ||
	    (sk_X509_num(cmp.chain) > 0 && OSSL_CMP_CTX_set1_subjectName(cc,
	    X509_get_subject_name(sk_X509_value(cmp.chain, 0))) != 1)) {
		txn_free_srv(srv);
		return NULL;
	}
	return srv;
}

/* Takes the transaction tid out of the table (NULL: none). */
static OSSL_CMP_SRV_CTX *
txn_take(const ASN1_OCTET_STRING *tid)
{
	OSSL_CMP_SRV_CTX *srv = NULL, *old[TXN_SLOTS];
	int64_t now = (int64_t)time(NULL);
	int nold = 0;

	if (tid == NULL || tid->length <= 0 || tid->length > 64)
		return NULL;
	pthread_mutex_lock(&cmp.mu);
	for (int i = 0; i < TXN_SLOTS; i++) {
		struct slot *s = &cmp.slots[i];

		if (s->tidlen == 0)
			continue;
		if (srv == NULL && s->tidlen == tid->length &&
		    memcmp(s->tid, tid->data, (size_t)tid->length) == 0 && s->expires > now) {
			srv = s->srv;
		} else if (s->expires > now) {
			continue;
		} else {
			old[nold++] = s->srv;
		}
		s->tidlen = 0;
		s->srv = NULL;
	}
	pthread_mutex_unlock(&cmp.mu);
	for (int i = 0; i < nold; i++)
		txn_free_srv(old[i]);
	return srv;
}

/* Keeps srv for the next message of transaction tid (the oldest goes
 * when the table is full). */
static void
txn_keep(const ASN1_OCTET_STRING *tid, OSSL_CMP_SRV_CTX *srv)
{
	OSSL_CMP_SRV_CTX *drop = NULL;
	int i, oldest = 0;

	if (tid == NULL || tid->length <= 0 || tid->length > 64) {
		txn_free_srv(srv);
		return;
	}
	pthread_mutex_lock(&cmp.mu);
	for (i = 0; i < TXN_SLOTS && cmp.slots[i].tidlen != 0; i++)
		if (cmp.slots[i].expires < cmp.slots[oldest].expires)
			oldest = i;
	if (i == TXN_SLOTS) {
		i = oldest;
		drop = cmp.slots[i].srv;
	}
	memcpy(cmp.slots[i].tid, tid->data, (size_t)tid->length);
	cmp.slots[i].tidlen = tid->length;
	cmp.slots[i].expires = (int64_t)time(NULL) + cmp.confirm_seconds;
	cmp.slots[i].srv = srv;
	pthread_mutex_unlock(&cmp.mu);
	txn_free_srv(drop);
}

/* --------------------------------------------------------------- input */

/* The senderKID of a PKIMessage that d2i has read already (RFC 4210
 * §5.1.1: pvno, sender, recipient, then the optional fields, senderKID
 * being [2] EXPLICIT KeyIdentifier).  1: none. */
static int
sender_kid(const unsigned char *der, long len, const unsigned char **kid, size_t *kidlen)
{
	const unsigned char *p = der, *end, *q;
	long n, m;
	int tag, cls, i;

	if (ASN1_get_object(&p, &n, &tag, &cls, len) & 0x80 || tag != V_ASN1_SEQUENCE ||
	    ASN1_get_object(&p, &n, &tag, &cls, der + len - p) & 0x80 || tag != V_ASN1_SEQUENCE)
		return -1;
	end = p + n;
	for (i = 0; p < end; i++) {
		q = p;
		if (ASN1_get_object(&q, &m, &tag, &cls, end - p) & 0x80)
			return -1;
		if (i >= 3 && cls == V_ASN1_CONTEXT_SPECIFIC && tag == 2) {
			if (ASN1_get_object(&q, &n, &tag, &cls, m) & 0x80 || tag != V_ASN1_OCTET_STRING)
				return -1;
			*kid = q;
			*kidlen = (size_t)n;
			return 0;
		}
		p = q + m;
	}
	return 1;
}

static const char *
body_name(int type)
{
	static const char *const names[] = {
		"ir", "ip", "cr", "cp", "p10cr", "popdecc", "popdecr", "kur", "kup", "krr", "krp",
		"rr", "rp", "ccr", "ccp", "ckuann", "cann", "rann", "crlann", "pkiconf", "nested",
		"genm", "genp", "error", "certconf", "pollreq", "pollrep",
	};

	return type >= 0 && type < (int)(sizeof(names) / sizeof(names[0])) ? names[type] : "unknown";
}

/* The audit entry of an answer that wrote nothing else. */
static void
audit_answer(cctx *c, const char *profile)
{
	struct cmp_write x;

	if (c->audited)
		return;
	c->audited = 1;
	write_init(&x, c, profile, c->result[0] ? c->result : "ok");
	if (cmp_write(&x) != 0)
		fprintf(stderr, "ra-server: cmp: cannot audit %s: %s\n", c->rq->url, ra_error_last());
}

/* Reads the URL into c: 0, or -1 with the answer. */
static int
route(cctx *c)
{
	const char *rest = c->rq->url + strlen(CMP_PREFIX);
	const char *ct = MHD_lookup_connection_value(c->rq->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/pkixcmp");

	if (*rest == '/' && rest[1] == '\0')
		rest++;
	if (strncmp(rest, "/p/", 3) == 0) {
		rest += 3;
		if (*rest == '\0' || strlen(rest) > GP_RA_MAX_NAME || strchr(rest, '/') != NULL)
			return reply_text(c, 404, "refused", "no CMP resource %.200s", c->rq->url), -1;
		snprintf(c->lab, sizeof(c->lab), "%s", rest);
		c->label = c->lab;
	} else if (*rest != '\0') {
		return reply_text(c, 404, "refused", "no CMP resource %.200s", c->rq->url), -1;
	}
	if (c->label != NULL && !gp_profile_cmp(gp_profiles_get(gp_ctx_profiles(c->w->ctx),
	    c->label), NULL))
		return reply_text(c, 404, "refused", "no profile '%.64s' is served over CMP",
		    c->label), -1;
	if (strcmp(c->rq->method, "POST") != 0) {
		c->rs->allow = strdup("POST");
		return reply_text(c, 405, "refused", "CMP takes POST (RFC 6712 3.1)"), -1;
	}
	if (c->rq->too_large)
		return reply_text(c, 413, "refused", "the body is larger than %ld bytes",
		    ra_srv->set.max_body), -1;
	while (ct != NULL && *ct == ' ')
		ct++;
	if (ct == NULL || strncasecmp(ct, "application/pkixcmp", n) != 0 ||
	    (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' '))
		return reply_text(c, 415, "refused", "Content-Type must be application/pkixcmp "
		    "(RFC 6712 3.4), not '%.64s'", ct ? ct : "(none)"), -1;
	return 0;
}

/* The reason on OpenSSL's queue, for the audit of a refused message. */
static void
ossl_reason(char *out, size_t size)
{
	const char *data = NULL;
	int flags = 0;
	unsigned long e = ERR_peek_last_error_data(&data, &flags);

	snprintf(out, size, "%s%s%s", e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) :
	    "error" : "error", data && *data && (flags & ERR_TXT_STRING) ? ": " : "",
	    data && (flags & ERR_TXT_STRING) ? data : "");
}

/* The PKIMessage: parsed, handed to OpenSSL's server with this
 * transaction's context, answered. */
static void
h_message(cctx *c, char *profile, size_t psize)
{
	const unsigned char *p = (const unsigned char *)c->rq->body, *kid = NULL;
	OSSL_CMP_MSG *req = NULL, *rsp = NULL;
	OSSL_CMP_SRV_CTX *srv = NULL;
	const ASN1_OCTET_STRING *tid;
	gp_ra_token *tok = NULL;
	unsigned char *out = NULL;
	char *secret = NULL, why[600];
	size_t kidlen = 0;
	txn *t;
	int type, n, fresh;

	if (c->rq->body_len == 0 || c->rq->body_len > (size_t)ra_srv->set.max_body ||
	    (req = d2i_OSSL_CMP_MSG(NULL, &p, (long)c->rq->body_len)) == NULL ||
	    p != (const unsigned char *)c->rq->body + c->rq->body_len) {
		ERR_clear_error();
		reply_text(c, 400, "refused", "the body is not one DER PKIMessage (RFC 4210 5.1)");
		goto out;
	}
	type = OSSL_CMP_MSG_get_bodytype(req);
	snprintf(c->type, sizeof(c->type), "%s", body_name(type));
	tid = OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req));
	if (tid != NULL)
		hex(c->tid, sizeof(c->tid), tid->data, (size_t)tid->length);
	if (sender_kid((const unsigned char *)c->rq->body, (long)c->rq->body_len, &kid,
	    &kidlen) == 0)
		snprintf(c->kid, sizeof(c->kid), "%.*s",
		    (int)(kidlen < 64 ? kidlen : 64), (const char *)kid);
	for (char *s = c->kid; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			*s = '?';
	fresh = type != BODY_CERTCONF && type != BODY_POLLREQ &&
	    type != BODY_ERROR;
	if (!fresh && (srv = txn_take(tid)) != NULL) {
		t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
		if (strcmp(t->kid, c->kid) != 0) {
			/* another secret's message for this transaction: refused
			 * by a context that knows no secret */
			txn_keep(tid, srv);
			srv = NULL;
		}
	}
	if (srv == NULL) {
		why[0] = '\0';
		if (kid == NULL)
			snprintf(why, sizeof(why), "no senderKID: MAC protection with a secret of "
			    "ca-tool cmp secret create is needed");
		else if (gp_cmp_secret_get(c->w->ctx, kid, kidlen, &secret, &tok) != 0)
			snprintf(why, sizeof(why), "%s", gp_error_last());
		else if (c->label != NULL && strcmp(c->label, tok->profiles) != 0)
			snprintf(why, sizeof(why), "CMP secret %s is for profile %s, not %s", c->kid,
			    tok->profiles, c->label);
		if (why[0] != '\0' && secret != NULL) {
			gp_pass_free(secret, strlen(secret));
			secret = NULL;
		}
		snprintf(profile, psize, "%s", c->label ? c->label : tok ? tok->profiles : "");
		if ((srv = txn_new(profile, c->kid, why[0] ? NULL : secret)) == NULL) {
			reply_text(c, 500, "failed", "cannot make the CMP server context");
			goto out;
		}
		if (why[0] != '\0')
			set_result(c, "refused reason=%s", why);
	}
	t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
	t->c = c;
	snprintf(profile, psize, "%s", t->profile);
	snprintf(c->actor, sizeof(c->actor), "cmp:%s", t->kid[0] ? t->kid : "-");
	ERR_clear_error();
	rsp = OSSL_CMP_SRV_process_request(srv, req);
	if (rsp != NULL && OSSL_CMP_MSG_get_bodytype(rsp) == BODY_ERROR &&
	    strncmp(c->result, "refused", 7) != 0) {
		ossl_reason(why, sizeof(why));
		set_result(c, "refused reason=%s", why);
	}
	ERR_clear_error();
	if (rsp == NULL || (n = i2d_OSSL_CMP_MSG(rsp, &out)) <= 0) {
		reply_text(c, 500, "failed", "cannot answer the PKIMessage");
		goto out;
	}
	free(c->rs->body);
	if ((c->rs->body = malloc((size_t)n)) == NULL) {
		reply_text(c, 500, "failed", "out of memory");
		goto out;
	}
	memcpy(c->rs->body, out, (size_t)n);
	c->rs->len = (size_t)n;
	c->rs->status = 200;
	c->rs->ctype = "application/pkixcmp";
	if (c->result[0] == '\0')
		set_result(c, "ok");
	/* a certificate waits for its certConf (unless implicitly confirmed:
	 * then the slot merely expires) */
	if (t->issued != NULL && type != BODY_CERTCONF &&
	    OSSL_CMP_MSG_get_bodytype(rsp) != BODY_ERROR) {
		txn_keep(tid, srv);
		srv = NULL;
	}
out:
	if (srv != NULL) {
		t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
		t->c = NULL;
	}
	txn_free_srv(srv);
	OPENSSL_free(out);
	OSSL_CMP_MSG_free(req);
	OSSL_CMP_MSG_free(rsp);
	if (secret != NULL)
		gp_pass_free(secret, strlen(secret));
	gp_ra_token_free(tok);
}

/* ------------------------------------------------------------- routing */

int
cmp_path(const char *url)
{
	size_t n = strlen(CMP_PREFIX);

	return strncmp(url, CMP_PREFIX, n) == 0 && (url[n] == '\0' || url[n] == '/');
}

void
cmp_handle(worker *w, hreq *rq, hresp *rs)
{
	char profile[GP_RA_MAX_NAME + 1] = "";
	cctx c;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.rq = rq;
	c.rs = rs;
	ra_client_addr(rq->conn, rq->addr, sizeof(rq->addr), rq->client, sizeof(rq->client));
	snprintf(c.actor, sizeof(c.actor), "addr:%s", rq->addr);
	if (route(&c) == 0)
		h_message(&c, profile, sizeof(profile));
	if (c.label != NULL && profile[0] == '\0')
		snprintf(profile, sizeof(profile), "%s", c.label);
	if (rs->status == 0)
		reply_text(&c, 500, "failed", "no answer");
	audit_answer(&c, profile);
}

/* --------------------------------------------------------------- start */

int
cmp_start(server *s, gp_ctx *ctx)
{
	const gp_config *cfg = gp_ctx_config(ctx);
	BIO *b = NULL;
	X509 *x;
	char *pem = NULL;
	size_t plen = 0;
	int r = -1;

	memset(&cmp, 0, sizeof(cmp));
	pthread_mutex_init(&cmp.mu, NULL);
	if (gp_config_check_keys(cfg, "cmp", cmp_keys) != 0 ||
	    gp_config_long(&cmp.confirm_seconds, cfg, "cmp", "confirm_seconds", 300, 10,
	    86400) != 0) {
		fprintf(stderr, "ra-server: configuration: %s\n", gp_error_last());
		return -1;
	}
	if (gp_ca_chain_pem(&pem, &plen, ctx, s->set.ca) != 0) {
		fprintf(stderr, "ra-server: cmp: the CA chain: %s\n", gp_error_last());
		return -1;
	}
	if ((b = BIO_new_mem_buf(pem, (int)plen)) == NULL ||
	    (cmp.chain = sk_X509_new_null()) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(cmp.chain, x) <= 0) {
			X509_free(x);
			goto out;
		}
	ERR_clear_error();
	if (sk_X509_num(cmp.chain) > 0)
		r = 0;
out:
	if (r != 0)
		fprintf(stderr, "ra-server: cmp: cannot read the chain of CA %s\n", s->set.ca);
	BIO_free(b);
	gp_free(pem);
	return r;
}

void
cmp_stop(void)
{
	for (int i = 0; i < TXN_SLOTS; i++)
		if (cmp.slots[i].tidlen != 0)
			txn_free_srv(cmp.slots[i].srv);
	sk_X509_pop_free(cmp.chain, X509_free);
	pthread_mutex_destroy(&cmp.mu);
	memset(&cmp, 0, sizeof(cmp));
}
