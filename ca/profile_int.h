/* ca/profile_int.h: the profile structure and its checks, inside the library */
#ifndef GP_PROFILE_INT_H
#define GP_PROFILE_INT_H

#include <openssl/x509v3.h>

#include <govpki/key.h>
#include <govpki/profile.h>

#include "ca_lib.h"       /* gp_profile_check, gp_sans_parse, gp_sans_to_string */

/* Subject attributes are named by their OpenSSL short names (C, ST, L, O,
 * OU, CN, serialNumber, emailAddress, ...), NULL-terminated arrays. */
enum { GP_NC_DNS, GP_NC_EMAIL, GP_NC_IP };

struct gp_profile {
	char *name;
	unsigned key_types;        /* bit (1u << gp_key_type) per allowed type */
	int rsa_min_bits;          /* at least 2048 */
	int max_days;              /* maximum (and default) validity */
	int is_ca;                 /* basicConstraints CA:TRUE */
	int path_len;              /* pathLenConstraint, -1: none */
	unsigned key_usage;        /* KU_* bits of openssl/x509v3.h; 0: no extension */
	STACK_OF(ASN1_OBJECT) *eku; /* NULL or empty: no extension */
	int eku_critical;
	char **subj_required;      /* must be present */
	char **subj_allowed;       /* NULL: any not forbidden */
	char **subj_forbidden;
	unsigned san_types;        /* bit (1u << GEN_*) per allowed SAN type; 0: none allowed */
	int san_required;          /* at least one SAN (tls-server) */
	STACK_OF(ASN1_OBJECT) *policies; /* certificatePolicies OIDs */
	char *crl_dp;              /* CRL distribution point URL, NULL: none */
	char *ocsp_url;            /* AIA id-ad-ocsp, NULL: none */
	char *ca_issuers_url;      /* AIA id-ad-caIssuers, NULL: none */
	int ocsp_nocheck;          /* id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) */
	int crl_sharded;           /* points to its CRL shard when the CA has [ca.NAME] crl_shards */
	int approvals;             /* RA dual control: distinct approving officers */
	int acme;                  /* served by ra-server's ACME directory (docs/acme.md) */
	int acme_officer;          /* ACME orders wait for an officer (acme_approval = officer) */
	int est;                   /* served by ra-server's EST service (docs/enrolment.md) */
	int est_officer;           /* EST enrolments wait for an officer (est_approval = officer) */
	int cmp;                   /* served by ra-server's CMP service (docs/enrolment.md) */
	int cmp_officer;           /* CMP requests wait for an officer (cmp_approval = officer) */
	int scep;                  /* served by ra-server's SCEP service (docs/enrolment.md) */
	int scep_officer;          /* SCEP requests wait for an officer (scep_approval = officer) */
	/* name rules (docs/configuration.md): NULL is no rule, any name of
	 * an allowed type; matched as RFC 5280 §4.2.1.10 matches name
	 * constraints */
	char **allowed_dns;        /* "city.gov" (and below), ".city.gov" (below only) */
	char **allowed_ip;         /* "10.1.0.0/16", "2001:db8::/32", or one address */
	char **allowed_email;      /* "a@city.gov", "city.gov" (host), ".city.gov" (below) */
	int cn_in_san;             /* every CN is also a DNS or IP subjectAltName */
	/* a CA profile's nameConstraints (RFC 5280 §4.2.1.10), by GP_NC_*:
	 * permitted_dns/_email/_ip and excluded_*, in the rules' syntax */
	char **nc_permit[3];
	char **nc_exclude[3];
	char *source;              /* "built-in", or "FILE:LINE" of its section */
};

/*
 * Adds p's extensions to cert, whose issuer certificate is issuer (== cert
 * for a self-signed root): basicConstraints (critical), keyUsage (critical),
 * extendedKeyUsage, subjectKeyIdentifier (RFC 5280 §4.2.1.2 method 1),
 * authorityKeyIdentifier (keyid of issuer's SKI; none on a self-signed root is
 * fine but we add it), subjectAltName (sans, may be NULL; critical when the
 * subject is empty, RFC 5280 §4.2.1.6), certificatePolicies, CRL
 * distribution points, authorityInfoAccess and ocsp-nocheck.
 * The public key must already be set on cert.
 */
int gp_profile_apply(const gp_profile *p, X509 *cert, X509 *issuer,
    const GENERAL_NAMES *sans);

/* The same, with the certificate's public key given as pub (its
 * SubjectPublicKeyInfo must be set on cert already): spares OpenSSL 3.0
 * decoding the key again from the certificate. */
int gp_profile_apply_key(const gp_profile *p, X509 *cert, X509 *issuer, EVP_PKEY *pub,
    const GENERAL_NAMES *sans);

/*
 * What an issuing CA adds to a certificate when its profile leaves the field
 * unset: cRLDistributionPoints (RFC 5280 §4.2.1.13), authorityInfoAccess
 * id-ad-ocsp and id-ad-caIssuers (§4.2.2.1), and certificatePolicies
 * (§4.2.1.4).  Built from [ca.NAME] base_url / policy (ca/ca.c).
 */
typedef struct gp_issuer_defaults {
	char *crl_url;             /* NULL: none */
	char *crl_shard_prefix;    /* BASE/crl/NAME- : shard K is at PREFIX K.crl; NULL: no shards */
	unsigned crl_shards;       /* [ca.NAME] crl_shards, 0: none */
	int crl_shards_recorded;   /* the store holds the count (ca/ca.c crl_shards_load) */
	char *ocsp_url;
	char *issuers_url;
	ASN1_OBJECT *policy;       /* the CA's policy OID; NULL: none */
} gp_issuer_defaults;

/* Adds d's extensions that p does not set itself (d NULL: nothing). A CA
 * profile gets anyPolicy rather than the issuer's own OID, so that each CA
 * below names its own policy (RFC 5280 §6.1.3 (d)). */
int gp_profile_apply_defaults(const gp_profile *p, X509 *cert, const gp_issuer_defaults *d);

/*
 * Sharded CRLs (ca/crl.c): a certificate of a crl_sharded profile is on
 * shard serial mod nshards of its CA's CRLs, the serial read as the
 * unsigned number it is (RFC 5280 §4.1.2.2).  GP_E_INVALID for a
 * negative serial or no shards.
 */
#define GP_CRL_SHARDS_MAX 4096
int gp_crl_shard_of(const ASN1_INTEGER *serial, unsigned nshards, unsigned *shard);

/* The URL of shard `shard` of d's sharded CRLs into out (n bytes). */
int gp_crl_shard_url(char *out, size_t n, const gp_issuer_defaults *d, unsigned shard);

/* 1 when s (n bytes, not NUL-terminated) is a host name in the preferred
 * name syntax (RFC 1034 §3.5, RFC 1123 §2.1): LDH labels of at most 63,
 * at most 253 in all; with wild, "*." may stand as the whole left-most
 * label (ca/profile.c, used by issuance and verification). */
int gp_dns_name_ok(const char *s, size_t n, int wild);

/* 1 when gn is well-formed (RFC 5280 §4.2.1.6): a dNSName in the preferred
 * name syntax (gp_dns_name_ok, wildcards allowed), an rfc822Name
 * local@domain, a URI with a scheme, an iPAddress of 4 or 16 octets, none
 * empty or with a NUL; 1 for other types, which the profile rules judge. */
int gp_general_name_ok(const GENERAL_NAME *gn);

#endif
