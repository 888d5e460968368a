/* tools/ca-tool-publish.c: ca-tool crl --publish: a CA's CRLs and certificate, into the folder the daemons serve */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca-tool.h"

/*
 * The folder is laid out as the URLs that [ca.NAME] base_url puts in what
 * the CA issues (docs/configuration.md), and as ocsp-responder serves it
 * (tools/daemon_files.h): DIR/crl/NAME.crl, DIR/ca/NAME.crt, and the delta
 * CRL under the file name of [crl] delta_url.
 *
 * A CRL is made again once half of its validity (thisUpdate to
 * nextUpdate) has passed, so that the next one is out well before
 * relying parties must stop using the last (RFC 5280 §5.1.2.5: a CRL is
 * issued on or before its predecessor's nextUpdate), or as soon as
 * certificates of the CA changed status after it: with deltas, the delta
 * carries the change and the full CRL keeps its schedule.
 */

/* What is known of one CRL of the CA. */
typedef struct crl_state {
	gp_crl_info *latest;    /* the latest in the store (no DER), or NULL */
	int due;
	const char *why;        /* why it is due */
	gp_crl_info *made;      /* made by this run, with its DER */
	int written;            /* the folder's file was replaced */
} crl_state;

static int
count_cb(void *arg, const unsigned char *buf, size_t len)
{
	(void)buf;
	(void)len;
	(*(long long *)arg)++;
	return 0;
}

/* Whether crl (NULL: none yet) is due as of now; changes since it count
 * when changes is set. */
static int
decide(crl_state *s, gp_store *st, int64_t ca_id, int64_t now, int changes)
{
	long long n = 0;
	int r;

	if (s->latest == NULL) {
		s->due = 1;
		s->why = "none published yet";
		return 0;
	}
	if (s->latest->next_update > 0 &&
	    now >= s->latest->this_update + (s->latest->next_update - s->latest->this_update) / 2) {
		s->due = 1;
		s->why = now >= s->latest->next_update ? "past its nextUpdate" :
		    "half of its validity has passed";
		return 0;
	}
	if (changes) {
		if ((r = gp_store_crl_entries(st, ca_id, s->latest->revision, count_cb, &n)) != 0)
			return cli_fail(r, "crl --publish");
		if (n > 0) {
			s->due = 1;
			s->why = "certificates changed status since";
		}
	}
	return 0;
}

/* 1 when path holds exactly buf already. */
static int
same_file(const char *path, const unsigned char *buf, size_t len)
{
	struct stat sb;
	unsigned char *old;
	size_t got = 0;
	ssize_t k;
	int fd, same = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size == len &&
	    (old = malloc(len ? len : 1)) != NULL) {
		while (got < len && (k = read(fd, old + got, len - got)) > 0)
			got += (size_t)k;
		same = got == len && memcmp(old, buf, len) == 0;
		free(old);
	}
	close(fd);
	return same;
}

/* Puts buf at DIR/SUB/NAME by write and rename (cli_write_file: a reader
 * sees the old file or the new one, never half), unless it is there
 * already; *written says which. */
static int
place(int *written, const char *dir, const char *sub, const char *name,
    const unsigned char *buf, size_t len)
{
	char path[PATH_MAX];
	int n;

	*written = 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		return cli_usage_error("crl --publish: the folder name is too long");
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: crl --publish: %s: %s\n", cli_prog, path, strerror(errno));
		return EXIT_FAIL;
	}
	n = snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return cli_usage_error("crl --publish: the folder name is too long");
	if (same_file(path, buf, len))
		return 0;
	if (cli_write_file(path, buf, len, 1) != 0) {
		fprintf(stderr, "%s: crl --publish: %s: %s\n", cli_prog, path, strerror(errno));
		return EXIT_FAIL;
	}
	*written = 1;
	return 0;
}

/* The file name of the delta CRL: the last segment of [crl] delta_url
 * with its "%s" (the CA's name) filled in, which must be a NAME.crl that
 * the daemons serve (letters, digits, '-', '_', '.'). */
static int
delta_name(char *out, size_t size, const char *url, const char *ca)
{
	const char *seg = strrchr(url, '/'), *pct;
	size_t n;

	seg = seg != NULL ? seg + 1 : url;
	if ((pct = strstr(seg, "%s")) != NULL)
		snprintf(out, size, "%.*s%s%s", (int)(pct - seg), seg, ca, pct + 2);
	else
		snprintf(out, size, "%s", seg);
	n = strlen(out);
	if (n < 5 || out[0] == '.' || strcmp(out + n - 4, ".crl") != 0 ||
	    strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n)
		return cli_usage_error("crl --publish: [crl] delta_url '%s' does not end in a file "
		    "name NAME.crl that the daemons serve", url);
	return 0;
}

