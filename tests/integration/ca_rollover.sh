#!/bin/bash
# ca_rollover: an issuing CA rolled over to a new key (issue 20.2). The new
# CA takes the old one's subject; the old one is retired: it issues
# nothing, and its CRL and OCSP answers go on for what it issued. A new
# root is cross-certified by the old one (sign-ca --cross), so that
# relying parties that trust only the old root verify the new root's
# paths. Checked with openssl verify and openssl ocsp.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

SUBJ="/C=CN/O=City of Example/CN=Issuing CA"
expect "root" ct init --name root --subject "/C=CN/O=City of Example/CN=Root CA" $PASS
expect "the issuing CA" ct init --name issuing --parent root --subject "$SUBJ" $PASS
ct export --ca root --out "$T/root.pem"
ct export --ca issuing --out "$T/old.pem"
genkey ec-p256 "$T/k"
mkcsr ec-p256 "$T/k" "$T/a.csr" "/C=CN/O=City of Example/CN=a.example.gov.cn" "DNS:a.example.gov.cn"
mkcsr ec-p256 "$T/k" "$T/b.csr" "/C=CN/O=City of Example/CN=b.example.gov.cn" "DNS:b.example.gov.cn"
expect "the old CA issues A" ct issue --ca issuing --profile tls-server --csr "$T/a.csr" --out "$T/a.pem" $PASS

# the rollover: a new key under the same name, the old CA retired
expect "the new issuing CA, same subject, new key" ct init --name issuing-2 --parent root --subject "$SUBJ" $PASS
ct export --ca issuing-2 --out "$T/new.pem"
[ "$(openssl x509 -in "$T/old.pem" -noout -subject)" = "$(openssl x509 -in "$T/new.pem" -noout -subject)" ] &&
	! cmp -s <(openssl x509 -in "$T/old.pem" -noout -pubkey) <(openssl x509 -in "$T/new.pem" -noout -pubkey) &&
	ok "same subject, another key" || not_ok "rollover subject/key"
expect "retire the old CA" ct retire --ca issuing
expect_fail "retire it twice" 4 "retired already" ct retire --ca issuing
expect_fail "retire an unknown CA" 3 "no CA named" ct retire --ca nosuch
expect_fail "the retired CA issues nothing" 4 "retired" \
	ct issue --ca issuing --profile tls-server --csr "$T/b.csr" --out "$T/x.pem" $PASS
[ ! -e "$T/x.pem" ] && ok "nothing written by the refused issuance" || not_ok "retired CA wrote"
expect "the new CA issues B" ct issue --ca issuing-2 --profile tls-server --csr "$T/b.csr" --out "$T/b.pem" $PASS
cat "$T/old.pem" "$T/new.pem" > "$T/both.pem"
for c in a b; do
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/both.pem" "$T/$c.pem" >"$T/v.txt" 2>&1 &&
		ok "openssl verify: $c, each under its own CA of the one name" || { not_ok "verify $c"; show 3 "$T/v.txt"; }
done

# the retired CA's revocations: its CRL and OCSP go on
expect "revoke A (retired CA)" ct revoke --ca issuing --serial "$(serial_of "$T/a.pem")" --reason superseded
mkdir "$T/pub"
expect "crl --publish of the retired CA" ct crl --ca issuing --publish "$T/pub" $PASS
expect "crl --publish of the new CA" ct crl --ca issuing-2 --publish "$T/pub" $PASS
out=$(openssl verify -crl_check -CAfile "$T/root.pem" -untrusted "$T/old.pem" \
	-CRLfile "$T/pub/crl/issuing.crl" "$T/a.pem" 2>&1) && rc=0 || rc=$?
[ "$rc" -ne 0 ] && grep -q "certificate revoked" <<<"$out" &&
	ok "openssl verify -crl_check: A revoked on the retired CA's CRL" || not_ok "A with its CRL: $out"
openssl verify -crl_check -CAfile "$T/root.pem" -untrusted "$T/new.pem" \
	-CRLfile "$T/pub/crl/issuing-2.crl" "$T/b.pem" >"$T/v.txt" 2>&1 &&
	ok "openssl verify -crl_check: B good on the new CA's CRL" || { not_ok "B with its CRL"; show 3 "$T/v.txt"; }
printf '[ocsp]\nsign_with = ca\n' > "$T/ocsp.cnf"
if start_responder --config "$T/ocsp.cnf" $PASS; then
	s=$(verified_status "$T/a.pem" "$T/old.pem" -url "$URL" -CAfile "$T/root.pem" -VAfile "$T/old.pem")
	[ "$s" = revoked ] && ok "openssl ocsp: A revoked, answered for the retired CA" ||
		{ not_ok "OCSP A: '$s'"; show 5 "$T/ocsp.out"; }
	s=$(verified_status "$T/b.pem" "$T/new.pem" -url "$URL" -CAfile "$T/root.pem" -VAfile "$T/new.pem")
	[ "$s" = good ] && ok "openssl ocsp: B good, answered for the new CA" ||
		{ not_ok "OCSP B: '$s'"; show 5 "$T/ocsp.out"; }
	stop_responder && ok "the responder stops cleanly" || not_ok "responder exit"
