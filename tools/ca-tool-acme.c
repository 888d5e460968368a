/* tools/ca-tool-acme.c: ca-tool's ACME commands: acme eab create (external account binding keys, RFC 8555 §7.3.4) */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <govpki/govpki.h>

#include "ca-tool.h"
#include "cli.h"

static const char acme_usage[] =
	"acme eab create --profile P [--actor WHO]\n"
	"  A key for an external account binding (RFC 8555 7.3.4) in the ACME\n"
	"  directory of profile P: prints its key id (kid) and its HMAC key\n"
	"  (base64url), which are shown only now; the store keeps its SHA-256. One ACME\n"
	"  account may be bound with it, once; the hash is wiped then.\n"
	"  With [acme] eab_required = yes every new account needs one.";

enum { A_PROFILE = 300, A_ACTOR, A_HELP };

static const struct option acme_opts[] = {
	{ "profile", required_argument, NULL, A_PROFILE },
	{ "actor", required_argument, NULL, A_ACTOR },
	{ "help", no_argument, NULL, A_HELP },
	{ NULL, 0, NULL, 0 }
};

/* base64url without padding (RFC 4648 §5), what ACME clients take for the
 * HMAC key (certbot --eab-hmac-key, lego --hmac, uacme --eab). */
static void
b64url(char *out, const unsigned char *in, size_t len)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

static int
eab_create(opts *o, const char *profile, const char *actor)
{
	gp_ctx *ctx = NULL;
	gp_store *s;
	const gp_profile *p;
	gp_acme_eab e;
	/* longer than SHA-256's 64-byte block, so HMAC keys with its SHA-256
	 * (RFC 2104 §2): the store needs only the hash, not what is shown */
	unsigned char id[12], secret[96];
	char kid[32], key[160], obj[64], detail[96];
	int r, in_tx = 0;

	memset(&e, 0, sizeof(e));
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((p = gp_profiles_get(gp_ctx_profiles(ctx), profile)) == NULL) {
		fprintf(stderr, "ca-tool: acme eab create: unknown profile '%s'\n", profile);
		r = EXIT_NOTFOUND;
		goto out;
	}
	if (!gp_profile_acme(p, NULL)) {
		fprintf(stderr, "ca-tool: acme eab create: profile %s has no ACME directory "
		    "([profile.%s] acme = yes)\n", profile, profile);
		r = EXIT_REFUSED;
		goto out;
	}
	if (RAND_bytes(id, sizeof(id)) != 1 || RAND_bytes(secret, sizeof(secret)) != 1 ||
	    EVP_Digest(secret, sizeof(secret), e.key, NULL, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "ca-tool: acme eab create: no random bytes\n");
		r = EXIT_FAIL;
		goto out;
	}
	memcpy(kid, "eab-", 4);
	b64url(kid + 4, id, sizeof(id));
	e.kid = kid;
	e.profile = (char *)profile;
	e.created = (int64_t)time(NULL);
	s = gp_ctx_store(ctx);
	snprintf(obj, sizeof(obj), "acme-eab:%s", kid);
	snprintf(detail, sizeof(detail), "profile=%.80s", profile);
	/* the key and its audit entry in one transaction */
	if ((r = gp_store_begin(s)) != 0)
		goto fail;
	in_tx = 1;
	if ((r = gp_store_acme_eab_add(s, &e)) != 0 ||
	    (r = gp_audit_append(s, actor, "acme.eab.create", obj, detail)) != 0 ||
	    (r = gp_store_commit(s)) != 0)
		goto fail;
	in_tx = 0;
	b64url(key, secret, sizeof(secret));
	if (o->json)
		ct_print_json(json_pack("{s:s, s:s, s:s}", "kid", kid, "hmac_key", key,
		    "profile", profile));
	else
		printf("kid: %s\nhmac_key: %s\n", kid, key);
	fprintf(stderr, "ca-tool: EAB key %s for the ACME directory of %s created; "
	    "the HMAC key is shown only now\n", kid, profile);
	OPENSSL_cleanse(key, sizeof(key));
	r = 0;
	goto out;
fail:
	r = cli_fail(r, "acme eab create");
out:
	if (in_tx)
		gp_store_rollback(gp_ctx_store(ctx));
	OPENSSL_cleanse(e.key, sizeof(e.key));
	OPENSSL_cleanse(secret, sizeof(secret));
	gp_ctx_free(ctx);
	return r;
}

static int
cmd_acme(opts *o, int argc, char **argv)
{
	const char *profile = NULL, *actor = "ca-tool";
	int c;

	opterr = 0;
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_print_usage(stdout, acme_usage);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "eab") != 0 || strcmp(argv[2], "create") != 0)
		return cli_usage_error("acme: which one? (acme eab create --profile P; "
		    "ca-tool acme --help)");
	optind = 3;
	while ((c = getopt_long(argc, argv, "+h", acme_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case A_HELP: cli_print_usage(stdout, acme_usage); return 0;
		case A_PROFILE: profile = optarg; break;
		case A_ACTOR: actor = optarg; break;
		default:
			return cli_usage_error("acme eab create: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("acme eab create: unexpected argument '%s'", argv[optind]);
	if (profile == NULL)
		return cli_usage_error("acme eab create needs --profile");
	return eab_create(o, profile, actor);
}

const command ca_tool_acme_commands[] = {
	{ "acme", cmd_acme, NULL, acme_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
