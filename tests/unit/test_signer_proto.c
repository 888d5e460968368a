/* tests/unit/test_signer_proto.c: the ca-signer wire protocol (lib/signer_proto.c) */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <govpki/govpki.h>

#include "signer_proto.h"

/* The header of a message of type with a body of len bytes. */
static void
hdr(unsigned char h[12], uint32_t type, uint32_t len)
{
	memcpy(h, "GPS\x01", 4);
	for (int i = 0; i < 4; i++) {
		h[4 + i] = (unsigned char)(type >> (24 - 8 * i));
		h[8 + i] = (unsigned char)(len >> (24 - 8 * i));
	}
}

/* A message of type with body (len bytes) in buf; its length. */
static size_t
framed(unsigned char *buf, uint32_t type, const char *body, size_t len)
{
	hdr(buf, type, (uint32_t)len);
	memcpy(buf + 12, body, len);
	return 12 + len;
}

/* Encodes m, checks the parser gives back the same fields; *enc the bytes. */
static void
roundtrip(const gp_signer_msg *m, unsigned char **enc, size_t *enclen)
{
	gp_signer_msg *back = NULL;

	assert_int_equal(gp_signer_msg_encode(enc, enclen, m), 0);
	assert_int_equal(gp_signer_msg_parse(&back, *enc, *enclen), 0);
	assert_int_equal(back->type, m->type);
	assert_true(back->num == m->num);
	assert_true(back->num2 == m->num2);
	/* the types whose template has a name carry it back */
	if (m->type == GP_SIGNER_SIGN_CRL || m->type == GP_SIGNER_SIGN_OCSP ||
	    m->type == GP_SIGNER_ISSUE_AUTO ||
	    m->type == GP_SIGNER_ISSUE_BATCH || m->type == GP_SIGNER_PRESIGN ||
	    m->type == GP_SIGNER_SEAL_MAKE) {
		assert_non_null(back->name);
		assert_string_equal(back->name, m->name);
	} else {
		assert_null(back->name);
	}
	if (m->type == GP_SIGNER_ISSUE_BATCH || (m->type & GP_SIGNER_REPLY) != 0)
		assert_string_equal(back->text, m->text);
	assert_int_equal(back->nitems, m->nitems);
	for (size_t i = 0; i < m->nitems; i++) {
		assert_int_equal(back->item_len[i], m->item_len[i]);
		assert_memory_equal(back->item[i], m->item[i], m->item_len[i]);
	}
	gp_signer_msg_free(back);
}

/* Each request type and a reply encode and parse back to the same fields. */
static void
test_roundtrip(void **state)
{
	static const uint32_t types[] = { GP_SIGNER_HEALTH, GP_SIGNER_ISSUE_APPROVED,
		GP_SIGNER_ISSUE_BATCH, GP_SIGNER_SIGN_CRL, GP_SIGNER_SIGN_OCSP,
		GP_SIGNER_PRESIGN, GP_SIGNER_SEAL_MAKE, GP_SIGNER_REPLY | GP_SIGNER_SIGN_CRL };

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		gp_signer_msg *m = NULL;
		unsigned char *enc = NULL;
		size_t len = 0;

		assert_int_equal(gp_signer_msg_new(&m, types[i]), 0);
		m->num = types[i] == GP_SIGNER_SIGN_CRL ? 1 : types[i] == GP_SIGNER_ISSUE_BATCH ? 30 :
		    types[i] & GP_SIGNER_REPLY ? GP_E_POLICY : types[i] == GP_SIGNER_ISSUE_APPROVED ?
		    123456789012LL : 0;
		assert_int_equal(gp_signer_msg_set_name(m, "issuing"), 0);
		assert_int_equal(gp_signer_msg_set_text(m, "tls-server"), 0);
		if (types[i] != GP_SIGNER_SIGN_CRL && types[i] != GP_SIGNER_HEALTH &&
		    types[i] != GP_SIGNER_ISSUE_APPROVED) {
			assert_int_equal(gp_signer_msg_add_item(m, (const unsigned char *)"\x30\x00", 2), 0);
			assert_int_equal(gp_signer_msg_add_item(m, (const unsigned char *)"", 0), 0);
		}
		roundtrip(m, &enc, &len);
		assert_memory_equal(enc, "GPS\x01", 4);
		OPENSSL_free(enc);
		gp_signer_msg_free(m);
	}
}

