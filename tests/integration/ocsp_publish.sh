#!/bin/bash
# ocsp_publish (issues 12.3, 20.6): the CA serves its certificate and CRLs
# at the URLs that [ca.NAME] base_url puts in what it issues.
# `ca-tool crl --publish DIR` writes DIR/ca/NAME.crt and DIR/crl/NAME.crl
# (and the delta) by write and rename when they are due, driven here by
# --now instead of waiting; ocsp-responder serves the folder with ETag,
# Last-Modified, max-age bounded by nextUpdate and 304s, refuses names
# that are not of the folder (400) and answers 404 for the rest.  Checked
# with curl, openssl x509/crl -inform DER, and `openssl verify
# -crl_download -crl_check`, which fetches the CRL from the CRL DP of the
# issued certificate.  /healthz (JSON) fails while a CRL of the folder is
# past its nextUpdate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

setup_pki ec-p256
d="$T/pki"
P="$T/publish"
mkdir -p "$P"
CNF="$T/govpki.cnf"
printf '[daemon]\npublish_dir = %s\n' "$P" > "$CNF"
start_responder --config "$CNF" $PASS || { not_ok "responder starts"; finish; exit 1; }
ok "responder starts with a publish folder"
# the CA publishes under the responder: the URLs go into what it issues
printf '[ca.issuing]\nbase_url = %s\n' "$URL" >> "$CNF"
ctc() { ct --config "$CNF" "$@"; }

# get NAME URL [CURL ARGS]: status in $T/NAME.code, headers in $T/NAME.h,
# body in $T/NAME.body
get() {
	local n=$1 u=$2; shift 2
	curl -s -o "$T/$n.body" -D "$T/$n.h" -w '%{http_code}' "$@" "$u" > "$T/$n.code"
}
hdr() { sed -n "s/^$2: //Ip" "$T/$1.h" | tr -d '\r'; }
code() { cat "$T/$1.code"; }

# ---- nothing published yet: 404 --------------------------------------------
get none "$URL/crl/issuing.crl"
[ "$(code none)" = 404 ] && ok "before publishing: 404" || not_ok "before publishing: $(code none)"

# ---- ca-tool crl --publish ------------------------------------------------
expect_fail "--publish into a folder that is not there" 3 "not a folder" \
	ctc crl --ca issuing --publish "$T/nowhere" $PASS
[ ! -e "$T/nowhere" ] && ok "nothing made for a missing folder" || not_ok "a missing folder was made"
expect_fail "--now that is no time" 2 "--now" ctc crl --ca issuing --publish "$P" --now 2026-02-30 $PASS
expect_fail "--publish with --out" 2 "no --out" ctc crl --ca issuing --publish "$P" --out "$T/x.crl" $PASS
expect "crl --publish: first run" ctc crl --ca issuing --publish "$P" $PASS
grep -q "full CRL number 1 of issuing made (none published yet)" "$T/stdout" &&
	[ -s "$P/crl/issuing.crl" ] && [ -s "$P/ca/issuing.crt" ] &&
	ok "full CRL and CA certificate written" || { not_ok "full CRL and CA certificate written"; show 5 "$T/stdout"; }
[ "$(count_files "$P/crl" '*tmp*')" = 0 ] && [ "$(count_files "$P/ca" '*tmp*')" = 0 ] &&
	ok "no temporary file left" || not_ok "temporary files left"

# ---- the CA certificate -----------------------------------------------------
get cert "$URL/ca/issuing.crt"
[ "$(code cert)" = 200 ] && [ "$(hdr cert Content-Type)" = application/pkix-cert ] &&
	ok "GET /ca/issuing.crt: 200 application/pkix-cert" ||
	not_ok "GET /ca/issuing.crt: $(code cert) $(hdr cert Content-Type)"
