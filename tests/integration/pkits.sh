#!/bin/bash
# tests/integration/pkits.sh: the NIST PKITS tests of sections 4.1-4.16 through
# `ca-tool verify --rules path`, each with the inputs and the verdict that the
# PKITS document gives (tests/data/pkits.tsv); a wrong verdict fails the test.
. "$(dirname "$0")/lib.sh"

DATA="$top_srcdir/tests/data/pkits.tsv"
# the PKITS data as Debian ships it (python3-cryptography-vectors); it is one
# of scripts/common.sh's packages, so its absence is a failure, not a skip
PKITS=${GOVPKI_PKITS_DIR:-/usr/lib/python3/dist-packages/cryptography_vectors/x509/PKITS_data}
if [ ! -f "$PKITS/certs/TrustAnchorRootCertificate.crt" ]; then
	echo "not ok - no PKITS data in $PKITS (install python3-cryptography-vectors: scripts/common.sh)"
	exit 1
fi
[ -r "$DATA" ] || { echo "not ok - no $DATA"; exit 1; }

# A time inside the validity window of the PKITS 2011 data (see the data file)
AT=2020-01-01T12:00:00Z
NIST_POLICY=2.16.840.1.101.3.2.1.48

lines=0
ran=0
while IFS=$'\t' read -r id name ee untrusted crls pset explicit nomap noany expected rest; do
	case $id in '' | '#'*) continue ;; esac
	lines=$((lines + 1))
	what="$id $name [policy-set $pset, explicit $explicit, no-mapping $nomap, no-any $noany]"
	if [ -n "$rest" ] || [ -z "$expected" ]; then
		not_ok "$what: line $lines of the data file does not have 10 columns"
		continue
	fi
	args=(verify --rules path --revocation require --at "$AT"
		--trust "$PKITS/certs/TrustAnchorRootCertificate.crt")
	missing=
	for f in $untrusted; do
		[ "$f" = - ] && continue
		[ -f "$PKITS/certs/$f" ] || missing+=" certs/$f"
		args+=(--untrusted "$PKITS/certs/$f")
	done
	for f in $crls; do
		[ -f "$PKITS/crls/$f" ] || missing+=" crls/$f"
		args+=(--crl "$PKITS/crls/$f")
	done
	[ -f "$PKITS/certs/$ee" ] || missing+=" certs/$ee"
	for p in $pset; do
		case $p in
		anyPolicy) ;;
		P[1-9]) args+=(--policy "$NIST_POLICY.${p#P}") ;;
		*) missing+=" (policy '$p')" ;;
		esac
	done
	[ "$explicit" = 1 ] && args+=(--explicit-policy)
	[ "$nomap" = 1 ] && args+=(--inhibit-policy-mapping)
	[ "$noany" = 1 ] && args+=(--inhibit-any-policy)
	if [ -n "$missing" ]; then
		not_ok "$what: not in the PKITS data or not understood:$missing"
		continue
	fi
	ran=$((ran + 1))
	rc=0
	"$CA_TOOL" "${args[@]}" "$PKITS/certs/$ee" >"$T/out" 2>&1 || rc=$?
	# exit 0 with the line "FILE: OK" is valid, exit 7 with "FILE: INVALID:
	# why" is not (on stdout or stderr); anything else is an error, never a verdict
	verdict=$(grep -F -e "$PKITS/certs/$ee: OK" -e "$PKITS/certs/$ee: INVALID: " "$T/out") || verdict=
	if [ "$rc" -eq 0 ] && [ "$verdict" = "$PKITS/certs/$ee: OK" ]; then
		got=valid
	elif [ "$rc" -eq 7 ] && [[ $verdict == "$PKITS/certs/$ee: INVALID: "* ]] && [[ $verdict != *$'\n'* ]]; then
		got=invalid
	else
		not_ok "$what: no verdict (exit $rc)"
		show 5 "$T/out"
		continue
	fi
	if [ "$got" = "$expected" ]; then
		ok "$what: $got"
	else
		not_ok "$what: $got, the document says $expected"
		show 3 "$T/out"
	fi
done < "$DATA"

# every data line ran, counted apart from the loop: none lost to a parsing slip
want=$(grep -cv -e '^#' -e '^$' "$DATA")
if [ "$ran" -eq "$want" ] && [ "$lines" -eq "$want" ] && [ "$want" -gt 0 ]; then
	ok "all $want PKITS cases of the data file ran"
else
	not_ok "$ran PKITS cases ran, the data file has $want"
fi
finish
