#!/bin/bash
# ca_keyblock: a key whose certificate was revoked for keyCompromise, and a
# CA's own key, are never certified again by ca-tool (issue 21.3): one CSR,
# a batch, the same key encoded otherwise (a compressed EC point, made by
# openssl), and a store of the schema before, filled when it is upgraded.
# The store is read with sqlite3, the certificates with openssl.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
DB="$GOVPKI_HOME/govpki.db"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Issuing" $PASS >/dev/null
issue() { ct issue --ca issuing --profile tls-server $PASS "$@"; }
certs() { sqlite3 -readonly "$DB" "SELECT count(*) FROM cert"; }

genkey ec-p256 "$d/k"
mkcsr ec-p256 "$d/k" "$d/a.csr" "/C=CN/O=Example/CN=a.example.cn" "DNS:a.example.cn"
mkcsr ec-p256 "$d/k" "$d/b.csr" "/C=CN/O=Example/CN=b.example.cn" "DNS:b.example.cn"
expect "a key is certified" issue --csr "$d/a.csr" --out "$d/a.pem"
SN=$(openssl x509 -in "$d/a.pem" -noout -serial | cut -d= -f2)
expect "... and again, while it is not compromised" issue --csr "$d/b.csr" --out "$d/b0.pem"
expect "its certificate is revoked for keyCompromise" ct revoke --ca issuing --serial "$SN" --reason keyCompromise

n=$(certs)
expect_fail "a new CSR of that key is refused" 4 "compromised: certificate ${SN,,} of CA issuing was revoked for keyCompromise" \
	issue --csr "$d/b.csr" --out "$d/b.pem"
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got $3, want $2)"; fi; }
check_eq "... nothing stored" "$n" "$(certs)"
[ ! -e "$d/b.pem" ] && ok "... nothing written" || not_ok "... a file was written"

# the same key with its point compressed: another SubjectPublicKeyInfo
openssl ec -in "$d/k" -conv_form compressed -out "$d/kc" 2>/dev/null
mkcsr ec-p256 "$d/kc" "$d/c.csr" "/C=CN/O=Example/CN=c.example.cn" "DNS:c.example.cn"
spki() { openssl req -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | wc -c; }
check_eq "openssl: the compressed CSR's key is 59 bytes of DER, the other 91" "59 91" "$(spki "$d/c.csr") $(spki "$d/b.csr")"
expect_fail "the same key compressed is refused too" 4 "compromised" issue --csr "$d/c.csr" --out "$d/c.pem"

# a batch: the compromised key's CSR fails alone
mkdir -p "$d/batch"
cp "$d/b.csr" "$d/batch/1.csr"
for i in 2 3; do
	genkey ec-p256 "$d/k$i"
	mkcsr ec-p256 "$d/k$i" "$d/batch/$i.csr" "/C=CN/O=Example/CN=h$i.example.cn" "DNS:h$i.example.cn"
done
n=$(certs)
expect_fail "a batch with one compromised key: exit 4" 4 "compromised" issue --batch "$d/batch" --out-dir "$d/out"
check_eq "... the two others are issued" "$((n + 2))" "$(certs)"
[ -s "$d/out/2.pem" ] && [ -s "$d/out/3.pem" ] && [ ! -e "$d/out/1.pem" ] &&
	ok "... and written, the refused one not" || not_ok "... batch outputs: $(ls "$d/out" | tr '\n' ' ')"

# a CA's own key, in a CSR or for a new CA
openssl pkey -in "$GOVPKI_HOME/keys/issuing.key" -passin "pass:test-passphrase" -out "$d/ca.plain"
mkcsr ec-p256 "$d/ca.plain" "$d/ca.csr" "/C=CN/O=Example/CN=me.example.cn" "DNS:me.example.cn"
expect_fail "a CSR carrying the issuing CA's key is refused" 4 "public key of CA issuing" issue --csr "$d/ca.csr" --out "$d/x.pem"
openssl pkey -in "$GOVPKI_HOME/keys/root.key" -passin "pass:test-passphrase" -out "$d/root.plain"
mkcsr ec-p256 "$d/root.plain" "$d/root.csr" "/C=CN/O=Example/CN=me.example.cn" "DNS:me.example.cn"
expect_fail "... and one carrying the root's key" 4 "public key of CA root" issue --csr "$d/root.csr" --out "$d/x.pem"
expect_fail "a new CA on another CA's key is refused" 4 "public key of CA issuing" \
	ct init --name twin --parent root --key "$GOVPKI_HOME/keys/issuing.key" --subject "/C=CN/O=Example/CN=Twin" $PASS
check_eq "... and not made" 0 "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM ca WHERE name = 'twin'")"

# a store of schema 1 (before the table existed): opening it read-write
# fills the table from the CAs and the revoked certificates
sqlite3 "$DB" "DROP TABLE key_block; PRAGMA user_version = 1"
expect_fail "after the upgrade of a schema 1 store: still refused" 4 "compromised" issue --csr "$d/b.csr" --out "$d/b.pem"
check_eq "... the store is at schema 2" 2 "$(sqlite3 -readonly "$DB" "PRAGMA user_version")"
check_eq "... with 2 CA keys and 1 compromised key" "1|1
2|2" "$(sqlite3 -readonly "$DB" "SELECT why, count(*) FROM key_block GROUP BY why ORDER BY why")"
expect_fail "... and a CA's key refused" 4 "public key of CA issuing" issue --csr "$d/ca.csr" --out "$d/x.pem"
genkey ec-p256 "$d/k4"
mkcsr ec-p256 "$d/k4" "$d/d.csr" "/C=CN/O=Example/CN=d.example.cn" "DNS:d.example.cn"
expect "... while a fresh key is certified" issue --csr "$d/d.csr" --out "$d/d.pem"
expect "openssl verifies it" openssl verify -CAfile <(ct export --ca root) -untrusted <(ct export --ca issuing) "$d/d.pem"

finish
