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

static int
check_name(const char *fn, const char *name)
{
	if (name == NULL || *name == '\0' || strlen(name) > 128)
		return gp_err(GP_E_INVALID, "%s: an officer name of 1 to 128 characters is required", fn);
	return 0;
}

#define KMC_WRITABLE(s, fn) do { \
	if ((s)->flags & GP_STORE_READONLY) \
		return gp_err(GP_E_READONLY, "%s: the store was opened read-only", fn); \
} while (0)

int
gp_store_kmc_officer_add(gp_store *s, const gp_kmc_officer *o)
{
	int r;

	KMC_OPS(s, "gp_store_kmc_officer_add");
	KMC_WRITABLE(s, "gp_store_kmc_officer_add");
	if (o == NULL || o->role == NULL || o->cert == NULL || o->cert_len == 0)
		return gp_err(GP_E_INVALID, "gp_store_kmc_officer_add: incomplete record");
	if ((r = check_name("gp_store_kmc_officer_add", o->name)) != 0)
		return r;
	return s->ops->kmc->officer_add(s, o);
}

int
gp_store_kmc_officer_get(gp_store *s, const char *name, gp_kmc_officer **out)
{
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_kmc_officer_get: no output");
	*out = NULL;
	KMC_OPS(s, "gp_store_kmc_officer_get");
	if ((r = check_name("gp_store_kmc_officer_get", name)) != 0)
		return r;
	return s->ops->kmc->officer_get(s, name, out);
}

int
gp_store_kmc_officer_list(gp_store *s, gp_kmc_officer_cb cb, void *arg)
{
	KMC_OPS(s, "gp_store_kmc_officer_list");
	if (cb == NULL)
		return gp_err(GP_E_INVALID, "gp_store_kmc_officer_list: no callback");
	return s->ops->kmc->officer_list(s, cb, arg);
}

int
gp_store_kmc_recovery_add(gp_store *s, gp_kmc_recovery *rec)
{
	int r;

	KMC_OPS(s, "gp_store_kmc_recovery_add");
	KMC_WRITABLE(s, "gp_store_kmc_recovery_add");
	if (rec == NULL || rec->recipient == NULL || rec->recipient_len == 0 || rec->needed < 2)
		return gp_err(GP_E_INVALID, "gp_store_kmc_recovery_add: incomplete record");
	if ((r = check_kid("gp_store_kmc_recovery_add", rec->kid)) != 0 ||
	    (r = check_name("gp_store_kmc_recovery_add", rec->requester)) != 0)
		return r;
	return s->ops->kmc->recovery_add(s, rec);
}

int
gp_store_kmc_recovery_get(gp_store *s, int64_t id, gp_kmc_recovery **out)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_kmc_recovery_get: no output");
	*out = NULL;
	KMC_OPS(s, "gp_store_kmc_recovery_get");
	return s->ops->kmc->recovery_get(s, id, out);
}

int
gp_store_kmc_approval_add(gp_store *s, int64_t id, const char *officer, int64_t when)
{
	int r;

	KMC_OPS(s, "gp_store_kmc_approval_add");
	KMC_WRITABLE(s, "gp_store_kmc_approval_add");
	if ((r = check_name("gp_store_kmc_approval_add", officer)) != 0)
		return r;
	return s->ops->kmc->approval_add(s, id, officer, when);
}

int
gp_store_kmc_recovery_done(gp_store *s, int64_t id)
{
	KMC_OPS(s, "gp_store_kmc_recovery_done");
	KMC_WRITABLE(s, "gp_store_kmc_recovery_done");
	return s->ops->kmc->recovery_done(s, id);
}

void
gp_kmc_officer_free(gp_kmc_officer *o)
{
	if (o == NULL)
		return;
	free(o->name);
	free(o->role);
	free(o->cert);
	free(o);
}

void
gp_kmc_recovery_free(gp_kmc_recovery *rec)
{
	if (rec == NULL)
		return;
	free(rec->kid);
	free(rec->requester);
	free(rec->recipient);
	free(rec->reason);
	free(rec);
}
