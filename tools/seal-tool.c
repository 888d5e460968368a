/* tools/seal-tool.c: make, sign, verify and show electronic seals; CAdES signatures */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <govpki/govpki.h>
#include <govpki/seal.h>
#include <govpki/x509util.h>

#include "cli.h"

#define MAX_FILE (256L * 1024 * 1024)   /* documents up to 256 MiB */

static int json_out;
static const char *home, *config;

/* ------------------------------------------------------------ helpers */

static int
read_file(unsigned char **buf, size_t *len, const char *path, long max, const char *what)
{
	FILE *f = NULL;
	struct stat st;
	unsigned char *b = NULL;

	*buf = NULL;
	*len = 0;
	if (path == NULL)
		return cli_usage_error("%s: no file given", what);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s %s: %s\n", cli_prog, what, path, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		fprintf(stderr, "%s: %s %s: not a regular file\n", cli_prog, what, path);
		return EXIT_REFUSED;
	}
	if (st.st_size > max) {
		fclose(f);
		fprintf(stderr, "%s: %s %s: larger than %ld bytes\n", cli_prog, what, path, max);
		return EXIT_REFUSED;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL ||
	    fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(b);
		fclose(f);
		fprintf(stderr, "%s: cannot read %s %s\n", cli_prog, what, path);
		return EXIT_FAIL;
	}
	fclose(f);
	b[st.st_size] = 0;
	*buf = b;
	*len = (size_t)st.st_size;
	return 0;
}

/* Writes path (or stdout for "-") through a temporary file renamed into
 * place: never half a file.  durable: fsync before the rename (seals, which
 * are made once); signatures can be made again and skip the disk wait. */
static int
write_failed(const char *path, int r)
{
	if (r == CLI_WRITE_TOO_LONG)
		return cli_usage_error("output path too long");
	if (r == CLI_WRITE_EXISTS) {
		fprintf(stderr, "%s: %s exists (--force replaces it)\n", cli_prog, path);
		return EXIT_REFUSED;
	}
	if (r == CLI_WRITE_STDOUT)
		fprintf(stderr, "%s: cannot write to stdout\n", cli_prog);
	else if (r != 0)
		fprintf(stderr, "%s: cannot write %s: %s\n", cli_prog, path, strerror(errno));
	return r != 0 ? EXIT_FAIL : 0;
}

static int write_file(const char *path, const void *buf, size_t len) { return write_failed(path, cli_write_file(path, buf, len, 0)); }

/* All certificates of a PEM file (or one DER certificate). */
static int
load_certs(STACK_OF(X509) **out, const char *path, const char *what)
{
	unsigned char *buf = NULL;
	size_t len;
	BIO *bio = NULL;
	X509 *x;
	int rc;

	*out = NULL;
	if ((rc = read_file(&buf, &len, path, 16L * 1024 * 1024, what)) != 0)
		return rc;
	if ((*out = sk_X509_new_null()) == NULL || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(*out, x)) {
			X509_free(x);
			rc = EXIT_FAIL;
			goto out;
		}
	ERR_clear_error();
	if (sk_X509_num(*out) == 0) {
		const unsigned char *p = buf;
		if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || !sk_X509_push(*out, x)) {
			X509_free(x);
			fprintf(stderr, "%s: %s %s holds no certificate\n", cli_prog, what, path);
			rc = EXIT_REFUSED;
			goto out;
		}
	}
	rc = 0;
out:
	if (rc != 0) {
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
	}
	BIO_free(bio);
	free(buf);
	return rc;
}

static int
load_cert(X509 **out, const char *path, const char *what)
{
	STACK_OF(X509) *sk = NULL;
	int rc;

	*out = NULL;
	if ((rc = load_certs(&sk, path, what)) != 0)
		return rc;
	*out = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return 0;
}

static int
load_crls(STACK_OF(X509_CRL) *crls, const char *path)
{
	unsigned char *buf = NULL;
	size_t len;
	BIO *bio = NULL;
	X509_CRL *c;
	int rc, n = 0;

	if ((rc = read_file(&buf, &len, path, 256L * 1024 * 1024, "CRL")) != 0)
		return rc;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		free(buf);
		return EXIT_FAIL;
	}
	while ((c = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		sk_X509_CRL_push(crls, c);
		n++;
	}
	ERR_clear_error();
	if (n == 0) {
		const unsigned char *p = buf;
		if ((c = d2i_X509_CRL(NULL, &p, (long)len)) == NULL) {
			fprintf(stderr, "%s: %s is not a CRL\n", cli_prog, path);
			rc = EXIT_REFUSED;
		} else
			sk_X509_CRL_push(crls, c);
	}
	BIO_free(bio);
	free(buf);
	return rc;
}

static int
load_key(EVP_PKEY **out, const char *path, const char *pass_file)
{
	char *pass = NULL;
	size_t passlen = 0;
	int r;

	*out = NULL;
	if (path == NULL)
		return cli_usage_error("a key (--key) is required");
	if ((r = cli_pass(&pass, &passlen, pass_file, "Passphrase of the key: ")) != 0)
		return cli_fail(r, "passphrase");
	r = gp_key_load(out, path, pass, passlen);
	gp_pass_free(pass, passlen);
	if (r != 0)
		return cli_fail(r, "cannot load the key");
	return 0;
}

