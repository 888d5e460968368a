#!/bin/bash
# tests/integration/est_curl.sh: EST (RFC 7030) with curl as the client: cacerts, simpleenroll
# with an enrolment secret (HTTP Basic) and with a client certificate, simplereenroll, an
# enrolment that waits for an officer; the answers opened with openssl pkcs7, checked with
# openssl verify and openssl ocsp against our responder; bad requests refused with their
# HTTP status, nothing issued for them, every request audited, the server still serving
. "$(dirname "$0")/ra_lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
trap 'ra_stop; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$T"' EXIT

ra_setup "threads = 4
[profile.est-auto]
inherit = device
est = yes
est_approval = auto
[profile.est-officer]
inherit = device
est = yes
[est]
default_profile = est-auto
retry_after = 1"
ra_start
EST="$URL/.well-known/est"
DB="$GOVPKI_HOME/govpki.db"

# est ARGS...: curl against the server, trusting our root; prints the HTTP
# status, the body in $T/body, the headers in $T/hdr
# (each EST request is counted in $T/sent, to compare with the audit)
est() {
	case " $* " in *"/.well-known/est/"*) echo x >> "$T/sent" ;; esac
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --cacert "$D/root.pem" "$@"
}
# p7_certs OUT: the certificates of the base64 PKCS#7 in $T/body, as PEM
p7_certs() { openssl base64 -d -in "$T/body" | openssl pkcs7 -inform DER -print_certs -out "$1"; }
# header NAME: the value of header NAME of the last answer
header() { tr -d '\r' < "$T/hdr" | sed -n "s/^$1: //Ip" | tail -n 1; }
# csr_b64 NAME CN [SAN]: a fresh key $D/NAME.key and its CSR as base64 DER in $D/NAME.b64
csr_b64() {
	genkey ec-p256 "$D/$1.key"
	mkcsr ec-p256 "$D/$1.key" "$D/$1.csr" "/C=CN/O=City/CN=$2" "${3:-}"
	openssl req -in "$D/$1.csr" -outform DER | openssl base64 > "$D/$1.b64"
}
certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
requests() { sqlite3 "$DB" "SELECT count(*) FROM ra_request"; }
P10=(-H "Content-Type: application/pkcs10")

# --- cacerts (§4.1): no authentication, the chain as base64 certs-only PKCS#7
check "cacerts: 200" 200 "$(est "$EST/cacerts")"
case $(header Content-Type) in application/pkcs7-mime*) ok "... application/pkcs7-mime" ;; *) not_ok "... Content-Type $(header Content-Type)" ;; esac
check "... Content-Transfer-Encoding: base64" base64 "$(header Content-Transfer-Encoding)"
if p7_certs "$T/cacerts.pem"; then ok "... openssl pkcs7 opens it"; else not_ok "... openssl pkcs7 opens it"; fi
for ca in root issuing; do
	ct export --ca "$ca" --out "$T/$ca.pem"
	fp=$(openssl x509 -in "$T/$ca.pem" -noout -fingerprint -sha256)
	python3 - "$T/cacerts.pem" "$fp" > "$T/fpcheck" <<'EOF'
import subprocess, sys
pem = open(sys.argv[1]).read().split("-----END CERTIFICATE-----")
for blk in pem:
    if "BEGIN CERTIFICATE" not in blk:
        continue
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
                         input=blk + "-----END CERTIFICATE-----\n", capture_output=True, text=True).stdout.strip()
    if out == sys.argv[2]:
        print("found")
EOF
	grep -q found "$T/fpcheck" && ok "... holds the $ca CA certificate" || not_ok "... lacks the $ca CA certificate"
done
openssl base64 -d -in "$T/body" | openssl cms -cmsout -inform DER -print > "$T/p7.txt"
grep -A1 "signerInfos:" "$T/p7.txt" > "$T/signers"
grep -q "<EMPTY>" "$T/signers" && ok "... certs-only: no signer" || not_ok "... has signers: $(cat "$T/signers")"
check "cacerts under the profile's label: 200" 200 "$(est "$EST/est-officer/cacerts")"
check "csrattrs (§4.5): 204, nothing asked beyond the profile" 204 "$(est "$EST/csrattrs")"

