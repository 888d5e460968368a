#!/bin/bash
# ra_pg: the RA workflow on a PostgreSQL store (issue 19): ca-tool officer
# and token, ra-server issuing an approved request, dual control of a CA
# certificate, and two ra-server nodes on one database whose officers
# approve one request at the same moment: counted once each, issued once.
# Checked with openssl, curl and psql; the audit chain verifies.
. "$(dirname "$0")/ra_lib.sh"
. "$(dirname "$0")/pg_lib.sh"

pg_start
RA2_PID=
cleanup() {
	ra_stop
	[ -n "$RA2_PID" ] && kill "$RA2_PID" 2>/dev/null && wait "$RA2_PID" 2>/dev/null
	pg_stop
	rm -rf "$T"
}
trap cleanup EXIT
STORE="${GOVPKI_PG_URI}ra"
printf '[govpki]\nstore = %s\n' "$STORE" > "$T/pg.cnf"
ct() { "$CA_TOOL" --config "$T/pg.cnf" "$@"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d ra -c "$1"; }

ra_setup "$(printf '\n[govpki]\nstore = %s' "$STORE")"
check "officers on PostgreSQL (psql)" "alice bob carol dave" "$(q "SELECT string_agg(name, ' ' ORDER BY name) FROM ra_officer")"
check "tokens stored as hashes (psql)" 2 "$(q "SELECT count(*) FROM ra_token WHERE octet_length(hash) = 32")"
ra_start
trap cleanup EXIT       # ra_start set its own
JSON=(-H 'Content-Type: application/json')

# --- one request, one approval, issued; the certificate verifies
csr_json ec-p256 pg.example "DNS:pg.example" > "$T/ee.json"
check "an application submits a request: 201" 201 "$(api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/ee.json")"
eid=$(json "j['id']")
check "... stored as a row (psql)" 0 "$(q "SELECT status FROM ra_request WHERE id = $eid")"
check "an officer approves: 200" 200 "$(api alice POST /api/v1/requests/$eid/approve)"
check "... issued" issued "$(json "j['status']")"
esn=$(json "j.get('serial', 'none')")
api alice GET "/api/v1/certificates/$esn" -H 'Accept: application/pem-certificate-chain' >/dev/null
if openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T/body" >"$T/v.out" 2>&1; then
	ok "openssl verifies the certificate ra-server issued from PostgreSQL"
else not_ok "openssl verify"; show 5 "$T/v.out"; fi

# --- dual control: two officers, one node
csr_json ec-p256 "PG Sub" "" sub-ca > "$T/sub.json"
check "an officer submits a sub-ca request: 201" 201 "$(api alice POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/sub.json")"
sid=$(json "j['id']")
check "... needs 2 approvals" 2 "$(json "j['approvals_needed']")"
check "another officer approves" 200 "$(api bob POST /api/v1/requests/$sid/approve)"
check "... still pending" pending "$(json "j['status']")"
check "the same officer again: refused" 409 "$(api bob POST /api/v1/requests/$sid/approve)"
check "... one approval row (psql)" 1 "$(q "SELECT count(*) FROM ra_approval WHERE request_id = $sid")"
check "a second one approves" 200 "$(api carol POST /api/v1/requests/$sid/approve)"
check "... issued" issued "$(json "j['status']")"

# --- two nodes on one database, two officers approving at the same moment
rm -f "$T/port2"
"$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0 --port-file "$T/port2" 2>"$T/server2.log" &
RA2_PID=$!
for _ in $(seq 1 500); do
	[ -s "$T/port2" ] && break
	kill -0 "$RA2_PID" 2>/dev/null || break
	sleep 0.02
done
if [ -s "$T/port2" ]; then ok "a second ra-server node starts on the same database"
else not_ok "second node"; show 5 "$T/server2.log"; fi
URL2="https://127.0.0.1:$(cat "$T/port2")"
certs0=$(q "SELECT count(*) FROM cert")
ok_races=0
for round in 1 2 3; do
	csr_json ec-p256 "PG Race $round" "" sub-ca > "$T/race.json"
	api alice POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/race.json" >/dev/null
	rid=$(json "j['id']")
	curl -s -o "$T/a.body" -w '%{http_code}' --cacert "$D/root.pem" --cert "$D/bob.crt" --key "$D/bob.key" \
		-X POST "$URL/api/v1/requests/$rid/approve" >"$T/a.code" &
	apid=$!
	curl -s -o "$T/b.body" -w '%{http_code}' --cacert "$D/root.pem" --cert "$D/carol.crt" --key "$D/carol.key" \
		-X POST "$URL2/api/v1/requests/$rid/approve" >"$T/b.code" &
	bpid=$!
	wait "$apid" "$bpid"
	st=$(q "SELECT status FROM ra_request WHERE id = $rid")
	na=$(q "SELECT count(*) FROM ra_approval WHERE request_id = $rid")
	if [ "$(cat "$T/a.code")" = 200 ] && [ "$(cat "$T/b.code")" = 200 ] && [ "$na" = 2 ] && [ "$st" = 2 ]; then
		ok_races=$((ok_races + 1))
	else
		not_ok "round $round: bob $(cat "$T/a.code"), carol $(cat "$T/b.code"), $na approvals, status $st"
		show 3 "$T/a.body" "$T/b.body"
	fi
done
check "three races on two nodes: both approvals counted, each request issued" 3 "$ok_races"
check "... exactly one certificate per raced request" $((certs0 + 3)) "$(q "SELECT count(*) FROM cert")"
check "no serial stored twice (psql)" 0 "$(q "SELECT count(*) FROM (SELECT ca_id, serial FROM cert GROUP BY 1, 2 HAVING count(*) > 1) d")"
ra_stop
kill -TERM "$RA2_PID" && wait "$RA2_PID"
RA2_PID=
expect "audit verify on the PostgreSQL store" ct audit verify
grep -q "audit chain intact" "$T/stdout" && ok "... intact, requests, officers and tokens accounted for" ||
	{ not_ok "audit verify said"; show 3 "$T/stdout"; }
finish
