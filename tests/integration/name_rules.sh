#!/bin/bash
# tests/integration/name_rules.sh: a profile's name rules (allowed_dns, allowed_ip,
# allowed_email, cn_in_san; docs/configuration.md) hold at every way in: ca-tool issue
# (exit 4), the RA's request API (400 policy-violation) and ACME newOrder
# (rejectedIdentifier, seen by certbot); a refused request leaves nothing in the store
# and the names that are allowed are issued (checked with openssl)
. "$(dirname "$0")/ra_lib.sh"

command -v certbot >/dev/null || { echo "certbot not installed (scripts/common.sh installs it)"; exit 77; }
HTTP01=$(free_port)
JSON=(-H 'Content-Type: application/json')

ra_setup "[profile.tls-server]
acme = yes
allowed_dns = city.gov, .svc.example
allowed_ip = 10.1.0.0/16
[profile.clerk]
inherit = person
allowed_email = city.gov
[acme]
http01_port = $HTTP01
validation_host = 127.0.0.1"
DB="$GOVPKI_HOME/govpki.db"
rows() { sqlite3 "$DB" "SELECT (SELECT count(*) FROM cert), (SELECT count(*) FROM ra_request), (SELECT count(*) FROM acme_order)"; }

# --- ca-tool issue
n=0
# csr SUBJECT [SAN]: a fresh CSR in $T/c$n.csr, its name in $CSR
csr() { n=$((n + 1)); CSR="$T/c$n.csr"; genkey ec-p256 "$T/k$n"; mkcsr ec-p256 "$T/k$n" "$CSR" "$1" "${2:-}"; }
issue() { ct --config "$CONF" issue --ca issuing --csr "$@" --out "$T/out.pem"; }
good() {
	local what=$1 prof=$2; csr "$3" "${4:-}"
	rm -f "$T/out.pem"
	expect "ca-tool issue: $what" issue "$CSR" --profile "$prof"
	openssl x509 -in "$T/out.pem" -noout -ext subjectAltName > "$T/san" 2>&1 &&
		grep -Fq "${5:-}" "$T/san" && ok "... openssl shows ${5:-its SAN}" ||
		{ not_ok "... openssl shows ${5:-}"; show 5 "$T/san"; }
}
bad() {
	local what=$1 prof=$2 pat=$3 before; csr "$4" "${5:-}"
	before=$(rows)
	rm -f "$T/out.pem"
	expect_fail "ca-tool issue refuses $what" 4 "$pat" issue "$CSR" --profile "$prof"
	[ "$(rows)" = "$before" ] && [ ! -e "$T/out.pem" ] && ok "... nothing stored or written" ||
		not_ok "... something was stored ($before -> $(rows))"
}
good "a name at the rule's domain" tls-server "/CN=city.gov" "DNS:city.gov" "DNS:city.gov"
good "a name below it, CN in the SAN in another case" tls-server "/CN=WWW.City.gov" "DNS:www.city.gov" "DNS:www.city.gov"
good "a wildcard below it" tls-server "/O=City" "DNS:*.hall.city.gov" "DNS:*.hall.city.gov"
good "a name strictly below .svc.example" tls-server "/O=City" "DNS:api.svc.example" "DNS:api.svc.example"
good "an address in 10.1.0.0/16" tls-server "/CN=10.1.2.3" "IP:10.1.2.3" "IP Address:10.1.2.3"
bad "a name outside allowed_dns" tls-server "DNS name 'www.evil.example' is outside allowed_dns" "/O=City" "DNS:www.evil.example"
bad "a name that only ends like the rule" tls-server "'evilcity.gov' is outside allowed_dns" "/O=City" "DNS:evilcity.gov"
bad "the .domain rule's own name" tls-server "'svc.example' is outside allowed_dns" "/O=City" "DNS:svc.example"
bad "one bad name among good ones" tls-server "outside allowed_dns" "/O=City" "DNS:www.city.gov,DNS:city.gov.evil.example"
bad "an address outside allowed_ip" tls-server "IP address 10.2.0.1 is outside allowed_ip" "/O=City" "IP:10.2.0.1"
bad "a CN that is not a SAN (cn_in_san)" tls-server "CN 'www.city.gov' is not one of the DNS or IP subjectAltNames" "/CN=www.city.gov" "DNS:other.city.gov"
# --san replaces the CSR's names, and is checked the same (c1 names city.gov)
before=$(rows)
expect_fail "ca-tool issue --san outside the rule" 4 "outside allowed_dns" issue "$T/c1.csr" --profile tls-server --subject "/O=City" --san "DNS:x.evil.example"
[ "$(rows)" = "$before" ] && ok "... nothing stored" || not_ok "... stored"
good "a clerk's mailbox at city.gov" clerk "/CN=Li Si/emailAddress=li.si@city.gov" "email:li.si@city.gov" "email:li.si@city.gov"
bad "a clerk's mailbox elsewhere" clerk "email address 'li.si@evil.example' is outside allowed_email" "/CN=Li Si" "email:li.si@evil.example"
bad "an emailAddress attribute elsewhere" clerk "'x@evil.example' is outside allowed_email" "/CN=Li Si/emailAddress=x@evil.example" "email:li.si@city.gov"
# the rule is the configuration's: the built-in profile alone issues the same name
expect "without the configuration the same name is issued" \
	ct issue --ca issuing --profile tls-server --csr "$T/c6.csr" --out "$T/nocfg.pem"

