#!/bin/bash
# tests/integration/scep_clients.sh: SCEP (RFC 8894) with clients other people wrote: micromdm's
# scepclient (Debian scep), strongSwan's pki --scepca/--scep and certmonger (its daemon on a private
# socket, its scep-submit helper); each
# enrols and its certificate verifies with openssl verify; renewal (RenewalReq) with the
# existing certificate; a wrong or reused challenge refused and audited; a request that waits
# for an officer answered PENDING, approved over the REST API and fetched by polling
. "$(dirname "$0")/scep_lib.sh"
command -v scepclient >/dev/null && command -v pki >/dev/null && command -v getcert >/dev/null ||
	{ skip_all "scepclient (Debian scep), pki (strongswan-pki) or getcert (certmonger) missing"; }

scep_setup
# mdm NAME CHALLENGE [ARGS]: scepclient in a folder of its own (it keeps csr.pem in its
# working folder and sends that again), key and certificate $D/NAME/NAME.key, .crt; rc its exit
mdm() {
	local n=$1 ch=$2; shift 2
	mkdir -p "$D/$n"; rc=0
	( cd "$D/$n" && timeout 30 scepclient -server-url "$SCEP" -ca-fingerprint "$RAFP" -challenge "$ch" \
		-private-key "$D/$n/$n.key" -certificate "$D/$n/$n.crt" -organization City -country CN "$@" ) \
		> "$T/$n.log" 2>&1 || rc=$?
}
# --- GetCACaps (§3.5.2) and GetCACert (§4.2.1.2)
check "GetCACaps: 200" 200 "$(get "$SCEP?operation=GetCACaps")"
for cap in AES DES3 POSTPKIOperation Renewal SHA-256 SHA-384 SHA-512 SCEPStandard; do
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

# --- strongSwan's pki: --scepca fetches the certificates, --scep enrols (PKCSReq)
swpki() { rc=0; timeout 30 pki "$@" > "$T/pki.out" 2> "$T/pki.log" || rc=$?; }
swpki --scepca --url "$HSCEP" --caout "$D/sw-ca.der" --raout "$D/sw-ra.der" --force
check "pki --scepca: exit 0" 0 "$rc"
[ "$rc" = 0 ] || show 10 "$T/pki.log"
for f in sw-ca sw-ca-1 sw-ra; do
	openssl x509 -inform DER -in "$D/$f.der" -noout -subject > "$T/$f.subj" 2>&1 || echo "not a certificate" > "$T/$f.subj"
done
grep -q "CN *= *SCEP RA" "$T/sw-ra.subj" && ok "... the RA certificate as such" || not_ok "... RA: $(cat "$T/sw-ra.subj")"
cat "$T/sw-ca.subj" "$T/sw-ca-1.subj" > "$T/sw-cas"
grep -q "CN *= *Issuing" "$T/sw-cas" && grep -q "CN *= *Root" "$T/sw-cas" &&
	ok "... the issuing and the root CA as CA certificates" || not_ok "... CAs: $(cat "$T/sw-ca.subj" "$T/sw-ca-1.subj")"
