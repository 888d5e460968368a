/* ra/ra-authz.c: the one authorisation table of ra-server (endpoint x role), routing, and its printed forms */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ra_server.h"

const char *const ra_role_names[ROLE__N] = {
	"anonymous", "applicant", "officer", "admin", "auditor",
};

#define A (1u << ROLE_ANONYMOUS)
#define P (1u << ROLE_APPLICANT)
#define O (1u << ROLE_OFFICER)
#define D (1u << ROLE_ADMIN)
#define U (1u << ROLE_AUDITOR)
#define ALL (A | P | O | D | U)

/*
 * Who may call what.  The dispatcher (ra-http.c) checks this table before
 * any handler runs: a caller without credentials where the row needs some
 * gets 401, a caller whose role is not in the row 403.  What depends on
 * the object (an applicant sees its own requests; nobody approves its own
 * request) the handlers ask of the library (gp_ra_may_*, govpki/ra.h) with
 * the caller's principal.  docs/ra-api.md carries the table printed by
 * `ra-server --print-authz-table`, and tests/integration/ra_authz.sh calls
 * every endpoint with every role from `--print-authz-table=tsv`.
 */
const endpoint ra_endpoints[] = {
	{ "GET", "/healthz", h_healthz, ALL, 0, "liveness and store check" },
	{ "GET", "/metrics", h_metrics, D | U, 0, "Prometheus text format" },
	{ "GET", "/api/v1/challenge", h_challenge, ALL, 0, "a challenge for proof of possession" },
	{ "POST", "/api/v1/requests", h_submit, P | O, 2, "submit a CSR (tokens: within their profiles)" },
	{ "GET", "/api/v1/requests", h_list_requests, P | O | D | U, 0, "applicants see their own" },
	{ "GET", "/api/v1/requests/{id}", h_get_request, P | O | D | U, 0, "applicants see their own" },
	{ "POST", "/api/v1/requests/{id}/approve", h_approve, O | D, 1, "never one's own request" },
	{ "POST", "/api/v1/requests/{id}/reject", h_reject, O | D, 2, "with a reason" },
	{ "GET", "/api/v1/certificates", h_list_certs, O | D | U, 0, "filters and pages" },
	{ "GET", "/api/v1/certificates/{serial}", h_get_cert, P | O | D | U, 0, "JSON, PEM or DER by Accept" },
	{ "POST", "/api/v1/certificates/{serial}/revoke", h_revoke, A | P | O | D, 2,
	  "applicants: their own certificates; anonymous: only with proof of possession (else 401)" },
	{ "GET", "/api/v1/me", h_me, P | O | D | U, 0, "the caller: name, role and what it may call" },
	{ "GET", "/api/v1/audit", h_audit, D | U, 0, "audit entries, filters and pages, the chain's status" },
	{ "GET", "/api/v1/ca", h_ca_list, O | D | U, 0, "every CA: chain fingerprints, latest CRL" },
	{ "GET", "/api/v1/seals", h_seals, O | D | U, 0, "the seal register" },
	{ "POST", "/api/v1/seals/revoke", h_seal_revoke, D, 2, "revoke a seal of the register (its esID in the body)" },
	{ "GET", "/api/v1/ca/{name}/chain", h_ca_chain, ALL, 0, "PEM chain" },
	{ "GET", "/api/v1/ca/{name}/crl", h_ca_crl, ALL, 0, "latest full CRL, DER" },
};
const size_t ra_nendpoints = sizeof(ra_endpoints) / sizeof(ra_endpoints[0]);

/* Matches url against a pattern segment by segment; a {x} segment takes
 * any non-empty segment (checked by the handler) into param. */
static int
match(const char *pat, const char *url, char *param, size_t plen)
{
	while (*pat && *url) {
		if (*pat == '{') {
			const char *pe = strchr(pat, '}'), *ue = strchr(url, '/');
			size_t n = ue ? (size_t)(ue - url) : strlen(url);

			if (pe == NULL || n == 0 || n >= plen)
				return 0;
			memcpy(param, url, n);
			param[n] = '\0';
			pat = pe + 1;
			url += n;
			continue;
		}
		if (*pat != *url)
			return 0;
		pat++;
		url++;
	}
	return *pat == '\0' && *url == '\0';
}

int
ra_route(const char *method, const char *url, char *param, size_t plen, int *path_ok,
    char *allow, size_t allowlen)
{
	int found = -1;

	*path_ok = 0;
	allow[0] = '\0';
	param[0] = '\0';
	for (size_t i = 0; i < ra_nendpoints; i++) {
		char p[256];

		if (!match(ra_endpoints[i].path, url, p, sizeof(p)))
			continue;
		*path_ok = 1;
		if (strlen(allow) + 8 < allowlen) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, ra_endpoints[i].method);
		}
		if (strcmp(ra_endpoints[i].method, method) == 0 && found < 0) {
			found = (int)i;
			snprintf(param, plen, "%s", p);
		}
	}
	return found;
}

/* format "md" (default): the Markdown table of docs/ra-api.md; "tsv": one
 * line per endpoint and role with the expected outcome (ok, 401, 403). */
int
ra_print_authz(FILE *f, const char *format)
{
	if (format == NULL || strcmp(format, "md") == 0) {
		fprintf(f, "| Endpoint |");
		for (int r = 0; r < ROLE__N; r++)
			fprintf(f, " %s |", ra_role_names[r]);
		fprintf(f, " Notes |\n|---|");
		for (int r = 0; r < ROLE__N; r++)
			fprintf(f, "---|");
		fprintf(f, "---|\n");
		for (size_t i = 0; i < ra_nendpoints; i++) {
			fprintf(f, "| `%s %s` |", ra_endpoints[i].method, ra_endpoints[i].path);
			for (int r = 0; r < ROLE__N; r++)
				fprintf(f, " %s |", ra_endpoints[i].roles & (1u << r) ? "yes" : "-");
			fprintf(f, " %s |\n", ra_endpoints[i].note);
		}
		return 0;
	}
	if (strcmp(format, "tsv") == 0) {
		for (size_t i = 0; i < ra_nendpoints; i++)
			for (int r = 0; r < ROLE__N; r++)
				fprintf(f, "%s\t%s\t%s\t%s\n", ra_endpoints[i].method, ra_endpoints[i].path,
				    ra_role_names[r], ra_endpoints[i].roles & (1u << r) ? "ok" :
				    r == ROLE_ANONYMOUS ? "401" : "403");
		return 0;
	}
	return -1;
}
