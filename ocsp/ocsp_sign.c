/* ocsp/ocsp_sign.c: ca-signer's side of sign-ocsp: a ResponseData checked against the store, then signed with the CA's own key (docs/signer.md) */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <govpki/ocsp.h>
#include <govpki/store.h>
#include <govpki/x509util.h>

#include "../ca/ca_lib.h"
#include "error_int.h"

#define SKEW 300                /* seconds a ResponseData's times may be off now */
#define NONCE_MAX 128           /* RFC 9654 §2.1 */

/* t (a GeneralizedTime) as seconds since the epoch. */
static int
secs_of(int64_t *out, const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return gp_err(GP_E_PARSE, "a time that does not parse");
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* A BasicOCSPResponse around tbs (DER) with a placeholder signature, for
 * OpenSSL's decoder and accessors; *out (OPENSSL_free). */
static int
wrap(unsigned char **out, size_t *outlen, const unsigned char *tbs, size_t tbslen)
{
	/* AlgorithmIdentifier { sha256 } and an empty BIT STRING: replaced
	 * when signed */
	static const unsigned char tail[] = {
		0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
		0x03, 0x01, 0x00
	};
	size_t content = tbslen + sizeof(tail);
	int total;
	unsigned char *buf, *p;

	if (tbslen > (1u << 20) ||
	    (total = ASN1_object_size(1, (int)content, V_ASN1_SEQUENCE)) <= 0 ||
	    (buf = OPENSSL_malloc((size_t)total)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	p = buf;
	ASN1_put_object(&p, 1, (int)content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, tbs, tbslen);
	memcpy(p + tbslen, tail, sizeof(tail));
	*out = buf;
	*outlen = (size_t)total;
	return 0;
}

/* The one SingleResponse i of bs against the store (RFC 6960 §4.2.1):
 * its CertID names cert's CA, its status is the store's (revoked with the
 * store's time and reason, certificateHold for on hold; unknown for a
 * serial the CA never issued, §2.2), its times now and at most
 * max_validity apart, never past the CA's notAfter, no extension. */
static int
check_single(OCSP_BASICRESP *bs, int i, X509 *cert, int64_t ca_id, gp_store *st, int64_t now,
    int64_t max_validity)
{
	OCSP_SINGLERESP *s = OCSP_resp_get0(bs, i);             /* borrowed */
	const OCSP_CERTID *cid;
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *mdobj = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	const EVP_MD *md;
	int64_t t_this, t_next, t_rev, at = 0, ca_end;
	int got, want, reason = -1, want_reason = -1, status, st_reason, r;

	if (s == NULL || (cid = OCSP_SINGLERESP_get0_id(s)) == NULL)
		return gp_err(GP_E_PARSE, "response %d: no CertID", i);
	if (OCSP_SINGLERESP_get_ext_count(s) != 0)
		return gp_err(GP_E_POLICY, "response %d: has singleExtensions (none are signed)", i);
	if (OCSP_id_get0_info(&nh, &mdobj, &kh, &serial, (OCSP_CERTID *)cid) != 1)
		return gp_err(GP_E_PARSE, "response %d: a CertID that does not parse", i);
	/* the CertID's hashes of this CA's name and key (§4.1.1) */
	if ((md = EVP_get_digestbyobj(mdobj)) == NULL)
		return gp_err(GP_E_POLICY, "response %d: a CertID hash this signer does not know", i);
	if (X509_NAME_digest(X509_get_subject_name(cert), md, h, &hl) != 1 ||
	    (unsigned int)ASN1_STRING_length(nh) != hl || memcmp(ASN1_STRING_get0_data(nh), h, hl) != 0 ||
	    X509_pubkey_digest(cert, md, h, &hl) != 1 ||
	    (unsigned int)ASN1_STRING_length(kh) != hl || memcmp(ASN1_STRING_get0_data(kh), h, hl) != 0)
		return gp_err(GP_E_POLICY, "response %d: its CertID names another CA", i);
	got = OCSP_single_get0_status(s, &reason, &rev, &thisu, &nextu);
	/* the store's answer, as the responder reads it (ocsp/ocsp.c build) */
	if (ASN1_STRING_type(serial) != V_ASN1_INTEGER || ASN1_STRING_length(serial) < 1 ||
	    ASN1_STRING_length(serial) > GP_SERIAL_MAX)
		r = GP_E_NOTFOUND;
	else
		r = gp_store_cert_status(st, ca_id, ASN1_STRING_get0_data(serial),
		    (size_t)ASN1_STRING_length(serial), &status, &at, &st_reason);
	if (r == GP_E_NOTFOUND || r == GP_E_INVALID) {
		gp_error_clear();
		want = V_OCSP_CERTSTATUS_UNKNOWN;
	} else if (r != 0) {
		return r;
	} else if (status == GP_STATUS_GOOD) {
		want = V_OCSP_CERTSTATUS_GOOD;
	} else {
		want = V_OCSP_CERTSTATUS_REVOKED;
		want_reason = status == GP_STATUS_HOLD ? GP_REASON_CERTIFICATE_HOLD :
		    st_reason >= 0 && st_reason <= GP_REASON_AA_COMPROMISE ? st_reason : -1;
	}
	if (got != want)
		return gp_err(GP_E_POLICY, "response %d: status %s where the store says %s", i,
		    OCSP_cert_status_str(got), OCSP_cert_status_str(want));
	if (want == V_OCSP_CERTSTATUS_REVOKED) {
		if ((r = secs_of(&t_rev, rev)) != 0)
			return r;
		if (t_rev != at || reason != want_reason)
			return gp_err(GP_E_POLICY, "response %d: revoked at %lld (reason %d) where the "
			    "store says %lld (reason %d)", i, (long long)t_rev, reason, (long long)at,
			    want_reason);
	}
	/* §4.2.2.1: thisUpdate now; nextUpdate within the signer's bound */
	if (nextu == NULL)
		return gp_err(GP_E_POLICY, "response %d: no nextUpdate", i);
	if ((r = secs_of(&t_this, thisu)) != 0 || (r = secs_of(&t_next, nextu)) != 0)
		return r;
	if (t_this < now - SKEW || t_this > now + SKEW)
		return gp_err(GP_E_POLICY, "response %d: thisUpdate is %lld s off now", i,
		    (long long)(t_this - now));
	if (t_next <= t_this || t_next - t_this > max_validity)
		return gp_err(GP_E_POLICY, "response %d: valid for %lld s (at most %lld)", i,
		    (long long)(t_next - t_this), (long long)max_validity);
	if (secs_of(&ca_end, X509_get0_notAfter(cert)) == 0 && t_next > ca_end)
		return gp_err(GP_E_POLICY, "response %d: nextUpdate past the CA's notAfter", i);
	return 0;
}

int
gp_ocsp_sign_checked(unsigned char **sigpart, size_t *siglen, gp_ca *ca, gp_store *st,
    const unsigned char *tbs, size_t tbslen, int64_t now, int64_t max_validity)
{
	unsigned char *wrapped = NULL, *enc = NULL, kid[SHA_DIGEST_LENGTH];
	const unsigned char *p;
	size_t wlen = 0;
	long clen;
	int tag, cls, n, elen, r;
	unsigned int kl = 0;
	OCSP_BASICRESP *bs = NULL;
	const ASN1_OCTET_STRING *rkey = NULL;
	const X509_NAME *rname = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	int64_t produced;

	if (sigpart != NULL)
		*sigpart = NULL;
	if (siglen != NULL)
		*siglen = 0;
	if (sigpart == NULL || siglen == NULL || ca == NULL || st == NULL || tbs == NULL ||
	    tbslen == 0 || max_validity < 1)
		return gp_err(GP_E_INVALID, "gp_ocsp_sign_checked: bad arguments");
	if ((r = gp_ca_signer_get1(&cert, &key, ca)) != 0)
		return r;
	/* one DER ResponseData: a SEQUENCE, exactly tbslen octets, without a
	 * version (v1 is its DEFAULT, left out in DER, X.690 §11.5) */
	p = tbs;
	if ((ASN1_get_object(&p, &clen, &tag, &cls, (long)tbslen) & 0x80) != 0 ||
	    tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL || p + clen != tbs + tbslen) {
		r = gp_err(GP_E_PARSE, "not one DER ResponseData");
		goto out;
	}
	if (clen > 0 && *p == 0xa0) {
		r = gp_err(GP_E_POLICY, "a ResponseData with a version field (v1 is left out)");
		goto out;
	}
	if ((r = wrap(&wrapped, &wlen, tbs, tbslen)) != 0)
		goto out;
	p = wrapped;
	if ((bs = d2i_OCSP_BASICRESP(NULL, &p, (long)wlen)) == NULL || p != wrapped + wlen) {
		r = gp_err_ossl(GP_E_PARSE, "a ResponseData that does not parse (RFC 6960 §4.2.1)");
		goto out;
	}
	/* DER only: encoded again it is the same bytes */
	enc = NULL;
	if ((elen = i2d_OCSP_BASICRESP(bs, &enc)) <= 0 || (size_t)elen != wlen ||
	    memcmp(enc, wrapped, wlen) != 0) {
		r = gp_err(GP_E_PARSE, "a ResponseData that is not DER");
		goto out;
	}
	OPENSSL_free(enc);
	enc = NULL;
	/* §4.2.2.3: the responder is the CA, byKey (the SHA-1 of its key) */
	if (OCSP_resp_get0_id(bs, &rkey, &rname) != 1 || rkey == NULL ||
	    X509_pubkey_digest(cert, EVP_sha1(), kid, &kl) != 1 ||
	    (unsigned int)ASN1_STRING_length(rkey) != kl ||
	    memcmp(ASN1_STRING_get0_data(rkey), kid, kl) != 0) {
		r = gp_err(GP_E_POLICY, "its responderID is not CA %s's key (byKey)", gp_ca_name(ca));
		goto out;
	}
	if ((r = secs_of(&produced, OCSP_resp_get0_produced_at(bs))) != 0)
		goto out;
	if (produced < now - SKEW || produced > now + SKEW) {
		r = gp_err(GP_E_POLICY, "producedAt is %lld s off now", (long long)(produced - now));
		goto out;
	}
	/* §4.4.1: the only responseExtension is the request's Nonce (RFC 9654
	 * §2.1: an OCTET STRING of 1 to 128 octets), not critical */
	if ((n = OCSP_BASICRESP_get_ext_count(bs)) > 1 ||
	    (n == 1 && (OBJ_obj2nid(X509_EXTENSION_get_object(OCSP_BASICRESP_get_ext(bs, 0))) !=
	    NID_id_pkix_OCSP_Nonce || X509_EXTENSION_get_critical(OCSP_BASICRESP_get_ext(bs, 0))))) {
		r = gp_err(GP_E_POLICY, "a responseExtension other than one non-critical Nonce");
		goto out;
	}
	if (n == 1) {
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(OCSP_BASICRESP_get_ext(bs, 0));
		ASN1_OCTET_STRING *in = NULL;

		p = ASN1_STRING_get0_data(v);
		in = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(v));
		if (in == NULL || p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) ||
		    ASN1_STRING_length(in) < 1 || ASN1_STRING_length(in) > NONCE_MAX) {
			ASN1_OCTET_STRING_free(in);
			r = gp_err(GP_E_POLICY, "a Nonce that is not an OCTET STRING of 1 to %d octets",
			    NONCE_MAX);
			goto out;
		}
		ASN1_OCTET_STRING_free(in);
	}
	if ((n = OCSP_resp_count(bs)) < 1) {
		r = gp_err(GP_E_POLICY, "no SingleResponse");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if ((r = check_single(bs, i, cert, gp_ca_id(ca), st, now, max_validity)) != 0)
			goto out;
	/* signed as it is: no certificates, the responderID and producedAt
	 * kept (OCSP_RESPID_KEY sets the same byKey), then the bytes after the
	 * ResponseData, which must be the ones given */
	if ((r = gp_sign_ctx_new(&md, key)) != 0)
		goto out;
	if (OCSP_basic_sign_ctx(bs, cert, md, NULL, OCSP_NOCERTS | OCSP_RESPID_KEY |
	    OCSP_NOTIME) != 1 || (elen = i2d_OCSP_BASICRESP(bs, &enc)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "signing the OCSP response for CA %s", gp_ca_name(ca));
		goto out;
	}
	p = enc;
	if ((ASN1_get_object(&p, &clen, &tag, &cls, elen) & 0x80) != 0 ||
	    (size_t)(enc + elen - p) < tbslen || memcmp(p, tbs, tbslen) != 0) {
		r = gp_err(GP_E_INTERNAL, "the signed ResponseData is not the one checked");
		goto out;
	}
	p += tbslen;
	*siglen = (size_t)(enc + elen - p);
	if ((*sigpart = OPENSSL_malloc(*siglen)) == NULL) {
		*siglen = 0;
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*sigpart, p, *siglen);
	r = 0;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(enc);
	OPENSSL_free(wrapped);
	OCSP_BASICRESP_free(bs);
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}
