#!/bin/bash
# tests/integration/ra_signer_auto.sh: issuance without an officer through
# ca-signer (docs/signer.md, issue-auto-request).  ra-server runs as its own
# uid without the CA key; curl's EST simpleenroll (RFC 7030 §4.2.1, a
# profile with est_approval = auto), openssl cmp's p10cr (cmp_approval =
# auto) and one lego ACME order (http-01, RFC 8555 §7.4) are issued by the
# signer, checked with openssl verify and in
# the audit.  A client speaking the socket protocol as the RA's uid (a
# compromised RA) asks issue-auto-request for a profile that waits for
# officers and for an order it forged in the store with its authorization
# pending: refused, audited, nothing signed.  With the signer stopped EST
# and ACME answer 503 (with Retry-After; ACME's serverInternal problem,
# RFC 8555 §6.7) and store no request and no certificate.
. "$(dirname "$0")/ra_lib.sh"
. "$(dirname "$0")/signer_lib.sh"

command -v lego >/dev/null || skip_all "lego not installed (scripts/common.sh installs it)"
HTTP01=$(free_port)
CLIENT="$top_srcdir/tests/integration/signer_client.py"

ra_setup
cat >> "$CONF" <<EOF

[profile.est-auto]
inherit = device
est = yes
est_approval = auto
[profile.est-officer]
inherit = device
est = yes
[profile.cmp-auto]
inherit = device
cmp = yes
cmp_approval = auto
[profile.tls-server]
acme = yes
[est]
default_profile = est-auto
retry_after = 1
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1
retry_after = 2
EOF
# the enrolment secrets, written by root before the store is shared
SECRET=$(ct --config "$CONF" est secret create --profile est-auto --name dev1 2>/dev/null)
SECRET2=$(ct --config "$CONF" est secret create --profile est-officer --name dev2 2>/dev/null)
SECRET3=$(ct --config "$CONF" est secret create --profile est-auto --name dev3 2>/dev/null)
ct --config "$CONF" cmp secret create --profile cmp-auto > "$T/cmpsec" 2>/dev/null
KID=$(sed -n 's/^kid: //p' "$T/cmpsec"); CMPSEC=$(sed -n 's/^secret: //p' "$T/cmpsec")
signer_setup "issue-approved-request, issue-auto-request, health"
# the CMP MAC key is the RA's (ra/cmp-secret.c), kept in the keys folder:
# the RA's group may read that one file, and none of the CA's
chgrp "$GID" "$GOVPKI_HOME/keys" "$GOVPKI_HOME/keys/cmp-secrets.key"
chmod 0710 "$GOVPKI_HOME/keys" && chmod 0640 "$GOVPKI_HOME/keys/cmp-secrets.key"
if as "$RA_UID" cat "$KEYFILE" >/dev/null 2>&1; then
	not_ok "uid $RA_UID cannot read the CA key file"
else
	ok "uid $RA_UID cannot read the CA key file"
fi
start_signer
start_ra

certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
requests() { sqlite3 "$DB" "SELECT count(*) FROM ra_request"; }
refusals() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'signer.refuse' AND object = 'request:$1' AND detail LIKE '%request=issue-auto-request%'"; }
last_request() { sqlite3 "$DB" "SELECT max(id) FROM ra_request"; }
# est ARGS...: curl against the server, trusting our root: the HTTP status;
# the body in $T/body, the headers in $T/hdr
est() { curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --cacert "$D/root.pem" "$@"; }
header() { tr -d '\r' < "$T/hdr" | sed -n "s/^$1: //Ip" | tail -n 1; }
# csr_b64 NAME CN: a fresh key and its CSR (SAN DNS:CN) as base64 DER in $D/NAME.b64
csr_b64() {
	genkey ec-p256 "$D/$1.key"
	mkcsr ec-p256 "$D/$1.key" "$D/$1.csr" "/C=CN/O=City/CN=$2" "DNS:$2"
	openssl req -in "$D/$1.csr" -outform DER | openssl base64 > "$D/$1.b64"
}
P10=(-H "Content-Type: application/pkcs10")
EST="$URL/.well-known/est"
verify() {
	if openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$@" > "$T/verify.out" 2>&1; then
		ok "openssl verify: $*"
	else
		not_ok "openssl verify: $*"; show 5 "$T/verify.out"
	fi
}
# asks WHAT RC REQUEST...: signer_client.py as the RA's uid (the compromised
# RA) sends REQUEST and exits with RC (0: issued, 1: refused); its output in
# $T/client.out, the reply's items in $T/run/item.K
asks() {
	local what=$1 want=$2 rc=0; shift 2
	SIGNER_OUT_PREFIX="$T/run/item" as "$RA_UID" python3 "$CLIENT" "$SOCK" "$@" > "$T/client.out" 2>&1 || rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$what"; else
		not_ok "$what (exit $rc, want $want)"; show 5 "$T/client.out"; fi
}

