#!/bin/bash
# kmc_escrow: the KMC's storage key and escrow records (ca-tool kmc init,
# genkey, list, check): keys generated and escrowed, read back by openssl;
# every bad input (no store, no KMC, wrong or empty passphrase, a second
# init, a key type that cannot encrypt, a missing, damaged or foreign
# storage key file, edited and swapped escrow rows, a row without its
# audit entry) a clear error, with nothing written and nothing released.
. "$(dirname "$0")/lib.sh"

DB=$GOVPKI_HOME/govpki.db
SK=$GOVPKI_HOME/keys/kmc-storage.key

expect_fail "kmc init without a store" 3 "no store at" ct kmc init $PASS
[ ! -e "$GOVPKI_HOME" ] && ok "... made no home" || not_ok "... made no home"
expect "a root CA" ct init --name root --subject "/CN=KMC Test Root" --key-type ec-p256 $PASS
expect_fail "genkey before kmc init" 3 "has no KMC \(ca-tool kmc init makes one\)" ct kmc genkey $PASS
: > "$T/empty"
before=$(store_dump)
expect_fail "kmc init with an empty passphrase" 5 "passphrase" ct kmc init --pass-file "$T/empty"
[ ! -e "$SK" ] && [ "$(store_dump)" = "$before" ] && ok "... nothing written" || not_ok "... nothing written"
expect "kmc init" ct kmc init $PASS
[ "$(stat -c %a "$SK")" = 600 ] && ok "the storage key file is mode 0600" || not_ok "the storage key file is mode 0600"
grep -q "^-----BEGIN GOVPKI KMC STORAGE KEY-----" "$SK" && ok "... a PEM of its own label" || not_ok "... a PEM of its own label"
before=$(store_dump); cp "$SK" "$T/sk.orig"
expect_fail "a second kmc init" 4 "has a KMC already" ct kmc init $PASS
cmp -s "$SK" "$T/sk.orig" && [ "$(store_dump)" = "$before" ] && ok "... the key file and the store unchanged" || not_ok "... the key file and the store unchanged"
mv "$SK" "$T/sk.moved"
expect_fail "kmc init again after the key file is lost" 4 "restored from a backup, never made anew" ct kmc init $PASS
[ ! -e "$SK" ] && ok "... no new storage key" || not_ok "... no new storage key"
mv "$T/sk.moved" "$SK"

# keys of each type, read back by openssl
for t in sm2 ec-p256 rsa2048; do
	expect "genkey $t" ct --json kmc genkey --type $t --holder "/CN=holder $t" $PASS
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); open(sys.argv[2], "w").write(d["public_key"]); print(d["kid"])' \
		"$T/stdout" "$T/$t.pub" > "$T/$t.kid"
	grep -Eq '^[0-9a-f]{32}$' "$T/$t.kid" && ok "$t: a key id of 32 hex digits" || not_ok "$t: a key id of 32 hex digits"
	expect "$t: openssl reads the public key" openssl pkey -pubin -in "$T/$t.pub" -noout -text
	case $t in
	sm2) want="ASN1 OID: SM2" ;; ec-p256) want="NIST CURVE: P-256" ;; rsa2048) want="Public-Key: \(2048 bit\)" ;;
	esac
	grep -Eq "$want" "$T/stdout" && ok "$t: $want" || { not_ok "$t: $want"; show 5 "$T/stdout"; }
done
expect "kmc list" ct --json kmc list
python3 - "$T/stdout" "$T/sm2.kid" "$T/ec-p256.kid" "$T/rsa2048.kid" <<'PY' && ok "list: the three keys, their types and holders" || not_ok "list: the three keys, their types and holders"
import json, sys
rows = json.load(open(sys.argv[1]))
kids = [open(f).read().strip() for f in sys.argv[2:]]
assert [r["kid"] for r in rows] == kids, rows
assert [r["type"] for r in rows] == ["sm2", "ec-p256", "rsa2048"], rows
assert all(r["holder"] == "/CN=holder " + r["type"] and r["encryption_serial"] is None for r in rows), rows
PY
expect "kmc check" ct kmc check $PASS
grep -q "^3 escrowed keys unseal" "$T/stdout" && ok "... all three unseal" || not_ok "... all three unseal"
# the private key is stored sealed: no PKCS#8 PrivateKeyInfo in the row
n=$(sqlite3 "$DB" "SELECT count(*) FROM kmc_key WHERE hex(wrapped) LIKE '3082%' OR hex(wrapped) LIKE '3081%'")
[ "$n" = 0 ] && ok "no row holds a clear PKCS#8 key" || not_ok "no row holds a clear PKCS#8 key"
expect "audit verify" ct audit verify

