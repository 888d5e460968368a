/* tools/ca-tool.c: the admins' command line: CA hierarchy, issuance, revocation, CRLs, audit */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <govpki/govpki.h>

#include "ca-tool.h"
#include "cli.h"

/* Every option any command takes; each command lists those it accepts. */
enum opt_id {
	O_HELP = 'h', O_CONFIG = 256, O_HOME, O_JSON, O_NAME, O_PARENT, O_SUBJECT,
	O_KEY_TYPE, O_KEY, O_PROFILE, O_DAYS, O_PASS_FILE, O_PARENT_PASS_FILE, O_CA,
	O_CSR, O_OUT, O_BATCH, O_OUT_DIR, O_SAN, O_THREADS, O_SERIAL, O_REASON,
	O_DELTA, O_PEM, O_STATUS, O_LIMIT, O_CHAIN, O_CAS, O_ACTOR,
	O_PIN_FILE, O_URL, O_POLICY, O_VERSION, O_PUBLISH, O_NOW, O_EXPIRING, O_SHARDS
};

static const struct option all_opts[] = {
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "home", required_argument, NULL, O_HOME },
	{ "json", no_argument, NULL, O_JSON },
	{ "name", required_argument, NULL, O_NAME },
	{ "parent", required_argument, NULL, O_PARENT },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "key-type", required_argument, NULL, O_KEY_TYPE },
	{ "key", required_argument, NULL, O_KEY },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "days", required_argument, NULL, O_DAYS },
	{ "pass-file", required_argument, NULL, O_PASS_FILE },
	{ "parent-pass-file", required_argument, NULL, O_PARENT_PASS_FILE },
	{ "ca", required_argument, NULL, O_CA },
	{ "csr", required_argument, NULL, O_CSR },
	{ "out", required_argument, NULL, O_OUT },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "out-dir", required_argument, NULL, O_OUT_DIR },
	{ "san", required_argument, NULL, O_SAN },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "serial", required_argument, NULL, O_SERIAL },
	{ "reason", required_argument, NULL, O_REASON },
	{ "delta", no_argument, NULL, O_DELTA },
	{ "pem", no_argument, NULL, O_PEM },
	{ "status", required_argument, NULL, O_STATUS },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "expiring", required_argument, NULL, O_EXPIRING },
	{ "chain", no_argument, NULL, O_CHAIN },
	{ "cas", no_argument, NULL, O_CAS },
	{ "actor", required_argument, NULL, O_ACTOR },
	{ "pin-file", required_argument, NULL, O_PIN_FILE },
	{ "url", required_argument, NULL, O_URL },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "publish", required_argument, NULL, O_PUBLISH },
	{ "shards", required_argument, NULL, O_SHARDS },
	{ "now", required_argument, NULL, O_NOW },
	{ NULL, 0, NULL, 0 }
};

static const command *find_command(const char *name);

/* ---------------------------------------------------------------- helpers */

int
ct_parse_long(long *out, const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return cli_usage_error("%s must be a number from %ld to %ld, not '%s'", what, min, max, s);
	*out = v;
	return 0;
}

/* DIR/NAME, malloc'ed (NULL: out of memory). */
static char *
path_join(const char *dir, const char *name)
{
	size_t l = strlen(dir) + strlen(name) + 2;
	char *p = malloc(l);

	if (p != NULL)
		snprintf(p, l, "%s/%s", dir, name);
	return p;
}

/* Only init and ceremony make a store (and its home); any other command
 * in the wrong folder is told so and leaves nothing behind. */
int
ct_open_ctx(gp_ctx **ctx, const opts *o, int readonly)
{
	int r;

	r = gp_ctx_open(ctx, o->config, o->home, readonly ? GP_CTX_READONLY :
	    o->create ? 0 : GP_CTX_EXISTING);
	return r != 0 ? cli_fail(r, "cannot open the govpki home") : 0;
}

int
ct_read_pass(char **pass, size_t *len, const char *file, const char *prompt)
{
	int r = cli_pass(pass, len, file, prompt);

	if (r != 0)
		return cli_fail(r, "passphrase");
	return 0;
}

int
ct_parse_serial(unsigned char *serial, size_t *len, const char *hex)
{
	/* gp_hex_decode is internal: decode here with OpenSSL's BIGNUM */
	BIGNUM *bn = NULL;
	const char *h = hex;
	char digits[2 * GP_SERIAL_MAX + 1];
	size_t i, hl;
	int n;

	if (h == NULL)
		return cli_usage_error("--serial is required");
	/* as openssl prints it: "serial=3BA1" (x509 -serial), "3b:a1" (x509
	 * -text), "0x3BA1"; hex digits in either case */
	if (strncmp(h, "serial=", 7) == 0)
		h += 7;
	if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
		h += 2;
	if (strchr(h, ':') != NULL) {
		/* the colon form: pairs of digits with one colon between pairs */
		int bad;

		hl = strlen(h);
		bad = hl % 3 != 2 || hl > 3 * GP_SERIAL_MAX - 1;
		for (i = 0; !bad && i < hl; i++)
			bad = (i % 3 == 2) != (h[i] == ':');
		if (bad) {
			fprintf(stderr, "%s: bad serial '%s': in the colon form, two hex digits "
			    "between colons (3b:a1:07), at most %d pairs\n", cli_prog, hex, GP_SERIAL_MAX);
			return EXIT_REFUSED;
		}
		for (i = 0; i < hl; i += 3) {
			digits[2 * (i / 3)] = h[i];
			digits[2 * (i / 3) + 1] = h[i + 1];
		}
		digits[2 * (hl / 3 + 1)] = '\0';
		h = digits;
	}
	for (const char *p = h; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))) {
			fprintf(stderr, "%s: bad serial '%s': expected hex digits\n", cli_prog, hex);
			return EXIT_REFUSED;
		}
	}
	if (*h == '\0' || strlen(h) > 2 * GP_SERIAL_MAX || BN_hex2bn(&bn, h) == 0) {
		BN_free(bn);
		fprintf(stderr, "%s: bad serial '%s': 1 to %d hex digits\n", cli_prog, hex, 2 * GP_SERIAL_MAX);
		return EXIT_REFUSED;
	}
	n = BN_bn2bin(bn, serial);
	if (n == 0) {            /* serial 0 */
		serial[0] = 0;
		n = 1;
	}
	*len = (size_t)n;
	BN_free(bn);
	return 0;
}

void
ct_serial_hex(char *out, const unsigned char *s, size_t len)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[s[i] >> 4];
		out[2 * i + 1] = d[s[i] & 15];
	}
	out[2 * len] = '\0';
}

