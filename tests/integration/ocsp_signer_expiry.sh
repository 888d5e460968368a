#!/bin/bash
# ocsp_signer_expiry (issue 21.4): a delegated OCSP signer that expires
# while ocsp-responder runs.  nextUpdate and max-age stop at the signer's
# notAfter; once it has passed, every answer is tryLater (RFC 6960 §2.3)
# and /healthz fails, also after a SIGHUP that finds no renewal; a renewal
# for the same key written to the signer file is picked up without a
# restart.  Checked with openssl ocsp, gnutls ocsptool and curl.  The
# short-lived signer is made with `openssl ca -enddate` (ca-tool issues
# whole days); the test waits on the clock in a bounded loop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

setup_pki ec-p256
d="$T/pki"
genkey ec-p256 "$T/signer.plain"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$T/signer.plain" -out "$d/signer.key" -passout file:"$T/pass"
mkcsr ec-p256 "$T/signer.plain" "$T/signer.csr" "/C=CN/O=City of Example/CN=OCSP Responder"
expect "the renewal: ca-tool issue --profile ocsp-signer" \
	ct issue --ca issuing --profile ocsp-signer --csr "$T/signer.csr" --out "$d/renewed.pem" $PASS

# sign_until SECONDS OUT: the signer's CSR signed by the issuing CA with
# openssl ca, valid from a minute ago until SECONDS from now
mkdir -p "$T/oca"
: > "$T/oca/index.txt"
cat > "$T/oca/ca.cnf" <<EOF
[ca]
default_ca = short
[short]
database = $T/oca/index.txt
new_certs_dir = $T/oca
serial = $T/oca/serial
default_md = sha256
policy = any
x509_extensions = ext
unique_subject = no
[any]
countryName = optional
organizationName = optional
commonName = supplied
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
sign_until() {
	openssl rand -hex 16 > "$T/oca/serial"
	openssl ca -batch -notext -config "$T/oca/ca.cnf" -cert "$d/issuing.pem" \
		-keyfile "$GOVPKI_HOME/keys/issuing.key" -passin file:"$T/pass" \
		-startdate "$(date -u -d @$(($(date +%s) - 60)) +%Y%m%d%H%M%SZ)" \
		-enddate "$(date -u -d @$(($(date +%s) + $1)) +%Y%m%d%H%M%SZ)" \
		-in "$T/signer.csr" -out "$2" 2>"$T/oca/err" || { sed 's/^/#   /' "$T/oca/err"; return 1; }
}
not_after() { date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s; }
printf '[ocsp]\nrefresh_seconds = 1\nnext_update_seconds = 604800\n' > "$T/ocsp.cnf"
SIGNER="--ca issuing --signer-cert $d/signer.pem --signer-key $d/signer.key"

