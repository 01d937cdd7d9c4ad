# t_config.sh: the configuration file (issue 6). `algauditd -n -f FILE`
# says "configuration OK" or "FILE:LINE: message" (exit 1) and touches
# neither store nor socket; `--dump-config` output is a file that -n
# accepts and that dumps to itself; a daemon runs from a file alone;
# SIGHUP lowers max-frame (a frame accepted before is refused after on
# a new connection, while a producer connected across the reload is
# not dropped), shortens the checkpoint cadence (a checkpoint appears),
# raises the log level (debug lines appear); a broken file on SIGHUP
# keeps the daemon up with the old values; a store or listen change is
# logged as needing a restart and not applied; a flag given on the
# command line wins over the file, also on reload.
. "$(dirname "$0")/lib.sh"

CONF="$T/algauditd.conf"
ORIGIN="test.example/config"

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

# bad TEXT MSG: a file with TEXT (printf %b) fails -n with "FILE:MSG".
bad() {
	printf '%b' "$1" > "$T/bad.conf"
	expect_rc 1 "$AUDITD" -n -f "$T/bad.conf"
	grep -qxF "$T/bad.conf:$2" "$T/err" ||
	    { cat "$T/err"; fail "expected '$T/bad.conf:$2'"; }
	[ ! -s "$T/out" ] || fail "-n printed on stdout for a bad file"
}

# wait_log PATTERN: waits up to 5 s for PATTERN (grep -E) in the log.
wait_log() {
	local i
	for i in $(seq 1 100); do
		grep -qE -- "$1" "$DAEMON_LOG" && return 0
		sleep 0.05
	done
	fail "no log line matching '$1'"
}

# raw MODE PATTERN: itest_raw MODE as a new producer must print PATTERN.
RAWN=0
raw() {
	local out
	RAWN=$((RAWN + 1))
	out=$("$RAW" --connect "$EP" --producer "raw$RAWN" "$1")
	grep -qF -- "$2" <<< "$out" || { echo "$out"; fail "$1: no '$2'"; }
}

# ckpt_size: the tree size of the store's newest checkpoint.
ckpt_size() {
	"$AUDIT" checkpoint --store "$STORE" | sed -n 2p
}

# entries: the store's log size.
entries() {
	"$AUDIT" stats --store "$STORE" | awk '$1 == "entries" { print $2 }'
}

# start_from_file [ARGS]: starts algauditd from $CONF (and ARGS).
start_from_file() {
	"$AUDITD" -d -f "$CONF" "$@" >> "$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	wait_ready
}

cat > "$CONF" <<EOF
# t_config.sh
[daemon]
store = $STORE
listen = $EP
origin = $ORIGIN

[limits]
max-frame = 64K
max-connections = 50

[checkpoints]
checkpoint-entries = 16777216
checkpoint-interval = 3600000
EOF

say "-n: a good file, an empty one, neither store nor socket made"
expect_rc 0 "$AUDITD" -n -f "$CONF"
[ "$(cat "$T/out")" = "configuration OK" ] || fail "-n said: $(cat "$T/out")"
: > "$T/empty.conf"
expect_rc 0 "$AUDITD" -n -f "$T/empty.conf"
grep -qx "configuration OK" "$T/out" || fail "empty file not OK"
[ ! -e "$STORE" ] && [ ! -e "$SOCK" ] || fail "-n made the store or socket"

say "-n: bad files are refused with FILE:LINE and the key"
bad '[limits]\nmax-frame = 12x\n' \
    "2: max-frame: '12x' is not a number (a K, M, G or T suffix may follow)"
bad '[limits]\nmax-frame = 1023\n' \
    "2: max-frame: '1023' is out of range (1024..67108864)"
bad 'store = /x\n\nnope = 1\n' \
    "3: nope: unknown key (keys are the long options of algauditd --help)"
bad '[daemon]\nmax-frame = 4K\n' \
    "2: max-frame: belongs in [limits], not [daemon]"
bad '[limit]\nmax-frame = 4K\n' "2: max-frame: unknown section [limit] \
(sections: [daemon], [limits], [checkpoints], [access], [tls], [metrics], [log])"
bad 'max-frame = 4K\n[limits]\nmax-frame = 8K\n' \
    "3: max-frame: given twice (first on line 1)"
bad 'config = /etc/x\n' "1: config: can only be given on the command line"
bad 'listen = udp:x\n' \
    "1: listen: 'udp:x': must be unix:PATH, tcp:HOST:PORT or tls:HOST:PORT"
bad 'store = /x\nmax-frame\n' \
    "2: syntax error: expected 'key = value', '[section]' or a comment"
expect_rc 1 "$AUDITD" -n -f "$T/nope.conf"
grep -qxF "$T/nope.conf: cannot open: No such file or directory" "$T/err" ||
    fail "missing file: $(cat "$T/err")"
# The command line is checked too, and names the flag.
expect_rc 1 "$AUDITD" -n -f "$CONF" --max-frame 12x
grep -qF "algauditd: --max-frame: '12x' is not a number" "$T/err" ||
    fail "bad flag: $(cat "$T/err")"

