#!/bin/bash
# kmc_recover: key recovery with M of N officers of role recovery-officer
# (M = 2, N = 3): M approvals deliver the key, M - 1 do not, the same
# officer twice counts once, an officer without the role, the requester and
# a signature by another key are refused, a request is carried out once;
# the key is delivered enveloped to the named recipient only (the applicant's
# own key does not open it), a key whose certificates are revoked is still
# recovered, every step is in the audit log, and documents encrypted to the
# old encryption certificate (sm-crypto SM2 encryption; openssl cms
# -encrypt for EC) decrypt with the recovered key.
. "$(dirname "$0")/lib.sh"
sm_crypto_setup "documents SM2-encrypted by sm-crypto not tried"

DB=$GOVPKI_HOME/govpki.db
# enc_key TYPE NAME: a key NAME.key, its encrypted copy NAME.enc.key and a CSR
enc_key() {
	genkey "$1" "$T/$2.key"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/$2.key" -passout "file:$T/pass" -out "$T/$2.enc.key"
	mkcsr "$1" "$T/$2.key" "$T/$2.csr" "/CN=$2"
}
pub_hex() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n'; }
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
audit_of() { sqlite3 "$DB" "SELECT action FROM audit WHERE object = 'recovery:$1' ORDER BY seq" | tr '\n' ' '; }

expect "a root CA (SM2)" ct init --name sm2ca --subject "/CN=KMC SM2 Root" --key-type sm2 $PASS
expect "a root CA (P-256)" ct init --name ecca --subject "/CN=KMC EC Root" --key-type ec-p256 $PASS
expect "kmc init" ct kmc init $PASS
# the holders: alice (SM2) and bob (P-256), each with a dual pair
for h in alice:sm2:sm2ca bob:ec-p256:ecca; do
	IFS=: read -r n t ca <<<"$h"
	enc_key "$t" "$n"
	expect "$n: issue-dual" ct kmc issue-dual --ca "$ca" --csr "$T/$n.csr" $PASS \
		--sign-out "$T/$n.sign.pem" --enc-out "$T/$n.enc.pem" --envelope-out "$T/$n.env.der"
done
# officers o1..o3 of role recovery-officer, an RA officer, recipients
for n in o1 o2 o3 raoff ecsec; do
	enc_key ec-p256 "$n"
	ct issue --ca ecca --profile person --csr "$T/$n.csr" --out "$T/$n.pem" $PASS >/dev/null 2>&1 || not_ok "certificate for $n"
done
enc_key sm2 sec
ct issue --ca sm2ca --profile person --csr "$T/sec.csr" --out "$T/sec.pem" $PASS >/dev/null 2>&1 || not_ok "certificate for sec"
for n in o1 o2 o3; do
	expect "register recovery officer $n" ct kmc officer add --name $n --cert "$T/$n.pem"
done
expect "raoff is an RA officer, not a recovery officer" ct officer add --name raoff --cert "$T/raoff.pem" --role officer
expect_fail "the same certificate twice" 4 "registered already" ct kmc officer add --name o4 --cert "$T/o1.pem"
expect "kmc officer list" ct --json kmc officer list
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert [o["name"] for o in r] == ["o1", "o2", "o3"] and all(o["role"] == "recovery-officer" and o["enabled"] for o in r), r' "$T/stdout" &&
	ok "three recovery officers" || not_ok "three recovery officers"

# documents encrypted to the old encryption certificates, before anything is revoked
printf 'minutes of the meeting, kept for 30 years\n' > "$T/doc.txt"
if [ "$have_sm_crypto" = 1 ]; then
	node "$top_srcdir/tests/integration/kmc_sm2_encrypt.js" "$NPM_DIR" "$(pub_hex "$T/alice.enc.pem")" "$T/doc.txt" > "$T/doc.sm2.hex" &&
		python3 "$top_srcdir/tests/integration/kmc_sm2_asn1.py" "$(cat "$T/doc.sm2.hex")" "$T/doc.sm2.der" &&
		ok "sm-crypto encrypts a document to alice's encryption certificate" || not_ok "sm-crypto encrypts a document to alice's encryption certificate"
