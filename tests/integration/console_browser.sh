#!/bin/bash
# console_browser: the officers' console in headless Chromium (Debian's
# chromium, driven by playwright-core from npm: console_browser.mjs), each
# officer logged in with her TLS client certificate.  alice approves a
# request curl submitted and finds its certificate good, downloads it, asks
# for its revocation (keyCompromise, confirmed), approves the first half of
# a seal-signer request ("1 of 2"); bob completes that one and approves the
# revocation; dave (auditor) reads the audit trail, sees no approve or
# revoke, and a forced call from the page is refused; carol (admin)
# revokes a seal of the register.  Here, with curl and
# openssl: the downloads are the certificate, the responder says revoked,
# the states are what the pages said, and the cross-site posts changed
# nothing.  Screenshots of every page in both languages: $OUT (the test's
# output folder, console_browser.out/ beside its log).
. "$(dirname "$0")/ra_lib.sh"

OUT="$top_builddir/tests/integration/console_browser.out"
if ! [ -x /usr/bin/chromium ] || ! [ -d "$NPM_DIR/node_modules/playwright-core" ] || ! command -v node >/dev/null; then
	# CI=true does not accept a skip
	if [ "${CI:-}" = true ]; then echo "not ok 1 - chromium or playwright-core is not installed"; exit 1; fi
	echo "1..0 # SKIP chromium (apt) or playwright-core (npm, in $NPM_DIR) is not installed: scripts/test.sh installs them"
	exit 77
fi
rm -rf "$OUT"; mkdir -p "$OUT"

ra_setup "console_dir = $top_srcdir/ra/console"
SEALTOK=$(ct token create --name sealapp --profiles seal-signer 2>/dev/null)
JSON=(-H 'Content-Type: application/json')

# the OCSP responder of the store, for the revocation and the CA overview
OPID=
trap '[ -n "$OPID" ] && kill "$OPID" 2>/dev/null; rm -rf "$T"' EXIT
"$top_builddir/ocsp-responder" --listen 127.0.0.1:0 --port-file "$T/oport" $PASS >"$T/ocsp.out" 2>"$T/ocsp.err" &
OPID=$!
for _ in $(seq 1 250); do
	[ -s "$T/oport" ] && break
	kill -0 "$OPID" 2>/dev/null || break
	sleep 0.02
done
[ -s "$T/oport" ] && ok "the OCSP responder starts" || { not_ok "the OCSP responder starts"; show 5 "$T/ocsp.err"; }
OCSP="http://127.0.0.1:$(cat "$T/oport" 2>/dev/null)"
echo "ocsp_url = $OCSP" >> "$CONF"
ra_start
trap 'ra_stop; [ -n "$OPID" ] && kill "$OPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

# R1: a tls-server request of the token; R2: a seal-signer request (two
# approvals) of its own token; R3: one no one approves (the CSRF target)
submit() {
	local tok=$1 body=$2 got
	got=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$D/root.pem" -H "Authorization: Bearer $tok" \
		"${JSON[@]}" --data-binary @"$body" "$URL/api/v1/requests")
	[ "$got" = 201 ] || { echo "# submission: $got $(cat "$T/body")" >&2; return 1; }
	json "j['id']"
}
csr_json ec-p256 www1.example.gov.cn DNS:www1.example.gov.cn > "$T/r1.json"
R1=$(submit "$TOKEN" "$T/r1.json")
csr_json ec-p256 "Seal Maker" "" seal-signer > "$T/r2.json"
R2=$(submit "$SEALTOK" "$T/r2.json")
check "the seal-signer request needs 2 approvals" 2 "$(api alice GET "/api/v1/requests/$R2" >/dev/null; json "j['approvals_needed']")"
csr_json ec-p256 www3.example.gov.cn DNS:www3.example.gov.cn > "$T/r3.json"
R3=$(submit "$TOKEN" "$T/r3.json")
"$RA_SERVER" --print-authz-table=tsv > "$T/authz.tsv"
ra_seal GOOD "示例市人民政府" && ra_seal "DEPT/7 A" dept && ok "two seals registered (seal-tool make)" || not_ok "seal-tool make"

NPM_DIR=$NPM_DIR URL=$URL D=$D OUT=$OUT AUTHZ=$T/authz.tsv R1=$R1 R2=$R2 R3=$R3 \
	timeout 120 node "$top_srcdir/tests/integration/console_browser.mjs" > "$T/browser.out" 2> "$T/browser.err" || rc=$?
[ "${rc:-0}" -eq 0 ] && ok "the browser run ends (exit 0)" || { not_ok "the browser run ends (exit ${rc:-0})"; show 10 "$T/browser.err"; }
while IFS=$'\t' read -r kind what rest; do
	case $kind in
	ok) ok "browser: $what" ;;
	"not ok") not_ok "browser: $what" ;;
	serial) SN=$what ;;
	revocation) RV=$what ;;
	esac
