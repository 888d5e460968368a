/* tools/ca-tool-offline.c: ca-tool csr, sign-ca, import-ca, import-crl: a CA whose root (or issuer) signs on another machine */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <govpki/govpki.h>

#include "ca-tool.h"
#include "cli.h"

/* The largest CSR, certificate or CRL file read (a root's CRL stays small). */
#define OFFLINE_MAX_INPUT (64u << 20)

enum { F_NAME = 300, F_CA, F_SUBJECT, F_KEY_TYPE, F_KEY, F_OUT, F_PASS_FILE, F_CSR,
	F_PROFILE, F_DAYS, F_CERT, F_CRL, F_ACTOR, F_CROSS };

static const struct option offline_opts[] = {
	{ "name", required_argument, NULL, F_NAME },
	{ "ca", required_argument, NULL, F_CA },
	{ "subject", required_argument, NULL, F_SUBJECT },
	{ "key-type", required_argument, NULL, F_KEY_TYPE },
	{ "key", required_argument, NULL, F_KEY },
	{ "out", required_argument, NULL, F_OUT },
	{ "pass-file", required_argument, NULL, F_PASS_FILE },
	{ "csr", required_argument, NULL, F_CSR },
	{ "profile", required_argument, NULL, F_PROFILE },
	{ "days", required_argument, NULL, F_DAYS },
	{ "cert", required_argument, NULL, F_CERT },
	{ "crl", required_argument, NULL, F_CRL },
	{ "actor", required_argument, NULL, F_ACTOR },
	{ "cross", no_argument, NULL, F_CROSS },
	CLI_HELP_OPT,
	{ NULL, 0, NULL, 0 }
};

typedef struct args {
	const char *name, *ca, *subject, *key_type, *key, *out, *pass_file, *csr, *profile;
	const char *cert, *crl, *actor;
	long days;
	int cross;
} args;

/* Parses argv (from the command word on) into a; accept: the F_* ids this
 * command takes, 0-terminated.  Returns -1 to go on, else the exit code. */
static int
parse(args *a, int argc, char **argv, const char *cmd, const char *usage, const int *accept)
{
	int c, k, ok;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", offline_opts, NULL)) != -1) {
		for (k = 0, ok = 0; accept[k] != 0; k++)
			ok |= accept[k] == c;
		if (!ok)
			return cli_help_or_bad_option(c, cmd, usage, argv);
		switch (c) {
		case F_NAME: a->name = optarg; break;
		case F_CA: a->ca = optarg; break;
		case F_SUBJECT: a->subject = optarg; break;
		case F_KEY_TYPE: a->key_type = optarg; break;
		case F_KEY: a->key = optarg; break;
		case F_OUT: a->out = optarg; break;
		case F_PASS_FILE: a->pass_file = optarg; break;
		case F_CSR: a->csr = optarg; break;
		case F_PROFILE: a->profile = optarg; break;
		case F_CERT: a->cert = optarg; break;
		case F_CRL: a->crl = optarg; break;
		case F_ACTOR: a->actor = optarg; break;
		case F_CROSS: a->cross = 1; break;
		case F_DAYS:
			if ((k = ct_parse_long(&a->days, optarg, "--days", 1, 36500)) != 0)
				return k;
			break;
		}
	}
	if (optind < argc)
		return cli_usage_error("%s: unexpected argument '%s'", cmd, argv[optind]);
	return -1;
}

/* PEM or DER bytes as DER: *der is buf itself for DER, else malloc'ed
 * (the caller frees both, buf once). */
static int
to_der(unsigned char **der, size_t *len, unsigned char *buf, size_t n, int crl)
{
	BIO *b;
	void *obj;
	unsigned char *out = NULL;
	int k;

	*der = NULL;
	*len = 0;
	if (n == 0 || buf[0] == 0x30) {    /* DER: a SEQUENCE */
		*der = buf;
		*len = n;
		return 0;
	}
	if ((b = BIO_new_mem_buf(buf, (int)n)) == NULL)
		return -1;
	obj = crl ? (void *)PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) :
	    (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (obj == NULL) {
		ERR_clear_error();
		return -1;
	}
	k = crl ? i2d_X509_CRL(obj, &out) : i2d_X509(obj, &out);
	if (crl)
		X509_CRL_free(obj);
	else
		X509_free(obj);
	if (k <= 0)
		return -1;
	if ((*der = malloc((size_t)k)) == NULL) {
		OPENSSL_free(out);
		return -1;
	}
	memcpy(*der, out, (size_t)k);
	*len = (size_t)k;
	OPENSSL_free(out);
	return 0;
}

