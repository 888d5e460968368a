/* tests/unit/test_daemon.c: the daemons' --listen parser and port file (tools/daemon.c), HTTP-dates and %00 (tools/daemon_http.c), the access log and [daemon] (tools/daemon_log.c) */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "daemon.h"
#include "daemon_http.h"
#include "daemon_log.h"
#include "testutil.h"

#define ANY DAEMON_LISTEN_ANY_HOST

/* an accepted address: what it parses to */
struct good {
	const char *spec;
	unsigned flags;
	int family;
	const char *addr;      /* as inet_pton reads it */
	unsigned port;
};

static const struct good goods[] = {
	{ "127.0.0.1:8443", 0, AF_INET, "127.0.0.1", 8443 },
	{ "[::1]:8443", 0, AF_INET6, "::1", 8443 },
	{ "[::]:443", 0, AF_INET6, "::", 443 },
	{ "0.0.0.0:80", 0, AF_INET, "0.0.0.0", 80 },
	{ "localhost:8080", 0, AF_INET, "127.0.0.1", 8080 },
	{ "LocalHost:8080", 0, AF_INET, "127.0.0.1", 8080 },
	{ "127.0.0.1:0", 0, AF_INET, "127.0.0.1", 0 },
	{ "192.0.2.7:65535", 0, AF_INET, "192.0.2.7", 65535 },
	{ "192.0.2.7:00080", 0, AF_INET, "192.0.2.7", 80 },
	{ "[2001:db8::5:1]:1", 0, AF_INET6, "2001:db8::5:1", 1 },
	{ "[::ffff:192.0.2.1]:3180", 0, AF_INET6, "::ffff:192.0.2.1", 3180 },
	/* ocsp-responder's wildcard forms */
	{ ":8080", ANY, AF_INET, "0.0.0.0", 8080 },
	{ "*:8080", ANY, AF_INET, "0.0.0.0", 8080 },
	{ "8080", ANY, AF_INET, "0.0.0.0", 8080 },
	{ "0", ANY, AF_INET, "0.0.0.0", 0 },
	{ "127.0.0.1:8080", ANY, AF_INET, "127.0.0.1", 8080 },
	{ "[::1]:0", ANY, AF_INET6, "::1", 0 },
	{ "localhost:1", ANY, AF_INET, "127.0.0.1", 1 },
};

/* a refused address: the phrase that says why */
struct bad {
	const char *spec;
	unsigned flags;
	const char *why;
};

static const struct bad bads[] = {
	{ NULL, 0, "empty address" },
	{ "", 0, "empty address" },
	{ "", ANY, "empty address" },
	/* no host, where the daemon never took one */
	{ ":8080", 0, "missing host" },
	{ "*:8080", 0, "not an IPv4 address, [IPv6 address] or localhost" },
	/* no port */
	{ "8080", 0, "missing port" },
	{ "nowhere", 0, "missing port" },
	{ "127.0.0.1", 0, "missing port" },
	{ "127.0.0.1:", 0, "missing port" },
	{ "127.0.0.1:", ANY, "missing port" },
	{ ":", ANY, "missing port" },
	{ "[::1]", 0, "missing port" },
	{ "[::1]:", 0, "missing port" },
	{ "[::1]", ANY, "missing port" },
	/* ports out of range or not numbers */
	{ "127.0.0.1:65536", 0, "the port is above 65535" },
	{ "[::1]:70000", 0, "the port is above 65535" },
	{ "127.0.0.1:99999999999999999999999", 0, "the port is above 65535" },
	{ "70000", ANY, "the port is above 65535" },
	{ "127.0.0.1:-1", 0, "the port is not a decimal number" },
	{ "127.0.0.1:+80", 0, "the port is not a decimal number" },
	{ "127.0.0.1: 80", 0, "the port is not a decimal number" },
	{ "127.0.0.1:80 ", 0, "the port is not a decimal number" },
	{ "127.0.0.1:0x50", 0, "the port is not a decimal number" },
	{ "127.0.0.1:https", 0, "the port is not a decimal number" },
	{ "nowhere", ANY, "the port is not a decimal number" },
	/* brackets */
	{ "[::1:8443", 0, "missing ']'" },
	{ "[", 0, "missing ']'" },
	{ "[::1]8443", 0, "no ':' after ']'" },
	{ "[::1]]:8443", 0, "no ':' after ']'" },
	{ "::1:8443", 0, "an IPv6 address goes in brackets, [ADDR]:PORT" },
	{ "::1:8443", ANY, "an IPv6 address goes in brackets, [ADDR]:PORT" },
	{ "[127.0.0.1]:80", 0, "not an IPv6 address in the brackets" },
	{ "[localhost]:80", 0, "not an IPv6 address in the brackets" },
	{ "[]:80", 0, "not an IPv6 address in the brackets" },
	{ "[]:80", ANY, "not an IPv6 address in the brackets" },
	{ "[::1%lo]:80", 0, "not an IPv6 address in the brackets" },
	/* host names, shorthand and garbage */
	{ "example.com:80", 0, "not an IPv4 address, [IPv6 address] or localhost" },
	{ "localhost.:80", 0, "not an IPv4 address, [IPv6 address] or localhost" },
	{ "127.1:80", 0, "not an IPv4 address, [IPv6 address] or localhost" },
	{ "256.0.0.1:80", 0, "not an IPv4 address, [IPv6 address] or localhost" },
	{ " 127.0.0.1:80", 0, "not an IPv4 address, [IPv6 address] or localhost" },
	{ "**:80", ANY, "not an IPv4 address, [IPv6 address] or localhost" },
	{ "1234567890123456789012345678901234567890123456789:80", 0, "the address is too long" },
};

