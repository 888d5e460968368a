/* tests/unit/test_profile.c: unit tests of certificate profiles (ca/profile.c) */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <govpki/config.h>
#include <govpki/error.h>
#include <govpki/profile.h>
#include <govpki/x509util.h>

#include "../../ca/profile_int.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/gp-test-profile-XXXXXX";
static char cfgpath[PATH_MAX];

/* keys generated once for the whole run */
static EVP_PKEY *rsa2048, *rsa1024, *rsa3072, *p256, *p384, *ed25519, *sm2,
    *explicit_ec, *ed448;

static EVP_PKEY *
explicit_params_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *k2;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT), 1);
	assert_true((len = i2d_PUBKEY(k, &der)) > 0);
	p = der;
	k2 = d2i_PUBKEY(NULL, &p, len);
	assert_non_null(k2);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return k2;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/govpki.cnf", tmpdir);
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	rsa3072 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	sm2 = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	explicit_ec = explicit_params_key();
	return rsa2048 && rsa1024 && rsa3072 && p256 && p384 && ed25519 &&
	    ed448 && sm2 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(rsa3072);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed25519);
	EVP_PKEY_free(ed448);
	EVP_PKEY_free(sm2);
	EVP_PKEY_free(explicit_ec);
	unlink(cfgpath);
	return rmdir(tmpdir);
}

static gp_config *
config_from(const char *text)
{
	gp_config *cfg = NULL;
	FILE *f = fopen(cfgpath, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(gp_config_load(&cfg, cfgpath), 0);
	return cfg;
}

/* Loads text as a configuration and expects gp_profiles_load to fail with
 * code and a message containing want (with "@" standing for the path). */
static void
expect_config_error(const char *text, int code, const char *want)
{
	gp_config *cfg = config_from(text);
	gp_profiles *ps = (gp_profiles *)1;
	char w[PATH_MAX + 256];
	const char *at = strchr(want, '@');

	if (at != NULL)
		snprintf(w, sizeof(w), "%.*s%s%s", (int)(at - want), want, cfgpath,
		    at + 1);
	else
		snprintf(w, sizeof(w), "%s", want);
	assert_int_equal(gp_profiles_load(&ps, cfg), code);
	assert_null(ps);
	if (strstr(gp_error_last(), w) == NULL)
		fail_msg("message '%s' lacks '%s'", gp_error_last(), w);
	gp_config_free(cfg);
}

static gp_profiles *
builtins(void)
{
	gp_profiles *ps = NULL;

	assert_int_equal(gp_profiles_load(&ps, NULL), 0);
	assert_non_null(ps);
	return ps;
}

static int
has_oid(const STACK_OF(ASN1_OBJECT) *st, int nid)
{
	int i;

	for (i = 0; st != NULL && i < sk_ASN1_OBJECT_num(st); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(st, i)) == nid)
			return 1;
	return 0;
}

static int
has_str(char *const *v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

static X509_NAME *
name_of(const char *const *kv)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	/* an empty value bypasses OpenSSL's size table (CN is 1..64) */
	for (; kv != NULL && kv[0] != NULL; kv += 2)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, kv[0],
		    kv[1][0] ? MBSTRING_UTF8 : V_ASN1_UTF8STRING,
		    (const unsigned char *)kv[1], -1, -1, 0), 1);
	return n;
}

static GENERAL_NAMES *
sans_of(const char *s)
{
	GENERAL_NAMES *g = NULL;

	if (s == NULL)
		return NULL;
	assert_int_equal(gp_sans_parse(&g, s), 0);
	return g;
}

/* Runs gp_profile_check and expects rc and, on failure, the message. */
static void
check(const gp_profile *p, EVP_PKEY *key, const char *const *subj,
    const char *sans, int rc, const char *msg)
{
	X509_NAME *n = name_of(subj);
	GENERAL_NAMES *g = sans_of(sans);
	int r = gp_profile_check(p, key, n, g);

	if (r != rc)
		fail_msg("rc %d, want %d: %s", r, rc, gp_error_last());
	if (msg != NULL && strcmp(gp_error_last(), msg) != 0)
		fail_msg("message '%s', want '%s'", gp_error_last(), msg);
	X509_NAME_free(n);
	GENERAL_NAMES_free(g);
}

/* ---- loading ---- */

