/* tools/cli.c: exit codes, error printing and passphrases for the programs */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include <govpki/error.h>
#include <govpki/key.h>

#include "cli.h"

const char *cli_prog = "govpki";

int
cli_exit_code(int rc)
{
	switch (rc) {
	case GP_OK:
		return EXIT_OK;
	case GP_E_NOTFOUND:
		return EXIT_NOTFOUND;
	case GP_E_INVALID:
	case GP_E_PARSE:
	case GP_E_POLICY:
	case GP_E_EXISTS:
	case GP_E_STATE:
	case GP_E_CONFIG:
		return EXIT_REFUSED;
	case GP_E_PASSPHRASE:
		return EXIT_PASS;
	case GP_E_BUSY:
	case GP_E_READONLY:
	case GP_E_VERSION:
		return EXIT_BUSY;
	case GP_E_VERIFY:
		return EXIT_VERIFY;
	default:
		return EXIT_FAIL;
	}
}

int
cli_fail(int rc, const char *what)
{
	const char *msg = gp_error_last();

	if (*msg == '\0')
		msg = gp_strerror(rc);
	fprintf(stderr, "%s: %s: %s\n", cli_prog, what, msg);
	return cli_exit_code(rc);
}

int
cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '%s --help')\n", cli_prog);
	return EXIT_USAGE;
}

int
cli_pass(char **pass, size_t *len, const char *pass_file, const char *prompt)
{
	return gp_pass_get(pass, len, pass_file, prompt);
}
