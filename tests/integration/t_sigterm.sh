# t_sigterm.sh: SIGTERM mid-stream: the daemon commits and acknowledges
# what it received, exits 0, and loses nothing acknowledged; the producer
# resumes against the restarted daemon and every record is present once.
. "$(dirname "$0")/lib.sh"

start_daemon
# Paced, so the SIGTERM lands mid-stream whatever the machine's speed.
"$PRODUCER" --connect "$EP" --producer s1 --count 200000 --rate 100000 \
    > "$T/s1.out" &
pid=$!
sleep 0.5
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC after SIGTERM"
grep -q "shutdown complete" "$DAEMON_LOG".* || fail "no 'shutdown complete'"
start_daemon
wait "$pid" || fail "producer failed"
cat "$T/s1.out"
grep -q "reconnects [1-9]" "$T/s1.out" || fail "SIGTERM did not land mid-stream"
"$CHECKER" --store "$STORE" --expect s1:1:200000
