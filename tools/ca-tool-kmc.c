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
	"kmc issue-dual --ca NAME --csr FILE --sign-out FILE --enc-out FILE --envelope-out FILE\n"
	"           [--sign-profile P] [--enc-profile P] [--enc-type T] [--subject S] [--days N]\n"
	"           [--pass-file F] [--ca-pass-file F] [--actor NAME]\n"
	"kmc revoke-pair --ca NAME --serial HEX [--reason R] [--actor NAME]\n"
	"kmc officer add --name NAME --cert CERT [--actor NAME] | officer list\n"
	"kmc recover-request (--kid KID | --ca NAME --serial HEX) --recipient CERT --requester NAME\n"
	"           [--reason TEXT]\n"
	"kmc recover-approve --id N --officer NAME --officer-key KEY [--officer-pass-file F]\n"
	"kmc recover-show --id N\n"
	"kmc recover --id N --out FILE [--pass-file F] [--actor NAME]\n"
	"kmc open --in ENVELOPE --key KEY [--key-pass-file F] [--cert CERT] --out FILE\n"
	"           [--out-pass-file F]\n"
	"  The key management centre (docs/kmc.md). init makes its storage key\n"
	"  (KEYS/kmc-storage.key, sealed under the passphrase of --pass-file, else\n"
	"  GOVPKI_PASSPHRASE, else a prompt); genkey generates an encryption key pair\n"
	"  (default sm2) and escrows it under the storage key, printing its key id and\n"
	"  public key; list shows the escrowed keys (no private key, no passphrase); check\n"
	"  unseals every escrowed key and checks it against its record. issue-dual issues a\n"
	"  signing certificate for the CSR's key and an encryption certificate for a key the\n"
	"  KMC generates and escrows, and writes that key enveloped to the signing key\n"
	"  (--pass-file: the storage key's; --ca-pass-file: the CA key's, default the same).\n"
	"  revoke-pair revokes both certificates of a pair. open (the holder's side) opens\n"
	"  an envelope with the recipient's key and writes the key inside, encrypted under\n"
	"  --out-pass-file. Recovery: officers of role recovery-officer are registered with\n"
	"  their certificates; a request names the key and the recipient certificate;\n"
	"  [kmc] recovery_approvals (default 2) officers approve it, each signing it with\n"
	"  their key; recover then writes the key enveloped to the recipient, once.";

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

/* Reads a file (at most 1 MiB) or prints why. */
static int
read_in(unsigned char **buf, size_t *len, const char *path)
{
	return ct_read_file(buf, len, path, 1024 * 1024);
}

