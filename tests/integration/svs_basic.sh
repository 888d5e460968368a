#!/bin/bash
# tests/integration/svs_basic.sh: svs-server over HTTPS with curl: POST
# /api/v1/verify/certificate of a good, a revoked and a foreign certificate
# (verdicts compared with openssl verify on the same inputs), the chain and
# revocation in the answer, and the errors as problem+json: 401 without or
# with a wrong token, 403 for a token without the verify scope, 400, 413, 415.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svs_lib.sh"

svs_pki
svs_tls
P=$T/pki
cat "$P/issuing.pem" > "$P/untrusted.pem"
cat > "$T/svs.cnf" <<CNF
[svs]
tls_cert = $T/tls.pem
tls_key = $T/tls.key
tls_key_pass_file = $T/pass
max_body = 65536

[svs.app.portal]
token_sha256 = $(token portal)
scopes = verify
trust = $P/root.pem
untrusted = $P/untrusted.pem
crls = $P/issuing.crl $P/root.crl
revocation = require

[svs.app.lax]
token_sha256 = $(token lax)
scopes = verify
trust = $P/root.pem
revocation = none

[svs.app.signonly]
token_sha256 = $(token signonly)
scopes = sign:none
trust = $P/root.pem
CNF
start_svs "$T/svs.cnf" || { not_ok "svs-server starts"; finish; }
ok "svs-server starts (HTTPS)"

# /healthz, over TLS that curl checks against the server's certificate
b=$(curl -sS --cacert "$T/tls.pem" "$URL/healthz") && [ "$(jq -r .status <<<"$b")" = ok ] &&
	ok "GET /healthz over HTTPS" || not_ok "GET /healthz over HTTPS: $b"
# plain HTTP on the same port is no answer
if curl -s -o /dev/null "http://127.0.0.1:$(cat "$T/svs.port")/healthz"; then
	not_ok "plain HTTP is refused"; else ok "plain HTTP is refused"; fi

# a good certificate: valid, as openssl verify says with the same CRLs
openssl crl -inform DER -in "$P/issuing.crl" -out "$T/issuing.crl.pem"
openssl crl -inform DER -in "$P/root.crl" -out "$T/root.crl.pem"
cat "$T/issuing.crl.pem" "$T/root.crl.pem" > "$T/crls.pem"
ossl() { openssl verify -crl_check_all -CRLfile "$T/crls.pem" -CAfile "$P/root.pem" -untrusted "$P/issuing.pem" "$1" >/dev/null 2>&1 && echo true || echo false; }
cert_req "$T/good.json" "$P/good.pem"
code=$(post /api/v1/verify/certificate portal "$T/good.json")
if [ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = "$(ossl "$P/good.pem")" ] &&
	[ "$(jq -r .valid "$T/resp")" = true ]; then ok "good.pem: valid, as openssl verify says"
else not_ok "good.pem: valid (HTTP $code)"; show 5 "$T/resp"; fi
[ "$(jq -r .chain_length "$T/resp")" = 3 ] && [ "$(jq -r '.chain | length' "$T/resp")" = 3 ] &&
	[ "$(jq -r '.chain[2].subject' "$T/resp")" = "$(jq -r '.chain[1].issuer' "$T/resp")" ] &&
	[ "$(jq -r '.chain[0].sha256' "$T/resp")" = "$(openssl x509 -in "$P/good.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)" ] &&
	ok "the chain built: leaf, issuing CA, root (with the leaf's SHA-256)" || { not_ok "the chain built"; show 5 "$T/resp"; }
[ "$(jq -r .revocation.status "$T/resp")" = good ] && [ "$(jq -r '.revocation.crls | length' "$T/resp")" = 2 ] &&
	ok "revocation: good, from the 2 CRLs configured" || { not_ok "revocation: good"; show 5 "$T/resp"; }
[ "$(jq -r '[.checks[] | select(.result != "pass")] | length' "$T/resp")" = 0 ] &&
	[ "$(jq -r '[.checks[] | select(.rule == "signature" and .source != null)] | length' "$T/resp")" = 1 ] &&
	ok "every check passed, each with its rule and source" || { not_ok "checks of a valid certificate"; show 5 "$T/resp"; }

# the same as DER (application/pkix-cert) and base64 in JSON
openssl x509 -in "$P/good.pem" -outform DER -out "$T/good.der"
code=$(post /api/v1/verify/certificate portal "$T/good.der" application/pkix-cert)
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = true ] && ok "a DER body (application/pkix-cert): valid" ||
	{ not_ok "a DER body (HTTP $code)"; show 5 "$T/resp"; }
