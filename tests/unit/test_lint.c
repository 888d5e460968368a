/* tests/unit/test_lint.c: each lint rule (ca/lint.c) on a certificate or CRL that breaks it and one that keeps it */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/x509v3.h>

#include <govpki/govpki.h>

#include "ca_int.h"
#include "lint_int.h"
#include "testutil.h"

/*
 * Every certificate and CRL here is made with OpenSSL's own API, not by
 * the library: a baseline that keeps every rule, then for each rule a
 * change that breaks it (the lint must name that rule and its source) and,
 * where the rule has a condition, a change that meets it (the lint must
 * pass).
 */

static EVP_PKEY *ca_key, *leaf_key, *ed_key, *sm2_key, *rsa2048, *rsa1024, *k256k1, *p384;
static X509 *ca_cert;
static gp_profiles *profiles;

static ASN1_OCTET_STRING *
key_id(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

	assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &len), 1);
	assert_int_equal(ASN1_OCTET_STRING_set(os, md, (int)len), 1);
	return os;
}

static void
add_ext(X509 *x, int nid, void *v, int crit)
{
	assert_int_equal(X509_add1_ext_i2d(x, nid, v, crit, X509V3_ADD_REPLACE), 1);
}

static void
del_ext(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	X509_EXTENSION_free(X509_delete_ext(x, i));
}

static void
set_serial_bytes(X509 *x, const unsigned char *b, int n, int neg)
{
	ASN1_INTEGER *s = ASN1_INTEGER_new();

	assert_int_equal(ASN1_STRING_set(s, b, n), 1);
	if (neg)
		s->type = V_ASN1_NEG_INTEGER;
	assert_int_equal(X509_set_serialNumber(x, s), 1);
	ASN1_INTEGER_free(s);
}

static void
set_validity(X509 *x, time_t nb, int64_t seconds)
{
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), nb + seconds - 1));
}

static void
set_bc(X509 *x, int ca, int crit)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

	bc->ca = ca ? 0xFF : 0;
	add_ext(x, NID_basic_constraints, bc, crit);
	BASIC_CONSTRAINTS_free(bc);
}

static void
set_ku(X509 *x, const int *bits)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();

	for (; *bits >= 0; bits++)
		ASN1_BIT_STRING_set_bit(ku, *bits, 1);
	add_ext(x, NID_key_usage, ku, 1);
	ASN1_BIT_STRING_free(ku);
}

/* An EKU of one purpose, a NID or (nid 0) the dotted OID oid. */
static void
set_eku_oid(X509 *x, int nid, const char *oid, int crit)
{
	EXTENDED_KEY_USAGE *e = sk_ASN1_OBJECT_new_null();

	sk_ASN1_OBJECT_push(e, nid ? OBJ_nid2obj(nid) : OBJ_txt2obj(oid, 1));
	add_ext(x, NID_ext_key_usage, e, crit);
	sk_ASN1_OBJECT_pop_free(e, ASN1_OBJECT_free);
}

static void
set_eku(X509 *x, int nid, int crit)
{
	set_eku_oid(x, nid, NULL, crit);
}

/* A SAN of one entry (type, value of n bytes), or none when type < 0:
 * an empty SEQUENCE. */
static void
set_san(X509 *x, int type, const void *v, int n, int crit)
{
	GENERAL_NAMES *gns = GENERAL_NAMES_new();

	if (type >= 0) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_STRING *s = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();

		assert_int_equal(ASN1_STRING_set(s, v, n), 1);
		GENERAL_NAME_set0_value(gn, type, s);
		sk_GENERAL_NAME_push(gns, gn);
	}
	add_ext(x, NID_subject_alt_name, gns, crit);
	GENERAL_NAMES_free(gns);
}

static void
set_dns(X509 *x, const char *name, int crit)
{
	set_san(x, GEN_DNS, name, (int)strlen(name), crit);
}

static void
set_aki(X509 *x, ASN1_OCTET_STRING *id)
{
	AUTHORITY_KEYID *a = AUTHORITY_KEYID_new();

	a->keyid = id;
	add_ext(x, NID_authority_key_identifier, a, 0);
	AUTHORITY_KEYID_free(a);
}

