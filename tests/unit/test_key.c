/* tests/unit/test_key.c: key types, generation, classification, key files, passphrases */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/x509util.h>

/* Made once with `openssl ecparam -name prime256v1 -param_enc explicit -genkey`. */
static const char explicit_ec_pem[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MIIBaAIBAQQgSgFAk4OgXMtSfm1tfDaXHLyO0A5WDJzlC66u7aOk+p2ggfowgfcC\n"
    "AQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAAAAAAAAAAAAAA////////////////\n"
    "MFsEIP////8AAAABAAAAAAAAAAAAAAAA///////////////8BCBaxjXYqjqT57Pr\n"
    "vVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSdNgiG5wSTamZ44ROdJreBn36QBEEE\n"
    "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpZP40Li/hp/m47n60p8D54W\n"
    "K84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA//////////+85vqtpxeehPO5ysL8\n"
    "YyVRAgEBoUQDQgAERUFIL75r5GTb0pPX+mFLPt04ol/VEMt25HWhlXiA+x6Wr4A8\n"
    "hoQHz1qmodAxcbozMQC4PK/nykfBW8KRvIY2Gw==\n"
    "-----END EC PRIVATE KEY-----\n";

#define PASS "correct horse battery staple"

/* ---- helpers ---- */

static char tmpdir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/gp_test_key.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* A path in the test folder. */
static const char *
tpath(const char *name)
{
	static char buf[4][256];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", tmpdir, name);
	return buf[n];
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static EVP_PKEY *
pem_key(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

	BIO_free(bio);
	assert_non_null(k);
	return k;
}

static void
assert_msg(const char *needle)
{
	if (strstr(gp_error_last(), needle) == NULL)
		fail_msg("message '%s' lacks '%s'", gp_error_last(), needle);
}

/* ---- key type names ---- */

/* Every type's name maps back to it; unknown names and NULLs fail. */
static void
test_type_names(void **state)
{
	gp_key_type t;
	int i;

	(void)state;
	for (i = 0; i < GP_KEY__COUNT; i++) {
		assert_int_equal(gp_key_type_from_name(&t, gp_key_type_name((gp_key_type)i)), 0);
		assert_int_equal(t, i);
	}
	assert_string_equal(gp_key_type_name(GP_KEY_SM2), "sm2");
	assert_string_equal(gp_key_type_name(GP_KEY_EC_P256), "ec-p256");
	assert_string_equal(gp_key_type_name(GP_KEY__COUNT), "unknown");
	assert_string_equal(gp_key_type_name((gp_key_type)-1), "unknown");
	assert_int_equal(gp_key_type_from_name(&t, "rsa1024"), GP_E_INVALID);
	assert_msg("rsa1024");
	assert_int_equal(gp_key_type_from_name(&t, "SM2"), GP_E_INVALID);
	assert_int_equal(gp_key_type_from_name(&t, ""), GP_E_INVALID);
	assert_int_equal(gp_key_type_from_name(&t, NULL), GP_E_INVALID);
}

/* ---- per key type: generate, classify, save, load ---- */

static const struct { gp_key_type type; int bits; } kts[GP_KEY__COUNT] = {
	{ GP_KEY_RSA2048, 2048 }, { GP_KEY_RSA3072, 3072 }, { GP_KEY_RSA4096, 4096 },
	{ GP_KEY_EC_P256, 256 }, { GP_KEY_EC_P384, 384 }, { GP_KEY_ED25519, 256 },
	{ GP_KEY_SM2, 256 },
};

/* Generate, classify, save encrypted (0600, no overwrite), load back with
 * the right passphrase (same key, SM2 stays SM2), refuse a wrong one. */
static void
test_key_roundtrip(void **state)
{
	const gp_key_type type = kts[(intptr_t)*state].type;
	char name[64], uri[300];
	EVP_PKEY *key = NULL, *back = (EVP_PKEY *)1;
	gp_key_type got;
	struct stat st;
	unsigned char *file;
	X509_REQ *req;
	const char *path;
	int bits;
	FILE *f;
	long n;

	assert_int_equal(gp_key_generate(&key, type), 0);
	assert_int_equal(gp_key_classify(&got, &bits, key), 0);
	assert_int_equal(got, type);
	assert_int_equal(bits, kts[(intptr_t)*state].bits);
	assert_int_equal(gp_key_is_sm2(key), type == GP_KEY_SM2);

	snprintf(name, sizeof(name), "%s.pem", gp_key_type_name(type));
	path = tpath(name);
	assert_int_equal(gp_key_save(path, key, PASS, strlen(PASS)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the file is PKCS#8 EncryptedPrivateKeyInfo, nothing in the clear */
	f = fopen(path, "rb");
	file = calloc(1, 16384);
	n = (long)fread(file, 1, 16383, f);
	fclose(f);
	assert_true(n > 0);
	assert_non_null(strstr((char *)file, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
	free(file);
	/* never overwritten */
	assert_int_equal(gp_key_save(path, key, PASS, strlen(PASS)), GP_E_EXISTS);

	assert_int_equal(gp_key_load(&back, path, PASS, strlen(PASS)), 0);
	assert_int_equal(EVP_PKEY_eq(key, back), 1);
	assert_int_equal(gp_key_classify(&got, &bits, back), 0);
	assert_int_equal(got, type);
	assert_int_equal(gp_key_is_sm2(back), type == GP_KEY_SM2);
	/* the reloaded key signs a CSR that verifies */
	req = X509_REQ_new();
	assert_int_equal(X509_REQ_set_pubkey(req, back), 1);
	assert_int_equal(gp_req_sign(req, back), 0);
	assert_int_equal(gp_req_verify(req), 0);
	X509_REQ_free(req);
	EVP_PKEY_free(back);

	/* file: URIs */
	snprintf(uri, sizeof(uri), "file:%s", path);
	assert_int_equal(gp_key_load(&back, uri, PASS, strlen(PASS)), 0);
	EVP_PKEY_free(back);
	snprintf(uri, sizeof(uri), "file://%s", path);
	assert_int_equal(gp_key_load(&back, uri, PASS, strlen(PASS)), 0);
	EVP_PKEY_free(back);

	/* a wrong passphrase, a prefix of the right one, none */
	back = (EVP_PKEY *)1;
	assert_int_equal(gp_key_load(&back, path, "wrong", 5), GP_E_PASSPHRASE);
	assert_null(back);
	assert_msg("wrong passphrase for key file");
	assert_msg(path);
	assert_int_equal(gp_key_load(&back, path, PASS, strlen(PASS) - 1), GP_E_PASSPHRASE);
	assert_int_equal(gp_key_load(&back, path, NULL, 0), GP_E_PASSPHRASE);
	EVP_PKEY_free(key);
}

/* ---- classification ---- */

/* Keys we never accept are GP_E_POLICY with a message naming them. */
static void
test_classify_refused(void **state)
{
	EVP_PKEY *k;
	gp_key_type t = GP_KEY_RSA2048;
	int bits = 1;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_int_equal(gp_key_classify(&t, &bits, k), GP_E_POLICY);
	assert_msg("RSA key of 1024 bits");
	assert_int_equal(t, GP_KEY__COUNT);
	assert_int_equal(bits, 0);
	EVP_PKEY_free(k);

	k = pem_key(explicit_ec_pem);
	assert_int_equal(gp_key_classify(&t, &bits, k), GP_E_POLICY);
	assert_msg("explicit");
	EVP_PKEY_free(k);

	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	assert_int_equal(gp_key_classify(&t, &bits, k), GP_E_POLICY);
	assert_msg("secp256k1");
	EVP_PKEY_free(k);

	k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	assert_int_equal(gp_key_classify(&t, &bits, k), GP_E_POLICY);
	assert_msg("X25519");
	EVP_PKEY_free(k);

	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	assert_int_equal(gp_key_classify(&t, &bits, k), GP_E_POLICY);
	assert_msg("ED448");
	EVP_PKEY_free(k);

	assert_int_equal(gp_key_classify(&t, &bits, NULL), GP_E_INVALID);
}

/* RSA sizes between the classes report the class below; an "EC" key on
 * the SM2 curve is SM2; a public key classifies like its private one. */
static void
test_classify_other(void **state)
{
	EVP_PKEY *k, *pub;
	gp_key_type t;
	int bits;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2560);
	assert_int_equal(gp_key_classify(&t, &bits, k), 0);
	assert_int_equal(t, GP_KEY_RSA2048);
	assert_int_equal(bits, 2560);
	EVP_PKEY_free(k);

	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "SM2");
	assert_true(gp_key_is_sm2(k));
	assert_int_equal(gp_key_classify(&t, &bits, k), 0);
	assert_int_equal(t, GP_KEY_SM2);
	EVP_PKEY_free(k);

	assert_int_equal(gp_key_generate(&k, GP_KEY_SM2), 0);
	len = i2d_PUBKEY(k, &der);
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	assert_non_null(pub);
	assert_true(gp_key_is_sm2(pub));
	assert_int_equal(gp_key_classify(&t, &bits, pub), 0);
	assert_int_equal(t, GP_KEY_SM2);
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);

	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_false(gp_key_is_sm2(k));
	EVP_PKEY_free(k);
	assert_false(gp_key_is_sm2(NULL));
}

/* ---- generation and saving: bad input ---- */

/* Unknown types, NULLs, empty passphrases, a missing folder. */
static void
test_generate_save_bad(void **state)
{
	EVP_PKEY *k = (EVP_PKEY *)1;

	(void)state;
	assert_int_equal(gp_key_generate(&k, GP_KEY__COUNT), GP_E_INVALID);
	assert_null(k);
	assert_int_equal(gp_key_generate(&k, (gp_key_type)-1), GP_E_INVALID);
	assert_int_equal(gp_key_generate(NULL, GP_KEY_SM2), GP_E_INVALID);

	assert_int_equal(gp_key_generate(&k, GP_KEY_EC_P256), 0);
	assert_int_equal(gp_key_save(tpath("empty.pem"), k, "", 0), GP_E_PASSPHRASE);
	assert_msg("unencrypted");
	assert_int_equal(access(tpath("empty.pem"), F_OK), -1);
	assert_int_equal(gp_key_save(tpath("null.pem"), k, NULL, 5), GP_E_PASSPHRASE);
	assert_int_equal(gp_key_save(NULL, k, PASS, 4), GP_E_INVALID);
	assert_int_equal(gp_key_save(tpath("nokey.pem"), NULL, PASS, 4), GP_E_INVALID);
	assert_int_equal(gp_key_save(tpath("no/such/dir.pem"), k, PASS, 4), GP_E_IO);
	EVP_PKEY_free(k);
}

/* ---- loading: bad files ---- */

/* Missing, garbage, unencrypted (PKCS#8 and traditional), PKCS#11 URIs,
 * files without a key, and NULLs. */
static void
test_load_bad(void **state)
{
	EVP_PKEY *k = NULL, *back = (EVP_PKEY *)1;
	BIO *bio;
	char *pem;
	long len;

	(void)state;
	assert_int_equal(gp_key_load(&back, tpath("missing.pem"), PASS, 4), GP_E_NOTFOUND);
	assert_null(back);
	assert_msg("missing.pem");

	write_file(tpath("garbage.pem"), "not a key at all\n", 17);
	assert_int_equal(gp_key_load(&back, tpath("garbage.pem"), PASS, 4), GP_E_PARSE);
	assert_msg("garbage.pem");
	write_file(tpath("zero.pem"), "", 0);
	assert_int_equal(gp_key_load(&back, tpath("zero.pem"), PASS, 4), GP_E_PARSE);

	/* unencrypted PKCS#8 */
	assert_int_equal(gp_key_generate(&k, GP_KEY_EC_P256), 0);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	len = BIO_get_mem_data(bio, &pem);
	write_file(tpath("plain8.pem"), pem, (size_t)len);
	BIO_free(bio);
	assert_int_equal(gp_key_load(&back, tpath("plain8.pem"), PASS, 4), GP_E_POLICY);
	assert_msg("not encrypted");
	assert_null(back);

	/* unencrypted traditional EC, after an EC PARAMETERS block */
	write_file(tpath("plain_ec.pem"), explicit_ec_pem, strlen(explicit_ec_pem));
	assert_int_equal(gp_key_load(&back, tpath("plain_ec.pem"), PASS, 4), GP_E_POLICY);
	assert_msg("not encrypted");

	/* a PEM file with no private key in it */
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	len = BIO_get_mem_data(bio, &pem);
	write_file(tpath("pub.pem"), pem, (size_t)len);
	BIO_free(bio);
	assert_int_equal(gp_key_load(&back, tpath("pub.pem"), PASS, 4), GP_E_PARSE);
	assert_msg("no private key");

	/* a corrupted encrypted key */
	pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
	    "MAMCAQA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
	write_file(tpath("corrupt.pem"), pem, strlen(pem));
	assert_int_equal(gp_key_load(&back, tpath("corrupt.pem"), PASS, 4), GP_E_PARSE);

	/* a PKCS#11 URI with no module named anywhere (test_p11 covers tokens):
	 * the build's default module (p11-kit's proxy) where it is installed,
	 * which has no token "ca"; else a clear error */
	unsetenv("GOVPKI_PKCS11_MODULE");
	{
		struct stat st;

		if (GP_DEFAULT_P11_MODULE[0] != '\0' && stat(GP_DEFAULT_P11_MODULE, &st) == 0) {
			assert_int_equal(gp_key_load(&back, "pkcs11:token=ca;object=root", PASS, 4),
			    GP_E_NOTFOUND);
		} else {
			assert_int_equal(gp_key_load(&back, "pkcs11:token=ca;object=root", PASS, 4),
			    GP_E_CONFIG);
			assert_msg("no PKCS#11 module");
		}
	}
	assert_int_equal(gp_key_load(&back, "", PASS, 4), GP_E_INVALID);
	assert_int_equal(gp_key_load(&back, "file:", PASS, 4), GP_E_INVALID);
	assert_int_equal(gp_key_load(&back, NULL, PASS, 4), GP_E_INVALID);
	assert_int_equal(gp_key_load(NULL, tpath("plain8.pem"), PASS, 4), GP_E_INVALID);
	EVP_PKEY_free(k);
}

/* Only PKCS#8 PBES2 with AES-256 and PBKDF2-HMAC-SHA2 (or scrypt) loads:
 * a traditional encrypted PEM ("Proc-Type: 4,ENCRYPTED", one MD5 round),
 * PBES1 3DES, PBES2 AES-128 and PBKDF2 with HMAC-SHA1 are refused even
 * with the right passphrase, with how to re-encrypt; an AES-256 key under
 * scrypt loads.  Our own key files are PBES2, PBKDF2-HMAC-SHA256,
 * AES-256-CBC. */
static void
write_pkcs8(EVP_PKEY *k, const char *name, const EVP_CIPHER *c, int pbe1_nid, int prf_nid,
    int scrypt)
{
	X509_ALGOR *alg;
	X509_SIG *p8;
	PKCS8_PRIV_KEY_INFO *inf = EVP_PKEY2PKCS8(k);
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long len;

	if (scrypt)
		alg = PKCS5_pbe2_set_scrypt(c, NULL, 16, NULL, 1024, 8, 1);
	else if (c == NULL)
		alg = PKCS5_pbe_set(pbe1_nid, 2048, NULL, 16);
	else
		alg = PKCS5_pbe2_set_iv(c, 2048, NULL, 16, NULL, prf_nid);
	assert_non_null(alg);
	assert_non_null(p8 = PKCS8_set0_pbe(PASS, (int)strlen(PASS), inf, alg));
	assert_int_equal(PEM_write_bio_PKCS8(bio, p8), 1);
	len = BIO_get_mem_data(bio, &pem);
	write_file(tpath(name), pem, (size_t)len);
	BIO_free(bio);
	X509_SIG_free(p8);
	PKCS8_PRIV_KEY_INFO_free(inf);
}

static void
test_load_weak_encryption(void **state)
{
	EVP_PKEY *k = NULL, *back = NULL;
	BIO *bio;
	char *pem;
	long len;
	X509_SIG *p8;
	const X509_ALGOR *alg;

	(void)state;
	assert_int_equal(gp_key_generate(&k, GP_KEY_EC_P256), 0);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, k,
	    EVP_aes_256_cbc(), (unsigned char *)PASS, (int)strlen(PASS), NULL, NULL), 1);
	len = BIO_get_mem_data(bio, &pem);
	assert_non_null(strstr(pem, "Proc-Type: 4,ENCRYPTED"));
	write_file(tpath("legacy.pem"), pem, (size_t)len);
	BIO_free(bio);
	assert_int_equal(gp_key_load(&back, tpath("legacy.pem"), PASS, strlen(PASS)), GP_E_POLICY);
	assert_msg("traditional encrypted PEM");
	assert_msg("openssl pkcs8 -topk8 -v2 aes-256-cbc");
	assert_null(back);

	write_pkcs8(k, "3des.pem", NULL, NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 0, 0);
	write_pkcs8(k, "aes128.pem", EVP_aes_128_cbc(), 0, NID_hmacWithSHA256, 0);
	write_pkcs8(k, "sha1prf.pem", EVP_aes_256_cbc(), 0, NID_hmacWithSHA1, 0);
	write_pkcs8(k, "ok.pem", EVP_aes_256_cbc(), 0, NID_hmacWithSHA512, 0);
	write_pkcs8(k, "scrypt.pem", EVP_aes_256_cbc(), 0, 0, 1);
	assert_int_equal(gp_key_load(&back, tpath("3des.pem"), PASS, strlen(PASS)), GP_E_POLICY);
	assert_msg("not encrypted with AES-256");
	assert_int_equal(gp_key_load(&back, tpath("aes128.pem"), PASS, strlen(PASS)), GP_E_POLICY);
	assert_int_equal(gp_key_load(&back, tpath("sha1prf.pem"), PASS, strlen(PASS)), GP_E_POLICY);
	assert_null(back);
	assert_int_equal(gp_key_load(&back, tpath("ok.pem"), PASS, strlen(PASS)), 0);
	assert_int_equal(EVP_PKEY_eq(k, back), 1);
	EVP_PKEY_free(back);
	back = NULL;
	assert_int_equal(gp_key_load(&back, tpath("scrypt.pem"), PASS, strlen(PASS)), 0);
	EVP_PKEY_free(back);
	back = NULL;

	/* what gp_key_save writes: PBES2, PBKDF2 with HMAC-SHA256, AES-256-CBC */
	assert_int_equal(gp_key_save(tpath("ours.pem"), k, PASS, strlen(PASS)), 0);
	assert_non_null(bio = BIO_new_file(tpath("ours.pem"), "r"));
	assert_non_null(p8 = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL));
	X509_SIG_get0(p8, &alg, NULL);
	assert_int_equal(OBJ_obj2nid(alg->algorithm), NID_pbes2);
	PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
	assert_non_null(pbe2);
	assert_int_equal(OBJ_obj2nid(pbe2->encryption->algorithm), NID_aes_256_cbc);
	assert_int_equal(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_pbkdf2);
	PBKDF2PARAM *kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
	    pbe2->keyfunc->parameter);
	assert_non_null(kdf);
	assert_non_null(kdf->prf);
	assert_int_equal(OBJ_obj2nid(kdf->prf->algorithm), NID_hmacWithSHA256);
	assert_int_equal(ASN1_INTEGER_get(kdf->iter), 100000);
	PBKDF2PARAM_free(kdf);
	PBE2PARAM_free(pbe2);
	X509_SIG_free(p8);
	BIO_free(bio);
	EVP_PKEY_free(k);
}

