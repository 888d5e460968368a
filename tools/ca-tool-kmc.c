/* tools/ca-tool-kmc.c: ca-tool's key management centre commands: kmc init, genkey, list */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include <govpki/kmc.h>

#include "ca-tool.h"
#include "cli.h"

static const char kmc_usage[] =
	"kmc init [--pass-file F] [--actor NAME]\n"
	"kmc genkey [--type sm2|ec-p256|ec-p384|rsa2048|rsa3072|rsa4096] [--holder SUBJECT]\n"
	"           [--pass-file F] [--actor NAME]\n"
	"kmc list\n"
	"kmc check [--pass-file F]\n"
	"  The key management centre (docs/kmc.md). init makes its storage key\n"
	"  (KEYS/kmc-storage.key, sealed under the passphrase of --pass-file, else\n"
	"  GOVPKI_PASSPHRASE, else a prompt); genkey generates an encryption key pair\n"
	"  (default sm2) and escrows it under the storage key, printing its key id and\n"
	"  public key; list shows the escrowed keys (no private key, no passphrase); check\n"
	"  unseals every escrowed key and checks it against its record.";

static int
kmc_init(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pass-file", required_argument, NULL, 'p' }, { "actor", required_argument, NULL, 'a' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *pass_file = o->pass_file, *actor = "ca-tool";
	gp_ctx *ctx = NULL;
	char *pass = NULL;
	size_t passlen = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'p': pass_file = optarg; break;
		case 'a': actor = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc init", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc init: unexpected argument '%s'", argv[optind]);
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_pass_get_new(&pass, &passlen, pass_file, "KMC storage key passphrase: ")) != 0) {
		r = cli_fail(r, "passphrase");
		goto out;
	}
	if ((r = gp_kmc_init(ctx, pass, passlen, actor)) != 0) {
		r = cli_fail(r, "kmc init");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:s}", "storage_key", GP_KMC_STORAGE_KEY_FILE));
	else
		fprintf(stderr, "KMC storage key made (%s in the keys folder); back it up with the home\n",
		    GP_KMC_STORAGE_KEY_FILE);
out:
	gp_pass_free(pass, passlen);
	gp_ctx_free(ctx);
	return r;
}

/* Opens ctx read-write and the KMC with the passphrase of pass_file. */
int
ct_kmc_open(gp_kmc **kmc, gp_ctx **ctx, const opts *o, const char *pass_file)
{
	char *pass = NULL;
	size_t passlen = 0;
	int r;

	*kmc = NULL;
	if ((r = ct_open_ctx(ctx, o, 0)) != 0)
		return r;
	if ((r = ct_read_pass(&pass, &passlen, pass_file, "KMC storage key passphrase: ")) != 0)
		goto out;
	if ((r = gp_kmc_open(kmc, *ctx, pass, passlen)) != 0)
		r = cli_fail(r, "kmc");
out:
	gp_pass_free(pass, passlen);
	if (r != 0) {
		gp_ctx_free(*ctx);
		*ctx = NULL;
	}
	return r;
}

/* The PEM of a DER SubjectPublicKeyInfo, or NULL. */
static char *
pub_pem(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;

	if (pk != NULL && b != NULL && PEM_write_bio_PUBKEY(b, pk) == 1 &&
	    (n = BIO_get_mem_data(b, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	EVP_PKEY_free(pk);
	BIO_free(b);
	return out;
}

static int
kmc_genkey(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "type", required_argument, NULL, 't' }, { "holder", required_argument, NULL, 'H' },
		{ "pass-file", required_argument, NULL, 'p' }, { "actor", required_argument, NULL, 'a' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *type_name = "sm2", *holder = NULL, *pass_file = o->pass_file, *actor = "ca-tool";
	gp_kmc_key_info *k = NULL;
	gp_key_type type;
	gp_kmc *kmc = NULL;
	gp_ctx *ctx = NULL;
	char *pem = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't': type_name = optarg; break;
		case 'H': holder = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'a': actor = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc genkey", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc genkey: unexpected argument '%s'", argv[optind]);
	if (gp_key_type_from_name(&type, type_name) != 0 || gp_kmc_type_ok(type) != 0)
		return cli_usage_error("kmc genkey: --type must be sm2, ec-p256, ec-p384, rsa2048, "
		    "rsa3072 or rsa4096, not '%s'", type_name);
	if ((r = ct_kmc_open(&kmc, &ctx, o, pass_file)) != 0)
		return r;
	if ((r = gp_kmc_genkey(&k, kmc, type, holder, actor)) != 0) {
		r = cli_fail(r, "kmc genkey");
		goto out;
	}
	if ((pem = pub_pem(k->pub, k->pub_len)) == NULL) {
		r = cli_fail(GP_E_CRYPTO, "kmc genkey");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:s, s:s}", "kid", k->kid, "type", k->type,
		    "public_key", pem));
	else {
		printf("kid: %s\ntype: %s\n%s", k->kid, k->type, pem);
		r = 0;
	}
out:
	free(pem);
	gp_kmc_key_info_free(k);
	gp_kmc_free(kmc);
	gp_ctx_free(ctx);
	return r;
}

