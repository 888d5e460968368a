#!/bin/bash
# seal_roundtrip: for SM2, P-256, RSA and Ed25519 makers and holders: make a
# seal, sign a 1 MiB document, verify; each file decoded field by field by
# pyasn1, SM2 signatures checked by sm-crypto and the others by openssl
# pkeyutl; then every way verification must fail, each with its own reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

CHECK="python3 $top_srcdir/tests/integration/seal_asn1_check.py"
sm_crypto_setup "SM2 signatures not checked independently"
mkimages "$T"
head -c 1048576 /dev/urandom > "$T/doc.bin"
now=$(date -u +%s)

# raw public key hex of an SM2 key (the 65-byte point) for sm-crypto
sm2_pub() { openssl pkey -in "$1" -pubout -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n'; }

# indep_verify TYPE KEY.plain MESSAGE SIGVALUE: an independent check of a signature value
indep_verify() {
	case $1 in
	sm2)
		[ $have_sm_crypto = 1 ] || return 0
		node "$top_srcdir/tests/integration/sm2_check.js" "$NPM_DIR" "$(sm2_pub "$2")" "$3" "$4" ;;
	ed25519)
		openssl pkey -in "$2" -pubout -out "$2.pub" && openssl pkeyutl -verify -pubin -inkey "$2.pub" -rawin -in "$3" -sigfile "$4" ;;
	*)
		openssl pkey -in "$2" -pubout -out "$2.pub" && openssl dgst -sha256 -verify "$2.pub" -signature "$4" "$3" ;;
	esac
}

