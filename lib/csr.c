/* lib/csr.c: PKCS#10 requests (RFC 2986) parsed and verified on the issuance hot path */
#include "config.h"

#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <govpki/key.h>
#include <govpki/x509util.h>

#include "csr.h"
#include "error_int.h"
#include "util.h"

/* SubjectPublicKeyInfo as algorithm + bits (RFC 5280 §4.1.2.7): decoding
 * it does not touch the key itself. */
typedef struct gp_spki_st {
	X509_ALGOR *alg;
	ASN1_BIT_STRING *key;
} GP_SPKI;

/* CertificationRequestInfo (RFC 2986 §4.1).  attributes is [0] IMPLICIT and
 * required by the RFC; like OpenSSL we accept it absent. */
typedef struct gp_csr_info_st {
	ASN1_INTEGER *version;
	X509_NAME *subject;
	GP_SPKI *spki;
	STACK_OF(X509_ATTRIBUTE) *attrs;
} GP_CSR_INFO;

/* CertificationRequest with the info kept as its DER (an ASN1_SEQUENCE
 * string holds the whole encoding), which is what the signature covers. */
typedef struct gp_csr_der_st {
	ASN1_STRING *info;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *sig;
} GP_CSR_DER;

/* RSAPublicKey (RFC 8017 §A.1.1) */
typedef struct gp_rsa_pub_st {
	BIGNUM *n;
	BIGNUM *e;
} GP_RSA_PUB;

DECLARE_ASN1_ITEM(GP_SPKI)
DECLARE_ASN1_ITEM(GP_CSR_INFO)
DECLARE_ASN1_ITEM(GP_CSR_DER)
DECLARE_ASN1_ITEM(GP_RSA_PUB)

ASN1_SEQUENCE(GP_SPKI) = {
	ASN1_SIMPLE(GP_SPKI, alg, X509_ALGOR),
	ASN1_SIMPLE(GP_SPKI, key, ASN1_BIT_STRING)
} ASN1_SEQUENCE_END(GP_SPKI)