void
ct_iso_time(char out[32], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0) {
		out[0] = '\0';
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
status_name(int s)
{
	return s == GP_STATUS_GOOD ? "good" : s == GP_STATUS_REVOKED ? "revoked" : "hold";
}

int
ct_read_file(unsigned char **buf, size_t *len, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	size_t n;

	*buf = NULL;
	*len = 0;
	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", cli_prog, path, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	if ((b = malloc(max + 1)) == NULL) {
		fclose(f);
		return EXIT_FAIL;
	}
	n = fread(b, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(b);
		fprintf(stderr, "%s: %s: larger than %zu bytes\n", cli_prog, path, max);
		return EXIT_REFUSED;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Prints "ca-tool: PATH: why" for a CLI_WRITE_* code (errno set), with
 * ": after" when after is not NULL. */
static void
write_error(const char *path, int code, const char *after)
{
	const char *why = code == CLI_WRITE_TOO_LONG ? "path too long" : strerror(errno);

	if (code == CLI_WRITE_STDOUT)
		path = "standard output";
	fprintf(stderr, "%s: %s: %s%s%s\n", cli_prog, path, why, after ? ": " : "", after ? after : "");
}

/* Writes buf to path through a temporary file and a rename, so a reader
 * never sees half a file; "-" is standard output. */
int
ct_write_out(const char *path, const void *buf, size_t len)
{
	int r = cli_write_file(path, buf, len, 0);

	if (r != 0)
		write_error(path, r, NULL);
	return r != 0 ? EXIT_FAIL : 0;
}

int
ct_out_open(cli_out *out, const char *path)
{
	int r = cli_out_open(out, path);

	if (r != 0)
		write_error(path, r, NULL);
	return r != 0 ? EXIT_FAIL : 0;
}

int
ct_out_commit(cli_out *out, const void *buf, size_t len, const char *kept)
{
	int r = cli_out_commit(out, buf, len, 0);

	if (r != 0)
		write_error(out->path, r, kept);
	return r != 0 ? EXIT_FAIL : 0;
}

/* Opens the home and CA --ca with its key: the passphrase (--pass-file,
 * GOVPKI_PASSPHRASE or a prompt) is wiped once the key is loaded; with
 * [signer] socket the key is ca-signer's and no passphrase is read.  A
 * failure to open the CA is reported as "ca-tool: what: why". */
static int
open_ca(gp_ctx **ctx, gp_ca **ca, const opts *o, const char *what)
{
	char *pass = NULL;
	size_t passlen = 0;
	gp_ca_info *info = NULL;
	int r, keyless = 0;

	*ca = NULL;
	if ((r = ct_open_ctx(ctx, o, 0)) != 0)
		return r;
	/* imported without its key (import-ca): nothing to unlock, and
	 * gp_ca_need_key says why it signs nothing here */
	if (o->ca != NULL && gp_store_ca_get(gp_ctx_store(*ctx), o->ca, &info) == 0)
		keyless = info->key_uri[0] == '\0';
	gp_ca_info_free(info);
	gp_error_clear();
	/* [signer] socket: the key is ca-signer's, no passphrase is read */
	if (gp_ctx_signer0(*ctx) == NULL && !keyless &&
	    (r = ct_read_pass(&pass, &passlen, o->pass_file, "Passphrase of the CA key: ")) != 0)
		return r;
	if ((r = gp_ca_open(ca, *ctx, o->ca, pass, passlen)) != 0)
		r = cli_fail(r, what);
	gp_pass_free(pass, passlen);
	return r;
}

int
ct_cert_pem(char **out, size_t *len, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *bm;

	*out = NULL;
	if (b == NULL || PEM_write_bio_X509(b, x) != 1) {
		BIO_free(b);
		return -1;
	}
	BIO_get_mem_ptr(b, &bm);
	if ((*out = malloc(bm->length + 1)) != NULL) {
		memcpy(*out, bm->data, bm->length);
		(*out)[bm->length] = '\0';
		*len = bm->length;
	}
	BIO_free(b);
	return *out ? 0 : -1;
}

/* The PEM of a DER certificate (malloc'ed: the caller frees it); on
 * failure prints "ca-tool: what: why" and returns the exit code. */
static int
der_cert_pem(char **pem, size_t *len, const unsigned char *der, size_t der_len, const char *what)
{
	X509 *x = NULL;
	int r;

	if ((r = gp_cert_parse(&x, der, der_len)) != 0 || ct_cert_pem(pem, len, x) != 0)
		r = cli_fail(r ? r : GP_E_NOMEM, what);
	X509_free(x);
	return r;
}

/* The serial number of x in hex. */
static void
cert_serial_hex(char out[2 * GP_SERIAL_MAX + 1], const X509 *x)
{
	unsigned char sb[GP_SERIAL_MAX];
	size_t sl = 0;

	gp_serial_from_asn1(sb, &sl, X509_get0_serialNumber(x));
	ct_serial_hex(out, sb, sl);
}

/* A stored certificate's serial, fingerprint and times as text, for show
 * and --json. */
typedef struct cert_text {
	char serial[2 * GP_SERIAL_MAX + 1], fp[65], nb[32], na[32], ra[32];
} cert_text;

static void
cert_text_of(cert_text *t, const gp_cert_info *c)
{
	ct_serial_hex(t->serial, c->serial, c->serial_len);
	ct_serial_hex(t->fp, c->fingerprint, 32);
	ct_iso_time(t->nb, c->not_before);
	ct_iso_time(t->na, c->not_after);
	ct_iso_time(t->ra, c->revoked_at);
}

static json_t *
cert_json(const gp_cert_info *c, const char *ca_name)
{
	cert_text t;

	cert_text_of(&t, c);
	return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s}",
	    "serial", t.serial, "ca", ca_name ? ca_name : "", "subject", c->subject ? c->subject : "",
	    "sans", c->sans, "not_before", t.nb, "not_after", t.na,
	    "profile", c->profile ? c->profile : "", "status", status_name(c->status),
	    "revoked_at", c->status != GP_STATUS_GOOD ? t.ra : NULL,
	    "reason", c->status != GP_STATUS_GOOD ? gp_reason_name(c->reason) : NULL,
	    "sha256", t.fp);
}

int
ct_print_json(json_t *j)
{
	int r = 0;

	cli_json_printed();
	if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		r = EXIT_FAIL;
	putchar('\n');
	json_decref(j);
	return r;
}

int
ct_run_subcommand(opts *o, int argc, char **argv, const subcommand *subs, const char *usage)
{
	char names[256];
	size_t n = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_usage(argc < 2 ? stderr : stdout, usage);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	optind = 1;
	for (const subcommand *s = subs; s->name != NULL; s++)
		if (strcmp(argv[1], s->name) == 0)
			return s->run(o, argc - 1, argv + 1);
	names[0] = '\0';
	for (const subcommand *s = subs; s->name != NULL && n < sizeof(names); s++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", s == subs ? "" : ", ", s->name);
	return cli_usage_error("%s: unknown subcommand '%s' (%s)", argv[0], argv[1], names);
}

/* ---------------------------------------------------------------- init */

/* Removes what a failed init created: the store (with what its backend
 * keeps beside it), then the folders named in dirs, each only when empty.
 * Called after the context is closed. */
static void
init_undo(const char *store, const char *const dirs[], size_t ndirs)
{
	if (store != NULL && gp_store_remove(store) != 0)
		fprintf(stderr, "%s: %s\n", cli_prog, gp_error_last());
	for (size_t i = 0; i < ndirs; i++)
		if (dirs[i] != NULL)
			rmdir(dirs[i]);
}

/* 1 when path names nothing (ENOENT); a path that cannot be checked
 * exists. */
static int
missing(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) != 0 && errno == ENOENT;
}

/* 1 when the store uri names is not there yet; one that cannot be checked
 * (or another backend's, which init does not remove) is there. */
static int
store_missing(const char *uri)
{
	int there = 1;

	if (uri == NULL || gp_store_exists(&there, uri) != 0) {
		gp_error_clear();
		return 0;
	}
	return !there;
}

/* 1 when the store of ctx holds no CA: one that this run may remove. */
static int
store_empty(gp_ctx *ctx)
{
	gp_ca_info **cas = NULL;
	size_t n = 0;
	int r = gp_store_ca_list(gp_ctx_store(ctx), &cas, &n);

	gp_ca_info_list_free(cas, n);
	return r == 0 && n == 0;
}

int
ct_home_open(gp_ctx **ctx, const opts *o, ct_new_home *nh)
{
	opts oc = *o;
	int r;

	memset(nh, 0, sizeof(*nh));
	*ctx = NULL;
	if (gp_ctx_locate(&nh->home, &nh->store, o->config, o->home) == 0) {
		nh->new_store = store_missing(nh->store);
		nh->new_home = missing(nh->home);
	}
	oc.create = 1;
	if ((r = ct_open_ctx(ctx, &oc, 0)) != 0)
		return r;
	if (nh->new_store) {
		const char *k = gp_config_str(gp_ctx_config(*ctx), "govpki", "keys", "keys");

		nh->keys = k[0] == '/' ? strdup(k) : path_join(gp_ctx_home(*ctx), k);
		nh->new_keys = missing(nh->keys);
	}
	return 0;
}

void
ct_home_close(ct_new_home *nh, gp_ctx *ctx, int failed)
{
	int undo = failed && nh->new_store && ctx != NULL && store_empty(ctx);

	gp_ctx_free(ctx);
	if (undo) {
		const char *dirs[] = { nh->new_keys ? nh->keys : NULL, nh->new_home ? nh->home : NULL };

		init_undo(nh->store, dirs, 2);
	}
	free(nh->keys);
	gp_free(nh->home);      /* gp_ctx_locate's */
	gp_free(nh->store);
	memset(nh, 0, sizeof(*nh));
}

static int
cmd_init(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_ca_params p;
	ct_new_home nh;
	char *pass = NULL, *ppass = NULL;
	size_t passlen = 0, ppasslen = 0;
	gp_key_type kt = GP_KEY_EC_P256;
	int r;

	(void)argc;
	(void)argv;
	memset(&nh, 0, sizeof(nh));
	if (o->name == NULL || o->subject == NULL)
		return cli_usage_error("init needs --name and --subject");
	if (o->key_type != NULL && o->key != NULL)
		return cli_usage_error("give --key-type or --key, not both");
	if (o->key_type != NULL && gp_key_type_from_name(&kt, o->key_type) != 0)
		return cli_usage_error("unknown key type '%s' (rsa2048, rsa3072, rsa4096, ec-p256, ec-p384, ed25519, sm2)",
		    o->key_type);
	/* what this run creates, a failure removes: the store, home and keys/ */
	if ((r = ct_home_open(&ctx, o, &nh)) != 0)
		goto out;
	/* a new key's passphrase is asked twice at the terminal: a typo
	 * would lock the key away for good */
	if (o->key == NULL)
		r = gp_pass_get_new(&pass, &passlen, o->pass_file, "Passphrase for the new CA key: ");
	else
		r = cli_pass(&pass, &passlen, o->pass_file, "Passphrase of the CA key: ");
	if (r != 0) {
		r = cli_fail(r, "passphrase");
		goto out;
	}
	if (o->parent_pass_file != NULL &&
	    (r = ct_read_pass(&ppass, &ppasslen, o->parent_pass_file, "Passphrase of the parent CA key: ")) != 0)
		goto out;
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = o->name;
	p.parent = o->parent;
	p.subject = o->subject;
	p.key_type = kt;
	p.key_uri = o->key;
	p.profile = o->profile;
	p.days = (int)o->days;
	p.pass = pass;
	p.passlen = passlen;
	p.parent_pass = ppass;
	p.parent_passlen = ppasslen;
	p.actor = o->actor;
	p.base_url = o->url;
	p.policy = o->policy;
	if ((r = gp_ca_create(ctx, &p)) != 0) {
		r = cli_fail(r, "init");
		goto out;
	}
	if (o->json) {
		gp_ca_info *info = NULL;

		if (gp_store_ca_get(gp_ctx_store(ctx), o->name, &info) == 0) {
			r = ct_print_json(json_pack("{s:s, s:s?, s:s, s:s}", "name", info->name,
			    "parent", o->parent, "key", info->key_uri, "key_type", info->key_type));
			gp_ca_info_free(info);
		}
	} else {
		printf("created CA %s%s%s\n", o->name, o->parent ? " under " : " (self-signed root)",
		    o->parent ? o->parent : "");
	}
	r = 0;
out:
	gp_pass_free(pass, passlen);
	gp_pass_free(ppass, ppasslen);
	ct_home_close(&nh, ctx, r != 0);
	return r;
}

