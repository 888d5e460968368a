/* tests/unit/test_p11.c: PKCS#11 URIs (RFC 7512), module and PIN sources, HSM keys in SoftHSM2 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <govpki/config.h>
#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/x509util.h>

#include "key_p11_int.h"
#include "testutil.h"

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"

/* A URI with every supported attribute is decoded, %-escapes included. */
static void
uri_full(void **state)
{
	p11_uri *u = NULL;

	(void)state;
	assert_int_equal(p11_uri_parse(&u, "pkcs11:token=CA%20HSM;manufacturer=SoftHSM%20project;"
	    "model=SoftHSM%20v2;serial=1234;slot-id=7;object=root;id=%01%ff;type=private;x-vendor=1"
	    "?module-path=/usr/lib/m.so&pin-source=/run/pin"), 0);
	assert_string_equal(u->token, "CA HSM");
	assert_string_equal(u->manufacturer, "SoftHSM project");
	assert_string_equal(u->model, "SoftHSM v2");
	assert_string_equal(u->serial, "1234");
	assert_int_equal(u->slot_id, 7);
	assert_string_equal(u->object, "root");
	assert_int_equal(u->id_len, 2);
	assert_int_equal(u->id[0], 0x01);
	assert_int_equal(u->id[1], 0xff);
	assert_string_equal(u->module_path, "/usr/lib/m.so");
	assert_string_equal(u->pin_source, "/run/pin");
	assert_true(p11_uri_match_token(u, "CA HSM", "SoftHSM project", "SoftHSM v2", "1234", 7));
	assert_false(p11_uri_match_token(u, "CA HSM", "SoftHSM project", "SoftHSM v2", "1234", 8));
	assert_false(p11_uri_match_token(u, "CA", "SoftHSM project", "SoftHSM v2", "1234", 7));
	p11_uri_free(u);
}

/* Absent attributes match any token; an empty path is a valid URI. */
static void
uri_minimal(void **state)
{
	p11_uri *u = NULL;

	(void)state;
	assert_int_equal(p11_uri_parse(&u, "pkcs11:"), 0);
	assert_null(u->token);
	assert_int_equal(u->slot_id, -1);
	assert_true(p11_uri_match_token(u, "any", "m", "x", "s", 3));
	p11_uri_free(u);
	p11_uri_free(NULL);
}

/* Every malformed URI is GP_E_INVALID with a message naming the fault. */
static void
uri_bad(void **state)
{
	static const struct { const char *uri, *msg; } cases[] = {
		{ "file:/x", "not a PKCS#11 URI" },
		{ "pkcs11:token=a;token=b", "given twice" },
		{ "pkcs11:object=a%2", "truncated" },
		{ "pkcs11:object=a%zz", "bad %-escape" },
		{ "pkcs11:object=a%00b", "NUL byte" },
		{ "pkcs11:colour=red", "unknown path attribute 'colour'" },
		{ "pkcs11:token=a?colour=red", "unknown query attribute 'colour'" },
		{ "pkcs11:token", "is not name=value" },
		{ "pkcs11:=x", "bad attribute name" },
		{ "pkcs11:slot-id=x", "bad slot-id" },
		{ "pkcs11:slot-id=-1", "bad slot-id" },
		{ "pkcs11:id=%01;id=%02", "'id' given twice" },
		{ "pkcs11:object=a;type=cert", "only private keys sign" },
		{ "pkcs11:object=a?pin-value=1&pin-source=/x", "not both" },
		{ "pkcs11:library-version=1", "not supported" },
	};
	p11_uri *u = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(p11_uri_parse(&u, cases[i].uri), GP_E_INVALID);
		assert_null(u);
		if (strstr(gp_error_last(), cases[i].msg) == NULL)
			fail_msg("%s: '%s' lacks '%s'", cases[i].uri, gp_error_last(), cases[i].msg);
	}
	assert_int_equal(p11_uri_parse(&u, NULL), GP_E_INVALID);
}

/* Percent-encoding keeps unreserved characters and escapes the rest. */
static void
pct_encode(void **state)
{
	char *e = NULL;

	(void)state;
	assert_int_equal(p11_pct_encode(&e, (const unsigned char *)"CA HSM;x=1/~", 12), 0);
	assert_string_equal(e, "CA%20HSM%3Bx%3D1%2F~");
	free(e);
}

