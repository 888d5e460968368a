#!/bin/bash
# access_log (issue 20.6): the access log of ocsp-responder and tsa-server
# (ra-server's: ra_access_log.sh).  [daemon] access_log and
# access_log_format, or --access-log and --access-log-format; a line per
# request, in the Common Log Format or as JSON lines that jq parses; never
# the query, the Authorization header or a cookie; a path that holds a
# quote or a newline cannot forge a line; off writes nothing; SIGHUP
# reopens the file (log rotation); a bad setting is refused with its line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
. "$(dirname "$0")/seal_lib.sh"
trap '[ -n "$RPID" ] && kill "$RPID" 2>/dev/null; [ -n "${TSA_PID:-}" ] && kill "$TSA_PID" 2>/dev/null; rm -rf "$T"' EXIT

setup_pki ec-p256
d="$T/pki"
CLF='^127\.0\.0\.1 - - \[[0-3][0-9]/[A-Z][a-z]{2}/[0-9]{4}:[0-2][0-9]:[0-5][0-9]:[0-6][0-9] \+0000\] "[A-Z]+ [^ "]+ HTTP/1\.[01]" [1-5][0-9]{2} ([0-9]+|-)$'

# lines FILE: its line count; json_lines FILE: the lines jq parses, one
# JSON object each (a line that is not JSON makes jq fail)
lines() { wc -l < "$1" | tr -d ' '; }
json_lines() { jq -c 'select(type == "object")' "$1" | wc -l | tr -d ' '; }

# ---- bad settings -----------------------------------------------------------
# (with a --listen that does not parse, checked after them: a setting
# wrongly accepted fails on the address with another message, never runs)
printf '[daemon]\naccess_log_format = xml\n' > "$T/bad.cnf"
expect_fail "access_log_format = xml is refused with its line" 1 "bad.cnf:2: access_log_format" \
	"$RESPONDER" --config "$T/bad.cnf" --listen nowhere $PASS
printf '[daemon]\naccess_log = %s/%%d.log\n' "$T" > "$T/bad.cnf"
expect_fail "access_log with a %d is refused" 1 "access_log in \[daemon\]" \
	"$RESPONDER" --config "$T/bad.cnf" --listen nowhere $PASS
printf '[daemon]\naccess_lg = x\n' > "$T/bad.cnf"
expect_fail "a misspelt [daemon] key is refused" 1 "access_lg" \
	"$RESPONDER" --config "$T/bad.cnf" --listen nowhere $PASS
expect_fail "an access log that cannot be opened" 1 "access log $T/no/such/dir" \
	"$RESPONDER" --listen nowhere --access-log "$T/no/such/dir/x.log" $PASS

# ---- ocsp-responder, JSON lines from [daemon] -------------------------------
printf '[daemon]\naccess_log = %s/%%s.log\naccess_log_format = json\n' "$T" > "$T/json.cnf"
start_responder --config "$T/json.cnf" $PASS || { not_ok "responder starts"; finish; exit 1; }
LOG="$T/ocsp-responder.log"
[ -f "$LOG" ] && ok "%s in access_log: $LOG" || not_ok "no $LOG"
expect "openssl ocsp POST" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem"
openssl ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -reqout "$T/good.req" >/dev/null
b64=$(base64 -w0 "$T/good.req" | sed 's/+/%2B/g; s,/,%2F,g; s/=/%3D/g')
curl -s -o /dev/null "$URL/$b64"
curl -s -o /dev/null "$URL/$b64"
curl -s -o /dev/null "$URL/healthz?token=SECRET-QUERY" -H "Authorization: Bearer SECRET-BEARER" \
	-H "Cookie: s=SECRET-COOKIE"
curl -s -o /dev/null "$URL/crl/a%22b%0ac.crl"
curl -s -o /dev/null -X DELETE "$URL/"
curl -s -o /dev/null -I "$URL/healthz"
expect "the responder stops" stop_responder
show 10 "$LOG"
[ "$(lines "$LOG")" = 7 ] && ok "7 requests, 7 lines" || not_ok "7 requests, $(lines "$LOG") lines"
[ "$(json_lines "$LOG")" = 7 ] && ok "every line is a JSON object (jq)" || not_ok "lines that are not JSON"
! grep -q SECRET "$LOG" && ok "no query, Authorization or cookie in the log" || not_ok "a secret is in the log"
jq -r '[.method, .path, .status, .protocol, .remote, .daemon] | @tsv' "$LOG" > "$T/fields"
show 10 "$T/fields"
grep -Pq '^POST\t/\t200\tHTTP/1\.[01]\t127\.0\.0\.1\tocsp-responder$' "$T/fields" && ok "the POST: method, path, status, remote" ||
	not_ok "the POST line"
[ "$(grep -Pc '^GET\t/MF[^\t]*\t200\t' "$T/fields")" = 2 ] && ok "two OCSP GETs, 200" || not_ok "two OCSP GETs"
grep -Pq '^GET\t/healthz\t200\t' "$T/fields" && ok "the path without its query" || not_ok "/healthz line"
grep -Pq '^GET\t/crl/a"b\\nc.crl\t400\t' "$T/fields" && ok "a quote and a newline in the path: escaped, one line, 400" ||
	not_ok "the escaped path"
