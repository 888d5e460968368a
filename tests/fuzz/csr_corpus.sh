#!/bin/sh
# tests/fuzz/csr_corpus.sh: make check replays the CSR corpus through the
# fuzz target (libFuzzer build or not: -runs=0 only replays)
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
exec "$top_builddir/tests/fuzz/fuzz_csr" -runs=0 "$top_srcdir/tests/fuzz/corpus/csr"
