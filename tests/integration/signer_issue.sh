#!/bin/bash
# tests/integration/signer_issue.sh: ca-tool issue --batch and ocsp presign
# through ca-signer (issue-batch and presign, docs/signer.md).  With
# [signer] socket ca-tool runs as an administrator's uid that cannot read
# the CA key, without the passphrase: a folder of CSRs is issued by the
# signer (openssl verify checks each against the chain; the audit names
# the uid), a weak key among them is refused alone and audited, one CSR
# (issue --csr) goes through as a batch of one; a profile the caller may
# not use, a CA profile, a vetted SAN, a caller without issue-batch: each
# refused, nothing stored.  ocsp presign signs through the signer, and a
# key-less ocsp-responder --presigned serves answers openssl ocsp verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

SIGNER="$top_builddir/ca-signer"
CLIENT="$top_srcdir/tests/integration/signer_client.py"
[ -x "$SIGNER" ] || { echo "ca-signer not built at $SIGNER" >&2; exit 99; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root: ca-tool and ca-signer run as uids of their own (setpriv)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

ADMIN_UID=61041 SIGNER_UID=61042 OTHER_UID=61043 GID=61040
DB="$GOVPKI_HOME/govpki.db"
SOCK="$T/run/signer.sock"
d="$T/pki"
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got $3, want $2)"; fi; }
certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
refusals() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'signer.refuse'"; }
last_refusal() { sqlite3 "$DB" "SELECT actor || ' ' || coalesce(object, '-') || ' ' || detail FROM audit WHERE action = 'signer.refuse' ORDER BY seq DESC LIMIT 1"; }
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE "$@"; }
sc() { local u=$1 rc=0; shift; as "$u" "$PY" "$CLIENT" "$@" >"$T/sc.out" 2>"$T/sc.err" || rc=$?; echo "$rc"; }

setup_pki ec-p256
mkdir -p "$T/run" "$T/csrs" "$T/out"
for i in 1 2 3; do
	genkey ec-p256 "$T/k$i.key"
	mkcsr ec-p256 "$T/k$i.key" "$T/csrs/n$i.csr" "/C=CN/O=City/CN=n$i.example.gov.cn" "DNS:n$i.example.gov.cn"
done
# a 1024-bit RSA key: every profile refuses it
openssl req -new -newkey rsa:1024 -nodes -keyout "$T/weak.key" -subj "/C=CN/O=City/CN=weak.example.gov.cn" \
	-addext "subjectAltName=DNS:weak.example.gov.cn" -out "$T/csrs/n4.csr" 2>/dev/null
genkey ec-p256 "$T/one.key"
mkcsr ec-p256 "$T/one.key" "$T/one.csr" "/C=CN/O=City/CN=one.example.gov.cn" "DNS:one.example.gov.cn"

cat > "$T/govpki.cnf" <<EOF
[signer]
socket = $SOCK
user = $SIGNER_UID
group = $GID

[signer.caller.$ADMIN_UID]
requests = issue-batch, presign, health
cas = issuing
profiles = tls-server

