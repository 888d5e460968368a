/* tests/unit/test_ocsp.c: OCSP answers, signers, limits, nonces and the pre-signed cache */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include <govpki/govpki.h>

#include "testutil.h"

#define PW "unit-test-pass"

typedef struct fx {
	char *dir;
	gp_ctx *ctx;
	gp_ca *ca;              /* issuing */
	X509 *root, *issuing;
	X509 *good, *revoked, *held;
	EVP_PKEY *key;          /* the applicants' key */
	gp_ocsp_responder *r;
	int64_t revoked_at;
} fx;

static X509 *
ca_cert(gp_ctx *ctx, const char *name)
{
	gp_ca_info *info = NULL;
	X509 *x = NULL;

	assert_int_equal(gp_store_ca_get(gp_ctx_store(ctx), name, &info), 0);
	assert_int_equal(gp_cert_parse(&x, info->cert_der, info->cert_len), 0);
	assert_int_equal(gp_x509_prepare_sm2(x), 0);
	gp_ca_info_free(info);
	return x;
}

static X509 *
issue(fx *f, const char *profile, EVP_PKEY *key)
{
	size_t len;
	unsigned char *csr = tu_csr(&len, key, "Example", "Holder", NULL);
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = profile };
	X509 *cert = NULL;

	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), 0);
	free(csr);
	return cert;
}

static void
revoke_cert(fx *f, X509 *cert, int reason)
{
	unsigned char sn[GP_SERIAL_MAX];
	size_t len;

	assert_int_equal(gp_serial_from_asn1(sn, &len, X509_get0_serialNumber(cert)), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, len, reason, 0, "t"), 0);
}

static fx *
fx_new(gp_key_type kt, int with_certs)
{
	fx *f = calloc(1, sizeof(*f));
	gp_ca_params p;
	gp_ocsp_params op;

	f->dir = tu_tmpdir();
	assert_int_equal(gp_ctx_open(&f->ctx, NULL, f->dir, 0), 0);
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "root";
	p.subject = "/CN=Root";
	p.key_type = kt;
	p.pass = PW;
	p.passlen = strlen(PW);
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	p.name = "issuing";
	p.parent = "root";
	p.subject = "/CN=Issuing";
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&f->ca, f->ctx, "issuing", PW, strlen(PW)), 0);
	f->root = ca_cert(f->ctx, "root");
	f->issuing = ca_cert(f->ctx, "issuing");
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (with_certs) {
		f->good = issue(f, "person", f->key);
		f->revoked = issue(f, "person", f->key);
		f->held = issue(f, "person", f->key);
		f->revoked_at = (int64_t)time(NULL);
		revoke_cert(f, f->revoked, GP_REASON_KEY_COMPROMISE);
		revoke_cert(f, f->held, GP_REASON_CERTIFICATE_HOLD);
	}
	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.pass = PW;
	op.passlen = strlen(PW);
	assert_int_equal(gp_ocsp_responder_new(&f->r, f->ctx, &op), 0);
	return f;
}

static void
fx_free(fx *f)
{
	gp_ocsp_responder_free(f->r);
	gp_ca_free(f->ca);
	gp_ctx_free(f->ctx);
	X509_free(f->root);
	X509_free(f->issuing);
	X509_free(f->good);
	X509_free(f->revoked);
	X509_free(f->held);
	EVP_PKEY_free(f->key);
	tu_rmdir(f->dir);
	free(f);
}

static int setup(void **state) { *state = fx_new(GP_KEY_EC_P256, 1); return 0; }
static int teardown(void **state) { fx_free(*state); return 0; }

/* A DER request for certs (each issued by issuer), hashed with md, with a
 * nonce of nonce_len octets (-1: none). */
static unsigned char *
mkreq_n(size_t *len, X509 *const *certs, X509 *const *issuers, int n, const EVP_MD *md,
    int nonce_len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	unsigned char nonce[256];
	int i, l;

	for (i = 0; i < n; i++)
		assert_non_null(OCSP_request_add0_id(req, OCSP_cert_to_id(md, certs[i], issuers[i])));
	if (nonce_len >= 0) {
		RAND_bytes(nonce, sizeof(nonce));
		assert_int_equal(OCSP_request_add1_nonce(req, nonce, nonce_len), 1);
	}
	l = i2d_OCSP_REQUEST(req, &der);
	assert_true(l > 0);
	*len = (size_t)l;
	OCSP_REQUEST_free(req);
	return der;
}

static unsigned char *
mkreq(size_t *len, X509 *cert, X509 *issuer, const EVP_MD *md, int nonce_len)
{
	return mkreq_n(len, &cert, &issuer, 1, md, nonce_len);
}

/* The response was written by hand (ocsp.c's DER writer): OpenSSL's own
 * encoding of what it parsed must be the very same bytes (X.690 DER:
 * minimal lengths, nothing left over, and so the signature covers what a
 * client re-encodes). */
static void
assert_der_canonical(OCSP_RESPONSE *or, const unsigned char *der, size_t len)
{
	unsigned char *re = NULL;
	int n = i2d_OCSP_RESPONSE(or, &re);

	assert_int_equal(n, (int)len);
	assert_memory_equal(re, der, len);
	OPENSSL_free(re);
}

static OCSP_RESPONSE *
ask(fx *f, const unsigned char *der, size_t len, int *status, unsigned *flags)
{
	gp_ocsp_resp *x = NULL;
	const unsigned char *p;
	size_t rl;
	OCSP_RESPONSE *or;

	assert_int_equal(gp_ocsp_respond(&x, flags, f->r, der, len, NULL, 0), 0);
	p = gp_ocsp_resp_der(x, &rl);
	or = d2i_OCSP_RESPONSE(NULL, &p, (long)rl);
	assert_non_null(or);
	assert_der_canonical(or, gp_ocsp_resp_der(x, NULL), rl);
	*status = OCSP_response_status(or);
	assert_int_equal(*status, gp_ocsp_resp_status(x));
	gp_ocsp_resp_free(x);
	return or;
}

/* The status of cert in a successful response (checks the signature
 * against the issuing CA, or the root for a delegated signer). */
static int
status_of(fx *f, OCSP_RESPONSE *or, X509 *cert, X509 *issuer, int *reason, int64_t *when)
{
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(or);
	X509_STORE *st = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer);
	ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
	int status = -1, rs = -1;

	assert_non_null(bs);
	X509_STORE_add_cert(st, f->root);
	sk_X509_push(certs, f->issuing);
	assert_int_equal(OCSP_basic_verify(bs, certs, st, 0), 1);
	assert_int_equal(OCSP_resp_find_status(bs, id, &status, &rs, &rev, &thisu, &nextu), 1);
	assert_int_equal(OCSP_check_validity(thisu, nextu, 300, -1), 1);
	if (reason != NULL)
		*reason = rs;
	if (when != NULL && rev != NULL) {
		struct tm tm;

		ASN1_TIME_to_tm(rev, &tm);
		*when = (int64_t)timegm(&tm);
	}
	OCSP_CERTID_free(id);
	sk_X509_free(certs);
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	return status;
}

/* good, revoked (keyCompromise, at the time of revocation), on hold
 * (revoked, certificateHold), and a serial never issued: unknown */
