/* tests/bench/bench_ca.c: library-level CA benchmarks (bulk issuance, big CRLs) */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <govpki/govpki.h>

/*
 * bench_ca issue HOME CA PROFILE CSRDIR THREADS   issue every CSR of CSRDIR with
 *                                                 gp_ca_issue_batch (no files written)
 * bench_ca fill HOME CA N                         add N revoked certificates (synthetic
 *                                                 rows with real CRL entries and the audit
 *                                                 entries issuance and revocation write)
 * bench_ca crl HOME CA full|delta                 publish a CRL, print its size
 * bench_ca revoke-more HOME CA N                  add N more revoked rows (for a delta)
 * Prints "<what> <count> <seconds> <per-second>".  Passphrase: GOVPKI_PASSPHRASE.
 */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_ca: %s: %s\n", what, gp_error_last());
	exit(1);
}

static size_t okcount;

static int
count_cb(void *arg, size_t i, int rc, const char *msg, X509 *cert)
{
	(void)arg; (void)i; (void)msg; (void)cert;
	if (rc == 0)
		okcount++;
	return 0;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = malloc(1 << 16);

	*len = fread(b, 1, 1 << 16, f);
	fclose(f);
	return b;
}

static int
cmd_issue(gp_ctx *ctx, gp_ca *ca, const char *profile, const char *dir, int threads)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	gp_issue_req *reqs = NULL;
	size_t n = 0, cap = 0;
	char path[4096];
	double t0, t;

	(void)ctx;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			reqs = realloc(reqs, cap * sizeof(*reqs));
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		reqs[n] = (gp_issue_req)GP_ISSUE_REQ_INIT;
		reqs[n].csr = slurp(path, &reqs[n].csr_len);
		reqs[n].profile = profile;
		n++;
	}
	closedir(d);
	t0 = now();
	if (gp_ca_issue_batch(ca, reqs, n, threads, count_cb, NULL) != 0)
		die("issue");
	t = now() - t0;
	printf("issue %zu %.3f %.0f\n", okcount, t, okcount / t);
	return 0;
}

/* n synthetic revoked certificates with their real CRL entries, each with
 * its cert.issue and cert.revoke audit entries as ca/ writes them (so that
 * the filled store passes gp_audit_verify, as a real one does) */
static int
cmd_fill(gp_ctx *ctx, gp_ca *ca, long n)
{
	gp_store *st = gp_ctx_store(ctx);
	static const char *reasons[] = { "keyCompromise", "superseded", "cessationOfOperation", "affiliationChanged" };
	double t0 = now();
	unsigned char fake_der[300];

	memset(fake_der, 0x30, sizeof(fake_der));
	if (gp_store_begin(st) != 0)
		die("begin");
	for (long i = 0; i < n; i++) {
		gp_cert_info c;
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();
		ASN1_TIME *tm = ASN1_TIME_set(NULL, time(NULL) - 3600 + (i % 3600));
		ASN1_ENUMERATED *re = ASN1_ENUMERATED_new();
		unsigned char *entry = NULL;
		char hex[2 * GP_SERIAL_MAX + 1], detail[160];
		int elen, reason;

		memset(&c, 0, sizeof(c));
		c.ca_id = gp_ca_id(ca);
		gp_serial_random(c.serial);
		c.serial_len = 16;
		c.subject = "CN=synthetic";
		c.profile = "person";
		c.not_before = time(NULL);
		c.not_after = c.not_before + 86400 * 365;
		c.issued_at = c.not_before;
		RAND_bytes(c.fingerprint, 32);
		c.der = fake_der;
		c.der_len = sizeof(fake_der);
		for (int j = 0; j < 16; j++)
			snprintf(hex + 2 * j, 3, "%02x", c.serial[j]);
		snprintf(detail, sizeof(detail), "ca=%s serial=%s profile=person subject=CN=synthetic",
		    gp_ca_name(ca), hex);
		if (gp_store_cert_add(st, &c) != 0 ||
		    gp_audit_append(st, "bench", "cert.issue", hex, detail) != 0)
			die("cert_add");
		gp_reason_from_name(&reason, reasons[i % 4]);
		ASN1_STRING_set(sn, c.serial, 16);
		X509_REVOKED_set_serialNumber(rv, sn);
		X509_REVOKED_set_revocationDate(rv, tm);
		ASN1_ENUMERATED_set(re, reason);
		X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, re, 0, 0);
		elen = i2d_X509_REVOKED(rv, &entry);
		if (gp_store_cert_set_status(st, c.ca_id, c.serial, 16, GP_STATUS_REVOKED, time(NULL),
		    reason, entry, (size_t)elen, NULL) != 0)
			die("set_status");
		snprintf(detail, sizeof(detail), "ca=%s serial=%s reason=%s", gp_ca_name(ca), hex,
		    reasons[i % 4]);
		if (gp_audit_append(st, "bench", "cert.revoke", hex, detail) != 0)
			die("audit");
		OPENSSL_free(entry);
		X509_REVOKED_free(rv);
		ASN1_INTEGER_free(sn);
		ASN1_TIME_free(tm);
		ASN1_ENUMERATED_free(re);
		if (i % 100000 == 99999) {
			if (gp_store_commit(st) != 0 || gp_store_begin(st) != 0)
				die("commit");
		}
	}
	if (gp_store_commit(st) != 0)
		die("commit");
	printf("fill %ld %.3f %.0f\n", n, now() - t0, n / (now() - t0));
	return 0;
}

static int
cmd_crl(gp_ca *ca, int delta)
{
	gp_crl_info *c = NULL;
	double t0 = now(), t;

	if (gp_ca_crl(&c, ca, delta, "bench") != 0)
		die("crl");
	t = now() - t0;
	printf("crl-%s %zu %.3f bytes\n", delta ? "delta" : "full", c->der_len, t);
	gp_crl_info_free(c);
	return 0;
}

int
main(int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	const char *pass = getenv("GOVPKI_PASSPHRASE");

	if (argc < 4 || pass == NULL) {
		fprintf(stderr, "usage: see the comment at the top of tests/bench/bench_ca.c\n");
		return 2;
	}
	if (gp_ctx_open(&ctx, NULL, argv[2], 0) != 0)
		die("open");
	if (gp_ca_open(&ca, ctx, argv[3], pass, strlen(pass)) != 0)
		die("ca");
	if (strcmp(argv[1], "issue") == 0 && argc == 7)
		cmd_issue(ctx, ca, argv[4], argv[5], atoi(argv[6]));
	else if ((strcmp(argv[1], "fill") == 0 || strcmp(argv[1], "revoke-more") == 0) && argc == 5)
		cmd_fill(ctx, ca, atol(argv[4]));
	else if (strcmp(argv[1], "crl") == 0 && argc == 5)
		cmd_crl(ca, strcmp(argv[4], "delta") == 0);
	else {
		fprintf(stderr, "bench_ca: bad arguments\n");
		return 2;
	}
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	return 0;
}
