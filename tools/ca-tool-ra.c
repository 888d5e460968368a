/* tools/ca-tool-ra.c: ca-tool's RA commands: officer add|list|disable|enable, token create|list|revoke, est secret, scep challenge */
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

enum { R_NAME = 300, R_ROLE, R_CERT, R_PROFILES, R_PROFILE, R_DAYS, R_ID, R_ACTOR, R_HELP };

static const struct option ra_opts[] = {
	{ "name", required_argument, NULL, R_NAME },
	{ "role", required_argument, NULL, R_ROLE },
	{ "cert", required_argument, NULL, R_CERT },
	{ "profiles", required_argument, NULL, R_PROFILES },
	{ "profile", required_argument, NULL, R_PROFILE },
	{ "days", required_argument, NULL, R_DAYS },
	{ "id", required_argument, NULL, R_ID },
	{ "actor", required_argument, NULL, R_ACTOR },
	{ "help", no_argument, NULL, R_HELP },
	{ NULL, 0, NULL, 0 }
};

typedef struct ra_args {
	const char *sub, *name, *role, *cert, *profiles, *profile, *actor;
	long days, id;
	int has_id;
} ra_args;

static const char officer_usage[] =
	"officer add --name NAME --cert CERT.pem [--role officer|admin|auditor] [--actor WHO]\n"
	"officer list\n"
	"officer disable --name NAME | officer enable --name NAME\n"
	"  Registers RA officers by their TLS client certificate (issued by a CA of this\n"
	"  store), lists them, or stops (resumes) their access at once.";
static const char token_usage[] =
	"token create --name NAME [--profiles P1,P2|*] [--days N] [--actor WHO]\n"
	"token list\n"
	"token revoke --id ID\n"
	"  API tokens for applications (role applicant): 256 random bits, printed once by\n"
	"  create, stored only as a SHA-256 hash, limited to the profiles, expiring after\n"
	"  N days (default 365).";
static const char est_usage[] =
	"est secret create --profile P [--name NAME] [--days N] [--actor WHO]\n"
	"est secret list\n"
	"est secret revoke --id ID\n"
	"  Enrolment secrets for EST clients (RFC 7030, HTTP Basic as user NAME, default\n"
	"  the profile): 256 random bits, printed once by create, stored only as a\n"
	"  SHA-256 hash, good for profile P only, expiring after N days (default 365).\n"
	"  They are RA tokens named est@NAME, which the REST API does not take.";
static const char scep_usage[] =
	"scep challenge --profile P [--name NAME] [--days N] [--actor WHO]\n"
	"  A one-time challenge password for a SCEP client (RFC 8894 2.3, the CSR's\n"
	"  challengePassword): 256 random bits, printed once, stored only as a SHA-256\n"
	"  hash, good for one enrolment under profile P, expiring after N days\n"
	"  (default 7).  It is an RA token named scep@NAME (default the profile), which\n"
	"  the REST API does not take; token list shows it, token revoke ends it.";

/* Parses options from argv[optind] up to the first word that is not one.
 * Returns 0, -1 after --help (printed), or an exit code. */
