#!/bin/bash
# crl_shards: sharded CRLs ([ca.NAME] crl_shards, profile crl_sharded).
# Each certificate of a sharded profile points to BASE/crl/CA-K.crl with
# K = serial mod N (computed here from the serial, not by govpki); each
# shard is a CRL with a critical issuingDistributionPoint naming that URL
# (RFC 5280 §5.2.5) and the full CRL's number; a revoked certificate is on
# its shard and the full CRL only; openssl verify accepts each certificate
# with its own shard and finds no CRL for it in another shard.  Bad
# configurations and options are refused with nothing written.
. "$(dirname "$0")/lib.sh"

BASE=http://pki.example.gov.cn
N=4
cat > "$T/govpki.cnf" <<EOF
[ca.issuing]
base_url = $BASE
crl_shards = $N

[profile.person-sharded]
inherit = person
crl_sharded = yes
EOF
ct() { "$CA_TOOL" --config "$T/govpki.cnf" "$@"; }

expect "root CA" ct init --name root --subject "/C=CN/O=City of Example/CN=Root CA" $PASS
expect "issuing CA with crl_shards = $N" ct init --name issuing --parent root \
	--subject "/C=CN/O=City of Example/CN=Issuing CA" $PASS --parent-pass-file "$T/pass"
ct export --ca root --out "$T/root.pem"
ct export --ca issuing --out "$T/issuing.pem"
cat "$T/issuing.pem" "$T/root.pem" > "$T/chain.pem"

# cdp FILE: the certificate's CRL distribution point URI
cdp() { openssl x509 -in "$1" -noout -ext crlDistributionPoints | sed -n 's/^ *URI://p'; }
# serial_mod FILE: its serial mod N, from openssl's hex serial
serial_mod() { python3 -c "import sys; print(int(sys.argv[1], 16) % $N)" \
	"$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)"; }

CERTS=16
genkey ec-p256 "$T/ee.key"
declare -A SHARD_OF=()
bad_dp=0
for i in $(seq 1 $CERTS); do
	mkcsr ec-p256 "$T/ee.key" "$T/ee$i.csr" "/C=CN/O=City of Example/CN=Person $i"
	ct issue --ca issuing --profile person-sharded --csr "$T/ee$i.csr" --out "$T/ee$i.pem" $PASS \
		>/dev/null 2>"$T/stderr" || { not_ok "issue $i"; show 5 "$T/stderr"; continue; }
	k=$(serial_mod "$T/ee$i.pem")
	SHARD_OF[$i]=$k
	[ "$(cdp "$T/ee$i.pem")" = "$BASE/crl/issuing-$k.crl" ] || {
		bad_dp=$((bad_dp + 1)); echo "# ee$i: $(cdp "$T/ee$i.pem"), serial mod $N = $k"; }