ASN1_SEQUENCE(GP_CSR_INFO) = {
	ASN1_SIMPLE(GP_CSR_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(GP_CSR_INFO, subject, X509_NAME),
	ASN1_SIMPLE(GP_CSR_INFO, spki, GP_SPKI),
	ASN1_IMP_SET_OF_OPT(GP_CSR_INFO, attrs, X509_ATTRIBUTE, 0)
} ASN1_SEQUENCE_END(GP_CSR_INFO)

ASN1_SEQUENCE(GP_CSR_DER) = {
	ASN1_SIMPLE(GP_CSR_DER, info, ASN1_SEQUENCE),
	ASN1_SIMPLE(GP_CSR_DER, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(GP_CSR_DER, sig, ASN1_BIT_STRING)
} ASN1_SEQUENCE_END(GP_CSR_DER)

ASN1_SEQUENCE(GP_RSA_PUB) = {
	ASN1_SIMPLE(GP_RSA_PUB, n, BIGNUM),
	ASN1_SIMPLE(GP_RSA_PUB, e, BIGNUM)
} ASN1_SEQUENCE_END(GP_RSA_PUB)

struct gp_csr {
	GP_CSR_DER *der;
	GP_CSR_INFO *info;
	EVP_PKEY *pub;
};

void
gp_csr_free(gp_csr *csr)
{
	if (csr == NULL)
		return;
	ASN1_item_free((ASN1_VALUE *)csr->der, ASN1_ITEM_rptr(GP_CSR_DER));
	ASN1_item_free((ASN1_VALUE *)csr->info, ASN1_ITEM_rptr(GP_CSR_INFO));
	EVP_PKEY_free(csr->pub);
	free(csr);
}

/* Imports a key into keymgmt name from params. */
static int
from_params(EVP_PKEY **out, const char *name, const OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL)
		return 0;
	ok = EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int
import_rsa(EVP_PKEY **out, const unsigned char *bits, int len)
{
	const unsigned char *p = bits;
	GP_RSA_PUB *rsa;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	int ok = 0;

	if ((rsa = (GP_RSA_PUB *)ASN1_item_d2i(NULL, &p, len, ASN1_ITEM_rptr(GP_RSA_PUB))) == NULL ||
	    p != bits + len)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, rsa->n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, rsa->e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ok = from_params(out, "RSA", params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	ASN1_item_free((ASN1_VALUE *)rsa, ASN1_ITEM_rptr(GP_RSA_PUB));
	return ok;
}

/*
 * The public key of spki as an EVP_PKEY: named-curve EC (P-256, P-384,
 * SM2), RSA and Ed25519 straight into their key managers (an EC point is
 * checked to be on its curve there); anything else through d2i_PUBKEY so
 * that it is still read, and refused later by the profile with its name.
 */
static int
import_key(EVP_PKEY **out, const GP_SPKI *spki)
{
	const ASN1_OBJECT *aobj;
	const void *pval;
	int ptype, nid, ok = 0;
	const unsigned char *bits = spki->key->data;
	int len = spki->key->length;

	*out = NULL;
	X509_ALGOR_get0(&aobj, &ptype, &pval, spki->alg);
	nid = OBJ_obj2nid(aobj);
	if (nid == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT) {
		int cnid = OBJ_obj2nid(pval);
		const char *group = cnid == NID_X9_62_prime256v1 ? "prime256v1" :
		    cnid == NID_secp384r1 ? "secp384r1" : cnid == NID_sm2 ? "SM2" : NULL;

		if (group != NULL) {
			OSSL_PARAM params[] = {
				OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
				OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)bits, (size_t)len),
				OSSL_PARAM_END
			};

			ok = from_params(out, cnid == NID_sm2 ? "SM2" : "EC", params);
			goto done;
		}
	} else if (nid == NID_rsaEncryption && ptype != V_ASN1_SEQUENCE) {
		ok = import_rsa(out, bits, len);
		goto done;
	} else if (nid == NID_ED25519 && ptype == V_ASN1_UNDEF) {
		ok = (*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, bits,
		    (size_t)len)) != NULL;
		goto done;
	}
	{
		/* the general way, for every other kind of key */
		unsigned char *der = NULL;
		const unsigned char *p;
		int dl = ASN1_item_i2d((ASN1_VALUE *)spki, &der, ASN1_ITEM_rptr(GP_SPKI));

		if (dl > 0) {
			p = der;
			*out = d2i_PUBKEY(NULL, &p, dl);
			ok = *out != NULL;
		}
		OPENSSL_free(der);
	}
done:
	if (!ok) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return gp_err_ossl(GP_E_PARSE, "CSR has an unreadable public key");
	}
	return 0;
}

