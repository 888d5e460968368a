# tests/integration/ra_lib.sh: a CA home, officers, a token and a running ra-server over TLS (sourced)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RA_SERVER="$top_builddir/ra-server"
[ -x "$RA_SERVER" ] || { echo "ra-server not built at $RA_SERVER" >&2; exit 99; }
export GOVPKI_PASSPHRASE=test-passphrase
D="$T/d"; mkdir -p "$D"
RA_PID=

# ra_setup [EXTRA [ra] LINES]: root and issuing CAs, the server's TLS
# certificate (tls-server, 127.0.0.1), officers alice and bob (officer),
# carol (admin), dave (auditor), and an applicant token (tls-server, person)
ra_setup() {
	ct init --name root --key-type ec-p256 --subject "/C=CN/O=City/CN=Root" >/dev/null
	# the root-ca profile: no pathLenConstraint, so that the dual-control
	# tests may have sub-CA certificates issued under it (RFC 5280 §4.2.1.9)
	ct init --name issuing --parent root --profile root-ca --key-type ec-p256 --subject "/C=CN/O=City/CN=Issuing" >/dev/null
	ct export --ca root --out "$D/root.pem"
	ct export --ca issuing --chain --out "$D/chain.pem"
	genkey ec-p256 "$D/srv.plain"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$D/srv.plain" -out "$D/srv.key" -passout "pass:$GOVPKI_PASSPHRASE"
	rm -f "$D/srv.plain"
	openssl req -new -key "$D/srv.key" -passin "pass:$GOVPKI_PASSPHRASE" -subj "/C=CN/O=City/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -out "$D/srv.csr"
	ct issue --ca issuing --profile tls-server --csr "$D/srv.csr" --out "$D/srv.crt" >/dev/null 2>&1
	cat "$D/srv.crt" >> "$D/srv-chain.pem"; openssl x509 -in "$D/chain.pem" >> "$D/srv-chain.pem"
	for who in alice bob carol dave eve; do
		genkey ec-p256 "$D/$who.key"
		openssl req -new -key "$D/$who.key" -subj "/C=CN/O=City/CN=$who" -out "$D/$who.csr"
		ct issue --ca issuing --profile tls-client --csr "$D/$who.csr" --out "$D/$who.crt" >/dev/null 2>&1
	done
	ct officer add --name alice --cert "$D/alice.crt" --role officer >/dev/null
	ct officer add --name bob --cert "$D/bob.crt" --role officer >/dev/null
	ct officer add --name carol --cert "$D/carol.crt" --role admin >/dev/null
	ct officer add --name dave --cert "$D/dave.crt" --role auditor >/dev/null
	# eve has a certificate from the CA but is not registered
	TOKEN=$(ct token create --name app --profiles tls-server,person,tls-client 2>/dev/null)
	TOKEN2=$(ct token create --name narrow --profiles person 2>/dev/null)
	{
		echo "[ra]"
		echo "ca = issuing"
		echo "tls_cert = $D/srv-chain.pem"
		echo "tls_key = $D/srv.key"
		echo "threads = 4"
		echo "${1:-}"
	} > "$T/govpki.cnf"
	CONF="$T/govpki.cnf"
}

# ra_start [ARGS]: starts ra-server on a free port of 127.0.0.1 and waits for its port file
ra_start() {
	rm -f "$T/port"
	"$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0 --port-file "$T/port" "$@" 2>"$T/server.log" &
	RA_PID=$!
	trap 'ra_stop; rm -rf "$T"' EXIT
	# bounded wait for the daemon's startup: the port file appears when it listens
	for _ in $(seq 1 500); do
		[ -s "$T/port" ] && break
		kill -0 "$RA_PID" 2>/dev/null || { cat "$T/server.log" >&2; echo "ra-server died" >&2; exit 1; }
		sleep 0.02
	done
	[ -s "$T/port" ] || { echo "ra-server did not start" >&2; exit 1; }
	PORT=$(cat "$T/port")
	URL="https://127.0.0.1:$PORT"
}

# ra_stop: stops the server whatever state it is in (also the EXIT trap's
# cleanup): it may have exited already, and its exit status is not checked
# here; a test that checks it uses kill -TERM and wait itself (ra_load.sh)
ra_stop() {
	if [ -n "$RA_PID" ]; then
		kill -TERM "$RA_PID" 2>/dev/null || true     # may have exited already
		wait "$RA_PID" 2>/dev/null || true           # its status: see above
		RA_PID=
	fi
}

