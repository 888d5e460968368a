#!/bin/bash
# seal_badinput: every outside input of seal-tool and ca-tool seal, bad: truncated,
# oversized and garbage seal and signature files, wrong versions, unknown OIDs,
# images of the wrong type, bad options.  Each gets a clear message and a
# non-zero exit; nothing is written and the store is unchanged; no crash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

mkimages "$T"
printf 'document\n' > "$T/doc.txt"
d="$T/sm2"
seal_world sm2 "$d"
MK="--maker-cert $d/maker.pem --maker-key $d/maker.key $PASS --holder $d/holder.pem --width 40 --height 40"
expect "a good seal" st make $MK --id GOOD --name good --image "$T/seal.png" --image-type PNG --out "$d/good.seal"
expect "a good signature" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/doc.txt" --out "$d/good.sig"
before=$(store_dump)

# no_output DESCRIPTION: the last command left no output file and the store unchanged
no_output() {
	if [ ! -e "$T/out" ] && [ "$(store_dump)" = "$before" ]; then ok "$1: nothing written"; else not_ok "$1: nothing written"; rm -f "$T/out"; fi
}

# --- making seals
expect_fail "image declared JPG, bytes PNG" 4 "declared JPG but its bytes are PNG" st make $MK --id X1 --name x --image "$T/seal.png" --image-type JPG --out "$T/out"; no_output "wrong image type"
expect_fail "image declared PNG, bytes SVG" 4 "declared PNG but its bytes are SVG" st make $MK --id X1 --name x --image "$T/seal.svg" --image-type PNG --out "$T/out"; no_output "wrong image type 2"
expect_fail "image declared SVG, bytes text" 4 "declared SVG but its bytes are unknown" st make $MK --id X1 --name x --image "$T/doc.txt" --image-type SVG --out "$T/out"; no_output "not an SVG"
expect_fail "unknown image type" 4 "image type 'TIFF' is not one of" st make $MK --id X1 --name x --image "$T/seal.png" --image-type TIFF --out "$T/out"; no_output "unknown image type"
: > "$T/empty"
expect_fail "empty image" 4 "empty" st make $MK --id X1 --name x --image "$T/empty" --image-type PNG --out "$T/out"; no_output "empty image"
expect_fail "missing image file" 3 "No such file" st make $MK --id X1 --name x --image "$T/nope.png" --image-type PNG --out "$T/out"; no_output "missing image"
expect_fail "width 0" 2 "width" st make $MK --id X1 --name x --image "$T/seal.png" --image-type PNG --width 0 --out "$T/out"; no_output "width 0"
expect_fail "width 1001" 2 "width" st make $MK --id X1 --name x --image "$T/seal.png" --image-type PNG --width 1001 --out "$T/out"; no_output "width 1001"
expect_fail "bad --valid-to" 2 "no such time: 2026-13-01" st make $MK --id X1 --name x --image "$T/seal.png" --image-type PNG --valid-to 2026-13-01 --out "$T/out"; no_output "bad time"
# days that do not exist are refused, not moved into the next month (OpenSSL checks the calendar)
for t in 2026-04-31 2026-02-29 2027-02-29T00:00:00Z 2026-01-01T24:00:00Z 20260230120000Z; do
	expect_fail "--valid-from $t" 2 "no such time" st make $MK --id X1 --name x --image "$T/seal.png" --image-type PNG --valid-from $t --out "$T/out"; no_output "--valid-from $t"
