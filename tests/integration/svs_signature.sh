#!/bin/bash
# tests/integration/svs_signature.sh: POST /api/v1/verify/signature against
# the command-line verdicts on the same inputs: raw signatures made by
# openssl (RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519, SM2 with the default and
# another ID) over data and over a hash, judged as `openssl dgst|pkeyutl
# -verify` judges them; CAdES signatures of seal-tool cades-sign (detached)
# and of openssl cms -sign -cades -nodetach (attached) as seal-tool cades-verify and
# openssl cms -verify judge them; GB/T 38540 seal signatures and seals with
# the same steps and verdict as `seal-tool --json verify`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"
. "$(dirname "$0")/svs_lib.sh"

mkimages "$T"
head -c 5000 /dev/urandom > "$T/data.bin"
printf 'other data' > "$T/other.bin"
b64() { base64 -w0 "$1"; }
TYPES="rsa2048 ec-p256 ed25519 sm2"
trust=
for type in $TYPES; do
	seal_world "$type" "$T/$type" "$type"
	openssl pkey -in "$T/$type/holder.plain" -pubout -out "$T/$type/holder.pub"
	trust+=" $T/$type/root.pem"
done
svs_tls
cat > "$T/svs.cnf" <<CNF
[svs]
tls_cert = $T/tls.pem
tls_key = $T/tls.key
tls_key_pass_file = $T/pass

[svs.app.docs]
token_sha256 = $(token docs)
scopes = verify
trust = $trust
CNF
start_svs "$T/svs.cnf" || { not_ok "svs-server starts"; finish; }
ok "svs-server starts"

# sig_req OUT FORMAT SIG [JQ-ARGS...]: a verify/signature body
sig_req() {
	local out=$1 fmt=$2 sig=$3; shift 3
	jq -n --arg f "$fmt" --arg s "$(b64 "$sig")" '{format: $f, signature: $s}' > "$out.base"
	if [ $# -gt 0 ]; then jq "$@" "$out.base" > "$out"; else cp "$out.base" "$out"; fi
}
# service BODY: the service's verdict (true/false) on stdout; anything but 200 is "HTTP N"
service() {
	local code
	code=$(post /api/v1/verify/signature docs "$1")
	[ "$code" = 200 ] && jq -r .valid "$T/resp" || echo "HTTP $code"
}
# same WHAT BODY CMD...: the service's verdict is the command's (exit 0: true)
same() {
	local what=$1 body=$2 want=true got; shift 2
	"$@" >"$T/cmd.out" 2>&1 || want=false
	got=$(service "$body")
	if [ "$got" = "$want" ]; then ok "$what: $got, as $1 says"; else
		not_ok "$what: the service says $got, $1 says $want"; show 5 "$T/resp" "$T/cmd.out"; fi
}

# ---- raw signatures ------------------------------------------------------------
for type in $TYPES; do
	d=$T/$type k=$d/holder.plain pub=$d/holder.pub
	case $type in
	rsa2048 | ec-p256)
		openssl dgst -sha256 -sign "$k" -out "$d/raw.sig" "$T/data.bin"
		vcmd() { openssl dgst -sha256 -verify "$pub" -signature "$d/raw.sig" "$1"; } ;;
	ed25519)
		openssl pkeyutl -sign -rawin -inkey "$k" -in "$T/data.bin" -out "$d/raw.sig"
		vcmd() { openssl pkeyutl -verify -rawin -pubin -inkey "$pub" -in "$1" -sigfile "$d/raw.sig"; } ;;
	sm2)
		openssl pkeyutl -sign -rawin -digest sm3 -inkey "$k" -in "$T/data.bin" -pkeyopt "distid:$SM2_ID" -out "$d/raw.sig"
		vcmd() { openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey "$pub" -in "$1" -sigfile "$d/raw.sig" -pkeyopt "distid:$SM2_ID"; } ;;
	esac
	for f in data other; do
		sig_req "$T/r.json" raw "$d/raw.sig" --rawfile c "$d/holder.pem" --arg d "$(b64 "$T/$f.bin")" '. + {certificate: $c, data: $d}'
		same "$type raw over $f" "$T/r.json" vcmd "$T/$f.bin"
	done
	[ "$(jq -r '.certificate.valid' "$T/resp")" = true ] && [ "$(jq -r '.signature.valid' "$T/resp")" = false ] &&
		ok "$type raw over other data: the signer's certificate valid, the signature not" ||
		{ not_ok "$type raw: certificate and signature apart"; show 3 "$T/resp"; }