/* All eleven built-ins are there with their documented values. */
static void
test_builtins(void **state)
{
	static const struct {
		const char *name;
		int max_days, ca, approvals;
	} want[] = {
		{ "root-ca", 7300, 1, 2 }, { "sub-ca", 3650, 1, 2 },
		{ "tls-server", 200, 0, 1 }, { "tls-client", 825, 0, 1 },
		{ "person", 1095, 0, 1 }, { "department", 1095, 0, 1 },
		{ "device", 1825, 0, 1 }, { "seal-signer", 1095, 0, 2 },
		{ "ocsp-signer", 90, 0, 1 }, { "tsa-signer", 1825, 0, 1 },
		{ "person-encryption", 1095, 0, 1 },
	};
	gp_profiles *ps = builtins();
	const gp_profile *p;
	size_t i;

	(void)state;
	assert_int_equal(gp_profiles_count(ps), 11);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p = gp_profiles_get(ps, want[i].name);
		assert_non_null(p);
		assert_ptr_equal(gp_profiles_at(ps, i), p);
		assert_string_equal(gp_profile_name(p), want[i].name);
		assert_int_equal(gp_profile_max_days(p), want[i].max_days);
		assert_int_equal(gp_profile_is_ca(p), want[i].ca);
		assert_int_equal(gp_profile_approvals(p), want[i].approvals);
		assert_int_equal(p->rsa_min_bits, 2048);
	}
	assert_null(gp_profiles_get(ps, "nosuch"));
	assert_null(gp_profiles_at(ps, 11));

	p = gp_profiles_get(ps, "root-ca");
	assert_int_equal(p->path_len, -1);
	assert_int_equal(p->key_usage, KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(p->key_types, (1u << GP_KEY__COUNT) - 1);
	assert_true(has_str(p->subj_required, "CN"));
	assert_int_equal(sk_ASN1_OBJECT_num(p->eku), 0);
	p = gp_profiles_get(ps, "sub-ca");
	assert_int_equal(p->path_len, 0);
	p = gp_profiles_get(ps, "tls-server");
	assert_int_equal(p->key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	assert_true(has_oid(p->eku, NID_server_auth));
	assert_int_equal(p->san_types, (1u << GEN_DNS) | (1u << GEN_IPADD));
	assert_int_equal(p->san_required, 1);
	assert_false(has_str(p->subj_allowed, "emailAddress"));
	p = gp_profiles_get(ps, "tls-client");
	assert_int_equal(p->key_usage, KU_DIGITAL_SIGNATURE);
	assert_true(has_oid(p->eku, NID_client_auth));
	assert_int_equal(p->san_types, (1u << GEN_DNS) | (1u << GEN_IPADD) |
	    (1u << GEN_EMAIL) | (1u << GEN_URI));
	p = gp_profiles_get(ps, "person");
	assert_int_equal(p->key_usage, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_true(has_oid(p->eku, NID_client_auth));
	assert_true(has_oid(p->eku, NID_email_protect));
	assert_true(has_str(p->subj_allowed, "GN"));
	assert_true(has_str(p->subj_allowed, "serialNumber"));
	assert_int_equal(p->san_types, 1u << GEN_EMAIL);
	p = gp_profiles_get(ps, "department");
	assert_true(has_str(p->subj_required, "O"));
	assert_true(has_str(p->subj_required, "CN"));
	p = gp_profiles_get(ps, "device");
	assert_int_equal(p->key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT);
	p = gp_profiles_get(ps, "seal-signer");
	/* the mark only a seal maker has (seal-tool make and verify check it) */
	assert_int_equal(sk_ASN1_OBJECT_num(p->eku), 1);
	{
		ASN1_OBJECT *mark = OBJ_txt2obj(GP_OID_SEAL_MAKER, 1);
		assert_int_equal(OBJ_cmp(sk_ASN1_OBJECT_value(p->eku, 0), mark), 0);
		ASN1_OBJECT_free(mark);
	}
	assert_true(has_str(p->subj_required, "O"));
	p = gp_profiles_get(ps, "ocsp-signer");
	assert_true(has_oid(p->eku, NID_OCSP_sign));
	assert_int_equal(p->ocsp_nocheck, 1);
	p = gp_profiles_get(ps, "tsa-signer");
	assert_true(has_oid(p->eku, NID_time_stamp));
	assert_int_equal(sk_ASN1_OBJECT_num(p->eku), 1);
	assert_int_equal(p->eku_critical, 1);
	gp_profiles_free(ps);
	gp_profiles_free(NULL);
}

/* NULL arguments of the accessors are harmless. */
static void
test_accessors_null(void **state)
{
	(void)state;
	assert_int_equal(gp_profiles_load(NULL, NULL), GP_E_INVALID);
	assert_null(gp_profiles_get(NULL, "root-ca"));
	assert_int_equal(gp_profiles_count(NULL), 0);
	assert_null(gp_profiles_at(NULL, 0));
	assert_null(gp_profile_name(NULL));
	assert_int_equal(gp_profile_max_days(NULL), 0);
	assert_int_equal(gp_profile_is_ca(NULL), 0);
	assert_int_equal(gp_profile_approvals(NULL), 0);
}

/* A configuration overrides a built-in, inherits, and adds profiles. */
static void
test_config_profiles(void **state)
{
	gp_config *cfg = config_from(
	    "[profile.tls-server]\n"
	    "max_days = 90\n"
	    "key_types = ec-p256, ec-p384\n"
	    "[profile.city-device]\n"
	    "inherit = device\n"
	    "key_types = sm2,ec-p256\n"
	    "policies = 1.2.156.112559.1.1, 2.23.140.1.2.2\n"
	    "crl_url = http://pki.example.cn/crl/sub.crl\n"
	    "ocsp_url = http://ocsp.example.cn\n"
	    "ca_issuers_url = http://pki.example.cn/sub.cer\n"
	    "approvals = 3\n"
	    "subject_allowed = *\n"
	    "subject_forbidden = emailAddress\n"
	    "[profile.plain]\n"
	    "inherit = none\n"
	    "max_days = 30\n"
	    "[profile.web2]\n"
	    "inherit = tls-server\n"
	    "san_required = no\n"
	    "rsa_min_bits = 3072\n"
	    "[profile.code]\n"
	    "inherit = none\n"
	    "ext_key_usage = codeSigning, 1.3.6.1.4.1.311.10.3.13\n"
	    "ext_key_usage_critical = true\n"
	    "key_usage = digitalSignature\n"
	    "[profile.mid-ca]\n"
	    "inherit = sub-ca\n"
	    "path_len = 2\n"
	    "[profile.top-ca]\n"
	    "inherit = root-ca\n"
	    "path_len = none\n"
	    "[profile.ee-made-ca]\n"
	    "inherit = tls-client\n"
	    "ca = yes\n"
	    "key_usage = keyCertSign, cRLSign\n"
	    "[profile.triple-ca]\n"
	    "inherit = sub-ca\n"
	    "approvals = 3\n");
	gp_profiles *ps = NULL;
	const gp_profile *p;

	(void)state;
	assert_int_equal(gp_profiles_load(&ps, cfg), 0);
	assert_int_equal(gp_profiles_count(ps), 19);
	/* the override keeps the built-in's other values */
	p = gp_profiles_get(ps, "tls-server");
	assert_int_equal(p->max_days, 90);
	assert_int_equal(p->key_types, (1u << GP_KEY_EC_P256) | (1u << GP_KEY_EC_P384));
	assert_true(has_oid(p->eku, NID_server_auth));
	assert_int_equal(p->san_required, 1);
	/* inherit: device's values plus the section's */
	p = gp_profiles_get(ps, "city-device");
	assert_int_equal(p->max_days, 1825);
	assert_int_equal(p->key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT);
	assert_int_equal(p->key_types, (1u << GP_KEY_SM2) | (1u << GP_KEY_EC_P256));
	assert_int_equal(sk_ASN1_OBJECT_num(p->policies), 2);
	assert_string_equal(p->crl_dp, "http://pki.example.cn/crl/sub.crl");
	assert_string_equal(p->ocsp_url, "http://ocsp.example.cn");
	assert_string_equal(p->ca_issuers_url, "http://pki.example.cn/sub.cer");
	assert_int_equal(p->approvals, 3);
	assert_null(p->subj_allowed);
	assert_true(has_str(p->subj_forbidden, "emailAddress"));
	/* no base: the conservative defaults */
	p = gp_profiles_get(ps, "plain");
	assert_int_equal(p->max_days, 30);
	assert_int_equal(p->is_ca, 0);
	assert_int_equal(p->key_usage, KU_DIGITAL_SIGNATURE);
	assert_true(sk_ASN1_OBJECT_num(p->eku) <= 0);   /* NULL: none */
	assert_int_equal(p->san_types, 0);
	assert_int_equal(p->approvals, 1);
	assert_true(has_str(p->subj_required, "CN"));
	/* inheriting from an overridden built-in takes the override */
	p = gp_profiles_get(ps, "web2");
	assert_int_equal(p->max_days, 90);
	assert_int_equal(p->san_required, 0);
	assert_int_equal(p->rsa_min_bits, 3072);
	p = gp_profiles_get(ps, "code");
	assert_true(has_oid(p->eku, NID_code_sign));
	assert_int_equal(sk_ASN1_OBJECT_num(p->eku), 2);
	assert_int_equal(p->eku_critical, 1);
	assert_int_equal(gp_profiles_get(ps, "mid-ca")->path_len, 2);
	assert_int_equal(gp_profiles_get(ps, "mid-ca")->approvals, 2);
	assert_int_equal(gp_profiles_get(ps, "top-ca")->path_len, -1);
	/* a CA profile inherits dual control even from a one-approval base;
	 * more than the minimum stays */
	assert_int_equal(gp_profiles_get(ps, "ee-made-ca")->approvals, GP_PROFILE_CA_APPROVALS);
	assert_int_equal(gp_profile_approvals(gp_profiles_get(ps, "ee-made-ca")), 2);
	assert_int_equal(gp_profile_approvals(gp_profiles_get(ps, "triple-ca")), 3);
	gp_profiles_free(ps);
	gp_config_free(cfg);
}

/* Every bad profile section is GP_E_CONFIG naming file, line and key. */
static void
test_config_errors(void **state)
{
	(void)state;
	expect_config_error("[profile.x]\ninherit = none\nmax_days = 10\nmax_dayz = 3\n",
	    GP_E_CONFIG, "@:4: unknown key 'max_dayz' in [profile.x]");
	expect_config_error("[profile.x]\ninherit = none\n\nkey_types = rsa2048, rsa1024\n",
	    GP_E_CONFIG, "@:4: key_types in [profile.x]: unknown key type 'rsa1024'");
	expect_config_error("[profile.x]\ninherit = none\nkey_types = ,\n",
	    GP_E_CONFIG, "@:3: key_types in [profile.x]: empty item");
	expect_config_error("[profile.x]\ninherit = none\nkey_types =\n",
	    GP_E_CONFIG, "@:3: key_types in [profile.x]: at least one key type");
	expect_config_error("[profile.x]\ninherit = none\nrsa_min_bits = 1024\n",
	    GP_E_CONFIG, "@:3: rsa_min_bits in [profile.x]: 1024 is out of range");
	expect_config_error("[profile.x]\ninherit = none\nmax_days = 0\n",
	    GP_E_CONFIG, "@:3: max_days in [profile.x]: 0 is out of range");
	expect_config_error("[profile.x]\ninherit = none\nmax_days = ten\n",
	    GP_E_CONFIG, "@:3: max_days in [profile.x]: 'ten' is not a whole number");
	expect_config_error("[profile.x]\ninherit = none\nca = maybe\n",
	    GP_E_CONFIG, "@:3: ca in [profile.x]: 'maybe' is not a boolean");
	expect_config_error("[profile.x]\ninherit = sub-ca\npath_len = -1\n",
	    GP_E_CONFIG, "@:3: path_len in [profile.x]: -1 is out of range");
	expect_config_error("[profile.x]\ninherit = none\npath_len = 1\n",
	    GP_E_CONFIG, "path_len needs ca = yes");
	expect_config_error("[profile.x]\ninherit = none\nkey_usage = digitalSignature, sign\n",
	    GP_E_CONFIG, "@:3: key_usage in [profile.x]: unknown key usage 'sign'");
	expect_config_error("[profile.x]\ninherit = none\nkey_usage = keyCertSign\n",
	    GP_E_CONFIG, "keyCertSign needs ca = yes");
	expect_config_error("[profile.x]\ninherit = none\nca = yes\n",
	    GP_E_CONFIG, "a CA profile needs key_usage keyCertSign");
	expect_config_error("[profile.x]\ninherit = none\next_key_usage = serverAuth, anything\n",
	    GP_E_CONFIG, "@:3: ext_key_usage in [profile.x]: unknown extended key "
	    "usage 'anything'");
	expect_config_error("[profile.x]\ninherit = none\nsubject_required = CN, nonsense\n",
	    GP_E_CONFIG, "@:3: subject_required in [profile.x]: unknown subject "
	    "attribute 'nonsense'");
	expect_config_error("[profile.x]\ninherit = none\nsubject_forbidden = CN\n",
	    GP_E_CONFIG, "'CN' is both required and forbidden");
	expect_config_error("[profile.x]\ninherit = none\nsubject_allowed = O\n",
	    GP_E_CONFIG, "'CN' is required but not in subject_allowed");
	expect_config_error("[profile.x]\ninherit = none\nsan_types = DNS, X400\n",
	    GP_E_CONFIG, "@:3: san_types in [profile.x]: unknown subjectAltName "
	    "type 'X400'");
	expect_config_error("[profile.x]\ninherit = none\nsan_required = yes\n",
	    GP_E_CONFIG, "san_required but san_types is empty");
	expect_config_error("[profile.x]\ninherit = none\npolicies = 1.2.3, anyPolicy\n",
	    GP_E_CONFIG, "@:3: policies in [profile.x]: 'anyPolicy' is not a "
	    "dotted OID");
	expect_config_error("[profile.x]\ninherit = none\ncrl_url = ftp://x/y.crl\n",
	    GP_E_CONFIG, "@:3: crl_url in [profile.x]: 'ftp://x/y.crl' is not");
	expect_config_error("[profile.x]\ninherit = none\nocsp_url = http://a b\n",
	    GP_E_CONFIG, "@:3: ocsp_url in [profile.x]: the URL 'http://a b' "
	    "contains a space");
	expect_config_error("[profile.x]\ninherit = none\nocsp_nocheck = yes\n",
	    GP_E_CONFIG, "ocsp_nocheck needs ext_key_usage OCSPSigning");
	expect_config_error("[profile.x]\ninherit = none\napprovals = 0\n",
	    GP_E_CONFIG, "@:3: approvals in [profile.x]: 0 is out of range");
	/* dual control on CA profiles cannot be configured away (issue 21.1) */
	expect_config_error("[profile.root-ca]\napprovals = 1\n",
	    GP_E_CONFIG, "@:2: approvals in [profile.root-ca]: a CA profile (ca = yes) "
	    "needs at least 2 approvals (dual control); 1 cannot lower it");
	expect_config_error("[profile.x]\ninherit = tls-client\napprovals = 1\nca = yes\n"
	    "key_usage = keyCertSign\n",
	    GP_E_CONFIG, "@:3: approvals in [profile.x]: a CA profile");
	expect_config_error("[profile.x]\ninherit = nosuch\n",
	    GP_E_CONFIG, "@:2: inherit in [profile.x]: no profile called 'nosuch'");
	expect_config_error("[profile.a]\ninherit = b\n[profile.b]\ninherit = a\n",
	    GP_E_CONFIG, "inherits from itself");
	expect_config_error("[profile.x]\ninherit = x\n",
	    GP_E_CONFIG, "inherits from itself");
	expect_config_error("[profile.]\nmax_days = 3\n",
	    GP_E_CONFIG, "a profile name is 1 to 64");
	/* a misspelt built-in is refused with the name meant, not made a new
	 * profile of the defaults (issue 20.3) */
	expect_config_error("[crl]\n\n[profile.tls-sever]\nmax_days = 90\n",
	    GP_E_CONFIG, "@:3: [profile.tls-sever] is no built-in profile: did you "
	    "mean [profile.tls-server]?");
	expect_config_error("[profile.Person]\nmax_days = 90\n",
	    GP_E_CONFIG, "@:1: [profile.Person] is no built-in profile: did you "
	    "mean [profile.person]?");
	expect_config_error("[profile.archive]\nmax_days = 90\n",
	    GP_E_CONFIG, "@:1: [profile.archive] is no built-in profile; a new "
	    "profile says what it starts from with inherit = PROFILE");
	expect_config_error("[profile.none]\ninherit = none\n",
	    GP_E_CONFIG, "'none' is no profile name");
}

/* inherit = none: a new profile of the conservative defaults, said so */
static void
test_config_inherit_none(void **state)
{
	gp_config *cfg = config_from("[profile.archive]\ninherit = none\nmax_days = 30\n");
	gp_profiles *ps = NULL;
	const gp_profile *p;

	(void)state;
	assert_int_equal(gp_profiles_load(&ps, cfg), 0);
	assert_non_null(p = gp_profiles_get(ps, "archive"));
	assert_int_equal(p->max_days, 30);
	assert_int_equal(p->is_ca, 0);
	assert_int_equal(p->approvals, 1);
	assert_null(gp_profiles_get(ps, "none"));
	gp_profiles_free(ps);
	gp_config_free(cfg);
}

/* ---- written back as configuration (ca-tool config show) ---- */

struct text {
	char buf[8192];
	size_t len;
};

static int
append_kv(void *arg, const char *key, const char *value)
{
	struct text *t = arg;
	int n = snprintf(t->buf + t->len, sizeof(t->buf) - t->len, "%s = %s\n", key, value);

	assert_true(n > 0 && (size_t)n < sizeof(t->buf) - t->len);
	t->len += (size_t)n;
	return 0;
}

static int
stop_at_third(void *arg, const char *key, const char *value)
{
	(void)key;
	(void)value;
	return ++*(int *)arg == 3 ? GP_E_IO : 0;
}

static void
same_objs(const STACK_OF(ASN1_OBJECT) *a, const STACK_OF(ASN1_OBJECT) *b)
{
	int i, na = a != NULL ? sk_ASN1_OBJECT_num(a) : 0, nb = b != NULL ? sk_ASN1_OBJECT_num(b) : 0;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_int_equal(OBJ_cmp(sk_ASN1_OBJECT_value(a, i), sk_ASN1_OBJECT_value(b, i)), 0);
}

static void
same_strv(char *const *a, char *const *b)
{
	if (a == NULL || b == NULL) {
		assert_true(a == b);
		return;
	}
	for (; *a != NULL && *b != NULL; a++, b++)
		assert_string_equal(*a, *b);
	assert_true(*a == NULL && *b == NULL);
}

static void
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_true(a == b);
	else
		assert_string_equal(a, b);
}

/* Every profile, built in or configured, written as a section with
 * inherit = none, loads as the same profile, field by field. */
static void
test_settings_roundtrip(void **state)
{
	gp_config *cfg = config_from("[profile.tls-server]\nmax_days = 90\n"
	    "[profile.web]\ninherit = tls-server\npolicies = 1.2.156.1, 1.2.156.2\n"
	    "ext_key_usage = serverAuth, 1.3.6.1.4.1.311.20.2.2\nsubject_allowed = *\n"
	    "subject_forbidden = OU\ncrl_url = http://crl.example.cn/a.crl\n"
	    "acme = yes\nkey_types = ec-p256, sm2\n");
	gp_profiles *ps = NULL, *back = NULL;
	gp_config *cfg2;
	static char all[65536];
	size_t i, len = 0;
	int calls = 0;

	(void)state;
	assert_int_equal(gp_profiles_load(&ps, cfg), 0);
	for (i = 0; i < gp_profiles_count(ps); i++) {
		struct text t = { .len = 0 };
		int n;

		assert_int_equal(gp_profile_settings(gp_profiles_at(ps, i), append_kv, &t), 0);
		n = snprintf(all + len, sizeof(all) - len, "[profile.%s]\ninherit = none\n%s",
		    gp_profile_name(gp_profiles_at(ps, i)), t.buf);
		assert_true(n > 0 && (size_t)n < sizeof(all) - len);
		len += (size_t)n;
	}
	cfg2 = config_from(all);
	assert_int_equal(gp_profiles_load(&back, cfg2), 0);
	assert_int_equal(gp_profiles_count(back), gp_profiles_count(ps));
	for (i = 0; i < gp_profiles_count(ps); i++) {
		const gp_profile *a = gp_profiles_at(ps, i);
		const gp_profile *b = gp_profiles_get(back, gp_profile_name(a));

		assert_non_null(b);
		assert_int_equal(a->key_types, b->key_types);
		assert_int_equal(a->rsa_min_bits, b->rsa_min_bits);
		assert_int_equal(a->max_days, b->max_days);
		assert_int_equal(a->is_ca, b->is_ca);
		assert_int_equal(a->path_len, b->path_len);
		assert_int_equal(a->key_usage, b->key_usage);
		same_objs(a->eku, b->eku);
		assert_int_equal(a->eku_critical, b->eku_critical);
		same_strv(a->subj_required, b->subj_required);
		same_strv(a->subj_allowed, b->subj_allowed);
		same_strv(a->subj_forbidden, b->subj_forbidden);
		assert_int_equal(a->san_types, b->san_types);
		assert_int_equal(a->san_required, b->san_required);
		same_objs(a->policies, b->policies);
		same_str(a->crl_dp, b->crl_dp);
		same_str(a->ocsp_url, b->ocsp_url);
		same_str(a->ca_issuers_url, b->ca_issuers_url);
		assert_int_equal(a->ocsp_nocheck, b->ocsp_nocheck);
		assert_int_equal(a->approvals, b->approvals);
		assert_int_equal(a->acme, b->acme);
		assert_int_equal(a->acme_officer, b->acme_officer);
	}
	/* the values the test wrote, as written back */
	assert_non_null(strstr(all, "[profile.web]\ninherit = none\nkey_types = ec-p256, sm2\n"));
	assert_non_null(strstr(all, "ext_key_usage = serverAuth, 1.3.6.1.4.1.311.20.2.2\n"));
	assert_non_null(strstr(all, "subject_allowed = *\nsubject_forbidden = OU\n"));
	/* where each comes from */
	assert_string_equal(gp_profile_source(gp_profiles_get(ps, "root-ca")), "built-in");
	assert_non_null(strstr(gp_profile_source(gp_profiles_get(ps, "web")), ", inherits tls-server"));
	assert_non_null(strstr(gp_profile_source(gp_profiles_get(ps, "tls-server")), ", over the built-in"));
	/* a callback's failure stops the walk and is returned */
	assert_int_equal(gp_profile_settings(gp_profiles_get(ps, "web"), stop_at_third, &calls), GP_E_IO);
	assert_int_equal(calls, 3);
	assert_int_equal(gp_profile_settings(NULL, append_kv, NULL), GP_E_INVALID);
	assert_null(gp_profile_source(NULL));
	gp_profiles_free(back);
	gp_profiles_free(ps);
	gp_config_free(cfg2);
	gp_config_free(cfg);
}

/* ---- checks ---- */

static const char *const cn_only[] = { "CN", "www.example.cn", NULL };
static const char *const person_subj[] = { "C", "CN", "CN", "Zhang San",
	"serialNumber", "110101199003077777", "GN", "San", NULL };

/* Keys: RSA < 2048 and explicit EC parameters are always refused; the
 * profile's types and minimum size apply; every supported type classifies. */
static void
test_check_keys(void **state)
{
	static const char *const dept[] = { "O", "City Hall", "CN", "Archive", NULL };
	gp_profiles *ps = builtins();
	const gp_profile *person = gp_profiles_get(ps, "person");
	const gp_profile *root = gp_profiles_get(ps, "root-ca");
	gp_profile *mine = NULL;

	(void)state;
	check(person, rsa1024, person_subj + 2, NULL, GP_E_POLICY,
	    "profile person: key type rsa1024 not allowed (RSA keys need at "
	    "least 2048 bits)");
	check(person, explicit_ec, person_subj + 2, NULL, GP_E_POLICY,
	    "profile person: key type not allowed (explicit EC parameters)");
	check(person, ed448, person_subj + 2, NULL, GP_E_POLICY,
	    "profile person: key type not allowed (ED448 keys are not supported)");
	check(root, rsa2048, cn_only, NULL, 0, NULL);
	check(root, rsa3072, cn_only, NULL, 0, NULL);
	check(root, p256, cn_only, NULL, 0, NULL);
	check(root, p384, cn_only, NULL, 0, NULL);
	check(root, ed25519, cn_only, NULL, 0, NULL);
	check(root, sm2, cn_only, NULL, 0, NULL);
	check(gp_profiles_get(ps, "department"), sm2, dept, NULL, 0, NULL);

	/* a profile restricted to some types, and a higher RSA minimum */
	mine = calloc(1, sizeof(*mine));
	assert_non_null(mine);
	*mine = *person;
	mine->key_types = (1u << GP_KEY_EC_P256) | (1u << GP_KEY_RSA2048);
	check(mine, ed25519, person_subj + 2, NULL, GP_E_POLICY,
	    "profile person: key type ed25519 not allowed (allowed: rsa2048, "
	    "ec-p256)");
	check(mine, p384, person_subj + 2, NULL, GP_E_POLICY, NULL);
	check(mine, rsa3072, person_subj + 2, NULL, GP_E_POLICY,
	    "profile person: key type rsa3072 not allowed (allowed: rsa2048, "
	    "ec-p256)");
	check(mine, p256, person_subj + 2, NULL, 0, NULL);
	mine->key_types = 1u << GP_KEY_RSA2048 | 1u << GP_KEY_RSA3072;
	mine->rsa_min_bits = 3072;
	check(mine, rsa2048, person_subj + 2, NULL, GP_E_POLICY,
	    "profile person: key type rsa2048 not allowed (this profile needs "
	    "RSA keys of at least 3072 bits)");
	check(mine, rsa3072, person_subj + 2, NULL, 0, NULL);
	free(mine);

	assert_int_equal(gp_profile_check(NULL, rsa2048, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_profile_check(person, NULL, NULL, NULL), GP_E_INVALID);
	gp_profiles_free(ps);
}

/* Subjects: required present, forbidden absent, all within allowed. */
static void
test_check_subject(void **state)
{
	static const char *const with_email[] = { "CN", "www.example.cn",
		"emailAddress", "a@example.cn", NULL };
	static const char *const no_cn[] = { "O", "City Hall", NULL };
	static const char *const empty_cn[] = { "CN", "", NULL };
	static const char *const odd_oid[] = { "CN", "x", "1.2.3.4", "y", NULL };
	static const char *const dept_no_o[] = { "CN", "Archive", NULL };
	gp_profiles *ps = builtins();
	const gp_profile *tls = gp_profiles_get(ps, "tls-server");
	const gp_profile *person = gp_profiles_get(ps, "person");
	gp_profile *mine;

	(void)state;
	check(tls, p256, cn_only, "DNS:www.example.cn", 0, NULL);
	check(tls, p256, with_email, "DNS:www.example.cn", GP_E_POLICY,
	    "profile tls-server: subject attribute 'emailAddress' is not allowed");
	check(tls, p256, odd_oid, "DNS:www.example.cn", GP_E_POLICY,
	    "profile tls-server: subject attribute '1.2.3.4' is not allowed");
	check(person, p256, no_cn, NULL, GP_E_POLICY,
	    "profile person: subject attribute 'CN' is required");
	check(person, p256, empty_cn, NULL, GP_E_POLICY,
	    "profile person: subject attribute 'CN' is empty");
	check(person, p256, person_subj + 2, "email:zhang@example.cn", 0, NULL);
	check(gp_profiles_get(ps, "department"), p256, dept_no_o, NULL,
	    GP_E_POLICY, "profile department: subject attribute 'O' is required");

	mine = calloc(1, sizeof(*mine));
	assert_non_null(mine);
	*mine = *person;
	mine->subj_allowed = NULL;   /* any not forbidden */
	{
		char *forbid[] = { "emailAddress", NULL };

		mine->subj_forbidden = forbid;
		check(mine, p256, odd_oid, NULL, 0, NULL);
		check(mine, p256, with_email, NULL, GP_E_POLICY,
		    "profile person: subject attribute 'emailAddress' is forbidden");
	}
	free(mine);
	gp_profiles_free(ps);
}

/* SANs: only the profile's types, required ones present, well-formed. */
/* ---- name rules (allowed_dns, allowed_ip, allowed_email, cn_in_san) ---- */

static gp_profiles *
rules_profiles(void)
{
	gp_config *cfg = config_from(
	    "[profile.web]\ninherit = tls-server\n"
	    "allowed_dns = City.GOV, .svc.example\n"
	    "allowed_ip = 10.1.0.0/16, 2001:db8::/32, 192.0.2.7\n"
	    "[profile.mail]\ninherit = person\n"
	    "allowed_email = clerk@city.gov, hall.city.gov, .dept.city.gov\n"
	    "[profile.any]\ninherit = web\nallowed_dns =\nallowed_ip =\ncn_in_san = no\n");
	gp_profiles *ps = NULL;

	assert_int_equal(gp_profiles_load(&ps, cfg), 0);
	gp_config_free(cfg);
	return ps;
}

/* RFC 5280 §4.2.1.10 matching: "city.gov" is city.gov and below on a label
 * boundary, ".svc.example" strictly below; addresses by prefix; mailboxes,
 * hosts and .domains for email. */
static void
test_name_rules(void **state)
{
	gp_profiles *ps = rules_profiles();
	const gp_profile *web = gp_profiles_get(ps, "web");
	const gp_profile *mail = gp_profiles_get(ps, "mail");
	const gp_profile *any = gp_profiles_get(ps, "any");
	static const char *const cn_city[] = { "CN", "www.city.gov", NULL };
	static const char *const cn_ip[] = { "CN", "10.1.2.3", NULL };
	static const char *const clerk[] = { "CN", "Clerk", "emailAddress",
		"clerk@city.gov", NULL };
	static const char *const rogue[] = { "CN", "Clerk", "emailAddress",
		"x@evil.example", NULL };
	static const struct {
		int type;
		const char *name;
		int ok;
	} dns[] = {
		{ GEN_DNS, "city.gov", 1 }, { GEN_DNS, "www.city.gov", 1 },
		{ GEN_DNS, "A.B.CITY.gov", 1 }, { GEN_DNS, "*.city.gov", 1 },
		{ GEN_DNS, "evilcity.gov", 0 }, { GEN_DNS, "city.gov.evil", 0 },
		{ GEN_DNS, "gov", 0 }, { GEN_DNS, "svc.example", 0 },
		{ GEN_DNS, "a.svc.example", 1 }, { GEN_DNS, "asvc.example", 0 },
		{ GEN_IPADD, "10.1.255.255", 1 }, { GEN_IPADD, "10.2.0.1", 0 },
		{ GEN_IPADD, "192.0.2.7", 1 }, { GEN_IPADD, "192.0.2.8", 0 },
		{ GEN_IPADD, "2001:db8:ffff::1", 1 }, { GEN_IPADD, "2001:db9::1", 0 },
		/* an IPv4 rule never matches an IPv6 address, mapped or not */
		{ GEN_IPADD, "::ffff:10.1.0.1", 0 }, { GEN_IPADD, "not-an-ip", 0 },
		{ GEN_EMAIL, "a@city.gov", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		int r = gp_profile_name_allowed(web, dns[i].type, dns[i].name);

		if ((r == 0) != dns[i].ok)
			fail_msg("web: %s: rc %d, want %s (%s)", dns[i].name, r,
			    dns[i].ok ? "allowed" : "refused", gp_error_last());
	}
	assert_int_equal(gp_profile_name_allowed(web, GEN_DNS, "www.evil.example"), GP_E_POLICY);
	assert_string_equal(gp_error_last(), "profile web: DNS name 'www.evil.example' "
	    "is outside allowed_dns");
	assert_int_equal(gp_profile_name_allowed(web, GEN_IPADD, "10.9.0.1"), GP_E_POLICY);
	assert_string_equal(gp_error_last(), "profile web: IP address 10.9.0.1 is "
	    "outside allowed_ip");
	/* an empty rule in the child removes the inherited one */
	assert_int_equal(gp_profile_name_allowed(any, GEN_DNS, "www.evil.example"), 0);
	assert_int_equal(gp_profile_name_allowed(any, GEN_IPADD, "10.9.0.1"), 0);

	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "clerk@city.gov"), 0);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "clerk@CITY.gov"), 0);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "Clerk@city.gov"), GP_E_POLICY);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "other@city.gov"), GP_E_POLICY);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "any@hall.city.gov"), 0);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "a@x.hall.city.gov"), GP_E_POLICY);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "a@x.dept.city.gov"), 0);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "a@dept.city.gov"), GP_E_POLICY);
	assert_int_equal(gp_profile_name_allowed(mail, GEN_EMAIL, "nobody"), GP_E_POLICY);

	/* whole requests: SANs, the emailAddress attribute, cn_in_san */
	check(web, p256, cn_city, "DNS:www.city.gov, IP:10.1.0.9", 0, NULL);
	check(web, p256, cn_city, "DNS:www.city.gov, DNS:www.evil.example", GP_E_POLICY,
	    "profile web: DNS name 'www.evil.example' is outside allowed_dns");
	check(web, p256, cn_city, "DNS:other.city.gov", GP_E_POLICY,
	    "profile web: CN 'www.city.gov' is not one of the DNS or IP "
	    "subjectAltNames (cn_in_san; CA/B BR 7.1.4.3)");
	check(web, p256, cn_city, "DNS:WWW.City.Gov", 0, NULL);
	check(web, p256, cn_ip, "IP:10.1.2.3", 0, NULL);
	check(web, p256, cn_ip, "DNS:www.city.gov", GP_E_POLICY, NULL);
	check(any, p256, cn_city, "DNS:other.example", 0, NULL);
	check(mail, p256, clerk, "email:clerk@city.gov", 0, NULL);
	check(mail, p256, rogue, NULL, GP_E_POLICY,
	    "profile mail: email address 'x@evil.example' is outside allowed_email");
	check(mail, p256, clerk, "email:x@evil.example", GP_E_POLICY, NULL);
	gp_profiles_free(ps);

	/* bad rules are configuration errors naming the key */
	expect_config_error("[profile.x]\ninherit = tls-server\nallowed_dns = bad name\n",
	    GP_E_CONFIG, "allowed_dns in [profile.x]: 'bad name' is not a DNS name");
	expect_config_error("[profile.x]\ninherit = tls-server\nallowed_dns = *.city.gov\n",
	    GP_E_CONFIG, "is not a DNS name");
	expect_config_error("[profile.x]\ninherit = tls-server\nallowed_ip = 10.1.0.1/16\n",
	    GP_E_CONFIG, "'10.1.0.1/16' is not an address or address/prefix");
	expect_config_error("[profile.x]\ninherit = tls-server\nallowed_ip = 10.0.0.0/33\n",
	    GP_E_CONFIG, "allowed_ip");
	expect_config_error("[profile.x]\ninherit = tls-server\nallowed_ip = 10.0.0.0/\n",
	    GP_E_CONFIG, "allowed_ip");
	expect_config_error("[profile.x]\ninherit = tls-server\nallowed_ip = city.gov\n",
	    GP_E_CONFIG, "allowed_ip");
	expect_config_error("[profile.x]\ninherit = person\nallowed_email = @city.gov\n",
	    GP_E_CONFIG, "is not a mailbox, a host or a .domain");
	expect_config_error("[profile.x]\ninherit = person\nallowed_email = a@,b\n",
	    GP_E_CONFIG, "allowed_email");
	expect_config_error("[profile.x]\ninherit = tls-server\ncn_in_san = maybe\n",
	    GP_E_CONFIG, "cn_in_san");
}

