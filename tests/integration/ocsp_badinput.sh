#!/bin/bash
# ocsp_badinput: bad requests get the right OCSP or HTTP status, nothing
# crashes, and the responder keeps serving (/healthz after each): an empty
# body, garbage, truncated DER, 10 MiB, 1,000 single requests, 129-octet
# and empty nonces, broken base64 in a GET, an unknown issuer, hash
# algorithms we do not serve, other methods, paths and content types.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

setup_pki ec-p256
d="$T/pki"

# the OCSPResponseStatus of a DER response (RFC 6960 4.2.1), as a number
# (fails when the body is not DER; openssl's words in $T/asn1.err)
ocsp_status() {
	openssl asn1parse -inform DER -in "$1" > "$T/asn1.txt" 2> "$T/asn1.err" || return 1
	awk -F: '/ENUMERATED/ && !done { print $NF + 0; done = 1 }' "$T/asn1.txt"
}
post() { curl -s -o "$T/resp.der" -w '%{http_code}' -H 'Content-Type: application/ocsp-request' --data-binary @"$1" "$URL$2"; }
# check WHAT WANT_HTTP WANT_OCSP HTTP_CODE: then the server still answers
check() {
	local what=$1 http=$2 st=$3 code=$4 got=-
	if [ "$st" != - ]; then got=$(ocsp_status "$T/resp.der") || got="(not DER)"; fi
	if [ "$code" = "$http" ] && [ "$got" = "$st" ]; then ok "$what: HTTP $code, OCSP $got"
	else not_ok "$what: HTTP $code (want $http), OCSP $got (want $st)"; fi
	healthy && kill -0 "$RPID" && ok "$what: still serving" || not_ok "$what: still serving"
}

openssl ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -reqout "$T/good.req" >/dev/null
openssl ocsp -issuer "$d/issuing.pem" $(for i in $(seq 1000); do printf -- '-serial %d ' "$i"; done) \
	-no_nonce -reqout "$T/many.req" >/dev/null
head -c 10485760 /dev/zero > "$T/10m"
head -c 300 /dev/urandom > "$T/garbage"
: > "$T/empty"
head -c $(($(wc -c < "$T/good.req") - 5)) "$T/good.req" > "$T/truncated"

# a request with a nonce of N octets, written with openssl asn1parse -genconf
openssl ocsp -reqin "$T/good.req" -req_text > "$T/req.txt"
nh=$(awk '/Issuer Name Hash/ { print $NF }' "$T/req.txt")
kh=$(awk '/Issuer Key Hash/ { print $NF }' "$T/req.txt")
sn=$(awk '/Serial Number/ { print $NF }' "$T/req.txt")
# (EXT_OID: another extension than the nonce, non-critical)
nonce_req() {
	local hex val
	hex=$(head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n')
	# extnValue holds the Nonce OCTET STRING (RFC 9654 2.1); the empty one by hand
	val="OCTWRAP,FORMAT:HEX,OCTETSTRING:$hex"
	[ "$1" -eq 0 ] && val="FORMAT:HEX,OCTETSTRING:0400"
	cat > "$T/nonce.cnf" <<CNF
asn1 = SEQUENCE:req
[req]
tbs = SEQUENCE:tbs
[tbs]
list = SEQUENCE:list
ext = EXPLICIT:2,SEQUENCE:exts
[list]
one = SEQUENCE:one
[one]
certid = SEQUENCE:certid
[certid]
alg = SEQUENCE:alg
nh = FORMAT:HEX,OCTETSTRING:$nh
kh = FORMAT:HEX,OCTETSTRING:$kh
sn = INTEGER:0x$sn
[alg]
oid = OID:sha1
null = NULL
[exts]
e = SEQUENCE:nonce
[nonce]
oid = OID:${EXT_OID:-1.3.6.1.5.5.7.48.1.2}
val = $val
CNF
	openssl asn1parse -genconf "$T/nonce.cnf" -noout -out "$2"
}
nonce_req 129 "$T/n129.req"; nonce_req 0 "$T/n0.req"; nonce_req 128 "$T/n128.req"

# the default limits first (max_request_bytes 10,000)
start_responder $PASS || { not_ok "responder starts"; finish; exit 1; }
check "a good request" 200 0 "$(post "$T/good.req" /)"
check "empty body" 200 1 "$(post "$T/empty" /)"
check "garbage" 200 1 "$(post "$T/garbage" /)"
check "truncated DER" 200 1 "$(post "$T/truncated" /)"
check "10 MiB body" 413 - "$(post "$T/10m" /)"
check "10 MiB chunked body" 413 - "$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	-H 'Content-Type: application/ocsp-request' --data-binary @"$T/10m" "$URL/")"
check "1,000 single requests ($(wc -c < "$T/many.req") bytes)" 413 - "$(post "$T/many.req" /)"
check "129-octet nonce" 200 1 "$(post "$T/n129.req" /)"
check "empty nonce" 200 1 "$(post "$T/n0.req" /)"
check "128-octet nonce" 200 0 "$(post "$T/n128.req" /)"
openssl ocsp -respin "$T/resp.der" -resp_text -noverify > "$T/resp.txt" 2>&1 && grep -q "OCSP Nonce" "$T/resp.txt" &&
	ok "128-octet nonce echoed" || not_ok "128-octet nonce echoed"
b64=$(base64 -w0 "$T/good.req")
for bad in "MFEw!!" "M" "MFEwTzBN=x" "$b64==" "%ZZ$b64"; do
	check "broken base64 GET '${bad:0:12}'" 400 - "$(curl -s -o /dev/null -w '%{http_code}' "$URL/$bad")"
done
# base64 without its '=' padding is read as padded (OpenSSL's decoder, the
# padding added first); one of these two requests' base64 ends in '='
for f in "$T/good.req" "$T/n128.req"; do
	unpadded=$(base64 -w0 "$f"); case $unpadded in *=) break ;; esac
