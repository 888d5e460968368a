#!/bin/bash
# seal_tsa: the RFC 3161 time-stamp authority (tsa-server) checked with
# `openssl ts` and curl; time-stamped seal signatures (SM2 and P-256 signers)
# and CAdES-B-T signatures, their tokens verified by `openssl ts -verify`;
# a broken time-stamp fails with its own reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"

CHECK="python3 $top_srcdir/tests/integration/seal_asn1_check.py"
mkimages "$T"
head -c 200000 /dev/urandom > "$T/doc.bin"

# the TSA under its own P-256 root (OpenSSL's TS verifies no SM2 chains)
ta="$T/tsa"; mkdir -p "$ta"
GOVPKI_HOME="$ta/home" mkca ec-p256 "$ta" tsaroot
GOVPKI_HOME="$ta/home" mkcert ec-p256 "$ta" tsaroot tsa-signer "$ta/tsa" "Time-Stamp Authority"
GOVPKI_HOME="$ta/home" mkcert ec-p256 "$ta" tsaroot person "$ta/notsa" "not-a-tsa"
openssl x509 -in "$ta/tsa.pem" -noout -text > "$ta/tsa.txt" && grep -A1 "Extended Key Usage: critical" "$ta/tsa.txt" > "$ta/eku" &&
	grep -q "Time Stamping" "$ta/eku" &&
	ok "tsa-signer certificate: critical timeStamping EKU" || not_ok "tsa-signer certificate: critical timeStamping EKU"

expect_fail "tsa-server refuses a certificate without timeStamping" 1 "timeStamping" \
	"$TSA_SERVER" --cert "$ta/notsa.pem" --key "$ta/notsa.key" --pass-file "$T/pass" --listen 127.0.0.1:0
expect_fail "tsa-server: bad --listen" 2 "cannot listen" "$TSA_SERVER" --cert "$ta/tsa.pem" --key "$ta/tsa.key" --listen nowhere
start_tsa "$ta/tsa.pem" "$ta/tsa.key" && ok "tsa-server listens on an ephemeral port" || { not_ok "tsa-server starts"; finish; exit 1; }

# openssl ts as the client
expect "openssl ts -query" openssl ts -query -data "$T/doc.bin" -sha256 -cert -out "$T/q.tsq"
expect "curl POSTs the query" curl -sf -H "Content-Type: application/timestamp-query" --data-binary "@$T/q.tsq" -o "$T/r.tsr" -D "$T/h.txt" "$TSA_URL"
grep -qi "content-type: application/timestamp-reply" "$T/h.txt" && ok "reply content type" || not_ok "reply content type"
expect "openssl ts -reply -text" openssl ts -reply -in "$T/r.tsr" -text
grep -q "Status: Granted" "$T/stdout" && grep -Eq "Policy OID: (1.2.3.4.1|tsa_policy1)" "$T/stdout" && grep -q "TSA: DirName:.*Time-Stamp Authority" "$T/stdout" && grep -q "Accuracy: 0x01 seconds" "$T/stdout" &&
	ok "granted, policy, accuracy" || not_ok "granted, policy, accuracy"
expect "openssl ts -verify (query)" openssl ts -verify -in "$T/r.tsr" -queryfile "$T/q.tsq" -CAfile "$ta/tsaroot.pem"
expect "openssl ts -verify (data)" openssl ts -verify -in "$T/r.tsr" -data "$T/doc.bin" -CAfile "$ta/tsaroot.pem"
s1=$(openssl ts -reply -in "$T/r.tsr" -text | grep "Serial number")
curl -sf -H "Content-Type: application/timestamp-query" --data-binary "@$T/q.tsq" -o "$T/r2.tsr" "$TSA_URL"
s2=$(openssl ts -reply -in "$T/r2.tsr" -text | grep "Serial number")
[ "$s1" != "$s2" ] && [ ${#s1} -gt 30 ] && [ ${#s2} -gt 30 ] && ok "serial numbers are random and differ" || not_ok "serial numbers differ ($s1 / $s2)"
openssl ts -query -data "$T/doc.bin" -sm3 -cert -out "$T/q3.tsq"
curl -sf -H "Content-Type: application/timestamp-query" --data-binary "@$T/q3.tsq" -o "$T/r3.tsr" "$TSA_URL"
expect "an SM3 imprint is accepted" openssl ts -verify -in "$T/r3.tsr" -queryfile "$T/q3.tsq" -CAfile "$ta/tsaroot.pem"
# bad requests
code=$(curl -s -o /dev/null -w '%{http_code}' "$TSA_URL")
[ "$code" = 405 ] && ok "GET: 405" || not_ok "GET: 405 ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: text/plain" --data-binary "@$T/q.tsq" "$TSA_URL")
[ "$code" = 415 ] && ok "wrong content type: 415" || not_ok "wrong content type: 415 ($code)"
head -c 100000 /dev/zero > "$T/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: application/timestamp-query" --data-binary "@$T/big" "$TSA_URL")
[ "$code" = 413 ] && ok "oversized: 413" || not_ok "oversized: 413 ($code)"
n=$(wc -c < "$T/q.tsq")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: application/timestamp-query" \
	-H "Content-Length: $n" -H "Content-Length: $((n - 1))" --data-binary "@$T/q.tsq" "$TSA_URL")
