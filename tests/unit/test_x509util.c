/* tests/unit/test_x509util.c: names, serials, SM2-aware signing, CSRs, chains */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/x509util.h>

/* ---- times from outside (gp_time_parse) ---- */

/* Good times and the seconds GNU date(1) gives for them (date -u -d ...
 * +%s), bad ones that must be refused, never moved to another day: each
 * with the forms it is read with. */
static void
test_time_parse_table(void **state)
{
	static const struct { const char *s; unsigned forms; long long want; } good[] = {
		{ "2026-03-01", GP_TIME_TEXT, 1772323200LL },
		{ "2026-03-01T12:00:00Z", GP_TIME_TEXT, 1772366400LL },
		{ "20260301120000Z", GP_TIME_TEXT, 1772366400LL },
		{ "@1772366400", GP_TIME_TEXT, 1772366400LL },
		{ "@0", GP_TIME_SECONDS, 0 },
		{ "2024-02-29T23:59:59Z", GP_TIME_TEXT, 1709251199LL },   /* leap year */
		{ "2000-02-29", GP_TIME_DATE, 951782400LL },              /* 400-year leap */
		{ "1970-01-01", GP_TIME_DATE, 0 },
		{ "1950-01-01", GP_TIME_DATE, -631152000LL },
		{ "2049-12-31T23:59:59Z", GP_TIME_DATETIME, 2524607999LL },/* last UTCTime */
		{ "2050-01-01", GP_TIME_DATE, 2524608000LL },             /* GeneralizedTime */
		{ "99991231235959Z", GP_TIME_GENERALIZED, 253402300799LL },
		{ "Sun, 06 Nov 1994 08:49:37 GMT", GP_TIME_HTTP, 784111777LL },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", GP_TIME_HTTP, 784111777LL },
		{ "Sun Nov  6 08:49:37 1994", GP_TIME_HTTP, 784111777LL },
		{ "Thu Feb 29 00:00:00 2024", GP_TIME_HTTP, 1709164800LL },
	};
	static const struct { const char *s; unsigned forms; } bad[] = {
		{ "2026-02-30", GP_TIME_TEXT },             /* no 30 February */
		{ "2026-02-29", GP_TIME_TEXT },             /* 2026 is a common year */
		{ "1900-02-29", GP_TIME_TEXT },             /* a century, not a leap year */
		{ "2026-04-31", GP_TIME_TEXT },
		{ "2026-13-01", GP_TIME_TEXT },             /* month 13 */
		{ "2026-00-10", GP_TIME_TEXT },
		{ "2026-01-00", GP_TIME_TEXT },
		{ "2026-01-32", GP_TIME_TEXT },
		{ "2026-03-01T24:00:00Z", GP_TIME_TEXT },   /* hour 24 */
		{ "2026-03-01T24:00:01Z", GP_TIME_TEXT },
		{ "2026-03-01T12:60:00Z", GP_TIME_TEXT },
		{ "2016-12-31T23:59:60Z", GP_TIME_TEXT },   /* a leap second */
		{ "20261301000000Z", GP_TIME_TEXT },
		{ "20260230000000Z", GP_TIME_TEXT },
		{ "2026-03-01T12:00:00", GP_TIME_TEXT },    /* no Z */
		{ "2026-03-01T12:00:00+08:00", GP_TIME_TEXT },
		{ "2026-3-1", GP_TIME_TEXT },
		{ " 2026-03-01", GP_TIME_TEXT },
		{ "2026-03-01 ", GP_TIME_TEXT },
		{ "2026-03-01x", GP_TIME_TEXT },
		{ "20260301120000.5Z", GP_TIME_TEXT },
		{ "2026-03-01", GP_TIME_HTTP },             /* a form not allowed */
		{ "@1772366400", GP_TIME_DATE | GP_TIME_HTTP },
		{ "@", GP_TIME_TEXT },
		{ "@-5", GP_TIME_TEXT },
		{ "@12x", GP_TIME_TEXT },
		{ "@99999999999999999999999", GP_TIME_TEXT },
		{ "1772366400", GP_TIME_TEXT },
		{ "", GP_TIME_TEXT },
		{ "yesterday", GP_TIME_TEXT | GP_TIME_HTTP },
		{ "Mon, 30 Feb 2026 00:00:00 GMT", GP_TIME_HTTP },
		{ "Sun, 31 Nov 2026 00:00:00 GMT", GP_TIME_HTTP },
		{ "Sun, 06 Nov 1994 24:00:00 GMT", GP_TIME_HTTP },
		{ "Sat, 31 Dec 2016 23:59:60 GMT", GP_TIME_HTTP },
		{ "Sun, 06 Nov 1994 08:49:37", GP_TIME_HTTP },
		{ "Sun, 06 Nov 1994 08:49:37 GMT x", GP_TIME_HTTP },
		{ "Sun, 06 Foo 1994 08:49:37 GMT", GP_TIME_HTTP },
		{ "Sun, 06 Nov 1994 25:49:37 GMT", GP_TIME_HTTP },
		{ "Xyz, 06 Nov 1994 08:49:37 GMT", GP_TIME_HTTP },
		{ "Monday, 30-Feb-26 00:00:00 GMT", GP_TIME_HTTP },
		{ "Mon Feb 30 00:00:00 2026", GP_TIME_HTTP },
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = -1;
		if (gp_time_parse(&t, good[i].s, good[i].forms) != 0)
			fail_msg("'%s' refused: %s", good[i].s, gp_error_last());
		if ((long long)t != good[i].want)
			fail_msg("'%s': %lld, want %lld", good[i].s, (long long)t, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 7;
		if (gp_time_parse(&t, bad[i].s, bad[i].forms) != GP_E_INVALID)
			fail_msg("'%s' accepted as %lld", bad[i].s, (long long)t);
		assert_int_equal(t, 0);
		assert_non_null(strstr(gp_error_last(), bad[i].s));
	}
	assert_int_equal(gp_time_parse(&t, NULL, GP_TIME_TEXT), GP_E_INVALID);
	assert_int_equal(gp_time_parse(NULL, "2026-03-01", GP_TIME_TEXT), GP_E_INVALID);
}

/* an RFC 850 date's two-digit year is at most 50 years ahead (RFC 9110
 * §5.6.7): this year's digits are this year, those 51 years ahead a
 * past century's */
static void
test_time_parse_rfc850_year(void **state)
{
	time_t now = time(NULL);
	struct tm tm;
	char s[64];
	int64_t t;
	int y;

	(void)state;
	gmtime_r(&now, &tm);
	y = tm.tm_year + 1900;
	snprintf(s, sizeof(s), "Monday, 01-Jan-%02d 00:00:00 GMT", y % 100);
	assert_int_equal(gp_time_parse(&t, s, GP_TIME_HTTP), 0);
	gmtime_r(&(time_t){ (time_t)t }, &tm);
	assert_int_equal(tm.tm_year + 1900, y);
	snprintf(s, sizeof(s), "Monday, 01-Jan-%02d 00:00:00 GMT", (y + 51) % 100);
	assert_int_equal(gp_time_parse(&t, s, GP_TIME_HTTP), 0);
	gmtime_r(&(time_t){ (time_t)t }, &tm);
	assert_int_equal(tm.tm_year + 1900, y + 51 - 100);
}

/* gp_time_from_asn1 reads UTCTime and GeneralizedTime; NULL and a
 * malformed time are refused */
static void
test_time_from_asn1(void **state)
{
	ASN1_TIME *a = ASN1_TIME_new();
	int64_t t;

	(void)state;
	assert_non_null(a);
	assert_int_equal(ASN1_TIME_set_string(a, "941106084937Z"), 1);
	assert_int_equal(gp_time_from_asn1(&t, a), 0);
	assert_int_equal(t, 784111777LL);
	assert_int_equal(ASN1_TIME_set_string(a, "20500101000000Z"), 1);
	assert_int_equal(gp_time_from_asn1(&t, a), 0);
	assert_int_equal(t, 2524608000LL);
	assert_int_equal(ASN1_STRING_set(a, "20260230000000Z", 15), 1);
	assert_int_equal(gp_time_from_asn1(&t, a), GP_E_PARSE);
	assert_int_equal(gp_time_from_asn1(&t, NULL), GP_E_PARSE);
	assert_int_equal(gp_time_from_asn1(NULL, a), GP_E_INVALID);
	ASN1_TIME_free(a);
}

/* ---- helpers ---- */

static X509_NAME *
name_of(const char *s)
{
	X509_NAME *n = NULL;

	assert_int_equal(gp_name_parse(&n, s), 0);
	return n;
}

/* A certificate for pub signed by signer, named subj and issued by iss. */
static X509 *
make_cert(const char *subj, const char *iss, EVP_PKEY *pub, EVP_PKEY *signer,
    X509 *issuer_cert, int is_ca, long serial)
{
	X509 *x = X509_new();
	X509_NAME *sn = name_of(subj), *in = name_of(iss);
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	assert_int_equal(X509_set_subject_name(x, sn), 1);
	assert_int_equal(X509_set_issuer_name(x, in), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, pub), 1);
	X509V3_set_ctx(&v3, issuer_cert ? issuer_cert : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, is_ca ?
	    "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_int_equal(gp_x509_sign(x, signer), 0);
	X509_NAME_free(sn);
	X509_NAME_free(in);
	return x;
}

/* A fresh copy through DER, as a verifier would get it (no ID set). */
static X509 *
reparse_cert(X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	X509 *y = NULL;

	assert_true(len > 0);
	assert_int_equal(gp_cert_parse(&y, der, (size_t)len), 0);
	OPENSSL_free(der);
	return y;
}

/* A CRL from issuer (name iss) revoking serial (0: none). */
static X509_CRL *
make_crl(X509 *issuer, EVP_PKEY *key, long serial)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	assert_non_null(crl);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
	X509_gmtime_adj(t, -60);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	X509_gmtime_adj(t, 3600);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
	if (serial != 0) {
		X509_REVOKED *rev = X509_REVOKED_new();
		ASN1_INTEGER *ai = ASN1_INTEGER_new();

		ASN1_INTEGER_set(ai, serial);
		X509_REVOKED_set_serialNumber(rev, ai);
		X509_gmtime_adj(t, -30);
		X509_REVOKED_set_revocationDate(rev, t);
		assert_int_equal(X509_CRL_add0_revoked(crl, rev), 1);
		ASN1_INTEGER_free(ai);
	}
	ASN1_TIME_free(t);
	assert_int_equal(gp_crl_sign(crl, key), 0);
	return crl;
}

