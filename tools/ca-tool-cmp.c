/* tools/ca-tool-cmp.c: ca-tool's CMP commands: cmp secret create (MAC secrets for ra-server's CMP service) */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <govpki/govpki.h>

#include "ca-tool.h"
#include "cli.h"

static const char cmp_usage[] =
	"cmp secret create --profile P [--days N] [--actor WHO]\n"
	"  A shared secret for CMP clients (RFC 4210 5.1.3.1 MAC protection) of\n"
	"  profile P ([profile.P] cmp = yes): prints its reference (the senderKID,\n"
	"  openssl cmp -ref) and the secret (-secret pass:...), shown only now.\n"
	"  Valid --days days (default 30). The store keeps an RA token named\n"
	"  cmp@KID with the secret's SHA-256; ca-tool token revoke --id ID ends it.";

enum { C_PROFILE = 300, C_DAYS, C_ACTOR, C_HELP };

static const struct option cmp_opts[] = {
	{ "profile", required_argument, NULL, C_PROFILE },
	{ "days", required_argument, NULL, C_DAYS },
	{ "actor", required_argument, NULL, C_ACTOR },
	{ "help", no_argument, NULL, C_HELP },
	{ NULL, 0, NULL, 0 }
};

static int
cmd_cmp(opts *o, int argc, char **argv)
{
	const char *profile = NULL, *actor = "ca-tool";
	gp_ctx *ctx = NULL;
	char *kid = NULL, *secret = NULL, *end;
	long days = 30;
	int64_t id = 0;
	int c, r;

	opterr = 0;
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_print_usage(stdout, cmp_usage);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "secret") != 0 || strcmp(argv[2], "create") != 0)
		return cli_usage_error("cmp: which one? (cmp secret create --profile P; "
		    "ca-tool cmp --help)");
	optind = 3;
	while ((c = getopt_long(argc, argv, "+h", cmp_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case C_HELP: cli_print_usage(stdout, cmp_usage); return 0;
		case C_PROFILE: profile = optarg; break;
		case C_ACTOR: actor = optarg; break;
		case C_DAYS:
			days = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || days < 1 || days > 3650)
				return cli_usage_error("cmp secret create: --days must be 1 to 3650");
			break;
		default:
			return cli_usage_error("cmp secret create: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("cmp secret create: unexpected argument '%s'", argv[optind]);
	if (profile == NULL)
		return cli_usage_error("cmp secret create needs --profile");
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_cmp_secret_create(ctx, &kid, &secret, &id, profile,
	    (int64_t)time(NULL) + days * 86400, actor)) != 0) {
		r = cli_fail(r, "cmp secret create");
		goto out;
	}
	if (o->json)
		ct_print_json(json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "kid", kid,
		    "secret", secret, "profile", profile));
	else
		printf("kid: %s\nsecret: %s\n", kid, secret);
	fprintf(stderr, "ca-tool: CMP secret %s (token %lld) for profile %s created; the secret "
	    "is shown only now\n", kid, (long long)id, profile);
	r = 0;
out:
	free(kid);
	if (secret != NULL)
		gp_pass_free(secret, strlen(secret));
	gp_ctx_free(ctx);
	return r;
}

const command ca_tool_cmp_commands[] = {
	{ "cmp", cmd_cmp, NULL, cmp_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
