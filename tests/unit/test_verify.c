/* tests/unit/test_verify.c: the verification engine (ca/verify.c), one certificate per rule */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include <govpki/govpki.h>

#include "testutil.h"

/*
 * Every test builds its certificates with OpenSSL's API: a root, an
 * intermediate and a leaf that satisfy every rule (mk_good), then one
 * certificate changed so that it breaks exactly the rule under test.  The
 * expected verdicts come from RFC 5280 and docs/verification.md, never
 * from the code under test.
 */

static EVP_PKEY *k_root, *k_int, *k_leaf;

static EVP_PKEY *
ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);

	if (k == NULL)
		abort();
	return k;
}

/* How a certificate differs from a good one. */
typedef struct mkopt {
	const char *serial_hex;     /* NULL: 01; "-01" negative; "00" zero */
	int v1;                     /* version 1, no extensions */
	long nb_days, na_days;      /* notBefore/notAfter from now; 0/0: -1/+30 */
	int empty_subject;
} mkopt;

/* A certificate for key with subject CN=cn, issued by issuer/ikey (NULL:
 * self-signed), with the extensions exts ("name", "value" pairs, NULL
 * ended) made by OpenSSL's X509V3 config parser. */
static X509 *
mk(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, const char *const *exts,
    const mkopt *o)
{
	static const mkopt none;
	static CONF *conf;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn;
	X509V3_CTX ctx;
	const char *hex;

	if (o == NULL)
		o = &none;
	if (conf == NULL && (conf = NCONF_new(NULL)) == NULL)
		abort();
	hex = o->serial_hex ? o->serial_hex : "01";
	if (x == NULL || name == NULL || BN_hex2bn(&bn, hex) == 0)
		abort();
	if ((sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		abort();
	X509_set_serialNumber(x, sn);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_set_version(x, o->v1 ? X509_VERSION_1 : X509_VERSION_3);
	if (!o->empty_subject)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_NAME_free(name);
	X509_gmtime_adj(X509_getm_notBefore(x), (o->nb_days || o->na_days ? o->nb_days : -1) * 86400L);
	X509_gmtime_adj(X509_getm_notAfter(x), (o->nb_days || o->na_days ? o->na_days : 30) * 86400L);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, conf);       /* certificatePolicies wants one */
	for (size_t i = 0; !o->v1 && exts != NULL && exts[i] != NULL; i += 2) {
		X509_EXTENSION *e = X509V3_EXT_nconf(NULL, &ctx, exts[i], exts[i + 1]);

		if (e == NULL) {
			fprintf(stderr, "extension %s=%s: ", exts[i], exts[i + 1]);
			ERR_print_errors_fp(stderr);
			abort();
		}
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (X509_sign(x, ikey ? ikey : key, EVP_sha256()) <= 0)
		abort();
	return x;
}

#define CA_EXTS(...) (const char *const[]){ "basicConstraints", "critical,CA:TRUE", \
	"keyUsage", "critical,keyCertSign,cRLSign", "subjectKeyIdentifier", "hash", \
	"authorityKeyIdentifier", "keyid", __VA_ARGS__ }
#define ROOT_EXTS (const char *const[]){ "basicConstraints", "critical,CA:TRUE", \
	"keyUsage", "critical,keyCertSign,cRLSign", "subjectKeyIdentifier", "hash", NULL }
#define LEAF_EXTS(...) (const char *const[]){ "keyUsage", "critical,digitalSignature", \
	"subjectKeyIdentifier", "hash", "authorityKeyIdentifier", "keyid", __VA_ARGS__ }
#define GOOD_LEAF LEAF_EXTS("extendedKeyUsage", "serverAuth", "subjectAltName", \
	"DNS:www.example.gov", NULL)

typedef struct fx {
	X509 *root, *inter;
	STACK_OF(X509) *anchors, *untrusted;
	STACK_OF(X509_CRL) *crls;
	gp_verify_opts o;
	gp_verdict res;
} fx;

static int
setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	f->root = mk("Root", k_root, NULL, NULL, ROOT_EXTS, NULL);
	f->inter = mk("Issuing", k_int, f->root, k_root, CA_EXTS(NULL), NULL);
	f->anchors = sk_X509_new_null();
	f->untrusted = sk_X509_new_null();
	f->crls = sk_X509_CRL_new_null();
	sk_X509_push(f->anchors, f->root);
	sk_X509_push(f->untrusted, f->inter);
	f->o = (gp_verify_opts)GP_VERIFY_OPTS_INIT;
	f->o.revocation = GP_REVOCATION_NONE;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fx *f = *state;

	sk_X509_pop_free(f->anchors, X509_free);
	sk_X509_pop_free(f->untrusted, X509_free);
	sk_X509_CRL_pop_free(f->crls, X509_CRL_free);
	free(f);
	return 0;
}

/* Verifies leaf (freed) with f's anchors, untrusted and options; returns
 * gp_verifier_check's status, the verdict in f->res. */
static int
run(fx *f, X509 *leaf)
{
	gp_verifier *v = NULL;
	int r;

	if ((r = gp_verifier_new(&v, f->anchors, f->untrusted, f->crls, &f->o)) == 0)
		r = gp_verifier_check(v, leaf, &f->res);
	gp_verifier_free(v);
	X509_free(leaf);
	return r;
}

/* leaf is refused for rule at depth */
#define assert_refused(f, leaf, want_rule, want_depth) do { \
	int r_ = run((f), (leaf)); \
	if (r_ != GP_E_VERIFY) \
		fail_msg("want %s at depth %d, got status %d (%s)", (want_rule), (want_depth), r_, \
		    (f)->res.valid ? "valid" : (f)->res.reason); \
	assert_int_equal((f)->res.valid, 0); \
	if (strcmp((f)->res.rule, (want_rule)) != 0 || (f)->res.depth != (want_depth)) \
		fail_msg("want %s at depth %d, got %s at depth %d: %s (%s)", (want_rule), (want_depth), \
		    (f)->res.rule, (f)->res.depth, (f)->res.reason, (f)->res.source); \
	assert_true((f)->res.source[0] != '\0'); \
} while (0)

