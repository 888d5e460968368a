/* lib/x509util.c: names, serials, SM2-aware signing and verification, chains */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <govpki/key.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "util.h"

/* Longest -subj string and single attribute value we accept. */
#define NAME_MAX_LEN 4096
/* RFC 5280 §4.1.2.2: serial numbers of at most 20 octets */
#define SERIAL_MAX 20

#define SM2_ID_LEN (sizeof(GP_SM2_DEFAULT_ID) - 1)

/* Adds one "type=value" (value already unescaped) to name. */
static int
name_add(X509_NAME *name, const char *type, const char *value)
{
	ASN1_OBJECT *obj;

	if (*type == '\0')
		return gp_err(GP_E_PARSE, "subject: attribute without a name "
		    "before '=%.64s'", value);
	if ((obj = OBJ_txt2obj(type, 0)) == NULL)
		return gp_err(GP_E_PARSE, "subject: unknown attribute '%.64s'", type);
	ASN1_OBJECT_free(obj);
	if (*value == '\0')
		return gp_err(GP_E_PARSE, "subject: empty value for attribute '%.64s'",
		    type);
	if (X509_NAME_add_entry_by_txt(name, type, MBSTRING_UTF8,
	    (const unsigned char *)value, -1, -1, 0) != 1)
		return gp_err_ossl(GP_E_PARSE, "subject: bad value for attribute "
		    "'%.64s'", type);
	return 0;
}

