#!/bin/bash
# tests/integration/version.sh: every program's --version names the version
# AC_INIT gives in configure.ac (read here from the file, not from the
# library), exits 0 and opens no store; the installed headers agree.
. "$(dirname "$0")/lib.sh"

want=$(sed -n 's/^AC_INIT(\[govpki\], \[\([0-9.]*\)\].*/\1/p' "$top_srcdir/configure.ac")
[ -n "$want" ] || { echo "no version in configure.ac" >&2; exit 99; }

for p in ca-tool seal-tool ra-server ocsp-responder tsa-server; do
	rc=0
	(cd "$T" && "$top_builddir/$p" --version) >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -eq 0 ] && [ "$(cat "$T/out")" = "$p (govpki) $want" ] && [ ! -s "$T/err" ]; then
		ok "$p --version prints $want"
	else
		not_ok "$p --version (exit $rc)"; show 3 "$T/out" "$T/err"
	fi
done
[ ! -e "$GOVPKI_HOME" ] && ok "--version opened no store" || not_ok "--version created $GOVPKI_HOME"

# the header's macros, compiled against the build's include/ (version.h is
# written there by configure)
cat > "$T/v.c" <<'C'
#include <stdio.h>
#include <govpki/version.h>
int main(void) {
	printf("%s %d.%d.%d %06x\n", GP_VERSION_STRING, GP_VERSION_MAJOR, GP_VERSION_MINOR,
	    GP_VERSION_PATCH, (unsigned)GP_VERSION_NUMBER);
	return 0;
}
C
IFS=. read -r ma mi pa <<<"$want"
if ${CC:-cc} -I"$top_builddir/include" -I"$top_srcdir/include" -o "$T/v" "$T/v.c" 2>"$T/err" &&
    [ "$("$T/v")" = "$want $want $(printf '%02x%02x%02x' "$ma" "$mi" "$pa")" ]; then
	ok "GP_VERSION_* say $want"
else
	not_ok "GP_VERSION_* do not say $want"; show 5 "$T/err"
fi

echo "# $checks checks, $fails failed"
[ "$fails" -eq 0 ]
