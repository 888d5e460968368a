/* tools/ca-tool.h: what ca-tool's command modules (tools/ca-tool-*.c) share */
#ifndef GP_CA_TOOL_H
#define GP_CA_TOOL_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/x509.h>

#include <govpki/govpki.h>

#include "cli.h"

typedef struct opts {
	const char *config, *home, *name, *parent, *subject, *key_type, *key;
	const char *profile, *pass_file, *parent_pass_file, *ca, *csr, *out;
	const char *batch, *out_dir, *san, *serial, *reason, *status, *actor;
	const char *url, *policy;
	const char *publish, *now;   /* crl --publish DIR, --now TIME */
	int shards;                  /* crl --shards DIR: publish, a sharded full CRL now */
	long days, threads, limit;
	const char *expiring;      /* list --expiring N[h|d|w] */
	int json, delta, pem, chain, cas;
	int create;          /* the command sets a home up (init, ceremony): it
	                        may create the store; others need one */
} opts;

typedef struct command {
	const char *name;
	int (*run)(opts *o, int argc, char **argv);
	const int *accepts;          /* 0-terminated option ids */
	const char *usage;
	int raw;                     /* 1: run gets argv from the command word on
	                                and parses its own options (getopt_long,
	                                optind already 1); o holds the global ones */
} command;


/* A command's sub-command ("seal list"): run gets argv from the sub-command
 * word on, optind already 1. */
typedef struct subcommand {
	const char *name;
	int (*run)(opts *o, int argc, char **argv);
} subcommand;

/* Each module's commands; a table ends with an entry whose name is NULL. */
extern const command ca_tool_key_commands[];
extern const command ca_tool_ra_commands[];
extern const command ca_tool_seal_commands[];
extern const command ca_tool_ocsp_commands[];
extern const command ca_tool_verify_commands[];
extern const command ca_tool_config_commands[];
extern const command ca_tool_acme_commands[];
extern const command ca_tool_cmp_commands[];
extern const command ca_tool_kmc_commands[];

/* Opens o's home read-write and its KMC with the passphrase of pass_file
 * (tools/ca-tool-kmc.c); prints its own message. */
int ct_kmc_open(gp_kmc **kmc, gp_ctx **ctx, const opts *o, const char *pass_file);
extern const command ca_tool_offline_commands[];

/* Helpers: each prints its own message and returns an exit code (0 = ok). */
/* Opens the home of o, read-only or read-write.  Unless o->create, a store
 * file that does not exist is "no store at PATH" (EXIT_NOTFOUND) and
 * nothing is created: neither the store nor the home folder. */
int ct_open_ctx(gp_ctx **ctx, const opts *o, int readonly);
/* For a command that may set a home up (init, csr, import-ca): opens it
 * as ct_open_ctx with o->create, noting what did not exist; ct_home_close
 * frees ctx and, when the command failed and the store holds no CA,
 * removes what the open created (the store, keys/ and the home). */
typedef struct ct_new_home {
	char *home, *store, *keys;
	int new_store, new_home, new_keys;
} ct_new_home;
int ct_home_open(gp_ctx **ctx, const opts *o, ct_new_home *nh);
void ct_home_close(ct_new_home *nh, gp_ctx *ctx, int failed);
int ct_read_pass(char **pass, size_t *len, const char *file, const char *prompt);
int ct_parse_serial(unsigned char *serial, size_t *len, const char *hex);
int ct_parse_long(long *out, const char *s, const char *what, long min, long max);
int ct_read_file(unsigned char **buf, size_t *len, const char *path, size_t max);
int ct_write_out(const char *path, const void *buf, size_t len);   /* "-" or NULL: stdout */
/* Opens path (see cli_out_open) before the commit whose result it gets;
 * after the commit, ct_out_commit writes it.  A failure then leaves the
 * store ahead of the file: the message says so with kept, what the store
 * has and how to get it ("certificate 1a2b is in the store: ..."). */
int ct_out_open(cli_out *out, const char *path);
int ct_out_commit(cli_out *out, const void *buf, size_t len, const char *kept);
int ct_cert_pem(char **out, size_t *len, X509 *x);                 /* malloc'ed PEM */
int ct_print_json(json_t *j);                                      /* prints and frees j */
void ct_serial_hex(char *out, const unsigned char *s, size_t len);
void ct_iso_time(char out[32], int64_t t);

/* ca-tool crl --publish (tools/ca-tool-publish.c). */
int ct_crl_publish(opts *o);

/* Runs the sub-command argv[1] of command argv[0] from subs (a table ending
 * with a NULL name).  Without one prints "usage: ca-tool USAGE" and returns
 * EXIT_USAGE; for -h or --help prints it and returns 0. */
int ct_run_subcommand(opts *o, int argc, char **argv, const subcommand *subs, const char *usage);

#endif
