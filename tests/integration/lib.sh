# lib.sh: helpers for the integration tests; sourced by each t_*.sh.
#
# Each test gets a temp directory ($T) with its own store ($STORE) and
# socket ($SOCK); everything it started is killed on exit.

set -euo pipefail
BUILD="${BUILD:-build}"
BUILD="$(cd "$BUILD" && pwd)"
AUDITD="$BUILD/algauditd"
AUDIT="$BUILD/algaudit"
PRODUCER="$BUILD/tests/itest_producer"
CHECKER="$BUILD/tests/itest_check"
RAW="$BUILD/tests/itest_raw"

T="$(mktemp -d /tmp/algaudit-itest.XXXXXX)"
STORE="$T/store"
SOCK="$T/algauditd.sock"
EP="unix:$SOCK"
DAEMON_PID=""
DAEMON_LOG="$T/daemon.log"
BG_PIDS=()

cleanup() {
	local rc=$?
	set +e
	for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
	wait 2>/dev/null
	if [ $rc -ne 0 ] && [ -f "$DAEMON_LOG" ]; then
		echo "--- daemon log (last 30 lines) ---"
		tail -n 30 "$DAEMON_LOG"
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "$*"
	exit 77
}

say() {
	echo "--- $*"
}

# start_daemon [extra args]: starts algauditd on $STORE and $SOCK and
# waits until it accepts connections.
start_daemon() {
	"$AUDITD" --store "$STORE" --listen "$EP" -d "$@" \
	    >> "$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	wait_ready
}

# wait_ready: waits up to 10 s for the daemon to log that it is ready.
wait_ready() {
	local i
	for i in $(seq 1 200); do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			fail "daemon exited during start-up"
		fi
		if [ -S "$SOCK" ] && grep -q "ready" "$DAEMON_LOG"; then
			return 0
		fi
		sleep 0.05
	done
	fail "daemon not ready after 10 s"
}

# stop_daemon [signal]: stops the daemon (default TERM) and waits; sets
# DAEMON_RC to its exit status.
stop_daemon() {
	local sig="${1:-TERM}"
	kill -s "$sig" "$DAEMON_PID"
	set +e
	wait "$DAEMON_PID"
	DAEMON_RC=$?
	set -e
	DAEMON_PID=""
	# A fresh log marker so wait_ready sees the next start's line.
	[ -f "$DAEMON_LOG" ] && mv "$DAEMON_LOG" "$DAEMON_LOG.$(date +%s%N)"
	true
}

# bg CMD...: runs CMD in the background; its pid is killed at exit.
bg() {
	"$@" &
	BG_PIDS+=($!)
}
