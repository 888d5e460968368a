#!/bin/bash
# ra_api: every endpoint of ra-server over real TLS on 127.0.0.1 with curl,
# both ways to authenticate (API token, officer client certificate), the
# workflow (dual control, rejection, failure), revocation (officer approved
# and proven by the holder), and the results checked with openssl.
. "$(dirname "$0")/ra_lib.sh"

ra_setup
ra_start
JSON=(-H 'Content-Type: application/json')

# --- health, metrics, chain, challenge
check "healthz answers 200 without credentials" 200 "$(api anon GET /healthz)"
check "healthz says ok" ok "$(json "j['status']")"
check "chain is public" 200 "$(api anon GET /api/v1/ca/issuing/chain)"
grep -q "application/pem-certificate-chain" "$T/hdr" && ok "chain content type" || not_ok "chain content type"
cp "$T/body" "$D/api-chain.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$D/api-chain.pem")" -eq 2 ] && ok "chain has issuing and root" || not_ok "chain has issuing and root"
check "unknown CA chain is 404" 404 "$(api anon GET /api/v1/ca/nope/chain)"
grep -q "application/problem+json" "$T/hdr" && ok "errors are application/problem+json" || not_ok "errors are problem+json"
check "problem type is stable" "urn:govpki:problem:not-found" "$(json "j['type']")"

# --- submit with a token, approve with an officer certificate, fetch
csr_json ec-p256 www.example.gov.cn "DNS:www.example.gov.cn,IP:10.1.2.3" > "$T/req.json"
WWW_KEY=$LAST_KEY
check "token submits a request: 201" 201 "$(api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/req.json")"
check "new request is pending" pending "$(json "j['status']")"
id=$(json "j['id']")
grep -qi "^Location: /api/v1/requests/$id" "$T/hdr" && ok "Location header" || not_ok "Location header"
check "token reads its request" 200 "$(api app GET /api/v1/requests/$id)"
# the CSR decoded for the officers (issue 20.5), compared with openssl's reading
csrf=${WWW_KEY%.key}.csr
check "... csr.key_type" ec-p256 "$(json "j['csr']['key_type']")"
check "... csr.key_bits" 256 "$(json "j['csr']['key_bits']")"
check "... csr.signature_algorithm (openssl's name)" \
	"$(openssl req -in "$csrf" -noout -text | awk '/Signature Algorithm:/ && !n++ { sub(/^ *Signature Algorithm: /, ""); print }')" \
	"$(json "j['csr']['signature_algorithm']")"
check "... csr.signature_valid" True "$(json "j['csr']['signature_valid']")"
check "... csr.subject (RFC 2253, as openssl prints it)" \
	"$(openssl req -in "$csrf" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" "$(json "j['csr']['subject']")"
check "... csr.san" "DNS:www.example.gov.cn, IP:10.1.2.3" "$(json "j['csr']['san']")"
check "officer reads the request" 200 "$(api alice GET /api/v1/requests/$id)"
check "officer approves: 200" 200 "$(api alice POST /api/v1/requests/$id/approve)"
check "tls-server needs one approval: issued" issued "$(json "j['status']")"
check "approval records the officer" "['alice']" "$(json "j['approvals']")"
sn=$(json "j['serial']")
check "approving an issued request is 409" 409 "$(api bob POST /api/v1/requests/$id/approve)"
check "approving twice is 409" 409 "$(api alice POST /api/v1/requests/$id/approve)"

check "certificate as PEM" 200 "$(api app GET /api/v1/certificates/$sn -H 'Accept: application/pem-certificate-chain')"
cp "$T/body" "$D/www-chain.pem"
awk '{ print } /END CERTIFICATE/ { exit }' "$D/www-chain.pem" > "$D/www.pem"   # the leaf
expect "openssl verifies the issued certificate with the served chain" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$D/api-chain.pem" "$D/www.pem"
# the chain download is a chain (RFC 8555 §9.1): the leaf, the issuing CA, the root
check "... the PEM chain holds the leaf, the issuing CA and the root" 3 "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$D/www-chain.pem")"
expect "... openssl verify with only the downloaded chain as intermediates" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$D/www-chain.pem" "$D/www.pem"
check "... its second certificate is the issuing CA" "$(openssl x509 -in "$D/api-chain.pem" -noout -fingerprint -sha256)" \
	"$(awk 'n == 1; /END CERTIFICATE/ { n++ }' "$D/www-chain.pem" | openssl x509 -noout -fingerprint -sha256)"
