#!/bin/bash
# ra_badinput: every kind of bad input to ra-server gets a clear problem
# with the right status and type, writes nothing, and does not crash it;
# then the rate limit answers 429.
. "$(dirname "$0")/ra_lib.sh"

ra_setup
ra_start
JSON=(-H 'Content-Type: application/json')
DB="$GOVPKI_HOME/govpki.db"
csr_json ec-p256 www.example.gov.cn "DNS:www.example.gov.cn" > "$T/good.json"
CSR=$(python3 -c "import json; print(json.load(open('$T/good.json'))['csr'])")
api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/good.json" >/dev/null
PID=$(json "j['id']")
before=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM ra_request), (SELECT count(*) FROM audit), (SELECT count(*) FROM cert)")

# bad DESC STATUS TYPE CURL-ARGS...: POST /api/v1/requests as the applicant
bad() {
	local what=$1 want=$2 type=$3; shift 3
	local got; got=$(api app POST /api/v1/requests "$@")
	if [ "$got" != "$want" ]; then not_ok "$what (got $got, want $want)"; show 3 "$T/body"; return; fi
	# a body that is not JSON: python's traceback hidden, the stand-in below compared
	local t; t=$(json "j['type']" 2>/dev/null || echo "not problem+json")
	[ "$t" = "urn:govpki:problem:$type" ] && grep -qi "content-type: application/problem+json" "$T/hdr" &&
		ok "$what: $want $type" || not_ok "$what (type $t, want $type)"
}

bad "malformed JSON" 400 malformed-json "${JSON[@]}" -d '{"csr": "x", "profile": }'
json_matches "j['detail']" "column" && ok "malformed JSON: detail gives the position" || not_ok "malformed JSON position"
bad "truncated JSON" 400 malformed-json "${JSON[@]}" --data-binary "$(head -c 60 "$T/good.json")"
bad "trailing garbage" 400 malformed-json "${JSON[@]}" -d '{"profile":"person"} x'
bad "duplicate keys" 400 malformed-json "${JSON[@]}" -d '{"profile":"person","profile":"tls-server","csr":"x"}'
bad "not an object" 400 wrong-type "${JSON[@]}" -d '["csr"]'
bad "empty body" 400 missing-body "${JSON[@]}"
head -c 200000 /dev/zero | tr '\0' 'a' > "$T/huge"
bad "huge body (Content-Length)" 413 body-too-large "${JSON[@]}" --data-binary @"$T/huge"
bad "huge body (chunked)" 413 body-too-large "${JSON[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$T/huge"
python3 -c "print('{\"a\":' * 50 + '1' + '}' * 50)" > "$T/deep"
bad "deep nesting" 400 too-deep "${JSON[@]}" --data-binary @"$T/deep"
python3 -c "print('[' * 60000)" > "$T/deeper"
bad "very deep nesting" 400 too-deep "${JSON[@]}" --data-binary @"$T/deeper"
bad "wrong type: profile a number" 400 wrong-type "${JSON[@]}" -d '{"csr":"x","profile":5}'
bad "wrong type: san a string" 400 wrong-type "${JSON[@]}" -d '{"csr":"x","profile":"person","san":"DNS:a"}'
bad "wrong type: san element" 400 wrong-type "${JSON[@]}" -d '{"csr":"x","profile":"person","san":[1]}'
bad "wrong type: contact" 400 wrong-type "${JSON[@]}" -d '{"csr":"x","profile":"person","contact":"me"}'
bad "unknown field" 400 unknown-field "${JSON[@]}" -d '{"csr":"x","profile":"person","admin":true}'
bad "unknown contact field" 400 unknown-field "${JSON[@]}" -d '{"csr":"x","profile":"person","contact":{"email":"a@b","fax":"1"}}'
bad "missing csr" 400 missing-field "${JSON[@]}" -d '{"profile":"person"}'
bad "string too long" 400 string-too-long "${JSON[@]}" -d "{\"csr\":\"$(head -c 20000 /dev/zero | tr '\0' a)\",\"profile\":\"person\"}"
bad "invalid CSR" 400 invalid-csr "${JSON[@]}" -d '{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n","profile":"person"}'
# a CSR whose signature does not match its key: flip a byte inside the signature
python3 - "$T/good.json" > "$T/badsig.json" <<'PY'
import json, sys, base64
j = json.load(open(sys.argv[1]))
lines = j['csr'].strip().split('\n')
der = bytearray(base64.b64decode(''.join(lines[1:-1])))
der[-5] ^= 0x01
b = base64.b64encode(bytes(der)).decode()
j['csr'] = '-----BEGIN CERTIFICATE REQUEST-----\n' + '\n'.join(b[i:i+64] for i in range(0, len(b), 64)) + '\n-----END CERTIFICATE REQUEST-----\n'
print(json.dumps(j))
PY
bad "CSR with a bad signature" 400 invalid-csr "${JSON[@]}" --data-binary @"$T/badsig.json"
python3 -c "import json; j=json.load(open('$T/good.json')); j['profile']='nope'; print(json.dumps(j))" > "$T/np.json"
bad "unknown profile" 400 unknown-profile "${JSON[@]}" --data-binary @"$T/np.json"
python3 -c "import json; j=json.load(open('$T/good.json')); j['profile']=\"person'; DROP TABLE cert; --\"; print(json.dumps(j))" > "$T/sql.json"
bad "SQL in the profile" 400 unknown-profile "${JSON[@]}" --data-binary @"$T/sql.json"
python3 -c "import json; j=json.load(open('$T/good.json')); j['san']=['DNS:x.example','email:a@b']; print(json.dumps(j))" > "$T/pol.json"
bad "SAN the profile forbids" 400 policy-violation "${JSON[@]}" --data-binary @"$T/pol.json"
python3 -c "import json; j=json.load(open('$T/good.json')); j['subject']='/C=CN/CN=x/BOGUS=y'; print(json.dumps(j))" > "$T/subj.json"
bad "bad subject" 400 invalid-csr "${JSON[@]}" --data-binary @"$T/subj.json"
python3 -c "import json; j=json.load(open('$T/good.json')); j['contact']={'email':'no-at-sign'}; print(json.dumps(j))" > "$T/mail.json"
bad "bad contact email" 400 invalid-request "${JSON[@]}" --data-binary @"$T/mail.json"
python3 -c "import json; j=json.load(open('$T/good.json')); j['contact']={'email':'a@b','name':'x\u0001y'}; print(json.dumps(j))" > "$T/ctl.json"
bad "control character" 400 invalid-request "${JSON[@]}" --data-binary @"$T/ctl.json"
bad "wrong Content-Type" 415 unsupported-media-type -H 'Content-Type: text/plain' --data-binary @"$T/good.json"
bad "no Content-Type" 415 unsupported-media-type -H 'Content-Type:' --data-binary @"$T/good.json"
bad "form encoding" 415 unsupported-media-type -d 'csr=x&profile=person'
bad "NUL in a string" 400 malformed-json "${JSON[@]}" -d '{"csr":"a\u0000b","profile":"person"}'

