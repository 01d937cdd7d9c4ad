# t_clock_skew.sh: records whose event time is far from their receive
# time are stored and flagged, never refused (issue 6). A real daemon at
# --clock-skew 60 (from its configuration file) gets, through the real
# client (`algaudit log`), records with event times an hour ahead, an
# hour behind, 30 s either way, none given (the client stamps the time
# of the call) and two hours off either way: exactly those more than
# 60 s off carry clock_skewed in `algaudit query --format jsonl`, CSV
# and the table; every record is stored in arrival order, whatever its
# event time; --clock-skewed alone is refused (no index) and selects
# the flagged ones with an indexed filter; the metric counts exactly
# the flagged entries, by direction; after SIGHUP raises the threshold
# to 2 h, a record 1 h off is not flagged and one 3 h off is, while the
# earlier flags stay; `algaudit verify` passes, and so does the receipt
# of a flagged entry, which discloses its flag; an export of the
# flagged records verifies with `verify-bundle`, discloses the flag of
# an ordinary record and withholds that of an important one (and the
# manifest's filter says so).
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/metrics_lib.sh"

ORIGIN="test.example/skew"
CONF="$T/algauditd.conf"
HOUR=3600000000000
SEC=1000000000

# rec ID CLASS [NS]: the JSON line of record r-ID, event time NS if set.
rec() {
	local ev=""
	[ $# -ge 3 ] && ev=",\"event_time_ns\":$3"
	printf '{"algorithm":{"id":"skew","version":"1"},"decision":"ok",'
	printf '"decision_id":"r-%s","data_class":"%s"%s}\n' "$1" "$2" "$ev"
}

# line N FILE: line N (from 1) of FILE.
line() {
	sed -n "${1}p" "$2"
}

# flagged_only FILE IDS...: in the JSON Lines FILE, exactly the records
# r-ID of IDS carry "clock_skewed":true, and no line has it false.
flagged_only() {
	local f="$1" n i got id want w
	shift
	n=$(wc -l < "$f")
	for ((i = 1; i <= n; i++)); do
		got=no
		line "$i" "$f" | grep -q '"clock_skewed":true' && got=yes
		id=$(line "$i" "$f" |
		    sed 's/.*"decision_id":"r-\([0-9]*\)".*/\1/')
		want=no
		for w in "$@"; do [ "$w" = "$id" ] && want=yes; done
		[ "$got" = "$want" ] || fail "r-$id: clock_skewed $got," \
		    "expected $want: $(line "$i" "$f")"
	done
	grep -q '"clock_skewed":false' "$f" && fail "a flag stored as false"
	true
}

say "a daemon at --clock-skew 60; records far off and near, one batch"
printf '[metrics]\nclock-skew = 60\n' > "$CONF"
start_metrics -f "$CONF" --origin "$ORIGIN" --checkpoint-entries 1 \
    --checkpoint-interval 100
now=$(date +%s%N)
{
	rec 0 ordinary $((now + HOUR))
	rec 1 ordinary $((now - HOUR))
	rec 2 ordinary $((now + 30 * SEC))
	rec 3 ordinary $((now - 30 * SEC))
	rec 4 ordinary
	rec 5 ordinary $((now - 2 * HOUR))
	rec 6 important $((now + 2 * HOUR))
} > "$T/in1.jsonl"
"$AUDIT" log --connect "$EP" --producer shell < "$T/in1.jsonl" \
    > /dev/null || fail "algaudit log failed"

say "stored in arrival order, never refused; exactly the far ones flagged"
"$AUDIT" query --store "$STORE" --producer shell --format jsonl \
    > "$T/all.jsonl"
[ "$(wc -l < "$T/all.jsonl")" -eq 7 ] || fail "not 7 entries stored"
for i in 0 1 2 3 4 5 6; do
	line $((i + 1)) "$T/all.jsonl" |
	    grep -q "\"index\":$i,.*\"decision_id\":\"r-$i\"" ||
	    fail "index $i is not r-$i: $(line $((i + 1)) "$T/all.jsonl")"
done
flagged_only "$T/all.jsonl" 0 1 5 6
# The client stamped r-4, given no event time, with the time of the call.
line 5 "$T/all.jsonl" | grep -q '"event_time_ns":' || fail "r-4 has no time"

say "CSV and table show the flag"
"$AUDIT" query --store "$STORE" --producer shell --format csv \
    > "$T/all.csv"
head -n 1 "$T/all.csv" | grep -q ',lost_records,clock_skewed' ||
    fail "CSV header: $(head -n 1 "$T/all.csv")"
[ "$(grep -c ',true' "$T/all.csv")" -eq 4 ] || fail "CSV flags"
"$AUDIT" query --store "$STORE" --producer shell > "$T/all.txt"
[ "$(grep -c ' (skewed) ' "$T/all.txt")" -eq 4 ] ||
    { cat "$T/all.txt"; fail "table flags"; }

say "--clock-skewed: alone refused, with an indexed filter the flagged"
set +e
"$AUDIT" query --store "$STORE" --clock-skewed > "$T/out" 2> "$T/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--clock-skewed alone exited $rc, expected 2"
grep -q "QUERY_EUNINDEXED.*without an index: --clock-skewed" "$T/err" ||
    fail "no reason: $(cat "$T/err")"
got=$("$AUDIT" query --store "$STORE" --producer shell --clock-skewed \
    --format csv | tail -n +2 | cut -d, -f1 | tr '\n' ' ')
[ "$got" = "0 1 5 6 " ] || fail "--producer --clock-skewed gave '$got'"
got=$("$AUDIT" query --store "$STORE" --algorithm skew --clock-skewed \
    --count)
[ "$got" = 4 ] || fail "--algorithm --clock-skewed --count gave '$got'"

say "the metric counts exactly the flagged entries, by direction"
scrape 1
expect 1 'algaudit_clock_skew_records_total{direction="ahead"}' 2
expect 1 'algaudit_clock_skew_records_total{direction="behind"}' 2
expect 1 algaudit_clock_skew_threshold_seconds 60
expect 1 algaudit_committed_records_total 7

say "SIGHUP: 2 h from the next record on; the earlier flags stay"
printf '[metrics]\nclock-skew = 7200\n' > "$CONF"
kill -HUP "$DAEMON_PID"
wait_log "SIGHUP: clock-skew: 60 -> 7200" 5
now=$(date +%s%N)
{
	rec 7 ordinary $((now + HOUR))
	rec 8 ordinary $((now - 3 * HOUR))
} > "$T/in2.jsonl"
"$AUDIT" log --connect "$EP" --producer shell < "$T/in2.jsonl" \
    > /dev/null || fail "algaudit log failed"
"$AUDIT" query --store "$STORE" --producer shell --format jsonl \
    > "$T/all.jsonl"
[ "$(wc -l < "$T/all.jsonl")" -eq 9 ] || fail "not 9 entries stored"
flagged_only "$T/all.jsonl" 0 1 5 6 8
scrape 2
expect 2 'algaudit_clock_skew_records_total{direction="ahead"}' 2
expect 2 'algaudit_clock_skew_records_total{direction="behind"}' 3
expect 2 algaudit_clock_skew_threshold_seconds 7200

say "the log verifies with the flags bound into its leaves"
verify_ok
VKEY=$("$AUDIT" key --store "$STORE")
"$AUDIT" verify --store "$STORE" --key "$VKEY" > /dev/null ||
    fail "verify with the key failed"

sleep 0.3	# the last checkpoint (every entry, 100 ms) is in
"$AUDIT" receipt --store "$STORE" --index 8 > "$T/r8.json" ||
    fail "receipt failed"
grep -q '"entry.clock_skewed"' "$T/r8.json" || fail "receipt: no flag unit"
"$AUDIT" verify-receipt "$T/r8.json" --key "$VKEY" > /dev/null ||
    fail "the receipt of a flagged entry does not verify"

say "an export of the flagged records verifies"
"$AUDIT" export --store "$STORE" --out "$T/b1" --producer shell \
    --clock-skewed --quiet > /dev/null || fail "export failed"
"$AUDIT" verify-bundle "$T/b1" --key "$VKEY" > "$T/vout" 2> "$T/verr" ||
    { cat "$T/verr"; fail "verify-bundle failed"; }
grep -q "OK: " "$T/vout" || fail "verify-bundle: no OK line"
[ "$(wc -l < "$T/b1/records.jsonl")" -eq 5 ] ||
    fail "bundle: $(wc -l < "$T/b1/records.jsonl") records, expected 5"
# r-0 (index 0, ordinary): the flag disclosed, BOOL true.
grep '"index":0,' "$T/b1/records.jsonl" |
    grep -q '{"path":"entry.clock_skewed","value":"0601","salt":"' ||
    fail "r-0's flag not disclosed"
# r-6 (index 6, important): the flag withheld with the record's class.
grep '"index":6,' "$T/b1/records.jsonl" |
    grep -q '{"path":"entry.clock_skewed","commitment":"[0-9a-f]*",'\
'"withheld":"important"}' ||
    fail "r-6's flag not withheld as important"
# So the filter, which would tell r-6's flag, is marked withheld.
tr -d ' \n' < "$T/b1/manifest.json" |
    grep -q '"clock-skewed":{"withheld":true}' ||
    fail "manifest: $(grep -A1 clock-skewed "$T/b1/manifest.json")"
# With --allow-important nothing is withheld: the filter is stated.
"$AUDIT" export --store "$STORE" --out "$T/b2" --producer shell \
    --clock-skewed --allow-important --quiet > /dev/null ||
    fail "export --allow-important failed"
"$AUDIT" verify-bundle "$T/b2" --key "$VKEY" > /dev/null 2> "$T/verr" ||
    { cat "$T/verr"; fail "verify-bundle b2 failed"; }
tr -d ' \n' < "$T/b2/manifest.json" | grep -q '"clock-skewed":true' ||
    fail "manifest b2: $(grep -A1 clock-skewed "$T/b2/manifest.json")"

stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"
echo "t_clock_skew: OK"