SWCA=(--cacert-enc "$D/sw-ra.der" --cacert-sig "$D/sw-ra.der" --cacert "$D/sw-ca.der" --cacert "$D/sw-ca-1.der")
genkey rsa2048 "$D/sw.key"
n0=$(certs)
swpki --scep --url "$HSCEP" --in "$D/sw.key" --dn "C=CN, O=City, CN=sw-1" --password "$(challenge)" "${SWCA[@]}" --outform pem
check "pki --scep (PKCSReq): exit 0" 0 "$rc"
[ "$rc" = 0 ] || show 10 "$T/pki.log"
cp "$T/pki.out" "$D/sw.crt"
verify "pki's certificate" "$D/sw.crt"
check "... the key of pki's request" "$(openssl pkey -in "$D/sw.key" -pubout)" "$(openssl x509 -in "$D/sw.crt" -noout -pubkey 2>&1)"
check "... one certificate stored" $((n0 + 1)) "$(certs)"
# RenewalReq (§3.3.1.2): signed with the current certificate, a new key, no challenge
genkey rsa2048 "$D/sw2.key"
swpki --scep --url "$HSCEP" --in "$D/sw2.key" --dn "C=CN, O=City, CN=sw-1" --cert "$D/sw.crt" --key "$D/sw.key" "${SWCA[@]}" --outform pem
check "pki --scep --cert --key (RenewalReq): exit 0" 0 "$rc"
[ "$rc" = 0 ] || show 10 "$T/pki.log"
cp "$T/pki.out" "$D/sw2.crt"
verify "the renewed certificate" "$D/sw2.crt"
check "... the new key" "$(openssl pkey -in "$D/sw2.key" -pubout)" "$(openssl x509 -in "$D/sw2.crt" -noout -pubkey 2>&1)"
check "... audited as renewalreq, issued" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'scep.renewalreq' AND detail LIKE '%result=issued%'")"
# a renewal with another subject: refused
genkey rsa2048 "$D/sw3.key"
n0=$(certs)
swpki --scep --url "$HSCEP" --in "$D/sw3.key" --dn "C=CN, O=City, CN=other" --cert "$D/sw.crt" --key "$D/sw.key" "${SWCA[@]}" --outform pem
[ "$rc" != 0 ] && ok "RenewalReq for another subject: pki fails" || not_ok "RenewalReq for another subject: pki succeeded"
check "... nothing stored" "$n0" "$(certs)"
check "... audited: badRequest, the subject" 1 "$(audits "failInfo=badRequest%subject is not that")"

# --- scep_approval = officer: PENDING, approved over the REST API, fetched by CertPoll (§3.3.3)
genkey rsa2048 "$D/sw4.key"
n0=$(certs)
timeout 50 pki --scep --url "${HSCEP}/scep-officer" --in "$D/sw4.key" --dn "C=CN, O=City, CN=sw-4" \
	--password "$(challenge scep-officer)" "${SWCA[@]}" --outform pem --interval 1 --maxpolltime 40 \
	> "$D/sw4.crt" 2> "$T/pki4.log" &
PKI_PID=$!
# bounded wait for the request the officers see
for _ in $(seq 1 300); do
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE profile = 'scep-officer'")" = 1 ] && break
	sleep 0.1
done
api alice GET "/api/v1/requests?status=pending" > /dev/null
check "PKCSReq under scep_approval = officer: a pending request" scep-officer "$(json "','.join(i['profile'] for i in j['items'])")"
rid=$(json "j['items'][0]['id']")
check "... its submitter is the transaction" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM ra_request WHERE id = $rid AND submitter LIKE 'scep:%'")"
check "... nothing issued yet" "$n0" "$(certs)"
check "... answered PENDING (audited)" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'scep.pkcsreq' AND detail LIKE '%result=pending%request=$rid%'")"
# bounded wait for pki's first CertPoll, answered PENDING
for _ in $(seq 1 300); do
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'scep.certpoll' AND detail LIKE '%result=pending%'")" -ge 1 ] && break
	sleep 0.1
done
[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'scep.certpoll' AND detail LIKE '%result=pending%'")" -ge 1 ] &&
	ok "... pki polls with CertPoll, answered PENDING while the officers decide" || not_ok "... no pending CertPoll in the audit"
check "an officer approves it (REST API): 200" 200 "$(api alice POST "/api/v1/requests/$rid/approve")"
rc=0; wait "$PKI_PID" || rc=$?
check "pki polls (CertPoll) and gets the certificate: exit 0" 0 "$rc"
[ "$rc" = 0 ] || show 10 "$T/pki4.log"
verify "the approved certificate" "$D/sw4.crt"
check "... one certificate stored" $((n0 + 1)) "$(certs)"
check "... and then SUCCESS with the certificate" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'scep.certpoll' AND detail LIKE '%result=issued request=$rid%'")"

