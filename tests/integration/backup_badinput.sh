#!/bin/bash
# backup_badinput: a wrong passphrase, flipped bytes anywhere, a truncated
# file, something that is not a backup, a taken destination, an
# unencrypted key: each refused with a clear message, nothing written.
. "$(dirname "$0")/lib.sh"

printf 'backup passphrase\n' > "$T/bpass"; printf 'wrong\n' > "$T/wpass"
BP="--pass-file $T/bpass"
expect "a CA" ct init --name root --subject "/CN=Root" $PASS
expect "backup" ct backup --out "$T/b.gpb" $BP
expect_fail "backup onto an existing file" 4 "exists already" ct backup --out "$T/b.gpb" $BP
expect_fail "no passphrase" 5 "no backup passphrase" env -u GOVPKI_BACKUP_PASSPHRASE "$CA_TOOL" backup --out "$T/c.gpb" < /dev/null
[ ! -e "$T/c.gpb" ] && ok "nothing written without a passphrase" || not_ok "a file was written"
expect "passphrase from GOVPKI_BACKUP_PASSPHRASE" env GOVPKI_BACKUP_PASSPHRASE="backup passphrase" "$CA_TOOL" backup verify "$T/b.gpb"
expect_fail "wrong passphrase" 5 "wrong passphrase" ct backup verify "$T/b.gpb" --pass-file "$T/wpass"
expect_fail "restore with a wrong passphrase" 5 "wrong passphrase" ct restore "$T/b.gpb" --to "$T/r0" --pass-file "$T/wpass"
[ ! -e "$T/r0" ] && ok "nothing restored" || not_ok "r0 exists"

size=$(stat -c %s "$T/b.gpb")
# header, magic, salt, HMAC, the first entry, the middle, the last bytes, the tag
for off in 0 9 12 20 50 80 100 $((size / 2)) $((size - 40)) $((size - 17)) $((size - 1)); do
	cp "$T/b.gpb" "$T/f.gpb"
	b=$(od -An -tu1 -j "$off" -N1 "$T/f.gpb" | tr -d ' ')
	printf "$(printf '\\%03o' $(( (b ^ 1) & 255 )))" | dd of="$T/f.gpb" bs=1 seek="$off" conv=notrunc status=none
	expect_fail "flipped bit at byte $off: verify" nz "damaged|does not match|not a govpki backup|wrong passphrase|out of range|format" ct backup verify "$T/f.gpb" $BP
	expect_fail "flipped bit at byte $off: restore" nz "" ct restore "$T/f.gpb" --to "$T/rf" $BP
	[ ! -e "$T/rf" ] && [ "$(count_files "$T" 'rf.restore-*')" -eq 0 ] && ok "byte $off: nothing left behind" || not_ok "byte $off: restore left files"
done
head -c $((size - 100)) "$T/b.gpb" > "$T/t.gpb"
expect_fail "truncated" 7 "damaged|truncated|tag" ct backup verify "$T/t.gpb" $BP
head -c 10 "$T/b.gpb" > "$T/t2.gpb"
expect_fail "truncated to 10 bytes" 4 "not a govpki backup" ct backup verify "$T/t2.gpb" $BP
expect_fail "not a backup" 4 "not a govpki backup" ct backup verify "$T/pass" $BP
expect_fail "no such file" 3 "No such file" ct backup verify "$T/nope.gpb" $BP
mkdir -p "$T/full"; touch "$T/full/x"
expect_fail "restore into a non-empty folder" 4 "is not empty" ct restore "$T/b.gpb" --to "$T/full" $BP
[ "$(ls "$T/full")" = x ] && ok "the folder is untouched" || not_ok "the folder changed"
mkdir -p "$T/empty"
expect "restore into an empty folder" ct restore "$T/b.gpb" --to "$T/empty" $BP
expect "restored store works" ct --home "$T/empty" audit verify
expect_fail "usage: restore without --to" 2 "restore FILE --to DIR" ct restore "$T/b.gpb" $BP
expect_fail "usage: backup without --out" 2 "backup needs --out" ct backup $BP

# a key file that is not encrypted never goes into a backup
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$GOVPKI_HOME/keys/plain.key" 2>/dev/null
before=$(store_dump)
expect_fail "unencrypted key refused" 4 "is not encrypted" ct backup --out "$T/p.gpb" $BP
[ ! -e "$T/p.gpb" ] && ok "no backup written" || not_ok "a backup was written"
finish
