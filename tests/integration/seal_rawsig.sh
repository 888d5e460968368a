#!/bin/bash
# seal_rawsig: SM2 signatures as other seal implementations write them, the
# raw 64 bytes r || s instead of DER: sm-crypto (independent of OpenSSL)
# signs the seal and the signature in that form, pyasn1 puts the values in,
# and seal-tool verify accepts both and says which form it read; a changed
# bit still fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

CHECK="python3 $top_srcdir/tests/integration/seal_asn1_check.py"
sm_crypto_setup "the raw r || s form is not tested"
# without sm-crypto nothing here can be checked: a skip, which CI does not accept
[ $have_sm_crypto = 1 ] || skip_all "no sm-crypto: nothing here can be checked"
mkimages "$T"
printf 'a document sealed by another implementation\n' > "$T/doc.txt"
d="$T/w"
seal_world sm2 "$d"

# privhex KEY.plain: the SM2 private key as 64 hex digits (from PKCS#8)
privhex() {
	openssl pkcs8 -topk8 -nocrypt -in "$1" -outform DER | python3 -c '
import sys
from pyasn1.codec.der import decoder
p8, _ = decoder.decode(sys.stdin.buffer.read())
ec, _ = decoder.decode(p8[2].asOctets())
print(ec[1].asOctets().hex())'
}
sign_raw() { node "$top_srcdir/tests/integration/sm2_sign_raw.js" "$NPM_DIR" "$(privhex "$1")" "$2" "$3"; }
# put FILE KIND RAW OUT: FILE (a seal or a signature) with its signature value replaced by RAW's bytes
put() {
	python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import seal_asn1_check as c
from pyasn1.codec.der import decoder, encoder
from pyasn1.type import univ
spec, field = (c.SESeal(), "signedValue") if sys.argv[3] == "seal" else (c.SESSignature(), "signature")
v, rest = decoder.decode(open(sys.argv[2], "rb").read(), asn1Spec=spec)
assert rest == b""
raw = open(sys.argv[4], "rb").read()
assert len(raw) == 64
v[field] = univ.BitString.fromOctetString(raw)
open(sys.argv[5], "wb").write(encoder.encode(v))' "$top_srcdir/tests/integration" "$1" "$2" "$3" "$4"
}

expect "make an SM2 seal" st make --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" $PASS --id RAW-1 \
	--name "原始签名值印章" --holder "$d/holder.pem" --image "$T/seal.png" --image-type PNG --width 40 --height 40 \
	--out "$d/s.seal"
expect "pyasn1 writes out SES_SealInfo" $CHECK seal "$d/s.seal" "$d"
expect "sm-crypto signs SES_SealInfo as r || s" sign_raw "$d/maker.plain" "$d/sealinfo.der" "$d/seal.raw"
expect "the seal carries the r || s value" put "$d/s.seal" seal "$d/seal.raw" "$d/raw.seal"
expect "verify the seal" st verify --no-register --trust "$d/root.pem" "$d/raw.seal"
grep -q "^seal-signature *pass .*as raw r || s" "$T/stdout" && ok "the seal's r || s form is named" || not_ok "the seal's r || s form is named"

expect "sign around the r || s seal" st sign --no-register --seal "$d/raw.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
	--doc "$T/doc.txt" --out "$d/doc.sig"
expect "pyasn1 writes out TBS_Sign" $CHECK sig "$d/doc.sig" "$d"
expect "sm-crypto signs TBS_Sign as r || s" sign_raw "$d/holder.plain" "$d/tbs.der" "$d/sig.raw"
expect "the signature carries the r || s value" put "$d/doc.sig" sig "$d/sig.raw" "$d/raw.sig"
expect "verify the signature with the document" st verify --no-register --trust "$d/root.pem" --doc "$T/doc.txt" "$d/raw.sig"
grep -q "^signature *pass .*as raw r || s" "$T/stdout" && grep -q "^seal-signature *pass .*as raw r || s" "$T/stdout" &&
	grep -q "signature: VALID" "$T/stdout" && ok "both r || s values verify and are named" ||
	not_ok "both r || s values verify and are named"

# one bit of r changed: the signature fails, the rest holds
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[7]^=1; open(sys.argv[2],"wb").write(b)' "$d/sig.raw" "$d/bad.raw"
expect "a changed r || s value goes in" put "$d/doc.sig" sig "$d/bad.raw" "$d/bad.sig"
expect_fail "a changed r || s does not verify" 7 "signature: the signature does not verify" \
	st verify --no-register --trust "$d/root.pem" --doc "$T/doc.txt" "$d/bad.sig"
# r || s shifted by one byte (r's top byte lost)
python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(b"\0"+b[:63])' "$d/sig.raw" "$d/shift.raw"
expect "a shifted r || s value goes in" put "$d/doc.sig" sig "$d/shift.raw" "$d/shift.sig"
expect_fail "a shifted r || s does not verify" 7 "signature: the signature does not verify" \
	st verify --no-register --trust "$d/root.pem" --doc "$T/doc.txt" "$d/shift.sig"
finish