static STACK_OF(X509) *
stack_of(X509 *a, X509 *b)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	if (a != NULL)
		sk_X509_push(sk, a);
	if (b != NULL)
		sk_X509_push(sk, b);
	return sk;
}

/* Keys are expensive (RSA-4096): a few per type, made once, shared. */
#define POOL 4
static EVP_PKEY *pool[GP_KEY__COUNT][POOL];

static EVP_PKEY *
pool_key(gp_key_type type, int i)
{
	if (pool[type][i] == NULL)
		assert_int_equal(gp_key_generate(&pool[type][i], type), 0);
	return pool[type][i];
}

static int
pool_free(void **state)
{
	int t, i;

	(void)state;
	for (t = 0; t < GP_KEY__COUNT; t++)
		for (i = 0; i < POOL; i++)
			EVP_PKEY_free(pool[t][i]);
	return 0;
}

/* ---- names ---- */

/* The OpenSSL -subj form parses and prints as RFC 2253 (reversed). */
static void
test_name_basic(void **state)
{
	X509_NAME *n = NULL;
	char *s = NULL;

	(void)state;
	assert_int_equal(gp_name_parse(&n, "/C=CN/O=Example/CN=Root CA"), 0);
	assert_int_equal(X509_NAME_entry_count(n), 3);
	assert_int_equal(gp_name_to_string(&s, n), 0);
	assert_string_equal(s, "CN=Root CA,O=Example,C=CN");
	gp_free(s);
	X509_NAME_free(n);
	/* long names and dotted OIDs are attributes too */
	assert_int_equal(gp_name_parse(&n, "/countryName=CN/2.5.4.3=by oid"), 0);
	assert_int_equal(gp_name_to_string(&s, n), 0);
	assert_string_equal(s, "CN=by oid,C=CN");
	gp_free(s);
	X509_NAME_free(n);
}

