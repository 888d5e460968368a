#!/bin/bash
# tests/integration/acme_account.sh: ACME accounts (RFC 8555 7.3) beyond newAccount, driven
# by tests/integration/acme_client.py (python3-cryptography signs): deactivation (7.3.6)
# cancels what the account had pending and locks its key out; key change (7.3.5) refuses
# each inner JWS mistake and moves the account to the new key; the store is read with sqlite3
. "$(dirname "$0")/ra_lib.sh"
trap 'ra_stop; rm -rf "$T"' EXIT

ra_setup "[profile.tls-server]
acme = yes"
ra_start
DIR="$URL/acme/tls-server/directory"
DB="$GOVPKI_HOME/govpki.db"
CLIENT="$(dirname "$0")/acme_client.py"

# run_client OUT ARGS...: the client's PASS/FAIL lines as checks; other lines stay in OUT
run_client() {
	local out=$1 rc=0; shift
	python3 "$CLIENT" "$@" "$DIR" "$D/root.pem" > "$out" 2> "$T/client.err" || rc=$?
	[ "$rc" = 0 ] && ok "acme_client.py $1 runs to its end" ||
		{ not_ok "acme_client.py $1 runs to its end (exit $rc)"; show 20 "$T/client.err"; }
	while read -r res what; do
		case $res in PASS) ok "$what" ;; FAIL) not_ok "$what" ;; '#') echo "# $what" ;; esac
	done < "$out"
	grep -q '^PASS' "$out" || not_ok "acme_client.py $1 printed no checks"
}

# --- deactivation (7.3.6)
run_client "$T/deact" deactivate
AID=$(sed -n 's,^account .*/acct/,,p' "$T/deact")
ZID=$(sed -n 's,^authz .*/authz/,,p' "$T/deact")
[ -n "$AID" ] && [ -n "$ZID" ] || not_ok "the client named its account and authorization"
check "the account is deactivated (5) in the store" 5 "$(sqlite3 "$DB" "SELECT status FROM acme_account WHERE id = ${AID:-0}")"
check "its pending authorization is deactivated (5)" 5 "$(sqlite3 "$DB" "SELECT status FROM acme_authz WHERE id = ${ZID:-0}")"
check "its pending order is invalid (4)" 4 "$(sqlite3 "$DB" "SELECT o.status FROM acme_order o JOIN acme_authz z ON z.order_id = o.id WHERE z.id = ${ZID:-0}")"
check "only the one order was stored for it" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM acme_order WHERE account = ${AID:-0}")"
check "audited once, with what was cancelled" "authorizations deactivated=1 orders invalid=1" \
	"$(sqlite3 "$DB" "SELECT group_concat(detail) FROM audit WHERE action = 'acme.account.deactivate' AND object = 'acme-account:${AID:-0}'")"

# --- key change (7.3.5)
run_client "$T/kc" keychange
KID=$(sed -n 's,^account .*/acct/,,p' "$T/kc")
OLD=$(sed -n 's,^old ,,p' "$T/kc")
NEW=$(sed -n 's,^new ,,p' "$T/kc")
[ -n "$KID" ] && [ -n "$OLD" ] && [ -n "$NEW" ] || not_ok "the client named its account and keys"
check "the store holds the new key's thumbprint" "$NEW" "$(sqlite3 "$DB" "SELECT hex(thumb) FROM acme_account WHERE id = ${KID:-0}")"
check "no account holds the old one" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM acme_account WHERE hex(thumb) = '$OLD'")"
check "one key change audited (the refused ones: none)" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'acme.account.keychange' AND object = 'acme-account:${KID:-0}'")"
check "one order stored for the account (the new key's)" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM acme_order WHERE account = ${KID:-0}")"

expect "audit chain verifies" ct audit verify
finish
