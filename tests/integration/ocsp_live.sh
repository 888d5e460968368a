#!/bin/bash
# ocsp_live: a running responder shows a revocation (by ca-tool revoke)
# within refresh_seconds without a restart, for POST and for cached GETs;
# SIGHUP reloads the configuration; SIGTERM drains and exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

setup_pki ed25519
d="$T/pki"
printf '[ocsp]\nrefresh_seconds = 1\nnext_update_seconds = 3600\n' > "$T/ocsp.cnf"
start_responder $PASS --config "$T/ocsp.cnf" || { not_ok "responder starts"; finish; exit 1; }
ok "responder starts (Ed25519 CAs)"

openssl ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -reqout "$T/good.req" >/dev/null
b64=$(base64 -w0 "$T/good.req")
# the status of good.pem by GET and by POST, from responses that verify
get_status() {
	curl -sf -o "$T/get.der" "$URL/$b64" &&
		verified_status "$d/good.pem" "$d/issuing.pem" -respin "$T/get.der" -CAfile "$d/chain.pem"
}
post_status() { verified_status "$d/good.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem" -no_nonce; }
[ "$(get_status)" = good ] && [ "$(get_status)" = good ] && [ "$(post_status)" = good ] &&
	ok "good, now cached" || not_ok "good before the revocation"
curl -sf -o "$T/metrics" "$URL/metrics" && grep -q '^govpki_ocsp_cache_entries 1$' "$T/metrics" &&
	ok "one pre-signed response" || not_ok "one pre-signed response"

# revoke while it runs: within refresh_seconds (1 s); polled for at most 3 s
expect "ca-tool revoke" ct revoke --ca issuing --serial "$(serial_of "$d/good.pem")" --reason affiliationChanged
start=$(date +%s%N)
for i in $(seq 30); do
	[ "$(post_status)" = revoked ] && break
	sleep 0.1
done
ms=$((($(date +%s%N) - start) / 1000000))
[ "$(post_status)" = revoked ] && ok "POST shows the revocation after ${ms} ms" || not_ok "POST still good after ${ms} ms"
[ "$(get_status)" = revoked ] && ok "cached GET shows the revocation" || not_ok "cached GET shows the revocation"
[ "$(verified_status "$d/good.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem")" = revoked ] &&
	grep -q "Reason: affiliationChanged" "$T/ocsp.out" && ok "with its reason" || not_ok "with its reason"
[ "$(verified_status "$d/revoked.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem")" = revoked ] &&
	ok "the other revoked certificate too" || not_ok "other revoked"

# SIGHUP: a new configuration (nextUpdate 10 minutes) takes over
printf '[ocsp]\nrefresh_seconds = 1\nnext_update_seconds = 600\n' > "$T/ocsp.cnf"
kill -HUP "$RPID"
for i in $(seq 100); do grep -q "reloaded" "$T/responder.err" && break; sleep 0.05; done
grep -q "reloaded" "$T/responder.err" && ok "SIGHUP reloads" || not_ok "SIGHUP reloads"
curl -sf -D "$T/h" -o /dev/null "$URL/$b64" || not_ok "GET after the reload (curl exit $?)"
age=$(sed -n 's/^Cache-Control:.*max-age=\([0-9]*\).*/\1/Ip' "$T/h")
[ -n "$age" ] && [ "$age" -le 600 ] && ok "new nextUpdate in effect (max-age $age)" || not_ok "max-age after reload: $age"
# a broken configuration is refused and the old one keeps serving
printf '[ocsp]\nrefresh_seconds = many\n' > "$T/ocsp.cnf"
kill -HUP "$RPID"
for i in $(seq 100); do grep -q "reload failed" "$T/responder.err" && break; sleep 0.05; done
grep -q "reload failed" "$T/responder.err" && healthy && [ "$(post_status)" = revoked ] &&
	ok "a bad reload keeps the old configuration" || not_ok "a bad reload keeps the old configuration"

stop_responder && ok "SIGTERM: drained, exit 0" || not_ok "SIGTERM: exit status"
grep -q draining "$T/responder.err" && ok "SIGTERM: says it drains" || not_ok "SIGTERM: says it drains"
curl -s -o /dev/null "$URL/healthz" && not_ok "port closed after exit" || ok "port closed after exit"
finish
