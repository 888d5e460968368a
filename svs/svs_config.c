/* svs/svs_config.c: svs-server's [svs] settings and its applications ([svs.app.NAME]) */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <govpki/error.h>
#include <govpki/key.h>

#include "svs_server.h"

static const char *const svs_keys[] = { "listen", "tls_cert", "tls_key", "tls_key_pass_file",
	"threads", "max_body", "max_chain", "max_connections", "max_connections_per_client",
	"timeout_seconds", "crl_cache_seconds", "ocsp_cache_seconds", "audit_log", NULL };
static const char *const key_keys[] = { "key", "cert", "pass_file", NULL };
static const char *const app_keys[] = { "token_sha256", "scopes", "trust", "untrusted", "crls",
	"revocation", "ocsp", "fetch_crls", NULL };

static int
cfg_fail(const gp_config *cfg, const char *section, const char *key, const char *what)
{
	fprintf(stderr, "svs-server: %s:%d: [%s] %s: %s\n", gp_config_path(cfg),
	    gp_config_line(cfg, section, key), section, key, what);
	return -1;
}

/* Each word of a list (separated by spaces or commas) into cb. */
static int
each_word(const char *list, int (*cb)(void *arg, const char *w), void *arg)
{
	char w[1024];

	while (list != NULL && *list != '\0') {
		size_t n;

		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		for (n = 0; list[n] != '\0' && list[n] != ' ' && list[n] != '\t' && list[n] != ','; n++)
			;
		if (n == 0)
			break;
		if (n >= sizeof(w))
			return -1;
		memcpy(w, list, n);
		w[n] = '\0';
		list += n;
		if (cb(arg, w) != 0)
			return -1;
	}
	return 0;
}

static int
add_certs(void *arg, const char *path)
{
	STACK_OF(X509) *sk = arg;
	FILE *f = fopen(path, "r");
	X509 *x;
	int n = 0;

	if (f == NULL) {
		fprintf(stderr, "svs-server: %s: cannot open\n", path);
		return -1;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
		n++;
	}
	/* or one DER certificate */
	if (n == 0 && fseek(f, 0, SEEK_SET) == 0 && (x = d2i_X509_fp(f, NULL)) != NULL) {
		if (sk_X509_push(sk, x))
			n++;
		else
			X509_free(x);
	}
	ERR_clear_error();
	fclose(f);
	if (n == 0)
		fprintf(stderr, "svs-server: %s: no certificate (PEM or DER)\n", path);
	return n > 0 ? 0 : -1;
}

