/* ca/profile.c: built-in and configured certificate profiles, their checks and extensions */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <govpki/config.h>
#include <govpki/profile.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "profile_int.h"

struct gp_profiles {
	gp_profile **v;
	size_t n;
};

/* ---- names ------------------------------------------------------------ */

static const char *const key_type_names[GP_KEY__COUNT] = {
	[GP_KEY_RSA2048] = "rsa2048",
	[GP_KEY_RSA3072] = "rsa3072",
	[GP_KEY_RSA4096] = "rsa4096",
	[GP_KEY_EC_P256] = "ec-p256",
	[GP_KEY_EC_P384] = "ec-p384",
	[GP_KEY_ED25519] = "ed25519",
	[GP_KEY_SM2] = "sm2",
};

#define ALL_KEY_TYPES ((1u << GP_KEY__COUNT) - 1)
#define RSA_KEY_TYPES ((1u << GP_KEY_RSA2048) | (1u << GP_KEY_RSA3072) | \
	(1u << GP_KEY_RSA4096))

/* RSA keys above this are refused: they only slow the CA down. */
#define RSA_MAX_BITS 16384

static const struct {
	const char *name;
	unsigned bit;
} ku_names[] = {
	{ "digitalSignature", KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", KU_NON_REPUDIATION },
	{ "keyEncipherment", KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", KU_KEY_AGREEMENT },
	{ "keyCertSign", KU_KEY_CERT_SIGN },
	{ "cRLSign", KU_CRL_SIGN },
};

static const struct {
	const char *name;
	int nid;
} eku_names[] = {
	{ "serverAuth", NID_server_auth },
	{ "clientAuth", NID_client_auth },
	{ "emailProtection", NID_email_protect },
	{ "codeSigning", NID_code_sign },
	{ "timeStamping", NID_time_stamp },
	{ "OCSPSigning", NID_OCSP_sign },
};

static const struct {
	const char *name;
	int type;
} san_names[] = {
	{ "DNS", GEN_DNS },
	{ "IP", GEN_IPADD },
	{ "email", GEN_EMAIL },
	{ "URI", GEN_URI },
};

#define SAN_BIT(t) (1u << (t))

static const char *
san_type_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(san_names) / sizeof(san_names[0]); i++)
		if (san_names[i].type == type)
			return san_names[i].name;
	switch (type) {
	case GEN_OTHERNAME: return "otherName";
	case GEN_X400: return "x400Address";
	case GEN_DIRNAME: return "dirName";
	case GEN_EDIPARTY: return "ediPartyName";
	case GEN_RID: return "RID";
	default: return "unknown";
	}
}

/* ---- string lists --------------------------------------------------------- */

static void
strv_free(char **v)
{
	char **p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

static int
strv_dup(char ***out, char *const *v)
{
	size_t n = 0, i;
	char **c;

	*out = NULL;
	if (v == NULL)
		return 0;
	while (v[n] != NULL)
		n++;
	if ((c = calloc(n + 1, sizeof(*c))) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	for (i = 0; i < n; i++) {
		if ((c[i] = strdup(v[i])) == NULL) {
			strv_free(c);
			return gp_err(GP_E_NOMEM, "profile: out of memory");
		}
	}
	*out = c;
	return 0;
}

static int
strv_has(char *const *v, const char *s)
{
	if (v == NULL)
		return 0;
	for (; *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

/*
 * Splits a comma-separated list into malloc'ed, space-trimmed items.  An
 * empty or all-space string gives an empty list; an empty item between
 * commas is GP_E_CONFIG (it is a typo).
 */
static int
split_list(char ***out, const char *s, const char *ctx)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	const char *p = s, *e, *a, *b;
	int r;

	*out = NULL;
	while (isspace((unsigned char)*p))
		p++;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	if (*p == '\0') {
		*out = v;
		return 0;
	}
	for (;;) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		for (a = p; a < e && isspace((unsigned char)*a); a++)
			;
		for (b = e; b > a && isspace((unsigned char)b[-1]); b--)
			;
		if (a == b) {
			r = gp_err(GP_E_CONFIG, "%s: empty item in list '%.64s'", ctx, s);
			goto out;
		}
		if (n + 2 > cap) {
			char **nv;

			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = gp_err(GP_E_NOMEM, "profile: out of memory");
				goto out;
			}
			v = nv;
		}
		if ((v[n] = strndup(a, (size_t)(b - a))) == NULL) {
			r = gp_err(GP_E_NOMEM, "profile: out of memory");
			goto out;
		}
		v[++n] = NULL;
		if (*e == '\0')
			break;
		p = e + 1;
	}
	*out = v;
	v = NULL;
	r = 0;
out:
	strv_free(v);
	return r;
}

/* 1 when s is a dotted OID ("1.2.156.x"), the only numeric form we accept. */
static int
is_dotted_oid(const char *s)
{
	int dots = 0;

	if (!isdigit((unsigned char)*s))
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (!isdigit((unsigned char)s[1]))
				return 0;
			dots++;
		} else if (!isdigit((unsigned char)*s)) {
			return 0;
		}
	}
	return dots >= 1;
}

/* ---- profiles ------------------------------------------------------------- */

static void
profile_free(gp_profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	sk_ASN1_OBJECT_pop_free(p->eku, ASN1_OBJECT_free);
	strv_free(p->subj_required);
	strv_free(p->subj_allowed);
	strv_free(p->subj_forbidden);
	strv_free(p->allowed_dns);
	strv_free(p->allowed_ip);
	strv_free(p->allowed_email);
	for (int k = 0; k < 3; k++) {
		strv_free(p->nc_permit[k]);
		strv_free(p->nc_exclude[k]);
	}
	sk_ASN1_OBJECT_pop_free(p->policies, ASN1_OBJECT_free);
	free(p->crl_dp);
	free(p->ocsp_url);
	free(p->ca_issuers_url);
	free(p->source);
	free(p);
}

static int
objs_dup(STACK_OF(ASN1_OBJECT) **out, const STACK_OF(ASN1_OBJECT) *in)
{
	*out = NULL;
	if (in == NULL)
		return 0;
	if ((*out = sk_ASN1_OBJECT_deep_copy(in, OBJ_dup, ASN1_OBJECT_free)) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "profile: copying OIDs");
	return 0;
}

static int
str_dup(char **out, const char *s)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	return 0;
}

/* A deep copy of base (NULL: the conservative defaults) named name. */
static int nc_dup(gp_profile *p, const gp_profile *base);

