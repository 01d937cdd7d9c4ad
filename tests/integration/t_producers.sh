# t_producers.sh: 4 producer processes x 50,000 records through the real
# client library and daemon; every record present exactly once and in
# per-producer order (issue 2).
. "$(dirname "$0")/lib.sh"

start_daemon
pids=()
for p in p1 p2 p3 p4; do
	"$PRODUCER" --connect "$EP" --producer "$p" --count 50000 &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || fail "a producer failed"
done
"$CHECKER" --store "$STORE" --expect p1:1:50000 --expect p2:1:50000 \
    --expect p3:1:50000 --expect p4:1:50000

say "several threads through one handle"
"$PRODUCER" --connect "$EP" --producer threaded --threads 4 --count 5000
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC after SIGTERM"
"$CHECKER" --store "$STORE" --expect p1:1:50000 --expect p2:1:50000 \
    --expect p3:1:50000 --expect p4:1:50000 --expect threaded:4:5000
