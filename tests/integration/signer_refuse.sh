#!/bin/bash
# tests/integration/signer_refuse.sh: ca-signer (docs/signer.md) as a
# compromised RA meets it.  A client written apart from govpki
# (signer_client.py) speaks the socket protocol directly, as the RA's Unix
# user and as others (setpriv): an unknown uid, a caller without the
# right, a pending request, a request marked approved in the store
# without (enough, valid) approvals, a CA profile, a request of another
# CA, malformed and oversized frames: each refused, nothing signed (the
# store's certificates counted with sqlite3), and audited.  An approved
# request is issued, and openssl verifies the certificate.  The signer
# drops to its own uid after opening the keys (/proc shows it, and that
# uid cannot read the key file), and under seccomp a forbidden call kills
# the debug build with SIGSYS.
. "$(dirname "$0")/ra_lib.sh"

SIGNER="$top_builddir/ca-signer"
SIGNER_DEBUG="$top_builddir/tests/ca-signer-debug"
CLIENT="$top_srcdir/tests/integration/signer_client.py"
[ -x "$SIGNER" ] || { echo "ca-signer not built at $SIGNER" >&2; exit 99; }
[ -x "$SIGNER_DEBUG" ] || { echo "tests/ca-signer-debug not built" >&2; exit 99; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root: callers are told apart by their uid (setpriv)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
# the system's Python: one under root's home (pyenv) is not the other uids'
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# uids without a passwd entry: the signer knows callers by number
RA_UID=61001 SIGNER_UID=61002 STRANGER_UID=61003 OCSP_UID=61004 GID=61000
DB="$GOVPKI_HOME/govpki.db"

ra_setup
cat >> "$CONF" <<EOF
[profile.person]
approvals = 2

# no [signer] socket: the signer is given --socket, and ra-server (which
# only submits here) keeps the key in process (ra_signer.sh has it use the
# signer)
[signer]
user = $SIGNER_UID
group = $GID

[signer.caller.$RA_UID]
requests = issue-approved-request, issue-auto-request, health
cas = issuing
# issuance without an officer over EST only
channels = est
# a CA profile in the list still gets no CA certificate
profiles = tls-server, person, sub-ca

[signer.caller.$OCSP_UID]
requests = sign-ocsp, health
cas = issuing
EOF
# the store is shared with the signer's group; the keys stay root's (0700)
mkdir -p "$T/run"
chmod 0711 "$T"
chgrp "$GID" "$T/run" && chmod 0770 "$T/run"
chgrp -R "$GID" "$GOVPKI_HOME" && chmod g+rwX "$GOVPKI_HOME" "$GOVPKI_HOME"/govpki.db*
chmod 0700 "$GOVPKI_HOME/keys"
KEYFILE=$(sqlite3 "$DB" "SELECT key_uri FROM ca WHERE name = 'issuing'")
case $KEYFILE in /*) ;; *) KEYFILE=$GOVPKI_HOME/$KEYFILE ;; esac

SIGNER_PID=
stop_all() {
	ra_stop
	if [ -n "$SIGNER_PID" ]; then
		kill -TERM "$SIGNER_PID" 2>/dev/null || true   # may have exited already
		wait "$SIGNER_PID" 2>/dev/null || true          # its status: checked where it matters
		SIGNER_PID=
	fi
}

# as UID CMD...: runs CMD as that uid, in the shared group
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$GID" --clear-groups "$@"; }
# sc UID ARGS...: the client as UID; its output in $T/sc.out, its exit status echoed
sc() {
	local u=$1 rc=0; shift
	as "$u" "$PY" "$CLIENT" "$@" >"$T/sc.out" 2>"$T/sc.err" || rc=$?
	echo "$rc"
}
field() { sed -n "s/^$1 //p" "$T/sc.out"; }
certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
refusals() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'signer.refuse'"; }
last_refusal() { sqlite3 "$DB" "SELECT actor || ' ' || coalesce(object, '-') || ' ' || detail FROM audit WHERE action = 'signer.refuse' ORDER BY seq DESC LIMIT 1"; }
status_of() { sqlite3 "$DB" "SELECT status FROM ra_request WHERE id = $1"; }

# start_signer PROGRAM SOCKET: the signer as root (it drops to SIGNER_UID),
# up when a health request of the RA's uid is answered (bounded wait)
start_signer() {
	"$1" --config "$CONF" --socket "$2" 2>>"$T/signer.log" &
	SIGNER_PID=$!
	for _ in $(seq 1 500); do
		[ -S "$2" ] && [ "$(sc "$RA_UID" "$2" health 1)" = 0 ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || { cat "$T/signer.log" >&2; echo "ca-signer died" >&2; exit 1; }
		sleep 0.02
	done
	echo "ca-signer did not answer" >&2; cat "$T/signer.log" "$T/sc.out" "$T/sc.err" >&2; exit 1
}

# submit PROFILE CN [SAN]: a request through ra-server's API (an
# applicant's token); its id in $ID
submit() {
	csr_json ec-p256 "$2" "${3:-DNS:$2}" "$1" > "$T/req.json"
	check "submit $1 for $2: 201" 201 "$(api app POST /api/v1/requests -H 'Content-Type: application/json' --data-binary @"$T/req.json")"
	ID=$(json "j['id']")
}
# mark_approved ID OFFICER...: what an RA (or a compromised one) writes
# into the store when officers approve: approval rows, status approved (1)
mark_approved() {
	local id=$1 o sql=""; shift
	for o; do sql="$sql INSERT INTO ra_approval (request_id, officer, time) VALUES ($id, '$o', strftime('%s'));"; done
	sqlite3 "$DB" "BEGIN; $sql UPDATE ra_request SET status = 1 WHERE id = $id; COMMIT;"
}

# refused WHAT WANT_EXIT PATTERN UID ARGS...: the request is refused (the
# client's exit: 1 a refusal reply, 3 a closed connection), nothing is
# signed, and one more signer.refuse entry matches PATTERN
refused() {
	local what=$1 want=$2 pat=$3 u=$4 c0 a0 rc; shift 4
	c0=$(certs); a0=$(refusals)
	rc=$(sc "$u" "$SOCK" "$@")
	if [ "$rc" = "$want" ]; then ok "$what: refused (exit $rc)"; else
		not_ok "$what: refused (exit $rc, want $want)"; show 5 "$T/sc.out" "$T/sc.err"; fi
	check "$what: nothing signed" "$c0" "$(certs)"
	check "$what: audited once" "$((a0 + 1))" "$(refusals)"
	if grep -Eq -- "$pat" <<<"$(last_refusal)"; then ok "$what: the audit entry says why"; else
		not_ok "$what: the audit entry says why (want /$pat/)"; echo "#   $(last_refusal)"; fi
}

ra_start
trap 'stop_all; rm -rf "$T"' EXIT
SOCK="$T/run/signer.sock"
start_signer "$SIGNER" "$SOCK"

# --- confinement: its own uid, no new privileges, seccomp filter
st=/proc/$SIGNER_PID/status
check "the signer runs as uid $SIGNER_UID (real, effective, saved)" "$SIGNER_UID $SIGNER_UID $SIGNER_UID $SIGNER_UID" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$st")"
check "... with no new privileges" 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")"
check "... under a seccomp filter (mode 2)" 2 "$(awk '/^Seccomp:/ { print $2 }' "$st")"
if as "$SIGNER_UID" cat "$KEYFILE" >/dev/null 2>&1; then
	not_ok "uid $SIGNER_UID cannot read the CA key file (it was opened before the drop)"
else
	ok "uid $SIGNER_UID cannot read the CA key file (it was opened before the drop)"
fi
check "the socket is mode 0660, group $GID" "660 $GID" "$(stat -c '%a %g' "$SOCK")"

# --- health: echoes the nonce
check "health from the RA's uid" 0 "$(sc "$RA_UID" "$SOCK" health 4242)"
check "... echoes the nonce" 4242 "$(field message)"

# --- one approved request, which the wrong callers ask for first
submit tls-server good.example.gov.cn
GOOD=$ID
mark_approved "$GOOD" alice
refused "an unknown uid ($STRANGER_UID)" 3 "^signer:uid=$STRANGER_UID connect .*no \[signer.caller\] section for uid $STRANGER_UID" \
	"$STRANGER_UID" issue-approved "$GOOD"
refused "a caller without the right (the OCSP responder's uid)" 1 "signer:uid=$OCSP_UID\\($OCSP_UID\\) request:$GOOD .*may not ask for issue-approved-request" \
	"$OCSP_UID" issue-approved "$GOOD"
check "... with GP_E_DENIED (-18)" -18 "$(field status)"
check "the request is still approved" 1 "$(status_of "$GOOD")"

# --- requests the store does not show as approved
submit tls-server pending.example.gov.cn
refused "a pending request" 1 "request:$ID .*is pending, not approved" "$RA_UID" issue-approved "$ID"
check "... with GP_E_STATE (-15)" -15 "$(field status)"
submit tls-server forged.example.gov.cn
sqlite3 "$DB" "UPDATE ra_request SET status = 1 WHERE id = $ID"
refused "marked approved with no approval" 1 "request:$ID .*0 valid approvals of the 1" "$RA_UID" issue-approved "$ID"
check "... with GP_E_POLICY (-8)" -8 "$(field status)"
submit tls-server eve.example.gov.cn
mark_approved "$ID" eve
refused "approved by a name that is no registered officer" 1 "eve is not a registered officer" "$RA_UID" issue-approved "$ID"
submit tls-server dave.example.gov.cn
mark_approved "$ID" dave
refused "approved by an auditor" 1 "officer dave is an auditor" "$RA_UID" issue-approved "$ID"
submit person "Zhang San" "email:zs@example.gov.cn"
mark_approved "$ID" alice
refused "one approval where the profile wants two" 1 "1 valid approval of the 2 its profile person needs" "$RA_UID" issue-approved "$ID"
PERSON=$ID
# a row that says one approval is needed does not lower the profile's two
sqlite3 "$DB" "UPDATE ra_request SET approvals_needed = 1 WHERE id = $PERSON"
refused "... nor when the row says one is enough" 1 "1 valid approval of the 2" "$RA_UID" issue-approved "$PERSON"
refused "a request id that does not exist" 1 "request:999999 " "$RA_UID" issue-approved 999999
submit tls-server subca.example.gov.cn
sqlite3 "$DB" "UPDATE ra_request SET profile = 'sub-ca' WHERE id = $ID"
mark_approved "$ID" alice bob
refused "a CA profile, listed for the caller" 1 "asks for a CA certificate \(profile sub-ca\)" "$RA_UID" issue-approved "$ID"
submit tls-server other-ca.example.gov.cn
mark_approved "$ID" alice
sqlite3 "$DB" "UPDATE ra_request SET ca = 'root' WHERE id = $ID"
refused "a request for another CA" 1 "request $ID is for CA root, which caller $RA_UID may not use" "$RA_UID" issue-approved "$ID"
check "... with GP_E_DENIED (-18)" -18 "$(field status)"
refused "a request type the caller may not ask (sign-crl)" 1 "may not ask for sign-crl" "$RA_UID" sign-crl issuing 0

# --- issue-auto-request: the caller's channels, then the profile's setting
submit tls-server auto.example.gov.cn
refused "issue-auto-request by a caller without it" 1 "may not ask for issue-auto-request" \
	"$OCSP_UID" issue-auto "$ID" est 0
refused "issue-auto-request over a channel not in the caller's channels" 1 \
	"request:$ID .*may not ask for issue-auto-request over acme \(channels = est\)" "$RA_UID" issue-auto "$ID" acme 1
check "... with GP_E_DENIED (-18)" -18 "$(field status)"
refused "issue-auto-request for a profile not served over EST" 1 "profile tls-server is not served over est" \
	"$RA_UID" issue-auto "$ID" est 0
check "... the request is still pending" 0 "$(status_of "$ID")"

# --- frames that are not messages: the connection ends, nothing read further
refused "a malformed frame (BER length)" 3 "^signer:uid=$RA_UID\\($RA_UID\\) message .*DER" \
	"$RA_UID" raw 475053010000000200000006308103020107
refused "an oversize frame (2 GiB announced)" 3 "message .*body of 2147483647 bytes \(at most 16777216\)" \
	"$RA_UID" raw 47505301000000027fffffff
refused "a wrong version" 3 "version 2" "$RA_UID" raw 475053020000000100000005300302012a
refused "an unknown type" 3 "unknown type 0x00000063" "$RA_UID" raw 475053010000006300000005300302012a
refused "a truncated body" 3 "truncated" "$RA_UID" raw 47505301000000020000000530030201
refused "debug-syscall, which this build does not carry out" 1 "debug-syscall: not in this build" "$RA_UID" debug-syscall 1
kill -0 "$SIGNER_PID" 2>/dev/null && ok "the signer lives on after all of these" || not_ok "the signer lives on after all of these"

# --- the good issuance, then once only
c0=$(certs)
export SIGNER_OUT_PREFIX="$T/run/good"   # a folder the client may write
check "the approved request is issued" 0 "$(sc "$RA_UID" "$SOCK" issue-approved "$GOOD")"
unset SIGNER_OUT_PREFIX
check "... one certificate more in the store" "$((c0 + 1))" "$(certs)"
check "... the request is issued (2)" 2 "$(status_of "$GOOD")"
if openssl x509 -inform DER -in "$T/run/good.0" -out "$T/good.pem" 2>"$T/err" &&
    openssl verify -x509_strict -purpose sslserver -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T/good.pem" > "$T/verify.out" 2>&1; then
	ok "openssl verify: the certificate chains to the root"
else
	not_ok "openssl verify: the certificate chains to the root"; show 5 "$T/err" "$T/verify.out"
fi
openssl x509 -in "$T/good.pem" -noout -ext subjectAltName > "$T/san.txt" 2>&1
grep -q "DNS:good.example.gov.cn" "$T/san.txt" && ok "... for the name the request holds" || { not_ok "... for the name the request holds"; show 3 "$T/san.txt"; }
sn=$(openssl x509 -in "$T/good.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')
check "... stored with the request's serial" "$sn" "$(sqlite3 "$DB" "SELECT lower(hex(serial)) FROM ra_request WHERE id = $GOOD")"
check "... audited with the caller's uid" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cert.issue' AND actor = 'signer:uid=$RA_UID($RA_UID):request:$GOOD'")"
refused "the same request again" 1 "request:$GOOD .*is issued, not approved" "$RA_UID" issue-approved "$GOOD"
expect "the audit chain verifies (ca-tool audit verify)" ct audit verify

# SIGTERM stops the signer with status 0, in its sandbox (under ASan:
# LeakSanitizer's check at exit ran there and found no leak); bounded wait
ra_stop
pid=$SIGNER_PID; SIGNER_PID=
kill -TERM "$pid"
for _ in $(seq 1 500); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
rc=0; wait "$pid" || rc=$?
check "SIGTERM: the signer exits with status 0" 0 "$rc"

# --- seccomp: the debug build makes a call the filter forbids
SOCK="$T/run/debug.sock"
start_signer "$SIGNER_DEBUG" "$SOCK"
pid=$SIGNER_PID
rc=$(sc "$RA_UID" "$SOCK" debug-syscall 1)
check "debug build: the connection ends with the process" 3 "$rc"
# bounded: a signer the call did not kill is killed here, and fails below
for _ in $(seq 1 500); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
rc=0; wait "$pid" || rc=$?
SIGNER_PID=
check "... killed by SIGSYS (exit 128+31)" 159 "$rc"
if grep -q "socket() was allowed" "$T/signer.log"; then not_ok "... before the call returned"; else ok "... before the call returned"; fi

finish