int
gp_name_parse(X509_NAME **out, const char *s)
{
	X509_NAME *name = NULL;
	char *buf = NULL, *type, *value, *w;
	const char *p;
	size_t len;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_name_parse: NULL argument");
	*out = NULL;
	if (s == NULL || *s == '\0' || strcmp(s, "/") == 0)
		return gp_err(GP_E_PARSE, "empty subject");
	if (*s != '/')
		return gp_err(GP_E_PARSE, "subject must start with '/' "
		    "(/C=CN/O=Example/CN=Name): '%.64s'", s);
	if ((len = strlen(s)) > NAME_MAX_LEN)
		return gp_err(GP_E_PARSE, "subject longer than %d bytes", NAME_MAX_LEN);
	if ((buf = malloc(len + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((name = X509_NAME_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* each RDN: '/' type '=' value, where '\' escapes the next byte */
	p = s + 1;
	for (;;) {
		w = buf;
		type = w;
		value = NULL;
		while (*p != '\0' && *p != '/') {
			if (*p == '\\') {
				if (p[1] == '\0') {
					r = gp_err(GP_E_PARSE, "subject ends in a lone '\\'");
					goto out;
				}
				*w++ = p[1];
				p += 2;
			} else if (*p == '=' && value == NULL) {
				*w++ = '\0';
				value = w;
				p++;
			} else {
				*w++ = *p++;
			}
		}
		*w = '\0';
		if (value == NULL) {
			if (*type == '\0')
				r = gp_err(GP_E_PARSE, "subject: empty attribute "
				    "(a '/' too many?)");
			else
				r = gp_err(GP_E_PARSE, "subject: missing '=' after "
				    "'%.64s'", type);
			goto out;
		}
		if ((r = name_add(name, type, value)) != 0)
			goto out;
		if (*p == '\0')
			break;
		p++;            /* the '/' */
	}
	*out = name;
	name = NULL;
	r = 0;
out:
	X509_NAME_free(name);
	free(buf);
	return r;
}

static int
name_print(char **out, const X509_NAME *name, int ossl)
{
	BIO *bio = NULL;
	char *data, *s;
	long len;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_name_to_string: NULL argument");
	*out = NULL;
	if (name == NULL)
		return gp_err(GP_E_INVALID, "gp_name_to_string: NULL name");
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	/* RFC 2253, but UTF-8 bytes kept as they are rather than \XX escaped */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot print a name");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len < 0 || (s = ossl ? OPENSSL_malloc((size_t)len + 1) :
	    malloc((size_t)len + 1)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (len > 0)
		memcpy(s, data, (size_t)len);
	s[len] = '\0';
	*out = s;
	r = 0;
out:
	BIO_free(bio);
	return r;
}

/* The API's: gp_free (govpki/mem.h). */
int
gp_name_to_string(char **out, const X509_NAME *name)
{
	return name_print(out, name, 1);
}

int
gp_name_print(char **out, const X509_NAME *name)
{
	return name_print(out, name, 0);
}

/* The first byte is kept in 0x01..0x7f so that the DER INTEGER is always
 * exactly 16 positive content octets (RFC 5280 §4.1.2.2). */
int
gp_serial_random(unsigned char out[16])
{
	int i;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_serial_random: NULL argument");
	for (i = 0; i < 1000; i++) {
		if (RAND_bytes(out, 16) != 1)
			return gp_err_ossl(GP_E_CRYPTO, "the random generator failed");
		out[0] &= 0x7f;
		if (out[0] != 0)
			return 0;
	}
	return gp_err(GP_E_CRYPTO, "the random generator keeps returning zeros");
}

/* out holds SERIAL_MAX (GP_SERIAL_MAX, 20) bytes; the DER content octets
 * of ai are copied there (two's complement, minimal).  OpenSSL 3.0 has no
 * public i2c_ASN1_INTEGER, so the DER is made and its header skipped. */
int
gp_serial_from_asn1(unsigned char *out, size_t *outlen, const ASN1_INTEGER *ai)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	long clen;
	int derlen, tag, xclass, r;

	if (outlen != NULL)
		*outlen = 0;
	if (out == NULL || outlen == NULL || ai == NULL)
		return gp_err(GP_E_INVALID, "gp_serial_from_asn1: NULL argument");
	if ((derlen = i2d_ASN1_INTEGER(ai, &der)) <= 0) {
		r = gp_err_ossl(GP_E_PARSE, "bad serial number");
		goto out;
	}
	p = der;
	if ((ASN1_get_object(&p, &clen, &tag, &xclass, derlen) & 0x80) != 0 ||
	    tag != V_ASN1_INTEGER || clen <= 0 || p + clen != der + derlen) {
		r = gp_err_ossl(GP_E_PARSE, "bad serial number");
		goto out;
	}
	if (clen > SERIAL_MAX) {
		r = gp_err(GP_E_INVALID, "serial number of %ld octets: at most %d "
		    "are allowed (RFC 5280 4.1.2.2)", clen, SERIAL_MAX);
		goto out;
	}
	memcpy(out, p, (size_t)clen);
	*outlen = (size_t)clen;
	r = 0;
out:
	OPENSSL_free(der);
	return r;
}

/*
 * OpenSSL 3.0 signs and verifies SM2 only with a key of type "SM2"; an
 * "EC" key on the SM2 curve would make ECDSA signatures.  *out gets a
 * reference to pkey itself, or an SM2-typed copy of it.
 */
static int
sm2_typed(EVP_PKEY **out, EVP_PKEY *pkey)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r;

	*out = NULL;
	if (EVP_PKEY_is_a(pkey, "SM2") || !gp_key_is_sm2(pkey)) {
		if (EVP_PKEY_up_ref(pkey) != 1)
			return gp_err_ossl(GP_E_INTERNAL, "EVP_PKEY_up_ref failed");
		*out = pkey;
		return 0;
	}
	if (EVP_PKEY_todata(pkey, EVP_PKEY_KEYPAIR, &params) != 1 ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, out, EVP_PKEY_KEYPAIR, params) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot use an EC key on the SM2 curve as SM2");
		goto out;
	}
	r = 0;
out:
	/* the private scalar: wiped (OSSL_PARAM_clear_free is 3.2+) */
	for (OSSL_PARAM *q = params; q != NULL && q->key != NULL; q++)
		if (q->data != NULL)
			OPENSSL_cleanse(q->data, q->data_size);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(pctx);
	return r;
}

/* The digest for pkey ("" for Ed25519); GP_E_POLICY for others. */
static int
sign_md(const char **md, EVP_PKEY *pkey)
{
	gp_key_type type;
	int bits, r;

	*md = NULL;
	if ((r = gp_key_classify(&type, &bits, pkey)) != 0)
		return r;
	switch (type) {
	case GP_KEY_RSA2048:
	case GP_KEY_RSA3072:
	case GP_KEY_RSA4096:
	case GP_KEY_EC_P256:
		*md = "SHA256";
		break;
	case GP_KEY_EC_P384:
		*md = "SHA384";
		break;
	case GP_KEY_ED25519:
		*md = "";       /* RFC 8410 §6: PureEdDSA, no pre-hash */
		break;
	case GP_KEY_SM2:
		*md = "SM3";    /* GM/T 0009 §7 */
		break;
	default:
		return gp_err(GP_E_INTERNAL, "no digest for key type %d", (int)type);
	}
	return 0;
}

/*
 * Starts a digest-sign (sign != 0) or digest-verify operation of pkey with
 * md (NULL: none, Ed25519) in a new context.  An SM2 key signs and
 * verifies with the distinguishing ID GP_SM2_DEFAULT_ID: GM/T 0009 §5,
 * Z = SM3(ENTL || ID || a || b || G || P), and OpenSSL 3.0 uses an empty
 * ID when none is set.  The ID is set on the operation right after init,
 * before any data is hashed, and not as an init parameter: OpenSSL
 * 3.0.19 refuses OSSL_PKEY_PARAM_DIST_ID among the init parameters.
 */
static int
digest_ctx_new(EVP_MD_CTX **out, EVP_PKEY *pkey, const char *md, int sign)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *key = NULL;
	int sm2, ok, r;

	if (out == NULL || pkey == NULL)
		return gp_err(GP_E_INVALID, "%s: NULL argument",
		    sign ? "gp_sign_ctx_new" : "gp_verify_ctx_new");
	*out = NULL;
	sm2 = gp_key_is_sm2(pkey);
	if ((r = sm2_typed(&key, pkey)) != 0)
		return r;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	ok = sign ? EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, key, NULL) :
	    EVP_DigestVerifyInit_ex(mctx, &pctx, md, NULL, NULL, key, NULL);
	if (ok == 1 && sm2)
		ok = EVP_PKEY_CTX_set1_id(pctx, GP_SM2_DEFAULT_ID, SM2_ID_LEN);
	if (ok != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot start %s with a %s key",
		    sign ? "signing" : "verifying",
		    EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?");
		goto out;
	}
	*out = mctx;
	mctx = NULL;
	r = 0;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(key);     /* the context holds its own reference */
	return r;
}