static void
test_statuses(void **state)
{
	fx *f = *state;
	X509 *other = X509_dup(f->good);
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	unsigned char *der;
	size_t len;
	int st, reason;
	int64_t when = 0;
	OCSP_RESPONSE *or;

	der = mkreq(&len, f->good, f->issuing, NULL, -1);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(status_of(f, or, f->good, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);

	der = mkreq(&len, f->revoked, f->issuing, NULL, 16);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(status_of(f, or, f->revoked, f->issuing, &reason, &when),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	assert_true(when >= f->revoked_at - 1 && when <= (int64_t)time(NULL));
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);

	der = mkreq(&len, f->held, f->issuing, NULL, -1);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(status_of(f, or, f->held, f->issuing, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);

	/* a serial the CA never issued is unknown, never good */
	ASN1_INTEGER_set(sn, 12345);
	X509_set_serialNumber(other, sn);
	der = mkreq(&len, other, f->issuing, NULL, -1);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(status_of(f, or, other, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_UNKNOWN);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);
	ASN1_INTEGER_free(sn);
	X509_free(other);
}

/* CertIDs hashed with SHA-1, SHA-256 and SM3 match; SHA-384 and MD5 are
 * not served: unauthorized */
static void
test_hashes(void **state)
{
	fx *f = *state;
	const char *ok[] = { "SHA1", "SHA256", "SM3" }, *no[] = { "SHA384", "MD5" };
	unsigned char *der;
	size_t len, i;
	int st;
	OCSP_RESPONSE *or;

	for (i = 0; i < 3; i++) {
		EVP_MD *md = EVP_MD_fetch(NULL, ok[i], NULL);

		der = mkreq(&len, f->good, f->issuing, md, -1);
		or = ask(f, der, len, &st, NULL);
		assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
		OCSP_RESPONSE_free(or);
		OPENSSL_free(der);
		EVP_MD_free(md);
	}
	for (i = 0; i < 2; i++) {
		EVP_MD *md = EVP_MD_fetch(NULL, no[i], NULL);

		der = mkreq(&len, f->good, f->issuing, md, -1);
		or = ask(f, der, len, &st, NULL);
		assert_int_equal(st, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
		OCSP_RESPONSE_free(or);
		OPENSSL_free(der);
		EVP_MD_free(md);
	}
}

/* an issuer we do not serve, and single requests for two different CAs
 * (one signer per response): unauthorized */
static void
test_unauthorized(void **state)
{
	fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *stranger = X509_new();
	X509 *certs[2], *issuers[2];
	unsigned char *der;
	size_t len;
	int st;
	OCSP_RESPONSE *or;

	X509_set_pubkey(stranger, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(stranger), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Stranger", -1, -1, 0);
	X509_set_issuer_name(stranger, X509_get_subject_name(stranger));
	X509_sign(stranger, k, EVP_sha256());
	der = mkreq(&len, stranger, stranger, NULL, -1);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);

	certs[0] = f->good;
	issuers[0] = f->issuing;
	certs[1] = f->issuing;
	issuers[1] = f->root;
	der = mkreq_n(&len, certs, issuers, 2, NULL, -1);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);
	X509_free(stranger);
	EVP_PKEY_free(k);
}

/* empty, garbage, truncated, trailing bytes, no single request, too many,
 * an over-long request: malformedRequest, never a failure */
static void
test_malformed(void **state)
{
	fx *f = *state;
	unsigned char garbage[64], *der, *big;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	X509 *certs[101], *issuers[101];
	size_t len, i;
	int st, l;
	OCSP_RESPONSE *or;

	memset(garbage, 0x41, sizeof(garbage));
	or = ask(f, garbage, 0, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(or);
	or = ask(f, garbage, sizeof(garbage), &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(or);

	der = mkreq(&len, f->good, f->issuing, NULL, -1);
	for (i = 1; i < len; i += 7) {
		or = ask(f, der, i, &st, NULL);
		assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		OCSP_RESPONSE_free(or);
	}
	big = malloc(len + 1);
	memcpy(big, der, len);
	big[len] = 0;
	or = ask(f, big, len + 1, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(or);
	free(big);
	OPENSSL_free(der);

	der = NULL;
	l = i2d_OCSP_REQUEST(req, &der);
	or = ask(f, der, (size_t)l, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);

	/* 100 single requests are answered, 101 are too many */
	for (i = 0; i < 101; i++) {
		certs[i] = f->good;
		issuers[i] = f->issuing;
	}
	der = mkreq_n(&len, certs, issuers, 100, NULL, -1);
	if (len <= 10000) {
		or = ask(f, der, len, &st, NULL);
		assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
		OCSP_RESPONSE_free(or);
	}
	OPENSSL_free(der);
	der = mkreq_n(&len, certs, issuers, 101, NULL, -1);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);

	/* past max_request_bytes (10,000 by default) */
	big = calloc(1, 20000);
	or = ask(f, big, 20000, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_RESPONSE_free(or);
	free(big);
}

/* several single requests: each answered, in order */
static void
test_several(void **state)
{
	fx *f = *state;
	X509 *certs[3] = { f->good, f->revoked, f->held };
	X509 *issuers[3] = { f->issuing, f->issuing, f->issuing };
	unsigned char *der;
	size_t len;
	int st;
	OCSP_RESPONSE *or;
	OCSP_BASICRESP *bs;

	der = mkreq_n(&len, certs, issuers, 3, NULL, 20);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(or);
	assert_int_equal(OCSP_resp_count(bs), 3);
	assert_int_equal(status_of(f, or, f->good, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(status_of(f, or, f->revoked, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);
}

/* RFC 9654 §2.1: nonces of 1..128 octets come back; 0 and 129 are
 * malformedRequest */
static void
test_nonce(void **state)
{
	fx *f = *state;
	static const int good[] = { 1, 16, 32, 128 }, bad[] = { 0, 129 };
	OCSP_REQUEST *req;
	OCSP_BASICRESP *bs;
	const unsigned char *p;
	unsigned char *der;
	size_t len, i;
	int st;
	OCSP_RESPONSE *or;

	for (i = 0; i < 4; i++) {
		der = mkreq(&len, f->good, f->issuing, NULL, good[i]);
		or = ask(f, der, len, &st, NULL);
		assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
		p = der;
		req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
		bs = OCSP_response_get1_basic(or);
		assert_int_equal(OCSP_check_nonce(req, bs), 1);
		OCSP_BASICRESP_free(bs);
		OCSP_REQUEST_free(req);
		OCSP_RESPONSE_free(or);
		OPENSSL_free(der);
	}
	for (i = 0; i < 2; i++) {
		if (bad[i] == 0) {
			/* OCSP_request_add1_nonce makes 16 octets of 0: by hand,
			 * an extnValue holding an empty OCTET STRING */
			static const unsigned char empty[2] = { 0x04, 0x00 };
			ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
			X509 *c = f->good, *is = f->issuing;

			req = OCSP_REQUEST_new();
			OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, c, is));
			ASN1_OCTET_STRING_set(v, empty, 2);
			assert_int_equal(OCSP_REQUEST_add1_ext_i2d(req, NID_id_pkix_OCSP_Nonce,
			    v, 0, 0), 1);
			der = NULL;
			len = (size_t)i2d_OCSP_REQUEST(req, &der);
			OCSP_REQUEST_free(req);
			ASN1_OCTET_STRING_free(v);
		} else {
			der = mkreq(&len, f->good, f->issuing, NULL, bad[i]);
		}
		or = ask(f, der, len, &st, NULL);
		assert_int_equal(st, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		OCSP_RESPONSE_free(or);
		OPENSSL_free(der);
	}
}

/* a nonce-less request is signed once and then served from the cache, also
 * through its GET path; nonce requests and unknown serials are not kept */
static void
test_cache(void **state)
{
	fx *f = *state;
	gp_ocsp_resp *a = NULL, *b = NULL, *c = NULL;
	gp_ocsp_stats s;
	unsigned char *der;
	size_t len;
	unsigned flags = 0;

	der = mkreq(&len, f->good, f->issuing, NULL, -1);
	assert_int_equal(gp_ocsp_lookup(&c, f->r, "k1", 2), GP_E_NOTFOUND);
	assert_int_equal(gp_ocsp_respond(&a, &flags, f->r, der, len, "k1", 2), 0);
	assert_int_equal(flags, 0);
	assert_true(gp_ocsp_resp_cacheable(a));
	assert_int_equal(strlen(gp_ocsp_resp_etag(a)), 34);
	assert_true(strstr(gp_ocsp_resp_expires(a), " GMT") != NULL);
	assert_int_equal(gp_ocsp_resp_next_update(a) - gp_ocsp_resp_this_update(a), 3600);
	assert_int_equal(gp_ocsp_respond(&b, &flags, f->r, der, len, NULL, 0), 0);
	assert_int_equal(flags, GP_OCSP_HIT);
	assert_ptr_equal(a, b);
	assert_int_equal(gp_ocsp_lookup(&c, f->r, "k1", 2), 0);
	assert_ptr_equal(a, c);
	gp_ocsp_resp_free(b);
	gp_ocsp_resp_free(c);
	OPENSSL_free(der);

	der = mkreq(&len, f->good, f->issuing, NULL, 32);
	assert_int_equal(gp_ocsp_respond(&b, &flags, f->r, der, len, "k2", 2), 0);
	assert_int_equal(flags, 0);
	assert_false(gp_ocsp_resp_cacheable(b));
	assert_int_equal(gp_ocsp_lookup(&c, f->r, "k2", 2), GP_E_NOTFOUND);
	gp_ocsp_resp_free(b);
	OPENSSL_free(der);

	assert_int_equal(gp_ocsp_get_stats(f->r, &s), 0);
	assert_int_equal(s.cached, 1);
	assert_int_equal(s.hits, 2);
	gp_ocsp_resp_free(a);
}

/* an unknown answer (issue 21.6) is not cacheable over HTTP, but a repeated
 * request is served from memory, not signed again, until the next refresh:
 * a certificate issued with that serial then answers good */
static void
test_unknown_cache(void **state)
{
	fx *f = *state;
	X509 *other = X509_dup(f->good);
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	gp_ocsp_resp *a = NULL, *b = NULL, *c = NULL;
	gp_cert_info *ci = NULL;
	gp_ca_info *ca = NULL;
	gp_ocsp_stats s0, s1;
	OCSP_RESPONSE *or;
	unsigned char *der;
	size_t len, n;
	unsigned flags = 0;
	int st;

	ASN1_INTEGER_set(sn, 0x3039);
	X509_set_serialNumber(other, sn);
	der = mkreq(&len, other, f->issuing, NULL, -1);
	assert_int_equal(gp_ocsp_respond(&a, &flags, f->r, der, len, "u1", 2), 0);
	assert_int_equal(flags, 0);
	assert_false(gp_ocsp_resp_cacheable(a));
	assert_int_equal(gp_ocsp_get_stats(f->r, &s0), 0);
	assert_int_equal(gp_ocsp_respond(&b, &flags, f->r, der, len, "u1", 2), 0);
	assert_int_equal(flags, GP_OCSP_HIT);
	assert_ptr_equal(a, b);
	assert_int_equal(gp_ocsp_lookup(&c, f->r, "u1", 2), 0);
	assert_ptr_equal(a, c);
	assert_int_equal(gp_ocsp_get_stats(f->r, &s1), 0);
	assert_int_equal(s1.signed_total, s0.signed_total);
	gp_ocsp_resp_free(a);
	gp_ocsp_resp_free(b);
	gp_ocsp_resp_free(c);

	/* the serial is issued now (a copy of good's row under it) */
	assert_int_equal(gp_store_ca_get(gp_ctx_store(f->ctx), "issuing", &ca), 0);
	{
		unsigned char gsn[GP_SERIAL_MAX];
		size_t gl;

		assert_int_equal(gp_serial_from_asn1(gsn, &gl, X509_get0_serialNumber(f->good)), 0);
		assert_int_equal(gp_store_cert_get(gp_ctx_store(f->ctx), ca->id, gsn, gl, &ci), 0);
	}
	ci->serial[0] = 0x30;
	ci->serial[1] = 0x39;
	ci->serial_len = 2;
	ci->fingerprint[0] ^= 1;
	assert_int_equal(gp_store_cert_add(gp_ctx_store(f->ctx), ci), 0);
	/* still the answer held in memory, then good after a refresh */
	assert_int_equal(gp_ocsp_lookup(&c, f->r, "u1", 2), 0);
	gp_ocsp_resp_free(c);
	assert_int_equal(gp_ocsp_refresh(&n, f->r, 0), 0);
	assert_int_equal(gp_ocsp_lookup(&c, f->r, "u1", 2), GP_E_NOTFOUND);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(status_of(f, or, other, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);
	gp_cert_info_free(ci);
	gp_ca_info_free(ca);
	ASN1_INTEGER_free(sn);
	X509_free(other);
}

/* a revocation shows after one refresher round, without a restart */
static void
test_revocation_refresh(void **state)
{
	fx *f = *state;
	gp_ocsp_resp *x = NULL;
	OCSP_RESPONSE *or;
	const unsigned char *p;
	unsigned char *der;
	size_t len, n = 0;
	int reason;

	gp_ocsp_resp *other = NULL, *y = NULL;
	unsigned char *der2 = mkreq(&len, f->held, f->issuing, NULL, -1);

	/* another certificate's cached answer, which must survive */
	assert_int_equal(gp_ocsp_respond(&other, NULL, f->r, der2, len, "h", 1), 0);
	OPENSSL_free(der2);
	der = mkreq(&len, f->good, f->issuing, NULL, -1);
	assert_int_equal(gp_ocsp_respond(&x, NULL, f->r, der, len, "g", 1), 0);
	gp_ocsp_resp_free(x);
	revoke_cert(f, f->good, GP_REASON_SUPERSEDED);
	/* before the round the cache still has the old answer */
	assert_int_equal(gp_ocsp_lookup(&x, f->r, "g", 1), 0);
	gp_ocsp_resp_free(x);
	assert_int_equal(gp_ocsp_refresh(&n, f->r, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gp_ocsp_lookup(&x, f->r, "g", 1), 0);
	p = gp_ocsp_resp_der(x, &len);
	or = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	assert_int_equal(status_of(f, or, f->good, f->issuing, &reason, NULL),
	    V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(reason, OCSP_REVOKED_STATUS_SUPERSEDED);
	/* only the changed certificate was re-signed (gp_store_cert_changed) */
	assert_int_equal(gp_ocsp_lookup(&y, f->r, "h", 1), 0);
	assert_ptr_equal(y, other);
	gp_ocsp_resp_free(y);
	gp_ocsp_resp_free(other);
	OCSP_RESPONSE_free(or);
	gp_ocsp_resp_free(x);
	OPENSSL_free(der);
}

/* responses used are re-signed at half their validity; unused ones are
 * forgotten */
static void
test_resign(void **state)
{
	fx *f = *state;
	gp_ocsp_resp *x = NULL;
	unsigned char *der;
	size_t len, n = 0;
	int64_t t0, later;

	der = mkreq(&len, f->good, f->issuing, NULL, -1);
	assert_int_equal(gp_ocsp_respond(&x, NULL, f->r, der, len, "g", 1), 0);
	t0 = gp_ocsp_resp_this_update(x);
	gp_ocsp_resp_free(x);
	assert_int_equal(gp_ocsp_refresh(&n, f->r, t0 + 10), 0);
	assert_int_equal(n, 0);
	later = t0 + 1800;
	assert_int_equal(gp_ocsp_refresh(&n, f->r, later), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gp_ocsp_lookup(&x, f->r, "g", 1), 0);
	assert_int_equal(gp_ocsp_resp_this_update(x), later);
	gp_ocsp_resp_free(x);
	/* used just now: kept and re-signed once more; then not used: gone */
	assert_int_equal(gp_ocsp_refresh(&n, f->r, later + 1800), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gp_ocsp_refresh(&n, f->r, later + 3600), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gp_ocsp_lookup(&x, f->r, "g", 1), GP_E_NOTFOUND);
	OPENSSL_free(der);
}

/* a delegated responder (ocsp-signer profile) signs and is sent along;
 * responderID byKey names its key (RFC 6960 §4.2.2.2, §4.2.2.3) */
static void
test_delegated(void **state)
{
	fx *f = *state;
	EVP_PKEY *sk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *signer = issue(f, "ocsp-signer", sk);
	gp_ocsp_responder *r = NULL;
	gp_ocsp_params op;
	gp_ocsp_resp *x = NULL;
	OCSP_RESPONSE *or;
	OCSP_BASICRESP *bs;
	X509_STORE *st = X509_STORE_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	const ASN1_OCTET_STRING *kid = NULL;
	const X509_NAME *nm = NULL;
	unsigned char kh[20], *der;
	const unsigned char *p;
	char kpath[4096], cpath[4096];
	const char *only_root[] = { "root" };
	size_t len;
	FILE *fp;
	int status = -1;
	OCSP_CERTID *id;

	snprintf(kpath, sizeof(kpath), "%s/signer.key", f->dir);
	snprintf(cpath, sizeof(cpath), "%s/signer.pem", f->dir);
	assert_int_equal(gp_key_save(kpath, sk, PW, strlen(PW)), 0);
	fp = fopen(cpath, "w");
	PEM_write_X509(fp, signer);
	fclose(fp);
	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.signer_cert = cpath;
	op.signer_key = kpath;
	op.pass = PW;
	op.passlen = strlen(PW);
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), 0);

	der = mkreq(&len, f->revoked, f->issuing, NULL, 16);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, NULL, 0), 0);
	p = gp_ocsp_resp_der(x, &len);
	or = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	bs = OCSP_response_get1_basic(or);
	assert_int_equal(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	assert_int_equal(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0), signer), 0);
	assert_int_equal(OCSP_resp_get0_id(bs, &kid, &nm), 1);
	assert_non_null(kid);
	assert_null(nm);
	assert_int_equal(X509_pubkey_digest(signer, EVP_sha1(), kh, NULL), 1);
	assert_memory_equal(ASN1_STRING_get0_data(kid), kh, 20);
	X509_STORE_add_cert(st, f->root);
	sk_X509_push(untrusted, f->issuing);
	assert_int_equal(OCSP_basic_verify(bs, untrusted, st, 0), 1);
	id = OCSP_cert_to_id(NULL, f->revoked, f->issuing);
	assert_int_equal(OCSP_resp_find_status(bs, id, &status, NULL, NULL, NULL, NULL), 1);
	assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(or);
	gp_ocsp_resp_free(x);
	OPENSSL_free(der);
	gp_ocsp_responder_free(r);

	/* the delegate must be issued by a CA served (root did not issue it) */
	op.cas = only_root;
	op.ncas = 1;
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_POLICY);
	/* a wrong passphrase */
	op.cas = NULL;
	op.ncas = 0;
	op.pass = "wrong";
	op.passlen = 5;
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_PASSPHRASE);
	assert_null(r);
	/* a certificate without id-kp-OCSPSigning is refused */
	op.signer_cert = cpath;
	op.pass = PW;
	op.passlen = strlen(PW);
	X509_free(signer);
	signer = issue(f, "person", sk);
	fp = fopen(cpath, "w");
	PEM_write_X509(fp, signer);
	fclose(fp);
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_POLICY);
	assert_true(strstr(gp_error_last(), "OCSPSigning") != NULL);
	/* an unknown CA name */
	op.signer_cert = op.signer_key = NULL;
	only_root[0] = "nosuch";
	op.cas = only_root;
	op.ncas = 1;
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_NOTFOUND);
	X509_STORE_free(st);
	sk_X509_free(untrusted);
	X509_free(signer);
	EVP_PKEY_free(sk);
}

/* cert again, valid from now - 60 until now + secs, signed by the issuing
 * CA's key (what ca-tool cannot make: a few seconds of validity) */
static X509 *
short_lived(fx *f, X509 *cert, long secs)
{
	X509 *x = X509_dup(cert);
	EVP_PKEY *cak = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/keys/issuing.key", f->dir);
	assert_int_equal(gp_key_load(&cak, path, PW, strlen(PW)), 0);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), secs));
	assert_int_equal(gp_x509_sign(x, cak), 0);
	EVP_PKEY_free(cak);
	return x;
}

