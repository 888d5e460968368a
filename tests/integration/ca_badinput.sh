#!/bin/bash
# ca_badinput: every kind of bad input to ca-tool gets one clear line, a
# non-zero exit code of its kind, and leaves the store exactly as it was.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Issuing" $PASS >/dev/null
genkey ec-p256 "$d/k"
mkcsr ec-p256 "$d/k" "$d/good.csr" "/C=CN/O=Example/CN=host.example.cn" "DNS:host.example.cn"
ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/good.pem" $PASS 2>/dev/null
SN=$(openssl x509 -in "$d/good.pem" -noout -serial | cut -d= -f2)

# refused DESCRIPTION EXIT PATTERN COMMAND...: fails as expected and the store is unchanged
refused() {
	local what=$1 want=$2 pat=$3; shift 3
	store_dump > "$T/before"
	expect_fail "$what" "$want" "$pat" "$@"
	store_dump > "$T/after"
	cmp -s "$T/before" "$T/after" && ok "$what: store unchanged" || not_ok "$what: store changed"
}
issue() { ct issue --ca issuing --out "$d/out.pem" $PASS "$@"; }

# CSR inputs
head -c 700 /dev/urandom > "$d/garbage.csr"
refused "garbage CSR" 4 "not a CSR" issue --profile tls-server --csr "$d/garbage.csr"
: > "$d/empty.csr"
refused "empty CSR" 4 "CSR" issue --profile tls-server --csr "$d/empty.csr"
head -c 200 "$d/good.csr" > "$d/trunc.csr"
refused "truncated PEM CSR" 4 "CSR" issue --profile tls-server --csr "$d/trunc.csr"
openssl req -in "$d/good.csr" -outform DER -out "$d/good.der"
head -c 100 "$d/good.der" > "$d/trunc.der"
refused "truncated DER CSR" 4 "CSR" issue --profile tls-server --csr "$d/trunc.der"
python3 - "$d/good.der" "$d/badsig.der" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-3] ^= 0x55          # inside the signature's INTEGER s
open(sys.argv[2], 'wb').write(b)
PY
refused "CSR with a broken signature" 7 "signature" issue --profile tls-server --csr "$d/badsig.der"
refused "missing CSR file" 3 "No such file" issue --profile tls-server --csr "$d/nonexistent.csr"
genkey rsa1024 "$d/rsa1024"
mkcsr rsa2048 "$d/rsa1024" "$d/rsa1024.csr" "/CN=weak.example.cn" "DNS:weak.example.cn"
refused "RSA-1024 key" 4 "2048" issue --profile tls-server --csr "$d/rsa1024.csr"
openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out "$d/explicit.key" 2>/dev/null
openssl req -new -key "$d/explicit.key" -subj "/CN=explicit.example.cn" -addext "subjectAltName=DNS:explicit.example.cn" -out "$d/explicit.csr" 2>/dev/null
refused "explicit EC parameters" 4 "explicit" issue --profile tls-server --csr "$d/explicit.csr"

# profile violations
mkcsr ec-p256 "$d/k" "$d/nosan.csr" "/C=CN/O=Example/CN=host.example.cn"
refused "tls-server without SAN" 4 "subjectAltName" issue --profile tls-server --csr "$d/nosan.csr"
mkcsr ec-p256 "$d/k" "$d/emailsan.csr" "/CN=host.example.cn" "DNS:host.example.cn,email:a@example.cn"
refused "SAN type not allowed" 4 "email|rfc822|SAN" issue --profile tls-server --csr "$d/emailsan.csr"
mkcsr ec-p256 "$d/k" "$d/emailattr.csr" "/CN=host.example.cn/emailAddress=a@example.cn" "DNS:host.example.cn"
refused "subject attribute not allowed" 4 "emailAddress" issue --profile tls-server --csr "$d/emailattr.csr"
mkcsr ec-p256 "$d/k" "$d/nocn.csr" "/C=CN/O=Example" "email:a@example.cn"
refused "required subject attribute missing" 4 "CN" issue --profile person --csr "$d/nocn.csr"
refused "validity over the profile's maximum" 4 "398|maximum" issue --profile tls-server --csr "$d/good.csr" --days 1000
refused "bad SAN override" 4 "SAN|subjectAltName|bogus" issue --profile tls-server --csr "$d/good.csr" --san "bogus:x"
refused "bad subject override" 4 "subject|attribute|NOPE" issue --profile tls-server --csr "$d/good.csr" --subject "/NOPE=x"
cat > "$d/restrict.cnf" <<'CNF'
[profile.p384-only]
inherit = tls-server
key_types = ec-p384
CNF
refused "key type not allowed by the profile" 4 "ec-p256|key type" ct --config "$d/restrict.cnf" issue --ca issuing --profile p384-only --csr "$d/good.csr" --out "$d/out.pem" $PASS