grep -Pq '^DELETE\t/\t405\t' "$T/fields" && ok "DELETE: 405" || not_ok "DELETE: 405"
[ "$(jq -r 'select(.method == "HEAD") | .bytes' "$LOG")" = 0 ] && ok "HEAD: 0 bytes" || not_ok "HEAD bytes"
[ "$(jq -r 'select(.method == "POST") | .bytes > 0 and .duration_ms >= 0' "$LOG")" = true ] &&
	ok "bytes and duration_ms" || not_ok "bytes and duration_ms"
jq -r .time "$LOG" > "$T/times"
[ "$(grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' "$T/times")" = 7 ] &&
	ok "times in RFC 3339 UTC" || not_ok "times"

# ---- ocsp-responder, CLF from the options; SIGHUP reopens ---------------------
start_responder --access-log "$T/clf.log" --access-log-format clf $PASS || { not_ok "responder starts"; finish; exit 1; }
curl -s -o /dev/null "$URL/healthz"
curl -s -o /dev/null "$URL/crl/nope.crl?pin=SECRET-QUERY"
mv "$T/clf.log" "$T/clf.log.1"
curl -s -o /dev/null "$URL/metrics"   # still into the renamed file
kill -HUP "$RPID"
for _ in $(seq 200); do grep -q "reloaded" "$T/responder.err" && break; sleep 0.05; done
curl -s -o /dev/null "$URL/healthz"
expect "the responder stops" stop_responder
show 5 "$T/clf.log.1" "$T/clf.log"
[ "$(lines "$T/clf.log.1")" = 3 ] && [ "$(grep -Ec "$CLF" "$T/clf.log.1")" = 3 ] &&
	ok "3 lines in the Common Log Format before the SIGHUP" || not_ok "CLF lines before SIGHUP"
grep -q '"GET /crl/nope.crl HTTP/1.1" 404 ' "$T/clf.log.1" && ! grep -q SECRET "$T/clf.log.1" &&
	ok "CLF: a 404, without its query" || not_ok "CLF 404"
[ "$(lines "$T/clf.log")" = 1 ] && grep -Eq "$CLF" "$T/clf.log" && grep -q '"GET /healthz HTTP/1.1" 200 ' "$T/clf.log" &&
	ok "after SIGHUP: the line goes to a new file" || not_ok "after SIGHUP"

# ---- off -----------------------------------------------------------------------
mkdir "$T/kept"
mv "$T"/*.log "$T/kept/"
printf '[daemon]\naccess_log = off\n' > "$T/off.cnf"
start_responder --config "$T/off.cnf" $PASS || { not_ok "responder starts"; finish; exit 1; }
curl -s -o /dev/null "$URL/healthz"
expect "the responder stops" stop_responder
[ "$(count_files "$T" '*.log')" = 0 ] && ok "access_log = off: no log file" || not_ok "access_log = off wrote a file"

# ---- tsa-server ---------------------------------------------------------------
ta="$T/tsa"; mkdir -p "$ta"
GOVPKI_HOME="$ta/home" mkca ec-p256 "$ta" tsaroot
GOVPKI_HOME="$ta/home" mkcert ec-p256 "$ta" tsaroot tsa-signer "$ta/tsa" "Time-Stamp Authority"
expect_fail "tsa-server: --access-log-format xml" 2 "clf or json" \
	"$TSA_SERVER" --cert "$ta/tsa.pem" --key "$ta/tsa.key" --access-log "$T/t.log" --access-log-format xml
start_tsa "$ta/tsa.pem" "$ta/tsa.key" --access-log "$T/tsa-access.log" --access-log-format json ||
	{ not_ok "tsa-server starts"; finish; exit 1; }
trap '[ -n "$TSA_PID" ] && kill "$TSA_PID" 2>/dev/null; rm -rf "$T"' EXIT
openssl ts -query -data "$T/pass" -sha256 -cert -out "$T/q.tsq" 2>/dev/null
curl -s -o "$T/r.tsr" -H "Content-Type: application/timestamp-query" --data-binary "@$T/q.tsq" "$TSA_URL"
curl -s -o /dev/null "$TSA_URL"
stop_tsa
TSA_PID=
show 5 "$T/tsa-access.log"
[ "$(lines "$T/tsa-access.log")" = 2 ] && [ "$(json_lines "$T/tsa-access.log")" = 2 ] &&
	ok "tsa-server: 2 requests, 2 JSON lines" || not_ok "tsa-server lines"
[ "$(jq -r 'select(.method == "POST") | [.daemon, .path, .status, .bytes == '"$(stat -c %s "$T/r.tsr")"'] | @tsv' "$T/tsa-access.log")" = \
	"$(printf 'tsa-server\t/tsa\t200\ttrue')" ] && ok "tsa-server: POST /tsa 200 with the reply's size" ||
	not_ok "tsa-server POST line"
[ "$(jq -r 'select(.method == "GET") | .status' "$T/tsa-access.log")" = 405 ] && ok "tsa-server: GET 405" ||
	not_ok "tsa-server GET line"
finish