static void
test_check_sans(void **state)
{
	gp_profiles *ps = builtins();
	const gp_profile *tls = gp_profiles_get(ps, "tls-server");
	const gp_profile *person = gp_profiles_get(ps, "person");
	const gp_profile *seal = gp_profiles_get(ps, "seal-signer");
	static const char *const seal_subj[] = { "O", "City", "CN", "Seal", NULL };
	GENERAL_NAMES *g;
	GENERAL_NAME *gn;
	ASN1_IA5STRING *s;
	X509_NAME *empty;

	(void)state;
	check(tls, p256, cn_only, NULL, GP_E_POLICY,
	    "profile tls-server: at least one subjectAltName is required");
	check(tls, p256, cn_only, "DNS:www.example.cn, IP:10.0.0.1, IP:2001:db8::1", 0, NULL);
	check(tls, p256, cn_only, "DNS:www.example.cn, email:a@example.cn",
	    GP_E_POLICY,
	    "profile tls-server: subjectAltName type 'email' is not allowed");
	check(tls, p256, cn_only, "URI:https://example.cn", GP_E_POLICY,
	    "profile tls-server: subjectAltName type 'URI' is not allowed");
	check(person, p256, person_subj + 2, "DNS:example.cn", GP_E_POLICY,
	    "profile person: subjectAltName type 'DNS' is not allowed");
	check(seal, p256, seal_subj, "email:a@example.cn", GP_E_POLICY,
	    "profile seal-signer: subjectAltName type 'email' is not allowed");

	/* a malformed DNS name from a CSR (built directly, not parsed) */
	assert_non_null(g = GENERAL_NAMES_new());
	assert_non_null(gn = GENERAL_NAME_new());
	assert_non_null(s = ASN1_IA5STRING_new());
	assert_int_equal(ASN1_STRING_set(s, "bad name.example", -1), 1);
	GENERAL_NAME_set0_value(gn, GEN_DNS, s);
	assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
	empty = name_of(cn_only);
	assert_int_equal(gp_profile_check(tls, p256, empty, g), GP_E_POLICY);
	assert_string_equal(gp_error_last(),
	    "profile tls-server: subjectAltName 1 (DNS) is malformed");
	X509_NAME_free(empty);
	GENERAL_NAMES_free(g);

	/* an empty subject needs a SAN (RFC 5280 4.1.2.6) */
	{
		gp_profile *mine = calloc(1, sizeof(*mine));

		assert_non_null(mine);
		*mine = *tls;
		mine->subj_required = NULL;
		mine->san_required = 0;
		check(mine, p256, NULL, NULL, GP_E_POLICY, "profile tls-server: the "
		    "subject is empty and there is no subjectAltName (RFC 5280 "
		    "4.1.2.6)");
		check(mine, p256, NULL, "DNS:a.example.cn", 0, NULL);
		free(mine);
	}
	gp_profiles_free(ps);
}