[ "$code" = 400 ] && ok "two different Content-Length headers: 400" || not_ok "two different Content-Length headers: 400 ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host:' -H "Content-Type: application/timestamp-query" \
	--data-binary "@$T/q.tsq" "$TSA_URL")
[ "$code" = 400 ] && ok "HTTP/1.1 without Host: 400" || not_ok "HTTP/1.1 without Host: 400 ($code)"
printf 'garbage' > "$T/g.tsq"
curl -sf -H "Content-Type: application/timestamp-query" --data-binary "@$T/g.tsq" -o "$T/g.tsr" "$TSA_URL"
openssl ts -reply -in "$T/g.tsr" -text > "$T/g.txt" 2>&1; grep -q "Status: Rejected" "$T/g.txt" && ok "garbage request: a rejection response" || not_ok "garbage request: rejection"
kill -0 "$TSA_PID" && ok "the server survived the bad requests" || not_ok "the server survived"

# idle connections (issue 21.2): 2,000 silent ones from 127.0.0.1 take at
# most the default 64 of the server's connections, and a client on
# 127.0.0.2 is answered meanwhile (a long idle timeout, so that only the
# per-client limit can free the server)
. "$(dirname "$0")/conn_lib.sh"
stop_tsa && ok "tsa-server: SIGTERM, exit 0" || not_ok "tsa-server: SIGTERM, exit status"
start_tsa "$ta/tsa.pem" "$ta/tsa.key" --timeout 300 && ok "tsa-server --timeout 300 starts" ||
	{ not_ok "tsa-server --timeout 300 starts"; finish; exit 1; }
hold_one_client "$(cat "$T/tsa.port")" 64
# stamped_from ADDR: a query POSTed from ADDR, its reply verified by openssl ts
stamped_from() {
	curl -sf --max-time 30 --interface "$1" -H "Content-Type: application/timestamp-query" \
		--data-binary "@$T/q.tsq" -o "$T/r4.tsr" "$TSA_URL" &&
	openssl ts -verify -in "$T/r4.tsr" -queryfile "$T/q.tsq" -CAfile "$ta/tsaroot.pem"
}
expect "idle connections: 127.0.0.2 answered meanwhile" stamped_from 127.0.0.2
hold_stop
expect_fail "tsa-server: --max-connections 5 is refused" 2 "max-connections" \
	"$TSA_SERVER" --cert "$ta/tsa.pem" --key "$ta/tsa.key" --max-connections 5

# jtime WHAT FILE TIME SOURCE PROVEN: verify --json's output says the checks
# were made at TIME (or at the JSON's own field of that name) from SOURCE,
# with time_proven PROVEN (true or false)
jtime() {
	if python3 -c 'import json,sys
j = json.load(open(sys.argv[1])); want = j.get(sys.argv[2], sys.argv[2])
sys.exit(0 if j["checked_at"] == want and j["time_source"] == sys.argv[3] and j["time_proven"] == (sys.argv[4] == "true") else 1)' "$2" "$3" "$4" "$5"
	then ok "$1"; else not_ok "$1"; show 12 "$2"; fi
}
now=$(date -u +%s)

