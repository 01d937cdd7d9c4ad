# t_hole.sh: after a failed commit, a producer whose process died with
# the failed records in memory connects again and starts far above them;
# it must be served, not refused until it resends records it no longer
# has (found in review: it was refused forever).
#   ALGAUDIT_STORE_FAULT=commit:2:eio makes the second commit fail.
. "$(dirname "$0")/lib.sh"

ALGAUDIT_STORE_FAULT=commit:2:eio start_daemon \
    --checkpoint-interval 600000 --checkpoint-entries 1000000
out=$("$RAW" --connect "$EP" --producer hp hole-new-session)
echo "$out"
grep -q "error code=STORE_FAILED fatal=0" <<< "$out" ||
    fail "the injected commit failure was not reported"
grep -q "welcome durable_seq=1" <<< "$out" || fail "wrong durable mark"
grep -q "ack producer_seq=65537 stored=1" <<< "$out" ||
    fail "the successor's batch was not stored"
grep -q "resumed from its Welcome" "$DAEMON_LOG" ||
    fail "the daemon did not log why it closed the hole"
