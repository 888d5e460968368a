/* tests/unit/test_crl.c: full and delta CRLs from stored entries */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <govpki/govpki.h>

#include "testutil.h"

#define PW "unit-test-pass"

typedef struct fx {
	char *dir;
	gp_ctx *ctx;
	gp_ca *ca;
	EVP_PKEY *key;
} fx;

static int
setup_type(void **state, gp_key_type kt)
{
	fx *f = calloc(1, sizeof(*f));
	gp_ca_params p;

	f->dir = tu_tmpdir();
	assert_int_equal(gp_ctx_open(&f->ctx, NULL, f->dir, 0), 0);
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "root";
	p.subject = "/CN=Root";
	p.key_type = kt;
	p.pass = PW;
	p.passlen = strlen(PW);
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	p.name = "issuing";
	p.parent = "root";
	p.subject = "/CN=Issuing";
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&f->ca, f->ctx, "issuing", PW, strlen(PW)), 0);
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_type(state, GP_KEY_EC_P256); }
static int setup_sm2(void **state) { return setup_type(state, GP_KEY_SM2); }

static int
teardown(void **state)
{
	fx *f = *state;

	gp_ca_free(f->ca);
	gp_ctx_free(f->ctx);
	EVP_PKEY_free(f->key);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static void
issue(fx *f, unsigned char *serial, size_t *slen)
{
	size_t len;
	unsigned char *csr = tu_csr(&len, f->key, "Example", "Person", "email:p@example.cn");
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "person" };
	X509 *cert = NULL;

	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), 0);
	assert_int_equal(gp_serial_from_asn1(serial, slen, X509_get0_serialNumber(cert)), 0);
	X509_free(cert);
	free(csr);
}

static X509_CRL *
parse(const gp_crl_info *c)
{
	const unsigned char *p = c->der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)c->der_len);

	assert_non_null(crl);
	assert_ptr_equal(p, c->der + c->der_len);   /* nothing after it */
	return crl;
}

static int
listed(X509_CRL *crl, const unsigned char *serial, size_t slen, int *reason)
{
	STACK_OF(X509_REVOKED) *rv = X509_CRL_get_REVOKED(crl);

	for (int i = 0; i < sk_X509_REVOKED_num(rv); i++) {
		X509_REVOKED *e = sk_X509_REVOKED_value(rv, i);
		const ASN1_INTEGER *sn = X509_REVOKED_get0_serialNumber(e);

		if ((size_t)sn->length == slen && memcmp(sn->data, serial, slen) == 0) {
			ASN1_ENUMERATED *re = X509_REVOKED_get_ext_d2i(e, NID_crl_reason, NULL, NULL);

			*reason = re ? (int)ASN1_ENUMERATED_get(re) : GP_REASON_UNSPECIFIED;
			ASN1_ENUMERATED_free(re);
			return 1;
		}
	}
	return 0;
}

static long
crl_number(X509_CRL *crl, int nid)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, nid, NULL, NULL);
	long v;

	assert_non_null(n);
	v = ASN1_INTEGER_get(n);
	ASN1_INTEGER_free(n);
	return v;
}

/* an empty CRL: v2, signed by the CA, no revokedCertificates, number 1 */
static void
test_empty(void **state)
{
	fx *f = *state;
	gp_crl_info *c = NULL;
	X509_CRL *crl;

	assert_int_equal(gp_ca_crl(&c, f->ca, 0, "t"), 0);
	crl = parse(c);
	assert_int_equal(X509_CRL_get_version(crl), 1);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(gp_ca_cert0(f->ca))), 1);
	assert_null(X509_CRL_get_REVOKED(crl));
	assert_int_equal(crl_number(crl, NID_crl_number), 1);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(gp_ca_cert0(f->ca))), 0);
	assert_true(ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl)) < 0);
	assert_non_null(X509_CRL_get0_extensions(crl));
	X509_CRL_free(crl);
	gp_crl_info_free(c);
}

