/* ra/enrol.h: what ra-server's enrolment protocols share (EST ra/est.c, SCEP ra/scep.c): writes, earlier requests, the CA chain */
#ifndef GP_ENROL_H
#define GP_ENROL_H

#include "ra_server.h"

/* Lower-case hex of b[0..n) into out (2 n + 1 bytes). */
void enrol_hex(char *out, const unsigned char *b, size_t n);

/*
 * A write of the writer thread, in one savepoint of its group: a
 * one-time secret used up (use: read again there, GP_E_DENIED with used
 * set when it was used already), an issued certificate (prep) or a
 * request for the officers (sub), and the audit entry (actor, action,
 * object, detail; " challenge=ID", " serial=HEX" and " request=ID" are
 * appended).  Zero it, fill it, enrol_write it; 0 once committed.
 */
struct enrol_write {
	const gp_ra_token *use;
	gp_issue_prep *prep;
	const gp_ra_submission *sub;
	int used;                      /* out: use was used already */
	int64_t req_id;                /* out: the request's id */
	unsigned char serial[GP_SERIAL_MAX];  /* out: the certificate's serial */
	size_t serial_len;
	const char *actor;
	char action[32];
	char object[GP_RA_MAX_NAME + 16];
	char detail[1800];
};
int enrol_write(struct enrol_write *x);

/* The latest issue request of submitter under profile (id 0: none): with
 * match_csr only those of the very CSR der count; without, the latest
 * and whether it has that CSR. */
struct enrol_prev {
	int64_t id;
	int status;
	int same_csr;
	unsigned char serial[GP_SERIAL_MAX];
	size_t serial_len;
	char reason[256];
	const unsigned char *der;      /* in */
	size_t len;
	int match_csr;
};
int enrol_prev(gp_ra *ra, struct enrol_prev *pv, const char *profile, const char *submitter,
    const unsigned char *der, size_t len, int match_csr);

/* The chain of CA ca as ra-server's CA sees it: *all every certificate
 * (the chain's order), *roots the self-issued ones, *inter the others;
 * each sk_X509_pop_free.  0, or -1 with nothing to free. */
int enrol_chain(STACK_OF(X509) **all, STACK_OF(X509) **roots, STACK_OF(X509) **inter,
    gp_ctx *ctx, const char *ca);

#endif
