/* tools/ca-tool-key.c: ca-tool's HSM key, key ceremony, backup and restore commands */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "ca-tool.h"
#include "cli.h"

enum {
	K_HELP = 'h',
	K_TOKEN = 256, K_LABEL, K_TYPE, K_PIN_FILE, K_OUT, K_PASS_FILE, K_TO,
	K_ACTOR, K_CONFIG, K_HOME, K_JSON, K_SCRYPT, K_ROOT_NAME, K_ROOT_SUBJECT,
	K_ROOT_LABEL, K_ISS_NAME, K_ISS_SUBJECT, K_ISS_LABEL, K_ISS_TOKEN,
	K_ROOT_DAYS, K_ISS_DAYS, K_OUT_DIR
};

static const struct option key_opts[] = {
	{ "help", no_argument, NULL, K_HELP },
	{ "token", required_argument, NULL, K_TOKEN },
	{ "label", required_argument, NULL, K_LABEL },
	{ "type", required_argument, NULL, K_TYPE },
	{ "pin-file", required_argument, NULL, K_PIN_FILE },
	{ "out", required_argument, NULL, K_OUT },
	{ "pass-file", required_argument, NULL, K_PASS_FILE },
	{ "to", required_argument, NULL, K_TO },
	{ "actor", required_argument, NULL, K_ACTOR },
	{ "config", required_argument, NULL, K_CONFIG },
	{ "home", required_argument, NULL, K_HOME },
	{ "json", no_argument, NULL, K_JSON },
	{ "scrypt-log2n", required_argument, NULL, K_SCRYPT },
	{ "root-name", required_argument, NULL, K_ROOT_NAME },
	{ "root-subject", required_argument, NULL, K_ROOT_SUBJECT },
	{ "root-label", required_argument, NULL, K_ROOT_LABEL },
	{ "issuing-name", required_argument, NULL, K_ISS_NAME },
	{ "issuing-subject", required_argument, NULL, K_ISS_SUBJECT },
	{ "issuing-label", required_argument, NULL, K_ISS_LABEL },
	{ "issuing-token", required_argument, NULL, K_ISS_TOKEN },
	{ "root-days", required_argument, NULL, K_ROOT_DAYS },
	{ "issuing-days", required_argument, NULL, K_ISS_DAYS },
	{ "out-dir", required_argument, NULL, K_OUT_DIR },
	{ NULL, 0, NULL, 0 }
};

/* What the commands of this file take; which ones each accepts is checked
 * by the command itself. */
typedef struct kopts {
	const char *token, *label, *type, *pin_file, *out, *pass_file, *to, *actor;
	const char *root_name, *root_subject, *root_label;
	const char *iss_name, *iss_subject, *iss_label, *iss_token, *out_dir;
	long scrypt, root_days, iss_days;
	int nargs;
	char *args[4];
} kopts;

static const char usage_key[] =
    "key generate --token URI --label NAME --type ec-p256|ec-p384|rsa2048|rsa3072|rsa4096 [--pin-file F]\n"
    "key list --token URI [--pin-file F]\n"
    "  Generates a key pair inside the PKCS#11 token named by URI (RFC 7512, e.g.\n"
    "  'pkcs11:token=CA'), never extractable and sensitive, or lists the token's\n"
    "  private keys with their CKA_SENSITIVE / CKA_EXTRACTABLE attributes and URIs.\n"
    "  The module: module-path in the URI, GOVPKI_PKCS11_MODULE, or [pkcs11] module.\n"
    "  The PIN: --pin-file, GOVPKI_PIN, or [pkcs11] pin_file.";
static const char usage_ceremony[] =
    "ceremony --token URI --type TYPE --root-name N --root-subject S --root-label L\n"
    "         --issuing-name N --issuing-subject S --issuing-label L [--issuing-token URI]\n"
    "         [--root-days D] [--issuing-days D] [--pin-file F] [--out-dir DIR] [--actor WHO]\n"
    "  The key ceremony: generates the root key in the HSM, self-signs the root,\n"
    "  generates the issuing CA's key in the HSM and certifies it, prints the\n"
    "  fingerprints for the witnesses, and records every step in the audit chain.";