# --- simpleenroll with an enrolment secret (§4.2.1, HTTP Basic)
SECRET=$(ct --config "$CONF" est secret create --profile est-auto --name dev1 2>/dev/null)
case $SECRET in gpt_*) ok "ca-tool est secret create prints the secret once" ;; *) not_ok "est secret create: '$SECRET'" ;; esac
ct est secret list > "$T/secrets"
grep -q "est@dev1" "$T/secrets" && ok "ca-tool est secret list shows it" || not_ok "est secret list: $(cat "$T/secrets")"
grep -q "$SECRET" "$T/secrets" && not_ok "... and the secret itself" || ok "... without the secret"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM ra_token WHERE name = 'est@dev1' AND hex(hash) = upper('$(printf '%s' "$SECRET" | openssl dgst -sha256 -r | cut -d' ' -f1)')")" = 1 ] &&
	ok "... stored as its SHA-256 only" || not_ok "... not stored as its hash"
csr_b64 dev1 dev1.city.example "DNS:dev1.city.example"
n0=$(certs)
check "simpleenroll with Basic: 200" 200 "$(est -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$D/dev1.b64" "$EST/simpleenroll")"
case $(header Content-Type) in application/pkcs7-mime*certs-only*) ok "... application/pkcs7-mime; smime-type=certs-only" ;; *) not_ok "... Content-Type $(header Content-Type)" ;; esac
check "... Content-Transfer-Encoding: base64" base64 "$(header Content-Transfer-Encoding)"
if p7_certs "$D/dev1.crt" && [ "$(grep -c "BEGIN CERTIFICATE" "$D/dev1.crt")" = 1 ]; then ok "... one certificate in the PKCS#7"; else not_ok "... one certificate in the PKCS#7"; fi
expect "... openssl verify: it chains to our root" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$D/dev1.crt"
check "... the CSR's key" "$(openssl pkey -in "$D/dev1.key" -pubout)" "$(openssl x509 -in "$D/dev1.crt" -noout -pubkey)"
x509_text "$D/dev1.crt" && grep -q "CN *= *dev1.city.example" "$T/x509.txt" && grep -q "DNS:dev1.city.example" "$T/x509.txt" &&
	ok "... the CSR's subject and SAN" || not_ok "... subject/SAN"
check "... one certificate stored" $((n0 + 1)) "$(certs)"
check "... no RA request (est_approval = auto)" 0 "$(requests)"
check "the default label is [est] default_profile" est-auto "$(sqlite3 "$DB" "SELECT profile FROM cert ORDER BY id DESC LIMIT 1")"

# --- simpleenroll with the client certificate (§3.3.2)
csr_b64 dev1b dev1b.city.example
check "simpleenroll with the client certificate: 200" 200 "$(est --cert "$D/dev1.crt" --key "$D/dev1.key" "${P10[@]}" --data-binary @"$D/dev1b.b64" "$EST/est-auto/simpleenroll")"
p7_certs "$D/dev1b.crt"
expect "... openssl verify" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$D/dev1b.crt"
x509_text "$D/dev1b.crt" && grep -q "CN *= *dev1b.city.example" "$T/x509.txt" && ok "... the new subject" || not_ok "... subject"

