/* tests/unit/test_issue.c: CA creation, issuance (single and batch) and revocation */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/core_names.h>

#include <govpki/govpki.h>

#include "../../ca/ca_lib.h"
#include "testutil.h"

#define PW "unit-test-pass"

typedef struct fx {
	char *dir;
	gp_ctx *ctx;
	gp_ca *ca;
	EVP_PKEY *key;     /* the applicants' key */
} fx;

static int
setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	gp_ca_params p;

	f->dir = tu_tmpdir();
	assert_int_equal(gp_ctx_open(&f->ctx, NULL, f->dir, 0), 0);
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "root";
	p.subject = "/C=CN/O=Example/CN=Root";
	p.key_type = GP_KEY_EC_P256;
	p.pass = PW;
	p.passlen = strlen(PW);
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	p.name = "issuing";
	p.parent = "root";
	p.subject = "/C=CN/O=Example/CN=Issuing";
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&f->ca, f->ctx, "issuing", PW, strlen(PW)), 0);
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	*state = f;
	return 0;
}

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

static int64_t
count(fx *f)
{
	int64_t n = -1;

	assert_int_equal(gp_store_cert_count(gp_ctx_store(f->ctx), 0, &n), 0);
	return n;
}

/* the sub-CA is a certificate of the root, with CA:TRUE and pathlen 0 */
static void
test_hierarchy(void **state)
{
	fx *f = *state;
	X509 *c = gp_ca_cert0(f->ca);
	char *pem = NULL;
	size_t len;

	assert_int_equal(X509_check_ca(c), 1);
	assert_int_equal(X509_get_pathlen(c), 0);
	assert_int_equal(count(f), 1);
	assert_int_equal(gp_ca_chain_pem(&pem, &len, f->ctx, "issuing"), 0);
	assert_non_null(strstr(strstr(pem, "END CERTIFICATE"), "BEGIN CERTIFICATE"));
	gp_free(pem);
	/* a second CA of the same name is refused */
	gp_ca_params p = { .size = sizeof(gp_ca_params), .name = "issuing", .subject = "/CN=x",
	    .pass = PW, .passlen = 2 };
	assert_int_equal(gp_ca_create(f->ctx, &p), GP_E_EXISTS);
	/* a wrong passphrase does not open the CA */
	gp_ca *ca = NULL;
	assert_int_equal(gp_ca_open(&ca, f->ctx, "issuing", "nope", 4), GP_E_PASSPHRASE);
	assert_int_equal(gp_ca_open(&ca, f->ctx, "absent", PW, strlen(PW)), GP_E_NOTFOUND);
}

/* gp_ca_params' size (docs/api.md): zero, garbage or larger than the
 * library's struct is refused before anything is created; a struct that
 * ends at its last field is served */
static void
test_ca_params_size(void **state)
{
	fx *f = *state;
	gp_ca *ca = NULL;
	const size_t sizes[] = { 0, 1, offsetof(gp_ca_params, policy), sizeof(gp_ca_params) + 1,
		sizeof(gp_ca_params) * 2, (size_t)-1 };
	gp_ca_params p = GP_CA_PARAMS_INIT;

	assert_int_equal(p.size, sizeof(gp_ca_params));
	p.name = "sized";
	p.subject = "/CN=Sized Root";
	p.key_type = GP_KEY_EC_P256;
	p.pass = PW;
	p.passlen = strlen(PW);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p.size = sizes[i];
		assert_int_equal(gp_ca_create(f->ctx, &p), GP_E_INVALID);
		assert_non_null(strstr(gp_error_last(), "GP_..._INIT"));
		assert_int_equal(gp_ca_open(&ca, f->ctx, "sized", PW, strlen(PW)), GP_E_NOTFOUND);
	}
	assert_int_equal(gp_ca_create(f->ctx, NULL), GP_E_INVALID);
	p.size = offsetof(gp_ca_params, policy) + sizeof(p.policy);
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&ca, f->ctx, "sized", PW, strlen(PW)), 0);
	gp_ca_free(ca);
}

