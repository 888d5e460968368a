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

/* The CAs above an officer's certificate, from its issuing CA up to the
 * root: each CA's certificate as a certificate of its parent, whose status
 * is read at every login.  Made once per issuing CA (the hierarchy does
 * not change; statuses do). */
#define RA_ANCESTRY_MAX 8
#define RA_ANCESTRY_CACHE 4

struct ra_ancestry {
	int64_t ca_id;            /* the issuing CA; 0: slot unused */
	int n;
	struct {
		int64_t parent;       /* the CA that issued this CA's certificate */
		unsigned char sn[GP_SERIAL_MAX];
		size_t snlen;
		char name[65];        /* this CA's name */
	} up[RA_ANCESTRY_MAX];
};

struct gp_ra {
	gp_ctx *ctx;              /* borrowed */
	gp_ca *ca;                /* borrowed, may be NULL */
	unsigned char ckey[32];   /* challenge HMAC key */
	int have_ckey;
	int64_t cttl;             /* challenge lifetime, seconds */
	char *trust_ca;           /* the officer CA (officers: its or below) */
	int64_t trust_ca_id;      /* its id in the store */
	struct ra_chain_ok cache[RA_CHAIN_CACHE];
	unsigned cache_next;
	struct ra_ancestry anc[RA_ANCESTRY_CACHE];
	unsigned anc_next;
	int group;                /* a group is open: writes are savepoints */
};

/* Who acts (govpki/ra.h). */
struct gp_ra_principal {
	int kind;                 /* GP_RA_PRINCIPAL_* */
	char name[GP_RA_MAX_NAME + 48];  /* "officer:NAME", "token:ID", "holder:HEX", actor */
	char officer[GP_RA_MAX_NAME + 1];  /* OFFICER: its name */
	int role;                 /* OFFICER: GP_RA_ROLE_* */
	char *profiles;           /* TOKEN: its scope, "a,b" or "*" */
	unsigned char serial[GP_SERIAL_MAX];  /* HOLDER: its certificate */
	size_t serial_len;
};

#endif
