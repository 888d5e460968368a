#!/bin/bash
# hsm_ca: CAs whose keys live in a SoftHSM2 token (RSA and EC): keys made
# in the token are sensitive and never extractable (pkcs11-tool says so),
# a root and an issuing CA on them issue, revoke and publish CRLs that
# openssl verify / openssl crl accept; a batch signs in parallel threads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hsm_lib.sh"

mktoken hsm
TOK="pkcs11:token=hsm"
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

for type in ec-p256 ec-p384 rsa2048 rsa3072; do
	export GOVPKI_HOME="$T/home-$type"
	d="$T/$type.d"; mkdir -p "$d"
	expect "$type: root key generated in the token" ct key generate --token "$TOK" --label "root-$type" --type "$type" --pin-file "$PIN_FILE"
	grep -q "CKA_SENSITIVE=true CKA_EXTRACTABLE=false" "$T/stdout" && ok "$type: ca-tool reports sensitive, not extractable" ||
		not_ok "$type: ca-tool reports sensitive, not extractable"
	a=$(p11attrs "root-$type") || a="(pkcs11-tool failed)"
	case $a in *sensitive*"always sensitive"*"never extractable"*) ok "$type: pkcs11-tool: sensitive, never extractable ($a)" ;;
		*) not_ok "$type: pkcs11-tool attributes: '$a'" ;; esac
	expect "$type: issuing key generated" ct key generate --token "$TOK" --label "iss-$type" --type "$type" --pin-file "$PIN_FILE"
	# the PIN here comes from GOVPKI_PIN; the CA passphrase is not used for HSM keys
	export GOVPKI_PIN=$PIN
	expect "$type: root CA on the HSM key" ct init --name root --subject "/C=CN/O=City/CN=HSM Root $type" --key "$TOK;object=root-$type" $PASS
	expect "$type: issuing CA on the HSM key" ct init --name issuing --parent root --subject "/C=CN/O=City/CN=HSM Issuing $type" --key "$TOK;object=iss-$type" $PASS
	ct export --ca root --out "$d/root.pem"; ct export --ca issuing --out "$d/iss.pem"
	expect "$type: openssl verifies the issuing CA" openssl verify -CAfile "$d/root.pem" "$d/iss.pem"
	genkey ec-p256 "$d/a.key"; mkcsr ec-p256 "$d/a.key" "$d/a.csr" "/C=CN/O=City/CN=www.example.gov.cn" "DNS:www.example.gov.cn"
	genkey ec-p256 "$d/b.key"; mkcsr ec-p256 "$d/b.key" "$d/b.csr" "/C=CN/O=City/CN=Zhang San"
	expect "$type: issue tls-server" ct issue --ca issuing --profile tls-server --csr "$d/a.csr" --out "$d/a.pem" $PASS
	expect "$type: issue person" ct issue --ca issuing --profile person --csr "$d/b.csr" --out "$d/b.pem" $PASS
	expect "$type: openssl verify a" openssl verify -CAfile "$d/root.pem" -untrusted "$d/iss.pem" "$d/a.pem"
	expect "$type: revoke b" ct revoke --ca issuing --serial "$(serial_of "$d/b.pem")" --reason keyCompromise
	expect "$type: CRL signed in the HSM" ct crl --ca issuing --out "$d/iss.crl" $PASS
	openssl crl -inform DER -in "$d/iss.crl" -out "$d/iss.crl.pem" && openssl crl -in "$d/iss.crl.pem" -noout -text > "$d/iss.crl.txt" &&
		grep -q "$(serial_of "$d/b.pem")" "$d/iss.crl.txt" && ok "$type: CRL lists b" || not_ok "$type: CRL lists b"
	expect "$type: openssl crl verifies the CRL signature" openssl crl -in "$d/iss.crl.pem" -CAfile "$d/iss.pem" -noout
	grep -q "verify OK" "$T/stderr" "$T/stdout" && ok "$type: openssl crl says verify OK" || not_ok "$type: openssl crl says verify OK"
	cat "$d/root.pem" "$d/iss.pem" > "$d/chain.pem"
	expect "$type: a stays good with the CRL" openssl verify -crl_check -CAfile "$d/chain.pem" -CRLfile "$d/iss.crl.pem" "$d/a.pem"
	expect_fail "$type: b is revoked per the CRL" nz "" openssl verify -crl_check -CAfile "$d/chain.pem" -CRLfile "$d/iss.crl.pem" "$d/b.pem"
	unset GOVPKI_PIN
