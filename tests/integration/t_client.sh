# t_client.sh: the client library against the real daemon (issue 3):
# 8 threads x 100,000 records through one handle; a daemon absent at
# open and started 2 s later; the daemon killed and restarted twice
# mid-run with a spool directory; the block policy's ALGAUDIT_EFULL with
# the daemon stopped (SIGSTOP); an app killed with records in its spool,
# delivered by its successor. Nothing lost, nothing duplicated.
. "$(dirname "$0")/lib.sh"

say "8 threads x 100,000 records through one handle"
start_daemon
"$PRODUCER" --connect "$EP" --producer eight --threads 8 --count 100000
"$CHECKER" --store "$STORE" --expect eight:8:100000
stop_daemon TERM

say "daemon absent at open, started 2 s later"
rm -rf "$STORE"
"$PRODUCER" --connect "$EP" --producer late --count 50000 > "$T/late.out" &
late=$!
BG_PIDS+=($late)
sleep 2
kill -0 $late || fail "producer gave up while the daemon was absent"
start_daemon
wait $late || fail "late producer failed"
"$CHECKER" --store "$STORE" --expect late:1:50000

say "daemon killed and restarted twice mid-run, with a spool"
"$PRODUCER" --connect "$EP" --producer spooled --threads 2 --count 150000 \
    --rate 40000 --spool "$T/spool" > "$T/spooled.out" &
sp=$!
BG_PIDS+=($sp)
for round in 1 2; do
	sleep 0.6
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=""
	mv "$DAEMON_LOG" "$DAEMON_LOG.kill$round"
	sleep 0.3
	start_daemon
done
wait $sp || fail "spooled producer failed"
cat "$T/spooled.out"
grep -q "reconnects [1-9]" "$T/spooled.out" ||
    fail "the kills did not land mid-run"
"$CHECKER" --store "$STORE" --expect late:1:50000 \
    --expect spooled:2:150000

say "block policy: ALGAUDIT_EFULL after its timeout, daemon stopped"
kill -STOP "$DAEMON_PID"
set +e
"$PRODUCER" --connect "$EP" --producer blocked --count 1000000 \
    --queue 2000 --block-timeout 300 --until-efull --flush-timeout 1 \
    > "$T/blocked.out" 2>&1
set -e
kill -CONT "$DAEMON_PID"
cat "$T/blocked.out"
grep -q "efull at record" "$T/blocked.out" || fail "no EFULL seen"
ms=$(sed -n 's/.*after \([0-9]*\) ms.*/\1/p' "$T/blocked.out")
[ "$ms" -ge 250 ] || fail "EFULL came after $ms ms, before the 300 ms timeout"
# Records accepted before the EFULL may or may not have reached the daemon
# before the 1 s close timeout; those that did are each stored once.
"$CHECKER" --store "$STORE" --expect late:1:50000 \
    --expect spooled:2:150000 --expect blocked:1:prefix 2>&1 ||
    "$CHECKER" --store "$STORE" --expect late:1:50000 \
    --expect spooled:2:150000

say "app killed with records in its spool; a successor delivers them"
stop_daemon TERM
"$PRODUCER" --connect "$EP" --producer reborn --count 20000 --queue 1000 \
    --spool "$T/spool2" --flush-timeout 60 > "$T/reborn1.out" 2>&1 &
rb=$!
BG_PIDS+=($rb)
for _ in $(seq 1 100); do
	[ "$(du -sk "$T/spool2" 2>/dev/null | cut -f1)" -gt 1000 ] && break
	sleep 0.1
done
sleep 0.5
kill -9 $rb
wait $rb 2>/dev/null || true
[ "$(du -sk "$T/spool2" | cut -f1)" -gt 1000 ] || fail "nothing was spooled"
start_daemon
"$PRODUCER" --connect "$EP" --producer reborn --count 0 \
    --spool "$T/spool2" > "$T/reborn2.out"
cat "$T/reborn2.out"
"$CHECKER" --store "$STORE" --expect late:1:50000 \
    --expect spooled:2:150000 --expect reborn:1:prefix > "$T/check.out"
cat "$T/check.out"
n=$(sed -n 's/itest_check: reborn: \([0-9]*\) records.*/\1/p' "$T/check.out")
[ "$n" -ge 18000 ] || fail "only $n spooled records were delivered"
