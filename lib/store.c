/* lib/store.c: the store interface: picks a backend, checks arguments, dispatches */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error_int.h"
#include "store_int.h"
#include "util.h"

/*
 * Every public gp_store_* function checks its arguments here, clears its
 * out-parameters, refuses writes on a read-only store, and then calls the
 * backend through s->ops.  Backends may therefore assume valid arguments.
 */

#define CHECK_STORE(s) do { \
	if ((s) == NULL || (s)->ops == NULL) \
		return gp_err(GP_E_INVALID, "%s: no store", __func__); \
} while (0)

#define CHECK_WRITABLE(s) do { \
	if ((s)->flags & GP_STORE_READONLY) \
		return gp_err(GP_E_READONLY, "%s: the store was opened read-only", __func__); \
} while (0)

static int
check_serial(const char *fn, const unsigned char *serial, size_t len)
{
	if (serial == NULL || len == 0)
		return gp_err(GP_E_INVALID, "%s: no serial number", fn);
	if (len > GP_SERIAL_MAX)	/* RFC 5280 §4.1.2.2 */
		return gp_err(GP_E_INVALID, "%s: serial number of %zu octets (at most %d)",
		    fn, len, GP_SERIAL_MAX);
	return 0;
}

static int
check_status(const char *fn, int status, int reason)
{
	if (status != GP_STATUS_GOOD && status != GP_STATUS_REVOKED &&
	    status != GP_STATUS_HOLD)
		return gp_err(GP_E_INVALID, "%s: unknown certificate status %d", fn, status);
	/* RFC 5280 §5.3.1: 0..10, 7 unused */
	if (reason != GP_REASON_NONE && (reason < 0 || reason > 10 || reason == 7))
		return gp_err(GP_E_INVALID, "%s: unknown CRL reason %d", fn, reason);
	return 0;
}

/*
 * The backend of uri: "SCHEME:LOCATION" (a local backend also takes
 * "SCHEME://LOCATION"), else the default backend for anything that is not
 * "scheme://..." (the scheme before any '/').  *location points into uri.
 */
int
gp_store_backend_of(const struct gp_store_backend **out, const char **location,
    const char *uri)
{
	const char *colon = strstr(uri, "://"), *slash = strchr(uri, '/');
	size_t i, n;

	*out = NULL;
	*location = NULL;
	for (i = 0; gp_store_backends[i] != NULL; i++) {
		const struct gp_store_backend *b = gp_store_backends[i];

		n = strlen(b->scheme);
		if (strncmp(uri, b->scheme, n) != 0 || uri[n] != ':')
			continue;
		*location = uri + n + 1;
		if (b->local && strncmp(*location, "//", 2) == 0)
			*location += 2;
		if (**location == '\0')
			return gp_err(GP_E_INVALID, "store URI '%s' has no location", uri);
		*out = b;
		return 0;
	}
	for (i = 0; gp_store_backends_absent[i].scheme != NULL; i++) {
		const struct gp_store_absent *a = &gp_store_backends_absent[i];

		n = strlen(a->scheme);
		if (strncmp(uri, a->scheme, n) == 0 && uri[n] == ':')
			return gp_err(GP_E_INVALID, "store URI '%s': this build has no %s "
			    "backend (%s)", uri, a->scheme, a->why);
	}
	if (colon != NULL && (slash == NULL || colon < slash))
		return gp_err(GP_E_INVALID, "unsupported store backend in '%s' "
		    "(use %s:LOCATION or a file path)", uri, gp_store_backends[0]->scheme);
	*out = gp_store_backends[0];
	*location = uri;
	return 0;
}

const struct gp_store_backend *
gp_store_backend_named(const char *scheme)
{
	for (size_t i = 0; scheme != NULL && gp_store_backends[i] != NULL; i++)
		if (strcmp(gp_store_backends[i]->scheme, scheme) == 0)
			return gp_store_backends[i];
	return NULL;
}