static int
kmc_issue_dual(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'c' }, { "csr", required_argument, NULL, 'r' },
		{ "sign-out", required_argument, NULL, 'S' }, { "enc-out", required_argument, NULL, 'E' },
		{ "envelope-out", required_argument, NULL, 'V' },
		{ "sign-profile", required_argument, NULL, 's' }, { "enc-profile", required_argument, NULL, 'e' },
		{ "enc-type", required_argument, NULL, 't' }, { "subject", required_argument, NULL, 'j' },
		{ "days", required_argument, NULL, 'd' }, { "pass-file", required_argument, NULL, 'p' },
		{ "ca-pass-file", required_argument, NULL, 'P' }, { "actor", required_argument, NULL, 'a' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	gp_kmc_dual_req req = GP_KMC_DUAL_REQ_INIT;
	const char *ca_name = NULL, *csr = NULL, *sign_out = NULL, *enc_out = NULL, *env_out = NULL;
	const char *pass_file = o->pass_file, *ca_pass_file = NULL;
	cli_out so = { 0 }, eo = { 0 }, vo = { 0 };
	gp_kmc_dual *d = NULL;
	gp_kmc *kmc = NULL;
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	unsigned char *buf = NULL;
	size_t len = 0, spemlen = 0, epemlen = 0;
	char *pass = NULL, *spem = NULL, *epem = NULL, sser[41], eser[41];
	size_t passlen = 0;
	long days = 0;
	int c, r;

	req.actor = "ca-tool";
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': ca_name = optarg; break;
		case 'r': csr = optarg; break;
		case 'S': sign_out = optarg; break;
		case 'E': enc_out = optarg; break;
		case 'V': env_out = optarg; break;
		case 's': req.sign_profile = optarg; break;
		case 'e': req.enc_profile = optarg; break;
		case 't': req.enc_type = optarg; break;
		case 'j': req.subject = optarg; break;
		case 'd':
			if ((r = ct_parse_long(&days, optarg, "--days", 1, 36500)) != 0)
				return r;
			break;
		case 'p': pass_file = optarg; break;
		case 'P': ca_pass_file = optarg; break;
		case 'a': req.actor = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc issue-dual", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc issue-dual: unexpected argument '%s'", argv[optind]);
	if (ca_name == NULL || csr == NULL || sign_out == NULL || enc_out == NULL || env_out == NULL)
		return cli_usage_error("kmc issue-dual needs --ca, --csr, --sign-out, --enc-out "
		    "and --envelope-out");
	req.days = (int)days;
	if ((r = read_in(&buf, &len, csr)) != 0)
		return r;
	req.csr = buf;
	req.csr_len = len;
	if ((r = ct_kmc_open(&kmc, &ctx, o, pass_file)) != 0)
		goto out;
	if (gp_ctx_signer0(ctx) == NULL &&
	    (r = ct_read_pass(&pass, &passlen, ca_pass_file ? ca_pass_file : pass_file,
	    "Passphrase of the CA key: ")) != 0)
		goto out;
	if ((r = gp_ca_open(&ca, ctx, ca_name, pass, passlen)) != 0) {
		r = cli_fail(r, "kmc issue-dual");
		goto out;
	}
	if ((r = ct_out_open(&so, sign_out)) != 0 || (r = ct_out_open(&eo, enc_out)) != 0 ||
	    (r = ct_out_open(&vo, env_out)) != 0)
		goto out;
	if ((r = gp_kmc_issue_dual(&d, kmc, ca, &req)) != 0) {
		r = cli_fail(r, "kmc issue-dual");
		goto out;
	}
	ct_serial_hex(sser, (const unsigned char *)ASN1_STRING_get0_data(X509_get0_serialNumber(d->sign_cert)),
	    (size_t)ASN1_STRING_length(X509_get0_serialNumber(d->sign_cert)));
	ct_serial_hex(eser, (const unsigned char *)ASN1_STRING_get0_data(X509_get0_serialNumber(d->enc_cert)),
	    (size_t)ASN1_STRING_length(X509_get0_serialNumber(d->enc_cert)));
	if ((r = ct_cert_pem(&spem, &spemlen, d->sign_cert)) != 0 ||
	    (r = ct_cert_pem(&epem, &epemlen, d->enc_cert)) != 0 ||
	    (r = ct_out_commit(&so, spem, spemlen, "the pair is in the store (kmc list)")) != 0 ||
	    (r = ct_out_commit(&eo, epem, epemlen, "the pair is in the store (kmc list)")) != 0 ||
	    (r = ct_out_commit(&vo, d->envelope, d->envelope_len,
	    "the pair is in the store; its key can be recovered")) != 0)
		goto out;
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:s, s:s, s:s}", "kid", d->kid, "signing_serial", sser,
		    "encryption_serial", eser, "envelope", d->envelope_format == GP_KMC_ENVELOPE_SM2 ?
		    "sm2" : "cms"));
	else
		printf("kid: %s\nsigning serial: %s\nencryption serial: %s\nenvelope: %s\n", d->kid,
		    sser, eser, d->envelope_format == GP_KMC_ENVELOPE_SM2 ? "SM2EnvelopedKey (GM/T 0009)" :
		    "CMS EnvelopedData");
out:
	cli_out_abort(&so);
	cli_out_abort(&eo);
	cli_out_abort(&vo);
	free(spem);
	free(epem);
	gp_pass_free(pass, passlen);
	gp_kmc_dual_free(d);
	gp_ca_free(ca);
	gp_kmc_free(kmc);
	gp_ctx_free(ctx);
	free(buf);
	return r;
}

