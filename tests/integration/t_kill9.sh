# t_kill9.sh: kill -9 of the daemon mid-stream, twice; after each restart
# the producers resume from Welcome, and at the end every record is
# present exactly once (issue 2). The store must open cleanly after
# kill -9 at any moment.
. "$(dirname "$0")/lib.sh"

start_daemon
pids=()
for p in k1 k2; do
	"$PRODUCER" --connect "$EP" --producer "$p" --count 150000 \
	    --rate 60000 --flush-timeout 120 > "$T/$p.out" &
	pids+=($!)
done
for round in 1 2; do
	sleep 0.7
	say "kill -9, round $round"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=""
	mv "$DAEMON_LOG" "$DAEMON_LOG.$round"
	"$AUDIT" stats --store "$STORE" > /dev/null ||
	    fail "store does not open read-only after kill -9"
	start_daemon
done
for pid in "${pids[@]}"; do
	wait "$pid" || fail "a producer failed"
done
cat "$T"/k?.out
grep -q "reconnects [1-9]" "$T/k1.out" || fail "k1 never reconnected"
"$CHECKER" --store "$STORE" --expect k1:1:150000 --expect k2:1:150000
