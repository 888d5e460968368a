/* ca/verify_int.h: the verification engine's OCSP client (ca/verify_ocsp.c), for ca/verify.c */
#ifndef GP_VERIFY_INT_H
#define GP_VERIFY_INT_H

#include <time.h>

#include <openssl/x509.h>

#include <govpki/verify.h>

/* What one OCSP exchange said about one certificate. */
typedef enum gp_ocsp_outcome {
	GP_OCSP_GOOD = 0,
	GP_OCSP_REVOKED,            /* RFC 6960 §2.2 revoked */
	GP_OCSP_UNKNOWN,            /* RFC 6960 §2.2 unknown: the responder does not know it */
	GP_OCSP_UNREACHABLE,        /* no answer, not an OCSP response, or a responseStatus
	                             * other than successful (§2.3): soft-fail may waive it */
	GP_OCSP_BAD                 /* an answer that fails a check of §3.2: never waived */
} gp_ocsp_outcome;

typedef struct gp_ocsp_answer {
	gp_ocsp_outcome outcome;
	char rule[40];              /* as in gp_verdict; "" for GP_OCSP_GOOD */
	char source[64];
	char reason[320];
	/* a GOOD answer signed by a delegated responder whose certificate lacks
	 * id-pkix-ocsp-nocheck: that certificate (a reference, the caller's to
	 * X509_free), whose own revocation the caller checks (RFC 6960
	 * §4.2.2.2.1); NULL otherwise */
	X509 *delegate;
} gp_ocsp_answer;

/*
 * Asks the responder at url about cert, issued by issuer, and checks the
 * answer as RFC 6960 §3.2 says, at time at (the verifier's), with o's
 * nonce, leeway, max age, timeout and fetch (defaults already filled in).
 * 0 with *a set (any outcome); a negative GP_E_* only when the check could
 * not be made (memory).
 */
int gp_verify_ocsp_ask(gp_ocsp_answer *a, const gp_verify_opts *o, time_t at, const char *url,
    X509 *cert, X509 *issuer);

#endif