int
gp_store_uri_resolve(char **out, const char *home, const char *uri)
{
	const struct gp_store_backend *b = NULL;
	const char *path = NULL;
	size_t len;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_uri_resolve: no output");
	*out = NULL;
	if (uri == NULL || *uri == '\0')
		return gp_err(GP_E_INVALID, "gp_store_uri_resolve: no store URI");
	/* another backend's URI goes on unchanged: gp_store_open names it */
	if (gp_store_backend_of(&b, &path, uri) != 0) {
		gp_error_clear();
		return gp_ostrdup(out, uri);
	}
	if (!b->local || path[0] == '/' || home == NULL) {
		if (b == gp_store_backends[0] || path == uri)
			return gp_ostrdup(out, path);
		return gp_ostrdup(out, uri);
	}
	/* "SCHEME:" stays on a relative path of a backend other than the default */
	len = strlen(b->scheme) + strlen(home) + strlen(path) + 3;
	if ((*out = OPENSSL_malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if (b == gp_store_backends[0])
		snprintf(*out, len, "%s/%s", home, path);
	else
		snprintf(*out, len, "%s:%s/%s", b->scheme, home, path);
	return 0;
}

/* uri: "SCHEME:LOCATION" of a backend of lib/store_backends.c, or a plain
 * path (the default backend); any other "scheme://" is refused. */
int
gp_store_open(gp_store **out, const char *uri, int flags)
{
	const struct gp_store_backend *b = NULL;
	const char *loc = NULL;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_open: no output");
	*out = NULL;
	if (uri == NULL || *uri == '\0')
		return gp_err(GP_E_INVALID, "gp_store_open: no store path");
	if (flags & ~(GP_STORE_READONLY | GP_STORE_CREATE))
		return gp_err(GP_E_INVALID, "gp_store_open: unknown flags 0x%x", flags);
	if ((r = gp_store_backend_of(&b, &loc, uri)) != 0)
		return r;
	return b->open(out, loc, flags);
}

/* The backend of uri for function fn, which refuses an empty uri. */
static int
backend_at(const char *fn, const char *uri, const struct gp_store_backend **b,
    const char **loc)
{
	if (uri == NULL || *uri == '\0')
		return gp_err(GP_E_INVALID, "%s: no store URI", fn);
	return gp_store_backend_of(b, loc, uri);
}

int
gp_store_exists(int *out, const char *uri)
{
	const struct gp_store_backend *b = NULL;
	const char *loc = NULL;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_exists: no output");
	*out = 0;
	if ((r = backend_at(__func__, uri, &b, &loc)) != 0)
		return r;
	return b->exists(loc, out);
}

int
gp_store_remove(const char *uri)
{
	const struct gp_store_backend *b = NULL;
	const char *loc = NULL;
	int r;

	if ((r = backend_at(__func__, uri, &b, &loc)) != 0)
		return r;
	return b->remove(loc);
}

int
gp_store_restore(const char *uri, gp_store_read_fn rd, void *arg)
{
	const struct gp_store_backend *b = NULL;
	const char *loc = NULL;
	int r;

	if (rd == NULL)
		return gp_err(GP_E_INVALID, "gp_store_restore: no stream");
	if ((r = backend_at(__func__, uri, &b, &loc)) != 0)
		return r;
	return b->restore(loc, rd, arg);
}

int
gp_store_dump(gp_store *s, gp_store_write_fn wr, void *arg)
{
	CHECK_STORE(s);
	if (wr == NULL)
		return gp_err(GP_E_INVALID, "gp_store_dump: no stream");
	if (s->ops->dump == NULL)
		return gp_err(GP_E_STATE, "the %s store cannot be dumped", s->ops->name);
	return s->ops->dump(s, wr, arg);
}

void
gp_store_close(gp_store *s)
{
	if (s == NULL || s->ops == NULL)
		return;
	s->ops->close(s);
}

int
gp_store_begin(gp_store *s)
{
	CHECK_STORE(s);
	CHECK_WRITABLE(s);
	return s->ops->begin(s);
}

int
gp_store_commit(gp_store *s)
{
	CHECK_STORE(s);
	return s->ops->commit(s);
}

int
gp_store_rollback(gp_store *s)
{
	CHECK_STORE(s);
	return s->ops->rollback(s);
}

int
gp_store_revision(gp_store *s, int64_t *out)
{
	if (out != NULL)
		*out = 0;
	CHECK_STORE(s);
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_revision: no output");
	return s->ops->revision(s, out);
}

int
gp_store_ca_add(gp_store *s, gp_ca_info *ca)
{
	CHECK_STORE(s);
	if (ca == NULL || ca->name == NULL || *ca->name == '\0')
		return gp_err(GP_E_INVALID, "gp_store_ca_add: a CA needs a name");
	if (ca->key_uri == NULL || ca->key_type == NULL)
		return gp_err(GP_E_INVALID, "gp_store_ca_add: CA '%s' needs a key URI and type",
		    ca->name);
	if (ca->parent_id < 0)
		return gp_err(GP_E_INVALID, "gp_store_ca_add: bad parent id %lld",
		    (long long)ca->parent_id);
	if (ca->cert_der == NULL && ca->cert_len != 0)
		return gp_err(GP_E_INVALID, "gp_store_ca_add: certificate length without data");
	CHECK_WRITABLE(s);
	return s->ops->ca_add(s, ca);
}

int
gp_store_ca_get(gp_store *s, const char *name, gp_ca_info **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK_STORE(s);
	if (out == NULL || name == NULL)
		return gp_err(GP_E_INVALID, "gp_store_ca_get: no name or output");
	return s->ops->ca_get(s, name, 0, out);
}

int
gp_store_ca_get_id(gp_store *s, int64_t id, gp_ca_info **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK_STORE(s);
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_ca_get_id: no output");
	if (id <= 0)
		return gp_err(GP_E_NOTFOUND, "no CA with id %lld", (long long)id);
	return s->ops->ca_get(s, NULL, id, out);
}

int
gp_store_ca_list(gp_store *s, gp_ca_info ***out, size_t *n)
{
	if (out != NULL)
		*out = NULL;
	if (n != NULL)
		*n = 0;
	CHECK_STORE(s);
	if (out == NULL || n == NULL)
		return gp_err(GP_E_INVALID, "gp_store_ca_list: no output");
	return s->ops->ca_list(s, out, n);
}

void
gp_ca_info_free(gp_ca_info *ca)
{
	if (ca == NULL)
		return;
	free(ca->name);
	free(ca->key_uri);
	free(ca->key_type);
	free(ca->cert_der);
	free(ca);
}

void
gp_ca_info_list_free(gp_ca_info **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		gp_ca_info_free(list[i]);
	free(list);
}

int
gp_store_cert_add(gp_store *s, gp_cert_info *cert)
{
	int r;

	CHECK_STORE(s);
	if (cert == NULL)
		return gp_err(GP_E_INVALID, "gp_store_cert_add: no certificate");
	if ((r = check_serial(__func__, cert->serial, cert->serial_len)) != 0 ||
	    (r = check_status(__func__, cert->status, cert->reason)) != 0)
		return r;
	if (cert->ca_id <= 0)
		return gp_err(GP_E_INVALID, "gp_store_cert_add: no CA id");
	if (cert->subject == NULL)
		return gp_err(GP_E_INVALID, "gp_store_cert_add: no subject");
	if (cert->der == NULL || cert->der_len == 0)
		return gp_err(GP_E_INVALID, "gp_store_cert_add: no certificate DER");
	CHECK_WRITABLE(s);
	return s->ops->cert_add(s, cert);
}

int
gp_store_cert_get(gp_store *s, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, gp_cert_info **out)
{
	int r;

	if (out != NULL)
		*out = NULL;
	CHECK_STORE(s);
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_cert_get: no output");
	if ((r = check_serial(__func__, serial, serial_len)) != 0)
		return r;
	return s->ops->cert_get(s, ca_id, serial, serial_len, out);
}

int
gp_store_cert_status(gp_store *s, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, int *status, int64_t *revoked_at, int *reason)
{
	int r, st = GP_STATUS_GOOD, rs = GP_REASON_NONE;
	int64_t at = 0;

	if (status != NULL)
		*status = GP_STATUS_GOOD;
	if (revoked_at != NULL)
		*revoked_at = 0;
	if (reason != NULL)
		*reason = GP_REASON_NONE;
	CHECK_STORE(s);
	if (status == NULL)
		return gp_err(GP_E_INVALID, "gp_store_cert_status: no output");
	if ((r = check_serial(__func__, serial, serial_len)) != 0)
		return r;
	if ((r = s->ops->cert_status(s, ca_id, serial, serial_len, &st, &at, &rs)) != 0)
		return r;
	*status = st;
	if (revoked_at != NULL)
		*revoked_at = at;
	if (reason != NULL)
		*reason = rs;
	return 0;
}

int
gp_store_cert_set_status(gp_store *s, int64_t ca_id, const unsigned char *serial,
    size_t serial_len, int status, int64_t revoked_at, int reason,
    const unsigned char *entry, size_t entry_len, int64_t *revision)
{
	int r;

	if (revision != NULL)
		*revision = 0;
	CHECK_STORE(s);
	if ((r = check_serial(__func__, serial, serial_len)) != 0 ||
	    (r = check_status(__func__, status, reason)) != 0)
		return r;
	if (entry == NULL && entry_len != 0)
		return gp_err(GP_E_INVALID, "gp_store_cert_set_status: entry length without data");
	/* a full CRL is built from these entries: a revoked certificate without
	 * one would silently vanish from it (RFC 5280 §5.1.2.6) */
	if (status != GP_STATUS_GOOD && (entry == NULL || entry_len == 0))
		return gp_err(GP_E_INVALID, "gp_store_cert_set_status: a revoked "
		    "certificate needs its CRL entry");
	CHECK_WRITABLE(s);
	return s->ops->cert_set_status(s, ca_id, serial, serial_len, status,
	    revoked_at, reason, entry, entry_len, revision);
}

int
gp_store_cert_list(gp_store *s, const gp_cert_filter *filter, gp_cert_cb cb, void *arg)
{
	gp_cert_filter f;
	int r;

	CHECK_STORE(s);
	if (cb == NULL)
		return gp_err(GP_E_INVALID, "gp_store_cert_list: no filter or callback");
	/* a caller built before expires_after passes a filter ending at limit:
	 * the rest reads as zero, "any" */
	if ((r = gp_params_in(&f, sizeof(f), filter, GP_PARAMS_END(gp_cert_filter, limit),
	    "gp_store_cert_list")) != 0)
		return r;
	if (f.limit < 0)
		return gp_err(GP_E_INVALID, "gp_store_cert_list: negative limit");
	return s->ops->cert_list(s, &f, cb, arg);
}

int
gp_store_cert_count(gp_store *s, int64_t ca_id, int64_t *out)
{
	if (out != NULL)
		*out = 0;
	CHECK_STORE(s);
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_cert_count: no output");
	return s->ops->cert_count(s, ca_id, out);
}

int
gp_store_cert_changed(gp_store *s, int64_t since_rev, gp_cert_cb cb, void *arg)
{
	CHECK_STORE(s);
	if (cb == NULL)
		return gp_err(GP_E_INVALID, "gp_store_cert_changed: no callback");
	return s->ops->cert_changed(s, since_rev, cb, arg);
}

int
gp_cert_info_dup(gp_cert_info **out, const gp_cert_info *b)
{
	gp_cert_info *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	*c = *b;
	c->subject = c->sans = c->profile = NULL;
	c->der = NULL;
	c->der_len = 0;
	if ((r = gp_strdup(&c->subject, b->subject)) != 0 ||
	    (r = gp_strdup(&c->sans, b->sans)) != 0 ||
	    (r = gp_strdup(&c->profile, b->profile)) != 0)
		goto out;
	if (b->der_len > 0) {
		if ((c->der = malloc(b->der_len)) == NULL) {
			r = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(c->der, b->der, b->der_len);
		c->der_len = b->der_len;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	gp_cert_info_free(c);
	return r;
}

int
gp_store_busy_timeout_ms(void)
{
	const char *e = getenv("GOVPKI_BUSY_TIMEOUT_MS");
	char *end;
	long v;

	if (e == NULL || *e == '\0')
		return GP_STORE_BUSY_TIMEOUT_MS;
	errno = 0;
	v = strtol(e, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return GP_STORE_BUSY_TIMEOUT_MS;
	return (int)v;
}

int
gp_store_not_issued(int64_t ca_id, const unsigned char *serial, size_t serial_len)
{
	char hex[2 * GP_SERIAL_MAX + 1];

	gp_hex_encode(hex, serial, serial_len);
	return gp_err(GP_E_NOTFOUND, "serial %s was not issued by CA %lld", hex,
	    (long long)ca_id);
}

int
gp_store_crl_number_after(int64_t ca_id, int64_t max, int64_t *out)
{
	*out = 0;
	if (max == INT64_MAX)
		return gp_err(GP_E_STATE, "CRL numbers of CA %lld are exhausted",
		    (long long)ca_id);
	*out = max + 1;
	return 0;
}

void
gp_cert_info_free(gp_cert_info *cert)
{
	if (cert == NULL)
		return;
	free(cert->subject);
	free(cert->sans);
	free(cert->profile);
	free(cert->der);
	free(cert);
}

int
gp_store_crl_entries(gp_store *s, int64_t ca_id, int64_t since_rev,
    gp_blob_cb cb, void *arg)
{
	CHECK_STORE(s);
	if (cb == NULL)
		return gp_err(GP_E_INVALID, "gp_store_crl_entries: no callback");
	if (since_rev < 0)
		return gp_err(GP_E_INVALID, "gp_store_crl_entries: negative revision");
	return s->ops->crl_entries(s, ca_id, since_rev, cb, arg);
}

int
gp_store_crl_next_number(gp_store *s, int64_t ca_id, int64_t *out)
{
	if (out != NULL)
		*out = 0;
	CHECK_STORE(s);
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_crl_next_number: no output");
	return s->ops->crl_next_number(s, ca_id, out);
}

int
gp_store_crl_add(gp_store *s, gp_crl_info *crl)
{
	CHECK_STORE(s);
	if (crl == NULL || crl->der == NULL || crl->der_len == 0)
		return gp_err(GP_E_INVALID, "gp_store_crl_add: no CRL");
	if (crl->ca_id <= 0 || crl->number <= 0)
		return gp_err(GP_E_INVALID, "gp_store_crl_add: bad CA id or CRL number");
	if (crl->is_delta && crl->base_number <= 0)
		return gp_err(GP_E_INVALID, "gp_store_crl_add: a delta CRL needs its base number");
	CHECK_WRITABLE(s);
	return s->ops->crl_add(s, crl);
}

int
gp_store_crl_latest(gp_store *s, int64_t ca_id, int delta, gp_crl_info **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK_STORE(s);
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_crl_latest: no output");
	return s->ops->crl_latest(s, ca_id, delta != 0, 1, out);
}

int
gp_store_crl_latest_info(gp_store *s, int64_t ca_id, int delta, gp_crl_info **out)
{
	if (out != NULL)
		*out = NULL;
	CHECK_STORE(s);
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_crl_latest_info: no output");
	return s->ops->crl_latest(s, ca_id, delta != 0, 0, out);
}

void
gp_crl_info_free(gp_crl_info *crl)
{
	if (crl == NULL)
		return;
	free(crl->der);
	free(crl);
}

int
gp_store_audit_insert(gp_store *s, const gp_audit_row *row)
{
	CHECK_STORE(s);
	if (row == NULL || row->seq <= 0 || row->actor == NULL || row->action == NULL)
		return gp_err(GP_E_INVALID, "gp_store_audit_insert: incomplete audit row");
	CHECK_WRITABLE(s);
	return s->ops->audit_insert(s, row);
}

int
gp_store_audit_last(gp_store *s, int64_t *seq, unsigned char hash[32])
{
	if (seq != NULL)
		*seq = 0;
	if (hash != NULL)
		memset(hash, 0, 32);
	CHECK_STORE(s);
	if (seq == NULL || hash == NULL)
		return gp_err(GP_E_INVALID, "gp_store_audit_last: no output");
	return s->ops->audit_last(s, seq, hash);
}

int
gp_store_audit_list(gp_store *s, int64_t from_seq, gp_audit_cb cb, void *arg)
{
	int64_t bad_seq;

	return gp_store_audit_walk(s, from_seq, cb, arg, &bad_seq);
}

int
gp_store_audit_walk(gp_store *s, int64_t from_seq, gp_audit_cb cb, void *arg,
    int64_t *bad_seq)
{
	if (bad_seq != NULL)
		*bad_seq = 0;
	CHECK_STORE(s);
	if (cb == NULL || bad_seq == NULL)
		return gp_err(GP_E_INVALID, "gp_store_audit_list: no callback");
	return s->ops->audit_list(s, from_seq, cb, arg, bad_seq);
}

int
gp_store_read_begin(gp_store *s, int *own)
{
	if (own != NULL)
		*own = 0;
	CHECK_STORE(s);
	if (own == NULL)
		return gp_err(GP_E_INVALID, "gp_store_read_begin: no output");
	return s->ops->read_begin(s, own);
}

void
gp_store_read_end(gp_store *s, int own)
{
	if (s != NULL && s->ops != NULL && own)
		s->ops->read_end(s, own);
}

int
gp_store_audit_objects(gp_store *s, int64_t counts[GP_AUDIT_OBJ__N])
{
	CHECK_STORE(s);
	if (counts == NULL)
		return gp_err(GP_E_INVALID, "gp_store_audit_objects: no output");
	memset(counts, 0, GP_AUDIT_OBJ__N * sizeof(counts[0]));
	return s->ops->audit_objects(s, counts);
}

int
gp_store_audit_unlogged(gp_store *s, int kind, const char *action, int64_t missing,
    char **object, char **ca)
{
	if (object != NULL)
		*object = NULL;
	if (ca != NULL)
		*ca = NULL;
	CHECK_STORE(s);
	if (kind < 0 || kind >= GP_AUDIT_OBJ__N || action == NULL || object == NULL ||
	    ca == NULL)
		return gp_err(GP_E_INVALID, "gp_store_audit_unlogged: bad arguments");
	return s->ops->audit_unlogged(s, kind, action, missing, object, ca);
}

int
gp_store_meta_get(gp_store *s, const char *key, char **out)
{
	char *v = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	CHECK_STORE(s);
	if (key == NULL || out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_meta_get: no key or output");
	/* the backend's value is malloc'ed; the API's is gp_free'd (govpki/mem.h) */
	if ((r = s->ops->meta_get(s, key, &v)) == 0)
		r = gp_ostrdup(out, v);
	free(v);
	return r;
}

int
gp_store_key_block_add(gp_store *s, const gp_key_block *kb)
{
	int r;

	CHECK_STORE(s);
	if (kb == NULL || (kb->why != GP_KEY_BLOCK_COMPROMISED && kb->why != GP_KEY_BLOCK_CA))
		return gp_err(GP_E_INVALID, "gp_store_key_block_add: no record or an unknown reason");
	if (kb->why == GP_KEY_BLOCK_COMPROMISED &&
	    (r = check_serial(__func__, kb->serial, kb->serial_len)) != 0)
		return r;
	CHECK_WRITABLE(s);
	return s->ops->key_block_add(s, kb);
}

int
gp_store_key_block_get(gp_store *s, const unsigned char hash[32], gp_key_block *out)
{
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	CHECK_STORE(s);
	if (hash == NULL || out == NULL)
		return gp_err(GP_E_INVALID, "gp_store_key_block_get: no key hash or output");
	return s->ops->key_block_get(s, hash, out);
}

int
gp_store_meta_set(gp_store *s, const char *key, const char *value)
{
	CHECK_STORE(s);
	if (key == NULL || *key == '\0' || value == NULL)
		return gp_err(GP_E_INVALID, "gp_store_meta_set: no key or value");
	if (strcmp(key, "revision") == 0)
		return gp_err(GP_E_INVALID, "meta key 'revision' is kept by the store itself");
	CHECK_WRITABLE(s);
	return s->ops->meta_set(s, key, value);
}