static void
set_name(X509_NAME **n, const char *cn)
{
	*n = X509_NAME_new();
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(*n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
}

/* A version 3 certificate of subject cn and key, with a random serial,
 * valid for days from now and a subjectKeyIdentifier; issuer and the
 * other extensions are the caller's. */
static X509 *
new_cert(const char *cn, EVP_PKEY *key, int64_t days)
{
	unsigned char serial[16];
	ASN1_OCTET_STRING *id;
	X509 *x = X509_new();
	X509_NAME *n;

	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(gp_serial_random(serial), 0);
	set_serial_bytes(x, serial, 16, 0);
	set_name(&n, cn);
	X509_set_subject_name(x, n);
	X509_NAME_free(n);
	set_validity(x, time(NULL), days * 86400);
	X509_set_pubkey(x, key);
	id = key_id(x);
	add_ext(x, NID_subject_key_identifier, id, 0);
	ASN1_OCTET_STRING_free(id);
	return x;
}

/* The CA: self-signed, a root-ca profile certificate. */
static X509 *
make_ca(EVP_PKEY *key)
{
	static const int ku[] = { 5, 6, -1 };   /* keyCertSign, cRLSign */
	X509 *x = new_cert("Lint Test Root", key, 3650);

	X509_set_issuer_name(x, X509_get_subject_name(x));
	set_bc(x, 1, 1);
	set_ku(x, ku);
	return x;
}

/* A leaf of profile prof ("tls-server": serverAuth, "tls-client":
 * clientAuth, "seal-signer": the seal maker's OID) with key, issued by
 * ca_cert, not signed yet. */
static X509 *
make_leaf(const char *prof, EVP_PKEY *key)
{
	static const int ku[] = { 0, -1 };      /* digitalSignature */
	X509 *x = new_cert("host.example.org", key, 90);

	X509_set_issuer_name(x, X509_get_subject_name(ca_cert));
	set_bc(x, 0, 1);
	set_ku(x, ku);
	if (strcmp(prof, "seal-signer") == 0)
		set_eku_oid(x, 0, GP_OID_SEAL_MAKER, 0);     /* an OID OpenSSL has no NID for */
	else
		set_eku(x, strcmp(prof, "tls-client") == 0 ? NID_client_auth : NID_server_auth, 0);
	set_dns(x, "host.example.org", 0);
	set_aki(x, ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(ca_cert)));
	return x;
}

/* ---- the cases -------------------------------------------------------------- */

enum base { LEAF, CLIENT, SEAL, CA, NOPROF };

typedef struct tcase {
	const char *rule;
	enum base base;
	void (*change)(X509 *x);
	EVP_PKEY **key;            /* the leaf's key, NULL: leaf_key */
	EVP_PKEY **signer;         /* who signs, NULL: the issuer's key */
	const EVP_MD *(*md)(void); /* NULL: SHA-256 (none for Ed25519) */
} tcase;

static void serial_neg(X509 *x) { static const unsigned char b[] = { 5 }; set_serial_bytes(x, b, 1, 1); }
static void serial_zero(X509 *x) { static const unsigned char b[] = { 0 }; set_serial_bytes(x, b, 1, 0); }
static void serial_21(X509 *x) { unsigned char b[21]; memset(b, 0x41, 21); set_serial_bytes(x, b, 21, 0); }
/* 20 octets of content: 19 of magnitude with the top bit set and the sign octet */
static void serial_20(X509 *x) { unsigned char b[19]; memset(b, 0x81, 19); set_serial_bytes(x, b, 19, 0); }
static void serial_7(X509 *x) { static const unsigned char b[] = { 1, 2, 3, 4, 5, 6, 7 }; set_serial_bytes(x, b, 7, 0); }
static void serial_8(X509 *x) { static const unsigned char b[] = { 1, 2, 3, 4, 5, 6, 7, 8 }; set_serial_bytes(x, b, 8, 0); }
static void version1(X509 *x) { X509_set_version(x, X509_VERSION_1); }
static void valid_backwards(X509 *x)
{
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), time(NULL) - 86400));
}
static void valid_same(X509 *x)
{
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), time(NULL)));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), time(NULL)));
}
static void valid_one_minute(X509 *x) { set_validity(x, time(NULL), 60); }
/* tls-client allows 825 days */
static void valid_826d(X509 *x) { set_validity(x, time(NULL), 826 * 86400LL); }
static void valid_825d(X509 *x) { set_validity(x, time(NULL), 825 * 86400LL); }
/* CA/B BR 6.3.2: 200 days from 2026-03-15, 398 before */
static void valid_201d(X509 *x) { set_validity(x, 1773532800, 201 * 86400LL); }
static void valid_200d(X509 *x) { set_validity(x, 1773532800, 200 * 86400LL); }
static void valid_398d_before(X509 *x) { set_validity(x, 1773532800 - 1, 398 * 86400LL); }
static void valid_399d_before(X509 *x) { set_validity(x, 1773532800 - 1, 399 * 86400LL); }
static void valid_101d_2027(X509 *x) { set_validity(x, 1805068800, 101 * 86400LL); }
static void valid_48d_2029(X509 *x) { set_validity(x, 1868227200, 48 * 86400LL); }
static void valid_47d_2029(X509 *x) { set_validity(x, 1868227200, 47 * 86400LL); }
static void ku_garbage(X509 *x)
{
	static const unsigned char bad[] = { 0x04, 0x01, 0x00 };   /* an OCTET STRING, not a BIT STRING */
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	del_ext(x, NID_key_usage);
	assert_int_equal(ASN1_OCTET_STRING_set(os, bad, sizeof(bad)), 1);
	e = X509_EXTENSION_create_by_NID(NULL, NID_key_usage, 1, os);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
}
static void ski_twice(X509 *x)
{
	X509_EXTENSION *e = X509_EXTENSION_dup(X509_get_ext(x, X509_get_ext_by_NID(x, NID_subject_key_identifier, -1)));

	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}