/* full CRLs list what is revoked or held; delta CRLs what changed since */
static void
test_full_and_delta(void **state)
{
	fx *f = *state;
	unsigned char a[20], b[20], c[20], d[20];
	size_t la, lb, lc, ld;
	gp_crl_info *full = NULL, *delta = NULL, *full2 = NULL, *latest = NULL;
	X509_CRL *crl;
	int reason;

	issue(f, a, &la);
	issue(f, b, &lb);
	issue(f, c, &lc);
	issue(f, d, &ld);
	/* no base yet */
	assert_int_equal(gp_ca_crl(&delta, f->ca, 1, "t"), GP_E_STATE);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", a, la, GP_REASON_KEY_COMPROMISE, 0, "t"), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", b, lb, GP_REASON_CERTIFICATE_HOLD, 0, "t"), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", d, ld, GP_REASON_UNSPECIFIED, 0, "t"), 0);
	assert_int_equal(gp_ca_crl(&full, f->ca, 0, "t"), 0);
	crl = parse(full);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(gp_ca_cert0(f->ca))), 1);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
	assert_true(listed(crl, a, la, &reason));
	assert_int_equal(reason, GP_REASON_KEY_COMPROMISE);
	assert_true(listed(crl, b, lb, &reason));
	assert_int_equal(reason, GP_REASON_CERTIFICATE_HOLD);
	assert_true(listed(crl, d, ld, &reason));
	assert_int_equal(reason, GP_REASON_UNSPECIFIED);   /* §5.3.1: no reasonCode for unspecified */
	assert_false(listed(crl, c, lc, &reason));
	X509_CRL_free(crl);

	/* after the base: c revoked, b released */
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", c, lc, GP_REASON_SUPERSEDED, 0, "t"), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", b, lb, GP_REASON_REMOVE_FROM_CRL, 0, "t"), 0);
	assert_int_equal(gp_ca_crl(&delta, f->ca, 1, "t"), 0);
	assert_true(delta->number > full->number);
	assert_int_equal(delta->base_number, full->number);
	crl = parse(delta);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(gp_ca_cert0(f->ca))), 1);
	assert_int_equal(crl_number(crl, NID_delta_crl), full->number);
	assert_int_equal(crl_number(crl, NID_crl_number), delta->number);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	assert_true(listed(crl, c, lc, &reason));
	assert_int_equal(reason, GP_REASON_SUPERSEDED);
	assert_true(listed(crl, b, lb, &reason));
	assert_int_equal(reason, GP_REASON_REMOVE_FROM_CRL);
	assert_false(listed(crl, a, la, &reason));
	X509_CRL_free(crl);

	/* the next full CRL: a, c, d; b is gone */
	assert_int_equal(gp_ca_crl(&full2, f->ca, 0, "t"), 0);
	assert_true(full2->number > delta->number);
	crl = parse(full2);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
	assert_false(listed(crl, b, lb, &reason));
	X509_CRL_free(crl);
	/* the store keeps the latest of each kind */
	assert_int_equal(gp_store_crl_latest(gp_ctx_store(f->ctx), gp_ca_id(f->ca), 0, &latest), 0);
	assert_int_equal(latest->number, full2->number);
	gp_crl_info_free(latest);
	assert_int_equal(gp_store_crl_latest(gp_ctx_store(f->ctx), gp_ca_id(f->ca), 1, &latest), 0);
	assert_int_equal(latest->number, delta->number);
	gp_crl_info_free(latest);
	gp_crl_info_free(full);
	gp_crl_info_free(delta);
	gp_crl_info_free(full2);
}

/* an SM2 CA signs CRLs with SM3 and the ID; our chain check accepts them */
static void
test_sm2(void **state)
{
	fx *f = *state;
	unsigned char a[20];
	size_t la;
	gp_crl_info *c = NULL;
	X509_CRL *crl;
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	STACK_OF(X509) *roots = sk_X509_new_null(), *untrusted = sk_X509_new_null();
	gp_ca *root = NULL;
	gp_crl_info *rc = NULL;
	X509 *leaf = NULL;
	gp_cert_info *info = NULL;

	issue(f, a, &la);
	assert_int_equal(gp_ca_crl(&c, f->ca, 0, "t"), 0);
	assert_int_equal(gp_ca_open(&root, f->ctx, "root", PW, strlen(PW)), 0);
	assert_int_equal(gp_ca_crl(&rc, root, 0, "t"), 0);
	sk_X509_CRL_push(crls, parse(c));
	sk_X509_CRL_push(crls, parse(rc));
	sk_X509_push(roots, X509_dup(gp_ca_cert0(root)));
	sk_X509_push(untrusted, X509_dup(gp_ca_cert0(f->ca)));
	assert_int_equal(gp_store_cert_get(gp_ctx_store(f->ctx), gp_ca_id(f->ca), a, la, &info), 0);
	assert_int_equal(gp_cert_parse(&leaf, info->der, info->der_len), 0);
	assert_int_equal(gp_chain_verify(leaf, roots, untrusted, crls, 0), 0);
	/* revoked: the chain check says so */
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", a, la, GP_REASON_KEY_COMPROMISE, 0, "t"), 0);
	gp_crl_info_free(c);
	assert_int_equal(gp_ca_crl(&c, f->ca, 0, "t"), 0);
	crl = sk_X509_CRL_shift(crls);
	X509_CRL_free(crl);
	sk_X509_CRL_push(crls, parse(c));
	assert_int_equal(gp_chain_verify(leaf, roots, untrusted, crls, 0), GP_E_VERIFY);
	X509_free(leaf);
	gp_cert_info_free(info);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	sk_X509_pop_free(roots, X509_free);
	sk_X509_pop_free(untrusted, X509_free);
	gp_crl_info_free(c);
	gp_crl_info_free(rc);
	gp_ca_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_and_delta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sm2, setup_sm2, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