static int64_t
not_after(const X509 *x)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm), 1);
	return (int64_t)timegm(&tm);
}

static void
write_pems(const char *path, X509 *a, X509 *b)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(PEM_write_X509(fp, a), 1);
	if (b != NULL)
		assert_int_equal(PEM_write_X509(fp, b), 1);
	assert_int_equal(fclose(fp), 0);
}

/* nextUpdate of the one SingleResponse of a successful response x */
static int64_t
next_update_in(const gp_ocsp_resp *x, X509 **signer)
{
	const unsigned char *p;
	size_t len;
	OCSP_RESPONSE *or;
	OCSP_BASICRESP *bs;
	ASN1_GENERALIZEDTIME *nu = NULL;
	struct tm tm;

	p = gp_ocsp_resp_der(x, &len);
	assert_non_null(or = d2i_OCSP_RESPONSE(NULL, &p, (long)len));
	assert_int_equal(OCSP_response_status(or), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_non_null(bs = OCSP_response_get1_basic(or));
	assert_int_equal(OCSP_single_get0_status(OCSP_resp_get0(bs, 0), NULL, NULL, NULL, &nu),
	    V_OCSP_CERTSTATUS_GOOD);
	assert_non_null(nu);
	assert_int_equal(ASN1_TIME_to_tm(nu, &tm), 1);
	if (signer != NULL)
		*signer = X509_dup(sk_X509_value(OCSP_resp_get0_certs(bs), 0));
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(or);
	return (int64_t)timegm(&tm);
}

/* issue 21.4: a delegated signer that expires while the responder runs.
 * nextUpdate (and so max-age and Expires) never run past its notAfter,
 * presigned rows neither; once it has expired, nothing cached is served,
 * every answer is tryLater (RFC 6960 §2.3) and gp_ocsp_health fails; a
 * renewal for the same key put into the signer file is picked up by the
 * refresher, one for another key is not */
static void
test_signer_expiry(void **state)
{
	fx *f = *state;
	EVP_PKEY *sk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *renewed = issue(f, "ocsp-signer", sk), *stranger = issue(f, "ocsp-signer", other);
	X509 *expiring = short_lived(f, renewed, 3), *sent = NULL;
	gp_ocsp_settings set;
	gp_ocsp_params op;
	gp_ocsp_responder *r = NULL, *r2 = NULL;
	gp_ocsp_presign_stats ps;
	gp_ocsp_presigned *row = NULL;
	gp_ocsp_resp *x = NULL;
	unsigned char *der, sn[GP_SERIAL_MAX];
	char kpath[4096], cpath[4096];
	int64_t na = not_after(expiring), deadline;
	size_t len, snlen, n;

	snprintf(kpath, sizeof(kpath), "%s/signer.key", f->dir);
	snprintf(cpath, sizeof(cpath), "%s/signer.pem", f->dir);
	assert_int_equal(gp_key_save(kpath, sk, PW, strlen(PW)), 0);
	write_pems(cpath, expiring, NULL);
	assert_int_equal(gp_ocsp_settings_load(&set, NULL), 0);
	set.next_update = 7L * 86400;   /* far past the signer's end */
	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.settings = &set;
	op.signer_cert = cpath;
	op.signer_key = kpath;
	op.pass = PW;
	op.passlen = strlen(PW);
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), 0);
	assert_int_equal(gp_ocsp_health(r, 0), 0);

	/* nextUpdate stops at the signer's notAfter */
	der = mkreq(&len, f->good, f->issuing, NULL, -1);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, "g", 1), 0);
	assert_int_equal(gp_ocsp_resp_next_update(x), na);
	assert_int_equal(next_update_in(x, NULL), na);
	gp_ocsp_resp_free(x);
	/* and so do the rows presign writes for replicas */
	assert_int_equal(gp_ocsp_presign(&ps, f->ctx, "issuing", &op, 0), 0);
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(f->good)), 0);
	assert_int_equal(gp_store_ocsp_get(&row, gp_ctx_store(f->ctx), gp_ca_id(f->ca), sn,
	    snlen, 0), 0);
	assert_int_equal(row->next_update, na);
	gp_ocsp_presigned_free(row);

	/* the signer expires (bounded wait on the clock) */
	deadline = (int64_t)time(NULL) + 30;
	while ((int64_t)time(NULL) <= na && (int64_t)time(NULL) < deadline) {
		struct timespec nap = { 0, 50 * 1000 * 1000 };

		nanosleep(&nap, NULL);
	}
	assert_true((int64_t)time(NULL) > na);
	assert_int_equal(gp_ocsp_lookup(&x, r, "g", 1), GP_E_NOTFOUND);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, "g", 1), 0);
	assert_int_equal(gp_ocsp_resp_status(x), GP_OCSP_TRY_LATER);
	gp_ocsp_resp_free(x);
	assert_int_equal(gp_ocsp_health(r, 0), GP_E_STATE);
	assert_non_null(strstr(gp_error_last(), "expired"));
	/* a new responder refuses it, naming why */
	assert_int_equal(gp_ocsp_responder_new(&r2, f->ctx, &op), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "expired at"));
	assert_null(r2);

	/* an ocsp-signer certificate of another key is no renewal */
	write_pems(cpath, expiring, stranger);
	assert_int_equal(gp_ocsp_refresh(&n, r, 0), 0);
	assert_int_equal(gp_ocsp_health(r, 0), GP_E_STATE);
	/* the renewal put beside the old one: picked up, sent along, and
	 * nextUpdate is next_update_seconds again */
	write_pems(cpath, expiring, renewed);
	assert_int_equal(gp_ocsp_refresh(&n, r, 0), 0);
	assert_int_equal(gp_ocsp_health(r, 0), 0);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, "g", 1), 0);
	assert_int_equal(gp_ocsp_resp_status(x), GP_OCSP_SUCCESSFUL);
	assert_int_equal(next_update_in(x, &sent), gp_ocsp_resp_this_update(x) + set.next_update);
	assert_int_equal(X509_cmp(sent, renewed), 0);
	gp_ocsp_resp_free(x);
	/* and a new responder takes the one valid longest */
	assert_int_equal(gp_ocsp_responder_new(&r2, f->ctx, &op), 0);
	assert_int_equal(gp_ocsp_health(r2, 0), 0);
	gp_ocsp_responder_free(r2);

	OPENSSL_free(der);
	gp_ocsp_responder_free(r);
	X509_free(sent);
	X509_free(expiring);
	X509_free(renewed);
	X509_free(stranger);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(other);
}

