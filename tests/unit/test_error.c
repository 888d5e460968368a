/* tests/unit/test_error.c: status names and the per-thread error message */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include <govpki/version.h>

#include "error_int.h"
#include "util.h"

/* every code has a name; unknown codes too */
static void
test_strerror(void **state)
{
	(void)state;
	for (int c = 0; c > GP_E__LAST; c--)
		assert_true(strlen(gp_strerror(c)) > 0);
	assert_string_equal(gp_strerror(GP_E_NOTFOUND), "not found");
	assert_string_equal(gp_strerror(GP_E_DENIED), "permission denied");
	assert_string_equal(gp_strerror(-999), "unknown error");
	assert_string_equal(gp_strerror(5), "unknown error");
}

/* the running library is the one these headers describe; the number's
 * parts are the string's */
static void
test_version(void **state)
{
	char s[32];

	(void)state;
	assert_non_null(gp_version());
	assert_string_equal(gp_version(), GP_VERSION_STRING);
	snprintf(s, sizeof(s), "%d.%d.%d", GP_VERSION_NUMBER >> 16, (GP_VERSION_NUMBER >> 8) & 0xff,
	    GP_VERSION_NUMBER & 0xff);
	assert_string_equal(s, GP_VERSION_STRING);
}

/* gp_err returns its code and keeps the message; clear forgets it */
static void
test_message(void **state)
{
	(void)state;
	assert_int_equal(gp_err(GP_E_POLICY, "profile %s: bad %d", "x", 7), GP_E_POLICY);
	assert_string_equal(gp_error_last(), "profile x: bad 7");
	assert_int_equal(gp_error_last_code(), GP_E_POLICY);
	assert_int_equal(gp_err_ctx(GP_E_POLICY, "issue"), GP_E_POLICY);
	assert_string_equal(gp_error_last(), "issue: profile x: bad 7");
	gp_error_clear();
	assert_string_equal(gp_error_last(), "");
	assert_int_equal(gp_error_last_code(), 0);
}

/* gp_err_ossl appends OpenSSL's reason and empties its queue */
static void
test_ossl(void **state)
{
	(void)state;
	ERR_clear_error();
	assert_null(EVP_get_digestbyname("no-such-digest"));
	assert_null(EVP_PKEY_Q_keygen(NULL, NULL, "NO-SUCH-ALG"));
	assert_int_equal(gp_err_ossl(GP_E_CRYPTO, "keygen"), GP_E_CRYPTO);
	assert_true(strncmp(gp_error_last(), "keygen: ", 8) == 0);
	assert_int_equal(ERR_peek_error(), 0);
}

/* a long message is cut, not overflowed */
static void
test_long(void **state)
{
	char big[4000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gp_err(GP_E_INVALID, "%s", big);
	assert_true(strlen(gp_error_last()) < 1024);
	gp_err_ctx(GP_E_INVALID, "%s", big);
	assert_true(strlen(gp_error_last()) < 1024);
}

/* hex helpers: round trip, separators, odd length, bad input */
static void
test_hex(void **state)
{
	unsigned char b[8];
	size_t n;
	char s[17];

	(void)state;
	assert_int_equal(gp_hex_decode(b, sizeof(b), &n, "0x0A:bC"), 0);
	assert_int_equal(n, 2);
	gp_hex_encode(s, b, n);
	assert_string_equal(s, "0abc");
	assert_int_equal(gp_hex_decode(b, sizeof(b), &n, "abc"), 0);
	assert_int_equal(n, 2);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(gp_hex_decode(b, sizeof(b), &n, "xyz"), GP_E_INVALID);
	assert_int_equal(gp_hex_decode(b, sizeof(b), &n, ""), GP_E_INVALID);
	assert_int_equal(gp_hex_decode(b, 2, &n, "aabbcc"), GP_E_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_ossl),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
