#!/bin/bash
# scripts/demo.sh: installs what is missing, builds, and runs the main job in
# ./demo: a root CA and an issuing CA, a TLS server and a person certificate
# issued from CSRs, one revoked, a CRL, and openssl's verdict on both.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/common.sh"

need_packages
echo "== building"
build "$src/build/plain" --enable-werror
CA_TOOL="$src/build/plain/ca-tool"
OCSPD="$src/build/plain/ocsp-responder"

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
printf '\n== start the OCSP responder on localhost (CA-signed responses)\n$ ocsp-responder --listen 127.0.0.1:0 --port-file ocsp.port --pass-file pass --ca issuing &\n'
"$OCSPD" --listen 127.0.0.1:0 --port-file "$D/ocsp.port" --pass-file "$D/pass" --ca issuing >"$D/ocsp.log" 2>&1 &
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
step "publish a CRL" "$CA_TOOL" crl --ca issuing --pem --out issuing.crl "${PASS[@]}"
openssl crl -in issuing.crl -noout -text | sed -n '1,/Signature Algorithm/p' | head -20

step "openssl checks both against the chain and the CRL" \
	openssl verify -crl_check -CAfile root.pem -untrusted issuing.pem -CRLfile issuing.crl www.pem || true
openssl verify -crl_check -CAfile root.pem -untrusted issuing.pem -CRLfile issuing.crl clerk.pem || true
step "the audit chain" "$CA_TOOL" audit verify
printf '\nEverything is in %s (store: home/govpki.db, encrypted CA keys: home/keys/).\n' "$D"
printf 'Still answering on localhost: OCSP %s\n' "$OCSP_URL"
printf 'Stop the servers with: kill $(cat %s/*.pid)\n' "$D"