# names and secrets
refused "unknown profile" 3 "unknown profile 'nope'" issue --profile nope --csr "$d/good.csr"
refused "unknown CA" 3 "no CA named 'nope'" ct issue --ca nope --profile tls-server --csr "$d/good.csr" --out "$d/out.pem" $PASS
printf 'wrong\n' > "$T/wrongpass"
refused "wrong passphrase" 5 "passphrase" ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/out.pem" --pass-file "$T/wrongpass"
refused "missing passphrase file" 3 "nopass" ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/out.pem" --pass-file "$T/nopass"
refused "no passphrase at all" 5 "passphrase" sh -c "'$CA_TOOL' issue --ca issuing --profile tls-server --csr '$d/good.csr' --out '$d/out.pem' </dev/null"
refused "CA name taken" 4 "exists" ct init --name issuing --parent root --subject "/CN=again" $PASS
refused "bad CA name" 4 "bad CA name" ct init --name "../evil" --subject "/CN=x" $PASS
refused "unknown key type" 2 "unknown key type" ct init --name x --key-type dsa1024 --subject "/CN=x" $PASS

# revocation
refused "revoke an unknown serial" 3 "no certificate with serial" ct revoke --ca issuing --serial 0123456789abcdef
refused "revoke with a bad serial" 4 "bad serial" ct revoke --ca issuing --serial "zz-top"
refused "revoke with an unknown reason" 4 "unknown revocation reason" ct revoke --ca issuing --serial "$SN" --reason bored
refused "release a certificate not on hold" 4 "not on hold" ct revoke --ca issuing --serial "$SN" --reason removeFromCRL
refused "delta CRL without a full CRL" 4 "no full CRL" ct crl --ca issuing --delta --out "$d/delta.der" $PASS

# command line and configuration
refused "unknown command" 2 "unknown command" ct frobnicate
refused "option of another command" 2 "does not take" ct revoke --ca issuing --serial "$SN" --csr x
printf '[govpki]\nhome = .\nbogus_key = 1\n' > "$d/unknown.cnf"
refused "unknown configuration key" 4 "unknown.cnf:3.*bogus_key" ct --config "$d/unknown.cnf" list
printf '[govpki\nhome = .\n' > "$d/syntax.cnf"
refused "configuration syntax error" 4 "syntax.cnf:1" ct --config "$d/syntax.cnf" list
printf '[profile.x]\nmax_days = many\n' > "$d/value.cnf"
refused "bad configuration value" 4 "value.cnf:2.*max_days" ct --config "$d/value.cnf" list

# a store locked by another writer: sqlite3 holds BEGIN IMMEDIATE until told to commit
mkfifo "$T/lock.in" "$T/lock.out"
sqlite3 "$GOVPKI_HOME/govpki.db" < "$T/lock.in" > "$T/lock.out" &
lockpid=$!
exec 3>"$T/lock.in"
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&3
read -r _ < "$T/lock.out"        # the lock is held once sqlite3 says so
export GOVPKI_BUSY_TIMEOUT_MS=100
refused "store locked by another writer" 6 "locked" ct revoke --ca issuing --serial "$SN" --reason superseded
unset GOVPKI_BUSY_TIMEOUT_MS
echo "COMMIT;" >&3; exec 3>&-; wait "$lockpid"

# a store its user may not write (run as nobody when we are root, who may write anything)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	asuser() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
else
	asuser() { "$@"; }
fi
chmod 755 "$T" "$GOVPKI_HOME"; chmod 444 "$GOVPKI_HOME"/govpki.db*
chmod 555 "$GOVPKI_HOME"
refused "read-only store" 6 "read-only|readonly" asuser "$CA_TOOL" revoke --ca issuing --serial "$SN" --reason superseded
chmod 755 "$GOVPKI_HOME"; chmod 644 "$GOVPKI_HOME"/govpki.db*

expect "audit chain still verifies" ct audit verify
finish