done
expect_fail "validity ends before it starts" 4 "ends before it starts" st make $MK --id X1 --name x --image "$T/seal.png" --image-type PNG --valid-from 2030-01-01 --valid-to 2029-01-01 --out "$T/out"; no_output "reversed validity"
expect_fail "non-ASCII seal id" 4 "printable ASCII" st make $MK --id "印章" --name x --image "$T/seal.png" --image-type PNG --out "$T/out"; no_output "non-ASCII id"
expect_fail "bad --type" 2 "official or personal" st make $MK --id X1 --name x --type other --image "$T/seal.png" --image-type PNG --out "$T/out"; no_output "bad type"
expect_fail "missing options" 2 "make needs" st make --id X1 --out "$T/out"; no_output "missing options"
printf 'wrong\n' > "$T/wrongpass"
expect_fail "wrong passphrase" 5 "" st make --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" --pass-file "$T/wrongpass" --holder "$d/holder.pem" --width 4 --height 4 --id X1 --name x --image "$T/seal.png" --image-type PNG --out "$T/out"; no_output "wrong passphrase"
expect_fail "maker key of another certificate" 4 "does not belong" st make --maker-cert "$d/maker.pem" --maker-key "$d/holder.key" $PASS --holder "$d/holder.pem" --width 4 --height 4 --id X1 --name x --image "$T/seal.png" --image-type PNG --out "$T/out"; no_output "mismatched maker key"
expect_fail "holder not a certificate" 4 "holds no certificate" st make $MK --holder "$T/doc.txt" --id X1 --name x --image "$T/seal.png" --image-type PNG --out "$T/out"; no_output "bad holder"
expect_fail "an id already registered" 4 "already registered" st make $MK --id GOOD --name again --image "$T/seal.png" --image-type PNG --out "$T/out"; no_output "taken id"
# an existing --out file is neither replaced nor removed, unless --force replaces it
printf 'precious\n' > "$T/precious"; cp "$T/precious" "$T/precious.orig"
unchanged() { if cmp -s "$T/precious" "$T/precious.orig" && [ "$(store_dump)" = "$before" ] && ! ls "$T"/precious.tmp.* >/dev/null 2>&1; then ok "$1: the file and the store unchanged"; else not_ok "$1: the file and the store unchanged"; fi; }
expect_fail "make over an existing file" 4 "precious exists \(--force replaces it\)" st make $MK --id NEW1 --name x --image "$T/seal.png" --image-type PNG --out "$T/precious"; unchanged "make over an existing file"
ln -s "$T/nowhere" "$T/dangling"
expect_fail "make over a dangling symbolic link" 4 "dangling exists" st make $MK --id NEW1 --name x --image "$T/seal.png" --image-type PNG --out "$T/dangling"
[ ! -e "$T/nowhere" ] && ok "... nothing made through it" || not_ok "... nothing made through it"
expect_fail "make --force with a taken id" 4 "already registered" st make $MK --force --id GOOD --name x --image "$T/seal.png" --image-type PNG --out "$T/precious"; unchanged "make --force with a taken id"
expect_fail "make --force with a bad image" 4 "declared JPG" st make $MK --force --id NEW1 --name x --image "$T/seal.png" --image-type JPG --out "$T/precious"; unchanged "make --force with a bad image"
expect "make --force over the file" st make $MK --force --id NEW1 --name x --image "$T/seal.png" --image-type PNG --out "$T/precious"
expect "... which is now the seal" st show "$T/precious"
grep -q "^id: *NEW1" "$T/stdout" && ok "... NEW1" || not_ok "... NEW1"
before=$(store_dump)

# --- seal and signature files: truncated, oversized, garbage, wrong versions, unknown OIDs
len=$(stat -c %s "$d/good.seal")
head -c $((len / 2)) "$d/good.seal" > "$T/trunc.seal"
head -c $(( $(stat -c %s "$d/good.sig") - 1 )) "$d/good.sig" > "$T/trunc.sig"
head -c 4096 /dev/urandom > "$T/garbage"
{ cat "$d/good.seal"; printf 'X'; } > "$T/trailing.seal"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero > "$T/huge"
patch_bytes() { python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); f=bytes.fromhex(sys.argv[2]); t=bytes.fromhex(sys.argv[3]); assert f in b, "pattern"; open(sys.argv[4],"wb").write(b.replace(f,t,1))' "$@"; }
# header "ES" version 4 -> 3 and -> 1 (a v4 structure claiming GM/T 0031-2014)
patch_bytes "$d/good.seal" 1602455302010416 1602455302010316 "$T/v3.seal"
patch_bytes "$d/good.seal" 1602455302010416 1602455302010116 "$T/v1.seal"
patch_bytes "$d/good.sig" 1602455302010416 1602455302010516 "$T/v5.sig"
# the TBS_Sign version 4 -> 2 (first INTEGER of the signature)
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=b.index(bytes.fromhex("020104")); b[i+2]=2; open(sys.argv[2],"wb").write(b)' "$d/good.sig" "$T/tbsv2.sig"
# the seal's signAlgID (the last sm2withSM3: the certificate has one too) -> 1.2.156.10197.1.502, unknown
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=b.rindex(bytes.fromhex("06082a811ccf55018375")); b[i+9]=0x76; open(sys.argv[2],"wb").write(b)' "$d/good.seal" "$T/oid.seal"
patch_bytes "$d/good.seal" 1602455302010416 1602455802010416 "$T/id.seal"      # header id "EX"
for f in trunc.seal trunc.sig garbage trailing.seal empty; do
	expect_fail "verify $f" 4 "neither a seal signature .* nor a seal" st verify --trust "$d/root.pem" "$T/$f"
	expect_fail "show $f" 4 "$f is neither a seal .* nor a seal signature" st show "$T/$f"
	expect_fail "sign with $f" 4 "cannot sign" st sign --seal "$T/$f" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/doc.txt" --out "$T/out"; no_output "sign with $f"
