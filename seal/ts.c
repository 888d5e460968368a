/* seal/ts.c: RFC 3161 time-stamps: the authority (OpenSSL's TS API), the client and verification */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <govpki/key.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "seal_int.h"
#include "util.h"

#define TS_MAX_RESP (1024 * 1024)

struct gp_tsa {
	TS_RESP_CTX *ctx;
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain;
	pthread_mutex_t lock;        /* TS_RESP_CTX is not safe to share */
};

/* RFC 3161 §2.4.2: serialNumber unique per TSA: 16 random bytes (at most
 * 160 bits allowed), positive. */
static ASN1_INTEGER *
serial_cb(TS_RESP_CTX *ctx, void *arg)
{
	unsigned char b[16];
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;

	(void)arg;
	if (gp_serial_random(b) == 0 && (bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL)
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (ai == NULL) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "cannot make a serial number");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
	}
	return ai;
}

void
gp_tsa_free(gp_tsa *tsa)
{
	if (tsa == NULL)
		return;
	TS_RESP_CTX_free(tsa->ctx);
	X509_free(tsa->cert);
	EVP_PKEY_free(tsa->key);
	sk_X509_pop_free(tsa->chain, X509_free);
	pthread_mutex_destroy(&tsa->lock);
	free(tsa);
}

