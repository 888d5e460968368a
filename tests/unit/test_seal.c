/* tests/unit/test_seal.c: seals, seal signatures, the register, time-stamps and CAdES */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <govpki/govpki.h>
#include <govpki/seal.h>
#include <govpki/x509util.h>

#include "../../seal/seal_asn1.h"
#include "testutil.h"

/* Sets a BIT STRING of whole bytes as it is: ASN1_BIT_STRING_set alone lets
 * the encoder drop trailing zero bytes, which cut 1 in 256 signatures (one
 * whose last byte was 0) and failed test_sm2_raw and test_v1_forms now and
 * then; the library sets the flag the same way (seal/sign.c). */
static int
bits_set(ASN1_BIT_STRING *bs, const void *d, int len)
{
	if (ASN1_STRING_set(bs, d, len) != 1)
		return 0;
	bs->flags &= ~0x07;
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return 1;
}

static const unsigned char png[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-test-image";
static const unsigned char doc[] = "the document that is sealed";

/* A world: a root, a maker and two holders per key type, made here with the X509 API. */
struct world {
	EVP_PKEY *root_key, *maker_key, *holder_key, *other_key, *tsa_key;
	X509 *root, *maker, *holder, *other, *tsa;
	STACK_OF(X509) *roots;
	int sm2;
};

/* X509_add_ext copies: the made extension is freed here */
static void
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);

	if (e == NULL || X509_add_ext(x, e, -1) != 1)
		abort();
	X509_EXTENSION_free(e);
}

static X509 *
mkcert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, int ca, const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	unsigned char serial[16];
	BIGNUM *bn;

	X509_set_version(x, 2);
	gp_serial_random(serial);
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365 * 3);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	add_ext(x, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, &v3, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
	add_ext(x, &v3, NID_subject_key_identifier, "hash");
	if (issuer)
		add_ext(x, &v3, NID_authority_key_identifier, "keyid");
	if (eku)
		add_ext(x, &v3, NID_ext_key_usage, eku);
	if (gp_x509_sign(x, ikey ? ikey : key) != 0)
		abort();
	X509_NAME_free(n);
	return x;
}

static void
world_make(struct world *w, gp_key_type t)
{
	memset(w, 0, sizeof(*w));
	w->sm2 = t == GP_KEY_SM2;
	assert_int_equal(gp_key_generate(&w->root_key, t), 0);
	assert_int_equal(gp_key_generate(&w->maker_key, t), 0);
	assert_int_equal(gp_key_generate(&w->holder_key, t), 0);
	assert_int_equal(gp_key_generate(&w->other_key, t), 0);
	assert_int_equal(gp_key_generate(&w->tsa_key, GP_KEY_EC_P256), 0);
	w->root = mkcert(w->root_key, "Root", NULL, NULL, 1, NULL);
	w->maker = mkcert(w->maker_key, "Maker", w->root, w->root_key, 0, GP_OID_SEAL_MAKER);
	w->holder = mkcert(w->holder_key, "Holder", w->root, w->root_key, 0, NULL);
	w->other = mkcert(w->other_key, "Other", w->root, w->root_key, 0, NULL);
	w->tsa = mkcert(w->tsa_key, "TSA", w->root, w->root_key, 0, "critical,timeStamping");
	w->roots = sk_X509_new_null();
	sk_X509_push(w->roots, w->root);
}

static void
world_free(struct world *w)
{
	sk_X509_free(w->roots);
	X509_free(w->root); X509_free(w->maker); X509_free(w->holder); X509_free(w->other); X509_free(w->tsa);
	EVP_PKEY_free(w->root_key); EVP_PKEY_free(w->maker_key); EVP_PKEY_free(w->holder_key);
	EVP_PKEY_free(w->other_key); EVP_PKEY_free(w->tsa_key);
}

static void
params_init(gp_seal_params *p, X509 **holders, size_t n)
{
	*p = (gp_seal_params)GP_SEAL_PARAMS_INIT;
	p->id = "SEAL-1";
	p->type = GP_SEAL_OFFICIAL;
	p->name = "示例市人民政府";
	p->cert_list_type = GP_SEAL_CERTS;
	p->holders = holders;
	p->nholders = n;
	p->valid_end = time(NULL) + 86400 * 30;
	p->image_type = "png";
	p->image = png;
	p->image_len = sizeof(png) - 1;
	p->width_mm = 40;
	p->height_mm = 42;
}

/* A world of key type t and a seal for its holder made by its maker (params_init). */
static void
world_seal(struct world *w, gp_key_type t, unsigned char **der, size_t *len)
{
	gp_seal_params p;
	X509 *h[1];

	world_make(w, t);
	h[0] = w->holder;
	params_init(&p, h, 1);
	assert_int_equal(gp_seal_make(der, len, &p, w->maker, w->maker_key), 0);
}

/* Sign parameters: the holder signs doc with the seal */
static void
sign_init(gp_seal_sign_params *sp, const struct world *w, const unsigned char *seal, size_t len)
{
	*sp = (gp_seal_sign_params)GP_SEAL_SIGN_PARAMS_INIT;
	sp->seal = seal;
	sp->seal_len = len;
	sp->signer = w->holder;
	sp->signer_key = w->holder_key;
	sp->doc = doc;
	sp->doc_len = sizeof(doc) - 1;
}

/* status of step name in r, -1 when absent */
static int
step(const gp_verify_result *r, const char *name)
{
	for (size_t i = 0; i < gp_verify_result_count(r); i++) {
		const char *n, *d;
		int st;
		gp_verify_result_step(r, i, &n, &st, &d);
		if (strcmp(n, name) == 0)
			return st;
	}
	return -1;
}

static const char *
detail(const gp_verify_result *r, const char *name)
{
	for (size_t i = 0; i < gp_verify_result_count(r); i++) {
		const char *n, *d;
		int st;
		gp_verify_result_step(r, i, &n, &st, &d);
		if (strcmp(n, name) == 0)
			return d;
	}
	return "";
}

/* Times: each form, checked against date(1)'s answers; days that do not
 * exist are refused by OpenSSL's calendar, not carried into the next month. */
static void
test_time_parse(void **state)
{
	static const struct { const char *in; int64_t want; } good[] = {
		{ "2026-01-31", 1769817600 },                  /* date -u -d 2026-01-31 +%s */
		{ "2026-01-31T12:00:00Z", 1769860800 },
		{ "20260131120000Z", 1769860800 },
		{ "2028-02-29", 1835395200 },                  /* a leap year */
		{ "2050-06-01T00:00:01Z", 2537654401 },        /* GeneralizedTime from 2050 */
		{ "@0", 0 },
		{ "@1769860800", 1769860800 },
	};
	static const char *const bad[] = {
		"2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
		"2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z",
		"20260230120000Z", "2026-1-01", "2026-01-01T12:00:00", "2026-01-01 12:00:00Z",
		"@", "@-1", "@12x", "@ 5", "yesterday", "",
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = -1;
		assert_int_equal(gp_seal_time_parse(&t, good[i].in), 0);
		assert_int_equal(t, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = -1;
		assert_int_equal(gp_seal_time_parse(&t, bad[i]), GP_E_INVALID);
		assert_int_equal(t, 0);
	}
	assert_int_equal(gp_seal_time_parse(NULL, "2026-01-01"), GP_E_INVALID);
	assert_int_equal(gp_seal_time_parse(&t, NULL), GP_E_INVALID);
}

/* The magic bytes of each picture type are checked against the declared type. */
static void
test_image_check(void **state)
{
	(void)state;
	assert_int_equal(gp_seal_image_check("PNG", png, sizeof(png) - 1), 0);
	assert_int_equal(gp_seal_image_check("jpeg", (const unsigned char *)"\xff\xd8\xff\xe0xx", 6), 0);
	assert_int_equal(gp_seal_image_check("JPG", (const unsigned char *)"\xff\xd8\xff\xe0xx", 6), 0);
	assert_int_equal(gp_seal_image_check("GIF", (const unsigned char *)"GIF89a....", 10), 0);
	assert_int_equal(gp_seal_image_check("GIF", (const unsigned char *)"GIF87a....", 10), 0);
	assert_int_equal(gp_seal_image_check("BMP", (const unsigned char *)"BM012345678901234567890123456789", 32), 0);
	assert_int_equal(gp_seal_image_check("SVG", (const unsigned char *)"<svg xmlns='x'/>", 16), 0);
	assert_int_equal(gp_seal_image_check("SVG", (const unsigned char *)"\xef\xbb\xbf<?xml version='1.0'?><!-- c --><!DOCTYPE svg><svg>", 53), 0);
	/* mismatches and bad input */
	assert_int_equal(gp_seal_image_check("JPG", png, sizeof(png) - 1), GP_E_INVALID);
	assert_non_null(strstr(gp_error_last(), "declared JPG but its bytes are PNG"));
	assert_int_equal(gp_seal_image_check("BMP", (const unsigned char *)"BM", 2), GP_E_INVALID);
	assert_int_equal(gp_seal_image_check("SVG", (const unsigned char *)"<html><svg/></html>", 19), GP_E_INVALID);
	assert_int_equal(gp_seal_image_check("SVG", (const unsigned char *)"<!-- never closed <svg>", 23), GP_E_INVALID);
	assert_int_equal(gp_seal_image_check("SVG", (const unsigned char *)"<svgx>", 6), GP_E_INVALID);
	assert_int_equal(gp_seal_image_check("TIFF", png, sizeof(png) - 1), GP_E_INVALID);
	assert_int_equal(gp_seal_image_check(NULL, png, sizeof(png) - 1), GP_E_INVALID);
	assert_int_equal(gp_seal_image_check("PNG", NULL, 0), GP_E_INVALID);
	assert_int_equal(gp_seal_image_check("PNG", png, 4), GP_E_INVALID);
}

/* A seal made for every key type decodes to what was put in. */
static void
test_make_parse(void **state)
{
	static const gp_key_type types[] = { GP_KEY_SM2, GP_KEY_EC_P256, GP_KEY_RSA2048, GP_KEY_ED25519 };
	static const char *const algs[] = { "1.2.156.10197.1.501", "1.2.840.10045.4.3.2", "1.2.840.113549.1.1.11", "1.3.101.112" };

	(void)state;
	for (size_t t = 0; t < 4; t++) {
		struct world w;
		gp_seal_params p;
		X509 *h[1];
		unsigned char *der = NULL;
		size_t len = 0, ilen = 0;
		gp_seal *s = NULL;
		long wd, ht;
		int64_t c, a, b;

		world_make(&w, types[t]);
		h[0] = w.holder;
		params_init(&p, h, 1);
		assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), 0);
		assert_int_equal(gp_seal_parse(&s, der, len), 0);
		assert_int_equal(gp_seal_version(s), 4);
		assert_string_equal(gp_seal_id(s), "SEAL-1");
		assert_string_equal(gp_seal_vid(s), "govpki");
		assert_string_equal(gp_seal_name(s), "示例市人民政府");
		assert_int_equal(gp_seal_type(s), GP_SEAL_OFFICIAL);
		assert_int_equal(gp_seal_cert_list_type(s), GP_SEAL_CERTS);
		assert_int_equal(gp_seal_holder_count(s), 1);
		assert_string_equal(gp_seal_image_type(s), "PNG");
		assert_memory_equal(gp_seal_image(s, &ilen, &wd, &ht), png, sizeof(png) - 1);
		assert_int_equal(ilen, sizeof(png) - 1);
		assert_int_equal(wd, 40);
		assert_int_equal(ht, 42);
		gp_seal_times(&c, &a, &b, s);
		assert_true(c == a && b == p.valid_end);
		assert_string_equal(gp_seal_sig_alg(s), algs[t]);
		assert_int_equal(X509_cmp(gp_seal_maker0(s), w.maker), 0);
		assert_true(gp_seal_has_holder(s, w.holder));
		assert_false(gp_seal_has_holder(s, w.other));
		{
			size_t dl;
			assert_memory_equal(gp_seal_der(s, &dl), der, len);
			assert_int_equal(dl, len);
		}
		gp_seal_free(s);
		gp_free(der);
		world_free(&w);
	}
}

