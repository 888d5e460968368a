#!/bin/bash
# tests/bench/bench_ocsp.sh BUILDDIR: the OCSP responder under wrk (2 threads,
# 8 keep-alive connections), beside `openssl ocsp -index -port -multi 2` and
# nginx serving the same pre-signed responses as static files, on the same
# CA (P-256), certificates and pre-generated requests, in one run.
# Medians of BENCH_RUNS runs (default 3) of BENCH_SECS seconds (default 5).
# Then: resident memory with BENCH_OCSP_FILL certificates in the store
# (default 1000000) after some load, and how long a revocation takes to show
# in answers under load (refresh_seconds = BENCH_OCSP_REFRESH, default 5).
# With SoftHSM2 installed, a second issuing CA whose key is in a SoftHSM2
# token answers POSTs in the same runs: the HSM key's signing rate against
# the file key's (issue 6).
set -eu
B=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECS:-5}
NCERT=${BENCH_OCSP_CERTS:-16}
NREQ=${BENCH_OCSP_REQS:-256}
FILL=${BENCH_OCSP_FILL:-1000000}
REFRESH=${BENCH_OCSP_REFRESH:-5}
CT="$B/ca-tool"
RESPONDER="$B/ocsp-responder"
export GOVPKI_PASSPHRASE=bench-pass

need() { command -v "$1" >/dev/null || { echo "bench_ocsp: $1 is not installed (Debian package $2; scripts/bench.sh installs it)" >&2; exit 1; }; }
need wrk wrk
need nginx nginx-light
need bc bc
[ -x "$B/tests/bench/bench_ca" ] || make -C "$B" tests/bench/bench_ca >/dev/null
[ -x "$B/tests/gencsr" ] || make -C "$B" tests/gencsr >/dev/null

