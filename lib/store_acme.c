/* lib/store_acme.c: the ACME part of the store interface: checks arguments, dispatches to the backend */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error_int.h"
#include "store_acme_int.h"

/* Like lib/store_ra.c: arguments are checked and outputs cleared here. */
#define CHECK(s, cond) do { \
	if ((s) == NULL || (s)->ops == NULL || (s)->ops->acme == NULL) \
		return gp_err(GP_E_INVALID, "%s: no store with an ACME part", __func__); \
	if (!(cond)) \
		return gp_err(GP_E_INVALID, "%s: bad arguments", __func__); \
} while (0)

#define CHECK_WRITABLE(s) do { \
	if ((s)->flags & GP_STORE_READONLY) \
		return gp_err(GP_E_READONLY, "%s: the store was opened read-only", __func__); \
} while (0)

static const char *const status_names[GP_ACME__NSTATUS] = {
	"pending", "ready", "processing", "valid", "invalid", "deactivated", "revoked", "expired",
};

const char *
gp_acme_status_name(int status)
{
	return status >= 0 && status < GP_ACME__NSTATUS ? status_names[status] : "?";
}

static int
st_ok(int st)
{
	return st >= 0 && st < GP_ACME__NSTATUS;
}

void
gp_acme_account_free(gp_acme_account *a)
{
	if (a == NULL)
		return;
	free(a->profile);
	free(a->jwk);
	free(a->contact);
	free(a->eab_kid);
	free(a->client);
	free(a);
}

void
gp_acme_order_free(gp_acme_order *o)
{
	if (o == NULL)
		return;
	free(o->profile);
	free(o->identifiers);
	free(o->error);
	free(o);
}

void
gp_acme_authz_free(gp_acme_authz *z)
{
	if (z == NULL)
		return;
	free(z->value);
	free(z->error);
	free(z);
}

void
gp_acme_eab_free(gp_acme_eab *e)
{
	if (e == NULL)
		return;
	free(e->kid);
	free(e->profile);
	OPENSSL_cleanse(e->key, sizeof(e->key));
	free(e);
}

int
gp_store_acme_account_add(gp_store *s, gp_acme_account *a)
{
	CHECK(s, a != NULL && a->profile != NULL && a->jwk != NULL && st_ok(a->status) &&
	    strlen(a->jwk) <= GP_ACME_MAX_JWK);
	CHECK_WRITABLE(s);
	return s->ops->acme->account_add(s, a);
}

int
gp_store_acme_account_get(gp_store *s, int64_t id, const unsigned char *thumb,
    gp_acme_account **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, out != NULL && ((id > 0) != (thumb != NULL)));
	return s->ops->acme->account_get(s, id, thumb, out);
}

int
gp_store_acme_account_update(gp_store *s, int64_t id, int from, int to, const char *contact,
    const char *jwk, const unsigned char *thumb)
{
	CHECK(s, st_ok(from) && st_ok(to) && (jwk == NULL) == (thumb == NULL) &&
	    (jwk == NULL || strlen(jwk) <= GP_ACME_MAX_JWK));
	CHECK_WRITABLE(s);
	return s->ops->acme->account_update(s, id, from, to, contact, jwk, thumb);
}

int
gp_store_acme_account_cancel(gp_store *s, int64_t id, int64_t *nauthz, int64_t *norders)
{
	int64_t a = 0, o = 0;
	int r;

	if (nauthz != NULL)
		*nauthz = 0;
	if (norders != NULL)
		*norders = 0;
	CHECK(s, id > 0);
	CHECK_WRITABLE(s);
	if ((r = s->ops->acme->account_cancel(s, id, &a, &o)) == 0) {
		if (nauthz != NULL)
			*nauthz = a;
		if (norders != NULL)
			*norders = o;
	}
	return r;
}

int
gp_store_acme_account_count(gp_store *s, const char *client, int64_t since, int64_t *n,
    int64_t *first)
{
	if (n != NULL)
		*n = 0;
	if (first != NULL)
		*first = 0;
	CHECK(s, client != NULL && n != NULL && first != NULL);
	return s->ops->acme->account_count(s, client, since, n, first);
}