static int
profile_new(gp_profile **out, const gp_profile *base, const char *name)
{
	static char *const dflt_required[] = { "CN", NULL };
	static char *const dflt_allowed[] = { "C", "ST", "L", "O", "OU", "CN", NULL };
	gp_profile *p = NULL;
	int r;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	if ((r = str_dup(&p->name, name)) != 0)
		goto out;
	if (base == NULL) {
		/* conservative defaults: a one-year signing-only end-entity
		 * certificate with a CN, no SAN, one approval */
		p->key_types = ALL_KEY_TYPES;
		p->rsa_min_bits = 2048;
		p->max_days = 365;
		p->path_len = -1;
		p->key_usage = KU_DIGITAL_SIGNATURE;
		p->approvals = 1;
		if ((r = strv_dup(&p->subj_required, dflt_required)) != 0 ||
		    (r = strv_dup(&p->subj_allowed, dflt_allowed)) != 0)
			goto out;
	} else {
		p->key_types = base->key_types;
		p->rsa_min_bits = base->rsa_min_bits;
		p->max_days = base->max_days;
		p->is_ca = base->is_ca;
		p->path_len = base->path_len;
		p->key_usage = base->key_usage;
		p->eku_critical = base->eku_critical;
		p->san_types = base->san_types;
		p->san_required = base->san_required;
		p->ocsp_nocheck = base->ocsp_nocheck;
		p->crl_sharded = base->crl_sharded;
		p->approvals = base->approvals;
		p->acme = base->acme;
		p->acme_officer = base->acme_officer;
		p->est = base->est;
		p->est_officer = base->est_officer;
		p->cmp = base->cmp;
		p->cmp_officer = base->cmp_officer;
		p->scep = base->scep;
		p->scep_officer = base->scep_officer;
		p->cn_in_san = base->cn_in_san;
		if ((r = objs_dup(&p->eku, base->eku)) != 0 ||
		    (r = nc_dup(p, base)) != 0 ||
		    (r = strv_dup(&p->allowed_dns, base->allowed_dns)) != 0 ||
		    (r = strv_dup(&p->allowed_ip, base->allowed_ip)) != 0 ||
		    (r = strv_dup(&p->allowed_email, base->allowed_email)) != 0 ||
		    (r = objs_dup(&p->policies, base->policies)) != 0 ||
		    (r = strv_dup(&p->subj_required, base->subj_required)) != 0 ||
		    (r = strv_dup(&p->subj_allowed, base->subj_allowed)) != 0 ||
		    (r = strv_dup(&p->subj_forbidden, base->subj_forbidden)) != 0 ||
		    (r = str_dup(&p->crl_dp, base->crl_dp)) != 0 ||
		    (r = str_dup(&p->ocsp_url, base->ocsp_url)) != 0 ||
		    (r = str_dup(&p->ca_issuers_url, base->ca_issuers_url)) != 0)
			goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	profile_free(p);
	return r;
}

/* ---- value parsers (shared by the built-ins and the configuration) ----- */
/* ctx is "FILE:LINE: key in [section]" or "built-in profile NAME: key". */

static int
parse_key_types(unsigned *out, const char *s, const char *ctx)
{
	char **v = NULL;
	unsigned bits = 0;
	size_t i;
	int t, r;

	*out = 0;
	if ((r = split_list(&v, s, ctx)) != 0)
		return r;
	for (i = 0; v[i] != NULL; i++) {
		for (t = 0; t < GP_KEY__COUNT; t++)
			if (strcasecmp(v[i], key_type_names[t]) == 0)
				break;
		if (t == GP_KEY__COUNT) {
			r = gp_err(GP_E_CONFIG, "%s: unknown key type '%.64s' (one of "
			    "rsa2048, rsa3072, rsa4096, ec-p256, ec-p384, ed25519, sm2)",
			    ctx, v[i]);
			goto out;
		}
		bits |= 1u << t;
	}
	if (bits == 0) {
		r = gp_err(GP_E_CONFIG, "%s: at least one key type is needed", ctx);
		goto out;
	}
	*out = bits;
	r = 0;
out:
	strv_free(v);
	return r;
}

static int
parse_key_usage(unsigned *out, const char *s, const char *ctx)
{
	char **v = NULL;
	unsigned bits = 0;
	size_t i, k;
	int r;

	*out = 0;
	if ((r = split_list(&v, s, ctx)) != 0)
		return r;
	for (i = 0; v[i] != NULL; i++) {
		for (k = 0; k < sizeof(ku_names) / sizeof(ku_names[0]); k++)
			if (strcasecmp(v[i], ku_names[k].name) == 0)
				break;
		if (k == sizeof(ku_names) / sizeof(ku_names[0])) {
			r = gp_err(GP_E_CONFIG, "%s: unknown key usage '%.64s' (one of "
			    "digitalSignature, nonRepudiation, keyEncipherment, "
			    "dataEncipherment, keyAgreement, keyCertSign, cRLSign)",
			    ctx, v[i]);
			goto out;
		}
		bits |= ku_names[k].bit;
	}
	*out = bits;
	r = 0;
out:
	strv_free(v);
	return r;
}

/* A list of OIDs; names from eku_names when eku, else dotted OIDs only. */
static int
parse_oids(STACK_OF(ASN1_OBJECT) **out, const char *s, int eku, const char *ctx)
{
	STACK_OF(ASN1_OBJECT) *st = NULL;
	ASN1_OBJECT *o = NULL;
	char **v = NULL;
	size_t i, k;
	int r;

	*out = NULL;
	if ((r = split_list(&v, s, ctx)) != 0)
		return r;
	if ((st = sk_ASN1_OBJECT_new_null()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: out of memory");
		goto out;
	}
	for (i = 0; v[i] != NULL; i++) {
		o = NULL;
		for (k = 0; eku && k < sizeof(eku_names) / sizeof(eku_names[0]); k++)
			if (strcasecmp(v[i], eku_names[k].name) == 0)
				break;
		if (eku && k < sizeof(eku_names) / sizeof(eku_names[0]))
			o = OBJ_nid2obj(eku_names[k].nid);
		else if (is_dotted_oid(v[i]))
			o = OBJ_txt2obj(v[i], 1);
		if (o == NULL) {
			r = gp_err(GP_E_CONFIG, eku ?
			    "%s: unknown extended key usage '%.64s' (serverAuth, "
			    "clientAuth, emailProtection, codeSigning, timeStamping, "
			    "OCSPSigning or a dotted OID)" :
			    "%s: '%.64s' is not a dotted OID", ctx, v[i]);
			goto out;
		}
		if (!sk_ASN1_OBJECT_push(st, o)) {
			ASN1_OBJECT_free(o);
			r = gp_err_ossl(GP_E_NOMEM, "profile: out of memory");
			goto out;
		}
	}
	*out = st;
	st = NULL;
	r = 0;
out:
	sk_ASN1_OBJECT_pop_free(st, ASN1_OBJECT_free);
	strv_free(v);
	return r;
}

/*
 * A list of subject attribute names, normalised to OpenSSL short names
 * ("commonName" -> "CN").  "*" (only for allowed) gives NULL: any attribute
 * that is not forbidden.
 */
static int
parse_attrs(char ***out, const char *s, int star_ok, const char *ctx)
{
	char **v = NULL;
	size_t i;
	int r, nid;

	*out = NULL;
	if ((r = split_list(&v, s, ctx)) != 0)
		return r;
	if (star_ok && v[0] != NULL && strcmp(v[0], "*") == 0 && v[1] == NULL) {
		strv_free(v);
		return 0;
	}
	for (i = 0; v[i] != NULL; i++) {
		const char *sn;
		char *c;

		if ((nid = OBJ_txt2nid(v[i])) == NID_undef ||
		    (sn = OBJ_nid2sn(nid)) == NULL) {
			r = gp_err(GP_E_CONFIG, "%s: unknown subject attribute '%.64s'",
			    ctx, v[i]);
			goto out;
		}
		if ((c = strdup(sn)) == NULL) {
			r = gp_err(GP_E_NOMEM, "profile: out of memory");
			goto out;
		}
		free(v[i]);
		v[i] = c;
	}
	*out = v;
	v = NULL;
	r = 0;
out:
	strv_free(v);
	return r;
}

static int
parse_san_types(unsigned *out, const char *s, const char *ctx)
{
	char **v = NULL;
	unsigned bits = 0;
	size_t i, k;
	int r;

	*out = 0;
	if ((r = split_list(&v, s, ctx)) != 0)
		return r;
	for (i = 0; v[i] != NULL; i++) {
		for (k = 0; k < sizeof(san_names) / sizeof(san_names[0]); k++)
			if (strcasecmp(v[i], san_names[k].name) == 0)
				break;
		if (k == sizeof(san_names) / sizeof(san_names[0])) {
			r = gp_err(GP_E_CONFIG, "%s: unknown subjectAltName type "
			    "'%.64s' (DNS, IP, email, URI)", ctx, v[i]);
			goto out;
		}
		bits |= SAN_BIT(san_names[k].type);
	}
	*out = bits;
	r = 0;
out:
	strv_free(v);
	return r;
}

/* An http(s) or ldap URL without spaces; "" gives NULL (no extension). */
static int
parse_url(char **out, const char *s, const char *ctx)
{
	const char *p;

	*out = NULL;
	if (*s == '\0')
		return 0;
	if (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0 &&
	    strncasecmp(s, "ldap://", 7) != 0)
		return gp_err(GP_E_CONFIG, "%s: '%.64s' is not an http://, https:// "
		    "or ldap:// URL", ctx, s);
	for (p = s; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			return gp_err(GP_E_CONFIG, "%s: the URL '%.64s' contains a "
			    "space or a non-ASCII character", ctx, s);
	return str_dup(out, s);
}

/* Rules that hold between keys, checked once a profile is complete. */
static int
profile_validate(const gp_profile *p, const char *ctx)
{
	size_t i;

	if (p->key_usage & KU_KEY_CERT_SIGN && !p->is_ca)
		/* RFC 5280 §4.2.1.9: keyCertSign needs cA */
		return gp_err(GP_E_CONFIG, "%s: key_usage keyCertSign needs ca = yes "
		    "(RFC 5280 4.2.1.9)", ctx);
	if (p->is_ca && !(p->key_usage & KU_KEY_CERT_SIGN))
		/* RFC 5280 §4.2.1.3: a CA key that signs certificates has a KU
		 * with keyCertSign */
		return gp_err(GP_E_CONFIG, "%s: a CA profile needs key_usage "
		    "keyCertSign (RFC 5280 4.2.1.3)", ctx);
	if (p->path_len >= 0 && !p->is_ca)
		return gp_err(GP_E_CONFIG, "%s: path_len needs ca = yes "
		    "(RFC 5280 4.2.1.9)", ctx);
	if (p->san_required && p->san_types == 0)
		return gp_err(GP_E_CONFIG, "%s: san_required but san_types is empty",
		    ctx);
	for (i = 0; p->subj_required != NULL && p->subj_required[i] != NULL; i++) {
		if (strv_has(p->subj_forbidden, p->subj_required[i]))
			return gp_err(GP_E_CONFIG, "%s: subject attribute '%s' is both "
			    "required and forbidden", ctx, p->subj_required[i]);
		if (p->subj_allowed != NULL &&
		    !strv_has(p->subj_allowed, p->subj_required[i]))
			return gp_err(GP_E_CONFIG, "%s: subject attribute '%s' is "
			    "required but not in subject_allowed", ctx,
			    p->subj_required[i]);
	}
	if (p->ocsp_nocheck) {
		int has = 0;

		for (i = 0; p->eku != NULL && i < (size_t)sk_ASN1_OBJECT_num(p->eku); i++)
			if (OBJ_obj2nid(sk_ASN1_OBJECT_value(p->eku, (int)i)) == NID_OCSP_sign)
				has = 1;
		/* RFC 6960 §4.2.2.2.1: nocheck is for delegated responders */
		if (!has)
			return gp_err(GP_E_CONFIG, "%s: ocsp_nocheck needs "
			    "ext_key_usage OCSPSigning (RFC 6960 4.2.2.2.1)", ctx);
	}
	return 0;
}

/* ---- name rules ---------------------------------------------------------- */
/*
 * allowed_dns, allowed_ip and allowed_email restrict the names a profile
 * issues for, the way a CA's nameConstraints permittedSubtrees would
 * (RFC 5280 §4.2.1.10), but checked before signing: a request outside them
 * is refused, nothing is stored.
 */

/* An address with a prefix length: "10.1.0.0/16", "2001:db8::/32", or one
 * address ("192.0.2.7": /32 or /128).  Bits past the prefix must be zero. */
static int
parse_cidr(unsigned char addr[16], int *alen, int *plen, const char *s)
{
	char buf[64], *slash, *end;
	long pl;
	int i;

	if (strlen(s) >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		*alen = 4;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*alen = 16;
	else
		return 0;
	pl = *alen * 8;
	if (slash != NULL) {
		if (!isdigit((unsigned char)*slash))
			return 0;
		pl = strtol(slash, &end, 10);
		if (*end != '\0' || pl > *alen * 8)
			return 0;
	}
	for (i = 0; i < *alen * 8; i++)
		if (i >= pl && (addr[i / 8] & (0x80 >> (i % 8))))
			return 0;
	*plen = (int)pl;
	return 1;
}

/* Checks and lower-cases one item of a rule of the given GEN_* type. */
static int
rule_item_ok(char *item, int type)
{
	unsigned char a[16];
	char *at, *host = item;
	int alen, plen;

	if (type == GEN_IPADD)
		return parse_cidr(a, &alen, &plen, item);
	if (type == GEN_EMAIL && (at = strrchr(item, '@')) != NULL) {
		if (at == item)
			return 0;
		host = at + 1;
	} else if (*host == '.') {
		host++;
	}
	for (char *c = host; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return gp_dns_name_ok(host, strlen(host), 0);
}

/* Reads a rule key of [section] over the inherited one: "" is no rule. */
static int
load_rule(char ***rule, const gp_config *cfg, const char *section,
    const char *key, int type, const char *ctx)
{
	const char *v = gp_config_str(cfg, section, key, NULL);
	char **items = NULL;
	size_t i;
	int r;

	if (v == NULL)
		return 0;
	if ((r = split_list(&items, v, ctx)) != 0)
		return r;
	for (i = 0; items[i] != NULL; i++) {
		if (!rule_item_ok(items[i], type)) {
			r = gp_err(GP_E_CONFIG, "%s: '%.100s' is not %s", ctx, items[i],
			    type == GEN_DNS ? "a DNS name or .domain" :
			    type == GEN_IPADD ? "an address or address/prefix with "
			    "no bits set past the prefix" :
			    "a mailbox, a host or a .domain");
			strv_free(items);
			return r;
		}
	}
	strv_free(*rule);
	*rule = NULL;
	if (items[0] == NULL)
		strv_free(items);
	else
		*rule = items;
	return 0;
}

/* ---- nameConstraints of a CA profile ------------------------------------ */

static const char *const nc_keys[2][3] = {
	{ "permitted_dns", "permitted_email", "permitted_ip" },
	{ "excluded_dns", "excluded_email", "excluded_ip" },
};
static const int nc_gen[3] = { GEN_DNS, GEN_EMAIL, GEN_IPADD };

static int
nc_dup(gp_profile *p, const gp_profile *base)
{
	int k, r;

	for (k = 0; k < 3; k++)
		if ((r = strv_dup(&p->nc_permit[k], base->nc_permit[k])) != 0 ||
		    (r = strv_dup(&p->nc_exclude[k], base->nc_exclude[k])) != 0)
			return r;
	return 0;
}

static int
nc_any(const gp_profile *p)
{
	for (int k = 0; k < 3; k++)
		if (p->nc_permit[k] != NULL || p->nc_exclude[k] != NULL)
			return 1;
	return 0;
}

/* The six keys of [section], in the syntax of the name rules; only a CA
 * profile constrains the names below it. */
static int
nc_load(gp_profile *p, const gp_config *cfg, const char *section)
{
	char ctx[256];
	int k, x, r;

	for (x = 0; x < 2; x++) {
		for (k = 0; k < 3; k++) {
			snprintf(ctx, sizeof(ctx), "%s:%d: [%s] %s", gp_config_path(cfg),
			    gp_config_line(cfg, section, nc_keys[x][k]), section, nc_keys[x][k]);
			if ((r = load_rule(x == 0 ? &p->nc_permit[k] : &p->nc_exclude[k], cfg,
			    section, nc_keys[x][k], nc_gen[k], ctx)) != 0)
				return r;
		}
	}
	if (nc_any(p) && !p->is_ca)
		return gp_err(GP_E_CONFIG, "%s: [%s]: permitted_* and excluded_* (nameConstraints, "
		    "RFC 5280 4.2.1.10) go in a CA profile (ca = yes)", gp_config_path(cfg), section);
	return 0;
}

/* One subtree: base the name item of type gen (an IP as address and
 * mask, RFC 5280 §4.2.1.10). */
static int
nc_subtree(STACK_OF(GENERAL_SUBTREE) **sk, const char *item, int gen)
{
	GENERAL_SUBTREE *st = NULL;
	ASN1_STRING *v = NULL;
	unsigned char buf[32];
	int alen = 0, plen = 0, i;

	if (gen == GEN_IPADD) {
		memset(buf, 0, sizeof(buf));
		if (!parse_cidr(buf, &alen, &plen, item))
			return gp_err(GP_E_CONFIG, "profile: '%s' is not an address/prefix", item);
		for (i = 0; i < plen; i++)
			buf[alen + i / 8] |= (unsigned char)(0x80 >> (i % 8));
		if ((v = ASN1_OCTET_STRING_new()) == NULL || !ASN1_OCTET_STRING_set(v, buf, 2 * alen))
			goto fail;
	} else if ((v = ASN1_IA5STRING_new()) == NULL || !ASN1_STRING_set(v, item, -1)) {
		goto fail;
	}
	if ((st = GENERAL_SUBTREE_new()) == NULL)
		goto fail;
	GENERAL_NAME_set0_value(st->base, gen, v);
	v = NULL;
	if ((*sk == NULL && (*sk = sk_GENERAL_SUBTREE_new_null()) == NULL) ||
	    !sk_GENERAL_SUBTREE_push(*sk, st))
		goto fail;
	return 0;
fail:
	ASN1_STRING_free(v);
	GENERAL_SUBTREE_free(st);
	return gp_err_ossl(GP_E_NOMEM, "profile: nameConstraints");
}

static int add_ext(X509 *cert, int nid, void *value, int crit, const char *what);

/* RFC 5280 §4.2.1.10: nameConstraints, critical, in a CA certificate. */
static int
add_name_constraints(X509 *cert, const gp_profile *p)
{
	NAME_CONSTRAINTS *nc;
	int k, x, r = 0;

	if (!nc_any(p))
		return 0;
	if ((nc = NAME_CONSTRAINTS_new()) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "profile: nameConstraints");
	for (x = 0; x < 2 && r == 0; x++)
		for (k = 0; k < 3 && r == 0; k++) {
			char **items = x == 0 ? p->nc_permit[k] : p->nc_exclude[k];

			for (size_t i = 0; r == 0 && items != NULL && items[i] != NULL; i++)
				r = nc_subtree(x == 0 ? &nc->permittedSubtrees : &nc->excludedSubtrees,
				    items[i], nc_gen[k]);
		}
	if (r == 0)
		r = add_ext(cert, NID_name_constraints, nc, 1, "nameConstraints");
	NAME_CONSTRAINTS_free(nc);
	return r;
}

/* RFC 5280 §4.2.1.10: a DNS name is within "city.gov" when it is city.gov
 * or ends in ".city.gov" (labels added on the left); within ".city.gov" when
 * it ends so.  A wildcard "*.x.city.gov" is a name in x.city.gov's subtree. */
static int
dns_within(const char *name, size_t n, const char *rule)
{
	size_t rl = strlen(rule);

	if (rule[0] == '.')
		return n > rl && strncasecmp(name + n - rl, rule, rl) == 0;
	if (n == rl)
		return strncasecmp(name, rule, n) == 0;
	return n > rl && name[n - rl - 1] == '.' &&
	    strncasecmp(name + n - rl, rule, rl) == 0;
}

/* RFC 5280 §4.2.1.10: a mailbox rule matches that mailbox, a host rule all
 * mailboxes at that host, a ".domain" rule mailboxes at any host below it. */
static int
email_within(const char *addr, size_t n, const char *rule)
{
	const char *at = memchr(addr, '@', n);
	size_t hl;

	if (at == NULL)
		return 0;
	if (strchr(rule, '@') != NULL)
		return strlen(rule) == n && strncmp(addr, rule, (size_t)(at - addr)) == 0 &&
		    strncasecmp(at, strchr(rule, '@'), n - (size_t)(at - addr)) == 0;
	hl = n - (size_t)(at - addr) - 1;
	if (rule[0] == '.')
		return dns_within(at + 1, hl, rule);
	return hl == strlen(rule) && strncasecmp(at + 1, rule, hl) == 0;
}

static int
ip_within(const unsigned char *a, int alen, const char *rule)
{
	unsigned char net[16];
	int nlen, plen, i;

	if (!parse_cidr(net, &nlen, &plen, rule) || nlen != alen)
		return 0;
	for (i = 0; i < plen; i++)
		if ((a[i / 8] ^ net[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/* 0 when the name (bytes for GEN_IPADD, text otherwise) is within p's rule
 * for its type, or p has none; GP_E_POLICY naming the rule otherwise. */
static int
rule_check(const gp_profile *p, int type, const void *v, size_t n)
{
	char *const *rule = type == GEN_DNS ? p->allowed_dns :
	    type == GEN_IPADD ? p->allowed_ip : type == GEN_EMAIL ? p->allowed_email : NULL;
	char shown[INET6_ADDRSTRLEN + 1];
	size_t i;

	if (rule == NULL)
		return 0;
	for (i = 0; rule[i] != NULL; i++) {
		if (type == GEN_DNS ? dns_within(v, n, rule[i]) :
		    type == GEN_EMAIL ? email_within(v, n, rule[i]) :
		    ip_within(v, (int)n, rule[i]))
			return 0;
	}
	if (type == GEN_IPADD) {
		if (inet_ntop(n == 4 ? AF_INET : AF_INET6, v, shown, sizeof(shown)) == NULL)
			snprintf(shown, sizeof(shown), "?");
		return gp_err(GP_E_POLICY, "profile %s: IP address %s is outside "
		    "allowed_ip", p->name, shown);
	}
	return gp_err(GP_E_POLICY, "profile %s: %s '%.*s' is outside %s", p->name,
	    type == GEN_DNS ? "DNS name" : "email address", (int)(n > 255 ? 255 : n),
	    (const char *)v, type == GEN_DNS ? "allowed_dns" : "allowed_email");
}

int
gp_profile_name_allowed(const gp_profile *p, int gen_type, const char *value)
{
	unsigned char a[16];

	if (p == NULL || value == NULL)
		return gp_err(GP_E_INVALID, "gp_profile_name_allowed: NULL argument");
	if (!(p->san_types & SAN_BIT(gen_type)))
		return gp_err(GP_E_POLICY, "profile %s: subjectAltName type '%s' is "
		    "not allowed", p->name, san_type_name(gen_type));
	if (gen_type == GEN_IPADD) {
		if (inet_pton(AF_INET, value, a) == 1)
			return rule_check(p, GEN_IPADD, a, 4);
		if (inet_pton(AF_INET6, value, a) == 1)
			return rule_check(p, GEN_IPADD, a, 16);
		return gp_err(GP_E_POLICY, "profile %s: '%.64s' is not an IP address",
		    p->name, value);
	}
	return rule_check(p, gen_type, value, strlen(value));
}

/* Every name of the request within the profile's rules; with cn_in_san,
 * every CN one of the DNS or IP subjectAltNames (CA/B Baseline
 * Requirements §7.1.4.3). */
static int
names_check(const gp_profile *p, const X509_NAME *subject, const GENERAL_NAMES *sans)
{
	int i, j, r, nsans = sans != NULL ? sk_GENERAL_NAME_num(sans) : 0;
	int n = subject != NULL ? X509_NAME_entry_count(subject) : 0;

	for (i = 0; i < nsans; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		const ASN1_STRING *s = gn->type == GEN_DNS ? gn->d.dNSName :
		    gn->type == GEN_EMAIL ? gn->d.rfc822Name :
		    gn->type == GEN_IPADD ? gn->d.iPAddress : NULL;

		if (s != NULL && (r = rule_check(p, gn->type, ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s))) != 0)
			return r;
	}
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(subject, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		unsigned char *u = NULL, a[16];
		int ul, alen = 0, found = 0;

		if (nid != NID_commonName && nid != NID_pkcs9_emailAddress)
			continue;
		if ((ul = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e))) < 0)
			return gp_err_ossl(GP_E_POLICY, "profile %s: a subject attribute "
			    "is not valid text", p->name);
		if (nid == NID_pkcs9_emailAddress) {
			r = rule_check(p, GEN_EMAIL, u, (size_t)ul);
			OPENSSL_free(u);
			if (r != 0)
				return r;
			continue;
		}
		if (!p->cn_in_san) {
			OPENSSL_free(u);
			continue;
		}
		if (memchr(u, '\0', (size_t)ul) == NULL) {
			if (inet_pton(AF_INET, (char *)u, a) == 1)
				alen = 4;
			else if (inet_pton(AF_INET6, (char *)u, a) == 1)
				alen = 16;
		}
		for (j = 0; j < nsans && !found; j++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, j);

			if (gn->type == GEN_DNS)
				found = ASN1_STRING_length(gn->d.dNSName) == ul &&
				    strncasecmp((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
				    (const char *)u, (size_t)ul) == 0;
			else if (gn->type == GEN_IPADD && alen > 0)
				found = ASN1_STRING_length(gn->d.iPAddress) == alen &&
				    memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), a,
				    (size_t)alen) == 0;
		}
		if (!found) {
			r = gp_err(GP_E_POLICY, "profile %s: CN '%.*s' is not one of the "
			    "DNS or IP subjectAltNames (cn_in_san; CA/B BR 7.1.4.3)",
			    p->name, ul > 255 ? 255 : ul, (const char *)u);
			OPENSSL_free(u);
			return r;
		}
		OPENSSL_free(u);
	}
	return 0;
}

/* ---- built-in profiles ----------------------------------------------------- */

struct builtin {
	const char *name;
	const char *key_types;     /* NULL: all */
	int max_days;
	int is_ca;
	int path_len;
	unsigned key_usage;
	const char *eku;
	int eku_critical;
	const char *subj_required;
	const char *subj_allowed;  /* NULL: C,ST,L,O,OU,CN */
	const char *san_types;
	int san_required;
	int ocsp_nocheck;
	int approvals;
};

#define SUBJ_ORG "C,ST,L,O,OU,CN"
#define SUBJ_PERSON "C,ST,L,O,OU,CN,serialNumber,emailAddress,GN,SN"

static const struct builtin builtins[] = {
	/* CA profiles: dual control, never fewer than GP_PROFILE_CA_APPROVALS */
	{ "root-ca", NULL, 7300, 1, -1, KU_KEY_CERT_SIGN | KU_CRL_SIGN,
	  "", 0, "CN", SUBJ_ORG, "", 0, 0, 2 },
	{ "sub-ca", NULL, 3650, 1, 0, KU_KEY_CERT_SIGN | KU_CRL_SIGN,
	  "", 0, "CN", SUBJ_ORG, "", 0, 0, 2 },
	/* CA/Browser Forum Baseline Requirements §6.3.2 (ballot SC-081): at
	 * most 200 days from 2026-03-15, 100 days from 2027-03-15 and 47 days
	 * from 2029-03-15; lower max_days in [profile.tls-server] on those dates */
	{ "tls-server", NULL, 200, 0, -1,
	  KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT,
	  "serverAuth", 0, "", SUBJ_ORG, "DNS,IP", 1, 0, 1 },
	{ "tls-client", NULL, 825, 0, -1, KU_DIGITAL_SIGNATURE,
	  "clientAuth", 0, "CN", SUBJ_ORG, "DNS,IP,email,URI", 0, 0, 1 },
	{ "person", NULL, 1095, 0, -1, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
	  "clientAuth,emailProtection", 0, "CN", SUBJ_PERSON, "email", 0, 0, 1 },
	{ "department", NULL, 1095, 0, -1,
	  KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
	  "clientAuth,emailProtection", 0, "O,CN", SUBJ_ORG ",emailAddress",
	  "email", 0, 0, 1 },
	{ "device", NULL, 1825, 0, -1, KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT,
	  "clientAuth", 0, "CN", SUBJ_ORG ",serialNumber", "DNS,IP,URI", 0, 0, 1 },
	{ "seal-signer", NULL, 1095, 0, -1,
	  KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
	  GP_OID_SEAL_MAKER, 0, "O,CN", SUBJ_ORG, "", 0, 0, 2 },
	/* RFC 6960 §4.2.2.2: a delegated responder has id-kp-OCSPSigning;
	 * short-lived because nocheck means it is never revocation-checked */
	{ "ocsp-signer", NULL, 90, 0, -1, KU_DIGITAL_SIGNATURE,
	  "OCSPSigning", 0, "CN", SUBJ_ORG, "", 0, 1, 1 },
	/* RFC 3161 §2.3: the TSA certificate has exactly one EKU,
	 * id-kp-timeStamping, and it MUST be critical */
	{ "tsa-signer", NULL, 1825, 0, -1,
	  KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
	  "timeStamping", 1, "CN", SUBJ_ORG, "", 0, 0, 1 },
	/* the encryption certificate of a dual pair, for a key the KMC made
	 * (GM/T 0015 §6.2: keyEncipherment, dataEncipherment, keyAgreement;
	 * ku_for_key keeps what fits the key) */
	{ "person-encryption", NULL, 1095, 0, -1,
	  KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT,
	  "emailProtection", 0, "CN", SUBJ_PERSON, "email", 0, 0, 1 },
};

static int
builtin_make(gp_profile **out, const struct builtin *b)
{
	gp_profile *p = NULL;
	char ctx[128];
	int r;

	*out = NULL;
	snprintf(ctx, sizeof(ctx), "built-in profile %s", b->name);
	if ((r = profile_new(&p, NULL, b->name)) != 0 ||
	    (r = str_dup(&p->source, "built-in")) != 0)
		goto out;
	if (b->key_types != NULL &&
	    (r = parse_key_types(&p->key_types, b->key_types, ctx)) != 0)
		goto out;
	p->max_days = b->max_days;
	p->is_ca = b->is_ca;
	p->path_len = b->path_len;
	p->key_usage = b->key_usage;
	p->eku_critical = b->eku_critical;
	p->san_required = b->san_required;
	p->ocsp_nocheck = b->ocsp_nocheck;
	p->approvals = b->approvals;
	/* ACME orders are issued once validated for TLS servers, and wait
	 * for an officer in every other profile */
	p->acme_officer = strcmp(b->name, "tls-server") != 0;
	/* EST is off; once on, enrolments wait for an officer unless
	 * est_approval = auto says otherwise */
	p->est_officer = 1;
	/* CMP likewise (cmp_approval), and SCEP (scep_approval) */
	p->cmp_officer = 1;
	p->scep_officer = 1;
	/* CA/B Baseline Requirements §7.1.4.3: a server certificate's CN,
	 * if any, is one of its subjectAltNames */
	p->cn_in_san = strcmp(b->name, "tls-server") == 0;
	strv_free(p->subj_required);
	p->subj_required = NULL;
	strv_free(p->subj_allowed);
	p->subj_allowed = NULL;
	if ((r = parse_oids(&p->eku, b->eku, 1, ctx)) != 0 ||
	    (r = parse_attrs(&p->subj_required, b->subj_required, 0, ctx)) != 0 ||
	    (r = parse_attrs(&p->subj_allowed, b->subj_allowed, 1, ctx)) != 0 ||
	    (r = parse_attrs(&p->subj_forbidden, "", 0, ctx)) != 0 ||
	    (r = parse_san_types(&p->san_types, b->san_types, ctx)) != 0 ||
	    (r = profile_validate(p, ctx)) != 0)
		goto out;
	*out = p;
	p = NULL;
	r = 0;
out:
	profile_free(p);
	return r;
}

/* ---- the set of profiles ------------------------------------------------- */

void
gp_profiles_free(gp_profiles *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++)
		profile_free(ps->v[i]);
	free(ps->v);
	free(ps);
}

static gp_profile **
slot(gp_profiles *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i]->name, name) == 0)
			return &ps->v[i];
	return NULL;
}

