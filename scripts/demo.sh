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

D="$src/demo"
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

CLERK=$(openssl x509 -in clerk.pem -noout -serial | cut -d= -f2)
step "the clerk's key is compromised: revoke it" \
	"$CA_TOOL" revoke --ca issuing --serial "$CLERK" --reason keyCompromise
step "publish a CRL" "$CA_TOOL" crl --ca issuing --pem --out issuing.crl "${PASS[@]}"
openssl crl -in issuing.crl -noout -text | sed -n '1,/Signature Algorithm/p' | head -20

step "openssl checks both against the chain and the CRL" \
	openssl verify -crl_check -CAfile root.pem -untrusted issuing.pem -CRLfile issuing.crl www.pem || true
openssl verify -crl_check -CAfile root.pem -untrusted issuing.pem -CRLfile issuing.crl clerk.pem || true
step "the audit chain" "$CA_TOOL" audit verify
printf '\nEverything is in %s (store: home/govpki.db, encrypted CA keys: home/keys/).\n' "$D"
