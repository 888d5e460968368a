/* lib/key_p11_int.h: what the PKCS#11 files (lib/key_p11*.c) share: URIs, module and PIN sources */
#ifndef GP_KEY_P11_INT_H
#define GP_KEY_P11_INT_H

#include <stddef.h>

#include <openssl/evp.h>

/* An RFC 7512 PKCS#11 URI, percent-decoded.  NULL: the attribute is absent. */
typedef struct p11_uri {
	/* §2.3 path attributes */
	char *token, *manufacturer, *model, *serial;
	char *object, *type;
	unsigned char *id;
	size_t id_len;
	int has_id;
	long slot_id;           /* -1 when absent */
	/* §2.4 query attributes */
	char *module_path, *module_name, *pin_source, *pin_value;
} p11_uri;

/* Parses "pkcs11:..." into a new p11_uri (p11_uri_free).  GP_E_INVALID
 * names what is wrong: a repeated or unknown attribute, bad %-escape. */
int p11_uri_parse(p11_uri **out, const char *s);
void p11_uri_free(p11_uri *u);

/* 1 when the token with these (blank-trimmed) fields matches u's token
 * attributes (absent attributes match anything). */
int p11_uri_match_token(const p11_uri *u, const char *label,
    const char *manufacturer, const char *model, const char *serial,
    unsigned long slot_id);

/* The module to load for u: module-path, $GOVPKI_PKCS11_MODULE, [pkcs11]
 * module.  *out malloc'ed.  GP_E_CONFIG when none is set, GP_E_NOTFOUND
 * when the file does not exist. */
int p11_module_path(char **out, const p11_uri *u);

/* The PIN for u: pin-source, pin-value, $GOVPKI_PIN, [pkcs11] pin_file,
 * else pass (may be NULL).  *out NUL-terminated, malloc'ed, wiped and freed
 * with p11_pin_free; *out NULL (rc 0) when there is none. */
int p11_pin(char **out, size_t *outlen, const p11_uri *u, const char *pass,
    size_t passlen);
void p11_pin_free(char *pin, size_t len);

/* Loads the private key u names (lib/key_p11.c; gp_key_load dispatches). */
int gp_key_p11_load(EVP_PKEY **out, const char *uri, const char *pass, size_t passlen);

/* A percent-encoded copy of s for a URI attribute value (RFC 3986 §2.1;
 * unreserved characters stay), malloc'ed. */
int p11_pct_encode(char **out, const unsigned char *s, size_t len);

#endif
