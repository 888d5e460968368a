#!/bin/bash
# ra_lows: the RA workflow's smaller defects of issues 21.6 and 11.5, over
# real TLS with curl: a holder cannot claim cACompromise; officers log in
# only with clientAuth certificates and never with a CA's; an approval's
# comment is kept and shown; an officer decides no revocation of their own
# certificate; a remembered officer login ends when a CA above the
# officer's certificate is revoked.  The store is read with sqlite3.
. "$(dirname "$0")/ra_lib.sh"

ra_setup
DB="$GOVPKI_HOME/govpki.db"
JSON=(-H 'Content-Type: application/json')

# --- officer registration: a CA's certificate, a server's certificate
ct export --ca issuing --out "$D/issuing.pem"
expect_fail "officer add refuses a CA certificate" 4 "a CA certificate cannot be an officer's" \
	ct officer add --name ca --cert "$D/issuing.pem" --role admin
expect_fail "officer add refuses a certificate without clientAuth" 4 "no extendedKeyUsage clientAuth" \
	ct officer add --name srv --cert "$D/srv.crt" --role officer
check "... neither is registered" 0 "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM ra_officer WHERE name IN ('ca', 'srv')")"

# --- an officer under a department CA, which sends its chain
ct init --name dept --parent issuing --profile sub-ca --key-type ec-p256 --subject "/C=CN/O=City/CN=Dept" >/dev/null
genkey ec-p256 "$D/olga.key"
openssl req -new -key "$D/olga.key" -subj "/C=CN/O=City/CN=olga" -out "$D/olga.csr"
ct issue --ca dept --profile tls-client --csr "$D/olga.csr" --out "$D/olga.leaf" >/dev/null 2>&1
ct export --ca dept --out "$D/dept.pem"
cat "$D/olga.leaf" "$D/dept.pem" > "$D/olga.crt"
expect "openssl verifies olga's chain" openssl verify -CAfile "$D/root.pem" -untrusted "$D/issuing.pem" -untrusted "$D/dept.pem" "$D/olga.leaf"
ct officer add --name olga --cert "$D/olga.leaf" --role officer >/dev/null
ra_start

# --- a holder cannot claim cACompromise
csr_json ec-p256 "h.example" "DNS:h.example" > "$T/h.json"
HKEY=$LAST_KEY
api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/h.json" >/dev/null
hid=$(json "j['id']")
api alice POST /api/v1/requests/$hid/approve >/dev/null
hsn=$(json "j['serial']")
proof() {   # proof REASON: a holder's revocation body for hsn
	api anon GET /api/v1/challenge >/dev/null
	local chal; chal=$(json "j['challenge']")
	printf 'govpki-revoke:%s:%s:%s' "$chal" "$hsn" "$1" > "$T/msg"
	openssl dgst -sha256 -sign "$HKEY" -out "$T/sig" "$T/msg"
	python3 -c "import json,base64; print(json.dumps({'reason':'$1','challenge':'$chal','signature':base64.b64encode(open('$T/sig','rb').read()).decode()}))"
}
proof cACompromise > "$T/ca.json"
check "a holder claiming cACompromise: 400" 400 "$(api anon POST /api/v1/certificates/$hsn/revoke "${JSON[@]}" --data-binary @"$T/ca.json")"
grep -q "holder cannot ask for reason cACompromise" <<<"$(json "j['detail']")" && ok "... saying why" || not_ok "... detail: $(json "j['detail']")"
check "... the certificate is still good" good "$(api alice GET /api/v1/certificates/$hsn >/dev/null; json "j['status']")"

# --- officers log in with their chain; a comment is kept with the approval
genkey ec-p256 "$D/sub.key"; mkcsr ec-p256 "$D/sub.key" "$D/sub.csr" "/C=CN/O=City/CN=Sub"
python3 -c "import json; print(json.dumps({'csr': open('$D/sub.csr').read(), 'profile': 'sub-ca'}))" > "$T/sub.json"
check "an officer under dept submits" 201 "$(api olga POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/sub.json")"
sid=$(json "j['id']")
check "approval with a comment" 200 "$(api alice POST /api/v1/requests/$sid/approve "${JSON[@]}" -d '{"comment":"ID card seen, file 42"}')"
check "... the answer shows it" "ID card seen, file 42" "$(json "j.get('approval_comments', {}).get('alice')")"
check "... so does the request read back" "ID card seen, file 42" "$(api dave GET /api/v1/requests/$sid >/dev/null; json "j.get('approval_comments', {}).get('alice')")"
check "... and the store" "ID card seen, file 42" "$(sqlite3 -readonly "$DB" "SELECT comment FROM ra_approval WHERE request_id = $sid AND officer = 'alice'")"
grep -q "comment=ID card seen" <<<"$(sqlite3 -readonly "$DB" "SELECT detail FROM audit WHERE action = 'ra.approve' AND object = 'request:$sid'")" &&
	ok "... and the audit entry" || not_ok "... the audit entry lacks the comment"
check "a comment with a control character: 400" 400 "$(api bob POST /api/v1/requests/$sid/approve "${JSON[@]}" -d '{"comment":"a\u0007b"}')"
check "a second approval without one" 200 "$(api bob POST /api/v1/requests/$sid/approve)"
check "... issued, only alice's comment" "issued {'alice': 'ID card seen, file 42'}" "$(json "j['status'] + ' ' + str(j.get('approval_comments'))")"

# --- nobody decides a revocation of their own certificate
bsn=$(openssl x509 -in "$D/bob.crt" -noout -serial | cut -d= -f2 | tr A-F a-f)
check "alice asks to revoke bob's certificate" 201 "$(api alice POST /api/v1/certificates/$bsn/revoke "${JSON[@]}" -d '{"reason":"superseded"}')"
rid=$(json "j['id']")
check "bob may not approve it: 403" 403 "$(api bob POST /api/v1/requests/$rid/approve)"
check "... own-certificate" "urn:govpki:problem:own-certificate" "$(json "j['type']")"
check "bob may not reject it: 403" 403 "$(api bob POST /api/v1/requests/$rid/reject "${JSON[@]}" -d '{"reason":"I am fine"}')"
check "... own-certificate" "urn:govpki:problem:own-certificate" "$(json "j['type']")"
check "... it is still pending" pending "$(api dave GET /api/v1/requests/$rid >/dev/null; json "j['status']")"
check "another officer (carol) approves" 200 "$(api carol POST /api/v1/requests/$rid/approve)"
check "... revoked" revoked "$(json "j['status']")"
check "bob is refused from now on" 401 "$(api bob GET /api/v1/requests)"

# --- a remembered login ends when the CA above the officer is revoked
check "olga reads requests" 200 "$(api olga GET /api/v1/requests)"
check "... again (the chain remembered)" 200 "$(api olga GET /api/v1/requests)"
dsn=$(openssl x509 -in "$D/dept.pem" -noout -serial | cut -d= -f2)
expect "the dept CA's certificate is revoked" ct revoke --ca issuing --serial "$dsn" --reason cACompromise
check "olga is refused at once: 401" 401 "$(api olga GET /api/v1/requests)"
grep -q "CA dept above the certificate is revoked" <<<"$(json "j['detail']")" && ok "... saying which CA" || not_ok "... detail: $(json "j['detail']")"
check "alice (under issuing) still logs in" 200 "$(api alice GET /api/v1/requests)"

finish
