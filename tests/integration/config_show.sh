#!/bin/bash
# config_show: `ca-tool config show` prints the configuration in effect, every
# profile resolved with each key and where it comes from, as a file that
# loads as the same profiles; `ca-tool config check` names the file and line
# of a fault and exits 0 on a good file (issue 20.3).  The expected values are
# written here; the certificates are compared with openssl.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
cat > "$d/govpki.cnf" <<CNF
[govpki]
store = govpki.db

[ca.issuing]
base_url = http://pki.example.gov.cn/

# a built-in changed, and a profile of its own
[profile.tls-server]
max_days = 90

[profile.web]
inherit = tls-server
policies = 1.2.156.112.1
crl_url = http://crl.example.gov.cn/web.crl\\#part\\\$x
CNF

# key: the value of KEY in [profile.P] of a config show output FILE
key() { awk -v s="[profile.$2]" -v k="$3" '$0 == s { on = 1; next } /^\[/ { on = 0 }
	on && $1 == k { sub(/^[^=]*= ?/, ""); print; exit }' "$1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$3', want '$2')"; fi; }

expect "config show" ct --config "$d/govpki.cnf" config show
cp "$T/stdout" "$d/show1.cnf"
check "the changed built-in: max_days from the file" 90 "$(key "$d/show1.cnf" tls-server max_days)"
check "... its other keys from the built-in" "serverAuth" "$(key "$d/show1.cnf" tls-server ext_key_usage)"
check "... its SAN rule" "yes" "$(key "$d/show1.cnf" tls-server san_required)"
check "the inheriting profile: its own policy" "1.2.156.112.1" "$(key "$d/show1.cnf" web policies)"
check "... max_days from its base" 90 "$(key "$d/show1.cnf" web max_days)"
check "... the key usage of its base" "digitalSignature, keyEncipherment" \
	"$(key "$d/show1.cnf" web key_usage)"
check "an unchanged built-in: root-ca needs two approvals" 2 "$(key "$d/show1.cnf" root-ca approvals)"
check "... and has no path length" none "$(key "$d/show1.cnf" root-ca path_len)"
check "a value with # and \$ written escaped" 'http://crl.example.gov.cn/web.crl\#part\$x' \
	"$(key "$d/show1.cnf" web crl_url)"
grep -qx "# from: built-in" <(sed -n '/^\[profile.root-ca\]/,/^$/p' "$d/show1.cnf") &&
	ok "root-ca is said to be built in" || not_ok "root-ca's source"
grep -qx "# from: $d/govpki.cnf:8, over the built-in" "$d/show1.cnf" &&
	ok "tls-server's source: the file and line, over the built-in" || not_ok "tls-server's source"
grep -qx "# from: $d/govpki.cnf:11, inherits tls-server" "$d/show1.cnf" &&
	ok "web's source: the file and line, and its base" || not_ok "web's source"
grep -qx "\[ca.issuing\]  # $d/govpki.cnf:4" "$d/show1.cnf" && ok "[ca.issuing] with its line" ||
	not_ok "[ca.issuing] with its line"

# the output is a configuration that loads as the same profiles
expect "config show of the output" ct config show "$d/show1.cnf"
# (but for the comments: where the file and its lines are)
nocomment() { sed -E '/^#/d; s/^(\[[^]]*\])  # .*$/\1/' "$1"; }
diff <(nocomment "$d/show1.cnf") <(nocomment "$T/stdout") > "$T/diff" &&
	ok "... gives the same keys and values" || { not_ok "... differs"; show 20 "$T/diff"; }
expect "config check of the output" ct config check "$d/show1.cnf"

