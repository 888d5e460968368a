/* lib/store_acme_int.h: the store functions of the ACME server: accounts, orders, authorizations, EAB keys */
#ifndef GP_STORE_ACME_INT_H
#define GP_STORE_ACME_INT_H

#include <govpki/acme.h>

#include "store_int.h"

/* One entry per gp_store_acme_* function of govpki/acme.h, same contract;
 * lib/store_acme.c has checked the arguments and cleared the outputs. */
struct gp_store_acme_ops {
	int (*account_add)(gp_store *s, gp_acme_account *a);
	int (*account_get)(gp_store *s, int64_t id, const unsigned char *thumb,
	    gp_acme_account **out);
	int (*account_update)(gp_store *s, int64_t id, int from, int to, const char *contact,
	    const char *jwk, const unsigned char *thumb);
	int (*account_cancel)(gp_store *s, int64_t id, int64_t *nauthz, int64_t *norders);
	int (*account_count)(gp_store *s, const char *client, int64_t since, int64_t *n,
	    int64_t *first);
	int (*order_count)(gp_store *s, int64_t account, int64_t since, int64_t *n, int64_t *first);
	int (*order_add)(gp_store *s, gp_acme_order *o, gp_acme_authz *z, size_t n);
	int (*order_get)(gp_store *s, int64_t id, gp_acme_order **out);
	int (*order_authzs)(gp_store *s, int64_t order_id, int64_t **ids, size_t *n); /* malloc'ed */
	int (*order_set)(gp_store *s, int64_t id, int from, int to, const char *error,
	    const unsigned char *serial, size_t serial_len, int64_t ra_request);
	int (*order_by_serial)(gp_store *s, const unsigned char *serial, size_t serial_len,
	    gp_acme_order **out);
	int (*authz_get)(gp_store *s, int64_t id, gp_acme_authz **out);
	int (*authz_set)(gp_store *s, int64_t id, int from, int to, int chall, int chall_status,
	    const char *error, int64_t validated);
	int (*eab_add)(gp_store *s, const gp_acme_eab *e);
	int (*eab_get)(gp_store *s, const char *kid, gp_acme_eab **out);
	int (*eab_use)(gp_store *s, const char *kid, int64_t account);
};

#endif
