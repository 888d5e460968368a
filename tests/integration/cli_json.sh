#!/bin/bash
# cli_json: with --json, every command of ca-tool and seal-tool prints JSON
# on stdout, failures included: {"error": {"exit", "kind", "program",
# "message"}} with the process's exit code, the message also on stderr
# (issue 20.7).  Parsed with python3's json, not with our code.
. "$(dirname "$0")/lib.sh"

d="$T/d"; mkdir -p "$d"
ct init --name root --key-type ec-p256 --subject "/C=CN/O=Example/CN=Root" $PASS >/dev/null
genkey ec-p256 "$d/k"
mkcsr ec-p256 "$d/k" "$d/a.csr" "/C=CN/O=Example/CN=a.example.cn" "DNS:a.example.cn"
st() { "$top_builddir/seal-tool" "$@"; }

# json_error WHAT WANT-EXIT CMD...: CMD fails with WANT-EXIT, stdout is one
# JSON error object with that exit code and a message, stderr has the message
json_error() {
	local what=$1 want=$2 rc=0; shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -ne "$want" ]; then not_ok "$what: exit $want (got $rc)"; show 3 "$T/err"; return; fi
	if python3 - "$T/out" "$rc" "$T/err" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
e = j["error"]
assert e["exit"] == int(sys.argv[2]), e
assert e["kind"] and e["program"] in ("ca-tool", "seal-tool"), e
assert e["message"] and e["message"].splitlines()[0] in open(sys.argv[3]).read(), e
PY
	then ok "$what: JSON error, exit $rc"; else not_ok "$what: JSON error, exit $rc"; show 8 "$T/out"; fi
}
# json_ok WHAT CMD...: CMD succeeds and stdout parses as JSON (one document,
# or one per line for verify)
json_ok() {
	local what=$1; shift
	if "$@" >"$T/out" 2>"$T/err" && python3 -c 'import json,sys
t = open(sys.argv[1]).read()
try: json.loads(t)
except ValueError: [json.loads(l) for l in t.splitlines() if l.strip()]' "$T/out"; then
		ok "$what: JSON"; else not_ok "$what: JSON"; show 5 "$T/out" "$T/err"; fi
}

# one failure of each kind, across the commands
json_error "unknown command" 2 ct --json frobnicate
json_error "bad option" 2 ct --json list --frob
json_error "init without a name" 2 ct --json init --subject "/CN=x"
json_error "issue from an unknown CA" 3 ct --json issue --ca nope --profile tls-server --csr "$d/a.csr" --out "$d/x.pem" $PASS
json_error "issue with a garbage CSR" 4 sh -c "printf 'junk' > '$d/junk.csr'; exec '$CA_TOOL' --json issue --ca root --profile tls-server --csr '$d/junk.csr' --out '$d/x.pem' $PASS"
json_error "revoke an unknown serial" 3 ct --json revoke --ca root --serial 0BAD
json_error "show a malformed serial" 4 ct --json show 3b:a
json_error "crl of an unknown CA" 3 ct --json crl --ca nope --out "$d/x.crl" $PASS
json_error "export of an unknown CA" 3 ct --json export --ca nope
json_error "audit with an argument" 2 ct --json audit verify extra
json_error "backup without --out" 2 ct --json backup
json_error "restore of a missing file" 3 ct --json restore "$d/none.bak" --to "$d/newhome" $PASS
json_error "officer add of a missing file" 3 ct --json officer add --name a --cert "$d/none.pem"
json_error "token of an unknown profile" 3 ct --json token create --name t --profile nope
json_error "seal revoke of an unknown seal" 3 ct --json seal revoke --id NOPE
json_error "verify without --trust" 2 ct --json verify "$d/a.csr"
json_error "a wrong passphrase" 5 sh -c "printf 'wrong\n' > '$d/wrong'; exec '$CA_TOOL' --json issue --ca root --profile tls-server --csr '$d/a.csr' --out '$d/x.pem' --pass-file '$d/wrong'"
json_error "a misspelt configuration section" 4 sh -c "printf '[ocps]\nthreads = 1\n' > '$d/bad.cnf'; exec '$CA_TOOL' --json --config '$d/bad.cnf' list"
json_error "config check of a misspelt profile" 4 sh -c "printf '[profile.tls-sever]\nmax_days = 3\n' > '$d/bad2.cnf'; exec '$CA_TOOL' --json config check '$d/bad2.cnf'"
json_error "config show of a missing file" 3 ct --json config show "$d/none.cnf"
json_error "seal-tool: unknown command" 2 st --json frobnicate
json_error "seal-tool: verify without --trust" 2 st --json verify "$d/none.sig"
json_error "seal-tool: show of a missing file" 3 st --json show "$d/none.seal"
json_error "seal-tool: make without arguments" 2 st --json make

# successes are JSON, and a command's own JSON gets no error added
json_ok "list --cas" ct --json list --cas
json_ok "issue" ct --json issue --ca root --profile tls-server --csr "$d/a.csr" $PASS
SN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$T/out")
json_ok "show" ct --json show "$SN"
json_ok "audit verify" ct --json audit verify
json_ok "config show" ct --json config show
json_ok "config check" ct --json config check
ct export --ca root --out "$d/root.pem"
openssl req -x509 -new -key "$d/k" -subj "/CN=self" -days 1 -out "$d/self.pem" 2>/dev/null
rc=0; ct --json verify --trust "$d/root.pem" "$d/self.pem" >"$T/out" 2>"$T/err" || rc=$?
if [ "$rc" -eq 7 ] && python3 -c 'import json,sys
ls = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(ls) == 1 and ls[0]["valid"] is False and "error" not in ls[0], ls' "$T/out"; then
	ok "verify of an invalid certificate: its own JSON line, no error object added"
else
	not_ok "verify of an invalid certificate: its own JSON line, no error object added (exit $rc)"; show 5 "$T/out"
fi
# without --json nothing changes: the message on stderr, nothing on stdout
rc=0; ct frobnicate >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && grep -q "unknown command" "$T/err" &&
	ok "without --json: stderr only" || not_ok "without --json: stderr only"
finish
