#!/bin/bash
# tests/bench/bench_ca.sh BUILDDIR: bulk issuance and CRLs, against openssl ca.
# Medians of BENCH_RUNS runs (default 3). Sizes: BENCH_N CSRs (default 20000),
# BENCH_CRL revoked entries (default 1000000). BENCH_ISSUE_KEYS="" skips issuance.
set -eu
B=$1
N=${BENCH_N:-20000}
RUNS=${BENCH_RUNS:-3}
CRLN=${BENCH_CRL:-1000000}
PER=300                         # CSRs for the one-process-per-certificate figures
command -v /usr/bin/time >/dev/null || { echo "bench_ca: /usr/bin/time is not installed (Debian package time; scripts/bench.sh installs it)" >&2; exit 1; }
W=$(mktemp -d /tmp/govpki-bench.XXXXXX)
# Certificate files (ours and openssl's newcerts) go to tmpfs: on this
# machine's ext4, creating tens of thousands of files right after deleting
# as many spends most of its time in the inode allocator (recently_deleted),
# which would measure the file system, not the CA.  Stores stay on disk.
O=$(mktemp -d "${BENCH_OUT:-/dev/shm}/govpki-bench-out.XXXXXX" 2>/dev/null || mktemp -d /tmp/govpki-bench-out.XXXXXX)
trap 'rm -rf "$W" "$O"' EXIT
export GOVPKI_PASSPHRASE=bench-pass
CT="$B/ca-tool"
BENCH="$B/tests/bench/bench_ca"
GENCSR="$B/tests/gencsr"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
command -v bc >/dev/null || { echo "bench_ca: bc is not installed (Debian package bc; scripts/bench.sh installs it)" >&2; exit 1; }

mkdir -p "$W/csr"
"$GENCSR" ec-p256 "$N" "$W/csr"
ls "$W/csr" | sed -n "1,${PER}s|^|$W/csr/|p" > "$W/per.list"

