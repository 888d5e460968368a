/* tests/unit/test_config.c: unit tests of the configuration file (lib/config.c) */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <govpki/config.h>
#include <govpki/error.h>

static char tmpdir[] = "/tmp/gp-test-config-XXXXXX";

/* Writes text to tmpdir/name and returns the path (static buffer). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static gp_config *
load_text(const char *text)
{
	gp_config *cfg = NULL;

	assert_int_equal(gp_config_load(&cfg, write_file("t.cnf", text)), 0);
	assert_non_null(cfg);
	return cfg;
}

static const char sample[] =
    "# govpki test configuration\n"          /* 1 */
    "top = 1\n"                               /* 2 */
    "\n"                                      /* 3 */
    "[store]\n"                               /* 4 */
    "path = /var/lib/govpki/store.db\n"       /* 5 */
    "  busy_timeout_ms = 5000   \n"           /* 6 */
    "wal = yes\n"                             /* 7 */
    "[ profile.tls-server ]\n"                /* 8 */
    "max_days=398\n"                          /* 9 */
    "[profile.person_x]\n"                    /* 10 */
    "dir = /srv\n"                            /* 11 */
    "file = $dir/x\n"                         /* 12 */
    "max_days = 10\n"                         /* 13 */
    "[ra]\n"                                  /* 14 */
    "neg = -5\n"                              /* 15 */
    "big = 99999999999999999999999\n"         /* 16 */
    "junk = 12abc\n"                          /* 17 */
    "spacey = 1 2\n"                          /* 18 */
    "plus = +3\n"                             /* 19 */
    "empty =\n"                               /* 20 */
    "t1 = TRUE\n"                             /* 21 */
    "t2 = on\n"                               /* 22 */
    "f1 = Off\n"                              /* 23 */
    "f2 = 0\n"                                /* 24 */
    "maybe = perhaps\n"                       /* 25 */
    "wal = no\n"                              /* 26: other section */
    "neg = -7\n";                             /* 27: repeated key */

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/t.cnf", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/u.cnf", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

/* A file loads; values are read from exactly their section. */
static void
test_load_and_str(void **state)
{
	gp_config *cfg = load_text(sample);

	(void)state;
	assert_string_equal(gp_config_str(cfg, "store", "path", NULL),
	    "/var/lib/govpki/store.db");
	assert_string_equal(gp_config_str(cfg, "store", "busy_timeout_ms", NULL),
	    "5000");
	assert_string_equal(gp_config_str(cfg, "profile.person_x", "file", NULL),
	    "/srv/x");
	/* a top-level key does not leak into other sections */
	assert_string_equal(gp_config_str(cfg, "default", "top", NULL), "1");
	assert_null(gp_config_str(cfg, "store", "top", NULL));
	assert_string_equal(gp_config_str(cfg, "store", "missing", "dflt"), "dflt");
	assert_string_equal(gp_config_str(cfg, "nosuch", "path", "d"), "d");
	/* a repeated key: the last one wins */
	assert_string_equal(gp_config_str(cfg, "ra", "neg", NULL), "-7");
	assert_string_equal(gp_config_path(cfg), write_file("t.cnf", sample));
	gp_config_free(cfg);
}

/* NULL path: an empty configuration where every key takes its default. */
static void
test_load_null(void **state)
{
	gp_config *cfg = NULL;
	long n = 1;
	int b = 0;

	(void)state;
	assert_int_equal(gp_config_load(&cfg, NULL), 0);
	assert_string_equal(gp_config_path(cfg), "(built-in defaults)");
	assert_int_equal(gp_config_has_section(cfg, "store"), 0);
	assert_string_equal(gp_config_str(cfg, "store", "path", "x"), "x");
	assert_int_equal(gp_config_long(&n, cfg, "store", "n", 42, 0, 100), 0);
	assert_int_equal(n, 42);
	assert_int_equal(gp_config_bool(&b, cfg, "store", "b", 1), 0);
	assert_int_equal(b, 1);
	assert_int_equal(gp_config_line(cfg, "store", "path"), 0);
	gp_config_free(cfg);
	gp_config_free(NULL);
}