static int
kmc_revoke_pair(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'c' }, { "serial", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' }, { "actor", required_argument, NULL, 'a' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *ca_name = NULL, *serial_hex = NULL, *reason_name = "unspecified", *actor = "ca-tool";
	unsigned char serial[GP_SERIAL_MAX];
	size_t serial_len = 0;
	gp_ctx *ctx = NULL;
	int c, r, reason;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': ca_name = optarg; break;
		case 's': serial_hex = optarg; break;
		case 'r': reason_name = optarg; break;
		case 'a': actor = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc revoke-pair", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc revoke-pair: unexpected argument '%s'", argv[optind]);
	if (ca_name == NULL || serial_hex == NULL)
		return cli_usage_error("kmc revoke-pair needs --ca and --serial");
	if (gp_reason_from_name(&reason, reason_name) != 0 || reason == GP_REASON_REMOVE_FROM_CRL ||
	    reason == GP_REASON_CERTIFICATE_HOLD)
		return cli_usage_error("kmc revoke-pair: --reason '%s' is not a revocation reason", reason_name);
	if ((r = ct_parse_serial(serial, &serial_len, serial_hex)) != 0)
		return r;
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_kmc_revoke_pair(ctx, ca_name, serial, serial_len, reason, actor)) != 0)
		r = cli_fail(r, "kmc revoke-pair");
	else if (o->json)
		r = ct_print_json(json_pack("{s:s}", "status", "revoked"));
	else
		fprintf(stderr, "both certificates of the pair revoked\n");
	gp_ctx_free(ctx);
	return r;
}

static int
kmc_open(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "in", required_argument, NULL, 'i' }, { "key", required_argument, NULL, 'k' },
		{ "key-pass-file", required_argument, NULL, 'p' }, { "cert", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' }, { "out-pass-file", required_argument, NULL, 'P' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *in = NULL, *key = NULL, *key_pass = NULL, *cert = NULL, *outp = NULL, *out_pass = NULL;
	unsigned char *env = NULL, *cbuf = NULL;
	size_t envlen = 0, clen = 0, passlen = 0, opasslen = 0;
	char *pass = NULL, *opass = NULL;
	EVP_PKEY *rkey = NULL, *got = NULL;
	X509 *rcert = NULL;
	int c, r, format = 0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': in = optarg; break;
		case 'k': key = optarg; break;
		case 'p': key_pass = optarg; break;
		case 'c': cert = optarg; break;
		case 'o': outp = optarg; break;
		case 'P': out_pass = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc open", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc open: unexpected argument '%s'", argv[optind]);
	if (in == NULL || key == NULL || outp == NULL)
		return cli_usage_error("kmc open needs --in, --key and --out");
	if ((r = read_in(&env, &envlen, in)) != 0)
		goto out;
	if (cert != NULL) {
		if ((r = read_in(&cbuf, &clen, cert)) != 0)
			goto out;
		if ((r = gp_cert_parse(&rcert, cbuf, clen)) != 0) {
			r = cli_fail(r, "kmc open: --cert");
			goto out;
		}
	}
	if ((r = ct_read_pass(&pass, &passlen, key_pass, "Passphrase of the recipient's key: ")) != 0)
		goto out;
	if ((r = gp_key_load(&rkey, key, pass, passlen)) != 0) {
		r = cli_fail(r, "kmc open: --key");
		goto out;
	}
	if ((r = gp_kmc_envelope_open(&got, &format, env, envlen, rkey, rcert)) != 0) {
		r = cli_fail(r, "kmc open");
		goto out;
	}
	if ((r = gp_pass_get_new(&opass, &opasslen, out_pass, "Passphrase for the opened key: ")) != 0) {
		r = cli_fail(r, "kmc open: passphrase");
		goto out;
	}
	if ((r = gp_key_save(outp, got, opass, opasslen)) != 0) {
		r = cli_fail(r, "kmc open: --out");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:s}", "format", format == GP_KMC_ENVELOPE_SM2 ? "sm2" : "cms"));
	else
		fprintf(stderr, "opened the %s envelope: the key is in %s\n",
		    format == GP_KMC_ENVELOPE_SM2 ? "SM2EnvelopedKey" : "CMS EnvelopedData", outp);
