/* ca/kmc.c: the key management centre: the storage key, key generation and escrow */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <govpki/audit.h>
#include <govpki/kmc.h>

#include "ca_int.h"
#include "error_int.h"
#include "kmc_int.h"
#include "store_kmc_int.h"
#include "util.h"

/*
 * The storage key file: PEM "GOVPKI KMC STORAGE KEY" around
 *   "GPKMCSK1" | log2 N (1) | r (4) | p (4) | salt (16) | iv (12) |
 *   AES-256-GCM(storage key, 32 bytes) | tag (16)
 * the key of the GCM being scrypt(passphrase, salt, N, r, p) (RFC 7914
 * §2), the 33 bytes before the ciphertext its additional data.  A wrong
 * passphrase fails the tag (GP_E_PASSPHRASE).
 */
#define SK_PEM_NAME "GOVPKI KMC STORAGE KEY"
#define SK_MAGIC "GPKMCSK1"
#define SK_LOG2N 15
#define SK_R 8
#define SK_P 1
#define SALT_LEN 16
#define IV_LEN 12               /* NIST SP 800-38D §5.2.1.1: 96-bit IVs */
#define TAG_LEN 16
#define SK_HDR (8 + 1 + 4 + 4 + SALT_LEN + IV_LEN)
#define SK_LEN (SK_HDR + 32 + TAG_LEN)
/* meta: HMAC-SHA256(storage key, CHECK_LABEL) in hex, which tells a
 * storage key that is not this store's from a damaged record */
#define META_CHECK "kmc.key_check"
#define CHECK_LABEL "govpki kmc storage key check v1"
/* escrow blob: version (1) | iv (12) | ciphertext | tag (16) */
#define WRAP_V1 1
#define WRAP_MIN (1 + IV_LEN + TAG_LEN + 1)
#define AAD_LABEL "govpki kmc escrow v1"

/* ------------------------------------------------------------ AES-256-GCM */

static int
gcm(int enc, const unsigned char key[32], const unsigned char iv[IV_LEN],
    const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t inlen,
    unsigned char *out, unsigned char tag[TAG_LEN])
{
	EVP_CIPHER_CTX *c = NULL;
	int n = 0, r = GP_E_CRYPTO;

	if (inlen > INT_MAX || aadlen > INT_MAX)
		return gp_err(GP_E_INVALID, "kmc: data too long");
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1) ||
	    EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)inlen) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: AES-256-GCM failed");
		goto out;
	}
	if (EVP_CipherFinal_ex(c, out + n, &n) != 1) {
		/* only a decryption fails here: the tag did not match */
		ERR_clear_error();
		r = GP_E_VERIFY;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: AES-256-GCM failed");
		goto out;
	}
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	if (r != 0 && !enc)
		OPENSSL_cleanse(out, inlen);
	return r;
}

/* ------------------------------------------------------------ storage key file */

static int
scrypt_key(unsigned char key[32], const char *pass, size_t passlen, const unsigned char *salt,
    unsigned log2n, uint32_t rr, uint32_t pp)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	uint64_t n = (uint64_t)1 << log2n;
	OSSL_PARAM params[6];
	int rc;

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		EVP_KDF_free(kdf);
		return gp_err_ossl(GP_E_CRYPTO, "kmc: scrypt is not available");
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, passlen);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN);
	params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &rr);
	params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &pp);
	params[5] = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, key, 32, params);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	if (rc != 1)
		return gp_err_ossl(GP_E_CRYPTO, "kmc: scrypt failed");
	return 0;
}

