/* ra/scep_msg.h: SCEP pkiMessage decoding and CertRep encoding (RFC 8894 §3), for ra/scep.c and its fuzz target */
#ifndef GP_SCEP_MSG_H
#define GP_SCEP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* messageType (RFC 8894 §3.2.1.2) */
enum {
	SCEP_CERTREP = 3,
	SCEP_RENEWALREQ = 17,
	SCEP_PKCSREQ = 19,
	SCEP_CERTPOLL = 20,
	SCEP_GETCERT = 21,
	SCEP_GETCRL = 22,
};

/* pkiStatus (§3.2.1.3) */
enum { SCEP_SUCCESS = 0, SCEP_FAILURE = 2, SCEP_PENDING = 3 };

/* failInfo (§3.2.1.4); SCEP_FAIL_NONE: no failure */
enum {
	SCEP_FAIL_NONE = -1,
	SCEP_BAD_ALG = 0,
	SCEP_BAD_MESSAGE_CHECK = 1,
	SCEP_BAD_REQUEST = 2,
	SCEP_BAD_TIME = 3,
	SCEP_BAD_CERT_ID = 4,
};

#define SCEP_MAX_TID 128
#define SCEP_MAX_NONCE 64

/* A request as read (scep_msg_parse) and opened (scep_msg_open). */
typedef struct scep_msg {
	int type;                      /* messageType, -1: none or not a number */
	char tid[SCEP_MAX_TID + 1];    /* transactionID, "": none */
	unsigned char nonce[SCEP_MAX_NONCE];   /* senderNonce */
	size_t nonce_len;              /* 0: none */
	int digest_nid;                /* the signer's digest */
	int64_t signing_time;          /* signingTime, 0: none */
	X509 *signer;                  /* the signer's certificate (owned) */
	unsigned char *envelope;       /* the pkcsPKIEnvelope's DER (owned) */
	size_t envelope_len;
	int verified;                  /* the signature verified */
} scep_msg;

/*
 * Reads the DER pkiMessage der (§3: a SignedData with one signer whose
 * certificate it carries, the signed attributes of §3.2.1, the
 * pkcsPKIEnvelope as content) into m (zeroed first; scep_msg_clear frees
 * it).  Returns SCEP_FAIL_NONE when it is one and its signature verifies,
 * else the failInfo (badMessageCheck, badRequest) with why.  m keeps what
 * could be read (tid, nonce, signer) so that a failure can be answered
 * with a CertRep; m->signer NULL and m->tid "" mean it cannot.
 */
int scep_msg_parse(scep_msg *m, const unsigned char *der, size_t len, char *why, size_t wlen);
/* Decrypts m's pkcsPKIEnvelope (§3.2.2, an EnvelopedData) with the RA's
 * certificate and key, with the ciphers of libctx (NULL: the default);
 * *out malloc'ed.  SCEP_FAIL_NONE, badAlg for a cipher libctx lacks, or
 * badMessageCheck with why (not enveloped to ra, not decryptable). */
int scep_msg_open(const scep_msg *m, OSSL_LIB_CTX *libctx, X509 *ra, EVP_PKEY *key,
    unsigned char **out, size_t *outlen, char *why, size_t wlen);
void scep_msg_clear(scep_msg *m);

/*
 * The CertRep (§3.3.2) answering req: signed by ra with key (the digest
 * of the request where it is SHA-1 or SHA-2, else SHA-256), messageType 3,
 * req's transactionID, pkiStatus status, failInfo failinfo (FAILURE) with
 * failInfoText text (may be NULL), a fresh senderNonce, req's senderNonce
 * as recipientNonce; on SUCCESS the pkcsPKIEnvelope: certs (a degenerate
 * certs-only SignedData) enveloped to req's signer with AES-128-CBC.
 * *out: OPENSSL_free.  0 or -1.
 */
int scep_certrep(unsigned char **out, size_t *outlen, const scep_msg *req, int status,
    int failinfo, const char *text, STACK_OF(X509) *certs, X509 *ra, EVP_PKEY *key);

/* The DER of a degenerate certs-only SignedData holding certs (§4.2,
 * RFC 5652 §5: no signers, no content).  *out: OPENSSL_free.  0 or -1. */
int scep_certs_only(unsigned char **out, size_t *outlen, STACK_OF(X509) *certs);

/* The names of messageType and failInfo values, for the audit ("pkcsreq",
 * "badRequest"; "unknown"). */
const char *scep_type_name(int type);
const char *scep_fail_name(int failinfo);

#endif
