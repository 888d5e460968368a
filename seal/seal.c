/* seal/seal.c: making and decoding GB/T 38540 seals, image checks, signature algorithms */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <govpki/key.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "seal_int.h"
#include "util.h"

/* ------------------------------------------------------------ images */

/* GB/T 38540-2020 §7.2.5: the picture types; the bytes must be what the
 * type says (magic numbers of each format). */
static int
svg_check(const unsigned char *b, size_t len)
{
	size_t i = 0;

	if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		i = 3;
	while (i < len) {
		while (i < len && isspace(b[i]))
			i++;
		if (i >= len || b[i] != '<')
			return 0;
		if (i + 1 < len && (b[i + 1] == '?' || b[i + 1] == '!')) {
			/* prolog, comment or doctype: skip to its '>' (comments to "-->") */
			if (len - i >= 4 && memcmp(b + i, "<!--", 4) == 0) {
				const unsigned char *e = NULL;
				for (size_t j = i + 4; j + 2 < len; j++)
					if (memcmp(b + j, "-->", 3) == 0) {
						e = b + j + 3;
						break;
					}
				if (e == NULL)
					return 0;
				i = (size_t)(e - b);
				continue;
			}
			while (i < len && b[i] != '>')
				i++;
			i++;
			continue;
		}
		return len - i >= 5 && memcmp(b + i + 1, "svg", 3) == 0 &&
		    (isspace(b[i + 4]) || b[i + 4] == '>' || b[i + 4] == '/');
	}
	return 0;
}

static const char *
image_sniff(const unsigned char *b, size_t len)
{
	if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "PNG";
	if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return "JPG";
	if (len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		return "GIF";
	if (len >= 26 && b[0] == 'B' && b[1] == 'M')
		return "BMP";
	if (len >= 4 && memcmp(b, "PK\x03\x04", 4) == 0)
		return "OFD";
	if (svg_check(b, len))
		return "SVG";
	return "unknown";
}

static const char *
image_type_norm(const char *type)
{
	static const char *const types[] = { "PNG", "JPG", "GIF", "BMP", "SVG" };

	if (type == NULL)
		return NULL;
	if (strcasecmp(type, "JPEG") == 0)
		return "JPG";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(type, types[i]) == 0)
			return types[i];
	return NULL;
}

int
gp_seal_image_check(const char *type, const unsigned char *image, size_t len)
{
	const char *want = image_type_norm(type), *got;

	if (want == NULL)
		return gp_err(GP_E_INVALID, "image type '%s' is not one of PNG, JPG, GIF, BMP, SVG",
		    type ? type : "(none)");
	if (image == NULL || len == 0)
		return gp_err(GP_E_INVALID, "the image is empty");
	got = image_sniff(image, len);
	if (strcmp(want, got) != 0)
		return gp_err(GP_E_INVALID, "the image is declared %s but its bytes are %s", want, got);
	return 0;
}

/* ----------------------------------------------------------- helpers */

int
gp_asn1_time_to_unix(int64_t *out, const ASN1_TIME *t)
{
	return gp_time_from_asn1(out, t);
}

int
gp_seal_time_digits(char *out, const char *s, size_t n, const char *form)
{
	size_t o = 0;

	if (n != strlen(form))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (form[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			out[o++] = s[i];
		} else if (s[i] != form[i])
			return -1;
	}
	out[o] = '\0';
	return 0;
}

