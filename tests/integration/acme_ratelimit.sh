#!/bin/bash
# tests/integration/acme_ratelimit.sh: the ACME rate limits ([acme] orders_per_hour,
# accounts_per_hour; RFC 8555 6.6): lego (an independent client) gets its account, one order
# and then 429 rateLimited with Retry-After on its next order and on a further account;
# acme_client.py counts both limits exactly; nothing is stored for a refused request (sqlite3)
. "$(dirname "$0")/ra_lib.sh"
trap 'ra_stop; rm -rf "$T"' EXIT

command -v lego >/dev/null || skip_all "lego not installed (scripts/common.sh installs it)"

HTTP01=$(free_port)
ORDERS=1
ACCOUNTS=3
ra_setup "[profile.tls-server]
acme = yes
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1
orders_per_hour = $ORDERS
accounts_per_hour = $ACCOUNTS"
ra_start
DIR="$URL/acme/tls-server/directory"
DB="$GOVPKI_HOME/govpki.db"
q() { sqlite3 "$DB" "$1"; }

export LEGO_CA_CERTIFICATES="$D/root.pem"
lg() { lego --path "$1" --server "$DIR" --accept-tos --email "$2" --http --http.port "127.0.0.1:$HTTP01" "${@:3}"; }

# ---- lego: its account and first order pass, its second order is over orders_per_hour = 1
expect "lego run: account and certificate (order 1 of $ORDERS an hour)" \
	lg "$T/lego" admin@acme.test --domains rl.acme.test run
[ -s "$T/lego/certificates/rl.acme.test.crt" ] || show 20 "$T/stderr" "$T/server.log"
orders=$(q "SELECT count(*) FROM acme_order")
audit=$(q "SELECT count(*) FROM audit")
expect_fail "lego renew: its next order is refused" nz "" \
	lg "$T/lego" admin@acme.test --domains rl.acme.test renew --days 9999 --no-random-sleep
grep -q "urn:ietf:params:acme:error:rateLimited" "$T/stdout" "$T/stderr" &&
	ok "  lego prints the rateLimited error" || { not_ok "  lego does not show rateLimited"; show 5 "$T/stderr"; }
grep -q "at most $ORDERS new orders an hour per account" "$T/stderr" &&
	ok "  with the server's detail" || not_ok "  no detail"
check "  no order stored for it" "$orders" "$(q "SELECT count(*) FROM acme_order")"
check "  nothing audited for it" "$audit" "$(q "SELECT count(*) FROM audit")"

# ---- acme_client.py: exact counts; its accounts fill this address's hour (lego has one)
rc=0
python3 "$(dirname "$0")/acme_client.py" ratelimit "$DIR" "$D/root.pem" "$ORDERS" $((ACCOUNTS - 1)) \
	> "$T/rl" 2> "$T/client.err" || rc=$?
[ "$rc" = 0 ] && ok "acme_client.py ratelimit runs to its end" ||
	{ not_ok "acme_client.py ratelimit runs to its end (exit $rc)"; show 20 "$T/client.err"; }
while read -r res what; do
	case $res in PASS) ok "$what" ;; FAIL) not_ok "$what" ;; '#') echo "# $what" ;; esac
done < "$T/rl"
grep -q '^PASS' "$T/rl" || not_ok "acme_client.py printed no checks"
AID=$(sed -n 's,^account .*/acct/,,p' "$T/rl")
check "its account has $ORDERS order(s) stored, none of the refused" "$ORDERS" "$(q "SELECT count(*) FROM acme_order WHERE account = ${AID:-0}")"
check "$ACCOUNTS accounts stored from 127.0.0.1" "$ACCOUNTS" "$(q "SELECT count(*) FROM acme_account WHERE client = '127.0.0.1'")"

# ---- lego again, a new key (a new account): over accounts_per_hour
audit=$(q "SELECT count(*) FROM audit")
expect_fail "lego run with a new account: refused" nz "" \
	lg "$T/lego2" other@acme.test --domains rl2.acme.test run
grep -q "urn:ietf:params:acme:error:rateLimited" "$T/stdout" "$T/stderr" &&
	ok "  lego prints the rateLimited error" || { not_ok "  lego does not show rateLimited"; show 5 "$T/stderr"; }
grep -q "at most $ACCOUNTS new accounts an hour from one address" "$T/stderr" &&
	ok "  with the server's detail" || not_ok "  no detail"
check "  no account stored for it" "$ACCOUNTS" "$(q "SELECT count(*) FROM acme_account")"
check "  nothing audited for it" "$audit" "$(q "SELECT count(*) FROM audit")"

expect "audit chain verifies" ct audit verify
finish