int
gp_csr_parse(gp_csr **out, const unsigned char *buf, size_t len)
{
	gp_csr *csr = NULL;
	unsigned char *pem_data = NULL;
	char *name = NULL, *header = NULL;
	const unsigned char *p, *der = buf;
	long derlen = (long)len;
	size_t i = 0;
	int r;

	*out = NULL;
	if (buf == NULL || len == 0)
		return gp_err(GP_E_INVALID, "empty CSR");
	if (len > 1 << 20)
		return gp_err(GP_E_INVALID, "CSR larger than 1 MiB");
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (len - i >= 10 && memcmp(buf + i, "-----BEGIN", 10) == 0) {
		BIO *b = BIO_new_mem_buf(buf, (int)len);

		if (b == NULL || PEM_read_bio(b, &name, &header, &pem_data, &derlen) != 1 ||
		    (strcmp(name, PEM_STRING_X509_REQ) != 0 && strcmp(name, PEM_STRING_X509_REQ_OLD) != 0)) {
			BIO_free(b);
			r = gp_err(GP_E_PARSE, "not a CSR (PEM or DER)");
			goto out;
		}
		BIO_free(b);
		der = pem_data;
	}
	if ((csr = calloc(1, sizeof(*csr))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	p = der;
	if ((csr->der = (GP_CSR_DER *)ASN1_item_d2i(NULL, &p, derlen,
	    ASN1_ITEM_rptr(GP_CSR_DER))) == NULL || p != der + derlen) {
		r = gp_err(GP_E_PARSE, "not a CSR (PEM or DER)");
		goto out;
	}
	p = csr->der->info->data;
	if ((csr->info = (GP_CSR_INFO *)ASN1_item_d2i(NULL, &p, csr->der->info->length,
	    ASN1_ITEM_rptr(GP_CSR_INFO))) == NULL ||
	    p != csr->der->info->data + csr->der->info->length) {
		r = gp_err(GP_E_PARSE, "not a CSR: malformed certificationRequestInfo");
		goto out;
	}
	/* RFC 2986 §4.1: version is 0 */
	if (ASN1_INTEGER_get(csr->info->version) != 0) {
		r = gp_err(GP_E_PARSE, "CSR version %ld is not 0 (v1)",
		    ASN1_INTEGER_get(csr->info->version));
		goto out;
	}
	if ((r = import_key(&csr->pub, csr->info->spki)) != 0)
		goto out;
	*out = csr;
	csr = NULL;
	r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(pem_data);
	gp_csr_free(csr);
	return r;
}

int
gp_csr_verify(gp_csr *csr)
{
	EVP_MD_CTX *md = NULL;
	const ASN1_OBJECT *aobj;
	int signid, mdnid, pknid, r;
	const char *mdname = NULL;

	/* a signature value is octets, its BIT STRING has no unused bits
	 * (OpenSSL's X509_REQ_verify refuses them too): accepting them would
	 * let one signature verify under two encodings */
	if (csr->der->sig->flags & 0x07)
		return gp_err(GP_E_VERIFY, "CSR signature does not verify: "
		    "its BIT STRING has unused bits");
	X509_ALGOR_get0(&aobj, NULL, NULL, csr->der->sig_alg);
	signid = OBJ_obj2nid(aobj);
	if (!OBJ_find_sigid_algs(signid, &mdnid, &pknid) || signid == NID_rsassaPss) {
		char txt[80];

		OBJ_obj2txt(txt, sizeof(txt), aobj, 0);
		return gp_err(GP_E_POLICY, "CSR signature algorithm %s is not supported", txt);
	}
	/* the signature's key type must be the key's (an SM2 key signs SM2) */
	if ((pknid == NID_sm2 && !gp_key_is_sm2(csr->pub)) ||
	    (pknid != NID_sm2 && (gp_key_is_sm2(csr->pub) ||
	    !EVP_PKEY_is_a(csr->pub, OBJ_nid2sn(pknid)))))
		return gp_err(GP_E_VERIFY, "CSR signature does not verify: "
		    "signature algorithm %s does not fit the key", OBJ_nid2sn(signid));
	if (mdnid != NID_undef)
		mdname = OBJ_nid2sn(mdnid);
	if ((r = gp_verify_ctx_new(&md, csr->pub, mdname)) != 0) {
		gp_err_ctx(r, "CSR signature check could not start");
		goto out;
	}
	if (EVP_DigestVerify(md, csr->der->sig->data, (size_t)csr->der->sig->length,
	    csr->der->info->data, (size_t)csr->der->info->length) != 1) {
		r = gp_err_ossl(GP_E_VERIFY, "CSR signature does not verify");
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

const X509_ALGOR *
gp_csr_sig_alg0(const gp_csr *csr)
{
	return csr->der->sig_alg;
}

EVP_PKEY *
gp_csr_pubkey0(const gp_csr *csr)
{
	return csr->pub;
}

const X509_NAME *
gp_csr_subject0(const gp_csr *csr)
{
	return csr->info->subject;
}

int
gp_csr_sans(GENERAL_NAMES **out, const gp_csr *csr)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	int crit = -1;

	*out = NULL;
	for (int i = 0; i < sk_X509_ATTRIBUTE_num(csr->info->attrs); i++) {
		X509_ATTRIBUTE *a = sk_X509_ATTRIBUTE_value(csr->info->attrs, i);
		ASN1_TYPE *t;
		const unsigned char *p;

		/* RFC 2985 §5.4.2 extensionRequest */
		if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a)) != NID_ext_req)
			continue;
		if (exts != NULL || X509_ATTRIBUTE_count(a) != 1 ||
		    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL || t->type != V_ASN1_SEQUENCE) {
			sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
			return gp_err(GP_E_PARSE, "CSR has a malformed extensionRequest");
		}
		p = t->value.sequence->data;
		if ((exts = (STACK_OF(X509_EXTENSION) *)ASN1_item_d2i(NULL, &p,
		    t->value.sequence->length, ASN1_ITEM_rptr(X509_EXTENSIONS))) == NULL)
			return gp_err_ossl(GP_E_PARSE, "CSR has a malformed extensionRequest");
	}
	if (exts == NULL)
		return 0;
	*out = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (*out == NULL && crit == -2)
		return gp_err(GP_E_PARSE, "CSR has more than one subjectAltName extension");
	if (*out == NULL && crit >= 0)
		return gp_err_ossl(GP_E_PARSE, "CSR has a malformed subjectAltName extension");
	ERR_clear_error();
	return 0;
}

