/* seal/register.c: the seal register: recording seals and revoking them, with audit entries */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <govpki/audit.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "seal_int.h"
#include "util.h"

int
gp_seal_register(gp_store *s, const unsigned char *der, size_t len, const char *actor)
{
	gp_seal *seal = NULL;
	gp_seal_info info;
	char *maker = NULL, detail[160];
	int r;

	if (s == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_register: no store");
	if ((r = gp_seal_parse(&seal, der, len)) != 0)
		return r;
	if ((r = gp_name_print(&maker, X509_get_subject_name(seal->maker))) != 0)
		goto out;
	memset(&info, 0, sizeof(info));
	info.es_id = seal->id;
	info.name = seal->name;
	info.type = seal->type;
	info.version = seal->version;
	info.maker = maker;
	info.created = seal->created;
	info.valid_start = seal->start;
	info.valid_end = seal->end;
	info.der = seal->der;
	info.der_len = seal->der_len;
	snprintf(detail, sizeof(detail), "type %d, version %d", seal->type, seal->version);
	/* the row and its audit entry land together or not at all */
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	if ((r = gp_store_seal_add(s, &info)) != 0 ||
	    (r = gp_audit_append(s, actor ? actor : "seal-tool", GP_AUDIT_SEAL_MAKE, seal->id, detail)) != 0 ||
	    (r = gp_store_commit(s)) != 0) {
		gp_store_rollback(s);
		goto out;
	}
	r = 0;
out:
	free(maker);
	gp_seal_free(seal);
	return r;
}

int
gp_seal_revoke(gp_store *s, const char *es_id, const char *reason, int64_t when, const char *actor)
{
	gp_seal_info *info = NULL;
	int r;

	if (s == NULL || es_id == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_revoke: NULL argument");
	if (reason != NULL && strlen(reason) > 256)
		return gp_err(GP_E_INVALID, "the revocation reason is longer than 256 bytes");
	if ((r = gp_store_begin(s)) != 0)
		return r;
	if ((r = gp_store_seal_get(s, es_id, &info)) != 0)
		goto out;
	if (info->status == GP_SEAL_STATUS_REVOKED) {
		r = 0;          /* again: harmless, unchanged */
		goto out;
	}
	if ((r = gp_store_seal_set_status(s, es_id, GP_SEAL_STATUS_REVOKED, when ? when : gp_now(), reason)) != 0 ||
	    (r = gp_audit_append(s, actor ? actor : "ca-tool", GP_AUDIT_SEAL_REVOKE, es_id, reason)) != 0 ||
	    (r = gp_store_commit(s)) != 0)
		goto out;
	gp_seal_info_free(info);
	return 0;
out:
	gp_store_rollback(s);
	gp_seal_info_free(info);
	return r;
}
