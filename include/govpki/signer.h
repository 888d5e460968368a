/* govpki/signer.h: the client side of ca-signer, the process that alone holds the CA keys (docs/signer.md) */
#ifndef GOVPKI_SIGNER_H
#define GOVPKI_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <govpki/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A connection to ca-signer over its Unix socket.  The signer knows the
 * caller by its Unix uid (SO_PEERCRED), never by anything it sends, and
 * answers only the requests that uid's [signer.caller.NAME] section lists.
 * A refusal comes back as the signer's GP_E_* status with its reason in
 * gp_error_last() ("ca-signer: ..."); a connection the signer closed is
 * opened again once per call.  Used by one thread at a time.
 */
typedef struct gp_signer gp_signer;

/* Connects to the signer listening at path (a copy is kept, to connect
 * again).  GP_E_IO when nothing listens there.  *out: gp_signer_free. */
GP_EXPORT int gp_signer_connect(gp_signer **out, const char *path);
/* The same without connecting: the first call connects (so a daemon can
 * start before the signer, and an idle handle holds no connection).
 * *out: gp_signer_free. */
GP_EXPORT int gp_signer_new(gp_signer **out, const char *path);
/* The socket path the handle connects to (borrowed). */
GP_EXPORT const char *gp_signer_path(const gp_signer *s);
GP_EXPORT void gp_signer_free(gp_signer *s);

/* The signer answers (a health request with a fresh nonce, which it
 * echoes). */
GP_EXPORT int gp_signer_health(gp_signer *s);

/* issue-approved-request: the signer issues request id, which it reads
 * from the store itself and issues only when it is approved there
 * (gp_ra_issue_approved).  *out: the certificate (X509_free). */
GP_EXPORT int gp_signer_issue_approved(X509 **out, gp_signer *s, int64_t id);

/* issue-auto-request: the signer issues pending request id without an
 * officer's approval when its own reading of the store and the profile
 * allows it for channel ("est", "acme" with the order's id, "cmp"; order
 * 0 but for ACME; gp_ra_issue_auto in the signer).  GP_E_INVALID (sent
 * by the signer) for another channel.  *out: X509_free. */
GP_EXPORT int gp_signer_issue_auto(X509 **out, gp_signer *s, int64_t id, const char *channel,
    int64_t order);

/* issue-batch: the signer issues n CSRs (PEM or DER, each at most 64 KiB)
 * of CA ca with profile for days (0: the profile's maximum), each with
 * the checks and lint of gp_ca_issue, each stored and audited by the
 * caller's uid.  certs[i]: the certificate (X509_free), or NULL with
 * rcs[i] (a GP_E_* status) and why[i] saying why it was refused.  A
 * failure of the whole request (the caller may not ask for it, the
 * signer cannot be reached) is the return value, with every certs[i]
 * NULL. */
GP_EXPORT int gp_signer_issue_batch(X509 **certs, int *rcs, char (*why)[256], gp_signer *s,
    const char *ca, const char *profile, int days, const unsigned char *const *csrs,
    const size_t *lens, size_t n);

/* sign-crl: the signer builds, lints, signs and stores the next full
 * (delta 0) or delta (delta 1) CRL of CA ca from the store itself (the
 * number, the entries and the times are its own, gp_ca_crl in the signer).
 * *der (OPENSSL_free), *len bytes: the CertificateList as the signer
 * answered it; the caller checks it (gp_ca_crl does). */
GP_EXPORT int gp_signer_sign_crl(unsigned char **der, size_t *len, gp_signer *s, const char *ca,
    int delta);

/* sign-ocsp: the signer signs the DER ResponseData tbs of CA ca when it
 * is what the store says (gp_ocsp_sign_checked in the signer).  *part
 * (OPENSSL_free), *len octets: the signatureAlgorithm and the signature
 * BIT STRING that follow it in a BasicOCSPResponse (RFC 6960 §4.2.1). */
GP_EXPORT int gp_signer_sign_ocsp(unsigned char **part, size_t *len, gp_signer *s,
    const char *ca, const unsigned char *tbs, size_t tbslen);
/* The same for n (1 to 4096) ResponseData in one request: sign-ocsp, or
 * presign when presign is set; parts[i] and lens[i] as *part and *len
 * above (each OPENSSL_free), all NULL on a failure (one refused refuses
 * them all). */
GP_EXPORT int gp_signer_sign_ocsp_batch(unsigned char **parts, size_t *lens, gp_signer *s,
    int presign, const char *ca, const unsigned char *const *tbs, const size_t *tbslens,
    size_t n);

#ifdef __cplusplus
}
#endif
#endif
