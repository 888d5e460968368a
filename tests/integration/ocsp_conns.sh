#!/bin/bash
# ocsp_conns: idle connections do not stop ocsp-responder (issue 21.2).
# 2,000 idle connections from 127.0.0.1 take at most
# max_connections_per_client of the server's connections (the rest are
# closed at once), and a client on 127.0.0.2 is answered meanwhile; idle
# connections from many addresses past max_connections are closed longest
# idle first, and clients are still answered; a silent connection is closed
# after timeout_seconds.  The answers are checked by openssl ocsp.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
. "$(dirname "$0")/conn_lib.sh"

setup_pki ec-p256
d="$T/pki"
openssl ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -reqout "$T/req.der" >/dev/null

# asked FROM: a POST from source address FROM (curl moves the bytes,
# openssl ocsp reads and verifies the answer)
asked() {
	rm -f "$T/resp.der"
	curl -s --max-time 30 --interface "$1" -H "Content-Type: application/ocsp-request" \
		--data-binary "@$T/req.der" -o "$T/resp.der" "$URL/" &&
	openssl ocsp -respin "$T/resp.der" -issuer "$d/issuing.pem" -cert "$d/good.pem" \
		-CAfile "$d/chain.pem" -no_nonce >"$T/ans" 2>&1 &&
	grep -q "good.pem: good" "$T/ans" && grep -q "Response verify OK" "$T/ans"
}

# 1. one client, 2,000 idle connections; the documented defaults except a
# long idle timeout (so that only the per-client limit can free the server)
printf '[ocsp]\ntimeout_seconds = 300\n' > "$T/a.cnf"
start_responder --config "$T/a.cnf" $PASS || { not_ok "responder starts"; finish; exit 1; }
port=$(cat "$T/port")
per_client=64   # the documented default of max_connections_per_client
hold_one_client "$port" "$per_client"
asked 127.0.0.2 && ok "127.0.0.2 answered meanwhile (verified by openssl ocsp)" ||
	not_ok "127.0.0.2 answered meanwhile"
[ "$(curl -sf --max-time 30 --interface 127.0.0.3 "$URL/healthz" | jq -r .status)" = ok ] &&
	ok "/healthz answered meanwhile" || not_ok "/healthz answered meanwhile"
hold_stop
stop_responder && ok "the responder stops cleanly" || not_ok "the responder stops cleanly"

# 2. many clients, under the per-client limit each, past max_connections
printf '[ocsp]\ntimeout_seconds = 300\nmax_connections = 200\nmax_connections_per_client = 64\n' > "$T/b.cnf"
start_responder --config "$T/b.cnf" $PASS || { not_ok "responder starts (b)"; finish; exit 1; }
port=$(cat "$T/port")
hold_many_clients "$port" 200
asked 127.0.0.2 && ok "127.0.0.2 answered at max_connections" ||
	not_ok "127.0.0.2 answered at max_connections"
curl -sf --max-time 30 --interface 127.0.0.3 "$URL/metrics" > "$T/metrics" &&
	grep -Eq '^govpki_ocsp_connections_closed_idle_total [0-9]+$' "$T/metrics" &&
	[ "$(awk '$1 == "govpki_ocsp_connections_closed_idle_total" { print $2 }' "$T/metrics")" -ge 800 ] &&
	ok "metrics: connections closed to make room" || not_ok "metrics: connections closed to make room"
hold_stop
stop_responder && ok "the responder stops cleanly (b)" || not_ok "the responder stops cleanly (b)"

# 3. the idle timeout: silent connections are closed after timeout_seconds
printf '[ocsp]\ntimeout_seconds = 1\n' > "$T/c.cnf"
start_responder --config "$T/c.cnf" $PASS || { not_ok "responder starts (c)"; finish; exit 1; }
hold_silent "$(cat "$T/port")"
stop_responder && ok "the responder stops cleanly (c)" || not_ok "the responder stops cleanly (c)"

# a bad value is refused with the file, line and key
printf '[ocsp]\nmax_connections_per_client = 0\n' > "$T/bad.cnf"
expect_fail "max_connections_per_client = 0 is refused" 1 "max_connections_per_client" \
	"$RESPONDER" --config "$T/bad.cnf" $PASS --listen 127.0.0.1:0
finish
