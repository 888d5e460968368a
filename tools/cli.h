/* tools/cli.h: what the command-line programs share: exit codes, errors, passphrases, files */
#ifndef GP_CLI_H
#define GP_CLI_H

#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>

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

/* --json failures (tools/cli_json.c, ca-tool and seal-tool): when argv holds
 * --json, cli_json_begin sends stderr to a temporary file until
 * cli_json_end(rc), which copies it to the real stderr and, when rc is a
 * failure and the command printed no JSON of its own (cli_json_printed),
 * prints {"error": {"exit", "kind", "program", "message"}} on stdout; it
 * returns rc.  The message is what went to stderr. */
int cli_json_begin(int argc, char **argv);
int cli_json_end(int rc);
void cli_json_printed(void);

/* --version: prints "PROG (govpki) VERSION" (gp_version(), the running
 * library's) to stdout and returns 0. */
int cli_print_version(void);

/* Prints a command's usage to f: "usage: PROG " before its first line and
 * "       PROG " before each further synopsis line (one that does not start
 * with a space); the indented description lines as they are. */
void cli_print_usage(FILE *f, const char *usage);

/* What cli_out_open, cli_out_commit and cli_write_file found wrong; errno
 * says why. */
enum {
	CLI_WRITE_STDOUT = 1,   /* standard output */
	CLI_WRITE_TOO_LONG,     /* path: no room for PATH.tmp.PID (errno untouched) */
	CLI_WRITE_FILE,         /* path, or its temporary file */
	CLI_WRITE_EXISTS        /* an exclusive out: path exists (errno EEXIST) */
};

/*
 * An output file opened before the work whose result it receives is
 * committed, so that a missing or unwritable folder, or a folder at the
 * path, fails while nothing has happened yet:
 *
 *	cli_out_open(&out, path)        creates PATH.tmp.PID in the target folder
 *	... commit to the store ...
 *	cli_out_commit(&out, buf, len)  writes it, and renames it to PATH
 *
 * NULL or "-" is standard output.  A device or FIFO (/dev/null, a pipe) is
 * opened and written as it is: a rename would replace it.  A reader never
 * sees half a regular file; a process killed in between leaves its
 * PATH.tmp.PID behind (cli_out_stale tells such a file by its name).
 */
typedef struct cli_out {
	const char *path;       /* borrowed from the caller */
	char tmp[PATH_MAX];     /* PATH.tmp.PID; "" when written in place */
	FILE *f;                /* NULL for standard output */
	int exclusive;          /* placed by link(2): an existing PATH stays */
} cli_out;

/* Opens path for writing as above.  Returns 0 or a CLI_WRITE_* code with
 * errno set, and prints nothing; out needs no cli_out_abort after a
 * failure. */
int cli_out_open(cli_out *out, const char *path);

/* cli_out_open for a file that must not exist: CLI_WRITE_EXISTS when path
 * (a regular file, a link, a folder) is there, and the file is placed
 * with link(2), which fails rather than replace one made meanwhile.  A
 * device or FIFO is written as cli_out_open does. */
int cli_out_open_new(cli_out *out, const char *path);

/* The two halves of cli_out_commit, for a caller with work between them:
 * cli_out_write writes buf and closes the temporary file (durable: fsync
 * first), releasing out on failure; cli_out_place puts it at PATH and
 * leaves out for cli_out_abort when that fails (the written temporary
 * file, at out->tmp, can then be kept). */
int cli_out_write(cli_out *out, const void *buf, size_t len, int durable);
int cli_out_place(cli_out *out);

/* Writes buf, then closes out and renames its temporary file into place;
 * durable: fsync before the rename.  out is released whatever happens (a
 * failure removes the temporary file).  Returns 0 or a CLI_WRITE_* code
 * with errno set, and prints nothing. */
int cli_out_commit(cli_out *out, const void *buf, size_t len, int durable);

/* Closes out and removes its temporary file without touching PATH.  Safe
 * on a zeroed out and after a commit. */
void cli_out_abort(cli_out *out);

/* 1 when name (a folder entry) is "BASE.tmp.PID", the temporary file of
 * BASE left by a cli_out of a process that no longer runs. */
int cli_out_stale(const char *name, const char *base);

/*
 * A progress line for long work (batch issuance, ...): "WHAT: DONE/TOTAL
 * (N%)" on stderr, redrawn in place at most ten times a second, only when
 * both stdout and stderr are terminals (a person watching, not a script
 * or a log).  cli_progress_clear wipes it before a line is printed to the
 * terminal; cli_progress_step redraws it.  All calls are no-ops when off.
 */
typedef struct cli_progress {
	int on;
	const char *what;       /* borrowed */
	size_t total;
	long long last_ms;      /* gp_monotonic_ms of the last redraw */
	int shown;              /* a line is on the terminal now */
} cli_progress;

void cli_progress_start(cli_progress *p, const char *what, size_t total);
void cli_progress_step(cli_progress *p, size_t done);
void cli_progress_clear(cli_progress *p);
/* The last state (done of total) stays on its own line. */
void cli_progress_end(cli_progress *p, size_t done);

/* Writes buf to path in one go: cli_out_open and cli_out_commit.  Each
 * program words its own message from the code and errno. */
int cli_write_file(const char *path, const void *buf, size_t len, int durable);

#endif
