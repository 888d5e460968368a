#!/bin/bash
# backup_load: an online backup taken while `ca-tool issue --batch` keeps
# issuing; the restored store holds every certificate finished before the
# backup started, continues the CRL numbers, issues with fresh serials, and
# its audit chain verifies across the restore (openssl checks the new ones).
. "$(dirname "$0")/lib.sh"

printf 'backup passphrase\n' > "$T/bpass"
BP="--pass-file $T/bpass"
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }

expect "root CA" ct init --name root --subject "/C=CN/O=City/CN=Root" $PASS
expect "issuing CA" ct init --name issuing --parent root --subject "/C=CN/O=City/CN=Issuing" $PASS
ct export --ca root --out "$T/root.pem"; ct export --ca issuing --out "$T/iss.pem"
genkey ec-p256 "$T/r.key"; mkcsr ec-p256 "$T/r.key" "$T/r.csr" "/CN=revoked.example.gov.cn" "DNS:revoked.example.gov.cn"
expect "issue one to revoke" ct issue --ca issuing --profile tls-server --csr "$T/r.csr" --out "$T/r.pem" $PASS
expect "revoke it" ct revoke --ca issuing --serial "$(serial_of "$T/r.pem")" --reason superseded
expect "CRL 1 before the backup" ct crl --ca issuing --out "$T/crl1.der" $PASS

# issue continuously in the background
mkdir -p "$T/csrs" "$T/issued-during-the-backup"
"$top_builddir/tests/gencsr" ec-p256 2000 "$T/csrs" >/dev/null
# each line of the batch (line-buffered by ca-tool itself: no stdbuf, whose
# LD_PRELOAD breaks ASan builds) is a certificate written after its commit; read
# the first 100 from a FIFO (blocking reads, no sleeps), then take the backup.
# Nobody reads the FIFO while the backup runs, so the batch blocks once the
# pipe (64 KiB) is full: its 1,900 remaining lines of 60+ bytes cannot all be
# written, and the batch is still running when the backup ends, by construction.
mkfifo "$T/fifo"
"$CA_TOOL" issue --ca issuing --profile tls-server --batch "$T/csrs" --out-dir "$T/issued-during-the-backup" \
    --threads 2 $PASS > "$T/fifo" 2> "$T/batch.err" &
bpid=$!
exec 3< "$T/fifo"
for i in $(seq 100); do read -r line <&3 || break; done
# what was finished before the backup started (at least those 100)
find "$T/issued-during-the-backup" -maxdepth 1 -name '*.pem' -printf '%f\n' > "$T/before.list"
expect "backup while the batch runs" ct backup --out "$T/b.gpb" $BP
running=0; kill -0 "$bpid" 2>/dev/null && running=1
cat <&3 > "$T/batch.rest"; exec 3<&-
wait "$bpid" && ok "the batch finished" || not_ok "the batch failed ($(head -3 "$T/batch.err"))"
nbefore=$(wc -l < "$T/before.list")
[ "$nbefore" -ge 100 ] && ok "$nbefore certificates finished before the backup" || not_ok "only $nbefore before the backup"
[ "$running" -eq 1 ] && ok "the batch was still running after the backup" || not_ok "the batch had finished before the backup did"
ntotal=$(count_files "$T/issued-during-the-backup" '*.pem')
expect "backup verify" ct backup verify "$T/b.gpb" $BP

expect "restore" ct restore "$T/b.gpb" --to "$T/restored" $BP
R="--home $T/restored"
expect "restored audit chain verifies" ct $R audit verify
"$CA_TOOL" $R --json list --ca issuing > "$T/rlist.json"
python3 - "$T/rlist.json" > "$T/rserials" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1])):
    print(c["serial"].lower())
PY
missing=0
while read -r f; do
	s=$(serial_of "$T/issued-during-the-backup/$f")
	grep -qx "$s" "$T/rserials" || missing=$((missing + 1))
