# t_cli.sh: `algaudit log` sends JSON Lines through the client library
# and exits 0 once they are durable; `algaudit query` reads them back
# from the store, in every format; a bad line is reported by its line
# number and nothing of it is stored; `algaudit stats` summarises.
. "$(dirname "$0")/lib.sh"

start_daemon
cat > "$T/in.jsonl" <<'JSON'
{"algorithm":{"id":"credit.limit","version":"3.1","type":"scheduling_decision","filing_number":"F-2024-001"},"subject":"s-1","decision":"approve","score":0.87,"data_class":"ordinary","inputs":[{"name":"income","value":52000,"data_class":"important"},{"name":"region","value":"north"},{"name":"student","value":false}],"explanation":{"attributions":[{"feature":"income","weight":0.6}],"reason_codes":["R1","R7"],"text":"income above threshold"},"automation":"human_review_after","reviewer":"analyst-7","jurisdiction":"CN","purpose":"credit limit","trace_id":"t-1","decision_id":"d-1","labels":{"channel":"app","region":"north"}}

{"algorithm":{"id":"feed.rank"},"subject":"s-2","decision":"show","data_class":"core","event_time_ns":1700000000000000000}
{"algorithm":{"id":"feed.rank"},"subject":"s-3, \"quoted\"","decision":"hide","score":0,"data_class":"important"}
JSON
"$AUDIT" log --connect "$EP" --producer cli-test < "$T/in.jsonl" ||
    fail "algaudit log failed"

"$AUDIT" query --store "$STORE" --format jsonl > "$T/out.jsonl"
[ "$(wc -l < "$T/out.jsonl")" -eq 3 ] || fail "expected 3 entries"
first=$(head -n 1 "$T/out.jsonl")
for kv in '"index":0' '"producer_id":"cli-test"' '"producer_seq":1' \
    '"id":"credit.limit"' '"version":"3.1"' '"type":"scheduling_decision"' \
    '"filing_number":"F-2024-001"' '"subject":"s-1"' '"decision":"approve"' \
    '"score":0.87' '"data_class":"ordinary"' '"name":"income"' \
    '"value":52000' '"data_class":"important"' '"value":false' \
    '"reason_codes":\["R1","R7"\]' '"automation":"human_review_after"' \
    '"reviewer":"analyst-7"' '"jurisdiction":"CN"' '"trace_id":"t-1"' \
    '"decision_id":"d-1"' '"labels":{"channel":"app","region":"north"}' \
    '"receive_time_ns":' '"uid":'; do
	grep -q -- "$kv" <<< "$first" || fail "jsonl lacks $kv: $first"
done
sed -n 2p "$T/out.jsonl" | grep -q '"event_time_ns":1700000000000000000' ||
    fail "explicit event time not kept"
sed -n 3p "$T/out.jsonl" | grep -q '"score":0' || fail "score 0 lost"
sed -n 2p "$T/out.jsonl" | grep -q '"score"' && fail "absent score shown"

say "csv is RFC 4180"
"$AUDIT" query --store "$STORE" --format csv > "$T/out.csv"
head -n 1 "$T/out.csv" | grep -q '^index,' || fail "csv header"
grep -q '"s-3, ""quoted"""' "$T/out.csv" || fail "csv quoting"
[ "$(head -c 200 "$T/out.csv" | tr -d '\n' | grep -c $'\r')" -ge 1 ] ||
    fail "csv lines must end in CRLF"

say "table, limits and ranges"
"$AUDIT" query --store "$STORE" --format table > "$T/out.txt"
grep -q "credit.limit" "$T/out.txt" || fail "table lacks credit.limit"
n=$("$AUDIT" query --store "$STORE" --format jsonl --from-index 1 \
    --to-index 1 | wc -l)
[ "$n" -eq 1 ] || fail "--from-index/--to-index gave $n rows"
n=$("$AUDIT" query --store "$STORE" --format jsonl --limit 2 | wc -l)
[ "$n" -eq 2 ] || fail "--limit 2 gave $n rows"

say "a bad line is named and nothing of it is stored"
printf '%s\n%s\n' \
    '{"algorithm":{"id":"a"},"decision":"x","data_class":"ordinary"}' \
    '{"algorithm":{"id":"a"},"decision":"x","data_class":"secret"}' \
    > "$T/bad.jsonl"
set +e
"$AUDIT" log --connect "$EP" --producer cli-bad < "$T/bad.jsonl" \
    2> "$T/bad.err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "bad input accepted"
grep -q "line 2" "$T/bad.err" || fail "error does not name line 2: $(cat "$T/bad.err")"
grep -q "data_class" "$T/bad.err" || fail "error does not name the key"
"$AUDIT" query --store "$STORE" --format jsonl | grep -q secret &&
    fail "the bad line was stored"

say "usage errors exit 2"
set +e
"$AUDIT" query --store "$STORE" --format xml > /dev/null 2>&1
[ $? -eq 2 ] || fail "--format xml should exit 2"
"$AUDIT" nosuchcommand > /dev/null 2>&1
[ $? -eq 2 ] || fail "unknown subcommand should exit 2"
"$AUDIT" query --store "$T/nonexistent" > /dev/null 2>&1
[ $? -eq 1 ] || fail "missing store should exit 1"
set -e

say "stats"
"$AUDIT" stats --store "$STORE" > "$T/stats.txt"
grep -q "cli-test" "$T/stats.txt" || fail "stats lacks the producer"
