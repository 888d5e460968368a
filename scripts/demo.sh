#!/bin/bash
# scripts/demo.sh: installs what is missing, builds, and runs the main job in
# ./demo: a root CA and an issuing CA, a TLS server and a person certificate
# issued from CSRs, one revoked, a CRL, and openssl's verdict on both; the RA
# with an officer, a router enrolling over EST, a camera over CMP, a tablet
# over SCEP (scepclient), a web server over ACME (lego), govpki's own
# verifier, an electronic seal, and the key management centre: an SM2 dual
# pair whose encryption key two recovery officers recover.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/common.sh"

need_packages
echo "== building"
build "$src/build/plain" --enable-werror
CA_TOOL="$src/build/plain/ca-tool"
OCSPD="$src/build/plain/ocsp-responder"
RAD="$src/build/plain/ra-server"
SEAL_TOOL="$src/build/plain/seal-tool"

D="$src/demo"
# servers of an earlier demo run are stopped first
for pidf in "$D"/*.pid; do [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true; done
rm -rf "$D"; mkdir -p "$D/home" "$D/work"
export GOVPKI_HOME="$D/home"
printf 'demo passphrase, keep it secret\n' > "$D/pass"; chmod 600 "$D/pass"
PASS=(--pass-file "$D/pass")
step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }
cd "$D/work"

step "a root CA (P-256) and an issuing CA under it" \
	"$CA_TOOL" init --name root --key-type ec-p256 --subject "/C=CN/O=City of Example/CN=Example Root CA" "${PASS[@]}"
"$CA_TOOL" init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=City of Example/CN=Example Issuing CA" "${PASS[@]}"
"$CA_TOOL" export --ca root --out root.pem
"$CA_TOOL" export --ca issuing --out issuing.pem
"$CA_TOOL" list --cas

step "two applicants make keys and CSRs" \
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout www.key -out www.csr \
	-subj "/C=CN/O=City of Example/CN=www.example.gov.cn" -addext "subjectAltName=DNS:www.example.gov.cn" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout clerk.key -out clerk.csr \
	-subj "/C=CN/O=City of Example/OU=Civil Affairs/CN=Zhang San" -addext "subjectAltName=email:zhang.san@example.gov.cn" 2>/dev/null

step "the CA issues a TLS server certificate and a person certificate" \
	"$CA_TOOL" issue --ca issuing --profile tls-server --csr www.csr --out www.pem "${PASS[@]}"
"$CA_TOOL" issue --ca issuing --profile person --csr clerk.csr --out clerk.pem "${PASS[@]}"
"$CA_TOOL" list --ca issuing

# wait_port FILE: the port a server wrote once it listens (it writes the file atomically)
wait_port() { for _ in $(seq 200); do [ -s "$1" ] && { cat "$1"; return 0; }; sleep 0.05; done; echo "server did not start" >&2; return 1; }
mkdir -p "$D/publish"
# the responder holds no CA key: a delegated signer of its own (RFC 6960 §4.2.2.2)
printf 'demo OCSP signer passphrase\n' > "$D/ocsp-pass"; chmod 600 "$D/ocsp-pass"
step "the issuing CA certifies a delegated OCSP signer with a key of its own" \
	"$CA_TOOL" ocsp signer --ca issuing "${PASS[@]}" --signer-pass-file "$D/ocsp-pass"
printf '\n== start the OCSP responder on localhost (signed by the delegated signer: it never opens a CA key); it also serves the CA certificate and CRLs of ./publish\n$ ocsp-responder --listen 127.0.0.1:0 --port-file ocsp.port --pass-file ocsp-pass --ca issuing --publish-dir publish --access-log ocsp-access.log &\n'
"$OCSPD" --listen 127.0.0.1:0 --port-file "$D/ocsp.port" --pass-file "$D/ocsp-pass" --ca issuing \
	--publish-dir "$D/publish" --access-log "$D/ocsp-access.log" >"$D/ocsp.log" 2>&1 &
echo $! > "$D/ocsp.pid"
OCSP_URL="http://127.0.0.1:$(wait_port "$D/ocsp.port")"
echo "OCSP responder: $OCSP_URL"
step "openssl asks the responder about the clerk's certificate" \
	openssl ocsp -issuer issuing.pem -cert clerk.pem -url "$OCSP_URL" -CAfile root.pem -resp_text -no_nonce 2>&1 | grep -E "Cert Status|clerk.pem|Response verify|This Update|Next Update"

CLERK=$(openssl x509 -in clerk.pem -noout -serial | cut -d= -f2)
step "the clerk's key is compromised: revoke it" \
	"$CA_TOOL" revoke --ca issuing --serial "$CLERK" --reason keyCompromise
printf '\n== the responder learns of it within seconds, without a restart\n'
for _ in $(seq 100); do
	openssl ocsp -issuer issuing.pem -cert clerk.pem -url "$OCSP_URL" -CAfile root.pem -no_nonce 2>/dev/null | grep -q "clerk.pem: revoked" && break
	sleep 0.1
done
openssl ocsp -issuer issuing.pem -cert clerk.pem -url "$OCSP_URL" -CAfile root.pem 2>&1 | grep -E "clerk.pem|Reason|Revocation Time|Response verify"
step "publish the CRL and the CA certificate into the folder the responder serves (what a timer runs)" \
	"$CA_TOOL" crl --ca issuing --publish "$D/publish" "${PASS[@]}"
step "fetch the CA certificate and the CRL from the responder" \
	curl -sS -o issuing.crt.der -w '%{http_code} %{content_type}\n' "$OCSP_URL/ca/issuing.crt"
curl -sS -D crl.headers -o issuing.crl.der -w '%{http_code} %{content_type}\n' "$OCSP_URL/crl/issuing.crl"
grep -iE '^(etag|last-modified|cache-control):' crl.headers
openssl x509 -inform DER -in issuing.crt.der -noout -subject
openssl crl -inform DER -in issuing.crl.der -out issuing.crl
cat issuing.pem root.pem > ca-chain.pem
openssl crl -in issuing.crl -CAfile ca-chain.pem -noout 2>&1
openssl crl -in issuing.crl -noout -text | sed -n '1,/Signature Algorithm/p' | head -20
printf '\n== the responder logged each request (Common Log Format)\n'
tail -3 "$D/ocsp-access.log"

step "openssl checks both against the chain and the CRL" \
	openssl verify -crl_check -CAfile root.pem -untrusted issuing.pem -CRLfile issuing.crl www.pem || true
openssl verify -crl_check -CAfile root.pem -untrusted issuing.pem -CRLfile issuing.crl clerk.pem || true
# with a CRL given, every CA's certificate needs one too: the root's own CRL
"$CA_TOOL" crl --ca root --out root.crl "${PASS[@]}" >/dev/null
step "govpki's verifier: RFC 5280 path validation with purpose, name and revocation (docs/verification.md)" \
	"$CA_TOOL" verify --trust root.pem --untrusted issuing.pem --crl root.crl --crl issuing.crl --purpose tls-server --name www.example.gov.cn www.pem || true
"$CA_TOOL" verify --trust root.pem --untrusted issuing.pem --crl root.crl --crl issuing.crl --purpose tls-server --name portal.example.gov.cn www.pem || true
"$CA_TOOL" verify --trust root.pem --untrusted issuing.pem --ocsp "$OCSP_URL" --purpose email clerk.pem || true
printf '\n== the RA: an HTTPS server certificate from our CA, an officer, an API token for a portal\n'
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
	openssl pkcs8 -topk8 -v2 aes-256-cbc -passout file:"$D/pass" -out ra.key
openssl req -new -key ra.key -passin file:"$D/pass" -subj "/O=City of Example/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out ra.csr
"$CA_TOOL" issue --ca issuing --profile tls-server --csr ra.csr --out ra.crt "${PASS[@]}" 2>/dev/null
cat ra.crt issuing.pem > ra-chain.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout officer.key -out officer.csr \
	-subj "/C=CN/O=City of Example/OU=RA/CN=Officer Li" -addext "subjectAltName=email:li@example.gov.cn" 2>/dev/null
"$CA_TOOL" issue --ca issuing --profile tls-client --csr officer.csr --out officer.crt "${PASS[@]}" 2>/dev/null
step "register the officer by her client certificate" "$CA_TOOL" officer add --name li --cert officer.crt --role officer
TOKEN=$("$CA_TOOL" token create --name portal --profiles tls-server)
echo "API token for the portal created (shown once, stored only as its SHA-256)"
# devices enrol over EST (RFC 7030) in the device profile, issued at once
# devices also enrol over CMP (RFC 9483), web servers over ACME (RFC 8555):
# the RA fetches http-01 challenges from 127.0.0.1 on a port of this machine
HTTP01=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# SCEP (RFC 8894): the RA certificate (RSA: clients envelope to it) and a
# profile of RSA devices; Debian's scepclient envelopes with single DES
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
	openssl pkcs8 -topk8 -v2 aes-256-cbc -passout file:"$D/pass" -out scep-ra.key
openssl req -new -key scep-ra.key -passin file:"$D/pass" -subj "/O=City of Example/CN=scep-ra.example.gov.cn" \
	-addext "subjectAltName=DNS:scep-ra.example.gov.cn" -out scep-ra.csr
"$CA_TOOL" issue --ca issuing --profile tls-server --csr scep-ra.csr --out scep-ra.crt "${PASS[@]}" 2>/dev/null
printf '[ra]\nca = issuing\ntls_cert = %s\ntls_key = %s\nconsole_dir = %s\n[profile.device]\nest = yes\nest_approval = auto\ncmp = yes\ncmp_approval = auto\n[profile.scep-device]\ninherit = device\nkey_usage = digitalSignature, keyEncipherment\nscep = yes\nscep_approval = auto\n[profile.tls-server]\nacme = yes\n[acme]\nhttp01_port = %s\nvalidation_host = 127.0.0.1\n[scep]\nra_cert = %s\nra_key = %s\ndefault_profile = scep-device\nlegacy_des = yes\n' \
	"$D/work/ra-chain.pem" "$D/work/ra.key" "$src/ra/console" "$HTTP01" "$D/work/scep-ra.crt" "$D/work/scep-ra.key" > "$D/ra.cnf"
printf '\n== start the RA server on localhost (HTTPS)\n$ ra-server --config ra.cnf --listen 127.0.0.1:0 --port-file ra.port --pass-file pass &\n'
"$RAD" --config "$D/ra.cnf" --listen 127.0.0.1:0 --port-file "$D/ra.port" --pass-file "$D/pass" >"$D/ra.log" 2>&1 &
echo $! > "$D/ra.pid"
RA_URL="https://127.0.0.1:$(wait_port "$D/ra.port")/api/v1"
echo "RA API: $RA_URL"
# the officers' web console on the same listener (the source tree's files:
# [ra] console_dir; installed, $(datadir)/govpki/console), and the
# officer's certificate and key as a PKCS#12 file for her browser
CONSOLE_URL="${RA_URL%/api/v1}/console/"
openssl rand -hex 12 > officer.p12.pass; chmod 600 officer.p12.pass
openssl pkcs12 -export -in officer.crt -inkey officer.key -certfile issuing.pem -name "Officer Li" \
	-passout file:officer.p12.pass -out officer.p12
step "the officers' console is served (its Content-Security-Policy keeps it to this origin)" \
	curl -sS --cacert root.pem -o /dev/null -w '%{http_code} %{content_type}\n' "$CONSOLE_URL"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout portal.key -out portal.csr \
	-subj "/C=CN/O=City of Example/CN=portal.example.gov.cn" -addext "subjectAltName=DNS:portal.example.gov.cn" 2>/dev/null
python3 -c 'import json; print(json.dumps({"csr": open("portal.csr").read(), "profile": "tls-server", "contact": {"name": "Web Team", "email": "web@example.gov.cn"}}))' > req.json
step "the portal submits a request with its token" \
	curl -sS --cacert root.pem -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data-binary @req.json "$RA_URL/requests"
echo
REQ_ID=$(curl -sS --cacert root.pem -H "Authorization: Bearer $TOKEN" "$RA_URL/requests?status=pending" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
step "the officer approves it with her client certificate" \
	curl -sS --cacert root.pem --cert officer.crt --key officer.key -X POST "$RA_URL/requests/$REQ_ID/approve"
echo
SERIAL=$(curl -sS --cacert root.pem -H "Authorization: Bearer $TOKEN" "$RA_URL/requests/$REQ_ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
step "the portal fetches its certificate" \
	curl -sS --cacert root.pem -H "Authorization: Bearer $TOKEN" -H 'Accept: application/pem-certificate-chain' -o portal.pem "$RA_URL/certificates/$SERIAL"
openssl verify -CAfile root.pem -untrusted issuing.pem portal.pem
openssl ocsp -issuer issuing.pem -cert portal.pem -url "$OCSP_URL" -CAfile root.pem 2>&1 | grep "portal.pem"

printf '\n== a router enrols over EST (RFC 7030) with curl and an enrolment secret (docs/enrolment.md)\n'
EST_SECRET=$("$CA_TOOL" est secret create --profile device --name router-1 2>/dev/null)
echo "EST enrolment secret for user router-1 created (shown once, stored only as its SHA-256)"
EST_URL="${RA_URL%/api/v1}/.well-known/est/device"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout router.key -outform DER \
	-subj "/C=CN/O=City of Example/CN=router-1.example.gov.cn" 2>/dev/null | openssl base64 > router.b64
step "the router fetches the CA certificates (base64 PKCS#7)" \
	curl -sS --cacert root.pem -o cacerts.p7 -w '%{http_code} %{content_type}\n' "$EST_URL/cacerts"
openssl base64 -d -in cacerts.p7 | openssl pkcs7 -inform DER -print_certs -noout
step "the router enrols with its secret as HTTP Basic password (simpleenroll)" \
	curl -sS --cacert root.pem -u "router-1:$EST_SECRET" -H 'Content-Type: application/pkcs10' \
	--data-binary @router.b64 -o router.p7 -w '%{http_code} %{content_type}\n' "$EST_URL/simpleenroll"
openssl base64 -d -in router.p7 | openssl pkcs7 -inform DER -print_certs -out router.crt
openssl verify -CAfile root.pem -untrusted issuing.pem router.crt

printf '\n== a camera enrols over CMP (RFC 9483) with openssl cmp and a shared secret (docs/enrolment.md)\n'
"$CA_TOOL" --config "$D/ra.cnf" cmp secret create --profile device > cmp.secret 2>/dev/null
CMP_KID=$(sed -n 's/^kid: //p' cmp.secret); CMP_SECRET=$(sed -n 's/^secret: //p' cmp.secret)
echo "CMP secret $CMP_KID created (shown once, stored only as its SHA-256)"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout camera.key -out camera.csr \
	-subj "/C=CN/O=City of Example/CN=camera-7.example.gov.cn" -addext "subjectAltName=DNS:camera-7.example.gov.cn" 2>/dev/null
RA_HOSTPORT=${RA_URL#https://}; RA_HOSTPORT=${RA_HOSTPORT%/api/v1}
step "the camera sends a PKCS#10 request (p10cr), MAC-protected, over TLS" \
	openssl cmp -cmd p10cr -server "$RA_HOSTPORT" -path .well-known/cmp/p/device -tls_used -tls_trusted root.pem \
	-ref "$CMP_KID" -secret "pass:$CMP_SECRET" -recipient "/CN=govpki" -csr camera.csr -certout camera.crt
openssl verify -CAfile root.pem -untrusted issuing.pem camera.crt

printf '\n== an MDM device enrols over SCEP (RFC 8894) with scepclient and a one-time challenge (docs/enrolment.md)\n'
SCEP_CH=$("$CA_TOOL" --config "$D/ra.cnf" scep challenge --profile scep-device --name tablet-3 2>/dev/null)
echo "SCEP challenge for tablet-3 created (shown once, good once, stored only as its SHA-256)"
SCEP_RA_FP=$(openssl x509 -in scep-ra.crt -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
mkdir -p scep && cd scep
step "the tablet fetches the RA certificate and the chain, envelopes its request to the RA and signs it (PKCSReq)" \
	env SSL_CERT_FILE="$D/work/root.pem" scepclient -server-url "${RA_URL%/api/v1}/scep" -ca-fingerprint "$SCEP_RA_FP" \
	-challenge "$SCEP_CH" -private-key tablet.key -certificate tablet.crt -cn tablet-3 -organization "City of Example" -country CN
cd ..
openssl verify -CAfile root.pem -untrusted issuing.pem scep/tablet.crt

printf '\n== a web server gets its certificate over ACME (RFC 8555) with lego and http-01 (docs/acme.md)\n'
step "lego registers, proves control of its name and obtains the certificate" \
	env LEGO_CA_CERTIFICATES="$D/work/root.pem" lego --path "$D/work/lego" --server "${RA_URL%/api/v1}/acme/tls-server/directory" \
	--accept-tos --email web@example.gov.cn --domains web.example.gov.cn --http --http.port "127.0.0.1:$HTTP01" run
openssl verify -CAfile root.pem -untrusted issuing.pem lego/certificates/web.example.gov.cn.crt

printf '\n== an electronic seal (GB/T 38540) for the Civil Affairs Bureau, made by the seal office\n'
# encrypted keys for the seal maker and for the clerk who holds the seal
for who in maker sealclerk; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
		openssl pkcs8 -topk8 -v2 aes-256-cbc -passout file:"$D/pass" -out $who.key
done
openssl req -new -key maker.key -passin file:"$D/pass" -subj "/C=CN/O=City of Example/CN=Seal Office" -out maker.csr
openssl req -new -key sealclerk.key -passin file:"$D/pass" -subj "/C=CN/O=City of Example/OU=Civil Affairs/CN=Wang Fang" \
	-addext "subjectAltName=email:wang.fang@example.gov.cn" -out sealclerk.csr
"$CA_TOOL" issue --ca issuing --profile seal-signer --csr maker.csr --out maker.pem "${PASS[@]}" 2>/dev/null
"$CA_TOOL" issue --ca issuing --profile person --csr sealclerk.csr --out sealclerk.pem "${PASS[@]}" 2>/dev/null
# a small red square as the seal's picture (PNG)
python3 -c 'import zlib,struct
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + b"\xc0\x10\x10" * 32 for _ in range(32))
open("seal.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))'
cat issuing.pem root.pem > chain.pem
step "make the seal: the holder list, validity and picture, signed by the seal maker" \
	"$SEAL_TOOL" make --maker-cert maker.pem --maker-key maker.key --id 4401000000001 --name "Civil Affairs Bureau" \
	--holder sealclerk.pem --image seal.png --image-type PNG --width 40 --height 40 --days 365 --out bureau.seal --pass-file "$D/pass"
printf 'Certificate of residence for Zhang San, No. 2026-0042.\n' > residence.txt
step "the clerk seals a document" \
	"$SEAL_TOOL" sign --seal bureau.seal --cert sealclerk.pem --key sealclerk.key --doc residence.txt --out residence.sig --pass-file "$D/pass"
step "anyone verifies the sealed document, step by step" \
	"$SEAL_TOOL" verify --trust root.pem --untrusted chain.pem --ocsp "$OCSP_URL" --doc residence.txt residence.sig || true
printf 'Certificate of residence for Zhang San, No. 2026-0043.\n' > forged.txt
step "a changed document fails, saying why" \
	"$SEAL_TOOL" verify --trust root.pem --untrusted chain.pem --doc forged.txt residence.sig || true

# ---- the key management centre: an SM2 dual pair, its encryption key recovered by two officers
"$CA_TOOL" init --name sm2root --subject "/C=CN/O=City of Example/CN=City SM2 Root CA" --key-type sm2 "${PASS[@]}" >/dev/null
step "the key management centre makes its storage key (keys/kmc-storage.key, under the passphrase)" \
	"$CA_TOOL" kmc init "${PASS[@]}"
for who in zhao kmcsec kmco1 kmco2; do
	openssl genpkey -algorithm SM2 2>/dev/null | openssl pkcs8 -topk8 -v2 aes-256-cbc -passout file:"$D/pass" -out $who.key
done
openssl req -new -key zhao.key -passin file:"$D/pass" -subj "/C=CN/O=City of Example/CN=Zhao Lei" -sm3 \
	-sigopt distid:1234567812345678 -addext "subjectAltName=email:zhao.lei@example.gov.cn" -out zhao.csr
step "dual issuance: a signing certificate for Zhao Lei's key, an encryption certificate for a key the KMC generates and escrows" \
	"$CA_TOOL" kmc issue-dual --ca sm2root --csr zhao.csr --sign-out zhao-sign.pem --enc-out zhao-enc.pem \
	--envelope-out zhao-env.der "${PASS[@]}"
step "Zhao Lei opens the SM2 envelope (GM/T 0009 SM2EnvelopedKey) with his signing key" \
	"$CA_TOOL" kmc open --in zhao-env.der --key zhao.key --key-pass-file "$D/pass" --out zhao-enc.key --out-pass-file "$D/pass"
for who in kmcsec kmco1 kmco2; do
	openssl req -new -key $who.key -passin file:"$D/pass" -subj "/C=CN/O=City of Example/CN=$who" -sm3 \
		-sigopt distid:1234567812345678 -out $who.csr
	"$CA_TOOL" issue --ca sm2root --profile person --csr $who.csr --out $who.pem "${PASS[@]}" 2>/dev/null
done
"$CA_TOOL" kmc officer add --name chen --cert kmco1.pem
"$CA_TOOL" kmc officer add --name liu --cert kmco2.pem
step "two recovery officers" "$CA_TOOL" kmc officer list
printf 'Zhao Lei encrypted this before he left.\n' > zhao-doc.txt
openssl x509 -in zhao-enc.pem -noout -pubkey > zhao-enc.pub
openssl pkeyutl -encrypt -pubin -inkey zhao-enc.pub -in zhao-doc.txt -out zhao-doc.sm2
step "Zhao Lei leaves: his pair is revoked" \
	"$CA_TOOL" kmc revoke-pair --ca sm2root --serial "$(openssl x509 -in zhao-sign.pem -noout -serial | cut -d= -f2)" --reason superseded
step "the department asks for his encryption key, to its security officer's certificate" \
	"$CA_TOOL" kmc recover-request --ca sm2root --serial "$(openssl x509 -in zhao-enc.pem -noout -serial | cut -d= -f2)" \
	--recipient kmcsec.pem --requester department --reason "Zhao Lei left; his files are needed"
step "one approval is not enough" "$CA_TOOL" kmc recover-approve --id 1 --officer chen --officer-key kmco1.key --officer-pass-file "$D/pass"
step "... so nothing is released" "$CA_TOOL" kmc recover --id 1 --out zhao-recovered.der "${PASS[@]}" || true
step "the second officer approves" "$CA_TOOL" kmc recover-approve --id 1 --officer liu --officer-key kmco2.key --officer-pass-file "$D/pass"
step "the KMC delivers the key, enveloped to the security officer" "$CA_TOOL" kmc recover --id 1 --out zhao-recovered.der "${PASS[@]}"
step "the security officer opens it" \
	"$CA_TOOL" kmc open --in zhao-recovered.der --key kmcsec.key --key-pass-file "$D/pass" --out zhao-recovered.key --out-pass-file "$D/pass"
step "and reads Zhao Lei's document" \
	openssl pkeyutl -decrypt -inkey zhao-recovered.key -passin file:"$D/pass" -in zhao-doc.sm2

step "the audit chain" "$CA_TOOL" audit verify
printf '\nEverything is in %s (store: home/govpki.db, encrypted CA keys: home/keys/).\n' "$D"
printf 'Still answering on localhost: OCSP %s, RA %s\n' "$OCSP_URL" "$RA_URL"
printf '\n== the officers'"'"' web console: %s\n' "$CONSOLE_URL"
printf 'Log in with officer Li'"'"'s client certificate, in %s/work/officer.p12 (password in %s/work/officer.p12.pass: %s):\n' \
	"$D" "$D" "$(cat officer.p12.pass)"
printf '  Firefox: Settings > Privacy & Security > Certificates > View Certificates > Your Certificates > Import officer.p12;\n'
printf '           Authorities > Import %s/work/root.pem (trust it to identify websites)\n' "$D"
printf '  Chromium/Chrome: Settings > Privacy and security > Security > Manage certificates > Import officer.p12\n'
printf '           (Linux: pk12util -d sql:$HOME/.pki/nssdb -i officer.p12; certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n govpki-demo-root -i root.pem)\n'
printf '  then open %s and choose the certificate "Officer Li" when the browser asks.\n' "$CONSOLE_URL"
printf 'Stop the servers with: kill $(cat %s/*.pid)\n' "$D"