static const char usage_backup[] =
    "backup --out FILE [--pass-file F] [--actor WHO]\n"
    "backup verify FILE [--pass-file F]\n"
    "  Writes an encrypted (scrypt + AES-256-GCM) online backup of the store and the\n"
    "  encrypted key files, with a SHA-256 manifest, while the servers keep running;\n"
    "  or checks one without restoring it.  The passphrase: --pass-file,\n"
    "  GOVPKI_BACKUP_PASSPHRASE, or a prompt.  HSM keys stay in the HSM.\n"
    "  The --config file goes into the backup too (restored as DIR/govpki.cnf).";
static const char usage_restore[] =
    "restore FILE --to DIR [--pass-file F] [--actor WHO]\n"
    "  Restores a backup into DIR (new or empty), after checking it completely;\n"
    "  DIR is then a govpki home (--home DIR), with DIR/govpki.cnf when the backup\n"
    "  holds the configuration.  Each CA's next CRL number is 2^32 above the\n"
    "  backup's, above any CRL published after the backup (RFC 5280 5.2.3).";

/* Parses argv (argv[0] the command word; a sub-command word, if any, is
 * in args).  Returns 0, or an exit code. */
static int
kparse(kopts *k, opts *o, int argc, char **argv, const char *usage)
{
	int c, r;

	memset(k, 0, sizeof(*k));
	opterr = 0;
	optind = 0;             /* glibc: start afresh on this argv */
	for (;;) {
		int idx = 0;

		if ((c = getopt_long(argc, argv, "h", key_opts, &idx)) == -1)
			break;
		switch (c) {
		case K_HELP: cli_print_usage(stdout, usage); return -1;
		case K_TOKEN: k->token = optarg; break;
		case K_LABEL: k->label = optarg; break;
		case K_TYPE: k->type = optarg; break;
		case K_PIN_FILE: k->pin_file = optarg; break;
		case K_OUT: k->out = optarg; break;
		case K_PASS_FILE: k->pass_file = optarg; break;
		case K_TO: k->to = optarg; break;
		case K_ACTOR: k->actor = optarg; break;
		case K_CONFIG: o->config = optarg; break;
		case K_HOME: o->home = optarg; break;
		case K_JSON: o->json = 1; break;
		case K_ROOT_NAME: k->root_name = optarg; break;
		case K_ROOT_SUBJECT: k->root_subject = optarg; break;
		case K_ROOT_LABEL: k->root_label = optarg; break;
		case K_ISS_NAME: k->iss_name = optarg; break;
		case K_ISS_SUBJECT: k->iss_subject = optarg; break;
		case K_ISS_LABEL: k->iss_label = optarg; break;
		case K_ISS_TOKEN: k->iss_token = optarg; break;
		case K_OUT_DIR: k->out_dir = optarg; break;
		case K_SCRYPT:
			if ((r = ct_parse_long(&k->scrypt, optarg, "--scrypt-log2n", 10, 22)) != 0)
				return r;
			break;
		case K_ROOT_DAYS:
			if ((r = ct_parse_long(&k->root_days, optarg, "--root-days", 1, 36500)) != 0)
				return r;
			break;
		case K_ISS_DAYS:
			if ((r = ct_parse_long(&k->iss_days, optarg, "--issuing-days", 1, 36500)) != 0)
				return r;
			break;
		default:
			return cli_usage_error("%s: bad option '%s'", argv[0], argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {
		if (k->nargs == 4)
			return cli_usage_error("%s: too many arguments", argv[0]);
		k->args[k->nargs++] = argv[optind];
	}
	return 0;
}

/* The PIN from --pin-file (NULL: the library's sources apply). */
static int
read_pin(char **pin, size_t *len, const char *file)
{
	int r;

	*pin = NULL;
	*len = 0;
	if (file == NULL)
		return 0;
	if ((r = gp_pass_get(pin, len, file, NULL)) != 0)
		return cli_fail(r, "PIN");
	return 0;
}

/* [pkcs11] of --config, for commands that open no home. */
static int
load_p11_config(const opts *o)
{
	gp_config *cfg = NULL;
	int r;

	if (o->config == NULL)
		return 0;
	if ((r = gp_config_load(&cfg, o->config)) == 0)
		r = gp_key_p11_configure(cfg);
	gp_config_free(cfg);
	if (r != 0)
		return cli_fail(r, "configuration");
	return 0;
}

static json_t *
key_json(const gp_p11_key_info *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:b, s:b, s:b}",
	    "label", k->label, "id", k->id_hex, "uri", k->uri, "token", k->token,
	    "kind", k->kind, "bits", k->bits, "sensitive", k->sensitive == 1,
	    "extractable", k->extractable == 1, "always_sensitive", k->always_sensitive == 1,
	    "never_extractable", k->never_extractable == 1, "public_key", k->has_public);
}

static void
key_print(const gp_p11_key_info *k)
{
	printf("%s  %s-%d  id=%s  CKA_SENSITIVE=%s CKA_EXTRACTABLE=%s%s\n  %s\n",
	    k->label, k->kind, k->bits, k->id_hex,
	    k->sensitive == 1 ? "true" : k->sensitive == 0 ? "false" : "?",
	    k->extractable == 1 ? "true" : k->extractable == 0 ? "false" : "?",
	    k->has_public ? "" : "  (no public key object)", k->uri);
}

/* ---------------------------------------------------------------- key */

static int
cmd_key(opts *o, int argc, char **argv)
{
	kopts k;
	char *pin = NULL;
	size_t pinlen = 0, n = 0, i;
	gp_p11_key_info *info = NULL, **list = NULL;
	gp_key_type kt;
	int r;

	if ((r = kparse(&k, o, argc, argv, usage_key)) != 0)
		return r < 0 ? 0 : r;
	if (k.nargs != 1 || (strcmp(k.args[0], "generate") != 0 && strcmp(k.args[0], "list") != 0))
		return cli_usage_error("key: say 'key generate' or 'key list'");
	if (k.token == NULL)
		return cli_usage_error("key %s needs --token URI", k.args[0]);
	if (strcmp(k.args[0], "generate") == 0) {
		if (k.label == NULL || k.type == NULL)
			return cli_usage_error("key generate needs --label and --type");
		if (gp_key_type_from_name(&kt, k.type) != 0)
			return cli_usage_error("unknown key type '%s' (ec-p256, ec-p384, rsa2048, rsa3072, rsa4096)",
			    k.type);
	}
	if ((r = load_p11_config(o)) != 0 || (r = read_pin(&pin, &pinlen, k.pin_file)) != 0)
		goto out;
	if (strcmp(k.args[0], "generate") == 0) {
		if ((r = gp_key_p11_generate(&info, k.token, k.label, kt, pin, pinlen)) != 0) {
			r = cli_fail(r, "key generate");
			goto out;
		}
		if (o->json)
			r = ct_print_json(key_json(info));
		else {
			printf("generated ");
			key_print(info);
		}
	} else {
		if ((r = gp_key_p11_list(&list, &n, k.token, pin, pinlen)) != 0) {
			r = cli_fail(r, "key list");
			goto out;
		}
		if (o->json) {
			json_t *a = json_array();

			for (i = 0; i < n; i++)
				json_array_append_new(a, key_json(list[i]));
			r = ct_print_json(a);
		} else {
			for (i = 0; i < n; i++)
				key_print(list[i]);
			if (n == 0)
				printf("no private keys in the token\n");
		}
	}
out:
	gp_p11_key_info_free(info);
	gp_p11_key_info_list_free(list, n);
	if (pin != NULL)
		gp_pass_free(pin, pinlen);
	return r;
}

/* ---------------------------------------------------------------- ceremony */

/* The SHA-256 fingerprint of CA name as AA:BB:..., and its PEM. */
static int
ca_fingerprint(gp_ctx *ctx, const char *name, char fp[96], char **pem, size_t *pemlen)
{
	gp_ca_info *info = NULL;
	X509 *x = NULL;
	unsigned char md[32];
	int r, i;

	if ((r = gp_store_ca_get(gp_ctx_store(ctx), name, &info)) != 0 ||
	    (r = gp_cert_parse(&x, info->cert_der, info->cert_len)) != 0 ||
	    (r = gp_x509_fingerprint(x, md)) != 0)
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(fp + 3 * i, 4, "%02X%s", md[i], i < 31 ? ":" : "");
	if (ct_cert_pem(pem, pemlen, x) != 0)
		r = GP_E_NOMEM;
out:
	X509_free(x);
	gp_ca_info_free(info);
	return r;
}

static int
ceremony_step(gp_ctx *ctx, const char *actor, const char *action, const char *object,
    const char *detail)
{
	int r = gp_audit_append(gp_ctx_store(ctx), actor, action, object, detail);

	if (r != 0)
		return cli_fail(r, "audit");
	return 0;
}

static int
ceremony_key(gp_ctx *ctx, const char *actor, const char *token, const char *label,
    gp_key_type kt, const char *pin, size_t pinlen, char **uri, int step)
{
	gp_p11_key_info *k = NULL;
	char detail[512];
	int r;

	*uri = NULL;
	printf("step %d: generating the %s key '%s' in %s\n", step, gp_key_type_name(kt), label, token);
	if ((r = gp_key_p11_generate(&k, token, label, kt, pin, pinlen)) != 0)
		return cli_fail(r, "ceremony: key generate");
	snprintf(detail, sizeof(detail), "type=%s id=%s CKA_SENSITIVE=%d CKA_EXTRACTABLE=%d "
	    "CKA_ALWAYS_SENSITIVE=%d CKA_NEVER_EXTRACTABLE=%d", gp_key_type_name(kt), k->id_hex,
	    k->sensitive, k->extractable, k->always_sensitive, k->never_extractable);
	printf("        %s\n        %s\n", k->uri, detail);
	if ((r = ceremony_step(ctx, actor, "ceremony.key-generate", k->uri, detail)) == 0 &&
	    (*uri = strdup(k->uri)) == NULL)
		r = EXIT_FAIL;
	gp_p11_key_info_free(k);
	return r;
}

/* out: the certificate's file, opened before the ceremony began (NULL:
 * none); written once the CA is committed. */
static int
ceremony_ca(gp_ctx *ctx, const char *actor, const char *name, const char *parent,
    const char *subject, const char *uri, long days, const char *pin, size_t pinlen,
    cli_out *out, int step)
{
	gp_ca_params p;
	char fp[96], detail[160], kept[256], *pem = NULL;
	size_t pemlen = 0;
	int r;

	printf("step %d: %s CA '%s' (%s) with key %s\n", step,
	    parent ? "certifying the issuing" : "self-signing the root", name, subject, uri);
	p = (gp_ca_params)GP_CA_PARAMS_INIT;
	p.name = name;
	p.parent = parent;
	p.subject = subject;
	p.key_uri = uri;
	p.days = (int)days;
	p.pass = pin;           /* an HSM key's passphrase is its PIN (last fallback) */
	p.passlen = pinlen;
	p.actor = actor;
	if ((r = gp_ca_create(ctx, &p)) != 0)
		return cli_fail(r, "ceremony: CA");
	if ((r = ca_fingerprint(ctx, name, fp, &pem, &pemlen)) != 0)
		return cli_fail(r, "ceremony: fingerprint");
	printf("        SHA-256 fingerprint of %s: %s\n", name, fp);
	snprintf(detail, sizeof(detail), "sha256=%s", fp);
	r = ceremony_step(ctx, actor, "ceremony.certificate", name, detail);
	if (r == 0 && out != NULL) {
		snprintf(kept, sizeof(kept), "CA %s is in the store: get its certificate with "
		    "'ca-tool export --ca %s'", name, name);
		if ((r = ct_out_commit(out, pem, pemlen, kept)) == 0)
			printf("        certificate written to %s\n", out->path);
	}
	free(pem);
	return r;
}

static int
cmd_ceremony(opts *o, int argc, char **argv)
{
	kopts k;
	gp_ctx *ctx = NULL;
	char *pin = NULL, *root_uri = NULL, *iss_uri = NULL, detail[512], hex[65];
	char path[2][4096];
	cli_out outs[2];
	size_t pinlen = 0;
	gp_key_type kt;
	const char *actor;
	unsigned char last[32];
	int64_t seq = 0, bad = 0, rows = 0;
	int r;

	memset(outs, 0, sizeof(outs));
	if ((r = kparse(&k, o, argc, argv, usage_ceremony)) != 0)
		return r < 0 ? 0 : r;
	if (k.nargs != 0)
		return cli_usage_error("ceremony: unexpected argument '%s'", k.args[0]);
	if (k.token == NULL || k.type == NULL || k.root_name == NULL || k.root_subject == NULL ||
	    k.root_label == NULL || k.iss_name == NULL || k.iss_subject == NULL || k.iss_label == NULL)
		return cli_usage_error("ceremony needs --token, --type, --root-name, --root-subject, "
		    "--root-label, --issuing-name, --issuing-subject and --issuing-label");
	if (gp_key_type_from_name(&kt, k.type) != 0)
		return cli_usage_error("unknown key type '%s'", k.type);
	actor = k.actor ? k.actor : "ceremony";
	if ((r = read_pin(&pin, &pinlen, k.pin_file)) != 0)
		return r;
	/* the certificates' files can be written, or the ceremony does not begin */
	if (k.out_dir != NULL) {
		snprintf(path[0], sizeof(path[0]), "%s/%s.pem", k.out_dir, k.root_name);
		snprintf(path[1], sizeof(path[1]), "%s/%s.pem", k.out_dir, k.iss_name);
		if ((r = ct_out_open(&outs[0], path[0])) != 0 || (r = ct_out_open(&outs[1], path[1])) != 0)
			goto out;
	}
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "root=%s issuing=%s type=%s token=%s issuing_token=%s",
	    k.root_name, k.iss_name, k.type, k.token, k.iss_token ? k.iss_token : k.token);
	printf("key ceremony: %s\n", detail);
	if ((r = ceremony_step(ctx, actor, "ceremony.begin", k.root_name, detail)) != 0 ||
	    (r = ceremony_key(ctx, actor, k.token, k.root_label, kt, pin, pinlen, &root_uri, 1)) != 0 ||
	    (r = ceremony_ca(ctx, actor, k.root_name, NULL, k.root_subject, root_uri,
	    k.root_days, pin, pinlen, k.out_dir ? &outs[0] : NULL, 2)) != 0 ||
	    (r = ceremony_key(ctx, actor, k.iss_token ? k.iss_token : k.token, k.iss_label, kt,
	    pin, pinlen, &iss_uri, 3)) != 0 ||
	    (r = ceremony_ca(ctx, actor, k.iss_name, k.root_name, k.iss_subject, iss_uri,
	    k.iss_days, pin, pinlen, k.out_dir ? &outs[1] : NULL, 4)) != 0 ||
	    (r = ceremony_step(ctx, actor, "ceremony.end", k.root_name, "root and issuing CA created")) != 0)
		goto out;
	if ((r = gp_audit_verify(&bad, &rows, gp_ctx_store(ctx))) != 0 ||
	    (r = gp_store_audit_last(gp_ctx_store(ctx), &seq, last)) != 0) {
		r = cli_fail(r, "ceremony: audit");
		goto out;
	}
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", last[i]);
	printf("step 5: audit chain verified: %lld entries; the last is #%lld with hash\n"
	    "        %s\n        (witnesses: write down both fingerprints and this hash)\n",
	    (long long)rows, (long long)seq, hex);
	r = 0;
out:
	cli_out_abort(&outs[0]);    /* a no-op after their commit */
	cli_out_abort(&outs[1]);
	free(root_uri);
	free(iss_uri);
	if (pin != NULL)
		gp_pass_free(pin, pinlen);
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- backup */

/* The backup passphrase: --pass-file, GOVPKI_BACKUP_PASSPHRASE, a prompt. */
static int
backup_pass(char **pass, size_t *len, const char *file, int twice)
{
	const char *env;
	char *again = NULL;
	size_t alen = 0;
	int r;

	*pass = NULL;
	*len = 0;
	if (file != NULL)
		return (r = gp_pass_get(pass, len, file, NULL)) != 0 ? cli_fail(r, "backup passphrase") : 0;
	if ((env = getenv("GOVPKI_BACKUP_PASSPHRASE")) != NULL && *env != '\0') {
		if ((*pass = strdup(env)) == NULL)
			return EXIT_FAIL;
		*len = strlen(env);
		return 0;
	}
	if (!isatty(0)) {
		fprintf(stderr, "%s: no backup passphrase: use --pass-file or "
		    "GOVPKI_BACKUP_PASSPHRASE\n", cli_prog);
		return EXIT_PASS;
	}
	/* the CA passphrase variable must not answer for the backup's */
	unsetenv("GOVPKI_PASSPHRASE");
	if ((r = gp_pass_get(pass, len, NULL, "Backup passphrase: ")) != 0)
		return cli_fail(r, "backup passphrase");
	if (twice) {
		if ((r = gp_pass_get(&again, &alen, NULL, "Again: ")) != 0)
			return cli_fail(r, "backup passphrase");
		r = alen != *len || CRYPTO_memcmp(again, *pass, alen) != 0;
		gp_pass_free(again, alen);
		if (r) {
			gp_pass_free(*pass, *len);
			*pass = NULL;
			fprintf(stderr, "%s: the passphrases differ\n", cli_prog);
			return EXIT_PASS;
		}
	}
	return 0;
}

static json_t *
info_json(const gp_backup_info *bi, const char *file)
{
	char hex[65];
	json_error_t je;

	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", bi->sha256[i]);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "file", file, "sha256", hex,
	    "files", (json_int_t)bi->nfiles, "bytes", (json_int_t)bi->bytes,
	    "created", (json_int_t)bi->created, "audit_seq", (json_int_t)bi->audit_seq,
	    "manifest", json_loads(bi->manifest, 0, &je));
}