int
gp_seal_time_from_digits(int64_t *out, const char *ymdhms_z)
{
	ASN1_TIME *t = ASN1_TIME_new();
	int r;

	*out = 0;
	if (t == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after */
	if (ASN1_TIME_set_string_X509(t, ymdhms_z) != 1)
		r = gp_err_ossl(GP_E_INVALID, "no such time: %.4s-%.2s-%.2s %.2s:%.2s:%.2s", ymdhms_z,
		    ymdhms_z + 4, ymdhms_z + 6, ymdhms_z + 8, ymdhms_z + 10, ymdhms_z + 12);
	else
		r = gp_asn1_time_to_unix(out, t);
	ASN1_TIME_free(t);
	return r;
}

int
gp_seal_time_parse(int64_t *out, const char *s)
{
	return gp_time_parse(out, s, GP_TIME_TEXT);
}

static int
str_copy(char **out, const ASN1_STRING *s, const char *what)
{
	const unsigned char *d;
	int n;

	*out = NULL;
	if (s == NULL)
		return gp_err(GP_E_PARSE, "%s is missing", what);
	d = ASN1_STRING_get0_data(s);
	n = ASN1_STRING_length(s);
	if (memchr(d, 0, (size_t)n) != NULL)
		return gp_err(GP_E_PARSE, "%s contains a NUL byte", what);
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memcpy(*out, d, (size_t)n);
	(*out)[n] = '\0';
	return 0;
}

static int
int_get(long *out, const ASN1_INTEGER *ai, const char *what)
{
	int64_t v;

	*out = 0;
	if (ai == NULL || ASN1_INTEGER_get_int64(&v, ai) != 1 || v < -1000000000 || v > 1000000000)
		return gp_err(GP_E_PARSE, "%s is not a small integer", what);
	*out = (long)v;
	return 0;
}

int
gp_seal_int_len(int *out, size_t len, const char *what)
{
	*out = 0;
	if (len > INT_MAX)
		return gp_err(GP_E_INVALID, "%s is larger than %d bytes", what, INT_MAX);
	*out = (int)len;
	return 0;
}

const char *
gp_seal_errmsg(void)
{
	return gp_error_last();
}

/* ------------------------------------------------- signature algorithms */

int
gp_seal_md_for_key(const EVP_MD **md, const EVP_PKEY *key)
{
	*md = gp_key_is_sm2(key) ? EVP_sm3() : EVP_sha256();
	if (*md == NULL)
		return gp_err_ossl(GP_E_CRYPTO, "the digest is not available");
	return 0;
}

int
gp_seal_alg_for_key(ASN1_OBJECT **out, const EVP_PKEY *key)
{
	int nid;

	*out = NULL;
	if (gp_key_is_sm2(key))
		nid = NID_SM2_with_SM3;
	else if (EVP_PKEY_is_a(key, "RSA"))
		nid = NID_sha256WithRSAEncryption;
	else if (EVP_PKEY_is_a(key, "ED25519"))
		nid = NID_ED25519;
	else if (EVP_PKEY_is_a(key, "EC"))
		nid = EVP_PKEY_get_bits(key) > 256 ? NID_ecdsa_with_SHA384 : NID_ecdsa_with_SHA256;
	else
		return gp_err(GP_E_POLICY, "keys of type %s cannot sign seals",
		    EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?");
	if ((*out = OBJ_nid2obj(nid)) == NULL)
		return gp_err_ossl(GP_E_INTERNAL, "no OID for a signature algorithm");
	return 0;
}

/*
 * GM/T 0009-2012 §7.2 encodes an SM2 signature as SEQUENCE { r INTEGER,
 * s INTEGER }; other seal implementations write r and s as two 32-byte
 * big-endian numbers side by side.  A 64-byte value that is not the DER
 * form becomes the DER form in *der (OPENSSL_free); otherwise *der stays
 * NULL and the value is used as it is.
 */
static int
sm2_sig_from_raw(unsigned char **der, size_t *derlen, const unsigned char *sig, size_t len)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es;
	BIGNUM *br = NULL, *bs = NULL;
	int n, r;

	*der = NULL;
	*derlen = 0;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) != NULL && p == sig + len) {
		ECDSA_SIG_free(es);
		return 0;
	}
	ECDSA_SIG_free(es);
	ERR_clear_error();
	if (len != 64)
		return 0;
	if ((es = ECDSA_SIG_new()) == NULL || (br = BN_bin2bn(sig, 32, NULL)) == NULL ||
	    (bs = BN_bin2bn(sig + 32, 32, NULL)) == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
		BN_free(br);
		BN_free(bs);
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((n = i2d_ECDSA_SIG(es, der)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode an SM2 signature");
		goto out;
	}
	*derlen = (size_t)n;
	r = 0;
out:
	ECDSA_SIG_free(es);
	return r;
}

/*
 * Verifies sig over tbs with pub under the algorithm alg.  The algorithm
 * must fit the key: sm2withSM3 (GM/T 0006) needs an SM2 key and uses the
 * default distinguishing ID (GM/T 0009 §5, gp_verify_ctx_new); its value
 * may be DER or raw r || s (sm2_sig_from_raw), *raw (may be NULL) says
 * which.  GP_E_VERIFY with the reason.
 */
int
gp_seal_sig_check(EVP_PKEY *pub, const ASN1_OBJECT *alg, const unsigned char *sig,
    size_t siglen, const unsigned char *tbs, size_t tbslen, int *raw)
{
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL;
	size_t derlen = 0;
	const char *md = NULL, *keyt = NULL;
	char oid[80];
	int nid = OBJ_obj2nid(alg), sm2 = 0, r;

	if (raw != NULL)
		*raw = 0;
	if (pub == NULL)
		return gp_err(GP_E_VERIFY, "the signer's public key does not decode");
	if (sig == NULL || tbs == NULL)
		return gp_err(GP_E_VERIFY, "no signature");
	OBJ_obj2txt(oid, sizeof(oid), alg, 1);
	switch (nid) {
	case NID_SM2_with_SM3: md = "SM3"; sm2 = 1; break;
	case NID_ecdsa_with_SHA256: md = "SHA256"; keyt = "EC"; break;
	case NID_ecdsa_with_SHA384: md = "SHA384"; keyt = "EC"; break;
	case NID_ecdsa_with_SHA512: md = "SHA512"; keyt = "EC"; break;
	case NID_sha256WithRSAEncryption: md = "SHA256"; keyt = "RSA"; break;
	case NID_sha384WithRSAEncryption: md = "SHA384"; keyt = "RSA"; break;
	case NID_sha512WithRSAEncryption: md = "SHA512"; keyt = "RSA"; break;
	case NID_ED25519: keyt = "ED25519"; break;
	default:
		return gp_err(GP_E_VERIFY, "unknown signature algorithm %s", oid);
	}
	if (sm2 ? !gp_key_is_sm2(pub) : (gp_key_is_sm2(pub) || !EVP_PKEY_is_a(pub, keyt)))
		return gp_err(GP_E_VERIFY, "the signature algorithm %s does not fit the %s key", oid,
		    gp_key_is_sm2(pub) ? "SM2" : EVP_PKEY_get0_type_name(pub) ? EVP_PKEY_get0_type_name(pub) : "unknown");
	if (sm2 && (r = sm2_sig_from_raw(&der, &derlen, sig, siglen)) != 0)
		return r;
	if ((r = gp_verify_ctx_new(&mctx, pub, md)) != 0) {
		OPENSSL_free(der);
		return gp_err_ctx(r, "cannot start verifying with %s", oid);
	}
	r = EVP_DigestVerify(mctx, der ? der : sig, der ? derlen : siglen, tbs, tbslen) == 1 ? 0 :
	    gp_err(GP_E_VERIFY, "the signature does not verify");
	if (r == 0 && raw != NULL)
		*raw = der != NULL;
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	return r;
}

/* ------------------------------------------------------------ making */

static int
set_time(ASN1_TIME **t, int64_t when)
{
	ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, (time_t)when);

	if (g == NULL)
		return gp_err_ossl(GP_E_INVALID, "time %lld cannot be encoded", (long long)when);
	ASN1_TIME_free(*t);
	*t = g;
	return 0;
}

