/* seal/ocspcheck.c: asking an OCSP responder about a certificate (RFC 6960), the verifiers' revocation hook */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <govpki/x509util.h>

#include "error_int.h"
#include "seal_int.h"
#include "util.h"

#define OCSP_MAX_RESP (1024 * 1024)
#define OCSP_LEEWAY 300         /* seconds of clock skew accepted */

int
gp_ocsp_http_cb(void *arg, X509 *cert, X509 *issuer, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted)
{
	const char *url = arg;
	STACK_OF(OPENSSL_STRING) *aia = NULL;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	X509_STORE *st = NULL;
	STACK_OF(X509) *certs = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	char *host = NULL, *port = NULL, *path = NULL;
	BIO *rq = NULL, *rs = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	BUF_MEM *mem;
	int n, ssl = 0, status, reason, r;

	if (cert == NULL || issuer == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_http_cb: NULL argument");
	if (url == NULL) {
		/* RFC 5280 §4.2.2.1: the responder named by the certificate */
		aia = X509_get1_ocsp(cert);
		if (sk_OPENSSL_STRING_num(aia) <= 0) {
			r = gp_err(GP_E_VERIFY, "no OCSP responder given or named by the certificate");
			goto out;
		}
		url = sk_OPENSSL_STRING_value(aia, 0);
	}
	if (OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL) != 1 || ssl) {
		r = gp_err_ossl(GP_E_INVALID, "OCSP URL '%s': only http:// URLs are supported", url);
		goto out;
	}
	/* RFC 6960 §4.1.1: CertID (SHA-1, what every responder answers), a nonce */
	if ((req = OCSP_REQUEST_new()) == NULL || (id = OCSP_cert_to_id(NULL, cert, issuer)) == NULL ||
	    OCSP_request_add0_id(req, id) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot make the OCSP request");
		goto out;
	}
	if ((id = OCSP_cert_to_id(NULL, cert, issuer)) == NULL || OCSP_request_add1_nonce(req, NULL, -1) != 1 ||
	    (n = i2d_OCSP_REQUEST(req, &der)) <= 0 || (rq = BIO_new_mem_buf(der, n)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot make the OCSP request");
		goto out;
	}
	rs = OSSL_HTTP_transfer(NULL, host, port, path, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
	    "application/ocsp-request", rq, "application/ocsp-response", 1, OCSP_MAX_RESP,
	    gp_seal_http_timeout(), 0);
	if (rs == NULL) {
		r = gp_err_ossl(GP_E_IO, "the OCSP responder at %s did not answer", url);
		goto out;
	}
	BIO_get_mem_ptr(rs, &mem);
	p = (const unsigned char *)mem->data;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)mem->length)) == NULL) {
		r = gp_err_ossl(GP_E_VERIFY, "the OCSP responder sent no OCSP response");
		goto out;
	}
	if ((status = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		r = gp_err(GP_E_VERIFY, "the OCSP responder answered %s", OCSP_response_status_str(status));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL || OCSP_check_nonce(req, bs) <= 0) {
		r = gp_err_ossl(GP_E_VERIFY, "the OCSP response does not answer our request (nonce)");
		goto out;
	}
	/* §4.2.2.2: signed by the issuer or a responder it delegated to */
	if ((st = X509_STORE_new()) == NULL || (certs = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(certs, issuer)) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(untrusted); i++)
		sk_X509_push(certs, sk_X509_value(untrusted, i));
	for (int i = 0; i < sk_X509_num(roots); i++)
		X509_STORE_add_cert(st, sk_X509_value(roots, i));
	if (OCSP_basic_verify(bs, certs, st, 0) <= 0) {
		r = gp_err_ossl(GP_E_VERIFY, "the OCSP response's signature does not verify");
		goto out;
	}
	if (OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd) != 1) {
		r = gp_err(GP_E_VERIFY, "the OCSP response says nothing of the certificate");
		goto out;
	}
	if (OCSP_check_validity(thisupd, nextupd, OCSP_LEEWAY, -1) != 1) {
		r = gp_err_ossl(GP_E_VERIFY, "the OCSP response is not current");
		goto out;
	}
	if (status == V_OCSP_CERTSTATUS_REVOKED)
		r = gp_err(GP_E_VERIFY, "certificate revoked (%s)", reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason");
	else if (status != V_OCSP_CERTSTATUS_GOOD)
		r = gp_err(GP_E_VERIFY, "the responder does not know the certificate");
	else
		r = 0;
out:
	X509_email_free(aia);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	X509_STORE_free(st);
	sk_X509_free(certs);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	OPENSSL_free(der);
	BIO_free(rq);
	BIO_free(rs);
	return r;
}
