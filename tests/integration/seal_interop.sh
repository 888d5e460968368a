#!/bin/bash
# seal_interop: seals and signatures made by another implementation (ofdrw-gm,
# Java on BouncyCastle; tests/data/interop/README.md says how) are read,
# verified every step, and fail with the right step when one bit changes:
# GB/T 38540-2020 version 4 and GM/T 0031-2014 version 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

DATA="$top_srcdir/tests/data/interop"
ROOT="$DATA/root.pem"
DOC="$DATA/document.txt"
# the seals are valid 2026-11-28 to 2028-11-28, the certificates to 2029-11-27:
# a seal on its own is checked at this time (a signature at its signing time)
AT=2027-01-01
PROPERTY=/Doc_0/Signs/Sign_0/Signature.xml
DOCHASH=$(openssl dgst -sm3 -binary "$DOC" | od -An -v -tx1 | tr -d ' \n')
PYDIR="$top_srcdir/tests/integration"

# flip FILE OUT MARKER: OUT is FILE with the lowest bit of the first byte of MARKER flipped
flip() {
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=b.index(sys.argv[3].encode()); b[i]^=1; open(sys.argv[2],"wb").write(b)' "$1" "$2" "$3"
}

# json_steps FILE: valid, and every step pass but time-stamp and seal-status
# (none given, no register), which are skipped
json_steps() {
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
s = {x["step"]: x["result"] for x in j["steps"]}
skip = {"time-stamp", "seal-status", "seal-authority"}  # --maker-oid none: a third-party maker
bad = {k: v for k, v in s.items() if v != ("skip" if k in skip else "pass")}
sys.exit(0 if j["valid"] and not bad and s.get("document") == "pass" else 1)' "$T/stdout"
}

# pyasn1: the v4 files decode with seal_asn1_check.py's schema and are DER;
# the v1 files (no schema there) are DER all the same
expect "v4 seal: pyasn1 field by field" python3 "$PYDIR/seal_asn1_check.py" seal "$DATA/ofdrw-v4.seal" "$T" \
	vid='OFDR&WTest' type=3 name='OFD R&W 测试用印章' holder="$DATA/holder.pem" maker="$DATA/maker.pem" \
	alg=sm2 image="$DATA/seal.png" imagetype=PNG width=40 height=40
expect "v4 signature: pyasn1 field by field" python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import seal_asn1_check as c
from pyasn1.codec.der import decoder, encoder
data = open(sys.argv[2], "rb").read()
sig, rest = decoder.decode(data, asn1Spec=c.SESSignature())
c.check("no bytes after the signature", rest, b"")
c.check("the signature is DER", encoder.encode(sig), data)
tbs = sig["toSign"]
c.check("toSign.version", int(tbs["version"]), 4)
c.check("toSign.timeInfo", str(tbs["timeInfo"]), "20261128151156Z")
c.check("toSign.dataHash", c.bits(tbs["dataHash"]).hex(), sys.argv[3])
c.check("toSign.propertyInfo", str(tbs["propertyInfo"]), sys.argv[4])
c.check("toSign.eseal is the seal file", encoder.encode(tbs["eseal"]), open(sys.argv[5], "rb").read())
c.check("cert is the signer", bytes(sig["cert"]), c.pem_der(sys.argv[6]))
c.check("signatureAlgID", str(sig["signatureAlgID"]), c.ALG["sm2"])
c.check("no timeStamp", sig["timeStamp"].isValue, False)
c.check_seal(tbs["eseal"], {"vid": "OFDR&WTest"}, sys.argv[7], "toSign.eseal")
' "$PYDIR" "$DATA/ofdrw-v4.sig" "$DOCHASH" "$PROPERTY" "$DATA/ofdrw-v4.seal" "$DATA/holder.pem" "$T"
for v in v1.seal v1.sig; do
	expect "$v: pyasn1 decodes it, DER" python3 -c '
import sys
from pyasn1.codec.der import decoder, encoder
data = open(sys.argv[1], "rb").read()
v, rest = decoder.decode(data)
sys.exit(0 if rest == b"" and encoder.encode(v) == data else 1)' "$DATA/ofdrw-$v"
done