/* ---------------------------------------------------------------- issue */

/* What the store keeps of a certificate that was not written out, and how
 * to get it, for a message. */
static void
kept_cert(char *buf, size_t size, const char *ca, const char *serial)
{
	snprintf(buf, size, "certificate %s is in the store: get it with "
	    "'ca-tool export --ca %s --serial %s'", serial, ca, serial);
}

/*
 * A batch writes its files from a thread of its own, so that the library's
 * committing thread goes on committing while files are created: each
 * certificate reaches the queue only after it is durable in the store, and
 * its line is printed only after its file is complete.
 */
#define WQ_SIZE 1024

typedef struct wq_item {
	size_t index;
	char *pem;           /* NULL for a refused request, or out of memory */
	size_t len;
	char *msg;           /* why it was refused */
	char serial[2 * GP_SERIAL_MAX + 1];   /* "" for a refused request */
} wq_item;

typedef struct batch_out {
	char **paths;        /* input paths */
	char **outs;         /* their output paths: OUT-DIR/BASE.pem */
	size_t n;
	const char *ca_name;
	size_t issued, failed, unwritten;
	json_t *results;
	int write_failed;
	cli_progress prog;   /* the writer thread's (issue 20.7) */
	/* the queue to the writer thread */
	wq_item q[WQ_SIZE];
	size_t head, tail;   /* items [head, tail) are queued */
	int closed;
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
} batch_out;

static int
csr_like(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (strcmp(dot, ".csr") == 0 || strcmp(dot, ".pem") == 0 ||
	    strcmp(dot, ".der") == 0 || strcmp(dot, ".req") == 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends p (malloc'ed, or NULL when that failed) to the vector v of cnt
 * paths with room for cap; v owns p after success, p is freed on failure.
 * Returns 0, or -1 out of memory. */
static int
push_path(char ***v, size_t *cnt, size_t *cap, char *p)
{
	char **nv;

	if (p == NULL)
		return -1;
	if (*cnt == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;

		if ((nv = realloc(*v, ncap * sizeof(*nv))) == NULL) {
			free(p);
			return -1;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*cnt)++] = p;
	return 0;
}

/* The CSR files of a --batch argument: a folder (its *.csr, *.pem, *.der,
 * *.req, sorted) or a file that lists one path per line.  *out holds *n
 * malloc'ed paths, also after a failure (the caller frees them). */
static int
batch_paths(char ***out, size_t *n, const char *arg)
{
	struct stat st;
	size_t cap = 0;
	char line[PATH_MAX + 2];
	int r = 0;

	*out = NULL;
	*n = 0;
	if (stat(arg, &st) != 0) {
		fprintf(stderr, "%s: %s: %s\n", cli_prog, arg, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(arg);
		struct dirent *de;

		if (d == NULL) {
			fprintf(stderr, "%s: %s: %s\n", cli_prog, arg, strerror(errno));
			return EXIT_FAIL;
		}
		while (r == 0 && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && csr_like(de->d_name))
				r = push_path(out, n, &cap, path_join(arg, de->d_name));
		closedir(d);
		if (*n > 0)
			qsort(*out, *n, sizeof(**out), cmp_str);
	} else {
		FILE *f = fopen(arg, "r");

		if (f == NULL) {
			fprintf(stderr, "%s: %s: %s\n", cli_prog, arg, strerror(errno));
			return EXIT_FAIL;
		}
		while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] != '\0' && line[0] != '#')
				r = push_path(out, n, &cap, strdup(line));
		}
		fclose(f);
	}
	if (r != 0) {
		fprintf(stderr, "%s: %s: out of memory\n", cli_prog, arg);
		return EXIT_FAIL;
	}
	return 0;
}

/* out_dir/BASENAME.pem for an input path (malloc'ed). */
static char *
out_path(const char *out_dir, const char *in)
{
	const char *base = strrchr(in, '/');
	const char *dot;
	size_t bl, l;
	char *p;

	base = base ? base + 1 : in;
	dot = strrchr(base, '.');
	bl = dot ? (size_t)(dot - base) : strlen(base);
	l = strlen(out_dir) + bl + 6;
	if ((p = malloc(l)) != NULL)
		snprintf(p, l, "%s/%.*s.pem", out_dir, (int)bl, base);
	return p;
}

/* An output of a batch by the name of its file in OUT-DIR. */
typedef struct out_name {
	const char *base;    /* in bo->outs[index] */
	size_t index;
} out_name;

/* By name, then by input order (so that a clash is named in that order). */
static int
cmp_out_name(const void *a, const void *b)
{
	const out_name *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	return c != 0 ? c : (x->index > y->index) - (x->index < y->index);
}

static int
cmp_base(const void *a, const void *b)
{
	return strcmp(((const out_name *)a)->base, ((const out_name *)b)->base);
}

/* Removes from out_dir the PATH.tmp.PID files that a killed run left of
 * the outputs in names (sorted), and says how many. */
static void
remove_stale_temps(const char *out_dir, const out_name *names, size_t n)
{
	DIR *d = opendir(out_dir);
	struct dirent *de;
	size_t removed = 0;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char base[NAME_MAX + 1], *p;
		out_name key = { base, 0 };

		if ((p = strstr(de->d_name, ".pem.tmp.")) == NULL ||
		    (size_t)(p - de->d_name) + 4 >= sizeof(base))
			continue;
		snprintf(base, sizeof(base), "%.*s", (int)(p - de->d_name) + 4, de->d_name);
		if (bsearch(&key, names, n, sizeof(*names), cmp_base) != NULL &&
		    cli_out_stale(de->d_name, base)) {
			char *path = path_join(out_dir, de->d_name);

			if (path != NULL && unlink(path) == 0)
				removed++;
			free(path);
		}
	}
	if (d != NULL)
		closedir(d);
	if (removed > 0)
		fprintf(stderr, "%s: %s: removed %zu unfinished *.pem.tmp.PID file%s of an earlier, "
		    "killed run\n", cli_prog, out_dir, removed, removed == 1 ? "" : "s");
}

/* Everything a batch needs before the CA opens: the inputs, each one's
 * output file (two inputs that would share one are refused, naming both),
 * and OUT-DIR, created if missing and proven writable with a temporary
 * file; stale temporary files of our outputs are removed.  *made_dir: the
 * folder was created here. */
