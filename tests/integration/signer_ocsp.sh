#!/bin/bash
# tests/integration/signer_ocsp.sh: ocsp-responder signs with the CA key
# through ca-signer (sign-ocsp, docs/signer.md).  The responder runs as a
# uid that cannot read the key, without the passphrase, with sign_with =
# ca and [signer] socket: openssl ocsp verifies its good and revoked
# answers (with a nonce and without) against the CA.  A client on the
# socket as the responder's uid (a compromised responder) asks the signer
# to sign ResponseData it forged from a real one (tests/integration/
# ocsp_forge.py): a revoked certificate made good, another CA's CertID, a
# validity of 30 days, an extension besides the nonce, another responder
# ID: each refused and audited; the real one unchanged is signed.  A
# caller without sign-ocsp is refused; with the signer stopped the
# responder answers no signed response.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

SIGNER="$top_builddir/ca-signer"
CLIENT="$top_srcdir/tests/integration/signer_client.py"
FORGE="$top_srcdir/tests/integration/ocsp_forge.py"
[ -x "$SIGNER" ] || { echo "ca-signer not built at $SIGNER" >&2; exit 99; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root: ocsp-responder and ca-signer run as uids of their own (setpriv)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

OCSP_UID=61031 SIGNER_UID=61032 OTHER_UID=61033 GID=61030
DB="$GOVPKI_HOME/govpki.db"
SOCK="$T/run/signer.sock"
d="$T/pki"
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got $3, want $2)"; fi; }
refusals() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'signer.refuse'"; }
last_refusal() { sqlite3 "$DB" "SELECT actor || ' ' || coalesce(object, '-') || ' ' || detail FROM audit WHERE action = 'signer.refuse' ORDER BY seq DESC LIMIT 1"; }
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE "$@"; }
# sc UID ARGS...: the protocol client as UID; its exit status echoed
sc() { local u=$1 rc=0; shift; as "$u" "$PY" "$CLIENT" "$@" >"$T/sc.out" 2>"$T/sc.err" || rc=$?; echo "$rc"; }

setup_pki ec-p256
mkdir -p "$T/run" "$T/f"
cat > "$T/govpki.cnf" <<EOF
[ocsp]
sign_with = ca

[signer]
socket = $SOCK
user = $SIGNER_UID
group = $GID

[signer.caller.$OCSP_UID]
requests = sign-ocsp, health
cas = issuing

