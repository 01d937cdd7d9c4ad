# t_query.sh: the query commands on a store the real daemon indexed
# live, from records sent through the real client (`algaudit log`):
# every filter and combinations return exactly the entries a brute-force
# evaluation of the generated records gives, in order; --reverse,
# --count, paging with --after-index stitched back together; --follow
# started first sees each later record once and exits 0 on SIGINT;
# `| head -n1` ends cleanly; every bad filter exits 2 naming the option;
# subject and stats --by give the right numbers; reindex is refused
# while the daemon runs, and a copy of the store rebuilt by reindex has
# the same index digest as the live one.
. "$(dirname "$0")/lib.sh"

N=60				# records; record i is at log index i
BASE=1714521600000000000	# 2024-05-01T00:00:00Z
HOUR=3600000000000
ALGOS=("credit" "credit" "feed" "fraud")
VERS=("1" "2" "" "1")
DECS=("approve" "deny" "review")

# The fields of record i, as functions of i (the brute-force model).
r_algo() { echo "${ALGOS[$(($1 % 4))]}"; }
r_ver() { echo "${VERS[$(($1 % 4))]}"; }
r_subject() { echo "s-$(($1 % 5))"; }
r_decision() { echo "${DECS[$(($1 % 3))]}"; }
r_class() {
	case $(($1 % 7)) in
	0) echo core ;;
	1|2) echo important ;;
	*) echo ordinary ;;
	esac
}
r_has_score() { [ $(($1 % 6)) -ne 5 ]; }
r_score10() { echo $(($1 % 10)); }	# the score is this / 10
r_reviewed() { [ $(($1 % 6)) -eq 4 ]; }
r_channel() { [ $(($1 % 2)) -eq 0 ] && echo app || echo web; }
r_trace() { echo "t-$(($1 / 10))"; }
r_producer() { [ "$1" -lt 30 ] && echo p-a || echo p-b; }

# record_json I: the JSON line `algaudit log` reads for record i.
record_json() {
	local i=$1 a v s="" rv="" ver=""
	a=$(r_algo "$i")
	v=$(r_ver "$i")
	[ -n "$v" ] && ver=",\"version\":\"$v\""
	r_has_score "$i" && s=",\"score\":0.$(r_score10 "$i")"
	r_reviewed "$i" && rv=",\"reviewer\":\"rev-$i\""
	printf '{"event_time_ns":%s,"algorithm":{"id":"%s"%s},' \
	    "$((BASE + i * HOUR))" "$a" "$ver"
	printf '"subject":"%s","decision":"%s","data_class":"%s"%s%s,' \
	    "$(r_subject "$i")" "$(r_decision "$i")" "$(r_class "$i")" \
	    "$s" "$rv"
	printf '"explanation":{"reason_codes":["R%s"],"text":"why %s"},' \
	    "$((i % 3))" "$i"
	printf '"automation":"human_review_after","trace_id":"%s",' \
	    "$(r_trace "$i")"
	printf '"decision_id":"d-%s","labels":{"channel":"%s","n":"%s"}}\n' \
	    "$i" "$(r_channel "$i")" "$i"
}

# expect PRED: the indexes i < N (ascending) for which `PRED i` holds.
expect() {
	local i
	for ((i = 0; i < N; i++)); do
		if "$@" "$i"; then echo "$i"; fi
	done
}

# got ARGS: the indexes `algaudit query` prints for ARGS, from its CSV.
got() {
	"$AUDIT" query --store "$STORE" --format csv "$@" | tail -n +2 |
	    cut -d, -f1 | tr -d '\r'
}

