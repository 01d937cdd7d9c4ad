# t_allow.sh: who may write on the Unix socket. The socket gets the
# configured mode and group; without allow rules any peer that can open
# it writes as anyone (and the daemon says so); with rules, a peer that
# matches none is refused at accept with UNAUTHORIZED (logged with its
# uid, gid and pid), a listed peer is refused a producer id its rules do
# not list (and cannot fence its owner with it), a listed peer writes
# its own ids, a gid rule matches a supplementary group, nothing of a
# refused peer is stored and the stored entries carry the writer's uid.
# SIGHUP: new Hellos, also on connections accepted before it, use the
# new rules; a producer connected across it goes on. With rules, plain
# TCP peers (who cannot be identified) are refused at accept. Peers run
# as other uids through setpriv (CI runs as root).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "SKIP: needs root to run peers as other uids"
command -v setpriv > /dev/null || skip "SKIP: setpriv (util-linux) missing"

# The peers run as nobody (65534) and as 65533, both in group nogroup
# (65534), which owns the socket; they need to reach it and run copies
# of the test programs.
chmod 0711 "$T"
cp "$RAW" "$PRODUCER" "$T/"
chmod 0755 "$T/itest_raw" "$T/itest_producer"

# run_as UID GID [SUPPLEMENTARY] -- CMD...: runs CMD as another identity.
run_as() {
	local uid="$1" gid="$2" groups="$3"
	shift 4
	if [ -n "$groups" ]; then
		setpriv --reuid="$uid" --regid="$gid" --groups="$groups" "$@"
	else
		setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
	fi
}

# raw UID GID GROUPS PRODUCER MODE: itest_raw as that identity.
raw() {
	run_as "$1" "$2" "$3" -- "$T/itest_raw" --connect "$EP" --producer "$4" \
	    "$5" 2>&1 || true
}

# expect_out TEXT PATTERN...: each PATTERN must be in TEXT.
expect_out() {
	local out="$1" pat
	shift
	for pat in "$@"; do
		if ! grep -q -- "$pat" <<< "$out"; then
			echo "$out"
			fail "no line matching '$pat'"
		fi
	done
}

# refute_out TEXT PATTERN: PATTERN must not be in TEXT.
refute_out() {
	if grep -q -- "$2" <<< "$1"; then
		echo "$1"
		fail "unexpected line matching '$2'"
	fi
}

say "no allow rules: the socket's mode and group, a loud warning, anyone"
start_daemon --socket-group nogroup --socket-mode 0660
[ "$(stat -c '%a %G' "$SOCK")" = "660 nogroup" ] ||
    fail "socket is $(stat -c '%a %G' "$SOCK"), not 660 nogroup"
grep -q "access: no allow rules: any local process" "$DAEMON_LOG" ||
    fail "no warning about the missing allow rules"
out=$(raw 65533 65534 "" anyone-1 good)
expect_out "$out" "welcome durable_seq=0" "ack producer_seq=1 stored=1"
stop_daemon

say "a socket the peers' group may not open"
start_daemon --socket-mode 0600
out=$(raw 65534 65534 "" anyone-2 good)
expect_out "$out" "connect: Permission denied"
stop_daemon

PORT=$((20000 + $$ % 20000))
cat > "$T/algauditd.conf" <<EOF
[daemon]
store = $STORE
listen = $EP
listen = tcp:127.0.0.1:$PORT

[access]
socket-mode = 0660
socket-group = nogroup
allow = uid:nobody producers=nobody-*,shared
allow = gid:4242 producers=grp-*
allow = uid:root producers=*
EOF
"$AUDITD" -n -f "$T/algauditd.conf" > /dev/null || fail "-n refused the file"

say "allow rules from a file: logged at start"
"$AUDITD" -f "$T/algauditd.conf" -d >> "$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
wait_ready
grep -q "access: 3 allow rules" "$DAEMON_LOG" || fail "rules not logged"
grep -q "access: TCP peers cannot be identified and allow rules are in \
force: every plain TCP peer is refused" "$DAEMON_LOG" ||
    fail "no warning about TCP peers"

say "a root producer runs throughout as 'victim'"
"$PRODUCER" --connect "$EP" --producer victim --count 60000 --rate 10000 \
    > "$T/victim.out" &
victim=$!
BG_PIDS+=("$victim")

say "a listed uid writes its own producer ids"
out=$(raw 65534 65534 "" nobody-1 good)
expect_out "$out" "welcome durable_seq=0" "ack producer_seq=1 stored=1"
out=$(raw 65534 65534 "" shared good)
expect_out "$out" "ack producer_seq=1 stored=1"

say "a listed uid may not write another producer's id, nor fence it"
out=$(raw 65534 65534 "" credit-api good)
expect_out "$out" "error code=UNAUTHORIZED fatal=1" \
    "producer_id 'credit-api' is not allowed for uid 65534 gid 65534" \
    "closed"
