/* lib/signer_proto.h: the ca-signer wire protocol (docs/signer.md), framing and DER bodies */
#ifndef GP_SIGNER_PROTO_H
#define GP_SIGNER_PROTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * A message is a 12-byte header and a DER body:
 *   magic "GPS" and the version byte (4 bytes), the type (4 bytes,
 *   big-endian), the body's length (4 bytes, big-endian, at most
 *   GP_SIGNER_MAX_BODY), then the body, one DER value of the type's ASN.1
 *   template (signer_proto.c; docs/signer.md gives the modules).
 * A reply carries the request's type with GP_SIGNER_REPLY set.  The body
 * is read in DER only: it is decoded by OpenSSL's template decoder and
 * encoded again, and anything but the same bytes (BER, trailing bytes) is
 * refused, as is a field outside its bounds.
 */
#define GP_SIGNER_VERSION     1
#define GP_SIGNER_HDR_LEN     12
#define GP_SIGNER_MAX_BODY    (16u << 20)
#define GP_SIGNER_MAX_ITEMS   4096
#define GP_SIGNER_MAX_ITEM    65536
#define GP_SIGNER_MAX_NAME    255
#define GP_SIGNER_MAX_TEXT    1024

enum gp_signer_type {
	GP_SIGNER_HEALTH = 1,          /* SEQUENCE { nonce INTEGER } */
	GP_SIGNER_ISSUE_APPROVED = 2,  /* SEQUENCE { requestId INTEGER } */
	GP_SIGNER_ISSUE_BATCH = 3,     /* SEQUENCE { days INTEGER, ca, profile UTF8String, csrs } */
	GP_SIGNER_SIGN_CRL = 4,        /* SEQUENCE { delta INTEGER (0|1), ca UTF8String } */
	GP_SIGNER_SIGN_OCSP = 5,       /* SEQUENCE { ca UTF8String, tbsResponseData items } */
	GP_SIGNER_PRESIGN = 6,         /* as SIGN_OCSP, for the presigned table */
	GP_SIGNER_SEAL_MAKE = 7,       /* SEQUENCE { maker UTF8String, items } */
	GP_SIGNER_ISSUE_AUTO = 8,      /* SEQUENCE { requestId INTEGER, channel UTF8String,
	                                  order INTEGER } */
	GP_SIGNER_TYPE_MAX = 8
};
#define GP_SIGNER_REPLY       0x80000000u  /* SEQUENCE { status INTEGER, message, items } */
#define GP_SIGNER_DEBUG_SYSCALL 0x7f000001u /* carried out by the test build only */

/*
 * A message, decoded or to encode.  num is the type's INTEGER (nonce,
 * request id, days, delta, status), num2 its second (issue-auto-request's
 * order); name the CA, seal maker or channel ("est", "acme", "cmp"); text the
 * profile (issue-batch) or the message (reply); items the OCTET STRINGs.
 * Pointers are owned by the message (gp_signer_msg_free).
 */
typedef struct gp_signer_msg {
	uint32_t type;
	int64_t num;
	int64_t num2;
	char *name;
	char *text;
	size_t nitems;
	unsigned char **item;
	size_t *item_len;
} gp_signer_msg;

/* The name of a request type ("issue-approved-request", ...), or NULL. */
const char *gp_signer_type_name(uint32_t type);

/* Reads the header of hdr (GP_SIGNER_HDR_LEN bytes): *type and *len, or
 * GP_E_PARSE for a wrong magic or version, an unknown type or a length
 * over GP_SIGNER_MAX_BODY, so that nothing is read or allocated for it. */
int gp_signer_hdr_parse(uint32_t *type, uint32_t *len, const unsigned char *hdr);

/* Decodes a whole message (header and body, exactly len bytes) into *out
 * (gp_signer_msg_free).  GP_E_PARSE naming what was wrong. */
int gp_signer_msg_parse(gp_signer_msg **out, const unsigned char *buf, size_t len);

/* Decodes the body of a message of type (the header read already). */
int gp_signer_body_parse(gp_signer_msg **out, uint32_t type, const unsigned char *body,
    size_t len);

/* Encodes m (header and body) into *out (OPENSSL_free), *outlen bytes.
 * GP_E_INVALID when a field is outside the bounds the parser enforces. */
int gp_signer_msg_encode(unsigned char **out, size_t *outlen, const gp_signer_msg *m);

/* A new empty message of type (gp_signer_msg_free). */
int gp_signer_msg_new(gp_signer_msg **out, uint32_t type);

/* Appends a copy of len bytes at p as an item of m. */
int gp_signer_msg_add_item(gp_signer_msg *m, const unsigned char *p, size_t len);

/* Sets m's name or text to a copy of s (NULL clears it). */
int gp_signer_msg_set_name(gp_signer_msg *m, const char *s);
int gp_signer_msg_set_text(gp_signer_msg *m, const char *s);

void gp_signer_msg_free(gp_signer_msg *m);

/* Sends m on fd (the whole message; EINTR retried).  GP_E_IO. */
int gp_signer_send(int fd, const gp_signer_msg *m);

/* Reads one message from fd: the header first, checked before the body is
 * read.  GP_E_PARSE for a malformed message, GP_E_IO for a failed read or
 * an end of file (before the first byte: GP_E_NOTFOUND, a closed peer). */
int gp_signer_recv(gp_signer_msg **out, int fd);

#endif