/* ---- extensions ---- */

/* A certificate for key with subject CN=cn (NULL: empty subject), the
 * extensions of p, signed by issuer_key. */
static X509 *
make_cert(const gp_profile *p, EVP_PKEY *key, const char *cn, X509 *issuer,
    EVP_PKEY *issuer_key, const char *sans, long serial)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_NAME_new();
	GENERAL_NAMES *g = sans_of(sans);
	const EVP_MD *md;

	assert_non_null(c);
	assert_non_null(n);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(c, n), 1);
	assert_int_equal(X509_set_issuer_name(c, issuer ?
	    X509_get_subject_name(issuer) : n), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c), serial), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(c), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(c), 86400));
	assert_int_equal(X509_set_pubkey(c, key), 1);
	assert_int_equal(gp_profile_apply(p, c, issuer ? issuer : c, g), 0);
	md = EVP_PKEY_is_a(issuer_key, "ED25519") ? NULL : EVP_sha256();
	assert_true(X509_sign(c, issuer_key, md) > 0);
	X509_NAME_free(n);
	GENERAL_NAMES_free(g);
	return c;
}

static X509_EXTENSION *
ext(const X509 *c, int nid)
{
	int i = X509_get_ext_by_NID(c, nid, -1);

	return i < 0 ? NULL : X509_get_ext(c, i);
}

