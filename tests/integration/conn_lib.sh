# tests/integration/conn_lib.sh: many idle connections held open against a daemon (sourced after lib.sh)
# The holder (conn_hold.py) needs a file descriptor per connection.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
HOLD_PID=

# hold_start PORT COUNT FIRST_ADDR NADDRS WANT_CLOSED: COUNT idle connections
# from NADDRS loopback addresses starting at FIRST_ADDR; returns once the
# server has closed WANT_CLOSED of them (or the holder's 60 s bound passed),
# with HOLD_OPENED, HOLD_CLOSED, HOLD_FIRST_CLOSED and HOLD_LAST_OPEN set
# from the holder's report (read from a FIFO: no clock involved here)
hold_start() {
	local line=""
	rm -f "$T/hold.in" "$T/hold.out"
	mkfifo "$T/hold.in" "$T/hold.out"
	python3 "$top_srcdir/tests/integration/conn_hold.py" "$@" \
		<"$T/hold.in" >"$T/hold.out" 2>"$T/hold.err" &
	HOLD_PID=$!
	exec 4>"$T/hold.in" 5<"$T/hold.out"
	read -r line <&5 || { sed 's/^/#   /' "$T/hold.err"; return 1; }
	echo "# holder: $line"
	set -- $line
	HOLD_OPENED=$2 HOLD_CLOSED=$4 HOLD_FIRST_CLOSED=$6 HOLD_LAST_OPEN=$8
}

# hold_stop: the holder lets its connections go and exits
hold_stop() {
	exec 4>&-
	if ! wait "$HOLD_PID"; then
		not_ok "the connection holder failed"; sed 's/^/#   /' "$T/hold.err"
	fi
	exec 5<&-
	HOLD_PID=
}

# hold_expect N CLOSED WHAT: the holder opened N connections (from WHAT) and
# the server closed at least CLOSED of them
hold_expect() {
	[ "$HOLD_OPENED" -eq "$1" ] && ok "$1 connections opened from $3" ||
		not_ok "$1 connections opened from $3 ($HOLD_OPENED)"
	[ "$HOLD_CLOSED" -ge "$2" ] && ok "the server closed $2 of them at once" ||
		not_ok "the server closed $2 of them at once (closed $HOLD_CLOSED)"
}

# hold_one_client PORT PER: 2,000 idle connections from 127.0.0.1 to a server
# that takes PER from one client; all but PER are closed at once
hold_one_client() {
	hold_start "$1" 2000 127.0.0.1 1 $((2000 - $2))
	hold_expect 2000 $((2000 - $2)) 127.0.0.1
}

# hold_many_clients PORT MAX: 1,000 idle connections from 20 addresses (50
# each) to a server of max_connections MAX; it closes all past MAX, the
# longest idle first
hold_many_clients() {
	hold_start "$1" 1000 127.0.1.1 20 $((1000 - $2))
	hold_expect 1000 $((1000 - $2)) "20 addresses"
	[ "$HOLD_FIRST_CLOSED" = 1 ] && [ "$HOLD_LAST_OPEN" = 1 ] &&
		ok "the longest idle went first, the newest stayed" ||
		not_ok "the longest idle went first (first closed $HOLD_FIRST_CLOSED, last open $HOLD_LAST_OPEN)"
}

# hold_silent PORT: 10 silent connections to a server of timeout_seconds 1
# are all closed by it (the holder waits at most 60 s)
hold_silent() {
	hold_start "$1" 10 127.0.0.4 1 10
	[ "$HOLD_CLOSED" -eq 10 ] && ok "silent connections closed after timeout_seconds" ||
		not_ok "silent connections closed after timeout_seconds (closed $HOLD_CLOSED of 10)"
	hold_stop
}