jq -n --arg c "$(base64 -w 76 "$T/good.der")" '{certificate: $c}' > "$T/b64.json"
code=$(post /api/v1/verify/certificate portal "$T/b64.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = true ] && ok "base64 DER in JSON: valid" ||
	{ not_ok "base64 DER in JSON (HTTP $code)"; show 5 "$T/resp"; }

# the revoked one: invalid, rule revocation, as openssl says
cert_req "$T/revoked.json" "$P/revoked.pem"
code=$(post /api/v1/verify/certificate portal "$T/revoked.json")
if [ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = "$(ossl "$P/revoked.pem")" ] &&
	[ "$(jq -r .valid "$T/resp")" = false ] && [ "$(jq -r .revocation.status "$T/resp")" = revoked ] &&
	[ "$(jq -r '.checks[0].rule + " " + .checks[0].result' "$T/resp")" = "revocation fail" ] &&
	[ -n "$(jq -r '.checks[0].reason // empty' "$T/resp")" ]; then
	ok "revoked.pem: invalid (revocation, with its reason), as openssl verify says"
else not_ok "revoked.pem: invalid (HTTP $code)"; show 5 "$T/resp"; fi

# an application that requires revocation is not relaxed by its request
cert_req "$T/relax.json" "$P/revoked.pem" '. + {revocation: "none"}'
code=$(post /api/v1/verify/certificate portal "$T/relax.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = false ] && [ "$(jq -r .revocation.status "$T/resp")" = revoked ] &&
	ok "revocation none asked of an application that requires it: still revoked" ||
	{ not_ok "revocation none asked of a requiring application (HTTP $code)"; show 5 "$T/resp"; }
# with revocation none (application lax), the chain given in the request
cert_req "$T/lax.json" "$P/revoked.pem" '. + {chain: [$c2]}' --rawfile c2 "$P/issuing.pem"
code=$(post /api/v1/verify/certificate lax "$T/lax.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = true ] && [ "$(jq -r .revocation.status "$T/resp")" = not-checked ] &&
	ok "an application without revocation: valid, revocation not-checked, chain from the request" ||
	{ not_ok "an application without revocation (HTTP $code)"; show 5 "$T/resp"; }

# purpose and name: a TLS server certificate for its name, not another
cert_req "$T/name.json" "$P/good.pem" '. + {purpose: "tls-server", name: "good.example.gov.cn"}'
code=$(post /api/v1/verify/certificate portal "$T/name.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = true ] && ok "purpose tls-server and its name: valid" ||
	{ not_ok "purpose and name (HTTP $code)"; show 5 "$T/resp"; }
cert_req "$T/name.json" "$P/good.pem" '. + {purpose: "tls-server", name: "other.example.gov.cn"}'
code=$(post /api/v1/verify/certificate portal "$T/name.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = false ] && [ "$(jq -r '.checks[0].rule' "$T/resp")" = name ] &&
	ok "another name: invalid (rule name)" || { not_ok "another name (HTTP $code)"; show 5 "$T/resp"; }
cert_req "$T/name.json" "$P/good.pem" '. + {purpose: "email"}'
code=$(post /api/v1/verify/certificate portal "$T/name.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = false ] && [ "$(jq -r '.checks[0].rule' "$T/resp")" = purpose ] &&
	ok "purpose email: invalid (rule purpose)" || { not_ok "purpose email (HTTP $code)"; show 5 "$T/resp"; }
# time: after the certificate's end, expired (an application without
# revocation: the CRLs would have expired first)
cert_req "$T/time.json" "$P/good.pem" '. + {time: "2099-01-01T00:00:00Z", chain: [$c2]}' --rawfile c2 "$P/issuing.pem"
code=$(post /api/v1/verify/certificate lax "$T/time.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = false ] && [ "$(jq -r '.checks[0].rule' "$T/resp")" = validity ] &&
	ok "time 2099: invalid (rule validity)" || { not_ok "time 2099 (HTTP $code)"; show 5 "$T/resp"; }

# a certificate of another hierarchy: no path to the application's anchor
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=stranger \
	-keyout "$T/stranger.key" -out "$T/stranger.pem" 2>/dev/null
cert_req "$T/stranger.json" "$T/stranger.pem"
code=$(post /api/v1/verify/certificate portal "$T/stranger.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = false ] && [ "$(jq -r '.checks[0].rule' "$T/resp")" = path ] &&
	[ "$(ossl "$T/stranger.pem")" = false ] &&
	ok "a foreign certificate: invalid (rule path), as openssl verify says" || { not_ok "a foreign certificate (HTTP $code)"; show 5 "$T/resp"; }

# authorisation: no token, a wrong one: 401 with WWW-Authenticate; a token
# without the verify scope: 403
code=$(post /api/v1/verify/certificate - "$T/good.json")
[ "$code" = 401 ] && problem_is 401 && grep -qi '^www-authenticate: Bearer' "$T/resp.h" &&
	ok "no token: 401 problem+json, WWW-Authenticate: Bearer" || { not_ok "no token (HTTP $code)"; show 5 "$T/resp"; }
echo wrong-token > "$T/wrong.token"
code=$(post /api/v1/verify/certificate wrong "$T/good.json")
[ "$code" = 401 ] && problem_is 401 && ok "a wrong token: 401" || { not_ok "a wrong token (HTTP $code)"; show 5 "$T/resp"; }
code=$(post /api/v1/verify/certificate signonly "$T/good.json")
[ "$code" = 403 ] && problem_is 403 && ok "a token without the verify scope: 403" || { not_ok "no verify scope (HTTP $code)"; show 5 "$T/resp"; }

# bad requests: 400, 413, 415, 404, 405, each problem+json
printf '{"certificate": "not a certificate"}' > "$T/bad.json"
code=$(post /api/v1/verify/certificate portal "$T/bad.json")
[ "$code" = 400 ] && problem_is 400 && [ "$(jq -r .type "$T/resp")" = urn:govpki:svs:bad-certificate ] &&
	ok "not a certificate: 400 bad-certificate" || { not_ok "not a certificate (HTTP $code)"; show 5 "$T/resp"; }
printf '{"certificate": ' > "$T/trunc.json"
code=$(post /api/v1/verify/certificate portal "$T/trunc.json")
[ "$code" = 400 ] && problem_is 400 && ok "truncated JSON: 400" || { not_ok "truncated JSON (HTTP $code)"; show 5 "$T/resp"; }
cert_req "$T/unknown.json" "$P/good.pem" '. + {colour: "blue"}'
code=$(post /api/v1/verify/certificate portal "$T/unknown.json")
[ "$code" = 400 ] && problem_is 400 && ok "an unknown member: 400" || { not_ok "an unknown member (HTTP $code)"; show 5 "$T/resp"; }
code=$(post /api/v1/verify/certificate portal "$T/good.json" text/plain)
[ "$code" = 415 ] && problem_is 415 && ok "text/plain: 415" || { not_ok "text/plain (HTTP $code)"; show 5 "$T/resp"; }
head -c 70000 /dev/zero | tr '\0' ' ' > "$T/big.json"
code=$(post /api/v1/verify/certificate portal "$T/big.json")
[ "$code" = 413 ] && problem_is 413 && ok "a body over max_body: 413" || { not_ok "a body over max_body (HTTP $code)"; show 5 "$T/resp"; }
code=$(curl -sS --cacert "$T/tls.pem" -o "$T/resp" -D "$T/resp.h" -w '%{http_code}' "$URL/api/v1/verify/certificate")
[ "$code" = 405 ] && problem_is 405 && ok "GET: 405" || { not_ok "GET (HTTP $code)"; show 5 "$T/resp"; }
code=$(post /api/v1/verify/nothing portal "$T/good.json")
[ "$code" = 404 ] && problem_is 404 && ok "an unknown route: 404" || { not_ok "an unknown route (HTTP $code)"; show 5 "$T/resp"; }

# docs/examples/svs_verify.py: Python's standard library only
PYEX="$top_srcdir/docs/examples/svs_verify.py"
out=$(python3 "$PYEX" "$URL" "$T/tls.pem" "$T/portal.token" "$P/good.pem") &&
	[ "${out%%;*}" = valid ] && ok "the Python example: good.pem valid ($out)" || not_ok "the Python example on good.pem: $out"
rc=0; out=$(python3 "$PYEX" "$URL" "$T/tls.pem" "$T/portal.token" "$P/revoked.pem") || rc=$?
[ "$rc" = 1 ] && [[ $out == "invalid: revocation "* ]] && ok "the Python example: revoked.pem invalid (revocation)" ||
	not_ok "the Python example on revoked.pem (exit $rc): $out"
rc=0; out=$(python3 "$PYEX" "$URL" "$T/tls.pem" "$T/wrong.token" "$P/good.pem") || rc=$?
[ "$rc" = 2 ] && [[ $out == "error 401: "* ]] && ok "the Python example: a wrong token, the 401 problem read" ||
	not_ok "the Python example with a wrong token (exit $rc): $out"

# still answering, and stops cleanly
code=$(post /api/v1/verify/certificate portal "$T/good.json")
[ "$code" = 200 ] && ok "still answering after the bad requests" || not_ok "still answering (HTTP $code)"
stop_svs && ok "svs-server stops on SIGTERM with exit 0" || not_ok "svs-server stops on SIGTERM with exit 0"

# configuration errors name the file and line
sed 's/^scopes = verify$/scopes = admin/' "$T/svs.cnf" > "$T/bad.cnf"
expect_fail "a bad scope: refused, naming the file and line" 1 "bad.cnf:[0-9]+: \[svs.app.[a-z]+\] scopes: a scope is verify or sign:KEY" \
	"$SVS" --config "$T/bad.cnf" --listen 127.0.0.1:0
finish
