/* ca/verify_ocsp.c: revocation by OCSP for the verification engine (RFC 6960 §3.2, §4.2.2.2) */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <govpki/key.h>
#include <govpki/mem.h>
#include <govpki/verify.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "util.h"
#include "verify_int.h"

#define OCSP_MAX_RESP (1024 * 1024)     /* an OCSP response is a few KiB */

int
gp_verify_http_fetch(unsigned char **resp, size_t *resp_len, void *arg, const char *url,
    const unsigned char *req, size_t req_len, int timeout)
{
	char *host = NULL, *port = NULL, *path = NULL;
	BIO *rq = NULL, *rs = NULL;
	char *data;
	long len;
	int ssl = 0, r;

	(void)arg;
	if (resp == NULL || resp_len == NULL)
		return gp_err(GP_E_INVALID, "gp_verify_http_fetch: NULL argument");
	*resp = NULL;
	*resp_len = 0;
	if (url == NULL || req == NULL || req_len == 0 || req_len > INT_MAX)
		return gp_err(GP_E_INVALID, "gp_verify_http_fetch: bad arguments");
	if (OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "'%.200s' is not an http:// URL", url);
		goto out;
	}
	if (ssl) {
		r = gp_err(GP_E_INVALID, "'%.200s': only http:// is supported (RFC 6960 A.1)", url);
		goto out;
	}
	if ((rq = BIO_new_mem_buf(req, (int)req_len)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* RFC 6960 Appendix A.1: POST, application/ocsp-request; the answer
	 * must be application/ocsp-response and DER (expect_asn1) */
	rs = OSSL_HTTP_transfer(NULL, host, port, path, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
	    "application/ocsp-request", rq, "application/ocsp-response", 1, OCSP_MAX_RESP, timeout, 0);
	if (rs == NULL) {
		r = gp_err_ossl(GP_E_IO, "no OCSP answer from %.200s", url);
		goto out;
	}
	if ((len = BIO_get_mem_data(rs, &data)) <= 0) {
		r = gp_err(GP_E_IO, "an empty answer from %.200s", url);
		goto out;
	}
	if ((*resp = OPENSSL_malloc((size_t)len)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*resp, data, (size_t)len);
	*resp_len = (size_t)len;
	r = 0;
out:
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	BIO_free(rq);
	BIO_free(rs);
	return r;
}

static int
answer(gp_ocsp_answer *a, gp_ocsp_outcome outcome, const char *rule, const char *source,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
answer(gp_ocsp_answer *a, gp_ocsp_outcome outcome, const char *rule, const char *source,
    const char *fmt, ...)
{
	va_list ap;

	a->outcome = outcome;
	snprintf(a->rule, sizeof(a->rule), "%s", rule);
	snprintf(a->source, sizeof(a->source), "%s", source);
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* The response's signature by signer's key.  SM2 is verified with the
 * default distinguishing ID, as the responder signs (lib/x509util.c);
 * OpenSSL's OCSP_basic_verify would use an empty one. */
static int
resp_signed_by(OCSP_BASICRESP *bs, X509 *signer)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);   /* borrowed */
	const ASN1_OCTET_STRING *sig;
	EVP_MD_CTX *m = NULL;
	unsigned char *tbs = NULL;
	int n, ok = 0;

	if (pk == NULL)
		return 0;
	if (!gp_key_is_sm2(pk))
		return ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA), OCSP_resp_get0_tbs_sigalg(bs),
		    OCSP_resp_get0_signature(bs), OCSP_resp_get0_respdata(bs), pk) == 1;
	if (OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm) != NID_SM2_with_SM3)
		return 0;
	sig = OCSP_resp_get0_signature(bs);
	if ((n = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs), &tbs)) > 0 &&
	    gp_verify_ctx_new(&m, pk, "SM3") == 0)
		ok = EVP_DigestVerify(m, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
		    tbs, (size_t)n) == 1;
	gp_error_clear();
	EVP_MD_CTX_free(m);
	OPENSSL_free(tbs);
	return ok;
}

static int
time_of(int64_t *out, const ASN1_GENERALIZEDTIME *t)
{
	if (gp_time_from_asn1(out, t) != 0) {
		gp_error_clear();
		return -1;
	}
	return 0;
}

/*
 * RFC 6960 §4.2.2.2: the response is signed by the CA that issued the
 * certificate, or by a responder certificate that this CA issued directly
 * with id-kp-OCSPSigning in its extendedKeyUsage (anyExtendedKeyUsage does
 * not count), valid at the time of the check.  NULL and *why set when not.
 */
