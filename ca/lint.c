/* ca/lint.c: the rules every certificate and CRL passes before the CA signs it */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <govpki/audit.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "lint_int.h"

/*
 * A certificate's fields as the rules read them, decoded once per lint:
 * every extension OpenSSL knows is decoded (one that does not decode
 * breaks ext-der), the ones the rules look at are kept.  Nothing is
 * cached in the certificate (X509_get_extension_flags would, and the
 * certificate is still being built).
 */
typedef struct cert_view {
	X509 *cert;
	const gp_lint_cert_ctx *lc;
	int self_signed;
	int n_exts;
	int bad_ext, dup_ext;          /* index + 1 of the first such extension */
	BASIC_CONSTRAINTS *bc;
	int bc_crit;
	ASN1_BIT_STRING *ku;
	EXTENDED_KEY_USAGE *eku;
	int eku_crit;
	GENERAL_NAMES *san;
	int has_san, san_crit;
	AUTHORITY_KEYID *aki;
	ASN1_OCTET_STRING *ski;
	int server;                    /* EKU id-kp-serverAuth, not a CA */
	int subject_empty;
	int64_t period;                /* notAfter - notBefore + 1 s (RFC 5280 4.1.2.5) */
	int period_ok;                 /* both times read */
	void **dec;                    /* per extension: decoded value or NULL */
	const ASN1_ITEM **dec_it;
} cert_view;

/* A check: 0 when the rule holds, else 1 with why filled. */
typedef int (*cert_check)(const cert_view *cv, char *why, size_t n);
typedef int (*crl_check)(const gp_lint_crl_parts *v, char *why, size_t n);

static int
fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- shared ------------------------------------------------------------ */

/* RFC 5280 §4.2 (certificates) and §5.2 (CRLs): an extension appears at
 * most once.  Index + 1 of the first repeat, 0 when none. */
static int
first_dup(const STACK_OF(X509_EXTENSION) *exts)
{
	int i, j, n = sk_X509_EXTENSION_num(exts);

	for (i = 1; i < n; i++) {
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i));

		for (j = 0; j < i; j++)
			if (OBJ_cmp(o, X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0)
				return i + 1;
	}
	return 0;
}

static const char *
ext_name(const STACK_OF(X509_EXTENSION) *exts, int idx, char *buf, size_t n)
{
	const ASN1_OBJECT *o = X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, idx));

	if (OBJ_obj2txt(buf, (int)n, o, 0) <= 0)
		snprintf(buf, n, "?");
	return buf;
}

/*
 * RFC 5280 §4.1.1.2 / §5.1.1.2: the AlgorithmIdentifier inside the signed
 * part equals the one outside it; §4.1.2.3 / §5.1.2.2: it names an
 * algorithm of the issuer's key (RFC 3279, RFC 4055, RFC 5758, RFC 8410,
 * GM/T 0006 for SM2 with SM3), and, CA/B BR §7.1.3.2, no SHA-1 or MD5.
 */
static int
sig_alg_check(const X509_ALGOR *in, const X509_ALGOR *out, EVP_PKEY *key,
    char *why, size_t n)
{
	const ASN1_OBJECT *o;
	int nid, md = NID_undef, pk = NID_undef;
	char buf[80];

	if (in == NULL || out == NULL)
		return fail(why, n, "no signature algorithm");
	if (X509_ALGOR_cmp(in, out) != 0)
		return fail(why, n, "the signature algorithm inside the signed part differs "
		    "from the one outside it");
	X509_ALGOR_get0(&o, NULL, NULL, in);
	nid = OBJ_obj2nid(o);
	if (nid == NID_undef || OBJ_find_sigid_algs(nid, &md, &pk) != 1) {
		OBJ_obj2txt(buf, sizeof(buf), o, 1);
		return fail(why, n, "unknown signature algorithm %s", buf);
	}
	if (key == NULL || !EVP_PKEY_is_a(key, OBJ_nid2sn(pk)))
		return fail(why, n, "signature algorithm %s does not fit the issuer's %s key",
		    OBJ_nid2sn(nid), key ? EVP_PKEY_get0_type_name(key) : "missing");
	if (md == NID_sha1 || md == NID_md5 || md == NID_md5_sha1)
		return fail(why, n, "signature algorithm %s hashes with %s", OBJ_nid2sn(nid),
		    OBJ_nid2sn(md));
	return 0;
}

