# t_fdlimit.sh: 500 connections at once against a daemon limited to 64
# descriptors (ulimit -n 64), each sending a Hello (itest_flood).
#
# - Default --max-connections (1024, above what 64 descriptors allow):
#   the daemon serves what its descriptors allow, then accept() fails
#   with EMFILE: the listener accepts the peers waiting in the backlog
#   on its reserve descriptor and closes each at once (the polite
#   refusal), and pauses for a second, again and again: every
#   connection is answered, a Welcome or closed, none left hanging. It
#   does not crash and does not spin: its CPU time over 3 s of the flood
#   (utime + stime from /proc/PID/stat) stays under 30% of one core.
#   Once the flood closes, it drains the backlog, its descriptors come
#   back to where they were, and a normal producer's records are stored
#   (the time it took is printed).
# - --max-connections 32 (below the descriptor limit): every connection
#   is answered within the flood's 4 s, with a Welcome (at most 32) or
#   closed at once (the polite refusal), none is left hanging; no spin;
#   afterwards a producer works.
. "$(dirname "$0")/lib.sh"

FLOOD="$BUILD/tests/itest_flood"
N=500
HOLD=4			# s the flood keeps its connections
CPU_MAX_PCT=30		# of one core, during the flood
HZ=$(getconf CLK_TCK)

# start_limited [args]: the daemon under ulimit -n 64.
start_limited() {
	( ulimit -n 64; exec "$AUDITD" --store "$STORE" --listen "$EP" -d \
	    "$@" >> "$DAEMON_LOG" 2>&1 ) &
	DAEMON_PID=$!
	wait_ready
}

cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat"
}

nfds() {
	ls "/proc/$DAEMON_PID/fd" | wc -l
}

# flood NAME: runs the flood in the background; once all its connections
# are made, measures the daemon's CPU for 3 s into CPU_PCT; waits for the
# flood and leaves its report in $T/NAME.out.
flood() {
	local i c0 c1 t0 t1
	"$FLOOD" --connect "$EP" --producer "$1" --count $N --hold $HOLD \
	    > "$T/$1.out" &
	BG_PIDS+=($!)
	for i in $(seq 1 100); do
		grep -q "flood connected" "$T/$1.out" && break
		sleep 0.05
	done
	grep -q "flood connected" "$T/$1.out" ||
	    fail "$1: the flood never connected"
	c0=$(cpu_ticks)
	t0=$EPOCHREALTIME
	sleep 3
	c1=$(cpu_ticks)
	t1=$EPOCHREALTIME
	CPU_PCT=$(awk -v c="$((c1 - c0))" -v hz="$HZ" -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%d", 100 * c / hz / (b - a) }')
	wait "${BG_PIDS[-1]}" || fail "$1: itest_flood failed"
	cat "$T/$1.out"
	echo "$1: daemon CPU during the flood: $CPU_PCT% of one core" \
	    "($((c1 - c0)) ticks at $HZ/s)"
	kill -0 "$DAEMON_PID" 2>/dev/null || fail "$1: the daemon died"
	[ "$CPU_PCT" -lt $CPU_MAX_PCT ] ||
	    fail "$1: the daemon used $CPU_PCT% of a core (bound $CPU_MAX_PCT%)"
}

# field NAME KEY: the number after KEY in the flood's report.
field() {
	sed -n "s/.* $2 \([0-9-]*\).*/\1/p" "$T/$1.out" | tail -n 1
}

# producer NAME: 1000 records through the client library, within 60 s.
producer() {
	local t0=$EPOCHREALTIME
	"$PRODUCER" --connect "$EP" --producer "$1" --count 1000 \
	    --flush-timeout 60 > "$T/$1.out" ||
	    fail "$1 failed after the flood: $(cat "$T/$1.out")"
	echo "$1: 1000 records acknowledged $(awk -v a="$t0" \
	    -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s after" \
	    "the flood closed"
}

say "default --max-connections: EMFILE pauses accepting, no spin"
start_limited
base=$(nfds)
flood fa
grep -q "only 64 descriptors may be open" "$DAEMON_LOG" ||
    fail "no warning about --max-connections over the descriptor limit"
grep -q "accept failed; pausing accepts for 1 s" "$DAEMON_LOG" ||
    fail "the daemon never ran out of descriptors"
[ "$(field fa welcomed)" -ge 1 ] || fail "fa: nobody was welcomed"
[ "$(field fa unanswered)" -eq 0 ] || fail "fa: connections left hanging"
[ "$(field fa connect_failed)" -eq 0 ] || fail "fa: connect() failed"
producer after-a
for i in $(seq 1 100); do
	[ "$(nfds)" -le $((base + 2)) ] && break
	sleep 0.1
done
[ "$(nfds)" -le $((base + 2)) ] ||
    fail "descriptors: $base before the flood, $(nfds) after it"
echo "descriptors: $base before the flood, $(nfds) after"
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exited $DAEMON_RC"

say "--max-connections 32: the rest are closed at once, none hangs"
start_limited --max-connections 32
flood fb
welcomed=$(field fb welcomed)
[ "$welcomed" -ge 1 ] && [ "$welcomed" -le 32 ] ||
    fail "fb: $welcomed welcomed, not 1 to 32"
[ "$(field fb unanswered)" -eq 0 ] || fail "fb: connections left hanging"
[ "$(field fb connect_failed)" -eq 0 ] || fail "fb: connect() failed"
grep -q "the limit of --max-connections; closing new ones" "$DAEMON_LOG" ||
    fail "the refusals were not logged"
producer after-b
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect after-a:1:1000 --expect after-b:1:1000