# a bad rule stops ca-tool and names the file and line
printf '[profile.tls-server]\nallowed_ip = 10.1.0.1/16\n' > "$T/bad.cnf"
expect_fail "a rule with host bits set is a configuration error" nz "bad.cnf:2: allowed_ip in \[profile.tls-server\]" \
	ct --config "$T/bad.cnf" config check

# --- the RA's request API
ra_start
submit() { csr_json ec-p256 "$1" "$2" "${3:-tls-server}" > "$T/req.json"; api app POST /api/v1/requests "${JSON[@]}" --data-binary @"$T/req.json"; }
check "RA: a name within the rule is taken" 201 "$(submit www.city.gov DNS:www.city.gov)"
before=$(rows)
check "RA: a name outside allowed_dns is 400" 400 "$(submit www.evil.example DNS:www.evil.example)"
json_matches "j['type']" "policy-violation" && ok "... policy-violation" || not_ok "... type $(json "j.get('type')")"
json_matches "j['detail']" "outside allowed_dns" && ok "... naming the rule" || not_ok "... detail $(json "j.get('detail')")"
check "RA: a CN that is not a SAN is 400" 400 "$(submit www.city.gov DNS:mail.city.gov)"
json_matches "j['detail']" "cn_in_san" && ok "... naming cn_in_san" || not_ok "... detail $(json "j.get('detail')")"
check "RA: an address outside allowed_ip is 400" 400 "$(submit 192.0.2.1 IP:192.0.2.1)"
[ "$(rows)" = "$before" ] && ok "RA: the refused requests stored nothing" || not_ok "RA: stored ($before -> $(rows))"

# --- ACME newOrder, through certbot
export REQUESTS_CA_BUNDLE="$D/root.pem"
cb() {
	certbot --non-interactive --config-dir "$T/cb/etc" --work-dir "$T/cb/work" \
		--logs-dir "$T/cb/log" --server "$URL/acme/tls-server/directory" \
		certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01" \
		--agree-tos --register-unsafely-without-email "$@"
}
before=$(rows)
rc=0; cb -d www.evil.example > "$T/cb.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && ok "certbot: an order for a name outside allowed_dns fails" || not_ok "certbot got a certificate for www.evil.example"
grep -q "rejectedIdentifier" "$T/cb/log/letsencrypt.log" && ok "... the server said rejectedIdentifier" ||
	{ not_ok "... no rejectedIdentifier"; show 10 "$T/cb.out"; }
grep -q "outside allowed_dns" "$T/cb/log/letsencrypt.log" && ok "... naming the rule" || not_ok "... the rule is not named"
[ "$(rows)" = "$before" ] && ok "... no order stored" || not_ok "... stored ($before -> $(rows))"
expect "certbot: a name within the rule is issued" cb -d acme.city.gov
openssl x509 -in "$T/cb/etc/live/acme.city.gov/cert.pem" -noout -ext subjectAltName > "$T/san" 2>&1 &&
	grep -q "DNS:acme.city.gov" "$T/san" && ok "... openssl shows DNS:acme.city.gov" || not_ok "... SAN: $(cat "$T/san")"
expect "audit chain verifies" ct audit verify
finish
