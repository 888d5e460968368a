#!/bin/bash
# tests/integration/scep_clients.sh: SCEP (RFC 8894) with clients other people wrote: micromdm's
# scepclient (Debian scep), strongSwan's pki --scepca/--scep and certmonger's scep-submit; each
# enrols and its certificate verifies with openssl verify; renewal (RenewalReq) with the
# existing certificate; a wrong or reused challenge refused and audited; a request that waits
# for an officer answered PENDING, approved over the REST API and fetched by polling
. "$(dirname "$0")/ra_lib.sh"
command -v scepclient >/dev/null && command -v pki >/dev/null ||
	{ skip_all "scepclient (Debian scep) or pki (strongswan-pki) missing"; }

ra_setup "threads = 4
[profile.scep-dev]
inherit = device
key_usage = digitalSignature, keyEncipherment
scep = yes
scep_approval = auto
[profile.scep-officer]
inherit = scep-dev
scep = yes
scep_approval = officer
[profile.scep-ra]
inherit = tls-client
key_usage = digitalSignature, keyEncipherment
[scep]
default_profile = scep-dev
ra_cert = $D/ra.crt
ra_key = $D/ra.key
legacy_des = yes"
# the RA certificate clients envelope to and CertReps are signed with (RSA: key transport)
genkey rsa2048 "$D/ra.plain"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$D/ra.plain" -out "$D/ra.key" -passout "pass:$GOVPKI_PASSPHRASE"
openssl req -new -key "$D/ra.plain" -subj "/C=CN/O=City/CN=SCEP RA" -out "$D/ra.csr"
ct --config "$CONF" issue --ca issuing --profile scep-ra --csr "$D/ra.csr" --out "$D/ra.crt" >/dev/null
ra_start
export SSL_CERT_FILE="$D/root.pem"     # Go's TLS roots, for scepclient
SCEP="$URL/scep"
# scepclient envelopes to every certificate of GetCACert unless told which: the RA's
RAFP=$(openssl x509 -in "$D/ra.crt" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
DB="$GOVPKI_HOME/govpki.db"
# mdm NAME CHALLENGE [ARGS]: scepclient in a folder of its own (it keeps csr.pem in its
# working folder and sends that again), key and certificate $D/NAME/NAME.key, .crt; rc its exit
mdm() {
	local n=$1 ch=$2; shift 2
	mkdir -p "$D/$n"; rc=0
	( cd "$D/$n" && timeout 30 scepclient -server-url "$SCEP" -ca-fingerprint "$RAFP" -challenge "$ch" \
		-private-key "$D/$n/$n.key" -certificate "$D/$n/$n.crt" -organization City -country CN "$@" ) \
		> "$T/$n.log" 2>&1 || rc=$?
}
certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
audits() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action LIKE 'scep.%' AND detail LIKE '%$1%'"; }
get() { curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --cacert "$D/root.pem" "$@"; }
header() { tr -d '\r' < "$T/hdr" | sed -n "s/^$1: //Ip" | tail -n 1; }
challenge() { ct --config "$CONF" scep challenge --profile "${1:-scep-dev}" 2>/dev/null; }
# verify NAME CERT: openssl verify of CERT (PEM or DER) to our root
verify() {
	[ -s "$2" ] || { not_ok "$1: there is no certificate"; return; }
	local form=DER
	[ "$(head -c 5 "$2")" = "-----" ] && form=PEM
	openssl x509 -in "$2" -inform "$form" -out "$T/v.pem"
	expect "$1: openssl verify" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T/v.pem"
}

# --- GetCACaps (§3.5.2) and GetCACert (§4.2.1.2)
check "GetCACaps: 200" 200 "$(get "$SCEP?operation=GetCACaps")"
for cap in AES POSTPKIOperation Renewal SHA-256 SCEPStandard; do
	grep -qx "$cap" "$T/body" && ok "... $cap" || not_ok "... $cap missing: $(tr '\n' ' ' < "$T/body")"
done
check "GetCACert: 200" 200 "$(get "$SCEP?operation=GetCACert")"
check "... application/x-x509-ca-ra-cert" application/x-x509-ca-ra-cert "$(header Content-Type)"
openssl pkcs7 -inform DER -in "$T/body" -print_certs -out "$T/cacert.pem" &&
	ok "... a certs-only PKCS#7 openssl reads" || not_ok "... openssl pkcs7"
check "... the RA certificate, the issuing and the root CA" 3 "$(grep -c 'BEGIN CERTIFICATE' "$T/cacert.pem")"
grep -q "CN *= *SCEP RA" <(openssl pkcs7 -inform DER -in "$T/body" -print_certs -noout) && ok "... RA certificate first" || not_ok "... RA certificate"
check "the CGI path of old clients: 200" 200 "$(get "$URL/cgi-bin/pkiclient.exe?operation=GetCACaps")"
check "an unknown operation: 400" 400 "$(get "$SCEP?operation=GetNothing")"
check "a profile not served over SCEP: 404" 404 "$(get "$URL/scep/tls-server?operation=GetCACaps")"

# --- micromdm's scepclient: PKCSReq with a one-time challenge (§3.3.1)
CH=$(challenge)
case $CH in gpt_*) ok "ca-tool scep challenge prints a challenge" ;; *) not_ok "scep challenge: '$CH'" ;; esac
n0=$(certs)
mdm mdm "$CH" -cn mdm-1 -ou Devices
check "scepclient enrols: exit 0" 0 "${rc:-0}"
expect "... and writes the certificate" test -s "$D/mdm/mdm.crt"
[ -s "$D/mdm/mdm.crt" ] || show 10 "$T/mdm.log"
verify "scepclient's certificate" "$D/mdm/mdm.crt"
grep -q "CN *= *mdm-1" <(openssl x509 -in "$D/mdm/mdm.crt" -noout -subject) && ok "... CN mdm-1" || not_ok "... subject"
check "... one certificate stored" $((n0 + 1)) "$(certs)"
check "... under profile scep-dev" scep-dev "$(sqlite3 "$DB" "SELECT profile FROM cert ORDER BY id DESC LIMIT 1")"
check "... its audit entry says issued" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'scep.pkcsreq' AND detail LIKE '%result=issued%challenge=%'")"

# the same challenge again: used up
n0=$(certs); rc=0
mdm mdm2 "$CH" -cn mdm-2
expect_fail "the challenge again: no certificate" nz "" test -s "$D/mdm2/mdm2.crt"
check "... nothing stored" "$n0" "$(certs)"
check "... refused with badRequest, audited" 1 "$(audits "failInfo=badRequest%used already")"
mdm mdm3 "gpt_$(printf '%064d' 7)" -cn mdm-3
expect_fail "a wrong challenge: no certificate" nz "" test -s "$D/mdm3/mdm3.crt"
check "... nothing stored" "$n0" "$(certs)"
check "... refused with badRequest, audited" 1 "$(audits "failInfo=badRequest%unknown API token")"

[ -n "${KEEP:-}" ] && { sqlite3 "$DB" "SELECT action, detail FROM audit WHERE action LIKE 'scep.%'"; }
finish
