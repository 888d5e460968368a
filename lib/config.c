/* lib/config.c: the configuration file, OpenSSL NCONF syntax, with file:line messages */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/err.h>

#include <govpki/config.h>

#include "error_int.h"
#include "util.h"

/* A configuration file larger than this is refused: it is a typo. */
#define GP_CONFIG_MAX (4u * 1024 * 1024)

#define GP_CONFIG_NOFILE "(built-in defaults)"

struct gp_config {
	CONF *conf;
	char *path;   /* NULL: built-in defaults only */
	char *text;   /* the file as read, for line numbers; NULL without file */
};

void
gp_config_free(gp_config *cfg)
{
	if (cfg == NULL)
		return;
	NCONF_free(cfg->conf);
	free(cfg->path);
	free(cfg->text);
	free(cfg);
}

/*
 * The file is read once; the same bytes are parsed by NCONF and scanned for
 * line numbers, so both always agree.
 */
int
gp_config_load(gp_config **out, const char *path)
{
	gp_config *cfg = NULL;
	unsigned char *text = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	long eline = -1;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_config_load: NULL argument");
	*out = NULL;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return gp_err(GP_E_NOMEM, "configuration: out of memory");
	if (path != NULL) {
		if ((r = gp_file_read(&text, &len, path, GP_CONFIG_MAX)) != 0) {
			if (r == GP_E_NOTFOUND)
				r = gp_err(GP_E_NOTFOUND,
				    "configuration file %s not found", path);
			else
				r = gp_err_ctx(r, "configuration file");
			goto out;
		}
		if (memchr(text, '\0', len) != NULL) {
			r = gp_err(GP_E_CONFIG, "%s: not a text file (contains NUL bytes)",
			    path);
			goto out;
		}
		if ((r = gp_strdup(&cfg->path, path)) != 0)
			goto out;
		cfg->text = (char *)text;
		text = NULL;
	}
	if ((cfg->conf = NCONF_new(NULL)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "configuration: NCONF_new");
		goto out;
	}
	/* an empty buffer for "no file": NCONF's lookups need loaded data */
	bio = BIO_new_mem_buf(cfg->text != NULL ? cfg->text : "",
	    cfg->text != NULL ? (int)len : 0);
	if (bio == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "configuration: BIO_new_mem_buf");
		goto out;
	}
	if (NCONF_load_bio(cfg->conf, bio, &eline) <= 0) {
		if (eline > 0)
			r = gp_err_ossl(GP_E_CONFIG, "%s:%ld: syntax error",
			    gp_config_path(cfg), eline);
		else
			r = gp_err_ossl(GP_E_CONFIG, "%s: cannot be parsed",
			    gp_config_path(cfg));
		goto out;
	}
	*out = cfg;
	cfg = NULL;
	r = 0;
out:
	BIO_free(bio);
	free(text);
	gp_config_free(cfg);
	return r;
}

const char *
gp_config_path(const gp_config *cfg)
{
	if (cfg == NULL || cfg->path == NULL)
		return GP_CONFIG_NOFILE;
	return cfg->path;
}

int
gp_config_has_section(const gp_config *cfg, const char *section)
{
	if (cfg == NULL || section == NULL)
		return 0;
	return NCONF_get_section(cfg->conf, section) != NULL;
}

/*
 * The value of key in exactly [section]: NCONF_get_string would fall back
 * to the [default] section (and read the environment for [ENV]), which
 * would let a top-level key leak into every section.  NCONF keeps one entry
 * per key in a section (a repeated key replaces the earlier one).
 */
static const char *
lookup(const gp_config *cfg, const char *section, const char *key)
{
	STACK_OF(CONF_VALUE) *vals;
	int i;

	if (cfg == NULL || section == NULL || key == NULL)
		return NULL;
	if ((vals = NCONF_get_section(cfg->conf, section)) == NULL)
		return NULL;
	for (i = sk_CONF_VALUE_num(vals) - 1; i >= 0; i--) {
		const CONF_VALUE *v = sk_CONF_VALUE_value(vals, i);

		if (v->name != NULL && strcmp(v->name, key) == 0)
			return v->value;
	}
	return NULL;
}

const char *
gp_config_str(const gp_config *cfg, const char *section, const char *key,
    const char *def)
{
	const char *v = lookup(cfg, section, key);

	return v != NULL ? v : def;
}

/* "FILE:LINE" (or "FILE" when the line is unknown) into buf, for messages. */
static const char *
where(char *buf, size_t size, const gp_config *cfg, const char *section,
    const char *key)
{
	int line = gp_config_line(cfg, section, key);

	if (line > 0)
		snprintf(buf, size, "%s:%d", gp_config_path(cfg), line);
	else
		snprintf(buf, size, "%s", gp_config_path(cfg));
	return buf;
}