[ "$(openssl x509 -in "$D/www.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)" = "$sn" ] && ok "PEM has the serial" || not_ok "PEM has the serial"
openssl x509 -in "$D/www.pem" -noout -ext subjectAltName > "$T/san" && grep -q "IP Address:10.1.2.3" "$T/san" && ok "SANs from the CSR" || not_ok "SANs from the CSR"
check "certificate as DER" 200 "$(api app GET /api/v1/certificates/$sn -H 'Accept: application/pkix-cert')"
openssl x509 -inform DER -in "$T/body" -noout -serial >/dev/null 2>&1 && ok "DER parses" || not_ok "DER parses"
cmp -s <(openssl x509 -inform DER -in "$T/body") <(openssl x509 -in "$D/www.pem") && ok "DER = PEM" || not_ok "DER = PEM"
check "certificate as JSON" 200 "$(api app GET /api/v1/certificates/$sn)"
check "JSON status good" good "$(json "j['status']")"
check "JSON has the PEM" True "$(json "j['pem'].startswith('-----BEGIN CERTIFICATE')")"
check "JSON's PEM is the served PEM, byte for byte" True "$(json "j['pem'] == open('$D/www.pem').read()")"
check "unacceptable Accept is 406" 406 "$(api app GET /api/v1/certificates/$sn -H 'Accept: text/html')"
check "unknown serial is 404" 404 "$(api app GET /api/v1/certificates/0badc0ffee)"
check "upper-case serial works" 200 "$(api app GET /api/v1/certificates/$(echo "$sn" | tr a-f A-F))"

# --- token scope, applicants see their own
csr_json ec-p256 "Li Si" "" person > "$T/person.json"
check "narrow token may not ask for tls-server" 403 "$(api narrow POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/req.json")"
check "... its type" "urn:govpki:problem:profile-not-allowed" "$(json "j['type']")"
check "narrow token asks for person" 201 "$(api narrow POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/person.json")"
pid_narrow=$(json "j['id']")
check "applicant cannot read another's request" 404 "$(api narrow GET /api/v1/requests/$id)"
check "applicant list shows only its own" 200 "$(api narrow GET /api/v1/requests)"
check "... exactly one" 1 "$(json "len(j['items'])")"
check "applicant may not list another submitter" 403 "$(api narrow GET '/api/v1/requests?submitter=token:1')"

# --- rejection
check "officer rejects with a reason" 200 "$(api bob POST /api/v1/requests/$pid_narrow/reject "${JSON[@]}" -d '{"reason":"identity not proven"}')"
check "rejected" rejected "$(json "j['status']")"
check "reason kept" "identity not proven" "$(json "j['reason']")"
check "approving a rejected request is 409" 409 "$(api alice POST /api/v1/requests/$pid_narrow/approve)"
check "rejecting twice is 409" 409 "$(api alice POST /api/v1/requests/$pid_narrow/reject "${JSON[@]}" -d '{"reason":"again"}')"
check "reject needs a reason" 400 "$(api alice POST /api/v1/requests/$pid_narrow/reject "${JSON[@]}" -d '{}')"

