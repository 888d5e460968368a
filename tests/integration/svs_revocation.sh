#!/bin/bash
# tests/integration/svs_revocation.sh: svs-server fetches the CRLs that
# certificates name (cRLDistributionPoints) from a test HTTP server (python's
# http.server, not ours) and asks our ocsp-responder; both are cached: a CRL
# until its nextUpdate and at most crl_cache_seconds, an OCSP answer at most
# ocsp_cache_seconds. A service with long bounds answers from its cache (one
# GET in the server's log, a revocation not yet seen); one with short bounds
# sees a revocation within them (polled). /metrics shows the cache's age.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svs_lib.sh"
RESPONDER="$top_builddir/ocsp-responder"
PIDS=()
# on exit: the servers still running are stopped, then the folder goes
trap 'for p in $SPID "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill "$p"; done; rm -rf "$T"' EXIT

# the publish folder served over HTTP on a free port of 127.0.0.1
HP=$(free_port)
BASE="http://127.0.0.1:$HP"
mkdir -p "$T/pub"
python3 -m http.server --bind 127.0.0.1 --directory "$T/pub" "$HP" >/dev/null 2>"$T/http.log" &
PIDS+=($!)
d="$T/pki"
mkdir -p "$d"
ct init --name root --url "$BASE" --key-type ec-p256 --subject "/C=CN/O=City of Example/CN=Root CA" $PASS >/dev/null
ct init --name issuing --parent root --url "$BASE" --key-type ec-p256 --subject "/C=CN/O=City of Example/CN=Issuing CA" $PASS >/dev/null
ct export --ca root --out "$d/root.pem"
ct export --ca issuing --out "$d/issuing.pem"
for n in good revoked later1 later2; do
	genkey ec-p256 "$d/$n.key"
	mkcsr ec-p256 "$d/$n.key" "$d/$n.csr" "/C=CN/O=City of Example/CN=$n.example.gov.cn" "DNS:$n.example.gov.cn"
	ct issue --ca issuing --profile tls-server --csr "$d/$n.csr" --out "$d/$n.pem" $PASS >/dev/null 2>&1