/* The PIN comes from pin-value, pin-source, GOVPKI_PIN, then the passphrase. */
static void
pin_sources(void **state)
{
	char *dir = tu_tmpdir(), path[512], uri[600], *pin = NULL;
	size_t len = 0;
	p11_uri *u = NULL;
	FILE *f;

	(void)state;
	unsetenv("GOVPKI_PIN");
	snprintf(path, sizeof(path), "%s/pin", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("4321\r\nignored\n", f);
	fclose(f);
	snprintf(uri, sizeof(uri), "pkcs11:object=k?pin-source=%s", path);
	assert_int_equal(p11_uri_parse(&u, uri), 0);
	assert_int_equal(p11_pin(&pin, &len, u, "pass", 4), 0);
	assert_string_equal(pin, "4321");
	p11_pin_free(pin, len);
	p11_uri_free(u);

	assert_int_equal(p11_uri_parse(&u, "pkcs11:object=k?pin-value=77"), 0);
	assert_int_equal(p11_pin(&pin, &len, u, NULL, 0), 0);
	assert_string_equal(pin, "77");
	p11_pin_free(pin, len);
	p11_uri_free(u);

	assert_int_equal(p11_uri_parse(&u, "pkcs11:object=k"), 0);
	setenv("GOVPKI_PIN", "env-pin", 1);
	assert_int_equal(p11_pin(&pin, &len, u, "pass", 4), 0);
	assert_string_equal(pin, "env-pin");
	p11_pin_free(pin, len);
	setenv("GOVPKI_PIN", "", 1);
	assert_int_equal(p11_pin(&pin, &len, u, "pass", 4), GP_E_PASSPHRASE);
	unsetenv("GOVPKI_PIN");
	assert_int_equal(p11_pin(&pin, &len, u, "pass", 4), 0);
	assert_string_equal(pin, "pass");
	p11_pin_free(pin, len);
	/* nothing at all: no PIN, and no error (a logged-in token needs none) */
	assert_int_equal(p11_pin(&pin, &len, u, NULL, 0), 0);
	assert_null(pin);
	p11_uri_free(u);

	assert_int_equal(p11_uri_parse(&u, "pkcs11:object=k?pin-source=/nonexistent/pin"), 0);
	assert_int_equal(p11_pin(&pin, &len, u, NULL, 0), GP_E_NOTFOUND);
	p11_uri_free(u);
	tu_rmdir(dir);
}

/* [pkcs11] is checked for unknown keys; module and pin_file are used. */
static void
configure(void **state)
{
	char *dir = tu_tmpdir(), path[512], *m = NULL;
	gp_config *cfg = NULL;
	p11_uri *u = NULL;
	FILE *f;

	(void)state;
	unsetenv("GOVPKI_PKCS11_MODULE");
	assert_int_equal(p11_uri_parse(&u, "pkcs11:object=k"), 0);
	assert_int_equal(gp_key_p11_configure(NULL), 0);
	{
		/* nothing configured: the build's default module (p11-kit's
		 * proxy) where it is installed, else a clear error */
		struct stat st;

		if (GP_DEFAULT_P11_MODULE[0] != '\0' && stat(GP_DEFAULT_P11_MODULE, &st) == 0) {
			assert_int_equal(p11_module_path(&m, u), 0);
			assert_string_equal(m, GP_DEFAULT_P11_MODULE);
			free(m);
			m = NULL;
		} else {
			assert_int_equal(p11_module_path(&m, u), GP_E_CONFIG);
			assert_non_null(strstr(gp_error_last(), "no PKCS#11 module"));
		}
	}

	snprintf(path, sizeof(path), "%s/bad.cnf", dir);
	f = fopen(path, "w");
	fputs("[pkcs11]\nmodul = /x.so\n", f);
	fclose(f);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_key_p11_configure(cfg), GP_E_CONFIG);
	assert_non_null(strstr(gp_error_last(), "modul"));
	gp_config_free(cfg);

	snprintf(path, sizeof(path), "%s/ok.cnf", dir);
	f = fopen(path, "w");
	fprintf(f, "[pkcs11]\nmodule = %s/missing.so\n", dir);
	fclose(f);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_key_p11_configure(cfg), 0);
	gp_config_free(cfg);    /* the settings were copied */
	assert_int_equal(p11_module_path(&m, u), GP_E_NOTFOUND);
	assert_non_null(strstr(gp_error_last(), "[pkcs11] module"));
	/* the environment overrides the configuration, the URI both */
	setenv("GOVPKI_PKCS11_MODULE", "/nonexistent/env.so", 1);
	assert_int_equal(p11_module_path(&m, u), GP_E_NOTFOUND);
	assert_non_null(strstr(gp_error_last(), "GOVPKI_PKCS11_MODULE"));
	unsetenv("GOVPKI_PKCS11_MODULE");
	assert_int_equal(gp_key_p11_configure(NULL), 0);
	p11_uri_free(u);
	tu_rmdir(dir);
}

