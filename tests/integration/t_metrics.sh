# t_metrics.sh: the Prometheus endpoint (--metrics) of a real daemon,
# scraped with curl: every scrape is valid text exposition
# (promcheck.awk); the counters move during ingest, never backwards,
# and at the end match what was sent (records and batches received and
# committed, commits and the histograms' counts, log size, nothing
# pending); an invalid batch and a garbage frame show up by error code;
# records far from the receive time are counted as clock skew (and
# stored), with a threshold that SIGHUP changes; other paths get 404,
# other methods are refused; a non-loopback address is refused unless
# metrics-allow-remote, before the store is touched.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/metrics_lib.sh"

CONF="$T/algauditd.conf"
printf '[metrics]\nclock-skew = 300\n' > "$CONF"
start_metrics -f "$CONF"

say "before any producer: valid, zero"
scrape 0
grep -q "promcheck: OK: 38 families" "$T/check.0" ||
    fail "expected 38 families: $(cat "$T/check.0")"
expect 0 algaudit_received_records_total 0
expect 0 algaudit_log_entries 0
expect 0 algaudit_connections_accepted_total 0
expect 0 'algaudit_store_state{state="ok"}' 1
expect 0 algaudit_clock_skew_threshold_seconds 300
[ "$(val 0 algaudit_store_fs_size_bytes)" -gt 0 ] ||
    fail "no filesystem size"

say "during ingest: counters move, never backwards"
N=8000
bg "$PRODUCER" --connect "$EP" --producer pm --count "$N" --threads 2 \
    --rate 2000 > "$T/prod.out"
PROD=${BG_PIDS[-1]}
prev_r=0
prev_c=0
moved=0
k=1
while kill -0 "$PROD" 2>/dev/null; do
	scrape "i$k"
	r=$(val "i$k" algaudit_received_records_total)
	c=$(val "i$k" algaudit_committed_records_total)
	[ "$r" -ge "$prev_r" ] && [ "$c" -ge "$prev_c" ] ||
	    fail "counters went backwards: received $prev_r -> $r, committed" \
	    "$prev_c -> $c"
	[ "$c" -le "$r" ] || fail "committed $c above received $r"
	if [ "$c" -gt 0 ] && [ "$c" -lt $((2 * N)) ]; then
		moved=$((moved + 1))
	fi
	prev_r=$r
	prev_c=$c
	k=$((k + 1))
	sleep 0.3
done
wait "$PROD" || fail "producer failed: $(cat "$T/prod.out")"
[ "$moved" -ge 2 ] || fail "only $moved scrapes saw ingest in progress"
say "$((k - 1)) scrapes during ingest, $moved mid-way"

say "after ingest: the counters match what was sent"
scrape 1
total=$((2 * N))
expect 1 algaudit_received_records_total "$total"
expect 1 algaudit_committed_records_total "$total"
expect 1 algaudit_committed_duplicates_total 0
expect 1 algaudit_log_entries "$total"
expect 1 algaudit_connections_accepted_total 1
expect 1 algaudit_pending_batches 0
expect 1 algaudit_pending_bytes 0
expect 1 'algaudit_rejected_records_total{code="INVALID_RECORD"}' 0
expect 1 'algaudit_commit_failures_total{reason="full"}' 0
rb=$(val 1 algaudit_received_batches_total)
expect 1 algaudit_committed_batches_total "$rb"
commits=$(val 1 algaudit_commits_total)
[ "$commits" -ge 1 ] || fail "no commits counted"
expect 1 algaudit_commit_duration_seconds_count "$commits"
expect 1 algaudit_commit_records_count "$commits"
expect 1 algaudit_commit_records_sum "$total.000000000"
for s in algaudit_received_bytes_total algaudit_committed_bytes_total \
    algaudit_store_file_bytes algaudit_store_map_used_bytes; do
	[ "$(val 1 "$s")" -gt 0 ] || fail "$s is not above 0"
done
[ "$(val 1 algaudit_store_map_used_bytes)" -le \
    "$(val 1 algaudit_store_map_bytes)" ] || fail "map use above the map"
[ "$(val 1 algaudit_checkpoint_size)" -le "$total" ] ||
    fail "checkpoint beyond the log"
[ "$(val 1 algaudit_checkpoints_total)" -ge 1 ] || fail "no checkpoint"

say "an invalid batch and a garbage frame, by error code"
"$RAW" --connect "$EP" --producer pr invalid-no-algorithm > "$T/raw.out"
grep -q "error code=INVALID_RECORD fatal=0" "$T/raw.out" ||
    fail "no INVALID_RECORD: $(cat "$T/raw.out")"