[signer.caller.$OTHER_UID]
requests = health
cas = issuing
EOF
CONF="$T/govpki.cnf"
chmod 0711 "$T"
chgrp "$GID" "$T/run" "$T/f" "$CONF" && chmod 0770 "$T/run" "$T/f" && chmod 0640 "$CONF"
chgrp -R "$GID" "$GOVPKI_HOME" && chmod g+rwX "$GOVPKI_HOME" "$GOVPKI_HOME"/govpki.db*
chmod 0700 "$GOVPKI_HOME/keys"
chmod -R a+rX "$d"
KEYFILE=$(sqlite3 "$DB" "SELECT key_uri FROM ca WHERE name = 'issuing'")
case $KEYFILE in /*) ;; *) KEYFILE=$GOVPKI_HOME/$KEYFILE ;; esac
if as "$OCSP_UID" cat "$KEYFILE" >/dev/null 2>&1; then
	not_ok "uid $OCSP_UID cannot read the CA key file"
else
	ok "uid $OCSP_UID cannot read the CA key file"
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
start_signer() {
	rm -f "$SOCK"
	"$SIGNER" --config "$CONF" --pass-file "$T/pass" 2>>"$T/signer.log" &
	SIGNER_PID=$!
	for _ in $(seq 1 500); do
		[ -S "$SOCK" ] && [ "$(sc "$OCSP_UID" "$SOCK" health 7)" = 0 ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || { show 20 "$T/signer.log"; echo "ca-signer died" >&2; exit 1; }
		sleep 0.02
	done
	echo "ca-signer did not answer" >&2; exit 1
}
start_signer

# the responder as OCSP_UID (a simple command: $! is the responder itself)
rm -f "$T/run/port"
setpriv --reuid="$OCSP_UID" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE \
	"$RESPONDER" --config "$CONF" --listen 127.0.0.1:0 --port-file "$T/run/port" \
	>"$T/responder.out" 2>"$T/responder.err" &
RPID=$!
for _ in $(seq 200); do
	[ -s "$T/run/port" ] && break
	kill -0 "$RPID" 2>/dev/null || break
	sleep 0.05
done
if [ -s "$T/run/port" ]; then ok "ocsp-responder starts as uid $OCSP_UID, without the key or passphrase"; else
	not_ok "ocsp-responder starts as uid $OCSP_UID, without the key or passphrase"; show 10 "$T/responder.err"; finish; exit 1; fi
URL="http://127.0.0.1:$(cat "$T/run/port")"

# --- its answers, signed by the signer with the CA key, verify
for n in good revoked; do
	check "openssl ocsp: $n, with a nonce, verified" "$n" "$(verified_status "$d/$n.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem")"
	check "openssl ocsp: $n, no nonce, verified" "$n" "$(verified_status "$d/$n.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem" -no_nonce)"
done
grep -q "Reason: keyCompromise" "$T/ocsp.out" && ok "... the revoked one with its reason" ||
	{ not_ok "... the revoked one with its reason"; show 10 "$T/ocsp.out"; }
check "openssl ocsp: a never-issued serial is unknown, verified" unknown \
	"$(openssl ocsp -issuer "$d/issuing.pem" -serial 0x1234567 -url "$URL" -CAfile "$d/chain.pem" 2>&1 | awk '$1 == "0x1234567:" { print $2 }')"
# --- a compromised responder asks the signer directly: a real ResponseData
# is signed, every forgery of it refused and audited
openssl ocsp -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -url "$URL" -no_nonce -respout "$T/f/rev.der" > /dev/null 2>&1
openssl ocsp -issuer "$d/root.pem" -cert "$d/issuing.pem" -no_nonce -reqout "$T/f/other.req" > /dev/null 2>&1
chmod a+r "$T/f"/*
"$PY" "$FORGE" "$T/f/rev.der" "$T/f/asis.der" asis
check "the real ResponseData: signed" 0 "$(sc "$OCSP_UID" "$SOCK" sign-ocsp issuing "$T/f/asis.der")"
grep -q "^item 0 " "$T/sc.out" && ok "... one signature answered" || { not_ok "... one signature answered"; show 5 "$T/sc.out" "$T/sc.err"; }

# forged WHAT PATTERN MUTATION [ARG]: refused (the client's exit 1), audited with why
forged() {
	local what=$1 pat=$2 a0 rc; shift 2
	"$PY" "$FORGE" "$T/f/rev.der" "$T/f/forged.der" "$@"
	chmod a+r "$T/f/forged.der"
	if cmp -s "$T/f/forged.der" "$T/f/asis.der"; then not_ok "$what: the forgery differs"; return; fi
	a0=$(refusals)
	rc=$(sc "$OCSP_UID" "$SOCK" sign-ocsp issuing "$T/f/forged.der")
	check "$what: refused" 1 "$rc"
	grep -q "^item " "$T/sc.out" && not_ok "$what: no signature" || ok "$what: no signature"
	check "$what: audited" "$((a0 + 1))" "$(refusals)"
	if grep -Eq -- "signer:uid=$OCSP_UID\\($OCSP_UID\\) issuing/ocsp .*request=sign-ocsp .*$pat" <<<"$(last_refusal)"; then
		ok "$what: the audit entry says why"; else not_ok "$what: the audit entry says why (/$pat/)"; echo "#   $(last_refusal)"; fi
}
forged "a revoked certificate made good" "status good where the store says revoked" good
forged "another CA's CertID" "names another CA" certid "$T/f/other.req"
forged "a validity of 30 days" "valid for 2592000 s" validity 30
forged "an extension besides the nonce" "responseExtension other than one non-critical Nonce" extension
forged "another responder ID" "responderID is not CA issuing's key" responder

# two in one request, one forged: none signed
"$PY" "$FORGE" "$T/f/rev.der" "$T/f/forged.der" good
chmod a+r "$T/f/forged.der"
check "a batch with one forgery: refused whole" 1 "$(sc "$OCSP_UID" "$SOCK" sign-ocsp issuing "$T/f/asis.der" "$T/f/forged.der")"
grep -q "ResponseData 2 of 2" "$T/sc.out" && ok "... naming the forged one" || { not_ok "... naming the forged one"; show 3 "$T/sc.out"; }

a0=$(refusals)
check "a caller without sign-ocsp: refused" 1 "$(sc "$OTHER_UID" "$SOCK" sign-ocsp issuing "$T/f/asis.der")"
check "... audited" "$((a0 + 1))" "$(refusals)"
grep -q "may not ask for sign-ocsp" <<<"$(last_refusal)" && ok "... saying so" || { not_ok "... saying so"; echo "#   $(last_refusal)"; }
a0=$(refusals)
check "a CA the caller may not use: refused" 1 "$(sc "$OCSP_UID" "$SOCK" sign-ocsp root "$T/f/asis.der")"
check "... audited" "$((a0 + 1))" "$(refusals)"

# --- the signer stopped: a request with a nonce gets no signed answer
stop_signer
if openssl ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -url "$URL" -CAfile "$d/chain.pem" > "$T/o.out" 2>&1; then
	not_ok "the signer stopped: no signed answer"; show 5 "$T/o.out"
else
	grep -Eqi "Responder Error: (tryLater|internalError)" "$T/o.out" && ok "the signer stopped: an error answer, nothing signed" ||
		{ not_ok "the signer stopped: an error answer, nothing signed"; show 5 "$T/o.out"; }
fi
kill -0 "$RPID" 2>/dev/null && ok "... and the responder still runs" || not_ok "... and the responder still runs"

expect "the audit chain verifies (ca-tool audit verify)" ct --config "$CONF" audit verify
finish