#define assert_valid(f, leaf) do { \
	int r_ = run((f), (leaf)); \
	if (r_ != 0) \
		fail_msg("want valid, got %s at depth %d: %s (%s)", (f)->res.rule, (f)->res.depth, \
		    (f)->res.reason, (f)->res.source); \
	assert_int_equal((f)->res.valid, 1); \
} while (0)

static X509 *
good_leaf(fx *f)
{
	return mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, NULL);
}

/* A chain that meets every rule validates, with a 3-certificate path. */
static void
test_good(void **state)
{
	fx *f = *state;

	assert_valid(f, good_leaf(f));
	assert_int_equal(f->res.chain_len, 3);
	assert_string_equal(f->res.rule, "");
}

/* NULL arguments and an empty anchor set are refused, not crashed on. */
static void
test_bad_args(void **state)
{
	fx *f = *state;
	gp_verifier *v = NULL;
	STACK_OF(X509) *empty = sk_X509_new_null();

	assert_int_equal(gp_verifier_new(NULL, f->anchors, NULL, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_verifier_new(&v, empty, NULL, NULL, NULL), GP_E_INVALID);
	assert_null(v);
	assert_int_equal(gp_verifier_new(&v, NULL, NULL, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_verifier_new(&v, f->anchors, NULL, NULL, NULL), 0);
	assert_int_equal(gp_verifier_check(v, NULL, &f->res), GP_E_INVALID);
	assert_int_equal(gp_verifier_check(v, f->inter, NULL), GP_E_INVALID);
	gp_verifier_free(v);
	gp_verifier_free(NULL);
	sk_X509_free(empty);
}

/* docs/api.md: options of a size no version had (0: not set by
 * GP_VERIFY_OPTS_INIT; larger than the library's: newer headers) are
 * refused before anything is done; the first version's size is read. */
static void
test_opts_size(void **state)
{
	fx *f = *state;
	gp_verifier *v = NULL;
	struct {
		gp_verify_opts o;
		char newer[16];
	} big;

	f->o.size = 0;
	assert_int_equal(gp_verifier_new(&v, f->anchors, NULL, NULL, &f->o), GP_E_INVALID);
	assert_null(v);
	assert_non_null(strstr(gp_error_last(), "GP_..._INIT"));
	f->o.size = offsetof(gp_verify_opts, max_depth);       /* below the first version */
	assert_int_equal(gp_verifier_new(&v, f->anchors, NULL, NULL, &f->o), GP_E_INVALID);
	assert_null(v);
	memset(&big, 0, sizeof(big));
	big.o = f->o;
	big.o.size = sizeof(big);
	assert_int_equal(gp_verifier_new(&v, f->anchors, NULL, NULL, &big.o), GP_E_INVALID);
	assert_null(v);
	f->o.size = offsetof(gp_verify_opts, max_depth) + sizeof(int);  /* the first version */
	assert_int_equal(gp_verifier_new(&v, f->anchors, NULL, NULL, &f->o), 0);
	gp_verifier_free(v);
	v = NULL;
	f->o.size = sizeof(f->o);
	assert_int_equal(gp_verifier_new(&v, f->anchors, NULL, NULL, &f->o), 0);
	gp_verifier_free(v);
}

/* RFC 5280 §4.1.2.2: a serial number of 0, a negative one and one of 21
 * octets are refused; 20 octets pass. */
static void
test_serial(void **state)
{
	fx *f = *state;
	mkopt o = { 0 };

	o.serial_hex = "00";
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "serial", 0);
	o.serial_hex = "-05";
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "serial", 0);
	o.serial_hex = "0102030405060708090A0B0C0D0E0F1011121314FF";   /* 21 octets */
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "serial", 0);
	o.serial_hex = "7102030405060708090A0B0C0D0E0F1011121314";     /* 20 octets */
	assert_valid(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o));
	o.serial_hex = "8102030405060708090A0B0C0D0E0F1011121314";     /* 20 + a leading 00 */
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "serial", 0);
}

/* Replaces f's intermediate by one with exts (and o). */
static void
set_inter(fx *f, const char *const *exts, const mkopt *o)
{
	X509_free(sk_X509_pop(f->untrusted));
	f->inter = mk("Issuing", k_int, f->root, k_root, exts, o);
	sk_X509_push(f->untrusted, f->inter);
}

/* RFC 5280 §4.2.1.9: a CA's basicConstraints critical with cA TRUE. */
static void
test_ca_basic_constraints(void **state)
{
	fx *f = *state;

	set_inter(f, (const char *const[]){ "basicConstraints", "CA:TRUE",
	    "keyUsage", "critical,keyCertSign,cRLSign", "subjectKeyIdentifier", "hash",
	    "authorityKeyIdentifier", "keyid", NULL }, NULL);
	assert_refused(f, good_leaf(f), "basic-constraints", 1);
}

/* RFC 5280 §4.2.1.9, §6.1.4 (m): pathLenConstraint 0 on the root leaves
 * no room for an intermediate. */
static void
test_path_len(void **state)
{
	fx *f = *state;
	X509 *root = mk("Root", k_root, NULL, NULL, (const char *const[]){ "basicConstraints",
	    "critical,CA:TRUE,pathlen:0", "keyUsage", "critical,keyCertSign,cRLSign",
	    "subjectKeyIdentifier", "hash", NULL }, NULL);

	X509_free(sk_X509_pop(f->anchors));
	sk_X509_push(f->anchors, root);
	f->root = root;
	set_inter(f, CA_EXTS(NULL), NULL);
	/* named at the CA whose constraint is exceeded */
	assert_refused(f, good_leaf(f), "basic-constraints", 2);
}

