#!/bin/bash
# ra_access_log (issue 20.6): ra-server's access log from [daemon]
# access_log (tools/daemon_log.c, shared with ocsp-responder and
# tsa-server: access_log.sh).  JSON lines that jq parses, one per request,
# with the status the API answered; never the bearer token, a query or a
# client certificate's name.
. "$(dirname "$0")/ra_lib.sh"

ra_setup "$(printf '[daemon]\naccess_log = %s/%%s-access.log\naccess_log_format = json' "$T")"
ra_start
LOG="$T/ra-server-access.log"
check "healthz" 200 "$(api anon GET /healthz)"
check "healthz with a token and a query" 200 "$(api app GET "/healthz?secret=SECRET-QUERY")"
check "a request list with the token" 200 "$(api app GET /api/v1/requests)"
check "an officer's list" 200 "$(api alice GET /api/v1/requests)"
check "no credentials" 401 "$(api anon GET /api/v1/requests)"
check "a bad token" 401 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/root.pem" \
	-H "Authorization: Bearer SECRET-WRONG" "$URL/api/v1/requests")"
ra_stop
show 8 "$LOG"
n=$(wc -l < "$LOG" | tr -d ' ')
[ "$n" = 6 ] && ok "6 requests, 6 lines" || not_ok "6 requests, $n lines"
[ "$(jq -c 'select(type == "object")' "$LOG" | wc -l | tr -d ' ')" = 6 ] && ok "every line is a JSON object (jq)" ||
	not_ok "lines that are not JSON"
! grep -q "SECRET" "$LOG" && ! grep -q "$TOKEN" "$LOG" && ! grep -q "alice" "$LOG" &&
	ok "no token, query or client name in the log" || not_ok "a secret is in the log"
[ "$(jq -r '[.daemon, .method, .path, .status] | @tsv' "$LOG" | sort | tr '\n' ' ')" = \
	"$(printf 'ra-server\tGET\t/api/v1/requests\t200\nra-server\tGET\t/api/v1/requests\t200\nra-server\tGET\t/api/v1/requests\t401\nra-server\tGET\t/api/v1/requests\t401\nra-server\tGET\t/healthz\t200\nra-server\tGET\t/healthz\t200\n' | tr '\n' ' ')" ] &&
	ok "paths and statuses as answered" || not_ok "paths and statuses"
finish
