# t_store_tmpfs.sh: a store on a real, small filesystem (an 8 MiB
# tmpfs) that fills up during ingest, under both --on-store-full
# policies. A filler file leaves about 2 MiB; the producer sends more
# than that. The free-space warnings come once each; ingest stops with
# the policy (block: no refusal, the producer waits; refuse: STORE_FULL
# answers); deleting the filler lets it resume by itself, and every
# record ends up stored exactly once in a log that verifies. Needs root
# to mount; skipped with a message where mounting is impossible.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/metrics_lib.sh"

MNT="$T/fs"
mkdir "$MNT"
if [ "$(id -u)" -ne 0 ] ||
    ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2> "$T/mount.err"; then
	skip "cannot mount a tmpfs (needs root): $(cat "$T/mount.err")"
fi
# Unmount before lib.sh's cleanup removes $T, whatever happens.
trap 'rc=$?; set +e;
    [ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null;
    for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done;
    wait 2>/dev/null; umount "$MNT" 2>/dev/null || umount -l "$MNT";
    (exit $rc); cleanup' EXIT
STORE="$MNT/store"
N=8000

# fill_up: the filler file, leaving about 2 MiB of the 8.
fill_up() {
	dd if=/dev/zero of="$MNT/filler" bs=1M count=6 status=none \
	    2>/dev/null || true	# a store left over may take some room
}

# ingest POLICY NAME: a daemon with POLICY on the store, a producer of
# N records waiting while the store fills up; then the filler goes and
# the producer must complete. Leaves the daemon running.
ingest() {
	start_metrics --on-store-full "$1" --store-free-warn 40 \
	    --store-free-critical 20
	bg sh -c "exec '$PRODUCER' --connect '$EP' --producer '$2' \
	    --count $N > '$T/$2.out'"
	prod=${BG_PIDS[-1]}
	wait_log "writer: store $STORE is full" 30
	cpu0=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
	sleep 1.5
	cpu1=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
	# Blocked, the daemon waits for space without spinning.
	[ "$1" != block ] || [ $((cpu1 - cpu0)) -le 20 ] ||
	    fail "blocked, the daemon used $((cpu1 - cpu0)) CPU ticks in 1.5 s"
	kill -0 "$prod" 2>/dev/null || fail "$2 finished with the store full"
	scrape "$2.full"
	expect "$2.full" 'algaudit_store_state{state="full"}' 1
	expect "$2.full" algaudit_store_free_level 2
	[ "$(val "$2.full" algaudit_committed_records_total)" -lt "$N" ] ||
	    fail "everything was committed with the store full"
	rm "$MNT/filler"
	wait "$prod" || fail "$2 failed: $(cat "$T/$2.out")"
	cat "$T/$2.out"
	grep -q "acked $N" "$T/$2.out" || fail "$2: not all acknowledged"
	wait_log "writer: store $STORE takes writes again after"
	scrape "$2.done"
	expect "$2.done" 'algaudit_store_state{state="ok"}' 1
	expect "$2.done" algaudit_committed_records_total "$N"
}

say "block: the filesystem fills up, the producer waits, then resumes"
mkdir -p "$STORE"
fill_up
ingest block pb
[ "$(grep -c "writer: store $STORE is full" "$DAEMON_LOG")" = 1 ] ||
    fail "the full store was logged more than once"
grep -q "(on-store-full block)" "$DAEMON_LOG" || fail "policy not logged"
if grep -q "STORE_FULL" "$DAEMON_LOG"; then
	fail "a STORE_FULL was sent under on-store-full block"
fi
grep -q "below store-free-critical 20%" "$DAEMON_LOG" ||
    fail "no free-space warning"
[ "$(grep -c "below store-free-critical 20%" "$DAEMON_LOG")" -le 2 ] ||
    fail "the free-space warning was repeated"
grep -q "of its filesystem is available again" "$DAEMON_LOG" ||
    fail "the recovery of free space was not logged"
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect pb:1:"$N"
verify_ok

say "refuse: the filesystem fills up, STORE_FULL, then resumes"
rm -rf "$STORE"
mkdir -p "$STORE"
fill_up
ingest refuse pr
grep -q "(on-store-full refuse)" "$DAEMON_LOG" || fail "policy not logged"
grep -q "conn [0-9]*: STORE_FULL: batch not stored" "$DAEMON_LOG" ||
    fail "no STORE_FULL answer"
[ "$(val pr.done 'algaudit_rejected_records_total{code="STORE_FULL"}')" \
    -gt 0 ] || fail "no STORE_FULL counted"
grep -q "retried [1-9]" "$T/pr.out" || fail "the producer did not resend"
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect pr:1:"$N"
verify_ok
echo "t_store_tmpfs: ok"