static void ca_true(X509 *x) { set_bc(x, 1, 1); }
static void bc_not_critical(X509 *x) { set_bc(x, 1, 0); }
static void no_ku(X509 *x) { del_ext(x, NID_key_usage); }
static void leaf_cert_sign(X509 *x) { static const int ku[] = { 0, 5, -1 }; set_ku(x, ku); }
static void ca_crl_sign_only(X509 *x) { static const int ku[] = { 6, -1 }; set_ku(x, ku); }
static void no_ski(X509 *x) { del_ext(x, NID_subject_key_identifier); }
static void no_aki(X509 *x) { del_ext(x, NID_authority_key_identifier); }
static void aki_wrong(X509 *x)
{
	ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();

	ASN1_OCTET_STRING_set(id, (const unsigned char *)"01234567890123456789", 20);
	set_aki(x, id);
}
static void san_empty_seq(X509 *x) { set_san(x, -1, NULL, 0, 0); }
static void san_empty_dns(X509 *x) { set_dns(x, "", 0); }
static void san_bad_dns(X509 *x) { set_dns(x, "a..example.org", 0); }
static void san_label_64(X509 *x)
{
	char n[80];

	memset(n, 'a', 64);
	strcpy(n + 64, ".example");
	set_dns(x, n, 0);
}
static void san_wild(X509 *x) { set_dns(x, "*.example.org", 0); }
static void san_ip5(X509 *x) { set_san(x, GEN_IPADD, "\x0a\x00\x00\x01\x01", 5, 0); }
static void san_ip4(X509 *x) { set_san(x, GEN_IPADD, "\x0a\x00\x00\x01", 4, 0); }
static void san_ip16(X509 *x) { set_san(x, GEN_IPADD, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16, 0); }
static void san_mail_noat(X509 *x) { set_san(x, GEN_EMAIL, "person.example.org", 18, 0); }
static void san_mail(X509 *x) { set_san(x, GEN_EMAIL, "person@example.org", 18, 0); }
static void no_san(X509 *x) { del_ext(x, NID_subject_alt_name); }
static void san_mail_only(X509 *x) { san_mail(x); }
static void empty_subject(X509 *x)
{
	X509_NAME *n = X509_NAME_new();

	X509_set_subject_name(x, n);
	X509_NAME_free(n);
}
static void empty_subject_no_san(X509 *x) { empty_subject(x); no_san(x); }
static void empty_subject_crit_san(X509 *x) { empty_subject(x); set_dns(x, "host.example.org", 1); }
static void empty_subject_plain_san(X509 *x) { empty_subject(x); set_dns(x, "host.example.org", 0); }
static void eku_client(X509 *x) { set_eku(x, NID_client_auth, 0); }
static void eku_critical(X509 *x) { set_eku(x, NID_server_auth, 1); }
static void no_eku(X509 *x) { del_ext(x, NID_ext_key_usage); }
static void nothing(X509 *x) { (void)x; }

static const EVP_MD *md_sha1(void) { return EVP_sha1(); }
static const EVP_MD *md_sha384(void) { return EVP_sha384(); }

