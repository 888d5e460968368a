/* ra/cmp-secret.c: the shared secrets of ra-server's CMP service, derived from a key file, checked against RA tokens */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <govpki/audit.h>
#include <govpki/cmp.h>
#include <govpki/key.h>

#include "error_int.h"
#include "util.h"

#define SECRET_PREFIX "cmp_"   /* not "gpt_": never an API token */
#define KID_MAX 64

/* HOME/keys/cmp-secrets.key, 32 bytes; made (O_EXCL, 0600) when create. */
static int
load_key(gp_ctx *ctx, unsigned char key[32], int create)
{
	char path[4096];
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", gp_ctx_home(ctx), GP_CMP_KEY_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == ENOENT && create) {
		if (RAND_priv_bytes(key, 32) != 1)
			return gp_err_ossl(GP_E_CRYPTO, "no random bytes");
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
			return gp_err(GP_E_IO, "cannot create %s: %s", path, strerror(errno));
		r = write(fd, key, 32) == 32 && fsync(fd) == 0 ? 0 :
		    gp_err(GP_E_IO, "cannot write %s: %s", path, strerror(errno));
		if (close(fd) != 0 && r == 0)
			r = gp_err(GP_E_IO, "cannot write %s: %s", path, strerror(errno));
		if (r != 0) {
			OPENSSL_cleanse(key, 32);
			unlink(path);
		}
		return r;
	}
	if (fd < 0)
		return gp_err(GP_E_NOTFOUND, "no CMP secret key %s (ca-tool cmp secret create "
		    "makes it): %s", path, strerror(errno));
	n = read(fd, key, 32);
	close(fd);
	if (n != 32) {
		OPENSSL_cleanse(key, 32);
		return gp_err(GP_E_IO, "%s: not a 32-byte key", path);
	}
	return 0;
}

/* secret = "cmp_" hex(HMAC-SHA256(key, "govpki-cmp-secret-v1:" KID)); its
 * token hash SHA-256 of that string. */
static int
derive(char **secret, unsigned char hash[32], const unsigned char key[32],
    const unsigned char *kid, size_t kidlen)
{
	static const char label[] = "govpki-cmp-secret-v1:";
	unsigned char msg[sizeof(label) + KID_MAX], mac[32];
	size_t maclen = 0, n = strlen(SECRET_PREFIX) + 64;
	char *s;
	int r = 0;

	memcpy(msg, label, sizeof(label) - 1);
	memcpy(msg + sizeof(label) - 1, kid, kidlen);
	if ((s = malloc(n + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, 32, msg, sizeof(label) - 1 + kidlen,
	    mac, sizeof(mac), &maclen) == NULL || maclen != 32) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot derive the CMP secret");
		goto out;
	}
	strcpy(s, SECRET_PREFIX);
	gp_hex_encode(s + strlen(SECRET_PREFIX), mac, 32);
	if (EVP_Digest(s, n, hash, NULL, EVP_sha256(), NULL) != 1)
		r = gp_err_ossl(GP_E_CRYPTO, "cannot hash the CMP secret");
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	if (r != 0)
		gp_pass_free(s, n);
	else
		*secret = s;
	return r;
}

