#!/bin/bash
# ra_abuse: an anonymous client with random tokens cannot flood the audit
# chain or starve others (issues 21.5, 11.5).  The rate limit keys on the
# client address before authentication and on the verified principal after
# it, never on an unverified Authorization header: 300 random tokens from
# 127.0.0.1 get at most rate_burst (plus the refill) 401s and 429s after
# that; refused logins are audited once per client per
# refused_audit_seconds, the rest summarised in one entry at the end of the
# interval (here: at shutdown) with their exact count; metrics count every
# refusal; legitimate clients on 127.0.0.2 stay answered, and so does an
# applicant whose requests are limited by its token, not by its address.
. "$(dirname "$0")/ra_lib.sh"

BURST=20
ra_setup "rate_limit = 1
rate_burst = $BURST
refused_audit_seconds = 3600"
ra_start
DB="$GOVPKI_HOME/govpki.db"
logins() { sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'ra.login'"; }
before=$(logins)

# 300 requests, each with its own random token, on one keep-alive connection
# per curl (--next): the codes, one a line
{
	for i in $(seq 300); do
		[ "$i" -gt 1 ] && echo "next"
		printf 'url = "%s/api/v1/requests"\nheader = "Authorization: Bearer gpt_%s"\n' \
			"$URL" "$(openssl rand -hex 16)"
		printf 'cacert = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nsilent\n' "$D/root.pem"
	done
} > "$T/flood.cfg"
t0=$(date +%s)
curl -K "$T/flood.cfg" > "$T/codes"
t1=$(date +%s)
n401=$(grep -c '^401$' "$T/codes" || true)   # grep -c exits 1 on a count of 0: the count is checked
n429=$(grep -c '^429$' "$T/codes" || true)   # (the same)
echo "# 401: $n401, 429: $n429, other: $(grep -vc '^40[19]$\|^429$' "$T/codes" || true) in $((t1 - t0)) s"   # (the same)
[ $((n401 + n429)) -eq 300 ] && ok "every random token: 401 or 429" || not_ok "every random token: 401 or 429 ($n401 + $n429)"
# the bucket holds BURST and gains 1 a second (the run's whole seconds, and one for the edges)
[ "$n401" -ge 1 ] && [ "$n401" -le $((BURST + t1 - t0 + 1)) ] &&
	ok "at most the burst and the refill got as far as authentication ($n401)" ||
	not_ok "at most the burst and the refill got as far as authentication ($n401 > $BURST + $((t1 - t0 + 1)))"
check "one audit entry for the flood so far" 1 "$(($(logins) - before))"

# others are answered meanwhile: an auditor's metrics, an officer, a submission
code=$(curl -s --interface 127.0.0.2 -o "$T/metrics" -w '%{http_code}' --cacert "$D/root.pem" \
	--cert "$D/dave.crt" --key "$D/dave.key" "$URL/metrics")
check "the auditor on 127.0.0.2 is answered" 200 "$code"
check "metrics count every refused login" "$n401" "$(awk '$1 == "ra_auth_refused_total" { print $2 }' "$T/metrics")"
[ "$(awk '$1 == "ra_rate_limited_total" { print $2 }' "$T/metrics")" -ge "$n429" ] &&
	ok "metrics count the 429s" || not_ok "metrics count the 429s"
check "an officer on 127.0.0.2 is answered" 200 "$(api alice GET /api/v1/requests --interface 127.0.0.2)"
csr_json ec-p256 www.example.gov.cn "DNS:www.example.gov.cn" > "$T/req.json"
check "an applicant on 127.0.0.2 submits" 201 "$(api app POST /api/v1/requests --interface 127.0.0.2 \
	-H 'Content-Type: application/json' --data-binary @"$T/req.json")"
# still limited: BURST + 5 probes on one connection find at most the
# bucket's refill since the flood (one a second, never above BURST) let
# through, so at least 5 are 429 however long the steps above took
{
	for i in $(seq $((BURST + 5))); do
		[ "$i" -gt 1 ] && echo "next"
		printf 'url = "%s/healthz"\ncacert = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nsilent\n' "$URL" "$D/root.pem"
	done
} > "$T/probe.cfg"
curl -K "$T/probe.cfg" > "$T/probe"
t2=$(date +%s)
p200=$(grep -c '^200$' "$T/probe" || true)   # grep -c exits 1 on a count of 0: the count is checked
p429=$(grep -c '^429$' "$T/probe" || true)   # (the same)
allowed=$((t2 - t1 + 1)); [ "$allowed" -gt "$BURST" ] && allowed=$BURST
[ $((p200 + p429)) -eq $((BURST + 5)) ] && [ "$p429" -ge 5 ] && [ "$p200" -le "$allowed" ] &&
	ok "the address 127.0.0.1 is still limited ($p429 of $((BURST + 5)) probes 429, $p200 let through by $((t2 - t1)) s of refill)" ||
	not_ok "the address 127.0.0.1 is still limited ($p200 200s, $p429 429s; at most $allowed may pass)"

# shutdown closes the interval: one summary with the exact count
ra_stop
check "two audit entries in all" 2 "$(($(logins) - before))"
summary=$(sqlite3 "$DB" "SELECT detail FROM audit WHERE action = 'ra.login' ORDER BY seq DESC LIMIT 1")
echo "# $summary"
grep -q "result=refused reason=$((n401 - 1)) more refused logins from 127.0.0.1" <<<"$summary" &&
	ok "the summary counts the other $((n401 - 1)) refusals" || not_ok "the summary counts the other $((n401 - 1)) refusals"

# an interval that ends while the server runs: the next request after it
# writes the summary (no refusal is lost when the client stops failing)
sed -i 's/^rate_limit = 1$/rate_limit = 1000/; s/^rate_burst = .*/rate_burst = 1000/; s/^refused_audit_seconds = .*/refused_audit_seconds = 1/' "$CONF"
ra_start
before=$(logins)
seq0=$(sqlite3 "$DB" "SELECT coalesce(max(seq), 0) FROM audit")
sed -n "1,6{s|^url = .*|url = \"$URL/api/v1/requests\"|; s/^next$//; p}" "$T/flood.cfg" > "$T/one.cfg"
codes=$(for i in $(seq 30); do sed "s/gpt_[0-9a-f]*/gpt_$(openssl rand -hex 16)/" "$T/one.cfg" | curl -K -; done | sort | uniq -c | tr -s ' ')
check "30 random tokens: 401 each" " 30 401" "$codes"
# every refusal is accounted for exactly once, however many intervals the
# 30 requests spanned on a loaded machine: an entry for the first refusal
# of an interval, and "N more" in the summary that closes it
accounted() {
	sqlite3 "$DB" "SELECT detail FROM audit WHERE action = 'ra.login' AND seq > $seq0" |
		awk '/ more refused logins from 127\.0\.0\.1/ {
			# "reason=N more refused ...", or a refusal of a new interval
			# with the last one folded in: "reason=WHY; earlier: N more ..."
			c = $0; sub(/ more refused logins.*/, "", c); sub(/.*[ =]/, "", c); n += c
			if ($0 ~ /earlier: [0-9]+ more refused/) n++
			next }
		     /result=refused/ { n++ } END { print n + 0 }'
}
# bounded: each round is one request from 127.0.0.2, and the interval is 1 s;
# the summary of the last interval is written by the first request after it
for i in $(seq 3000); do
	[ "$(accounted)" -ge 30 ] && break
	curl -s --interface 127.0.0.2 -o /dev/null --cacert "$D/root.pem" "$URL/healthz"
done
check "the summaries account for all 30 refusals" 30 "$(accounted)"
n=$(($(logins) - before))
ra_stop
check "nothing left to summarise at stop" "$n" "$(($(logins) - before))"
check "still 30 accounted for after stop" 30 "$(accounted)"
expect "the audit chain verifies" ct audit verify
finish