static int
batch_prepare(batch_out *bo, const opts *o, int *made_dir)
{
	out_name *names = NULL;
	cli_out probe;
	struct stat st;
	size_t dl = strlen(o->out_dir) + 1;
	int r = 0;

	*made_dir = 0;
	if ((r = batch_paths(&bo->paths, &bo->n, o->batch)) != 0)
		return r;
	if ((bo->outs = calloc(bo->n + 1, sizeof(*bo->outs))) == NULL ||
	    (names = calloc(bo->n + 1, sizeof(*names))) == NULL) {
		r = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < bo->n; i++) {
		if ((bo->outs[i] = out_path(o->out_dir, bo->paths[i])) == NULL) {
			r = EXIT_FAIL;
			goto out;
		}
		names[i].base = bo->outs[i] + dl;
		names[i].index = i;
	}
	qsort(names, bo->n, sizeof(*names), cmp_out_name);
	for (size_t i = 1; i < bo->n; i++) {
		if (strcmp(names[i - 1].base, names[i].base) == 0) {
			fprintf(stderr, "%s: %s and %s would both be written to %s: rename one\n", cli_prog,
			    bo->paths[names[i - 1].index], bo->paths[names[i].index], bo->outs[names[i].index]);
			r = EXIT_REFUSED;
			goto out;
		}
	}
	if (mkdir(o->out_dir, 0755) == 0) {
		*made_dir = 1;
	} else if (errno != EEXIST) {
		fprintf(stderr, "%s: %s: %s\n", cli_prog, o->out_dir, strerror(errno));
		r = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < bo->n; i++) {
		struct stat in;

		if (stat(bo->outs[i], &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "%s: %s: %s\n", cli_prog, bo->outs[i], strerror(EISDIR));
			r = EXIT_FAIL;
			goto out;
		}
		/* NAME.pem CSRs issued into their own folder (other names
		 * meeting one output are refused above) */
		if (stat(bo->paths[i], &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino) {
			fprintf(stderr, "%s: %s: its certificate would be written over it: "
			    "give another --out-dir\n", cli_prog, bo->paths[i]);
			r = EXIT_REFUSED;
			goto out;
		}
	}
	if (bo->n > 0) {
		if ((r = ct_out_open(&probe, bo->outs[0])) != 0)
			goto out;
		cli_out_abort(&probe);
		remove_stale_temps(o->out_dir, names, bo->n);
	}
out:
	free(names);
	return r;
}

/* Writes one queued item out: its file and its line (or its refusal).  A
 * certificate whose file cannot be written is in the store all the same:
 * that one, and every one after it (the batch stops), is named with its
 * serial. */
static void
write_item(batch_out *bo, wq_item *it)
{
	const char *in = bo->paths[it->index], *path = bo->outs[it->index];
	char kept[256];
	int r;

	if (it->serial[0] == '\0') {
		bo->failed++;
		fprintf(stderr, "%s: %s: %s\n", cli_prog, in, it->msg ? it->msg : "failed");
		if (bo->results)
			json_array_append_new(bo->results, json_pack("{s:s, s:s}", "csr", in,
			    "error", it->msg ? it->msg : "failed"));
		return;
	}
	kept_cert(kept, sizeof(kept), bo->ca_name, it->serial);
	if (!bo->write_failed) {
		if ((r = it->pem ? cli_write_file(path, it->pem, it->len, 0) : -1) == 0) {
			bo->issued++;
			if (bo->results)
				json_array_append_new(bo->results, json_pack("{s:s, s:s, s:s}", "csr", in,
				    "serial", it->serial, "out", path));
			else
				printf("%s\n", path);      /* one line per certificate, once it is written */
			return;
		}
		if (r < 0)
			fprintf(stderr, "%s: %s: out of memory: %s\n", cli_prog, path, kept);
		else
			write_error(path, r, kept);
		pthread_mutex_lock(&bo->mu);
		bo->write_failed = 1;   /* the store has it, the file does not: stop */
		pthread_mutex_unlock(&bo->mu);
	} else {
		fprintf(stderr, "%s: %s: not written (the batch stopped): %s\n", cli_prog, path, kept);
	}
	bo->unwritten++;
	if (bo->results)
		json_array_append_new(bo->results, json_pack("{s:s, s:s, s:s}", "csr", in,
		    "serial", it->serial, "error", "in the store, not written"));
}

static void *
writer(void *arg)
{
	batch_out *bo = arg;

	for (;;) {
		wq_item it;

		pthread_mutex_lock(&bo->mu);
		while (bo->head == bo->tail && !bo->closed)
			pthread_cond_wait(&bo->not_empty, &bo->mu);
		if (bo->head == bo->tail) {
			pthread_mutex_unlock(&bo->mu);
			return NULL;
		}
		it = bo->q[bo->head % WQ_SIZE];
		bo->head++;
		pthread_cond_signal(&bo->not_full);
		pthread_mutex_unlock(&bo->mu);
		cli_progress_clear(&bo->prog);
		write_item(bo, &it);
		cli_progress_step(&bo->prog, bo->issued + bo->failed + bo->unwritten);
		free(it.pem);
		free(it.msg);
	}
}

/* Called by the library once each certificate is durable: queue it. */
static int
batch_cb(void *arg, size_t i, int rc, const char *msg, X509 *cert)
{
	batch_out *bo = arg;
	wq_item it;
	int stop;

	memset(&it, 0, sizeof(it));
	it.index = i;
	if (rc != 0) {
		if ((it.msg = strdup(msg ? msg : "failed")) == NULL)
			return 1;
	} else {
		cert_serial_hex(it.serial, cert);
		if (ct_cert_pem(&it.pem, &it.len, cert) != 0)
			it.pem = NULL;  /* committed, not written: write_item says so */
	}
	pthread_mutex_lock(&bo->mu);
	while (bo->tail - bo->head == WQ_SIZE)
		pthread_cond_wait(&bo->not_full, &bo->mu);
	bo->q[bo->tail % WQ_SIZE] = it;
	bo->tail++;
	stop = bo->write_failed || (rc == 0 && it.pem == NULL);
	pthread_cond_signal(&bo->not_empty);
	pthread_mutex_unlock(&bo->mu);
	return stop;
}

static int
issue_batch(opts *o)
{
	static batch_out bo;    /* large (the queue): not on the stack */
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	gp_issue_req *reqs = NULL;
	unsigned char **bufs = NULL;
	pthread_t wt;
	size_t i;
	int r, rb, made_dir = 0, issuing = 0;

	memset(&bo, 0, sizeof(bo));
	if (o->out_dir == NULL)
		return cli_usage_error("--batch needs --out-dir");
	if ((r = batch_prepare(&bo, o, &made_dir)) != 0)
		goto out;
	if ((reqs = calloc(bo.n + 1, sizeof(*reqs))) == NULL ||
	    (bufs = calloc(bo.n + 1, sizeof(*bufs))) == NULL) {
		r = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < bo.n; i++) {
		size_t len;

		if ((r = ct_read_file(&bufs[i], &len, bo.paths[i], 1 << 20)) != 0)
			goto out;
		reqs[i] = (gp_issue_req)GP_ISSUE_REQ_INIT;
		reqs[i].csr = bufs[i];
		reqs[i].csr_len = len;
		reqs[i].profile = o->profile;
		reqs[i].days = (int)o->days;
		reqs[i].actor = o->actor;
	}
	if ((r = open_ca(&ctx, &ca, o, "issue")) != 0)
		goto out;
	bo.ca_name = o->ca;
	if (o->json)
		bo.results = json_array();
	else
		setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_mutex_init(&bo.mu, NULL);
	pthread_cond_init(&bo.not_empty, NULL);
	pthread_cond_init(&bo.not_full, NULL);
	if (!o->json)
		cli_progress_start(&bo.prog, "issuing", bo.n);
	if (pthread_create(&wt, NULL, writer, &bo) != 0) {
		cli_progress_clear(&bo.prog);
		fprintf(stderr, "%s: cannot start the writer thread\n", cli_prog);
		r = EXIT_FAIL;
		goto out;
	}
	issuing = 1;
	rb = gp_ca_issue_batch(ca, reqs, bo.n, (int)o->threads, batch_cb, &bo);
	pthread_mutex_lock(&bo.mu);
	bo.closed = 1;
	pthread_cond_signal(&bo.not_empty);
	pthread_mutex_unlock(&bo.mu);
	pthread_join(wt, NULL);
	cli_progress_end(&bo.prog, bo.issued + bo.failed + bo.unwritten);
	if (rb != 0) {
		r = cli_fail(rb, "issue --batch");
		goto out;
	}
	if (o->json) {
		ct_print_json(json_pack("{s:I, s:I, s:I, s:o}", "issued", (json_int_t)bo.issued,
		    "failed", (json_int_t)bo.failed, "not_written", (json_int_t)bo.unwritten,
		    "results", bo.results));
		bo.results = NULL;
	} else if (bo.write_failed) {
		fprintf(stderr, "issued %zu, failed %zu, in the store but not written %zu\n", bo.issued,
		    bo.failed, bo.unwritten);
	} else {
		fprintf(stderr, "issued %zu, failed %zu\n", bo.issued, bo.failed);
	}
	r = bo.write_failed ? EXIT_FAIL : bo.failed ? EXIT_REFUSED : 0;
out:
	if (r != 0 && made_dir && !issuing)
		rmdir(o->out_dir);
	json_decref(bo.results);
	for (i = 0; i < bo.n; i++) {
		free(bo.paths[i]);
		free(bo.outs ? bo.outs[i] : NULL);
		free(bufs ? bufs[i] : NULL);
	}
	free(bo.paths);
	free(bo.outs);
	free(bufs);
	free(reqs);
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	return r;
}

static int
cmd_issue(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	gp_issue_req req;
	cli_out out;
	unsigned char *csr = NULL;
	char *pem = NULL, serial[2 * GP_SERIAL_MAX + 1], kept[256];
	size_t csrlen, pemlen;
	X509 *cert = NULL;
	/* --json without --out: the PEM goes into the JSON object */
	int r, pem_in_json = o->json && (o->out == NULL || strcmp(o->out, "-") == 0);

	(void)argc;
	(void)argv;
	memset(&out, 0, sizeof(out));
	if (o->ca == NULL || o->profile == NULL)
		return cli_usage_error("issue needs --ca and --profile");
	if ((o->csr == NULL) == (o->batch == NULL))
		return cli_usage_error("issue needs either --csr FILE or --batch DIR|LIST");
	if (o->batch != NULL && (o->subject != NULL || o->san != NULL))
		return cli_usage_error("--subject and --san apply to one CSR, not to --batch");
	if (o->batch != NULL)
		return issue_batch(o);
	if ((r = ct_read_file(&csr, &csrlen, o->csr, 1 << 20)) != 0)
		return r;
	/* the output can be written, or nothing is issued */
	if ((r = open_ca(&ctx, &ca, o, "issue")) != 0 ||
	    (!pem_in_json && (r = ct_out_open(&out, o->out)) != 0))
		goto out;
	req = (gp_issue_req)GP_ISSUE_REQ_INIT;
	req.csr = csr;
	req.csr_len = csrlen;
	req.profile = o->profile;
	req.subject = o->subject;
	req.sans = o->san;
	req.days = (int)o->days;
	req.actor = o->actor;
	if ((r = gp_ca_issue(&cert, ca, &req)) != 0) {
		r = cli_fail(r, o->csr);
		goto out;
	}
	cert_serial_hex(serial, cert);
	kept_cert(kept, sizeof(kept), o->ca, serial);
	if (ct_cert_pem(&pem, &pemlen, cert) != 0) {
		fprintf(stderr, "%s: out of memory: %s\n", cli_prog, kept);
		r = EXIT_FAIL;
		goto out;
	}
	if (pem_in_json) {
		r = ct_print_json(json_pack("{s:s, s:s, s:s, s:s}", "serial", serial, "ca", o->ca,
		    "profile", o->profile, "pem", pem));
		goto out;
	}
	if ((r = ct_out_commit(&out, pem, pemlen, kept)) != 0)
		goto out;
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:s, s:s, s:s}", "serial", serial, "ca", o->ca,
		    "profile", o->profile, "out", o->out));
	else if (o->out != NULL && strcmp(o->out, "-") != 0)
		fprintf(stderr, "issued serial %s\n", serial);