/* The root, sub-CA and leaf chain: critical flags, contents, SKI/AKI link,
 * and OpenSSL verifies the chain for TLS server use. */
static void
test_apply_chain(void **state)
{
	gp_profiles *ps = builtins();
	X509 *root, *sub, *leaf;
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	EXTENDED_KEY_USAGE *eku;
	ASN1_OCTET_STRING *rski, *sski;
	AUTHORITY_KEYID *akid;
	GENERAL_NAMES *san;
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	STACK_OF(X509) *untrusted;
	int crit;

	(void)state;
	root = make_cert(gp_profiles_get(ps, "root-ca"), p384, "Root", NULL, p384,
	    NULL, 1);
	sub = make_cert(gp_profiles_get(ps, "sub-ca"), p256, "Sub", root, p384,
	    NULL, 2);
	leaf = make_cert(gp_profiles_get(ps, "tls-server"), rsa2048,
	    "www.example.cn", sub, p256, "DNS:www.example.cn, IP:10.0.0.1", 3);
	assert_int_equal(X509_get_version(leaf), X509_VERSION_3);

	/* root: CA:TRUE, no pathlen, critical; KU keyCertSign|cRLSign critical */
	bc = X509_get_ext_d2i(root, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_true(bc->ca);
	assert_null(bc->pathlen);
	BASIC_CONSTRAINTS_free(bc);
	ku = X509_get_ext_d2i(root, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_int_equal(crit, 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 5), 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 6), 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0), 0);
	ASN1_BIT_STRING_free(ku);
	assert_null(ext(root, NID_ext_key_usage));
	/* root AKI is its own SKI */
	rski = X509_get_ext_d2i(root, NID_subject_key_identifier, &crit, NULL);
	assert_non_null(rski);
	assert_int_equal(crit, 0);
	assert_int_equal(rski->length, 20);
	akid = X509_get_ext_d2i(root, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(akid);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, rski), 0);
	AUTHORITY_KEYID_free(akid);

	/* sub-CA: pathlen 0, AKI = root SKI */
	bc = X509_get_ext_d2i(sub, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_non_null(bc->pathlen);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	akid = X509_get_ext_d2i(sub, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, rski), 0);
	AUTHORITY_KEYID_free(akid);
	sski = X509_get_ext_d2i(sub, NID_subject_key_identifier, &crit, NULL);
	assert_non_null(sski);
	assert_int_not_equal(ASN1_OCTET_STRING_cmp(sski, rski), 0);

	/* leaf: CA:FALSE critical, KU digitalSignature|keyEncipherment (RSA),
	 * EKU serverAuth not critical, SAN not critical (subject not empty) */
	bc = X509_get_ext_d2i(leaf, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	ku = X509_get_ext_d2i(leaf, NID_key_usage, &crit, NULL);
	assert_non_null(ku);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0), 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 2), 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 5), 0);
	ASN1_BIT_STRING_free(ku);
	eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, &crit, NULL);
	assert_non_null(eku);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_server_auth);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	san = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
	assert_non_null(san);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_GENERAL_NAME_num(san), 2);
	GENERAL_NAMES_free(san);
	akid = X509_get_ext_d2i(leaf, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, sski), 0);
	AUTHORITY_KEYID_free(akid);
	assert_null(ext(leaf, NID_id_pkix_OCSP_noCheck));
	assert_null(ext(leaf, NID_certificate_policies));
	assert_null(ext(leaf, NID_crl_distribution_points));
	assert_null(ext(leaf, NID_info_access));

	/* OpenSSL accepts the chain for a TLS server */
	assert_non_null(store = X509_STORE_new());
	assert_int_equal(X509_STORE_add_cert(store, root), 1);
	assert_non_null(untrusted = sk_X509_new_null());
	assert_true(sk_X509_push(untrusted, sub) > 0);
	assert_non_null(ctx = X509_STORE_CTX_new());
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER), 1);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("verify: %s", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);

	ASN1_OCTET_STRING_free(rski);
	ASN1_OCTET_STRING_free(sski);
	X509_free(root);
	X509_free(sub);
	X509_free(leaf);
	gp_profiles_free(ps);
}

