/* tests/fuzz/fuzz_acme_jws.c: fuzz target of ra-server's ACME JWS decoding */
/*
 * Reaches what ra/acme.c does with a request body (check_jws): acme_jws_parse
 * (the flattened JWS of RFC 8555 §6.2 / RFC 7515 §7.2.2: protected header,
 * payload and signature in base64url, alg, nonce, url, exactly one of jwk
 * and kid), then for a jwk acme_jwk_key (RFC 7518 §6, RFC 8037), the RFC 7638
 * thumbprint and acme_jws_verify; acme_jws_verify_hs256 (EAB, RFC 8555
 * §7.3.4) with a fixed MAC key; and the payload parsed again as an inner JWS,
 * as keyChange (§7.3.5) and externalAccountBinding do.  Each input must be
 * refused with one of the ACME error types (RFC 8555 §6.7) and a message, or
 * read, and:
 *  - a parsed JWS has alg and url, exactly one of jwk (an object) and kid,
 *    a payload that is NULL when empty and else a JSON object, and a signing
 *    input that is the body's own "protected.payload" (RFC 7515 §5.2);
 *  - the decoded payload and signature re-encode to base64url of the same
 *    length as the body's and decode back to the same bytes;
 *  - nonce is the header's nonce when a string, else NULL (ra/acme.c then
 *    answers badNonce after the signature, RFC 8555 §6.5);
 *  - a JWK that gives a key has a thumbprint.
 * Any difference aborts.  With GP_FUZZ_VERBOSE set, one line per input says
 * how far it went ("verified ALG" for a good signature): acme_jws_corpus.sh
 * checks that exactly the good-* seeds verify (among them a signature that
 * is good on a header whose nonce is a number, refused later by ra/acme.c).
 * Corpus: tests/fuzz/corpus/acme_jws (good-*: JWS made once with Python's
 * cryptography with fresh keys; the others derived from them by hand).
 * Without libFuzzer, main() (tests/fuzz/replay.c) replays every file of
 * the folders it is given.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acme_jws.h"   /* ra/: ra-server's own */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verbose = -1;

static void
say(const char *what, const char *t)
{
	if (verbose < 0)
		verbose = getenv("GP_FUZZ_VERBOSE") != NULL;
	if (verbose)
		printf("%s %s\n", what, t);
}

static int
is_type(const char *t, const char *const *ok)
{
	for (; *ok != NULL; ok++)
		if (strcmp(t, *ok) == 0)
			return 1;
	return 0;
}

/* b64 is what the body held for bytes (len): same length, same bytes back */
static void
roundtrip(const char *b64, const unsigned char *bytes, size_t len)
{
	char *e = NULL;
	unsigned char *d = NULL;
	size_t dl = 0;

	if (acme_b64u_encode(&e, bytes, len) != 0 || strlen(e) != strlen(b64) ||
	    acme_b64u_decode(&d, &dl, e, strlen(e)) != 0 || dl != len ||
	    (len > 0 && memcmp(d, bytes, len) != 0))
		abort();
	free(e);
	free(d);
}

/* One JWS: parse, and for a parsed one the checks above.  depth: 0 for the
 * request, 1 for the inner JWS of its payload. */
static void
one(const char *body, size_t len, int depth)
{
	static const char *const parse_types[] = { "malformed", "badSignatureAlgorithm",
		"unauthorized", "serverInternal", NULL };
	static const char *const key_types[] = { "badPublicKey", "malformed", "serverInternal",
		NULL };
	static const char *const verify_types[] = { "badSignatureAlgorithm", "malformed",
		"serverInternal", NULL };
	static const unsigned char mac_key[32] = "govpki fuzz EAB MAC key 32 byte";
	acme_jws j;
	json_t *top, *inner;
	EVP_PKEY *key = NULL;
	const char *t, *p64, *pl64;
	char err[512], *s, *canon = NULL;
	unsigned char th[32];
	size_t plen;

	err[0] = 'x';
	if ((t = acme_jws_parse(&j, body, len, err, sizeof(err))) != NULL) {
		if (!is_type(t, parse_types) || err[0] == '\0' || j.input != NULL)
			abort();
		say(depth ? "inner-refused" : "refused", t);
		acme_jws_clear(&j);
		return;
	}
	if (j.alg == NULL || j.url == NULL || (j.jwk == NULL) == (j.kid == NULL) ||
	    (j.jwk != NULL && !json_is_object(j.jwk)) || j.sig == NULL || j.siglen == 0 ||
	    (j.payload_len == 0) != (j.payload == NULL) ||
	    (j.payload != NULL && !json_is_object(j.payload)))
		abort();
	if (j.nonce != json_string_value(json_object_get(j.prot, "nonce")))
		abort();
	/* RFC 7515 §5.2: the signing input is the body's two encoded parts */
	if ((top = json_loadb(body, len, 0, NULL)) == NULL)
		abort();
	p64 = json_string_value(json_object_get(top, "protected"));
	pl64 = json_string_value(json_object_get(top, "payload"));
	if (p64 == NULL || pl64 == NULL)
		abort();
	plen = strlen(p64);
	if (j.input_len != plen + 1 + strlen(pl64) || strncmp(j.input, p64, plen) != 0 ||
	    j.input[plen] != '.' || strcmp(j.input + plen + 1, pl64) != 0)
		abort();
	roundtrip(pl64, j.payload_raw, j.payload_len);
	roundtrip(json_string_value(json_object_get(top, "signature")), j.sig, j.siglen);
	json_decref(top);

	if (acme_jws_verify_hs256(&j, mac_key, sizeof(mac_key)) == 0)
		say(depth ? "inner-mac-verified" : "mac-verified", "HS256");
	if (j.jwk != NULL) {
		if ((t = acme_jwk_key(&key, j.jwk, err, sizeof(err))) != NULL) {
			if (key != NULL || !is_type(t, key_types))
				abort();
			say("badkey", t);
		} else {
			if (key == NULL || acme_jwk_thumbprint(&canon, th, j.jwk) != 0 || canon == NULL)
				abort();
			free(canon);
			if ((t = acme_jws_verify(&j, key, err, sizeof(err))) != NULL) {
				if (!is_type(t, verify_types))
					abort();
				say("unverified", t);
			} else
				say(depth ? "inner-verified" : "verified", j.alg);
			EVP_PKEY_free(key);
		}
	} else
		say("kid", j.alg);
	/* keyChange (the payload) and externalAccountBinding (a member of
	 * it) are themselves JWS, read with the same code */
	inner = j.payload == NULL ? NULL : json_object_get(j.payload, "protected") != NULL ?
	    j.payload : json_object_get(j.payload, "externalAccountBinding");
	if (depth == 0 && inner != NULL) {
		if ((s = json_dumps(inner, JSON_COMPACT)) != NULL) {
			one(s, strlen(s), 1);
			free(s);
		}
	}
	acme_jws_clear(&j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size, 0);
	return 0;
}
