#!/bin/bash
# tests/integration/acme_lego.sh: lego (a second independent ACME client, in Go) obtains
# certificates from ra-server's ACME directory over http-01 and over dns-01 (a wildcard too),
# renews and revokes one; dns-01 records are served by a dnsmasq the test starts on 127.0.0.1,
# which lego and our validator both ask; openssl verify and openssl ocsp check the results
. "$(dirname "$0")/ra_lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
trap 'ra_stop; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; dns_stop; rm -rf "$T"' EXIT

command -v lego >/dev/null || skip_all "lego not installed (scripts/common.sh installs it)"
command -v dnsmasq >/dev/null || skip_all "dnsmasq not installed (dnsmasq-base, scripts/common.sh installs it)"

HTTP01=$(free_port)
DNSPORT=$(free_port)

# ---- the DNS server: dnsmasq answers the TXT records in $T/dns/records, nothing
# else (no upstream, no hosts file); lego's exec hook rewrites the file and restarts it
mkdir -p "$T/dns"
: > "$T/dns/records"
cat > "$T/dns/hook.sh" <<'EOF'
#!/bin/bash
# lego's exec DNS provider: hook.sh present|cleanup FQDN VALUE
set -eu
dir=$(dirname "$0")
name=${2%.}
case $1 in
present) echo "$name $3" >> "$dir/records" ;;
cleanup) grep -v "^$name " "$dir/records" > "$dir/records.new" || true  # none left is fine
	mv "$dir/records.new" "$dir/records" ;;
*) exit 0 ;;
esac
exec "$dir/restart.sh"
EOF
cat > "$T/dns/restart.sh" <<EOF
#!/bin/bash
# (re)starts dnsmasq with the records of $T/dns/records; returns when it answers
set -eu
d="$T/dns"
[ -s "\$d/pid" ] && kill "\$(cat "\$d/pid")" 2>/dev/null && 
	for _ in \$(seq 200); do kill -0 "\$(cat "\$d/pid")" 2>/dev/null || break; sleep 0.05; done
args=()
while read -r n v; do args+=("--txt-record=\$n,\$v"); done < "\$d/records"
rm -f "\$d/pid"
dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \\
	--listen-address=127.0.0.1 --port=$DNSPORT --user="\$(id -un)" --log-queries \\
	--log-facility="\$d/log" "\${args[@]}" </dev/null >>"\$d/out" 2>&1 &
echo \$! > "\$d/pid"
# bounded wait: dnsmasq answers a TXT query (any answer) once it listens
for _ in \$(seq 200); do
	python3 "$(cd "$(dirname "$0")" && pwd)/dns_query.py" 127.0.0.1 $DNSPORT ping.test >/dev/null 2>&1 && exit 0
	sleep 0.05
done
echo "dnsmasq does not answer on 127.0.0.1:$DNSPORT" >&2
exit 1
EOF
chmod +x "$T/dns/hook.sh" "$T/dns/restart.sh"
dns_stop() { [ -s "$T/dns/pid" ] && kill "$(cat "$T/dns/pid")" 2>/dev/null; rm -f "$T/dns/pid"; }
"$T/dns/restart.sh" || { not_ok "dnsmasq starts"; show 10 "$T/dns/out"; finish; exit 1; }

ra_setup "threads = 4
[profile.tls-server]
acme = yes
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1
resolver = 127.0.0.1:$DNSPORT"
ra_start
# ra_start sets its own EXIT trap: ours again, so that what the test starts stops with it
trap 'ra_stop; [ -n "$RPID" ] && kill "$RPID" 2>/dev/null; dns_stop; rm -rf "$T"' EXIT
ACME="$URL/acme/tls-server/directory"

# lego trusts our root for the ACME server's TLS
export LEGO_CA_CERTIFICATES="$D/root.pem"
lg() { lego --path "$T/lego" --server "$ACME" --accept-tos --email admin@acme.test "$@"; }
CERTS="$T/lego/certificates"
# lego's bundle: the leaf, then the chain
leaf() { openssl x509 -in "$CERTS/$1.crt"; }
chain_of() { awk 'f; /END CERTIFICATE/ { f = 1 }' "$CERTS/$1.crt"; }

# ---- http-01
NAME=web.acme.test
expect "lego run --http: registers and obtains a certificate over http-01" \
	lg --domains "$NAME" --http --http.port "127.0.0.1:$HTTP01" run