/* ---------------------------------------------------------------- csr */

static const char csr_usage[] =
	"csr --name NAME --subject DN [--key-type TYPE | --key URI] [--pass-file F] --out FILE\n"
	"csr --ca NAME [--pass-file F] --out FILE\n"
	"  The certificate request (PKCS#10, PEM) of a CA whose certificate another CA\n"
	"  signs (an offline root: ca-tool sign-ca on its machine). With --name, a new\n"
	"  CA: its key (TYPE as for init, default ec-p256) is written encrypted to\n"
	"  keys/NAME.key, or --key names one; nothing is stored until ca-tool import-ca\n"
	"  --name NAME --cert F installs the certificate. With --ca, an existing CA's key\n"
	"  and subject (renewal by its issuer, a cross-certificate).";

static int
cmd_csr(opts *o, int argc, char **argv)
{
	static const int acc[] = { F_NAME, F_CA, F_SUBJECT, F_KEY_TYPE, F_KEY, F_OUT, F_PASS_FILE, 0 };
	args a;
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	gp_key_type kt = GP_KEY_EC_P256;
	unsigned char *der = NULL;
	size_t len = 0, passlen = 0;
	char *pass = NULL;
	BIO *b = NULL;
	BUF_MEM *bm;
	cli_out out;
	ct_new_home nh;
	char kept[200];
	int r;

	memset(&out, 0, sizeof(out));
	memset(&nh, 0, sizeof(nh));
	if ((r = parse(&a, argc, argv, "csr", csr_usage, acc)) >= 0)
		return r;
	if ((a.name == NULL) == (a.ca == NULL) || a.out == NULL)
		return cli_usage_error("csr needs --out and one of --name (a new CA) or --ca");
	if (a.ca != NULL && (a.subject != NULL || a.key_type != NULL || a.key != NULL))
		return cli_usage_error("csr --ca: the CA's own key and subject are used "
		    "(no --subject, --key-type or --key)");
	if (a.name != NULL && a.subject == NULL)
		return cli_usage_error("csr --name needs --subject");
	if (a.key_type != NULL && a.key != NULL)
		return cli_usage_error("give --key-type or --key, not both");
	if (a.key_type != NULL && gp_key_type_from_name(&kt, a.key_type) != 0)
		return cli_usage_error("unknown key type '%s' (rsa2048, rsa3072, rsa4096, ec-p256, "
		    "ec-p384, ed25519, sm2)", a.key_type);
	/* a new CA may be the first of a new home; the output can be
	 * written, or no key is made */
	if ((r = a.name != NULL ? ct_home_open(&ctx, o, &nh) : ct_open_ctx(&ctx, o, 0)) != 0 ||
	    (r = ct_out_open(&out, a.out)) != 0)
		goto out;
	if (a.name != NULL && a.key == NULL)
		r = gp_pass_get_new(&pass, &passlen, a.pass_file, "Passphrase for the new CA key: ");
	else
		r = cli_pass(&pass, &passlen, a.pass_file, "Passphrase of the CA key: ");
	if (r != 0) {
		r = cli_fail(r, "passphrase");
		goto out;
	}
	if (a.ca != NULL) {
		if ((r = gp_ca_open(&ca, ctx, a.ca, pass, passlen)) != 0 ||
		    (r = gp_ca_csr(&der, &len, ca)) != 0) {
			r = cli_fail(r, "csr");
			goto out;
		}
	} else {
		gp_ca_params p = GP_CA_PARAMS_INIT;

		p.name = a.name;
		p.subject = a.subject;
		p.key_type = kt;
		p.key_uri = a.key;
		p.pass = pass;
		p.passlen = passlen;
		if ((r = gp_ca_csr_new(&der, &len, ctx, &p)) != 0) {
			r = cli_fail(r, "csr");
			goto out;
		}
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio(b, "CERTIFICATE REQUEST", "", der, (long)len) <= 0) {
		fprintf(stderr, "%s: csr: out of memory\n", cli_prog);
		r = EXIT_FAIL;
		goto out;
	}
	BIO_get_mem_ptr(b, &bm);
	snprintf(kept, sizeof(kept), "the key of CA %s is kept: run ca-tool csr again with --key "
	    "naming it", a.name ? a.name : a.ca);
	if ((r = ct_out_commit(&out, bm->data, bm->length, kept)) != 0)
		goto out;
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:s, s:b}", "ca", a.name ? a.name : a.ca,
		    "csr", a.out, "new_key", a.name != NULL && a.key == NULL));
	else if (strcmp(a.out, "-") != 0)
		printf("CSR of CA %s written to %s%s\n", a.name ? a.name : a.ca, a.out,
		    a.name != NULL && a.key == NULL ? " (its key is in keys/ under the home)" : "");