/* Verifies an SM2-signed response with the distinguishing ID: OpenSSL
 * 3.0's OCSP_basic_verify passes no ID (so an empty one) to the signature
 * check. */
static int
sm2_verify(OCSP_BASICRESP *bs, X509 *signer)
{
	ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
	int ok;

	ASN1_OCTET_STRING_set(id, (const unsigned char *)GP_SM2_DEFAULT_ID,
	    (int)strlen(GP_SM2_DEFAULT_ID));
	ok = ASN1_item_verify_ex(ASN1_ITEM_rptr(OCSP_RESPDATA),
	    (X509_ALGOR *)OCSP_resp_get0_tbs_sigalg(bs),
	    (ASN1_BIT_STRING *)OCSP_resp_get0_signature(bs),
	    (void *)OCSP_resp_get0_respdata(bs), id, X509_get0_pubkey(signer), NULL, NULL);
	ASN1_OCTET_STRING_free(id);
	return ok;
}

/* every CA key type signs good and revoked answers that verify */
static void
test_key_types(void **state)
{
	static const gp_key_type types[] = { GP_KEY_EC_P256, GP_KEY_EC_P384,
	    GP_KEY_ED25519, GP_KEY_SM2, GP_KEY_RSA2048, GP_KEY_RSA3072, GP_KEY_RSA4096 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fx *f = fx_new(types[i], 1);
		unsigned char *der;
		size_t len;
		int st;
		OCSP_RESPONSE *or;
		OCSP_BASICRESP *bs;
		OCSP_CERTID *id;
		int status = -1, reason = -1;

		der = mkreq(&len, f->revoked, f->issuing, NULL, 16);
		or = ask(f, der, len, &st, NULL);
		assert_int_equal(st, OCSP_RESPONSE_STATUS_SUCCESSFUL);
		bs = OCSP_response_get1_basic(or);
		if (types[i] == GP_KEY_SM2) {
			assert_int_equal(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm),
			    NID_SM2_with_SM3);
			assert_int_equal(sm2_verify(bs, f->issuing), 1);
			id = OCSP_cert_to_id(NULL, f->revoked, f->issuing);
			assert_int_equal(OCSP_resp_find_status(bs, id, &status, &reason,
			    NULL, NULL, NULL), 1);
			assert_int_equal(status, V_OCSP_CERTSTATUS_REVOKED);
			assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
			OCSP_CERTID_free(id);
		} else {
			assert_int_equal(status_of(f, or, f->revoked, f->issuing, &reason, NULL),
			    V_OCSP_CERTSTATUS_REVOKED);
		}
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(or);
		OPENSSL_free(der);
		fx_free(f);
	}
}

/* the [ocsp] section: defaults, values, unknown keys and bad values */
static void
test_settings(void **state)
{
	gp_ocsp_settings s;
	gp_config *cfg = NULL;
	char *dir = tu_tmpdir(), path[4096];
	FILE *fp;

	(void)state;
	assert_int_equal(gp_ocsp_settings_load(&s, NULL), 0);
	assert_int_equal(s.max_request, 10000);
	assert_int_equal(s.refresh, 5);
	assert_string_equal(s.path, "/");
	assert_int_equal(gp_ocsp_settings_load(NULL, NULL), GP_E_INVALID);

	snprintf(path, sizeof(path), "%s/a.cnf", dir);
	fp = fopen(path, "w");
	fprintf(fp, "[ocsp]\nlisten = 0.0.0.0:9000\nrefresh_seconds = 2\nca = a, b\n"
	    "next_update_seconds = 600\n");
	fclose(fp);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_ocsp_settings_load(&s, cfg), 0);
	assert_string_equal(s.listen, "0.0.0.0:9000");
	assert_int_equal(s.refresh, 2);
	assert_int_equal(s.next_update, 600);
	assert_string_equal(s.cas, "a, b");
	gp_config_free(cfg);

	fp = fopen(path, "w");
	fprintf(fp, "[ocsp]\nrefresh_seconds = 2\nrefresh_secs = 3\n");
	fclose(fp);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_ocsp_settings_load(&s, cfg), GP_E_CONFIG);
	assert_true(strstr(gp_error_last(), "refresh_secs") != NULL);
	gp_config_free(cfg);

	fp = fopen(path, "w");
	fprintf(fp, "[ocsp]\nmax_request_bytes = lots\n");
	fclose(fp);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_ocsp_settings_load(&s, cfg), GP_E_CONFIG);
	gp_config_free(cfg);

	fp = fopen(path, "w");
	fprintf(fp, "[ocsp]\nsigner_cert = x.pem\n");
	fclose(fp);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_ocsp_settings_load(&s, cfg), GP_E_CONFIG);
	gp_config_free(cfg);
	tu_rmdir(dir);
}

/* Nonce requests are signed each time but their status is kept in memory
 * like the pre-signed responses: a revocation shows after the refresher's
 * round (within refresh_seconds), not before, and only for that one */
