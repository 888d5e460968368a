#!/bin/sh
# tests/fuzz/svs_request_corpus.sh: make check replays svs-server's request corpus
# through the fuzz target (libFuzzer build or not: -runs=0 only replays)
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
exec "$top_builddir/tests/fuzz/fuzz_svs_request" -runs=0 "$top_srcdir/tests/fuzz/corpus/svs_request"
