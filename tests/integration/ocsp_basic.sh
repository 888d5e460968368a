#!/bin/bash
# ocsp_basic: ocsp-responder answers good, revoked (reason, time) and
# unknown to independent clients: openssl ocsp (POST with and without a
# nonce, CA-signed and through a delegated responder), gnutls ocsptool, and
# curl GETs (escaped and unescaped base64, a doubled slash) whose answers
# openssl ocsp -respin checks; RFC 9919 caching headers and 304.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

setup_pki ec-p256
d="$T/pki"
start_responder $PASS || { not_ok "responder starts"; finish; exit 1; }
ok "responder starts on an ephemeral port"
expect "healthz" healthy

# openssl ocsp, POST, with a nonce (its default), CA-signed
expect "openssl: good (nonce)" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem"
grep -q "good.pem: good" "$T/stdout" && grep -q "Response verify OK" "$T/stderr" &&
	ok "openssl: good verified" || not_ok "openssl: good verified"
expect "openssl: revoked (nonce)" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -CAfile "$d/chain.pem"
grep -q "revoked.pem: revoked" "$T/stdout" && grep -q "Reason: keyCompromise" "$T/stdout" &&
	grep -q "Revocation Time: .* $(date -u +%Y) GMT" "$T/stdout" &&
	ok "openssl: revoked with reason and time" || not_ok "openssl: revoked with reason and time"
expect "openssl: unknown serial" ossl_ocsp -issuer "$d/issuing.pem" -serial 0x1234567 -CAfile "$d/chain.pem"
grep -q "0x1234567: unknown" "$T/stdout" && ok "openssl: never-issued serial is unknown" ||
	not_ok "openssl: never-issued serial is unknown"
expect "openssl: nonce echoed" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem" -resp_text
grep -q "OCSP Nonce" "$T/stdout" && ! grep -q "WARNING: no nonce" "$T/stderr" && ok "openssl: response carries the nonce" ||
	not_ok "openssl: response carries the nonce"
expect "openssl: -no_nonce" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem" -no_nonce -resp_text
grep -q "good.pem: good" "$T/stdout" && grep -q "Responder Id: [0-9A-F]\{40\}" "$T/stdout" &&
	ok "openssl: nonce-less good, responderID byKey" || not_ok "openssl: nonce-less good, responderID byKey"
expect "openssl: SHA-256 CertID" ossl_ocsp -sha256 -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -CAfile "$d/chain.pem" -no_nonce
grep -q "revoked.pem: revoked" "$T/stdout" && ok "openssl: SHA-256 CertID answered" || not_ok "openssl: SHA-256 CertID answered"
expect "openssl: two certificates in one request" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -cert "$d/revoked.pem" -CAfile "$d/chain.pem"
grep -q "good.pem: good" "$T/stdout" && grep -q "revoked.pem: revoked" "$T/stdout" &&
	ok "openssl: both answered" || not_ok "openssl: both answered"

# gnutls ocsptool
for n in good revoked; do
	expect "ocsptool: $n" ocsptool --ask="$URL/" --load-issuer "$d/issuing.pem" --load-cert "$d/$n.pem" --load-signer "$d/issuing.pem"
	grep -q "Certificate Status: $n" "$T/stdout" && grep -q "Verifying OCSP Response: Success" "$T/stdout" &&
		ok "ocsptool: $n verified" || not_ok "ocsptool: $n verified"
done
grep -q "Revocation time: .* $(date -u +%Y)" "$T/stdout" && ok "ocsptool: revocation time" || not_ok "ocsptool: revocation time"
expect "ocsptool: with a nonce" ocsptool --ask="$URL/" --nonce --load-issuer "$d/issuing.pem" --load-cert "$d/good.pem" --load-signer "$d/issuing.pem"
grep -q "Verifying OCSP Response: Success" "$T/stdout" && grep -qi "nonce" "$T/stdout" &&
	ok "ocsptool: nonce echoed and verified" || not_ok "ocsptool: nonce echoed and verified"
# an unknown certificate for ocsptool: one "issued" under the issuing CA's
# name by a look-alike CA (ocsptool hashes the leaf's issuer name and the
# issuer certificate's key), with a serial the CA never issued
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/fake.key" \
	-out "$T/fake.pem" -subj "/C=CN/O=City of Example/CN=Issuing CA" -days 2 2>/dev/null
openssl req -new -key "$d/good.key" -subj "/CN=stranger" -out "$T/stranger.csr"
openssl x509 -req -in "$T/stranger.csr" -CA "$T/fake.pem" -CAkey "$T/fake.key" -set_serial 0x4242 \
	-days 1 -out "$T/stranger.pem" 2>/dev/null
expect "ocsptool: unknown" ocsptool --ask="$URL/" --load-issuer "$d/issuing.pem" --load-cert "$T/stranger.pem" --load-signer "$d/issuing.pem"
grep -q "Certificate Status: unknown" "$T/stdout" && ok "ocsptool: unknown" || not_ok "ocsptool: unknown"