/* a CSR becomes a stored certificate signed by the CA, with its SAN */
static void
test_issue_one(void **state)
{
	fx *f = *state;
	size_t len;
	unsigned char *csr = tu_csr(&len, f->key, "Example", "www.example.cn", "DNS:www.example.cn");
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "tls-server" };
	X509 *cert = NULL;
	gp_cert_info *info = NULL;
	unsigned char serial[20];
	size_t slen;

	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), 0);
	assert_int_equal(X509_verify(cert, X509_get0_pubkey(gp_ca_cert0(f->ca))), 1);
	assert_int_equal(gp_serial_from_asn1(serial, &slen, X509_get0_serialNumber(cert)), 0);
	assert_int_equal(slen, 16);
	assert_int_equal(gp_store_cert_get(gp_ctx_store(f->ctx), gp_ca_id(f->ca), serial, slen, &info), 0);
	assert_int_equal(info->status, GP_STATUS_GOOD);
	assert_string_equal(info->profile, "tls-server");
	assert_non_null(strstr(info->sans, "www.example.cn"));
	/* RFC 5280 §4.1.2.5: both ends count, so 200 days end 1 s early */
	assert_int_equal(info->not_after, info->not_before + 200 * 86400 - 1);
	gp_cert_info_free(info);
	X509_free(cert);
	free(csr);
}

/* the vetted subject and SANs override the CSR's */
static void
test_issue_override(void **state)
{
	fx *f = *state;
	size_t len;
	unsigned char *csr = tu_csr(&len, f->key, "Wrong", "wrong.example.cn", "DNS:wrong.example.cn");
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "tls-server",
	    .subject = "/O=Right/CN=right.example.cn", .sans = "DNS:right.example.cn,IP:10.0.0.1" };
	X509 *cert = NULL;
	char buf[256];

	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), 0);
	X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
	assert_string_equal(buf, "/O=Right/CN=right.example.cn");
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
	GENERAL_NAMES_free(gens);
	X509_free(cert);
	free(csr);
}

/* bad requests are refused and leave nothing in the store */
static void
test_issue_refused(void **state)
{
	fx *f = *state;
	size_t len;
	unsigned char *csr = tu_csr(&len, f->key, "Example", "www.example.cn", NULL);
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "tls-server" };
	X509 *cert = NULL;
	int64_t before = count(f);

	/* tls-server needs a SAN */
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_POLICY);
	assert_null(cert);
	req.profile = "no-such-profile";
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_NOTFOUND);
	req.profile = "person";
	req.days = 5000;
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_POLICY);
	req.days = 0;
	req.csr = (const unsigned char *)"garbage";
	req.csr_len = 7;
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_PARSE);
	req.csr_len = 0;
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_INVALID);
	/* a flipped byte in the CSR's signature */
	{
		X509_REQ *r = NULL;
		BIO *b = BIO_new_mem_buf(csr, (int)len);
		unsigned char *der = NULL;
		int dl;

		r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
		dl = i2d_X509_REQ(r, &der);
		der[dl - 3] ^= 0x41;
		req.csr = der;
		req.csr_len = (size_t)dl;
		req.profile = "person";
		assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_VERIFY);
		OPENSSL_free(der);
		X509_REQ_free(r);
		BIO_free(b);
	}
	assert_int_equal(count(f), before);
	free(csr);
}

typedef struct seen {
	size_t calls, ok, bad;
	size_t last;
	gp_store *st;
	int64_t ca_id;
} seen;

static int
batch_cb(void *arg, size_t i, int rc, const char *msg, X509 *cert)
{
	seen *s = arg;
	unsigned char serial[20];
	size_t slen;
	int status;
	int64_t at;
	int reason;

	/* in request order, each once */
	assert_true(s->calls == 0 || i == s->last + 1);
	s->last = i;
	s->calls++;
	if (rc != 0) {
		assert_non_null(msg);
		assert_null(cert);
		s->bad++;
		return 0;
	}
	/* committed before we see it */
	assert_int_equal(gp_serial_from_asn1(serial, &slen, X509_get0_serialNumber(cert)), 0);
	assert_int_equal(gp_store_cert_status(s->st, s->ca_id, serial, slen, &status, &at, &reason), 0);
	s->ok++;
	return 0;
}

/* a batch issues in parallel, reports in order, and skips the bad ones */
static void
test_batch(void **state)
{
	fx *f = *state;
	enum { N = 1200 };
	gp_issue_req *reqs = calloc(N, sizeof(*reqs));
	unsigned char **csrs = calloc(N, sizeof(*csrs));
	seen s = { .st = gp_ctx_store(f->ctx), .ca_id = gp_ca_id(f->ca) };
	int64_t before = count(f);

	for (size_t i = 0; i < N; i++) {
		char cn[64], san[80];
		size_t len;

		snprintf(cn, sizeof(cn), "h%zu.example.cn", i);
		snprintf(san, sizeof(san), "DNS:%s", cn);
		csrs[i] = tu_csr(&len, f->key, "Example", cn, i % 100 == 7 ? NULL : san);
		reqs[i].size = sizeof(reqs[i]);
		reqs[i].csr = csrs[i];
		reqs[i].csr_len = len;
		reqs[i].profile = i == 500 ? "nope" : "tls-server";
	}
	assert_int_equal(gp_ca_issue_batch(f->ca, reqs, N, 2, batch_cb, &s), 0);
	assert_int_equal(s.calls, N);
	assert_int_equal(s.bad, 13);    /* 12 without SAN, 1 unknown profile */
	assert_int_equal(count(f), before + (int64_t)s.ok);
	for (size_t i = 0; i < N; i++)
		free(csrs[i]);
	free(csrs);
	free(reqs);
	/* empty batch */
	assert_int_equal(gp_ca_issue_batch(f->ca, NULL, 0, 0, batch_cb, &s), 0);
}