/* gp_key_load refuses pkcs11: URIs naming no key, and bad modules. */
static void
load_errors(void **state)
{
	EVP_PKEY *k = (EVP_PKEY *)1;
	char *dir = tu_tmpdir(), path[512];
	FILE *f;

	(void)state;
	assert_int_equal(gp_key_load(&k, "pkcs11:token=x", NULL, 0), GP_E_INVALID);
	assert_null(k);
	assert_non_null(strstr(gp_error_last(), "names no key"));
	assert_int_equal(gp_key_load(&k, "pkcs11:object=k?module-path=/nonexistent.so", NULL, 0),
	    GP_E_NOTFOUND);
	snprintf(path, sizeof(path), "%s/fake.so", dir);
	f = fopen(path, "w");
	fputs("not a library", f);
	fclose(f);
	setenv("GOVPKI_PKCS11_MODULE", path, 1);
	assert_int_equal(gp_key_load(&k, "pkcs11:object=k", NULL, 0), GP_E_CRYPTO);
	assert_non_null(strstr(gp_error_last(), "cannot load PKCS#11 module"));
	unsetenv("GOVPKI_PKCS11_MODULE");
	assert_int_equal(gp_key_p11_generate(NULL, "pkcs11:", "x", GP_KEY_EC_P256, NULL, 0), GP_E_INVALID);
	assert_int_equal(gp_key_p11_list(NULL, NULL, "pkcs11:", NULL, 0), GP_E_INVALID);
	gp_p11_key_info_free(NULL);
	gp_p11_key_info_list_free(NULL, 0);
	tu_rmdir(dir);
}

/* ---- with SoftHSM2: a token in a temporary folder ---- */

static char *hsm_dir;

static int
hsm_setup(void **state)
{
	char conf[600], cmd[1400];
	FILE *f;

	(void)state;
	if (access(SOFTHSM, R_OK) != 0)
		return 0;
	hsm_dir = tu_tmpdir();
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", hsm_dir);
	snprintf(cmd, sizeof(cmd), "%s/tokens", hsm_dir);
	mkdir(cmd, 0700);
	f = fopen(conf, "w");
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n", hsm_dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf, 1);
	setenv("GOVPKI_PKCS11_MODULE", SOFTHSM, 1);
	unsetenv("GOVPKI_PIN");
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free --label unit --pin 1234 "
	    "--so-pin 5678 >/dev/null");
	return system(cmd) == 0 ? 0 : -1;
}

static int
hsm_teardown(void **state)
{
	(void)state;
	gp_key_p11_shutdown();
	if (hsm_dir != NULL)
		tu_rmdir(hsm_dir);
	hsm_dir = NULL;
	return 0;
}

#define NTHREADS 4
#define NSIG 25

struct sigjob {
	EVP_PKEY *key;          /* in the token */
	EVP_PKEY *pub;          /* its public half, re-imported: an independent verifier */
	int bad;
};

/* Signs and verifies NSIG times with the shared HSM key. */
static void *
sign_thread(void *arg)
{
	struct sigjob *j = arg;
	unsigned char tbs[64], *sig = NULL;
	size_t siglen = 0;
	int i;

	for (i = 0; i < NSIG; i++) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();

		memset(tbs, i, sizeof(tbs));
		if (gp_sign_data(&sig, &siglen, j->key, tbs, sizeof(tbs)) != 0) {
			fprintf(stderr, "sign: %s\n", gp_error_last());
			j->bad++;
		} else if (EVP_DigestVerifyInit(m, NULL, EVP_PKEY_is_a(j->pub, "RSA") || EVP_PKEY_get_bits(j->pub) == 256 ?
		    EVP_sha256() : EVP_sha384(), NULL, j->pub) != 1 ||
		    EVP_DigestVerify(m, sig, siglen, tbs, sizeof(tbs)) != 1) {
			fprintf(stderr, "verify failed\n");
			j->bad++;
		}
		EVP_MD_CTX_free(m);
		gp_free(sig);
		sig = NULL;
	}
	return NULL;
}

/* Keys generated in the token are sensitive and not extractable; they load
 * by label or id, classify as their type, and sign from several threads at
 * once (libp11's session pool); wrong PIN, missing objects are refused. */
