/* lib/key.c: key types, generation, classification, encrypted key files */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <govpki/key.h>

#include "error_int.h"
#include "key_p11_int.h"
#include "util.h"

/* Key files are small; anything larger is not one of ours. */
#define KEY_FILE_MAX (1024 * 1024)

/* PKCS#5 v2.1 (RFC 8018 §6.2) PBES2 with PBKDF2-HMAC-SHA256: chosen over
 * scrypt so that other tools (GnuTLS, Java, Python) can read our files. */
#define KEY_PBKDF2_ITER 100000
#define KEY_PBKDF2_SALT 16

/* RSA above this is a denial of service waiting to happen (OpenSSL's own
 * OPENSSL_RSA_MAX_MODULUS_BITS). */
#define KEY_RSA_MAX_BITS 16384

static const char *const type_names[GP_KEY__COUNT] = {
	[GP_KEY_RSA2048] = "rsa2048",
	[GP_KEY_RSA3072] = "rsa3072",
	[GP_KEY_RSA4096] = "rsa4096",
	[GP_KEY_EC_P256] = "ec-p256",
	[GP_KEY_EC_P384] = "ec-p384",
	[GP_KEY_ED25519] = "ed25519",
	[GP_KEY_SM2] = "sm2",
};

int
gp_key_type_from_name(gp_key_type *out, const char *name)
{
	int i;

	*out = GP_KEY__COUNT;
	if (name == NULL)
		return gp_err(GP_E_INVALID, "no key type given");
	for (i = 0; i < GP_KEY__COUNT; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*out = (gp_key_type)i;
			return 0;
		}
	}
	return gp_err(GP_E_INVALID, "unknown key type '%.64s' (rsa2048, rsa3072, "
	    "rsa4096, ec-p256, ec-p384, ed25519, sm2)", name);
}

const char *
gp_key_type_name(gp_key_type type)
{
	if ((int)type < 0 || type >= GP_KEY__COUNT)
		return "unknown";
	return type_names[type];
}

/* The curve name of an EC key into buf, "" when it has none. */
static void
ec_group_name(const EVP_PKEY *pkey, char *buf, size_t size)
{
	size_t len;

	buf[0] = '\0';
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    buf, size, &len) != 1)
		buf[0] = '\0';
	ERR_clear_error();
}

/*
 * OpenSSL 3.0 gives a generated or decoded SM2 key the type "SM2", but a
 * key made as "EC" on the SM2 curve (EVP_PKEY_Q_keygen(.., "EC", "SM2"))
 * stays "EC": both are SM2 keys to us.
 */
int
gp_key_is_sm2(const EVP_PKEY *pkey)
{
	char group[64];

	if (pkey == NULL)
		return 0;
	if (EVP_PKEY_is_a(pkey, "SM2"))
		return 1;
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return 0;
	ec_group_name(pkey, group, sizeof(group));
	return strcmp(group, "SM2") == 0;
}

/* An EC key (including SM2) must name its curve: explicit parameters
 * allow crafted curves (CVE-2020-0601) and are forbidden by RFC 5480 §2.1.1. */
static int
ec_check_named(const EVP_PKEY *pkey)
{
	char enc[32];
	size_t len;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING,
	    enc, sizeof(enc), &len) == 1 &&
	    strcmp(enc, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 0)
		return gp_err(GP_E_POLICY, "EC key with explicit curve parameters "
		    "refused: only named curves (P-256, P-384, SM2) are allowed");
	ERR_clear_error();
	return 0;
}

