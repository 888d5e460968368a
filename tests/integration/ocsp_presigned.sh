#!/bin/bash
# ocsp_presigned: `ca-tool ocsp presign` writes responses into the store; a
# key-less `ocsp-responder --presigned` serves them (good, revoked, SHA-1 and
# SHA-256 CertIDs, GET and POST), checked with openssl ocsp -CAfile; a
# certificate without a response gets tryLater (RFC 6960 §2.3); a
# revocation shows once presign runs again; a second run re-signs nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

setup_pki ec-p256
d="$T/pki"

expect_fail "presign without --ca" 2 "needs --ca" ct ocsp presign $PASS
expect_fail "presign with an unknown CA" nz "nosuch" ct ocsp presign --ca nosuch $PASS
expect_fail "presign with a wrong passphrase" nz "" ct ocsp presign --ca issuing --pass-file /dev/null
expect_fail "presign with an unknown subcommand" 2 "unknown subcommand" ct ocsp sign
expect "presign the issuing CA" ct --json ocsp presign --ca issuing $PASS
grep -q '"signed": 2' "$T/stdout" && grep -q '"missing": 2' "$T/stdout" &&
	ok "two certificates signed" || { not_ok "two certificates signed"; cat "$T/stdout"; }
expect "presign again" ct --json ocsp presign --ca issuing $PASS
grep -q '"signed": 0' "$T/stdout" && ok "a second run signs nothing" ||
	{ not_ok "a second run signs nothing"; cat "$T/stdout"; }

# a certificate issued after presign has no response yet
genkey ec-p256 "$d/late.key"
mkcsr ec-p256 "$d/late.key" "$d/late.csr" "/C=CN/O=City of Example/CN=late.example.gov.cn" "DNS:late.example.gov.cn"
ct issue --ca issuing --profile tls-server --csr "$d/late.csr" --out "$d/late.pem" $PASS >/dev/null 2>&1

# the replica: no passphrase (stdin closed: it would fail to prompt), no key
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
start_responder --presigned --config "$T/ocsp.cnf" </dev/null ||
	{ not_ok "key-less responder starts"; finish; exit 1; }
ok "key-less responder starts (no passphrase asked)"

# status NAME HASH [ARGS]: what openssl ocsp reads from the replica, from a
# response that verifies (openssl's words in $T/ocsp.out)
status() { verified_status "$d/$1.pem" "$d/issuing.pem" "-$2" -url "$URL" -CAfile "$d/chain.pem" "${@:3}"; }
for h in sha1 sha256; do
	[ "$(status good "$h" -no_nonce)" = good ] && ok "good ($h CertID), verified" || { not_ok "good ($h)"; show 10 "$T/ocsp.out"; }
	[ "$(status revoked "$h" -no_nonce)" = revoked ] && ok "revoked ($h CertID), verified" || not_ok "revoked ($h)"
done
grep -q "Reason: keyCompromise" "$T/ocsp.out" && ok "with its reason" || not_ok "with its reason"
# a nonce is not echoed by pre-signed responses: openssl warns, still verifies
[ "$(status good sha1)" = good ] && ok "a request with a nonce gets the pre-signed response" ||
	{ not_ok "request with a nonce"; show 10 "$T/ocsp.out"; }

# GET (RFC 6960 A.1), twice: the second from memory, the same bytes
openssl ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -reqout "$T/good.req" >/dev/null
b64=$(base64 -w0 "$T/good.req")
curl -sf -D "$T/h1" -o "$T/g1.der" "$URL/$b64" && curl -sf -o "$T/g2.der" "$URL/$b64" &&
	cmp -s "$T/g1.der" "$T/g2.der" && grep -qi '^Cache-Control: max-age=' "$T/h1" &&
	[ "$(verified_status "$d/good.pem" "$d/issuing.pem" -respin "$T/g1.der" -CAfile "$d/chain.pem")" = good ] &&
	ok "GET: cacheable, the same response twice" || not_ok "GET"

# responder_error STATUS ARGS...: openssl ocsp ARGS gets the error response
# STATUS (no responseBytes, so nothing signed): openssl says so and exits 1
responder_error() {
	local want=$1 rc=0; shift
	openssl ocsp "$@" > "$T/o" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] && grep -q "^Responder Error: $want " "$T/o" && return 0
	echo "# openssl ocsp: exit $rc, want 1 and 'Responder Error: $want'"; show 5 "$T/o"; return 1
}
# no response for the late certificate: tryLater, unsigned (RFC 6960 §2.3)
responder_error trylater -url "$URL" -issuer "$d/issuing.pem" -cert "$d/late.pem" -CAfile "$d/chain.pem" -no_nonce &&
	ok "no response yet: tryLater" || not_ok "tryLater"
# nor for an SM3 CertID (not pre-signed)
openssl ocsp -issuer "$d/issuing.pem" -sm3 -cert "$d/good.pem" -no_nonce -reqout "$T/sm3.req" >/dev/null
curl -sf -o "$T/sm3.der" --data-binary @"$T/sm3.req" -H "Content-Type: application/ocsp-request" "$URL/" &&
	responder_error trylater -respin "$T/sm3.der" -noverify && ok "SM3 CertID: tryLater" || not_ok "SM3 CertID: tryLater"
# two certificates in one request: unauthorized (one per request, RFC 5019 2.1.1)
responder_error unauthorized -url "$URL" -issuer "$d/issuing.pem" -cert "$d/good.pem" -cert "$d/revoked.pem" -no_nonce &&
	ok "two certificates: unauthorized" || not_ok "two certificates"

# revoke the good one: the replica keeps the old response until presign runs
expect "ca-tool revoke" ct revoke --ca issuing --serial "$(serial_of "$d/good.pem")" --reason superseded
[ "$(status good sha1 -no_nonce)" = good ] && ok "before presign runs again: still good (documented)" ||
	not_ok "before presign: still good"
expect "presign after the revocation" ct --json ocsp presign --ca issuing $PASS
grep -q '"changed": 1' "$T/stdout" && grep -q '"missing": 1' "$T/stdout" &&
	ok "it re-signs the revoked one and signs the late one" || { not_ok "presign after revoke"; cat "$T/stdout"; }
# within refresh_seconds (1 s) the replica reads the new generation; poll 5 s at most
for i in $(seq 50); do
	[ "$(status good sha256 -no_nonce)" = revoked ] && break
	sleep 0.1
done
[ "$(status good sha256 -no_nonce)" = revoked ] && [ "$(status good sha1 -no_nonce)" = revoked ] &&
	ok "revoked after presign ran again" || not_ok "revoked after presign ran again"
curl -sf -o "$T/g3.der" "$URL/$b64" &&
	[ "$(verified_status "$d/good.pem" "$d/issuing.pem" -respin "$T/g3.der" -CAfile "$d/chain.pem")" = revoked ] &&
	ok "GET sees it too" || not_ok "GET sees it too"
[ "$(status late sha1 -no_nonce)" = good ] && ok "the late certificate is answered now" || not_ok "late certificate"
curl -sf -o "$T/metrics" "$URL/metrics" && grep -q '^govpki_ocsp_signed_total 0$' "$T/metrics" &&
	ok "the replica signed nothing" || not_ok "the replica signed nothing"

stop_responder && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit status"
finish
