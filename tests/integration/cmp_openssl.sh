#!/bin/bash
# tests/integration/cmp_openssl.sh: CMP (RFC 4210/9480, Lightweight CMP RFC 9483) with Debian's
# openssl cmp as the client: p10cr with MAC protection by a secret of ca-tool cmp secret create,
# with certConf/pkiConf and with implicit confirm; each certificate checked with openssl verify;
# a wrong MAC, an unknown reference, a revoked secret, malformed bodies (random bytes, truncated
# DER) refused with a CMP error or an HTTP status, nothing issued, the server still serving
. "$(dirname "$0")/ra_lib.sh"

ra_setup "plain_http = yes
[profile.cmp-auto]
inherit = device
cmp = yes
cmp_approval = auto
[profile.cmp-officer]
inherit = device
cmp = yes
[cmp]
confirm_seconds = 60"
# CMP protects its own messages (RFC 4210 5.1.3): plain HTTP on 127.0.0.1, as RFC 6712 allows
sed -i '/^tls_cert =/d; /^tls_key =/d' "$CONF"
ra_start
SRV="127.0.0.1:$PORT"
DB="$GOVPKI_HOME/govpki.db"
certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
audits() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action LIKE 'cmp.%'"; }
# cmpc NAME ARGS...: openssl cmp against our server, its output in $T/NAME.out
cmpc() {
	local n=$1; shift
	openssl cmp -server "$SRV" -recipient "/CN=govpki" "$@" > "$T/$n.out" 2>&1
}

# --- ca-tool cmp secret create: the reference and the secret, shown once
ct --config "$CONF" cmp secret create --profile cmp-auto > "$T/sec" 2>/dev/null
KID=$(sed -n 's/^kid: //p' "$T/sec"); SEC=$(sed -n 's/^secret: //p' "$T/sec")
case "$KID/$SEC" in cmp-*/cmp_*) ok "ca-tool cmp secret create prints a kid and a secret" ;; *) not_ok "secret create: $(cat "$T/sec")" ;; esac
h=$(printf '%s' "$SEC" | openssl dgst -sha256 -r | cut -d' ' -f1)
check "... the store keeps its SHA-256 only, as token cmp@KID" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM ra_token WHERE name = 'cmp@$KID' AND profiles = 'cmp-auto' AND hex(hash) = upper('$h')")"
[ -z "$(sqlite3 "$DB" .dump | grep -F "$SEC")" ] && ok "... the secret is nowhere in the store" || not_ok "... the secret is in the store"
expect_fail "... not for a profile without cmp = yes" nz "not served over CMP" ct --config "$CONF" cmp secret create --profile device
MAC=(-ref "$KID" -secret "pass:$SEC")

# --- p10cr with MAC protection, certConf/pkiConf
genkey ec-p256 "$D/d1.key"
mkcsr ec-p256 "$D/d1.key" "$D/d1.csr" "/C=CN/O=City/CN=d1.city.example" "DNS:d1.city.example"
n0=$(certs)
if cmpc p10cr -cmd p10cr -path .well-known/cmp "${MAC[@]}" -csr "$D/d1.csr" -certout "$D/d1.crt" -reqout "$T/req.der,$T/conf.der"; then
	ok "p10cr with MAC: issued"; else not_ok "p10cr with MAC"; show 20 "$T/p10cr.out"; fi
expect "... openssl verify: it chains to our root" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$D/d1.crt"
check "... the CSR's key" "$(openssl pkey -in "$D/d1.key" -pubout)" "$(openssl x509 -in "$D/d1.crt" -noout -pubkey 2>/dev/null)"
check "... one certificate stored, under the secret's profile" "$((n0 + 1)) cmp-auto" \
	"$(certs) $(sqlite3 "$DB" "SELECT profile FROM cert ORDER BY id DESC LIMIT 1")"
check "... certConf confirmed it (audited)" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cmp.certconf' AND detail LIKE '%result=confirmed%' AND detail LIKE '%kid=$KID%'")"