/* Key usage follows the key: no keyEncipherment for EC (RFC 8813), no
 * keyAgreement for RSA and Ed25519 (RFC 8410); SM2, which encrypts
 * (GM/T 0003.4), keeps keyEncipherment and dataEncipherment. */
static void
test_apply_ku_by_key(void **state)
{
	gp_profiles *ps = builtins();
	const gp_profile *tls = gp_profiles_get(ps, "tls-server");
	const gp_profile *dev = gp_profiles_get(ps, "device");
	X509 *c;
	ASN1_BIT_STRING *ku;

	(void)state;
	c = make_cert(tls, p256, "ec.example.cn", NULL, p256, "DNS:ec.example.cn", 5);
	ku = X509_get_ext_d2i(c, NID_key_usage, NULL, NULL);
	assert_non_null(ku);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0), 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 2), 0);
	ASN1_BIT_STRING_free(ku);
	X509_free(c);
	c = make_cert(tls, sm2, "sm2.example.cn", NULL, p256, "DNS:sm2.example.cn", 9);
	ku = X509_get_ext_d2i(c, NID_key_usage, NULL, NULL);
	assert_non_null(ku);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 2), 1);
	ASN1_BIT_STRING_free(ku);
	X509_free(c);
	c = make_cert(dev, sm2, "dev1", NULL, p256, NULL, 6);
	ku = X509_get_ext_d2i(c, NID_key_usage, NULL, NULL);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 4), 1);
	ASN1_BIT_STRING_free(ku);
	X509_free(c);
	c = make_cert(dev, rsa2048, "dev2", NULL, p256, NULL, 7);
	ku = X509_get_ext_d2i(c, NID_key_usage, NULL, NULL);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0), 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 4), 0);
	ASN1_BIT_STRING_free(ku);
	X509_free(c);
	c = make_cert(dev, ed25519, "dev3", NULL, ed25519, NULL, 8);
	ku = X509_get_ext_d2i(c, NID_key_usage, NULL, NULL);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 0), 1);
	assert_int_equal(ASN1_BIT_STRING_get_bit(ku, 4), 0);
	ASN1_BIT_STRING_free(ku);
	X509_free(c);
	gp_profiles_free(ps);
}

