#!/bin/bash
# ca_badinput: every kind of bad input to ca-tool gets one clear line, a
# non-zero exit code of its kind, and leaves the store exactly as it was.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Issuing" $PASS >/dev/null
genkey ec-p256 "$d/k"
mkcsr ec-p256 "$d/k" "$d/good.csr" "/C=CN/O=Example/CN=host.example.cn" "DNS:host.example.cn"
ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/good.pem" $PASS
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
refused "validity over the profile's maximum" 4 "200|maximum" issue --profile tls-server --csr "$d/good.csr" --days 1000
refused "bad SAN override" 4 "SAN|subjectAltName|bogus" issue --profile tls-server --csr "$d/good.csr" --san "bogus:x"
refused "bad subject override" 4 "subject|attribute|NOPE" issue --profile tls-server --csr "$d/good.csr" --subject "/NOPE=x"
cat > "$d/restrict.cnf" <<'CNF'
[profile.p384-only]
inherit = tls-server
key_types = ec-p384
CNF
refused "key type not allowed by the profile" 4 "ec-p256|key type" ct --config "$d/restrict.cnf" issue --ca issuing --profile p384-only --csr "$d/good.csr" --out "$d/out.pem" $PASS
refused "malformed SAN override: IP" 4 "not an IPv4 or IPv6" issue --profile tls-server --csr "$d/good.csr" --san "IP:300.1.2.3"
refused "malformed SAN override: DNS" 4 "not a valid DNS name" issue --profile tls-server --csr "$d/good.csr" --san "DNS:bad..name"
refused "malformed SAN override: empty element" 4 "empty element" issue --profile tls-server --csr "$d/good.csr" --san "DNS:host.example.cn,,"
cat > "$d/subject.cnf" <<'CNF'
[profile.no-ou]
inherit = tls-server
subject_allowed = *
subject_forbidden = OU
[profile.anonymous]
inherit = tls-server
subject_required =
san_required = no
CNF
mkcsr ec-p256 "$d/k" "$d/ou.csr" "/OU=Operations/CN=host.example.cn" "DNS:host.example.cn"
refused "forbidden subject attribute" 4 "'OU' is forbidden" ct --config "$d/subject.cnf" issue --ca issuing --profile no-ou --csr "$d/ou.csr" --out "$d/out.pem" $PASS
mkcsr ec-p256 "$d/k" "$d/anon.csr" "/"
refused "empty subject and no SAN" 4 "subject is empty and there is no subjectAltName" ct --config "$d/subject.cnf" issue --ca issuing --profile anonymous --csr "$d/anon.csr" --out "$d/out.pem" $PASS
refused "a CA with a profile that is not a CA's" 4 "profile person is not a CA profile" ct init --name p --profile person --subject "/CN=Person CA" $PASS
# issuing is a sub-ca: pathLenConstraint 0, so no CA below it (RFC 5280 4.2.1.9)
refused "a CA under a pathLen 0 CA" 4 "pathLenConstraint 0" ct init --name below --parent issuing --subject "/CN=Below" $PASS
refused "a sub-ca certificate from a pathLen 0 CA" 4 "pathLenConstraint 0" issue --profile sub-ca --csr "$d/good.csr"

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
grep -q "warning: \[crl\] delta_url is not set" "$T/stderr" && ok "a delta without [crl] delta_url is warned about" ||
	not_ok "no warning for a delta without [crl] delta_url"

# outputs: nothing is issued, published or created unless its file can be written
refused "issue: output folder missing" 1 "$d/nonexistent/out.pem" ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/nonexistent/out.pem" $PASS
mkdir -p "$d/adir"
refused "issue: a folder at the output path" 1 "adir: Is a directory" ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/adir" $PASS
refused "crl: output folder missing" 1 "$d/nonexistent/crl.der" ct crl --ca issuing --out "$d/nonexistent/crl.der" $PASS
mkdir -p "$d/inplace"; cp "$d/good.csr" "$d/inplace/www.pem"
refused "batch: a NAME.pem CSR issued into its own folder" 4 "www.pem: its certificate would be written over it" \
	ct issue --ca issuing --profile tls-server --batch "$d/inplace" --out-dir "$d/inplace" $PASS