# filters and ids
q() { local want=$1 type=$2 path=$3; local got; got=$(api alice GET "$path")
	[ "$got" = "$want" ] && [ "$(json "j['type']")" = "urn:govpki:problem:$type" ] && ok "GET $path: $want $type" ||
		{ not_ok "GET $path (got $got, want $want $type)"; head -c 300 "$T/body" | sed 's/^/#   /'; }; }
q 400 bad-parameter "/api/v1/requests?status=pending'%20OR%20'1'='1"
q 400 bad-parameter "/api/v1/requests?status=..%2F..%2Fetc"
q 400 bad-parameter "/api/v1/requests?limit=0"
q 400 bad-parameter "/api/v1/requests?limit=100000"
q 400 bad-parameter "/api/v1/requests?limit=-1"
q 400 bad-parameter "/api/v1/requests?limit=1e3"
q 400 bad-parameter "/api/v1/requests?cursor=abc"
q 400 bad-parameter "/api/v1/requests?since=yesterday"
# days and seconds the calendar does not have: refused by OpenSSL's
# calendar (gp_time_parse), not moved to the next month (strptime+timegm did)
for p in "requests?since=2026-02-30" "requests?since=2026-02-29T00:00:00Z" \
    "requests?since=2026-13-01" "requests?since=2026-03-01T24:00:01Z" \
    "certificates?expires_before=2026-04-31" "certificates?expires_before=2016-12-31T23:59:60Z"; do
	q 400 bad-parameter "/api/v1/$p"
	json_matches "j['detail']" "no such time" && ok "$p: the detail says no such time" ||
		{ not_ok "$p: the detail does not say no such time"; show 3 "$T/body"; }
