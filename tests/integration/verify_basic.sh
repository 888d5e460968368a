#!/bin/bash
# verify_basic: ca-tool verify against `openssl verify -x509_strict` on
# certificates made by the openssl command line, on cases where openssl is
# right; then the cases where govpki is stricter (docs/verification.md),
# many certificates and a folder in one call, --json, and bad input.
. "$(dirname "$0")/lib.sh"

D=$T/pki
mkdir -p "$D"
cat > "$D/ext.cnf" <<'EOF'
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_bc_noncrit]
basicConstraints = CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_no_certsign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.gov
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_no_aki]
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.gov
subjectKeyIdentifier = hash
authorityKeyIdentifier = none
[leaf_cn_out]
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.gov
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_nc]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
nameConstraints = critical,permitted;DNS:example.gov
[crl]
authorityKeyIdentifier = keyid
EOF

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/$1.key" 2>/dev/null; }
# cert NAME SUBJECT ISSUER SECTION [DAYS_FROM DAYS_TO]: NAME.pem signed by ISSUER (self: "-")
serial=4096
cert() {
	local name=$1 subj=$2 iss=$3 sec=$4
	serial=$((serial + 1))
	[ -f "$D/$name.key" ] || key "$name"
	openssl req -new -key "$D/$name.key" -subj "$subj" -out "$D/$name.csr" 2>/dev/null
	if [ "$iss" = - ]; then
		openssl x509 -req -in "$D/$name.csr" -signkey "$D/$name.key" -days 30 -set_serial $serial \
			-extfile "$D/ext.cnf" -extensions "$sec" -out "$D/$name.pem" 2>/dev/null
	else
		openssl x509 -req -in "$D/$name.csr" -CA "$D/$iss.pem" -CAkey "$D/$iss.key" -days "${5:-30}" \
			-set_serial $serial -extfile "$D/ext.cnf" -extensions "$sec" -out "$D/$name.pem" 2>/dev/null
	fi
}

cert root "/CN=Root" - root
cert ca "/CN=Issuing" root ca
cert good "/CN=www.example.gov" ca leaf
cert noaki "/CN=www.example.gov" ca leaf_no_aki
cert bcnc "/CN=Issuing BC" root ca_bc_noncrit
cert bcnc_leaf "/CN=www.example.gov" bcnc leaf
cert nocs "/CN=Issuing noCS" root ca_no_certsign
cert nocs_leaf "/CN=www.example.gov" nocs leaf
cert nc "/CN=Issuing NC" root ca_nc
cert nc_cn "/CN=www.evil.com" nc leaf_cn_out
key other
cert other "/CN=Other Root" - root
ok "certificates made with openssl"

# the CRLs: the issuing CA revokes one leaf
cert revoked "/CN=www.example.gov" ca leaf
mkdir -p "$D/ca-db"
: > "$D/ca-db/index"
echo 01 > "$D/ca-db/crlnumber"
cat > "$D/crl.cnf" <<EOF
[ca]
default_ca = c
[c]
database = $D/ca-db/index
crlnumber = $D/ca-db/crlnumber
default_md = sha256
default_crl_days = 7
crl_extensions = crlext
[crlext]
authorityKeyIdentifier = keyid
EOF
crl() { # crl ISSUER OUT [REVOKE]
	[ -z "${3:-}" ] || openssl ca -config "$D/crl.cnf" -cert "$D/$1.pem" -keyfile "$D/$1.key" -revoke "$D/$3.pem" 2>/dev/null
	openssl ca -config "$D/crl.cnf" -cert "$D/$1.pem" -keyfile "$D/$1.key" -gencrl -out "$D/$2" 2>/dev/null
}
crl ca ca.crl revoked
: > "$D/ca-db/index"
crl root root.crl
ok "CRLs made with openssl ca"