/* ---- certificate rules --------------------------------------------------- */

/* The DER content octets of the serial: its magnitude, plus the sign
 * octet when the top bit is set. */
static int
serial_octets(const ASN1_INTEGER *s)
{
	int len = ASN1_STRING_length(s);
	const unsigned char *d = ASN1_STRING_get0_data(s);

	while (len > 0 && d[0] == 0) {
		d++;
		len--;
	}
	return len + (len > 0 && (d[0] & 0x80) ? 1 : 0);
}

static int
serial_zero(const ASN1_INTEGER *s)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int i, len = ASN1_STRING_length(s);

	for (i = 0; i < len; i++)
		if (d[i] != 0)
			return 0;
	return 1;
}

/* RFC 5280 §4.1.2.2: a positive integer */
static int
c_serial_positive(const cert_view *cv, char *why, size_t n)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(cv->cert);

	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER && !serial_zero(s))
		return fail(why, n, "the serial number is negative");
	return 0;
}

static int
c_serial_nonzero(const cert_view *cv, char *why, size_t n)
{
	if (serial_zero(X509_get0_serialNumber(cv->cert)))
		return fail(why, n, "the serial number is zero");
	return 0;
}

static int
c_serial_length(const cert_view *cv, char *why, size_t n)
{
	int o = serial_octets(X509_get0_serialNumber(cv->cert));

	if (o > 20)
		return fail(why, n, "the serial number has %d octets, more than 20", o);
	return 0;
}

/* CA/B BR §7.1: at least 64 bits of CSPRNG output.  One value cannot show
 * its entropy; fewer than 8 octets cannot hold 64 bits (ours carry 127
 * random bits, gp_serial_random). */
static int
c_serial_entropy(const cert_view *cv, char *why, size_t n)
{
	int o = serial_octets(X509_get0_serialNumber(cv->cert));

	if (o < 8)
		return fail(why, n, "the serial number has %d octets, too few for 64 random "
		    "bits", o);
	return 0;
}

static int
c_version(const cert_view *cv, char *why, size_t n)
{
	if (cv->n_exts > 0 && X509_get_version(cv->cert) != X509_VERSION_3)
		return fail(why, n, "extensions in a version %ld certificate",
		    X509_get_version(cv->cert) + 1);
	return 0;
}

static int
c_validity_order(const cert_view *cv, char *why, size_t n)
{
	if (!cv->period_ok)
		return fail(why, n, "notBefore or notAfter is missing or malformed");
	if (cv->period <= 1)
		return fail(why, n, "notAfter is not after notBefore");
	return 0;
}

static int
c_validity_profile(const cert_view *cv, char *why, size_t n)
{
	const gp_profile *p = cv->lc->profile;

	if (p == NULL || !cv->period_ok)
		return 0;
	if (cv->period > (int64_t)p->max_days * 86400)
		return fail(why, n, "valid for %lld s, more than the %d days of profile %s",
		    (long long)cv->period, p->max_days, p->name);
	return 0;
}

/* CA/B BR §6.3.2 (ballot SC-081): a TLS server certificate issued from
 * 2026-03-15 is valid for at most 200 days, from 2027-03-15 100 days,
 * from 2029-03-15 47 days; before, 398 days. */
static int
c_validity_tls(const cert_view *cv, char *why, size_t n)
{
	int64_t nb;
	int days;

	if (!cv->server || !cv->period_ok ||
	    gp_time_from_asn1(&nb, X509_get0_notBefore(cv->cert)) != 0) {
		gp_error_clear();
		return 0;
	}
	if (nb >= 1868227200)          /* 2029-03-15T00:00:00Z */
		days = 47;
	else if (nb >= 1805068800)     /* 2027-03-15 */
		days = 100;
	else if (nb >= 1773532800)     /* 2026-03-15 */
		days = 200;
	else
		days = 398;
	if (cv->period > (int64_t)days * 86400)
		return fail(why, n, "a TLS server certificate valid for %lld days, more than "
		    "the %d allowed when it starts", (long long)((cv->period + 86399) / 86400),
		    days);
	return 0;
}

