/* tools/cli.c: exit codes, error printing, passphrases and file writing for the programs */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int
cli_help_or_bad_option(int c, const char *cmd, const char *usage, char **argv)
{
	if (c == 'h') {
		printf("usage: %s %s\n", cli_prog, usage);
		return 0;
	}
	return cli_usage_error("%s: bad option '%s'", cmd, argv[optind - 1]);
}

int
cli_write_file(const char *path, const void *buf, size_t len, int durable)
{
	char tmp[PATH_MAX];
	struct stat st;
	FILE *f;
	int e;

	if (path == NULL || strcmp(path, "-") == 0)
		return fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0 ? CLI_WRITE_STDOUT : 0;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((f = fopen(path, "wb")) == NULL ||
		    (fwrite(buf, 1, len, f) != len) | (fclose(f) != 0))
			return CLI_WRITE_FILE;
		return 0;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return CLI_WRITE_TOO_LONG;
	if ((f = fopen(tmp, "wb")) == NULL)
		return CLI_WRITE_FILE;
	if (fwrite(buf, 1, len, f) != len || fflush(f) != 0 || (durable && fsync(fileno(f)) != 0)) {
		e = errno;
		fclose(f);
		unlink(tmp);
		errno = e;
		return CLI_WRITE_FILE;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return CLI_WRITE_FILE;
	}
	return 0;
}
