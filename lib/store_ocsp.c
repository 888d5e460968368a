/* lib/store_ocsp.c: the pre-signed OCSP responses' store interface: checks arguments, dispatches */
#include "config.h"

#include <stdlib.h>

#include "error_int.h"
#include "store_int.h"
#include "store_ocsp_int.h"

#define OCSP_OPS(s, fn) do { \
	if ((s) == NULL || (s)->ops == NULL) \
		return gp_err(GP_E_INVALID, "%s: no store", fn); \
	if ((s)->ops->ocsp == NULL || (s)->ops->ocsp->put == NULL) \
		return gp_err(GP_E_INVALID, "%s: the %s store keeps no pre-signed " \
		    "OCSP responses", fn, (s)->ops->name); \
} while (0)

static int
check_serial(const char *fn, const unsigned char *serial, size_t len)
{
	if (serial == NULL || len == 0 || len > GP_SERIAL_MAX)
		return gp_err(GP_E_INVALID, "%s: a serial of 1 to %d octets is required",
		    fn, GP_SERIAL_MAX);
	return 0;
}

int
gp_store_ocsp_put(gp_store *s, const gp_ocsp_presigned *p)
{
	int r;

	OCSP_OPS(s, "gp_store_ocsp_put");
	if (s->flags & GP_STORE_READONLY)
		return gp_err(GP_E_READONLY, "gp_store_ocsp_put: the store was opened read-only");
	if (p == NULL || p->ca_id <= 0 || p->der_sha1 == NULL || p->der_sha1_len == 0 ||
	    p->der_sha256 == NULL || p->der_sha256_len == 0 ||
	    p->next_update <= p->this_update)
		return gp_err(GP_E_INVALID, "gp_store_ocsp_put: incomplete record");
	if ((r = check_serial("gp_store_ocsp_put", p->serial, p->serial_len)) != 0)
		return r;
	return s->ops->ocsp->put(s, p);
}

int
gp_store_ocsp_get(gp_ocsp_presigned **out, gp_store *s, int64_t ca_id,
    const unsigned char *serial, size_t serial_len, int with_der)
{
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_ocsp_get: no output");
	*out = NULL;
	OCSP_OPS(s, "gp_store_ocsp_get");
	if ((r = check_serial("gp_store_ocsp_get", serial, serial_len)) != 0)
		return r;
	return s->ops->ocsp->get(out, s, ca_id, serial, serial_len, with_der);
}

int
gp_store_ocsp_run_add(gp_store *s, int64_t ca_id, int64_t at, int64_t revision,
    int64_t count)
{
	OCSP_OPS(s, "gp_store_ocsp_run_add");
	if (s->flags & GP_STORE_READONLY)
		return gp_err(GP_E_READONLY, "gp_store_ocsp_run_add: the store was opened read-only");
	if (ca_id <= 0 || count < 0 || revision < 0)
		return gp_err(GP_E_INVALID, "gp_store_ocsp_run_add: bad arguments");
	return s->ops->ocsp->run_add(s, ca_id, at, revision, count);
}

int
gp_store_ocsp_generation(int64_t *out, gp_store *s)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_ocsp_generation: no output");
	*out = 0;
	OCSP_OPS(s, "gp_store_ocsp_generation");
	return s->ops->ocsp->generation(out, s);
}

void
gp_ocsp_presigned_free(gp_ocsp_presigned *p)
{
	if (p == NULL)
		return;
	free(p->der_sha1);
	free(p->der_sha256);
	free(p);
}
