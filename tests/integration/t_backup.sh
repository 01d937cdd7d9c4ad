# t_backup.sh: `algaudit backup` while two producers write (issue 6).
# The copy opens, every record in it is there once and in order (a
# prefix of each producer), `verify --key` passes on it, it holds at
# least what the store had committed (so everything acknowledged)
# before the backup started, its head is a checkpoint that the live log
# signed byte for byte, and `query` works on it. A non-empty --out is
# refused; signer.key is not copied. Restoring it (daemon stopped,
# directory replaced, signer.key put back) gives a daemon that starts,
# verifies, welcomes a producer at the copy's durable mark and takes
# new records. A second backup with a slow checkpoint cadence says how
# many entries its newest checkpoint does not cover yet, and verifies.
. "$(dirname "$0")/lib.sh"

ORIGIN="test.example/backup"
COPY="$T/copy"
N=40000		# records per producer

# expect_rc RC CMD...: CMD must exit RC; its output is in $T/out, $T/err.
expect_rc() {
	local want="$1" rc
	shift
	set +e
	"$@" > "$T/out" 2> "$T/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] ||
	    { cat "$T/out" "$T/err"; fail "$* exited $rc, expected $want"; }
}

# entries DIR: the log size of the store in DIR.
entries() {
	"$AUDIT" stats --store "$1" | awk '$1 == "entries" { print $2 }'
}

# mark DIR PRODUCER: the producer's durable seq in the store in DIR.
mark() {
	"$AUDIT" stats --store "$1" | awk -v p="$2" '$1 == p { print $2 }'
}

# verify_ok DIR: verify with the published verifier key must pass.
verify_ok() {
	"$AUDIT" verify --store "$1" --key "$VKEY" > "$T/verify.out" 2>&1 ||
	    { cat "$T/verify.out"; fail "verify $1 failed"; }
	grep -q "verify: OK" "$T/verify.out" || fail "verify $1: no OK line"
}

# Every commit signs a checkpoint, so any snapshot's head is one.
start_daemon --origin "$ORIGIN" --checkpoint-entries 1
VKEY=$("$AUDIT" key --store "$STORE")

say "backup while two producers write"
"$PRODUCER" --connect "$EP" --producer b1 --count "$N" --rate 20000 \
    > "$T/b1.out" &
p1=$!
"$PRODUCER" --connect "$EP" --producer b2 --count "$N" --rate 20000 \
    > "$T/b2.out" &
p2=$!
sleep 0.7
# Acks follow commits: what is committed now includes every ack so far.
before=$(entries "$STORE")
b1_before=$(mark "$STORE" b1)
b2_before=$(mark "$STORE" b2)
[ "$before" -gt 0 ] || fail "nothing committed before the backup"
"$AUDIT" backup --store "$STORE" --out "$COPY" > "$T/backup.out" ||
    { cat "$T/backup.out"; fail "backup failed"; }
cat "$T/backup.out"
wait "$p1" || fail "producer b1 failed"
wait "$p2" || fail "producer b2 failed"

say "the copy: a consistent prefix with at least what was acknowledged"
n=$(entries "$COPY")
[ "$n" -ge "$before" ] || fail "copy has $n entries, $before before"
[ "$n" -lt $((2 * N)) ] || fail "the backup did not run during ingest"
[ "$(mark "$COPY" b1)" -ge "$b1_before" ] || fail "b1's mark went back"
[ "$(mark "$COPY" b2)" -ge "$b2_before" ] || fail "b2's mark went back"
"$CHECKER" --store "$COPY" --expect b1:1:prefix --expect b2:1:prefix ||
    fail "the copy is not a prefix of each producer, once each"
grep -qx "entries      $n" "$T/backup.out" || fail "backup output: entries"
grep -qx "tree size    $n" "$T/backup.out" || fail "backup output: tree"
grep -qx "checkpoint   $n (the newest signed one covers every entry)" \
    "$T/backup.out" || fail "backup output: checkpoint"
grep -q "^bytes        [1-9][0-9]* ($COPY/data.mdb)$" "$T/backup.out" ||
    fail "backup output: bytes"
grep -q "^seconds      [0-9.]*$" "$T/backup.out" || fail "no seconds"
grep -qx "signer.key   not copied: back it up separately" \
    "$T/backup.out" || fail "backup output: signer.key"
[ ! -e "$COPY/signer.key" ] || fail "signer.key was copied"
[ "$(stat -c %a "$COPY/data.mdb")" = 600 ] || fail "data.mdb not 0600"

