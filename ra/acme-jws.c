/* ra/acme-jws.c: JWS parsing and checking for the ACME server (RFC 8555 §6.2, RFC 7515, RFC 7518, RFC 7638, RFC 8037) */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "acme_jws.h"

static const char *
fail(char *err, size_t errlen, const char *type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return type;
}

/* --------------------------------------------------------- base64url */

int
acme_b64u_encode(char **out, const unsigned char *in, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1, n;
	char *b;

	*out = NULL;
	if (len > (1u << 30) || (b = malloc(cap)) == NULL)
		return -1;
	n = (size_t)EVP_EncodeBlock((unsigned char *)b, in, (int)len);
	/* RFC 4648 §5: '-' and '_' for '+' and '/', and no padding */
	while (n > 0 && b[n - 1] == '=')
		n--;
	b[n] = '\0';
	for (size_t i = 0; i < n; i++)
		b[i] = b[i] == '+' ? '-' : b[i] == '/' ? '_' : b[i];
	*out = b;
	return 0;
}

int
acme_b64u_decode(unsigned char **out, size_t *outlen, const char *in, size_t inlen)
{
	size_t pad = (4 - inlen % 4) % 4, n = inlen + pad;
	unsigned char *t = NULL, *b = NULL;
	int m;

	*out = NULL;
	*outlen = 0;
	if (inlen % 4 == 1 || inlen > (1u << 28))
		return -1;
	if ((t = malloc(n + 1)) == NULL || (b = malloc(n / 4 * 3 + 1)) == NULL)
		goto bad;
	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];

		/* only the url-safe alphabet: EVP_DecodeBlock would take '+',
		 * '/', '=' and skip white space */
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			goto bad;
		t[i] = (unsigned char)c;
	}
	memset(t + inlen, '=', pad);
	if (n == 0) {
		b[0] = '\0';
		free(t);
		*out = b;
		return 0;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes in its result */
	if ((m = EVP_DecodeBlock(b, t, (int)n)) < 0 || (size_t)m < pad)
		goto bad;
	free(t);
	*outlen = (size_t)m - pad;
	b[*outlen] = '\0';
	*out = b;
	return 0;
bad:
	free(t);
	free(b);
	return -1;
}

/* --------------------------------------------------------------- JWS */

void
acme_jws_clear(acme_jws *j)
{
	if (j == NULL)
		return;
	json_decref(j->prot);
	json_decref(j->payload);
	free(j->sig);
	free(j->input);
	free(j->payload_raw);
	memset(j, 0, sizeof(*j));
}

