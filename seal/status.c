/* seal/status.c: the seal status service's answer (JSON), and the verifiers' hook asking one over HTTP */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/http.h>

#include <govpki/x509util.h>

#include "error_int.h"
#include "seal_int.h"
#include "util.h"

#define STATUS_MAX_RESP (64 * 1024)     /* an answer is a few hundred bytes */

int
gp_seal_id_check(const char *es_id)
{
	size_t n;

	if (es_id == NULL || (n = strlen(es_id)) == 0 || n > 128)
		return gp_err(GP_E_INVALID, "a seal id has 1 to 128 characters");
	for (const char *c = es_id; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			return gp_err(GP_E_INVALID, "a seal id is printable ASCII (IA5String)");
	return 0;
}

int
gp_seal_status_json(char **out, const char *es_id, const gp_seal_info *info, int64_t now)
{
	json_t *j;
	unsigned char h[32];
	char hex[65], vs[21], ve[21], ra[21], na[21], *txt = NULL;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || es_id == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_status_json: NULL argument");
	gp_time_iso(na, now ? now : gp_now());
	if (info == NULL)
		j = json_pack("{s:s, s:s, s:s}", "id", es_id, "status", "unknown", "checked_at", na);
	else {
		if (EVP_Digest(info->der, info->der_len, h, NULL, EVP_sha256(), NULL) != 1)
			return gp_err_ossl(GP_E_CRYPTO, "cannot hash the seal");
		gp_hex_encode(hex, h, sizeof(h));
		gp_time_iso(vs, info->valid_start);
		gp_time_iso(ve, info->valid_end);
		gp_time_iso(ra, info->revoked_at);
		j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", info->es_id,
		    "status", info->status == GP_SEAL_STATUS_REVOKED ? "revoked" : "valid",
		    "sha256", hex, "name", info->name ? info->name : "", "valid_from", vs, "valid_to", ve,
		    "checked_at", na);
		if (j != NULL && info->status == GP_SEAL_STATUS_REVOKED &&
		    (json_object_set_new(j, "revoked_at", json_string(ra)) != 0 ||
		    json_object_set_new(j, "reason", info->reason ? json_string(info->reason) : json_null()) != 0)) {
			json_decref(j);
			j = NULL;
		}
	}
	/* the library's one allocator for what it returns (gp_free) */
	if (j == NULL || (txt = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL ||
	    (*out = OPENSSL_strdup(txt)) == NULL) {
		free(txt);
		json_decref(j);
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	free(txt);
	json_decref(j);
	return 0;
}

/* es_id percent-encoded (RFC 3986 §2.1: all but the unreserved characters)
 * after base and a '/' */
static int
status_url(char **out, const char *base, const char *es_id)
{
	size_t bl = strlen(base), n = bl + 2 + 3 * strlen(es_id);
	char *u = malloc(n), *q;

	if (u == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memcpy(u, base, bl);
	q = u + bl;
	if (bl == 0 || base[bl - 1] != '/')
		*q++ = '/';
	for (const unsigned char *c = (const unsigned char *)es_id; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '-' || *c == '.' || *c == '_' || *c == '~')
			*q++ = (char)*c;
		else {
			static const char hx[] = "0123456789ABCDEF";
			*q++ = '%';
			*q++ = hx[*c >> 4];
			*q++ = hx[*c & 15];
		}
	}
	*q = '\0';
	*out = u;
	return 0;
}

/* 1 when the last OpenSSL HTTP error says the server answered 404 (the
 * HTTP client keeps the status in the error's data: "code=404,...") */
static int
http_404(void)
{
	const char *data = NULL;
	unsigned long e;
	int flags = 0, found = 0;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_HTTP && (flags & ERR_TXT_STRING) && data != NULL &&
		    strstr(data, "code=404") != NULL)
			found = 1;
	return found;
}

int
gp_seal_status_http_cb(void *arg, const gp_seal *seal, int *status, int64_t *revoked_at, char **reason)
{
	const char *base = arg, *st, *sid, *sh, *ra, *rs;
	char *url = NULL, *host = NULL, *port = NULL, *path = NULL, *body = NULL, hex[65];
	unsigned char h[32];
	BIO *rsp = NULL;
	json_t *j = NULL;
	json_error_t je;
	size_t blen = 0;
	int ssl = 0, fd = -1, n, r;

	if (status != NULL)
		*status = GP_SEAL_STATUS_GOOD;
	if (revoked_at != NULL)
		*revoked_at = 0;
	if (reason != NULL)
		*reason = NULL;
	if (base == NULL || seal == NULL || status == NULL || revoked_at == NULL || reason == NULL)
		return gp_err(GP_E_INVALID, "gp_seal_status_http_cb: NULL argument");
	if ((r = status_url(&url, base, seal->id)) != 0)
		return r;
	if (OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL) != 1 || ssl) {
		r = gp_err_ossl(GP_E_INVALID, "seal status URL '%s': only http:// URLs are supported", base);
		goto out;
	}
	ERR_clear_error();
	/* GET (no request body) */
	rsp = OSSL_HTTP_transfer(NULL, host, port, path, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL,
	    NULL, NULL, "application/json", 0, STATUS_MAX_RESP, gp_seal_http_timeout(), 0);
	if (rsp == NULL) {
		if (http_404())
			r = gp_err(GP_E_NOTFOUND, "seal %s is unknown to the seal status service at %s", seal->id, base);
		else
			r = gp_err(GP_E_IO, "the seal status service at %s did not answer", base);
		ERR_clear_error();
		goto out;
	}
	/* not ASN.1: OpenSSL hands over the connection, read here to its end
	 * (HTTP/1.0, no keep-alive), at most STATUS_MAX_RESP bytes, each read
	 * bounded by the timeout */
	if (BIO_get_fd(rsp, &fd) >= 0) {
		struct timeval tv = { gp_seal_http_timeout(), 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if ((body = malloc(STATUS_MAX_RESP)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	while (blen < STATUS_MAX_RESP && (n = BIO_read(rsp, body + blen, (int)(STATUS_MAX_RESP - blen))) > 0)
		blen += (size_t)n;
	if (blen == STATUS_MAX_RESP) {
		r = gp_err(GP_E_PARSE, "the seal status service at %s sent more than %d bytes", base, STATUS_MAX_RESP);
		goto out;
	}
	ERR_clear_error();
	if ((j = json_loadb(body, blen, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    json_unpack(j, "{s:s, s:s, s:s}", "id", &sid, "status", &st, "sha256", &sh) != 0) {
		r = gp_err(GP_E_PARSE, "the seal status service at %s sent no seal status", base);
		goto out;
	}
	if (strcmp(sid, seal->id) != 0) {
		r = gp_err(GP_E_VERIFY, "the seal status service at %s answered for seal '%s', not %s", base, sid, seal->id);
		goto out;
	}
	/* the very seal: its SHA-256, as the store compares its bytes */
	if (EVP_Digest(seal->der, seal->der_len, h, NULL, EVP_sha256(), NULL) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot hash the seal");
		goto out;
	}
	gp_hex_encode(hex, h, sizeof(h));
	if (strcasecmp(sh, hex) != 0) {
		r = gp_err(GP_E_VERIFY, "seal %s differs from the seal the status service at %s knows", seal->id, base);
		goto out;
	}
	if (strcmp(st, "valid") == 0)
		r = 0;
	else if (strcmp(st, "revoked") == 0) {
		rs = NULL;
		if (json_unpack(j, "{s:s, s?s}", "revoked_at", &ra, "reason", &rs) != 0 ||
		    gp_time_parse(revoked_at, ra, GP_TIME_DATETIME) != 0) {
			r = gp_err(GP_E_PARSE, "the seal status service at %s sent a revocation without its time", base);
			goto out;
		}
		*status = GP_SEAL_STATUS_REVOKED;
		if (rs != NULL && (*reason = OPENSSL_strdup(rs)) == NULL) {
			r = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
		r = 0;
	} else
		r = gp_err(GP_E_PARSE, "the seal status service at %s sent status '%s'", base, st);
out:
	json_decref(j);
	BIO_free(rsp);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	free(url);
	free(body);
	return r;
}
