#!/bin/bash
# tests/integration/list_expiring.sh: `ca-tool list --expiring N[h|d|w]` lists the good
# certificates whose notAfter falls within the window, and no other (issue 20.6); what it
# should list is decided by `openssl x509 -checkend` on each certificate, not by ca-tool;
# bad windows exit 2
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
ct init --name issuing --parent root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Issuing" $PASS >/dev/null
# name:days:revoked
certs="d3:3:no d12:12:no d40:40:no r3:3:yes d100:100:no"
for c in $certs; do
	IFS=: read -r name days revoked <<<"$c"
	genkey ec-p256 "$d/$name.key"
	mkcsr ec-p256 "$d/$name.key" "$d/$name.csr" "/C=CN/O=Example/CN=$name.example.cn" "DNS:$name.example.cn"
	ct issue --ca issuing --profile tls-server --days "$days" --csr "$d/$name.csr" --out "$d/$name.pem" $PASS >/dev/null
	[ "$revoked" = yes ] && ct revoke --ca issuing --serial "$(openssl x509 -in "$d/$name.pem" -noout -serial | cut -d= -f2)" \
		--reason keyCompromise >/dev/null
done

# the CA certificates are in the list too (issuing: 10 years, root: 20)
ct export --ca issuing --out "$d/issuing.pem"
ct export --ca root --out "$d/root.pem"
# want WINDOW_SECONDS: the serials (lower case) of the good certificates that
# openssl says end within the window
want() {
	local c name revoked
	for c in $certs issuing:0:no root:0:no; do
		IFS=: read -r name _ revoked <<<"$c"
		[ "$revoked" = yes ] && continue
		openssl x509 -in "$d/$name.pem" -noout -checkend "$1" >/dev/null && continue
		openssl x509 -in "$d/$name.pem" -noout -serial | cut -d= -f2 | tr A-F a-f
	done | sort
}
got() { awk '{ print tolower($1) }' "$T/stdout" | sort; }
for w in "7d:$((7 * 86400))" "13:$((13 * 86400))" "6w:$((42 * 86400))" "2h:7200" "3650d:$((3650 * 86400))"; do
	arg=${w%%:*} secs=${w#*:}
	expect "list --expiring $arg" ct list --expiring "$arg"
	want "$secs" > "$T/want"; got > "$T/got"
	if cmp -s "$T/want" "$T/got"; then ok "... the $(wc -l < "$T/want") certificate(s) openssl says end within $arg"
	else not_ok "... lists other certificates than openssl's -checkend"; show 10 "$T/want" "$T/got"; fi
done
# the window excludes the revoked one and the far ones by name too
expect "list --expiring 7d again" ct list --expiring 7d
grep -q "d3.example.cn" "$T/stdout" && ok "... d3 (3 days) is listed" || not_ok "... d3 missing"
grep -q "r3.example.cn" "$T/stdout" && not_ok "... the revoked r3 is listed" || ok "... the revoked r3 is not"
grep -q "d12.example.cn" "$T/stdout" && not_ok "... d12 is listed within 7 days" || ok "... d12 (12 days) is not"
expect "list --expiring 14d --json" ct --json list --expiring 14d
python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
sys.exit(0 if sorted("d3" if "d3." in c["subject"] else "d12" if "d12." in c["subject"] else "?" for c in j) == ["d12", "d3"] else 1)' "$T/stdout" &&
	ok "... JSON with the two" || { not_ok "... JSON"; show 5 "$T/stdout"; }
expect "--expiring with --ca and --profile" ct list --ca issuing --profile tls-server --expiring 7d
[ "$(wc -l < "$T/stdout")" = 1 ] && ok "... one line" || { not_ok "... $(wc -l < "$T/stdout") lines"; show 5 "$T/stdout"; }

# bad windows: usage errors
for bad in 0 -5d 10x d 1.5d "" 3651d 99999w 522w 87601h; do
	expect_fail "--expiring '$bad' is refused" 2 "expiring" ct list --expiring "$bad"
done
expect_fail "--expiring with --status revoked is refused" 2 "good certificates only" ct list --expiring 7d --status revoked
expect_fail "--expiring with --cas is refused" 2 "not --cas" ct list --expiring 7d --cas
finish