done
# RSA-PSS (salt length 32), and PKCS#1 v1.5 asked of a PSS signature
d=$T/rsa2048
openssl dgst -sha256 -sign "$d/holder.plain" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -out "$d/pss.sig" "$T/data.bin"
for f in data other; do
	sig_req "$T/r.json" raw "$d/pss.sig" --rawfile c "$d/holder.pem" --arg d "$(b64 "$T/$f.bin")" '. + {certificate: $c, data: $d, algorithm: "rsa-pss"}'
	same "rsa-pss over $f" "$T/r.json" openssl dgst -sha256 -verify "$d/holder.pub" -sigopt rsa_padding_mode:pss -signature "$d/pss.sig" "$T/$f.bin"
done
sig_req "$T/r.json" raw "$d/pss.sig" --rawfile c "$d/holder.pem" --arg d "$(b64 "$T/data.bin")" '. + {certificate: $c, data: $d, algorithm: "rsa-pkcs1"}'
same "a PSS signature read as PKCS#1 v1.5" "$T/r.json" openssl dgst -sha256 -verify "$d/holder.pub" -signature "$d/pss.sig" "$T/data.bin"
# over a hash: signed by openssl pkeyutl over the SHA-256
openssl dgst -sha256 -binary "$T/data.bin" > "$T/data.sha256"
openssl dgst -sha256 -binary "$T/other.bin" > "$T/other.sha256"
for type in rsa2048 ec-p256; do
	d=$T/$type
	openssl pkeyutl -sign -inkey "$d/holder.plain" -in "$T/data.sha256" -pkeyopt digest:sha256 -out "$d/hash.sig"
	for f in data other; do
		sig_req "$T/r.json" raw "$d/hash.sig" --rawfile c "$d/holder.pem" --arg h "$(b64 "$T/$f.sha256")" '. + {certificate: $c, hash: $h}'
		same "$type raw over the hash of $f" "$T/r.json" openssl pkeyutl -verify -pubin -inkey "$d/holder.pub" -in "$T/$f.sha256" -pkeyopt digest:sha256 -sigfile "$d/hash.sig"
	done
done
# SM2 with another distinguishing ID (GM/T 0009 §8.1): only with that ID
d=$T/sm2
openssl pkeyutl -sign -rawin -digest sm3 -inkey "$d/holder.plain" -in "$T/data.bin" -pkeyopt distid:alice@example.gov.cn -out "$d/id.sig"
sig_req "$T/r.json" raw "$d/id.sig" --rawfile c "$d/holder.pem" --arg d "$(b64 "$T/data.bin")" '. + {certificate: $c, data: $d, sm2_id: "alice@example.gov.cn"}'
same "sm2 with the signer's ID" "$T/r.json" openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey "$d/holder.pub" -in "$T/data.bin" -sigfile "$d/id.sig" -pkeyopt distid:alice@example.gov.cn
sig_req "$T/r.json" raw "$d/id.sig" --rawfile c "$d/holder.pem" --arg d "$(b64 "$T/data.bin")" '. + {certificate: $c, data: $d}'
same "sm2 with the default ID instead" "$T/r.json" openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey "$d/holder.pub" -in "$T/data.bin" -sigfile "$d/id.sig" -pkeyopt "distid:$SM2_ID"
# refused: Ed25519 over a hash, an algorithm the key does not have
sig_req "$T/r.json" raw "$T/ed25519/raw.sig" --rawfile c "$T/ed25519/holder.pem" --arg h "$(b64 "$T/data.sha256")" '. + {certificate: $c, hash: $h}'
[ "$(service "$T/r.json")" = "HTTP 400" ] && problem_is 400 && ok "Ed25519 over a hash: 400" || { not_ok "Ed25519 over a hash"; show 3 "$T/resp"; }
sig_req "$T/r.json" raw "$T/ec-p256/raw.sig" --rawfile c "$T/ec-p256/holder.pem" --arg d "$(b64 "$T/data.bin")" '. + {certificate: $c, data: $d, algorithm: "rsa-pss"}'
[ "$(service "$T/r.json")" = "HTTP 400" ] && problem_is 400 && ok "rsa-pss with an EC key: 400" || { not_ok "rsa-pss with an EC key"; show 3 "$T/resp"; }

