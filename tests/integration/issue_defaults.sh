#!/bin/bash
# issue_defaults: what every built-in profile issues by default. Validity to
# the second (RFC 5280 §4.1.2.5: notBefore and notAfter both belong to the
# period, so N days end N * 86400 - 1 seconds after notBefore); with a CA
# base_url, the CRL distribution point, OCSP and caIssuers AIA and the CA's
# policy OID; and each certificate passes `openssl verify -x509_strict` for
# its purpose with that policy required (-explicit_policy).
. "$(dirname "$0")/lib.sh"

BASE=http://pki.example.gov.cn
POLICY=1.2.156.112233.1.1
printf '[ca.rootx]\nbase_url = %s/x\n' "$BASE" > "$T/govpki.cnf"
ct() { "$CA_TOOL" --config "$T/govpki.cnf" "$@"; }

# the built-in maxima (docs/configuration.md; tls-server: CA/B BR §6.3.2, SC-081)
declare -A DAYS=([root-ca]=7300 [sub-ca]=3650 [tls-server]=200 [tls-client]=825
	[person]=1095 [department]=1095 [device]=1825 [seal-signer]=1095
	[ocsp-signer]=90 [tsa-signer]=1825)
# openssl verify -purpose for each end-entity profile
declare -A PURPOSE=([tls-server]=sslserver [tls-client]=sslclient [person]=smimesign
	[department]=smimesign [device]=sslclient [seal-signer]=any
	[ocsp-signer]=ocsphelper [tsa-signer]=timestampsign)

epoch() { date -u -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }
# span FILE: notAfter - notBefore in seconds
span() { echo $(( $(epoch "$1" enddate) - $(epoch "$1" startdate) )); }
check_span() {
	local f=$1 prof=$2 want=$(( ${DAYS[$2]} * 86400 - 1 )) got
	got=$(span "$f")
	[ "$got" -eq "$want" ] && ok "$prof: validity is ${DAYS[$prof]} days less 1 second" ||
		not_ok "$prof: validity $got s, want $want s"
}
# has_defaults FILE PROF CA: CRL DP, AIA and policy that point at CA under BASE
has_defaults() {
	local f=$1 prof=$2 ca=$3 txt
	txt=$(openssl x509 -in "$f" -noout -text)
	grep -q "URI:$BASE/crl/$ca.crl" <<<"$txt" && grep -q "OCSP - URI:$BASE/ocsp" <<<"$txt" &&
		grep -q "CA Issuers - URI:$BASE/ca/$ca.crt" <<<"$txt" &&
		ok "$prof: CRL DP and AIA from the base URL" || not_ok "$prof: CRL DP and AIA from the base URL"
}

expect "root with --url" ct init --name root --subject "/C=CN/O=City of Example/CN=Root CA" --url "$BASE" $PASS
expect "issuing CA with --url and --policy" ct init --name issuing --parent root \
	--subject "/C=CN/O=City of Example/CN=Issuing CA" --url "$BASE/" --policy "$POLICY" $PASS
ct export --ca root --out "$T/root.pem"
ct export --ca issuing --out "$T/issuing.pem"
check_span "$T/root.pem" root-ca
check_span "$T/issuing.pem" sub-ca
txt=$(openssl x509 -in "$T/root.pem" -noout -text)
! grep -Eq "CRL Distribution|Authority Information|Certificate Policies" <<<"$txt" &&
	ok "root-ca: a self-signed root has no CRL DP, AIA or policies (CA/B BR 7.1.2.1)" ||
	not_ok "root-ca: a self-signed root has no CRL DP, AIA or policies"
has_defaults "$T/issuing.pem" sub-ca root
x509_text "$T/issuing.pem" && grep -q "X509v3 Any Policy" "$T/x509.txt" &&
	ok "sub-ca: anyPolicy, so that each CA names its own" || not_ok "sub-ca: anyPolicy"