/* issue-auto-request: SEQUENCE { requestId, channel, order } in DER, the
 * same bytes both ways; the channel one of est, acme, cmp; the order not
 * negative; the encoder refuses what the parser would. */
static void
test_issue_auto(void **state)
{
	static const unsigned char want[] = {
		0x30, 0x0c, 0x02, 0x01, 0x07, 0x0c, 0x04, 'a', 'c', 'm', 'e', 0x02, 0x01, 0x2a,
	};
	/* each one byte or field away from a valid body (the first is) */
	static const struct { const char *body; size_t len; const char *why; } bad[] = {
		{ "\x30\x0b\x02\x01\x07\x0c\x03\x65\x73\x74\x02\x01\x00", 13, NULL },
		{ "\x30\x0b\x02\x01\x07\x0c\x03\x66\x74\x70\x02\x01\x00", 13, "channel ftp" },
		{ "\x30\x0b\x02\x01\x07\x0c\x03\x45\x53\x54\x02\x01\x00", 13, "channel EST" },
		{ "\x30\x0b\x02\x01\x07\x0c\x03\x65\x73\x74\x02\x01\xff", 13, "order -1" },
		{ "\x30\x0b\x02\x01\x00\x0c\x03\x65\x73\x74\x02\x01\x00", 13, "request id 0" },
		{ "\x30\x08\x02\x01\x07\x0c\x03\x65\x73\x74", 10, "no order" },
		{ "\x30\x08\x02\x01\x07\x0c\x00\x02\x01\x00", 10, "empty channel" },
		{ "\x30\x03\x02\x01\x07", 5, "issue-approved's template" },
	};
	gp_signer_msg *m = NULL, *back = NULL;
	unsigned char *enc = NULL, buf[64];
	size_t len = 0;

	(void)state;
	assert_string_equal(gp_signer_type_name(GP_SIGNER_ISSUE_AUTO), "issue-auto-request");
	assert_int_equal(gp_signer_msg_new(&m, GP_SIGNER_ISSUE_AUTO), 0);
	m->num = 7;
	m->num2 = 42;
	assert_int_equal(gp_signer_msg_set_name(m, "acme"), 0);
	roundtrip(m, &enc, &len);
	assert_int_equal(len, 12 + sizeof(want));
	assert_memory_equal(enc + 12, want, sizeof(want));
	assert_int_equal(gp_signer_msg_parse(&back, enc, len), 0);
	assert_int_equal(back->type, GP_SIGNER_ISSUE_AUTO);
	assert_true(back->num == 7 && back->num2 == 42);
	assert_string_equal(back->name, "acme");
	gp_signer_msg_free(back);
	OPENSSL_free(enc);
	enc = NULL;
	/* the encoder: an unknown channel, none, a negative order */
	assert_int_equal(gp_signer_msg_set_name(m, "ftp"), 0);
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), GP_E_INVALID);
	assert_int_equal(gp_signer_msg_set_name(m, NULL), 0);
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), GP_E_INVALID);
	assert_int_equal(gp_signer_msg_set_name(m, "est"), 0);
	m->num2 = -1;
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), GP_E_INVALID);
	assert_null(enc);
	m->num2 = 0;
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), 0);
	OPENSSL_free(enc);
	gp_signer_msg_free(m);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = framed(buf, GP_SIGNER_ISSUE_AUTO, bad[i].body, bad[i].len);

		m = NULL;
		if (bad[i].why == NULL) {
			assert_int_equal(gp_signer_msg_parse(&m, buf, n), 0);
			assert_string_equal(m->name, "est");
			gp_signer_msg_free(m);
			continue;
		}
		if (gp_signer_msg_parse(&m, buf, n) != GP_E_PARSE)
			fail_msg("accepted: %s", bad[i].why);
		assert_null(m);
	}
	/* its reply is a reply like any other */
	assert_int_equal(gp_signer_msg_new(&m, GP_SIGNER_ISSUE_AUTO | GP_SIGNER_REPLY), 0);
	m->num = GP_E_POLICY;
	assert_int_equal(gp_signer_msg_set_text(m, "authorization 3 of order 42 is pending"), 0);
	roundtrip(m, &enc, &len);
	OPENSSL_free(enc);
	gp_signer_msg_free(m);
}