static int
add_crls(void *arg, const char *path)
{
	STACK_OF(X509_CRL) *sk = arg;
	FILE *f = fopen(path, "rb");
	X509_CRL *c;
	int n = 0;

	if (f == NULL) {
		fprintf(stderr, "svs-server: %s: cannot open\n", path);
		return -1;
	}
	while ((c = PEM_read_X509_CRL(f, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_CRL_push(sk, c)) {
			X509_CRL_free(c);
			break;
		}
		n++;
	}
	/* or one DER CRL, as `ca-tool crl --publish` writes them */
	if (n == 0 && fseek(f, 0, SEEK_SET) == 0 && (c = d2i_X509_CRL_fp(f, NULL)) != NULL) {
		if (sk_X509_CRL_push(sk, c))
			n++;
		else
			X509_CRL_free(c);
	}
	ERR_clear_error();
	fclose(f);
	if (n == 0)
		fprintf(stderr, "svs-server: %s: no CRL (PEM or DER)\n", path);
	return n > 0 ? 0 : -1;
}

struct scope_ctx {
	svs_app *app;
	size_t n;
	const char *bad;
};

static int
add_scope(void *arg, const char *w)
{
	struct scope_ctx *sc = arg;
	char **nv;

	if (strcmp(w, "verify") == 0) {
		sc->app->can_verify = 1;
		return 0;
	}
	if (strncmp(w, "sign:", 5) != 0 || w[5] == '\0') {
		sc->bad = "a scope is verify or sign:KEY";
		return -1;
	}
	if ((nv = realloc(sc->app->sign_keys, (sc->n + 2) * sizeof(*nv))) == NULL)
		return -1;
	sc->app->sign_keys = nv;
	if ((nv[sc->n] = strdup(w + 5)) == NULL)
		return -1;
	nv[++sc->n] = NULL;
	return 0;
}

static int
hex32(unsigned char out[32], const char *s)
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

struct app_walk {
	svs_server *s;
	const gp_config *cfg;
};

static int
app_section(void *arg, const char *section, const char *name)
{
	struct app_walk *w = arg;
	svs_server *s = w->s;
	const gp_config *cfg = w->cfg;
	svs_app *nv, *a;
	const char *v;
	struct scope_ctx sc;

	if (gp_config_check_keys(cfg, section, app_keys) != 0) {
		fprintf(stderr, "svs-server: %s\n", gp_error_last());
		return -1;
	}
	if ((nv = realloc(s->apps, (s->napps + 1) * sizeof(*nv))) == NULL)
		return -1;
	s->apps = nv;
	a = &s->apps[s->napps++];
	memset(a, 0, sizeof(*a));
	if ((a->name = strdup(name)) == NULL || (a->anchors = sk_X509_new_null()) == NULL ||
	    (a->untrusted = sk_X509_new_null()) == NULL || (a->crls = sk_X509_CRL_new_null()) == NULL)
		return -1;
	if ((v = gp_config_str(cfg, section, "token_sha256", NULL)) == NULL || hex32(a->token_hash, v) != 0)
		return cfg_fail(cfg, section, "token_sha256",
		    "the SHA-256 of the application's token, 64 hex digits, is required");
	sc.app = a;
	sc.n = 0;
	sc.bad = NULL;
	if ((v = gp_config_str(cfg, section, "scopes", NULL)) == NULL || each_word(v, add_scope, &sc) != 0)
		return cfg_fail(cfg, section, "scopes", sc.bad ? sc.bad : "verify and/or sign:KEY, required");
	if ((v = gp_config_str(cfg, section, "trust", NULL)) == NULL || each_word(v, add_certs, a->anchors) != 0 ||
	    sk_X509_num(a->anchors) == 0)
		return cfg_fail(cfg, section, "trust", "PEM files of the trust anchors, required");
	if ((v = gp_config_str(cfg, section, "untrusted", NULL)) != NULL &&
	    each_word(v, add_certs, a->untrusted) != 0)
		return cfg_fail(cfg, section, "untrusted", "PEM files of intermediate certificates");
	if ((v = gp_config_str(cfg, section, "crls", NULL)) != NULL && each_word(v, add_crls, a->crls) != 0)
		return cfg_fail(cfg, section, "crls", "CRL files (PEM or DER)");
	v = gp_config_str(cfg, section, "revocation", "prefer");
	if (gp_revocation_from_name(&a->revocation, v) != 0) {
		gp_error_clear();
		return cfg_fail(cfg, section, "revocation", "require, prefer or none");
	}
	v = gp_config_str(cfg, section, "ocsp", "off");
	if (strcmp(v, "off") != 0) {
		if (strcmp(v, "aia") != 0 && strncmp(v, "http://", 7) != 0)
			return cfg_fail(cfg, section, "ocsp", "off, aia or an http:// URL");
		if ((a->ocsp = strdup(v)) == NULL)
			return -1;
	}
	if (gp_config_bool(&a->fetch_crls, cfg, section, "fetch_crls", 0) != 0) {
		fprintf(stderr, "svs-server: %s\n", gp_error_last());
		return -1;
	}
	return 0;
}

static int
key_section(void *arg, const char *section, const char *name)
{
	struct app_walk *w = arg;
	svs_server *s = w->s;
	const gp_config *cfg = w->cfg;
	const char *kf, *cf, *pf;
	char *pass = NULL;
	size_t passlen = 0;
	svs_key *nv, *k;
	STACK_OF(X509) *one;

	if (gp_config_check_keys(cfg, section, key_keys) != 0) {
		fprintf(stderr, "svs-server: %s\n", gp_error_last());
		return -1;
	}
	kf = gp_config_str(cfg, section, "key", NULL);
	cf = gp_config_str(cfg, section, "cert", NULL);
	pf = gp_config_str(cfg, section, "pass_file", NULL);
	if (kf == NULL || cf == NULL)
		return cfg_fail(cfg, section, kf == NULL ? "key" : "cert", "the key (file or PKCS#11 URI) and its certificate are required");
	if ((nv = realloc(s->keys, (s->nkeys + 1) * sizeof(*nv))) == NULL)
		return -1;
	s->keys = nv;
	k = &s->keys[s->nkeys++];
	memset(k, 0, sizeof(*k));
	if ((k->name = strdup(name)) == NULL || (one = sk_X509_new_null()) == NULL)
		return -1;
	if (add_certs(one, cf) != 0) {
		sk_X509_pop_free(one, X509_free);
		return cfg_fail(cfg, section, "cert", "a certificate (PEM or DER)");
	}
	k->cert = sk_X509_shift(one);
	sk_X509_pop_free(one, X509_free);
	if ((pf != NULL || getenv("GOVPKI_PASSPHRASE") != NULL) &&
	    gp_pass_get(&pass, &passlen, pf, NULL) != 0) {
		fprintf(stderr, "svs-server: [%s] pass_file: %s\n", section, gp_error_last());
		return -1;
	}
	if (gp_key_load(&k->key, kf, pass, passlen) != 0) {
		gp_pass_free(pass, passlen);
		fprintf(stderr, "svs-server: [%s] key: %s\n", section, gp_error_last());
		return -1;
	}
	gp_pass_free(pass, passlen);
	/* the key is the certificate's */
	if (EVP_PKEY_eq(k->key, X509_get0_pubkey(k->cert)) != 1) {
		ERR_clear_error();
		return cfg_fail(cfg, section, "cert", "the certificate is not the key's");
	}
	return 0;
}

int
svs_config_load(svs_server *s, const gp_config *cfg)
{
	svs_settings *st = &s->set;
	struct app_walk w = { s, cfg };
	long n;
	int r;

	if (gp_config_check_keys(cfg, "svs", svs_keys) != 0 ||
	    gp_config_long(&st->threads, cfg, "svs", "threads", 2, 1, 256) != 0 ||
	    gp_config_long(&st->max_body, cfg, "svs", "max_body", 1 << 20, 1024, 1L << 30) != 0 ||
	    gp_config_long(&n, cfg, "svs", "max_chain", 100, 1, 10000) != 0 ||
	    gp_config_long(&st->max_connections, cfg, "svs", "max_connections", 1024, 16, 100000) != 0 ||
	    gp_config_long(&st->max_per_client, cfg, "svs", "max_connections_per_client", 64, 1, 100000) != 0 ||
	    gp_config_long(&st->timeout, cfg, "svs", "timeout_seconds", 30, 1, 3600) != 0 ||
	    gp_config_long(&st->crl_cache_max, cfg, "svs", "crl_cache_seconds", 300, 1, 7 * 86400) != 0 ||
	    gp_config_long(&st->ocsp_cache_max, cfg, "svs", "ocsp_cache_seconds", 300, 1, 7 * 86400) != 0) {
		fprintf(stderr, "svs-server: %s\n", gp_error_last());
		return -1;
	}
	st->lim = (svs_limits)SVS_LIMITS_INIT;
	st->lim.max_chain = (size_t)n;
	st->listen = gp_config_str(cfg, "svs", "listen", "127.0.0.1:8643");
	st->tls_cert = gp_config_str(cfg, "svs", "tls_cert", NULL);
	st->tls_key = gp_config_str(cfg, "svs", "tls_key", NULL);
	st->tls_key_pass_file = gp_config_str(cfg, "svs", "tls_key_pass_file", NULL);
	if (st->tls_cert == NULL || st->tls_key == NULL)
		return cfg_fail(cfg, "svs", st->tls_cert == NULL ? "tls_cert" : "tls_key",
		    "HTTPS only: tls_cert and tls_key are required");
	st->audit_log = gp_config_str(cfg, "svs", "audit_log", NULL);
	if ((r = gp_config_sections(cfg, "svs.key.", key_section, &w)) != 0) {
		if (r < -1)
			fprintf(stderr, "svs-server: %s\n", gp_error_last());
		return -1;
	}
	if ((r = gp_config_sections(cfg, "svs.app.", app_section, &w)) != 0) {
		if (r < -1)
			fprintf(stderr, "svs-server: %s\n", gp_error_last());
		return -1;
	}
	if (s->napps == 0) {
		fprintf(stderr, "svs-server: %s: no application ([svs.app.NAME])\n", gp_config_path(cfg));
		return -1;
	}
	return 0;
}

void
svs_server_clear(svs_server *s)
{
	for (size_t i = 0; i < s->napps; i++) {
		svs_app *a = &s->apps[i];

		free(a->name);
		for (size_t k = 0; a->sign_keys != NULL && a->sign_keys[k] != NULL; k++)
			free(a->sign_keys[k]);
		free(a->sign_keys);
		sk_X509_pop_free(a->anchors, X509_free);
		sk_X509_pop_free(a->untrusted, X509_free);
		sk_X509_CRL_pop_free(a->crls, X509_CRL_free);
		free(a->ocsp);
		OPENSSL_cleanse(a->token_hash, sizeof(a->token_hash));
	}
	free(s->apps);
	s->apps = NULL;
	s->napps = 0;
	for (size_t i = 0; i < s->nkeys; i++) {
		free(s->keys[i].name);
		EVP_PKEY_free(s->keys[i].key);
		X509_free(s->keys[i].cert);
	}
	free(s->keys);
	s->keys = NULL;
	s->nkeys = 0;
}

const svs_app *
svs_app_by_token(const svs_server *s, const char *tok)
{
	unsigned char h[32];
	const svs_app *found = NULL;
	unsigned int hl = 0;

	if (tok == NULL || *tok == '\0' || strlen(tok) > 512 ||
	    EVP_Digest(tok, strlen(tok), h, &hl, EVP_sha256(), NULL) != 1) {
		ERR_clear_error();
		return NULL;
	}
	/* every application is compared, in constant time, so that the time
	 * taken says nothing of which token is near */
	for (size_t i = 0; i < s->napps; i++)
		if (CRYPTO_memcmp(h, s->apps[i].token_hash, sizeof(h)) == 0)
			found = &s->apps[i];
	return found;
}