/* RFC 5280 §4.2.1.3: keyCertSign only with cA TRUE. */
static void
test_keycertsign_not_ca(void **state)
{
	fx *f = *state;

	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, (const char *const[]){
	    "keyUsage", "critical,digitalSignature,keyCertSign", "subjectKeyIdentifier", "hash",
	    "authorityKeyIdentifier", "keyid", "subjectAltName", "DNS:www.example.gov", NULL }, NULL),
	    "key-usage", 0);
}

/* RFC 5280 §4.2.1.1: a certificate other than self-signed needs an AKI. */
static void
test_aki(void **state)
{
	fx *f = *state;

	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, (const char *const[]){
	    "keyUsage", "critical,digitalSignature", "subjectKeyIdentifier", "hash",
	    "subjectAltName", "DNS:www.example.gov", NULL }, NULL), "aki", 0);
}

/* RFC 5280 §4.2.1.2: a CA certificate needs an SKI. */
static void
test_ski(void **state)
{
	fx *f = *state;

	set_inter(f, (const char *const[]){ "basicConstraints", "critical,CA:TRUE",
	    "keyUsage", "critical,keyCertSign,cRLSign", "authorityKeyIdentifier", "keyid", NULL }, NULL);
	/* the leaf names its issuer by name and serial: there is no key id */
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, (const char *const[]){
	    "keyUsage", "critical,digitalSignature", "authorityKeyIdentifier", "issuer:always",
	    "subjectAltName", "DNS:www.example.gov", NULL }, NULL), "ski", 1);
}

/* RFC 5280 §4.2.1.6: an empty subject needs a critical SAN; with one the
 * certificate passes. */
static void
test_empty_subject_san(void **state)
{
	fx *f = *state;
	mkopt o = { .empty_subject = 1 };

	assert_refused(f, mk("", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "san", 0);
	assert_valid(f, mk("", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "critical,DNS:www.example.gov", NULL), &o));
}

/* RFC 5280 §4.1.2.1, §6.1.4 (k): a v1 certificate is no CA. */
static void
test_v1_ca(void **state)
{
	fx *f = *state;
	mkopt o = { .v1 = 1 };

	set_inter(f, NULL, &o);
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, (const char *const[]){
	    "keyUsage", "critical,digitalSignature", "authorityKeyIdentifier", "issuer:always",
	    "subjectAltName", "DNS:www.example.gov", NULL }, NULL), "v1-ca", 1);
}

/* RFC 5280 §4.2.1.6: malformed dNSName and iPAddress SANs are refused. */
static void
test_malformed_sans(void **state)
{
	fx *f = *state;

	assert_refused(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:www..example.gov", NULL), NULL), "san", 0);
	assert_refused(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:-bad.example.gov", NULL), NULL), "san", 0);
	assert_refused(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:w*w.example.gov", NULL), NULL), "san", 0);
	/* five octets: OpenSSL's config cannot say it, so as DER */
	assert_refused(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DER:30:07:87:05:0a:00:00:01:02", NULL), NULL), "san", 0);
	assert_valid(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:*.example.gov,IP:10.0.0.1,IP:::1", NULL), NULL));
}

/* Key strength as issuance: RSA 1024 and P-192 are refused, P-256 passes
 * (test_good); RSA 1024 passes with --rsa-min-bits 1024. */
static void
test_key_strength(void **state)
{
	fx *f = *state;
	EVP_PKEY *rsa = EVP_RSA_gen(1024), *p192 = EVP_EC_gen("prime192v1");

	assert_non_null(rsa);
	assert_refused(f, mk("www.example.gov", rsa, f->inter, k_int, GOOD_LEAF, NULL), "key-strength", 0);
	if (p192 != NULL)
		assert_refused(f, mk("www.example.gov", p192, f->inter, k_int, GOOD_LEAF, NULL),
		    "key-strength", 0);
	f->o.rsa_min_bits = 1024;
	assert_valid(f, mk("www.example.gov", rsa, f->inter, k_int, GOOD_LEAF, NULL));
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p192);
}

/* gp_verify_chain, the one-call form the seal verifier, CAdES and the RA
 * use: the engine's rules, not a bare X509_verify_cert (which takes the
 * RSA-1024 leaf: gp_chain_verify, lib/x509util.c), and with CRLs given
 * every certificate of the path needs one. */
static void
test_verify_chain(void **state)
{
	fx *f = *state;
	EVP_PKEY *rsa = EVP_RSA_gen(1024);
	X509 *weak, *good = good_leaf(f);

	assert_non_null(rsa);
	weak = mk("www.example.gov", rsa, f->inter, k_int, GOOD_LEAF, NULL);
	assert_int_equal(gp_verify_chain(good, f->anchors, f->untrusted, NULL, 0, GP_PURPOSE_ANY), 0);
	assert_int_equal(gp_verify_chain(good, f->anchors, f->untrusted, NULL, 0,
	    GP_PURPOSE_TLS_SERVER), 0);
	assert_int_equal(gp_chain_verify(weak, f->anchors, f->untrusted, NULL, 0), 0);
	assert_int_equal(gp_verify_chain(weak, f->anchors, f->untrusted, NULL, 0, GP_PURPOSE_ANY),
	    GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "key-strength"));
	assert_non_null(strstr(gp_error_last(), "CN=www.example.gov"));
	/* CRLs given (none of them this path's): revocation is required */
	assert_int_equal(gp_verify_chain(good, f->anchors, f->untrusted, f->crls, 0, GP_PURPOSE_ANY),
	    GP_E_VERIFY);
	assert_non_null(strstr(gp_error_last(), "revocation"));
	/* no anchor: refused, not a crash */
	assert_int_equal(gp_verify_chain(good, NULL, f->untrusted, NULL, 0, GP_PURPOSE_ANY), GP_E_VERIFY);
	assert_int_equal(gp_verify_chain(NULL, f->anchors, NULL, NULL, 0, GP_PURPOSE_ANY), GP_E_INVALID);
	X509_free(weak);
	X509_free(good);
	EVP_PKEY_free(rsa);
}

/* RFC 5280 §4.2.1.10: the intermediate's constraints hold for the leaf's
 * SAN, its subject emailAddress and its CN read as a DNS name. */
static void
test_name_constraints(void **state)
{
	fx *f = *state;
	X509 *leaf;
	X509_NAME *n;

	set_inter(f, CA_EXTS("nameConstraints", "critical,permitted;DNS:example.gov,"
	    "permitted;email:example.gov", NULL), NULL);
	assert_valid(f, good_leaf(f));
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:www.example.com", NULL), NULL), "name-constraints", 0);
	/* CN-as-DNS outside, SAN inside */
	assert_refused(f, mk("www.evil.com", k_leaf, f->inter, k_int, GOOD_LEAF, NULL),
	    "name-constraints", 0);
	/* the subject's emailAddress: rebuilt with one */
	leaf = mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, NULL);
	n = X509_get_subject_name(leaf);
	X509_NAME_add_entry_by_txt(n, "emailAddress", MBSTRING_ASC, (const unsigned char *)"a@evil.com", -1, -1, 0);
	X509_sign(leaf, k_int, EVP_sha256());
	assert_refused(f, leaf, "name-constraints", 0);
	/* rfc822Name SAN */
	assert_refused(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "email:a@evil.com", NULL), NULL), "name-constraints", 0);
	assert_valid(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "email:a@example.gov", NULL), NULL));
}

