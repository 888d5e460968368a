/* tests/bench/bench_ocsp.c: library-level OCSP figures (gp_ocsp_respond without HTTP) */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <govpki/govpki.h>

/*
 * bench_ocsp respond HOME LISTFILE SECONDS THREADS
 *     answers the DER requests named in LISTFILE (one path a line) in a
 *     loop from THREADS threads for SECONDS, as the daemon would for POST;
 *     prints "respond <count> <seconds> <per-second> <per-cpu-second>" (the
 *     last divides by the CPU time the process used: the figure of one
 *     core, whatever else the machine runs).
 * Passphrase: GOVPKI_PASSPHRASE.
 */

typedef struct req { unsigned char *der; size_t len; } req;

static req *reqs;
static size_t nreqs;
static gp_ocsp_responder *resp;
static double seconds;

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

static void
die(const char *what)
{
	fprintf(stderr, "bench_ocsp: %s: %s\n", what, gp_error_last());
	exit(1);
}

static void *
worker(void *arg)
{
	size_t i = (size_t)arg, *count = malloc(sizeof(*count));
	double end = now() + seconds;

	*count = 0;
	while (now() < end) {
		int k;

		for (k = 0; k < 64; k++, i++) {
			gp_ocsp_resp *x = NULL;
			const req *q = &reqs[i % nreqs];

			if (gp_ocsp_respond(&x, NULL, resp, q->der, q->len, NULL, 0) != 0 ||
			    gp_ocsp_resp_status(x) != GP_OCSP_SUCCESSFUL)
				die("respond");
			gp_ocsp_resp_free(x);
			(*count)++;
		}
	}
	return count;
}

int
main(int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_ocsp_params p;
	const char *pass = getenv("GOVPKI_PASSPHRASE");
	char line[4096];
	FILE *f;
	pthread_t th[64];
	size_t total = 0, cap = 0;
	long nth, i;
	double t0, t, c0, c;

	if (argc != 6 || strcmp(argv[1], "respond") != 0) {
		fprintf(stderr, "usage: bench_ocsp respond HOME LISTFILE SECONDS THREADS\n");
		return 2;
	}
	seconds = atof(argv[4]);
	nth = atol(argv[5]);
	if (nth < 1 || nth > 64)
		nth = 1;
	if ((f = fopen(argv[3], "r")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL) {
		FILE *g;

		line[strcspn(line, "\n")] = '\0';
		if (nreqs == cap) {
			cap = cap ? 2 * cap : 256;
			reqs = realloc(reqs, cap * sizeof(*reqs));
		}
		if ((g = fopen(line, "rb")) == NULL)
			return 1;
		reqs[nreqs].der = malloc(1 << 16);
		reqs[nreqs].len = fread(reqs[nreqs].der, 1, 1 << 16, g);
		fclose(g);
		nreqs++;
	}
	fclose(f);
	if (nreqs == 0)
		return 1;
	if (gp_ctx_open(&ctx, NULL, argv[2], GP_CTX_READONLY) != 0)
		die("open");
	p = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	p.pass = pass;
	p.passlen = pass != NULL ? strlen(pass) : 0;
	if (gp_ocsp_responder_new(&resp, ctx, &p) != 0)
		die("responder");
	t0 = now();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, (void *)(size_t)(i * 7919));
	for (i = 0; i < nth; i++) {
		size_t *cnt;

		pthread_join(th[i], (void **)&cnt);
		total += *cnt;
		free(cnt);
	}
	t = now() - t0;
	c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("respond %zu %.3f %.0f %.0f\n", total, t, (double)total / t, (double)total / c);
	gp_ocsp_responder_free(resp);
	gp_ctx_free(ctx);
	return 0;
}