int
gp_sign_ctx_new(EVP_MD_CTX **out, EVP_PKEY *pkey)
{
	const char *md;
	int r;

	if (out == NULL || pkey == NULL)
		return gp_err(GP_E_INVALID, "gp_sign_ctx_new: NULL argument");
	*out = NULL;
	if ((r = sign_md(&md, pkey)) != 0)
		return r;
	return digest_ctx_new(out, pkey, *md ? md : NULL, 1);
}

int
gp_verify_ctx_new(EVP_MD_CTX **out, EVP_PKEY *pub, const char *md)
{
	return digest_ctx_new(out, pub, md, 0);
}

int
gp_x509_sign(X509 *x, EVP_PKEY *pkey)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	if (x == NULL || pkey == NULL)
		return gp_err(GP_E_INVALID, "gp_x509_sign: NULL argument");
	if ((r = gp_sign_ctx_new(&mctx, pkey)) != 0)
		return r;
	if (X509_sign_ctx(x, mctx) <= 0)
		r = gp_err_ossl(GP_E_CRYPTO, "signing the certificate failed");
	EVP_MD_CTX_free(mctx);
	return r;
}

int
gp_crl_sign(X509_CRL *crl, EVP_PKEY *pkey)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	if (crl == NULL || pkey == NULL)
		return gp_err(GP_E_INVALID, "gp_crl_sign: NULL argument");
	if ((r = gp_sign_ctx_new(&mctx, pkey)) != 0)
		return r;
	if (X509_CRL_sign_ctx(crl, mctx) <= 0)
		r = gp_err_ossl(GP_E_CRYPTO, "signing the CRL failed");
	EVP_MD_CTX_free(mctx);
	return r;
}

