# tests/tap.sh: TAP lines for the tests in tests/ (those in tests/integration/
# have lib.sh): ok, not_ok, and finish, which prints the plan and the count
# and exits 0 only when no check failed.  Sourced after top_srcdir is set.
set -u -o pipefail
n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; }
finish() { echo "1..$n"; echo "# $n checks, $bad failed"; [ "$bad" -eq 0 ]; exit; }
