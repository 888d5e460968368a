#!/bin/sh
# tests/fuzz/acme_jws_corpus.sh: make check replays the ACME JWS corpus through
# the fuzz target (libFuzzer build or not: -runs=0 only replays), and checks
# from its GP_FUZZ_VERBOSE lines that exactly the good-* seeds verify, each
# algorithm at least once, and that the EAB (HS256) and keyChange inner JWS
# are reached and verify
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
corpus="$top_srcdir/tests/fuzz/corpus/acme_jws"
out=$(GP_FUZZ_VERBOSE=1 "$top_builddir/tests/fuzz/fuzz_acme_jws" -runs=0 "$corpus") || {
	echo "FAIL: the replay failed"
	exit 1
}
fails=0
check() {   # check WHAT EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok: $1 ($3)"
	else
		echo "FAIL: $1: expected $2, got $3"
		fails=$((fails + 1))
	fi
}
count() {   # count PATTERN: lines of the replay's output matching it
	printf '%s\n' "$out" | grep -c "$1"
}
some() {    # some WHAT PATTERN: at least one line
	if [ "$(count "$2")" -ge 1 ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: no line '$2'"
		fails=$((fails + 1))
	fi
}
good=$(find "$corpus" -name 'good-*' | wc -l)
check "outer signatures verified = good-* seeds" "$good" "$(count '^verified ')"
for alg in ES256 ES384 RS256 EdDSA; do
	some "$alg verified" "^verified $alg\$"
done
check "EAB HS256 verified once" 1 "$(count '^inner-mac-verified HS256$')"
check "keyChange inner JWS verified once" 1 "$(count '^inner-verified ES256$')"
some "bad signatures refused" '^unverified malformed$'
some "alg none / HS256 refused" '^unverified badSignatureAlgorithm$'
some "bad keys refused" '^badkey badPublicKey$'
some "broken bodies refused" '^refused malformed$'
[ "$fails" -eq 0 ]
