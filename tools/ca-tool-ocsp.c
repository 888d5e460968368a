/* tools/ca-tool-ocsp.c: ca-tool's ocsp commands: ocsp presign (responses for key-less replicas), ocsp signer (a delegated responder per CA) */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include <govpki/key.h>
#include <govpki/ocsp.h>

#include "ca-tool.h"
#include "cli.h"

static const char ocsp_usage[] =
	"ocsp presign --ca NAME [--pass-file F] [--signer-cert FILE --signer-key FILE]\n"
	"  Signs a nonce-less OCSP response (SHA-1 and SHA-256 CertIDs) for every\n"
	"  certificate of CA NAME that has none in the store, changed status since its\n"
	"  response, or whose response is past half its validity, and writes them into\n"
	"  the store for `ocsp-responder --presigned` replicas (which hold no key).\n"
	"  With a delegated responder certificate and key, or the signer `ocsp signer`\n"
	"  installed for the CA, it signs instead of the CA (--pass-file: its key's).\n"
	"  [ocsp] next_update_seconds of --config sets the validity. Run it every minute\n"
	"  (cron): a revocation reaches replicas with the next run.\n"
	"ocsp signer --ca NAME [--days N] [--key-type T] [--pass-file F]\n"
	"            [--signer-pass-file F]\n"
	"  Makes a new key and has CA NAME issue it an ocsp-signer certificate\n"
	"  (id-kp-OCSPSigning, id-pkix-ocsp-nocheck; RFC 6960 4.2.2.2), valid N days\n"
	"  (default and at most the profile's, 90), and installs both as\n"
	"  HOME/ocsp/NAME.crt and NAME.key ([ocsp] delegate_dir), where\n"
	"  ocsp-responder finds them: it then signs CA NAME's responses with it and\n"
	"  never loads the CA's key.  Run it again to renew (new key, new\n"
	"  certificate); a running responder switches within refresh_seconds.\n"
	"  --pass-file: the CA key's passphrase; --signer-pass-file: the new key's\n"
	"  (else GOVPKI_SIGNER_PASSPHRASE, else a prompt); give the responder this\n"
	"  one, not the CA's.  --key-type: default the CA's.";

static int
ocsp_presign(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "signer-cert", required_argument, NULL, 's' },
		{ "signer-key", required_argument, NULL, 'k' },
		CLI_HELP_OPT,
		{ NULL, 0, NULL, 0 } };
	const char *ca = o->ca, *pass_file = o->pass_file;
	gp_ocsp_presign_stats st;
	gp_ocsp_settings set;
	gp_ocsp_params p;
	gp_ctx *ctx = NULL;
	char *pass = NULL;
	size_t passlen = 0;
	int c, r;

	p = (gp_ocsp_params)GP_OCSP_PARAMS_INIT;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': ca = optarg; break;
		case 'p': pass_file = optarg; break;
		case 's': p.signer_cert = optarg; break;
		case 'k': p.signer_key = optarg; break;
		default: return cli_help_or_bad_option(c, "ocsp presign", ocsp_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("ocsp presign: unexpected argument '%s'", argv[optind]);
	if (ca == NULL)
		return cli_usage_error("ocsp presign needs --ca");
	if ((p.signer_cert == NULL) != (p.signer_key == NULL))
		return cli_usage_error("ocsp presign: --signer-cert and --signer-key go together");
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_ocsp_settings_load(&set, gp_ctx_config(ctx))) != 0) {
		r = cli_fail(r, "ocsp presign");
		goto out;
	}
	/* [signer] socket: the CA key is ca-signer's (presign), no passphrase
	 * unless a delegated signer's key is given */
	if ((gp_ctx_signer0(ctx) == NULL || p.signer_key != NULL) &&
	    (r = ct_read_pass(&pass, &passlen, pass_file, "Passphrase of the signing key: ")) != 0)
		goto out;
	p.settings = &set;
	p.pass = pass;
	p.passlen = passlen;
	if ((r = gp_ocsp_presign(&st, ctx, ca, &p, 0)) != 0) {
		r = cli_fail(r, "ocsp presign");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "ca", ca,
		    "certificates", (json_int_t)st.certs, "signed", (json_int_t)st.signed_certs,
		    "missing", (json_int_t)st.missing, "changed", (json_int_t)st.changed,
		    "old", (json_int_t)st.old));
	else
		fprintf(stderr, "ocsp presign: CA %s: %llu certificates, %llu signed (%llu new, "
		    "%llu changed status, %llu past half their validity)\n", ca,
		    (unsigned long long)st.certs, (unsigned long long)st.signed_certs,
		    (unsigned long long)st.missing, (unsigned long long)st.changed,
		    (unsigned long long)st.old);