/* Issues a tls-server certificate for key; returns its serial. */
static size_t
issue_for(fx *f, EVP_PKEY *key, const char *cn, unsigned char serial[20])
{
	size_t len, slen;
	char san[80];
	unsigned char *csr;
	gp_issue_req req = { .size = sizeof(gp_issue_req), .profile = "tls-server" };
	X509 *cert = NULL;

	snprintf(san, sizeof(san), "DNS:%s", cn);
	csr = tu_csr(&len, key, "Example", cn, san);
	req.csr = csr;
	req.csr_len = len;
	if (gp_ca_issue(&cert, f->ca, &req) != 0)
		fail_msg("issue: %s", gp_error_last());
	assert_int_equal(gp_serial_from_asn1(serial, &slen, X509_get0_serialNumber(cert)), 0);
	X509_free(cert);
	free(csr);
	return slen;
}

/* gp_ca_issue's answer for a CSR of key (no certificate stored when it
 * refuses). */
static int
try_issue(fx *f, EVP_PKEY *key)
{
	size_t len;
	unsigned char *csr = tu_csr(&len, key, "Example", "again.example.cn", "DNS:again.example.cn");
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "tls-server" };
	X509 *cert = NULL;
	int64_t before = count(f);
	int r = gp_ca_issue(&cert, f->ca, &req);

	if (r != 0) {
		assert_null(cert);
		assert_int_equal(count(f), before);
	}
	X509_free(cert);
	free(csr);
	return r;
}

/* The same key in another encoding: the EC point compressed. */
static EVP_PKEY *
compressed_copy(EVP_PKEY *key)
{
	EVP_PKEY *c = EVP_PKEY_dup(key);

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(c, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    "compressed"), 1);
	return c;
}

/* gp_pubkey_hash names the key, not its encoding: the same for a
 * compressed point and the certificate's form, other for another key. */