/* Adds p to ps, replacing a profile of the same name; takes p always. */
static int
profiles_put(gp_profiles *ps, gp_profile *p)
{
	gp_profile **s, **nv;

	if ((s = slot(ps, p->name)) != NULL) {
		profile_free(*s);
		*s = p;
		return 0;
	}
	if ((nv = realloc(ps->v, (ps->n + 1) * sizeof(*nv))) == NULL) {
		profile_free(p);
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	}
	ps->v = nv;
	ps->v[ps->n++] = p;
	return 0;
}

static const char *const profile_keys[] = {
	"inherit", "key_types", "rsa_min_bits", "max_days", "ca", "path_len",
	"key_usage", "ext_key_usage", "ext_key_usage_critical",
	"subject_required", "subject_allowed", "subject_forbidden",
	"san_types", "san_required", "policies", "crl_url", "ocsp_url",
	"ca_issuers_url", "ocsp_nocheck", "crl_sharded", "approvals", "acme", "acme_approval",
	"est", "est_approval", "cmp", "cmp_approval", "scep", "scep_approval",
	"allowed_dns", "allowed_ip", "allowed_email", "cn_in_san",
	"permitted_dns", "permitted_email", "permitted_ip", "excluded_dns", "excluded_email",
	"excluded_ip", NULL
};

