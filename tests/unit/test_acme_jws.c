/* tests/unit/test_acme_jws.c: ra-server's JWS code for ACME (ra/acme-jws.c): the RFC 7638
 * thumbprint vector, and keyChange's inner JWS (RFC 8555 §7.3.5) made here with OpenSSL */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../../ra/acme_jws.h"

/* RFC 7638 §3.1: the example RSA key and its thumbprint. */
static void
test_thumbprint_rfc7638(void **state)
{
	static const char jwk_text[] = "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAF"
	    "bWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4"
	    "Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6q"
	    "MQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1j"
	    "F44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";
	json_t *jwk = json_loads(jwk_text, 0, NULL);
	unsigned char th[32];
	char *canon = NULL, *b = NULL;

	(void)state;
	assert_non_null(jwk);
	assert_int_equal(acme_jwk_thumbprint(&canon, th, jwk), 0);
	/* only the required members, in order, no white space (§3.2) */
	assert_int_equal(strncmp(canon, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", 33), 0);
	assert_int_equal(acme_b64u_encode(&b, th, sizeof(th)), 0);
	assert_string_equal(b, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(canon);
	free(b);
	json_decref(jwk);
}

/* A P-256 key and its public JWK. */
static EVP_PKEY *
p256(json_t **jwk)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIGNUM *x = NULL, *y = NULL;
	unsigned char xb[32], yb[32];
	char *xs = NULL, *ys = NULL;

	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
	assert_int_equal(BN_bn2binpad(x, xb, 32), 32);
	assert_int_equal(BN_bn2binpad(y, yb, 32), 32);
	assert_int_equal(acme_b64u_encode(&xs, xb, 32), 0);
	assert_int_equal(acme_b64u_encode(&ys, yb, 32), 0);
	*jwk = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", xs, "y", ys);
	assert_non_null(*jwk);
	BN_free(x);
	BN_free(y);
	free(xs);
	free(ys);
	return k;
}

/* A flattened JWS of prot and payload signed by key with ES256 (RFC 7518
 * §3.4: r || s, 32 bytes each). */
static char *
es256_jws(json_t *prot, json_t *payload, EVP_PKEY *key)
{
	char *ph = json_dumps(prot, JSON_COMPACT), *pl = json_dumps(payload, JSON_COMPACT);
	char *p64 = NULL, *pl64 = NULL, *s64 = NULL, *input, *out;
	unsigned char der[80], rs[64];
	const unsigned char *dp = der;
	size_t dlen = sizeof(der), n;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;
	json_t *o;

	assert_int_equal(acme_b64u_encode(&p64, (unsigned char *)ph, strlen(ph)), 0);
	assert_int_equal(acme_b64u_encode(&pl64, (unsigned char *)pl, strlen(pl)), 0);
	n = strlen(p64) + 1 + strlen(pl64) + 1;
	input = malloc(n);
	assert_non_null(input);
	snprintf(input, n, "%s.%s", p64, pl64);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, der, &dlen, (unsigned char *)input, strlen(input)), 1);
	sig = d2i_ECDSA_SIG(NULL, &dp, (long)dlen);
	assert_non_null(sig);
	ECDSA_SIG_get0(sig, &r, &s);
	assert_int_equal(BN_bn2binpad(r, rs, 32), 32);
	assert_int_equal(BN_bn2binpad(s, rs + 32, 32), 32);
	assert_int_equal(acme_b64u_encode(&s64, rs, sizeof(rs)), 0);
	o = json_pack("{s:s, s:s, s:s}", "protected", p64, "payload", pl64, "signature", s64);
	out = json_dumps(o, JSON_COMPACT);
	assert_non_null(out);
	json_decref(o);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	free(ph);
	free(pl);
	free(p64);
	free(pl64);
	free(s64);
	free(input);
	return out;
}

/* keyChange's inner JWS: a jwk, no nonce; it verifies with the new key
 * only, and its payload names the account and the old key. */
static void
test_keychange_inner(void **state)
{
	json_t *njwk, *ojwk, *prot, *payload;
	EVP_PKEY *nk = p256(&njwk), *ok = p256(&ojwk), *kk = NULL;
	unsigned char th[32], oth[32];
	char err[256], *body;
	acme_jws j;

	(void)state;
	prot = json_pack("{s:s, s:O, s:s}", "alg", "ES256", "jwk", njwk, "url",
	    "https://ra.test/acme/p/key-change");
	payload = json_pack("{s:s, s:O}", "account", "https://ra.test/acme/p/acct/1", "oldKey", ojwk);
	body = es256_jws(prot, payload, nk);

	memset(&j, 0, sizeof(j));
	assert_null(acme_jws_parse(&j, body, strlen(body), err, sizeof(err)));
	assert_null(j.nonce);
	assert_null(j.kid);
	assert_non_null(j.jwk);
	assert_string_equal(j.url, "https://ra.test/acme/p/key-change");
	assert_null(acme_jwk_key(&kk, j.jwk, err, sizeof(err)));
	assert_null(acme_jws_verify(&j, kk, err, sizeof(err)));
	/* signed by the new key, not the old one */
	assert_string_equal(acme_jws_verify(&j, ok, err, sizeof(err)), "malformed");
	assert_int_equal(acme_jwk_thumbprint(NULL, th, json_object_get(j.payload, "oldKey")), 0);
	assert_int_equal(acme_jwk_thumbprint(NULL, oth, ojwk), 0);
	assert_memory_equal(th, oth, 32);
	assert_int_equal(acme_jwk_thumbprint(NULL, th, j.jwk), 0);
	assert_memory_not_equal(th, oth, 32);
	EVP_PKEY_free(kk);
	kk = NULL;
	acme_jws_clear(&j);
	free(body);

	/* the same header signed by the old key does not verify with the jwk it names */
	body = es256_jws(prot, payload, ok);
	memset(&j, 0, sizeof(j));
	assert_null(acme_jws_parse(&j, body, strlen(body), err, sizeof(err)));
	assert_null(acme_jwk_key(&kk, j.jwk, err, sizeof(err)));
	assert_string_equal(acme_jws_verify(&j, kk, err, sizeof(err)), "malformed");
	EVP_PKEY_free(kk);
	kk = NULL;
	acme_jws_clear(&j);
	free(body);

	/* a kid beside the jwk is refused in form already */
	json_object_set_new(prot, "kid", json_string("https://ra.test/acme/p/acct/1"));
	body = es256_jws(prot, payload, nk);
	memset(&j, 0, sizeof(j));
	assert_string_equal(acme_jws_parse(&j, body, strlen(body), err, sizeof(err)), "malformed");
	acme_jws_clear(&j);
	free(body);

	/* alg HS256 over an EC key: not a signature algorithm of ours */
	json_object_del(prot, "kid");
	json_object_set_new(prot, "alg", json_string("HS256"));
	body = es256_jws(prot, payload, nk);
	memset(&j, 0, sizeof(j));
	assert_null(acme_jws_parse(&j, body, strlen(body), err, sizeof(err)));
	assert_string_equal(acme_jws_verify(&j, nk, err, sizeof(err)), "badSignatureAlgorithm");
	acme_jws_clear(&j);
	free(body);

	json_decref(prot);
	json_decref(payload);
	json_decref(njwk);
	json_decref(ojwk);
	EVP_PKEY_free(nk);
	EVP_PKEY_free(ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_keychange_inner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