static void
test_pubkey_hash(void **state)
{
	fx *f = *state;
	EVP_PKEY *c = compressed_copy(f->key), *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char h1[32], h2[32], h3[32], h4[32];
	unsigned char *der = NULL;
	int n;

	/* the encodings do differ */
	n = i2d_PUBKEY(c, &der);
	assert_int_equal(n, 59);        /* 33-byte point: compressed */
	OPENSSL_free(der);
	assert_int_equal(gp_pubkey_hash(h1, f->key), 0);
	assert_int_equal(gp_pubkey_hash(h2, c), 0);
	assert_memory_equal(h1, h2, 32);
	assert_int_equal(gp_pubkey_hash(h3, other), 0);
	assert_memory_not_equal(h1, h3, 32);
	assert_int_equal(gp_pubkey_hash(h3, rsa), 0);
	assert_int_equal(gp_pubkey_hash(h4, ed), 0);
	assert_memory_not_equal(h3, h4, 32);
	assert_int_equal(gp_x509_key_hash(h3, gp_ca_cert0(f->ca)), 0);
	assert_memory_not_equal(h1, h3, 32);
	assert_int_equal(gp_pubkey_hash(h3, NULL), GP_E_INVALID);
	assert_int_equal(gp_x509_key_hash(h3, NULL), GP_E_INVALID);
	EVP_PKEY_free(c);
	EVP_PKEY_free(other);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/* Issue 21.3: after a revocation for keyCompromise the key is refused in
 * every later CSR (in any encoding, by every issuance path, for the
 * request alone in a batch); another reason does not block it until it
 * is raised to keyCompromise. */
static void
test_key_compromised(void **state)
{
	fx *f = *state;
	EVP_PKEY *c = compressed_copy(f->key), *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char sn[20], *csrs[3];
	size_t snlen, len;
	gp_issue_req reqs[3];
	gp_issue_prep *prep = NULL;
	seen s = { .st = gp_ctx_store(f->ctx), .ca_id = gp_ca_id(f->ca) };
	gp_key_block kb;
	unsigned char h[32];

	snlen = issue_for(f, f->key, "a.example.cn", sn);
	assert_int_equal(try_issue(f, f->key), 0);      /* not blocked yet */
	assert_int_equal(gp_ca_check_key(f->ctx, f->key), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, snlen, GP_REASON_KEY_COMPROMISE, 0,
	    "test"), 0);
	assert_int_equal(try_issue(f, f->key), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "revoked for keyCompromise"));
	assert_int_equal(try_issue(f, c), GP_E_POLICY);
	assert_int_equal(gp_ca_check_key(f->ctx, c), GP_E_POLICY);
	assert_int_equal(gp_pubkey_hash(h, f->key), 0);
	assert_int_equal(gp_store_key_block_get(gp_ctx_store(f->ctx), h, &kb), 0);
	assert_int_equal(kb.why, GP_KEY_BLOCK_COMPROMISED);
	assert_int_equal(kb.ca_id, gp_ca_id(f->ca));
	assert_memory_equal(kb.serial, sn, snlen);
	/* prepare signs (no store), store refuses */
	csrs[0] = tu_csr(&len, f->key, "Example", "p.example.cn", "DNS:p.example.cn");
	reqs[0] = (gp_issue_req){ .size = sizeof(gp_issue_req), .csr = csrs[0], .csr_len = len, .profile = "tls-server" };
	assert_int_equal(gp_ca_issue_prepare(&prep, f->ca, &reqs[0]), 0);
	assert_int_equal(gp_store_begin(gp_ctx_store(f->ctx)), 0);
	assert_int_equal(gp_ca_issue_store(f->ca, prep), GP_E_POLICY);
	gp_store_rollback(gp_ctx_store(f->ctx));
	gp_issue_prep_free(prep);
	free(csrs[0]);
	/* a batch: the blocked request fails, the others are issued */
	for (int i = 0; i < 3; i++) {
		csrs[i] = tu_csr(&len, i == 1 ? c : k2, "Example", "b.example.cn", "DNS:b.example.cn");
		reqs[i] = (gp_issue_req){ .size = sizeof(gp_issue_req), .csr = csrs[i], .csr_len = len, .profile = "tls-server" };
	}
	assert_int_equal(gp_ca_issue_batch(f->ca, reqs, 3, 2, batch_cb, &s), 0);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.ok, 2);
	assert_int_equal(s.bad, 1);
	for (int i = 0; i < 3; i++)
		free(csrs[i]);
	/* superseded blocks nothing; raised to keyCompromise it does */
	snlen = issue_for(f, k2, "k2.example.cn", sn);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, snlen, GP_REASON_SUPERSEDED, 0,
	    "test"), 0);
	assert_int_equal(try_issue(f, k2), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", sn, snlen, GP_REASON_KEY_COMPROMISE, 0,
	    "test"), 0);
	assert_int_equal(try_issue(f, k2), GP_E_POLICY);
	EVP_PKEY_free(c);
	EVP_PKEY_free(k2);
}

/* Issue 21.3: a CSR carrying a CA's own key (the issuer's, or any other
 * CA's of the store) is refused, and so is a new CA on another CA's key. */
static void
test_key_of_ca(void **state)
{
	fx *f = *state;
	EVP_PKEY *rootkey = NULL, *cakey = NULL;
	char path[1024];
	gp_ca_params p;

	snprintf(path, sizeof(path), "%s/keys/root.key", f->dir);
	assert_int_equal(gp_key_load(&rootkey, path, PW, strlen(PW)), 0);
	snprintf(path, sizeof(path), "%s/keys/issuing.key", f->dir);
	assert_int_equal(gp_key_load(&cakey, path, PW, strlen(PW)), 0);
	assert_int_equal(try_issue(f, cakey), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "public key of CA issuing"));
	assert_int_equal(try_issue(f, rootkey), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "CA root"));
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "twin";
	p.parent = "root";
	p.subject = "/C=CN/O=Example/CN=Twin";
	p.key_uri = "keys/issuing.key";
	p.pass = PW;
	p.passlen = strlen(PW);
	assert_int_equal(gp_ca_create(f->ctx, &p), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "CA issuing"));
	EVP_PKEY_free(rootkey);
	EVP_PKEY_free(cakey);
}

static int
stop_cb(void *arg, size_t i, int rc, const char *msg, X509 *cert)
{
	size_t *n = arg;

	(void)i; (void)rc; (void)msg; (void)cert;
	return ++*n == 3;
}

