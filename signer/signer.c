/* signer/signer.c: the library's client of ca-signer: connect, send one request, read its reply */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/x509.h>

#include <govpki/signer.h>

#include "error_int.h"
#include "signer_proto.h"
#include "util.h"

struct gp_signer {
	char *path;
	int fd;                  /* -1: not connected */
};

static int
sock_open(gp_signer *s)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(s->path) >= sizeof(sa.sun_path))
		return gp_err(GP_E_INVALID, "signer socket path %.64s... is too long", s->path);
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return gp_err(GP_E_IO, "signer socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		return gp_err(GP_E_IO, "cannot reach ca-signer at %s: %s", s->path, strerror(e));
	}
	s->fd = fd;
	return 0;
}

static void
sock_close(gp_signer *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* A handle for path; connected at once when connect is set. */
static int
signer_new(gp_signer **out, const char *path, int connect)
{
	gp_signer *s;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || path == NULL || path[0] == '\0')
		return gp_err(GP_E_INVALID, "gp_signer_connect: no socket path");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	s->fd = -1;
	if ((r = gp_strdup(&s->path, path)) != 0 || (connect && (r = sock_open(s)) != 0)) {
		gp_signer_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int
gp_signer_connect(gp_signer **out, const char *path)
{
	return signer_new(out, path, 1);
}

int
gp_signer_new(gp_signer **out, const char *path)
{
	return signer_new(out, path, 0);
}

const char *
gp_signer_path(const gp_signer *s)
{
	return s != NULL ? s->path : NULL;
}

void
gp_signer_free(gp_signer *s)
{
	if (s == NULL)
		return;
	sock_close(s);
	free(s->path);
	free(s);
}

/*
 * Sends req and reads its reply into *rep.  A connection found closed
 * (the signer restarted, or closed an idle one) is opened again once,
 * before anything of this request was answered.  A reply of another type
 * is GP_E_PARSE; the connection is dropped after any failure, so that the
 * next call starts in step.
 */
static int
exchange(gp_signer_msg **rep, gp_signer *s, const gp_signer_msg *req)
{
	int r = 0;

	*rep = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (s->fd < 0 && (r = sock_open(s)) != 0)
			return r;
		if ((r = gp_signer_send(s->fd, req)) == 0 && (r = gp_signer_recv(rep, s->fd)) == 0)
			break;
		sock_close(s);
		/* an end before the reply's first byte: the signer had closed
		 * this connection; any other failure is not retried */
		if (r != GP_E_NOTFOUND && r != GP_E_IO)
			return r;
	}
	if (r != 0)
		return r == GP_E_NOTFOUND ? gp_err(GP_E_IO, "ca-signer at %s closed the connection",
		    s->path) : r;
	if ((*rep)->type != (req->type | GP_SIGNER_REPLY)) {
		uint32_t t = (*rep)->type;

		gp_signer_msg_free(*rep);
		*rep = NULL;
		sock_close(s);
		return gp_err(GP_E_PARSE, "ca-signer answered a %s request with type 0x%08x",
		    gp_signer_type_name(req->type), (unsigned)t);
	}
	return 0;
}

/* The reply's status as ours: 0, or its GP_E_* with its message. */
static int
reply_status(const gp_signer_msg *rep)
{
	int st;

	if (rep->num == 0)
		return 0;
	st = rep->num < 0 && rep->num > GP_E__LAST ? (int)rep->num : GP_E_INTERNAL;
	return gp_err(st, "ca-signer: %s", rep->text != NULL ? rep->text : "refused");
}

int
gp_signer_health(gp_signer *s)
{
	gp_signer_msg *req = NULL, *rep = NULL;
	unsigned char rnd[4];
	char want[24];
	int r;

	if (s == NULL)
		return gp_err(GP_E_INVALID, "gp_signer_health: no signer");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "random nonce");
	if ((r = gp_signer_msg_new(&req, GP_SIGNER_HEALTH)) != 0)
		return r;
	req->num = (int64_t)gp_get_be32(rnd);
	if ((r = exchange(&rep, s, req)) != 0 || (r = reply_status(rep)) != 0)
		goto out;
	snprintf(want, sizeof(want), "%lld", (long long)req->num);
	if (rep->text == NULL || strcmp(rep->text, want) != 0)
		r = gp_err(GP_E_VERIFY, "ca-signer did not echo the health nonce");
out:
	gp_signer_msg_free(req);
	gp_signer_msg_free(rep);
	return r;
}