static void
test_status_cache(void **state)
{
	fx *f = *state;
	OCSP_RESPONSE *or;
	unsigned char *der;
	size_t len, n = 0;
	int st;

	der = mkreq(&len, f->good, f->issuing, NULL, 16);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(status_of(f, or, f->good, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	OCSP_RESPONSE_free(or);
	revoke_cert(f, f->good, GP_REASON_SUPERSEDED);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(status_of(f, or, f->good, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_GOOD);
	OCSP_RESPONSE_free(or);
	assert_int_equal(gp_ocsp_refresh(&n, f->r, 0), 0);
	or = ask(f, der, len, &st, NULL);
	assert_int_equal(status_of(f, or, f->good, f->issuing, NULL, NULL), V_OCSP_CERTSTATUS_REVOKED);
	OCSP_RESPONSE_free(or);
	OPENSSL_free(der);
}

/* the store's pre-signed rows: put, get with and without DER, replace,
 * generations; bad arguments and a read-only store are refused and write
 * nothing */
static void
test_store_presigned(void **state)
{
	fx *f = *state;
	gp_store *st = gp_ctx_store(f->ctx), *ro = NULL;
	gp_ocsp_presigned p, *g = (gp_ocsp_presigned *)1;
	unsigned char d1[] = { 1, 2, 3 }, d2[] = { 4, 5, 6, 7 }, sn[GP_SERIAL_MAX + 1];
	char path[4096];
	int64_t gen = -1;

	memset(&p, 0, sizeof(p));
	memset(sn, 0x11, sizeof(sn));
	p.ca_id = 2;
	memcpy(p.serial, sn, 8);
	p.serial_len = 8;
	p.der_sha1 = d1;
	p.der_sha1_len = sizeof(d1);
	p.der_sha256 = d2;
	p.der_sha256_len = sizeof(d2);
	p.this_update = 1000;
	p.next_update = 4600;
	p.revision = 7;
	assert_int_equal(gp_store_ocsp_generation(&gen, st), 0);
	assert_int_equal(gen, 0);
	assert_int_equal(gp_store_ocsp_get(&g, st, 2, sn, 8, 1), GP_E_NOTFOUND);
	assert_null(g);
	assert_int_equal(gp_store_ocsp_put(st, &p), 0);
	assert_int_equal(gp_store_ocsp_get(&g, st, 2, sn, 8, 1), 0);
	assert_int_equal(g->this_update, 1000);
	assert_int_equal(g->next_update, 4600);
	assert_int_equal(g->revision, 7);
	assert_int_equal(g->der_sha1_len, sizeof(d1));
	assert_memory_equal(g->der_sha1, d1, sizeof(d1));
	assert_memory_equal(g->der_sha256, d2, sizeof(d2));
	gp_ocsp_presigned_free(g);
	/* without the DER */
	assert_int_equal(gp_store_ocsp_get(&g, st, 2, sn, 8, 0), 0);
	assert_null(g->der_sha1);
	assert_int_equal(g->revision, 7);
	gp_ocsp_presigned_free(g);
	/* the same key again replaces the row */
	p.revision = 9;
	assert_int_equal(gp_store_ocsp_put(st, &p), 0);
	assert_int_equal(gp_store_ocsp_get(&g, st, 2, sn, 8, 0), 0);
	assert_int_equal(g->revision, 9);
	gp_ocsp_presigned_free(g);
	/* another CA, another serial: not found */
	assert_int_equal(gp_store_ocsp_get(&g, st, 1, sn, 8, 1), GP_E_NOTFOUND);
	assert_int_equal(gp_store_ocsp_get(&g, st, 2, sn, 7, 1), GP_E_NOTFOUND);
	assert_int_equal(gp_store_ocsp_run_add(st, 2, 1000, 9, 1), 0);
	assert_int_equal(gp_store_ocsp_run_add(st, 2, 1001, 9, 0), 0);
	assert_int_equal(gp_store_ocsp_generation(&gen, st), 0);
	assert_int_equal(gen, 2);

	/* bad arguments */
	assert_int_equal(gp_store_ocsp_put(NULL, &p), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_put(st, NULL), GP_E_INVALID);
	p.serial_len = 0;
	assert_int_equal(gp_store_ocsp_put(st, &p), GP_E_INVALID);
	p.serial_len = GP_SERIAL_MAX + 1;
	assert_int_equal(gp_store_ocsp_put(st, &p), GP_E_INVALID);
	p.serial_len = 8;
	p.der_sha256 = NULL;
	assert_int_equal(gp_store_ocsp_put(st, &p), GP_E_INVALID);
	p.der_sha256 = d2;
	p.next_update = p.this_update;
	assert_int_equal(gp_store_ocsp_put(st, &p), GP_E_INVALID);
	p.next_update = 4600;
	p.ca_id = 0;
	assert_int_equal(gp_store_ocsp_put(st, &p), GP_E_INVALID);
	p.ca_id = 2;
	assert_int_equal(gp_store_ocsp_get(NULL, st, 2, sn, 8, 1), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_get(&g, NULL, 2, sn, 8, 1), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_get(&g, st, 2, NULL, 8, 1), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_get(&g, st, 2, sn, GP_SERIAL_MAX + 1, 1), GP_E_INVALID);
	assert_null(g);
	assert_int_equal(gp_store_ocsp_run_add(NULL, 2, 0, 0, 0), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_run_add(st, 0, 0, 0, 0), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_run_add(st, 2, 0, 0, -1), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_generation(NULL, st), GP_E_INVALID);
	assert_int_equal(gp_store_ocsp_generation(&gen, NULL), GP_E_INVALID);
	gp_ocsp_presigned_free(NULL);

	/* a read-only store reads, and refuses to write */
	snprintf(path, sizeof(path), "%s/govpki.db", f->dir);
	assert_int_equal(gp_store_open(&ro, path, GP_STORE_READONLY), 0);
	assert_int_equal(gp_store_ocsp_get(&g, ro, 2, sn, 8, 0), 0);
	gp_ocsp_presigned_free(g);
	assert_int_equal(gp_store_ocsp_put(ro, &p), GP_E_READONLY);
	assert_int_equal(gp_store_ocsp_run_add(ro, 2, 0, 0, 0), GP_E_READONLY);
	assert_int_equal(gp_store_ocsp_generation(&gen, ro), 0);
	assert_int_equal(gen, 2);
	gp_store_close(ro);
}

/* A responder in presigned mode over the store (keyless, as a replica). */
static gp_ocsp_responder *
replica(fx *f)
{
	gp_ocsp_settings set;
	gp_ocsp_params op;
	gp_ocsp_responder *r = NULL;

	assert_int_equal(gp_ocsp_settings_load(&set, NULL), 0);
	set.presigned = 1;
	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.settings = &set;
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), 0);
	return r;
}

/* the answer of r to a request for cert (md NULL: SHA-1), its status */
static int
replica_ask(fx *f, gp_ocsp_responder *r, X509 *cert, const EVP_MD *md, int nonce,
    int *cert_status)
{
	gp_ocsp_resp *x = NULL;
	OCSP_RESPONSE *or;
	const unsigned char *p;
	unsigned char *der;
	size_t len;
	int st;

	der = mkreq(&len, cert, f->issuing, md, nonce);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, NULL, 0), 0);
	OPENSSL_free(der);
	p = gp_ocsp_resp_der(x, &len);
	assert_non_null(or = d2i_OCSP_RESPONSE(NULL, &p, (long)len));
	st = OCSP_response_status(or);
	*cert_status = -1;
	if (st == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		OCSP_BASICRESP *bs = OCSP_response_get1_basic(or);
		X509_STORE *xs = X509_STORE_new();
		STACK_OF(X509) *certs = sk_X509_new_null();
		OCSP_CERTID *id = OCSP_cert_to_id(md, cert, f->issuing);
		ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
		int rs;

		X509_STORE_add_cert(xs, f->root);
		sk_X509_push(certs, f->issuing);
		assert_int_equal(OCSP_basic_verify(bs, certs, xs, 0), 1);
		/* the CertID answered is the very one asked */
		assert_int_equal(OCSP_resp_find_status(bs, id, cert_status, &rs, &rev, &thisu,
		    &nextu), 1);
		assert_int_equal(gp_ocsp_resp_cacheable(x), 1);
		OCSP_CERTID_free(id);
		sk_X509_free(certs);
		X509_STORE_free(xs);
		OCSP_BASICRESP_free(bs);
	}
	OCSP_RESPONSE_free(or);
	gp_ocsp_resp_free(x);
	return st;
}

/* presign signs every certificate once (SHA-1 and SHA-256 CertIDs), a
 * second run nothing, a revocation one, past half the validity all; a
 * keyless replica answers from the store: good, revoked, tryLater for a
 * certificate without a response, for an SM3 CertID and after nextUpdate,
 * unauthorized for two certificates */
