/* lib/store_kmc_int.h: the store functions of the key management centre (escrowed keys, recoveries) */
#ifndef GP_STORE_KMC_INT_H
#define GP_STORE_KMC_INT_H

#include <govpki/kmc.h>

#include "store_int.h"

/*
 * Lib-internal: only the KMC (ca/kmc.c) reads and writes these rows, so
 * that an escrowed key leaves the store only through its checks.  Each
 * function checks its arguments (lib/store_kmc.c) and dispatches to the
 * backend's table below.
 */

/* Adds an escrow record (every field but id, which it sets); kid unique
 * (GP_E_EXISTS), as is (ca_id, serial) when serial is set. */
int gp_store_kmc_add(gp_store *s, gp_kmc_key_info *k);
/* The record of kid; GP_E_NOTFOUND.  *out: gp_kmc_key_info_free. */
int gp_store_kmc_get(gp_store *s, const char *kid, gp_kmc_key_info **out);
/* The record of the certificate (ca_id, serial), as its encryption or
 * its signing certificate; GP_E_NOTFOUND. */
int gp_store_kmc_get_cert(gp_store *s, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, gp_kmc_key_info **out);
/* Every record in the order they were made; cb's record is freed after
 * the call, a non-zero return stops the walk and is returned. */
int gp_store_kmc_list(gp_store *s, gp_kmc_key_cb cb, void *arg);

/* Recovery officers and requests (schema part kmc, version 2): the
 * contracts of the ops below. officer_add: GP_E_EXISTS for a taken name
 * or certificate; recovery_get: approvals counts the enabled officers';
 * approval_add: GP_E_EXISTS (no message) when that officer approved
 * already; recovery_done: GP_E_STATE when it was carried out already. */
int gp_store_kmc_officer_add(gp_store *s, const gp_kmc_officer *o);
int gp_store_kmc_officer_get(gp_store *s, const char *name, gp_kmc_officer **out);
int gp_store_kmc_officer_list(gp_store *s, gp_kmc_officer_cb cb, void *arg);
int gp_store_kmc_recovery_add(gp_store *s, gp_kmc_recovery *rec);
int gp_store_kmc_recovery_get(gp_store *s, int64_t id, gp_kmc_recovery **out);
int gp_store_kmc_approval_add(gp_store *s, int64_t id, const char *officer, int64_t when);
int gp_store_kmc_recovery_done(gp_store *s, int64_t id);

struct gp_store_kmc_ops {
	int (*add)(gp_store *s, gp_kmc_key_info *k);
	int (*get)(gp_store *s, const char *kid, gp_kmc_key_info **out);
	int (*get_cert)(gp_store *s, int64_t ca_id, const unsigned char *serial,
	    size_t serial_len, gp_kmc_key_info **out);
	int (*list)(gp_store *s, gp_kmc_key_cb cb, void *arg);
	int (*officer_add)(gp_store *s, const gp_kmc_officer *o);
	int (*officer_get)(gp_store *s, const char *name, gp_kmc_officer **out);
	int (*officer_list)(gp_store *s, gp_kmc_officer_cb cb, void *arg);
	int (*recovery_add)(gp_store *s, gp_kmc_recovery *rec);
	int (*recovery_get)(gp_store *s, int64_t id, gp_kmc_recovery **out);
	int (*approval_add)(gp_store *s, int64_t id, const char *officer, int64_t when);
	int (*recovery_done)(gp_store *s, int64_t id);
};

#endif