/* A syntax error names the file and the line. */
static void
test_syntax_error(void **state)
{
	gp_config *cfg = (gp_config *)1;
	const char *path = write_file("t.cnf", "[a]\nx = 1\n\nthis line has no equals\n");
	char want[PATH_MAX + 32];

	(void)state;
	assert_int_equal(gp_config_load(&cfg, path), GP_E_CONFIG);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:4: syntax error", path);
	assert_non_null(strstr(gp_error_last(), want));
	/* an unclosed section header */
	path = write_file("t.cnf", "x = 1\n[broken\ny = 2\n");
	assert_int_equal(gp_config_load(&cfg, path), GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:2: syntax error", path);
	assert_non_null(strstr(gp_error_last(), want));
	/* an undefined variable */
	path = write_file("t.cnf", "[a]\nx = $nosuch/y\n");
	assert_int_equal(gp_config_load(&cfg, path), GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:2:", path);
	assert_non_null(strstr(gp_error_last(), want));
}

/* A section no reader knows is GP_E_CONFIG naming its line; "p.*" covers
 * every [p.NAME]; a section whose keys are used as $sec::key is values, not
 * settings, and passes; [default] always does (issue 20.3). */
static void
test_check_sections(void **state)
{
	static const char *const known[] = { "govpki", "profile.*", NULL };
	gp_config *cfg = NULL;
	const char *path;
	char want[PATH_MAX + 64];

	(void)state;
	path = write_file("t.cnf", "top = 1\n[govpki]\nhome = /x\n[profile.a]\nmax_days = 1\n"
	    "[urls]\nbase = http://pki.example\n[profile.b]\ncrl_url = $urls::base/b.crl\n");
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_config_check_sections(cfg, known), 0);
	gp_config_free(cfg);
	/* misspelt: [govpkl], and [profile] without a name is no [profile.*] */
	path = write_file("t.cnf", "[govpki]\nhome = /x\n\n[ govpkl ]\nhome = /y\n");
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_config_check_sections(cfg, known), GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:4: unknown section [govpkl]", path);
	assert_non_null(strstr(gp_error_last(), want));
	gp_config_free(cfg);
	path = write_file("t.cnf", "[profile]\nx = 1\n");
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_config_check_sections(cfg, known), GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:1: unknown section [profile]", path);
	assert_non_null(strstr(gp_error_last(), want));
	gp_config_free(cfg);
	/* ${sec::key} counts as a use too; a mere mention in a comment does not */
	path = write_file("t.cnf", "[v]\nb = 1\n[govpki]\nhome = /h${v::b}\n[w]\nc = 2\n# w::c\n");
	assert_int_equal(gp_config_load(&cfg, path), 0);
	assert_int_equal(gp_config_check_sections(cfg, known), GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:5: unknown section [w]", path);
	assert_non_null(strstr(gp_error_last(), want));
	gp_config_free(cfg);
	assert_int_equal(gp_config_check_sections(NULL, known), GP_E_INVALID);
	/* no file: only [default] */
	assert_int_equal(gp_config_load(&cfg, NULL), 0);
	assert_int_equal(gp_config_check_sections(cfg, known), 0);
	gp_config_free(cfg);
}

/* A missing file is GP_E_NOTFOUND naming it; NULL out is refused. */
static void
test_missing_file(void **state)
{
	gp_config *cfg = (gp_config *)1;
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/nosuch.cnf", tmpdir);
	assert_int_equal(gp_config_load(&cfg, path), GP_E_NOTFOUND);
	assert_null(cfg);
	assert_non_null(strstr(gp_error_last(), path));
	assert_int_equal(gp_config_load(NULL, path), GP_E_INVALID);
	/* a directory is not a configuration file */
	assert_int_not_equal(gp_config_load(&cfg, tmpdir), 0);
	assert_null(cfg);
}

/* A file with a NUL byte is refused rather than half-read. */
static void
test_nul_byte(void **state)
{
	gp_config *cfg = (gp_config *)1;
	char path[PATH_MAX];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/u.cnf", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite("a = 1\n\0b = 2\n", 1, 13, f), 13);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(gp_config_load(&cfg, path), GP_E_CONFIG);
	assert_null(cfg);
}

static int
collect(void *arg, const char *section, const char *rest)
{
	char *buf = arg;

	strcat(buf, section);
	strcat(buf, "=");
	strcat(buf, rest);
	strcat(buf, ";");
	return 0;
}

static int
stop_early(void *arg, const char *section, const char *rest)
{
	int *n = arg;

	(void)section;
	(void)rest;
	(*n)++;
	return GP_E_EXISTS;
}

/* Sections are listed by prefix in sorted order; '.' and '-' work in names. */
static void
test_sections(void **state)
{
	gp_config *cfg = load_text(sample);
	char buf[512] = "";
	int n = 0;

	(void)state;
	assert_int_equal(gp_config_has_section(cfg, "store"), 1);
	assert_int_equal(gp_config_has_section(cfg, "profile.tls-server"), 1);
	assert_int_equal(gp_config_has_section(cfg, "profile"), 0);
	assert_int_equal(gp_config_has_section(cfg, NULL), 0);
	assert_int_equal(gp_config_has_section(NULL, "store"), 0);
	assert_int_equal(gp_config_sections(cfg, "profile.", collect, buf), 0);
	assert_string_equal(buf,
	    "profile.person_x=person_x;profile.tls-server=tls-server;");
	buf[0] = '\0';
	assert_int_equal(gp_config_sections(cfg, "nomatch.", collect, buf), 0);
	assert_string_equal(buf, "");
	/* a callback's error stops the walk and is returned */
	assert_int_equal(gp_config_sections(cfg, "", stop_early, &n), GP_E_EXISTS);
	assert_int_equal(n, 1);
	assert_int_equal(gp_config_sections(cfg, NULL, collect, buf), GP_E_INVALID);
	assert_int_equal(gp_config_sections(cfg, "x", NULL, buf), GP_E_INVALID);
	gp_config_free(cfg);
}

/* Lines are found per section, spaces tolerated, last assignment wins. */
static void
test_line(void **state)
{
	gp_config *cfg = load_text(sample);

	(void)state;
	assert_int_equal(gp_config_line(cfg, "default", "top"), 2);
	assert_int_equal(gp_config_line(cfg, "store", "path"), 5);
	assert_int_equal(gp_config_line(cfg, "store", "busy_timeout_ms"), 6);
	assert_int_equal(gp_config_line(cfg, "store", "wal"), 7);
	assert_int_equal(gp_config_line(cfg, "ra", "wal"), 26);
	assert_int_equal(gp_config_line(cfg, "profile.tls-server", "max_days"), 9);
	assert_int_equal(gp_config_line(cfg, "profile.person_x", "max_days"), 13);
	assert_int_equal(gp_config_line(cfg, "ra", "neg"), 27);
	assert_int_equal(gp_config_line(cfg, "ra", "nosuch"), 0);
	assert_int_equal(gp_config_line(cfg, "nosuch", "path"), 0);
	assert_int_equal(gp_config_line(NULL, "store", "path"), 0);
	assert_int_equal(gp_config_line(cfg, NULL, "path"), 0);
	gp_config_free(cfg);
}

/* Continued lines and comments do not confuse the line search. */
static void
test_line_continuation(void **state)
{
	gp_config *cfg = load_text(
	    "[a]\n"
	    "x = one \\\n"
	    "  y = two\n"
	    "# z = 3\n"
	    "z = 4\n");

	(void)state;
	assert_string_equal(gp_config_str(cfg, "a", "x", NULL), "one   y = two");
	assert_null(gp_config_str(cfg, "a", "y", NULL));
	assert_int_equal(gp_config_line(cfg, "a", "x"), 2);
	assert_int_equal(gp_config_line(cfg, "a", "y"), 0);
	assert_int_equal(gp_config_line(cfg, "a", "z"), 5);
	gp_config_free(cfg);
}

/* Integers parse strictly: whole string, in range, with file:line. */
static void
test_long(void **state)
{
	gp_config *cfg = load_text(sample);
	char want[PATH_MAX + 64];
	long n = 0;

	(void)state;
	assert_int_equal(gp_config_long(&n, cfg, "store", "busy_timeout_ms", 1,
	    0, 60000), 0);
	assert_int_equal(n, 5000);
	assert_int_equal(gp_config_long(&n, cfg, "ra", "neg", 0, -10, 10), 0);
	assert_int_equal(n, -7);
	assert_int_equal(gp_config_long(&n, cfg, "ra", "absent", 17, 0, 10), 0);
	assert_int_equal(n, 17);
	/* out of range, both ends */
	assert_int_equal(gp_config_long(&n, cfg, "store", "busy_timeout_ms", 1,
	    0, 4999), GP_E_CONFIG);
	assert_int_equal(n, 0);
	snprintf(want, sizeof(want), "%s:6: busy_timeout_ms in [store]",
	    gp_config_path(cfg));
	assert_non_null(strstr(gp_error_last(), want));
	assert_non_null(strstr(gp_error_last(), "out of range"));
	assert_int_equal(gp_config_long(&n, cfg, "ra", "neg", 0, 0, 10), GP_E_CONFIG);
	/* overflow */
	assert_int_equal(gp_config_long(&n, cfg, "ra", "big", 0, LONG_MIN,
	    LONG_MAX), GP_E_CONFIG);
	/* not numbers */
	assert_int_equal(gp_config_long(&n, cfg, "ra", "junk", 0, 0, 1000),
	    GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:17: junk in [ra]", gp_config_path(cfg));
	assert_non_null(strstr(gp_error_last(), want));
	assert_non_null(strstr(gp_error_last(), "not a whole number"));
	assert_int_equal(gp_config_long(&n, cfg, "ra", "spacey", 0, 0, 1000),
	    GP_E_CONFIG);
	assert_int_equal(gp_config_long(&n, cfg, "ra", "plus", 0, 0, 1000),
	    GP_E_CONFIG);
	assert_int_equal(gp_config_long(&n, cfg, "ra", "empty", 0, 0, 1000),
	    GP_E_CONFIG);
	assert_int_equal(gp_config_long(&n, cfg, "ra", "t1", 0, 0, 1000),
	    GP_E_CONFIG);
	assert_int_equal(gp_config_long(NULL, cfg, "ra", "neg", 0, 0, 1000),
	    GP_E_INVALID);
	gp_config_free(cfg);
}

/* Booleans: yes/no/true/false/on/off/1/0 in any case, nothing else. */
static void
test_bool(void **state)
{
	gp_config *cfg = load_text(sample);
	char want[PATH_MAX + 64];
	int b = -1;

	(void)state;
	assert_int_equal(gp_config_bool(&b, cfg, "store", "wal", 0), 0);
	assert_int_equal(b, 1);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "wal", 1), 0);
	assert_int_equal(b, 0);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "t1", 0), 0);
	assert_int_equal(b, 1);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "t2", 0), 0);
	assert_int_equal(b, 1);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "f1", 1), 0);
	assert_int_equal(b, 0);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "f2", 1), 0);
	assert_int_equal(b, 0);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "absent", 1), 0);
	assert_int_equal(b, 1);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "maybe", 1), GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:25: maybe in [ra]", gp_config_path(cfg));
	assert_non_null(strstr(gp_error_last(), want));
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "empty", 1), GP_E_CONFIG);
	assert_int_equal(gp_config_bool(&b, cfg, "ra", "neg", 1), GP_E_CONFIG);
	assert_int_equal(gp_config_bool(NULL, cfg, "ra", "neg", 1), GP_E_INVALID);
	gp_config_free(cfg);
}