# ---- CMS / CAdES -----------------------------------------------------------------
for type in $TYPES; do
	d=$T/$type
	export GOVPKI_HOME="$d/home"
	st cades-sign --cert "$d/holder.pem" --key "$d/holder.key" $PASS --out "$d/s.p7s" "$T/data.bin" >/dev/null
	for f in data other; do
		sig_req "$T/c.json" cms "$d/s.p7s" --arg d "$(b64 "$T/$f.bin")" '. + {data: $d}'
		same "$type CAdES detached over $f" "$T/c.json" st cades-verify --trust "$d/root.pem" --data "$T/$f.bin" "$d/s.p7s"
	done
done
for type in rsa2048 ec-p256; do
	d=$T/$type
	openssl cms -sign -cades -nodetach -binary -signer "$d/holder.pem" -inkey "$d/holder.plain" -in "$T/data.bin" -outform DER -out "$d/att.p7s"
	sig_req "$T/c.json" cms "$d/att.p7s"
	same "$type CAdES attached (openssl cms -sign -cades -nodetach)" "$T/c.json" openssl cms -verify -binary -inform DER -in "$d/att.p7s" -CAfile "$d/root.pem" -purpose any -out /dev/null
	[ "$(jq -r .attached "$T/resp")" = true ] && ok "$type CMS attached: the content taken from the signature" || not_ok "$type CMS attached"
done
sig_req "$T/c.json" cms "$T/rsa2048/s.p7s"
[ "$(service "$T/c.json")" = "HTTP 400" ] && problem_is 400 && ok "a detached signature without data: 400" || { not_ok "a detached signature without data"; show 3 "$T/resp"; }

# ---- seal signatures -------------------------------------------------------------
for type in $TYPES; do
	d=$T/$type
	export GOVPKI_HOME="$d/home"
	st make --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" $PASS --id "SEAL-$type" --name "Seal $type" \
		--type official --holder "$d/holder.pem" --image "$T/seal.png" --image-type PNG --width 40 --height 40 \
		--days 30 --out "$d/s.seal" >/dev/null
	st sign --seal "$d/s.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS --doc "$T/data.bin" --out "$d/doc.sig" >/dev/null
	for f in data other; do
		sig_req "$T/s.json" seal "$d/doc.sig" --arg d "$(b64 "$T/$f.bin")" '. + {data: $d}'
		rc=0
		st --json verify --no-register --trust "$d/root.pem" --doc "$T/$f.bin" "$d/doc.sig" > "$T/st.json" 2>/dev/null || rc=$?
		got=$(service "$T/s.json")
		if [ "$got" = "$(jq -r .valid "$T/st.json")" ] && [ "$rc" -eq "$([ "$got" = true ] && echo 0 || echo 7)" ] &&
			[ "$(jq -c '[.steps[] | [.step, .result, .detail]]' "$T/resp")" = "$(jq -c '[.steps[] | [.step, .result, .detail]]' "$T/st.json")" ]; then
			ok "$type seal signature over $f: $got, every step as seal-tool verify gives it"
		else
			not_ok "$type seal signature over $f: the service says $got, seal-tool $(jq -r .valid "$T/st.json")"
			show 5 "$T/resp" "$T/st.json"
		fi
	done
	# a seal alone is checked now: the same time given to both, so that
	# their details (which name it) are the same
	at=$(( $(date +%s) + 60 ))
	sig_req "$T/s.json" seal "$d/s.seal" --argjson t "$at" '. + {time: $t}'
	st --json verify --no-register --trust "$d/root.pem" --at "@$at" "$d/s.seal" > "$T/st.json" 2>/dev/null
	[ "$(service "$T/s.json")" = true ] && [ "$(jq -r .object "$T/resp")" = seal ] &&
		[ "$(jq -c '.steps' "$T/resp")" = "$(jq -c '.steps' "$T/st.json")" ] &&
		ok "$type seal alone: valid, the steps of seal-tool verify" || { not_ok "$type seal alone"; show 5 "$T/resp" "$T/st.json"; }
done
printf 'not a seal' > "$T/junk.bin"
sig_req "$T/s.json" seal "$T/junk.bin"
[ "$(service "$T/s.json")" = "HTTP 400" ] && problem_is 400 && ok "not a seal: 400" || { not_ok "not a seal"; show 3 "$T/resp"; }
stop_svs && ok "svs-server stops with exit 0" || not_ok "svs-server stops with exit 0"
finish