done

# the PIN from [pkcs11] pin_file of the configuration, the module from it too
export GOVPKI_HOME="$T/home-cfg"
printf '[pkcs11]\nmodule = %s\npin_file = %s\n' "$P11MOD" "$PIN_FILE" > "$T/p11.cnf"
expect "config: key generate with the configured module and PIN file" env -u GOVPKI_PKCS11_MODULE "$CA_TOOL" --config "$T/p11.cnf" key generate --token "$TOK" --label cfgkey --type ec-p256
expect "config: CA from [pkcs11]" env -u GOVPKI_PKCS11_MODULE "$CA_TOOL" --config "$T/p11.cnf" init --name cfg --subject "/CN=Cfg" --key "$TOK;object=cfgkey" $PASS
# module-path and pin-source in the URI itself (RFC 7512 §2.4)
export GOVPKI_HOME="$T/home-uri"
expect "uri: module-path and pin-source" env -u GOVPKI_PKCS11_MODULE "$CA_TOOL" init --name u --subject "/CN=U" --key "$TOK;object=cfgkey?module-path=$P11MOD&pin-source=$PIN_FILE" $PASS

# no module named anywhere: the default, p11-kit's proxy, which loads the
# modules registered with p11-kit (softhsm2 registers itself); openssl
# checks what the token's key signed
export GOVPKI_HOME="$T/home-proxy"
mktoken proxy
PTOK="pkcs11:token=proxy"
ctp() { env -u GOVPKI_PKCS11_MODULE "$CA_TOOL" "$@"; }
expect "no module configured: key generate through p11-kit's proxy" \
	ctp key generate --token "$PTOK" --label proxykey --type ec-p256 --pin-file "$PIN_FILE"
expect "... a root CA on that key" ctp init --name proxy --subject "/CN=Proxy Root" --key "$PTOK;object=proxykey" --pin-file "$PIN_FILE" $PASS
ctp export --ca proxy --out "$T/proxy.pem"
expect "... openssl verifies its self-signature" openssl verify -CAfile "$T/proxy.pem" "$T/proxy.pem"
check_key() { openssl x509 -in "$T/proxy.pem" -noout -pubkey; }
pkcs11-tool --module "$P11MOD" --token-label proxy --read-object --type pubkey --label proxykey 2>/dev/null |
	openssl pkey -pubin -inform DER > "$T/proxykey.pub" 2>/dev/null
[ -s "$T/proxykey.pub" ] && [ "$(check_key)" = "$(cat "$T/proxykey.pub")" ] &&
	ok "... the certificate holds the token's key (pkcs11-tool reads it)" ||
	{ not_ok "... the certificate holds the token's key"; show 5 "$T/proxykey.pub"; }

# the PIN from --pin-file (a global option, before or after the command word)
export GOVPKI_HOME="$T/home-ec-p256"
genkey ec-p256 "$T/pf.key"; mkcsr ec-p256 "$T/pf.key" "$T/pf.csr" "/CN=pinfile.example.gov.cn" "DNS:pinfile.example.gov.cn"
expect "--pin-file before the command: issue with the HSM key" env -u GOVPKI_PIN "$CA_TOOL" --pin-file "$PIN_FILE" issue --ca issuing --profile tls-server --csr "$T/pf.csr" --out "$T/pf.pem" $PASS
expect "the certificate verifies" openssl verify -CAfile "$T/ec-p256.d/root.pem" -untrusted "$T/ec-p256.d/iss.pem" "$T/pf.pem"
expect "--pin-file after the command: CRL" env -u GOVPKI_PIN "$CA_TOOL" crl --ca issuing --pin-file "$PIN_FILE" --out "$T/pf.crl" $PASS
expect "the CRL verifies" openssl crl -inform DER -in "$T/pf.crl" -CAfile "$T/ec-p256.d/iss.pem" -noout
expect "--pin-file wins over a wrong GOVPKI_PIN" env GOVPKI_PIN=0000 "$CA_TOOL" --pin-file "$PIN_FILE" crl --ca issuing --out "$T/pf2.crl" $PASS

