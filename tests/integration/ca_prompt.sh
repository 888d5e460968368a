#!/bin/bash
# ca_prompt: the passphrase prompt at a terminal (a pseudo-terminal driven
# by pty_run.py): a new CA key's passphrase is asked twice and must match,
# an existing key's once; Ctrl-C at the prompt ends the program with echo
# back on; nothing is created by a run that fails.
. "$(dirname "$0")/lib.sh"

PTY="python3 $top_srcdir/tests/integration/pty_run.py"
at_tty() { env -u GOVPKI_PASSPHRASE $PTY "$@"; }
mkdir -p "$GOVPKI_HOME"
genkey ec-p256 "$T/app.key"; mkcsr ec-p256 "$T/app.key" "$T/app.csr" "/CN=app.example.gov.cn" "DNS:app.example.gov.cn"

expect "init: the new key's passphrase, twice" at_tty "new CA key: " "pw-one-typed" "confirm: " "pw-one-typed" -- \
	"$CA_TOOL" init --name root --subject "/C=CN/O=City/CN=Root CA"
grep -q "created CA root" "$T/stdout" && ok "init created the CA" || not_ok "init created the CA"
grep -q "^echo: on" "$T/stdout" && ok "echo is on after the prompt" || not_ok "echo is on after the prompt"
expect "the key opens with what was typed" openssl pkey -in "$GOVPKI_HOME/keys/root.key" -passin pass:pw-one-typed -noout

expect_fail "init: two different answers" 5 "" at_tty "new CA key: " "first-answer" "confirm: " "second-answer" -- \
	"$CA_TOOL" init --name other --subject "/CN=Other"
grep -q "passphrases differ" "$T/stdout" && ok "the mismatch is named" || not_ok "the mismatch is named"
[ ! -e "$GOVPKI_HOME/keys/other.key" ] && cas=$("$CA_TOOL" list --cas) && ! grep -q other <<<"$cas" &&
	ok "no CA and no key made on a mismatch" || not_ok "a CA or key was made on a mismatch"

expect_fail "Ctrl-C at the prompt" 130 "" at_tty "new CA key: " "^C" -- \
	"$CA_TOOL" init --name third --subject "/CN=Third"
grep -q "^echo: on" "$T/stdout" && ok "echo is back on after Ctrl-C" || not_ok "echo left off after Ctrl-C"
[ ! -e "$GOVPKI_HOME/keys/third.key" ] && ok "nothing made after Ctrl-C" || not_ok "a key was made after Ctrl-C"

expect "issue: an existing key's passphrase, once" at_tty "CA key: " "pw-one-typed" -- \
	"$CA_TOOL" issue --ca root --profile tls-server --csr "$T/app.csr" --out "$T/app.pem"
expect "the certificate was issued" openssl verify -partial_chain -CAfile <("$CA_TOOL" export --ca root) "$T/app.pem"
before=$(store_dump)
expect_fail "issue: a wrong passphrase at the prompt" 5 "" at_tty "CA key: " "not-the-one" -- \
	"$CA_TOOL" issue --ca root --profile tls-server --csr "$T/app.csr" --out "$T/app2.pem"
grep -q "wrong passphrase" "$T/stdout" && ok "the wrong passphrase is named" || not_ok "the wrong passphrase is named"
[ "$before" = "$(store_dump)" ] && [ ! -e "$T/app2.pem" ] && ok "store unchanged, nothing written" || not_ok "store changed"

# a batch at a terminal shows a progress line (issue 20.7); not in a pipe
mkdir -p "$T/csr"
"$top_builddir/tests/gencsr" ec-p256 150 "$T/csr"
expect "issue --batch at a terminal" at_tty "CA key: " "pw-one-typed" -- \
	"$CA_TOOL" issue --ca root --profile tls-server --batch "$T/csr" --out-dir "$T/out"
grep -q "issuing: 150/150 (100%)" "$T/stdout" && ok "... ends with the progress line 'issuing: 150/150 (100%)'" ||
	{ not_ok "... no final progress line"; show 5 "$T/stdout"; }
grep -q "issuing: 0/150 (0%)" "$T/stdout" && ok "... which started at 0/150" || not_ok "... no first progress line"
n=$(count_files "$T/out" '*.pem')
[ "$n" = 150 ] && ok "... and every certificate written" || not_ok "... $n certificates written, not 150"
expect "issue --batch into a pipe" env GOVPKI_PASSPHRASE=pw-one-typed \
	"$CA_TOOL" issue --ca root --profile tls-server --batch "$T/csr" --out-dir "$T/out2"
if grep -q "issuing:" "$T/stdout" "$T/stderr"; then not_ok "... shows no progress line"; else ok "... shows no progress line"; fi
finish