# --- dual control: sub-ca needs two officers, never the submitter
genkey ec-p256 "$D/sub.key"; mkcsr ec-p256 "$D/sub.key" "$D/sub.csr" "/C=CN/O=City/CN=Dept CA"
python3 -c "import json; print(json.dumps({'csr': open('$D/sub.csr').read(), 'profile': 'sub-ca'}))" > "$T/sub.json"
check "officer submits a sub-ca request" 201 "$(api alice POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/sub.json")"
sid=$(json "j['id']")
check "sub-ca needs 2 approvals" 2 "$(json "j['approvals_needed']")"
check "submitter cannot approve its own request" 403 "$(api alice POST /api/v1/requests/$sid/approve)"
check "... its type" "urn:govpki:problem:own-request" "$(json "j['type']")"
check "first approval" 200 "$(api bob POST /api/v1/requests/$sid/approve)"
check "still pending after one" pending "$(json "j['status']")"
check "same officer again is 409" 409 "$(api bob POST /api/v1/requests/$sid/approve)"
check "... already-approved" "urn:govpki:problem:already-approved" "$(json "j['type']")"
check "second officer (admin) approves" 200 "$(api carol POST /api/v1/requests/$sid/approve)"
check "issued after two" issued "$(json "j['status']")"
check "both approvers recorded" "['bob', 'carol']" "$(json "sorted(j['approvals'])")"
check "auditor may not approve" 403 "$(api dave POST /api/v1/requests/$sid/approve)"

# --- a failed issuance: the request ends failed with the reason
csr_json ec-p256 "fail.example" "DNS:fail.example" > "$T/fail.json"
check "submit one that will fail" 201 "$(api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/fail.json")"
fid=$(json "j['id']")
# the profile is tightened behind the RA's back: issuance refuses it
sqlite3 "$GOVPKI_HOME/govpki.db" "UPDATE ra_request SET sans = 'email:x@y' WHERE id = $fid"
check "approval of an unissuable request: 200" 200 "$(api alice POST /api/v1/requests/$fid/approve)"
check "it is failed" failed "$(json "j['status']")"
json_matches "j['reason']" "profile" && ok "failure reason names the profile" || not_ok "failure reason ($(json "j.get('reason')"))"

# --- listing requests: filters and cursor pagination
for i in 1 2 3 4 5; do
	csr_json ec-p256 "p$i" "" person > "$T/p.json"
	api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/p.json" >/dev/null
done
check "list pending, 2 per page" 200 "$(api alice GET '/api/v1/requests?status=pending&limit=2')"
check "page 1 has 2" 2 "$(json "len(j['items'])")"
cur=$(json "j['next_cursor']")
seen=$(json "','.join(str(i['id']) for i in j['items'])")
pages=1
while [ "$cur" != None ]; do
	api alice GET "/api/v1/requests?status=pending&limit=2&cursor=$cur" >/dev/null
	seen="$seen,$(json "','.join(str(i['id']) for i in j['items'])")"
	cur=$(json "j['next_cursor']"); pages=$((pages + 1))
done
check "cursor pagination walks all 5 pending in 3 pages" "5 3" "$(echo "$seen" | tr ',' '\n' | sort -u | grep -c .) $pages"
check "filter by profile" 200 "$(api dave GET '/api/v1/requests?profile=sub-ca')"
check "... one sub-ca request" 1 "$(json "len(j['items'])")"
check "filter by submitter" 200 "$(api dave GET '/api/v1/requests?submitter=officer:alice')"
check "... alice submitted one" 1 "$(json "len(j['items'])")"
check "filter since the future" 200 "$(api dave GET '/api/v1/requests?since=2099-01-01')"
check "... none" 0 "$(json "len(j['items'])")"
check "filter by status issued" 200 "$(api dave GET '/api/v1/requests?status=issued')"
check "... two issued" 2 "$(json "len(j['items'])")"

# --- listing certificates
check "auditor lists certificates" 200 "$(api dave GET '/api/v1/certificates?limit=3')"
check "... 3 on the first page" 3 "$(json "len(j['items'])")"
check "... and more" True "$(json "j['next_cursor'] is not None")"
check "filter by subject" 200 "$(api dave GET '/api/v1/certificates?subject=www.example.gov.cn')"
check "... the www certificate" "$sn" "$(json "j['items'][0]['serial']")"
check "filter by profile sub-ca" 200 "$(api dave GET '/api/v1/certificates?profile=sub-ca')"
check "... one" 1 "$(json "len(j['items'])")"
check "filter expires_before far future" 200 "$(api dave GET '/api/v1/certificates?expires_before=2099-01-01&status=good')"
all=$(json "len(j['items'])")
check "filter expires_before past" 200 "$(api dave GET '/api/v1/certificates?expires_before=2000-01-01')"
check "... none" 0 "$(json "len(j['items'])")"
[ "$all" -ge 8 ] && ok "good certificates listed ($all)" || not_ok "good certificates listed ($all)"
check "applicants cannot list certificates" 403 "$(api app GET /api/v1/certificates)"