static int
sk_path(char **out, gp_ctx *ctx)
{
	size_t len = strlen(ctx->keys_dir) + sizeof(GP_KMC_STORAGE_KEY_FILE) + 1;

	if ((*out = malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(*out, len, "%s/%s", ctx->keys_dir, GP_KMC_STORAGE_KEY_FILE);
	return 0;
}

/* The file's PEM text for key under pass (malloc'ed, *len bytes). */
static int
sk_encode(char **out, size_t *outlen, const unsigned char key[32], const char *pass, size_t passlen)
{
	unsigned char buf[SK_LEN], fk[32];
	BIO *b = NULL;
	char *data;
	long n;
	int r;

	*out = NULL;
	memcpy(buf, SK_MAGIC, 8);
	buf[8] = SK_LOG2N;
	gp_put_be32(buf + 9, SK_R);
	gp_put_be32(buf + 13, SK_P);
	if (RAND_bytes(buf + 17, SALT_LEN + IV_LEN) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "kmc: no random bytes");
	if ((r = scrypt_key(fk, pass, passlen, buf + 17, SK_LOG2N, SK_R, SK_P)) != 0 ||
	    (r = gcm(1, fk, buf + 17 + SALT_LEN, buf, SK_HDR, key, 32, buf + SK_HDR,
	    buf + SK_HDR + 32)) != 0)
		goto out;
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio(b, SK_PEM_NAME, "", buf, SK_LEN) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: writing the storage key");
		goto out;
	}
	n = BIO_get_mem_data(b, &data);
	if ((*out = malloc((size_t)n)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*out, data, (size_t)n);
	*outlen = (size_t)n;
	r = 0;
out:
	OPENSSL_cleanse(fk, sizeof(fk));
	OPENSSL_cleanse(buf, sizeof(buf));
	BIO_free(b);
	return r;
}

static int
sk_decode(unsigned char key[32], const unsigned char *pem, size_t pemlen, const char *path,
    const char *pass, size_t passlen)
{
	BIO *b = NULL;
	char *name = NULL, *hdr = NULL;
	unsigned char *data = NULL, fk[32];
	long len = 0;
	int r;

	if (pemlen > INT_MAX || (b = BIO_new_mem_buf(pem, (int)pemlen)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if (PEM_read_bio(b, &name, &hdr, &data, &len) != 1 || strcmp(name, SK_PEM_NAME) != 0 ||
	    len != SK_LEN || memcmp(data, SK_MAGIC, 8) != 0) {
		ERR_clear_error();
		r = gp_err(GP_E_VERIFY, "%s is not a KMC storage key file (or is damaged)", path);
		goto out;
	}
	if (data[8] < 10 || data[8] > 22 || gp_get_be32(data + 9) == 0 ||
	    gp_get_be32(data + 9) > 32 || gp_get_be32(data + 13) == 0 || gp_get_be32(data + 13) > 16) {
		r = gp_err(GP_E_VERIFY, "%s is damaged: scrypt parameters out of range", path);
		goto out;
	}
	if ((r = scrypt_key(fk, pass, passlen, data + 17, data[8], gp_get_be32(data + 9),
	    gp_get_be32(data + 13))) != 0)
		goto out;
	r = gcm(0, fk, data + 17 + SALT_LEN, data, SK_HDR, data + SK_HDR, 32, key,
	    data + SK_HDR + 32);
	if (r == GP_E_VERIFY)
		r = gp_err(GP_E_PASSPHRASE, "wrong passphrase for the KMC storage key %s "
		    "(or the file is damaged)", path);
out:
	OPENSSL_cleanse(fk, sizeof(fk));
	if (data != NULL)
		OPENSSL_cleanse(data, (size_t)len);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	BIO_free(b);
	return r;
}

static int
key_check(char out[65], const unsigned char key[32])
{
	unsigned char mac[32];
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), key, 32, (const unsigned char *)CHECK_LABEL,
	    sizeof(CHECK_LABEL) - 1, mac, &maclen) == NULL || maclen != 32)
		return gp_err_ossl(GP_E_CRYPTO, "kmc: HMAC failed");
	gp_hex_encode(out, mac, 32);
	return 0;
}

int
gp_kmc_init(gp_ctx *ctx, const char *pass, size_t passlen, const char *actor)
{
	unsigned char key[32];
	char *path = NULL, *pem = NULL, *val = NULL, check[65];
	size_t pemlen = 0;
	gp_store *s;
	int r, wrote = 0;

	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "kmc init: no home");
	if (pass == NULL || passlen == 0)
		return gp_err(GP_E_PASSPHRASE, "kmc init: the storage key needs a passphrase");
	s = gp_ctx_store(ctx);
	if ((r = gp_store_meta_get(s, META_CHECK, &val)) == 0) {
		free(val);
		return gp_err(GP_E_EXISTS, "this store has a KMC already (a lost storage "
		    "key file is restored from a backup, never made anew)");
	}
	if (r != GP_E_NOTFOUND)
		return r;
	if ((r = sk_path(&path, ctx)) != 0)
		return r;
	if (access(path, F_OK) == 0) {
		r = gp_err(GP_E_EXISTS, "%s exists", path);
		goto out;
	}
	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc init: no random bytes");
		goto out;
	}
	if ((r = key_check(check, key)) != 0 || (r = sk_encode(&pem, &pemlen, key, pass, passlen)) != 0)
		goto out;
	if (mkdir(ctx->keys_dir, 0700) != 0 && errno != EEXIST) {
		r = gp_err(GP_E_IO, "kmc init: cannot make %s: %s", ctx->keys_dir, strerror(errno));
		goto out;
	}
	if ((r = gp_file_write_new(path, pem, pemlen, 0600)) != 0)
		goto out;
	wrote = 1;
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	if ((r = gp_store_meta_set(s, META_CHECK, check)) != 0 ||
	    (r = gp_audit_append(s, actor ? actor : "ca-tool", GP_AUDIT_KMC_INIT, "kmc",
	    "storage key " GP_KMC_STORAGE_KEY_FILE)) != 0) {
		gp_store_rollback(s);
		goto out;
	}
	r = gp_store_commit(s);
