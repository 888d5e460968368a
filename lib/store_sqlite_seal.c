/* lib/store_sqlite_seal.c: the SQLite part of the electronic seals and their status */
#include "config.h"

#include "store_sqlite_int.h"
#include "store_seal_int.h"

/* No tables yet. */
const struct sq_part sq_part_seal = { "seal", 0, NULL };

const struct gp_store_seal_ops sq_seal_ops = { 0 };
