#!/bin/bash
# tests/bench/run.sh BUILDDIR: every benchmark; each figure beside its reference
# tool measured in the same run on the same data. BENCH_ONLY=ca|ocsp|... picks one.
set -eu
B=$(cd "${1:-.}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
for b in "$here"/bench_*.sh; do
	name=$(basename "$b" .sh); name=${name#bench_}
	[ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ] && continue
	echo; echo "== $name"
	bash "$b" "$B"
done
