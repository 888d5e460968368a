/* tools/ca-tool-verify.c: ca-tool verify: path validation of many certificates in one run */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <govpki/verify.h>
#include <govpki/x509util.h>

#include "ca-tool.h"
#include "cli.h"

static const char verify_usage[] =
	"verify --trust ROOTS [--untrusted CERTS]... [--crl FILE]... [OPTIONS] CERT|DIR...\n"
	"  Validates each CERT (PEM or DER; every file of each DIR) up to a trust anchor of\n"
	"  ROOTS (RFC 5280 §6 with OpenSSL, and govpki's rules: docs/verification.md).\n"
	"  --at TIME             as of TIME (YYYY-MM-DD[THH:MM:SSZ] or @UNIX), CRLs included\n"
	"  --purpose P           tls-server tls-client email code-signing ocsp timestamp any\n"
	"  --name NAME           a DNS name, IP address or e-mail the certificate must be for\n"
	"                        (RFC 9525: subjectAltName only, wildcard only left-most)\n"
	"  --revocation M        require (every CA and leaf needs a CRL or an OCSP answer;\n"
	"                        the default when a --crl is given), prefer (checked where\n"
	"                        a CRL or responder is given; the default without --crl), none\n"
	"  --ocsp URL|aia        ask OCSP (RFC 6960) too: the responder at the http:// URL\n"
	"                        about the leaf, or (aia) every certificate below the anchor\n"
	"                        that names one; the signer, CertID, nonce and times are\n"
	"                        checked; revoked, unknown and unreachable are invalid\n"
	"  --ocsp-soft-fail      an unreachable responder (or an error answer) leaves the\n"
	"                        status unknown, said in the verdict, instead of invalid\n"
	"  --ocsp-nonce M        send (default: a response with another nonce is refused),\n"
	"                        require (it must echo ours), none (send no nonce)\n"
	"  --ocsp-leeway S       clock skew allowed on thisUpdate/nextUpdate (default 300)\n"
	"  --ocsp-max-age S      age of a response without nextUpdate (default 300)\n"
	"  --ocsp-timeout S      seconds for one OCSP exchange (default 10)\n"
	"  --policy OID          the initial-policy-set (repeat; default anyPolicy), and\n"
	"  --explicit-policy --inhibit-policy-mapping --inhibit-any-policy (RFC 5280 §6.1.1)\n"
	"  --rules all|path      all (default) or only RFC 5280 §6 path validation (PKITS)\n"
	"  --rsa-min-bits N      smallest RSA key accepted (default 2048)\n"
	"  --max-depth N         intermediate certificates at most (default 32)\n"
	"  One line per certificate: FILE: OK on stdout (with what soft-fail waived), or\n"
	"  FILE: INVALID: the rule, its source, why, and the certificate (depth, subject)\n"
	"  on stderr; with --json one JSON object per line on stdout.\n"
	"  A delta CRL without its base CRL makes its issuer's certificates invalid. Exit 0\n"
	"  when all are valid, 7 when one is not, 4 when a file is not a certificate.";

struct list {
	const char **v;
	size_t n, cap;
};