/* The configured sections, resolved in inheritance order. */
struct loader {
	const gp_config *cfg;
	gp_profiles *ps;
	char **names;     /* profile names that have a section */
	int *state;       /* 0 pending, 1 in progress, 2 done */
	size_t n;
};

static int
collect_cb(void *arg, const char *section, const char *rest)
{
	struct loader *ld = arg;
	char **nn;
	int *ns;

	if ((nn = realloc(ld->names, (ld->n + 1) * sizeof(*nn))) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	ld->names = nn;
	if ((ns = realloc(ld->state, (ld->n + 1) * sizeof(*ns))) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	ld->state = ns;
	if ((ld->names[ld->n] = strdup(rest)) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	ld->state[ld->n++] = 0;
	(void)section;
	return 0;
}

static int
valid_profile_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static void
key_ctx(char *buf, size_t size, const gp_config *cfg, const char *section,
    const char *key)
{
	int line = gp_config_line(cfg, section, key);

	if (line > 0)
		snprintf(buf, size, "%s:%d: %s in [%s]", gp_config_path(cfg), line,
		    key, section);
	else
		snprintf(buf, size, "%s: %s in [%s]", gp_config_path(cfg), key,
		    section);
}

/* A protocol's approval key (acme_approval, est_approval): auto (*officer
 * 0) or officer (1); absent leaves *officer as it is. */
static int
parse_approval(int *officer, const gp_config *cfg, const char *section, const char *key)
{
	const char *v = gp_config_str(cfg, section, key, NULL);
	char ctx[512];

	if (v == NULL)
		return 0;
	if (strcmp(v, "auto") == 0 || strcmp(v, "officer") == 0) {
		*officer = strcmp(v, "officer") == 0;
		return 0;
	}
	key_ctx(ctx, sizeof(ctx), cfg, section, key);
	return gp_err(GP_E_CONFIG, "%s: must be auto or officer, not '%s'", ctx, v);
}

static int resolve(struct loader *ld, size_t i);

/* Edit distance of a and b (each at most 64 characters, as profile names
 * are), for "did you mean": a misspelt built-in is one or two edits off. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* A [profile.NAME] that names no built-in profile makes a new one, which
 * must say what it starts from: otherwise a misspelt built-in name (say
 * [profile.tls-sever]) would silently become a new profile of the
 * conservative defaults and the intended change would never apply. */
static int
new_profile_check(const gp_config *cfg, const char *section, const char *name)
{
	const char *near = NULL;
	size_t i, d, best = 3;
	int line = gp_config_line(cfg, section, NULL);
	char where[1100];

	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d", gp_config_path(cfg), line);
	else
		snprintf(where, sizeof(where), "%s", gp_config_path(cfg));
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if ((d = edit_distance(name, builtins[i].name)) < best) {
			best = d;
			near = builtins[i].name;
		}
	if (near != NULL)
		return gp_err(GP_E_CONFIG, "%s: [%s] is no built-in profile: did you "
		    "mean [profile.%s]? (a new profile says what it starts from with "
		    "inherit = PROFILE, or inherit = none)", where, section, near);
	return gp_err(GP_E_CONFIG, "%s: [%s] is no built-in profile; a new profile "
	    "says what it starts from with inherit = PROFILE (one of the built-in "
	    "or configured profiles), or inherit = none for the defaults", where,
	    section);
}

/* Reads the keys of [profile.NAME] over a copy of its base. */
static int
load_section(struct loader *ld, size_t idx)
{
	const gp_config *cfg = ld->cfg;
	const char *name = ld->names[idx], *v, *inherit;
	const gp_profile *base = NULL;
	gp_profile *p = NULL;
	char section[160], ctx[1400];
	long n;
	int r, b;
	size_t j;

	snprintf(section, sizeof(section), "profile.%s", name);
	if (!valid_profile_name(name)) {
		return gp_err(GP_E_CONFIG, "%s: [%.100s]: a profile name is 1 to 64 "
		    "letters, digits, '-' or '_'", gp_config_path(cfg), section);
	}
	if (strcmp(name, "none") == 0)
		return gp_err(GP_E_CONFIG, "%s: [%s]: 'none' is no profile name (it "
		    "is the value of inherit that means no base)", gp_config_path(cfg),
		    section);
	if ((r = gp_config_check_keys(cfg, section, profile_keys)) != 0)
		return r;
	inherit = gp_config_str(cfg, section, "inherit", NULL);
	if (inherit != NULL && strcmp(inherit, "none") == 0) {
		base = NULL;     /* the conservative defaults, said explicitly */
	} else if (inherit != NULL) {
		key_ctx(ctx, sizeof(ctx), cfg, section, "inherit");
		for (j = 0; j < ld->n; j++)
			if (strcmp(ld->names[j], inherit) == 0)
				break;
		if (j < ld->n) {
			if (ld->state[j] == 1 || j == idx)
				return gp_err(GP_E_CONFIG, "%s: profile '%.64s' inherits "
				    "from itself (an inheritance cycle)", ctx, inherit);
			if ((r = resolve(ld, j)) != 0)
				return r;
		}
		if ((base = gp_profiles_get(ld->ps, inherit)) == NULL)
			return gp_err(GP_E_CONFIG, "%s: no profile called '%.64s'",
			    ctx, inherit);
	} else {
		/* the built-in of the same name (not yet replaced) */
		for (j = 0; j < sizeof(builtins) / sizeof(builtins[0]); j++)
			if (strcmp(builtins[j].name, name) == 0)
				break;
		if (j == sizeof(builtins) / sizeof(builtins[0]))
			return new_profile_check(cfg, section, name);
		base = gp_profiles_get(ld->ps, name);
	}
	if ((r = profile_new(&p, base, name)) != 0)
		goto out;
	/* "FILE:LINE", and what it starts from, for `ca-tool config show` */
	snprintf(ctx, sizeof(ctx), "%s:%d%s%.64s", gp_config_path(cfg),
	    gp_config_line(cfg, section, NULL), inherit == NULL ? ", over the built-in" :
	    strcmp(inherit, "none") == 0 ? "" : ", inherits ",
	    inherit == NULL || strcmp(inherit, "none") == 0 ? "" : inherit);
	if ((r = str_dup(&p->source, ctx)) != 0)
		goto out;

#define CTX(k) (key_ctx(ctx, sizeof(ctx), cfg, section, (k)), ctx)
	if ((v = gp_config_str(cfg, section, "key_types", NULL)) != NULL &&
	    (r = parse_key_types(&p->key_types, v, CTX("key_types"))) != 0)
		goto out;
	if ((r = gp_config_long(&n, cfg, section, "rsa_min_bits",
	    p->rsa_min_bits, 2048, RSA_MAX_BITS)) != 0)
		goto out;
	p->rsa_min_bits = (int)n;
	if ((r = gp_config_long(&n, cfg, section, "max_days", p->max_days, 1,
	    36500)) != 0)
		goto out;
	p->max_days = (int)n;
	if ((r = gp_config_bool(&b, cfg, section, "ca", p->is_ca)) != 0)
		goto out;
	if (b != p->is_ca && !b)
		p->path_len = -1;   /* an inherited path length goes with CA:TRUE */
	p->is_ca = b;
	v = gp_config_str(cfg, section, "path_len", NULL);
	if (v != NULL && (strcmp(v, "none") == 0 || *v == '\0')) {
		p->path_len = -1;
	} else {
		if ((r = gp_config_long(&n, cfg, section, "path_len",
		    p->path_len, v == NULL ? -1 : 0, 255)) != 0)
			goto out;
		p->path_len = (int)n;
	}
	if ((v = gp_config_str(cfg, section, "key_usage", NULL)) != NULL &&
	    (r = parse_key_usage(&p->key_usage, v, CTX("key_usage"))) != 0)
		goto out;
	if ((v = gp_config_str(cfg, section, "ext_key_usage", NULL)) != NULL) {
		sk_ASN1_OBJECT_pop_free(p->eku, ASN1_OBJECT_free);
		p->eku = NULL;
		if ((r = parse_oids(&p->eku, v, 1, CTX("ext_key_usage"))) != 0)
			goto out;
	}
	if ((r = gp_config_bool(&p->eku_critical, cfg, section,
	    "ext_key_usage_critical", p->eku_critical)) != 0)
		goto out;
	if ((v = gp_config_str(cfg, section, "subject_required", NULL)) != NULL) {
		strv_free(p->subj_required);
		p->subj_required = NULL;
		if ((r = parse_attrs(&p->subj_required, v, 0,
		    CTX("subject_required"))) != 0)
			goto out;
	}
	if ((v = gp_config_str(cfg, section, "subject_allowed", NULL)) != NULL) {
		strv_free(p->subj_allowed);
		p->subj_allowed = NULL;
		if ((r = parse_attrs(&p->subj_allowed, v, 1,
		    CTX("subject_allowed"))) != 0)
			goto out;
	}
	if ((v = gp_config_str(cfg, section, "subject_forbidden", NULL)) != NULL) {
		strv_free(p->subj_forbidden);
		p->subj_forbidden = NULL;
		if ((r = parse_attrs(&p->subj_forbidden, v, 0,
		    CTX("subject_forbidden"))) != 0)
			goto out;
	}
	if ((v = gp_config_str(cfg, section, "san_types", NULL)) != NULL &&
	    (r = parse_san_types(&p->san_types, v, CTX("san_types"))) != 0)
		goto out;
	if ((r = gp_config_bool(&p->san_required, cfg, section, "san_required",
	    p->san_required)) != 0)
		goto out;
	if ((v = gp_config_str(cfg, section, "policies", NULL)) != NULL) {
		sk_ASN1_OBJECT_pop_free(p->policies, ASN1_OBJECT_free);
		p->policies = NULL;
		if ((r = parse_oids(&p->policies, v, 0, CTX("policies"))) != 0)
			goto out;
	}
	if ((v = gp_config_str(cfg, section, "crl_url", NULL)) != NULL) {
		free(p->crl_dp);
		p->crl_dp = NULL;
		if ((r = parse_url(&p->crl_dp, v, CTX("crl_url"))) != 0)
			goto out;
	}
	if ((v = gp_config_str(cfg, section, "ocsp_url", NULL)) != NULL) {
		free(p->ocsp_url);
		p->ocsp_url = NULL;
		if ((r = parse_url(&p->ocsp_url, v, CTX("ocsp_url"))) != 0)
			goto out;
	}
	if ((v = gp_config_str(cfg, section, "ca_issuers_url", NULL)) != NULL) {
		free(p->ca_issuers_url);
		p->ca_issuers_url = NULL;
		if ((r = parse_url(&p->ca_issuers_url, v, CTX("ca_issuers_url"))) != 0)
			goto out;
	}
	if ((r = gp_config_bool(&p->ocsp_nocheck, cfg, section, "ocsp_nocheck",
	    p->ocsp_nocheck)) != 0 ||
	    (r = gp_config_bool(&p->crl_sharded, cfg, section, "crl_sharded",
	    p->crl_sharded)) != 0)
		goto out;
	if (p->crl_sharded && (p->crl_dp != NULL || p->is_ca)) {
		/* a shard is a distribution point of the CA's own base_url, for
		 * end entities; a CA certificate is on its issuer's full CRL */
		r = gp_err(GP_E_CONFIG, "%s:%d: [%s] crl_sharded = yes goes with neither crl_url "
		    "nor ca = yes", gp_config_path(cfg), gp_config_line(cfg, section, "crl_sharded"),
		    section);
		goto out;
	}
	if ((r = gp_config_long(&n, cfg, section, "approvals", p->approvals, 1,
	    10)) != 0)
		goto out;
	p->approvals = (int)n;
	if (p->is_ca && p->approvals < GP_PROFILE_CA_APPROVALS) {
		/* a CA certificate on one officer's word is what dual control
		 * exists to prevent: a value written in the file is refused (it
		 * would not be what happens), one inherited from an end-entity
		 * base is raised */
		if (gp_config_str(cfg, section, "approvals", NULL) != NULL) {
			r = gp_err(GP_E_CONFIG, "%s: a CA profile (ca = yes) needs at "
			    "least %d approvals (dual control); %d cannot lower it",
			    CTX("approvals"), GP_PROFILE_CA_APPROVALS, p->approvals);
			goto out;
		}
		p->approvals = GP_PROFILE_CA_APPROVALS;
	}
	if ((r = gp_config_bool(&p->acme, cfg, section, "acme", p->acme)) != 0)
		goto out;
	if ((r = parse_approval(&p->acme_officer, cfg, section, "acme_approval")) != 0 ||
	    (r = gp_config_bool(&p->est, cfg, section, "est", p->est)) != 0 ||
	    (r = parse_approval(&p->est_officer, cfg, section, "est_approval")) != 0 ||
	    (r = gp_config_bool(&p->cmp, cfg, section, "cmp", p->cmp)) != 0 ||
	    (r = parse_approval(&p->cmp_officer, cfg, section, "cmp_approval")) != 0 ||
	    (r = gp_config_bool(&p->scep, cfg, section, "scep", p->scep)) != 0 ||
	    (r = parse_approval(&p->scep_officer, cfg, section, "scep_approval")) != 0)
		goto out;
	if (p->is_ca && p->scep && !p->scep_officer) {
		r = gp_err(GP_E_CONFIG, "%s: a CA profile (ca = yes) cannot be issued over SCEP "
		    "without officers (scep_approval = officer)", CTX("scep_approval"));
		goto out;
	}
	if (p->is_ca && p->cmp && !p->cmp_officer) {
		r = gp_err(GP_E_CONFIG, "%s: a CA profile (ca = yes) cannot be issued over CMP "
		    "without officers (cmp_approval = officer)", CTX("cmp_approval"));
		goto out;
	}
	if (p->is_ca && p->est && !p->est_officer) {
		/* a CA certificate is never issued without dual control */
		r = gp_err(GP_E_CONFIG, "%s: a CA profile (ca = yes) cannot be issued over EST "
		    "without officers (est_approval = officer)", CTX("est_approval"));
		goto out;
	}
	if ((r = load_rule(&p->allowed_dns, cfg, section, "allowed_dns", GEN_DNS,
	    CTX("allowed_dns"))) != 0 ||
	    (r = load_rule(&p->allowed_ip, cfg, section, "allowed_ip", GEN_IPADD,
	    CTX("allowed_ip"))) != 0 ||
	    (r = load_rule(&p->allowed_email, cfg, section, "allowed_email", GEN_EMAIL,
	    CTX("allowed_email"))) != 0 ||
	    (r = gp_config_bool(&p->cn_in_san, cfg, section, "cn_in_san",
	    p->cn_in_san)) != 0 ||
	    (r = nc_load(p, cfg, section)) != 0)
		goto out;
#undef CTX
	snprintf(ctx, sizeof(ctx), "%s: [%s]", gp_config_path(cfg), section);
	if ((r = profile_validate(p, ctx)) != 0)
		goto out;
	r = profiles_put(ld->ps, p);
	p = NULL;
out:
	profile_free(p);
	return r;
}

static int
resolve(struct loader *ld, size_t i)
{
	int r;

	if (ld->state[i] == 2)
		return 0;
	ld->state[i] = 1;
	if ((r = load_section(ld, i)) != 0)
		return r;
	ld->state[i] = 2;
	return 0;
}

int
gp_profiles_load(gp_profiles **out, const gp_config *cfg)
{
	struct loader ld = { 0 };
	gp_profiles *ps = NULL;
	gp_profile *p;
	size_t i;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_profiles_load: NULL argument");
	*out = NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return gp_err(GP_E_NOMEM, "profile: out of memory");
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if ((r = builtin_make(&p, &builtins[i])) != 0 ||
		    (r = profiles_put(ps, p)) != 0)
			goto out;
	}
	if (cfg != NULL) {
		ld.cfg = cfg;
		ld.ps = ps;
		if ((r = gp_config_sections(cfg, "profile.", collect_cb, &ld)) != 0)
			goto out;
		for (i = 0; i < ld.n; i++)
			if ((r = resolve(&ld, i)) != 0)
				goto out;
	}
	*out = ps;
	ps = NULL;
	r = 0;
out:
	for (i = 0; i < ld.n; i++)
		free(ld.names[i]);
	free(ld.names);
	free(ld.state);
	gp_profiles_free(ps);
	return r;
}

const gp_profile *
gp_profiles_get(const gp_profiles *ps, const char *name)
{
	size_t i;

	if (ps == NULL || name == NULL)
		return NULL;
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i]->name, name) == 0)
			return ps->v[i];
	return NULL;
}