/* Holders by digest (certListType 2): SM3 for SM2 certificates. */
static void
test_digests(void **state)
{
	struct world w;
	gp_seal_params p;
	X509 *h[2];
	unsigned char *der = NULL;
	size_t len = 0;
	gp_seal *s = NULL;

	(void)state;
	world_make(&w, GP_KEY_SM2);
	h[0] = w.holder;
	h[1] = w.maker;
	params_init(&p, h, 2);
	p.cert_list_type = GP_SEAL_DIGESTS;
	p.type = GP_SEAL_PERSONAL;
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), 0);
	assert_int_equal(gp_seal_parse(&s, der, len), 0);
	assert_int_equal(gp_seal_cert_list_type(s), GP_SEAL_DIGESTS);
	assert_int_equal(gp_seal_type(s), GP_SEAL_PERSONAL);
	assert_int_equal(gp_seal_holder_count(s), 2);
	assert_true(gp_seal_has_holder(s, w.holder));
	assert_true(gp_seal_has_holder(s, w.maker));
	assert_false(gp_seal_has_holder(s, w.other));
	assert_false(gp_seal_has_holder(s, NULL));
	gp_seal_free(s);
	gp_free(der);
	world_free(&w);
}

/* Making refuses bad parameters, each with its own message, and sets no output. */
static void
test_make_bad(void **state)
{
	struct world w;
	gp_seal_params p;
	X509 *h[1];
	unsigned char *der = (unsigned char *)"x";
	size_t len = 1;

	(void)state;
	world_make(&w, GP_KEY_EC_P256);
	h[0] = w.holder;
	assert_int_equal(gp_seal_make(NULL, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	assert_int_equal(gp_seal_make(&der, &len, NULL, w.maker, w.maker_key), GP_E_INVALID);
	assert_null(der);
	assert_int_equal(len, 0);
	params_init(&p, h, 1);
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, NULL), GP_E_INVALID);
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.holder_key), GP_E_INVALID);
	assert_non_null(strstr(gp_error_last(), "does not belong"));
	/* a certificate without the seal-signer mark may not make a seal */
	assert_int_equal(gp_seal_make(&der, &len, &p, w.holder, w.holder_key), GP_E_POLICY);
	assert_null(der);
	assert_int_equal(gp_seal_maker_check(w.maker, NULL), 0);
	assert_int_equal(gp_seal_maker_check(w.holder, NULL), GP_E_POLICY);
	assert_int_equal(gp_seal_maker_check(w.maker, "not-an-oid"), GP_E_INVALID);
	assert_int_equal(gp_seal_maker_check(NULL, NULL), GP_E_INVALID);
	p.type = 3;
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	params_init(&p, h, 1);
	p.cert_list_type = 0;
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	params_init(&p, h, 0);
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	params_init(&p, h, 1);
	p.valid_end = time(NULL) - 10;
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	params_init(&p, h, 1);
	p.width_mm = 0;
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	params_init(&p, h, 1);
	p.name = "\xff\xfe bad utf-8";
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	params_init(&p, h, 1);
	p.id = "with\ttab";
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	params_init(&p, h, 1);
	p.image_type = "GIF";
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
	assert_null(der);
	world_free(&w);
}

/* Sign and verify (SM2 and P-256): every step passes; the document, a hash,
 * neither; a changed document fails only its step. */
static void
test_sign_verify(void **state)
{
	static const gp_key_type types[] = { GP_KEY_SM2, GP_KEY_EC_P256 };

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		struct world w;
		gp_seal_params p;
		gp_seal_sign_params sp;
		gp_seal_verify_params vp;
		gp_verify_result *r = NULL;
		X509 *h[1];
		unsigned char *seal = NULL, *sig = NULL, hash[64];
		size_t slen, siglen, hlen;

		world_make(&w, types[t]);
		h[0] = w.holder;
		params_init(&p, h, 1);
		assert_int_equal(gp_seal_make(&seal, &slen, &p, w.maker, w.maker_key), 0);
		sp = (gp_seal_sign_params)GP_SEAL_SIGN_PARAMS_INIT;
		sp.seal = seal;
		sp.seal_len = slen;
		sp.signer = w.holder;
		sp.signer_key = w.holder_key;
		sp.doc = doc;
		sp.doc_len = sizeof(doc) - 1;
		sp.property = "doc.txt";
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
		vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
		vp.roots = w.roots;
		vp.doc = doc;
		vp.doc_len = sizeof(doc) - 1;
		assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
		assert_true(gp_verify_result_ok(r));
		assert_null(gp_verify_result_reason(r));
		assert_int_equal(gp_verify_result_count(r), 11);
		assert_int_equal(step(r, "seal-authority"), GP_STEP_PASS);
		assert_int_equal(step(r, "document"), GP_STEP_PASS);
		assert_int_equal(step(r, "seal-status"), GP_STEP_SKIP);
		assert_int_equal(step(r, "time-stamp"), GP_STEP_SKIP);
		assert_string_equal(gp_verify_result_seal_id(r), "SEAL-1");
		assert_true(gp_verify_result_time(r) > 0);
		gp_verify_result_free(r);
		/* by hash */
		assert_int_equal(gp_seal_doc_hash(hash, &hlen, w.holder_key, doc, sizeof(doc) - 1), 0);
		assert_int_equal(hlen, 32);
		vp.doc = NULL;
		vp.hash = hash;
		vp.hash_len = hlen;
		assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
		assert_true(gp_verify_result_ok(r));
		gp_verify_result_free(r);
		/* neither: not checked */
		vp.hash = NULL;
		assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
		assert_int_equal(step(r, "document"), GP_STEP_SKIP);
		assert_true(gp_verify_result_ok(r));
		gp_verify_result_free(r);
		/* a changed document */
		vp.doc = (const unsigned char *)"another document";
		vp.doc_len = 16;
		assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
		assert_false(gp_verify_result_ok(r));
		assert_int_equal(step(r, "document"), GP_STEP_FAIL);
		assert_int_equal(step(r, "signature"), GP_STEP_PASS);
		assert_string_equal(gp_verify_result_reason(r), "document: the document's hash differs from dataHash");
		gp_verify_result_free(r);
		/* signing by hash gives the same dataHash; a wrong-length hash is refused */
		gp_free(sig);
		sp.doc = NULL;
		sp.doc_len = 0;
		sp.hash = hash;
		sp.hash_len = 31;
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_INVALID);
		assert_null(sig);
		sp.hash_len = 32;
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
		vp.doc = doc;
		vp.doc_len = sizeof(doc) - 1;
		assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
		assert_true(gp_verify_result_ok(r));
		gp_verify_result_free(r);
		/* a non-holder cannot sign; an expired seal cannot be used */
		gp_free(sig);
		sp.signer = w.other;
		sp.signer_key = w.other_key;
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
		sp.signer = w.holder;
		sp.signer_key = w.holder_key;
		sp.time = p.valid_end + 1;
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
		sp.signer_key = w.other_key;
		sp.time = 0;
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_INVALID);
		assert_null(sig);
		gp_free(seal);
		world_free(&w);
	}
}

