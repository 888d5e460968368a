/* tests/fuzz/fuzz_signer_msg.c: fuzz target of the ca-signer message parser */
/*
 * Reaches gp_signer_msg_parse and gp_signer_recv (lib/signer_proto.c): the
 * header check (magic, version, type, length bound), the DER body through
 * each type's OpenSSL template, the DER-only re-encoding check, and the
 * bounds of every field (integers, UTF-8 names without NUL, item counts and
 * sizes).  Each input must be refused cleanly or give a message, and:
 *  - a message the parser accepts encodes back to the very same bytes
 *    (gp_signer_msg_encode), and parses again to the same fields;
 *  - read from a pipe by gp_signer_recv (inputs under the pipe's buffer), it
 *    is accepted there too, with the same type and integer.
 * Any difference aborts.
 * Corpus: tests/fuzz/corpus/signer_msg.  Without libFuzzer, main()
 * (tests/fuzz/replay.c) replays every file of the folders it is given.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <govpki/govpki.h>

#include "signer_proto.h"   /* lib/: internal */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads data through a pipe with gp_signer_recv: 0 accepted, <0 refused. */
static int
recv_via_pipe(gp_signer_msg **out, const uint8_t *data, size_t size)
{
	int fds[2], r;

	*out = NULL;
	if (pipe(fds) != 0)
		abort();
	if (size > 0 && write(fds[1], data, size) != (ssize_t)size)
		abort();
	close(fds[1]);
	r = gp_signer_recv(out, fds[0]);
	close(fds[0]);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gp_signer_msg *m = NULL, *m2 = NULL, *m3 = NULL;
	unsigned char *enc = NULL;
	size_t enclen = 0;
	int r;

	r = gp_signer_msg_parse(&m, data, size);
	if (r != 0) {
		if (m != NULL)
			abort();
		gp_error_clear();
	} else {
		if (gp_signer_msg_encode(&enc, &enclen, m) != 0 || enclen != size ||
		    memcmp(enc, data, size) != 0)
			abort();
		if (gp_signer_msg_parse(&m2, enc, enclen) != 0 || m2->type != m->type ||
		    m2->num != m->num || m2->nitems != m->nitems)
			abort();
	}
	if (size <= 32768) {
		int rr = recv_via_pipe(&m3, data, size);

		if (r == 0 && (rr != 0 || m3->type != m->type || m3->num != m->num))
			abort();
		if (rr != 0)
			gp_error_clear();
	}
	OPENSSL_free(enc);
	gp_signer_msg_free(m);
	gp_signer_msg_free(m2);
	gp_signer_msg_free(m3);
	return 0;
}
