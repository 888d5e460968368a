/* lib/store_ra_int.h: the store functions of the RA workflow: requests, approvals, officers, API tokens */
#ifndef GP_STORE_RA_INT_H
#define GP_STORE_RA_INT_H

#include "store_int.h"

/* Filled in by the module that owns it; one entry per store function. */
struct gp_store_ra_ops {
	int unused;
};

#endif
