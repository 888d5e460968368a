/* svs/svs_fetch.h: svs-server's revocation data: CRLs fetched from their distribution points (libcurl) and OCSP answers, cached */
#ifndef SVS_FETCH_H
#define SVS_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <openssl/x509.h>

/*
 * One cache for the service, shared by its threads (a mutex).  A CRL is
 * kept until its nextUpdate, and at most crl_max seconds after it was
 * fetched (the bound within which a new revocation reaches the answers);
 * an OCSP answer until its nextUpdate, at most ocsp_max seconds after it
 * was fetched.  After that the next request that needs it fetches it again
 * (on demand).
 */
typedef struct svs_cache svs_cache;

int svs_cache_new(svs_cache **out, long crl_max, long ocsp_max);
void svs_cache_free(svs_cache *c);

/*
 * For each certificate of certs, each http:// URI of its
 * cRLDistributionPoints (RFC 5280 §4.2.1.13, fullName): the CRL from the
 * cache, or fetched now (HTTP GET, at most 1 MiB, DER or PEM, 5 s), pushed
 * onto crls (a reference the caller frees with the stack).  Each URL is
 * described in info (a JSON array): url, issuer, this_update, next_update,
 * age_seconds, cached (true: it came from the cache), or error.
 * Returns the number of CRLs added.
 */
int svs_cache_crls(svs_cache *c, STACK_OF(X509) *certs, STACK_OF(X509_CRL) *crls, json_t *info);

/* What one request's OCSP fetches did (the fetch callback's argument). */
typedef struct svs_ocsp_use {
	svs_cache *cache;
	int hits, fetches, failures;
	int64_t oldest;            /* the fetch time of the oldest answer used (unix); 0: none */
} svs_ocsp_use;

/* A gp_verify_fetch_fn (govpki/verify.h) with arg an svs_ocsp_use: the
 * answer from the cache while it is current, else from the responder
 * (gp_verify_http_fetch), kept when it is a successful response.  The
 * verifier must send no nonce (GP_OCSP_NONCE_NONE), so that the same
 * question has the same bytes. */
int svs_ocsp_fetch(unsigned char **resp, size_t *resp_len, void *arg, const char *url,
    const unsigned char *req, size_t req_len, int timeout);

/* Prometheus text (version 0.0.4) of the cache into f: entries, the age
 * and the time to nextUpdate of each CRL by URL, fetches and failures. */
void svs_cache_metrics(svs_cache *c, FILE *f);

#endif
