#!/bin/bash
# hsm_badinput: a wrong PIN, a missing token or object, a wrong module path,
# bad URIs and bad key requests each give a clear message and the right
# exit code, and change nothing (store dump and token objects compared).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hsm_lib.sh"

mktoken hsm
TOK="pkcs11:token=hsm"
ct key generate --token "$TOK" --label root --type ec-p256 --pin-file "$PIN_FILE" >/dev/null
export GOVPKI_PIN=$PIN
expect "a CA on the HSM key" ct init --name root --subject "/CN=Root" --key "$TOK;object=root" $PASS
before=$(store_dump)
# objs: how many objects the token holds; fails (saying why) when pkcs11-tool does
objs() {
	pkcs11-tool --module "$P11MOD" --token-label hsm --login --pin "$PIN" --list-objects > "$T/objs" 2> "$T/objs.err" ||
		{ echo "# pkcs11-tool --list-objects failed:"; show 5 "$T/objs.err"; return 1; }
	grep -c 'label:' "$T/objs"
}
objs_before=$(objs)
[ "$objs_before" -ge 2 ] && ok "the token holds the CA's key ($objs_before objects)" || not_ok "the token holds $objs_before objects"

printf '0000\n' > "$T/badpin"
expect_fail "wrong PIN (init)" 5 "login to token 'hsm' failed" env GOVPKI_PIN=0000 "$CA_TOOL" init --name x1 --subject "/CN=X" --key "$TOK;object=root" $PASS
expect_fail "wrong PIN (crl)" 5 "login to token 'hsm' failed" env GOVPKI_PIN=0000 "$CA_TOOL" crl --ca root --out "$T/x.crl" $PASS
expect_fail "wrong PIN (key list)" 5 "CKR_PIN_INCORRECT" ct key list --token "$TOK" --pin-file "$T/badpin"
expect_fail "no PIN anywhere" 5 "no PIN for token 'hsm'" env -u GOVPKI_PIN "$CA_TOOL" key list --token "$TOK"
expect_fail "wrong PIN (--pin-file, crl)" 5 "login to token 'hsm' failed" env -u GOVPKI_PIN "$CA_TOOL" --pin-file "$T/badpin" crl --ca root --out "$T/x.crl" $PASS
expect_fail "--pin-file wins over GOVPKI_PIN" 5 "login to token 'hsm' failed" "$CA_TOOL" crl --ca root --pin-file "$T/badpin" --out "$T/x.crl" $PASS
expect_fail "--pin-file: no such file" 3 "PIN file $T/nopin does not exist" env -u GOVPKI_PIN "$CA_TOOL" --pin-file "$T/nopin" crl --ca root --out "$T/x.crl" $PASS
: > "$T/emptypin"
expect_fail "--pin-file: empty" 5 "empty PIN from $T/emptypin" env -u GOVPKI_PIN "$CA_TOOL" --pin-file "$T/emptypin" crl --ca root --out "$T/x.crl" $PASS
[ ! -e "$T/x.crl" ] && ok "no CRL written by the refused runs" || not_ok "a CRL was written"
expect_fail "missing token" 3 "no token 'nosuch' in module" ct init --name x2 --subject "/CN=X" --key "pkcs11:token=nosuch;object=root" $PASS
expect_fail "missing object" 3 "no private key labelled 'nosuch' in token 'hsm'" ct init --name x3 --subject "/CN=X" --key "$TOK;object=nosuch" $PASS
expect_fail "missing id" 3 "no private key with the given id" ct init --name x4 --subject "/CN=X" --key "$TOK;id=%01%02" $PASS
expect_fail "wrong module path" 3 "PKCS#11 module /nonexistent/libp11mod.so \(from GOVPKI_PKCS11_MODULE\)" env GOVPKI_PKCS11_MODULE=/nonexistent/libp11mod.so "$CA_TOOL" init --name x5 --subject "/CN=X" --key "$TOK;object=root" $PASS
printf 'not a library\n' > "$T/fake.so"
expect_fail "a module that is not a library" 1 "cannot load PKCS#11 module" env GOVPKI_PKCS11_MODULE="$T/fake.so" "$CA_TOOL" init --name x6 --subject "/CN=X" --key "$TOK;object=root" $PASS
# no module configured: the default (p11-kit's proxy, hsm_ca.sh) is asked,
# and a token it does not have is refused naming it
expect_fail "no module configured, a token the default module lacks" nz "nosuch" env -u GOVPKI_PKCS11_MODULE "$CA_TOOL" init --name x7 --subject "/CN=X" --key "pkcs11:token=nosuch;object=root" $PASS
expect_fail "URI: unknown attribute" 4 "unknown path attribute 'colour'" ct init --name x8 --subject "/CN=X" --key "$TOK;colour=red" $PASS
expect_fail "URI: repeated attribute" 4 "'object' given twice" ct init --name x9 --subject "/CN=X" --key "$TOK;object=a;object=b" $PASS
expect_fail "URI: bad escape" 4 "bad %-escape in object" ct init --name x10 --subject "/CN=X" --key "$TOK;object=a%zz" $PASS
expect_fail "URI: no object or id" 4 "names no key" ct init --name x11 --subject "/CN=X" --key "$TOK" $PASS
expect_fail "URI: type=cert" 4 "only private keys sign" ct init --name x12 --subject "/CN=X" --key "$TOK;object=root;type=cert" $PASS
expect_fail "unknown [pkcs11] key" 4 "unknown key 'modul' in \[pkcs11\]" sh -c "printf '[pkcs11]\nmodul = x\n' > '$T/bad.cnf'; '$CA_TOOL' --config '$T/bad.cnf' list"
[ "$(store_dump)" = "$before" ] && ok "the store is unchanged" || not_ok "the store changed"

expect_fail "key generate: label taken" 4 "already holds an object labelled 'root'" ct key generate --token "$TOK" --label root --type ec-p256 --pin-file "$PIN_FILE"
expect_fail "key generate: ed25519 not in tokens" 2 "unknown key type|cannot be made" ct key generate --token "$TOK" --label e --type ed25519x --pin-file "$PIN_FILE"
expect_fail "key generate: sm2 refused" 4 "sm2 keys cannot be made in a token" ct key generate --token "$TOK" --label e --type sm2 --pin-file "$PIN_FILE"
expect_fail "key generate: --token names an object" 4 "names a token, not an object" ct key generate --token "$TOK;object=root" --label e2 --type ec-p256 --pin-file "$PIN_FILE"
expect_fail "key generate: wrong PIN" 5 "wrong PIN" ct key generate --token "$TOK" --label e3 --type ec-p256 --pin-file "$T/badpin"
expect_fail "key generate: no --label" 2 "needs --label" ct key generate --token "$TOK" --type ec-p256
expect_fail "key: no sub-command" 2 "key generate" ct key --token "$TOK"
objs_after=$(objs) && [ "$objs_after" = "$objs_before" ] && ok "the token holds the same objects" ||
	not_ok "the token's objects changed (${objs_after:-?} vs $objs_before)"
finish