# and issues the same certificate: extensions compared by openssl
genkey ec-p256 "$d/k"
mkcsr ec-p256 "$d/k" "$d/w.csr" "/C=CN/O=Example/CN=w.example.gov.cn" "DNS:w.example.gov.cn"
for c in govpki.cnf show1.cnf; do
	h="$T/h-$c"; mkdir -p "$h"
	GOVPKI_HOME=$h ct --config "$d/$c" init --name root --key-type ec-p256 --subject "/CN=Root" $PASS >/dev/null
	GOVPKI_HOME=$h ct --config "$d/$c" init --name issuing --parent root --key-type ec-p256 \
		--subject "/CN=Issuing" $PASS >/dev/null
	expect "issue with profile web under $c" env GOVPKI_HOME="$h" "$CA_TOOL" --config "$d/$c" \
		issue --ca issuing --profile web --csr "$d/w.csr" --out "$d/w-$c.pem" $PASS
	openssl x509 -in "$d/w-$c.pem" -noout -ext basicConstraints,keyUsage,extendedKeyUsage,subjectAltName,certificatePolicies,crlDistributionPoints,authorityInfoAccess \
		> "$d/ext-$c"
	openssl x509 -in "$d/w-$c.pem" -noout -dates | python3 -c 'import sys,datetime as d
v = dict(l.strip().split("=", 1) for l in sys.stdin)
f = lambda s: d.datetime.strptime(s, "%b %d %H:%M:%S %Y %Z")
print((f(v["notAfter"]) - f(v["notBefore"])).total_seconds())' > "$d/days-$c"
done
cmp -s "$d/ext-govpki.cnf" "$d/ext-show1.cnf" && ok "the same extensions from both files" ||
	{ not_ok "the extensions differ"; diff "$d/ext-govpki.cnf" "$d/ext-show1.cnf"; }
check "... the validity of both: 90 days less a second" "$((90 * 86400 - 1)).0" "$(cat "$d/days-show1.cnf")"
check "... the same from the original" "$((90 * 86400 - 1)).0" "$(cat "$d/days-govpki.cnf")"
grep -q "1.2.156.112.1" "$d/ext-show1.cnf" && ok "... with the profile's policy" || not_ok "the policy"

# JSON
expect "config show --json" ct --json config show "$d/govpki.cnf"
check "JSON: web's max_days" 90 "$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print([p for p in d["profiles"] if p["name"] == "web"][0]["settings"]["max_days"])' "$T/stdout")"
check "JSON: web's source" "$d/govpki.cnf:11, inherits tls-server" "$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print([p for p in d["profiles"] if p["name"] == "web"][0]["source"])' "$T/stdout")"
check "JSON: the line of [ca.issuing]" 4 "$(python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["sections"]["ca.issuing"]["line"])' "$T/stdout")"

# without a file: the built-in profiles, tls-server at the CA/B 200 days
expect "config show without a file" ct config show
check "built-in tls-server: 200 days" 200 "$(key "$T/stdout" tls-server max_days)"
expect "config check without a file" ct config check

# faults: exit 4 with the file and line
bad() {   # NAME LINE TEXT
	printf '%b' "$3" > "$d/bad.cnf"
	expect_fail "config check: $1" 4 "$d/bad.cnf:$2" ct config check "$d/bad.cnf"
	expect_fail "config show: $1" 4 "$d/bad.cnf:$2" ct config show "$d/bad.cnf"
}
bad "a misspelt profile" 2 '# x\n[profile.tls-sever]\nmax_days = 30\n'
bad "an unknown section" 3 '[govpki]\nstore = x.db\n[rq]\nlisten = 1\n'
bad "an unknown key in [ca.NAME]" 2 '[ca.issuing]\nbase_ur = http://x/\n'
bad "an unknown key in [crl]" 2 '[crl]\nnext_update = 3\n'
bad "an out-of-range [crl] value" 2 '[crl]\nnext_update_hours = 0\n'
bad "a bad [ocsp] value" 2 '[ocsp]\nthreads = many\n'
bad "an unknown [pkcs11] key" 2 '[pkcs11]\nmodul = /x.so\n'
bad "a bad profile value" 3 '[profile.tls-server]\n\nmax_days = 0\n'
expect_fail "config check of a file that is not there" 3 "not found" ct config check "$d/none.cnf"
expect_fail "config check with two files" 2 "unexpected argument" ct config check "$d/bad.cnf" "$d/bad.cnf"
rc=0; ct config > "$T/stdout" 2> "$T/stderr" || rc=$?
[ "$rc" -eq 2 ] && grep -q "usage: ca-tool config show" "$T/stderr" && ok "config with no sub-command: usage, exit 2" ||
	not_ok "config with no sub-command (exit $rc)"
expect_fail "config with an unknown sub-command" 2 "" ct config shw
finish
