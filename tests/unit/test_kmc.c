/* tests/unit/test_kmc.c: the KMC's envelopes (ca/kmc_env.c) and escrow seal (ca/kmc.c), round trips and refusals */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509.h>

#include <govpki/govpki.h>
#include <govpki/kmc.h>

#include "../../ca/kmc_int.h"

/* A self-signed certificate for key (enough for an envelope's recipient). */
static X509 *
self_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"recipient", -1, -1, 0);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_int_equal(gp_x509_sign(x, key), 0);
	return x;
}

/* An envelope of each format opens with its recipient's key to the same
 * key pair, and with another key is GP_E_VERIFY. */
static void
roundtrip(gp_key_type kt, gp_key_type rt, int want_format)
{
	EVP_PKEY *key = NULL, *rkey = NULL, *other = NULL, *got = NULL;
	unsigned char *env = NULL;
	size_t envlen = 0;
	int format = 0;
	X509 *rcert;

	assert_int_equal(gp_key_generate(&key, kt), 0);
	assert_int_equal(gp_key_generate(&rkey, rt), 0);
	assert_int_equal(gp_key_generate(&other, rt), 0);
	rcert = self_cert(rkey);
	assert_int_equal(gp_kmc_envelope_make(&env, &envlen, &format, key, rcert), 0);
	assert_int_equal(format, want_format);
	format = 0;
	assert_int_equal(gp_kmc_envelope_open(&got, &format, env, envlen, rkey, rcert), 0);
	assert_int_equal(format, want_format);
	assert_int_equal(EVP_PKEY_eq(got, key), 1);
	EVP_PKEY_free(got);
	got = NULL;
	assert_int_equal(gp_kmc_envelope_open(&got, NULL, env, envlen, other, NULL), GP_E_VERIFY);
	assert_null(got);
	assert_non_null(strstr(gp_error_last(), "not for this key"));
	/* one byte short: neither format */
	assert_int_equal(gp_kmc_envelope_open(&got, NULL, env, envlen - 1, rkey, NULL), GP_E_PARSE);
	assert_null(got);
	OPENSSL_free(env);
	X509_free(rcert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(other);
}

static void
test_sm2_envelope(void **state)
{
	(void)state;
	roundtrip(GP_KEY_SM2, GP_KEY_SM2, GP_KMC_ENVELOPE_SM2);
}

static void
test_cms_envelopes(void **state)
{
	(void)state;
	roundtrip(GP_KEY_EC_P256, GP_KEY_EC_P256, GP_KMC_ENVELOPE_CMS);
	roundtrip(GP_KEY_RSA2048, GP_KEY_RSA2048, GP_KMC_ENVELOPE_CMS);
	roundtrip(GP_KEY_SM2, GP_KEY_RSA2048, GP_KMC_ENVELOPE_CMS);
}

/* What cannot be enveloped is refused before anything is made. */
static void
test_envelope_refusals(void **state)
{
	EVP_PKEY *rsa = NULL, *sm2 = NULL, *ed = NULL, *got = NULL;
	unsigned char *env = NULL, junk[8] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };
	size_t envlen = 0;
	int format = 0;
	X509 *sm2cert, *edcert;

	(void)state;
	assert_int_equal(gp_key_generate(&rsa, GP_KEY_RSA2048), 0);
	assert_int_equal(gp_key_generate(&sm2, GP_KEY_SM2), 0);
	assert_int_equal(gp_key_generate(&ed, GP_KEY_ED25519), 0);
	sm2cert = self_cert(sm2);
	edcert = self_cert(ed);
	assert_int_equal(gp_kmc_envelope_make(&env, &envlen, &format, rsa, sm2cert), GP_E_POLICY);
	assert_null(env);
	assert_int_equal(gp_kmc_envelope_make(&env, &envlen, &format, sm2, edcert), GP_E_POLICY);
	assert_null(env);
	assert_int_equal(gp_kmc_envelope_make(&env, &envlen, &format, sm2, NULL), GP_E_INVALID);
	assert_int_equal(gp_kmc_envelope_open(NULL, NULL, junk, sizeof(junk), sm2, NULL), GP_E_INVALID);
	assert_int_equal(gp_kmc_envelope_open(&got, NULL, NULL, 0, sm2, NULL), GP_E_INVALID);
	assert_int_equal(gp_kmc_envelope_open(&got, NULL, junk, sizeof(junk), NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_kmc_envelope_open(&got, NULL, junk, sizeof(junk), sm2, NULL), GP_E_PARSE);
	assert_null(got);
	X509_free(sm2cert);
	X509_free(edcert);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(sm2);
	EVP_PKEY_free(ed);
}

/* A sealed record unseals to its key; any field of the additional data
 * changed, or another storage key, is GP_E_VERIFY with nothing returned. */
static void
test_seal(void **state)
{
	gp_kmc kmc, other;
	gp_kmc_key_info *k = NULL;
	EVP_PKEY *key = NULL, *got = NULL;

	(void)state;
	memset(&kmc, 0, sizeof(kmc));
	memset(&other, 0, sizeof(other));
	memset(kmc.key, 0x11, sizeof(kmc.key));
	memset(other.key, 0x22, sizeof(other.key));
	assert_int_equal(gp_key_generate(&key, GP_KEY_SM2), 0);
	assert_int_equal(gp_kmc_record_new(&k, key, GP_KEY_SM2, "CN=x"), 0);
	assert_int_equal(strlen(k->kid), 32);
	k->ca_id = 3;
	k->serial[0] = 0x42;
	k->serial_len = 1;
	assert_int_equal(gp_kmc_seal(k, &kmc, key), 0);
	assert_int_equal(gp_kmc_unseal(&got, &kmc, k), 0);
	assert_int_equal(EVP_PKEY_eq(got, key), 1);
	EVP_PKEY_free(got);
	got = NULL;
	assert_int_equal(gp_kmc_unseal(&got, &other, k), GP_E_VERIFY);
	assert_null(got);
	k->serial[0] = 0x43;
	assert_int_equal(gp_kmc_unseal(&got, &kmc, k), GP_E_VERIFY);
	assert_null(got);
	k->serial[0] = 0x42;
	k->ca_id = 4;
	assert_int_equal(gp_kmc_unseal(&got, &kmc, k), GP_E_VERIFY);
	k->ca_id = 3;
	k->kid[0] = k->kid[0] == 'a' ? 'b' : 'a';
	assert_int_equal(gp_kmc_unseal(&got, &kmc, k), GP_E_VERIFY);
	assert_null(got);
	EVP_PKEY_free(key);
	gp_kmc_key_info_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm2_envelope),
		cmocka_unit_test(test_cms_envelopes),
		cmocka_unit_test(test_envelope_refusals),
		cmocka_unit_test(test_seal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