openssl ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -no_nonce -reqout "$T/good.req" >/dev/null
b64=$(base64 -w0 "$T/good.req" | sed 's/+/%2B/g; s,/,%2F,g; s/=/%3D/g')
# post OUT: openssl ocsp for good.pem, verifying the delegate up to the root
post() { ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/root.pem" \
	-verify_other "$d/issuing.pem" -no_nonce -resp_text > "$1" 2>&1; }
# gnutls SIGNER: ocsptool for good.pem, the response checked against SIGNER
gnutls() { ocsptool --ask="$URL/" --load-issuer "$d/issuing.pem" --load-cert "$d/good.pem" \
	--load-signer "$1" > "$T/gnutls.out" 2>&1; }

# --- a signer for an hour, nextUpdate asked for a week ---
expect "a signer valid for an hour (openssl ca -enddate)" sign_until 3600 "$d/signer.pem"
na=$(not_after "$d/signer.pem")
start_responder $PASS --config "$T/ocsp.cnf" $SIGNER || { not_ok "responder starts"; finish; exit 1; }
ok "responder starts with the hour-long signer"
before=$(date +%s)
if post "$T/o" && grep -q "good.pem: good" "$T/o" && grep -q "^Response verify OK" "$T/o"; then
	ok "openssl: good, verified up to the root"
	nu=$(date -d "$(sed -n '/^ *Next Update: /{s///p;q}' "$T/o")" +%s)
	[ "$nu" -le "$na" ] && ok "nextUpdate is not past the signer's notAfter" ||
		not_ok "nextUpdate $(date -u -d @"$nu") past the signer's notAfter $(date -u -d @"$na")"
else
	not_ok "openssl: good, verified up to the root"; show 5 "$T/o"
fi
expect "ocsptool: good, verified with the signer" gnutls "$d/signer.pem"
curl -s -D "$T/h" -o "$T/get.der" "$URL/$b64"
age=$(sed -n 's/^Cache-Control: max-age=\([0-9]*\),.*/\1/ip' "$T/h" | tr -d '\r')
[ -n "$age" ] && [ "$age" -le $((na - before)) ] && ok "GET: max-age $age does not run past the signer's notAfter" ||
	not_ok "GET: max-age '$age' runs past the signer's notAfter ($((na - before)) s left)"
stop_responder || not_ok "SIGTERM: exit status"

# --- a signer that expires while the responder runs ---
expect "a signer valid for 10 seconds" sign_until 10 "$d/signer.pem"
na=$(not_after "$d/signer.pem")
start_responder $PASS --config "$T/ocsp.cnf" $SIGNER || { not_ok "responder starts"; finish; exit 1; }
post "$T/o" && grep -q "good.pem: good" "$T/o" && ok "before its notAfter: good" ||
	{ not_ok "before its notAfter: good"; show 5 "$T/o"; }
healthy && ok "before its notAfter: /healthz ok" || not_ok "before its notAfter: /healthz ok"
curl -s -o /dev/null "$URL/$b64"    # a cached GET response, to be dropped
# wait for the clock to pass notAfter (bounded: 10 s past it at most)
for i in $(seq 200); do
	[ "$(date +%s)" -gt "$na" ] && break
	sleep 0.1
done
[ "$(date +%s)" -gt "$na" ] || { not_ok "the clock passes the signer's notAfter"; finish; exit 1; }
# after_expiry WHAT: every client is told tryLater (and exits non-zero)
after_expiry() {
	local what=$1 code rc=0
	post "$T/o" || rc=$?
	[ "$rc" -ne 0 ] && grep -q "Responder Error: trylater" "$T/o" &&
		ok "$what: openssl ocsp (POST) gets tryLater" ||
		{ not_ok "$what: openssl ocsp (POST) gets tryLater (exit $rc)"; show 5 "$T/o"; }
	code=$(curl -s -o "$T/get.der" -w '%{http_code}' "$URL/$b64")
	rc=0
	openssl ocsp -respin "$T/get.der" -resp_text > "$T/o" 2>&1 || rc=$?
	[ "$code" = 200 ] && grep -q "Responder Error: trylater" "$T/o" && ok "$what: GET (cached before) gets tryLater" ||
		{ not_ok "$what: GET gets tryLater (HTTP $code)"; show 5 "$T/o"; }
	rc=0
	gnutls "$d/signer.pem" || rc=$?
	[ "$rc" -ne 0 ] && grep -qi "trylater\|try later" "$T/gnutls.out" && ok "$what: ocsptool sees tryLater" ||
		{ not_ok "$what: ocsptool sees tryLater (exit $rc)"; show 5 "$T/gnutls.out"; }
	code=$(curl -s -o "$T/health" -w '%{http_code}' "$URL/healthz")
	[ "$code" = 503 ] && grep -q "expired at" "$T/health" && ok "$what: /healthz 503: $(cat "$T/health")" ||
		not_ok "$what: /healthz $code: $(cat "$T/health")"
}
after_expiry "expired"
# SIGHUP finds no renewal: the reload fails, still tryLater
kill -HUP "$RPID"
for i in $(seq 200); do grep -q "reload failed" "$T/responder.err" && break; sleep 0.05; done
grep -q "reload failed.*expired at" "$T/responder.err" && ok "SIGHUP without a renewal: the reload says why it fails" ||
	{ not_ok "SIGHUP without a renewal: the reload fails"; show 5 "$T/responder.err"; }
after_expiry "after SIGHUP"

# the renewal (same key, from ca-tool) written over the signer file: the
# refresher (every second, near the end) switches to it, no restart
cat "$d/renewed.pem" > "$T/new.pem" && mv "$T/new.pem" "$d/signer.pem"
for i in $(seq 100); do healthy && break; sleep 0.1; done
healthy && ok "renewal picked up: /healthz ok" || not_ok "renewal picked up: /healthz ok"
if post "$T/o" && grep -q "good.pem: good" "$T/o" && grep -q "^Response verify OK" "$T/o"; then
	ok "renewed: openssl good, verified up to the root"
	nu=$(date -d "$(sed -n '/^ *Next Update: /{s///p;q}' "$T/o")" +%s)
	[ "$nu" -gt $(($(date +%s) + 86400)) ] && ok "renewed: nextUpdate a week ahead again" ||
		not_ok "renewed: nextUpdate $(date -u -d @"$nu")"
	# -resp_text prints the certificates the response carries as PEM
	sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$T/o" > "$T/sent.pem"
	[ -s "$T/sent.pem" ] && [ "$(openssl x509 -in "$T/sent.pem" -noout -fingerprint -sha256)" = \
		"$(openssl x509 -in "$d/renewed.pem" -noout -fingerprint -sha256)" ] &&
		ok "renewed: the renewal is the certificate sent along" || not_ok "renewed: the renewal is sent along"
else
	not_ok "renewed: openssl good"; show 5 "$T/o"
fi
expect "renewed: ocsptool good, verified with the renewal" gnutls "$d/renewed.pem"
curl -s -o "$T/get.der" "$URL/$b64"
openssl ocsp -respin "$T/get.der" -issuer "$d/issuing.pem" -cert "$d/good.pem" -CAfile "$d/root.pem" \
	-verify_other "$d/issuing.pem" > "$T/o" 2>&1 && grep -q "good.pem: good" "$T/o" &&
	ok "renewed: GET good" || { not_ok "renewed: GET good"; show 5 "$T/o"; }
stop_responder && ok "SIGTERM: drained, exit 0" || not_ok "SIGTERM: exit status"
finish