/* ---- passphrases ---- */

/* The first line of the file, without "\n" or "\r\n". */
static void
test_pass_file(void **state)
{
	static const struct {
		const char *content;
		const char *want;
	} cases[] = {
		{ "secret", "secret" },
		{ "secret\n", "secret" },
		{ "secret\r\n", "secret" },
		{ "secret\nsecond line\n", "secret" },
		{ "with space \n", "with space " },
		{ "\xe5\xaf\x86\xe7\xa0\x81\n", "\xe5\xaf\x86\xe7\xa0\x81" },
	};
	char *p = NULL;
	size_t len = 0, i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(tpath("pass"), cases[i].content, strlen(cases[i].content));
		assert_int_equal(gp_pass_get(&p, &len, tpath("pass"), NULL), 0);
		assert_string_equal(p, cases[i].want);
		assert_int_equal(len, strlen(cases[i].want));
		gp_pass_free(p, len);
		unlink(tpath("pass"));
	}
	/* the file wins over the environment */
	write_file(tpath("pass"), "fromfile\n", 9);
	setenv("GOVPKI_PASSPHRASE", "fromenv", 1);
	assert_int_equal(gp_pass_get(&p, &len, tpath("pass"), NULL), 0);
	assert_string_equal(p, "fromfile");
	gp_pass_free(p, len);
	unsetenv("GOVPKI_PASSPHRASE");
}