/* every accepted form gives its family, address bytes, port and length */
static void
test_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct sockaddr_storage ss;
		socklen_t len = 0;
		const char *why = "untouched";
		unsigned char want[16];

		memset(&ss, 0xa5, sizeof(ss));
		if (daemon_parse_listen(&ss, &len, g->spec, g->flags, &why) != 0)
			fail_msg("'%s' (flags %u) refused: %s", g->spec, g->flags, why);
		assert_string_equal(why, "untouched");
		assert_int_equal(ss.ss_family, g->family);
		assert_int_equal(inet_pton(g->family, g->addr, want), 1);
		if (g->family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
			const unsigned char zero[sizeof(sin->sin_zero)] = { 0 };

			assert_int_equal(len, sizeof(struct sockaddr_in));
			assert_memory_equal(&sin->sin_addr, want, 4);
			assert_int_equal(ntohs(sin->sin_port), g->port);
			assert_memory_equal(sin->sin_zero, zero, sizeof(zero));
		} else {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

			assert_int_equal(len, sizeof(struct sockaddr_in6));
			assert_memory_equal(&sin6->sin6_addr, want, 16);
			assert_int_equal(ntohs(sin6->sin6_port), g->port);
			assert_int_equal(sin6->sin6_flowinfo, 0);
			assert_int_equal(sin6->sin6_scope_id, 0);
		}
	}
}

/* every refused form says why and leaves the address and length cleared */
static void
test_refused(void **state)
{
	static const unsigned char zero[sizeof(struct sockaddr_storage)] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct sockaddr_storage ss;
		socklen_t len = 99;
		const char *why = NULL;

		memset(&ss, 0xa5, sizeof(ss));
		if (daemon_parse_listen(&ss, &len, b->spec, b->flags, &why) != -1)
			fail_msg("'%s' (flags %u) accepted", b->spec ? b->spec : "NULL", b->flags);
		if (why == NULL || strcmp(why, b->why) != 0)
			fail_msg("'%s' (flags %u): why '%s', want '%s'", b->spec ? b->spec : "NULL",
			    b->flags, why ? why : "NULL", b->why);
		assert_int_equal(len, 0);
		assert_memory_equal(&ss, zero, sizeof(ss));
	}
}

/* why may be NULL, on success and on failure */
static void
test_null_why(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(daemon_parse_listen(&ss, &len, "127.0.0.1:1", 0, NULL), 0);
	assert_int_equal(daemon_parse_listen(&ss, &len, "127.0.0.1:x", 0, NULL), -1);
	assert_int_equal(daemon_parse_listen(&ss, &len, NULL, ANY, NULL), -1);
}