/* the callback can stop a batch */
static void
test_batch_stop(void **state)
{
	fx *f = *state;
	enum { N = 50 };
	gp_issue_req reqs[N];
	unsigned char *csr;
	size_t len, n = 0;

	csr = tu_csr(&len, f->key, "Example", "x.example.cn", "DNS:x.example.cn");
	for (size_t i = 0; i < N; i++)
		reqs[i] = (gp_issue_req){ .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "tls-server" };
	assert_int_equal(gp_ca_issue_batch(f->ca, reqs, N, 2, stop_cb, &n), 0);
	assert_int_equal(n, 3);
	free(csr);
}

/* gp_issue_req's size (docs/api.md): zero, garbage or larger than the
 * library's struct is refused by gp_ca_issue, gp_ca_issue_prepare and
 * gp_ca_issue_batch before anything is signed or stored; a batch steps
 * through the caller's array by its size, which every element shares */
static void
test_issue_req_size(void **state)
{
	fx *f = *state;
	const size_t sizes[] = { 0, 1, offsetof(gp_issue_req, actor), sizeof(gp_issue_req) + 1,
		sizeof(gp_issue_req) * 2, (size_t)-1 };
	gp_issue_req req = GP_ISSUE_REQ_INIT, two[2];
	gp_issue_prep *prep = NULL;
	unsigned char *csr;
	int64_t before = count(f);
	size_t len, n = 0;
	X509 *c = NULL;

	assert_int_equal(req.size, sizeof(gp_issue_req));
	csr = tu_csr(&len, f->key, "Example", "sz.example.cn", "DNS:sz.example.cn");
	req.csr = csr;
	req.csr_len = len;
	req.profile = "tls-server";
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		req.size = sizes[i];
		assert_int_equal(gp_ca_issue(&c, f->ca, &req), GP_E_INVALID);
		assert_non_null(strstr(gp_error_last(), "GP_..._INIT"));
		assert_null(c);
		assert_int_equal(gp_ca_issue_prepare(&prep, f->ca, &req), GP_E_INVALID);
		assert_null(prep);
		assert_int_equal(gp_ca_issue_batch(f->ca, &req, 1, 1, stop_cb, &n), GP_E_INVALID);
	}
	assert_int_equal(gp_ca_issue(&c, f->ca, NULL), GP_E_INVALID);
	/* an array whose elements disagree on their size */
	two[0] = two[1] = req;
	two[0].size = sizeof(gp_issue_req);
	two[1].size = 0;
	assert_int_equal(gp_ca_issue_batch(f->ca, two, 2, 1, stop_cb, &n), GP_E_INVALID);
	assert_int_equal(n, 0);
	assert_int_equal(count(f), before);
	/* a struct that ends at its last field is served */
	req.size = offsetof(gp_issue_req, actor) + sizeof(req.actor);
	assert_int_equal(gp_ca_issue(&c, f->ca, &req), 0);
	assert_non_null(c);
	X509_free(c);
	assert_int_equal(count(f), before + 1);
	free(csr);
}

/* A person certificate of a key of its own (a key revoked for
 * keyCompromise is never certified again). */
static void
issue_serial(fx *f, unsigned char *serial, size_t *slen)
{
	size_t len;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *csr = tu_csr(&len, key, "Example", "Person", "email:p@example.cn");
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "person" };
	X509 *cert = NULL;

	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), 0);
	assert_int_equal(gp_serial_from_asn1(serial, slen, X509_get0_serialNumber(cert)), 0);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(csr);
}

static void
status_is(fx *f, const unsigned char *serial, size_t slen, int want_status, int want_reason)
{
	int status, reason;
	int64_t at;

	assert_int_equal(gp_store_cert_status(gp_ctx_store(f->ctx), gp_ca_id(f->ca), serial, slen,
	    &status, &at, &reason), 0);
	assert_int_equal(status, want_status);
	assert_int_equal(reason, want_reason);
}

