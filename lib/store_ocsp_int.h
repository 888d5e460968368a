/* lib/store_ocsp_int.h: the store functions of the pre-signed OCSP responses for read-only replicas */
#ifndef GP_STORE_OCSP_INT_H
#define GP_STORE_OCSP_INT_H

#include <govpki/ocsp.h>

#include "store_int.h"

/* One entry per store function; each has the contract of the public
 * gp_store_ocsp_* function of the same name in govpki/ocsp.h (arguments
 * already checked by lib/store_ocsp.c). */
struct gp_store_ocsp_ops {
	int (*put)(gp_store *s, const gp_ocsp_presigned *p);
	int (*get)(gp_ocsp_presigned **out, gp_store *s, int64_t ca_id,
	    const unsigned char *serial, size_t serial_len, int with_der);
	int (*run_add)(gp_store *s, int64_t ca_id, int64_t at, int64_t revision,
	    int64_t count);
	int (*generation)(int64_t *out, gp_store *s);
};

#endif
