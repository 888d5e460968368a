/* seal/cades.c: detached CAdES-B-B / B-T signatures (OpenSSL's CMS; SM2 after GM/T 0010 with our templates) */
#include "config.h"

#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include <govpki/key.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "seal_int.h"
#include "util.h"

/* ETSI EN 319 122-1 §5.2.2.3: signing-certificate-v2 (RFC 5035 §3) with
 * the SHA-256 (SM3 for SM2) hash of the signer's certificate. */
static int
ess_v2_der(unsigned char **der, int *len, X509 *signer, const EVP_MD *md)
{
	ESS_SIGNING_CERT_V2 *sc = OSSL_ESS_signing_cert_v2_new_init(md, signer, NULL, 1);

	*der = NULL;
	if (sc == NULL)
		return gp_err_ossl(GP_E_CRYPTO, "cannot make the signing-certificate-v2 attribute");
	*len = i2d_ESS_SIGNING_CERT_V2(sc, der);
	ESS_SIGNING_CERT_V2_free(sc);
	if (*len <= 0)
		return gp_err_ossl(GP_E_INTERNAL, "cannot encode signing-certificate-v2");
	return 0;
}

/* The signer's certificate and chain as one stack, signer first (borrowed refs). */
static STACK_OF(X509) *
chain_with(X509 *signer, STACK_OF(X509) *certs)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	if (sk == NULL || !sk_X509_push(sk, signer)) {
		sk_X509_free(sk);
		return NULL;
	}
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (X509_cmp(sk_X509_value(certs, i), signer) != 0 && !sk_X509_push(sk, sk_X509_value(certs, i))) {
			sk_X509_free(sk);
			return NULL;
		}
	return sk;
}

/* DER of a CMS signer's signed attributes as a SET OF (RFC 5652 §5.4:
 * what the signature covers), through the PKCS#7 SET OF template. */
static int
cms_attrs_der(unsigned char **out, int *len, CMS_SignerInfo *si, int sign)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	int n = CMS_signed_get_attr_count(si);

	*out = NULL;
	*len = 0;
	if (sk == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	for (int i = 0; i < n; i++)
		if (!sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i))) {     /* borrowed */
			sk_X509_ATTRIBUTE_free(sk);
			return gp_err_ossl(GP_E_NOMEM, "out of memory");
		}
	/* signing: DER order (sorted, as i2d will write them); verifying: as received */
	*len = ASN1_item_i2d((ASN1_VALUE *)sk, out, sign ? ASN1_ITEM_rptr(PKCS7_ATTR_SIGN) :
	    ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
	sk_X509_ATTRIBUTE_free(sk);
	if (*len <= 0)
		return gp_err_ossl(GP_E_INTERNAL, "cannot encode the signed attributes");
	return 0;
}

/*
 * OpenSSL 3.0's CMS hands the digest algorithm (SHA-512) to the Ed25519
 * signer, which refuses it ("invalid digest"), so for Ed25519 the signed
 * attributes are completed and signed here (RFC 8419 §3: SHA-512 message
 * digest, PureEdDSA over the DER of the signed attributes).
 */
static int
ed25519_finish(CMS_SignerInfo *si, EVP_PKEY *key, const unsigned char *data, size_t datalen)
{
	unsigned char md[EVP_MAX_MD_SIZE], *attrs = NULL, *sig = NULL;
	unsigned int mdlen = 0;
	size_t siglen = 0;
	ASN1_TIME *t = NULL;
	X509_ALGOR *psig = NULL;
	int alen = 0, sl, r;

	if (EVP_Digest(data, datalen, md, &mdlen, EVP_sha512(), NULL) != 1 ||
	    (t = X509_gmtime_adj(NULL, 0)) == NULL ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data), -1) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type, t, -1) != 1 ||
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md, (int)mdlen) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot add the signed attributes");
		goto out;
	}
	if ((r = cms_attrs_der(&attrs, &alen, si, 1)) != 0 ||
	    (r = gp_sign_data(&sig, &siglen, key, attrs, (size_t)alen)) != 0 ||
	    (r = gp_seal_int_len(&sl, siglen, "the signature")) != 0)
		goto out;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &psig);         /* borrowed */
	if (psig == NULL || X509_ALGOR_set0(psig, OBJ_nid2obj(NID_ED25519), V_ASN1_UNDEF, NULL) != 1 ||
	    ASN1_OCTET_STRING_set(CMS_SignerInfo_get0_signature(si), sig, sl) != 1) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot set the Ed25519 signature");
		goto out;
	}
	r = 0;
