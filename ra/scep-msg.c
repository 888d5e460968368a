/* ra/scep-msg.c: SCEP pkiMessage decoding and CertRep encoding (RFC 8894 §3) with OpenSSL's CMS */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

#include "scep_msg.h"

/*
 * A pkiMessage (RFC 8894 §3) is a CMS SignedData (RFC 5652 §5) of one
 * signer, the client's self-signed or existing certificate carried in
 * it, with the SCEP attributes signed (§3.2.1) and an EnvelopedData, the
 * pkcsPKIEnvelope (§3.2.2), as its id-data content.  OpenSSL's CMS reads
 * and verifies it (CMS_verify: the signature and the messageDigest over
 * the content; the certificate itself is judged by ra/scep.c) and opens
 * the envelope (CMS_decrypt with the RA's certificate and key).
 */

/* §3.2.1: the attributes' OIDs (VeriSign's arc, and failInfoText of RFC 8894) */
#define OID_MESSAGE_TYPE "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID "2.16.840.1.113733.1.9.7"
#define OID_FAIL_INFO_TEXT "1.3.6.1.5.5.7.24.1"

static int
fail(char *why, size_t wlen, int failinfo, const char *text)
{
	snprintf(why, wlen, "%s", text);
	ERR_clear_error();
	return failinfo;
}

/* The one value of signed attribute oid of si: NULL when absent; *dup 1
 * when it is there more than once or with other than one value. */
static const ASN1_TYPE *
attr_value(CMS_SignerInfo *si, const char *oid, int *dup)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	X509_ATTRIBUTE *a;
	int i;

	*dup = 0;
	if (o == NULL)
		return NULL;
	i = CMS_signed_get_attr_by_OBJ(si, o, -1);
	if (i >= 0 && CMS_signed_get_attr_by_OBJ(si, o, i) >= 0)
		*dup = 1;
	ASN1_OBJECT_free(o);
	if (i < 0 || *dup || (a = CMS_signed_get_attr(si, i)) == NULL)
		return NULL;
	if (X509_ATTRIBUTE_count(a) != 1) {
		*dup = 1;
		return NULL;
	}
	return X509_ATTRIBUTE_get0_type(a, 0);
}

/* A printable string attribute (§3.2.1.1, §3.2.1.2: PrintableString;
 * the UTF8String and IA5String some clients send are taken too) of at
 * most size - 1 printable ASCII characters.  0, 1: absent, -1: bad. */
