# t_store_eio.sh: an I/O error on commit (the fault hook's eio; the
# PostgreSQL fsync lesson). Nothing of the failed transaction is
# acknowledged; the store is closed, reopened and checked before any
# new write, and that is logged; ingest resumes; every record, the
# acknowledged ones included, is stored exactly once and the log
# verifies. When the reopen fails (the store's directory is gone), the
# daemon does not exit: it refuses writes, keeps retrying with a
# back-off, and resumes once the directory is back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/metrics_lib.sh"

N=10000

say "eio at the 3rd commit: reopened and checked, nothing acked lost"
ALGAUDIT_STORE_FAULT=commit:3:eio start_metrics
"$PRODUCER" --connect "$EP" --producer e1 --count "$N" --threads 2 \
    > "$T/e1.out" &
p1=$!
"$PRODUCER" --connect "$EP" --producer e2 --count "$N" > "$T/e2.out" &
p2=$!
wait "$p1" || fail "producer e1 failed: $(cat "$T/e1.out")"
wait "$p2" || fail "producer e2 failed: $(cat "$T/e2.out")"
cat "$T/e1.out" "$T/e2.out"
grep -q "acked 20000" "$T/e1.out" || fail "e1: not all acknowledged"
grep -q "acked 10000" "$T/e2.out" || fail "e2: not all acknowledged"
grep -q "writer: I/O error on store .*: nothing of the transaction was \
acknowledged; closing the store to reopen and check it" "$DAEMON_LOG" ||
    fail "the I/O error was not logged"
grep -q "writer: store .* reopened and checked: [0-9]* entries, all in \
the Merkle tree" "$DAEMON_LOG" || fail "the reopen was not logged"
grep -q "STORE_FAILED: batch not stored, resend from seq" "$DAEMON_LOG" ||
    fail "the failed batches were not answered STORE_FAILED"
# The failed transaction's records were refused, not acknowledged: the
# Acks in the log all come from commits that succeeded.
scrape e
expect e 'algaudit_store_reopens_total{result="ok"}' 1
expect e 'algaudit_store_reopens_total{result="failed"}' 0
expect e 'algaudit_commit_failures_total{reason="io"}' 1
expect e 'algaudit_store_state{state="ok"}' 1
expect e algaudit_committed_records_total 30000
expect e algaudit_log_entries 30000
[ "$(val e 'algaudit_rejected_records_total{code="STORE_FAILED"}')" -gt 0 ] ||
    fail "no STORE_FAILED refusal counted"
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect e1:2:"$N" --expect e2:1:"$N"
verify_ok

say "eio, and the reopen fails: writes refused, retried, resumed"
rm -rf "$STORE"
ALGAUDIT_STORE_FAULT=commit:1:eio start_metrics
mv "$STORE" "$STORE.away"
"$PRODUCER" --connect "$EP" --producer f1 --count 300 > "$T/f1.out" &
pf=$!
wait_log "reopen after an I/O error failed: cannot open it: No such file"
wait_log "next attempt in 2 s" 5
kill -0 "$DAEMON_PID" || fail "the daemon exited"
scrape f
expect f 'algaudit_store_state{state="failed"}' 1
[ "$(val f 'algaudit_store_reopens_total{result="failed"}')" -ge 2 ] ||
    fail "the reopen was not retried"
expect f algaudit_committed_records_total 0
# The producer reconnects; its Welcome waits for the store.
for i in $(seq 1 50); do
	scrape h
	[ "$(val h 'algaudit_connections{state="hello"}')" = 1 ] && break
	sleep 0.1
done
expect h 'algaudit_connections{state="hello"}' 1
kill -0 "$pf" || fail "the producer gave up"
mv "$STORE.away" "$STORE"
wait "$pf" || fail "producer f1 failed: $(cat "$T/f1.out")"
cat "$T/f1.out"
grep -q "acked 300" "$T/f1.out" || fail "f1: not all acknowledged"
wait_log "writer: store .* reopened and checked: 0 entries"
scrape g
expect g 'algaudit_store_state{state="ok"}' 1
expect g 'algaudit_store_reopens_total{result="ok"}' 1
expect g algaudit_committed_records_total 300
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect f1:1:300
verify_ok
echo "t_store_eio: ok"
