/* svs/svs_req.c: decoding svs-server's requests (JSON bodies, certificates in PEM, DER or base64) */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <govpki/error.h>
#include <govpki/x509util.h>

#include "svs_req.h"

static int
problem(svs_problem *p, unsigned status, const char *slug, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
problem(svs_problem *p, unsigned status, const char *slug, const char *title, const char *fmt, ...)
{
	va_list ap;

	p->status = status;
	p->slug = slug;
	p->title = title;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
	return -1;
}

int
svs_type_is(const char *type, const char *want)
{
	size_t n = strlen(want);

	if (type == NULL)
		return 0;
	while (*type == ' ' || *type == '\t')
		type++;
	if (strncasecmp(type, want, n) != 0)
		return 0;
	type += n;
	while (*type == ' ' || *type == '\t')
		type++;
	return *type == '\0' || *type == ';';
}

int
svs_base64_decode(unsigned char **out, size_t *outlen, const char *s)
{
	static const signed char val[256] = {
		['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
		['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
		['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
		['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
		['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
		['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
		['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
		['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
		['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59,
		['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64 };
	size_t n = strlen(s), o = 0, pad = 0, k = 0;
	unsigned acc = 0;
	unsigned char *b;

	*out = NULL;
	*outlen = 0;
	if ((b = malloc(n / 4 * 3 + 3)) == NULL)
		return -1;
	for (const unsigned char *q = (const unsigned char *)s; *q != '\0'; q++) {
		if (isspace(*q))
			continue;
		if (*q == '=') {
			pad++;
			continue;
		}
		/* RFC 4648 §3.3: a character outside the alphabet is an error, and
		 * so is data after the padding */
		if (val[*q] == 0 || pad > 0) {
			free(b);
			return -1;
		}
		acc = acc << 6 | (unsigned)(val[*q] - 1);
		if (++k == 4) {
			b[o++] = (unsigned char)(acc >> 16);
			b[o++] = (unsigned char)(acc >> 8);
			b[o++] = (unsigned char)acc;
			k = 0;
			acc = 0;
		}
	}
	/* the last group: 2 or 3 characters with the padding that completes
	 * it to 4, or none (padding is optional in JSON use) */
	if (k == 1 || (pad > 0 && k + pad != 4) || pad > 2 || (k == 0 && pad > 0)) {
		free(b);
		return -1;
	}
	if (k == 2)
		b[o++] = (unsigned char)(acc >> 4);
	else if (k == 3) {
		b[o++] = (unsigned char)(acc >> 10);
		b[o++] = (unsigned char)(acc >> 2);
	}
	*out = b;
	*outlen = o;
	return 0;
}

X509 *
svs_cert_from_text(const char *s)
{
	X509 *x = NULL;

	if (strstr(s, "-----BEGIN") != NULL) {
		BIO *b = BIO_new_mem_buf(s, -1);

		if (b != NULL)
			x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	} else {
		unsigned char *der;
		size_t len;

		if (svs_base64_decode(&der, &len, s) == 0) {
			const unsigned char *q = der;

			x = d2i_X509(NULL, &q, (long)len);
			/* the whole string is the certificate: nothing after it */
			if (x != NULL && q != der + len) {
				X509_free(x);
				x = NULL;
			}
			free(der);
		}
	}
	ERR_clear_error();
	return x;
}

X509_CRL *
svs_crl_from_text(const char *s)
{
	X509_CRL *c = NULL;

	if (strstr(s, "-----BEGIN") != NULL) {
		BIO *b = BIO_new_mem_buf(s, -1);

		if (b != NULL)
			c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	} else {
		unsigned char *der;
		size_t len;

		if (svs_base64_decode(&der, &len, s) == 0) {
			const unsigned char *q = der;

			c = d2i_X509_CRL(NULL, &q, (long)len);
			if (c != NULL && q != der + len) {
				X509_CRL_free(c);
				c = NULL;
			}
			free(der);
		}
	}
	ERR_clear_error();
	return c;
}

/*
 * The deepest nesting of arrays and objects in a JSON text, read before
 * Jansson parses it (its parser recurses up to 2048 levels): -1 when a
 * string does not end.
 */
static long
json_depth(const unsigned char *b, size_t len)
{
	long d = 0, max = 0;
	int in_str = 0;

	for (size_t i = 0; i < len; i++) {
		if (in_str) {
			if (b[i] == '\\')
				i++;
			else if (b[i] == '"')
				in_str = 0;
			continue;
		}
		switch (b[i]) {
		case '"': in_str = 1; break;
		case '[': case '{':
			if (++d > max)
				max = d;
			break;
		case ']': case '}': d--; break;
		default: break;
		}
	}
	return in_str ? -1 : max;
}

void
svs_cert_req_clear(svs_cert_req *r)
{
	if (r == NULL)
		return;
	X509_free(r->cert);
	sk_X509_pop_free(r->chain, X509_free);
	sk_X509_CRL_pop_free(r->crls, X509_CRL_free);
	free(r->name);
	for (size_t i = 0; r->policies != NULL && r->policies[i] != NULL; i++)
		free(r->policies[i]);
	free(r->policies);
	memset(r, 0, sizeof(*r));
}

/* A JSON boolean member (absent: 0). */
static int
get_bool(int *out, json_t *o, const char *key, svs_problem *p)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return problem(p, 400, "bad-request", "Bad request", "'%s' is a boolean", key);
	*out = json_is_true(v);
	return 0;
}

/* A JSON string member: *out borrowed, NULL when absent. */
static int
get_str(const char **out, json_t *o, const char *key, svs_problem *p)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return problem(p, 400, "bad-request", "Bad request", "'%s' is a string", key);
	*out = json_string_value(v);
	return 0;
}

/* An array member of strings, at most max; *out borrowed, NULL when absent. */
static int
get_array(json_t **out, json_t *o, const char *key, size_t max, svs_problem *p)
{
	json_t *v = json_object_get(o, key), *e;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return problem(p, 400, "bad-request", "Bad request", "'%s' is an array of strings", key);
	if (json_array_size(v) > max)
		return problem(p, 400, "too-many-items", "Too many items",
		    "'%s' has %zu entries, at most %zu are taken", key, json_array_size(v), max);
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return problem(p, 400, "bad-request", "Bad request",
			    "'%s'[%zu] is not a string", key, i);
	*out = v;
	return 0;
}

/* The time member: RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" or seconds since 1970. */
static int
get_time(int64_t *out, json_t *o, svs_problem *p)
{
	json_t *v = json_object_get(o, "time");

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) <= 0)
			return problem(p, 400, "bad-time", "Bad time", "'time' is not after 1970");
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v) ||
	    gp_time_parse(out, json_string_value(v), GP_TIME_DATETIME | GP_TIME_DATE) != 0) {
		gp_error_clear();
		return problem(p, 400, "bad-time", "Bad time",
		    "'time' is YYYY-MM-DDTHH:MM:SSZ or seconds since 1970");
	}
	if (*out <= 0)
		return problem(p, 400, "bad-time", "Bad time", "'time' is not after 1970");
	return 0;
}

static const char *const cert_keys[] = { "certificate", "chain", "crls", "purpose", "name", "time",
	"policies", "explicit_policy", "inhibit_policy_mapping", "inhibit_any_policy", "rules",
	"revocation", NULL };

static const char *const sig_keys[] = { "format", "signature", "data", "hash", "algorithm",
	"digest", "sm2_id", "maker_oid", NULL };

static int
in_list(const char *const *l, const char *k)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, k) == 0)
			return 1;
	return 0;
}

/* The members of a certificate request; with sig, those of a signature
 * request too, and the certificate optional. */
static int
decode_json(svs_cert_req *r, json_t *o, const svs_limits *lim, svs_problem *p, int sig)
{
	const char *cert, *purpose, *name, *rules, *rev, *key;
	json_t *chain, *crls, *pols, *e;
	size_t i;

	json_object_foreach(o, key, e)
		if (!in_list(cert_keys, key) && !(sig && in_list(sig_keys, key)))
			return problem(p, 400, "bad-request", "Bad request", "unknown member '%.64s'", key);
	if (get_str(&cert, o, "certificate", p) != 0 || get_str(&purpose, o, "purpose", p) != 0 ||
	    get_str(&name, o, "name", p) != 0 || get_str(&rules, o, "rules", p) != 0 ||
	    get_str(&rev, o, "revocation", p) != 0 ||
	    get_array(&chain, o, "chain", lim->max_chain, p) != 0 ||
	    get_array(&crls, o, "crls", lim->max_crls, p) != 0 ||
	    get_array(&pols, o, "policies", lim->max_policies, p) != 0 ||
	    get_bool(&r->explicit_policy, o, "explicit_policy", p) != 0 ||
	    get_bool(&r->inhibit_policy_mapping, o, "inhibit_policy_mapping", p) != 0 ||
	    get_bool(&r->inhibit_any_policy, o, "inhibit_any_policy", p) != 0 ||
	    get_time(&r->at, o, p) != 0)
		return -1;
	if (cert == NULL && !sig)
		return problem(p, 400, "bad-request", "Bad request", "'certificate' is required");
	if (cert != NULL && (r->cert = svs_cert_from_text(cert)) == NULL)
		return problem(p, 400, "bad-certificate", "Bad certificate",
		    "'certificate' is not a certificate (PEM, or the base64 of its DER)");
	json_array_foreach(chain, i, e) {
		X509 *x = svs_cert_from_text(json_string_value(e));

		if (x == NULL)
			return problem(p, 400, "bad-certificate", "Bad certificate",
			    "'chain'[%zu] is not a certificate (PEM, or the base64 of its DER)", i);
		if (!sk_X509_push(r->chain, x)) {
			X509_free(x);
			return problem(p, 500, "internal", "Internal error", "out of memory");
		}
	}
	json_array_foreach(crls, i, e) {
		X509_CRL *c = svs_crl_from_text(json_string_value(e));

		if (c == NULL)
			return problem(p, 400, "bad-crl", "Bad CRL",
			    "'crls'[%zu] is not a CRL (PEM, or the base64 of its DER)", i);
		if (!sk_X509_CRL_push(r->crls, c)) {
			X509_CRL_free(c);
			return problem(p, 500, "internal", "Internal error", "out of memory");
		}
	}
	if (purpose != NULL && gp_purpose_from_name(&r->purpose, purpose) != 0) {
		gp_error_clear();
		return problem(p, 400, "bad-request", "Bad request",
		    "'purpose' is tls-server, tls-client, email, code-signing, ocsp, timestamp or any");
	}
	if (rev != NULL) {
		if (gp_revocation_from_name(&r->revocation, rev) != 0) {
			gp_error_clear();
			return problem(p, 400, "bad-request", "Bad request",
			    "'revocation' is require, prefer or none");
		}
		r->revocation_given = 1;
	}
	if (rules == NULL || strcmp(rules, "all") == 0)
		r->rules = GP_RULES_ALL;
	else if (strcmp(rules, "path") == 0)
		r->rules = GP_RULES_PATH;
	else
		return problem(p, 400, "bad-request", "Bad request", "'rules' is all or path");
	if (name != NULL) {
		if (name[0] == '\0' || strlen(name) > 253)
			return problem(p, 400, "bad-request", "Bad request", "'name' is 1 to 253 characters");
		if ((r->name = strdup(name)) == NULL)
			return problem(p, 500, "internal", "Internal error", "out of memory");
	}
	if (pols != NULL && json_array_size(pols) > 0) {
		size_t n = json_array_size(pols);

		if ((r->policies = calloc(n + 1, sizeof(char *))) == NULL)
			return problem(p, 500, "internal", "Internal error", "out of memory");
		json_array_foreach(pols, i, e) {
			const char *oid = json_string_value(e);
			ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);

			ERR_clear_error();
			if (obj == NULL)
				return problem(p, 400, "bad-request", "Bad request",
				    "'policies'[%zu] is not a dotted OID", i);
			ASN1_OBJECT_free(obj);
			if ((r->policies[i] = strdup(oid)) == NULL)
				return problem(p, 500, "internal", "Internal error", "out of memory");
		}
	}
	return 0;
}

int
svs_cert_req_decode(svs_cert_req *out, const char *type, const unsigned char *body, size_t len,
    const svs_limits *lim, svs_problem *p)
{
	json_t *o = NULL;
	json_error_t jerr;
	long depth;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if ((out->chain = sk_X509_new_null()) == NULL || (out->crls = sk_X509_CRL_new_null()) == NULL) {
		problem(p, 500, "internal", "Internal error", "out of memory");
		goto out;
	}
	if (svs_type_is(type, "application/pkix-cert")) {
		const unsigned char *q = body;

		out->cert = d2i_X509(NULL, &q, (long)len);
		ERR_clear_error();
		if (out->cert == NULL || q != body + len) {
			problem(p, 400, "bad-certificate", "Bad certificate", "the body is not one DER certificate");
			goto out;
		}
		r = 0;
		goto out;
	}
	if (svs_type_is(type, "application/x-pem-file")) {
		BIO *b = BIO_new_mem_buf(body, (int)len);

		if (b != NULL)
			out->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		ERR_clear_error();
		if (out->cert == NULL) {
			problem(p, 400, "bad-certificate", "Bad certificate", "the body is not a PEM certificate");
			goto out;
		}
		r = 0;
		goto out;
	}
	if (!svs_type_is(type, "application/json")) {
		problem(p, 415, "unsupported-media-type", "Unsupported media type",
		    "send application/json, application/pkix-cert or application/x-pem-file");
		goto out;
	}
	if ((depth = json_depth(body, len)) < 0 || (size_t)depth > lim->max_depth) {
		if (depth < 0)
			problem(p, 400, "bad-json", "Malformed JSON", "a string does not end");
		else
			problem(p, 400, "too-deep", "Too deeply nested",
			    "the body nests %ld levels, at most %zu are taken", depth, lim->max_depth);
		goto out;
	}
	/* RFC 8259 §8.1: UTF-8; no NUL inside strings (JSON_ALLOW_NUL is not given) */
	if ((o = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		problem(p, 400, "bad-json", "Malformed JSON", "line %d column %d: %.160s", jerr.line,
		    jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(o)) {
		problem(p, 400, "bad-request", "Bad request", "the body is a JSON object");
		goto out;
	}
	r = decode_json(out, o, lim, p, 0);
out:
	json_decref(o);
	if (r != 0)
		svs_cert_req_clear(out);
	return r;
}

void
svs_sig_req_clear(svs_sig_req *r)
{
	if (r == NULL)
		return;
	free(r->sig);
	free(r->data);
	free(r->hash);
	free(r->sm2_id);
	free(r->maker_oid);
	svs_cert_req_clear(&r->cert);
	memset(r, 0, sizeof(*r));
}

/* A base64 member into *out (malloc'ed) and *len; *has 0 when absent. */
static int
get_b64(unsigned char **out, size_t *len, int *has, json_t *o, const char *key, svs_problem *p)
{
	const char *s;

	*has = 0;
	if (get_str(&s, o, key, p) != 0)
		return -1;
	if (s == NULL)
		return 0;
	if (svs_base64_decode(out, len, s) != 0)
		return problem(p, 400, "bad-base64", "Bad base64", "'%s' is not base64", key);
	*has = 1;
	return 0;
}

int
svs_sig_req_decode(svs_sig_req *out, const char *type, const unsigned char *body, size_t len,
    const svs_limits *lim, svs_problem *p)
{
	static const struct { const char *name; svs_raw_alg alg; } algs[] = {
		{ "rsa-pkcs1", SVS_RAW_RSA_PKCS1 }, { "rsa-pss", SVS_RAW_RSA_PSS },
		{ "ecdsa", SVS_RAW_ECDSA }, { "ed25519", SVS_RAW_ED25519 }, { "sm2", SVS_RAW_SM2 } };
	static const char *const digests[] = { "sha256", "sha384", "sha512", "sm3", "sha1", NULL };
	json_t *o = NULL;
	json_error_t jerr;
	const char *fmt, *alg, *dg, *id, *moid;
	long depth;
	int r = -1, has;

	memset(out, 0, sizeof(*out));
	if ((out->cert.chain = sk_X509_new_null()) == NULL ||
	    (out->cert.crls = sk_X509_CRL_new_null()) == NULL) {
		problem(p, 500, "internal", "Internal error", "out of memory");
		goto out;
	}
	if (!svs_type_is(type, "application/json")) {
		problem(p, 415, "unsupported-media-type", "Unsupported media type", "send application/json");
		goto out;
	}
	if ((depth = json_depth(body, len)) < 0 || (size_t)depth > lim->max_depth) {
		if (depth < 0)
			problem(p, 400, "bad-json", "Malformed JSON", "a string does not end");
		else
			problem(p, 400, "too-deep", "Too deeply nested",
			    "the body nests %ld levels, at most %zu are taken", depth, lim->max_depth);
		goto out;
	}
	if ((o = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		problem(p, 400, "bad-json", "Malformed JSON", "line %d column %d: %.160s", jerr.line,
		    jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(o)) {
		problem(p, 400, "bad-request", "Bad request", "the body is a JSON object");
		goto out;
	}
	if (decode_json(&out->cert, o, lim, p, 1) != 0 ||
	    get_str(&fmt, o, "format", p) != 0 || get_str(&alg, o, "algorithm", p) != 0 ||
	    get_str(&dg, o, "digest", p) != 0 || get_str(&id, o, "sm2_id", p) != 0 ||
	    get_str(&moid, o, "maker_oid", p) != 0 ||
	    get_b64(&out->sig, &out->sig_len, &has, o, "signature", p) != 0 ||
	    get_b64(&out->data, &out->data_len, &out->has_data, o, "data", p) != 0 ||
	    get_b64(&out->hash, &out->hash_len, &out->has_hash, o, "hash", p) != 0)
		goto out;
	if (!has || out->sig_len == 0) {
		problem(p, 400, "bad-request", "Bad request", "'signature' (base64) is required");
		goto out;
	}
	if (out->has_data && out->has_hash) {
		problem(p, 400, "bad-request", "Bad request", "'data' and 'hash' exclude each other");
		goto out;
	}
	if (fmt == NULL || strcmp(fmt, "raw") == 0)
		out->format = SVS_SIG_RAW;
	else if (strcmp(fmt, "cms") == 0)
		out->format = SVS_SIG_CMS;
	else if (strcmp(fmt, "seal") == 0)
		out->format = SVS_SIG_SEAL;
	else {
		problem(p, 400, "bad-request", "Bad request", "'format' is raw, cms or seal");
		goto out;
	}
	if (out->format == SVS_SIG_RAW) {
		if (out->cert.cert == NULL) {
			problem(p, 400, "bad-request", "Bad request", "a raw signature needs the signer's 'certificate'");
			goto out;
		}
		if (!out->has_data && !out->has_hash) {
			problem(p, 400, "bad-request", "Bad request", "a raw signature needs 'data' or 'hash'");
			goto out;
		}
	} else if (out->format == SVS_SIG_CMS && out->has_hash) {
		problem(p, 400, "bad-request", "Bad request", "a CMS signature is checked over 'data'");
		goto out;
	}
	if (alg != NULL) {
		size_t k;

		for (k = 0; k < sizeof(algs) / sizeof(algs[0]) && strcmp(algs[k].name, alg) != 0; k++)
			;
		if (k == sizeof(algs) / sizeof(algs[0])) {
			problem(p, 400, "bad-request", "Bad request",
			    "'algorithm' is rsa-pkcs1, rsa-pss, ecdsa, ed25519 or sm2");
			goto out;
		}
		out->alg = algs[k].alg;
	}
	if (dg != NULL) {
		if (!in_list(digests, dg)) {
			problem(p, 400, "bad-request", "Bad request", "'digest' is sha256, sha384, sha512, sm3 or sha1");
			goto out;
		}
		snprintf(out->digest, sizeof(out->digest), "%s", dg);
	}
	if (id != NULL && (id[0] == '\0' || strlen(id) > 8191 / 8 || (out->sm2_id = strdup(id)) == NULL)) {
		problem(p, 400, "bad-request", "Bad request", "'sm2_id' is 1 to 1023 characters");
		goto out;
	}
	if (moid != NULL && (out->maker_oid = strdup(moid)) == NULL) {
		problem(p, 500, "internal", "Internal error", "out of memory");
		goto out;
	}
	r = 0;
out:
	json_decref(o);
	if (r != 0)
		svs_sig_req_clear(out);
	return r;
}