/* revoke, revoke again, hold and release; each bumps the revision once */
static void
test_revoke(void **state)
{
	fx *f = *state;
	gp_store *st = gp_ctx_store(f->ctx);
	unsigned char s1[20], s2[20];
	size_t l1, l2;
	int64_t r0, r1, r2;

	issue_serial(f, s1, &l1);
	issue_serial(f, s2, &l2);
	assert_int_equal(gp_store_revision(st, &r0), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s1, l1, GP_REASON_KEY_COMPROMISE, 0, "t"), 0);
	status_is(f, s1, l1, GP_STATUS_REVOKED, GP_REASON_KEY_COMPROMISE);
	assert_int_equal(gp_store_revision(st, &r1), 0);
	assert_true(r1 > r0);
	/* twice: harmless, nothing changes */
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s1, l1, GP_REASON_SUPERSEDED, 0, "t"), 0);
	status_is(f, s1, l1, GP_STATUS_REVOKED, GP_REASON_KEY_COMPROMISE);
	assert_int_equal(gp_store_revision(st, &r2), 0);
	assert_int_equal(r2, r1);
	/* a key found compromised later: superseded becomes keyCompromise,
	 * with the first revocation date; once, and never back */
	{
		unsigned char s3[20];
		size_t l3;
		int st3, re3;
		int64_t at1, at2, r3, r4;

		issue_serial(f, s3, &l3);
		assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s3, l3, GP_REASON_SUPERSEDED, 1000000, "t"), 0);
		assert_int_equal(gp_store_cert_status(st, gp_ca_id(f->ca), s3, l3, &st3, &at1, &re3), 0);
		assert_int_equal(gp_store_revision(st, &r3), 0);
		assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s3, l3, GP_REASON_KEY_COMPROMISE, 0, "t"), 0);
		status_is(f, s3, l3, GP_STATUS_REVOKED, GP_REASON_KEY_COMPROMISE);
		assert_int_equal(gp_store_cert_status(st, gp_ca_id(f->ca), s3, l3, &st3, &at2, &re3), 0);
		assert_int_equal(at2, at1);
		assert_int_equal(gp_store_revision(st, &r4), 0);
		assert_true(r4 > r3);
		assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s3, l3, GP_REASON_SUPERSEDED, 0, "t"), 0);
		status_is(f, s3, l3, GP_STATUS_REVOKED, GP_REASON_KEY_COMPROMISE);
		assert_int_equal(gp_store_revision(st, &r3), 0);
		assert_int_equal(r3, r4);
	}
	/* a revoked certificate cannot be released */
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s1, l1, GP_REASON_REMOVE_FROM_CRL, 0, "t"), GP_E_STATE);
	/* hold, then release */
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s2, l2, GP_REASON_CERTIFICATE_HOLD, 0, "t"), 0);
	status_is(f, s2, l2, GP_STATUS_HOLD, GP_REASON_CERTIFICATE_HOLD);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s2, l2, GP_REASON_REMOVE_FROM_CRL, 0, "t"), 0);
	status_is(f, s2, l2, GP_STATUS_GOOD, GP_REASON_NONE);
	/* hold, then revoke for good */
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s2, l2, GP_REASON_CERTIFICATE_HOLD, 0, "t"), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s2, l2, GP_REASON_CESSATION, 0, "t"), 0);
	status_is(f, s2, l2, GP_STATUS_REVOKED, GP_REASON_CESSATION);
	/* unknown serial, unknown CA, bad reason */
	unsigned char none[1] = { 0x42 };
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", none, 1, GP_REASON_UNSPECIFIED, 0, "t"), GP_E_NOTFOUND);
	assert_int_equal(gp_ca_revoke(f->ctx, "nope", s1, l1, GP_REASON_UNSPECIFIED, 0, "t"), GP_E_NOTFOUND);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s1, l1, 7, 0, "t"), GP_E_INVALID);
	assert_int_equal(gp_ca_revoke(f->ctx, "issuing", s1, l1, 11, 0, "t"), GP_E_INVALID);
}

/* RFC 5280 §4.2.1.9: "issuing" has pathLenConstraint 0, so it signs no CA
 * certificate, neither a sub-CA nor a certificate of a CA profile; the root
 * (no constraint) does.  Nothing is stored for the refused ones. */
static void
test_path_len(void **state)
{
	fx *f = *state;
	gp_ca_params p = { .size = sizeof(gp_ca_params), .name = "deeper", .parent = "issuing", .subject = "/CN=Deeper",
	    .key_type = GP_KEY_EC_P256, .pass = PW, .passlen = strlen(PW) };
	gp_ca_info *info = NULL;
	size_t len;
	unsigned char *csr = tu_csr(&len, f->key, "Example", "Sub", NULL);
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "sub-ca" };
	gp_ca *root = NULL;
	X509 *cert = NULL;
	int64_t before = count(f);

	assert_int_equal(gp_ca_create(f->ctx, &p), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "pathLenConstraint 0"));
	assert_int_equal(gp_store_ca_get(gp_ctx_store(f->ctx), "deeper", &info), GP_E_NOTFOUND);
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_POLICY);
	assert_null(cert);
	assert_int_equal(count(f), before);
	/* under the root a sub-CA with pathlen 0 is fine */
	assert_int_equal(gp_ca_open(&root, f->ctx, "root", PW, strlen(PW)), 0);
	assert_int_equal(gp_ca_issue(&cert, root, &req), 0);
	assert_int_equal(X509_get_pathlen(cert), 0);
	assert_int_equal(count(f), before + 1);
	X509_free(cert);
	gp_ca_free(root);
	free(csr);
}