/* Every prefix of a valid message is refused, by the parser and by recv. */
static void
test_truncated(void **state)
{
	gp_signer_msg *m = NULL;
	unsigned char *enc = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(gp_signer_msg_new(&m, GP_SIGNER_SIGN_OCSP), 0);
	assert_int_equal(gp_signer_msg_set_name(m, "issuing"), 0);
	assert_int_equal(gp_signer_msg_add_item(m, (const unsigned char *)"abcdef", 6), 0);
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), 0);
	gp_signer_msg_free(m);
	for (size_t n = 0; n < len; n++) {
		int fds[2];

		m = NULL;
		assert_int_equal(gp_signer_msg_parse(&m, enc, n), GP_E_PARSE);
		assert_null(m);
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(write(fds[1], enc, n), (ssize_t)n);
		close(fds[1]);
		/* nothing at all is a closed peer; a part is an error */
		assert_int_equal(gp_signer_recv(&m, fds[0]), n == 0 ? GP_E_NOTFOUND :
		    n < GP_SIGNER_HDR_LEN ? GP_E_IO : GP_E_IO);
		assert_null(m);
		close(fds[0]);
	}
	OPENSSL_free(enc);
}

/* A header announcing more than GP_SIGNER_MAX_BODY is refused from the
 * header alone: recv reads no body (none follows) and says why. */
static void
test_oversized(void **state)
{
	unsigned char h[12];
	gp_signer_msg *m = NULL;
	int fds[2];

	(void)state;
	hdr(h, GP_SIGNER_HEALTH, GP_SIGNER_MAX_BODY + 1);
	assert_int_equal(gp_signer_msg_parse(&m, h, sizeof(h)), GP_E_PARSE);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], h, sizeof(h)), 12);
	assert_int_equal(gp_signer_recv(&m, fds[0]), GP_E_PARSE);
	assert_non_null(strstr(gp_error_last(), "at most"));
	close(fds[0]);
	close(fds[1]);
	assert_null(m);
}

/* Wrong magic, wrong version, unknown type: refused, each naming why. */
static void
test_header(void **state)
{
	unsigned char buf[64];
	gp_signer_msg *m = NULL;
	size_t n = framed(buf, GP_SIGNER_HEALTH, "\x30\x03\x02\x01\x07", 5);

	(void)state;
	assert_int_equal(gp_signer_msg_parse(&m, buf, n), 0);
	assert_true(m->num == 7);
	gp_signer_msg_free(m);
	buf[3] = 2;
	assert_int_equal(gp_signer_msg_parse(&m, buf, n), GP_E_PARSE);
	assert_non_null(strstr(gp_error_last(), "version 2"));
	buf[3] = 1;
	buf[0] = 'X';
	assert_int_equal(gp_signer_msg_parse(&m, buf, n), GP_E_PARSE);
	buf[0] = 'G';
	n = framed(buf, 99, "\x30\x03\x02\x01\x07", 5);
	assert_int_equal(gp_signer_msg_parse(&m, buf, n), GP_E_PARSE);
	assert_non_null(strstr(gp_error_last(), "unknown type"));
	/* a reply to an unknown request type is unknown too */
	n = framed(buf, GP_SIGNER_REPLY | 99, "\x30\x00", 2);
	assert_int_equal(gp_signer_msg_parse(&m, buf, n), GP_E_PARSE);
	/* a header whose length disagrees with the bytes that follow */
	n = framed(buf, GP_SIGNER_HEALTH, "\x30\x03\x02\x01\x07", 5);
	buf[11] = 4;
	assert_int_equal(gp_signer_msg_parse(&m, buf, n), GP_E_PARSE);
	assert_null(m);
}

