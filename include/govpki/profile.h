/* govpki/profile.h: certificate profiles (built in, or from the configuration) */
#ifndef GOVPKI_PROFILE_H
#define GOVPKI_PROFILE_H

#include <stddef.h>

#include <govpki/config.h>
#include <govpki/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gp_profile gp_profile;
typedef struct gp_profiles gp_profiles;

/*
 * Loads the built-in profiles (root-ca, sub-ca, tls-server, tls-client,
 * person, department, device, seal-signer, ocsp-signer, tsa-signer), then
 * the [profile.NAME] sections of cfg (cfg may be NULL), which replace a
 * built-in profile of the same name or add new ones.  Every key of a
 * profile section is checked; unknown keys and bad values are GP_E_CONFIG
 * naming the file, line and key.  Free with gp_profiles_free.
 */
GP_EXPORT int gp_profiles_load(gp_profiles **out, const gp_config *cfg);
GP_EXPORT void gp_profiles_free(gp_profiles *ps);

/* The profile called name (borrowed), or NULL. */
GP_EXPORT const gp_profile *gp_profiles_get(const gp_profiles *ps, const char *name);
GP_EXPORT size_t gp_profiles_count(const gp_profiles *ps);
GP_EXPORT const gp_profile *gp_profiles_at(const gp_profiles *ps, size_t i);

GP_EXPORT const char *gp_profile_name(const gp_profile *p);
GP_EXPORT int gp_profile_max_days(const gp_profile *p);

/* Where p comes from: "built-in", or "FILE:LINE" of its [profile.NAME]
 * section (borrowed from p). */
GP_EXPORT const char *gp_profile_source(const gp_profile *p);

/* Calls cb(arg, key, value) for every key of p with its value in the syntax
 * of a [profile.NAME] section ("" for an absent extension, "none" for no
 * path length, "*" for any subject attribute), in a fixed order: a section
 * written from them with inherit = none loads as the same profile (what
 * `ca-tool config show` prints).  A non-zero return of cb stops the walk
 * and is returned. */
GP_EXPORT int gp_profile_settings(const gp_profile *p,
    int (*cb)(void *arg, const char *key, const char *value), void *arg);
GP_EXPORT int gp_profile_is_ca(const gp_profile *p);
/* Distinct officer approvals the RA needs before issuing (dual control):
 * never fewer than GP_PROFILE_CA_APPROVALS for a CA profile (ca = yes),
 * whatever the configuration says. */
#define GP_PROFILE_CA_APPROVALS 2
GP_EXPORT int gp_profile_approvals(const gp_profile *p);
/* 1 when ra-server serves the profile over ACME ([profile.NAME] acme =
 * yes); *officer (may be NULL) is 1 when its ACME orders wait for an
 * officer's approval (acme_approval = officer), 0 when they are issued
 * once validated (auto). */
GP_EXPORT int gp_profile_acme(const gp_profile *p, int *officer);
/* 1 when ra-server serves the profile over EST (RFC 7030; [profile.NAME]
 * est = yes); *officer (may be NULL) is 1 when its enrolments wait for an
 * officer's approval (est_approval = officer), 0 when they are issued at
 * once (auto). */
GP_EXPORT int gp_profile_est(const gp_profile *p, int *officer);
/* The same for CMP (RFC 4210/9483; [profile.NAME] cmp = yes, cmp_approval). */
GP_EXPORT int gp_profile_cmp(const gp_profile *p, int *officer);
/* The same for SCEP (RFC 8894; [profile.NAME] scep = yes, scep_approval). */
GP_EXPORT int gp_profile_scep(const gp_profile *p, int *officer);
/* 1 when the profile allows subjectAltNames of type gen_type (GEN_DNS,
 * GEN_IPADD, ... of openssl/x509v3.h). */
GP_EXPORT int gp_profile_san_allowed(const gp_profile *p, int gen_type);
/* 0 when p may issue for the name value of type gen_type (GEN_DNS: a host
 * name, "*.x" for a wildcard; GEN_IPADD: an address in text; GEN_EMAIL: a
 * mailbox): the type is allowed and the name is within the profile's
 * allowed_dns, allowed_ip or allowed_email rule (RFC 5280 §4.2.1.10
 * matching).  GP_E_POLICY naming the rule otherwise.  What ACME checks at
 * newOrder; gp_profile_check applies the same rules to a whole request. */
GP_EXPORT int gp_profile_name_allowed(const gp_profile *p, int gen_type,
    const char *value);

#ifdef __cplusplus
}
#endif
#endif
