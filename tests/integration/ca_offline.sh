#!/bin/bash
# ca_offline: an offline root (issue 20.2). The root's home is on one
# machine, the online issuing CA's on another: the online side makes its
# CSR (ca-tool csr), the root signs it (sign-ca), the online side installs
# the root without its key and its own certificate with its key
# (import-ca), issues what openssl verify accepts, and publishes the root's
# CRLs signed offline (import-crl). Bad certificates, keys and CRLs are
# refused with nothing written.
. "$(dirname "$0")/lib.sh"

OFF=$T/offline ON=$T/online
off() { "$CA_TOOL" --home "$OFF" "$@"; }
on() { "$CA_TOOL" --home "$ON" "$@"; }
# dump HOME: the store's tables as text
dump() { sqlite3 -readonly "$1/govpki.db" .dump | grep -v '^PRAGMA'; }

expect "offline: the root" off init --name root --subject "/C=CN/O=City of Example/CN=Offline Root CA" $PASS
off export --ca root --out "$T/root.pem"

# the online side: a CSR for the issuing CA, its key kept encrypted
expect "online: csr --name issuing" on csr --name issuing \
	--subject "/C=CN/O=City of Example/CN=Issuing CA" --key-type ec-p256 $PASS --out "$T/issuing.csr"
openssl req -in "$T/issuing.csr" -noout -verify -subject >"$T/req.txt" 2>&1 &&
	grep -q "CN *= *Issuing CA" "$T/req.txt" && ok "the CSR verifies (openssl req) and names the CA" ||
	{ not_ok "CSR"; show 5 "$T/req.txt"; }
openssl pkey -in "$ON/keys/issuing.key" -passin "file:$T/pass" -pubout -out "$T/key.pub" 2>/dev/null &&
	openssl req -in "$T/issuing.csr" -noout -pubkey > "$T/csr.pub" && cmp -s "$T/key.pub" "$T/csr.pub" &&
	ok "keys/issuing.key is encrypted with the passphrase and is the CSR's key" || not_ok "the CSR's key"
! openssl pkey -in "$ON/keys/issuing.key" -passin pass:wrong -noout 2>/dev/null &&
	ok "the key does not open without its passphrase" || not_ok "key not encrypted"
expect_fail "csr for the same name again: the key is there" nz "exists already" \
	on csr --name issuing --subject "/CN=x" $PASS --out "$T/again.csr"
[ ! -e "$T/again.csr" ] && ok "no CSR written" || not_ok "CSR written"

# the root signs it offline
expect_fail "sign-ca with an end-entity profile" 4 "not a CA profile" \
	off sign-ca --ca root --csr "$T/issuing.csr" --profile person $PASS --out "$T/bad.pem"
printf 'not a CSR' > "$T/garbage.csr"
expect_fail "sign-ca with a garbage CSR" nz "" \
	off sign-ca --ca root --csr "$T/garbage.csr" $PASS --out "$T/bad.pem"
[ ! -e "$T/bad.pem" ] && ok "nothing written by the refused sign-ca" || not_ok "sign-ca wrote"
expect "offline: sign-ca" off sign-ca --ca root --csr "$T/issuing.csr" $PASS --out "$T/issuing.pem"
openssl verify -x509_strict -CAfile "$T/root.pem" "$T/issuing.pem" >"$T/v.txt" 2>&1 &&
	ok "openssl verify: the issuing CA under the root" || { not_ok "verify issuing"; show 5 "$T/v.txt"; }
openssl x509 -in "$T/issuing.pem" -noout -ext basicConstraints,keyUsage > "$T/ext.txt"
grep -q "CA:TRUE" "$T/ext.txt" && grep -q "Certificate Sign" "$T/ext.txt" &&
	ok "a CA certificate (sub-ca profile)" || { not_ok "CA extensions"; show 6 "$T/ext.txt"; }
SUB_SERIAL=$(openssl x509 -in "$T/issuing.pem" -noout -serial | cut -d= -f2)
off --json list --ca root > "$T/list.json"
python3 -c 'import json, sys; l = json.load(open(sys.argv[1])); l = l if isinstance(l, list) else l["certificates"]
assert any(c["serial"].lower() == sys.argv[2].lower() for c in l), l' "$T/list.json" "$SUB_SERIAL" &&
	ok "the root's store lists it (revocable, on its CRL)" || { not_ok "offline list"; show 10 "$T/list.json"; }

# the online side installs both: the issuer first
genkey ec-p256 "$T/ee.key"
mkcsr ec-p256 "$T/ee.key" "$T/ee.csr" "/C=CN/O=City of Example/CN=Person One"
expect_fail "import-ca of the issuing CA before its root" 3 "import the issuer" \
	"$CA_TOOL" --home "$T/fresh" import-ca --name issuing --cert "$T/issuing.pem" $PASS
[ ! -e "$T/fresh" ] && ok "the refused first import leaves no home behind" || not_ok "home left"
expect "online: import-ca root (no key)" on import-ca --name root --cert "$T/root.pem"
grep -q "its key is elsewhere" "$T/stdout" && ok "it says the root's key is elsewhere" || not_ok "import text"
off issue --ca root --profile ocsp-signer --csr "$T/ee.csr" --out "$T/leaf.pem" $PASS >/dev/null 2>&1
expect_fail "import-ca of an end-entity certificate" 4 "not a CA certificate" \
	on import-ca --name leaf --cert "$T/leaf.pem"
# a certificate whose signature does not verify: the last byte flipped
openssl x509 -in "$T/issuing.pem" -outform DER -out "$T/issuing.der"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[2], "wb").write(b)' \
	"$T/issuing.der" "$T/tampered.der"