int
gp_key_classify(gp_key_type *type, int *bits, const EVP_PKEY *pkey)
{
	char group[64];
	int b, r;

	if (type != NULL)
		*type = GP_KEY__COUNT;
	if (bits != NULL)
		*bits = 0;
	if (pkey == NULL || type == NULL || bits == NULL)
		return gp_err(GP_E_INVALID, "gp_key_classify: NULL argument");
	b = EVP_PKEY_get_bits(pkey);
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		if (b < 2048)
			return gp_err(GP_E_POLICY, "RSA key of %d bits refused: at "
			    "least 2048 bits are required", b);
		if (b > KEY_RSA_MAX_BITS)
			return gp_err(GP_E_POLICY, "RSA key of %d bits refused: at "
			    "most %d bits are allowed", b, KEY_RSA_MAX_BITS);
		*type = b >= 4096 ? GP_KEY_RSA4096 :
		    b >= 3072 ? GP_KEY_RSA3072 : GP_KEY_RSA2048;
	} else if (EVP_PKEY_is_a(pkey, "SM2")) {
		if ((r = ec_check_named(pkey)) != 0)
			return r;
		*type = GP_KEY_SM2;
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		if ((r = ec_check_named(pkey)) != 0)
			return r;
		ec_group_name(pkey, group, sizeof(group));
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			*type = GP_KEY_EC_P256;
		else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			*type = GP_KEY_EC_P384;
		else if (strcmp(group, "SM2") == 0)
			*type = GP_KEY_SM2;
		else
			return gp_err(GP_E_POLICY, "EC key on curve '%s' refused: only "
			    "P-256, P-384 and SM2 are allowed",
			    group[0] ? group : "(unnamed)");
	} else if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*type = GP_KEY_ED25519;
	} else {
		const char *name = EVP_PKEY_get0_type_name(pkey);

		return gp_err(GP_E_POLICY, "%s key refused: only RSA, EC P-256/P-384, "
		    "Ed25519 and SM2 keys are allowed", name ? name : "unknown");
	}
	*bits = b;
	return 0;
}

int
gp_key_generate(EVP_PKEY **out, gp_key_type type)
{
	EVP_PKEY *pkey = NULL;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_key_generate: NULL argument");
	*out = NULL;
	switch (type) {
	case GP_KEY_RSA2048:
	case GP_KEY_RSA3072:
	case GP_KEY_RSA4096:
		/* EVP_PKEY_Q_keygen uses e = 65537 for RSA */
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)(type == GP_KEY_RSA2048 ? 2048 :
		    type == GP_KEY_RSA3072 ? 3072 : 4096));
		break;
	case GP_KEY_EC_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case GP_KEY_EC_P384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case GP_KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case GP_KEY_SM2:
		/* GM/T 0003: the provider's SM2 type signs SM2, not ECDSA */
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
		break;
	default:
		return gp_err(GP_E_INVALID, "unknown key type %d", (int)type);
	}
	if (pkey == NULL)
		return gp_err_ossl(GP_E_CRYPTO, "generating a %s key failed",
		    gp_key_type_name(type));
	*out = pkey;
	return 0;
}

int
gp_key_save(const char *path, EVP_PKEY *pkey, const char *pass, size_t passlen)
{
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *p8 = NULL;
	BIO *bio = NULL;
	char *pem;
	long pemlen;
	int r;

	if (path == NULL || pkey == NULL)
		return gp_err(GP_E_INVALID, "gp_key_save: NULL argument");
	if (pass == NULL || passlen == 0)
		return gp_err(GP_E_PASSPHRASE, "%s: an empty passphrase is not "
		    "allowed: keys never touch disk unencrypted", path);
	if (passlen > INT_MAX)
		return gp_err(GP_E_INVALID, "%s: passphrase too long", path);
	if ((p8inf = EVP_PKEY2PKCS8(pkey)) == NULL) {
		r = gp_err_ossl(GP_E_CRYPTO, "%s: cannot encode the private key", path);
		goto out;
	}
	/* salt NULL: a fresh random salt of KEY_PBKDF2_SALT bytes */
	if ((pbe = PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), KEY_PBKDF2_ITER, NULL,
	    KEY_PBKDF2_SALT, NULL, NID_hmacWithSHA256, NULL)) == NULL) {
		r = gp_err_ossl(GP_E_CRYPTO, "%s: cannot set up PBES2", path);
		goto out;
	}
	if ((p8 = PKCS8_set0_pbe_ex(pass, (int)passlen, p8inf, pbe, NULL, NULL)) == NULL) {
		r = gp_err_ossl(GP_E_CRYPTO, "%s: encrypting the private key failed", path);
		goto out;
	}
	pbe = NULL;             /* owned by p8 */
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (PEM_write_bio_PKCS8(bio, p8) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "%s: PEM encoding failed", path);
		goto out;
	}
	if ((pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = gp_err(GP_E_INTERNAL, "%s: empty PEM output", path);
		goto out;
	}
	if ((r = gp_file_write_new(path, pem, (size_t)pemlen, 0600)) != 0)
		goto out;
	r = 0;
out:
	X509_ALGOR_free(pbe);
	X509_SIG_free(p8);
	PKCS8_PRIV_KEY_INFO_free(p8inf);   /* clears the key octets */
	BIO_free(bio);
	return r;
}