/* Chinese values stay UTF-8 (UTF8String) and print readably. */
static void
test_name_utf8(void **state)
{
	X509_NAME *n = NULL;
	X509_NAME_ENTRY *e;
	char *s = NULL;

	(void)state;
	assert_int_equal(gp_name_parse(&n,
	    "/C=CN/O=\xe5\x8c\x97\xe4\xba\xac\xe5\xb8\x82/CN=\xe5\xbc\xa0\xe4\xb8\x89"), 0);
	e = X509_NAME_get_entry(n, 2);
	assert_int_equal(ASN1_STRING_type(X509_NAME_ENTRY_get_data(e)), V_ASN1_UTF8STRING);
	assert_int_equal(gp_name_to_string(&s, n), 0);
	assert_string_equal(s, "CN=\xe5\xbc\xa0\xe4\xb8\x89,O=\xe5\x8c\x97\xe4\xba\xac\xe5\xb8\x82,C=CN");
	gp_free(s);
	X509_NAME_free(n);
}

/* '\' escapes '/', '=' and '\'; only the first '=' splits. */
static void
test_name_escapes(void **state)
{
	X509_NAME *n = NULL;
	char buf[64];

	(void)state;
	assert_int_equal(gp_name_parse(&n, "/O=A\\/B/OU=x=y/CN=back\\\\slash"), 0);
	assert_int_equal(X509_NAME_entry_count(n), 3);
	X509_NAME_get_text_by_NID(n, NID_organizationName, buf, sizeof(buf));
	assert_string_equal(buf, "A/B");
	X509_NAME_get_text_by_NID(n, NID_organizationalUnitName, buf, sizeof(buf));
	assert_string_equal(buf, "x=y");
	X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, "back\\slash");
	X509_NAME_free(n);
}