fi
expect "openssl cms -encrypt a document to bob's encryption certificate" openssl cms -encrypt -binary -aes-256-cbc \
	-in "$T/doc.txt" -outform DER -out "$T/doc.cms" "$T/bob.enc.pem"

# alice's pair is revoked: her key is still recoverable
expect "revoke alice's pair" ct kmc revoke-pair --ca sm2ca --serial "$(serial "$T/alice.sign.pem")" --reason keyCompromise
expect "recover-request for alice's key, to sec" ct --json kmc recover-request --ca sm2ca --serial "$(serial "$T/alice.enc.pem")" \
	--recipient "$T/sec.pem" --requester alice --reason "alice left; her files are needed"
id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$T/stdout")
rm -f "$T/rec.env"
expect_fail "recover with no approval" 1 "has 0 of the 2 approvals it needs: nothing released" ct kmc recover --id "$id" --out "$T/rec.env" $PASS
[ ! -e "$T/rec.env" ] && ok "... nothing written" || not_ok "... nothing written"
appr() { local who=$1 key=$2; shift 2; ct kmc recover-approve --id "$id" --officer "$who" --officer-key "$T/$key.enc.key" --officer-pass-file "$T/pass" "$@"; }
expect "o1 approves" appr o1 o1
grep -q "1 of 2 approvals" "$T/stdout" && ok "... 1 of 2" || not_ok "... 1 of 2"
expect "o1 approves again" appr o1 o1
grep -q "1 of 2 approvals" "$T/stdout" && ok "... the same officer twice counts once" || not_ok "... the same officer twice counts once"
expect_fail "recover with M - 1 approvals" 1 "has 1 of the 2 approvals" ct kmc recover --id "$id" --out "$T/rec.env" $PASS
[ ! -e "$T/rec.env" ] && ok "... nothing written" || not_ok "... nothing written"
expect_fail "an RA officer without the role" 1 "raoff is no enabled officer of role recovery-officer" appr raoff raoff
expect_fail "an unknown officer" 1 "nobody is no enabled officer of role recovery-officer" appr nobody o2
expect_fail "o2's name with o1's key" 1 "approval of o2 does not verify with its registered certificate" appr o2 o1
expect "recover-show" ct --json kmc recover-show --id "$id"
grep -q '"approvals": 1' "$T/stdout" && ok "... the refused ones did not count" || not_ok "... the refused ones did not count"
expect "o2 approves" appr o2 o2
grep -q "2 of 2 approvals" "$T/stdout" && ok "... 2 of 2" || not_ok "... 2 of 2"
expect "recover with M approvals" ct kmc recover --id "$id" --out "$T/rec.env" $PASS
grep -q "SM2EnvelopedKey" "$T/stderr" && ok "... an SM2EnvelopedKey to sec" || not_ok "... an SM2EnvelopedKey to sec"
expect_fail "a request is carried out once" 4 "carried out already" ct kmc recover --id "$id" --out "$T/rec2.env" $PASS
expect_fail "no approval after it is carried out" 4 "carried out already" appr o3 o3
# the applicant never sees the escrowed key: only the recipient opens it
expect_fail "alice's own key does not open the recovered envelope" 7 "not for this key" ct kmc open --in "$T/rec.env" \
	--key "$T/alice.enc.key" --key-pass-file "$T/pass" --out "$T/alice.got" --out-pass-file "$T/pass"
[ ! -e "$T/alice.got" ] && ok "... nothing written for alice" || not_ok "... nothing written for alice"
expect "sec opens the recovered envelope" ct kmc open --in "$T/rec.env" --key "$T/sec.enc.key" --key-pass-file "$T/pass" \
	--out "$T/alice.recovered.key" --out-pass-file "$T/pass"
[ "$(openssl pkey -in "$T/alice.recovered.key" -passin "file:$T/pass" -pubout)" = "$(openssl x509 -in "$T/alice.enc.pem" -noout -pubkey)" ] &&
	ok "the recovered key is alice's encryption key" || not_ok "the recovered key is alice's encryption key"
