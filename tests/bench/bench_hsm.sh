#!/bin/bash
# tests/bench/bench_hsm.sh BUILDDIR: issuance with a SoftHSM2 key against the
# same key type from an encrypted file (same run, same CSRs), and backup /
# verify / restore times for a store of N certificates (BENCH_HSM_FILL,
# default 1000000, made by bench_ca fill).  Not a test.
set -eu
B=$(cd "${1:-.}" && pwd)
CT="$B/ca-tool"
T=$(mktemp -d "${TMPDIR:-/tmp}/govpki-bench-hsm.XXXXXX")
trap 'rm -rf "$T"' EXIT
N=${BENCH_HSM_CSRS:-2000}
FILL=${BENCH_HSM_FILL:-1000000}
MOD=/usr/lib/softhsm/libsofthsm2.so
[ -f "$MOD" ] || { echo "SoftHSM2 is not installed: skipped"; exit 0; }
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" > "$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf" GOVPKI_PKCS11_MODULE=$MOD GOVPKI_PIN=1234 GOVPKI_PASSPHRASE=bench-pass
export GOVPKI_BACKUP_PASSPHRASE=bench-backup
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 >/dev/null
"$B/tests/gencsr" ec-p256 "$N" "$T/csrs" >/dev/null 2>&1 || { mkdir -p "$T/csrs"; "$B/tests/gencsr" ec-p256 "$N" "$T/csrs" >/dev/null; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }

for type in ec-p256 rsa2048; do
	"$CT" key generate --token pkcs11:token=bench --label "$type" --type "$type" >/dev/null
	GOVPKI_HOME="$T/hsm-$type" "$CT" init --name ca --subject "/CN=HSM $type" --key "pkcs11:token=bench;object=$type" >/dev/null
	GOVPKI_HOME="$T/file-$type" "$CT" init --name ca --subject "/CN=File $type" --key-type "$type" >/dev/null
	for th in 1 2; do
		for where in file hsm; do
			rm -rf "$T/out"; mkdir -p "$T/out"
			t=$(GOVPKI_HOME="$T/$where-$type" secs "$CT" issue --ca ca --profile tls-server --batch "$T/csrs" --out-dir "$T/out" --threads $th)
			printf 'issue %-8s %-4s key, %d thread(s): %5d certificates in %6.2f s = %7.0f/s\n' "$type" "$where" "$th" "$N" "$t" "$(echo "$N / $t" | bc -l)"
		done
	done
done

# backup and restore of a large store
export GOVPKI_HOME="$T/big"
"$CT" init --name ca --subject "/CN=Big" >/dev/null
"$B/tests/bench/bench_ca" fill "$GOVPKI_HOME" ca "$FILL" | sed 's/^/bench_ca: /'
echo "store: $(du -h "$GOVPKI_HOME/govpki.db" | cut -f1) for $FILL certificates"
t=$(secs "$CT" backup --out "$T/big.gpb"); echo "backup  ($FILL certificates, $(du -h "$T/big.gpb" | cut -f1)): $t s"
t=$(secs "$CT" backup verify "$T/big.gpb"); echo "verify: $t s"
t=$(secs "$CT" restore "$T/big.gpb" --to "$T/restored"); echo "restore (with audit chain check): $t s"
t=$(secs sqlite3 "$GOVPKI_HOME/govpki.db" ".backup '$T/plain.db'"); echo "reference: sqlite3 .backup, no encryption: $t s"
t=$(secs openssl enc -aes-256-ctr -pbkdf2 -pass pass:x -in "$T/plain.db" -out "$T/plain.enc"); echo "reference: openssl enc (AES-256-CTR, no manifest) of the copy: $t s"