struct list_ctx {
	json_t *arr;
};

static int
list_cb(void *arg, const gp_kmc_key_info *k)
{
	struct list_ctx *lc = arg;
	char created[32], serial[41] = "", sign[41] = "";

	ct_iso_time(created, k->created);
	if (k->serial_len > 0)
		ct_serial_hex(serial, k->serial, k->serial_len);
	if (k->sign_serial_len > 0)
		ct_serial_hex(sign, k->sign_serial, k->sign_serial_len);
	if (lc->arr != NULL)
		json_array_append_new(lc->arr, json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?}",
		    "kid", k->kid, "type", k->type, "created", created, "holder", k->holder,
		    "encryption_serial", k->serial_len ? serial : NULL,
		    "signing_serial", k->sign_serial_len ? sign : NULL));
	else
		printf("%s %-8s %s  enc=%s sign=%s  %s\n", k->kid, k->type, created,
		    k->serial_len ? serial : "-", k->sign_serial_len ? sign : "-",
		    k->holder ? k->holder : "");
	return 0;
}

static int
kmc_list(opts *o, int argc, char **argv)
{
	static const struct option lo[] = { CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	struct list_ctx lc = { NULL };
	gp_ctx *ctx = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		return cli_help_or_bad_option(c, "kmc list", kmc_usage, argv);
	if (optind != argc)
		return cli_usage_error("kmc list: unexpected argument '%s'", argv[optind]);
	if ((r = ct_open_ctx(&ctx, o, 1)) != 0)
		return r;
	if (o->json)
		lc.arr = json_array();
	if ((r = gp_kmc_list(ctx, list_cb, &lc)) != 0) {
		json_decref(lc.arr);
		r = cli_fail(r, "kmc list");
		goto out;
	}
	r = o->json ? ct_print_json(lc.arr) : 0;
out:
	gp_ctx_free(ctx);
	return r;
}

static int
kmc_check(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pass-file", required_argument, NULL, 'p' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *pass_file = o->pass_file;
	gp_kmc *kmc = NULL;
	gp_ctx *ctx = NULL;
	int64_t n = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'p': pass_file = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc check", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc check: unexpected argument '%s'", argv[optind]);
	if ((r = ct_kmc_open(&kmc, &ctx, o, pass_file)) != 0)
		return r;
	if ((r = gp_kmc_check(&n, kmc)) != 0) {
		r = cli_fail(r, "kmc check");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:I}", "keys", (json_int_t)n));
	else
		printf("%lld escrowed keys unseal and match their records\n", (long long)n);
out:
	gp_kmc_free(kmc);
	gp_ctx_free(ctx);
	return r;
}

static const subcommand kmc_subcommands[] = {
	{ "check", kmc_check },
	{ "init", kmc_init },
	{ "genkey", kmc_genkey },
	{ "list", kmc_list },
	{ NULL, NULL }
};

static int
cmd_kmc(opts *o, int argc, char **argv)
{
	return ct_run_subcommand(o, argc, argv, kmc_subcommands, kmc_usage);
}

const command ca_tool_kmc_commands[] = {
	{ "kmc", cmd_kmc, NULL, kmc_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
