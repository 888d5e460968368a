/* tools/cli.h: what the command-line programs share: exit codes, errors, passphrases, files */
#ifndef GP_CLI_H
#define GP_CLI_H

#include <getopt.h>
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

/* --help in a command's getopt_long table: it returns 'h', like -h. */
#define CLI_HELP_OPT { "help", no_argument, NULL, 'h' }

/* For the default: of a command's option switch, on c from getopt_long
 * (opterr 0, optind past the option): after -h or --help (c == 'h') prints
 * "usage: PROG USAGE" to stdout and returns 0; otherwise prints
 * "PROG: CMD: bad option 'ARG'" and returns EXIT_USAGE.  Either way the
 * command is done: it returns what this returns. */
int cli_help_or_bad_option(int c, const char *cmd, const char *usage, char **argv);

/* What cli_write_file found wrong; errno says why. */
enum {
	CLI_WRITE_STDOUT = 1,   /* standard output */
	CLI_WRITE_TOO_LONG,     /* path: no room for PATH.tmp.PID (errno untouched) */
	CLI_WRITE_FILE          /* path, or its temporary file */
};

/* Writes buf to path; NULL or "-" is standard output.  A regular file is
 * written to PATH.tmp.PID and renamed into place, so that a reader never
 * sees half a file; durable: fsync before the rename.  A device or FIFO
 * (/dev/null, a pipe) is written as it is: a rename would replace it.
 * Returns 0 or a CLI_WRITE_* code with errno from the call that failed,
 * and prints nothing: each program words its own message. */
int cli_write_file(const char *path, const void *buf, size_t len, int durable);

#endif