ossl_ca() {   # ossl_ca DIR KEYTYPE: an openssl ca setup with a fresh key of that type
	local d=$1
	mkdir -p "$d"; : > "$d/index.txt"; echo 01 > "$d/crlnumber"
	case $2 in
	ec-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key" ;;
	rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/ca.key" 2>/dev/null ;;
	esac
	openssl req -new -x509 -key "$d/ca.key" -subj "/CN=OpenSSL Bench CA" -days 3650 -out "$d/ca.pem"
	cat > "$d/ca.cnf" <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $d
database = \$dir/index.txt
new_certs_dir = $O/newcerts
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
crlnumber = \$dir/crlnumber
rand_serial = yes
default_md = sha256
default_days = 365
default_crl_days = 7
policy = policy_any
unique_subject = no
copy_extensions = copy
x509_extensions = ext
[ policy_any ]
commonName = supplied
[ ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
}

for kt in ${BENCH_ISSUE_KEYS-ec-p256 rsa2048}; do
	H="$W/home-$kt"
	"$CT" --home "$H" init --name root --key-type "$kt" --subject "/CN=Bench Root" >/dev/null
	"$CT" --home "$H" init --name issuing --parent root --key-type "$kt" --subject "/CN=Bench Issuing" >/dev/null
	ossl_ca "$W/ossl-$kt" "$kt"
	tool=() lib=() infiles=() per=() perours=()
	for r in $(seq "$RUNS"); do
		rm -rf "$O/out"
		tool+=("$(secs "$CT" --home "$H" issue --ca issuing --profile tls-server --batch "$W/csr" --out-dir "$O/out")")
		lib+=("$("$BENCH" issue "$H" issuing tls-server "$W/csr" 0 | awk '{print $3}')")
		: > "$W/ossl-$kt/index.txt"; rm -rf "$O/newcerts"; mkdir "$O/newcerts"
		infiles+=("$(secs openssl ca -batch -notext -config "$W/ossl-$kt/ca.cnf" -out "$O/ossl.pem" -infiles "$W"/csr/*.csr)")
		: > "$W/ossl-$kt/index.txt"   # the same small index as our store starts from
		per+=("$(secs sh -c "while read f; do openssl ca -batch -notext -config '$W/ossl-$kt/ca.cnf' -in \"\$f\" -out /dev/null 2>/dev/null; done < '$W/per.list'")")
		perours+=("$(secs sh -c "while read f; do '$CT' --home '$H' issue --ca issuing --profile tls-server --csr \"\$f\" --out /dev/null; done < '$W/per.list'")")
	done
	t_tool=$(printf '%s\n' "${tool[@]}" | median); t_lib=$(printf '%s\n' "${lib[@]}" | median)
	t_inf=$(printf '%s\n' "${infiles[@]}" | median); t_per=$(printf '%s\n' "${per[@]}" | median)
	t_perours=$(printf '%s\n' "${perours[@]}" | median)
	r_tool=$(rate "$N" "$t_tool"); r_lib=$(rate "$N" "$t_lib"); r_inf=$(rate "$N" "$t_inf")
	r_per=$(rate "$PER" "$t_per"); r_perours=$(rate "$PER" "$t_perours")
	echo "issuance, $kt CA key, $N CSRs, median of $RUNS, $(nproc) cores (certificates/s):"
	echo "  ca-tool issue --batch (durable, files written)  $r_tool/s   = $(ratio "$r_tool" "$r_inf")x openssl ca -infiles, $(ratio "$r_tool" "$r_per")x openssl ca per process"
	echo "  gp_ca_issue_batch (library, durable)            $r_lib/s   = $(ratio "$r_lib" "$r_inf")x openssl ca -infiles"
	echo "  openssl ca -infiles (one process, not durable)  $r_inf/s"
	echo "  openssl ca, one process per certificate         $r_per/s"
	echo "  ca-tool issue, one process per certificate      $r_perours/s   = $(ratio "$r_perours" "$r_per")x openssl ca per process"
done

# CRLs over CRLN revoked entries
H="$W/home-crl"
"$CT" --home "$H" init --name root --key-type ec-p256 --subject "/CN=CRL Root" >/dev/null
"$CT" --home "$H" init --name issuing --parent root --key-type ec-p256 --subject "/CN=CRL Issuing" >/dev/null
"$BENCH" fill "$H" issuing "$CRLN" >/dev/null
full=() fullmem=() delta=()
for r in $(seq "$RUNS"); do
	/usr/bin/time -f "%e %M" -o "$W/time" "$CT" --home "$H" crl --ca issuing --out "$W/full.crl" >/dev/null
	full+=("$(cut -d' ' -f1 "$W/time")"); fullmem+=("$(cut -d' ' -f2 "$W/time")")
	"$BENCH" revoke-more "$H" issuing 1000 >/dev/null
	delta+=("$("$BENCH" crl "$H" issuing delta | awk '{print $3}')")
done
stat -c %s "$W/full.crl" > "$W/size"
# openssl ca -gencrl over an index of the same size
ossl_ca "$W/ossl-crl" ec-p256; mkdir -p "$O/newcerts"
awk -v n="$CRLN" 'BEGIN { for (i = 1; i <= n; i++) printf "R\t301231235959Z\t260101000000Z,keyCompromise\t%032X\tunknown\t/CN=synthetic\n", i }' > "$W/ossl-crl/index.txt"
ofull=() ofullmem=()
for r in $(seq "$RUNS"); do
	/usr/bin/time -f "%e %M" -o "$W/time" openssl ca -gencrl -config "$W/ossl-crl/ca.cnf" -out "$W/ossl.crl" 2>/dev/null
	ofull+=("$(cut -d' ' -f1 "$W/time")"); ofullmem+=("$(cut -d' ' -f2 "$W/time")")
done
t_full=$(printf '%s\n' "${full[@]}" | median); m_full=$(printf '%s\n' "${fullmem[@]}" | median)
t_ofull=$(printf '%s\n' "${ofull[@]}" | median); m_ofull=$(printf '%s\n' "${ofullmem[@]}" | median)
t_delta=$(printf '%s\n' "${delta[@]}" | median)
echo "CRL over $CRLN revoked entries ($(($(cat "$W/size") / 1048576)) MiB of DER), P-256, median of $RUNS:"
echo "  ca-tool crl (full)      ${t_full} s, peak $((m_full / 1024)) MiB   = $(ratio "$t_ofull" "$t_full")x faster than openssl ca -gencrl"
echo "  openssl ca -gencrl      ${t_ofull} s, peak $((m_ofull / 1024)) MiB"
echo "  delta CRL over 1000 new revocations: $(echo "$t_delta * 1000" | bc -l | xargs printf '%.1f') ms"