size_t
gp_profiles_count(const gp_profiles *ps)
{
	return ps != NULL ? ps->n : 0;
}

const gp_profile *
gp_profiles_at(const gp_profiles *ps, size_t i)
{
	if (ps == NULL || i >= ps->n)
		return NULL;
	return ps->v[i];
}

const char *
gp_profile_name(const gp_profile *p)
{
	return p != NULL ? p->name : NULL;
}

const char *
gp_profile_source(const gp_profile *p)
{
	return p != NULL ? p->source : NULL;
}

/* ---- the profile written back as configuration ------------------------ */

/* A growing string for one value. */
struct vbuf {
	char *s;
	size_t len, cap;
	int err;
};

static void
vb_add(struct vbuf *b, const char *item)
{
	size_t n = strlen(item), need = b->len + n + 2 + 1;
	char *ns;

	if (b->err)
		return;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < need)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	if (b->len > 0) {
		memcpy(b->s + b->len, ", ", 2);
		b->len += 2;
	}
	memcpy(b->s + b->len, item, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
vb_oids(struct vbuf *b, const STACK_OF(ASN1_OBJECT) *st, int eku)
{
	char txt[128];
	size_t k;
	int i;

	for (i = 0; st != NULL && i < sk_ASN1_OBJECT_num(st); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(st, i);
		const char *name = NULL;

		for (k = 0; eku && k < sizeof(eku_names) / sizeof(eku_names[0]); k++)
			if (OBJ_obj2nid(o) == eku_names[k].nid)
				name = eku_names[k].name;
		if (name == NULL) {
			if (OBJ_obj2txt(txt, sizeof(txt), o, 1) <= 0) {
				b->err = 1;
				return;
			}
			name = txt;
		}
		vb_add(b, name);
	}
}

static void
vb_strv(struct vbuf *b, char *const *v)
{
	for (; v != NULL && *v != NULL; v++)
		vb_add(b, *v);
}

/*
 * Calls cb with each key of p and its value in the syntax the [profile.NAME]
 * parser reads, in the order of profile_keys, so that a section written from
 * them (with inherit = none) loads as the same profile.
 */
int
gp_profile_settings(const gp_profile *p,
    int (*cb)(void *arg, const char *key, const char *value), void *arg)
{
	struct vbuf b = { 0 };
	char num[32];
	size_t k;
	int t, r = 0;

	if (p == NULL || cb == NULL)
		return gp_err(GP_E_INVALID, "gp_profile_settings: NULL argument");
#define EMIT(key) do {							\
	if (b.err) {							\
		r = gp_err(GP_E_NOMEM, "profile: out of memory");	\
		goto out;						\
	}								\
	if ((r = cb(arg, (key), b.s != NULL ? b.s : "")) != 0)		\
		goto out;						\
	b.len = 0;							\
	if (b.s != NULL)						\
		b.s[0] = '\0';						\
} while (0)
#define EMIT_STR(key, v) do { vb_add(&b, (v)); EMIT(key); } while (0)
#define EMIT_NUM(key, v) do {						\
	snprintf(num, sizeof(num), "%d", (v));				\
	EMIT_STR(key, num);						\
} while (0)
#define EMIT_BOOL(key, v) EMIT_STR(key, (v) ? "yes" : "no")
	for (t = 0; t < GP_KEY__COUNT; t++)
		if (p->key_types & (1u << t))
			vb_add(&b, key_type_names[t]);
	EMIT("key_types");
	EMIT_NUM("rsa_min_bits", p->rsa_min_bits);
	EMIT_NUM("max_days", p->max_days);
	EMIT_BOOL("ca", p->is_ca);
	if (p->path_len < 0)
		EMIT_STR("path_len", "none");
	else
		EMIT_NUM("path_len", p->path_len);
	for (k = 0; k < sizeof(ku_names) / sizeof(ku_names[0]); k++)
		if (p->key_usage & ku_names[k].bit)
			vb_add(&b, ku_names[k].name);
	EMIT("key_usage");
	vb_oids(&b, p->eku, 1);
	EMIT("ext_key_usage");
	EMIT_BOOL("ext_key_usage_critical", p->eku_critical);
	vb_strv(&b, p->subj_required);
	EMIT("subject_required");
	if (p->subj_allowed == NULL)
		vb_add(&b, "*");
	vb_strv(&b, p->subj_allowed);
	EMIT("subject_allowed");
	vb_strv(&b, p->subj_forbidden);
	EMIT("subject_forbidden");
	for (k = 0; k < sizeof(san_names) / sizeof(san_names[0]); k++)
		if (p->san_types & SAN_BIT(san_names[k].type))
			vb_add(&b, san_names[k].name);
	EMIT("san_types");
	EMIT_BOOL("san_required", p->san_required);
	vb_oids(&b, p->policies, 0);
	EMIT("policies");
	EMIT_STR("crl_url", p->crl_dp != NULL ? p->crl_dp : "");
	EMIT_STR("ocsp_url", p->ocsp_url != NULL ? p->ocsp_url : "");
	EMIT_STR("ca_issuers_url", p->ca_issuers_url != NULL ? p->ca_issuers_url : "");
	EMIT_BOOL("ocsp_nocheck", p->ocsp_nocheck);
	EMIT_BOOL("crl_sharded", p->crl_sharded);
	EMIT_NUM("approvals", p->approvals);
	EMIT_BOOL("acme", p->acme);
	EMIT_STR("acme_approval", p->acme_officer ? "officer" : "auto");
	EMIT_BOOL("est", p->est);
	EMIT_STR("est_approval", p->est_officer ? "officer" : "auto");
	EMIT_BOOL("cmp", p->cmp);
	EMIT_STR("cmp_approval", p->cmp_officer ? "officer" : "auto");
	EMIT_BOOL("scep", p->scep);
	EMIT_STR("scep_approval", p->scep_officer ? "officer" : "auto");
	vb_strv(&b, p->allowed_dns);
	EMIT("allowed_dns");
	vb_strv(&b, p->allowed_ip);
	EMIT("allowed_ip");
	vb_strv(&b, p->allowed_email);
	EMIT("allowed_email");
	EMIT_BOOL("cn_in_san", p->cn_in_san);
	for (k = 0; k < 3; k++) {
		vb_strv(&b, p->nc_permit[k]);
		EMIT(nc_keys[0][k]);
		vb_strv(&b, p->nc_exclude[k]);
		EMIT(nc_keys[1][k]);
	}
