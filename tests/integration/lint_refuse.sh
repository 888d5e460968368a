#!/bin/bash
# lint_refuse: a profile changed by hand in the configuration so that it
# makes a bad certificate, which the profile checks let through, is refused
# by the lint before signing (ca/lint.c, docs/lint.md): exit 4 with the rule
# and its source named, nothing issued (`ca-tool list` and the store's
# certificates unchanged, no file written), an audit entry lint.refuse
# saying why, and an audit chain that still verifies.  One CSR and a batch.
# The store is read with sqlite3, the certificates with openssl.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
DB="$GOVPKI_HOME/govpki.db"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Issuing" $PASS >/dev/null
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got $3, want $2)"; fi; }
refusals() { sqlite3 -readonly "$DB" "SELECT count(*) FROM audit WHERE action = 'lint.refuse'"; }
last_refusal() { sqlite3 -readonly "$DB" "SELECT actor || ' | ' || object || ' | ' || detail FROM audit WHERE action = 'lint.refuse' ORDER BY seq DESC LIMIT 1"; }

genkey ec-p256 "$d/k"
mkcsr ec-p256 "$d/k" "$d/san.csr" "/C=CN/O=Example/CN=www.example.cn" "DNS:www.example.cn"
mkcsr ec-p256 "$d/k" "$d/nosan.csr" "/C=CN/O=Example/CN=www.example.cn"

# refused CONFIG RULE SOURCE CSR: issuing CSR under tls-server with CONFIG
# is refused by RULE (SOURCE), and nothing but the audit entry is written
refused() {
	local cnf=$1 rule=$2 src=$3 csr=$4 before n0 a0
	before=$(ct list --ca issuing)
	n0=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM cert")
	a0=$(refusals)
	expect_fail "$rule: refused by the lint, naming the rule and its source" 4 \
		"lint: rule $rule \\($src\\)" \
		ct --config "$cnf" issue --ca issuing --profile tls-server --csr "$csr" --out "$d/out.pem" $PASS
	[ ! -e "$d/out.pem" ] && ok "$rule: no certificate written" || not_ok "$rule: $d/out.pem written"
	check_eq "$rule: ca-tool list unchanged" "$before" "$(ct list --ca issuing)"
	check_eq "$rule: no certificate stored" "$n0" "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM cert")"
	check_eq "$rule: one lint.refuse audit entry" "$((a0 + 1))" "$(refusals)"
	case $(last_refusal) in
	"ca-tool | issuing/tls-server | ca=issuing profile=tls-server "*"lint: rule $rule ($src)"*)
		ok "$rule: the entry names the CA, the profile and the rule" ;;
	*) not_ok "$rule: audit entry: $(last_refusal)" ;;
	esac
}

# validity past the CA/B Forum maximum: the configuration allows up to
# 36500 days, the Baseline Requirements (6.3.2) 200 for a TLS server
# certificate that starts after 2026-03-15
printf '[profile.tls-server]\nmax_days = 400\n' > "$d/long.cnf"
expect "the configuration with max_days = 400 loads" ct --config "$d/long.cnf" config check
refused "$d/long.cnf" validity-tls-server "CA/B BR 6.3.2" "$d/san.csr"

# a TLS server certificate without a subjectAltName (BR 7.1.2.7.12)
# (cn_in_san = no as well: otherwise the profile's own name rule refuses the CN first)
printf '[profile.tls-server]\nsan_required = no\ncn_in_san = no\n' > "$d/nosan.cnf"
refused "$d/nosan.cnf" san-tls-server "CA/B BR 7.1.2.7.12" "$d/nosan.csr"

# a batch: every request refused alone, each audited, none stored
mkdir -p "$d/batch"
for i in 1 2 3; do
	mkcsr ec-p256 "$d/k" "$d/batch/$i.csr" "/C=CN/O=Example/CN=h$i.example.cn" "DNS:h$i.example.cn"
done
n0=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM cert")
a0=$(refusals)
rc=0
ct --config "$d/long.cnf" issue --ca issuing --profile tls-server --batch "$d/batch" \
	--out-dir "$d/bout" $PASS >"$T/stdout" 2>"$T/stderr" || rc=$?
check_eq "a batch under max_days = 400: exit 4" 4 "$rc"
check_eq "... each of the three refused by the rule, named" 3 \
	"$(grep -c 'batch/[123].csr: lint: rule validity-tls-server (CA/B BR 6.3.2)' "$T/stderr")"
check_eq "... none stored" "$n0" "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM cert")"
check_eq "... three lint.refuse entries" "$((a0 + 3))" "$(refusals)"
written=0
[ -d "$d/bout" ] && written=$(count_files "$d/bout" '*.pem')
check_eq "... no file written" 0 "$written"

expect "the audit chain verifies with the refusals in it" ct audit verify

# the same requests under the built-in profile: issued, 200 days (openssl)
expect "under the built-in tls-server the CSR is issued" \
	ct issue --ca issuing --profile tls-server --csr "$d/san.csr" --out "$d/ok.pem" $PASS
nb=$(date -u -d "$(openssl x509 -in "$d/ok.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -u -d "$(openssl x509 -in "$d/ok.pem" -noout -enddate | cut -d= -f2)" +%s)
check_eq "... valid 200 days less a second (openssl)" $((200 * 86400 - 1)) $((na - nb))
expect "... and the batch" ct issue --ca issuing --profile tls-server --batch "$d/batch" --out-dir "$d/bok" $PASS
check_eq "... three certificates written" 3 "$(count_files "$d/bok" '*.pem')"
expect "the audit chain still verifies" ct audit verify
finish