/* The failure of extension idx + 1 (0: none) of cert, what it did. */
static int
ext_fail(const cert_view *cv, int idx1, const char *what, char *why, size_t n)
{
	char buf[80];

	if (idx1 == 0)
		return 0;
	return fail(why, n, "extension %s %s",
	    ext_name(X509_get0_extensions(cv->cert), idx1 - 1, buf, sizeof(buf)), what);
}

static int
c_ext_der(const cert_view *cv, char *why, size_t n)
{
	return ext_fail(cv, cv->bad_ext, "does not decode", why, n);
}

static int
c_ext_unique(const cert_view *cv, char *why, size_t n)
{
	return ext_fail(cv, cv->dup_ext, "appears more than once", why, n);
}

static int
is_ca(const cert_view *cv)
{
	return cv->bc != NULL && cv->bc->ca;
}

static int
c_bc_profile(const cert_view *cv, char *why, size_t n)
{
	const gp_profile *p = cv->lc->profile;

	if (p == NULL)
		return 0;
	if (is_ca(cv) != (p->is_ca != 0))
		return fail(why, n, "basicConstraints cA is %s, profile %s is %sa CA profile",
		    is_ca(cv) ? "TRUE" : "FALSE", p->name, p->is_ca ? "" : "not ");
	return 0;
}

static int
c_bc_critical(const cert_view *cv, char *why, size_t n)
{
	if (is_ca(cv) && !cv->bc_crit)
		return fail(why, n, "a CA certificate with basicConstraints not critical");
	return 0;
}

static int
c_ku_ca(const cert_view *cv, char *why, size_t n)
{
	if (is_ca(cv) && cv->ku == NULL)
		return fail(why, n, "a CA certificate without keyUsage");
	return 0;
}

static int
c_ku_cert_sign(const cert_view *cv, char *why, size_t n)
{
	int sign = cv->ku != NULL && ASN1_BIT_STRING_get_bit(cv->ku, 5);  /* keyCertSign(5) */

	if (sign && !is_ca(cv))
		return fail(why, n, "keyUsage keyCertSign without basicConstraints cA");
	if (!sign && is_ca(cv))
		return fail(why, n, "basicConstraints cA without keyUsage keyCertSign");
	return 0;
}

static int
c_ski_ca(const cert_view *cv, char *why, size_t n)
{
	if (is_ca(cv) && cv->ski == NULL)
		return fail(why, n, "a CA certificate without subjectKeyIdentifier");
	return 0;
}

static int
c_aki(const cert_view *cv, char *why, size_t n)
{
	const ASN1_OCTET_STRING *iski;

	if (cv->self_signed)
		return 0;
	if (cv->aki == NULL || cv->aki->keyid == NULL)
		return fail(why, n, "no authorityKeyIdentifier keyIdentifier");
	iski = X509_get0_subject_key_id(cv->lc->issuer);
	if (iski != NULL && ASN1_OCTET_STRING_cmp(iski, cv->aki->keyid) != 0)
		return fail(why, n, "the authorityKeyIdentifier is not the issuer's "
		    "subjectKeyIdentifier");
	return 0;
}

static int
c_san_syntax(const cert_view *cv, char *why, size_t n)
{
	int i, k;

	if (!cv->has_san)
		return 0;
	if (cv->san == NULL || (k = sk_GENERAL_NAME_num(cv->san)) == 0)
		return fail(why, n, "an empty subjectAltName");
	for (i = 0; i < k; i++)
		if (!gp_general_name_ok(sk_GENERAL_NAME_value(cv->san, i)))
			return fail(why, n, "subjectAltName %d is malformed", i + 1);
	return 0;
}

/* CA/B BR §7.1.2.7.12: a TLS server certificate names its hosts in a
 * subjectAltName of dNSName or iPAddress entries; the profile's
 * san_required asks for one too. */
