/* ra/acme_jws.h: JSON Web Signatures as ACME uses them (RFC 8555 §6.2, RFC 7515, RFC 7638), with OpenSSL EVP */
#ifndef GP_ACME_JWS_H
#define GP_ACME_JWS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

/* base64url without padding (RFC 7515 §2, RFC 4648 §5).  *out is
 * malloc'ed and NUL-terminated (free()).  0, or -1 out of memory. */
int acme_b64u_encode(char **out, const unsigned char *in, size_t len);
/* Decodes base64url without padding; anything else (padding, '+', '/',
 * white space, a length of 1 mod 4) is -1.  *out: free(), with a NUL after
 * the *outlen bytes. */
int acme_b64u_decode(unsigned char **out, size_t *outlen, const char *in, size_t inlen);

/* A parsed flattened JWS (RFC 7515 §7.2.2) of an ACME request. */
typedef struct acme_jws {
	json_t *prot;              /* the protected header */
	json_t *payload;           /* the payload as JSON, NULL when empty (POST-as-GET) */
	const char *alg, *nonce, *url, *kid;  /* borrowed from prot; kid NULL when jwk */
	json_t *jwk;               /* borrowed from prot, NULL when kid */
	unsigned char *sig;
	size_t siglen;
	char *input;               /* the signing input: protected "." payload */
	size_t input_len;
	unsigned char *payload_raw;/* the decoded payload bytes */
	size_t payload_len;
} acme_jws;

/*
 * Parses a request body as a flattened JWS and its protected header:
 * exactly one of jwk and kid, alg and url present as strings, no
 * unprotected header, no crit or b64.  nonce is NULL when absent or not a
 * string (the inner JWS of keyChange and EAB have none; ra/acme.c answers
 * badNonce for a request without one).  The payload is decoded; when not
 * empty it must be a JSON object.  Returns NULL and fills j, or the ACME
 * error type ("malformed", "badSignatureAlgorithm") with err filled; j
 * needs acme_jws_clear either way.  What is checked here is only form:
 * the signature is checked by acme_jws_verify.
 */
const char *acme_jws_parse(acme_jws *j, const char *body, size_t len, char *err, size_t errlen);
void acme_jws_clear(acme_jws *j);

/* The public key of a JWK: EC P-256 / P-384, RSA of 2048 to 8192 bits,
 * OKP Ed25519 (RFC 7518 §6, RFC 8037).  NULL and *out set, or the ACME
 * error type ("badPublicKey", "malformed") with err filled. */
const char *acme_jwk_key(EVP_PKEY **out, json_t *jwk, char *err, size_t errlen);
/* The JWK's RFC 7638 thumbprint input (its required members in
 * lexicographic order, no white space; malloc'ed) and its SHA-256. */
int acme_jwk_thumbprint(char **canon, unsigned char out[32], json_t *jwk);

/* Checks j's signature with key: alg must be ES256 (P-256), ES384
 * (P-384), RS256 (RSA) or EdDSA (Ed25519) and match the key.  NULL, or
 * "badSignatureAlgorithm" / "malformed" (a signature that does not
 * verify) with err filled. */
const char *acme_jws_verify(const acme_jws *j, EVP_PKEY *key, char *err, size_t errlen);
/* Checks an HS256 JWS (external account binding, RFC 8555 §7.3.4) with
 * the MAC key: 0 when it verifies. */
int acme_jws_verify_hs256(const acme_jws *j, const unsigned char *key, size_t keylen);

#endif
