#!/bin/bash
# tests/bench/bench_est.sh BUILDDIR: EST simpleenroll (RFC 7030 §4.2.1) throughput over
# HTTPS with keep-alive and a P-256 CA key: BENCH_EST_CLIENTS (default 32) clients, each
# one connection with an enrolment secret (HTTP Basic), enrol BENCH_EST_N P-256 CSRs
# (default 4000) in a profile with est_approval = auto, against ra-server with
# BENCH_EST_THREADS worker threads (default 16); beside `ca-tool issue --batch` of the
# same CSRs (the reference, in the same run). Medians of BENCH_RUNS runs (default 3).
# The client is tests/bench/bench_ra_client.c --est (C, OpenSSL), built here with cc;
# it reads each serial from the PKCS#7 answer, so duplicates are counted.
set -eu
B=$(cd "$1" && pwd)
N=${BENCH_EST_N:-4000}
CLIENTS=${BENCH_EST_CLIENTS:-32}
THREADS=${BENCH_EST_THREADS:-16}
RUNS=${BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=$B
top_srcdir=$(cd "$here/../.." && pwd)
. "$top_srcdir/tests/integration/ra_lib.sh"
cc -O2 -Wall -o "$T/bench_ra_client" "$here/bench_ra_client.c" \
	$(pkg-config --cflags --libs openssl) -lpthread
ra_setup "rate_limit = 0
[profile.tls-server]
est = yes
est_approval = auto"
ra_start --threads "$THREADS"
SECRET=$(ct --config "$CONF" est secret create --profile tls-server --name bench 2>/dev/null)
mkdir -p "$D/csrs" "$D/out"
"$B/tests/gencsr" ec-p256 "$N" "$D/csrs" >/dev/null
H2="$T/home2"
GOVPKI_HOME=$H2 ct init --name root --key-type ec-p256 --subject "/CN=Root" >/dev/null
GOVPKI_HOME=$H2 ct init --name issuing --parent root --key-type ec-p256 --subject "/CN=Issuing" >/dev/null
r() { python3 -c "import json; j=json.load(open('$1')); print($2)"; }
med() { python3 -c "import sys, statistics; print('%.${2:-0}f' % statistics.median(float(x) for x in sys.argv[1].split()))" "$1"; }
rates= ; brates= ; p50s= ; p99s= ; total=0
for run in $(seq 1 "$RUNS"); do
	L=$T/load$run.json
	"$T/bench_ra_client" --est bench --port "$PORT" --cacert "$D/root.pem" --token "$SECRET" \
		--csr-dir "$D/csrs" --n "$N" --clients "$CLIENTS" --profile tls-server > "$L" || true   # exits 1 on any error: its JSON counts them, printed below
	rate=$(r "$L" "'%.0f' % j['issued_per_s']")
	rates="$rates $rate"
	total=$((total + $(r "$L" "len(j['serials'])")))
	a=$(r "$L" "'%.2f' % j['latency_ms']['simpleenroll']['p50']"); b=$(r "$L" "'%.2f' % j['latency_ms']['simpleenroll']['p99']")
	p50s="$p50s $a"; p99s="$p99s $b"
	echo "run $run: ra-server EST: $(r "$L" "len(j['serials'])") certificates in $(r "$L" "'%.2f' % j['wall']") s ($CLIENTS clients, keep-alive, $THREADS server threads): $rate issued/s, simpleenroll p50 $a ms, p99 $b ms (errors: $(r "$L" "j['nerrors']") $(r "$L" "j['errors'][0]"), duplicate serials: $(r "$L" "j['duplicate_serials']"))"
	rm -rf "$D/out"; mkdir -p "$D/out"
	t0=$(date +%s.%N)
	GOVPKI_HOME=$H2 ct issue --ca issuing --profile tls-server --batch "$D/csrs" --out-dir "$D/out" >/dev/null 2>&1
	t1=$(date +%s.%N)
	brate=$(python3 -c "print('%.0f' % ($N / ($t1 - $t0)))")
	brates="$brates $brate"
	echo "  ca-tool issue --batch, same CSRs, right after: $brate issued/s ($N)"
done
ra_stop
stored=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM cert WHERE profile = 'tls-server'")
dups=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) - count(DISTINCT hex(serial)) FROM cert")
audited=$(sqlite3 "$GOVPKI_HOME/govpki.db" "SELECT count(*) FROM audit WHERE action = 'est.simpleenroll' AND detail LIKE '%result=issued%'")
echo "median of $RUNS runs: ra-server EST simpleenroll $(med "$rates") issued/s (runs:$rates), p50 $(med "$p50s" 2) ms, p99 $(med "$p99s" 2) ms; ca-tool issue --batch $(med "$brates") issued/s (runs:$brates)"
echo "store: $stored tls-server certificates (1 is the server's own; $total enrolled), $dups duplicate serials, $audited est.simpleenroll entries with result=issued"
if ct audit verify > "$T/verify" 2>&1; then echo "audit chain verifies"; else echo "audit chain does NOT verify: $(cat "$T/verify")"; fi