static X509 *
authorized_signer(const char **why, OCSP_BASICRESP *bs, X509 *issuer, time_t at)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509 *signer = NULL;

	*why = NULL;
	if (extra == NULL || !sk_X509_push(extra, issuer)) {
		*why = "out of memory";
		goto out;
	}
	/* the responderID (byName or byKey, §4.2.1) names the signer among
	 * the certificates the response carries, or the issuer */
	if (OCSP_resp_get0_signer(bs, &signer, extra) != 1 || signer == NULL) {
		ERR_clear_error();
		*why = "its responderID names neither the CA nor a certificate the response carries";
		signer = NULL;
		goto out;
	}
	if (!resp_signed_by(bs, signer)) {
		ERR_clear_error();
		*why = "its signature does not verify with the key its responderID names";
		signer = NULL;
		goto out;
	}
	if (X509_cmp(signer, issuer) == 0)
		goto out;               /* the CA itself */
	if (gp_x509_prepare_sm2(signer) != 0 || X509_check_issued(issuer, signer) != X509_V_OK ||
	    X509_get0_pubkey(issuer) == NULL || X509_verify(signer, X509_get0_pubkey(issuer)) <= 0) {
		ERR_clear_error();
		gp_error_clear();
		*why = "it is signed by a responder certificate that the certificate's issuer did not issue";
		signer = NULL;
		goto out;
	}
	if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN)) {
		*why = "its responder certificate, issued by the CA, lacks extendedKeyUsage id-kp-OCSPSigning";
		signer = NULL;
		goto out;
	}
	if (X509_cmp_time(X509_get0_notBefore(signer), &at) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(signer), &at) < 0) {
		*why = "its responder certificate is not valid at the time of the check";
		signer = NULL;
		goto out;
	}
out:
	sk_X509_free(extra);
	return signer;
}

/* The SingleResponse about cert: its CertID (hash algorithm as the
 * response chose it, issuer name and key hashes, serial) is ours (§3.2 (1)). */
static OCSP_SINGLERESP *
find_single(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer)
{
	for (int i = 0; i < OCSP_resp_count(bs); i++) {
		OCSP_SINGLERESP *s = OCSP_resp_get0(bs, i);
		const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(s);
		ASN1_OBJECT *alg = NULL;
		OCSP_CERTID *ours;
		const EVP_MD *md;
		int same;

		if (OCSP_id_get0_info(NULL, &alg, NULL, NULL, (OCSP_CERTID *)cid) != 1 ||
		    (md = EVP_get_digestbyobj(alg)) == NULL ||
		    (ours = OCSP_cert_to_id(md, cert, issuer)) == NULL) {
			ERR_clear_error();
			continue;
		}
		same = OCSP_id_cmp(ours, cid) == 0;
		OCSP_CERTID_free(ours);
		if (same)
			return s;
	}
	return NULL;
}

