#!/bin/bash
# tests/integration/acme_alpn.sh: tls-alpn-01 (RFC 8737) in ra-server's ACME validator:
# lego obtains a certificate through it (openssl verify checks it); validation certificates
# served by openssl s_server that break one rule each (the digest, the critical flag, ALPN,
# the SAN, the self-signature) fail the challenge with the ACME error type and a detail
# saying why, and nothing is issued; an IP identifier (RFC 8738 §6) is reached with its
# reverse-mapping name as SNI. The attempts are driven by acme_client.py's alpn command.
. "$(dirname "$0")/ra_lib.sh"
srv_stop() {
	[ -s "$T/srv/pid" ] || return 0
	local pid; pid=$(cat "$T/srv/pid")
	kill "$pid" 2>/dev/null || true   # it may have exited already
	# bounded wait until it is gone, so that the port is free for the next server
	# (a zombie counts as gone: whoever it was orphaned to reaps it when it will)
	for _ in $(seq 100); do
		case $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) in ''|Z) break ;; esac
		sleep 0.02
	done
	rm -f "$T/srv/pid"
}
trap 'ra_stop; srv_stop; rm -rf "$T"' EXIT

command -v lego >/dev/null || skip_all "lego not installed (scripts/common.sh installs it)"

ALPN=$(free_port)
ra_setup "threads = 4
[profile.tls-server]
acme = yes
[acme]
tlsalpn01_port = $ALPN
validation_host = 127.0.0.1
validation_timeout = 3"
ra_start
# ra_start sets its own EXIT trap: ours again, so that what the test starts stops with it
trap 'ra_stop; srv_stop; rm -rf "$T"' EXIT
ACME="$URL/acme/tls-server/directory"

# ---- lego's own tls-alpn-01 server (lego trusts our root for the ACME server's TLS)
NAME=alpn.acme.test
CERTS="$T/lego/certificates"
export LEGO_CA_CERTIFICATES="$D/root.pem"
expect "lego run --tls: registers and obtains a certificate over tls-alpn-01" \
	lego --path "$T/lego" --server "$ACME" --accept-tos --email admin@acme.test \
	--domains "$NAME" --tls --tls.port "127.0.0.1:$ALPN" run
[ -s "$CERTS/$NAME.crt" ] || show 30 "$T/stderr" "$T/server.log"
openssl x509 -in "$CERTS/$NAME.crt" > "$T/leaf.pem" 2>/dev/null || true   # an empty file fails below
awk 'f; /END CERTIFICATE/ { f = 1 }' "$CERTS/$NAME.crt" > "$T/leaf-chain.pem"
expect "openssl verify: the leaf chains to our root" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$T/leaf-chain.pem" -purpose sslserver "$T/leaf.pem"
openssl x509 -in "$T/leaf.pem" -noout -ext subjectAltName > "$T/san" 2>&1 || true   # checked next
grep -q "DNS:$NAME" "$T/san" && ok "the certificate names $NAME" || not_ok "SAN: $(cat "$T/san")"
n=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM audit WHERE action = 'acme.validate' AND detail = 'tls-alpn-01 dns:$NAME: valid'")
[ "$n" = 1 ] && ok "the validation is audited as valid" || not_ok "tls-alpn-01 audit entries: $n"

# ---- validation certificates made with openssl, served by openssl s_server
mkdir -p "$T/srv"
genkey ec-p256 "$T/srv/key.pem"
genkey ec-p256 "$T/srv/other.pem"
openssl req -x509 -new -key "$T/srv/other.pem" -subj "/CN=Other CA" -days 1 -out "$T/srv/other-ca.pem"
ACME_ID=1.3.6.1.5.5.7.1.31   # id-pe-acmeIdentifier (RFC 8737 §6.1)
# vcert OUT SAN EXT [REQ-ARGS...]: a self-signed validation certificate
vcert() {
	local out=$1 san=$2 ext=$3; shift 3
	openssl req -x509 -new -key "$T/srv/key.pem" -subj "/CN=acme-tls" -days 1 \
		-addext "subjectAltName=$san" ${ext:+-addext "$ext"} "$@" -out "$out"
}
# the hook acme_client.py runs, serve.sh KEYAUTH VALUE: makes the certificate of case
# $CASE for the key authorization and starts s_server with it; returns once it listens
cat > "$T/srv/serve.sh" <<'EOF'
#!/bin/bash
set -eu
keyauth=$1 value=$2
good=$(printf %s "$keyauth" | openssl dgst -sha256 -r | cut -c1-64)
wrong=$(printf %s "not-$keyauth" | openssl dgst -sha256 -r | cut -c1-64)
san=DNS:$value
case $value in *[!0-9.]*) ;; *) san=IP:$value ;; esac
crit="$ACME_ID=critical,DER:0420$good"
alpn=(-alpn acme-tls/1)
issuer=()
case $CASE in
good) ;;
wrong-digest) crit="$ACME_ID=critical,DER:0420$wrong" ;;
not-critical) crit="$ACME_ID=DER:0420$good" ;;
no-ext) crit= ;;
no-alpn) alpn=() ;;
two-names) san="$san,DNS:other.acme.test" ;;
not-self-signed) issuer=(-CA "$T/srv/other-ca.pem" -CAkey "$T/srv/other.pem") ;;
none) exit 0 ;;   # nothing listens
esac
vcert "$T/srv/cert.pem" "$san" "$crit" "${issuer[@]}"
openssl s_server -accept "127.0.0.1:$ALPN" -www -cert "$T/srv/cert.pem" -key "$T/srv/key.pem" \
	-tlsextdebug "${alpn[@]}" </dev/null >"$T/srv/out" 2>&1 &