static int
parse_options(ra_args *a, int argc, char **argv, const char *usage)
{
	int c, r;

	while ((c = getopt_long(argc, argv, "+h", ra_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case R_HELP: cli_print_usage(stdout, usage); return -1;
		case R_NAME: a->name = optarg; break;
		case R_ROLE: a->role = optarg; break;
		case R_CERT: a->cert = optarg; break;
		case R_PROFILES: a->profiles = optarg; break;
		case R_PROFILE: a->profile = optarg; break;
		case R_ACTOR: a->actor = optarg; break;
		case R_DAYS:
			if ((r = ct_parse_long(&a->days, optarg, "--days", 1, 3650)) != 0)
				return r;
			break;
		case R_ID:
			if ((r = ct_parse_long(&a->id, optarg, "--id", 1, 0x7fffffffL)) != 0)
				return r;
			a->has_id = 1;
			break;
		default:
			return cli_usage_error("%s: bad option '%s'", argv[0], argv[optind - 1]);
		}
	}
	return 0;
}

/* Parses "[options] SUB [options]" of argv (argv[0] is the command word).
 * Returns 0, -1 after --help (printed), or an exit code. */
static int
parse(ra_args *a, int argc, char **argv, const char *usage)
{
	int r;

	memset(a, 0, sizeof(*a));
	a->days = 365;
	a->actor = "ca-tool";
	opterr = 0;
	if ((r = parse_options(a, argc, argv, usage)) != 0)
		return r;
	if (optind >= argc)
		return cli_usage_error("%s: which one? (usage: ca-tool %s --help)", argv[0], argv[0]);
	a->sub = argv[optind++];
	/* options may also follow the sub-command */
	if ((r = parse_options(a, argc, argv, usage)) != 0)
		return r;
	if (optind < argc)
		return cli_usage_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
	return 0;
}

typedef struct list_out {
	int json;
	json_t *arr;
} list_out;

/* Ends a list walk that returned r: its failure as "ca-tool: what: why",
 * or with --json the array the walk filled. */
static int
list_end(list_out *l, int r, const char *what)
{
	if (r != 0)
		return cli_fail(r, what);
	if (l->json) {
		ct_print_json(l->arr);      /* frees it */
		l->arr = NULL;
	}
	return 0;
}

static int
print_officer(void *arg, const gp_ra_officer *o)
{
	list_out *l = arg;
	char sn[2 * GP_SERIAL_MAX + 1], t[32];

	ct_serial_hex(sn, o->serial, o->serial_len);
	ct_iso_time(t, o->created);
	if (l->json) {
		json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}",
		    "name", o->name, "role", gp_ra_role_name(o->role), "serial", sn,
		    "subject", o->subject, "enabled", o->enabled, "created", t));
	} else {
		printf("%-20s %-8s %-8s %s %s\n", o->name, gp_ra_role_name(o->role),
		    o->enabled ? "enabled" : "disabled", sn, o->subject);
	}
	return 0;
}

static int
print_token(void *arg, const gp_ra_token *tk)
{
	list_out *l = arg;
	char exp[32], cr[32];
	const char *state = tk->revoked ? "revoked" : "active";

	ct_iso_time(exp, tk->expires);
	ct_iso_time(cr, tk->created);
	if (!tk->revoked && tk->expires <= (int64_t)time(NULL))
		state = "expired";
	if (l->json) {
		json_array_append_new(l->arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}",
		    "id", (json_int_t)tk->id, "name", tk->name, "profiles", tk->profiles,
		    "expires", exp, "created", cr, "state", state));
	} else {
		printf("%-6lld %-20s %-8s %s %s\n", (long long)tk->id, tk->name, state, exp,
		    tk->profiles);
	}
	return 0;
}

static int
open_ra(gp_ctx **ctx, gp_ra **ra, const opts *o, int readonly)
{
	int r;

	*ra = NULL;
	if ((r = ct_open_ctx(ctx, o, readonly)) != 0)
		return r;
	if ((r = gp_ra_new(ra, *ctx, NULL)) != 0)
		return cli_fail(r, "ra");
	return 0;
}