done
[ ${#SHARD_OF[@]} -eq $CERTS ] && [ $bad_dp -eq 0 ] &&
	ok "$CERTS certificates each point to BASE/crl/issuing-K.crl, K = serial mod $N" ||
	not_ok "shard distribution points ($bad_dp wrong of ${#SHARD_OF[@]})"
used=$(printf '%s\n' "${SHARD_OF[@]}" | sort -u | wc -l)
[ "$used" -ge 2 ] && ok "the certificates fall on $used shards" || not_ok "all on one shard"

mkcsr ec-p256 "$T/ee.key" "$T/plain.csr" "/C=CN/O=City of Example/CN=Unsharded"
expect "a certificate of an unsharded profile" ct issue --ca issuing --profile person \
	--csr "$T/plain.csr" --out "$T/plain.pem" $PASS
[ "$(cdp "$T/plain.pem")" = "$BASE/crl/issuing.crl" ] &&
	ok "an unsharded profile points to the full CRL" || not_ok "unsharded CDP: $(cdp "$T/plain.pem")"

# revoke ee1, and a second certificate on another shard
R1=1 R2=
for i in $(seq 2 $CERTS); do
	[ "${SHARD_OF[$i]}" != "${SHARD_OF[$R1]}" ] && { R2=$i; break; }
done
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
expect "revoke ee$R1 (shard ${SHARD_OF[$R1]})" ct revoke --ca issuing --serial "$(serial "$T/ee$R1.pem")" \
	--reason keyCompromise
expect "revoke ee$R2 (shard ${SHARD_OF[$R2]})" ct revoke --ca issuing --serial "$(serial "$T/ee$R2.pem")"

mkdir "$T/pub"
expect "crl --shards DIR" ct crl --ca issuing --shards "$T/pub" $PASS
grep -q "$N CRL shards of issuing" "$T/stdout" && ok "it says the shards were made" ||
	{ not_ok "crl --shards output"; show 5 "$T/stdout"; }
FULL=$T/pub/crl/issuing.crl
num() { openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2; }
# revoked_in CRL SERIAL: the serial is listed
revoked_in() { openssl crl -inform DER -in "$1" -noout -text > "$T/crl.txt" &&
	grep -q "Serial Number: $2" "$T/crl.txt"; }
for k in $(seq 0 $((N - 1))); do
	f=$T/pub/crl/issuing-$k.crl
	[ -f "$f" ] || { not_ok "shard $k: no $f"; continue; }
	openssl crl -inform DER -in "$f" -CAfile "$T/chain.pem" -noout 2>"$T/stderr" &&
		ok "shard $k: its signature verifies (openssl crl)" || { not_ok "shard $k signature"; show 3 "$T/stderr"; }
	openssl crl -inform DER -in "$f" -noout -text > "$T/shard.txt"
	grep -A2 "Issuing Distribution Point: critical" "$T/shard.txt" > "$T/idp.txt" &&
		grep -q "URI:$BASE/crl/issuing-$k.crl" "$T/idp.txt" &&
		ok "shard $k: critical issuingDistributionPoint naming its URL" ||
		{ not_ok "shard $k: IDP"; show 20 "$T/shard.txt"; }
	[ "$(num "$f")" = "$(num "$FULL")" ] && ok "shard $k: the full CRL's number" ||
		not_ok "shard $k: number $(num "$f"), full $(num "$FULL")"
	# each revoked serial on its own shard only
	for i in $R1 $R2; do
		s=$(serial "$T/ee$i.pem")
		if [ "${SHARD_OF[$i]}" = "$k" ]; then
			revoked_in "$f" "$s" && ok "shard $k lists ee$i" || not_ok "shard $k lacks ee$i"
		else
			! revoked_in "$f" "$s" && ok "shard $k does not list ee$i" || not_ok "shard $k lists ee$i"
		fi
	done
	# certtool, an independent parser, checks the shard's signature too
	openssl crl -inform DER -in "$f" -out "$T/shard.pem"
	certtool --verify-crl --load-ca-certificate "$T/issuing.pem" --infile "$T/shard.pem" \
		>"$T/certtool.txt" 2>&1 && ok "shard $k: certtool --verify-crl" ||
		{ not_ok "shard $k: certtool"; show 5 "$T/certtool.txt"; }
done
for i in $R1 $R2; do
	revoked_in "$FULL" "$(serial "$T/ee$i.pem")" && ok "the full CRL lists ee$i" || not_ok "full lacks ee$i"
done
! grep -q "Issuing Distribution Point" "$T/crl.txt" && ok "the full CRL has no issuingDistributionPoint" ||
	not_ok "the full CRL has an IDP"

# verify_with CERT CRL [extra]: what openssl verify -crl_check says, and its exit status
verify_with() {
	local rc=0
	openssl verify -crl_check "${@:3}" -CAfile "$T/chain.pem" -CRLfile "$2" "$1" 2>&1 || rc=$?
	echo "exit $rc"
}
bad=0
for i in $(seq 1 $CERTS); do
	own=$T/pub/crl/issuing-${SHARD_OF[$i]}.crl
	other=$T/pub/crl/issuing-$(( (SHARD_OF[$i] + 1) % N )).crl
	for x in "" -extended_crl; do
		out=$(verify_with "$T/ee$i.pem" "$own" $x)
		if [ "$i" = "$R1" ] || [ "$i" = "$R2" ]; then
			grep -q "certificate revoked" <<<"$out" || { bad=$((bad + 1)); echo "# ee$i own shard $x: $out"; }
		else
			grep -q ": OK$" <<<"$out" && grep -q "^exit 0$" <<<"$out" || { bad=$((bad + 1)); echo "# ee$i own shard $x: $out"; }
		fi
		# another shard is not this certificate's CRL (RFC 5280 §6.3.3 (b)(2))
		out=$(verify_with "$T/ee$i.pem" "$other" $x)
		grep -q "different CRL scope" <<<"$out" || { bad=$((bad + 1)); echo "# ee$i other shard $x: $out"; }
	done
done
[ $bad -eq 0 ] && ok "openssl verify: each certificate with its shard (good or revoked), another shard is a different CRL scope" ||
	not_ok "openssl verify with shards: $bad wrong"
out=$(verify_with "$T/ee$R1.pem" "$FULL")
grep -q "certificate revoked" <<<"$out" && ok "openssl verify: the full CRL covers a sharded certificate" ||
	not_ok "full CRL and a sharded certificate: $out"

# our own verifier, with the shard as the only CRL
good=2; [ "$good" = "$R2" ] && good=3
openssl x509 -in "$T/ee$good.pem" -outform DER -out "$T/good.der"
expect "ca-tool verify: a good certificate with its shard" ct verify --trust "$T/root.pem" \
	--untrusted "$T/issuing.pem" --crl "$T/pub/crl/issuing-${SHARD_OF[$good]}.crl" \
	--revocation prefer "$T/ee$good.pem"
expect_fail "ca-tool verify: a revoked certificate with its shard" nz "revoked" ct verify \
	--trust "$T/root.pem" --untrusted "$T/issuing.pem" --crl "$T/pub/crl/issuing-${SHARD_OF[$R1]}.crl" \
	--revocation prefer "$T/ee$R1.pem"

# --publish on a sharded CA: a new revocation makes the full CRL and the shards again
R3=$(( R1 == 1 && R2 != 3 ? 3 : 4 ))
before=$(num "$FULL")
expect "revoke ee$R3" ct revoke --ca issuing --serial "$(serial "$T/ee$R3.pem")"
expect "crl --publish on a sharded CA, after a revocation" ct --json crl --ca issuing --publish "$T/pub" $PASS
python3 - "$T/stdout" "$N" <<'PY' && ok "--json lists the $N shards, each written" || not_ok "--publish --json shards"
import json, sys
j = json.load(open(sys.argv[1]))
sh = j["shards"]
assert len(sh) == int(sys.argv[2]), sh
assert all(s["written"] for s in sh), sh
assert [s["url"].rsplit("-", 1)[1] for s in sh] == ["%d.crl" % k for k in range(len(sh))], sh
PY
[ $(( $(num "$FULL") )) -gt $(( before )) ] && revoked_in "$T/pub/crl/issuing-${SHARD_OF[$R3]}.crl" "$(serial "$T/ee$R3.pem")" &&
	ok "the new full CRL and ee$R3's shard list it" || not_ok "publish after revocation"
expect "crl --publish again, nothing changed" ct --json crl --ca issuing --publish "$T/pub" $PASS
python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); assert j["shards"] == [] and not j["full"]["made"]' \
	"$T/stdout" && ok "nothing due: no new CRL, no shards" || { not_ok "publish with nothing due"; show 5 "$T/stdout"; }

# bad configurations and options: refused, the store unchanged
store_dump > "$T/before.sql"
for v in 0 1 4097 abc; do
	sed "s/^crl_shards = .*/crl_shards = $v/" "$T/govpki.cnf" > "$T/bad.cnf"
	expect_fail "crl_shards = $v refused" nz "crl_shards" \
		"$CA_TOOL" --config "$T/bad.cnf" crl --ca issuing --shards "$T/pub" $PASS
done
sed "s/^crl_shards = .*/crl_shards = 8/" "$T/govpki.cnf" > "$T/bad.cnf"
expect_fail "crl_shards changed after sharded certificates were issued" nz "fixed for the CA's life" \
	"$CA_TOOL" --config "$T/bad.cnf" issue --ca issuing --profile person-sharded --csr "$T/ee1.csr" \
	--out "$T/x.pem" $PASS
printf '[profile.bad]\ninherit = person\ncrl_sharded = yes\ncrl_url = http://x.example/a.crl\n' > "$T/bad.cnf"
expect_fail "crl_sharded with crl_url refused" nz "crl_sharded" "$CA_TOOL" --config "$T/bad.cnf" config check
printf '[ca.root]\ncrl_shards = 4\n' > "$T/bad.cnf"
expect_fail "crl_shards without a base_url refused" nz "base_url" \
	"$CA_TOOL" --config "$T/bad.cnf" crl --ca root --out "$T/x.crl" $PASS
expect_fail "crl --shards on a CA without crl_shards" 2 "no crl_shards" \
	ct crl --ca root --shards "$T/pub" $PASS
expect_fail "--publish and --shards together" 2 "give one" \
	ct crl --ca issuing --publish "$T/pub" --shards "$T/pub" $PASS
store_dump > "$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" && [ ! -e "$T/x.pem" ] && [ ! -e "$T/x.crl" ] &&
	ok "nothing was written by the refused commands" || not_ok "a refused command wrote"

finish
