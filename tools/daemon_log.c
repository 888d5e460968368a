/* tools/daemon_log.c: the [daemon] settings and the access log of ocsp-responder, ra-server and tsa-server */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <govpki/error.h>

#include "daemon_log.h"

#define LINE_MAX_BYTES 4096
#define PATH_LOGGED 1024        /* bytes of a line a path may take, "..." included */

static const char *const daemon_keys[] = { "access_log", "access_log_format", "publish_dir",
	NULL };

int
daemon_log_format(int *json, const char *s)
{
	if (strcmp(s, "clf") == 0)
		*json = 0;
	else if (strcmp(s, "json") == 0)
		*json = 1;
	else
		return -1;
	return 0;
}

int
daemon_settings_load(daemon_settings *out, const gp_config *cfg, char *err, size_t errlen)
{
	const char *v, *pct;

	memset(out, 0, sizeof(*out));
	if (cfg == NULL)
		return 0;
	if (gp_config_check_keys(cfg, "daemon", daemon_keys) != 0) {
		snprintf(err, errlen, "%s", gp_error_last());
		return -1;
	}
	v = gp_config_str(cfg, "daemon", "access_log", NULL);
	if (v != NULL && strcmp(v, "off") != 0) {
		/* one "%s" (the program's name) and no other '%' */
		if (*v == '\0' || ((pct = strchr(v, '%')) != NULL &&
		    (pct[1] != 's' || strchr(pct + 2, '%') != NULL))) {
			snprintf(err, errlen, "%s:%d: access_log in [daemon] is a path (with at most "
			    "one %%s, the program's name) or off", gp_config_path(cfg),
			    gp_config_line(cfg, "daemon", "access_log"));
			return -1;
		}
		out->access_log = v;
	}
	v = gp_config_str(cfg, "daemon", "access_log_format", "clf");
	if (daemon_log_format(&out->access_log_json, v) != 0) {
		snprintf(err, errlen, "%s:%d: access_log_format in [daemon] is clf or json, not '%.64s'",
		    gp_config_path(cfg), gp_config_line(cfg, "daemon", "access_log_format"), v);
		return -1;
	}
	out->publish_dir = gp_config_str(cfg, "daemon", "publish_dir", NULL);
	if (out->publish_dir != NULL && *out->publish_dir == '\0')
		out->publish_dir = NULL;
	return 0;
}

struct daemon_log {
	int fd;
	int json;
	char *path;
	const char *prog;
	atomic_ullong failures;
};

