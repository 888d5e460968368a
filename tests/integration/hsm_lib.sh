# tests/integration/hsm_lib.sh: a SoftHSM2 token in the test's own folder (sourced after lib.sh)
# Sets SOFTHSM2_CONF, GOVPKI_PKCS11_MODULE, P11MOD, PIN_FILE; skips the test
# (a failure under CI=true) when SoftHSM2 or pkcs11-tool is not installed:
# make check installs nothing, scripts/test.sh installs both.
P11MOD=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
	[ -f "$m" ] && { P11MOD=$m; break; }
done
if [ -z "$P11MOD" ] || ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null; then
	skip_all "SoftHSM2 (softhsm2) or pkcs11-tool (opensc) is not installed (scripts/test.sh installs them)"
fi
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$T" > "$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
export GOVPKI_PKCS11_MODULE="$P11MOD"
unset GOVPKI_PIN
PIN=1234
printf '%s\n' "$PIN" > "$T/pin"
PIN_FILE="$T/pin"

# mktoken LABEL: a fresh initialised token with user PIN $PIN
mktoken() {
	softhsm2-util --init-token --free --label "$1" --pin "$PIN" --so-pin 87654321 >/dev/null
}

# p11attrs LABEL [TOKEN]: pkcs11-tool's view of the private key LABEL (its
# Access line), nothing when there is no such key; fails when pkcs11-tool
# cannot list the token's keys (so that "no key" is never a failed listing)
p11attrs() {
	pkcs11-tool --module "$P11MOD" --token-label "${2:-hsm}" --login --pin "$PIN" \
	    --list-objects --type privkey > "$T/p11attrs" 2> "$T/p11attrs.err" ||
		{ echo "# pkcs11-tool --list-objects failed:" >&2; sed -n '1,5s/^/#   /p' "$T/p11attrs.err" >&2; return 1; }
	awk -v l="$1" '
	    /^Private Key Object/ { inobj = 1; mine = 0; next }
	    inobj && /label:/ { mine = ($2 == l) }
	    inobj && mine && /Access:/ { print }' "$T/p11attrs"
}