done
expect_fail "verify a huge file" 4 "larger than" st verify --trust "$d/root.pem" "$T/huge"
expect_fail "show a huge file" 4 "larger than" st show "$T/huge"
expect_fail "seal version 3" 4 "unsupported seal version 3" st show "$T/v3.seal"
expect_fail "v4 structure with version 1" 4 "unsupported seal version 1 in a GB/T 38540 seal" st show "$T/v1.seal"
expect_fail "header id not ES" 4 "header id is not" st show "$T/id.seal"

expect_fail "signature's seal version 5 without ..." 7 "" st verify --trust "$d/root.pem" "$T/v5.sig"
grep -q "^structure *fail" "$T/stdout" && ok "seal v5 in a v4 signature: the structure step fails" || not_ok "v5 seal in a v4 signature: structure fails"
expect_fail "TBS_Sign version 2 with a version 4 seal" 7 "structure: the signature's version 2 differs from the seal's 4" st verify --trust "$d/root.pem" "$T/tbsv2.sig"
expect_fail "unknown signature algorithm OID" 7 "seal-signature: unknown signature algorithm 1.2.156.10197.1.502" st verify --no-register --trust "$d/root.pem" "$T/oid.seal"

# --- signing and verifying options
expect_fail "sign: --doc and --hash together" 2 "one of --doc or --hash" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/doc.txt" --hash 00 --out "$T/out"; no_output "doc and hash"
expect_fail "sign: short hash" 4 "the hash has 2 bytes" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --hash 0011 --out "$T/out"; no_output "short hash"
expect_fail "sign: non-hex hash" 2 "not hex" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --hash zz --out "$T/out"; no_output "non-hex hash"
expect_fail "sign: non-ASCII property" 4 "printable ASCII" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/doc.txt" --property "文件" --out "$T/out"; no_output "non-ASCII property"
expect_fail "sign: the maker is not a holder" 4 "not one of the holders" st sign --seal "$d/good.seal" --cert "$d/maker.pem" --key "$d/maker.key" $PASS --doc "$T/doc.txt" --out "$T/out"; no_output "maker not holder"
expect_fail "sign: bad TSA URL" 4 "bad TSA URL|only http" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/doc.txt" --tsa "https://x" --out "$T/out"; no_output "bad TSA URL"
expect_fail "verify: no --trust" 2 "needs --trust" st verify "$d/good.sig"
expect_fail "verify: trust file without certificates" 4 "holds no certificate" st verify --trust "$T/doc.txt" "$d/good.sig"
expect_fail "verify: bad --at" 2 "bad time" st verify --trust "$d/root.pem" --at yesterday "$d/good.sig"
expect_fail "verify: --at 31 April" 2 "--at: no such time: 2026-04-31" st verify --trust "$d/root.pem" --at 2026-04-31 "$d/good.sig"
expect_fail "verify: --at a negative Unix time" 2 "bad time" st verify --trust "$d/root.pem" --at @-1 "$d/good.sig"
expect_fail "verify: CRL file that is not a CRL" 4 "is not a CRL" st verify --trust "$d/root.pem" --crl "$T/doc.txt" "$d/good.sig"
expect_fail "unknown command" 2 "unknown command" st frobnicate
expect_fail "unknown option" 2 "bad option" st verify --frob "$d/good.sig"
expect_fail "ca-tool seal: unknown subcommand" 2 "unknown subcommand" ct seal frob
expect_fail "ca-tool seal revoke without --id" 2 "needs --id" ct seal revoke
expect_fail "ca-tool seal list: bad status" 2 "good or revoked" ct seal list --status maybe
[ "$(store_dump)" = "$before" ] && ok "the store is unchanged" || not_ok "the store is unchanged"
expect "the good signature still verifies" st verify --trust "$d/root.pem" --doc "$T/doc.txt" "$d/good.sig"
finish
