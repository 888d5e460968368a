#!/bin/bash
# tests/pg-cluster.sh: a throwaway PostgreSQL cluster for the tests (issue 19)
#
#   pg-cluster.sh start [DIR]   makes DIR (a new folder in $TMPDIR when none),
#                               runs initdb and pg_ctl there and prints the
#                               folder; the server listens on a Unix socket
#                               in DIR only (no TCP port)
#   pg-cluster.sh env DIR       prints the shell lines that point libpq and
#                               the tests at it (GOVPKI_PG_URI: a store URI
#                               prefix, a database name to be appended)
#   pg-cluster.sh stop DIR      stops the server at once and removes DIR
#
# PostgreSQL refuses to run as root: under root the cluster belongs to an
# unprivileged account (nobody, or $GOVPKI_PG_USER) and its programs run as
# that account (setpriv); any other user runs them as itself.  The cluster
# trusts local connections (initdb -A trust), made only through the socket
# in DIR, which only its owner and root can reach (mode 0700).  fsync is off:
# the cluster holds test data and is thrown away, never crash-recovered.
set -euo pipefail

pgbin=${GOVPKI_PG_BIN:-}
if [ -z "$pgbin" ]; then
	for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pgbin=$d; done
fi
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
	echo "pg-cluster.sh: no PostgreSQL server programs (initdb) in /usr/lib/postgresql/*/bin:" \
		"install the Debian package postgresql" >&2
	exit 2
fi

# as_owner CMD...: runs CMD as the cluster's owner
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		local u=${GOVPKI_PG_USER:-nobody}
		setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"
	else
		"$@"
	fi
}

usage() { echo "usage: pg-cluster.sh start [DIR] | env DIR | stop DIR" >&2; exit 2; }

# uri_of DIR: the store URI prefix of the cluster in DIR (RFC 3986
# percent-encoding of the socket folder as the host, which libpq reads as a
# Unix socket folder: "Connection URIs" in the libpq documentation)
uri_of() {
	local enc
	enc=$(printf '%s' "$1" | sed 's/%/%25/g; s/\//%2F/g; s/ /%20/g')
	echo "postgresql://$enc/"
}

cmd=${1:-}
case $cmd in
start)
	dir=${2:-}
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/gp-pg.XXXXXX")
	else
		mkdir -p "$dir"
	fi
	dir=$(cd "$dir" && pwd)
	# the socket path must fit in sun_path (107 bytes with ".s.PGSQL.5432")
	if [ ${#dir} -gt 80 ]; then
		echo "pg-cluster.sh: folder $dir is too long for a Unix socket path" >&2
		exit 2
	fi
	if [ "$(id -u)" -eq 0 ]; then
		u=${GOVPKI_PG_USER:-nobody}
		chown "$u:$(id -g "$u")" "$dir"
	fi
	chmod 0700 "$dir"
	if ! as_owner "$pgbin/initdb" -D "$dir/data" -A trust -U govpki -E UTF8 \
		--locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
		echo "pg-cluster.sh: initdb failed:" >&2
		tail -5 "$dir/initdb.log" >&2
		exit 1
	fi
	# listen_addresses '' : no TCP socket at all; the Unix socket in $dir
	if ! as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses= -k $dir -c fsync=off -c max_connections=60" \
		start >"$dir/pg_ctl.log" 2>&1; then
		echo "pg-cluster.sh: the server did not start:" >&2
		tail -5 "$dir/server.log" >&2
		exit 1
	fi
	echo "$dir"
	;;
env)
	[ -n "${2:-}" ] && [ -d "$2/data" ] || usage
	dir=$(cd "$2" && pwd)
	printf 'export PGHOST=%q PGUSER=govpki PGDATABASE=postgres\n' "$dir"
	printf 'export GOVPKI_PG_URI=%q\n' "$(uri_of "$dir")"
	;;
stop)
	[ -n "${2:-}" ] || usage
	dir=$2
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 ||
			echo "pg-cluster.sh: pg_ctl stop failed in $dir" >&2
	fi
	rm -rf "$dir"
	;;
*)
	usage
	;;
esac