static void
hsm_keys(void **state)
{
	static const gp_key_type types[] = { GP_KEY_EC_P256, GP_KEY_EC_P384, GP_KEY_RSA2048 };
	gp_p11_key_info *k = NULL, **list = NULL;
	EVP_PKEY *key = NULL, *pub = NULL;
	gp_key_type kt;
	pthread_t th[NTHREADS];
	struct sigjob jobs[NTHREADS];
	char label[32], uri[512];
	size_t n = 0, i;
	int bits, t;

	(void)state;
	if (hsm_dir == NULL)
		tu_skip("SoftHSM2 is not installed at " SOFTHSM " (scripts/test.sh installs it)");
	/* a wrong PIN first: nothing is made */
	assert_int_equal(gp_key_p11_generate(&k, "pkcs11:token=unit", "w", GP_KEY_EC_P256, "0000", 4),
	    GP_E_PASSPHRASE);
	assert_null(k);
	assert_int_equal(gp_key_p11_generate(&k, "pkcs11:token=nosuch", "w", GP_KEY_EC_P256, "1234", 4),
	    GP_E_NOTFOUND);
	assert_int_equal(gp_key_p11_generate(&k, "pkcs11:token=unit", "w", GP_KEY_ED25519, "1234", 4),
	    GP_E_INVALID);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		snprintf(label, sizeof(label), "k%zu", i);
		assert_int_equal(gp_key_p11_generate(&k, "pkcs11:token=unit", label, types[i], "1234", 4), 0);
		assert_int_equal(k->sensitive, 1);
		assert_int_equal(k->extractable, 0);
		assert_int_equal(k->never_extractable, 1);
		assert_true(k->has_public);
		assert_string_equal(k->label, label);
		/* the URI it reports loads the key */
		assert_int_equal(gp_key_load(&key, k->uri, "1234", 4), 0);
		assert_int_equal(gp_key_classify(&kt, &bits, key), 0);
		assert_int_equal(kt, types[i]);
		{
			unsigned char *der = NULL;
			const unsigned char *p;
			int dl = i2d_PUBKEY(key, &der);

			assert_true(dl > 0);
			p = der;
			pub = d2i_PUBKEY(NULL, &p, dl);
			assert_non_null(pub);
			OPENSSL_free(der);
		}
		for (t = 0; t < NTHREADS; t++) {
			jobs[t].pub = pub;
			jobs[t].key = key;
			jobs[t].bad = 0;
			assert_int_equal(pthread_create(&th[t], NULL, sign_thread, &jobs[t]), 0);
		}
		for (t = 0; t < NTHREADS; t++) {
			pthread_join(th[t], NULL);
			assert_int_equal(jobs[t].bad, 0);
		}
		EVP_PKEY_free(key);
		EVP_PKEY_free(pub);
		key = pub = NULL;
		gp_p11_key_info_free(k);
		k = NULL;
	}
	assert_int_equal(gp_key_p11_generate(&k, "pkcs11:token=unit", "k0", GP_KEY_EC_P256, "1234", 4),
	    GP_E_EXISTS);
	assert_int_equal(gp_key_p11_list(&list, &n, "pkcs11:token=unit", "1234", 4), 0);
	assert_int_equal(n, 3);
	gp_p11_key_info_list_free(list, n);
	assert_int_equal(gp_key_p11_list(&list, &n, "pkcs11:token=unit;object=k1", "1234", 4), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0]->kind, "ec");
	assert_int_equal(list[0]->bits, 384);
	gp_p11_key_info_list_free(list, n);
	/* loading: missing object, missing token */
	assert_int_equal(gp_key_load(&key, "pkcs11:token=unit;object=nosuch", "1234", 4), GP_E_NOTFOUND);
	assert_int_equal(gp_key_load(&key, "pkcs11:token=nosuch;object=k0", "1234", 4), GP_E_NOTFOUND);
	assert_non_null(strstr(gp_error_last(), "tokens: 'unit'"));
	snprintf(uri, sizeof(uri), "pkcs11:token=unit;id=%%00");
	assert_int_equal(gp_key_load(&key, uri, "1234", 4), GP_E_NOTFOUND);
	assert_null(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uri_full),
		cmocka_unit_test(uri_minimal),
		cmocka_unit_test(uri_bad),
		cmocka_unit_test(pct_encode),
		cmocka_unit_test(pin_sources),
		cmocka_unit_test(configure),
		cmocka_unit_test(load_errors),
		cmocka_unit_test_setup_teardown(hsm_keys, hsm_setup, hsm_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
