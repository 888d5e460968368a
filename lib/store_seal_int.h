/* lib/store_seal_int.h: the store functions of the electronic seals and their status */
#ifndef GP_STORE_SEAL_INT_H
#define GP_STORE_SEAL_INT_H

#include "store_int.h"

/* Filled in by the module that owns it; one entry per store function. */
struct gp_store_seal_ops {
	int unused;
};

#endif