# bad input: nothing written
before=$(store_dump)
nothing() { [ "$(store_dump)" = "$before" ] && ok "$1: the store unchanged" || not_ok "$1: the store unchanged"; }
printf 'wrong\n' > "$T/wrong"
expect_fail "genkey with a wrong passphrase" 5 "wrong passphrase for the KMC storage key" ct kmc genkey --pass-file "$T/wrong"; nothing "wrong passphrase"
expect_fail "genkey ed25519 (cannot encrypt)" 2 "--type must be sm2" ct kmc genkey --type ed25519 $PASS; nothing "ed25519"
expect_fail "genkey of an unknown type" 2 "not 'dsa'" ct kmc genkey --type dsa $PASS; nothing "unknown type"
expect_fail "genkey with a stray argument" 2 "unexpected argument 'x'" ct kmc genkey x $PASS; nothing "stray argument"
expect_fail "an unknown kmc command" 2 "" ct kmc frob; nothing "unknown command"
mv "$SK" "$T/sk.moved"
expect_fail "the storage key file missing" 3 "storage key .* is missing: restore it from a backup" ct kmc check $PASS; nothing "missing key file"
head -c 60 "$T/sk.moved" > "$SK"
expect_fail "a damaged storage key file" 7 "is not a KMC storage key file" ct kmc check $PASS; nothing "damaged key file"
rm "$SK"
# another KMC's storage key, under the same passphrase
(export GOVPKI_HOME="$T/other"; ct init --name o --subject /CN=o --key-type ec-p256 $PASS && ct kmc init $PASS) >/dev/null 2>&1 ||
	not_ok "a second home with a KMC"
cp "$T/other/keys/kmc-storage.key" "$SK"
expect_fail "another KMC's storage key" 7 "is not this store's" ct kmc check $PASS; nothing "foreign key file"
mv "$T/sk.moved" "$SK"
expect "the right key back: check passes" ct kmc check $PASS

# edited and swapped rows are detected and no key is used
cp "$DB" "$T/db.orig"
tamper() {
	local what=$1 sql=$2 pat=$3
	cp "$T/db.orig" "$DB"
	sqlite3 "$DB" "$sql"
	expect_fail "$what: detected" 7 "$pat" ct kmc check $PASS
}
sm2=$(cat "$T/sm2.kid"); p256=$(cat "$T/ec-p256.kid")
tamper "sealed keys swapped between rows" \
	"UPDATE kmc_key SET wrapped = (SELECT wrapped FROM kmc_key WHERE kid = '$p256') WHERE kid = '$sm2'" \
	"escrow record $sm2 fails its integrity check"
tamper "a row's key id changed" "UPDATE kmc_key SET kid = '$(printf '%032d' 7)' WHERE kid = '$sm2'" \
	"escrow record 0{31}7 fails its integrity check"
tamper "a row linked to a certificate behind the KMC's back" \
	"UPDATE kmc_key SET ca_id = 1, serial = X'01' WHERE kid = '$sm2'" "escrow record $sm2 fails"
tamper "a public key swapped" \
	"UPDATE kmc_key SET pub = (SELECT pub FROM kmc_key WHERE kid = '$p256') WHERE kid = '$sm2'" "escrow record $sm2 fails"
tamper "a byte of a sealed key flipped" \
	"UPDATE kmc_key SET wrapped = substr(wrapped, 1, 40) || X'00' || substr(wrapped, 42) WHERE kid = '$p256'" \
	"escrow record $p256 fails its integrity check"
tamper "a sealed key truncated" "UPDATE kmc_key SET wrapped = X'01' WHERE kid = '$p256'" "escrow record $p256 is damaged"
cp "$T/db.orig" "$DB"
# a row the audit log does not record (added behind its back)
sqlite3 "$DB" "INSERT INTO kmc_key (kid, type, created, pub, wrapped) SELECT 'ffff' || substr(kid, 5), type, created, pub, wrapped FROM kmc_key WHERE kid = '$sm2'"
expect_fail "audit verify: an escrowed key without its entry" 7 "escrowed key kmc:ffff" ct audit verify
cp "$T/db.orig" "$DB"
expect "audit verify after the restore" ct audit verify
finish