done
q 400 bad-parameter "/api/v1/requests?order=id;DROP%20TABLE%20ra_request"
q 400 unknown-parameter "/api/v1/requests?sort=id;DROP%20TABLE%20ra_request"
q 400 bad-parameter "/api/v1/certificates?status=bad"
q 400 bad-parameter "/api/v1/certificates?expires_before=soon"
q 404 not-found "/api/v1/requests/1%20OR%201=1"
q 404 not-found "/api/v1/requests/..%2F..%2Fetc%2Fpasswd"
q 404 not-found "/api/v1/requests/-1"
q 404 not-found "/api/v1/requests/99999999"
q 404 not-found "/api/v1/requests/99999999999999999999999"
q 404 not-found "/api/v1/certificates/zz"
q 404 not-found "/api/v1/certificates/'%20OR%20''='"
q 404 not-found "/api/v1/certificates/$(printf '%042d' 1)"
q 404 not-found "/api/v1/ca/..%2F..%2Fetc/chain"
q 404 not-found "/api/v1/ca/x';DROP/crl"
q 404 not-found "/api/v1/nothing"
got=$(api alice GET "/api/v1/requests?profile=person'%20OR%20'1'='1")
check "SQL metacharacters in a filter are just a value" "200 0" "$got $(json "len(j['items'])")"
got=$(api alice GET "/api/v1/requests?submitter=..%2F..%2Fetc%2Fpasswd")
check "../ in a filter is just a value" "200 0" "$got $(json "len(j['items'])")"
got=$(api alice GET "/api/v1/certificates?subject=%25'%20OR%201=1--")
check "SQL in the subject filter matches nothing" "200 0" "$got $(json "len(j['items'])")"
check "wrong method: 405" 405 "$(api alice DELETE /api/v1/requests)"
allow=$(grep -i "^Allow:" "$T/hdr") && grep -q "GET" <<<"$allow" && grep -q "POST" <<<"$allow" && ok "405 says Allow" || not_ok "405 says Allow"
check "body on a GET" 400 "$(api alice GET /api/v1/requests "${JSON[@]}" -d '{}')"
check "approve: bad body" 400 "$(api alice POST /api/v1/requests/$PID/approve "${JSON[@]}" -d '{"force":true}')"
check "approve: malformed body" 400 "$(api alice POST /api/v1/requests/$PID/approve "${JSON[@]}" -d '{')"
check "approve: body of the wrong type" 415 "$(api alice POST /api/v1/requests/$PID/approve -H 'Content-Type: text/plain' -d 'yes')"
check "reject: reason a number" 400 "$(api alice POST /api/v1/requests/$PID/reject "${JSON[@]}" -d '{"reason":1}')"
check "reject: empty reason" 400 "$(api alice POST /api/v1/requests/$PID/reject "${JSON[@]}" -d '{"reason":""}')"
check "revoke: unknown reason" 400 "$(api alice POST /api/v1/certificates/01/revoke "${JSON[@]}" -d '{"reason":"bored"}')"
check "revoke: unknown serial" 404 "$(api alice POST /api/v1/certificates/01/revoke "${JSON[@]}" -d '{"reason":"superseded"}')"
check "revoke: challenge without signature" 400 "$(api anon POST /api/v1/certificates/01/revoke "${JSON[@]}" -d '{"reason":"superseded","challenge":"x"}')"
check "revoke: signature not base64" 400 "$(api anon POST /api/v1/certificates/01/revoke "${JSON[@]}" -d '{"reason":"superseded","challenge":"x","signature":"!!!"}')"
check "revoke: malformed challenge" 401 "$(api anon POST /api/v1/certificates/01/revoke "${JSON[@]}" -d '{"reason":"superseded","challenge":"x","signature":"AAAA"}')"

after=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM ra_request), (SELECT count(*) FROM audit), (SELECT count(*) FROM cert)")
check "nothing written by bad input (requests, audit, certificates)" "$before" "$after"
# TLS 1.2 and 1.3 only (RFC 8996): a client offering only 1.1 or 1.0 gets
# no session; 1.2 and 1.3 do (gnutls-cli, the server's CA as trust)
tls_with() { gnutls-cli --priority "NORMAL:-VERS-ALL:+VERS-$1" --x509cafile "$D/root.pem" -p "$PORT" 127.0.0.1 </dev/null; }
for v in TLS1.3 TLS1.2; do
	expect "$v handshake" tls_with $v
	grep -q "Handshake was completed" "$T/stdout" && ok "$v: handshake completed" || not_ok "$v: handshake completed"
done
expect_fail "TLS 1.1 refused" nz "" tls_with TLS1.1
! grep -q "Handshake was completed" "$T/stdout" "$T/stderr" && grep -q "Fatal error" "$T/stdout" "$T/stderr" &&
	ok "TLS 1.1: no handshake" || not_ok "TLS 1.1: no handshake"
expect_fail "TLS 1.0 refused" nz "" tls_with TLS1.0
check "the server still answers" 200 "$(api anon GET /healthz)"