/* the whole file content, or NULL when there is none */
static char *
slurp(const char *path)
{
	static char buf[64];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* creates an empty file */
static void
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* the port file holds "PORT\n", replaces an old one, and no .tmp stays */
static void
test_port_file(void **state)
{
	char *d = tu_tmpdir(), path[512], tmp[520];

	(void)state;
	snprintf(path, sizeof(path), "%s/port", d);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(daemon_write_port_file(path, 8443), 0);
	assert_string_equal(slurp(path), "8443\n");
	assert_false(exists(tmp));
	/* an old file (and a stale .tmp from a crash) are replaced */
	assert_int_equal(daemon_write_port_file(path, 0), 0);
	assert_string_equal(slurp(path), "0\n");
	touch(tmp);
	assert_int_equal(daemon_write_port_file(path, 65535), 0);
	assert_string_equal(slurp(path), "65535\n");
	assert_false(exists(tmp));
	tu_rmdir(d);
}

/* failures return -1 with errno, and leave no .tmp behind */
static void
test_port_file_fails(void **state)
{
	char *d = tu_tmpdir(), path[512], tmp[520], target[512], longp[5000];

	(void)state;
	/* a folder that does not exist */
	snprintf(path, sizeof(path), "%s/none/port", d);
	errno = 0;
	assert_int_equal(daemon_write_port_file(path, 1), -1);
	assert_int_equal(errno, ENOENT);
	/* the path is a folder: the .tmp is written, the rename fails and it goes */
	snprintf(path, sizeof(path), "%s/dir", d);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkdir(path, 0700), 0);
	errno = 0;
	assert_int_equal(daemon_write_port_file(path, 1), -1);
	assert_int_equal(errno, EISDIR);
	assert_false(exists(tmp));
	/* a link at PATH.tmp is not followed: its target keeps its content */
	snprintf(path, sizeof(path), "%s/port", d);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(target, sizeof(target), "%s/target", d);
	touch(target);
	assert_int_equal(symlink(target, tmp), 0);
	errno = 0;
	assert_int_equal(daemon_write_port_file(path, 1), -1);
	assert_int_equal(errno, ELOOP);
	assert_string_equal(slurp(target), "");
	assert_false(exists(path));
	/* a path too long for PATH.tmp */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	errno = 0;
	assert_int_equal(daemon_write_port_file(longp, 1), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	tu_rmdir(d);
}

/* RFC 9110 §5.6.7: the three forms of one instant (the RFC's own example),
 * and what is not an HTTP-date */
static void
test_http_date(void **state)
{
	static const char *const bad[] = {
		"", "yesterday", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 GMT x",
		"Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
		/* days and seconds the calendar does not have, which
		 * strptime and timegm moved to the next month or minute */
		"Mon, 30 Feb 2026 08:49:37 GMT", "Monday, 31-Apr-26 08:49:37 GMT",
		"Mon Feb 29 08:49:37 2027", "Sat, 31 Dec 2016 23:59:60 GMT", NULL
	};
	time_t t = 0;

	(void)state;
	assert_int_equal(daemon_http_date(&t, "Sun, 06 Nov 1994 08:49:37 GMT"), 0);
	assert_int_equal((long long)t, 784111777LL);
	t = 0;
	assert_int_equal(daemon_http_date(&t, "Sunday, 06-Nov-94 08:49:37 GMT"), 0);
	assert_int_equal((long long)t, 784111777LL);
	t = 0;
	assert_int_equal(daemon_http_date(&t, "Sun Nov  6 08:49:37 1994"), 0);
	assert_int_equal((long long)t, 784111777LL);
	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(daemon_http_date(&t, bad[i]), -1);
	assert_int_equal(daemon_http_date(&t, NULL), -1);
}

/* percent-decoding as libmicrohttpd does it, but "%00" stays as it is */
static void
test_unescape(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "abc", "abc" }, { "a%2Fb", "a/b" }, { "12%00x", "12%00x" },
		{ "%41%00%42%00", "A%00B%00" }, { "%%00", "%%00" }, { "%zz", "%zz" }, { "", "" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", v[i].in);
		assert_int_equal(daemon_unescape(NULL, NULL, buf), strlen(v[i].out));
		assert_string_equal(buf, v[i].out);
	}
}

