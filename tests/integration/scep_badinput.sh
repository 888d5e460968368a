#!/bin/bash
# tests/integration/scep_badinput.sh: SCEP (RFC 8894) bad inputs: garbage, truncated and empty
# PKIOperation bodies, a message without a signer, enveloped to another certificate, with a
# bad signature, without a nonce or a messageType, an unknown transaction, a signingTime far
# off, an operation not offered, a renewal by a certificate not ours, a body past max_body:
# each answered with its SCEP failInfo (a CertRep signed by the RA, checked with openssl cms)
# or its HTTP status, nothing stored, every answer audited, the server still serving
. "$(dirname "$0")/scep_lib.sh"
MSG="$top_builddir/tests/scepmsg"
[ -x "$MSG" ] || { echo "tests/scepmsg not built" >&2; exit 99; }

SCEP_LEGACY_DES=no scep_setup "max_body = 65536"
OP="$SCEP?operation=PKIOperation"
XPM=(-H "Content-Type: application/x-pki-message")
# post FILE: PKIOperation with FILE as body; the HTTP status (body in $T/body)
post() { get "${XPM[@]}" --data-binary @"$1" "$OP"; }
# rep_attr OID: the value of signed attribute OID of the CertRep in $T/body, as openssl prints it
rep_attr() {
	openssl cms -cmsout -print -inform DER -in "$T/body" > "$T/rep.txt" 2>&1 || { echo "unreadable"; return; }
	python3 - "$T/rep.txt" "$1" <<'EOF'
import re, sys
text = open(sys.argv[1], errors="replace").read()
# "object: undefined (OID)" or "object: name (OID)", then "set:" and "TYPE:value"
for m in re.finditer(r"object: [^\n]*\(" + re.escape(sys.argv[2]) + r"\)\n\s*set:\n\s*([A-Z0-9]+):([^\n]*)", text):
    print(m.group(2).strip())
    break
EOF
}
# certrep DESC STATUS [FAILINFO]: the last answer is a CertRep signed by the RA (openssl cms
# -verify to our root) with pkiStatus STATUS and failInfo FAILINFO
certrep() {
	# the signature (openssl cms -verify -noverify), then its signer: the RA certificate,
	# which openssl verify chains to our root
	if openssl cms -verify -noverify -inform DER -in "$T/body" -signer "$T/signer.pem" -out /dev/null \
		2>"$T/verify.err" && cmp -s <(openssl x509 -in "$T/signer.pem") <(openssl x509 -in "$D/ra.crt") &&
		openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T/signer.pem" >/dev/null 2>&1; then
		ok "$1: a CertRep signed by the RA (openssl cms -verify, openssl verify)"
	else
		not_ok "$1: the answer does not verify as the RA's CertRep"; show 3 "$T/verify.err"
	fi
	check "... messageType 3 (CertRep)" 3 "$(rep_attr 2.16.840.1.113733.1.9.2)"
	check "... pkiStatus $2" "$2" "$(rep_attr 2.16.840.1.113733.1.9.3)"
	[ -n "${3:-}" ] && check "... failInfo $3" "$3" "$(rep_attr 2.16.840.1.113733.1.9.4)"
	return 0
}
alive() {
	check "the server still serves (GetCACaps)" 200 "$(get "$SCEP?operation=GetCACaps")"
	kill -0 "$RA_PID" && ok "... and runs" || not_ok "... ra-server died"
}

# a device key, its self-signed certificate (the signer of PKCSReq, §3.3.1) and a CSR with a challenge
genkey rsa2048 "$D/dev.key"
openssl req -x509 -new -key "$D/dev.key" -subj "/CN=dev-1" -days 1 -out "$D/dev.pem"
# csr NAME CHALLENGE: $D/NAME.der, a CSR for CN=NAME with that challengePassword
csr() {
	printf '[req]\ndistinguished_name=dn\nattributes=a\nprompt=no\n[dn]\nC=CN\nO=City\nCN=%s\n[a]\nchallengePassword=%s\n' "$1" "$2" > "$T/req.cnf"
	openssl req -new -key "$D/dev.key" -config "$T/req.cnf" -outform DER -out "$D/$1.der"
}
# another RSA certificate, not the RA's
genkey rsa2048 "$D/other.key"
openssl req -x509 -new -key "$D/other.key" -subj "/CN=not the RA" -days 1 -out "$D/other.pem"
openssl x509 -in "$D/ra.crt" -out "$D/ra.pem"

