# t_checkpoint.sh: the writer's side of the verifiable log (issue 4) with
# the real daemon and client. Checkpoints appear at the configured
# cadence (by entries, by time, and by the idle writer's own timer) and
# at shutdown; the latest one covers the whole log after SIGTERM; every
# leaf in the tree is the one recomputed from its entry and every
# checkpoint verifies with the store's key (itest_tree); checkpointed
# acks carry a checkpoint size above the record's index and the receipt's
# leaf hash is the tree's; kill -9 during ingest and a restart continue
# the tree (and `algaudit verify` passes with the published key); the
# signing key is created mode 0600 and reused; and the
# daemon refuses a foreign key, --tree off on a verifiable store and
# --tree on on a store written with --tree off.
. "$(dirname "$0")/lib.sh"

TREE="$BUILD/tests/itest_tree"
KEY="$STORE/signer.key"

# vkey LOGFILE...: the verifier key the daemon logged.
vkey() {
	sed -n 's/.*: verifier key \(.*\)$/\1/p' "$@" | sort -u
}

# refuses MESSAGE ARGS...: the daemon must exit 1 at start-up, logging
# MESSAGE.
refuses() {
	local msg="$1" rc
	shift
	set +e
	timeout 10 "$AUDITD" --listen "unix:$T/refused.sock" -d "$@" \
	    > "$T/refused.log" 2>&1
	rc=$?
	set -e
	[ $rc -eq 1 ] || fail "daemon $* exited $rc, expected 1"
	grep -q -- "$msg" "$T/refused.log" ||
	    { cat "$T/refused.log"; fail "no '$msg' for $*"; }
}

say "cadence by entries: every 2000, and one at shutdown"
start_daemon --checkpoint-entries 2000 --checkpoint-interval 3600000
[ -f "$KEY" ] || fail "no signer.key after the first start"
[ "$(stat -c %a "$KEY")" = 600 ] || fail "signer.key mode $(stat -c %a "$KEY")"
grep -q "created a new checkpoint signing key" "$DAEMON_LOG" ||
    fail "key creation not logged"
# Paced, so that commits are small and the count decides (a checkpoint
# goes into the first commit that reaches the count).
"$PRODUCER" --connect "$EP" --producer c1 --count 20000 --rate 20000 \
    > "$T/c1.out"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"
"$TREE" --store "$STORE" --key-file "$KEY" --latest-covers-all \
    --min-checkpoints 5 --min-gap 2000 | tee "$T/tree1.out"
ckpts1=$(awk '/^tree / { print $7 }' "$T/tree1.out")

say "cadence by time: every 200 ms while paced entries arrive"
start_daemon --checkpoint-entries 16777216 --checkpoint-interval 200
"$PRODUCER" --connect "$EP" --producer t1 --count 3000 --rate 1500 \
    > "$T/t1.out"
# The last records arrive while the writer is idle: its own timer must
# write the checkpoint that covers them, with no shutdown and no traffic.
sleep 0.8
"$TREE" --store "$STORE" --key-file "$KEY" --latest-covers-all |
    tee "$T/tree2.out"
ckpts2=$(awk '/^tree / { print $7 }' "$T/tree2.out")
[ $((ckpts2 - ckpts1)) -ge 5 ] ||
    fail "only $((ckpts2 - ckpts1)) checkpoints in 2 s at 200 ms"
[ $((ckpts2 - ckpts1)) -le 14 ] ||
    fail "$((ckpts2 - ckpts1)) checkpoints in 2 s at 200 ms: too many"

say "checkpointed acks with receipts"
"$PRODUCER" --connect "$EP" --producer a1 --count 1000 --ack-level \
    checkpointed --receipts --sync-every 100 > "$T/a1.out"
cat "$T/a1.out"
read -r idx ckpt leaf < <(awk '/^receipt / { print $5, $9, $11 }' \
    "$T/a1.out")
[ -n "$leaf" ] && [ "$leaf" != "-" ] || fail "no sample receipt"
[ "$ckpt" -ge $((idx + 1)) ] || fail "checkpoint $ckpt does not cover $idx"
grep -q "syncs 10" "$T/a1.out" || fail "not every sync returned"
"$TREE" --store "$STORE" --key-file "$KEY" --has-checkpoint "$ckpt" \
    --leaf "$idx:$leaf" > /dev/null
