#!/bin/bash
# tests/integration/acme_eab.sh: external account binding (RFC 8555 §7.3.4): keys made by
# `ca-tool acme eab create`, [acme] eab_required = yes; lego (--eab) and certbot
# (--eab-kid --eab-hmac-key) register with them and obtain certificates; a missing binding
# is externalAccountRequired, a wrong MAC, a spent key and another directory's key unauthorized
. "$(dirname "$0")/ra_lib.sh"
trap 'ra_stop; rm -rf "$T"' EXIT

command -v lego >/dev/null || skip_all "lego not installed (scripts/common.sh installs it)"
command -v certbot >/dev/null || skip_all "certbot not installed (scripts/common.sh installs it)"

HTTP01=$(free_port)

ra_setup "threads = 4
[profile.tls-server]
acme = yes
[profile.device]
acme = yes
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1
eab_required = yes"
ra_start
ACME="$URL/acme/tls-server/directory"
DB="$GOVPKI_HOME/govpki.db"

# ---- ca-tool acme eab create
eab() { ct --config "$CONF" acme eab create "$@"; }
expect "ca-tool acme eab create --profile tls-server" eab --profile tls-server
KID=$(sed -n 's/^kid: //p' "$T/stdout")
HMAC=$(sed -n 's/^hmac_key: //p' "$T/stdout")
[ -n "$KID" ] && [ -n "$HMAC" ] && ok "  prints a kid ($KID) and an HMAC key" || { not_ok "  no kid or key"; show 5 "$T/stdout"; }
# the key is 96 bytes in base64url without padding (what lego --hmac and certbot take);
# it is passed as --hmac=KEY: one key in 64 starts with '-', which certbot's
# argparse would take for an option in `--eab-hmac-key KEY`
# the store holds only its SHA-256 (HMAC keys with it, RFC 2104 §2)
python3 -c 'import base64,sys; k=sys.argv[1]; assert "=" not in k and "+" not in k and "/" not in k; assert len(base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))) == 96' "$HMAC" &&
	ok "  the HMAC key is 96 bytes, base64url" || not_ok "  HMAC key '$HMAC'"
H=$(python3 -c 'import base64,hashlib,sys; k=sys.argv[1]; print(hashlib.sha256(base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))).hexdigest().upper())' "$HMAC")
[ "$(sqlite3 "$DB" "SELECT hex(key_hash) FROM acme_eab WHERE kid = '$KID'")" = "$H" ] &&
	ok "  the store keeps its SHA-256, not the key" || not_ok "  stored: $(sqlite3 "$DB" "SELECT hex(key_hash) FROM acme_eab WHERE kid = '$KID'")"
grep -q "shown only now" "$T/stderr" && ok "  and says it is shown only once" || not_ok "  no notice"
expect "ca-tool acme eab create --json" ct --config "$CONF" --json acme eab create --profile tls-server
KID2=$(jq -r .kid "$T/stdout"); HMAC2=$(jq -r .hmac_key "$T/stdout")
[ -n "$KID2" ] && [ "$KID2" != "$KID" ] && [ "$HMAC2" != "$HMAC" ] && ok "  a second key, another kid" ||
	not_ok "  second key: $KID2"
expect "a key for the device directory" eab --profile device
KIDD=$(sed -n 's/^kid: //p' "$T/stdout"); HMACD=$(sed -n 's/^hmac_key: //p' "$T/stdout")
n=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'acme.eab.create'")
[ "$n" = 3 ] && ok "each key creation is audited" || not_ok "acme.eab.create entries: $n"
expect_fail "a profile without ACME is refused (exit 4)" 4 "no ACME directory" eab --profile person
expect_fail "an unknown profile (exit 3)" 3 "unknown profile" eab --profile nosuch
expect_fail "no --profile (exit 2)" 2 "needs --profile" eab
n=$(sqlite3 "$DB" "SELECT count(*) FROM acme_eab")
[ "$n" = 3 ] && ok "  nothing stored for them" || not_ok "acme_eab rows: $n"

# ---- the directory says so (RFC 8555 §7.1.1)
curl -sf --cacert "$D/root.pem" "$ACME" > "$T/dir" 2>&1 || true   # the JSON is the check
[ "$(jq -r .meta.externalAccountRequired "$T/dir")" = true ] &&
	ok "directory meta.externalAccountRequired is true" || { not_ok "directory meta"; show 5 "$T/dir"; }

export LEGO_CA_CERTIFICATES="$D/root.pem"
lg() { local path=$1; shift; lego --path "$T/$path" --server "$ACME" --accept-tos --email it@acme.test "$@"; }
# lego fails with many lines: the failure is checked, then the error type
lego_refused() {
	local what=$1 type=$2; shift 2
	expect_fail "$what" nz "" "$@"
	grep -q "urn:ietf:params:acme:error:$type" "$T/stderr" && ok "  as $type" ||
		{ not_ok "  not $type"; show 5 "$T/stderr"; }
}

# ---- bad bindings: nothing is made for them
# lego reads the directory's meta and stops by itself
expect_fail "lego without --eab stops" nz "" lg l0 --domains a.acme.test --http --http.port "127.0.0.1:$HTTP01" run
grep -q "Server requires External Account Binding" "$T/stderr" && ok "  as the directory asks" ||
	{ not_ok "  for another reason"; show 5 "$T/stderr"; }
