/* ca/kmc_env.c: delivery envelopes of the KMC: GM/T 0009 SM2EnvelopedKey and CMS EnvelopedData */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <govpki/kmc.h>

#include "error_int.h"
#include "kmc_int.h"

/*
 * GM/T 0009-2012 §7.4 (the key pair protection format of GM/T 0016's
 * ENVELOPEDKEYBLOB, in ASN.1):
 *
 *   SM2EnvelopedKey ::= SEQUENCE {
 *     symAlgID               AlgorithmIdentifier,  -- sm4-ecb, no parameters
 *     symEncryptedKey        SM2Cipher,            -- the SM4 key under the recipient's key
 *     sm2PublicKey           SM2PublicKey,         -- BIT STRING: 04 || X || Y
 *     sm2EncryptedPrivateKey BIT STRING }          -- SM4-ECB(the 32-byte private key)
 *
 *   SM2Cipher ::= SEQUENCE {                       -- GM/T 0009-2012 §7.2, C1 C3 C2
 *     xCoordinate INTEGER, yCoordinate INTEGER,    -- C1
 *     hash        OCTET STRING (SIZE(32)),         -- C3 = SM3(x2 || M || y2)
 *     cipherText  OCTET STRING }                   -- C2
 */
typedef struct {
	ASN1_INTEGER *x;
	ASN1_INTEGER *y;
	ASN1_OCTET_STRING *hash;
	ASN1_OCTET_STRING *ct;
} SM2_CIPHER;

typedef struct {
	X509_ALGOR *sym_alg;
	SM2_CIPHER *sym_key;
	ASN1_BIT_STRING *pub;
	ASN1_BIT_STRING *priv;
} SM2_ENVELOPED_KEY;

DECLARE_ASN1_FUNCTIONS(SM2_CIPHER)
DECLARE_ASN1_FUNCTIONS(SM2_ENVELOPED_KEY)

