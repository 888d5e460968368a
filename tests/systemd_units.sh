#!/bin/bash
# tests/systemd_units.sh: the daemons' systemd units (contrib/systemd) as
# made by make are accepted by systemd-analyze verify with not one warning,
# rate "OK" or better in systemd-analyze security (exposure at most 2.0 of
# 10), run as the govpki user with the sandbox of hardening.conf, and name
# options the programs know.  systemd is not PID 1 here, so the units are
# checked, not started.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/tap.sh"
if ! command -v systemd-analyze >/dev/null; then
	# scripts/common.sh installs systemd; CI=true does not accept a skip
	if [ "${CI:-}" = true ]; then echo "not ok 1 - systemd-analyze is not installed"; exit 1; fi
	echo "1..0 # SKIP systemd-analyze is not installed"; exit 77
fi
T=$(mktemp -d) && trap 'rm -rf "$T"' EXIT
sbindir=$(sed -n 's|^ExecStart=\(/.*\)/ocsp-responder .*|\1|p' "$top_builddir/contrib/systemd/ocsp-responder.service")
[ -n "$sbindir" ] && ok "the ocsp-responder unit names its program" || not_ok "the ocsp-responder unit names its program"
for prog in ocsp-responder ra-server tsa-server; do
	u=$top_builddir/contrib/systemd/$prog.service
	# the programs as built stand in for the installed ones
	sed "s|^ExecStart=$sbindir/|ExecStart=$top_builddir/|" "$u" > "$T/$prog.service"
	if (cd "$T" && systemd-analyze verify --man=no "./$prog.service") > "$T/out" 2>&1 && ! [ -s "$T/out" ]; then
		ok "$prog: systemd-analyze verify, no warning"
	else
		not_ok "$prog: systemd-analyze verify, no warning"; sed -n '1,5s/^/#   /p' "$T/out"
	fi
	if (cd "$T" && systemd-analyze security --offline=true --threshold=20 --no-pager "./$prog.service") > "$T/out" 2>&1; then
		ok "$prog: exposure $(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' "$T/out") (at most 2.0)"
	else
		not_ok "$prog: exposure at most 2.0"; grep 'Overall' "$T/out" | sed 's/^/#   /'
	fi
	for key in User=govpki NoNewPrivileges=yes ProtectSystem=strict PrivateDevices=yes \
	    SystemCallFilter=@system-service 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE'; do
		grep -qx "$key" "$u" && ok "$prog: $key" || not_ok "$prog: $key"
	done
	# every --option of ExecStart is one the program's --help lists
	opts=$(sed -n 's/^ExecStart=//p' "$u" | grep -o -- '--[a-z-]*' | sort -u)
	"$top_builddir/$prog" --help > "$T/help" 2>&1
	for o in $opts; do
		grep -q -- "$o" "$T/help" && ok "$prog knows $o" || not_ok "$prog knows $o (its --help does not list it)"
	done
done
# the CRL publishing timer (govpki-crl@.timer) and its service, as the
# instance of one CA
svc=$top_builddir/contrib/systemd/govpki-crl@.service
bindir=$(sed -n 's|^ExecStart=\(/.*\)/ca-tool .*|\1|p' "$svc")
[ -n "$bindir" ] && ok "the CRL service names ca-tool" || not_ok "the CRL service names ca-tool"
sed "s|^ExecStart=$bindir/|ExecStart=$top_builddir/|" "$svc" > "$T/govpki-crl@issuing.service"
cp "$top_srcdir/contrib/systemd/govpki-crl@.timer" "$T/govpki-crl@issuing.timer"
if (cd "$T" && systemd-analyze verify --man=no ./govpki-crl@issuing.service ./govpki-crl@issuing.timer) > "$T/out" 2>&1 &&
    ! [ -s "$T/out" ]; then
	ok "govpki-crl@.service and .timer: systemd-analyze verify, no warning"
else
	not_ok "govpki-crl@.service and .timer: systemd-analyze verify, no warning"; sed -n '1,5s/^/#   /p' "$T/out"
fi
if (cd "$T" && systemd-analyze security --offline=true --threshold=20 --no-pager ./govpki-crl@issuing.service) > "$T/out" 2>&1; then
	ok "govpki-crl@.service: exposure $(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' "$T/out") (at most 2.0)"
else
	not_ok "govpki-crl@.service: exposure at most 2.0"; grep 'Overall' "$T/out" | sed 's/^/#   /'
fi
grep -qx "User=govpki" "$svc" && grep -qx "NoNewPrivileges=yes" "$svc" && grep -qx "CapabilityBoundingSet=" "$svc" &&
	ok "govpki-crl@.service: govpki, no new privileges, no capability" || not_ok "govpki-crl@.service: sandbox"
{ "$top_builddir/ca-tool" --help; "$top_builddir/ca-tool" crl --help; } > "$T/help" 2>&1
for o in $(sed -n 's/^ExecStart=//p' "$svc" | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "$o" "$T/help" && ok "ca-tool knows $o" || not_ok "ca-tool knows $o (its --help does not list it)"
done
# the sysusers file makes the user the units run as
grep -q '^u govpki ' "$top_srcdir/contrib/systemd/govpki.sysusers" && ok "sysusers makes the govpki user" ||
	not_ok "sysusers makes the govpki user"
finish