# --- simplereenroll (§4.2.2): the current certificate, the same subject and SAN
csr_b64 dev1r dev1.city.example "DNS:dev1.city.example"
check "simplereenroll with the current certificate: 200" 200 "$(est --cert "$D/dev1.crt" --key "$D/dev1.key" "${P10[@]}" --data-binary @"$D/dev1r.b64" "$EST/simplereenroll")"
p7_certs "$D/dev1r.crt"
expect "... openssl verify" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$D/dev1r.crt"
check "... the same subject" "$(openssl x509 -in "$D/dev1.crt" -noout -subject)" "$(openssl x509 -in "$D/dev1r.crt" -noout -subject)"
check "... the new key" "$(openssl pkey -in "$D/dev1r.key" -pubout)" "$(openssl x509 -in "$D/dev1r.crt" -noout -pubkey)"
[ "$(serial_of "$D/dev1r.crt")" != "$(serial_of "$D/dev1.crt")" ] && ok "... a new serial" || not_ok "... the same serial"
n0=$(certs)
csr_b64 other other.city.example "DNS:dev1.city.example"
check "simplereenroll with another subject: 400" 400 "$(est --cert "$D/dev1.crt" --key "$D/dev1.key" "${P10[@]}" --data-binary @"$D/other.b64" "$EST/simplereenroll")"
grep -q "subject" "$T/body" && ok "... saying the subject differs" || { not_ok "... body"; show 3 "$T/body"; }
csr_b64 othersan dev1.city.example "DNS:evil.city.example"
check "simplereenroll with another SAN: 400" 400 "$(est --cert "$D/dev1.crt" --key "$D/dev1.key" "${P10[@]}" --data-binary @"$D/othersan.b64" "$EST/simplereenroll")"
grep -q "subjectAltName" "$T/body" && ok "... saying the SAN differs" || { not_ok "... body"; show 3 "$T/body"; }
check "simplereenroll with only a secret: 401" 401 "$(est -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$D/dev1r.b64" "$EST/simplereenroll")"
check "... nothing issued" "$n0" "$(certs)"

# --- openssl ocsp against our responder
RA_URL=$URL
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
if start_responder $PASS --config "$T/ocsp.cnf"; then
	for c in dev1 dev1b dev1r; do
		openssl ocsp -url "$URL" -issuer "$D/chain.pem" -CAfile "$D/root.pem" -cert "$D/$c.crt" \
			> "$T/ocsp.$c" 2>&1 || true   # the status line is the check
		grep -q "$D/$c.crt: good" "$T/ocsp.$c" && ok "openssl ocsp: the $c certificate is good" ||
			{ not_ok "openssl ocsp: $c"; show 5 "$T/ocsp.$c"; }
	done
else
	not_ok "the OCSP responder starts"
fi
URL=$RA_URL

# --- est_approval = officer: 202 with Retry-After, polled by sending again (§4.2.3)
SECRET2=$(ct --config "$CONF" est secret create --profile est-officer --name dev2 2>/dev/null)
csr_b64 dev2 dev2.city.example
n0=$(certs)
check "simpleenroll waiting for an officer: 202" 202 "$(est -u "dev2:$SECRET2" "${P10[@]}" --data-binary @"$D/dev2.b64" "$EST/est-officer/simpleenroll")"
check "... Retry-After: 1" 1 "$(header Retry-After)"
api alice GET "/api/v1/requests?status=pending" > /dev/null
check "... a pending request for the officers" "est-officer" "$(json "','.join(i['profile'] for i in j['items'])")"
rid=$(json "j['items'][0]['id']")
check "... nothing issued yet" "$n0" "$(certs)"
check "sending it again: still 202" 202 "$(est -u "dev2:$SECRET2" "${P10[@]}" --data-binary @"$D/dev2.b64" "$EST/est-officer/simpleenroll")"
check "... the same request, not a new one" 1 "$(requests)"
check "an officer approves it (REST API): 200" 200 "$(api alice POST "/api/v1/requests/$rid/approve")"
check "sending it again: 200 with the certificate" 200 "$(est -u "dev2:$SECRET2" "${P10[@]}" --data-binary @"$D/dev2.b64" "$EST/est-officer/simpleenroll")"
p7_certs "$D/dev2.crt"
expect "... openssl verify" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$D/dev2.crt"
api alice GET "/api/v1/requests/$rid" > /dev/null
check "... the certificate the officer's approval issued" "$(json "j['serial']" | tr 'A-F' 'a-f')" \
	"$(serial_of "$D/dev2.crt" | tr 'A-F' 'a-f')"