static int
c_san_server(const cert_view *cv, char *why, size_t n)
{
	const gp_profile *p = cv->lc->profile;
	int i, k = cv->san != NULL ? sk_GENERAL_NAME_num(cv->san) : 0;

	if (p != NULL && p->san_required && k == 0)
		return fail(why, n, "profile %s requires a subjectAltName", p->name);
	if (!cv->server)
		return 0;
	for (i = 0; i < k; i++) {
		int t = sk_GENERAL_NAME_value(cv->san, i)->type;

		if (t == GEN_DNS || t == GEN_IPADD)
			return 0;
	}
	return fail(why, n, "a TLS server certificate (serverAuth) without a DNS or IP "
	    "subjectAltName");
}

static int
c_subject_empty(const cert_view *cv, char *why, size_t n)
{
	if (cv->subject_empty && (cv->san == NULL || sk_GENERAL_NAME_num(cv->san) == 0))
		return fail(why, n, "an empty subject and no subjectAltName");
	return 0;
}

static int
c_san_critical(const cert_view *cv, char *why, size_t n)
{
	if (cv->subject_empty && cv->has_san && !cv->san_crit)
		return fail(why, n, "an empty subject with a subjectAltName that is not critical");
	return 0;
}

/* 1 when o is in v (by value: sk_ASN1_OBJECT_find, without a comparison
 * function, would compare pointers) */
static int
has_obj(const STACK_OF(ASN1_OBJECT) *v, const ASN1_OBJECT *o)
{
	int i;

	for (i = 0; i < sk_ASN1_OBJECT_num(v); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(v, i), o) == 0)
			return 1;
	return 0;
}

static int
c_eku_profile(const cert_view *cv, char *why, size_t n)
{
	const gp_profile *p = cv->lc->profile;
	int i, want, have;

	if (p == NULL)
		return 0;
	want = p->eku != NULL ? sk_ASN1_OBJECT_num(p->eku) : 0;
	have = cv->eku != NULL ? sk_ASN1_OBJECT_num(cv->eku) : 0;
	if (want == 0 && have == 0)
		return 0;
	if (want != have)
		return fail(why, n, "%d extendedKeyUsage purposes, profile %s has %d", have,
		    p->name, want);
	for (i = 0; i < want; i++)
		if (!has_obj(cv->eku, sk_ASN1_OBJECT_value(p->eku, i))) {
			char buf[80];

			OBJ_obj2txt(buf, sizeof(buf), sk_ASN1_OBJECT_value(p->eku, i), 0);
			return fail(why, n, "extendedKeyUsage lacks %s of profile %s", buf, p->name);
		}
	if ((cv->eku_crit != 0) != (p->eku_critical != 0))
		return fail(why, n, "extendedKeyUsage is %scritical, profile %s has it %s",
		    cv->eku_crit ? "" : "not ", p->name, p->eku_critical ? "critical" : "not");
	return 0;
}

/* The SubjectPublicKeyInfo algorithm and, for EC, its curve (NID_undef
 * for explicit parameters), read from the certificate's own fields. */
static int
spki_alg(const X509 *cert, int *curve)
{
	ASN1_OBJECT *alg = NULL;
	X509_ALGOR *pa = NULL;
	const void *pval = NULL;
	int ptype = V_ASN1_UNDEF;

	*curve = NID_undef;
	if (X509_PUBKEY_get0_param(&alg, NULL, NULL, &pa, X509_get_X509_PUBKEY(cert)) != 1)
		return NID_undef;
	if (pa != NULL)
		X509_ALGOR_get0(NULL, &ptype, &pval, pa);
	if (ptype == V_ASN1_OBJECT)
		*curve = OBJ_obj2nid(pval);
	return OBJ_obj2nid(alg);
}

static int
c_key_rsa(const cert_view *cv, char *why, size_t n)
{
	EVP_PKEY *k;
	int curve, bits;

	if (spki_alg(cv->cert, &curve) != NID_rsaEncryption)
		return 0;
	k = cv->lc->subject_key ? cv->lc->subject_key : X509_get0_pubkey(cv->cert);
	if (k == NULL)
		return fail(why, n, "the RSA public key does not decode");
	bits = EVP_PKEY_get_bits(k);
	if (bits < 2048 || bits % 8 != 0)
		return fail(why, n, "an RSA key of %d bits (at least 2048, a multiple of 8)", bits);
	return 0;
}

