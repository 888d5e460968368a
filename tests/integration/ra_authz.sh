#!/bin/bash
# ra_authz: the authorisation matrix.  Every role x every endpoint must
# answer with the status of the table below, which is written here from
# docs/ra-api.md's prose (201 for what creates, 200 for what answers, 401
# for a call without credentials where some are needed, 403 for a role the
# endpoint refuses): it is not taken from the server, so a change of the
# server's own table (ra/ra-authz.c) shows here as failures.  On the side,
# the table the server prints (--print-authz-table) must say the same as
# this one, and docs/ra-api.md must carry it.
. "$(dirname "$0")/ra_lib.sh"

# The status each endpoint answers to anonymous, applicant (an API token),
# officer (alice), admin (carol) and auditor (dave).  Each {id} is a fresh
# pending request of the token; each {serial} a certificate issued on a
# request of the token (a fresh one for each revocation, so that every
# revocation acts on a good certificate); the anonymous revocation carries
# the holder's proof of possession; the CA has published a CRL; the seal
# register holds the seal revoked.
ROLES=(anonymous applicant officer admin auditor)
cat > "$T/want.tsv" <<'TABLE'
GET	/healthz	200	200	200	200	200
GET	/metrics	401	403	403	200	200
GET	/api/v1/challenge	200	200	200	200	200
POST	/api/v1/requests	401	201	201	403	403
GET	/api/v1/requests	401	200	200	200	200
GET	/api/v1/requests/{id}	401	200	200	200	200
POST	/api/v1/requests/{id}/approve	401	403	200	200	403
POST	/api/v1/requests/{id}/reject	401	403	200	200	403
GET	/api/v1/certificates	401	403	200	200	200
GET	/api/v1/certificates/{serial}	401	200	200	200	200
POST	/api/v1/certificates/{serial}/revoke	200	201	201	201	403
GET	/api/v1/me	401	200	200	200	200
GET	/api/v1/audit	401	403	403	200	200
GET	/api/v1/ca	401	403	200	200	200
GET	/api/v1/seals	401	403	200	200	200
POST	/api/v1/seals/revoke	401	403	403	200	403
GET	/api/v1/ca/{name}/chain	200	200	200	200	200
GET	/api/v1/ca/{name}/crl	200	200	200	200	200
TABLE

"$RA_SERVER" --print-authz-table > "$T/authz.md"
"$RA_SERVER" --print-authz-table=tsv > "$T/authz.tsv"
if [ -f "$top_srcdir/docs/ra-api.md" ] && grep -qF -f "$T/authz.md" "$top_srcdir/docs/ra-api.md" &&
	[ "$(grep -cFx -f "$T/authz.md" "$top_srcdir/docs/ra-api.md")" -eq "$(wc -l < "$T/authz.md")" ]; then
	ok "docs/ra-api.md carries the authorisation table the server prints"
else
	not_ok "docs/ra-api.md does not carry the table of ra-server --print-authz-table"
fi
# the server's table in its tsv form (ok, 401, 403), from this one: an
# allowed cell is ok whatever its status
while IFS=$'\t' read -r method path s0 s1 s2 s3 s4; do
	st=("$s0" "$s1" "$s2" "$s3" "$s4")
	for r in 0 1 2 3 4; do
		case ${st[$r]} in 401|403) w=${st[$r]} ;; *) w=ok ;; esac
		printf '%s\t%s\t%s\t%s\n' "$method" "$path" "${ROLES[$r]}" "$w"
	done
done < "$T/want.tsv" > "$T/want-authz.tsv"
if diff "$T/want-authz.tsv" "$T/authz.tsv" > "$T/authz.diff"; then
	ok "ra-server --print-authz-table=tsv says what this test's table says"
else
	not_ok "ra-server --print-authz-table=tsv differs from this test's table"; show 10 "$T/authz.diff"
fi

# the OpenAPI file describes the same endpoints
if python3 -c "import yaml" 2>/dev/null; then
	rc=0
	missing=$(python3 - "$top_srcdir/docs/ra-api.yaml" "$T/want.tsv" <<'PY'
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
ct crl --ca issuing --out "$D/issuing.crl" >/dev/null
ra_seal "DEPT/7 A" dept

# new_request: a pending request of the token; its id in $id, its key in $KEY
new_request() {
	local n="m$RANDOM$RANDOM.example"
	csr_json ec-p256 "$n" "DNS:$n" > "$T/r.json"
	KEY=$LAST_KEY
	api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/r.json" > "$T/code"
	[ "$(cat "$T/code")" = 201 ] || { echo "# setup: submission got $(cat "$T/code")"; return 1; }
	id=$(json "j['id']")
}
# new_cert: a certificate issued on a request of the token (alice approves);
# its serial in $sn, its key in $KEY
new_cert() {
	new_request
	api alice POST "/api/v1/requests/$id/approve" > "$T/code"
	[ "$(cat "$T/code")" = 200 ] || { echo "# setup: approval got $(cat "$T/code")"; return 1; }
	sn=$(json "j['serial']")
}
new_cert

# body_for PATH WHO: a request body for each POST endpoint in $T/b.json (empty: none)
body_for() {
	case $1 in
	/api/v1/requests)
		local n="m$RANDOM$RANDOM.example"
		csr_json ec-p256 "$n" "DNS:$n" > "$T/b.json" ;;
	*/approve) : > "$T/b.json" ;;
	*/reject) echo '{"reason":"matrix"}' > "$T/b.json" ;;
	*/seals/revoke) echo '{"id":"DEPT/7 A","reason":"matrix"}' > "$T/b.json" ;;
	*/revoke)
		# the holder's proof for the anonymous caller; the others ask
		# officers to revoke (a pending revocation request)
		[ "$2" = anon ] || { echo '{"reason":"superseded"}' > "$T/b.json"; return 0; }
		api anon GET /api/v1/challenge >/dev/null
		chal=$(json "j['challenge']")
		printf 'govpki-revoke:%s:%s:superseded' "$chal" "$sn" > "$T/msg"
		openssl dgst -sha256 -sign "$KEY" -out "$T/sig" "$T/msg"
		python3 -c "import json,base64; print(json.dumps({'reason':'superseded','challenge':'$chal','signature':base64.b64encode(open('$T/sig','rb').read()).decode()}))" > "$T/b.json" ;;
	esac
}

while IFS=$'\t' read -r method path s0 s1 s2 s3 s4; do
	st=("$s0" "$s1" "$s2" "$s3" "$s4")
	for r in 0 1 2 3 4; do
		role=${ROLES[$r]} want=${st[$r]}
		case $role in anonymous) who=anon ;; applicant) who=app ;; officer) who=alice ;; admin) who=carol ;; auditor) who=dave ;; esac
		[[ $path == */revoke ]] && new_cert
		p=${path//\{name\}/issuing}
		p=${p//\{serial\}/$sn}
		[[ $p == *"{id}"* ]] && { new_request; p=${p//\{id\}/$id}; }
		if [ "$method" = POST ]; then
			body_for "$path" "$who"
			if [ -s "$T/b.json" ]; then
				got=$(api "$who" POST "$p" "${JSON[@]}" --data-binary @"$T/b.json")
			else
				got=$(api "$who" POST "$p")
			fi
		else
			got=$(api "$who" "$method" "$p")
		fi
		check "$role $method $path" "$want" "$got"
	done
done < "$T/want.tsv"

finish
