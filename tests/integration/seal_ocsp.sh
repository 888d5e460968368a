#!/bin/bash
# seal_ocsp: seal verification asks govpki's ocsp-responder (RFC 6960) about
# the signer's and the maker's certificates: good passes, revoked fails with
# its reason, an unreachable responder fails the step.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/seal_lib.sh"
RESPONDER="$top_builddir/ocsp-responder"
[ -x "$RESPONDER" ] || { echo "ocsp-responder not built at $RESPONDER" >&2; exit 99; }

mkimages "$T"
printf 'a document\n' > "$T/doc.txt"
d="$T/p"; mkdir -p "$d"
export GOVPKI_HOME="$d/home"
mkca ec-p256 "$d" root
mkcert ec-p256 "$d" root seal-signer "$d/maker" "Seal Maker"
mkcert ec-p256 "$d" root person "$d/good" "good-holder"
mkcert ec-p256 "$d" root person "$d/bad" "bad-holder"
expect "make a seal for two holders" st make --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" $PASS --id OCSP-1 --name ocsp \
	--holder "$d/good.pem" --holder "$d/bad.pem" --image "$T/seal.png" --image-type PNG --width 40 --height 40 --out "$d/s.seal"
expect "the good holder signs" st sign --seal "$d/s.seal" --cert "$d/good.pem" --key "$d/good.key" $PASS --doc "$T/doc.txt" --out "$d/good.sig"
expect "the other holder signs" st sign --seal "$d/s.seal" --cert "$d/bad.pem" --key "$d/bad.key" $PASS --doc "$T/doc.txt" --out "$d/bad.sig"
expect "then its certificate is revoked" ct revoke --ca root --serial "$(openssl x509 -in "$d/bad.pem" -noout -serial | cut -d= -f2)" --reason keyCompromise

# the responder's first stdout line comes once it listens (read from a FIFO: no clock);
# the only CA is a root, answered for only when named (issue 20.1)
mkfifo "$T/r.fifo"
"$RESPONDER" --listen 127.0.0.1:0 --port-file "$T/r.port" --ca root $PASS >"$T/r.fifo" 2>"$T/r.err" &
RPID=$!
# on exit: the responder, if still running, is stopped (kill's status does not
# matter there), then the folder goes
trap 'kill $RPID 2>/dev/null || true; rm -rf "$T"' EXIT
exec 3<"$T/r.fifo"
line=""
read -r line <&3 || line="(nothing: the responder closed its output)"
case $line in *listening*) ok "ocsp-responder listens" ;; *) not_ok "ocsp-responder starts"; cat "$T/r.err"; finish; exit 1 ;; esac
URL="http://127.0.0.1:$(cat "$T/r.port")"

expect "verify --ocsp: good" st verify --trust "$d/root.pem" --ocsp "$URL" --doc "$T/doc.txt" "$d/good.sig"
[ "$(grep -c "good (OCSP)" "$T/stdout")" -eq 2 ] && ok "signer and maker both asked" || not_ok "signer and maker both asked"
expect_fail "verify --ocsp: a revoked signer" 7 "signer: .*OCSP: certificate revoked \(keyCompromise\)" st verify --trust "$d/root.pem" --ocsp "$URL" "$d/bad.sig"
grep -q "^seal-maker *pass" "$T/stdout" && ok "... the maker still good" || not_ok "... the maker still good"
expect_fail "verify --ocsp aia: the certificates name no responder" 7 "no OCSP responder given or named" st verify --trust "$d/root.pem" --ocsp aia "$d/good.sig"
rc=0; kill -TERM "$RPID"; wait "$RPID" || rc=$?; exec 3<&-
[ "$rc" -eq 0 ] && ok "ocsp-responder: SIGTERM, exit 0" || not_ok "ocsp-responder: SIGTERM (exit $rc)"
GOVPKI_HTTP_TIMEOUT=1 expect_fail "verify --ocsp: responder gone" 7 "signer: .*OCSP: the OCSP responder at .* did not answer" st verify --trust "$d/root.pem" --ocsp "$URL" "$d/good.sig"
expect_fail "verify --ocsp: https is refused" 7 "only http://" st verify --trust "$d/root.pem" --ocsp "https://127.0.0.1:1/" "$d/good.sig"
finish
