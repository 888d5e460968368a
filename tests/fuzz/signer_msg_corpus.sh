#!/bin/sh
# tests/fuzz/signer_msg_corpus.sh: make check replays the signer message corpus
# through the fuzz target (libFuzzer build or not: -runs=0 only replays)
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
exec "$top_builddir/tests/fuzz/fuzz_signer_msg" -runs=0 "$top_srcdir/tests/fuzz/corpus/signer_msg"
