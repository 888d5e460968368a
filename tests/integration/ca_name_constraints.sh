#!/bin/bash
# ca_name_constraints: nameConstraints from a CA profile (permitted_dns,
# excluded_dns, permitted_email, permitted_ip; RFC 5280 §4.2.1.10). A
# constrained issuing CA carries them critical; govpki refuses to issue a
# name outside them (nothing stored), and what it issues inside them
# verifies with openssl. An outside CA signed with sign-ca is held to them
# by openssl's verifier.
. "$(dirname "$0")/lib.sh"

cat > "$T/govpki.cnf" <<'EOF'
[profile.sub-ca-city]
inherit = sub-ca
permitted_dns = city.gov.cn
excluded_dns = secret.city.gov.cn
permitted_email = .city.gov.cn
permitted_ip = 10.0.0.0/8
EOF
ct() { "$CA_TOOL" --config "$T/govpki.cnf" "$@"; }

expect "root" ct init --name root --subject "/C=CN/O=City of Example/CN=Root CA" $PASS
expect "a constrained issuing CA (profile sub-ca-city)" ct init --name city --parent root \
	--profile sub-ca-city --subject "/C=CN/O=City of Example/CN=City CA" $PASS
ct export --ca root --out "$T/root.pem"
ct export --ca city --out "$T/city.pem"
openssl x509 -in "$T/city.pem" -noout -ext nameConstraints > "$T/nc.txt"
grep -q "Name Constraints: critical" "$T/nc.txt" && grep -q "DNS:city.gov.cn" "$T/nc.txt" &&
	grep -q "email:.city.gov.cn" "$T/nc.txt" && grep -q "IP:10.0.0.0/255.0.0.0" "$T/nc.txt" &&
	grep -A3 "Excluded" "$T/nc.txt" | grep "DNS:secret.city.gov.cn" >/dev/null &&
	ok "the CA certificate carries the nameConstraints, critical" || { not_ok "nameConstraints"; show 12 "$T/nc.txt"; }
certtool -i --infile "$T/city.pem" > "$T/certtool.txt" 2>&1 && grep -qi "Name Constraints (critical)" "$T/certtool.txt" &&
	ok "certtool reads them (critical)" || { not_ok "certtool"; show 5 "$T/certtool.txt"; }

genkey ec-p256 "$T/k"
# issue NAME SAN OUT: a tls-server certificate from the city CA
issue() {
	mkcsr ec-p256 "$T/k" "$T/$3.csr" "/C=CN/O=City of Example/CN=$1" "$2"
	ct issue --ca city --profile tls-server --csr "$T/$3.csr" --out "$T/$3.pem" $PASS
}
expect "inside: www.city.gov.cn" issue www.city.gov.cn "DNS:www.city.gov.cn" in1
expect "inside: an address in 10.0.0.0/8" issue www.city.gov.cn "DNS:www.city.gov.cn,IP:10.1.2.3" in2
for f in in1 in2; do
	openssl verify -x509_strict -CAfile "$T/root.pem" -untrusted "$T/city.pem" "$T/$f.pem" >"$T/v.txt" 2>&1 &&
		ok "openssl verify: $f" || { not_ok "verify $f"; show 3 "$T/v.txt"; }
done
store_dump > "$T/before.sql"
expect_fail "outside the permitted DNS subtree" 4 "nameConstraints" \
	issue www.other.gov.cn "DNS:www.other.gov.cn" out1
expect_fail "in the excluded DNS subtree" 4 "nameConstraints" \
	issue a.secret.city.gov.cn "DNS:a.secret.city.gov.cn" out2
expect_fail "an address outside 10.0.0.0/8" 4 "nameConstraints" \
	issue www.city.gov.cn "DNS:www.city.gov.cn,IP:192.168.1.1" out3
printf '[profile.tls-any-cn]\ninherit = tls-server\ncn_in_san = no\n' >> "$T/govpki.cnf"
mkcsr ec-p256 "$T/k" "$T/out4.csr" "/C=CN/O=City of Example/CN=www.other.gov.cn" "IP:10.1.2.3"
expect_fail "a CN host name outside, with no DNS SAN" 4 "nameConstraints" \
	ct issue --ca city --profile tls-any-cn --csr "$T/out4.csr" --out "$T/out4.pem" $PASS
store_dump > "$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" && [ ! -e "$T/out1.pem" ] && [ ! -e "$T/out4.pem" ] &&
	ok "nothing stored or written for the refused names" || not_ok "a refused name was stored"

# an outside CA's CSR signed with the constraints: openssl holds its
# certificates to them
genkey ec-p256 "$T/outside.key"
openssl req -new -key "$T/outside.key" -subj "/C=CN/O=Outside Agency/CN=Outside CA" -out "$T/outside.csr"
expect "sign-ca for an outside CA with profile sub-ca-city" ct sign-ca --ca root --csr "$T/outside.csr" \
	--profile sub-ca-city $PASS --out "$T/outside.pem"
cat > "$T/leaf.ext" <<'EOF'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:evil.example.com
EOF
openssl req -new -key "$T/k" -subj "/CN=evil.example.com" -out "$T/evil.csr"
openssl x509 -req -in "$T/evil.csr" -CA "$T/outside.pem" -CAkey "$T/outside.key" -CAcreateserial \
	-days 30 -extfile "$T/leaf.ext" -out "$T/evil.pem" 2>/dev/null
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/outside.pem" "$T/evil.pem" 2>&1) && rc=0 || rc=$?
[ "$rc" -ne 0 ] && grep -q "subtree violation" <<<"$out" &&
	ok "openssl verify refuses the outside CA's certificate for a name outside" || not_ok "outside leaf: $out"

# bad configurations
printf '[profile.bad]\ninherit = tls-server\npermitted_dns = city.gov.cn\n' > "$T/bad.cnf"
expect_fail "permitted_dns in an end-entity profile" nz "go in a CA profile" \
	"$CA_TOOL" --config "$T/bad.cnf" config check
printf '[profile.bad]\ninherit = sub-ca\npermitted_ip = 10.0.0.1/8\n' > "$T/bad.cnf"
expect_fail "permitted_ip with bits past the prefix" nz "permitted_ip" \
	"$CA_TOOL" --config "$T/bad.cnf" config check
printf '[profile.bad]\ninherit = sub-ca\nexcluded_dns = -bad-.example\n' > "$T/bad.cnf"
expect_fail "excluded_dns that is no DNS name" nz "excluded_dns" \
	"$CA_TOOL" --config "$T/bad.cnf" config check

finish