done
ct revoke --ca issuing --serial "$(serial_of "$d/revoked.pem")" --reason keyCompromise >/dev/null
ct crl --ca root --publish "$T/pub" $PASS >/dev/null
ct crl --ca issuing --publish "$T/pub" $PASS >/dev/null
cdp=$(openssl x509 -in "$d/good.pem" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p')
[ "$cdp" = "$BASE/crl/issuing.crl" ] && ok "the certificates name their CRL at the test server: $cdp" ||
	not_ok "cRLDistributionPoints '$cdp'"
for i in $(seq 200); do curl -sf -o /dev/null "$BASE/crl/issuing.crl" && break; sleep 0.05; done
curl -sf -o "$T/issuing.crl" "$BASE/crl/issuing.crl" && openssl crl -inform DER -in "$T/issuing.crl" -noout &&
	ok "the test server serves the CRL (openssl reads it)" || not_ok "the test server serves the CRL"

# our OCSP responder for the issuing CA
rm -f "$T/rport"
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
"$RESPONDER" --config "$T/ocsp.cnf" --listen 127.0.0.1:0 --port-file "$T/rport" $PASS >"$T/resp.out" 2>"$T/resp.err" &
PIDS+=($!)
for i in $(seq 200); do [ -s "$T/rport" ] && break; sleep 0.05; done
[ -s "$T/rport" ] && ok "ocsp-responder starts" || { not_ok "ocsp-responder starts"; show 5 "$T/resp.err"; finish; }
RURL="http://127.0.0.1:$(cat "$T/rport")/"

svs_tls
# svs_conf FILE CRL-BOUND OCSP-BOUND
svs_conf() {
	cat > "$1" <<CNF
[svs]
tls_cert = $T/tls.pem
tls_key = $T/tls.key
tls_key_pass_file = $T/pass
crl_cache_seconds = $2
ocsp_cache_seconds = $3

[svs.app.crl]
token_sha256 = $(token crl)
scopes = verify
trust = $d/root.pem
untrusted = $d/issuing.pem
fetch_crls = yes
revocation = require

[svs.app.ocsp]
token_sha256 = $(token ocsp)
scopes = verify
trust = $d/root.pem
untrusted = $d/issuing.pem
ocsp = $RURL
revocation = prefer
CNF
}
# verdict APP CERT: "valid", "revoked" or what else the answer says
verdict() {
	cert_req "$T/v.json" "$2"
	local code
	code=$(post /api/v1/verify/certificate "$1" "$T/v.json")
	[ "$code" = 200 ] || { echo "HTTP $code"; return; }
	jq -r 'if .valid then "valid" else .revocation.status end' "$T/resp"
}
gets() { grep -c "GET /crl/issuing.crl" "$T/http.log" || [ $? -eq 1 ]; }

# ---- long bounds: answers from the cache ----------------------------------------
svs_conf "$T/long.cnf" 3600 3600
start_svs "$T/long.cnf" || { not_ok "svs-server (long bounds) starts"; finish; }
ok "svs-server starts (bounds 3600 s)"
before=$(gets)
[ "$(verdict crl "$d/good.pem")" = valid ] && [ "$(jq -r '.revocation.fetched | map(.url) | sort | join(" ")' "$T/resp")" = "$BASE/crl/issuing.crl $BASE/crl/root.crl" ] &&
	[ "$(jq -r '[.revocation.crls[] | select(.origin == "fetched")] | length' "$T/resp")" = 2 ] &&
	ok "good.pem: valid, both CRLs fetched from their distribution points" || { not_ok "good.pem with fetched CRLs"; show 5 "$T/resp"; }
[ "$(jq -r '[.revocation.fetched[] | .cached] | any' "$T/resp")" = false ] && ok "... fetched now, not from the cache" ||
	not_ok "... fetched now"
[ "$(verdict crl "$d/revoked.pem")" = revoked ] && ok "revoked.pem: revoked, by the fetched CRL" || { not_ok "revoked.pem by the fetched CRL"; show 5 "$T/resp"; }
[ "$(jq -r '[.revocation.fetched[] | .cached] | all' "$T/resp")" = true ] && ok "... from the cache the second time" ||
	{ not_ok "... from the cache the second time"; show 5 "$T/resp"; }
[ "$(( $(gets) - before ))" -eq 1 ] && ok "one GET of the CRL for both requests (the test server's log)" ||
	not_ok "$(( $(gets) - before )) GETs of the CRL for two requests"
[ "$(verdict ocsp "$d/good.pem")" = valid ] && [ "$(jq -r .revocation.ocsp.fetches "$T/resp")" = 1 ] &&
	ok "good.pem through OCSP: valid, asked of the responder" || { not_ok "good.pem through OCSP"; show 5 "$T/resp"; }
[ "$(verdict ocsp "$d/good.pem")" = valid ] && [ "$(jq -r .revocation.ocsp.cache_hits "$T/resp")" = 1 ] &&
	[ "$(jq -r .revocation.ocsp.fetches "$T/resp")" = 0 ] && ok "... and from the cache the second time" ||
	{ not_ok "... OCSP from the cache"; show 5 "$T/resp"; }
[ "$(verdict ocsp "$d/revoked.pem")" = revoked ] && ok "revoked.pem through OCSP: revoked" || { not_ok "revoked.pem through OCSP"; show 5 "$T/resp"; }
# revoked now: the long-bound service keeps its cached CRL and answer
ct revoke --ca issuing --serial "$(serial_of "$d/later1.pem")" --reason superseded >/dev/null
ct crl --ca issuing --publish "$T/pub" $PASS >/dev/null
openssl crl -inform DER -in "$T/pub/crl/issuing.crl" -noout -text > "$T/crl.txt"
grep -qi "$(serial_of "$d/later1.pem")" "$T/crl.txt" && ok "later1 is on the published CRL (openssl)" || not_ok "later1 on the published CRL"
[ "$(verdict crl "$d/later1.pem")" = valid ] && ok "later1.pem: still valid from the cached CRL (bound 3600 s)" ||
	{ not_ok "later1.pem from the cached CRL"; show 5 "$T/resp"; }
curl -sS --cacert "$T/tls.pem" -o "$T/metrics" "$URL/metrics" && grep -q "^svs_crl_age_seconds{url=\"$BASE/crl/issuing.crl\"} [0-9]" "$T/metrics" &&
	grep -q "^svs_crl_cache_entries 2$" "$T/metrics" && grep -q "^svs_ocsp_cache_entries [1-9]" "$T/metrics" &&
	grep -q "^svs_ocsp_age_seconds_max [0-9]" "$T/metrics" &&
	ok "/metrics: the age of each CRL by URL, and of the OCSP answers" || { not_ok "/metrics"; show 20 "$T/metrics"; }
stop_svs || not_ok "svs-server (long bounds) stops with exit 0"

# ---- short bounds: a revocation reaches the answers within them ------------------
svs_conf "$T/short.cnf" 2 2
start_svs "$T/short.cnf" || { not_ok "svs-server (short bounds) starts"; finish; }
[ "$(verdict crl "$d/later1.pem")" = revoked ] && ok "later1.pem: revoked (a new service fetches the new CRL)" ||
	{ not_ok "later1.pem revoked"; show 5 "$T/resp"; }
[ "$(verdict crl "$d/later2.pem")" = valid ] && [ "$(verdict ocsp "$d/later2.pem")" = valid ] &&
	ok "later2.pem: valid by CRL and by OCSP (both now cached)" || { not_ok "later2.pem valid"; show 5 "$T/resp"; }
ct revoke --ca issuing --serial "$(serial_of "$d/later2.pem")" --reason keyCompromise >/dev/null
ct crl --ca issuing --publish "$T/pub" $PASS >/dev/null
# polled: the CRL within crl_cache_seconds, the OCSP answer within
# ocsp_cache_seconds plus the responder's refresh_seconds (at most 30 s)
got_crl= got_ocsp=
for i in $(seq 300); do
	[ -z "$got_crl" ] && [ "$(verdict crl "$d/later2.pem")" = revoked ] && got_crl=1
	[ -z "$got_ocsp" ] && [ "$(verdict ocsp "$d/later2.pem")" = revoked ] && got_ocsp=1
	[ -n "$got_crl" ] && [ -n "$got_ocsp" ] && break
	sleep 0.1
done
[ -n "$got_crl" ] && ok "later2.pem revoked: the service's CRL answers say so within the bound" ||
	not_ok "later2.pem's revocation never reached the CRL answers"
[ -n "$got_ocsp" ] && ok "... and its OCSP answers" || not_ok "later2.pem's revocation never reached the OCSP answers"
# a distribution point that is down: no CRL, and revocation require says no
kill "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null || echo "# the test HTTP server stopped (exit $?)"
for i in $(seq 300); do
	v=$(verdict crl "$d/good.pem")
	[ "$v" != valid ] && break
	sleep 0.1
done
[ "$v" = unknown ] && [ -n "$(jq -r '.revocation.fetched[0].error // empty' "$T/resp")" ] &&
	ok "the distribution point down: good.pem not valid (revocation unknown, the fetch error said)" ||
	{ not_ok "the distribution point down ($v)"; show 5 "$T/resp"; }
grep -q "^svs_crl_fetch_failures_total{url=\"$BASE/crl/issuing.crl\"} [1-9]" <(curl -sS --cacert "$T/tls.pem" "$URL/metrics") &&
	ok "/metrics counts the failed fetches" || not_ok "/metrics counts the failed fetches"
stop_svs && ok "svs-server stops with exit 0" || not_ok "svs-server stops with exit 0"
finish
