#!/bin/bash
# store_pg.sh: the PostgreSQL store backend (issue 19) on a throwaway cluster
# (tests/pg-cluster.sh): the store conformance cases of
# tests/unit/test_store_conformance run against it, the database itself
# refuses what would break a store's rules (a serial taken twice, a CRL
# number that does not grow, an audit entry that does not link, an edit of
# the log, a revoked certificate without its CRL entry), ca-tool
# init/issue/revoke/crl on a postgresql:// store, checked with openssl and
# psql, and ocsp-responder on it: live answers that follow a revocation,
# ca-tool ocsp presign and a key-less --presigned replica.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ocsp_lib.sh"
. "$(dirname "$0")/pg_lib.sh"

pg_start
# ocsp_lib.sh's trap, and the cluster stopped
trap '[ -n "$RPID" ] && kill "$RPID" 2>/dev/null; pg_stop; rm -rf "$T"' EXIT

# ---- the conformance cases, one check each
conf="$top_builddir/tests/unit/test_store_conformance"
rc=0
GOVPKI_TEST_STORE=postgresql GOVPKI_TEST_STORE_URI="$GOVPKI_PG_URI" "$conf" >"$T/conf.log" 2>&1 || rc=$?
n=0
while read -r tag name; do
	n=$((n + 1))
	if [ "$tag" = OK ]; then ok "conformance on PostgreSQL: $name"; else
		not_ok "conformance on PostgreSQL: $name"; show 20 "$T/conf.log"; fi
done < <(sed -n '/test(s) run\.$/q; s/^\[ *\(OK\|FAILED\|ERROR\) *\] \([a-z_]*\)$/\1 \2/p' "$T/conf.log")
if [ "$n" -ge 11 ] && [ "$rc" -eq 0 ]; then ok "the conformance program ran $n cases and passed"
else not_ok "the conformance program ran $n cases, exit $rc"; show 20 "$T/conf.log"; fi

# ---- ca-tool on a PostgreSQL store
printf '[govpki]\nstore = %sca\n' "$GOVPKI_PG_URI" > "$T/pg.cnf"
c() { ct --config "$T/pg.cnf" "$@"; }
psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=terse -d ca -c "$1"; }

expect "ca-tool init makes the store's database and a root CA" \
	c init $PASS --name root --subject "/CN=PG Root" --key-type ec-p256
expect "export of the root" c export --ca root --out "$T/root.pem"
genkey ec-p256 "$T/leaf.key"
mkcsr ec-p256 "$T/leaf.key" "$T/leaf.csr" "/CN=leaf.example" "DNS:leaf.example"
expect "issue on PostgreSQL" c issue $PASS --ca root --profile tls-server --csr "$T/leaf.csr" --out "$T/leaf.pem"
if openssl verify -CAfile "$T/root.pem" "$T/leaf.pem" >"$T/v.out" 2>&1; then
	ok "openssl verifies the certificate issued on PostgreSQL"