static void
test_presign(void **state)
{
	fx *f = *state;
	gp_ocsp_presign_stats s;
	gp_ocsp_params op;
	gp_ocsp_responder *r;
	X509 *late, *certs[2], *issuers[2];
	EVP_PKEY *k;
	gp_ocsp_resp *x = NULL;
	unsigned char *der;
	size_t len, n;
	int cs;
	int64_t now = (int64_t)time(NULL);

	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.pass = PW;
	op.passlen = strlen(PW);
	assert_int_equal(gp_ocsp_presign(&s, f->ctx, "issuing", &op, 0), 0);
	assert_int_equal(s.certs, 3);
	assert_int_equal(s.signed_certs, 3);
	assert_int_equal(s.missing, 3);
	assert_int_equal(gp_ocsp_presign(&s, f->ctx, "issuing", &op, 0), 0);
	assert_int_equal(s.signed_certs, 0);
	/* a key of its own: f->key was revoked for keyCompromise (f->revoked),
	 * and a compromised key is never certified again */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	late = issue(f, "person", k);
	EVP_PKEY_free(k);

	r = replica(f);
	assert_int_equal(replica_ask(f, r, f->good, NULL, -1, &cs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(replica_ask(f, r, f->good, EVP_sha256(), -1, &cs),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_GOOD);
	/* twice: the second from memory */
	assert_int_equal(replica_ask(f, r, f->revoked, EVP_sha256(), 16, &cs),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(replica_ask(f, r, f->revoked, EVP_sha256(), 16, &cs),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(replica_ask(f, r, f->held, NULL, -1, &cs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(replica_ask(f, r, late, NULL, -1, &cs), OCSP_RESPONSE_STATUS_TRYLATER);
	assert_int_equal(replica_ask(f, r, f->good, EVP_sm3(), -1, &cs),
	    OCSP_RESPONSE_STATUS_TRYLATER);
	certs[0] = f->good;
	certs[1] = f->revoked;
	issuers[0] = issuers[1] = f->issuing;
	der = mkreq_n(&len, certs, issuers, 2, NULL, -1);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, NULL, 0), 0);
	assert_int_equal(gp_ocsp_resp_status(x), GP_OCSP_UNAUTHORIZED);
	gp_ocsp_resp_free(x);
	OPENSSL_free(der);

	/* a revocation: the replica keeps the old answer until presign runs,
	 * then drops what it holds at its next round */
	revoke_cert(f, f->good, GP_REASON_SUPERSEDED);
	assert_int_equal(replica_ask(f, r, f->good, NULL, -1, &cs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_GOOD);
	assert_int_equal(gp_ocsp_presign(&s, f->ctx, "issuing", &op, 0), 0);
	assert_int_equal(s.signed_certs, 2);
	assert_int_equal(s.changed, 1);
	assert_int_equal(s.missing, 1);
	assert_int_equal(gp_ocsp_refresh(&n, r, 0), 0);
	assert_int_equal(n, 0);         /* a replica signs nothing */
	assert_int_equal(replica_ask(f, r, f->good, NULL, -1, &cs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_REVOKED);
	assert_int_equal(replica_ask(f, r, late, EVP_sha256(), -1, &cs),
	    OCSP_RESPONSE_STATUS_SUCCESSFUL);
	assert_int_equal(cs, V_OCSP_CERTSTATUS_GOOD);
	gp_ocsp_responder_free(r);

	/* past half the validity: everything is signed again */
	assert_int_equal(gp_ocsp_presign(&s, f->ctx, "issuing", &op, now + 1900), 0);
	assert_int_equal(s.signed_certs, 4);
	assert_int_equal(s.old, 4);
	X509_free(late);
}

/* issue 20.1: the default CAs leave the roots out (unless roots = yes); a
 * delegate issued and installed by gp_ocsp_delegate_issue signs a CA's
 * responses with no key of that CA loaded (its passphrase is not given);
 * sign_with = ca and = delegate; a renewal is seen as a change, once */
static void
test_installed_delegate(void **state)
{
	fx *f = *state;
	gp_ocsp_delegate_params dp = GP_OCSP_DELEGATE_PARAMS_INIT;
	gp_ocsp_settings set;
	gp_ocsp_params op;
	gp_ocsp_responder *r = NULL;
	gp_ocsp_resp *x = NULL;
	OCSP_RESPONSE *or;
	OCSP_BASICRESP *bs;
	X509 *d1 = NULL, *d2 = NULL;
	char **names = NULL, *cpath = NULL, *kpath = NULL;
	const char *only_issuing[] = { "issuing" };
	const unsigned char *p;
	unsigned char *der;
	size_t n = 0, len;
	FILE *fp;

	assert_int_equal(gp_ocsp_default_cas(&names, &n, f->ctx, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "issuing");
	gp_ocsp_names_free(names, n);
	assert_int_equal(gp_ocsp_settings_load(&set, NULL), 0);
	set.roots = 1;
	assert_int_equal(gp_ocsp_default_cas(&names, &n, f->ctx, &set), 0);
	assert_int_equal(n, 2);
	gp_ocsp_names_free(names, n);
	set.roots = 0;

	/* bad arguments write nothing */
	assert_int_equal(gp_ocsp_delegate_paths(&cpath, &kpath, f->ctx, "issuing"), 0);
	dp.days = -1;
	dp.pass = "delegate-pw";
	dp.passlen = strlen(dp.pass);
	assert_int_equal(gp_ocsp_delegate_issue(&d1, f->ctx, f->ca, &dp), GP_E_INVALID);
	dp.days = 10;
	dp.pass = NULL;
	dp.passlen = 0;
	assert_int_equal(gp_ocsp_delegate_issue(&d1, f->ctx, f->ca, &dp), GP_E_PASSPHRASE);
	assert_null(fopen(cpath, "r"));
	assert_null(fopen(kpath, "r"));
	{
		char *a = NULL, *b = NULL;

		assert_int_equal(gp_ocsp_delegate_paths(&a, &b, f->ctx, "../x"), GP_E_INVALID);
		assert_null(a);
	}

	/* issued directly by the CA, id-kp-OCSPSigning, nocheck, 10 days */
	dp.pass = "delegate-pw";
	dp.passlen = strlen(dp.pass);
	assert_int_equal(gp_ocsp_delegate_issue(&d1, f->ctx, f->ca, &dp), 0);
	assert_int_equal(X509_check_issued(f->issuing, d1), X509_V_OK);
	assert_true((X509_get_extended_key_usage(d1) & XKU_OCSP_SIGN) != 0);
	assert_true(X509_get_ext_by_NID(d1, NID_id_pkix_OCSP_noCheck, -1) >= 0);
	assert_non_null(fp = fopen(cpath, "r"));
	fclose(fp);
	assert_non_null(fp = fopen(kpath, "r"));
	fclose(fp);

	/* the responder: only the delegate's passphrase, which opens no CA key */
	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.settings = &set;
	op.cas = only_issuing;
	op.ncas = 1;
	op.pass = "delegate-pw";
	op.passlen = strlen(op.pass);
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), 0);
	der = mkreq(&len, f->revoked, f->issuing, NULL, 16);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, NULL, 0), 0);
	p = gp_ocsp_resp_der(x, &len);
	or = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	bs = OCSP_response_get1_basic(or);
	assert_non_null(bs);
	assert_int_equal(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0), d1), 0);
	assert_int_equal(OCSP_basic_verify(bs, NULL, NULL, OCSP_NOVERIFY), 1);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(or);
	gp_ocsp_resp_free(x);
	OPENSSL_free(der);
	assert_int_equal(gp_ocsp_delegates_changed(r), 0);

	/* a renewal: a new key, seen as a change once */
	assert_int_equal(gp_ocsp_delegate_issue(&d2, f->ctx, f->ca, &dp), 0);
	assert_int_not_equal(X509_cmp(d1, d2), 0);
	assert_int_equal(gp_ocsp_delegates_changed(r), 1);
	assert_int_equal(gp_ocsp_delegates_changed(r), 0);
	gp_ocsp_responder_free(r);
	r = NULL;

	/* sign_with = ca: the CA's key, which this passphrase does not open */
	set.sign_with = GP_OCSP_SIGN_CA;
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_PASSPHRASE);
	assert_null(r);
	/* sign_with = delegate: the root has none */
	set.sign_with = GP_OCSP_SIGN_DELEGATE;
	op.cas = NULL;
	op.ncas = 0;
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_NOTFOUND);
	assert_non_null(strstr(gp_error_last(), "ca-tool ocsp signer --ca root"));
	/* a certificate that is not its key's: refused, not the CA key instead */
	set.sign_with = GP_OCSP_SIGN_AUTO;
	op.cas = only_issuing;
	op.ncas = 1;
	assert_non_null(fp = fopen(cpath, "w"));
	PEM_write_X509(fp, d1);
	fclose(fp);
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_INVALID);
	assert_non_null(strstr(gp_error_last(), "does not match"));
	X509_free(d1);
	X509_free(d2);
	free(cpath);
	free(kpath);
}

/* presign's bad arguments: NULL, an unknown CA, a wrong passphrase, a
 * read-only home; nothing is written */
static void
test_presign_bad(void **state)
{
	fx *f = *state;
	gp_ocsp_presign_stats s;
	gp_ocsp_params op;
	gp_ctx *ro = NULL;
	gp_ocsp_responder *r;
	int64_t gen = -1;
	int cs;

	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.pass = PW;
	op.passlen = strlen(PW);
	assert_int_equal(gp_ocsp_presign(&s, NULL, "issuing", &op, 0), GP_E_INVALID);
	assert_int_equal(gp_ocsp_presign(&s, f->ctx, NULL, &op, 0), GP_E_INVALID);
	assert_int_equal(gp_ocsp_presign(&s, f->ctx, "issuing", NULL, 0), GP_E_INVALID);
	assert_int_equal(gp_ocsp_presign(NULL, f->ctx, "nosuch", &op, 0), GP_E_NOTFOUND);
	op.pass = "wrong";
	op.passlen = 5;
	assert_true(gp_ocsp_presign(&s, f->ctx, "issuing", &op, 0) < 0);
	op.pass = PW;
	op.passlen = strlen(PW);
	assert_int_equal(gp_ctx_open(&ro, NULL, f->dir, GP_CTX_READONLY), 0);
	assert_int_equal(gp_ocsp_presign(&s, ro, "issuing", &op, 0), GP_E_READONLY);
	gp_ctx_free(ro);
	assert_int_equal(gp_store_ocsp_generation(&gen, gp_ctx_store(f->ctx)), 0);
	assert_int_equal(gen, 0);
	/* a replica with nothing pre-signed: tryLater, not a failure */
	r = replica(f);
	assert_int_equal(replica_ask(f, r, f->good, NULL, -1, &cs), OCSP_RESPONSE_STATUS_TRYLATER);
	gp_ocsp_responder_free(r);
	/* responses whose nextUpdate passed are never served: tryLater */
	assert_int_equal(gp_ocsp_presign(&s, f->ctx, "issuing", &op, (int64_t)time(NULL) - 7200), 0);
	assert_int_equal(s.signed_certs, 3);
	r = replica(f);
	assert_int_equal(replica_ask(f, r, f->good, NULL, -1, &cs), OCSP_RESPONSE_STATUS_TRYLATER);
	gp_ocsp_responder_free(r);
}

