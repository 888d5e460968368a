/* govpki/backup.h: encrypted online backups of a govpki home, their verification and restore */
#ifndef GOVPKI_BACKUP_H
#define GOVPKI_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include <govpki/export.h>
#include <govpki/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A backup file: a 79-byte header (magic "GPBACKUP", version, the scrypt
 * parameters and salt (RFC 7914), the AES-256-GCM IV, and an HMAC-SHA256
 * under a second derived key that tells a wrong passphrase from damage),
 * then one AES-256-GCM stream with the header as additional data, then its
 * 16-byte tag.  The plaintext is a sequence of entries (4-byte name
 * length, name, 8-byte size, bytes), the first one MANIFEST.json (every
 * other entry's name, size and SHA-256), ended by a zero name length.
 * Entries: the store's dump, named by its backend (SQLite: govpki.db, a
 * consistent copy of the database file; the manifest's "store" names the
 * backend, none meaning SQLite), and the encrypted key files as they are;
 * keys in HSMs stay there (listed in the manifest).
 */

/* What a backup holds; every pointer is owned by the record. */
typedef struct gp_backup_info {
	char *manifest;         /* MANIFEST.json as stored (NUL-terminated) */
	size_t nfiles;          /* entries besides the manifest */
	uint64_t bytes;         /* their total size */
	int64_t created;        /* unix time the copy was taken */
	int64_t audit_seq;      /* the last audit entry inside the backup */
	unsigned char sha256[32]; /* SHA-256 of the backup file itself */
} gp_backup_info;
GP_EXPORT void gp_backup_info_free(gp_backup_info *info);

/* Writes the store's dump (one snapshot, taken while other connections
 * keep writing; SQLite: a database file that opens as a store) into
 * dest_path, which must not exist (GP_E_EXISTS).  Refused inside a write
 * transaction (GP_E_STATE).  On failure dest_path does not exist. */
GP_EXPORT int gp_store_backup(gp_store *s, const char *dest_path);

/* Set size with GP_BACKUP_PARAMS_INIT (docs/api.md):
 *   gp_backup_params p = GP_BACKUP_PARAMS_INIT; */
/* What a restore adds to each CA's next CRL number: more CRLs than the old
 * CA can have published after the backup (2^32, one a second for 136 years),
 * so that no number comes twice (RFC 5280 §5.2.3). */
#define GP_BACKUP_CRL_MARGIN ((int64_t)1 << 32)

typedef struct gp_backup_params {
	size_t size;            /* sizeof(gp_backup_params) of the caller's headers */
	const char *home;       /* the govpki home: relative key paths start here */
	const char *keys_dir;   /* folder of key files, absolute or relative to home; NULL: "keys" */
	const char *pass;       /* the backup passphrase (required, not empty) */
	size_t passlen;
	const char *actor;      /* for the audit log; NULL: "ca-tool" */
	int scrypt_log2n;       /* 0: 17 (N = 131072, r = 8, p = 1: 128 MiB); 10..22 */
	const char *config;     /* the configuration file, backed up as govpki.cnf; NULL: none */
} gp_backup_params;
#define GP_BACKUP_PARAMS_INIT { sizeof(gp_backup_params), NULL, NULL, NULL, 0, NULL, 0, NULL }

/*
 * Writes an encrypted backup of store s (and the key files of home) to
 * path, which must not exist.  Appends "backup.begin" to the audit chain
 * before the copy (so the backup holds it) and "backup" with the file's
 * SHA-256 after.  A key file that is not encrypted is refused
 * (GP_E_POLICY).  On failure path does not exist.  *out may be NULL; else
 * gp_backup_info_free.  GP_E_INVALID when p->size is not that of a
 * gp_backup_params (GP_BACKUP_PARAMS_INIT).
 */
GP_EXPORT int gp_backup_create(gp_backup_info **out, gp_store *s, const char *path,
    const gp_backup_params *p);

/* Decrypts path and checks the tag, every entry against the manifest and
 * the manifest against the entries, writing nothing.  GP_E_PASSPHRASE for
 * a wrong passphrase, GP_E_VERIFY for a damaged file (naming what),
 * GP_E_PARSE for something that is not a backup.  *out may be NULL. */
GP_EXPORT int gp_backup_verify(gp_backup_info **out, const char *path,
    const char *pass, size_t passlen);

/*
 * Restores path into to_dir (which must not exist, or be an empty folder):
 * everything is written into a fresh folder beside it, checked as
 * gp_backup_verify checks, the restored store's audit chain verified and
 * a "restore" entry appended to it, and only then renamed to to_dir.  On
 * any failure to_dir is as it was.  The restored store keeps its serials;
 * each CA's next CRL number is GP_BACKUP_CRL_MARGIN above the backup's, so
 * that it stays above those of CRLs published after the backup.  A
 * configuration file in the backup (gp_backup_params.config) is restored
 * as to_dir/govpki.cnf.
 */
GP_EXPORT int gp_backup_restore(gp_backup_info **out, const char *path,
    const char *to_dir, const char *pass, size_t passlen, const char *actor);

#ifdef __cplusplus
}
#endif
#endif
