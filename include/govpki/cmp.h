/* govpki/cmp.h: the shared secrets of ra-server's CMP service (RFC 4210 §5.1.3.1 MAC protection) */
#ifndef GOVPKI_CMP_H
#define GOVPKI_CMP_H

#include <stddef.h>
#include <stdint.h>

#include <govpki/export.h>
#include <govpki/ca.h>
#include <govpki/ra.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A CMP client protects its messages with a MAC keyed from a shared
 * secret (RFC 4210 §5.1.3.1, RFC 9483 §4.1.1) and names it by the
 * header's senderKID (the "reference", openssl cmp -ref).  The MAC needs
 * the secret itself, which a stored hash cannot give back, so no secret
 * is stored: each is HMAC-SHA256 of its KID under the key file
 * HOME/keys/cmp-secrets.key (32 random bytes, mode 0600, made by the first
 * gp_cmp_secret_create; backed up with the other key files).  The store
 * keeps, as for EST, an RA token named "cmp@KID" holding SHA-256 of the
 * secret, its profile, its expiry and whether it is revoked (ca-tool
 * token revoke); the REST API does not take it (it is not a "gpt_" token).
 * A copy of the store alone gives no secret away.
 */
#define GP_CMP_KID_PREFIX "cmp-"
#define GP_CMP_SECRET_NAME "cmp@"
#define GP_CMP_KEY_FILE "keys/cmp-secrets.key"

/* Creates a secret for profile (which must say cmp = yes), valid until
 * expires (unix time), with its RA token and audit entry
 * ("cmp.secret.create" by actor) in one transaction.  *kid (free) and
 * *secret (gp_pass_free) are shown once; *id is the token's id. */
GP_EXPORT int gp_cmp_secret_create(gp_ctx *ctx, char **kid, char **secret, int64_t *id,
    const char *profile, int64_t expires, const char *actor);

/* The secret named kid (kidlen bytes, not NUL-terminated): derived, then
 * checked against its token (known, not revoked, not expired).
 * *secret: gp_pass_free; *tok: gp_ra_token_free (its profiles is the
 * secret's profile).  GP_E_VERIFY for an unknown, revoked or expired kid. */
GP_EXPORT int gp_cmp_secret_get(gp_ctx *ctx, const unsigned char *kid, size_t kidlen,
    char **secret, gp_ra_token **tok);

#ifdef __cplusplus
}
#endif

#endif