"$RAW" --connect "$EP" --producer pg garbage > "$T/raw2.out"
grep -q "error code=FRAME_TOO_LARGE" "$T/raw2.out" ||
    fail "no FRAME_TOO_LARGE: $(cat "$T/raw2.out")"
sleep 0.3
scrape 2
expect 2 'algaudit_rejected_records_total{code="INVALID_RECORD"}' 3
expect 2 'algaudit_errors_sent_total{code="INVALID_RECORD"}' 1
expect 2 'algaudit_errors_sent_total{code="FRAME_TOO_LARGE"}' 1
expect 2 'algaudit_rejected_records_total{code="FRAME_TOO_LARGE"}' 0
expect 2 algaudit_received_records_total $((total + 1))
expect 2 algaudit_committed_records_total $((total + 1))
expect 2 algaudit_connections_accepted_total 3

say "clock skew: counted either way, stored all the same"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ahead=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)
rec='"algorithm":{"id":"skew","version":"1"},"decision":"ok",'
rec="$rec"'"data_class":"ordinary"'
printf '{"event_time":"%s",%s}\n' 2020-01-01T00:00:00Z "$rec" "$ahead" \
    "$rec" "$now" "$rec" |
    "$AUDIT" log --connect "$EP" --producer pskew ||
    fail "algaudit log failed"
scrape 3
expect 3 'algaudit_clock_skew_records_total{direction="behind"}' 1
expect 3 'algaudit_clock_skew_records_total{direction="ahead"}' 1
expect 3 algaudit_committed_records_total $((total + 4))

say "SIGHUP: a new clock-skew threshold counts from the next batch"
printf '[metrics]\nclock-skew = 315360000\n' > "$CONF"
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: clock-skew: 300 -> 315360000" 5
printf '{"event_time":"2020-01-01T00:00:00Z",%s}\n' "$rec" |
    "$AUDIT" log --connect "$EP" --producer pskew2 ||
    fail "algaudit log failed"
scrape 4
expect 4 algaudit_clock_skew_threshold_seconds 315360000
expect 4 'algaudit_clock_skew_records_total{direction="behind"}' 1
expect 4 algaudit_committed_records_total $((total + 5))

say "HTTP: 404 elsewhere, HEAD works, POST is refused, the content type"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
[ "$code" = 404 ] || fail "GET / gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$PORT/metricsx")
[ "$code" = 404 ] || fail "GET /metricsx gave $code"
curl -sf -I "$URL" > "$T/head.out" || fail "HEAD failed"
grep -qi "^Content-Type: text/plain; version=0.0.4" "$T/head.out" ||
    fail "content type: $(cat "$T/head.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL")
[ "$code" -ge 400 ] || fail "POST gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL?x=1")
[ "$code" = 200 ] || fail "GET with a query gave $code"
scrape 5
[ "$(val 5 algaudit_scrapes_total)" -ge 8 ] || fail "scrapes not counted"

say "refusals: a non-loopback address, a taken port, bad values"
set +e
"$AUDITD" -n --metrics "0.0.0.0" > "$T/n.out" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "-n with a bad --metrics exited $rc"
grep -q "metrics: '0.0.0.0' is not HOST:PORT" "$T/n.out" ||
    fail "-n: $(cat "$T/n.out")"
set +e
"$AUDITD" --store "$T/store2" --listen "unix:$T/s2.sock" -d \
    --metrics "0.0.0.0:$PORT" > "$T/remote.log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "a non-loopback --metrics exited $rc"
grep -q "is not a loopback address" "$T/remote.log" ||
    fail "no loopback message: $(cat "$T/remote.log")"
[ ! -e "$T/store2" ] || fail "the store was created before the refusal"
set +e
"$AUDITD" --store "$T/store3" --listen "unix:$T/s3.sock" -d \
    --metrics "127.0.0.1:$PORT" > "$T/taken.log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "a taken --metrics port exited $rc"
grep -q "metrics: 127.0.0.1:$PORT: bind" "$T/taken.log" ||
    fail "no bind message: $(cat "$T/taken.log")"
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"

say "metrics-allow-remote yes: a wildcard address is served"
start_daemon -f "$CONF" --metrics-allow-remote yes \
    --metrics "0.0.0.0:$PORT"
grep -q "metrics: serving http://0.0.0.0:$PORT/metrics" "$DAEMON_LOG" ||
    fail "not serving on 0.0.0.0"
scrape 6
expect 6 algaudit_log_entries $((total + 5))
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
echo "t_metrics: ok"