int
gp_req_sign(X509_REQ *req, EVP_PKEY *pkey)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	if (req == NULL || pkey == NULL)
		return gp_err(GP_E_INVALID, "gp_req_sign: NULL argument");
	if ((r = gp_sign_ctx_new(&mctx, pkey)) != 0)
		return r;
	if (X509_REQ_sign_ctx(req, mctx) <= 0)
		r = gp_err_ossl(GP_E_CRYPTO, "signing the CSR failed");
	EVP_MD_CTX_free(mctx);
	return r;
}

int
gp_sign_data(unsigned char **sig, size_t *siglen, EVP_PKEY *pkey,
    const unsigned char *tbs, size_t tbslen)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	if (sig != NULL)
		*sig = NULL;
	if (siglen != NULL)
		*siglen = 0;
	if (sig == NULL || siglen == NULL || pkey == NULL || (tbs == NULL && tbslen))
		return gp_err(GP_E_INVALID, "gp_sign_data: NULL argument");
	if ((r = gp_sign_ctx_new(&mctx, pkey)) != 0)
		return r;
	if (EVP_DigestSign(mctx, NULL, &len, tbs, tbslen) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "signing failed");
		goto out;
	}
	if ((buf = OPENSSL_malloc(len)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(mctx, buf, &len, tbs, tbslen) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "signing failed");
		goto out;
	}
	*sig = buf;
	*siglen = len;
	buf = NULL;
	r = 0;
out:
	OPENSSL_free(buf);
	EVP_MD_CTX_free(mctx);
	return r;
}

/* A new OCTET STRING holding the default SM2 ID. */
static int
sm2_id_new(ASN1_OCTET_STRING **out)
{
	ASN1_OCTET_STRING *id;

	*out = NULL;
	if ((id = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(id, (const unsigned char *)GP_SM2_DEFAULT_ID,
	    (int)SM2_ID_LEN) != 1) {
		ASN1_OCTET_STRING_free(id);
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	}
	*out = id;
	return 0;
}

int
gp_req_verify(X509_REQ *req)
{
	ASN1_OCTET_STRING *id = NULL;
	EVP_PKEY *pkey, *vkey = NULL;
	int r;

	if (req == NULL)
		return gp_err(GP_E_INVALID, "gp_req_verify: NULL argument");
	if ((pkey = X509_REQ_get0_pubkey(req)) == NULL)   /* borrowed */
		return gp_err_ossl(GP_E_PARSE, "CSR without a usable public key");
	if (X509_REQ_get_signature_nid(req) == NID_SM2_with_SM3) {
		if ((r = sm2_id_new(&id)) != 0)
			return r;
		X509_REQ_set0_distinguishing_id(req, id);   /* owns id */
	}
	/* a decoded SM2 key is "SM2" already; one set in memory may be "EC" */
	if ((r = sm2_typed(&vkey, pkey)) != 0)
		return r;
	if (X509_REQ_verify(req, vkey) != 1)
		r = gp_err_ossl(GP_E_VERIFY, "CSR signature does not verify");
	else
		ERR_clear_error();
	EVP_PKEY_free(vkey);
	return r;
}

/* PEM (one block of the wanted type) first, else DER that must use every byte. */
static void *
parse_pem_der(const unsigned char *buf, size_t len, int is_req)
{
	const unsigned char *p = buf;
	BIO *bio;
	void *obj = NULL;

	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return NULL;
	obj = is_req ? (void *)PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) :
	    (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (obj != NULL)
		return obj;
	ERR_clear_error();
	if (is_req) {
		X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);

		if (req != NULL && p != buf + len) {
			X509_REQ_free(req);
			req = NULL;
		}
		return req;
	} else {
		X509 *x = d2i_X509(NULL, &p, (long)len);

		if (x != NULL && p != buf + len) {
			X509_free(x);
			x = NULL;
		}
		return x;
	}
}