/* Breaks the rule. */
static const tcase failing[] = {
	{ "serial-positive", LEAF, serial_neg, NULL, NULL, NULL },
	{ "serial-nonzero", LEAF, serial_zero, NULL, NULL, NULL },
	{ "serial-length", LEAF, serial_21, NULL, NULL, NULL },
	{ "serial-entropy", LEAF, serial_7, NULL, NULL, NULL },
	{ "version-v3", LEAF, version1, NULL, NULL, NULL },
	{ "validity-order", LEAF, valid_backwards, NULL, NULL, NULL },
	{ "validity-order", LEAF, valid_same, NULL, NULL, NULL },
	{ "validity-profile", CLIENT, valid_826d, NULL, NULL, NULL },
	{ "validity-tls-server", NOPROF, valid_201d, NULL, NULL, NULL },
	{ "validity-tls-server", NOPROF, valid_399d_before, NULL, NULL, NULL },
	{ "validity-tls-server", NOPROF, valid_101d_2027, NULL, NULL, NULL },
	{ "validity-tls-server", NOPROF, valid_48d_2029, NULL, NULL, NULL },
	{ "ext-der", LEAF, ku_garbage, NULL, NULL, NULL },
	{ "ext-unique", LEAF, ski_twice, NULL, NULL, NULL },
	{ "bc-profile", LEAF, ca_true, NULL, NULL, NULL },
	{ "bc-critical-ca", CA, bc_not_critical, NULL, NULL, NULL },
	{ "ku-ca", CA, no_ku, NULL, NULL, NULL },
	{ "ku-cert-sign", LEAF, leaf_cert_sign, NULL, NULL, NULL },
	{ "ku-cert-sign", CA, ca_crl_sign_only, NULL, NULL, NULL },
	{ "ski-ca", CA, no_ski, NULL, NULL, NULL },
	{ "aki", LEAF, no_aki, NULL, NULL, NULL },
	{ "aki", LEAF, aki_wrong, NULL, NULL, NULL },
	{ "san-syntax", LEAF, san_empty_seq, NULL, NULL, NULL },
	{ "san-syntax", LEAF, san_empty_dns, NULL, NULL, NULL },
	{ "san-syntax", LEAF, san_bad_dns, NULL, NULL, NULL },
	{ "san-syntax", LEAF, san_label_64, NULL, NULL, NULL },
	{ "san-syntax", LEAF, san_ip5, NULL, NULL, NULL },
	{ "san-syntax", CLIENT, san_mail_noat, NULL, NULL, NULL },
	{ "san-tls-server", LEAF, no_san, NULL, NULL, NULL },
	{ "san-tls-server", NOPROF, no_san, NULL, NULL, NULL },
	{ "san-tls-server", NOPROF, san_mail_only, NULL, NULL, NULL },
	{ "subject-empty-san", CLIENT, empty_subject_no_san, NULL, NULL, NULL },
	{ "san-critical", CLIENT, empty_subject_plain_san, NULL, NULL, NULL },
	{ "eku-profile", LEAF, eku_client, NULL, NULL, NULL },
	{ "eku-profile", LEAF, eku_critical, NULL, NULL, NULL },
	{ "eku-profile", LEAF, no_eku, NULL, NULL, NULL },
	{ "eku-profile", SEAL, eku_client, NULL, NULL, NULL },
	{ "key-rsa", LEAF, nothing, &rsa1024, NULL, NULL },
	{ "key-ec", LEAF, nothing, &k256k1, NULL, NULL },
	{ "sig-alg", LEAF, nothing, NULL, &rsa2048, NULL },      /* another key's algorithm */
	{ "sig-alg", LEAF, nothing, NULL, NULL, md_sha1 },
};

