#!/bin/bash
# ra_console: what the officers' console needs of ra-server, with curl and
# openssl: its files under /console/ with their security headers and media
# types and no way out of its folder (../, %2e%2e, a symbolic link, a
# hidden file); the API it reads (GET /api/v1/me, /audit with the chain's
# status, /ca against openssl's fingerprints and CRL fields, /seals, the
# request's checks, the queue's before filter); and that a state change a
# cross-site page could start (another Origin, Sec-Fetch-Site cross-site,
# a form's Content-Type even without a body) is refused and changes nothing.
# Which role may call which endpoint is ra_authz.sh's.
. "$(dirname "$0")/ra_lib.sh"

# the console's files, copied from the source tree with a link out of the
# folder beside them (the server must not follow it)
mkdir -p "$T/console"
cp "$top_srcdir"/ra/console/* "$T/console/"
printf 'secret outside\n' > "$T/outside.txt"
ln -s "$T/outside.txt" "$T/console/link.js"
printf 'HIDDEN-CONTENT\n' > "$T/console/.hidden.js"
# ocsp_url: a port where nothing listens (console_browser.sh has a responder)
NOBODY=$(free_port)
ra_setup "console_dir = $T/console
ocsp_url = http://127.0.0.1:$NOBODY"
ra_start
JSON=(-H 'Content-Type: application/json')

# ------------------------------------------------------------ the files
got=$(api anon GET /console/)
check "GET /console/ without credentials" 200 "$got"
cmp -s "$T/body" "$top_srcdir/ra/console/index.html" && ok "... is index.html" || not_ok "... is index.html"
hdr() { tr -d '\r' < "$T/hdr" | sed -n "s/^$1: //Ip"; }
csp=$(hdr Content-Security-Policy)
[[ $csp == *"default-src 'self'"* && $csp == *"frame-ancestors 'none'"* && $csp == *"script-src 'self'"* ]] &&
	ok "CSP: default-src 'self', script-src 'self', frame-ancestors 'none'" || not_ok "CSP is '$csp'"
[[ -n $csp && $csp != *unsafe-inline* && $csp != *unsafe-eval* && $csp != *"*"* ]] &&
	ok "CSP without unsafe-inline, unsafe-eval or a wildcard" || not_ok "CSP is '$csp'"
check "X-Content-Type-Options" nosniff "$(hdr X-Content-Type-Options)"
check "Referrer-Policy" no-referrer "$(hdr Referrer-Policy)"
check "text/html for .html" "text/html; charset=utf-8" "$(hdr Content-Type)"
for f in "app.js text/javascript" "i18n.js text/javascript" "console.css text/css"; do
	set -- $f
	got=$(api anon GET "/console/$1")
	check "GET /console/$1" 200 "$got"
	check "... as $2" "$2; charset=utf-8" "$(hdr Content-Type)"
	cmp -s "$T/body" "$top_srcdir/ra/console/$1" && ok "... as in the source tree" || not_ok "... as in the source tree"
done
got=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --cacert "$D/root.pem" "$URL/console")
check "/console redirects" 308 "$got"
check "... to /console/" /console/ "$(hdr Location)"
# no third-party origin: every src/href/import of the files is relative
if grep -EHn "(https?:)?//[a-z0-9]" "$top_srcdir"/ra/console/*.html "$top_srcdir"/ra/console/*.js "$top_srcdir"/ra/console/*.css |
	grep -Ev '^\S+:[0-9]+:\s*(//|\*|/\*)' > "$T/urls"; then
	not_ok "the console's files name no other origin"; show 5 "$T/urls"
else
	ok "the console's files name no other origin"
fi
grep -Eq '<script[^>]*>[^<]' "$top_srcdir/ra/console/index.html" && not_ok "no inline script in index.html" ||
	ok "no inline script in index.html"
grep -Eqi ' on[a-z]+=|style=' "$top_srcdir/ra/console/index.html" && not_ok "no inline handler or style" ||
	ok "no inline handler or style in index.html"

# out of the folder: ra/ra-view.c is ../ra-view.c of the source tree's
# console; here ../outside.txt and the files beside the copy
for p in /console/../outside.txt /console/%2e%2e/outside.txt /console/%2E%2E/%2e%2e/d/alice.key \
	/console/..%2foutside.txt /console/..%2Foutside.txt /console/.%2e/outside.txt /console/link.js \
	/console/.hidden.js /console//etc/passwd /console/%2fetc%2fpasswd "/console/app.js%00.txt" \
	/console/nope.js /console/app.js/ /console/index.html.bak; do
	got=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' --cacert "$D/root.pem" "$URL$p")
	case $got in 400|404) ok "GET $p: $got" ;; *) not_ok "GET $p: $got (want 400 or 404)" ;; esac
	if grep -Eq 'secret outside|HIDDEN-CONTENT|BEGIN|root:' "$T/body"; then not_ok "... and the body holds the file"; fi
done
got=$(api anon POST /console/ "${JSON[@]}" -d '{}')
check "POST /console/ is 405" 405 "$got"

# ------------------------------------------------------------ /api/v1/me
got=$(api alice GET /api/v1/me)
check "alice: GET /api/v1/me" 200 "$got"
json_matches "j['name'] + ' ' + j['role'] + ' ' + j['principal']" '^alice officer officer:alice$' &&
	ok "... alice, officer" || not_ok "... says $(cat "$T/body")"
json_matches "sorted(a['method'] + ' ' + a['path'] for a in j['actions'])" "POST /api/v1/requests/\{id\}/approve" &&
	ok "... may approve" || not_ok "... may approve"
got=$(api dave GET /api/v1/me)
json_matches "j['role'] + ' ' + str(any(a['path'].endswith('/approve') or a['path'].endswith('/revoke') for a in j['actions']))" \
	'^auditor False$' && ok "dave: auditor, neither approve nor revoke" || not_ok "dave: $(cat "$T/body")"
# the actions are the table's: exactly what --print-authz-table says
"$RA_SERVER" --print-authz-table=tsv | awk -F'\t' '$3 == "auditor" && $4 == "ok" { print $1 " " $2 }' | sort > "$T/want.acts"
json "'\n'.join(sorted(a['method'] + ' ' + a['path'] for a in j['actions']))" > "$T/got.acts"
diff "$T/want.acts" "$T/got.acts" > /dev/null && ok "dave's actions are the table's auditor rows" ||
	{ not_ok "dave's actions are the table's auditor rows"; diff "$T/want.acts" "$T/got.acts" | show 5 /dev/stdin; }
got=$(api app GET /api/v1/me)
json_matches "j['role'] + ' ' + j['principal']" '^applicant token:' && ok "the token: applicant" || not_ok "token: $(cat "$T/body")"

# ------------------------------------------------------------ requests
csr_json ec-p256 a.example DNS:a.example > "$T/r.json"
got=$(api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/r.json")
check "a request of the token" 201 "$got"
id=$(json "j['id']")
got=$(api alice GET "/api/v1/requests/$id")
json_matches "' '.join(c['check'] + '=' + c['result'] for c in j['checks'])" \
	'^csr-signature=pass profile-issuable=pass profile-policy=pass$' && ok "its checks pass" ||
	not_ok "its checks: $(cat "$T/body")"
json_matches "j['csr']['key_type'] + ' ' + str(j['csr']['key_bits']) + ' ' + j['csr']['san']" '^ec-p256 256 DNS:a.example$' &&
	ok "... beside the decoded CSR" || not_ok "... decoded CSR: $(cat "$T/body")"
# the queue's age filter: before a time after the request has it, before one earlier not
got=$(api alice GET "/api/v1/requests?status=pending&before=$(($(date +%s) + 60))")
json_matches "[r['id'] for r in j['items']]" "\b$id\b" && ok "before=in a minute lists it" || not_ok "before: $(cat "$T/body")"
got=$(api alice GET "/api/v1/requests?status=pending&before=2020-01-01")
json_matches "len(j['items'])" '^0$' && ok "before=2020-01-01 lists none" || not_ok "before 2020: $(cat "$T/body")"
got=$(api alice GET "/api/v1/requests?before=2026-02-30")
check "before=2026-02-30 is a bad parameter" 400 "$got"
got=$(api alice GET "/api/v1/requests?profile=tls-server&submitter=token:1")
json_matches "[r['id'] for r in j['items']]" "\b$id\b" && ok "profile and submitter filters list it" || not_ok "filters: $(cat "$T/body")"
# newest first across pages: three more requests, then pages of two
ids=("$id")
for n in b c d; do
	csr_json ec-p256 "$n.example" "DNS:$n.example" > "$T/r.json"
	api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/r.json" > /dev/null
	ids+=("$(json "j['id']")")
done
got=$(api alice GET "/api/v1/requests?status=pending&order=desc&limit=2")
json_matches "([r['id'] for r in j['items']], j['next_cursor'])" "^\(\[${ids[3]}, ${ids[2]}\], '${ids[2]}'\)$" &&
	ok "order=desc: the newest two (${ids[3]}, ${ids[2]}), next_cursor ${ids[2]}" || not_ok "desc: $(head -c 300 "$T/body")"
got=$(api alice GET "/api/v1/requests?status=pending&order=desc&limit=2&cursor=${ids[2]}")
json_matches "([r['id'] for r in j['items']], j['next_cursor'])" "^\(\[${ids[1]}, ${ids[0]}\], None\)$" &&
	ok "... then ${ids[1]} and ${ids[0]}, the last page" || not_ok "desc page 2: $(head -c 300 "$T/body")"
got=$(api alice GET "/api/v1/requests?status=pending&order=desc&submitter=token:1&before=2020-01-01")
json_matches "(j['items'], j['next_cursor'])" '^\(\[\], None\)$' && ok "... with before=2020-01-01: none" || not_ok "desc before: $(head -c 300 "$T/body")"
got=$(api app GET "/api/v1/requests?order=desc&limit=500")
json_matches "sorted(r['id'] for r in j['items']) == sorted([$(IFS=,; echo "${ids[*]}")]) and [r['id'] for r in j['items']] == sorted([r['id'] for r in j['items']], reverse=True)" '^True$' &&
	ok "... the token sees its four, newest first" || not_ok "desc token: $(head -c 300 "$T/body")"
got=$(api alice GET "/api/v1/requests?order=up")
check "order=up is 400" 400 "$got"
for x in "${ids[@]:1}"; do
	got=$(api alice POST "/api/v1/requests/$x/reject" "${JSON[@]}" -d '{"reason":"test of the order"}')
	[ "$got" = 200 ] || not_ok "reject $x: $got"
done
got=$(api alice GET "/api/v1/requests?profile=person")
json_matches "len(j['items'])" '^0$' && ok "profile=person lists none" || not_ok "profile=person: $(cat "$T/body")"

# ------------------------------------------------ what a cross-site page sends
dump_before=$(store_dump)
for h in "Origin: https://evil.example" "Origin: null" "Sec-Fetch-Site: cross-site" "Sec-Fetch-Site: same-site"; do
	got=$(api alice POST "/api/v1/requests/$id/approve" -H "$h")
	check "approve with '$h' is refused" 403 "$got"
	json_matches "j['type']" 'cross-site$' && ok "... as cross-site" || not_ok "... as $(cat "$T/body")"
done
for ct in application/x-www-form-urlencoded multipart/form-data text/plain; do
	got=$(api alice POST "/api/v1/requests/$id/approve" -H "Content-Type: $ct")
	check "approve with a form's Content-Type $ct and no body" 415 "$got"
done
got=$(api alice POST "/api/v1/requests/$id/reject" -H 'Content-Type: text/plain' -d '{"reason":"x"}')
check "reject as text/plain" 415 "$got"
[ "$(store_dump)" = "$dump_before" ] && ok "the store is unchanged" || not_ok "the store changed"
got=$(api alice GET "/api/v1/requests/$id")
json_matches "j['status']" '^pending$' && ok "the request is still pending" || not_ok "status: $(cat "$T/body")"
got=$(api alice POST "/api/v1/requests/$id/approve" -H "Origin: https://127.0.0.1:$PORT" -H 'Sec-Fetch-Site: same-origin')
check "approve from this origin (the console)" 200 "$got"
json_matches "j['status']" '^issued$' && ok "... issued" || not_ok "... $(cat "$T/body")"
sn=$(json "j['serial']")

# the certificate search's SAN and date filters
got=$(api alice GET "/api/v1/certificates?san=DNS:a.example")
json_matches "[c['serial'] for c in j['items']]" "^\['$sn'\]$" && ok "san=DNS:a.example finds it alone" || not_ok "san: $(cat "$T/body")"
got=$(api alice GET "/api/v1/certificates?san=DNS:b.example")
json_matches "len(j['items'])" '^0$' && ok "san=DNS:b.example finds none" || not_ok "san b: $(cat "$T/body")"
got=$(api alice GET "/api/v1/certificates?expires_after=2099-01-01")
json_matches "len(j['items'])" '^0$' && ok "expires_after=2099-01-01 finds none" || not_ok "expires_after: $(cat "$T/body")"
got=$(api alice GET "/api/v1/certificates?expires_after=2020-01-01&status=good&san=a.example")
json_matches "[c['serial'] for c in j['items']]" "^\['$sn'\]$" && ok "expires_after=2020-01-01 finds it" || not_ok "expires_after 2020: $(cat "$T/body")"

# ------------------------------------------------------------ /api/v1/ca
ct crl --ca issuing --out "$D/issuing.crl" >/dev/null
got=$(api carol GET /api/v1/ca)
check "carol: GET /api/v1/ca" 200 "$got"
json "'\n'.join(c['certificate']['sha256'] for c in [x for x in j['items'] if x['name'] == 'issuing'][0]['chain'])" > "$T/got.fp"
awk '/BEGIN/{n++} {print > "'"$T"'/c" n ".pem"}' "$D/chain.pem"
for f in "$T"/c1.pem "$T"/c2.pem; do
	openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
done > "$T/want.fp"
[ -s "$T/want.fp" ] && diff "$T/want.fp" "$T/got.fp" > /dev/null && ok "the issuing CA's chain: openssl's SHA-256 fingerprints" ||
	{ not_ok "chain fingerprints"; show 4 "$T/want.fp" "$T/got.fp"; }
num=$(openssl crl -inform DER -in "$D/issuing.crl" -noout -crlnumber | sed 's/.*=//; s/^0x//')
nu=$(openssl crl -inform DER -in "$D/issuing.crl" -noout -nextupdate | sed 's/.*=//')
tu=$(openssl crl -inform DER -in "$D/issuing.crl" -noout -lastupdate | sed 's/.*=//')
json_matches "[x for x in j['items'] if x['name'] == 'issuing'][0]['crl']['number']" "^$((16#$num))$" &&
	ok "CRL number as openssl reads it ($num)" || not_ok "CRL number: $(cat "$T/body")"
want_nu=$(date -u -d "$nu" +%Y-%m-%dT%H:%M:%SZ) want_tu=$(date -u -d "$tu" +%Y-%m-%dT%H:%M:%SZ)
json_matches "(lambda c: c['this_update'] + ' ' + c['next_update'])([x for x in j['items'] if x['name'] == 'issuing'][0]['crl'])" \
	"^$want_tu $want_nu$" && ok "thisUpdate and nextUpdate as openssl reads them" || not_ok "CRL times: $(cat "$T/body")"
json_matches "[(x['name'], x['issuing'], x['parent']) for x in j['items']]" "\('root', False, None\), \('issuing', True, 'root'\)" &&
	ok "root, and issuing under it (the RA's)" || not_ok "CAs: $(cat "$T/body")"
json_matches "(j['ocsp']['url'], j['ocsp']['status'])" "^\('http://127.0.0.1:$NOBODY', 'unreachable'\)$" &&
	ok "the OCSP responder of ocsp_url, with nothing listening: unreachable" || not_ok "ocsp: $(cat "$T/body")"
got=$(api carol GET "/api/v1/ca?x=1")
check "GET /api/v1/ca?x=1 is an unknown parameter" 400 "$got"

# ------------------------------------------------------------ /api/v1/audit
got=$(api dave GET "/api/v1/audit?limit=2")
check "dave: GET /api/v1/audit?limit=2" 200 "$got"
json_matches "(len(j['items']), j['items'][0]['seq'], j['next_cursor'], j['chain']['status'])" "^\(2, 1, '2', 'verified'\)$" &&
	ok "... entries 1 and 2, next_cursor 2, the chain verified" || not_ok "... $(head -c 400 "$T/body")"
got=$(api dave GET "/api/v1/audit?limit=2&cursor=2")
json_matches "[e['seq'] for e in j['items']]" '^\[3, 4\]$' && ok "cursor 2: entries 3 and 4" || not_ok "cursor: $(head -c 300 "$T/body")"
# the hashes are the store's
json "j['items'][0]['hash']" > "$T/h3"
check "entry 3's hash is the store's" "$(sqlite3 -readonly "$GOVPKI_HOME/govpki.db" "SELECT lower(hex(hash)) FROM audit WHERE seq = 3")" "$(cat "$T/h3")"
got=$(api dave GET "/api/v1/audit?action=ra.&limit=500")
json_matches "sorted(set(e['action'][:3] for e in j['items']))" "^\['ra\.'\]$" &&
	ok "action=ra. lists only ra.* entries" || not_ok "action filter: $(head -c 300 "$T/body")"
got=$(api dave GET "/api/v1/audit?action=ra.approve&limit=500")
json_matches "[(e['action'], e['object']) for e in j['items']]" "^\[\('ra\.approve', 'request:$id'\)\]$" &&
	ok "action=ra.approve: alice's approval of request $id" || not_ok "... $(head -c 600 "$T/body")"
got=$(api dave GET "/api/v1/audit?actor=alice&since=2020-01-01&until=2099-01-01")
json_matches "set(('alice' in e['actor']) for e in j['items'])" '^\{True\}$' && ok "actor=alice lists only hers" || not_ok "actor: $(head -c 300 "$T/body")"
got=$(api dave GET "/api/v1/audit?until=2020-01-01")
json_matches "len(j['items'])" '^0$' && ok "until=2020-01-01 lists none" || not_ok "until: $(head -c 300 "$T/body")"
for q in "limit=0" "cursor=x" "since=2026-13-01" "action=" "sort=seq"; do
	got=$(api dave GET "/api/v1/audit?$q")
	check "audit?$q is 400" 400 "$got"
done
# newest first: the last two entries, then the two before them
max=$(sqlite3 -readonly "$GOVPKI_HOME/govpki.db" "SELECT max(seq) FROM audit")
got=$(api dave GET "/api/v1/audit?order=desc&limit=2")
json_matches "([e['seq'] for e in j['items']], j['next_cursor'])" "^\(\[$max, $((max - 1))\], '$((max - 1))'\)$" &&
	ok "order=desc: entries $max and $((max - 1)) (the store's last), next_cursor $((max - 1))" || not_ok "desc: $(head -c 300 "$T/body")"
got=$(api dave GET "/api/v1/audit?order=desc&limit=2&cursor=$((max - 1))")
json_matches "[e['seq'] for e in j['items']]" "^\[$((max - 2)), $((max - 3))\]$" && ok "... its next page: $((max - 2)), $((max - 3))" ||
	not_ok "desc page 2: $(head -c 300 "$T/body")"
got=$(api dave GET "/api/v1/audit?order=desc&limit=500&cursor=3")
json_matches "([e['seq'] for e in j['items']], j['next_cursor'])" "^\(\[2, 1\], None\)$" && ok "... below 3: 2 and 1, the last page" ||
	not_ok "desc end: $(head -c 300 "$T/body")"
got=$(api dave GET "/api/v1/audit?order=desc&action=ra.approve")
json_matches "[(e['action'], e['object']) for e in j['items']]" "^\[\('ra\.approve', 'request:$id'\)\]$" && ok "... filtered as oldest first" ||
	not_ok "desc filter: $(head -c 300 "$T/body")"
got=$(api dave GET "/api/v1/audit?order=newest")
check "order=newest is 400" 400 "$got"
# an entry edited in the store: the chain says broken, and where
sqlite3 "$GOVPKI_HOME/govpki.db" "UPDATE audit SET detail = detail || ' edited' WHERE seq = 3"
got=$(api dave GET "/api/v1/audit?limit=1")
json_matches "(j['chain']['status'], j['chain']['bad_seq'])" "^\('broken', 3\)$" && ok "an edited entry 3: the chain is broken at 3" ||
	not_ok "edited: $(head -c 400 "$T/body")"

# ------------------------------------------------------------ /api/v1/seals
got=$(api alice GET /api/v1/seals)
check "alice: GET /api/v1/seals" 200 "$got"
json_matches "(j['items'], j['next_cursor'])" '^\(\[\], None\)$' && ok "... an empty register" || not_ok "... $(cat "$T/body")"
got=$(api alice GET "/api/v1/seals?status=lost")
check "seals?status=lost is 400" 400 "$got"
ra_seal GOOD "示例市人民政府" && ra_seal "DEPT/7 A" dept && ok "two seals registered (seal-tool make)" || not_ok "seal-tool make"
got=$(api dave GET "/api/v1/seals?limit=1")
json_matches "([(s['id'], s['name'], s['status']) for s in j['items']], j['next_cursor'] is not None)" \
	"^\(\[\('GOOD', '示例市人民政府', 'good'\)\], True\)$" && ok "the register, a page of 1: GOOD, and a next page" || not_ok "seals: $(cat "$T/body")"
cur=$(json "j['next_cursor']")
got=$(api dave GET "/api/v1/seals?limit=1&cursor=$cur")
json_matches "([(s['id'], s['status']) for s in j['items']], j['next_cursor'])" "^\(\[\('DEPT/7 A', 'good'\)\], None\)$" &&
	ok "... the next page: 'DEPT/7 A'" || not_ok "seals page 2: $(cat "$T/body")"
if ! ct --json seal list > "$T/seals.json" 2> "$T/err" ||
	! python3 -c "import json; d = json.load(open('$T/seals.json')); d = d if isinstance(d, list) else next(v for v in d.values() if isinstance(v, list)); print([s for s in d if s['id'] == 'GOOD'][0]['maker'])" > "$T/maker"; then
	not_ok "ca-tool --json seal list"; show 3 "$T/err" "$T/seals.json"; : > "$T/maker"
fi
got=$(api dave GET "/api/v1/seals?status=good")
json_matches "[s['maker'] for s in j['items'] if s['id'] == 'GOOD'][0]" "^$(cat "$T/maker")$" && [ -s "$T/maker" ] &&
	ok "GOOD's maker as ca-tool seal list says ($(cat "$T/maker"))" || not_ok "maker: $(cat "$T/body") vs $(cat "$T/maker")"
# revoked by an admin, by its esID in the body (a slash and a space)
dump_before=$(store_dump)
got=$(api alice POST /api/v1/seals/revoke "${JSON[@]}" -d '{"id":"DEPT/7 A","reason":"lost"}')
check "an officer may not revoke a seal" 403 "$got"
for b in '{"id":"NOPE","reason":"x"}' '{"id":"DEPT/7 A"}' '{"id":"DEPT/7 A","reason":""}' '{"id":"DEPT/7 A","reason":"x","when":1}'; do
	got=$(api carol POST /api/v1/seals/revoke "${JSON[@]}" -d "$b")
	case $got in 400|404) ok "revoke $b: $got" ;; *) not_ok "revoke $b: $got (want 400 or 404)" ;; esac
done
[ "$(store_dump)" = "$dump_before" ] && ok "... and the store is unchanged" || not_ok "the store changed"
got=$(api carol POST /api/v1/seals/revoke "${JSON[@]}" -d '{"id":"DEPT/7 A","reason":"the department closed"}')
check "carol (admin) revokes 'DEPT/7 A'" 200 "$got"
json_matches "(j['id'], j['status'], j['reason'])" "^\('DEPT/7 A', 'revoked', 'the department closed'\)$" && ok "... answered revoked with its reason" ||
	not_ok "... $(cat "$T/body")"
ct seal list --status revoked > "$T/revoked.txt" 2>&1
grep -q "DEPT/7 A" "$T/revoked.txt" && ! grep -q GOOD "$T/revoked.txt" && ok "ca-tool seal list --status revoked lists it alone" ||
	{ not_ok "ca-tool seal list --status revoked"; show 3 "$T/revoked.txt"; }
got=$(api dave GET "/api/v1/audit?action=seal.revoke")
json_matches "[(e['actor'], e['object']) for e in j['items']]" "^\[\('officer:carol', 'DEPT/7 A'\)\]$" && ok "the audit: seal.revoke by officer:carol" ||
	not_ok "audit seal.revoke: $(cat "$T/body")"
got=$(api dave GET "/api/v1/seals?status=revoked")
json_matches "[(s['id'], s['reason']) for s in j['items']]" "^\[\('DEPT/7 A', 'the department closed'\)\]$" && ok "seals?status=revoked lists it" ||
	not_ok "seals revoked: $(cat "$T/body")"
[ -n "$sn" ] && ok "(certificate $sn issued)" || not_ok "no serial"

finish
