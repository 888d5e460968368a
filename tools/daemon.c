/* tools/daemon.c: the --listen parser and port file of ocsp-responder, ra-server and tsa-server */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "daemon.h"

/* PORT: decimal digits only (no sign, no blanks), at most 65535. */
static int
parse_port(unsigned *out, const char *s, const char **why)
{
	unsigned long v = 0;

	if (*s == '\0') {
		*why = "missing port";
		return -1;
	}
	if (s[strspn(s, "0123456789")] != '\0') {
		*why = "the port is not a decimal number";
		return -1;
	}
	for (; *s != '\0'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535) {
			*why = "the port is above 65535";
			return -1;
		}
	}
	*out = (unsigned)v;
	return 0;
}

int
daemon_parse_listen(struct sockaddr_storage *ss, socklen_t *len, const char *spec,
    unsigned flags, const char **why)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN];
	const char *hs, *port, *colon, *w = NULL;
	size_t hl;
	unsigned p;
	int v6 = 0;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	/* split HOST and PORT */
	if (spec == NULL || *spec == '\0') {
		w = "empty address";
		goto out;
	}
	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');

		if (e == NULL) {
			w = "missing ']'";
			goto out;
		}
		if (e[1] != ':') {
			w = e[1] == '\0' ? "missing port" : "no ':' after ']'";
			goto out;
		}
		hs = spec + 1;
		hl = (size_t)(e - hs);
		port = e + 2;
		v6 = 1;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if (colon != strchr(spec, ':')) {
			w = "an IPv6 address goes in brackets, [ADDR]:PORT";
			goto out;
		}
		hs = spec;
		hl = (size_t)(colon - spec);
		port = colon + 1;
	} else if (flags & DAEMON_LISTEN_ANY_HOST) {
		hs = spec;
		hl = 0;
		port = spec;
	} else {
		w = "missing port";
		goto out;
	}
	if (hl >= sizeof(host)) {
		w = "the address is too long";
		goto out;
	}
	memcpy(host, hs, hl);
	host[hl] = '\0';

	/* HOST */
	if (v6) {
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			w = "not an IPv6 address in the brackets";
			goto out;
		}
		sin6->sin6_family = AF_INET6;
	} else {
		if ((flags & DAEMON_LISTEN_ANY_HOST) && (hl == 0 || strcmp(host, "*") == 0))
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (hl == 0) {
			w = "missing host";
			goto out;
		} else if (strcasecmp(host, "localhost") == 0)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			w = "not an IPv4 address, [IPv6 address] or localhost";
			goto out;
		}
		sin->sin_family = AF_INET;
	}

	/* PORT */
	if (parse_port(&p, port, &w) != 0)
		goto out;
	if (v6) {
		sin6->sin6_port = htons((uint16_t)p);
		*len = (socklen_t)sizeof(*sin6);
	} else {
		sin->sin_port = htons((uint16_t)p);
		*len = (socklen_t)sizeof(*sin);
	}
	return 0;
out:
	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (why != NULL)
		*why = w;
	return -1;
}

int
daemon_write_port_file(const char *path, unsigned port)
{
	char tmp[4096], buf[16];
	int fd, n, e, r = -1;

	if ((n = snprintf(tmp, sizeof(tmp), "%s.tmp", path)) < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%u\n", port);
	/* not through a link someone left at PATH.tmp */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		return -1;
	errno = 0;
	if (write(fd, buf, (size_t)n) != n) {
		if (errno == 0)         /* a short write */
			errno = EIO;
		goto out;
	}
	e = close(fd);
	fd = -1;
	if (e != 0 || rename(tmp, path) != 0)
		goto out;
	r = 0;
out:
	if (r != 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		errno = e;
	}
	return r;
}