out:
	ASN1_TIME_free(t);
	OPENSSL_free(attrs);
	OPENSSL_free(sig);
	return r;
}

/* ----------------------------------------------- RSA, ECDSA, Ed25519 */

static int
cms_sign(unsigned char **der, size_t *len, X509 *signer, EVP_PKEY *key, STACK_OF(X509) *chain,
    const unsigned char *data, size_t datalen, gp_ts_cb ts_cb, void *ts_arg)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	BIO *in = NULL;
	unsigned char *ess = NULL, *tok = NULL, *buf = NULL;
	size_t toklen = 0;
	const EVP_MD *md;
	int esslen = 0, dl, tl, n, r;
	const int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;

	/* RFC 8419 §3.1: Ed25519 with SHA-512; RFC 5754 SHA-256 otherwise */
	md = EVP_PKEY_is_a(key, "ED25519") ? EVP_sha512() :
	    (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 256) ? EVP_sha384() : EVP_sha256();
	if ((cms = CMS_sign(NULL, NULL, chain, NULL, flags)) == NULL ||
	    (si = CMS_add1_signer(cms, signer, key, md, flags)) == NULL) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot start a CMS signature");
		goto out;
	}
	/* content-type, message-digest and signing-time are added by CMS_final */
	if ((r = ess_v2_der(&ess, &esslen, signer, EVP_sha256())) != 0)
		goto out;
	if (CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
	    ess, esslen) != 1) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot add signing-certificate-v2");
		goto out;
	}
	if (EVP_PKEY_is_a(key, "ED25519")) {
		if ((r = ed25519_finish(si, key, data, datalen)) != 0)
			goto out;
	} else if ((r = gp_seal_int_len(&dl, datalen, "the data")) != 0)
		goto out;
	else if ((in = BIO_new_mem_buf(data ? data : (const unsigned char *)"", dl)) == NULL ||
	    CMS_final(cms, in, NULL, flags & ~CMS_PARTIAL) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "CMS signing failed");
		goto out;
	}
	if (ts_cb != NULL) {
		/* EN 319 122-1 §5.3: signature-time-stamp over the signature value */
		ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);     /* borrowed */
		if ((r = gp_ts_stamp(&tok, &toklen, "SHA256", ASN1_STRING_get0_data(sv),
		    (size_t)ASN1_STRING_length(sv), ts_cb, ts_arg)) != 0) {
			r = gp_err_ctx(r, "time-stamp");
			goto out;
		}
		if ((r = gp_seal_int_len(&tl, toklen, "the time-stamp token")) != 0)
			goto out;
		if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
		    tok, tl) != 1) {
			r = gp_err_ossl(GP_E_INTERNAL, "cannot add the signature time-stamp");
			goto out;
		}
	}
	if ((n = i2d_CMS_ContentInfo(cms, &buf)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode the CMS signature");
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
	r = 0;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	OPENSSL_free(ess);
	OPENSSL_free(tok);
	return r;
}

/* ---------------------------------------------------- SM2: GM/T 0010 */

static int
add_attr(PKCS7_SIGNER_INFO *si, int nid, int type, void *value, int sign)
{
	if ((sign ? PKCS7_add_signed_attribute(si, nid, type, value) : PKCS7_add_attribute(si, nid, type, value)) != 1) {
		return gp_err_ossl(GP_E_INTERNAL, "cannot add attribute %s", OBJ_nid2sn(nid));
	}
	return 0;
}

static int
seq_value(ASN1_STRING **out, const unsigned char *der, int len)
{
	if ((*out = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL || ASN1_STRING_set(*out, der, len) != 1) {
		ASN1_STRING_free(*out);
		*out = NULL;
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	}
	return 0;
}

/*
 * GM/T 0010-2012 §8: SignedData with contentType 1.2.156.10197.6.1.4.2.2,
 * digestAlgorithm SM3 (1.2.156.10197.1.401), digestEncryptionAlgorithm
 * SM2-1 (1.2.156.10197.1.301.1), the signature over DER(SET OF
 * authenticatedAttributes) with SM3 and the default ID (GM/T 0009).
 */
static int
gm_sign(unsigned char **der, size_t *len, X509 *signer, EVP_PKEY *key, STACK_OF(X509) *chain,
    const unsigned char *data, size_t datalen, gp_ts_cb ts_cb, void *ts_arg)
{
	GM_CMS *cms = NULL;
	PKCS7_SIGNER_INFO *si = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *mdv = NULL;
	ASN1_STRING *seq = NULL;
	unsigned char md[EVP_MAX_MD_SIZE], *attrs = NULL, *sig = NULL, *ess = NULL, *tok = NULL, *buf = NULL;
	unsigned int mdlen = 0;
	size_t siglen = 0, toklen = 0;
	int n, esslen = 0, sl, tl, r;

	if ((cms = GM_CMS_new()) == NULL || (si = PKCS7_SIGNER_INFO_new()) == NULL ||
	    (cms->signed_data->cert = sk_X509_new_null()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	ASN1_OBJECT_free(cms->type);
	cms->type = OBJ_txt2obj(OID_GM_SIGNED, 1);
	ASN1_OBJECT_free(cms->signed_data->contents->type);
	cms->signed_data->contents->type = OBJ_txt2obj(OID_GM_DATA, 1);
	if (cms->type == NULL || cms->signed_data->contents->type == NULL ||
	    ASN1_INTEGER_set(cms->signed_data->version, 1) != 1 || ASN1_INTEGER_set(si->version, 1) != 1 ||
	    X509_NAME_set(&si->issuer_and_serial->issuer, X509_get_issuer_name(signer)) != 1 ||
	    ASN1_STRING_copy(si->issuer_and_serial->serial, X509_get0_serialNumber(signer)) != 1 ||
	    X509_ALGOR_set0(si->digest_alg, OBJ_txt2obj(OID_SM3, 1), V_ASN1_NULL, NULL) != 1 ||
	    X509_ALGOR_set0(si->digest_enc_alg, OBJ_txt2obj(OID_SM2_SIGN, 1), V_ASN1_UNDEF, NULL) != 1 ||
	    (alg = X509_ALGOR_dup(si->digest_alg)) == NULL ||
	    !sk_X509_ALGOR_push(cms->signed_data->md_algs, alg)) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot set up the GM/T 0010 SignedData");
		goto out;
	}
	alg = NULL;
	if (!sk_X509_push(cms->signed_data->cert, signer) || !X509_up_ref(signer)) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);
		if (X509_cmp(c, signer) == 0)
			continue;
		if (!sk_X509_push(cms->signed_data->cert, c) || !X509_up_ref(c)) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	/* authenticated attributes: content-type, signing-time, message-digest, signing-certificate-v2 */
	if (EVP_Digest(data, datalen, md, &mdlen, EVP_sm3(), NULL) != 1 ||
	    (mdv = ASN1_OCTET_STRING_new()) == NULL || ASN1_OCTET_STRING_set(mdv, md, (int)mdlen) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot hash the data with SM3");
		goto out;
	}
	if ((r = add_attr(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_txt2obj(OID_GM_DATA, 1), 1)) != 0)
		goto out;
	{
		ASN1_TIME *t = X509_gmtime_adj(NULL, 0);
		if (t == NULL || (r = add_attr(si, NID_pkcs9_signingTime, t->type, t, 1)) != 0) {
			ASN1_TIME_free(t);
			r = r ? r : gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((r = add_attr(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, mdv, 1)) != 0)
		goto out;
	mdv = NULL;
	if ((r = ess_v2_der(&ess, &esslen, signer, EVP_sm3())) != 0 || (r = seq_value(&seq, ess, esslen)) != 0)
		goto out;
	if ((r = add_attr(si, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE, seq, 1)) != 0)
		goto out;
	seq = NULL;
	if ((n = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &attrs, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN))) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode the authenticated attributes");
		goto out;
	}
	if ((r = gp_sign_data(&sig, &siglen, key, attrs, (size_t)n)) != 0 ||
	    (r = gp_seal_int_len(&sl, siglen, "the signature")) != 0)
		goto out;
	if (ASN1_OCTET_STRING_set(si->enc_digest, sig, sl) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (ts_cb != NULL) {
		if ((r = gp_ts_stamp(&tok, &toklen, "SM3", sig, siglen, ts_cb, ts_arg)) != 0) {
			r = gp_err_ctx(r, "time-stamp");
			goto out;
		}
		if ((r = gp_seal_int_len(&tl, toklen, "the time-stamp token")) != 0 ||
		    (r = seq_value(&seq, tok, tl)) != 0 ||
		    (r = add_attr(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, seq, 0)) != 0)
			goto out;
		seq = NULL;
	}
	if (!sk_PKCS7_SIGNER_INFO_push(cms->signed_data->signer_info, si)) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	si = NULL;
	if ((n = i2d_GM_CMS(cms, &buf)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "cannot encode the SignedData");
		goto out;
	}
	*der = buf;
	*len = (size_t)n;
	r = 0;
out:
	GM_CMS_free(cms);
	PKCS7_SIGNER_INFO_free(si);
	X509_ALGOR_free(alg);
	ASN1_OCTET_STRING_free(mdv);
	ASN1_STRING_free(seq);
	OPENSSL_free(attrs);
	OPENSSL_free(sig);
	OPENSSL_free(ess);
	OPENSSL_free(tok);
	return r;
}

int
gp_cades_sign(unsigned char **der, size_t *len, X509 *signer, EVP_PKEY *key,
    STACK_OF(X509) *chain, const unsigned char *data, size_t datalen,
    gp_ts_cb ts_cb, void *ts_arg)
{
	if (der != NULL)
		*der = NULL;
	if (len != NULL)
		*len = 0;
	if (der == NULL || len == NULL || signer == NULL || key == NULL || (data == NULL && datalen))
		return gp_err(GP_E_INVALID, "gp_cades_sign: NULL argument");
	if (X509_check_private_key(signer, key) != 1)
		return gp_err_ossl(GP_E_INVALID, "the key does not belong to the signer's certificate");
	if (gp_key_is_sm2(key))
		return gm_sign(der, len, signer, key, chain, data, datalen, ts_cb, ts_arg);
	return cms_sign(der, len, signer, key, chain, data, datalen, ts_cb, ts_arg);
}

/* ------------------------------------------------------- verification */

/* The signer's chain, ESS binding and time-stamp (shared by both forms). */
static int
common_steps(gp_verify_result *res, X509 *signer, STACK_OF(X509) *certs, const ASN1_STRING *ess,
    const ASN1_STRING *tok, const unsigned char *sv, size_t svlen, STACK_OF(X509) *roots,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, STACK_OF(X509) *tsa_roots)
{
	STACK_OF(X509) *all = NULL, *chain = NULL;
	int64_t ts_time = 0;
	char t[21];
	int r;

	/* signing-certificate-v2 names the signer's certificate (RFC 5035 §5.4) */
	if (ess == NULL)
		r = gp_vres_add(res, "signing-certificate", GP_STEP_FAIL, "no signing-certificate-v2 attribute (CAdES-B-B needs it)");
	else {
		const unsigned char *p = ASN1_STRING_get0_data(ess);
		ESS_SIGNING_CERT_V2 *v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(ess));
		chain = chain_with(signer, certs);
		if (v2 != NULL && chain != NULL && OSSL_ESS_check_signing_certs(NULL, v2, chain, 1) == 1)
			r = gp_vres_add(res, "signing-certificate", GP_STEP_PASS, "signing-certificate-v2 names the signer");
		else
			r = gp_vres_add(res, "signing-certificate", GP_STEP_FAIL, "signing-certificate-v2 does not name the signer");
		ESS_SIGNING_CERT_V2_free(v2);
		ERR_clear_error();
	}
	if (r != 0)
		goto out;
	if (tok != NULL) {
		if (gp_ts_verify(&ts_time, ASN1_STRING_get0_data(tok), (size_t)ASN1_STRING_length(tok), sv, svlen,
		    tsa_roots ? tsa_roots : roots, untrusted) == 0) {
			gp_time_iso(t, ts_time);
			r = gp_vres_add(res, "time-stamp", GP_STEP_PASS, "signature time-stamp of %s", t);
			gp_vres_set_facts(res, NULL, 0, ts_time);
		} else
			r = gp_vres_add(res, "time-stamp", GP_STEP_FAIL, "%s", gp_error_last());
	} else
		r = gp_vres_add(res, "time-stamp", GP_STEP_SKIP, "no signature time-stamp (CAdES-B-B)");
	if (r != 0)
		goto out;
	/* the chain: the signer's certificates help as intermediates */
	if ((all = sk_X509_new_null()) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(untrusted); i++)
		sk_X509_push(all, sk_X509_value(untrusted, i));
	for (int i = 0; i < sk_X509_num(certs); i++)
		sk_X509_push(all, sk_X509_value(certs, i));
	if (gp_seal_chain_check(signer, roots, all, crls, ts_time ? ts_time : gp_now()) == 0)
		r = gp_vres_add(res, "signer", GP_STEP_PASS, "chains to a trust anchor%s",
		    crls ? ", not revoked (CRL)" : "; revocation not checked (no CRL given)");
	else
		r = gp_vres_add(res, "signer", GP_STEP_FAIL, "%s", gp_error_last());
out:
	sk_X509_free(all);
	sk_X509_free(chain);
	return r;
}

static const ASN1_STRING *
cms_attr(CMS_SignerInfo *si, int nid, int signed_attr)
{
	int i = signed_attr ? CMS_signed_get_attr_by_NID(si, nid, -1) : CMS_unsigned_get_attr_by_NID(si, nid, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;

	if (i < 0)
		return NULL;
	a = signed_attr ? CMS_signed_get_attr(si, i) : CMS_unsigned_get_attr(si, i);
	t = X509_ATTRIBUTE_get0_type(a, 0);
	return t && t->type == V_ASN1_SEQUENCE ? t->value.sequence : NULL;
}

/* Ed25519 over the signed attributes as received (after CMS_verify set the signer). */
static int
ed_check(CMS_SignerInfo *si)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	ASN1_OBJECT *alg = OBJ_nid2obj(NID_ED25519);
	unsigned char *attrs = NULL;
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	int alen = 0, r;

	CMS_SignerInfo_get0_algs(si, &pk, &x, NULL, NULL);
	if (pk == NULL)
		return gp_err(GP_E_VERIFY, "no signer key");
	if ((r = cms_attrs_der(&attrs, &alen, si, 0)) != 0)
		return r;
	r = gp_seal_sig_check(pk, alg, ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), attrs, (size_t)alen, NULL);
	OPENSSL_free(attrs);
	return r;
}

static int
cms_verify(gp_verify_result *res, CMS_ContentInfo *cms, const unsigned char *data, size_t datalen,
    STACK_OF(X509) *roots, STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, STACK_OF(X509) *tsa_roots)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	STACK_OF(X509) *signers = NULL, *certs = NULL;
	CMS_SignerInfo *si;
	BIO *in = NULL;
	X509 *signer;
	X509_ALGOR *psig = NULL;
	int r, dl, ed = 0;

	if (sk_CMS_SignerInfo_num(sis) != 1)
		return gp_vres_add(res, "structure", GP_STEP_FAIL, "%d signers (one expected)", sk_CMS_SignerInfo_num(sis));
	if (!CMS_is_detached(cms))
		return gp_vres_add(res, "structure", GP_STEP_FAIL, "the signature is not detached");
	if ((r = gp_vres_add(res, "structure", GP_STEP_PASS, "CMS SignedData, one signer, detached")) != 0)
		return r;
	si = sk_CMS_SignerInfo_value(sis, 0);
	/*
	 * OpenSSL 3.0's CMS_verify copies the content of a memory BIO into a
	 * BIO of its own, which it leaks when the signature names a digest it
	 * cannot start (CMS_dataInit fails): a null filter in front of ours
	 * keeps it from copying, so bad signatures cost no memory (found by
	 * fuzz_seal).
	 */
	if ((r = gp_seal_int_len(&dl, datalen, "the data")) != 0)
		return r;
	if ((in = BIO_new(BIO_f_null())) == NULL ||
	    BIO_push(in, BIO_new_mem_buf(data ? data : (const unsigned char *)"", dl)) == NULL ||
	    BIO_next(in) == NULL) {
		BIO_free_all(in);
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	}
	/* the signature and the message digest; the chain is checked below
	 * (SM2 aware, with CRLs).  Ed25519: OpenSSL 3.0 checks the digest, we
	 * the signature (see ed25519_finish). */
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &psig);          /* borrowed */
	if (psig != NULL) {
		const ASN1_OBJECT *o = NULL;
		X509_ALGOR_get0(&o, NULL, NULL, psig);
		ed = OBJ_obj2nid(o) == NID_ED25519;
	}
	if (CMS_verify(cms, untrusted, NULL, in, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY |
	    (ed ? CMS_NO_ATTR_VERIFY : 0)) == 1 && (!ed || ed_check(si) == 0))
		r = gp_vres_add(res, "signature", GP_STEP_PASS, "the signature and message-digest hold");
	else if (ed && ERR_peek_last_error() == 0)
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "%s", gp_error_last());
	else {
		unsigned long e = ERR_peek_last_error();
		char msg[256];
		ERR_error_string_n(e, msg, sizeof(msg));
		ERR_clear_error();
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "%s",
		    ERR_GET_REASON(e) == CMS_R_VERIFICATION_FAILURE ? "the signature does not verify" :
		    ERR_GET_REASON(e) == CMS_R_CONTENT_VERIFY_ERROR ? "the data's digest differs from message-digest" : msg);
	}
	BIO_free_all(in);
	if (r != 0)
		return r;
	if ((signers = CMS_get0_signers(cms)) == NULL || (signer = sk_X509_value(signers, 0)) == NULL) {
		ERR_clear_error();
		r = gp_vres_add(res, "signer", GP_STEP_FAIL, "the signer's certificate is not in the signature");
		goto out;
	}
	certs = CMS_get1_certs(cms);
	{
		const ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
		r = common_steps(res, signer, certs, cms_attr(si, NID_id_smime_aa_signingCertificateV2, 1),
		    cms_attr(si, NID_id_smime_aa_timeStampToken, 0), ASN1_STRING_get0_data(sv),
		    (size_t)ASN1_STRING_length(sv), roots, untrusted, crls, tsa_roots);
	}
