/* lib/store_sqlite_ra.c: the SQLite part of the RA workflow: requests, approvals, officers, API tokens */
#include "config.h"

#include "store_sqlite_int.h"
#include "store_ra_int.h"

/* No tables yet. */
const struct sq_part sq_part_ra = { "ra", 0, NULL };

const struct gp_store_ra_ops sq_ra_ops = { 0 };
