/* ra/ra_int.h: the RA handle, inside the library */
#ifndef GP_RA_INT_H
#define GP_RA_INT_H

#include <govpki/ra.h>

/* Verified officer chains remembered by leaf fingerprint. */
#define RA_CHAIN_CACHE 16

struct ra_chain_ok {
	unsigned char fp[32];
	char ca[65];              /* the officer CA it was verified against */
	int64_t until;            /* earliest notAfter of the chain */
};

struct gp_ra {
	gp_ctx *ctx;              /* borrowed */
	gp_ca *ca;                /* borrowed, may be NULL */
	unsigned char ckey[32];   /* challenge HMAC key */
	int have_ckey;
	int64_t cttl;             /* challenge lifetime, seconds */
	STACK_OF(X509) *roots;    /* officer CA trust: its root */
	STACK_OF(X509) *inter;    /* and the CAs between */
	char *trust_ca;           /* the officer CA these were loaded for */
	struct ra_chain_ok cache[RA_CHAIN_CACHE];
	unsigned cache_next;
	int group;                /* a group is open: writes are savepoints */
};

#endif