# GET: base64 of the DER request in the path (RFC 6960 A.1, RFC 9919)
openssl ocsp -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -no_nonce -reqout "$T/req.der" >/dev/null
b64=$(base64 -w0 "$T/req.der")
esc=$(printf %s "$b64" | sed 's,%,%25,g;s,/,%2F,g;s,+,%2B,g;s,=,%3D,g')
echo "# request base64: $b64"
i=0
for path in "/$b64" "/$esc" "//$b64" "//$esc"; do
	i=$((i + 1))
	code=$(curl -s -D "$T/h$i" -o "$T/r$i.der" -w '%{http_code}' "$URL$path")
	[ "$code" = 200 ] && grep -qi '^Content-Type: application/ocsp-response' "$T/h$i" &&
		ok "GET $i: 200 application/ocsp-response" || not_ok "GET $i: $code"
	expect "GET $i: openssl -respin verifies" openssl ocsp -respin "$T/r$i.der" -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -CAfile "$d/chain.pem"
	grep -q "revoked.pem: revoked" "$T/stdout" && ok "GET $i: revoked" || not_ok "GET $i: revoked"
done
cmp -s "$T/r1.der" "$T/r4.der" && ok "GET: every spelling gets the same pre-signed response" ||
	not_ok "GET: every spelling gets the same pre-signed response"
h="$T/h1"
grep -qi '^Cache-Control: max-age=[0-9]*, public, no-transform, must-revalidate' "$h" &&
	grep -qi '^Last-Modified: [A-Z][a-z][a-z], ' "$h" && grep -qi '^Expires: ' "$h" &&
	grep -qi '^ETag: "[0-9a-f]\{32\}"' "$h" && ok "GET: RFC 9919 caching headers" || {
	not_ok "GET: RFC 9919 caching headers"; sed 's/^/#   /' "$h"; }
age=$(sed -n 's/^Cache-Control:.*max-age=\([0-9]*\).*/\1/Ip' "$h")
[ -n "$age" ] && [ "$age" -gt 0 ] && [ "$age" -le 3600 ] && ok "GET: max-age up to nextUpdate ($age)" || not_ok "GET: max-age $age"
etag=$(sed -n 's/^ETag: *\([^[:space:]]*\).*/\1/Ip' "$h")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/$b64")
[ "$code" = 304 ] && ok "GET: If-None-Match gives 304" || not_ok "GET: If-None-Match gives $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$URL/$b64")
[ "$code" = 200 ] && ok "GET: another ETag gives 200" || not_ok "GET: another ETag gives $code"
# If-Modified-Since (RFC 9110 §13.1.3; Last-Modified is thisUpdate, RFC
# 5019 §6.2): not before it, 304; before it, unparsable, in the future, or
# beside an If-None-Match that does not match, 200
lm=$(grep -i '^Last-Modified' "$h" | cut -d' ' -f2- | tr -d '\r')
ims() { curl -s -o /dev/null -w '%{http_code}' "$@" "$URL/$b64"; }
check_ims() { [ "$2" = "$3" ] && ok "GET: If-Modified-Since $1: $3" || not_ok "GET: If-Modified-Since $1: $3 (want $2)"; }
check_ims "= Last-Modified" 304 "$(ims -H "If-Modified-Since: $lm")"
check_ims "in RFC 850 form" 304 "$(ims -H "If-Modified-Since: $(date -u -d "$lm" '+%A, %d-%b-%y %H:%M:%S GMT')")"
check_ims "in asctime form" 304 "$(ims -H "If-Modified-Since: $(date -u -d "$lm" '+%a %b %e %H:%M:%S %Y')")"
check_ims "an hour before" 200 "$(ims -H "If-Modified-Since: $(date -u -d "$lm 3600 seconds ago" '+%a, %d %b %Y %H:%M:%S GMT')")"
check_ims "tomorrow" 200 "$(ims -H "If-Modified-Since: $(date -u -d tomorrow '+%a, %d %b %Y %H:%M:%S GMT')")"
check_ims "not a date" 200 "$(ims -H "If-Modified-Since: yesterday")"
check_ims "with another ETag" 200 "$(ims -H "If-Modified-Since: $lm" -H 'If-None-Match: "other"')"
# an unknown serial: not cacheable over HTTP, and not signed afresh for a
# repeated GET (kept in memory until the next refresh)
openssl ocsp -issuer "$d/issuing.pem" -serial 0x1234567 -no_nonce -reqout "$T/unk.der" >/dev/null
u64=$(base64 -w0 "$T/unk.der")
signed() { curl -s "$URL/metrics" | awk '$1 == "govpki_ocsp_signed_total" { print $2 }'; }
curl -s -D "$T/hu" -o "$T/u1.der" "$URL/$u64"
s1=$(signed)
curl -s -D "$T/hu2" -o "$T/u2.der" "$URL/$u64"
curl -s -o "$T/u3.der" "$URL/$u64"
s2=$(signed)
openssl ocsp -respin "$T/u2.der" -issuer "$d/issuing.pem" -serial 0x1234567 -CAfile "$d/chain.pem" > "$T/u2.txt" 2>&1 &&
	grep -q "0x1234567: unknown" "$T/u2.txt" && ok "GET unknown: openssl ocsp reads unknown" || not_ok "GET unknown: openssl ocsp reads unknown"
