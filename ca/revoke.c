/* ca/revoke.c: revocation, certificateHold and its release, reason codes */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include <govpki/audit.h>
#include <govpki/x509util.h>

#include "ca_int.h"
#include "error_int.h"
#include "util.h"

/* RFC 5280 §5.3.1 CRLReason names, indexed by value (7 is unused). */
static const char *const reason_names[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

#define NREASONS ((int)(sizeof(reason_names) / sizeof(reason_names[0])))

int
gp_reason_from_name(int *out, const char *name)
{
	*out = GP_REASON_NONE;
	if (name == NULL)
		return gp_err(GP_E_INVALID, "no revocation reason given");
	for (int i = 0; i < NREASONS; i++) {
		if (reason_names[i] != NULL && strcasecmp(name, reason_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return gp_err(GP_E_INVALID, "unknown revocation reason '%s' (RFC 5280 §5.3.1: "
	    "unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
	    "cessationOfOperation, certificateHold, removeFromCRL, privilegeWithdrawn, "
	    "aACompromise)", name);
}

const char *
gp_reason_name(int reason)
{
	if (reason < 0 || reason >= NREASONS || reason_names[reason] == NULL)
		return "none";
	return reason_names[reason];
}

/*
 * The DER of a revokedCertificates element (RFC 5280 §5.1): serial,
 * revocationDate and a reasonCode entry extension.  The reasonCode is left
 * out for unspecified, as §5.3.1 asks.  Stored with the certificate so a
 * CRL is a concatenation of stored entries, however large.
 */
static int
crl_entry_der(unsigned char **out, size_t *outlen, const unsigned char *serial,
    size_t serial_len, int64_t when, int reason)
{
	X509_REVOKED *rv = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *re = NULL;
	unsigned char *p;
	int len, r = 0;

	*out = NULL;
	*outlen = 0;
	if ((rv = X509_REVOKED_new()) == NULL || (sn = ASN1_INTEGER_new()) == NULL ||
	    ASN1_STRING_set(sn, serial, (int)serial_len) != 1 ||
	    X509_REVOKED_set_serialNumber(rv, sn) != 1 ||
	    (t = ASN1_TIME_set(NULL, (time_t)when)) == NULL ||
	    X509_REVOKED_set_revocationDate(rv, t) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot build CRL entry");
		goto out;
	}
	if (reason > GP_REASON_UNSPECIFIED &&
	    ((re = ASN1_ENUMERATED_new()) == NULL || ASN1_ENUMERATED_set(re, reason) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, re, 0, 0) != 1)) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot build CRL entry reason");
		goto out;
	}
	if ((len = i2d_X509_REVOKED(rv, NULL)) <= 0 || (*out = malloc((size_t)len)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode CRL entry");
		goto out;
	}
	p = *out;
	*outlen = (size_t)i2d_X509_REVOKED(rv, &p);
out:
	X509_REVOKED_free(rv);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(re);
	return r;
}

/* Records the key of certificate serial of CA ca_id as compromised. */
static int
block_key(gp_store *st, int64_t ca_id, const unsigned char *serial, size_t serial_len,
    int64_t when)
{
	gp_cert_info *ci = NULL;
	gp_key_block kb;
	X509 *x = NULL;
	int r;

	memset(&kb, 0, sizeof(kb));
	kb.why = GP_KEY_BLOCK_COMPROMISED;
	kb.ca_id = ca_id;
	memcpy(kb.serial, serial, serial_len);
	kb.serial_len = serial_len;
	kb.at = when;
	if ((r = gp_store_cert_get(st, ca_id, serial, serial_len, &ci)) == 0 &&
	    (r = gp_cert_parse(&x, ci->der, ci->der_len)) == 0 &&
	    (r = gp_x509_key_hash(kb.hash, x)) == 0)
		r = gp_store_key_block_add(st, &kb);
	X509_free(x);
	gp_cert_info_free(ci);
	return r;
}

int
gp_ca_revoke(gp_ctx *ctx, const char *ca_name, const unsigned char *serial,
    size_t serial_len, int reason, int64_t when, const char *actor)
{
	gp_ca_info *ca = NULL;
	unsigned char *entry = NULL;
	size_t entry_len;
	char hex[2 * GP_SERIAL_MAX + 1], detail[256];
	const char *action;
	int64_t revoked_at;
	int r, status, old_reason, new_status, in_tx = 0;

	if (ctx == NULL || ca_name == NULL || serial == NULL || serial_len == 0 ||
	    serial_len > GP_SERIAL_MAX)
		return gp_err(GP_E_INVALID, "revoke: no CA or serial given");
	if (reason < GP_REASON_UNSPECIFIED || reason >= NREASONS || reason_names[reason] == NULL)
		return gp_err(GP_E_INVALID, "revoke: bad reason code %d", reason);
	if (when == 0)
		when = gp_now();
	gp_hex_encode(hex, serial, serial_len);
	if ((r = gp_store_ca_get(ctx->store, ca_name, &ca)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(r, "no CA named '%s'", ca_name);
		goto out;
	}
	if ((r = gp_store_begin(ctx->store)) != 0)
		goto out;
	in_tx = 1;
	if ((r = gp_store_cert_status(ctx->store, ca->id, serial, serial_len, &status,
	    &revoked_at, &old_reason)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(r, "CA %s issued no certificate with serial %s", ca_name, hex);
		goto out;
	}
	if (reason == GP_REASON_REMOVE_FROM_CRL) {
		/* RFC 5280 §5.3.1: removeFromCRL only undoes certificateHold */
		if (status != GP_STATUS_HOLD) {
			r = gp_err(GP_E_STATE, "certificate %s is not on hold: only a certificateHold can be released",
			    hex);
			goto out;
		}
		new_status = GP_STATUS_GOOD;
		action = "cert.release";
	} else if (status == GP_STATUS_REVOKED && reason == GP_REASON_KEY_COMPROMISE &&
	    old_reason != GP_REASON_KEY_COMPROMISE && old_reason != GP_REASON_CA_COMPROMISE &&
	    old_reason != GP_REASON_AA_COMPROMISE) {
		/*
		 * A key found compromised after its certificate was revoked for
		 * another reason: the reason becomes keyCompromise (as the
		 * CA/Browser Forum Baseline Requirements §4.9.1.1 ask) so that
		 * relying parties distrust what it signed; the revocationDate
		 * stays.  The next CRLs (a delta too) and OCSP carry it.
		 */
		new_status = GP_STATUS_REVOKED;
		when = revoked_at;
		action = GP_AUDIT_CERT_REVOKE;
	} else if (status == GP_STATUS_REVOKED ||
	    (status == GP_STATUS_HOLD && reason == GP_REASON_CERTIFICATE_HOLD)) {
		/* revoking twice is harmless: the first revocation stands */
		r = 0;
		goto out;
	} else {
		new_status = reason == GP_REASON_CERTIFICATE_HOLD ? GP_STATUS_HOLD :
		    GP_STATUS_REVOKED;
		action = new_status == GP_STATUS_HOLD ? GP_AUDIT_CERT_HOLD : GP_AUDIT_CERT_REVOKE;
	}
	/* a compromised key is never certified again (issue 21.3): recorded
	 * with the revocation, in its transaction */
	if (new_status == GP_STATUS_REVOKED && reason == GP_REASON_KEY_COMPROMISE &&
	    (r = block_key(ctx->store, ca->id, serial, serial_len, when)) != 0)
		goto out;
	if ((r = crl_entry_der(&entry, &entry_len, serial, serial_len, when, reason)) != 0 ||
	    (r = gp_store_cert_set_status(ctx->store, ca->id, serial, serial_len, new_status,
	    new_status == GP_STATUS_GOOD ? 0 : when,
	    new_status == GP_STATUS_GOOD ? GP_REASON_NONE : reason,
	    entry, entry_len, NULL)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "ca=%s serial=%s reason=%s%s%s", ca_name, hex,
	    gp_reason_name(reason), status == GP_STATUS_REVOKED ? GP_AUDIT_REASON_WAS : "",
	    status == GP_STATUS_REVOKED ? gp_reason_name(old_reason) : "");
	if ((r = gp_audit_append(ctx->store, actor ? actor : "ca-tool", action, hex, detail)) != 0 ||
	    (r = gp_store_commit(ctx->store)) != 0)
		goto out;
	in_tx = 0;
out:
	if (in_tx)
		gp_store_rollback(ctx->store);
	free(entry);
	gp_ca_info_free(ca);
	return r;
}
