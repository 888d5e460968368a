/* tests/fuzz/fuzz_svs_request.c: fuzz target of svs-server's request decoding */
/*
 * Reaches svs_cert_req_decode and svs_sig_req_decode (svs/svs_req.c): the
 * nesting pre-scan, Jansson's parser (duplicate members refused), every
 * member's type check, the base64 decoder, PEM and DER certificates and
 * CRLs (d2i_X509, d2i_X509_CRL, trailing bytes), purposes, times, OIDs,
 * and the DER and PEM bodies of application/pkix-cert and x-pem-file.
 * The first byte of the input picks the route and the content type; the
 * rest is the body.  Corpus: tests/fuzz/corpus/svs_request.  Without
 * libFuzzer, main() (tests/fuzz/replay.c) replays every file of the
 * folders it is given.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "../../svs/svs_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "application/json", "application/pkix-cert",
		"application/x-pem-file", "text/plain" };
	svs_limits lim = SVS_LIMITS_INIT;
	svs_problem p;

	if (size < 1)
		return 0;
	if (data[0] & 0x80) {
		svs_sig_req r;

		if (svs_sig_req_decode(&r, types[data[0] & 3], data + 1, size - 1, &lim, &p) == 0)
			svs_sig_req_clear(&r);
	} else {
		svs_cert_req r;

		if (svs_cert_req_decode(&r, types[data[0] & 3], data + 1, size - 1, &lim, &p) == 0)
			svs_cert_req_clear(&r);
	}
	return 0;
}