/* Bad subjects are GP_E_PARSE, name the attribute, and leave *out NULL. */
static void
test_name_bad(void **state)
{
	static const struct {
		const char *s;
		const char *msg;
	} cases[] = {
		{ "", "empty subject" },
		{ "/", "empty subject" },
		{ "C=CN/O=x", "must start with '/'" },
		{ "/XX=1", "'XX'" },
		{ "/C=CN/fooBar=1", "'fooBar'" },
		{ "/CN=", "'CN'" },
		{ "/CN", "missing '='" },
		{ "/C=CN//O=x", "empty attribute" },
		{ "/C=CN/", "empty attribute" },
		{ "/=x", "without a name" },
		{ "/C=CHN", "'C'" },
		{ "/C=\xe4\xb8\xad", "'C'" },
		{ "/CN=a\\", "lone" },
		{ "/CN=\xff\xfe", "'CN'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		X509_NAME *n = (X509_NAME *)1;

		assert_int_equal(gp_name_parse(&n, cases[i].s), GP_E_PARSE);
		assert_null(n);
		if (strstr(gp_error_last(), cases[i].msg) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].s,
			    gp_error_last(), cases[i].msg);
	}
	assert_int_equal(gp_name_parse(NULL, "/CN=x"), GP_E_INVALID);
	{
		X509_NAME *n = (X509_NAME *)1;

		assert_int_equal(gp_name_parse(&n, NULL), GP_E_PARSE);
		assert_null(n);
	}
}

/* gp_name_to_string: NULL handling and the empty name. */
static void
test_name_to_string_edge(void **state)
{
	X509_NAME *n = X509_NAME_new();
	char *s = (char *)1;

	(void)state;
	assert_int_equal(gp_name_to_string(&s, NULL), GP_E_INVALID);
	assert_null(s);
	assert_int_equal(gp_name_to_string(NULL, n), GP_E_INVALID);
	assert_int_equal(gp_name_to_string(&s, n), 0);
	assert_string_equal(s, "");
	gp_free(s);
	X509_NAME_free(n);
}

/* ---- serials ---- */

static int
cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Every draw is 16 positive content octets, and draws do not repeat. */
static void
test_serial_random(void **state)
{
	enum { N = 5000 };
	unsigned char (*s)[16] = calloc(N, 16);
	unsigned char out[20];
	size_t outlen;
	int i, seen_high = 0;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < N; i++) {
		BIGNUM *bn;
		ASN1_INTEGER *ai;

		assert_int_equal(gp_serial_random(s[i]), 0);
		assert_true(s[i][0] >= 0x01 && s[i][0] <= 0x7f);
		if (s[i][0] & 0x40)
			seen_high = 1;
		/* the INTEGER round-trips to exactly these 16 octets */
		bn = BN_bin2bn(s[i], 16, NULL);
		ai = BN_to_ASN1_INTEGER(bn, NULL);
		assert_int_equal(i2d_ASN1_INTEGER(ai, NULL), 18);
		assert_int_equal(gp_serial_from_asn1(out, &outlen, ai), 0);
		assert_int_equal(outlen, 16);
		assert_memory_equal(out, s[i], 16);
		ASN1_INTEGER_free(ai);
		BN_free(bn);
	}
	assert_true(seen_high);
	qsort(s, N, 16, cmp16);
	for (i = 1; i < N; i++)
		assert_true(memcmp(s[i - 1], s[i], 16) != 0);
	free(s);
	assert_int_equal(gp_serial_random(NULL), GP_E_INVALID);
}