done
case $unpadded in *=) ok "a request whose base64 is padded" ;; *) not_ok "a request whose base64 is padded" ;; esac
check "GET without the '=' padding" 200 0 "$(curl -s -o "$T/resp.der" -w '%{http_code}' "$URL/${unpadded%%=*}")"
check "GET of a request that is not DER" 200 1 "$(curl -s -o "$T/resp.der" -w '%{http_code}' "$URL/AAAA")"
long=$(head -c 15000 /dev/zero | tr '\0' 'A')
check "GET past the size limit" 414 - "$(curl -s -o /dev/null -w '%{http_code}' "$URL/$long")"
# the largest GET accepted: a request just under max_request_bytes (an
# unknown non-critical extension fills it), its base64 with every '/', '+'
# and '=' percent-escaped: the connection's memory holds the whole path
EXT_OID=1.3.6.1.4.1.99999.1 nonce_req 9800 "$T/big.req"
bigsize=$(wc -c < "$T/big.req")
bigpath=$(base64 -w0 "$T/big.req" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
check "GET of a $bigsize-byte request, ${#bigpath}-byte escaped path" 200 0 \
	"$(curl -s -o "$T/resp.der" -w '%{http_code}' "$URL/$bigpath")"
check "GET /" 400 - "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")"
# framing and request-target tricks (issue 21.6): 400, as RFC 9112 asks
n=$(wc -c < "$T/good.req")
check "two different Content-Length headers (RFC 9112 6.3)" 400 - "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/ocsp-request' -H "Content-Length: $n" -H "Content-Length: $((n - 1))" \
	--data-binary @"$T/good.req" "$URL/")"
check "the same Content-Length twice" 200 0 "$(curl -s -o "$T/resp.der" -w '%{http_code}' \
	-H 'Content-Type: application/ocsp-request' -H "Content-Length: $n" -H "Content-Length: $n" \
	--data-binary @"$T/good.req" "$URL/")"
check "HTTP/1.1 without Host (RFC 9112 3.2)" 400 - "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host:' "$URL/$b64")"
check "HTTP/1.0 without Host" 200 0 "$(curl -s -0 -o "$T/resp.der" -w '%{http_code}' -H 'Host:' "$URL/$b64")"
check "%00 after a valid request in the path" 400 - "$(curl -s -o /dev/null -w '%{http_code}' "$URL/$b64%00junk")"
check "%00 in the query" 400 - "$(curl -s -o /dev/null -w '%{http_code}' "$URL/$b64?x=%00")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/s.key" -out "$T/stranger.pem" \
	-subj "/CN=Stranger CA" -days 2 2>/dev/null
openssl ocsp -issuer "$T/stranger.pem" -serial 1 -no_nonce -reqout "$T/stranger.req" >/dev/null
check "unknown issuer" 200 6 "$(post "$T/stranger.req" /)"
for md in sha384 sha512 md5; do
	openssl ocsp -$md -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -reqout "$T/$md.req" >/dev/null
	check "CertID hashed with $md" 200 6 "$(post "$T/$md.req" /)"
done
check "PUT" 405 - "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$T/good.req" "$URL/")"
check "DELETE" 405 - "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/")"
check "POST text/plain" 415 - "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' \
	--data-binary @"$T/good.req" "$URL/")"
check "POST to another path" 404 - "$(post "$T/good.req" /other)"
stop_responder && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit status"

# a larger limit lets 1,000 single requests through to the parser, which
# allows 100 (max_singles); and requests live under a path prefix
printf '[ocsp]\nmax_request_bytes = 200000\npath = /ocsp\n' > "$T/ocsp.cnf"
start_responder $PASS --config "$T/ocsp.cnf" || not_ok "responder with a config starts"
check "1,000 single requests" 200 1 "$(post "$T/many.req" /ocsp)"
check "POST under the prefix" 200 0 "$(post "$T/good.req" /ocsp)"
check "GET under the prefix" 200 0 "$(curl -s -o "$T/resp.der" -w '%{http_code}' "$URL/ocsp/$b64")"
check "GET outside the prefix" 404 - "$(curl -s -o /dev/null -w '%{http_code}' "$URL/elsewhere/$b64")"
check "POST outside the prefix" 404 - "$(post "$T/good.req" /)"
curl -sf "$URL/metrics" > "$T/metrics" &&
	grep -q '^govpki_ocsp_requests_total{outcome="malformedRequest"} [1-9]' "$T/metrics" &&
	grep -q '^govpki_ocsp_requests_total{outcome="http_404"} [1-9]' "$T/metrics" &&
	ok "metrics count the outcomes" || not_ok "metrics count the outcomes"
stop_responder && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit status"

# a configuration with an unknown key is refused at start, naming it
printf '[ocsp]\nrefresh_secs = 1\n' > "$T/bad.cnf"
expect_fail "unknown [ocsp] key" 1 "unknown key 'refresh_secs'" \
	"$RESPONDER" --config "$T/bad.cnf" --listen 127.0.0.1:0 $PASS
finish
