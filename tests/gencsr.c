/* tests/gencsr.c: makes many CSRs fast for tests and benchmarks (one key, many subjects) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* usage: gencsr ec-p256|rsa2048 COUNT DIR [DER]
 * writes DIR/req-NNNNNN.csr (PEM, or DER when a fourth argument is given),
 * each for CN=host-N.example.gov.cn with that DNS name as subjectAltName. */
int
main(int argc, char **argv)
{
	EVP_PKEY *key;
	long n;
	int der;

	if (argc < 4) {
		fprintf(stderr, "usage: gencsr ec-p256|rsa2048 COUNT DIR [der]\n");
		return 2;
	}
	n = strtol(argv[2], NULL, 10);
	der = argc > 4;
	if (strcmp(argv[1], "rsa2048") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (key == NULL)
		return 1;
	for (long i = 0; i < n; i++) {
		X509_REQ *req = X509_REQ_new();
		X509_NAME *name = X509_NAME_new();
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		X509_EXTENSION *ext;
		char cn[64], san[80], path[4096];
		FILE *f;

		snprintf(cn, sizeof(cn), "host-%ld.example.gov.cn", i);
		snprintf(san, sizeof(san), "DNS:%s", cn);
		X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1, 0);
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"City of Example", -1, -1, 0);
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
		X509_REQ_set_subject_name(req, name);
		X509_REQ_set_pubkey(req, key);
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		sk_X509_EXTENSION_push(exts, ext);
		X509_REQ_add_extensions(req, exts);
		if (X509_REQ_sign(req, key, EVP_sha256()) <= 0)
			return 1;
		snprintf(path, sizeof(path), "%s/req-%06ld.csr", argv[3], i);
		if ((f = fopen(path, "wb")) == NULL)
			return 1;
		if (der)
			i2d_X509_REQ_fp(f, req);
		else
			PEM_write_X509_REQ(f, req);
		fclose(f);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		X509_NAME_free(name);
		X509_REQ_free(req);
	}
	EVP_PKEY_free(key);
	return 0;
}