out:
	cli_out_abort(&out);
	X509_free(cert);
	free(pem);
	free(csr);
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- revoke */

static int
cmd_revoke(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	unsigned char serial[GP_SERIAL_MAX];
	size_t slen;
	int reason = GP_REASON_UNSPECIFIED, r;

	(void)argc;
	(void)argv;
	if (o->ca == NULL)
		return cli_usage_error("revoke needs --ca and --serial");
	if ((r = ct_parse_serial(serial, &slen, o->serial)) != 0)
		return r;
	if (o->reason != NULL && (r = gp_reason_from_name(&reason, o->reason)) != 0)
		return cli_fail(r, "revoke");
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_ca_revoke(ctx, o->ca, serial, slen, reason, 0, o->actor)) != 0)
		r = cli_fail(r, "revoke");
	else if (o->json)
		ct_print_json(json_pack("{s:s, s:s, s:s}", "ca", o->ca, "serial", o->serial,
		    "reason", gp_reason_name(reason)));
	else
		printf("%s %s\n", reason == GP_REASON_REMOVE_FROM_CRL ? "released" : "revoked", o->serial);
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- crl */

static int
cmd_crl(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	gp_crl_info *crl = NULL;
	cli_out out;
	BIO *b = NULL;
	BUF_MEM *bm = NULL;
	char kept[256];
	/* --json with --out -: the CRL goes into the JSON object as PEM */
	int r, pem_in_json = o->json && o->out != NULL && strcmp(o->out, "-") == 0;

	(void)argc;
	(void)argv;
	memset(&out, 0, sizeof(out));
	if (o->publish != NULL)
		return ct_crl_publish(o);
	if (o->now != NULL)
		return cli_usage_error("crl: --now goes with --publish");
	if (o->ca == NULL || o->out == NULL)
		return cli_usage_error("crl needs --ca and --out (or --publish DIR)");
	/* the output can be written, or no CRL number is taken */
	if ((r = open_ca(&ctx, &ca, o, "crl")) != 0 || (!pem_in_json && (r = ct_out_open(&out, o->out)) != 0))
		goto out;
	/* RFC 5280 §5.2.6: relying parties look for deltas only where a full
	 * CRL's freshestCRL points, which [crl] delta_url sets */
	if (o->delta && gp_config_str(gp_ctx_config(ctx), "crl", "delta_url", NULL) == NULL)
		fprintf(stderr, "%s: warning: [crl] delta_url is not set, so full CRLs carry no "
		    "freshestCRL and relying parties will not look for this delta\n", cli_prog);
	if ((r = gp_ca_crl(&crl, ca, o->delta, o->actor)) != 0) {
		r = cli_fail(r, "crl");
		goto out;
	}
	snprintf(kept, sizeof(kept), "%s CRL number %lld of %s is in the store: run 'ca-tool crl%s' "
	    "again to publish the next one", crl->is_delta ? "delta" : "full", (long long)crl->number,
	    o->ca, crl->is_delta ? " --delta" : "");
	if ((o->pem || pem_in_json) && ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio(b, PEM_STRING_X509_CRL, "", crl->der, (long)crl->der_len) <= 0)) {
		fprintf(stderr, "%s: out of memory: %s\n", cli_prog, kept);
		r = EXIT_FAIL;
		goto out;
	}
	if (b != NULL)
		BIO_get_mem_ptr(b, &bm);
	if (!pem_in_json && (r = ct_out_commit(&out, bm ? bm->data : (const void *)crl->der,
	    bm ? bm->length : crl->der_len, kept)) != 0)
		goto out;
	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:s, s:o?}", "ca", o->ca, "number", (json_int_t)crl->number,
		    "type", crl->is_delta ? "delta" : "full",
		    "base", crl->is_delta ? json_integer(crl->base_number) : NULL);

		if (j != NULL && pem_in_json)
			json_object_set_new(j, "pem", json_stringn(bm->data, bm->length));
		r = ct_print_json(j);
	}
	else if (strcmp(o->out, "-") != 0)
		printf("%s CRL number %lld of %s written to %s\n", crl->is_delta ? "delta" : "full",
		    (long long)crl->number, o->ca, o->out);
out:
	cli_out_abort(&out);
	BIO_free(b);
	gp_crl_info_free(crl);
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- list / show */

typedef struct list_ctx {
	gp_ca_info **cas;
	size_t ncas;
	json_t *arr;
	size_t count;
	int64_t not_before_end; /* --expiring: skip what has expired by then */
} list_ctx;

/* --expiring N[h|d|w] (days without a unit) in seconds, 1 hour to 10 years */
static int
parse_window(int64_t *out, const char *s)
{
	char num[24];
	size_t n = strlen(s);
	long v, unit = 86400;

	if (n > 0 && strchr("hdw", s[n - 1]) != NULL) {
		unit = s[n - 1] == 'h' ? 3600 : s[n - 1] == 'w' ? 7 * 86400 : 86400;
		n--;
	}
	if (n == 0 || n >= sizeof(num))
		return cli_usage_error("--expiring is a number with h, d or w after it "
		    "(30d, 12h, 2w), not '%s'", s);
	memcpy(num, s, n);
	num[n] = '\0';
	if (ct_parse_long(&v, num, "--expiring", 1, 3650L * 86400 / unit) != 0)
		return EXIT_USAGE;
	*out = (int64_t)v * unit;
	return 0;
}

static const char *
ca_name_of(const list_ctx *l, int64_t id)
{
	for (size_t i = 0; i < l->ncas; i++)
		if (l->cas[i]->id == id)
			return l->cas[i]->name;
	return "?";
}

static int
list_cb(void *arg, const gp_cert_info *c)
{
	list_ctx *l = arg;
	char serial[2 * GP_SERIAL_MAX + 1], na[32];

	if (l->not_before_end != 0 && c->not_after < l->not_before_end)
		return 0;
	l->count++;
	if (l->arr) {
		json_array_append_new(l->arr, cert_json(c, ca_name_of(l, c->ca_id)));
		return 0;
	}
	ct_serial_hex(serial, c->serial, c->serial_len);
	ct_iso_time(na, c->not_after);
	printf("%-32s %-10s %-8s %-12s %s  %s\n", serial, ca_name_of(l, c->ca_id), status_name(c->status),
	    c->profile ? c->profile : "", na, c->subject ? c->subject : "");
	return 0;
}

