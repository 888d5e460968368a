/* tools/cli.h: what the command-line programs share: exit codes, errors, passphrases */
#ifndef GP_CLI_H
#define GP_CLI_H

#include <stddef.h>

/* Exit codes (documented in ca-tool(1)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,       /* any other failure */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_NOTFOUND = 3,   /* no such CA, certificate, profile or file */
	EXIT_REFUSED = 4,    /* bad input or refused by a profile */
	EXIT_PASS = 5,       /* wrong or missing passphrase */
	EXIT_BUSY = 6,       /* store locked, read-only, or of a newer version */
	EXIT_VERIFY = 7      /* a verification failed (audit chain, signature) */
};

extern const char *cli_prog;

/* Maps a GP_E_* code to an exit code. */
int cli_exit_code(int gp_rc);

/* Prints "PROG: what: gp_error_last()" to stderr and returns the exit code
 * for rc. */
int cli_fail(int rc, const char *what);

/* Prints "PROG: message" to stderr (usage problems) and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The passphrase from --pass-file, GOVPKI_PASSPHRASE or a prompt. */
int cli_pass(char **pass, size_t *len, const char *pass_file, const char *prompt);

#endif