#undef EMIT_BOOL
#undef EMIT_NUM
#undef EMIT_STR
#undef EMIT
out:
	free(b.s);
	return r;
}

int
gp_profile_max_days(const gp_profile *p)
{
	return p != NULL ? p->max_days : 0;
}

int
gp_profile_is_ca(const gp_profile *p)
{
	return p != NULL ? p->is_ca : 0;
}

int
gp_profile_approvals(const gp_profile *p)
{
	if (p == NULL)
		return 0;
	/* whatever was loaded: a CA profile never goes below dual control */
	return p->is_ca && p->approvals < GP_PROFILE_CA_APPROVALS ?
	    GP_PROFILE_CA_APPROVALS : p->approvals;
}

int
gp_profile_acme(const gp_profile *p, int *officer)
{
	if (officer != NULL)
		*officer = p != NULL ? p->acme_officer : 1;
	return p != NULL ? p->acme : 0;
}

int
gp_profile_est(const gp_profile *p, int *officer)
{
	if (officer != NULL)
		*officer = p != NULL ? p->est_officer : 1;
	return p != NULL ? p->est : 0;
}

int
gp_profile_cmp(const gp_profile *p, int *officer)
{
	if (officer != NULL)
		*officer = p != NULL ? p->cmp_officer : 1;
	return p != NULL ? p->cmp : 0;
}

int
gp_profile_scep(const gp_profile *p, int *officer)
{
	if (officer != NULL)
		*officer = p != NULL ? p->scep_officer : 1;
	return p != NULL ? p->scep : 0;
}

int
gp_profile_san_allowed(const gp_profile *p, int gen_type)
{
	return p != NULL && gen_type >= 0 && gen_type < 32 && (p->san_types & SAN_BIT(gen_type));
}

/* ---- checks ---------------------------------------------------------- */

/*
 * Classifies pub as one of our key types; GP_E_POLICY (naming the profile)
 * for keys we never accept: RSA below 2048 bits, explicit EC parameters,
 * other curves and algorithms.  RSA sizes map to the largest class they
 * reach (3000 bits is rsa2048), *bits has the exact size.
 */
static int
classify(const gp_profile *p, EVP_PKEY *pub, gp_key_type *type, int *bits)
{
	char group[80] = "", enc[32] = "";
	size_t len = 0;

	*bits = EVP_PKEY_get_bits(pub);
	if (EVP_PKEY_is_a(pub, "RSA")) {
		if (*bits < 2048)
			return gp_err(GP_E_POLICY, "profile %s: key type rsa%d not "
			    "allowed (RSA keys need at least 2048 bits)", p->name,
			    *bits);
		if (*bits > RSA_MAX_BITS)
			return gp_err(GP_E_POLICY, "profile %s: key type rsa%d not "
			    "allowed (RSA keys are at most %d bits)", p->name, *bits,
			    RSA_MAX_BITS);
		*type = *bits >= 4096 ? GP_KEY_RSA4096 :
		    *bits >= 3072 ? GP_KEY_RSA3072 : GP_KEY_RSA2048;
		return 0;
	}
	if (EVP_PKEY_is_a(pub, "ED25519")) {
		*type = GP_KEY_ED25519;
		return 0;
	}
	if (EVP_PKEY_is_a(pub, "SM2") || EVP_PKEY_is_a(pub, "EC")) {
		/* explicit parameters have no group name; OpenSSL may still
		 * name a group whose parameters it recognised, so the
		 * encoding is checked too */
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
		    group, sizeof(group), &len) != 1 ||
		    (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_EC_ENCODING,
		    enc, sizeof(enc), &len) == 1 &&
		    strcmp(enc, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 0)) {
			ERR_clear_error();
			return gp_err(GP_E_POLICY, "profile %s: key type not allowed "
			    "(explicit EC parameters)", p->name);
		}
		if (EVP_PKEY_is_a(pub, "SM2") || strcasecmp(group, "SM2") == 0)
			*type = GP_KEY_SM2;
		else if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
			*type = GP_KEY_EC_P256;
		else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
			*type = GP_KEY_EC_P384;
		else
			return gp_err(GP_E_POLICY, "profile %s: key type not allowed "
			    "(EC curve %s is not supported)", p->name, group);
		return 0;
	}
	return gp_err(GP_E_POLICY, "profile %s: key type not allowed (%s keys are "
	    "not supported)", p->name,
	    EVP_PKEY_get0_type_name(pub) ? EVP_PKEY_get0_type_name(pub) : "unknown");
}

/* "rsa2048, ec-p256" for messages. */
static void
key_types_str(char *buf, size_t size, unsigned types)
{
	size_t len = 0;
	int t;

	buf[0] = '\0';
	for (t = 0; t < GP_KEY__COUNT; t++) {
		if (!(types & (1u << t)))
			continue;
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
		    key_type_names[t]);
		len = strlen(buf);
	}
}

/* The name of an attribute: its short name, or its dotted OID. */
static const char *
attr_name(char *buf, size_t size, const ASN1_OBJECT *obj)
{
	int nid = OBJ_obj2nid(obj);
	const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;

	if (sn != NULL)
		return sn;
	if (OBJ_obj2txt(buf, (int)size, obj, 1) <= 0)
		snprintf(buf, size, "?");
	return buf;
}

/* Host names (RFC 1034 §3.5 preferred syntax, RFC 1123 §2.1 leading digits)
 * with, when wild, an optional leading "*." wildcard label. */
int
gp_dns_name_ok(const char *s, size_t n, int wild)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	if (wild && n > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-';
}

/* local@domain, printable ASCII without spaces (an IA5String mailbox). */
static int
valid_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i;

	if (at == NULL || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return 0;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return 0;
	return gp_dns_name_ok(at + 1, n - (size_t)(at - s) - 1, 1);
}

/* RFC 5280 §4.2.1.6: a URI with a scheme, printable ASCII, no spaces. */
static int
valid_uri(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++) {
		if (!isgraph((unsigned char)s[i]))
			return 0;
		if (s[i] == ':')
			break;
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	}
	if (i == n || i + 1 == n)
		return 0;
	for (; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return 0;
	return 1;
}

int
gp_general_name_ok(const GENERAL_NAME *gn)
{
	const ASN1_STRING *s;

	switch (gn->type) {
	case GEN_DNS:
	case GEN_EMAIL:
	case GEN_URI:
		s = gn->d.ia5;
		if (s == NULL || s->data == NULL ||
		    memchr(s->data, '\0', (size_t)s->length) != NULL)
			return 0;
		if (gn->type == GEN_DNS)
			return gp_dns_name_ok((const char *)s->data, (size_t)s->length, 1);
		if (gn->type == GEN_EMAIL)
			return valid_email((const char *)s->data, (size_t)s->length);
		return valid_uri((const char *)s->data, (size_t)s->length);
	case GEN_IPADD:
		return gn->d.ip != NULL &&
		    (gn->d.ip->length == 4 || gn->d.ip->length == 16);
	default:
		return 1;
	}
}