static int
cmd_list(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_cert_filter f;
	list_ctx l;
	int r;

	(void)argc;
	(void)argv;
	memset(&l, 0, sizeof(l));
	f = (gp_cert_filter)GP_CERT_FILTER_INIT;
	f.status = -1;
	if (o->status != NULL) {
		if (strcmp(o->status, "good") == 0)
			f.status = GP_STATUS_GOOD;
		else if (strcmp(o->status, "revoked") == 0)
			f.status = GP_STATUS_REVOKED;
		else if (strcmp(o->status, "hold") == 0)
			f.status = GP_STATUS_HOLD;
		else
			return cli_usage_error("--status is good, revoked or hold, not '%s'", o->status);
	}
	f.profile = o->profile;
	f.subject_like = o->subject;
	f.limit = o->limit;
	if (o->expiring != NULL) {
		/* what is still good and ends within the window: what needs
		 * renewing (a revoked or expired certificate needs nothing) */
		int64_t w = 0, now = (int64_t)time(NULL);

		if (o->cas)
			return cli_usage_error("--expiring lists certificates, not --cas");
		if (o->status != NULL && strcmp(o->status, "good") != 0)
			return cli_usage_error("--expiring lists good certificates only");
		if ((r = parse_window(&w, o->expiring)) != 0)
			return r;
		f.status = GP_STATUS_GOOD;
		f.expires_before = now + w;
		l.not_before_end = now;
	}
	if ((r = ct_open_ctx(&ctx, o, 1)) != 0)
		return r;
	if ((r = gp_store_ca_list(gp_ctx_store(ctx), &l.cas, &l.ncas)) != 0) {
		r = cli_fail(r, "list");
		goto out;
	}
	if (o->cas) {
		json_t *arr = o->json ? json_array() : NULL;

		for (size_t i = 0; i < l.ncas; i++) {
			const char *parent = l.cas[i]->parent_id ? ca_name_of(&l, l.cas[i]->parent_id) : NULL;

			if (arr)
				json_array_append_new(arr, json_pack("{s:s, s:s?, s:s, s:s}", "name", l.cas[i]->name,
				    "parent", parent, "key", l.cas[i]->key_uri, "key_type", l.cas[i]->key_type));
			else
				printf("%-16s %-10s %-16s %s\n", l.cas[i]->name, l.cas[i]->key_type,
				    parent ? parent : "(root)", l.cas[i]->key_uri);
		}
		if (arr)
			ct_print_json(arr);
		r = 0;
		goto out;
	}
	if (o->ca != NULL) {
		for (size_t i = 0; i < l.ncas; i++)
			if (strcmp(l.cas[i]->name, o->ca) == 0)
				f.ca_id = l.cas[i]->id;
		if (f.ca_id == 0) {
			fprintf(stderr, "%s: list: no CA named '%s'\n", cli_prog, o->ca);
			r = EXIT_NOTFOUND;
			goto out;
		}
	}
	if (o->json)
		l.arr = json_array();
	if ((r = gp_store_cert_list(gp_ctx_store(ctx), &f, list_cb, &l)) != 0) {
		r = cli_fail(r, "list");
		goto out;
	}
	if (l.arr) {
		ct_print_json(l.arr);
		l.arr = NULL;
	}
	r = 0;
out:
	json_decref(l.arr);
	gp_ca_info_list_free(l.cas, l.ncas);
	gp_ctx_free(ctx);
	return r;
}

/* Looks a certificate up by --ca and --serial. */
static int
find_cert(gp_ctx *ctx, const opts *o, gp_cert_info **out)
{
	gp_ca_info *ca = NULL;
	unsigned char serial[GP_SERIAL_MAX];
	size_t slen;
	int r;

	*out = NULL;
	if ((r = ct_parse_serial(serial, &slen, o->serial)) != 0)
		return r;
	if ((r = gp_store_ca_get(gp_ctx_store(ctx), o->ca, &ca)) != 0) {
		fprintf(stderr, "%s: no CA named '%s'\n", cli_prog, o->ca);
		return cli_exit_code(r);
	}
	r = gp_store_cert_get(gp_ctx_store(ctx), ca->id, serial, slen, out);
	gp_ca_info_free(ca);
	if (r != 0) {
		if (r == GP_E_NOTFOUND)
			fprintf(stderr, "%s: CA %s issued no certificate with serial %s\n", cli_prog, o->ca,
			    o->serial);
		else
			return cli_fail(r, "show");
		return cli_exit_code(r);
	}
	return 0;
}

/*
 * Without --ca: the certificate of o->serial from the one CA of the store
 * that issued it, whose name goes into *ca_name (malloc'ed).  Serials are
 * unique per CA only (RFC 5280 4.1.2.2), so two CAs with the serial are
 * refused, naming both, rather than one picked.
 */
static int
find_cert_any_ca(gp_ctx *ctx, const opts *o, gp_cert_info **out, char **ca_name)
{
	gp_ca_info **cas = NULL;
	gp_cert_info *c = NULL;
	unsigned char serial[GP_SERIAL_MAX];
	char names[512] = "";
	size_t slen, n = 0, i, hits = 0;
	int r;

	*out = NULL;
	*ca_name = NULL;
	if ((r = ct_parse_serial(serial, &slen, o->serial)) != 0)
		return r;
	if ((r = gp_store_ca_list(gp_ctx_store(ctx), &cas, &n)) != 0)
		return cli_fail(r, "show");
	for (i = 0; i < n; i++) {
		r = gp_store_cert_get(gp_ctx_store(ctx), cas[i]->id, serial, slen, &c);
		if (r == GP_E_NOTFOUND)
			continue;
		if (r != 0) {
			r = cli_fail(r, "show");
			goto out;
		}
		if (hits++ == 0) {
			*out = c;
			if ((*ca_name = strdup(cas[i]->name)) == NULL) {
				r = cli_fail(GP_E_NOMEM, "show");
				goto out;
			}
		} else {
			gp_cert_info_free(c);
		}
		c = NULL;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
		    hits > 1 ? ", " : "", cas[i]->name);
	}
	if (hits == 0) {
		fprintf(stderr, "%s: no CA of this store issued a certificate with serial %s\n",
		    cli_prog, o->serial);
		r = EXIT_NOTFOUND;
	} else if (hits > 1) {
		fprintf(stderr, "%s: serial %s was issued by the CAs %s: say which with --ca\n",
		    cli_prog, o->serial, names);
		r = EXIT_REFUSED;
	} else {
		r = 0;
	}
out:
	if (r != 0) {
		gp_cert_info_free(*out);
		*out = NULL;
		free(*ca_name);
		*ca_name = NULL;
	}
	gp_ca_info_list_free(cas, n);
	return r;
}

static int
cmd_show(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_cert_info *c = NULL;
	char *pem = NULL, *found_ca = NULL;
	size_t pemlen;
	int r;

	/* ca-tool show [--ca CA] (--serial HEX | HEX) */
	if (argc > 1 || (argc == 1 && o->serial != NULL))
		return cli_usage_error("show takes one serial (--serial HEX or HEX)");
	if (argc == 1)
		o->serial = argv[0];
	if (o->serial == NULL)
		return cli_usage_error("show needs a serial (--serial HEX or HEX)");
	if ((r = ct_open_ctx(&ctx, o, 1)) != 0)
		return r;
	if (o->ca == NULL) {
		if ((r = find_cert_any_ca(ctx, o, &c, &found_ca)) != 0)
			goto out;
		o->ca = found_ca;
	} else if ((r = find_cert(ctx, o, &c)) != 0) {
		goto out;
	}
	if ((r = der_cert_pem(&pem, &pemlen, c->der, c->der_len, "show")) != 0)
		goto out;
	if (o->json) {
		json_t *j = cert_json(c, o->ca);

		json_object_set_new(j, "pem", json_string(pem));
		r = ct_print_json(j);
	} else {
		cert_text t;

		cert_text_of(&t, c);
		printf("serial:     %s\nca:         %s\nsubject:    %s\nsans:       %s\n"
		    "not before: %s\nnot after:  %s\nprofile:    %s\nstatus:     %s\n",
		    t.serial, o->ca, c->subject, c->sans ? c->sans : "", t.nb, t.na, c->profile,
		    status_name(c->status));
		if (c->status != GP_STATUS_GOOD)
			printf("revoked at: %s\nreason:     %s\n", t.ra, gp_reason_name(c->reason));
		printf("sha256:     %s\n%s", t.fp, pem);
		r = 0;
	}
out:
	free(pem);
	gp_cert_info_free(c);
	gp_ctx_free(ctx);
	if (found_ca != NULL) {
		o->ca = NULL;
		free(found_ca);
	}
	return r;
}

/* ---------------------------------------------------------------- export */