# creds ROLE: curl options for anon, app, narrow, alice, bob, carol, dave, eve
creds() {
	case $1 in
	anon) ;;
	app) echo "-H Authorization:Bearer%$TOKEN" ;;
	narrow) echo "-H Authorization:Bearer%$TOKEN2" ;;
	*) echo "--cert $D/$1.crt --key $D/$1.key" ;;
	esac
}

# api ROLE METHOD PATH [curl args...]: prints the HTTP status; body in $T/body, headers in $T/hdr
api() {
	local role=$1 method=$2 path=$3; shift 3
	local c; c=$(creds "$role")
	c=${c//%/ }
	local -a args=()
	case $role in
	app) args=(-H "Authorization: Bearer $TOKEN") ;;
	narrow) args=(-H "Authorization: Bearer $TOKEN2") ;;
	anon) ;;
	*) args=(--cert "$D/$role.crt" --key "$D/$role.key") ;;
	esac
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --cacert "$D/root.pem" -X "$method" \
		"${args[@]}" "$@" "$URL$path"
}

# json EXPR: evaluates a Python expression on the last body as j
json() { python3 -c "import json,sys; j=json.load(open('$T/body')); print($1)"; }
# json_matches EXPR ERE: EXPR's value on the last body matches ERE (any case);
# false, not a match of nothing, when the body is not JSON or lacks it
json_matches() { local v; v=$(json "$1") && grep -Eqi -- "$2" <<<"$v"; }

# check DESC WANT GOT
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got $3, want $2)"; show 3 "$T/body"; fi; }

# csr_json KEYTYPE CN [SAN] [PROFILE]: a request body with a fresh key's CSR
csr_json() {
	local n=$RANDOM$RANDOM
	genkey "$1" "$D/k$n.key"
	mkcsr "$1" "$D/k$n.key" "$D/k$n.csr" "/C=CN/O=City/CN=$2" "${3:-}"
	LAST_KEY="$D/k$n.key"
	python3 -c "import json,sys; print(json.dumps({'csr': open('$D/k$n.csr').read(), 'profile': '${4:-tls-server}', 'contact': {'name': 'Zhang San', 'email': 'zs@example.gov.cn'}}))"
}

# backdated CSR OUT: a clientAuth certificate for CSR signed with the issuing
# CA's key, valid only in January 2020 (openssl ca backdates it; it is not in
# the store)
backdated() {
	mkdir -p "$D/oca/new"; : > "$D/oca/index.txt"
	printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s\nnew_certs_dir=%s\nrand_serial=yes\ndefault_md=sha256\npolicy=p\nx509_extensions=x\n[p]\ncommonName=supplied\n[x]\nextendedKeyUsage=clientAuth\n' \
		"$D/oca/index.txt" "$D/oca/new" > "$D/oca/ca.cnf"
	openssl x509 -in "$D/chain.pem" -out "$D/issuing.pem"
	openssl ca -batch -config "$D/oca/ca.cnf" -cert "$D/issuing.pem" -keyfile "$GOVPKI_HOME/keys/issuing.key" \
		-passin "pass:$GOVPKI_PASSPHRASE" -in "$1" -startdate 20200101000000Z -enddate 20200201000000Z \
		-out "$2" -notext 2>/dev/null
}

# ra_seal ID NAME: a seal ID registered in the store's seal register
# (seal-tool make: its maker a seal-signer, its holder a person, both of
# the issuing CA)
ra_seal() {
	if ! [ -f "$D/seal.png" ]; then
		. "$(dirname "${BASH_SOURCE[0]}")/seal_lib.sh"
		mkimages "$D"
		mkcert ec-p256 "$T" issuing seal-signer "$D/maker" "Seal Maker" >/dev/null 2>&1
		mkcert ec-p256 "$T" issuing person "$D/holder" "holder" >/dev/null 2>&1
	fi
	"$top_builddir/seal-tool" make --maker-cert "$D/maker.pem" --maker-key "$D/maker.key" $PASS \
		--holder "$D/holder.pem" --image "$D/seal.png" --image-type PNG --width 40 --height 40 \
		--id "$1" --name "$2" --out "$D/seal$RANDOM$RANDOM.seal" >/dev/null 2>&1
}