csr_b64 dev2x dev2x.city.example
est -u "dev2:$SECRET2" "${P10[@]}" --data-binary @"$D/dev2x.b64" "$EST/est-officer/simpleenroll" > /dev/null
rid2=$(sqlite3 "$DB" "SELECT max(id) FROM ra_request")
api alice POST "/api/v1/requests/$rid2/reject" -H "Content-Type: application/json" -d '{"reason":"unknown device"}' > /dev/null
check "a rejected request sent again: 403" 403 "$(est -u "dev2:$SECRET2" "${P10[@]}" --data-binary @"$D/dev2x.b64" "$EST/est-officer/simpleenroll")"
grep -q "unknown device" "$T/body" && ok "... with the officer's reason" || { not_ok "... body"; show 3 "$T/body"; }

# --- bad requests: their status, nothing issued, the server serving on
n0=$(certs); r0=$(requests)
bad() {   # DESC WANT CURL-ARGS...
	local desc=$1 want=$2; shift 2
	check "$desc: $want" "$want" "$(est "$@")"
}
printf 'this is not base64 at all!\n' > "$T/notb64"
bad "a body that is not base64" 400 -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$T/notb64" "$EST/simpleenroll"
head -c 300 /dev/urandom | openssl base64 > "$T/garbage.b64"
bad "base64 of garbage" 400 -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$T/garbage.b64" "$EST/simpleenroll"
openssl req -in "$D/dev1b.csr" -outform DER -out "$T/bad.der"
python3 -c "import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[-3] ^= 0x55; open(sys.argv[1], 'wb').write(b)" "$T/bad.der"
openssl base64 -in "$T/bad.der" > "$T/badsig.b64"
bad "a CSR whose signature does not verify" 400 -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$T/badsig.b64" "$EST/simpleenroll"
grep -qi "signature\|verif" "$T/body" && ok "... saying the signature is bad" || { not_ok "... body"; show 3 "$T/body"; }
bad "a wrong secret" 401 -u "dev1:gpt_$(printf '%064d' 0)" "${P10[@]}" --data-binary @"$D/dev1b.b64" "$EST/simpleenroll"
grep -qi "^WWW-Authenticate: Basic" "$T/hdr" && ok "... WWW-Authenticate: Basic" || not_ok "... no Basic challenge"
bad "another user's secret" 401 -u "dev2:$SECRET" "${P10[@]}" --data-binary @"$D/dev1b.b64" "$EST/simpleenroll"
bad "a secret for another profile" 403 -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$D/dev1b.b64" "$EST/est-officer/simpleenroll"
bad "no credentials" 401 "${P10[@]}" --data-binary @"$D/dev1b.b64" "$EST/simpleenroll"
bad "an unknown profile" 404 -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$D/dev1b.b64" "$EST/no-such-profile/simpleenroll"
bad "a profile not served over EST" 404 "$EST/tls-server/cacerts"
bad "an unknown operation" 404 "$EST/enrollme"
bad "a wrong Content-Type" 415 -u "dev1:$SECRET" -H "Content-Type: application/json" --data-binary @"$D/dev1b.b64" "$EST/simpleenroll"
head -c 70000 /dev/zero | tr '\0' 'A' > "$T/big"
bad "an oversize body" 413 -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$T/big" "$EST/simpleenroll"
bad "GET simpleenroll" 405 -u "dev1:$SECRET" "$EST/simpleenroll"
bad "an EST secret on the REST API" 401 -H "Authorization: Bearer $SECRET" "$URL/api/v1/requests"
# an expired certificate of our CA (openssl ca backdates it)
backdated "$D/dev1b.csr" "$D/old.crt"
bad "an expired client certificate" 401 --cert "$D/old.crt" --key "$D/dev1b.key" "${P10[@]}" --data-binary @"$D/dev1b.b64" "$EST/simpleenroll"
grep -q "expired" "$T/body" && ok "... saying expired" || { not_ok "... body"; show 3 "$T/body"; }
ct revoke --ca issuing --serial "$(serial_of "$D/dev1b.crt")" --reason keyCompromise > /dev/null
bad "a revoked client certificate (simpleenroll)" 401 --cert "$D/dev1b.crt" --key "$D/dev1b.key" "${P10[@]}" --data-binary @"$D/other.b64" "$EST/simpleenroll"
grep -q "revoked" "$T/body" && ok "... saying revoked" || { not_ok "... body"; show 3 "$T/body"; }
csr_b64 dev1br dev1b.city.example
bad "a revoked client certificate (simplereenroll)" 401 --cert "$D/dev1b.crt" --key "$D/dev1b.key" "${P10[@]}" --data-binary @"$D/dev1br.b64" "$EST/simplereenroll"
openssl req -x509 -new -key "$D/dev1b.key" -subj "/CN=dev1b.city.example" -days 30 -out "$D/self.crt"
bad "a certificate of another CA" 401 --cert "$D/self.crt" --key "$D/dev1b.key" "${P10[@]}" --data-binary @"$D/dev1br.b64" "$EST/simpleenroll"
bad "a certificate of our CA from another profile" 403 --cert "$D/eve.crt" --key "$D/eve.key" "${P10[@]}" --data-binary @"$D/dev1br.b64" "$EST/simpleenroll"
SECRET3=$(ct --config "$CONF" --json est secret create --profile est-auto --name dev3 2>/dev/null)
ct est secret revoke --id "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['id'])" "$SECRET3")" > /dev/null
bad "a revoked secret" 401 -u "dev3:$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['secret'])" "$SECRET3")" "${P10[@]}" --data-binary @"$D/dev1br.b64" "$EST/simpleenroll"
grep -q "revoked" "$T/body" && ok "... saying revoked" || { not_ok "... body"; show 3 "$T/body"; }
check "none of them issued anything" "$n0" "$(certs)"
check "... nor stored a request" "$r0" "$(requests)"
check "the server still serves cacerts" 200 "$(est "$EST/cacerts")"
check "... and enrols" 200 "$(est -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$D/dev1br.b64" "$EST/simpleenroll")"