int
gp_tsa_new(gp_tsa **out, X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain, const char *policy)
{
	gp_tsa *tsa = NULL;
	ASN1_OBJECT *pol = NULL;
	static const char *const mds[] = { "SHA256", "SHA384", "SHA512", "SM3" };
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_tsa_new: NULL argument");
	*out = NULL;
	if (cert == NULL || key == NULL)
		return gp_err(GP_E_INVALID, "a time-stamp authority needs a certificate and a key");
	if (gp_key_is_sm2(key) || EVP_PKEY_is_a(key, "ED25519"))
		return gp_err(GP_E_POLICY, "time-stamps are signed with RSA or ECDSA keys (OpenSSL 3.0's TS cannot sign with %s)",
		    gp_key_is_sm2(key) ? "SM2" : "Ed25519");
	if (X509_check_private_key(cert, key) != 1)
		return gp_err_ossl(GP_E_INVALID, "the TSA key does not belong to its certificate");
	/* RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, critical */
	if (!(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) || X509_get_extended_key_usage(cert) != XKU_TIMESTAMP ||
	    X509_get_ext_by_critical(cert, 1, -1) < 0 ||
	    X509_EXTENSION_get_critical(X509_get_ext(cert, X509_get_ext_by_NID(cert, NID_ext_key_usage, -1))) != 1)
		return gp_err(GP_E_POLICY, "the TSA certificate needs the critical extended key usage timeStamping alone (RFC 3161 2.3): use the tsa-signer profile");
	if ((pol = OBJ_txt2obj(policy ? policy : "1.2.3.4.1", 1)) == NULL)
		return gp_err_ossl(GP_E_INVALID, "policy '%s' is not an OID", policy);
	if ((tsa = calloc(1, sizeof(*tsa))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&tsa->lock, NULL);
	if ((tsa->ctx = TS_RESP_CTX_new()) == NULL || !X509_up_ref(cert) || !EVP_PKEY_up_ref(key)) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	tsa->cert = cert;
	tsa->key = key;
	if (chain != NULL && (tsa->chain = X509_chain_up_ref(chain)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (TS_RESP_CTX_set_signer_cert(tsa->ctx, cert) != 1 ||
	    TS_RESP_CTX_set_signer_key(tsa->ctx, key) != 1 ||
	    TS_RESP_CTX_set_def_policy(tsa->ctx, pol) != 1 ||
	    (tsa->chain != NULL && TS_RESP_CTX_set_certs(tsa->ctx, tsa->chain) != 1) ||
	    TS_RESP_CTX_set_accuracy(tsa->ctx, 1, 0, 0) != 1 ||
	    TS_RESP_CTX_set_signer_digest(tsa->ctx, EVP_sha256()) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "cannot set up the time-stamp authority");
		goto out;
	}
	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		const EVP_MD *md = EVP_get_digestbyname(mds[i]);
		if (md != NULL && TS_RESP_CTX_add_md(tsa->ctx, md) != 1) {
			r = gp_err_ossl(GP_E_INTERNAL, "cannot accept %s", mds[i]);
			goto out;
		}
	}
	TS_RESP_CTX_set_serial_cb(tsa->ctx, serial_cb, NULL);
	TS_RESP_CTX_add_flags(tsa->ctx, TS_TSA_NAME);     /* RFC 3161 §2.4.2 tsa: names us */
	*out = tsa;
	tsa = NULL;
	r = 0;
out:
	ASN1_OBJECT_free(pol);
	gp_tsa_free(tsa);
	return r;
}

int
gp_tsa_respond(unsigned char **resp, size_t *resplen, gp_tsa *tsa,
    const unsigned char *req, size_t reqlen)
{
	BIO *in = NULL;
	TS_RESP *rs = NULL;
	unsigned char *buf = NULL;
	int n, r;

	if (resp != NULL)
		*resp = NULL;
	if (resplen != NULL)
		*resplen = 0;
	if (tsa == NULL || resp == NULL || resplen == NULL || (req == NULL && reqlen))
		return gp_err(GP_E_INVALID, "gp_tsa_respond: NULL argument");
	if (reqlen > 64 * 1024)
		return gp_err(GP_E_INVALID, "the time-stamp request is larger than 64 KiB");
	if ((in = BIO_new_mem_buf(req ? req : (const unsigned char *)"", (int)reqlen)) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	pthread_mutex_lock(&tsa->lock);
	/* a malformed request gets a rejection (RFC 3161 §2.4.2 badDataFormat) */
	rs = TS_RESP_create_response(tsa->ctx, in);
	pthread_mutex_unlock(&tsa->lock);
	ERR_clear_error();
	if (rs == NULL) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot make a time-stamp response");
		goto out;
	}
	if ((n = i2d_TS_RESP(rs, &buf)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode the time-stamp response");
		goto out;
	}
	*resp = buf;
	*resplen = (size_t)n;
	r = 0;
out:
	BIO_free(in);
	TS_RESP_free(rs);
	return r;
}

int
gp_tsa_local_cb(void *arg, const unsigned char *req, size_t reqlen,
    unsigned char **resp, size_t *resplen)
{
	return gp_tsa_respond(resp, resplen, arg, req, reqlen);
}

int
gp_seal_http_timeout(void)
{
	const char *e = getenv("GOVPKI_HTTP_TIMEOUT");
	char *end;
	long v;

	if (e == NULL || *e == '\0')
		return 20;
	v = strtol(e, &end, 10);
	return *end == '\0' && v >= 1 && v <= 300 ? (int)v : 20;
}

/* RFC 3161 §3.4: HTTP POST, application/timestamp-query and -reply. */
int
gp_tsa_http_cb(void *arg, const unsigned char *req, size_t reqlen,
    unsigned char **resp, size_t *resplen)
{
	const char *url = arg;
	char *host = NULL, *port = NULL, *path = NULL;
	BIO *rq = NULL, *rs = NULL;
	BUF_MEM *mem;
	int ssl = 0, n, r;

	*resp = NULL;
	*resplen = 0;
	if (url == NULL)
		return gp_err(GP_E_INVALID, "no TSA URL");
	if ((r = gp_seal_int_len(&n, reqlen, "the time-stamp request")) != 0)
		return r;
	if (OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "bad TSA URL '%s'", url);
		goto out;
	}
	if (ssl) {
		r = gp_err(GP_E_INVALID, "TSA URL '%s': only http:// is supported", url);
		goto out;
	}
	if ((rq = BIO_new_mem_buf(req, n)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	rs = OSSL_HTTP_transfer(NULL, host, port, path, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
	    "application/timestamp-query", rq, "application/timestamp-reply", 1, TS_MAX_RESP,
	    gp_seal_http_timeout(), 0);
	if (rs == NULL) {
		r = gp_err_ossl(GP_E_IO, "the TSA at %s did not answer", url);
		goto out;
	}
	BIO_get_mem_ptr(rs, &mem);
	if (mem == NULL || mem->length == 0 || (*resp = OPENSSL_memdup(mem->data, mem->length)) == NULL) {
		r = gp_err(GP_E_IO, "the TSA at %s sent an empty answer", url);
		goto out;
	}
	*resplen = mem->length;
	r = 0;
out:
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	BIO_free(rq);
	BIO_free(rs);
	return r;
}

int
gp_ts_stamp(unsigned char **token, size_t *toklen, const char *mdname,
    const unsigned char *data, size_t len, gp_ts_cb cb, void *arg)
{
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_INTEGER *nonce = NULL;
	TS_RESP *rs = NULL;
	TS_VERIFY_CTX *vctx = NULL;
	const EVP_MD *md;
	unsigned char h[EVP_MAX_MD_SIZE], *rq = NULL, *rsp = NULL, nb[8], *tok = NULL;
	const unsigned char *p;
	unsigned int hlen;
	size_t rsplen = 0;
	int n, r;

	if (token != NULL)
		*token = NULL;
	if (toklen != NULL)
		*toklen = 0;
	if (token == NULL || toklen == NULL || cb == NULL || (data == NULL && len))
		return gp_err(GP_E_INVALID, "gp_ts_stamp: NULL argument");
	if ((md = EVP_get_digestbyname(mdname ? mdname : "SHA256")) == NULL)
		return gp_err(GP_E_INVALID, "unknown digest %s", mdname);
	if (EVP_Digest(data, len, h, &hlen, md, NULL) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "cannot hash");
	/* RFC 3161 §2.4.1: version 1, the imprint, a nonce, certReq */
	if (RAND_bytes(nb, sizeof(nb)) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "no random nonce");
		goto out;
	}
	nb[0] &= 0x7f;
	if ((req = TS_REQ_new()) == NULL || (mi = TS_MSG_IMPRINT_new()) == NULL ||
	    (alg = X509_ALGOR_new()) == NULL || (nonce = ASN1_INTEGER_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	X509_ALGOR_set_md(alg, md);
	{
		BIGNUM *bn = BN_bin2bn(nb, sizeof(nb), NULL);
		int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, nonce) != NULL;
		BN_free(bn);
		if (!ok) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (TS_MSG_IMPRINT_set_algo(mi, alg) != 1 || TS_MSG_IMPRINT_set_msg(mi, h, (int)hlen) != 1 ||
	    TS_REQ_set_version(req, 1) != 1 || TS_REQ_set_msg_imprint(req, mi) != 1 ||
	    TS_REQ_set_nonce(req, nonce) != 1 || TS_REQ_set_cert_req(req, 1) != 1 ||
	    (n = i2d_TS_REQ(req, &rq)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot make the time-stamp request");
		goto out;
	}
	if ((r = cb(arg, rq, (size_t)n, &rsp, &rsplen)) != 0)
		goto out;
	if (rsplen > TS_MAX_RESP) {
		r = gp_err(GP_E_PARSE, "the TSA's answer is larger than %d bytes", TS_MAX_RESP);
		goto out;
	}
	p = rsp;
	if ((rs = d2i_TS_RESP(NULL, &p, (long)rsplen)) == NULL || p != rsp + rsplen) {
		r = gp_err_ossl(GP_E_PARSE, "the TSA's answer is not a time-stamp response");
		goto out;
	}
	/* status granted, the imprint and nonce ours (signature: by the verifier) */
	if ((vctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
	if (TS_RESP_verify_response(vctx, rs) != 1) {
		r = gp_err_ossl(GP_E_VERIFY, "the TSA refused or answered another request");
		goto out;
	}
	if ((n = i2d_PKCS7(TS_RESP_get_token(rs), &tok)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode the token");
		goto out;
	}
	*token = tok;
	*toklen = (size_t)n;
	tok = NULL;
	r = 0;
out:
	TS_REQ_free(req);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_INTEGER_free(nonce);
	TS_RESP_free(rs);
	TS_VERIFY_CTX_free(vctx);
	OPENSSL_free(rq);
	OPENSSL_free(rsp);
	OPENSSL_free(tok);
	return r;
}

int
gp_ts_verify(int64_t *gen_time, const unsigned char *token, size_t toklen,
    const unsigned char *data, size_t len, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted)
{
	PKCS7 *tok = NULL;
	TS_TST_INFO *tst = NULL;
	TS_VERIFY_CTX *ctx = NULL;
	X509_STORE *st = NULL;
	BIO *bio = NULL;
	const unsigned char *p = token;
	int tl, dl, r;

	if (gen_time != NULL)
		*gen_time = 0;
	if (token == NULL || toklen == 0 || (data == NULL && len))
		return gp_err(GP_E_INVALID, "gp_ts_verify: NULL argument");
	if ((r = gp_seal_int_len(&tl, toklen, "the time-stamp token")) != 0 ||
	    (r = gp_seal_int_len(&dl, len, "the time-stamped data")) != 0)
		return r;
	if ((tok = d2i_PKCS7(NULL, &p, tl)) == NULL || p != token + toklen ||
	    (tst = PKCS7_to_TS_TST_INFO(tok)) == NULL) {
		r = gp_err_ossl(GP_E_VERIFY, "the time-stamp token does not decode");
		goto out;
	}
	/* a TSA certificate issued by an SM2 CA verifies only with the default
	 * ID set on it (OpenSSL 3.0 takes the ID from the certificate checked) */
	if (PKCS7_type_is_signed(tok) && tok->d.sign != NULL)
		for (int i = 0; i < sk_X509_num(tok->d.sign->cert); i++)
			if ((r = gp_x509_prepare_sm2(sk_X509_value(tok->d.sign->cert, i))) != 0)
				goto out;
	for (int i = 0; i < sk_X509_num(untrusted); i++)
		if ((r = gp_x509_prepare_sm2(sk_X509_value(untrusted, i))) != 0)
			goto out;
	if ((ctx = TS_VERIFY_CTX_new()) == NULL || (st = X509_STORE_new()) == NULL ||
	    (bio = BIO_new_mem_buf(data ? data : (const unsigned char *)"", dl)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(roots); i++)
		if (X509_STORE_add_cert(st, sk_X509_value(roots, i)) != 1) {
			r = gp_err_ossl(GP_E_INTERNAL, "cannot add a trust anchor");
			goto out;
		}
	TS_VERIFY_CTX_set_store(ctx, st);       /* owns st */
	st = NULL;
	if (untrusted != NULL) {
		STACK_OF(X509) *c = X509_chain_up_ref(untrusted);
		if (c == NULL) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
		TS_VERIFY_CTX_set_certs(ctx, c);    /* owns c */
	}
	TS_VERIFY_CTX_set_data(ctx, bio);       /* owns bio */
	bio = NULL;
	/* RFC 3161 §2.4.2: the signature (TSA certificate with timeStamping,
	 * ESS signing certificate), the version, the imprint over data */
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_SIGNATURE | TS_VFY_VERSION | TS_VFY_DATA);
	if (TS_RESP_verify_token(ctx, tok) != 1) {
		r = gp_err_ossl(GP_E_VERIFY, "the time-stamp does not verify");
		goto out;
	}
	if (gen_time != NULL && (r = gp_asn1_time_to_unix(gen_time, TS_TST_INFO_get_time(tst))) != 0)
		goto out;
	r = 0;
out:
	PKCS7_free(tok);
	TS_TST_INFO_free(tst);
	TS_VERIFY_CTX_free(ctx);
	X509_STORE_free(st);
	BIO_free(bio);
	return r;
}
