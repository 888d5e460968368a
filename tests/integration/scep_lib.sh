# tests/integration/scep_lib.sh: ra-server with SCEP (RFC 8894): profiles, the RA certificate, helpers (sourced)
. "$(dirname "${BASH_SOURCE[0]}")/ra_lib.sh"

# scep_setup [[ra] LINES] [[scep] LINES]: ra_setup with profiles scep-dev (scep_approval = auto) and
# scep-officer (officer), an RSA RA certificate of profile scep-ra, [scep] on the TLS port and
# on a plain HTTP one (legacy_des = $SCEP_LEGACY_DES, default yes); ra_start; SCEP and HSCEP
# the two URLs of /scep
scep_setup() {
	ra_setup "threads = 4
${1:-}
[profile.scep-dev]
inherit = device
key_usage = digitalSignature, keyEncipherment
scep = yes
scep_approval = auto
[profile.scep-officer]
inherit = scep-dev
scep = yes
scep_approval = officer
[profile.scep-ra]
inherit = tls-client
key_usage = digitalSignature, keyEncipherment
[scep]
default_profile = scep-dev
ra_cert = $D/ra.crt
ra_key = $D/ra.key
legacy_des = ${SCEP_LEGACY_DES:-yes}
http_listen = 127.0.0.1:$(free_port)
${2:-}"
	# the RA certificate clients envelope to and CertReps are signed with (RSA: key transport)
	genkey rsa2048 "$D/ra.plain"
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$D/ra.plain" -out "$D/ra.key" -passout "pass:$GOVPKI_PASSPHRASE"
	openssl req -new -key "$D/ra.plain" -subj "/C=CN/O=City/CN=SCEP RA" -out "$D/ra.csr"
	ct --config "$CONF" issue --ca issuing --profile scep-ra --csr "$D/ra.csr" --out "$D/ra.crt" >/dev/null
	ra_start
	export SSL_CERT_FILE="$D/root.pem"     # Go's TLS roots, for scepclient
	SCEP="$URL/scep"
	# SCEP alone over plain HTTP ([scep] http_listen), as routers and strongSwan's pki use it
	HSCEP="http://$(sed -n 's/^http_listen = //p' "$CONF")/scep"
	# scepclient envelopes to every certificate of GetCACert unless told which: the RA's
	RAFP=$(openssl x509 -in "$D/ra.crt" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
	DB="$GOVPKI_HOME/govpki.db"
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
certs() { sqlite3 "$DB" "SELECT count(*) FROM cert"; }
audits() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action LIKE 'scep.%' AND detail LIKE '%$1%'"; }
challenge() { ct --config "$CONF" scep challenge --profile "${1:-scep-dev}" 2>/dev/null; }
get() { curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --cacert "$D/root.pem" "$@"; }
header() { tr -d '\r' < "$T/hdr" | sed -n "s/^$1: //Ip" | tail -n 1; }
# verify NAME CERT: openssl verify of CERT (PEM or DER) to our root
verify() {
	[ -s "$2" ] || { not_ok "$1: there is no certificate"; return; }
	local form=DER
	grep -q -- "-----BEGIN CERTIFICATE" "$2" && form=PEM
	openssl x509 -in "$2" -inform "$form" -out "$T/v.pem" 2>"$T/v.err" ||
		{ not_ok "$1: not a certificate"; show 3 "$T/v.err"; return; }
	expect "$1: openssl verify" openssl verify -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T/v.pem"
}