static int
c_key_ec(const cert_view *cv, char *why, size_t n)
{
	int curve;

	if (spki_alg(cv->cert, &curve) != NID_X9_62_id_ecPublicKey)
		return 0;
	switch (curve) {
	case NID_X9_62_prime256v1:
	case NID_secp384r1:
	case NID_secp521r1:
	case NID_sm2:
		return 0;
	case NID_undef:
		return fail(why, n, "an EC key without a named curve");
	default:
		return fail(why, n, "an EC key on curve %s", OBJ_nid2sn(curve));
	}
}

static int
c_sig_alg(const cert_view *cv, char *why, size_t n)
{
	const X509_ALGOR *out = NULL;

	X509_get0_signature(NULL, &out, cv->cert);
	return sig_alg_check(X509_get0_tbs_sigalg(cv->cert), out, cv->lc->issuer_key, why, n);
}

/* ---- CRL rules ------------------------------------------------------------ */

static const X509_EXTENSION *
crl_ext(const gp_lint_crl_parts *v, int nid)
{
	int i = X509v3_get_ext_by_NID(v->exts, nid, -1);

	return i >= 0 ? X509v3_get_ext(v->exts, i) : NULL;
}

static int
l_version(const gp_lint_crl_parts *v, char *why, size_t n)
{
	if (sk_X509_EXTENSION_num(v->exts) > 0 &&
	    (v->version == NULL || ASN1_INTEGER_get(v->version) != 1))
		return fail(why, n, "extensions in a CRL that is not version 2");
	return 0;
}

static int
l_next_update(const gp_lint_crl_parts *v, char *why, size_t n)
{
	if (v->this_update == NULL || v->next_update == NULL)
		return fail(why, n, "no nextUpdate");
	if (ASN1_TIME_compare(v->next_update, v->this_update) <= 0)
		return fail(why, n, "nextUpdate is not after thisUpdate");
	return 0;
}

static int
l_number(const gp_lint_crl_parts *v, char *why, size_t n)
{
	const X509_EXTENSION *e = crl_ext(v, NID_crl_number);
	ASN1_INTEGER *num;
	int r = 0;

	if (e == NULL)
		return fail(why, n, "no cRLNumber");
	if (X509_EXTENSION_get_critical(e))
		return fail(why, n, "cRLNumber is critical");
	if ((num = X509V3_EXT_d2i((X509_EXTENSION *)e)) == NULL)
		return fail(why, n, "cRLNumber does not decode");
	if (ASN1_STRING_type(num) == V_ASN1_NEG_INTEGER)
		r = fail(why, n, "cRLNumber is negative");
	else if (serial_octets(num) > 20)
		r = fail(why, n, "cRLNumber has more than 20 octets");
	ASN1_INTEGER_free(num);
	return r;
}

static int
l_aki(const gp_lint_crl_parts *v, char *why, size_t n)
{
	const X509_EXTENSION *e = crl_ext(v, NID_authority_key_identifier);
	AUTHORITY_KEYID *a;
	int r = 0;

	if (e == NULL)
		return fail(why, n, "no authorityKeyIdentifier");
	if ((a = X509V3_EXT_d2i((X509_EXTENSION *)e)) == NULL || a->keyid == NULL)
		r = fail(why, n, "no authorityKeyIdentifier keyIdentifier");
	AUTHORITY_KEYID_free(a);
	return r;
}

static int
l_delta(const gp_lint_crl_parts *v, char *why, size_t n)
{
	const X509_EXTENSION *e = crl_ext(v, NID_delta_crl);

	if (e != NULL && !X509_EXTENSION_get_critical(e))
		return fail(why, n, "deltaCRLIndicator is not critical");
	return 0;
}

static int
l_ext_unique(const gp_lint_crl_parts *v, char *why, size_t n)
{
	char buf[80];
	int d = first_dup(v->exts);

	if (d)
		return fail(why, n, "extension %s appears more than once",
		    ext_name(v->exts, d - 1, buf, sizeof(buf)));
	return 0;
}