static void
info_print(const char *what, const gp_backup_info *bi, const char *file)
{
	char iso[32];

	ct_iso_time(iso, bi->created);
	printf("%s %s: %zu files, %llu bytes, taken %s, last audit entry #%lld\n  sha256 ",
	    what, file, bi->nfiles, (unsigned long long)bi->bytes, iso, (long long)bi->audit_seq);
	for (int i = 0; i < 32; i++)
		printf("%02x", bi->sha256[i]);
	printf("\n");
}

static int
cmd_backup(opts *o, int argc, char **argv)
{
	kopts k;
	gp_ctx *ctx = NULL;
	gp_backup_info *bi = NULL;
	gp_backup_params p = GP_BACKUP_PARAMS_INIT;
	char *pass = NULL;
	size_t passlen = 0;
	int verify, r;

	if ((r = kparse(&k, o, argc, argv, usage_backup)) != 0)
		return r < 0 ? 0 : r;
	verify = k.nargs > 0 && strcmp(k.args[0], "verify") == 0;
	if (verify ? k.nargs != 2 : k.nargs != 0)
		return cli_usage_error("say 'backup --out FILE' or 'backup verify FILE'");
	if (!verify && k.out == NULL)
		return cli_usage_error("backup needs --out FILE");
	if ((r = backup_pass(&pass, &passlen, k.pass_file, !verify)) != 0)
		return r;
	if (verify) {
		if ((r = gp_backup_verify(&bi, k.args[1], pass, passlen)) != 0) {
			r = cli_fail(r, "backup verify");
			goto out;
		}
		r = o->json ? ct_print_json(info_json(bi, k.args[1])) :
		    (info_print("verified", bi, k.args[1]), 0);
		goto out;
	}
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		goto out;
	p.home = gp_ctx_home(ctx);
	p.keys_dir = gp_config_str(gp_ctx_config(ctx), "govpki", "keys", "keys");
	p.pass = pass;
	p.passlen = passlen;
	p.actor = k.actor;
	p.scrypt_log2n = (int)k.scrypt;
	p.config = o->config;
	if ((r = gp_backup_create(&bi, gp_ctx_store(ctx), k.out, &p)) != 0) {
		r = cli_fail(r, "backup");
		goto out;
	}
	r = o->json ? ct_print_json(info_json(bi, k.out)) : (info_print("backup", bi, k.out), 0);
out:
	gp_backup_info_free(bi);
	gp_ctx_free(ctx);
	if (pass != NULL)
		gp_pass_free(pass, passlen);
	return r;
}

