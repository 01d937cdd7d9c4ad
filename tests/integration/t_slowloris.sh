# t_slowloris.sh: the daemon's time and memory limits against peers
# that hold connections without completing frames. With short limits
# (--handshake-timeout 2, --idle-timeout 2): a peer that sends nothing,
# or a Hello one byte a second, is closed with Error{PROTOCOL} after the
# handshake timeout; one that stops mid-frame after its Welcome is
# closed with Error{PROTOCOL} after the idle timeout; a quiet one is
# closed without an error, and the client library simply reconnects
# when it has records again. 50 slowloris clients cost a well-behaved
# producer less than 20% of its throughput (the best of four runs with
# them against the best of four without, alternating). Peers that fill
# their input buffers with partial frames make the daemon stop reading
# once buffered plus queued bytes pass --max-pending: the sockets stay
# full, the daemon's anonymous memory grows by about the bound, not by
# what they sent; the idle timeout clears them one at a time and a
# producer that waited behind them then completes.
. "$(dirname "$0")/lib.sh"

SLOW=50		# slowloris clients
RUNS=4		# producer runs with and without them
RECORDS=100000	# records per run

# expect MODE PATTERN...: runs itest_raw MODE; each PATTERN must appear.
# Sets SECS to how long it ran.
expect() {
	local mode="$1" out t0 t1
	shift
	t0=$(date +%s.%N)
	out=$("$RAW" --connect "$EP" --producer "raw-$mode" "$mode" 2>&1)
	t1=$(date +%s.%N)
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	for pat in "$@"; do
		if ! grep -q -- "$pat" <<< "$out"; then
			echo "$out"
			fail "$mode: no line matching '$pat'"
		fi
	done
	OUT="$out"
	say "$mode: ok after $SECS s"
}

# between X LO HI: LO <= X <= HI.
between() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}

start_daemon --handshake-timeout 2 --idle-timeout 2

say "handshake timeout: nothing, then a Hello too slowly"
expect no-hello "error code=PROTOCOL fatal=1" \
    "no complete Hello within 2 s of accept (handshake timeout; 0 bytes" \
    "closed"
between "$SECS" 1.9 4 || fail "no-hello closed after $SECS s, not ~2"

say "idle timeout: stopped mid-frame after the Welcome"
expect stall-mid-frame "welcome durable_seq=0" "error code=PROTOCOL fatal=1" \
    "no complete frame within 2 s (idle timeout): 10 of 104 bytes" \
    "closed"
between "$SECS" 1.9 4 || fail "stall-mid-frame closed after $SECS s"

say "idle timeout: a quiet producer is closed without an error"
expect idle-quiet "ack producer_seq=1 stored=1" "closed"
grep -q "error" <<< "$OUT" && fail "idle-quiet got an error: $OUT"
between "$SECS" 1.9 4 || fail "idle-quiet closed after $SECS s"
grep -q "producer 'raw-idle-quiet' sent nothing for 2 s (idle timeout); \
closing" "$DAEMON_LOG" || fail "the idle close was not logged"

say "the client library reconnects after an idle close"
rec='{"algorithm":{"id":"quiet"},"decision":"ok","data_class":"ordinary"}'
( echo "$rec"; sleep 5; echo "$rec" ) |
    "$AUDIT" log --connect "$EP" --producer quiet --timeout 20 ||
    fail "algaudit log across idle closes failed"
n=$("$AUDIT" query --store "$STORE" --producer quiet --count)
[ "$n" -eq 2 ] || fail "quiet: $n records stored, not 2"
[ "$(grep -c "producer 'quiet' sent nothing" "$DAEMON_LOG")" -ge 1 ] ||
    fail "quiet was never idle-closed"