out:
	cli_out_abort(&out);
	BIO_free(b);
	free(der);
	gp_pass_free(pass, passlen);
	gp_ca_free(ca);
	ct_home_close(&nh, ctx, r != 0);
	return r;
}

/* ---------------------------------------------------------------- sign-ca */

static const char sign_ca_usage[] =
	"sign-ca --ca CA --csr FILE [--profile P] [--days N] [--subject DN] [--cross]\n"
	"        [--pass-file F] --out FILE\n"
	"  Signs a CA certificate from another machine's CSR (ca-tool csr, or an outside\n"
	"  CA's): on an offline root's machine, for the online issuing CA. P must be a CA\n"
	"  profile (default sub-ca; its permitted_dns, excluded_dns, permitted_email and\n"
	"  permitted_ip give nameConstraints). The certificate is CA's, listed, revocable\n"
	"  and on CA's CRL; FILE gets it as PEM, for ca-tool import-ca on the other side.\n"
	"  --cross: a cross-certificate for another root of this store (its CSR from\n"
	"  ca-tool csr --ca NEW): its key is certified again, under its own subject only,\n"
	"  so that relying parties that trust CA reach the new root's paths (rollover).";

static int
cmd_sign_ca(opts *o, int argc, char **argv)
{
	static const int acc[] = { F_CA, F_CSR, F_PROFILE, F_DAYS, F_SUBJECT, F_PASS_FILE, F_OUT,
		F_ACTOR, F_CROSS, 0 };
	args a;
	gp_ctx *ctx = NULL;
	gp_ca *ca = NULL;
	gp_issue_req req = GP_ISSUE_REQ_INIT;
	const gp_profile *prof;
	unsigned char *csr = NULL;
	size_t csrlen = 0, passlen = 0, pemlen = 0;
	char *pass = NULL, *pem = NULL, serial[80];
	X509 *cert = NULL;
	cli_out out;
	int r;

	memset(&out, 0, sizeof(out));
	if ((r = parse(&a, argc, argv, "sign-ca", sign_ca_usage, acc)) >= 0)
		return r;
	if (a.ca == NULL || a.csr == NULL || a.out == NULL)
		return cli_usage_error("sign-ca needs --ca, --csr and --out");
	if (a.profile == NULL)
		a.profile = "sub-ca";
	if ((r = ct_read_file(&csr, &csrlen, a.csr, OFFLINE_MAX_INPUT)) != 0)
		return r;
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		goto out;
	if ((prof = gp_profiles_get(gp_ctx_profiles(ctx), a.profile)) == NULL) {
		fprintf(stderr, "%s: sign-ca: unknown profile '%s'\n", cli_prog, a.profile);
		r = EXIT_NOTFOUND;
		goto out;
	}
	if (!gp_profile_is_ca(prof)) {
		fprintf(stderr, "%s: sign-ca: profile %s is not a CA profile (ca-tool issue signs "
		    "end-entity certificates)\n", cli_prog, a.profile);
		r = EXIT_REFUSED;
		goto out;
	}
	if ((r = ct_out_open(&out, a.out)) != 0)
		goto out;
	if ((r = ct_read_pass(&pass, &passlen, a.pass_file, "Passphrase of the CA key: ")) != 0)
		goto out;
	req.csr = csr;
	req.csr_len = csrlen;
	req.profile = a.profile;
	req.subject = a.subject;
	req.days = (int)a.days;
	req.actor = a.actor;
	req.cross = a.cross;
	if (a.cross && a.subject != NULL) {
		r = cli_usage_error("sign-ca --cross: the CA's own subject is kept (no --subject)");
		goto out;
	}
	if ((r = gp_ca_open(&ca, ctx, a.ca, pass, passlen)) != 0 ||
	    (r = gp_ca_issue(&cert, ca, &req)) != 0) {
		r = cli_fail(r, "sign-ca");
		goto out;
	}
	{
		const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);

		ct_serial_hex(serial, ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn));
	}
	if ((r = ct_cert_pem(&pem, &pemlen, cert)) != 0)
		goto out;
	{
		char kept[400];

		snprintf(kept, sizeof(kept), "CA certificate %s is in the store: ca-tool export --ca %s "
		    "--serial %s writes it", serial, a.ca, serial);
		if ((r = ct_out_commit(&out, pem, pemlen, kept)) != 0)
			goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:s, s:s, s:s}", "ca", a.ca, "serial", serial,
		    "profile", a.profile, "out", a.out));
	else if (strcmp(a.out, "-") != 0)
		printf("CA certificate %s signed by %s (profile %s) written to %s\n", serial, a.ca,
		    a.profile, a.out);
