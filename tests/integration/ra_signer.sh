#!/bin/bash
# tests/integration/ra_signer.sh: ra-server issues through ca-signer
# (docs/signer.md, [signer] socket).  ra-server runs as its own uid, which
# cannot read the CA key file, and without the CA passphrase; a request
# submitted and approved through the REST API is issued by the signer
# (openssl verifies the certificate against the chain, the audit names
# the signer and the RA's uid).  With the signer stopped an approval is
# answered with an error that says so, and the request stays approved,
# with no certificate; approving it again once the signer is back issues
# it, and so does a restart of ra-server for one left approved.
. "$(dirname "$0")/ra_lib.sh"

SIGNER="$top_builddir/ca-signer"
[ -x "$SIGNER" ] || { echo "ca-signer not built at $SIGNER" >&2; exit 99; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root: ra-server and ca-signer run as uids of their own (setpriv)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

# uids without a passwd entry: the signer knows its callers by number
RA_UID=61011 SIGNER_UID=61012 GID=61010
DB="$GOVPKI_HOME/govpki.db"
SOCK="$T/run/signer.sock"
JSON=(-H 'Content-Type: application/json')

ra_setup
# the RA's configuration without [signer]: the same server in process
cp "$CONF" "$T/inproc.cnf"
printf '%s\n' "$GOVPKI_PASSPHRASE" > "$D/tls.pass"
cat >> "$CONF" <<EOF
tls_key_pass_file = $D/tls.pass

[signer]
socket = $SOCK
user = $SIGNER_UID
group = $GID

[signer.caller.$RA_UID]
requests = issue-approved-request, health
cas = issuing
EOF
# the store and the socket's folder are shared with the group; the keys
# stay root's (0700); the RA's uid reads its configuration and TLS files
mkdir -p "$T/run"
chmod 0711 "$T" "$D"
chgrp "$GID" "$T/run" && chmod 0770 "$T/run"
chgrp -R "$GID" "$GOVPKI_HOME" && chmod g+rwX "$GOVPKI_HOME" "$GOVPKI_HOME"/govpki.db*
chmod 0700 "$GOVPKI_HOME/keys"
chgrp "$GID" "$CONF" "$T/inproc.cnf" "$D/srv-chain.pem" "$D/srv.key" "$D/tls.pass"
chmod g+r "$CONF" "$T/inproc.cnf" "$D/srv-chain.pem" "$D/srv.key" "$D/tls.pass"
KEYFILE=$(sqlite3 "$DB" "SELECT key_uri FROM ca WHERE name = 'issuing'")
case $KEYFILE in /*) ;; *) KEYFILE=$GOVPKI_HOME/$KEYFILE ;; esac

SIGNER_PID=
stop_signer() {
	if [ -n "$SIGNER_PID" ]; then
		kill -TERM "$SIGNER_PID" 2>/dev/null || true   # may have exited already
		wait "$SIGNER_PID" 2>/dev/null || true          # its status is not the point
		SIGNER_PID=
	fi
}
trap 'ra_stop; stop_signer; rm -rf "$T"' EXIT

# as UID CMD...: CMD as that uid in the shared group, without the CA
# passphrase in its environment
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE "$@"; }

# start_signer: as root, dropping to SIGNER_UID; up when its socket is
# there (ra-server's own health request then waits in the backlog)
start_signer() {
	rm -f "$SOCK"
	"$SIGNER" --config "$CONF" --pass-file "$T/pass" 2>>"$T/signer.log" &
	SIGNER_PID=$!
	for _ in $(seq 1 500); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || { cat "$T/signer.log" >&2; echo "ca-signer died" >&2; exit 1; }
		sleep 0.02
	done
	echo "ca-signer did not listen" >&2; exit 1
}

# start_ra: ra-server as RA_UID on a free port; up when its port file is
start_ra() {
	rm -f "$T/run/port"
	# a simple command, not the function as: $! is then ra-server itself
	# (setpriv and env exec it), which ra_stop stops
	setpriv --reuid="$RA_UID" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE \
		"$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0 --port-file "$T/run/port" \
		2>>"$T/server.log" &
	RA_PID=$!
	for _ in $(seq 1 500); do
		[ -s "$T/run/port" ] && break
		kill -0 "$RA_PID" 2>/dev/null || { cat "$T/server.log" >&2; echo "ra-server died" >&2; exit 1; }
		sleep 0.02
	done
	[ -s "$T/run/port" ] || { echo "ra-server did not start" >&2; exit 1; }
	URL="https://127.0.0.1:$(cat "$T/run/port")"
}

certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
status_of() { sqlite3 "$DB" "SELECT status FROM ra_request WHERE id = $1"; }
serial_of() { sqlite3 "$DB" "SELECT coalesce(lower(hex(serial)), '') FROM ra_request WHERE id = $1"; }
# submit CN: a tls-server request by the applicant's token; its id in $ID
submit() {
	csr_json ec-p256 "$1" "DNS:$1" > "$T/req.json"
	check "submit $1: 201" 201 "$(api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/req.json")"
	ID=$(json "j['id']")
}
# verified ID NAME: request ID's certificate, fetched as PEM, chains to the
# root (openssl verify) and holds NAME
verified() {
	local sn; sn=$(serial_of "$1")
	check "request $1: its certificate as PEM" 200 "$(api app GET "/api/v1/certificates/$sn" -H 'Accept: application/pem-certificate-chain')"
	cp "$T/body" "$T/c$1.pem"
	if openssl verify -x509_strict -purpose sslserver -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T/c$1.pem" > "$T/verify.out" 2>&1; then
		ok "request $1: openssl verifies it against the chain"
	else
		not_ok "request $1: openssl verifies it against the chain"; show 5 "$T/verify.out"
	fi
	if openssl x509 -in "$T/c$1.pem" -noout -ext subjectAltName > "$T/san.txt" 2>&1 &&
	    grep -q "DNS:$2" "$T/san.txt"; then
		ok "request $1: for $2"
	else
		not_ok "request $1: for $2"; show 3 "$T/san.txt"
	fi
}

# --- the RA's uid cannot read the CA key, and in process cannot start
if as "$RA_UID" cat "$KEYFILE" >/dev/null 2>&1; then
	not_ok "uid $RA_UID cannot read the CA key file"
else
	ok "uid $RA_UID cannot read the CA key file"
fi
expect_fail "without [signer], ra-server as uid $RA_UID does not start" nz "passphrase|CA" \
	as "$RA_UID" "$RA_SERVER" --config "$T/inproc.cnf" --listen 127.0.0.1:0 --port-file "$T/run/port"

# --- with [signer]: no signer, no RA
expect_fail "with no signer listening, ra-server does not start" 1 "\[signer\] socket: .*ca-signer" \
	as "$RA_UID" "$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0 --port-file "$T/run/port"

start_signer
start_ra
ok "ra-server starts as uid $RA_UID without the CA passphrase or key"
held=$(for f in /proc/"$RA_PID"/fd/*; do readlink "$f" || true; done)   # a closed fd vanishes
if grep -Fq "$GOVPKI_HOME/keys" <<<"$held"; then
	not_ok "ra-server holds no file of the keys folder open"; echo "#   $held"
else
	ok "ra-server holds no file of the keys folder open"
fi
check "ra-server runs as uid $RA_UID" "ra-server $RA_UID $RA_UID" \
	"$(sed 's/^lt-//' /proc/"$RA_PID"/comm) $(awk '/^Uid:/ { print $2, $3 }' /proc/"$RA_PID"/status)"

# --- approved through the REST API: issued by the signer
submit one.example.gov.cn
ONE=$ID
c0=$(certs)
check "alice approves: 200" 200 "$(api alice POST "/api/v1/requests/$ONE/approve")"
check "... the request is issued" issued "$(json "j['status']")"
check "... one certificate more in the store" "$((c0 + 1))" "$(certs)"
verified "$ONE" one.example.gov.cn
check "the audit: the signer signed it for the RA's uid" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cert.issue' AND actor = 'signer:uid=$RA_UID($RA_UID):request:$ONE'")"
check "the audit: alice's approval" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'ra.approve' AND actor = 'officer:alice' AND object = 'request:$ONE'")"
grep -q "issued request:$ONE for signer:uid=$RA_UID" "$T/signer.log" && ok "the signer's log names the request" ||
	{ not_ok "the signer's log names the request"; show 5 "$T/signer.log"; }

# --- the signer stopped: the approval stands, nothing is issued
submit two.example.gov.cn
TWO=$ID
stop_signer
c0=$(certs)
check "approval with the signer down: 500" 500 "$(api alice POST "/api/v1/requests/$TWO/approve")"
if json_matches "j['detail']" "request $TWO is approved but not issued: .*ca-signer"; then
	ok "... the error says the signer was not reached"
else
	not_ok "... the error says the signer was not reached"; show 3 "$T/body"
fi
check "... the request stays approved (1)" 1 "$(status_of "$TWO")"
check "... with no serial" "" "$(serial_of "$TWO")"
check "... and no certificate more" "$c0" "$(certs)"
check "... the approval is recorded" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM ra_approval WHERE request_id = $TWO")"
check "the API shows it approved" 200 "$(api alice GET "/api/v1/requests/$TWO")"
check "... status approved" approved "$(json "j['status']")"

# --- the signer back: approving again issues it, with no second approval
start_signer
check "alice approves again: 200" 200 "$(api alice POST "/api/v1/requests/$TWO/approve")"
check "... the request is issued" issued "$(json "j['status']")"
check "... one certificate more" "$((c0 + 1))" "$(certs)"
check "... still one approval" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM ra_approval WHERE request_id = $TWO")"
verified "$TWO" two.example.gov.cn
check "approving an issued request is 409" 409 "$(api alice POST "/api/v1/requests/$TWO/approve")"

# --- left approved while ra-server stops: its restart has the signer issue it
submit three.example.gov.cn
THREE=$ID
stop_signer
check "approval with the signer down: 500" 500 "$(api bob POST "/api/v1/requests/$THREE/approve")"
old=$RA_PID
ra_stop
if kill -0 "$old" 2>/dev/null; then not_ok "ra-server stopped"; else ok "ra-server stopped"; fi
start_signer
start_ra
check "ra-server's restart: the signer issued the approved request" 2 "$(status_of "$THREE")"
grep -q "1 approved request(s) issued by ca-signer" "$T/server.log" && ok "... and ra-server says so" ||
	{ not_ok "... and ra-server says so"; show 5 "$T/server.log"; }
verified "$THREE" three.example.gov.cn

expect "the audit chain verifies (ca-tool audit verify)" ct audit verify
finish
