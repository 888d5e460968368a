#!/bin/bash
# ra_authz: the authorisation matrix.  Every role x every endpoint, from the
# table the server itself prints (--print-authz-table=tsv), must answer as
# the table says: a denied anonymous call 401, a denied role 403, an allowed
# call neither.  docs/ra-api.md must carry the same table (--print-authz-table).
. "$(dirname "$0")/ra_lib.sh"

"$RA_SERVER" --print-authz-table > "$T/authz.md"
"$RA_SERVER" --print-authz-table=tsv > "$T/authz.tsv"
if [ -f "$top_srcdir/docs/ra-api.md" ] && grep -qF -f "$T/authz.md" "$top_srcdir/docs/ra-api.md" &&
	[ "$(grep -cFx -f "$T/authz.md" "$top_srcdir/docs/ra-api.md")" -eq "$(wc -l < "$T/authz.md")" ]; then
	ok "docs/ra-api.md carries the authorisation table the code enforces"
else
	not_ok "docs/ra-api.md does not carry the table of ra-server --print-authz-table"
fi
rows=$(wc -l < "$T/authz.tsv")
[ "$rows" -eq $(( $(grep -c '^| `' "$T/authz.md") * 5 )) ] && ok "tsv and md list the same endpoints ($rows cells)" || not_ok "tsv and md differ"

# the OpenAPI file describes the same endpoints
if python3 -c "import yaml" 2>/dev/null; then
	rc=0
	missing=$(python3 - "$top_srcdir/docs/ra-api.yaml" "$T/authz.tsv" <<'PY'
import sys, yaml
paths = yaml.safe_load(open(sys.argv[1]))['paths']
for line in open(sys.argv[2]):
    m, p = line.split('\t')[:2]
    if m.lower() not in paths.get(p, {}):
        print(m, p)
PY
) || rc=$?
	[ "$rc" -eq 0 ] && [ -z "$missing" ] && ok "docs/ra-api.yaml has every endpoint of the table" || not_ok "ra-api.yaml lacks: $missing (python3 exit $rc)"
else
	skip "python3-yaml is not installed (scripts/test.sh installs it): docs/ra-api.yaml not compared with the table"
fi

ra_setup
ra_start
JSON=(-H 'Content-Type: application/json')
csr_json ec-p256 "m.example" "DNS:m.example" > "$T/req.json"
KEY=$LAST_KEY
api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/req.json" >/dev/null
id=$(json "j['id']")
api alice POST /api/v1/requests/$id/approve >/dev/null
sn=$(json "j['serial']")

# a request body for each POST endpoint (revocation: with the holder's proof,
# so that the anonymous row can succeed too)
body_for() {
	case $1 in
	/api/v1/requests)
		csr_json ec-p256 "m$RANDOM.example" "DNS:m$RANDOM.example" > "$T/b.json" ;;
	*/approve) : > "$T/b.json" ;;
	*/reject) echo '{"reason":"matrix"}' > "$T/b.json" ;;
	*/revoke)
		api anon GET /api/v1/challenge >/dev/null
		chal=$(json "j['challenge']")
		printf 'govpki-revoke:%s:%s:superseded' "$chal" "$sn" > "$T/msg"
		openssl dgst -sha256 -sign "$KEY" -out "$T/sig" "$T/msg"
		python3 -c "import json,base64; print(json.dumps({'reason':'superseded','challenge':'$chal','signature':base64.b64encode(open('$T/sig','rb').read()).decode()}))" > "$T/b.json" ;;
	esac
}

while IFS=$'\t' read -r method path role want; do
	who=$role
	case $role in anonymous) who=anon ;; applicant) who=app ;; officer) who=alice ;; admin) who=carol ;; auditor) who=dave ;; esac
	p=${path//\{name\}/issuing}
	p=${p//\{serial\}/$sn}
	if [[ $p == *"{id}"* ]]; then
		# a fresh pending request for each call, so allowed calls can act on it
		csr_json ec-p256 "r$RANDOM.example" "DNS:r$RANDOM.example" > "$T/r.json"
		api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/r.json" >/dev/null
		p=${p//\{id\}/$(json "j['id']")}
	fi
	if [ "$method" = POST ]; then
		body_for "$path"
		if [ -s "$T/b.json" ]; then
			got=$(api "$who" POST "$p" "${JSON[@]}" --data-binary @"$T/b.json")
		else
			got=$(api "$who" POST "$p")
		fi
	else
		got=$(api "$who" "$method" "$p")
	fi
	case $want in
	ok) if [ "$got" != 401 ] && [ "$got" != 403 ] && [ "$got" -lt 500 ]; then ok "$role $method $path: allowed ($got)";
	    else not_ok "$role $method $path: want allowed, got $got"; head -c 300 "$T/body" | sed 's/^/#   /'; echo; fi ;;
	*) check "$role $method $path: $want" "$want" "$got" ;;
	esac
done < "$T/authz.tsv"

finish