done < "$T/browser.out"
grep -q "^ok" "$T/browser.out" || { not_ok "the browser reported no check"; show 10 "$T/browser.err"; }

# ------------------------------------------- what the pages did, by curl and openssl
got=$(api carol GET "/api/v1/requests/$R1")
json_matches "(j['status'], j['approvals'], j['serial'])" "^\('issued', \['alice'\], '${SN:-x}'\)$" &&
	ok "R1 is issued, approved by alice, serial $SN" || not_ok "R1: $(cat "$T/body")"
got=$(api carol GET "/api/v1/requests/$R2")
json_matches "(j['status'], sorted(j['approvals']), j['approval_comments'].get('alice'))" "^\('issued', \['alice', 'bob'\], 'checked the seal maker'\)$" &&
	ok "R2 (seal-signer) is issued, approved by alice (with her comment) and bob" || not_ok "R2: $(cat "$T/body")"
got=$(api carol GET "/api/v1/requests/${RV:-0}")
json_matches "(j['kind'], j['status'], j['submitter'], j['approvals'], j['revocation_reason'])" \
	"^\('revoke', 'revoked', 'officer:alice', \['bob'\], 'keyCompromise'\)$" &&
	ok "the revocation request: alice's, approved by bob, keyCompromise" || not_ok "revocation: $(cat "$T/body")"
got=$(api carol GET "/api/v1/requests/$R3")
json_matches "(j['status'], j.get('approvals', []))" "^\('pending', \[\]\)$" &&
	ok "R3, which the cross-site page and dave's forced call tried to approve, is pending and unapproved" || not_ok "R3: $(cat "$T/body")"
got=$(api carol GET "/api/v1/audit?action=ra.approve&object=request:$R3")
json_matches "len(j['items'])" '^0$' && ok "... and the audit has no approval of it" || not_ok "audit of R3: $(cat "$T/body")"
ct seal list --status revoked > "$T/revoked.txt" 2>&1
grep -q "DEPT/7 A" "$T/revoked.txt" && ! grep -q GOOD "$T/revoked.txt" && ok "ca-tool seal list: carol revoked DEPT/7 A from the page, GOOD stands" ||
	{ not_ok "ca-tool seal list --status revoked"; show 3 "$T/revoked.txt"; }
# the downloads are the certificate (openssl reads both; the DER is the PEM's first certificate)
if openssl x509 -in "$OUT/cert.pem" -noout -serial > "$T/pem.serial" 2>/dev/null &&
	openssl x509 -inform DER -in "$OUT/cert.der" -out "$T/der.pem" 2>/dev/null; then
	check "the PEM download is certificate $SN" "$(sed 's/^0*//' <<<"${SN:-x}")" "$(cut -d= -f2 "$T/pem.serial" | tr 'A-F' 'a-f' | sed 's/^0*//')"
	openssl x509 -in "$OUT/cert.pem" > "$T/leaf.pem"
	cmp -s "$T/leaf.pem" "$T/der.pem" && ok "the DER download is the same certificate" || not_ok "the DER download is the same certificate"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$OUT/cert.pem")" -eq 3 ] && ok "the PEM download carries the chain (leaf, issuing, root)" ||
		not_ok "the PEM download carries the chain"
	openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T/leaf.pem" > /dev/null 2>&1 &&
		ok "openssl verify accepts the downloaded certificate" || not_ok "openssl verify accepts the downloaded certificate"
else
	not_ok "the downloads are certificates openssl reads"
fi
# the responder says revoked (keyCompromise)
openssl x509 -in "$D/chain.pem" -out "$T/issuing.pem"
if openssl ocsp -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$OCSP" -CAfile "$D/root.pem" -no_nonce > "$T/ocsp" 2>"$T/ocsp.err2"; then
	grep -q "leaf.pem: revoked" "$T/ocsp" && grep -q "Reason: keyCompromise" "$T/ocsp" &&
		ok "openssl ocsp: the certificate revoked from the page is revoked (keyCompromise)" ||
		{ not_ok "openssl ocsp says revoked"; show 5 "$T/ocsp"; }
	grep -q "Response verify OK" "$T/ocsp.err2" && ok "... in a response that verifies" || { not_ok "... the response verifies"; show 3 "$T/ocsp.err2"; }
else
	not_ok "openssl ocsp against the responder"; show 5 "$T/ocsp.err2"
fi
# the screenshots: every page, both languages, PNG
for p in zh-queue zh-request zh-certs zh-cert zh-ca zh-seals zh-seals-admin zh-audit en-queue en-request en-certs en-cert en-ca en-seals en-audit en-queue-tablet; do
	f="$OUT/$p.png"
	[ -s "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		ok "screenshot $p.png" || not_ok "screenshot $p.png"
done
finish