/* Sends req and reads the one certificate of its reply into *out. */
static int
issue_call(X509 **out, gp_signer *s, const gp_signer_msg *req)
{
	gp_signer_msg *rep = NULL;
	const unsigned char *p;
	X509 *x = NULL;
	int r;

	if ((r = exchange(&rep, s, req)) != 0 || (r = reply_status(rep)) != 0)
		goto out;
	if (rep->nitems != 1) {
		r = gp_err(GP_E_PARSE, "ca-signer answered with %zu certificates", rep->nitems);
		goto out;
	}
	p = rep->item[0];
	if ((x = d2i_X509(NULL, &p, (long)rep->item_len[0])) == NULL ||
	    p != rep->item[0] + rep->item_len[0]) {
		X509_free(x);
		r = gp_err_ossl(GP_E_PARSE, "ca-signer's certificate does not parse");
		goto out;
	}
	*out = x;
	r = 0;
out:
	gp_signer_msg_free(rep);
	return r;
}

int
gp_signer_issue_approved(X509 **out, gp_signer *s, int64_t id)
{
	gp_signer_msg *req = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || s == NULL || id < 1)
		return gp_err(GP_E_INVALID, "gp_signer_issue_approved: bad arguments");
	if ((r = gp_signer_msg_new(&req, GP_SIGNER_ISSUE_APPROVED)) != 0)
		return r;
	req->num = id;
	r = issue_call(out, s, req);
	gp_signer_msg_free(req);
	return r;
}

int
gp_signer_issue_auto(X509 **out, gp_signer *s, int64_t id, const char *channel, int64_t order)
{
	gp_signer_msg *req = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || s == NULL || id < 1 || channel == NULL || order < 0)
		return gp_err(GP_E_INVALID, "gp_signer_issue_auto: bad arguments");
	if ((r = gp_signer_msg_new(&req, GP_SIGNER_ISSUE_AUTO)) != 0)
		return r;
	req->num = id;
	req->num2 = order;
	if ((r = gp_signer_msg_set_name(req, channel)) == 0)
		r = issue_call(out, s, req);
	gp_signer_msg_free(req);
	return r;
}

int
gp_signer_sign_crl(unsigned char **der, size_t *len, gp_signer *s, const char *ca, int delta)
{
	gp_signer_msg *req = NULL, *rep = NULL;
	int r;

	if (der != NULL)
		*der = NULL;
	if (len != NULL)
		*len = 0;
	if (der == NULL || len == NULL || s == NULL || ca == NULL || (delta != 0 && delta != 1))
		return gp_err(GP_E_INVALID, "gp_signer_sign_crl: bad arguments");
	if ((r = gp_signer_msg_new(&req, GP_SIGNER_SIGN_CRL)) != 0)
		return r;
	req->num = delta;
	if ((r = gp_signer_msg_set_name(req, ca)) != 0 || (r = exchange(&rep, s, req)) != 0 ||
	    (r = reply_status(rep)) != 0)
		goto out;
	if (rep->nitems != 1 || rep->item_len[0] == 0) {
		r = gp_err(GP_E_PARSE, "ca-signer answered sign-crl with %zu items", rep->nitems);
		goto out;
	}
	if ((*der = OPENSSL_malloc(rep->item_len[0])) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*der, rep->item[0], rep->item_len[0]);
	*len = rep->item_len[0];
	r = 0;
out:
	gp_signer_msg_free(req);
	gp_signer_msg_free(rep);
	return r;
}