# --- revocation request: applicant asks, officer approves, the CRL shows it
check "another token may not ask to revoke it: 403" 403 "$(api narrow POST /api/v1/certificates/$sn/revoke "${JSON[@]}" -d '{"reason":"superseded"}')"
check "... not-your-certificate" "urn:govpki:problem:not-your-certificate" "$(json "j['type']")"
check "applicant asks to revoke" 201 "$(api app POST /api/v1/certificates/$sn/revoke "${JSON[@]}" -d '{"reason":"superseded"}')"
rid=$(json "j['id']")
check "revocation request pending" pending "$(json "j['status']")"
check "officer approves the revocation" 200 "$(api bob POST /api/v1/requests/$rid/approve)"
check "revoked" revoked "$(json "j['status']")"
api app GET /api/v1/certificates/$sn >/dev/null
check "certificate status revoked" revoked "$(json "j['status']")"
check "certificate reason superseded" superseded "$(json "j['reason']")"
check "asking to revoke it again is 409" 409 "$(api app POST /api/v1/certificates/$sn/revoke "${JSON[@]}" -d '{"reason":"superseded"}')"
check "no CRL yet: 404" 404 "$(api anon GET /api/v1/ca/issuing/crl)"
ct crl --ca issuing --out "$D/x.crl" >/dev/null
check "latest CRL" 200 "$(api anon GET /api/v1/ca/issuing/crl)"
grep -q "application/pkix-crl" "$T/hdr" && ok "CRL content type" || not_ok "CRL content type"
openssl x509 -in "$D/api-chain.pem" > "$T/api-ca.pem" &&
	openssl crl -inform DER -in "$T/body" -CAfile "$T/api-ca.pem" -noout > "$T/crl.out" 2>&1 && grep -q "verify OK" "$T/crl.out" &&
	ok "openssl verifies the CRL" || not_ok "openssl verifies the CRL"
openssl crl -inform DER -in "$T/body" -noout -text > "$T/crl.txt" && grep -qi "$sn" "$T/crl.txt" && ok "CRL lists the revoked serial" || not_ok "CRL lists the revoked serial"

