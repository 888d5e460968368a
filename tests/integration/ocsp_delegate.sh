#!/bin/bash
# ocsp_delegate (issue 20.1): keys only where needed.  `ca-tool ocsp signer
# --ca NAME` makes a key and an ocsp-signer certificate issued directly by
# the CA (id-kp-OCSPSigning, id-pkix-ocsp-nocheck: RFC 6960 §4.2.2.2,
# §4.2.2.2.1) and installs them in HOME/ocsp/; ocsp-responder started
# without any CA passphrase and without the CA key files answers with it
# (openssl ocsp -VAfile and -CAfile accept it, the ResponderID is the
# delegate's key), does not answer for the root by default, and switches
# to a renewed delegate (new key) without a restart.  Bad input writes
# nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"

setup_pki ec-p256
d="$T/pki"
printf 'delegate-passphrase\n' > "$T/dpass"
printf 'wrong-passphrase\n' > "$T/wrong"
DPASS="--signer-pass-file $T/dpass"
dcert="$GOVPKI_HOME/ocsp/issuing.crt"
dkey="$GOVPKI_HOME/ocsp/issuing.key"
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"

# ---- bad input: a clear error, a non-zero exit, nothing written -------------
store_dump > "$T/before.sql"
expect_fail "signer: an unknown CA" nz "nosuch" ct ocsp signer --ca nosuch $PASS $DPASS
expect_fail "signer: --days 0" nz "days" ct ocsp signer --ca issuing --days 0 $PASS $DPASS
expect_fail "signer: --days past the profile's 90" nz "longer than its maximum of 90" \
	ct ocsp signer --ca issuing --days 91 $PASS $DPASS
expect_fail "signer: --days not a number" nz "days" ct ocsp signer --ca issuing --days x $PASS $DPASS
expect_fail "signer: an unknown key type" nz "key-type" ct ocsp signer --ca issuing --key-type dsa $PASS $DPASS
expect_fail "signer: the CA key does not open (wrong passphrase)" nz "passphrase|decrypt|key" \
	ct ocsp signer --ca issuing --pass-file "$T/wrong" $DPASS
expect_fail "signer: no --ca" nz "needs --ca" ct ocsp signer $PASS $DPASS
store_dump > "$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" && ok "bad input: the store is unchanged" ||
	not_ok "bad input: the store changed"
[ ! -e "$GOVPKI_HOME/ocsp" ] && ok "bad input: no delegate folder or file written" ||
	not_ok "bad input: $GOVPKI_HOME/ocsp was written"

# ---- ca-tool ocsp signer ------------------------------------------------------
expect "signer: ca-tool ocsp signer --ca issuing" ct ocsp signer --ca issuing $PASS $DPASS
cp "$dcert" "$T/delegate1.pem"
if x509_text "$dcert"; then
	grep -A1 "X509v3 Extended Key Usage" "$T/x509.txt" > "$T/eku.txt"
	grep -q "OCSP Signing" "$T/eku.txt" && ok "signer: EKU id-kp-OCSPSigning (openssl x509)" ||
		not_ok "signer: no OCSPSigning EKU"
	grep -q "OCSP No Check" "$T/x509.txt" && ok "signer: id-pkix-ocsp-nocheck" ||
		not_ok "signer: no ocsp-nocheck"
else
	not_ok "signer: openssl x509 reads $dcert"; not_ok "signer: nocheck"
fi
[ "$(openssl x509 -in "$dcert" -noout -issuer -nameopt RFC2253)" = \
  "issuer=$(openssl x509 -in "$d/issuing.pem" -noout -subject -nameopt RFC2253 | cut -d= -f2-)" ] &&
	ok "signer: issued by the issuing CA (its subject)" || not_ok "signer: issuer name"
expect "signer: openssl verify: issued directly by the CA, chain to the root" \
	openssl verify -CAfile "$d/root.pem" -untrusted "$d/issuing.pem" -purpose ocsphelper "$dcert"
grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$dkey" && ok "signer: the key is encrypted" ||
	not_ok "signer: the key is not an encrypted PKCS#8"
if openssl pkey -in "$dkey" -passin file:"$T/dpass" -pubout > "$T/kpub.pem" 2>"$T/err" &&
   openssl x509 -in "$dcert" -noout -pubkey > "$T/cpub.pem" && cmp -s "$T/kpub.pem" "$T/cpub.pem"; then
	ok "signer: the key opens with the delegate passphrase and matches the certificate"
else
	not_ok "signer: key and certificate"; show 3 "$T/err"
fi
expect_fail "signer: the key does not open with the CA's passphrase" nz "" \
	openssl pkey -in "$dkey" -passin file:"$T/pass" -noout
actions=$(sqlite3 -readonly "$GOVPKI_HOME/govpki.db" \
	"SELECT action FROM audit WHERE object = 'issuing' AND action = 'ocsp.signer'")
[ "$actions" = ocsp.signer ] && ok "signer: audited (ocsp.signer)" || not_ok "signer: audit: '$actions'"
expect "signer: the audit log verifies" ct audit verify

# ---- the responder: no CA passphrase, no CA key file ---------------------------
mv "$GOVPKI_HOME/keys" "$T/keys.away"
unset GOVPKI_PASSPHRASE
start_responder --config "$T/ocsp.cnf" --pass-file "$T/dpass" &&
	ok "responder starts with no CA key at all (root not served by default)" ||
	{ not_ok "responder starts without CA keys"; finish; exit 1; }
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :'; }
rid() { awk '/Responder Id:/ { print $3 }' "$T/ocsp.out"; }
st=$(verified_status "$d/good.pem" "$d/issuing.pem" -url "$URL" -VAfile "$T/delegate1.pem" -resp_text)
[ "$st" = good ] && ok "good: verified with -VAfile delegate" || { not_ok "good with -VAfile ($st)"; show 5 "$T/ocsp.out"; }
[ "$(rid)" = "$(ski "$T/delegate1.pem")" ] && ok "ResponderID byKey is the delegate's key" ||
	not_ok "ResponderID $(rid), want $(ski "$T/delegate1.pem")"
