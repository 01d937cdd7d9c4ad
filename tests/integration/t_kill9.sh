# t_kill9.sh: kill -9 of the daemon at random moments, 30 rounds, while
# producers write through the client library (issue 6; issue 2 had two
# rounds). Two itest_ledger producers keep a ledger of every record
# acknowledged to them, and an itest_producer with two threads runs
# beside them. Each round waits 50 to 400 ms (random), kills the daemon
# with SIGKILL, checks that the store opens read-only, and restarts it.
#
# Restart to ready is measured from the exec of algauditd to the moment
# a probe (itest_ledger ready, a fresh handle with a 1 to 4 ms reconnect
# back-off) has a record acknowledged durable: the daemon accepts the
# connection, answers the Hello and commits, with the other producers
# resending meanwhile. Every restart must take less than 1 s; the
# median and the maximum are printed.
#
# At the end: every acknowledged record is in the store exactly once and
# nothing is stored twice or without an acknowledgement (itest_ledger
# check --exact), each producer's records are 1..k once and in order
# with dense log indexes (itest_check), and algaudit verify passes.
. "$(dirname "$0")/lib.sh"

LEDGER="$BUILD/tests/itest_ledger"
ROUNDS=30
RATE=15000		# records a second per ledger producer
READY_MAX_MS=1000	# restart to ready must stay below this

# start_timed ROUND: starts the daemon and appends its restart-to-ready
# time in ms to $T/ready.ms.
start_timed() {
	local t0 t1 ms
	t0=$EPOCHREALTIME
	"$AUDITD" --store "$STORE" --listen "$EP" -d >> "$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	"$LEDGER" ready --connect "$EP" --producer "probe-$1" \
	    --timeout 10000 > /dev/null || fail "round $1: not ready in 10 s"
	t1=$EPOCHREALTIME
	ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	echo "$ms" >> "$T/ready.ms"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "round $1: daemon died"
}

start_timed 0
pids=()
for p in k1 k2; do
	"$LEDGER" produce --connect "$EP" --producer "$p" --count 2000000 \
	    --rate "$RATE" --ledger "$T/$p.ledger" > "$T/$p.out" &
	pids+=($!)
done
"$PRODUCER" --connect "$EP" --producer k3 --threads 2 --count 50000 \
    --rate 4000 > "$T/k3.out" &
k3=$!
BG_PIDS+=("${pids[@]}" "$k3")

for round in $(seq 1 $ROUNDS); do
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f",
	    0.05 + (r % 351) / 1000 }')"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=""
	mv "$DAEMON_LOG" "$DAEMON_LOG.$round"
	"$AUDIT" stats --store "$STORE" > /dev/null ||
	    fail "round $round: the store does not open read-only"
	start_timed "$round"
done
say "$ROUNDS rounds done; stopping the producers"
for pid in "${pids[@]}"; do
	kill -TERM "$pid"
done
for pid in "${pids[@]}" "$k3"; do
	wait "$pid" || fail "a producer failed: $(cat "$T"/k?.out)"
done
cat "$T"/k?.out
for p in k1 k2; do
	grep -q "rejected 0 reconnects [1-9]" "$T/$p.out" ||
	    fail "$p was refused records or never reconnected"
done
grep -q "rejected 0 reconnects [1-9]" "$T/k3.out" ||
    fail "k3 was refused records or never reconnected"

sort -n "$T/ready.ms" > "$T/ready.sorted"
n=$(wc -l < "$T/ready.sorted")
median=$(sed -n "$(( (n + 1) / 2 ))p" "$T/ready.sorted")
max=$(tail -n 1 "$T/ready.sorted")
echo "restart to ready over $n starts: median $median ms, max $max ms"
[ "$max" -lt "$READY_MAX_MS" ] ||
    fail "a restart took $max ms to be ready (bound $READY_MAX_MS ms)"

stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exited $DAEMON_RC"
"$LEDGER" check --store "$STORE" --exact "$T/k1.ledger" "$T/k2.ledger"
"$CHECKER" --store "$STORE" --expect k1:1:prefix --expect k2:1:prefix \
    --expect k3:2:50000
"$AUDIT" verify --store "$STORE" > "$T/verify.out" 2>&1 ||
    { cat "$T/verify.out"; fail "verify failed"; }
grep "verify: OK" "$T/verify.out" || fail "verify: no OK line"
