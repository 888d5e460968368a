#!/bin/bash
# tests/integration/signer_crl.sh: ca-tool crl through ca-signer (sign-crl,
# docs/signer.md).  With [signer] socket in its configuration ca-tool runs
# as a uid that cannot read the CA key, without the passphrase; the signer
# builds the CRL from the store (the caller names the CA only): openssl
# verifies it against the CA, it lists the revoked certificate, its number
# grows with each CRL and a delta names its base.  A caller without
# sign-crl, or asking for a CA it may not use, is refused, audited, and no
# CRL is stored; with the signer stopped ca-tool fails and writes nothing.
. "$(dirname "$0")/lib.sh"

SIGNER="$top_builddir/ca-signer"
CLIENT="$top_srcdir/tests/integration/signer_client.py"
[ -x "$SIGNER" ] || { echo "ca-signer not built at $SIGNER" >&2; exit 99; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root: ca-tool and ca-signer run as uids of their own (setpriv)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# uids without a passwd entry: the signer knows its callers by number
CT_UID=61021 SIGNER_UID=61022 OTHER_UID=61023 GID=61020
DB="$GOVPKI_HOME/govpki.db"
SOCK="$T/run/signer.sock"
D="$T/d"
mkdir -p "$D" "$T/run" "$T/out"
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got $3, want $2)"; fi; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
crls() { sqlite3 "$DB" "SELECT count(*) FROM crl"; }
refusals() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'signer.refuse'"; }
last_refusal() { sqlite3 "$DB" "SELECT actor || ' ' || coalesce(object, '-') || ' ' || detail FROM audit WHERE action = 'signer.refuse' ORDER BY seq DESC LIMIT 1"; }
# as UID CMD...: CMD as that uid in the shared group, without the passphrase
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE "$@"; }

# --- a root and an issuing CA, two certificates, one of them revoked (as root, in process)
ct init --name root --key-type ec-p256 --subject "/C=CN/O=City/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=City/CN=Issuing" $PASS >/dev/null
ct export --ca root --out "$D/root.pem"
ct export --ca issuing --out "$D/issuing.pem"
for n in one two; do
	genkey ec-p256 "$D/$n.key"
	mkcsr ec-p256 "$D/$n.key" "$D/$n.csr" "/C=CN/O=City/CN=$n.example.gov.cn" "DNS:$n.example.gov.cn"
	ct issue --ca issuing --profile tls-server --csr "$D/$n.csr" --out "$D/$n.pem" $PASS >/dev/null
done
ct revoke --ca issuing --serial "$(serial_of "$D/two.pem")" --reason keyCompromise >/dev/null

cat > "$T/govpki.cnf" <<EOF
[signer]
socket = $SOCK
user = $SIGNER_UID
group = $GID

[signer.caller.$CT_UID]
requests = sign-crl, health
cas = issuing

