#!/bin/bash
# tests/bench/bench_verify.sh BUILDDIR: chain verification of BENCH_VERIFY_N leaf
# certificates (default 10000) under one 3-deep chain (root, intermediate,
# issuing; P-256, made by ca-tool) with a CRL of BENCH_VERIFY_CRL revoked
# entries (default 100000) from the issuing CA, against `openssl verify
# -crl_check` in the same run.  Both get every leaf in ONE invocation, so
# both parse the CAs and the CRL once: openssl verify the 10,000 files as
# arguments, ca-tool verify the folder.  ca-tool runs with every rule on (its
# default --rules all).  Medians of BENCH_RUNS runs (default 3), ours and
# openssl alternating.  Target: ca-tool >= 2x openssl's certificates/s.
set -eu
B=$(cd "$1" && pwd)
N=${BENCH_VERIFY_N:-10000}
CRLN=${BENCH_VERIFY_CRL:-100000}
RUNS=${BENCH_RUNS:-3}
command -v bc >/dev/null || { echo "bench_verify: bc is not installed (Debian package bc; scripts/bench.sh installs it)" >&2; exit 1; }
W=$(mktemp -d /tmp/govpki-bench-verify.XXXXXX)
# the leaves on tmpfs, as bench_ca.sh does: the file system is not measured
O=$(mktemp -d "${BENCH_OUT:-/dev/shm}/govpki-bench-verify.XXXXXX" 2>/dev/null || mktemp -d /tmp/govpki-bench-verify-out.XXXXXX)
trap 'rm -rf "$W" "$O"' EXIT
export GOVPKI_PASSPHRASE=bench-pass
# the installed program, not libtool's wrapper script
if [ -x "$B/.libs/ca-tool" ]; then
	export LD_LIBRARY_PATH="$B/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	CT="$B/.libs/ca-tool"
else
	CT="$B/ca-tool"
fi
BENCH="$B/tests/bench/bench_ca"
GENCSR="$B/tests/gencsr"
for p in "$BENCH" "$GENCSR"; do
	[ -x "$p" ] || { echo "bench_verify: $p is not built (make bench builds it)" >&2; exit 1; }
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

# the chain, the leaves and the CRL
H="$W/home"
"$CT" --home "$H" init --name root --key-type ec-p256 --subject "/C=CN/O=Bench/CN=Verify Root" >/dev/null
# the intermediate has no pathLenConstraint (root-ca profile): sub-ca has 0
"$CT" --home "$H" init --name intermediate --parent root --profile root-ca --key-type ec-p256 --subject "/C=CN/O=Bench/CN=Verify Intermediate" >/dev/null
"$CT" --home "$H" init --name issuing --parent intermediate --key-type ec-p256 --subject "/C=CN/O=Bench/CN=Verify Issuing" >/dev/null
"$CT" --home "$H" export --ca root --out "$W/root.pem"
"$CT" --home "$H" export --ca intermediate --out "$W/intermediate.pem"
"$CT" --home "$H" export --ca issuing --out "$W/issuing.pem"
cat "$W/intermediate.pem" "$W/issuing.pem" > "$W/untrusted.pem"
mkdir -p "$W/csr" "$O/leaves"
"$GENCSR" ec-p256 "$N" "$W/csr" >/dev/null
"$CT" --home "$H" issue --ca issuing --profile tls-server --batch "$W/csr" --out-dir "$O/leaves" >/dev/null 2>&1
"$BENCH" fill "$H" issuing "$CRLN" >/dev/null
"$CT" --home "$H" crl --ca issuing --pem --out "$W/issuing.crl" >/dev/null
# the CRLs of the root and the intermediate too (they cover the CAs below
# them), so that ca-tool's default revocation policy finds one for every
# certificate; openssl gets the same file and, with -crl_check, checks the leaf
"$CT" --home "$H" crl --ca root --pem --out "$W/root.crl" >/dev/null
"$CT" --home "$H" crl --ca intermediate --pem --out "$W/intermediate.crl" >/dev/null
cat "$W/root.crl" "$W/intermediate.crl" "$W/issuing.crl" > "$W/all.crl"
leaves=("$O"/leaves/*)
[ "${#leaves[@]}" -eq "$N" ] || { echo "bench_verify: ${#leaves[@]} leaves made, not $N" >&2; exit 1; }
entries=$(openssl crl -in "$W/issuing.crl" -noout -text | grep -c "Serial Number:")
[ "$entries" -ge "$CRLN" ] || { echo "bench_verify: the CRL has $entries entries, not $CRLN" >&2; exit 1; }

A=("$CT" verify --trust "$W/root.pem" --untrusted "$W/untrusted.pem" --crl "$W/all.crl" "$O/leaves")
R=(openssl verify -crl_check -CAfile "$W/root.pem" -untrusted "$W/untrusted.pem" -CRLfile "$W/all.crl" "${leaves[@]}")

# both say every leaf is valid, once each, before anything is timed
"${A[@]}" > "$W/ours.out" 2>&1 || { echo "bench_verify: ca-tool verify failed:" >&2; sed -n 1,5p "$W/ours.out" >&2; exit 1; }
"${R[@]}" > "$W/ossl.out" 2>&1 || { echo "bench_verify: openssl verify failed:" >&2; sed -n 1,5p "$W/ossl.out" >&2; exit 1; }
[ "$(grep -c ': OK' "$W/ours.out")" -eq "$N" ] || { echo "bench_verify: ca-tool did not say OK $N times" >&2; exit 1; }
[ "$(grep -c ': OK$' "$W/ossl.out")" -eq "$N" ] || { echo "bench_verify: openssl did not say OK $N times" >&2; exit 1; }

: > "$W/t_ours"; : > "$W/t_ossl"
for _ in $(seq "$RUNS"); do
	t0=$EPOCHREALTIME
	"${A[@]}" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	"${R[@]}" >/dev/null 2>&1
	t2=$EPOCHREALTIME
	echo "$t1 - $t0" | bc -l >> "$W/t_ours"
	echo "$t2 - $t1" | bc -l >> "$W/t_ossl"
done
to=$(median < "$W/t_ours"); tr=$(median < "$W/t_ossl")
echo "$N leaves under root > intermediate > issuing (P-256), CRL of $entries entries ($(($(stat -c %s "$W/issuing.crl") / 1024)) KiB), one process each, median of $RUNS, $(nproc) cores:"
printf '  ca-tool verify (folder, every rule)      %8s/s  (%s s)\n' "$(rate "$N" "$to")" "$(printf '%.2f' "$to")"
printf '  openssl verify -crl_check (%s files)  %8s/s  (%s s)\n' "$N" "$(rate "$N" "$tr")" "$(printf '%.2f' "$tr")"
echo "  ratio $(ratio "$tr" "$to")x (target >= 2)"