out:
	gp_pass_free(pass, passlen);
	gp_pass_free(opass, opasslen);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(got);
	X509_free(rcert);
	free(env);
	free(cbuf);
	return r;
}

static int
parse_id(int64_t *id, const char *s)
{
	long v = 0;
	int r = ct_parse_long(&v, s, "--id", 1, 0x7fffffffL);

	*id = v;
	return r;
}

static int
read_cert(X509 **x, const char *path, const char *what)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	*x = NULL;
	if ((r = read_in(&buf, &len, path)) != 0)
		return r;
	if ((r = gp_cert_parse(x, buf, len)) != 0)
		r = cli_fail(r, what);
	free(buf);
	return r;
}

static int
officer_cb(void *arg, const gp_kmc_officer *ko)
{
	json_t *arr = arg;
	char created[32], fp[65];

	ct_iso_time(created, ko->created);
	for (int i = 0; i < 32; i++)
		snprintf(fp + 2 * i, 3, "%02x", ko->fingerprint[i]);
	if (arr != NULL)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b, s:s}", "name", ko->name,
		    "role", ko->role, "fingerprint", fp, "enabled", ko->enabled, "created", created));
	else
		printf("%-20s %s %s %s\n", ko->name, ko->role, ko->enabled ? "enabled " : "disabled", fp);
	return 0;
}

static int
kmc_officer(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' }, { "cert", required_argument, NULL, 'c' },
		{ "actor", required_argument, NULL, 'a' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *name = NULL, *cert = NULL, *actor = "ca-tool", *sub = argc > 1 ? argv[1] : "";
	gp_ctx *ctx = NULL;
	json_t *arr = NULL;
	X509 *x = NULL;
	int c, r, add = strcmp(sub, "add") == 0;

	if (!add && strcmp(sub, "list") != 0)
		return cli_usage_error("kmc officer: add or list");
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'c': cert = optarg; break;
		case 'a': actor = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc officer", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc officer: unexpected argument '%s'", argv[optind]);
	if (add && (name == NULL || cert == NULL))
		return cli_usage_error("kmc officer add needs --name and --cert");
	if (add && (r = read_cert(&x, cert, "kmc officer add: --cert")) != 0)
		return r;
	if ((r = ct_open_ctx(&ctx, o, !add)) != 0)
		goto out;
	if (add) {
		if ((r = gp_kmc_officer_add(ctx, name, x, actor)) != 0)
			r = cli_fail(r, "kmc officer add");
		else if (o->json)
			r = ct_print_json(json_pack("{s:s, s:s}", "name", name, "role", GP_KMC_ROLE_RECOVERY));
		else
			fprintf(stderr, "recovery officer %s registered\n", name);
		goto out;
	}
	if (o->json)
		arr = json_array();
	if ((r = gp_kmc_officer_list(ctx, officer_cb, arr)) != 0) {
		json_decref(arr);
		r = cli_fail(r, "kmc officer list");
		goto out;
	}
	r = o->json ? ct_print_json(arr) : 0;
out:
	X509_free(x);
	gp_ctx_free(ctx);
	return r;
}

