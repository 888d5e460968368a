/* lib/pass.c: passphrases from a file, the environment or the terminal */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <govpki/key.h>

#include "error_int.h"
#include "util.h"

#define PASS_FILE_MAX (64 * 1024)
#define PASS_TTY_MAX 1024
#define PASS_ENV "GOVPKI_PASSPHRASE"

/* A malloc'ed NUL-terminated copy of the len bytes at s. */
static int
pass_dup(char **out, size_t *outlen, const char *s, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memcpy(p, s, len);
	p[len] = '\0';
	*out = p;
	*outlen = len;
	return 0;
}

/* The first line of path, without "\n" or "\r\n". */
static int
pass_from_file(char **out, size_t *outlen, const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, n;
	int r;

	if ((r = gp_file_read(&buf, &len, path, PASS_FILE_MAX)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(GP_E_NOTFOUND, "passphrase file %s does not exist", path);
		else
			r = gp_err_ctx(r, "passphrase file: ");
		goto out;
	}
	for (n = 0; n < len && buf[n] != '\n'; n++)
		;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		r = gp_err(GP_E_PASSPHRASE, "passphrase file %s: the first line is "
		    "empty; an empty passphrase is not allowed", path);
		goto out;
	}
	if (memchr(buf, '\0', n) != NULL) {
		r = gp_err(GP_E_PASSPHRASE, "passphrase file %s: NUL byte in the "
		    "passphrase", path);
		goto out;
	}
	r = pass_dup(out, outlen, (const char *)buf, n);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return r;
}

/*
 * While echo is off, a signal that ends the program (Ctrl-C, a hangup, a
 * kill) must not leave the terminal without echo: these handlers put the
 * settings back (tcsetattr is async-signal-safe) and re-raise the signal
 * with its default action.
 */
static const int tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define N_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))
static struct termios tty_saved;
static volatile sig_atomic_t tty_fd = -1;

static void
tty_restore_and_raise(int sig)
{
	if (tty_fd >= 0)
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads a line from the terminal fd with echo off, after prompt. */
static int
tty_read_line(int fd, const char *prompt, char *buf, size_t bufsize, size_t *n)
{
	struct termios noecho;
	struct sigaction sa, old_sa[N_TTY_SIGNALS];
	size_t i;
	int r = 0;

	*n = 0;
	if (tcgetattr(fd, &tty_saved) != 0)
		return gp_err(GP_E_PASSPHRASE, "cannot read terminal settings: %s", strerror(errno));
	noecho = tty_saved;
	noecho.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0)
		return gp_err(GP_E_IO, "cannot write to the terminal: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_restore_and_raise;
	sigemptyset(&sa.sa_mask);
	tty_fd = fd;
	for (i = 0; i < N_TTY_SIGNALS; i++)
		(void)sigaction(tty_signals[i], &sa, &old_sa[i]);
	if (tcsetattr(fd, TCSAFLUSH, &noecho) != 0) {
		r = gp_err(GP_E_PASSPHRASE, "cannot turn off echo: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		char c;
		ssize_t got = read(fd, &c, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || c == '\n' || c == '\r')
			break;
		if (*n + 1 >= bufsize) {
			r = gp_err(GP_E_PASSPHRASE, "passphrase longer than %zu bytes", bufsize - 1);
			break;
		}
		buf[(*n)++] = c;
	}
	(void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
	(void)!write(fd, "\n", 1);
out:
	for (i = 0; i < N_TTY_SIGNALS; i++)
		(void)sigaction(tty_signals[i], &old_sa[i], NULL);
	tty_fd = -1;
	if (r == 0 && *n == 0)
		r = gp_err(GP_E_PASSPHRASE, "an empty passphrase is not allowed");
	return r;
}

/* A passphrase from /dev/tty; confirm: asked twice, both must match (a
 * typo in a new key's passphrase would lock the key away for good). */
static int
pass_from_tty(char **out, size_t *outlen, const char *prompt, int confirm)
{
	char buf[PASS_TTY_MAX], again[PASS_TTY_MAX];
	size_t n = 0, n2 = 0;
	int fd, r;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return gp_err(GP_E_PASSPHRASE, "cannot open the terminal: %s",
		    strerror(errno));
	if (prompt == NULL || *prompt == '\0')
		prompt = "Passphrase: ";
	if ((r = tty_read_line(fd, prompt, buf, sizeof(buf), &n)) == 0 && confirm &&
	    (r = tty_read_line(fd, "Again, to confirm: ", again, sizeof(again), &n2)) == 0 &&
	    (n != n2 || CRYPTO_memcmp(buf, again, n) != 0))
		r = gp_err(GP_E_PASSPHRASE, "the two passphrases differ");
	if (r == 0)
		r = pass_dup(out, outlen, buf, n);
	close(fd);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(again, sizeof(again));
	return r;
}

static int
pass_get(char **out, size_t *outlen, const char *pass_file, const char *prompt, int confirm)
{
	const char *env;

	if (out == NULL || outlen == NULL)
		return gp_err(GP_E_INVALID, "gp_pass_get: NULL argument");
	*out = NULL;
	*outlen = 0;
	if (pass_file != NULL)
		return pass_from_file(out, outlen, pass_file);
	if ((env = getenv(PASS_ENV)) != NULL) {
		if (*env == '\0')
			return gp_err(GP_E_PASSPHRASE, PASS_ENV " is set but empty; "
			    "an empty passphrase is not allowed");
		return pass_dup(out, outlen, env, strlen(env));
	}
	if (isatty(0))
		return pass_from_tty(out, outlen, prompt, confirm);
	return gp_err(GP_E_PASSPHRASE,
	    "no passphrase: use --pass-file, " PASS_ENV " or a terminal");
}

int
gp_pass_get(char **out, size_t *outlen, const char *pass_file, const char *prompt)
{
	return pass_get(out, outlen, pass_file, prompt, 0);
}

int
gp_pass_get_new(char **out, size_t *outlen, const char *pass_file, const char *prompt)
{
	return pass_get(out, outlen, pass_file, prompt, 1);
}

void
gp_pass_free(char *pass, size_t len)
{
	if (pass == NULL)
		return;
	OPENSSL_cleanse(pass, len);
	free(pass);
}