refute_out "$out" "welcome"
refute_out "$out" "ack "
out=$(raw 65534 65534 "" victim good)
expect_out "$out" "error code=UNAUTHORIZED fatal=1" "'victim'" "closed"
grep -q "UNAUTHORIZED: producer_id 'credit-api' is not allowed for uid \
65534 gid 65534 pid [0-9]" "$DAEMON_LOG" || fail "refusal not logged"

say "an unlisted uid is refused at accept, with uid, gid and pid logged"
out=$(raw 65533 65534 "" nobody-9 good)
expect_out "$out" "error code=UNAUTHORIZED fatal=1" \
    "uid 65533 gid 65534 pid [0-9]* (0 supplementary groups) matches no \
allow rule" "closed"
refute_out "$out" "welcome"
grep -q "conn [0-9]*: UNAUTHORIZED: uid 65533 gid 65534 pid [0-9]* (0 \
supplementary groups) matches no allow rule; refused at accept" \
    "$DAEMON_LOG" || fail "accept refusal not logged"

say "a gid rule matches a supplementary group"
out=$(raw 65533 65534 4242 grp-a good)
expect_out "$out" "welcome durable_seq=0" "ack producer_seq=1 stored=1"
out=$(raw 65533 65534 4242 nobody-2 good)
expect_out "$out" "error code=UNAUTHORIZED fatal=1" "'nobody-2'"

say "with allow rules a plain TCP peer, who cannot be identified, is refused"
out=$("$RAW" --connect "tcp:127.0.0.1:$PORT" --producer tcp-anyone good \
    2>&1 || true)
expect_out "$out" "error code=UNAUTHORIZED fatal=1" "plain TCP peer"
refute_out "$out" "welcome"
grep -q "UNAUTHORIZED: 127.0.0.1:[0-9]*: a plain TCP peer cannot be \
identified" "$DAEMON_LOG" || fail "the TCP refusal was not logged"

say "SIGHUP: new Hellos use the new rules, open connections go on"
run_as 65534 65534 "" -- "$T/itest_producer" --connect "$EP" \
    --producer nobody-long --count 20000 --rate 4000 > "$T/long.out" &
long=$!
BG_PIDS+=("$long")
raw 65534 65534 "" nobody-3 delay-good:3 > "$T/late.out" &
late=$!
sleep 1
sed -i 's/^allow = uid:nobody .*/allow = uid:nobody producers=other-*/' \
    "$T/algauditd.conf"
kill -HUP "$DAEMON_PID"
for i in $(seq 1 100); do
	grep -q "SIGHUP: .* reloaded" "$DAEMON_LOG" && break
	sleep 0.05
done
grep -q "SIGHUP: allow: .* -> .*uid:nobody producers=other-\*" \
    "$DAEMON_LOG" || fail "the reload did not log the new rules"
wait "$late" || true
out=$(cat "$T/late.out")
expect_out "$out" "error code=UNAUTHORIZED fatal=1" "'nobody-3'"
out=$(raw 65534 65534 "" nobody-4 good)
expect_out "$out" "error code=UNAUTHORIZED fatal=1" "'nobody-4'"
out=$(raw 65534 65534 "" other-1 good)
expect_out "$out" "ack producer_seq=1 stored=1"
wait "$long" || fail "the producer connected across the reload failed"
grep -q "reconnects 0" "$T/long.out" || {
	cat "$T/long.out"
	fail "the producer connected across the reload reconnected"
}

wait "$victim" || fail "victim producer failed"
grep -q "reconnects 0" "$T/victim.out" || {
	cat "$T/victim.out"
	fail "victim was disturbed"
}
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit $DAEMON_RC"

say "what was stored: only what was allowed, with the writer's uid"
"$CHECKER" --store "$STORE" --expect victim:1:60000 \
    --expect nobody-long:1:20000 > /dev/null
"$AUDIT" query --store "$STORE" --format jsonl > "$T/all.jsonl"
for p in anyone-1 nobody-1 shared grp-a other-1; do
	grep -q "\"producer_id\":\"$p\"" "$T/all.jsonl" || fail "$p missing"
done
for p in anyone-2 credit-api nobody-9 nobody-2 nobody-3 nobody-4 \
    tcp-anyone; do
	if grep -q "\"producer_id\":\"$p\"" "$T/all.jsonl"; then
		fail "$p was refused but has entries"
	fi
done
grep "\"producer_id\":\"nobody-1\"" "$T/all.jsonl" |
    grep -q '"uid":65534' || fail "nobody-1's entry lacks uid 65534"
grep "\"producer_id\":\"grp-a\"" "$T/all.jsonl" |
    grep -q '"uid":65533' || fail "grp-a's entry lacks uid 65533"
n=$(grep -c '"producer_id":"victim"' "$T/all.jsonl")
[ "$n" -eq 60000 ] || fail "victim has $n entries, not 60000"