static int
cmd_officer(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_ra *ra = NULL;
	X509 *cert = NULL;
	unsigned char *buf = NULL;
	size_t len;
	ra_args a;
	list_out l = { o->json, NULL };
	int r, role = GP_RA_ROLE_OFFICER;

	if ((r = parse(&a, argc, argv, officer_usage)) != 0)
		return r < 0 ? 0 : r;
	if (strcmp(a.sub, "add") == 0) {
		if (a.name == NULL || a.cert == NULL)
			return cli_usage_error("officer add needs --name and --cert");
		if (a.role != NULL && (r = gp_ra_role_from_name(&role, a.role)) != 0)
			return cli_fail(r, "officer add");
		if ((r = ct_read_file(&buf, &len, a.cert, 1 << 20)) != 0)
			return r;
		if ((r = gp_cert_parse(&cert, buf, len)) != 0) {
			r = cli_fail(r, a.cert);
			goto out;
		}
		if ((r = open_ra(&ctx, &ra, o, 0)) != 0)
			goto out;
		if ((r = gp_ra_officer_add(ra, a.name, role, cert, a.actor)) != 0) {
			r = cli_fail(r, "officer add");
			goto out;
		}
		if (!o->json)
			printf("officer %s added (%s)\n", a.name, gp_ra_role_name(role));
		else
			ct_print_json(json_pack("{s:s, s:s}", "name", a.name, "role", gp_ra_role_name(role)));
	} else if (strcmp(a.sub, "list") == 0) {
		if ((r = open_ra(&ctx, &ra, o, 1)) != 0)
			goto out;
		l.arr = json_array();
		if ((r = list_end(&l, gp_ra_officer_list(ra, print_officer, &l), "officer list")) != 0)
			goto out;
	} else if (strcmp(a.sub, "disable") == 0 || strcmp(a.sub, "enable") == 0) {
		int en = strcmp(a.sub, "enable") == 0;

		if (a.name == NULL)
			return cli_usage_error("officer %s needs --name", a.sub);
		if ((r = open_ra(&ctx, &ra, o, 0)) != 0)
			goto out;
		if ((r = gp_ra_officer_set_enabled(ra, a.name, en, a.actor)) != 0) {
			r = cli_fail(r, en ? "officer enable" : "officer disable");
			goto out;
		}
		if (!o->json)
			printf("officer %s %s\n", a.name, en ? "enabled" : "disabled");
	} else {
		return cli_usage_error("officer: unknown sub-command '%s' (add, list, disable, enable)", a.sub);
	}
	r = 0;
out:
	json_decref(l.arr);
	X509_free(cert);
	free(buf);
	gp_ra_free(ra);
	gp_ctx_free(ctx);
	return r;
}

#define EST_SECRET_PREFIX "est@"

static int
print_secret(void *arg, const gp_ra_token *tk)
{
	return strncmp(tk->name, EST_SECRET_PREFIX, strlen(EST_SECRET_PREFIX)) == 0 ?
	    print_token(arg, tk) : 0;
}

/* token create|list|revoke, and (est) est secret create|list|revoke: RA
 * tokens named est@USER for one profile, which ra-server's EST service
 * takes as HTTP Basic USER:SECRET. */
static int
run_tokens(opts *o, const ra_args *a, int est)
{
	const char *what = est ? "est secret" : "token";
	gp_ctx *ctx = NULL;
	gp_ra *ra = NULL;
	list_out l = { o->json, NULL };
	char *tok = NULL, name[GP_RA_MAX_NAME + 1], cmd[32];
	const char *profiles;
	int64_t id;
	int r;

	snprintf(cmd, sizeof(cmd), "%s %s", what, a->sub);
	if (strcmp(a->sub, "create") == 0) {
		if (est && a->profile == NULL)
			return cli_usage_error("est secret create needs --profile");
		if (!est && a->name == NULL)
			return cli_usage_error("token create needs --name");
		/* --profile (est's option) was taken as short for --profiles before */
		profiles = est ? a->profile : a->profiles ? a->profiles : a->profile ? a->profile : "*";
		if (est && strlen(a->name ? a->name : a->profile) + strlen(EST_SECRET_PREFIX) >
		    GP_RA_MAX_NAME)
			return cli_usage_error("%s: --name is too long", cmd);
		snprintf(name, sizeof(name), "%s%s", est ? EST_SECRET_PREFIX : "",
		    a->name ? a->name : a->profile);
		if ((r = open_ra(&ctx, &ra, o, 0)) != 0)
			goto out;
		if ((r = gp_ra_token_create(ra, &tok, &id, name, profiles,
		    (int64_t)time(NULL) + a->days * 86400, a->actor)) != 0) {
			r = cli_fail(r, cmd);
			goto out;
		}
		/* the token is shown this once; only its hash is kept */
		if (o->json && est)
			ct_print_json(json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "user",
			    name + strlen(EST_SECRET_PREFIX), "profile", profiles, "secret", tok));
		else if (o->json)
			ct_print_json(json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name,
			    "token", tok));
		else
			printf("%s\n", tok);
		fprintf(stderr, "ca-tool: %s %lld (%s) created; it is shown only now\n", what,
		    (long long)id, name);
	} else if (strcmp(a->sub, "list") == 0) {
		if ((r = open_ra(&ctx, &ra, o, 1)) != 0)
			goto out;
		l.arr = json_array();
		if ((r = list_end(&l, gp_ra_token_list(ra, est ? print_secret : print_token, &l),
		    cmd)) != 0)
			goto out;
	} else if (strcmp(a->sub, "revoke") == 0) {
		if (!a->has_id)
			return cli_usage_error("%s needs --id", cmd);
		if ((r = open_ra(&ctx, &ra, o, 0)) != 0)
			goto out;
		if ((r = gp_ra_token_revoke(ra, a->id, a->actor)) != 0) {
			r = cli_fail(r, cmd);
			goto out;
		}
		if (!o->json)
			printf("%s %ld revoked\n", what, a->id);
	} else {
		return cli_usage_error("%s: unknown sub-command '%s' (create, list, revoke)", what,
		    a->sub);
	}
	r = 0;
