#!/bin/bash
# tests/openapi.sh: docs/ra-api.yaml is a valid OpenAPI 3.1 document
# (swagger-parser from npm, an independent validator: scripts/test.sh
# installs it), uses no keyword that 3.1 dropped, and describes the routes
# ra-server serves: each route of ra-server --print-authz-table is in it,
# and each of its /api/ paths is one ra-server serves.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
spec=$top_srcdir/docs/ra-api.yaml
NPM_DIR=${GOVPKI_NPM_CACHE:-$HOME/.cache/govpki-npm}
export NPM_DIR
. "$top_srcdir/tests/tap.sh"
if ! command -v node >/dev/null || ! [ -d "$NPM_DIR/node_modules/@apidevtools/swagger-parser" ]; then
	# CI=true does not accept a skip
	if [ "${CI:-}" = true ]; then echo "not ok 1 - swagger-parser is not installed in $NPM_DIR"; exit 1; fi
	echo "1..0 # SKIP swagger-parser is not installed in $NPM_DIR (scripts/test.sh installs it)"; exit 77
fi
T=$(mktemp -d) && trap 'rm -rf "$T"' EXIT
if node "$top_srcdir/tests/openapi.js" "$spec" > "$T/ops"; then
	ok "docs/ra-api.yaml is valid OpenAPI"
else
	not_ok "docs/ra-api.yaml is valid OpenAPI"; sed -n '1,8s/^/#   /p' "$T/ops"
fi
v=$(sed -n 's/^openapi //p' "$T/ops")
case $v in 3.1.*) ok "it declares 3.1 ($v), which mutualTLS needs" ;; *) not_ok "it declares 3.1, which mutualTLS needs (it says '$v')" ;; esac
# 3.1 schemas are JSON Schema 2020-12: nullable is no keyword there, and a
# validator ignores it, so the null it meant would not be allowed
! grep -nE '(^|[{ ,])nullable:' "$spec" > "$T/nullable" && ok "no 3.0 nullable keyword" ||
	{ not_ok "no 3.0 nullable keyword (use type: [T, \"null\"])"; sed 's/^/#   /' "$T/nullable"; }
sed -n 's/^op //p' "$T/ops" | sort -u > "$T/spec.routes"
"$top_builddir/ra-server" --print-authz-table=tsv > "$T/authz" &&
	ok "ra-server prints its routes" || not_ok "ra-server prints its routes"
cut -f1,2 "$T/authz" | tr '\t' ' ' | sort -u > "$T/server.routes"
[ -s "$T/server.routes" ] && ok "$(wc -l < "$T/server.routes") routes served" || not_ok "no route served"
comm -23 "$T/server.routes" "$T/spec.routes" > "$T/undocumented"
[ -s "$T/undocumented" ] && { not_ok "every route served is in the spec"; sed 's/^/#   missing: /' "$T/undocumented"; } ||
	ok "every route served is in the spec"
grep ' /api/' "$T/spec.routes" > "$T/spec.api"
comm -13 "$T/server.routes" "$T/spec.api" > "$T/unserved"
[ -s "$T/unserved" ] && { not_ok "every /api/ route of the spec is served"; sed 's/^/#   not served: /' "$T/unserved"; } ||
	ok "every /api/ route of the spec is served"
# docs/svs-api.yaml and svs-server the same way: valid, 3.1, and the /api/
# routes of svs-server --print-routes are those of the spec
svs_spec=$top_srcdir/docs/svs-api.yaml
if node "$top_srcdir/tests/openapi.js" "$svs_spec" > "$T/svs.ops"; then
	ok "docs/svs-api.yaml is valid OpenAPI"
else
	not_ok "docs/svs-api.yaml is valid OpenAPI"; sed -n '1,8s/^/#   /p' "$T/svs.ops"
fi
case $(sed -n 's/^openapi //p' "$T/svs.ops") in 3.1.*) ok "docs/svs-api.yaml declares 3.1" ;; *) not_ok "docs/svs-api.yaml declares 3.1" ;; esac
! grep -nE '(^|[{ ,])nullable:' "$svs_spec" > "$T/nullable" && ok "docs/svs-api.yaml: no 3.0 nullable keyword" ||
	{ not_ok "docs/svs-api.yaml: no 3.0 nullable keyword"; sed 's/^/#   /' "$T/nullable"; }
sed -n 's/^op \(.* \/api\/.*\)/\1/p' "$T/svs.ops" | sort -u > "$T/svs.spec"
"$top_builddir/svs-server" --print-routes > "$T/svs.routes.tsv" &&
	ok "svs-server prints its routes" || not_ok "svs-server prints its routes"
cut -f1 "$T/svs.routes.tsv" | sort -u > "$T/svs.routes"
[ -s "$T/svs.routes" ] && cmp -s "$T/svs.routes" "$T/svs.spec" && ok "svs-server serves exactly the /api/ routes of docs/svs-api.yaml" ||
	{ not_ok "svs-server serves exactly the /api/ routes of docs/svs-api.yaml"; diff "$T/svs.routes" "$T/svs.spec" | sed 's/^/#   /'; }
finish
