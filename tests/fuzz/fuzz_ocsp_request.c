/* tests/fuzz/fuzz_ocsp_request.c: fuzz target of the OCSP request parser */
/*
 * Reaches gp_ocsp_respond (ocsp/ocsp.c): d2i_OCSP_REQUEST within the size
 * limit, the trailing-bytes check, check_nonce (RFC 9654 lengths),
 * check_critical, match_ca for every CertID, the cache lookup, and for a
 * CertID of the test CA the store lookup and signing (build).
 * The CA's key and name are fixed (FIXED_KEY below, "/CN=Fuzz CA"), so
 * that the corpus's CertIDs (fixed-*.der, made with openssl ocsp -issuer
 * for a certificate of that name and key) match it and reach the status
 * lookup and the signer on every run, not only the parser.
 * Corpus: tests/fuzz/corpus/ocsp_request.  Without libFuzzer, main() (tests/fuzz/replay.c)
 * replays every file of the folders (or files) it is given; options
 * starting with '-' (libFuzzer's) are ignored.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include <govpki/govpki.h>

#include "../unit/testutil.h"

#define PW "fuzz-pass"

/* A test key (P-256), not a secret: the fuzz CA's, the same every run. */
static const char FIXED_KEY[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdLBkabZ8b2GUHfAe\n"
	"JPEl6JKoEhrvhM//Qx9ZtWQx2U2hRANCAAQnur2R0A/wDtaAIngl3QttCFhGSNKS\n"
	"MzdgpuqLC6utxp0/njYCG//K8ZJzaGiCUm257Dnk0IY7V2R6rqk/Oyez\n"
	"-----END PRIVATE KEY-----\n";

/* Writes FIXED_KEY encrypted with PW (CA keys are only kept encrypted) to
 * path. */
static int
write_fixed_key(const char *path)
{
	BIO *in = BIO_new_mem_buf(FIXED_KEY, -1);
	EVP_PKEY *k = in != NULL ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
	FILE *f = k != NULL ? fopen(path, "w") : NULL;
	int ok = f != NULL && PEM_write_PKCS8PrivateKey(f, k, EVP_aes_256_cbc(), NULL, 0,
	    NULL, (void *)PW) == 1;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	EVP_PKEY_free(k);
	BIO_free(in);
	return ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gp_ocsp_responder *responder;
static char *home;

static void
cleanup(void)
{
	gp_ocsp_responder_free(responder);
	tu_rmdir(home);
}

/* A synthetic certificate row of CA ca_id with serial 0x12 last. */
static int
add_row(gp_store *st, int64_t ca_id, unsigned char last, int revoked)
{
	static unsigned char fake_der[64];
	gp_cert_info c;
	int r;

	memset(&c, 0, sizeof(c));
	memset(fake_der, 0x30, sizeof(fake_der));
	c.ca_id = ca_id;
	c.serial[0] = 0x12;
	c.serial[1] = last;
	c.serial_len = 2;
	c.subject = "CN=fuzz";
	c.profile = "person";
	c.not_before = (int64_t)time(NULL);
	c.not_after = c.not_before + 86400;
	c.issued_at = c.not_before;
	c.fingerprint[0] = last;
	c.der = fake_der;
	c.der_len = sizeof(fake_der);
	if ((r = gp_store_cert_add(st, &c)) != 0 || !revoked)
		return r;
	return gp_store_cert_set_status(st, ca_id, c.serial, 2, GP_STATUS_REVOKED,
	    (int64_t)time(NULL), GP_REASON_KEY_COMPROMISE, fake_der, 2, NULL);
}

/* A store with one CA (P-256) and a responder for it; then one request for
 * the CA's own certificate, so that a run always reaches the signer. */
static void
init(void)
{
	gp_ctx *ctx = NULL;
	gp_ca_params p;
	gp_ocsp_params op;
	gp_ocsp_resp *x = NULL;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	X509 *cert = NULL;
	gp_ca_info *info = NULL;
	unsigned char *der = NULL;
	char keypath[4096];
	int len;

	home = tu_tmpdir();
	snprintf(keypath, sizeof(keypath), "%s/fixed.key", home);
	if (write_fixed_key(keypath) != 0) {
		fprintf(stderr, "fuzz setup: cannot write %s\n", keypath);
		abort();
	}
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = "fuzz";
	p.subject = "/CN=Fuzz CA";
	p.key_type = GP_KEY_EC_P256;
	p.key_uri = keypath;
	p.pass = PW;
	p.passlen = strlen(PW);
	op = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	op.pass = PW;
	op.passlen = strlen(PW);
	if (gp_ctx_open(&ctx, NULL, home, 0) != 0 || gp_ca_create(ctx, &p) != 0 ||
	    gp_ocsp_responder_new(&responder, ctx, &op) != 0 ||
	    gp_store_ca_get(gp_ctx_store(ctx), "fuzz", &info) != 0 ||
	    gp_cert_parse(&cert, info->cert_der, info->cert_len) != 0) {
		fprintf(stderr, "fuzz setup: %s\n", gp_error_last());
		abort();
	}
	/* serials 0x1234 (good) and 0x1235 (revoked): the fixed-*.der corpus
	 * asks for them, so the good and revoked branches are reached too */
	if (add_row(gp_ctx_store(ctx), info->id, 0x34, 0) != 0 ||
	    add_row(gp_ctx_store(ctx), info->id, 0x35, 1) != 0) {
		fprintf(stderr, "fuzz setup: %s\n", gp_error_last());
		abort();
	}
	OCSP_request_add0_id(req, OCSP_cert_to_id(NULL, cert, cert));
	len = i2d_OCSP_REQUEST(req, &der);
	if (len <= 0 || gp_ocsp_respond(&x, NULL, responder, der, (size_t)len, NULL, 0) != 0)
		abort();
	gp_ocsp_resp_free(x);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	X509_free(cert);
	gp_ca_info_free(info);
	gp_ctx_free(ctx);
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gp_ocsp_resp *x = NULL;
	OCSP_RESPONSE *or;
	const unsigned char *p;
	size_t len;

	if (responder == NULL)
		init();
	/* every input gets a well-formed OCSPResponse, never a failure */
	if (gp_ocsp_respond(&x, NULL, responder, data, size, NULL, 0) != 0)
		abort();
	p = gp_ocsp_resp_der(x, &len);
	if ((or = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL)
		abort();
	if (OCSP_response_status(or) != gp_ocsp_resp_status(x))
		abort();
	OCSP_RESPONSE_free(or);
	gp_ocsp_resp_free(x);
	return 0;
}