# --- EST simpleenroll, est_approval = auto: issued by the signer
csr_b64 dev1 dev1.city.example
c0=$(certs)
check "EST simpleenroll (auto) through the signer: 200" 200 \
	"$(est -u "dev1:$SECRET" "${P10[@]}" --data-binary @"$D/dev1.b64" "$EST/simpleenroll")"
if openssl base64 -d -in "$T/body" | openssl pkcs7 -inform DER -print_certs -out "$T/dev1.pem" 2>"$T/p7.err"; then
	ok "... the answer is a certs-only PKCS#7 (openssl pkcs7)"
else
	not_ok "... the answer is a certs-only PKCS#7 (openssl pkcs7)"; show 5 "$T/p7.err" "$T/body"
fi
verify "$T/dev1.pem"
check "... one certificate more" "$((c0 + 1))" "$(certs)"
EREQ=$(last_request)
check "... its request is issued (2)" 2 "$(sqlite3 "$DB" "SELECT status FROM ra_request WHERE id = $EREQ")"
check "... the signer signed it for the RA's uid" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cert.issue' AND actor = 'signer:uid=$RA_UID($RA_UID):request:$EREQ'")"
grep -q "issued request:$EREQ (est, no officer) for signer:uid=$RA_UID" "$T/signer.log" &&
	ok "... the signer's log names it" || { not_ok "... the signer's log names it"; show 5 "$T/signer.log"; }

# --- CMP p10cr (cmp_approval = auto, RFC 9483 §4.1.4) with openssl cmp over TLS
genkey ec-p256 "$D/d1.key"
mkcsr ec-p256 "$D/d1.key" "$D/d1.csr" "/C=CN/O=City/CN=d1.city.example" "DNS:d1.city.example"
c0=$(certs)
if openssl cmp -server "127.0.0.1:${URL##*:}" -tls_used -tls_trusted "$D/root.pem" -path .well-known/cmp \
	-recipient "/CN=govpki" -ref "$KID" -secret "pass:$CMPSEC" -cmd p10cr -csr "$D/d1.csr" \
	-certout "$D/d1.crt" > "$T/cmp.out" 2>&1; then
	ok "openssl cmp p10cr through the signer: issued"
else
	sqlite3 "$DB" "SELECT detail FROM audit WHERE action LIKE 'cmp.%'" > "$T/cmp.audit"
	not_ok "openssl cmp p10cr through the signer: issued"; show 20 "$T/cmp.out" "$T/cmp.audit"
fi
verify "$D/d1.crt"
check "... one certificate more" "$((c0 + 1))" "$(certs)"
CREQ=$(last_request)
check "... the signer signed it (cmp, no officer)" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cert.issue' AND actor = 'signer:uid=$RA_UID($RA_UID):request:$CREQ'")"
check "... certConf confirmed it" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'cmp.certconf' AND detail LIKE '%result=confirmed%'")"

# --- one ACME order with lego (http-01): issued by the signer
export LEGO_CA_CERTIFICATES="$D/root.pem"
lg() { lego --path "$T/lego" --server "$URL/acme/tls-server/directory" --accept-tos --email admin@acme.test "$@"; }
NAME=web.acme.test
c0=$(certs)
expect "lego: an order over http-01, finalized through the signer" \
	lg --domains "$NAME" --http --http.port "127.0.0.1:$HTTP01" run
