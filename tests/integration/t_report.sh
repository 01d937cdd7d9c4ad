# t_report.sh: `algaudit report` on a store the real daemon wrote, from
# records sent through the real client library (`algaudit log`, and
# itest_lossy, which loses records under the drop policy so that the
# library sends a loss record). The daemon signs a checkpoint at its
# first commit, at shutdown and otherwise only after an hour here, so
# the test knows which entries a checkpoint covers: no report of a
# store without one (exit 1); a report at the shutdown checkpoint
# (--size) does not count what was appended after it. The numbers are checked
# against values worked out by hand from the generating rules and
# against `algaudit query --count` on the same range; the HTML is
# well-formed XML, parses as HTML, and escapes a hostile algorithm id,
# decision and label value; a number input without --group-bins is a
# usage error (exit 2).
. "$(dirname "$0")/lib.sh"

LOSSY="$BUILD/tests/itest_lossy"
HOSTILE='<script>alert("x")</script>&'"'"
NOCKPT=(--checkpoint-interval 3600000 --checkpoint-entries 16000000)
command -v xmllint > /dev/null ||
    fail "xmllint missing: run scripts/install-deps (libxml2-utils)"

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

# has FILE TEXT: FILE must contain TEXT (fixed string).
has() {
	grep -qF -- "$2" "$1" || fail "$1 lacks: $2"
}

# lacks FILE TEXT: FILE must not contain TEXT.
lacks() {
	! grep -qF -- "$2" "$1" || fail "$1 contains: $2"
}

# xml_ok FILE: well-formed XML, and HTML whose only complaints are the
# HTML 5 and SVG element names xmllint's HTML 4 parser does not know.
xml_ok() {
	xmllint --noout "$1" || fail "$1 is not well-formed"
	xmllint --html --noout "$1" 2>&1 | grep "^$1:" |
	    grep -v 'HTML parser error : Tag [a-z]* invalid' > "$T/lint" || true
	[ ! -s "$T/lint" ] || { cat "$T/lint"; fail "$1: HTML errors"; }
}

# credit_json I: record i of the main set (producer app). Rules: label
# region r(i % 4); approve when i % 10 < 6, but in r3 when i % 10 < 3
# (so r0, r1, r2 approve 12 of 20, r3 4 of 20); version 1 below 40,
# then 2; score i / 100; a reviewer on every fifth; record 79 has an
# event time ten minutes before the others (a skewed clock).
credit_json() {
	local i=$1 r=$(($1 % 4)) d=deny lim=6 ver=1 ev=$NOW rev=""
	[ $r -eq 3 ] && lim=3
	[ $((i % 10)) -lt $lim ] && d=approve
	[ "$i" -ge 40 ] && ver=2
	[ "$i" -eq 79 ] && ev=$((NOW - 600000000000))
	[ $((i % 5)) -eq 0 ] && rev=',"reviewer":"rev-1"'
	printf '{"event_time_ns":%s,"algorithm":{"id":"credit",' "$((ev + i))"
	printf '"version":"%s"},"decision":"%s","score":%s.%02d,' "$ver" "$d" \
	    $((i / 100)) $((i % 100))
	printf '"data_class":"ordinary","inputs":[{"name":"income",'
	printf '"value":%s}],"labels":{"region":"r%s"}%s,' $((i * 100)) "$r" \
	    "$rev"
	printf '"explanation":{"reason_codes":["R%s"]}}\n' $((i % 3))
}

say "no checkpoint yet: no report"
start_daemon "${NOCKPT[@]}"
expect_rc 1 "$AUDIT" report --store "$STORE" --algorithm credit \
    --out "$T/none.html"
has "$T/err" "no signed checkpoint"
[ ! -e "$T/none.html" ] || fail "a failed report left a file"
stop_daemon TERM

say "a producer drops records while the daemon is down"
bg "$LOSSY" --connect "$EP" --producer lossy --algorithm credit \
    --count 50 --queue 8 > "$T/lossy.out"
LOSSY_PID=${BG_PIDS[-1]}
sleep 0.3
start_daemon "${NOCKPT[@]}"
wait "$LOSSY_PID" || fail "itest_lossy failed: $(cat "$T/lossy.out")"
read -r _ QUEUED _ DROPPED _ < "$T/lossy.out"
[ "$DROPPED" -gt 0 ] && [ $((QUEUED + DROPPED)) -eq 50 ] ||
    fail "itest_lossy: $(cat "$T/lossy.out")"

say "80 credit decisions and 4 of a hostile algorithm through algaudit log"
NOW=$(date +%s%N)
for i in $(seq 0 79); do credit_json "$i"; done > "$T/credit.jsonl"
"$AUDIT" log --connect "$EP" --producer app < "$T/credit.jsonl"
for i in 1 2 3 4; do
	printf '{"algorithm":{"id":"%s","version":"1\\"&"},' \
	    '<script>alert(\"x\")</script>&'"'"
	printf '"decision":"\\"><img src=x onerror=alert(1)>",'
	printf '"data_class":"ordinary","labels":{"region":"<b>&amp;</b>"}}\n'
done | "$AUDIT" log --connect "$EP" --producer app

say "shutdown signs a checkpoint; 5 more records after the restart"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exited $DAEMON_RC"
SIZE=$("$AUDIT" checkpoint --store "$STORE" | sed -n 2p)
if [ "$SIZE" -ne $((QUEUED + 1 + 80 + 4)) ]; then
	cat "$T/lossy.out"
	"$AUDIT" query --store "$STORE" --producer lossy
	fail "checkpoint size $SIZE, want $((QUEUED + 85))"