[ -s "$CERTS/$NAME.crt" ] || show 30 "$T/stderr" "$T/server.log"
leaf "$NAME" > "$T/web.pem" 2>/dev/null || true   # an empty file fails the checks below
chain_of "$NAME" > "$T/web-chain.pem"
expect "openssl verify: the leaf chains to our root" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$T/web-chain.pem" -purpose sslserver "$T/web.pem"
openssl x509 -in "$T/web.pem" -noout -ext subjectAltName > "$T/san" 2>&1 || true   # checked next
grep -q "DNS:$NAME" "$T/san" && ok "the certificate names $NAME" || not_ok "SAN: $(cat "$T/san")"
# Go before 1.22 (Debian 12's lego) refuses a certificate with an OID arc
# over 2^31-1: what lego accepted above is checked here as well
# (lego parses the certificate when it renews or revokes it: "x509: invalid
# certificate policies"); every OID of the DER, inside extensions too
openssl x509 -in "$T/web.pem" -outform DER -out "$T/web.der" 2>/dev/null || true   # no file fails below
python3 - "$T/web.der" > "$T/oids" <<'EOF2'
import sys
def walk(b, i, end):
    while i < end:
        tag, n = b[i], b[i + 1]; i += 2
        if n & 0x80:
            k = n & 0x7f; n = int.from_bytes(b[i:i + k], "big"); i += k
        v = b[i:i + n]
        if tag == 0x06:                      # OBJECT IDENTIFIER: base-128 arcs
            arcs, a = [], 0
            for x in v:
                a = a << 7 | (x & 0x7f)
                if not x & 0x80:
                    arcs.append(a); a = 0
            first = min(arcs[0] // 40, 2)
            print(".".join(map(str, [first, arcs[0] - 40 * first] + arcs[1:])))
        elif tag & 0x20:                     # constructed
            walk(b, i, i + n)
        elif tag == 0x04:                    # an extension's value is DER too
            try:
                walk(v, 0, len(v))
            except Exception:
                pass
        i += n
d = open(sys.argv[1], "rb").read()
walk(d, 0, len(d))
EOF2
awk -F. '{ for (i = 1; i <= NF; i++) if (length($i) > 10 || $i + 0 > 2147483647) print }' "$T/oids" > "$T/bigarc"
grep -q "^2.5.29.15$" "$T/oids" && [ ! -s "$T/bigarc" ] && ok "no OID in the certificate has an arc over 2^31-1" ||
	not_ok "OIDs with huge arcs: $(cat "$T/bigarc")"

# ---- dns-01, a name and a wildcard (which only dns-01 may validate, RFC 8555 §7.1.3)
DNAME=dns.acme.test
export EXEC_PATH="$T/dns/hook.sh" EXEC_POLLING_INTERVAL=1 EXEC_PROPAGATION_TIMEOUT=30
expect "lego run --dns exec: obtains a certificate over dns-01 for a name and a wildcard" \
	lg --domains "$DNAME" --domains "*.$DNAME" --dns exec --dns.resolvers "127.0.0.1:$DNSPORT" \
	--dns.disable-cp run
[ -s "$CERTS/$DNAME.crt" ] || show 30 "$T/stderr" "$T/dns/log" "$T/server.log"
leaf "$DNAME" > "$T/dns.pem" 2>/dev/null || true   # an empty file fails the checks below
chain_of "$DNAME" > "$T/dns-chain.pem"
expect "openssl verify: the dns-01 leaf chains to our root" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$T/dns-chain.pem" -purpose sslserver "$T/dns.pem"
openssl x509 -in "$T/dns.pem" -noout -ext subjectAltName > "$T/san" 2>&1 || true   # checked next
grep -q "DNS:$DNAME" "$T/san" && grep -q "DNS:\*\.$DNAME" "$T/san" &&
	ok "the certificate names $DNAME and *.$DNAME" || not_ok "SAN: $(cat "$T/san")"
# our validator asked the test's DNS server (dnsmasq's query log), and audited each attempt
grep -q "query\[TXT\] _acme-challenge.$DNAME from 127.0.0.1" "$T/dns/log" &&
	ok "the TXT records were asked of the test's dnsmasq" || { not_ok "no TXT query in dnsmasq's log"; show 10 "$T/dns/log"; }
n=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM audit WHERE action = 'acme.validate' AND detail LIKE 'dns-01 dns:$DNAME: valid%'")
[ "$n" = 2 ] && ok "two dns-01 validations audited as valid ($DNAME and its wildcard)" || not_ok "dns-01 audit entries: $n"
[ ! -s "$T/dns/records" ] && ok "lego's cleanup removed the records" || not_ok "records left: $(cat "$T/dns/records")"

# a TXT record with the wrong digest: the order fails (unauthorized)
BAD=bad.acme.test
cat > "$T/dns/badhook.sh" <<EOF
#!/bin/bash
[ "\$1" = present ] && set -- present "\$2" "not-the-digest"
exec "$T/dns/hook.sh" "\$@"
EOF
chmod +x "$T/dns/badhook.sh"
EXEC_PATH="$T/dns/badhook.sh" expect_fail "lego with a wrong TXT record fails" nz "" \
	lg --domains "$BAD" --dns exec --dns.resolvers "127.0.0.1:$DNSPORT" --dns.disable-cp run
grep -q "unauthorized" "$T/stderr" && ok "  as unauthorized" || { not_ok "  not unauthorized"; show 5 "$T/stderr"; }
[ ! -e "$CERTS/$BAD.crt" ] && ok "  and no certificate" || not_ok "  a certificate was written"

# ---- renew
SERIAL1=$(serial_of "$T/web.pem")
expect "lego renew (--days 1000: due at once)" \
	lg --domains "$NAME" --http --http.port "127.0.0.1:$HTTP01" renew --days 1000 --no-random-sleep
leaf "$NAME" > "$T/web2.pem" 2>/dev/null || true   # an empty file fails the checks below
SERIAL2=$(serial_of "$T/web2.pem" 2>/dev/null || true)   # empty when there is none: checked next
[ -n "$SERIAL2" ] && [ "$SERIAL2" != "$SERIAL1" ] && ok "renewal gave a new certificate" ||
	not_ok "renewal: serial $SERIAL1 -> $SERIAL2"
expect "openssl verify: the renewed leaf" \
	openssl verify -CAfile "$D/root.pem" -untrusted "$T/web-chain.pem" -purpose sslserver "$T/web2.pem"

# ---- revoke, checked by openssl ocsp against our responder
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
RAURL=$URL
start_responder $PASS --config "$T/ocsp.cnf" || { not_ok "responder starts"; finish; exit 1; }
ocsp() { openssl ocsp -url "$URL" -issuer "$D/chain.pem" -CAfile "$D/root.pem" -cert "$1" > "$2" 2>&1 || true; }  # the status line is the check
ocsp "$T/web2.pem" "$T/ocsp1"
grep -q "$T/web2.pem: good" "$T/ocsp1" && ok "openssl ocsp: good before revocation" ||
	{ not_ok "ocsp before revocation"; show 5 "$T/ocsp1"; }
URL=$RAURL
expect "lego revoke --reason 4 (superseded), signed by the account key" \
	lg --domains "$NAME" revoke --reason 4 --keep
URL="http://127.0.0.1:$(cat "$T/port")"
# the responder picks up the store's new revision within refresh_seconds (1 s): polled, at most 10 s
for _ in $(seq 100); do
	ocsp "$T/web2.pem" "$T/ocsp2"
	grep -q "$T/web2.pem: revoked" "$T/ocsp2" && break
	sleep 0.1
done
grep -q "$T/web2.pem: revoked" "$T/ocsp2" && ok "openssl ocsp: revoked after lego revoke" ||
	{ not_ok "ocsp after revocation"; show 5 "$T/ocsp2"; }
grep -qi "Reason: superseded" "$T/ocsp2" && ok "with the reason lego gave" || not_ok "reason"
ocsp "$T/dns.pem" "$T/ocsp3"
grep -q "$T/dns.pem: good" "$T/ocsp3" && ok "the other certificate is still good" ||
	{ not_ok "ocsp of the dns-01 certificate"; show 5 "$T/ocsp3"; }
URL=$RAURL
expect_fail "revoking it again is refused" nz "" lg --domains "$NAME" revoke --keep
grep -q "alreadyRevoked" "$T/stderr" && ok "  as alreadyRevoked" || { not_ok "  not alreadyRevoked"; show 5 "$T/stderr"; }

expect "audit chain verifies" ct audit verify
finish