static int
l_sig_alg(const gp_lint_crl_parts *v, char *why, size_t n)
{
	return sig_alg_check(v->tbs_sig_alg, v->sig_alg, v->issuer_key, why, n);
}

/* ---- the table ------------------------------------------------------------ */

#define C GP_LINT_CERT
#define L GP_LINT_CRL
#define T GP_LINT_TBS
#define S GP_LINT_SIGNED

static const struct entry {
	gp_lint_rule rule;
	cert_check cert;
	crl_check crl;
} rules[] = {
	{ { "serial-positive", "RFC 5280 4.1.2.2", "the serial number is positive", C, T },
	  c_serial_positive, NULL },
	{ { "serial-nonzero", "RFC 5280 4.1.2.2", "the serial number is not zero", C, T },
	  c_serial_nonzero, NULL },
	{ { "serial-length", "RFC 5280 4.1.2.2", "the serial number has at most 20 octets",
	    C, T }, c_serial_length, NULL },
	{ { "serial-entropy", "CA/B BR 7.1", "the serial number can hold 64 random bits "
	    "(at least 8 octets)", C, T }, c_serial_entropy, NULL },
	{ { "version-v3", "RFC 5280 4.1.2.1", "a certificate with extensions is version 3",
	    C, T }, c_version, NULL },
	{ { "validity-order", "RFC 5280 4.1.2.5", "notAfter is after notBefore", C, T },
	  c_validity_order, NULL },
	{ { "validity-profile", "RFC 5280 4.1.2.5", "the validity is at most the profile's "
	    "max_days", C, T }, c_validity_profile, NULL },
	{ { "validity-tls-server", "CA/B BR 6.3.2", "a serverAuth certificate is valid for "
	    "at most 398/200/100/47 days by the date it starts", C, T }, c_validity_tls, NULL },
	{ { "ext-der", "RFC 5280 4.2", "every extension decodes as its syntax", C, T },
	  c_ext_der, NULL },
	{ { "ext-unique", "RFC 5280 4.2", "no extension appears twice", C, T },
	  c_ext_unique, NULL },
	{ { "bc-profile", "RFC 5280 4.2.1.9", "basicConstraints cA is what the profile says",
	    C, T }, c_bc_profile, NULL },
	{ { "bc-critical-ca", "RFC 5280 4.2.1.9", "basicConstraints is critical in a CA "
	    "certificate", C, T }, c_bc_critical, NULL },
	{ { "ku-ca", "RFC 5280 4.2.1.3", "a CA certificate has keyUsage", C, T },
	  c_ku_ca, NULL },
	{ { "ku-cert-sign", "RFC 5280 4.2.1.3, 4.2.1.9", "keyUsage keyCertSign if and only "
	    "if basicConstraints cA", C, T }, c_ku_cert_sign, NULL },
	{ { "ski-ca", "RFC 5280 4.2.1.2", "a CA certificate has subjectKeyIdentifier", C, T },
	  c_ski_ca, NULL },
	{ { "aki", "RFC 5280 4.2.1.1", "authorityKeyIdentifier keyIdentifier present, "
	    "the issuer's subjectKeyIdentifier (not needed when self-signed)", C, T },
	  c_aki, NULL },
	{ { "san-syntax", "RFC 5280 4.2.1.6", "subjectAltName not empty; DNS names in the "
	    "preferred syntax, rfc822 local@domain, URIs with a scheme, IPs of 4 or 16 "
	    "octets", C, T }, c_san_syntax, NULL },
	{ { "san-tls-server", "CA/B BR 7.1.2.7.12", "a serverAuth certificate (or a "
	    "profile with san_required) has a DNS or IP subjectAltName", C, T },
	  c_san_server, NULL },
	{ { "subject-empty-san", "RFC 5280 4.1.2.6", "an empty subject comes with a "
	    "subjectAltName", C, T }, c_subject_empty, NULL },
	{ { "san-critical", "RFC 5280 4.2.1.6", "with an empty subject the subjectAltName "
	    "is critical", C, T }, c_san_critical, NULL },
	{ { "eku-profile", "RFC 5280 4.2.1.12", "extendedKeyUsage has the profile's "
	    "purposes and criticality", C, T }, c_eku_profile, NULL },
	{ { "key-rsa", "CA/B BR 6.1.5", "an RSA key has at least 2048 bits, a multiple of 8",
	    C, T }, c_key_rsa, NULL },
	{ { "key-ec", "CA/B BR 6.1.5", "an EC key is on P-256, P-384, P-521 (or SM2, "
	    "GM/T 0003) by name", C, T }, c_key_ec, NULL },
	{ { "sig-alg", "RFC 5280 4.1.1.2, 4.1.2.3", "the signature algorithm is the same "
	    "inside and outside, fits the issuer's key, not SHA-1 (CA/B BR 7.1.3.2)", C, S },
	  c_sig_alg, NULL },
	{ { "crl-version", "RFC 5280 5.1.2.1", "a CRL with extensions is version 2", L, T },
	  NULL, l_version },
	{ { "crl-next-update", "RFC 5280 5.1.2.5", "nextUpdate present and after "
	    "thisUpdate", L, T }, NULL, l_next_update },
	{ { "crl-number", "RFC 5280 5.2.3", "cRLNumber present, not critical, not negative, "
	    "at most 20 octets", L, T }, NULL, l_number },
	{ { "crl-aki", "RFC 5280 5.2.1", "authorityKeyIdentifier keyIdentifier present",
	    L, T }, NULL, l_aki },
	{ { "crl-delta-critical", "RFC 5280 5.2.4", "deltaCRLIndicator is critical", L, T },
	  NULL, l_delta },
	{ { "crl-ext-unique", "RFC 5280 5.2", "no extension appears twice", L, T },
	  NULL, l_ext_unique },
	{ { "crl-sig-alg", "RFC 5280 5.1.1.2, 5.1.2.2", "the signature algorithm is the "
	    "same inside and outside, fits the issuer's key, not SHA-1", L, S },
	  NULL, l_sig_alg },
};

