#!/bin/bash
# tests/signer_unit.sh: ca-signer's systemd unit (contrib/systemd/
# ca-signer.service, docs/signer.md) as made by make: systemd-analyze
# verify accepts it with not one warning; systemd-analyze security rates it
# (exposure at most 1.0 of 10) and reads no Internet socket allowed (the
# sandbox's AF_INET reset to AF_UNIX alone), no network, no capability; it
# runs as its own user (govpki-signer, which govpki.sysusers makes, in the
# callers' group govpki) with NoNewPrivileges, ProtectSystem and
# PrivateTmp; ExecStart names options ca-signer knows.  systemd is not PID
# 1 here, so the unit is checked, not started.
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
u=$top_builddir/contrib/systemd/ca-signer.service
sbindir=$(sed -n 's|^ExecStart=\(/.*\)/ca-signer .*|\1|p' "$u")
[ -n "$sbindir" ] && ok "the unit names ca-signer" || not_ok "the unit names ca-signer"
# the program as built stands in for the installed one
sed "s|^ExecStart=$sbindir/|ExecStart=$top_builddir/|" "$u" > "$T/ca-signer.service"
if (cd "$T" && systemd-analyze verify --man=no ./ca-signer.service) > "$T/out" 2>&1 && ! [ -s "$T/out" ]; then
	ok "systemd-analyze verify, no warning"
else
	not_ok "systemd-analyze verify, no warning"; sed -n '1,5s/^/#   /p' "$T/out"
fi
if (cd "$T" && systemd-analyze security --offline=true --threshold=10 --no-pager ./ca-signer.service) > "$T/sec" 2>&1; then
	ok "exposure $(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' "$T/sec") (at most 1.0)"
else
	not_ok "exposure at most 1.0"; grep 'Overall' "$T/sec" | sed 's/^/#   /'
fi
# what systemd itself reads from the unit (a check mark: restricted)
for what in 'RestrictAddressFamilies=~AF_(INET|INET6)' 'PrivateNetwork=' 'User=/DynamicUser=' \
    'CapabilityBoundingSet=~CAP_SYS_ADMIN' 'CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)' \
    'AmbientCapabilities=' 'NoNewPrivileges=' 'PrivateTmp='; do
	if awk -v w="$what" '$2 == w { f = 1; ok = ($1 == "✓") } END { exit !(f && ok) }' "$T/sec"; then
		ok "systemd reads $what as restricted"
	else
		not_ok "systemd reads $what as restricted"; grep -F -- "$what" "$T/sec" | sed 's/^/#   /'
	fi
done
for key in User=govpki-signer Group=govpki NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
    PrivateNetwork=yes RestrictAddressFamilies=AF_UNIX CapabilityBoundingSet= RuntimeDirectory=govpki-signer; do
	grep -qx -- "$key" "$u" && ok "$key" || not_ok "$key"
done
# every --option of ExecStart is one ca-signer's --help lists
"$top_builddir/ca-signer" --help > "$T/help" 2>&1
for o in $(sed -n 's/^ExecStart=//p' "$u" | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "$o" "$T/help" && ok "ca-signer knows $o" || not_ok "ca-signer knows $o (its --help does not list it)"
done
# the user: systemd-sysusers makes it, in the group govpki, in a scratch root
mkdir -p "$T/root/etc"
if command -v systemd-sysusers >/dev/null &&
    systemd-sysusers --root="$T/root" "$top_srcdir/contrib/systemd/govpki.sysusers" > "$T/su" 2>&1; then
	grep -q '^govpki-signer:' "$T/root/etc/passwd" && ok "sysusers makes the govpki-signer user" ||
		not_ok "sysusers makes the govpki-signer user"
	grep -Eq '^govpki:x:[0-9]+:(.*,)?govpki-signer(,|$)' "$T/root/etc/group" && ok "... a member of govpki" ||
		{ not_ok "... a member of govpki"; sed 's/^/#   /' "$T/root/etc/group"; }
else
	not_ok "systemd-sysusers reads govpki.sysusers"; sed -n '1,5s/^/#   /p' "$T/su"
fi
finish
