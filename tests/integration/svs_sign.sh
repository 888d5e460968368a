#!/bin/bash
# tests/integration/svs_sign.sh: POST /api/v1/sign/data with keys the service
# holds ([svs.key.NAME], encrypted key files): P-256, RSA and SM2 signatures
# checked with openssl (dgst -verify, pkeyutl) and, for SM2, with sm-crypto
# (an independent implementation); the scopes: a verify-only token cannot
# sign, a token cannot use another application's key, no token is 401; every
# sign (and refusal) and every failed verification in the audit log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"
. "$(dirname "$0")/svs_lib.sh"

sm_crypto_setup "SM2 signatures not checked independently"
svs_tls
head -c 3000 /dev/urandom > "$T/data.bin"
printf 'other' > "$T/other.bin"
for k in p256:ec-p256 rsa:rsa2048 sm2:sm2 theirs:ec-p256; do
	n=${k%%:*} type=${k#*:}
	enckey "$type" "$T/$n"
	case $type in sm2) md=-sm3 ;; *) md=-sha256 ;; esac
	openssl req -x509 -new -key "$T/$n.plain" -subj "/CN=svs key $n" -days 2 $md -out "$T/$n.pem" 2>/dev/null
	openssl pkey -in "$T/$n.plain" -pubout -out "$T/$n.pub"
done
cat > "$T/svs.cnf" <<CNF
[svs]
tls_cert = $T/tls.pem
tls_key = $T/tls.key
tls_key_pass_file = $T/pass
audit_log = $T/audit.log

[svs.key.p256]
key = $T/p256.key
cert = $T/p256.pem
pass_file = $T/pass

[svs.key.rsa]
key = $T/rsa.key
cert = $T/rsa.pem
pass_file = $T/pass

[svs.key.sm2]
key = $T/sm2.key
cert = $T/sm2.pem
pass_file = $T/pass

[svs.key.theirs]
key = $T/theirs.key
cert = $T/theirs.pem
pass_file = $T/pass

[svs.app.dept]
token_sha256 = $(token dept)
scopes = verify sign:p256 sign:rsa sign:sm2
trust = $T/p256.pem

[svs.app.readonly]
token_sha256 = $(token readonly)
scopes = verify
trust = $T/p256.pem

[svs.app.other]
token_sha256 = $(token other)
scopes = sign:theirs
trust = $T/theirs.pem
CNF
start_svs "$T/svs.cnf" || { not_ok "svs-server starts with 4 keys"; finish; }
ok "svs-server starts with 4 keys"
jq -n --arg d "$(base64 -w0 "$T/data.bin")" '{key: "KEY", data: $d}' > "$T/sign.tmpl"
# sign APP KEY: POST /sign/data; the signature into $T/KEY.sig; prints the status
sign() {
	jq --arg k "$2" '.key = $k' "$T/sign.tmpl" > "$T/sign.json"
	local code
	code=$(post /api/v1/sign/data "$1" "$T/sign.json")
	[ "$code" = 200 ] && jq -r .signature "$T/resp" | base64 -d > "$T/$2.sig"
	echo "$code"
}
for k in p256 rsa; do
	[ "$(sign dept $k)" = 200 ] && openssl dgst -sha256 -verify "$T/$k.pub" -signature "$T/$k.sig" "$T/data.bin" >/dev/null &&
		ok "$k: signed by the service, openssl dgst -verify says OK" || { not_ok "$k: signed and verified"; show 3 "$T/resp"; }
	! openssl dgst -sha256 -verify "$T/$k.pub" -signature "$T/$k.sig" "$T/other.bin" >/dev/null 2>&1 &&
		ok "$k: not a signature of other data (openssl)" || not_ok "$k: not a signature of other data"
	[ "$(jq -r .certificate "$T/resp" | openssl x509 -noout -fingerprint -sha256)" = "$(openssl x509 -in "$T/$k.pem" -noout -fingerprint -sha256)" ] &&
		ok "$k: the answer carries the key's certificate" || not_ok "$k: the key's certificate"
