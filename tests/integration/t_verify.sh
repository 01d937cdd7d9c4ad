# t_verify.sh: the verifiable log's commands on a store the real daemon
# wrote through the real client (issue 4): `algaudit verify` passes
# (stopped and while the daemon ingests), with the store's own key and
# with --key, and fails with another log's key; `keygen` and `key`;
# `checkpoint` prints notes that Go's note.Open accepts; `prove` and
# `receipt` output verifies with `algaudit verify-receipt` and with Go's
# sumdb/tlog (tests/interop/verify.go, cli mode; skipped without Go);
# kill -9 during ingest with checkpoints on: after the restart verify
# passes, the tree continues and the old checkpoints stay consistent
# with the new ones; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

ORIGIN="test.example/audit"
GOPKG=/usr/share/gocode/src/golang.org/x/mod/sumdb
GOV=""

# verify_ok STORE [ARGS]: verify must pass.
verify_ok() {
	local s="$1"
	shift
	"$AUDIT" verify --store "$s" --quiet "$@" > "$T/verify.out" 2>&1 ||
	    { cat "$T/verify.out"; fail "verify $s $* failed"; }
	grep -q "verify: OK" "$T/verify.out" || fail "no OK line"
}

# expect_rc RC CMD...: CMD must exit RC; its stderr is in $T/err.
expect_rc() {
	local want="$1" rc
	shift
	set +e
	"$@" > "$T/out" 2> "$T/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] ||
	    { cat "$T/err"; fail "$* exited $rc, expected $want"; }
}

if command -v go > /dev/null 2>&1 && [ -d "$GOPKG/note" ] &&
    [ -d "$GOPKG/tlog" ]; then
	mkdir -p "$BUILD/interop"
	say "building the Go verifier"
	(cd "$(dirname "$0")/../.." &&
	    GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
	    GOCACHE="$BUILD/interop/gocache" \
	    go build -o "$BUILD/interop/verify_go" tests/interop/verify.go) ||
	    fail "go build"
	GOV="$BUILD/interop/verify_go"
else
	echo "Go or golang-golang-x-mod-dev missing: Go checks skipped"
fi

say "ingest through the real client, checkpoints every 700 entries"
start_daemon --origin "$ORIGIN" --checkpoint-entries 700 \
    --checkpoint-interval 3600000
"$PRODUCER" --connect "$EP" --producer v1 --count 2500 --threads 2 \
    > /dev/null
"$PRODUCER" --connect "$EP" --producer v2 --count 1234 > /dev/null
cat > "$T/in.jsonl" <<'JSON'
{"algorithm":{"id":"credit"},"decision":"approve","data_class":"ordinary",
 "subject":"s-1","inputs":[{"name":"income","value":52000}]}
{"algorithm":{"id":"credit"},"decision":"deny","data_class":"important",
 "score":0.25}
JSON
# One record a line.
tr -d '\n' < "$T/in.jsonl" | sed 's/}{/}\n{/g' > "$T/in1.jsonl"
echo >> "$T/in1.jsonl"
"$AUDIT" log --connect "$EP" --producer cli < "$T/in1.jsonl" > /dev/null
N=6236
say "verify while the daemon ingests"
bg "$PRODUCER" --connect "$EP" --producer busy --count 20000 --rate 20000
verify_ok "$STORE"
wait "${BG_PIDS[0]}" || fail "the busy producer failed"
N=$((N + 20000))
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"