out:
	if (r != 0 && wrote)
		unlink(path);
	OPENSSL_cleanse(key, sizeof(key));
	free(path);
	free(pem);
	return r;
}

int
gp_kmc_open(gp_kmc **out, gp_ctx *ctx, const char *pass, size_t passlen)
{
	gp_kmc *k = NULL;
	unsigned char *pem = NULL;
	size_t pemlen = 0;
	char *path = NULL, *val = NULL, check[65];
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "kmc: no output");
	*out = NULL;
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "kmc: no home");
	if ((r = gp_store_meta_get(gp_ctx_store(ctx), META_CHECK, &val)) == GP_E_NOTFOUND)
		return gp_err(GP_E_NOTFOUND, "this home has no KMC (ca-tool kmc init makes one)");
	if (r != 0)
		return r;
	if ((r = sk_path(&path, ctx)) != 0)
		goto out;
	if (access(path, F_OK) != 0) {
		r = gp_err(GP_E_NOTFOUND, "the KMC storage key %s is missing: restore it from a backup; "
		    "no escrowed key can be used without it", path);
		goto out;
	}
	if ((r = gp_file_read(&pem, &pemlen, path, 64 * 1024)) != 0)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	k->ctx = ctx;
	if (pass == NULL || passlen == 0) {
		r = gp_err(GP_E_PASSPHRASE, "kmc: the storage key needs its passphrase");
		goto out;
	}
	if ((r = sk_decode(k->key, pem, pemlen, path, pass, passlen)) != 0 ||
	    (r = key_check(check, k->key)) != 0)
		goto out;
	if (CRYPTO_memcmp(check, val, 64) != 0 || strlen(val) != 64) {
		r = gp_err(GP_E_VERIFY, "the KMC storage key %s is not this store's", path);
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	gp_kmc_free(k);
	free(pem);
	free(path);
	free(val);
	return r;
}

void
gp_kmc_free(gp_kmc *kmc)
{
	if (kmc == NULL)
		return;
	OPENSSL_cleanse(kmc->key, sizeof(kmc->key));
	free(kmc);
}

/* ------------------------------------------------------------ escrow records */

int
gp_kmc_type_ok(gp_key_type type)
{
	switch (type) {
	case GP_KEY_SM2:
	case GP_KEY_EC_P256:
	case GP_KEY_EC_P384:
	case GP_KEY_RSA2048:
	case GP_KEY_RSA3072:
	case GP_KEY_RSA4096:
		return 0;
	default:
		return gp_err(GP_E_POLICY, "kmc: %s keys cannot encrypt: sm2, ec-p256, ec-p384 "
		    "or rsa2048..rsa4096", gp_key_type_name(type) ? gp_key_type_name(type) : "unknown");
	}
}

/* Appends a 4-byte length and the bytes. */
static size_t
put_field(unsigned char *p, const void *v, size_t len)
{
	gp_put_be32(p, (uint32_t)len);
	if (len > 0)
		memcpy(p + 4, v, len);
	return 4 + len;
}

/*
 * The additional data of a record's GCM: the label, the kid, the type,
 * SHA-256 of the public key, the CA id (8 bytes) and both serials, each
 * length-prefixed: what ties the sealed key to its row and certificate.
 */
