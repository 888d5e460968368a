/* lib/error.c: status names and the thread-local last error message */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "error_int.h"

#define GP_ERRMSG_MAX 1024

static _Thread_local char last_msg[GP_ERRMSG_MAX];
static _Thread_local int last_code;

const char *
gp_strerror(int code)
{
	static const char *const names[] = {
		"success", "internal error", "out of memory", "invalid input",
		"parse error", "cryptographic failure", "not found",
		"already exists", "policy violation", "store failure",
		"store is busy", "I/O error", "bad passphrase",
		"unsupported store version", "configuration error",
		"invalid state", "read-only", "verification failed",
		"permission denied",
	};
	int i = -code;

	if (i < 0 || i >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown error";
	return names[i];
}

const char *
gp_error_last(void)
{
	return last_msg;
}

int
gp_error_last_code(void)
{
	return last_code;
}

void
gp_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = 0;
}

static void
append_ossl(char *buf, size_t size)
{
	unsigned long e;
	size_t len = strlen(buf);

	while ((e = ERR_get_error()) != 0 && len + 3 < size) {
		const char *r = ERR_reason_error_string(e);

		if (r != NULL)
			snprintf(buf + len, size - len, ": %s", r);
		else
			snprintf(buf + len, size - len, ": error %lx", e);
		len = strlen(buf);
	}
	ERR_clear_error();
}

int
gp_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	last_code = code;
	ERR_clear_error();
	return code;
}

int
gp_err_ossl(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	last_code = code;
	append_ossl(last_msg, sizeof(last_msg));
	return code;
}

int
gp_err_ctx(int code, const char *fmt, ...)
{
	char prefix[256], old[GP_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last_msg, sizeof(old));
	/* truncation is fine: the message is for people */
	size_t plen = strlen(prefix);
	memcpy(last_msg, prefix, plen);
	last_msg[plen] = ':';
	last_msg[plen + 1] = ' ';
	memcpy(last_msg + plen + 2, old, sizeof(last_msg) - plen - 2);
	last_msg[sizeof(last_msg) - 1] = '\0';
	last_code = code;
	return code;
}
