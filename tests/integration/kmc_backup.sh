#!/bin/bash
# kmc_backup: the escrowed keys and the storage key go into the encrypted
# backup (the keys still sealed under the storage key, the storage key still
# under its passphrase); a home restored elsewhere recovers, with two
# recovery officers, a key escrowed before the backup, and a document
# encrypted to its certificate decrypts with it.  A key escrowed after the
# backup is not there; a restored home whose storage key file is lost, or
# whose escrow row is damaged, releases nothing.
. "$(dirname "$0")/lib.sh"

printf 'backup passphrase\n' > "$T/bpass"
BP="--pass-file $T/bpass"
enc_key() {
	genkey "$1" "$T/$2.key"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/$2.key" -passout "file:$T/pass" -out "$T/$2.enc.key"
	mkcsr "$1" "$T/$2.key" "$T/$2.csr" "/CN=$2"
}

expect "a root CA (SM2)" ct init --name sm2ca --subject "/CN=KMC SM2 Root" --key-type sm2 $PASS
expect "kmc init" ct kmc init $PASS
enc_key sm2 alice
expect "alice: issue-dual" ct kmc issue-dual --ca sm2ca --csr "$T/alice.csr" $PASS \
	--sign-out "$T/alice.sign.pem" --enc-out "$T/alice.enc.pem" --envelope-out "$T/alice.env.der"
for n in o1 o2 sec; do
	enc_key sm2 $n
	ct issue --ca sm2ca --profile person --csr "$T/$n.csr" --out "$T/$n.pem" $PASS >/dev/null 2>&1 || not_ok "certificate for $n"
done
expect "officer o1" ct kmc officer add --name o1 --cert "$T/o1.pem"
expect "officer o2" ct kmc officer add --name o2 --cert "$T/o2.pem"
printf 'the land register of 2026\n' > "$T/doc.txt"
openssl x509 -in "$T/alice.enc.pem" -noout -pubkey > "$T/alice.pub"
expect "a document SM2-encrypted to alice's encryption certificate" openssl pkeyutl -encrypt -pubin -inkey "$T/alice.pub" \
	-in "$T/doc.txt" -out "$T/doc.sm2"

expect "backup" ct backup --out "$T/b.gpb" $BP
expect "a key escrowed after the backup" ct --json kmc genkey $PASS
late=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["kid"])' "$T/stdout")
expect "restore elsewhere" ct restore "$T/b.gpb" --to "$T/r1" $BP
R="--home $T/r1"
[ -f "$T/r1/keys/kmc-storage.key" ] && cmp -s "$T/r1/keys/kmc-storage.key" "$GOVPKI_HOME/keys/kmc-storage.key" &&
	ok "the storage key file came back as it was (sealed under its passphrase)" || not_ok "the storage key file came back"
if grep -aq "GOVPKI KMC STORAGE KEY" "$T/b.gpb" || grep -aq "kmc_key" "$T/b.gpb"; then
	not_ok "the backup shows nothing in the clear"; else ok "the backup shows nothing in the clear"; fi
expect "kmc list in the restored home" ct $R --json kmc list
python3 - "$T/stdout" "$late" <<'PY' && ok "the restored KMC has alice's key and not the later one" || not_ok "the restored KMC has alice's key and not the later one"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1 and rows[0]["type"] == "sm2" and "CN=alice" in rows[0]["holder"], rows
assert all(r["kid"] != sys.argv[2] for r in rows), rows
PY
expect "kmc check in the restored home" ct $R kmc check $PASS
expect "the restored audit chain verifies" ct $R audit verify

# recovery in the restored home
serial=$(openssl x509 -in "$T/alice.enc.pem" -noout -serial | cut -d= -f2)
expect "recover-request in the restored home" ct $R --json kmc recover-request --ca sm2ca --serial "$serial" \
	--recipient "$T/sec.pem" --requester alice
id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$T/stdout")
for n in o1 o2; do
	expect "$n approves" ct $R kmc recover-approve --id "$id" --officer $n --officer-key "$T/$n.enc.key" --officer-pass-file "$T/pass"
done
# a lost storage key file: a clear error, nothing released
mv "$T/r1/keys/kmc-storage.key" "$T/sk.moved"
expect_fail "recover without the storage key file" 3 "storage key .* is missing: restore it from a backup" \
	ct $R kmc recover --id "$id" --out "$T/rec.env" $PASS
[ ! -e "$T/rec.env" ] && ok "... nothing released" || not_ok "... nothing released"
mv "$T/sk.moved" "$T/r1/keys/kmc-storage.key"
# a damaged escrow row: detected, nothing released, the request still open
cp "$T/r1/govpki.db" "$T/r1.db.orig"
sqlite3 "$T/r1/govpki.db" "UPDATE kmc_key SET wrapped = substr(wrapped, 1, 30) || X'ff' || substr(wrapped, 32)"
expect_fail "recover from a damaged escrow record" 7 "fails its integrity check .* nothing released" \
	ct $R kmc recover --id "$id" --out "$T/rec.env" $PASS
[ ! -e "$T/rec.env" ] && ok "... nothing released" || not_ok "... nothing released"
cp "$T/r1.db.orig" "$T/r1/govpki.db"
expect "recover in the restored home" ct $R kmc recover --id "$id" --out "$T/rec.env" $PASS
expect "sec opens it" ct kmc open --in "$T/rec.env" --key "$T/sec.enc.key" --key-pass-file "$T/pass" \
	--out "$T/alice.recovered.key" --out-pass-file "$T/pass"
expect "the document decrypts with the key escrowed before the backup" openssl pkeyutl -decrypt \
	-inkey "$T/alice.recovered.key" -passin "file:$T/pass" -in "$T/doc.sm2" -out "$T/doc.out"
cmp -s "$T/doc.txt" "$T/doc.out" && ok "... to the very document" || not_ok "... to the very document"
finish
