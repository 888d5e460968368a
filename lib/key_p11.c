/* lib/key_p11.c: keys in HSMs through libp11: RFC 7512 URIs, modules, PINs, login, key loading */
#include "config.h"

/*
 * This is the one file that holds libp11's engine-era objects: the
 * EVP_PKEY that PKCS11_get_private_key returns carries an RSA_METHOD or
 * EC_KEY_METHOD that signs in the token.  OpenSSL 3.0 treats such a key as
 * "foreign" and signs it through the legacy EVP path, so gp_sign_ctx_new
 * and everything above it do not change.  Nothing here calls a deprecated
 * OpenSSL function itself.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include <govpki/config.h>
#include <govpki/key.h>

#include "error_int.h"
#include "key_p11_int.h"
#include "util.h"

#define PIN_MAX 256
#define PIN_FILE_MAX 4096

/* ------------------------------------------------------------ URIs (RFC 7512) */

void
p11_uri_free(p11_uri *u)
{
	if (u == NULL)
		return;
	free(u->token);
	free(u->manufacturer);
	free(u->model);
	free(u->serial);
	free(u->object);
	free(u->type);
	free(u->id);
	free(u->module_path);
	free(u->module_name);
	free(u->pin_source);
	if (u->pin_value != NULL) {
		OPENSSL_cleanse(u->pin_value, strlen(u->pin_value));
		free(u->pin_value);
	}
	free(u);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 7512 §2.3: values are percent-encoded (RFC 3986 §2.1); decodes the
 * len bytes at s into a malloc'ed buffer (NUL-terminated, *outlen bytes). */
static int
pct_decode(unsigned char **out, size_t *outlen, const char *s, size_t len,
    const char *attr)
{
	unsigned char *p;
	size_t i, n = 0;

	*out = NULL;
	if ((p = malloc(len + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				free(p);
				return gp_err(GP_E_INVALID, "PKCS#11 URI: truncated %%-escape in %s", attr);
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				free(p);
				return gp_err(GP_E_INVALID, "PKCS#11 URI: bad %%-escape in %s", attr);
			}
			p[n++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else {
			p[n++] = (unsigned char)s[i];
		}
	}
	p[n] = '\0';
	*out = p;
	*outlen = n;
	return 0;
}

int
p11_pct_encode(char **out, const unsigned char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *p;
	size_t i, n = 0;

	*out = NULL;
	if ((p = malloc(3 * len + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		/* RFC 3986 §2.3 unreserved */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			p[n++] = (char)c;
		} else {
			p[n++] = '%';
			p[n++] = hex[c >> 4];
			p[n++] = hex[c & 15];
		}
	}
	p[n] = '\0';
	*out = p;
	return 0;
}

/* Stores a decoded text attribute; a text value may not hold a NUL. */
static int
set_text(char **slot, const char *name, const char *v, size_t len)
{
	unsigned char *d = NULL;
	size_t dlen;
	int r;

	if (*slot != NULL)
		return gp_err(GP_E_INVALID, "PKCS#11 URI: attribute '%s' given twice "
		    "(RFC 7512 §2.3)", name);
	if ((r = pct_decode(&d, &dlen, v, len, name)) != 0)
		return r;
	if (strlen((char *)d) != dlen) {
		free(d);
		return gp_err(GP_E_INVALID, "PKCS#11 URI: NUL byte in '%s'", name);
	}
	*slot = (char *)d;
	return 0;
}

/* One "name=value" of the path (query 0) or the query (query 1). */
static int
uri_attr(p11_uri *u, const char *a, size_t len, int query)
{
	const char *eq = memchr(a, '=', len);
	size_t nlen, vlen;
	const char *v;
	char name[32];

	if (eq == NULL)
		return gp_err(GP_E_INVALID, "PKCS#11 URI: '%.*s' is not name=value",
		    (int)(len > 64 ? 64 : len), a);
	nlen = (size_t)(eq - a);
	v = eq + 1;
	vlen = len - nlen - 1;
	if (nlen == 0 || nlen >= sizeof(name))
		return gp_err(GP_E_INVALID, "PKCS#11 URI: bad attribute name '%.*s'",
		    (int)(nlen > 64 ? 64 : nlen), a);
	memcpy(name, a, nlen);
	name[nlen] = '\0';
	/* RFC 7512 §2.3: vendor-specific attributes start with "x-"; we know none */
	if (strncmp(name, "x-", 2) == 0)
		return 0;
	if (!query) {
		if (strcmp(name, "token") == 0)
			return set_text(&u->token, name, v, vlen);
		if (strcmp(name, "manufacturer") == 0)
			return set_text(&u->manufacturer, name, v, vlen);
		if (strcmp(name, "model") == 0)
			return set_text(&u->model, name, v, vlen);
		if (strcmp(name, "serial") == 0)
			return set_text(&u->serial, name, v, vlen);
		if (strcmp(name, "object") == 0)
			return set_text(&u->object, name, v, vlen);
		if (strcmp(name, "type") == 0)
			return set_text(&u->type, name, v, vlen);
		if (strcmp(name, "id") == 0) {
			if (u->has_id)
				return gp_err(GP_E_INVALID, "PKCS#11 URI: attribute 'id' given twice");
			u->has_id = 1;
			return pct_decode(&u->id, &u->id_len, v, vlen, "id");
		}
		if (strcmp(name, "slot-id") == 0) {
			char buf[24], *end;

			if (u->slot_id != -1)
				return gp_err(GP_E_INVALID, "PKCS#11 URI: attribute 'slot-id' given twice");
			if (vlen == 0 || vlen >= sizeof(buf))
				return gp_err(GP_E_INVALID, "PKCS#11 URI: bad slot-id");
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			errno = 0;
			u->slot_id = strtol(buf, &end, 10);
			if (errno != 0 || *end != '\0' || u->slot_id < 0)
				return gp_err(GP_E_INVALID, "PKCS#11 URI: bad slot-id '%s'", buf);
			return 0;
		}
		if (strcmp(name, "library-manufacturer") == 0 ||
		    strcmp(name, "library-description") == 0 ||
		    strcmp(name, "library-version") == 0 ||
		    strcmp(name, "slot-description") == 0 ||
		    strcmp(name, "slot-manufacturer") == 0)
			return gp_err(GP_E_INVALID, "PKCS#11 URI: attribute '%s' is not "
			    "supported; name the token by token=, serial= or slot-id=", name);
	} else {
		if (strcmp(name, "module-path") == 0)
			return set_text(&u->module_path, name, v, vlen);
		if (strcmp(name, "module-name") == 0)
			return set_text(&u->module_name, name, v, vlen);
		if (strcmp(name, "pin-source") == 0)
			return set_text(&u->pin_source, name, v, vlen);
		if (strcmp(name, "pin-value") == 0)
			return set_text(&u->pin_value, name, v, vlen);
	}
	return gp_err(GP_E_INVALID, "PKCS#11 URI: unknown %s attribute '%s'",
	    query ? "query" : "path", name);
}

int
p11_uri_parse(p11_uri **out, const char *s)
{
	p11_uri *u = NULL;
	const char *p, *q, *end;
	int r;

	*out = NULL;
	if (s == NULL || strncmp(s, "pkcs11:", 7) != 0)
		return gp_err(GP_E_INVALID, "not a PKCS#11 URI (RFC 7512): '%.200s'",
		    s ? s : "(null)");
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	u->slot_id = -1;
	p = s + 7;
	q = strchr(p, '?');
	end = q ? q : p + strlen(p);
	/* path: attributes separated by ';' */
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;

		if (e > p && (r = uri_attr(u, p, (size_t)(e - p), 0)) != 0)
			goto out;
		p = semi ? semi + 1 : end;
	}
	/* query: attributes separated by '&' */
	if (q != NULL) {
		p = q + 1;
		end = p + strlen(p);
		while (p < end) {
			const char *amp = memchr(p, '&', (size_t)(end - p));
			const char *e = amp ? amp : end;

			if (e > p && (r = uri_attr(u, p, (size_t)(e - p), 1)) != 0)
				goto out;
			p = amp ? amp + 1 : end;
		}
	}
	if (u->type != NULL && strcmp(u->type, "private") != 0) {
		r = gp_err(GP_E_INVALID, "PKCS#11 URI: type=%s: only private keys sign "
		    "(type=private or no type)", u->type);
		goto out;
	}
	if (u->pin_source != NULL && u->pin_value != NULL) {
		r = gp_err(GP_E_INVALID, "PKCS#11 URI: give pin-source or pin-value, not both");
		goto out;
	}
	*out = u;
	u = NULL;
	r = 0;
out:
	p11_uri_free(u);
	return r;
}

static int
match_attr(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

int
p11_uri_match_token(const p11_uri *u, const char *label,
    const char *manufacturer, const char *model, const char *serial,
    unsigned long slot_id)
{
	return match_attr(u->token, label) &&
	    match_attr(u->manufacturer, manufacturer) &&
	    match_attr(u->model, model) &&
	    match_attr(u->serial, serial) &&
	    (u->slot_id < 0 || (unsigned long)u->slot_id == slot_id);
}

/* ------------------------------------------------------------ settings */

/* cfg_lock guards the settings, p11_lock the loaded modules; p11_lock may
 * be held while cfg_lock is taken, never the other way round. */
static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;
static char *cfg_module;        /* [pkcs11] module */
static char *cfg_pin_file;      /* [pkcs11] pin_file */
static char *cli_pin_file;      /* gp_key_p11_set_pin_file: --pin-file */
static char *cfg_path;          /* for messages */

int
gp_key_p11_configure(const struct gp_config *cfg)
{
	static const char *const keys[] = { "module", "pin_file", NULL };
	const char *m = NULL, *pf = NULL;
	char *nm = NULL, *npf = NULL, *np = NULL;
	int r;

	if (cfg != NULL) {
		if ((r = gp_config_check_keys(cfg, "pkcs11", keys)) != 0)
			return r;
		m = gp_config_str(cfg, "pkcs11", "module", NULL);
		pf = gp_config_str(cfg, "pkcs11", "pin_file", NULL);
		if ((r = gp_strdup(&nm, m)) != 0 || (r = gp_strdup(&npf, pf)) != 0 ||
		    (r = gp_strdup(&np, gp_config_path(cfg))) != 0) {
			free(nm);
			free(npf);
			return r;
		}
	}
	pthread_mutex_lock(&cfg_lock);
	free(cfg_module);
	free(cfg_pin_file);
	free(cfg_path);
	cfg_module = nm;
	cfg_pin_file = npf;
	cfg_path = np;
	pthread_mutex_unlock(&cfg_lock);
	return 0;
}

int
gp_key_p11_set_pin_file(const char *path)
{
	char *np = NULL;
	int r;

	if ((r = gp_strdup(&np, path)) != 0)
		return r;
	pthread_mutex_lock(&cfg_lock);
	free(cli_pin_file);
	cli_pin_file = np;
	pthread_mutex_unlock(&cfg_lock);
	return 0;
}

int
p11_module_path(char **out, const p11_uri *u)
{
	const char *m, *from;
	struct stat st;
	int r;

	*out = NULL;
	pthread_mutex_lock(&cfg_lock);
	if ((m = u->module_path) != NULL)
		from = "the URI's module-path";
	else if ((m = getenv("GOVPKI_PKCS11_MODULE")) != NULL && *m != '\0')
		from = "GOVPKI_PKCS11_MODULE";
	else if ((m = cfg_module) != NULL)
		from = "[pkcs11] module";
	else if ((m = GP_DEFAULT_P11_MODULE)[0] != '\0' && stat(m, &st) == 0)
		/* p11-kit's proxy: every module registered with p11-kit */
		from = "the default module";
	else
		from = NULL;
	if (from == NULL) {
		pthread_mutex_unlock(&cfg_lock);
		return gp_err(GP_E_CONFIG, "no PKCS#11 module: set [pkcs11] module in the "
		    "configuration, GOVPKI_PKCS11_MODULE, or module-path in the URI%s%s%s",
		    GP_DEFAULT_P11_MODULE[0] != '\0' ? " (or install p11-kit-modules for " : "",
		    GP_DEFAULT_P11_MODULE, GP_DEFAULT_P11_MODULE[0] != '\0' ? ")" : "");
	}
	if (stat(m, &st) != 0) {
		r = gp_err(GP_E_NOTFOUND, "PKCS#11 module %s (from %s): %s", m, from,
		    strerror(errno));
		pthread_mutex_unlock(&cfg_lock);
		return r;
	}
	r = gp_strdup(out, m);
	pthread_mutex_unlock(&cfg_lock);
	return r;
}

void
p11_pin_free(char *pin, size_t len)
{
	if (pin == NULL)
		return;
	OPENSSL_cleanse(pin, len);
	free(pin);
}

static int
pin_dup(char **out, size_t *outlen, const char *s, size_t len, const char *from)
{
	if (len == 0)
		return gp_err(GP_E_PASSPHRASE, "empty PIN from %s", from);
	if (len > PIN_MAX)
		return gp_err(GP_E_PASSPHRASE, "PIN from %s is longer than %d bytes", from, PIN_MAX);
	if ((*out = malloc(len + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memcpy(*out, s, len);
	(*out)[len] = '\0';
	*outlen = len;
	return 0;
}

/* The first line of a PIN file. */
static int
pin_file(char **out, size_t *outlen, const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, n;
	int r;

	if (strncmp(path, "file:", 5) == 0)
		path += 5;
	if ((r = gp_file_read(&buf, &len, path, PIN_FILE_MAX)) != 0) {
		if (r == GP_E_NOTFOUND)
			return gp_err(GP_E_NOTFOUND, "PIN file %s does not exist", path);
		return gp_err_ctx(r, "PIN file: ");
	}
	for (n = 0; n < len && buf[n] != '\n'; n++)
		;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	r = pin_dup(out, outlen, (const char *)buf, n, path);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

/* The PIN from the file a setting names (*setting read under cfg_lock);
 * *out stays NULL when the setting is unset. */
static int
pin_setting(char **out, size_t *outlen, char *const *setting)
{
	char *pf = NULL;
	int r;

	pthread_mutex_lock(&cfg_lock);
	r = gp_strdup(&pf, *setting);
	pthread_mutex_unlock(&cfg_lock);
	if (r != 0 || pf == NULL)
		return r;
	r = pin_file(out, outlen, pf);
	free(pf);
	return r;
}

int
p11_pin(char **out, size_t *outlen, const p11_uri *u, const char *pass,
    size_t passlen)
{
	const char *env;
	int r;

	*out = NULL;
	*outlen = 0;
	/* RFC 7512 §2.4: pin-source names where the PIN is; pin-value is the PIN */
	if (u != NULL && u->pin_source != NULL)
		return pin_file(out, outlen, u->pin_source);
	if (u != NULL && u->pin_value != NULL)
		return pin_dup(out, outlen, u->pin_value, strlen(u->pin_value), "pin-value");
	/* a file named on the command line, before the environment */
	if ((r = pin_setting(out, outlen, &cli_pin_file)) != 0 || *out != NULL)
		return r;
	if ((env = getenv("GOVPKI_PIN")) != NULL)
		return pin_dup(out, outlen, env, strlen(env), "GOVPKI_PIN");
	if ((r = pin_setting(out, outlen, &cfg_pin_file)) != 0 || *out != NULL)
		return r;
	if (pass != NULL && passlen > 0)
		return pin_dup(out, outlen, pass, passlen, "the passphrase");
	return 0;
}

/* ------------------------------------------------------------ modules */

/*
 * Each module is loaded once per process and stays loaded until
 * gp_key_p11_shutdown: an EVP_PKEY from PKCS11_get_private_key borrows its
 * slot and context.  libp11 (0.4.12) keeps a pool of sessions per slot
 * (pkcs11_get_session / put_session under a mutex and condition), so
 * concurrent signatures with one key use separate sessions; login state is
 * per application in PKCS#11 (v2.40 §5.6), shared by every session.
 */
struct p11_module {
	struct p11_module *next;
	char *path;
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
};

static struct p11_module *modules;

/* The loaded module at path (loading it first); with p11_lock held. */
static int
module_get(struct p11_module **out, const char *path)
{
	struct p11_module *m;
	int r;

	*out = NULL;
	for (m = modules; m != NULL; m = m->next) {
		if (strcmp(m->path, path) == 0) {
			*out = m;
			return 0;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((r = gp_strdup(&m->path, path)) != 0)
		goto out;
	if ((m->ctx = PKCS11_CTX_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "PKCS#11: cannot make a libp11 context");
		goto out;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot load PKCS#11 module %s "
		    "(not a PKCS#11 library, or its C_Initialize failed)", path);
		PKCS11_CTX_free(m->ctx);
		m->ctx = NULL;
		goto out;
	}
	if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "PKCS#11 module %s: cannot list its slots", path);
		goto out;
	}
	m->next = modules;
	modules = m;
	*out = m;
	m = NULL;
	r = 0;
out:
	if (m != NULL) {
		if (m->ctx != NULL) {
			PKCS11_CTX_unload(m->ctx);
			PKCS11_CTX_free(m->ctx);
		}
		free(m->path);
		free(m);
	}
	return r;
}

void
gp_key_p11_shutdown(void)
{
	struct p11_module *m, *next;

	pthread_mutex_lock(&p11_lock);
	for (m = modules; m != NULL; m = next) {
		next = m->next;
		if (m->slots != NULL)
			PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
		PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
		free(m->path);
		free(m);
	}
	modules = NULL;
	pthread_mutex_unlock(&p11_lock);
}

/* A short description of u's token for messages. */
static void
token_desc(char *buf, size_t size, const p11_uri *u)
{
	if (u->token != NULL)
		snprintf(buf, size, "token '%s'", u->token);
	else if (u->serial != NULL)
		snprintf(buf, size, "token with serial %s", u->serial);
	else if (u->slot_id >= 0)
		snprintf(buf, size, "token in slot %ld", u->slot_id);
	else
		snprintf(buf, size, "the first token");
}

/* The slot holding u's token, from m's slot list; with p11_lock held. */
static int
find_slot(PKCS11_SLOT **out, struct p11_module *m, const p11_uri *u)
{
	char desc[160], names[512];
	size_t nl = 0;
	unsigned int i;

	*out = NULL;
	names[0] = '\0';
	for (i = 0; i < m->nslots; i++) {
		PKCS11_SLOT *sl = &m->slots[i];
		PKCS11_TOKEN *t = sl->token;

		if (t == NULL || !t->initialized)
			continue;
		if (p11_uri_match_token(u, t->label, t->manufacturer, t->model,
		    t->serialnr, PKCS11_get_slotid_from_slot(sl))) {
			*out = sl;
			return 0;
		}
		if (nl < sizeof(names) - 1) {
			int n = snprintf(names + nl, sizeof(names) - nl, "%s'%s'",
			    nl ? ", " : "", t->label);

			if (n > 0)
				nl += (size_t)n;
		}
	}
	token_desc(desc, sizeof(desc), u);
	return gp_err(GP_E_NOTFOUND, "PKCS#11: no %s in module %s (tokens: %s)",
	    desc, m->path, nl ? names : "none");
}

/* Logs in to sl's token unless this process already is. */
static int
slot_login(PKCS11_SLOT *sl, const p11_uri *u, const char *pass, size_t passlen)
{
	char *pin = NULL;
	size_t pinlen = 0;
	int logged = 0, r;

	if (!sl->token->loginRequired)
		return 0;
	if (PKCS11_is_logged_in(sl, 0, &logged) == 0 && logged)
		return 0;
	ERR_clear_error();
	if ((r = p11_pin(&pin, &pinlen, u, pass, passlen)) != 0)
		return r;
	if (pin == NULL)
		return gp_err(GP_E_PASSPHRASE, "PKCS#11: no PIN for token '%s': give --pin-file, set "
		    "GOVPKI_PIN, [pkcs11] pin_file, or pin-source in the URI",
		    sl->token->label);
	/* one attempt only: tokens lock the PIN after a few wrong ones */
	if (PKCS11_login(sl, 0, pin) != 0)
		r = gp_err_ossl(GP_E_PASSPHRASE, "PKCS#11: login to token '%s' "
		    "failed (wrong PIN?)", sl->token->label);
	else
		r = 0;
	p11_pin_free(pin, pinlen);
	return r;
}

static int
key_matches(const PKCS11_KEY *k, const p11_uri *u)
{
	if (u->object != NULL && (k->label == NULL || strcmp(k->label, u->object) != 0))
		return 0;
	if (u->has_id && (k->id_len != u->id_len ||
	    (u->id_len > 0 && memcmp(k->id, u->id, u->id_len) != 0)))
		return 0;
	return 1;
}

int
gp_key_p11_load(EVP_PKEY **out, const char *uri, const char *pass, size_t passlen)
{
	p11_uri *u = NULL;
	struct p11_module *m = NULL;
	PKCS11_SLOT *sl = NULL;
	PKCS11_KEY *keys = NULL, *key = NULL;
	unsigned int nkeys = 0, i, found = 0;
	char *module = NULL;
	int r;

	*out = NULL;
	if ((r = p11_uri_parse(&u, uri)) != 0)
		return r;
	if (u->object == NULL && !u->has_id) {
		r = gp_err(GP_E_INVALID, "PKCS#11 URI names no key: add object=LABEL or id=ID");
		goto out_nolock;
	}
	if ((r = p11_module_path(&module, u)) != 0)
		goto out_nolock;
	pthread_mutex_lock(&p11_lock);
	if ((r = module_get(&m, module)) != 0)
		goto out;
	if ((r = find_slot(&sl, m, u)) != 0)
		goto out;
	if ((r = slot_login(sl, u, pass, passlen)) != 0)
		goto out;
	if (PKCS11_enumerate_keys(sl->token, &keys, &nkeys) != 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "PKCS#11: cannot list the keys of token '%s'",
		    sl->token->label);
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		if (keys[i].isPrivate && key_matches(&keys[i], u)) {
			if (found++ == 0)
				key = &keys[i];
		}
	}
	if (found == 0) {
		r = gp_err(GP_E_NOTFOUND, "PKCS#11: no private key %s%s%s in token '%s'",
		    u->object ? "labelled '" : "with the given id",
		    u->object ? u->object : "", u->object ? "'" : "", sl->token->label);
		goto out;
	}
	if (found > 1) {
		r = gp_err(GP_E_INVALID, "PKCS#11: %u private keys in token '%s' match; "
		    "add id= to the URI to pick one", found, sl->token->label);
		goto out;
	}
	if ((*out = PKCS11_get_private_key(key)) == NULL) {
		r = gp_err_ossl(GP_E_CRYPTO, "PKCS#11: cannot use key '%s' of token '%s' "
		    "(no public key object with its CKA_ID?)",
		    key->label ? key->label : "?", sl->token->label);
		goto out;
	}
	r = 0;
out:
	pthread_mutex_unlock(&p11_lock);
out_nolock:
	free(module);
	p11_uri_free(u);
	return r;
}