int
gp_config_long(long *out, const gp_config *cfg, const char *section,
    const char *key, long def, long min, long max)
{
	char wbuf[1200];
	const char *v;
	char *end = NULL;
	long n;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_config_long: NULL argument");
	*out = 0;
	if ((v = lookup(cfg, section, key)) == NULL) {
		*out = def;
		return 0;
	}
	/* strtol would accept leading spaces, a '+' and trailing junk */
	if (!(isdigit((unsigned char)v[0]) ||
	    (v[0] == '-' && isdigit((unsigned char)v[1]))))
		goto notnum;
	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0')
		goto notnum;
	if (errno == ERANGE || n < min || n > max)
		return gp_err(GP_E_CONFIG, "%s: %s in [%s]: %.64s is out of range "
		    "(%ld..%ld)", where(wbuf, sizeof(wbuf), cfg, section, key),
		    key, section, v, min, max);
	*out = n;
	return 0;
notnum:
	return gp_err(GP_E_CONFIG, "%s: %s in [%s]: '%.64s' is not a whole number",
	    where(wbuf, sizeof(wbuf), cfg, section, key), key, section, v);
}

int
gp_config_bool(int *out, const gp_config *cfg, const char *section,
    const char *key, int def)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };
	char wbuf[1200];
	const char *v;
	size_t i;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_config_bool: NULL argument");
	*out = 0;
	if ((v = lookup(cfg, section, key)) == NULL) {
		*out = def ? 1 : 0;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return gp_err(GP_E_CONFIG, "%s: %s in [%s]: '%.64s' is not a boolean "
	    "(yes/no, true/false, on/off, 1/0)",
	    where(wbuf, sizeof(wbuf), cfg, section, key), key, section, v);
}

int
gp_config_check_keys(const gp_config *cfg, const char *section,
    const char *const *allowed)
{
	STACK_OF(CONF_VALUE) *vals;
	char wbuf[1200];
	int i;

	if (cfg == NULL || section == NULL || allowed == NULL)
		return gp_err(GP_E_INVALID, "gp_config_check_keys: NULL argument");
	if ((vals = NCONF_get_section(cfg->conf, section)) == NULL)
		return 0;
	for (i = 0; i < sk_CONF_VALUE_num(vals); i++) {
		const CONF_VALUE *v = sk_CONF_VALUE_value(vals, i);
		const char *const *a;

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, v->name) == 0)
				break;
		if (*a == NULL)
			return gp_err(GP_E_CONFIG, "%s: unknown key '%s' in [%s]",
			    where(wbuf, sizeof(wbuf), cfg, section, v->name),
			    v->name, section);
	}
	return 0;
}

static int
cmp_names(const char *const *a, const char *const *b)
{
	return strcmp(*a, *b);
}

int
gp_config_sections(const gp_config *cfg, const char *prefix,
    int (*cb)(void *arg, const char *section, const char *rest), void *arg)
{
	STACK_OF(OPENSSL_CSTRING) *names = NULL;
	size_t plen;
	int i, r;

	if (cfg == NULL || prefix == NULL || cb == NULL)
		return gp_err(GP_E_INVALID, "gp_config_sections: NULL argument");
	if ((names = NCONF_get_section_names(cfg->conf)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "configuration: listing sections");
		goto out;
	}
	/* sorted, so that callers see the sections in a stable order */
	(void)sk_OPENSSL_CSTRING_set_cmp_func(names, cmp_names);
	sk_OPENSSL_CSTRING_sort(names);
	plen = strlen(prefix);
	for (i = 0; i < sk_OPENSSL_CSTRING_num(names); i++) {
		const char *s = sk_OPENSSL_CSTRING_value(names, i);

		if (strncmp(s, prefix, plen) != 0)
			continue;
		if ((r = cb(arg, s, s + plen)) != 0)
			goto out;
	}
	r = 0;
out:
	sk_OPENSSL_CSTRING_free(names);
	return r;
}

int
gp_config_keys(const gp_config *cfg, const char *section,
    int (*cb)(void *arg, const char *key, const char *value), void *arg)
{
	STACK_OF(CONF_VALUE) *sk;
	int i, r;

	if (cfg == NULL || section == NULL || cb == NULL)
		return gp_err(GP_E_INVALID, "gp_config_keys: NULL argument");
	if ((sk = NCONF_get_section(cfg->conf, section)) == NULL)
		return 0;
	/* in the order of the file; a key set twice is seen twice, the
	 * last one being the value NCONF gives */
	for (i = 0; i < sk_CONF_VALUE_num(sk); i++) {
		const CONF_VALUE *v = sk_CONF_VALUE_value(sk, i);

		if ((r = cb(arg, v->name, v->value)) != 0)
			return r;
	}
	return 0;
}

