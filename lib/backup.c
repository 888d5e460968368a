/* lib/backup.c: encrypted backups (scrypt + AES-256-GCM, SHA-256 manifest), verification, restore */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <govpki/audit.h>
#include <govpki/backup.h>

#include "error_int.h"
#include "store_int.h"
#include "util.h"

#define MAGIC "GPBACKUP"
#define FORMAT_VERSION 1
#define KDF_SCRYPT 1
#define SALT_LEN 16
#define IV_LEN 12               /* NIST SP 800-38D §5.2.1.1: 96-bit IVs */
#define TAG_LEN 16
#define CHECK_LEN 32
/* magic, version, kdf, log2 N, r, p, salt, iv, then the HMAC */
#define HDR_BODY (8 + 1 + 1 + 1 + 4 + 4 + SALT_LEN + IV_LEN)
#define HDR_LEN (HDR_BODY + CHECK_LEN)
#define SCRYPT_R 8
#define SCRYPT_P 1
#define MANIFEST_NAME "MANIFEST.json"
/* the configuration file, when the caller names one */
#define CONFIG_NAME "govpki.cnf"
#define MANIFEST_MAX (16 * 1024 * 1024)
#define NAME_MAX_LEN 255
#define CHUNK (256 * 1024)
/* The backend whose dump a backup holds when its manifest names none
 * (every backup before "store" was written): SQLite, entry govpki.db. */
#define DEFAULT_BACKEND "sqlite"
/* where restore keeps the store's entry until the tag proves it: a name
 * safe_name refuses, so that no entry of a backup can be it */
#define STORE_SPOOL "store~dump"

void
gp_backup_info_free(gp_backup_info *info)
{
	if (info == NULL)
		return;
	free(info->manifest);
	free(info);
}

/* ------------------------------------------------------------ helpers */

static void
put64(unsigned char *p, uint64_t v)
{
	gp_put_be32(p, (uint32_t)(v >> 32));
	gp_put_be32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)gp_get_be32(p) << 32 | gp_get_be32(p + 4);
}

/*
 * RFC 7914 §2: scrypt(P, S, N, r, p, dkLen); 64 bytes: the AES-256 key,
 * then the key of the header's HMAC (a wrong passphrase is told from a
 * damaged file before anything is decrypted).
 */
static int
derive(unsigned char key[64], const char *pass, size_t passlen,
    const unsigned char *salt, int log2n, uint32_t r, uint32_t p)
{
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[7], *q = params;
	uint64_t n = (uint64_t)1 << log2n;
	/* RFC 7914 §2: the memory is about 128 * r * N bytes (+ 128 * r * p) */
	uint64_t maxmem = 128ULL * r * n + 128ULL * r * p + (64ULL << 20);
	int rc;

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL) {
		EVP_KDF_free(kdf);
		return gp_err_ossl(GP_E_CRYPTO, "backup: scrypt is not available");
	}
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, passlen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, SALT_LEN);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*q = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, key, 64, params);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	if (rc != 1)
		return gp_err_ossl(GP_E_CRYPTO, "backup: scrypt failed");
	return 0;
}

static int
header_mac(unsigned char out[CHECK_LEN], const unsigned char *mackey,
    const unsigned char *hdr)
{
	size_t len = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mackey, 32, hdr, HDR_BODY,
	    out, CHECK_LEN, &len) == NULL || len != CHECK_LEN)
		return gp_err_ossl(GP_E_CRYPTO, "backup: HMAC failed");
	return 0;
}

/* A name we write or accept: relative, no "..", [A-Za-z0-9._/-]. */
static int
safe_name(const char *n)
{
	size_t len = strlen(n);
	const char *p;

	if (len == 0 || len > NAME_MAX_LEN || n[0] == '/' || n[len - 1] == '/')
		return 0;
	for (p = n; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-' || *p == '/'))
			return 0;
	}
	for (p = n; p != NULL; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (p[0] == '.' && (p[1] == '/' || p[1] == '\0' ||
		    (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))))
			return 0;
		if (p[0] == '/')
			return 0;       /* "a//b" */
	}
	return 1;
}

