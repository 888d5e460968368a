#!/bin/bash
# ra_dual: dual control of CA certificates through ra-server (issue 21.1).
# CA profiles (root-ca too) need two officers and no configuration lowers
# that; a "*" token gets no CA profile; an RA refuses at submission a
# profile its CA may not issue (pathLenConstraint 0).  What was issued is
# read back with openssl, what was stored with sqlite3.
. "$(dirname "$0")/ra_lib.sh"

ra_setup
STAR=$(ct token create --name star --profiles '*' 2>/dev/null)
CATOK=$(ct token create --name subca --profiles 'tls-server,sub-ca' 2>/dev/null)
ra_start
JSON=(-H 'Content-Type: application/json')
DB="$GOVPKI_HOME/govpki.db"

# tok TOKEN METHOD PATH [curl args]: like api, with any token
tok() {
	local t=$1 method=$2 path=$3; shift 3
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --cacert "$D/root.pem" -X "$method" \
		-H "Authorization: Bearer $t" "$@" "$URL$path"
}
# ca_json PROFILE CN: a request body for a CA certificate of a fresh key
ca_json() {
	local n=$RANDOM$RANDOM
	genkey ec-p256 "$D/ca$n.key"
	mkcsr ec-p256 "$D/ca$n.key" "$D/ca$n.csr" "/C=CN/O=City/CN=$2"
	python3 -c "import json; print(json.dumps({'csr': open('$D/ca$n.csr').read(), 'profile': '$1'}))"
}
rows() { sqlite3 "$DB" "SELECT count(*) FROM ra_request"; }

# --- a "*" token: end-entity profiles yes, CA profiles no
ca_json root-ca "Rogue Root" > "$T/root.json"
ca_json sub-ca "Rogue Sub" > "$T/sub.json"
n0=$(rows)
check "'*' token asks for root-ca: 403" 403 "$(tok "$STAR" POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/root.json")"
check "... profile-not-allowed" "urn:govpki:problem:profile-not-allowed" "$(json "j['type']")"
check "'*' token asks for sub-ca: 403" 403 "$(tok "$STAR" POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/sub.json")"
check "... nothing stored" "$n0" "$(rows)"
csr_json ec-p256 star.example "DNS:star.example" > "$T/ee.json"
check "'*' token asks for tls-server: 201" 201 "$(tok "$STAR" POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/ee.json")"

# --- a token that names sub-ca gets it, under dual control
check "a token naming sub-ca asks for it: 201" 201 "$(tok "$CATOK" POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/sub.json")"
sid=$(json "j['id']")
check "... needs 2 approvals" 2 "$(json "j['approvals_needed']")"
check "first officer approves" 200 "$(api alice POST /api/v1/requests/$sid/approve)"
check "... still pending" pending "$(json "j['status']")"
check "second officer approves" 200 "$(api bob POST /api/v1/requests/$sid/approve)"
check "... issued" issued "$(json "j['status']")"

# --- root-ca (a CA without a path length): two officers as well
certs0=$(sqlite3 "$DB" "SELECT count(*) FROM cert")
check "officer submits a root-ca request" 201 "$(api alice POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/root.json")"
rid=$(json "j['id']")
check "root-ca needs 2 approvals" 2 "$(json "j['approvals_needed']")"
check "one officer's approval" 200 "$(api bob POST /api/v1/requests/$rid/approve)"
check "... does not issue it" pending "$(json "j['status']")"
check "... and no certificate was stored" "$certs0" "$(sqlite3 "$DB" "SELECT count(*) FROM cert")"
check "a second officer's approval" 200 "$(api carol POST /api/v1/requests/$rid/approve)"
check "... issues it" issued "$(json "j['status']")"
rsn=$(json "j.get('serial', 'none')")
api alice GET "/api/v1/certificates/$rsn" -H 'Accept: application/pem-certificate-chain' >/dev/null
openssl x509 -in "$T/body" -noout -ext basicConstraints > "$T/bc" && grep -q "CA:TRUE" "$T/bc" &&
	ok "openssl: the certificate is a CA (cA TRUE)" || not_ok "openssl: the certificate is a CA"
check "the request lists both approvers" "['bob', 'carol']" "$(api alice GET /api/v1/requests/$rid >/dev/null; json "sorted(j['approvals'])")"
check "unknown profile: 400" 400 "$(tok "$STAR" POST /api/v1/requests "${JSON[@]}" -d '{"csr":"x","profile":"nosuch"}')"
check "... unknown-profile" "urn:govpki:problem:unknown-profile" "$(json "j['type']")"
ra_stop

# --- a configuration that lowers it is refused, by ra-server and ca-tool
printf '[profile.root-ca]\napprovals = 1\n' >> "$CONF"
"$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0 --port-file "$T/port2" 2>"$T/err" &
p=$!
# bounded wait: either it exits (refused) or it listens (the defect)
for _ in $(seq 1 500); do
	[ -s "$T/port2" ] && break
	kill -0 "$p" 2>/dev/null || break
	sleep 0.02
done
if [ -s "$T/port2" ]; then
	kill -TERM "$p"; wait "$p" || :
	not_ok "ra-server started with root-ca approvals = 1"
else
	rc=0; wait "$p" || rc=$?
	[ "$rc" -ne 0 ] && ok "ra-server refuses root-ca with approvals = 1 (exit $rc)" || not_ok "ra-server exited 0"
fi
grep -q "approvals in \[profile.root-ca\]: a CA profile (ca = yes) needs at least 2 approvals" "$T/err" &&
	ok "... naming the key and the rule" || { not_ok "... message"; sed 's/^/#   /' "$T/err"; }
expect_fail "ca-tool refuses it too" nz "needs at least 2 approvals" ct --config "$CONF" token list
head -n -2 "$CONF" > "$CONF.new" && mv "$CONF.new" "$CONF"

# --- an RA whose CA has pathLenConstraint 0 refuses CA profiles at submission
ct init --name dept --parent issuing --profile sub-ca --key-type ec-p256 --subject "/C=CN/O=City/CN=Dept" >/dev/null
# the officers stay those of issuing: their certificates come from there
sed -i 's/^ca = issuing$/ca = dept\nofficer_ca = issuing/' "$CONF"
ra_start
n0=$(rows)
check "sub-ca under a pathLen 0 CA: 400" 400 "$(tok "$CATOK" POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/sub.json")"
check "... profile-not-issuable" "urn:govpki:problem:profile-not-issuable" "$(json "j['type']")"
json_matches "j['detail']" "pathLenConstraint 0" && ok "... saying why" || not_ok "... detail: $(json "j['detail']")"
check "root-ca from an officer there: 400" 400 "$(api alice POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/root.json")"
check "... profile-not-issuable" "urn:govpki:problem:profile-not-issuable" "$(json "j['type']")"
check "... nothing stored" "$n0" "$(rows)"
csr_json ec-p256 dept.example "DNS:dept.example" > "$T/ee2.json"
check "an end-entity profile there still goes: 201" 201 "$(tok "$CATOK" POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/ee2.json")"

finish