int
gp_req_parse(X509_REQ **out, const unsigned char *buf, size_t len)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_req_parse: NULL argument");
	*out = NULL;
	if (buf == NULL || len == 0)
		return gp_err(GP_E_PARSE, "not a CSR (PEM or DER): empty input");
	if (len > INT_MAX)
		return gp_err(GP_E_PARSE, "not a CSR (PEM or DER): too large");
	if ((*out = parse_pem_der(buf, len, 1)) == NULL)
		return gp_err_ossl(GP_E_PARSE, "not a CSR (PEM or DER)");
	return 0;
}

int
gp_cert_parse(X509 **out, const unsigned char *buf, size_t len)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_cert_parse: NULL argument");
	*out = NULL;
	if (buf == NULL || len == 0)
		return gp_err(GP_E_PARSE, "not a certificate (PEM or DER): empty input");
	if (len > INT_MAX)
		return gp_err(GP_E_PARSE, "not a certificate (PEM or DER): too large");
	if ((*out = parse_pem_der(buf, len, 0)) == NULL)
		return gp_err_ossl(GP_E_PARSE, "not a certificate (PEM or DER)");
	return 0;
}

/*
 * OpenSSL 3.0 takes the ID from the certificate being verified
 * (X509_verify uses x->distinguishing_id), so it is set on certificates
 * signed with SM2; setting it on others would break their verification.
 */
int
gp_x509_prepare_sm2(X509 *x)
{
	ASN1_OCTET_STRING *id = NULL;
	int r;

	if (x == NULL)
		return gp_err(GP_E_INVALID, "gp_x509_prepare_sm2: NULL argument");
	if (X509_get_signature_nid(x) != NID_SM2_with_SM3)
		return 0;
	if ((r = sm2_id_new(&id)) != 0)
		return r;
	X509_set0_distinguishing_id(x, id);     /* owns id */
	return 0;
}

/* Verifies an SM2 signature over tbs with the default ID. */
static int
sm2_verify(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
    const unsigned char *tbs, size_t tbslen)
{
	EVP_MD_CTX *mctx = NULL;
	int ok;

	ok = gp_verify_ctx_new(&mctx, pkey, "SM3") == 0 &&
	    EVP_DigestVerify(mctx, sig, siglen, tbs, tbslen) == 1;
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	gp_error_clear();
	return ok;
}

/*
 * OpenSSL 3.0 has no distinguishing ID for CRLs: X509_CRL_verify checks
 * an SM2 CRL with an empty ID and fails on CRLs signed with the default
 * one (GM/T 0015 wants the default).  When that happens this callback
 * checks the CRL signature itself with the default ID and, if it holds,
 * overrides the failure.
 */
int
gp_x509_sm2_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	X509_CRL *crl;
	X509 *issuer;
	EVP_PKEY *pkey;
	const ASN1_BIT_STRING *sig = NULL;
	unsigned char *tbs = NULL;
	int tbslen, good;

	if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_CRL_SIGNATURE_FAILURE)
		return ok;
	if ((crl = X509_STORE_CTX_get0_current_crl(ctx)) == NULL ||
	    X509_CRL_get_signature_nid(crl) != NID_SM2_with_SM3 ||
	    (issuer = X509_STORE_CTX_get0_current_issuer(ctx)) == NULL ||
	    (pkey = X509_get0_pubkey(issuer)) == NULL || !gp_key_is_sm2(pkey))
		return ok;
	X509_CRL_get0_signature(crl, &sig, NULL);
	if (sig == NULL || (tbslen = i2d_re_X509_CRL_tbs(crl, &tbs)) <= 0)
		return ok;
	good = sm2_verify(pkey, sig->data, (size_t)sig->length, tbs, (size_t)tbslen);
	OPENSSL_free(tbs);
	if (good) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return ok;
}