grep -qi '^Cache-Control: no-store' "$T/hu" && ! grep -qi '^ETag\|public\|max-age' "$T/hu" "$T/hu2" &&
	ok "GET unknown: no-store, no public max-age" || { not_ok "GET unknown: no-store, no public max-age"; sed 's/^/#   /' "$T/hu"; }
[ -n "$s1" ] && [ "$s1" = "$s2" ] && cmp -s "$T/u1.der" "$T/u3.der" &&
	ok "GET unknown: repeated, not signed again (signed $s1, then $s2)" ||
	not_ok "GET unknown: repeated, not signed again (signed $s1, then $s2)"
# POST with a nonce is not cacheable
curl -s -D "$T/hp" -o /dev/null -H 'Content-Type: application/ocsp-request' --data-binary @"$T/req.der" "$URL/"
grep -qi '^ETag' "$T/hp" && ok "POST nonce-less: cacheable too" || not_ok "POST nonce-less: cacheable too"
openssl ocsp -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -reqout "$T/reqn.der" >/dev/null
curl -s -D "$T/hn" -o /dev/null -H 'Content-Type: application/ocsp-request' --data-binary @"$T/reqn.der" "$URL/"
grep -qi '^Cache-Control: no-store' "$T/hn" && ! grep -qi '^ETag' "$T/hn" && ok "POST with nonce: no-store" ||
	not_ok "POST with nonce: no-store"
# keep-alive: two GETs on one connection
curl -sv -o /dev/null -o /dev/null "$URL/$b64" "$URL/$b64" 2>"$T/kv"
grep -q "Re-using existing connection" "$T/kv" && ok "GET: keep-alive" || not_ok "GET: keep-alive"

# a delegated responder (ocsp-signer profile): the response carries it
genkey ec-p256 "$T/signer.plain"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/signer.plain" -out "$d/signer.key" -passout file:"$T/pass"
mkcsr ec-p256 "$T/signer.plain" "$T/signer.csr" "/C=CN/O=City of Example/CN=OCSP Responder"
expect "issue an ocsp-signer certificate" ct issue --ca issuing --profile ocsp-signer --csr "$T/signer.csr" --out "$d/signer.pem" $PASS
openssl x509 -in "$d/signer.pem" -noout -ext extendedKeyUsage > "$T/eku" && grep -q "OCSP Signing" "$T/eku" &&
	ok "signer has id-kp-OCSPSigning" || not_ok "signer EKU"
stop_responder && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit status"
start_responder $PASS --ca issuing --signer-cert "$d/signer.pem" --signer-key "$d/signer.key" ||
	not_ok "delegated responder starts"
expect "delegated: openssl -VAfile" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -VAfile "$d/signer.pem" -resp_text
grep -q "revoked.pem: revoked" "$T/stdout" && grep -q "Response verify OK" "$T/stderr" && grep -q "OCSP Responder" "$T/stdout" &&
	ok "delegated: verified with -VAfile, signer certificate included" || not_ok "delegated: -VAfile"
expect "delegated: openssl -CAfile chain" ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem"
grep -q "good.pem: good" "$T/stdout" && grep -q "Response verify OK" "$T/stderr" &&
	ok "delegated: verified through the chain" || not_ok "delegated: chain"
expect "delegated: ocsptool" ocsptool --ask="$URL/" --load-issuer "$d/issuing.pem" --load-cert "$d/revoked.pem" --load-signer "$d/signer.pem"
grep -q "Certificate Status: revoked" "$T/stdout" && grep -q "Verifying OCSP Response: Success" "$T/stdout" &&
	ok "delegated: ocsptool verifies" || not_ok "delegated: ocsptool verifies"
expect_fail "delegated: root's certificates are unauthorized here" nz "unauthorized" \
	sh -c "openssl ocsp -url '$URL' -issuer '$d/root.pem' -cert '$d/issuing.pem' -CAfile '$d/chain.pem' >&2"
curl -sf "$URL/metrics" > "$T/metrics" &&
	grep -q '^govpki_ocsp_requests_total{outcome="successful"} [1-9]' "$T/metrics" &&
	grep -q '^govpki_ocsp_request_duration_seconds_bucket{le="+Inf"} [1-9]' "$T/metrics" &&
	grep -q '^govpki_ocsp_cache_hits_total ' "$T/metrics" && ok "metrics" || not_ok "metrics"
stop_responder && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit status"
finish