/* SHA-256 and size of a file. */
static int
file_sha256(const char *path, unsigned char md[32], uint64_t *size)
{
	EVP_MD_CTX *c = NULL;
	unsigned char *buf = NULL;
	ssize_t n;
	int fd = -1, r;

	*size = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gp_err(errno == ENOENT ? GP_E_NOTFOUND : GP_E_IO, "backup: %s: %s",
		    path, strerror(errno));
	if ((buf = malloc(CHUNK)) == NULL || (c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	while ((n = read(fd, buf, CHUNK)) > 0) {
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1) {
			r = gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
			goto out;
		}
		*size += (uint64_t)n;
	}
	if (n < 0) {
		r = gp_err(GP_E_IO, "backup: reading %s: %s", path, strerror(errno));
		goto out;
	}
	if (EVP_DigestFinal_ex(c, md, NULL) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(c);
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

/* ------------------------------------------------------------ dump streams */

/* A file a dump is written to (gp_store_write_fn), and read back from
 * (gp_store_read_fn). */
struct spool {
	int fd;
	const char *path;
};

static int
spool_write(void *arg, const unsigned char *p, size_t n)
{
	struct spool *sp = arg;

	while (n > 0) {
		ssize_t k = write(sp->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return gp_err(GP_E_IO, "writing %s: %s", sp->path, strerror(errno));
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
spool_read(void *arg, unsigned char *p, size_t cap, size_t *got)
{
	struct spool *sp = arg;
	ssize_t k;

	*got = 0;
	do
		k = read(sp->fd, p, cap);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return gp_err(GP_E_IO, "reading %s: %s", sp->path, strerror(errno));
	*got = (size_t)k;
	return 0;
}

/* Dumps s into path, a new file (GP_E_EXISTS if anything is there),
 * fsynced; on failure path does not exist. */
static int
dump_to_file(gp_store *s, const char *path)
{
	struct spool sp = { -1, path };
	int r;

	if ((sp.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		if (errno == EEXIST)
			return gp_err(GP_E_EXISTS, "backup: %s exists already", path);
		return gp_err(GP_E_IO, "backup: cannot create %s: %s", path, strerror(errno));
	}
	if ((r = gp_store_dump(s, spool_write, &sp)) == 0 && fsync(sp.fd) != 0)
		r = gp_err(GP_E_IO, "backup: fsync %s: %s", path, strerror(errno));
	if (close(sp.fd) != 0 && r == 0)
		r = gp_err(GP_E_IO, "backup: closing %s: %s", path, strerror(errno));
	if (r != 0)
		unlink(path);
	return r;
}

/*
 * The file holds the store's dump (for SQLite a database file that opens
 * as a store).  The dump is of one snapshot (gp_store_dump); a write
 * transaction open on s is refused (GP_E_STATE).
 */
int
gp_store_backup(gp_store *s, const char *dest_path)
{
	if (s == NULL || s->ops == NULL)
		return gp_err(GP_E_INVALID, "gp_store_backup: no store");
	if (dest_path == NULL || *dest_path == '\0')
		return gp_err(GP_E_INVALID, "gp_store_backup: no destination file");
	return dump_to_file(s, dest_path);
}

/* ------------------------------------------------------------ writing */

struct writer {
	int fd;
	const char *path;
	EVP_CIPHER_CTX *cipher;
	EVP_MD_CTX *filemd;     /* SHA-256 of the whole file */
	unsigned char *out;     /* CHUNK + block */
};

static int
w_raw(struct writer *w, const unsigned char *p, size_t len)
{
	struct spool sp = { w->fd, w->path };

	return spool_write(&sp, p, len);
}

static int
w_plain(struct writer *w, const unsigned char *p, size_t len)
{
	int outl, r;

	while (len > 0) {
		size_t k = len > CHUNK ? CHUNK : len;

		if (EVP_EncryptUpdate(w->cipher, w->out, &outl, p, (int)k) != 1)
			return gp_err_ossl(GP_E_CRYPTO, "backup: encryption failed");
		if (EVP_DigestUpdate(w->filemd, w->out, (size_t)outl) != 1)
			return gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
		if ((r = w_raw(w, w->out, (size_t)outl)) != 0)
			return r;
		p += k;
		len -= k;
	}
	return 0;
}

/* One entry: name length, name, size, then the bytes of buf or of file. */
static int
w_entry(struct writer *w, const char *name, const unsigned char *buf,
    uint64_t size, const char *file)
{
	unsigned char hdr[4 + NAME_MAX_LEN + 8], *data = NULL;
	size_t nlen = strlen(name);
	uint64_t left = size;
	int fd = -1, r;

	gp_put_be32(hdr, (uint32_t)nlen);
	memcpy(hdr + 4, name, nlen);
	put64(hdr + 4 + nlen, size);
	if ((r = w_plain(w, hdr, 4 + nlen + 8)) != 0)
		return r;
	if (buf != NULL)
		return w_plain(w, buf, (size_t)size);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return gp_err(GP_E_IO, "backup: %s: %s", file, strerror(errno));
	if ((data = malloc(CHUNK)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	while (left > 0) {
		ssize_t n = read(fd, data, left > CHUNK ? CHUNK : (size_t)left);

		if (n <= 0) {
			r = gp_err(GP_E_IO, "backup: %s changed while it was copied", file);
			goto out;
		}
		if ((r = w_plain(w, data, (size_t)n)) != 0)
			goto out;
		left -= (uint64_t)n;
	}
	r = 0;
out:
	if (data != NULL)
		OPENSSL_cleanse(data, CHUNK);
	free(data);
	close(fd);
	return r;
}

struct bfile {
	char *name;             /* in the backup */
	char *path;             /* on disk */
	uint64_t size;
	unsigned char md[32];
};

struct collect {
	struct bfile *v;
	size_t n, cap;
	json_t *hsm;            /* [{ca, uri}] */
	json_t *outside;        /* key files outside the home: not included */
};

static int
add_file(struct collect *c, const char *name, const char *path)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 16;
		struct bfile *nv = realloc(c->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return gp_err(GP_E_NOMEM, "out of memory");
		c->v = nv;
		c->cap = ncap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	if (gp_strdup(&c->v[c->n].name, name) != 0 || gp_strdup(&c->v[c->n].path, path) != 0) {
		free(c->v[c->n].name);
		return GP_E_NOMEM;
	}
	c->n++;
	return 0;
}

static void
collect_free(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].path);
	}
	free(c->v);
	json_decref(c->hsm);
	json_decref(c->outside);
}

/* A key file goes in only encrypted (PKCS#8 EncryptedPrivateKeyInfo or a
 * legacy encrypted PEM); everything else in the keys folder is refused. */
static int
check_encrypted(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = gp_file_read(&buf, &len, path, 1024 * 1024)) != 0)
		return r;
	if (strstr((char *)buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
	    (strstr((char *)buf, "PRIVATE KEY-----") != NULL &&
	    strstr((char *)buf, "Proc-Type: 4,ENCRYPTED") != NULL))
		r = 0;
	else if (strstr((char *)buf, "PRIVATE KEY-----") != NULL)
		r = gp_err(GP_E_POLICY, "backup: key file %s is not encrypted; "
		    "encrypt it before taking a backup", path);
	else
		r = 1;          /* not a private key: a certificate, a note: fine */
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r < 0 ? r : 0;
}

/* The key files: every file of the keys folder, and each CA's key file
 * (relative to home); HSM keys are listed, not copied. */
static int
collect_keys(struct collect *c, gp_store *snap, const gp_backup_params *p)
{
	gp_ca_info **cas = NULL;
	size_t ncas = 0, i;
	const char *kd = p->keys_dir ? p->keys_dir : "keys";
	char path[PATH_MAX], name[PATH_MAX];
	DIR *d = NULL;
	struct dirent *de;
	int r;

	if ((r = gp_store_ca_list(snap, &cas, &ncas)) != 0)
		return r;
	for (i = 0; i < ncas; i++) {
		const char *u = cas[i]->key_uri;

		/* "": imported without its key (ca/offline.c), nothing to back up */
		if (u == NULL || u[0] == '\0')
			continue;
		if (strncmp(u, "pkcs11:", 7) == 0) {
			if (json_array_append_new(c->hsm, json_pack("{s:s, s:s}", "ca",
			    cas[i]->name, "uri", u)) != 0) {
				r = gp_err(GP_E_NOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		if (strncmp(u, "file:", 5) == 0)
			u += 5;
		if (u[0] == '/' || !safe_name(u)) {
			json_array_append_new(c->outside, json_string(u));
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", p->home, u);
		if ((r = check_encrypted(path)) != 0 || (r = add_file(c, u, path)) != 0)
			goto out;
	}
	/* other keys of the home (OCSP signers, seal keys) */
	if (kd[0] != '/' && safe_name(kd)) {
		snprintf(path, sizeof(path), "%s/%s", p->home, kd);
		if ((d = opendir(path)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				struct stat st;

				if (de->d_name[0] == '.')
					continue;
				if (snprintf(name, sizeof(name), "%s/%s", kd, de->d_name) >= (int)sizeof(name) ||
				    !safe_name(name))
					continue;
				snprintf(path, sizeof(path), "%s/%s/%s", p->home, kd, de->d_name);
				if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
					continue;
				if ((r = check_encrypted(path)) != 0 || (r = add_file(c, name, path)) != 0)
					goto out;
			}
		}
	}
	r = 0;
out:
	if (d != NULL)
		closedir(d);
	gp_ca_info_list_free(cas, ncas);
	return r;
}

/* Creates path exclusively: link() refuses to replace anything. */
static int
publish(const char *tmp, const char *path)
{
	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			return gp_err(GP_E_EXISTS, "backup: %s exists already", path);
		return gp_err(GP_E_IO, "backup: cannot create %s: %s", path, strerror(errno));
	}
	unlink(tmp);
	return 0;
}

int
gp_backup_create(gp_backup_info **out, gp_store *s, const char *path,
    const gp_backup_params *params)
{
	gp_backup_params pv;
	const gp_backup_params *p = &pv;
	struct collect c;
	struct writer w;
	const struct gp_store_backend *b = gp_store_backend_named(s ? s->ops->name : NULL);
	gp_backup_info *info = NULL;
	json_t *man = NULL, *files = NULL;
	char *mtext = NULL, *tmp = NULL, *dbtmp = NULL, hex[65], detail[256];
	unsigned char hdr[HDR_LEN], key[64], tag[TAG_LEN], *q;
	int64_t seq = 0, rev = 0, ncerts = 0, created;
	unsigned char lasthash[32];
	const char *actor;
	int log2n, outl, r, own = 0, snapped = 0;
	size_t i, plen;
	uint64_t total = 0;

	if (out != NULL)
		*out = NULL;
	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	w.fd = -1;
	if ((r = gp_params_in(&pv, sizeof(pv), params, GP_PARAMS_END(gp_backup_params, scrypt_log2n),
	    "gp_backup_create")) != 0)
		return r;
	if (s == NULL || path == NULL || p->home == NULL)
		return gp_err(GP_E_INVALID, "gp_backup_create: NULL argument");
	if (b == NULL)
		return gp_err(GP_E_STATE, "backup: the %s store is no backend of this govpki",
		    s->ops->name);
	if (p->pass == NULL || p->passlen == 0)
		return gp_err(GP_E_PASSPHRASE, "backup: an empty passphrase is not allowed");
	log2n = p->scrypt_log2n ? p->scrypt_log2n : 17;
	if (log2n < 10 || log2n > 22)
		return gp_err(GP_E_INVALID, "backup: scrypt log2(N) must be from 10 to 22");
	if (access(path, F_OK) == 0)
		return gp_err(GP_E_EXISTS, "backup: %s exists already", path);
	actor = p->actor ? p->actor : "ca-tool";
	plen = strlen(path) + 32;
	if ((tmp = malloc(plen)) == NULL || (dbtmp = malloc(plen)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(tmp, plen, "%s.tmp.%ld", path, (long)getpid());
	snprintf(dbtmp, plen, "%s.db.%ld", path, (long)getpid());
	if ((c.hsm = json_array()) == NULL || (c.outside = json_array()) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}

	/* 1. the audit entry that the backup itself will hold */
	if ((r = gp_audit_append(s, actor, "backup.begin", path, NULL)) != 0)
		goto out;
	/* 2. one consistent snapshot of the store, while others keep writing:
	 * what the manifest says of the store and the CAs whose keys go in
	 * are read in the snapshot that the dump copies */
	created = gp_now();
	if ((r = gp_store_read_begin(s, &own)) != 0)
		goto out;
	snapped = 1;
	if ((r = gp_store_audit_last(s, &seq, lasthash)) != 0 ||
	    (r = gp_store_revision(s, &rev)) != 0 ||
	    (r = gp_store_cert_count(s, 0, &ncerts)) != 0 ||
	    (r = dump_to_file(s, dbtmp)) != 0)
		goto out;
	/* 3. the files and their SHA-256 */
	if ((r = add_file(&c, b->dump_name, dbtmp)) != 0 ||
	    (r = collect_keys(&c, s, p)) != 0 ||
	    (p->config != NULL && (r = add_file(&c, CONFIG_NAME, p->config)) != 0))
		goto out;
	gp_store_read_end(s, own);
	snapped = 0;
	if ((files = json_array()) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		if ((r = file_sha256(c.v[i].path, c.v[i].md, &c.v[i].size)) != 0)
			goto out;
		gp_hex_encode(hex, c.v[i].md, 32);
		total += c.v[i].size;
		if (json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name",
		    c.v[i].name, "size", (json_int_t)c.v[i].size, "sha256", hex)) != 0) {
			r = gp_err(GP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	gp_hex_encode(hex, lasthash, 32);
	{
		char iso[21];

		gp_time_iso(iso, created);
		man = json_pack("{s:s, s:i, s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:O, s:O, s:O}",
		    "format", "govpki-backup", "version", FORMAT_VERSION, "store", b->scheme,
		    "created", iso, "created_unix", (json_int_t)created,
		    "audit_seq", (json_int_t)seq, "audit_hash", hex,
		    "revision", (json_int_t)rev, "certificates", (json_int_t)ncerts,
		    "files", files, "hsm_keys", c.hsm, "keys_outside_home", c.outside);
	}
	if (man == NULL || (mtext = json_dumps(man, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
		r = gp_err(GP_E_NOMEM, "backup: cannot build the manifest");
		goto out;
	}

	/* 4. header, key, encrypted entries, tag */
	q = hdr;
	memcpy(q, MAGIC, 8);
	q += 8;
	*q++ = FORMAT_VERSION;
	*q++ = KDF_SCRYPT;
	*q++ = (unsigned char)log2n;
	gp_put_be32(q, SCRYPT_R);
	q += 4;
	gp_put_be32(q, SCRYPT_P);
	q += 4;
	if (RAND_bytes(q, SALT_LEN + IV_LEN) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "backup: no random bytes");
		goto out;
	}
	if ((r = derive(key, p->pass, p->passlen, hdr + 19, log2n, SCRYPT_R, SCRYPT_P)) != 0 ||
	    (r = header_mac(hdr + HDR_BODY, key + 32, hdr)) != 0)
		goto out;
	w.path = path;
	if ((w.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		r = gp_err(GP_E_IO, "backup: cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((w.cipher = EVP_CIPHER_CTX_new()) == NULL || (w.filemd = EVP_MD_CTX_new()) == NULL ||
	    (w.out = malloc(CHUNK + 32)) == NULL ||
	    EVP_DigestInit_ex(w.filemd, EVP_sha256(), NULL) != 1 ||
	    EVP_EncryptInit_ex2(w.cipher, EVP_aes_256_gcm(), key, hdr + 19 + SALT_LEN, NULL) != 1 ||
	    EVP_EncryptUpdate(w.cipher, NULL, &outl, hdr, HDR_LEN) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "backup: cannot start AES-256-GCM");
		goto out;
	}
	if ((r = w_raw(&w, hdr, HDR_LEN)) != 0)
		goto out;
	if (EVP_DigestUpdate(w.filemd, hdr, HDR_LEN) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
		goto out;
	}
	if ((r = w_entry(&w, MANIFEST_NAME, (unsigned char *)mtext, strlen(mtext), NULL)) != 0)
		goto out;
	for (i = 0; i < c.n; i++)
		if ((r = w_entry(&w, c.v[i].name, NULL, c.v[i].size, c.v[i].path)) != 0)
			goto out;
	{
		unsigned char end[4] = { 0, 0, 0, 0 };

		if ((r = w_plain(&w, end, 4)) != 0)
			goto out;
	}
	if (EVP_EncryptFinal_ex(w.cipher, w.out, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(w.cipher, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "backup: encryption failed");
		goto out;
	}
	if ((r = w_raw(&w, w.out, (size_t)outl)) != 0 || (r = w_raw(&w, tag, TAG_LEN)) != 0)
		goto out;
	if (EVP_DigestUpdate(w.filemd, w.out, (size_t)outl) != 1 ||
	    EVP_DigestUpdate(w.filemd, tag, TAG_LEN) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
		goto out;
	}
	if (fsync(w.fd) != 0) {
		r = gp_err(GP_E_IO, "backup: fsync %s: %s", tmp, strerror(errno));
		goto out;
	}
	close(w.fd);
	w.fd = -1;
	if ((r = publish(tmp, path)) != 0)
		goto out;
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	EVP_DigestFinal_ex(w.filemd, info->sha256, NULL);
	info->manifest = mtext;
	mtext = NULL;
	info->nfiles = c.n;
	info->bytes = total;
	info->created = created;
	info->audit_seq = seq;
	/* 5. the audit entry naming the file by its digest (not in the backup) */
	gp_hex_encode(hex, info->sha256, 32);
	snprintf(detail, sizeof(detail), "sha256=%s files=%zu certificates=%lld audit_seq=%lld",
	    hex, c.n, (long long)ncerts, (long long)seq);
	if ((r = gp_audit_append(s, actor, "backup", path, detail)) != 0) {
		unlink(path);
		goto out;
	}
	if (out != NULL) {
		*out = info;
		info = NULL;
	}
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (w.fd >= 0)
		close(w.fd);
	if (tmp != NULL)
		unlink(tmp);
	if (dbtmp != NULL)
		unlink(dbtmp);
	EVP_CIPHER_CTX_free(w.cipher);
	EVP_MD_CTX_free(w.filemd);
	free(w.out);
	if (snapped)
		gp_store_read_end(s, own);
	gp_backup_info_free(info);
	json_decref(man);
	json_decref(files);
	free(mtext);
	free(tmp);
	free(dbtmp);
	collect_free(&c);
	return r;
}

/* ------------------------------------------------------------ reading */

/* The entries as they are decrypted, one byte stream at a time. */
struct reader {
	const char *path;
	const char *dir;        /* restore: where entries go; NULL: verify only */
	enum { R_NLEN, R_NAME, R_SIZE, R_DATA, R_END } st;
	unsigned char hbuf[NAME_MAX_LEN + 8];
	size_t hlen, want;
	char name[NAME_MAX_LEN + 1];
	uint64_t left, size;
	EVP_MD_CTX *md;
	int fd;                 /* restore: the entry's file */
	unsigned char *mbuf;    /* the manifest while it arrives */
	size_t mlen;
	json_t *manifest;
	json_t *seen;           /* name -> true */
	const struct gp_store_backend *backend; /* whose dump the backup holds */
	size_t nentries;
	uint64_t bytes;
	int trailing;           /* bytes after the end marker */
};

/* The manifest's record of name, or NULL. */
static json_t *
manifest_file(json_t *man, const char *name)
{
	json_t *files = json_object_get(man, "files"), *f;
	size_t i;

	json_array_foreach(files, i, f) {
		const char *n = json_string_value(json_object_get(f, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return f;
	}
	return NULL;
}

/* Creates the folders of name under dir. */
static int
make_parents(const char *dir, const char *name)
{
	char path[PATH_MAX];
	const char *p;

	for (p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		if (snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(p - name), name) >= (int)sizeof(path))
			return gp_err(GP_E_INVALID, "restore: path too long");
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return gp_err(GP_E_IO, "restore: mkdir %s: %s", path, strerror(errno));
	}
	return 0;
}

/* The backend the manifest names ("store"; none: DEFAULT_BACKEND). */
static int
manifest_backend(struct reader *rd)
{
	json_t *j = json_object_get(rd->manifest, "store");
	const char *name = j != NULL ? json_string_value(j) : DEFAULT_BACKEND;

	if (name == NULL)
		return gp_err(GP_E_VERIFY, "backup %s is damaged: the manifest's store is not a name",
		    rd->path);
	if ((rd->backend = gp_store_backend_named(name)) == NULL)
		return gp_err(GP_E_VERSION, "backup %s holds a store of the '%s' backend, which "
		    "this govpki does not have", rd->path, name);
	return 0;
}

static int
entry_begin(struct reader *rd)
{
	char path[PATH_MAX];
	int r;

	rd->nentries++;
	if (rd->nentries == 1) {
		if (strcmp(rd->name, MANIFEST_NAME) != 0)
			return gp_err(GP_E_VERIFY, "backup %s is damaged: the first entry is '%s', not the manifest",
			    rd->path, rd->name);
		if (rd->size > MANIFEST_MAX)
			return gp_err(GP_E_VERIFY, "backup %s is damaged: manifest too large", rd->path);
		if ((rd->mbuf = malloc((size_t)rd->size + 1)) == NULL)
			return gp_err(GP_E_NOMEM, "out of memory");
		rd->mlen = 0;
		return 0;
	}
	if (!safe_name(rd->name))
		return gp_err(GP_E_VERIFY, "backup %s is damaged: bad entry name '%s'", rd->path, rd->name);
	if (json_object_get(rd->seen, rd->name) != NULL)
		return gp_err(GP_E_VERIFY, "backup %s is damaged: entry '%s' appears twice", rd->path, rd->name);
	if (manifest_file(rd->manifest, rd->name) == NULL)
		return gp_err(GP_E_VERIFY, "backup %s is damaged: entry '%s' is not in the manifest",
		    rd->path, rd->name);
	json_object_set_new(rd->seen, rd->name, json_true());
	if (EVP_DigestInit_ex(rd->md, EVP_sha256(), NULL) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
	if (rd->dir != NULL) {
		if ((r = make_parents(rd->dir, rd->name)) != 0)
			return r;
		snprintf(path, sizeof(path), "%s/%s", rd->dir,
		    strcmp(rd->name, rd->backend->dump_name) == 0 ? STORE_SPOOL : rd->name);
		if ((rd->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
			return gp_err(GP_E_IO, "restore: cannot create %s: %s", path, strerror(errno));
	}
	return 0;
}

static int
entry_data(struct reader *rd, const unsigned char *p, size_t n)
{
	if (rd->nentries == 1) {
		memcpy(rd->mbuf + rd->mlen, p, n);
		rd->mlen += n;
		return 0;
	}
	if (EVP_DigestUpdate(rd->md, p, n) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
	rd->bytes += n;
	if (rd->fd >= 0) {
		struct spool sp = { rd->fd, rd->name };

		return spool_write(&sp, p, n);
	}
	return 0;
}

static int
entry_end(struct reader *rd)
{
	unsigned char md[32];
	char hex[65];
	json_t *f;
	json_error_t je;
	const char *want;

	if (rd->nentries == 1) {
		rd->mbuf[rd->mlen] = '\0';
		if ((rd->manifest = json_loadb((char *)rd->mbuf, rd->mlen, 0, &je)) == NULL ||
		    !json_is_object(rd->manifest) ||
		    !json_is_array(json_object_get(rd->manifest, "files")))
			return gp_err(GP_E_VERIFY, "backup %s is damaged: the manifest is not valid JSON", rd->path);
		return manifest_backend(rd);
	}
	if (rd->fd >= 0) {
		if (fsync(rd->fd) != 0) {
			close(rd->fd);
			rd->fd = -1;
			return gp_err(GP_E_IO, "restore: fsync %s: %s", rd->name, strerror(errno));
		}
		close(rd->fd);
		rd->fd = -1;
	}
	if (EVP_DigestFinal_ex(rd->md, md, NULL) != 1)
		return gp_err_ossl(GP_E_CRYPTO, "SHA-256 failed");
	gp_hex_encode(hex, md, 32);
	f = manifest_file(rd->manifest, rd->name);
	want = json_string_value(json_object_get(f, "sha256"));
	if (want == NULL || strcmp(want, hex) != 0)
		return gp_err(GP_E_VERIFY, "backup %s is damaged: SHA-256 of '%s' does not match the manifest",
		    rd->path, rd->name);
	if ((uint64_t)json_integer_value(json_object_get(f, "size")) != rd->size)
		return gp_err(GP_E_VERIFY, "backup %s is damaged: size of '%s' does not match the manifest",
		    rd->path, rd->name);
	return 0;
}

/* Feeds decrypted bytes through the entry parser. */
static int
feed(struct reader *rd, const unsigned char *p, size_t n)
{
	int r;

	while (n > 0) {
		size_t k;

		switch (rd->st) {
		case R_NLEN:
		case R_NAME:
		case R_SIZE:
			k = rd->want - rd->hlen;
			if (k > n)
				k = n;
			memcpy(rd->hbuf + rd->hlen, p, k);
			rd->hlen += k;
			p += k;
			n -= k;
			if (rd->hlen < rd->want)
				break;
			if (rd->st == R_NLEN) {
				uint32_t nl = gp_get_be32(rd->hbuf);

				if (nl == 0) {
					rd->st = R_END;
					break;
				}
				if (nl > NAME_MAX_LEN)
					return gp_err(GP_E_VERIFY, "backup %s is damaged: bad entry name length",
					    rd->path);
				rd->st = R_NAME;
				rd->want = nl;
			} else if (rd->st == R_NAME) {
				if (memchr(rd->hbuf, '\0', rd->want) != NULL)
					return gp_err(GP_E_VERIFY, "backup %s is damaged: bad entry name", rd->path);
				memcpy(rd->name, rd->hbuf, rd->want);
				rd->name[rd->want] = '\0';
				rd->st = R_SIZE;
				rd->want = 8;
			} else {
				rd->size = rd->left = get64(rd->hbuf);
				if ((r = entry_begin(rd)) != 0)
					return r;
				rd->st = R_DATA;
				if (rd->left == 0) {
					if ((r = entry_end(rd)) != 0)
						return r;
					rd->st = R_NLEN;
					rd->want = 4;
				}
			}
			rd->hlen = 0;
			break;
		case R_DATA:
			k = rd->left < n ? (size_t)rd->left : n;
			if ((r = entry_data(rd, p, k)) != 0)
				return r;
			p += k;
			n -= k;
			rd->left -= k;
			if (rd->left == 0) {
				if ((r = entry_end(rd)) != 0)
					return r;
				rd->st = R_NLEN;
				rd->want = 4;
				rd->hlen = 0;
			}
			break;
		case R_END:
			rd->trailing = 1;
			return gp_err(GP_E_VERIFY, "backup %s is damaged: data after the last entry", rd->path);
		}
	}
	return 0;
}

static int
read_full(int fd, unsigned char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Decrypts and checks path; with dir, writes its entries there. */
static int
backup_read(gp_backup_info **out, const struct gp_store_backend **backend, const char *path,
    const char *dir, const char *pass, size_t passlen)
{
	struct reader rd;
	struct stat st;
	EVP_CIPHER_CTX *cipher = NULL;
	EVP_MD_CTX *filemd = NULL;
	unsigned char hdr[HDR_LEN], key[64], mac[CHECK_LEN], tag[TAG_LEN];
	unsigned char *in = NULL, *plain = NULL;
	gp_backup_info *info = NULL;
	off_t off, end;
	json_t *f;
	size_t i;
	int fd = -1, outl, log2n, r;
	uint32_t sr, sp;

	*out = NULL;
	if (backend != NULL)
		*backend = NULL;
	memset(&rd, 0, sizeof(rd));
	rd.fd = -1;
	rd.path = path;
	rd.dir = dir;
	rd.st = R_NLEN;
	rd.want = 4;
	if (pass == NULL || passlen == 0)
		return gp_err(GP_E_PASSPHRASE, "backup: no passphrase");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gp_err(errno == ENOENT ? GP_E_NOTFOUND : GP_E_IO, "backup %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = gp_err(GP_E_IO, "backup %s: not a regular file", path);
		goto out;
	}
	if (st.st_size < HDR_LEN + TAG_LEN || read_full(fd, hdr, HDR_LEN, 0) != 0 ||
	    memcmp(hdr, MAGIC, 8) != 0) {
		r = gp_err(GP_E_PARSE, "%s is not a govpki backup", path);
		goto out;
	}
	if (hdr[8] != FORMAT_VERSION || hdr[9] != KDF_SCRYPT) {
		r = gp_err(GP_E_VERSION, "backup %s: format %d (kdf %d) is not known to this govpki",
		    path, hdr[8], hdr[9]);
		goto out;
	}
	log2n = hdr[10];
	sr = gp_get_be32(hdr + 11);
	sp = gp_get_be32(hdr + 15);
	/* bounds before any work: a crafted header must not ask for gigabytes */
	if (log2n < 10 || log2n > 22 || sr < 1 || sr > 32 || sp < 1 || sp > 16) {
		r = gp_err(GP_E_VERIFY, "backup %s is damaged: scrypt parameters out of range "
		    "(header)", path);
		goto out;
	}
	if ((r = derive(key, pass, passlen, hdr + 19, log2n, sr, sp)) != 0 ||
	    (r = header_mac(mac, key + 32, hdr)) != 0)
		goto out;
	if (CRYPTO_memcmp(mac, hdr + HDR_BODY, CHECK_LEN) != 0) {
		r = gp_err(GP_E_PASSPHRASE, "backup %s: wrong passphrase (or a damaged header)", path);
		goto out;
	}
	end = st.st_size - TAG_LEN;
	if (read_full(fd, tag, TAG_LEN, end) != 0) {
		r = gp_err(GP_E_IO, "backup %s: cannot read the tag", path);
		goto out;
	}
	if ((cipher = EVP_CIPHER_CTX_new()) == NULL || (filemd = EVP_MD_CTX_new()) == NULL ||
	    (rd.md = EVP_MD_CTX_new()) == NULL || (rd.seen = json_object()) == NULL ||
	    (in = malloc(CHUNK)) == NULL || (plain = malloc(CHUNK + 32)) == NULL ||
	    EVP_DigestInit_ex(filemd, EVP_sha256(), NULL) != 1 ||
	    EVP_DecryptInit_ex2(cipher, EVP_aes_256_gcm(), key, hdr + 19 + SALT_LEN, NULL) != 1 ||
	    EVP_DecryptUpdate(cipher, NULL, &outl, hdr, HDR_LEN) != 1 ||
	    EVP_DigestUpdate(filemd, hdr, HDR_LEN) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "backup: cannot start AES-256-GCM");
		goto out;
	}
	for (off = HDR_LEN; off < end;) {
		size_t k = (size_t)(end - off) > CHUNK ? CHUNK : (size_t)(end - off);

		if (read_full(fd, in, k, off) != 0) {
			r = gp_err(GP_E_IO, "backup %s: read failed", path);
			goto out;
		}
		off += (off_t)k;
		if (EVP_DigestUpdate(filemd, in, k) != 1 ||
		    EVP_DecryptUpdate(cipher, plain, &outl, in, (int)k) != 1) {
			r = gp_err_ossl(GP_E_CRYPTO, "backup: decryption failed");
			goto out;
		}
		/* unauthenticated until the tag: parsed, never trusted or kept */
		if ((r = feed(&rd, plain, (size_t)outl)) != 0)
			goto out;
	}
	EVP_DigestUpdate(filemd, tag, TAG_LEN);
	if (EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(cipher, plain, &outl) != 1) {
		r = gp_err(GP_E_VERIFY, "backup %s is damaged: the AES-GCM tag does not match", path);
		goto out;
	}
	if (rd.st != R_END) {
		r = gp_err(GP_E_VERIFY, "backup %s is truncated", path);
		goto out;
	}
	json_array_foreach(json_object_get(rd.manifest, "files"), i, f) {
		const char *n = json_string_value(json_object_get(f, "name"));

		if (n == NULL || json_object_get(rd.seen, n) == NULL) {
			r = gp_err(GP_E_VERIFY, "backup %s is damaged: '%s' of the manifest is missing",
			    path, n ? n : "?");
			goto out;
		}
	}
	if (json_object_get(rd.seen, rd.backend->dump_name) == NULL) {
		r = gp_err(GP_E_VERIFY, "backup %s holds no store", path);
		goto out;
	}
	if ((info = calloc(1, sizeof(*info))) == NULL ||
	    (info->manifest = malloc(rd.mlen + 1)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(info->manifest, rd.mbuf, rd.mlen + 1);
	info->nfiles = rd.nentries - 1;
	info->bytes = rd.bytes;
	info->created = json_integer_value(json_object_get(rd.manifest, "created_unix"));
	info->audit_seq = json_integer_value(json_object_get(rd.manifest, "audit_seq"));
	EVP_DigestFinal_ex(filemd, info->sha256, NULL);
	*out = info;
	info = NULL;
	if (backend != NULL)
		*backend = rd.backend;
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (rd.fd >= 0)
		close(rd.fd);
	if (fd >= 0)
		close(fd);
	if (plain != NULL)
		OPENSSL_cleanse(plain, CHUNK + 32);
	free(plain);
	free(in);
	free(rd.mbuf);
	json_decref(rd.manifest);
	json_decref(rd.seen);
	EVP_MD_CTX_free(rd.md);
	EVP_MD_CTX_free(filemd);
	EVP_CIPHER_CTX_free(cipher);
	gp_backup_info_free(info);
	return r;
}

int
gp_backup_verify(gp_backup_info **out, const char *path, const char *pass, size_t passlen)
{
	gp_backup_info *info = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (path == NULL)
		return gp_err(GP_E_INVALID, "gp_backup_verify: no file");
	if ((r = backup_read(&info, NULL, path, NULL, pass, passlen)) != 0)
		return r;
	if (out != NULL)
		*out = info;
	else
		gp_backup_info_free(info);
	return 0;
}

/* Removes what restore wrote into its fresh folder dir, and dir. */
static void
remove_tree(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char path[PATH_MAX];
	struct stat st;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/*
 * The backup does not hold the CRLs the old CA published after it was
 * taken; their numbers must not come again (RFC 5280 §5.2.3: they only
 * grow, and a client that holds CRL n ignores or distrusts a later CRL n).
 * Each CA's next number is raised by GP_BACKUP_CRL_MARGIN, more than any
 * CA publishes (2^32: a CRL a second for 136 years), as meta
 * ca.NAME.crl_floor, which ca/crl.c does not go under.
 */
static int
crl_floors(gp_store *s)
{
	gp_ca_info **cas = NULL;
	size_t ncas = 0, i;
	char key[128], val[32], *old = NULL;
	int64_t next;
	int r;

	if ((r = gp_store_ca_list(s, &cas, &ncas)) != 0)
		return r;
	for (i = 0; i < ncas; i++) {
		snprintf(key, sizeof(key), "ca.%s.crl_floor", cas[i]->name);
		if ((r = gp_store_crl_next_number(s, cas[i]->id, &next)) != 0)
			goto out;
		/* a floor left by an earlier restore that no CRL has reached */
		if ((r = gp_store_meta_get(s, key, &old)) == 0) {
			long long f = strtoll(old, NULL, 10);

			if (f > next)
				next = f;
			gp_free(old);
			old = NULL;
		} else if (r != GP_E_NOTFOUND) {
			goto out;
		}
		if (next > INT64_MAX - GP_BACKUP_CRL_MARGIN) {
			r = gp_err(GP_E_STATE, "restore: CA %s: CRL number %lld leaves no room for the margin",
			    cas[i]->name, (long long)next);
			goto out;
		}
		snprintf(val, sizeof(val), "%lld", (long long)(next + GP_BACKUP_CRL_MARGIN));
		if ((r = gp_store_meta_set(s, key, val)) != 0)
			goto out;
	}
	r = 0;
out:
	gp_ca_info_list_free(cas, ncas);
	return r;
}

int
gp_backup_restore(gp_backup_info **out, const char *path, const char *to_dir,
    const char *pass, size_t passlen, const char *actor)
{
	gp_backup_info *info = NULL;
	const struct gp_store_backend *b = NULL;
	gp_store *s = NULL;
	struct spool sp = { -1, NULL };
	char *stage = NULL, uri[PATH_MAX], spool[PATH_MAX], detail[256], hex[65];
	int64_t bad = 0, rows = 0;
	struct stat st;
	size_t len;
	int empty_dir = 0, r;
	DIR *d;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || to_dir == NULL || *to_dir == '\0')
		return gp_err(GP_E_INVALID, "gp_backup_restore: NULL argument");
	if (stat(to_dir, &st) == 0) {
		struct dirent *de;
		int n = 0;

		if (!S_ISDIR(st.st_mode) || (d = opendir(to_dir)) == NULL)
			return gp_err(GP_E_EXISTS, "restore: %s exists and is not an empty folder", to_dir);
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				n++;
		closedir(d);
		if (n > 0)
			return gp_err(GP_E_EXISTS, "restore: %s is not empty: restore into a new folder",
			    to_dir);
		empty_dir = 1;
	}
	len = strlen(to_dir) + 32;
	if ((stage = malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(stage, len, "%s.restore-XXXXXX", to_dir);
	if (mkdtemp(stage) == NULL) {
		r = gp_err(GP_E_IO, "restore: cannot make a folder beside %s: %s", to_dir, strerror(errno));
		free(stage);
		return r;
	}
	chmod(stage, 0700);
	if ((r = backup_read(&info, &b, path, stage, pass, passlen)) != 0)
		goto out;
	/* the store's entry, authenticated now, goes to its backend */
	snprintf(spool, sizeof(spool), "%s/%s", stage, STORE_SPOOL);
	if ((size_t)snprintf(uri, sizeof(uri), "%s:%s/%s", b->scheme, stage, b->dump_name) >=
	    sizeof(uri)) {
		r = gp_err(GP_E_INVALID, "restore: %s: path too long", to_dir);
		goto out;
	}
	sp.path = spool;
	if ((sp.fd = open(spool, O_RDONLY | O_CLOEXEC)) < 0) {
		r = gp_err(GP_E_IO, "restore: %s: %s", spool, strerror(errno));
		goto out;
	}
	if ((r = gp_store_restore(uri, spool_read, &sp)) != 0)
		goto out;
	close(sp.fd);
	sp.fd = -1;
	unlink(spool);
	/* the restored store opens (migrated to this build's schema), its
	 * chain holds, and records the restore */
	if ((r = gp_store_open(&s, uri, 0)) != 0)
		goto out;
	if ((r = gp_audit_verify(&bad, &rows, s)) != 0) {
		r = gp_err_ctx(r, "restore: the audit chain of the backup does not verify: ");
		goto out;
	}
	gp_hex_encode(hex, info->sha256, 32);
	snprintf(detail, sizeof(detail), "backup_sha256=%s backup_created=%lld audit_seq=%lld "
	    "crl_margin=%lld", hex, (long long)info->created, (long long)info->audit_seq,
	    (long long)GP_BACKUP_CRL_MARGIN);
	if ((r = gp_store_begin(s)) != 0)
		goto out;
	if ((r = crl_floors(s)) != 0 ||
	    (r = gp_audit_append(s, actor ? actor : "ca-tool", "restore", path, detail)) != 0 ||
	    (r = gp_store_commit(s)) != 0) {
		gp_store_rollback(s);
		goto out;
	}
	if ((r = gp_audit_verify(&bad, &rows, s)) != 0)
		goto out;
	gp_store_close(s);
	s = NULL;
	if (empty_dir && rmdir(to_dir) != 0) {
		r = gp_err(GP_E_IO, "restore: %s: %s", to_dir, strerror(errno));
		goto out;
	}
	if (rename(stage, to_dir) != 0) {
		r = gp_err(GP_E_IO, "restore: cannot rename %s to %s: %s", stage, to_dir,
		    strerror(errno));
		if (empty_dir)
			mkdir(to_dir, 0700);
		goto out;
	}
	free(stage);
	stage = NULL;
	if (out != NULL) {
		*out = info;
		info = NULL;
	}
	r = 0;
out:
	if (sp.fd >= 0)
		close(sp.fd);
	gp_store_close(s);
	if (stage != NULL) {
		remove_tree(stage);
		free(stage);
	}
	gp_backup_info_free(info);
	return r;
}