say "durable acks with receipts: leaf hash, no checkpoint size"
"$PRODUCER" --connect "$EP" --producer a2 --count 300 --receipts \
    --sync-every 100 > "$T/a2.out"
grep "^receipt .* checkpoint_size 0 leaf_hash [0-9a-f]\{64\}" "$T/a2.out" ||
    fail "durable receipt: $(cat "$T/a2.out")"
stop_daemon TERM
"$TREE" --store "$STORE" --key-file "$KEY" --latest-covers-all

say "kill -9 during ingest, then the tree continues"
start_daemon --checkpoint-entries 16777216 --checkpoint-interval 3600000
"$PRODUCER" --connect "$EP" --producer k1 --count 150000 \
    --flush-timeout 120 > "$T/k1.out" &
kpid=$!
BG_PIDS+=($kpid)
sleep 1
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=""
mv "$DAEMON_LOG" "$DAEMON_LOG.killed"
# The killed store: the tree holds every committed entry, the
# checkpoints verify, and the log has grown past the newest one.
"$TREE" --store "$STORE" --key-file "$KEY" | tee "$T/tree3.out"
read -r n3 latest3 < <(awk '/^tree / { print $3, $11 }' "$T/tree3.out")
[ "$n3" -gt "$latest3" ] ||
    fail "no entries past the newest checkpoint before the restart"
start_daemon
wait "$kpid" || fail "producer k1 failed"
stop_daemon TERM
"$TREE" --store "$STORE" --key-file "$KEY" --latest-covers-all |
    tee "$T/tree4.out"
"$CHECKER" --store "$STORE" --expect c1:1:20000 --expect t1:1:3000 \
    --expect a1:1:1000 --expect a2:1:300 --expect k1:1:150000
# The CLI's verify agrees, with the verifier key the daemon published.
"$AUDIT" verify --store "$STORE" --key "$(vkey "$DAEMON_LOG".*)" ||
    fail "algaudit verify failed after kill -9 and restart"

say "the key is reused across restarts"
[ "$(vkey "$DAEMON_LOG".* | wc -l)" -eq 1 ] ||
    fail "verifier keys differ across restarts: $(vkey "$DAEMON_LOG".*)"
[ "$(stat -c %a "$KEY")" = 600 ] || fail "signer.key mode changed"

say "refusals at start-up"
refuses "--tree off: store" --store "$STORE" --tree off
refuses "No such file" --store "$STORE" --key "$T/nokey"
mkdir "$T/other"
"$AUDITD" --store "$T/other/store" --origin other.example/log \
    --listen "unix:$T/other.sock" -d > "$T/other.log" 2>&1 &
opid=$!
BG_PIDS+=($opid)
for _ in $(seq 1 100); do
	grep -q ready "$T/other.log" && break
	sleep 0.05
done
kill -TERM "$opid"
wait "$opid" || fail "the other daemon failed"
refuses "named 'other.example/log', but the store's origin is" \
    --store "$STORE" --key "$T/other/store/signer.key"
cp "$KEY" "$T/open.key"
chmod 644 "$T/open.key"
refuses "NOTE_EKEYMODE" --store "$STORE" --key "$T/open.key"

say "--tree off: measurement only, on a new store"
TREE_STORE="$STORE"
STORE="$T/store-off"
start_daemon --tree off
grep -q "NOT verifiable" "$DAEMON_LOG" || fail "--tree off not logged"
"$PRODUCER" --connect "$EP" --producer o1 --count 2000 > /dev/null
# Checkpointed acks would never come: the Hello is refused.
if "$PRODUCER" --connect "$EP" --producer o2 --count 10 --ack-level \
    checkpointed --flush-timeout 1 > "$T/o2.out" 2>&1; then
	fail "checkpointed acks from a daemon with --tree off"
fi
grep -q "ack_level CHECKPOINTED, but this daemon runs with --tree off" \
    "$DAEMON_LOG" || fail "the checkpointed Hello was not refused"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect o1:1:2000
refuses "written with --tree off" --store "$STORE"
STORE="$TREE_STORE"