/* Re-signs a signature's TBS_Sign as another signer: the holder step must fail alone. */
static void
test_not_holder(void **state)
{
	struct world w;
	gp_seal_params p;
	gp_seal_sign_params sp;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	SES_SIGNATURE4 *s4;
	X509 *h[1];
	unsigned char *seal = NULL, *sig = NULL, *tbs = NULL, *sv = NULL, *cert = NULL, *out = NULL;
	const unsigned char *q;
	size_t slen, siglen, svlen;
	int n;

	(void)state;
	world_make(&w, GP_KEY_SM2);
	h[0] = w.holder;
	params_init(&p, h, 1);
	assert_int_equal(gp_seal_make(&seal, &slen, &p, w.maker, w.maker_key), 0);
	sign_init(&sp, &w, seal, slen);
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	q = sig;
	assert_non_null(s4 = d2i_SES_SIGNATURE4(NULL, &q, (long)siglen));
	n = i2d_X509(w.other, &cert);
	ASN1_OCTET_STRING_set(s4->cert, cert, n);
	n = i2d_TBS_SIGN4(s4->tbs, &tbs);
	assert_int_equal(gp_sign_data(&sv, &svlen, w.other_key, tbs, (size_t)n), 0);
	bits_set(s4->sig, sv, (int)svlen);
	n = i2d_SES_SIGNATURE4(s4, &out);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	assert_int_equal(gp_seal_sig_verify(&r, out, (size_t)n, &vp), 0);
	assert_false(gp_verify_result_ok(r));
	assert_int_equal(step(r, "signature"), GP_STEP_PASS);
	assert_int_equal(step(r, "signer"), GP_STEP_PASS);
	assert_int_equal(step(r, "holder"), GP_STEP_FAIL);
	assert_string_equal(gp_verify_result_reason(r), "holder: the signer is not one of the seal's holders");
	gp_verify_result_free(r);
	SES_SIGNATURE4_free(s4);
	gp_free(seal); gp_free(sig); OPENSSL_free(tbs); gp_free(sv); OPENSSL_free(cert); OPENSSL_free(out);
	world_free(&w);
}

/* An SM2 signature value (DER SEQUENCE { r, s }) as the 64 bytes r || s. */
static void
sm2_raw(unsigned char raw[64], const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)len);

	assert_non_null(es);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32), 32);
	ECDSA_SIG_free(es);
}

/* Signs DER(tbs) (of template tbs_it) with key into bits (raw: an SM2
 * value as r || s), then encodes outer (of template it): *out its DER
 * (OPENSSL_free), the length returned.  Callers mark the encodings they
 * changed as modified first. */
static int
resign(unsigned char **out, const ASN1_ITEM *tbs_it, void *tbs, ASN1_BIT_STRING *bits,
    const ASN1_ITEM *it, void *outer, EVP_PKEY *key, int raw)
{
	unsigned char *der = NULL, *sv = NULL, rs[64];
	size_t svlen;
	int n;

	n = ASN1_item_i2d(tbs, &der, tbs_it);
	assert_int_equal(gp_sign_data(&sv, &svlen, key, der, (size_t)n), 0);
	if (raw) {
		sm2_raw(rs, sv, svlen);
		bits_set(bits, rs, 64);
	} else
		bits_set(bits, sv, (int)svlen);
	*out = NULL;
	n = ASN1_item_i2d(outer, out, it);
	assert_true(n > 0);
	OPENSSL_free(der);
	gp_free(sv);
	return n;
}

/* A version 1 SES_Signature signed again by key after a change. */
static int
sig1_encode(unsigned char **out, SES_SIGNATURE1 *g1, EVP_PKEY *key)
{
	g1->tbs->enc.modified = 1;
	return resign(out, ASN1_ITEM_rptr(TBS_SIGN1), g1->tbs, g1->sig, ASN1_ITEM_rptr(SES_SIGNATURE1), g1, key, 0);
}

/* Builds a GM/T 0031-2014 (version 1) seal and signature with the templates,
 * as other implementations write them, and verifies them. */