# --- implicit confirm (RFC 4210 5.1.1.1) under the profile's path
genkey ec-p256 "$D/d2.key"
mkcsr ec-p256 "$D/d2.key" "$D/d2.csr" "/C=CN/O=City/CN=d2.city.example" "DNS:d2.city.example"
c0=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cmp.certconf'")
if cmpc ic -cmd p10cr -path .well-known/cmp/p/cmp-auto "${MAC[@]}" -csr "$D/d2.csr" -implicit_confirm -certout "$D/d2.crt"; then
	ok "p10cr with implicit confirm: issued"; else not_ok "p10cr with implicit confirm"; show 20 "$T/ic.out"; fi
expect "... openssl verify" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$D/d2.crt"
check "... no certConf sent" "$c0" "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cmp.certconf'")"

# --- refused: nothing issued, each audited, the server still serving
n0=$(certs)
genkey ec-p256 "$D/x.key"
mkcsr ec-p256 "$D/x.key" "$D/x.csr" "/C=CN/O=City/CN=x.city.example" "DNS:x.city.example"
if cmpc wrongmac -cmd p10cr -path .well-known/cmp -ref "$KID" -secret "pass:${SEC}x" -csr "$D/x.csr" -certout "$D/x.crt"; then
	not_ok "a wrong MAC: issued"; else ok "a wrong MAC: refused"; fi
grep -Eiq "error|fail" "$T/wrongmac.out" && ok "... the client reports the failure" || { not_ok "... output"; show 10 "$T/wrongmac.out"; }
check "... audited as refused" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cmp.p10cr' AND detail LIKE '%result=refused%' AND detail LIKE '%kid=$KID%'")"
if cmpc unknown -cmd p10cr -path .well-known/cmp -ref cmp-000000000000000000000000 -secret "pass:$SEC" -unprotected_errors -csr "$D/x.csr" -certout "$D/x.crt"; then
	not_ok "an unknown reference: issued"; else ok "an unknown reference: refused"; fi
grep -q "badRequest\|rejection" "$T/unknown.out" && ok "... with a CMP error (PKIStatus rejection)" || { not_ok "... output"; show 10 "$T/unknown.out"; }
check "... audited with the reason" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE detail LIKE '%unknown CMP secret%'")"
if cmpc other -cmd p10cr -path .well-known/cmp/p/cmp-officer "${MAC[@]}" -csr "$D/x.csr" -certout "$D/x.crt"; then
	not_ok "the secret under another profile's path: issued"; else ok "the secret under another profile's path: refused"; fi
check "... nothing issued" "$n0" "$(certs)"

post() { curl -s -o "$T/body" -w '%{http_code}' -H "Content-Type: application/pkixcmp" --data-binary @"$1" "http://$SRV/.well-known/cmp"; }
head -c 300 /dev/urandom > "$T/random.der"
check "random bytes: 400" 400 "$(post "$T/random.der")"
head -c $(( $(stat -c %s "$T/req.der") - 7 )) "$T/req.der" > "$T/trunc.der"
check "truncated DER: 400" 400 "$(post "$T/trunc.der")"
check "a wrong Content-Type: 415" 415 "$(curl -s -o "$T/body" -w '%{http_code}' -H "Content-Type: application/json" --data-binary @"$T/req.der" "http://$SRV/.well-known/cmp")"
check "GET: 405" 405 "$(curl -s -o "$T/body" -w '%{http_code}' "http://$SRV/.well-known/cmp")"
check "an unknown profile path: 404" 404 "$(curl -s -o "$T/body" -w '%{http_code}' -H "Content-Type: application/pkixcmp" --data-binary @"$T/req.der" "http://$SRV/.well-known/cmp/p/nosuch")"
check "... nothing issued" "$n0" "$(certs)"
if cmpc again -cmd p10cr -path .well-known/cmp "${MAC[@]}" -csr "$D/x.csr" -certout "$D/x.crt"; then
	ok "the server still serves: p10cr issued"; else not_ok "the server still serves"; show 20 "$T/again.out"; fi
expect "... openssl verify" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$D/x.crt"
kill -0 "$RA_PID" && ok "ra-server is still running" || not_ok "ra-server died"
# every CMP secret is a token row with its creation entry, every issuance audited
expect "the audit chain verifies (ca-tool audit verify)" ct audit verify
finish
