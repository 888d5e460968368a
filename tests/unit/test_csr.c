/* tests/unit/test_csr.c: the hot-path CSR parser agrees with OpenSSL's and refuses bad input */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include <govpki/govpki.h>

#include "csr.h"
#include "testutil.h"

/* a DER CSR for key, signed by gp_req_sign (SM2 with its ID), with a SAN */
static unsigned char *
make_csr(int *len, EVP_PKEY *key, const char *san)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = NULL;
	unsigned char *der = NULL;

	assert_int_equal(gp_name_parse(&name, "/C=CN/O=测试/CN=host.example.cn"), 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, key);
	if (san != NULL) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();

		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san));
		X509_REQ_add_extensions(req, exts);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	assert_int_equal(gp_req_sign(req, key), 0);
	*len = i2d_X509_REQ(req, &der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return der;
}

/* every key type: same subject, same key, signature verifies, SANs read */
static void
test_agrees_with_openssl(void **state)
{
	(void)state;
	for (int t = 0; t < GP_KEY__COUNT; t++) {
		EVP_PKEY *key = NULL;
		unsigned char *der;
		const unsigned char *p;
		int len;
		gp_csr *csr = NULL;
		X509_REQ *ref;
		GENERAL_NAMES *sans = NULL;

		if (t == GP_KEY_RSA3072 || t == GP_KEY_RSA4096)
			continue;       /* slow to generate, same code path as rsa2048 */
		assert_int_equal(gp_key_generate(&key, (gp_key_type)t), 0);
		der = make_csr(&len, key, "DNS:host.example.cn,IP:10.0.0.1");
		p = der;
		ref = d2i_X509_REQ(NULL, &p, len);
		assert_non_null(ref);
		assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
		assert_int_equal(gp_csr_verify(csr), 0);
		assert_int_equal(EVP_PKEY_eq(gp_csr_pubkey0(csr), key), 1);
		assert_int_equal(X509_NAME_cmp(gp_csr_subject0(csr), X509_REQ_get_subject_name(ref)), 0);
		assert_int_equal(gp_csr_sans(&sans, csr), 0);
		assert_int_equal(sk_GENERAL_NAME_num(sans), 2);
		if (t == GP_KEY_SM2)
			assert_true(gp_key_is_sm2(gp_csr_pubkey0(csr)));
		/* the certificate gets the same SubjectPublicKeyInfo, bit for bit */
		X509 *c = X509_new();
		unsigned char *a = NULL, *b = NULL;
		int la, lb;

		assert_int_equal(gp_csr_copy_spki(c, csr), 0);
		la = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c), &a);
		lb = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(ref), &b);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, (size_t)la);
		OPENSSL_free(a);
		OPENSSL_free(b);
		X509_free(c);
		GENERAL_NAMES_free(sans);
		gp_csr_free(csr);
		X509_REQ_free(ref);
		OPENSSL_free(der);
		EVP_PKEY_free(key);
	}
}

/* PEM in, and the old "NEW CERTIFICATE REQUEST" label; no SAN gives NULL */
static void
test_pem(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t len;
	unsigned char *pem = tu_csr(&len, key, "Example", "x.example.cn", NULL);
	gp_csr *csr = NULL;
	GENERAL_NAMES *sans = (GENERAL_NAMES *)1;

	(void)state;
	assert_int_equal(gp_csr_parse(&csr, pem, len), 0);
	assert_int_equal(gp_csr_verify(csr), 0);
	assert_int_equal(gp_csr_sans(&sans, csr), 0);
	assert_null(sans);
	gp_csr_free(csr);
	/* the wrong PEM label */
	char *lab = strndup((char *)pem, len);
	char *b = strstr(lab, "CERTIFICATE REQUEST");
	memcpy(b, "CERTIFICATE        ", 19);
	b = strstr(b + 19, "CERTIFICATE REQUEST");
	memcpy(b, "CERTIFICATE        ", 19);
	assert_int_equal(gp_csr_parse(&csr, (unsigned char *)lab, strlen(lab)), GP_E_PARSE);
	assert_null(csr);
	free(lab);
	free(pem);
	EVP_PKEY_free(key);
}

