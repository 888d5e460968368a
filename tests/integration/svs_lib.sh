# tests/integration/svs_lib.sh: a CA hierarchy, a configuration and a running svs-server (sourced after lib.sh)
SVS="$top_builddir/svs-server"
[ -x "$SVS" ] || { echo "svs-server not built at $SVS" >&2; exit 99; }
SPID=
# on exit: a server still running is stopped (it may have exited: kill's
# status does not matter here), then the folder goes
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT

serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# svs_pki: root and issuing CAs (P-256) in $T/pki, with good.pem, revoked.pem
# (revoked, keyCompromise), the CA certificates as PEM and a CRL of the
# issuing CA (issuing.crl, DER) and of the root (root.crl)
svs_pki() {
	local d="$T/pki" n
	mkdir -p "$d"
	ct init --name root --key-type ec-p256 --subject "/C=CN/O=City of Example/CN=Root CA" $PASS >/dev/null
	ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=City of Example/CN=Issuing CA" $PASS >/dev/null
	ct export --ca root --out "$d/root.pem"
	ct export --ca issuing --out "$d/issuing.pem"
	for n in good revoked; do
		genkey ec-p256 "$d/$n.key"
		mkcsr ec-p256 "$d/$n.key" "$d/$n.csr" "/C=CN/O=City of Example/CN=$n.example.gov.cn" "DNS:$n.example.gov.cn"
		ct issue --ca issuing --profile tls-server --csr "$d/$n.csr" --out "$d/$n.pem" $PASS >/dev/null 2>&1
	done
	ct revoke --ca issuing --serial "$(serial_of "$d/revoked.pem")" --reason keyCompromise >/dev/null
	ct crl --ca issuing --out "$d/issuing.crl" $PASS >/dev/null
	ct crl --ca root --out "$d/root.crl" $PASS >/dev/null
}

# svs_tls: the server's TLS certificate for 127.0.0.1 (self-signed, its own
# trust anchor for curl: $T/tls.pem), its key encrypted with $T/pass
svs_tls() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$T/tls.plain" -out "$T/tls.pem" 2>/dev/null &&
	openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 1000 -in "$T/tls.plain" \
		-out "$T/tls.key" -passout "file:$T/pass" && rm -f "$T/tls.plain"
}

# token NAME: a new random token in $T/NAME.token; prints its SHA-256 (hex)
token() {
	openssl rand -hex 24 | tr -d '\n' > "$T/$1.token"
	printf %s "$(cat "$T/$1.token")" | openssl dgst -sha256 -r | cut -d' ' -f1
}

# start_svs CONFIG ARGS...: starts svs-server on an ephemeral port of
# 127.0.0.1 and waits (at most 10 s) for the port file; sets URL and SPID
start_svs() {
	local cfg=$1 i; shift
	rm -f "$T/svs.port"
	"$SVS" --config "$cfg" --listen 127.0.0.1:0 --port-file "$T/svs.port" "$@" \
		>"$T/svs.out" 2>"$T/svs.err" &
	SPID=$!
	for i in $(seq 200); do
		[ -s "$T/svs.port" ] && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	if ! [ -s "$T/svs.port" ]; then
		echo "# svs-server did not start:"; sed 's/^/#   /' "$T/svs.err"
		return 1
	fi
	URL="https://127.0.0.1:$(cat "$T/svs.port")"
}

# stop_svs: SIGTERM, and the exit status of the daemon
stop_svs() {
	local rc=0
	kill -TERM "$SPID"
	wait "$SPID" || rc=$?
	SPID=
	return $rc
}

# post PATH TOKEN|- BODYFILE [TYPE]: POSTs to the service with curl; the body
# of the answer in $T/resp, its headers in $T/resp.h; prints the status
post() {
	local path=$1 tok=$2 body=$3 type=${4:-application/json}
	local -a auth=()
	[ "$tok" != - ] && auth=(-H "Authorization: Bearer $(cat "$T/$tok.token")")
	curl -sS --cacert "$T/tls.pem" -o "$T/resp" -D "$T/resp.h" -w '%{http_code}' \
		"${auth[@]}" -H "Content-Type: $type" --data-binary "@$body" "$URL$path"
}

# json_cert_req OUT CERT [JQ-ARGS...]: a verify/certificate body with CERT
# (PEM) and the members jq adds ('. + {...}')
cert_req() {
	local out=$1 cert=$2; shift 2
	jq -n --rawfile c "$cert" '{certificate: $c}' > "$out.base"
	if [ $# -gt 0 ]; then jq "$@" "$out.base" > "$out"; else cp "$out.base" "$out"; fi
}

# problem_is STATUS: $T/resp is problem+json (RFC 9457) with that status
problem_is() {
	grep -qi '^content-type: application/problem+json' "$T/resp.h" &&
		[ "$(jq -r .status "$T/resp")" = "$1" ] && [ -n "$(jq -r '.title // empty' "$T/resp")" ] &&
		[ -n "$(jq -r '.type // empty' "$T/resp")" ]
}
