#!/bin/bash
# tests/integration/acme_uacme.sh: uacme (a third independent ACME client, in C over
# libcurl) with Debian's own hook script, /usr/share/uacme/uacme.sh, obtains a certificate
# over http-01, renews and revokes it; openssl verify and openssl ocsp check the results
. "$(dirname "$0")/ra_lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
trap 'ra_stop; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; [ -n "$WPID" ] && kill "$WPID" 2>/dev/null; rm -rf "$T"' EXIT
WPID=

command -v uacme >/dev/null || skip_all "uacme not installed (scripts/common.sh installs it)"
HOOK=/usr/share/uacme/uacme.sh
[ -x "$HOOK" ] || skip_all "uacme's hook script $HOOK is not there"

# uacme has no option or variable naming the CAs it trusts: Debian's libcurl
# (GnuTLS) reads the folder /etc/ssl/certs. uacme runs in a mount namespace of
# its own where a folder holding only our root is mounted there; nothing
# outside that process sees it. As root a mount namespace is enough; otherwise
# a user namespace maps us to root in it.
mkdir -p "$T/trust"
NS=(unshare --mount)
[ "$(id -u)" = 0 ] || NS=(unshare --user --map-root-user --mount)
"${NS[@]}" true 2>/dev/null || skip_all "cannot make a mount namespace (${NS[*]}) for uacme's trust folder"

HTTP01=$(free_port)
NAME=www.uacme.test

ra_setup "threads = 4
[profile.tls-server]
acme = yes
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1"
ra_start
# ra_start sets its own EXIT trap: ours again, so that what the test starts stops with it
trap 'ra_stop; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; [ -n "$WPID" ] && kill "$WPID" 2>/dev/null; rm -rf "$T"' EXIT
ACME="$URL/acme/tls-server/directory"
RAURL=$URL
cp "$D/root.pem" "$T/trust/govpki-test-root.pem"

# the web server the hook writes challenges for: python's, on the http-01 port
WEB="$T/www/.well-known/acme-challenge"
mkdir -p "$WEB"
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP01" >"$T/web.log" 2>&1 &
WPID=$!
# bounded wait: the server answers once it listens
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$HTTP01/" && break; sleep 0.05; done
curl -s -o /dev/null "http://127.0.0.1:$HTTP01/" || { not_ok "the challenge web server starts"; finish; exit 1; }

export UACME_CHALLENGE_PATH="$WEB"
UC="$T/uacme"
ua() {
	"${NS[@]}" sh -c 'mount --bind "$0" /etc/ssl/certs && exec "$@"' "$T/trust" \
		uacme -v -a "$ACME" -c "$UC" "$@"
}

expect "uacme new: registers an account" ua -y new admin@uacme.test
expect "uacme issue with Debian's hook script (http-01)" ua -h "$HOOK" -t EC issue "$NAME"
CERT="$UC/$NAME/cert.pem"
[ -s "$CERT" ] || show 30 "$T/stderr" "$T/server.log"
openssl x509 -in "$CERT" -out "$T/leaf.pem" 2>/dev/null || true   # an empty file fails below
awk 'f; /END CERTIFICATE/ { f = 1 }' "$CERT" > "$T/chain.pem" 2>/dev/null || true   # as above
expect "openssl verify: the leaf chains to our root" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$T/chain.pem" -purpose sslserver "$T/leaf.pem"
openssl x509 -in "$T/leaf.pem" -noout -ext subjectAltName > "$T/san" 2>&1 || true   # checked next
grep -q "DNS:$NAME" "$T/san" && ok "the certificate names $NAME" || not_ok "SAN: $(cat "$T/san")"
openssl x509 -in "$T/leaf.pem" -noout -pubkey > "$T/pub1" 2>/dev/null || true   # compared below
openssl pkey -in "$UC/private/$NAME/key.pem" -pubout > "$T/pub2" 2>/dev/null || true   # as above
[ -s "$T/pub1" ] && cmp -s "$T/pub1" "$T/pub2" && ok "for the key uacme made (EC)" || not_ok "key mismatch"
grep -q "GET /.well-known/acme-challenge/" "$T/web.log" &&
	ok "our validator fetched the hook's challenge file" || { not_ok "no challenge fetched"; show 5 "$T/web.log"; }