/* s[0..n) with the spaces at both ends removed, compared to want. */
static int
trimmed_eq(const char *s, size_t n, const char *want)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return strlen(want) == n && strncmp(s, want, n) == 0;
}

/*
 * Scans the file text as NCONF does: '#' starts a comment, "[ name ]" opens a
 * section (keys before the first one are in [default]), "name = value"
 * sets a key, a line ending in a backslash continues on the next one.
 * The last line that sets the key wins, as in NCONF.
 */
int
gp_config_line(const gp_config *cfg, const char *section, const char *key)
{
	const char *p, *eol, *eq, *s, *e;
	int line = 0, found = 0, in_section, cont = 0;

	if (cfg == NULL || cfg->text == NULL || section == NULL)
		return 0;
	in_section = strcmp(section, "default") == 0;
	for (p = cfg->text; *p != '\0'; p = *eol ? eol + 1 : eol) {
		int was_cont = cont;

		line++;
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		e = eol;
		if (e > p && e[-1] == '\r')
			e--;
		cont = e > p && e[-1] == '\\';
		if (was_cont)
			continue;
		for (s = p; s < e && isspace((unsigned char)*s); s++)
			;
		if (s == e || *s == '#')
			continue;
		if (*s == '[') {
			const char *close = memchr(s, ']', (size_t)(e - s));

			if (close != NULL)
				in_section = trimmed_eq(s + 1,
				    (size_t)(close - s - 1), section);
			if (in_section && key == NULL)
				return line;     /* the section's first header */
			continue;
		}
		if (key == NULL)
			continue;
		if (!in_section)
			continue;
		if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL)
			continue;
		if (trimmed_eq(s, (size_t)(eq - s), key))
			found = line;
	}
	return found;
}

/* 1 when the file's text refers to a key of section as a variable
 * ($section::key or ${section::key}): such a section holds values that
 * other sections use, not settings of its own. */
static int
referenced(const gp_config *cfg, const char *section)
{
	char pat[200];

	if (cfg->text == NULL || strlen(section) > sizeof(pat) - 8)
		return 0;
	snprintf(pat, sizeof(pat), "$%s::", section);
	if (strstr(cfg->text, pat) != NULL)
		return 1;
	snprintf(pat, sizeof(pat), "${%s::", section);
	return strstr(cfg->text, pat) != NULL;
}

/* 1 when name is one of known: an entry "p.*" stands for every "p.REST". */
static int
known_section(const char *name, const char *const *known)
{
	for (; *known != NULL; known++) {
		size_t n = strlen(*known);

		if (n >= 2 && strcmp(*known + n - 2, ".*") == 0) {
			if (strncmp(name, *known, n - 1) == 0 && name[n - 1] != '\0')
				return 1;
		} else if (strcmp(name, *known) == 0)
			return 1;
	}
	return 0;
}

int
gp_config_check_sections(const gp_config *cfg, const char *const *known)
{
	STACK_OF(OPENSSL_CSTRING) *names = NULL;
	char wbuf[1200];
	int i, line, r = 0;

	if (cfg == NULL || known == NULL)
		return gp_err(GP_E_INVALID, "gp_config_check_sections: NULL argument");
	if ((names = NCONF_get_section_names(cfg->conf)) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "configuration: listing sections");
	for (i = 0; i < sk_OPENSSL_CSTRING_num(names); i++) {
		const char *s = sk_OPENSSL_CSTRING_value(names, i);

		/* keys before the first header land in [default], read by no one */
		if (strcmp(s, "default") == 0 || known_section(s, known) ||
		    referenced(cfg, s))
			continue;
		if ((line = gp_config_line(cfg, s, NULL)) > 0)
			snprintf(wbuf, sizeof(wbuf), "%s:%d", gp_config_path(cfg), line);
		else
			snprintf(wbuf, sizeof(wbuf), "%s", gp_config_path(cfg));
		r = gp_err(GP_E_CONFIG, "%s: unknown section [%.100s] (a section of "
		    "values used as $%.100s::key elsewhere is fine; docs/configuration.md "
		    "lists the sections govpki reads)", wbuf, s, s);
		break;
	}
	sk_OPENSSL_CSTRING_free(names);
	return r;
}