n0=$(certs); r0=$(sqlite3 "$DB" "SELECT count(*) FROM ra_request")
a0=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action LIKE 'scep.%'")
sent=0

# --- bodies that are no pkiMessage: HTTP 400 (no CertRep can answer them, §4.3)
head -c 700 /dev/urandom > "$T/random.bin"
check "random bytes: 400" 400 "$(post "$T/random.bin")"; sent=$((sent + 1))
grep -q "not one DER CMS" "$T/body" && ok "... saying it is not CMS" || not_ok "... body: $(head -c 200 "$T/body")"
CH=$(challenge)
csr dev-1 "$CH"
"$MSG" 19 tid-good "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" > "$T/good.der"
head -c 400 "$T/good.der" > "$T/trunc.der"
check "a truncated pkiMessage: 400" 400 "$(post "$T/trunc.der")"; sent=$((sent + 1))
: > "$T/empty.bin"
check "an empty body: 400" 400 "$(post "$T/empty.bin")"; sent=$((sent + 1))
openssl crl2pkcs7 -nocrl -certfile "$D/dev.pem" -outform DER -out "$T/certsonly.der"
check "a SignedData without a signer: 400" 400 "$(post "$T/certsonly.der")"; sent=$((sent + 1))
{ cat "$T/good.der"; printf 'x'; } > "$T/trailing.der"
check "a pkiMessage with a byte after it: 400" 400 "$(post "$T/trailing.der")"; sent=$((sent + 1))

# --- pkiMessages that are wrong: a CertRep with pkiStatus FAILURE (2) and the failInfo (§3.2.1.4)
"$MSG" 19 tid-wrongrcpt "$D/other.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" > "$T/m.der"
check "enveloped to another certificate: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 1
check "... audited: badMessageCheck, not enveloped to the RA" 1 "$(audits "transaction=tid-wrongrcpt%failInfo=badMessageCheck%not enveloped to the RA")"
"$MSG" 19 tid-badsig "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" badsig > "$T/m.der"
check "a bad signature: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 1
check "... audited: badMessageCheck, the signature" 1 "$(audits "transaction=tid-badsig%failInfo=badMessageCheck%signature does not verify")"
"$MSG" 19 tid-plain "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" plain > "$T/m.der"
check "the CSR not enveloped: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 1
"$MSG" 19 tid-nononce "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" nononce > "$T/m.der"
check "no senderNonce: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 2
"$MSG" 19 tid-notype "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" notype > "$T/m.der"
check "no messageType: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 2
"$MSG" 19 tid-oldtime "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" time=-200000 > "$T/m.der"
check "a signingTime two days old: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 3
check "... audited: badTime" 1 "$(audits "transaction=tid-oldtime%failInfo=badTime")"
printf '\x30\x00' > "$T/isa.der"
"$MSG" 20 tid-never-seen "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$T/isa.der" > "$T/m.der"
check "CertPoll of an unknown transaction: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 4
check "... audited: badCertId" 1 "$(audits "transaction=tid-never-seen%failInfo=badCertId")"
"$MSG" 21 tid-getcert "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$T/isa.der" > "$T/m.der"
check "GetCert, not offered: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 2
"$MSG" 17 tid-renew-stranger "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-1.der" > "$T/m.der"
check "RenewalReq signed by a certificate not ours: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 2
check "... audited: badRequest, the signer's certificate" 1 "$(audits "transaction=tid-renew-stranger%failInfo=badRequest%signer_s certificate")"
csr dev-2 "gpt_$(printf '%064d' 0)"
"$MSG" 19 tid-badchallenge "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-2.der" > "$T/m.der"
check "a wrong challenge: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 2
csr dev-3 "$(ct --config "$CONF" scep challenge --profile scep-officer 2>/dev/null)"
"$MSG" 19 tid-otherprofile "$D/ra.pem" "$D/dev.pem" "$D/dev.key" "$D/dev-3.der" > "$T/m.der"
check "another profile's challenge: 200" 200 "$(post "$T/m.der")"; sent=$((sent + 1))
certrep "..." 2 2
check "... audited: the challenge is for profile scep-officer" 1 "$(audits "transaction=tid-otherprofile%is for profile scep-officer, not scep-dev")"