int
gp_cmp_secret_create(gp_ctx *ctx, char **kid, char **secret, int64_t *id, const char *profile,
    int64_t expires, const char *actor)
{
	const gp_profile *p;
	unsigned char key[32], rnd[12];
	char k[sizeof(GP_CMP_KID_PREFIX) + 24], name[sizeof(GP_CMP_SECRET_NAME) + sizeof(k)];
	char obj[32], detail[200], exp[32];
	gp_ra_token t;
	gp_store *st;
	char *s = NULL;
	int r, in_tx = 0;

	if (kid != NULL)
		*kid = NULL;
	if (secret != NULL)
		*secret = NULL;
	if (id != NULL)
		*id = 0;
	if (ctx == NULL || kid == NULL || secret == NULL || id == NULL || profile == NULL ||
	    actor == NULL)
		return gp_err(GP_E_INVALID, "gp_cmp_secret_create: bad arguments");
	if ((p = gp_profiles_get(gp_ctx_profiles(ctx), profile)) == NULL)
		return gp_err(GP_E_NOTFOUND, "unknown profile '%.64s'", profile);
	if (!gp_profile_cmp(p, NULL))
		return gp_err(GP_E_POLICY, "profile %s is not served over CMP ([profile.%s] cmp = yes)",
		    profile, profile);
	if (expires <= gp_now())
		return gp_err(GP_E_INVALID, "the secret's expiry is in the past");
	if ((r = load_key(ctx, key, 1)) != 0)
		return r;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "no random bytes");
		goto out;
	}
	strcpy(k, GP_CMP_KID_PREFIX);
	gp_hex_encode(k + strlen(GP_CMP_KID_PREFIX), rnd, sizeof(rnd));
	snprintf(name, sizeof(name), GP_CMP_SECRET_NAME "%s", k);
	memset(&t, 0, sizeof(t));
	t.name = name;
	t.profiles = (char *)profile;
	t.expires = expires;
	t.created = gp_now();
	if ((r = derive(&s, t.hash, key, (const unsigned char *)k, strlen(k))) != 0)
		goto out;
	st = gp_ctx_store(ctx);
	/* the token and its audit entry in one transaction */
	if ((r = gp_store_begin(st)) != 0)
		goto out;
	in_tx = 1;
	if ((r = gp_store_ra_token_add(st, &t)) != 0)
		goto out;
	gp_time_iso(exp, expires);
	snprintf(obj, sizeof(obj), "token:%lld", (long long)t.id);
	snprintf(detail, sizeof(detail), "kind=cmp name=%s profile=%.64s expires=%s", name, profile, exp);
	/* a CMP secret is an RA token (cmp@KID): audited as every token is, so
	 * that `ca-tool audit verify` finds the entry of each token row */
	if ((r = gp_audit_append(st, actor, GP_AUDIT_RA_TOKEN_CREATE, obj, detail)) != 0 ||
	    (r = gp_store_commit(st)) != 0)
		goto out;
	in_tx = 0;
	if ((*kid = strdup(k)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	*secret = s;
	s = NULL;
	*id = t.id;
out:
	if (in_tx)
		gp_store_rollback(gp_ctx_store(ctx));
	if (s != NULL)
		gp_pass_free(s, strlen(s));
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

int
gp_cmp_secret_get(gp_ctx *ctx, const unsigned char *kid, size_t kidlen, char **secret,
    gp_ra_token **tok)
{
	unsigned char key[32], hash[32];
	char name[sizeof(GP_CMP_SECRET_NAME) + KID_MAX];
	gp_ra_token *t = NULL;
	char *s = NULL;
	int r;

	if (secret != NULL)
		*secret = NULL;
	if (tok != NULL)
		*tok = NULL;
	if (ctx == NULL || secret == NULL || tok == NULL || (kid == NULL && kidlen > 0))
		return gp_err(GP_E_INVALID, "gp_cmp_secret_get: bad arguments");
	if (kidlen <= strlen(GP_CMP_KID_PREFIX) || kidlen > KID_MAX ||
	    memcmp(kid, GP_CMP_KID_PREFIX, strlen(GP_CMP_KID_PREFIX)) != 0)
		return gp_err(GP_E_VERIFY, "unknown CMP secret (senderKID is not one of ours)");
	for (size_t i = 0; i < kidlen; i++)
		if (!((kid[i] >= '0' && kid[i] <= '9') || (kid[i] >= 'a' && kid[i] <= 'z') ||
		    kid[i] == '-'))
			return gp_err(GP_E_VERIFY, "unknown CMP secret (senderKID is not one of ours)");
	if ((r = load_key(ctx, key, 0)) != 0)
		return r == GP_E_NOTFOUND ? gp_err(GP_E_VERIFY, "unknown CMP secret (none made yet)") : r;
	r = derive(&s, hash, key, kid, kidlen);
	OPENSSL_cleanse(key, sizeof(key));
	if (r != 0)
		return r;
	snprintf(name, sizeof(name), GP_CMP_SECRET_NAME "%.*s", (int)kidlen, (const char *)kid);
	if ((r = gp_store_ra_token_get(gp_ctx_store(ctx), hash, &t)) != 0) {
		if (r == GP_E_NOTFOUND)
			r = gp_err(GP_E_VERIFY, "unknown CMP secret %s", name + strlen(GP_CMP_SECRET_NAME));
		goto out;
	}
	if (strcmp(t->name, name) != 0)
		r = gp_err(GP_E_VERIFY, "unknown CMP secret %s", name + strlen(GP_CMP_SECRET_NAME));
	else if (t->revoked)
		r = gp_err(GP_E_VERIFY, "CMP secret %s (token %lld) is revoked",
		    name + strlen(GP_CMP_SECRET_NAME), (long long)t->id);
	else if (t->expires <= gp_now())
		r = gp_err(GP_E_VERIFY, "CMP secret %s (token %lld) has expired",
		    name + strlen(GP_CMP_SECRET_NAME), (long long)t->id);
	if (r != 0)
		goto out;
	*secret = s;
	s = NULL;
	*tok = t;
	t = NULL;
out:
	if (s != NULL)
		gp_pass_free(s, strlen(s));
	gp_ra_token_free(t);
	return r;
}