static int
aad_of(unsigned char *out, size_t *outlen, size_t cap, const gp_kmc_key_info *k)
{
	unsigned char h[32];
	size_t n = 0;

	if (k->kid == NULL || k->type == NULL || strlen(k->kid) > 64 || strlen(k->type) > 32 ||
	    k->serial_len > 20 || k->sign_serial_len > 20 || cap < 256)
		return gp_err(GP_E_INVALID, "kmc: incomplete escrow record");
	if (EVP_Digest(k->pub, k->pub_len, h, NULL, EVP_sha256(), NULL) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "kmc: SHA-256 failed");
	n += put_field(out + n, AAD_LABEL, sizeof(AAD_LABEL) - 1);
	n += put_field(out + n, k->kid, strlen(k->kid));
	n += put_field(out + n, k->type, strlen(k->type));
	n += put_field(out + n, h, 32);
	gp_put_be32(out + n, (uint32_t)((uint64_t)k->ca_id >> 32));
	gp_put_be32(out + n + 4, (uint32_t)k->ca_id);
	n += 8;
	n += put_field(out + n, k->serial, k->serial_len);
	n += put_field(out + n, k->sign_serial, k->sign_serial_len);
	*outlen = n;
	return 0;
}

int
gp_kmc_seal(gp_kmc_key_info *k, gp_kmc *kmc, EVP_PKEY *pkey)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char aad[320], *der = NULL, *w = NULL;
	size_t aadlen = 0, wlen;
	int derlen = 0, r;

	if ((r = aad_of(aad, &aadlen, sizeof(aad), k)) != 0)
		return r;
	if ((p8 = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: encoding the private key");
		goto out;
	}
	wlen = 1 + IV_LEN + (size_t)derlen + TAG_LEN;
	if ((w = malloc(wlen)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	w[0] = WRAP_V1;
	if (RAND_bytes(w + 1, IV_LEN) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: no random bytes");
		goto out;
	}
	if ((r = gcm(1, kmc->key, w + 1, aad, aadlen, der, (size_t)derlen, w + 1 + IV_LEN,
	    w + 1 + IV_LEN + derlen)) != 0)
		goto out;
	if (k->wrapped != NULL) {
		OPENSSL_cleanse(k->wrapped, k->wrapped_len);
		free(k->wrapped);
	}
	k->wrapped = w;
	k->wrapped_len = wlen;
	w = NULL;
	r = 0;
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)derlen);
	PKCS8_PRIV_KEY_INFO_free(p8);
	free(w);
	return r;
}

int
gp_kmc_unseal(EVP_PKEY **out, gp_kmc *kmc, const gp_kmc_key_info *k)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char aad[320], *pt = NULL, *pub = NULL;
	const unsigned char *p;
	size_t aadlen = 0, ptlen = 0;
	int publen = 0, r;

	*out = NULL;
	if (k->wrapped == NULL || k->wrapped_len < WRAP_MIN || k->wrapped[0] != WRAP_V1)
		return gp_err(GP_E_VERIFY, "escrow record %s is damaged (not a sealed key); "
		    "nothing released", k->kid ? k->kid : "?");
	if ((r = aad_of(aad, &aadlen, sizeof(aad), k)) != 0)
		return r;
	ptlen = k->wrapped_len - 1 - IV_LEN - TAG_LEN;
	if ((pt = malloc(ptlen)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	r = gcm(0, kmc->key, k->wrapped + 1, aad, aadlen, k->wrapped + 1 + IV_LEN, ptlen, pt,
	    k->wrapped + 1 + IV_LEN + ptlen);
	if (r == GP_E_VERIFY) {
		r = gp_err(GP_E_VERIFY, "escrow record %s fails its integrity check (edited, swapped "
		    "with another record, or sealed under another storage key); nothing released",
		    k->kid);
		goto out;
	}
	if (r != 0)
		goto out;
	p = pt;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)ptlen)) == NULL ||
	    (pkey = EVP_PKCS82PKEY(p8)) == NULL) {
		r = gp_err_ossl(GP_E_VERIFY, "escrow record %s holds no readable key", k->kid);
		goto out;
	}
	if ((publen = i2d_PUBKEY(pkey, &pub)) <= 0 || (size_t)publen != k->pub_len ||
	    memcmp(pub, k->pub, k->pub_len) != 0) {
		r = gp_err(GP_E_VERIFY, "escrow record %s: the key inside does not match the "
		    "record's public key; nothing released", k->kid);
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
out:
	OPENSSL_clear_free(pt, ptlen);
	OPENSSL_free(pub);
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(pkey);
	return r;
}