/* garbage, empty, truncated and trailing bytes are refused */
static void
test_bad_input(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	int len;
	unsigned char *der = make_csr(&len, key, NULL);
	unsigned char *more = malloc((size_t)len + 1);
	gp_csr *csr = NULL;

	(void)state;
	assert_int_equal(gp_csr_parse(&csr, (const unsigned char *)"garbage", 7), GP_E_PARSE);
	assert_int_equal(gp_csr_parse(&csr, der, 0), GP_E_INVALID);
	assert_int_equal(gp_csr_parse(&csr, NULL, 5), GP_E_INVALID);
	for (int cut = 1; cut < len; cut += 7)
		assert_int_equal(gp_csr_parse(&csr, der, (size_t)cut), GP_E_PARSE);
	memcpy(more, der, (size_t)len);
	more[len] = 0;
	assert_int_equal(gp_csr_parse(&csr, more, (size_t)len + 1), GP_E_PARSE);
	assert_null(csr);
	free(more);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

/* a changed byte in the signed part or the signature fails verification */
static void
test_tampered(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	int len;
	unsigned char *der = make_csr(&len, key, NULL);
	gp_csr *csr = NULL;

	(void)state;
	der[len - 3] ^= 0x11;                      /* in the signature */
	assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
	assert_int_equal(gp_csr_verify(csr), GP_E_VERIFY);
	gp_csr_free(csr);
	der[len - 3] ^= 0x11;
	unsigned char *cn = (unsigned char *)memmem(der, (size_t)len, "host", 4);
	cn[0] = 'g';                               /* in the subject */
	assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
	assert_int_equal(gp_csr_verify(csr), GP_E_VERIFY);
	gp_csr_free(csr);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

/* a signature BIT STRING with unused bits does not verify, even when the
 * bits it drops are zero (OpenSSL's X509_REQ_verify refuses it too; found
 * by tests/fuzz/fuzz_csr) */
static void
test_signature_unused_bits(void **state)
{
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	gp_csr *csr = NULL;
	int len;

	(void)state;
	do {    /* a signature whose last octet ends in a zero bit */
		OPENSSL_free(der);
		EVP_PKEY_free(key);
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		der = make_csr(&len, key, NULL);
	} while (der[len - 1] & 1);
	/* Ed25519: the signature is the last 64 octets, after 03 41 00 */
	assert_int_equal(der[len - 66], 0x41);
	assert_int_equal(der[len - 65], 0x00);
	der[len - 65] = 1;
	assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
	assert_int_equal(gp_csr_verify(csr), GP_E_VERIFY);
	gp_csr_free(csr);
	der[len - 65] = 0;                         /* without them it verifies */
	assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
	assert_int_equal(gp_csr_verify(csr), 0);
	gp_csr_free(csr);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

/* an SM2 key signing ECDSA-style (no SM2 signature) is refused, and vice versa */
static void
test_wrong_algorithm(void **state)
{
	EVP_PKEY *sm2 = NULL, *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL;
	int len;
	gp_csr *csr = NULL;

	(void)state;
	assert_int_equal(gp_key_generate(&sm2, GP_KEY_SM2), 0);
	X509_REQ_set_pubkey(req, ec);
	X509_REQ_sign(req, ec, EVP_sha256());
	/* put the SM2 key into a request signed with ECDSA by another key */
	X509_REQ_set_pubkey(req, sm2);
	len = i2d_X509_REQ(req, &der);
	assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
	assert_int_equal(gp_csr_verify(csr), GP_E_VERIFY);
	gp_csr_free(csr);
	OPENSSL_free(der);
	der = NULL;
	/* RSA-PSS signatures are not accepted */
	EVP_PKEY *rsa = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	assert_int_equal(gp_key_generate(&rsa, GP_KEY_RSA2048), 0);
	X509_REQ_set_pubkey(req, rsa);
	EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, rsa);
	EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
	assert_true(X509_REQ_sign_ctx(req, md) > 0);
	len = i2d_X509_REQ(req, &der);
	assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
	assert_int_equal(gp_csr_verify(csr), GP_E_POLICY);
	gp_csr_free(csr);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(rsa);
	X509_REQ_free(req);
	EVP_PKEY_free(sm2);
	EVP_PKEY_free(ec);
}

/* keys we do not import directly still parse (the profile refuses them later) */
static void
test_other_keys(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	int len;
	unsigned char *der;
	gp_csr *csr = NULL;
	X509_REQ *req = X509_REQ_new();

	(void)state;
	X509_REQ_set_pubkey(req, k);
	X509_REQ_sign(req, k, EVP_sha256());
	der = NULL;
	len = i2d_X509_REQ(req, &der);
	assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
	assert_int_equal(EVP_PKEY_eq(gp_csr_pubkey0(csr), k), 1);
	assert_int_equal(gp_csr_verify(csr), 0);
	gp_csr_free(csr);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

/* gp_csr_key_hash (the issuance's fast path from the CSR's bits) is
 * gp_pubkey_hash of the key for every key type, and for an EC point
 * sent compressed (which takes the slow path) too (issue 21.3). */
static void
test_key_hash(void **state)
{
	(void)state;
	for (int t = 0; t <= GP_KEY__COUNT; t++) {
		EVP_PKEY *key = NULL;
		unsigned char *der, h1[32], h2[32];
		int len;
		gp_csr *csr = NULL;

		if (t == GP_KEY_RSA3072 || t == GP_KEY_RSA4096)
			continue;
		if (t == GP_KEY__COUNT) {       /* P-256, point compressed */
			assert_int_equal(gp_key_generate(&key, GP_KEY_EC_P256), 0);
			assert_int_equal(EVP_PKEY_set_utf8_string_param(key,
			    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
		} else {
			assert_int_equal(gp_key_generate(&key, (gp_key_type)t), 0);
		}
		der = make_csr(&len, key, NULL);
		assert_int_equal(gp_csr_parse(&csr, der, (size_t)len), 0);
		assert_int_equal(gp_csr_key_hash(h1, csr), 0);
		assert_int_equal(gp_pubkey_hash(h2, key), 0);
		if (memcmp(h1, h2, 32) != 0)
			fail_msg("key type %d: the CSR's key hash differs from gp_pubkey_hash", t);
		gp_csr_free(csr);
		OPENSSL_free(der);
		EVP_PKEY_free(key);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agrees_with_openssl),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_signature_unused_bits),
		cmocka_unit_test(test_wrong_algorithm),
		cmocka_unit_test(test_other_keys),
		cmocka_unit_test(test_key_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