say "the copy verifies, and its head is a checkpoint the live log signed"
verify_ok "$COPY"
grep -q "verify: OK: $n entries" "$T/verify.out" || fail "verify: count"
[ "$("$AUDIT" checkpoint --store "$COPY" --list | tail -n 1)" = "$n" ] ||
    fail "the copy's newest checkpoint is not at its head $n"
"$AUDIT" checkpoint --store "$COPY" > "$T/copy.ckpt"
"$AUDIT" checkpoint --store "$STORE" --size "$n" > "$T/live.ckpt"
cmp -s "$T/copy.ckpt" "$T/live.ckpt" ||
    fail "the copy's head checkpoint is not the live log's at $n"

say "query works on the copy"
[ "$("$AUDIT" query --store "$COPY" --producer b1 --count)" = \
    "$(mark "$COPY" b1)" ] || fail "query --count on the copy"
[ "$("$AUDIT" query --store "$COPY" --to-index 4 --format jsonl |
    wc -l)" -eq 5 ] || fail "query on the copy"

say "refusals: a non-empty --out, a missing parent, usage errors"
expect_rc 1 "$AUDIT" backup --store "$STORE" --out "$COPY"
grep -qF "algaudit backup: --out $COPY: exists and is not empty" \
    "$T/err" || fail "non-empty: $(cat "$T/err")"
touch "$T/afile"
expect_rc 1 "$AUDIT" backup --store "$STORE" --out "$T/afile"
grep -q "exists and is not a directory" "$T/err" || fail "file as --out"
expect_rc 1 "$AUDIT" backup --store "$STORE" --out "$T/no/such"
grep -q "cannot create: No such file or directory" "$T/err" ||
    fail "missing parent: $(cat "$T/err")"
expect_rc 1 "$AUDIT" backup --store "$T/nostore" --out "$T/x"
[ ! -e "$T/x" ] || fail "--out made for a store that does not open"
expect_rc 2 "$AUDIT" backup --store "$STORE"
grep -q "\-\-out: required" "$T/err" || fail "no --out"
expect_rc 2 "$AUDIT" backup --out "$T/x"
mkdir "$T/empty"
expect_rc 0 "$AUDIT" backup --store "$STORE" --out "$T/empty"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect "b1:1:$N" --expect "b2:1:$N"

say "restore: replace the store with the copy, keep signer.key"
cp -p "$STORE/signer.key" "$T/signer.key.bak"
rm -rf "$STORE"
mv "$COPY" "$STORE"
cp -p "$T/signer.key.bak" "$STORE/signer.key"
start_daemon --checkpoint-interval 3600000 --checkpoint-entries 16777216
[ "$(entries "$STORE")" = "$n" ] || fail "restored store is not the copy"
verify_ok "$STORE"
# The producers' durable marks are the copy's: b1 is welcomed with its.
m1=$(mark "$STORE" b1)
"$RAW" --connect "$EP" --producer b1 good > "$T/raw.out"
grep -q "welcome durable_seq=$m1$" "$T/raw.out" ||
    { cat "$T/raw.out"; fail "b1 not welcomed at the copy's mark $m1"; }
grep -q "ack producer_seq=$m1 stored=0 duplicates=1" "$T/raw.out" ||
    { cat "$T/raw.out"; fail "seq 1 of b1 was not a duplicate"; }
# New records go on from there. The first commit after the start signs
# a checkpoint; with this cadence the later ones do not.
"$PRODUCER" --connect "$EP" --producer b3 --count 2000 > /dev/null
"$PRODUCER" --connect "$EP" --producer b4 --count 2000 > /dev/null

say "a second backup: entries after the newest checkpoint are named"
"$AUDIT" backup --store "$STORE" --out "$T/copy2" > "$T/backup2.out"
n2=$(entries "$T/copy2")
[ "$n2" -eq $((n + 4000)) ] || fail "second copy has $n2 entries"
c2=$("$AUDIT" checkpoint --store "$T/copy2" --list | tail -n 1)
[ "$c2" -gt "$n" ] && [ "$c2" -lt "$n2" ] ||
    fail "expected a checkpoint between $n and $n2, got $c2"
grep -qx "checkpoint   $c2 (the newest signed one; the $((n2 - c2)) entries \
after it are covered by the live log's next checkpoint)" "$T/backup2.out" ||
    { cat "$T/backup2.out"; fail "backup output: uncovered entries"; }
verify_ok "$T/copy2"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"
"$CHECKER" --store "$STORE" --expect b1:1:prefix --expect b2:1:prefix \
    --expect b3:1:2000 --expect b4:1:2000
verify_ok "$STORE"
