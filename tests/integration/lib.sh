# tests/integration/lib.sh: what the integration tests share (sourced, not run)
# Each test runs in its own temporary folder, removed on exit.
# pipefail: a pipeline fails when any command in it fails, so `cmd | grep x`
# does not hide cmd's failure. Its price: a pipeline must not end in a
# command that stops reading early (grep -q, head, awk ... exit), which
# could kill the writer with SIGPIPE; capture first, or `grep x >/dev/null`,
# or show the first lines with `show` (tests/shell_lint.py checks all this).
set -euo pipefail

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
CA_TOOL="$top_builddir/ca-tool"
[ -x "$CA_TOOL" ] || { echo "ca-tool not built at $CA_TOOL" >&2; exit 99; }

T=$(mktemp -d "${TMPDIR:-/tmp}/govpki-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export GOVPKI_HOME="$T/home"
printf 'test-passphrase\n' > "$T/pass"
PASS="--pass-file $T/pass"
SM2_ID=1234567812345678

checks=0
fails=0

ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
# show N FILE...: the first N lines of the files, as comments of the log
# (display only: a file that is not there is left out)
show() {
	local n=$1 f; shift
	local -a fs=()
	for f; do [ -r "$f" ] && fs+=("$f"); done
	# awk ends every line, so that a "not ok" printed next starts a line
	[ ${#fs[@]} -eq 0 ] || awk -v n="$n" 'FNR <= n { print "#   " $0 }' "${fs[@]}"
}
not_ok() { checks=$((checks + 1)); fails=$((fails + 1)); echo "not ok $checks - $*"; }

# expect DESCRIPTION COMMAND...: the command succeeds
expect() {
	local what=$1; shift
	if "$@" >"$T/stdout" 2>"$T/stderr"; then ok "$what"; else
		not_ok "$what (exit $?)"; show 20 "$T/stderr" "$T/stdout"; fi
}

# expect_fail DESCRIPTION EXIT PATTERN COMMAND...: the command exits with
# EXIT (any non-zero when EXIT is "nz") and its stderr matches PATTERN
expect_fail() {
	local what=$1 want=$2 pat=$3 rc=0; shift 3
	"$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
	if [ "$rc" -eq 0 ]; then not_ok "$what (succeeded)"; return; fi
	if [ "$want" != nz ] && [ "$rc" -ne "$want" ]; then
		not_ok "$what (exit $rc, want $want)"; show 5 "$T/stderr"; return; fi
	# an empty pattern: another program's failure, whatever it says
	if [ -z "$pat" ]; then ok "$what"; return; fi
	if ! grep -Eq -- "$pat" "$T/stderr"; then
		not_ok "$what (message does not match '$pat')"; show 5 "$T/stderr"; return; fi
	if [ "$(wc -l < "$T/stderr")" -gt 3 ]; then
		not_ok "$what (more than a short message)"; show 5 "$T/stderr"; return; fi
	ok "$what"
}

ct() { "$CA_TOOL" "$@"; }

# free_port: a TCP port of 127.0.0.1 that nothing listens on now
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# x509_text CERT: openssl's text of the PEM certificate CERT in $T/x509.txt
# (fails when openssl does), to grep: `x509_text c && grep -q X "$T/x509.txt"`
x509_text() { openssl x509 -in "$1" -noout -text > "$T/x509.txt"; }

# count_files DIR GLOB: how many files in DIR match GLOB (0 for none; no
# `ls | grep -c`, which exits 1 on a count of 0 and hides a failing ls)
count_files() {
	local f n=0
	[ -d "$1" ] || { echo "count_files: no folder $1" >&2; echo 0; return 1; }
	for f in "$1"/$2; do [ -e "$f" ] && n=$((n + 1)); done
	echo "$n"
}

# genkey TYPE FILE: an unencrypted test key for a CSR (the applicant's, not a CA key)
genkey() {
	case $1 in
	rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
	rsa3072) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$2" 2>/dev/null ;;
	rsa4096) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$2" 2>/dev/null ;;
	rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$2" 2>/dev/null ;;
	ec-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	ec-p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
	sm2) openssl genpkey -algorithm SM2 -out "$2" ;;
	*) echo "genkey: unknown type $1" >&2; return 1 ;;
	esac
}

# mkcsr TYPE KEY CSR SUBJECT [SAN]: a CSR signed by KEY
mkcsr() {
	local type=$1 key=$2 csr=$3 subj=$4 san=${5:-}
	set -- openssl req -new -key "$key" -out "$csr" -subj "$subj"
	[ -n "$san" ] && set -- "$@" -addext "subjectAltName=$san"
	case $type in
	sm2) set -- "$@" -sm3 -sigopt "distid:$SM2_ID" ;;
	ed25519) ;;
	*) set -- "$@" -sha256 ;;
	esac
	"$@"
}

# skip WHY: a check that cannot run here says why in the log ("# SKIP: WHY");
# under CI=true, where every check must run, it is a failed check instead
skip() {
	if [ "${CI:-}" = true ]; then not_ok "not run, which CI=true does not accept: $*"; else echo "# SKIP: $*"; fi
}

# skip_all WHY: the whole test cannot run here: exit 77 (automake's SKIP)
# saying why, or a failure (exit 1) under CI=true
skip_all() {
	if [ "${CI:-}" = true ]; then echo "not ok - not run, which CI=true does not accept: $*"; exit 1; fi
	echo "# SKIP: $*"; exit 77
}

# sm_crypto_setup WHAT: sm-crypto (an independent SM2/SM3 implementation,
# from npm) in NPM_DIR, where scripts/test.sh installs it (make check
# installs nothing); have_sm_crypto=1 when it is there and node runs, else
# a skip saying that WHAT is not checked
NPM_DIR=${GOVPKI_NPM_CACHE:-$HOME/.cache/govpki-npm}
sm_crypto_setup() {
	have_sm_crypto=0
	if [ -d "$NPM_DIR/node_modules/sm-crypto" ] && command -v node >/dev/null; then
		have_sm_crypto=1
	else
		skip "sm-crypto is not installed in $NPM_DIR (scripts/test.sh installs it): $1"
	fi
}

# sm2_check_signed ISSUER.pem SIGNED.der: sm-crypto checks the SM2 signature
# (default ID) of a certificate or CRL with the issuer certificate's key
sm2_check_signed() {
	local pub
	pub=$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n') ||
		return 1
	python3 "$top_srcdir/tests/integration/der_split.py" "$2" "$T/signed.tbs" "$T/signed.sig" &&
		node "$top_srcdir/tests/integration/sm2_check.js" "$NPM_DIR" "$pub" "$T/signed.tbs" "$T/signed.sig"
}

# store_dump: every table of the store as text, to compare before and after;
# fails, saying why on stderr, when there is no store, sqlite3 fails or the
# dump holds no table (comparing two empty dumps would prove nothing)
store_dump() {
	local db="$GOVPKI_HOME/govpki.db" dump
	[ -f "$db" ] || { echo "store_dump: no store at $db" >&2; return 1; }
	dump=$(sqlite3 -readonly "$db" .dump) || { echo "store_dump: sqlite3 failed on $db" >&2; return 1; }
	case $dump in *"CREATE TABLE"*) ;; *) echo "store_dump: $db has no table" >&2; return 1 ;; esac
	printf '%s\n' "$dump" | grep -v '^PRAGMA'
}

finish() {
	# the time lets scripts/test.sh list the slowest tests (SECONDS: bash's own)
	echo "# $checks checks, $fails failed, ${SECONDS}s"
	[ "$fails" -eq 0 ]
}
