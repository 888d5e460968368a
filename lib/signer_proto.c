/* lib/signer_proto.c: the ca-signer wire protocol: framing, DER bodies through OpenSSL templates, socket I/O */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "error_int.h"
#include "signer_proto.h"
#include "util.h"

/*
 * One C struct behind every body; each type's template names the fields
 * that type has (a template leaves the others NULL), so that a body of
 * one type never decodes as another's:
 *
 *   Health        ::= SEQUENCE { nonce INTEGER }
 *   IssueApproved ::= SEQUENCE { requestId INTEGER }
 *   IssueAuto     ::= SEQUENCE { requestId INTEGER, channel UTF8String,
 *                                order INTEGER }
 *   IssueBatch    ::= SEQUENCE { days INTEGER, ca UTF8String,
 *                                profile UTF8String, csrs SEQUENCE OF OCTET STRING }
 *   SignCRL       ::= SEQUENCE { delta INTEGER, ca UTF8String }
 *   SignOCSP, Presign ::= SEQUENCE { ca UTF8String,
 *                                tbsResponseData SEQUENCE OF OCTET STRING }
 *   SealMake      ::= SEQUENCE { maker UTF8String, data SEQUENCE OF OCTET STRING }
 *   Reply         ::= SEQUENCE { status INTEGER, message UTF8String,
 *                                items SEQUENCE OF OCTET STRING }
 *   DebugSyscall  ::= SEQUENCE { nonce INTEGER }   (carried out by test builds only)
 */
DEFINE_STACK_OF(ASN1_OCTET_STRING)

typedef struct {
	ASN1_INTEGER *num;
	ASN1_UTF8STRING *name;
	ASN1_UTF8STRING *text;
	STACK_OF(ASN1_OCTET_STRING) *items;
	ASN1_INTEGER *num2;
} GP_SIGNER_BODY;

ASN1_SEQUENCE(GP_SIGNER_NUM) = {
	ASN1_SIMPLE(GP_SIGNER_BODY, num, ASN1_INTEGER)
} static_ASN1_SEQUENCE_END_name(GP_SIGNER_BODY, GP_SIGNER_NUM)

ASN1_SEQUENCE(GP_SIGNER_AUTO) = {
	ASN1_SIMPLE(GP_SIGNER_BODY, num, ASN1_INTEGER),
	ASN1_SIMPLE(GP_SIGNER_BODY, name, ASN1_UTF8STRING),
	ASN1_SIMPLE(GP_SIGNER_BODY, num2, ASN1_INTEGER)
} static_ASN1_SEQUENCE_END_name(GP_SIGNER_BODY, GP_SIGNER_AUTO)

ASN1_SEQUENCE(GP_SIGNER_BATCH) = {
	ASN1_SIMPLE(GP_SIGNER_BODY, num, ASN1_INTEGER),
	ASN1_SIMPLE(GP_SIGNER_BODY, name, ASN1_UTF8STRING),
	ASN1_SIMPLE(GP_SIGNER_BODY, text, ASN1_UTF8STRING),
	ASN1_SEQUENCE_OF(GP_SIGNER_BODY, items, ASN1_OCTET_STRING)
} static_ASN1_SEQUENCE_END_name(GP_SIGNER_BODY, GP_SIGNER_BATCH)

ASN1_SEQUENCE(GP_SIGNER_CRL) = {
	ASN1_SIMPLE(GP_SIGNER_BODY, num, ASN1_INTEGER),
	ASN1_SIMPLE(GP_SIGNER_BODY, name, ASN1_UTF8STRING)
} static_ASN1_SEQUENCE_END_name(GP_SIGNER_BODY, GP_SIGNER_CRL)

ASN1_SEQUENCE(GP_SIGNER_ITEMS) = {
	ASN1_SIMPLE(GP_SIGNER_BODY, name, ASN1_UTF8STRING),
	ASN1_SEQUENCE_OF(GP_SIGNER_BODY, items, ASN1_OCTET_STRING)
} static_ASN1_SEQUENCE_END_name(GP_SIGNER_BODY, GP_SIGNER_ITEMS)