out:
	if (tok != NULL)
		gp_pass_free(tok, strlen(tok));
	json_decref(l.arr);
	gp_ra_free(ra);
	gp_ctx_free(ctx);
	return r;
}

static int
cmd_token(opts *o, int argc, char **argv)
{
	ra_args a;
	int r;

	if ((r = parse(&a, argc, argv, token_usage)) != 0)
		return r < 0 ? 0 : r;
	return run_tokens(o, &a, 0);
}

static int
cmd_est(opts *o, int argc, char **argv)
{
	ra_args a;
	int r;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_print_usage(stdout, est_usage);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "secret") != 0)
		return cli_usage_error("est: which one? (usage: ca-tool est --help)");
	optind = 1;
	if ((r = parse(&a, argc - 1, argv + 1, est_usage)) != 0)
		return r < 0 ? 0 : r;
	return run_tokens(o, &a, 1);
}

#define SCEP_CHALLENGE_PREFIX "scep@"

/* scep challenge: an RA token scep@NAME for one profile, which ra-server's
 * SCEP service takes once as a PKCSReq's challengePassword (ra/scep.c). */
static int
cmd_scep(opts *o, int argc, char **argv)
{
	gp_ctx *ctx = NULL;
	gp_ra *ra = NULL;
	ra_args a;
	char *tok = NULL, name[GP_RA_MAX_NAME + 1];
	int64_t id;
	int r, days_given = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--days") == 0 || strncmp(argv[i], "--days=", 7) == 0)
			days_given = 1;
	if ((r = parse(&a, argc, argv, scep_usage)) != 0)
		return r < 0 ? 0 : r;
	if (strcmp(a.sub, "challenge") != 0)
		return cli_usage_error("scep: unknown sub-command '%s' (challenge)", a.sub);
	if (a.profile == NULL)
		return cli_usage_error("scep challenge needs --profile");
	if (!days_given)
		a.days = 7;
	if (strlen(a.name ? a.name : a.profile) + strlen(SCEP_CHALLENGE_PREFIX) > GP_RA_MAX_NAME)
		return cli_usage_error("scep challenge: --name is too long");
	snprintf(name, sizeof(name), SCEP_CHALLENGE_PREFIX "%s", a.name ? a.name : a.profile);
	if ((r = open_ra(&ctx, &ra, o, 0)) != 0)
		goto out;
	if ((r = gp_ra_token_create(ra, &tok, &id, name, a.profile,
	    (int64_t)time(NULL) + a.days * 86400, a.actor)) != 0) {
		r = cli_fail(r, "scep challenge");
		goto out;
	}
	/* shown this once; only its hash is kept */
	if (o->json)
		ct_print_json(json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "name", name,
		    "profile", a.profile, "challenge", tok));
	else
		printf("%s\n", tok);
	fprintf(stderr, "ca-tool: scep challenge %lld (%s) created; it is shown only now and is "
	    "good once\n", (long long)id, name);
	r = 0;
out:
	if (tok != NULL)
		gp_pass_free(tok, strlen(tok));
	gp_ra_free(ra);
	gp_ctx_free(ctx);
	return r;
}

const command ca_tool_ra_commands[] = {
	{ "officer", cmd_officer, NULL, officer_usage, 1 },
	{ "token", cmd_token, NULL, token_usage, 1 },
	{ "est", cmd_est, NULL, est_usage, 1 },
	{ "scep", cmd_scep, NULL, scep_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
