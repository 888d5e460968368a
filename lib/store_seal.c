/* lib/store_seal.c: the seal register's store interface: checks arguments, dispatches */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error_int.h"
#include "store_int.h"
#include "store_seal_int.h"

#define SEAL_OPS(s, fn) do { \
	if ((s) == NULL || (s)->ops == NULL) \
		return gp_err(GP_E_INVALID, "%s: no store", fn); \
	if ((s)->ops->seal == NULL || (s)->ops->seal->add == NULL) \
		return gp_err(GP_E_INVALID, "%s: the %s store has no seal register", fn, (s)->ops->name); \
} while (0)

static int
check_id(const char *fn, const char *es_id)
{
	if (es_id == NULL || *es_id == '\0' || strlen(es_id) > 128)
		return gp_err(GP_E_INVALID, "%s: a seal id of 1 to 128 characters is required", fn);
	return 0;
}

int
gp_store_seal_add(gp_store *s, gp_seal_info *info)
{
	int r;

	SEAL_OPS(s, "gp_store_seal_add");
	if (s->flags & GP_STORE_READONLY)
		return gp_err(GP_E_READONLY, "gp_store_seal_add: the store was opened read-only");
	if (info == NULL || info->der == NULL || info->der_len == 0 || info->name == NULL)
		return gp_err(GP_E_INVALID, "gp_store_seal_add: incomplete record");
	if ((r = check_id("gp_store_seal_add", info->es_id)) != 0)
		return r;
	return s->ops->seal->add(s, info);
}

int
gp_store_seal_get(gp_store *s, const char *es_id, gp_seal_info **out)
{
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_seal_get: no output");
	*out = NULL;
	SEAL_OPS(s, "gp_store_seal_get");
	if ((r = check_id("gp_store_seal_get", es_id)) != 0)
		return r;
	return s->ops->seal->get(s, es_id, out);
}

int
gp_store_seal_set_status(gp_store *s, const char *es_id, int status, int64_t when,
    const char *reason)
{
	int r;

	SEAL_OPS(s, "gp_store_seal_set_status");
	if (s->flags & GP_STORE_READONLY)
		return gp_err(GP_E_READONLY, "gp_store_seal_set_status: the store was opened read-only");
	if ((r = check_id("gp_store_seal_set_status", es_id)) != 0)
		return r;
	if (status != GP_SEAL_STATUS_GOOD && status != GP_SEAL_STATUS_REVOKED)
		return gp_err(GP_E_INVALID, "gp_store_seal_set_status: unknown status %d", status);
	return s->ops->seal->set_status(s, es_id, status, when, reason);
}

int
gp_store_seal_list(gp_store *s, int status, gp_seal_cb cb, void *arg)
{
	SEAL_OPS(s, "gp_store_seal_list");
	if (cb == NULL)
		return gp_err(GP_E_INVALID, "gp_store_seal_list: no callback");
	return s->ops->seal->list(s, status, cb, arg);
}

void
gp_seal_info_free(gp_seal_info *info)
{
	if (info == NULL)
		return;
	free(info->es_id);
	free(info->name);
	free(info->maker);
	free(info->reason);
	free(info->der);
	free(info);
}