/* DER content octets: 0, a sign byte when needed, a limit of 20 octets. */
static void
test_serial_from_asn1(void **state)
{
	unsigned char out[20], big[21];
	size_t outlen = 99;
	ASN1_INTEGER *ai = ASN1_INTEGER_new();
	BIGNUM *bn;

	(void)state;
	ASN1_INTEGER_set(ai, 0);
	assert_int_equal(gp_serial_from_asn1(out, &outlen, ai), 0);
	assert_int_equal(outlen, 1);
	assert_int_equal(out[0], 0);
	ASN1_INTEGER_set(ai, 0x80);
	assert_int_equal(gp_serial_from_asn1(out, &outlen, ai), 0);
	assert_int_equal(outlen, 2);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0x80);
	ASN1_INTEGER_set(ai, 0x1234);
	assert_int_equal(gp_serial_from_asn1(out, &outlen, ai), 0);
	assert_int_equal(outlen, 2);
	assert_int_equal(out[0], 0x12);
	ASN1_INTEGER_free(ai);

	/* 20 octets pass, 21 do not */
	memset(big, 0x7f, sizeof(big));
	bn = BN_bin2bn(big, 20, NULL);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	assert_int_equal(gp_serial_from_asn1(out, &outlen, ai), 0);
	assert_int_equal(outlen, 20);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	bn = BN_bin2bn(big, 21, NULL);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	assert_int_equal(gp_serial_from_asn1(out, &outlen, ai), GP_E_INVALID);
	assert_int_equal(outlen, 0);
	assert_int_equal(gp_serial_from_asn1(NULL, &outlen, ai), GP_E_INVALID);
	assert_int_equal(gp_serial_from_asn1(out, NULL, ai), GP_E_INVALID);
	assert_int_equal(gp_serial_from_asn1(out, &outlen, NULL), GP_E_INVALID);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
}

/* ---- signing, per key type ---- */

struct kt {
	gp_key_type type;
	int sig_nid;            /* expected signature algorithm */
};

static struct kt kts[GP_KEY__COUNT] = {
	{ GP_KEY_RSA2048, NID_sha256WithRSAEncryption },
	{ GP_KEY_RSA3072, NID_sha256WithRSAEncryption },
	{ GP_KEY_RSA4096, NID_sha256WithRSAEncryption },
	{ GP_KEY_EC_P256, NID_ecdsa_with_SHA256 },
	{ GP_KEY_EC_P384, NID_ecdsa_with_SHA384 },
	{ GP_KEY_ED25519, NID_ED25519 },
	{ GP_KEY_SM2, NID_SM2_with_SM3 },
};

static X509_REQ *
make_req(EVP_PKEY *key, const char *subj)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = name_of(subj);

	assert_non_null(req);
	assert_int_equal(X509_REQ_set_version(req, 0), 1);
	assert_int_equal(X509_REQ_set_subject_name(req, n), 1);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_int_equal(gp_req_sign(req, key), 0);
	X509_NAME_free(n);
	return req;
}

/* A CSR signed with gp_req_sign verifies (also after PEM and DER
 * round trips, where no ID is cached), and a tampered one does not. */
static void
test_req_sign_verify(void **state)
{
	const struct kt *kt = *state;
	EVP_PKEY *key = NULL;
	X509_REQ *req, *back = NULL;
	unsigned char *der = NULL, *hit;
	BIO *bio;
	char *pem;
	long pemlen;
	int len;

	key = pool_key(kt->type, 0);
	req = make_req(key, "/C=CN/O=Example/CN=tamper-me");
	assert_int_equal(X509_REQ_get_signature_nid(req), kt->sig_nid);
	assert_int_equal(gp_req_verify(req), 0);

	/* PEM */
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	assert_int_equal(gp_req_parse(&back, (unsigned char *)pem, (size_t)pemlen), 0);
	assert_int_equal(gp_req_verify(back), 0);
	X509_REQ_free(back);
	back = NULL;
	BIO_free(bio);

	/* DER */
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0);
	assert_int_equal(gp_req_parse(&back, der, (size_t)len), 0);
	assert_int_equal(gp_req_verify(back), 0);
	X509_REQ_free(back);
	back = NULL;

	/* one letter of the subject changed: parses, does not verify */
	hit = memmem(der, (size_t)len, "tamper-me", 9);
	assert_non_null(hit);
	hit[0] = 'T';
	assert_int_equal(gp_req_parse(&back, der, (size_t)len), 0);
	assert_int_equal(gp_req_verify(back), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "CSR signature does not verify"));
	X509_REQ_free(back);
	OPENSSL_free(der);
	X509_REQ_free(req);
}

