#!/bin/bash
# ra_conns: idle connections do not stop ra-server (issue 21.2).
# 2,000 idle TCP connections from 127.0.0.1 (no TLS handshake) take at most
# max_connections_per_client of the server's connections, and clients on
# 127.0.0.2 are answered over TLS meanwhile (curl; the chain they fetch is
# checked by openssl verify); idle connections from many addresses past
# max_connections are closed longest idle first; a silent connection is
# closed after timeout_seconds.
. "$(dirname "$0")/ra_lib.sh"
. "$(dirname "$0")/conn_lib.sh"

ra_setup
cp "$CONF" "$T/base.cnf"
# with_conf LINES: the [ra] section of ra_setup and LINES
with_conf() { { cat "$T/base.cnf"; printf '%b' "$1"; } > "$CONF"; }

# served FROM: a client from source address FROM is answered: /healthz,
# the CA chain (verified by openssl), and an officer's request list (TLS
# client certificate)
served() {
	local code
	code=$(curl -s --max-time 30 --interface "$1" -o "$T/hz" -w '%{http_code}' --cacert "$D/root.pem" "$URL/healthz") &&
	[ "$code" = 200 ] &&
	curl -sf --max-time 30 --interface "$1" --cacert "$D/root.pem" -o "$T/ch.pem" "$URL/api/v1/ca/issuing/chain" &&
	openssl verify -CAfile "$D/root.pem" "$T/ch.pem" >/dev/null &&
	code=$(curl -s --max-time 30 --interface "$1" -o "$T/body" -w '%{http_code}' --cacert "$D/root.pem" \
		--cert "$D/alice.crt" --key "$D/alice.key" "$URL/api/v1/requests") &&
	[ "$code" = 200 ]
}

# 1. one client, 2,000 idle connections; the documented defaults except a
# long idle timeout (so that only the per-client limit can free the server)
with_conf 'timeout_seconds = 300\n'
ra_start
per_client=64   # the documented default of max_connections_per_client
hold_one_client "$PORT" "$per_client"
served 127.0.0.2 && ok "127.0.0.2 answered meanwhile (healthz, chain, officer)" ||
	not_ok "127.0.0.2 answered meanwhile"
hold_stop
ra_stop

# 2. many clients, under the per-client limit each, past max_connections
with_conf 'timeout_seconds = 300\nmax_connections = 200\nmax_connections_per_client = 64\n'
ra_start
hold_many_clients "$PORT" 200
served 127.0.0.2 && ok "127.0.0.2 answered at max_connections" ||
	not_ok "127.0.0.2 answered at max_connections"
closed=
curl -sf --max-time 30 --interface 127.0.0.3 --cacert "$D/root.pem" --cert "$D/dave.crt" --key "$D/dave.key" \
	"$URL/metrics" > "$T/metrics" && closed=$(awk '$1 == "ra_connections_closed_idle_total" { print $2 }' "$T/metrics")
case $closed in ''|*[!0-9]*) closed=-1 ;; esac
[ "$closed" -ge 800 ] && ok "metrics: connections closed to make room ($closed)" ||
	not_ok "metrics: connections closed to make room (${closed#-1})"
hold_stop
ra_stop

# 3. the idle timeout: silent connections are closed after timeout_seconds
with_conf 'timeout_seconds = 1\n'
ra_start
hold_silent "$PORT"
ra_stop

# a bad value is refused with the file, line and key
with_conf 'max_connections = 5\n'
expect_fail "max_connections = 5 is refused" 1 "max_connections" \
	"$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0
finish