#undef C
#undef L
#undef T
#undef S

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

const gp_lint_rule *
gp_lint_rule_at(size_t i)
{
	return i < N_RULES ? &rules[i].rule : NULL;
}

static int
refuse(const gp_lint_rule *r, const char *why)
{
	return gp_err(GP_E_POLICY, "lint: rule %s (%s): %s", r->id, r->source, why);
}

/* ---- certificates ------------------------------------------------------- */

static void
view_free(cert_view *cv)
{
	int i;

	for (i = 0; cv->dec != NULL && i < cv->n_exts; i++)
		if (cv->dec[i] != NULL)
			ASN1_item_free((ASN1_VALUE *)cv->dec[i], cv->dec_it[i]);
	free(cv->dec);
	free(cv->dec_it);
}

/* Decodes what the TBS rules read (cert_view). */
static int
view_fill(cert_view *cv)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_get0_extensions(cv->cert);
	const ASN1_TIME *nb = X509_get0_notBefore(cv->cert), *na = X509_get0_notAfter(cv->cert);
	int i, days, secs;

	cv->n_exts = sk_X509_EXTENSION_num(exts);
	if (cv->n_exts < 0)
		cv->n_exts = 0;
	if (cv->n_exts > 0 &&
	    ((cv->dec = calloc((size_t)cv->n_exts, sizeof(*cv->dec))) == NULL ||
	    (cv->dec_it = calloc((size_t)cv->n_exts, sizeof(*cv->dec_it))) == NULL))
		return gp_err(GP_E_NOMEM, "lint: out of memory");
	cv->dup_ext = first_dup(exts);
	for (i = 0; i < cv->n_exts; i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		const X509V3_EXT_METHOD *m = X509V3_EXT_get(e);
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
		const unsigned char *p = ASN1_STRING_get0_data(os);
		int crit = X509_EXTENSION_get_critical(e);
		void *d;

		if (m == NULL || m->it == NULL)
			continue;      /* not one OpenSSL knows: the profile rules judge */
		if ((d = (void *)ASN1_item_d2i(NULL, &p, ASN1_STRING_length(os), ASN1_ITEM_ptr(m->it))) == NULL ||
		    p != ASN1_STRING_get0_data(os) + ASN1_STRING_length(os)) {
			ASN1_item_free((ASN1_VALUE *)d, ASN1_ITEM_ptr(m->it));
			if (!cv->bad_ext)
				cv->bad_ext = i + 1;
			continue;
		}
		cv->dec[i] = d;
		cv->dec_it[i] = ASN1_ITEM_ptr(m->it);
		switch (m->ext_nid) {
		case NID_basic_constraints:
			if (cv->bc == NULL) {
				cv->bc = d;
				cv->bc_crit = crit;
			}
			break;
		case NID_key_usage:
			if (cv->ku == NULL)
				cv->ku = d;
			break;
		case NID_ext_key_usage:
			if (cv->eku == NULL) {
				cv->eku = d;
				cv->eku_crit = crit;
			}
			break;
		case NID_subject_alt_name:
			if (!cv->has_san) {
				cv->san = d;
				cv->has_san = 1;
				cv->san_crit = crit;
			}
			break;
		case NID_authority_key_identifier:
			if (cv->aki == NULL)
				cv->aki = d;
			break;
		case NID_subject_key_identifier:
			if (cv->ski == NULL)
				cv->ski = d;
			break;
		default:
			break;
		}
	}
	/* id-kp-serverAuth (RFC 5280 §4.2.1.12) in a certificate that is no CA */
	for (i = 0; cv->eku != NULL && i < sk_ASN1_OBJECT_num(cv->eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(cv->eku, i)) == NID_server_auth)
			cv->server = !(cv->bc != NULL && cv->bc->ca);
	cv->subject_empty = X509_NAME_entry_count(X509_get_subject_name(cv->cert)) == 0;
	if (nb != NULL && na != NULL && ASN1_TIME_diff(&days, &secs, nb, na) == 1) {
		cv->period = (int64_t)days * 86400 + secs + 1;   /* both ends count */
		cv->period_ok = 1;
	}
	return 0;
}