ASN1_SEQUENCE(GP_SIGNER_REPLY_BODY) = {
	ASN1_SIMPLE(GP_SIGNER_BODY, num, ASN1_INTEGER),
	ASN1_SIMPLE(GP_SIGNER_BODY, text, ASN1_UTF8STRING),
	ASN1_SEQUENCE_OF(GP_SIGNER_BODY, items, ASN1_OCTET_STRING)
} static_ASN1_SEQUENCE_END_name(GP_SIGNER_BODY, GP_SIGNER_REPLY_BODY)

/* What each request type carries: its template, the bounds of num and of
 * the number of items, whether it has a name and a text, the bounds of
 * num2 (when it has one) and the names it allows (NULL: any). */
struct type_rule {
	uint32_t type;
	const char *name;
	const ASN1_ITEM *(*item)(void);
	int64_t num_min, num_max;
	size_t items_min, items_max;
	int has_name, has_text;
	int64_t num2_min, num2_max;
	const char *const *names;
};

/* the channels of issue-auto-request (docs/signer.md) */
static const char *const auto_channels[] = { "est", "acme", "cmp", "scep", NULL };

static const struct type_rule rules[] = {
	{ GP_SIGNER_HEALTH, "health", GP_SIGNER_NUM_it, INT64_MIN, INT64_MAX, 0, 0, 0, 0, 0, 0, NULL },
	{ GP_SIGNER_ISSUE_APPROVED, "issue-approved-request", GP_SIGNER_NUM_it, 1, INT64_MAX,
	  0, 0, 0, 0, 0, 0, NULL },
	/* requestId, channel, order (an ACME order's id; 0 for EST and CMP) */
	{ GP_SIGNER_ISSUE_AUTO, "issue-auto-request", GP_SIGNER_AUTO_it, 1, INT64_MAX, 0, 0, 1, 0,
	  0, INT64_MAX, auto_channels },
	{ GP_SIGNER_ISSUE_BATCH, "issue-batch", GP_SIGNER_BATCH_it, 0, 36500,
	  1, GP_SIGNER_MAX_ITEMS, 1, 1, 0, 0, NULL },
	{ GP_SIGNER_SIGN_CRL, "sign-crl", GP_SIGNER_CRL_it, 0, 1, 0, 0, 1, 0, 0, 0, NULL },
	{ GP_SIGNER_SIGN_OCSP, "sign-ocsp", GP_SIGNER_ITEMS_it, 0, 0,
	  1, GP_SIGNER_MAX_ITEMS, 1, 0, 0, 0,
	  NULL },
	{ GP_SIGNER_PRESIGN, "presign", GP_SIGNER_ITEMS_it, 0, 0, 1, GP_SIGNER_MAX_ITEMS, 1, 0, 0, 0,
	  NULL },
	{ GP_SIGNER_SEAL_MAKE, "seal-make", GP_SIGNER_ITEMS_it, 0, 0, 1, GP_SIGNER_MAX_ITEMS,
	  1, 0, 0, 0, NULL },
	/* parsed everywhere; only the test build of ca-signer carries it out */
	{ GP_SIGNER_DEBUG_SYSCALL, "debug-syscall", GP_SIGNER_NUM_it, INT64_MIN, INT64_MAX,
	  0, 0, 0, 0, 0, 0, NULL },
};

/* A reply: any status, a message, up to GP_SIGNER_MAX_ITEMS items. */
static const struct type_rule reply_rule = {
	GP_SIGNER_REPLY, "reply", GP_SIGNER_REPLY_BODY_it, INT64_MIN, INT64_MAX,
	0, GP_SIGNER_MAX_ITEMS, 0, 1, 0, 0, NULL
};