/* NULL arguments are refused with GP_E_INVALID; free functions take NULL */
static void
test_null(void **state)
{
	fx *f = *state;
	gp_ocsp_resp *x = (gp_ocsp_resp *)1;
	gp_ocsp_responder *r = (gp_ocsp_responder *)1;
	gp_ocsp_stats s;

	assert_int_equal(gp_ocsp_respond(NULL, NULL, f->r, NULL, 0, NULL, 0), GP_E_INVALID);
	assert_int_equal(gp_ocsp_respond(&x, NULL, NULL, NULL, 0, NULL, 0), GP_E_INVALID);
	assert_null(x);
	x = (gp_ocsp_resp *)1;
	assert_int_equal(gp_ocsp_respond(&x, NULL, f->r, NULL, 5, NULL, 0), GP_E_INVALID);
	assert_int_equal(gp_ocsp_lookup(&x, NULL, "a", 1), GP_E_INVALID);
	assert_int_equal(gp_ocsp_lookup(NULL, f->r, "a", 1), GP_E_INVALID);
	assert_int_equal(gp_ocsp_responder_new(&r, NULL, NULL), GP_E_INVALID);
	assert_null(r);
	assert_int_equal(gp_ocsp_responder_new(NULL, f->ctx, NULL), GP_E_INVALID);
	assert_int_equal(gp_ocsp_refresh(NULL, NULL, 0), GP_E_INVALID);
	assert_int_equal(gp_ocsp_get_stats(NULL, &s), GP_E_INVALID);
	assert_null(gp_ocsp_resp_der(NULL, NULL));
	assert_null(gp_ocsp_resp_ref(NULL));
	gp_ocsp_resp_free(NULL);
	gp_ocsp_responder_free(NULL);
}

/* gp_ocsp_params' size (docs/api.md): zero, garbage or larger than the
 * library's struct is refused by gp_ocsp_responder_new and
 * gp_ocsp_presign, with no responder made; a struct ending at its last
 * field is served */
static void
test_params_size(void **state)
{
	fx *f = *state;
	const size_t sizes[] = { 0, 1, offsetof(gp_ocsp_params, passlen),
		sizeof(gp_ocsp_params) + 1, (size_t)-1 };
	gp_ocsp_params op = GP_OCSP_PARAMS_INIT;
	gp_ocsp_responder *r = NULL;

	assert_int_equal(op.size, sizeof(gp_ocsp_params));
	op.pass = PW;
	op.passlen = strlen(PW);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		op.size = sizes[i];
		assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), GP_E_INVALID);
		assert_non_null(strstr(gp_error_last(), "GP_..._INIT"));
		assert_null(r);
		assert_int_equal(gp_ocsp_presign(NULL, f->ctx, "issuing", &op, 0), GP_E_INVALID);
	}
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, NULL), GP_E_INVALID);
	op.size = offsetof(gp_ocsp_params, passlen) + sizeof(op.passlen);
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), 0);
	assert_non_null(r);
	gp_ocsp_responder_free(r);
}

/* ---- the hand-written DER encoder that ocsp.c used before it built its
 * responses with OpenSSL (issue 11.4), kept here only as the reference:
 * the same inputs must give the same bytes. ---- */

typedef struct rbuf {
	unsigned char p[8192];
	size_t len;
} rbuf;

static void
ref_put(rbuf *b, const void *d, size_t n)
{
	if (n == 0)
		return;         /* d may be NULL (no certs) */
	assert_true(b->len + n <= sizeof(b->p));
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static size_t
ref_open(rbuf *b, unsigned char tag)
{
	unsigned char h[2] = { tag, 0 };

	ref_put(b, h, 2);
	return b->len - 1;
}

/* X.690 §8.1.3: the length in the fewest octets, contents moved up */
static void
ref_close(rbuf *b, size_t mark)
{
	size_t n, l, i;

	l = b->len - mark - 1;
	if (l < 0x80) {
		b->p[mark] = (unsigned char)l;
		return;
	}
	for (n = 1; n < sizeof(size_t) && (l >> (8 * n)) != 0; n++)
		;
	assert_true(b->len + n <= sizeof(b->p));
	memmove(b->p + mark + 1 + n, b->p + mark + 1, l);
	b->p[mark] = (unsigned char)(0x80 | n);
	for (i = 0; i < n; i++)
		b->p[mark + 1 + i] = (unsigned char)(l >> (8 * (n - 1 - i)));
	b->len += n;
}

static void
ref_gentime(rbuf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char v[64];

	assert_non_null(gmtime_r(&tt, &tm));
	snprintf(v, sizeof(v), "%c%c%04d%02d%02d%02d%02d%02dZ", V_ASN1_GENERALIZEDTIME, 15,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	ref_put(b, v, 17);
}

typedef struct ref_single {
	unsigned char id[256];  /* CertID DER */
	size_t idlen;
	int status;             /* V_OCSP_CERTSTATUS_* */
	int reason;             /* -1: none */
	int64_t revoked_at;
} ref_single;

/* The old build(): OCSPResponse { successful, [0] { id-pkix-ocsp-basic,
 * OCTET STRING { BasicOCSPResponse } } } (RFC 6960 §4.2.1) */
static void
ref_encode(rbuf *b, const unsigned char *rid, size_t ridlen, int64_t now, int64_t next,
    const ref_single *s, int n, const unsigned char *nonce, size_t noncelen,
    const unsigned char *algid, size_t algidlen, const unsigned char *sig, size_t siglen,
    const unsigned char *certs, size_t certslen)
{
	static const unsigned char oid_basic[] = {
		0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01
	};
	size_t m0, m1, m2, m3, m4, m5, m6, m7, m8;
	int i;

	b->len = 0;
	m0 = ref_open(b, 0x30);
	ref_put(b, "\x0a\x01\x00", 3);
	m1 = ref_open(b, 0xa0);
	m2 = ref_open(b, 0x30);
	ref_put(b, oid_basic, sizeof(oid_basic));
	m3 = ref_open(b, V_ASN1_OCTET_STRING);
	m4 = ref_open(b, 0x30);
	m5 = ref_open(b, 0x30);
	ref_put(b, rid, ridlen);
	ref_gentime(b, now);
	m6 = ref_open(b, 0x30);
	for (i = 0; i < n; i++) {
		m7 = ref_open(b, 0x30);
		ref_put(b, s[i].id, s[i].idlen);
		if (s[i].status == V_OCSP_CERTSTATUS_UNKNOWN) {
			ref_put(b, "\x82\x00", 2);
		} else if (s[i].status == V_OCSP_CERTSTATUS_GOOD) {
			ref_put(b, "\x80\x00", 2);
		} else {
			m8 = ref_open(b, 0xa1);
			ref_gentime(b, s[i].revoked_at);
			if (s[i].reason >= 0) {
				unsigned char cr[5] = { 0xa0, 0x03, V_ASN1_ENUMERATED, 0x01,
				    (unsigned char)s[i].reason };

				ref_put(b, cr, sizeof(cr));
			}
			ref_close(b, m8);
		}
		ref_gentime(b, now);
		m8 = ref_open(b, 0xa0);
		ref_gentime(b, next);
		ref_close(b, m8);
		ref_close(b, m7);
	}
	ref_close(b, m6);
	if (nonce != NULL) {
		m7 = ref_open(b, 0xa1);
		m8 = ref_open(b, 0x30);
		ref_put(b, nonce, noncelen);
		ref_close(b, m8);
		ref_close(b, m7);
	}
	ref_close(b, m5);
	ref_put(b, algid, algidlen);
	m6 = ref_open(b, V_ASN1_BIT_STRING);
	ref_put(b, "", 1);
	ref_put(b, sig, siglen);
	ref_close(b, m6);
	ref_put(b, certs, certslen);
	ref_close(b, m4);
	ref_close(b, m3);
	ref_close(b, m2);
	ref_close(b, m1);
	ref_close(b, m0);
}

static int64_t
time_of(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return (int64_t)timegm(&tm);
}

/* Asks r with a request for certs (each with its expected status and
 * reason; revocation times given for those the test revoked itself) and
 * checks that the answer is byte for byte what the old encoder writes for
 * the same inputs: the responder key hash (computed here from signer),
 * the request's CertIDs and Nonce, the statuses, producedAt (between t0
 * and t1, thisUpdate the same, nextUpdate one hour later), the signer's
 * certificate when delegated; only the signature and its algorithm are
 * taken from the answer (ECDSA is randomised), and verified. */
static void
check_reference(fx *f, gp_ocsp_responder *r, X509 *signer, int delegated,
    X509 *const *certs, const ref_single *want, int n, int nonce_len)
{
	X509 *issuers[8];
	unsigned char *der, kh[20], *algid = NULL, *certsder = NULL, *noncedr = NULL;
	const unsigned char *p;
	unsigned char rid[24];
	unsigned int khlen = 0;
	size_t len, rl;
	int i, algidlen, noncelen = 0, certslen = 0;
	int64_t t0, t1, now;
	ref_single s[8];
	gp_ocsp_resp *x = NULL;
	OCSP_REQUEST *req;
	OCSP_RESPONSE *or;
	OCSP_BASICRESP *bs;
	const ASN1_OCTET_STRING *sig;
	const X509_ALGOR *alg;
	X509_STORE *st = X509_STORE_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	rbuf *b = calloc(1, sizeof(*b));

	assert_true(n <= 8);
	for (i = 0; i < n; i++)
		issuers[i] = f->issuing;
	der = mkreq_n(&len, certs, issuers, n, NULL, nonce_len);
	p = der;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	assert_non_null(req);
	memcpy(s, want, sizeof(*s) * (size_t)n);
	for (i = 0; i < n; i++) {
		unsigned char *q = s[i].id;

		s[i].idlen = (size_t)i2d_OCSP_CERTID(OCSP_onereq_get0_id(
		    OCSP_request_onereq_get0(req, i)), NULL);
		assert_true(s[i].idlen <= sizeof(s[i].id));
		i2d_OCSP_CERTID(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i)), &q);
	}
	if (nonce_len >= 0)
		noncelen = i2d_X509_EXTENSION(OCSP_REQUEST_get_ext(req,
		    OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1)), &noncedr);
	/* ResponderID byKey: [2] EXPLICIT KeyHash, SHA-1 of the key's bits */
	assert_int_equal(X509_pubkey_digest(signer, EVP_sha1(), kh, &khlen), 1);
	rid[0] = 0xa2;
	rid[1] = 22;
	rid[2] = V_ASN1_OCTET_STRING;
	rid[3] = 20;
	memcpy(rid + 4, kh, 20);
	if (delegated) {
		/* certs [0] EXPLICIT SEQUENCE OF Certificate */
		STACK_OF(X509) *one = sk_X509_new_null();
		unsigned char *q;
		int inner, cl = i2d_X509(signer, NULL);

		sk_X509_push(one, signer);
		inner = ASN1_object_size(1, cl, V_ASN1_SEQUENCE);
		certslen = ASN1_object_size(1, inner, 0);
		q = certsder = malloc((size_t)certslen);
		ASN1_put_object(&q, 1, inner, 0, V_ASN1_CONTEXT_SPECIFIC);
		ASN1_put_object(&q, 1, cl, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		i2d_X509(signer, &q);
		sk_X509_free(one);
	}

	t0 = (int64_t)time(NULL);
	assert_int_equal(gp_ocsp_respond(&x, NULL, r, der, len, NULL, 0), 0);
	t1 = (int64_t)time(NULL);
	p = gp_ocsp_resp_der(x, &rl);
	or = d2i_OCSP_RESPONSE(NULL, &p, (long)rl);
	assert_non_null(or);
	bs = OCSP_response_get1_basic(or);
	assert_non_null(bs);
	X509_STORE_add_cert(st, f->root);
	sk_X509_push(untrusted, f->issuing);
	assert_int_equal(OCSP_basic_verify(bs, untrusted, st, 0), 1);
	now = time_of(OCSP_resp_get0_produced_at(bs));
	assert_true(now >= t0 && now <= t1);
	sig = OCSP_resp_get0_signature(bs);
	alg = OCSP_resp_get0_tbs_sigalg(bs);
	algidlen = i2d_X509_ALGOR(alg, &algid);
	assert_true(algidlen > 0);
	ref_encode(b, rid, sizeof(rid), now, now + 3600, s, n, noncedr, (size_t)noncelen,
	    algid, (size_t)algidlen, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
	    certsder, (size_t)certslen);
	assert_int_equal(rl, b->len);
	assert_memory_equal(gp_ocsp_resp_der(x, NULL), b->p, rl);

	gp_ocsp_resp_free(x);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(or);
	OCSP_REQUEST_free(req);
	X509_STORE_free(st);
	sk_X509_free(untrusted);
	OPENSSL_free(algid);
	OPENSSL_free(noncedr);
	OPENSSL_free(der);
	free(certsder);
	free(b);
}

