/* tools/ca-tool-seal.c: ca-tool's seal register commands: seal list, seal revoke */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <govpki/seal.h>

#include "ca-tool.h"
#include "cli.h"

static const char seal_usage[] =
	"seal list [--status good|revoked]\n"
	"seal revoke --id ID [--reason TEXT] [--actor NAME]\n"
	"  The seal register (seals made by seal-tool make with this home): list them, or\n"
	"  revoke one (verifiers given this home then fail its seal-status step).\n"
	"  Revoking again is harmless.";

struct list_ctx {
	json_t *arr;
};

static int
list_cb(void *arg, const gp_seal_info *s)
{
	struct list_ctx *lc = arg;
	char vs[32], ve[32], ra[32];

	ct_iso_time(vs, s->valid_start);
	ct_iso_time(ve, s->valid_end);
	ct_iso_time(ra, s->revoked_at);
	if (lc->arr != NULL) {
		json_array_append_new(lc->arr, json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s?, s:s, s:s?, s:s?}",
		    "id", s->es_id, "name", s->name, "type", s->type, "version", s->version,
		    "valid_from", vs, "valid_to", ve, "maker", s->maker,
		    "status", s->status == GP_SEAL_STATUS_REVOKED ? "revoked" : "good",
		    "revoked_at", s->status == GP_SEAL_STATUS_REVOKED ? ra : NULL,
		    "reason", s->reason));
	} else
		printf("%-24s %-8s %s..%s  %s%s%s\n", s->es_id,
		    s->status == GP_SEAL_STATUS_REVOKED ? "revoked" : "good", vs, ve, s->name,
		    s->reason ? "  reason: " : "", s->reason ? s->reason : "");
	return 0;
}

static int
seal_list(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "status", required_argument, NULL, 's' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	struct list_ctx lc = { NULL };
	gp_ctx *ctx = NULL;
	int c, r, status = -1;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "good") == 0)
				status = GP_SEAL_STATUS_GOOD;
			else if (strcmp(optarg, "revoked") == 0)
				status = GP_SEAL_STATUS_REVOKED;
			else
				return cli_usage_error("seal list: --status good or revoked");
			break;
		default: return cli_help_or_bad_option(c, "seal list", seal_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("seal list: unexpected argument '%s'", argv[optind]);
	if ((r = ct_open_ctx(&ctx, o, 1)) != 0)
		return r;
	if (o->json)
		lc.arr = json_array();
	if ((r = gp_store_seal_list(gp_ctx_store(ctx), status, list_cb, &lc)) != 0) {
		json_decref(lc.arr);
		r = cli_fail(r, "seal list");
		goto out;
	}
	r = o->json ? ct_print_json(lc.arr) : 0;
out:
	gp_ctx_free(ctx);
	return r;
}

static int
seal_revoke(opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' }, { "reason", required_argument, NULL, 'r' },
		{ "actor", required_argument, NULL, 'a' }, CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	const char *id = NULL, *reason = NULL, *actor = NULL;
	gp_ctx *ctx = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': id = optarg; break;
		case 'r': reason = optarg; break;
		case 'a': actor = optarg; break;
		default: return cli_help_or_bad_option(c, "seal revoke", seal_usage, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("seal revoke: unexpected argument '%s'", argv[optind]);
	if (id == NULL)
		return cli_usage_error("seal revoke needs --id");
	if ((r = ct_open_ctx(&ctx, o, 0)) != 0)
		return r;
	if ((r = gp_seal_revoke(gp_ctx_store(ctx), id, reason, 0, actor ? actor : "ca-tool")) != 0) {
		r = cli_fail(r, "seal revoke");
		goto out;
	}
	if (o->json)
		r = ct_print_json(json_pack("{s:s, s:s}", "id", id, "status", "revoked"));
	else
		fprintf(stderr, "seal %s revoked\n", id);
out:
	gp_ctx_free(ctx);
	return r;
}

static const subcommand seal_subcommands[] = {
	{ "list", seal_list },
	{ "revoke", seal_revoke },
	{ NULL, NULL }
};

/* "seal SUBCOMMAND [OPTIONS]": argv[0] is "seal" */
static int
cmd_seal(opts *o, int argc, char **argv)
{
	return ct_run_subcommand(o, argc, argv, seal_subcommands, seal_usage);
}

const command ca_tool_seal_commands[] = {
	{ "seal", cmd_seal, NULL, seal_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