/* RFC 5280 §4.2.1.10: nameConstraints only in a CA certificate. */
static void
test_name_constraints_non_ca(void **state)
{
	fx *f = *state;

	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:www.example.gov", "nameConstraints", "critical,permitted;DNS:example.gov", NULL), NULL),
	    "name-constraints", 0);
}

/* --purpose through EKU and keyUsage (RFC 5280 §4.2.1.12, §4.2.1.3). */
static void
test_purpose(void **state)
{
	fx *f = *state;

	f->o.purpose = GP_PURPOSE_TLS_SERVER;
	assert_valid(f, good_leaf(f));
	f->o.purpose = GP_PURPOSE_TLS_CLIENT;
	assert_refused(f, good_leaf(f), "purpose", 0);
	/* anyExtendedKeyUsage stands for every purpose, but not OCSP signing */
	f->o.purpose = GP_PURPOSE_EMAIL;
	assert_valid(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("extendedKeyUsage",
	    "anyExtendedKeyUsage", "subjectAltName", "email:a@example.gov", NULL), NULL));
	f->o.purpose = GP_PURPOSE_OCSP;
	assert_refused(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("extendedKeyUsage",
	    "anyExtendedKeyUsage", "subjectAltName", "DNS:ocsp.example.gov", NULL), NULL), "purpose", 0);
	/* keyUsage without a bit the purpose needs */
	f->o.purpose = GP_PURPOSE_TLS_SERVER;
	assert_refused(f, mk("x", k_leaf, f->inter, k_int, (const char *const[]){ "keyUsage",
	    "critical,cRLSign", "authorityKeyIdentifier", "keyid", "extendedKeyUsage", "serverAuth",
	    "subjectAltName", "DNS:www.example.gov", NULL }, NULL), "purpose", 0);
}

/* --name per RFC 9525: SAN only, wildcard in the left-most label only. */
static void
test_name(void **state)
{
	fx *f = *state;

	f->o.name = "www.example.gov";
	assert_valid(f, good_leaf(f));
	f->o.name = "mail.example.gov";
	assert_refused(f, good_leaf(f), "name", 0);
	f->o.name = "a.example.gov";
	assert_valid(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:*.example.gov", NULL), NULL));
	f->o.name = "a.b.example.gov";
	assert_refused(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "DNS:*.example.gov", NULL), NULL), "name", 0);
	/* no CN fallback when a SAN is present */
	f->o.name = "cn.example.gov";
	assert_refused(f, mk("cn.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, NULL), "name", 0);
	f->o.name = "10.0.0.1";
	assert_valid(f, mk("x", k_leaf, f->inter, k_int, LEAF_EXTS("subjectAltName",
	    "IP:10.0.0.1", NULL), NULL));
}

/* --at: a leaf valid for 5 days is refused as of 10 days from now, and
 * one that is not yet valid passes as of its validity. */
static void
test_at(void **state)
{
	fx *f = *state;
	mkopt o = { .nb_days = -1, .na_days = 5 };

	f->o.at = (int64_t)time(NULL) + 10 * 86400;
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "validity", 0);
	o.nb_days = 2;
	o.na_days = 20;
	f->o.at = 0;
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "validity", 0);
	f->o.at = (int64_t)time(NULL) + 10 * 86400;
	assert_valid(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o));
}

/* c (freed) as read back from its DER: OpenSSL caches the extensions of
 * a CRL (issuingDistributionPoint, deltaCRLIndicator) only when it decodes
 * one, as from a file. */
static X509_CRL *
reparse(X509_CRL *c)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_CRL *out;
	int len = i2d_X509_CRL(c, &der);

	p = der;
	if (len <= 0 || (out = d2i_X509_CRL(NULL, &p, len)) == NULL)
		abort();
	OPENSSL_free(der);
	X509_CRL_free(c);
	return out;
}

/* A CRL by issuer/ikey listing serial (when non-NULL), number num;
 * delta_base >= 0 makes it a delta CRL on that base number. */
