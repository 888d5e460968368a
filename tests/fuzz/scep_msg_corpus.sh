#!/bin/sh
# tests/fuzz/scep_msg_corpus.sh: make check replays the SCEP pkiMessage corpus
# through the fuzz target (libFuzzer build or not: -runs=0 only replays)
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
exec "$top_builddir/tests/fuzz/fuzz_scep_msg" -runs=0 "$top_srcdir/tests/fuzz/corpus/scep_msg"
