#!/bin/bash
# seal_status: the seal status service (tsa-server --home answers GET
# /seal-status/ID from the seal register, JSON) asked with curl, and
# seal-tool verify --status asking it: a good seal passes, a revoked one
# fails its seal-status step though its signatures hold, unknown ids are
# 404, malformed ones 400; a seal that differs from the registered one fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

mkimages "$T"
printf 'document\n' > "$T/doc.txt"
ta="$T/tsa"; mkdir -p "$ta"
mkca ec-p256 "$ta" tsaroot
GOVPKI_HOME="$ta/home" mkcert ec-p256 "$ta" tsaroot tsa-signer "$ta/tsa" "Time-Stamp Authority"
d="$T/sm2"
seal_world sm2 "$d"
HOME_DIR=$GOVPKI_HOME
MK="--maker-cert $d/maker.pem --maker-key $d/maker.key $PASS --holder $d/holder.pem --image $T/seal.png --image-type PNG --width 40 --height 40"
SIGN="--cert $d/holder.pem --key $d/holder.key $PASS --doc $T/doc.txt"
expect "a registered seal GOOD" st make $MK --id GOOD --name "示例市人民政府" --out "$d/good.seal"
expect "a registered seal 'DEPT/7 A' (a slash and a space in its id)" st make $MK --id "DEPT/7 A" --name dept --out "$d/dept.seal"
expect "a seal NOREG, not registered" st make $MK --no-register --id NOREG --name noreg --out "$d/noreg.seal"
expect "another seal under the id 'DEPT/7 A', not registered" st make $MK --no-register --id "DEPT/7 A" --name forged --out "$d/forged.seal"
expect "sign with GOOD" st sign --seal "$d/good.seal" $SIGN --out "$d/good.sig"
expect "sign with NOREG (--no-register)" st sign --no-register --seal "$d/noreg.seal" $SIGN --out "$d/noreg.sig"
expect "sign with the forged seal (--no-register)" st sign --no-register --seal "$d/forged.seal" $SIGN --out "$d/forged.sig"

start_tsa "$ta/tsa.pem" "$ta/tsa.key" --home "$HOME_DIR" && ok "tsa-server --home listens" ||
	{ not_ok "tsa-server --home starts"; finish; exit 1; }
BASE="http://127.0.0.1:$(cat "$T/tsa.port")/seal-status"
# the verifier has no home: the service is all it asks
unset GOVPKI_HOME

# get NAME PATH [CURL-ARGS]: curl's status code and content type in $T/code, the body in $T/body
get() {
	local what=$1 path=$2; shift 2
	if curl -s -o "$T/body" -w '%{http_code} %{content_type}' "$@" "$BASE$path" > "$T/code"; then ok "$what: curl"; else
		not_ok "$what: curl (exit $?)"; fi
}
# js NAME EXPR: the Python expression EXPR holds for j, the JSON body
js() {
	if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/body" "$2"; then
		ok "$1"; else not_ok "$1"; show 3 "$T/body"; fi
}
code_is() { if [ "$(cat "$T/code")" = "$2" ]; then ok "$1"; else not_ok "$1 (got '$(cat "$T/code")', want '$2')"; fi; }

good_sha=$(openssl dgst -sha256 -r "$d/good.seal" | cut -d' ' -f1)
get "GET GOOD" /GOOD
code_is "GOOD: 200 application/json" "200 application/json"
js "GOOD: valid, its id, name and the sha256 of its file (openssl dgst)" \
	'j["id"] == "GOOD" and j["status"] == "valid" and j["sha256"] == "'"$good_sha"'" and j["name"] == "示例市人民政府" and "revoked_at" not in j'
get "GET DEPT%2F7%20A" /DEPT%2F7%20A
code_is "'DEPT/7 A' percent-encoded: 200" "200 application/json"
js "'DEPT/7 A': valid, its id decoded" 'j["id"] == "DEPT/7 A" and j["status"] == "valid"'
get "HEAD GOOD" /GOOD -I
code_is "HEAD GOOD: 200" "200 application/json"
get "GET NOPE" /NOPE
code_is "an unknown id: 404" "404 application/json"
js "an unknown id: status unknown" 'j["id"] == "NOPE" and j["status"] == "unknown"'
long=$(printf 'A%.0s' $(seq 129))
for bad in "/" "/$long" "/A%01B" "/%E5%8D%B0" "/A%7FB"; do
	get "GET ${bad:0:12}" "$bad"
	code_is "malformed id ${bad:0:12}: 400" "400 application/json"
	js "malformed id ${bad:0:12}: a JSON error" '"printable ASCII" in j["error"]'