/* A TIME argument (gp_time_parse: OpenSSL checks the calendar) */
static int
parse_time(int64_t *out, const char *s, const char *what)
{
	if (gp_time_parse(out, s, GP_TIME_TEXT) != 0)
		return cli_usage_error("%s: %s", what, gp_error_last());
	return 0;
}

static void
iso(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
parse_hex(unsigned char *out, size_t max, size_t *len, const char *hex)
{
	size_t n = strlen(hex);

	*len = 0;
	if (n == 0 || n % 2 || n / 2 > max)
		return cli_usage_error("--hash: %zu hex digits (an SM3 or SHA-256 hash has 64)", n);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]))
			return cli_usage_error("--hash: not hex");
		out[i] = (unsigned char)v;
	}
	*len = n / 2;
	return 0;
}

static int
print_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	cli_json_printed();
	json_decref(j);
	if (s == NULL) {
		fprintf(stderr, "%s: cannot make JSON\n", cli_prog);
		return EXIT_FAIL;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

static int
open_store(gp_ctx **ctx, int readonly)
{
	int r = gp_ctx_open(ctx, config, home, readonly ? GP_CTX_READONLY : 0);

	if (r != 0)
		return cli_fail(r, "cannot open the govpki home");
	return 0;
}

static int want_store(void) { return home != NULL || config != NULL || getenv("GOVPKI_HOME") != NULL; }

/* --------------------------------------------------------------- make */

static const char usage_make[] =
	"make --maker-cert F --maker-key F --id ID --name NAME --holder CERT [--holder CERT]...\n"
	"     --image F --image-type PNG|JPG|GIF|BMP|SVG --width MM --height MM --out F\n"
	"     [--type official|personal] [--digests] [--valid-from T] [--valid-to T | --days N]\n"
	"     [--vid VENDOR] [--pass-file F] [--no-register] [--force] [--maker-oid OID]\n"
	"  Makes a GB/T 38540-2020 (version 4) seal signed by the maker (a seal-signer\n"
	"  certificate: one with the extended key usage or policy OID --maker-oid, by\n"
	"  default " GP_OID_SEAL_MAKER "; others are refused)\n"
	"  and records it in the seal register of the govpki home (--home,\n"
	"  --config or $GOVPKI_HOME; --no-register skips it). --digests lists the holders by\n"
	"  their certificate digests (SM3 or SHA-256) instead of the certificates. An\n"
	"  existing --out file is refused unless --force; on any failure it is left as it was.";

static int
cmd_make(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "maker-cert", required_argument, NULL, 'c' }, { "maker-key", required_argument, NULL, 'k' },
		{ "id", required_argument, NULL, 'i' }, { "name", required_argument, NULL, 'n' },
		{ "holder", required_argument, NULL, 'H' }, { "image", required_argument, NULL, 'm' },
		{ "image-type", required_argument, NULL, 't' }, { "width", required_argument, NULL, 'W' },
		{ "height", required_argument, NULL, 'E' }, { "out", required_argument, NULL, 'o' },
		{ "type", required_argument, NULL, 'T' }, { "digests", no_argument, NULL, 'D' },
		{ "valid-from", required_argument, NULL, 'f' }, { "valid-to", required_argument, NULL, 'u' },
		{ "days", required_argument, NULL, 'd' }, { "vid", required_argument, NULL, 'v' },
		{ "pass-file", required_argument, NULL, 'p' }, { "no-register", no_argument, NULL, 'N' },
		{ "force", no_argument, NULL, 'F' }, { "maker-oid", required_argument, NULL, 'M' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *mcert = NULL, *mkey = NULL, *image = NULL, *out = NULL, *pass_file = NULL, *holders[64];
	cli_out o = { 0 };
	gp_seal_params p = GP_SEAL_PARAMS_INIT;
	X509 *maker = NULL, *hx[64] = { NULL };
	EVP_PKEY *key = NULL;
	gp_ctx *ctx = NULL;
	unsigned char *img = NULL, *der = NULL;
	size_t nh = 0, imglen = 0, derlen = 0;
	long days = 365;
	int c, rc, noreg = 0, force = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': mcert = optarg; break;
		case 'k': mkey = optarg; break;
		case 'M': p.maker_oid = optarg; break;
		case 'i': p.id = optarg; break;
		case 'n': p.name = optarg; break;
		case 'H':
			if (nh == 64)
				return cli_usage_error("at most 64 holders");
			holders[nh++] = optarg;
			break;
		case 'm': image = optarg; break;
		case 't': p.image_type = optarg; break;
		case 'W': case 'E': {
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || v < 1 || v > 1000)
				return cli_usage_error("--%s: 1 to 1000 millimetres", c == 'W' ? "width" : "height");
			if (c == 'W')
				p.width_mm = v;
			else
				p.height_mm = v;
			break;
		}
		case 'o': out = optarg; break;
		case 'T':
			if (strcmp(optarg, "official") == 0 || strcmp(optarg, "1") == 0)
				p.type = GP_SEAL_OFFICIAL;
			else if (strcmp(optarg, "personal") == 0 || strcmp(optarg, "2") == 0)
				p.type = GP_SEAL_PERSONAL;
			else
				return cli_usage_error("--type: official or personal");
			break;
		case 'D': p.cert_list_type = GP_SEAL_DIGESTS; break;
		case 'f': if ((rc = parse_time(&p.valid_start, optarg, "--valid-from")) != 0) return rc; break;
		case 'u': if ((rc = parse_time(&p.valid_end, optarg, "--valid-to")) != 0) return rc; break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || days < 1 || days > 36500)
				return cli_usage_error("--days: 1 to 36500");
			break;
		case 'v': p.vid = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'N': noreg = 1; break;
		case 'F': force = 1; break;
		default: return cli_help_or_bad_option(c, "make", usage_make, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("make: unexpected argument '%s'", argv[optind]);
	if (mcert == NULL || mkey == NULL || p.id == NULL || p.name == NULL || nh == 0 || image == NULL ||
	    p.image_type == NULL || p.width_mm == 0 || p.height_mm == 0 || out == NULL)
		return cli_usage_error("make needs --maker-cert, --maker-key, --id, --name, --holder, --image, "
		    "--image-type, --width, --height and --out");
	/* the output first: a file there (unless --force), a missing folder,
	 * fail before anything is made or asked for */
	if ((rc = write_failed(out, force ? cli_out_open(&o, out) : cli_out_open_new(&o, out))) != 0)
		goto out;
	if ((rc = read_file(&img, &imglen, image, 8L * 1024 * 1024, "image")) != 0)
		goto out;
	if ((rc = load_cert(&maker, mcert, "maker certificate")) != 0)
		goto out;
	for (size_t i = 0; i < nh; i++)
		if ((rc = load_cert(&hx[i], holders[i], "holder certificate")) != 0)
			goto out;
	if ((rc = load_key(&key, mkey, pass_file)) != 0)
		goto out;
	if (p.valid_end == 0)
		p.valid_end = (p.valid_start ? p.valid_start : (int64_t)time(NULL)) + days * 86400;
	p.holders = hx;
	p.nholders = nh;
	p.image = img;
	p.image_len = imglen;
	if ((rc = gp_seal_make(&der, &derlen, &p, maker, key)) != 0) {
		rc = cli_fail(rc, "cannot make the seal");
		goto out;
	}
	/* a file is written (and fsynced) before the seal is registered and put
	 * in place after: a failure in between leaves neither, and what was at
	 * --out stays; standard output or a device gets it once registered */
	if (o.tmp[0] != '\0' && (rc = write_failed(out, cli_out_write(&o, der, derlen, 1))) != 0)
		goto out;
	if (!noreg && want_store()) {
		if ((rc = open_store(&ctx, 0)) != 0)
			goto out;
		if ((rc = gp_seal_register(gp_ctx_store(ctx), der, derlen, "seal-tool")) != 0) {
			rc = cli_fail(rc, "cannot register the seal");
			goto out;
		}
	}
	if (o.tmp[0] == '\0' && (rc = write_failed(out, cli_out_write(&o, der, derlen, 1))) != 0)
		goto out;
	if ((c = cli_out_place(&o)) != 0) {
		rc = write_failed(out, c);
		if (ctx != NULL) {
			/* registered: the seal is not thrown away with its file */
			fprintf(stderr, "%s: seal %s is registered; it is kept in %s\n", cli_prog, p.id, o.tmp);
			o.tmp[0] = '\0';
		}
		goto out;
	}
	if (json_out) {
		json_t *j = json_pack("{s:s, s:s, s:i, s:b}", "id", p.id, "file", out, "bytes", (int)derlen,
		    "registered", !noreg && want_store());
		rc = print_json(j);
	} else
		fprintf(stderr, "seal %s written to %s (%zu bytes)%s\n", p.id, out, derlen,
		    !noreg && want_store() ? ", registered" : "");
	rc = 0;
out:
	cli_out_abort(&o);      /* an unplaced temporary file; --out is untouched */
	for (size_t i = 0; i < nh; i++)
		X509_free(hx[i]);
	X509_free(maker);
	EVP_PKEY_free(key);
	gp_ctx_free(ctx);
	free(img);
	gp_free(der);
	return rc;
}

