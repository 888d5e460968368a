/*
 * docs/examples/issue.c: libgovpki from a program of its own.
 *
 * Makes a root CA and an issuing CA under it in HOME, issues a tls-server
 * certificate from a CSR, and writes the certificate and the issuing CA's
 * chain as PEM.  The CA keys are encrypted with the passphrase in the
 * environment variable GOVPKI_PASSPHRASE.
 *
 *   cc issue.c $(pkg-config --cflags --libs govpki) -o issue
 *   GOVPKI_PASSPHRASE=... ./issue HOME request.csr cert.pem chain.pem
 *   openssl verify -CAfile root.pem -untrusted issuing.pem cert.pem
 *
 * Every call returns 0 or a negative GP_E_* code, and gp_error_last() says
 * what went wrong.  Parameter structs start from their _INIT macro, which
 * records their size (docs/api.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <govpki/govpki.h>

static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		*len = (size_t)n;
	fclose(f);
	return buf;
}

static int
write_all(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wx");    /* never over an existing file */
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const char *pass = getenv("GOVPKI_PASSPHRASE");
	gp_ca_params root = GP_CA_PARAMS_INIT, issuing = GP_CA_PARAMS_INIT;
	gp_issue_req req = GP_ISSUE_REQ_INIT;
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	X509 *cert = NULL;
	BIO *mem = NULL;
	unsigned char *csr = NULL;
	char *chain = NULL, *pem;
	size_t csr_len = 0, chain_len = 0;
	long pem_len;
	int r, rc = 1;

	if (argc != 5 || pass == NULL) {
		fprintf(stderr, "usage: GOVPKI_PASSPHRASE=... %s HOME CSR CERT-OUT CHAIN-OUT\n", argv[0]);
		return 2;
	}
	printf("libgovpki %s (headers %s)\n", gp_version(), GP_VERSION_STRING);
	if ((csr = read_all(argv[2], &csr_len)) == NULL) {
		fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[2]);
		return 1;
	}
	/* no configuration file: the built-in profiles; the store in HOME */
	if ((r = gp_ctx_open(&ctx, NULL, argv[1], 0)) != 0)
		goto fail;

	root.name = "root";
	root.subject = "/C=CN/O=Example City/CN=Example Root CA";
	root.key_type = GP_KEY_EC_P384;
	root.pass = pass;
	root.passlen = strlen(pass);
	root.actor = "docs/examples/issue";
	if ((r = gp_ca_create(ctx, &root)) != 0)
		goto fail;
	issuing.name = "issuing";
	issuing.parent = "root";
	issuing.subject = "/C=CN/O=Example City/CN=Example Issuing CA";
	issuing.key_type = GP_KEY_EC_P256;
	issuing.pass = pass;
	issuing.passlen = strlen(pass);
	issuing.actor = root.actor;
	if ((r = gp_ca_create(ctx, &issuing)) != 0)
		goto fail;

	if ((r = gp_ca_open(&ca, ctx, "issuing", pass, strlen(pass))) != 0)
		goto fail;
	req.csr = csr;
	req.csr_len = csr_len;
	req.profile = "tls-server";
	req.actor = root.actor;
	/* checked against the profile, signed and stored before it returns */
	if ((r = gp_ca_issue(&cert, ca, &req)) != 0)
		goto fail;
	if ((r = gp_ca_chain_pem(&chain, &chain_len, ctx, "issuing")) != 0)
		goto fail;

	if ((mem = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(mem, cert) ||
	    (pem_len = BIO_get_mem_data(mem, &pem)) <= 0 ||
	    write_all(argv[3], pem, (size_t)pem_len) != 0 ||
	    write_all(argv[4], chain, chain_len) != 0) {
		fprintf(stderr, "%s: cannot write %s or %s\n", argv[0], argv[3], argv[4]);
		goto out;
	}
	printf("issued %s and its chain %s\n", argv[3], argv[4]);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "%s: %s (%s)\n", argv[0], gp_error_last(), gp_strerror(r));
out:
	BIO_free(mem);
	X509_free(cert);
	gp_free(chain); /* every buffer the library returns: gp_free (mem.h) */
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	free(csr);
	return rc;
}