for type in sm2 ec-p256 rsa2048 ed25519; do
	d="$T/$type"
	seal_world "$type" "$d" "$type"
	mkcert "$type" "$d" root person "$d/other" "other-$type"
	case $type in sm2) halg=sm3 ;; *) halg=sha256 ;; esac
	dochash=$(openssl dgst -$halg -binary "$T/doc.bin" | od -An -v -tx1 | tr -d ' \n')

	expect "$type: make a seal" st make --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" $PASS \
		--id "SEAL-$type-1" --name "示例市人民政府 $type" --type official --holder "$d/holder.pem" \
		--image "$T/seal.png" --image-type PNG --width 42 --height 42 --days 30 --out "$d/s.seal"
	expect "$type: seal decodes field by field (pyasn1)" $CHECK seal "$d/s.seal" "$d" id="SEAL-$type-1" \
		name="示例市人民政府 $type" type=1 holder="$d/holder.pem" maker="$d/maker.pem" alg=$type \
		image="$T/seal.png" imagetype=PNG width=42 height=42
	expect "$type: maker's signature checks independently" indep_verify $type "$d/maker.plain" "$d/sealinfo.der" "$d/seal.sigval"
	expect "$type: sign the document" st sign --seal "$d/s.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
		--doc "$T/doc.bin" --out "$d/doc.sig"
	expect "$type: signature decodes field by field (pyasn1)" $CHECK sig "$d/doc.sig" "$d" signer="$d/holder.pem" \
		alg=$type seal="$d/s.seal" hash="$dochash" property=doc.bin
	expect "$type: holder's signature checks independently" indep_verify $type "$d/holder.plain" "$d/tbs.der" "$d/sig.sigval"
	expect "$type: verify with the document" st verify --trust "$d/root.pem" --doc "$T/doc.bin" "$d/doc.sig"
	grep -q "signature: VALID" "$T/stdout" && grep -q "^seal-status *pass" "$T/stdout" && ok "$type: every step passes" || not_ok "$type: every step passes"
	expect "$type: verify with the hash" st verify --trust "$d/root.pem" --hash "$dochash" "$d/doc.sig"
	expect "$type: verify without document" st --json verify --trust "$d/root.pem" "$d/doc.sig"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); s={x["step"]:x["result"] for x in j["steps"]}; sys.exit(0 if j["valid"] and s["document"]=="skip" and len(s)==11 else 1)' "$T/stdout" &&
		ok "$type: JSON lists 11 steps, document not checked" || not_ok "$type: JSON lists 11 steps, document not checked"
	expect "$type: verify the seal alone" st verify --trust "$d/root.pem" "$d/s.seal"
	expect "$type: show" st show --image-out "$d/img.out" "$d/s.seal"
	cmp -s "$d/img.out" "$T/seal.png" && grep -q "SEAL-$type-1" "$T/stdout" && ok "$type: show writes the image" || not_ok "$type: show writes the image"

	# --- failures, each with its own reason (exit 7) ---
	# flip one bit: writing a fixed byte is a no-op when the random document already has it
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[1000]^=1; open(sys.argv[2],"wb").write(b)' "$T/doc.bin" "$d/doc2.bin"
	expect_fail "$type: changed document" 7 "document: the document's hash differs" st verify --trust "$d/root.pem" --doc "$d/doc2.bin" "$d/doc.sig"
	# a changed seal: one byte of the picture (still decodes)
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=b.index(b"IHDR"); b[i]^=1; open(sys.argv[2],"wb").write(b)' "$d/s.seal" "$d/s2.seal"
	expect_fail "$type: changed seal" 7 "seal-signature: the signature does not verify" st verify --no-register --trust "$d/root.pem" "$d/s2.seal"
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=b.index(b"IHDR"); b[i]^=1; open(sys.argv[2],"wb").write(b)' "$d/doc.sig" "$d/doc2.sig"
	expect_fail "$type: changed seal inside a signature" 7 "signature: the signature does not verify" st verify --no-register --trust "$d/root.pem" "$d/doc2.sig"
	grep -q "^seal-signature *fail" "$T/stdout" && ok "$type: ... and the maker's signature fails too" || not_ok "$type: ... and the maker's signature fails too"
	expect_fail "$type: expired seal (--at after its validity)" 7 "seal-validity: the seal expired" \
		st verify --trust "$d/root.pem" --at "@$((now + 60 * 86400))" "$d/doc.sig"
	expect "$type: a seal valid from tomorrow" st make --no-register --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" $PASS \
		--id "LATER-$type" --name later --holder "$d/holder.pem" --image "$T/seal.png" --image-type png --width 9 --height 9 \
		--valid-from "@$((now + 86400))" --days 10 --out "$d/later.seal"
	expect_fail "$type: sign refuses a seal not yet valid" 4 "is valid from .* only" st sign --seal "$d/later.seal" \
		--cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/doc.bin" --out "$d/x.sig"
	expect_fail "$type: seal not yet valid" 7 "seal-validity: the seal is not yet valid" st verify --trust "$d/root.pem" "$d/later.seal"
	expect_fail "$type: signer not a holder: sign refuses" 4 "not one of the holders" st sign --seal "$d/s.seal" \
		--cert "$d/other.pem" --key "$d/other.key" $PASS --doc "$T/doc.bin" --out "$d/x.sig"
	[ ! -e "$d/x.sig" ] && ok "$type: nothing written" || not_ok "$type: nothing written"
	# the maker's authority: a person's certificate (other.pem, profile
	# person) may not make a seal, and a seal it made anyway (its own EKU
	# allowed with --maker-oid) does not verify VALID
	expect_fail "$type: a person's certificate may not make a seal" 4 "not of the seal-signer profile" \
		st make --maker-cert "$d/other.pem" --maker-key "$d/other.key" $PASS --id "PERSON-$type" --name forged \
		--holder "$d/holder.pem" --image "$T/seal.png" --image-type PNG --width 9 --height 9 --out "$d/person.seal"
	[ ! -e "$d/person.seal" ] && ok "$type: ... nothing written" || not_ok "$type: ... nothing written"
	expect "$type: a person-made seal (its EKU emailProtection allowed)" st make --no-register --maker-oid 1.3.6.1.5.5.7.3.4 \
		--maker-cert "$d/other.pem" --maker-key "$d/other.key" $PASS --id "PERSON-$type" --name forged \
		--holder "$d/holder.pem" --image "$T/seal.png" --image-type PNG --width 9 --height 9 --out "$d/person.seal"
	expect "$type: sign with the person-made seal" st sign --no-register --seal "$d/person.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
		--doc "$T/doc.bin" --out "$d/person.sig"
	expect_fail "$type: verify: the maker is no seal signer" 7 "seal-authority: the maker's certificate is not of the seal-signer profile" \
		st verify --no-register --trust "$d/root.pem" "$d/person.sig"
	grep -q "^seal-maker *pass" "$T/stdout" && grep -q "^signature: INVALID" "$T/stdout" &&
		ok "$type: ... though its chain holds" || not_ok "$type: ... though its chain holds"
	expect "$type: verify: the real maker is a seal signer" st --json verify --trust "$d/root.pem" "$d/doc.sig"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); s={x["step"]: x["result"] for x in j["steps"]}; sys.exit(0 if j["valid"] and s.get("seal-authority")=="pass" else 1)' "$T/stdout" &&
		ok "$type: ... seal-authority pass (JSON)" || not_ok "$type: ... seal-authority pass (JSON)"
	# a maker from another CA, and a wrong trust anchor
	mkdir -p "$d/o"; GOVPKI_HOME="$d/o/home" mkca "$type" "$d/o" other
	GOVPKI_HOME="$d/o/home" mkcert "$type" "$d/o" other seal-signer "$d/o/maker" "Rogue Maker"
	expect "$type: make a seal by an untrusted maker" st --home "$d/o/home" make --maker-cert "$d/o/maker.pem" --maker-key "$d/o/maker.key" $PASS \
		--id "ROGUE-$type" --name rogue --holder "$d/holder.pem" --image "$T/seal.svg" --image-type SVG --width 30 --height 30 --out "$d/rogue.seal"
	expect "$type: sign with it" st --home "$d/o/home" sign --seal "$d/rogue.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/doc.bin" --out "$d/rogue.sig"
	expect_fail "$type: untrusted maker" 7 "seal-maker: .*Rogue Maker" st verify --no-register --trust "$d/root.pem" "$d/rogue.sig"
	grep -q "^signer *pass" "$T/stdout" && ok "$type: ... while the signer passes" || not_ok "$type: ... while the signer passes"
	expect_fail "$type: wrong trust anchor" 7 "signer: .*(unable to get local issuer|unable to get issuer)" st verify --no-register --trust "$d/o/other.pem" "$d/doc.sig"
	# the seal register: unknown there, then revoked
	expect_fail "$type: seal unknown to another register" 7 "seal-status: seal SEAL-$type-1 is not in the seal register" \
		st --home "$d/o/home" verify --trust "$d/root.pem" "$d/doc.sig"
	expect "$type: ca-tool seal revoke" ct seal revoke --id "SEAL-$type-1" --reason "seal lost"
	expect "$type: revoking again is harmless" ct seal revoke --id "SEAL-$type-1"
	expect "$type: ca-tool seal list --status revoked" ct --json seal list --status revoked
	grep -q "\"SEAL-$type-1\"" "$T/stdout" && grep -q '"seal lost"' "$T/stdout" && ok "$type: listed as revoked" || not_ok "$type: listed as revoked"
	expect_fail "$type: revoked seal" 7 "seal-status: seal SEAL-$type-1 was revoked at .* \(seal lost\)" st verify --trust "$d/root.pem" "$d/doc.sig"
	expect_fail "$type: ca-tool seal revoke of an unknown seal" 3 "no seal NOPE" ct seal revoke --id NOPE
	# a revoked signer certificate (CRLs of the root)
	expect "$type: CRL before" ct crl --ca root --pem --out "$d/root0.crl" $PASS
	expect "$type: verify with the CRL" st verify --no-register --trust "$d/root.pem" --crl "$d/root0.crl" "$d/doc.sig"
	grep -q "not revoked (CRL)" "$T/stdout" && ok "$type: revocation checked" || not_ok "$type: revocation checked"
	expect "$type: revoke the holder's certificate" ct revoke --ca root --serial "$(openssl x509 -in "$d/holder.pem" -noout -serial | cut -d= -f2)" --reason keyCompromise
	expect "$type: CRL after" ct crl --ca root --pem --out "$d/root1.crl" $PASS
	expect_fail "$type: revoked signer certificate" 7 "signer: .*revoked" st verify --no-register --trust "$d/root.pem" --crl "$d/root1.crl" "$d/doc.sig"