for type in sm2 ec-p256; do
	d="$T/$type"
	seal_world "$type" "$d" "$type"
	st make --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" $PASS --id "TS-$type" --name "time-stamped" \
		--holder "$d/holder.pem" --image "$T/seal.png" --image-type PNG --width 40 --height 40 --out "$d/s.seal" 2>/dev/null
	expect "$type: sign with a time-stamp" st sign --seal "$d/s.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
		--doc "$T/doc.bin" --tsa "$TSA_URL" --out "$d/ts.sig"
	expect "$type: pyasn1 finds the time-stamp" $CHECK sig "$d/ts.sig" "$d" ts=1 seal="$d/s.seal"
	expect "$type: openssl ts -verify: the token covers the signature value" openssl ts -verify -in "$d/ts.der" -token_in -data "$d/sig.sigval" -CAfile "$ta/tsaroot.pem"
	expect "$type: verify" st --json verify --trust "$d/root.pem" --tsa-trust "$ta/tsaroot.pem" --doc "$T/doc.bin" "$d/ts.sig"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); s={x["step"]:x["result"] for x in j["steps"]}; sys.exit(0 if j["valid"] and s["time-stamp"]=="pass" and "timestamp_time" in j else 1)' "$T/stdout" &&
		ok "$type: time-stamp step passes, its time reported" || not_ok "$type: time-stamp step passes"
	# the time of the checks is proven only by the time-stamp (issue 11.6):
	# its time as openssl reads it from the token, a given --at asserted
	tst=$(openssl ts -reply -in "$d/ts.der" -token_in -text | sed -n 's/^Time stamp: //p')
	tst_iso=$(date -u -d "$tst" +%Y-%m-%dT%H:%M:%SZ)
	jtime "$type: time-stamped: checked at the token's time ($tst_iso), proven" "$T/stdout" "$tst_iso" time-stamp true
	expect "$type: verify --at the token's time" st --json verify --trust "$d/root.pem" --tsa-trust "$ta/tsaroot.pem" \
		--at "$tst_iso" "$d/ts.sig"
	jtime "$type: ... proven all the same" "$T/stdout" "$tst_iso" time-stamp true
	expect "$type: verify --at another time" st --json verify --trust "$d/root.pem" --tsa-trust "$ta/tsaroot.pem" \
		--at "@$((now + 3600))" "$d/ts.sig"
	jtime "$type: ... asserted, not proven" "$T/stdout" "$(date -u -d "@$((now + 3600))" +%Y-%m-%dT%H:%M:%SZ)" asserted false
	expect "$type: sign without a time-stamp" st sign --seal "$d/s.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
		--doc "$T/doc.bin" --out "$d/plain.sig"
	expect "$type: verify it" st --json verify --trust "$d/root.pem" "$d/plain.sig"
	jtime "$type: ... checked at timeInfo, the signer's claim" "$T/stdout" signing_time signer false
	signed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signing_time"])' "$T/stdout")
	signed_at=$(date -u -d "$signed" +%s)
	expect "$type: verify it --at" st verify --trust "$d/root.pem" --at "@$signed_at" "$d/plain.sig"
	grep -q "^checked at: .*$(date -u -d "@$signed_at" +%Y-%m-%dT%H:%M:%SZ) (given with --at: asserted, not proven" "$T/stdout" &&
		ok "$type: ... the text says the time is asserted" || { not_ok "$type: ... the text says the time is asserted"; show 20 "$T/stdout"; }
	expect "$type: verify the seal alone --at" st --json verify --trust "$d/root.pem" --at "@$signed_at" "$d/s.seal"
	jtime "$type: ... a seal alone: asserted too" "$T/stdout" "$(date -u -d "@$signed_at" +%Y-%m-%dT%H:%M:%SZ)" asserted false
	# a revoked seal: the time-stamped signature was provably made before
	# the revocation; the other one is refused however early --at says
	# the revocation comes after both signing times, to the second: wait (at
	# most 30 s) for the clock to pass them
	for _ in $(seq 300); do [ "$(date -u +%s)" -gt "$signed_at" ] && [ "$(date -u +%s)" -gt "$(date -u -d "$tst" +%s)" ] && break; sleep 0.1; done
	expect "$type: revoke the seal" ct seal revoke --id "TS-$type" --reason "seal stolen"
	expect "$type: the time-stamped signature still verifies" st verify --trust "$d/root.pem" --tsa-trust "$ta/tsaroot.pem" "$d/ts.sig"
	grep -q "^seal-status *pass *seal TS-$type was revoked at .*, after the signing time the time-stamp proves" "$T/stdout" &&
		ok "$type: ... revoked after the proven time" || { not_ok "$type: ... revoked after the proven time"; show 20 "$T/stdout"; }
	expect_fail "$type: without a time-stamp, --at before the revocation is not enough" 7 \
		"seal-status: seal TS-$type was revoked at .*only a time-stamp proves" \
		st verify --trust "$d/root.pem" --at "@$signed_at" "$d/plain.sig"
	# --json keeps its JSON when verification fails, and for a usage error
	expect_fail "$type: ... --json: exit 7" 7 "" st --json verify --trust "$d/root.pem" --at "@$signed_at" "$d/plain.sig"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["valid"] is False and "error" not in j and j["time_source"]=="asserted" and j["time_proven"] is False and j["reason"].startswith("seal-status:") else 1)' "$T/stdout" &&
		ok "$type: ... the result as JSON, time asserted" || { not_ok "$type: ... the result as JSON, time asserted"; show 30 "$T/stdout"; }
	expect_fail "$type: --json --at 31 April: a JSON error" 2 "" st --json verify --trust "$d/root.pem" --at 2026-04-31 "$d/plain.sig"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["error"]["exit"]==2 and "2026-04-31" in j["error"]["message"] else 1)' "$T/stdout" &&
		ok "$type: ... names the time" || { not_ok "$type: ... names the time"; show 10 "$T/stdout"; }
	expect_fail "$type: time-stamp from an untrusted TSA" 7 "time-stamp: " st verify --trust "$d/root.pem" "$d/ts.sig"
	# a broken time-stamp: one byte of the token's signature (the file's end)
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-8]^=1; open(sys.argv[2],"wb").write(b)' "$d/ts.sig" "$d/bad.sig"
	expect_fail "$type: broken time-stamp" 7 "time-stamp: " st verify --trust "$d/root.pem" --tsa-trust "$ta/tsaroot.pem" "$d/bad.sig"
	grep -q "^signature *pass" "$T/stdout" && grep -q "^time-stamp *fail" "$T/stdout" && ok "$type: ... only the time-stamp fails" || not_ok "$type: ... only the time-stamp fails"
	# CAdES-B-T
	expect "$type: cades-sign --tsa (B-T)" st cades-sign --cert "$d/holder.pem" --key "$d/holder.key" $PASS --tsa "$TSA_URL" --out "$d/bt.p7s" "$T/doc.bin"
	expect "$type: cades-verify B-T" st cades-verify --trust "$d/root.pem" --tsa-trust "$ta/tsaroot.pem" --data "$T/doc.bin" "$d/bt.p7s"
	grep -q "^time-stamp *pass" "$T/stdout" && ok "$type: signature time-stamp passes" || not_ok "$type: signature time-stamp passes"
	if [ $type = ec-p256 ]; then
		expect "ec-p256: openssl cms -verify accepts B-T" openssl cms -verify -binary -inform DER -in "$d/bt.p7s" -content "$T/doc.bin" -CAfile "$d/root.pem" -purpose any -out /dev/null
		openssl cms -cmsout -print -inform DER -in "$d/bt.p7s" > "$d/bt.txt" && grep -q "id-smime-aa-timeStampToken" "$d/bt.txt" && ok "ec-p256: openssl sees the signature-time-stamp attribute" || not_ok "openssl sees the time-stamp attribute"
	fi
done
stop_tsa && ok "tsa-server --timeout 300: SIGTERM, exit 0" || not_ok "tsa-server --timeout 300: SIGTERM, exit status"
GOVPKI_HTTP_TIMEOUT=1 expect_fail "sign with an unreachable TSA: error, nothing written" 1 "time-stamp: .*did not answer" st sign --no-register --seal "$T/ec-p256/s.seal" \
	--cert "$T/ec-p256/holder.pem" --key "$T/ec-p256/holder.key" $PASS --doc "$T/doc.bin" --tsa "$TSA_URL" --out "$T/never.sig"
[ ! -e "$T/never.sig" ] && ok "nothing written" || not_ok "nothing written"
finish