say "key and keygen"
VKEY=$("$AUDIT" key --store "$STORE")
case "$VKEY" in
"$ORIGIN"+????????+*) ;;
*) fail "key printed '$VKEY'" ;;
esac
expect_rc 1 "$AUDIT" keygen --store "$STORE"
grep -q "exists; refusing" "$T/err" || fail "keygen over a key: $(cat "$T/err")"
cp -a "$STORE" "$T/nokey"
rm "$T/nokey/signer.key"
expect_rc 1 "$AUDIT" key --store "$T/nokey"
grep -q "signer.key: no such file" "$T/err" || fail "key without a file"
expect_rc 2 "$AUDIT" keygen --store "$T/nokey" --origin other.example/x
grep -q "is not the store's origin" "$T/err" || fail "keygen --origin"
NEWKEY=$("$AUDIT" keygen --store "$T/nokey" --origin "$ORIGIN" 2> /dev/null)
[ "$(stat -c %a "$T/nokey/signer.key")" = 600 ] || fail "keygen mode"
[ "$("$AUDIT" key --store "$T/nokey")" = "$NEWKEY" ] || fail "key != keygen"
[ "$NEWKEY" != "$VKEY" ] || fail "keygen made the same key"
expect_rc 1 "$AUDIT" keygen --store "$T/nokey"

say "verify: store key, --key, another log's key"
verify_ok "$STORE"
grep -q "derived from the store's own signer.key" "$T/verify.out" ||
    fail "verify does not say which key"
grep -q "OK: $N entries" "$T/verify.out" || fail "not $N entries"
grep -q "4 producers with matching marks" "$T/verify.out" ||
    fail "producers: $(cat "$T/verify.out")"
verify_ok "$STORE" --key "$VKEY"
grep -q "given with --key" "$T/verify.out" || fail "--key not said"
grep "entries/s" "$T/verify.out"
expect_rc 3 "$AUDIT" verify --store "$STORE" --quiet --key "$NEWKEY"
grep -q "checkpoint at size .*: checkpoint signature invalid" "$T/err" ||
    fail "wrong key: $(cat "$T/err")"
# The copy whose key was replaced verifies against nothing it signed.
expect_rc 3 "$AUDIT" verify --store "$T/nokey" --quiet
grep -q "checkpoint signature invalid" "$T/err" || fail "replaced key"

say "checkpoint"
"$AUDIT" checkpoint --store "$STORE" > "$T/latest.note"
[ "$(sed -n 1p "$T/latest.note")" = "$ORIGIN" ] || fail "origin line"
[ "$(sed -n 2p "$T/latest.note")" = "$N" ] || fail "latest is not $N"
"$AUDIT" checkpoint --store "$STORE" --list > "$T/sizes"
[ "$(wc -l < "$T/sizes")" -ge 5 ] || fail "few checkpoints: $(cat "$T/sizes")"
FIRST=$(head -n 1 "$T/sizes")
MID=$(sed -n 3p "$T/sizes")
"$AUDIT" checkpoint --store "$STORE" --size "$MID" > "$T/mid.note"
[ "$(sed -n 2p "$T/mid.note")" = "$MID" ] || fail "--size $MID"
expect_rc 1 "$AUDIT" checkpoint --store "$STORE" --size $((MID + 1))
grep -q "no checkpoint at size $((MID + 1)) (nearest: $MID" "$T/err" ||
    fail "missing size: $(cat "$T/err")"

say "prove and receipt, checked by verify-receipt"
files=("$T/latest.note" "$T/mid.note")
for i in 0 1 255 256 $((MID - 1)) $((N - 1)); do
	"$AUDIT" prove --store "$STORE" --index "$i" > "$T/p$i.json"
	"$AUDIT" verify-receipt "$T/p$i.json" --key "$VKEY" > /dev/null ||
	    fail "inclusion proof of $i"
	files+=("$T/p$i.json")
done
"$AUDIT" prove --store "$STORE" --index 5 --size "$MID" > "$T/pmid.json"
grep -q "\"tree_size\": $MID" "$T/pmid.json" || fail "prove --size"
"$AUDIT" prove --store "$STORE" --consistency "$FIRST" > "$T/c.json"
"$AUDIT" prove --store "$STORE" --consistency "$FIRST" --size "$MID" \
    > "$T/c2.json"
for i in 0 3000 $((N - 1)); do
	"$AUDIT" receipt --store "$STORE" --index "$i" > "$T/r$i.json"
	files+=("$T/r$i.json")
