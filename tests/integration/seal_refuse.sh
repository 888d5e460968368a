#!/bin/bash
# seal_refuse: seal-tool sign refuses what its signature's verification
# would fail (GB/T 38540-2020 §8.2 steps 3 and 7): a signer certificate
# expired or not yet valid, one revoked or on hold in the store, a seal not
# in the register, one that differs from the registered seal, a revoked
# seal.  Each refusal: a clear message, exit 4, no output, the store unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

mkimages "$T"
printf 'document\n' > "$T/doc.txt"
d="$T/sm2"
seal_world sm2 "$d"
mkcert sm2 "$d" root person "$d/gone" "gone"
mkcert sm2 "$d" root person "$d/held" "held"

# an outside CA (openssl ca) for certificates with chosen validity, which
# ca-tool does not issue: one that expired in 2020, one valid from 2099
x="$T/x"; mkdir -p "$x/db"; : > "$x/db/index"; echo 01 > "$x/db/serial"
genkey sm2 "$x/ca.key"
openssl req -new -x509 -key "$x/ca.key" -sm3 -sigopt "distid:$SM2_ID" -subj "/C=CN/CN=outside CA" -days 3650 -out "$x/ca.pem"
cat > "$x/ca.cnf" <<CNF
[ca]
default_ca = x
[x]
database = $x/db/index
serial = $x/db/serial
new_certs_dir = $x/db
certificate = $x/ca.pem
private_key = $x/ca.key
default_md = sm3
policy = any
unique_subject = no
[any]
commonName = supplied
CNF
for c in expired:20200101000000Z:20200102000000Z future:20990101000000Z:20991231000000Z; do
	IFS=: read -r n from to <<<"$c"
	enckey sm2 "$d/$n"
	mkcsr sm2 "$d/$n.plain" "$d/$n.csr" "/C=CN/CN=$n"
	openssl ca -batch -config "$x/ca.cnf" -in "$d/$n.csr" -out "$d/$n.pem" -startdate "$from" -enddate "$to" \
		-sigopt "distid:$SM2_ID" -vfyopt "distid:$SM2_ID" -notext 2>"$T/ca.log" || { cat "$T/ca.log" >&2; exit 1; }
	# (openssl ca 3.0 may exit 0 without writing: the file is the proof)
	[ -s "$d/$n.pem" ] || { cat "$T/ca.log" >&2; exit 1; }
done
openssl x509 -in "$d/expired.pem" -noout -enddate > "$T/end.txt"
grep -q "notAfter=Jan  2 00:00:00 2020 GMT" "$T/end.txt" && ok "openssl: the expired certificate ended in 2020" ||
	not_ok "openssl: the expired certificate ended in 2020"

HOLDERS=""
for h in holder gone held expired future; do HOLDERS="$HOLDERS --holder $d/$h.pem"; done
MK="--maker-cert $d/maker.pem --maker-key $d/maker.key $PASS $HOLDERS --image $T/seal.png --image-type PNG --width 40 --height 40"
expect "a registered seal with five holders" st make $MK --id GOOD --name good --out "$d/good.seal"
expect "a seal that is not registered" st make $MK --no-register --id NOREG --name noreg --out "$d/noreg.seal"
expect "a seal to be revoked" st make $MK --id STOLEN --name stolen --out "$d/stolen.seal"
expect "the holder signs with the good seal" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
	--doc "$T/doc.txt" --out "$d/good.sig"
expect "... and the signature verifies" st verify --trust "$d/root.pem" --doc "$T/doc.txt" "$d/good.sig"

gone_serial=$(openssl x509 -in "$d/gone.pem" -noout -serial | cut -d= -f2)
held_serial=$(openssl x509 -in "$d/held.pem" -noout -serial | cut -d= -f2)
expect "ca-tool revokes gone's certificate" ct revoke --ca root --serial "$gone_serial" --reason keyCompromise
expect "ca-tool puts held's certificate on hold" ct revoke --ca root --serial "$held_serial" --reason certificateHold
expect "ca-tool revokes seal STOLEN" ct seal revoke --id STOLEN --reason "seal stolen"
# a registered seal whose file was changed (another name, re-signed by the maker)
expect "a seal GOOD made again (not registered)" st make $MK --no-register --id GOOD --name other --out "$d/good2.seal"
before=$(store_dump)

# refused NAME PATTERN SIGN-ARGS...: sign exits 4 with PATTERN, writes nothing, leaves the store
refused() {
	local what=$1 pat=$2; shift 2
	rm -f "$T/out"
	expect_fail "$what" 4 "^seal-tool: cannot sign: $pat" st sign "$@" $PASS --doc "$T/doc.txt" --out "$T/out"
	if [ ! -e "$T/out" ] && [ "$(store_dump)" = "$before" ]; then ok "$what: nothing written"; else not_ok "$what: nothing written"; fi
}
refused "an expired signer certificate" "the signer's certificate expired at 2020-01-02T00:00:00Z" \
	--seal "$d/good.seal" --cert "$d/expired.pem" --key "$d/expired.key"
refused "a signer certificate not yet valid" "the signer's certificate is not yet valid at .* \(valid from 2099-01-01T00:00:00Z\)" \
	--seal "$d/good.seal" --cert "$d/future.pem" --key "$d/future.key"
refused "a signer certificate revoked in the store" "the signer's certificate is revoked in the store since .* \(CA root\)" \
	--seal "$d/good.seal" --cert "$d/gone.pem" --key "$d/gone.key"
refused "a signer certificate on hold in the store" "the signer's certificate is on hold in the store since .* \(CA root\)" \
	--seal "$d/good.seal" --cert "$d/held.pem" --key "$d/held.key"
refused "a seal not in the register" "seal NOREG is not in the seal register" \
	--seal "$d/noreg.seal" --cert "$d/holder.pem" --key "$d/holder.key"
refused "a seal that differs from the registered one" "seal GOOD differs from the registered seal" \
	--seal "$d/good2.seal" --cert "$d/holder.pem" --key "$d/holder.key"
refused "a revoked seal" "seal STOLEN was revoked at .* \(seal stolen\)" \
	--seal "$d/stolen.seal" --cert "$d/holder.pem" --key "$d/holder.key"
# the refusals are the register's and the store's: without them (--no-register)
# the seals sign, and verify then fails the step the refusal stood for
expect "--no-register: the unregistered seal signs" st sign --no-register --seal "$d/noreg.seal" --cert "$d/holder.pem" \
	--key "$d/holder.key" $PASS --doc "$T/doc.txt" --out "$d/noreg.sig"
expect_fail "... and verify with the register fails its seal-status" 7 "seal-status: seal NOREG is not in the seal register" \
	st verify --trust "$d/root.pem" --doc "$T/doc.txt" "$d/noreg.sig"
expect "--no-register: the revoked holder signs" st sign --no-register --seal "$d/good.seal" --cert "$d/gone.pem" \
	--key "$d/gone.key" $PASS --doc "$T/doc.txt" --out "$d/gone.sig"
# the expired certificate is refused with or without the home
refused "--no-register: an expired signer certificate still" "the signer's certificate expired at" \
	--no-register --seal "$d/good.seal" --cert "$d/expired.pem" --key "$d/expired.key"
expect "the holder still signs with the good seal" st sign --seal "$d/good.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
	--doc "$T/doc.txt" --out "$d/good3.sig"
finish