/* Unknown keys are named with file, line and section. */
static void
test_check_keys(void **state)
{
	static const char *const store_keys[] = { "path", "busy_timeout_ms",
	    "wal", NULL };
	static const char *const few[] = { "path", NULL };
	static const char *const none[] = { NULL };
	gp_config *cfg = load_text(sample);
	char want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(gp_config_check_keys(cfg, "store", store_keys), 0);
	assert_int_equal(gp_config_check_keys(cfg, "store", few), GP_E_CONFIG);
	snprintf(want, sizeof(want), "%s:6: unknown key 'busy_timeout_ms' in [store]",
	    gp_config_path(cfg));
	assert_string_equal(gp_error_last(), want);
	assert_int_equal(gp_config_check_keys(cfg, "profile.tls-server", none),
	    GP_E_CONFIG);
	snprintf(want, sizeof(want),
	    "%s:9: unknown key 'max_days' in [profile.tls-server]",
	    gp_config_path(cfg));
	assert_string_equal(gp_error_last(), want);
	/* an absent section has no unknown keys */
	assert_int_equal(gp_config_check_keys(cfg, "nosuch", none), 0);
	assert_int_equal(gp_config_check_keys(cfg, "store", NULL), GP_E_INVALID);
	gp_config_free(cfg);
}