done
files+=("$T/pmid.json" "$T/c.json" "$T/c2.json")
for f in "$T/pmid.json" "$T/c.json" "$T/c2.json" "$T/r0.json" \
    "$T/r3000.json" "$T/r$((N - 1)).json"; do
	"$AUDIT" verify-receipt "$f" --key "$VKEY" || fail "$f"
done
grep -q '"format": "algaudit-receipt/v1"' "$T/r0.json" || fail "format"
grep -q '"path": "inputs\[0\]"' "$T/r0.json" || fail "no inputs[0] unit"
expect_rc 3 "$AUDIT" verify-receipt "$T/r0.json" --key "$NEWKEY"
grep -q "FAILED: checkpoint: signature invalid" "$T/err" ||
    fail "receipt with another key: $(cat "$T/err")"
if [ -n "$GOV" ]; then
	say "Go's note.Open, tlog.CheckRecord and tlog.CheckTree agree"
	"$GOV" cli "$VKEY" "${files[@]}"
	expect_rc 1 "$GOV" cli "$NEWKEY" "$T/latest.note"
fi

say "usage errors and runtime failures"
expect_rc 2 "$AUDIT" verify
expect_rc 2 "$AUDIT" verify --store "$STORE" --key not-a-key
expect_rc 1 "$AUDIT" verify --store "$T/nonexistent"
expect_rc 2 "$AUDIT" prove --store "$STORE"
expect_rc 2 "$AUDIT" prove --store "$STORE" --index 1 --consistency 2
expect_rc 1 "$AUDIT" prove --store "$STORE" --index "$N"
grep -q "not in the tree of size $N" "$T/err" || fail "index past the end"
expect_rc 1 "$AUDIT" prove --store "$STORE" --index 1 --size $((MID + 1))
expect_rc 2 "$AUDIT" receipt --store "$STORE"
expect_rc 2 "$AUDIT" verify-receipt "$T/r0.json"
expect_rc 2 "$AUDIT" verify-receipt "$T/r0.json" --key garbage
expect_rc 1 "$AUDIT" verify-receipt "$T/nonexistent.json" --key "$VKEY"
echo '{"format": "algaudit-receipt/v1"' > "$T/broken.json"
expect_rc 3 "$AUDIT" verify-receipt "$T/broken.json" --key "$VKEY"

say "kill -9 during ingest with checkpoints on, twice"
"$AUDIT" checkpoint --store "$STORE" > "$T/before.note"
BEFORE=$(sed -n 2p "$T/before.note")
start_daemon --checkpoint-entries 500 --checkpoint-interval 50
bg "$PRODUCER" --connect "$EP" --producer crash --count 60000 \
    --rate 30000 --flush-timeout 120
for round in 1 2; do
	sleep 0.6
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2> /dev/null || true
	DAEMON_PID=""
	mv "$DAEMON_LOG" "$DAEMON_LOG.crash$round"
	say "after kill -9 round $round: verify passes"
	verify_ok "$STORE" --key "$VKEY"
	start_daemon --checkpoint-entries 500 --checkpoint-interval 50
done
wait "${BG_PIDS[1]}" || fail "the crash producer failed"
stop_daemon TERM
verify_ok "$STORE" --key "$VKEY"
cat "$T/verify.out"
AFTER=$(sed -n 2p <("$AUDIT" checkpoint --store "$STORE"))
[ "$AFTER" -ge $((N + 60000)) ] || fail "the tree did not continue: $AFTER"
"$AUDIT" prove --store "$STORE" --consistency "$BEFORE" > "$T/cc.json"
"$AUDIT" verify-receipt "$T/cc.json" --key "$VKEY" ||
    fail "pre-crash checkpoint not consistent with the final one"
[ -z "$GOV" ] || "$GOV" cli "$VKEY" "$T/cc.json"
echo "t_verify: ok"