int
gp_signer_sign_ocsp_batch(unsigned char **parts, size_t *lens, gp_signer *s, int presign,
    const char *ca, const unsigned char *const *tbs, const size_t *tbslens, size_t n)
{
	gp_signer_msg *req = NULL, *rep = NULL;
	size_t i;
	int r;

	for (i = 0; parts != NULL && lens != NULL && i < n; i++) {
		parts[i] = NULL;
		lens[i] = 0;
	}
	if (parts == NULL || lens == NULL || s == NULL || ca == NULL || tbs == NULL ||
	    tbslens == NULL || n < 1 || n > GP_SIGNER_MAX_ITEMS)
		return gp_err(GP_E_INVALID, "gp_signer_sign_ocsp: bad arguments");
	if ((r = gp_signer_msg_new(&req, presign ? GP_SIGNER_PRESIGN : GP_SIGNER_SIGN_OCSP)) != 0)
		return r;
	if ((r = gp_signer_msg_set_name(req, ca)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = gp_signer_msg_add_item(req, tbs[i], tbslens[i])) != 0)
			goto out;
	if ((r = exchange(&rep, s, req)) != 0 || (r = reply_status(rep)) != 0)
		goto out;
	if (rep->nitems != n) {
		r = gp_err(GP_E_PARSE, "ca-signer answered %zu signatures for %zu responses",
		    rep->nitems, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((parts[i] = OPENSSL_malloc(rep->item_len[i] ? rep->item_len[i] : 1)) == NULL) {
			r = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(parts[i], rep->item[i], rep->item_len[i]);
		lens[i] = rep->item_len[i];
	}
	r = 0;
out:
	if (r != 0)
		for (i = 0; i < n; i++) {
			OPENSSL_free(parts[i]);
			parts[i] = NULL;
			lens[i] = 0;
		}
	gp_signer_msg_free(req);
	gp_signer_msg_free(rep);
	return r;
}

int
gp_signer_sign_ocsp(unsigned char **part, size_t *len, gp_signer *s, const char *ca,
    const unsigned char *tbs, size_t tbslen)
{
	return gp_signer_sign_ocsp_batch(part, len, s, 0, ca, &tbs, &tbslen, 1);
}

/* Element i's status and reason from a batch reply's message: lines of
 * "INDEX STATUS REASON" for the refused elements. */
static void
batch_reason(const char *text, size_t i, int *rc, char *why, size_t len)
{
	const char *p = text;

	*rc = GP_E_POLICY;
	snprintf(why, len, "refused by ca-signer (the reason is in its audit)");
	while (p != NULL && *p != '\0') {
		char *e;
		unsigned long long k = strtoull(p, &e, 10);

		if (e != p && *e == ' ' && k == (unsigned long long)i) {
			long st = strtol(e + 1, &e, 10);
			size_t n;

			if (st < 0 && st > GP_E__LAST)
				*rc = (int)st;
			if (*e == ' ')
				e++;
			n = strcspn(e, "\n");
			snprintf(why, len, "%.*s", (int)(n < len ? n : len - 1), e);
			return;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
}

int
gp_signer_issue_batch(X509 **certs, int *rcs, char (*why)[256], gp_signer *s, const char *ca,
    const char *profile, int days, const unsigned char *const *csrs, const size_t *lens,
    size_t n)
{
	gp_signer_msg *req = NULL, *rep = NULL;
	size_t i;
	int r;

	for (i = 0; certs != NULL && rcs != NULL && why != NULL && i < n; i++) {
		certs[i] = NULL;
		rcs[i] = 0;
		why[i][0] = '\0';
	}
	if (certs == NULL || rcs == NULL || why == NULL || s == NULL || ca == NULL ||
	    profile == NULL || days < 0 || csrs == NULL || lens == NULL || n < 1 ||
	    n > GP_SIGNER_MAX_ITEMS)
		return gp_err(GP_E_INVALID, "gp_signer_issue_batch: bad arguments");
	if ((r = gp_signer_msg_new(&req, GP_SIGNER_ISSUE_BATCH)) != 0)
		return r;
	req->num = days;
	if ((r = gp_signer_msg_set_name(req, ca)) != 0 || (r = gp_signer_msg_set_text(req, profile)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = gp_signer_msg_add_item(req, csrs[i], lens[i])) != 0)
			goto out;
	if ((r = exchange(&rep, s, req)) != 0 || (r = reply_status(rep)) != 0)
		goto out;
	if (rep->nitems != n) {
		r = gp_err(GP_E_PARSE, "ca-signer answered %zu certificates for %zu requests",
		    rep->nitems, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const unsigned char *p = rep->item[i];

		if (rep->item_len[i] == 0) {
			batch_reason(rep->text, i, &rcs[i], why[i], sizeof(why[i]));
			continue;
		}
		if ((certs[i] = d2i_X509(NULL, &p, (long)rep->item_len[i])) == NULL ||
		    p != rep->item[i] + rep->item_len[i]) {
			X509_free(certs[i]);
			certs[i] = NULL;
			rcs[i] = gp_err_ossl(GP_E_PARSE, "ca-signer's certificate %zu does not parse", i);
			snprintf(why[i], sizeof(why[i]), "%s", gp_error_last());
		}
	}
	r = 0;
out:
	if (r != 0)
		for (i = 0; i < n; i++) {
			X509_free(certs[i]);
			certs[i] = NULL;
		}
	gp_signer_msg_free(req);
	gp_signer_msg_free(rep);
	return r;
}