/* gp_config_keys walks a section's keys in the file's order. */
static int
collect_kv(void *arg, const char *key, const char *value)
{
	char *buf = arg;
	size_t len = strlen(buf);

	snprintf(buf + len, 256 - len, "%s=%s;", key, value);
	return strcmp(key, "stop") == 0 ? GP_E_IO : 0;
}

static void
test_keys(void **state)
{
	gp_config *cfg = load_text("[a]\nzeta = 1\nalpha = two words\nmid = \\$x\n"
	    "[b]\nx = 1\nstop = 2\nnever = 3\n");
	char buf[256] = "";

	(void)state;
	assert_int_equal(gp_config_keys(cfg, "a", collect_kv, buf), 0);
	assert_string_equal(buf, "zeta=1;alpha=two words;mid=$x;");
	buf[0] = '\0';
	assert_int_equal(gp_config_keys(cfg, "b", collect_kv, buf), GP_E_IO);
	assert_string_equal(buf, "x=1;stop=2;");
	buf[0] = '\0';
	assert_int_equal(gp_config_keys(cfg, "nosuch", collect_kv, buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(gp_config_keys(NULL, "a", collect_kv, buf), GP_E_INVALID);
	assert_int_equal(gp_config_keys(cfg, "a", NULL, buf), GP_E_INVALID);
	gp_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_str),
		cmocka_unit_test(test_load_null),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_line_continuation),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_check_sections),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