static X509_CRL *
mk_crl(X509 *issuer, EVP_PKEY *ikey, const char *serial_hex, long num, long delta_base)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	ASN1_INTEGER *i = ASN1_INTEGER_new();

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer));
	X509_gmtime_adj(t, -3600);
	X509_CRL_set1_lastUpdate(c, t);
	X509_gmtime_adj(t, 7 * 86400L);
	X509_CRL_set1_nextUpdate(c, t);
	if (serial_hex != NULL) {
		X509_REVOKED *rv = X509_REVOKED_new();
		BIGNUM *bn = NULL;
		ASN1_INTEGER *sn;

		BN_hex2bn(&bn, serial_hex);
		sn = BN_to_ASN1_INTEGER(bn, NULL);
		X509_REVOKED_set_serialNumber(rv, sn);
		X509_gmtime_adj(t, -600);
		X509_REVOKED_set_revocationDate(rv, t);
		X509_CRL_add0_revoked(c, rv);
		ASN1_INTEGER_free(sn);
		BN_free(bn);
	}
	ASN1_INTEGER_set(i, num);
	X509_CRL_add1_ext_i2d(c, NID_crl_number, i, 0, 0);
	if (delta_base >= 0) {
		ASN1_INTEGER_set(i, delta_base);
		X509_CRL_add1_ext_i2d(c, NID_delta_crl, i, 1, 0);
	}
	{
		X509V3_CTX ctx;
		X509_EXTENSION *e;

		X509V3_set_ctx(&ctx, issuer, NULL, NULL, c, 0);
		e = X509V3_EXT_nconf(NULL, &ctx, "authorityKeyIdentifier", "keyid");
		X509_CRL_add_ext(c, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_CRL_sort(c);
	if (X509_CRL_sign(c, ikey, EVP_sha256()) <= 0)
		abort();
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(i);
	return reparse(c);
}

/* RFC 5280 §6.3: a revoked leaf is refused; --revocation require refuses a
 * path whose CRLs are missing, prefer counts it as unknown. */
static void
test_revocation(void **state)
{
	fx *f = *state;
	mkopt o = { .serial_hex = "1234" };

	sk_X509_CRL_push(f->crls, mk_crl(f->root, k_root, NULL, 1, -1));
	sk_X509_CRL_push(f->crls, mk_crl(f->inter, k_int, "1234", 1, -1));
	f->o.revocation = GP_REVOCATION_REQUIRE;
	assert_valid(f, good_leaf(f));
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "revocation", 0);
	/* the intermediate's CRL missing */
	X509_CRL_free(sk_X509_CRL_pop(f->crls));
	assert_refused(f, good_leaf(f), "revocation", 0);
	f->o.revocation = GP_REVOCATION_PREFER;
	assert_valid(f, good_leaf(f));
	assert_int_equal(f->res.revocation_unknown, 1);
	f->o.revocation = GP_REVOCATION_NONE;
	assert_valid(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o));
}

/* RFC 5280 §5.2.4: a delta CRL without its base makes the certificates of
 * its issuer invalid (not the verifier: each certificate gets a verdict),
 * and with its base (that does not name it) it is applied. */
static void
test_delta(void **state)
{
	fx *f = *state;
	mkopt o = { .serial_hex = "4321" };

	sk_X509_CRL_push(f->crls, mk_crl(f->root, k_root, NULL, 1, -1));
	sk_X509_CRL_push(f->crls, mk_crl(f->inter, k_int, "4321", 6, 5));
	f->o.revocation = GP_REVOCATION_REQUIRE;
	assert_refused(f, good_leaf(f), "revocation", 0);
	assert_non_null(strstr(f->res.reason, "without its base CRL"));
	/* also when a full CRL of the issuer is given, but older than the base */
	sk_X509_CRL_push(f->crls, mk_crl(f->inter, k_int, NULL, 4, -1));
	assert_refused(f, good_leaf(f), "revocation", 0);
	assert_non_null(strstr(f->res.reason, "BaseCRLNumber 5"));
	X509_CRL_free(sk_X509_CRL_pop(f->crls));
	sk_X509_CRL_push(f->crls, mk_crl(f->inter, k_int, NULL, 5, -1));
	assert_valid(f, good_leaf(f));
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "revocation", 0);
}

/* A truncated and a garbage certificate do not parse; nothing to verify. */
static void
test_unsigned_chain(void **state)
{
	fx *f = *state;
	X509 *leaf = good_leaf(f);

	/* signed by the wrong key */
	X509_sign(leaf, k_leaf, EVP_sha256());
	assert_refused(f, leaf, "signature", 0);
}


/* Makes f's chain root -> inter(exts) -> leaf(leaf_exts) and verifies it. */
static int
run_policy(fx *f, const char *const *inter_exts, const char *const *leaf_exts)
{
	set_inter(f, inter_exts, NULL);
	return run(f, mk("www.example.gov", k_leaf, f->inter, k_int, leaf_exts, NULL));
}

#define POL_LEAF(pol) LEAF_EXTS("extendedKeyUsage", "serverAuth", "subjectAltName", \
	"DNS:www.example.gov", "certificatePolicies", pol, NULL)

/* RFC 5280 §6.1.1 (c), (f): the initial-policy-set with explicit-policy
 * accepts a path that asserts the policy, refuses one that does not. */
static void
test_policy_explicit(void **state)
{
	fx *f = *state;
	static const char *const p1[] = { "1.2.3.4", NULL }, *const p5[] = { "1.2.3.5", NULL };

	f->o.explicit_policy = 1;
	f->o.policies = p1;
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "2.5.29.32.0", NULL),
	    POL_LEAF("1.2.3.4")), 0);
	f->o.policies = p5;
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "2.5.29.32.0", NULL),
	    POL_LEAF("1.2.3.4")), GP_E_VERIFY);
	assert_string_equal(f->res.rule, "policy");
	/* a leaf without policies, explicit policy required */
	f->o.policies = NULL;
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "2.5.29.32.0", NULL),
	    GOOD_LEAF), GP_E_VERIFY);
	assert_string_equal(f->res.rule, "policy");
	/* the same without --explicit-policy passes (§6.1.5 (g)) */
	f->o.explicit_policy = 0;
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "2.5.29.32.0", NULL),
	    GOOD_LEAF), 0);
	/* requireExplicitPolicy:0 in the CA asks for it (§4.2.1.11) */
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "2.5.29.32.0",
	    "policyConstraints", "critical,requireExplicitPolicy:0", NULL), GOOD_LEAF), GP_E_VERIFY);
	assert_string_equal(f->res.rule, "policy");
}

