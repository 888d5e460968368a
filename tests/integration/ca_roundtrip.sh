#!/bin/bash
# ca_roundtrip: for every CA key type, root -> issuing CA -> TLS server and
# person certificates -> revoke -> full and delta CRLs, each result checked
# by independent verifiers: openssl verify / crl and gnutls certtool.
. "$(dirname "$0")/lib.sh"

# full CRLs point at the deltas (RFC 5280 §5.2.6), or relying parties never look for them
printf '[crl]\ndelta_url = http://crl.example.gov.cn/%%s-delta.crl\n' > "$T/govpki.cnf"
ct() { "$CA_TOOL" --config "$T/govpki.cnf" "$@"; }

serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
sm_crypto_setup "SM2 signatures not checked independently"

for type in ec-p256 ec-p384 rsa2048 rsa3072 rsa4096 ed25519 sm2; do
	export GOVPKI_HOME="$T/$type"
	d="$T/$type.d"; mkdir -p "$d"
	expect "$type: root CA" ct init --name root --key-type "$type" --subject "/C=CN/O=City of Example/CN=Root CA $type" $PASS
	expect "$type: issuing CA under root" ct init --name issuing --parent root --key-type "$type" --subject "/C=CN/O=City of Example/CN=Issuing CA $type" $PASS
	ct export --ca root --out "$d/root.pem"
	ct export --ca issuing --out "$d/issuing.pem"
	ct export --ca issuing --chain --out "$d/chain.pem"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$d/chain.pem")" -eq 2 ] && ok "$type: chain has 2 certificates" || not_ok "$type: chain has 2 certificates"

	# applicants use the same key type as the CA (sm2 CAs issue to sm2 holders)
	genkey "$type" "$d/srv.key"; mkcsr "$type" "$d/srv.key" "$d/srv.csr" "/C=CN/O=City of Example/CN=www.example.gov.cn" "DNS:www.example.gov.cn,IP:10.1.2.3"
	genkey "$type" "$d/per.key"; mkcsr "$type" "$d/per.key" "$d/per.csr" "/C=CN/O=City of Example/CN=Zhang San" "email:zhang.san@example.gov.cn"
	genkey "$type" "$d/hold.key"; mkcsr "$type" "$d/hold.key" "$d/hold.csr" "/C=CN/O=City of Example/CN=Li Si"
	genkey "$type" "$d/late.key"; mkcsr "$type" "$d/late.key" "$d/late.csr" "/C=CN/O=City of Example/CN=Wang Wu"
	expect "$type: issue tls-server" ct issue --ca issuing --profile tls-server --csr "$d/srv.csr" --out "$d/srv.pem" $PASS
	expect "$type: issue person" ct issue --ca issuing --profile person --csr "$d/per.csr" --out "$d/per.pem" $PASS
	expect "$type: issue person (hold)" ct issue --ca issuing --profile person --csr "$d/hold.csr" --out "$d/hold.pem" $PASS
	expect "$type: issue person (late)" ct issue --ca issuing --profile person --csr "$d/late.csr" --out "$d/late.pem" $PASS

	openssl x509 -in "$d/srv.pem" -noout -text > "$d/srv.txt"
	grep -q "TLS Web Server Authentication" "$d/srv.txt" && grep -q "DNS:www.example.gov.cn" "$d/srv.txt" &&
		grep -q "IP Address:10.1.2.3" "$d/srv.txt" && grep -q "CA:FALSE" "$d/srv.txt" &&
		ok "$type: tls-server extensions" || not_ok "$type: tls-server extensions"
	sn_srv=$(serial_of "$d/srv.pem"); sn_per=$(serial_of "$d/per.pem")
	sn_hold=$(serial_of "$d/hold.pem"); sn_late=$(serial_of "$d/late.pem")
	[ ${#sn_srv} -eq 32 ] && ok "$type: 128-bit serial" || not_ok "$type: 128-bit serial ($sn_srv)"

	expect "$type: revoke person (keyCompromise)" ct revoke --ca issuing --serial "$sn_per" --reason keyCompromise
	expect "$type: revoking again is harmless" ct revoke --ca issuing --serial "$sn_per" --reason keyCompromise
	expect "$type: hold" ct revoke --ca issuing --serial "$sn_hold" --reason certificateHold
	expect "$type: full CRL" ct crl --ca issuing --out "$d/full.der" $PASS
	openssl crl -inform DER -in "$d/full.der" -out "$d/full.pem"
	openssl crl -in "$d/full.pem" -noout -text > "$d/full.txt"
	grep -qi "$sn_per" "$d/full.txt" && grep -qi "Key Compromise" "$d/full.txt" &&
		grep -qi "$sn_hold" "$d/full.txt" && grep -q "Certificate Hold" "$d/full.txt" &&
		grep -q "X509v3 CRL Number" "$d/full.txt" && grep -q "issuing-delta.crl" "$d/full.txt" && ! grep -qi "$sn_srv" "$d/full.txt" &&
		ok "$type: full CRL lists the revoked and held, not the good" || not_ok "$type: full CRL contents"

	if [ "$type" != sm2 ]; then
		expect "$type: openssl verify CRL signature" openssl crl -in "$d/full.pem" -CAfile "$d/issuing.pem" -noout
		expect "$type: openssl verify -crl_check: good" openssl verify -crl_check -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" -CRLfile "$d/full.pem" "$d/srv.pem"
		expect_fail "$type: openssl verify -crl_check: revoked" nz "" \
			sh -c "openssl verify -crl_check -CAfile '$d/root.pem' -untrusted '$d/issuing.pem' -CRLfile '$d/full.pem' '$d/per.pem' >&2"
		grep -q "certificate revoked" "$T/stderr" && ok "$type: openssl says revoked" || not_ok "$type: openssl says revoked"
		# gnutls has no SM2; it supports the other six
		cat "$d/srv.pem" "$d/issuing.pem" > "$d/srv-chain.pem"
		expect "$type: certtool --verify chain" certtool --verify --load-ca-certificate "$d/root.pem" --infile "$d/srv-chain.pem"
		cat "$d/per.pem" "$d/issuing.pem" > "$d/per-chain.pem"
		expect_fail "$type: certtool --verify with CRL: revoked" nz "" \
			sh -c "certtool --verify --load-ca-certificate '$d/root.pem' --load-crl '$d/full.pem' --infile '$d/per-chain.pem' >&2"
		grep -q "revoked" "$T/stderr" && ok "$type: certtool says revoked" || not_ok "$type: certtool says revoked"
	else
		# OpenSSL 3.0's command line sets the SM2 ID on the leaf only (openssl
		# issue 23471): the whole chain is checked by our own verification.
		expect "sm2: openssl verifies the leaf with distid" openssl verify -vfyopt "distid:$SM2_ID" -partial_chain -CAfile "$d/issuing.pem" "$d/srv.pem"
	fi
	# our own chain check, with the revocation of every level (the root's CRL too)
	expect "$type: root CRL" ct crl --ca root --pem --out "$d/root.crl" $PASS
	expect "$type: ca-tool verify: good" ct verify --trust "$d/root.pem" --untrusted "$d/issuing.pem" --crl "$d/full.pem" --crl "$d/root.crl" "$d/srv.pem"
	expect_fail "$type: ca-tool verify: revoked" 7 "revoked" ct verify --trust "$d/root.pem" --untrusted "$d/issuing.pem" --crl "$d/full.pem" --crl "$d/root.crl" "$d/per.pem"
	expect_fail "$type: ca-tool verify: held" 7 "revoked" ct verify --trust "$d/root.pem" --untrusted "$d/issuing.pem" --crl "$d/full.pem" --crl "$d/root.crl" "$d/hold.pem"
	expect_fail "$type: ca-tool verify: missing CRL of a level" 7 "CRL" ct verify --trust "$d/root.pem" --untrusted "$d/issuing.pem" --crl "$d/full.pem" "$d/srv.pem"
	expect_fail "$type: ca-tool verify: wrong trust anchor" 7 "" ct verify --trust "$d/issuing.pem" "$d/srv.pem"

	# delta: one more revocation and the release of the hold
	expect "$type: revoke late (superseded)" ct revoke --ca issuing --serial "$sn_late" --reason superseded
	expect "$type: release hold" ct revoke --ca issuing --serial "$sn_hold" --reason removeFromCRL
	expect "$type: delta CRL" ct crl --ca issuing --delta --pem --out "$d/delta.pem" $PASS
	openssl crl -in "$d/delta.pem" -noout -text > "$d/delta.txt"
	grep -q "Delta CRL Indicator" "$d/delta.txt" && grep -qi "$sn_late" "$d/delta.txt" &&
		grep -q "Remove From CRL" "$d/delta.txt" && ! grep -qi "$sn_per" "$d/delta.txt" &&
		ok "$type: delta lists the new revocation and the release only" || not_ok "$type: delta CRL contents"
	n1=$(openssl crl -in "$d/full.pem" -noout -crlnumber | cut -d= -f2); n1=${n1#0x}
	n2=$(openssl crl -in "$d/delta.pem" -noout -crlnumber | cut -d= -f2); n2=${n2#0x}
	[ $((16#$n2)) -gt $((16#$n1)) ] && ok "$type: CRL numbers increase" || not_ok "$type: CRL numbers increase ($n1, $n2)"
	if [ "$type" != sm2 ]; then
		expect "$type: openssl verify -use_deltas: released is good" openssl verify -crl_check -use_deltas -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" -CRLfile "$d/full.pem" -CRLfile "$d/delta.pem" "$d/hold.pem"
		expect_fail "$type: openssl verify -use_deltas: late is revoked" nz "" \
			sh -c "openssl verify -crl_check -use_deltas -CAfile '$d/root.pem' -untrusted '$d/issuing.pem' -CRLfile '$d/full.pem' -CRLfile '$d/delta.pem' '$d/late.pem' >&2"
	fi
	# full + delta together (RFC 5280 §5.2.4): the delta's revocation and
	# release count, and so do the full CRL's revocations the delta leaves out
	if [ "$type" != sm2 ]; then
		odelta() { openssl verify -crl_check -extended_crl -use_deltas -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" -CRLfile "$d/full.pem" -CRLfile "$d/delta.pem" "$@"; }
		expect "$type: openssl verify full+delta: released is good" odelta "$d/hold.pem"
		expect_fail "$type: openssl verify full+delta: late is revoked" nz "certificate revoked" odelta "$d/late.pem"
		expect_fail "$type: openssl verify full+delta: revoked in the full CRL only stays revoked" nz "certificate revoked" odelta "$d/per.pem"
	fi
	cdelta() { ct verify --trust "$d/root.pem" --untrusted "$d/issuing.pem" --crl "$d/full.pem" --crl "$d/delta.pem" --crl "$d/root.crl" "$@"; }
	expect "$type: ca-tool verify full+delta: released is good" cdelta "$d/hold.pem"
	expect "$type: ca-tool verify full+delta: good is good" cdelta "$d/srv.pem"
	expect_fail "$type: ca-tool verify full+delta: late is revoked" 7 "revoked" cdelta "$d/late.pem"
	expect_fail "$type: ca-tool verify full+delta: revoked in the full CRL only stays revoked" 7 "revoked" cdelta "$d/per.pem"
	if [ "$type" = sm2 ] && [ "$have_sm_crypto" = 1 ]; then
		# OpenSSL 3.0 cannot check SM2 CRLs with the ID: sm-crypto checks every signature
		openssl x509 -in "$d/srv.pem" -outform DER -out "$d/srv.der"
		openssl x509 -in "$d/issuing.pem" -outform DER -out "$d/issuing.der"
		openssl x509 -in "$d/root.pem" -outform DER -out "$d/root.der"
		openssl crl -in "$d/delta.pem" -outform DER -out "$d/delta.der"
		expect "sm2: sm-crypto: root certificate signed by root" sm2_check_signed "$d/root.pem" "$d/root.der"
		expect "sm2: sm-crypto: issuing CA certificate signed by root" sm2_check_signed "$d/root.pem" "$d/issuing.der"
		expect "sm2: sm-crypto: server certificate signed by the issuing CA" sm2_check_signed "$d/issuing.pem" "$d/srv.der"
		expect "sm2: sm-crypto: full CRL signed by the issuing CA" sm2_check_signed "$d/issuing.pem" "$d/full.der"
		expect "sm2: sm-crypto: delta CRL signed by the issuing CA" sm2_check_signed "$d/issuing.pem" "$d/delta.der"
		expect_fail "sm2: sm-crypto: the delta CRL is not signed by root" nz "" sm2_check_signed "$d/root.pem" "$d/delta.der"
	fi
	expect "$type: full CRL again" ct crl --ca issuing --pem --out "$d/full2.pem" $PASS
	openssl crl -in "$d/full2.pem" -noout -text > "$d/full2.txt"
	grep -qi "$sn_late" "$d/full2.txt" && ! grep -qi "$sn_hold" "$d/full2.txt" &&
		ok "$type: released certificate left the full CRL" || not_ok "$type: second full CRL"
	# the key of late, revoked as superseded, is found compromised: the
	# reason becomes keyCompromise, the revocation date stays
	expect "$type: late's key found compromised" ct revoke --ca issuing --serial "$sn_late" --reason keyCompromise
	expect "$type: full CRL after the new reason" ct crl --ca issuing --pem --out "$d/full3.pem" $PASS
	openssl crl -in "$d/full3.pem" -noout -text > "$d/full3.txt"
	# late's revocation date in each CRL (the line after its serial), and its
	# reason; a date found in neither CRL must not compare equal to itself
	revdate() { grep -i -A1 "$1" "$2" > "$T/entry" && sed -n 's/^ *Revocation Date: //p' "$T/entry"; }
	date2=$(revdate "$sn_late" "$d/full2.txt") || date2=
	date3=$(revdate "$sn_late" "$d/full3.txt") || date3=
	grep -i -A4 "$sn_late" "$d/full3.txt" > "$T/entry" && grep -q "Key Compromise" "$T/entry" &&
		[ -n "$date2" ] && [ "$date2" = "$date3" ] &&
		ok "$type: the CRL says keyCompromise with the first revocation date" ||
		not_ok "$type: reason after keyCompromise (dates '$date2', '$date3')"
	expect "$type: audit chain verifies" ct audit verify
done

# list and show, as JSON
export GOVPKI_HOME="$T/ec-p256"
ct --json list --ca issuing > "$T/list.json"
python3 -c "import json,sys; l=json.load(open('$T/list.json')); assert len(l)==4, l; assert sorted(c['status'] for c in l)==['good','good','revoked','revoked'], l" &&
	ok "list --json" || not_ok "list --json"
sn=$(openssl x509 -in "$T/ec-p256.d/per.pem" -noout -serial | cut -d= -f2)
ct --json show --ca issuing --serial "$sn" > "$T/show.json"
python3 -c "import json; c=json.load(open('$T/show.json')); assert c['status']=='revoked' and c['reason']=='keyCompromise' and c['pem'].startswith('-----BEGIN CERTIFICATE')" &&
	ok "show --json" || not_ok "show --json"

# writing to a device writes to it, never renames a file over it
expect "export to /dev/null" ct export --ca issuing --out /dev/null
[ -c /dev/null ] && ok "/dev/null is still a device" || { not_ok "/dev/null was replaced"; rm -f /dev/null; mknod -m 666 /dev/null c 1 3; }

finish
