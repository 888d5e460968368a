#!/bin/bash
# audit_tamper: `ca-tool audit verify` on copies of a store whose audit log
# was edited with sqlite3: entries cut off its end (the chain still holds,
# but the CAs, certificates and CRLs they recorded remain) and rows holding
# what reading would convert (a time with text after it, a NUL byte inside
# text, a hash one byte too long).  Each fails with exit 7 and a message
# naming the entry or the object; the untouched store verifies.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Issuing" $PASS >/dev/null
genkey ec-p256 "$d/k"
for n in 1 2 3; do
	mkcsr ec-p256 "$d/k" "$d/$n.csr" "/C=CN/O=Example/CN=host$n.example.cn" "DNS:host$n.example.cn"
	ct issue --ca issuing --profile tls-server --csr "$d/$n.csr" --out "$d/$n.pem" $PASS
done
sn() { openssl x509 -in "$d/$1.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'; }
ct revoke --ca issuing --serial "$(sn 2)" --reason keyCompromise >/dev/null
ct revoke --ca issuing --serial "$(sn 3)" --reason certificateHold >/dev/null
ct crl --ca issuing --out "$d/crl.der" $PASS >/dev/null
# entries: ca.create x2, cert.issue x3, cert.revoke, cert.hold, crl.publish
last=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT max(seq) FROM audit")
[ "$last" -eq 8 ] && ok "the store holds 8 audit entries" || not_ok "the store holds 8 audit entries ($last)"

expect "untouched store verifies" ct audit verify
grep -q "audit chain intact: 8 entries" "$T/stdout" && ok "untouched: 8 entries intact" || not_ok "untouched: 8 entries intact"
head=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT lower(hex(hash)) FROM audit WHERE seq = 8")
grep -q "the last is #8 with hash $head" "$T/stdout" && ok "the head of the chain is printed" || not_ok "the head of the chain is printed ($head)"

# tamper DESCRIPTION PATTERN SQL: on a copy of the store, SQL makes
# `audit verify` fail with exit 7 and a message matching PATTERN
tamper() {
	local what=$1 pat=$2 sql=$3 copy="$T/copy"
	rm -rf "$copy"
	cp -r "$GOVPKI_HOME" "$copy"
	if ! sqlite3 "$copy/govpki.db" "$sql"; then not_ok "$what (sqlite3 refused the edit)"; return; fi
	expect_fail "$what" 7 "$pat" ct --home "$copy" audit verify
}

# entries cut off the end: the chain holds, the rows they recorded remain
tamper "last entry deleted" "incomplete after entry 7: CRL issuing/crl/1 has no crl.publish entry" \
	"DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"
tamper "last two entries deleted" "certificate on hold $(sn 3) \(issuer 'issuing'\) has no cert.hold entry" \
	"DELETE FROM audit WHERE seq > 6"
tamper "last three entries deleted" "revoked certificate $(sn 2) \(issuer 'issuing'\) has no cert.revoke entry" \
	"DELETE FROM audit WHERE seq > 5"
tamper "issuance entries deleted" "certificate $(sn 2) \(issuer 'issuing'\) has no cert.issue entry: entries were deleted" \
	"DELETE FROM audit WHERE seq > 3"
tamper "every entry deleted" "audit log is empty: CA root has no ca.create entry" \
	"DELETE FROM audit"
tamper "certificate added behind the log's back" "certificate 0102 \(issuer 'issuing'\) has no cert.issue entry" \
	"INSERT INTO cert (ca_id, serial, subject, not_before, not_after, issued_at, fingerprint, der)
	 SELECT ca_id, x'0102', subject, not_before, not_after, issued_at, randomblob(32), der
	 FROM cert WHERE id = (SELECT max(id) FROM cert)"

# rows that reading as the declared type would have converted
tamper "time with text after it" "entry 3: malformed row \(time is text, not an integer\)" \
	"UPDATE audit SET time = CAST(time AS TEXT) || 'abc' WHERE seq = 3"
tamper "NUL byte inside detail" "entry 4: malformed row \(detail holds a NUL byte\)" \
	"UPDATE audit SET detail = detail || char(0) || 'and more' WHERE seq = 4"
tamper "hash one byte too long" "entry 5: malformed row \(hash is 33 bytes, not 32\)" \
	"UPDATE audit SET hash = CAST(hash || x'00' AS BLOB) WHERE seq = 5"
tamper "prev_hash with a byte appended (as text)" "entry 6: malformed row \(prev_hash is text, not a blob\)" \
	"UPDATE audit SET prev_hash = prev_hash || x'00' WHERE seq = 6"
# and what was caught before
tamper "entry edited" "entry 4: hash does not match" \
	"UPDATE audit SET actor = 'mallory' WHERE seq = 4"
tamper "entry in the middle deleted" "entry 5: previous entry missing" \
	"DELETE FROM audit WHERE seq = 4"

expect "untouched store still verifies" ct audit verify
finish