int
gp_csr_key_hash(unsigned char out[32], const gp_csr *csr)
{
	const GP_SPKI *spki = csr->info->spki;
	const ASN1_OBJECT *aobj;
	const void *pval;
	const unsigned char *bits = spki->key->data, *part[2];
	size_t len = (size_t)spki->key->length, l[2];
	int ptype, nid, cnid;
	const char *tag = NULL;

	X509_ALGOR_get0(&aobj, &ptype, &pval, spki->alg);
	nid = OBJ_obj2nid(aobj);
	if (nid == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT && len > 1 &&
	    bits[0] == 0x04 && len % 2 == 1) {
		/* the group names OpenSSL reports (OSSL_PKEY_PARAM_GROUP_NAME) */
		cnid = OBJ_obj2nid(pval);
		tag = cnid == NID_X9_62_prime256v1 ? "EC:prime256v1" :
		    cnid == NID_secp384r1 ? "EC:secp384r1" : cnid == NID_sm2 ? "EC:SM2" : NULL;
	}
	if (tag != NULL) {
		/* SEC 1 §2.3.3: 04 || x || y, each the field's length; the
		 * numbers without their leading zero bytes */
		part[0] = bits + 1;
		part[1] = bits + 1 + (len - 1) / 2;
		l[0] = l[1] = (len - 1) / 2;
		for (int i = 0; i < 2; i++)
			while (l[i] > 0 && part[i][0] == 0) {
				part[i]++;
				l[i]--;
			}
		return gp_key_hash_parts(out, tag, part, l, 2);
	}
	if (nid == NID_ED25519 && len == 32) {
		part[0] = bits;
		return gp_key_hash_parts(out, "ED25519", part, &len, 1);
	}
	return gp_pubkey_hash(out, csr->pub);
}

int
gp_csr_copy_spki(X509 *cert, const gp_csr *csr)
{
	const GP_SPKI *spki = csr->info->spki;
	ASN1_OBJECT *o = NULL;
	const ASN1_OBJECT *aobj;
	const void *pval;
	void *param = NULL;
	unsigned char *enc = NULL;
	int ptype;

	X509_ALGOR_get0(&aobj, &ptype, &pval, spki->alg);
	if ((o = OBJ_dup(aobj)) == NULL)
		goto nomem;
	switch (ptype) {
	case V_ASN1_UNDEF:      /* Ed25519: no parameters */
	case V_ASN1_NULL:       /* RSA */
		break;
	case V_ASN1_OBJECT:     /* a named curve */
		if ((param = OBJ_dup(pval)) == NULL)
			goto nomem;
		break;
	default:                /* explicit parameters: the profile refused them already */
		ASN1_OBJECT_free(o);
		return gp_err(GP_E_POLICY, "CSR public key has unsupported parameters");
	}
	if ((enc = OPENSSL_memdup(spki->key->data, (size_t)spki->key->length)) == NULL ||
	    X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), o, ptype, param, enc,
	    spki->key->length) != 1)
		goto nomem;
	return 0;
nomem:
	ASN1_OBJECT_free(o);
	ASN1_OBJECT_free(param);
	OPENSSL_free(enc);
	return gp_err_ossl(GP_E_NOMEM, "cannot copy the public key");
}