/* Missing and empty pass files are errors naming the file. */
static void
test_pass_file_bad(void **state)
{
	static const char *const empties[] = { "", "\n", "\r\n", "\nsecond\n" };
	char *p = (char *)1;
	size_t len = 1, i;

	(void)state;
	assert_int_equal(gp_pass_get(&p, &len, tpath("nopass"), NULL), GP_E_NOTFOUND);
	assert_null(p);
	assert_int_equal(len, 0);
	assert_msg("nopass");
	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		write_file(tpath("emptypass"), empties[i], strlen(empties[i]));
		assert_int_equal(gp_pass_get(&p, &len, tpath("emptypass"), NULL),
		    GP_E_PASSPHRASE);
		assert_msg("emptypass");
		assert_null(p);
	}
	assert_int_equal(gp_pass_get(NULL, &len, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_pass_get(&p, NULL, NULL, NULL), GP_E_INVALID);
	gp_pass_free(NULL, 0);
}

/* GOVPKI_PASSPHRASE; set but empty is an error; with nothing at all and
 * no terminal on stdin, GP_E_PASSPHRASE. */
static void
test_pass_env(void **state)
{
	char *p = NULL;
	size_t len = 0;
	int fd, saved;

	(void)state;
	setenv("GOVPKI_PASSPHRASE", "env secret", 1);
	assert_int_equal(gp_pass_get(&p, &len, NULL, "Pass: "), 0);
	assert_string_equal(p, "env secret");
	assert_int_equal(len, 10);
	gp_pass_free(p, len);
	setenv("GOVPKI_PASSPHRASE", "", 1);
	assert_int_equal(gp_pass_get(&p, &len, NULL, NULL), GP_E_PASSPHRASE);
	assert_msg("GOVPKI_PASSPHRASE");
	unsetenv("GOVPKI_PASSPHRASE");

	/* stdin from /dev/null so that no prompt can appear */
	saved = dup(0);
	fd = open("/dev/null", O_RDONLY);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	assert_int_equal(gp_pass_get(&p, &len, NULL, NULL), GP_E_PASSPHRASE);
	assert_msg("no passphrase: use --pass-file, GOVPKI_PASSPHRASE or a terminal");
	assert_null(p);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
}

