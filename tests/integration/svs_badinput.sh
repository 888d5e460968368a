#!/bin/bash
# tests/integration/svs_badinput.sh: svs-server under bad input: garbage,
# a huge and a deeply nested body, 100 MB announced but not sent (refused
# before the body: the client sends only the headers), a chunked body past
# max_body, 1000 certificates in one chain, junk in every field of a
# signature request: each gets its status as problem+json, and the service
# keeps answering (its process alive, /healthz and a valid verification).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svs_lib.sh"

svs_pki
svs_tls
P=$T/pki
cat > "$T/svs.cnf" <<CNF
[svs]
tls_cert = $T/tls.pem
tls_key = $T/tls.key
tls_key_pass_file = $T/pass
max_body = 2097152

[svs.app.portal]
token_sha256 = $(token portal)
scopes = verify
trust = $P/root.pem
untrusted = $P/issuing.pem
revocation = none
CNF
start_svs "$T/svs.cnf" || { not_ok "svs-server starts"; finish; }
cert_req "$T/good.json" "$P/good.pem"
# alive WHAT: the process runs, /healthz answers and a good certificate verifies
alive() {
	local code
	code=$(post /api/v1/verify/certificate portal "$T/good.json")
	if kill -0 "$SPID" 2>/dev/null && [ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = true ] &&
		curl -sf --cacert "$T/tls.pem" -o /dev/null "$URL/healthz"; then ok "still answering after $1"
	else not_ok "still answering after $1 (HTTP $code)"; fi
}
# bad WHAT STATUS SLUG BODY [TYPE] [PATH]: that status as problem+json of type urn:govpki:svs:SLUG
bad() {
	local what=$1 want=$2 slug=$3 body=$4 type=${5:-application/json} path=${6:-/api/v1/verify/certificate} code
	code=$(post "$path" portal "$body" "$type")
	if [ "$code" = "$want" ] && problem_is "$want" && [ "$(jq -r .type "$T/resp")" = "urn:govpki:svs:$slug" ]; then
		ok "$what: $want $slug"
	else not_ok "$what: HTTP $code, want $want $slug"; show 3 "$T/resp"; fi
}

# random bytes without '[' and '{': random data nests as deep as its
# brackets say (too-deep, also a 400), and this case is about malformed JSON
head -c 4096 /dev/urandom | tr -d '[{' > "$T/garbage"
bad "random bytes as JSON" 400 bad-json "$T/garbage"
bad "random bytes as DER" 400 bad-certificate "$T/garbage" application/pkix-cert
bad "random bytes as PEM" 400 bad-certificate "$T/garbage" application/x-pem-file
bad "random bytes to verify/signature" 400 bad-json "$T/garbage" application/json /api/v1/verify/signature
printf '\xff\xfe{"certificate": "\xc3\x28"}' > "$T/badutf8"
bad "invalid UTF-8" 400 bad-json "$T/badutf8"
printf '{"certificate": "a\\u0000b"}' > "$T/nul"
bad "a NUL in a string" 400 bad-json "$T/nul"
printf '[]' > "$T/array"
bad "an array, not an object" 400 bad-request "$T/array"
printf '{"certificate": 42}' > "$T/num"
bad "a number for the certificate" 400 bad-request "$T/num"
head -c 3000000 /dev/zero | tr '\0' ' ' > "$T/huge"
bad "3 MB (over max_body)" 413 too-large "$T/huge"
python3 -c 'import sys; n=100000; sys.stdout.write("[" * n + "]" * n)' > "$T/deep"
bad "100000 nested arrays" 400 too-deep "$T/deep"
python3 -c 'import sys; sys.stdout.write("{\"certificate\": " + "{\"a\":" * 9 + "1" + "}" * 9 + "}")' > "$T/deep9"
bad "9 nested objects" 400 too-deep "$T/deep9"
alive "the bad bodies"