# a client that does not read it sends newAccount without a binding (acme_client.py)
python3 "$(dirname "$0")/acme_client.py" new-account "$ACME" "$D/root.pem" > "$T/noeab" 2>&1 || true   # its output is the check
check "newAccount without a binding: 400 externalAccountRequired (RFC 8555 7.3.4)" \
	"400 urn:ietf:params:acme:error:externalAccountRequired" "$(cat "$T/noeab")"
WRONG=$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
lego_refused "lego with a wrong HMAC key is refused" unauthorized \
	lg l1 --eab --kid "$KID" --hmac="$WRONG" --domains a.acme.test --http --http.port "127.0.0.1:$HTTP01" run
lego_refused "lego with an unknown kid is refused" unauthorized \
	lg l1 --eab --kid eab-nosuchkey --hmac="$HMAC" --domains a.acme.test --http --http.port "127.0.0.1:$HTTP01" run
lego_refused "lego with the device directory's key in tls-server's is refused" unauthorized \
	lg l1 --eab --kid "$KIDD" --hmac="$HMACD" --domains a.acme.test --http --http.port "127.0.0.1:$HTTP01" run
n=$(sqlite3 "$DB" "SELECT count(*) FROM acme_account")
[ "$n" = 0 ] && ok "no account was made by them" || not_ok "accounts: $n"

# ---- lego with the key
NAME=eab.acme.test
expect "lego --eab --kid --hmac registers and obtains a certificate" \
	lg l1 --eab --kid "$KID" --hmac="$HMAC" --domains "$NAME" --http --http.port "127.0.0.1:$HTTP01" run
[ -s "$T/l1/certificates/$NAME.crt" ] || show 20 "$T/stderr" "$T/server.log"
openssl x509 -in "$T/l1/certificates/$NAME.crt" -out "$T/leaf.pem" 2>/dev/null || true   # an empty file fails below
awk 'f; /END CERTIFICATE/ { f = 1 }' "$T/l1/certificates/$NAME.crt" > "$T/chain.pem" 2>/dev/null || true   # as above
expect "openssl verify: the leaf chains to our root" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$T/chain.pem" -purpose sslserver "$T/leaf.pem"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM acme_account WHERE eab_kid = '$KID'")" = 1 ] &&
	ok "the account is bound to $KID" || not_ok "no account bound to $KID"
[ "$(sqlite3 "$DB" "SELECT used_by > 0 AND hex(key_hash) = hex(zeroblob(32)) FROM acme_eab WHERE kid = '$KID'")" = 1 ] &&
	ok "the key is marked used and wiped from the store" || not_ok "the key is not spent: $(sqlite3 "$DB" "SELECT used_by, hex(key_hash) FROM acme_eab WHERE kid = '$KID'")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM acme_eab WHERE used_by = 0 AND hex(key_hash) != hex(zeroblob(32))")" = 2 ] &&
	ok "the unused keys are kept" || not_ok "unused keys"
n=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'acme.account.new' AND detail LIKE '%eab=$KID%'")
[ "$n" = 1 ] && ok "the account's audit entry names the binding" || not_ok "acme.account.new with eab=$KID: $n"
expect "lego renews with the bound account (no new binding needed)" \
	lg l1 --eab --kid "$KID" --hmac="$HMAC" --domains "$NAME" --http --http.port "127.0.0.1:$HTTP01" \
	renew --days 1000 --no-random-sleep
n=$(sqlite3 "$DB" "SELECT count(*) FROM acme_account WHERE eab_kid = '$KID'")
[ "$n" = 1 ] && ok "  with the same account" || not_ok "  accounts bound to $KID: $n"

# the same key for a second account (a new account key): spent
lego_refused "lego with a used kid is refused" unauthorized \
	lg l2 --eab --kid "$KID" --hmac="$HMAC" --domains b.acme.test --http --http.port "127.0.0.1:$HTTP01" run

# ---- certbot with the second key
export REQUESTS_CA_BUNDLE="$D/root.pem"
cb() {
	certbot --non-interactive --config-dir "$T/cb/etc" --work-dir "$T/cb/work" \
		--logs-dir "$T/cb/log" --server "$ACME" "$@"
}
CNAME=certbot-eab.acme.test
expect "certbot certonly --eab-kid --eab-hmac-key registers and obtains a certificate" \
	cb certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01" \
	--agree-tos --register-unsafely-without-email --eab-kid "$KID2" --eab-hmac-key="$HMAC2" -d "$CNAME"
LIVE="$T/cb/etc/live/$CNAME"
[ -s "$LIVE/cert.pem" ] || show 20 "$T/stderr" "$T/server.log"
expect "openssl verify: certbot's leaf chains to our root" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$LIVE/chain.pem" -purpose sslserver "$LIVE/cert.pem"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM acme_account WHERE eab_kid = '$KID2'")" = 1 ] &&
	ok "certbot's account is bound to $KID2" || not_ok "no account bound to $KID2"
rm -rf "$T/cb"
expect_fail "certbot reusing that key for a new account is refused" nz "" \
	cb register --agree-tos --register-unsafely-without-email --eab-kid "$KID2" --eab-hmac-key="$HMAC2"
grep -q "unauthorized\|used already\|is unknown, used" "$T/cb/log/letsencrypt.log" && ok "  as unauthorized" ||
	not_ok "  no unauthorized in certbot's log"

expect "audit chain verifies" ct audit verify
finish