/* Meets the rule's condition and keeps it. */
static const tcase passing[] = {
	{ "serial-positive", LEAF, nothing, NULL, NULL, NULL },
	{ "serial-nonzero", LEAF, nothing, NULL, NULL, NULL },
	{ "serial-length", LEAF, serial_20, NULL, NULL, NULL },
	{ "serial-entropy", LEAF, serial_8, NULL, NULL, NULL },
	{ "version-v3", LEAF, nothing, NULL, NULL, NULL },
	{ "validity-order", LEAF, valid_one_minute, NULL, NULL, NULL },
	{ "validity-profile", CLIENT, valid_825d, NULL, NULL, NULL },
	{ "validity-tls-server", NOPROF, valid_200d, NULL, NULL, NULL },
	{ "validity-tls-server", NOPROF, valid_398d_before, NULL, NULL, NULL },
	{ "validity-tls-server", NOPROF, valid_47d_2029, NULL, NULL, NULL },
	{ "validity-tls-server", CLIENT, valid_399d_before, NULL, NULL, NULL },  /* no serverAuth */
	{ "ext-der", LEAF, nothing, NULL, NULL, NULL },
	{ "ext-unique", LEAF, nothing, NULL, NULL, NULL },
	{ "bc-profile", CA, nothing, NULL, NULL, NULL },
	{ "bc-critical-ca", CA, nothing, NULL, NULL, NULL },
	{ "ku-ca", CA, nothing, NULL, NULL, NULL },
	{ "ku-cert-sign", CA, nothing, NULL, NULL, NULL },
	{ "ku-cert-sign", LEAF, nothing, NULL, NULL, NULL },
	{ "ski-ca", CA, nothing, NULL, NULL, NULL },
	{ "aki", LEAF, nothing, NULL, NULL, NULL },
	{ "aki", CA, nothing, NULL, NULL, NULL },         /* self-signed, none */
	{ "san-syntax", LEAF, san_wild, NULL, NULL, NULL },
	{ "san-syntax", LEAF, san_ip4, NULL, NULL, NULL },
	{ "san-syntax", LEAF, san_ip16, NULL, NULL, NULL },
	{ "san-syntax", CLIENT, san_mail, NULL, NULL, NULL },
	{ "san-tls-server", LEAF, san_ip4, NULL, NULL, NULL },
	{ "san-tls-server", CLIENT, no_san, NULL, NULL, NULL },
	{ "subject-empty-san", CLIENT, empty_subject_crit_san, NULL, NULL, NULL },
	{ "san-critical", CLIENT, empty_subject_crit_san, NULL, NULL, NULL },
	{ "eku-profile", LEAF, nothing, NULL, NULL, NULL },
	{ "eku-profile", CLIENT, nothing, NULL, NULL, NULL },
	{ "eku-profile", SEAL, nothing, NULL, NULL, NULL },      /* compared by value */
	{ "key-rsa", LEAF, nothing, &rsa2048, NULL, NULL },
	{ "key-ec", LEAF, nothing, &p384, NULL, NULL },
	{ "sig-alg", LEAF, nothing, NULL, NULL, NULL },
	{ "sig-alg", LEAF, nothing, NULL, NULL, md_sha384 },
	{ "sig-alg", LEAF, nothing, NULL, &ed_key, NULL },
	{ "sig-alg", LEAF, nothing, NULL, &sm2_key, NULL },
};

/* Builds, signs and lints c; returns the lint's status, msg its message. */
static int
run_case(const tcase *c, char *msg, size_t n)
{
	EVP_PKEY *leaf = c->key ? *c->key : leaf_key;
	EVP_PKEY *signer = c->signer ? *c->signer : ca_key;
	X509 *issuer = ca_cert, *own_ca = NULL, *x;
	gp_lint_cert_ctx lc;
	int r;

	memset(&lc, 0, sizeof(lc));
	if (c->base == CA) {
		x = make_ca(ca_key);
		issuer = x;
		lc.profile = gp_profiles_get(profiles, "root-ca");
	} else {
		const char *pn = c->base == CLIENT ? "tls-client" : c->base == SEAL ? "seal-signer" :
		    "tls-server";

		x = make_leaf(pn, leaf);
		if (c->base != NOPROF)
			lc.profile = gp_profiles_get(profiles, pn);
	}
	if (c->signer != NULL && c->md == NULL && c->signer != &rsa2048) {
		/* another CA key type: its own self-signed certificate issues */
		own_ca = make_ca(signer);
		X509_set_issuer_name(x, X509_get_subject_name(own_ca));
		set_aki(x, key_id(own_ca));
		issuer = own_ca;
	}
	c->change(x);
	lc.issuer = issuer;
	lc.issuer_key = c->signer == &rsa2048 ? ca_key : signer;
	lc.subject_key = c->base == CA ? ca_key : leaf;
	if ((r = gp_lint_cert(x, &lc, GP_LINT_TBS)) == 0) {
		if (c->md != NULL)
			assert_true(X509_sign(x, signer, c->md()) > 0);
		else
			assert_int_equal(gp_x509_sign(x, signer), 0);
		r = gp_lint_cert(x, &lc, GP_LINT_SIGNED);
	}
	snprintf(msg, n, "%s", r != 0 ? gp_error_last() : "");
	X509_free(x);
	X509_free(own_ca);
	return r;
}

static const gp_lint_rule *
rule_named(const char *id)
{
	const gp_lint_rule *r;
	size_t i;

	for (i = 0; (r = gp_lint_rule_at(i)) != NULL; i++)
		if (strcmp(r->id, id) == 0)
			return r;
	fail_msg("no rule %s", id);
	return NULL;
}