# --- holder revokes at once by proving possession of its key
csr_json ec-p256 "holder.example" "DNS:holder.example" > "$T/h.json"
HKEY=$LAST_KEY
api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/h.json" >/dev/null
hid=$(json "j['id']")
api alice POST /api/v1/requests/$hid/approve >/dev/null
hsn=$(json "j['serial']")
check "challenge" 200 "$(api anon GET /api/v1/challenge)"
chal=$(json "j['challenge']")
# the proof covers the reason: govpki-revoke:<challenge>:<serial>:<reason>
printf 'govpki-revoke:%s:%s:keyCompromise' "$chal" "$hsn" > "$T/msg"
openssl dgst -sha256 -sign "$WWW_KEY" -out "$T/badsig" "$T/msg"
python3 -c "import json,base64; print(json.dumps({'reason':'keyCompromise','challenge':'$chal','signature':base64.b64encode(open('$T/badsig','rb').read()).decode()}))" > "$T/bad.json"
check "a signature by another key is 401" 401 "$(api anon POST /api/v1/certificates/$hsn/revoke "${JSON[@]}" --data-binary @"$T/bad.json")"
check "... proof-failed" "urn:govpki:problem:proof-failed" "$(json "j['type']")"
openssl dgst -sha256 -sign "$HKEY" -out "$T/sig" "$T/msg"
python3 -c "import json,base64; print(json.dumps({'reason':'keyCompromise','challenge':'$chal'[:-1]+('0' if '$chal'[-1]!='0' else '1'),'signature':base64.b64encode(open('$T/sig','rb').read()).decode()}))" > "$T/forged.json"
check "a forged challenge is 401" 401 "$(api anon POST /api/v1/certificates/$hsn/revoke "${JSON[@]}" --data-binary @"$T/forged.json")"
check "anonymous without proof is 401" 401 "$(api anon POST /api/v1/certificates/$hsn/revoke "${JSON[@]}" -d '{"reason":"keyCompromise"}')"
python3 -c "import json,base64; print(json.dumps({'reason':'keyCompromise','challenge':'$chal','signature':base64.b64encode(open('$T/sig','rb').read()).decode()}))" > "$T/good.json"
# the same proof offered for another reason: it does not cover that one
python3 -c "import json; j=json.load(open('$T/good.json')); j['reason']='superseded'; print(json.dumps(j))" > "$T/other.json"
check "a proof for keyCompromise sent as superseded is 401" 401 "$(api anon POST /api/v1/certificates/$hsn/revoke "${JSON[@]}" --data-binary @"$T/other.json")"
check "holder's proof revokes at once" 200 "$(api anon POST /api/v1/certificates/$hsn/revoke "${JSON[@]}" --data-binary @"$T/good.json")"
check "... the answer gives the stored reason" keyCompromise "$(json "j['reason']")"
check "the same proof again: the challenge is spent, 401" 401 "$(api anon POST /api/v1/certificates/$hsn/revoke "${JSON[@]}" --data-binary @"$T/good.json")"
grep -q "used already" <<<"$(json "j['detail']")" && ok "... saying it was used" || not_ok "... detail: $(json "j['detail']")"
api app GET /api/v1/certificates/$hsn >/dev/null
check "holder's certificate is revoked" keyCompromise "$(json "j['reason']")"
# a compromised key is refused in every later CSR (issue 21.3), and so is a CA's own key
mkcsr ec-p256 "$HKEY" "$D/again.csr" "/C=CN/O=City/CN=again.example" "DNS:again.example"
openssl pkey -in "$GOVPKI_HOME/keys/issuing.key" -passin "pass:$GOVPKI_PASSPHRASE" -out "$D/issuing.plain"
mkcsr ec-p256 "$D/issuing.plain" "$D/cakey.csr" "/C=CN/O=City/CN=me.example" "DNS:me.example"
for f in again cakey; do
	python3 -c "import json; print(json.dumps({'csr': open('$D/$f.csr').read(), 'profile': 'tls-server'}))" > "$T/$f.json"
done
nreq=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM ra_request")
check "a CSR of the compromised key: 400" 400 "$(api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/again.json")"
check "... policy-violation" "urn:govpki:problem:policy-violation" "$(json "j['type']")"
grep -q "revoked for keyCompromise" <<<"$(json "j['detail']")" && ok "... saying the key is compromised" || not_ok "... detail: $(json "j['detail']")"
check "a CSR carrying the CA's own key: 400" 400 "$(api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/cakey.json")"
grep -q "public key of CA issuing" <<<"$(json "j['detail']")" && ok "... saying it is the CA's key" || not_ok "... detail: $(json "j['detail']")"
check "... neither is stored" "$nreq" "$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM ra_request")"