# single DES (scepclient of Debian 12 envelopes with it) without legacy_des: badAlg
if command -v scepclient >/dev/null; then
	mkdir -p "$D/mdm"; rc=0
	( cd "$D/mdm" && timeout 30 scepclient -server-url "$SCEP" -ca-fingerprint "$RAFP" -challenge "$(challenge)" \
		-private-key "$D/mdm/mdm.key" -certificate "$D/mdm/mdm.crt" -cn mdm-des ) > "$T/mdm.log" 2>&1 || rc=$?
	[ "$rc" != 0 ] && [ ! -s "$D/mdm/mdm.crt" ] && ok "a DES envelope without legacy_des: scepclient gets no certificate" ||
		not_ok "a DES envelope without legacy_des: scepclient got a certificate"
	grep -q "badAlg" "$T/mdm.log" && ok "... it reports badAlg" || { not_ok "... no badAlg"; show 5 "$T/mdm.log"; }
	check "... audited: badAlg" 1 "$(audits "failInfo=badAlg")"
	sent=$((sent + 3))     # GetCACert, GetCACaps, PKIOperation
else
	skip "scepclient (Debian scep) missing: the DES envelope"
fi

# --- HTTP level
head -c 70000 /dev/zero > "$T/big.bin"
check "a body past [ra] max_body: 413" 413 "$(post "$T/big.bin")"; sent=$((sent + 1))
check "PKIOperation by GET without message=: 400" 400 "$(get "$OP")"; sent=$((sent + 1))
check "PKIOperation by GET with message= not base64: 400" 400 "$(get -G --data-urlencode "message=%%%notbase64" "$OP")"; sent=$((sent + 1))
check "PUT: 405" 405 "$(get -X PUT "${XPM[@]}" --data-binary @"$T/good.der" "$OP")"; sent=$((sent + 1))
check "GetCACert by POST: 405" 405 "$(get -X POST "$SCEP?operation=GetCACert")"; sent=$((sent + 1))
check "no operation=: 400" 400 "$(get "$SCEP")"; sent=$((sent + 1))
check "/scep/ with an unknown profile: 404" 404 "$(get "$URL/scep/nosuch?operation=GetCACaps")"; sent=$((sent + 1))
check "a REST path on the SCEP-only HTTP port: 404" 404 "$(curl -s -o "$T/body" -w '%{http_code}' "${HSCEP%/scep}/api/v1/requests")"

check "nothing issued by any of them" "$n0" "$(certs)"
check "no RA request stored" "$r0" "$(sqlite3 "$DB" "SELECT count(*) FROM ra_request")"
check "each answered request audited once" $((a0 + sent)) "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action LIKE 'scep.%'")"
alive

# --- the challenge of the refused messages was not used up: the good message now issues,
# by GET with message= (§4.3), and the certificate comes enveloped to the signer
check "the same challenge in a good message, by GET: 200" 200 "$(get -G --data-urlencode "message=$(openssl base64 -A -in "$T/good.der")" "$OP")"
certrep "..." 0
openssl cms -verify -noverify -inform DER -in "$T/body" -out "$T/env.der" 2>"$T/env.err"
if openssl cms -decrypt -inform DER -in "$T/env.der" -recip "$D/dev.pem" -inkey "$D/dev.key" -out "$T/p7.der" &&
	openssl pkcs7 -inform DER -in "$T/p7.der" -print_certs -out "$T/issued.pem"; then
	ok "... the pkcsPKIEnvelope opens with the device's key: a certs-only PKCS#7"
else
	not_ok "... the pkcsPKIEnvelope does not open with the device's key"
fi
verify "... the certificate" "$T/issued.pem"
check "... one certificate stored" $((n0 + 1)) "$(certs)"
check "the same message again: refused, the challenge is used up" 200 "$(post "$T/good.der")"
certrep "..." 2 2
check "... nothing more stored" $((n0 + 1)) "$(certs)"
alive

finish
