/* svs/svs_sign.c: POST /api/v1/sign/data with the keys the service holds for applications, and the audit log */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/mem.h>
#include <govpki/x509util.h>

#include "svs_server.h"

void
svs_audit(const svs_server *s, const char *app, const char *action, const char *outcome,
    const char *detail)
{
	char ts[40];
	struct timeval tv;
	struct tm tm;
	json_t *j;
	char *line;

	if (s->audit_fd < 0)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03dZ", (int)(tv.tv_usec / 1000));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "time", ts, "application", app, "action", action,
	    "outcome", outcome, "detail", detail != NULL ? detail : "");
	if (j == NULL)
		return;
	if ((line = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII)) != NULL) {
		size_t n = strlen(line);

		line[n] = '\n';
		/* one write per line on an O_APPEND descriptor: lines of threads
		 * do not mix */
		if (write(s->audit_fd, line, n + 1) != (ssize_t)(n + 1))
			fprintf(stderr, "svs-server: the audit log could not be written\n");
		line[n] = '\0';
		free(line);
	}
	json_decref(j);
}

static int
fail(svs_problem *p, unsigned status, const char *slug, const char *title, const char *detail)
{
	p->status = status;
	p->slug = slug;
	p->title = title;
	snprintf(p->detail, sizeof(p->detail), "%s", detail);
	return -1;
}

int
svs_sign_data(json_t **out, const svs_server *s, const svs_app *app, const unsigned char *body,
    size_t len, svs_problem *p)
{
	json_t *o = NULL, *v;
	json_error_t jerr;
	const char *kname, *data, *key;
	const svs_key *k = NULL;
	unsigned char *d = NULL, *sig = NULL;
	size_t dlen = 0, siglen = 0;
	int allowed = 0, ret = -1;
	char *b64 = NULL, *pem = NULL, *alg;
	BIO *mb = NULL;
	long n;

	*out = NULL;
	if ((o = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(o)) {
		fail(p, 400, "bad-json", "Malformed JSON", "the body is a JSON object");
		goto out;
	}
	json_object_foreach(o, key, v)
		if (strcmp(key, "key") != 0 && strcmp(key, "data") != 0) {
			fail(p, 400, "bad-request", "Bad request", "the members are key and data");
			goto out;
		}
	kname = json_string_value(json_object_get(o, "key"));
	data = json_string_value(json_object_get(o, "data"));
	if (kname == NULL || data == NULL) {
		fail(p, 400, "bad-request", "Bad request", "'key' (a name) and 'data' (base64) are required");
		goto out;
	}
	/* the scope sign:KEY of this application's token, and no other
	 * application's key */
	for (size_t i = 0; app->sign_keys != NULL && app->sign_keys[i] != NULL; i++)
		if (strcmp(app->sign_keys[i], kname) == 0)
			allowed = 1;
	if (!allowed) {
		svs_audit(s, app->name, "sign", "refused", kname);
		fail(p, 403, "forbidden", "Forbidden", "the application's token has no scope sign:KEY for this key");
		goto out;
	}
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, kname) == 0)
			k = &s->keys[i];
	if (k == NULL) {
		fail(p, 404, "not-found", "Not found", "no such key here ([svs.key.NAME])");
		goto out;
	}
	if (svs_base64_decode(&d, &dlen, data) != 0) {
		fail(p, 400, "bad-base64", "Bad base64", "'data' is not base64");
		goto out;
	}
	/* the key's usual algorithm: SHA-256 with RSA PKCS#1 v1.5 or ECDSA,
	 * Ed25519, SM2 with SM3 and the default ID (GM/T 0009) */
	if (gp_sign_data(&sig, &siglen, k->key, d, dlen) != 0) {
		svs_audit(s, app->name, "sign", "error", gp_error_last());
		fail(p, 500, "internal", "Cannot sign", gp_error_last());
		gp_error_clear();
		goto out;
	}
	if ((b64 = malloc(4 * ((siglen + 2) / 3) + 1)) == NULL)
		goto nomem;
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	if ((mb = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(mb, k->cert) != 1 ||
	    (n = BIO_get_mem_data(mb, &pem)) <= 0)
		goto nomem;
	alg = gp_key_is_sm2(k->key) ? "sm2-sm3" : EVP_PKEY_get_base_id(k->key) == EVP_PKEY_ED25519 ? "ed25519" :
	    EVP_PKEY_get_base_id(k->key) == EVP_PKEY_RSA ? "rsa-pkcs1-sha256" : "ecdsa-sha256";
	if ((*out = json_pack("{s:s, s:s, s:s, s:s%}", "key", kname, "algorithm", alg, "signature", b64,
	    "certificate", pem, (size_t)n)) == NULL)
		goto nomem;
	svs_audit(s, app->name, "sign", "signed", kname);
	ret = 0;
	goto out;
nomem:
	fail(p, 500, "internal", "Internal error", "out of memory");
out:
	ERR_clear_error();
	BIO_free(mb);
	free(b64);
	gp_free(sig);
	free(d);
	json_decref(o);
	return ret;
}