# same CASE VERDICT OPENSSL_ARGS -- CA_TOOL_ARGS: openssl and ca-tool agree on VERDICT (ok|fail)
same() {
	local what=$1 want=$2 orc=0 crc=0; shift 2
	local -a oargs=() cargs=()
	while [ "$1" != -- ]; do oargs+=("$1"); shift; done
	shift
	cargs=("$@")
	openssl verify -x509_strict "${oargs[@]}" >"$T/o.out" 2>&1 || orc=$?
	"$CA_TOOL" verify "${cargs[@]}" >"$T/c.out" 2>&1 || crc=$?
	if [ "$want" = ok ] && [ $orc -eq 0 ] && [ $crc -eq 0 ]; then ok "$what: both accept"
	elif [ "$want" = fail ] && [ $orc -ne 0 ] && [ $crc -eq 7 ]; then ok "$what: both refuse"
	else not_ok "$what: want $want, openssl exit $orc, ca-tool exit $crc"; show 5 "$T/o.out" "$T/c.out"
	fi
}

R=$D/root.pem
same "good chain" ok -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "wrong anchor" fail -CAfile "$D/other.pem" -untrusted "$D/ca.pem" "$D/good.pem" -- --trust "$D/other.pem" --untrusted "$D/ca.pem" "$D/good.pem"
same "no intermediate" fail -CAfile "$R" "$D/good.pem" -- --trust "$R" "$D/good.pem"
same "missing AKI" fail -CAfile "$R" -untrusted "$D/ca.pem" "$D/noaki.pem" -- --trust "$R" --untrusted "$D/ca.pem" "$D/noaki.pem"
same "CA basicConstraints not critical" fail -CAfile "$R" -untrusted "$D/bcnc.pem" "$D/bcnc_leaf.pem" -- --trust "$R" --untrusted "$D/bcnc.pem" "$D/bcnc_leaf.pem"
same "CA without keyCertSign" fail -CAfile "$R" -untrusted "$D/nocs.pem" "$D/nocs_leaf.pem" -- --trust "$R" --untrusted "$D/nocs.pem" "$D/nocs_leaf.pem"
same "in 60 days (expired)" fail -attime $(( $(date +%s) + 60 * 86400 )) -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --at "@$(( $(date +%s) + 60 * 86400 ))" --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "CRLs: good" ok -crl_check_all -CRLfile "$D/ca.crl" -CRLfile "$D/root.crl" -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --crl "$D/ca.crl" --crl "$D/root.crl" --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "CRLs: revoked" fail -crl_check_all -CRLfile "$D/ca.crl" -CRLfile "$D/root.crl" -CAfile "$R" -untrusted "$D/ca.pem" "$D/revoked.pem" -- --crl "$D/ca.crl" --crl "$D/root.crl" --trust "$R" --untrusted "$D/ca.pem" "$D/revoked.pem"
same "CRLs: the root's missing" fail -crl_check_all -CRLfile "$D/ca.crl" -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --crl "$D/ca.crl" --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "purpose tls-server" ok -purpose sslserver -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --purpose tls-server --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "purpose tls-client" fail -purpose sslclient -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --purpose tls-client --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "purpose email" fail -purpose smimesign -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --purpose email --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "name in the SAN" ok -verify_hostname www.example.gov -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --name www.example.gov --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"
same "name not in the SAN" fail -verify_hostname mail.example.gov -CAfile "$R" -untrusted "$D/ca.pem" "$D/good.pem" -- --name mail.example.gov --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem"

# where govpki is stricter than openssl (RFC 5280 §4.2.1.10: the CN read
# as a host name is held to the CA's name constraints)
if openssl verify -x509_strict -CAfile "$R" -untrusted "$D/nc.pem" "$D/nc_cn.pem" >"$T/o.out" 2>&1; then
	ok "openssl takes a CN outside the name constraints when the SAN is inside"
fi
expect_fail "ca-tool refuses that CN" 7 "name-constraints .*subject CN" ct verify --trust "$R" --untrusted "$D/nc.pem" "$D/nc_cn.pem"

