# tests/integration/seal_lib.sh: what the seal tests share (sourced after lib.sh)
SEAL_TOOL="$top_builddir/seal-tool"
TSA_SERVER="$top_builddir/tsa-server"
[ -x "$SEAL_TOOL" ] || { echo "seal-tool not built at $SEAL_TOOL" >&2; exit 99; }
st() { "$SEAL_TOOL" "$@"; }

# enckey TYPE BASE: BASE.plain (for CSRs and independent tools) and BASE.key
# (encrypted PKCS#8: govpki never loads unencrypted keys)
enckey() {
	genkey "$1" "$2.plain"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$2.plain" -out "$2.key" -passout "file:$T/pass"
}

# mkca TYPE DIR NAME: a root CA of TYPE in its own home DIR/home, its PEM at DIR/NAME.pem
mkca() {
	GOVPKI_HOME="$2/home" ct init --name "$3" --key-type "$1" --subject "/C=CN/O=City of Example/CN=$3 $1" $PASS >/dev/null
	GOVPKI_HOME="$2/home" ct export --ca "$3" --out "$2/$3.pem"
}

# mkcert TYPE DIR CA PROFILE BASE CN: a key BASE.key and a certificate BASE.pem issued by CA
mkcert() {
	local type=$1 dir=$2 ca=$3 profile=$4 base=$5 cn=$6 o=""
	enckey "$type" "$base"
	case $profile in seal-signer|department|tsa-signer) o="/O=City of Example" ;; esac
	mkcsr "$type" "$base.plain" "$base.csr" "/C=CN$o/CN=$cn" "$( [ "$profile" = person ] && echo "email:$cn@example.gov.cn" )"
	GOVPKI_HOME="$dir/home" ct issue --ca "$ca" --profile "$profile" --csr "$base.csr" --out "$base.pem" $PASS >/dev/null
}

# seal_world TYPE DIR [SUFFIX]: the usual seal test world in DIR, whose home
# becomes GOVPKI_HOME: a root CA "root" of TYPE (DIR/root.pem), a maker of
# the seal-signer profile (DIR/maker.key, .pem, CN "Seal Maker[ SUFFIX]")
# and a holder of the person profile (DIR/holder.*, CN "holder[-SUFFIX]")
seal_world() {
	local sfx=${3:+ $3} hsfx=${3:+-$3}
	mkdir -p "$2"
	export GOVPKI_HOME="$2/home"
	mkca "$1" "$2" root
	mkcert "$1" "$2" root seal-signer "$2/maker" "Seal Maker$sfx"
	mkcert "$1" "$2" root person "$2/holder" "holder$hsfx"
}

# a small PNG (1x1, valid), GIF, BMP, JPEG header and SVG for the seal pictures
mkimages() {
	printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82' > "$1/seal.png"
	printf 'GIF89a\x01\x00\x01\x00\x00\x00\x00;' > "$1/seal.gif"
	printf 'BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x18\x00' > "$1/seal.bmp"
	printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9' > "$1/seal.jpg"
	printf '<?xml version="1.0"?>\n<!-- seal -->\n<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="40mm"><circle cx="20" cy="20" r="18" fill="none" stroke="red"/></svg>\n' > "$1/seal.svg"
}

# start_tsa CERT KEY [OPTIONS]: a tsa-server on an ephemeral port of
# 127.0.0.1; sets TSA_URL and TSA_PID.  Its first stdout line comes once it
# listens: the test blocks reading it from a FIFO (no clock involved).
start_tsa() {
	local cert=$1 key=$2; shift 2
	rm -f "$T/tsa.port" "$T/tsa.fifo"
	mkfifo "$T/tsa.fifo"
	"$TSA_SERVER" --cert "$cert" --key "$key" --pass-file "$T/pass" --listen 127.0.0.1:0 \
		--port-file "$T/tsa.port" "$@" >"$T/tsa.fifo" 2>"$T/tsa.log" &
	TSA_PID=$!
	# on exit: a TSA still running is stopped (kill's status does not matter
	# there: it may have exited), then the folder goes
	trap 'kill $TSA_PID 2>/dev/null || true; rm -rf "$T"' EXIT
	local line=""
	exec 3<"$T/tsa.fifo"
	read -r line <&3 || { cat "$T/tsa.log" >&2; return 1; }
	case $line in *"listening on port"*) ;; *) cat "$T/tsa.log" >&2; return 1 ;; esac
	TSA_URL="http://127.0.0.1:$(cat "$T/tsa.port")/tsa"
}

# stop_tsa: SIGTERM, and the exit status of the tsa-server
stop_tsa() {
	local rc=0
	kill -TERM "$TSA_PID"
	wait "$TSA_PID" || rc=$?
	exec 3<&-
	TSA_PID=
	return $rc
}