done
[ "$(sign dept sm2)" = 200 ] && [ "$(jq -r .algorithm "$T/resp")" = sm2-sm3 ] &&
	openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey "$T/sm2.pub" -in "$T/data.bin" -sigfile "$T/sm2.sig" -pkeyopt "distid:$SM2_ID" >/dev/null &&
	ok "sm2: signed by the service (SM3, default ID), openssl pkeyutl says OK" || { not_ok "sm2: signed and verified by openssl"; show 3 "$T/resp"; }
if [ $have_sm_crypto = 1 ]; then
	pub=$(openssl pkey -pubin -in "$T/sm2.pub" -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n')
	expect "sm2: sm-crypto verifies the service's signature" node "$top_srcdir/tests/integration/sm2_check.js" "$NPM_DIR" "$pub" "$T/data.bin" "$T/sm2.sig"
	expect_fail "sm2: sm-crypto refuses it over other data" 1 "" node "$top_srcdir/tests/integration/sm2_check.js" "$NPM_DIR" "$pub" "$T/other.bin" "$T/sm2.sig"
fi
# the service's own verify/signature takes what it signed
jq -n --arg s "$(base64 -w0 "$T/p256.sig")" --arg d "$(base64 -w0 "$T/data.bin")" --rawfile c "$T/p256.pem" \
	'{format: "raw", signature: $s, data: $d, certificate: $c, revocation: "none"}' > "$T/v.json"
code=$(post /api/v1/verify/signature dept "$T/v.json")
[ "$code" = 200 ] && [ "$(jq -r .signature.valid "$T/resp")" = true ] && ok "p256: its own /verify/signature takes the signature" ||
	{ not_ok "p256: its own /verify/signature (HTTP $code)"; show 3 "$T/resp"; }

# authorisation
lines=$(wc -l < "$T/audit.log")
[ "$(sign readonly p256)" = 403 ] && problem_is 403 && ok "a verify-only token cannot sign: 403" || { not_ok "a verify-only token signs"; show 3 "$T/resp"; }
[ "$(sign dept theirs)" = 403 ] && problem_is 403 && ok "a token cannot use another application's key: 403" || { not_ok "another application's key"; show 3 "$T/resp"; }
[ "$(sign other theirs)" = 200 ] && openssl dgst -sha256 -verify "$T/theirs.pub" -signature "$T/theirs.sig" "$T/data.bin" >/dev/null &&
	ok "... which its own application may use" || { not_ok "its own application's key"; show 3 "$T/resp"; }
[ "$(sign - p256)" = 401 ] && problem_is 401 && ok "no token: 401" || { not_ok "no token"; show 3 "$T/resp"; }
jq -n --rawfile c "$T/theirs.pem" '{certificate: $c}' > "$T/foreign.json"
code=$(post /api/v1/verify/certificate other "$T/foreign.json")
[ "$code" = 403 ] && ok "a sign-only token cannot verify: 403" || not_ok "a sign-only token verifies (HTTP $code)"
code=$(post /api/v1/verify/certificate readonly "$T/foreign.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = false ] && ok "a certificate of no anchor of the application: invalid" || not_ok "the foreign certificate (HTTP $code)"

# the audit log: one JSON line per sign, refusal and failed verification
tail -n +"$((lines + 1))" "$T/audit.log" > "$T/audit.new"
jq -s -e 'length == 5' "$T/audit.new" >/dev/null &&
	[ "$(jq -r '[.application, .action, .outcome, .detail] | join(" ")' "$T/audit.new")" = "$(printf '%s\n' \
		"readonly sign refused p256" "dept sign refused theirs" "other sign signed theirs" \
		"other verify/certificate refused no verify scope" \
		"readonly verify/certificate invalid $(jq -r '.checks[0].reason' "$T/resp")")" ] &&
	ok "the audit log: the refusals, the signature and the failed verification, each with its application" ||
	{ not_ok "the audit log"; show 8 "$T/audit.new"; }
[ "$(jq -s '[.[] | select(.action == "sign" and .outcome == "signed")] | length' "$T/audit.log")" = 4 ] &&
	ok "every signature audited (4)" || { not_ok "every signature audited"; show 10 "$T/audit.log"; }
stop_svs && ok "svs-server stops with exit 0" || not_ok "svs-server stops with exit 0"
finish