# many certificates and a folder in one call; one line each, in order
mkdir -p "$D/dir"
cp "$D/good.pem" "$D/dir/a.pem"
cp "$D/noaki.pem" "$D/dir/b.pem"
cp "$D/good.pem" "$D/dir/c.pem"
expect_fail "a folder with one invalid certificate" 7 "dir/b.pem: INVALID: aki \(RFC 5280 §4.2.1.1\)" \
	ct verify --trust "$R" --untrusted "$D/ca.pem" "$D/dir"
# no CRL given: --revocation prefer, the leaf's and the CA's status unknown
u="(revocation unknown for 2 certificates)"
printf '%s\n' "$D/dir/a.pem: OK $u" "$D/dir/c.pem: OK $u" > "$T/want"
if cmp -s "$T/want" "$T/stdout"; then ok "the two valid ones are OK, in name order"; else
	not_ok "folder output"; show 5 "$T/stdout"; fi
expect "two files, both valid" ct verify --trust "$R" --untrusted "$D/ca.pem" "$D/good.pem" "$D/dir/c.pem"
if [ "$(wc -l < "$T/stdout")" -eq 2 ]; then ok "one line each"; else not_ok "one line each"; show 5 "$T/stdout"; fi

# --json: every field, read by python's json
expect_fail "--json, invalid" 7 "" ct verify --json --trust "$R" --untrusted "$D/ca.pem" "$D/noaki.pem"
if python3 - "$T/stdout" <<'PY'
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["valid"] is False and j["rule"] == "aki" and j["depth"] == 0, j
assert j["source"] == "RFC 5280 §4.2.1.1" and j["subject"] == "CN=www.example.gov", j
assert j["file"].endswith("noaki.pem") and j["reason"], j
PY
then ok "--json names rule, source, depth and subject"; else not_ok "--json fields"; show 5 "$T/stdout"; fi

# bad input: a clear error, exit 4 (not a certificate / CRL) or 3 (no file), never a crash
head -c 200 "$D/good.pem" > "$T/trunc.pem"
openssl x509 -in "$D/good.pem" -outform DER -out "$T/good.der"
head -c 100 "$T/good.der" > "$T/trunc.der"
head -c 4096 /dev/urandom > "$T/garbage"
: > "$T/empty"
for f in trunc.pem trunc.der garbage empty; do
	expect_fail "certificate $f" 4 "not a certificate" ct verify --trust "$R" "$T/$f"
	expect_fail "trust anchors $f" 4 "not a certificate" ct verify --trust "$T/$f" "$D/good.pem"
	expect_fail "CRL $f" 4 "not a CRL" ct verify --trust "$R" --crl "$T/$f" "$D/good.pem"
done
openssl crl -in "$D/ca.crl" -outform DER -out "$T/ca.crl.der"
head -c 60 "$T/ca.crl.der" > "$T/trunc.crl"
expect_fail "CRL truncated" 4 "not a CRL" ct verify --trust "$R" --crl "$T/trunc.crl" "$D/good.pem"
expect "a DER certificate and a DER CRL" ct verify --trust "$R" --untrusted "$D/ca.pem" --crl "$T/ca.crl.der" --crl "$D/root.crl" "$T/good.der"
expect_fail "no such certificate" 3 "No such file" ct verify --trust "$R" "$T/nope.pem"
expect_fail "no --trust" 2 "needs --trust" ct verify "$D/good.pem"
expect_fail "bad --purpose" 2 "unknown purpose" ct verify --trust "$R" --purpose web "$D/good.pem"
expect_fail "bad --revocation" 2 "unknown revocation policy" ct verify --trust "$R" --revocation maybe "$D/good.pem"
expect_fail "bad --at" 2 "--at: bad time" ct verify --trust "$R" --at yesterday "$D/good.pem"
expect_fail "bad --policy" 4 "not a policy OID" ct verify --trust "$R" --policy "not an oid" "$D/good.pem"
expect "--help" ct verify --help

finish