# check NAME PRED -- ARGS: query ARGS must give exactly expect PRED, in
# order; --reverse the same reversed; --count their number.
check() {
	local name="$1" n
	local -a pred=() args=()
	shift
	while [ "$1" != "--" ]; do pred+=("$1"); shift; done
	shift
	args=("$@")
	expect "${pred[@]}" > "$T/want"
	[ -s "$T/want" ] || fail "$name: the model selects nothing"
	got "${args[@]}" > "$T/got" || fail "$name: query failed"
	diff "$T/want" "$T/got" > /dev/null ||
	    fail "$name: got $(tr '\n' ' ' < "$T/got"), want" \
	    "$(tr '\n' ' ' < "$T/want")"
	got "${args[@]}" --reverse > "$T/got"
	tac "$T/want" | diff - "$T/got" > /dev/null ||
	    fail "$name: --reverse gave $(tr '\n' ' ' < "$T/got")"
	n=$("$AUDIT" query --store "$STORE" --count "${args[@]}")
	[ "$n" -eq "$(wc -l < "$T/want")" ] ||
	    fail "$name: --count $n, want $(wc -l < "$T/want")"
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

# wait_lines FILE N: waits up to 10 s until FILE has N lines or more.
wait_lines() {
	local k
	for k in $(seq 1 200); do
		[ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "$1: $(wc -l < "$1") lines after 10 s, expected $2"
}

start_daemon
for ((i = 0; i < N; i++)); do record_json "$i"; done > "$T/all.jsonl"
head -n 30 "$T/all.jsonl" |
    "$AUDIT" log --connect "$EP" --producer p-a || fail "log p-a"
tail -n +31 "$T/all.jsonl" |
    "$AUDIT" log --connect "$EP" --producer p-b || fail "log p-b"
[ "$("$AUDIT" query --store "$STORE" --count)" -eq $N ] ||
    fail "expected $N entries"

say "each filter alone"
p_credit() { [ "$(r_algo "$1")" = credit ]; }
p_credit2() { [ "$(r_algo "$1")" = credit ] && [ "$(r_ver "$1")" = 2 ]; }
p_feed() { [ "$(r_algo "$1")" = feed ]; }
p_s3() { [ "$(r_subject "$1")" = s-3 ]; }
p_deny() { [ "$(r_decision "$1")" = deny ]; }
p_time() { [ "$1" -ge 10 ] && [ "$1" -lt 20 ]; }
p_t2() { [ "$(r_trace "$1")" = t-2 ]; }
p_d17() { [ "$1" -eq 17 ]; }
p_core() { [ "$(r_class "$1")" = core ]; }
p_pb() { [ "$(r_producer "$1")" = p-b ]; }
p_range() { [ "$1" -ge 5 ] && [ "$1" -le 12 ]; }
check algorithm p_credit -- --algorithm credit
check algorithm@version p_credit2 -- --algorithm credit@2
check "algorithm without version" p_feed -- --algorithm feed
check subject p_s3 -- --subject s-3
check decision p_deny -- --decision deny
check "since/until RFC 3339" p_time -- --since 2024-05-01T10:00:00Z \
    --until 2024-05-01T20:00:00Z
check "since/until with offsets" p_time -- \
    --since 2024-05-01T18:00:00+08:00 --until 2024-05-01T22:00:00+02:00
check trace p_t2 -- --trace t-2
check decision-id p_d17 -- --decision-id d-17
check class p_core -- --class core
check producer p_pb -- --producer p-b
check "index range" p_range -- --from-index 5 --to-index 12
# Relative times: every record is years old.
[ "$("$AUDIT" query --store "$STORE" --count --since -1d)" -eq 0 ] ||
    fail "--since -1d selected old records"
[ "$("$AUDIT" query --store "$STORE" --count --until -1h)" -eq $N ] ||
    fail "--until -1h missed records"

say "filters checked on the candidates, and combinations"
p_credit_app() { p_credit "$1" && [ "$(r_channel "$1")" = app ]; }
p_credit_min() {
	p_credit "$1" && r_has_score "$1" && [ "$(r_score10 "$1")" -ge 5 ]
}
p_deny_max() {
	p_deny "$1" && r_has_score "$1" && [ "$(r_score10 "$1")" -le 3 ]
}
p_s2_rev() { [ "$(r_subject "$1")" = s-2 ] && r_reviewed "$1"; }
p_s2_norev() { [ "$(r_subject "$1")" = s-2 ] && ! r_reviewed "$1"; }
p_combo3() {
	p_credit "$1" && [ "$(r_subject "$1")" = s-1 ] &&
	    [ "$(r_decision "$1")" = approve ]
}
p_combo4() {
	[ "$1" -ge 5 ] && [ "$1" -lt 40 ] && [ "$(r_class "$1")" = ordinary ] &&
	    [ "$(r_producer "$1")" = p-a ]
}
check "undeclared label with an indexed filter" p_credit_app -- \
    --algorithm credit --label channel=app
check min-score p_credit_min -- --algorithm credit --min-score 0.5
check max-score p_deny_max -- --decision deny --max-score 0.3
check "reviewed yes" p_s2_rev -- --subject s-2 --reviewed yes
check "reviewed no" p_s2_norev -- --subject s-2 --reviewed no
check "algorithm+subject+decision" p_combo3 -- --algorithm credit \
    --subject s-1 --decision approve
check "time+class+producer" p_combo4 -- --since 2024-05-01T05:00:00Z \
    --until 2024-05-02T16:00:00Z --class ordinary --producer p-a
for d in approve deny; do
	p_fd() { [ "$(r_algo "$1")" = fraud ] &&
	    [ "$(r_decision "$1")" = "$d" ] &&
	    [ "$(r_producer "$1")" = p-b ] &&
	    [ "$(r_channel "$1")" = web ]; }
	if [ -n "$(expect p_fd)" ]; then
		check "fraud $d p-b web" p_fd -- --algorithm fraud@1 \
		    --decision "$d" --producer p-b --label channel=web
	fi
done
[ "$("$AUDIT" query --store "$STORE" --count --subject nobody)" -eq 0 ] ||
    fail "an unknown subject selected something"

say "paging with --after-index stitches to the full result"
for order in "" "--reverse"; do
	got --algorithm credit $order > "$T/full"
	: > "$T/paged"
	cursor=""
	for page in $(seq 1 20); do
		got --algorithm credit $order --limit 4 $cursor > "$T/page"
		[ -s "$T/page" ] || break
		[ "$(wc -l < "$T/page")" -le 4 ] || fail "page over --limit"
		cat "$T/page" >> "$T/paged"
		cursor="--after-index $(tail -n 1 "$T/page")"
	done
	diff "$T/full" "$T/paged" > /dev/null ||
	    fail "pages ($order) do not stitch: $(tr '\n' ' ' < "$T/paged")"
done
[ "$(got --subject s-1 --limit 3 | wc -l)" -eq 3 ] || fail "--limit 3"
[ "$("$AUDIT" query --store "$STORE" --count --subject s-1 --limit 3)" \
    -eq 3 ] || fail "--count is capped by --limit"

say "jsonl and table carry the selection"
"$AUDIT" query --store "$STORE" --format jsonl --decision-id d-7 \
    > "$T/one.jsonl"
[ "$(wc -l < "$T/one.jsonl")" -eq 1 ] || fail "jsonl d-7"
grep -q '"index":7,' "$T/one.jsonl" || fail "jsonl lacks index 7"
grep -q '"reason_codes":\["R1"\]' "$T/one.jsonl" || fail "jsonl record"
"$AUDIT" query --store "$STORE" --utc --trace t-0 > "$T/table"
[ "$(wc -l < "$T/table")" -eq 11 ] || fail "table: header + 10 rows"
grep -q "2024-05-01T03:00:00.000Z" "$T/table" || fail "table time"

say "a reader that goes away ends query cleanly"
"$AUDIT" query --store "$STORE" --format jsonl --algorithm credit |
    head -n 1 > /dev/null || fail "query | head -n1 failed"
timeout 10 "$AUDIT" query --store "$STORE" --format jsonl --follow \
    --algorithm credit | head -n 1 > /dev/null ||
    fail "query --follow | head -n1 did not end cleanly"

say "--follow sees each later record once"
"$AUDIT" query --store "$STORE" --format csv --follow --algorithm fraud \
    > "$T/follow.csv" 2> "$T/follow.err" &
FPID=$!
BG_PIDS+=($FPID)
p_fraud() { [ "$(r_algo "$1")" = fraud ]; }
nfraud=$(expect p_fraud | wc -l)
wait_lines "$T/follow.csv" $((nfraud + 1))
: > "$T/more.jsonl"
for ((i = N; i < N + 12; i++)); do record_json "$i"; done > "$T/more.jsonl"
head -n 6 "$T/more.jsonl" |
    "$AUDIT" log --connect "$EP" --producer p-c || fail "log p-c"
sleep 0.3
tail -n 6 "$T/more.jsonl" |
    "$AUDIT" log --connect "$EP" --producer p-c || fail "log p-c 2"
N=$((N + 12))
nfraud=$(expect p_fraud | wc -l)
wait_lines "$T/follow.csv" $((nfraud + 1))
sleep 0.5	# a duplicate would show up by now
kill -INT $FPID
set +e
wait $FPID
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$T/follow.err"; fail "--follow exited $rc on INT"; }
tail -n +2 "$T/follow.csv" | cut -d, -f1 > "$T/fgot"
expect p_fraud > "$T/fwant"
diff "$T/fwant" "$T/fgot" > /dev/null ||
    fail "--follow printed $(tr '\n' ' ' < "$T/fgot"), want" \
    "$(tr '\n' ' ' < "$T/fwant")"

say "bad filters exit 2 naming the option"
bad() {
	local opt="$1"
	shift
	expect_rc 2 "$AUDIT" query --store "$STORE" "$@"
	grep -q -- "$opt" "$T/err" ||
	    fail "$*: the error does not name $opt: $(cat "$T/err")"
}
bad --class --class secret
bad --since --since yesterday
bad --until --until 2024-13-01T00:00:00Z
bad --since --since -1h --until -2h
bad --since --since 2024-05-01T00:00:00Z --until 2024-05-01T00:00:00Z
bad --min-score --min-score 0.9 --max-score 0.1
bad --min-score --min-score nan --algorithm credit
bad --max-score --max-score 1x --algorithm credit
bad --subject --subject ""
bad --subject --subject a --subject b
bad --algorithm --algorithm credit --algorithm feed
bad --algorithm --algorithm @2
bad --algorithm --algorithm credit@
bad --label --label channel --algorithm credit
bad --label --label =app --algorithm credit
bad --label --label channel=app --label channel=web --algorithm credit
bad --reviewed --reviewed maybe --algorithm credit
bad --to-index --from-index 9 --to-index 3
bad --label --label channel=app
bad --reviewed --reviewed yes
bad --follow --follow --reverse
bad --follow --follow --count
bad --limit --limit -1
bad --after-index --after-index x
expect_rc 2 "$AUDIT" subject --store "$STORE"
expect_rc 2 "$AUDIT" subject s-1 --store "$STORE" --subject s-2
expect_rc 2 "$AUDIT" stats --store "$STORE" --by week
expect_rc 2 "$AUDIT" stats --store "$STORE" --class nope

say "subject"
p_s1() { [ "$(r_subject "$1")" = s-1 ]; }
ns1=$(expect p_s1 | wc -l)
nrev=0
for i in $(expect p_s1); do r_reviewed "$i" && nrev=$((nrev + 1)); done
"$AUDIT" subject s-1 --store "$STORE" --utc > "$T/subject.txt"
grep -q "^decisions   $ns1\$" "$T/subject.txt" ||
    fail "subject: decisions: $(cat "$T/subject.txt")"
grep -q "^reviewed    $nrev of $ns1 by a person\$" "$T/subject.txt" ||
    fail "subject: reviewed: $(grep reviewed "$T/subject.txt")"
grep -q "^first       2024-05-01T01:00:00.000Z\$" "$T/subject.txt" ||
    fail "subject: first"
for pair in credit@1 credit@2 feed fraud@1; do
	n=0
	for i in $(expect p_s1); do
		v=$(r_ver "$i")
		[ "$(r_algo "$i")${v:+@$v}" = "$pair" ] && n=$((n + 1))
	done
	[ $n -eq 0 ] && continue
	grep -q "^$pair: $n decision" "$T/subject.txt" ||
	    fail "subject: group $pair should have $n"
done
# Every decision once, under its group's header.
[ "$(grep -c "human review after" "$T/subject.txt")" -eq "$ns1" ] ||
    fail "subject: rows"
"$AUDIT" subject s-1 --store "$STORE" --format json > "$T/subject.json"
grep -q "^{\"subject\":\"s-1\",\"decisions\":$ns1," "$T/subject.json" ||
    fail "subject json: $(head -c 200 "$T/subject.json")"
[ "$(grep -c '^{"index":' "$T/subject.json")" -eq "$ns1" ] ||
    fail "subject json: records"
if command -v python3 > /dev/null 2>&1; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
assert sum(len(a["records"]) for a in d["algorithms"]) == d["decisions"]' \
	    "$T/subject.json" || fail "subject json does not parse"
fi
"$AUDIT" subject nobody --store "$STORE" > "$T/nobody.txt" ||
    fail "subject nobody"
grep -q "^decisions   0\$" "$T/nobody.txt" || fail "subject nobody: 0"

say "stats --by"
"$AUDIT" stats --store "$STORE" --by algorithm > "$T/by.txt"
for a in credit feed fraud; do
	p_a() { [ "$(r_algo "$1")" = "$a" ]; }
	n=$(expect p_a | wc -l)
	grep -Eq "^$a +$n +" "$T/by.txt" ||
	    fail "stats --by algorithm: $a should count $n: $(cat "$T/by.txt")"
done
grep -Eq "^\(total\) +$N +100\.0%" "$T/by.txt" || fail "stats total"
# Sorted by count, largest first.
grep -v -e GROUP -e total "$T/by.txt" | awk 'NR > 1 && $2 > last {
    exit 1 } { last = $2 }' || fail "not sorted by count: $(cat "$T/by.txt")"
"$AUDIT" stats --store "$STORE" --by decision --algorithm credit@2 \
    --format json > "$T/by.json"
n=$(expect p_credit2 | wc -l)
grep -q "\"count\": $n," "$T/by.json" || fail "stats json total"
"$AUDIT" stats --store "$STORE" --by day --utc --algorithm credit \
    > "$T/day.txt"
[ "$(sed -n 2p "$T/day.txt" | awk '{print $1}')" = 2024-05-01 ] ||
    fail "stats --by day: first day: $(cat "$T/day.txt")"
n=0
for i in $(expect p_credit); do [ "$i" -lt 24 ] && n=$((n + 1)); done
grep -Eq "^2024-05-01 +$n " "$T/day.txt" || fail "day count"
"$AUDIT" stats --store "$STORE" --by hour --utc --subject s-0 \
    > "$T/hour.txt"
grep -q "^2024-05-01T00:00Z " "$T/hour.txt" || fail "stats --by hour"
p_rev_credit() { p_credit "$1" && r_reviewed "$1"; }
nr=$(expect p_rev_credit | wc -l)
nc=$(expect p_credit | wc -l)
pct=$(awk -v a="$nr" -v b="$nc" 'BEGIN { printf "%.1f%%", 100 * a / b }')
"$AUDIT" stats --store "$STORE" --algorithm credit > "$T/sel.txt"
grep -Eq "^\(total\) +$nc +100\.0% +$pct" "$T/sel.txt" ||
    fail "stats --algorithm: reviewed share $pct: $(cat "$T/sel.txt")"
# Without --by and filters: the summary, as before.
"$AUDIT" stats --store "$STORE" | grep -q "^entries      $N\$" ||
    fail "stats summary"

say "reindex: refused while the daemon runs"
expect_rc 1 "$AUDIT" reindex --store "$STORE"
grep -q "STORE_ELOCKED" "$T/err" && grep -q "stop" "$T/err" ||
    fail "reindex with the daemon: $(cat "$T/err")"
expect_rc 2 "$AUDIT" reindex --store "$STORE" --block-bits 3
expect_rc 2 "$AUDIT" reindex --store "$STORE" --index-label a=b

say "reindex of a copy gives the live digest"
stop_daemon
live=$("$AUDIT" reindex --store "$STORE" --digest)
echo "$live" | grep -q "^digest [0-9a-f]\{64\}\$" || fail "digest: $live"
echo "$live" | grep -q "^subject $N\$" || fail "subject keys: $live"
cp -r "$STORE" "$T/copy"
"$AUDIT" reindex --store "$T/copy" > "$T/reindex.out" 2> "$T/reindex.err" ||
    fail "reindex: $(cat "$T/reindex.err")"
grep -q "^indexed $N entries" "$T/reindex.out" ||
    fail "reindex output: $(cat "$T/reindex.out")"
grep -q "100%" "$T/reindex.err" || fail "no progress: $(cat "$T/reindex.err")"
rebuilt=$("$AUDIT" reindex --store "$T/copy" --digest)
[ "$live" = "$rebuilt" ] || fail "digests differ: $live / $rebuilt"
"$AUDIT" reindex --store "$T/copy" --quiet > /dev/null 2> "$T/quiet.err"
[ ! -s "$T/quiet.err" ] || fail "--quiet printed progress"

say "declared labels: reindex --index-label"
"$AUDIT" reindex --store "$T/copy" --index-label channel --quiet \
    > "$T/reindex.out" || fail "reindex --index-label"
grep -q "^labels channel\$" "$T/reindex.out" || fail "labels line"
p_app() { [ "$(r_channel "$1")" = app ]; }
STORE="$T/copy" check "declared label alone" p_app -- --label channel=app
[ "$("$AUDIT" reindex --store "$T/copy" --digest)" != "$live" ] ||
    fail "a declared label did not change the digest"
"$AUDIT" reindex --store "$T/copy" --no-index-labels --quiet > /dev/null
[ "$("$AUDIT" reindex --store "$T/copy" --digest)" = "$live" ] ||
    fail "--no-index-labels did not give the live digest back"
expect_rc 2 "$AUDIT" query --store "$T/copy" --label channel=app
echo "OK"
