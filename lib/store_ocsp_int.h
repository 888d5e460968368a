/* lib/store_ocsp_int.h: the store functions of the pre-signed OCSP responses for read-only replicas */
#ifndef GP_STORE_OCSP_INT_H
#define GP_STORE_OCSP_INT_H

#include "store_int.h"

/* Filled in by the module that owns it; one entry per store function. */
struct gp_store_ocsp_ops {
	int unused;
};

#endif