/* Expects the lint to refuse with the rule's id and source named. */
static void
expect_refused(const char *rule, int r, const char *msg, const char *what)
{
	const gp_lint_rule *lr = rule_named(rule);
	char want[160];

	snprintf(want, sizeof(want), "lint: rule %s (%s): ", lr->id, lr->source);
	if (r != GP_E_POLICY || strstr(msg, want) == NULL)
		fail_msg("%s %s: want %s..., got %d %s", what, rule, want, r, msg);
}

/* Each failing certificate is refused by its rule, naming it. */
static void
test_cert_failing(void **state)
{
	char msg[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(failing) / sizeof(failing[0]); i++)
		expect_refused(failing[i].rule, run_case(&failing[i], msg, sizeof(msg)), msg,
		    "failing case");
}

/* Each passing certificate passes every rule. */
static void
test_cert_passing(void **state)
{
	char msg[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(passing) / sizeof(passing[0]); i++) {
		int r = run_case(&passing[i], msg, sizeof(msg));

		if (r != 0)
			fail_msg("passing case %zu (%s): %s", i, passing[i].rule, msg);
	}
}

/* ---- CRLs ------------------------------------------------------------------ */

enum crl_change {
	CRL_NONE, CRL_V1, CRL_NO_NEXT, CRL_NEXT_BEFORE, CRL_NO_NUMBER, CRL_NUMBER_CRIT,
	CRL_NUMBER_NEG, CRL_NO_AKI, CRL_DELTA_PLAIN, CRL_DELTA_CRIT, CRL_NUMBER_TWICE,
	CRL_SHA1, CRL_INNER_DIFFERS, CRL_SM2
};

static void
crl_add(X509_CRL *c, int nid, void *v, int crit)
{
	assert_int_equal(X509_CRL_add1_ext_i2d(c, nid, v, crit, X509V3_ADD_APPEND), 1);
}

/* A CRL made with OpenSSL's API under the change, signed, then linted in
 * both phases. */
static int
run_crl(enum crl_change ch, char *msg, size_t n)
{
	X509_CRL *c = X509_CRL_new();
	EVP_PKEY *key = ch == CRL_SM2 ? sm2_key : ca_key;
	ASN1_INTEGER *num = ASN1_INTEGER_new(), *ver = ASN1_INTEGER_new();
	AUTHORITY_KEYID *a = AUTHORITY_KEYID_new();
	ASN1_TIME *t = ASN1_TIME_new();
	const X509_ALGOR *outer = NULL;
	X509_ALGOR *other = NULL;
	gp_lint_crl_parts v;
	time_t now = time(NULL);
	int r;

	assert_int_equal(X509_CRL_set_version(c, ch == CRL_V1 ? X509_CRL_VERSION_1 : X509_CRL_VERSION_2), 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(ca_cert));
	ASN1_TIME_set(t, now);
	X509_CRL_set1_lastUpdate(c, t);
	if (ch != CRL_NO_NEXT) {
		ASN1_TIME_set(t, ch == CRL_NEXT_BEFORE ? now - 60 : now + 86400);
		X509_CRL_set1_nextUpdate(c, t);
	}
	ASN1_INTEGER_set(num, ch == CRL_NUMBER_NEG ? -4 : 4);
	if (ch != CRL_NO_NUMBER)
		crl_add(c, NID_crl_number, num, ch == CRL_NUMBER_CRIT);
	if (ch == CRL_NUMBER_TWICE)
		crl_add(c, NID_crl_number, num, 0);
	if (ch == CRL_DELTA_PLAIN || ch == CRL_DELTA_CRIT)
		crl_add(c, NID_delta_crl, num, ch == CRL_DELTA_CRIT);
	a->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(ca_cert));
	if (ch != CRL_NO_AKI)
		crl_add(c, NID_authority_key_identifier, a, 0);
	if (ch == CRL_SHA1)
		assert_true(X509_CRL_sign(c, key, EVP_sha1()) > 0);
	else
		assert_int_equal(gp_crl_sign(c, key), 0);
	X509_CRL_get0_signature(c, NULL, &outer);
	ASN1_INTEGER_set(ver, X509_CRL_get_version(c));
	memset(&v, 0, sizeof(v));
	v.version = ch == CRL_V1 ? NULL : ver;
	/* OpenSSL has no accessor for the inner AlgorithmIdentifier of an
	 * X509_CRL; it signs both the same, which CRL_INNER_DIFFERS breaks */
	v.tbs_sig_alg = outer;
	if (ch == CRL_INNER_DIFFERS) {
		other = X509_ALGOR_new();
		X509_ALGOR_set0(other, OBJ_nid2obj(NID_ecdsa_with_SHA384), V_ASN1_UNDEF, NULL);
		v.tbs_sig_alg = other;
	}
	v.sig_alg = outer;
	v.this_update = X509_CRL_get0_lastUpdate(c);
	v.next_update = X509_CRL_get0_nextUpdate(c);
	v.exts = X509_CRL_get0_extensions(c);
	v.issuer_key = key;
	if ((r = gp_lint_crl(&v, GP_LINT_TBS)) == 0)
		r = gp_lint_crl(&v, GP_LINT_SIGNED);
	snprintf(msg, n, "%s", r != 0 ? gp_error_last() : "");
	X509_ALGOR_free(other);
	ASN1_TIME_free(t);
	AUTHORITY_KEYID_free(a);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(ver);
	X509_CRL_free(c);
	return r;
}