say "--dump-config is a file that -n accepts and that dumps to itself"
"$AUDITD" --dump-config > "$T/dump.conf"
expect_rc 0 "$AUDITD" -n -f "$T/dump.conf"
grep -qx "configuration OK" "$T/out" || fail "defaults' dump not OK"
"$AUDITD" -f "$CONF" --max-connections 7 --dump-config > "$T/dump2.conf"
grep -qx "max-connections = 7" "$T/dump2.conf" || fail "flag not in dump"
grep -qx "max-frame = 65536" "$T/dump2.conf" || fail "file not in dump"
grep -qx "origin = $ORIGIN" "$T/dump2.conf" || fail "origin not in dump"
expect_rc 0 "$AUDITD" -n -f "$T/dump2.conf"
"$AUDITD" -f "$T/dump2.conf" --dump-config | diff -u "$T/dump2.conf" - ||
    fail "a dump read back does not dump to itself"

say "a daemon started from the file alone"
start_from_file
raw big:40000 "ack producer_seq=1 stored=1"
raw big:100000 "FRAME_TOO_LARGE fatal=1 seq=0 message=frame length"
raw big:100000 "exceeds max 65536"
"$AUDIT" stats --store "$STORE" | grep -q "origin *$ORIGIN" ||
    fail "the file's origin is not the store's"
[ "$(ckpt_size)" = 1 ] || fail "expected one checkpoint at size 1"

say "SIGHUP: lower max-frame, checkpoints every 200 ms, debug log"
"$PRODUCER" --connect "$EP" --producer steady --count 30000 --rate 10000 \
    > "$T/steady.out" &
steady=$!
sleep 0.5
[ "$(ckpt_size)" = 1 ] || fail "a checkpoint before the reload"
cp "$CONF" "$T/good.conf"
sed -i 's/^max-frame = 64K$/max-frame = 16K/;
    s/^checkpoint-interval = .*/checkpoint-interval = 200/' "$CONF"
printf '\n[log]\nverbose = 1\n' >> "$CONF"
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: $CONF reloaded: 3 options changed, 0 of them need a restart"
grep -q "SIGHUP: max-frame: 65536 -> 16384" "$DAEMON_LOG" ||
    fail "no max-frame line"
grep -q "SIGHUP: checkpoint-interval: 3600000 -> 200" "$DAEMON_LOG" ||
    fail "no checkpoint-interval line"
grep -q "SIGHUP: verbose: 0 -> 1" "$DAEMON_LOG" || fail "no verbose line"
# A frame accepted before the reload is refused after it.
raw big:40000 "FRAME_TOO_LARGE fatal=1 seq=0 message=frame length"
raw big:40000 "exceeds max 16384"
raw big:10000 "ack producer_seq=1 stored=1"
# The debug level is on: connections are logged at debug level.
wait_log "debug: conn [0-9]+: accepted from"
wait "$steady" || fail "the steady producer failed"
grep -q "acked 30000 .*reconnects 0" "$T/steady.out" ||
    { cat "$T/steady.out"; fail "the reload dropped a connection"; }
# The new cadence signs a checkpoint of everything within about 200 ms.
n=$(entries)
for i in $(seq 1 40); do
	[ "$(ckpt_size)" = "$n" ] && break
	sleep 0.05
done
[ "$(ckpt_size)" = "$n" ] || fail "no checkpoint at $n after the reload"

say "SIGHUP with a broken file keeps the running configuration"
sed -i 's/^max-frame = 16K$/max-frame = 64K/' "$CONF"
printf 'this is not a key\n' >> "$CONF"
line=$(wc -l < "$CONF")
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: $CONF:$line: syntax error: expected 'key = value', \
'\[section\]' or a comment; keeping the running configuration"
kill -0 "$DAEMON_PID" || fail "the daemon died on a broken file"
raw big:40000 "FRAME_TOO_LARGE fatal=1 seq=0 message=frame length"
raw good "ack producer_seq=1 stored=1"

say "SIGHUP with changes that need a restart keeps the old values"
sed "s|^store = .*|store = $T/other|; s|^listen = .*|listen = unix:$T/o.sock|" \
    "$T/good.conf" > "$CONF"
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: $CONF reloaded: 5 options changed, 2 of them need a"
grep -qF "SIGHUP: store: '$STORE' -> '$T/other' needs a restart; keeping \
'$STORE'" "$DAEMON_LOG" || fail "no store line"
grep -qF "SIGHUP: listen: '$EP' -> 'unix:$T/o.sock' needs a restart" \
    "$DAEMON_LOG" || fail "no listen line"
[ ! -e "$T/other" ] && [ ! -e "$T/o.sock" ] || fail "a restart-only change"
raw good "ack producer_seq=1 stored=1"
raw big:40000 "ack producer_seq=1 stored=1"	# good.conf's 64K is back
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"

say "a flag on the command line wins over the file, also on reload"
cp "$T/good.conf" "$CONF"
start_from_file --max-frame 32K
raw big:20000 "ack producer_seq=1 stored=1"
raw big:40000 "FRAME_TOO_LARGE fatal=1 seq=0 message=frame length"
sed -i 's/^max-frame = 64K$/max-frame = 8K/;
    s/^max-connections = 50$/max-connections = 60/' "$CONF"
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: $CONF reloaded: 1 options changed, 0 of them need"
grep -q "SIGHUP: max-connections: 50 -> 60" "$DAEMON_LOG" ||
    fail "no max-connections line"
! grep -q "SIGHUP: max-frame" "$DAEMON_LOG" || fail "the file beat the flag"
raw big:20000 "ack producer_seq=1 stored=1"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"

say "the store written under all this verifies"
"$AUDIT" verify --store "$STORE" --quiet > "$T/verify.out" 2>&1 ||
    { cat "$T/verify.out"; fail "verify failed"; }