static int
set_ia5(ASN1_IA5STRING *s, const char *v, size_t max, const char *what)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > max)
		return gp_err(GP_E_INVALID, "%s must be 1 to %zu characters", what, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return gp_err(GP_E_INVALID, "%s must be printable ASCII", what);
	if (ASN1_STRING_set(s, v, (int)n) != 1)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	return 0;
}

/* A holder's entry: its DER (certListType 1) or its digest (2), SM3 for SM2
 * certificates, SHA-256 for the others (GB/T 38540-2020 §7.2.4). */
static int
holder_add(STACK_OF(ASN1_OCTET_STRING) *certs, STACK_OF(CERT_DIGEST_OBJ) *digests, X509 *x)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	ASN1_OCTET_STRING *os = NULL;
	CERT_DIGEST_OBJ *d = NULL;
	EVP_PKEY *pk = X509_get0_pubkey(x);     /* borrowed */
	int len, r;

	if ((len = i2d_X509(x, &der)) <= 0)
		return gp_err_ossl(GP_E_INVALID, "a holder certificate cannot be encoded");
	if (certs != NULL) {
		if ((os = ASN1_OCTET_STRING_new()) == NULL || ASN1_OCTET_STRING_set(os, der, len) != 1 ||
		    !sk_ASN1_OCTET_STRING_push(certs, os)) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
		os = NULL;
	} else {
		int sm2 = pk != NULL && gp_key_is_sm2(pk);
		if (EVP_Digest(der, (size_t)len, md, &mdlen, sm2 ? EVP_sm3() : EVP_sha256(), NULL) != 1) {
			r = gp_err_ossl(GP_E_CRYPTO, "cannot hash a holder certificate");
			goto out;
		}
		if ((d = CERT_DIGEST_OBJ_new()) == NULL ||
		    ASN1_STRING_set(d->type, sm2 ? "sm3" : "sha256", -1) != 1 ||
		    ASN1_OCTET_STRING_set(d->value, md, (int)mdlen) != 1 ||
		    !sk_CERT_DIGEST_OBJ_push(digests, d)) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
		d = NULL;
	}
	r = 0;
out:
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(os);
	CERT_DIGEST_OBJ_free(d);
	return r;
}

/* oid among the EKUs or the certificate policies of x */
static int
has_mark(X509 *x, const ASN1_OBJECT *oid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	CERTIFICATEPOLICIES *pol = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	int i, found = 0;

	for (i = 0; eku != NULL && !found && i < sk_ASN1_OBJECT_num(eku); i++)
		found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), oid) == 0;
	for (i = 0; pol != NULL && !found && i < sk_POLICYINFO_num(pol); i++)
		found = OBJ_cmp(sk_POLICYINFO_value(pol, i)->policyid, oid) == 0;
	EXTENDED_KEY_USAGE_free(eku);
	CERTIFICATEPOLICIES_free(pol);
	return found;
}