expect_fail "import-ca of a certificate with a bad signature" 3 "import the issuer" \
	on import-ca --name issuing --cert "$T/tampered.der" $PASS
genkey ec-p256 "$T/other.key"
openssl pkcs8 -topk8 -in "$T/other.key" -passout "file:$T/pass" -out "$T/other.p8"
expect_fail "import-ca with another key" 4 "does not match" \
	on import-ca --name issuing --cert "$T/issuing.pem" --key "$T/other.p8" $PASS
printf 'garbage' > "$T/garbage.pem"
expect_fail "import-ca of a garbage file" 4 "not a certificate" \
	on import-ca --name issuing --cert "$T/garbage.pem"
expect "online: import-ca issuing with its key (keys/issuing.key)" \
	on import-ca --name issuing --cert "$T/issuing.der" $PASS
expect_fail "import-ca twice" nz "exists already" on import-ca --name issuing --cert "$T/issuing.pem" $PASS
on --json list --cas > "$T/cas.json"
python3 - "$T/cas.json" <<'PY' && ok "list --cas: root (no key) and issuing under it" || { not_ok "list --cas"; show 10 "$T/cas.json"; }
import json, sys
j = json.load(open(sys.argv[1]))
cas = {c["name"]: c for c in (j if isinstance(j, list) else j["cas"])}
assert cas["root"]["key"] == "" and cas["root"]["parent"] in (None, "", "(root)"), cas["root"]
assert cas["issuing"]["parent"] == "root" and cas["issuing"]["key"] == "keys/issuing.key", cas["issuing"]
PY

expect "online: issuing issues" on issue --ca issuing --profile person --csr "$T/ee.csr" --out "$T/ee.pem" $PASS
openssl verify -x509_strict -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$T/ee.pem" >"$T/v.txt" 2>&1 &&
	ok "openssl verify: the certificate the imported CA issued" || { not_ok "verify ee"; show 5 "$T/v.txt"; }
expect_fail "online: the root signs nothing here" 4 "its key is not here" \
	on issue --ca root --profile person --csr "$T/ee.csr" --out "$T/x.pem" $PASS
expect_fail "online: no CRL of the root made here" nz "its key is not here" \
	on crl --ca root --out "$T/x.crl"
[ ! -e "$T/x.pem" ] && [ ! -e "$T/x.crl" ] && ok "nothing written for the root online" || not_ok "root wrote"

# the root's CRL, signed offline, published online
expect "offline: the root's CRL" off crl --ca root --out "$T/root1.crl" $PASS
expect "online: import-crl" on import-crl --ca root --crl "$T/root1.crl"
mkdir "$T/pub"
expect "online: crl --publish for the root writes the imported CRL" on crl --ca root --publish "$T/pub"
cmp -s "$T/root1.crl" "$T/pub/crl/root.crl" && ok "the published root CRL is the offline one, byte for byte" ||
	not_ok "published root CRL differs"
expect "online: the issuing CA's CRL" on crl --ca issuing --publish "$T/pub" $PASS
openssl verify -crl_check_all -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" \
	-CRLfile "$T/pub/crl/root.crl" -CRLfile "$T/pub/crl/issuing.crl" "$T/ee.pem" >"$T/v.txt" 2>&1 &&
	ok "openssl verify -crl_check_all with the offline root's CRL" || { not_ok "crl_check_all"; show 5 "$T/v.txt"; }
expect_fail "publishing the root as of a year on: its CRL is stale" 1 "signs its CRLs elsewhere" \
	on crl --ca root --publish "$T/pub" --now "@$(( $(date +%s) + 366 * 86400 ))"

# bad CRLs: nothing stored
dump "$ON" > "$T/before.sql"
expect_fail "import-crl of the same CRL again" 4 "not above" on import-crl --ca root --crl "$T/root1.crl"
expect "offline: a second root" "$CA_TOOL" --home "$T/other" init --name root \
	--subject "/C=CN/O=City of Example/CN=Offline Root CA" $PASS
"$CA_TOOL" --home "$T/other" crl --ca root --out "$T/other.crl" $PASS >/dev/null
expect_fail "import-crl of a CRL another key signed (same name)" 7 "not signed by CA root" \
	on import-crl --ca root --crl "$T/other.crl"
expect_fail "import-crl of a garbage file" 4 "not a CRL" on import-crl --ca root --crl "$T/garbage.pem"
expect_fail "import-crl for an unknown CA" 3 "no CA named" on import-crl --ca nosuch --crl "$T/root1.crl"
dump "$ON" > "$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" && ok "the refused imports wrote nothing" || not_ok "a refused import wrote"

# the root revokes the issuing CA offline: the online side follows its CRL
expect "offline: revoke the issuing CA" off revoke --ca root --serial "$SUB_SERIAL" --reason cACompromise
expect "offline: the next root CRL" off crl --ca root --out "$T/root2.crl" $PASS
expect "online: import-crl of the new CRL" on import-crl --ca root --crl "$T/root2.crl"
expect_fail "online: the revoked issuing CA issues nothing" 4 "revoked" \
	on issue --ca issuing --profile person --csr "$T/ee.csr" --out "$T/x.pem" $PASS
out=$(openssl verify -crl_check_all -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" \
	-CRLfile "$T/root2.crl" -CRLfile "$T/pub/crl/issuing.crl" "$T/ee.pem" 2>&1) && rc=0 || rc=$?
[ "$rc" -ne 0 ] && grep -q "certificate revoked" <<<"$out" &&
	ok "openssl verify with the new root CRL: the issuing CA is revoked" || not_ok "verify after revocation: $out"

expect "audit verify (online)" on audit verify
expect "audit verify (offline)" off audit verify

finish
