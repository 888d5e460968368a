/* tools/daemon_http.h: request checks the HTTP library leaves to ocsp-responder, ra-server and tsa-server */
#ifndef GP_DAEMON_HTTP_H
#define GP_DAEMON_HTTP_H

#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

/* Enough MHD_OptionItems for daemon_http_options, with its end mark. */
#define DAEMON_HTTP_NOPTIONS 2

/*
 * Fills opts with the options daemon_request_check needs (the unescaper
 * below); pass them as MHD_OPTION_ARRAY to MHD_start_daemon.
 */
void daemon_http_options(struct MHD_OptionItem *opts);

/*
 * MHD_OPTION_UNESCAPE_CALLBACK: libmicrohttpd's own percent-decoding of
 * the path and the query, except that "%00" is left as it is.  Decoded,
 * it would end the C string the handlers get, so that "/x/12%00junk"
 * looked like "/x/12"; kept, daemon_request_check refuses it.
 */
size_t daemon_unescape(void *cls, struct MHD_Connection *c, char *s);

/*
 * What is wrong with the request on c whose path is url and protocol
 * version is version, as a phrase for a 400 answer, or NULL when nothing
 * is.  Refused:
 *   - an HTTP/1.1 request without Host (RFC 9112 §3.2: a server MUST
 *     answer 400);
 *   - Content-Length given twice with different values (RFC 9112 §6.3:
 *     the framing is unknown, 400 and close);
 *   - "%00" in the path or the query (a NUL in the request target).
 * Call it at a request's first call of the access handler, and answer 400
 * then (libmicrohttpd closes the connection after it: the body, if any,
 * was not read).
 */
const char *daemon_request_check(struct MHD_Connection *c, const char *url, const char *version);

/*
 * Parses an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete
 * RFC 850 and asctime forms a recipient must accept) into *out.  Returns
 * 0, or -1 for anything else.
 */
int daemon_http_date(time_t *out, const char *s);

/*
 * 1 when the client on c holds the representation whose strong ETag is
 * etag and whose Last-Modified is last_modified already (RFC 9110 §13.1):
 * an If-None-Match that names etag (or is "*"); else, and only without
 * If-None-Match (§13.1.3), an If-Modified-Since not before last_modified.
 * A date that does not parse or lies in the future is ignored (§13.1.3).
 */
int daemon_http_not_modified(struct MHD_Connection *c, const char *etag, int64_t last_modified);

#endif
