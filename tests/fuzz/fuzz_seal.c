/* tests/fuzz/fuzz_seal.c: fuzz target of the seal, seal signature and CAdES parsers */
/*
 * Reaches gp_seal_parse (d2i_SESEAL4 / d2i_SESEAL1, gp_seal_from_asn1: the
 * header checks, the holder list by certListType, the times, the maker's
 * certificate), gp_seal_verify and gp_seal_sig_verify (dsig_decode of both
 * versions, v1 timeInfo as a token or a time, every verification step with
 * a throw-away trust anchor) and gp_cades_verify (GM/T 0010 and CMS).
 * Each input must be refused cleanly or give a result; a result for a
 * random input must never say valid.
 * Corpus: tests/fuzz/corpus/seal.  Without libFuzzer, main() (tests/fuzz/replay.c) replays every
 * file of the folders (or files) it is given; options starting with '-'
 * (libFuzzer's) are ignored.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <govpki/govpki.h>
#include <govpki/seal.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static STACK_OF(X509) *roots;

/* A self-signed P-256 anchor nothing in the corpus chains to. */
static void
init(void)
{
	EVP_PKEY *k = NULL;
	X509 *x = X509_new();

	if (gp_key_generate(&k, GP_KEY_EC_P256) != 0 || x == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8, (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	if (gp_x509_sign(x, k) != 0)
		abort();
	EVP_PKEY_free(k);
	roots = sk_X509_new_null();
	sk_X509_push(roots, x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gp_seal *s = NULL;
	gp_verify_result *r = NULL;
	gp_seal_verify_params p = GP_SEAL_VERIFY_PARAMS_INIT;

	if (roots == NULL)
		init();
	p.roots = roots;
	p.doc = (const unsigned char *)"doc";
	p.doc_len = 3;
	if (gp_seal_parse(&s, data, size) == 0) {
		size_t n;
		(void)gp_seal_image(s, &n, NULL, NULL);
		(void)gp_seal_has_holder(s, sk_X509_value(roots, 0));
		gp_seal_free(s);
	} else if (s != NULL)
		abort();
	if (gp_seal_verify(&r, data, size, &p) == 0) {
		if (gp_verify_result_ok(r))         /* nothing chains to the fuzz anchor */
			abort();
		gp_verify_result_free(r);
	} else if (r != NULL)
		abort();
	r = NULL;
	if (gp_seal_sig_verify(&r, data, size, &p) == 0) {
		if (gp_verify_result_ok(r))
			abort();
		gp_verify_result_free(r);
	} else if (r != NULL)
		abort();
	r = NULL;
	if (size > 0 && gp_cades_verify(&r, data, size, (const unsigned char *)"doc", 3, roots, NULL, NULL, NULL) == 0)
		abort();
	gp_verify_result_free(r);
	gp_error_clear();
	return 0;
}
