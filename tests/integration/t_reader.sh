# t_reader.sh: readers in other processes while the daemon writes.
#
# - Map growth under readers: a store that starts with a 1 MiB map
#   (ALGAUDIT_STORE_MAPSIZE) grows to tens of MiB while `algaudit query
#   --follow` reads along and while another query holds one read
#   transaction (an old snapshot) through the whole ingest, blocked on a
#   full pipe. The follower sees every record once, the blocked query
#   then prints exactly its snapshot, the daemon never fails.
# - A query killed with SIGKILL inside its read transaction leaves a
#   stale slot in the lock file (mdb_stat -r shows its dead pid), whose
#   pinned snapshot would make data.mdb grow. The running daemon clears
#   it within seconds while it writes (store_begin()'s sweep, every 5 s);
#   one killed while the daemon is down is cleared when the daemon opens
#   the store. A follower keeps the environment open throughout, so LMDB
#   itself never resets the reader table.
. "$(dirname "$0")/lib.sh"

command -v mdb_stat > /dev/null ||
    skip "mdb_stat is not installed (lmdb-utils; scripts/install-deps)"

# map_size: the store's map size in bytes, as LMDB reports it.
map_size() {
	mdb_stat -e "$STORE" | awk '/Map size:/ { print $3 }'
}

# readers: the reader table (mdb_stat -r exits 1 even when it worked).
readers() {
	mdb_stat -r "$STORE" || true
}

# reader_txn PID: the read transaction id that PID's slot holds, if any.
reader_txn() {
	readers | awk -v p="$1" '$1 == p && $3 != "-" { print $3 }'
}

# wait_reader PID: waits up to 10 s until PID holds a read transaction.
wait_reader() {
	local i
	for i in $(seq 1 100); do
		[ -n "$(reader_txn "$1")" ] && return 0
		sleep 0.1
	done
	readers
	fail "pid $1 holds no read transaction"
}

# wait_lines FILE N: waits up to 30 s until FILE has N lines.
wait_lines() {
	local i
	for i in $(seq 1 300); do
		[ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1: $(wc -l < "$1") lines, $2 expected"
}

say "map growth while a follower and a long read transaction read"
ALGAUDIT_STORE_MAPSIZE=1048576 start_daemon
"$PRODUCER" --connect "$EP" --producer s0 --count 2000 > /dev/null ||
    fail "seed producer failed"
n0=$("$AUDIT" query --store "$STORE" --count)
map0=$(map_size)
# The snapshot: its pipe fills at once, its reader drains it after 8 s.
mkfifo "$T/snap.fifo"
( sleep 8; cat ) < "$T/snap.fifo" > "$T/snap.out" &
BG_PIDS+=($!)
drain=$!
"$AUDIT" query --store "$STORE" --format jsonl > "$T/snap.fifo" &
snap=$!
BG_PIDS+=($snap)
wait_reader $snap
"$AUDIT" query --store "$STORE" --follow --format jsonl > "$T/follow.out" &
follow=$!
BG_PIDS+=($follow)
pids=()
for p in m1 m2 m3 m4; do
	"$PRODUCER" --connect "$EP" --producer "$p" --count 6000 \
	    --rate 3000 > "$T/$p.out" &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || fail "a producer failed"
done
[ -n "$(reader_txn $snap)" ] ||
    fail "the snapshot query let go of its transaction during the ingest"
total=$("$AUDIT" query --store "$STORE" --count)
map1=$(map_size)
echo "map $map0 -> $map1 bytes over $n0 -> $total entries; data.mdb" \
    "$(stat -c %s "$STORE/data.mdb") bytes (a snapshot was pinned)"
[ "$map1" -ge $((16 << 20)) ] || fail "the map did not grow to 16 MiB"
wait_lines "$T/follow.out" "$total"
[ "$(wc -l < "$T/follow.out")" -eq "$total" ] ||
    fail "the follower printed $(wc -l < "$T/follow.out") of $total"
[ "$(grep -o '^{"index":[0-9]*' "$T/follow.out" | sort -u | wc -l)" \
    -eq "$total" ] || fail "the follower printed an entry twice"
wait $snap || fail "the snapshot query failed"
wait $drain || true
[ "$(wc -l < "$T/snap.out")" -eq "$n0" ] ||
    fail "the snapshot query printed $(wc -l < "$T/snap.out") of $n0"
tail -n 1 "$T/snap.out" | grep -q "^{\"index\":$((n0 - 1))," ||
    fail "the snapshot does not end at index $((n0 - 1))"
kill -0 "$follow" || fail "the follower died"
kill -0 "$DAEMON_PID" || fail "the daemon died"
if grep -q "warn: writer" "$DAEMON_LOG"; then
	fail "the writer complained: $(grep "warn: writer" "$DAEMON_LOG")"
fi

# hold_and_kill NAME: starts a query that blocks on a full pipe inside
# its read transaction, kills it with SIGKILL there; sets VICTIM, TXN.
hold_and_kill() {
	mkfifo "$T/$1.fifo"
	sleep 600 < "$T/$1.fifo" &
	BG_PIDS+=($!)
	"$AUDIT" query --store "$STORE" --format jsonl > "$T/$1.fifo" &
	VICTIM=$!
	wait_reader $VICTIM
	TXN=$(reader_txn $VICTIM)
	kill -9 $VICTIM
	wait $VICTIM 2>/dev/null || true
}

# wait_cleared PID S: waits up to S seconds until PID has no slot.
wait_cleared() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		[ -z "$(readers | awk -v p="$1" '$1 == p')" ] && return 0
		sleep 0.1
	done
	readers
	fail "the dead query's slot (pid $1) is still there after $2 s"
}