static int
count_cb(void *arg, size_t i, int rc, const char *msg, X509 *cert)
{
	(void)i; (void)msg;
	if (rc == 0 && cert != NULL)
		++*(size_t *)arg;
	return 0;
}

/* A CA whose certificate is on hold or revoked (RFC 5280 §6.3) signs
 * nothing, single or batch; released, it signs again. */
static void
test_revoked_ca(void **state)
{
	fx *f = *state;
	unsigned char serial[20];
	size_t slen, len, n = 0;
	unsigned char *csr = tu_csr(&len, f->key, "Example", "Person", "email:p@example.cn");
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "person" };
	X509 *cert = NULL;
	int64_t before;

	assert_int_equal(gp_serial_from_asn1(serial, &slen,
	    X509_get0_serialNumber(gp_ca_cert0(f->ca))), 0);
	assert_int_equal(gp_ca_revoke(f->ctx, "root", serial, slen, GP_REASON_CERTIFICATE_HOLD, 0, "t"), 0);
	before = count(f);
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_STATE);
	assert_non_null(strstr(gp_error_last(), "on hold"));
	assert_null(cert);
	assert_int_equal(gp_ca_issue_batch(f->ca, &req, 1, 1, count_cb, &n), GP_E_STATE);
	assert_int_equal(n, 0);
	assert_int_equal(count(f), before);
	/* released: signs again */
	assert_int_equal(gp_ca_revoke(f->ctx, "root", serial, slen, GP_REASON_REMOVE_FROM_CRL, 0, "t"), 0);
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), 0);
	X509_free(cert);
	cert = NULL;
	/* revoked for good: signs nothing, and is no parent */
	assert_int_equal(gp_ca_revoke(f->ctx, "root", serial, slen, GP_REASON_CA_COMPROMISE, 0, "t"), 0);
	before = count(f);
	assert_int_equal(gp_ca_issue(&cert, f->ca, &req), GP_E_STATE);
	assert_non_null(strstr(gp_error_last(), "revoked (cACompromise)"));
	assert_int_equal(count(f), before);
	free(csr);
}

/* validity never runs past the issuer's notAfter: a 30-day root gives its
 * sub-CA and their leaves its own notAfter */
static void
test_validity_capped(void **state)
{
	fx *f = *state;
	gp_ca_params p = { .size = sizeof(gp_ca_params), .name = "short", .subject = "/CN=Short Root", .days = 30,
	    .key_type = GP_KEY_EC_P256, .pass = PW, .passlen = strlen(PW) };
	gp_ca *root = NULL, *sub = NULL;
	size_t len;
	unsigned char *csr = tu_csr(&len, f->key, "Example", "Person", "email:p@example.cn");
	gp_issue_req req = { .size = sizeof(gp_issue_req), .csr = csr, .csr_len = len, .profile = "person" };
	X509 *cert = NULL;

	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	p.name = "short-sub";
	p.parent = "short";
	p.subject = "/CN=Short Sub";
	p.days = 0;                     /* the sub-ca profile's maximum: years */
	assert_int_equal(gp_ca_create(f->ctx, &p), 0);
	assert_int_equal(gp_ca_open(&root, f->ctx, "short", PW, strlen(PW)), 0);
	assert_int_equal(gp_ca_open(&sub, f->ctx, "short-sub", PW, strlen(PW)), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(gp_ca_cert0(sub)),
	    X509_get0_notAfter(gp_ca_cert0(root))), 0);
	assert_int_equal(gp_ca_issue(&cert, sub, &req), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(cert),
	    X509_get0_notAfter(gp_ca_cert0(root))), 0);
	assert_true(ASN1_TIME_compare(X509_get0_notBefore(cert), X509_get0_notAfter(cert)) < 0);
	X509_free(cert);
	gp_ca_free(sub);
	gp_ca_free(root);
	free(csr);
}

/* The store URI of the configuration, resolved in lib/ (not in ca/): an
 * SQLite path relative to the home, an absolute one as it is, another
 * backend's URI unchanged (and then refused by gp_store_open by name). */