static int
kmc_recover_request(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "kid", required_argument, NULL, 'k' }, { "ca", required_argument, NULL, 'c' },
		{ "serial", required_argument, NULL, 's' }, { "recipient", required_argument, NULL, 'R' },
		{ "requester", required_argument, NULL, 'q' }, { "reason", required_argument, NULL, 'r' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *kid = NULL, *ca_name = NULL, *serial_hex = NULL, *recipient = NULL;
	const char *requester = NULL, *reason = NULL;
	unsigned char serial[GP_SERIAL_MAX];
	size_t serial_len = 0;
	gp_kmc_key_info *found = NULL;
	gp_ctx *ctx = NULL;
	X509 *x = NULL;
	int64_t id = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'k': kid = optarg; break;
		case 'c': ca_name = optarg; break;
		case 's': serial_hex = optarg; break;
		case 'R': recipient = optarg; break;
		case 'q': requester = optarg; break;
		case 'r': reason = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc recover-request", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc recover-request: unexpected argument '%s'", argv[optind]);
	if ((kid == NULL) == (serial_hex == NULL) || (serial_hex != NULL && ca_name == NULL) ||
	    recipient == NULL || requester == NULL)
		return cli_usage_error("kmc recover-request needs --kid or --ca and --serial, "
		    "--recipient and --requester");
	if (serial_hex != NULL && (r = ct_parse_serial(serial, &serial_len, serial_hex)) != 0)
		return r;
	if ((r = read_cert(&x, recipient, "kmc recover-request: --recipient")) != 0)
		return r;
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		goto out;
	if (kid == NULL && (r = gp_kmc_find_cert(&found, ctx, ca_name, serial, serial_len)) != 0) {
		r = cli_fail(r, "kmc recover-request");
		goto out;
	}
	if ((r = gp_kmc_recovery_request(&id, ctx, kid ? kid : found->kid, x, requester, reason)) != 0) {
		r = cli_fail(r, "kmc recover-request");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:I}", "id", (json_int_t)id));
	else
		printf("recovery request %lld\n", (long long)id);
out:
	gp_kmc_key_info_free(found);
	X509_free(x);
	gp_ctx_free(ctx);
	return r;
}

static int
kmc_recover_approve(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' }, { "officer", required_argument, NULL, 'O' },
		{ "officer-key", required_argument, NULL, 'k' },
		{ "officer-pass-file", required_argument, NULL, 'p' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *officer = NULL, *key = NULL, *pass_file = NULL;
	gp_kmc_recovery *rec = NULL;
	unsigned char *st = NULL, *sig = NULL;
	size_t stlen = 0, siglen = 0, passlen = 0;
	EVP_PKEY *pkey = NULL;
	gp_ctx *ctx = NULL;
	char *pass = NULL;
	int64_t id = 0;
	int c, r, count = 0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if ((r = parse_id(&id, optarg)) != 0)
				return r;
			break;
		case 'O': officer = optarg; break;
		case 'k': key = optarg; break;
		case 'p': pass_file = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc recover-approve", kmc_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("kmc recover-approve: unexpected argument '%s'", argv[optind]);
	if (id == 0 || officer == NULL || key == NULL)
		return cli_usage_error("kmc recover-approve needs --id, --officer and --officer-key");
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_kmc_recovery_get(&rec, ctx, id)) != 0) {
		r = cli_fail(r, "kmc recover-approve");
		goto out;
	}
	if ((r = ct_read_pass(&pass, &passlen, pass_file, "Passphrase of the officer's key: ")) != 0)
		goto out;
	if ((r = gp_key_load(&pkey, key, pass, passlen)) != 0) {
		r = cli_fail(r, "kmc recover-approve: --officer-key");
		goto out;
	}
	/* the officer signs what it approves: the request's statement */
	if ((r = gp_kmc_recovery_statement(&st, &stlen, rec)) != 0 ||
	    (r = gp_sign_data(&sig, &siglen, pkey, st, stlen)) != 0) {
		r = cli_fail(r, "kmc recover-approve");
		goto out;
	}
	if ((r = gp_kmc_recovery_approve(&count, ctx, id, officer, sig, siglen, officer)) != 0) {
		r = cli_fail(r, "kmc recover-approve");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:I, s:i, s:i}", "id", (json_int_t)id, "approvals", count,
		    "needed", rec->needed));
	else
		printf("recovery request %lld: %d of %d approvals\n", (long long)id, count, rec->needed);
