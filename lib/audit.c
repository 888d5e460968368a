/* lib/audit.c: the hash-chained audit log (append, verify) */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <govpki/audit.h>

#include "error_int.h"
#include "store_int.h"
#include "util.h"

#define AUDIT_NULL_LEN 0xffffffffu

static unsigned char *
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		*p++ = (unsigned char)(v >> (8 * i));
	}
	return p;
}

static unsigned char *
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

static unsigned char *
put_str(unsigned char *p, const char *s)
{
	size_t n;

	if (s == NULL)
		return put_u32(p, AUDIT_NULL_LEN);
	n = strlen(s);
	p = put_u32(p, (uint32_t)n);
	memcpy(p, s, n);
	return p + n;
}

/* The encoding of govpki/audit.h, hashed with SHA-256. */
static int
audit_hash(const gp_audit_row *row, unsigned char out[32])
{
	const char *f[4] = { row->actor, row->action, row->object, row->detail };
	unsigned char *buf = NULL, *p;
	unsigned int mdlen = 0;
	size_t len = 8 + 8 + 4 * 4 + 32;
	int i, r;

	memset(out, 0, 32);
	for (i = 0; i < 4; i++) {
		size_t n = f[i] ? strlen(f[i]) : 0;

		if (n >= AUDIT_NULL_LEN || len + n < len)
			return gp_err(GP_E_INVALID, "audit entry field too long");
		len += n;
	}
	if ((buf = malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	p = put_u64(buf, (uint64_t)row->seq);
	p = put_u64(p, (uint64_t)row->time);
	for (i = 0; i < 4; i++)
		p = put_str(p, f[i]);
	memcpy(p, row->prev_hash, 32);
	if (EVP_Digest(buf, len, out, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		memset(out, 0, 32);
		r = gp_err_ossl(GP_E_CRYPTO, "cannot hash the audit entry");
		goto out;
	}
	r = 0;
out:
	free(buf);
	return r;
}

int
gp_audit_hash(unsigned char out[32], const gp_audit_row *row)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_audit_hash: NULL argument");
	if (row == NULL) {
		memset(out, 0, 32);
		return gp_err(GP_E_INVALID, "gp_audit_hash: NULL argument");
	}
	return audit_hash(row, out);
}

/*
 * Reads the head of the chain and inserts the next row.  When the caller
 * has no transaction open, one is opened here so that reading the head and
 * inserting are atomic against other writers; inside the caller's
 * transaction (gp_store_begin answers GP_E_STATE), the row joins it.
 */
int
gp_audit_append(gp_store *s, const char *actor, const char *action,
    const char *object, const char *detail)
{
	gp_audit_row row;
	int64_t last = 0;
	int r, own = 0;

	memset(&row, 0, sizeof(row));
	if (s == NULL)
		return gp_err(GP_E_INVALID, "audit: no store");
	if (actor == NULL || *actor == '\0' || action == NULL || *action == '\0')
		return gp_err(GP_E_INVALID, "audit: an entry needs an actor and an action");
	r = gp_store_begin(s);
	if (r == 0)
		own = 1;
	else if (r == GP_E_STATE)
		gp_error_clear();       /* inside the caller's transaction: fine */
	else
		return r;
	if ((r = gp_store_audit_last(s, &last, row.prev_hash)) != 0)
		goto out;
	if (last == INT64_MAX) {
		r = gp_err(GP_E_STATE, "audit log is full");
		goto out;
	}
	row.seq = last + 1;
	row.time = gp_now();
	row.actor = (char *)actor;
	row.action = (char *)action;
	row.object = (char *)object;
	row.detail = (char *)detail;
	if ((r = audit_hash(&row, row.hash)) != 0 ||
	    (r = gp_store_audit_insert(s, &row)) != 0)
		goto out;
	if (own) {
		own = 0;
		r = gp_store_commit(s);
	}
out:
	if (own)
		gp_store_rollback(s);
	return r;
}

/*
 * The entry each kind of stored row is written with (lib/store_int.h),
 * as ca/, seal/register.c and ra/ra.c append them.  rows: the kind has
 * one entry per row, so counting entries suffices and a row is looked up
 * only when they fall short.  repeat: what the detail of a further entry
 * for the same row holds, not counted (ca/revoke.c: a revocation raised to
 * keyCompromise, "... was=superseded"); missed, it only makes the count
 * generous.  rows NULL: a certificate on hold may have been held, released
 * and held again, or held and then revoked, so cert.hold entries do not
 * count the certificates on hold; each is looked up.  A row is named
 * "<what> <object>" in messages.
 */
static const struct audit_kind {
	const char *action;
	const char *what;
	const char *rows;
	const char *repeat;
} audit_kinds[GP_AUDIT_OBJ__N] = {
	[GP_AUDIT_OBJ_CA] = { GP_AUDIT_CA_CREATE, "CA", "CAs", NULL },
	[GP_AUDIT_OBJ_CERT] = { GP_AUDIT_CERT_ISSUE, "certificate", "certificates", NULL },
	[GP_AUDIT_OBJ_REVOKED] = { GP_AUDIT_CERT_REVOKE, "revoked certificate", "revoked certificates",
		GP_AUDIT_REASON_WAS },
	[GP_AUDIT_OBJ_HELD] = { GP_AUDIT_CERT_HOLD, "certificate on hold", NULL, NULL },
	[GP_AUDIT_OBJ_CRL] = { GP_AUDIT_CRL_PUBLISH, "CRL", "CRLs", NULL },
	[GP_AUDIT_OBJ_SEAL] = { GP_AUDIT_SEAL_MAKE, "seal", "seals", NULL },
	[GP_AUDIT_OBJ_SEAL_REVOKED] = { GP_AUDIT_SEAL_REVOKE, "revoked seal", "revoked seals", NULL },
	[GP_AUDIT_OBJ_RA_REQUEST] = { GP_AUDIT_RA_SUBMIT, "RA", "RA requests", NULL },
	[GP_AUDIT_OBJ_RA_OFFICER] = { GP_AUDIT_RA_OFFICER_ADD, "RA", "RA officers", NULL },
	[GP_AUDIT_OBJ_RA_TOKEN] = { GP_AUDIT_RA_TOKEN_CREATE, "RA", "RA tokens", NULL },
	[GP_AUDIT_OBJ_KMC_KEY] = { GP_AUDIT_KMC_ESCROW, "escrowed key", "escrowed keys", NULL },
	[GP_AUDIT_OBJ_KMC_OFFICER] = { GP_AUDIT_KMC_OFFICER_ADD, "recovery officer", "recovery officers", NULL },
	[GP_AUDIT_OBJ_KMC_RECOVERY] = { GP_AUDIT_KMC_RECOVERY_REQUEST, "key recovery request",
		"key recovery requests", NULL },
};

struct verify_state {
	int64_t expect;         /* the seq the next row must have */
	int64_t rows;           /* rows that held */
	int64_t bad;
	unsigned char prev[32]; /* hash of the previous row */
	int64_t entries[GP_AUDIT_OBJ__N]; /* entries that count, by audit_kinds */
};

static int
verify_row(void *arg, const gp_audit_row *row)
{
	struct verify_state *v = arg;
	unsigned char h[32];
	int i, r;

	if (row->seq != v->expect) {
		v->bad = row->seq;
		if (row->seq < v->expect)
			return gp_err(GP_E_VERIFY, "audit chain broken at entry %lld: "
			    "not part of the chain (row inserted)", (long long)row->seq);
		return gp_err(GP_E_VERIFY, "audit chain broken at entry %lld: "
		    "previous entry missing (row deleted)", (long long)row->seq);
	}
	if (CRYPTO_memcmp(row->prev_hash, v->prev, 32) != 0) {
		v->bad = row->seq;
		return gp_err(GP_E_VERIFY, "audit chain broken at entry %lld: "
		    "does not link to entry %lld (entry %lld replaced or this row edited)",
		    (long long)row->seq, (long long)row->seq - 1,
		    (long long)row->seq - 1);
	}
	if ((r = audit_hash(row, h)) != 0)
		return r;
	if (CRYPTO_memcmp(h, row->hash, 32) != 0) {
		v->bad = row->seq;
		return gp_err(GP_E_VERIFY, "audit chain broken at entry %lld: "
		    "hash does not match (row edited)", (long long)row->seq);
	}
	memcpy(v->prev, row->hash, 32);
	v->expect++;
	v->rows++;
	for (i = 0; i < GP_AUDIT_OBJ__N; i++) {
		const struct audit_kind *k = &audit_kinds[i];

		if (strcmp(row->action, k->action) != 0)
			continue;
		if (k->repeat == NULL || row->detail == NULL || strstr(row->detail, k->repeat) == NULL)
			v->entries[i]++;
		break;
	}
	return 0;
}

/*
 * A hash chain cut at its end is still a valid chain; what the log records
 * is not gone with it.  Every row of audit_kinds was written with its
 * entry and is never deleted, so a row without one means entries were
 * removed from the end of the log (or the row was added behind the log's
 * back).  Counts come first (cheap); the set difference that names the
 * row runs only when they fall short, or for certificates on hold.
 */
static int
verify_accounts(gp_store *s, const struct verify_state *v)
{
	const struct audit_kind *k = NULL;
	int64_t counts[GP_AUDIT_OBJ__N];
	char *object = NULL, *ca = NULL, where[64];
	int i, r;

	if ((r = gp_store_audit_objects(s, counts)) != 0)
		return r;
	for (i = 0; i < GP_AUDIT_OBJ__N; i++) {
		k = &audit_kinds[i];
		if (counts[i] == 0 || (k->rows != NULL && v->entries[i] >= counts[i]))
			continue;
		if ((r = gp_store_audit_unlogged(s, i, k->action,
		    k->rows != NULL ? counts[i] - v->entries[i] : 0, &object, &ca)) != 0)
			return r;
		if (object != NULL || k->rows != NULL)
			break;
	}
	if (i == GP_AUDIT_OBJ__N)
		return 0;
	if (v->rows > 0)
		snprintf(where, sizeof(where), "audit log incomplete after entry %lld",
		    (long long)v->rows);
	else
		snprintf(where, sizeof(where), "audit log is empty");
	if (object != NULL)
		r = gp_err(GP_E_VERIFY, "%s: %s %s%s%s%s has no %s entry: entries were deleted "
		    "from the end of the log, or the row was added without one", where,
		    k->what, object, ca ? " (issuer '" : "", ca ? ca : "", ca ? "')" : "",
		    k->action);
	else
		r = gp_err(GP_E_VERIFY, "%s: the store holds %lld %s but the log only %lld %s "
		    "entries: entries were deleted from the end of the log", where,
		    (long long)counts[i], k->rows, (long long)v->entries[i], k->action);
	free(object);
	free(ca);
	return r;
}

/*
 * Walks the whole log in seq order, then checks that it accounts for the
 * rows of the store (verify_accounts), both in one read snapshot so that
 * writers going on meanwhile change neither.  *rows gets the number of
 * rows that held (those before *bad_seq on failure).  Removing rows from
 * the end of the log leaves a valid shorter chain: only entries of rows
 * still in the store show it; the loss of the last entries about nothing
 * stored (a login, a backup) needs an anchor kept elsewhere (e.g. the
 * last hash copied off the machine) to detect.
 */
int
gp_audit_verify(int64_t *bad_seq, int64_t *rows, gp_store *s)
{
	struct verify_state v;
	int64_t malformed = 0;
	int r, own = 0;

	if (bad_seq != NULL)
		*bad_seq = 0;
	if (rows != NULL)
		*rows = 0;
	if (s == NULL)
		return gp_err(GP_E_INVALID, "audit: no store");
	memset(&v, 0, sizeof(v));
	v.expect = 1;
	if ((r = gp_store_read_begin(s, &own)) != 0)
		return r;
	/* from the lowest seq: a row slipped in below 1 is caught too */
	r = gp_store_audit_walk(s, INT64_MIN, verify_row, &v, &malformed);
	if (r == GP_E_VERIFY && v.bad == 0)
		v.bad = malformed;
	if (r == 0 && (r = verify_accounts(s, &v)) == GP_E_VERIFY)
		v.bad = v.expect;       /* the first entry missing */
	gp_store_read_end(s, own);
	if (bad_seq != NULL)
		*bad_seq = v.bad;
	if (rows != NULL)
		*rows = v.rows;
	return r;
}
