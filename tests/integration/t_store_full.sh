# t_store_full.sh: a full store, with the fault hook and with
# --max-store-size, under both --on-store-full policies.
#
# - block, ENOSPC injected at the 3rd commit (the hook fires once):
#   producers are held, not refused; every record ends up stored exactly
#   once, no STORE_FULL is sent, the clients never reconnect.
# - refuse, the same fault: the clients get STORE_FULL, resend, and
#   every record is stored exactly once.
# - max-store-size reached, block: a batch gets no Ack while the store
#   is full (nothing acknowledged that is not committed), and the daemon
#   does not spin meanwhile; raising the limit with SIGHUP commits it
#   and the Ack comes; SIGTERM while blocked ends the daemon within
#   seconds, with STORE_FULL for the waiting batch, nothing of it
#   stored.
# - max-store-size reached, refuse: STORE_FULL at once, naming the
#   limit; the connection stays usable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/metrics_lib.sh"

N=10000

say "block: ENOSPC at the 3rd commit holds the producers, loses nothing"
ALGAUDIT_STORE_FAULT=commit:3:enospc start_metrics --on-store-full block
"$PRODUCER" --connect "$EP" --producer b1 --count "$N" --threads 2 \
    > "$T/b1.out" &
p1=$!
"$PRODUCER" --connect "$EP" --producer b2 --count "$N" > "$T/b2.out" &
p2=$!
wait "$p1" || fail "producer b1 failed: $(cat "$T/b1.out")"
wait "$p2" || fail "producer b2 failed: $(cat "$T/b2.out")"
cat "$T/b1.out" "$T/b2.out"
grep -q "acked 20000 retried 0 spooled 0 rejected 0 reconnects 0" \
    "$T/b1.out" || fail "b1 was refused or reconnected"
grep -q "acked 10000 retried 0 spooled 0 rejected 0 reconnects 0" \
    "$T/b2.out" || fail "b2 was refused or reconnected"
grep -q "writer: store .* is full: no space left" "$DAEMON_LOG" ||
    fail "the full store was not logged"
grep -q "on-store-full block" "$DAEMON_LOG" || fail "policy not logged"
grep -q "takes writes again after" "$DAEMON_LOG" ||
    fail "the recovery was not logged"
if grep -q "STORE_FULL" "$DAEMON_LOG"; then
	fail "a STORE_FULL was sent under on-store-full block"
fi
scrape b
expect b 'algaudit_commit_failures_total{reason="full"}' 1
expect b 'algaudit_rejected_records_total{code="STORE_FULL"}' 0
expect b algaudit_committed_records_total 30000
expect b 'algaudit_store_state{state="ok"}' 1
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect b1:2:"$N" --expect b2:1:"$N"
verify_ok

say "refuse: ENOSPC at the 3rd commit, STORE_FULL, the clients resend"
rm -rf "$STORE"
ALGAUDIT_STORE_FAULT=commit:3:enospc start_metrics --on-store-full refuse
"$PRODUCER" --connect "$EP" --producer r1 --count "$N" --threads 2 \
    > "$T/r1.out" || fail "producer r1 failed: $(cat "$T/r1.out")"
cat "$T/r1.out"
grep -q "acked 20000" "$T/r1.out" || fail "r1: not all acknowledged"
grep -q "retried [1-9]" "$T/r1.out" || fail "r1 did not resend"
grep -q "on-store-full refuse" "$DAEMON_LOG" || fail "policy not logged"
grep -q "conn [0-9]*: STORE_FULL: batch not stored, resend from seq" \
    "$DAEMON_LOG" || fail "no STORE_FULL answer logged"
scrape r
[ "$(val r 'algaudit_rejected_records_total{code="STORE_FULL"}')" -gt 0 ] ||
    fail "no STORE_FULL refusal counted"
expect r algaudit_committed_records_total 20000
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect r1:2:"$N"
verify_ok

say "refuse: the raw protocol sees STORE_FULL, not fatal"
rm -rf "$STORE"
ALGAUDIT_STORE_FAULT=commit:1:enospc start_daemon --on-store-full refuse
"$RAW" --connect "$EP" --producer raw1 good > "$T/raw1.out"
cat "$T/raw1.out"
grep -q "error code=STORE_FULL fatal=0 seq=0 message=batch not stored, \
resend from seq 1: STORE_EFULL" "$T/raw1.out" || fail "no STORE_FULL"
if grep -q "^ack\|^closed" "$T/raw1.out"; then
	fail "acknowledged or closed"