out:
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

static const ASN1_TYPE *
p7_attr(STACK_OF(X509_ATTRIBUTE) *attrs, int nid)
{
	int i = X509at_get_attr_by_NID(attrs, nid, -1);

	return i < 0 ? NULL : X509_ATTRIBUTE_get0_type(X509at_get_attr(attrs, i), 0);
}

static int
gm_verify(gp_verify_result *res, GM_CMS *cms, const unsigned char *data, size_t datalen,
    STACK_OF(X509) *roots, STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, STACK_OF(X509) *tsa_roots)
{
	GM_SIGNED *sd = cms->signed_data;
	PKCS7_SIGNER_INFO *si;
	X509 *signer = NULL;
	const ASN1_TYPE *mdt, *ct, *ess, *tok;
	unsigned char md[EVP_MAX_MD_SIZE], *attrs = NULL;
	unsigned int mdlen = 0;
	char oid[80];
	ASN1_OBJECT *sm2with = NULL;
	int n, r;

	if (sk_PKCS7_SIGNER_INFO_num(sd->signer_info) != 1)
		return gp_vres_add(res, "structure", GP_STEP_FAIL, "%d signers (one expected)",
		    sk_PKCS7_SIGNER_INFO_num(sd->signer_info));
	if (sd->contents->content != NULL)
		return gp_vres_add(res, "structure", GP_STEP_FAIL, "the signature is not detached");
	si = sk_PKCS7_SIGNER_INFO_value(sd->signer_info, 0);
	OBJ_obj2txt(oid, sizeof(oid), si->digest_alg->algorithm, 1);
	if (strcmp(oid, OID_SM3) != 0)
		return gp_vres_add(res, "structure", GP_STEP_FAIL, "digest algorithm %s (SM3 expected)", oid);
	OBJ_obj2txt(oid, sizeof(oid), si->digest_enc_alg->algorithm, 1);
	if (strcmp(oid, OID_SM2_SIGN) != 0 && strcmp(oid, OID_SM2) != 0 && strcmp(oid, OID_SM2_WITH_SM3) != 0)
		return gp_vres_add(res, "structure", GP_STEP_FAIL, "signature algorithm %s (SM2 expected)", oid);
	for (int i = 0; i < sk_X509_num(sd->cert); i++) {
		X509 *c = sk_X509_value(sd->cert, i);
		if (X509_NAME_cmp(X509_get_issuer_name(c), si->issuer_and_serial->issuer) == 0 &&
		    ASN1_INTEGER_cmp(X509_get0_serialNumber(c), si->issuer_and_serial->serial) == 0)
			signer = c;
	}
	if (signer == NULL)
		return gp_vres_add(res, "structure", GP_STEP_FAIL, "the signer's certificate is not in the signature");
	if ((r = gp_vres_add(res, "structure", GP_STEP_PASS, "GM/T 0010 SignedData, one SM2 signer, detached")) != 0)
		return r;
	/* the signature over DER(SET OF attributes) as received, then the digest */
	mdt = p7_attr(si->auth_attr, NID_pkcs9_messageDigest);
	ct = p7_attr(si->auth_attr, NID_pkcs9_contentType);
	if ((n = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &attrs, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY))) <= 0) {
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "no authenticated attributes");
		goto out;
	}
	if ((sm2with = OBJ_txt2obj(OID_SM2_WITH_SM3, 1)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (mdt == NULL || mdt->type != V_ASN1_OCTET_STRING || ct == NULL || ct->type != V_ASN1_OBJECT)
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "content-type or message-digest missing");
	else if (gp_seal_sig_check(X509_get0_pubkey(signer), sm2with, ASN1_STRING_get0_data(si->enc_digest),
	    (size_t)ASN1_STRING_length(si->enc_digest), attrs, (size_t)n, NULL) != 0)
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "%s", gp_error_last());
	else if (EVP_Digest(data, datalen, md, &mdlen, EVP_sm3(), NULL) != 1 ||
	    (int)mdlen != ASN1_STRING_length(mdt->value.octet_string) ||
	    memcmp(md, ASN1_STRING_get0_data(mdt->value.octet_string), mdlen) != 0)
		r = gp_vres_add(res, "signature", GP_STEP_FAIL, "the data's digest differs from message-digest");
	else
		r = gp_vres_add(res, "signature", GP_STEP_PASS, "SM2 signature and SM3 message-digest hold");
	if (r != 0)
		goto out;
	ess = p7_attr(si->auth_attr, NID_id_smime_aa_signingCertificateV2);
	tok = p7_attr(si->unauth_attr, NID_id_smime_aa_timeStampToken);
	r = common_steps(res, signer, sd->cert, ess && ess->type == V_ASN1_SEQUENCE ? ess->value.sequence : NULL,
	    tok && tok->type == V_ASN1_SEQUENCE ? tok->value.sequence : NULL,
	    ASN1_STRING_get0_data(si->enc_digest), (size_t)ASN1_STRING_length(si->enc_digest),
	    roots, untrusted, crls, tsa_roots);
