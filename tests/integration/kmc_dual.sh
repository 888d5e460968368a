#!/bin/bash
# kmc_dual: dual issuance through ca-tool kmc issue-dual for SM2, P-256 and
# RSA: the signing and encryption certificates verify with openssl verify,
# carry their key usages (openssl x509 -text, certtool -i), are linked in the
# store and revoked together; the delivered envelope opens with the holder's
# signing key in our code, in openssl cms (CMS) and in sm-crypto (SM2, parsed
# by pyasn1), and the key inside is the encryption certificate's.  A wrong
# recipient, a bad CSR and keys that cannot be enveloped are clear errors
# with nothing written.
. "$(dirname "$0")/lib.sh"
sm_crypto_setup "SM2 envelopes not opened independently"

# pub_hex CERT: the 65-byte public key of an SM2 certificate in hex
pub_hex() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n'; }
# priv_hex KEY [PASSFILE]: the 32-byte private scalar of an SM2 key in hex
priv_hex() {
	local in=(-in "$1"); [ $# -gt 1 ] && in+=(-passin "file:$2")
	openssl pkey "${in[@]}" -noout -text | awk '/^priv:/ { p = 1; next } /^pub:/ { p = 0 } p' | tr -d ' :\n' |
		python3 -c 'import sys; print("%064x" % int(sys.stdin.read(), 16))'
}
# same_pub KEY PASSFILE CERT: the key's public key is the certificate's
same_pub() { [ "$(openssl pkey -in "$1" -passin "file:$2" -pubout)" = "$(openssl x509 -in "$3" -noout -pubkey)" ]; }

expect "a root CA (SM2)" ct init --name sm2ca --subject "/CN=KMC SM2 Root" --key-type sm2 $PASS
expect "a root CA (P-256)" ct init --name ecca --subject "/CN=KMC EC Root" --key-type ec-p256 $PASS
expect "kmc init" ct kmc init $PASS
ct export --ca sm2ca --out "$T/sm2ca.pem"; ct export --ca ecca --out "$T/ecca.pem"

for t in sm2 ec-p256 rsa2048; do
	d="$T/$t"; mkdir "$d"
	ca=ecca; [ $t = sm2 ] && ca=sm2ca
	genkey $t "$d/hold.key"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$d/hold.key" -passout "file:$T/pass" -out "$d/hold.enc.key"
	mkcsr $t "$d/hold.key" "$d/hold.csr" "/CN=Holder $t/emailAddress=$t@example.gov.cn" "email:$t@example.gov.cn"
	expect "$t: issue-dual" ct --json kmc issue-dual --ca $ca --csr "$d/hold.csr" $PASS \
		--sign-out "$d/sign.pem" --enc-out "$d/enc.pem" --envelope-out "$d/env.der"
	cp "$T/stdout" "$d/out.json"
	# both verify against the CA (SM2: with the default ID, GM/T 0009)
	vo=(); [ $t = sm2 ] && vo=(-vfyopt "distid:$SM2_ID")
	expect "$t: openssl verify: signing certificate" openssl verify "${vo[@]}" -CAfile "$T/$ca.pem" "$d/sign.pem"
	expect "$t: openssl verify: encryption certificate" openssl verify "${vo[@]}" -CAfile "$T/$ca.pem" "$d/enc.pem"
	if [ $t = sm2 ] && [ "$have_sm_crypto" = 1 ]; then
		openssl x509 -in "$d/enc.pem" -outform DER -out "$d/enc.der"
		expect "$t: sm-crypto: the encryption certificate is signed by the CA" sm2_check_signed "$T/$ca.pem" "$d/enc.der"
	fi
	# key usages
	x509_text "$d/sign.pem" && grep -A1 "X509v3 Key Usage: critical" "$T/x509.txt" > "$d/sign.ku"
	grep -qx " *Digital Signature, Non Repudiation" "$d/sign.ku" && ok "$t: signing: digitalSignature, nonRepudiation only" ||
		{ not_ok "$t: signing: digitalSignature, nonRepudiation only"; show 3 "$d/sign.ku"; }
	x509_text "$d/enc.pem" && grep -A1 "X509v3 Key Usage: critical" "$T/x509.txt" > "$d/enc.ku"
	case $t in
	sm2) want="Key Encipherment, Data Encipherment, Key Agreement" ;;
	ec-p256) want="Key Agreement" ;;    # RFC 8813 §3: no (data|key)Encipherment for EC
	rsa2048) want="Key Encipherment, Data Encipherment" ;;
	esac
	grep -qx " *$want" "$d/enc.ku" && ok "$t: encryption: $want" || { not_ok "$t: encryption: $want"; show 3 "$d/enc.ku"; }
	grep -q "email:$t@example.gov.cn" "$T/x509.txt" && grep -q "Subject: CN = Holder $t" "$T/x509.txt" &&
		ok "$t: the encryption certificate has the holder's subject and email" || not_ok "$t: encryption certificate subject"
	if [ $t != sm2 ]; then     # gnutls has no SM2
		certtool -i --infile "$d/enc.pem" > "$d/enc.certtool" && certtool -i --infile "$d/sign.pem" > "$d/sign.certtool" &&
			ok "$t: certtool reads both" || not_ok "$t: certtool reads both"
		grep -A3 "Key Usage (critical):" "$d/sign.certtool" > "$d/sign.cku"
		grep -A3 "Key Usage (critical):" "$d/enc.certtool" > "$d/enc.cku"
		grep -q "Digital signature" "$d/sign.cku" && ! grep -Eq "Key encipherment|Key agreement" "$d/sign.cku" &&
			ok "$t: certtool: signing key usage" || not_ok "$t: certtool: signing key usage"
		! grep -q "Digital signature" "$d/enc.cku" && grep -Eq "Key encipherment|Key agreement" "$d/enc.cku" &&
			ok "$t: certtool: encryption key usage" || not_ok "$t: certtool: encryption key usage"
	fi
	[ "$(openssl x509 -in "$d/sign.pem" -noout -pubkey)" = "$(openssl pkey -in "$d/hold.key" -pubout)" ] &&
		ok "$t: the signing certificate is for the holder's key" || not_ok "$t: the signing certificate is for the holder's key"
	[ "$(openssl x509 -in "$d/enc.pem" -noout -pubkey)" != "$(openssl pkey -in "$d/hold.key" -pubout)" ] &&
		ok "$t: the encryption certificate is for another key" || not_ok "$t: the encryption certificate is for another key"
	# linked in the store
	ss=$(openssl x509 -in "$d/sign.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
	es=$(openssl x509 -in "$d/enc.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
	echo "$ss" > "$d/sign.serial"; echo "$es" > "$d/enc.serial"
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["kid"])' "$d/out.json" > "$d/kid"
	expect "$t: kmc list" ct --json kmc list
	python3 - "$T/stdout" "$(cat "$d/kid")" "$ss" "$es" "$t" <<'PY' && ok "$t: the escrow record links both certificates" || not_ok "$t: the escrow record links both certificates"
import json, sys
rows = {r["kid"]: r for r in json.load(open(sys.argv[1]))}
r = rows[sys.argv[2]]
assert r["signing_serial"] == sys.argv[3] and r["encryption_serial"] == sys.argv[4], r
assert r["type"] == sys.argv[5] and "CN=Holder " + sys.argv[5] in r["holder"], r
PY
	# the envelope opens in our code with the holder's signing key ...
	expect "$t: kmc open with the holder's signing key" ct kmc open --in "$d/env.der" --key "$d/hold.enc.key" \
		--key-pass-file "$T/pass" --cert "$d/sign.pem" --out "$d/opened.key" --out-pass-file "$T/pass"
	same_pub "$d/opened.key" "$T/pass" "$d/enc.pem" && ok "$t: ... the key inside is the encryption certificate's" ||
		not_ok "$t: ... the key inside is the encryption certificate's"
	if [ $t = sm2 ]; then
		grep -q "SM2EnvelopedKey" "$T/stderr" && ok "sm2: an SM2EnvelopedKey" || not_ok "sm2: an SM2EnvelopedKey"
		# ... and in pyasn1 + sm-crypto
		if python3 "$top_srcdir/tests/integration/kmc_env.py" "$d/env.der" > "$d/env.txt"; then
			ok "sm2: pyasn1 reads the SM2EnvelopedKey"
			[ "$(sed -n 1p "$d/env.txt")" = 1.2.156.10197.1.104.1 ] && ok "sm2: symAlgID sm4-ecb" || not_ok "sm2: symAlgID sm4-ecb"
			[ "$(sed -n 3p "$d/env.txt")" = "$(pub_hex "$d/enc.pem")" ] && ok "sm2: sm2PublicKey is the encryption certificate's" ||
				not_ok "sm2: sm2PublicKey is the encryption certificate's"
		else not_ok "sm2: pyasn1 reads the SM2EnvelopedKey"; fi
		if [ "$have_sm_crypto" = 1 ]; then
			expect "sm2: sm-crypto opens the envelope with the holder's signing key" node "$top_srcdir/tests/integration/kmc_sm2_open.js" \
				"$NPM_DIR" "$(priv_hex "$d/hold.key")" "$(sed -n 2p "$d/env.txt")" "$(sed -n 3p "$d/env.txt")" "$(sed -n 4p "$d/env.txt")"
			[ "$(cat "$T/stdout")" = "$(priv_hex "$d/opened.key" "$T/pass")" ] && ok "sm2: sm-crypto's key is ours" ||
				not_ok "sm2: sm-crypto's key is ours"
			genkey sm2 "$T/other-sm2.key"
			expect_fail "sm2: sm-crypto: another key does not open it" 1 "SM2 decryption of the SM4 key failed" node "$top_srcdir/tests/integration/kmc_sm2_open.js" \
				"$NPM_DIR" "$(priv_hex "$T/other-sm2.key")" "$(sed -n 2p "$d/env.txt")" "$(sed -n 3p "$d/env.txt")" "$(sed -n 4p "$d/env.txt")"
		fi
	else
		grep -q "CMS EnvelopedData" "$T/stderr" && ok "$t: a CMS EnvelopedData" || not_ok "$t: a CMS EnvelopedData"
		expect "$t: openssl cms -decrypt with the holder's signing key" openssl cms -decrypt -inform DER -in "$d/env.der" \
			-inkey "$d/hold.key" -recip "$d/sign.pem" -binary -out "$d/cms.p8"
		[ "$(openssl pkey -inform DER -in "$d/cms.p8" -pubout)" = "$(openssl x509 -in "$d/enc.pem" -noout -pubkey)" ] &&
			ok "$t: ... a PKCS#8 key, the encryption certificate's" || not_ok "$t: ... a PKCS#8 key, the encryption certificate's"
		genkey $t "$T/other-$t.key"
		expect_fail "$t: openssl cms -decrypt with another key fails" nz "" openssl cms -decrypt -inform DER -in "$d/env.der" \
			-inkey "$T/other-$t.key" -binary -out "$T/nothing"
	fi
	# a wrong recipient is a clear error, nothing written
	genkey $t "$T/wrong.key"; openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/wrong.key" -passout "file:$T/pass" -out "$T/wrong.enc.key"
	rm -f "$T/wrong.out"
	expect_fail "$t: kmc open with another key" 7 "this envelope is not for this key" ct kmc open --in "$d/env.der" \
		--key "$T/wrong.enc.key" --key-pass-file "$T/pass" --out "$T/wrong.out" --out-pass-file "$T/pass"
	[ ! -e "$T/wrong.out" ] && ok "$t: ... no key written" || not_ok "$t: ... no key written"
done

# revoking one revokes the pair; the escrowed key stays
expect "revoke-pair by the signing serial" ct kmc revoke-pair --ca sm2ca --serial "$(cat "$T/sm2/sign.serial")" --reason keyCompromise
for w in sign enc; do
	expect "sm2: show the $w certificate" ct --json show --ca sm2ca --serial "$(cat "$T/sm2/$w.serial")"
	grep -q '"status": *"revoked"' "$T/stdout" && ok "sm2: the $w certificate is revoked" || { not_ok "sm2: the $w certificate is revoked"; show 20 "$T/stdout"; }
done
expect "revoke-pair by the encryption serial" ct kmc revoke-pair --ca ecca --serial "$(cat "$T/ec-p256/enc.serial")"
expect "ec-p256: show the signing certificate" ct --json show --ca ecca --serial "$(cat "$T/ec-p256/sign.serial")"
grep -q '"status": *"revoked"' "$T/stdout" && ok "ec-p256: the signing certificate is revoked too" || not_ok "ec-p256: the signing certificate is revoked too"
expect "rsa2048: still good" ct --json show --ca ecca --serial "$(cat "$T/rsa2048/sign.serial")"
grep -q '"status": *"good"' "$T/stdout" && ok "rsa2048: the other pair is untouched" || not_ok "rsa2048: the other pair is untouched"
expect "kmc check: every escrowed key still unseals" ct kmc check $PASS
grep -q "^3 escrowed keys" "$T/stdout" && ok "... all three" || not_ok "... all three"

# bad input: a clear error, nothing issued, escrowed or written
before=$(store_dump)
nothing() {
	if [ "$(store_dump)" = "$before" ] && [ ! -e "$T/o.s" ] && [ ! -e "$T/o.e" ] && [ ! -e "$T/o.v" ]; then ok "$1: nothing written"
	else not_ok "$1: nothing written"; rm -f "$T/o.s" "$T/o.e" "$T/o.v"; fi
}
OUTS=(--sign-out "$T/o.s" --enc-out "$T/o.e" --envelope-out "$T/o.v")
d="$T/fresh"; mkdir "$d"; genkey sm2 "$d/hold.key"; openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$d/hold.key" -passout "file:$T/pass" -out "$d/hold.enc.key"
mkcsr sm2 "$d/hold.key" "$d/hold.csr" "/CN=Fresh Holder"
expect_fail "issue-dual with a wrong KMC passphrase" 5 "wrong passphrase" ct kmc issue-dual --ca sm2ca --csr "$d/hold.csr" --pass-file "$T/wrong.key" "${OUTS[@]}"; nothing "wrong passphrase"
expect_fail "issue-dual for an unknown CA" 3 "nosuch" ct kmc issue-dual --ca nosuch --csr "$d/hold.csr" $PASS "${OUTS[@]}"; nothing "unknown CA"
printf 'not a CSR\n' > "$T/garbage.csr"
expect_fail "issue-dual with a garbage CSR" 4 "" ct kmc issue-dual --ca sm2ca --csr "$T/garbage.csr" $PASS "${OUTS[@]}"; nothing "garbage CSR"
genkey ed25519 "$T/ed.key"; mkcsr ed25519 "$T/ed.key" "$T/ed.csr" "/CN=Ed Holder"
expect_fail "issue-dual for an Ed25519 signing key" 4 "can receive no envelope" ct kmc issue-dual --ca ecca --csr "$T/ed.csr" $PASS "${OUTS[@]}"; nothing "Ed25519"
expect_fail "issue-dual: an RSA encryption key for an SM2 holder" 4 "SM2 recipient takes SM2 keys only" ct kmc issue-dual --ca sm2ca --csr "$d/hold.csr" --enc-type rsa2048 $PASS "${OUTS[@]}"; nothing "RSA to SM2"
expect_fail "issue-dual: an unknown encryption key type" 4 "unknown encryption key type 'dsa'" ct kmc issue-dual --ca sm2ca --csr "$d/hold.csr" --enc-type dsa $PASS "${OUTS[@]}"; nothing "unknown type"
expect_fail "issue-dual: an unknown profile" 3 "" ct kmc issue-dual --ca sm2ca --csr "$d/hold.csr" --enc-profile nosuch $PASS "${OUTS[@]}"; nothing "unknown profile"
expect_fail "issue-dual without --envelope-out" 2 "needs --ca, --csr" ct kmc issue-dual --ca sm2ca --csr "$d/hold.csr" $PASS --sign-out "$T/o.s" --enc-out "$T/o.e"; nothing "missing option"
expect_fail "revoke-pair of a certificate of no pair" 3 "not one of a KMC pair" ct kmc revoke-pair --ca sm2ca --serial 01; nothing "no pair"
expect_fail "kmc open of a file that is no envelope" 4 "neither an SM2EnvelopedKey" ct kmc open --in "$T/garbage.csr" --key "$d/hold.enc.key" --key-pass-file "$T/pass" --out "$T/o.v" --out-pass-file "$T/pass"; nothing "not an envelope"
expect "audit verify" ct audit verify
finish
