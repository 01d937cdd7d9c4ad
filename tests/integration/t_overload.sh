# t_overload.sh: commits slowed to 200 ms each through the store's fault
# hook (ALGAUDIT_STORE_FAULT=slow:200, as if every fsync took that long)
# while 4 itest_ledger producers log flat out for 6 s, each with a queue
# of 10000 records and the block policy with a 100 ms timeout (so a full
# queue answers ALGAUDIT_EFULL: the producer counts the record refused
# and moves on). The daemon runs with --max-pending 4M.
#
# - Memory: the daemon's anonymous resident memory (RssAnon, sampled
#   every 100 ms) stays under its value at start + 4 x max-pending +
#   16 MiB: the queued batches and input buffers (at most max-pending,
#   decoded, plus one frame), the LMDB transaction of the group being
#   committed (its entries, index postings and tree tiles, about twice
#   the group's encoded size), and the allocator's slack. VmRSS is
#   printed too; it also counts the store's pages mapped by reads,
#   which grow with the store and are page cache, not held memory.
# - Back-pressure: each producer's queue fills (the most records seen
#   unacknowledged reaches the queue size) and each gets EFULL.
# - No silent drop: each producer's acknowledged + refused = attempted,
#   every acknowledged record is in the store exactly once, nothing it
#   was told was refused is stored (itest_ledger check --exact), the log
#   verifies.
. "$(dirname "$0")/lib.sh"

LEDGER="$BUILD/tests/itest_ledger"
MAX_PENDING_MB=4
QUEUE=10000

rss() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$DAEMON_PID/status"
}

# ASan keeps freed memory in a quarantine and adds shadow memory: keep
# the quarantine small and allow for the shadow.
slack_mb=16
if ldd "$AUDITD" | grep -q libasan; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
	export ASAN_OPTIONS
	slack_mb=64
fi

ALGAUDIT_STORE_FAULT=slow:200 start_daemon --max-pending "${MAX_PENDING_MB}M"
anon0=$(rss RssAnon)
bound=$((anon0 + (4 * MAX_PENDING_MB + slack_mb) * 1024))
echo "RssAnon at start $anon0 kB; bound $bound kB (start + 4 x" \
    "${MAX_PENDING_MB} MiB + $slack_mb MiB)"

pids=()
for p in o1 o2 o3 o4; do
	"$LEDGER" produce --connect "$EP" --producer "$p" --count 2000000 \
	    --queue $QUEUE --block-timeout 100 --ledger "$T/$p.ledger" \
	    > "$T/$p.out" &
	pids+=($!)
done
BG_PIDS+=("${pids[@]}")

peak_anon=0
peak_vm=0
sample() {
	local a v
	a=$(rss RssAnon)
	v=$(rss VmRSS)
	[ "$a" -gt "$peak_anon" ] && peak_anon=$a
	[ "$v" -gt "$peak_vm" ] && peak_vm=$v
	true
}
for i in $(seq 1 60); do
	sample
	sleep 0.1
done
kill -TERM "${pids[@]}"
# They flush what they queued, still through the slow commits.
while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null ||
    kill -0 "${pids[2]}" 2>/dev/null || kill -0 "${pids[3]}" 2>/dev/null; do
	sample
	sleep 0.1
done
for pid in "${pids[@]}"; do
	wait "$pid" || fail "a producer failed: $(cat "$T"/o?.out)"
done
cat "$T"/o?.out
echo "peak RssAnon $peak_anon kB (bound $bound kB), peak VmRSS $peak_vm kB"
[ "$peak_anon" -lt "$bound" ] ||
    fail "the daemon's memory reached $peak_anon kB, over $bound kB"

for p in o1 o2 o3 o4; do
	read -r _ _ _ attempted _ queued _ refused _ acked _ rejected _ _ \
	    _ maxpend < "$T/$p.out"
	[ $((acked + refused)) -eq "$attempted" ] ||
	    fail "$p: $acked acknowledged + $refused refused != $attempted"
	[ "$rejected" -eq 0 ] || fail "$p: $rejected rejected by the daemon"
	[ "$refused" -gt 0 ] || fail "$p: never got EFULL"
	[ "$maxpend" -ge $QUEUE ] || fail "$p: its queue never filled"
done
kill -0 "$DAEMON_PID" || fail "the daemon died"
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exited $DAEMON_RC"
"$LEDGER" check --store "$STORE" --exact "$T"/o?.ledger
"$AUDIT" verify --store "$STORE" > "$T/verify.out" 2>&1 ||
    { cat "$T/verify.out"; fail "verify failed"; }
