#!/bin/bash
# ra_load: 8 parallel clients submit and approve 1,000 requests over HTTPS
# (RA_LOAD_N to change).  Afterwards every request is in a final state,
# every issued certificate is in the store with a distinct serial, the
# audit chain verifies, and SIGTERM stops the server with exit status 0.
. "$(dirname "$0")/ra_lib.sh"

N=${RA_LOAD_N:-1000}
# a run of no requests would pass every count below: at least one
[ "$N" -ge 1 ] 2>/dev/null || { echo "RA_LOAD_N must be a number of at least 1, not '$N'" >&2; exit 99; }
ra_setup "rate_limit = 0"
ra_start
mkdir -p "$D/csrs"
"$top_builddir/tests/gencsr" ec-p256 "$N" "$D/csrs" >/dev/null
python3 "$top_srcdir/tests/bench/ra_loadgen.py" --port "$PORT" --cacert "$D/root.pem" \
	--token "$TOKEN" --cert "$D/alice.crt" --key "$D/alice.key" --csr-dir "$D/csrs" \
	--n "$N" --clients 8 --profile tls-server --fetch > "$T/load.json" || not_ok "load generator failed"
r() { python3 -c "import json; j=json.load(open('$T/load.json')); print($1)"; }
check "no HTTP errors" 0 "$(r "j['nerrors']")"
[ "$(r "j['nerrors']")" = 0 ] || r "'\n'.join(map(str, j['errors'][:5]))" | sed 's/^/#   /'
check "every request issued" "$N" "$(r "j['statuses'].get('issued', 0)")"
check "distinct serials handed out" "$N" "$(r "len(set(j['serials']))")"
r "j['latency_ms']" | sed "s/^/# latency ms: /"
echo "# $(r "'%d issued in %.2f s: %.0f/s' % (len(j['serials']), j['wall'], j['issued_per_s'])")"

kill -TERM "$RA_PID"
rc=0; wait "$RA_PID" || rc=$?
RA_PID=
check "SIGTERM: exit status 0" 0 "$rc"

DB="$GOVPKI_HOME/govpki.db"
check "no request left pending or approved" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE status IN (0, 1)")"
check "every request of the run is issued" "$N" "$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE status = 2")"
check "each issued request has a certificate in the store" "$N" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM ra_request r JOIN cert c ON c.serial = r.serial AND c.ca_id = (SELECT id FROM ca WHERE name = 'issuing') WHERE r.status = 2")"
# one query, so that a failing sqlite3 (empty answer) cannot compare equal to itself
check "serials distinct in the store" 1 "$(sqlite3 "$DB" "SELECT count(*) = count(DISTINCT hex(serial)) AND count(*) > $N FROM cert")"
r "'\n'.join(j['serials'])" | sort > "$T/served"
sqlite3 "$DB" "SELECT lower(hex(c.serial)) FROM ra_request r JOIN cert c ON c.serial = r.serial WHERE r.status = 2" | sort > "$T/stored"
cmp -s "$T/served" "$T/stored" && ok "the serials served are the serials stored" || not_ok "served and stored serials differ"
check "one ra.issued audit entry per certificate" "$N" "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'ra.issued'")"
expect "ca-tool audit verify" ct audit verify
grep -q "stopping" "$T/server.log" && ok "server logged its stop" || not_ok "server logged its stop"

# SIGTERM under load: the requests in flight finish; nothing is left half-done
ra_start
rm -rf "$D/csrs2"; mkdir -p "$D/csrs2"
"$top_builddir/tests/gencsr" ec-p256 400 "$D/csrs2" >/dev/null
base=$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE status = 2")
python3 "$top_srcdir/tests/bench/ra_loadgen.py" --port "$PORT" --cacert "$D/root.pem" \
	--token "$TOKEN" --cert "$D/alice.crt" --key "$D/alice.key" --csr-dir "$D/csrs2" \
	--n 400 --clients 8 --profile tls-server > "$T/load2.json" &
LG=$!
# bounded poll on the store (state, not time): stop once 50 more are issued;
# a server that issues nothing under load fails here, not vacuously below
issued=0
for _ in $(seq 1 1000); do
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE status = 2")" -ge $((base + 50)) ] && { issued=1; break; }
	kill -0 "$LG" 2>/dev/null || break
	sleep 0.01
done
[ "$issued" = 1 ] && ok "50 more issued under load before the SIGTERM" || not_ok "fewer than 50 issued under load before the SIGTERM"
kill -TERM "$RA_PID"
rc=0; wait "$RA_PID" || rc=$?
RA_PID=
# the load generator reports the server going away as errors and exits 0
lg=0; wait "$LG" || lg=$?
check "load generator finished (its report is complete)" 0 "$lg"
check "SIGTERM under load: exit status 0" 0 "$rc"
check "no request left approved (half carried out)" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE status = 1")"
ids=$(python3 -c "import json; print(','.join(str(i) for i in json.load(open('$T/load2.json'))['issued_ids']) or '0')")
n_ok=$(python3 -c "import json; print(len(json.load(open('$T/load2.json'))['issued_ids']))")
[ "$n_ok" -ge 1 ] && ok "approvals answered 'issued' under load ($n_ok)" || not_ok "no approval was answered 'issued' under load"
check "every approval answered 'issued' is issued in the store ($n_ok)" "$n_ok" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE status = 2 AND id IN ($ids)")"
expect "audit verify after the stop under load" ct audit verify

finish
