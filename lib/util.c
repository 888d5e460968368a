/* lib/util.c: hex, whole-file reads, atomic writes, time formatting */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <govpki/mem.h>

#include "error_int.h"
#include "util.h"

void
gp_hex_encode(char *out, const unsigned char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
gp_hex_decode(unsigned char *out, size_t outmax, size_t *outlen, const char *hex)
{
	const char *p = hex;
	size_t ndigits = 0, n = 0;
	int hi = -1, odd;

	if (hex == NULL || *hex == '\0')
		return gp_err(GP_E_INVALID, "empty hex string");
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (const char *q = p; *q; q++) {
		if (*q == ':')
			continue;
		if (hexval((unsigned char)*q) < 0)
			return gp_err(GP_E_INVALID, "not a hex string: '%.64s'", hex);
		ndigits++;
	}
	if (ndigits == 0)
		return gp_err(GP_E_INVALID, "empty hex string");
	if ((ndigits + 1) / 2 > outmax)
		return gp_err(GP_E_INVALID, "hex string too long: '%.64s'", hex);
	/* an odd number of digits gets an implicit leading zero */
	odd = ndigits % 2;
	if (odd)
		hi = 0;
	for (; *p; p++) {
		int v;

		if (*p == ':')
			continue;
		v = hexval((unsigned char)*p);
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	*outlen = n;
	return 0;
}

int
gp_file_read(unsigned char **out, size_t *outlen, const char *path, size_t maxlen)
{
	FILE *f = NULL;
	unsigned char *buf = NULL, *nb;
	size_t len = 0, cap = 0, got;
	int r;

	*out = NULL;
	*outlen = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return gp_err(errno == ENOENT ? GP_E_NOTFOUND : GP_E_IO,
		    "%s: %s", path, strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				r = gp_err(GP_E_NOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len > maxlen) {
			r = gp_err(GP_E_INVALID, "%s: larger than %zu bytes", path, maxlen);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		r = gp_err(GP_E_IO, "%s: read failed", path);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	fclose(f);
	return r;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
gp_file_write_new(const char *path, const void *buf, size_t len, int mode)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0)
		return gp_err(errno == EEXIST ? GP_E_EXISTS : GP_E_IO,
		    "%s: %s", path, strerror(errno));
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return gp_err(GP_E_IO, "%s: %s", path, strerror(e));
	}
	if (close(fd) != 0)
		return gp_err(GP_E_IO, "%s: %s", path, strerror(errno));
	return 0;
}

int
gp_file_write_atomic(const char *path, const void *buf, size_t len, int mode)
{
	char tmp[PATH_MAX];
	int fd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return gp_err(GP_E_INVALID, "path too long: %s", path);
	if ((fd = mkstemp(tmp)) < 0)
		return gp_err(GP_E_IO, "%s: %s", path, strerror(errno));
	if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, buf, len) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		return gp_err(GP_E_IO, "%s: %s", path, strerror(e));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		return gp_err(GP_E_IO, "%s: %s", path, strerror(e));
	}
	return 0;
}

int
gp_params_in(void *dst, size_t dst_size, const void *src, size_t min_size, const char *what)
{
	size_t size;

	memset(dst, 0, dst_size);
	if (src == NULL)
		return gp_err(GP_E_INVALID, "%s: no parameters", what);
	memcpy(&size, src, sizeof(size));
	if (size < min_size || size > dst_size)
		return gp_err(GP_E_INVALID, "%s: parameters of size %zu, want %zu to %zu "
		    "(set with its GP_..._INIT)", what, size, min_size, dst_size);
	memcpy(dst, src, size);
	return 0;
}

int64_t
gp_now(void)
{
	return (int64_t)time(NULL);
}

void
gp_time_iso(char out[21], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
dup_str(char **out, const char *s, int ossl)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = ossl ? OPENSSL_strdup(s) : strdup(s)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	return 0;
}

uint32_t
gp_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
gp_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

int
gp_strdup(char **out, const char *s)
{
	return dup_str(out, s, 0);
}

/* One allocator for the buffers the API returns (govpki/mem.h). */
void
gp_free(void *p)
{
	OPENSSL_free(p);
}

int
gp_ostrdup(char **out, const char *s)
{
	return dup_str(out, s, 1);
}
