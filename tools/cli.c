/* tools/cli.c: exit codes, error printing, passphrases and file writing for the programs */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/version.h>
#include <govpki/x509util.h>

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
cli_print_version(void)
{
	printf("%s (govpki) %s\n", cli_prog, gp_version());
	return 0;
}

void
cli_print_usage(FILE *f, const char *usage)
{
	const char *p = usage, *nl;

	for (int first = 1; *p != '\0'; first = 0, p = nl + (*nl != '\0')) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (first)
			fprintf(f, "usage: %s ", cli_prog);
		else if (*p != ' ')
			fprintf(f, "%*s%s ", 7, "", cli_prog);
		fprintf(f, "%.*s\n", (int)(nl - p), p);
	}
}

int
cli_help_or_bad_option(int c, const char *cmd, const char *usage, char **argv)
{
	if (c == 'h') {
		cli_print_usage(stdout, usage);
		return 0;
	}
	return cli_usage_error("%s: bad option '%s'", cmd, argv[optind - 1]);
}

/* Standard output for NULL or "-". */
static int
is_stdout(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0;
}

int
cli_out_open(cli_out *out, const char *path)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->path = path;
	if (is_stdout(path))
		return 0;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device or FIFO as it is; a folder fails here (EISDIR) */
		return (out->f = fopen(path, "wb")) == NULL ? CLI_WRITE_FILE : 0;
	}
	if ((size_t)snprintf(out->tmp, sizeof(out->tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    sizeof(out->tmp)) {
		out->tmp[0] = '\0';
		return CLI_WRITE_TOO_LONG;
	}
	if ((out->f = fopen(out->tmp, "wb")) == NULL) {
		out->tmp[0] = '\0';
		return CLI_WRITE_FILE;
	}
	return 0;
}

int
cli_out_open_new(cli_out *out, const char *path)
{
	struct stat st;
	int r;

	memset(out, 0, sizeof(*out));
	if (!is_stdout(path) && lstat(path, &st) == 0 && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		errno = EEXIST;
		return CLI_WRITE_EXISTS;
	}
	if ((r = cli_out_open(out, path)) == 0)
		out->exclusive = 1;
	return r;
}

void
cli_out_abort(cli_out *out)
{
	int e = errno;

	if (out->f != NULL)
		fclose(out->f);
	if (out->tmp[0] != '\0')
		unlink(out->tmp);
	out->f = NULL;
	out->tmp[0] = '\0';
	errno = e;
}

int
cli_out_write(cli_out *out, const void *buf, size_t len, int durable)
{
	FILE *f = out->f;

	if (is_stdout(out->path))
		return fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0 ? CLI_WRITE_STDOUT : 0;
	if (fwrite(buf, 1, len, f) != len || fflush(f) != 0 ||
	    (durable && out->tmp[0] != '\0' && fsync(fileno(f)) != 0)) {
		cli_out_abort(out);
		return CLI_WRITE_FILE;
	}
	out->f = NULL;
	if (fclose(f) != 0) {
		cli_out_abort(out);
		return CLI_WRITE_FILE;
	}
	return 0;
}

int
cli_out_place(cli_out *out)
{
	if (out->tmp[0] == '\0')      /* standard output, a device: written in place */
		return 0;
	if (out->exclusive) {
		/* link(2) fails with EEXIST rather than replace a file */
		if (link(out->tmp, out->path) != 0)
			return errno == EEXIST ? CLI_WRITE_EXISTS : CLI_WRITE_FILE;
		unlink(out->tmp);
	} else if (rename(out->tmp, out->path) != 0)
		return CLI_WRITE_FILE;
	out->tmp[0] = '\0';            /* placed: nothing to remove */
	return 0;
}

int
cli_out_commit(cli_out *out, const void *buf, size_t len, int durable)
{
	int r;

	if ((r = cli_out_write(out, buf, len, durable)) != 0)
		return r;
	r = cli_out_place(out);
	cli_out_abort(out);
	return r;
}

int
cli_out_stale(const char *name, const char *base)
{
	size_t bl = strlen(base);
	const char *p = name + bl + 5;
	char *end;
	long pid;

	if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".tmp.", 5) != 0 || *p < '1' || *p > '9')
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || *end != '\0' || pid <= 0 || pid > INT_MAX || pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int
cli_write_file(const char *path, const void *buf, size_t len, int durable)
{
	cli_out out;
	int r;

	if ((r = cli_out_open(&out, path)) != 0)
		return r;
	return cli_out_commit(&out, buf, len, durable);
}

/* ------------------------------------------------------------ progress */

static void
progress_draw(cli_progress *p, size_t done)
{
	fprintf(stderr, "\r%s: %zu/%zu (%zu%%)\033[K", p->what, done, p->total,
	    p->total ? done * 100 / p->total : 100);
	fflush(stderr);
	p->shown = 1;
	p->last_ms = gp_monotonic_ms();
}

void
cli_progress_start(cli_progress *p, const char *what, size_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	if (p->on)
		progress_draw(p, 0);
}

void
cli_progress_step(cli_progress *p, size_t done)
{
	/* at most ten redraws a second: the terminal is not the bottleneck */
	if (p->on && (done == p->total || !p->shown || gp_monotonic_ms() - p->last_ms >= 100))
		progress_draw(p, done);
}

void
cli_progress_clear(cli_progress *p)
{
	if (p->on && p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->shown = 0;
	}
}

void
cli_progress_end(cli_progress *p, size_t done)
{
	if (!p->on)
		return;
	progress_draw(p, done);
	fputc('\n', stderr);
	p->shown = 0;
}