static json_t *
crl_json(const crl_state *s, const char *file)
{
	const gp_crl_info *c = s->made != NULL ? s->made : s->latest;
	char tu[32], nu[32];

	if (c == NULL)
		return json_null();
	ct_iso_time(tu, c->this_update);
	ct_iso_time(nu, c->next_update);
	return json_pack("{s:I, s:s, s:s, s:s, s:b, s:s?, s:b}", "number", (json_int_t)c->number,
	    "file", file, "this_update", tu, "next_update", nu, "made", s->made != NULL,
	    "why", s->made != NULL ? s->why : NULL, "written", s->written);
}

static void
crl_text(const crl_state *s, const char *what, const char *dir, const char *file, const char *ca)
{
	const gp_crl_info *c = s->made != NULL ? s->made : s->latest;
	char nu[32];

	if (c == NULL)
		return;
	ct_iso_time(nu, c->next_update);
	if (s->made != NULL)
		printf("%s CRL number %lld of %s made (%s), next update %s\n", what,
		    (long long)c->number, ca, s->why, nu);
	else
		printf("%s CRL number %lld of %s is current, next update %s\n", what,
		    (long long)c->number, ca, nu);
	if (s->written)
		printf("  written to %s/crl/%s\n", dir, file);
}

int
ct_crl_publish(opts *o)
{
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	gp_ca_info *info = NULL;
	gp_store *st;
	gp_crl_info *full_der = NULL, *delta_der = NULL;
	gp_crl_shard *shards = NULL;
	crl_state full, delta;
	const char *delta_url;
	char *pass = NULL, fname[160], cname[160], dname[256], sec[96];
	size_t passlen = 0, nshards = 0, k;
	struct stat sb;
	int64_t now = (int64_t)time(NULL);
	int r, cert_written = 0, sharded, *shard_written = NULL, stale = 0;

	memset(&full, 0, sizeof(full));
	memset(&delta, 0, sizeof(delta));
	if (o->ca == NULL)
		return cli_usage_error("crl --publish needs --ca");
	if (o->out != NULL || o->delta || o->pem)
		return cli_usage_error("crl --publish writes the folder: no --out, --delta or --pem");
	if (o->now != NULL && (gp_time_parse(&now, o->now, GP_TIME_TEXT) != 0 || now <= 0))
		return cli_usage_error("crl: --now: '%s' is not a time (YYYY-MM-DD[THH:MM:SSZ] or "
		    "@UNIX)", o->now);
	if (stat(o->publish, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "%s: crl --publish: %s is not a folder\n", cli_prog, o->publish);
		return EXIT_NOTFOUND;
	}
	snprintf(fname, sizeof(fname), "%s.crl", o->ca);
	snprintf(cname, sizeof(cname), "%s.crt", o->ca);
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	st = gp_ctx_store(ctx);
	delta_url = gp_config_str(gp_ctx_config(ctx), "crl", "delta_url", NULL);
	snprintf(sec, sizeof(sec), "ca.%s", o->ca);
	sharded = gp_config_str(gp_ctx_config(ctx), sec, "crl_shards", NULL) != NULL;
	if (o->shards && !sharded) {
		r = cli_usage_error("crl --shards: CA %s has no crl_shards in [%s]", o->ca, sec);
		goto out;
	}
	if (delta_url != NULL && (r = delta_name(dname, sizeof(dname), delta_url, o->ca)) != 0)
		goto out;
	if ((r = gp_store_ca_get(st, o->ca, &info)) != 0) {
		r = cli_fail(r, "crl --publish");
		goto out;
	}
	/* what is due: the full CRL, and the delta when relying parties are
	 * told where to find it ([crl] delta_url, RFC 5280 §5.2.6) */
	if (((r = gp_store_crl_latest_info(st, info->id, 0, &full.latest)) != 0 &&
	    r != GP_E_NOTFOUND) || (delta_url != NULL &&
	    (r = gp_store_crl_latest_info(st, info->id, 1, &delta.latest)) != 0 &&
	    r != GP_E_NOTFOUND)) {
		r = cli_fail(r, "crl --publish");
		goto out;
	}
	gp_error_clear();
	/* shards have no deltas: a change needs a new full CRL and shards */
	if (o->shards) {
		full.due = 1;
		full.why = "--shards";
	} else if ((r = decide(&full, st, info->id, now, delta_url == NULL || sharded)) != 0) {
		goto out;
	}
	if (delta_url != NULL) {
		if (full.due) {
			delta.due = 1;
			delta.why = "a new full CRL";
		} else if (delta.latest != NULL && delta.latest->base_number != full.latest->number) {
			delta.due = 1;
			delta.why = "it completes an older full CRL";
		} else if ((r = decide(&delta, st, info->id, now, 1)) != 0) {
			goto out;
		}
	}
	if (info->key_uri[0] == '\0' && (full.due || delta.due)) {
		/* imported without its key (ca-tool import-ca: an offline root):
		 * its CRLs are signed where the key is, and imported */
		stale = full.latest == NULL || full.latest->next_update <= now;
		fprintf(stderr, "%s: crl --publish: CA %s signs its CRLs elsewhere: a new one is due "
		    "(%s): sign it there and run ca-tool import-crl --ca %s%s\n", cli_prog, o->ca,
		    full.due ? full.why : delta.why, o->ca,
		    stale ? "; the one published here is not current" : "");
		full.due = delta.due = 0;
	}
	if (full.due || delta.due) {
		/* only now the key: a run with nothing due needs no passphrase */
		if (gp_ctx_signer0(ctx) == NULL &&
		    (r = ct_read_pass(&pass, &passlen, o->pass_file, "Passphrase of the CA key: ")) != 0)
			goto out;
		if ((r = gp_ca_open(&ca, ctx, o->ca, pass, passlen)) != 0) {
			r = cli_fail(r, "crl --publish");
			goto out;
		}
		if ((full.due && sharded && (r = gp_ca_crl_shards(&full.made, &shards, &nshards, ca,
		    o->actor)) != 0) ||
		    (full.due && !sharded && (r = gp_ca_crl(&full.made, ca, 0, o->actor)) != 0) ||
		    (delta.due && (r = gp_ca_crl(&delta.made, ca, 1, o->actor)) != 0)) {
			r = cli_fail(r, "crl --publish");
			goto out;
		}
	}
	/* the folder gets what the store has: a run after a failed write, or
	 * into a new folder, puts the current CRLs there */
	if (full.made == NULL && full.latest != NULL &&
	    (r = gp_store_crl_latest(st, info->id, 0, &full_der)) != 0) {
		r = cli_fail(r, "crl --publish");
		goto out;
	}
	if (delta_url != NULL && delta.made == NULL && delta.latest != NULL &&
	    (r = gp_store_crl_latest(st, info->id, 1, &delta_der)) != 0) {
		r = cli_fail(r, "crl --publish");
		goto out;
	}
	{
		const gp_crl_info *f = full.made != NULL ? full.made : full_der;
		const gp_crl_info *d = delta.made != NULL ? delta.made : delta_der;

		/* the delta after the full CRL it completes */
		if ((f != NULL && (r = place(&full.written, o->publish, "crl", fname, f->der,
		    f->der_len)) != 0) ||
		    (d != NULL && (r = place(&delta.written, o->publish, "crl", dname, d->der,
		    d->der_len)) != 0) ||
		    (r = place(&cert_written, o->publish, "ca", cname, info->cert_der,
		    info->cert_len)) != 0)
			goto out;
	}
	/* the shards after the full CRL, each under the file name of its URL */
	if (nshards > 0 && (shard_written = calloc(nshards, sizeof(*shard_written))) == NULL) {
		fprintf(stderr, "%s: crl --publish: out of memory\n", cli_prog);
		r = EXIT_FAIL;
		goto out;
	}
	for (k = 0; k < nshards; k++) {
		const char *file = strrchr(shards[k].url, '/');

		if ((r = place(&shard_written[k], o->publish, "crl", file != NULL ? file + 1 :
		    shards[k].url, shards[k].der, shards[k].der_len)) != 0)
			goto out;
	}
	if (o->json) {
		char nowbuf[32];
		json_t *sj = json_array();

		for (k = 0; sj != NULL && k < nshards; k++)
			json_array_append_new(sj, json_pack("{s:s, s:I, s:b}", "url", shards[k].url,
			    "entries", (json_int_t)shards[k].entries, "written", shard_written[k]));
		ct_iso_time(nowbuf, now);
		r = ct_print_json(json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:{s:s, s:b}}", "ca", o->ca,
		    "folder", o->publish, "now", nowbuf, "full", crl_json(&full, fname),
		    "delta", delta_url != NULL ? crl_json(&delta, dname) : json_null(),
		    "shards", sj != NULL ? sj : json_null(),
		    "certificate", "file", cname, "written", cert_written));
	} else {
		crl_text(&full, "full", o->publish, fname, o->ca);
		if (nshards > 0)
			printf("%zu CRL shards of %s made with it, written to %s/crl/%s-0.crl .. %s-%zu.crl\n",
			    nshards, o->ca, o->publish, o->ca, o->ca, nshards - 1);
		if (delta_url != NULL)
			crl_text(&delta, "delta", o->publish, dname, o->ca);
		if (cert_written)
			printf("certificate of %s written to %s/ca/%s\n", o->ca, o->publish, cname);
	}
	if (stale && r == 0)
		r = EXIT_FAIL;     /* relying parties have no current CRL: a timer should fail */
out:
	free(shard_written);
	gp_crl_shards_free(shards, nshards);
	gp_pass_free(pass, passlen);
	gp_crl_info_free(full.latest);
	gp_crl_info_free(full.made);
	gp_crl_info_free(delta.latest);
	gp_crl_info_free(delta.made);
	gp_crl_info_free(full_der);
	gp_crl_info_free(delta_der);
	gp_ca_info_free(info);
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	return r;
}