static const char *
str_member(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
acme_jws_parse(acme_jws *j, const char *body, size_t len, char *err, size_t errlen)
{
	json_t *top = NULL;
	json_error_t je;
	unsigned char *ph = NULL;
	size_t phlen, plen, slen;
	const char *p64, *pl64, *s64, *k, *type = "malformed";
	json_t *v;

	memset(j, 0, sizeof(*j));
	err[0] = '\0';
	if ((top = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		fail(err, errlen, type, "the body is not JSON: %s", je.text);
		goto out;
	}
	if (!json_is_object(top)) {
		fail(err, errlen, type, "the body must be a flattened JWS object");
		goto out;
	}
	/* RFC 8555 §6.2: flattened serialization, no unprotected header */
	json_object_foreach(top, k, v) {
		if (strcmp(k, "protected") != 0 && strcmp(k, "payload") != 0 &&
		    strcmp(k, "signature") != 0) {
			fail(err, errlen, type, "the JWS has a member '%.32s' (only protected, payload "
			    "and signature are allowed)", k);
			goto out;
		}
	}
	p64 = str_member(top, "protected");
	pl64 = str_member(top, "payload");
	s64 = str_member(top, "signature");
	if (p64 == NULL || pl64 == NULL || s64 == NULL) {
		fail(err, errlen, type, "the JWS needs protected, payload and signature strings");
		goto out;
	}
	plen = strlen(p64);
	if (acme_b64u_decode(&ph, &phlen, p64, plen) != 0) {
		fail(err, errlen, type, "the protected header is not base64url");
		goto out;
	}
	if ((j->prot = json_loadb((char *)ph, phlen, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(j->prot)) {
		fail(err, errlen, type, "the protected header is not a JSON object");
		goto out;
	}
	if (acme_b64u_decode(&j->payload_raw, &j->payload_len, pl64, strlen(pl64)) != 0) {
		fail(err, errlen, type, "the payload is not base64url");
		goto out;
	}
	if (acme_b64u_decode(&j->sig, &j->siglen, s64, strlen(s64)) != 0 || j->siglen == 0) {
		fail(err, errlen, type, "the signature is not base64url");
		goto out;
	}
	json_object_foreach(j->prot, k, v) {
		if (strcmp(k, "alg") != 0 && strcmp(k, "nonce") != 0 && strcmp(k, "url") != 0 &&
		    strcmp(k, "jwk") != 0 && strcmp(k, "kid") != 0) {
			/* crit, b64 and the like change what the signature means
			 * (RFC 7515 §4.1.11, RFC 7797): refused */
			if (strcmp(k, "crit") == 0 || strcmp(k, "b64") == 0 || strcmp(k, "x5c") == 0 ||
			    strcmp(k, "x5u") == 0 || strcmp(k, "jku") == 0) {
				fail(err, errlen, type, "the protected header may not have '%s'", k);
				goto out;
			}
		}
	}
	j->alg = str_member(j->prot, "alg");
	j->nonce = str_member(j->prot, "nonce");
	j->url = str_member(j->prot, "url");
	j->kid = str_member(j->prot, "kid");
	j->jwk = json_object_get(j->prot, "jwk");
	if (j->alg == NULL) {
		fail(err, errlen, type, "the protected header has no alg");
		goto out;
	}
	if (j->url == NULL) {
		fail(err, errlen, "unauthorized", "the protected header has no url");
		goto out;
	}
	if ((j->jwk != NULL) == (json_object_get(j->prot, "kid") != NULL) ||
	    (j->jwk != NULL && !json_is_object(j->jwk)) ||
	    (j->jwk == NULL && j->kid == NULL)) {
		fail(err, errlen, type, "the protected header needs exactly one of jwk (an object) "
		    "and kid (a string)");
		goto out;
	}
	if (j->payload_len > 0) {
		if ((j->payload = json_loadb((char *)j->payload_raw, j->payload_len,
		    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(j->payload)) {
			fail(err, errlen, type, "the payload is not a JSON object");
			goto out;
		}
	}
	/* RFC 7515 §5.2: the signing input is the two encoded parts */
	slen = strlen(pl64);
	if ((j->input = malloc(plen + slen + 2)) == NULL) {
		fail(err, errlen, "serverInternal", "out of memory");
		goto out;
	}
	memcpy(j->input, p64, plen);
	j->input[plen] = '.';
	memcpy(j->input + plen + 1, pl64, slen);
	j->input_len = plen + 1 + slen;
	j->input[j->input_len] = '\0';
	type = NULL;
out:
	free(ph);
	json_decref(top);
	return type;
}

/* --------------------------------------------------------------- JWK */

static const char *
b64_member(unsigned char **out, size_t *outlen, json_t *jwk, const char *k, char *err,
    size_t errlen)
{
	const char *v = str_member(jwk, k);

	if (v == NULL || acme_b64u_decode(out, outlen, v, strlen(v)) != 0 || *outlen == 0)
		return fail(err, errlen, "badPublicKey", "the JWK's '%s' is missing or not base64url", k);
	return NULL;
}

static const char *
key_from_params(EVP_PKEY **out, const char *type, OSSL_PARAM_BLD *bld, char *err, size_t errlen)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	const char *t = NULL;

	if (params == NULL || pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
		t = fail(err, errlen, "badPublicKey", "the JWK is not a valid %s public key", type);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(pc);
	return t;
}

const char *
acme_jwk_key(EVP_PKEY **out, json_t *jwk, char *err, size_t errlen)
{
	const char *kty = str_member(jwk, "kty"), *crv = str_member(jwk, "crv"), *t = NULL;
	unsigned char *a = NULL, *b = NULL, *pt = NULL;
	size_t al = 0, bl = 0;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *n = NULL, *e = NULL;

	*out = NULL;
	if (!json_is_object(jwk) || kty == NULL)
		return fail(err, errlen, "malformed", "the JWK has no kty");
	if (json_object_get(jwk, "d") != NULL || json_object_get(jwk, "p") != NULL)
		return fail(err, errlen, "badPublicKey", "the JWK holds a private key");
	if (strcmp(kty, "EC") == 0) {
		size_t fl;
		const char *group;

		if (crv != NULL && strcmp(crv, "P-256") == 0) {
			fl = 32;
			group = "prime256v1";
		} else if (crv != NULL && strcmp(crv, "P-384") == 0) {
			fl = 48;
			group = "secp384r1";
		} else
			return fail(err, errlen, "badPublicKey", "EC curve '%.16s' is not supported "
			    "(P-256, P-384)", crv ? crv : "");
		if ((t = b64_member(&a, &al, jwk, "x", err, errlen)) != NULL ||
		    (t = b64_member(&b, &bl, jwk, "y", err, errlen)) != NULL)
			goto out;
		/* RFC 7518 §6.2.1.2: x and y are exactly the field size */
		if (al != fl || bl != fl) {
			t = fail(err, errlen, "badPublicKey", "the JWK's x and y must be %zu bytes", fl);
			goto out;
		}
		if ((pt = malloc(1 + 2 * fl)) == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL) {
			t = fail(err, errlen, "serverInternal", "out of memory");
			goto out;
		}
		pt[0] = 0x04;
		memcpy(pt + 1, a, fl);
		memcpy(pt + 1 + fl, b, fl);
		if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * fl) != 1) {
			t = fail(err, errlen, "serverInternal", "out of memory");
			goto out;
		}
		/* fromdata checks the point is on the curve */
		t = key_from_params(out, "EC", bld, err, errlen);
	} else if (strcmp(kty, "RSA") == 0) {
		if ((t = b64_member(&a, &al, jwk, "n", err, errlen)) != NULL ||
		    (t = b64_member(&b, &bl, jwk, "e", err, errlen)) != NULL)
			goto out;
		if (al > 1024 || bl > 8) {
			t = fail(err, errlen, "badPublicKey", "RSA key too large");
			goto out;
		}
		if ((n = BN_bin2bn(a, (int)al, NULL)) == NULL || (e = BN_bin2bn(b, (int)bl, NULL)) == NULL ||
		    (bld = OSSL_PARAM_BLD_new()) == NULL) {
			t = fail(err, errlen, "serverInternal", "out of memory");
			goto out;
		}
		if (BN_num_bits(n) < 2048 || BN_num_bits(n) > 8192 || !BN_is_odd(e) || BN_is_one(e)) {
			t = fail(err, errlen, "badPublicKey", "RSA keys must have 2048 to 8192 bits and "
			    "an odd exponent above 1 (this one: %d bits)", BN_num_bits(n));
			goto out;
		}
		if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1) {
			t = fail(err, errlen, "serverInternal", "out of memory");
			goto out;
		}
		t = key_from_params(out, "RSA", bld, err, errlen);
	} else if (strcmp(kty, "OKP") == 0) {
		/* RFC 8037 §2 */
		if (crv == NULL || strcmp(crv, "Ed25519") != 0)
			return fail(err, errlen, "badPublicKey", "OKP curve '%.16s' is not supported "
			    "(Ed25519)", crv ? crv : "");
		if ((t = b64_member(&a, &al, jwk, "x", err, errlen)) != NULL)
			goto out;
		if (al != 32) {
			t = fail(err, errlen, "badPublicKey", "an Ed25519 key has 32 bytes");
			goto out;
		}
		if ((*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, a, al)) == NULL)
			t = fail(err, errlen, "badPublicKey", "not an Ed25519 public key");
	} else {
		t = fail(err, errlen, "badPublicKey", "key type '%.16s' is not supported (EC, RSA, OKP)",
		    kty);
	}
out:
	free(a);
	free(b);
	free(pt);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return t;
}

int
acme_jwk_thumbprint(char **canon, unsigned char out[32], json_t *jwk)
{
	const char *kty = str_member(jwk, "kty");
	json_t *c = NULL;
	char *s = NULL;
	int r = -1;

	if (canon != NULL)
		*canon = NULL;
	if (kty == NULL)
		return -1;
	/* RFC 7638 §3.2: the required members only; Jansson's JSON_SORT_KEYS
	 * and JSON_COMPACT give lexicographic order without white space, and
	 * base64url values need no escaping */
	if (strcmp(kty, "EC") == 0)
		c = json_pack("{s:s?, s:s, s:s?, s:s?}", "crv", str_member(jwk, "crv"), "kty", kty,
		    "x", str_member(jwk, "x"), "y", str_member(jwk, "y"));
	else if (strcmp(kty, "RSA") == 0)
		c = json_pack("{s:s?, s:s, s:s?}", "e", str_member(jwk, "e"), "kty", kty,
		    "n", str_member(jwk, "n"));
	else if (strcmp(kty, "OKP") == 0)
		c = json_pack("{s:s?, s:s, s:s?}", "crv", str_member(jwk, "crv"), "kty", kty,
		    "x", str_member(jwk, "x"));
	if (c == NULL || (s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	if (EVP_Digest(s, strlen(s), out, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	if (canon != NULL) {
		*canon = s;
		s = NULL;
	}
	r = 0;
out:
	free(s);
	json_decref(c);
	return r;
}

/* ------------------------------------------------------------ verify */

/* RFC 7518 §3.4: an ECDSA signature is R || S, each the field size; EVP
 * wants the DER ECDSA-Sig-Value. */
static int
ec_sig_der(unsigned char **der, size_t *derlen, const unsigned char *sig, size_t siglen,
    size_t fl)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int n, rc = -1;

	*der = NULL;
	if (siglen != 2 * fl)
		return -1;
	if ((es = ECDSA_SIG_new()) == NULL || (r = BN_bin2bn(sig, (int)fl, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + fl, (int)fl, NULL)) == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	if ((n = i2d_ECDSA_SIG(es, der)) <= 0)
		goto out;
	*derlen = (size_t)n;
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

const char *
acme_jws_verify(const acme_jws *j, EVP_PKEY *key, char *err, size_t errlen)
{
	EVP_MD_CTX *mc = NULL;
	const char *md = NULL, *t = NULL;
	unsigned char *der = NULL;
	const unsigned char *sig = j->sig;
	size_t siglen = j->siglen, fl = 0;
	int ok;

	if (strcmp(j->alg, "ES256") == 0 && EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_bits(key) == 256) {
		md = "SHA256";
		fl = 32;
	} else if (strcmp(j->alg, "ES384") == 0 && EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_bits(key) == 384) {
		md = "SHA384";
		fl = 48;
	} else if (strcmp(j->alg, "RS256") == 0 && EVP_PKEY_is_a(key, "RSA")) {
		md = "SHA256";
	} else if (strcmp(j->alg, "EdDSA") == 0 && EVP_PKEY_is_a(key, "ED25519")) {
		md = NULL;
	} else {
		/* RFC 8555 §6.2: none and MAC algorithms are refused */
		return fail(err, errlen, "badSignatureAlgorithm", "alg '%.16s' is not accepted with "
		    "this key (ES256 with P-256, ES384 with P-384, RS256 with RSA, EdDSA with Ed25519)",
		    j->alg);
	}
	if (fl > 0) {
		if (ec_sig_der(&der, &siglen, j->sig, j->siglen, fl) != 0) {
			t = fail(err, errlen, "malformed", "the %s signature must be %zu bytes", j->alg, 2 * fl);
			goto out;
		}
		sig = der;
	}
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(mc, NULL, md, NULL, NULL, key, NULL) != 1) {
		t = fail(err, errlen, "serverInternal", "cannot start verifying");
		goto out;
	}
	ok = EVP_DigestVerify(mc, sig, siglen, (const unsigned char *)j->input, j->input_len);
	if (ok != 1)
		t = fail(err, errlen, "malformed", "the JWS signature does not verify");
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(mc);
	return t;
}

int
acme_jws_verify_hs256(const acme_jws *j, const unsigned char *key, size_t keylen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	int r = -1;

	if (strcmp(j->alg, "HS256") != 0 || j->siglen != 32)
		return -1;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
	    (const unsigned char *)j->input, j->input_len, mac, sizeof(mac), &maclen) == NULL)
		goto out;
	r = maclen == 32 && CRYPTO_memcmp(mac, j->sig, 32) == 0 ? 0 : -1;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	ERR_clear_error();
	return r;
}