# framing and request-target tricks, sizes (issue 21.6): problem+json
# prob DESC STATUS TYPE ROLE METHOD PATH CURL-ARGS...
prob() {
	local what=$1 want=$2 type=$3; shift 3
	local got; got=$(api "$@")
	if [ "$got" != "$want" ]; then not_ok "$what (got $got, want $want)"; show 3 "$T/body"; return; fi
	local t; t=$(json "j['type']" 2>/dev/null || echo "not problem+json")
	[ "$t" = "urn:govpki:problem:$type" ] && grep -qi "content-type: application/problem+json" "$T/hdr" &&
		ok "$what: $want $type" || not_ok "$what (type $t, want $type)"
}
n=$(wc -c < "$T/good.json")
prob "two different Content-Length headers" 400 bad-request app POST /api/v1/requests "${JSON[@]}" \
	-H "Content-Length: $n" -H "Content-Length: $((n + 1))" --data-binary @"$T/good.json"
prob "HTTP/1.1 without Host" 400 bad-request alice GET "/api/v1/requests/$PID" -H 'Host:'
prob "%00 in an id" 400 bad-request alice GET "/api/v1/requests/$PID%00x"
prob "%00 in a serial" 400 bad-request alice GET "/api/v1/certificates/01%00"
prob "%00 in a query" 400 bad-request alice GET "/api/v1/requests?status=pending%00x"
check "an id without %00 is still found" 200 "$(api alice GET "/api/v1/requests/$PID")"
prob "a 10,000-byte request target" 414 uri-too-long alice GET "/api/v1/requests/$(head -c 10000 /dev/zero | tr '\0' 1)"
prob "40,000 bytes of headers" 431 headers-too-large alice GET /healthz -H "X-Pad: $(head -c 40000 /dev/zero | tr '\0' a)"
check "the server still answers" 200 "$(api anon GET /healthz)"
check "the pending request is untouched" pending "$(api alice GET /api/v1/requests/$PID >/dev/null; json "j['status']")"
ra_stop
check "server exited cleanly" 0 "$(grep -c 'Sanitizer\|runtime error' "$T/server.log")"

# the rate limit: 1 request per second, a burst of 3, per client
ra_setup_rate() { sed -i 's/^threads = 4$/threads = 2\nrate_limit = 1\nrate_burst = 3/' "$CONF"; }
ra_setup_rate
ra_start
# until the first 429: a slow machine refills the bucket between requests, so
# the count it takes is not fixed, but it comes well within 100
codes=""
for i in $(seq 1 100); do
	c=$(api app GET /api/v1/requests); codes="$codes $c"
	[ "$c" = 429 ] && break
done
grep -q 429 <<<"$codes" && ok "past the burst: 429 after $i requests" || not_ok "no 429 ($codes)"
# the 429's own body and headers (a later request may find the bucket refilled)
check "429 is a problem" "urn:govpki:problem:rate-limited" "$(json "j['type']")"
grep -qi "^Retry-After:" "$T/hdr" && ok "429 says Retry-After" || not_ok "429 says Retry-After"
check "another client is not limited" 200 "$(api alice GET /api/v1/requests)"
ra_stop

# configuration: an unknown key names the file and line; plain HTTP off loopback is refused
printf '[ra]\nca = issuing\nplain_http = yes\nthreds = 2\n' > "$T/bad.cnf"
expect_fail "unknown [ra] key" nz "bad.cnf:4.*threds" "$RA_SERVER" --config "$T/bad.cnf" --listen 127.0.0.1:0
printf '[ra]\nca = issuing\nplain_http = yes\n' > "$T/plain.cnf"
expect_fail "plain HTTP off loopback" nz "127.0.0.1 only" "$RA_SERVER" --config "$T/plain.cnf" --listen 0.0.0.0:0
printf '[ra]\nca = issuing\n' > "$T/notls.cnf"
expect_fail "no TLS and no plain_http" nz "no TLS" "$RA_SERVER" --config "$T/notls.cnf" --listen 127.0.0.1:0
expect_fail "wrong passphrase" nz "passphrase" env GOVPKI_PASSPHRASE=wrong "$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0
expect_fail "unknown CA" nz "no CA named" "$RA_SERVER" --config "$CONF" --ca nope --listen 127.0.0.1:0
expect_fail "bad listen address" nz "bad listen" "$RA_SERVER" --config "$CONF" --listen nowhere
printf '[ra]\nca = issuing\nplain_http = yes\ntls_priorities = NORMAL:+VERS-NOPE\n' > "$T/prio.cnf"
expect_fail "a priority string GnuTLS refuses" nz "prio.cnf:4: tls_priorities.*VERS-NOPE" "$RA_SERVER" --config "$T/prio.cnf" --listen 127.0.0.1:0

finish