/* The rule of type (a reply: reply_rule when its request type is known). */
static const struct type_rule *
rule_of(uint32_t type)
{
	if ((type & GP_SIGNER_REPLY) != 0)
		return rule_of(type & ~GP_SIGNER_REPLY) != NULL ? &reply_rule : NULL;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

const char *
gp_signer_type_name(uint32_t type)
{
	const struct type_rule *t = rule_of(type & ~GP_SIGNER_REPLY);

	return t != NULL ? t->name : NULL;
}

static const unsigned char magic[4] = { 'G', 'P', 'S', GP_SIGNER_VERSION };

int
gp_signer_hdr_parse(uint32_t *type, uint32_t *len, const unsigned char *hdr)
{
	*type = 0;
	*len = 0;
	if (memcmp(hdr, magic, 3) != 0)
		return gp_err(GP_E_PARSE, "signer message: not a govpki signer message");
	if (hdr[3] != GP_SIGNER_VERSION)
		return gp_err(GP_E_PARSE, "signer message: version %u (this signer speaks %u)",
		    hdr[3], GP_SIGNER_VERSION);
	if (rule_of(gp_get_be32(hdr + 4)) == NULL)
		return gp_err(GP_E_PARSE, "signer message: unknown type 0x%08x", gp_get_be32(hdr + 4));
	if (gp_get_be32(hdr + 8) > GP_SIGNER_MAX_BODY)
		return gp_err(GP_E_PARSE, "signer message: body of %u bytes (at most %u)",
		    gp_get_be32(hdr + 8), GP_SIGNER_MAX_BODY);
	*type = gp_get_be32(hdr + 4);
	*len = gp_get_be32(hdr + 8);
	return 0;
}

void
gp_signer_msg_free(gp_signer_msg *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->text);
	for (size_t i = 0; i < m->nitems; i++)
		free(m->item[i]);
	free(m->item);
	free(m->item_len);
	free(m);
}

int
gp_signer_msg_new(gp_signer_msg **out, uint32_t type)
{
	*out = NULL;
	if (rule_of(type) == NULL)
		return gp_err(GP_E_INVALID, "signer message: unknown type 0x%08x", type);
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	(*out)->type = type;
	return 0;
}

/* The largest item of a message of type: a request's GP_SIGNER_MAX_ITEM;
 * a reply's may fill the body (sign-crl's one item is the CRL). */
static size_t
item_max(uint32_t type)
{
	return (type & GP_SIGNER_REPLY) ? GP_SIGNER_MAX_BODY : GP_SIGNER_MAX_ITEM;
}