openssl x509 -in "$T/lego/certificates/$NAME.crt" > "$T/web.pem" 2>/dev/null || true   # an empty file fails below
verify -purpose sslserver "$T/web.pem"
openssl x509 -in "$T/web.pem" -noout -ext subjectAltName > "$T/san" 2>&1 || true   # checked next
grep -q "DNS:$NAME" "$T/san" && ok "... for $NAME" || { not_ok "... for $NAME"; show 3 "$T/san"; }
check "... one certificate more" "$((c0 + 1))" "$(certs)"
AREQ=$(last_request)
AORD=$(sqlite3 "$DB" "SELECT id FROM acme_order WHERE ra_request = $AREQ")
check "... its order is valid (3)" 3 "$(sqlite3 "$DB" "SELECT status FROM acme_order WHERE id = ${AORD:-0}")"
check "... the signer signed it and moved the order" 2 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE actor LIKE 'signer:uid=$RA_UID($RA_UID)%' AND ((action = 'cert.issue' AND actor LIKE '%:request:$AREQ') OR (action = 'acme.order.status' AND object = 'acme-order:${AORD:-0}' AND detail = 'valid'))")"

# --- the compromised RA asks directly: refused and audited
# a request for a profile whose enrolments wait for officers
csr_b64 dev2 dev2.city.example
check "EST simpleenroll of est-officer: 202, pending" 202 \
	"$(est -u "dev2:$SECRET2" "${P10[@]}" --data-binary @"$D/dev2.b64" "$EST/est-officer/simpleenroll")"
OREQ=$(last_request)
c0=$(certs)
asks "issue-auto-request for est-officer's request: refused" 1 issue-auto "$OREQ" est 0
grep -q "only with an officer's approval" "$T/client.out" && ok "... because the profile waits for officers" ||
	{ not_ok "... because the profile waits for officers"; show 5 "$T/client.out"; }
check "... audited" 1 "$(refusals "$OREQ")"
check "... nothing signed" "$c0" "$(certs)"
check "... the request still pending (0)" 0 "$(sqlite3 "$DB" "SELECT status FROM ra_request WHERE id = $OREQ")"
asks "the same asked as ACME: refused too" 1 issue-auto "$OREQ" acme 0
check "... audited" 2 "$(refusals "$OREQ")"

# an order the RA's uid forged in the store (it can write it): lego's
# request and order again, pending, with its authorization pending
NOW=$(date +%s)
as "$RA_UID" sqlite3 "$DB" "
	INSERT INTO ra_request (kind, status, ca, profile, subject, sans, submitter, submitted, updated, approvals_needed, csr)
		SELECT kind, 0, ca, profile, subject, sans, submitter, $NOW, $NOW, approvals_needed, csr FROM ra_request WHERE id = $AREQ;
	INSERT INTO acme_order (account, profile, status, created, expires, identifiers, ra_request)
		SELECT account, profile, 2, $NOW, $NOW + 3600, identifiers, (SELECT max(id) FROM ra_request) FROM acme_order WHERE id = ${AORD:-0};
	INSERT INTO acme_authz (order_id, account, id_type, value, wildcard, status, expires, token)
		SELECT (SELECT max(id) FROM acme_order), account, id_type, value, wildcard, 0, $NOW + 3600, token FROM acme_authz WHERE order_id = ${AORD:-0};"
FREQ=$(last_request)
FORD=$(sqlite3 "$DB" "SELECT max(id) FROM acme_order")
c0=$(certs)
asks "issue-auto-request for the forged order: refused" 1 issue-auto "$FREQ" acme "$FORD"
grep -Eq "authorization [0-9]+ of order $FORD is pending" "$T/client.out" && ok "... because its authorization is pending" ||
	{ not_ok "... because its authorization is pending"; show 5 "$T/client.out"; }
check "... audited" 1 "$(refusals "$FREQ")"
check "... nothing signed" "$c0" "$(certs)"
asks "as EST (no order): refused" 1 issue-auto "$FREQ" est 0
grep -q "profile tls-server is not served over est" "$T/client.out" && ok "... its profile is not served over EST" ||
	{ not_ok "... its profile is not served over EST"; show 5 "$T/client.out"; }
check "... audited" 2 "$(refusals "$FREQ")"
check "... nothing signed" "$c0" "$(certs)"
# the control: with its authorization valid the same order is issued, so
# the refusal above was the authorization's (the store is the RA's to
# write: docs/signer.md, what a compromised RA can still do)
as "$RA_UID" sqlite3 "$DB" "UPDATE acme_authz SET status = 3 WHERE order_id = $FORD"
asks "... once its authorization is valid in the store: issued" 0 issue-auto "$FREQ" acme "$FORD"
openssl x509 -inform DER -in "$T/run/item.0" -out "$T/forged.pem" 2>/dev/null || true   # checked next
verify "$T/forged.pem"
check "... one certificate more" "$((c0 + 1))" "$(certs)"