cmp -s "$d/good.csr" "$d/inplace/www.pem" && ok "the CSR is still there" || not_ok "the CSR was overwritten"
batch() { ct issue --ca issuing --profile tls-server --batch "$d/batch" $PASS "$@"; }
mkdir -p "$d/batch"; cp "$d/good.csr" "$d/batch/x.csr"; cp "$d/good.der" "$d/batch/x.der"
refused "batch: two CSRs for one output file" 4 "x.csr and .*x.der would both be written to .*x.pem" batch --out-dir "$d/bout"
[ ! -e "$d/bout" ] && ok "batch: refused, the output folder is not left behind" || not_ok "batch: refused, the output folder was left behind"
rm "$d/batch/x.der"; cp "$d/good.csr" "$d/batch/y.csr"
refused "batch: output folder missing" 1 "$d/nonexistent" batch --out-dir "$d/nonexistent/sub"
mkdir -p "$d/bout/y.pem"
refused "batch: a folder at an output path" 1 "y.pem: Is a directory" batch --out-dir "$d/bout"
[ ! -e "$d/bout/x.pem" ] && ok "batch: refused, no file written" || not_ok "batch: refused, a file was written"
rmdir "$d/bout/y.pem"
# a killed run leaves OUT.pem.tmp.PID: the next run removes those of its own outputs
sh -c 'exit 0' & dead=$!; wait "$dead"
touch "$d/bout/x.pem.tmp.$dead" "$d/bout/other.pem.tmp.$dead"
expect "batch: a rerun after a killed run" batch --out-dir "$d/bout"
[ ! -e "$d/bout/x.pem.tmp.$dead" ] && [ -e "$d/bout/other.pem.tmp.$dead" ] && [ -s "$d/bout/x.pem" ] &&
	ok "batch: its stale temporary file removed, another's kept" || not_ok "batch: stale temporary files"
if [ -w /dev/full ]; then
	# the store is ahead of the file: the message names what it has
	expect_fail "issue: disk full after the commit" 1 "/dev/full: No space left on device: certificate [0-9a-f]+ is in the store: get it with 'ca-tool export --ca issuing --serial" ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out /dev/full $PASS
	kept=$(sed -En 's/.*certificate ([0-9a-f]+) is.*/\1/p' "$T/stderr")
	expect "issue: the certificate named is in the store" ct show --ca issuing --serial "${kept:-none}"
	expect_fail "crl: disk full after the commit" 1 "full CRL number [0-9]+ of issuing is in the store" ct crl --ca issuing --out /dev/full $PASS
	mkdir -p "$d/full"; ln -s /dev/full "$d/full/x.pem"
	expect_fail "batch: disk full after the commit" 1 "x.pem: No space left on device: certificate [0-9a-f]+ is in the store" batch --out-dir "$d/full" --threads 1
fi
expect "issue --json without --out" ct --json issue --ca issuing --profile tls-server --csr "$d/good.csr" $PASS
python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); assert j["pem"].startswith("-----BEGIN CERTIFICATE-----"), j' "$T/stdout" &&
	ok "issue --json without --out: one JSON object with the PEM" || not_ok "issue --json without --out: not one JSON object with the PEM"

# command line and configuration
refused "unknown command" 2 "unknown command" ct frobnicate
refused "audit verify with an argument" 2 "one action" ct audit verify extra
refused "option of another command" 2 "does not take" ct revoke --ca issuing --serial "$SN" --csr x
printf '[govpki]\nhome = .\nbogus_key = 1\n' > "$d/unknown.cnf"
refused "unknown configuration key" 4 "unknown.cnf:3.*bogus_key" ct --config "$d/unknown.cnf" list
printf '[govpki\nhome = .\n' > "$d/syntax.cnf"
refused "configuration syntax error" 4 "syntax.cnf:1" ct --config "$d/syntax.cnf" list
printf '[profile.x]\ninherit = none\nmax_days = many\n' > "$d/value.cnf"
refused "bad configuration value" 4 "value.cnf:3.*max_days" ct --config "$d/value.cnf" list
# a misspelt profile section is refused with the name meant, not made a new
# profile of the defaults; no certificate comes out (issue 20.3)
printf '[crl]\nnext_update_hours = 24\n\n[profile.tls-sever]\nmax_days = 90\n' > "$d/typo.cnf"
rm -f "$d/out.pem"
refused "misspelt profile section" 4 "typo.cnf:4: \\[profile.tls-sever\\] is no built-in profile: did you mean \\[profile.tls-server\\]" \
	ct --config "$d/typo.cnf" issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/out.pem" $PASS
