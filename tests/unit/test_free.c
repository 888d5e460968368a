/* tests/unit/test_free.c: every buffer the API returns is freed with gp_free (govpki/mem.h) */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/crypto.h>

#include <govpki/govpki.h>

#include "testutil.h"

/*
 * OpenSSL's allocator, which gp_free frees with, is replaced here by one
 * that puts a tag before each block: gp_free of a buffer that came from
 * plain malloc() (the defect: "free() this one, OPENSSL_free that one")
 * finds no tag and aborts; under ASan, reading before a malloc'ed block
 * is itself the report.  The other way round, a library free() of a
 * tagged block is an invalid free, which glibc and ASan both stop.
 */
#define TAG 0x6770667265656d21ULL
struct tag {
	uint64_t tag;
	size_t len;
};

static void *
t_malloc(size_t n, const char *file, int line)
{
	struct tag *t = malloc(sizeof(*t) + n);

	(void)file; (void)line;
	if (t == NULL)
		return NULL;
	t->tag = TAG;
	t->len = n;
	return t + 1;
}

static struct tag *
t_check(void *p, const char *file, int line)
{
	struct tag *t = (struct tag *)p - 1;

	if (t->tag != TAG) {
		fprintf(stderr, "%s:%d: freed a block OpenSSL's allocator did not hand out\n",
		    file ? file : "?", line);
		abort();
	}
	return t;
}

static void *
t_realloc(void *p, size_t n, const char *file, int line)
{
	struct tag *t;

	if (p == NULL)
		return t_malloc(n, file, line);
	t = realloc(t_check(p, file, line), sizeof(*t) + n);
	if (t == NULL)
		return NULL;
	t->len = n;
	return t + 1;
}

static void
t_free(void *p, const char *file, int line)
{
	struct tag *t;

	if (p == NULL)
		return;
	t = t_check(p, file, line);
	t->tag = 0;
	free(t);
}

#define PASS "free-test-pass"

/* A home with a root CA ("root", P-256), opened. */
struct home {
	char *dir;
	gp_ctx *ctx;
	gp_ca *ca;
};

static int
setup(void **state)
{
	struct home *h = calloc(1, sizeof(*h));
	gp_ca_params p = GP_CA_PARAMS_INIT;

	assert_non_null(h);
	h->dir = tu_tmpdir();
	assert_int_equal(gp_ctx_open(&h->ctx, NULL, h->dir, 0), 0);
	p.name = "root";
	p.subject = "/O=Example/CN=Root";
	p.key_type = GP_KEY_EC_P256;
	p.pass = PASS;
	p.passlen = strlen(PASS);
	assert_int_equal(gp_ca_create(h->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&h->ca, h->ctx, "root", PASS, strlen(PASS)), 0);
	*state = h;
	return 0;
}

static int
teardown(void **state)
{
	struct home *h = *state;

	gp_ca_free(h->ca);
	gp_ctx_free(h->ctx);
	tu_rmdir(h->dir);
	free(h);
	return 0;
}

/* A certificate of profile for a new key of h's root (*key: its key).
 * Read back from its DER: the X509 gp_ca_issue returns holds its key as
 * the CSR's bits only (lib/csr.c gp_csr_copy_spki), so X509_get0_pubkey,
 * and with it X509_check_private_key in gp_seal_make, fails on it. */
static X509 *
issue(struct home *h, const char *profile, EVP_PKEY **key)
{
	gp_issue_req req = GP_ISSUE_REQ_INIT;
	unsigned char *csr, *der = NULL;
	size_t len;
	X509 *x = NULL, *y = NULL;
	int n;

	assert_int_equal(gp_key_generate(key, GP_KEY_EC_P256), 0);
	csr = tu_csr(&len, *key, "Example", profile, NULL);
	req.csr = csr;
	req.csr_len = len;
	req.profile = profile;
	assert_int_equal(gp_ca_issue(&x, h->ca, &req), 0);
	free(csr);
	assert_true((n = i2d_X509(x, &der)) > 0);
	assert_int_equal(gp_cert_parse(&y, der, (size_t)n), 0);
	OPENSSL_free(der);
	X509_free(x);
	return y;
}

/* ca.h, store.h: the chain, the home and store located, URIs, meta values. */
static void
test_ca_store(void **state)
{
	struct home *h = *state;
	char *pem = NULL, *home = NULL, *uri = NULL, *v = NULL;
	size_t len = 0;

	assert_int_equal(gp_ca_chain_pem(&pem, &len, h->ctx, "root"), 0);
	assert_int_equal(strlen(pem), len);
	assert_non_null(strstr(pem, "BEGIN CERTIFICATE"));
	gp_free(pem);
	assert_int_equal(gp_ctx_locate(&home, &uri, NULL, h->dir), 0);
	assert_string_equal(home, h->dir);
	assert_non_null(strstr(uri, "govpki.db"));
	gp_free(home);
	gp_free(uri);
	assert_int_equal(gp_store_uri_resolve(&uri, "/h", "x.db"), 0);
	assert_string_equal(uri, "/h/x.db");
	gp_free(uri);
	assert_int_equal(gp_store_uri_resolve(&uri, "/h", "postgres://db.example/pki"), 0);
	gp_free(uri);
	assert_int_equal(gp_store_meta_set(gp_ctx_store(h->ctx), "free.k", "value"), 0);
	assert_int_equal(gp_store_meta_get(gp_ctx_store(h->ctx), "free.k", &v), 0);
	assert_string_equal(v, "value");
	gp_free(v);
	gp_free(NULL);
}