# EST: the signer reads again what authenticated the enrolment (its
# submitter): a request copied from dev1's as someone else's, or after
# dev1's enrolment secret is revoked, is refused; the copy as it was is
# issued (the control)
# fake_est SUBMITTER: a pending copy of dev1's EST request, written by the RA's uid
fake_est() {
	local now; now=$(date +%s)
	as "$RA_UID" sqlite3 "$DB" "INSERT INTO ra_request (kind, status, ca, profile, subject, sans, submitter, submitted, updated, approvals_needed, csr)
		SELECT kind, 0, ca, profile, subject, sans, $1, $now, $now, approvals_needed, csr FROM ra_request WHERE id = $EREQ;"
	last_request
}
c0=$(certs)
XREQ=$(fake_est "'officer:alice'")
asks "issue-auto-request over EST for a request no EST client submitted: refused" 1 issue-auto "$XREQ" est 0
grep -q "was not submitted over EST (submitter officer:alice)" "$T/client.out" && ok "... saying so" ||
	{ not_ok "... saying so"; show 5 "$T/client.out"; }
check "... audited" 1 "$(refusals "$XREQ")"
check "... nothing signed" "$c0" "$(certs)"
ESUB=$(sqlite3 "$DB" "SELECT submitter FROM ra_request WHERE id = $EREQ")
YREQ=$(fake_est "'$ESUB'")
asks "the same copy as dev1's secret submitted it: issued (the control)" 0 issue-auto "$YREQ" est 0
check "... one certificate more" "$((c0 + 1))" "$(certs)"
ct --config "$CONF" est secret revoke --id "${ESUB#token:}" >/dev/null
c0=$(certs)
ZREQ=$(fake_est "'$ESUB'")
asks "after dev1's enrolment secret is revoked: refused" 1 issue-auto "$ZREQ" est 0
grep -q "enrolment secret est@dev1 is revoked" "$T/client.out" && ok "... because the secret is revoked" ||
	{ not_ok "... because the secret is revoked"; show 5 "$T/client.out"; }
check "... audited" 1 "$(refusals "$ZREQ")"
check "... nothing signed" "$c0" "$(certs)"

# --- the signer stopped: 503, nothing stored
stop_signer
c0=$(certs)
q0=$(requests)
csr_b64 dev3 dev3.city.example
check "EST simpleenroll with the signer stopped: 503" 503 \
	"$(est -u "dev3:$SECRET3" "${P10[@]}" --data-binary @"$D/dev3.b64" "$EST/simpleenroll")"
check "... Retry-After" 1 "$(header Retry-After)"
grep -q "cannot reach ca-signer" "$T/body" && ok "... the answer says the signer was not reached" ||
	{ not_ok "... the answer says the signer was not reached"; show 3 "$T/body"; }
check "... no request stored" "$q0" "$(requests)"
check "... no certificate" "$c0" "$(certs)"
o0=$(sqlite3 "$DB" "SELECT max(id) FROM acme_order")
expect_fail "lego with the signer stopped: the order is not finalized" nz "" \
	lg --domains "web2.acme.test" --http --http.port "127.0.0.1:$HTTP01" run
grep -q "serverInternal" "$T/stderr" && ok "... lego was told serverInternal" ||
	{ not_ok "... lego was told serverInternal"; show 10 "$T/stderr"; }
NORD=$(sqlite3 "$DB" "SELECT max(id) FROM acme_order")
[ "$NORD" -gt "$o0" ] && ok "... lego made its order" || not_ok "... lego made its order ($NORD)"
check "... which stays ready (1), with no request" "1 0" \
	"$(sqlite3 "$DB" "SELECT status || ' ' || ra_request FROM acme_order WHERE id = $NORD")"
check "... no request stored" "$q0" "$(requests)"
check "... no certificate" "$c0" "$(certs)"

# the forged request has no ra.submit entry: the audit chain says so
expect_fail "ca-tool audit verify finds the forged request" nz "request:$FREQ has no ra.submit entry" \
	ct audit verify
finish
