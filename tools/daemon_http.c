/* tools/daemon_http.c: request checks the HTTP library leaves to ocsp-responder, ra-server and tsa-server */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <govpki/x509util.h>

#include "daemon_http.h"

void
daemon_http_options(struct MHD_OptionItem *o)
{
	/* two pointers: the first as intptr_t (microhttpd.h, MHD_OPTION_ARRAY) */
	o[0] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)daemon_unescape,
	    NULL };
	o[1] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

size_t
daemon_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s, *p = s, *z;
	size_t n;

	(void)cls;
	(void)c;
	/* each piece between two "%00" through MHD's decoder, moved down to
	 * where the output has got to (the output is never longer) */
	for (;;) {
		z = strstr(p, "%00");
		if (z != NULL)
			*z = '\0';
		n = MHD_http_unescape(p);
		memmove(w, p, n);
		w += n;
		if (z == NULL)
			break;
		memcpy(w, "%00", 3);
		w += 3;
		p = z + 3;
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* What one pass over the headers and the query arguments found. */
struct seen {
	const char *length;          /* the first Content-Length */
	int lengths_differ;
	int host;
	int nul;
};

static enum MHD_Result
seen_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct seen *x = cls;

	if (kind == MHD_GET_ARGUMENT_KIND) {
		if ((key != NULL && strstr(key, "%00") != NULL) ||
		    (value != NULL && strstr(value, "%00") != NULL))
			x->nul = 1;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		x->host = 1;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (value == NULL)
			value = "";
		if (x->length == NULL)
			x->length = value;
		else if (strcmp(x->length, value) != 0)
			x->lengths_differ = 1;
	}
	return MHD_YES;
}

const char *
daemon_request_check(struct MHD_Connection *c, const char *url, const char *version)
{
	struct seen x = { NULL, 0, 0, 0 };

	/* one pass: this runs on every request, the cached OCSP GET's too */
	MHD_get_connection_values(c, (enum MHD_ValueKind)(MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND),
	    seen_cb, &x);
	if (!x.host && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
		return "an HTTP/1.1 request needs a Host header (RFC 9112 3.2)";
	if (x.lengths_differ)
		return "two different Content-Length headers (RFC 9112 6.3)";
	if (x.nul || strstr(url, "%00") != NULL)
		return "a NUL (%00) in the request target";
	return NULL;
}

int
daemon_http_date(time_t *out, const char *s)
{
	int64_t t;

	/* RFC 9110 §5.6.7, read by gp_time_parse against OpenSSL's calendar:
	 * "30 Feb" or a 60th second is no date (and a conditional request
	 * that carries one is answered as if it had none, §13.1.3) */
	if (gp_time_parse(&t, s, GP_TIME_HTTP) != 0)
		return -1;
	*out = (time_t)t;
	return 0;
}

int
daemon_http_not_modified(struct MHD_Connection *c, const char *etag, int64_t last_modified)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims;
	time_t t;

	if (inm != NULL) {
		while (*inm == ' ')
			inm++;
		return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
	}
	ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	return ims != NULL && daemon_http_date(&t, ims) == 0 && t <= time(NULL) &&
	    last_modified <= (int64_t)t;
}