for prof in tls-server tls-client person department device seal-signer ocsp-signer tsa-signer; do
	genkey ec-p256 "$T/$prof.key"
	case $prof in
	tls-server) mkcsr ec-p256 "$T/$prof.key" "$T/$prof.csr" "/C=CN/O=City of Example/CN=www.example.gov.cn" "DNS:www.example.gov.cn" ;;
	person|department) mkcsr ec-p256 "$T/$prof.key" "$T/$prof.csr" "/C=CN/O=City of Example/CN=Zhang San" "email:zhang.san@example.gov.cn" ;;
	*) mkcsr ec-p256 "$T/$prof.key" "$T/$prof.csr" "/C=CN/O=City of Example/CN=$prof" ;;
	esac
	expect "$prof: issued" ct issue --ca issuing --profile "$prof" --csr "$T/$prof.csr" --out "$T/$prof.pem" $PASS
	check_span "$T/$prof.pem" "$prof"
	has_defaults "$T/$prof.pem" "$prof" issuing
	x509_text "$T/$prof.pem" && grep -q "Policy: $POLICY" "$T/x509.txt" &&
		ok "$prof: the CA's policy OID" || not_ok "$prof: the CA's policy OID"
	expect "$prof: openssl verify -x509_strict -purpose ${PURPOSE[$prof]} -policy $POLICY -explicit_policy" \
		openssl verify -x509_strict -purpose "${PURPOSE[$prof]}" -policy "$POLICY" -explicit_policy \
		-CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$T/$prof.pem"
done

# a CA with no --policy (and no [ca.NAME] policy) makes up no policy OID,
# and a config base_url
expect "second root (base_url from [ca.rootx])" ct init --name rootx --subject "/C=CN/O=City of Example/CN=Root X" $PASS
expect "CA under it" ct init --name subx --parent rootx --subject "/C=CN/O=City of Example/CN=Sub X" $PASS
ct export --ca subx --out "$T/subx.pem"
x509_text "$T/subx.pem" && grep -q "URI:$BASE/x/crl/rootx.crl" "$T/x509.txt" &&
	ok "[ca.NAME] base_url is used" || not_ok "[ca.NAME] base_url is used"
expect "person under subx" ct issue --ca subx --profile person --csr "$T/person.csr" --out "$T/px.pem" $PASS
x509_text "$T/px.pem" && ! grep -q "Certificate Policies" "$T/x509.txt" &&
	ok "no --policy: no certificatePolicies in what it issues" || not_ok "no --policy: certificatePolicies"
# a CA without a base URL adds none
expect "CA without a URL" ct init --name plain --parent root --subject "/C=CN/O=City of Example/CN=Plain CA" $PASS
expect "person under it" ct issue --ca plain --profile person --csr "$T/person.csr" --out "$T/pp.pem" $PASS
x509_text "$T/pp.pem" && ! grep -q "CRL Distribution" "$T/x509.txt" &&
	ok "no base URL: no CRL DP" || not_ok "no base URL: no CRL DP"

# bad input: nothing is created
expect_fail "--url that is not http(s)" nz "not an http:// or https:// URL" \
	ct init --name bad1 --parent root --subject "/CN=Bad" --url "ftp://x" $PASS
expect_fail "--policy that is not an OID" nz "not a policy OID" \
	ct init --name bad2 --parent root --subject "/CN=Bad" --policy "hello" $PASS
expect_fail "--policy anyPolicy" nz "not a policy OID" \
	ct init --name bad3 --parent root --subject "/CN=Bad" --policy 2.5.29.32.0 $PASS
ct list --cas > "$T/cas.txt"
! grep -q bad "$T/cas.txt" && ok "refused CAs are not created" || not_ok "refused CAs are not created"
printf '[ca.root]\nbase_url = %s\nwhatever = 1\n' "$BASE" > "$T/bad.cnf"
expect_fail "unknown key in [ca.NAME]" nz "whatever" \
	"$CA_TOOL" --config "$T/bad.cnf" issue --ca root --profile sub-ca --csr "$T/person.csr" --out "$T/no.pem" $PASS
[ ! -e "$T/no.pem" ] && ok "nothing written" || not_ok "nothing written"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