int
gp_profile_check(const gp_profile *p, EVP_PKEY *pub, const X509_NAME *subject,
    const GENERAL_NAMES *sans)
{
	char buf[128], list[128];
	gp_key_type type = GP_KEY_RSA2048;
	int bits = 0, i, n, r, nsans;

	if (p == NULL || pub == NULL)
		return gp_err(GP_E_INVALID, "gp_profile_check: NULL argument");
	if ((r = classify(p, pub, &type, &bits)) != 0)
		return r;
	if (!(p->key_types & (1u << type))) {
		key_types_str(list, sizeof(list), p->key_types);
		return gp_err(GP_E_POLICY, "profile %s: key type %s not allowed "
		    "(allowed: %s)", p->name, key_type_names[type], list);
	}
	if ((1u << type) & RSA_KEY_TYPES && bits < p->rsa_min_bits)
		return gp_err(GP_E_POLICY, "profile %s: key type rsa%d not allowed "
		    "(this profile needs RSA keys of at least %d bits)", p->name,
		    bits, p->rsa_min_bits);

	/* subject: every attribute allowed and not forbidden, none empty */
	n = subject != NULL ? X509_NAME_entry_count(subject) : 0;
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(subject, i);
		const ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
		const char *an = attr_name(buf, sizeof(buf),
		    X509_NAME_ENTRY_get_object(e));

		if (strv_has(p->subj_forbidden, an))
			return gp_err(GP_E_POLICY, "profile %s: subject attribute '%s' "
			    "is forbidden", p->name, an);
		if (p->subj_allowed != NULL && !strv_has(p->subj_allowed, an))
			return gp_err(GP_E_POLICY, "profile %s: subject attribute '%s' "
			    "is not allowed", p->name, an);
		if (d == NULL || ASN1_STRING_length(d) == 0)
			return gp_err(GP_E_POLICY, "profile %s: subject attribute '%s' "
			    "is empty", p->name, an);
	}
	for (i = 0; p->subj_required != NULL && p->subj_required[i] != NULL; i++) {
		int nid = OBJ_txt2nid(p->subj_required[i]);

		if (subject == NULL || nid == NID_undef ||
		    X509_NAME_get_index_by_NID(subject, nid, -1) < 0)
			return gp_err(GP_E_POLICY, "profile %s: subject attribute '%s' "
			    "is required", p->name, p->subj_required[i]);
	}

	/* subjectAltName: types the profile allows, well-formed values */
	nsans = sans != NULL ? sk_GENERAL_NAME_num(sans) : 0;
	for (i = 0; i < nsans; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (!(p->san_types & SAN_BIT(gn->type)))
			return gp_err(GP_E_POLICY, "profile %s: subjectAltName type "
			    "'%s' is not allowed", p->name, san_type_name(gn->type));
		if (!gp_general_name_ok(gn))
			return gp_err(GP_E_POLICY, "profile %s: subjectAltName %d "
			    "(%s) is malformed", p->name, i + 1,
			    san_type_name(gn->type));
	}
	if (p->san_required && nsans == 0)
		return gp_err(GP_E_POLICY, "profile %s: at least one subjectAltName "
		    "is required", p->name);
	if ((r = names_check(p, subject, sans)) != 0)
		return r;
	/* RFC 5280 §4.1.2.6: an empty subject needs a subjectAltName */
	if (n == 0 && nsans == 0)
		return gp_err(GP_E_POLICY, "profile %s: the subject is empty and "
		    "there is no subjectAltName (RFC 5280 4.1.2.6)", p->name);
	return 0;
}

/* ---- extensions -------------------------------------------------------- */

static int
add_ext(X509 *cert, int nid, void *value, int crit, const char *what)
{
	if (X509_add1_ext_i2d(cert, nid, value, crit, X509V3_ADD_REPLACE) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "profile: adding %s", what);
	return 0;
}

/*
 * The key usage bits that make sense for the key: keyEncipherment and
 * dataEncipherment only for RSA and SM2, which encrypt (RFC 8813 §3 for
 * EC, RFC 8410 §5 for Ed25519; SM2 public-key encryption is GM/T 0003.4,
 * and GM/T 0015 §6.2 gives SM2 encryption certificates both),
 * keyAgreement only for EC and SM2 (ECDH, GM/T 0003.3).
 */
static unsigned
ku_for_key(unsigned ku, EVP_PKEY *pub)
{
	if (EVP_PKEY_is_a(pub, "RSA"))
		return ku & ~(unsigned)KU_KEY_AGREEMENT;
	if (gp_key_is_sm2(pub))
		return ku;
	if (EVP_PKEY_is_a(pub, "ED25519"))
		return ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION |
		    KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	return ku & ~(unsigned)(KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT);
}

static int
add_key_usage(X509 *cert, unsigned ku)
{
	ASN1_BIT_STRING *bs = NULL;
	size_t k;
	int r;

	if ((bs = ASN1_BIT_STRING_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: keyUsage");
		goto out;
	}
	for (k = 0; k < sizeof(ku_names) / sizeof(ku_names[0]); k++) {
		/* KU_* bit 0x80 is named bit 0, 0x40 bit 1, ... 0x02 bit 6 */
		int bit;

		if (!(ku & ku_names[k].bit))
			continue;
		for (bit = 0; bit < 8; bit++)
			if ((0x80u >> bit) == ku_names[k].bit)
				break;
		if (ASN1_BIT_STRING_set_bit(bs, bit, 1) != 1) {
			r = gp_err_ossl(GP_E_NOMEM, "profile: keyUsage");
			goto out;
		}
	}
	r = add_ext(cert, NID_key_usage, bs, 1, "keyUsage");
out:
	ASN1_BIT_STRING_free(bs);
	return r;
}

static int
uri_name(GENERAL_NAME **out, const char *uri)
{
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *s = NULL;

	*out = NULL;
	if ((gn = GENERAL_NAME_new()) == NULL || (s = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(s, uri, -1) != 1) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(s);
		return gp_err_ossl(GP_E_NOMEM, "profile: URI name");
	}
	GENERAL_NAME_set0_value(gn, GEN_URI, s);
	*out = gn;
	return 0;
}

/* RFC 5280 §4.2.1.13: one distribution point with a URI fullName. */
static int
add_crl_dp(X509 *cert, const char *url)
{
	CRL_DIST_POINTS *dps = NULL;
	DIST_POINT *dp = NULL;
	GENERAL_NAME *gn = NULL;
	int r;

	if ((dps = CRL_DIST_POINTS_new()) == NULL || (dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: cRLDistributionPoints");
		goto out;
	}
	dp->distpoint->type = 0;
	if ((r = uri_name(&gn, url)) != 0)
		goto out;
	if (!sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn)) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: cRLDistributionPoints");
		goto out;
	}
	gn = NULL;
	if (!sk_DIST_POINT_push(dps, dp)) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: cRLDistributionPoints");
		goto out;
	}
	dp = NULL;
	r = add_ext(cert, NID_crl_distribution_points, dps, 0,
	    "cRLDistributionPoints");
out:
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(dps);
	return r;
}

static int
push_access(AUTHORITY_INFO_ACCESS *aia, int method, const char *url)
{
	ACCESS_DESCRIPTION *ad = NULL;
	GENERAL_NAME *gn = NULL;
	int r;

	if ((r = uri_name(&gn, url)) != 0)
		return r;
	if ((ad = ACCESS_DESCRIPTION_new()) == NULL) {
		GENERAL_NAME_free(gn);
		return gp_err_ossl(GP_E_NOMEM, "profile: authorityInfoAccess");
	}
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(method);
	GENERAL_NAME_free(ad->location);
	ad->location = gn;
	if (!sk_ACCESS_DESCRIPTION_push(aia, ad)) {
		ACCESS_DESCRIPTION_free(ad);
		return gp_err_ossl(GP_E_NOMEM, "profile: authorityInfoAccess");
	}
	return 0;
}

/* RFC 5280 §4.2.2.1: id-ad-ocsp and id-ad-caIssuers access descriptions. */
static int
add_aia(X509 *cert, const char *ocsp, const char *issuers)
{
	AUTHORITY_INFO_ACCESS *aia = NULL;
	int r;

	if ((aia = AUTHORITY_INFO_ACCESS_new()) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "profile: authorityInfoAccess");
	if ((ocsp != NULL && (r = push_access(aia, NID_ad_OCSP, ocsp)) != 0) ||
	    (issuers != NULL &&
	    (r = push_access(aia, NID_ad_ca_issuers, issuers)) != 0))
		goto out;
	r = add_ext(cert, NID_info_access, aia, 0, "authorityInfoAccess");
out:
	AUTHORITY_INFO_ACCESS_free(aia);
	return r;
}

static int
add_policies(X509 *cert, const STACK_OF(ASN1_OBJECT) *oids)
{
	CERTIFICATEPOLICIES *pols = NULL;
	POLICYINFO *pi = NULL;
	int i, r;

	if ((pols = CERTIFICATEPOLICIES_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: certificatePolicies");
		goto out;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(oids); i++) {
		if ((pi = POLICYINFO_new()) == NULL) {
			r = gp_err_ossl(GP_E_NOMEM, "profile: certificatePolicies");
			goto out;
		}
		ASN1_OBJECT_free(pi->policyid);
		if ((pi->policyid = OBJ_dup(sk_ASN1_OBJECT_value(oids, i))) == NULL ||
		    !sk_POLICYINFO_push(pols, pi)) {
			r = gp_err_ossl(GP_E_NOMEM, "profile: certificatePolicies");
			goto out;
		}
		pi = NULL;
	}
	r = add_ext(cert, NID_certificate_policies, pols, 0, "certificatePolicies");
out:
	POLICYINFO_free(pi);
	CERTIFICATEPOLICIES_free(pols);
	return r;
}

/* RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING. */
static int
key_id(ASN1_OCTET_STRING **out, const X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ASN1_OCTET_STRING *os = NULL;

	*out = NULL;
	if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "profile: hashing the public key");
	if ((os = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(os, md, (int)len) != 1) {
		ASN1_OCTET_STRING_free(os);
		return gp_err_ossl(GP_E_NOMEM, "profile: key identifier");
	}
	*out = os;
	return 0;
}

int
gp_profile_apply(const gp_profile *p, X509 *cert, X509 *issuer,
    const GENERAL_NAMES *sans)
{
	EVP_PKEY *pub = cert != NULL ? X509_get0_pubkey(cert) : NULL;   /* borrowed */

	if (p != NULL && cert != NULL && issuer != NULL && pub == NULL)
		return gp_err_ossl(GP_E_INVALID, "profile %s: the certificate has no "
		    "public key yet", p->name);
	return gp_profile_apply_key(p, cert, issuer, pub, sans);
}

int
gp_profile_apply_key(const gp_profile *p, X509 *cert, X509 *issuer, EVP_PKEY *pub,
    const GENERAL_NAMES *sans)
{
	BASIC_CONSTRAINTS *bc = NULL;
	AUTHORITY_KEYID *akid = NULL;
	ASN1_OCTET_STRING *ski = NULL, *iski = NULL;
	ASN1_NULL *null = NULL;
	unsigned ku;
	int r, crit;

	if (p == NULL || cert == NULL || issuer == NULL || pub == NULL)
		return gp_err(GP_E_INVALID, "gp_profile_apply: NULL argument");
	if (X509_set_version(cert, X509_VERSION_3) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "profile: setting version 3");
		goto out;
	}

	/* basicConstraints, critical also for end entities (as EJBCA does);
	 * pathLenConstraint only with cA (RFC 5280 §4.2.1.9) */
	if ((bc = BASIC_CONSTRAINTS_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: basicConstraints");
		goto out;
	}
	bc->ca = p->is_ca ? 0xFF : 0;
	if (p->is_ca && p->path_len >= 0) {
		if ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    ASN1_INTEGER_set(bc->pathlen, p->path_len) != 1) {
			r = gp_err_ossl(GP_E_NOMEM, "profile: basicConstraints");
			goto out;
		}
	}
	if ((r = add_ext(cert, NID_basic_constraints, bc, 1, "basicConstraints")) != 0)
		goto out;

	/* keyUsage, critical (RFC 5280 §4.2.1.3: SHOULD be critical) */
	if (p->key_usage != 0) {
		if ((ku = ku_for_key(p->key_usage, pub)) == 0) {
			r = gp_err(GP_E_POLICY, "profile %s: no key usage of this "
			    "profile fits a %s key", p->name,
			    EVP_PKEY_get0_type_name(pub));
			goto out;
		}
		if ((r = add_key_usage(cert, ku)) != 0)
			goto out;
	}

	if (p->eku != NULL && sk_ASN1_OBJECT_num(p->eku) > 0 &&
	    (r = add_ext(cert, NID_ext_key_usage, p->eku, p->eku_critical,
	    "extendedKeyUsage")) != 0)
		goto out;

	/* subjectKeyIdentifier; authorityKeyIdentifier from the issuer's SKI
	 * (RFC 5280 §4.2.1.1), computed by method 1 when the issuer has none;
	 * a self-signed certificate names its own key */
	if ((r = key_id(&ski, cert)) != 0 ||
	    (r = add_ext(cert, NID_subject_key_identifier, ski, 0,
	    "subjectKeyIdentifier")) != 0)
		goto out;
	if (issuer != cert) {
		iski = X509_get_ext_d2i(issuer, NID_subject_key_identifier, &crit, NULL);
		if (iski == NULL && crit != -1) {
			r = gp_err_ossl(GP_E_PARSE, "profile: the issuer's "
			    "subjectKeyIdentifier is malformed");
			goto out;
		}
		if (iski == NULL && (r = key_id(&iski, issuer)) != 0)
			goto out;
	}
	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(iski != NULL ? iski : ski)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "profile: authorityKeyIdentifier");
		goto out;
	}
	if ((r = add_ext(cert, NID_authority_key_identifier, akid, 0,
	    "authorityKeyIdentifier")) != 0)
		goto out;

	/* RFC 5280 §4.2.1.6: critical when the subject is empty */
	if (sans != NULL && sk_GENERAL_NAME_num(sans) > 0) {
		crit = X509_NAME_entry_count(X509_get_subject_name(cert)) == 0;
		if ((r = add_ext(cert, NID_subject_alt_name, (void *)sans, crit,
		    "subjectAltName")) != 0)
			goto out;
	}
	if (p->policies != NULL && sk_ASN1_OBJECT_num(p->policies) > 0 &&
	    (r = add_policies(cert, p->policies)) != 0)
		goto out;
	if (p->is_ca && (r = add_name_constraints(cert, p)) != 0)
		goto out;
	if (p->crl_dp != NULL && (r = add_crl_dp(cert, p->crl_dp)) != 0)
		goto out;
	if ((p->ocsp_url != NULL || p->ca_issuers_url != NULL) &&
	    (r = add_aia(cert, p->ocsp_url, p->ca_issuers_url)) != 0)
		goto out;
	/* RFC 6960 §4.2.2.2.1: id-pkix-ocsp-nocheck, value NULL */
	if (p->ocsp_nocheck) {
		if ((null = ASN1_NULL_new()) == NULL) {
			r = gp_err_ossl(GP_E_NOMEM, "profile: ocsp-nocheck");
			goto out;
		}
		if ((r = add_ext(cert, NID_id_pkix_OCSP_noCheck, null, 0,
		    "ocsp-nocheck")) != 0)
			goto out;
	}
	r = 0;
