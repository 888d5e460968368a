/* lib/store_backends.c: the store backends built into libgovpki, the first one the default */
#include "config.h"

#include "store_int.h"

/*
 * Each backend defines its struct gp_store_backend and is listed here, so
 * that lib/store.c knows none of them.  A list, not constructors that
 * register themselves: libgovpki_core is a static convenience library,
 * and the linker drops an object nothing refers to, constructor and all.
 */
extern const struct gp_store_backend gp_store_sqlite_backend;
#ifdef GP_HAVE_PG
extern const struct gp_store_backend gp_store_pg_backend;       /* lib/store_pg_file.c */
#endif

const struct gp_store_backend *const gp_store_backends[] = {
	&gp_store_sqlite_backend,       /* the embedded default */
#ifdef GP_HAVE_PG
	&gp_store_pg_backend,           /* postgresql://HOST/DATABASE (docs/postgresql.md) */
#endif
	NULL
};

const struct gp_store_absent gp_store_backends_absent[] = {
#ifndef GP_HAVE_PG
	{ "postgresql", "configure found no libpq (Debian libpq-dev) or was run --without-postgresql" },
#endif
	{ NULL, NULL }
};
