#!/bin/bash
# tests/integration/acme_badinput.sh: ra-server's ACME directory refuses bad requests with
# the RFC 8555 error type each (6.7), writes nothing for them, and keeps serving; the
# requests come from tests/integration/acme_client.py (python3-cryptography signs them)
. "$(dirname "$0")/ra_lib.sh"
trap 'ra_stop; rm -rf "$T"' EXIT

HTTP01=$(free_port)
ra_setup "threads = 4
[profile.tls-server]
acme = yes
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1"
ra_start

rc=0
python3 "$(dirname "$0")/acme_client.py" "$URL/acme/tls-server/directory" "$D/root.pem" "$HTTP01" \
	> "$T/client.out" 2> "$T/client.err" || rc=$?
[ "$rc" = 0 ] && ok "the client runs to its end" || { not_ok "the client runs to its end (exit $rc)"; show 20 "$T/client.err"; }
while read -r res what; do
	if [ "$res" = PASS ]; then ok "$what"; else not_ok "$what"; fi
done < "$T/client.out"
[ -s "$T/client.out" ] || { not_ok "the client printed nothing"; show 20 "$T/client.err"; }
expect "the server still answers the directory" curl -sf --cacert "$D/root.pem" "$URL/acme/tls-server/directory"
expect "audit chain verifies" ct audit verify
finish