/* The responses built with OpenSSL's OCSP encoders are byte-identical to
 * the old hand-written DER: good, revoked with a reason, revoked with none
 * (a store entry without reason), on hold, unknown, several in one, with
 * and without a nonce, signed by the CA (ResponderID byKey) and by a
 * delegated responder (its certificate in certs).  The responder has no
 * byName mode: every answer names its key (RFC 6960 §4.2.2.3). */
static void
test_reference_encoding(void **state)
{
	fx *f = *state;
	/* fresh keys: f->key was revoked for keyCompromise */
	EVP_PKEY *sk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *hk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *noreason = issue(f, "person", hk);
	X509 *signer = issue(f, "ocsp-signer", sk);
	X509 *stranger = issue(f, "person", hk);
	gp_ca_info *info = NULL;
	gp_ocsp_responder *r = NULL;
	gp_ocsp_params op;
	unsigned char sn[GP_SERIAL_MAX];
	char kpath[4096], cpath[4096];
	size_t snlen;
	FILE *fp;
	int i, nonces[] = { -1, 16, 128 };
	const ref_single good = { .status = V_OCSP_CERTSTATUS_GOOD, .reason = -1 };
	const ref_single unknown = { .status = V_OCSP_CERTSTATUS_UNKNOWN, .reason = -1 };
	ref_single rev = { .status = V_OCSP_CERTSTATUS_REVOKED,
	    .reason = GP_REASON_KEY_COMPROMISE, .revoked_at = 1700000000 };
	ref_single hold = { .status = V_OCSP_CERTSTATUS_REVOKED,
	    .reason = GP_REASON_CERTIFICATE_HOLD, .revoked_at = 1700000100 };
	ref_single none = { .status = V_OCSP_CERTSTATUS_REVOKED, .reason = -1,
	    .revoked_at = 1700000200 };
	ref_single many[4];
	X509 *manyc[4];
	static const unsigned char crlent[2] = { 0x30, 0x00 };  /* no CRL made here */

	/* statuses with fixed times, written to the store directly; one
	 * without a reason, which gp_ca_revoke never writes but a store may hold */
	assert_int_equal(gp_store_ca_get(gp_ctx_store(f->ctx), "issuing", &info), 0);
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(f->revoked)), 0);
	assert_int_equal(gp_store_cert_set_status(gp_ctx_store(f->ctx), info->id, sn, snlen,
	    GP_STATUS_REVOKED, rev.revoked_at, GP_REASON_KEY_COMPROMISE, crlent, 2, NULL), 0);
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(f->held)), 0);
	assert_int_equal(gp_store_cert_set_status(gp_ctx_store(f->ctx), info->id, sn, snlen,
	    GP_STATUS_HOLD, hold.revoked_at, GP_REASON_CERTIFICATE_HOLD, crlent, 2, NULL), 0);
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(noreason)), 0);
	assert_int_equal(gp_store_cert_set_status(gp_ctx_store(f->ctx), info->id, sn, snlen,
	    GP_STATUS_REVOKED, none.revoked_at, GP_REASON_NONE, crlent, 2, NULL), 0);
	/* unknown (below): a serial next to an issued one, never issued */
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(stranger)), 0);
	gp_ca_info_free(info);

	/* the CA's own key */
	gp_ocsp_responder_free(f->r);
	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.pass = PW;
	op.passlen = strlen(PW);
	assert_int_equal(gp_ocsp_responder_new(&f->r, f->ctx, &op), 0);
	for (i = 0; i < 3; i++) {
		check_reference(f, f->r, f->issuing, 0, &f->good, &good, 1, nonces[i]);
		check_reference(f, f->r, f->issuing, 0, &f->revoked, &rev, 1, nonces[i]);
		check_reference(f, f->r, f->issuing, 0, &f->held, &hold, 1, nonces[i]);
		check_reference(f, f->r, f->issuing, 0, &noreason, &none, 1, nonces[i]);
	}
	manyc[0] = f->good, many[0] = good;
	manyc[1] = f->revoked, many[1] = rev;
	manyc[2] = f->held, many[2] = hold;
	manyc[3] = noreason, many[3] = none;
	check_reference(f, f->r, f->issuing, 0, manyc, many, 4, 16);

	/* a delegated responder: its certificate goes along */
	snprintf(kpath, sizeof(kpath), "%s/ref-signer.key", f->dir);
	snprintf(cpath, sizeof(cpath), "%s/ref-signer.pem", f->dir);
	assert_int_equal(gp_key_save(kpath, sk, PW, strlen(PW)), 0);
	fp = fopen(cpath, "w");
	PEM_write_X509(fp, signer);
	fclose(fp);
	op.signer_cert = cpath;
	op.signer_key = kpath;
	assert_int_equal(gp_ocsp_responder_new(&r, f->ctx, &op), 0);
	for (i = 0; i < 3; i++) {
		check_reference(f, r, signer, 1, &f->good, &good, 1, nonces[i]);
		check_reference(f, r, signer, 1, &f->revoked, &rev, 1, nonces[i]);
	}
	check_reference(f, r, signer, 1, manyc, many, 4, -1);
	gp_ocsp_responder_free(r);

	/* unknown: the serial of an issued certificate plus one */
	{
		X509 *u = X509_dup(stranger);
		ASN1_INTEGER *ai = ASN1_INTEGER_new();
		BIGNUM *bn = BN_bin2bn(sn, (int)snlen, NULL);

		BN_add_word(bn, 1);
		BN_to_ASN1_INTEGER(bn, ai);
		X509_set_serialNumber(u, ai);
		for (i = 0; i < 3; i++)
			check_reference(f, f->r, f->issuing, 0, &u, &unknown, 1, nonces[i]);
		BN_free(bn);
		ASN1_INTEGER_free(ai);
		X509_free(u);
	}
	X509_free(noreason);
	X509_free(signer);
	X509_free(stranger);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(hk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_params_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hashes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unauthorized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delegated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signer_expiry, setup, teardown),
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_settings),
		cmocka_unit_test_setup_teardown(test_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_presigned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_presign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_presign_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_installed_delegate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reference_encoding, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