out:
	gp_pass_free(pass, passlen);
	EVP_PKEY_free(pkey);
	gp_free(st);
	gp_free(sig);
	gp_kmc_recovery_free(rec);
	gp_ctx_free(ctx);
	return r;
}

static int
kmc_recover_show(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	gp_kmc_recovery *rec = NULL;
	gp_ctx *ctx = NULL;
	int64_t id = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if ((r = parse_id(&id, optarg)) != 0)
				return r;
			break;
		default: return cli_help_or_bad_option(c, "kmc recover-show", kmc_usage, argv);
		}
	}
	if (optind != argc || id == 0)
		return cli_usage_error("kmc recover-show needs --id");
	if ((r = ct_open_ctx(&ctx, o, 1)) != 0)
		return r;
	if ((r = gp_kmc_recovery_get(&rec, ctx, id)) != 0)
		r = cli_fail(r, "kmc recover-show");
	else if (o->json)
		r = ct_print_json(json_pack("{s:I, s:s, s:s, s:i, s:i, s:s}", "id", (json_int_t)rec->id,
		    "kid", rec->kid, "requester", rec->requester, "approvals", rec->approvals,
		    "needed", rec->needed, "status", rec->status == GP_KMC_RECOVERY_DONE ? "done" : "pending"));
	else
		printf("recovery request %lld: key %s for %s, %d of %d approvals, %s\n", (long long)rec->id,
		    rec->kid, rec->requester, rec->approvals, rec->needed,
		    rec->status == GP_KMC_RECOVERY_DONE ? "done" : "pending");
	gp_kmc_recovery_free(rec);
	gp_ctx_free(ctx);
	return r;
}

static int
kmc_recover(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' }, { "out", required_argument, NULL, 'o' },
		{ "pass-file", required_argument, NULL, 'p' }, { "actor", required_argument, NULL, 'a' },
		CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *outp = NULL, *pass_file = o->pass_file, *actor = "ca-tool";
	unsigned char *env = NULL;
	size_t envlen = 0;
	cli_out out = { 0 };
	gp_kmc *kmc = NULL;
	gp_ctx *ctx = NULL;
	int64_t id = 0;
	int c, r, format = 0;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if ((r = parse_id(&id, optarg)) != 0)
				return r;
			break;
		case 'o': outp = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'a': actor = optarg; break;
		default: return cli_help_or_bad_option(c, "kmc recover", kmc_usage, argv);
		}
	}
	if (optind != argc || id == 0 || outp == NULL)
		return cli_usage_error("kmc recover needs --id and --out");
	if ((r = ct_kmc_open(&kmc, &ctx, o, pass_file)) != 0)
		return r;
	if ((r = ct_out_open(&out, outp)) != 0)
		goto out;
	if ((r = gp_kmc_recover(&env, &envlen, &format, kmc, id, actor)) != 0) {
		r = cli_fail(r, "kmc recover");
		goto out;
	}
	if ((r = ct_out_commit(&out, env, envlen, "the request is closed; ask for a new one")) != 0)
		goto out;
	if (o->json)
		r = ct_print_json(json_pack("{s:I, s:s}", "id", (json_int_t)id,
		    "envelope", format == GP_KMC_ENVELOPE_SM2 ? "sm2" : "cms"));
	else
		fprintf(stderr, "recovered: the key is in %s, enveloped to the recipient (%s)\n", outp,
		    format == GP_KMC_ENVELOPE_SM2 ? "SM2EnvelopedKey" : "CMS EnvelopedData");
out:
	cli_out_abort(&out);
	OPENSSL_free(env);
	gp_kmc_free(kmc);
	gp_ctx_free(ctx);
	return r;
}

static const subcommand kmc_subcommands[] = {
	{ "officer", kmc_officer },
	{ "recover-request", kmc_recover_request },
	{ "recover-approve", kmc_recover_approve },
	{ "recover-show", kmc_recover_show },
	{ "recover", kmc_recover },
	{ "issue-dual", kmc_issue_dual },
	{ "revoke-pair", kmc_revoke_pair },
	{ "open", kmc_open },
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