/* How to bring a key file to what govpki accepts. */
#define KEY_REENCRYPT "re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc " \
	"-v2prf hmacWithSHA256 -iter 100000`"

/*
 * Keys live on disk only as PKCS#8 encrypted with PBES2 (RFC 8018 §6.2):
 * AES-256 (CBC) under a key from PBKDF2 with an HMAC of SHA-2, or from
 * scrypt (RFC 7914).  PBES1, 3DES, AES-128, PBKDF2 with HMAC-SHA1 and the
 * traditional "Proc-Type: 4,ENCRYPTED" PEM (one MD5 round for a KDF) are
 * refused, with how to re-encrypt.
 */
static int
check_pbes2(const X509_SIG *p8, const char *path)
{
	const X509_ALGOR *alg;
	PBE2PARAM *pbe2 = NULL;
	PBKDF2PARAM *kdf = NULL;
	int ok = 0, nid, prf;

	X509_SIG_get0(p8, &alg, NULL);
	if (OBJ_obj2nid(alg->algorithm) == NID_pbes2 &&
	    (pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)) != NULL &&
	    EVP_CIPHER_type(EVP_get_cipherbyobj(pbe2->encryption->algorithm)) == NID_aes_256_cbc) {
		nid = OBJ_obj2nid(pbe2->keyfunc->algorithm);
		if (nid == NID_id_scrypt)
			ok = 1;
		else if (nid == NID_id_pbkdf2 &&
		    (kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
		    pbe2->keyfunc->parameter)) != NULL && kdf->prf != NULL) {
			prf = OBJ_obj2nid(kdf->prf->algorithm);
			ok = prf == NID_hmacWithSHA256 || prf == NID_hmacWithSHA384 ||
			    prf == NID_hmacWithSHA512;
		}
	}
	PBKDF2PARAM_free(kdf);
	PBE2PARAM_free(pbe2);
	ERR_clear_error();
	if (!ok)
		return gp_err(GP_E_POLICY, "key file %s is not encrypted with AES-256 under "
		    "PBKDF2-HMAC-SHA2 or scrypt (PKCS#8 PBES2): " KEY_REENCRYPT, path);
	return 0;
}

/* An "ENCRYPTED PRIVATE KEY" block: PKCS#8 EncryptedPrivateKeyInfo
 * (RFC 5958 §3). */