# --- certmonger: its daemon on a private socket and state folders of this test, its SCEP
# helper (scep-submit) run by it; getcert request -w waits for the certificate
CM="$T/cm"; mkdir -p "$CM/config" "$CM/requests" "$CM/cas" "$CM/local" "$CM/tmp" "$CM/out"
export CERTMONGER_CONFIG_DIR="$CM/config" CERTMONGER_REQUESTS_DIR="$CM/requests" \
	CERTMONGER_CAS_DIR="$CM/cas" CERTMONGER_LOCAL_CA_DIR="$CM/local" CERTMONGER_TMPDIR="$CM/tmp" \
	CERTMONGER_SYSTEM_LOCK_FILE="$CM/lock" CERTMONGER_PVT_ADDRESS="unix:path=$CM/sock"
certmonger -n -L -P "$CM/sock" -p "$CM/pid" > "$T/certmonger.log" 2>&1 &
CM_PID=$!
trap 'kill "$CM_PID" 2>/dev/null; ra_stop; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -S "$CM/sock" ] && break; sleep 0.05; done
openssl x509 -in "$D/ra.crt" -out "$CM/ra.pem"
openssl x509 -in "$D/chain.pem" -out "$CM/issuing.pem"
cat "$CM/issuing.pem" "$D/root.pem" > "$CM/cas.pem"
rc=0; timeout 20 getcert add-scep-ca -c govpki -u "$HSCEP" -r "$CM/ra.pem" -I "$CM/cas.pem" > "$T/getcert.log" 2>&1 || rc=$?
check "getcert add-scep-ca: exit 0" 0 "$rc"
[ "$rc" = 0 ] || show 5 "$T/getcert.log"
n0=$(certs)
rc=0; timeout 60 getcert request -c govpki -k "$CM/out/cm.key" -f "$CM/out/cm.crt" -N "CN=cm-1,O=City,C=CN" \
	-L "$(challenge)" -w > "$T/getcert.log" 2>&1 || rc=$?
check "getcert request (certmonger's scep-submit, PKCSReq): exit 0" 0 "$rc"
[ "$rc" = 0 ] || show 5 "$T/getcert.log"
verify "certmonger's certificate" "$CM/out/cm.crt"
check "... one certificate stored" $((n0 + 1)) "$(certs)"
# renewal: certmonger signs a PKCSReq with the certificate it has (§2.3), which authenticates
# it as a RenewalReq's would, without a challenge
s0=$(serial_of "$CM/out/cm.crt")
rc=0; timeout 60 getcert resubmit -f "$CM/out/cm.crt" -w > "$T/getcert.log" 2>&1 || rc=$?
check "getcert resubmit (renewal): exit 0" 0 "$rc"
[ "$rc" = 0 ] || show 5 "$T/getcert.log"
verify "certmonger's renewed certificate" "$CM/out/cm.crt"
[ "$(serial_of "$CM/out/cm.crt")" != "$s0" ] && ok "... a new certificate" || not_ok "... the same serial"
check "... audited: signed by the old certificate, issued" 1 "$(audits "signer=$(tr A-F a-f <<<"$s0")%result=issued serial=")"
# a wrong challenge: the CA rejects it
n0=$(certs)
rc=0; timeout 60 getcert request -c govpki -k "$CM/out/cm2.key" -f "$CM/out/cm2.crt" -N "CN=cm-2,O=City,C=CN" \
	-L "gpt_$(printf '%064d' 9)" -w > "$T/getcert.log" 2>&1 || rc=$?
rc=0; getcert list -f "$CM/out/cm2.crt" > "$T/getcert.list" 2>&1 || rc=$?
check "getcert list: exit 0" 0 "$rc"
grep -q "CA_REJECTED" "$T/getcert.list" && ok "getcert request with a wrong challenge: CA_REJECTED" ||
	{ not_ok "getcert request with a wrong challenge: not rejected"; show 12 "$T/getcert.list"; }
check "... nothing stored" "$n0" "$(certs)"

[ -n "${KEEP:-}" ] && { sqlite3 "$DB" "SELECT action, detail FROM audit WHERE action LIKE 'scep.%'"; }
finish