out:
	ASN1_OBJECT_free(sm2with);
	OPENSSL_free(attrs);
	return r;
}

int
gp_cades_verify(gp_verify_result **result, const unsigned char *sig, size_t siglen,
    const unsigned char *data, size_t datalen, STACK_OF(X509) *roots,
    STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls, STACK_OF(X509) *tsa_roots)
{
	gp_verify_result *res = NULL;
	CMS_ContentInfo *cms = NULL;
	GM_CMS *gm = NULL;
	const unsigned char *p = sig;
	char oid[80];
	int r;

	if (result != NULL)
		*result = NULL;
	if (sig == NULL || siglen == 0 || roots == NULL || (data == NULL && datalen))
		return gp_err(GP_E_INVALID, "gp_cades_verify: a signature, the data and trust anchors are required");
	if (siglen > GP_SEAL_MAX)
		return gp_err(GP_E_PARSE, "the signature is larger than %d bytes", GP_SEAL_MAX);
	if ((r = gp_vres_new(&res)) != 0)
		return r;
	if ((gm = d2i_GM_CMS(NULL, &p, (long)siglen)) != NULL && p == sig + siglen &&
	    OBJ_obj2txt(oid, sizeof(oid), gm->type, 1) > 0 && strcmp(oid, OID_GM_SIGNED) == 0) {
		r = gm_verify(res, gm, data, datalen, roots, untrusted, crls, tsa_roots);
	} else {
		ERR_clear_error();
		p = sig;
		if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)siglen)) == NULL || p != sig + siglen ||
		    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
			r = gp_err_ossl(GP_E_PARSE, "not a CMS or GM/T 0010 SignedData");
			goto out;
		}
		r = cms_verify(res, cms, data, datalen, roots, untrusted, crls, tsa_roots);
	}
	if (r != 0)
		goto out;
	r = gp_verify_result_ok(res) ? 0 : gp_err(GP_E_VERIFY, "%s", gp_verify_result_reason(res));
	if (result != NULL) {
		*result = res;
		res = NULL;
	}
out:
	gp_verify_result_free(res);
	GM_CMS_free(gm);
	CMS_ContentInfo_free(cms);
	return r;
}