[signer.caller.$OTHER_UID]
requests = sign-ocsp, health
cas = issuing
EOF
CONF="$T/govpki.cnf"
chmod 0711 "$T"
chgrp "$GID" "$T/run" "$T/out" "$CONF" && chmod 0770 "$T/run" "$T/out" && chmod 0640 "$CONF"
chmod -R a+rX "$T/csrs" "$T/one.csr" "$d"
chgrp -R "$GID" "$GOVPKI_HOME" && chmod g+rwX "$GOVPKI_HOME" "$GOVPKI_HOME"/govpki.db*
chmod 0700 "$GOVPKI_HOME/keys"
KEYFILE=$(sqlite3 "$DB" "SELECT key_uri FROM ca WHERE name = 'issuing'")
case $KEYFILE in /*) ;; *) KEYFILE=$GOVPKI_HOME/$KEYFILE ;; esac
if as "$ADMIN_UID" cat "$KEYFILE" >/dev/null 2>&1; then
	not_ok "uid $ADMIN_UID cannot read the CA key file"
else
	ok "uid $ADMIN_UID cannot read the CA key file"
fi

SIGNER_PID=
stop_signer() {
	if [ -n "$SIGNER_PID" ]; then
		kill -TERM "$SIGNER_PID" 2>/dev/null || true   # may have exited already
		wait "$SIGNER_PID" 2>/dev/null || true          # its status is not the point
		SIGNER_PID=
	fi
}
trap 'stop_signer; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$T"' EXIT
rm -f "$SOCK"
"$SIGNER" --config "$CONF" --pass-file "$T/pass" 2>>"$T/signer.log" &
SIGNER_PID=$!
for _ in $(seq 1 500); do
	[ -S "$SOCK" ] && [ "$(sc "$ADMIN_UID" "$SOCK" health 7)" = 0 ] && break
	kill -0 "$SIGNER_PID" 2>/dev/null || { show 20 "$T/signer.log"; echo "ca-signer died" >&2; exit 1; }
	sleep 0.02
done
[ -S "$SOCK" ] || { echo "ca-signer did not listen" >&2; exit 1; }

verified() {
	if openssl verify -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" -purpose sslserver "$1" > "$T/verify.out" 2>&1; then
		ok "$2: openssl verifies it against the chain"
	else
		not_ok "$2: openssl verifies it against the chain"; show 5 "$T/verify.out"
	fi
}
ctas() { as "$ADMIN_UID" "$CA_TOOL" --config "$CONF" "$@"; }

# --- a folder of CSRs, one with a weak key
c0=$(certs); a0=$(refusals)
expect_fail "issue --batch as uid $ADMIN_UID: the weak key refused (exit 4), the rest issued" 4 "" \
	ctas issue --ca issuing --profile tls-server --batch "$T/csrs" --out-dir "$T/out/certs"
check "... three certificates more in the store" "$((c0 + 3))" "$(certs)"
for i in 1 2 3; do verified "$T/out/certs/n$i.pem" "n$i"; done
[ -e "$T/out/certs/n4.pem" ] && not_ok "... none written for the weak key" || ok "... none written for the weak key"
grep -Eqi "n4.*(RSA|1024|key)" "$T/stdout" "$T/stderr" && ok "... ca-tool names the refused CSR and why" ||
	{ not_ok "... ca-tool names the refused CSR and why"; show 5 "$T/stdout" "$T/stderr"; }
check "... its refusal audited" "$((a0 + 1))" "$(refusals)"
grep -q "signer:uid=$ADMIN_UID($ADMIN_UID) issuing/issue-batch .*index=3" <<<"$(last_refusal)" &&
	ok "... the entry names the uid and the element" || { not_ok "... the entry names the uid and the element"; echo "#   $(last_refusal)"; }
check "the audit: cert.issue by the signer for uid $ADMIN_UID" 3 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cert.issue' AND actor = 'signer:uid=$ADMIN_UID($ADMIN_UID)'")"

# --- one CSR: a batch of one
expect "issue --csr through the signer" ctas issue --ca issuing --profile tls-server --csr "$T/one.csr" --out "$T/out/one.pem"
verified "$T/out/one.pem" "one"

# --- refused whole: nothing stored
c0=$(certs); a0=$(refusals)
expect_fail "a profile the caller may not use" nz "may not use profile tls-client" \
	ctas issue --ca issuing --profile tls-client --csr "$T/one.csr" --out "$T/out/no1.pem"
check "... audited" "$((a0 + 1))" "$(refusals)"
expect_fail "a CA profile not in its list" nz "may not use profile sub-ca" \
	ctas issue --ca issuing --profile sub-ca --csr "$T/one.csr" --out "$T/out/no2.pem"
check "... audited" "$((a0 + 2))" "$(refusals)"
expect_fail "a vetted SAN does not go through issue-batch" nz "without a vetted subject or SANs" \
	ctas issue --ca issuing --profile tls-server --csr "$T/one.csr" --san DNS:other.example.gov.cn --out "$T/out/no3.pem"
expect_fail "a caller without issue-batch" nz "may not ask for issue-batch" \
	as "$OTHER_UID" "$CA_TOOL" --config "$CONF" issue --ca issuing --profile tls-server --csr "$T/one.csr" --out "$T/out/no4.pem"
check "... audited" "$((a0 + 3))" "$(refusals)"
check "nothing stored by the refusals" "$c0" "$(certs)"
for f in no1 no2 no3 no4; do [ -e "$T/out/$f.pem" ] && not_ok "no $f.pem written" || ok "no $f.pem written"; done

# --- ocsp presign through the signer (presign)
expect "ocsp presign as uid $ADMIN_UID, no passphrase" ctas --json ocsp presign --ca issuing
grep -q '"signed": 6' "$T/stdout" && ok "... all six certificates signed" || { not_ok "... all six certificates signed"; show 3 "$T/stdout" "$T/stderr"; }
# a revocation: the next run has a response to sign again
ct --config "$CONF" revoke --ca issuing --serial "$(serial_of "$T/out/certs/n2.pem")" --reason superseded >/dev/null
a0=$(refusals)
expect_fail "ocsp presign by a caller without presign" nz "may not ask for presign" \
	as "$OTHER_UID" "$CA_TOOL" --config "$CONF" ocsp presign --ca issuing
check "... audited" "$((a0 + 1))" "$(refusals)"
expect "ocsp presign again" ctas --json ocsp presign --ca issuing
grep -q '"signed": 1' "$T/stdout" && ok "... the revoked one signed again" || { not_ok "... the revoked one signed again"; show 3 "$T/stdout" "$T/stderr"; }
# the key-less replica serves what the signer signed
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
start_responder --presigned --config "$T/ocsp.cnf" </dev/null || { not_ok "the replica starts"; finish; exit 1; }
for n in good revoked; do
	check "the replica: $n, verified by openssl ocsp" "$n" "$(verified_status "$d/$n.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem" -no_nonce)"
done
check "the replica: a batch certificate, good" good "$(verified_status "$T/out/certs/n1.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem" -no_nonce)"
check "the replica: the one revoked since, revoked" revoked "$(verified_status "$T/out/certs/n2.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem" -no_nonce)"

expect "the audit chain verifies (ca-tool audit verify)" ct --config "$CONF" audit verify
finish