say "a query killed inside its read transaction, the daemon running"
hold_and_kill k1
echo "pid $VICTIM died holding read transaction $TXN;" \
    "stale: $([ -n "$(reader_txn $VICTIM)" ] && echo yes || echo no)"
# The writer clears dead readers at most every 5 s, when it writes.
pid0=$DAEMON_PID
"$PRODUCER" --connect "$EP" --producer after --count 4000 --rate 500 \
    > /dev/null || fail "ingest failed beside the stale slot"
wait_cleared $VICTIM 10
[ "$DAEMON_PID" = "$pid0" ] && kill -0 "$DAEMON_PID" ||
    fail "the daemon restarted or died"
for i in $(seq 1 50); do
	grep -q "store: cleared [0-9]* stale reader slots" "$DAEMON_LOG" &&
	    break
	sleep 0.1
done
grep -q "store: cleared [0-9]* stale reader slots" "$DAEMON_LOG" ||
    fail "the daemon did not log the slot it cleared"
echo "the running daemon cleared it and said so"
wait_lines "$T/follow.out" $((total + 4000))

say "a query killed while the daemon is down: cleared when it opens"
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exited $DAEMON_RC"
hold_and_kill k2
[ "$(reader_txn $VICTIM)" = "$TXN" ] ||
    fail "the dead query's slot is gone before anyone cleared it"
echo "pid $VICTIM died holding read transaction $TXN: stale slot"
kill -0 "$follow" || fail "the follower died"
start_daemon
[ -z "$(readers | awk -v p=$VICTIM '$1 == p')" ] || {
	readers
	fail "the daemon's open left the dead query's slot"
}
grep -q "store: cleared [0-9]* stale reader slots" "$DAEMON_LOG" ||
    fail "the daemon did not log the slot its open cleared"
echo "the daemon's open cleared it; the follower kept the store open"
kill -TERM "$follow"
wait "$follow" || fail "the follower did not exit 0 on SIGTERM"
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exited $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect s0:1:2000 --expect m1:1:6000 \
    --expect m2:1:6000 --expect m3:1:6000 --expect m4:1:6000 \
    --expect after:1:4000
"$AUDIT" verify --store "$STORE" > "$T/verify.out" 2>&1 ||
    { cat "$T/verify.out"; fail "verify failed"; }
