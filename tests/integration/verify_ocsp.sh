#!/bin/bash
# verify_ocsp: `ca-tool verify --ocsp URL|aia` (RFC 6960 §3.2) against our
# ocsp-responder and against an independent one, `openssl ocsp -port`, whose
# answers `openssl ocsp` reads too: good, revoked and unknown; responses
# signed by the CA, by a delegated responder it issued (id-kp-OCSPSigning),
# and refused: by a certificate of the CA without that EKU, by a responder
# another CA issued; stale (nextUpdate passed, or no nextUpdate and too old);
# a replayed answer with another nonce, one about another certificate
# (CertID), one without the nonce under --ocsp-nonce require; an error
# status; a responder that is down, with and without --ocsp-soft-fail; the
# AIA URL of a certificate issued under base_url, with CRLs for the CA.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

PIDS=()
# on exit: the responders this test started (they may have exited: kill's
# status does not matter here), then the folder
trap 'for p in $RPID "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

setup_pki ec-p256
d="$T/pki"
KEYS="$GOVPKI_HOME/keys"
now=$(date +%s)
V=(verify --trust "$d/root.pem" --untrusted "$d/issuing.pem")

# vok WHAT ARGS... CERT: ca-tool verify exits 0 with "CERT: OK" on stdout
vok() {
	local what=$1 c=${!#} rc=0; shift
	ct "${V[@]}" "$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -eq 0 ] && grep -qF "$c: OK" "$T/out"; then ok "$what"; else
		not_ok "$what (exit $rc)"; show 5 "$T/err" "$T/out"; fi
}
# vbad WHAT RULE PATTERN ARGS... CERT: exit 7, "CERT: INVALID: RULE (" and
# PATTERN (extended regex) on stderr
vbad() {
	local what=$1 rule=$2 pat=$3 c=${!#} rc=0; shift 3
	ct "${V[@]}" "$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -eq 7 ] && grep -qF "$c: INVALID: $rule (" "$T/err" && grep -Eq -- "$pat" "$T/err"; then
		ok "$what"; else not_ok "$what (exit $rc)"; show 5 "$T/err" "$T/out"; fi
}
# ossl_says WHAT WANT CERT URL: openssl ocsp reads WANT (good, revoked,
# unknown, or "" for no verified answer) from the responder at URL
ossl_says() {
	local got
	got=$(verified_status "$3" "$d/issuing.pem" -url "$4" -CAfile "$d/chain.pem")
	if [ "$got" = "$2" ]; then ok "openssl ocsp: $1: ${2:-no verified answer}"; else
		not_ok "openssl ocsp: $1: '$got', want '$2'"; show 8 "$T/ocsp.out"; fi
}
# wait_answer URL: a bounded wait (30 s) until the responder at URL answers
wait_answer() {
	local i
	for i in $(seq 300); do
		openssl ocsp -url "$1" -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -noverify \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "# no OCSP answer from $1"
	return 1
}

# a certificate under the issuing CA's key that the store never saw: the
# responders know nothing of it (openssl signs it, with the CA's key)
cat > "$T/ext.cnf" <<'EOF'
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:outside.example.gov.cn
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
genkey ec-p256 "$d/outside.key"
mkcsr ec-p256 "$d/outside.key" "$d/outside.csr" "/C=CN/O=City of Example/CN=outside.example.gov.cn"
openssl x509 -req -in "$d/outside.csr" -CA "$d/issuing.pem" -CAkey "$KEYS/issuing.key" -passin file:"$T/pass" \
	-set_serial 0x5eed0001 -days 30 -extfile "$T/ext.cnf" -extensions leaf -out "$d/outside.pem" 2>/dev/null
expect "openssl verifies the chain of outside.pem" openssl verify -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" "$d/outside.pem"

# ---- our responder, signed by the CA ------------------------------------------
start_responder $PASS || { not_ok "responder starts"; finish; exit 1; }
ossl_says "good.pem (ours)" good "$d/good.pem" "$URL"
vok "ours: good.pem is OK" --ocsp "$URL" "$d/good.pem"
grep -qF "(revocation unknown for 1 certificate)" "$T/out" &&
	ok "... the intermediate, with no CRL and no responder given, is counted unknown" ||
	{ not_ok "... unknown count"; show 3 "$T/out"; }
ossl_says "revoked.pem (ours)" revoked "$d/revoked.pem" "$URL"
vbad "ours: revoked.pem is revoked, with its reason" revocation "revoked \(keyCompromise\) at $(date -u +%Y)" \
	--ocsp "$URL" "$d/revoked.pem"
ossl_says "outside.pem (ours)" unknown "$d/outside.pem" "$URL"
vbad "ours: outside.pem is unknown" ocsp-unknown "does not know the certificate" --ocsp "$URL" "$d/outside.pem"
vok "ours: the nonce is echoed (--ocsp-nonce require)" --ocsp "$URL" --ocsp-nonce require "$d/good.pem"
vok "ours: no nonce sent (--ocsp-nonce none)" --ocsp "$URL" --ocsp-nonce none "$d/good.pem"
rc=0
ct "${V[@]}" --ocsp "$URL" --json "$d/revoked.pem" > "$T/json" 2>"$T/err" || rc=$?
[ "$rc" -eq 7 ] && [ "$(jq -r '[.valid, .rule, .source, .depth] | join(" ")' "$T/json")" = "false revocation RFC 6960 §2.2 0" ] &&
	ok "--json: the rule, its source and the depth" || { not_ok "--json (exit $rc)"; show 3 "$T/json" "$T/err"; }

# freshness at the time of the check (--at): the nextUpdate that openssl reads
openssl ocsp -url "$URL" -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem" > "$T/ocsp.out" 2>&1
nu=$(sed -n 's/^[[:space:]]*Next Update: //p' "$T/ocsp.out")
nut=$(date -u -d "$nu" +%s) || nut=0
[ "$nut" -gt "$now" ] && ok "openssl reads nextUpdate $nu" || not_ok "no nextUpdate read: '$nu'"
vok "ours: current a minute before nextUpdate" --ocsp "$URL" --at "@$((nut - 60))" "$d/good.pem"
# (a response signed later has a later nextUpdate: by seconds, not a day)
vbad "ours: stale a day past nextUpdate" ocsp-freshness "stale: its nextUpdate .* has passed" \
	--ocsp "$URL" --at "@$((nut + 86400))" "$d/good.pem"
vok "ours: 301 s past it, within the leeway (--ocsp-leeway 600)" --ocsp "$URL" --ocsp-leeway 600 \
	--at "@$((nut + 301))" "$d/good.pem"

# an error status (RFC 6960 §2.3): a responder for the root only
stop_responder || true      # its exit status is ocsp_basic's concern
start_responder $PASS --ca root || { not_ok "root-only responder starts"; finish; exit 1; }
vbad "ours, root only: unauthorized is an ocsp-error" ocsp-error "answered unauthorized" --ocsp "$URL" "$d/good.pem"
vok "... waived with --ocsp-soft-fail" --ocsp "$URL" --ocsp-soft-fail "$d/good.pem"
grep -qF "waived: ocsp-error (RFC 6960 §2.3)" "$T/out" && ok "... and the verdict says so" ||
	{ not_ok "... the waiver is not said"; show 3 "$T/out"; }
stop_responder || true      # its exit status is ocsp_basic's concern

# a delegated responder certificate of the issuing CA (RFC 6960 §4.2.2.2)
genkey ec-p256 "$T/signer.plain"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/signer.plain" -out "$d/signer.key" -passout file:"$T/pass"
mkcsr ec-p256 "$T/signer.plain" "$T/signer.csr" "/C=CN/O=City of Example/CN=OCSP Responder"
ct issue --ca issuing --profile ocsp-signer --csr "$T/signer.csr" --out "$d/signer.pem" $PASS >/dev/null 2>&1
start_responder $PASS --ca issuing --signer-cert "$d/signer.pem" --signer-key "$d/signer.key" ||
	{ not_ok "delegated responder starts"; finish; exit 1; }
ossl_says "delegated: revoked.pem" revoked "$d/revoked.pem" "$URL"
vok "ours, delegated: good.pem is OK" --ocsp "$URL" "$d/good.pem"
vbad "ours, delegated: revoked.pem is revoked" revocation "keyCompromise" --ocsp "$URL" "$d/revoked.pem"
ct crl --ca root --out "$T/root0.crl" $PASS >/dev/null
vok "... with id-pkix-ocsp-nocheck the delegate needs no CRL, even with --revocation require" \
	--revocation require --ocsp "$URL" --crl "$T/root0.crl" "$d/good.pem"

# a delegate WITHOUT id-pkix-ocsp-nocheck: its own revocation is checked
# against its CA's CRL (RFC 6960 §4.2.2.2.1)
stop_responder || true      # as above
printf '[profile.ocsp-checked]\ninherit = ocsp-signer\nocsp_nocheck = no\n' > "$T/dlg.cnf"
genkey ec-p256 "$T/signer2.plain"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/signer2.plain" -out "$d/signer2.key" -passout file:"$T/pass"
mkcsr ec-p256 "$T/signer2.plain" "$T/signer2.csr" "/C=CN/O=City of Example/CN=OCSP Responder 2"
ct --config "$T/dlg.cnf" issue --ca issuing --profile ocsp-checked --csr "$T/signer2.csr" --out "$d/signer2.pem" $PASS >/dev/null 2>&1
openssl x509 -in "$d/signer2.pem" -noout -text > "$T/signer2.txt"
grep -q "OCSP Signing" "$T/signer2.txt" && ! grep -q "OCSP No Check" "$T/signer2.txt" &&
	ok "a delegate with OCSPSigning and without ocsp-nocheck (openssl x509)" || { not_ok "delegate 2's extensions"; show 40 "$T/signer2.txt"; }
start_responder $PASS --ca issuing --signer-cert "$d/signer2.pem" --signer-key "$d/signer2.key" ||
	{ not_ok "delegated responder 2 starts"; finish; exit 1; }
ossl_says "delegate 2: good.pem" good "$d/good.pem" "$URL"
ct crl --ca issuing --out "$T/iss1.crl" $PASS >/dev/null
vok "delegate 2, its CA's CRL does not list it: OK" --ocsp "$URL" --crl "$T/root0.crl" --crl "$T/iss1.crl" "$d/good.pem"
vok "delegate 2, no CRL at all (--revocation prefer): OK" --ocsp "$URL" "$d/good.pem"
grep -q "revocation unknown" "$T/out" && ok "... saying that a revocation is unknown" || { not_ok "... no unknown said"; show 3 "$T/out"; }
vbad "delegate 2 with --revocation require and no CRL of its CA: refused" ocsp-signer "no CRL of its CA covers it" \
	--revocation require --ocsp "$URL" --crl "$T/root0.crl" "$d/good.pem"
ct revoke --ca issuing --serial "$(serial_of "$d/signer2.pem")" --reason keyCompromise >/dev/null
ct crl --ca issuing --out "$T/iss2.crl" $PASS >/dev/null
vbad "delegate 2 revoked, and its CA's CRL says so: its answers are refused" ocsp-signer "CRL lists as revoked" \
	--ocsp "$URL" --crl "$T/root0.crl" --crl "$T/iss2.crl" "$d/good.pem"
ossl_says "delegate 2 revoked: openssl ocsp (which does not check it) still says good.pem" good "$d/good.pem" "$URL"
stop_responder || true      # as above
start_responder $PASS --ca issuing --signer-cert "$d/signer.pem" --signer-key "$d/signer.key" ||
	{ not_ok "delegated responder starts again"; finish; exit 1; }

# ---- openssl ocsp -port: an independent responder ---------------------------
# its index (openssl ca's format): good valid, revoked revoked, outside absent
exp=$(date -u -d "+300 days" +%y%m%d%H%M%SZ)
{
	printf 'V\t%s\t\t%s\tunknown\t/CN=good\n' "$exp" "$(serial_of "$d/good.pem")"
	printf 'R\t%s\t%s,keyCompromise\t%s\tunknown\t/CN=revoked\n' "$exp" "$(date -u +%y%m%d%H%M%SZ)" \
		"$(serial_of "$d/revoked.pem")"
} > "$T/index.txt"
echo 'unique_subject = no' > "$T/index.txt.attr"
# a certificate of the issuing CA without id-kp-OCSPSigning (good.pem's),
# and a responder with the EKU that another CA (itself) issued
openssl req -x509 -new -key "$T/signer.plain" -subj "/C=CN/O=City of Example/CN=Rogue Responder" -days 30 \
	-addext "extendedKeyUsage=OCSPSigning" -out "$d/rogue.pem"
# ossl_responder NAME ARGS...: openssl ocsp -port on a free port; URL_NAME
ossl_responder() {
	local name=$1 port; shift
	port=$(free_port)
	openssl ocsp -index "$T/index.txt" -port "$port" -CA "$d/issuing.pem" "$@" \
		>"$T/ossl_$name.out" 2>&1 &
	PIDS+=($!)
	printf -v "URL_$name" 'http://127.0.0.1:%s' "$port"
}
ossl_responder ca -rsigner "$d/issuing.pem" -rkey "$KEYS/issuing.key" -passin file:"$T/pass" -ndays 1
ossl_responder deleg -rsigner "$d/signer.pem" -rkey "$T/signer.plain" -ndays 1
ossl_responder nonext -rsigner "$d/issuing.pem" -rkey "$KEYS/issuing.key" -passin file:"$T/pass"
ossl_responder noeku -rsigner "$d/good.pem" -rkey "$d/good.key" -ndays 1
ossl_responder rogue -rsigner "$d/rogue.pem" -rkey "$T/signer.plain" -ndays 1
for n in ca deleg nonext noeku rogue; do
	u="URL_$n"
	wait_answer "${!u}" && ok "openssl ocsp -port ($n) answers" ||
		{ not_ok "openssl ocsp -port ($n) answers"; show 5 "$T/ossl_$n.out"; }
done

ossl_says "openssl responder: good.pem" good "$d/good.pem" "$URL_ca"
vok "openssl responder: good.pem is OK" --ocsp "$URL_ca" "$d/good.pem"
ossl_says "openssl responder: revoked.pem" revoked "$d/revoked.pem" "$URL_ca"
vbad "openssl responder: revoked.pem is revoked" revocation "revoked \(keyCompromise\)" --ocsp "$URL_ca" "$d/revoked.pem"
ossl_says "openssl responder: outside.pem" unknown "$d/outside.pem" "$URL_ca"
vbad "openssl responder: outside.pem is unknown" ocsp-unknown "does not know" --ocsp "$URL_ca" "$d/outside.pem"
vbad "openssl responder: stale two days on (-ndays 1)" ocsp-freshness "nextUpdate .* has passed" \
	--ocsp "$URL_ca" --at "@$((now + 2 * 86400))" "$d/good.pem"
ossl_says "openssl responder, delegated: good.pem" good "$d/good.pem" "$URL_deleg"
vok "openssl responder, delegated: good.pem is OK" --ocsp "$URL_deleg" "$d/good.pem"
vok "openssl responder, no nextUpdate: OK now" --ocsp "$URL_nonext" "$d/good.pem"
vbad "... stale an hour later (max age 300 s)" ocsp-freshness "no nextUpdate and thisUpdate .* more than 300 s old" \
	--ocsp "$URL_nonext" --at "@$((now + 3600))" "$d/good.pem"
vok "... current an hour later with --ocsp-max-age 7200" --ocsp "$URL_nonext" --ocsp-max-age 7200 \
	--at "@$((now + 3600))" "$d/good.pem"
ossl_says "signed by a certificate without id-kp-OCSPSigning" "" "$d/good.pem" "$URL_noeku"
vbad "signed by a certificate without id-kp-OCSPSigning: refused" ocsp-signer "lacks extendedKeyUsage id-kp-OCSPSigning" \
	--ocsp "$URL_noeku" "$d/good.pem"
ossl_says "signed by a responder of another CA" "" "$d/good.pem" "$URL_rogue"
vbad "signed by a responder of another CA: refused" ocsp-signer "the certificate's issuer did not issue" \
	--ocsp "$URL_rogue" "$d/good.pem"
vbad "... even with --ocsp-soft-fail" ocsp-signer "did not issue" --ocsp "$URL_rogue" --ocsp-soft-fail "$d/good.pem"

# ---- replayed answers -----------------------------------------------------------
openssl ocsp -url "$URL_ca" -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem" \
	-respout "$T/nonce.der" >/dev/null 2>&1
openssl ocsp -url "$URL_ca" -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem" -no_nonce \
	-respout "$T/nononce.der" >/dev/null 2>&1
printf 'not an OCSP response' > "$T/junk.der"
cp "$T/nonce.der" "$T/replay.der"
python3 "$top_srcdir/tests/integration/ocsp_replay.py" "$T/replay.port" "$T/replay.der" &
PIDS+=($!)
for i in $(seq 100); do [ -s "$T/replay.port" ] && break; sleep 0.1; done
RURL="http://127.0.0.1:$(cat "$T/replay.port")"
openssl ocsp -url "$RURL" -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/chain.pem" > "$T/ocsp.out" 2>&1 || true   # it fails: what it says is checked
grep -qi "nonce verify error" "$T/ocsp.out" && ok "openssl ocsp: a replayed answer fails its nonce check" ||
	{ not_ok "openssl ocsp on the replay"; show 5 "$T/ocsp.out"; }
vbad "a replayed answer with another nonce: refused" ocsp-nonce "another nonce" --ocsp "$RURL" "$d/good.pem"
vbad "... even with --ocsp-soft-fail" ocsp-nonce "another nonce" --ocsp "$RURL" --ocsp-soft-fail "$d/good.pem"
cp "$T/nononce.der" "$T/replay.der"
vok "a nonce-less answer (pre-signed, RFC 5019) is taken by default" --ocsp "$RURL" "$d/good.pem"
vbad "... not with --ocsp-nonce require" ocsp-nonce "does not echo" --ocsp "$RURL" --ocsp-nonce require "$d/good.pem"
openssl ocsp -url "$RURL" -issuer "$d/issuing.pem" -cert "$d/revoked.pem" -CAfile "$d/chain.pem" -no_nonce \
	> "$T/ocsp.out" 2>&1 || true   # it fails: what it says is checked
grep -q "revoked.pem: ERROR: No Status found" "$T/ocsp.out" && ok "openssl ocsp: good.pem's answer says nothing of revoked.pem" ||
	{ not_ok "openssl ocsp on another certificate's answer"; show 5 "$T/ocsp.out"; }
vbad "good.pem's answer for revoked.pem: refused (CertID)" ocsp-certid "not about this certificate" \
	--ocsp "$RURL" "$d/revoked.pem"
cp "$T/junk.der" "$T/replay.der"
vbad "an answer that is no OCSP response: unreachable" ocsp-unreachable "missing asn1 encoding|sent no OCSP response" --ocsp "$RURL" "$d/good.pem"

# ---- a responder that is down ---------------------------------------------------
DOWN="http://127.0.0.1:$(free_port)"
vbad "responder down: ocsp-unreachable, not valid" ocsp-unreachable "no OCSP answer from $DOWN" \
	--ocsp "$DOWN" --ocsp-timeout 3 "$d/good.pem"
vok "responder down, --ocsp-soft-fail: OK" --ocsp "$DOWN" --ocsp-timeout 3 --ocsp-soft-fail "$d/good.pem"
grep -qF "(revocation unknown for 2 certificates) (waived: ocsp-unreachable" "$T/out" &&
	ok "... saying the check was waived and the status unknown" || { not_ok "... the waiver"; show 3 "$T/out"; }
rc=0
ct "${V[@]}" --ocsp "$DOWN" --ocsp-timeout 3 --ocsp-soft-fail --json "$d/good.pem" > "$T/json" 2>"$T/err" || rc=$?
[ "$rc" -eq 0 ] && [ "$(jq -r '[.valid, .revocation_unknown, .waived.rule] | join(" ")' "$T/json")" = "true 2 ocsp-unreachable" ] &&
	ok "--json: valid, with the waived check" || { not_ok "--json soft-fail (exit $rc)"; show 3 "$T/json" "$T/err"; }

# ---- the AIA of a certificate issued under base_url -------------------------------
# base_url's OCSP URL is BASE/ocsp: the responder answers there ([ocsp] path)
stop_responder || true      # its exit status is ocsp_basic's concern
printf '[ocsp]\npath = /ocsp\nrefresh_seconds = 1\n' > "$T/govpki.cnf"
start_responder --config "$T/govpki.cnf" $PASS || { not_ok "responder starts again"; finish; exit 1; }
printf '[ca.issuing]\nbase_url = %s\n' "$URL" >> "$T/govpki.cnf"
genkey ec-p256 "$d/aia.key"
mkcsr ec-p256 "$d/aia.key" "$d/aia.csr" "/C=CN/O=City of Example/CN=aia.example.gov.cn" "DNS:aia.example.gov.cn"
ct --config "$T/govpki.cnf" issue --ca issuing --profile tls-server --csr "$d/aia.csr" --out "$d/aia.pem" $PASS >/dev/null 2>&1
aia=$(openssl x509 -in "$d/aia.pem" -noout -ext authorityInfoAccess | sed -n 's/^ *OCSP - URI://p')
[ "$aia" = "$URL/ocsp" ] && ok "the certificate names the responder: $aia" || not_ok "OCSP AIA '$aia'"
ossl_says "aia.pem at its AIA URL" good "$d/aia.pem" "$aia"
vok "--ocsp aia: OK" --ocsp aia "$d/aia.pem"
vbad "--ocsp aia, --revocation require: the intermediate has neither CRL nor responder" revocation \
	"no CRL covers it and it names no OCSP responder; depth 1" --ocsp aia --revocation require "$d/aia.pem"
ct crl --ca root --out "$T/root.crl" $PASS >/dev/null
vok "... OK with the root's CRL for it" --ocsp aia --crl "$T/root.crl" "$d/aia.pem"
vbad "--ocsp aia on a certificate without AIA, --revocation require" revocation "names no OCSP responder; depth 0" \
	--ocsp aia --crl "$T/root.crl" "$d/good.pem"
ct revoke --ca issuing --serial "$(serial_of "$d/aia.pem")" --reason superseded >/dev/null
# the responder sees it within refresh_seconds: polled, at most 10 s
for i in $(seq 100); do
	[ "$(verified_status "$d/aia.pem" "$d/issuing.pem" -url "$aia" -CAfile "$d/chain.pem")" = revoked ] && break
	sleep 0.1
done
ossl_says "aia.pem revoked" revoked "$d/aia.pem" "$aia"
vbad "--ocsp aia: revoked" revocation "revoked \(superseded\)" --ocsp aia --crl "$T/root.crl" "$d/aia.pem"

# ---- bad options -------------------------------------------------------------------
expect_fail "--ocsp ftp://...: refused" 4 "neither \"aia\" nor an http:// URL" ct "${V[@]}" --ocsp ftp://x/ "$d/good.pem"
expect_fail "--ocsp with --revocation none: refused" 4 "not with revocation none" \
	ct "${V[@]}" --ocsp aia --revocation none "$d/good.pem"
expect_fail "--ocsp-nonce maybe: a usage error" 2 "send, require or none" \
	ct "${V[@]}" --ocsp aia --ocsp-nonce maybe "$d/good.pem"
finish