int
gp_lint_cert(X509 *cert, const gp_lint_cert_ctx *lc, int phase)
{
	cert_view cv;
	char why[256];
	size_t i;
	int r = 0;

	if (cert == NULL || lc == NULL)
		return gp_err(GP_E_INVALID, "gp_lint_cert: NULL argument");
	memset(&cv, 0, sizeof(cv));
	cv.cert = cert;
	cv.lc = lc;
	cv.self_signed = lc->issuer == NULL || lc->issuer == cert;
	if (phase == GP_LINT_TBS && (r = view_fill(&cv)) != 0)
		goto out;
	for (i = 0; i < N_RULES; i++) {
		const struct entry *e = &rules[i];

		if (e->rule.kind != GP_LINT_CERT || e->rule.phase != phase)
			continue;
		if (e->cert(&cv, why, sizeof(why)) != 0) {
			r = refuse(&e->rule, why);
			goto out;
		}
	}
out:
	view_free(&cv);
	return r;
}

/* ---- CRLs ------------------------------------------------------------------ */

int
gp_lint_crl(const gp_lint_crl_parts *v, int phase)
{
	char why[256];
	size_t i;

	if (v == NULL)
		return gp_err(GP_E_INVALID, "gp_lint_crl: NULL argument");
	for (i = 0; i < N_RULES; i++) {
		const struct entry *e = &rules[i];

		if (e->rule.kind != GP_LINT_CRL || e->rule.phase != phase)
			continue;
		if (e->crl(v, why, sizeof(why)) != 0)
			return refuse(&e->rule, why);
	}
	return 0;
}

/* ---- refusals -------------------------------------------------------------- */

int
gp_lint_audit(gp_store *st, const char *actor, const char *object, const char *context,
    int r, const char *msg)
{
	char saved[1024], detail[1400];
	int a;

	snprintf(saved, sizeof(saved), "%s", msg != NULL ? msg : gp_error_last());
	snprintf(detail, sizeof(detail), "%s%s%s", context ? context : "", context ? ": " : "",
	    saved);
	if ((a = gp_audit_append(st, actor != NULL ? actor : "ca-tool", GP_AUDIT_LINT_REFUSE,
	    object, detail)) != 0)
		return gp_err(a, "%s; the refusal could not be audited: %s", saved, gp_error_last());
	return gp_err(r, "%s", saved);
}
