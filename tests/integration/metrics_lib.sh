# metrics_lib.sh: helpers for the tests of the metrics endpoint and of
# a full or failing store; sourced after lib.sh.
#
#   start_metrics [args]     the daemon with --metrics on a free loopback
#                            port (another one if the port is taken);
#                            sets PORT and URL
#   scrape NAME              fetches the metrics into $T/m.NAME and checks
#                            the format with promcheck.awk
#   val NAME SERIES          a scraped SERIES' value ("missing" if none)
#   expect NAME SERIES V     fails unless the scraped SERIES is V
#   wait_log PATTERN [S]     waits up to S (10) seconds for PATTERN in the
#                            daemon's log
#   verify_ok                algaudit verify passes on $STORE

CHECK="$(cd "$(dirname "$0")" && pwd)/promcheck.awk"
command -v curl > /dev/null ||
    skip "curl is not installed (scripts/install-deps installs it)"

start_metrics() {
	local try i
	for try in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 30000))
		"$AUDITD" --store "$STORE" --listen "$EP" -d \
		    --metrics "127.0.0.1:$PORT" "$@" >> "$DAEMON_LOG" 2>&1 &
		DAEMON_PID=$!
		for i in $(seq 1 200); do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			if grep -q "ready" "$DAEMON_LOG" 2>/dev/null; then
				URL="http://127.0.0.1:$PORT/metrics"
				return 0
			fi
			sleep 0.05
		done
		kill -0 "$DAEMON_PID" 2>/dev/null &&
		    fail "daemon not ready after 10 s"
		grep -q "metrics: .*bind" "$DAEMON_LOG" ||
		    fail "daemon exited during start-up"
		mv "$DAEMON_LOG" "$DAEMON_LOG.port$try"
	done
	fail "no free port for --metrics after 5 tries"
}

scrape() {
	curl -sf --max-time 5 "$URL" > "$T/m.$1" || fail "scrape $1 failed"
	awk -f "$CHECK" "$T/m.$1" > "$T/check.$1" ||
	    fail "scrape $1: $(cat "$T/check.$1")"
}

val() {
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found)
	    print "missing" }' "$T/m.$1"
}

expect() {
	local v
	v=$(val "$1" "$2")
	[ "$v" = "$3" ] || fail "scrape $1: $2 is $v, expected $3"
}

wait_log() {
	local i n=$((${2:-10} * 20))
	for i in $(seq 1 "$n"); do
		grep -q -- "$1" "$DAEMON_LOG" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no '$1' in the daemon's log after ${2:-10} s"
}

verify_ok() {
	"$AUDIT" verify --store "$STORE" > "$T/verify.out" 2>&1 ||
	    { cat "$T/verify.out"; fail "verify failed"; }
	grep -q "verify: OK" "$T/verify.out" || fail "verify: no OK line"
}