/* ocsp-signer gets OCSPSigning and nocheck (NULL value); tsa-signer a
 * critical timeStamping EKU; an empty subject makes the SAN critical. */
static void
test_apply_signers(void **state)
{
	gp_profiles *ps = builtins();
	X509 *c;
	EXTENDED_KEY_USAGE *eku;
	X509_EXTENSION *x;
	const ASN1_OCTET_STRING *v;
	int crit;

	(void)state;
	c = make_cert(gp_profiles_get(ps, "ocsp-signer"), p256, "OCSP", NULL, p256,
	    NULL, 9);
	eku = X509_get_ext_d2i(c, NID_ext_key_usage, &crit, NULL);
	assert_non_null(eku);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_OCSP_sign);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	assert_non_null(x = ext(c, NID_id_pkix_OCSP_noCheck));
	assert_int_equal(X509_EXTENSION_get_critical(x), 0);
	v = X509_EXTENSION_get_data(x);
	assert_int_equal(v->length, 2);
	assert_int_equal(v->data[0], 0x05);   /* NULL */
	assert_int_equal(v->data[1], 0x00);
	assert_true(X509_get_extension_flags(c) & EXFLAG_XKUSAGE);
	X509_free(c);

	c = make_cert(gp_profiles_get(ps, "tsa-signer"), p256, "TSA", NULL, p256,
	    NULL, 10);
	eku = X509_get_ext_d2i(c, NID_ext_key_usage, &crit, NULL);
	assert_non_null(eku);
	assert_int_equal(crit, 1);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
	assert_int_equal(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_time_stamp);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	X509_free(c);

	c = make_cert(gp_profiles_get(ps, "device"), p256, NULL, NULL, p256,
	    "URI:urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", 11);
	assert_non_null(x = ext(c, NID_subject_alt_name));
	assert_int_equal(X509_EXTENSION_get_critical(x), 1);
	X509_free(c);
	gp_profiles_free(ps);
}

/* A configured profile adds policies, CRL DP and AIA; the issuer's SKI
 * (not a recomputed hash) goes into the AKI. */
static void
test_apply_configured(void **state)
{
	gp_config *cfg = config_from(
	    "[profile.city]\n"
	    "inherit = person\n"
	    "policies = 1.2.156.112559.1.1\n"
	    "crl_url = http://pki.example.cn/sub.crl\n"
	    "ocsp_url = http://ocsp.example.cn\n"
	    "ca_issuers_url = http://pki.example.cn/sub.cer\n");
	gp_profiles *ps = NULL;
	X509 *issuer, *c;
	CERTIFICATEPOLICIES *pols;
	CRL_DIST_POINTS *dps;
	AUTHORITY_INFO_ACCESS *aia;
	AUTHORITY_KEYID *akid;
	ASN1_OCTET_STRING *fake;
	ACCESS_DESCRIPTION *ad;
	DIST_POINT *dp;
	GENERAL_NAME *gn;
	char oid[64];
	unsigned char id[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(gp_profiles_load(&ps, cfg), 0);
	/* an issuer whose SKI is not the hash of its key */
	assert_non_null(issuer = X509_new());
	assert_int_equal(X509_set_pubkey(issuer, p256), 1);
	assert_non_null(fake = ASN1_OCTET_STRING_new());
	assert_int_equal(ASN1_OCTET_STRING_set(fake, id, sizeof(id)), 1);
	assert_int_equal(X509_add1_ext_i2d(issuer, NID_subject_key_identifier, fake,
	    0, X509V3_ADD_REPLACE), 1);
	c = make_cert(gp_profiles_get(ps, "city"), ed25519, "Li Si", issuer, p256,
	    "email:lisi@example.cn", 12);
	akid = X509_get_ext_d2i(c, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid, fake), 0);
	AUTHORITY_KEYID_free(akid);

	pols = X509_get_ext_d2i(c, NID_certificate_policies, NULL, NULL);
	assert_non_null(pols);
	assert_int_equal(sk_POLICYINFO_num(pols), 1);
	OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(pols, 0)->policyid, 1);
	assert_string_equal(oid, "1.2.156.112559.1.1");
	CERTIFICATEPOLICIES_free(pols);

	dps = X509_get_ext_d2i(c, NID_crl_distribution_points, NULL, NULL);
	assert_non_null(dps);
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	dp = sk_DIST_POINT_value(dps, 0);
	assert_int_equal(dp->distpoint->type, 0);
	gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
	assert_int_equal(gn->type, GEN_URI);
	assert_memory_equal(gn->d.uniformResourceIdentifier->data,
	    "http://pki.example.cn/sub.crl", 29);
	CRL_DIST_POINTS_free(dps);

	aia = X509_get_ext_d2i(c, NID_info_access, NULL, NULL);
	assert_non_null(aia);
	assert_int_equal(sk_ACCESS_DESCRIPTION_num(aia), 2);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_OCSP);
	assert_memory_equal(ad->location->d.uniformResourceIdentifier->data,
	    "http://ocsp.example.cn", 22);
	ad = sk_ACCESS_DESCRIPTION_value(aia, 1);
	assert_int_equal(OBJ_obj2nid(ad->method), NID_ad_ca_issuers);
	AUTHORITY_INFO_ACCESS_free(aia);

	ASN1_OCTET_STRING_free(fake);
	X509_free(issuer);
	X509_free(c);
	gp_profiles_free(ps);
	gp_config_free(cfg);
}