int
gp_verify_ocsp_ask(gp_ocsp_answer *a, const gp_verify_opts *o, time_t at, const char *url,
    X509 *cert, X509 *issuer)
{
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	X509 *signer;
	ASN1_GENERALIZEDTIME *revt = NULL, *thisupd = NULL, *nextupd = NULL;
	unsigned char *der = NULL, *rbuf = NULL;
	const unsigned char *p;
	const char *why;
	char when[21];
	size_t rlen = 0;
	int64_t tu, nu, rt, now = (int64_t)at;
	int n, status, reason = -1, r;

	memset(a, 0, sizeof(*a));
	/* RFC 6960 §4.1.1: one CertID with SHA-1, what every responder
	 * answers (RFC 5019 §2.1.1), and a nonce (§4.4.1) unless told not to */
	if ((req = OCSP_REQUEST_new()) == NULL || (id = OCSP_cert_to_id(NULL, cert, issuer)) == NULL ||
	    OCSP_request_add0_id(req, id) == NULL) {
		OCSP_CERTID_free(id);
		r = gp_err_ossl(GP_E_NOMEM, "cannot make the OCSP request");
		goto out;
	}
	id = NULL;      /* the request's */
	if (o->ocsp_nonce != GP_OCSP_NONCE_NONE && OCSP_request_add1_nonce(req, NULL, -1) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot make the OCSP request");
		goto out;
	}
	if ((n = i2d_OCSP_REQUEST(req, &der)) <= 0) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode the OCSP request");
		goto out;
	}
	if (o->ocsp_fetch(&rbuf, &rlen, o->ocsp_fetch_arg, url, der, (size_t)n, o->ocsp_timeout) != 0) {
		r = answer(a, GP_OCSP_UNREACHABLE, "ocsp-unreachable", "RFC 6960 §2.3, govpki",
		    "%s", gp_error_last());
		gp_error_clear();
		goto out;
	}
	p = rbuf;
	if (rlen > LONG_MAX || (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)rlen)) == NULL ||
	    p != rbuf + rlen) {
		ERR_clear_error();
		r = answer(a, GP_OCSP_UNREACHABLE, "ocsp-unreachable", "RFC 6960 §4.2.1",
		    "the OCSP responder at %.150s sent no OCSP response", url);
		goto out;
	}
	if ((status = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		r = answer(a, GP_OCSP_UNREACHABLE, "ocsp-error", "RFC 6960 §2.3",
		    "the OCSP responder at %.150s answered %s", url, OCSP_response_status_str(status));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		ERR_clear_error();
		r = answer(a, GP_OCSP_BAD, "ocsp-response", "RFC 6960 §4.2.1",
		    "the OCSP response from %.150s is not a basic response", url);
		goto out;
	}
	/* §3.2 (2)-(4): signed by someone authorised to answer for this CA */
	if ((signer = authorized_signer(&why, bs, issuer, at)) == NULL) {
		r = answer(a, GP_OCSP_BAD, "ocsp-signer", "RFC 6960 §3.2 (2)-(4), §4.2.2.2",
		    "the OCSP response from %.150s is refused: %s", url, why);
		goto out;
	}
	/* §4.4.1 and RFC 8954 §2: a response to our nonce carries it back */
	if (o->ocsp_nonce != GP_OCSP_NONCE_NONE) {
		int nr = OCSP_check_nonce(req, bs);

		if (nr == 0) {
			r = answer(a, GP_OCSP_BAD, "ocsp-nonce", "RFC 6960 §4.4.1, RFC 8954 §2",
			    "the OCSP response from %.150s carries another nonce than the request: "
			    "a replayed or misdirected answer", url);
			goto out;
		}
		if (nr < 0 && o->ocsp_nonce == GP_OCSP_NONCE_REQUIRE) {
			r = answer(a, GP_OCSP_BAD, "ocsp-nonce", "RFC 6960 §4.4.1, RFC 8954 §2",
			    "the OCSP response from %.150s does not echo the request's nonce "
			    "(--ocsp-nonce require)", url);
			goto out;
		}
	}
	if ((single = find_single(bs, cert, issuer)) == NULL) {
		r = answer(a, GP_OCSP_BAD, "ocsp-certid", "RFC 6960 §3.2 (1), §4.1.1",
		    "the OCSP response from %.150s is not about this certificate (no CertID with its "
		    "issuer name and key hashes and serial)", url);
		goto out;
	}
	status = OCSP_single_get0_status(single, &reason, &revt, &thisupd, &nextupd);
	/* §3.2 (5), (6) and §4.2.2.1, at the verifier's time with leeway for
	 * clocks; without nextUpdate, thisUpdate must be recent (max age) */
	if (thisupd == NULL || time_of(&tu, thisupd) != 0 ||
	    (nextupd != NULL && (time_of(&nu, nextupd) != 0 || nu < tu))) {
		r = answer(a, GP_OCSP_BAD, "ocsp-response", "RFC 6960 §4.2.1",
		    "the OCSP response from %.150s has unreadable or inverted times", url);
		goto out;
	}
	if (tu > now + o->ocsp_leeway) {
		gp_time_iso(when, tu);
		r = answer(a, GP_OCSP_BAD, "ocsp-freshness", "RFC 6960 §3.2 (5)",
		    "the OCSP response from %.150s has thisUpdate %s, after the time of the check", url, when);
		goto out;
	}
	if (nextupd != NULL && nu < now - o->ocsp_leeway) {
		gp_time_iso(when, nu);
		r = answer(a, GP_OCSP_BAD, "ocsp-freshness", "RFC 6960 §3.2 (6), §4.2.2.1",
		    "the OCSP response from %.150s is stale: its nextUpdate %s has passed", url, when);
		goto out;
	}
	if (nextupd == NULL && tu < now - o->ocsp_max_age) {
		gp_time_iso(when, tu);
		r = answer(a, GP_OCSP_BAD, "ocsp-freshness", "RFC 6960 §3.2 (5), §4.2.2.1",
		    "the OCSP response from %.150s is stale: no nextUpdate and thisUpdate %s is more "
		    "than %d s old", url, when, o->ocsp_max_age);
		goto out;
	}
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		r = answer(a, GP_OCSP_GOOD, "", "", "%s", "");
		/* §4.2.2.2.1: a delegate without id-pkix-ocsp-nocheck is itself
		 * to be checked for revocation; the caller has the CRLs */
		if (X509_cmp(signer, issuer) != 0 &&
		    X509_get_ext_by_NID(signer, NID_id_pkix_OCSP_noCheck, -1) < 0 &&
		    X509_up_ref(signer) == 1)
			a->delegate = signer;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		if (revt == NULL || time_of(&rt, revt) != 0)
			rt = 0;
		gp_time_iso(when, rt);
		r = answer(a, GP_OCSP_REVOKED, "revocation", "RFC 6960 §2.2",
		    "revoked (%s) at %s, says the OCSP responder at %.150s",
		    reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason given", when, url);
		break;
	default:
		r = answer(a, GP_OCSP_UNKNOWN, "ocsp-unknown", "RFC 6960 §2.2",
		    "the OCSP responder at %.150s does not know the certificate (status unknown)", url);
		break;
	}
out:
	OCSP_REQUEST_free(req);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(der);
	gp_free(rbuf);
	return r;
}