say "throughput with and without $SLOW slowloris clients"
best_base=0
best_slow=0
runs=0
# Rounds of alternating runs until the best rates compare (at most 3:
# other work on the machine only ever slows a run down).
for round in 1 2 3; do
for i in $(seq $((runs + 1)) $((runs + RUNS))); do
	r=$("$PRODUCER" --connect "$EP" --producer "base-$i" \
	    --count "$RECORDS" | sed -n 's/.*records_per_s \([0-9]*\).*/\1/p')
	[ -n "$r" ] || fail "base-$i: no rate"
	[ "$r" -gt "$best_base" ] && best_base=$r
	"$RAW" --connect "$EP" --producer slow "slowloris:$SLOW:6" \
	    > "$T/slow-$i.out" &
	slow=$!
	BG_PIDS+=("$slow")
	# Let all of them connect and start dribbling.
	sleep 1.5
	r=$("$PRODUCER" --connect "$EP" --producer "loaded-$i" \
	    --count "$RECORDS" | sed -n 's/.*records_per_s \([0-9]*\).*/\1/p')
	[ -n "$r" ] || fail "loaded-$i: no rate"
	[ "$r" -gt "$best_slow" ] && best_slow=$r
	wait "$slow" || fail "slowloris $i failed"
	read -r _ _ opened _ closed _ errors _ lmin _ lmax < "$T/slow-$i.out"
	echo "run $i: $(cat "$T/slow-$i.out")"
	[ "$closed" -ge "$SLOW" ] ||
	    fail "run $i: only $closed of $opened slowloris closed"
	[ "$errors" -eq "$closed" ] ||
	    fail "run $i: $errors of $closed closes came with PROTOCOL"
	between "$lmin" 1.9 3.5 && between "$lmax" 1.9 3.5 ||
	    fail "run $i: slowloris lived $lmin..$lmax s, not ~2"
done
runs=$((runs + RUNS))
echo "best records/s after $runs runs each: $best_base without, \
$best_slow with $SLOW slowloris"
[ $((best_slow * 100)) -ge $((best_base * 80)) ] && break
done
[ $((best_slow * 100)) -ge $((best_base * 80)) ] ||
    fail "throughput fell to $best_slow from $best_base (< 80%)"
grep -q "no complete Hello within 2 s of accept" "$DAEMON_LOG" ||
    fail "handshake timeouts not logged"
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit $DAEMON_RC"
args=()
for i in $(seq 1 $runs); do
	args+=(--expect "base-$i:1:$RECORDS" --expect "loaded-$i:1:$RECORDS")
done
"$CHECKER" --store "$STORE" "${args[@]}" > /dev/null ||
    fail "records lost"

say "partial frames count against --max-pending"
start_daemon --max-pending 1M --max-frame 1M --idle-timeout 2
rss_anon() {
	awk '/^RssAnon:/ { print $2 }' "/proc/$DAEMON_PID/status"
}
before=$(rss_anon)
"$RAW" --connect "$EP" --producer hog "hog:8:1000000" > "$T/hog.out" &
hog=$!
BG_PIDS+=("$hog")
for i in $(seq 1 100); do
	grep -q "hog accepted" "$T/hog.out" && break
	sleep 0.1
done
grep -q "hog accepted" "$T/hog.out" || fail "the hog never filled up"
during=$(rss_anon)
accepted=$(sed -n 's/hog accepted //p' "$T/hog.out")
echo "hogs sent $accepted of 8000000 bytes; daemon RssAnon $before -> \
$during kB"
# The bound, one frame its owner completes, a read per connection (the
# rest of what the hogs sent waits in the kernel's socket buffers); under
# ASan freed memory sits in its quarantine for a while.
limit=4096
ldd "$AUDITD" | grep -q libasan && limit=8192
[ $((during - before)) -lt $limit ] ||
    fail "the daemon's memory grew by $((during - before)) kB"
say "a producer behind them completes once the idle timeout clears them"
"$PRODUCER" --connect "$EP" --producer after-hog --count 1000 \
    --flush-timeout 60 > /dev/null || fail "after-hog failed"
wait "$hog" || fail "hog failed"
grep -q "hog closed 8" "$T/hog.out" || {
	cat "$T/hog.out"
	fail "the daemon did not close the hogs"
}
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit $DAEMON_RC"
"$CHECKER" --store "$STORE" "${args[@]}" \
    --expect after-hog:1:1000 > /dev/null || fail "records lost"