/* --------------------------------------------------------------- sign */

static const char usage_sign[] =
	"sign --seal F --cert F --key F (--doc F | --hash HEX) --out F\n"
	"     [--property TEXT] [--tsa URL] [--pass-file F] [--no-register]\n"
	"  Signs a document (or its hash: SM3 for SM2 signers, SHA-256 otherwise) with the\n"
	"  seal as one of its holders: a GB/T 38540 SES_Signature. --property names what was\n"
	"  signed (default: the document's file name); --tsa adds an RFC 3161 time-stamp.\n"
	"  Refused (nothing written): a signer certificate expired or not yet valid; with a\n"
	"  govpki home (--home, --config or $GOVPKI_HOME), a seal not in its register or\n"
	"  revoked there, or a signer certificate its CAs revoked or put on hold\n"
	"  (--no-register: the home is not asked).";

static int
cmd_sign(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seal", required_argument, NULL, 's' }, { "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' }, { "doc", required_argument, NULL, 'd' },
		{ "hash", required_argument, NULL, 'x' }, { "out", required_argument, NULL, 'o' },
		{ "property", required_argument, NULL, 'P' }, { "tsa", required_argument, NULL, 't' },
		{ "pass-file", required_argument, NULL, 'p' }, { "no-register", no_argument, NULL, 'N' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *sealf = NULL, *certf = NULL, *keyf = NULL, *doc = NULL, *hex = NULL, *out = NULL;
	const char *pass_file = NULL, *tsa = NULL;
	gp_seal_sign_params p = GP_SEAL_SIGN_PARAMS_INIT;
	unsigned char *seal = NULL, *d = NULL, *der = NULL, hash[64];
	size_t seallen = 0, dlen = 0, derlen = 0, hlen = 0;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	gp_ctx *ctx = NULL;
	int c, rc, noreg = 0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's': sealf = optarg; break;
		case 'c': certf = optarg; break;
		case 'k': keyf = optarg; break;
		case 'd': doc = optarg; break;
		case 'x': hex = optarg; break;
		case 'o': out = optarg; break;
		case 'P': p.property = optarg; break;
		case 't': tsa = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'N': noreg = 1; break;
		default: return cli_help_or_bad_option(c, "sign", usage_sign, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("sign: unexpected argument '%s'", argv[optind]);
	if (sealf == NULL || certf == NULL || keyf == NULL || out == NULL || (doc == NULL) == (hex == NULL))
		return cli_usage_error("sign needs --seal, --cert, --key, --out and one of --doc or --hash");
	if (hex != NULL && (rc = parse_hex(hash, sizeof(hash), &hlen, hex)) != 0)
		return rc;
	if ((rc = read_file(&seal, &seallen, sealf, GP_SEAL_MAX, "seal")) != 0 ||
	    (doc != NULL && (rc = read_file(&d, &dlen, doc, MAX_FILE, "document")) != 0) ||
	    (rc = load_cert(&cert, certf, "signer certificate")) != 0 ||
	    (rc = load_key(&key, keyf, pass_file)) != 0)
		goto out;
	if (p.property == NULL) {
		const char *b = doc ? strrchr(doc, '/') : NULL;
		p.property = doc ? (b ? b + 1 : doc) : "";
	}
	p.seal = seal;
	p.seal_len = seallen;
	p.signer = cert;
	p.signer_key = key;
	p.doc = d;
	p.doc_len = dlen;
	if (hex != NULL) {
		p.hash = hash;
		p.hash_len = hlen;
	}
	if (tsa != NULL) {
		p.ts_cb = gp_tsa_http_cb;
		p.ts_arg = (void *)tsa;
	}
	/* with a govpki home: the seal must be registered and good there, and
	 * the signer's certificate not revoked by one of its CAs */
	if (!noreg && want_store()) {
		if ((rc = open_store(&ctx, 1)) != 0)
			goto out;
		p.store = gp_ctx_store(ctx);
	}
	if ((rc = gp_seal_sign(&der, &derlen, &p)) != 0) {
		rc = cli_fail(rc, "cannot sign");
		goto out;
	}
	if ((rc = write_file(out, der, derlen)) != 0)
		goto out;
	if (json_out)
		rc = print_json(json_pack("{s:s, s:i, s:b}", "file", out, "bytes", (int)derlen, "timestamped", tsa != NULL));
out:
	free(seal);
	free(d);
	X509_free(cert);
	EVP_PKEY_free(key);
	gp_ctx_free(ctx);
	gp_free(der);
	return rc;
}

/* ------------------------------------------------------------- verify */

/* What verify and cades-verify check a chain with: the files of --trust,
 * --untrusted, --tsa-trust and --crl (VERIFY_OPTS, taken by vopts_set), and
 * what vopts_load_certs and vopts_load_crls read from them. */
struct vopts {
	const char *trust_file, *untrusted_file, *tsa_trust_file, *crl_files[16];
	int ncrl;
	STACK_OF(X509) *roots, *untrusted, *tsa_roots;
	STACK_OF(X509_CRL) *crls;
};

#define VERIFY_OPTS \
	{ "trust", required_argument, NULL, 'T' }, { "untrusted", required_argument, NULL, 'U' }, \
	{ "crl", required_argument, NULL, 'C' }, { "tsa-trust", required_argument, NULL, 'S' }

/* Takes option c, one of VERIFY_OPTS. */
static int
vopts_set(struct vopts *v, int c, const char *arg)
{
	switch (c) {
	case 'T': v->trust_file = arg; break;
	case 'U': v->untrusted_file = arg; break;
	case 'S': v->tsa_trust_file = arg; break;
	default:                /* 'C' */
		if (v->ncrl == 16)
			return cli_usage_error("at most 16 --crl");
		v->crl_files[v->ncrl++] = arg;
		break;
	}
	return 0;
}

/* The trust anchors, other certificates and TSA trust anchors the options
 * name (--trust is required). */
static int
vopts_load_certs(struct vopts *v)
{
	int rc;

	if ((rc = load_certs(&v->roots, v->trust_file, "trust anchors")) != 0 ||
	    (v->untrusted_file != NULL &&
	    (rc = load_certs(&v->untrusted, v->untrusted_file, "certificates")) != 0) ||
	    (v->tsa_trust_file != NULL &&
	    (rc = load_certs(&v->tsa_roots, v->tsa_trust_file, "TSA trust anchors")) != 0))
		return rc;
	return 0;
}

/* The CRLs the options name (none: v->crls stays NULL). */
static int
vopts_load_crls(struct vopts *v)
{
	int rc;

	if (v->ncrl == 0)
		return 0;
	if ((v->crls = sk_X509_CRL_new_null()) == NULL)
		return EXIT_FAIL;
	for (int i = 0; i < v->ncrl; i++)
		if ((rc = load_crls(v->crls, v->crl_files[i])) != 0)
			return rc;
	return 0;
}

static void
vopts_free(struct vopts *v)
{
	sk_X509_pop_free(v->roots, X509_free);
	sk_X509_pop_free(v->untrusted, X509_free);
	sk_X509_pop_free(v->tsa_roots, X509_free);
	sk_X509_CRL_pop_free(v->crls, X509_CRL_free);
}

static const char *
status_name(int st)
{
	return st == GP_STEP_PASS ? "pass" : st == GP_STEP_FAIL ? "fail" : "not checked";
}

/* The GP_TIME_* source of the time the checks were made at: its name in
 * JSON, and what the text output says of it. */
static const char *
time_source_name(int source)
{
	switch (source) {
	case GP_TIME_STAMPED: return "time-stamp";
	case GP_TIME_ASSERTED: return "asserted";
	case GP_TIME_SIGNER: return "signer";
	default: return "now";
	}
}

static const char *
time_source_text(int source)
{
	switch (source) {
	case GP_TIME_STAMPED: return "the time-stamp's time: proven";
	case GP_TIME_ASSERTED: return "given with --at: asserted, not proven by a time-stamp";
	case GP_TIME_SIGNER: return "the signer's timeInfo: claimed, not proven (no time-stamp)";
	default: return "the current time";
	}
}

static int
print_result(const gp_verify_result *res, const char *what)
{
	size_t n = gp_verify_result_count(res);
	int ok = gp_verify_result_ok(res);
	int64_t checked;
	int source = gp_verify_result_time_source(&checked, res);
	char t[32];

	if (json_out) {
		json_t *j = json_object(), *steps = json_array();
		for (size_t i = 0; i < n; i++) {
			const char *name, *detail;
			int st;
			gp_verify_result_step(res, i, &name, &st, &detail);
			json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "step", name,
			    "result", st == GP_STEP_PASS ? "pass" : st == GP_STEP_FAIL ? "fail" : "skip",
			    "detail", detail));
		}
		json_object_set_new(j, "valid", json_boolean(ok));
		json_object_set_new(j, "object", json_string(what));
		if (gp_verify_result_seal_id(res))
			json_object_set_new(j, "seal_id", json_string(gp_verify_result_seal_id(res)));
		if (gp_verify_result_time(res)) {
			iso(t, gp_verify_result_time(res));
			json_object_set_new(j, "signing_time", json_string(t));
		}
		if (gp_verify_result_ts_time(res)) {
			iso(t, gp_verify_result_ts_time(res));
			json_object_set_new(j, "timestamp_time", json_string(t));
		}
		if (checked) {
			/* seal and signature checks (not CAdES): when they were made
			 * at, and whether that time is proven */
			iso(t, checked);
			json_object_set_new(j, "checked_at", json_string(t));
			json_object_set_new(j, "time_source", json_string(time_source_name(source)));
			json_object_set_new(j, "time_proven", json_boolean(source == GP_TIME_STAMPED));
		}
		if (!ok)
			json_object_set_new(j, "reason", json_string(gp_verify_result_reason(res)));
		json_object_set_new(j, "steps", steps);
		print_json(j);
	} else {
		for (size_t i = 0; i < n; i++) {
			const char *name, *detail;
			int st;
			gp_verify_result_step(res, i, &name, &st, &detail);
			printf("%-15s %-11s %s\n", name, status_name(st), detail);
		}
		if (checked) {
			iso(t, checked);
			printf("checked at:     %s (%s)\n", t, time_source_text(source));
		}
		printf("%s: %s\n", what, ok ? "VALID" : "INVALID");
	}
	if (!ok)
		fprintf(stderr, "%s: verification failed: %s\n", cli_prog, gp_verify_result_reason(res));
	return ok ? 0 : EXIT_VERIFY;
}