else
	not_ok "the responder starts"
fi

# a new root cross-certified by the old one
expect "a new root" ct init --name root-2 --subject "/C=CN/O=City of Example/CN=Root CA 2" $PASS
expect "an issuing CA under the new root" ct init --name issuing-3 --parent root-2 \
	--subject "/C=CN/O=City of Example/CN=Issuing CA 3" $PASS
ct export --ca root-2 --out "$T/root2.pem"
ct export --ca issuing-3 --out "$T/i3.pem"
mkcsr ec-p256 "$T/k" "$T/c.csr" "/C=CN/O=City of Example/CN=c.example.gov.cn" "DNS:c.example.gov.cn"
expect "issuing-3 issues C" ct issue --ca issuing-3 --profile tls-server --csr "$T/c.csr" --out "$T/c.pem" $PASS
expect "csr --ca root-2: the new root's own key and subject" ct csr --ca root-2 $PASS --out "$T/root2.csr"
store_dump > "$T/before.sql"
expect_fail "sign-ca of a CA's key without --cross" 4 "never certified again" \
	ct sign-ca --ca root --csr "$T/root2.csr" --profile root-ca $PASS --out "$T/x.pem"
expect_fail "--cross with an end-entity profile" 4 "not a CA profile" \
	ct sign-ca --ca root --csr "$T/root2.csr" --profile tls-server --cross $PASS --out "$T/x.pem"
expect_fail "--cross with another subject" 2 "own subject" \
	ct sign-ca --ca root --csr "$T/root2.csr" --profile root-ca --cross --subject "/CN=Other" $PASS --out "$T/x.pem"
openssl req -new -key "$GOVPKI_HOME/keys/issuing-3.key" -passin "file:$T/pass" -subj "/CN=Not Issuing 3" \
	-out "$T/wrongsubj.csr"
expect_fail "--cross: a CA's key under a name that is not that CA's" 4 "another subject" \
	ct sign-ca --ca root --csr "$T/wrongsubj.csr" --profile root-ca --cross $PASS --out "$T/x.pem"
expect_fail "--cross of a root's own key by itself" 4 "its own key" \
	ct sign-ca --ca root-2 --csr "$T/root2.csr" --profile root-ca --cross $PASS --out "$T/x.pem"
store_dump > "$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" && [ ! -e "$T/x.pem" ] && ok "the refused cross-certificates wrote nothing" ||
	not_ok "a refused sign-ca wrote"
expect "sign-ca --cross: the old root certifies the new root's key" \
	ct sign-ca --ca root --csr "$T/root2.csr" --profile root-ca --cross $PASS --out "$T/cross.pem"
openssl x509 -in "$T/cross.pem" -noout -subject -issuer > "$T/cross.txt"
grep -q "subject=.*Root CA 2" "$T/cross.txt" && grep -q "issuer=.*CN = Root CA$" "$T/cross.txt" &&
	cmp -s <(openssl x509 -in "$T/cross.pem" -noout -pubkey) <(openssl x509 -in "$T/root2.pem" -noout -pubkey) &&
	ok "the cross-certificate: the new root's subject and key, issued by the old root" ||
	{ not_ok "cross-certificate fields"; show 3 "$T/cross.txt"; }
cat "$T/i3.pem" "$T/cross.pem" > "$T/path.pem"
openssl verify -x509_strict -CAfile "$T/root.pem" -untrusted "$T/path.pem" "$T/c.pem" >"$T/v.txt" 2>&1 &&
	ok "openssl verify: C through the cross-certificate, trusting only the old root" ||
	{ not_ok "verify through cross"; show 3 "$T/v.txt"; }
out=$(openssl verify -CAfile "$T/root.pem" -untrusted "$T/i3.pem" "$T/c.pem" 2>&1) && rc=0 || rc=$?
[ "$rc" -ne 0 ] && ok "without the cross-certificate the old root does not reach C" || not_ok "no cross: $out"
openssl verify -x509_strict -CAfile "$T/root2.pem" -untrusted "$T/i3.pem" "$T/c.pem" >"$T/v.txt" 2>&1 &&
	ok "openssl verify: C under the new root directly" || { not_ok "verify new root"; show 3 "$T/v.txt"; }
expect "audit verify" ct audit verify

finish
