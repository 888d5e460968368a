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
. "$(dirname "$0")/signer_lib.sh"
ra_setup
signer_setup "issue-approved-request, health"

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