/* RFC 5280 §6.1.1 (g): with inhibit-anyPolicy the CA's anyPolicy no
 * longer stands for the leaf's policy. */
static void
test_policy_inhibit_any(void **state)
{
	fx *f = *state;
	static const char *const p1[] = { "1.2.3.4", NULL };

	f->o.explicit_policy = 1;
	f->o.policies = p1;
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "2.5.29.32.0", NULL),
	    POL_LEAF("1.2.3.4")), 0);
	f->o.inhibit_any_policy = 1;
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "2.5.29.32.0", NULL),
	    POL_LEAF("1.2.3.4")), GP_E_VERIFY);
	assert_string_equal(f->res.rule, "policy");
	/* a CA that names the policy itself still passes */
	assert_int_equal(run_policy(f, CA_EXTS("certificatePolicies", "1.2.3.4", NULL),
	    POL_LEAF("1.2.3.4")), 0);
}

/* RFC 5280 §6.1.1 (e): with inhibit-policy-mapping the CA's mapping
 * 1.2.3.4 -> 1.2.3.9 is not followed. */
static void
test_policy_inhibit_mapping(void **state)
{
	fx *f = *state;
	static const char *const p1[] = { "1.2.3.4", NULL };
	const char *const *ca = CA_EXTS("certificatePolicies", "1.2.3.4",
	    "policyMappings", "critical,1.2.3.4:1.2.3.9", NULL);

	f->o.explicit_policy = 1;
	f->o.policies = p1;
	assert_int_equal(run_policy(f, ca, POL_LEAF("1.2.3.9")), 0);
	f->o.inhibit_policy_mapping = 1;
	assert_int_equal(run_policy(f, ca, POL_LEAF("1.2.3.9")), GP_E_VERIFY);
	assert_string_equal(f->res.rule, "policy");
}

/* An issuingDistributionPoint on a CRL by issuer/ikey listing nothing. */
static X509_CRL *
mk_idp_crl(X509 *issuer, EVP_PKEY *ikey, long num, int only_ca, int reason_bit)
{
	X509_CRL *c = mk_crl(issuer, ikey, NULL, num, -1);
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();

	idp->onlyCA = only_ca ? 0xff : 0;
	if (reason_bit >= 0) {
		idp->onlysomereasons = ASN1_BIT_STRING_new();
		ASN1_BIT_STRING_set_bit(idp->onlysomereasons, reason_bit, 1);
	}
	X509_CRL_add1_ext_i2d(c, NID_issuing_distribution_point, idp, 1, 0);
	ISSUING_DIST_POINT_free(idp);
	if (X509_CRL_sign(c, ikey, EVP_sha256()) <= 0)
		abort();
	return reparse(c);
}

/* RFC 5280 §5.2.5, §6.3.3 (b), (d): a CRL for CA certificates only, or
 * for one reason only, does not give a leaf's full status; --revocation
 * require refuses it, a complete CRL beside it is enough. */
static void
test_crl_scope(void **state)
{
	fx *f = *state;

	f->o.revocation = GP_REVOCATION_REQUIRE;
	sk_X509_CRL_push(f->crls, mk_crl(f->root, k_root, NULL, 1, -1));
	sk_X509_CRL_push(f->crls, mk_idp_crl(f->inter, k_int, 3, 1, -1));
	assert_refused(f, good_leaf(f), "crl", 0);     /* different scope */
	X509_CRL_free(sk_X509_CRL_pop(f->crls));
	sk_X509_CRL_push(f->crls, mk_idp_crl(f->inter, k_int, 3, 0, 1));    /* keyCompromise only */
	assert_refused(f, good_leaf(f), "revocation", 0);
	sk_X509_CRL_push(f->crls, mk_crl(f->inter, k_int, NULL, 4, -1));
	assert_valid(f, good_leaf(f));
}

/* ---- a CRL issuer covered by its own indirect CRL (PKITS 4.14.30) ---- */

/* GeneralNames holding one directoryName: CN=cn. */
static GENERAL_NAMES *
dirname_gn(const char *cn)
{
	GENERAL_NAMES *gns = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	X509_NAME *n = X509_NAME_new();

	if (gns == NULL || gn == NULL || n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		abort();
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, n);
	sk_GENERAL_NAME_push(gns, gn);
	return gns;
}

#define DP_NAME "Indirect CRL"

/* x (freed) with a cRLDistributionPoints of one point, fullName
 * CN=DP_NAME, cRLIssuer CN=crl_issuer (RFC 5280 §4.2.1.13), signed again by
 * ikey and read back from its DER. */
static X509 *
with_crl_issuer(X509 *x, EVP_PKEY *ikey, const char *crl_issuer)
{
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *out;
	int len;

	if (dps == NULL || dp == NULL || (dp->distpoint = DIST_POINT_NAME_new()) == NULL)
		abort();
	dp->distpoint->type = 0;
	dp->distpoint->name.fullname = dirname_gn(DP_NAME);
	dp->CRLissuer = dirname_gn(crl_issuer);
	sk_DIST_POINT_push(dps, dp);
	if (!X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0, X509V3_ADD_DEFAULT) ||
	    X509_sign(x, ikey, EVP_sha256()) <= 0)
		abort();
	CRL_DIST_POINTS_free(dps);
	len = i2d_X509(x, &der);
	p = der;
	if (len <= 0 || (out = d2i_X509(NULL, &p, len)) == NULL)
		abort();
	OPENSSL_free(der);
	X509_free(x);
	return out;
}