static int
load_pkcs8(EVP_PKEY **out, const char *path, const unsigned char *data,
    long len, const char *pass, size_t passlen)
{
	X509_SIG *p8 = NULL;
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;
	const unsigned char *p = data;
	int r;

	if ((p8 = d2i_X509_SIG(NULL, &p, len)) == NULL || p != data + len) {
		r = gp_err_ossl(GP_E_PARSE, "%s: malformed encrypted private key", path);
		goto out;
	}
	if ((r = check_pbes2(p8, path)) != 0)
		goto out;
	/* a wrong passphrase fails here (bad padding or bad DER after it) */
	if ((p8inf = PKCS8_decrypt_ex(p8, pass, (int)passlen, NULL, NULL)) == NULL) {
		r = gp_err(GP_E_PASSPHRASE, "wrong passphrase for key file %s", path);
		goto out;
	}
	if ((*out = EVP_PKCS82PKEY_ex(p8inf, NULL, NULL)) == NULL) {
		r = gp_err_ossl(GP_E_PARSE, "%s: unsupported or malformed private key", path);
		goto out;
	}
	r = 0;
out:
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	X509_SIG_free(p8);
	return r;
}

int
gp_key_load(EVP_PKEY **out, const char *uri, const char *pass, size_t passlen)
{
	const char *path;
	unsigned char *buf = NULL, *data = NULL;
	size_t buflen = 0;
	char *name = NULL, *header = NULL;
	long len = 0;
	BIO *bio = NULL;
	int r, blocks = 0;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_key_load: NULL argument");
	*out = NULL;
	if (uri == NULL || *uri == '\0')
		return gp_err(GP_E_INVALID, "no key file given");
	if (strncmp(uri, "pkcs11:", 7) == 0)
		return gp_key_p11_load(out, uri, pass, passlen);     /* lib/key_p11.c */
	path = uri;
	/* RFC 8089: file:///abs/path, file://localhost/abs/path, file:path */
	if (strncmp(path, "file://localhost/", 17) == 0)
		path += 16;
	else if (strncmp(path, "file://", 7) == 0)
		path += 7;
	else if (strncmp(path, "file:", 5) == 0)
		path += 5;
	if (*path == '\0')
		return gp_err(GP_E_INVALID, "no key file in '%s'", uri);
	if (pass == NULL)
		passlen = 0;
	if (passlen > INT_MAX)
		return gp_err(GP_E_INVALID, "passphrase too long");

	if ((r = gp_file_read(&buf, &buflen, path, KEY_FILE_MAX)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(GP_E_NOTFOUND, "key file %s does not exist", path);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)buflen)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		OPENSSL_free(name);
		OPENSSL_free(header);
		if (data != NULL)
			OPENSSL_clear_free(data, (size_t)len);
		name = header = NULL;
		data = NULL;
		if (PEM_read_bio(bio, &name, &header, &data, &len) != 1) {
			r = gp_err(GP_E_PARSE, blocks == 0 ?
			    "%s is not a PEM key file" : "%s holds no private key", path);
			goto out;
		}
		blocks++;
		if (strcmp(name, PEM_STRING_PKCS8) == 0) {
			if (passlen == 0) {
				r = gp_err(GP_E_PASSPHRASE, "no passphrase for key file %s", path);
				goto out;
			}
			r = load_pkcs8(out, path, data, len, pass, passlen);
			goto out;
		}
		if (strcmp(name, PEM_STRING_PKCS8INF) == 0 ||
		    strcmp(name, PEM_STRING_RSA) == 0 ||
		    strcmp(name, PEM_STRING_ECPRIVATEKEY) == 0 ||
		    strcmp(name, PEM_STRING_DSA) == 0 ||
		    strcmp(name, "SM2 PRIVATE KEY") == 0) {
			r = gp_err(GP_E_POLICY, strstr(header, "ENCRYPTED") == NULL ?
			    "key file %s is not encrypted: keys must never be stored "
			    "unencrypted; encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc "
			    "-v2prf hmacWithSHA256 -iter 100000`" :
			    "key file %s is a traditional encrypted PEM (one MD5 round "
			    "derives its key): " KEY_REENCRYPT, path);
			goto out;
		}
		/* EC PARAMETERS, CERTIFICATE, PUBLIC KEY, ...: look further */
	}
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	if (data != NULL)
		OPENSSL_clear_free(data, (size_t)len);
	BIO_free(bio);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, buflen);
		free(buf);
	}
	return r;
}