static void
test_store_uri(void **state)
{
	fx *f = *state;
	char *u = NULL, want[512];
	gp_store *st = NULL;

	snprintf(want, sizeof(want), "%s/govpki.db", f->dir);
	assert_string_equal(gp_ctx_store_uri(f->ctx), want);
	assert_int_equal(gp_store_uri_resolve(&u, "/h", "data/x.db"), 0);
	assert_string_equal(u, "/h/data/x.db");
	gp_free(u);
	assert_int_equal(gp_store_uri_resolve(&u, "/h", "sqlite:x.db"), 0);
	assert_string_equal(u, "/h/x.db");
	gp_free(u);
	assert_int_equal(gp_store_uri_resolve(&u, "/h", "sqlite:///var/x.db"), 0);
	assert_string_equal(u, "/var/x.db");
	gp_free(u);
	assert_int_equal(gp_store_uri_resolve(&u, "/h", "/abs/x.db"), 0);
	assert_string_equal(u, "/abs/x.db");
	gp_free(u);
	assert_int_equal(gp_store_uri_resolve(&u, NULL, "rel.db"), 0);
	assert_string_equal(u, "rel.db");
	gp_free(u);
	assert_int_equal(gp_store_uri_resolve(&u, "/h", "postgres://db.example/pki"), 0);
	assert_string_equal(u, "postgres://db.example/pki");
	assert_int_equal(gp_store_open(&st, u, 0), GP_E_INVALID);
	assert_non_null(strstr(gp_error_last(), "unsupported store backend in 'postgres://db.example/pki'"));
	free(u);
	assert_int_equal(gp_store_uri_resolve(&u, "/h", ""), GP_E_INVALID);
	assert_null(u);
}

/* reason names of RFC 5280 §5.3.1 both ways */
static void
test_reasons(void **state)
{
	int r;

	(void)state;
	assert_int_equal(gp_reason_from_name(&r, "keyCompromise"), 0);
	assert_int_equal(r, GP_REASON_KEY_COMPROMISE);
	assert_int_equal(gp_reason_from_name(&r, "REMOVEFROMCRL"), 0);
	assert_int_equal(r, GP_REASON_REMOVE_FROM_CRL);
	assert_int_equal(gp_reason_from_name(&r, "bored"), GP_E_INVALID);
	assert_int_equal(gp_reason_from_name(&r, NULL), GP_E_INVALID);
	assert_string_equal(gp_reason_name(GP_REASON_AA_COMPROMISE), "aACompromise");
	assert_string_equal(gp_reason_name(7), "none");
}

/* every state change is in the audit chain, which verifies */
static void
test_audit(void **state)
{
	fx *f = *state;
	int64_t bad = -1, rows = 0;

	assert_int_equal(gp_audit_verify(&bad, &rows, gp_ctx_store(f->ctx)), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(rows, 2);     /* two CAs created */
}

/* the signing handle (ca/ca_lib.h, what ocsp/ signs with): the CA's own
 * certificate and its matching key, references that outlive the CA; NULLs
 * are refused */
static void
test_signer_handle(void **state)
{
	fx *f = *state;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *m = NULL;
	unsigned char sig[256];
	size_t siglen = sizeof(sig);
	const unsigned char tbs[] = "to be signed";

	assert_int_equal(gp_ca_signer_get1(&cert, &key, f->ca), 0);
	assert_int_equal(X509_cmp(cert, gp_ca_cert0(f->ca)), 0);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	gp_ca_free(f->ca);
	f->ca = NULL;
	/* still usable after the CA is gone: sign, verify with the certificate */
	assert_int_equal(gp_sign_ctx_new(&m, key), 0);
	assert_int_equal(EVP_DigestSign(m, sig, &siglen, tbs, sizeof(tbs)), 1);
	EVP_MD_CTX_free(m);
	m = EVP_MD_CTX_new();
	assert_non_null(m);
	assert_int_equal(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)), 1);
	assert_int_equal(EVP_DigestVerify(m, sig, siglen, tbs, sizeof(tbs)), 1);
	EVP_MD_CTX_free(m);
	X509_free(cert);
	EVP_PKEY_free(key);

	assert_int_equal(gp_ca_signer_get1(&cert, &key, NULL), GP_E_INVALID);
	assert_null(cert);
	assert_null(key);
	assert_int_equal(gp_ca_signer_get1(NULL, &key, NULL), GP_E_INVALID);
	assert_int_equal(gp_ca_signer_get1(&cert, NULL, NULL), GP_E_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hierarchy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signer_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_params_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_req_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issue_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pubkey_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_compromised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_of_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validity_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_uri, setup, teardown),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