# 100 MB announced, 10 bytes sent: the answer comes at once, before any body
python3 - "$(cat "$T/svs.port")" "$T/tls.pem" "$(cat "$T/portal.token")" > "$T/announce" <<'PY'
import socket, ssl, sys
port, ca, tok = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="127.0.0.1")
s.sendall(("POST /api/v1/verify/certificate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"certif" % tok).encode())
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n")[0].decode())
PY
[ "$(cat "$T/announce")" = "HTTP/1.1 413 Content Too Large" ] || [ "$(cat "$T/announce")" = "HTTP/1.1 413 Payload Too Large" ] &&
	ok "100 MB announced but not sent: 413 before the body" || { not_ok "100 MB announced: '$(cat "$T/announce")'"; }
# chunked, no Content-Length: refused once past max_body
head -c 2500000 /dev/zero | tr '\0' 'a' > "$T/chunked"
code=$(curl -sS --cacert "$T/tls.pem" -o "$T/resp" -D "$T/resp.h" -w '%{http_code}' -H "Authorization: Bearer $(cat "$T/portal.token")" \
	-H "Content-Type: application/json" -H "Transfer-Encoding: chunked" --data-binary "@$T/chunked" "$URL/api/v1/verify/certificate")
[ "$code" = 413 ] && problem_is 413 && ok "a chunked body past max_body: 413" || { not_ok "a chunked body past max_body (HTTP $code)"; show 3 "$T/resp"; }
alive "100 MB announced and a long chunked body"

# 1000 certificates in a chain: refused (max_chain 100); 100 is taken
for i in $(seq 3); do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=filler $i" \
		-keyout /dev/null -out "$T/filler$i.pem" 2>/dev/null
done
python3 - "$P/good.pem" "$T" > /dev/null <<'PY'
import json, sys
good, t = sys.argv[1], sys.argv[2]
fill = [open(f"{t}/filler{i}.pem").read() for i in (1, 2, 3)]
for n in (1000, 100):
    json.dump({"certificate": open(good).read(), "chain": [fill[i % 3] for i in range(n)]},
              open(f"{t}/chain{n}.json", "w"))
PY
bad "1000 certificates in the chain" 400 too-many-items "$T/chain1000.json"
code=$(post /api/v1/verify/certificate portal "$T/chain100.json")
[ "$code" = 200 ] && [ "$(jq -r .valid "$T/resp")" = true ] && ok "100 certificates in the chain (the maximum): verified, valid" ||
	{ not_ok "100 certificates in the chain (HTTP $code)"; show 3 "$T/resp"; }

# junk in a signature request's fields
for j in '{"format":"raw"}' '{"format":"x","signature":"AA=="}' '{"format":"raw","signature":"@@"}' \
	'{"format":"raw","signature":"AAAA","data":"AA=="}' '{"format":"cms","signature":"AAAA"}' \
	'{"format":"seal","signature":"AAAA","data":"AA==","hash":"AA=="}' '{"format":"raw","signature":"AAAA","data":"AA==","certificate":"x"}'; do
	printf %s "$j" > "$T/j.json"
	code=$(post /api/v1/verify/signature portal "$T/j.json")
	[ "$code" = 400 ] && problem_is 400 && ok "verify/signature $j: 400" || { not_ok "verify/signature $j (HTTP $code)"; show 3 "$T/resp"; }
done
# many bad requests at once, from parallel clients
cpids=()
for i in $(seq 8); do
	curl -s --cacert "$T/tls.pem" -o /dev/null -H "Authorization: Bearer $(cat "$T/portal.token")" -H "Content-Type: application/json" \
		--data-binary "@$T/deep" "$URL/api/v1/verify/certificate" &
	cpids+=($!)
done
for p in "${cpids[@]}"; do wait "$p"; done
alive "the junk signature requests and 8 parallel clients"
stop_svs && ok "svs-server stops with exit 0" || not_ok "svs-server stops with exit 0"
finish