static int
list_add(struct list *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		const char **nv = realloc(l->v, cap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

/* Every certificate of path (PEM, several; or one DER) onto sk. */
static int
load_certs(STACK_OF(X509) *sk, const char *path, int first_only)
{
	BIO *b;
	X509 *x;
	int n = 0;

	if ((b = BIO_new_file(path, "rb")) == NULL) {
		ERR_clear_error();
		fprintf(stderr, "%s: %s: %s\n", cli_prog, path, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	while ((!first_only || n == 0) && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
		n++;
	}
	if (n == 0 && BIO_reset(b) == 0 && (x = d2i_X509_bio(b, NULL)) != NULL) {
		if (sk_X509_push(sk, x))
			n++;
		else
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	if (n == 0) {
		fprintf(stderr, "%s: %s: not a certificate (PEM or DER)\n", cli_prog, path);
		return EXIT_REFUSED;
	}
	return 0;
}

static int
load_crls(STACK_OF(X509_CRL) *sk, const char *path)
{
	BIO *b;
	X509_CRL *c;
	int n = 0;

	if ((b = BIO_new_file(path, "rb")) == NULL) {
		ERR_clear_error();
		fprintf(stderr, "%s: %s: %s\n", cli_prog, path, strerror(errno));
		return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAIL;
	}
	while ((c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_CRL_push(sk, c)) {
			X509_CRL_free(c);
			break;
		}
		n++;
	}
	if (n == 0 && BIO_reset(b) == 0 && (c = d2i_X509_CRL_bio(b, NULL)) != NULL) {
		if (sk_X509_CRL_push(sk, c))
			n++;
		else
			X509_CRL_free(c);
	}
	ERR_clear_error();
	BIO_free(b);
	if (n == 0) {
		fprintf(stderr, "%s: %s: not a CRL (PEM or DER)\n", cli_prog, path);
		return EXIT_REFUSED;
	}
	return 0;
}

/* YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or @UNIX */
static int
parse_time(int64_t *out, const char *s)
{
	/* gp_time_parse: OpenSSL's calendar refuses 2026-02-30, 24:00:01 and a
	 * 60th second rather than move them to another day */
	if (gp_time_parse(out, s, GP_TIME_DATE | GP_TIME_DATETIME | GP_TIME_SECONDS) != 0)
		return cli_usage_error("verify: --at: %s", gp_error_last());
	if (*out <= 0)
		return cli_usage_error("verify: --at: '%s' is not after 1970", s);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir, sorted, appended to targets (paths malloc'ed into owned). */
static int
add_dir(struct list *targets, struct list *owned, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t first = targets->n;

	if (d == NULL) {
		fprintf(stderr, "%s: %s: %s\n", cli_prog, dir, strerror(errno));
		return EXIT_NOTFOUND;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		struct stat st;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		if ((p = malloc(len)) == NULL || list_add(owned, p) != 0) {
			free(p);
			closedir(d);
			return EXIT_FAIL;
		}
		snprintf(p, len, "%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && list_add(targets, p) != 0) {
			closedir(d);
			return EXIT_FAIL;
		}
	}
	closedir(d);
	qsort(targets->v + first, targets->n - first, sizeof(char *), cmp_str);
	return 0;
}

static void
print_result(const char *file, const gp_verdict *res, int json)
{
	if (json) {
		json_t *j = json_pack("{s:s, s:b, s:i, s:i}", "file", file, "valid", res->valid,
		    "chain_length", res->chain_len, "revocation_unknown", res->revocation_unknown);

		if (j != NULL && res->valid && res->rule[0] != '\0')
			json_object_set_new(j, "waived", json_pack("{s:s, s:s, s:s, s:i, s:s}",
			    "rule", res->rule, "source", res->source, "reason", res->reason,
			    "depth", res->depth, "subject", res->subject));
		if (j != NULL && !res->valid) {
			json_object_set_new(j, "rule", json_string(res->rule));
			json_object_set_new(j, "source", json_string(res->source));
			json_object_set_new(j, "reason", json_string(res->reason));
			json_object_set_new(j, "depth", json_integer(res->depth));
			json_object_set_new(j, "subject", json_string(res->subject));
		}
		if (j != NULL) {
			char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);

			if (s != NULL) {
				cli_json_printed();
				printf("%s\n", s);
			}
			free(s);
			json_decref(j);
		}
		return;
	}
	if (res->valid) {
		printf("%s: OK", file);
		if (res->revocation_unknown > 0)
			printf(" (revocation unknown for %d certificate%s)", res->revocation_unknown,
			    res->revocation_unknown == 1 ? "" : "s");
		if (res->rule[0] != '\0')
			printf(" (waived: %s (%s): %s; depth %d: %s)", res->rule, res->source, res->reason,
			    res->depth, res->subject[0] ? res->subject : "(empty subject)");
		printf("\n");
	} else if (res->depth >= 0) {
		fprintf(stderr, "%s: INVALID: %s (%s): %s; depth %d: %s\n", file, res->rule, res->source,
		    res->reason, res->depth, res->subject[0] ? res->subject : "(empty subject)");
	} else {
		fprintf(stderr, "%s: INVALID: %s (%s): %s\n", file, res->rule, res->source, res->reason);
	}
}

static int
cmd_verify(opts *o, int argc, char **argv)
{
	enum { T = 256, U, C, AT, PU, NA, RE, PO, EX, IM, IA, RU, RB, MD, JS, OC, OS, ON, OL, OM, OT };
	static const struct option lo[] = {
		{ "trust", required_argument, NULL, T },
		{ "untrusted", required_argument, NULL, U },
		{ "crl", required_argument, NULL, C },
		{ "at", required_argument, NULL, AT },
		{ "purpose", required_argument, NULL, PU },
		{ "name", required_argument, NULL, NA },
		{ "revocation", required_argument, NULL, RE },
		{ "policy", required_argument, NULL, PO },
		{ "explicit-policy", no_argument, NULL, EX },
		{ "inhibit-policy-mapping", no_argument, NULL, IM },
		{ "inhibit-any-policy", no_argument, NULL, IA },
		{ "rules", required_argument, NULL, RU },
		{ "rsa-min-bits", required_argument, NULL, RB },
		{ "max-depth", required_argument, NULL, MD },
		{ "json", no_argument, NULL, JS },
		{ "ocsp", required_argument, NULL, OC },
		{ "ocsp-soft-fail", no_argument, NULL, OS },
		{ "ocsp-nonce", required_argument, NULL, ON },
		{ "ocsp-leeway", required_argument, NULL, OL },
		{ "ocsp-max-age", required_argument, NULL, OM },
		{ "ocsp-timeout", required_argument, NULL, OT },
		CLI_HELP_OPT,
		{ NULL, 0, NULL, 0 } };
	struct list trust = { 0 }, untr = { 0 }, crlf = { 0 }, pols = { 0 }, targets = { 0 }, owned = { 0 };
	STACK_OF(X509) *anchors = sk_X509_new_null(), *pool = sk_X509_new_null(), *one = NULL;
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	gp_verifier *v = NULL;
	gp_verify_opts vo = GP_VERIFY_OPTS_INIT;
	gp_verdict res;
	int c, r = 0, json = o->json, worst = 0, rev_given = 0;
	long n;
	size_t i;

	if (anchors == NULL || pool == NULL || crls == NULL) {
		r = EXIT_FAIL;
		goto out;
	}
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case T: r = list_add(&trust, optarg); break;
		case U: r = list_add(&untr, optarg); break;
		case C: r = list_add(&crlf, optarg); break;
		case PO: r = list_add(&pols, optarg); break;
		case AT:
			if ((r = parse_time(&vo.at, optarg)) != 0)
				goto out;
			break;
		case PU:
			if (gp_purpose_from_name(&vo.purpose, optarg) != 0) {
				r = cli_usage_error("verify: %s", gp_error_last());
				goto out;
			}
			break;
		case RE:
			if (gp_revocation_from_name(&vo.revocation, optarg) != 0) {
				r = cli_usage_error("verify: %s", gp_error_last());
				goto out;
			}
			rev_given = 1;
			break;
		case NA: vo.name = optarg; break;
		case EX: vo.explicit_policy = 1; break;
		case IM: vo.inhibit_policy_mapping = 1; break;
		case IA: vo.inhibit_any_policy = 1; break;
		case JS: json = 1; break;
		case RU:
			if (strcmp(optarg, "all") == 0)
				vo.rules = GP_RULES_ALL;
			else if (strcmp(optarg, "path") == 0)
				vo.rules = GP_RULES_PATH;
			else {
				r = cli_usage_error("verify: --rules is all or path, not '%s'", optarg);
				goto out;
			}
			break;
		case OC: vo.ocsp = optarg; break;
		case OS: vo.ocsp_soft_fail = 1; break;
		case ON:
			if (strcmp(optarg, "send") == 0)
				vo.ocsp_nonce = GP_OCSP_NONCE_SEND;
			else if (strcmp(optarg, "require") == 0)
				vo.ocsp_nonce = GP_OCSP_NONCE_REQUIRE;
			else if (strcmp(optarg, "none") == 0)
				vo.ocsp_nonce = GP_OCSP_NONCE_NONE;
			else {
				r = cli_usage_error("verify: --ocsp-nonce is send, require or none, not '%s'", optarg);
				goto out;
			}
			break;
		case OL:
			if ((r = ct_parse_long(&n, optarg, "--ocsp-leeway", 1, 86400)) != 0)
				goto out;
			vo.ocsp_leeway = (int)n;
			break;
		case OM:
			if ((r = ct_parse_long(&n, optarg, "--ocsp-max-age", 1, 31 * 86400)) != 0)
				goto out;
			vo.ocsp_max_age = (int)n;
			break;
		case OT:
			if ((r = ct_parse_long(&n, optarg, "--ocsp-timeout", 1, 600)) != 0)
				goto out;
			vo.ocsp_timeout = (int)n;
			break;
		case RB:
			if ((r = ct_parse_long(&n, optarg, "--rsa-min-bits", 1024, 16384)) != 0)
				goto out;
			vo.rsa_min_bits = (int)n;
			break;
		case MD:
			if ((r = ct_parse_long(&n, optarg, "--max-depth", 1, 100)) != 0)
				goto out;
			vo.max_depth = (int)n;
			break;
		default:
			r = cli_help_or_bad_option(c, "verify", verify_usage, argv);
			goto out;
		}
		if (r != 0) {
			r = EXIT_FAIL;
			goto out;
		}
	}
	if (trust.n == 0 || optind >= argc) {
		r = cli_usage_error("verify needs --trust FILE and at least one certificate or folder");
		goto out;
	}
	for (i = 0; i < trust.n; i++)
		if ((r = load_certs(anchors, trust.v[i], 0)) != 0)
			goto out;
	for (i = 0; i < untr.n; i++)
		if ((r = load_certs(pool, untr.v[i], 0)) != 0)
			goto out;
	for (i = 0; i < crlf.n; i++)
		if ((r = load_crls(crls, crlf.v[i])) != 0)
			goto out;
	for (; optind < argc; optind++) {
		struct stat st;

		if (stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode))
			r = add_dir(&targets, &owned, argv[optind]);
		else
			r = list_add(&targets, argv[optind]) == 0 ? 0 : EXIT_FAIL;
		if (r != 0)
			goto out;
	}
	/* CRLs given: every certificate of the path needs one, unless told */
	if (!rev_given && crlf.n > 0)
		vo.revocation = GP_REVOCATION_REQUIRE;
	if (pols.n > 0) {
		if (list_add(&pols, NULL) != 0) {
			r = EXIT_FAIL;
			goto out;
		}
		vo.policies = pols.v;
	}
	if (gp_verifier_new(&v, anchors, pool, crls, &vo) != 0) {
		r = cli_fail(gp_error_last_code(), "verify");
		goto out;
	}
	for (i = 0; i < targets.n; i++) {
		int rc;

		if ((one = sk_X509_new_null()) == NULL) {
			r = EXIT_FAIL;
			goto out;
		}
		if ((rc = load_certs(one, targets.v[i], 1)) != 0) {
			worst = rc > worst ? rc : worst;
		} else if ((rc = gp_verifier_check(v, sk_X509_value(one, 0), &res)) == 0 ||
		    rc == GP_E_VERIFY) {
			print_result(targets.v[i], &res, json);
			if (!res.valid && worst < EXIT_VERIFY)
				worst = EXIT_VERIFY;
		} else {
			rc = cli_fail(rc, targets.v[i]);
			worst = rc > worst ? rc : worst;
		}
		sk_X509_pop_free(one, X509_free);
		one = NULL;
	}
	r = worst;
out:
	if (fflush(stdout) != 0 && r == 0)
		r = EXIT_FAIL;
	gp_verifier_free(v);
	sk_X509_pop_free(one, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_pop_free(pool, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	for (i = 0; i < owned.n; i++)
		free((char *)owned.v[i]);
	free(owned.v);
	free(trust.v);
	free(untr.v);
	free(crlf.v);
	free(pols.v);
	free(targets.v);
	return r;
}

const command ca_tool_verify_commands[] = {
	{ "verify", cmd_verify, NULL, verify_usage, 1 },
	{ NULL, NULL, NULL, NULL, 0 }
};
