#!/bin/bash
# hsm_ocsp: OCSP and seal signing with keys in a SoftHSM2 token (gp_key_load
# of pkcs11: URIs outside ca-tool): ocsp-responder signing with the CA's HSM
# key (good, then revoked by ca-tool revoke within refresh_seconds), with a
# delegated ocsp-signer whose key is in the token, and seal-tool make with a
# seal-signer key in the token; `ca-tool ocsp signer` for the CA whose key is
# in the token, and a responder holding neither PIN nor CA passphrase;
# openssl and seal-tool verify the results.
# The certificates for token keys come from CSRs signed in the token by
# pkcs11-tool (ca-tool has no CSR command; no PKCS#11 engine is needed).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hsm_lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
. "$(dirname "$0")/seal_lib.sh"

mktoken hsm
TOK="pkcs11:token=hsm"
d="$T/pki"; mkdir -p "$d"

# p11csr LABEL SUBJECT OUT: a CSR for the token's EC P-256 key LABEL, signed
# in the token (ECDSA with SHA-256): the subject comes from a throwaway CSR whose
# public key is replaced by the token's before signing
p11csr() {
	local label=$1 subj=$2 out=$3 id
	# by CKA_ID: pkcs11-tool --sign ignores --label and takes the first private key
	pkcs11-tool --module "$P11MOD" --token-label hsm --login --pin "$PIN" --list-objects \
		--type privkey > "$T/p11.out" 2> "$T/p11.err" || { show 5 "$T/p11.err"; return 1; }
	id=$(awk -v l="$label" '/^Private Key Object/ { m = 0 }
		$1 == "label:" { m = ($2 == l) } m && $1 == "ID:" && id == "" { id = $2 } END { print id }' "$T/p11.out")
	[ -n "$id" ] || { echo "# no private key labelled $label in the token"; return 1; }
	pkcs11-tool --module "$P11MOD" --token-label hsm --read-object --type pubkey \
		--id "$id" -o "$T/$label.pub.der" >/dev/null 2> "$T/p11.err" || { show 5 "$T/p11.err"; return 1; }
	genkey ec-p256 "$T/throwaway.key"
	openssl req -new -key "$T/throwaway.key" -subj "$subj" -outform DER -out "$T/throwaway.csr" || return 1
	python3 - cri "$T/throwaway.csr" "$T/$label.pub.der" "$T/$label.cri" <<'EOF' || return 1
import sys
def tlv(b, i):  # (tag, header length, content length) of the element at b[i]
    t, n = b[i], b[i + 1]
    if n < 0x80:
        return t, 2, n
    k = n & 0x7f
    return t, 2 + k, int.from_bytes(b[i + 2:i + 2 + k], 'big')
def enc(t, c):
    n = len(c)
    if n < 0x80:
        return bytes([t, n]) + c
    l = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([t, 0x80 | len(l)]) + l + c
def elems(b):
    out, i = [], 0
    while i < len(b):
        t, h, n = tlv(b, i)
        out.append(b[i:i + h + n]); i += h + n
    return out
csr = open(sys.argv[2], 'rb').read()
_, h, n = tlv(csr, 0)
cri = elems(csr[h:h + n])[0]
_, h, n = tlv(cri, 0)
f = elems(cri[h:h + n])          # version, subject, SubjectPublicKeyInfo, [0] attributes
f[2] = open(sys.argv[3], 'rb').read()
open(sys.argv[4], 'wb').write(enc(0x30, b''.join(f)))
EOF
	# SoftHSM2 has CKM_ECDSA (of a hash) but not CKM_ECDSA_SHA256
	openssl dgst -sha256 -binary -out "$T/$label.hash" "$T/$label.cri" || return 1
	pkcs11-tool --module "$P11MOD" --token-label hsm --login --pin "$PIN" --sign \
		--mechanism ECDSA --signature-format openssl --id "$id" \
		-i "$T/$label.hash" -o "$T/$label.sig" >/dev/null 2> "$T/p11.err" || { show 5 "$T/p11.err"; return 1; }
	python3 - "$T/$label.cri" "$T/$label.sig" "$out" <<'EOF'
import sys
def enc(t, c):
    n = len(c)
    if n < 0x80:
        return bytes([t, n]) + c
    l = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([t, 0x80 | len(l)]) + l + c
cri = open(sys.argv[1], 'rb').read()
sig = open(sys.argv[2], 'rb').read()
alg = bytes.fromhex('300a06082a8648ce3d040302')   # ecdsa-with-SHA256
open(sys.argv[3], 'wb').write(enc(0x30, cri + alg + enc(0x03, b'\x00' + sig)))
EOF
}

# --- a root and an issuing CA whose keys are in the token ---
expect "root key generated in the token" ct key generate --token "$TOK" --label root --type ec-p256 --pin-file "$PIN_FILE"
expect "issuing key generated in the token" ct key generate --token "$TOK" --label issuing --type ec-p384 --pin-file "$PIN_FILE"
export GOVPKI_PIN=$PIN
expect "root CA on the HSM key" ct init --name root --subject "/C=CN/O=City of Example/CN=HSM Root" --key "$TOK;object=root" $PASS
expect "issuing CA on the HSM key" ct init --name issuing --parent root --subject "/C=CN/O=City of Example/CN=HSM Issuing" --key "$TOK;object=issuing" $PASS
ct export --ca root --out "$d/root.pem"; ct export --ca issuing --out "$d/issuing.pem"
cat "$d/issuing.pem" "$d/root.pem" > "$d/chain.pem"
genkey ec-p256 "$d/good.key"
mkcsr ec-p256 "$d/good.key" "$d/good.csr" "/C=CN/O=City of Example/CN=www.example.gov.cn" "DNS:www.example.gov.cn"
expect "issue a tls-server certificate" ct issue --ca issuing --profile tls-server --csr "$d/good.csr" --out "$d/good.pem" $PASS

# status CERT ARGS...: the status openssl ocsp reports (empty if the response does not verify)
status() { local c=$1; shift; verified_status "$c" "$d/issuing.pem" -url "$URL" -CAfile "$d/chain.pem" "$@"; }

# resp_text CERT: the response about CERT as text in $T/ocsp.out; fails,
# showing why, unless openssl ocsp exits 0 and the response verifies
resp_text() {
	[ -n "$(status "$1" -resp_text)" ] && return 0
	echo "# openssl ocsp -resp_text: no status from a verified response"; show 5 "$T/ocsp.out"; return 1
}

# --- CA-signed responses: the issuing CA's key is in the token ---
printf '[ocsp]\nrefresh_seconds = 1\n' > "$T/ocsp.cnf"
if start_responder --config "$T/ocsp.cnf" $PASS; then
	ok "responder starts with the CA keys in the token"
	[ "$(status "$d/good.pem")" = good ] && ok "good, response verifies (-CAfile)" || { not_ok "good"; show 5 "$T/ocsp.out"; }
	[ "$(status "$d/good.pem" -no_nonce)" = good ] && ok "good, pre-signed (no nonce)" || not_ok "good, pre-signed (no nonce)"
	# the response must be there and verify before its lack of certificates means anything
	if resp_text "$d/good.pem"; then
		grep -q "Certificate:" "$T/ocsp.out" && not_ok "CA-signed: no certificate in the response" || ok "CA-signed: no certificate in the response"
	else
		not_ok "CA-signed: the response (-resp_text) verifies"
	fi
	expect "ca-tool revoke" ct revoke --ca issuing --serial "$(serial_of "$d/good.pem")" --reason keyCompromise
	# refresh_seconds = 1: polled for at most 5 s
	for i in $(seq 50); do
		[ "$(status "$d/good.pem" -no_nonce)" = revoked ] && break
		sleep 0.1
	done
	[ "$(status "$d/good.pem" -no_nonce)" = revoked ] && ok "revoked within the refresh interval (no nonce)" || not_ok "still not revoked after 5 s"
	[ "$(status "$d/good.pem")" = revoked ] && grep -q "Reason: keyCompromise" "$T/ocsp.out" &&
		ok "revoked with its reason (nonce)" || not_ok "revoked with its reason (nonce)"
	stop_responder && ok "SIGTERM: exit 0" || not_ok "SIGTERM: exit status"
else
	not_ok "responder starts with the CA keys in the token"
fi

# --- a delegated ocsp-signer whose key is in the token ---
expect "ocsp-signer key generated in the token" ct key generate --token "$TOK" --label ocsp --type ec-p256 --pin-file "$PIN_FILE"
if p11csr ocsp "/C=CN/O=City of Example/CN=OCSP HSM" "$d/ocsp.csr"; then ok "CSR signed in the token"; else not_ok "CSR signed in the token"; fi
# (openssl req -verify exits 0 even when the signature fails: its message counts)
openssl req -inform DER -in "$d/ocsp.csr" -verify -noout > "$T/req.out" 2>&1 && grep -q "verify OK" "$T/req.out" &&
	ok "openssl accepts the CSR's signature" || not_ok "openssl accepts the CSR's signature"
expect "issue the ocsp-signer" ct issue --ca issuing --profile ocsp-signer --csr "$d/ocsp.csr" --out "$d/ocsp.pem" $PASS
genkey ec-p256 "$d/g2.key"
mkcsr ec-p256 "$d/g2.key" "$d/g2.csr" "/C=CN/O=City of Example/CN=two.example.gov.cn" "DNS:two.example.gov.cn"
expect "issue a second certificate" ct issue --ca issuing --profile tls-server --csr "$d/g2.csr" --out "$d/g2.pem" $PASS
# the PIN from --pin-file this time, not GOVPKI_PIN
unset GOVPKI_PIN
if start_responder --config "$T/ocsp.cnf" --ca issuing --signer-cert "$d/ocsp.pem" --signer-key "$TOK;object=ocsp" \
	--pin-file "$PIN_FILE" $PASS; then
	ok "responder starts with --signer-key pkcs11:...;object=ocsp and --pin-file"
	[ "$(status "$d/g2.pem")" = good ] && ok "delegated: good, response verifies (-CAfile)" || { not_ok "delegated: good"; show 5 "$T/ocsp.out"; }
	[ "$(status "$d/good.pem" -no_nonce)" = revoked ] && ok "delegated: revoked" || not_ok "delegated: revoked"
	resp_text "$d/g2.pem" && grep -Eq "Subject: .*CN ?= ?OCSP HSM" "$T/ocsp.out" &&
		ok "delegated: signed by the ocsp-signer (its certificate included)" || not_ok "delegated: signed by the ocsp-signer"
	# the delegate's certificate alone as the trust anchor: the signature is its key's
	ossl_ocsp -issuer "$d/issuing.pem" -cert "$d/g2.pem" -VAfile "$d/ocsp.pem" > "$T/o" 2>&1 &&
		grep -q "^Response verify OK" "$T/o" && ok "delegated: verifies with -VAfile the delegate" || not_ok "delegated: -VAfile the delegate"
	stop_responder && ok "delegated: SIGTERM exit 0" || not_ok "delegated: SIGTERM exit status"
else
	not_ok "responder starts with --signer-key pkcs11:...;object=ocsp and --pin-file"
fi

# --- issue 20.1: ca-tool ocsp signer for a CA whose key is in the token; the
# responder then gets neither the PIN nor the CA passphrase ---
printf 'delegate-passphrase\n' > "$T/dpass"
expect "ca-tool ocsp signer --ca issuing (CA key in the token)" \
	env GOVPKI_PIN="$PIN" "$CA_TOOL" ocsp signer --ca issuing --signer-pass-file "$T/dpass" $PASS
if start_responder --config "$T/ocsp.cnf" --pass-file "$T/dpass"; then
	ok "responder starts with no PIN and no CA passphrase (the installed signer)"
	[ "$(verified_status "$d/good.pem" "$d/issuing.pem" -url "$URL" \
		-VAfile "$GOVPKI_HOME/ocsp/issuing.crt")" = revoked ] &&
		ok "installed signer: revoked, verifies with -VAfile" || { not_ok "installed signer: -VAfile"; show 5 "$T/ocsp.out"; }
	stop_responder && ok "installed signer: SIGTERM exit 0" || not_ok "installed signer: SIGTERM exit status"
else
	not_ok "responder starts with no PIN and no CA passphrase (the installed signer)"
fi
export GOVPKI_PIN=$PIN

# --- a seal made with the maker's key in the token, signed by a file-key holder ---
mkimages "$T"
printf 'a document to seal\n' > "$T/doc.txt"
expect "seal maker key generated in the token" ct key generate --token "$TOK" --label maker --type ec-p256 --pin-file "$PIN_FILE"
if p11csr maker "/C=CN/O=City of Example/CN=Seal Maker HSM" "$d/maker.csr"; then ok "maker CSR signed in the token"; else not_ok "maker CSR signed in the token"; fi
expect "issue the seal-signer" ct issue --ca root --profile seal-signer --csr "$d/maker.csr" --out "$d/maker.pem" $PASS
enckey ec-p256 "$d/holder"
mkcsr ec-p256 "$d/holder.plain" "$d/holder.csr" "/C=CN/CN=holder" "email:holder@example.gov.cn"
expect "issue the holder (person)" ct issue --ca root --profile person --csr "$d/holder.csr" --out "$d/holder.pem" $PASS
expect "seal-tool --pin-file make --maker-key pkcs11:..." env -u GOVPKI_PIN "$SEAL_TOOL" --pin-file "$PIN_FILE" make --maker-cert "$d/maker.pem" --maker-key "$TOK;object=maker" $PASS \
	--id SEAL-HSM-1 --name "示例市人民政府" --type official --holder "$d/holder.pem" \
	--image "$T/seal.png" --image-type PNG --width 40 --height 40 --days 30 --out "$d/s.seal"
expect "seal decodes field by field (pyasn1)" python3 "$top_srcdir/tests/integration/seal_asn1_check.py" seal "$d/s.seal" "$d" \
	id=SEAL-HSM-1 name="示例市人民政府" type=1 holder="$d/holder.pem" maker="$d/maker.pem" alg=ec-p256 \
	image="$T/seal.png" imagetype=PNG width=40 height=40
openssl pkey -pubin -inform DER -in "$T/maker.pub.der" -out "$T/maker.pub.pem"
expect "maker's signature checks with the token's public key (openssl)" \
	openssl dgst -sha256 -verify "$T/maker.pub.pem" -signature "$d/seal.sigval" "$d/sealinfo.der"
expect "holder signs with a file key" st sign --seal "$d/s.seal" --cert "$d/holder.pem" --key "$d/holder.key" $PASS \
	--doc "$T/doc.txt" --out "$d/doc.sig"
expect "seal-tool verify" st verify --trust "$d/root.pem" --doc "$T/doc.txt" "$d/doc.sig"
grep -q "signature: VALID" "$T/stdout" && grep -q "^seal-signature *pass" "$T/stdout" &&
	ok "every step passes, the maker's signature too" || not_ok "every step passes"
# and the check can fail: one byte of the picture changed
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=b.index(b"IHDR"); b[i]^=1; open(sys.argv[2],"wb").write(b)' "$d/s.seal" "$d/s2.seal"
expect_fail "a changed seal fails" 7 "seal-signature: the signature does not verify" st verify --no-register --trust "$d/root.pem" "$d/s2.seal"
unset GOVPKI_PIN
finish