fi
start_daemon "${NOCKPT[@]}"
for i in 1 2 3 4 5; do credit_json 3; done |
    "$AUDIT" log --connect "$EP" --producer app

say "the report of credit at the shutdown checkpoint, HTML and JSON"
"$AUDIT" report --store "$STORE" --algorithm credit --group-by label:region \
    --favourable approve --min-group 15 --size "$SIZE" --out "$T/r.html"
"$AUDIT" report --store "$STORE" --algorithm credit --group-by label:region \
    --favourable approve --min-group 15 --size "$SIZE" --format json \
    --out "$T/r.json"
xml_ok "$T/r.html"
N=$((80 + QUEUED))
COUNT=$("$AUDIT" query --store "$STORE" --algorithm credit \
    --to-index $((SIZE - 1)) --count)
[ "$COUNT" -eq "$N" ] || fail "query counts $COUNT below the checkpoint"
has "$T/r.json" "\"format\": \"algaudit-report/v1\""
grep -q "^  \"records\": $N,$" "$T/r.json" ||
    fail "report records: $(grep '^  "records"' "$T/r.json")"
has "$T/r.json" "\"size\": $SIZE,"
has "$T/r.json" "\"entries_after\": 5"
has "$T/r.html" "<b>$N</b> decision records"
has "$T/r.html" "<td>5 entries appended after the checkpoint"
# r0 is the reference (ties with r1 and r2 go to the first), r3 is at
# 4/20 = 20%: -40 pp, 0.33, flagged; lossy (all approved) is too small.
has "$T/r.html" "Reference group: <b class=\"wrap\">r0</b>"
td() { printf '<td class="n">%s</td>' "$@"; }
has "$T/r.html" "$(td 20 4 20.0% '-40.0 pp' 0.33)<td class=\"flag\">under 4/5"
has "$T/r.html" "$(td 20 12 60.0% '+0.0 pp' 1.00)<td>reference</td>"
has "$T/r.html" "$(td "$QUEUED" "$QUEUED" 100.0%)"
has "$T/r.json" "\"flagged\": 1"
# Approvals: 40 of the main set, all of lossy's.
has "$T/r.json" "\"records\": $((40 + QUEUED)),"
# Reviewers on 16 records; one skewed clock (flagged by the daemon at
# its default --clock-skew of 300 s, and 10 min is over the report's
# 5 min too); lossy's loss record.
has "$T/r.html" "<th>Reviewed by a named person</th><td class=\"n\">16</td>"
has "$T/r.html" "covered by the log's hashes: <b class=\"flag\">1</b>"
has "$T/r.html" "count here): 1 further apart"
has "$T/r.json" "\"beyond_report_threshold\": 1"
has "$T/r.html" "<b class=\"flag\">$DROPPED</b> records lost in 1 loss records"
grep -A3 '"producer": "lossy"' "$T/r.json" |
    grep -q "\"lost_records\": $DROPPED" || fail "lossy's loss not in the JSON"
lacks "$T/r.html" "<script"

say "the latest checkpoint counts what it covers of the 5 new records"
for _ in $(seq 1 50); do
	LATEST=$("$AUDIT" checkpoint --store "$STORE" | sed -n 2p)
	[ "$LATEST" -gt "$SIZE" ] && break
	sleep 0.1
done
[ "$LATEST" -gt "$SIZE" ] || fail "no checkpoint after the restart"
"$AUDIT" report --store "$STORE" --algorithm credit --format json \
    --out "$T/latest.json"
grep -q "^  \"records\": $((N + LATEST - SIZE)),$" "$T/latest.json" ||
    fail "latest: $(grep '^  "records"' "$T/latest.json")," \
    "want $((N + LATEST - SIZE))"
has "$T/latest.json" "\"size\": $LATEST,"

say "the hostile algorithm"
"$AUDIT" report --store "$STORE" --algorithm "$HOSTILE" --group-by \
    label:region --favourable '"><img src=x onerror=alert(1)>' \
    --min-group 1 --out "$T/h.html"
xml_ok "$T/h.html"
lacks "$T/h.html" "<script"
lacks "$T/h.html" "<img"
lacks "$T/h.html" "<b>&amp;"
has "$T/h.html" "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
has "$T/h.html" "&lt;b&gt;&amp;amp;&lt;/b&gt;"
has "$T/h.html" "<b>4</b> decision records"

say "bad input"
expect_rc 2 "$AUDIT" report --store "$STORE" --algorithm credit \
    --group-by income --out "$T/x.html"
has "$T/err" "--group-bins"
[ ! -e "$T/x.html" ] || fail "a refused report left a file"
"$AUDIT" report --store "$STORE" --algorithm credit --group-by income \
    --group-bins 2000,5000 --favourable approve --min-group 1 \
    --format json --out - > "$T/bins.json"
has "$T/bins.json" "\"label\": \"< 2000\""
has "$T/bins.json" "\"label\": \">= 5000\""
expect_rc 2 "$AUDIT" report --store "$STORE" --out "$T/x.html"
has "$T/err" "--algorithm: required"
expect_rc 1 "$AUDIT" report --store "$STORE" --algorithm credit \
    --size 1 --out "$T/x.html"
has "$T/err" "no checkpoint at tree size 1"
say "ok"
