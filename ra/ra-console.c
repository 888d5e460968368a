/* ra/ra-console.c: the officers' web console: its static files under /console/, with the headers that keep the page to itself */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ra_server.h"

#define CONSOLE_MAX_FILE (4 << 20)

/*
 * The page runs only its own scripts and styles from this origin (no
 * inline script or style, no eval: CSP Level 3 §6), talks only to this
 * origin, is never framed (frame-ancestors, against clickjacking) and
 * sends no Referer out (the URL may name a request or serial).
 */
#define CONSOLE_HEADERS \
	"Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'\n" \
	"X-Content-Type-Options: nosniff\n" \
	"Referrer-Policy: no-referrer\n" \
	"X-Frame-Options: DENY\n" \
	"Cross-Origin-Opener-Policy: same-origin\n" \
	"Cross-Origin-Resource-Policy: same-origin\n"

int
console_path(const char *url)
{
	return strcmp(url, "/console") == 0 || strncmp(url, "/console/", 9) == 0;
}

/* The media type by the name's ending (nosniff makes it binding). */
static const char *
media_type(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

/* A name under the console's folder: segments of [A-Za-z0-9_-] then
 * [A-Za-z0-9._-], so no "..", no hidden file, no empty segment.  The URL
 * arrives percent-decoded (libmicrohttpd), so %2e%2e is ".." here. */
static int
name_ok(const char *rel)
{
	size_t seg = 0, n = strlen(rel);

	if (n == 0 || n > 200)
		return 0;
	for (const char *p = rel; *p; p++) {
		char c = *p;

		if (c == '/') {
			if (seg == 0)
				return 0;
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || (c == '.' && seg > 0)))
			return 0;
		seg++;
	}
	return seg > 0;
}

static void
not_found(hresp *rs, const char *url)
{
	problem(rs, 404, "not-found", "Not found", "no console file %.200s", url);
}

void
console_handle(hreq *rq, hresp *rs)
{
	const char *rel, *type;
	char path[4096];
	struct stat sb;
	char *body = NULL;
	size_t got = 0;
	int fd = -1;

	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		rs->allow = strdup("GET, HEAD");
		problem(rs, 405, "method-not-allowed", "Method not allowed",
		    "the console's files are only read (GET, HEAD)");
		return;
	}
	if (strcmp(rq->url, "/console") == 0) {
		snprintf(rs->location, sizeof(rs->location), "/console/");
		rs->status = 308;
		rs->ctype = "text/plain; charset=utf-8";
		rs->body = strdup("/console/\n");
		rs->len = rs->body ? strlen(rs->body) : 0;
		return;
	}
	rel = rq->url + strlen("/console/");
	if (*rel == '\0')
		rel = "index.html";
	if (!name_ok(rel) || (type = media_type(rel)) == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", ra_srv->set.console_dir, rel) >= (int)sizeof(path)) {
		not_found(rs, rq->url);
		return;
	}
	/* no link followed at the last step, only a regular file */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0 ||
	    !S_ISREG(sb.st_mode) || sb.st_size > CONSOLE_MAX_FILE) {
		if (fd >= 0)
			close(fd);
		not_found(rs, rq->url);
		return;
	}
	if ((body = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		problem(rs, 500, "internal", "Internal error", "out of memory");
		return;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t k = read(fd, body + got, (size_t)sb.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		free(body);
		problem(rs, 500, "internal", "Internal error", "cannot read %.200s", rel);
		return;
	}
	rs->body = body;
	rs->len = got;
	rs->status = 200;
	rs->ctype = type;
	rs->headers = strdup(CONSOLE_HEADERS);
}