int
gp_seal_maker_check(X509 *maker, const char *oid)
{
	ASN1_OBJECT *o;
	int found;

	if (maker == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_maker_check: NULL certificate");
	if (oid == NULL)
		oid = GP_OID_SEAL_MAKER;
	if ((o = OBJ_txt2obj(oid, 1)) == NULL)
		return gp_err_ossl(GP_E_INVALID, "the seal maker mark '%.64s' is not a dotted OID", oid);
	found = has_mark(maker, o);
	ASN1_OBJECT_free(o);
	if (!found)
		return gp_err(GP_E_POLICY, "the maker's certificate is not of the seal-signer profile "
		    "(no extended key usage or policy %.64s)", oid);
	return 0;
}

static int
check_maker(X509 *maker, EVP_PKEY *key, const char *oid)
{
	int r;

	uint32_t ku;

	if (maker == NULL || key == NULL)
		return gp_err(GP_E_INVALID, "the seal maker's certificate and key are required");
	if (X509_check_private_key(maker, key) != 1)
		return gp_err_ossl(GP_E_INVALID, "the maker's key does not belong to its certificate");
	ku = X509_get_key_usage(maker);
	if (ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		return gp_err(GP_E_POLICY, "the maker's certificate may not sign (key usage)");
	/* only the seal-signer profile makes seals: a person's certificate
	 * must not mint an "official" seal */
	if ((r = gp_seal_maker_check(maker, oid)) != 0)
		return r;
	return 0;
}

int
gp_seal_make(unsigned char **der, size_t *len, const gp_seal_params *params,
    X509 *maker, EVP_PKEY *maker_key)
{
	gp_seal_params pv;
	const gp_seal_params *p = &pv;
	SESEAL4 *seal = NULL;
	SES_SEALINFO4 *info;
	SES_PROPERTY4 *prop;
	STACK_OF(ASN1_OCTET_STRING) *certs = NULL;
	STACK_OF(CERT_DIGEST_OBJ) *digests = NULL;
	unsigned char *tbs = NULL, *sig = NULL, *buf = NULL, *mk = NULL;
	size_t siglen = 0;
	ASN1_STRING *list = NULL;
	const char *itype;
	int64_t created;
	int n, r;

	if (der != NULL)
		*der = NULL;
	if (len != NULL)
		*len = 0;
	if (der == NULL || len == NULL || params == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_make: NULL argument");
	/* the caller's struct as this library's version (docs/api.md) */
	if ((r = gp_params_in(&pv, sizeof(pv), params, GP_PARAMS_END(gp_seal_params, maker_oid),
	    "gp_seal_make")) != 0)
		return r;
	if ((r = check_maker(maker, maker_key, p->maker_oid)) != 0)
		return r;
	if (p->type != GP_SEAL_OFFICIAL && p->type != GP_SEAL_PERSONAL)
		return gp_err(GP_E_INVALID, "seal type %d is neither official (1) nor personal (2)", p->type);
	if (p->cert_list_type != GP_SEAL_CERTS && p->cert_list_type != GP_SEAL_DIGESTS)
		return gp_err(GP_E_INVALID, "certListType %d is neither certificates (1) nor digests (2)",
		    p->cert_list_type);
	if (p->nholders == 0 || p->holders == NULL)
		return gp_err(GP_E_INVALID, "a seal needs at least one holder certificate");
	if (p->name == NULL || *p->name == '\0' || strlen(p->name) > 256)
		return gp_err(GP_E_INVALID, "the seal name must be 1 to 256 bytes");
	if (p->width_mm < 1 || p->width_mm > 1000 || p->height_mm < 1 || p->height_mm > 1000)
		return gp_err(GP_E_INVALID, "the image size must be 1 to 1000 mm each way");
	if (p->image_len > GP_SEAL_MAX)
		return gp_err(GP_E_INVALID, "the image is larger than %d bytes", GP_SEAL_MAX);
	if ((r = gp_seal_image_check(p->image_type, p->image, p->image_len)) != 0)
		return r;
	itype = image_type_norm(p->image_type);
	created = p->created ? p->created : gp_now();
	if (p->valid_end <= (p->valid_start ? p->valid_start : created))
		return gp_err(GP_E_INVALID, "the seal's validity ends before it starts");

	if ((seal = SESEAL4_new()) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	info = seal->info;
	prop = info->property;
	/* §7.2.2: id "ES", version 4 */
	if ((r = set_ia5(info->header->id, "ES", 2, "header id")) != 0 ||
	    (r = set_ia5(info->header->vid, p->vid ? p->vid : "govpki", 64, "vendor id")) != 0 ||
	    (r = set_ia5(info->es_id, p->id, 128, "the seal id")) != 0)
		goto out;
	if (ASN1_INTEGER_set(info->header->version, 4) != 1 ||
	    ASN1_INTEGER_set(prop->type, p->type) != 1 ||
	    ASN1_INTEGER_set(prop->cert_list_type, p->cert_list_type) != 1 ||
	    ASN1_INTEGER_set(info->picture->width, p->width_mm) != 1 ||
	    ASN1_INTEGER_set(info->picture->height, p->height_mm) != 1 ||
	    ASN1_STRING_set(info->picture->type, itype, -1) != 1 ||
	    ASN1_OCTET_STRING_set(info->picture->data, p->image, (int)p->image_len) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* the name must be valid UTF-8 */
	if (ASN1_mbstring_copy(&prop->name, (const unsigned char *)p->name, (int)strlen(p->name),
	    MBSTRING_UTF8, B_ASN1_UTF8STRING) < 0) {
		r = gp_err_ossl(GP_E_INVALID, "the seal name is not valid UTF-8");
		goto out;
	}
	if ((r = set_time(&prop->create_date, created)) != 0 ||
	    (r = set_time(&prop->valid_start, p->valid_start ? p->valid_start : created)) != 0 ||
	    (r = set_time(&prop->valid_end, p->valid_end)) != 0)
		goto out;
	/* SES_CertList (§7.2.4), encoded by its own template, carried as ANY */
	if (p->cert_list_type == GP_SEAL_CERTS)
		certs = sk_ASN1_OCTET_STRING_new_null();
	else
		digests = sk_CERT_DIGEST_OBJ_new_null();
	if (certs == NULL && digests == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->nholders; i++) {
		if (p->holders[i] == NULL) {
			r = gp_err(GP_E_INVALID, "holder %zu is NULL", i);
			goto out;
		}
		if ((r = holder_add(certs, digests, p->holders[i])) != 0)
			goto out;
	}
	n = certs ? ASN1_item_i2d((ASN1_VALUE *)certs, &buf, ASN1_ITEM_rptr(CERT_INFO_LIST))
	    : ASN1_item_i2d((ASN1_VALUE *)digests, &buf, ASN1_ITEM_rptr(CERT_DIGEST_LIST));
	if (n <= 0 || (list = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL ||
	    ASN1_STRING_set(list, buf, n) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode the holder list");
		goto out;
	}
	ASN1_TYPE_set(prop->cert_list, V_ASN1_SEQUENCE, list);
	list = NULL;
	/* the maker's certificate and signature over DER(SES_SealInfo): the
	 * form real version 4 seals use (seal-asn1.md, interoperability) */
	if ((n = i2d_X509(maker, &mk)) <= 0 || ASN1_OCTET_STRING_set(seal->cert, mk, n) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "cannot encode the maker's certificate");
		goto out;
	}
	ASN1_OBJECT_free(seal->alg);
	if ((r = gp_seal_alg_for_key(&seal->alg, maker_key)) != 0)
		goto out;
	if ((n = i2d_SES_SEALINFO4(info, &tbs)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode SES_SealInfo");
		goto out;
	}
	if ((r = gp_sign_data(&sig, &siglen, maker_key, tbs, (size_t)n)) != 0)
		goto out;
	if (ASN1_BIT_STRING_set(seal->sig, sig, (int)siglen) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	seal->sig->flags &= ~0x07;
	seal->sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;        /* 0 unused bits, kept as is */
	OPENSSL_free(buf);
	buf = NULL;
	if ((n = i2d_SESEAL4(seal, &buf)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode SESeal");
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
	buf = NULL;
	r = 0;
out:
	SESEAL4_free(seal);
	sk_ASN1_OCTET_STRING_pop_free(certs, ASN1_OCTET_STRING_free);
	sk_CERT_DIGEST_OBJ_pop_free(digests, CERT_DIGEST_OBJ_free);
	ASN1_STRING_free(list);
	OPENSSL_free(tbs);
	OPENSSL_free(sig);
	OPENSSL_free(buf);
	OPENSSL_free(mk);
	return r;
}

/* ----------------------------------------------------------- decoding */

void
gp_seal_free(gp_seal *s)
{
	int owned;

	if (s == NULL)
		return;
	owned = s->s4 != NULL;          /* v1 lists are borrowed from s1 */
	SESEAL4_free(s->s4);
	SESEAL1_free(s->s1);
	free(s->id);
	free(s->vid);
	free(s->name);
	free(s->image_type);
	if (owned)
		sk_ASN1_OCTET_STRING_pop_free(s->certs, ASN1_OCTET_STRING_free);
	sk_CERT_DIGEST_OBJ_pop_free(s->digests, CERT_DIGEST_OBJ_free);
	X509_free(s->maker);
	OPENSSL_free(s->der);
	OPENSSL_free(s->info_der);
	free(s);
}

/* Takes s4 or s1 and fills the views and copies. */
int
gp_seal_from_asn1(gp_seal **out, SESEAL4 *s4, SESEAL1 *s1)
{
	gp_seal *s = NULL;
	const unsigned char *p;
	ASN1_TIME *tc, *ts, *te;
	ASN1_INTEGER *type;
	ASN1_UTF8STRING *name;
	long v;
	int n, r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		SESEAL4_free(s4);
		SESEAL1_free(s1);
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	s->s4 = s4;
	s->s1 = s1;
	if (s4 != NULL) {
		s->header = s4->info->header;
		s->es_id = s4->info->es_id;
		s->picture = s4->info->picture;
		s->cert_os = s4->cert;
		s->alg = s4->alg;
		s->sig = s4->sig;
		type = s4->info->property->type;
		name = s4->info->property->name;
		tc = s4->info->property->create_date;
		ts = s4->info->property->valid_start;
		te = s4->info->property->valid_end;
	} else {
		s->header = s1->info->header;
		s->es_id = s1->info->es_id;
		s->picture = s1->info->picture;
		s->cert_os = s1->sign->cert;
		s->alg = s1->sign->alg;
		s->sig = s1->sign->sig;
		type = s1->info->property->type;
		name = s1->info->property->name;
		tc = s1->info->property->create_date;
		ts = s1->info->property->valid_start;
		te = s1->info->property->valid_end;
	}
	/* §7.2.2: id "ES"; version 4 or 5 in the v4 form, 1 or 2 in GM/T 0031-2014's */
	if ((r = str_copy(&s->vid, s->header->vid, "the vendor id")) != 0 ||
	    (r = int_get(&v, s->header->version, "the header version")) != 0)
		goto out;
	s->version = (int)v;
	if (ASN1_STRING_length(s->header->id) != 2 ||
	    memcmp(ASN1_STRING_get0_data(s->header->id), "ES", 2) != 0) {
		r = gp_err(GP_E_PARSE, "the header id is not \"ES\"");
		goto out;
	}
	if (s4 != NULL && s->version != 4 && s->version != 5) {
		r = gp_err(GP_E_PARSE, "unsupported seal version %d in a GB/T 38540 seal (4 or 5 expected)", s->version);
		goto out;
	}
	if (s4 != NULL && s4->ts != NULL && s->version != 5) {
		r = gp_err(GP_E_PARSE, "a version %d seal carries a time-stamp (version 5 only)", s->version);
		goto out;
	}
	if (s1 != NULL && s->version != 1 && s->version != 2) {
		r = gp_err(GP_E_PARSE, "unsupported seal version %d in a GM/T 0031-2014 seal (1 or 2 expected)", s->version);
		goto out;
	}
	if ((r = str_copy(&s->id, s->es_id, "the seal id")) != 0 ||
	    (r = str_copy(&s->name, name, "the seal name")) != 0 ||
	    (r = str_copy(&s->image_type, s->picture->type, "the image type")) != 0 ||
	    (r = int_get(&v, type, "the seal type")) != 0)
		goto out;
	s->type = (int)v;
	if ((r = int_get(&s->width, s->picture->width, "the image width")) != 0 ||
	    (r = int_get(&s->height, s->picture->height, "the image height")) != 0 ||
	    (r = gp_asn1_time_to_unix(&s->created, tc)) != 0 ||
	    (r = gp_asn1_time_to_unix(&s->start, ts)) != 0 ||
	    (r = gp_asn1_time_to_unix(&s->end, te)) != 0)
		goto out;
	/* the holder list */
	if (s4 != NULL) {
		ASN1_TYPE *cl = s4->info->property->cert_list;
		if ((r = int_get(&v, s4->info->property->cert_list_type, "certListType")) != 0)
			goto out;
		s->cert_list_type = (int)v;
		if (cl->type != V_ASN1_SEQUENCE) {
			r = gp_err(GP_E_PARSE, "the holder list is not a SEQUENCE");
			goto out;
		}
		p = cl->value.sequence->data;
		n = cl->value.sequence->length;
		if (v == GP_SEAL_CERTS)
			s->certs = (STACK_OF(ASN1_OCTET_STRING) *)ASN1_item_d2i(NULL, &p, n,
			    ASN1_ITEM_rptr(CERT_INFO_LIST));
		else if (v == GP_SEAL_DIGESTS)
			s->digests = (STACK_OF(CERT_DIGEST_OBJ) *)ASN1_item_d2i(NULL, &p, n,
			    ASN1_ITEM_rptr(CERT_DIGEST_LIST));
		else {
			r = gp_err(GP_E_PARSE, "unknown certListType %ld (1 or 2 expected)", v);
			goto out;
		}
		if ((s->certs == NULL && s->digests == NULL) ||
		    p != cl->value.sequence->data + n) {
			r = gp_err_ossl(GP_E_PARSE, "the holder list does not match certListType %ld", v);
			goto out;
		}
	} else {
		s->cert_list_type = GP_SEAL_CERTS;
		s->certs = s1->info->property->cert_list;     /* borrowed */
	}
	/* the maker's certificate */
	p = ASN1_STRING_get0_data(s->cert_os);
	n = ASN1_STRING_length(s->cert_os);
	if ((s->maker = d2i_X509(NULL, &p, n)) == NULL || p != ASN1_STRING_get0_data(s->cert_os) + n) {
		r = gp_err_ossl(GP_E_PARSE, "the seal maker's certificate does not decode");
		goto out;
	}
	OBJ_obj2txt(s->alg_txt, sizeof(s->alg_txt), s->alg, 1);
	/* the bytes as received: what the maker signed */
	n = s4 ? i2d_SES_SEALINFO4(s4->info, &s->info_der) : i2d_SES_SEALINFO1(s1->info, &s->info_der);
	if (n <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode SES_SealInfo");
		goto out;
	}
	s->info_len = (size_t)n;
	n = s4 ? i2d_SESEAL4(s4, &s->der) : i2d_SESEAL1(s1, &s->der);
	if (n <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode SESeal");
		goto out;
	}
	s->der_len = (size_t)n;
	*out = s;
	s = NULL;
	r = 0;
out:
	gp_seal_free(s);
	return r;
}

/* An SESeal SEQUENCE of 4 or 5 elements is GB/T 38540 (version 4/5), of 2
 * elements GM/T 0031-2014 (version 1/2): seal-asn1.md, telling versions apart. */
int
gp_seal_parse(gp_seal **out, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	SESEAL4 *s4 = NULL;
	SESEAL1 *s1 = NULL;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_parse: NULL argument");
	*out = NULL;
	if (der == NULL || len == 0)
		return gp_err(GP_E_PARSE, "the seal is empty");
	if (len > GP_SEAL_MAX)
		return gp_err(GP_E_PARSE, "the seal is larger than %d bytes", GP_SEAL_MAX);
	if ((s4 = d2i_SESEAL4(NULL, &p, (long)len)) != NULL) {
		if (p != der + len) {
			SESEAL4_free(s4);
			return gp_err(GP_E_PARSE, "%zu bytes after the seal", len - (size_t)(p - der));
		}
		return gp_seal_from_asn1(out, s4, NULL);
	}
	ERR_clear_error();
	p = der;
	if ((s1 = d2i_SESEAL1(NULL, &p, (long)len)) != NULL) {
		if (p != der + len) {
			SESEAL1_free(s1);
			return gp_err(GP_E_PARSE, "%zu bytes after the seal", len - (size_t)(p - der));
		}
		return gp_seal_from_asn1(out, NULL, s1);
	}
	return gp_err_ossl(GP_E_PARSE, "not a GB/T 38540 or GM/T 0031 seal");
}

int gp_seal_version(const gp_seal *s) { return s ? s->version : 0; }
const char *gp_seal_id(const gp_seal *s) { return s ? s->id : NULL; }
const char *gp_seal_vid(const gp_seal *s) { return s ? s->vid : NULL; }
const char *gp_seal_name(const gp_seal *s) { return s ? s->name : NULL; }
int gp_seal_type(const gp_seal *s) { return s ? s->type : 0; }
int gp_seal_cert_list_type(const gp_seal *s) { return s ? s->cert_list_type : 0; }
const char *gp_seal_image_type(const gp_seal *s) { return s ? s->image_type : NULL; }
X509 *gp_seal_maker0(const gp_seal *s) { return s ? s->maker : NULL; }
const char *gp_seal_sig_alg(const gp_seal *s) { return s ? s->alg_txt : NULL; }

size_t
gp_seal_holder_count(const gp_seal *s)
{
	if (s == NULL)
		return 0;
	return s->certs ? (size_t)sk_ASN1_OCTET_STRING_num(s->certs)
	    : (size_t)sk_CERT_DIGEST_OBJ_num(s->digests);
}

void
gp_seal_times(int64_t *created, int64_t *start, int64_t *end, const gp_seal *s)
{
	if (created != NULL)
		*created = s ? s->created : 0;
	if (start != NULL)
		*start = s ? s->start : 0;
	if (end != NULL)
		*end = s ? s->end : 0;
}

const unsigned char *
gp_seal_image(const gp_seal *s, size_t *len, long *w, long *h)
{
	if (len != NULL)
		*len = s ? (size_t)ASN1_STRING_length(s->picture->data) : 0;
	if (w != NULL)
		*w = s ? s->width : 0;
	if (h != NULL)
		*h = s ? s->height : 0;
	return s ? ASN1_STRING_get0_data(s->picture->data) : NULL;
}

const unsigned char *
gp_seal_der(const gp_seal *s, size_t *len)
{
	if (len != NULL)
		*len = s ? s->der_len : 0;
	return s ? s->der : NULL;
}

/* §8.2 step 8 / seal-asn1.md: the signer's certificate itself, or its
 * digest under the algorithm the entry names. */
int
gp_seal_has_holder(const gp_seal *s, X509 *x)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	int len, found = 0;

	if (s == NULL || x == NULL || (len = i2d_X509(x, &der)) <= 0)
		return 0;
	for (int i = 0; !found && i < sk_ASN1_OCTET_STRING_num(s->certs); i++) {
		const ASN1_OCTET_STRING *os = sk_ASN1_OCTET_STRING_value(s->certs, i);
		found = ASN1_STRING_length(os) == len &&
		    memcmp(ASN1_STRING_get0_data(os), der, (size_t)len) == 0;
	}
	for (int i = 0; !found && i < sk_CERT_DIGEST_OBJ_num(s->digests); i++) {
		const CERT_DIGEST_OBJ *d = sk_CERT_DIGEST_OBJ_value(s->digests, i);
		char name[32];
		EVP_MD *m;
		int n = ASN1_STRING_length(d->type);

		if (n <= 0 || n >= (int)sizeof(name))
			continue;
		memcpy(name, ASN1_STRING_get0_data(d->type), (size_t)n);
		name[n] = '\0';
		if ((m = EVP_MD_fetch(NULL, name, NULL)) == NULL) {
			ERR_clear_error();
			continue;
		}
		found = EVP_Digest(der, (size_t)len, md, &mdlen, m, NULL) == 1 &&
		    (int)mdlen == ASN1_STRING_length(d->value) &&
		    memcmp(md, ASN1_STRING_get0_data(d->value), mdlen) == 0;
		EVP_MD_free(m);
	}
	OPENSSL_free(der);
	return found;
}

/* ------------------------------------------------- verification results */

struct step {
	char *name;
	int status;
	char *detail;
};

struct gp_verify_result {
	struct step *steps;
	size_t n, cap;
	char *seal_id;
	int64_t time, ts_time;
	int64_t checked_at;        /* the time every check was made at */
	int time_source;           /* GP_TIME_* */
	char *reason;
};

int
gp_vres_new(gp_verify_result **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	return 0;
}

int
gp_vres_add(gp_verify_result *r, const char *name, int status, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct step *st = realloc(r->steps, cap * sizeof(*st));
		if (st == NULL)
			return gp_err(GP_E_NOMEM, "out of memory");
		r->steps = st;
		r->cap = cap;
	}
	r->steps[r->n].name = strdup(name);
	r->steps[r->n].detail = strdup(buf);
	r->steps[r->n].status = status;
	if (r->steps[r->n].name == NULL || r->steps[r->n].detail == NULL) {
		free(r->steps[r->n].name);
		free(r->steps[r->n].detail);
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	if (status == GP_STEP_FAIL && r->reason == NULL) {
		size_t l = strlen(name) + strlen(buf) + 3;
		if ((r->reason = malloc(l)) != NULL)
			snprintf(r->reason, l, "%s: %s", name, buf);
	}
	r->n++;
	return 0;
}

void
gp_vres_set_facts(gp_verify_result *r, const char *seal_id, int64_t t, int64_t ts_time)
{
	if (seal_id != NULL && r->seal_id == NULL)
		r->seal_id = strdup(seal_id);
	if (t)
		r->time = t;
	if (ts_time)
		r->ts_time = ts_time;
}

void
gp_vres_set_checked(gp_verify_result *r, int64_t at, int source)
{
	r->checked_at = at;
	r->time_source = source;
}

void
gp_verify_result_free(gp_verify_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->steps[i].name);
		free(r->steps[i].detail);
	}
	free(r->steps);
	free(r->seal_id);
	free(r->reason);
	free(r);
}

int
gp_verify_result_ok(const gp_verify_result *r)
{
	if (r == NULL || r->n == 0)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->steps[i].status == GP_STEP_FAIL)
			return 0;
	return 1;
}

size_t gp_verify_result_count(const gp_verify_result *r) { return r ? r->n : 0; }
const char *gp_verify_result_reason(const gp_verify_result *r) { return r ? r->reason : NULL; }
const char *gp_verify_result_seal_id(const gp_verify_result *r) { return r ? r->seal_id : NULL; }
int64_t gp_verify_result_time(const gp_verify_result *r) { return r ? r->time : 0; }
int64_t gp_verify_result_ts_time(const gp_verify_result *r) { return r ? r->ts_time : 0; }

int
gp_verify_result_time_source(int64_t *checked_at, const gp_verify_result *r)
{
	if (checked_at != NULL)
		*checked_at = r ? r->checked_at : 0;
	return r ? r->time_source : GP_TIME_NOW;
}

int
gp_verify_result_step(const gp_verify_result *r, size_t i, const char **name, int *status,
    const char **detail)
{
	if (name != NULL)
		*name = NULL;
	if (status != NULL)
		*status = GP_STEP_SKIP;
	if (detail != NULL)
		*detail = NULL;
	if (r == NULL || i >= r->n)
		return gp_err(GP_E_INVALID, "no verification step %zu", i);
	if (name != NULL)
		*name = r->steps[i].name;
	if (status != NULL)
		*status = r->steps[i].status;
	if (detail != NULL)
		*detail = r->steps[i].detail;
	return 0;
}