for v in v4 v1; do
	seal="$DATA/ofdrw-$v.seal" sig="$DATA/ofdrw-$v.sig"
	case $v in
	v4) ver=4 name="OFD R&W 测试用印章" type="3 (other)" tbs="SES_SealInfo" at="2026-11-28T15:11:56Z" ;;
	# ofdrw writes v1 timeInfo as local time text without a zone
	# ("2026-11-28 23:11:56", made at UTC+8): read as UTC
	v1) ver=1 name="OFDRW测试用印章" type="1 (official)" tbs="SEQUENCE { SES_SealInfo, cert, signAlgID }" at="2026-11-28T23:11:56Z" ;;
	esac

	# --- show ---
	expect "$v seal: show" st show --image-out "$T/$v.png" "$seal"
	grep -q "^version: *$ver\$" "$T/stdout" && grep -q "^vendor: *OFDR&WTest\$" "$T/stdout" &&
		grep -q "^name: *$name\$" "$T/stdout" && grep -q "^type: *$type\$" "$T/stdout" &&
		grep -q "^maker: *CN=Interop Seal Maker,O=City of Example,C=CN\$" "$T/stdout" &&
		grep -q "^holders: *1 (certificates)\$" "$T/stdout" && grep -q "^image: *PNG, 298 bytes, 40 x 40 mm\$" "$T/stdout" &&
		ok "$v seal: show prints its fields" || not_ok "$v seal: show prints its fields"
	cmp -s "$T/$v.png" "$DATA/seal.png" && ok "$v seal: show writes the PNG" || not_ok "$v seal: show writes the PNG"
	expect "$v signature: show --json" st --json show "$sig"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); s=j["signature"]; sys.exit(0 if j["version"]==int(sys.argv[2]) and s["signer"]=="CN=interop-holder,C=CN" and s["time"]==sys.argv[3] and s["property"]==sys.argv[4] else 1)' \
		"$T/stdout" "$ver" "$at" "$PROPERTY" && ok "$v signature: signer, time and property" || not_ok "$v signature: signer, time and property"
	expect "$v signature: show (text) exits 0" st show "$sig"

	# --- verify ---
	expect "$v seal: verify alone" st verify --no-register --maker-oid none --trust "$ROOT" --at "$AT" "$seal"
	grep -q "^seal-signature *pass *1.2.156.10197.1.501 over $tbs\$" "$T/stdout" && grep -q "^seal: VALID" "$T/stdout" &&
		ok "$v seal: the maker's signature over $tbs" || not_ok "$v seal: the maker's signature over $tbs"
	expect "$v signature: verify with the document" st verify --no-register --maker-oid none --trust "$ROOT" --doc "$DOC" "$sig"
	grep -q "^signature: VALID" "$T/stdout" && grep -q "^holder *pass" "$T/stdout" &&
		grep -q "checked at $at" "$T/stdout" && ok "$v signature: valid, checked at its signing time" ||
		not_ok "$v signature: valid, checked at its signing time"
	expect "$v signature: verify --json" st --json verify --no-register --maker-oid none --trust "$ROOT" --doc "$DOC" "$sig"
	json_steps && ok "$v signature: every step passes" || not_ok "$v signature: every step passes"
	# the third-party maker has no seal-signer mark: refused unless --maker-oid none
	expect_fail "$v seal: a maker without the seal-signer mark" 7 "seal-authority: the maker's certificate is not of the seal-signer profile" \
		st verify --no-register --trust "$ROOT" --at "$AT" "$seal"
	expect "$v signature: verify with the hash" st verify --no-register --maker-oid none --trust "$ROOT" --hash "$DOCHASH" "$sig"

	# --- one bit changed, each failing at its step (exit 7) ---
	flip "$seal" "$T/$v-bad.seal" IHDR
	expect_fail "$v seal: a bit of the picture" 7 "seal-signature: the signature does not verify" \
		st verify --no-register --maker-oid none --trust "$ROOT" --at "$AT" "$T/$v-bad.seal"
	flip "$sig" "$T/$v-bad.sig" IHDR
	expect_fail "$v signature: a bit of the embedded seal" 7 "signature: the signature does not verify" \
		st verify --no-register --maker-oid none --trust "$ROOT" --doc "$DOC" "$T/$v-bad.sig"
	grep -q "^seal-signature *fail" "$T/stdout" && ok "$v signature: ... and the maker's signature fails too" ||
		not_ok "$v signature: ... and the maker's signature fails too"
	flip "$sig" "$T/$v-bad2.sig" "$PROPERTY"
	expect_fail "$v signature: a bit of propertyInfo" 7 "signature: the signature does not verify" \
		st verify --no-register --maker-oid none --trust "$ROOT" --doc "$DOC" "$T/$v-bad2.sig"
	grep -q "^seal-signature *pass" "$T/stdout" && ok "$v signature: ... while the seal passes" ||
		not_ok "$v signature: ... while the seal passes"
	flip "$DOC" "$T/doc2.txt" Interop
	expect_fail "$v signature: a bit of the document" 7 "document: the document's hash differs" \
		st verify --no-register --maker-oid none --trust "$ROOT" --doc "$T/doc2.txt" "$sig"
	expect_fail "$v signature: another trust anchor" 7 "signer: " \
		st verify --no-register --maker-oid none --trust "$DATA/maker.pem" --doc "$DOC" "$sig"
done

finish
