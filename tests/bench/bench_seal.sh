#!/bin/bash
# tests/bench/bench_seal.sh BUILDDIR: seal signing and verification of 1 MiB
# documents (SM2 and P-256), one process per operation, against `openssl dgst
# -sign` / `-verify` on the same data with the same (encrypted) key in the
# same run.  Medians of BENCH_RUNS runs (default 3) of BENCH_SEAL_N operations
# (default 40).  Targets: signing >= 0.8x openssl, verification >= 0.5x.
#
# What each side does per operation: seal-tool sign decrypts the key,
# decodes the seal, checks the holder and validity, hashes the document and
# signs TBS_Sign (which embeds the seal); seal-tool verify decodes, checks
# two signatures (signer's and maker's), two chains, the document's hash,
# the validity and the holder list.  openssl dgst hashes and signs (or
# verifies) once.
set -eu
B=$(cd "$1" && pwd)
N=${BENCH_SEAL_N:-40}
RUNS=${BENCH_RUNS:-3}
ID=1234567812345678
command -v bc >/dev/null || { echo "bench_seal: bc is not installed (Debian package bc; scripts/bench.sh installs it)" >&2; exit 1; }
W=$(mktemp -d /tmp/govpki-bench-seal.XXXXXX)
trap 'rm -rf "$W"' EXIT
export GOVPKI_PASSPHRASE=bench-pass
printf '%s\n' "$GOVPKI_PASSPHRASE" > "$W/pass"
CT="$B/ca-tool"
# the installed program, not libtool's wrapper script (which costs a shell per run)
if [ -x "$B/.libs/seal-tool" ]; then
	export LD_LIBRARY_PATH="$B/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	ST="$B/.libs/seal-tool"
else
	ST="$B/seal-tool"
fi
head -c 1048576 /dev/urandom > "$W/doc.bin"
printf '\x89PNG\r\n\x1a\n-bench-image' > "$W/seal.png"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { echo "$1 / $2" | bc -l | xargs printf '%.1f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

# pair N OURS_FILE REF_FILE: runs the commands in the arrays A (ours) and R
# (the reference) N times each, alternately, so that a change of the machine's
# load hits both alike; appends the seconds each spent to its file
pair() {
	local n=$1 ta=0 tr=0 t0 t1 t2
	for _ in $(seq "$n"); do
		t0=$EPOCHREALTIME
		"${A[@]}" >/dev/null 2>&1 || { echo "failed: ${A[*]}" >&2; exit 1; }
		t1=$EPOCHREALTIME
		"${R[@]}" >/dev/null 2>&1 || { echo "failed: ${R[*]}" >&2; exit 1; }
		t2=$EPOCHREALTIME
		ta=$(echo "$ta + $t1 - $t0" | bc -l)
		tr=$(echo "$tr + $t2 - $t1" | bc -l)
	done
	echo "$ta" >> "$2"
	echo "$tr" >> "$3"
}

for type in sm2 ec-p256; do
	d="$W/$type"; mkdir -p "$d"
	export GOVPKI_HOME="$d/home"
	"$CT" init --name root --key-type "$type" --subject "/C=CN/O=Bench/CN=Root $type" >/dev/null
	"$CT" export --ca root --out "$d/root.pem"
	for who in maker holder; do
		case $type in
		sm2) openssl genpkey -algorithm SM2 -out "$d/$who.plain" 2>/dev/null
		     openssl req -new -key "$d/$who.plain" -subj "/C=CN/O=Bench/CN=$who" -sm3 -sigopt "distid:$ID" -out "$d/$who.csr" ;;
		*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$who.plain"
		   openssl req -new -key "$d/$who.plain" -subj "/C=CN/O=Bench/CN=$who" -sha256 -out "$d/$who.csr" ;;
		esac
		openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$d/$who.plain" -out "$d/$who.key" -passout "file:$W/pass"
		openssl pkey -in "$d/$who.plain" -pubout -out "$d/$who.pub"
	done
	"$CT" issue --ca root --profile seal-signer --csr "$d/maker.csr" --out "$d/maker.pem" >/dev/null 2>&1
	"$CT" issue --ca root --profile department --csr "$d/holder.csr" --out "$d/holder.pem" >/dev/null 2>&1
	"$ST" make --no-register --maker-cert "$d/maker.pem" --maker-key "$d/maker.key" --id "BENCH-$type" --name bench \
		--holder "$d/holder.pem" --image "$W/seal.png" --image-type PNG --width 40 --height 40 --out "$d/s.seal" 2>/dev/null
	case $type in
	sm2) DG="-sm3"; SO="-sigopt distid:$ID" ;;
	*) DG="-sha256"; SO="" ;;
	esac
	"$ST" sign --seal "$d/s.seal" --cert "$d/holder.pem" --key "$d/holder.key" --doc "$W/doc.bin" --out "$d/doc.sig"
	# shellcheck disable=SC2086
	openssl dgst $DG -sign "$d/holder.key" -passin "file:$W/pass" $SO -out "$d/doc.ossl" "$W/doc.bin"
	"$ST" verify --no-register --trust "$d/root.pem" --doc "$W/doc.bin" "$d/doc.sig" >/dev/null
	# shellcheck disable=SC2086
	openssl dgst $DG -verify "$d/holder.pub" $SO -signature "$d/doc.ossl" "$W/doc.bin" >/dev/null

	for _ in $(seq "$RUNS"); do
		A=("$ST" sign --seal "$d/s.seal" --cert "$d/holder.pem" --key "$d/holder.key" --doc "$W/doc.bin" --out "$d/x.sig")
		# shellcheck disable=SC2206
		R=(openssl dgst $DG -sign "$d/holder.key" -passin "file:$W/pass" $SO -out "$d/x.ossl" "$W/doc.bin")
		pair "$N" "$d/our_sign" "$d/ossl_sign"
		A=("$ST" verify --no-register --trust "$d/root.pem" --doc "$W/doc.bin" "$d/doc.sig")
		# shellcheck disable=SC2206
		R=(openssl dgst $DG -verify "$d/holder.pub" $SO -signature "$d/doc.ossl" "$W/doc.bin")
		pair "$N" "$d/our_verify" "$d/ossl_verify"
	done
	os=$(median < "$d/our_sign"); rs=$(median < "$d/ossl_sign")
	ov=$(median < "$d/our_verify"); rv=$(median < "$d/ossl_verify")
	echo "$type, 1 MiB documents, $N operations x $RUNS runs (median), one process each, ours and openssl alternating:"
	printf '  seal sign:    %6s/s   openssl dgst -sign:   %6s/s   ratio %s (target >= 0.80)\n' \
		"$(rate "$N" "$os")" "$(rate "$N" "$rs")" "$(ratio "$rs" "$os")"
	printf '  seal verify:  %6s/s   openssl dgst -verify: %6s/s   ratio %s (target >= 0.50)\n' \
		"$(rate "$N" "$ov")" "$(rate "$N" "$rv")" "$(ratio "$rv" "$ov")"
done
