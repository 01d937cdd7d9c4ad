# t_key_missing.sh: a store with checkpoints whose signer.key is gone
# must not get a new key (it could not continue the log's signatures);
# the daemon refuses to start, says why, and leaves no new key behind
# (found in review).
. "$(dirname "$0")/lib.sh"

start_daemon
echo '{"algorithm":{"id":"a"},"decision":"x","data_class":"ordinary"}' |
    "$AUDIT" log --connect "$EP" --producer p
stop_daemon TERM
[ -f "$STORE/signer.key" ] || fail "no key was created on first start"
mv "$STORE/signer.key" "$T/signer.key.bak"
set +e
"$AUDITD" --store "$STORE" --listen "$EP" -d > "$T/start.log" 2>&1
rc=$?
set -e
cat "$T/start.log"
[ $rc -eq 1 ] || fail "daemon started (exit $rc) without the store's key"
grep -q "restore signer.key" "$T/start.log" || fail "no hint to restore"
[ ! -e "$STORE/signer.key" ] || fail "a new key was left behind"
mv "$T/signer.key.bak" "$STORE/signer.key"
start_daemon
"$AUDIT" verify --store "$STORE" > /dev/null || fail "verify after restore"
