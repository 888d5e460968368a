/* tests/scepmsg.c: builds SCEP pkiMessages (RFC 8894 §3), good and deliberately bad, for the bad-input tests and the fuzz corpus */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

/*
 * usage: scepmsg TYPE TID RECIPIENT.pem SIGNER.pem KEY.pem CONTENT.der [FLAG...] > MSG.der
 *
 * TYPE the messageType (19 PKCSReq, 17 RenewalReq, 20 CertPoll, ...), TID
 * the transactionID, RECIPIENT the certificate the pkcsPKIEnvelope is
 * enveloped to (AES-128-CBC), SIGNER and KEY who signs (SHA-256, the
 * certificate carried), CONTENT what is enveloped (a DER CSR, or anything).
 * Flags: badsig (a byte of the signature flipped), nononce (no
 * senderNonce), time=SECONDS (signingTime that far from now), notype (no
 * messageType), plain (the content not enveloped).
 *
 * The server under test reads these with OpenSSL too; the happy path is
 * tested with other people's clients (tests/integration/scep_clients.sh).
 */

static void *
die(const char *what)
{
	fprintf(stderr, "scepmsg: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void *
read_pem(const char *path, int key)
{
	FILE *f = fopen(path, "r");
	void *x;

	if (f == NULL)
		return die(path);
	x = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL) :
	    (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x != NULL ? x : die(path);
}

static void
add(CMS_SignerInfo *si, const char *oid, int type, const void *data, int len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);

	if (o == NULL || CMS_signed_add1_attr_by_OBJ(si, o, type, data, len) != 1)
		die("attribute");
	ASN1_OBJECT_free(o);
}

int
main(int argc, char **argv)
{
	X509 *rcpt, *signer;
	EVP_PKEY *key;
	STACK_OF(X509) *rs = sk_X509_new_null();
	CMS_ContentInfo *env = NULL, *cms;
	CMS_SignerInfo *si;
	unsigned char content[65536], nonce[16], *envder = NULL, *out = NULL;
	int badsig = 0, nononce = 0, notype = 0, plain = 0, n, envlen;
	long skew = 0;
	size_t clen;
	FILE *f;
	BIO *in, *data;

	if (argc < 7) {
		fprintf(stderr, "usage: scepmsg TYPE TID RECIPIENT.pem SIGNER.pem KEY.pem CONTENT.der "
		    "[badsig|nononce|notype|plain|time=SECONDS]...\n");
		return 2;
	}
	for (int i = 7; i < argc; i++) {
		if (strcmp(argv[i], "badsig") == 0)
			badsig = 1;
		else if (strcmp(argv[i], "nononce") == 0)
			nononce = 1;
		else if (strcmp(argv[i], "notype") == 0)
			notype = 1;
		else if (strcmp(argv[i], "plain") == 0)
			plain = 1;
		else if (strncmp(argv[i], "time=", 5) == 0)
			skew = strtol(argv[i] + 5, NULL, 10);
		else
			die(argv[i]);
	}
	rcpt = read_pem(argv[3], 0);
	signer = read_pem(argv[4], 0);
	key = read_pem(argv[5], 1);
	if ((f = fopen(argv[6], "rb")) == NULL)
		die(argv[6]);
	clen = fread(content, 1, sizeof(content), f);
	fclose(f);
	/* §3.2.2: the pkcsPKIEnvelope */
	if (plain) {
		envder = OPENSSL_memdup(content, clen);
		envlen = (int)clen;
	} else {
		if (rs == NULL || sk_X509_push(rs, rcpt) <= 0 ||
		    (in = BIO_new_mem_buf(content, (int)clen)) == NULL ||
		    (env = CMS_encrypt(rs, in, EVP_aes_128_cbc(), CMS_BINARY)) == NULL ||
		    (envlen = i2d_CMS_ContentInfo(env, &envder)) <= 0)
			die("envelope");
		BIO_free(in);
	}
	/* §3.2: the SignedData with the SCEP attributes */
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY)) == NULL ||
	    (si = CMS_add1_signer(cms, signer, key, EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP)) == NULL)
		die("signer");
	if (!notype)
		add(si, "2.16.840.1.113733.1.9.2", V_ASN1_PRINTABLESTRING, argv[1], (int)strlen(argv[1]));
	add(si, "2.16.840.1.113733.1.9.7", V_ASN1_PRINTABLESTRING, argv[2], (int)strlen(argv[2]));
	if (!nononce) {
		if (RAND_bytes(nonce, sizeof(nonce)) != 1)
			die("random");
		add(si, "2.16.840.1.113733.1.9.5", V_ASN1_OCTET_STRING, nonce, (int)sizeof(nonce));
	}
	if (skew != 0) {
		ASN1_TIME *t = ASN1_TIME_adj(NULL, time(NULL), 0, skew);

		if (t == NULL || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type, t,
		    -1) != 1)
			die("signingTime");
		ASN1_TIME_free(t);
	}
	if ((data = BIO_new_mem_buf(envder, envlen)) == NULL ||
	    CMS_final(cms, data, NULL, CMS_BINARY) != 1)
		die("sign");
	if (badsig) {
		ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);

		sig->data[sig->length / 2] ^= 0x01;
	}
	if ((n = i2d_CMS_ContentInfo(cms, &out)) <= 0 || fwrite(out, 1, (size_t)n, stdout) != (size_t)n)
		die("output");
	OPENSSL_free(out);
	OPENSSL_free(envder);
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(env);
	sk_X509_free(rs);
	X509_free(rcpt);
	X509_free(signer);
	EVP_PKEY_free(key);
	return 0;
}