grep -q "OCSP Signer" "$T/ocsp.out" && ok "the delegate's certificate is in the response" ||
	not_ok "no delegate certificate in the response"
st=$(verified_status "$d/revoked.pem" "$d/issuing.pem" -url "$URL" -VAfile "$T/delegate1.pem")
[ "$st" = revoked ] && ok "revoked: verified with -VAfile delegate" || not_ok "revoked with -VAfile ($st)"
st=$(verified_status "$d/revoked.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/root.pem")
[ "$st" = revoked ] && ok "revoked: verified with -CAfile root" || not_ok "revoked with -CAfile ($st)"
st=$(verified_status "$d/good.pem" "$d/issuing.pem" -url "$URL" -CAfile "$d/root.pem")
[ "$st" = good ] && ok "good: verified with -CAfile root" || not_ok "good with -CAfile ($st)"
expect_fail "the root is not answered for by default" nz "unauthorized" \
	sh -c "openssl ocsp -url '$URL' -issuer '$d/root.pem' -cert '$d/issuing.pem' -CAfile '$d/root.pem' >&2"
healthy && ok "/healthz: ok" || not_ok "/healthz"
grep -q "issuing.key\|root.key" "$T/responder.err" && not_ok "the responder mentions a CA key" ||
	ok "the responder said nothing of a CA key"

# presign signs with the installed signer too: its passphrase, no CA key
expect "presign: signed by the installed signer, no CA key" \
	ct ocsp presign --ca issuing --pass-file "$T/dpass"
gsn=$(serial_of "$d/good.pem" | sed 's/^0*//')
sqlite3 -readonly "$GOVPKI_HOME/govpki.db" \
	"SELECT hex(der_sha1) FROM ocsp_presigned WHERE ltrim(hex(serial), '0') = '$gsn'" |
	xxd -r -p > "$T/pre.der"
st=$(verified_status "$d/good.pem" "$d/issuing.pem" -respin "$T/pre.der" -VAfile "$T/delegate1.pem" -resp_text)
if [ "$st" = good ] && [ "$(rid)" = "$(ski "$T/delegate1.pem")" ]; then
	ok "presign: the stored response is the delegate's (-VAfile, ResponderID)"
else
	not_ok "presign: stored response"; show 5 "$T/ocsp.out"
fi

# ---- renewal: a new key and certificate, picked up without a restart ----------
mv "$T/keys.away" "$GOVPKI_HOME/keys"
expect "renew: ca-tool ocsp signer again (--days 30)" ct ocsp signer --ca issuing --days 30 $PASS $DPASS
mv "$GOVPKI_HOME/keys" "$T/keys.away"
cp "$dcert" "$T/delegate2.pem"
[ "$(ski "$T/delegate2.pem")" != "$(ski "$T/delegate1.pem")" ] && ok "renew: a new key" ||
	not_ok "renew: the same key"
nd=$(( ($(date -d "$(openssl x509 -in "$T/delegate2.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) + 3600) / 86400 ))
[ "$nd" -eq 30 ] && ok "renew: valid 30 days" || not_ok "renew: valid $nd days"
for _ in $(seq 200); do
	grep -q "reloaded" "$T/responder.err" && break
	kill -0 "$RPID" 2>/dev/null || break
	sleep 0.05
done
grep -q "reloaded" "$T/responder.err" && ok "renew: the responder reloaded by itself" ||
	{ not_ok "renew: no reload"; show 5 "$T/responder.err"; }
st=$(verified_status "$d/good.pem" "$d/issuing.pem" -url "$URL" -VAfile "$T/delegate2.pem" -resp_text)
[ "$st" = good ] && [ "$(rid)" = "$(ski "$T/delegate2.pem")" ] &&
	ok "renew: answers signed by the new delegate (-VAfile new, its ResponderID)" ||
	{ not_ok "renew: not the new delegate ($st, $(rid))"; show 5 "$T/ocsp.out"; }
stop_responder && ok "responder: SIGTERM, exit 0" || not_ok "responder: exit status"

# ---- what the responder refuses -------------------------------------------------
printf '[ocsp]\nsign_with = ca\n' > "$T/ca.cnf"
expect_fail "sign_with = ca without the CA key files: no start" nz "issuing" \
	"$RESPONDER" --config "$T/ca.cnf" --listen 127.0.0.1:0 --pass-file "$T/dpass"
printf '[ocsp]\nsign_with = delegate\n' > "$T/del.cnf"
expect_fail "sign_with = delegate: a CA without one (root named) is refused" nz "root has no OCSP signer" \
	"$RESPONDER" --config "$T/del.cnf" --listen 127.0.0.1:0 --pass-file "$T/dpass" --ca root
printf '[ocsp]\nsign_with = sometimes\n' > "$T/bad.cnf"
expect_fail "sign_with: a bad value names the file and line" nz "bad.cnf:2: sign_with" \
	"$RESPONDER" --config "$T/bad.cnf" --listen 127.0.0.1:0 --pass-file "$T/dpass"
cp "$T/delegate1.pem" "$dcert"
expect_fail "an installed certificate that does not match its key: no start, no CA key" nz \
	"does not match" "$RESPONDER" --config "$T/ocsp.cnf" --listen 127.0.0.1:0 --pass-file "$T/dpass"

finish