[signer.caller.$OTHER_UID]
requests = health
cas = issuing, root
EOF
CONF="$T/govpki.cnf"
# the store, the configuration and the socket's folder are the group's;
# the keys stay root's (0700)
chmod 0711 "$T"
chgrp "$GID" "$T/run" "$T/out" "$CONF" && chmod 0770 "$T/run" "$T/out" && chmod 0640 "$CONF"
chgrp -R "$GID" "$GOVPKI_HOME" && chmod g+rwX "$GOVPKI_HOME" "$GOVPKI_HOME"/govpki.db*
chmod 0700 "$GOVPKI_HOME/keys"
KEYFILE=$(sqlite3 "$DB" "SELECT key_uri FROM ca WHERE name = 'issuing'")
case $KEYFILE in /*) ;; *) KEYFILE=$GOVPKI_HOME/$KEYFILE ;; esac
if as "$CT_UID" cat "$KEYFILE" >/dev/null 2>&1; then
	not_ok "uid $CT_UID cannot read the CA key file"
else
	ok "uid $CT_UID cannot read the CA key file"
fi

SIGNER_PID=
stop_signer() {
	if [ -n "$SIGNER_PID" ]; then
		kill -TERM "$SIGNER_PID" 2>/dev/null || true   # may have exited already
		wait "$SIGNER_PID" 2>/dev/null || true          # its status is not the point
		SIGNER_PID=
	fi
}
trap 'stop_signer; rm -rf "$T"' EXIT
# start_signer: as root, dropping to SIGNER_UID; up when a health request
# of the ca-tool's uid is answered (bounded wait)
start_signer() {
	rm -f "$SOCK"
	"$SIGNER" --config "$CONF" --pass-file "$T/pass" 2>>"$T/signer.log" &
	SIGNER_PID=$!
	for _ in $(seq 1 500); do
		[ -S "$SOCK" ] && as "$CT_UID" "$PY" "$CLIENT" "$SOCK" health 7 >/dev/null 2>&1 && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || { show 20 "$T/signer.log"; echo "ca-signer died" >&2; exit 1; }
		sleep 0.02
	done
	echo "ca-signer did not answer" >&2; exit 1
}
# crl_ok FILE: openssl checks the CRL's signature against the issuing CA
crl_ok() {
	if openssl crl -inform DER -in "$1" -CAfile "$D/issuing.pem" -noout > "$T/crl.out" 2>&1 &&
	    grep -q "verify OK" "$T/crl.out"; then
		ok "$1: openssl crl -CAfile verifies it"
	else
		not_ok "$1: openssl crl -CAfile verifies it"; show 5 "$T/crl.out"
	fi
}
number_of() { openssl crl -inform DER -in "$1" -noout -crlnumber | sed 's/^crlNumber=//'; }

start_signer

# --- ca-tool crl as the uid without the key: the signer makes it
c0=$(crls)
expect "ca-tool crl as uid $CT_UID, no passphrase: through the signer" \
	as "$CT_UID" "$CA_TOOL" --config "$CONF" crl --ca issuing --out "$T/out/crl1.der"
grep -q "full CRL number" "$T/stdout" && ok "... ca-tool says which CRL" || { not_ok "... ca-tool says which CRL"; show 3 "$T/stdout"; }
check "... one CRL more in the store" "$((c0 + 1))" "$(crls)"
crl_ok "$T/out/crl1.der"
openssl crl -inform DER -in "$T/out/crl1.der" -noout -text > "$T/crl1.txt"
rev=$(serial_of "$D/two.pem")
grep -qi "Serial Number: $rev" "$T/crl1.txt" && ok "... it lists the revoked certificate" ||
	{ not_ok "... it lists the revoked certificate ($rev)"; show 20 "$T/crl1.txt"; }
grep -qi "Serial Number: $(serial_of "$D/one.pem")" "$T/crl1.txt" && not_ok "... and not the good one" ||
	ok "... and not the good one"
if openssl crl -inform DER -in "$T/out/crl1.der" -CAfile "$D/root.pem" -noout > "$T/crl.out" 2>&1 &&
    grep -q "verify OK" "$T/crl.out"; then
	not_ok "... another CA's key does not verify it"
else
	ok "... another CA's key does not verify it"
fi
check "the audit: crl.publish by the signer for uid $CT_UID" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'crl.publish' AND actor = 'signer:uid=$CT_UID($CT_UID)'")"

# --- the next one: its number grows; a delta names its base
expect "a second CRL" as "$CT_UID" "$CA_TOOL" --config "$CONF" crl --ca issuing --out "$T/out/crl2.der"
crl_ok "$T/out/crl2.der"
n1=$(number_of "$T/out/crl1.der") n2=$(number_of "$T/out/crl2.der")
if [ $((n2)) -gt $((n1)) ]; then ok "its number grows ($n1, $n2)"; else not_ok "its number grows ($n1, $n2)"; fi
expect "a delta CRL" as "$CT_UID" "$CA_TOOL" --config "$CONF" crl --ca issuing --delta --out "$T/out/delta.der"
crl_ok "$T/out/delta.der"
openssl crl -inform DER -in "$T/out/delta.der" -noout -text > "$T/delta.txt"
base=$(sed -n '/Delta CRL Indicator/{n;s/^ *//;p;}' "$T/delta.txt")
check "... its base is the second CRL" "$((n2))" "$((base))"
n3=$(number_of "$T/out/delta.der")
if [ $((n3)) -gt $((n2)) ]; then ok "... with a number above it ($n3)"; else not_ok "... with a number above it ($n3)"; fi
check "the signer logs three CRLs" 3 "$(grep -c "signed .* CRL number .* of issuing for signer:uid=$CT_UID" "$T/signer.log")"

# --- refusals: audited, no CRL stored, no file written
c0=$(crls); a0=$(refusals)
expect_fail "a caller without sign-crl is refused" 1 "may not ask for sign-crl" \
	as "$OTHER_UID" "$CA_TOOL" --config "$CONF" crl --ca issuing --out "$T/out/no1.der"
check "... no CRL stored" "$c0" "$(crls)"
check "... audited" "$((a0 + 1))" "$(refusals)"
grep -q "signer:uid=$OTHER_UID($OTHER_UID) issuing/crl .*request=sign-crl" <<<"$(last_refusal)" &&
	ok "... the entry names the uid and the CA" || { not_ok "... the entry names the uid and the CA"; echo "#   $(last_refusal)"; }
[ -e "$T/out/no1.der" ] && not_ok "... no file written" || ok "... no file written"
expect_fail "a CA the caller may not use is refused" 1 "may not use CA root" \
	as "$CT_UID" "$CA_TOOL" --config "$CONF" crl --ca root --out "$T/out/no2.der"
check "... no CRL stored" "$c0" "$(crls)"
check "... audited" "$((a0 + 2))" "$(refusals)"
[ -e "$T/out/no2.der" ] && not_ok "... no file written" || ok "... no file written"

# the protocol itself: a client on the socket names a CA and a type, and
# nothing else: SEQUENCE { INTEGER 0, INTEGER 5 } (a number where the CA's
# name goes) is a malformed message: the connection is closed, audited
rc=0; as "$CT_UID" "$PY" "$CLIENT" "$SOCK" raw 4750530100000004000000083006020100020105 > "$T/raw.out" 2>&1 || rc=$?
grep -q closed "$T/raw.out" && ok "a sign-crl with a number for the CA's name: the connection is closed" ||
	{ not_ok "a sign-crl with a number for the CA's name: the connection is closed (exit $rc)"; show 3 "$T/raw.out"; }
check "... audited" "$((a0 + 3))" "$(refusals)"
check "... no CRL stored" "$c0" "$(crls)"

# --- the signer stopped: ca-tool fails, nothing written
stop_signer
expect_fail "the signer stopped: ca-tool crl fails" 1 "cannot reach ca-signer" \
	as "$CT_UID" "$CA_TOOL" --config "$CONF" crl --ca issuing --out "$T/out/no3.der"
check "... no CRL stored" "$c0" "$(crls)"
[ -e "$T/out/no3.der" ] && not_ok "... no file written" || ok "... no file written"

expect "the audit chain verifies (ca-tool audit verify)" ct --config "$CONF" audit verify
finish