/* gp_sign_data signs with the right digest (and for SM2 the default ID). */
static void
test_sign_data(void **state)
{
	const struct kt *kt = *state;
	static const unsigned char msg[] = "to be signed";
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *v = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = (unsigned char *)1;
	size_t siglen = 1;
	const char *md;

	key = pool_key(kt->type, 0);
	assert_int_equal(gp_sign_data(&sig, &siglen, key, msg, sizeof(msg)), 0);
	assert_non_null(sig);
	md = kt->type == GP_KEY_ED25519 ? NULL : kt->type == GP_KEY_SM2 ? "SM3" :
	    kt->type == GP_KEY_EC_P384 ? "SHA384" : "SHA256";
	/* OpenSSL directly, not gp_verify_ctx_new: the ID after init */
	assert_int_equal(EVP_DigestVerifyInit_ex(v, &pctx, md, NULL, NULL, key, NULL), 1);
	if (kt->type == GP_KEY_SM2)
		assert_int_equal(EVP_PKEY_CTX_set1_id(pctx, GP_SM2_DEFAULT_ID,
		    strlen(GP_SM2_DEFAULT_ID)), 1);
	assert_int_equal(EVP_DigestVerify(v, sig, siglen, msg, sizeof(msg)), 1);
	gp_free(sig);
	EVP_MD_CTX_free(v);
}

/* root -> intermediate -> leaf of one key type verifies (fresh DER copies,
 * so the SM2 ID must be set by gp_chain_verify on every level); a wrong
 * root, a missing intermediate, a time before validity and a revoked leaf
 * do not. */
static void
test_chain(void **state)
{
	const struct kt *kt = *state;
	EVP_PKEY *rk = pool_key(kt->type, 0), *ik = pool_key(kt->type, 1);
	EVP_PKEY *lk = pool_key(kt->type, 2), *ok = pool_key(kt->type, 3);
	X509 *root, *inter, *leaf, *other, *r2, *i2, *l2;
	STACK_OF(X509) *roots, *unt, *wrong;
	STACK_OF(X509_CRL) *crls;
	unsigned char fp[32], want[32];
	unsigned int fplen;

	root = make_cert("/C=CN/CN=Root", "/C=CN/CN=Root", rk, rk, NULL, 1, 1);
	inter = make_cert("/C=CN/CN=Inter", "/C=CN/CN=Root", ik, rk, root, 1, 2);
	leaf = make_cert("/C=CN/CN=Leaf", "/C=CN/CN=Inter", lk, ik, inter, 0, 3);
	other = make_cert("/C=CN/CN=Root", "/C=CN/CN=Root", ok, ok, NULL, 1, 1);
	assert_int_equal(X509_get_signature_nid(leaf), kt->sig_nid);
	r2 = reparse_cert(root);
	i2 = reparse_cert(inter);
	l2 = reparse_cert(leaf);
	roots = stack_of(r2, NULL);
	unt = stack_of(i2, NULL);
	wrong = stack_of(other, NULL);

	assert_int_equal(gp_chain_verify(l2, roots, unt, NULL, 0), 0);
	assert_int_equal(gp_chain_verify(r2, roots, NULL, NULL, 0), 0);
	assert_int_equal(gp_chain_verify(l2, wrong, unt, NULL, 0), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "depth"));
	assert_int_equal(gp_chain_verify(l2, roots, NULL, NULL, 0), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "unable to get local issuer"));
	assert_int_equal(gp_chain_verify(l2, NULL, NULL, NULL, 0), GP_E_VERIFY);
	assert_int_equal(gp_chain_verify(l2, roots, unt, NULL,
	    (int64_t)time(NULL) - 2 * 86400), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "not yet valid"));
	assert_int_equal(gp_chain_verify(l2, roots, unt, NULL,
	    (int64_t)time(NULL) + 600), 0);

	/* CRLs from both CAs: clean, then with the leaf revoked */
	crls = sk_X509_CRL_new_null();
	sk_X509_CRL_push(crls, make_crl(root, rk, 0));
	sk_X509_CRL_push(crls, make_crl(inter, ik, 0));
	assert_int_equal(gp_chain_verify(l2, roots, unt, crls, 0), 0);
	X509_CRL_free(sk_X509_CRL_pop(crls));
	sk_X509_CRL_push(crls, make_crl(inter, ik, 3));
	assert_int_equal(gp_chain_verify(l2, roots, unt, crls, 0), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "revoked"));
	/* a CRL signed by the wrong key is refused, SM2 included */
	X509_CRL_free(sk_X509_CRL_pop(crls));
	sk_X509_CRL_push(crls, make_crl(inter, ok, 0));
	assert_int_equal(gp_chain_verify(l2, roots, unt, crls, 0), GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "CRL signature failure"));
	/* no CRL for the intermediate's issuer level: CRL_CHECK_ALL fails */
	X509_CRL_free(sk_X509_CRL_pop(crls));
	assert_int_equal(gp_chain_verify(l2, roots, unt, crls, 0), GP_E_VERIFY);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);

	/* fingerprint is SHA-256 of the DER */
	assert_int_equal(gp_x509_fingerprint(leaf, fp), 0);
	assert_int_equal(X509_digest(leaf, EVP_sha256(), want, &fplen), 1);
	assert_memory_equal(fp, want, 32);

	sk_X509_free(roots);
	sk_X509_free(unt);
	sk_X509_free(wrong);
	X509_free(r2);
	X509_free(i2);
	X509_free(l2);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(other);
}