openssl x509 -inform DER -in "$T/cert.body" -out "$T/served.pem" 2>"$T/err" &&
	[ "$(openssl x509 -in "$T/served.pem" -noout -fingerprint -sha256)" = \
	  "$(openssl x509 -in "$d/issuing.pem" -noout -fingerprint -sha256)" ] &&
	ok "openssl x509 -inform DER: the issuing CA's certificate" ||
	{ not_ok "openssl x509 -inform DER: the issuing CA's certificate"; show 3 "$T/err"; }

# ---- the CRL ----------------------------------------------------------------
get crl "$URL/crl/issuing.crl"
[ "$(code crl)" = 200 ] && [ "$(hdr crl Content-Type)" = application/pkix-crl ] &&
	ok "GET /crl/issuing.crl: 200 application/pkix-crl" ||
	not_ok "GET /crl/issuing.crl: $(code crl) $(hdr crl Content-Type)"
cmp -s "$T/crl.body" "$P/crl/issuing.crl" && ok "the body is the published file" || not_ok "the body differs"
openssl crl -inform DER -in "$T/crl.body" -CAfile "$d/chain.pem" -noout 2>"$T/err" &&
	grep -q "verify OK" "$T/err" && ok "openssl crl -inform DER -CAfile: verify OK" ||
	{ not_ok "openssl crl -inform DER -CAfile"; show 3 "$T/err"; }
openssl crl -inform DER -in "$T/crl.body" -noout -text > "$T/crl.txt"
grep -q "$(serial_of "$d/revoked.pem")" "$T/crl.txt" && ok "the CRL lists the revoked certificate" ||
	not_ok "the CRL lists the revoked certificate"