/* Bodies that are not the DER of their type's template are refused. */
static void
test_bodies(void **state)
{
	static const struct { uint32_t type; const char *body; size_t len; const char *why; } bad[] = {
		{ GP_SIGNER_HEALTH, "\x30\x03\x02\x01\x07\x00", 6, "trailing byte" },
		{ GP_SIGNER_HEALTH, "\x30\x81\x03\x02\x01\x07", 6, "BER long-form length" },
		{ GP_SIGNER_HEALTH, "\x30\x04\x02\x02\x00\x07", 6, "non-minimal INTEGER" },
		{ GP_SIGNER_HEALTH, "\x30\x80\x02\x01\x07\x00\x00", 7, "indefinite length" },
		{ GP_SIGNER_SIGN_CRL, "\x30\x03\x02\x01\x01", 5, "health's template for sign-crl" },
		{ GP_SIGNER_SIGN_CRL, "\x30\x06\x02\x01\x02\x0c\x01\x61", 8, "delta 2" },
		{ GP_SIGNER_SIGN_CRL, "\x30\x05\x02\x01\x00\x0c\x00", 7, "empty CA name" },
		{ GP_SIGNER_SIGN_CRL, "\x30\x08\x02\x01\x00\x0c\x03\x61\x00\x62", 10, "NUL in name" },
		{ GP_SIGNER_SIGN_CRL, "\x30\x07\x02\x01\x00\x0c\x02\xff\xfe", 9, "not UTF-8" },
		{ GP_SIGNER_ISSUE_APPROVED, "\x30\x03\x02\x01\x00", 5, "request id 0" },
		{ GP_SIGNER_ISSUE_APPROVED, "\x30\x03\x02\x01\xff", 5, "request id -1" },
		{ GP_SIGNER_ISSUE_APPROVED, "\x30\x0c\x02\x0a\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		  14, "integer past 64 bits" },
		{ GP_SIGNER_SIGN_OCSP, "\x30\x05\x0c\x01\x61\x30\x00", 7, "no items" },
		{ GP_SIGNER_SIGN_OCSP, "", 0, "empty body" },
		{ GP_SIGNER_ISSUE_BATCH, "\x30\x0d\x02\x02\x8e\xa5\x0c\x01\x61\x0c\x01\x62\x30\x02"
		  "\x04\x00", 15, "days past 36500" },
	};
	unsigned char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gp_signer_msg *m = NULL;
		size_t n = framed(buf, bad[i].type, bad[i].body, bad[i].len);

		if (gp_signer_msg_parse(&m, buf, n) != GP_E_PARSE)
			fail_msg("accepted: %s", bad[i].why);
		assert_null(m);
	}
}

/* The encoder refuses what the parser would refuse. */
static void
test_encode_bounds(void **state)
{
	gp_signer_msg *m = NULL;
	unsigned char *enc = NULL;
	size_t len = 0;
	char longname[GP_SIGNER_MAX_NAME + 2];

	(void)state;
	assert_int_equal(gp_signer_msg_new(&m, 1234), GP_E_INVALID);
	assert_int_equal(gp_signer_msg_new(&m, GP_SIGNER_ISSUE_APPROVED), 0);
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), GP_E_INVALID);  /* id 0 */
	gp_signer_msg_free(m);
	assert_int_equal(gp_signer_msg_new(&m, GP_SIGNER_SIGN_CRL), 0);
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), GP_E_INVALID);  /* no CA */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(gp_signer_msg_set_name(m, longname), 0);
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), GP_E_INVALID);
	assert_null(enc);
	gp_signer_msg_free(m);
	gp_signer_msg_free(NULL);
}

/* A DER header with a three-octet length (lengths of 64 KiB and more). */
static unsigned char *
der_hdr(unsigned char *q, unsigned char tag, size_t len)
{
	*q++ = tag;
	*q++ = 0x83;
	*q++ = (unsigned char)(len >> 16);
	*q++ = (unsigned char)(len >> 8);
	*q++ = (unsigned char)len;
	return q;
}

