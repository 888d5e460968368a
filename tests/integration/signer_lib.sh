# tests/integration/signer_lib.sh: ra-server in front of ca-signer, each as
# a uid of its own (setpriv), for ra_signer.sh and ra_signer_auto.sh.
# (sourced after lib.sh and ra_lib.sh); signer_setup REQUESTS after ra_setup.
SIGNER="$top_builddir/ca-signer"
[ -x "$SIGNER" ] || { echo "ca-signer not built at $SIGNER" >&2; exit 99; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root: ra-server and ca-signer run as uids of their own (setpriv)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

# uids without a passwd entry: the signer knows its callers by number
RA_UID=61011 SIGNER_UID=61012 GID=61010
DB="$GOVPKI_HOME/govpki.db"
SOCK="$T/run/signer.sock"
JSON=(-H 'Content-Type: application/json')

# signer_setup REQUESTS: [signer] in the RA's configuration ($CONF; the
# same server in process: $T/inproc.cnf), the RA's uid a caller allowed
# REQUESTS; the store and the socket's folder shared with the group, the
# keys root's; KEYFILE the CA key's file
signer_setup() {
	# the RA's configuration without [signer]: the same server in process
	cp "$CONF" "$T/inproc.cnf"
	printf '%s\n' "$GOVPKI_PASSPHRASE" > "$D/tls.pass"
	# in [ra], whatever sections follow it
	sed -i "/^\[ra\]\$/a tls_key_pass_file = $D/tls.pass" "$CONF"
	cat >> "$CONF" <<EOF

[signer]
socket = $SOCK
user = $SIGNER_UID
group = $GID

[signer.caller.$RA_UID]
requests = $1
cas = issuing
EOF
	# the store and the socket's folder are shared with the group; the keys
	# stay root's (0700); the RA's uid reads its configuration and TLS files
	mkdir -p "$T/run"
	chmod 0711 "$T" "$D"
	chgrp "$GID" "$T/run" && chmod 0770 "$T/run"
	chgrp -R "$GID" "$GOVPKI_HOME" && chmod g+rwX "$GOVPKI_HOME" "$GOVPKI_HOME"/govpki.db*
	chmod 0700 "$GOVPKI_HOME/keys"
	chgrp "$GID" "$CONF" "$T/inproc.cnf" "$D/srv-chain.pem" "$D/srv.key" "$D/tls.pass"
	chmod g+r "$CONF" "$T/inproc.cnf" "$D/srv-chain.pem" "$D/srv.key" "$D/tls.pass"
	KEYFILE=$(sqlite3 "$DB" "SELECT key_uri FROM ca WHERE name = 'issuing'")
	case $KEYFILE in /*) ;; *) KEYFILE=$GOVPKI_HOME/$KEYFILE ;; esac
}

SIGNER_PID=
stop_signer() {
	if [ -n "$SIGNER_PID" ]; then
		kill -TERM "$SIGNER_PID" 2>/dev/null || true   # may have exited already
		wait "$SIGNER_PID" 2>/dev/null || true          # its status is not the point
		SIGNER_PID=
	fi
}
trap 'ra_stop; stop_signer; rm -rf "$T"' EXIT

# as UID CMD...: CMD as that uid in the shared group, without the CA
# passphrase in its environment
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE "$@"; }

# start_signer: as root, dropping to SIGNER_UID; up when its socket is
# there (ra-server's own health request then waits in the backlog)
start_signer() {
	rm -f "$SOCK"
	"$SIGNER" --config "$CONF" --pass-file "$T/pass" 2>>"$T/signer.log" &
	SIGNER_PID=$!
	for _ in $(seq 1 500); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || { cat "$T/signer.log" >&2; echo "ca-signer died" >&2; exit 1; }
		sleep 0.02
	done
	echo "ca-signer did not listen" >&2; exit 1
}

# start_ra: ra-server as RA_UID on a free port; up when its port file is
start_ra() {
	rm -f "$T/run/port"
	# a simple command, not the function as: $! is then ra-server itself
	# (setpriv and env exec it), which ra_stop stops
	setpriv --reuid="$RA_UID" --regid="$GID" --clear-groups env -u GOVPKI_PASSPHRASE \
		"$RA_SERVER" --config "$CONF" --listen 127.0.0.1:0 --port-file "$T/run/port" \
		2>>"$T/server.log" &
	RA_PID=$!
	for _ in $(seq 1 500); do
		[ -s "$T/run/port" ] && break
		kill -0 "$RA_PID" 2>/dev/null || { cat "$T/server.log" >&2; echo "ra-server died" >&2; exit 1; }
		sleep 0.02
	done
	[ -s "$T/run/port" ] || { echo "ra-server did not start" >&2; exit 1; }
	URL="https://127.0.0.1:$(cat "$T/run/port")"
}

