/* lib/store_kmc.c: the key management centre's store interface: checks arguments, dispatches */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error_int.h"
#include "store_int.h"
#include "store_kmc_int.h"

#define KMC_OPS(s, fn) do { \
	if ((s) == NULL || (s)->ops == NULL) \
		return gp_err(GP_E_INVALID, "%s: no store", fn); \
	if ((s)->ops->kmc == NULL || (s)->ops->kmc->add == NULL) \
		return gp_err(GP_E_INVALID, "%s: the %s store has no key management centre", \
		    fn, (s)->ops->name); \
} while (0)

static int
check_kid(const char *fn, const char *kid)
{
	if (kid == NULL || *kid == '\0' || strlen(kid) > 64)
		return gp_err(GP_E_INVALID, "%s: a key id of 1 to 64 characters is required", fn);
	return 0;
}

int
gp_store_kmc_add(gp_store *s, gp_kmc_key_info *k)
{
	int r;

	KMC_OPS(s, "gp_store_kmc_add");
	if (s->flags & GP_STORE_READONLY)
		return gp_err(GP_E_READONLY, "gp_store_kmc_add: the store was opened read-only");
	if (k == NULL || k->type == NULL || k->pub == NULL || k->pub_len == 0 ||
	    k->wrapped == NULL || k->wrapped_len == 0 || k->serial_len > sizeof(k->serial) ||
	    k->sign_serial_len > sizeof(k->sign_serial))
		return gp_err(GP_E_INVALID, "gp_store_kmc_add: incomplete record");
	if ((r = check_kid("gp_store_kmc_add", k->kid)) != 0)
		return r;
	return s->ops->kmc->add(s, k);
}

int
gp_store_kmc_get(gp_store *s, const char *kid, gp_kmc_key_info **out)
{
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_kmc_get: no output");
	*out = NULL;
	KMC_OPS(s, "gp_store_kmc_get");
	if ((r = check_kid("gp_store_kmc_get", kid)) != 0)
		return r;
	return s->ops->kmc->get(s, kid, out);
}

int
gp_store_kmc_get_cert(gp_store *s, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, gp_kmc_key_info **out)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_kmc_get_cert: no output");
	*out = NULL;
	KMC_OPS(s, "gp_store_kmc_get_cert");
	if (serial == NULL || serial_len == 0 || serial_len > 20)
		return gp_err(GP_E_INVALID, "gp_store_kmc_get_cert: a serial of 1 to 20 bytes is required");
	return s->ops->kmc->get_cert(s, ca_id, serial, serial_len, out);
}

int
gp_store_kmc_list(gp_store *s, gp_kmc_key_cb cb, void *arg)
{
	KMC_OPS(s, "gp_store_kmc_list");
	if (cb == NULL)
		return gp_err(GP_E_INVALID, "gp_store_kmc_list: no callback");
	return s->ops->kmc->list(s, cb, arg);
}

void
gp_kmc_key_info_free(gp_kmc_key_info *k)
{
	if (k == NULL)
		return;
	free(k->kid);
	free(k->type);
	free(k->holder);
	free(k->pub);
	if (k->wrapped != NULL)
		OPENSSL_cleanse(k->wrapped, k->wrapped_len);
	free(k->wrapped);
	free(k);
}