/* ---- SM2 specifics ---- */

/* A CSR signed by OpenSSL's plain X509_REQ_sign carries no ID (3.0 then
 * hashes an empty one): gp_req_verify, using the default ID, refuses it,
 * which shows the ID really is in play. */
static void
test_sm2_req_without_id(void **state)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = name_of("/CN=no id");

	(void)state;
	assert_int_equal(gp_key_generate(&key, GP_KEY_SM2), 0);
	X509_REQ_set_subject_name(req, n);
	X509_REQ_set_pubkey(req, key);
	assert_true(X509_REQ_sign(req, key, EVP_sm3()) > 0);
	assert_int_equal(gp_req_verify(req), GP_E_VERIFY);
	X509_NAME_free(n);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* An "EC" key on the SM2 curve is SM2 to us: it signs SM2-with-SM3. */
static void
test_sm2_ec_typed(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "SM2");
	X509_REQ *req;

	(void)state;
	assert_non_null(key);
	assert_false(EVP_PKEY_is_a(key, "SM2"));
	assert_true(gp_key_is_sm2(key));
	req = make_req(key, "/CN=ec typed sm2");
	assert_int_equal(X509_REQ_get_signature_nid(req), NID_SM2_with_SM3);
	assert_int_equal(gp_req_verify(req), 0);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* gp_x509_prepare_sm2 is a no-op on non-SM2 certificates. */