out:
	cli_out_abort(&out);
	free(pem);
	X509_free(cert);
	free(csr);
	gp_pass_free(pass, passlen);
	gp_ca_free(ca);
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- import-ca */

static const char import_ca_usage[] =
	"import-ca --name NAME --cert FILE [--key URI] [--pass-file F]\n"
	"  Installs a CA certificate signed elsewhere (PEM or DER): a self-signed root,\n"
	"  or a CA whose issuer is already a CA here (import the root first), checked\n"
	"  up to the root. Its key is --key, or keys/NAME.key that ca-tool csr left\n"
	"  (checked against the certificate: --pass-file), or none: an offline root or\n"
	"  an outside CA, which then signs nothing here, and whose CRLs come from\n"
	"  ca-tool import-crl.";

static int
cmd_import_ca(opts *o, int argc, char **argv)
{
	static const int acc[] = { F_NAME, F_CERT, F_KEY, F_PASS_FILE, F_ACTOR, 0 };
	args a;
	gp_ctx *ctx = NULL;
	gp_ca_info *info = NULL;
	unsigned char *buf = NULL, *der = NULL;
	size_t n = 0, len = 0, passlen = 0;
	char *pass = NULL;
	ct_new_home nh;
	int r;

	memset(&nh, 0, sizeof(nh));
	if ((r = parse(&a, argc, argv, "import-ca", import_ca_usage, acc)) >= 0)
		return r;
	if (a.name == NULL || a.cert == NULL)
		return cli_usage_error("import-ca needs --name and --cert");
	if ((r = ct_read_file(&buf, &n, a.cert, OFFLINE_MAX_INPUT)) != 0)
		return r;
	if (to_der(&der, &len, buf, n, 0) != 0) {
		fprintf(stderr, "%s: import-ca: %s is not a certificate (PEM or DER)\n", cli_prog, a.cert);
		r = EXIT_REFUSED;
		goto out;
	}
	/* the root is the first CA of a new online home */
	if ((r = ct_home_open(&ctx, o, &nh)) != 0)
		goto out;
	if (a.pass_file != NULL &&
	    (r = ct_read_pass(&pass, &passlen, a.pass_file, "Passphrase of the CA key: ")) != 0)
		goto out;
	if ((r = gp_ca_import(ctx, a.name, der, len, a.key, pass, passlen, a.actor)) != 0) {
		r = cli_fail(r, "import-ca");
		goto out;
	}
	if ((r = gp_store_ca_get(gp_ctx_store(ctx), a.name, &info)) != 0) {
		r = cli_fail(r, "import-ca");
		goto out;
	}
	if (o->json) {
		gp_ca_info *parent = NULL;

		if (info->parent_id != 0 && gp_store_ca_get_id(gp_ctx_store(ctx), info->parent_id,
		    &parent) != 0)
			gp_error_clear();
		r = ct_print_json(json_pack("{s:s, s:s?, s:b, s:s}", "name", a.name, "parent",
		    parent ? parent->name : NULL, "key_here", info->key_uri[0] != '\0',
		    "key_type", info->key_type));
		gp_ca_info_free(parent);
	} else {
		printf("imported CA %s (%s)\n", a.name, info->key_uri[0] != '\0' ?
		    "its key is here" : "its key is elsewhere: it signs nothing here");
	}
out:
	gp_ca_info_free(info);
	if (der != buf)
		free(der);
	free(buf);
	gp_pass_free(pass, passlen);
	ct_home_close(&nh, ctx, r != 0);
	return r;
}

