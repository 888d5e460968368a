/* tests/unit/test_backup.c: online store copies, encrypted backups, verification and restore */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include <govpki/audit.h>
#include <govpki/backup.h>
#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/store.h>

#include "testutil.h"

#define BPASS "backup passphrase"

struct fx {
	char *dir;              /* the home */
	char db[512], out[512];
	gp_store *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char keys[600], kp[700];
	EVP_PKEY *k = NULL;
	int i;

	f->dir = tu_tmpdir();
	snprintf(f->db, sizeof(f->db), "%s/govpki.db", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/b.gpb", f->dir);
	if (gp_store_open(&f->s, f->db, GP_STORE_CREATE) != 0)
		return -1;
	for (i = 0; i < 5; i++)
		if (gp_audit_append(f->s, "test", "test.entry", "obj", NULL) != 0)
			return -1;
	snprintf(keys, sizeof(keys), "%s/keys", f->dir);
	mkdir(keys, 0700);
	snprintf(kp, sizeof(kp), "%s/other.key", keys);
	if (gp_key_generate(&k, GP_KEY_EC_P256) != 0 || gp_key_save(kp, k, "kp", 2) != 0)
		return -1;
	EVP_PKEY_free(k);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	gp_store_close(f->s);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static int
make(struct fx *f, gp_backup_info **bi)
{
	gp_backup_params p = GP_BACKUP_PARAMS_INIT;

	p.home = f->dir;
	p.pass = BPASS;
	p.passlen = strlen(BPASS);
	p.scrypt_log2n = 10;    /* fast for tests; the default is 17 */
	return gp_backup_create(bi, f->s, f->out, &p);
}

/* gp_store_backup copies the store into a new file and never overwrites. */
static void
store_copy(void **state)
{
	struct fx *f = *state;
	char dest[600];
	gp_store *c = NULL;
	int64_t seq = 0, bad = 0, rows = 0;
	unsigned char h[32];

	snprintf(dest, sizeof(dest), "%s/copy.db", f->dir);
	assert_int_equal(gp_store_backup(f->s, dest), 0);
	assert_int_equal(gp_store_backup(f->s, dest), GP_E_EXISTS);
	assert_int_equal(gp_store_backup(NULL, dest), GP_E_INVALID);
	assert_int_equal(gp_store_backup(f->s, NULL), GP_E_INVALID);
	assert_int_equal(gp_store_open(&c, dest, GP_STORE_READONLY), 0);
	assert_int_equal(gp_store_audit_last(c, &seq, h), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(gp_audit_verify(&bad, &rows, c), 0);
	gp_store_close(c);
	/* inside an open transaction the connection refuses */
	snprintf(dest, sizeof(dest), "%s/copy2.db", f->dir);
	assert_int_equal(gp_store_begin(f->s), 0);
	assert_int_equal(gp_store_backup(f->s, dest), GP_E_STATE);
	gp_store_rollback(f->s);
	assert_int_equal(access(dest, F_OK), -1);
}

/* A backup verifies, holds the store and the key, and is recorded twice in
 * the audit chain (backup.begin inside, backup after). */
static void
create_verify(void **state)
{
	struct fx *f = *state;
	gp_backup_info *bi = NULL, *vi = NULL;
	int64_t seq = 0;
	unsigned char h[32];

	assert_int_equal(make(f, &bi), 0);
	assert_int_equal(bi->nfiles, 2);
	assert_int_equal(bi->audit_seq, 6);
	assert_non_null(strstr(bi->manifest, "keys/other.key"));
	assert_int_equal(gp_store_audit_last(f->s, &seq, h), 0);
	assert_int_equal(seq, 7);
	assert_int_equal(gp_backup_verify(&vi, f->out, BPASS, strlen(BPASS)), 0);
	assert_memory_equal(vi->sha256, bi->sha256, 32);
	assert_int_equal(vi->nfiles, 2);
	assert_int_equal(vi->bytes, bi->bytes);
	gp_backup_info_free(vi);
	gp_backup_info_free(bi);
	assert_int_equal(gp_backup_verify(NULL, f->out, BPASS, strlen(BPASS)), 0);
	/* never over an existing file */
	assert_int_equal(make(f, NULL), GP_E_EXISTS);
	gp_backup_info_free(NULL);
}

/* Wrong or empty passphrases are GP_E_PASSPHRASE; bad parameters refused. */
static void
bad_inputs(void **state)
{
	struct fx *f = *state;
	gp_backup_params p;

	assert_int_equal(make(f, NULL), 0);
	assert_int_equal(gp_backup_verify(NULL, f->out, "wrong", 5), GP_E_PASSPHRASE);
	assert_int_equal(gp_backup_verify(NULL, f->out, NULL, 0), GP_E_PASSPHRASE);
	assert_int_equal(gp_backup_verify(NULL, NULL, BPASS, 5), GP_E_INVALID);
	assert_int_equal(gp_backup_verify(NULL, "/nonexistent.gpb", BPASS, 5), GP_E_NOTFOUND);
	assert_int_equal(gp_backup_verify(NULL, f->db, BPASS, 5), GP_E_PARSE);
	p = (gp_backup_params)GP_BACKUP_PARAMS_INIT;
	p.home = f->dir;
	assert_int_equal(gp_backup_create(NULL, f->s, "/tmp/x.gpb", &p), GP_E_PASSPHRASE);
	p.pass = "x";
	p.passlen = 1;
	p.scrypt_log2n = 30;
	assert_int_equal(gp_backup_create(NULL, f->s, "/tmp/x.gpb", &p), GP_E_INVALID);
	assert_int_equal(gp_backup_create(NULL, NULL, "/tmp/x.gpb", &p), GP_E_INVALID);
	assert_int_equal(gp_backup_create(NULL, f->s, "/tmp/x.gpb", NULL), GP_E_INVALID);
}

/* The parameters' size (docs/api.md): a caller built against a struct
 * that ends at its last field (no tail padding) is served; zero, garbage,
 * or a struct larger than the library's (newer headers) is refused and
 * nothing is written. */
static void
params_size(void **state)
{
	struct fx *f = *state;
	const size_t sizes[] = { 0, 1, sizeof(size_t), offsetof(gp_backup_params, scrypt_log2n),
		sizeof(gp_backup_params) + 1, sizeof(gp_backup_params) + 64, (size_t)-1 };
	gp_backup_params p = GP_BACKUP_PARAMS_INIT;

	(void)state;
	assert_int_equal(p.size, sizeof(gp_backup_params));
	p.home = f->dir;
	p.pass = BPASS;
	p.passlen = strlen(BPASS);
	p.scrypt_log2n = 10;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p.size = sizes[i];
		assert_int_equal(gp_backup_create(NULL, f->s, f->out, &p), GP_E_INVALID);
		assert_non_null(strstr(gp_error_last(), "GP_..._INIT"));
		assert_int_equal(access(f->out, F_OK), -1);
	}
	p.size = offsetof(gp_backup_params, scrypt_log2n) + sizeof(p.scrypt_log2n);
	assert_int_equal(gp_backup_create(NULL, f->s, f->out, &p), 0);
	assert_int_equal(gp_backup_verify(NULL, f->out, BPASS, strlen(BPASS)), 0);
}

/* Flipping any single byte, or cutting the file, is detected. */
static void
corruption(void **state)
{
	struct fx *f = *state;
	unsigned char *buf = NULL;
	size_t len = 0, off;
	char bad[600];
	FILE *fp;
	int r;

	assert_int_equal(make(f, NULL), 0);
	fp = fopen(f->out, "rb");
	fseek(fp, 0, SEEK_END);
	len = (size_t)ftell(fp);
	rewind(fp);
	buf = malloc(len);
	assert_int_equal(fread(buf, 1, len, fp), len);
	fclose(fp);
	snprintf(bad, sizeof(bad), "%s/bad.gpb", f->dir);
	for (off = 0; off < len; off += (off < 100 ? 1 : len / 50)) {
		buf[off] ^= 0x10;
		fp = fopen(bad, "wb");
		fwrite(buf, 1, len, fp);
		fclose(fp);
		r = gp_backup_verify(NULL, bad, BPASS, strlen(BPASS));
		if (r == 0)
			fail_msg("a flipped byte at %zu went unnoticed", off);
		buf[off] ^= 0x10;
	}
	/* truncated: the last byte, and the tag */
	for (off = 1; off <= 17; off += 16) {
		fp = fopen(bad, "wb");
		fwrite(buf, 1, len - off, fp);
		fclose(fp);
		assert_int_equal(gp_backup_verify(NULL, bad, BPASS, strlen(BPASS)), GP_E_VERIFY);
	}
	free(buf);
}

/* Restore rebuilds the home, appends "restore" to a chain that verifies,
 * and refuses a non-empty target or a damaged file, leaving nothing. */
static void
restore(void **state)
{
	struct fx *f = *state;
	gp_backup_info *bi = NULL;
	gp_store *r = NULL;
	char to[600], path[700], bad[600];
	int64_t bad_seq = 0, rows = 0;
	EVP_PKEY *k = NULL;
	FILE *fp;

	assert_int_equal(make(f, NULL), 0);
	snprintf(to, sizeof(to), "%s/restored", f->dir);
	assert_int_equal(gp_backup_restore(&bi, f->out, to, "wrong", 5, "t"), GP_E_PASSPHRASE);
	assert_int_equal(access(to, F_OK), -1);
	assert_int_equal(gp_backup_restore(&bi, f->out, to, BPASS, strlen(BPASS), "t"), 0);
	gp_backup_info_free(bi);
	snprintf(path, sizeof(path), "%s/govpki.db", to);
	assert_int_equal(gp_store_open(&r, path, 0), 0);
	assert_int_equal(gp_audit_verify(&bad_seq, &rows, r), 0);
	assert_int_equal(rows, 7);     /* 5 + backup.begin + restore */
	gp_store_close(r);
	snprintf(path, sizeof(path), "%s/keys/other.key", to);
	assert_int_equal(gp_key_load(&k, path, "kp", 2), 0);
	EVP_PKEY_free(k);
	/* the target is not empty now */
	assert_int_equal(gp_backup_restore(NULL, f->out, to, BPASS, strlen(BPASS), "t"), GP_E_EXISTS);
	/* a damaged file leaves no folder behind */
	snprintf(bad, sizeof(bad), "%s/bad.gpb", f->dir);
	{
		unsigned char *buf = NULL;
		size_t len = 0;

		fp = fopen(f->out, "rb");
		fseek(fp, 0, SEEK_END);
		len = (size_t)ftell(fp);
		rewind(fp);
		buf = malloc(len);
		assert_int_equal(fread(buf, 1, len, fp), len);
		fclose(fp);
		buf[len - 30] ^= 1;
		fp = fopen(bad, "wb");
		fwrite(buf, 1, len, fp);
		fclose(fp);
		free(buf);
	}
	snprintf(to, sizeof(to), "%s/r2", f->dir);
	assert_int_equal(gp_backup_restore(NULL, bad, to, BPASS, strlen(BPASS), "t"), GP_E_VERIFY);
	assert_int_equal(access(to, F_OK), -1);
	assert_int_equal(gp_backup_restore(NULL, NULL, to, BPASS, 5, "t"), GP_E_INVALID);
}

/* An unencrypted key file in the keys folder stops the backup. */
static void
plain_key_refused(void **state)
{
	struct fx *f = *state;
	char kp[600];
	FILE *fp;

	snprintf(kp, sizeof(kp), "%s/keys/plain.key", f->dir);
	fp = fopen(kp, "w");
	fputs("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n", fp);
	fclose(fp);
	assert_int_equal(make(f, NULL), GP_E_POLICY);
	assert_non_null(strstr(gp_error_last(), "not encrypted"));
	assert_int_equal(access(f->out, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(store_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(create_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(params_size, setup, teardown),
		cmocka_unit_test_setup_teardown(corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(restore, setup, teardown),
		cmocka_unit_test_setup_teardown(plain_key_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