out:
	BASIC_CONSTRAINTS_free(bc);
	AUTHORITY_KEYID_free(akid);
	ASN1_OCTET_STRING_free(ski);
	ASN1_OCTET_STRING_free(iski);
	ASN1_NULL_free(null);
	return r;
}

int
gp_profile_apply_defaults(const gp_profile *p, X509 *cert, const gp_issuer_defaults *d)
{
	STACK_OF(ASN1_OBJECT) *pol = NULL;
	ASN1_OBJECT *o = NULL;
	int r = 0;

	if (p == NULL || cert == NULL)
		return gp_err(GP_E_INVALID, "gp_profile_apply_defaults: NULL argument");
	if (d == NULL)
		return 0;
	if (p->policies == NULL || sk_ASN1_OBJECT_num(p->policies) == 0) {
		if (p->is_ca)
			o = OBJ_nid2obj(NID_any_policy);
		else if (d->policy != NULL)
			o = OBJ_dup(d->policy);
		if (o != NULL) {
			if ((pol = sk_ASN1_OBJECT_new_null()) == NULL ||
			    !sk_ASN1_OBJECT_push(pol, o)) {
				ASN1_OBJECT_free(o);
				r = gp_err_ossl(GP_E_NOMEM, "profile: certificatePolicies");
				goto out;
			}
			if ((r = add_policies(cert, pol)) != 0)
				goto out;
		}
	}
	if (p->crl_dp == NULL && p->crl_sharded && d->crl_shards > 0) {
		char url[600];
		unsigned shard;

		if ((r = gp_crl_shard_of(X509_get0_serialNumber(cert), d->crl_shards, &shard)) != 0 ||
		    (r = gp_crl_shard_url(url, sizeof(url), d, shard)) != 0 ||
		    (r = add_crl_dp(cert, url)) != 0)
			goto out;
	} else if (p->crl_dp == NULL && d->crl_url != NULL &&
	    (r = add_crl_dp(cert, d->crl_url)) != 0) {
		goto out;
	}
	if (p->ocsp_url == NULL && p->ca_issuers_url == NULL &&
	    (d->ocsp_url != NULL || d->issuers_url != NULL))
		r = add_aia(cert, d->ocsp_url, d->issuers_url);
out:
	sk_ASN1_OBJECT_pop_free(pol, ASN1_OBJECT_free);
	return r;
}

/* ---- subjectAltName strings ------------------------------------------- */

static int
ia5_name(GENERAL_NAME **out, int type, const char *v, size_t n)
{
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *s = NULL;

	*out = NULL;
	if ((gn = GENERAL_NAME_new()) == NULL || (s = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(s, v, (int)n) != 1) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(s);
		return gp_err_ossl(GP_E_NOMEM, "subjectAltName: out of memory");
	}
	GENERAL_NAME_set0_value(gn, type, s);
	*out = gn;
	return 0;
}

/* One "TYPE:value" element (trimmed, NUL-terminated copy in el). */
static int
parse_san(GENERAL_NAME **out, char *el, int idx)
{
	char *colon = strchr(el, ':'), *v;
	size_t k, n;
	int type = -1;

	*out = NULL;
	if (colon == NULL)
		return gp_err(GP_E_PARSE, "subjectAltName %d '%.80s': expected "
		    "TYPE:value (DNS, IP, email, URI)", idx, el);
	*colon = '\0';
	for (k = 0; k < sizeof(san_names) / sizeof(san_names[0]); k++)
		if (strcasecmp(el, san_names[k].name) == 0)
			type = san_names[k].type;
	if (type < 0) {
		*colon = ':';
		return gp_err(GP_E_PARSE, "subjectAltName %d '%.80s': unknown type "
		    "(DNS, IP, email, URI)", idx, el);
	}
	for (v = colon + 1; isspace((unsigned char)*v); v++)
		;
	n = strlen(v);
	*colon = ':';
	if (n == 0)
		return gp_err(GP_E_PARSE, "subjectAltName %d '%.80s': empty value",
		    idx, el);
	switch (type) {
	case GEN_IPADD: {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(v);
		GENERAL_NAME *gn;

		if (ip == NULL)
			return gp_err(GP_E_PARSE, "subjectAltName %d '%.80s': not an "
			    "IPv4 or IPv6 address", idx, el);
		if ((gn = GENERAL_NAME_new()) == NULL) {
			ASN1_OCTET_STRING_free(ip);
			return gp_err_ossl(GP_E_NOMEM, "subjectAltName: out of memory");
		}
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
		*out = gn;
		return 0;
	}
	case GEN_DNS:
		if (!gp_dns_name_ok(v, n, 1))
			return gp_err(GP_E_PARSE, "subjectAltName %d '%.80s': not a "
			    "valid DNS name", idx, el);
		break;
	case GEN_EMAIL:
		if (!valid_email(v, n))
			return gp_err(GP_E_PARSE, "subjectAltName %d '%.80s': not a "
			    "valid email address", idx, el);
		break;
	default:
		if (!valid_uri(v, n))
			return gp_err(GP_E_PARSE, "subjectAltName %d '%.80s': not a "
			    "valid URI (scheme:rest, no spaces)", idx, el);
		break;
	}
	return ia5_name(out, type, v, n);
}

int
gp_sans_parse(GENERAL_NAMES **out, const char *s)
{
	GENERAL_NAMES *gns = NULL;
	GENERAL_NAME *gn = NULL;
	char **v = NULL;
	size_t i;
	int r;

	if (out == NULL || s == NULL)
		return gp_err(GP_E_INVALID, "gp_sans_parse: NULL argument");
	*out = NULL;
	if ((r = split_list(&v, s, "subjectAltName")) != 0) {
		if (r == GP_E_CONFIG)
			r = gp_err(GP_E_PARSE, "subjectAltName: empty element in "
			    "'%.80s'", s);
		goto out;
	}
	if (v[0] == NULL) {
		r = gp_err(GP_E_PARSE, "subjectAltName: empty list");
		goto out;
	}
	if ((gns = GENERAL_NAMES_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "subjectAltName: out of memory");
		goto out;
	}
	for (i = 0; v[i] != NULL; i++) {
		if ((r = parse_san(&gn, v[i], (int)i + 1)) != 0)
			goto out;
		if (!sk_GENERAL_NAME_push(gns, gn)) {
			r = gp_err_ossl(GP_E_NOMEM, "subjectAltName: out of memory");
			goto out;
		}
		gn = NULL;
	}
	*out = gns;
	gns = NULL;
	r = 0;
out:
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gns);
	strv_free(v);
	return r;
}

struct sbuf {
	char *s;
	size_t len, cap;
	int err;
};

static void sbuf_add(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sbuf_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL,
		    b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = 1;
			return;
		}
		if (b->s != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = (b->cap ? b->cap : 64);
			char *ns;

			while (ncap <= b->len + (size_t)n)
				ncap *= 2;
			if ((ns = realloc(b->s, ncap)) == NULL) {
				b->err = 1;
				return;
			}
			b->s = ns;
			b->cap = ncap;
		}
	}
}

int
gp_sans_to_string(char **out, const GENERAL_NAMES *sans)
{
	struct sbuf b = { 0 };
	char ip[INET6_ADDRSTRLEN];
	int i;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_sans_to_string: NULL argument");
	*out = NULL;
	if (sans == NULL)
		return 0;
	sbuf_add(&b, "%s", "");
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		const char *sep = i ? ", " : "";

		switch (gn->type) {
		case GEN_DNS:
		case GEN_EMAIL:
		case GEN_URI:
			sbuf_add(&b, "%s%s:%.*s", sep, san_type_name(gn->type),
			    gn->d.ia5->length, (const char *)gn->d.ia5->data);
			break;
		case GEN_IPADD:
			if ((gn->d.ip->length == 4 &&
			    inet_ntop(AF_INET, gn->d.ip->data, ip, sizeof(ip))) ||
			    (gn->d.ip->length == 16 &&
			    inet_ntop(AF_INET6, gn->d.ip->data, ip, sizeof(ip))))
				sbuf_add(&b, "%sIP:%s", sep, ip);
			else
				sbuf_add(&b, "%sIP:<invalid>", sep);
			break;
		default:
			sbuf_add(&b, "%s%s:<unsupported>", sep,
			    san_type_name(gn->type));
			break;
		}
	}
	if (b.err) {
		free(b.s);
		return gp_err(GP_E_NOMEM, "subjectAltName: out of memory");
	}
	*out = b.s;
	return 0;
}