/* ---------------------------------------------------------------- import-crl */

static const char import_crl_usage[] =
	"import-crl --ca NAME --crl FILE\n"
	"  Stores a full CRL of CA NAME signed elsewhere (an offline root's, PEM or DER)\n"
	"  for ca-tool crl --publish and the verifier: signed by the CA, its cRLNumber\n"
	"  above the last one here, its nextUpdate not passed. The revocations it lists\n"
	"  are applied to the CA's certificates this store holds.";

static int
cmd_import_crl(opts *o, int argc, char **argv)
{
	static const int acc[] = { F_CA, F_CRL, F_ACTOR, 0 };
	args a;
	gp_ctx *ctx = NULL;
	gp_crl_info *crl = NULL;
	unsigned char *buf = NULL, *der = NULL;
	size_t n = 0, len = 0;
	int r;

	if ((r = parse(&a, argc, argv, "import-crl", import_crl_usage, acc)) >= 0)
		return r;
	if (a.ca == NULL || a.crl == NULL)
		return cli_usage_error("import-crl needs --ca and --crl");
	if ((r = ct_read_file(&buf, &n, a.crl, OFFLINE_MAX_INPUT)) != 0)
		return r;
	if (to_der(&der, &len, buf, n, 1) != 0) {
		fprintf(stderr, "%s: import-crl: %s is not a CRL (PEM or DER)\n", cli_prog, a.crl);
		r = EXIT_REFUSED;
		goto out;
	}
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		goto out;
	if ((r = gp_ca_crl_import(&crl, ctx, a.ca, der, len, a.actor)) != 0) {
		r = cli_fail(r, "import-crl");
		goto out;
	}
	if (o->json) {
		char nu[32];

		ct_iso_time(nu, crl->next_update);
		r = ct_print_json(json_pack("{s:s, s:I, s:s}", "ca", a.ca, "number",
		    (json_int_t)crl->number, "next_update", nu));
	} else {
		printf("CRL number %lld of %s imported\n", (long long)crl->number, a.ca);
	}
out:
	gp_crl_info_free(crl);
	if (der != buf)
		free(der);
	free(buf);
	gp_ctx_free(ctx);
	return r;
}

/* ---------------------------------------------------------------- retire */

static const char retire_usage[] =
	"retire --ca NAME [--actor WHO]\n"
	"  After a rollover (a new CA with a new key took NAME's place): NAME issues\n"
	"  nothing from now, while crl --publish and ocsp-responder go on answering\n"
	"  for what it issued until those certificates expire.";

static int
cmd_retire(opts *o, int argc, char **argv)
{
	static const int acc[] = { F_CA, F_ACTOR, 0 };
	args a;
	gp_ctx *ctx = NULL;
	int r;

	if ((r = parse(&a, argc, argv, "retire", retire_usage, acc)) >= 0)
		return r;
	if (a.ca == NULL)
		return cli_usage_error("retire needs --ca");
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_ca_retire(ctx, a.ca, a.actor)) != 0)
		r = cli_fail(r, "retire");
	else if (o->json)
		r = ct_print_json(json_pack("{s:s, s:b}", "ca", a.ca, "retired", 1));
	else
		printf("CA %s is retired: it issues nothing; its CRLs and OCSP answers go on\n", a.ca);
	gp_ctx_free(ctx);
	return r;
}

const command ca_tool_offline_commands[] = {
	{ "retire", cmd_retire, NULL, retire_usage, 1 },
	{ "csr", cmd_csr, NULL, csr_usage, 1 },
	{ "sign-ca", cmd_sign_ca, NULL, sign_ca_usage, 1 },
	{ "import-ca", cmd_import_ca, NULL, import_ca_usage, 1 },
	{ "import-crl", cmd_import_crl, NULL, import_crl_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