[ -z "$(ls -A "$WEB")" ] && ok "the hook removed its file when done" || not_ok "challenge files left: $(ls "$WEB")"
# a run outside the namespace shows the trust comes from there: uacme refuses our TLS certificate
expect_fail "uacme without our root refuses the server's certificate" nz "" \
	uacme -v -a "$ACME" -c "$T/other" -y new
grep -i "certificate" "$T/stderr" > "$T/why" && { ok "  for its certificate"; show 2 "$T/why"; } ||
	{ not_ok "  for another reason"; show 5 "$T/stderr"; }

# ---- renew (-f: before it is due)
SERIAL1=$(serial_of "$T/leaf.pem" 2>/dev/null || true)   # empty when there is none: checked next
expect "uacme -f issue renews" ua -h "$HOOK" -t EC -f issue "$NAME"
openssl x509 -in "$CERT" -out "$T/leaf2.pem" 2>/dev/null || true   # an empty file fails below
SERIAL2=$(serial_of "$T/leaf2.pem" 2>/dev/null || true)   # as above
[ -n "$SERIAL1" ] && [ -n "$SERIAL2" ] && [ "$SERIAL2" != "$SERIAL1" ] && ok "renewal gave a new certificate" ||
	not_ok "renewal: serial $SERIAL1 -> $SERIAL2"
# uacme(1): exit status 1 when the certificate is still current and not reissued
expect_fail "uacme issue without -f does nothing while the certificate is not due (exit 1)" 1 "" \
	ua -h "$HOOK" -t EC issue "$NAME"
[ "$(serial_of "$CERT")" = "$SERIAL2" ] && ok "  the certificate is the same" || not_ok "  it changed"

# ---- revoke, checked by openssl ocsp against our responder
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
start_responder $PASS --config "$T/ocsp.cnf" || { not_ok "responder starts"; finish; exit 1; }
OURL=$URL
ocsp() { openssl ocsp -url "$OURL" -issuer "$D/chain.pem" -CAfile "$D/root.pem" -cert "$1" > "$2" 2>&1 || true; }  # the status line is the check
ocsp "$T/leaf2.pem" "$T/ocsp1"
grep -q "$T/leaf2.pem: good" "$T/ocsp1" && ok "openssl ocsp: good before revocation" ||
	{ not_ok "ocsp before revocation"; show 5 "$T/ocsp1"; }
URL=$RAURL
expect "uacme revoke (signed by the account key)" ua -r 4 revoke "$CERT"
# the responder picks up the store's new revision within refresh_seconds (1 s): polled, at most 10 s
for _ in $(seq 100); do
	ocsp "$T/leaf2.pem" "$T/ocsp2"
	grep -q "$T/leaf2.pem: revoked" "$T/ocsp2" && break
	sleep 0.1
done
grep -q "$T/leaf2.pem: revoked" "$T/ocsp2" && ok "openssl ocsp: revoked after uacme revoke" ||
	{ not_ok "ocsp after revocation"; show 5 "$T/ocsp2"; }
grep -qi "Reason: superseded" "$T/ocsp2" && ok "with the reason uacme gave" || not_ok "reason"
ocsp "$T/leaf.pem" "$T/ocsp3"
grep -q "$T/leaf.pem: good" "$T/ocsp3" && ok "the first certificate is still good" ||
	{ not_ok "ocsp of the first certificate"; show 5 "$T/ocsp3"; }
# revoked by its own key (RFC 8555 §7.6: a jwk, no account)
expect "uacme revoke CERT KEY (signed by the certificate's key)" \
	ua revoke "$T/leaf.pem" "$UC/private/$NAME/key.pem"
n=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM audit WHERE actor = 'acme:certificate-key' AND action LIKE '%revoke%'")
[ "$n" = 1 ] && ok "  audited as revoked by the certificate key" || not_ok "  audit entries by the certificate key: $n"

expect "audit chain verifies" ct audit verify
finish