/* Sets the SM2 ID on every SM2-signed certificate of sk. */
static int
prepare_all(STACK_OF(X509) *sk)
{
	int i, r;

	for (i = 0; i < sk_X509_num(sk); i++)
		if ((r = gp_x509_prepare_sm2(sk_X509_value(sk, i))) != 0)
			return r;
	return 0;
}

int
gp_chain_verify(X509 *leaf, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted,
    STACK_OF(X509_CRL) *crls, int64_t at)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	char *subj = NULL;
	int i, r, err, depth;

	if (leaf == NULL)
		return gp_err(GP_E_INVALID, "gp_chain_verify: no certificate");
	if ((r = gp_x509_prepare_sm2(leaf)) != 0 ||
	    (r = prepare_all(roots)) != 0 ||
	    (r = prepare_all(untrusted)) != 0)
		return r;
	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sk_X509_num(roots); i++) {
		if (X509_STORE_add_cert(store, sk_X509_value(roots, i)) != 1) {
			r = gp_err_ossl(GP_E_INTERNAL, "cannot add a trust anchor");
			goto out;
		}
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot set up chain verification");
		goto out;
	}
	X509_STORE_CTX_set_verify_cb(ctx, gp_x509_sm2_verify_cb);
	param = X509_STORE_CTX_get0_param(ctx);     /* borrowed */
	if (crls != NULL) {
		X509_STORE_CTX_set0_crls(ctx, crls);
		/*
		 * Delta CRLs (RFC 5280 §5.2.4) complete their base CRL.  Without
		 * EXTENDED_CRL_SUPPORT OpenSSL 3.0 may pick a delta as if it were
		 * the full CRL (the newest one wins), and a certificate revoked
		 * only in the full CRL would pass.
		 */
		X509_VERIFY_PARAM_set_flags(param,
		    X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
		    X509_V_FLAG_USE_DELTAS | X509_V_FLAG_EXTENDED_CRL_SUPPORT);
	}
	if (at != 0)
		X509_VERIFY_PARAM_set_time(param, (time_t)at);
	if (X509_verify_cert(ctx) == 1) {
		ERR_clear_error();
		r = 0;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	if (X509_STORE_CTX_get_current_cert(ctx) != NULL)
		(void)gp_name_print(&subj,
		    X509_get_subject_name(X509_STORE_CTX_get_current_cert(ctx)));
	r = gp_err(GP_E_VERIFY, "certificate chain does not verify: %s (depth %d%s%s)",
	    X509_verify_cert_error_string(err), depth,
	    subj != NULL ? ", " : "", subj != NULL ? subj : "");
out:
	free(subj);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

int
gp_x509_fingerprint(const X509 *x, unsigned char out[32])
{
	unsigned int len = 0;

	if (x == NULL || out == NULL)
		return gp_err(GP_E_INVALID, "gp_x509_fingerprint: NULL argument");
	if (X509_digest(x, EVP_sha256(), out, &len) != 1 || len != 32)
		return gp_err_ossl(GP_E_CRYPTO, "cannot hash the certificate");
	return 0;
}

/* ---- key identity -------------------------------------------------------- */

int
gp_key_hash_parts(unsigned char out[32], const char *tag, const unsigned char *const part[],
    const size_t len[], size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int olen = 0;
	int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

	/* each item: its length as 4 bytes big-endian, then its bytes */
	for (size_t i = 0; ok && i <= n; i++) {
		const unsigned char *b = i == 0 ? (const unsigned char *)tag : part[i - 1];
		size_t l = i == 0 ? strlen(tag) : len[i - 1];
		unsigned char lb[4] = { (unsigned char)(l >> 24), (unsigned char)(l >> 16),
			(unsigned char)(l >> 8), (unsigned char)l };

		ok = l <= 0xffffffffu && EVP_DigestUpdate(md, lb, 4) == 1 &&
		    (l == 0 || EVP_DigestUpdate(md, b, l) == 1);
	}
	ok = ok && EVP_DigestFinal_ex(md, out, &olen) == 1 && olen == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : gp_err_ossl(GP_E_CRYPTO, "cannot hash the public key");
}

/* The named BIGNUM parameter of pub, big-endian without leading zeros,
 * into *out (OPENSSL_free). */
static int
bn_bytes(unsigned char **out, size_t *len, const EVP_PKEY *pub, const char *name)
{
	BIGNUM *bn = NULL;
	int n, ok = 0;

	*out = NULL;
	if (EVP_PKEY_get_bn_param(pub, name, &bn) == 1 && (n = BN_num_bytes(bn)) >= 0 &&
	    (*out = OPENSSL_malloc((size_t)n + 1)) != NULL && BN_bn2bin(bn, *out) == n) {
		*len = (size_t)n;
		ok = 1;
	}
	BN_free(bn);
	return ok;
}

int
gp_pubkey_hash(unsigned char out[32], const EVP_PKEY *pub)
{
	unsigned char *b[2] = { NULL, NULL }, raw[64];
	const unsigned char *part[2];
	size_t len[2] = { 0, 0 }, rl = sizeof(raw);
	char group[64], tag[80];
	int r = GP_E_CRYPTO, dl;

	if (out == NULL || pub == NULL)
		return gp_err(GP_E_INVALID, "gp_pubkey_hash: NULL argument");
	if (EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_is_a(pub, "RSA-PSS")) {
		if (bn_bytes(&b[0], &len[0], pub, OSSL_PKEY_PARAM_RSA_N) &&
		    bn_bytes(&b[1], &len[1], pub, OSSL_PKEY_PARAM_RSA_E)) {
			part[0] = b[0];
			part[1] = b[1];
			r = gp_key_hash_parts(out, "RSA", part, len, 2);
		}
	} else if (EVP_PKEY_is_a(pub, "EC") || EVP_PKEY_is_a(pub, "SM2")) {
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), NULL) == 1 &&
		    bn_bytes(&b[0], &len[0], pub, OSSL_PKEY_PARAM_EC_PUB_X) &&
		    bn_bytes(&b[1], &len[1], pub, OSSL_PKEY_PARAM_EC_PUB_Y)) {
			snprintf(tag, sizeof(tag), "EC:%s", group);
			part[0] = b[0];
			part[1] = b[1];
			r = gp_key_hash_parts(out, tag, part, len, 2);
		}
	} else if (EVP_PKEY_is_a(pub, "ED25519")) {
		if (EVP_PKEY_get_raw_public_key(pub, raw, &rl) == 1) {
			part[0] = raw;
			r = gp_key_hash_parts(out, "ED25519", part, &rl, 1);
		}
	} else if ((dl = i2d_PUBKEY(pub, &b[0])) > 0) {
		part[0] = b[0];
		len[0] = (size_t)dl;
		r = gp_key_hash_parts(out, "SPKI", part, len, 1);
	}
	OPENSSL_free(b[0]);
	OPENSSL_free(b[1]);
	return r == GP_E_CRYPTO ? gp_err_ossl(r, "cannot hash the public key") : r;
}

int
gp_x509_key_hash(unsigned char out[32], const X509 *cert)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;
	int len, r;

	if (out == NULL || cert == NULL)
		return gp_err(GP_E_INVALID, "gp_x509_key_hash: NULL argument");
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY((X509 *)cert), &der)) > 0) {
		p = der;
		pub = d2i_PUBKEY(NULL, &p, len);
	}
	r = pub != NULL ? gp_pubkey_hash(out, pub) :
	    gp_err_ossl(GP_E_PARSE, "cannot read the certificate's public key");
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
	return r;
}
