#!/bin/bash
# backup_restore: the configuration file goes into the backup and comes back
# as DIR/govpki.cnf; after a restore each CA's next CRL number is 2^32 above
# the backup's last (GP_BACKUP_CRL_MARGIN), so it stays above the numbers of
# CRLs the old CA published after the backup (RFC 5280 §5.2.3), full and
# delta alike, across a second restore too (issue 20.3).  The numbers are
# read with openssl, the CRLs checked by openssl verify.
. "$(dirname "$0")/lib.sh"

printf 'backup passphrase\n' > "$T/bpass"
BP="--pass-file $T/bpass"
MARGIN=4294967296     # 2^32, as docs/key-ceremony.md states it
cat > "$T/govpki.cnf" <<'CNF'
[crl]
next_update_hours = 72

[profile.tls-server]
max_days = 90
CNF
C="--config $T/govpki.cnf"
crlnum() { openssl crl -inform DER -in "$1" -noout -crlnumber | sed 's/^crlNumber=//'; }
dec() { python3 -c 'import sys; print(int(sys.argv[1], 16))' "$1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$3', want '$2')"; fi; }

ct $C init --name root --subject "/C=CN/O=City/CN=Root" $PASS >/dev/null
ct $C init --name issuing --parent root --subject "/C=CN/O=City/CN=Issuing" $PASS >/dev/null
ct export --ca root --out "$T/root.pem"; ct export --ca issuing --out "$T/iss.pem"
expect "full CRL 1 before the backup" ct $C crl --ca issuing --out "$T/c1.der" $PASS
expect "backup with --config" ct $C backup --out "$T/b.gpb" $BP
# the old CA goes on after the backup: these are not in it
expect "full CRL after the backup" ct $C crl --ca issuing --out "$T/c2.der" $PASS
expect "delta CRL after the backup" ct $C crl --ca issuing --delta --out "$T/c3.der" $PASS
check "the old CA's numbers: 1, 2, 3" "1 2 3" "$(dec "$(crlnum "$T/c1.der")") $(dec "$(crlnum "$T/c2.der")") $(dec "$(crlnum "$T/c3.der")")"

expect "restore" ct restore "$T/b.gpb" --to "$T/r1" $BP
grep -q -- "--config $T/r1/govpki.cnf" "$T/stdout" && ok "... says to use the restored configuration" ||
	{ not_ok "... names the restored configuration"; show 3 "$T/stdout"; }
cmp -s "$T/govpki.cnf" "$T/r1/govpki.cnf" && ok "the configuration file came back unchanged" ||
	not_ok "the restored configuration differs"
expect "... and checks" ct config check "$T/r1/govpki.cnf"
R1="--home $T/r1 --config $T/r1/govpki.cnf"
expect "the restored CA publishes a full CRL" ct $R1 crl --ca issuing --out "$T/r1-full.der" $PASS
full=$(dec "$(crlnum "$T/r1-full.der")")
check "... numbered the backup's next (2) plus 2^32" "$((2 + MARGIN))" "$full"
[ "$full" -gt 3 ] && ok "... above every number the old CA used" || not_ok "number $full repeats the old CA's"
expect "... and a delta" ct $R1 crl --ca issuing --delta --out "$T/r1-delta.der" $PASS
check "... the delta goes on from there" "$((full + 1))" "$(dec "$(crlnum "$T/r1-delta.der")")"
cat "$T/root.pem" "$T/iss.pem" > "$T/chain.pem"
openssl crl -inform DER -in "$T/r1-full.der" -out "$T/r1-full.pem"
ct $R1 export --ca issuing --out "$T/r1-iss.pem"
genkey ec-p256 "$T/k"; mkcsr ec-p256 "$T/k" "$T/a.csr" "/CN=a.example.gov.cn" "DNS:a.example.gov.cn"
expect "the restored CA issues" ct $R1 issue --ca issuing --profile tls-server --csr "$T/a.csr" --out "$T/a.pem" $PASS
if openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$T/r1-full.pem" "$T/a.pem" > "$T/v" 2>&1; then
	ok "openssl verify -crl_check accepts the restored CA's CRL"; else not_ok "openssl verify -crl_check"; show 5 "$T/v"; fi
expect "the restored audit chain verifies" ct $R1 audit verify
sqlite3 "$T/r1/govpki.db" "SELECT detail FROM audit WHERE action = 'restore'" > "$T/detail"
grep -q "crl_margin=$MARGIN" "$T/detail" && ok "the restore entry records the margin" ||
	{ not_ok "the restore entry records the margin"; show 3 "$T/detail"; }

# a backup of the restored home taken before it published anything: the
# floor of the first restore is kept, and raised again
expect "restore again, into r2" ct restore "$T/b.gpb" --to "$T/r2" $BP
expect "backup of r2 before any CRL" ct --home "$T/r2" --config "$T/r2/govpki.cnf" backup --out "$T/b2.gpb" $BP
expect "restore that into r3" ct restore "$T/b2.gpb" --to "$T/r3" $BP
expect "r3 publishes" ct --home "$T/r3" --config "$T/r3/govpki.cnf" crl --ca issuing --out "$T/r3.der" $PASS
check "... above the first restore's floor by 2^32 again" "$((2 + 2 * MARGIN))" "$(dec "$(crlnum "$T/r3.der")")"

# without --config nothing is made up
expect "backup without --config" ct backup --out "$T/b3.gpb" $BP
expect "restore it" ct restore "$T/b3.gpb" --to "$T/r4" $BP
[ ! -e "$T/r4/govpki.cnf" ] && ok "... no govpki.cnf" || not_ok "... a govpki.cnf appeared"
grep -q -- "--config" "$T/stdout" && not_ok "... and no --config advice" || ok "... and no --config advice"
expect "... the root CA there publishes above the margin too" ct --home "$T/r4" crl --ca root --out "$T/r4.der" $PASS
check "... root had no CRL: 1 plus 2^32" "$((1 + MARGIN))" "$(dec "$(crlnum "$T/r4.der")")"
finish