# key list: every key, with its attributes, as JSON
expect "key list --json" ct --json key list --token "$TOK" --pin-file "$PIN_FILE"
n=$(python3 -c 'import json,sys; k=json.load(open(sys.argv[1])); print(sum(1 for x in k if x["sensitive"] and not x["extractable"] and x["never_extractable"]))' "$T/stdout")
[ "$n" -eq 9 ] && ok "key list: 9 keys, all sensitive and never extractable" || not_ok "key list: $n of 9 keys sensitive and never extractable"

# parallel signing: a batch of 200 CSRs over 4 threads with one HSM key
export GOVPKI_HOME="$T/home-ec-p256" GOVPKI_PIN=$PIN
mkdir -p "$T/csrs" "$T/out"
"$top_builddir/tests/gencsr" ec-p256 200 "$T/csrs" >/dev/null
expect "batch of 200 over 4 threads with the HSM key" ct issue --ca issuing --profile tls-server --batch "$T/csrs" --out-dir "$T/out" --threads 4 $PASS
n=0; bad=0
for f in "$T"/out/*; do
	n=$((n + 1))
	openssl verify -CAfile "$T/ec-p256.d/root.pem" -untrusted "$T/ec-p256.d/iss.pem" "$f" >/dev/null 2>&1 || bad=$((bad + 1))
done
[ "$n" -eq 200 ] && [ "$bad" -eq 0 ] && ok "batch: 200 certificates, all verify" || not_ok "batch: $n certificates, $bad do not verify"
expect "audit chain verifies" ct audit verify

# the key ceremony (docs/key-ceremony.md) in a token of its own: an output
# folder that cannot be written stops it before any step; then both keys
# made in the token, both certificates written out, fingerprints as
# openssl computes them, the chain accepted by openssl, the audit intact
export GOVPKI_HOME="$T/home-ceremony"
unset GOVPKI_PIN
mktoken ceremony
CER=(ceremony --token pkcs11:token=ceremony --type ec-p384 --pin-file "$PIN_FILE"
	--root-name root --root-subject "/C=CN/O=City/CN=Ceremony Root" --root-label root-k
	--issuing-name issuing --issuing-subject "/C=CN/O=City/CN=Ceremony Issuing" --issuing-label iss-k)
expect_fail "ceremony: an output folder that does not exist" 1 "$T/nowhere/root.pem" ct "${CER[@]}" --out-dir "$T/nowhere"
[ ! -e "$GOVPKI_HOME" ] && attrs=$(p11attrs root-k ceremony) && [ -z "$attrs" ] &&
	ok "ceremony refused before any step: no store, no key in the token" || not_ok "a refused ceremony left a store or a key"
mkdir -p "$T/cer"
expect "ceremony with --out-dir" ct "${CER[@]}" --out-dir "$T/cer"
cp "$T/stdout" "$T/ceremony.out"
for n in root issuing; do
	fp=$(openssl x509 -in "$T/cer/$n.pem" -noout -fingerprint -sha256 | cut -d= -f2)
	grep -q "SHA-256 fingerprint of $n: $fp" "$T/ceremony.out" && ok "ceremony: $n's printed fingerprint is openssl's" ||
		not_ok "ceremony: $n's fingerprint ($fp) not printed"
done
expect "ceremony: openssl verifies the issuing CA under the root" openssl verify -CAfile "$T/cer/root.pem" "$T/cer/issuing.pem"
case $(p11attrs iss-k ceremony) in *"never extractable"*) ok "ceremony: the issuing key never leaves the token" ;;
	*) not_ok "ceremony: issuing key attributes" ;; esac
grep -q "audit chain verified" "$T/ceremony.out" && ok "ceremony: the audit chain is verified at its end" || not_ok "ceremony: audit step"
expect "audit verify after the ceremony" ct audit verify
finish
