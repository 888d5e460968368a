/* lib/error_int.h: setting errors inside the library */
#ifndef GP_ERROR_INT_H
#define GP_ERROR_INT_H

#include <govpki/error.h>

/* Records a message for gp_error_last() and returns code, so that
 * `return gp_err(GP_E_INVALID, "bad serial %s", s);` reads naturally.
 * Clears the OpenSSL error queue. */
int gp_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like gp_err() but appends the reasons on OpenSSL's error queue
 * (": reason1: reason2") and then clears the queue. */
int gp_err_ossl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with more context ("issue: " + old) and
 * returns code unchanged. */
int gp_err_ctx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Wraps an OpenSSL call that returns 1 on success. */
#define GP_OSSL(call, code, ...) \
	((call) == 1 ? 0 : gp_err_ossl((code), __VA_ARGS__))

#endif
