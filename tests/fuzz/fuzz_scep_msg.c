/* tests/fuzz/fuzz_scep_msg.c: fuzz target of ra-server's SCEP pkiMessage decoding */
/*
 * Reaches scep_msg_parse (ra/scep-msg.c: the CMS ContentInfo through
 * d2i_CMS_ContentInfo, one SignerInfo, the SCEP signed attributes of
 * RFC 8894 §3.2.1 (transactionID, senderNonce, messageType, signingTime),
 * the signer's certificate, CMS_verify), then for a message that
 * verifies scep_msg_open (the pkcsPKIEnvelope with CMS_decrypt, to an RA
 * certificate made at the first call), and for whatever can be answered
 * scep_certrep (the FAILURE CertRep ra-server would send).  Each input
 * must be refused cleanly or read, and:
 *  - a refused message has a failInfo of RFC 8894 §3.2.1.4;
 *  - what parse keeps is bounded (transactionID, nonce) and printable;
 *  - a CertRep is made for every message with a transactionID and a
 *    signer, and parses back as a pkiMessage of type CertRep... with the
 *    same transactionID (ra-server's own answers are read by the same code).
 * Any difference aborts.
 * Corpus: tests/fuzz/corpus/scep_msg.  Without libFuzzer, main()
 * (tests/fuzz/replay.c) replays every file of the folders it is given.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep_msg.h"   /* ra/: ra-server's own */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *ra_cert;
static EVP_PKEY *ra_key;

/* A self-signed RSA certificate for the RA, made once. */
static void
ra_init(void)
{
	X509_NAME *n;

	if (ra_cert != NULL)
		return;
	if ((ra_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) == NULL ||
	    (ra_cert = X509_new()) == NULL || X509_set_version(ra_cert, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(ra_cert), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(ra_cert), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(ra_cert), 86400) == NULL ||
	    (n = X509_get_subject_name(ra_cert)) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz RA", -1,
	    -1, 0) != 1 || X509_set_issuer_name(ra_cert, n) != 1 ||
	    X509_set_pubkey(ra_cert, ra_key) != 1 || X509_sign(ra_cert, ra_key, EVP_sha256()) <= 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	scep_msg m, back;
	unsigned char *inner = NULL, *rep = NULL;
	size_t ilen = 0, rlen = 0;
	char why[300];
	int fi;

	ra_init();
	fi = scep_msg_parse(&m, data, size, why, sizeof(why));
	if (fi != SCEP_FAIL_NONE && (fi < SCEP_BAD_ALG || fi > SCEP_BAD_CERT_ID || why[0] == '\0'))
		abort();
	if (strlen(m.tid) > SCEP_MAX_TID || m.nonce_len > SCEP_MAX_NONCE)
		abort();
	for (const char *p = m.tid; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	if (fi == SCEP_FAIL_NONE) {
		if (!m.verified || m.signer == NULL)
			abort();
		fi = scep_msg_open(&m, NULL, ra_cert, ra_key, &inner, &ilen, why, sizeof(why));
		if ((fi == SCEP_FAIL_NONE) != (inner != NULL))
			abort();
		free(inner);
	}
	if (m.tid[0] != '\0' && m.signer != NULL) {
		if (scep_certrep(&rep, &rlen, &m, SCEP_FAILURE, SCEP_BAD_REQUEST, "fuzz", NULL, ra_cert,
		    ra_key) != 0)
			abort();
		if (scep_msg_parse(&back, rep, rlen, why, sizeof(why)) != SCEP_FAIL_NONE ||
		    back.type != SCEP_CERTREP || strcmp(back.tid, m.tid) != 0)
			abort();
		scep_msg_clear(&back);
		OPENSSL_free(rep);
	}
	scep_msg_clear(&m);
	return 0;
}