fi
stop_daemon

say "max-store-size, block: no Ack until a reload raises the limit"
rm -rf "$STORE"
CONF="$T/algauditd.conf"
printf '[limits]\non-store-full = block\nmax-store-size = 4K\n' > "$CONF"
start_metrics -f "$CONF"
"$RAW" --connect "$EP" --producer ms1 good > "$T/ms1.out" &
raw=$!
wait_log "is full: data.mdb is [0-9]* bytes, at max-store-size 4096"
# Blocked, the daemon waits between its checks: no busy loop.
cpu0=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
sleep 1.5
cpu1=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
[ $((cpu1 - cpu0)) -le 20 ] ||
    fail "the blocked daemon used $((cpu1 - cpu0)) ticks of CPU in 1.5 s"
grep -q "^welcome durable_seq=0" "$T/ms1.out" || fail "no Welcome"
if grep -q "^ack\|^error" "$T/ms1.out"; then
	fail "answered while the store is full: $(cat "$T/ms1.out")"
fi
scrape m1
expect m1 'algaudit_store_state{state="full"}' 1
expect m1 algaudit_store_max_bytes 4096
expect m1 algaudit_pending_batches 1
expect m1 algaudit_committed_records_total 0
printf '[limits]\non-store-full = block\nmax-store-size = 0\n' > "$CONF"
kill -HUP "$DAEMON_PID"
wait "$raw" || true
cat "$T/ms1.out"
grep -q "^ack producer_seq=1 stored=1 duplicates=0" "$T/ms1.out" ||
    fail "no Ack after the limit was raised"
wait_log "takes writes again after"
scrape m2
expect m2 'algaudit_store_state{state="ok"}' 1
expect m2 algaudit_committed_records_total 1
expect m2 'algaudit_rejected_records_total{code="STORE_FULL"}' 0

say "max-store-size, block: SIGTERM answers the waiting batch, stores none"
printf '[limits]\non-store-full = block\nmax-store-size = 4K\n' > "$CONF"
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: max-store-size: 0 -> 4096"
"$RAW" --connect "$EP" --producer ms2 good > "$T/ms2.out" &
raw=$!
sleep 1
if grep -q "^ack\|^error" "$T/ms2.out"; then
	fail "answered while the store is full: $(cat "$T/ms2.out")"
fi
start=$(date +%s)
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
[ $(( $(date +%s) - start )) -le 5 ] || fail "the shutdown took too long"
wait "$raw" || true
cat "$T/ms2.out"
grep -q "error code=STORE_FULL fatal=0 seq=0 message=batch not stored, \
resend from seq 1: WRITER_EMAXSIZE" "$T/ms2.out" ||
    fail "the waiting batch got no STORE_FULL"
grep -q "writer: shutting down: 1 batches (1 records) refused" \
    "$DAEMON_LOG".* || fail "the refusal at shutdown was not logged"
[ "$("$AUDIT" query --store "$STORE" --count)" = 1 ] ||
    fail "the refused record was stored"

say "max-store-size, refuse: STORE_FULL at once, the connection stays"
printf '[limits]\non-store-full = refuse\nmax-store-size = 4K\n' > "$CONF"
start_metrics -f "$CONF"
"$RAW" --connect "$EP" --producer ms3 good > "$T/ms3.out"
cat "$T/ms3.out"
grep -q "error code=STORE_FULL fatal=0 seq=0 message=batch not stored, \
resend from seq 1: WRITER_EMAXSIZE: the store has reached its \
max-store-size" "$T/ms3.out" || fail "no STORE_FULL naming the limit"
if grep -q "^closed" "$T/ms3.out"; then
	fail "the connection was closed"
fi
grep -q "on-store-full refuse" "$DAEMON_LOG" || fail "policy not logged"
scrape m3
expect m3 'algaudit_rejected_records_total{code="STORE_FULL"}' 1
expect m3 'algaudit_commit_failures_total{reason="max_size"}' 1
printf '[limits]\non-store-full = refuse\nmax-store-size = 1G\n' > "$CONF"
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: max-store-size: 4096 -> 1073741824"
"$PRODUCER" --connect "$EP" --producer ms4 --count 500 > "$T/ms4.out" ||
    fail "producer ms4 failed: $(cat "$T/ms4.out")"
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
[ "$("$AUDIT" query --store "$STORE" --count)" = 501 ] ||
    fail "expected 501 entries"
verify_ok
echo "t_store_full: ok"