if [ "$have_sm_crypto" = 1 ]; then
	expect "the sm-crypto document decrypts with the recovered key" openssl pkeyutl -decrypt -inkey "$T/alice.recovered.key" \
		-passin "file:$T/pass" -in "$T/doc.sm2.der" -out "$T/doc.sm2.out"
	cmp -s "$T/doc.txt" "$T/doc.sm2.out" && ok "... to the very document" || not_ok "... to the very document"
fi
a=$(audit_of "$id")
[ "$a" = "kmc.recover.request kmc.recover.refuse kmc.recover.approve kmc.recover.refuse kmc.recover.refuse kmc.recover.refuse kmc.recover.refuse kmc.recover.approve kmc.recover " ] &&
	ok "every step is in the audit log" || not_ok "every step is in the audit log: $a"

# bob (P-256): recovered through CMS to an EC recipient
expect "recover-request for bob's key" ct --json kmc recover-request --kid "$(sqlite3 "$DB" "SELECT kid FROM kmc_key WHERE type = 'ec-p256'")" \
	--recipient "$T/ecsec.pem" --requester o3
id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$T/stdout")
expect_fail "the requester may not approve its own request" 1 "o3 asked for this recovery and may not approve it" appr o3 o3
expect "o1 approves" appr o1 o1
expect "o2 approves" appr o2 o2
expect "recover bob's key" ct kmc recover --id "$id" --out "$T/bob.rec.env" $PASS
expect "openssl cms -decrypt opens it with the recipient's key" openssl cms -decrypt -inform DER -in "$T/bob.rec.env" \
	-inkey "$T/ecsec.key" -recip "$T/ecsec.pem" -binary -out "$T/bob.p8"
expect "the document decrypts with the recovered key" openssl cms -decrypt -inform DER -in "$T/doc.cms" \
	-inkey "$T/bob.p8" -keyform DER -recip "$T/bob.enc.pem" -binary -out "$T/doc.cms.out"
cmp -s "$T/doc.txt" "$T/doc.cms.out" && ok "... to the very document" || not_ok "... to the very document"

# bad requests: nothing recorded
before=$(store_dump)
nothing() { [ "$(store_dump)" = "$before" ] && ok "$1: the store unchanged" || not_ok "$1: the store unchanged"; }
expect_fail "an SM2 key to an EC recipient" 4 "delivered to SM2 recipients only" ct kmc recover-request --ca sm2ca \
	--serial "$(serial "$T/alice.enc.pem")" --recipient "$T/ecsec.pem" --requester x; nothing "SM2 to EC"
expect_fail "a certificate of no pair" 3 "not one of a KMC pair" ct kmc recover-request --ca ecca --serial "$(serial "$T/o1.pem")" \
	--recipient "$T/ecsec.pem" --requester x; nothing "no pair"
expect_fail "an unknown key id" 3 "no escrowed key" ct kmc recover-request --kid 00 --recipient "$T/ecsec.pem" --requester x; nothing "unknown kid"
printf '[kmc]\nrecovery_approvals = 4\n' > "$T/m4.cnf"
expect_fail "M = 4 with N = 3" 4 "4 approvals are needed .* only 3 recovery officers" ct --config "$T/m4.cnf" --home "$GOVPKI_HOME" \
	kmc recover-request --kid "$(sqlite3 "$DB" "SELECT kid FROM kmc_key WHERE type = 'ec-p256'")" --recipient "$T/ecsec.pem" --requester x; nothing "M > N"
printf '[kmc]\nrecovery_aprovals = 2\n' > "$T/typo.cnf"
expect_fail "an unknown [kmc] key" 4 "unknown key 'recovery_aprovals' in \[kmc\]" ct --config "$T/typo.cnf" --home "$GOVPKI_HOME" \
	kmc recover-request --kid 00 --recipient "$T/ecsec.pem" --requester x; nothing "typo"
expect_fail "approve an unknown request" 3 "no key recovery request 99" appr o1 o1 --id 99; nothing "unknown request"
expect "audit verify" ct audit verify
finish