static const char usage_verify[] =
	"verify --trust ROOTS.pem [--untrusted CERTS.pem] [--crl F]... [--tsa-trust F]\n"
	"       [--ocsp URL|aia] [--at TIME] [--doc F | --hash HEX] [--no-register]\n"
	"       [--maker-oid OID|none] [--status URL] FILE\n"
	"  Verifies a seal signature (or a seal alone) every step of GB/T 38540-2020: the\n"
	"  signer's signature and chain, the time-stamp, the document, the seal's maker,\n"
	"  validity and status in the register (when a govpki home is given), and that the\n"
	"  signer holds the seal. Checks are made at the signing time (the time-stamp's when\n"
	"  there is one) unless --at gives another; the output says which, and only a\n"
	"  time-stamp's time is proven: --at is an assertion, timeInfo the signer's claim,\n"
	"  and a revoked seal fails unless a time-stamp proves the signature older than the\n"
	"  revocation. Without --doc or --hash the document is\n"
	"  not checked. --ocsp asks an OCSP responder (URL, or each certificate's own with\n"
	"  aia) about the signer's and the maker's certificates. The seal's maker must be a\n"
	"  seal signer: its certificate carries --maker-oid (default " GP_OID_SEAL_MAKER ")\n"
	"  as extended key usage or policy; none skips that check (seals from elsewhere).\n"
	"  --status asks a seal status service (such as tsa-server --home: URL\n"
	"  http://HOST:PORT/seal-status) for the seal's status instead of a home's register.\n"
	"  Exit 7 when a step fails.";

