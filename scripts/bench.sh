#!/bin/bash
# scripts/bench.sh: installs what is missing (the test packages and the
# benchmarks' wrk, nginx and GNU time), builds, and runs every benchmark
# (make bench); BENCH_ONLY=ca|ocsp|ra|est|seal|hsm picks one. The benchmarks
# themselves install nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/common.sh"

need_packages $GOVPKI_BENCH_PACKAGES
echo "== building"
build "$src/build/plain" --enable-werror
make -C "$src/build/plain" -s bench