ASN1_SEQUENCE(SM2_CIPHER) = {
	ASN1_SIMPLE(SM2_CIPHER, x, ASN1_INTEGER),
	ASN1_SIMPLE(SM2_CIPHER, y, ASN1_INTEGER),
	ASN1_SIMPLE(SM2_CIPHER, hash, ASN1_OCTET_STRING),
	ASN1_SIMPLE(SM2_CIPHER, ct, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(SM2_CIPHER)
IMPLEMENT_ASN1_FUNCTIONS(SM2_CIPHER)

ASN1_SEQUENCE(SM2_ENVELOPED_KEY) = {
	ASN1_SIMPLE(SM2_ENVELOPED_KEY, sym_alg, X509_ALGOR),
	ASN1_SIMPLE(SM2_ENVELOPED_KEY, sym_key, SM2_CIPHER),
	ASN1_SIMPLE(SM2_ENVELOPED_KEY, pub, ASN1_BIT_STRING),
	ASN1_SIMPLE(SM2_ENVELOPED_KEY, priv, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SM2_ENVELOPED_KEY)
IMPLEMENT_ASN1_FUNCTIONS(SM2_ENVELOPED_KEY)

#define SM4_KEY_LEN 16
#define SM2_PRIV_LEN 32
#define SM2_PUB_LEN 65

/* A BIT STRING of exactly len bytes (no unused bits dropped). */
static int
bits_set(ASN1_BIT_STRING *bs, const unsigned char *p, size_t len)
{
	if (len > INT_MAX || ASN1_BIT_STRING_set(bs, (unsigned char *)p, (int)len) != 1)
		return gp_err_ossl(GP_E_NOMEM, "kmc: building a BIT STRING");
	bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return 0;
}

/*
 * key as OpenSSL's SM2 type: a key read as "EC" on the SM2 curve cannot
 * encrypt or decrypt with SM2 (GM/T 0003.4).  *out: a new reference.
 */
static int
as_sm2(EVP_PKEY **out, EVP_PKEY *key, int selection)
{
	EVP_PKEY_CTX *pc = NULL;
	OSSL_PARAM *params = NULL;
	int r = 0;

	*out = NULL;
	if (EVP_PKEY_is_a(key, "SM2")) {
		if (EVP_PKEY_up_ref(key) != 1)
			return gp_err_ossl(GP_E_CRYPTO, "kmc: key reference");
		*out = key;
		return 0;
	}
	if (EVP_PKEY_todata(key, selection, &params) != 1 ||
	    (pc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) != 1 || EVP_PKEY_fromdata(pc, out, selection, params) != 1)
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: the key as an SM2 key");
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(pc);
	return r;
}

static int
sm4_ecb(int enc, const unsigned char key[SM4_KEY_LEN], const unsigned char *in, size_t len,
    unsigned char *out)
{
	EVP_CIPHER *ci = NULL;
	EVP_CIPHER_CTX *c = NULL;
	int n = 0, m = 0, r = 0;

	if (len % 16 != 0 || len > INT_MAX)
		return gp_err(GP_E_VERIFY, "kmc: SM4 data of %zu bytes is not whole blocks", len);
	if ((ci = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL)) == NULL ||
	    (c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex2(c, ci, key, NULL, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(c, out + n, &m) != 1 || (size_t)(n + m) != len)
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: SM4 is not available");
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(ci);
	return r;
}

/* SM2 encryption (GM/T 0003.4, SM3) of in to pub: *out the DER SM2Cipher
 * OpenSSL makes (OPENSSL_free). */
static int
sm2_encrypt(unsigned char **out, size_t *outlen, EVP_PKEY *pub, const unsigned char *in, size_t len)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *sm2 = NULL;
	size_t n = 0;
	int r;

	*out = NULL;
	if ((r = as_sm2(&sm2, pub, EVP_PKEY_PUBLIC_KEY)) != 0)
		return r;
	r = GP_E_CRYPTO;
	if ((pc = EVP_PKEY_CTX_new(sm2, NULL)) == NULL || EVP_PKEY_encrypt_init(pc) != 1 ||
	    EVP_PKEY_encrypt(pc, NULL, &n, in, len) != 1 || (*out = OPENSSL_malloc(n)) == NULL ||
	    EVP_PKEY_encrypt(pc, *out, &n, in, len) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: SM2 encryption failed");
		OPENSSL_free(*out);
		*out = NULL;
		goto out;
	}
	*outlen = n;
	r = 0;
out:
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(sm2);
	return r;
}

static int
env_sm2(unsigned char **out, size_t *outlen, EVP_PKEY *key, EVP_PKEY *rpub)
{
	SM2_ENVELOPED_KEY *env = NULL;
	BIGNUM *d = NULL;
	unsigned char sk[SM4_KEY_LEN], dbin[SM2_PRIV_LEN], enc[SM2_PRIV_LEN], pub[SM2_PUB_LEN];
	unsigned char *ct = NULL, *der = NULL;
	const unsigned char *p;
	size_t ctlen = 0, publen = 0;
	int derlen, r;

	*out = NULL;
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    BN_bn2binpad(d, dbin, sizeof(dbin)) != SM2_PRIV_LEN ||
	    EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	    sizeof(pub), &publen) != 1 || publen != SM2_PUB_LEN || pub[0] != 0x04) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: reading the SM2 key");
		goto out;
	}
	if (RAND_priv_bytes(sk, sizeof(sk)) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: no random bytes");
		goto out;
	}
	if ((r = sm4_ecb(1, sk, dbin, sizeof(dbin), enc)) != 0 ||
	    (r = sm2_encrypt(&ct, &ctlen, rpub, sk, sizeof(sk))) != 0)
		goto out;
	if ((env = SM2_ENVELOPED_KEY_new()) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* OpenSSL's SM2 ciphertext is the SM2Cipher of GM/T 0009 §7.2 already:
	 * read into the template, which checks its shape */
	p = ct;
	SM2_CIPHER_free(env->sym_key);
	if ((env->sym_key = d2i_SM2_CIPHER(NULL, &p, (long)ctlen)) == NULL || p != ct + ctlen) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: OpenSSL's SM2 ciphertext is not an SM2Cipher");
		goto out;
	}
	if (X509_ALGOR_set0(env->sym_alg, OBJ_nid2obj(NID_sm4_ecb), V_ASN1_UNDEF, NULL) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: building the envelope");
		goto out;
	}
	if ((r = bits_set(env->pub, pub, sizeof(pub))) != 0 ||
	    (r = bits_set(env->priv, enc, sizeof(enc))) != 0)
		goto out;
	if ((derlen = i2d_SM2_ENVELOPED_KEY(env, &der)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: encoding the envelope");
		goto out;
	}
	*out = der;
	*outlen = (size_t)derlen;
	r = 0;
out:
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(dbin, sizeof(dbin));
	BN_clear_free(d);
	OPENSSL_free(ct);
	SM2_ENVELOPED_KEY_free(env);
	return r;
}

/* CMS EnvelopedData (RFC 5652 §6) of key's PKCS#8 PrivateKeyInfo (RFC
 * 5958 §2) to rcert, AES-256-CBC: key transport for RSA, ECDH key
 * agreement for EC recipients (RFC 5753). */
static int
env_cms(unsigned char **out, size_t *outlen, EVP_PKEY *key, X509 *rcert)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	STACK_OF(X509) *rs = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL;
	unsigned char *der = NULL, *p8der = NULL;
	int derlen, p8len = 0, r;

	*out = NULL;
	if ((p8 = EVP_PKEY2PKCS8(key)) == NULL || (p8len = i2d_PKCS8_PRIV_KEY_INFO(p8, &p8der)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: encoding the private key");
		goto out;
	}
	if ((rs = sk_X509_new_null()) == NULL || sk_X509_push(rs, rcert) <= 0 ||
	    (in = BIO_new_mem_buf(p8der, p8len)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((cms = CMS_encrypt(rs, in, EVP_aes_256_cbc(), CMS_BINARY)) == NULL ||
	    (derlen = i2d_CMS_ContentInfo(cms, &der)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc: CMS EnvelopedData to the recipient failed");
		goto out;
	}
	*out = der;
	*outlen = (size_t)derlen;
	r = 0;
out:
	if (p8der != NULL)
		OPENSSL_clear_free(p8der, (size_t)p8len);
	PKCS8_PRIV_KEY_INFO_free(p8);
	sk_X509_free(rs);       /* rcert is borrowed */
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return r;
}

int
gp_kmc_envelope_make(unsigned char **out, size_t *outlen, int *format, EVP_PKEY *key,
    X509 *recipient)
{
	EVP_PKEY *rpub;

	*out = NULL;
	if (key == NULL || recipient == NULL || (rpub = X509_get0_pubkey(recipient)) == NULL)
		return gp_err(GP_E_INVALID, "kmc: an envelope needs a key and a recipient certificate");
	if (gp_key_is_sm2(rpub)) {
		if (!gp_key_is_sm2(key))
			return gp_err(GP_E_POLICY, "kmc: an SM2 recipient takes SM2 keys only "
			    "(GM/T 0009 SM2EnvelopedKey); OpenSSL has no CMS for SM2 recipients");
		*format = GP_KMC_ENVELOPE_SM2;
		return env_sm2(out, outlen, key, rpub);
	}
	if (!EVP_PKEY_is_a(rpub, "RSA") && !EVP_PKEY_is_a(rpub, "EC"))
		return gp_err(GP_E_POLICY, "kmc: the recipient's key cannot receive an envelope "
		    "(RSA, EC or SM2)");
	*format = GP_KMC_ENVELOPE_CMS;
	return env_cms(out, outlen, key, recipient);
}

/* ------------------------------------------------------------ opening */

static int
open_sm2(EVP_PKEY **out, SM2_ENVELOPED_KEY *env, EVP_PKEY *rkey)
{
	EVP_PKEY_CTX *pc = NULL, *kc = NULL;
	EVP_PKEY *sm2 = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *d = NULL;
	unsigned char sk[SM4_KEY_LEN + 16], dbin[SM2_PRIV_LEN], *ct = NULL;
	size_t sklen = sizeof(sk);
	int ctlen, r;

	*out = NULL;
	if (OBJ_obj2nid(env->sym_alg->algorithm) != NID_sm4_ecb)
		return gp_err(GP_E_VERIFY, "kmc envelope: the symmetric algorithm is not sm4-ecb");
	if (ASN1_STRING_length(env->priv) != SM2_PRIV_LEN || ASN1_STRING_length(env->pub) != SM2_PUB_LEN ||
	    ASN1_STRING_get0_data(env->pub)[0] != 0x04)
		return gp_err(GP_E_VERIFY, "kmc envelope: not an SM2 key pair (a 32-byte private "
		    "and a 65-byte uncompressed public key)");
	if (!gp_key_is_sm2(rkey))
		return gp_err(GP_E_VERIFY, "kmc envelope: an SM2 envelope opens with an SM2 key only");
	if ((r = as_sm2(&sm2, rkey, EVP_PKEY_KEYPAIR)) != 0)
		return r;
	if ((ctlen = i2d_SM2_CIPHER(env->sym_key, &ct)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "kmc envelope: encoding the SM2Cipher");
		goto out;
	}
	if ((pc = EVP_PKEY_CTX_new(sm2, NULL)) == NULL || EVP_PKEY_decrypt_init(pc) != 1 ||
	    EVP_PKEY_decrypt(pc, sk, &sklen, ct, (size_t)ctlen) != 1 || sklen != SM4_KEY_LEN) {
		ERR_clear_error();
		r = gp_err(GP_E_VERIFY, "kmc envelope: this envelope is not for this key "
		    "(SM2 decryption of its key failed)");
		goto out;
	}
	if ((r = sm4_ecb(0, sk, ASN1_STRING_get0_data(env->priv), SM2_PRIV_LEN, dbin)) != 0)
		goto out;
	if ((d = BN_secure_new()) == NULL || BN_bin2bn(dbin, SM2_PRIV_LEN, d) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    ASN1_STRING_get0_data(env->pub), SM2_PUB_LEN) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "kmc envelope: building the key");
		goto out;
	}
	EVP_PKEY_CTX_free(pc);
	if ((pc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pc) != 1 || EVP_PKEY_fromdata(pc, out, EVP_PKEY_KEYPAIR, params) != 1) {
		r = gp_err_ossl(GP_E_VERIFY, "kmc envelope: the key inside is not an SM2 key");
		goto out;
	}
	/* the private key must be the public key's */
	if ((kc = EVP_PKEY_CTX_new(*out, NULL)) == NULL || EVP_PKEY_pairwise_check(kc) != 1) {
		ERR_clear_error();
		EVP_PKEY_free(*out);
		*out = NULL;
		r = gp_err(GP_E_VERIFY, "kmc envelope: the private key inside does not match its "
		    "public key");
		goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(dbin, sizeof(dbin));
	BN_clear_free(d);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	OPENSSL_free(ct);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_CTX_free(kc);
	EVP_PKEY_free(sm2);
	return r;
}

static int
open_cms(EVP_PKEY **out, CMS_ContentInfo *cms, EVP_PKEY *rkey, X509 *rcert)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	BIO *mem = NULL;
	const unsigned char *p;
	char *data = NULL;
	long n = 0;
	int r;

	*out = NULL;
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped)
		return gp_err(GP_E_VERIFY, "kmc envelope: a CMS message but not EnvelopedData");
	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	/* CMS_DEBUG_DECRYPT: a wrong key is an error, not random content (the
	 * MMA countermeasure is for servers that answer; this is local) */
	if (CMS_decrypt(cms, rkey, rcert, NULL, mem, CMS_BINARY | CMS_DEBUG_DECRYPT) != 1) {
		ERR_clear_error();
		r = gp_err(GP_E_VERIFY, "kmc envelope: this envelope is not for this key "
		    "(no recipient of the CMS EnvelopedData opens with it)");
		goto out;
	}
	n = BIO_get_mem_data(mem, &data);
	p = (const unsigned char *)data;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, n)) == NULL || (*out = EVP_PKCS82PKEY(p8)) == NULL) {
		r = gp_err_ossl(GP_E_VERIFY, "kmc envelope: the content is not a private key");
		goto out;
	}
	r = 0;