static int
cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = {
		VERIFY_OPTS, { "at", required_argument, NULL, 'a' }, { "doc", required_argument, NULL, 'd' },
		{ "hash", required_argument, NULL, 'x' }, { "no-register", no_argument, NULL, 'N' },
		{ "ocsp", required_argument, NULL, 'O' }, { "maker-oid", required_argument, NULL, 'M' },
		{ "status", required_argument, NULL, 'R' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *doc = NULL, *hex = NULL, *ocsp = NULL, *status = NULL;
	struct vopts v;
	gp_seal_verify_params p = GP_SEAL_VERIFY_PARAMS_INIT;
	gp_verify_result *res = NULL;
	gp_ctx *ctx = NULL;
	unsigned char *in = NULL, *d = NULL, hash[64];
	size_t inlen = 0, dlen = 0, hlen = 0;
	int c, rc, noreg = 0, is_seal = 0;

	memset(&v, 0, sizeof(v));
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'T': case 'U': case 'C': case 'S':
			if ((rc = vopts_set(&v, c, optarg)) != 0)
				return rc;
			break;
		case 'a': if ((rc = parse_time(&p.at, optarg, "--at")) != 0) return rc; break;
		case 'd': doc = optarg; break;
		case 'x': hex = optarg; break;
		case 'N': noreg = 1; break;
		case 'O': ocsp = optarg; break;
		case 'M': p.maker_oid = optarg; break;
		case 'R':
			if (strncmp(optarg, "http://", 7) != 0)
				return cli_usage_error("--status: an http:// URL");
			status = optarg;
			break;
		default: return cli_help_or_bad_option(c, "verify", usage_verify, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("verify needs one seal or signature file");
	if (v.trust_file == NULL)
		return cli_usage_error("verify needs --trust");
	if (doc != NULL && hex != NULL)
		return cli_usage_error("--doc and --hash exclude each other");
	if (hex != NULL && (rc = parse_hex(hash, sizeof(hash), &hlen, hex)) != 0)
		return rc;
	if ((rc = read_file(&in, &inlen, argv[optind], GP_SEAL_MAX, "file")) != 0 ||
	    (rc = vopts_load_certs(&v)) != 0 ||
	    (doc != NULL && (rc = read_file(&d, &dlen, doc, MAX_FILE, "document")) != 0) ||
	    (rc = vopts_load_crls(&v)) != 0)
		goto out;
	if (status != NULL) {
		/* the service, not a home (GB/T 38540-2020 §8.2 step 7 away from the CA) */
		p.status_cb = gp_seal_status_http_cb;
		p.status_arg = (void *)status;
	} else if (!noreg && want_store()) {
		if ((rc = open_store(&ctx, 1)) != 0)
			goto out;
		p.store = gp_ctx_store(ctx);
	}
	p.roots = v.roots;
	p.untrusted = v.untrusted;
	p.tsa_roots = v.tsa_roots;
	if (ocsp != NULL) {
		p.ocsp_cb = gp_ocsp_http_cb;
		p.ocsp_arg = strcmp(ocsp, "aia") == 0 ? NULL : (void *)ocsp;
	}
	p.crls = v.crls;
	p.doc = d;
	p.doc_len = dlen;
	if (hex != NULL) {
		p.hash = hash;
		p.hash_len = hlen;
	}
	rc = gp_seal_sig_verify(&res, in, inlen, &p);
	if (rc == GP_E_PARSE) {
		/* not a signature: a seal on its own? */
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", gp_error_last());
		is_seal = 1;
		if ((rc = gp_seal_verify(&res, in, inlen, &p)) == GP_E_PARSE) {
			fprintf(stderr, "%s: %s is neither a seal signature (%s) nor a seal (%s)\n", cli_prog,
			    argv[optind], msg, gp_error_last());
			rc = EXIT_REFUSED;
			goto out;
		}
	}
	if (rc != 0) {
		rc = cli_fail(rc, "cannot verify");
		goto out;
	}
	rc = print_result(res, is_seal ? "seal" : "signature");
out:
	vopts_free(&v);
	gp_verify_result_free(res);
	gp_ctx_free(ctx);
	free(in);
	free(d);
	return rc;
}

/* --------------------------------------------------------------- show */

static const char usage_show[] =
	"show [--image-out F] FILE\n"
	"  Prints a seal's fields (of a seal file, or of the seal inside a signature, with\n"
	"  the signer, time and property) and with --image-out writes its picture to F.";

/* x's subject in RFC 2253 form with UTF-8 kept (Chinese names readable,
 * not \xE5 escapes), gp_free; NULL when it cannot be printed */
static char *
subject_of(X509 *x)
{
	char *s = NULL;

	return x != NULL && gp_name_to_string(&s, X509_get_subject_name(x)) == 0 ? s : NULL;
}

static int
cmd_show(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "image-out", required_argument, NULL, 'i' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *imgout = NULL;
	unsigned char *in = NULL;
	size_t inlen = 0, ilen = 0;
	gp_seal *seal = NULL;
	const unsigned char *img;
	long w, h;
	int64_t tc, ts, te, stime = 0;
	char a[32], b[32], cc[32], st[32], *subj = NULL, *ssubj = NULL;
	X509 *signer = NULL;
	char *prop = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': imgout = optarg; break;
		default: return cli_help_or_bad_option(c, "show", usage_show, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("show needs one seal file");
	if ((rc = read_file(&in, &inlen, argv[optind], GP_SEAL_MAX, "seal")) != 0)
		goto out;
	if ((rc = gp_seal_parse(&seal, in, inlen)) != 0) {
		/* a signature: its seal, and who signed what when */
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", gp_error_last());
		if (gp_seal_sig_parse(&seal, &signer, &stime, &prop, in, inlen) != 0) {
			fprintf(stderr, "%s: %s is neither a seal (%s) nor a seal signature (%s)\n", cli_prog,
			    argv[optind], msg, gp_error_last());
			rc = EXIT_REFUSED;
			goto out;
		}
		rc = 0;         /* a signature, read: not the seal parse's failure */
	}
	img = gp_seal_image(seal, &ilen, &w, &h);
	gp_seal_times(&tc, &ts, &te, seal);
	iso(a, ts);
	iso(b, te);
	iso(cc, tc);
	subj = subject_of(gp_seal_maker0(seal));
	ssubj = subject_of(signer);
	if (imgout != NULL && (rc = write_file(imgout, img, ilen)) != 0)
		goto out;
	if (json_out) {
		json_t *j = json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:{s:s, s:i, s:i, s:i}}",
		    "id", gp_seal_id(seal), "version", gp_seal_version(seal), "vendor", gp_seal_vid(seal),
		    "name", gp_seal_name(seal), "type", gp_seal_type(seal),
		    "created", cc, "valid_from", a, "valid_to", b, "maker", subj ? subj : "?",
		    "signature_algorithm", gp_seal_sig_alg(seal),
		    "cert_list_type", gp_seal_cert_list_type(seal), "holders", (int)gp_seal_holder_count(seal),
		    "image", "type", gp_seal_image_type(seal), "bytes", (int)ilen, "width_mm", (int)w, "height_mm", (int)h);
		if (signer != NULL) {
			iso(st, stime);
			json_object_set_new(j, "signature", json_pack("{s:s, s:s, s:s}", "signer",
			    ssubj ? ssubj : "?", "time", st, "property", prop));
		}
		rc = print_json(j);
	} else {
		printf("id:          %s\nversion:     %d\nvendor:      %s\nname:        %s\ntype:        %d (%s)\n",
		    gp_seal_id(seal), gp_seal_version(seal), gp_seal_vid(seal), gp_seal_name(seal),
		    gp_seal_type(seal), gp_seal_type(seal) == 1 ? "official" : gp_seal_type(seal) == 2 ? "personal" : "other");
		printf("created:     %s\nvalid:       %s .. %s\nmaker:       %s\nalgorithm:   %s\n", cc, a, b, subj ? subj : "?",
		    gp_seal_sig_alg(seal));
		printf("holders:     %zu (%s)\nimage:       %s, %zu bytes, %ld x %ld mm\n", gp_seal_holder_count(seal),
		    gp_seal_cert_list_type(seal) == 1 ? "certificates" : "digests", gp_seal_image_type(seal), ilen, w, h);
		if (signer != NULL) {
			iso(st, stime);
			printf("signed by:   %s\nsigned at:   %s\nproperty:    %s\n",
			    ssubj ? ssubj : "?", st, prop);
		}
	}
out:
	gp_free(subj);
	gp_free(ssubj);
	gp_seal_free(seal);
	X509_free(signer);
	gp_free(prop);
	free(in);
	return rc;
}

/* ------------------------------------------------------------- CAdES */

static const char usage_cades_sign[] =
	"cades-sign --cert F --key F [--chain F] [--tsa URL] [--pass-file F] --out F DATA\n"
	"  A detached CAdES-B-B signature (CMS SignedData, DER) over DATA; with --tsa\n"
	"  CAdES-B-T. SM2 keys give a GM/T 0010 SignedData.";

static int
cmd_cades_sign(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cert", required_argument, NULL, 'c' }, { "key", required_argument, NULL, 'k' },
		{ "chain", required_argument, NULL, 'C' }, { "tsa", required_argument, NULL, 't' },
		{ "pass-file", required_argument, NULL, 'p' }, { "out", required_argument, NULL, 'o' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *certf = NULL, *keyf = NULL, *chainf = NULL, *tsa = NULL, *pass_file = NULL, *out = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *data = NULL, *der = NULL;
	size_t dlen = 0, derlen = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': certf = optarg; break;
		case 'k': keyf = optarg; break;
		case 'C': chainf = optarg; break;
		case 't': tsa = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'o': out = optarg; break;
		default: return cli_help_or_bad_option(c, "cades-sign", usage_cades_sign, argv);
		}
	}
	if (optind + 1 != argc || certf == NULL || keyf == NULL || out == NULL)
		return cli_usage_error("cades-sign needs --cert, --key, --out and one data file");
	if ((rc = read_file(&data, &dlen, argv[optind], MAX_FILE, "data")) != 0 ||
	    (rc = load_cert(&cert, certf, "signer certificate")) != 0 ||
	    (chainf != NULL && (rc = load_certs(&chain, chainf, "chain")) != 0) ||
	    (rc = load_key(&key, keyf, pass_file)) != 0)
		goto out;
	if ((rc = gp_cades_sign(&der, &derlen, cert, key, chain, data, dlen,
	    tsa ? gp_tsa_http_cb : NULL, (void *)tsa)) != 0) {
		rc = cli_fail(rc, "cannot sign");
		goto out;
	}
	rc = write_file(out, der, derlen);
out:
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	EVP_PKEY_free(key);
	free(data);
	gp_free(der);
	return rc;
}

