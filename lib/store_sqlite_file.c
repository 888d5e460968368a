/* lib/store_sqlite_file.c: the SQLite backend's file side: dump (sqlite3_backup_*), restore, remove */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "error_int.h"
#include "store_sqlite_int.h"

/* How long a source still locked at the start may delay the copy: the
 * backup takes a read transaction, which in WAL mode waits only for a
 * checkpoint that is resetting the log, never for ordinary writers. */
#define BACKUP_BUSY_TRIES 1000
#define BACKUP_BUSY_MS 10
#define CHUNK (64 * 1024)

/* The 16 bytes an SQLite database file starts with ("Database File
 * Format" §1.3.1 of the SQLite documentation). */
static const char sqlite_magic[16] = "SQLite format 3";

/* Every file SQLite may keep beside a database path. */
static const char *const side_files[] = { "", "-wal", "-shm", "-journal" };

/*
 * The dump is the database file as a self-contained SQLite database
 * (rollback journal mode, no -wal beside it): the bytes of the govpki.db
 * entry of every backup so far, so old backups restore unchanged and a
 * restored store of an older schema is migrated when opened.
 *
 * The copy is made with sqlite3_backup_step(-1): all pages in one step,
 * inside the connection's read transaction (the caller's snapshot if one
 * is open, else one of its own), so it is the store at one instant while
 * other connections go on writing.  It goes through a temporary file
 * beside the store (mode 0600, removed before returning), as
 * sqlite3_backup needs a database to copy into.
 */
int
sq_dump(gp_store *gs, gp_store_write_fn wr, void *arg)
{
	sq_store *s = SQ(gs);
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	unsigned char *buf = NULL;
	char *tmp = NULL;
	size_t len;
	ssize_t n;
	int fd = -1, rc, tries = 0, r;

	/* a write transaction of ours would be copied uncommitted */
	if (sqlite3_txn_state(s->db, "main") == SQLITE_TXN_WRITE)
		return gp_err(GP_E_STATE, "dump: a write transaction is open on this store "
		    "connection");
	len = strlen(s->path) + 16;
	if ((tmp = malloc(len)) == NULL || (buf = malloc(CHUNK)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(tmp, len, "%s.dump-XXXXXX", s->path);
	if ((fd = mkstemp(tmp)) < 0) {
		r = gp_err(GP_E_IO, "dump: cannot create a file beside %s: %s", s->path,
		    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	/* an empty file is an empty database to SQLite */
	if ((rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL)) != SQLITE_OK) {
		r = gp_err(GP_E_IO, "dump: cannot open %s: %s", tmp,
		    dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", s->db, "main")) == NULL) {
		r = gp_err(GP_E_STORE, "dump: cannot start copying %s: %s", s->path,
		    sqlite3_errmsg(dst));
		goto out;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_DONE)
			break;
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < BACKUP_BUSY_TRIES) {
			sqlite3_sleep(BACKUP_BUSY_MS);
			continue;
		}
		r = sq_fail(s, rc, "dump");
		goto out;
	}
	rc = sqlite3_backup_finish(b);
	b = NULL;
	if (rc != SQLITE_OK) {
		r = gp_err(GP_E_STORE, "dump: copying %s failed: %s", s->path, sqlite3_errmsg(dst));
		goto out;
	}
	/* one self-contained file: no -wal beside it */
	if ((rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL)) != SQLITE_OK) {
		r = gp_err(GP_E_STORE, "dump: %s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		r = gp_err(GP_E_IO, "dump: closing %s failed: %s", tmp, sqlite3_errstr(rc));
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		r = gp_err(GP_E_IO, "dump: %s: %s", tmp, strerror(errno));
		goto out;
	}
	while ((n = read(fd, buf, CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = gp_err(GP_E_IO, "dump: reading %s: %s", tmp, strerror(errno));
			goto out;
		}
		if ((r = wr(arg, buf, (size_t)n)) != 0)
			goto out;
	}
	r = 0;
out:
	if (b != NULL)
		sqlite3_backup_finish(b);
	if (dst != NULL)
		sqlite3_close(dst);
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		for (size_t i = 0; i < sizeof(side_files) / sizeof(side_files[0]); i++) {
			char p[PATH_MAX];

			if ((size_t)snprintf(p, sizeof(p), "%s%s", tmp, side_files[i]) < sizeof(p))
				unlink(p);
		}
	}
	free(tmp);
	free(buf);
	return r;
}

/* Writes all n bytes to fd. */
static int
write_all(int fd, const unsigned char *p, size_t n, const char *path)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return gp_err(GP_E_IO, "restore: writing %s: %s", path, strerror(errno));
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * The dump's bytes become the database file at path, created exclusively
 * (never over anything) with mode 0600 and fsynced.  A stream that does
 * not start as an SQLite database is refused (GP_E_PARSE) and nothing is
 * left; what the schema holds is checked by the next open.
 */
static int
sq_restore(const char *path, gp_store_read_fn rd, void *arg)
{
	unsigned char *buf = NULL;
	size_t got, total = 0;
	int fd = -1, created = 0, r;

	if ((buf = malloc(CHUNK)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		r = errno == EEXIST ? gp_err(GP_E_EXISTS, "restore: %s exists already", path) :
		    gp_err(GP_E_IO, "restore: cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	created = 1;
	for (;;) {
		if ((r = rd(arg, buf, CHUNK, &got)) != 0)
			goto out;
		if (got == 0)
			break;
		/* the first 16 bytes arrive before any other: check them as they come */
		if (total < sizeof(sqlite_magic)) {
			size_t k = sizeof(sqlite_magic) - total < got ? sizeof(sqlite_magic) - total : got;

			if (memcmp(buf, sqlite_magic + total, k) != 0) {
				r = gp_err(GP_E_PARSE, "restore: the dump for %s is not an SQLite "
				    "database", path);
				goto out;
			}
		}
		total += got;
		if ((r = write_all(fd, buf, got, path)) != 0)
			goto out;
	}
	if (total < sizeof(sqlite_magic)) {
		r = gp_err(GP_E_PARSE, "restore: the dump for %s is not an SQLite database "
		    "(%zu bytes)", path, total);
		goto out;
	}
	if (fsync(fd) != 0) {
		r = gp_err(GP_E_IO, "restore: fsync %s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0 && created)
		unlink(path);
	free(buf);
	return r;
}

/* The database file and the side files SQLite keeps beside it. */
static int
sq_remove(const char *path)
{
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(side_files) / sizeof(side_files[0]); i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s%s", path, side_files[i]) >= sizeof(p))
			return gp_err(GP_E_INVALID, "store path %s is too long", path);
		if (unlink(p) != 0 && errno != ENOENT)
			return gp_err(GP_E_IO, "cannot remove %s: %s", p, strerror(errno));
	}
	return 0;
}

static int
sq_exists(const char *path, int *out)
{
	struct stat st;

	*out = 0;
	if (stat(path, &st) == 0) {
		*out = 1;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	return gp_err(GP_E_IO, "store %s: %s", path, strerror(errno));
}

const struct gp_store_backend gp_store_sqlite_backend = {
	.scheme = "sqlite",
	.local = 1,
	.dump_name = "govpki.db",
	.open = sq_open,
	.restore = sq_restore,
	.remove = sq_remove,
	.exists = sq_exists,
};