static int
cmd_restore(opts *o, int argc, char **argv)
{
	kopts k;
	gp_backup_info *bi = NULL;
	char *pass = NULL;
	size_t passlen = 0;
	int r;

	if ((r = kparse(&k, o, argc, argv, usage_restore)) != 0)
		return r < 0 ? 0 : r;
	if (k.nargs != 1 || k.to == NULL)
		return cli_usage_error("say 'restore FILE --to DIR'");
	if ((r = backup_pass(&pass, &passlen, k.pass_file, 0)) != 0)
		return r;
	if ((r = gp_backup_restore(&bi, k.args[0], k.to, pass, passlen, k.actor)) != 0) {
		r = cli_fail(r, "restore");
		goto out;
	}
	if (o->json)
		r = ct_print_json(info_json(bi, k.args[0]));
	else {
		char cnf[4096];

		info_print("restored", bi, k.args[0]);
		snprintf(cnf, sizeof(cnf), "%s/govpki.cnf", k.to);
		if (access(cnf, F_OK) == 0)
			printf("  into %s (use --home %s --config %s; HSM keys must be reachable "
			    "as before)\n", k.to, k.to, cnf);
		else
			printf("  into %s (use --home %s; HSM keys must be reachable as before)\n",
			    k.to, k.to);
	}
out:
	gp_backup_info_free(bi);
	if (pass != NULL)
		gp_pass_free(pass, passlen);
	return r;
}

const command ca_tool_key_commands[] = {
	{ "key", cmd_key, NULL, usage_key, 1 },
	{ "ceremony", cmd_ceremony, NULL, usage_ceremony, 1 },
	{ "backup", cmd_backup, NULL, usage_backup, 1 },
	{ "restore", cmd_restore, NULL, usage_restore, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
