/* govpki/audit.h: the hash-chained audit log */
#ifndef GOVPKI_AUDIT_H
#define GOVPKI_AUDIT_H

#include <stdint.h>

#include <govpki/export.h>
#include <govpki/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Each row's hash is SHA-256 over: seq (8 bytes big-endian), time (8 bytes
 * big-endian), then actor, action, object, detail each as a 4-byte
 * big-endian length and its bytes (NULL as length 0xffffffff), then the
 * previous row's hash (32 zero bytes for the first row).
 *
 * Call gp_audit_append() inside the transaction of the state change it
 * records, so that both land or neither does.
 */

/*
 * The actions that record a row of the store, written in the transaction
 * that makes the row: gp_audit_verify looks for one per row, so writers
 * and the check use these names, not copies of them.
 */
#define GP_AUDIT_CA_CREATE       "ca.create"
#define GP_AUDIT_CERT_ISSUE      "cert.issue"
#define GP_AUDIT_CERT_REVOKE     "cert.revoke"
#define GP_AUDIT_CERT_HOLD       "cert.hold"
#define GP_AUDIT_CRL_PUBLISH     "crl.publish"
#define GP_AUDIT_SEAL_MAKE       "seal.make"
#define GP_AUDIT_SEAL_REVOKE     "seal.revoke"
#define GP_AUDIT_RA_SUBMIT       "ra.submit"
#define GP_AUDIT_RA_OFFICER_ADD  "ra.officer.add"
#define GP_AUDIT_RA_TOKEN_CREATE "ra.token.create"
/* a key escrowed by the KMC (govpki/kmc.h), object "kmc:KID" */
#define GP_AUDIT_KMC_ESCROW      "kmc.escrow"
/* a KMC recovery officer (object "kmc-officer:NAME"), a key recovery
 * request (object "recovery:ID") */
#define GP_AUDIT_KMC_OFFICER_ADD "kmc.officer.add"
#define GP_AUDIT_KMC_RECOVERY_REQUEST "kmc.recover.request"
/* A certificate or CRL the lint refused to sign (ca/lint.c): object the
 * CA, detail the rule and why.  It records no stored row. */
#define GP_AUDIT_LINT_REFUSE     "lint.refuse"
/* In the detail of a further cert.revoke entry for a certificate already
 * revoked (its reason raised to keyCompromise): " was=" and the old
 * reason.  Such an entry does not stand for another certificate's. */
#define GP_AUDIT_REASON_WAS      " was="

/* Appends a row; actor, action required; object, detail may be NULL. */
GP_EXPORT int gp_audit_append(gp_store *s, const char *actor, const char *action,
    const char *object, const char *detail);

/*
 * Recomputes the chain, then checks that it records what the store holds:
 * an entry for every CA (ca.create), certificate (cert.issue; a sub-CA's
 * own certificate by its CA's entry), revoked certificate (cert.revoke),
 * certificate on hold (cert.hold), CRL (crl.publish), seal and revoked
 * seal, RA request, officer and token, escrowed key (kmc.escrow), KMC recovery officer and
 * recovery request, as written with them.  0 when all holds (*bad_seq = 0).  GP_E_VERIFY with a
 * message naming the row, and
 * *bad_seq: the first row that does not match (an edited or malformed row,
 * the row after a deleted one), or one past the last row when a stored
 * object has no entry (entries cut off the end of the log).  Entries cut
 * off the end that record nothing still stored cannot be seen here.
 */
GP_EXPORT int gp_audit_verify(int64_t *bad_seq, int64_t *rows, gp_store *s);

/* Computes a row's hash from its fields and prev_hash (used by both) into
 * out.  GP_E_INVALID for a NULL argument or a field too long, GP_E_NOMEM,
 * GP_E_CRYPTO; out is all zero then (which matches no real row). */
GP_EXPORT int gp_audit_hash(unsigned char out[32], const gp_audit_row *row);

#ifdef __cplusplus
}
#endif
#endif