out:
	gp_pass_free(pass, passlen);
	gp_ctx_free(ctx);
	return r;
}

static int
ocsp_signer(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "signer-pass-file", required_argument, NULL, 'P' },
		{ "days", required_argument, NULL, 'd' },
		{ "key-type", required_argument, NULL, 't' },
		CLI_HELP_OPT,
		{ NULL, 0, NULL, 0 } };
	const char *ca_name = o->ca, *pass_file = o->pass_file, *spass_file = NULL;
	gp_ocsp_delegate_params dp = GP_OCSP_DELEGATE_PARAMS_INIT;
	gp_key_type kt;
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	X509 *cert = NULL;
	char *pass = NULL, *spass = NULL, *cpath = NULL, *kpath = NULL, *end;
	char serial[2 * 20 + 1] = "";
	size_t passlen = 0, spasslen = 0;
	long days;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': ca_name = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'P': spass_file = optarg; break;
		case 'd':
			days = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || days < 1 || days > 36500)
				return cli_usage_error("ocsp signer: --days is a number of days "
				    "from 1, not '%s'", optarg);
			dp.days = (int)days;
			break;
		case 't':
			if (gp_key_type_from_name(&kt, optarg) != 0)
				return cli_usage_error("ocsp signer: unknown --key-type '%s' (rsa2048, "
				    "rsa3072, rsa4096, ec-p256, ec-p384, ed25519, sm2)", optarg);
			dp.key_type = (int)kt;
			break;
		default: return cli_help_or_bad_option(c, "ocsp signer", ocsp_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("ocsp signer: unexpected argument '%s'", argv[optind]);
	if (ca_name == NULL)
		return cli_usage_error("ocsp signer needs --ca");
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = ct_read_pass(&pass, &passlen, pass_file, "Passphrase of the CA key: ")) != 0)
		goto out;
	/* the CA first: an unknown CA or a key that does not open writes nothing */
	if ((r = gp_ca_open(&ca, ctx, ca_name, pass, passlen)) != 0) {
		r = cli_fail(r, "ocsp signer");
		goto out;
	}
	if (spass_file == NULL && getenv("GOVPKI_SIGNER_PASSPHRASE") != NULL) {
		const char *e = getenv("GOVPKI_SIGNER_PASSPHRASE");

		if ((spass = strdup(e)) == NULL) {
			r = cli_fail(GP_E_NOMEM, "ocsp signer");
			goto out;
		}
		spasslen = strlen(e);
	} else if ((r = gp_pass_get_new(&spass, &spasslen, spass_file,
	    "Passphrase of the new OCSP signer key: ")) != 0) {
		r = cli_fail(r, "ocsp signer: passphrase of the new key");
		goto out;
	}
	dp.pass = spass;
	dp.passlen = spasslen;
	if ((r = gp_ocsp_delegate_issue(&cert, ctx, ca, &dp)) != 0 ||
	    (r = gp_ocsp_delegate_paths(&cpath, &kpath, ctx, ca_name)) != 0) {
		r = cli_fail(r, "ocsp signer");
		goto out;
	}
	{
		const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
		BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
		char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

		if (hex != NULL)
			snprintf(serial, sizeof(serial), "%s", hex);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:s, s:s, s:s}", "ca", ca_name,
		    "serial", serial, "cert", cpath, "key", kpath));
	else
		fprintf(stderr, "ocsp signer: CA %s: OCSP signer %s installed as %s (key %s)\n",
		    ca_name, serial, cpath, kpath);
out:
	X509_free(cert);
	free(cpath);
	free(kpath);
	gp_pass_free(spass, spasslen);
	gp_pass_free(pass, passlen);
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	return r;
}

static const subcommand ocsp_subcommands[] = {
	{ "presign", ocsp_presign },
	{ "signer", ocsp_signer },
	{ NULL, NULL }
};

/* "ocsp SUBCOMMAND [OPTIONS]": argv[0] is "ocsp" */
static int
cmd_ocsp(opts *o, int argc, char **argv)
{
	return ct_run_subcommand(o, argc, argv, ocsp_subcommands, ocsp_usage);
}

const command ca_tool_ocsp_commands[] = {
	{ "ocsp", cmd_ocsp, NULL, ocsp_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
