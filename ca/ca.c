/* ca/ca.c: the govpki home (configuration, profiles, store) and the CA hierarchy */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <govpki/audit.h>
#include <govpki/signer.h>
#include <govpki/x509util.h>

#include "ca_int.h"
#include "error_int.h"
#include "lint_int.h"
#include "util.h"

static const char *const govpki_keys[] = { "home", "store", "keys", NULL };
/* [ca.NAME]: where the CA publishes (its certificates point there) and the
 * policy its certificates carry */
static const char *const ca_section_keys[] = { "base_url", "policy", "crl_shards", NULL };
static const char *const crl_keys[] = { "next_update_hours", "delta_next_update_hours",
	"delta_url", NULL };

int
gp_ctx_path(gp_ctx *ctx, const char *name, char **out)
{
	size_t len;

	*out = NULL;
	if (name[0] == '/' || strncmp(name, "pkcs11:", 7) == 0)
		return gp_strdup(out, name);
	len = strlen(ctx->home) + strlen(name) + 2;
	if ((*out = malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(*out, len, "%s/%s", ctx->home, name);
	return 0;
}

/* The home: as given, else [govpki] home, else $GOVPKI_HOME, else ".". */
static const char *
ctx_home(const gp_config *cfg, const char *home)
{
	const char *h = home;

	if (h == NULL)
		h = gp_config_str(cfg, "govpki", "home", NULL);
	if (h == NULL)
		h = getenv("GOVPKI_HOME");
	return h == NULL || *h == '\0' ? "." : h;
}

int
gp_ctx_locate(char **home_out, char **store_uri, const char *config_path, const char *home)
{
	gp_config *cfg = NULL;
	const char *h;
	int r;

	if (home_out == NULL || store_uri == NULL)
		return gp_err(GP_E_INVALID, "gp_ctx_locate: NULL argument");
	*home_out = *store_uri = NULL;
	if ((r = gp_config_load(&cfg, config_path)) != 0)
		return r;
	h = ctx_home(cfg, home);
	if ((r = gp_ostrdup(home_out, h)) == 0 &&
	    (r = gp_store_uri_resolve(store_uri, h,
	    gp_config_str(cfg, "govpki", "store", "govpki.db"))) != 0) {
		gp_free(*home_out);
		*home_out = NULL;
	}
	gp_config_free(cfg);
	return r;
}

/* Every section a govpki program reads, so that a misspelt one ([rа],
 * [profiles.x]) is an error naming its line instead of being ignored; each
 * section's keys are checked by its reader.  [acme] is read by ra-server's
 * ACME service, [est] by its EST service, [daemon] by every daemon (tools/daemon_log.c). */
static const char *const known_sections[] = {
	"govpki", "crl", "pkcs11", "ca.*", "profile.*", "ra", "ocsp", "acme", "est", "cmp", "scep", "kmc",
	"daemon", "signer", "signer.caller.*", "svs", "svs.app.*", "svs.key.*", NULL
};

/* [crl] delta_url may name the CA once, as %s, and holds no other %. */
static int
check_delta_url(const gp_config *cfg)
{
	const char *u = gp_config_str(cfg, "crl", "delta_url", NULL), *pct;

	if (u == NULL || (pct = strchr(u, '%')) == NULL)
		return 0;
	if (pct[1] != 's' || strchr(pct + 2, '%') != NULL)
		return gp_err(GP_E_CONFIG, "%s:%d: delta_url in [crl] may hold one %%s (the CA name) and no other %%",
		    gp_config_path(cfg), gp_config_line(cfg, "crl", "delta_url"));
	return 0;
}

static int
check_ca_section(void *arg, const char *section, const char *rest)
{
	long n;
	int r;

	(void)rest;
	if ((r = gp_config_check_keys(arg, section, ca_section_keys)) != 0)
		return r;
	return gp_config_long(&n, arg, section, "crl_shards", 2, 2, GP_CRL_SHARDS_MAX);
}

int
gp_ca_crl_shards_record(gp_ca *ca)
{
	char key[96], v[16];
	int r;

	if (ca->dflt.crl_shards == 0 || ca->dflt.crl_shards_recorded)
		return 0;
	snprintf(key, sizeof(key), "ca.%s.crl_shards", ca->info->name);
	snprintf(v, sizeof(v), "%u", ca->dflt.crl_shards);
	if ((r = gp_store_meta_set(ca->ctx->store, key, v)) != 0)
		return r;
	ca->dflt.crl_shards_recorded = 1;
	return 0;
}

int
gp_config_check(const gp_config *cfg)
{
	static const char *const p11_keys[] = { "module", "pin_file", NULL };
	gp_profiles *ps = NULL;
	long n;
	int r;

	if (cfg == NULL)
		return gp_err(GP_E_INVALID, "gp_config_check: NULL argument");
	if ((r = gp_config_check_sections(cfg, known_sections)) != 0 ||
	    (r = gp_config_check_keys(cfg, "govpki", govpki_keys)) != 0 ||
	    (r = gp_config_check_keys(cfg, "crl", crl_keys)) != 0 ||
	    (r = gp_config_check_keys(cfg, "pkcs11", p11_keys)) != 0 ||
	    (r = gp_config_long(&n, cfg, "crl", "next_update_hours", 168, 1,
	    24L * 366)) != 0 ||
	    (r = gp_config_long(&n, cfg, "crl", "delta_next_update_hours", 24, 1,
	    24L * 366)) != 0 ||
	    (r = check_delta_url(cfg)) != 0 ||
	    (r = gp_config_sections(cfg, "ca.", check_ca_section, (void *)cfg)) != 0 ||
	    (r = gp_profiles_load(&ps, cfg)) != 0)
		return r;
	gp_profiles_free(ps);
	return 0;
}

int
gp_ctx_open(gp_ctx **out, const char *config_path, const char *home, int flags)
{
	gp_ctx *ctx = NULL;
	const char *v;
	int r, create;

	*out = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((r = gp_config_load(&ctx->cfg, config_path)) != 0 ||
	    (r = gp_config_check_sections(ctx->cfg, known_sections)) != 0 ||
	    (r = gp_config_check_keys(ctx->cfg, "govpki", govpki_keys)) != 0 ||
	    (r = gp_config_check_keys(ctx->cfg, "crl", crl_keys)) != 0 ||
	    (r = gp_key_p11_configure(ctx->cfg)) != 0 ||
	    (r = gp_config_long(&ctx->crl_hours, ctx->cfg, "crl",
	    "next_update_hours", 168, 1, 24L * 366)) != 0 ||
	    (r = gp_config_long(&ctx->delta_hours, ctx->cfg, "crl",
	    "delta_next_update_hours", 24, 1, 24L * 366)) != 0 ||
	    (r = gp_profiles_load(&ctx->profiles, ctx->cfg)) != 0)
		goto out;
	ctx->delta_url = gp_config_str(ctx->cfg, "crl", "delta_url", NULL);
	if ((r = check_delta_url(ctx->cfg)) != 0)
		goto out;
	if ((r = gp_strdup(&ctx->home, ctx_home(ctx->cfg, home))) != 0)
		goto out;
	create = !(flags & (GP_CTX_READONLY | GP_CTX_EXISTING));
	if (create && mkdir(ctx->home, 0700) != 0 && errno != EEXIST) {
		r = gp_err(GP_E_IO, "cannot create home %s: %s", ctx->home, strerror(errno));
		goto out;
	}
	v = gp_config_str(ctx->cfg, "govpki", "keys", "keys");
	if ((r = gp_ctx_path(ctx, v, &ctx->keys_dir)) != 0)
		goto out;
	v = gp_config_str(ctx->cfg, "govpki", "store", "govpki.db");
	if ((r = gp_store_uri_resolve(&ctx->store_uri, ctx->home, v)) != 0)
		goto out;
	r = gp_store_open(&ctx->store, ctx->store_uri, (flags & GP_CTX_READONLY) ?
	    GP_STORE_READONLY : create ? GP_STORE_CREATE : 0);
	if (r == GP_E_NOTFOUND && !create)
		r = gp_err(r, "no store at %s: create it with 'ca-tool init', or give "
		    "the right home", ctx->store_uri);
	if (r != 0)
		goto out;
	/* [signer] socket: the CA keys are ca-signer's (docs/signer.md); the
	 * handle connects at its first request */
	v = gp_config_str(ctx->cfg, "signer", "socket", NULL);
	if (v != NULL && !(flags & GP_CTX_NO_SIGNER)) {
		if ((r = gp_signer_new(&ctx->own_signer, v)) != 0)
			goto out;
		ctx->signer = ctx->own_signer;
	}
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	gp_ctx_free(ctx);
	return r;
}

void
gp_ctx_free(gp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	gp_store_close(ctx->store);
	gp_signer_free(ctx->own_signer);
	gp_profiles_free(ctx->profiles);
	gp_config_free(ctx->cfg);
	free(ctx->home);
	free(ctx->keys_dir);
	gp_free(ctx->store_uri);    /* gp_store_uri_resolve's */
	free(ctx);
}

gp_store *
gp_ctx_store(gp_ctx *ctx)
{
	return ctx->store;
}

const char *
gp_ctx_store_uri(const gp_ctx *ctx)
{
	return ctx->store_uri;
}

const gp_profiles *
gp_ctx_profiles(gp_ctx *ctx)
{
	return ctx->profiles;
}

const gp_config *
gp_ctx_config(gp_ctx *ctx)
{
	return ctx->cfg;
}

const char *
gp_ctx_home(gp_ctx *ctx)
{
	return ctx->home;
}

void
gp_ctx_set_signer(gp_ctx *ctx, struct gp_signer *s)
{
	if (ctx != NULL)
		ctx->signer = s;
}

struct gp_signer *
gp_ctx_signer0(const gp_ctx *ctx)
{
	return ctx != NULL ? ctx->signer : NULL;
}

int
gp_ca_need_key(const gp_ca *ca)
{
	if (ca->key == NULL && ca->info->key_uri[0] == '\0')
		return gp_err(GP_E_STATE, "CA %s: its key is not here (ca-tool import-ca installed "
		    "its certificate: an offline root or an outside CA): it signs nothing in this "
		    "store", ca->info->name);
	if (ca->key == NULL)
		return gp_err(GP_E_STATE, "CA %s: its key is ca-signer's ([signer] socket): this "
		    "process signs nothing itself", ca->info->name);
	return 0;
}

int
gp_ca_set_serial(X509 *cert, unsigned char serial[16])
{
	ASN1_INTEGER *ai = NULL;
	int r;

	if ((r = gp_serial_random(serial)) != 0)
		return r;
	/* gp_serial_random keeps the first byte in 0x01..0x7f: the 16 bytes
	 * are the INTEGER's content as they are (RFC 5280 §4.1.2.2). */
	if ((ai = ASN1_INTEGER_new()) == NULL ||
	    ASN1_STRING_set(ai, serial, 16) != 1 ||
	    X509_set_serialNumber(cert, ai) != 1)
		r = gp_err_ossl(GP_E_NOMEM, "cannot set serial number");
	ASN1_INTEGER_free(ai);
	return r;
}

int
gp_ca_set_validity(X509 *cert, const X509 *issuer, const gp_profile *p, int days)
{
	time_t now = time(NULL);
	ASN1_TIME *nb = NULL, *na = NULL;
	int r = 0;

	if (days < 0)
		return gp_err(GP_E_INVALID, "validity of %d days", days);
	if (days == 0)
		days = p->max_days;
	if (days > p->max_days)
		return gp_err(GP_E_POLICY, "profile %s: validity of %d days is longer than its maximum of %d",
		    p->name, days, p->max_days);
	/* ASN1_TIME_set picks UTCTime up to 2049 and GeneralizedTime after,
	 * as RFC 5280 §4.1.2.5 requires; the validity period includes both
	 * notBefore and notAfter (§4.1.2.5), so days * 86400 seconds end one
	 * second before now + days */
	if ((nb = ASN1_TIME_set(NULL, now)) == NULL ||
	    (na = ASN1_TIME_adj(NULL, now, days, -1)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot set validity");
		goto out;
	}
	/* never past the issuer's own notAfter */
	if (issuer != NULL && ASN1_TIME_compare(na, X509_get0_notAfter(issuer)) > 0) {
		ASN1_TIME_free(na);
		if ((na = ASN1_TIME_dup(X509_get0_notAfter(issuer))) == NULL) {
			r = gp_err_ossl(GP_E_NOMEM, "cannot set validity");
			goto out;
		}
	}
	if (ASN1_TIME_compare(nb, na) >= 0) {
		r = gp_err(GP_E_STATE, "the issuing CA's certificate has expired");
		goto out;
	}
	if (X509_set1_notBefore(cert, nb) != 1 || X509_set1_notAfter(cert, na) != 1)
		r = gp_err_ossl(GP_E_NOMEM, "cannot set validity");
out:
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	return r;
}

static int
asn1_time_to_unix(int64_t *out, const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return gp_err_ossl(GP_E_PARSE, "bad time in certificate");
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
gp_ca_cert_info(gp_cert_info *info, X509 *cert, int64_t ca_id, const char *profile,
    const GENERAL_NAMES *sans)
{
	unsigned char *p;
	int len, r;

	memset(info, 0, sizeof(*info));
	info->ca_id = ca_id;
	info->status = GP_STATUS_GOOD;
	info->reason = GP_REASON_NONE;
	info->issued_at = gp_now();
	if ((r = gp_serial_from_asn1(info->serial, &info->serial_len,
	    X509_get0_serialNumber(cert))) != 0 ||
	    (r = gp_name_print(&info->subject, X509_get_subject_name(cert))) != 0 ||
	    (r = gp_sans_to_string(&info->sans, sans)) != 0 ||
	    (r = gp_strdup(&info->profile, profile)) != 0 ||
	    (r = asn1_time_to_unix(&info->not_before, X509_get0_notBefore(cert))) != 0 ||
	    (r = asn1_time_to_unix(&info->not_after, X509_get0_notAfter(cert))) != 0 ||
	    (r = gp_x509_fingerprint(cert, info->fingerprint)) != 0)
		goto err;
	if ((len = i2d_X509(cert, NULL)) <= 0 || (info->der = malloc((size_t)len)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode certificate");
		goto err;
	}
	p = info->der;
	info->der_len = (size_t)i2d_X509(cert, &p);
	return 0;
err:
	free(info->subject);
	free(info->sans);
	free(info->profile);
	free(info->der);
	memset(info, 0, sizeof(*info));
	return r;
}

void
gp_ca_cert_info_clear(gp_cert_info *info)
{
	free(info->subject);
	free(info->sans);
	free(info->profile);
	free(info->der);
	memset(info, 0, sizeof(*info));
}

int
gp_ca_name_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return 0;
	for (const char *p = name; *p; p++, n++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	}
	return n >= 1 && n <= 64 && name[0] != '.';
}

/* A base URL: http:// or https://, a host, no spaces, quotes or '%'. */
static int
check_base_url(const char *url, const char *what)
{
	const char *host;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return gp_err(GP_E_INVALID, "%s: '%.200s' is not an http:// or https:// URL", what, url);
	if (*host == '\0' || *host == '/' || strlen(url) > 512 ||
	    strpbrk(url, " \t\r\n\"'<>\\%") != NULL)
		return gp_err(GP_E_INVALID, "%s: '%.200s' is not a usable URL", what, url);
	return 0;
}

static int
check_policy_oid(ASN1_OBJECT **out, const char *oid, const char *what)
{
	*out = NULL;
	/* a dotted OID only (no short names), and not anyPolicy: an end
	 * entity asserting anyPolicy asserts nothing (RFC 5280 §4.2.1.4) */
	if (strspn(oid, "0123456789.") != strlen(oid) ||
	    (*out = OBJ_txt2obj(oid, 1)) == NULL || OBJ_obj2nid(*out) == NID_any_policy) {
		ASN1_OBJECT_free(*out);
		*out = NULL;
		ERR_clear_error();
		return gp_err(GP_E_INVALID, "%s: '%.100s' is not a policy OID (dotted, not anyPolicy)",
		    what, oid);
	}
	return 0;
}

void
gp_issuer_defaults_clear(gp_issuer_defaults *d)
{
	if (d == NULL)
		return;
	free(d->crl_url);
	free(d->crl_shard_prefix);
	free(d->ocsp_url);
	free(d->issuers_url);
	ASN1_OBJECT_free(d->policy);
	memset(d, 0, sizeof(*d));
}

/* BASE (without trailing '/') + dir + name + ext, malloc'ed. */
static int
url_join(char **out, const char *base, const char *dir, const char *name, const char *ext)
{
	size_t bl = strlen(base), len;

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	len = bl + strlen(dir) + strlen(name) + strlen(ext) + 1;
	if ((*out = malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(*out, len, "%.*s%s%s%s", (int)bl, base, dir, name, ext);
	return 0;
}

/*
 * [ca.NAME] crl_shards = N: the CA's end-entity certificates of crl_sharded
 * profiles point to one of N CRL shards under BASE/crl/NAME-K.crl.  A
 * certificate's shard follows from its serial and N, so N is fixed for the
 * CA's life: the first sharded certificate records it (store meta
 * ca.NAME.crl_shards, gp_ca_crl_shards_record), and a different N later
 * is refused here.
 */
static int
crl_shards_load(gp_issuer_defaults *d, gp_ctx *ctx, const char *sec, const char *name,
    const char *base)
{
	char key[96], *v = NULL;
	long n;
	int r;

	if (gp_config_str(ctx->cfg, sec, "crl_shards", NULL) == NULL)
		return 0;
	if ((r = gp_config_long(&n, ctx->cfg, sec, "crl_shards", 0, 2, GP_CRL_SHARDS_MAX)) != 0)
		return r;
	if (base == NULL)
		return gp_err(GP_E_CONFIG, "%s:%d: [%s] crl_shards needs the CA's base_url (the "
		    "shards are BASE/crl/%s-K.crl)", gp_config_path(ctx->cfg),
		    gp_config_line(ctx->cfg, sec, "crl_shards"), sec, name);
	snprintf(key, sizeof(key), "ca.%s.crl_shards", name);
	if ((r = gp_store_meta_get(ctx->store, key, &v)) == 0) {
		if (strtol(v, NULL, 10) != n)
			r = gp_err(GP_E_CONFIG, "%s:%d: [%s] crl_shards is %ld, but this CA's CRLs "
			    "were sharded %s ways: a certificate's shard follows from the count, "
			    "which is fixed for the CA's life", gp_config_path(ctx->cfg),
			    gp_config_line(ctx->cfg, sec, "crl_shards"), sec, n, v);
		gp_free(v);
		if (r != 0)
			return r;
		d->crl_shards_recorded = 1;
	} else if (r != GP_E_NOTFOUND) {
		return r;
	}
	gp_error_clear();
	d->crl_shards = (unsigned)n;
	return url_join(&d->crl_shard_prefix, base, "/crl/", name, "-");
}

/*
 * The CA's defaults for what it issues: [ca.NAME] base_url and policy in
 * the configuration, else what `ca-tool init --url/--policy` stored (store
 * meta keys ca.NAME.base_url / ca.NAME.policy).  Under BASE:
 * BASE/crl/NAME.crl (CRL), BASE/ca/NAME.crt (the CA certificate, DER, for
 * caIssuers) and BASE/ocsp (the OCSP responder).
 */
int
gp_ca_defaults_load(gp_issuer_defaults *d, gp_ctx *ctx, const char *name)
{
	char sec[80], key[96], *mbase = NULL, *mpol = NULL;
	const char *base, *pol;
	int r;

	memset(d, 0, sizeof(*d));
	snprintf(sec, sizeof(sec), "ca.%s", name);
	if (gp_config_has_section(ctx->cfg, sec) &&
	    (r = gp_config_check_keys(ctx->cfg, sec, ca_section_keys)) != 0)
		return r;
	base = gp_config_str(ctx->cfg, sec, "base_url", NULL);
	pol = gp_config_str(ctx->cfg, sec, "policy", NULL);
	snprintf(key, sizeof(key), "ca.%s.base_url", name);
	if (base == NULL && (r = gp_store_meta_get(ctx->store, key, &mbase)) == 0)
		base = mbase;
	snprintf(key, sizeof(key), "ca.%s.policy", name);
	if (pol == NULL && (r = gp_store_meta_get(ctx->store, key, &mpol)) == 0)
		pol = mpol;
	gp_error_clear();
	r = 0;
	if (base != NULL &&
	    ((r = check_base_url(base, sec)) != 0 ||
	    (r = url_join(&d->crl_url, base, "/crl/", name, ".crl")) != 0 ||
	    (r = url_join(&d->issuers_url, base, "/ca/", name, ".crt")) != 0 ||
	    (r = url_join(&d->ocsp_url, base, "/ocsp", "", "")) != 0))
		goto out;
	if (pol != NULL && (r = check_policy_oid(&d->policy, pol, sec)) != 0)
		goto out;
	if ((r = crl_shards_load(d, ctx, sec, name, base)) != 0)
		goto out;
out:
	if (r != 0)
		gp_issuer_defaults_clear(d);
	gp_free(mbase);
	gp_free(mpol);
	return r;
}

/* Loads the CA's certificate and key; checks that they belong together. */
static int
ca_load(gp_ca **out, gp_ctx *ctx, gp_ca_info *info, const char *pass, size_t passlen)
{
	gp_ca *ca = NULL;
	char *keypath = NULL;
	int r;

	*out = NULL;
	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		gp_ca_info_free(info);
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	ca->ctx = ctx;
	ca->info = info;
	if ((r = gp_cert_parse(&ca->cert, info->cert_der, info->cert_len)) != 0 ||
	    (r = gp_x509_prepare_sm2(ca->cert)) != 0)
		goto out;
	/* the key is the signer's: neither opened nor looked at (no file, no
	 * HSM session, no passphrase); gp_ca_need_key refuses to sign */
	if (ctx->signer != NULL)
		goto defaults;
	/* imported without its key (ca/offline.c): it signs nothing here */
	if (info->key_uri[0] == '\0')
		goto defaults;
	if ((r = gp_ctx_path(ctx, info->key_uri, &keypath)) != 0)
		goto out;
	if ((r = gp_key_load(&ca->key, keypath, pass, passlen)) != 0) {
		gp_err_ctx(r, "CA %s", info->name);
		goto out;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		r = gp_err_ossl(GP_E_INVALID, "CA %s: key %s does not match its certificate",
		    info->name, keypath);
		goto out;
	}
defaults:
	if ((r = gp_ca_defaults_load(&ca->dflt, ctx, info->name)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
	r = 0;
out:
	free(keypath);
	gp_ca_free(ca);
	return r;
}

/*
 * A certificate signed by a CA whose own certificate is revoked or on hold
 * fails every path validation through it (RFC 5280 §6.3): such a CA signs
 * nothing until it is released.  Read in the transaction that stores what
 * it signs, so a revocation committed before is seen.
 */
int
gp_ca_check_active(gp_ca *ca)
{
	unsigned char serial[GP_SERIAL_MAX];
	size_t len = 0;
	int64_t at;
	int status, reason, r;
	char key[96], *v = NULL;

	/* retired (a rollover, gp_ca_retire): read in the caller's
	 * transaction, so that a retirement committed by another process
	 * counts at once */
	snprintf(key, sizeof(key), "ca.%s.retired", ca->info->name);
	if ((r = gp_store_meta_get(ca->ctx->store, key, &v)) == 0) {
		r = gp_err(GP_E_STATE, "CA %s is retired (since %s): it issues nothing; its CRLs "
		    "and OCSP answers go on", ca->info->name, v);
		gp_free(v);
		return r;
	}
	if (r != GP_E_NOTFOUND)
		return r;
	gp_error_clear();
	if (ca->info->parent_id == 0)       /* a root: trusted as configured */
		return 0;
	if ((r = gp_serial_from_asn1(serial, &len, X509_get0_serialNumber(ca->cert))) != 0)
		return r;
	r = gp_store_cert_status(ca->ctx->store, ca->info->parent_id, serial, len,
	    &status, &at, &reason);
	if (r == GP_E_NOTFOUND)     /* made before sub-CAs were stored: nothing to see */
		return 0;
	if (r != 0)
		return r;
	if (status != GP_STATUS_GOOD)
		return gp_err(GP_E_STATE, "CA %s: its certificate is %s (%s): it signs nothing",
		    ca->info->name, status == GP_STATUS_HOLD ? "on hold" : "revoked",
		    gp_reason_name(reason));
	return 0;
}

/*
 * A CA certificate under ca must leave room in ca's pathLenConstraint
 * (RFC 5280 §4.2.1.9: at most that many non-self-issued intermediates may
 * follow ca): ca's constraint is at least 1 and the new certificate's own
 * is smaller than ca's, or path validation stops at the new CA.
 */
int
gp_ca_check_path_len(gp_ca *ca, const gp_profile *p)
{
	long have = X509_get_pathlen(ca->cert);

	if (!p->is_ca || have < 0)
		return 0;
	if (have == 0)
		return gp_err(GP_E_POLICY, "CA %s has pathLenConstraint 0: it cannot sign a CA "
		    "certificate (profile %s)", ca->info->name, p->name);
	if (p->path_len < 0 || p->path_len >= have)
		return gp_err(GP_E_POLICY, "profile %s: a CA certificate under CA %s "
		    "(pathLenConstraint %ld) needs path_len of at most %ld", p->name,
		    ca->info->name, have, have - 1);
	return 0;
}

int
gp_ca_open(gp_ca **out, gp_ctx *ctx, const char *name, const char *pass, size_t passlen)
{
	gp_ca_info *info = NULL;
	int r;

	*out = NULL;
	if (ctx == NULL || name == NULL)
		return gp_err(GP_E_INVALID, "no CA named");
	if ((r = gp_store_ca_get(ctx->store, name, &info)) != 0) {
		if (r == GP_E_NOTFOUND)
			return gp_err(r, "no CA named '%s'", name);
		return r;
	}
	return ca_load(out, ctx, info, pass, passlen);
}

void
gp_ca_free(gp_ca *ca)
{
	if (ca == NULL)
		return;
	gp_ca_info_free(ca->info);
	gp_issuer_defaults_clear(&ca->dflt);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
}

X509 *
gp_ca_cert0(const gp_ca *ca)
{
	return ca->cert;
}

int64_t
gp_ca_id(const gp_ca *ca)
{
	return ca->info->id;
}

const char *
gp_ca_name(const gp_ca *ca)
{
	return ca->info->name;
}

int
gp_ca_signer_get1(X509 **cert, EVP_PKEY **key, const gp_ca *ca)
{
	int r;

	if (cert == NULL || key == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_signer_get1: NULL output");
	*cert = NULL;
	*key = NULL;
	if (ca == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_signer_get1: no CA");
	if ((r = gp_ca_need_key(ca)) != 0)
		return r;
	if (!X509_up_ref(ca->cert))
		return gp_err_ossl(GP_E_INTERNAL, "reference counting");
	if (!EVP_PKEY_up_ref(ca->key)) {
		X509_free(ca->cert);
		return gp_err_ossl(GP_E_INTERNAL, "reference counting");
	}
	*cert = ca->cert;
	*key = ca->key;
	return 0;
}

/* Where a new CA's key goes: keys/NAME.key under the home. */
int
gp_ca_new_key_path(gp_ctx *ctx, const char *name, char **abs, char **rel)
{
	size_t len = strlen(ctx->keys_dir) + strlen(name) + 6;

	*abs = *rel = NULL;
	if (mkdir(ctx->keys_dir, 0700) != 0 && errno != EEXIST)
		return gp_err(GP_E_IO, "cannot create %s: %s", ctx->keys_dir, strerror(errno));
	if ((*abs = malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(*abs, len, "%s/%s.key", ctx->keys_dir, name);
	/* the store keeps the path relative to the home when it is under it */
	size_t hl = strlen(ctx->home);
	const char *r = *abs;
	if (strncmp(*abs, ctx->home, hl) == 0 && (*abs)[hl] == '/')
		r = *abs + hl + 1;
	return gp_strdup(rel, r);
}

int
gp_ca_key_obtain(EVP_PKEY **key, char **keyabs, char **keyrel, gp_ctx *ctx,
    const gp_ca_params *p)
{
	int r;

	*key = NULL;
	*keyabs = *keyrel = NULL;
	if (p->key_uri != NULL) {
		char *kp = NULL;

		if ((r = gp_ctx_path(ctx, p->key_uri, &kp)) != 0)
			return r;
		r = gp_key_load(key, kp, p->pass, p->passlen);
		free(kp);
		return r != 0 ? r : gp_strdup(keyrel, p->key_uri);
	}
	if (p->pass == NULL || p->passlen == 0)
		return gp_err(GP_E_PASSPHRASE, "CA %s: a passphrase is needed to encrypt its new key",
		    p->name);
	if ((r = gp_ca_new_key_path(ctx, p->name, keyabs, keyrel)) != 0)
		return r;
	if (access(*keyabs, F_OK) == 0)
		return gp_err(GP_E_EXISTS, "key file %s exists already", *keyabs);
	return gp_key_generate(key, p->key_type);
}

int
gp_ca_create(gp_ctx *ctx, const gp_ca_params *params)
{
	gp_ca_params pv;
	const gp_ca_params *p = &pv;
	gp_ca *parent = NULL;
	gp_ca_info *existing = NULL, info;
	gp_cert_info cinfo;
	gp_key_block kb;
	gp_lint_cert_ctx lc;
	const gp_profile *prof;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	X509_NAME *subj = NULL;
	unsigned char serial[16], *der = NULL, *dp;
	char *keyabs = NULL, *keyrel = NULL, detail[512];
	const char *actor, *pname;
	char fp[65];
	int r, len, in_tx = 0, key_written = 0;

	memset(&info, 0, sizeof(info));
	memset(&cinfo, 0, sizeof(cinfo));
	memset(&kb, 0, sizeof(kb));
	if ((r = gp_params_in(&pv, sizeof(pv), params, GP_PARAMS_END(gp_ca_params, policy),
	    "gp_ca_create")) != 0)
		return r;
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "no parameters");
	actor = p->actor ? p->actor : "ca-tool";
	if (!gp_ca_name_valid(p->name))
		return gp_err(GP_E_INVALID, "bad CA name '%s': use 1 to 64 of A-Z a-z 0-9 . _ -",
		    p->name ? p->name : "");
	if (p->subject == NULL)
		return gp_err(GP_E_INVALID, "CA %s: no subject given", p->name);
	if (p->base_url != NULL && (r = check_base_url(p->base_url, "--url")) != 0)
		return r;
	if (p->policy != NULL) {
		ASN1_OBJECT *o = NULL;

		if ((r = check_policy_oid(&o, p->policy, "--policy")) != 0)
			return r;
		ASN1_OBJECT_free(o);
	}
	r = gp_store_ca_get(ctx->store, p->name, &existing);
	gp_ca_info_free(existing);
	if (r == 0)
		return gp_err(GP_E_EXISTS, "a CA named '%s' exists already", p->name);
	if (r != GP_E_NOTFOUND)
		return r;
	pname = p->profile ? p->profile : (p->parent ? "sub-ca" : "root-ca");
	if ((prof = gp_profiles_get(ctx->profiles, pname)) == NULL)
		return gp_err(GP_E_NOTFOUND, "unknown profile '%s'", pname);
	if (!prof->is_ca)
		return gp_err(GP_E_POLICY, "profile %s is not a CA profile", pname);
	if (p->parent != NULL &&
	    ((r = gp_ca_open(&parent, ctx, p->parent,
	    p->parent_pass ? p->parent_pass : p->pass,
	    p->parent_pass ? p->parent_passlen : p->passlen)) != 0 ||
	    (r = gp_ca_need_key(parent)) != 0 ||
	    (r = gp_ca_check_path_len(parent, prof)) != 0))
		goto out;

	/* the key: an existing one, or a new one written only at commit */
	if ((r = gp_ca_key_obtain(&key, &keyabs, &keyrel, ctx, p)) != 0)
		goto out;

	if ((r = gp_name_parse(&subj, p->subject)) != 0 ||
	    (r = gp_profile_check(prof, key, subj, NULL)) != 0)
		goto out;
	if ((cert = X509_new()) == NULL || X509_set_version(cert, 2) != 1 ||
	    X509_set_subject_name(cert, subj) != 1 ||
	    X509_set_issuer_name(cert, parent ? X509_get_subject_name(parent->cert) : subj) != 1 ||
	    X509_set_pubkey(cert, key) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot build CA certificate");
		goto out;
	}
	if ((r = gp_ca_set_serial(cert, serial)) != 0 ||
	    (r = gp_ca_set_validity(cert, parent ? parent->cert : NULL, prof, p->days)) != 0 ||
	    (r = gp_profile_apply(prof, cert, parent ? parent->cert : cert, NULL)) != 0 ||
	    /* a self-signed root carries no CRL DP, AIA or policies
	     * (CA/B Baseline Requirements §7.1.2.1: NOT RECOMMENDED) */
	    (parent != NULL &&
	    (r = gp_profile_apply_defaults(prof, cert, &parent->dflt)) != 0))
		goto out;
	/* the lint before the signature and after it (ca/lint.c); a refusal
	 * is audited, nothing else is written */
	memset(&lc, 0, sizeof(lc));
	lc.profile = prof;
	lc.issuer = parent ? parent->cert : cert;
	lc.issuer_key = parent ? parent->key : key;
	lc.subject_key = key;
	if ((r = gp_lint_cert(cert, &lc, GP_LINT_TBS)) != 0 ||
	    (r = gp_x509_sign(cert, parent ? parent->key : key)) != 0 ||
	    (r = gp_lint_cert(cert, &lc, GP_LINT_SIGNED)) != 0) {
		if (r == GP_E_POLICY) {
			char context[256];

			snprintf(context, sizeof(context), "ca=%s profile=%s parent=%s", p->name,
			    pname, p->parent ? p->parent : "(self-signed)");
			r = gp_lint_audit(ctx->store, actor, p->name, context, r, NULL);
		}
		goto out;
	}
	/* an existing key may be neither another CA's nor a compromised one */
	if ((r = gp_x509_key_hash(kb.hash, cert)) != 0 ||
	    (r = gp_ca_key_refused(ctx->store, kb.hash)) != 0)
		goto out;
	if ((len = i2d_X509(cert, NULL)) <= 0 || (der = malloc((size_t)len)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode CA certificate");
		goto out;
	}
	dp = der;
	i2d_X509(cert, &dp);

	info.name = (char *)p->name;
	info.parent_id = parent ? parent->info->id : 0;
	info.key_uri = keyrel;
	info.key_type = (char *)gp_key_type_name(p->key_type);
	if (p->key_uri != NULL) {
		gp_key_type kt;
		int bits;

		if (gp_key_classify(&kt, &bits, key) == 0)
			info.key_type = (char *)gp_key_type_name(kt);
	}
	info.cert_der = der;
	info.cert_len = (size_t)len;
	info.created = gp_now();

	if ((r = gp_store_begin(ctx->store)) != 0)
		goto out;
	in_tx = 1;
	if ((parent != NULL && (r = gp_ca_check_active(parent)) != 0) ||
	    (r = gp_store_ca_add(ctx->store, &info)) != 0)
		goto out;
	/* a CA's key is never certified again, for anyone (issue 21.3) */
	kb.why = GP_KEY_BLOCK_CA;
	kb.ca_id = info.id;
	kb.at = info.created;
	if ((r = gp_store_key_block_add(ctx->store, &kb)) != 0)
		goto out;
	/* a sub-CA is a certificate of its parent: listed, revocable, on its CRL */
	if (parent != NULL) {
		if ((r = gp_ca_cert_info(&cinfo, cert, parent->info->id, pname, NULL)) != 0 ||
		    (r = gp_store_cert_add(ctx->store, &cinfo)) != 0)
			goto out;
	}
	{
		unsigned char fpb[32];

		if ((r = gp_x509_fingerprint(cert, fpb)) != 0)
			goto out;
		gp_hex_encode(fp, fpb, 32);
	}
	snprintf(detail, sizeof(detail), "subject=%s parent=%s key=%s sha256=%s",
	    p->subject, p->parent ? p->parent : "(self-signed)", info.key_type, fp);
	if ((r = gp_audit_append(ctx->store, actor, GP_AUDIT_CA_CREATE, p->name, detail)) != 0)
		goto out;
	{
		char mk[96];

		/* no --policy, no policy OID: none is made up (docs/configuration.md) */
		snprintf(mk, sizeof(mk), "ca.%s.policy", p->name);
		if (p->policy != NULL && (r = gp_store_meta_set(ctx->store, mk, p->policy)) != 0)
			goto out;
		snprintf(mk, sizeof(mk), "ca.%s.base_url", p->name);
		if (p->base_url != NULL && (r = gp_store_meta_set(ctx->store, mk, p->base_url)) != 0)
			goto out;
	}
	if (keyabs != NULL) {
		if ((r = gp_key_save(keyabs, key, p->pass, p->passlen)) != 0)
			goto out;
		key_written = 1;
	}
	if ((r = gp_store_commit(ctx->store)) != 0)
		goto out;
	in_tx = 0;
	r = 0;
out:
	if (in_tx)
		gp_store_rollback(ctx->store);
	if (r != 0 && key_written)
		unlink(keyabs);
	gp_ca_cert_info_clear(&cinfo);
	gp_ca_free(parent);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_NAME_free(subj);
	free(der);
	free(keyabs);
	free(keyrel);
	return r;
}

int
gp_ca_chain_pem(char **out, size_t *outlen, gp_ctx *ctx, const char *name)
{
	gp_ca_info *info = NULL, *next;
	BIO *bio = NULL;
	X509 *x = NULL;
	BUF_MEM *bm;
	int r, depth = 0;

	*out = NULL;
	*outlen = 0;
	if ((r = gp_store_ca_get(ctx->store, name, &info)) != 0) {
		if (r == GP_E_NOTFOUND)
			return gp_err(r, "no CA named '%s'", name);
		return r;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		if ((r = gp_cert_parse(&x, info->cert_der, info->cert_len)) != 0)
			goto out;
		if (PEM_write_bio_X509(bio, x) != 1) {
			r = gp_err_ossl(GP_E_NOMEM, "cannot write PEM");
			goto out;
		}
		X509_free(x);
		x = NULL;
		if (info->parent_id == 0)
			break;
		if (++depth > 16) {
			r = gp_err(GP_E_STORE, "CA %s: hierarchy deeper than 16", name);
			goto out;
		}
		if ((r = gp_store_ca_get_id(ctx->store, info->parent_id, &next)) != 0)
			goto out;
		gp_ca_info_free(info);
		info = next;
	}
	BIO_get_mem_ptr(bio, &bm);
	if ((*out = OPENSSL_malloc(bm->length + 1)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*out, bm->data, bm->length);
	(*out)[bm->length] = '\0';
	*outlen = bm->length;
	r = 0;
out:
	X509_free(x);
	BIO_free(bio);
	gp_ca_info_free(info);
	return r;
}

int
gp_ca_retire(gp_ctx *ctx, const char *name, const char *actor)
{
	gp_ca_info *info = NULL;
	char key[96], when[32], *old = NULL;
	time_t now = (time_t)gp_now();
	struct tm tm;
	int r, in_tx = 0;

	if (ctx == NULL || name == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_retire: NULL argument");
	if ((r = gp_store_ca_get(ctx->store, name, &info)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(r, "no CA named '%s'", name);
		return r;
	}
	gp_ca_info_free(info);
	snprintf(key, sizeof(key), "ca.%s.retired", name);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((r = gp_store_begin(ctx->store)) != 0)
		return r;
	in_tx = 1;
	if ((r = gp_store_meta_get(ctx->store, key, &old)) == 0) {
		r = gp_err(GP_E_STATE, "CA %s is retired already (since %s)", name, old);
		gp_free(old);
		goto out;
	}
	if (r != GP_E_NOTFOUND)
		goto out;
	gp_error_clear();
	if ((r = gp_store_meta_set(ctx->store, key, when)) != 0 ||
	    (r = gp_audit_append(ctx->store, actor ? actor : "ca-tool", "ca.retire", name,
	    "issues nothing from now; CRLs and OCSP go on")) != 0 ||
	    (r = gp_store_commit(ctx->store)) != 0)
		goto out;
	in_tx = 0;
out:
	if (in_tx)
		gp_store_rollback(ctx->store);
	return r;
}