static int
attr_string(CMS_SignerInfo *si, const char *oid, char *out, size_t size)
{
	int dup, n;
	const ASN1_TYPE *t = attr_value(si, oid, &dup);
	const unsigned char *d;

	out[0] = '\0';
	if (dup)
		return -1;
	if (t == NULL)
		return 1;
	if (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING &&
	    t->type != V_ASN1_IA5STRING)
		return -1;
	n = ASN1_STRING_length(t->value.asn1_string);
	d = ASN1_STRING_get0_data(t->value.asn1_string);
	if (n <= 0 || (size_t)n >= size)
		return -1;
	for (int i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return -1;
	memcpy(out, d, (size_t)n);
	out[n] = '\0';
	return 0;
}

/* signingTime (RFC 5652 §11.3), as unix time; 0 when absent or unreadable. */
static int64_t
signing_time(CMS_SignerInfo *si)
{
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a = i >= 0 ? CMS_signed_get_attr(si, i) : NULL;
	ASN1_TYPE *t = a != NULL && X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) :
	    NULL;
	struct tm tm;

	if (t == NULL || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME) ||
	    ASN1_TIME_to_tm((const ASN1_TIME *)t->value.asn1_string, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

int
scep_msg_parse(scep_msg *m, const unsigned char *der, size_t len, char *why, size_t wlen)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	STACK_OF(X509) *certs = NULL;
	X509_ALGOR *dig = NULL;
	BIO *out = NULL;
	char type[16];
	const ASN1_TYPE *nonce;
	char *data;
	long n;
	int dup, r;

	memset(m, 0, sizeof(*m));
	m->type = -1;
	if (len == 0 || len > LONG_MAX || (cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len)
		return CMS_ContentInfo_free(cms), fail(why, wlen, SCEP_BAD_REQUEST,
		    "the body is not one DER CMS ContentInfo (RFC 8894 3)");
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		r = fail(why, wlen, SCEP_BAD_REQUEST, "the pkiMessage is not a SignedData (RFC 8894 3)");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		r = fail(why, wlen, SCEP_BAD_MESSAGE_CHECK, "the pkiMessage must have one signer "
		    "(RFC 8894 3.2)");
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	/* what a CertRep needs first: the transaction and the nonce (§3.3.2) */
	if (attr_string(si, OID_TRANSACTION_ID, m->tid, sizeof(m->tid)) != 0) {
		m->tid[0] = '\0';
		r = fail(why, wlen, SCEP_BAD_REQUEST, "no readable transactionID (RFC 8894 3.2.1.1)");
		goto out;
	}
	nonce = attr_value(si, OID_SENDER_NONCE, &dup);
	if (nonce != NULL && nonce->type == V_ASN1_OCTET_STRING &&
	    ASN1_STRING_length(nonce->value.octet_string) > 0 &&
	    ASN1_STRING_length(nonce->value.octet_string) <= SCEP_MAX_NONCE) {
		m->nonce_len = (size_t)ASN1_STRING_length(nonce->value.octet_string);
		memcpy(m->nonce, ASN1_STRING_get0_data(nonce->value.octet_string), m->nonce_len);
	}
	certs = CMS_get1_certs(cms);
	for (int i = 0; i < sk_X509_num(certs) && m->signer == NULL; i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0 &&
		    X509_up_ref(sk_X509_value(certs, i)) == 1)
			m->signer = sk_X509_value(certs, i);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	m->digest_nid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
	if (m->signer == NULL) {
		r = fail(why, wlen, SCEP_BAD_MESSAGE_CHECK, "the signer's certificate is not in the "
		    "pkiMessage (RFC 8894 3.2)");
		goto out;
	}
	if (m->nonce_len == 0 || dup) {
		r = fail(why, wlen, SCEP_BAD_REQUEST, "no senderNonce (RFC 8894 3.2.1.5)");
		goto out;
	}
	if (attr_string(si, OID_MESSAGE_TYPE, type, sizeof(type)) != 0 ||
	    strspn(type, "0123456789") != strlen(type) || strlen(type) > 3) {
		r = fail(why, wlen, SCEP_BAD_REQUEST, "no readable messageType (RFC 8894 3.2.1.2)");
		goto out;
	}
	m->type = atoi(type);
	m->signing_time = signing_time(si);
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
		r = fail(why, wlen, SCEP_BAD_REQUEST, "the signed content is not id-data (RFC 8894 3.2)");
		goto out;
	}
	/* RFC 5652 §5.4: the signature over the signed attributes, whose
	 * messageDigest is that of the content; the certificate's trust is
	 * not judged here */
	if ((out = BIO_new(BIO_s_mem())) == NULL) {
		r = fail(why, wlen, SCEP_BAD_REQUEST, "out of memory");
		goto out;
	}
	if (CMS_signed_get_attr_count(si) <= 0 ||
	    CMS_verify(cms, NULL, NULL, NULL, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		r = fail(why, wlen, SCEP_BAD_MESSAGE_CHECK, "the pkiMessage's signature does not "
		    "verify with its signer's certificate (RFC 8894 3.2)");
		goto out;
	}
	m->verified = 1;
	if ((n = BIO_get_mem_data(out, &data)) > 0) {
		if ((m->envelope = malloc((size_t)n)) == NULL) {
			r = fail(why, wlen, SCEP_BAD_REQUEST, "out of memory");
			goto out;
		}
		memcpy(m->envelope, data, (size_t)n);
		m->envelope_len = (size_t)n;
	}
	r = SCEP_FAIL_NONE;
out:
	BIO_free(out);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return r;
}

int
scep_msg_open(const scep_msg *m, OSSL_LIB_CTX *libctx, X509 *ra, EVP_PKEY *key,
    unsigned char **out, size_t *outlen, char *why, size_t wlen)
{
	const unsigned char *p = m->envelope;
	CMS_ContentInfo *env = NULL;
	BIO *b = NULL;
	char *data;
	long n;
	int r;

	*out = NULL;
	*outlen = 0;
	/* d2i into an object of libctx keeps libctx (and its providers) */
	if (m->envelope == NULL || m->envelope_len > LONG_MAX ||
	    (env = CMS_ContentInfo_new_ex(libctx, NULL)) == NULL ||
	    d2i_CMS_ContentInfo(&env, &p, (long)m->envelope_len) == NULL ||
	    p != m->envelope + m->envelope_len ||
	    OBJ_obj2nid(CMS_get0_type(env)) != NID_pkcs7_enveloped) {
		r = fail(why, wlen, SCEP_BAD_MESSAGE_CHECK, "the content is not one EnvelopedData "
		    "(the pkcsPKIEnvelope, RFC 8894 3.2.2)");
		goto out;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    CMS_decrypt(env, key, ra, NULL, b, CMS_BINARY) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0) {
		unsigned long e = ERR_peek_last_error();
		char text[300];

		/* a cipher we do not take (single DES unless [scep] legacy_des)
		 * is badAlg (§3.2.1.4) */
		if (ERR_GET_LIB(e) == ERR_LIB_CMS &&
		    ERR_GET_REASON(e) == CMS_R_CIPHER_INITIALISATION_ERROR) {
			r = fail(why, wlen, SCEP_BAD_ALG, "the pkcsPKIEnvelope's content encryption "
			    "algorithm is not taken here (AES or 3DES are; RFC 8894 3.5.2)");
			goto out;
		}
		snprintf(text, sizeof(text), "the pkcsPKIEnvelope is not enveloped to the RA "
		    "certificate of GetCACert, or does not decrypt (RFC 8894 3.2.2): %s",
		    e != 0 && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "error");
		r = fail(why, wlen, SCEP_BAD_MESSAGE_CHECK, text);
		goto out;
	}
	if ((*out = malloc((size_t)n)) == NULL) {
		r = fail(why, wlen, SCEP_BAD_MESSAGE_CHECK, "out of memory");
		goto out;
	}
	memcpy(*out, data, (size_t)n);
	*outlen = (size_t)n;
	r = SCEP_FAIL_NONE;
out:
	BIO_free(b);
	CMS_ContentInfo_free(env);
	ERR_clear_error();
	return r;
}

void
scep_msg_clear(scep_msg *m)
{
	if (m == NULL)
		return;
	X509_free(m->signer);
	free(m->envelope);
	memset(m, 0, sizeof(*m));
	m->type = -1;
}

int
scep_certs_only(unsigned char **out, size_t *outlen, STACK_OF(X509) *certs)
{
	PKCS7 *p7 = NULL;
	int n;

	*out = NULL;
	*outlen = 0;
	if ((p7 = PKCS7_sign(NULL, NULL, certs, NULL, PKCS7_DETACHED | PKCS7_PARTIAL)) == NULL ||
	    (n = i2d_PKCS7(p7, out)) <= 0) {
		PKCS7_free(p7);
		return -1;
	}
	*outlen = (size_t)n;
	PKCS7_free(p7);
	return 0;
}

/* Adds attribute oid with value type/data/len to si. */
static int
add_attr(CMS_SignerInfo *si, const char *oid, int type, const void *data, int len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int r = o != NULL && CMS_signed_add1_attr_by_OBJ(si, o, type, data, len) == 1 ? 0 : -1;

	ASN1_OBJECT_free(o);
	return r;
}

int
scep_certrep(unsigned char **out, size_t *outlen, const scep_msg *req, int status,
    int failinfo, const char *text, STACK_OF(X509) *certs, X509 *ra, EVP_PKEY *key)
{
	CMS_ContentInfo *cms = NULL, *env = NULL;
	STACK_OF(X509) *recips = NULL;
	CMS_SignerInfo *si;
	const EVP_MD *md;
	unsigned char nonce[16], *p7 = NULL, *envder = NULL;
	size_t p7len = 0;
	char st[8], fi[8];
	BIO *in = NULL, *data = NULL;
	int n, envlen = 0, r = -1;

	*out = NULL;
	*outlen = 0;
	switch (req->digest_nid) {
	case NID_sha1:
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
		md = EVP_get_digestbynid(req->digest_nid);
		break;
	default:
		md = EVP_sha256();
		break;
	}
	/* §3.3.2: on SUCCESS the certificate as a degenerate certs-only
	 * SignedData, enveloped to the requester's certificate */
	if (status == SCEP_SUCCESS) {
		if (req->signer == NULL || scep_certs_only(&p7, &p7len, certs) != 0 ||
		    (recips = sk_X509_new_null()) == NULL || sk_X509_push(recips, req->signer) <= 0 ||
		    (in = BIO_new_mem_buf(p7, (int)p7len)) == NULL ||
		    (env = CMS_encrypt(recips, in, EVP_aes_128_cbc(), CMS_BINARY)) == NULL ||
		    (envlen = i2d_CMS_ContentInfo(env, &envder)) <= 0)
			goto out;
	}
	snprintf(st, sizeof(st), "%d", status);
	snprintf(fi, sizeof(fi), "%d", failinfo);
	if (RAND_bytes(nonce, sizeof(nonce)) != 1 ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY)) == NULL ||
	    (si = CMS_add1_signer(cms, ra, key, md, CMS_BINARY | CMS_NOSMIMECAP)) == NULL ||
	    add_attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "3", 1) != 0 ||
	    add_attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, req->tid,
	    (int)strlen(req->tid)) != 0 ||
	    add_attr(si, OID_PKI_STATUS, V_ASN1_PRINTABLESTRING, st, (int)strlen(st)) != 0 ||
	    (status == SCEP_FAILURE && add_attr(si, OID_FAIL_INFO, V_ASN1_PRINTABLESTRING, fi,
	    (int)strlen(fi)) != 0) ||
	    (status == SCEP_FAILURE && text != NULL && text[0] != '\0' &&
	    add_attr(si, OID_FAIL_INFO_TEXT, V_ASN1_UTF8STRING, text, (int)strlen(text)) != 0) ||
	    add_attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, (int)sizeof(nonce)) != 0 ||
	    (req->nonce_len > 0 && add_attr(si, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING,
	    req->nonce, (int)req->nonce_len) != 0))
		goto out;
	/* FAILURE and PENDING carry no pkcsPKIEnvelope (§3.3.2): the content
	 * is then an empty id-data, which every client reads */
	if ((data = BIO_new_mem_buf(envder != NULL ? (const void *)envder : "", envlen)) == NULL ||
	    CMS_final(cms, data, NULL, CMS_BINARY) != 1 || (n = i2d_CMS_ContentInfo(cms, out)) <= 0)
		goto out;
	*outlen = (size_t)n;
	r = 0;
out:
	BIO_free(in);
	BIO_free(data);
	OPENSSL_free(p7);
	OPENSSL_free(envder);
	sk_X509_free(recips);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return r;
}

const char *
scep_type_name(int type)
{
	switch (type) {
	case SCEP_CERTREP: return "certrep";
	case SCEP_RENEWALREQ: return "renewalreq";
	case SCEP_PKCSREQ: return "pkcsreq";
	case SCEP_CERTPOLL: return "certpoll";
	case SCEP_GETCERT: return "getcert";
	case SCEP_GETCRL: return "getcrl";
	default: return "unknown";
	}
}

const char *
scep_fail_name(int failinfo)
{
	static const char *const names[] = {
		"badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
	};

	return failinfo >= 0 && failinfo <= SCEP_BAD_CERT_ID ? names[failinfo] : "none";
}
