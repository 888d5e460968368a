#!/bin/bash
# tests/integration/acme_certbot.sh: certbot (an independent ACME client) obtains, renews and
# revokes a certificate from ra-server's ACME directory over http-01; openssl verify and
# openssl ocsp check the result against our OCSP responder
. "$(dirname "$0")/ra_lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
trap 'ra_stop; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$T"' EXIT

command -v certbot >/dev/null || { echo "certbot not installed (scripts/common.sh installs it)"; exit 77; }

HTTP01=$(free_port)
NAME=www.acme.test

ra_setup "threads = 4
[profile.tls-server]
acme = yes
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1"
ra_start
# ra_start sets its own EXIT trap: ours again, so that what the test starts stops with it
trap 'ra_stop; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$T"' EXIT
ACME="$URL/acme/tls-server/directory"

# certbot trusts our root for the ACME server's TLS (python requests)
export REQUESTS_CA_BUNDLE="$D/root.pem"
cb() {
	certbot --non-interactive --config-dir "$T/cb/etc" --work-dir "$T/cb/work" \
		--logs-dir "$T/cb/log" --server "$ACME" "$@"
}

expect "certbot registers and obtains a certificate over http-01 (certonly --standalone)" \
	cb certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01" \
	--agree-tos --register-unsafely-without-email -d "$NAME"
LIVE="$T/cb/etc/live/$NAME"
[ -s "$LIVE/cert.pem" ] || { grep -E "Error|error|Traceback|File |raise" "$T/cb/log/letsencrypt.log" > "$T/cberr"; show 25 "$T/cberr" "$T/server.log"; }
expect "openssl verify: the leaf chains to our root" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$LIVE/chain.pem" "$LIVE/cert.pem"
openssl x509 -in "$LIVE/cert.pem" -noout -ext subjectAltName > "$T/san" 2>&1
grep -q "DNS:$NAME" "$T/san" && ok "the certificate names $NAME" || not_ok "SAN: $(cat "$T/san")"
openssl x509 -in "$LIVE/cert.pem" -noout -ext extendedKeyUsage > "$T/eku" 2>&1
grep -q "TLS Web Server Authentication" "$T/eku" &&
	ok "the tls-server profile's extensions (serverAuth)" || not_ok "no serverAuth EKU"
SERIAL1=$(serial_of "$LIVE/cert.pem")
ct list --ca issuing > "$T/list" 2>&1
grep -qi "$SERIAL1" "$T/list" && ok "ca-tool list shows the ACME certificate" || not_ok "ca-tool list lacks $SERIAL1"

expect "certbot renew --force-renewal" \
	cb renew --force-renewal --http-01-address 127.0.0.1 --http-01-port "$HTTP01"
SERIAL2=$(serial_of "$LIVE/cert.pem")
[ -n "$SERIAL2" ] && [ "$SERIAL2" != "$SERIAL1" ] && ok "renewal gave a new certificate" ||
	not_ok "renewal: serial $SERIAL1 -> $SERIAL2"

printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
start_responder $PASS --config "$T/ocsp.cnf" || { not_ok "responder starts"; finish; exit 1; }
# the status line below is the check, not openssl's exit status
openssl ocsp -url "$URL" -issuer "$D/chain.pem" -CAfile "$D/root.pem" -cert "$LIVE/cert.pem" \
	> "$T/ocsp1" 2>&1 || true
grep -q "$LIVE/cert.pem: good" "$T/ocsp1" && ok "openssl ocsp: good before revocation" ||
	{ not_ok "ocsp before revocation"; sed 's/^/#   /' "$T/ocsp1"; }

expect "certbot revoke (signed by the account key)" \
	cb revoke --cert-path "$LIVE/cert.pem" --reason keycompromise --no-delete-after-revoke
# the responder picks up the store's new revision within refresh_seconds (1 s): polled, at most 5 s
for _ in $(seq 50); do
	openssl ocsp -url "$URL" -issuer "$D/chain.pem" -CAfile "$D/root.pem" -cert "$LIVE/cert.pem" \
		> "$T/ocsp2" 2>&1 || true  # the status line is the check
	grep -q "$LIVE/cert.pem: revoked" "$T/ocsp2" && break
	sleep 0.1
done
grep -q "$LIVE/cert.pem: revoked" "$T/ocsp2" && ok "openssl ocsp: revoked after certbot revoke" ||
	{ not_ok "ocsp after revocation"; sed 's/^/#   /' "$T/ocsp2"; }
grep -qi "Reason: keyCompromise" "$T/ocsp2" && ok "with the reason certbot gave" || not_ok "reason"

expect_fail "revoking it again is refused (alreadyRevoked)" nz "" \
	cb revoke --cert-path "$LIVE/cert.pem" --no-delete-after-revoke
grep -q "alreadyRevoked\|already revoked" "$T/cb/log/letsencrypt.log" && ok "  as alreadyRevoked" ||
	not_ok "  no alreadyRevoked in certbot's log"

# RFC 8555 7.3.6: certbot unregister deactivates the account; certbot then forgets it, so its
# files are kept aside and put back, to try the deactivated account's key once more
DB="$GOVPKI_HOME/govpki.db"
cp -a "$T/cb/etc/accounts" "$T/accounts.kept"
AID=$(sqlite3 "$DB" "SELECT id FROM acme_account")
expect "certbot unregister" cb unregister
st=$(sqlite3 "$DB" "SELECT status FROM acme_account WHERE id = $AID")
[ "$st" = 5 ] && ok "  the account ($AID) is deactivated in the store" || not_ok "  account status $st, want 5"
n=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'acme.account.deactivate' AND object = 'acme-account:$AID' AND actor = 'acme:account:$AID'")
[ "$n" = 1 ] && ok "  audited as acme.account.deactivate" || not_ok "  acme.account.deactivate entries: $n"
rm -rf "$T/cb/etc/accounts"
cp -a "$T/accounts.kept" "$T/cb/etc/accounts"
orders=$(sqlite3 "$DB" "SELECT count(*) FROM acme_order")
expect_fail "certbot with the deactivated account's key is refused" nz "" \
	cb certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01" -d "other.acme.test"
grep -q "account $AID is deactivated" "$T/cb/log/letsencrypt.log" && ok "  certbot shows why: account $AID is deactivated" ||
	{ not_ok "  certbot's log lacks the refusal"; show 5 "$T/stderr"; }
grep -Eq '^HTTP 401' "$T/cb/log/letsencrypt.log" && ok "  as 401 unauthorized" || not_ok "  not a 401"
n=$(sqlite3 "$DB" "SELECT count(*) FROM acme_order")
[ "$n" = "$orders" ] && ok "  no order is stored for it" || not_ok "  orders $orders -> $n"

n=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM audit WHERE action = 'acme.validate'")
[ "$n" -ge 2 ] && ok "each validation attempt is audited ($n)" || not_ok "acme.validate entries: $n"
expect "audit chain verifies" ct audit verify
ra_stop
grep -q "stopping" "$T/server.log" && ok "SIGTERM stops the server cleanly" || not_ok "SIGTERM stop"
finish