static void
test_v1_forms(void **state)
{
	struct world w;
	SESEAL1 *s1 = SESEAL1_new();
	SES_SEAL_TBS *t = SES_SEAL_TBS_new();
	SES_SIGNATURE1 *g1 = SES_SIGNATURE1_new();
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	unsigned char *info = NULL, *tbs = NULL, *sv = NULL, *cert = NULL, *seal = NULL, *sig = NULL, *hcert = NULL;
	unsigned char hash[64];
	size_t svlen, hlen;
	const unsigned char *q;
	gp_seal *s = NULL;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	int n, sl, gl;

	(void)state;
	world_make(&w, GP_KEY_SM2);
	ASN1_STRING_set(s1->info->header->id, "ES", 2);
	ASN1_INTEGER_set(s1->info->header->version, 2);
	ASN1_STRING_set(s1->info->header->vid, "other-vendor", -1);
	ASN1_STRING_set(s1->info->es_id, "V1-SEAL", -1);
	ASN1_INTEGER_set(s1->info->property->type, 1);
	ASN1_STRING_set(s1->info->property->name, "v1 seal", -1);
	n = i2d_X509(w.holder, &hcert);
	ASN1_OCTET_STRING_set(os, hcert, n);
	sk_ASN1_OCTET_STRING_push(s1->info->property->cert_list, os);
	/* UTCTime, as GM/T 0031-2014 has it */
	ASN1_TIME_set(s1->info->property->create_date, time(NULL) - 60);
	ASN1_TIME_set(s1->info->property->valid_start, time(NULL) - 60);
	ASN1_TIME_set(s1->info->property->valid_end, time(NULL) + 86400);
	ASN1_STRING_set(s1->info->picture->type, "PNG", -1);
	ASN1_OCTET_STRING_set(s1->info->picture->data, png, sizeof(png) - 1);
	ASN1_INTEGER_set(s1->info->picture->width, 30);
	ASN1_INTEGER_set(s1->info->picture->height, 30);
	n = i2d_X509(w.maker, &cert);
	ASN1_OCTET_STRING_set(s1->sign->cert, cert, n);
	ASN1_OBJECT_free(s1->sign->alg);
	s1->sign->alg = OBJ_nid2obj(NID_SM2_with_SM3);
	/* the maker signs SEQUENCE { SES_SealInfo, cert, signatureAlgorithm } */
	n = i2d_SES_SEALINFO1(s1->info, &info);
	q = info;
	ASN1_TYPE_free(t->info);
	t->info = d2i_ASN1_TYPE(NULL, &q, n);
	ASN1_OCTET_STRING_set(t->cert, cert, (int)ASN1_STRING_length(s1->sign->cert));
	ASN1_OBJECT_free(t->alg);
	t->alg = OBJ_nid2obj(NID_SM2_with_SM3);
	n = i2d_SES_SEAL_TBS(t, &tbs);
	assert_int_equal(gp_sign_data(&sv, &svlen, w.maker_key, tbs, (size_t)n), 0);
	bits_set(s1->sign->sig, sv, (int)svlen);
	sl = i2d_SESEAL1(s1, &seal);
	assert_int_equal(gp_seal_parse(&s, seal, (size_t)sl), 0);
	assert_int_equal(gp_seal_version(s), 2);
	assert_string_equal(gp_seal_id(s), "V1-SEAL");
	assert_true(gp_seal_has_holder(s, w.holder));
	gp_seal_free(s);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	assert_int_equal(gp_seal_verify(&r, seal, (size_t)sl, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	assert_non_null(strstr(detail(r, "seal-signature"), "SEQUENCE { SES_SealInfo, cert, signAlgID }"));
	gp_verify_result_free(r);
	/* the v1 signature: TBS_Sign with the signer's certificate inside, timeInfo a time's text */
	ASN1_INTEGER_set(g1->tbs->version, 2);
	q = seal;
	SESEAL1_free(g1->tbs->eseal);
	g1->tbs->eseal = d2i_SESEAL1(NULL, &q, sl);
	{
		ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
		bits_set(g1->tbs->time, (unsigned char *)ASN1_STRING_get0_data(now), ASN1_STRING_length(now));
		ASN1_TIME_free(now);
	}
	gp_seal_doc_hash(hash, &hlen, w.holder_key, doc, sizeof(doc) - 1);
	bits_set(g1->tbs->data_hash, hash, (int)hlen);
	ASN1_STRING_set(g1->tbs->property, "v1.txt", -1);
	ASN1_OCTET_STRING_set(g1->tbs->cert, hcert, (int)ASN1_STRING_length(os));
	ASN1_OBJECT_free(g1->tbs->alg);
	g1->tbs->alg = OBJ_nid2obj(NID_SM2_with_SM3);
	gl = sig1_encode(&sig, g1, w.holder_key);
	vp.doc = doc;
	vp.doc_len = sizeof(doc) - 1;
	assert_int_equal(gp_seal_sig_verify(&r, sig, (size_t)gl, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	assert_int_equal(step(r, "document"), GP_STEP_PASS);
	/* GP_SEAL_DUMP_DIR: write the v1 forms out (seeds of the fuzz corpus) */
	if (getenv("GP_SEAL_DUMP_DIR") != NULL) {
		char path[512];
		FILE *f;
		snprintf(path, sizeof(path), "%s/v1.seal", getenv("GP_SEAL_DUMP_DIR"));
		if ((f = fopen(path, "wb")) != NULL) { fwrite(seal, 1, (size_t)sl, f); fclose(f); }
		snprintf(path, sizeof(path), "%s/v1.sig", getenv("GP_SEAL_DUMP_DIR"));
		if ((f = fopen(path, "wb")) != NULL) { fwrite(sig, 1, (size_t)gl, f); fclose(f); }
	}
	assert_int_equal(step(r, "holder"), GP_STEP_PASS);
	gp_verify_result_free(r);
	/* timeInfo as the DER of a UTCTime (GM/T 0031-2014 §9.1 names the type),
	 * as other implementations write it; then one of 31 February, refused */
	{
		static const char *const times[] = { "270315101112Z", "270231101112Z" };
		for (size_t i = 0; i < 2; i++) {
			ASN1_UTCTIME *ut = ASN1_UTCTIME_new();
			unsigned char *td = NULL, *sig2 = NULL;
			int tl, g2;

			assert_int_equal(ASN1_STRING_set(ut, times[i], -1), 1);
			tl = i2d_ASN1_UTCTIME(ut, &td);
			bits_set(g1->tbs->time, td, tl);
			g2 = sig1_encode(&sig2, g1, w.holder_key);
			vp.at = time(NULL);
			if (i == 0) {
				assert_int_equal(gp_seal_sig_verify(&r, sig2, (size_t)g2, &vp), 0);
				assert_int_equal(step(r, "signature"), GP_STEP_PASS);
				assert_int_equal(gp_verify_result_time(r), 1805105472);   /* 2027-03-15T10:11:12Z */
				gp_verify_result_free(r);
			} else {
				assert_int_equal(gp_seal_sig_verify(&r, sig2, (size_t)g2, &vp), GP_E_PARSE);
				assert_non_null(strstr(gp_error_last(), "a time field is malformed"));
				assert_null(r);
			}
			vp.at = 0;
			ASN1_UTCTIME_free(ut);
			OPENSSL_free(td);
			OPENSSL_free(sig2);
		}
	}
	/* our signer refuses to sign with a v1 seal (version 4 is written) */
	{
		gp_seal_sign_params sp;
		unsigned char *o = NULL;
		size_t ol;
		sp = (gp_seal_sign_params)GP_SEAL_SIGN_PARAMS_INIT;
		sp.seal = seal;
		sp.seal_len = (size_t)sl;
		sp.signer = w.holder;
		sp.signer_key = w.holder_key;
		assert_int_equal(gp_seal_sign(&o, &ol, &sp), GP_E_INVALID);
	}
	/* version 3 in a GM/T 0031-2014 seal is refused */
	ASN1_INTEGER_set(s1->info->header->version, 3);
	s1->info->enc.modified = 1;
	s1->enc.modified = 1;
	OPENSSL_free(seal);
	seal = NULL;
	sl = i2d_SESEAL1(s1, &seal);
	assert_int_equal(gp_seal_parse(&s, seal, (size_t)sl), GP_E_PARSE);
	assert_non_null(strstr(gp_error_last(), "unsupported seal version 3"));
	SESEAL1_free(s1);
	SES_SEAL_TBS_free(t);
	SES_SIGNATURE1_free(g1);
	OPENSSL_free(info); OPENSSL_free(tbs); gp_free(sv); OPENSSL_free(cert); OPENSSL_free(seal);
	OPENSSL_free(sig); OPENSSL_free(hcert);
	world_free(&w);
}

/* A decoded seal signed again by the maker after a change (raw: SM2 as r || s). */
static int
reseal(unsigned char **out, SESEAL4 *s4, EVP_PKEY *maker_key, int raw)
{
	s4->info->enc.modified = 1;
	s4->enc.modified = 1;
	return resign(out, ASN1_ITEM_rptr(SES_SEALINFO4), s4->info, s4->sig, ASN1_ITEM_rptr(SESEAL4), s4, maker_key, raw);
}

/* A version 4 seal signed over SEQUENCE { SES_SealInfo, cert, signAlgID } is
 * accepted, and the form reported; a version 5 seal with a time-stamp field decodes. */
static void
test_v4_alt_and_v5(void **state)
{
	struct world w;
	unsigned char *der = NULL, *info = NULL, *tbs = NULL, *sv = NULL, *out = NULL;
	const unsigned char *q;
	size_t len, svlen;
	SESEAL4 *s4;
	SES_SEAL_TBS *t = SES_SEAL_TBS_new();
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	gp_seal *s = NULL;
	int n;

	(void)state;
	world_seal(&w, GP_KEY_SM2, &der, &len);
	q = der;
	s4 = d2i_SESEAL4(NULL, &q, (long)len);
	n = i2d_SES_SEALINFO4(s4->info, &info);
	q = info;
	ASN1_TYPE_free(t->info);
	t->info = d2i_ASN1_TYPE(NULL, &q, n);
	ASN1_STRING_copy(t->cert, s4->cert);
	ASN1_OBJECT_free(t->alg);
	t->alg = OBJ_dup(s4->alg);
	n = i2d_SES_SEAL_TBS(t, &tbs);
	assert_int_equal(gp_sign_data(&sv, &svlen, w.maker_key, tbs, (size_t)n), 0);
	bits_set(s4->sig, sv, (int)svlen);
	s4->enc.modified = 1;
	n = i2d_SESEAL4(s4, &out);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	assert_int_equal(gp_seal_verify(&r, out, (size_t)n, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	assert_non_null(strstr(detail(r, "seal-signature"), "SEQUENCE { SES_SealInfo, cert, signAlgID }"));
	gp_verify_result_free(r);
	/* version 5: header 5 and the optional timeStamp; a version 4 seal may not carry one */
	OPENSSL_free(out);
	out = NULL;
	s4->ts = ASN1_BIT_STRING_new();
	bits_set(s4->ts, (unsigned char *)"tok", 3);
	n = i2d_SESEAL4(s4, &out);
	assert_int_equal(gp_seal_parse(&s, out, (size_t)n), GP_E_PARSE);
	assert_non_null(strstr(gp_error_last(), "time-stamp (version 5 only)"));
	ASN1_INTEGER_set(s4->info->header->version, 5);
	s4->info->enc.modified = 1;
	OPENSSL_free(out);
	out = NULL;
	n = i2d_SESEAL4(s4, &out);
	assert_int_equal(gp_seal_parse(&s, out, (size_t)n), 0);
	assert_int_equal(gp_seal_version(s), 5);
	gp_seal_free(s);
	/* its time-stamp is checked: "tok" is none (and the maker signed version 4) */
	assert_int_equal(gp_seal_verify(&r, out, (size_t)n, &vp), 0);
	assert_int_equal(step(r, "seal-time-stamp"), GP_STEP_FAIL);
	gp_verify_result_free(r);
	/* a real token over the maker's signature, from a local TSA, and the seal re-signed as version 5 */
	{
		gp_tsa *tsa = NULL;
		unsigned char *tok = NULL, *info5 = NULL, *sv5 = NULL;
		size_t toklen, sv5len;
		int m;

		OPENSSL_free(out);
		out = NULL;
		m = i2d_SES_SEALINFO4(s4->info, &info5);
		assert_int_equal(gp_sign_data(&sv5, &sv5len, w.maker_key, info5, (size_t)m), 0);
		bits_set(s4->sig, sv5, (int)sv5len);
		assert_int_equal(gp_tsa_new(&tsa, w.tsa, w.tsa_key, NULL, NULL), 0);
		assert_int_equal(gp_ts_stamp(&tok, &toklen, "SM3", sv5, sv5len, gp_tsa_local_cb, tsa), 0);
		bits_set(s4->ts, tok, (int)toklen);
		s4->enc.modified = 1;
		n = i2d_SESEAL4(s4, &out);
		assert_int_equal(gp_seal_verify(&r, out, (size_t)n, &vp), 0);
		assert_true(gp_verify_result_ok(r));
		assert_int_equal(step(r, "seal-time-stamp"), GP_STEP_PASS);
		gp_verify_result_free(r);
		gp_tsa_free(tsa);
		gp_free(tok); OPENSSL_free(info5); gp_free(sv5);
	}
	SESEAL4_free(s4);
	SES_SEAL_TBS_free(t);
	gp_free(der); OPENSSL_free(info); OPENSSL_free(tbs); gp_free(sv); OPENSSL_free(out);
	world_free(&w);
}

/* A version 5 seal (GM/T 0031-2025) made from one of ours: header 5, the
 * maker's signature over the new SES_SealInfo, no time-stamp. */
static void
seal_v5(unsigned char **out, size_t *outlen, const struct world *w, const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	SESEAL4 *s4 = d2i_SESEAL4(NULL, &q, (long)len);

	assert_non_null(s4);
	ASN1_INTEGER_set(s4->info->header->version, 5);
	*outlen = (size_t)reseal(out, s4, w->maker_key, 0);
	SESEAL4_free(s4);
}

/* Signing with a version 5 seal writes a version 5 TBS_Sign (GB/T 38540
 * §8.1: TBS_Sign's version is the seal's), and the signature verifies. */
static void
test_sign_v5(void **state)
{
	struct world w;
	gp_seal_sign_params sp;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	SES_SIGNATURE4 *g = NULL;
	unsigned char *der = NULL, *v5 = NULL, *sig = NULL;
	const unsigned char *q;
	size_t len, v5len, siglen;
	int64_t v = 0;

	(void)state;
	world_seal(&w, GP_KEY_SM2, &der, &len);
	seal_v5(&v5, &v5len, &w, der, len);
	sign_init(&sp, &w, v5, v5len);
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	q = sig;
	assert_non_null(g = d2i_SES_SIGNATURE4(NULL, &q, (long)siglen));
	assert_int_equal(ASN1_INTEGER_get_int64(&v, g->tbs->version), 1);
	assert_int_equal(v, 5);
	SES_SIGNATURE4_free(g);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	vp.doc = doc;
	vp.doc_len = sizeof(doc) - 1;
	assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
	assert_int_equal(step(r, "structure"), GP_STEP_PASS);
	assert_true(gp_verify_result_ok(r));
	gp_verify_result_free(r);
	gp_free(der); OPENSSL_free(v5); gp_free(sig);
	world_free(&w);
}

/* SM2 signatures written as raw r || s (64 bytes), as other implementations
 * do, verify: the maker's over the seal and the signer's over TBS_Sign;
 * the step says which form it was.  63 bytes, or r || s of another
 * message, do not. */
static void
test_sm2_raw(void **state)
{
	struct world w;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	SESEAL4 *s4;
	SES_SIGNATURE4 *g;
	unsigned char *der = NULL, *sv = NULL, *seal = NULL, *tbs = NULL, *sig = NULL, *out = NULL;
	unsigned char raw[64], cert_der[4096], *cp = cert_der;
	const unsigned char *q;
	size_t len, svlen;
	int n, sl, cl;

	(void)state;
	world_seal(&w, GP_KEY_SM2, &der, &len);
	/* the maker's signature in r || s form */
	q = der;
	assert_non_null(s4 = d2i_SESEAL4(NULL, &q, (long)len));
	sl = reseal(&seal, s4, w.maker_key, 1);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	assert_int_equal(gp_seal_verify(&r, seal, (size_t)sl, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	assert_non_null(strstr(detail(r, "seal-signature"), "r || s"));
	gp_verify_result_free(r);
	/* the signer's too, over a TBS_Sign around that seal */
	g = SES_SIGNATURE4_new();
	ASN1_INTEGER_set(g->tbs->version, 4);
	SESEAL4_free(g->tbs->eseal);
	q = seal;
	g->tbs->eseal = d2i_SESEAL4(NULL, &q, sl);
	ASN1_TIME_free(g->tbs->time);
	g->tbs->time = ASN1_GENERALIZEDTIME_set(NULL, time(NULL));
	bits_set(g->tbs->data_hash, (unsigned char *)"0123456789abcdef0123456789abcdef", 32);
	ASN1_STRING_set(g->tbs->property, "raw.txt", -1);
	cl = i2d_X509(w.holder, &cp);
	ASN1_OCTET_STRING_set(g->cert, cert_der, cl);
	ASN1_OBJECT_free(g->alg);
	g->alg = OBJ_nid2obj(NID_SM2_with_SM3);
	n = i2d_TBS_SIGN4(g->tbs, &tbs);
	assert_int_equal(gp_sign_data(&sv, &svlen, w.holder_key, tbs, (size_t)n), 0);
	sm2_raw(raw, sv, svlen);
	bits_set(g->sig, raw, 64);
	n = i2d_SES_SIGNATURE4(g, &sig);
	assert_int_equal(gp_seal_sig_verify(&r, sig, (size_t)n, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	assert_non_null(strstr(detail(r, "signature"), "r || s"));
	gp_verify_result_free(r);
	/* one byte short, and the seal's r || s over other bytes: refused */
	bits_set(g->sig, raw, 63);
	n = i2d_SES_SIGNATURE4(g, &out);
	assert_int_equal(gp_seal_sig_verify(&r, out, (size_t)n, &vp), 0);
	assert_int_equal(step(r, "signature"), GP_STEP_FAIL);
	gp_verify_result_free(r);
	OPENSSL_free(out);
	out = NULL;
	raw[5] ^= 1;
	bits_set(g->sig, raw, 64);
	n = i2d_SES_SIGNATURE4(g, &out);
	assert_int_equal(gp_seal_sig_verify(&r, out, (size_t)n, &vp), 0);
	assert_int_equal(step(r, "signature"), GP_STEP_FAIL);
	gp_verify_result_free(r);
	SES_SIGNATURE4_free(g);
	SESEAL4_free(s4);
	gp_free(der); gp_free(sv); OPENSSL_free(seal); OPENSSL_free(tbs);
	OPENSSL_free(sig); OPENSSL_free(out);
	world_free(&w);
}

/* An unknown extension marked critical fails the structure step; a
 * non-critical one is ignored.  gp_seal_sig_parse returns the parts. */
static void
test_critical_ext(void **state)
{
	struct world w;
	unsigned char *der = NULL, *out = NULL;
	const unsigned char *q;
	size_t len;
	SESEAL4 *s4;
	SES_EXTDATA *e = SES_EXTDATA_new();
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	int n;

	(void)state;
	world_seal(&w, GP_KEY_EC_P256, &der, &len);
	q = der;
	s4 = d2i_SESEAL4(NULL, &q, (long)len);
	ASN1_OBJECT_free(e->id);
	e->id = OBJ_txt2obj("1.2.3.4.5.6.7", 1);
	ASN1_OCTET_STRING_set(e->value, (unsigned char *)"ABC", 3);
	e->critical = 0xff;
	s4->info->ext = sk_SES_EXTDATA_new_null();
	sk_SES_EXTDATA_push(s4->info->ext, e);
	n = reseal(&out, s4, w.maker_key, 0);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	assert_int_equal(gp_seal_verify(&r, out, (size_t)n, &vp), 0);
	assert_int_equal(step(r, "structure"), GP_STEP_FAIL);
	assert_int_equal(step(r, "seal-signature"), GP_STEP_PASS);
	assert_string_equal(gp_verify_result_reason(r), "structure: unknown critical extension 1.2.3.4.5.6.7");
	gp_verify_result_free(r);
	/* not critical: fine */
	OPENSSL_free(out);
	e->critical = -1;
	n = reseal(&out, s4, w.maker_key, 0);
	assert_int_equal(gp_seal_verify(&r, out, (size_t)n, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	gp_verify_result_free(r);
	/* gp_seal_sig_parse: the parts of a signature, and refusals */
	{
		gp_seal_sign_params sp;
		unsigned char *sig = NULL;
		size_t siglen;
		gp_seal *s = NULL;
		X509 *signer = NULL;
		int64_t t = 0;
		char *prop = NULL;

		sp = (gp_seal_sign_params)GP_SEAL_SIGN_PARAMS_INIT;
		sp.seal = der;
		sp.seal_len = len;
		sp.signer = w.holder;
		sp.signer_key = w.holder_key;
		sp.doc = doc;
		sp.doc_len = 3;
		sp.property = "urn:x";
		sp.time = time(NULL) + 2;
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
		assert_int_equal(gp_seal_sig_parse(&s, &signer, &t, &prop, sig, siglen), 0);
		assert_string_equal(gp_seal_id(s), "SEAL-1");
		assert_int_equal(X509_cmp(signer, w.holder), 0);
		assert_int_equal(t, sp.time);
		assert_string_equal(prop, "urn:x");
		gp_seal_free(s);
		X509_free(signer);
		gp_free(prop);
		assert_int_equal(gp_seal_sig_parse(&s, NULL, NULL, NULL, der, len), GP_E_PARSE);
		assert_null(s);
		assert_int_equal(gp_seal_sig_parse(NULL, NULL, NULL, NULL, sig, siglen), 0);
		gp_free(sig);
	}
	SESEAL4_free(s4);
	gp_free(der); OPENSSL_free(out);
	world_free(&w);
}

/* Garbage, truncated, trailing bytes and NULL arguments: GP_E_PARSE or GP_E_INVALID, no result. */
static void
test_parse_bad(void **state)
{
	struct world w;
	gp_seal_verify_params vp;
	gp_verify_result *r = (gp_verify_result *)1;
	unsigned char *der = NULL, *big;
	size_t len;
	gp_seal *s = (gp_seal *)1;

	(void)state;
	world_seal(&w, GP_KEY_EC_P256, &der, &len);
	assert_int_equal(gp_seal_parse(&s, der, len - 1), GP_E_PARSE);
	assert_null(s);
	assert_int_equal(gp_seal_parse(&s, der, 10), GP_E_PARSE);
	assert_int_equal(gp_seal_parse(&s, (const unsigned char *)"garbage", 7), GP_E_PARSE);
	assert_int_equal(gp_seal_parse(&s, der, 0), GP_E_PARSE);
	assert_int_equal(gp_seal_parse(&s, NULL, 5), GP_E_PARSE);
	assert_int_equal(gp_seal_parse(NULL, der, len), GP_E_INVALID);
	big = calloc(1, len + 1);
	memcpy(big, der, len);
	assert_int_equal(gp_seal_parse(&s, big, len + 1), GP_E_PARSE);
	assert_non_null(strstr(gp_error_last(), "1 bytes after the seal"));
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	assert_int_equal(gp_seal_sig_verify(&r, der, len, &vp), GP_E_PARSE);   /* a seal is not a signature */
	assert_null(r);
	assert_int_equal(gp_seal_sig_verify(&r, big, len + 1, &vp), GP_E_PARSE);
	vp.roots = NULL;
	assert_int_equal(gp_seal_verify(&r, der, len, &vp), GP_E_INVALID);
	assert_int_equal(gp_seal_verify(NULL, der, len, &vp), GP_E_INVALID);
	/* accessors and free functions take NULL */
	assert_null(gp_seal_id(NULL));
	assert_int_equal(gp_seal_version(NULL), 0);
	assert_int_equal(gp_seal_holder_count(NULL), 0);
	assert_false(gp_verify_result_ok(NULL));
	assert_int_equal(gp_verify_result_step(NULL, 0, NULL, NULL, NULL), GP_E_INVALID);
	gp_seal_free(NULL);
	gp_verify_result_free(NULL);
	gp_seal_info_free(NULL);
	gp_tsa_free(NULL);
	free(big);
	gp_free(der);
	world_free(&w);
}

/* The register: add, get, a taken id, revoke (twice), list by status; a
 * revoked seal fails verification; read-only stores refuse writes. */
static void
test_register(void **state)
{
	struct world w;
	gp_seal_params p;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	gp_seal_info *info = NULL;
	gp_store *st = NULL;
	X509 *h[1];
	unsigned char *der = NULL;
	size_t len;
	char *dir = tu_tmpdir(), path[512];

	(void)state;
	world_make(&w, GP_KEY_SM2);
	h[0] = w.holder;
	params_init(&p, h, 1);
	assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), 0);
	snprintf(path, sizeof(path), "%s/govpki.db", dir);
	assert_int_equal(gp_store_open(&st, path, GP_STORE_CREATE), 0);
	assert_int_equal(gp_store_seal_get(st, "SEAL-1", &info), GP_E_NOTFOUND);
	assert_null(info);
	assert_int_equal(gp_seal_register(st, der, len, "test"), 0);
	assert_int_equal(gp_seal_register(st, der, len, "test"), GP_E_EXISTS);
	assert_int_equal(gp_seal_register(st, (const unsigned char *)"x", 1, "test"), GP_E_PARSE);
	assert_int_equal(gp_store_seal_get(st, "SEAL-1", &info), 0);
	assert_string_equal(info->name, "示例市人民政府");
	assert_int_equal(info->status, GP_SEAL_STATUS_GOOD);
	assert_int_equal(info->version, 4);
	assert_memory_equal(info->der, der, len);
	assert_string_equal(info->maker, "CN=Maker");
	gp_seal_info_free(info);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	vp.store = st;
	assert_int_equal(gp_seal_verify(&r, der, len, &vp), 0);
	assert_int_equal(step(r, "seal-status"), GP_STEP_PASS);
	gp_verify_result_free(r);
	/* another seal under the same id (another holder list) is not the registered one */
	{
		X509 *h2[1] = { w.other };
		unsigned char *der2 = NULL;
		size_t len2;
		params_init(&p, h2, 1);
		assert_int_equal(gp_seal_make(&der2, &len2, &p, w.maker, w.maker_key), 0);
		assert_int_equal(gp_seal_verify(&r, der2, len2, &vp), 0);
		assert_int_equal(step(r, "seal-status"), GP_STEP_FAIL);
		assert_non_null(strstr(detail(r, "seal-status"), "differs from the registered seal"));
		gp_verify_result_free(r);
		gp_free(der2);
	}
	assert_int_equal(gp_seal_revoke(st, "SEAL-1", "lost", 0, "test"), 0);
	assert_int_equal(gp_seal_revoke(st, "SEAL-1", "again", 0, "test"), 0);
	assert_int_equal(gp_seal_revoke(st, "NOPE", NULL, 0, "test"), GP_E_NOTFOUND);
	assert_int_equal(gp_store_seal_set_status(st, "SEAL-1", 7, 0, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_seal_get(st, "SEAL-1", &info), 0);
	assert_int_equal(info->status, GP_SEAL_STATUS_REVOKED);
	assert_string_equal(info->reason, "lost");     /* the first revocation stands */
	gp_seal_info_free(info);
	assert_int_equal(gp_seal_verify(&r, der, len, &vp), 0);
	assert_int_equal(step(r, "seal-status"), GP_STEP_FAIL);
	assert_non_null(strstr(gp_verify_result_reason(r), "was revoked"));
	gp_verify_result_free(r);
	assert_int_equal(gp_store_seal_get(st, "", &info), GP_E_INVALID);
	assert_int_equal(gp_store_seal_list(st, -1, NULL, NULL), GP_E_INVALID);
	gp_store_close(st);
	assert_int_equal(gp_store_open(&st, path, GP_STORE_READONLY), 0);
	assert_int_equal(gp_seal_revoke(st, "SEAL-1", NULL, 0, "test"), GP_E_READONLY);
	gp_store_close(st);
	gp_free(der);
	tu_rmdir(dir);
	world_free(&w);
}

/* x, re-signed by the root with its validity moved to [nb, na] from now */
static X509 *
revalid(X509 *x, const struct world *w, long nb, long na)
{
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	if (gp_x509_sign(x, w->root_key) != 0)
		abort();
	return x;
}

/* x in the store as issued by ca_id */
static void
store_cert(gp_store *st, int64_t ca_id, X509 *x)
{
	gp_cert_info c;
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	memset(&c, 0, sizeof(c));
	c.ca_id = ca_id;
	assert_int_equal(gp_serial_from_asn1(c.serial, &c.serial_len, X509_get0_serialNumber(x)), 0);
	c.subject = "CN=test";
	c.not_before = 1000;
	c.not_after = 2000;
	c.issued_at = 1500;
	assert_int_equal(gp_x509_fingerprint(x, c.fingerprint), 0);
	c.der = der;
	c.der_len = (size_t)n;
	assert_int_equal(gp_store_cert_add(st, &c), 0);
	OPENSSL_free(der);
}

/* gp_seal_sign refuses what verification would fail (GB/T 38540-2020
 * §8.2 steps 3 and 7): the signer's certificate outside its validity at
 * the signing time; with a store, a seal not registered, a registered seal
 * with other bytes, a revoked seal, a signer revoked or on hold there. */
static void
test_sign_refusals(void **state)
{
	struct world w;
	gp_seal_params p;
	gp_seal_sign_params sp;
	gp_store *st = NULL;
	gp_ca_info ca;
	X509 *h[4], *expired, *future, *held;
	EVP_PKEY *k2 = NULL;
	unsigned char *seal = NULL, *seal2 = NULL, *sig = NULL, *rootder = NULL, sn[GP_SERIAL_MAX];
	size_t slen, slen2, siglen, snlen;
	char *dir = tu_tmpdir(), path[512];
	int n;

	(void)state;
	world_make(&w, GP_KEY_SM2);
	assert_int_equal(gp_key_generate(&k2, GP_KEY_SM2), 0);
	expired = revalid(mkcert(k2, "Expired", w.root, w.root_key, 0, NULL), &w, -86400 * 2, -86400);
	future = revalid(mkcert(k2, "Future", w.root, w.root_key, 0, NULL), &w, 86400, 86400 * 2);
	held = mkcert(k2, "Held", w.root, w.root_key, 0, NULL);
	h[0] = w.holder; h[1] = expired; h[2] = future; h[3] = held;
	params_init(&p, h, 4);
	assert_int_equal(gp_seal_make(&seal, &slen, &p, w.maker, w.maker_key), 0);

	/* the signer certificate's validity, store or not */
	sign_init(&sp, &w, seal, slen);
	sp.signer = expired;
	sp.signer_key = k2;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
	assert_null(sig);
	assert_non_null(strstr(gp_error_last(), "the signer's certificate expired at"));
	sp.signer = future;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
	assert_null(sig);
	assert_non_null(strstr(gp_error_last(), "the signer's certificate is not yet valid"));
	/* ... checked at the signing time, not now */
	sp.time = time(NULL) + 86400 + 3600;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	gp_free(sig);
	sig = NULL;

	/* the register */
	snprintf(path, sizeof(path), "%s/govpki.db", dir);
	assert_int_equal(gp_store_open(&st, path, GP_STORE_CREATE), 0);
	sign_init(&sp, &w, seal, slen);
	sp.store = st;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
	assert_null(sig);
	assert_non_null(strstr(gp_error_last(), "seal SEAL-1 is not in the seal register"));
	assert_int_equal(gp_seal_register(st, seal, slen, "test"), 0);
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	gp_free(sig);
	sig = NULL;
	/* the same id, other bytes (another holder list) */
	params_init(&p, h, 1);
	assert_int_equal(gp_seal_make(&seal2, &slen2, &p, w.maker, w.maker_key), 0);
	sp.seal = seal2;
	sp.seal_len = slen2;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "differs from the registered seal"));
	sp.seal = seal;
	sp.seal_len = slen;

	/* the signer's certificate in the store: good, on hold, revoked */
	memset(&ca, 0, sizeof(ca));
	ca.name = "root";
	ca.key_uri = "keys/root.key";
	ca.key_type = "sm2";
	n = i2d_X509(w.root, &rootder);
	ca.cert_der = rootder;
	ca.cert_len = (size_t)n;
	assert_int_equal(gp_store_ca_add(st, &ca), 0);
	store_cert(st, ca.id, w.holder);
	store_cert(st, ca.id, held);
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	gp_free(sig);
	sig = NULL;
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(held)), 0);
	assert_int_equal(gp_store_cert_set_status(st, ca.id, sn, snlen, GP_STATUS_HOLD, time(NULL),
	    GP_REASON_CERTIFICATE_HOLD, (const unsigned char *)"x", 1, NULL), 0);
	sp.signer = held;
	sp.signer_key = k2;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
	assert_null(sig);
	assert_non_null(strstr(gp_error_last(), "the signer's certificate is on hold in the store"));
	assert_int_equal(gp_serial_from_asn1(sn, &snlen, X509_get0_serialNumber(w.holder)), 0);
	assert_int_equal(gp_store_cert_set_status(st, ca.id, sn, snlen, GP_STATUS_REVOKED, time(NULL),
	    GP_REASON_KEY_COMPROMISE, (const unsigned char *)"x", 1, NULL), 0);
	sign_init(&sp, &w, seal, slen);
	sp.store = st;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
	assert_null(sig);
	assert_non_null(strstr(gp_error_last(), "the signer's certificate is revoked in the store"));
	/* without the store the same signer signs: the store's word, not the certificate's */
	sp.store = NULL;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	gp_free(sig);
	sig = NULL;

	/* a revoked seal */
	assert_int_equal(gp_seal_revoke(st, "SEAL-1", "lost", 0, "test"), 0);
	sp.store = st;
	sp.signer = future;    /* (at a time it is valid: the seal is what fails) */
	sp.signer_key = k2;
	sp.time = time(NULL) + 86400 + 3600;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_POLICY);
	assert_null(sig);
	assert_non_null(strstr(gp_error_last(), "seal SEAL-1 was revoked at"));
	assert_non_null(strstr(gp_error_last(), "(lost)"));

	gp_store_close(st);
	OPENSSL_free(rootder);
	gp_free(seal);
	gp_free(seal2);
	X509_free(expired);
	X509_free(future);
	X509_free(held);
	EVP_PKEY_free(k2);
	tu_rmdir(dir);
	world_free(&w);
}

/* a gp_seal_status_cb answering what arg says: "valid", "revoked", "unknown", "other", "down" */
static int
fake_status_cb(void *arg, const gp_seal *seal, int *status, int64_t *revoked_at, char **reason)
{
	const char *what = arg;

	(void)seal;
	*status = GP_SEAL_STATUS_GOOD;
	*revoked_at = 0;
	*reason = NULL;
	if (strcmp(what, "revoked") == 0) {
		*status = GP_SEAL_STATUS_REVOKED;
		*revoked_at = 1000;
		*reason = OPENSSL_strdup("stolen");
	} else if (strcmp(what, "unknown") == 0)
		return GP_E_NOTFOUND;
	else if (strcmp(what, "other") == 0)
		return GP_E_VERIFY;
	else if (strcmp(what, "down") == 0)
		return GP_E_IO;
	return 0;
}

/* The seal status service's JSON, ids, and verify asking a status hook
 * (instead of the store when both are given). */
static void
test_status(void **state)
{
	struct world w;
	gp_seal_params p;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	gp_seal_info info;
	X509 *h[1];
	unsigned char *seal = NULL, dg[32];
	size_t slen;
	char *json = NULL, hex[65], want[200], long_id[130];
	static const char *const cases[] = { "valid", "revoked", "unknown", "other", "down" };
	static const char *const details[] = { "is good in the seal status service", "was revoked at 1970-01-01T00:16:40Z (stolen)",
		NULL, NULL, "the seal status service cannot tell" };

	(void)state;
	assert_int_equal(gp_seal_id_check("SEAL-1"), 0);
	assert_int_equal(gp_seal_id_check("DEPT/7 A~"), 0);
	assert_int_equal(gp_seal_id_check(""), GP_E_INVALID);
	assert_int_equal(gp_seal_id_check(NULL), GP_E_INVALID);
	assert_int_equal(gp_seal_id_check("A\001B"), GP_E_INVALID);
	assert_int_equal(gp_seal_id_check("印章"), GP_E_INVALID);
	memset(long_id, 'A', 128);
	long_id[128] = '\0';
	assert_int_equal(gp_seal_id_check(long_id), 0);
	long_id[128] = 'A';
	long_id[129] = '\0';
	assert_int_equal(gp_seal_id_check(long_id), GP_E_INVALID);

	world_make(&w, GP_KEY_EC_P256);
	h[0] = w.holder;
	params_init(&p, h, 1);
	assert_int_equal(gp_seal_make(&seal, &slen, &p, w.maker, w.maker_key), 0);
	memset(&info, 0, sizeof(info));
	info.es_id = "SEAL-1";
	info.name = "示例";
	info.valid_start = 0;
	info.valid_end = 86400;
	info.der = seal;
	info.der_len = slen;
	assert_int_equal(EVP_Digest(seal, slen, dg, NULL, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", dg[i]);
	assert_int_equal(gp_seal_status_json(&json, "SEAL-1", &info, 3600), 0);
	snprintf(want, sizeof(want), "{\"id\":\"SEAL-1\",\"status\":\"valid\",\"sha256\":\"%s\",", hex);
	assert_non_null(strstr(json, want));
	assert_non_null(strstr(json, "\"name\":\"\\u793A\\u4F8B\""));
	assert_non_null(strstr(json, "\"valid_to\":\"1970-01-02T00:00:00Z\""));
	assert_non_null(strstr(json, "\"checked_at\":\"1970-01-01T01:00:00Z\""));
	assert_null(strstr(json, "revoked_at"));
	gp_free(json);
	info.status = GP_SEAL_STATUS_REVOKED;
	info.revoked_at = 1000;
	assert_int_equal(gp_seal_status_json(&json, "SEAL-1", &info, 3600), 0);
	assert_non_null(strstr(json, "\"status\":\"revoked\""));
	assert_non_null(strstr(json, "\"revoked_at\":\"1970-01-01T00:16:40Z\",\"reason\":null"));
	gp_free(json);
	info.reason = "stolen";
	assert_int_equal(gp_seal_status_json(&json, "SEAL-1", &info, 3600), 0);
	assert_non_null(strstr(json, "\"reason\":\"stolen\""));
	gp_free(json);
	assert_int_equal(gp_seal_status_json(&json, "NOPE", NULL, 3600), 0);
	assert_string_equal(json, "{\"id\":\"NOPE\",\"status\":\"unknown\",\"checked_at\":\"1970-01-01T01:00:00Z\"}");
	gp_free(json);
	assert_int_equal(gp_seal_status_json(NULL, "NOPE", NULL, 0), GP_E_INVALID);

	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	vp.status_cb = fake_status_cb;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vp.status_arg = (void *)cases[i];
		assert_int_equal(gp_seal_verify(&r, seal, slen, &vp), 0);
		assert_int_equal(step(r, "seal-status"), i == 0 ? GP_STEP_PASS : GP_STEP_FAIL);
		assert_int_equal(gp_verify_result_ok(r), i == 0);
		if (details[i] != NULL)
			assert_non_null(strstr(detail(r, "seal-status"), details[i]));
		gp_verify_result_free(r);
		r = NULL;
	}
	gp_free(seal);
	world_free(&w);
}

static int
count_cb(void *arg, const gp_seal_info *si)
{
	(void)si;
	(*(int *)arg)++;
	return 0;
}

/* Listing by status counts the right seals. */
static void
test_register_list(void **state)
{
	struct world w;
	gp_seal_params p;
	gp_store *st = NULL;
	X509 *h[1];
	unsigned char *der = NULL;
	size_t len;
	char *dir = tu_tmpdir(), path[512], id[16];
	int n;

	(void)state;
	world_make(&w, GP_KEY_EC_P256);
	h[0] = w.holder;
	snprintf(path, sizeof(path), "%s/govpki.db", dir);
	assert_int_equal(gp_store_open(&st, path, GP_STORE_CREATE), 0);
	for (int i = 0; i < 3; i++) {
		params_init(&p, h, 1);
		snprintf(id, sizeof(id), "S-%d", i);
		p.id = id;
		assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), 0);
		assert_int_equal(gp_seal_register(st, der, len, NULL), 0);
		gp_free(der);
	}
	assert_int_equal(gp_seal_revoke(st, "S-1", NULL, 0, NULL), 0);
	n = 0;
	assert_int_equal(gp_store_seal_list(st, -1, count_cb, &n), 0);
	assert_int_equal(n, 3);
	n = 0;
	assert_int_equal(gp_store_seal_list(st, GP_SEAL_STATUS_REVOKED, count_cb, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(gp_store_seal_list(st, GP_SEAL_STATUS_GOOD, count_cb, &n), 0);
	assert_int_equal(n, 2);
	gp_store_close(st);
	tu_rmdir(dir);
	world_free(&w);
}

/* A local TSA: tokens over data verify; other data, a broken token and a
 * TSA certificate without timeStamping fail; a garbage request gets a rejection. */
static void
test_tsa(void **state)
{
	struct world w;
	gp_tsa *tsa = NULL;
	unsigned char *tok = NULL, *resp = NULL;
	size_t toklen, rlen;
	int64_t t = 0;

	(void)state;
	world_make(&w, GP_KEY_EC_P256);
	assert_int_equal(gp_tsa_new(&tsa, w.holder, w.holder_key, NULL, NULL), GP_E_POLICY);
	assert_null(tsa);
	assert_int_equal(gp_tsa_new(&tsa, w.tsa, w.holder_key, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_tsa_new(&tsa, w.tsa, w.tsa_key, NULL, "not an oid"), GP_E_INVALID);
	assert_int_equal(gp_tsa_new(&tsa, w.tsa, w.tsa_key, NULL, "1.2.3.4.5"), 0);
	assert_int_equal(gp_ts_stamp(&tok, &toklen, "SHA256", doc, sizeof(doc) - 1, gp_tsa_local_cb, tsa), 0);
	assert_int_equal(gp_ts_verify(&t, tok, toklen, doc, sizeof(doc) - 1, w.roots, NULL), 0);
	assert_true(t > time(NULL) - 100 && t <= time(NULL) + 1);
	assert_int_equal(gp_ts_verify(&t, tok, toklen, (const unsigned char *)"x", 1, w.roots, NULL), GP_E_VERIFY);
	assert_int_equal(t, 0);
	tok[toklen - 3] ^= 1;
	assert_int_equal(gp_ts_verify(&t, tok, toklen, doc, sizeof(doc) - 1, w.roots, NULL), GP_E_VERIFY);
	assert_int_equal(gp_ts_verify(&t, tok, 5, doc, sizeof(doc) - 1, w.roots, NULL), GP_E_VERIFY);
	gp_free(tok);
	assert_int_equal(gp_ts_stamp(&tok, &toklen, "SM3", doc, sizeof(doc) - 1, gp_tsa_local_cb, tsa), 0);
	assert_int_equal(gp_ts_verify(NULL, tok, toklen, doc, sizeof(doc) - 1, w.roots, NULL), 0);
	gp_free(tok);
	assert_int_equal(gp_ts_stamp(&tok, &toklen, "NOSUCH", doc, 3, gp_tsa_local_cb, tsa), GP_E_INVALID);
	/* a garbage request: a rejection response, not an error */
	assert_int_equal(gp_tsa_respond(&resp, &rlen, tsa, (const unsigned char *)"garbage", 7), 0);
	{
		const unsigned char *q = resp;
		TS_RESP *rs = d2i_TS_RESP(NULL, &q, (long)rlen);
		assert_non_null(rs);
		assert_int_equal(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(rs))), TS_STATUS_REJECTION);
		TS_RESP_free(rs);
	}
	gp_free(resp);
	gp_tsa_free(tsa);
	world_free(&w);
}

/* A seal signature with a time-stamp: verified, its time reported; a broken token fails its step alone. */
static void
test_sign_timestamped(void **state)
{
	struct world w;
	gp_tsa *tsa = NULL;
	gp_seal_params p;
	gp_seal_sign_params sp;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	X509 *h[1];
	unsigned char *seal = NULL, *sig = NULL;
	size_t slen, siglen;

	(void)state;
	world_make(&w, GP_KEY_SM2);
	assert_int_equal(gp_tsa_new(&tsa, w.tsa, w.tsa_key, NULL, NULL), 0);
	h[0] = w.holder;
	params_init(&p, h, 1);
	assert_int_equal(gp_seal_make(&seal, &slen, &p, w.maker, w.maker_key), 0);
	sign_init(&sp, &w, seal, slen);
	sp.ts_cb = gp_tsa_local_cb;
	sp.ts_arg = tsa;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	assert_int_equal(step(r, "time-stamp"), GP_STEP_PASS);
	assert_true(gp_verify_result_ts_time(r) > 0);
	{
		int64_t at = 0;
		assert_int_equal(gp_verify_result_time_source(&at, r), GP_TIME_STAMPED);
		assert_int_equal(at, gp_verify_result_ts_time(r));
	}
	gp_verify_result_free(r);
	sig[siglen - 6] ^= 1;          /* inside the token, at the end of the file */
	assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
	assert_int_equal(step(r, "time-stamp"), GP_STEP_FAIL);
	assert_int_equal(step(r, "signature"), GP_STEP_PASS);
	gp_verify_result_free(r);
	gp_free(seal);
	gp_free(sig);
	gp_tsa_free(tsa);
	world_free(&w);
}

/* CAdES for every key type: B-B verifies, other data fails; B-T (P-256, SM2) carries a good time-stamp. */
static void
test_cades(void **state)
{
	static const gp_key_type types[] = { GP_KEY_SM2, GP_KEY_EC_P256, GP_KEY_RSA2048, GP_KEY_ED25519 };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct world w;
		gp_tsa *tsa = NULL;
		gp_verify_result *r = NULL;
		unsigned char *sig = NULL;
		size_t len;

		world_make(&w, types[i]);
		assert_int_equal(gp_cades_sign(&sig, &len, w.holder, w.holder_key, NULL, doc, sizeof(doc) - 1, NULL, NULL), 0);
		assert_int_equal(gp_cades_verify(&r, sig, len, doc, sizeof(doc) - 1, w.roots, NULL, NULL, NULL), 0);
		assert_true(gp_verify_result_ok(r));
		assert_int_equal(step(r, "signing-certificate"), GP_STEP_PASS);
		assert_int_equal(step(r, "time-stamp"), GP_STEP_SKIP);
		gp_verify_result_free(r);
		assert_int_equal(gp_cades_verify(&r, sig, len, (const unsigned char *)"x", 1, w.roots, NULL, NULL, NULL), GP_E_VERIFY);
		assert_int_equal(step(r, "signature"), GP_STEP_FAIL);
		gp_verify_result_free(r);
		assert_int_equal(gp_cades_verify(&r, sig, 20, doc, 3, w.roots, NULL, NULL, NULL), GP_E_PARSE);
		assert_null(r);
		gp_free(sig);
		assert_int_equal(gp_cades_sign(&sig, &len, w.holder, w.other_key, NULL, doc, 3, NULL, NULL), GP_E_INVALID);
		assert_null(sig);
		if (types[i] == GP_KEY_SM2 || types[i] == GP_KEY_EC_P256) {
			assert_int_equal(gp_tsa_new(&tsa, w.tsa, w.tsa_key, NULL, NULL), 0);
			assert_int_equal(gp_cades_sign(&sig, &len, w.holder, w.holder_key, NULL, doc, sizeof(doc) - 1,
			    gp_tsa_local_cb, tsa), 0);
			assert_int_equal(gp_cades_verify(&r, sig, len, doc, sizeof(doc) - 1, w.roots, NULL, NULL, NULL), 0);
			assert_int_equal(step(r, "time-stamp"), GP_STEP_PASS);
			gp_verify_result_free(r);
			gp_free(sig);
			gp_tsa_free(tsa);
		}
		world_free(&w);
	}
}

/* Lengths beyond INT_MAX are refused, not cut to int for OpenSSL: a
 * length of 2^32 + 3 must not become 3, which made a time-stamp and a
 * CAdES signature over the first 3 bytes "verify" for 4 GiB of data.
 * (Nothing reads past those 3 bytes: the check comes first.) */
static void
test_len_limits(void **state)
{
	const size_t huge = ((size_t)1 << 32) + 3;
	struct world w;
	gp_tsa *tsa = NULL;
	gp_verify_result *r = NULL;
	unsigned char *tok = NULL, *sig = NULL, *resp = NULL;
	size_t toklen, siglen, rlen;

	(void)state;
	world_make(&w, GP_KEY_EC_P256);
	assert_int_equal(gp_tsa_new(&tsa, w.tsa, w.tsa_key, NULL, NULL), 0);
	assert_int_equal(gp_ts_stamp(&tok, &toklen, "SHA256", doc, 3, gp_tsa_local_cb, tsa), 0);
	assert_int_equal(gp_ts_verify(NULL, tok, toklen, doc, 3, w.roots, NULL), 0);
	assert_int_equal(gp_ts_verify(NULL, tok, toklen, doc, huge, w.roots, NULL), GP_E_INVALID);
	assert_non_null(strstr(gp_error_last(), "larger than"));
	assert_int_equal(gp_cades_sign(&sig, &siglen, w.holder, w.holder_key, NULL, doc, 3, NULL, NULL), 0);
	assert_int_equal(gp_cades_verify(&r, sig, siglen, doc, 3, w.roots, NULL, NULL, NULL), 0);
	gp_verify_result_free(r);
	r = NULL;
	assert_int_equal(gp_cades_verify(&r, sig, siglen, doc, huge, w.roots, NULL, NULL, NULL), GP_E_INVALID);
	assert_null(r);
	gp_free(sig);
	sig = NULL;
	assert_int_equal(gp_cades_sign(&sig, &siglen, w.holder, w.holder_key, NULL, doc, huge, NULL, NULL), GP_E_INVALID);
	assert_null(sig);
	/* a seal's image */
	{
		gp_seal_params p;
		X509 *h[1] = { w.holder };
		unsigned char *der = NULL;
		size_t len;
		params_init(&p, h, 1);
		p.image_len = huge;
		assert_int_equal(gp_seal_make(&der, &len, &p, w.maker, w.maker_key), GP_E_INVALID);
		assert_null(der);
	}
	/* a request to post: refused before any connection is tried */
	assert_int_equal(gp_tsa_http_cb((void *)"http://127.0.0.1:1/", doc, huge, &resp, &rlen), GP_E_INVALID);
	assert_null(resp);
	gp_free(tok);
	gp_tsa_free(tsa);
	world_free(&w);
}

/* docs/api.md: parameters of a size no version had (0: not set by the
 * GP_..._INIT; below the first version; larger than the library's: newer
 * headers) are refused before anything is done, for each of the three
 * structs; the INITs' defaults make a seal, a signature and a result. */
static void
test_params_size(void **state)
{
	struct world w;
	gp_seal_params p;
	gp_seal_sign_params sp;
	gp_seal_verify_params vp;
	gp_verify_result *r = NULL;
	X509 *h[1];
	unsigned char *seal = NULL, *sig = NULL;
	size_t slen = 0, siglen = 0;
	int64_t at = 0;
	struct { gp_seal_params p; char newer[16]; } bp;
	struct { gp_seal_sign_params p; char newer[16]; } bs;
	struct { gp_seal_verify_params p; char newer[16]; } bv;
	const size_t sizes[] = { 0, sizeof(size_t), 0 };

	(void)state;
	world_make(&w, GP_KEY_EC_P256);
	h[0] = w.holder;
	params_init(&p, h, 1);
	assert_int_equal(p.size, sizeof(gp_seal_params));
	assert_int_equal(p.type, GP_SEAL_OFFICIAL);
	assert_int_equal(p.cert_list_type, GP_SEAL_CERTS);
	for (size_t i = 0; i < 3; i++) {
		p.size = i == 2 ? offsetof(gp_seal_params, maker_oid) : sizes[i];
		assert_int_equal(gp_seal_make(&seal, &slen, &p, w.maker, w.maker_key), GP_E_INVALID);
		assert_null(seal);
		assert_non_null(strstr(gp_error_last(), "GP_..._INIT"));
	}
	memset(&bp, 0, sizeof(bp));
	bp.p = p;
	bp.p.size = sizeof(bp);
	assert_int_equal(gp_seal_make(&seal, &slen, &bp.p, w.maker, w.maker_key), GP_E_INVALID);
	p.size = sizeof(p);
	assert_int_equal(gp_seal_make(&seal, &slen, &p, w.maker, w.maker_key), 0);

	sign_init(&sp, &w, seal, slen);
	for (size_t i = 0; i < 3; i++) {
		sp.size = i == 2 ? offsetof(gp_seal_sign_params, ts_arg) : sizes[i];
		assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), GP_E_INVALID);
		assert_null(sig);
	}
	memset(&bs, 0, sizeof(bs));
	bs.p = sp;
	bs.p.size = sizeof(bs);
	assert_int_equal(gp_seal_sign(&sig, &siglen, &bs.p), GP_E_INVALID);
	sp.size = sizeof(sp);
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);

	vp = (gp_seal_verify_params)GP_SEAL_VERIFY_PARAMS_INIT;
	vp.roots = w.roots;
	for (size_t i = 0; i < 3; i++) {
		vp.size = i == 2 ? offsetof(gp_seal_verify_params, maker_oid) : sizes[i];
		assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), GP_E_INVALID);
		assert_null(r);
		assert_int_equal(gp_seal_verify(&r, seal, slen, &vp), GP_E_INVALID);
		assert_null(r);
	}
	memset(&bv, 0, sizeof(bv));
	bv.p = vp;
	bv.p.size = sizeof(bv);
	assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &bv.p), GP_E_INVALID);
	assert_null(r);
	vp.size = sizeof(vp);
	/* no time-stamp: checked at timeInfo, the signer's claim */
	assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
	assert_true(gp_verify_result_ok(r));
	assert_int_equal(gp_verify_result_time_source(&at, r), GP_TIME_SIGNER);
	assert_int_equal(at, gp_verify_result_time(r));
	gp_verify_result_free(r);
	/* a time the verifier gives: asserted */
	vp.at = at + 1;
	assert_int_equal(gp_seal_sig_verify(&r, sig, siglen, &vp), 0);
	assert_int_equal(gp_verify_result_time_source(&at, r), GP_TIME_ASSERTED);
	assert_int_equal(at, vp.at);
	gp_verify_result_free(r);
	assert_int_equal(gp_seal_verify(&r, seal, slen, &vp), 0);
	assert_int_equal(gp_verify_result_time_source(NULL, r), GP_TIME_ASSERTED);
	gp_verify_result_free(r);
	vp.at = 0;
	assert_int_equal(gp_seal_verify(&r, seal, slen, &vp), 0);
	assert_int_equal(gp_verify_result_time_source(NULL, r), GP_TIME_NOW);
	gp_verify_result_free(r);
	assert_int_equal(gp_verify_result_time_source(&at, NULL), GP_TIME_NOW);
	assert_int_equal(at, 0);
	gp_free(seal);
	gp_free(sig);
	world_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_image_check),
		cmocka_unit_test(test_make_parse),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_make_bad),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_not_holder),
		cmocka_unit_test(test_v1_forms),
		cmocka_unit_test(test_v4_alt_and_v5),
		cmocka_unit_test(test_sign_v5),
		cmocka_unit_test(test_sm2_raw),
		cmocka_unit_test(test_critical_ext),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_sign_refusals),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_register_list),
		cmocka_unit_test(test_tsa),
		cmocka_unit_test(test_sign_timestamped),
		cmocka_unit_test(test_cades),
		cmocka_unit_test(test_len_limits),
		cmocka_unit_test(test_params_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