static const char usage_cades_verify[] =
	"cades-verify --trust F [--untrusted F] [--crl F]... [--tsa-trust F] --data F SIG\n"
	"  Verifies a detached CAdES signature over the data file.";

static int
cmd_cades_verify(int argc, char **argv)
{
	static const struct option lo[] = {
		VERIFY_OPTS, { "data", required_argument, NULL, 'd' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *dataf = NULL;
	struct vopts v;
	gp_verify_result *res = NULL;
	unsigned char *sig = NULL, *data = NULL;
	size_t slen = 0, dlen = 0;
	int c, rc;

	memset(&v, 0, sizeof(v));
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'T': case 'U': case 'C': case 'S':
			if ((rc = vopts_set(&v, c, optarg)) != 0)
				return rc;
			break;
		case 'd': dataf = optarg; break;
		default: return cli_help_or_bad_option(c, "cades-verify", usage_cades_verify, argv);
		}
	}
	if (optind + 1 != argc || v.trust_file == NULL || dataf == NULL)
		return cli_usage_error("cades-verify needs --trust, --data and one signature file");
	if ((rc = read_file(&sig, &slen, argv[optind], GP_SEAL_MAX, "signature")) != 0 ||
	    (rc = read_file(&data, &dlen, dataf, MAX_FILE, "data")) != 0 ||
	    (rc = vopts_load_certs(&v)) != 0 || (rc = vopts_load_crls(&v)) != 0)
		goto out;
	rc = gp_cades_verify(&res, sig, slen, data, dlen, v.roots, v.untrusted, v.crls, v.tsa_roots);
	if (res != NULL)
		rc = print_result(res, "CAdES signature");
	else
		rc = cli_fail(rc, "cannot verify");
out:
	vopts_free(&v);
	gp_verify_result_free(res);
	free(sig);
	free(data);
	return rc;
}

