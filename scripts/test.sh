#!/bin/bash
# scripts/test.sh: installs what is missing, builds twice (plain, and with
# ASan+UBSan) and runs the whole test suite in both; the last line says
# "N passed, N failed".  make check installs nothing: what the tests need is
# installed here first.  A check that cannot run says "# SKIP: why"; under
# CI=true (set by .ci/run) every skipped check counts as a failed one.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
. "$here/common.sh"

need_packages || exit 1
# without them the SM2 and OpenAPI checks skip, which fails the run under CI=true
need_npm || echo "== going on without the npm packages"
passed=0 failed=0 skipped=0 status=0
ci=0; [ "${CI:-}" = true ] && ci=1

run_suite() {
	local name=$1; shift
	local dir="$src/build/$name"
	echo "== $name build"
	if ! build "$dir" --enable-werror "$@"; then
		echo "== $name build failed"; failed=$((failed + 1)); status=1; return
	fi
	echo "== $name: make check"
	# results of an earlier run must not count: a test that did not run this
	# time (a test program that failed to build) leaves no result
	(cd "$dir" && find tests -name '*.trs' -delete)
	local rc=0
	(cd "$dir" && make -s -j"$(nproc)" check >/dev/null 2>&1) || rc=$?
	# count checks, not programs: cmocka's [ PASSED ]/[ FAILED ] lines and the
	# ok / not ok lines of the shell tests; a program that failed without
	# saying which check counts as one failure
	local p=0 f=0 s=0 t log tp tf ts n
	for t in $(cd "$dir" && find tests -name '*.trs'); do
		log="$dir/${t%.trs}.log"
		tp=$(( $(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | paste -sd+ | sed 's/^$/0/' | bc) + $(grep -c '^ok ' "$log") ))
		tf=$(( $(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | paste -sd+ | sed 's/^$/0/' | bc) + $(grep -c '^not ok ' "$log") ))
		if grep -q '^:test-result: \(FAIL\|ERROR\)' "$dir/$t"; then
			[ "$tf" -eq 0 ] && tf=1
			echo "---- [$name] FAILED: ${t%.trs}"; grep -E '^not ok|FAILED|ERROR|Sanitizer|runtime error' "$log" | head -20
			# exit 124/137: timeout(1) killed it (tests/Makefile.inc's TEST_TIMEOUT)
			grep -qE '\(exit status: (124|137)\)$' "$log" && echo "  (it hung: killed at the time limit; its last lines:)" &&
				grep -vE '^(FAIL|PASS) ' "$log" | tail -5
		fi
		# skips: the largest of the '# SKIP: why' lines, cmocka's count of
		# skipped tests, and 1 for a program that exited 77 (automake's SKIP)
		ts=$(grep -c '^# SKIP: ' "$log")
		n=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$log" | paste -sd+ | sed 's/^$/0/' | bc)
		[ "$n" -gt "$ts" ] && ts=$n
		grep -q '^:test-result: SKIP' "$dir/$t" && [ "$ts" -eq 0 ] && ts=1
		if [ "$ts" -gt 0 ]; then
			echo "---- [$name] SKIPPED $ts: ${t%.trs}$( [ $ci = 1 ] && echo ' (a failure under CI=true)')"
			grep -E '^# SKIP: |^not ok .*CI=true' "$log" | head -5
			grep -q '^# SKIP: ' "$log" || echo "  (it did not say why)"
		fi
		p=$((p + tp)); f=$((f + tf)); s=$((s + ts))
		[ $ci = 1 ] && f=$((f + ts))
	done
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "---- [$name] make check exited $rc with no failed check: see $dir/test-suite.log"
		f=1
	fi
	# where the time goes: CI has 90 minutes for both builds
	echo "   [$name] slowest tests:"
	(cd "$dir" && grep -H '^# [0-9]* checks, [0-9]* failed, [0-9]*s$' tests/integration/*.log) |
		sed 's/^tests\/integration\/\(.*\)\.log:.* \([0-9]*\)s$/\2 \1/' | sort -rn | awk 'NR <= 12 { printf "     %5ss %s\n", $1, $2 }'
	echo "   [$name] $p checks passed, $f failed, $s skipped"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	[ "$f" -eq 0 ] || status=1
}

run_suite plain
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite asan --enable-sanitizers
[ "$skipped" -gt 0 ] && [ $ci = 1 ] && echo "($skipped skipped checks are counted as failed: CI=true)"
echo "$passed passed, $failed failed"
exit $status
