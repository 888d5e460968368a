/* tools/daemon.h: what the daemons share: the --listen address and the port file */
#ifndef GP_DAEMON_H
#define GP_DAEMON_H

#include <sys/socket.h>

/* Flags of daemon_parse_listen. */
enum {
	/* an empty host (":PORT"), "*:PORT" and a bare "PORT" mean 0.0.0.0
	 * (ocsp-responder); without it they are refused */
	DAEMON_LISTEN_ANY_HOST = 1 << 0
};

/*
 * Parses a listen address into *ss (zeroed first) and its length into
 * *len.  Accepted:
 *   "A.B.C.D:PORT"     an IPv4 address in dotted-quad form
 *   "[IPV6]:PORT"      an IPv6 address, in brackets (RFC 3986 §3.2.2)
 *   "localhost:PORT"   127.0.0.1 (in any case)
 * PORT is 0 to 65535 in decimal digits; 0 lets the kernel pick a free port.
 * Host names other than localhost (no name is looked up), unbracketed
 * IPv6, IPv6 zone indexes ("%eth0") and IPv4 shorthand ("127.1") are
 * refused.  With DAEMON_LISTEN_ANY_HOST, ":PORT", "*:PORT" and "PORT" mean
 * 0.0.0.0:PORT (every IPv6 address is "[::]:PORT" with or without it).
 *
 * Returns 0 (why untouched), or -1 with *ss and *len cleared and, when why
 * is not NULL, *why pointing to a static phrase saying what is wrong
 * ("missing ']'").
 */
int daemon_parse_listen(struct sockaddr_storage *ss, socklen_t *len, const char *spec,
    unsigned flags, const char **why);

/*
 * Writes "PORT\n" to path atomically: to "PATH.tmp", then renamed over
 * path, so a reader sees no file or the whole port.  A symbolic link at
 * PATH.tmp is not followed (ELOOP).  Returns 0, or -1 with errno set
 * (ENAMETOOLONG for an overlong path) and no PATH.tmp of its making left.
 */
int daemon_write_port_file(const char *path, unsigned port);

#endif