# --- officers: disabled, revoked, unregistered, expired; tokens revoked and expired
check "unregistered certificate is 401" 401 "$(api eve GET /api/v1/requests)"
ct officer disable --name bob >/dev/null
check "disabled officer is refused at once" 401 "$(api bob GET /api/v1/requests)"
ct officer enable --name bob >/dev/null
check "re-enabled officer is back" 200 "$(api bob GET /api/v1/requests)"
bsn=$(openssl x509 -in "$D/bob.crt" -noout -serial | cut -d= -f2)
ct revoke --ca issuing --serial "$bsn" --reason keyCompromise >/dev/null
check "revoked officer is refused at once" 401 "$(api bob GET /api/v1/requests)"
json_matches "j['detail']" revoked && ok "... saying revoked" || not_ok "... saying revoked"
# an expired certificate from the issuing CA (openssl ca backdates it)
backdated "$D/eve.csr" "$D/old.crt"
cp "$D/eve.key" "$D/old.key"
check "expired officer certificate is 401" 401 "$(api old GET /api/v1/requests)"
json_matches "j['detail']" expired && ok "... saying expired" || not_ok "... saying expired ($(json "j['detail']"))"
check "bad token is 401" 401 "$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$D/root.pem" -H "Authorization: Bearer gpt_$(printf '%064d' 0)" "$URL/api/v1/requests")"
check "malformed Authorization is 401" 401 "$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$D/root.pem" -H "Authorization: Basic eDp5" "$URL/api/v1/requests")"
ct token revoke --id 2 >/dev/null
check "revoked token is 401" 401 "$(api narrow GET /api/v1/requests)"
OLD=$(ct token create --name old --profiles '*' 2>/dev/null)
sqlite3 "$GOVPKI_HOME/govpki.db" "UPDATE ra_token SET expires = 1 WHERE name = 'old'"
check "expired token is 401" 401 "$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$D/root.pem" -H "Authorization: Bearer $OLD" "$URL/api/v1/requests")"
json_matches "j['detail']" expired && ok "... saying expired" || not_ok "... saying expired"
check "no credentials: 401, not 403" 401 "$(api anon GET /api/v1/requests)"
check "wrong role: 403, not 401" 403 "$(api dave POST /api/v1/requests/1/reject "${JSON[@]}" -d '{"reason":"x"}')"

# --- metrics and audit
# certificates about to expire (issue 20.6): one in 5 days, one in 20, and a
# revoked one in 5 days, which does not count
for x in e5:5 e20:20 r5:5; do
	genkey ec-p256 "$D/${x%:*}.key"
	mkcsr ec-p256 "$D/${x%:*}.key" "$D/${x%:*}.csr" "/CN=${x%:*}.example.gov.cn" "DNS:${x%:*}.example.gov.cn"
	ct issue --ca issuing --profile tls-server --days "${x#*:}" --csr "$D/${x%:*}.csr" --out "$D/${x%:*}.pem" >/dev/null 2>&1
done
ct revoke --ca issuing --serial "$(openssl x509 -in "$D/r5.pem" -noout -serial | cut -d= -f2)" >/dev/null 2>&1
check "metrics for the auditor" 200 "$(api dave GET /metrics)"
check "metrics: good certificates expiring within 7 days" 1 \
	"$(awk '$1 == "ra_certificates_expiring{ca=\"issuing\",within=\"7d\"}" { print $2 }' "$T/body")"
check "metrics: ... within 30 days" 2 \
	"$(awk '$1 == "ra_certificates_expiring{ca=\"issuing\",within=\"30d\"}" { print $2 }' "$T/body")"
grep -q '^ra_http_requests_total{method="POST",path="/api/v1/requests",code="201"}' "$T/body" && ok "metrics count requests" || not_ok "metrics count requests"
grep -q '^ra_requests{status="issued"}' "$T/body" && ok "metrics gauge requests" || not_ok "metrics gauge requests"
check "metrics not for applicants" 403 "$(api app GET /metrics)"
ra_stop
for a in ra.submit ra.approve ra.reject ra.issued ra.failed ra.revoked ra.login cert.issue cert.revoke ra.officer.add ra.officer.disable ra.token.create ra.token.revoke; do
	n=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM audit WHERE action = '$a'")
	[ "$n" -gt 0 ] && ok "audit has $a ($n)" || not_ok "audit has $a"
done
sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT detail FROM audit WHERE action='ra.login'" > "$T/logins" &&
	grep -q "result=refused" "$T/logins" && ok "refused logins audited with result" || not_ok "refused logins audited"
expect "audit chain verifies" ct audit verify
grep -q "stopping" "$T/server.log" && ok "SIGTERM stops the server cleanly" || not_ok "SIGTERM stop"

finish