done
ok128=$(printf 'A%.0s' $(seq 128))
get "GET a 128-character id" "/$ok128"
code_is "a 128-character id: well-formed, unknown: 404" "404 application/json"
curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST --data x "$BASE/GOOD" > "$T/code"
code_is "POST /seal-status/GOOD: 405" "405"
grep -qi '^Allow: GET, HEAD' "$T/headers" && ok "... Allow: GET, HEAD" || not_ok "... Allow: GET, HEAD"
expect "the TSA still answers beside it" st sign --no-register --seal "$d/good.seal" $SIGN --tsa "$TSA_URL" --out "$d/ts.sig"

V="--trust $d/root.pem --doc $T/doc.txt --status $BASE"
expect "verify --status: GOOD's signature" st verify $V "$d/good.sig"
grep -q "^seal-status *pass *seal GOOD is good in the seal status service" "$T/stdout" &&
	ok "... seal-status pass, from the service" || { not_ok "... seal-status pass, from the service"; show 20 "$T/stdout"; }
expect "verify --status: the seal GOOD alone" st verify --trust "$d/root.pem" --status "$BASE/" "$d/good.seal"
expect "verify --status: 'DEPT/7 A' alone (its id percent-encoded)" st verify --trust "$d/root.pem" --status "$BASE" "$d/dept.seal"
expect_fail "verify --status: a seal the service does not know" 7 "seal-status: seal NOREG is unknown to the seal status service" \
	st verify $V "$d/noreg.sig"
expect_fail "verify --status: another seal under a known id" 7 "seal-status: seal DEPT/7 A differs from the seal the status service" \
	st verify $V "$d/forged.sig"
GOVPKI_HTTP_TIMEOUT=1 expect_fail "verify --status: no service there" 7 "seal-status: the seal status service cannot tell: .*did not answer" \
	st verify --trust "$d/root.pem" --doc "$T/doc.txt" --status "http://127.0.0.1:$(free_port)/seal-status" "$d/good.sig"
expect_fail "verify --status https://: refused" 2 "--status: an http:// URL" st verify $V --status https://x.example/s "$d/good.sig"

# revoked in the register: the service says so at once, and verify refuses
expect "ca-tool seal revoke GOOD" ct --home "$HOME_DIR" seal revoke --id GOOD --reason "key lost"
get "GET GOOD after the revocation" /GOOD
code_is "revoked GOOD: 200" "200 application/json"
js "revoked GOOD: revoked, its time and reason" \
	'j["status"] == "revoked" and j["reason"] == "key lost" and len(j["revoked_at"]) == 20 and j["revoked_at"].endswith("Z") and j["sha256"] == "'"$good_sha"'"'
expect_fail "verify --status: GOOD's signature, now revoked" 7 "seal-status: seal GOOD was revoked at .* \(key lost\)" \
	st verify $V "$d/good.sig"
grep -q "^signature *pass" "$T/stdout" && grep -q "^seal-signature *pass" "$T/stdout" &&
	ok "... though the signatures hold" || { not_ok "... though the signatures hold"; show 20 "$T/stdout"; }
expect_fail "verify --status: the seal GOOD alone, revoked" 7 "seal-status: seal GOOD was revoked at .* \(key lost\)" \
	st verify --trust "$d/root.pem" --status "$BASE" "$d/good.seal"
expect "verify --status: 'DEPT/7 A' still good" st verify --trust "$d/root.pem" --status "$BASE" "$d/dept.seal"
stop_tsa && ok "tsa-server: SIGTERM, exit 0" || not_ok "tsa-server: SIGTERM, exit status"

# without --home: no seal status service
start_tsa "$ta/tsa.pem" "$ta/tsa.key" && ok "tsa-server without --home listens" ||
	{ not_ok "tsa-server without --home starts"; finish; exit 1; }
BASE="http://127.0.0.1:$(cat "$T/tsa.port")/seal-status"
get "GET GOOD, no register" /GOOD
code_is "no register: 404" "404 application/json"
js "no register: says so" '"no seal register" in j["error"]'
stop_tsa && ok "tsa-server: SIGTERM, exit 0 (2)" || not_ok "tsa-server: SIGTERM, exit status (2)"
rc=0
"$TSA_SERVER" --cert "$ta/tsa.pem" --key "$ta/tsa.key" --pass-file "$T/pass" --listen 127.0.0.1:0 \
	--home "$T/no-such-home" > "$T/stdout" 2> "$T/stderr" || rc=$?
[ "$rc" -eq 1 ] && grep -q "^tsa-server: cannot open the govpki home" "$T/stderr" &&
	ok "tsa-server --home of no home: exit 1, says why" || { not_ok "tsa-server --home of no home (exit $rc)"; show 3 "$T/stderr"; }
finish