static int
cmd_export(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_cert_info *c = NULL;
	char *pem = NULL, *chain = NULL;
	size_t len;
	int r;

	(void)argc;
	(void)argv;
	if (o->ca == NULL)
		return cli_usage_error("export needs --ca");
	if ((r = ct_open_ctx(&ctx, o, 1)) != 0)
		return r;
	if (o->serial != NULL) {
		/* one certificate the CA issued */
		if ((r = find_cert(ctx, o, &c)) != 0 ||
		    (r = der_cert_pem(&pem, &len, c->der, c->der_len, "export")) != 0)
			goto out;
	} else if (o->chain) {
		if ((r = gp_ca_chain_pem(&chain, &len, ctx, o->ca)) != 0) {
			r = cli_fail(r, "export");
			goto out;
		}
	} else {
		gp_ca_info *ca = NULL;

		if ((r = gp_store_ca_get(gp_ctx_store(ctx), o->ca, &ca)) != 0) {
			fprintf(stderr, "%s: export: no CA named '%s'\n", cli_prog, o->ca);
			r = cli_exit_code(r);
			goto out;
		}
		r = der_cert_pem(&pem, &len, ca->cert_der, ca->cert_len, "export");
		gp_ca_info_free(ca);
		if (r != 0)
			goto out;
	}
	r = ct_write_out(o->out, chain != NULL ? chain : pem, len);
out:
	free(pem);
	gp_free(chain);
	gp_cert_info_free(c);
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- audit */

static int
cmd_audit(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	int64_t bad = 0, rows = 0, seq = 0;
	unsigned char last[32];
	char head[65] = "";
	int r;

	if (argc != 1 || strcmp(argv[0], "verify") != 0)
		return cli_usage_error("audit takes one action: verify");
	if ((r = ct_open_ctx(&ctx, o, 1)) != 0)
		return r;
	r = gp_audit_verify(&bad, &rows, gp_ctx_store(ctx));
	/* the head of the chain, to be copied where the CA's account cannot
	 * write: a later rewrite of the whole log no longer ends there
	 * (entries written since the check are not vouched for: only when the
	 * last is the last one checked) */
	if (r == 0 && rows > 0 && gp_store_audit_last(gp_ctx_store(ctx), &seq, last) == 0 &&
	    seq == rows)
		ct_serial_hex(head, last, sizeof(last));
	if (r != 0 && r != GP_E_VERIFY) {
		r = cli_fail(r, "audit verify");
	} else if (o->json) {
		ct_print_json(json_pack("{s:b, s:I, s:o?, s:s?}", "ok", r == 0, "entries", (json_int_t)rows,
		    "first_bad", r ? json_integer(bad) : NULL, "head_hash", *head ? head : NULL));
		r = r ? EXIT_VERIFY : 0;
	} else if (r != 0) {
		r = cli_fail(r, "audit verify");
	} else if (*head) {
		printf("audit chain intact: %lld entries, checked against the store; "
		    "the last is #%lld with hash %s\n", (long long)rows, (long long)seq, head);
	} else {
		printf("audit chain intact: %lld entries, checked against the store\n", (long long)rows);
	}
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- main */

static const int acc_init[] = { O_NAME, O_PARENT, O_SUBJECT, O_KEY_TYPE, O_KEY, O_PROFILE, O_DAYS,
	O_PASS_FILE, O_PARENT_PASS_FILE, O_ACTOR, O_URL, O_POLICY, 0 };
static const int acc_issue[] = { O_CA, O_PROFILE, O_CSR, O_OUT, O_BATCH, O_OUT_DIR, O_SUBJECT, O_SAN,
	O_DAYS, O_PASS_FILE, O_THREADS, O_ACTOR, 0 };
static const int acc_revoke[] = { O_CA, O_SERIAL, O_REASON, O_ACTOR, 0 };
static const int acc_crl[] = { O_CA, O_OUT, O_DELTA, O_PEM, O_PASS_FILE, O_ACTOR, O_PUBLISH,
	O_NOW, O_SHARDS, 0 };
static const int acc_list[] = { O_CA, O_STATUS, O_PROFILE, O_SUBJECT, O_LIMIT, O_CAS,
	O_EXPIRING, 0 };
static const int acc_show[] = { O_CA, O_SERIAL, 0 };
static const int acc_export[] = { O_CA, O_SERIAL, O_CHAIN, O_OUT, 0 };
static const int acc_audit[] = { 0 };

static const command commands[] = {
	{ "init", cmd_init, acc_init,
	  "init --name NAME --subject DN [--parent CA] [--key-type TYPE | --key URI]\n"
	  "     [--profile P] [--days N] [--pass-file F] [--parent-pass-file F]\n"
	  "     [--url BASE] [--policy OID]\n"
	  "  Creates a CA: a self-signed root, or with --parent a subordinate CA signed by it.\n"
	  "  TYPE: rsa2048 rsa3072 rsa4096 ec-p256 (default) ec-p384 ed25519 sm2.\n"
	  "  The new key is written encrypted to keys/NAME.key under the home.\n"
	  "  --url: what the CA issues points to BASE/crl/NAME.crl (CRL distribution point),\n"
	  "  BASE/ocsp (OCSP) and BASE/ca/NAME.crt (caIssuers); [ca.NAME] base_url overrides.\n"
	  "  --policy: the policy OID of what it issues (default: none).", 0 },
	{ "issue", cmd_issue, acc_issue,
	  "issue --ca CA --profile P --csr FILE [--out FILE] [--subject DN] [--san LIST] [--days N]\n"
	  "issue --ca CA --profile P --batch DIR|LIST --out-dir DIR [--threads N]\n"
	  "  Issues certificates from CSRs (PEM or DER). --subject and --san override the CSR's\n"
	  "  (LIST: \"DNS:a.example,IP:10.0.0.1,email:x@y,URI:https://...\"). Nothing is issued\n"
	  "  unless FILE (or DIR) can be written. With --batch, every certificate is committed\n"
	  "  to the store before DIR/NAME.pem is written; two CSRs with one NAME are refused.\n"
	  "  With --json and no --out, the PEM is the \"pem\" member of the JSON object.", 0 },
	{ "revoke", cmd_revoke, acc_revoke,
	  "revoke --ca CA --serial HEX [--reason R]\n"
	  "  Revokes a certificate. R (RFC 5280 5.3.1): unspecified (default), keyCompromise,\n"
	  "  cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold,\n"
	  "  privilegeWithdrawn, aACompromise; removeFromCRL releases a certificate on hold.", 0 },
	{ "crl", cmd_crl, acc_crl,
	  "crl --ca CA --out FILE [--delta] [--pem]\n"
	  "crl --ca CA --publish DIR [--now TIME]\n"
	  "crl --ca CA --shards DIR\n"
	  "  Publishes the next full CRL (or with --delta a delta CRL against the last full one).\n"
	  "  Nothing is published unless FILE can be written. With --json and --out -, the CRL\n"
	  "  is the \"pem\" member of the JSON object.\n"
	  "  --publish DIR: the schedule (run it from a timer): makes the full CRL, and the delta\n"
	  "  when [crl] delta_url is set, once half of the last one's validity has passed or\n"
	  "  certificates changed status, and puts them with the CA certificate into DIR as\n"
	  "  DIR/crl/CA.crl, DIR/crl/<delta_url's file name> and DIR/ca/CA.crt (write and\n"
	  "  rename), where ocsp-responder serves them ([daemon] publish_dir). --now TIME decides\n"
	  "  as of TIME (YYYY-MM-DD[THH:MM:SSZ] or @UNIX); CRLs are signed at the real time.\n"
	  "  A CA with [ca.CA] crl_shards = N also gets N CRL shards with each full CRL, as\n"
	  "  DIR/crl/CA-K.crl (K = serial mod N, RFC 5280 5.2.5 issuingDistributionPoint), and\n"
	  "  its full CRL is made whenever certificates changed status.\n"
	  "  --shards DIR: as --publish DIR, making the full CRL and its shards now.", 0 },
	{ "list", cmd_list, acc_list,
	  "list [--ca CA] [--status good|revoked|hold] [--profile P] [--subject TEXT] [--limit N]\n"
	  "     [--expiring N[h|d|w]]\n"
	  "list --cas\n"
	  "  Lists certificates (or the CAs). --expiring: the good ones whose notAfter is\n"
	  "  within N hours, days (the default unit) or weeks from now.", 0 },
	{ "show", cmd_show, acc_show,
	  "show [--ca CA] (--serial HEX | HEX)\n"
	  "  Shows one certificate with its status and PEM. Without --ca, the one CA of the\n"
	  "  store that issued HEX (two CAs with it: refused, naming them). HEX as openssl\n"
	  "  prints serials: 3BA1, 3b:a1, serial=3BA1 or 0x3ba1.", 0 },
	{ "export", cmd_export, acc_export,
	  "export --ca CA [--chain | --serial HEX] [--out FILE]\n"
	  "  Writes the CA certificate, its chain up to the root, or a certificate as PEM.", 0 },
	{ "audit", cmd_audit, acc_audit,
	  "audit verify\n"
	  "  Recomputes the audit chain and names the first broken entry, checks that\n"
	  "  every CA, certificate, revocation, CRL, seal and RA record has its entry\n"
	  "  (a log cut at its end), and prints the hash of the last entry.", 0 },
};

/* Commands of other modules, each table ending with a NULL name. */
static const command *const module_commands[] = {
	ca_tool_key_commands, ca_tool_ra_commands, ca_tool_seal_commands, ca_tool_ocsp_commands,
	ca_tool_verify_commands, ca_tool_config_commands, ca_tool_acme_commands,
	ca_tool_cmp_commands, ca_tool_kmc_commands, ca_tool_offline_commands,
};

static const command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	for (size_t m = 0; m < sizeof(module_commands) / sizeof(module_commands[0]); m++)
		for (const command *c = module_commands[m]; c->name != NULL; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

/* One line per command for `ca-tool --help`; the modules' commands too. */
static const struct {
	const char *name, *summary;
} summaries[] = {
	{ "init", "create a root CA, or a subordinate CA under --parent" },
	{ "issue", "issue a certificate from a CSR, or from a folder of CSRs" },
	{ "revoke", "revoke a certificate, or release one on hold" },
	{ "crl", "publish the next full or delta CRL" },
	{ "list", "list certificates, or the CAs" },
	{ "show", "show one certificate with its status" },
	{ "export", "write a CA certificate, its chain, or an issued certificate" },
	{ "verify", "verify a certificate chain and its revocation" },
	{ "audit", "verify the audit chain" },
	{ "key", "generate or list keys in a PKCS#11 token" },
	{ "ceremony", "the key ceremony: root and issuing CA with HSM keys" },
	{ "backup", "write or check an encrypted online backup" },
	{ "restore", "restore a backup into a new home" },
	{ "officer", "register, list, disable or enable RA officers" },
	{ "token", "create, list or revoke RA API tokens" },
	{ "est", "create, list or revoke EST enrolment secrets" },
	{ "seal", "list or revoke electronic seals" },
	{ "ocsp", "presign OCSP responses; an OCSP signer per CA" },
	{ "config", "show the configuration in effect, or check it" },
	{ "acme", "create external account binding keys for ACME" },
	{ "cmp", "create shared secrets for CMP clients" },
	{ "kmc", "key management centre: escrowed encryption keys" },
	{ "scep", "create one-time challenge passwords for SCEP clients" },
	{ "csr", "a CA's certificate request, for a root that signs offline" },
	{ "sign-ca", "sign a CA certificate from another machine's CSR" },
	{ "import-ca", "install a CA certificate signed elsewhere (offline root)" },
	{ "import-crl", "store a CRL signed elsewhere (offline root) for publishing" },
	{ "retire", "retire a CA after a rollover: no more issuance, CRLs and OCSP go on" },
};

static void
usage_line(FILE *f, const char *name)
{
	const char *summary = "";

	for (size_t i = 0; i < sizeof(summaries) / sizeof(summaries[0]); i++)
		if (strcmp(summaries[i].name, name) == 0)
			summary = summaries[i].summary;
	fprintf(f, "  %-11s %s\n", name, summary);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: ca-tool [--config FILE] [--home DIR] [--json] COMMAND [OPTIONS]\n\n"
	    "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		usage_line(f, commands[i].name);
	for (size_t m = 0; m < sizeof(module_commands) / sizeof(module_commands[0]); m++)
		for (const command *c = module_commands[m]; c->name != NULL; c++)
			usage_line(f, c->name);
	fprintf(f, "\nGlobal options:\n"
	    "  --config FILE  configuration file (OpenSSL config syntax); none: built-in profiles\n"
	    "  --home DIR     where the store and keys live (default $GOVPKI_HOME, else .)\n"
	    "  --json         machine-readable output (list, show, issue, init, revoke, crl, audit);\n"
	    "                 a failure of any command as {\"error\": {...}}\n"
	    "  --pass-file F  CA key passphrase from F (else GOVPKI_PASSPHRASE, else a prompt)\n"
	    "  --pin-file F   PIN of PKCS#11 tokens from F (else GOVPKI_PIN, else [pkcs11] pin_file)\n"
	    "  --version      print the version of govpki and exit\n"
	    "\n'ca-tool COMMAND --help' describes a command. Only init and ceremony create a store.\n"
	    "Exit codes: 0 success, 1 failure, 2 usage, 3 not found (CA, certificate, profile,\n"
	    "file, store), 4 refused (bad input, profile), 5 passphrase, 6 store locked by another\n"
	    "writer, read-only or of a newer govpki, 7 verification failed.\n");
}

static int
accepts(const command *c, int id)
{
	if (id == O_CONFIG || id == O_HOME || id == O_JSON || id == O_HELP || id == O_PIN_FILE)
		return 1;
	for (const int *a = c->accepts; *a; a++)
		if (*a == id)
			return 1;
	return 0;
}

static int
ct_main(int argc, char **argv)
{
	const command *cmd = NULL;
	const char *pin_file = NULL;
	opts o;
	int c, r, nargs = 0;

	cli_prog = "ca-tool";
	memset(&o, 0, sizeof(o));
	/* global options, then the command word, then its options */
	opterr = 0;
	for (;;) {
		int idx = 0;

		if ((c = getopt_long(argc, argv, "+h", all_opts, &idx)) == -1)
			break;
		switch (c) {
		case O_HELP: usage(stdout); return 0;
		case O_VERSION: return cli_print_version();
		case O_CONFIG: o.config = optarg; break;
		case O_HOME: o.home = optarg; break;
		case O_JSON: o.json = 1; break;
		case O_PIN_FILE: pin_file = optarg; break;
		default:
			return cli_usage_error("'%s' goes after the command or is unknown", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((cmd = find_command(argv[optind])) == NULL)
		return cli_usage_error("unknown command '%s'", argv[optind]);
	argc -= optind;
	argv += optind;
	if (pin_file != NULL && gp_key_p11_set_pin_file(pin_file) != 0)
		return cli_fail(gp_error_last_code(), "--pin-file");
	o.create = strcmp(cmd->name, "init") == 0 || strcmp(cmd->name, "ceremony") == 0;
	if (cmd->raw) {
		/* the module parses its own options (getopt_long from argv[1]) */
		optind = 1;
		return cmd->run(&o, argc, argv);
	}
	/*
	 * Options and arguments in any order ("audit verify --help"): "-" asks
	 * getopt for each argument in turn (c == 1), whatever POSIXLY_CORRECT
	 * says; they are gathered in argv[1..nargs], which getopt has read.
	 * optind 0 makes glibc's getopt read the new "-" (1 would keep the
	 * order of the first loop's "+").
	 */
	optind = 0;
	for (;;) {
		int idx = 0;

		if ((c = getopt_long(argc, argv, "-h", all_opts, &idx)) == -1)
			break;
		if (c == 1) {
			argv[1 + nargs++] = optarg;
			continue;
		}
		if (c == '?' || c == ':')
			return cli_usage_error("%s: bad option '%s'", cmd->name, argv[optind - 1]);
		if (!accepts(cmd, c))
			return cli_usage_error("%s does not take --%s", cmd->name, all_opts[idx].name);
		switch (c) {
		case O_HELP: cli_print_usage(stdout, cmd->usage); return 0;
		case O_CONFIG: o.config = optarg; break;
		case O_HOME: o.home = optarg; break;
		case O_JSON: o.json = 1; break;
		case O_PIN_FILE:
			if (gp_key_p11_set_pin_file(optarg) != 0)
				return cli_fail(gp_error_last_code(), "--pin-file");
			break;
		case O_NAME: o.name = optarg; break;
		case O_PARENT: o.parent = optarg; break;
		case O_SUBJECT: o.subject = optarg; break;
		case O_KEY_TYPE: o.key_type = optarg; break;
		case O_KEY: o.key = optarg; break;
		case O_PROFILE: o.profile = optarg; break;
		case O_PASS_FILE: o.pass_file = optarg; break;
		case O_PARENT_PASS_FILE: o.parent_pass_file = optarg; break;
		case O_CA: o.ca = optarg; break;
		case O_CSR: o.csr = optarg; break;
		case O_OUT: o.out = optarg; break;
		case O_BATCH: o.batch = optarg; break;
		case O_OUT_DIR: o.out_dir = optarg; break;
		case O_SAN: o.san = optarg; break;
		case O_SERIAL: o.serial = optarg; break;
		case O_REASON: o.reason = optarg; break;
		case O_STATUS: o.status = optarg; break;
		case O_ACTOR: o.actor = optarg; break;
		case O_URL: o.url = optarg; break;
		case O_POLICY: o.policy = optarg; break;
		case O_PUBLISH:
		case O_SHARDS:
			if (o.publish != NULL)
				return cli_usage_error("crl: --publish and --shards name one folder: give one");
			o.publish = optarg;
			o.shards = c == O_SHARDS;
			break;
		case O_NOW: o.now = optarg; break;
		case O_DELTA: o.delta = 1; break;
		case O_PEM: o.pem = 1; break;
		case O_CHAIN: o.chain = 1; break;
		case O_CAS: o.cas = 1; break;
		case O_DAYS:
			if ((r = ct_parse_long(&o.days, optarg, "--days", 1, 36500)) != 0)
				return r;
			break;
		case O_THREADS:
			if ((r = ct_parse_long(&o.threads, optarg, "--threads", 1, 64)) != 0)
				return r;
			break;
		case O_LIMIT:
			if ((r = ct_parse_long(&o.limit, optarg, "--limit", 1, 100000000)) != 0)
				return r;
			break;
		case O_EXPIRING: o.expiring = optarg; break;
		default:
			return cli_usage_error("%s: bad option", cmd->name);
		}
	}
	while (optind < argc)          /* after "--" */
		argv[1 + nargs++] = argv[optind++];
	if (nargs > 0 && strcmp(cmd->name, "audit") != 0 && strcmp(cmd->name, "show") != 0)
		return cli_usage_error("%s: unexpected argument '%s'", cmd->name, argv[1]);
	return cmd->run(&o, nargs, argv + 1);
}

/* --json: a failure of any command is JSON too (tools/cli_json.c) */
int
main(int argc, char **argv)
{
	cli_prog = "ca-tool";
	cli_json_begin(argc, argv);
	return cli_json_end(ct_main(argc, argv));
}
