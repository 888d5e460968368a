/* govpki/config.h: the configuration file (OpenSSL NCONF syntax) */
#ifndef GOVPKI_CONFIG_H
#define GOVPKI_CONFIG_H

#include <govpki/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gp_config gp_config;

/* Loads path with OpenSSL's NCONF.  path NULL gives an empty configuration
 * (every key takes its documented default).  GP_E_CONFIG names the file
 * and line of a syntax error.  Free with gp_config_free. */
GP_EXPORT int gp_config_load(gp_config **out, const char *path);
GP_EXPORT void gp_config_free(gp_config *cfg);

/* The file it was loaded from, or "(built-in defaults)". */
GP_EXPORT const char *gp_config_path(const gp_config *cfg);

/* 1 when [section] exists. */
GP_EXPORT int gp_config_has_section(const gp_config *cfg, const char *section);

/* The value of key in [section], or def when absent (borrowed from cfg). */
GP_EXPORT const char *gp_config_str(const gp_config *cfg, const char *section,
    const char *key, const char *def);

/* *out: an integer in [min, max]; def when absent.  GP_E_CONFIG naming the file,
 * line and key when it is not a number or out of range. */
GP_EXPORT int gp_config_long(long *out, const gp_config *cfg,
    const char *section, const char *key, long def, long min, long max);

/* *out: yes/no/true/false/1/0/on/off as 1 or 0; def when absent. */
GP_EXPORT int gp_config_bool(int *out, const gp_config *cfg,
    const char *section, const char *key, int def);

/* GP_E_CONFIG "FILE:LINE: unknown key 'k' in [section]" for the first key of
 * section that is not in allowed (NULL-terminated). 0 when section is absent. */
GP_EXPORT int gp_config_check_keys(const gp_config *cfg, const char *section,
    const char *const *allowed);

/* Calls cb(arg, section, rest) for every section named prefix + rest,
 * e.g. prefix "profile." finds [profile.tls-server] with rest "tls-server". */
GP_EXPORT int gp_config_sections(const gp_config *cfg, const char *prefix,
    int (*cb)(void *arg, const char *section, const char *rest), void *arg);

/* Calls cb(arg, key, value) for every key of [section] in the order of the
 * file (none when the section is absent). A non-zero return of cb stops
 * the walk and is returned. */
GP_EXPORT int gp_config_keys(const gp_config *cfg, const char *section,
    int (*cb)(void *arg, const char *key, const char *value), void *arg);

/* The line of key in [section] in the file (0 when unknown): for messages.
 * key NULL: the line of the section's first [section] header. */
GP_EXPORT int gp_config_line(const gp_config *cfg, const char *section, const char *key);

/* GP_E_CONFIG "FILE:LINE: unknown section [s] ..." for the first section
 * that is neither in known (NULL-terminated; "profile.*" stands for every
 * [profile.NAME]) nor referred to as $s::key in the file, so that a
 * misspelt section is an error and not silently ignored. [default] (the
 * keys before the first header) is always accepted. */
GP_EXPORT int gp_config_check_sections(const gp_config *cfg, const char *const *known);

#ifdef __cplusplus
}
#endif
#endif