echo $! > "$T/srv/pid"
# -tlsextdebug: the log shows the ClientHello's extensions (SNI, ALPN)
# bounded wait: s_server prints ACCEPT once it listens
for _ in $(seq 200); do
	grep -q '^ACCEPT' "$T/srv/out" && exit 0
	kill -0 "$(cat "$T/srv/pid")" 2>/dev/null || break
	sleep 0.02
done
echo "s_server does not listen:" >&2; cat "$T/srv/out" >&2
exit 1
EOF
chmod +x "$T/srv/serve.sh"
export -f vcert
export T ACME_ID ALPN

# attempt CASE TYPE VALUE: one tls-alpn-01 attempt against the s_server of CASE;
# acme_client.py's answer in $T/attempt ("status valid", "error ...", "detail ...", "finalize ...")
attempt() {
	local rc=0
	srv_stop
	CASE=$1 python3 "$(dirname "$0")/acme_client.py" alpn "$ACME" "$D/root.pem" "$2" "$3" \
		"$T/srv/serve.sh" > "$T/attempt" 2> "$T/attempt.err" || rc=$?
	[ "$rc" = 0 ] || { not_ok "$1: the client runs to its end (exit $rc)"; show 10 "$T/attempt.err"; }
}
field() { awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print }' "$T/attempt"; }
# tlsext NAME SKIP: the ClientHello extension NAME as s_server -tlsextdebug logged it,
# without its first SKIP bytes (the lengths), as text (bytes < 32 as \xNN)
tlsext() {
	python3 - "$T/srv/out" "$1" "$2" <<'EOF2'
import re, sys
grab, b = False, bytearray()
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("TLS client extension "):
        grab = line.startswith('TLS client extension "%s"' % sys.argv[2])
    elif grab and re.match(r"[0-9a-f]{4} - ", line):
        b += bytes.fromhex(line[7:55].replace("-", " "))
print("".join(chr(x) if 32 <= x < 127 else "\\x%02x" % x for x in b[int(sys.argv[3]):]))
EOF2
}

certs_before=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM cert")

# the harness itself: the right certificate passes, so each failure below is its one fault
attempt good dns good.acme.test
grep -q "^offered http-01 dns-01 tls-alpn-01$" "$T/attempt" &&
	ok "a DNS identifier is offered http-01, dns-01 and tls-alpn-01" || not_ok "$(field offered)"
[ "$(field status)" = valid ] && ok "s_server with the right certificate: valid" ||
	{ not_ok "s_server with the right certificate: $(field status) $(field detail)"; show 5 "$T/srv/out"; }
[ "$(field finalize)" = "200 valid" ] && ok "  and finalize issues" || not_ok "  finalize: $(field finalize)"
sni=$(tlsext "server name" 5)
[ "$sni" = good.acme.test ] && ok "  the validator sent SNI good.acme.test" || not_ok "  SNI: '$sni'"
alpn=$(tlsext "application layer protocol negotiation" 0)
[ "$alpn" = '\x00\x0b\x0aacme-tls/1' ] && ok "  and offered only the ALPN protocol acme-tls/1" ||
	not_ok "  ALPN offered: '$alpn'"

# CASE ERROR-TYPE DETAIL-PATTERN
while read -r c type pat; do
	attempt "$c" dns "$c.acme.test"
	st=$(field status) err=$(field error) detail=$(field detail)
	if [ "$st" = invalid ] && [ "$err" = "urn:ietf:params:acme:error:$type" ] && grep -Eq -- "$pat" <<<"$detail"; then
		ok "$c: invalid, $type: $detail"
	else
		not_ok "$c: $st $err: $detail (want invalid, $type, /$pat/)"; show 5 "$T/attempt.err" "$T/srv/out"
	fi
	[ "$(field finalize)" = "403 urn:ietf:params:acme:error:orderNotReady" ] &&
		ok "  and finalize is refused (orderNotReady)" || not_ok "  finalize: $(field finalize)"
done <<'EOF'
wrong-digest unauthorized not the SHA-256 of the key authorization
not-critical unauthorized not critical
no-ext unauthorized no acmeIdentifier extension
no-alpn tls did not negotiate the ALPN protocol acme-tls/1
two-names unauthorized subjectAltName has 2 names
not-self-signed unauthorized not self-signed
none connection cannot connect to 127.0.0.1 port
EOF
n=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM cert")
[ "$n" = $((certs_before + 1)) ] && ok "no certificate issued for the failed challenges" ||
	not_ok "certificates: $certs_before before, $n after (want one more)"
n=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM audit WHERE action = 'acme.validate' AND detail LIKE 'tls-alpn-01 dns:%.acme.test: invalid: %'")
[ "$n" = 7 ] && ok "each failed attempt is audited with its reason" || not_ok "invalid tls-alpn-01 audit entries: $n"

# ---- an IP identifier (RFC 8738 §6): the SAN is the iPAddress, SNI its reverse-mapping name
attempt good ip 127.0.0.1
grep -q "^offered http-01 tls-alpn-01$" "$T/attempt" &&
	ok "an IP identifier is offered http-01 and tls-alpn-01" || not_ok "$(field offered)"
[ "$(field status)" = valid ] && ok "the IP identifier 127.0.0.1 is validated" ||
	{ not_ok "IP identifier: $(field status) $(field detail)"; show 5 "$T/srv/out"; }
sni=$(tlsext "server name" 5)
[ "$sni" = 1.0.0.127.in-addr.arpa ] && ok "  with SNI 1.0.0.127.in-addr.arpa" || not_ok "  SNI: '$sni'"

expect "ra-server still serves the directory" curl -sf --cacert "$D/root.pem" "$ACME"
expect "audit chain verifies" ct audit verify
finish