# --- the audit: every request, answer and failure, with protocol est
ra_stop
sqlite3 "$DB" "SELECT action || ' ' || detail FROM audit WHERE action LIKE 'est.%'" > "$T/audit"
check "every EST request is audited once" "$(wc -l < "$T/sent")" "$(grep -c "protocol=est" "$T/audit")"
for s in 200 202 400 401 403 404 405 413 415; do
	grep -q "status=$s " "$T/audit" && ok "... status $s among them" || not_ok "... no status $s"
done
grep -q "^est.simpleenroll .*result=issued serial=" "$T/audit" && ok "... an issuance with its serial" || not_ok "... no issuance"
grep -q "^est.simplereenroll .*result=issued" "$T/audit" && ok "... a re-enrolment" || not_ok "... no re-enrolment"
grep -q "^est.cacerts .*status=200" "$T/audit" && ok "... cacerts" || not_ok "... no cacerts"
expect "audit chain verifies" ct audit verify

# --- the configuration: est_approval's values, no CA profile without officers, [est]'s keys
printf '[profile.x]\ninherit = device\nest = yes\nest_approval = sometimes\n' > "$T/bad1.cnf"
expect_fail "est_approval is auto or officer" 4 "est_approval in \[profile.x\]: must be auto or officer" ct config check "$T/bad1.cnf"
printf '[profile.y]\ninherit = sub-ca\nest = yes\nest_approval = auto\n' > "$T/bad2.cnf"
expect_fail "a CA profile is not issued over EST without officers" 4 "cannot be issued over EST without officers" ct config check "$T/bad2.cnf"
{ cat "$CONF"; echo "retry_afterr = 5"; } > "$T/bad3.cnf"
rc=0; "$RA_SERVER" --config "$T/bad3.cnf" --listen 127.0.0.1:0 2> "$T/bad3.err" || rc=$?
[ "$rc" = 1 ] && grep -q "unknown key 'retry_afterr' in \[est\]" "$T/bad3.err" && ok "ra-server refuses an unknown [est] key (exit 1)" ||
	{ not_ok "ra-server and an unknown [est] key (exit $rc)"; show 3 "$T/bad3.err"; }
finish
