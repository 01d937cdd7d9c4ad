# t_bad_input.sh: every bad input of issue 2 gets its Error frame; a
# protocol error closes only that connection; an invalid record refuses
# its whole batch and the connection stays usable; meanwhile a good
# producer keeps being served and loses nothing.
. "$(dirname "$0")/lib.sh"

start_daemon
"$PRODUCER" --connect "$EP" --producer steady --count 100000 \
    > "$T/steady.out" &
steady=$!

# expect MODE PATTERN...: runs itest_raw MODE; each PATTERN must appear.
expect() {
	local mode="$1" out
	shift
	out=$("$RAW" --connect "$EP" --producer "raw-$mode" "$mode")
	for pat in "$@"; do
		if ! grep -q -- "$pat" <<< "$out"; then
			echo "$out"
			fail "$mode: no line matching '$pat'"
		fi
	done
	kill -0 "$DAEMON_PID" || fail "daemon died on $mode"
	say "$mode: ok"
}

expect good "welcome durable_seq=0" "ack producer_seq=1 stored=1"
expect garbage "error code=FRAME_TOO_LARGE fatal=1" "closed"
expect garbage-body "error code=PROTOCOL fatal=1" "closed"
expect oversize "error code=FRAME_TOO_LARGE fatal=1" "closed"
expect empty-frame "error code=PROTOCOL fatal=1" "closed"
expect truncated "closed"
expect version "error code=VERSION fatal=1" "closed"
expect batch-before-hello "error code=PROTOCOL fatal=1" "closed"
expect second-hello "error code=PROTOCOL fatal=1" "closed"
expect bad-producer-id "error code=PROTOCOL fatal=1" "producer_id"
for m in no-algorithm:algorithm.id empty-decision:decision \
    no-class:data_class input-class:"inputs\[0\].data_class" \
    seq-order:producer_seq utf8:subject too-long:purpose nan-score:score \
    zero-seq:producer_seq; do
	mode="${m%%:*}"
	field="${m#*:}"
	expect "invalid-$mode" \
	    "error code=INVALID_RECORD fatal=0" "$field" \
	    "ack producer_seq=200 stored=1"
done

say "nothing of a refused batch was stored"
"$AUDIT" query --store "$STORE" --format jsonl > "$T/all.jsonl"
if grep '"producer_id":"raw-invalid' "$T/all.jsonl" |
    grep -v '"producer_seq":200' | grep -q .; then
	fail "a record of a refused batch was stored"
fi
n=$(grep -c '"producer_id":"raw-invalid' "$T/all.jsonl" || true)
[ "$n" -eq 9 ] || fail "expected 9 follow-up records, found $n"

wait "$steady" || fail "steady producer failed"
"$CHECKER" --store "$STORE" --expect steady:1:100000
