/* tests/fuzz/fuzz_csr.c: fuzz target of the CSR parser and the issuance path behind it */
/*
 * Reaches gp_csr_parse (lib/csr.c: the PEM reader, its own ASN.1
 * templates, the version check, import_key for EC, SM2, RSA, Ed25519 and
 * the d2i_PUBKEY fallback), gp_csr_verify, gp_csr_sans, the subject and key
 * accessors, gp_csr_copy_spki, gp_profile_check (ca/profile.c) with the
 * built-in tls-server, person and device profiles, and, for a CSR whose
 * signature verifies, gp_ca_issue (ca/issue.c) with tls-server and person
 * on a throw-away P-256 CA made once in a temporary folder.
 * Each input must be refused cleanly or give a result, and:
 *  - where OpenSSL's d2i_X509_REQ (or PEM_read_bio_X509_REQ) reads the same
 *    request, both parsers give the same subject DER and the same public
 *    key, and a signature gp_csr_verify accepts X509_REQ_verify accepts;
 *  - the SubjectPublicKeyInfo gp_csr_copy_spki writes, read back by
 *    OpenSSL, is the CSR's key;
 *  - gp_ca_issue refuses (nonzero, no certificate) or gives a certificate
 *    that, re-read from its DER, verifies with the CA's key and holds the
 *    CSR's public key; it refuses what gp_profile_check refused.
 * Any difference aborts.
 * Corpus: tests/fuzz/corpus/csr.  Without libFuzzer, main() (tests/fuzz/replay.c) replays every
 * file of the folders (or files) it is given; options starting with '-'
 * (libFuzzer's) are ignored.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <govpki/govpki.h>

#include "csr.h"            /* lib/: internal */
#include "profile_int.h"    /* ca/: internal */
#include "../unit/testutil.h"

#define PW "fuzz-pass"
#define SM2_ID "1234567812345678"  /* GM/T 0009 default distinguishing ID */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *home;
static gp_ctx *ctx;
static gp_ca *ca;
static EVP_PKEY *ca_pub;               /* borrowed from the CA's certificate */
static const gp_profile *profiles[3];  /* borrowed from ctx */
static const char *const profile_names[3] = { "tls-server", "person", "device" };

static void
cleanup(void)
{
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	tu_rmdir(home);
}

/* A store with one P-256 CA (built-in profiles), opened for issuing. */
static void
init(void)
{
	gp_ca_params p;
	size_t i;

	home = tu_tmpdir();
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "fuzz";
	p.subject = "/CN=Fuzz CA";
	p.key_type = GP_KEY_EC_P256;
	p.pass = PW;
	p.passlen = strlen(PW);
	if (gp_ctx_open(&ctx, NULL, home, 0) != 0 || gp_ca_create(ctx, &p) != 0 ||
	    gp_ca_open(&ca, ctx, "fuzz", PW, strlen(PW)) != 0 ||
	    (ca_pub = X509_get0_pubkey(gp_ca_cert0(ca))) == NULL) {
		fprintf(stderr, "fuzz setup: %s\n", gp_error_last());
		abort();
	}
	for (i = 0; i < 3; i++)
		if ((profiles[i] = gp_profiles_get(gp_ctx_profiles(ctx), profile_names[i])) == NULL)
			abort();
	atexit(cleanup);
}

/* The public key of cert as a reader of its DER sees it (new reference, or
 * NULL): X509_PUBKEY_set0_param drops the decoded key, so cert's own may
 * be absent. */
static EVP_PKEY *
spki_key(X509 *cert)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *k = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);

	if (len > 0) {
		p = der;
		k = d2i_PUBKEY(NULL, &p, len);
	}
	OPENSSL_free(der);
	return k;
}

/* Aborts unless a and b are the same DER encoding. */
static void
same_name(const X509_NAME *a, const X509_NAME *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509_NAME(a, &da), lb = i2d_X509_NAME(b, &db);

	if (la <= 0 || la != lb || memcmp(da, db, (size_t)la) != 0)
		abort();
	OPENSSL_free(da);
	OPENSSL_free(db);
}

