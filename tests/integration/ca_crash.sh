#!/bin/bash
# ca_crash: SIGKILL `ca-tool issue --batch` in the middle.  Every certificate
# it had written out is in the store, no serial appears twice, and the store
# opens cleanly with an intact audit chain.
. "$(dirname "$0")/lib.sh"

N=20000
K=3000      # lines read before the kill; the pipe stops the tool ~1,000 lines ahead
mkdir -p "$T/csr" "$T/out"
ct init --name root --subject "/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --subject "/CN=Issuing" $PASS >/dev/null
"$top_builddir/tests/gencsr" ec-p256 "$N" "$T/csr"

# the batch prints one line per certificate written; after K lines we kill
# it while it is still blocked writing to the pipe, far from its end
coproc BATCH { exec "$CA_TOOL" issue --ca issuing --profile tls-server --batch "$T/csr" --out-dir "$T/out" $PASS 2>"$T/batch.err"; }
pid=$BATCH_PID
for ((i = 0; i < K; i++)); do read -r _ <&"${BATCH[0]}"; done
kill -KILL "$pid"
db="$GOVPKI_HOME/govpki.db"
SERIALS="python3 $top_srcdir/tests/integration/pem_serials.py"

# after_kill WHICH OUT-DIR AT-LEAST: the killed batch's exit, then every
# certificate it wrote out is in the store, no serial twice, the store
# sound and its audit chain intact
after_kill() {
	local which=$1 out=$2 least=$3 rc written missing dups
	# (2>/dev/null: bash's own "Killed" notice; the status is what is checked)
	wait "$pid" 2>/dev/null && rc=0 || rc=$?
	[ "$rc" -eq 137 ] && ok "$which: batch killed by SIGKILL" || not_ok "$which: batch killed by SIGKILL (exit $rc)"
	written=$(count_files "$out" '*.pem')
	[ "$written" -ge "$least" ] && [ "$written" -lt "$N" ] && ok "$which: killed in the middle ($written of $N written)" ||
		not_ok "$which: killed in the middle ($written of $N written)"
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check;')" = ok ] && ok "$which: store integrity_check" || not_ok "$which: store integrity_check"
	$SERIALS "$out"/*.pem | sort > "$T/files"
	sqlite3 "$db" "SELECT lower(hex(serial)) FROM cert WHERE profile='tls-server';" | sort > "$T/stored"
	missing=$(comm -23 "$T/files" "$T/stored" | wc -l)
	[ "$missing" -eq 0 ] && ok "$which: every certificate written out is in the store" ||
		not_ok "$which: $missing written certificates missing from the store"
	dups=$(sqlite3 "$db" "SELECT count(*) FROM (SELECT 1 FROM cert GROUP BY ca_id, serial HAVING count(*) > 1);")
	[ "$dups" -eq 0 ] && ok "$which: no serial twice" || not_ok "$which: $dups serials twice"
	[ "$(sort -u "$T/files" | wc -l)" -eq "$written" ] && ok "$which: no serial twice among the files" ||
		not_ok "$which: duplicate serials among the files"
	expect "$which: store opens: list" ct list --limit 1
	expect "$which: audit chain verifies after the crash" ct audit verify
}
after_kill "first kill" "$T/out" "$K"

# a second kill, at no chosen moment: the batch's output goes nowhere, so it
# never waits on a pipe; it is killed once K2 files exist, whatever its
# threads are doing then (signing, committing a group, writing a file)
K2=2000
rm -rf "$T/out3"; mkdir -p "$T/out3"
"$CA_TOOL" issue --ca issuing --profile tls-server --batch "$T/csr" --out-dir "$T/out3" $PASS >/dev/null 2>&1 &
pid=$!
while [ "$(count_files "$T/out3" '*.pem')" -lt "$K2" ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.01    # polling the folder: the condition, not the delay, decides
done
# a batch that ended before K2 files fails after_kill's checks, not this kill
kill -KILL "$pid" 2>/dev/null
after_kill "second kill" "$T/out3" "$K2"
# a rerun into the same folder finishes the job over the killed run's leftovers
expect "a rerun into the killed run's folder" ct issue --ca issuing --profile tls-server --batch "$T/csr" --out-dir "$T/out3" $PASS
npem=$(count_files "$T/out3" '*.pem'); ntmp=$(count_files "$T/out3" '*.tmp.*')
[ "$npem" -eq "$N" ] && [ "$ntmp" -eq 0 ] &&
	ok "the rerun wrote every file and left no temporary file" || not_ok "the rerun left $npem files, temporaries: $ntmp"

# the store keeps working: the rest of the batch can be issued afterwards
mkdir -p "$T/csr2"; "$top_builddir/tests/gencsr" ec-p256 10 "$T/csr2"
expect "issuing goes on after the crash" ct issue --ca issuing --profile tls-server --batch "$T/csr2" --out-dir "$T/out2" $PASS
finish