/* --------------------------------------------------------------- main */

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *usage;
} commands[] = {
	{ "make", cmd_make, usage_make },
	{ "sign", cmd_sign, usage_sign },
	{ "verify", cmd_verify, usage_verify },
	{ "show", cmd_show, usage_show },
	{ "cades-sign", cmd_cades_sign, usage_cades_sign },
	{ "cades-verify", cmd_cades_verify, usage_cades_verify },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: seal-tool [--json] [--home DIR] [--config FILE] [--pin-file F] COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\n--version prints the version of govpki.\nTIME: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, YYYYMMDDHHMMSSZ or @SECONDS (UTC; dates that\n"
	    "do not exist are refused). Keys are encrypted PEM files\n"
	    "(passphrase from --pass-file, $GOVPKI_PASSPHRASE or a prompt) or pkcs11: URIs (PIN from\n"
	    "--pin-file, $GOVPKI_PIN or [pkcs11] pin_file). Exit codes: 0 success,\n"
	    "1 failure, 2 usage, 3 not found, 4 refused (bad input), 5 passphrase, 6 store busy,\n"
	    "7 verification failed.\n");
}

static int
st_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' }, { "home", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ "pin-file", required_argument, NULL, 'i' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	int c;

	cli_prog = "seal-tool";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'j': json_out = 1; break;
		case 'H': home = optarg; break;
		case 'c': config = optarg; break;
		case 'i':
			if (gp_key_p11_set_pin_file(optarg) != 0)
				return cli_fail(gp_error_last_code(), "--pin-file");
			break;
		case 'h': usage(stdout); return 0;
		case 'V': return cli_print_version();
		default: return cli_usage_error("bad option '%s' (global options go before the command)", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0) {
			argc -= optind;
			argv += optind;
			optind = 1;
			opterr = 0;
			return commands[i].run(argc, argv);
		}
	return cli_usage_error("unknown command '%s'", argv[optind]);
}

/* --json: a failure of any command is JSON too (tools/cli_json.c) */
int
main(int argc, char **argv)
{
	cli_prog = "seal-tool";
	cli_json_begin(argc, argv);
	return cli_json_end(st_main(argc, argv));
}
