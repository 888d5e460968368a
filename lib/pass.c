/* lib/pass.c: passphrases from a file, the environment or the terminal */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* Reads a line from /dev/tty with echo off. */
static int
pass_from_tty(char **out, size_t *outlen, const char *prompt)
{
	struct termios old, noecho;
	char buf[PASS_TTY_MAX];
	size_t n = 0;
	int fd, restored = 1, r;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return gp_err(GP_E_PASSPHRASE, "cannot open the terminal: %s",
		    strerror(errno));
	if (tcgetattr(fd, &old) != 0) {
		r = gp_err(GP_E_PASSPHRASE, "cannot read terminal settings: %s",
		    strerror(errno));
		goto out;
	}
	noecho = old;
	noecho.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	noecho.c_lflag |= ICANON;
	if (prompt == NULL || *prompt == '\0')
		prompt = "Passphrase: ";
	if (write(fd, prompt, strlen(prompt)) < 0) {
		r = gp_err(GP_E_IO, "cannot write to the terminal: %s", strerror(errno));
		goto out;
	}
	if (tcsetattr(fd, TCSAFLUSH, &noecho) != 0) {
		r = gp_err(GP_E_PASSPHRASE, "cannot turn off echo: %s", strerror(errno));
		goto out;
	}
	restored = 0;
	for (;;) {
		char c;
		ssize_t got = read(fd, &c, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= sizeof(buf)) {
			r = gp_err(GP_E_PASSPHRASE, "passphrase longer than %d bytes",
			    PASS_TTY_MAX - 1);
			goto out;
		}
		buf[n++] = c;
	}
	if (n == 0) {
		r = gp_err(GP_E_PASSPHRASE, "an empty passphrase is not allowed");
		goto out;
	}
	r = pass_dup(out, outlen, buf, n);
out:
	if (!restored) {
		(void)tcsetattr(fd, TCSAFLUSH, &old);
		(void)!write(fd, "\n", 1);
	}
	close(fd);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int
gp_pass_get(char **out, size_t *outlen, const char *pass_file, const char *prompt)
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
		return pass_from_tty(out, outlen, prompt);
	return gp_err(GP_E_PASSPHRASE,
	    "no passphrase: use --pass-file, " PASS_ENV " or a terminal");
}

void
gp_pass_free(char *pass, size_t len)
{
	if (pass == NULL)
		return;
	OPENSSL_cleanse(pass, len);
	free(pass);
}