static int
log_open_fd(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

int
daemon_log_open(daemon_log **out, const char *path, int json, const char *prog)
{
	daemon_log *l;
	const char *pct;
	size_t n;
	int e;

	*out = NULL;
	if (path == NULL || strcmp(path, "off") == 0)
		return 0;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	n = strlen(path) + strlen(prog) + 1;
	if ((l->path = malloc(n)) == NULL) {
		free(l);
		errno = ENOMEM;
		return -1;
	}
	if ((pct = strstr(path, "%s")) != NULL)
		snprintf(l->path, n, "%.*s%s%s", (int)(pct - path), path, prog, pct + 2);
	else
		snprintf(l->path, n, "%s", path);
	l->json = json;
	l->prog = prog;
	atomic_init(&l->failures, 0);
	if ((l->fd = log_open_fd(l->path)) < 0) {
		e = errno;
		free(l->path);
		free(l);
		errno = e;
		return -1;
	}
	*out = l;
	return 0;
}

int
daemon_log_setup(daemon_log **out, const gp_config *cfg, const char *path, const char *format,
    const char *prog)
{
	daemon_settings ds;
	char err[512];
	int json;

	*out = NULL;
	if (daemon_settings_load(&ds, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	json = ds.access_log_json;
	if (format != NULL && daemon_log_format(&json, format) != 0) {
		fprintf(stderr, "%s: the access log format is clf or json, not '%.64s'\n", prog, format);
		return -1;
	}
	if (path == NULL)
		path = ds.access_log;
	if (daemon_log_open(out, path, json, prog) != 0) {
		fprintf(stderr, "%s: access log %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	return 0;
}

int
daemon_log_reopen(daemon_log *l)
{
	int fd, e;

	if (l == NULL)
		return 0;
	if ((fd = log_open_fd(l->path)) < 0)
		return -1;
	if (dup2(fd, l->fd) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

void
daemon_log_free(daemon_log *l)
{
	if (l == NULL)
		return;
	close(l->fd);
	free(l->path);
	free(l);
}

unsigned long long
daemon_log_failures(const daemon_log *l)
{
	return l != NULL ? atomic_load_explicit(&l->failures, memory_order_relaxed) : 0;
}

/* A line being built in a buffer of its thread's stack. */
typedef struct line {
	char b[LINE_MAX_BYTES];
	size_t n;
} line;

static void
put(line *ln, const char *s, size_t len)
{
	if (len > sizeof(ln->b) - 1 - ln->n)
		len = sizeof(ln->b) - 1 - ln->n;
	memcpy(ln->b + ln->n, s, len);
	ln->n += len;
}

static void
puts_(line *ln, const char *s)
{
	put(ln, s, strlen(s));
}

static void
putf(line *ln, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
putf(line *ln, const char *fmt, ...)
{
	size_t room = sizeof(ln->b) - 1 - ln->n;   /* one byte kept for the '\n' */
	va_list ap;
	int k;

	if (room == 0)
		return;
	va_start(ap, fmt);
	k = vsnprintf(ln->b + ln->n, room, fmt, ap);
	va_end(ap);
	if (k > 0)   /* vsnprintf wrote at most room - 1 bytes and a NUL */
		ln->n += (size_t)k < room ? (size_t)k : room - 1;
}

/* The escape of ch in a quoted CLF field (\xHH) or a JSON string (\",
 * \\, \u00HH) into e; 0 when ch is printable ASCII, written as it is. */
static int
escape_char(char e[8], unsigned char ch, int json)
{
	if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
		return 0;
	if (json && (ch == '"' || ch == '\\'))
		snprintf(e, 8, "\\%c", ch);
	else if (json)
		snprintf(e, 8, "\\u%04x", ch);
	else
		snprintf(e, 8, "\\x%02x", ch);
	return 1;
}

/* s escaped by escape_char, in at most max bytes of the line: past them
 * it is cut and "..." marks the cut.  Counted on what is written, not on
 * s: a path of newlines is four times as long escaped, and must not fill
 * the line before its status and size. */
static void
put_escaped(line *ln, const char *s, size_t max, int json)
{
	char e[8], one[2] = { 0, 0 };
	const char *w;
	size_t end = ln->n + max, k;

	for (; *s != '\0'; s++) {
		if (escape_char(e, (unsigned char)*s, json))
			w = e;
		else {
			one[0] = *s;
			w = one;
		}
		k = strlen(w);
		/* room for this and, unless it is the last, the "..." */
		if (ln->n + k + (s[1] != '\0' ? 3 : 0) > end) {
			puts_(ln, "...");
			return;
		}
		put(ln, w, k);
	}
}

void
daemon_json_string(FILE *f, const char *s)
{
	char e[8];

	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (escape_char(e, (unsigned char)*s, 1))
			fputs(e, f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
remote_str(char *out, size_t size, const struct sockaddr *sa)
{
	if (sa != NULL && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size))
		return;
	if (sa != NULL && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
	    (socklen_t)size))
		return;
	snprintf(out, size, "-");
}

void
daemon_log_write(daemon_log *l, const daemon_log_req *q)
{
	line ln;
	char host[INET6_ADDRSTRLEN], when[40];
	struct tm tm;
	ssize_t w;

	if (l == NULL)
		return;
	ln.n = 0;
	remote_str(host, sizeof(host), q->remote);
	gmtime_r(&q->start.tv_sec, &tm);
	if (l->json) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		putf(&ln, "{\"time\":\"%s.%03ldZ\",\"daemon\":\"%s\",\"remote\":\"%s\",\"method\":\"",
		    when, q->start.tv_nsec / 1000000, l->prog, host);
		put_escaped(&ln, q->method, 32, 1);
		puts_(&ln, "\",\"path\":\"");
		put_escaped(&ln, q->path, PATH_LOGGED, 1);
		puts_(&ln, "\",\"protocol\":\"");
		put_escaped(&ln, q->protocol, 16, 1);
		puts_(&ln, "\",\"status\":");
		if (q->status == 0)
			puts_(&ln, "null");   /* no answer was sent */
		else
			putf(&ln, "%u", q->status);
		putf(&ln, ",\"bytes\":%llu,\"duration_ms\":%.3f}", q->bytes,
		    (double)q->duration_ns / 1e6);
	} else {
		/* the Common Log Format: host ident authuser [date] "request"
		 * status bytes; ident and authuser are never logged */
		strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		putf(&ln, "%s - - [%s] \"", host, when);
		put_escaped(&ln, q->method, 32, 0);
		puts_(&ln, " ");
		put_escaped(&ln, q->path, PATH_LOGGED, 0);
		puts_(&ln, " ");
		put_escaped(&ln, q->protocol, 16, 0);
		if (q->status == 0)
			puts_(&ln, "\" - -");
		else if (q->bytes == 0)
			putf(&ln, "\" %u -", q->status);
		else
			putf(&ln, "\" %u %llu", q->status, q->bytes);
	}
	ln.b[ln.n++] = '\n';
	/* one write(2), O_APPEND: lines of other threads do not mix in */
	w = write(l->fd, ln.b, ln.n);
	if (w < 0 || (size_t)w != ln.n)
		atomic_fetch_add_explicit(&l->failures, 1, memory_order_relaxed);
}
