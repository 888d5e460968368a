/* tests/unit/testutil.h: temporary folders, keys and CSRs for the unit tests */
#ifndef GP_TESTUTIL_H
#define GP_TESTUTIL_H

#define _GNU_SOURCE 1
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static int
tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* Skips the current cmocka test saying why ("# SKIP: why" in the log), or
 * fails it under CI=true, where every check must run (scripts/test.sh). */
#define tu_skip(why) do { \
	const char *tu_ci_ = getenv("CI"); \
	if (tu_ci_ != NULL && strcmp(tu_ci_, "true") == 0) \
		fail_msg("not run, which CI=true does not accept: %s", (why)); \
	printf("# SKIP: %s\n", (why)); \
	skip(); \
} while (0)

/* A new temporary folder (malloc'ed path). */
static inline char *
tu_tmpdir(void)
{
	char *d = strdup("/tmp/govpki-unit.XXXXXX");

	if (d == NULL || mkdtemp(d) == NULL)
		abort();
	return d;
}

/* Removes a folder and everything in it, then frees the path. */
static inline void
tu_rmdir(char *d)
{
	if (d != NULL)
		nftw(d, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

/* The path of rel ("docs/x.md") in the source tree, into out: under
 * $top_srcdir (make check sets it), else (a test run by hand) found from
 * the test's own file name, which ends in self ("tests/unit/test_x.c").
 * -1 when neither tells. */
#define tu_src_path(out, n, rel, self) tu_src_path_((out), (n), (rel), __FILE__, (self))
static inline int
tu_src_path_(char *out, size_t n, const char *rel, const char *file, const char *self)
{
	const char *top = getenv("top_srcdir"), *end;

	if (top != NULL)
		snprintf(out, n, "%s/%s", top, rel);
	else if ((end = strstr(file, self)) != NULL)
		snprintf(out, n, "%.*s%s", (int)(end - file), file, rel);
	else
		return -1;
	return 0;
}

/* A PEM CSR (malloc'ed, *len set) for key with subject cn and, when san is
 * non-NULL, a subjectAltName ("DNS:x"). Signed with SHA-256, or plainly for
 * Ed25519. */
static inline unsigned char *
tu_csr(size_t *len, EVP_PKEY *key, const char *o, const char *cn, const char *san)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *bm;
	unsigned char *out;

	if (o)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0);
	if (cn)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, key);
	if (san) {
		STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san));
		X509_REQ_add_extensions(req, exts);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	if (X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256()) <= 0)
		abort();
	PEM_write_bio_X509_REQ(b, req);
	BIO_get_mem_ptr(b, &bm);
	out = malloc(bm->length);
	memcpy(out, bm->data, bm->length);
	*len = bm->length;
	BIO_free(b);
	X509_NAME_free(name);
	X509_REQ_free(req);
	return out;
}

#endif