/* Bad arguments: NULLs, no public key yet. */
static void
test_apply_bad(void **state)
{
	gp_profiles *ps = builtins();
	const gp_profile *p = gp_profiles_get(ps, "tls-server");
	X509 *c = X509_new();

	(void)state;
	assert_non_null(c);
	assert_int_equal(gp_profile_apply(NULL, c, c, NULL), GP_E_INVALID);
	assert_int_equal(gp_profile_apply(p, NULL, c, NULL), GP_E_INVALID);
	assert_int_equal(gp_profile_apply(p, c, NULL, NULL), GP_E_INVALID);
	assert_int_equal(gp_profile_apply(p, c, c, NULL), GP_E_INVALID);
	assert_non_null(strstr(gp_error_last(), "no public key"));
	X509_free(c);
	gp_profiles_free(ps);
}

/* ---- SAN strings ---- */

/* Parse and print round trip, including IPv6, case and spaces. */
static void
test_sans_roundtrip(void **state)
{
	GENERAL_NAMES *g = NULL, *g2 = NULL;
	char *s = NULL, *s2 = NULL;
	int i;

	(void)state;
	assert_int_equal(gp_sans_parse(&g, "  DNS:a.example , IP:10.0.0.1,"
	    "IP: 2001:DB8:0:0::1 ,email:x@y.cn, uri:https://x.example/p?q=1,"
	    "DNS:*.example.cn"), 0);
	assert_int_equal(sk_GENERAL_NAME_num(g), 6);
	assert_int_equal(sk_GENERAL_NAME_value(g, 0)->type, GEN_DNS);
	assert_int_equal(sk_GENERAL_NAME_value(g, 1)->type, GEN_IPADD);
	assert_int_equal(sk_GENERAL_NAME_value(g, 2)->d.ip->length, 16);
	assert_int_equal(sk_GENERAL_NAME_value(g, 3)->type, GEN_EMAIL);
	assert_int_equal(sk_GENERAL_NAME_value(g, 4)->type, GEN_URI);
	assert_int_equal(gp_sans_to_string(&s, g), 0);
	assert_string_equal(s, "DNS:a.example, IP:10.0.0.1, IP:2001:db8::1, "
	    "email:x@y.cn, URI:https://x.example/p?q=1, DNS:*.example.cn");
	assert_int_equal(gp_sans_parse(&g2, s), 0);
	assert_int_equal(sk_GENERAL_NAME_num(g2), 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(GENERAL_NAME_cmp(sk_GENERAL_NAME_value(g, i),
		    sk_GENERAL_NAME_value(g2, i)), 0);
	assert_int_equal(gp_sans_to_string(&s2, g2), 0);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	GENERAL_NAMES_free(g);
	GENERAL_NAMES_free(g2);

	/* NULL gives NULL; an empty stack gives "" */
	s = (char *)1;
	assert_int_equal(gp_sans_to_string(&s, NULL), 0);
	assert_null(s);
	assert_non_null(g = GENERAL_NAMES_new());
	assert_int_equal(gp_sans_to_string(&s, g), 0);
	assert_string_equal(s, "");
	free(s);
	GENERAL_NAMES_free(g);
	assert_int_equal(gp_sans_to_string(NULL, NULL), GP_E_INVALID);
}

/* Bad SAN strings are GP_E_PARSE naming the element. */
static void
test_sans_bad(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "", "empty list" },
		{ "   ", "empty list" },
		{ "DNS:a.example,", "empty element" },
		{ "DNS:a.example,,DNS:b", "empty element" },
		{ "a.example", "subjectAltName 1 'a.example': expected TYPE:value" },
		{ "DNS:", "subjectAltName 1 'DNS:': empty value" },
		{ "DNS:ok.example, IP:  ", "subjectAltName 2 'IP:': empty value" },
		{ "RID:1.2.3", "subjectAltName 1 'RID:1.2.3': unknown type" },
		{ "DNS:a b.example", "subjectAltName 1 'DNS:a b.example': not a valid "
		    "DNS name" },
		{ "DNS:a_b.example", "not a valid DNS name" },
		{ "DNS:-a.example", "not a valid DNS name" },
		{ "DNS:a-.example", "not a valid DNS name" },
		{ "DNS:a..example", "not a valid DNS name" },
		{ "DNS:a.example.", "not a valid DNS name" },
		{ "DNS:a.*.example", "not a valid DNS name" },
		{ "DNS:\xe4\xb8\xad.cn", "not a valid DNS name" },
		{ "DNS:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		    "example", "not a valid DNS name" },
		{ "IP:10.0.0.256", "subjectAltName 1 'IP:10.0.0.256': not an IPv4" },
		{ "IP:example.cn", "not an IPv4 or IPv6 address" },
		{ "IP:1:2:3", "not an IPv4 or IPv6 address" },
		{ "email:nobody", "not a valid email address" },
		{ "email:a@b@c.cn", "not a valid email address" },
		{ "email:@c.cn", "not a valid email address" },
		{ "email:a b@c.cn", "not a valid email address" },
		{ "URI:no-scheme", "not a valid URI" },
		{ "URI:https://a b", "not a valid URI" },
		{ "URI:1http://x", "not a valid URI" },
	};
	GENERAL_NAMES *g = (GENERAL_NAMES *)1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = gp_sans_parse(&g, bad[i].in);

		if (r != GP_E_PARSE)
			fail_msg("'%s': rc %d", bad[i].in, r);
		assert_null(g);
		if (strstr(gp_error_last(), bad[i].msg) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].in,
			    gp_error_last(), bad[i].msg);
	}
	assert_int_equal(gp_sans_parse(&g, NULL), GP_E_INVALID);
	assert_int_equal(gp_sans_parse(NULL, "DNS:a"), GP_E_INVALID);
}

/* docs/govpki.cnf.example loads and gives the profiles it describes. */
static void
test_example_config(void **state)
{
	char path[PATH_MAX];
	gp_config *cfg = NULL;
	gp_profiles *ps = NULL;
	const gp_profile *p;

	(void)state;
	if (tu_src_path(path, sizeof(path), "docs/govpki.cnf.example", "tests/unit/test_profile.c") != 0)
		fail_msg("top_srcdir is not set and %s names no source tree", __FILE__);
	/* part of the tree: missing is a failure, not a skip */
	if (access(path, R_OK) != 0)
		fail_msg("%s: not readable", path);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	if (gp_profiles_load(&ps, cfg) != 0)
		fail_msg("%s", gp_error_last());
	assert_int_equal(gp_profiles_count(ps), 13);
	p = gp_profiles_get(ps, "tls-server");
	assert_int_equal(p->max_days, 200);   /* CA/B BR 6.3.2, refused by the lint above */
	assert_int_equal(p->rsa_min_bits, 3072);
	assert_string_equal(p->crl_dp, "http://pki.example.gov.cn/crl/city-sub-ca.crl");
	assert_string_equal(p->ocsp_url, "http://ocsp.example.gov.cn");
	p = gp_profiles_get(ps, "archive-signer");
	assert_non_null(p);
	assert_int_equal(p->approvals, 2);
	assert_true(has_oid(p->eku, NID_code_sign));
	assert_int_equal(gp_profiles_get(ps, "dept-ca")->path_len, 1);
	assert_string_equal(gp_config_str(cfg, "govpki", "store", NULL), "govpki.db");
	gp_profiles_free(ps);
	gp_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_accessors_null),
		cmocka_unit_test(test_config_profiles),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_inherit_none),
		cmocka_unit_test(test_settings_roundtrip),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_check_subject),
		cmocka_unit_test(test_check_sans),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_apply_chain),
		cmocka_unit_test(test_apply_ku_by_key),
		cmocka_unit_test(test_apply_signers),
		cmocka_unit_test(test_apply_configured),
		cmocka_unit_test(test_apply_bad),
		cmocka_unit_test(test_sans_roundtrip),
		cmocka_unit_test(test_sans_bad),
		cmocka_unit_test(test_example_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