else not_ok "openssl verify"; show 5 "$T/v.out"; fi
serial=$(openssl x509 -in "$T/leaf.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
if [ "$(psql_q "SELECT encode(serial, 'hex') FROM cert WHERE subject LIKE '%leaf.example%'")" = "$serial" ]; then
	ok "the certificate is a row of the database (psql)"
else not_ok "psql does not find serial $serial"; fi
expect "revoke on PostgreSQL" c revoke --ca root --serial "$serial" --reason keyCompromise
expect "crl on PostgreSQL" c crl $PASS --ca root --out "$T/crl.pem"
if openssl verify -crl_check -CAfile "$T/root.pem" -CRLfile "$T/crl.pem" "$T/leaf.pem" >"$T/v.out" 2>&1; then
	not_ok "openssl accepts the revoked certificate"
elif grep -q "certificate revoked" "$T/v.out"; then ok "openssl: certificate revoked, by the CRL made from PostgreSQL"
else not_ok "openssl verify -crl_check failed otherwise"; show 5 "$T/v.out"; fi
expect "audit verify on PostgreSQL" c audit verify
if grep -q "4 entries" "$T/stdout"; then ok "the chain holds the 4 entries (init, issue, revoke, CRL)"
else not_ok "audit verify said"; show 3 "$T/stdout"; fi

# ---- ocsp-responder on the PostgreSQL store: live signing, and pre-signed
# responses served by a key-less replica
printf '[ocsp]\nrefresh_seconds = 1\n' >> "$T/pg.cnf"
# ocsp_status CERT: the status openssl reads from a response that verifies
ocsp_status() { verified_status "$1" "$T/root.pem" -url "$URL" -CAfile "$T/root.pem"; }
genkey ec-p256 "$T/good.key"
mkcsr ec-p256 "$T/good.key" "$T/good.csr" "/CN=good.example" "DNS:good.example"
expect "issue a second certificate" c issue $PASS --ca root --profile tls-server --csr "$T/good.csr" --out "$T/good.pem"
if start_responder --config "$T/pg.cnf" --ca root $PASS; then ok "ocsp-responder starts on the PostgreSQL store"
else not_ok "ocsp-responder starts on the PostgreSQL store"; fi
[ "$(ocsp_status "$T/good.pem")" = good ] && ok "openssl ocsp: good, verified" ||
	{ not_ok "openssl ocsp: good"; show 5 "$T/ocsp.out"; }
[ "$(ocsp_status "$T/leaf.pem")" = revoked ] && grep -q "Reason: keyCompromise" "$T/ocsp.out" &&
	ok "openssl ocsp: revoked, keyCompromise, verified" || { not_ok "openssl ocsp: revoked"; show 5 "$T/ocsp.out"; }
good_serial=$(openssl x509 -in "$T/good.pem" -noout -serial | cut -d= -f2)
expect "revoke the second one while the responder runs" c revoke --ca root --serial "$good_serial" --reason superseded
# the responder reads the revision every refresh_seconds (1 s): polled for at most 5 s
st=
for i in $(seq 50); do
	st=$(ocsp_status "$T/good.pem")
	[ "$st" = revoked ] && break
	sleep 0.1
done
[ "$st" = revoked ] && ok "the running responder answers revoked (it read the new revision)" ||
	{ not_ok "the running responder still answers '$st'"; show 5 "$T/ocsp.out"; }
stop_responder
expect "ca-tool ocsp presign on PostgreSQL" c --json ocsp presign --ca root $PASS
grep -q '"signed": 2' "$T/stdout" && ok "both certificates pre-signed" || { not_ok "presign"; show 5 "$T/stdout"; }
if [ "$(psql -X -At -d ca -c "SELECT count(*) FROM ocsp_presigned")" = 2 ]; then
	ok "two pre-signed responses are rows of the database (psql)"; else not_ok "ocsp_presigned rows"; fi
if start_responder --config "$T/pg.cnf" --ca root --presigned </dev/null; then ok "a key-less --presigned responder starts on PostgreSQL"
else not_ok "a key-less --presigned responder starts"; fi
[ "$(ocsp_status "$T/good.pem")" = revoked ] && ok "the replica serves the pre-signed revoked response" ||
	{ not_ok "replica: good.pem"; show 5 "$T/ocsp.out"; }
stop_responder

# ---- the database keeps the rules, whoever writes
head=$(psql_q "SELECT max(seq) FROM audit")
zero="'\\x$(printf '0%.0s' {1..64})'"
ones="'\\x$(printf '1%.0s' {1..64})'"
expect_fail "a serial taken twice for one CA: refused by the database" nz "cert_serial" \
	psql_q "INSERT INTO cert (ca_id, serial, subject, not_before, not_after, issued_at, fingerprint, der)
		SELECT ca_id, serial, subject, 0, 0, 0, '\\x01', '\\x30' FROM cert LIMIT 1"
expect_fail "a CRL number that does not grow: refused by the database" nz "not above the last one" \
	psql_q "INSERT INTO crl (ca_id, number, this_update, next_update, revision, der)
		SELECT ca_id, 1, 0, 0, 0, '\\x30' FROM crl LIMIT 1"
expect_fail "an audit entry whose prev_hash is not the head's hash: refused" nz "audit_chain" \
	psql_q "INSERT INTO audit (seq, time, actor, action, prev_hash, hash) VALUES ($((head + 1)), 0, 'x', 'y', $zero, $ones)"
expect_fail "an audit entry after a gap: refused" nz "audit_chain" \
	psql_q "INSERT INTO audit (seq, time, actor, action, prev_hash, hash)
		SELECT $((head + 2)), 0, 'x', 'y', hash, $ones FROM audit WHERE seq = $head"
expect_fail "an edit of the audit log: refused" nz "append-only" \
	psql_q "UPDATE audit SET actor = 'mallory' WHERE seq = 1"
expect_fail "a deletion from the audit log: refused" nz "append-only" \
	psql_q "DELETE FROM audit WHERE seq = $head"
expect_fail "a revoked certificate without its CRL entry: refused" nz "cert_crl_entry" \
	psql_q "UPDATE cert SET crl_entry = NULL WHERE status = 1"
if [ "$(psql_q "SELECT count(*) FROM audit")" = "$head" ]; then ok "the log is as it was"
else not_ok "the log changed"; fi
expect "audit verify after the refused edits" c audit verify

# ---- a backup of the PostgreSQL store: written and verified; restoring it
# into a home is not built yet and is refused, leaving nothing
printf 'backup-pass\n' > "$T/bpass"
expect "ca-tool backup of the PostgreSQL store" c backup --out "$T/pg.gpb" --pass-file "$T/bpass"
expect "... backup verify" c backup verify "$T/pg.gpb" --pass-file "$T/bpass"
expect_fail "restore into a home: refused with a clear error" nz "a PostgreSQL store is postgresql://HOST/DATABASE" \
	ct restore "$T/pg.gpb" --to "$T/restored" --pass-file "$T/bpass"
if [ "$(count_files "$T" 'restored*')" = 0 ]; then ok "... and nothing left behind"; else not_ok "restore left files"; fi

# ---- store URIs that name no database, or a server that is not there
printf '[govpki]\nstore = %s\n' "$GOVPKI_PG_URI" > "$T/nodb.cnf"
expect_fail "a postgresql URI without a database: refused" nz "names no database" \
	ct --config "$T/nodb.cnf" list
printf '[govpki]\nstore = postgresql://%%2Fnonexistent/ca\n' > "$T/noserver.cnf"
expect_fail "a server that is not there: a clear error" nz "cannot connect" \
	ct --config "$T/noserver.cnf" list
finish
