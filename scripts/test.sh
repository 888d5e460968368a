#!/bin/bash
# scripts/test.sh: installs what is missing, builds twice (plain, and with
# ASan+UBSan) and runs the whole test suite in both; the last line says
# "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/common.sh"

need_packages || exit 1
passed=0 failed=0 status=0

run_suite() {
	local name=$1; shift
	local dir="$src/build/$name"
	echo "== $name build"
	if ! build "$dir" --enable-werror "$@"; then
		echo "== $name build failed"; failed=$((failed + 1)); status=1; return
	fi
	echo "== $name: make check"
	(cd "$dir" && make -s -j"$(nproc)" check >/dev/null 2>&1)
	local log="$dir/test-suite.log"
	local p f
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	f=$(( $(sed -n 's/^# FAIL: *//p' "$log" | head -1) + $(sed -n 's/^# ERROR: *//p' "$log" | head -1) \
		+ $(sed -n 's/^# XPASS: *//p' "$log" | head -1) ))
	sed -n '/^# TOTAL/,/^# ERROR/p' "$log" | sed "s/^/   [$name] /"
	for t in $(cd "$dir" && find tests -name '*.log' ! -name test-suite.log); do
		grep -q '^:test-result: \(FAIL\|ERROR\)' "$dir/${t%.log}.trs" 2>/dev/null &&
			{ echo "---- $name: $t"; tail -40 "$dir/$t"; }
	done
	passed=$((passed + ${p:-0})); failed=$((failed + f))
	[ "$f" -eq 0 ] || status=1
}

run_suite plain
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite asan --enable-sanitizers
echo "$passed passed, $failed failed"
exit $status
