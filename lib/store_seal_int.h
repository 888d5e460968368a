/* lib/store_seal_int.h: the store functions of the electronic seals and their status */
#ifndef GP_STORE_SEAL_INT_H
#define GP_STORE_SEAL_INT_H

#include <govpki/seal.h>

#include "store_int.h"

/* One entry per store function; each has the contract of the public
 * gp_store_seal_* function of the same name in govpki/seal.h (arguments
 * already checked by lib/store_seal.c). */
struct gp_store_seal_ops {
	int (*add)(gp_store *s, gp_seal_info *info);
	int (*get)(gp_store *s, const char *es_id, gp_seal_info **out);
	int (*set_status)(gp_store *s, const char *es_id, int status, int64_t when,
	    const char *reason);
	int (*list)(gp_store *s, int status, gp_seal_cb cb, void *arg);
};

#endif
