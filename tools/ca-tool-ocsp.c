/* tools/ca-tool-ocsp.c: ca-tool's ocsp commands: ocsp presign (responses for key-less replicas) */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <govpki/ocsp.h>

#include "ca-tool.h"
#include "cli.h"

static const char ocsp_usage[] =
	"ocsp presign --ca NAME [--pass-file F] [--signer-cert FILE --signer-key FILE]\n"
	"  Signs a nonce-less OCSP response (SHA-1 and SHA-256 CertIDs) for every\n"
	"  certificate of CA NAME that has none in the store, changed status since its\n"
	"  response, or whose response is past half its validity, and writes them into\n"
	"  the store for `ocsp-responder --presigned` replicas (which hold no key).\n"
	"  With a delegated responder certificate and key, it signs instead of the CA.\n"
	"  [ocsp] next_update_seconds of --config sets the validity. Run it every minute\n"
	"  (cron): a revocation reaches replicas with the next run.";

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
	if ((r = ct_read_pass(&pass, &passlen, pass_file, "Passphrase of the signing key: ")) != 0)
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

static const subcommand ocsp_subcommands[] = {
	{ "presign", ocsp_presign },
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