int
gp_signer_msg_add_item(gp_signer_msg *m, const unsigned char *p, size_t len)
{
	unsigned char **item;
	size_t *ilen;
	unsigned char *copy;

	if (m->nitems >= GP_SIGNER_MAX_ITEMS || len > item_max(m->type))
		return gp_err(GP_E_INVALID, "signer message: more than %d items or one over %zu "
		    "bytes", GP_SIGNER_MAX_ITEMS, item_max(m->type));
	if ((item = realloc(m->item, (m->nitems + 1) * sizeof(*item))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	m->item = item;
	if ((ilen = realloc(m->item_len, (m->nitems + 1) * sizeof(*ilen))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	m->item_len = ilen;
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if (len > 0)
		memcpy(copy, p, len);
	m->item[m->nitems] = copy;
	m->item_len[m->nitems++] = len;
	return 0;
}

static int
set_str(char **dst, const char *s)
{
	char *c = NULL;
	int r;

	if ((r = gp_strdup(&c, s)) != 0)
		return r;
	free(*dst);
	*dst = c;
	return 0;
}

int
gp_signer_msg_set_name(gp_signer_msg *m, const char *s)
{
	return set_str(&m->name, s);
}

int
gp_signer_msg_set_text(gp_signer_msg *m, const char *s)
{
	return set_str(&m->text, s);
}

/* A NUL-terminated copy of a UTF8String of at most max bytes, with no NUL
 * inside and valid UTF-8 (RFC 3629), or GP_E_PARSE naming what. */
static int
str_in(char **out, const ASN1_UTF8STRING *s, int max, const char *what)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	unsigned long c;

	if (n > max)
		return gp_err(GP_E_PARSE, "signer message: %s of %d bytes (at most %d)", what, n, max);
	if (memchr(d, 0, (size_t)n) != NULL)
		return gp_err(GP_E_PARSE, "signer message: %s holds a NUL", what);
	for (int i = 0; i < n;) {
		int k = UTF8_getc(d + i, n - i, &c);

		if (k <= 0)
			return gp_err(GP_E_PARSE, "signer message: %s is not UTF-8", what);
		i += k;
	}
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memcpy(*out, d, (size_t)n);
	(*out)[n] = '\0';
	return 0;
}

/* 1 when s is one of the names t allows. */
static int
name_known(const struct type_rule *t, const char *s)
{
	for (size_t i = 0; t->names[i] != NULL; i++)
		if (strcmp(t->names[i], s) == 0)
			return 1;
	return 0;
}

/* *v from INTEGER a, within [min, max], or GP_E_PARSE. */
static int
int_in(int64_t *v, const ASN1_INTEGER *a, const struct type_rule *t, int64_t min, int64_t max)
{
	if (ASN1_INTEGER_get_int64(v, a) != 1) {
		ERR_clear_error();
		return gp_err(GP_E_PARSE, "signer message: %s: integer out of range", t->name);
	}
	if (*v < min || *v > max)
		return gp_err(GP_E_PARSE, "signer message: %s: %lld is out of bounds", t->name,
		    (long long)*v);
	return 0;
}

/* m's fields from a decoded body b, checked against t's bounds. */
static int
body_in(gp_signer_msg *m, const struct type_rule *t, const GP_SIGNER_BODY *b)
{
	int n, r;

	if (b->num != NULL && (r = int_in(&m->num, b->num, t, t->num_min, t->num_max)) != 0)
		return r;
	if (b->name != NULL) {
		if ((r = str_in(&m->name, b->name, GP_SIGNER_MAX_NAME, "name")) != 0)
			return r;
		if (m->name[0] == '\0')
			return gp_err(GP_E_PARSE, "signer message: %s: empty name", t->name);
		if (t->names != NULL && !name_known(t, m->name))
			return gp_err(GP_E_PARSE, "signer message: %s: unknown name '%.64s'", t->name,
			    m->name);
	}
	if (b->num2 != NULL && (r = int_in(&m->num2, b->num2, t, t->num2_min, t->num2_max)) != 0)
		return r;
	if (b->text != NULL && (r = str_in(&m->text, b->text,
	    (t->type & GP_SIGNER_REPLY) ? GP_SIGNER_MAX_TEXT : GP_SIGNER_MAX_NAME, "text")) != 0)
		return r;
	n = b->items != NULL ? sk_ASN1_OCTET_STRING_num(b->items) : 0;
	if ((size_t)n < t->items_min || (size_t)n > t->items_max)
		return gp_err(GP_E_PARSE, "signer message: %s with %d items (%zu to %zu)", t->name,
		    n, t->items_min, t->items_max);
	for (int i = 0; i < n; i++) {
		const ASN1_OCTET_STRING *o = sk_ASN1_OCTET_STRING_value(b->items, i);

		if ((size_t)ASN1_STRING_length(o) > item_max(t->type))
			return gp_err(GP_E_PARSE, "signer message: %s: item %d of %d bytes (at most "
			    "%zu)", t->name, i, ASN1_STRING_length(o), item_max(t->type));
		if ((r = gp_signer_msg_add_item(m, ASN1_STRING_get0_data(o),
		    (size_t)ASN1_STRING_length(o))) != 0)
			return r;
	}
	return 0;
}

int
gp_signer_body_parse(gp_signer_msg **out, uint32_t type, const unsigned char *body, size_t len)
{
	const struct type_rule *t = rule_of(type);
	const unsigned char *p = body;
	GP_SIGNER_BODY *b = NULL;
	gp_signer_msg *m = NULL;
	unsigned char *again = NULL;
	int n, r;

	*out = NULL;
	if (t == NULL)
		return gp_err(GP_E_PARSE, "signer message: unknown type 0x%08x", type);
	if (len > GP_SIGNER_MAX_BODY)
		return gp_err(GP_E_PARSE, "signer message: body of %zu bytes (at most %u)", len,
		    GP_SIGNER_MAX_BODY);
	if ((b = (GP_SIGNER_BODY *)ASN1_item_d2i(NULL, &p, (long)len, t->item())) == NULL) {
		ERR_clear_error();
		r = gp_err(GP_E_PARSE, "signer message: %s: the body is not its DER", t->name);
		goto out;
	}
	/* DER only (X.690 §10): the same bytes again, and nothing after them */
	if (p != body + len ||
	    (n = ASN1_item_i2d((ASN1_VALUE *)b, &again, t->item())) <= 0 ||
	    (size_t)n != len || memcmp(again, body, len) != 0) {
		ERR_clear_error();
		r = gp_err(GP_E_PARSE, "signer message: %s: the body is not in DER or has "
		    "trailing bytes", t->name);
		goto out;
	}
	if ((r = gp_signer_msg_new(&m, type)) != 0 || (r = body_in(m, t, b)) != 0)
		goto out;
	*out = m;
	m = NULL;
	r = 0;
out:
	OPENSSL_free(again);
	ASN1_item_free((ASN1_VALUE *)b, t != NULL ? t->item() : NULL);
	gp_signer_msg_free(m);
	return r;
}

int
gp_signer_msg_parse(gp_signer_msg **out, const unsigned char *buf, size_t len)
{
	uint32_t type, blen;
	int r;

	*out = NULL;
	if (buf == NULL || len < GP_SIGNER_HDR_LEN)
		return gp_err(GP_E_PARSE, "signer message: truncated header (%zu bytes)", len);
	if ((r = gp_signer_hdr_parse(&type, &blen, buf)) != 0)
		return r;
	if ((size_t)blen != len - GP_SIGNER_HDR_LEN)
		return gp_err(GP_E_PARSE, "signer message: header says %u bytes, %zu follow", blen,
		    len - GP_SIGNER_HDR_LEN);
	return gp_signer_body_parse(out, type, buf + GP_SIGNER_HDR_LEN, blen);
}

/* Sets UTF8String o (made by the template) to s, or GP_E_INVALID when s is
 * longer than max. */
static int
str_out(ASN1_UTF8STRING *o, const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > max)
		return gp_err(GP_E_INVALID, "signer message: a string of %zu bytes (at most %zu)",
		    n, max);
	if (ASN1_STRING_set(o, s != NULL ? s : "", (int)n) != 1)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	return 0;
}

int
gp_signer_msg_encode(unsigned char **out, size_t *outlen, const gp_signer_msg *m)
{
	const struct type_rule *t;
	const ASN1_ITEM *it;
	GP_SIGNER_BODY *b = NULL;
	unsigned char *body = NULL, *buf = NULL;
	int n, r;

	*out = NULL;
	*outlen = 0;
	if (m == NULL || (t = rule_of(m->type)) == NULL)
		return gp_err(GP_E_INVALID, "signer message: nothing to encode");
	it = t->item();
	if (m->num < t->num_min || m->num > t->num_max || m->nitems < t->items_min ||
	    m->nitems > t->items_max || (t->has_name && (m->name == NULL || m->name[0] == '\0')) ||
	    (t->names != NULL && !name_known(t, m->name)) ||
	    m->num2 < t->num2_min || m->num2 > t->num2_max)
		return gp_err(GP_E_INVALID, "signer message: %s: a field out of bounds", t->name);
	if ((b = (GP_SIGNER_BODY *)ASN1_item_new(it)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* the template made the fields this type has; fill only those */
	if ((b->num != NULL && ASN1_INTEGER_set_int64(b->num, m->num) != 1) ||
	    (b->num2 != NULL && ASN1_INTEGER_set_int64(b->num2, m->num2) != 1)) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((b->name != NULL && (r = str_out(b->name, m->name, GP_SIGNER_MAX_NAME)) != 0) ||
	    (b->text != NULL && (r = str_out(b->text, m->text, (m->type & GP_SIGNER_REPLY) ?
	    GP_SIGNER_MAX_TEXT : GP_SIGNER_MAX_NAME)) != 0))
		goto out;
	for (size_t i = 0; b->items != NULL && i < m->nitems; i++) {
		ASN1_OCTET_STRING *o = ASN1_OCTET_STRING_new();

		if (o == NULL || ASN1_OCTET_STRING_set(o, m->item[i], (int)m->item_len[i]) != 1 ||
		    sk_ASN1_OCTET_STRING_push(b->items, o) <= 0) {
			ASN1_OCTET_STRING_free(o);
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((n = ASN1_item_i2d((ASN1_VALUE *)b, &body, it)) <= 0) {
		r = gp_err_ossl(GP_E_INTERNAL, "signer message: encoding %s", t->name);
		goto out;
	}
	if ((size_t)n > GP_SIGNER_MAX_BODY) {
		r = gp_err(GP_E_INVALID, "signer message: %s of %d bytes (at most %u)", t->name, n,
		    GP_SIGNER_MAX_BODY);
		goto out;
	}
	if ((buf = OPENSSL_malloc(GP_SIGNER_HDR_LEN + (size_t)n)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(buf, magic, 4);
	gp_put_be32(buf + 4, m->type);
	gp_put_be32(buf + 8, (uint32_t)n);
	memcpy(buf + GP_SIGNER_HDR_LEN, body, (size_t)n);
	*out = buf;
	*outlen = GP_SIGNER_HDR_LEN + (size_t)n;
	buf = NULL;
	r = 0;
out:
	OPENSSL_free(body);
	OPENSSL_free(buf);
	ASN1_item_free((ASN1_VALUE *)b, it);
	return r;
}

int
gp_signer_send(int fd, const gp_signer_msg *m)
{
	unsigned char *buf = NULL;
	size_t len = 0, done = 0;
	int r;

	if ((r = gp_signer_msg_encode(&buf, &len, m)) != 0)
		return r;
	while (done < len) {
		/* on a socket, a peer gone is EPIPE, not a SIGPIPE that would
		 * kill the caller (ra-server); a pipe (the tests) takes write */
		ssize_t k = send(fd, buf + done, len - done, MSG_NOSIGNAL);

		if (k < 0 && errno == ENOTSOCK)
			k = write(fd, buf + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = gp_err(GP_E_IO, "signer socket: write: %s",
			    k < 0 ? strerror(errno) : "nothing written");
			goto out;
		}
		done += (size_t)k;
	}
	r = 0;
out:
	OPENSSL_free(buf);
	return r;
}

/* Reads exactly len bytes; GP_E_NOTFOUND for an end of file before the
 * first byte when eof_ok, GP_E_IO for any other short read. */
static int
read_full(int fd, unsigned char *p, size_t len, int eof_ok)
{
	size_t done = 0;

	while (done < len) {
		ssize_t k = read(fd, p + done, len - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 && done == 0 && eof_ok)
			return GP_E_NOTFOUND;
		if (k <= 0)
			return gp_err(GP_E_IO, "signer socket: read: %s",
			    k < 0 ? strerror(errno) : "truncated message");
		done += (size_t)k;
	}
	return 0;
}

int
gp_signer_recv(gp_signer_msg **out, int fd)
{
	unsigned char hdr[GP_SIGNER_HDR_LEN], *body = NULL;
	uint32_t type, len;
	int r;

	*out = NULL;
	if ((r = read_full(fd, hdr, sizeof(hdr), 1)) != 0) {
		if (r == GP_E_NOTFOUND)
			gp_err(r, "signer socket: closed by the peer");
		return r;
	}
	if ((r = gp_signer_hdr_parse(&type, &len, hdr)) != 0)
		return r;
	if ((body = malloc(len > 0 ? len : 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((r = read_full(fd, body, len, 0)) == 0)
		r = gp_signer_body_parse(out, type, body, len);
	free(body);
	return r;
}