out:
	if (data != NULL)
		OPENSSL_cleanse(data, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
	BIO_free(mem);
	return r;
}

int
gp_kmc_envelope_open(EVP_PKEY **out, int *format, const unsigned char *der, size_t len,
    EVP_PKEY *recipient, X509 *recipient_cert)
{
	SM2_ENVELOPED_KEY *env = NULL;
	CMS_ContentInfo *cms = NULL;
	const unsigned char *p = der;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "kmc envelope: no output");
	*out = NULL;
	if (der == NULL || len == 0 || len > 1024 * 1024 || recipient == NULL)
		return gp_err(GP_E_INVALID, "kmc envelope: an envelope (up to 1 MiB) and the "
		    "recipient's private key are required");
	if ((env = d2i_SM2_ENVELOPED_KEY(NULL, &p, (long)len)) != NULL && p == der + len) {
		if (format != NULL)
			*format = GP_KMC_ENVELOPE_SM2;
		r = open_sm2(out, env, recipient);
		goto out;
	}
	ERR_clear_error();
	p = der;
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) != NULL && p == der + len) {
		if (format != NULL)
			*format = GP_KMC_ENVELOPE_CMS;
		r = open_cms(out, cms, recipient, recipient_cert);
		goto out;
	}
	r = gp_err(GP_E_PARSE, "kmc envelope: neither an SM2EnvelopedKey (GM/T 0009) nor a "
	    "CMS EnvelopedData (DER)");
out:
	SM2_ENVELOPED_KEY_free(env);
	CMS_ContentInfo_free(cms);
	return r;
}