static const struct {
	const char *rule;
	enum crl_change bad, good;
} crl_cases[] = {
	{ "crl-version", CRL_V1, CRL_NONE },
	{ "crl-next-update", CRL_NO_NEXT, CRL_NONE },
	{ "crl-next-update", CRL_NEXT_BEFORE, CRL_NONE },
	{ "crl-number", CRL_NO_NUMBER, CRL_NONE },
	{ "crl-number", CRL_NUMBER_CRIT, CRL_NONE },
	{ "crl-number", CRL_NUMBER_NEG, CRL_NONE },
	{ "crl-aki", CRL_NO_AKI, CRL_NONE },
	{ "crl-delta-critical", CRL_DELTA_PLAIN, CRL_DELTA_CRIT },
	{ "crl-ext-unique", CRL_NUMBER_TWICE, CRL_NONE },
	{ "crl-sig-alg", CRL_SHA1, CRL_SM2 },
	{ "crl-sig-alg", CRL_INNER_DIFFERS, CRL_NONE },
};

/* Each CRL rule: a CRL that breaks it is refused naming it, one that
 * keeps it passes. */
static void
test_crl_rules(void **state)
{
	char msg[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(crl_cases) / sizeof(crl_cases[0]); i++) {
		int r = run_crl(crl_cases[i].bad, msg, sizeof(msg));

		expect_refused(crl_cases[i].rule, r, msg, "failing CRL");
		if ((r = run_crl(crl_cases[i].good, msg, sizeof(msg))) != 0)
			fail_msg("passing CRL for %s: %s", crl_cases[i].rule, msg);
	}
}

/* Every rule of the table has a failing and a passing case here, an id,
 * a source of RFC 5280 or the CA/B Baseline Requirements, and a phase. */
static void
test_every_rule_tested(void **state)
{
	const gp_lint_rule *r;
	size_t i, j;

	(void)state;
	for (i = 0; (r = gp_lint_rule_at(i)) != NULL; i++) {
		int bad = 0, good = 0;

		assert_true(strncmp(r->source, "RFC 5280 ", 9) == 0 ||
		    strncmp(r->source, "CA/B BR ", 8) == 0);
		assert_true(r->phase == GP_LINT_TBS || r->phase == GP_LINT_SIGNED);
		for (j = 0; j < sizeof(failing) / sizeof(failing[0]); j++)
			bad += strcmp(failing[j].rule, r->id) == 0;
		for (j = 0; j < sizeof(passing) / sizeof(passing[0]); j++)
			good += strcmp(passing[j].rule, r->id) == 0;
		for (j = 0; j < sizeof(crl_cases) / sizeof(crl_cases[0]); j++)
			bad += good += strcmp(crl_cases[j].rule, r->id) == 0;
		if (bad == 0 || good == 0)
			fail_msg("rule %s: %d failing and %d passing cases", r->id, bad, good);
	}
	assert_true(i >= 30);
}

/* Counts the lint.refuse audit rows; the last one's detail in *last. */
struct refusals {
	int n;
	char last[1024];
};

static int
count_refusal(void *arg, const gp_audit_row *row)
{
	struct refusals *c = arg;

	if (strcmp(row->action, GP_AUDIT_LINT_REFUSE) == 0) {
		c->n++;
		snprintf(c->last, sizeof(c->last), "%s %s %s", row->actor, row->object, row->detail);
	}
	return 0;
}

/* gp_ca_crl of a CA whose certificate has no subjectKeyIdentifier (so the
 * CRL gets no AKI): refused by crl-aki before signing, no CRL stored, no
 * CRL number used, the refusal audited after the rollback; the same CA
 * with its certificate back publishes CRL 1. */
