/* tools/ca-tool-config.c: ca-tool's config commands: show (the effective configuration) and check */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <govpki/ocsp.h>

#include "ca-tool.h"
#include "cli.h"

static const char config_usage[] =
	"config show [FILE] | config check [FILE]\n"
	"  show: prints the configuration in effect: every section the file sets, with\n"
	"  the line it starts on, and every profile (built-in or configured) with all\n"
	"  its keys and where it comes from (built-in, or FILE:LINE). The output is a\n"
	"  configuration file that loads as the same profiles.\n"
	"  check: makes every check ca-tool makes when it starts (unknown sections and\n"
	"  keys, values, profiles, [ocsp]) and names the file and line of the first\n"
	"  fault; exit 0 when there is none. The daemons check their own sections\n"
	"  ([ra], [acme], ...) when they start.\n"
	"  FILE defaults to --config; without either, the built-in defaults.";

/* Loads FILE (the sub-command's argument) or --config, and checks it. */
static int
config_open(gp_config **cfg, const opts *o, int argc, char **argv, const char *what)
{
	static const struct option lo[] = { CLI_HELP_OPT, { NULL, 0, NULL, 0 } };
	gp_ocsp_settings set;
	const char *path = o->config;
	int c, r;

	*cfg = NULL;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		return cli_help_or_bad_option(c, what, config_usage, argv);
	if (argc - optind > 1)
		return cli_usage_error("%s: unexpected argument '%s'", what, argv[optind + 1]);
	if (optind < argc)
		path = argv[optind];
	/* [ocsp] is read by the library's responder, outside ca/ */
	if ((r = gp_config_load(cfg, path)) != 0 || (r = gp_config_check(*cfg)) != 0 ||
	    (r = gp_ocsp_settings_load(&set, *cfg)) != 0) {
		gp_config_free(*cfg);
		*cfg = NULL;
		return cli_fail(r, what);
	}
	return 0;
}

/* A value written so that NCONF reads it back unchanged: its escape
 * character, variable references, comments and quotes escaped. */
static void
put_value(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (strchr("\\$#\"'", *v) != NULL)
			fputc('\\', f);
		fputc(*v, f);
	}
}

static int
put_key_text(void *arg, const char *key, const char *value)
{
	(void)arg;
	printf("%s =%s", key, *value != '\0' ? " " : "");
	put_value(stdout, value);
	putchar('\n');
	return 0;
}

static int
put_key_json(void *arg, const char *key, const char *value)
{
	return json_object_set_new(arg, key, json_string(value)) == 0 ? 0 : GP_E_NOMEM;
}

static int
count_key(void *arg, const char *key, const char *value)
{
	(void)key;
	(void)value;
	++*(size_t *)arg;
	return 0;
}

struct show {
	const gp_config *cfg;
	json_t *sections;    /* NULL: text */
};

/* The sections of the file, as set there; profiles come resolved below. */
static int
show_section(void *arg, const char *section, const char *rest)
{
	struct show *s = arg;
	json_t *keys;
	int line = gp_config_line(s->cfg, section, NULL);

	size_t n = 0;

	(void)rest;
	if (strncmp(section, "profile.", 8) == 0)
		return 0;
	(void)gp_config_keys(s->cfg, section, count_key, &n);
	if (n == 0)
		return 0;      /* [default] of a file that sets nothing there */
	if (s->sections == NULL) {
		printf("\n[%s]", section);
		if (line > 0)
			printf("  # %s:%d", gp_config_path(s->cfg), line);
		putchar('\n');
		return gp_config_keys(s->cfg, section, put_key_text, NULL);
	}
	if ((keys = json_object()) == NULL ||
	    json_object_set_new(s->sections, section, json_pack("{s:i, s:o}", "line", line,
	    "keys", keys)) != 0)
		return GP_E_NOMEM;
	return gp_config_keys(s->cfg, section, put_key_json, keys);
}

static int
config_show(opts *o, int argc, char **argv)
{
	gp_profiles *ps = NULL;
	gp_config *cfg = NULL;
	json_t *j = NULL, *profs = NULL;
	struct show s = { 0 };
	size_t i;
	int r;

	if ((r = config_open(&cfg, o, argc, argv, "config show")) != 0)
		return r;
	if ((r = gp_profiles_load(&ps, cfg)) != 0) {
		r = cli_fail(r, "config show");
		goto out;
	}
	s.cfg = cfg;
	if (o->json) {
		if ((j = json_pack("{s:s, s:{}, s:[]}", "file", gp_config_path(cfg), "sections",
		    "profiles")) == NULL) {
			r = cli_fail(GP_E_NOMEM, "config show");
			goto out;
		}
		s.sections = json_object_get(j, "sections");
		profs = json_object_get(j, "profiles");
	} else {
		printf("# the configuration in effect: %s\n", gp_config_path(cfg));
		printf("# (ca-tool config show: sections as set there, every profile resolved)\n");
	}
	if ((r = gp_config_sections(cfg, "", show_section, &s)) != 0) {
		r = cli_fail(r, "config show");
		goto out;
	}
	for (i = 0; i < gp_profiles_count(ps); i++) {
		const gp_profile *p = gp_profiles_at(ps, i);
		json_t *set;

		if (profs == NULL) {
			printf("\n[profile.%s]\n# from: %s\ninherit = none\n", gp_profile_name(p),
			    gp_profile_source(p));
			r = gp_profile_settings(p, put_key_text, NULL);
		} else if ((set = json_object()) == NULL ||
		    json_array_append_new(profs, json_pack("{s:s, s:s, s:o}", "name",
		    gp_profile_name(p), "source", gp_profile_source(p), "settings", set)) != 0) {
			r = GP_E_NOMEM;
		} else {
			r = gp_profile_settings(p, put_key_json, set);
		}
		if (r != 0) {
			r = cli_fail(r, "config show");
			goto out;
		}
	}
	if (j != NULL) {
		r = ct_print_json(j);
		j = NULL;
	}
out:
	json_decref(j);
	gp_profiles_free(ps);
	gp_config_free(cfg);
	return r;
}

static int
config_check(opts *o, int argc, char **argv)
{
	gp_profiles *ps = NULL;
	gp_config *cfg = NULL;
	size_t n = 0;
	int r;

	if ((r = config_open(&cfg, o, argc, argv, "config check")) != 0)
		return r;
	if ((r = gp_profiles_load(&ps, cfg)) != 0) {
		r = cli_fail(r, "config check");
		goto out;
	}
	n = gp_profiles_count(ps);
	if (o->json)
		r = ct_print_json(json_pack("{s:b, s:s, s:I}", "ok", 1, "file", gp_config_path(cfg),
		    "profiles", (json_int_t)n));
	else
		printf("%s: configuration OK (%zu profiles)\n", gp_config_path(cfg), n);
out:
	gp_profiles_free(ps);
	gp_config_free(cfg);
	return r;
}

static const subcommand config_subcommands[] = {
	{ "show", config_show },
	{ "check", config_check },
	{ NULL, NULL }
};

/* "config SUBCOMMAND [FILE]": argv[0] is "config" */
static int
cmd_config(opts *o, int argc, char **argv)
{
	return ct_run_subcommand(o, argc, argv, config_subcommands, config_usage);
}

const command ca_tool_config_commands[] = {
	{ "config", cmd_config, NULL, config_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