/* A passphrase from a file unlocks a key saved with it. */
static void
test_pass_and_key(void **state)
{
	EVP_PKEY *k = NULL, *back = NULL;
	char *p = NULL;
	size_t len = 0;

	(void)state;
	write_file(tpath("sm2pass"), PASS "\r\n", strlen(PASS) + 2);
	assert_int_equal(gp_pass_get(&p, &len, tpath("sm2pass"), NULL), 0);
	assert_int_equal(gp_key_generate(&k, GP_KEY_SM2), 0);
	assert_int_equal(gp_key_save(tpath("sm2b.pem"), k, p, len), 0);
	assert_int_equal(gp_key_load(&back, tpath("sm2b.pem"), PASS, strlen(PASS)), 0);
	assert_true(gp_key_is_sm2(back));
	gp_pass_free(p, len);
	EVP_PKEY_free(back);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test_prestate(test_key_roundtrip, (void *)0),
		cmocka_unit_test_prestate(test_key_roundtrip, (void *)1),
		cmocka_unit_test_prestate(test_key_roundtrip, (void *)2),
		cmocka_unit_test_prestate(test_key_roundtrip, (void *)3),
		cmocka_unit_test_prestate(test_key_roundtrip, (void *)4),
		cmocka_unit_test_prestate(test_key_roundtrip, (void *)5),
		cmocka_unit_test_prestate(test_key_roundtrip, (void *)6),
		cmocka_unit_test(test_classify_refused),
		cmocka_unit_test(test_classify_other),
		cmocka_unit_test(test_generate_save_bad),
		cmocka_unit_test(test_load_bad),
		cmocka_unit_test(test_load_weak_encryption),
		cmocka_unit_test(test_pass_file),
		cmocka_unit_test(test_pass_file_bad),
		cmocka_unit_test(test_pass_env),
		cmocka_unit_test(test_pass_and_key),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