done

# certificate digests in the holder list (certListType 2), a personal seal, other image types
d="$T/sm2"; export GOVPKI_HOME="$d/home"
for img in gif bmp jpg svg; do
	IMG=$(echo $img | tr a-z A-Z)
	expect "digests, personal, $IMG: make" st make --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" $PASS --id "P-$img" \
		--name "张三" --type personal --digests --holder "$d/other.pem" --holder "$d/maker.pem" --image "$T/seal.$img" --image-type $IMG \
		--width 20 --height 15 --out "$d/p-$img.seal"
done
expect "digests: pyasn1 finds the holder's SM3 digest" $CHECK seal "$d/p-gif.seal" "$d" digests=1 holder="$d/other.pem" type=2 name="张三"
expect "digests: sign" st sign --seal "$d/p-gif.seal" --cert "$d/other.pem" --key "$d/other.key" $PASS --doc "$T/doc.bin" --property "urn:doc:1" --out "$d/p.sig"
expect "digests: verify" st verify --trust "$d/root.pem" --doc "$T/doc.bin" "$d/p.sig"
grep -q "^holder *pass *the signer is in the seal's digest list" "$T/stdout" && ok "digests: holder found by digest" || not_ok "digests: holder found by digest"

# Chinese names: the maker's and the signer's subjects print as UTF-8, in
# text and JSON, as openssl x509 -nameopt utf8 prints them (no \xE7 escapes)
cn_maker="示例市印章制作中心" cn_holder="张三丰"
enckey sm2 "$d/cnmaker"; enckey sm2 "$d/cnholder"
openssl req -new -utf8 -key "$d/cnmaker.plain" -out "$d/cnmaker.csr" -subj "/C=CN/O=示例市人民政府/CN=$cn_maker" -sm3 -sigopt "distid:$SM2_ID"
openssl req -new -utf8 -key "$d/cnholder.plain" -out "$d/cnholder.csr" -subj "/C=CN/CN=$cn_holder" -sm3 -sigopt "distid:$SM2_ID"
expect "a maker with a Chinese name" ct issue --ca root --profile seal-signer --csr "$d/cnmaker.csr" --out "$d/cnmaker.pem" $PASS
expect "a holder with a Chinese name" ct issue --ca root --profile person --csr "$d/cnholder.csr" --out "$d/cnholder.pem" $PASS
grep -q "CN=$cn_maker" <<<"$(openssl x509 -in "$d/cnmaker.pem" -noout -subject -nameopt utf8,sep_comma_plus,-esc_msb)" &&
	ok "openssl reads the maker's CN as $cn_maker" || not_ok "openssl reads the maker's CN as $cn_maker"
