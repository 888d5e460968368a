/* lib/store_sqlite_ocsp.c: the SQLite part of the pre-signed OCSP responses for read-only replicas */
#include "config.h"

#include "store_sqlite_int.h"
#include "store_ocsp_int.h"

/* No tables yet. */
const struct sq_part sq_part_ocsp = { "ocsp", 0, NULL };

const struct gp_store_ocsp_ops sq_ocsp_ops = { 0 };