/* An indirect CRL (RFC 5280 §5.2.5) by issuer/ikey for the point DP_NAME,
 * listing serial_hex (when non-NULL) of a certificate that CN=cert_issuer
 * issued (certificateIssuer, §5.3.3). */
static X509_CRL *
mk_indirect_crl(X509 *issuer, EVP_PKEY *ikey, const char *serial_hex, const char *cert_issuer)
{
	X509_CRL *c = mk_crl(issuer, ikey, NULL, 1, -1);
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();

	if (idp == NULL || (idp->distpoint = DIST_POINT_NAME_new()) == NULL)
		abort();
	idp->distpoint->type = 0;
	idp->distpoint->name.fullname = dirname_gn(DP_NAME);
	idp->indirectCRL = 0xff;
	X509_CRL_add1_ext_i2d(c, NID_issuing_distribution_point, idp, 1, 0);
	ISSUING_DIST_POINT_free(idp);
	if (serial_hex != NULL) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_TIME *t = ASN1_TIME_new();
		BIGNUM *bn = NULL;
		ASN1_INTEGER *sn;
		GENERAL_NAMES *ci = dirname_gn(cert_issuer);

		if (rv == NULL || t == NULL || !BN_hex2bn(&bn, serial_hex) ||
		    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
			abort();
		X509_REVOKED_set_serialNumber(rv, sn);
		X509_gmtime_adj(t, -600);
		X509_REVOKED_set_revocationDate(rv, t);
		X509_REVOKED_add1_ext_i2d(rv, NID_certificate_issuer, ci, 1, 0);
		X509_CRL_add0_revoked(c, rv);
		GENERAL_NAMES_free(ci);
		ASN1_INTEGER_free(sn);
		ASN1_TIME_free(t);
		BN_free(bn);
		X509_CRL_sort(c);
	}
	if (X509_CRL_sign(c, ikey, EVP_sha256()) <= 0)
		abort();
	return reparse(c);
}

#define CRL_ISSUER_EXTS (const char *const[]){ "keyUsage", "critical,cRLSign", \
	"subjectKeyIdentifier", "hash", "authorityKeyIdentifier", "keyid", NULL }

/* The CRL issuer CN=CRL Issuer (serial C0) under inter/ikey, its own status
 * given by the CRL it issues, as in PKITS 4.14.30. */
static X509 *
mk_crl_issuer(X509 *inter, EVP_PKEY *ikey, EVP_PKEY *key)
{
	mkopt o = { .serial_hex = "C0" };

	return with_crl_issuer(mk("CRL Issuer", key, inter, ikey, CRL_ISSUER_EXTS, &o), ikey,
	    "CRL Issuer");
}

static X509 *
dp_leaf(fx *f)
{
	return with_crl_issuer(good_leaf(f), k_int, "CRL Issuer");
}

/* RFC 5280 §6.3.3 (f): the path of the issuer of the leaf's (indirect) CRL
 * is validated, the CRL issuer's own status included, which here comes from
 * that same CRL (PKITS 4.14.30; OpenSSL alone says "CRL path validation
 * error").  Valid when the CRL lists nothing; refused when it lists the
 * leaf, or the CRL issuer's own certificate (also for a second leaf of the
 * same verifier, whose CRL check would otherwise be remembered). */
static void
test_crl_issuer_own_crl(void **state)
{
	fx *f = *state;
	EVP_PKEY *k_ci = ec_key("P-256");
	X509 *ci = mk_crl_issuer(f->inter, k_int, k_ci);
	gp_verifier *v = NULL;
	X509 *leaf;

	f->o.revocation = GP_REVOCATION_REQUIRE;
	sk_X509_push(f->untrusted, ci);
	sk_X509_CRL_push(f->crls, mk_crl(f->root, k_root, NULL, 1, -1));
	sk_X509_CRL_push(f->crls, mk_indirect_crl(ci, k_ci, NULL, NULL));
	assert_valid(f, dp_leaf(f));
	assert_int_equal(f->res.chain_len, 3);
	/* the leaf listed (serial 01 of CN=Issuing) */
	X509_CRL_free(sk_X509_CRL_pop(f->crls));
	sk_X509_CRL_push(f->crls, mk_indirect_crl(ci, k_ci, "01", "Issuing"));
	assert_refused(f, dp_leaf(f), "revocation", 0);
	/* the CRL issuer's own certificate listed (serial C0 of CN=Issuing) */
	X509_CRL_free(sk_X509_CRL_pop(f->crls));
	sk_X509_CRL_push(f->crls, mk_indirect_crl(ci, k_ci, "C0", "Issuing"));
	assert_refused(f, dp_leaf(f), "revocation", 0);
	assert_non_null(strstr(f->res.subject, "CRL Issuer"));
	assert_int_equal(gp_verifier_new(&v, f->anchors, f->untrusted, f->crls, &f->o), 0);
	for (int i = 0; i < 2; i++) {
		leaf = dp_leaf(f);
		assert_int_equal(gp_verifier_check(v, leaf, &f->res), GP_E_VERIFY);
		assert_int_equal(f->res.valid, 0);
		assert_string_equal(f->res.rule, "revocation");
		X509_free(leaf);
	}
	gp_verifier_free(v);
	EVP_PKEY_free(k_ci);
}

/* RFC 5280 §6.3.3 (f): "the trust anchor for the certification path MUST be
 * the same as the trust anchor used to validate the target certificate": a
 * CRL issuer of the same name whose own path (and own CRL) is sound but ends
 * at another anchor does not give the leaf's status. */