/* An item over GP_SIGNER_MAX_ITEM: a request may not carry it (the CSRs
 * and ResponseData are bounded), a reply may (sign-crl's one item is the
 * CRL, bounded by the body); both ways, encoding and parsing. */
static void
test_item_bounds(void **state)
{
	size_t big = GP_SIGNER_MAX_ITEM + 1000;
	unsigned char *item = calloc(1, big), *enc = NULL;
	gp_signer_msg *m = NULL, *back = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(item);
	/* a request: refused by add_item */
	assert_int_equal(gp_signer_msg_new(&m, GP_SIGNER_SIGN_OCSP), 0);
	assert_int_equal(gp_signer_msg_set_name(m, "issuing"), 0);
	assert_int_equal(gp_signer_msg_add_item(m, item, big), GP_E_INVALID);
	gp_signer_msg_free(m);
	/* a reply: carried, and parsed back whole */
	assert_int_equal(gp_signer_msg_new(&m, GP_SIGNER_REPLY | GP_SIGNER_SIGN_CRL), 0);
	assert_int_equal(gp_signer_msg_set_text(m, "signed"), 0);
	assert_int_equal(gp_signer_msg_add_item(m, item, big), 0);
	assert_int_equal(gp_signer_msg_encode(&enc, &len, m), 0);
	assert_int_equal(gp_signer_msg_parse(&back, enc, len), 0);
	assert_int_equal(back->nitems, 1);
	assert_int_equal(back->item_len[0], big);
	gp_signer_msg_free(back);
	back = NULL;
	OPENSSL_free(enc);
	/* a sign-ocsp body written by hand, SEQUENCE { "issuing", SEQUENCE
	 * OF { OCTET STRING } }: parsed with an item of the bound, refused
	 * with one over it */
	for (int over = 0; over < 2; over++) {
		size_t n = over ? GP_SIGNER_MAX_ITEM + 1 : GP_SIGNER_MAX_ITEM;
		unsigned char *body = malloc(n + 64), *q = body;

		assert_non_null(body);
		q = der_hdr(q, 0x30, 9 + 5 + 5 + n);
		*q++ = 0x0c;
		*q++ = 7;
		memcpy(q, "issuing", 7);
		q += 7;
		q = der_hdr(q, 0x30, 5 + n);
		q = der_hdr(q, 0x04, n);
		memset(q, 0x5a, n);
		q += n;
		assert_int_equal(gp_signer_body_parse(&back, GP_SIGNER_SIGN_OCSP, body,
		    (size_t)(q - body)), over ? GP_E_PARSE : 0);
		if (over)
			assert_null(back);
		else
			assert_int_equal(back->item_len[0], n);
		gp_signer_msg_free(back);
		back = NULL;
		free(body);
	}
	gp_signer_msg_free(m);
	free(item);
}

/* Random bytes behind a valid header, and random headers: all refused,
 * none crashes (a fixed seed: the same inputs every run). */
static void
test_random(void **state)
{
	static const uint32_t types[] = { GP_SIGNER_HEALTH, GP_SIGNER_ISSUE_BATCH,
		GP_SIGNER_SIGN_CRL, GP_SIGNER_SIGN_OCSP };
	unsigned char buf[12 + 256];
	unsigned int seed = 1;
	int accepted = 0;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		gp_signer_msg *m = NULL;
		size_t len = (size_t)(rand_r(&seed) % 256);

		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (unsigned char)rand_r(&seed);
		if (i % 2 == 0)
			hdr(buf, types[i / 2 % 4], (uint32_t)len);
		if (gp_signer_msg_parse(&m, buf, 12 + len) == 0)
			accepted++;
		gp_signer_msg_free(m);
	}
	assert_int_equal(accepted, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_encode_bounds),
		cmocka_unit_test(test_issue_auto),
		cmocka_unit_test(test_item_bounds),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