int
gp_kmc_record_new(gp_kmc_key_info **out, EVP_PKEY *pkey, gp_key_type type, const char *holder)
{
	gp_kmc_key_info *k = NULL;
	unsigned char id[16], *pub = NULL;
	int publen, r;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->kid = malloc(33)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (RAND_bytes(id, sizeof(id)) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: no random bytes");
		goto out;
	}
	gp_hex_encode(k->kid, id, sizeof(id));
	if ((r = gp_strdup(&k->type, gp_key_type_name(type))) != 0 ||
	    (holder != NULL && (r = gp_strdup(&k->holder, holder)) != 0))
		goto out;
	if ((publen = i2d_PUBKEY(pkey, &pub)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: encoding the public key");
		goto out;
	}
	if ((k->pub = malloc((size_t)publen)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(k->pub, pub, (size_t)publen);
	k->pub_len = (size_t)publen;
	k->created = gp_now();
	*out = k;
	k = NULL;
	r = 0;
out:
	OPENSSL_free(pub);
	gp_kmc_key_info_free(k);
	return r;
}

int
gp_kmc_record_store(gp_kmc *kmc, gp_kmc_key_info *k, const char *actor)
{
	gp_store *s = gp_ctx_store(kmc->ctx);
	char object[80], detail[160];
	int r;

	if ((r = gp_store_kmc_add(s, k)) != 0)
		return r;
	snprintf(object, sizeof(object), "kmc:%s", k->kid);
	snprintf(detail, sizeof(detail), "type=%s", k->type);
	return gp_audit_append(s, actor ? actor : "ca-tool", GP_AUDIT_KMC_ESCROW, object, detail);
}

int
gp_kmc_genkey(gp_kmc_key_info **out, gp_kmc *kmc, gp_key_type type, const char *holder,
    const char *actor)
{
	gp_kmc_key_info *k = NULL;
	EVP_PKEY *pkey = NULL;
	gp_store *s;
	int r;

	if (out != NULL)
		*out = NULL;
	if (kmc == NULL)
		return gp_err(GP_E_INVALID, "kmc genkey: no KMC");
	if ((r = gp_kmc_type_ok(type)) != 0)
		return r;
	if (holder != NULL && strlen(holder) > 1024)
		return gp_err(GP_E_INVALID, "kmc genkey: the holder is longer than 1024 characters");
	s = gp_ctx_store(kmc->ctx);
	if ((r = gp_key_generate(&pkey, type)) != 0 ||
	    (r = gp_kmc_record_new(&k, pkey, type, holder)) != 0 ||
	    (r = gp_kmc_seal(k, kmc, pkey)) != 0)
		goto out;
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	if ((r = gp_kmc_record_store(kmc, k, actor)) != 0) {
		gp_store_rollback(s);
		goto out;
	}
	if ((r = gp_store_commit(s)) != 0)
		goto out;
	if (out != NULL) {
		*out = k;
		k = NULL;
	}
out:
	EVP_PKEY_free(pkey);
	gp_kmc_key_info_free(k);
	return r;
}

int
gp_kmc_list(gp_ctx *ctx, gp_kmc_key_cb cb, void *arg)
{
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "kmc list: no home");
	return gp_store_kmc_list(gp_ctx_store(ctx), cb, arg);
}

struct check_walk {
	gp_kmc *kmc;
	int64_t n;
};

static int
check_cb(void *arg, const gp_kmc_key_info *k)
{
	struct check_walk *w = arg;
	EVP_PKEY *pkey = NULL;
	int r;

	if ((r = gp_kmc_unseal(&pkey, w->kmc, k)) != 0)
		return r;
	EVP_PKEY_free(pkey);
	w->n++;
	return 0;
}

int
gp_kmc_check(int64_t *n, gp_kmc *kmc)
{
	struct check_walk w = { kmc, 0 };
	int r;

	if (n != NULL)
		*n = 0;
	if (kmc == NULL)
		return gp_err(GP_E_INVALID, "kmc check: no KMC");
	r = gp_store_kmc_list(gp_ctx_store(kmc->ctx), check_cb, &w);
	if (n != NULL)
		*n = w.n;
	return r;
}
