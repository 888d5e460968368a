#!/bin/bash
# tests/symbols.sh: libgovpki exports exactly its public API: every dynamic
# symbol of the shared library is declared GP_EXPORT in include/govpki/,
# and every GP_EXPORT declaration is exported (the library is built with
# -fvisibility=hidden; a lost flag would export every internal function).
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
so=
for f in "$top_builddir"/.libs/libgovpki.so.[0-9]*; do [ -e "$f" ] && { so=$f; break; }; done
[ -n "$so" ] || { echo "libgovpki.so not built in $top_builddir/.libs" >&2; exit 99; }
T=$(mktemp -d "${TMPDIR:-/tmp}/govpki-sym.XXXXXX")
trap 'rm -rf "$T"' EXIT

nm -D --defined-only "$so" | awk '$2 ~ /^[TDRBV]$/ { print $3 }' | sort -u > "$T/exported"
python3 - "$top_srcdir"/include/govpki/*.h "$top_builddir/include/govpki/version.h" > "$T/declared" <<'PY'
import re, sys
names = set()
for path in sys.argv[1:]:
    text = re.sub(r'/\*.*?\*/', ' ', open(path).read(), flags=re.S)
    text = re.sub(r'(?m)^\s*#.*$', ' ', text)
    for decl in re.findall(r'\bGP_EXPORT\b([^;{]*)', text):
        m = re.search(r'(\w+)\s*\(', decl) or re.search(r'(\w+)\s*(\[[^\]]*\])?\s*$', decl.strip())
        if m:
            names.add(m.group(1))
names.discard('GP_EXPORT')
print('\n'.join(sorted(names)))
PY

n=0 bad=0
check() {
	n=$((n + 1))
	if [ -s "$2" ]; then
		bad=$((bad + 1)); echo "not ok $n - $1"; sed -n '1,20s/^/#   /p' "$2"
	else
		echo "ok $n - $1"
	fi
}
[ "$(wc -l < "$T/exported")" -gt 100 ] && echo "ok $((n += 1)) - libgovpki exports its API ($(wc -l < "$T/exported") symbols)" ||
	{ n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - libgovpki exports its API"; }
comm -23 "$T/exported" "$T/declared" > "$T/extra"
check "every exported symbol is declared GP_EXPORT in a public header" "$T/extra"
comm -13 "$T/exported" "$T/declared" > "$T/missing"
check "every GP_EXPORT declaration is exported" "$T/missing"
echo "# $n checks, $bad failed"
[ "$bad" -eq 0 ]
