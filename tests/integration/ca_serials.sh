#!/bin/bash
# ca_serials: ca-tool takes a serial in every form openssl prints it
# (x509 -serial, x509 -text's colon form, 0x, any case), refuses other forms
# with exit 4 and the store unchanged, and `show SERIAL` finds the one CA
# that issued it (issue 20.7).  The serials are read with openssl.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
DB="$GOVPKI_HOME/govpki.db"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Issuing" $PASS >/dev/null
genkey ec-p256 "$d/k"
mkcsr ec-p256 "$d/k" "$d/a.csr" "/C=CN/O=Example/CN=a.example.cn" "DNS:a.example.cn"
ct issue --ca issuing --profile tls-server --csr "$d/a.csr" --out "$d/a.pem" $PASS

# the forms, as openssl prints them
labelled=$(openssl x509 -in "$d/a.pem" -noout -serial)             # serial=3BA1...
SN=${labelled#serial=}
openssl x509 -in "$d/a.pem" -noout -text > "$T/a.txt"
colon=$(sed -n '/Serial Number:/{n;s/^ *//;p;q}' "$T/a.txt")         # 3b:a1:...
[[ $colon =~ ^[0-9a-f]{2}(:[0-9a-f]{2})+$ ]] && ok "openssl prints the serial as $colon" ||
	not_ok "openssl's colon form of the serial (got '$colon')"

check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$3', want '$2')"; fi; }
# shown: the serial line as ca-tool prints it (hex without colons), in lower case
shown() { local s; s=$(sed -n 's/^serial: *//p' "$T/stdout"); echo "${s,,}"; }
for form in "$SN" "${SN,,}" "$labelled" "$colon" "${colon^^}" "0x${SN,,}"; do
	expect "show --ca issuing --serial $form" ct show --ca issuing --serial "$form"
	check "... is the certificate openssl read" "${SN,,}" "$(shown)"
done
expect "show $colon: the CA is found" ct show "$colon"
check "... its serial" "${SN,,}" "$(shown)"
check "... its CA" "issuing" "$(sed -n 's/^ca: *//p' "$T/stdout")"
expect "show --json $SN without --ca" ct --json show "$SN"
check "... the CA in JSON" "issuing" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ca"])' "$T/stdout")"
expect "revoke with the colon form" ct revoke --ca issuing --serial "$colon" --reason superseded
expect "... and show it" ct show --ca issuing --serial "$SN"
check "... revoked" "revoked" "$(sed -n 's/^status: *//p' "$T/stdout")"

# refused RULE SERIAL: exit 4 naming the serial, the store unchanged
refused() {
	store_dump > "$T/before"
	expect_fail "serial '$2' refused: $1" 4 "bad serial" ct show --ca issuing --serial "$2"
	store_dump > "$T/after"
	cmp -s "$T/before" "$T/after" && ok "... store unchanged" || not_ok "... store changed"
}
refused "one digit after a colon" "${colon%?}"
refused "two colons" "${colon/:/::}"
refused "a leading colon" ":$colon"
refused "a trailing colon" "$colon:"
refused "three digits between colons" "${colon:0:2}${colon:3}"
refused "not hex" "3b:zz"
refused "nothing after the label" "serial="
refused "nothing after 0x" "0x"
refused "21 octets" "$(printf '01:%.0s' $(seq 20))01"
refused "41 digits" "$(printf '1%.0s' $(seq 41))"
expect_fail "show with two serials" 2 "one serial" ct show "$SN" "$SN"
expect_fail "show without a serial" 2 "needs a serial" ct show
expect_fail "show of a serial no CA issued" 3 "no CA of this store issued a certificate with serial 0BADC0DE" ct show 0BADC0DE

# two CAs with one serial (serials are unique per CA only, RFC 5280
# 4.1.2.2): a copy of the row under root, made with sqlite3
sqlite3 "$DB" "INSERT INTO cert (ca_id, serial, subject, sans, not_before, not_after, profile, issued_at, fingerprint, der)
	SELECT (SELECT id FROM ca WHERE name = 'root'), serial, subject, sans, not_before, not_after, profile, issued_at, randomblob(32), der
	FROM cert WHERE ca_id = (SELECT id FROM ca WHERE name = 'issuing')"
expect_fail "show of a serial two CAs issued" 4 "serial $SN was issued by the CAs .*: say which with --ca" ct show "$SN"
grep -q "root" "$T/stderr" && grep -q "issuing" "$T/stderr" && ok "... naming both" || not_ok "... naming both"
expect "... and --ca picks one" ct show --ca issuing "$SN"
finish