done < "$T/before.list"
[ "$missing" -eq 0 ] && ok "all $nbefore certificates issued before the backup are restored" || not_ok "$missing of $nbefore missing after restore"
nrest=$(wc -l < "$T/rserials")
[ "$nrest" -ge "$nbefore" ] && [ "$nrest" -lt $((ntotal + 1)) ] && ok "the snapshot was taken mid-batch ($nrest of $((ntotal + 1)) certificates)" ||
	not_ok "the snapshot holds $nrest of $((ntotal + 1)) certificates, not a mid-batch state"

# the restored CA goes on: CRL numbers continue, serials are fresh
expect "restored: CRL" ct $R crl --ca issuing --out "$T/crl2.der" $PASS
n1=$(openssl crl -inform DER -in "$T/crl1.der" -noout -crlnumber | cut -d= -f2)
n2=$(openssl crl -inform DER -in "$T/crl2.der" -noout -crlnumber | cut -d= -f2)
[ $((n2)) -gt $((n1)) ] && ok "CRL number continues ($n1 -> $n2)" || not_ok "CRL number $n1 -> $n2"
openssl crl -inform DER -in "$T/crl2.der" -noout -text > "$T/crl2.txt" && grep -qi "$(serial_of "$T/r.pem")" "$T/crl2.txt" &&
	ok "restored CRL lists the revoked certificate" || not_ok "restored CRL lists the revoked certificate"
expect "restored CRL verifies" openssl crl -inform DER -in "$T/crl2.der" -CAfile "$T/iss.pem" -noout
for i in 1 2 3 4 5; do
	genkey ec-p256 "$T/n$i.key"; mkcsr ec-p256 "$T/n$i.key" "$T/n$i.csr" "/CN=new$i.example.gov.cn" "DNS:new$i.example.gov.cn"
	expect "restored: issue new $i" ct $R issue --ca issuing --profile tls-server --csr "$T/n$i.csr" --out "$T/n$i.pem" $PASS
done
"$CA_TOOL" --json list --ca issuing | python3 -c 'import json,sys; [print(c["serial"].lower()) for c in json.load(sys.stdin)]' > "$T/allserials"
[ "$(wc -l < "$T/allserials")" -eq $((ntotal + 1)) ] && ok "live store: $((ntotal + 1)) certificates" || not_ok "live store: $(wc -l < "$T/allserials") certificates, want $((ntotal + 1))"
dup=0
for i in 1 2 3 4 5; do grep -qx "$(serial_of "$T/n$i.pem")" "$T/allserials" && dup=$((dup + 1)); done
[ "$dup" -eq 0 ] && ok "new serials differ from every serial the live CA issued" || not_ok "$dup serials reused"
expect "new certificate verifies" openssl verify -CAfile "$T/root.pem" -untrusted "$T/iss.pem" "$T/n1.pem"
expect "restored audit chain verifies after new work" ct $R audit verify
# the audit actions, read with sqlite3 (ca-tool has no audit listing); a
# store sqlite3 cannot read is a failed check, not an empty list
audit_actions() {
	sqlite3 -readonly "$1" "SELECT action FROM audit ORDER BY seq" > "$2" 2> "$T/sqlite.err" && return 0
	echo "# sqlite3 cannot read the audit of $1:"; sed -n '1,5s/^/#   /p' "$T/sqlite.err"; return 1
}
if audit_actions "$T/restored/govpki.db" "$T/actions"; then
	grep -qx "backup.begin" "$T/actions" && ok "restored audit: backup.begin recorded" || not_ok "restored audit: no backup.begin entry"
	grep -qx "restore" "$T/actions" && ok "restored audit: restore recorded" || not_ok "restored audit: no restore entry"
else
	not_ok "restored audit readable"
fi
if audit_actions "$GOVPKI_HOME/govpki.db" "$T/live-actions"; then
	grep -qx "backup" "$T/live-actions" && ok "live audit: backup recorded" || not_ok "live audit: no backup entry"
else
	not_ok "live audit readable"
fi
cmp -s "$GOVPKI_HOME/keys/issuing.key" "$T/restored/keys/issuing.key" && ok "key file restored byte for byte (still encrypted)" || not_ok "key file restored"
finish