/* OpenSSL's reading of the same bytes: DER taking them all, or PEM. */
static X509_REQ *
openssl_req(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)size);
	BIO *b;

	if (req != NULL && p == data + size)
		return req;
	X509_REQ_free(req);
	req = NULL;
	if (size > 0 && size <= 1 << 20 && (b = BIO_new_mem_buf(data, (int)size)) != NULL) {
		req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	return req;
}

/* gp_ca_issue under profile: a refusal, or a good certificate of the CSR's
 * key; never a certificate for a request gp_profile_check refused
 * (allowed 0). */
static void
issue(const uint8_t *data, size_t size, const char *profile, EVP_PKEY *pub, int allowed)
{
	gp_issue_req req;
	X509 *cert = NULL, *back;
	EVP_PKEY *k;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	req = (gp_issue_req)GP_ISSUE_REQ_INIT;
	req.csr = data;
	req.csr_len = size;
	req.profile = profile;
	req.actor = "fuzz";
	if (gp_ca_issue(&cert, ca, &req) != 0) {
		if (cert != NULL)
			abort();
		return;
	}
	if (cert == NULL || !allowed || (len = i2d_X509(cert, &der)) <= 0)
		abort();
	p = der;
	if ((back = d2i_X509(NULL, &p, len)) == NULL || p != der + len ||
	    X509_verify(back, ca_pub) != 1 ||
	    (k = X509_get0_pubkey(back)) == NULL || EVP_PKEY_eq(k, pub) != 1)
		abort();
	X509_free(back);
	X509_free(cert);
	OPENSSL_free(der);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gp_csr *csr = NULL;
	GENERAL_NAMES *sans = NULL;
	X509_REQ *req;
	X509 *x;
	EVP_PKEY *pub, *k;
	const X509_NAME *subj;
	int verified = 0, allowed[3];
	size_t i;

	if (ca == NULL)
		init();
	req = openssl_req(data, size);
	if (gp_csr_parse(&csr, data, size) != 0) {
		if (csr != NULL)
			abort();
		goto out;
	}
	if ((pub = gp_csr_pubkey0(csr)) == NULL || (subj = gp_csr_subject0(csr)) == NULL)
		abort();
	verified = gp_csr_verify(csr) == 0;
	/* lib/csr.c must read a request as OpenSSL does */
	if (req != NULL) {
		EVP_PKEY *ossl_pub = X509_REQ_get0_pubkey(req);

		same_name(subj, X509_REQ_get_subject_name(req));
		if (ossl_pub == NULL || EVP_PKEY_eq(ossl_pub, pub) != 1)
			abort();
		if (verified && EVP_PKEY_is_a(ossl_pub, "SM2")) {
			/* OpenSSL 3.0 verifies SM2 only with the ID given; gp_csr_verify
			 * uses the default (GM/T 0009) */
			ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();

			if (id == NULL || ASN1_OCTET_STRING_set(id, (const unsigned char *)SM2_ID,
			    (int)strlen(SM2_ID)) != 1)
				abort();
			X509_REQ_set0_distinguishing_id(req, id);
		}
		if (verified && X509_REQ_verify(req, ossl_pub) != 1)
			abort();
	}
	if (gp_csr_sans(&sans, csr) != 0 && sans != NULL)
		abort();
	if ((x = X509_new()) == NULL)
		abort();
	if (gp_csr_copy_spki(x, csr) == 0) {
		if ((k = spki_key(x)) == NULL || EVP_PKEY_eq(k, pub) != 1)
			abort();
		EVP_PKEY_free(k);
	}
	X509_free(x);
	for (i = 0; i < 3; i++)
		allowed[i] = gp_profile_check(profiles[i], pub, subj, sans) == 0;
	/* storing costs a transaction: only for what could be issued */
	if (verified) {
		issue(data, size, profile_names[0], pub, allowed[0]);
		issue(data, size, profile_names[1], pub, allowed[1]);
	}
out:
	GENERAL_NAMES_free(sans);
	gp_csr_free(csr);
	X509_REQ_free(req);
	gp_error_clear();
	ERR_clear_error();
	return 0;
}
