/* ca/ca_lib.h: what the other library modules (ocsp/, ra/) may use of ca/ beyond govpki/ca.h */
#ifndef GP_CA_LIB_H
#define GP_CA_LIB_H

/*
 * ca/ca_int.h and ca/profile_int.h (the structures) are ca/'s own; a module
 * above or beside it includes this header instead and goes through
 * functions, so that the CA's layout (and where its key lives) can change
 * without touching ocsp/ or ra/.  The issuer's identifiers are public
 * (gp_ca_id, gp_ca_name, gp_ca_cert0 in govpki/ca.h).
 */

#include <openssl/x509v3.h>

#include <govpki/ca.h>
#include <govpki/profile.h>

/*
 * The signing handle of an opened CA: its certificate and its private key
 * (a PEM file's or an HSM's, through libp11), each a new reference the
 * caller frees (X509_free, EVP_PKEY_free); ca stays usable and may be freed
 * first.  Sign with it through gp_sign_ctx_new (govpki/x509util.h), which
 * sets what the key type needs (the SM2 ID).  GP_E_INVALID on a NULL.
 */
int gp_ca_signer_get1(X509 **cert, EVP_PKEY **key, const gp_ca *ca);

/*
 * Checks a request against p: the key type and size (also refusing RSA
 * below 2048 bits and explicit EC parameters whatever the profile), the
 * subject attributes (required / allowed / forbidden), and each SAN's type
 * (sans may be NULL).  GP_E_POLICY with a message naming the profile and
 * the offending field.
 */
int gp_profile_check(const gp_profile *p, EVP_PKEY *pub, const X509_NAME *subject,
    const GENERAL_NAMES *sans);

/* Parses "DNS:a.example,IP:10.0.0.1,email:x@y,URI:https://..." into a new
 * GENERAL_NAMES. GP_E_PARSE naming the bad element. */
int gp_sans_parse(GENERAL_NAMES **out, const char *s);

/* The "DNS:a, IP:b" form of sans (malloc'ed, free()); NULL sans gives NULL. */
int gp_sans_to_string(char **out, const GENERAL_NAMES *sans);

#endif
