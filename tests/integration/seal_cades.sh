#!/bin/bash
# seal_cades: detached CAdES-B-B signatures over a file for RSA, ECDSA,
# Ed25519 and SM2, checked by independent tools: `openssl cms -verify` (RSA,
# ECDSA); for Ed25519 (which OpenSSL 3.0's CMS cannot verify: "invalid
# digest") and SM2 (GM/T 0010) the signed attributes are taken apart by a
# small DER walker and the signature checked by `openssl pkeyutl` or
# sm-crypto; then our own verification and its failures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

EXTRACT="python3 $top_srcdir/tests/integration/cades_extract.py"
sm_crypto_setup "SM2 CAdES not checked independently"
head -c 300000 /dev/urandom > "$T/data.bin"
printf 'changed' > "$T/other.bin"

for type in rsa2048 ec-p256 ed25519 sm2; do
	d="$T/$type"; mkdir -p "$d"
	export GOVPKI_HOME="$d/home"
	mkca "$type" "$d" root
	mkcert "$type" "$d" root person "$d/signer" "signer-$type"
	expect "$type: cades-sign (B-B)" st cades-sign --cert "$d/signer.pem" --key "$d/signer.key" $PASS --out "$d/s.p7s" "$T/data.bin"
	expect "$type: DER walker takes it apart" $EXTRACT "$d/s.p7s" "$d"
	cp "$T/stdout" "$d/parts"
	grep -q "signingCertificateV2 present" "$d/parts" && grep -q "^signingTime " "$d/parts" && grep -q "^messageDigest " "$d/parts" &&
		ok "$type: B-B attributes: content-type, message-digest, signing-time, signing-certificate-v2" || not_ok "$type: B-B attributes"
	case $type in
	sm2)
		grep -q "^contentType 1.2.156.10197.6.1.4.2.2" "$d/parts" && grep -q "^contentTypeAttr 1.2.156.10197.6.1.4.2.1" "$d/parts" &&
			grep -q "^signatureAlgorithm 1.2.156.10197.1.301.1" "$d/parts" && ok "sm2: GM/T 0010 OIDs" || not_ok "sm2: GM/T 0010 OIDs"
		want=$(openssl dgst -sm3 -r "$T/data.bin" | cut -d' ' -f1)
		grep -q "^messageDigest $want" "$d/parts" && ok "sm2: message-digest is SM3 of the data" || not_ok "sm2: message-digest is SM3 of the data"
		if [ $have_sm_crypto = 1 ]; then
			pub=$(openssl pkey -in "$d/signer.plain" -pubout -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n')
			expect "sm2: sm-crypto verifies the signature over the attributes" node "$top_srcdir/tests/integration/sm2_check.js" "$NPM_DIR" "$pub" "$d/signed_attrs.der" "$d/cms.sigval"
		fi ;;
	ed25519)
		want=$(openssl dgst -sha512 -r "$T/data.bin" | cut -d' ' -f1)
		grep -q "^messageDigest $want" "$d/parts" && ok "ed25519: message-digest is SHA-512 (RFC 8419)" || not_ok "ed25519: message-digest is SHA-512"
		openssl pkey -in "$d/signer.plain" -pubout -out "$d/signer.pub"
		expect "ed25519: openssl pkeyutl verifies the signature over the attributes" openssl pkeyutl -verify -pubin -inkey "$d/signer.pub" -rawin -in "$d/signed_attrs.der" -sigfile "$d/cms.sigval"
		# OpenSSL 3.0's cms cannot sign or verify Ed25519 (RFC 8419); GnuTLS can:
		# the whole SignedData, the message digest and the chain to the root
		expect "ed25519: gnutls certtool --p7-verify" certtool --p7-verify --load-ca-certificate "$d/root.pem" \
			--load-data "$T/data.bin" --infile "$d/s.p7s" --inder
		expect_fail "ed25519: certtool refuses other data" nz "" certtool --p7-verify --load-ca-certificate "$d/root.pem" \
			--load-data "$T/other.bin" --infile "$d/s.p7s" --inder ;;
	*)
		expect "$type: openssl cms -verify" openssl cms -verify -binary -inform DER -in "$d/s.p7s" -content "$T/data.bin" -CAfile "$d/root.pem" -purpose any -out /dev/null
		expect_fail "$type: openssl cms -verify refuses other data" nz "" sh -c "openssl cms -verify -binary -inform DER -in '$d/s.p7s' -content '$T/other.bin' -CAfile '$d/root.pem' -purpose any -out /dev/null >&2"
		openssl cms -cmsout -print -inform DER -in "$d/s.p7s" > "$d/print.txt"
		grep -q "id-smime-aa-signingCertificateV2" "$d/print.txt" && grep -q "signingTime" "$d/print.txt" &&
			ok "$type: openssl sees signing-certificate-v2 and signing-time" || not_ok "$type: openssl sees the B-B attributes" ;;
	esac
	expect "$type: cades-verify" st cades-verify --trust "$d/root.pem" --data "$T/data.bin" "$d/s.p7s"
	expect_fail "$type: cades-verify: other data" 7 "signature: the data's digest differs from message-digest" st cades-verify --trust "$d/root.pem" --data "$T/other.bin" "$d/s.p7s"
	mkdir -p "$d/o"; GOVPKI_HOME="$d/o/home" mkca "$type" "$d/o" other
	expect_fail "$type: cades-verify: wrong trust anchor" 7 "signer: " st cades-verify --trust "$d/o/other.pem" --data "$T/data.bin" "$d/s.p7s"
	expect "$type: revoke the signer" ct revoke --ca root --serial "$(openssl x509 -in "$d/signer.pem" -noout -serial | cut -d= -f2)"
	expect "$type: CRL" ct crl --ca root --pem --out "$d/root.crl" $PASS
	expect_fail "$type: cades-verify: revoked signer" 7 "signer: .*revoked" st cades-verify --trust "$d/root.pem" --crl "$d/root.crl" --data "$T/data.bin" "$d/s.p7s"
	# a broken signature value
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-5]^=1; open(sys.argv[2],"wb").write(b)' "$d/s.p7s" "$d/bad.p7s"
	expect_fail "$type: cades-verify: changed signature" nz "signature|not a CMS" st cades-verify --trust "$d/root.pem" --data "$T/data.bin" "$d/bad.p7s"
done
expect_fail "cades-verify: garbage" 4 "not a CMS or GM/T 0010 SignedData" st cades-verify --trust "$T/sm2/root.pem" --data "$T/data.bin" "$T/other.bin"
finish
