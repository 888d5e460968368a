/* lib/store_ra_int.h: the store functions of the RA workflow: requests, approvals, officers, API tokens */
#ifndef GP_STORE_RA_INT_H
#define GP_STORE_RA_INT_H

#include <govpki/ra.h>

#include "store_int.h"

/* One entry per gp_store_ra_* function of govpki/ra.h, same contract;
 * lib/store_ra.c has checked the arguments and cleared the outputs. */
struct gp_store_ra_ops {
	int (*req_add)(gp_store *s, gp_ra_request *req);
	int (*req_get)(gp_store *s, int64_t id, gp_ra_request **out);
	int (*req_list)(gp_store *s, const gp_ra_filter *f, gp_ra_request_cb cb, void *arg);
	int (*req_set_status)(gp_store *s, int64_t id, int from, int to,
	    const char *reason, const unsigned char *serial, size_t serial_len, int64_t when);
	int (*req_count)(gp_store *s, int64_t counts[GP_RA__NSTATUS]);
	int (*approval_add)(gp_store *s, int64_t req_id, const char *officer,
	    const char *comment, int64_t when, int *count);
	int (*officer_add)(gp_store *s, const gp_ra_officer *o);
	int (*officer_get)(gp_store *s, const char *name, const unsigned char *fp,
	    gp_ra_officer **out);
	int (*officer_set_enabled)(gp_store *s, const char *name, int enabled);
	int (*officer_list)(gp_store *s, gp_ra_officer_cb cb, void *arg);
	int (*token_add)(gp_store *s, gp_ra_token *t);
	int (*token_get)(gp_store *s, const unsigned char hash[32], gp_ra_token **out);
	int (*token_revoke)(gp_store *s, int64_t id);
	int (*token_list)(gp_store *s, gp_ra_token_cb cb, void *arg);
	int (*savepoint)(gp_store *s, int what);
	int (*challenge_use)(gp_store *s, const char *challenge, int64_t expires, int64_t now);
};

/* The columns of the RA tables in the order both backends read them
 * (the same schema in lib/store_sqlite_ra.c and lib/store_pg_ra.c). */
#define RA_REQ_COLS "id, kind, status, ca, profile, subject, sans, contact_name," \
	" contact_email, contact_phone, submitter, submitted, updated," \
	" approvals_needed, revoke_reason, reason, serial, csr"
#define RA_OFFICER_COLS "name, role, ca_id, serial, fingerprint, subject, enabled, created"
#define RA_TOKEN_COLS "id, name, hash, profiles, expires, revoked, created"

/* Deep copies for the backends (lib/store_ra.c); the caller frees *out
 * with gp_ra_officer_free / gp_ra_token_free. */
int gp_ra_officer_dup(gp_ra_officer **out, const gp_ra_officer *b);
int gp_ra_token_dup(gp_ra_token **out, const gp_ra_token *b);

#endif
