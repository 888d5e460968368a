#!/bin/bash
# tests/bench/bench_ra.sh BUILDDIR: RA throughput over HTTPS with keep-alive
# and a P-256 CA key: BENCH_RA_CLIENTS (default 8) clients run submit ->
# approve -> fetch cycles for BENCH_RA_N CSRs (default 2000); reported with
# p50/p99 per endpoint, beside issuing the same CSRs with ca-tool issue (one
# process per certificate for the first 300, and --batch for all).
set -eu
B=$(cd "$1" && pwd)
N=${BENCH_RA_N:-2000}
CLIENTS=${BENCH_RA_CLIENTS:-8}
PER=300
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=$B
top_srcdir=$(cd "$here/../.." && pwd)
. "$top_srcdir/tests/integration/ra_lib.sh"
ra_setup "rate_limit = 0"
ra_start
mkdir -p "$D/csrs" "$D/out"
"$B/tests/gencsr" ec-p256 "$N" "$D/csrs" >/dev/null
python3 "$top_srcdir/tests/bench/ra_loadgen.py" --port "$PORT" --cacert "$D/root.pem" \
	--token "$TOKEN" --cert "$D/alice.crt" --key "$D/alice.key" --csr-dir "$D/csrs" \
	--n "$N" --clients "$CLIENTS" --profile tls-server --fetch > "$T/load.json"
ra_stop
r() { python3 -c "import json; j=json.load(open('$T/load.json')); print($1)"; }
http_rate=$(r "'%.0f' % j['issued_per_s']")
echo "ra-server: $(r "len(j['serials'])") certificates in $(r "'%.2f' % j['wall']") s over HTTPS ($CLIENTS clients, keep-alive): $http_rate issued/s (errors: $(r "j['nerrors']"))"
for e in submit approve fetch; do
	echo "  $e: p50 $(r "'%.2f' % j['latency_ms']['$e']['p50']") ms, p99 $(r "'%.2f' % j['latency_ms']['$e']['p99']") ms"
done
# the same CSRs through ca-tool, in a fresh home with the same CA setup
export GOVPKI_HOME="$T/home2"
ct init --name root --key-type ec-p256 --subject "/CN=Root" >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/CN=Issuing" >/dev/null
ls "$D/csrs" | head -n "$PER" > "$T/per.list"
t0=$(date +%s.%N)
while read -r f; do ct issue --ca issuing --profile tls-server --csr "$D/csrs/$f" --out /dev/null >/dev/null 2>&1; done < "$T/per.list"
t1=$(date +%s.%N)
per_rate=$(python3 -c "print('%.0f' % ($PER / ($t1 - $t0)))")
echo "ca-tool issue, one process per certificate: $per_rate issued/s ($PER)"
t0=$(date +%s.%N)
ct issue --ca issuing --profile tls-server --batch "$D/csrs" --out-dir "$D/out" >/dev/null 2>&1
t1=$(date +%s.%N)
batch_rate=$(python3 -c "print('%.0f' % ($N / ($t1 - $t0)))")
echo "ca-tool issue --batch: $batch_rate issued/s ($N)"
# what the disk allows: SQLite commits (WAL, synchronous=FULL, as the store) per second
commits=$(python3 - "$T/fsync.db" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('pragma journal_mode=wal'); c.execute('pragma synchronous=full'); c.execute('create table t(x)')
n = 2000; t0 = time.perf_counter()
for i in range(n):
    c.execute('begin immediate'); c.execute('insert into t values (?)', (i,)); c.execute('commit')
print('%.0f' % (n / (time.perf_counter() - t0)))
PY
)
echo "fsynced SQLite commits/s on this disk: $commits; the workflow commits 4 times per certificate (submit, approval, issuance, final state), serialised: ceiling $((commits / 4)) certificates/s"
python3 -c "print('HTTP workflow (submit+approve+fetch, 4 commits per certificate) vs ca-tool --batch: %.2fx; vs one ca-tool process per certificate: %.2fx' % ($http_rate / $batch_rate, $http_rate / $per_rate))"