etag1=$(hdr crl ETag)
lm=$(hdr crl Last-Modified)
[[ $etag1 =~ ^\"[0-9a-f]{64}\"$ ]] && ok "strong ETag $etag1" || not_ok "ETag '$etag1'"
lu=$(openssl crl -inform DER -in "$T/crl.body" -noout -lastupdate | cut -d= -f2)
[ -n "$lm" ] && [ "$(date -u -d "$lm" +%s)" = "$(date -u -d "$lu" +%s)" ] &&
	ok "Last-Modified is thisUpdate ($lm)" || not_ok "Last-Modified '$lm', thisUpdate '$lu'"
nu=$(date -u -d "$(openssl crl -inform DER -in "$T/crl.body" -noout -nextupdate | cut -d= -f2)" +%s)
cc=$(hdr crl Cache-Control)
age=$(sed -n 's/.*max-age=\([0-9]*\).*/\1/p' <<<"$cc")
# from the response's own Date: the test may run seconds after the server answered
dh=$(hdr crl Date)
[ -n "$age" ] && [ "$age" -gt 0 ] && [ -n "$dh" ] && [ "$((age + $(date -u -d "$dh" +%s)))" -le "$((nu + 1))" ] &&
	ok "max-age $age ends by nextUpdate" || not_ok "Cache-Control '$cc', nextUpdate $nu"
get crl304 "$URL/crl/issuing.crl" -H "If-None-Match: $etag1"
[ "$(code crl304)" = 304 ] && [ ! -s "$T/crl304.body" ] && ok "If-None-Match: 304" ||
	not_ok "If-None-Match: $(code crl304)"
get crlims "$URL/crl/issuing.crl" -H "If-Modified-Since: $lm"
[ "$(code crlims)" = 304 ] && ok "If-Modified-Since: 304" || not_ok "If-Modified-Since: $(code crlims)"
get crlother "$URL/crl/issuing.crl" -H 'If-None-Match: "0000"'
[ "$(code crlother)" = 200 ] && ok "another ETag: 200" || not_ok "another ETag: $(code crlother)"
get head "$URL/crl/issuing.crl" -I
[ "$(code head)" = 200 ] && [ "$(hdr head ETag)" = "$etag1" ] &&
	ok "HEAD: 200 with the ETag" || not_ok "HEAD: $(code head)"

# ---- names that are not of the folder ---------------------------------------
for u in /crl/nope.crl /ca/nope.crt /crl/issuing.crt /ca/issuing.crl /crl/issuing.txt; do
	get nf "$URL$u"
	[ "$(code nf)" = 404 ] && ok "GET $u: 404" || not_ok "GET $u: $(code nf)"
done
for u in /crl/../ca/issuing.crt /crl/%2e%2e%2fca%2fissuing.crt /crl/.issuing.crl \
	/crl/a%2fissuing.crl /crl/issuing.crl%00.txt '/crl/issuing%20.crl' /crl/ /ca/; do
	get bad "$URL$u" --path-as-is
	[ "$(code bad)" = 400 ] && ok "GET $u: 400" || not_ok "GET $u: $(code bad)"
done
ln -s "$P/ca/issuing.crt" "$P/ca/link.crt"
get link "$URL/ca/link.crt"
[ "$(code link)" = 404 ] && ok "a symbolic link in the folder is not followed" || not_ok "a link: $(code link)"
rm "$P/ca/link.crt"
printf 'not a CRL' > "$P/crl/junk.crl"
get junk "$URL/crl/junk.crl"
[ "$(code junk)" = 500 ] && ok "a file that is not a CRL: 500" || not_ok "junk: $(code junk)"
rm "$P/crl/junk.crl"
healthy && ok "the responder still serves OCSP" || not_ok "the responder still serves OCSP"

# ---- a certificate with the URLs: openssl fetches the CRL from us ------------
genkey ec-p256 "$d/leaf.key"
mkcsr ec-p256 "$d/leaf.key" "$d/leaf.csr" "/C=CN/O=City of Example/CN=leaf.example.gov.cn" "DNS:leaf.example.gov.cn"
expect "issue with base_url" ctc issue --ca issuing --profile tls-server --csr "$d/leaf.csr" --out "$d/leaf.pem" $PASS
cdp=$(openssl x509 -in "$d/leaf.pem" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p')
aia=$(openssl x509 -in "$d/leaf.pem" -noout -ext authorityInfoAccess | sed -n 's/^ *CA Issuers - URI://p')
[ "$cdp" = "$URL/crl/issuing.crl" ] && ok "CRL DP is $cdp" || not_ok "CRL DP '$cdp'"
get aia "$aia"
[ "$(code aia)" = 200 ] && cmp -s "$T/aia.body" "$P/ca/issuing.crt" && ok "caIssuers URL serves the CA certificate" ||
	not_ok "caIssuers '$aia': $(code aia)"
get cdp "$cdp"
openssl crl -inform DER -in "$T/cdp.body" -CAfile "$d/chain.pem" -noout 2>"$T/err" && grep -q "verify OK" "$T/err" &&
	ok "the CRL at the CRL DP verifies" || not_ok "the CRL at the CRL DP verifies"
openssl verify -CAfile "$d/chain.pem" -crl_download -crl_check "$d/leaf.pem" > "$T/verify.out" 2>&1 &&
	grep -q "leaf.pem: OK" "$T/verify.out" && ok "openssl verify -crl_download -crl_check: OK" ||
	{ not_ok "openssl verify -crl_download -crl_check"; show 5 "$T/verify.out"; }

# the AIA's OCSP URL (BASE/ocsp) is answered by the responder at BASE with
# its default path: openssl ocsp POSTs to it, curl GETs under it (RFC 6960 A.1)
ouri=$(openssl x509 -in "$d/leaf.pem" -noout -ocsp_uri)
[ "$ouri" = "$URL/ocsp" ] && ok "AIA OCSP URL is $ouri" || not_ok "AIA OCSP URL '$ouri'"
openssl ocsp -url "$ouri" -issuer "$d/issuing.pem" -cert "$d/leaf.pem" -CAfile "$d/chain.pem" \
	-reqout "$T/aia.req" > "$T/aia.out" 2>&1 && grep -q "leaf.pem: good" "$T/aia.out" &&
	ok "openssl ocsp -url <the AIA URL>: good" || { not_ok "openssl ocsp -url $ouri"; show 5 "$T/aia.out"; }
b64=$(base64 -w0 < "$T/aia.req" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
get aiaget "$ouri/$b64"
[ "$(code aiaget)" = 200 ] && openssl ocsp -no_nonce -respin "$T/aiaget.body" -issuer "$d/issuing.pem" -cert "$d/leaf.pem" \
	-CAfile "$d/chain.pem" > "$T/aiaget.out" 2>&1 && grep -q "leaf.pem: good" "$T/aiaget.out" &&
	ok "GET <the AIA URL>/BASE64: good" || { not_ok "GET $ouri/BASE64: $(code aiaget)"; show 5 "$T/aiaget.out"; }
get other "$URL/ocspx" -H 'Content-Type: application/ocsp-request' --data-binary @"$T/aia.req"
[ "$(code other)" = 404 ] && ok "POST to another path (/ocspx): 404" || not_ok "POST /ocspx: $(code other)"

# ---- the schedule -----------------------------------------------------------
tu=$(date -u -d "$lu" +%s)
expect "an hour later: nothing due" ctc crl --ca issuing --publish "$P" --now "@$((tu + 3600))" </dev/null
grep -q "full CRL number 1 of issuing is current" "$T/stdout" && ok "not due: CRL 1 kept, no passphrase asked" ||
	{ not_ok "not due"; show 3 "$T/stdout"; }
get same "$URL/crl/issuing.crl"
[ "$(hdr same ETag)" = "$etag1" ] && ok "not due: same ETag" || not_ok "not due: ETag changed"
# 100 of the 168 hours: past half of its validity, before its nextUpdate
at=$((tu + 100 * 3600))
[ "$at" -lt "$nu" ] && ok "100 h after thisUpdate is before nextUpdate" || not_ok "the test's time is past nextUpdate"
expect "100 h later: due" ctc crl --ca issuing --publish "$P" --now "@$at" --json $PASS
[ "$(jq -r '.full.made, .full.number, .full.written' "$T/stdout" | tr '\n' ' ')" = "true 2 true " ] &&
	ok "CRL 2 made and written before CRL 1's nextUpdate" || { not_ok "CRL 2 made"; show 20 "$T/stdout"; }
get new "$URL/crl/issuing.crl"
etag2=$(hdr new ETag)
[ "$(code new)" = 200 ] && [ -n "$etag2" ] && [ "$etag2" != "$etag1" ] && ok "the responder serves it: new ETag" ||
	not_ok "new ETag '$etag2' (old $etag1)"
[ "$(openssl crl -inform DER -in "$T/new.body" -noout -crlnumber | cut -d= -f2)" = 0x02 ] &&
	ok "served CRL number 2" || not_ok "served CRL number 2"
get old "$URL/crl/issuing.crl" -H "If-None-Match: $etag1"
[ "$(code old)" = 200 ] && ok "the old ETag gets the new CRL (200)" || not_ok "old ETag: $(code old)"

# a revocation makes the next run due at once; openssl sees it through the CDP
expect "revoke the leaf" ctc revoke --ca issuing --serial "$(serial_of "$d/leaf.pem")" --reason superseded
expect "publish after a revocation" ctc crl --ca issuing --publish "$P" $PASS
grep -q "full CRL number 3 of issuing made (certificates changed status since)" "$T/stdout" &&
	ok "a status change: CRL 3" || { not_ok "a status change: CRL 3"; show 3 "$T/stdout"; }
if openssl verify -CAfile "$d/chain.pem" -crl_download -crl_check "$d/leaf.pem" > "$T/verify.out" 2>&1; then
	not_ok "openssl verify -crl_download: revoked leaf accepted"
else
	grep -q "certificate revoked" "$T/verify.out" && ok "openssl verify -crl_download: certificate revoked" ||
		{ not_ok "openssl verify -crl_download"; show 5 "$T/verify.out"; }
fi

# ---- delta CRLs ---------------------------------------------------------------
printf '[crl]\ndelta_url = %s/crl/%%s-delta.crl\n' "$URL" >> "$CNF"
expect "publish with deltas" ctc crl --ca issuing --publish "$P" $PASS
grep -q "delta CRL number 4 of issuing made (none published yet)" "$T/stdout" && [ -s "$P/crl/issuing-delta.crl" ] &&
	ok "delta CRL 4 written to issuing-delta.crl" || { not_ok "delta CRL"; show 5 "$T/stdout"; }
get delta "$URL/crl/issuing-delta.crl"
openssl crl -inform DER -in "$T/delta.body" -CAfile "$d/chain.pem" -noout -text > "$T/delta.txt" 2>"$T/err" &&
	grep -q "Delta CRL Indicator" "$T/delta.txt" && grep -q "verify OK" "$T/err" &&
	ok "GET /crl/issuing-delta.crl: a delta CRL that verifies" || not_ok "the delta CRL"
expect "publish again: nothing due" ctc crl --ca issuing --publish "$P" </dev/null
grep -q "delta CRL number 4 of issuing is current" "$T/stdout" && ok "delta not due" || not_ok "delta not due"
de=$(date -u -d "$(openssl crl -inform DER -in "$T/delta.body" -noout -lastupdate | cut -d= -f2)" +%s)
expect "13 h later: the delta is due" ctc crl --ca issuing --publish "$P" --now "@$((de + 13 * 3600))" $PASS
grep -q "delta CRL number 5 of issuing made (half of its validity has passed)" "$T/stdout" &&
	grep -q "full CRL number 3 of issuing is current" "$T/stdout" &&
	ok "delta 5 made, full CRL 3 kept" || { not_ok "delta 5"; show 5 "$T/stdout"; }

# ---- /healthz: JSON, 503 while a CRL of the folder is past nextUpdate ---------
get h "$URL/healthz"
[ "$(code h)" = 200 ] && [ "$(jq -r '.status, .store.ok, .keys.ok, ([.crls[].ok] | all)' "$T/h.body" | tr '\n' ' ')" = "ok true true true " ] &&
	ok "/healthz 200: store, keys and CRLs ok" || { not_ok "/healthz: $(code h)"; show 3 "$T/h.body"; }
jq -e '.crls[] | select(.file == "issuing.crl") | .next_update' "$T/h.body" >/dev/null &&
	ok "/healthz lists the published CRL" || not_ok "/healthz lists the published CRL"
# a CRL whose nextUpdate has passed, signed by the issuing CA with openssl ca
mkdir -p "$T/oca"
: > "$T/oca/index.txt"
echo 01 > "$T/oca/crlnumber"
printf '[ca]\ndefault_ca = x\n[x]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\n' \
	"$T/oca/index.txt" "$T/oca/crlnumber" > "$T/oca/ca.cnf"
openssl ca -gencrl -config "$T/oca/ca.cnf" -cert "$d/issuing.pem" -keyfile "$GOVPKI_HOME/keys/issuing.key" \
	-passin file:"$T/pass" -crl_lastupdate 20260101000000Z -crl_nextupdate 20260102000000Z \
	-out "$T/stale.pem" 2>"$T/err" || show 5 "$T/err"
openssl crl -in "$T/stale.pem" -outform DER -out "$P/crl/stale.crl"
get h "$URL/healthz"
[ "$(code h)" = 503 ] && [ "$(jq -r '.status' "$T/h.body")" = fail ] &&
	[ "$(jq -r '.crls[] | select(.file == "stale.crl") | .ok' "$T/h.body")" = false ] &&
	ok "/healthz 503 for a CRL past nextUpdate" || { not_ok "/healthz stale: $(code h)"; show 3 "$T/h.body"; }
rm "$P/crl/stale.crl"
get h "$URL/healthz"
[ "$(code h)" = 200 ] && ok "/healthz 200 again once it is gone" || not_ok "/healthz after: $(code h)"

expect "the responder stops" stop_responder
finish