W=$(mktemp -d /tmp/govpki-bench-ocsp.XXXXXX)
PIDS=()
cleanup() {
	local p
	# the daemons, as a group or alone; those that exited already are fine
	for p in "${PIDS[@]}"; do kill -9 -- "-$p" 2>/dev/null || kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# start DAEMON ARGS...: sets LASTPID.  openssl ocsp -multi puts itself and
# its children in a process group of its own (and fails in a new session:
# no setsid here), so stop signals the group when there is one.
start() { "$@" >>"$W/daemon.log" 2>&1 & LASTPID=$!; PIDS+=("$LASTPID"); }
# stop PID: SIGTERM (to its group if it has one), SIGKILL after 3 s; a
# benchmark's daemon, whose exit status measures nothing, so it is not checked
stop() {
	local i
	kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null || true   # may have exited
	for i in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 -- "-$1" 2>/dev/null || kill -9 "$1" 2>/dev/null || true         # gone by now, mostly
	wait "$1" 2>/dev/null || true                                            # see above
}
# wait_ocsp URL: at most 10 s for an answer to a valid request
wait_ocsp() {
	local i
	for i in $(seq 100); do
		timeout 2 openssl ocsp -reqin "$W/get/0.der" -url "$1" -noverify -resp_text > "$W/wait.out" 2>&1 &&
			grep -q "Response Status: successful" "$W/wait.out" && return 0
		sleep 0.1
	done
	echo "no OCSP answer from $1:" >&2; tail -5 "$W/daemon.log" >&2
	return 1
}
# wrk_run OUT URL SCRIPT LIST: one wrk run; OUT gets "rate p50_ms p99_ms"
wrk_run() {
	wrk -t2 -c8 -d"${SECS}s" --latency -s "$here/$3" "$2" -- "$4" > "$W/wrk.out" 2>&1
	awk '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
	/Requests\/sec/ { rate = $2 }
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx|Socket errors/ { bad = bad " " $0 }
	END { printf "%.0f %.3f %.3f\n", rate, p50, p99; if (bad != "") print "wrk:" bad > "/dev/stderr" }' "$W/wrk.out" > "$1"
}

# ---- one CA, NCERT certificates (two revoked), the requests -------------------
H="$W/home"
"$CT" --home "$H" init --name root --key-type ec-p256 --subject "/CN=Bench OCSP Root" >/dev/null
"$CT" --home "$H" init --name issuing --parent root --key-type ec-p256 --subject "/CN=Bench OCSP Issuing" >/dev/null
"$CT" --home "$H" export --ca issuing --out "$W/issuing.pem"
"$CT" --home "$H" export --ca root --out "$W/root.pem"
mkdir -p "$W/csr" "$W/certs" "$W/req" "$W/get" "$W/www/r"
"$B/tests/gencsr" ec-p256 "$NCERT" "$W/csr" >/dev/null
"$CT" --home "$H" issue --ca issuing --profile tls-server --batch "$W/csr" --out-dir "$W/certs" >/dev/null
certs=("$W"/certs/*.pem)
for i in 0 1; do
	"$CT" --home "$H" revoke --ca issuing --serial "$(openssl x509 -in "${certs[$i]}" -noout -serial | cut -d= -f2)" \
		--reason keyCompromise >/dev/null
done
# openssl ocsp's index of the same certificates, and the CA key it signs with
: > "$W/index.txt"
for i in "${!certs[@]}"; do
	c=${certs[$i]}
	sn=$(openssl x509 -in "$c" -noout -serial | cut -d= -f2)
	exp=$(date -u -d "$(openssl x509 -in "$c" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
	subj=$(openssl x509 -in "$c" -noout -subject -nameopt compat | sed 's/^subject=//')
	if [ "$i" -lt 2 ]; then st=R; rev="$(date -u +%y%m%d%H%M%SZ),keyCompromise"; else st=V; rev=; fi
	printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$st" "$exp" "$rev" "$sn" "$subj" >> "$W/index.txt"
done
# NREQ requests with nonces (each its own), rotating over the certificates;
# one nonce-less request per certificate for GET
for i in $(seq 0 $((NREQ - 1))); do
	openssl ocsp -issuer "$W/issuing.pem" -cert "${certs[$((i % NCERT))]}" -reqout "$W/req/$i.der" >/dev/null 2>&1
	echo "$W/req/$i.der"
done > "$W/post.list"
for i in "${!certs[@]}"; do
	openssl ocsp -issuer "$W/issuing.pem" -cert "${certs[$i]}" -no_nonce -reqout "$W/get/$i.der" >/dev/null 2>&1
	echo "/$(base64 -w0 "$W/get/$i.der" | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')"
done > "$W/get.list"

# ---- a second issuing CA with its key in SoftHSM2 (CA-signed responses) ----------
HSM=0
P11MOD=/usr/lib/softhsm/libsofthsm2.so
if [ -f "$P11MOD" ] && command -v softhsm2-util >/dev/null; then
	HSM=1
	mkdir -p "$W/tokens" "$W/hcsr" "$W/hcerts" "$W/hreq"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" > "$W/softhsm2.conf"
	export SOFTHSM2_CONF="$W/softhsm2.conf" GOVPKI_PKCS11_MODULE=$P11MOD GOVPKI_PIN=1234
	softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 >/dev/null
	"$CT" key generate --token pkcs11:token=bench --label issuing-hsm --type ec-p256 >/dev/null
	"$CT" --home "$H" init --name issuing-hsm --parent root --key "pkcs11:token=bench;object=issuing-hsm" \
		--subject "/CN=Bench OCSP Issuing HSM" >/dev/null
	"$CT" --home "$H" export --ca issuing-hsm --out "$W/issuing-hsm.pem"
	"$B/tests/gencsr" ec-p256 "$NCERT" "$W/hcsr" >/dev/null
	"$CT" --home "$H" issue --ca issuing-hsm --profile tls-server --batch "$W/hcsr" --out-dir "$W/hcerts" >/dev/null
	hcerts=("$W"/hcerts/*.pem)
	for i in $(seq 0 $((NREQ - 1))); do
		openssl ocsp -issuer "$W/issuing-hsm.pem" -cert "${hcerts[$((i % NCERT))]}" -reqout "$W/hreq/$i.der" >/dev/null 2>&1
		echo "$W/hreq/$i.der"
	done > "$W/post_hsm.list"
fi

# ---- the three servers ----------------------------------------------------------
printf '[ocsp]\nrefresh_seconds = %s\n' "$REFRESH" > "$W/ocsp.cnf"
start_ours() {
	rm -f "$W/port"
	start "$RESPONDER" --home "$1" --config "$W/ocsp.cnf" --listen 127.0.0.1:0 --port-file "$W/port"
	OURPID=$LASTPID
	for i in $(seq 200); do [ -s "$W/port" ] && break; sleep 0.05; done
	OURS="http://127.0.0.1:$(cat "$W/port")"
	wait_ocsp "$OURS"
}
start_ours "$H"
# the pre-signed responses, fetched from us, as nginx's static files
for i in "${!certs[@]}"; do
	curl -sf -o "$W/www/r/$i" "$OURS$(sed -n "$((i + 1))p" "$W/get.list")"
	echo "/r/$i"
done > "$W/static.list"
NPORT=$(freeport)
cat > "$W/nginx.conf" <<CONF
worker_processes $(nproc);
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	open_file_cache max=1000 inactive=60s;     # no open/stat per request: nginx at its best
	tcp_nopush on;
	keepalive_requests 100000000;
	types { }
	default_type application/ocsp-response;
	client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp;
	uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
	server { listen 127.0.0.1:$NPORT; root $W/www; }
}
CONF
mkdir -p "$W/tmp"
chmod a+rx "$W" && chmod -R a+rX "$W/www"      # nginx's workers run as www-data
start nginx -c "$W/nginx.conf" -g "daemon off;"
NGINXPID=$LASTPID
NGINX="http://127.0.0.1:$NPORT"
for i in $(seq 100); do curl -sf -o /dev/null "$NGINX/r/0" && break; sleep 0.1; done
curl -sf "$NGINX/r/0" | cmp -s - "$W/www/r/0" || { echo "nginx does not serve the responses:"; cat "$W/nginx.err"; exit 1; }
OPORT=$(freeport)
OSSL="http://127.0.0.1:$OPORT"

for r in $(seq "$RUNS"); do
	wrk_run "$W/ours_post.$r" "$OURS" ocsp_post.lua "$W/post.list"
	[ "$HSM" = 1 ] && wrk_run "$W/ours_post_hsm.$r" "$OURS" ocsp_post.lua "$W/post_hsm.list"
	# openssl ocsp afresh each run: its children are left spinning by
	# connections wrk cuts off at the end of a run
	start openssl ocsp -index "$W/index.txt" -port "$OPORT" -rsigner "$W/issuing.pem" \
		-rkey "$H/keys/issuing.key" -passin env:GOVPKI_PASSPHRASE -CA "$W/issuing.pem" \
		-multi 2 -nmin 60
	OSSLPID=$LASTPID
	wait_ocsp "$OSSL"
	wrk_run "$W/ossl_post.$r" "$OSSL" ocsp_post.lua "$W/post.list"
	stop "$OSSLPID"
	wrk_run "$W/ours_get.$r" "$OURS" ocsp_get.lua "$W/get.list"
	wrk_run "$W/nginx_get.$r" "$NGINX" ocsp_get.lua "$W/static.list"
done
stop "$NGINXPID"
col() { for r in $(seq "$RUNS"); do cut -d' ' -f"$2" "$W/$1.$r"; done | median; }
# check: the answers verify and carry the nonce
openssl ocsp -reqin "$W/req/3.der" -url "$OURS" -CAfile "$W/root.pem" -issuer "$W/issuing.pem" \
	-VAfile "$W/issuing.pem" > "$W/check" 2>&1 && grep -q "Response verify OK" "$W/check" ||
	{ echo "our POST answer does not verify:"; cat "$W/check"; exit 1; }

op=$(col ours_post 1); oo=$(col ossl_post 1); og=$(col ours_get 1); ng=$(col nginx_get 1)
echo "OCSP over HTTP, P-256 responder key (the CA's), $NCERT certificates, wrk -t2 -c8 ${SECS}s,"
echo "median of $RUNS runs, $(nproc) cores (responses/s; latency p50 / p99):"
echo "  POST with a nonce, signed per request    $op/s  $(col ours_post 2) / $(col ours_post 3) ms   = $(ratio "$op" "$oo")x openssl ocsp -multi 2"
echo "  openssl ocsp -index -port -multi 2       $oo/s  $(col ossl_post 2) / $(col ossl_post 3) ms"
echo "  GET nonce-less, pre-signed (cached)      $og/s  $(col ours_get 2) / $(col ours_get 3) ms   = $(ratio "$og" "$ng")x nginx"
echo "  nginx, the same responses as files       $ng/s  $(col nginx_get 2) / $(col nginx_get 3) ms"
if [ "$HSM" = 1 ]; then
	openssl ocsp -reqin "$W/hreq/3.der" -url "$OURS" -CAfile "$W/root.pem" -issuer "$W/issuing-hsm.pem" \
		-VAfile "$W/issuing-hsm.pem" > "$W/check" 2>&1 && grep -q "Response verify OK" "$W/check" ||
		{ echo "our POST answer signed in SoftHSM2 does not verify:"; cat "$W/check"; exit 1; }
	oh=$(col ours_post_hsm 1)
	echo "  POST with a nonce, CA key in SoftHSM2    $oh/s  $(col ours_post_hsm 2) / $(col ours_post_hsm 3) ms   = $(ratio "$oh" "$op")x the same key type in a file"
fi
lib=$("$B/tests/bench/bench_ocsp" respond "$H" "$W/post.list" "$SECS" 1)
echo "  gp_ocsp_respond alone, one thread: $(echo "$lib" | cut -d' ' -f5)/s per CPU second ($(echo "$lib" | cut -d' ' -f4)/s wall)"
stop "$OURPID"

# ---- memory with FILL certificates, and a revocation under load -------------------
t0=$(date +%s.%N)
"$B/tests/bench/bench_ca" fill "$H" issuing "$FILL" >/dev/null
echo "store filled with $FILL more (revoked) certificates in $(echo "$(date +%s.%N) - $t0" | bc -l | xargs printf '%.0f') s"
start_ours "$H"
wrk_run "$W/mem_post" "$OURS" ocsp_post.lua "$W/post.list"
wrk_run "$W/mem_get" "$OURS" ocsp_get.lua "$W/get.list"
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$OURPID/status")
echo "responder resident memory after $((2 * SECS)) s of load, $((FILL + NCERT)) certificates in the store: $((rss / 1024)) MiB (VmRSS)"
echo "  under that load: POST $(cut -d' ' -f1 "$W/mem_post")/s, GET $(cut -d' ' -f1 "$W/mem_get")/s"

# revoke the last certificate while wrk runs; poll with openssl ocsp (a fresh
# nonce each time) and with a GET of the cached response
last=${certs[$((NCERT - 1))]}
ocsp_state() {
	openssl ocsp -issuer "$W/issuing.pem" -cert "$last" -url "$OURS" -CAfile "$W/root.pem" \
		-VAfile "$W/issuing.pem" 2>/dev/null | awk -v c="$last:" '$1 == c { print $2 }'
}
[ "$(ocsp_state)" = good ] || { echo "the certificate is not good before its revocation"; exit 1; }
wrk -t2 -c8 -d"$((REFRESH + 15))s" -s "$here/ocsp_post.lua" "$OURS" -- "$W/post.list" > "$W/wrk.bg" 2>&1 &
WRK=$!
t0=$(date +%s.%N)
"$CT" --home "$H" revoke --ca issuing --serial "$(openssl x509 -in "$last" -noout -serial | cut -d= -f2)" \
	--reason keyCompromise >/dev/null
t1=$(date +%s.%N)
for i in $(seq $((REFRESH * 20 + 100))); do
	[ "$(ocsp_state)" = revoked ] && break
	sleep 0.1
done
t2=$(date +%s.%N)
state=$(ocsp_state)
curl -s -o "$W/get.der" "$OURS$(sed -n "${NCERT}p" "$W/get.list")"
gstate=$(openssl ocsp -respin "$W/get.der" -issuer "$W/issuing.pem" -cert "$last" -CAfile "$W/root.pem" \
	-VAfile "$W/issuing.pem" 2>/dev/null | awk -v c="$last:" '$1 == c { print $2 }')
kill "$WRK" 2>/dev/null || true   # the load's end: wrk may be done already
wait "$WRK" 2>/dev/null || true   # killed, its status says nothing
echo "revocation under load (refresh_seconds = $REFRESH): ca-tool revoke took $(echo "$t1 - $t0" | bc -l | xargs printf '%.2f') s;" \
	"POST answers $state $(echo "$t2 - $t1" | bc -l | xargs printf '%.2f') s after it, cached GET $gstate"
stop "$OURPID"