static void
test_crl_issuer_other_anchor(void **state)
{
	fx *f = *state;
	EVP_PKEY *k_r2 = ec_key("P-256"), *k_i2 = ec_key("P-256"), *k_ci = ec_key("P-256");
	X509 *root2 = mk("Root 2", k_r2, NULL, NULL, ROOT_EXTS, NULL);
	X509 *inter2 = mk("Issuing 2", k_i2, root2, k_r2, CA_EXTS(NULL), NULL);
	X509 *ci = mk_crl_issuer(inter2, k_i2, k_ci);

	f->o.revocation = GP_REVOCATION_REQUIRE;
	sk_X509_push(f->anchors, root2);
	sk_X509_push(f->untrusted, inter2);
	sk_X509_push(f->untrusted, ci);
	sk_X509_CRL_push(f->crls, mk_crl(f->root, k_root, NULL, 1, -1));
	sk_X509_CRL_push(f->crls, mk_crl(root2, k_r2, NULL, 1, -1));
	sk_X509_CRL_push(f->crls, mk_indirect_crl(ci, k_ci, NULL, NULL));
	assert_refused(f, dp_leaf(f), "crl", 0);
	/* the CRL issuer's own path is valid under its anchor */
	assert_valid(f, X509_dup(ci));
	EVP_PKEY_free(k_r2);
	EVP_PKEY_free(k_i2);
	EVP_PKEY_free(k_ci);
}

/* Bad input: a chain of 100 certificates gets an answer (too long by
 * default, valid with --max-depth 100); nothing crashes. */
static void
test_chain_100(void **state)
{
	fx *f = *state;
	EVP_PKEY *keys[100], *prev_key = k_root;
	X509 *prev = f->root;
	char cn[32];
	int i;

	for (i = 0; i < 98; i++) {
		X509 *c;

		keys[i] = ec_key("P-256");
		snprintf(cn, sizeof(cn), "CA %d", i);
		c = mk(cn, keys[i], prev, prev_key, CA_EXTS(NULL), NULL);
		sk_X509_push(f->untrusted, c);
		prev = c;
		prev_key = keys[i];
	}
	assert_int_equal(run(f, mk("www.example.gov", k_leaf, prev, prev_key, GOOD_LEAF, NULL)), GP_E_VERIFY);
	assert_string_equal(f->res.rule, "path-length");
	f->o.max_depth = 100;
	assert_valid(f, mk("www.example.gov", k_leaf, prev, prev_key, GOOD_LEAF, NULL));
	assert_int_equal(f->res.chain_len, 100);
	for (i = 0; i < 98; i++)
		EVP_PKEY_free(keys[i]);
}

/* Bad input: two CAs that certify each other, neither under the anchor,
 * are refused as "no path", in bounded time. */
static void
test_cross_loop(void **state)
{
	fx *f = *state;
	EVP_PKEY *ka = ec_key("P-256"), *kb = ec_key("P-256");
	X509 *a_self = mk("Loop A", ka, NULL, NULL, ROOT_EXTS, NULL);
	X509 *b = mk("Loop B", kb, a_self, ka, CA_EXTS(NULL), NULL);
	X509 *a = mk("Loop A", ka, b, kb, CA_EXTS(NULL), NULL);

	sk_X509_push(f->untrusted, a);
	sk_X509_push(f->untrusted, b);
	assert_int_equal(run(f, mk("www.example.gov", k_leaf, a, ka, GOOD_LEAF, NULL)), GP_E_VERIFY);
	assert_string_equal(f->res.rule, "path");
	X509_free(a_self);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
}

/* Bad input: a CRL of 1,000,000 entries (parsed from DER, as from a file)
 * answers for a listed and an unlisted serial. */
static void
test_crl_million(void **state)
{
	fx *f = *state;
	X509_CRL *c = X509_CRL_new(), *parsed;
	ASN1_TIME *t = ASN1_TIME_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	const unsigned char *p;
	mkopt o = { .serial_hex = "10007A120" };    /* 0x10000000 + 500000 */
	int len;

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(f->inter));
	X509_gmtime_adj(t, -3600);
	X509_CRL_set1_lastUpdate(c, t);
	X509_gmtime_adj(t, 7 * 86400L);
	X509_CRL_set1_nextUpdate(c, t);
	X509_gmtime_adj(t, -600);
	for (long i = 0; i < 1000000; i++) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();

		ASN1_INTEGER_set_int64(sn, 0x100000000LL + i);
		X509_REVOKED_set_serialNumber(rv, sn);
		X509_REVOKED_set_revocationDate(rv, t);
		ASN1_INTEGER_free(sn);
		if (!X509_CRL_add0_revoked(c, rv))
			abort();
	}
	ASN1_INTEGER_set(num, 9);
	X509_CRL_add1_ext_i2d(c, NID_crl_number, num, 0, 0);
	if (X509_CRL_sign(c, k_int, EVP_sha256()) <= 0 || (len = i2d_X509_CRL(c, &der)) <= 0)
		abort();
	X509_CRL_free(c);
	p = der;
	parsed = d2i_X509_CRL(NULL, &p, len);
	OPENSSL_free(der);
	assert_non_null(parsed);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(parsed)), 1000000);
	sk_X509_CRL_push(f->crls, mk_crl(f->root, k_root, NULL, 1, -1));
	sk_X509_CRL_push(f->crls, parsed);
	f->o.revocation = GP_REVOCATION_REQUIRE;
	assert_valid(f, good_leaf(f));
	assert_refused(f, mk("www.example.gov", k_leaf, f->inter, k_int, GOOD_LEAF, &o), "revocation", 0);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opts_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_basic_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keycertsign_not_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aki, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ski, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_subject_san, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_sans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_strength, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_constraints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_constraints_non_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purpose, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsigned_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_explicit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_inhibit_any, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_inhibit_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_issuer_own_crl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_issuer_other_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_100, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_million, setup, teardown),
	};
	int r;

	k_root = ec_key("P-256");
	k_int = ec_key("P-256");
	k_leaf = ec_key("P-256");
	r = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(k_root);
	EVP_PKEY_free(k_int);
	EVP_PKEY_free(k_leaf);
	return r;
}