/* x509util.h: names and signatures. */
static void
test_x509util(void **state)
{
	struct home *h = *state;
	EVP_PKEY *key = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *s = NULL;

	assert_int_equal(gp_name_to_string(&s, X509_get_subject_name(gp_ca_cert0(h->ca))), 0);
	assert_string_equal(s, "CN=Root,O=Example");
	gp_free(s);
	assert_int_equal(gp_key_generate(&key, GP_KEY_EC_P256), 0);
	assert_int_equal(gp_sign_data(&sig, &siglen, key, (const unsigned char *)"tbs", 3), 0);
	assert_true(siglen > 0);
	gp_free(sig);
	EVP_PKEY_free(key);
}

static const unsigned char png[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR-free-test";

/* seal.h: a seal, a signature over it and its property, CAdES, time-stamps. */
static void
test_seal(void **state)
{
	struct home *h = *state;
	EVP_PKEY *mkey = NULL, *tkey = NULL;
	X509 *maker = issue(h, "seal-signer", &mkey), *tsac = issue(h, "tsa-signer", &tkey);
	X509 *holders[1] = { maker };
	gp_seal_params p = GP_SEAL_PARAMS_INIT;
	gp_seal_sign_params sp = GP_SEAL_SIGN_PARAMS_INIT;
	gp_tsa *tsa = NULL;
	unsigned char *seal = NULL, *sig = NULL, *cms = NULL, *tok = NULL, *resp = NULL;
	size_t slen = 0, siglen = 0, cmslen = 0, toklen = 0, rlen = 0;
	char *prop = NULL;

	p.id = "FREE-1";
	p.type = GP_SEAL_OFFICIAL;
	p.name = "free test";
	p.cert_list_type = GP_SEAL_CERTS;
	p.holders = holders;
	p.nholders = 1;
	p.valid_end = time(NULL) + 86400;
	p.image_type = "png";
	p.image = png;
	p.image_len = sizeof(png) - 1;
	p.width_mm = 40;
	p.height_mm = 40;
	if (gp_seal_make(&seal, &slen, &p, maker, mkey) != 0)
		fail_msg("gp_seal_make: %s", gp_error_last());

	assert_int_equal(gp_tsa_new(&tsa, tsac, tkey, NULL, NULL), 0);
	sp.seal = seal;
	sp.seal_len = slen;
	sp.signer = maker;
	sp.signer_key = mkey;
	sp.doc = png;
	sp.doc_len = sizeof(png) - 1;
	sp.property = "free.pdf";
	sp.ts_cb = gp_tsa_local_cb;   /* its response is gp_free'd by the library */
	sp.ts_arg = tsa;
	assert_int_equal(gp_seal_sign(&sig, &siglen, &sp), 0);
	assert_int_equal(gp_seal_sig_parse(NULL, NULL, NULL, &prop, sig, siglen), 0);
	assert_string_equal(prop, "free.pdf");
	gp_free(prop);

	assert_int_equal(gp_cades_sign(&cms, &cmslen, maker, mkey, NULL, png, sizeof(png) - 1,
	    gp_tsa_local_cb, tsa), 0);
	assert_int_equal(gp_ts_stamp(&tok, &toklen, "SHA256", png, 3, gp_tsa_local_cb, tsa), 0);
	assert_int_equal(gp_tsa_local_cb(tsa, (const unsigned char *)"garbage", 7, &resp, &rlen), 0);
	gp_free(resp);
	resp = NULL;
	assert_int_equal(gp_tsa_respond(&resp, &rlen, tsa, (const unsigned char *)"garbage", 7), 0);
	assert_true(rlen > 0);
	gp_free(resp);
	gp_free(tok);
	gp_free(cms);
	gp_free(sig);
	gp_free(seal);
	gp_tsa_free(tsa);
	X509_free(maker);
	X509_free(tsac);
	EVP_PKEY_free(mkey);
	EVP_PKEY_free(tkey);
}

/* acme.h: the authorizations of an order. */
static void
test_acme(void **state)
{
	struct home *h = *state;
	gp_store *s = gp_ctx_store(h->ctx);
	gp_acme_account a;
	gp_acme_order o;
	gp_acme_authz z[2];
	int64_t *ids = NULL;
	size_t n = 0;

	memset(&a, 0, sizeof(a));
	a.profile = "tls-server";
	a.thumb[0] = 1;
	a.jwk = "{}";
	a.status = GP_ACME_VALID;
	a.created = time(NULL);
	assert_int_equal(gp_store_acme_account_add(s, &a), 0);
	memset(&o, 0, sizeof(o));
	o.account = a.id;
	o.profile = "tls-server";
	o.created = time(NULL);
	o.expires = o.created + 3600;
	o.identifiers = "dns:a.example,dns:b.example";
	memset(z, 0, sizeof(z));
	for (size_t i = 0; i < 2; i++) {
		z[i].value = i ? "b.example" : "a.example";
		z[i].expires = o.expires;
		z[i].chall = -1;
		memset(z[i].token, 'A' + (int)i, GP_ACME_TOKEN_LEN);
	}
	assert_int_equal(gp_store_acme_order_add(s, &o, z, 2), 0);
	assert_int_equal(gp_store_acme_order_authzs(s, o.id, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], z[0].id);
	assert_int_equal(ids[1], z[1].id);
	gp_free(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ca_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_x509util, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_acme, setup, teardown),
	};
	int r;

	/* before OpenSSL allocates anything */
	if (CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free) != 1) {
		fprintf(stderr, "cannot replace OpenSSL's allocator\n");
		return 1;
	}
	r = cmocka_run_group_tests(tests, NULL, NULL);
	return r;
}
