/* lib/store_sqlite_backup.c: a consistent online copy of an SQLite store (sqlite3_backup_*) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "error_int.h"
#include "store_sqlite_int.h"

/* How long a source still locked at the start may delay the copy: the
 * backup takes a read transaction, which in WAL mode waits only for a
 * checkpoint that is resetting the log, never for ordinary writers. */
#define BACKUP_BUSY_TRIES 1000
#define BACKUP_BUSY_MS 10

/* Makes path durable: fsync of the file itself. */
static int
sync_file(const char *path)
{
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gp_err(GP_E_IO, "backup: cannot reopen %s: %s", path, strerror(errno));
	if (fsync(fd) != 0)
		r = gp_err(GP_E_IO, "backup: fsync %s: %s", path, strerror(errno));
	close(fd);
	return r;
}

/*
 * The copy is made with sqlite3_backup_step(-1): all pages in one step,
 * hence inside one read transaction of the source connection, so the copy
 * is the snapshot of one instant (WAL content committed until then
 * included) while other connections (RA, OCSP responder, ca-tool issue)
 * go on writing.  dest_path must not exist; it is created with O_EXCL so
 * that a backup never overwrites anything.  On failure it is removed.
 */
int
sq_backup(gp_store *gs, const char *dest_path)
{
	sq_store *s = SQ(gs);
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	int fd, rc, tries = 0, created = 0, r;

	if (dest_path == NULL || *dest_path == '\0')
		return gp_err(GP_E_INVALID, "backup: no destination file");
	if (!sqlite3_get_autocommit(s->db))
		return gp_err(GP_E_STATE, "backup: a transaction is open on this store connection");
	if ((fd = open(dest_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		if (errno == EEXIST)
			return gp_err(GP_E_EXISTS, "backup: %s exists already", dest_path);
		return gp_err(GP_E_IO, "backup: cannot create %s: %s", dest_path, strerror(errno));
	}
	close(fd);
	created = 1;
	/* an empty file is an empty database to SQLite */
	if ((rc = sqlite3_open_v2(dest_path, &dst, SQLITE_OPEN_READWRITE, NULL)) != SQLITE_OK) {
		r = gp_err(GP_E_IO, "backup: cannot open %s: %s", dest_path,
		    dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", s->db, "main")) == NULL) {
		r = gp_err(GP_E_STORE, "backup: cannot start copying %s: %s", s->path,
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
		r = sq_fail(s, rc, "backup");
		goto out;
	}
	rc = sqlite3_backup_finish(b);
	b = NULL;
	if (rc != SQLITE_OK) {
		r = gp_err(GP_E_STORE, "backup: copying %s failed: %s", s->path, sqlite3_errmsg(dst));
		goto out;
	}
	/* one self-contained file: no -wal beside it */
	if ((rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL)) != SQLITE_OK) {
		r = gp_err(GP_E_STORE, "backup: %s: %s", dest_path, sqlite3_errmsg(dst));
		goto out;
	}
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		r = gp_err(GP_E_IO, "backup: closing %s failed: %s", dest_path, sqlite3_errstr(rc));
		goto out;
	}
	if ((r = sync_file(dest_path)) != 0)
		goto out;
	created = 0;
	r = 0;
out:
	if (b != NULL)
		sqlite3_backup_finish(b);
	if (dst != NULL)
		sqlite3_close(dst);
	if (created)
		unlink(dest_path);
	return r;
}
