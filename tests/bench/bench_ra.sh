#!/bin/bash
# tests/bench/bench_ra.sh BUILDDIR: RA throughput over HTTPS with keep-alive
# and a P-256 CA key: BENCH_RA_CLIENTS (default 32) clients run submit ->
# approve -> fetch cycles for BENCH_RA_N CSRs (default 4000) against
# ra-server with BENCH_RA_THREADS worker threads (default 16); reported with
# p50/p99 per endpoint, beside issuing the same CSRs with ca-tool issue
# (--batch for all, each run; one process per certificate for the first
# 300, once).  Medians of BENCH_RUNS runs (default 3).
# The client is tests/bench/bench_ra_client.c (C, OpenSSL, one thread per
# client), built here with cc: 8 Python processes (ra_loadgen.py,
# BENCH_RA_CLIENT=py) spend more of the 2 cores than the server does.
set -eu
B=$(cd "$1" && pwd)
N=${BENCH_RA_N:-4000}
CLIENTS=${BENCH_RA_CLIENTS:-32}
THREADS=${BENCH_RA_THREADS:-16}
RUNS=${BENCH_RUNS:-3}
CLIENT=${BENCH_RA_CLIENT:-c}
PER=300
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=$B
top_srcdir=$(cd "$here/../.." && pwd)
. "$top_srcdir/tests/integration/ra_lib.sh"
if [ "$CLIENT" = c ] && ! cc -O2 -Wall -o "$T/bench_ra_client" "$here/bench_ra_client.c" \
	$(pkg-config --cflags --libs openssl) -lpthread; then
	echo "(cannot build bench_ra_client.c: using ra_loadgen.py)"
	CLIENT=py
fi
ra_setup "rate_limit = 0"
ra_start --threads "$THREADS"
mkdir -p "$D/csrs" "$D/out"
"$B/tests/gencsr" ec-p256 "$N" "$D/csrs" >/dev/null
# the same CSRs through ca-tool, in a fresh home with the same CA setup
H2="$T/home2"
GOVPKI_HOME=$H2 ct init --name root --key-type ec-p256 --subject "/CN=Root" >/dev/null
GOVPKI_HOME=$H2 ct init --name issuing --parent root --key-type ec-p256 --subject "/CN=Issuing" >/dev/null
r() { python3 -c "import json; j=json.load(open('$1')); print($2)"; }
med() { python3 -c "import sys, statistics; print('%.${2:-0}f' % statistics.median(float(x) for x in sys.argv[1].split()))" "$1"; }
rates= ; brates= ; declare -A p50 p99
for run in $(seq 1 "$RUNS"); do
	if [ "$CLIENT" = c ]; then
		"$T/bench_ra_client" --port "$PORT" --cacert "$D/root.pem" --token "$TOKEN" \
			--cert "$D/alice.crt" --key "$D/alice.key" --csr-dir "$D/csrs" --n "$N" \
			--clients "$CLIENTS" --profile tls-server --fetch > "$T/load$run.json" || true   # exits 1 on any error: its JSON counts them, printed below
	else
		python3 "$top_srcdir/tests/bench/ra_loadgen.py" --port "$PORT" --cacert "$D/root.pem" \
			--token "$TOKEN" --cert "$D/alice.crt" --key "$D/alice.key" --csr-dir "$D/csrs" \
			--n "$N" --clients "$CLIENTS" --profile tls-server --fetch > "$T/load$run.json"
	fi
	L=$T/load$run.json
	rate=$(r "$L" "'%.0f' % j['issued_per_s']")
	rates="$rates $rate"
	echo "run $run: ra-server: $(r "$L" "len(j['serials'])") certificates in $(r "$L" "'%.2f' % j['wall']") s over HTTPS ($CLIENTS $CLIENT clients, keep-alive, $THREADS server threads): $rate issued/s (errors: $(r "$L" "j['nerrors']"), duplicate serials: $(r "$L" "len(j['serials']) - len(set(j['serials']))"))"
	for e in submit approve fetch; do
		a=$(r "$L" "'%.2f' % j['latency_ms']['$e']['p50']"); b=$(r "$L" "'%.2f' % j['latency_ms']['$e']['p99']")
		p50[$e]="${p50[$e]:-} $a"; p99[$e]="${p99[$e]:-} $b"
		echo "  $e: p50 $a ms, p99 $b ms"
	done
	rm -rf "$D/out"; mkdir -p "$D/out"
	t0=$(date +%s.%N)
	GOVPKI_HOME=$H2 ct issue --ca issuing --profile tls-server --batch "$D/csrs" --out-dir "$D/out" >/dev/null 2>&1
	t1=$(date +%s.%N)
	brate=$(python3 -c "print('%.0f' % ($N / ($t1 - $t0)))")
	brates="$brates $brate"
	echo "  ca-tool issue --batch, same CSRs, right after: $brate issued/s ($N)"
done
curl -sf --cacert "$D/root.pem" --cert "$D/carol.crt" --key "$D/carol.key" "$URL/metrics" > "$T/metrics"
groups=$(awk '/^ra_write_groups_total/ {print $2}' "$T/metrics")
gwrites=$(awk '/^ra_group_writes_total/ {print $2}' "$T/metrics")
ra_stop
ls "$D/csrs" | sed -n "1,${PER}p" > "$T/per.list"
t0=$(date +%s.%N)
while read -r f; do GOVPKI_HOME=$H2 ct issue --ca issuing --profile tls-server --csr "$D/csrs/$f" --out /dev/null >/dev/null 2>&1; done < "$T/per.list"
t1=$(date +%s.%N)
per_rate=$(python3 -c "print('%.0f' % ($PER / ($t1 - $t0)))")
http_rate=$(med "$rates"); batch_rate=$(med "$brates")
echo "median of $RUNS runs: ra-server $http_rate issued/s (runs:$rates); ca-tool issue --batch $batch_rate issued/s (runs:$brates)"
for e in submit approve fetch; do
	echo "  $e: p50 $(med "${p50[$e]}" 2) ms, p99 $(med "${p99[$e]}" 2) ms (medians)"
done
echo "ca-tool issue, one process per certificate: $per_rate issued/s ($PER)"
[ -n "$groups" ] && [ -n "$gwrites" ] && python3 -c "print('writer: %d group commits for %d writes (%.1f writes per commit)' % ($groups, $gwrites, $gwrites / max(1, $groups)))"
ct audit verify >/dev/null && echo "audit chain of the RA's store: verifies"
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
echo "fsynced SQLite commits/s on this disk: $commits (one commit per certificate would cap at that; the writer groups them)"
python3 -c "print('HTTP workflow (submit+approve+fetch) vs ca-tool --batch: %.2fx; vs one ca-tool process per certificate: %.2fx' % ($http_rate / $batch_rate, $http_rate / $per_rate))"