static void
test_prepare_sm2_noop(void **state)
{
	EVP_PKEY *key = NULL;
	X509 *x;
	STACK_OF(X509) *roots;

	(void)state;
	assert_int_equal(gp_key_generate(&key, GP_KEY_EC_P256), 0);
	x = make_cert("/CN=R", "/CN=R", key, key, NULL, 1, 7);
	assert_int_equal(gp_x509_prepare_sm2(x), 0);
	roots = stack_of(x, NULL);
	assert_int_equal(gp_chain_verify(x, roots, NULL, NULL, 0), 0);
	assert_int_equal(gp_x509_prepare_sm2(NULL), GP_E_INVALID);
	sk_X509_free(roots);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* ---- parsing and bad input ---- */

/* Garbage, trailing bytes, the wrong object and NULLs are refused. */
static void
test_parse_bad(void **state)
{
	EVP_PKEY *key = NULL;
	X509_REQ *req, *rq = (X509_REQ *)1;
	X509 *x, *cx = (X509 *)1;
	unsigned char *der = NULL, *buf;
	int len;

	(void)state;
	assert_int_equal(gp_req_parse(&rq, (const unsigned char *)"garbage", 7), GP_E_PARSE);
	assert_null(rq);
	assert_non_null(strstr(gp_error_last(), "not a CSR (PEM or DER)"));
	assert_int_equal(gp_req_parse(&rq, NULL, 0), GP_E_PARSE);
	assert_int_equal(gp_req_parse(NULL, (const unsigned char *)"x", 1), GP_E_INVALID);
	assert_int_equal(gp_cert_parse(&cx, (const unsigned char *)"garbage", 7), GP_E_PARSE);
	assert_null(cx);
	assert_int_equal(gp_cert_parse(NULL, (const unsigned char *)"x", 1), GP_E_INVALID);

	assert_int_equal(gp_key_generate(&key, GP_KEY_EC_P256), 0);
	req = make_req(key, "/CN=trailing");
	len = i2d_X509_REQ(req, &der);
	buf = malloc((size_t)len + 1);
	memcpy(buf, der, (size_t)len);
	buf[len] = 0;
	assert_int_equal(gp_req_parse(&rq, buf, (size_t)len + 1), GP_E_PARSE);
	assert_int_equal(gp_req_parse(&rq, buf, (size_t)len - 1), GP_E_PARSE);
	assert_int_equal(gp_req_parse(&rq, buf, (size_t)len), 0);
	/* a CSR is not a certificate */
	assert_int_equal(gp_cert_parse(&cx, buf, (size_t)len), GP_E_PARSE);
	X509_REQ_free(rq);
	free(buf);
	OPENSSL_free(der);
	der = NULL;

	/* and a certificate is not a CSR */
	x = make_cert("/CN=c", "/CN=c", key, key, NULL, 0, 9);
	len = i2d_X509(x, &der);
	rq = (X509_REQ *)1;
	assert_int_equal(gp_req_parse(&rq, der, (size_t)len), GP_E_PARSE);
	assert_null(rq);
	assert_int_equal(gp_cert_parse(&cx, der, (size_t)len), 0);
	X509_free(cx);
	OPENSSL_free(der);
	X509_free(x);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

/* NULL arguments and refused keys in the signing functions. */
static void
test_sign_bad(void **state)
{
	EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *x25519 = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	EVP_MD_CTX *m = (EVP_MD_CTX *)1;
	unsigned char *sig = (unsigned char *)1;
	size_t siglen = 1;
	X509_REQ *req = X509_REQ_new();

	(void)state;
	assert_int_equal(gp_sign_ctx_new(&m, weak), GP_E_POLICY);
	assert_null(m);
	assert_int_equal(gp_sign_ctx_new(&m, x25519), GP_E_POLICY);
	assert_int_equal(gp_sign_ctx_new(&m, NULL), GP_E_INVALID);
	assert_int_equal(gp_sign_ctx_new(NULL, weak), GP_E_INVALID);
	assert_int_equal(gp_sign_data(&sig, &siglen, weak, (const unsigned char *)"x", 1),
	    GP_E_POLICY);
	assert_null(sig);
	assert_int_equal(siglen, 0);
	assert_int_equal(gp_req_sign(req, weak), GP_E_POLICY);
	assert_int_equal(gp_req_sign(NULL, weak), GP_E_INVALID);
	assert_int_equal(gp_x509_sign(NULL, weak), GP_E_INVALID);
	assert_int_equal(gp_crl_sign(NULL, weak), GP_E_INVALID);
	assert_int_equal(gp_req_verify(NULL), GP_E_INVALID);
	assert_int_equal(gp_req_verify(req), GP_E_PARSE);   /* no public key */
	assert_int_equal(gp_chain_verify(NULL, NULL, NULL, NULL, 0), GP_E_INVALID);
	assert_int_equal(gp_x509_fingerprint(NULL, (unsigned char[32]){0}), GP_E_INVALID);
	X509_REQ_free(req);
	EVP_PKEY_free(weak);
	EVP_PKEY_free(x25519);
}

#define PER_TYPE(fn) \
	cmocka_unit_test_prestate(fn, &kts[0]), \
	cmocka_unit_test_prestate(fn, &kts[1]), \
	cmocka_unit_test_prestate(fn, &kts[2]), \
	cmocka_unit_test_prestate(fn, &kts[3]), \
	cmocka_unit_test_prestate(fn, &kts[4]), \
	cmocka_unit_test_prestate(fn, &kts[5]), \
	cmocka_unit_test_prestate(fn, &kts[6])

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_basic),
		cmocka_unit_test(test_name_utf8),
		cmocka_unit_test(test_name_escapes),
		cmocka_unit_test(test_name_bad),
		cmocka_unit_test(test_name_to_string_edge),
		cmocka_unit_test(test_serial_random),
		cmocka_unit_test(test_serial_from_asn1),
		PER_TYPE(test_req_sign_verify),
		PER_TYPE(test_sign_data),
		PER_TYPE(test_chain),
		cmocka_unit_test(test_sm2_req_without_id),
		cmocka_unit_test(test_sm2_ec_typed),
		cmocka_unit_test(test_prepare_sm2_noop),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_sign_bad),
		cmocka_unit_test(test_time_parse_table),
		cmocka_unit_test(test_time_parse_rfc850_year),
		cmocka_unit_test(test_time_from_asn1),
	};

	return cmocka_run_group_tests(tests, NULL, pool_free);
}