/* The file at path (at most size - 1 bytes) into buf. */
static void
read_into(char *buf, size_t size, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The two formats, to the byte, for a request whose path holds a quote, a
 * backslash, a newline and a byte past ASCII: escaped, one line each; a
 * "%s" in the path is the program's name; no answer is "-" / null. */
static void
test_log_lines(void **state)
{
	char *d = tu_tmpdir(), path[512], got[8192];
	struct sockaddr_in sin;
	daemon_log *l = NULL;
	daemon_log_req q;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	memset(&q, 0, sizeof(q));
	q.remote = (const struct sockaddr *)&sin;
	q.start.tv_sec = 784111777;            /* Sun, 06 Nov 1994 08:49:37 GMT */
	q.start.tv_nsec = 123456789;
	q.duration_ns = 1500000;
	q.method = "GET";
	q.path = "/a\"b\\c\nd\xff";
	q.protocol = "HTTP/1.1";
	q.status = 404;
	q.bytes = 10;

	snprintf(path, sizeof(path), "%s/%%s.log", d);
	assert_int_equal(daemon_log_open(&l, path, 0, "ocsp-responder"), 0);
	assert_non_null(l);
	daemon_log_write(l, &q);
	q.status = 0;
	q.bytes = 0;
	daemon_log_write(l, &q);
	daemon_log_free(l);
	snprintf(path, sizeof(path), "%s/ocsp-responder.log", d);
	read_into(got, sizeof(got), path);
	assert_string_equal(got,
	    "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a\\x22b\\x5cc\\x0ad\\xff HTTP/1.1\" 404 10\n"
	    "192.0.2.7 - - [06/Nov/1994:08:49:37 +0000] \"GET /a\\x22b\\x5cc\\x0ad\\xff HTTP/1.1\" - -\n");

	snprintf(path, sizeof(path), "%s/json.log", d);
	assert_int_equal(daemon_log_open(&l, path, 1, "tsa-server"), 0);
	q.status = 200;
	q.bytes = 1234;
	q.remote = NULL;
	daemon_log_write(l, &q);
	q.status = 0;
	daemon_log_write(l, &q);
	daemon_log_free(l);
	read_into(got, sizeof(got), path);
	assert_string_equal(got,
	    "{\"time\":\"1994-11-06T08:49:37.123Z\",\"daemon\":\"tsa-server\",\"remote\":\"-\","
	    "\"method\":\"GET\",\"path\":\"/a\\\"b\\\\c\\u000ad\\u00ff\",\"protocol\":\"HTTP/1.1\","
	    "\"status\":200,\"bytes\":1234,\"duration_ms\":1.500}\n"
	    "{\"time\":\"1994-11-06T08:49:37.123Z\",\"daemon\":\"tsa-server\",\"remote\":\"-\","
	    "\"method\":\"GET\",\"path\":\"/a\\\"b\\\\c\\u000ad\\u00ff\",\"protocol\":\"HTTP/1.1\","
	    "\"status\":null,\"bytes\":1234,\"duration_ms\":1.500}\n");
	assert_int_equal(daemon_log_failures(NULL), 0);
	tu_rmdir(d);
}

/* A path of 3000 newlines (4 bytes each escaped) is cut at 1024 bytes of
 * the line with "...": one line, which still ends with the status and the
 * size (cut on the input bytes, the escapes once filled the line buffer and
 * dropped both, and the "..."). */
static void
test_log_long_path(void **state)
{
	char *d = tu_tmpdir(), path[512], longp[3001], got[8192];
	daemon_log *l = NULL;
	daemon_log_req q;
	const char *tail;
	char *nl;

	(void)state;
	memset(longp, '\n', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.path = longp;
	q.protocol = "HTTP/1.1";
	q.status = 200;
	for (int json = 0; json < 2; json++) {
		snprintf(path, sizeof(path), "%s/%d.log", d, json);
		assert_int_equal(daemon_log_open(&l, path, json, "x"), 0);
		daemon_log_write(l, &q);
		daemon_log_free(l);
		read_into(got, sizeof(got), path);
		nl = strchr(got, '\n');
		assert_non_null(nl);
		assert_int_equal(nl[1], '\0');          /* one line */
		assert_non_null(strstr(got, "..."));
		assert_true(strlen(got) < 1400);
		/* the line still ends with the status and the size */
		tail = json ? "...\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":0,"
		    "\"duration_ms\":0.000}\n" : "... HTTP/1.1\" 200 -\n";
		assert_true(strlen(got) > strlen(tail));
		assert_string_equal(got + strlen(got) - strlen(tail), tail);
	}
	tu_rmdir(d);
}

/* off and NULL open nothing; a folder that is not there fails with errno */
static void
test_log_open(void **state)
{
	char *d = tu_tmpdir(), path[512];
	daemon_log *l = (daemon_log *)&l;

	(void)state;
	assert_int_equal(daemon_log_open(&l, NULL, 0, "x"), 0);
	assert_null(l);
	l = (daemon_log *)&l;
	assert_int_equal(daemon_log_open(&l, "off", 0, "x"), 0);
	assert_null(l);
	snprintf(path, sizeof(path), "%s/none/x.log", d);
	errno = 0;
	assert_int_equal(daemon_log_open(&l, path, 0, "x"), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(l);
	assert_int_equal(daemon_log_reopen(NULL), 0);
	daemon_log_write(NULL, NULL);
	daemon_log_free(NULL);
	tu_rmdir(d);
}

/* [daemon]: the defaults, the keys, and what is refused with its line */
static void
test_settings(void **state)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "[daemon]\naccess_log_format = xml\n", ":2: access_log_format in [daemon] is clf or json" },
		{ "[daemon]\naccess_log = /x/%d.log\n", ":2: access_log in [daemon] is a path" },
		{ "[daemon]\naccess_log = /x/%s%s.log\n", ":2: access_log in [daemon] is a path" },
		{ "[daemon]\naccess_log =\n", ":2: access_log in [daemon] is a path" },
		{ "[daemon]\naccess_lg = x\n", "access_lg" },
	};
	char *d = tu_tmpdir(), path[512], err[512];
	daemon_settings ds;
	gp_config *cfg = NULL;
	FILE *f;
	int json = 5;

	(void)state;
	assert_int_equal(daemon_settings_load(&ds, NULL, err, sizeof(err)), 0);
	assert_null(ds.access_log);
	assert_null(ds.publish_dir);
	assert_int_equal(ds.access_log_json, 0);
	snprintf(path, sizeof(path), "%s/g.cnf", d);
	assert_non_null(f = fopen(path, "w"));
	fputs("[daemon]\naccess_log = /var/log/%s.log\naccess_log_format = json\npublish_dir = /srv/p\n", f);
	fclose(f);
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(daemon_settings_load(&ds, cfg, err, sizeof(err)), 0);
	assert_string_equal(ds.access_log, "/var/log/%s.log");
	assert_int_equal(ds.access_log_json, 1);
	assert_string_equal(ds.publish_dir, "/srv/p");
	gp_config_free(cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(f = fopen(path, "w"));
		fputs(bad[i].text, f);
		fclose(f);
		assert_int_equal(gp_config_load(&cfg, path), 0);
		err[0] = '\0';
		assert_int_equal(daemon_settings_load(&ds, cfg, err, sizeof(err)), -1);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].err);
		gp_config_free(cfg);
		cfg = NULL;
	}
	assert_int_equal(daemon_log_format(&json, "clf"), 0);
	assert_int_equal(json, 0);
	assert_int_equal(daemon_log_format(&json, "JSON"), -1);
	tu_rmdir(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_null_why),
		cmocka_unit_test(test_port_file),
		cmocka_unit_test(test_port_file_fails),
		cmocka_unit_test(test_http_date),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_log_long_path),
		cmocka_unit_test(test_log_open),
		cmocka_unit_test(test_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