expect "make a seal by it" st make --maker-cert "$d/cnmaker.pem" --maker-key "$d/cnmaker.key" $PASS --id CN-1 --name "示例市民政局" \
	--holder "$d/cnholder.pem" --image "$T/seal.png" --image-type PNG --width 40 --height 40 --out "$d/cn.seal"
expect "sign as the holder" st sign --seal "$d/cn.seal" --cert "$d/cnholder.pem" --key "$d/cnholder.key" $PASS --doc "$T/doc.bin" --out "$d/cn.sig"
# no_escapes WHAT: stdout names both in UTF-8 and holds no \x or \U escape
no_escapes() {
	if grep -q "CN=$cn_maker" "$T/stdout" && grep -q "$2" "$T/stdout" && ! grep -Eq '\\(x|X|u|U)[0-9A-Fa-f]{2}' "$T/stdout"; then
		ok "$1: UTF-8 names, no escapes"; else not_ok "$1: UTF-8 names, no escapes"; show 5 "$T/stdout"; fi
}
expect "show the signature" st show "$d/cn.sig"; no_escapes "show" "CN=$cn_holder"
expect "show --json" st --json show "$d/cn.sig"; no_escapes "show --json" "CN=$cn_holder"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if sys.argv[2] in j["maker"] and sys.argv[3] in j["signature"]["signer"] else 1)' \
	"$T/stdout" "CN=$cn_maker" "CN=$cn_holder" && ok "show --json: the names decode as UTF-8" || not_ok "show --json: the names decode as UTF-8"
expect "verify" st verify --trust "$d/root.pem" "$d/cn.sig"; no_escapes "verify" "CN=$cn_holder"
expect "verify --json" st --json verify --trust "$d/root.pem" "$d/cn.sig"; no_escapes "verify --json" "CN=$cn_holder"

finish