static void
test_crl_refused_audited(void **state)
{
	char *dir = tu_tmpdir();
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	gp_crl_info *crl = NULL;
	gp_ca_params p = GP_CA_PARAMS_INIT;
	struct refusals c = { 0, "" };
	X509 *own, *bare;
	int64_t bad = 0, rows = 0;

	(void)state;
	assert_int_equal(gp_ctx_open(&ctx, NULL, dir, 0), 0);
	p.name = "root";
	p.subject = "/CN=Root";
	p.key_type = GP_KEY_EC_P256;
	p.pass = "pw";
	p.passlen = 2;
	assert_int_equal(gp_ca_create(ctx, &p), 0);
	assert_int_equal(gp_ca_open(&ca, ctx, "root", "pw", 2), 0);
	/* the same CA, its certificate made again without an SKI */
	own = ca->cert;
	bare = X509_dup(own);
	X509_EXTENSION_free(X509_delete_ext(bare, X509_get_ext_by_NID(bare, NID_subject_key_identifier, -1)));
	X509_EXTENSION_free(X509_delete_ext(bare, X509_get_ext_by_NID(bare, NID_authority_key_identifier, -1)));
	assert_int_equal(gp_x509_sign(bare, ca->key), 0);
	ca->cert = bare;
	assert_int_equal(gp_ca_crl(&crl, ca, 0, "unit"), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "lint: rule crl-aki (RFC 5280 5.2.1)"));
	assert_null(crl);
	assert_int_equal(gp_store_crl_latest_info(gp_ctx_store(ctx), gp_ca_id(ca), 0, &crl), GP_E_NOTFOUND);
	assert_int_equal(gp_store_audit_list(gp_ctx_store(ctx), 1, count_refusal, &c), 0);
	assert_int_equal(c.n, 1);
	if (strstr(c.last, "unit root ca=root crl=1 type=full: lint: rule crl-aki") != c.last)
		fail_msg("audit entry: %s", c.last);
	assert_int_equal(gp_audit_verify(&bad, &rows, gp_ctx_store(ctx)), 0);
	ca->cert = own;
	X509_free(bare);
	assert_int_equal(gp_ca_crl(&crl, ca, 0, "unit"), 0);
	assert_int_equal(crl->number, 1);
	gp_crl_info_free(crl);
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	tu_rmdir(dir);
}

/* docs/lint.md lists every rule with its source, as a table row
 * "| ID | SOURCE |" (or "| ID (signed) | SOURCE |"). */
static void
test_docs_list_rules(void **state)
{
	const gp_lint_rule *r;
	char path[4096], want[256], *doc;
	FILE *f;
	long len;
	size_t i;

	(void)state;
	if (tu_src_path(path, sizeof(path), "docs/lint.md", "tests/unit/test_lint.c") != 0)
		fail_msg("top_srcdir is not set and %s names no source tree", __FILE__);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("%s: not readable", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(doc, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (i = 0; (r = gp_lint_rule_at(i)) != NULL; i++) {
		snprintf(want, sizeof(want), "| %s%s | %s |", r->id,
		    r->phase == GP_LINT_SIGNED ? " (signed)" : "", r->source);
		if (strstr(doc, want) == NULL)
			fail_msg("%s does not list \"%s\"", path, want);
	}
	free(doc);
}

/* NULL arguments are GP_E_INVALID, not a crash. */
static void
test_null(void **state)
{
	gp_lint_cert_ctx lc;

	(void)state;
	memset(&lc, 0, sizeof(lc));
	assert_int_equal(gp_lint_cert(NULL, &lc, GP_LINT_TBS), GP_E_INVALID);
	assert_int_equal(gp_lint_cert(ca_cert, NULL, GP_LINT_TBS), GP_E_INVALID);
	assert_int_equal(gp_lint_crl(NULL, GP_LINT_TBS), GP_E_INVALID);
	assert_null(gp_lint_rule_at((size_t)-1));
}

static int
setup(void **state)
{
	(void)state;
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	k256k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	sm2_key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	if (!ca_key || !leaf_key || !p384 || !k256k1 || !ed_key || !sm2_key || !rsa2048 || !rsa1024)
		return -1;
	ca_cert = make_ca(ca_key);
	if (gp_x509_sign(ca_cert, ca_key) != 0 || gp_profiles_load(&profiles, NULL) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(k256k1);
	EVP_PKEY_free(ed_key);
	EVP_PKEY_free(sm2_key);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	gp_profiles_free(profiles);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_failing),
		cmocka_unit_test(test_cert_passing),
		cmocka_unit_test(test_crl_rules),
		cmocka_unit_test(test_every_rule_tested),
		cmocka_unit_test(test_crl_refused_audited),
		cmocka_unit_test(test_docs_list_rules),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