[ ! -e "$d/out.pem" ] && ok "misspelt profile section: no certificate written" || not_ok "misspelt profile section: a certificate was written"
printf '[profile.archive]\nmax_days = 90\n' > "$d/new.cnf"
refused "a new profile without inherit" 4 "new.cnf:1: .*inherit = PROFILE" ct --config "$d/new.cnf" list
printf '[profile.archive]\ninherit = none\nmax_days = 90\n' > "$d/new.cnf"
expect "a new profile with inherit = none" ct --config "$d/new.cnf" list
printf '[govpki]\nhome = .\n[ocps]\nthreads = 4\n' > "$d/section.cnf"
refused "misspelt section" 4 "section.cnf:3: unknown section \\[ocps\\]" ct --config "$d/section.cnf" list

# no store: only init and ceremony create one; --help opens none
mkdir -p "$T/nostore"
nostore() { (cd "$T/nostore" && exec env -u GOVPKI_HOME "$CA_TOOL" "$@"); }
expect_fail "list in a folder with no store" 3 "no store at ./govpki.db: create it with 'ca-tool init'" nostore list
expect_fail "audit verify in a folder with no store" 3 "no store at" nostore audit verify
expect_fail "revoke in a folder with no store" 3 "no store at" nostore revoke --ca issuing --serial "$SN"
expect_fail "issue in a folder with no store" 3 "no store at" nostore issue --ca issuing --profile tls-server --csr "$d/good.csr" $PASS
expect_fail "token create in a folder with no store" 3 "no store at" nostore token create --name app
for c in "audit verify" "officer add" "token create" "seal revoke" "ocsp presign" "backup verify" "key generate"; do
	expect "$c --help with no store" nostore $c --help
	grep -q "^usage: ca-tool ${c%% *}" "$T/stdout" && ok "$c --help prints the usage" || not_ok "$c --help prints no usage"
done
[ -d "$T/nostore" ] && [ -z "$(ls -A "$T/nostore")" ] && ok "no store was created" || not_ok "files were created: $(ls -A "$T/nostore")"
# ca-tool --help: every command with its one-line summary
expect "ca-tool --help" nostore --help
bare=$(awk '/^Commands:/ { c = 1; next } c && /^$/ { c = 0 } c && NF == 1 { print $1 }' "$T/stdout")
n=$(awk '/^Commands:/ { c = 1; next } c && /^$/ { c = 0 } c && NF > 1 { n++ } END { print n + 0 }' "$T/stdout")
[ -z "$bare" ] && [ "$n" -ge 20 ] && ok "... lists $n commands, each with a summary" ||
	not_ok "... commands without a summary: '$bare' ($n with one)"
expect_fail "revoke with a --home that does not exist" 3 "no store at $T/nohome/govpki.db" ct --home "$T/nohome" revoke --ca issuing --serial "$SN"
[ ! -e "$T/nohome" ] && ok "no home was created" || not_ok "a home was created"
expect_fail "init with a bad subject in a new home" 4 "NOPE" ct --home "$T/newhome" init --name root --subject "/NOPE=x" $PASS
[ ! -e "$T/newhome" ] && ok "a failed init leaves no home behind" || not_ok "a failed init left $(ls -A "$T/newhome")"
mkdir -p "$T/emptyhome"
expect_fail "init with a bad subject in an empty home" 4 "NOPE" ct --home "$T/emptyhome" init --name root --subject "/NOPE=x" $PASS
[ -d "$T/emptyhome" ] && [ -z "$(ls -A "$T/emptyhome")" ] && ok "a failed init leaves no store behind" || not_ok "a failed init left $(ls -A "$T/emptyhome")"
cp -a "$GOVPKI_HOME" "$T/newer"; sqlite3 "$T/newer/govpki.db" "PRAGMA user_version = 999"
expect_fail "a store of a newer govpki" 6 "newer govpki" ct --home "$T/newer" list

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

# verify --at: a date or time the calendar does not have is a usage error
# naming it (gp_time_parse), not moved to another day as strptime+timegm did
ct export --ca root --out "$d/root.pem"
ct export --ca issuing --out "$d/issuing.pem"
expect "verify --at a real date" ct verify --trust "$d/root.pem" --untrusted "$d/issuing.pem" --at "$(date -u -d tomorrow +%Y-%m-%d)" "$d/good.pem"
for at in 2026-02-30 2026-02-29 2026-04-31 2026-13-01 2026-03-01T24:00:01Z 2016-12-31T23:59:60Z; do
	refused "verify --at $at" 2 "no such time: .*'$at'" ct verify --trust "$d/root.pem" --untrusted "$d/issuing.pem" --at "$at" "$d/good.pem"
done

expect "audit chain still verifies" ct audit verify
finish