int
gp_store_acme_order_count(gp_store *s, int64_t account, int64_t since, int64_t *n,
    int64_t *first)
{
	if (n != NULL)
		*n = 0;
	if (first != NULL)
		*first = 0;
	CHECK(s, account > 0 && n != NULL && first != NULL);
	return s->ops->acme->order_count(s, account, since, n, first);
}

int
gp_store_acme_order_add(gp_store *s, gp_acme_order *o, gp_acme_authz *z, size_t n)
{
	CHECK(s, o != NULL && o->profile != NULL && o->identifiers != NULL && st_ok(o->status) &&
	    n > 0 && n <= GP_ACME_MAX_IDS && z != NULL);
	for (size_t i = 0; i < n; i++)
		CHECK(s, z[i].value != NULL && st_ok(z[i].status) &&
		    strlen(z[i].token) == GP_ACME_TOKEN_LEN);
	CHECK_WRITABLE(s);
	return s->ops->acme->order_add(s, o, z, n);
}

int
gp_store_acme_order_get(gp_store *s, int64_t id, gp_acme_order **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, out != NULL);
	return s->ops->acme->order_get(s, id, out);
}

int
gp_store_acme_order_authzs(gp_store *s, int64_t order_id, int64_t **ids, size_t *n)
{
	int64_t *v = NULL;
	size_t nv = 0;
	int r;

	if (ids != NULL)
		*ids = NULL;
	if (n != NULL)
		*n = 0;
	CHECK(s, ids != NULL && n != NULL);
	/* the backend's array is malloc'ed; the API's is gp_free'd (govpki/mem.h) */
	if ((r = s->ops->acme->order_authzs(s, order_id, &v, &nv)) == 0 && nv > 0 &&
	    (*ids = OPENSSL_memdup(v, nv * sizeof(*v))) == NULL)
		r = gp_err(GP_E_NOMEM, "out of memory");
	if (r == 0)
		*n = nv;
	free(v);
	return r;
}

int
gp_store_acme_order_set(gp_store *s, int64_t id, int from, int to, const char *error,
    const unsigned char *serial, size_t serial_len, int64_t ra_request)
{
	CHECK(s, st_ok(from) && st_ok(to) && serial_len <= GP_SERIAL_MAX &&
	    (serial != NULL || serial_len == 0) && ra_request >= 0);
	CHECK_WRITABLE(s);
	return s->ops->acme->order_set(s, id, from, to, error, serial, serial_len, ra_request);
}

int
gp_store_acme_order_by_serial(gp_store *s, const unsigned char *serial, size_t serial_len,
    gp_acme_order **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, out != NULL && serial != NULL && serial_len > 0 && serial_len <= GP_SERIAL_MAX);
	return s->ops->acme->order_by_serial(s, serial, serial_len, out);
}

int
gp_store_acme_authz_get(gp_store *s, int64_t id, gp_acme_authz **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, out != NULL);
	return s->ops->acme->authz_get(s, id, out);
}

int
gp_store_acme_authz_set(gp_store *s, int64_t id, int from, int to, int chall, int chall_status,
    const char *error, int64_t validated)
{
	CHECK(s, st_ok(from) && st_ok(to) && chall >= -1 && chall < GP_ACME__NCHALL &&
	    st_ok(chall_status) && validated >= 0);
	CHECK_WRITABLE(s);
	return s->ops->acme->authz_set(s, id, from, to, chall, chall_status, error, validated);
}

int
gp_store_acme_eab_add(gp_store *s, const gp_acme_eab *e)
{
	CHECK(s, e != NULL && e->kid != NULL && e->kid[0] != '\0' && e->profile != NULL);
	CHECK_WRITABLE(s);
	return s->ops->acme->eab_add(s, e);
}

int
gp_store_acme_eab_get(gp_store *s, const char *kid, gp_acme_eab **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK(s, out != NULL && kid != NULL);
	return s->ops->acme->eab_get(s, kid, out);
}

int
gp_store_acme_eab_use(gp_store *s, const char *kid, int64_t account)
{
	CHECK(s, kid != NULL && account > 0);
	CHECK_WRITABLE(s);
	return s->ops->acme->eab_use(s, kid, account);
}
