# tests/integration/ocsp_lib.sh: a CA hierarchy and a running ocsp-responder (sourced after lib.sh)
RESPONDER="$top_builddir/ocsp-responder"
[ -x "$RESPONDER" ] || { echo "ocsp-responder not built at $RESPONDER" >&2; exit 99; }
RPID=
# on exit: a responder still running is stopped (it may have exited: kill's
# status does not matter here), then the folder goes
trap '[ -n "$RPID" ] && kill "$RPID" 2>/dev/null; rm -rf "$T"' EXIT

serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# setup_pki TYPE: root and issuing CAs of TYPE in $T/pki, with good.pem,
# revoked.pem (keyCompromise) and the CA certificates as PEM
setup_pki() {
	local type=$1 d="$T/pki"
	mkdir -p "$d"
	ct init --name root --key-type "$type" --subject "/C=CN/O=City of Example/CN=Root CA" $PASS >/dev/null
	ct init --name issuing --parent root --key-type "$type" --subject "/C=CN/O=City of Example/CN=Issuing CA" $PASS >/dev/null
	ct export --ca root --out "$d/root.pem"
	ct export --ca issuing --out "$d/issuing.pem"
	cat "$d/issuing.pem" "$d/root.pem" > "$d/chain.pem"
	for n in good revoked; do
		genkey ec-p256 "$d/$n.key"
		mkcsr ec-p256 "$d/$n.key" "$d/$n.csr" "/C=CN/O=City of Example/CN=$n.example.gov.cn" "DNS:$n.example.gov.cn"
		ct issue --ca issuing --profile tls-server --csr "$d/$n.csr" --out "$d/$n.pem" $PASS >/dev/null 2>&1
	done
	ct revoke --ca issuing --serial "$(serial_of "$d/revoked.pem")" --reason keyCompromise >/dev/null
}

# start_responder ARGS...: starts ocsp-responder on an ephemeral port of
# 127.0.0.1 and waits (at most 10 s) for the port file; sets URL and RPID
start_responder() {
	local i
	rm -f "$T/port"
	"$RESPONDER" --listen 127.0.0.1:0 --port-file "$T/port" "$@" \
		>"$T/responder.out" 2>"$T/responder.err" &
	RPID=$!
	for i in $(seq 200); do
		[ -s "$T/port" ] && break
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.05
	done
	if ! [ -s "$T/port" ]; then
		echo "# ocsp-responder did not start:"; sed 's/^/#   /' "$T/responder.err"
		return 1
	fi
	URL="http://127.0.0.1:$(cat "$T/port")"
}

# stop_responder: SIGTERM, and the exit status of the daemon
stop_responder() {
	local rc=0
	kill -TERM "$RPID"
	wait "$RPID" || rc=$?
	RPID=
	return $rc
}

# healthy: /healthz answers 200 with {"status": "ok", ...}
healthy() { local b; b=$(curl -sf "$URL/healthz") && [ "$(jq -r .status <<<"$b")" = ok ]; }

# ossl_ocsp ARGS...: openssl ocsp against the responder
ossl_ocsp() { openssl ocsp -url "$URL" "$@"; }

# verified_status CERT ISSUER ARGS...: the status (good, revoked, unknown)
# that openssl ocsp reads for CERT from a response that verifies: openssl
# exits 0 and says "Response verify OK" (it prints the status even of a
# response whose signature fails, and exits 1 then); nothing otherwise.
# ARGS: -url URL or -respin FILE, -CAfile or -VAfile, a CertID digest
# (-sha256, before -cert), -no_nonce... Everything openssl said is in
# $T/ocsp.out, for the reason and for showing a failure.
verified_status() {
	local c=$1 issuer=$2; shift 2
	openssl ocsp -issuer "$issuer" "$@" -cert "$c" > "$T/ocsp.out" 2>&1 || return 0
	grep -q "^Response verify OK" "$T/ocsp.out" || return 0
	awk -v f="$c:" '$1 == f { print $2 }' "$T/ocsp.out"
}
